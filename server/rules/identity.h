/*
 * identity.h — who a record is about: the subject codes' formats, their normal spelling and
 * the subject kind a unified social credit code (USCC) allows.
 *
 * Since the 三证合一 reform one code, the USCC, names an organisation; the codes it replaced
 * (business registration number, organisation code, tax registration number) live on in old
 * systems and are aliases of the same subject. This module holds the pure rules about single
 * codes; the alias index that ties them to a USCC is subjects.h's.
 *
 * Formats (after identity_normalise_*):
 *  - registration number: 15 ASCII digits. Its 15th digit is not checked: numbers issued
 *    before GS 15-2006 carry no ISO 7064 MOD 11,10 check, and a check would refuse them.
 *  - organisation code (GB 11714): 8 characters of 0-9 A-Z and the check character (0-9 or
 *    X) at position 9; "XXXXXXXX-X", the spelling on the old certificates, is normalised to
 *    the 9 characters.
 *  - tax number: 15 characters, a 6-digit area code and an organisation code; or 18, a USCC;
 *    or 20, a resident identity number and 2 digits (the old number of an individual).
 * Normal spelling: full-width forms (U+FF01 to U+FF5E) become their ASCII characters and
 * letters upper case. Nothing else is changed: a space or a hyphen elsewhere is refused, not
 * guessed away.
 *
 * Kinds: positions 1–2 of a USCC give its registering authority and organisation type;
 * identity_kind_of_uscc maps them to the one SubjectKind records about it take (92 individual
 * business; 51, 52, 53, 59 civil affairs' social organisations; 12 public institution; every
 * other type, 91 enterprise, 93 cooperative, 11 organ and the rest, a legal person).
 *
 * Threads: pure functions, safe from any thread. Reasons go into why[128], worded to follow a
 * field name, and never hold the value (some of these codes embed personal numbers).
 */
#ifndef CREDIT_IDENTITY_H
#define CREDIT_IDENTITY_H

#include <stddef.h>

#include "credit/v1/record.pb-c.h"

#define IDENTITY_ORG_LEN 9 /* an organisation code, normalised */

/* Tax number forms (identity_check_tax_number's results). */
enum identity_tax_form {
    IDENTITY_TAX_AREA_ORG = 15, /* area code + organisation code */
    IDENTITY_TAX_USCC = 18,     /* the unified social credit code */
    IDENTITY_TAX_PERSON = 20,   /* resident identity number + 2 digits: personal */
};

/* Puts a code field in its normal spelling in place: full-width forms to ASCII, a-z to A-Z.
 * The string only shrinks; nothing is written when nothing changes (so a static "" is
 * safe). */
void identity_normalise_code(char *s);

/* As identity_normalise_code, then "XXXXXXXX-X" (10 characters, a hyphen at position 9)
 * becomes the 9 characters of the organisation code. */
void identity_normalise_organisation_code(char *s);

/* Normalises a pushed subject's code fields in place: registration_number, tax_number,
 * organisation_code, and the identifier of a subject that is not a natural person when its
 * normal spelling is a code (only 0-9 A-Z after normalising; a certificate number in Chinese
 * is left as it is, to be compared with the certificate field). The strings must be malloc'd
 * (as protobuf-c unpacks them) or static and already normal. NULL is a no-op. */
void identity_normalise_subject(Credit__V1__Subject *s);

/* 0 for a 15-digit registration number, else -1 with why. */
int identity_check_registration_number(const char *s, char *why);

/* 0 for a 9-character organisation code with a right GB 11714 check character, else -1. */
int identity_check_organisation_code(const char *s, char *why);

/* The form of a valid tax number (enum identity_tax_form), or -1 with why. */
int identity_check_tax_number(const char *s, char *why);

/* The SubjectKind records about the USCC `uscc` (18 characters, already valid) take. */
int identity_kind_of_uscc(const char *uscc);

/* The organisation type of a USCC in words, for reasons: "enterprise", "organ", ... */
const char *identity_uscc_type_name(const char *uscc);

#endif /* CREDIT_IDENTITY_H */
