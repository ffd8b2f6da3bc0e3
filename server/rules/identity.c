/*
 * identity.c — see identity.h. The organisation code's weights and the USCC's positions are
 * DOMAIN.md's (GB 11714, GB 32100).
 */
#include "identity.h"

#include "validate.h"

#include <stdio.h>
#include <string.h>

static const int org_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

void identity_normalise_code(char *s)
{
    unsigned char *r = (unsigned char *)s, *w = (unsigned char *)s;
    if (!s)
        return;
    while (*r) {
        unsigned char c = *r;
        /* U+FF01..U+FF5E is EF BC 81..EF BC BF, EF BD 80..EF BD 9E; ASCII is cp - 0xFEE0. */
        if (c == 0xEF && (r[1] == 0xBC || r[1] == 0xBD) && r[2] >= 0x80 && r[2] <= 0xBF) {
            unsigned cp = 0xF000u | ((unsigned)(r[1] & 0x3F) << 6) | (unsigned)(r[2] & 0x3F);
            if (cp >= 0xFF01 && cp <= 0xFF5E) {
                c = (unsigned char)(cp - 0xFEE0);
                r += 3;
            } else {
                r++;
            }
        } else {
            r++;
        }
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        /* Only write what differs: a static string that is already normal stays untouched. */
        if (*w != c)
            *w = c;
        w++;
    }
    if (*w)
        *w = '\0';
}

void identity_normalise_organisation_code(char *s)
{
    if (!s)
        return;
    identity_normalise_code(s);
    if (strlen(s) == 10 && s[8] == '-') {
        s[8] = s[9];
        s[9] = '\0';
    }
}

/* Whether s holds only 0-9 A-Z and, at position 9 of 10, one hyphen. */
static int code_like(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c == '-' && n == 10 && i == 8)))
            return 0;
    }
    return n > 0;
}

void identity_normalise_subject(Credit__V1__Subject *s)
{
    if (!s)
        return;
    identity_normalise_code(s->registration_number);
    identity_normalise_code(s->tax_number);
    identity_normalise_organisation_code(s->organisation_code);
    if (s->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON || !s->identifier)
        return;
    /* The identifier is normalised only when its normal spelling is a code; anything else (a
     * certificate number) must equal its field byte for byte, as it was given. */
    char probe[256];
    size_t n = strlen(s->identifier);
    if (n >= sizeof probe)
        return;
    memcpy(probe, s->identifier, n + 1);
    identity_normalise_code(probe);
    if (code_like(probe))
        identity_normalise_organisation_code(s->identifier);
}

int identity_check_registration_number(const char *s, char *why)
{
    size_t n = strlen(s);
    if (n != 15) {
        snprintf(why, 128, "a registration number is 15 digits, not %zu characters", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            snprintf(why, 128, "a registration number is 15 digits; character %zu is not a digit",
                     i + 1);
            return -1;
        }
    }
    return 0;
}

int identity_check_organisation_code(const char *s, char *why)
{
    size_t n = strlen(s);
    int sum = 0;
    if (n != IDENTITY_ORG_LEN) {
        snprintf(why, 128,
                 "an organisation code is 9 characters (or XXXXXXXX-X), not %zu characters", n);
        return -1;
    }
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : -1;
        if (v < 0) {
            snprintf(why, 128, "organisation code character %d is not 0-9 or A-Z", i + 1);
            return -1;
        }
        sum += v * org_weights[i];
    }
    int c = 11 - sum % 11;
    char check = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
    if (s[8] != check) {
        snprintf(why, 128, "organisation code check character does not match (GB 11714)");
        return -1;
    }
    return 0;
}

int identity_check_tax_number(const char *s, char *why)
{
    char inner[128];
    size_t n = strlen(s);
    switch (n) {
    case IDENTITY_TAX_AREA_ORG:
        for (int i = 0; i < 6; i++) {
            if (s[i] < '0' || s[i] > '9') {
                snprintf(why, 128,
                         "a 15-character tax number starts with a 6-digit area code; "
                         "character %d is not a digit",
                         i + 1);
                return -1;
            }
        }
        if (identity_check_organisation_code(s + 6, inner) != 0) {
            snprintf(why, 128, "a 15-character tax number ends with an organisation code: %.60s",
                     inner);
            return -1;
        }
        return IDENTITY_TAX_AREA_ORG;
    case IDENTITY_TAX_USCC:
        if (validate_uscc(s, inner) != 0) {
            snprintf(why, 128,
                     "an 18-character tax number is a unified social credit code: "
                     "%.60s",
                     inner);
            return -1;
        }
        return IDENTITY_TAX_USCC;
    case IDENTITY_TAX_PERSON: {
        char id[19];
        memcpy(id, s, 18);
        id[18] = '\0';
        /* validate_resident_id's reasons never hold the number. */
        if (validate_resident_id(id, inner) != 0) {
            snprintf(why, 128,
                     "a 20-character tax number starts with a resident identity "
                     "number: %.60s",
                     inner);
            return -1;
        }
        if (s[18] < '0' || s[18] > '9' || s[19] < '0' || s[19] > '9') {
            snprintf(why, 128, "a 20-character tax number ends with 2 digits");
            return -1;
        }
        return IDENTITY_TAX_PERSON;
    }
    default:
        snprintf(why, 128, "a tax number is 15, 18 or 20 characters, not %zu", n);
        return -1;
    }
}

/* Positions 1-2 of a USCC: the kinds that are not a legal person's, and the names. */
static const struct {
    char code[3];
    int kind;
    const char *name;
} uscc_types[] = {
    {"11", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, "organ"},
    {"12", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_PUBLIC_INSTITUTION, "public institution"},
    {"13", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON,
     "mass organisation (establishment office)"},
    {"19", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, "other (establishment office)"},
    {"51", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_SOCIAL_ORGANISATION, "social group"},
    {"52", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_SOCIAL_ORGANISATION,
     "private non-enterprise unit"},
    {"53", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_SOCIAL_ORGANISATION, "foundation"},
    {"59", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_SOCIAL_ORGANISATION, "other (civil affairs)"},
    {"91", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, "enterprise"},
    {"92", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_INDIVIDUAL_BUSINESS, "individual business"},
    {"93", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, "farmers' cooperative"},
};

int identity_kind_of_uscc(const char *uscc)
{
    for (size_t i = 0; i < sizeof uscc_types / sizeof uscc_types[0]; i++) {
        if (uscc[0] == uscc_types[i].code[0] && uscc[1] == uscc_types[i].code[1])
            return uscc_types[i].kind;
    }
    /* Every other civil-affairs type (5x) is a social organisation; the rest legal persons. */
    return uscc[0] == '5' ? CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_SOCIAL_ORGANISATION
                          : CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
}

const char *identity_uscc_type_name(const char *uscc)
{
    for (size_t i = 0; i < sizeof uscc_types / sizeof uscc_types[0]; i++) {
        if (uscc[0] == uscc_types[i].code[0] && uscc[1] == uscc_types[i].code[1])
            return uscc_types[i].name;
    }
    return uscc[0] == '5' ? "civil-affairs organisation" : "organisation";
}
