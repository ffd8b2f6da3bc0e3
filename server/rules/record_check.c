/*
 * record_check.c — see record_check.h.
 *
 * Each rule is a small function that returns 0, or calls reject(), which fills the failure and
 * returns -1; record_check_input runs them in the documented order and stops at the first
 * failure. Each rule states the kind of its fault where it finds it, as a reason code
 * (status.h), beside its sentence for people: no code is ever read back from the words, so a
 * reworded reason keeps its code. A table holds the policy of which channels each kind of unit may
 * push through: the value to move into configuration when the catalogue comes to govern it (the
 * publicity windows of the severities are publicity.c's).
 *
 * Text. The rule is text.h's, the one every request's text is held to. A string's length is
 * checked before anything else is read from it, then its bytes:
 * they must be UTF-8 (proto3 strings are, and clients in other languages refuse a record that
 * is not) without control characters (C0, DEL and C1); free text may hold line feeds and tabs.
 * A required field holding only blanks (spaces, tabs, line feeds, U+00A0, U+3000) counts as
 * missing. An optional field counts as given when it is not empty.
 *
 * Personal numbers. No reason formats a subject's identifier, a representative's number or an
 * older code; the only value-derived words are validate_resident_id's (which never hold the
 * number) and validate_uscc's (one character of an organisation's public code).
 *
 * Dates are calendar.h's (China Standard Time, no time zone from the C library); the
 * publicity windows and the end of publicity are publicity.h's, which the tier filter reads
 * too.
 */
#include "record_check.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "credit/v1/catalogue.pb-c.h"
#include "credit/v1/industrial.pb-c.h"
#include "calendar.h"
#include "credit/v1/unit.pb-c.h"
#include "identity.h"
#include "pbwalk.h"
#include "publicity.h"
#include "text.h"
#include "validate.h"

#define INVALID RECORD_CHECK_INVALID_ARGUMENT
#define DENIED  RECORD_CHECK_PERMISSION_DENIED

#define SHORT_MAX RECORD_CHECK_SHORT_MAX
#define TEXT_MAX  RECORD_CHECK_TEXT_MAX

/* check_text flags */
#define REQUIRED  TEXT_REQUIRED  /* must hold something other than blanks */
#define MULTILINE TEXT_MULTILINE /* free text: line feeds and tabs allowed */

#define WHY_LEN  128 /* validate.h's reasons */
#define DATE_LEN 40  /* "YYYY-MM-DD", with room for any int32 fields */


/* --- Policy tables ------------------------------------------------------------------------ */

/* The channels each kind of unit may push records through, its usual one first: a record that
 * names no channel came through that one. A kind not listed may use none. A 0
 * (CHANNEL_UNSPECIFIED) ends a shorter list. */
static const struct {
    int unit_kind;
    int channels[3];
} channel_rules[] = {
    {CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT,
     {CREDIT__V1__CHANNEL__CHANNEL_DIRECT_PUSH, CREDIT__V1__CHANNEL__CHANNEL_SYSTEM_DOCKING,
      CREDIT__V1__CHANNEL__CHANNEL_SERVICE_WINDOW}},
    {CREDIT__V1__UNIT_KIND__UNIT_KIND_OFFICE,
     {CREDIT__V1__CHANNEL__CHANNEL_DIRECT_PUSH, CREDIT__V1__CHANNEL__CHANNEL_SYSTEM_DOCKING,
      CREDIT__V1__CHANNEL__CHANNEL_SERVICE_WINDOW}},
    {CREDIT__V1__UNIT_KIND__UNIT_KIND_MUNICIPAL,
     {CREDIT__V1__CHANNEL__CHANNEL_MUNICIPAL_SYNC, CREDIT__V1__CHANNEL__CHANNEL_SYSTEM_DOCKING, 0}},
    {CREDIT__V1__UNIT_KIND__UNIT_KIND_SERVICE_UNIT,
     {CREDIT__V1__CHANNEL__CHANNEL_SERVICE_WINDOW, CREDIT__V1__CHANNEL__CHANNEL_DIRECT_PUSH,
      CREDIT__V1__CHANNEL__CHANNEL_SYSTEM_DOCKING}},
    {CREDIT__V1__UNIT_KIND__UNIT_KIND_ASSOCIATION_PLATFORM,
     {CREDIT__V1__CHANNEL__CHANNEL_ASSOCIATION_BATCH, CREDIT__V1__CHANNEL__CHANNEL_SYSTEM_DOCKING,
      0}},
    {CREDIT__V1__UNIT_KIND__UNIT_KIND_INDUSTRIAL_PLATFORM,
     {CREDIT__V1__CHANNEL__CHANNEL_PLATFORM_AGREEMENT, CREDIT__V1__CHANNEL__CHANNEL_SYSTEM_DOCKING,
      0}},
    {CREDIT__V1__UNIT_KIND__UNIT_KIND_PORTAL,
     {CREDIT__V1__CHANNEL__CHANNEL_SELF_DECLARATION, CREDIT__V1__CHANNEL__CHANNEL_SERVICE_WINDOW,
      0}},
    {CREDIT__V1__UNIT_KIND__UNIT_KIND_SUBJECT,
     {CREDIT__V1__CHANNEL__CHANNEL_SELF_DECLARATION, 0, 0}},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- Failures and names ------------------------------------------------------------------- */

int record_check_fail(check_failure *f, int code, int reason, const char *field, const char *fmt,
                      ...)
{
    va_list ap;

    f->code = code;
    f->reason_code = reason;
    snprintf(f->field, sizeof f->field, "%s", field);
    va_start(ap, fmt);
    vsnprintf(f->reason, sizeof f->reason, fmt, ap);
    va_end(ap);
    f->n_faults = 0;
    f->collecting = 0;
    return -1;
}

/* The checks' own failure: within record_check (f->collecting, set by it on its own work
 * struct) a fault is added to the list and the checks go on; from the other entry points
 * (which clear collecting on theirs) it is the one answer, as record_check_fail. */
__attribute__((format(printf, 5, 6))) static int reject(check_failure *f, int code, int why,
                                                        const char *field, const char *fmt, ...)
{
    va_list ap;
    char reason[sizeof f->reason];

    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (!f->collecting)
        return record_check_fail(f, code, why, field, "%s", reason);
    /* One fault per field: a later check of a field that failed adds nothing, nor does one
     * of a field inside it ("subject" is required says all of subject.*). */
    for (size_t i = 0; i < f->n_faults; i++) {
        size_t n = strlen(f->faults[i].field);
        if (strncmp(f->faults[i].field, field, n) == 0 && (field[n] == '\0' || field[n] == '.'))
            return -1;
    }
    if (f->n_faults == 0) {
        f->code = code;
        f->reason_code = why;
        snprintf(f->field, sizeof f->field, "%s", field);
        memcpy(f->reason, reason, sizeof reason);
    }
    if (f->n_faults < RECORD_CHECK_FAULTS_MAX) {
        check_fault *x = &f->faults[f->n_faults++];
        x->code = code;
        x->reason_code = why;
        snprintf(x->field, sizeof x->field, "%s", field);
        memcpy(x->reason, reason, sizeof reason);
    }
    return -1;
}

/* Adds to the reason of the fault just given for `path`: the answer's, or (collecting) the
 * list's last when it is that field's (a fault of a field inside a failed one was dropped, and
 * nothing is added then). */
__attribute__((format(printf, 3, 4))) static void add_to_reason(check_failure *f,
                                                                const char *path,
                                                                const char *fmt, ...)
{
    char more[sizeof f->reason];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(more, sizeof more, fmt, ap);
    va_end(ap);
    if (f->collecting) {
        check_fault *last = f->n_faults ? &f->faults[f->n_faults - 1] : NULL;
        if (!last || strcmp(last->field, path) != 0)
            return;
        size_t n = strlen(last->reason);
        snprintf(last->reason + n, sizeof last->reason - n, "%s", more);
        if (f->n_faults > 1)
            return;
    }
    size_t n = strlen(f->reason);
    snprintf(f->reason + n, sizeof f->reason - n, "%s", more);
}

void record_normalise_ids(const record_view *in)
{
    const Credit__V1__Subject *s = in->subject;

    if (!s)
        return;
    if (s->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON)
        validate_resident_id_normalise(s->identifier);
    if (s->legal_representative_id_type == CREDIT__V1__ID_TYPE__ID_TYPE_RESIDENT_ID)
        validate_resident_id_normalise(s->legal_representative_id_number);
}

/* The .proto name of enum value v ("CATEGORY_PENALTY"), or NULL for a value it does not know. */
static const char *enum_name(const ProtobufCEnumDescriptor *d, int v)
{
    const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value(d, v);

    return e ? e->name : NULL;
}

/* The reason for a number enum d does not define. A client that maps enum names to numbers
 * sends one for a name from another version of the .proto; say so rather than "required". */
static int unknown_enum(check_failure *f, const char *path, const ProtobufCEnumDescriptor *d,
                        int v)
{
    return reject(f, INVALID, REASON_UNKNOWN_VALUE, path,
                  "unknown value %d for %s (the .proto defines no such value)", v, d->name);
}

/* Like enum_name, with "unknown (42)" in buf[32] for a value it does not know. */
static const char *enum_label(const ProtobufCEnumDescriptor *d, int v, char *buf)
{
    const char *name = enum_name(d, v);

    if (name)
        return name;
    snprintf(buf, 32, "unknown (%d)", v);
    return buf;
}

static const char *date_str(const Credit__V1__Date *d, char *buf)
{
    snprintf(buf, DATE_LEN, "%04d-%02d-%02d", (int)d->year, (int)d->month, (int)d->day);
    return buf;
}

/* --- Text --------------------------------------------------------------------------------- */

/* Checks text field `field` holding s (NULL reads as empty) by the node's one text rule
 * (text.h): at most `max` bytes, UTF-8, no control characters (but line feeds and tabs with
 * MULTILINE), and with REQUIRED not empty nor blank. */
static int check_text(check_failure *f, const char *field, const char *s, size_t max, int flags)
{
    char why[TEXT_WHY_LEN];
    int rc = text_check(s, max, (unsigned)flags, why);

    if (rc == 0)
        return 0;
    return reject(f, INVALID,
                  rc == TEXT_EMISSING ? REASON_REQUIRED
                  : rc == TEXT_ELONG  ? REASON_TOO_LONG
                                      : REASON_BAD_TEXT,
                  field, "%s", why);
}

int record_check_free_text(const char *field, const char *s, size_t max, int required,
                           check_failure *f)
{
    check_failure work;

    work.collecting = 0;
    if (check_text(&work, field, s, max, MULTILINE | (required ? REQUIRED : 0)) == 0)
        return 0;
    if (f)
        record_check_fail(f, work.code, work.reason_code, work.field, "%s", work.reason);
    return -1;
}

/* A text field and how it is checked, for the fields that have no other rule. */
struct text_field {
    const char *field;
    const char *value;
    size_t max;
    int flags;
};

static int check_texts(check_failure *f, const struct text_field *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (check_text(f, t[i].field, t[i].value, t[i].max, t[i].flags) != 0)
            return -1;
    }
    return 0;
}

/* A unified social credit code: required, or optional (checked only when not empty). */
static int check_uscc(check_failure *f, const char *field, const char *s, int required)
{
    char why[WHY_LEN];

    if (check_text(f, field, s, SHORT_MAX, required ? REQUIRED : 0) != 0)
        return -1;
    if (s && *s && validate_uscc(s, why) != 0)
        return reject(f, INVALID, REASON_BAD_USCC, field,
                      "is not a valid unified social credit code: %s", why);
    return 0;
}

/* --- Dates (calendar.h) and publicity windows (publicity.h) ------------------------------ */

/* A date that must be given, real, and not after today. */
static int check_past_date(check_failure *f, const char *field, const Credit__V1__Date *d,
                           const Credit__V1__Date *today)
{
    char a[DATE_LEN], b[DATE_LEN];

    if (!d)
        return reject(f, INVALID, REASON_REQUIRED, field, "is required");
    if (!calendar_date_valid(d))
        return reject(f, INVALID, REASON_BAD_DATE, field,
                      "%s is not a real date of the years 1900 to 9999", date_str(d, a));
    if (calendar_date_cmp(d, today) > 0)
        return reject(f, INVALID, REASON_FUTURE_DATE, field, "%s is in the future (today is %s)",
                      date_str(d, a), date_str(today, b));
    return 0;
}

/* --- The rules, in order ------------------------------------------------------------------ */

/* 1. The id in the source unit's own system: with the unit it makes a push idempotent. */
static int check_source_record_id(const record_view *in, check_failure *f)
{
    return check_text(f, "source_record_id", in->source_record_id, RECORD_CHECK_SOURCE_ID_MAX,
                      REQUIRED);
}

int record_default_channel(int unit_kind)
{
    for (size_t i = 0; i < COUNT(channel_rules); i++) {
        if (channel_rules[i].unit_kind == unit_kind)
            return channel_rules[i].channels[0];
    }
    return CREDIT__V1__CHANNEL__CHANNEL_UNSPECIFIED;
}

/* 2. A category of the public catalogue. */
static int check_category(const record_view *in, check_failure *f)
{
    const char *name = enum_name(&credit__v1__category__descriptor, in->category);

    if (in->category == CREDIT__V1__CATEGORY__CATEGORY_UNSPECIFIED)
        return reject(f, INVALID, REASON_REQUIRED, "category",
                      "is required: the public catalogue category");
    if (!name)
        return unknown_enum(f, "category", &credit__v1__category__descriptor, in->category);
    return 0;
}

/* 2. The section of the record's catalogue, in the version in force, which must collect it
 * through the message it came in. */
static int find_section(const record_view *in, const catalog_version *cv,
                        const catalog_section **out, check_failure *f)
{
    const char *cat = catalog_catalogue_name(in->catalogue);
    const catalog_def *def = catalog_find_def(cv, in->catalogue);
    const catalog_section *sec = NULL;

    if (in->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC) {
        if (check_category(in, f) != 0)
            return -1;
        sec = catalog_public_section(cv, in->category);
        if (!sec)
            return reject(f, INVALID, REASON_UNKNOWN_SECTION, "category",
                          "%s has no section in catalogue version %u",
                          enum_name(&credit__v1__category__descriptor, in->category),
                          cv->msg->version);
    } else {
        if (!in->section || !*in->section)
            return reject(f, INVALID, REASON_REQUIRED, "section",
                          "is required: a section of the %s catalogue", cat);
        sec = catalog_find_section(cv, in->catalogue, in->section);
        if (!sec)
            return reject(f, INVALID, REASON_UNKNOWN_SECTION, "section",
                          "%.64s is not a section of the %s catalogue in version %u", in->section,
                          cat, cv->msg->version);
    }
    if (!def || def->input != in->message->descriptor)
        return reject(f, INVALID, REASON_WRONG_BODY, "section",
                      "catalogue version %u does not collect %s records through %s",
                      cv->msg->version, cat, in->message->descriptor->name);
    *out = sec;
    return 0;
}

/* 3. The unit pushes only the categories the catalogue makes it responsible for. */
static int check_responsibility(const record_view *in, const check_unit *unit,
                                const catalog_section *sec, check_failure *f)
{
    int pub = in->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;

    if (catalog_responsible(sec, unit->code, unit->kind))
        return 0;
    return reject(f, DENIED, REASON_NOT_RESPONSIBLE, pub ? "category" : "section",
                  "unit %.64s is not responsible for %s%s%s records (catalogue version %u)",
                  unit->code ? unit->code : "(unnamed)",
                  pub ? "" : catalog_catalogue_name(in->catalogue), pub ? "" : " ",
                  pub ? enum_name(&credit__v1__category__descriptor, in->category) : sec->s->code,
                  sec->version);
}

/* 4. The body the section takes, and no other. */
static int check_body(const record_view *in, const catalog_section *sec, check_failure *f)
{
    const ProtobufCFieldDescriptor *want = sec->body, *got = in->body_field;
    const char *what = in->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC
                           ? enum_name(&credit__v1__category__descriptor, in->category)
                           : sec->s->code;

    if (!want)
        return reject(f, INVALID, REASON_WRONG_BODY,
                      in->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC ? "category"
                                                                               : "section",
                      "%s records take no body in catalogue version %u", what, sec->version);
    if (got == want) {
        if (in->body)
            return 0;
        return reject(f, INVALID, REASON_REQUIRED, want->name, "is required for %s records", what);
    }
    if (!got && !in->body_case)
        return reject(f, INVALID, REASON_REQUIRED, want->name, "is required for %s records", what);
    if (got)
        return reject(f, INVALID, REASON_WRONG_BODY, got->name,
                      "a %s cannot be pushed as a %s record: give a %s instead", got->name,
                      what, want->name);
    return reject(f, INVALID, REASON_WRONG_BODY, want->name,
                  "is required for %s records (the body is of an unknown kind)", what);
}

/* 5. The channel the record came through, as the unit's kind allows. */
static int check_channel(const record_view *in, const check_unit *unit,
                         check_failure *f)
{
    int channel = in->channel;
    char buf[32];

    if (!enum_name(&credit__v1__channel__descriptor, channel))
        return unknown_enum(f, "channel", &credit__v1__channel__descriptor, channel);
    if (channel == CREDIT__V1__CHANNEL__CHANNEL_UNSPECIFIED) {
        channel = record_default_channel(unit->kind);
        if (channel == CREDIT__V1__CHANNEL__CHANNEL_UNSPECIFIED)
            return reject(f, INVALID, REASON_NOT_RESPONSIBLE, "channel",
                          "no channel is open to %s units",
                          enum_label(&credit__v1__unit_kind__descriptor, unit->kind, buf));
    }
    for (size_t i = 0; i < COUNT(channel_rules); i++) {
        if (channel_rules[i].unit_kind != unit->kind)
            continue;
        for (size_t j = 0; j < COUNT(channel_rules[i].channels); j++) {
            if (channel_rules[i].channels[j] == channel)
                return 0;
        }
        break;
    }
    return reject(f, INVALID, REASON_NOT_RESPONSIBLE, "channel", "%s%s is not open to %s units",
                  enum_name(&credit__v1__channel__descriptor, channel),
                  in->channel == CREDIT__V1__CHANNEL__CHANNEL_UNSPECIFIED
                      ? " (the default when none is given)"
                      : "",
                  enum_label(&credit__v1__unit_kind__descriptor, unit->kind, buf));
}

/* The subject kind's name without the enum's noise, for reasons. */
static const char *kind_name(int kind)
{
    const char *n = enum_name(&credit__v1__subject_kind__descriptor, kind);
    return n ? n : "an unknown kind";
}

/* 6b. The older codes' formats, and that they agree with the USCC the record states
 * (identity.h). `uscc` is the identifier when it is one, else NULL. The codes were put in
 * their normal spelling before the check (identity_normalise_subject). */
static int check_older_codes(const Credit__V1__Subject *s, const char *uscc, check_failure *f)
{
    const char *reg = s->registration_number, *org = s->organisation_code, *tax = s->tax_number;
    char why[WHY_LEN];
    int form = 0;

    if (reg && *reg && identity_check_registration_number(reg, why) != 0)
        return reject(f, INVALID, REASON_BAD_CODE, "subject.registration_number", "%s", why);
    if (org && *org) {
        if (identity_check_organisation_code(org, why) != 0)
            return reject(f, INVALID, REASON_BAD_CODE, "subject.organisation_code", "%s", why);
        if (uscc && memcmp(org, uscc + 8, IDENTITY_ORG_LEN) != 0)
            return reject(f, INVALID, REASON_CONTRADICTS, "subject.organisation_code",
                          "contradicts subject.identifier: a subject's organisation code is "
                          "positions 9 to 17 of its unified social credit code");
    }
    if (tax && *tax) {
        if ((form = identity_check_tax_number(tax, why)) < 0)
            return reject(f, INVALID, REASON_BAD_CODE, "subject.tax_number", "%s", why);
        if (form == IDENTITY_TAX_USCC && !uscc)
            return reject(f, INVALID, REASON_CONTRADICTS, "subject.tax_number",
                          "an 18-character tax number is a unified social credit code: file the "
                          "record under it (subject.identifier)");
        if (form == IDENTITY_TAX_USCC && strcmp(tax, uscc) != 0)
            return reject(f, INVALID, REASON_CONTRADICTS, "subject.tax_number",
                          "contradicts subject.identifier: an 18-character tax number is the "
                          "subject's unified social credit code");
        if (form == IDENTITY_TAX_AREA_ORG && uscc && memcmp(tax + 6, uscc + 8, IDENTITY_ORG_LEN))
            return reject(f, INVALID, REASON_CONTRADICTS, "subject.tax_number",
                          "contradicts subject.identifier: the last 9 characters of a "
                          "15-character tax number are positions 9 to 17 of the unified social "
                          "credit code");
        if (form == IDENTITY_TAX_AREA_ORG && org && *org &&
            memcmp(tax + 6, org, IDENTITY_ORG_LEN) != 0)
            return reject(f, INVALID, REASON_CONTRADICTS, "subject.tax_number",
                          "contradicts subject.organisation_code: the last 9 characters of a "
                          "15-character tax number are the organisation code");
        if (form == IDENTITY_TAX_PERSON &&
            s->kind != CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON &&
            s->kind != CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_INDIVIDUAL_BUSINESS)
            return reject(f, INVALID, REASON_CONTRADICTS, "subject.tax_number",
                          "a 20-character tax number is a person's; a %s has a 15- or "
                          "18-character one",
                          kind_name(s->kind));
    }
    return 0;
}

/* 6. Who the record is about, and the identifier it is filed under. */
static int check_subject(const Credit__V1__Subject *s, check_failure *f)
{
    const struct text_field older[] = {
        {"subject.registration_number", s ? s->registration_number : NULL, SHORT_MAX, 0},
        {"subject.organisation_code", s ? s->organisation_code : NULL, SHORT_MAX, 0},
        {"subject.tax_number", s ? s->tax_number : NULL, SHORT_MAX, 0},
        {"subject.institution_certificate", s ? s->institution_certificate : NULL, SHORT_MAX, 0},
        {"subject.social_organisation_certificate", s ? s->social_organisation_certificate : NULL,
         SHORT_MAX, 0},
    };
    char why[WHY_LEN];
    const char *uscc = NULL;

    if (!s)
        return reject(f, INVALID, REASON_REQUIRED, "subject", "is required");
    if (s->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_UNSPECIFIED)
        return reject(f, INVALID, REASON_REQUIRED, "subject.kind",
                      "is required: SUBJECT_KIND_LEGAL_PERSON, SUBJECT_KIND_INDIVIDUAL_BUSINESS, "
                      "SUBJECT_KIND_NATURAL_PERSON, "
                      "SUBJECT_KIND_SOCIAL_ORGANISATION or SUBJECT_KIND_PUBLIC_INSTITUTION");
    if (!enum_name(&credit__v1__subject_kind__descriptor, s->kind))
        return unknown_enum(f, "subject.kind", &credit__v1__subject_kind__descriptor, s->kind);
    if (check_text(f, "subject.name", s->name, SHORT_MAX, REQUIRED) != 0 ||
        check_text(f, "subject.identifier", s->identifier, SHORT_MAX, REQUIRED) != 0)
        return -1;

    if (s->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON) {
        if (validate_resident_id(s->identifier, why) != 0)
            return reject(f, INVALID, REASON_BAD_RESIDENT_ID, "subject.identifier",
                          "is not a valid resident identity number: %s", why);
    } else if (strlen(s->identifier) == 18) {
        if (validate_uscc(s->identifier, why) != 0)
            return reject(f, INVALID, REASON_BAD_USCC, "subject.identifier",
                          "is not a valid unified social credit code: %s", why);
        /* One USCC is one subject: its organisation type decides the kind (identity.h). */
        uscc = s->identifier;
        int want = identity_kind_of_uscc(uscc);
        if ((int)s->kind != want)
            return reject(f, INVALID, REASON_CONTRADICTS, "subject.kind",
                          "the unified social credit code is of type %c%c (%s), which is a %s, "
                          "not a %s",
                          uscc[0], uscc[1], identity_uscc_type_name(uscc), kind_name(want),
                          kind_name(s->kind));
    } else {
        /* No USCC: the record is filed under an older code, which the subject must give. */
        size_t i;

        for (i = 0; i < COUNT(older); i++) {
            if (older[i].value && *older[i].value && strcmp(older[i].value, s->identifier) == 0)
                break;
        }
        if (i == COUNT(older))
            return reject(f, INVALID, REASON_CONTRADICTS, "subject.identifier",
                          "must be a unified social credit code, or one of the older codes the "
                          "subject gives");
    }
    if (check_texts(f, older, COUNT(older)) != 0)
        return -1;
    return check_older_codes(s, uscc, f);
}

/* 7. The legal representative's identity document, as far as the catalogue cannot say it: a
 * resident identity number is checked as one. Whether the representative, the document type or
 * the number is required is the catalogue's (required_when); that the type is a known one is
 * the VALUE_TYPE_ENUM check of step 8. */
static int check_representative(const Credit__V1__Subject *s, check_failure *f)
{
    const char *number = s->legal_representative_id_number;
    char why[WHY_LEN];

    if (check_text(f, "subject.legal_representative_id_number", number, SHORT_MAX, 0) != 0)
        return -1;
    if (number && *number &&
        s->legal_representative_id_type == CREDIT__V1__ID_TYPE__ID_TYPE_RESIDENT_ID &&
        validate_resident_id(number, why) != 0)
        return reject(f, INVALID, REASON_BAD_RESIDENT_ID, "subject.legal_representative_id_number",
                      "is not a valid resident identity number: %s", why);
    return 0;
}

/* 8. The catalogue's dimensions: every dimension's value checked by its type; required ones,
 * and conditionally required ones whose conditions hold, present; the values given within the
 * dimension's bounds, allowed values and pattern; every value given a dimension of the
 * section. Each rejection names the catalogue version whose rule it applies. */

struct dims_ctx {
    const record_view *in;
    const catalog_section *sec;
    const Credit__V1__Date *today;
    check_failure *f;
};

/* The value of field fd of m as text a condition compares: an enum's .proto name, the string,
 * "true"/"false". NULL when not given or not comparable. */
static const char *value_text(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd)
{
    const char *p;

    if (!m || !pbwalk_field_set(m, fd))
        return NULL;
    p = (const char *)m + fd->offset;
    switch (fd->type) {
    case PROTOBUF_C_TYPE_STRING:
        return text_blank(*(char *const *)p) ? NULL : *(char *const *)p;
    case PROTOBUF_C_TYPE_ENUM:
        return enum_name(fd->descriptor, *(const int *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)p ? "true" : "false";
    default:
        return NULL;
    }
}

/* Whether condition k of dim holds for the record; its words appended to why[cap]. */
static int condition_holds(const struct dims_ctx *c, const catalog_dim *dim, size_t k, char *why,
                           size_t cap)
{
    const Credit__V1__Condition *cond = dim->d->required_when[k];
    const catalog_dim *other = dim->when[k];
    const ProtobufCFieldDescriptor *fd = NULL;
    const ProtobufCMessage *m = catalog_leaf(c->in->message, other, 0, &fd);
    size_t len = strlen(why);
    int given, holds = 0;

    if (!m)
        given = 0;
    else if (fd->type == PROTOBUF_C_TYPE_STRING)
        given = !text_blank(*(char *const *)((const char *)m + fd->offset));
    else
        given = pbwalk_field_set(m, fd);
    if (cond->n_equals == 0) {
        holds = given;
        snprintf(why + len, cap - len, "%s%s is given", k ? " and " : "", cond->field);
        return holds;
    }
    const char *v = given ? value_text(m, fd) : NULL;

    snprintf(why + len, cap - len, "%s%s is ", k ? " and " : "", cond->field);
    for (size_t j = 0; j < cond->n_equals; j++) {
        len = strlen(why);
        snprintf(why + len, cap - len, "%s%s", j ? " or " : "", cond->equals[j]);
        if (v && strcmp(v, cond->equals[j]) == 0)
            holds = 1;
    }
    return holds;
}

/* Whether the record must give dim: 1 with why[cap] "" (required) or the conditions that make
 * it so ("when subject.kind is SUBJECT_KIND_LEGAL_PERSON"); else 0. */
static int must_give(const struct dims_ctx *c, const catalog_dim *dim, char *why, size_t cap)
{
    why[0] = '\0';
    if (dim->d->required)
        return 1;
    if (dim->d->n_required_when == 0)
        return 0;
    snprintf(why, cap, " when ");
    for (size_t k = 0; k < dim->d->n_required_when; k++) {
        if (!condition_holds(c, dim, k, why, cap))
            return 0;
    }
    return 1;
}

static int missing(const struct dims_ctx *c, const char *path, const catalog_dim *dim,
                   int blanks)
{
    char why[160];

    if (!must_give(c, dim, why, sizeof why))
        return 0;
    return reject(c->f, INVALID, REASON_REQUIRED, path, "is required%s%s (catalogue version %u)",
                  why, blanks ? ", and holds only blanks" : "", c->sec->version);
}

/* A number against the dimension's bounds. */
static int check_bounds(check_failure *f, const char *path, const catalog_dim *dim,
                        uint32_t version, int whole, int64_t i, double d)
{
    const Credit__V1__Bound *lo = dim->d->minimum, *hi = dim->d->maximum;
    char v[32];

    if (whole)
        snprintf(v, sizeof v, "%lld", (long long)i);
    else
        snprintf(v, sizeof v, "%.15g", d);
    /* Whole numbers compare exactly: a whole bound is at most 2^53 (catalog_compile). */
    if (lo && (whole ? i < (int64_t)lo->value : d < lo->value))
        return reject(f, INVALID, REASON_OUT_OF_RANGE, path,
                      "%s is below the minimum %.15g of dimension %s (catalogue version %u)", v,
                      lo->value, dim->d->code, version);
    if (hi && (whole ? i > (int64_t)hi->value : d > hi->value))
        return reject(f, INVALID, REASON_OUT_OF_RANGE, path,
                      "%s is above the maximum %.15g of dimension %s (catalogue version %u)", v,
                      hi->value, dim->d->code, version);
    return 0;
}

int record_check_number(const catalog_dim *dim, uint32_t version, const char *field, double v,
                        check_failure *f)
{
    check_failure scratch;
    int whole = dim->d->type != CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DECIMAL;

    if (!f)
        f = &scratch;
    f->collecting = 0;
    if (!isfinite(v))
        return reject(f, INVALID, REASON_OUT_OF_RANGE, field, "must be a finite number");
    /* Whole: the cast is in range of int64_t, checked first (and libm is not linked). */
    if (whole && (v > 9007199254740992.0 || v < -9007199254740992.0 || v != (double)(int64_t)v))
        return reject(f, INVALID, REASON_OUT_OF_RANGE, field,
                      "%s is %s: a whole number of at most 2^53 in magnitude", dim->d->code,
                      catalog_type_name(dim->d->type));
    return check_bounds(f, field, dim, version, whole, whole ? (int64_t)v : 0, v);
}

/* Text or an enum's name against the dimension's allowed values and pattern. */
static int check_listed(check_failure *f, const char *path, const catalog_dim *dim,
                        uint32_t version, const char *s)
{
    size_t n = dim->d->n_allowed_values;

    if (n > 0) {
        size_t i = 0;

        while (i < n && strcmp(dim->d->allowed_values[i], s) != 0)
            i++;
        if (i == n)
            return reject(f, INVALID, REASON_NOT_ALLOWED, path,
                          "is not one of the %zu values dimension %s allows (catalogue version "
                          "%u): %s%s%s%s",
                          n, dim->d->code, version, dim->d->allowed_values[0], n > 1 ? ", " : "",
                          n > 1 ? dim->d->allowed_values[1] : "", n > 2 ? ", ..." : "");
    }
    if (dim->re && regexec(dim->re, s, 0, NULL, 0) != 0)
        return reject(f, INVALID, REASON_PATTERN_MISMATCH, path,
                      "does not match the pattern %.80s of dimension %s (catalogue version %u)",
                      dim->d->pattern, dim->d->code, version);
    return 0;
}

const char *record_timestamp_mistake(const Google__Protobuf__Timestamp *t, int *reason)
{
    int scratch;

    if (!reason)
        reason = &scratch;
    /* 10^11 s is the year 5138; a millisecond count of 1990 to 2100 is 6.3e11 to 4.1e12. */
    *reason = REASON_OUT_OF_RANGE; /* 1970: before any floor of a record's times */
    if (t->seconds == 0 && t->nanos == 0)
        return "is 1970-01-01T00:00:00Z: a timestamp of 0 usually means the client sent a Date "
               "or a number where a google.protobuf.Timestamp {seconds, nanos} was expected";
    *reason = REASON_FUTURE_DATE; /* millennia ahead */
    if (t->seconds >= RECORD_INSTANT_FLOOR * 1000 && t->seconds <= 4102444800LL * 1000)
        return "is thousands of years ahead: its seconds look like milliseconds since 1970 "
               "(a JS Date's getTime()); Timestamp.seconds counts seconds";
    return NULL;
}

/* An instant: nanos in range, from RECORD_INSTANT_FLOOR to at most a day after today (China
 * time), a day's grace for the clocks and time zones of the source systems. The mistakes
 * clients make with Timestamps are named as such first. */
static int check_instant(const struct dims_ctx *c, const char *path,
                         const Google__Protobuf__Timestamp *t)
{
    Credit__V1__Date d, latest;
    char a[DATE_LEN], b[DATE_LEN];
    const Credit__V1__Date *today = c->today;
    int kind;
    const char *mistake = record_timestamp_mistake(t, &kind);

    if (mistake)
        return reject(c->f, INVALID, kind, path, "%s", mistake);
    if (t->nanos < 0 || t->nanos > 999999999)
        return reject(c->f, INVALID, REASON_OUT_OF_RANGE, path,
                      "has nanos %d, outside 0 to 999999999", (int)t->nanos);
    calendar_from_unix(t->seconds, &d);
    if (t->seconds < RECORD_INSTANT_FLOOR)
        return reject(c->f, INVALID, REASON_OUT_OF_RANGE, path,
                      "%s (China time) is before " RECORD_INSTANT_FLOOR_TEXT
                      ", earlier than anything the node collects",
                      date_str(&d, a));
    calendar_add_days(today, 1, &latest);
    if (calendar_date_cmp(&d, &latest) > 0)
        return reject(c->f, INVALID, REASON_FUTURE_DATE, path,
                      "%s (China time) is more than a day after today, %s", date_str(&d, a),
                      date_str(today, b));
    return 0;
}

/* A whole number held in field fd at p. */
static int64_t whole_at(const char *p, const ProtobufCFieldDescriptor *fd)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
        return *(const int64_t *)p;
    case PROTOBUF_C_TYPE_UINT64: {
        uint64_t u = *(const uint64_t *)p;

        return u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
    }
    case PROTOBUF_C_TYPE_UINT32:
        return *(const uint32_t *)p;
    default:
        return *(const int32_t *)p;
    }
}

/* Checks the value of `dim` at field fd of m (m NULL: its message is not set), called `path`:
 * first its form by type, then whether it must be given, then the dimension's rules. */
static int check_value(const struct dims_ctx *c, const char *path, const catalog_dim *dim,
                       const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd)
{
    const char *p = m ? (const char *)m + fd->offset : NULL;
    uint32_t version = c->sec->version;
    check_failure *f = c->f;
    char a[DATE_LEN];

    switch (dim->d->type) {
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TEXT:
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_IDENTIFIER:
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_LONG_TEXT:
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_USCC: {
        const char *s = p ? *(char *const *)p : NULL;
        int type = dim->d->type;

        if (type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_USCC) {
            if (check_uscc(f, path, s, 0) != 0)
                return -1;
        } else if (check_text(
                       f, path, s,
                       type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_LONG_TEXT ? TEXT_MAX : SHORT_MAX,
                       type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_LONG_TEXT ? MULTILINE : 0) != 0) {
            return -1;
        }
        if (text_blank(s))
            return missing(c, path, dim, s && *s);
        return check_listed(f, path, dim, version, s);
    }
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DATE: {
        const Credit__V1__Date *d = p ? *(Credit__V1__Date *const *)p : NULL;

        if (!d)
            return missing(c, path, dim, 0);
        if (!calendar_date_valid(d))
            return reject(f, INVALID, REASON_BAD_DATE, path,
                          "%s is not a real date of the years 1900 to 9999", date_str(d, a));
        return 0;
    }
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TIMESTAMP: {
        const Google__Protobuf__Timestamp *t =
            p ? *(Google__Protobuf__Timestamp *const *)p : NULL;

        return t ? check_instant(c, path, t) : missing(c, path, dim, 0);
    }
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_ENUM: {
        int v = p ? *(const int *)p : 0;

        if (v == 0) {
            if (missing(c, path, dim, 0) == 0)
                return 0;
            /* 0 is also what a client that maps names to numbers sends for a name it does
             * not know: say so, in what room the reason has left. */
            if (fd) /* a field not set at all (its message missing) has no descriptor here */
                add_to_reason(f, path, "; 0 is also what a client sends for a name %s does not "
                              "define", ((const ProtobufCEnumDescriptor *)fd->descriptor)->name);
            return -1;
        }
        if (!enum_name(fd->descriptor, v))
            return unknown_enum(f, path, fd->descriptor, v);
        return check_listed(f, path, dim, version, enum_name(fd->descriptor, v));
    }
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_AMOUNT_FEN:
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_INTEGER: {
        int64_t v = p ? whole_at(p, fd) : 0;

        /* Zero reads as not given: proto3 cannot tell, and bounds apply to given values. */
        return v == 0 ? missing(c, path, dim, 0) : check_bounds(f, path, dim, version, 1, v, 0);
    }
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DECIMAL: {
        double v = 0;

        if (p && fd->type == PROTOBUF_C_TYPE_DOUBLE)
            v = *(const double *)p;
        else if (p && fd->type == PROTOBUF_C_TYPE_FLOAT)
            v = *(const float *)p;
        if (!isfinite(v))
            return reject(f, INVALID, REASON_OUT_OF_RANGE, path, "must be a finite number");
        return v == 0 ? missing(c, path, dim, 0) : check_bounds(f, path, dim, version, 0, 0, v);
    }
    default: /* yes/no holds any value */
        return p && *(const protobuf_c_boolean *)p ? 0 : missing(c, path, dim, 0);
    }
}

static int check_typed_dims(const struct dims_ctx *c, const catalog_dim *dims, size_t n)
{
    int bad = 0;

    for (size_t i = 0; i < n; i++) {
        const ProtobufCFieldDescriptor *fd = NULL;
        const ProtobufCMessage *m;

        if (dims[i].depth == 0)
            continue; /* an extra dimension */
        m = catalog_leaf(c->in->message, &dims[i], 0, &fd);
        if (check_value(c, dims[i].d->field, &dims[i], m, m ? fd : NULL) != 0)
            bad = -1;
        if (bad && !c->f->collecting)
            return -1; /* record_check goes on: every dimension's fault is reported */
    }
    return bad;
}

struct undeclared {
    const catalog_section *sec;
    check_failure *f;
    int bad; /* a value outside the section's dimensions was found */
};

/* pbwalk_leaves: a value given in a field that is no dimension of the section. */
static int undeclared_leaf(void *arg, ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd,
                           const ProtobufCFieldDescriptor *const *chain, size_t depth)
{
    struct undeclared *u = arg;
    char path[96];

    (void)m;
    (void)fd;
    if (catalog_dim_by_chain(u->sec, chain, depth, 0))
        return 0;
    pbwalk_chain_path(chain, depth, path, sizeof path);
    reject(u->f, INVALID, REASON_NOT_A_DIMENSION, path,
           "is not a dimension of %s records in catalogue version %u; leave it out",
           u->sec->s->code, u->sec->version);
    u->bad = 1;
    return u->f->collecting ? 0 : -1; /* record_check walks on, for every such value */
}

/* An extra value: a dimension without a typed field, of the member its type needs. */
static int check_extra_value(const struct dims_ctx *c, const char *path, const catalog_dim *dim,
                             const Credit__V1__ExtraValue *v)
{
    static const struct {
        int type;
        int member;
        const char *name;
    } members[] = {
        {CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TEXT, CREDIT__V1__EXTRA_VALUE__VALUE_TEXT, "text"},
        {CREDIT__V1__VALUE_TYPE__VALUE_TYPE_LONG_TEXT, CREDIT__V1__EXTRA_VALUE__VALUE_TEXT, "text"},
        {CREDIT__V1__VALUE_TYPE__VALUE_TYPE_USCC, CREDIT__V1__EXTRA_VALUE__VALUE_TEXT, "text"},
        {CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DATE, CREDIT__V1__EXTRA_VALUE__VALUE_DATE, "date"},
        {CREDIT__V1__VALUE_TYPE__VALUE_TYPE_AMOUNT_FEN, CREDIT__V1__EXTRA_VALUE__VALUE_INTEGER,
         "integer"},
        {CREDIT__V1__VALUE_TYPE__VALUE_TYPE_INTEGER, CREDIT__V1__EXTRA_VALUE__VALUE_INTEGER,
         "integer"},
        {CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DECIMAL, CREDIT__V1__EXTRA_VALUE__VALUE_DECIMAL,
         "decimal"},
        {CREDIT__V1__VALUE_TYPE__VALUE_TYPE_BOOL, CREDIT__V1__EXTRA_VALUE__VALUE_FLAG, "flag"},
    };
    const ProtobufCFieldDescriptor *fd;
    size_t i = 0;

    while (i < COUNT(members) && members[i].type != (int)dim->d->type)
        i++;
    if (i == COUNT(members))
        return reject(c->f, INVALID, REASON_WRONG_TYPE, path,
                      "has a value type an extra value cannot hold");
    if (!v || (int)v->value_case != members[i].member)
        return reject(c->f, INVALID, REASON_WRONG_TYPE, path,
                      "must be given as %s: dimension %s is %s", members[i].name, dim->d->code,
                      catalog_type_name(dim->d->type));
    fd = protobuf_c_message_descriptor_get_field(&credit__v1__extra_value__descriptor,
                                                 (unsigned)v->value_case);
    return check_value(c, path, dim, &v->base, fd);
}

static int check_extra(const struct dims_ctx *c)
{
    const record_view *in = c->in;
    const catalog_section *sec = c->sec;
    check_failure *f = c->f;
    char path[96];
    int bad = 0;

    /* A fault ends the check unless record_check is collecting every one. */
#define FAULT()                                                                                   \
    do {                                                                                           \
        bad = -1;                                                                                  \
        if (!f->collecting)                                                                        \
            return -1;                                                                             \
    } while (0)
    for (size_t i = 0; i < in->n_extra; i++) {
        const char *key = in->extra[i]->key ? in->extra[i]->key : "";
        const catalog_dim *dim = catalog_dim_by_code(sec, key);
        int twice = 0;

        snprintf(path, sizeof path, "extra.%.64s", key);
        if (!dim || dim->depth != 0) {
            reject(f, INVALID, REASON_NOT_A_DIMENSION, path,
                   "%s in catalogue version %u; leave it out",
                   dim ? "has a typed field; give it there" : "is not a dimension of these records",
                   sec->version);
            FAULT();
            continue;
        }
        for (size_t j = 0; j < i && !twice; j++)
            twice = strcmp(in->extra[j]->key ? in->extra[j]->key : "", key) == 0;
        if (twice) {
            reject(f, INVALID, REASON_DUPLICATE, path, "is given twice");
            FAULT();
            continue;
        }
        if (check_extra_value(c, path, dim, in->extra[i]->value) != 0)
            FAULT();
    }
    for (size_t k = 0; k < sec->n_dims + sec->def->n_common; k++) {
        const catalog_dim *dim = k < sec->n_dims ? &sec->dims[k] : &sec->def->common[k - sec->n_dims];
        size_t i = 0;

        if (dim->depth != 0)
            continue;
        while (i < in->n_extra && strcmp(in->extra[i]->key ? in->extra[i]->key : "",
                                         dim->d->code) != 0)
            i++;
        if (i == in->n_extra) {
            snprintf(path, sizeof path, "extra.%.64s", dim->d->code);
            if (missing(c, path, dim, 0) != 0)
                FAULT();
        }
    }
#undef FAULT
    return bad;
}

static int check_dimensions(const record_view *in, const catalog_section *sec,
                            const Credit__V1__Date *today, check_failure *f)
{
    struct dims_ctx c = {in, sec, today, f};
    struct undeclared u = {sec, f, 0};
    int bad = 0;
    const ProtobufCMessageDescriptor *d = in->message->descriptor;

    if (check_typed_dims(&c, sec->def->common, sec->def->n_common) != 0)
        bad = -1;
    if ((!bad || f->collecting) && check_typed_dims(&c, sec->dims, sec->n_dims) != 0)
        bad = -1;
    if (bad && !f->collecting)
        return -1;
    /* Every value in the subject, the association, the body: the messages of the input but
     * occurred_at (a Timestamp of the envelope, a dimension checked above when the catalogue
     * has it) and the extra map (checked below). */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];

        if (fd->type != PROTOBUF_C_TYPE_MESSAGE || fd->label == PROTOBUF_C_LABEL_REPEATED ||
            fd->descriptor == &google__protobuf__timestamp__descriptor ||
            !pbwalk_field_set(in->message, fd))
            continue;
        if (pbwalk_leaves(*(ProtobufCMessage **)((char *)in->message + fd->offset), &fd, 1,
                          &credit__v1__date__descriptor, undeclared_leaf, &u) != 0 ||
            u.bad) {
            bad = -1;
            if (!f->collecting)
                return -1;
        }
    }
    return check_extra(&c) != 0 || bad ? -1 : 0;
}

/* A decision date, when given, is not in the future. */
static int check_decided(check_failure *f, const char *field, const Credit__V1__Date *d,
                         const Credit__V1__Date *today)
{
    return d ? check_past_date(f, field, d, today) : 0;
}

/* An optional validity window in the right order. */
static int check_validity(check_failure *f, const char *field, const Credit__V1__Date *from,
                          const Credit__V1__Date *to)
{
    char a[DATE_LEN], b[DATE_LEN];

    if (from && to && calendar_date_cmp(to, from) < 0)
        return reject(f, INVALID, REASON_OUT_OF_ORDER, field, "%s is before valid_from, %s",
                      date_str(to, a), date_str(from, b));
    return 0;
}

/* 9. An administrative licence: the catalogue has checked its values one by one. */
static int check_licence(const Credit__V1__Licence *l, const Credit__V1__Date *today,
                         check_failure *f)
{
    if (check_decided(f, "licence.decision_date", l->decision_date, today) != 0)
        return -1;
    return check_validity(f, "licence.valid_to", l->valid_from, l->valid_to);
}

/* 9. Any other category's action. */
static int check_action(const Credit__V1__Action *a, const Credit__V1__Date *today,
                        check_failure *f)
{
    if (check_decided(f, "action.decision_date", a->decision_date, today) != 0)
        return -1;
    return check_validity(f, "action.valid_to", a->valid_from, a->valid_to);
}

/* 9. An administrative penalty. Its end of publicity, when given, must fall in its severity's
 * window; when not given the node fills in the window's end (publicity_default_end). */
static int check_penalty(const Credit__V1__Penalty *p, const catalog_section *sec,
                         const Credit__V1__Date *today, check_failure *f)
{
    char a[DATE_LEN], b[DATE_LEN], c[DATE_LEN];
    int min_m, max_m;

    if (check_past_date(f, "penalty.decision_date", p->decision_date, today) != 0)
        return -1;
    if (p->severity == CREDIT__V1__SEVERITY__SEVERITY_UNSPECIFIED)
        return reject(f, INVALID, REASON_REQUIRED, "penalty.severity",
                      "is required: SEVERITY_MINOR, SEVERITY_GENERAL or SEVERITY_SERIOUS, which "
                      "sets the publicity period");
    if (!enum_name(&credit__v1__severity__descriptor, p->severity))
        return unknown_enum(f, "penalty.severity", &credit__v1__severity__descriptor,
                            p->severity);
    if (publicity_window(sec, p->severity, &min_m, &max_m) != 0)
        return reject(f, INVALID, REASON_NOT_ALLOWED, "penalty.severity",
                      "%s has no publicity window in section %s",
                      enum_name(&credit__v1__severity__descriptor, p->severity), sec->s->code);
    if (p->valid_until && calendar_date_cmp(p->valid_until, p->decision_date) < 0)
        return reject(f, INVALID, REASON_OUT_OF_ORDER, "penalty.valid_until",
                      "%s is before the decision date, %s", date_str(p->valid_until, a),
                      date_str(p->decision_date, b));
    if (p->publicity_end_date) {
        Credit__V1__Date lo, hi;

        calendar_add_months(p->decision_date, min_m, &lo);
        calendar_add_months(p->decision_date, max_m, &hi);
        if (calendar_date_cmp(p->publicity_end_date, &lo) < 0 ||
            calendar_date_cmp(p->publicity_end_date, &hi) > 0)
            return reject(f, INVALID, REASON_OUTSIDE_WINDOW, "penalty.publicity_end_date",
                          "%s is outside the window of a %s penalty: from %s to %s (%d to %d "
                          "months after the decision)",
                          date_str(p->publicity_end_date, a),
                          enum_name(&credit__v1__severity__descriptor, p->severity),
                          date_str(&lo, b), date_str(&hi, c), min_m, max_m);
    }
    return 0;
}

/* The other bodies: their dates are not in the future. */
static int check_other_body(const record_view *in, const Credit__V1__Date *today,
                            check_failure *f)
{
    const ProtobufCMessageDescriptor *d = in->body_field->descriptor;

    if (d == &credit__v1__declaration__descriptor)
        return check_decided(f, "declaration.conduct_date",
                             ((const Credit__V1__Declaration *)in->body)->conduct_date, today);
    if (d == &credit__v1__governance__descriptor) {
        /* Governance is the association's own: the record is filed under it. */
        if (in->association && in->subject &&
            strcmp(in->subject->identifier, in->association->uscc) != 0)
            return reject(f, INVALID, REASON_CONTRADICTS, "subject.identifier",
                          "a governance record is about the association itself: give its code, "
                          "association.uscc");
        return check_decided(f, "governance.reported_on",
                             ((const Credit__V1__Governance *)in->body)->reported_on, today);
    }
    if (d == &credit__v1__member_info__descriptor)
        return check_decided(f, "member.evaluated_on",
                             ((const Credit__V1__MemberInfo *)in->body)->evaluated_on, today);
    if (d == &credit__v1__voluntary_claim__descriptor) {
        const Credit__V1__VoluntaryClaim *c = (const Credit__V1__VoluntaryClaim *)in->body;
        const Credit__V1__Evidence *e = c->evidence;

        /* The digest's form (64 lower-case hex digits) is the catalogue's pattern. */
        if (check_decided(f, "claim.claimed_on", c->claimed_on, today) != 0)
            return -1;
        return e ? check_decided(f, "claim.evidence.issued_on", e->issued_on, today) : 0;
    }
    return 0;
}

#define MEMBER(m, fd, type) (*(type const *)((const char *)(m) + (fd)->offset))

int record_view_of(const ProtobufCMessage *in, int catalogue, record_view *v)
{
    const ProtobufCMessageDescriptor *d = in->descriptor;
    const ProtobufCFieldDescriptor *fd;
    record_view r;

    memset(&r, 0, sizeof r);
    r.message = in;
    r.catalogue = catalogue;
    fd = protobuf_c_message_descriptor_get_field_by_name(d, "source_record_id");
    if (!fd || fd->type != PROTOBUF_C_TYPE_STRING)
        return -1;
    r.source_record_id = MEMBER(in, fd, char *);
    if ((fd = protobuf_c_message_descriptor_get_field_by_name(d, "category")))
        r.category = MEMBER(in, fd, int);
    if ((fd = protobuf_c_message_descriptor_get_field_by_name(d, "section")))
        r.section = MEMBER(in, fd, char *);
    if ((fd = protobuf_c_message_descriptor_get_field_by_name(d, "subject")))
        r.subject = MEMBER(in, fd, Credit__V1__Subject *);
    if ((fd = protobuf_c_message_descriptor_get_field_by_name(d, "association")))
        r.association = MEMBER(in, fd, Credit__V1__AssociationRef *);
    if ((fd = protobuf_c_message_descriptor_get_field_by_name(d, "channel")))
        r.channel = MEMBER(in, fd, int);
    if ((fd = protobuf_c_message_descriptor_get_field_by_name(d, "occurred_at")))
        r.occurred_at = MEMBER(in, fd, Google__Protobuf__Timestamp *);
    if ((fd = protobuf_c_message_descriptor_get_field_by_name(d, "extra")) &&
        fd->label == PROTOBUF_C_LABEL_REPEATED) {
        r.n_extra = *(const size_t *)((const char *)in + fd->quantifier_offset);
        r.extra = MEMBER(in, fd, record_extra_entry **);
    }
    /* The body: the member of the input's oneof that is set (every input has one oneof). */
    for (unsigned i = 0; i < d->n_fields; i++) {
        fd = &d->fields[i];
        if (!(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        r.body_case = *(const uint32_t *)((const char *)in + fd->quantifier_offset);
        if (r.body_case == fd->id) {
            r.body_field = fd;
            r.body = MEMBER(in, fd, ProtobufCMessage *);
        }
    }
    *v = r;
    return 0;
}

int record_check(const record_view *in, const check_unit *unit, const catalog_version *cv,
                 const Credit__V1__Date *today, check_failure *f)
{
    const catalog_section *sec = NULL;
    check_failure work, *caller = f;

    assert(in && unit && cv && today);
    f = &work;
    /* Every fault, not the first: each check below runs whatever the ones before found,
     * except where it needs what failed (the section, the unit's right to it, the body). */
    f->collecting = 1;
    f->n_faults = 0;
    int bad = check_source_record_id(in, f) != 0;
    if (find_section(in, cv, &sec, f) != 0 || check_responsibility(in, unit, sec, f) != 0 ||
        check_body(in, sec, f) != 0) {
        bad = 1;
        goto out;
    }
    bad |= check_channel(in, unit, f) != 0;
    bad |= check_subject(in->subject, f) != 0;
    bad |= in->subject && check_representative(in->subject, f) != 0;
    bad |= check_dimensions(in, sec, today, f) != 0;
    /* check_body has made sure the body is the section's. */
    if (in->body_field->descriptor == &credit__v1__licence__descriptor)
        bad |= check_licence((const Credit__V1__Licence *)in->body, today, f) != 0;
    else if (in->body_field->descriptor == &credit__v1__penalty__descriptor)
        bad |= check_penalty((const Credit__V1__Penalty *)in->body, sec, today, f) != 0;
    else if (in->body_field->descriptor == &credit__v1__action__descriptor)
        bad |= check_action((const Credit__V1__Action *)in->body, today, f) != 0;
    else
        bad |= check_other_body(in, today, f) != 0;
out:
    if (!bad && f->n_faults == 0)
        return 0; /* the caller's f untouched */
    if (caller) {
        if (f->n_faults == 0) /* never: every failing check names its fault */
            record_check_fail(f, INVALID, REASON_OTHER, "", "is not accepted");
        work.collecting = 0;
        *caller = work;
    }
    return -1;
}

int record_check_input(const Credit__V1__PublicRecordInput *in, const check_unit *unit,
                       const catalog_version *cv, const Credit__V1__Date *today,
                       check_failure *f)
{
    record_view v;

    record_view_of(&in->base, CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, &v);
    return record_check(&v, unit, cv, today, f);
}

/* --- Industrial samples ------------------------------------------------------------------- */

int record_numeric_type(int type)
{
    return type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DECIMAL ||
           type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_INTEGER ||
           type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_AMOUNT_FEN;
}

/* The sample's metric: a numeric dimension of its section, and its value that dimension's. */
static int check_metric(const Credit__V1__Sample *in, const catalog_version *cv,
                        const catalog_section *sec, const catalog_dim **dim_out, check_failure *f)
{
    const catalog_dim *dim = catalog_dim_by_code(sec, in->metric);
    check_failure one;

    if (!dim)
        return reject(f, INVALID, REASON_NOT_A_DIMENSION, "metric",
                      "section %s has no metric \"%.64s\"", sec->s->code, in->metric);
    if (!record_numeric_type(dim->d->type))
        return reject(f, INVALID, REASON_WRONG_TYPE, "metric",
                      "%s is %s, not a numeric metric (VALUE_TYPE_DECIMAL, VALUE_TYPE_INTEGER or "
                      "VALUE_TYPE_AMOUNT_FEN)",
                      dim->d->code, catalog_type_name(dim->d->type));
    *dim_out = dim;
    /* Finite, whole unless decimal, and within the metric's bounds: the catalogue's. */
    if (record_check_number(dim, cv->msg->version, "value", in->value, &one) != 0)
        return reject(f, one.code, one.reason_code, one.field, "%s", one.reason);
    return 0;
}

/* When the sample's period starts: a real instant, a whole second, not before 1970 nor more
 * than a day ahead of `now`; the period at most 31 days. */
static int check_period(const Credit__V1__Sample *in, int64_t now, check_failure *f)
{
    const Google__Protobuf__Timestamp *ps = in->period_start;
    int bad = 0, kind;

    if (!ps)
        bad = reject(f, INVALID, REASON_REQUIRED, "period_start", "is required");
    else if (record_timestamp_mistake(ps, &kind))
        bad = reject(f, INVALID, kind, "period_start", "%s", record_timestamp_mistake(ps, NULL));
    else if (ps->nanos != 0)
        bad = reject(f, INVALID, REASON_OUT_OF_RANGE, "period_start",
                     "must be a whole second (nanos 0): a sample is keyed by its second");
    else if (ps->seconds < 0)
        bad = reject(f, INVALID, REASON_OUT_OF_RANGE, "period_start",
                     "is before 1970-01-01T00:00:00Z");
    else if (ps->seconds > now + RECORD_SAMPLE_AHEAD_MAX)
        bad = reject(f, INVALID, REASON_FUTURE_DATE, "period_start",
                     "is more than a day in the future");
    if (in->period_seconds > RECORD_SAMPLE_PERIOD_MAX)
        bad = reject(f, INVALID, REASON_OUT_OF_RANGE, "period_seconds",
                     "%u is more than 31 days (%u seconds)", in->period_seconds,
                     RECORD_SAMPLE_PERIOD_MAX);
    return bad;
}

int record_check_sample(const Credit__V1__Sample *in, const check_unit *unit,
                        const catalog_version *cv, int64_t now, const catalog_section **sec_out,
                        const catalog_dim **dim_out, check_failure *f)
{
    const catalog_section *sec = NULL;
    const catalog_dim *dim = NULL;
    check_failure work;
    int bad = 0, open = 0; /* open: the section is known and the unit responsible for it */

    assert(in && unit && cv);
    work.collecting = 1; /* every fault, as record_check */
    work.n_faults = 0;
    if (check_uscc(&work, "enterprise_uscc", in->enterprise_uscc, 1) != 0)
        bad = -1;
    /* Codes are quoted in the reasons below: the text rule first (text.h). */
    if (check_text(&work, "section", in->section, SHORT_MAX, REQUIRED) != 0)
        bad = -1;
    else if (!(sec = catalog_find_section(cv, CREDIT__V1__CATALOGUE__CATALOGUE_INDUSTRIAL,
                                          in->section)))
        bad = reject(&work, INVALID, REASON_UNKNOWN_SECTION, "section",
                     "the INDUSTRIAL catalogue (version %u) has no section \"%.64s\"",
                     cv->msg->version, in->section);
    else if (!catalog_responsible(sec, unit->code, unit->kind))
        bad = reject(&work, DENIED, REASON_NOT_RESPONSIBLE, "section",
                     "unit %.64s is not responsible for section %s",
                     unit->code ? unit->code : "(unnamed)", sec->s->code);
    else
        open = 1;
    /* The metric is looked up in its section: without the section only its text is checked. */
    if (check_text(&work, "metric", in->metric, SHORT_MAX, REQUIRED) != 0 ||
        (open && check_metric(in, cv, sec, &dim, &work) != 0))
        bad = -1;
    if (check_period(in, now, &work) != 0)
        bad = -1;
    if (!bad && work.n_faults == 0) {
        *sec_out = sec;
        *dim_out = dim;
        return 0;
    }
    if (f) {
        work.collecting = 0;
        *f = work;
    }
    return -1;
}
