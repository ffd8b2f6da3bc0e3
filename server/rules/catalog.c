/*
 * catalog.c — see catalog.h.
 *
 * Compiling a version walks it once, in file order, and stops at the first fault with a message
 * that names where it is ("catalogue PUBLIC, section PENALTY, dimension fine_amount: ..."), so
 * that whoever edits the seed file or files a change request can find the entry. The compiled
 * form only points into the version's own message, which it owns.
 *
 * The node knows which messages carry which catalogue (the inputs table): that is the list of
 * "compiled descriptors" a field path must resolve in. A path resolves in the input message a
 * source pushes and again in the record the node stores, where the subject sits under meta.
 */
#include "catalog.h"
#include "portrait.h"
#include "pbwalk.h"
#include "versions.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credit/v1/association.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "credit/v1/service_unit.pb-c.h"
#include "credit/v1/unit.pb-c.h"
#include "credit/v1/voluntary.pb-c.h"
#include "pb.h"
#include "textproto.h"
#include "utf8.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define CODE_MAX        64
#define PUBLICITY_LIMIT 120 /* months: no window may run longer than ten years */
#define VALUE_MAX       200 /* bytes of a condition's or an allowed value: a VALUE_TYPE_TEXT's most */
#define EXACT_MAX       9007199254740992.0 /* 2^53: whole numbers up to it are exact doubles */

/* The messages that carry a catalogue's records: what a source pushes, what the node stores. */
static const struct {
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *stored;
} inputs[] = {
    {&credit__v1__public_record_input__descriptor, &credit__v1__record__descriptor},
    {&credit__v1__service_unit_record_input__descriptor, &credit__v1__record__descriptor},
    {&credit__v1__association_record_input__descriptor, &credit__v1__record__descriptor},
    {&credit__v1__voluntary_record_input__descriptor, &credit__v1__record__descriptor},
};

/* Fields the node's own logic reads: they must stay required dimensions whatever the
 * catalogue says. body "" means a common dimension of the catalogue. */
static const struct {
    int catalogue;
    const char *body;
    const char *field;
} structural[] = {
    {CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "", "subject.kind"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "", "subject.name"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "", "subject.identifier"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "penalty", "penalty.decision_date"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "penalty", "penalty.severity"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT, "", "subject.kind"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT, "", "subject.name"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT, "", "subject.identifier"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION, "", "subject.kind"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION, "", "subject.name"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION, "", "subject.identifier"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION, "", "association.name"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION, "", "association.uscc"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY, "", "subject.kind"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY, "", "subject.name"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY, "", "subject.identifier"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY, "claim", "claim.evidence.document_digest"},
    {CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY, "claim", "claim.evidence.issuer"},
};

struct catalog {
    pthread_mutex_t mu;    /* guards v, n and cap; the versions themselves never change */
    catalog_version **v;   /* v[i] is version i + 1 */
    size_t n, cap;
    int seed_differs;      /* set once at open: the seed is not what version 1 holds */
};

/* --- Names -------------------------------------------------------------------------------- */

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v, size_t skip)
{
    const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value(d, v);

    if (!e)
        return "?";
    return strlen(e->name) > skip ? e->name + skip : e->name;
}

const char *catalog_catalogue_name(int catalogue)
{
    return enum_name(&credit__v1__catalogue__descriptor, catalogue, strlen("CATALOGUE_"));
}

const char *catalog_tier_name(int tier)
{
    return enum_name(&credit__v1__tier__descriptor, tier, 0);
}

const char *catalog_type_name(int type)
{
    return enum_name(&credit__v1__value_type__descriptor, type, 0);
}

/* --- Faults ------------------------------------------------------------------------------- */

/* snprintf into buf[cap], where cutting a long message short is the intended behaviour. */
static void say(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

/* Where compiling is: "catalogue PUBLIC, section PENALTY, dimension fine_amount". */
typedef struct where {
    const char *catalogue;
    const char *section; /* NULL: the catalogue itself; "" the common dimensions */
    const char *dim;
    char *err;
} where;

static int fault(const where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fault(const where *w, const char *fmt, ...)
{
    char msg[CATALOG_ERR_LEN], at[256] = "", part[96];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->catalogue)
        say(at, sizeof at, "catalogue %.40s", w->catalogue);
    if (w->section) {
        say(part, sizeof part, ", %s%.64s", *w->section ? "section " : "common dimensions",
            w->section);
        strncat(at, part, sizeof at - strlen(at) - 1);
    }
    if (w->dim) {
        say(part, sizeof part, ", dimension %.64s", w->dim);
        strncat(at, part, sizeof at - strlen(at) - 1);
    }
    say(w->err, CATALOG_ERR_LEN, "%s%s%s", at, *at ? ": " : "", msg);
    return -1;
}

/* --- Field paths -------------------------------------------------------------------------- */

static int is_date(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor == &credit__v1__date__descriptor;
}

static int is_timestamp(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_MESSAGE &&
           f->descriptor == &google__protobuf__timestamp__descriptor;
}

/* Resolves dotted `path` in message type d into fs[], at most CATALOG_PATH_MAX segments.
 * Returns the depth, or 0 with why[160] filled. */
static size_t resolve(const ProtobufCMessageDescriptor *d, const char *path,
                      const ProtobufCFieldDescriptor **fs, char *why)
{
    char seg[CODE_MAX + 1];
    const char *p = path;
    size_t depth = 0;

    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        const ProtobufCFieldDescriptor *f;

        if (len == 0 || len > CODE_MAX) {
            say(why, 160, "\"%.100s\" is not a field path", path);
            return 0;
        }
        if (depth == CATALOG_PATH_MAX) {
            say(why, 160, "\"%.100s\" is deeper than %d fields", path, CATALOG_PATH_MAX);
            return 0;
        }
        memcpy(seg, p, len);
        seg[len] = '\0';
        f = protobuf_c_message_descriptor_get_field_by_name(d, seg);
        if (!f) {
            say(why, 160, "%.64s has no field \"%.64s\"", d->name, seg);
            return 0;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            say(why, 160, "%.64s.%.64s is repeated; a dimension is one value", d->name,
                     seg);
            return 0;
        }
        fs[depth++] = f;
        if (!dot)
            break;
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || is_date(f)) {
            say(why, 160, "%.64s.%.64s holds no fields", d->name, seg);
            return 0;
        }
        d = f->descriptor;
        p = dot + 1;
    }
    if (fs[depth - 1]->type == PROTOBUF_C_TYPE_MESSAGE && !is_date(fs[depth - 1]) &&
        !is_timestamp(fs[depth - 1])) {
        say(why, 160, "\"%.100s\" is a message, not a value", path);
        return 0;
    }
    return depth;
}

/* Whether a field of proto type `pt` can hold a value of catalogue type `vt`. */
static int fits(int vt, const ProtobufCFieldDescriptor *f)
{
    switch (vt) {
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TEXT:
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_LONG_TEXT:
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_USCC:
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_IDENTIFIER:
        return f->type == PROTOBUF_C_TYPE_STRING;
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DATE:
        return is_date(f);
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_AMOUNT_FEN:
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_INTEGER:
        return f->type == PROTOBUF_C_TYPE_INT64 || f->type == PROTOBUF_C_TYPE_INT32 ||
               f->type == PROTOBUF_C_TYPE_SINT64 || f->type == PROTOBUF_C_TYPE_SINT32 ||
               f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_UINT64;
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DECIMAL:
        return f->type == PROTOBUF_C_TYPE_DOUBLE || f->type == PROTOBUF_C_TYPE_FLOAT;
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_BOOL:
        return f->type == PROTOBUF_C_TYPE_BOOL;
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_ENUM:
        return f->type == PROTOBUF_C_TYPE_ENUM;
    case CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TIMESTAMP:
        return is_timestamp(f);
    default:
        return 0;
    }
}

static int is_number_type(int vt)
{
    return vt == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_INTEGER ||
           vt == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DECIMAL ||
           vt == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_AMOUNT_FEN;
}

/* Text a condition can compare exactly. */
static int is_text_type(int vt)
{
    return vt == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TEXT ||
           vt == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_LONG_TEXT ||
           vt == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_USCC ||
           vt == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_IDENTIFIER;
}

/* Numbers and yes/no: proto3 cannot tell zero or false from a missing value. */
static int presence_unknowable(const ProtobufCFieldDescriptor *f)
{
    return f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE &&
           f->type != PROTOBUF_C_TYPE_ENUM;
}

static int code_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > CODE_MAX || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

static int section_code_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > CODE_MAX || s[0] < 'A' || s[0] > 'Z')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

/* --- Compiling ---------------------------------------------------------------------------- */

/* Whether s is a value a condition or allowed_values may hold: 1 to VALUE_MAX bytes of UTF-8
 * without control characters, as a VALUE_TYPE_TEXT value is; the node serves it back as a string.
 */
static int value_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;

    if (n == 0 || n > VALUE_MAX)
        return 0;
    while (i < n) {
        uint32_t c;
        size_t len = utf8_decode(p + i, n - i, &c);

        if (len == 0 || c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
            return 0;
        i += len;
    }
    return 1;
}

/* A bound of dimension d: finite, and for whole-number types whole and exact. */
static int check_bound(const Credit__V1__Dimension *d, const char *name, const Credit__V1__Bound *b,
                       where *w)
{
    if (!isfinite(b->value))
        return fault(w, "%s must be a finite number", name);
    if (d->type != CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DECIMAL &&
        (b->value > EXACT_MAX || b->value < -EXACT_MAX ||
         b->value != (double)(int64_t)b->value)) /* in range of int64_t: checked first */
        return fault(w, "%s %g must be a whole number of at most 2^53 in magnitude: %s is whole",
                     name, b->value, catalog_type_name(d->type));
    return 0;
}

/* A pattern's text: short printable ASCII without back-references (\1 to \9), which would
 * make matching costly; then compiled, anchored, into out->re. */
static int compile_pattern(const Credit__V1__Dimension *d, catalog_dim *out, where *w)
{
    char anchored[CATALOG_PATTERN_MAX + 8], msg[160];
    size_t n = strlen(d->pattern);
    int rc;

    if (n > CATALOG_PATTERN_MAX)
        return fault(w, "pattern is %zu bytes long; at most %d are allowed", n,
                     CATALOG_PATTERN_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d->pattern[i];

        if (c < 0x20 || c > 0x7e)
            return fault(w, "pattern: byte %zu is not printable ASCII", i + 1);
        if (c == '\\' && i + 1 < n && d->pattern[i + 1] >= '1' && d->pattern[i + 1] <= '9')
            return fault(w, "pattern \"%.128s\": back-references are not allowed", d->pattern);
    }
    snprintf(anchored, sizeof anchored, "^(%s)$", d->pattern);
    out->re = malloc(sizeof *out->re);
    if (!out->re)
        return fault(w, "out of memory");
    rc = regcomp(out->re, anchored, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        regerror(rc, out->re, msg, sizeof msg);
        free(out->re);
        out->re = NULL;
        return fault(w, "pattern \"%.128s\" is not a POSIX extended regular expression: %s",
                     d->pattern, msg);
    }
    return 0;
}

/* The rules a dimension carries beyond its type: bounds, allowed values, a pattern, and the
 * form of its conditions (what they name is resolved by resolve_when once every dimension of
 * the section is compiled). leaf: the typed field, or NULL for an extra dimension. */
static int compile_rules(const Credit__V1__Dimension *d, const ProtobufCFieldDescriptor *leaf,
                         catalog_dim *out, where *w)
{
    const char *type = catalog_type_name(d->type);

    if (d->n_required_when > 0) {
        if (d->required)
            return fault(w, "required and required_when exclude each other: a required "
                         "dimension is required whatever the conditions");
        if (d->n_required_when > CATALOG_WHEN_MAX)
            return fault(w, "required_when has %zu conditions; at most %d are allowed",
                         d->n_required_when, CATALOG_WHEN_MAX);
        if (leaf && presence_unknowable(leaf))
            return fault(w, "field \"%.100s\" is a number or yes/no, and proto3 cannot tell "
                         "zero from missing: it cannot be required, with conditions or without",
                         d->field);
        for (size_t i = 0; i < d->n_required_when; i++) {
            const Credit__V1__Condition *c = d->required_when[i];

            if (!*c->field)
                return fault(w, "required_when[%zu]: field is required: the field path of "
                             "another dimension", i);
            if (c->n_equals > CATALOG_EQUALS_MAX)
                return fault(w, "required_when[%zu]: %zu values; at most %d are allowed", i,
                             c->n_equals, CATALOG_EQUALS_MAX);
        }
    }
    if (d->minimum || d->maximum) {
        if (!is_number_type(d->type))
            return fault(
                w,
                "minimum and maximum are for numbers (VALUE_TYPE_INTEGER, VALUE_TYPE_DECIMAL, "
                "VALUE_TYPE_AMOUNT_FEN), not %s",
                type);
        if ((d->minimum && check_bound(d, "minimum", d->minimum, w) != 0) ||
            (d->maximum && check_bound(d, "maximum", d->maximum, w) != 0))
            return -1;
        if (d->minimum && d->maximum && d->minimum->value > d->maximum->value)
            return fault(w, "minimum %g is above maximum %g", d->minimum->value,
                         d->maximum->value);
    }
    if (d->n_allowed_values > 0) {
        if (d->type != CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TEXT &&
            d->type != CREDIT__V1__VALUE_TYPE__VALUE_TYPE_ENUM)
            return fault(w, "allowed_values are for VALUE_TYPE_TEXT and VALUE_TYPE_ENUM, not %s",
                         type);
        if (d->n_allowed_values > CATALOG_ALLOWED_MAX)
            return fault(w, "allowed_values has %zu values; at most %d are allowed",
                         d->n_allowed_values, CATALOG_ALLOWED_MAX);
        for (size_t i = 0; i < d->n_allowed_values; i++) {
            const char *a = d->allowed_values[i];

            if (!value_ok(a))
                return fault(w, "allowed_values[%zu] must be 1 to %d bytes of UTF-8 without "
                             "control characters", i, VALUE_MAX);
            if (leaf && leaf->type == PROTOBUF_C_TYPE_ENUM &&
                !protobuf_c_enum_descriptor_get_value_by_name(leaf->descriptor, a))
                return fault(w, "allowed_values[%zu] \"%.64s\" is not a value of %s", i, a,
                             ((const ProtobufCEnumDescriptor *)leaf->descriptor)->name);
        }
    }
    if (d->n_labels > 0) {
        /* Labels are for people's files (creditctl push); the node never reads them, but it
         * keeps them exact: each names a value of the field's enum, once. */
        if (d->type != CREDIT__V1__VALUE_TYPE__VALUE_TYPE_ENUM)
            return fault(w, "labels are for VALUE_TYPE_ENUM, not %s", type);
        if (d->n_labels > CATALOG_ALLOWED_MAX)
            return fault(w, "labels has %zu entries; at most %d are allowed", d->n_labels,
                         CATALOG_ALLOWED_MAX);
        for (size_t i = 0; i < d->n_labels; i++) {
            const Credit__V1__ValueLabel *l = d->labels[i];

            if (!value_ok(l->label) || !value_ok(l->value))
                return fault(w, "labels[%zu]: value and label must each be 1 to %d bytes of "
                             "UTF-8 without control characters", i, VALUE_MAX);
            if (leaf && leaf->type == PROTOBUF_C_TYPE_ENUM &&
                !protobuf_c_enum_descriptor_get_value_by_name(leaf->descriptor, l->value))
                return fault(w, "labels[%zu]: \"%.64s\" is not a value of %s", i, l->value,
                             ((const ProtobufCEnumDescriptor *)leaf->descriptor)->name);
            for (size_t j = 0; j < i; j++)
                if (strcmp(d->labels[j]->label, l->label) == 0)
                    return fault(w, "labels[%zu]: the label \"%.64s\" is given twice", i,
                                 l->label);
        }
    }
    if (*d->pattern) {
        if (d->type != CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TEXT)
            return fault(w, "a pattern is for VALUE_TYPE_TEXT codes, not %s", type);
        return compile_pattern(d, out, w);
    }
    return 0;
}

/* The dimension in dims[0..n) or others[0..n_others) with field path `field`, or NULL. */
static const catalog_dim *dim_with_field(const catalog_dim *dims, size_t n,
                                         const catalog_dim *others, size_t n_others,
                                         const char *field)
{
    for (size_t i = 0; i < n + n_others; i++) {
        const catalog_dim *c = i < n ? &dims[i] : &others[i - n];

        if (*c->d->field && strcmp(c->d->field, field) == 0)
            return c;
    }
    return NULL;
}

/* Resolves each dimension's conditions among dims and others (a section's own dimensions and
 * the common ones; for the common ones, only themselves) and checks the values they compare. */
static int resolve_when(catalog_dim *dims, size_t n, const catalog_dim *others, size_t n_others,
                        where *w)
{
    for (size_t i = 0; i < n; i++) {
        const Credit__V1__Dimension *d = dims[i].d;

        w->dim = d->code;
        for (size_t k = 0; k < d->n_required_when; k++) {
            const Credit__V1__Condition *c = d->required_when[k];
            const catalog_dim *o = dim_with_field(dims, n, others, n_others, c->field);
            const ProtobufCFieldDescriptor *leaf;

            if (!o)
                return fault(w, "required_when[%zu]: \"%.100s\" is not the field of a typed "
                             "dimension of %s", k, c->field,
                             others ? "the section or the common ones" : "the common ones");
            if (o == &dims[i])
                return fault(w, "required_when[%zu]: a dimension cannot depend on itself", k);
            leaf = o->in[o->depth - 1];
            for (size_t j = 0; j < c->n_equals; j++) {
                const char *e = c->equals[j];
                int t = o->d->type;

                if (t == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_ENUM) {
                    if (!protobuf_c_enum_descriptor_get_value_by_name(leaf->descriptor, e))
                        return fault(w, "required_when[%zu]: \"%.64s\" is not a value of %s",
                                     k, e,
                                     ((const ProtobufCEnumDescriptor *)leaf->descriptor)->name);
                } else if (t == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_BOOL) {
                    if (strcmp(e, "true") != 0 && strcmp(e, "false") != 0)
                        return fault(w, "required_when[%zu]: %.100s is yes/no: compare it "
                                     "with \"true\" or \"false\"", k, c->field);
                } else if (is_text_type(t)) {
                    if (!value_ok(e))
                        return fault(w, "required_when[%zu]: values must be 1 to %d bytes of "
                                     "UTF-8 without control characters", k, VALUE_MAX);
                } else {
                    return fault(w, "required_when[%zu]: %.100s is %s, which a condition can "
                                 "only test for being given (no equals)", k, c->field,
                                 catalog_type_name(t));
                }
            }
            dims[i].when[k] = o;
        }
    }
    w->dim = NULL;
    return 0;
}

static int compile_dim(const catalog_def *def, const Credit__V1__Section *sec,
                       const Credit__V1__Dimension *d, catalog_dim *out, where *w)
{
    char why[160], alt[CODE_MAX * CATALOG_PATH_MAX + 8];

    w->dim = d->code;
    if (!code_ok(d->code))
        return fault(w, "code \"%.64s\" must be 1 to 64 of a-z, 0-9 and _, starting with a letter",
                     d->code);
    if (!d->name || !*d->name)
        return fault(w, "name is required");
    if (!protobuf_c_enum_descriptor_get_value(&credit__v1__value_type__descriptor, d->type) ||
        d->type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_UNSPECIFIED)
        return fault(w, "type %d is not a value type", (int)d->type);
    if (!protobuf_c_enum_descriptor_get_value(&credit__v1__tier__descriptor, d->tier) ||
        d->tier == CREDIT__V1__TIER__TIER_UNSPECIFIED)
        return fault(w, "tier is required: TIER_OPEN, TIER_AUTHORIZED or TIER_GOVERNMENT");
    memset(out, 0, sizeof *out);
    out->d = d;
    if (!*d->field) {
        if (d->type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_ENUM ||
            d->type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_IDENTIFIER ||
            d->type == CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TIMESTAMP)
            return fault(w, "%s needs a typed field; an extra dimension cannot have it",
                         catalog_type_name(d->type));
        return compile_rules(d, NULL, out, w);
    }
    if (!def->input)
        return fault(w, "field \"%.100s\": catalogue %s has no input message yet; its "
                     "dimensions travel in extra and have no field",
                     d->field, catalog_catalogue_name(def->d->catalogue));
    out->depth = resolve(def->input, d->field, out->in, why);
    if (out->depth == 0)
        return fault(w, "field %s", why);
    if (out->in[0]->type != PROTOBUF_C_TYPE_MESSAGE)
        return fault(w, "field \"%.100s\" is part of the envelope, not a dimension", d->field);
    if (sec) {
        /* A section's own dimensions live in its body. */
        size_t blen = strlen(sec->body);

        if (!*sec->body || strncmp(d->field, sec->body, blen) != 0 || d->field[blen] != '.')
            return fault(w, "field \"%.100s\" is outside the section's body \"%.64s\"", d->field,
                         sec->body);
    } else if (out->in[0]->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        return fault(w, "field \"%.100s\" is in a body; a common dimension cannot be", d->field);
    }
    if (!fits(d->type, out->in[out->depth - 1]))
        return fault(w, "field \"%.100s\" cannot hold a %s value", d->field,
                     catalog_type_name(d->type));
    if (d->required && presence_unknowable(out->in[out->depth - 1]))
        return fault(w, "field \"%.100s\" is a number or yes/no, and proto3 cannot tell zero "
                     "from missing: it cannot be required",
                     d->field);
    out->rec_depth = resolve(def->stored, d->field, out->rec, why);
    if (out->rec_depth == 0) {
        snprintf(alt, sizeof alt, "meta.%s", d->field);
        out->rec_depth = resolve(def->stored, alt, out->rec, why);
    }
    if (out->rec_depth == 0)
        return fault(w, "field \"%.100s\" has no place in the stored %.64s", d->field,
                     def->stored->name);
    return compile_rules(d, out->in[out->depth - 1], out, w);
}

/* Compiles dims[0..n) into *out, checking codes and fields unique together with `others`. */
static int compile_dims(const catalog_def *def, const Credit__V1__Section *sec,
                        Credit__V1__Dimension *const *dims, size_t n, const catalog_dim *others,
                        size_t n_others, catalog_dim **out, size_t *n_out, where *w)
{
    catalog_dim *cd = calloc(n ? n : 1, sizeof *cd);

    if (!cd)
        return fault(w, "out of memory");
    *out = cd;
    *n_out = n; /* so that free_def finds the patterns compiled so far */
    for (size_t i = 0; i < n; i++) {
        if (compile_dim(def, sec, dims[i], &cd[i], w) != 0)
            return -1;
        for (size_t j = 0; j < i + n_others; j++) {
            const Credit__V1__Dimension *o = j < i ? cd[j].d : others[j - i].d;

            if (strcmp(o->code, dims[i]->code) == 0)
                return fault(w, "code \"%s\" is used twice", o->code);
            if (*o->field && strcmp(o->field, dims[i]->field) == 0)
                return fault(w, "field \"%.100s\" is also dimension %s", o->field, o->code);
        }
    }
    return resolve_when(cd, n, others, n_others, w);
}

static int check_publicity(const Credit__V1__Section *s, where *w)
{
    for (size_t i = 0; i < s->n_publicity; i++) {
        const Credit__V1__PublicityWindow *p = s->publicity[i];

        if (p->severity == CREDIT__V1__SEVERITY__SEVERITY_UNSPECIFIED ||
            !protobuf_c_enum_descriptor_get_value(&credit__v1__severity__descriptor, p->severity))
            return fault(w,
                         "publicity[%zu]: severity is required: SEVERITY_MINOR, SEVERITY_GENERAL "
                         "or SEVERITY_SERIOUS",
                         i);
        if (p->min_months > p->max_months || p->max_months > PUBLICITY_LIMIT)
            return fault(w, "publicity %s: %u to %u months is not a window (at most %d)",
                         enum_name(&credit__v1__severity__descriptor, p->severity, 0),
                         p->min_months, p->max_months, PUBLICITY_LIMIT);
        for (size_t j = 0; j < i; j++) {
            if (s->publicity[j]->severity == p->severity)
                return fault(w, "publicity %s is given twice",
                             enum_name(&credit__v1__severity__descriptor, p->severity, 0));
        }
    }
    return 0;
}

/* --- Dimensions by field path ------------------------------------------------------------ */

static const ProtobufCFieldDescriptor *const *chain_of(const catalog_dim *d, int stored,
                                                       size_t *depth)
{
    *depth = stored ? d->rec_depth : d->depth;
    return stored ? d->rec : d->in;
}

static size_t chain_hash(const ProtobufCFieldDescriptor *const *chain, size_t depth)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ depth;
    for (size_t i = 0; i < depth; i++) {
        h ^= (uint64_t)(uintptr_t)chain[i];
        h *= 0xff51afd7ed558ccdu;
        h ^= h >> 33;
    }
    return (size_t)h;
}

static int same_chain(const catalog_dim *dim, const ProtobufCFieldDescriptor *const *chain,
                      size_t depth, int stored)
{
    size_t n;
    const ProtobufCFieldDescriptor *const *path = chain_of(dim, stored, &n);

    if (n != depth)
        return 0;
    for (size_t i = depth; i-- > 0;) {
        if (path[i] != chain[i])
            return 0;
    }
    return 1;
}

/* Adds `d` to index `t` (chain_cap slots) under its path, unless a dimension added before has
 * the same path: the first one wins, as in the order catalog_dim_by_chain promises. */
static void index_add(const catalog_dim **t, size_t cap, const catalog_dim *d, int stored)
{
    size_t depth;
    const ProtobufCFieldDescriptor *const *chain = chain_of(d, stored, &depth);
    if (depth == 0 || depth > CATALOG_PATH_MAX)
        return; /* extra dimensions have no path */
    for (size_t i = chain_hash(chain, depth) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!t[i]) {
            t[i] = d;
            return;
        }
        if (same_chain(t[i], chain, depth, stored))
            return;
    }
}

/* Builds the section's index of its own dimensions, then the common ones. 0 or -1 (memory). */
static int index_chains(catalog_section *cs)
{
    size_t n = cs->n_dims + cs->def->n_common, cap = 8;
    while (cap < 2 * n)
        cap *= 2;
    for (int stored = 0; stored < 2; stored++) {
        const catalog_dim **t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        cs->by_chain[stored] = t;
        for (size_t i = 0; i < cs->n_dims; i++)
            index_add(t, cap, &cs->dims[i], stored);
        for (size_t i = 0; i < cs->def->n_common; i++)
            index_add(t, cap, &cs->def->common[i], stored);
    }
    cs->chain_cap = cap;
    return 0;
}

static int compile_section(catalog_def *def, size_t idx, uint32_t version,
                           catalog_unit_exists exists, void *arg, where *w)
{
    const Credit__V1__Section *s = def->d->sections[idx];
    catalog_section *cs = &def->sections[idx];

    w->section = s->code;
    w->dim = NULL;
    cs->s = s;
    cs->def = def;
    cs->version = version;
    if (!section_code_ok(s->code))
        return fault(w, "code must be 1 to 64 of A-Z, 0-9 and _, starting with a letter");
    for (size_t j = 0; j < idx; j++) {
        if (strcmp(def->d->sections[j]->code, s->code) == 0)
            return fault(w, "the section is given twice");
    }
    if (def->d->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC) {
        char name[CODE_MAX + 16];

        snprintf(name, sizeof name, "CATEGORY_%s", s->code);
        if (!protobuf_c_enum_descriptor_get_value_by_name(&credit__v1__category__descriptor, name))
            return fault(w, "%s is not a public catalogue category", s->code);
    }
    if (!s->name || !*s->name)
        return fault(w, "name is required");
    for (size_t k = 0; k < s->n_responsible_kinds; k++) {
        if (s->responsible_kinds[k] == CREDIT__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED ||
            !protobuf_c_enum_descriptor_get_value(&credit__v1__unit_kind__descriptor,
                                                  s->responsible_kinds[k]))
            return fault(w, "responsible_kinds[%zu]: %d is not a unit kind", k,
                         (int)s->responsible_kinds[k]);
    }
    for (size_t k = 0; k < s->n_responsible_units; k++) {
        if (!exists(arg, s->responsible_units[k]))
            return fault(w, "responsible unit \"%.64s\" is not registered",
                         s->responsible_units[k]);
    }
    if (*s->body) {
        const ProtobufCFieldDescriptor *b =
            def->input ? protobuf_c_message_descriptor_get_field_by_name(def->input, s->body)
                       : NULL;

        if (!b || !(b->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
            b->type != PROTOBUF_C_TYPE_MESSAGE)
            return fault(w, "body \"%.64s\" is not a body of %s", s->body,
                         def->input ? def->input->name : "(no input message)");
        cs->body = b;
    }
    if (check_publicity(s, w) != 0)
        return -1;
    if (compile_dims(def, s, s->dimensions, s->n_dimensions, def->common, def->n_common,
                     &cs->dims, &cs->n_dims, w) != 0)
        return -1;
    return index_chains(cs) == 0 ? 0 : fault(w, "out of memory");
}

/* The fields the node cannot do without, and a window for every severity of a penalty-like
 * body. */
static int check_structural(const catalog_def *def, where *w)
{
    for (size_t i = 0; i < COUNT(structural); i++) {
        /* A catalogue not yet collected through a typed message has nothing to rely on. */
        if (structural[i].catalogue != (int)def->d->catalogue || !def->input)
            continue;
        if (!*structural[i].body) {
            /* A common dimension: once, in the catalogue's common list. */
            size_t j = 0;

            while (j < def->n_common && strcmp(def->common[j].d->field, structural[i].field) != 0)
                j++;
            w->section = "";
            w->dim = NULL;
            if (j == def->n_common || !def->common[j].d->required)
                return fault(w, "%s must be a required dimension: the node relies on it",
                             structural[i].field);
            continue;
        }
        for (size_t k = 0; k < def->n_sections; k++) {
            const catalog_section *s = &def->sections[k];
            const catalog_dim *d;

            if (strcmp(s->s->body, structural[i].body) != 0)
                continue;
            w->section = s->s->code;
            w->dim = NULL;
            d = catalog_dim_by_field(s, structural[i].field);
            if (!d || !d->d->required)
                return fault(w, "%s must be a required dimension: the node relies on it",
                             structural[i].field);
        }
    }
    for (size_t k = 0; k < def->n_sections; k++) {
        const catalog_section *s = &def->sections[k];

        if (strcmp(s->s->body, "penalty") != 0)
            continue;
        w->section = s->s->code;
        for (int sev = CREDIT__V1__SEVERITY__SEVERITY_MINOR;
             sev <= CREDIT__V1__SEVERITY__SEVERITY_SERIOUS; sev++) {
            size_t j = 0;

            while (j < s->s->n_publicity && (int)s->s->publicity[j]->severity != sev)
                j++;
            if (j == s->s->n_publicity)
                return fault(w, "a penalty section needs a publicity window for %s",
                             enum_name(&credit__v1__severity__descriptor, sev, 0));
        }
    }
    return 0;
}

static int compile_def(catalog_version *v, size_t i, catalog_unit_exists exists, void *arg,
                       where *w)
{
    const Credit__V1__CatalogueDefinition *d = v->msg->catalogues[i];
    catalog_def *def = &v->defs[i];

    def->d = d;
    w->catalogue = catalog_catalogue_name(d->catalogue);
    w->section = NULL;
    w->dim = NULL;
    if (d->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_UNSPECIFIED ||
        !protobuf_c_enum_descriptor_get_value(&credit__v1__catalogue__descriptor, d->catalogue))
        return fault(w, "catalogues[%zu]: %d is not a catalogue", i, (int)d->catalogue);
    for (size_t j = 0; j < i; j++) {
        if (v->msg->catalogues[j]->catalogue == d->catalogue)
            return fault(w, "the catalogue is given twice");
    }
    if (!d->name || !*d->name)
        return fault(w, "name is required");
    if (*d->input_message) {
        for (size_t k = 0; k < COUNT(inputs); k++) {
            if (strcmp(inputs[k].input->name, d->input_message) == 0) {
                def->input = inputs[k].input;
                def->stored = inputs[k].stored;
            }
        }
        if (!def->input)
            return fault(w, "input_message \"%.100s\" is not a message the node collects",
                         d->input_message);
    }
    w->section = "";
    if (compile_dims(def, NULL, d->common, d->n_common, NULL, 0, &def->common, &def->n_common,
                     w) != 0)
        return -1;
    w->section = NULL;
    def->sections = calloc(d->n_sections ? d->n_sections : 1, sizeof *def->sections);
    if (!def->sections)
        return fault(w, "out of memory");
    def->n_sections = d->n_sections;
    for (size_t k = 0; k < d->n_sections; k++) {
        if (compile_section(def, k, v->msg->version, exists, arg, w) != 0)
            return -1;
    }
    if (d->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC) {
        const ProtobufCEnumDescriptor *cd = &credit__v1__category__descriptor;

        w->section = NULL;
        for (unsigned k = 0; k < cd->n_values; k++) {
            int c = cd->values[k].value;

            if (c != CREDIT__V1__CATEGORY__CATEGORY_UNSPECIFIED &&
                !catalog_find_section(v, CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC,
                                      cd->values[k].name + strlen("CATEGORY_")))
                return fault(w, "category %s has no section", cd->values[k].name);
        }
    }
    return check_structural(def, w);
}

static void free_dims(catalog_dim *dims, size_t n)
{
    for (size_t i = 0; dims && i < n; i++) {
        if (dims[i].re) {
            regfree(dims[i].re);
            free(dims[i].re);
        }
    }
    free(dims);
}

static void free_def(catalog_def *def)
{
    if (!def)
        return;
    for (size_t k = 0; def->sections && k < def->n_sections; k++) {
        free_dims(def->sections[k].dims, def->sections[k].n_dims);
        free(def->sections[k].by_chain[0]);
        free(def->sections[k].by_chain[1]);
    }
    free(def->sections);
    free_dims(def->common, def->n_common);
}

void catalog_version_destroy(catalog_version *v)
{
    if (!v)
        return;
    for (size_t i = 0; v->defs && i < v->n_defs; i++)
        free_def(&v->defs[i]);
    free(v->defs);
    if (v->msg)
        credit__v1__catalogue_version__free_unpacked(v->msg, NULL);
    free(v);
}

int catalog_compile(Credit__V1__CatalogueVersion *msg, catalog_unit_exists exists, void *arg,
                    catalog_version **out, char *err)
{
    catalog_version *v = calloc(1, sizeof *v);
    where w = {NULL, NULL, NULL, err};
    const ProtobufCEnumDescriptor *cd = &credit__v1__catalogue__descriptor;

    if (!v || !(v->defs = calloc(msg->n_catalogues ? msg->n_catalogues : 1, sizeof *v->defs))) {
        free(v);
        say(err, CATALOG_ERR_LEN, "out of memory");
        return -1;
    }
    v->msg = msg;
    v->n_defs = msg->n_catalogues;
    for (size_t i = 0; i < msg->n_catalogues; i++) {
        if (compile_def(v, i, exists, arg, &w) != 0)
            goto fail;
    }
    w.catalogue = NULL;
    w.section = NULL;
    w.dim = NULL;
    for (unsigned k = 0; k < cd->n_values; k++) {
        if (cd->values[k].value != 0 && !catalog_find_def(v, cd->values[k].value)) {
            fault(&w, "catalogue %s is missing: a version has all six",
                  cd->values[k].name + strlen("CATALOGUE_"));
            goto fail;
        }
    }
    /* The finance catalogue's sections are portrait templates over the others' sections. */
    if (portrait_check_templates(v, err) != 0)
        goto fail;
    *out = v;
    return 0;
fail:
    v->msg = NULL; /* still the caller's */
    catalog_version_destroy(v);
    return -1;
}

/* --- Lookups ------------------------------------------------------------------------------ */

const catalog_def *catalog_find_def(const catalog_version *v, int catalogue)
{
    for (size_t i = 0; i < v->n_defs; i++) {
        if (v->defs[i].d && (int)v->defs[i].d->catalogue == catalogue)
            return &v->defs[i];
    }
    return NULL;
}

const catalog_section *catalog_find_section(const catalog_version *v, int catalogue,
                                            const char *code)
{
    const catalog_def *def = catalog_find_def(v, catalogue);

    for (size_t k = 0; def && k < def->n_sections; k++) {
        if (def->sections[k].s && strcmp(def->sections[k].s->code, code) == 0)
            return &def->sections[k];
    }
    return NULL;
}

const catalog_section *catalog_public_section(const catalog_version *v, int category)
{
    const ProtobufCEnumValue *e =
        protobuf_c_enum_descriptor_get_value(&credit__v1__category__descriptor, category);

    if (!e || category == CREDIT__V1__CATEGORY__CATEGORY_UNSPECIFIED)
        return NULL;
    return catalog_find_section(v, CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC,
                                e->name + strlen("CATEGORY_"));
}

const catalog_dim *catalog_dim_by_field(const catalog_section *s, const char *field)
{
    for (size_t i = 0; i < s->n_dims; i++) {
        if (strcmp(s->dims[i].d->field, field) == 0)
            return &s->dims[i];
    }
    for (size_t i = 0; i < s->def->n_common; i++) {
        if (strcmp(s->def->common[i].d->field, field) == 0)
            return &s->def->common[i];
    }
    return NULL;
}

const catalog_dim *catalog_dim_by_code(const catalog_section *s, const char *code)
{
    for (size_t i = 0; i < s->n_dims; i++) {
        if (strcmp(s->dims[i].d->code, code) == 0)
            return &s->dims[i];
    }
    for (size_t i = 0; i < s->def->n_common; i++) {
        if (strcmp(s->def->common[i].d->code, code) == 0)
            return &s->def->common[i];
    }
    return NULL;
}

int catalog_responsible(const catalog_section *s, const char *code, int kind)
{
    for (size_t i = 0; i < s->s->n_responsible_kinds; i++) {
        if ((int)s->s->responsible_kinds[i] == kind)
            return 1;
    }
    for (size_t i = 0; code && i < s->s->n_responsible_units; i++) {
        if (strcmp(s->s->responsible_units[i], code) == 0)
            return 1;
    }
    return 0;
}

int64_t catalog_ns(int64_t seconds, int32_t nanos)
{
    const int64_t lim = INT64_MAX / 1000000000 - 1;
    if (seconds > lim)
        return INT64_MAX;
    if (seconds < -lim)
        return INT64_MIN;
    return seconds * 1000000000 + nanos;
}

int64_t catalog_effective_ns(const catalog_version *v)
{
    const Google__Protobuf__Timestamp *t = v->msg->effective_at;
    return t ? catalog_ns(t->seconds, t->nanos) : INT64_MIN;
}

/* --- Values ------------------------------------------------------------------------------- */

ProtobufCMessage *catalog_leaf(const ProtobufCMessage *root, const catalog_dim *dim, int stored,
                               const ProtobufCFieldDescriptor **field)
{
    const ProtobufCFieldDescriptor *const *path = stored ? dim->rec : dim->in;
    size_t depth = stored ? dim->rec_depth : dim->depth;
    const ProtobufCMessage *m = root;

    if (depth == 0)
        return NULL;
    for (size_t i = 0; i + 1 < depth; i++) {
        if (!pbwalk_member_set(m, path[i]))
            return NULL;
        m = *(ProtobufCMessage *const *)((const char *)m + path[i]->offset);
        if (!m)
            return NULL;
    }
    *field = path[depth - 1];
    return (ProtobufCMessage *)m;
}

const catalog_dim *catalog_dim_by_chain(const catalog_section *s,
                                        const ProtobufCFieldDescriptor *const *chain,
                                        size_t depth, int stored)
{
    const catalog_dim **t = s->by_chain[stored ? 1 : 0];
    if (depth == 0 || depth > CATALOG_PATH_MAX || !t)
        return NULL;
    for (size_t i = chain_hash(chain, depth) & (s->chain_cap - 1); t[i];
         i = (i + 1) & (s->chain_cap - 1)) {
        if (same_chain(t[i], chain, depth, stored))
            return t[i];
    }
    return NULL;
}

/* --- The catalog -------------------------------------------------------------------------- */

static int append(catalog *c, catalog_version *v)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        catalog_version **grown = realloc(c->v, cap * sizeof *grown);

        if (!grown)
            return -1;
        c->v = grown;
        c->cap = cap;
    }
    c->v[c->n++] = v;
    return 0;
}

void catalog_publish(catalog *c, catalog_version *v)
{
    pthread_mutex_lock(&c->mu);
    if (v->msg->version != c->n + 1 || append(c, v) != 0) {
        /* The caller wrote it; failing to remember it would lose a version in memory only.
         * Growth is amortized and tiny, so this is an invariant, not a path. */
        abort();
    }
    pthread_mutex_unlock(&c->mu);
}

/* Reads the seed text into a message and gives it version 1's fields. */
static int read_seed(const char *text, size_t len, const char *origin,
                     Credit__V1__CatalogueVersion **out, char *err)
{
    ProtobufCMessage *m = NULL;
    textproto_error te;
    Credit__V1__CatalogueVersion *v;

    if (textproto_parse(&credit__v1__catalogue_version__descriptor, text, len, &m, &te) != 0) {
        say(err, CATALOG_ERR_LEN, "%.200s:%d:%d: %s%s%.255s", origin, te.line, te.column,
                 te.path, *te.path ? ": " : "", te.reason);
        return -1;
    }
    v = (Credit__V1__CatalogueVersion *)m;
    if (v->version > 1 || v->effective_at || v->approved_at || *v->change_request_id) {
        say(err, CATALOG_ERR_LEN,
                 "%.200s: the seed sets version, effective_at, approved_at or "
                 "change_request_id; the node fills them in",
                 origin);
        credit__v1__catalogue_version__free_unpacked(v, NULL);
        return -1;
    }
    *out = v;
    return 0;
}

static Google__Protobuf__Timestamp *new_timestamp(int64_t seconds)
{
    Google__Protobuf__Timestamp *t = malloc(sizeof *t);

    if (t) {
        google__protobuf__timestamp__init(t);
        t->seconds = seconds;
    }
    return t;
}

/* m packed without the fields the node fills in (number, times, approver, request), into a
 * malloc'd buffer of *len bytes; NULL when out of memory. */
static uint8_t *content_of(const Credit__V1__CatalogueVersion *m, size_t *len)
{
    Credit__V1__CatalogueVersion c = *m;
    uint8_t *buf;

    c.version = 0;
    c.effective_at = NULL;
    c.approved_at = NULL;
    c.approved_by = (char *)protobuf_c_empty_string;
    c.change_request_id = (char *)protobuf_c_empty_string;
    *len = credit__v1__catalogue_version__get_packed_size(&c);
    buf = malloc(*len ? *len : 1);
    if (buf)
        credit__v1__catalogue_version__pack(&c, buf);
    return buf;
}

/* Whether two versions hold the same catalogues and summary (unknown: say they do). */
static int same_content(const Credit__V1__CatalogueVersion *a,
                        const Credit__V1__CatalogueVersion *b)
{
    size_t la, lb;
    uint8_t *pa = content_of(a, &la), *pb = content_of(b, &lb);
    int same = !pa || !pb || (la == lb && memcmp(pa, pb, la) == 0);

    free(pa);
    free(pb);
    return same;
}

/* Compiles the seed; with `store_it`, stores it as version 1 and publishes it; without, notes
 * whether it differs from the stored version 1. */
static int open_seed(catalog *c, store *st, const char *text, size_t len, const char *origin,
                     int store_it, catalog_unit_exists exists, void *arg, char *err)
{
    Credit__V1__CatalogueVersion *msg;
    catalog_version *v;
    char why[CATALOG_ERR_LEN];
    int rc;

    if (read_seed(text, len, origin, &msg, err) != 0)
        return -1;
    msg->version = 1;
    free(msg->approved_by != protobuf_c_empty_string ? msg->approved_by : NULL);
    msg->approved_by = strdup("seed");
    msg->effective_at = new_timestamp(0);
    msg->approved_at = new_timestamp((int64_t)time(NULL));
    if (!msg->approved_by || !msg->effective_at || !msg->approved_at) {
        credit__v1__catalogue_version__free_unpacked(msg, NULL);
        say(err, CATALOG_ERR_LEN, "out of memory");
        return -1;
    }
    if (catalog_compile(msg, exists, arg, &v, why) != 0) {
        say(err, CATALOG_ERR_LEN, "%.200s: %s", origin, why);
        credit__v1__catalogue_version__free_unpacked(msg, NULL);
        return -1;
    }
    if (!store_it) {
        c->seed_differs = !same_content(msg, c->v[0]->msg);
        catalog_version_destroy(v);
        return 0;
    }
    rc = versions_write(st, msg, err) == 0 ? 0 : -1;
    if (rc != 0 || append(c, v) != 0) {
        catalog_version_destroy(v);
        return -1;
    }
    return 0;
}

static int load_stored(catalog *c, store *st, catalog_unit_exists exists, void *arg, char *err)
{
    versions_scan *s = NULL;
    Credit__V1__CatalogueVersion *msg = NULL;
    char why[CATALOG_ERR_LEN];
    int rc = versions_scan_open(st, &s), got;

    if (rc != 0) {
        say(err, CATALOG_ERR_LEN, "out of memory");
        return -1;
    }
    while ((got = versions_scan_next(s, &msg, err)) != 0) {
        catalog_version *v;

        if ((got == 1 && msg->version != c->n + 1) || got == STORE_ECORRUPT) {
            say(err, CATALOG_ERR_LEN, "stored catalogue version %zu is unreadable or out of "
                     "order", c->n + 1);
            if (got == 1)
                credit__v1__catalogue_version__free_unpacked(msg, NULL);
            rc = -1;
            break;
        }
        if (got < 0) { /* err says why the store cannot be read */
            rc = -1;
            break;
        }
        if (catalog_compile(msg, exists, arg, &v, why) != 0) {
            say(err, CATALOG_ERR_LEN, "stored catalogue version %u: %s", msg->version, why);
            credit__v1__catalogue_version__free_unpacked(msg, NULL);
            rc = -1;
            break;
        }
        if (append(c, v) != 0) {
            catalog_version_destroy(v);
            say(err, CATALOG_ERR_LEN, "out of memory");
            rc = -1;
            break;
        }
    }
    versions_scan_close(s);
    return rc;
}

int catalog_open(store *st, const char *text, size_t len, const char *origin,
                 catalog_unit_exists exists, void *arg, catalog **out, char *err)
{
    catalog *c = calloc(1, sizeof *c);

    if (!c) {
        say(err, CATALOG_ERR_LEN, "out of memory");
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    if (load_stored(c, st, exists, arg, err) != 0 ||
        open_seed(c, st, text, len, origin, c->n == 0, exists, arg, err) != 0) {
        catalog_destroy(c);
        return -1;
    }
    *out = c;
    return 0;
}

void catalog_destroy(catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        catalog_version_destroy(c->v[i]);
    free(c->v);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const catalog_version *catalog_now(catalog *c)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return catalog_at_ns(c, catalog_ns(now.tv_sec, (int32_t)now.tv_nsec));
}

const catalog_version *catalog_at_ns(catalog *c, int64_t t)
{
    const catalog_version *v = NULL;

    pthread_mutex_lock(&c->mu);
    for (size_t i = c->n; i-- > 0;) {
        if (catalog_effective_ns(c->v[i]) <= t) {
            v = c->v[i];
            break;
        }
    }
    if (!v && c->n)
        v = c->v[0];
    pthread_mutex_unlock(&c->mu);
    return v;
}

int catalog_seed_differs(const catalog *c)
{
    return c->seed_differs;
}

const catalog_version *catalog_get(catalog *c, uint32_t version)
{
    const catalog_version *v = NULL;

    pthread_mutex_lock(&c->mu);
    if (version >= 1 && version <= c->n)
        v = c->v[version - 1];
    pthread_mutex_unlock(&c->mu);
    return v;
}

const catalog_version *catalog_newest(catalog *c)
{
    const catalog_version *v;

    pthread_mutex_lock(&c->mu);
    v = c->n ? c->v[c->n - 1] : NULL;
    pthread_mutex_unlock(&c->mu);
    return v;
}

uint32_t catalog_count(catalog *c)
{
    uint32_t n;

    pthread_mutex_lock(&c->mu);
    n = (uint32_t)c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}
