/*
 * validate.h — checks of identifiers, from DOMAIN.md.
 *
 * Pure functions: no allocation, no globals, safe from any thread. Each returns 0 for a
 * valid value, or -1 with the reason in why[128] (worded to follow a field name: "uscc:
 * check character is 'M', expected 'N'").
 */
#ifndef CREDIT_VALIDATE_H
#define CREDIT_VALIDATE_H

#include <stddef.h>

/* Unified social credit code (GB 32100-2015): 18 characters of the 31-symbol alphabet, the
 * organisation code's check at position 17 and the code's own check at position 18. */
int validate_uscc(const char *s, char *why);

/* Resident identity number (GB 11643): 17 digits, a real birth date, ISO 7064 MOD 11-2
 * check character (digit or 'X'; a lower-case 'x' is refused, with a reason that says so:
 * normalise first). The value itself never appears in `why`. */
int validate_resident_id(const char *s, char *why);

/* GB 11643 writes the check character X in upper case; many source systems write x. Rewrites
 * a lower-case x in the check position (the last of exactly 18 characters) to X, in place, so
 * that both spellings are one number; leaves anything else alone. The node calls it on every
 * resident identity number it receives, before checking, sealing, indexing or storing it.
 * Returns 1 if it changed s, else 0 (also for NULL). */
int validate_resident_id_normalise(char *s);

/* Whether s is exactly `len` lower-case hexadecimal digits: a record id (32), a SHA-256
 * digest (64). Returns 1 or 0. */
int validate_lower_hex(const char *s, size_t len);

#endif /* CREDIT_VALIDATE_H */
