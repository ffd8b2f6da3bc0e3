/*
 * json_in.c — a generic JSON → protobuf-c reader for creditctl (see json_in.h).
 *
 * json-c parses the text; the values are then written into a message built with malloc, field
 * by field as the descriptor says, so that protobuf_c_message_free_unpacked can free it at any
 * point: a string, sub-message or array is linked into its parent as soon as it is allocated,
 * and an array's count only covers elements already filled. On an error the half-filled
 * message is freed that way.
 *
 * A map field (json_map_field) is a JSON object: each member one entry, its name the key and
 * its value the value, entries in the object's order. json-c silently keeps only the last of
 * two members with one name, so once the values are read the text is walked again for names
 * given twice (check_names): every map read has distinct keys, or the message is refused.
 */
#include "json_in.h"
#include "json_out.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define PATH_MAX_LEN 256

__attribute__((format(printf, 3, 4))) static int fail(json_in_error *err, const char *path,
                                                      const char *fmt, ...)
{
    va_list ap;
    snprintf(err->field, sizeof err->field, "%s", path);
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

/* Does JSON key `key` name the field `name`: as it is, or in lowerCamelCase? */
static int name_matches(const char *key, const char *name)
{
    if (strcmp(key, name) == 0)
        return 1;
    int upper = 0;
    const char *k = key;
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            upper = 1;
            continue;
        }
        char want = upper && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        upper = 0;
        if (*k++ != want)
            return 0;
    }
    return *k == '\0';
}

const ProtobufCFieldDescriptor *json_find_field(const ProtobufCMessageDescriptor *d,
                                               const char *key)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (name_matches(key, d->fields[i].name))
            return &d->fields[i];
    return NULL;
}

/* Appends s to the string in buf, cut to fit. */
static void path_append(char *buf, size_t size, const char *s)
{
    size_t n = strlen(buf);
    for (; *s && n + 1 < size; s++)
        buf[n++] = *s;
    buf[n] = '\0';
}

/* buf = prefix.name (or name alone), cut to fit. */
static void join_path(char *buf, size_t size, const char *prefix, const char *name)
{
    buf[0] = '\0';
    path_append(buf, size, prefix);
    if (*prefix)
        path_append(buf, size, ".");
    path_append(buf, size, name);
}

static const char *type_name(json_object *v)
{
    return json_type_to_name(json_object_get_type(v));
}

/* --- Numbers ------------------------------------------------------------------------------- */

/* A decimal integer, all of the text: "-12", "0", "18446744073709551615". */
static int parse_decimal_signed(const char *s, long long *out)
{
    char *end;
    if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s)
        return -1;
    *out = v;
    return 0;
}

static int parse_decimal_unsigned(const char *s, unsigned long long *out)
{
    char *end;
    if (!*s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s)
        return -1;
    *out = v;
    return 0;
}

/* A signed integer within [min, max] from a JSON number or decimal string. */
static int get_signed(json_object *v, long long min, long long max, const char *path,
                      json_in_error *err, long long *out)
{
    long long x;

    switch (json_object_get_type(v)) {
    case json_type_int:
        /* json-c keeps the value as int64 or uint64; its text tells which without guessing. */
        if (parse_decimal_signed(json_object_get_string(v), &x) != 0)
            return fail(err, path, "field '%s': %s is out of range", path,
                        json_object_get_string(v));
        break;
    case json_type_double: {
        double d = json_object_get_double(v);
        if (!isfinite(d) || d != floor(d))
            return fail(err, path, "field '%s': %s is not an integer", path,
                        json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return fail(err, path, "field '%s': out of range", path);
        x = (long long)d;
        break;
    }
    case json_type_string:
        if (parse_decimal_signed(json_object_get_string(v), &x) != 0)
            return fail(err, path, "field '%s': \"%s\" is not an integer", path,
                        json_object_get_string(v));
        break;
    default:
        return fail(err, path, "field '%s': expected an integer, got %s", path, type_name(v));
    }
    if (x < min || x > max)
        return fail(err, path, "field '%s': %lld is out of range", path, x);
    *out = x;
    return 0;
}

static int get_unsigned(json_object *v, unsigned long long max, const char *path,
                        json_in_error *err, unsigned long long *out)
{
    unsigned long long x;

    switch (json_object_get_type(v)) {
    case json_type_int:
    case json_type_string:
        if (parse_decimal_unsigned(json_object_get_string(v), &x) != 0)
            return fail(err, path, "field '%s': %s is not an unsigned integer", path,
                        json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        break;
    case json_type_double: {
        double d = json_object_get_double(v);
        if (!isfinite(d) || d != floor(d) || d < 0)
            return fail(err, path, "field '%s': %s is not an unsigned integer", path,
                        json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        if (d >= 18446744073709551616.0)
            return fail(err, path, "field '%s': out of range", path);
        x = (unsigned long long)d;
        break;
    }
    default:
        return fail(err, path, "field '%s': expected an unsigned integer, got %s", path,
                    type_name(v));
    }
    if (x > max)
        return fail(err, path, "field '%s': %llu is out of range", path, x);
    *out = x;
    return 0;
}

static int get_double(json_object *v, int is_float, const char *path, json_in_error *err,
                      double *out)
{
    double d;

    switch (json_object_get_type(v)) {
    case json_type_int:
    case json_type_double:
        d = json_object_get_double(v);
        break;
    case json_type_string: {
        const char *s = json_object_get_string(v);
        char *end;
        if (strcmp(s, "NaN") == 0)
            d = NAN;
        else if (strcmp(s, "Infinity") == 0)
            d = INFINITY;
        else if (strcmp(s, "-Infinity") == 0)
            d = -INFINITY;
        else {
            errno = 0;
            d = strtod(s, &end);
            if (!*s || *end || errno || !isfinite(d))
                return fail(err, path, "field '%s': \"%s\" is not a number", path, s);
        }
        break;
    }
    default:
        return fail(err, path, "field '%s': expected a number, got %s", path, type_name(v));
    }
    if (is_float && isfinite(d) && (d > FLT_MAX || d < -FLT_MAX))
        return fail(err, path, "field '%s': out of range for a float", path);
    *out = d;
    return 0;
}

/* --- Bytes --------------------------------------------------------------------------------- */

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Standard or URL-safe base64, padding optional. Returns 0 with out->data malloc'd (NULL when
 * empty), or -1. */
static int decode_base64(const char *s, size_t len, ProtobufCBinaryData *out)
{
    while (len > 0 && s[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    uint8_t *data = NULL;
    if (n) {
        data = malloc(n);
        if (!data)
            return -1;
    }
    uint32_t acc = 0;
    size_t bits = 0, o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(s[i]);
        if (v < 0) {
            free(data);
            return -1;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            data[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    out->data = data;
    out->len = o;
    return 0;
}

/* --- Timestamps ---------------------------------------------------------------------------- */

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant). */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return 29;
    return dm[m - 1];
}

int json_parse_date(const char *s, int *year, int *month, int *day)
{
    int y, m, d;

    if (strlen(s) != 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) ||
        s[7] != '-' || digits(s + 8, 2, &d))
        return -1;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *year = y;
    *month = m;
    *day = d;
    return 0;
}

int json_parse_timestamp(const char *s, long long *seconds, int *nanos)
{
    int y, mo, d, h, mi, sec, ns = 0;

    /* YYYY-MM-DDTHH:MM:SS */
    if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &sec))
        return -1;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0;
        p++;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n < 1 || n > 9)
            return -1;
        digits(p, n, &ns);
        for (int k = n; k < 9; k++)
            ns *= 10;
        p += n;
    }
    long long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = (oh * 3600LL + om * 60LL) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    long long t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec - offset;
    if (t < -62135596800LL || t > 253402300799LL)
        return -1;
    *seconds = t;
    *nanos = ns;
    return 0;
}

static int is_timestamp(const ProtobufCMessageDescriptor *d)
{
    return d->name && strcmp(d->name, "google.protobuf.Timestamp") == 0;
}

/* Fills a Timestamp message through its descriptor. */
static int set_timestamp(ProtobufCMessage *msg, const char *text, const char *path,
                         json_in_error *err)
{
    const ProtobufCFieldDescriptor *fs =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "seconds");
    const ProtobufCFieldDescriptor *fn =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "nanos");
    long long secs;
    int nanos;

    if (!fs || !fn || fs->type != PROTOBUF_C_TYPE_INT64 || fn->type != PROTOBUF_C_TYPE_INT32)
        return fail(err, path, "field '%s': unexpected Timestamp descriptor", path);
    if (json_parse_timestamp(text, &secs, &nanos) != 0)
        return fail(err, path,
                    "field '%s': \"%s\" is not an RFC 3339 time (like 2026-10-01T00:00:00Z)", path,
                    text);
    int64_t s64 = secs;
    int32_t n32 = nanos;
    memcpy((char *)msg + fs->offset, &s64, sizeof s64);
    memcpy((char *)msg + fn->offset, &n32, sizeof n32);
    return 0;
}

/* --- Messages ------------------------------------------------------------------------------ */

static int read_object(ProtobufCMessage *msg, json_object *obj, const char *prefix,
                       json_in_error *err);

/* Allocates a message of type d, initialised, or NULL. */
static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m)
        protobuf_c_message_init(d, m);
    return m;
}

/* Reads a message-typed value into *slot (NULL before), linking it there at once. */
static int read_submessage(const ProtobufCFieldDescriptor *f, json_object *v,
                           ProtobufCMessage **slot, const char *path, json_in_error *err)
{
    const ProtobufCMessageDescriptor *sd = f->descriptor;

    if (is_timestamp(sd)
            ? !json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_object)
            : !json_object_is_type(v, json_type_object))
        return fail(err, path, "field '%s': expected %s, got %s", path,
                    is_timestamp(sd) ? "an RFC 3339 time string" : "an object", type_name(v));
    ProtobufCMessage *m = new_message(sd);
    if (!m)
        return fail(err, path, "out of memory");
    *slot = m;
    if (json_object_is_type(v, json_type_string))
        return set_timestamp(m, json_object_get_string(v), path, err);
    return read_object(m, v, path, err);
}

/* Reads one value of field f into the storage at p (a singular field, or one array element
 * that is zeroed before). */
static int read_value(const ProtobufCFieldDescriptor *f, json_object *v, void *p, const char *path,
                      json_in_error *err)
{
    long long s;
    unsigned long long u;
    double d;

    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (get_signed(v, INT32_MIN, INT32_MAX, path, err, &s))
            return -1;
        *(int32_t *)p = (int32_t)s;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (get_unsigned(v, UINT32_MAX, path, err, &u))
            return -1;
        *(uint32_t *)p = (uint32_t)u;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (get_signed(v, INT64_MIN, INT64_MAX, path, err, &s))
            return -1;
        *(int64_t *)p = (int64_t)s;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (get_unsigned(v, UINT64_MAX, path, err, &u))
            return -1;
        *(uint64_t *)p = (uint64_t)u;
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
        if (get_double(v, 1, path, err, &d))
            return -1;
        *(float *)p = (float)d;
        return 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        if (get_double(v, 0, path, err, &d))
            return -1;
        *(double *)p = d;
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_object_is_type(v, json_type_boolean))
            return fail(err, path, "field '%s': expected true or false, got %s", path,
                        type_name(v));
        *(protobuf_c_boolean *)p = json_object_get_boolean(v) ? 1 : 0;
        return 0;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        if (json_object_is_type(v, json_type_string)) {
            const char *name = json_object_get_string(v);
            const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, name);
            if (!ev)
                return fail(err, path, "field '%s': unknown %s value \"%s\"", path, ed->name, name);
            *(int32_t *)p = ev->value;
            return 0;
        }
        if (!json_object_is_type(v, json_type_int))
            return fail(err, path, "field '%s': expected an enum name or number, got %s", path,
                        type_name(v));
        if (get_signed(v, INT32_MIN, INT32_MAX, path, err, &s))
            return -1;
        *(int32_t *)p = (int32_t)s; /* proto3 enums are open: any number is kept */
        return 0;
    }
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_object_is_type(v, json_type_string))
            return fail(err, path, "field '%s': expected a string, got %s", path, type_name(v));
        const char *text = json_object_get_string(v);
        size_t len = (size_t)json_object_get_string_len(v);
        if (strlen(text) != len)
            return fail(err, path, "field '%s': a string with a NUL character", path);
        char *copy = strdup(text);
        if (!copy)
            return fail(err, path, "out of memory");
        char **slot = p;
        if (*slot && *slot != (const char *)f->default_value)
            free(*slot);
        *slot = copy;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_object_is_type(v, json_type_string))
            return fail(err, path, "field '%s': expected a base64 string, got %s", path,
                        type_name(v));
        ProtobufCBinaryData b;
        if (decode_base64(json_object_get_string(v), (size_t)json_object_get_string_len(v), &b) !=
            0)
            return fail(err, path, "field '%s': not base64", path);
        *(ProtobufCBinaryData *)p = b; /* proto3 bytes have no default data to free */
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return read_submessage(f, v, (ProtobufCMessage **)p, path, err);
    }
    return fail(err, path, "field '%s': unsupported type", path);
}

static int read_repeated(const ProtobufCFieldDescriptor *f, json_object *v, char *base,
                         const char *path, json_in_error *err)
{
    if (!json_object_is_type(v, json_type_array))
        return fail(err, path, "field '%s': expected an array, got %s", path, type_name(v));
    size_t n = json_object_array_length(v);
    if (n == 0)
        return 0;
    size_t sz = json_field_size(f->type);
    char *arr = calloc(n, sz);
    if (!arr)
        return fail(err, path, "out of memory");
    size_t *count = (size_t *)(base + f->quantifier_offset);
    *(char **)(base + f->offset) = arr;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        char epath[PATH_MAX_LEN], index[32];
        snprintf(index, sizeof index, "[%zu]", i);
        join_path(epath, sizeof epath, "", path);
        path_append(epath, sizeof epath, index);
        json_object *e = json_object_array_get_idx(v, i);
        if (!e)
            return fail(err, epath, "field '%s': null in a repeated field", epath);
        if (read_value(f, e, arr + i * sz, epath, err) != 0) {
            /* The element may hold a half-read message: link it so that it is freed. */
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && *(ProtobufCMessage **)(arr + i * sz))
                *count = i + 1;
            return -1;
        }
        *count = i + 1;
    }
    return 0;
}

/* After a value was read into singular field f of the message at base: a proto2 optional
 * scalar says so in its has_ flag. */
static void mark_present(const ProtobufCFieldDescriptor *f, char *base)
{
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
        !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->type != PROTOBUF_C_TYPE_MESSAGE &&
        f->type != PROTOBUF_C_TYPE_STRING)
        *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
}

/* --- Maps ---------------------------------------------------------------------------------- */

/* Sets the key field kf of a map entry (its storage at p) from the member name `key` of the
 * map at `path`: a string as it is; a bool from true or false; an integer from its decimal
 * text, which must be the form json_out prints ("7", not "07" or "+7"), so that two different
 * names can never make one key. */
static int read_map_key(const ProtobufCFieldDescriptor *kf, const char *key, void *p,
                        const char *path, const char *kpath, json_in_error *err)
{
    char canon[32] = "";

    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING: {
        char *copy = strdup(key);
        if (!copy)
            return fail(err, kpath, "out of memory");
        char **slot = p;
        if (*slot && *slot != (const char *)kf->default_value)
            free(*slot);
        *slot = copy;
        return 0;
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (strcmp(key, "true") != 0 && strcmp(key, "false") != 0)
            return fail(err, kpath, "field '%s': key \"%s\" is neither true nor false", path, key);
        *(protobuf_c_boolean *)p = key[0] == 't';
        return 0;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return fail(err, kpath, "field '%s': unsupported map key type", path);
    default: { /* the integers: read as a decimal string value is */
        json_object *text = json_object_new_string(key);
        if (!text)
            return fail(err, kpath, "out of memory");
        int rc = read_value(kf, text, p, kpath, err);
        json_object_put(text);
        if (rc != 0)
            return -1;
        if (json_format_map_key(canon, sizeof canon, kf, p) != 0 || strcmp(canon, key) != 0)
            return fail(err, kpath, "field '%s': key \"%s\" is not written as %s", path, key,
                        canon);
        return 0;
    }
    }
}

/* Reads map field f (entry fields kf, vf) from v into the message at base. Each entry is
 * linked into the array, and counted, before it is filled, so that a failure frees it with
 * the message. */
static int read_map(const ProtobufCFieldDescriptor *f, const ProtobufCFieldDescriptor *kf,
                    const ProtobufCFieldDescriptor *vf, json_object *v, char *base,
                    const char *path, json_in_error *err)
{
    if (!json_object_is_type(v, json_type_object))
        return fail(err, path, "field '%s': a map is a JSON object, got %s", path, type_name(v));
    size_t n = (size_t)json_object_object_length(v);
    if (n == 0)
        return 0;
    ProtobufCMessage **arr = calloc(n, sizeof *arr);
    if (!arr)
        return fail(err, path, "out of memory");
    size_t *count = (size_t *)(base + f->quantifier_offset);
    *(ProtobufCMessage ***)(base + f->offset) = arr;
    *count = 0;
    json_object_object_foreach(v, key, val)
    {
        char kpath[PATH_MAX_LEN];
        join_path(kpath, sizeof kpath, path, key);
        if (!val)
            return fail(err, kpath, "field '%s': null is not a map value", kpath);
        ProtobufCMessage *e = new_message(f->descriptor);
        if (!e)
            return fail(err, kpath, "out of memory");
        arr[(*count)++] = e;
        if (read_map_key(kf, key, (char *)e + kf->offset, path, kpath, err) != 0 ||
            read_value(vf, val, (char *)e + vf->offset, kpath, err) != 0)
            return -1;
        mark_present(vf, (char *)e);
    }
    return 0;
}

/* --- Objects ------------------------------------------------------------------------------- */

static int read_object(ProtobufCMessage *msg, json_object *obj, const char *prefix,
                       json_in_error *err)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    char *base = (char *)msg;
    unsigned char seen[256];
    unsigned char *seenp = seen;
    int rc = 0;

    memset(seen, 0, sizeof seen);
    if (d->n_fields > sizeof seen && !(seenp = calloc(d->n_fields, 1)))
        return fail(err, prefix, "out of memory");

    json_object_object_foreach(obj, key, val)
    {
        const ProtobufCFieldDescriptor *f = json_find_field(d, key);
        const ProtobufCFieldDescriptor *kf, *vf;
        char path[PATH_MAX_LEN];

        /* What a rejects file added to the row (json_in.h): not the record's. */
        if (!f && !*prefix &&
            (strcmp(key, JSON_REJECT_REASON) == 0 || strcmp(key, JSON_REJECT_CODE) == 0 ||
             strcmp(key, JSON_REJECT_FIELD) == 0))
            continue;
        if (!f) {
            join_path(path, sizeof path, prefix, key);
            rc = fail(err, path, "unknown field '%s'", path);
            break;
        }
        unsigned idx = (unsigned)(f - d->fields);
        join_path(path, sizeof path, prefix, f->name);
        if (seenp[idx]) {
            rc = fail(err, path, "field '%s' given twice", path);
            break;
        }
        seenp[idx] = 1;
        if (val == NULL) /* null: the default value */
            continue;

        if (json_map_field(d, f, &kf, &vf)) {
            if ((rc = read_map(f, kf, vf, val, base, path, err)) != 0)
                break;
            continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if ((rc = read_repeated(f, val, base, path, err)) != 0)
                break;
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *oneof_case = (uint32_t *)(base + f->quantifier_offset);
            if (*oneof_case != 0 && *oneof_case != f->id) {
                const char *other = "?";
                for (unsigned i = 0; i < d->n_fields; i++)
                    if (d->fields[i].id == *oneof_case)
                        other = d->fields[i].name;
                rc = fail(err, path, "field '%s': only one of '%s' and '%s' may be set", path,
                          other, f->name);
                break;
            }
            /* A message member is linked (case set) before it is read, so a failure frees it;
             * the other types hold no memory until they succeed. */
            if (f->type == PROTOBUF_C_TYPE_STRING)
                *(char **)(base + f->offset) = NULL;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                *(ProtobufCMessage **)(base + f->offset) = NULL;
                *oneof_case = f->id;
            }
            if ((rc = read_value(f, val, base + f->offset, path, err)) != 0)
                break;
            *oneof_case = f->id;
            continue;
        }
        if ((rc = read_value(f, val, base + f->offset, path, err)) != 0)
            break;
        mark_present(f, base);
    }
    if (seenp != seen)
        free(seenp);
    return rc;
}

/* --- Names given twice ---------------------------------------------------------------------- */

/*
 * Of {"a":1,"a":2} json-c keeps "a":2 and drops the first member without a word, and it cuts a
 * name at a \u0000. Two values for one field or one map key are ambiguous input, so after the
 * values are read the text (which json-c accepted: it is well-formed JSON) is walked once more,
 * for the names alone. json-c decodes each name, so that "a" and "\u0061" are one name here as
 * there. The first name given twice in one object, or holding a NUL, is an error at the proto
 * path of its object. Anything the walk does not expect ends it without an error (status 1):
 * json-c has had its say on the syntax.
 */

#define NAMES_DEPTH 64 /* json-c refuses nesting deeper than JSON_TOKENER_DEFAULT_DEPTH (32) */

struct names {
    const char *p;     /* the next character of the text, which ends with a NUL */
    json_tokener *tok; /* decodes one name at a time */
    const ProtobufCMessageDescriptor *root;
    json_in_error *err;
    int depth;
    struct {
        const char *key; /* a member's name (owned by its object's table); NULL: an element */
        size_t index;    /* an element's index */
    } segs[NAMES_DEPTH]; /* where the value being walked is */
};

static void free_name(struct lh_entry *e)
{
    free(lh_entry_k(e));
}

/* The proto path of the object being walked ("subject", "extra.code", "items[2]"): a member
 * name as the field it names (its proto name), or as it is where no field is known; a map's
 * key as it is. *msg is the message the object is, or NULL; *map the map field it is, or NULL. */
static void names_path(const struct names *s, char *buf, size_t size,
                       const ProtobufCMessageDescriptor **msg, const ProtobufCFieldDescriptor **map)
{
    const ProtobufCMessageDescriptor *d = s->root; /* the message whose member comes next */
    const ProtobufCFieldDescriptor *map_f = NULL;  /* or the map whose key comes next, */
    const ProtobufCFieldDescriptor *map_v = NULL;  /* (its entries' value field) */
    const ProtobufCFieldDescriptor *arr_f = NULL;  /* or the repeated field whose element */

    buf[0] = '\0';
    for (int i = 0; i < s->depth; i++) {
        const char *key = s->segs[i].key;
        const ProtobufCFieldDescriptor *f;

        if (!key) {
            char index[32];
            snprintf(index, sizeof index, "[%zu]", s->segs[i].index);
            path_append(buf, size, index);
            d = arr_f && arr_f->type == PROTOBUF_C_TYPE_MESSAGE ? arr_f->descriptor : NULL;
            map_f = arr_f = NULL;
            continue;
        }
        if (*buf)
            path_append(buf, size, ".");
        if (map_f) {
            path_append(buf, size, key);
            d = map_v->type == PROTOBUF_C_TYPE_MESSAGE ? map_v->descriptor : NULL;
            map_f = NULL;
            continue;
        }
        f = d ? json_find_field(d, key) : NULL;
        path_append(buf, size, f ? f->name : key);
        arr_f = NULL;
        if (f && json_map_field(d, f, NULL, &map_v))
            map_f = f;
        else if (f && f->label == PROTOBUF_C_LABEL_REPEATED)
            arr_f = f;
        d = f && !map_f && !arr_f && f->type == PROTOBUF_C_TYPE_MESSAGE ? f->descriptor : NULL;
    }
    *msg = d;
    *map = map_f;
}

/* Fails for member `name` of the object being walked: given twice, or (nul) holding a NUL. */
static int names_fail(const struct names *s, const char *name, int nul)
{
    const ProtobufCMessageDescriptor *d;
    const ProtobufCFieldDescriptor *map, *f;
    char obj[PATH_MAX_LEN], path[PATH_MAX_LEN];

    names_path(s, obj, sizeof obj, &d, &map);
    if (nul && !*obj)
        return fail(s->err, obj, "a name with a NUL character");
    if (nul)
        return fail(s->err, obj, "field '%s': a %s with a NUL character", obj,
                    map ? "key" : "name");
    if (map) {
        join_path(path, sizeof path, obj, name);
        return fail(s->err, path, "field '%s': key \"%s\" given twice", obj, name);
    }
    f = d ? json_find_field(d, name) : NULL;
    join_path(path, sizeof path, obj, f ? f->name : name);
    return fail(s->err, path, "field '%s' given twice", path);
}

static void names_ws(struct names *s)
{
    while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
        s->p++;
}

/* Steps over a string literal; 0, or 1 if the text ends first. */
static int names_skip_string(struct names *s)
{
    for (s->p++; *s->p != '"'; s->p++) {
        if (!*s->p || (*s->p == '\\' && !*++s->p))
            return 1;
    }
    s->p++;
    return 0;
}

static int names_value(struct names *s);

static int names_array(struct names *s)
{
    int rc = 0;

    s->p++;
    names_ws(s);
    if (*s->p == ']') {
        s->p++;
        return 0;
    }
    for (size_t i = 0;; i++) {
        if (s->depth == NAMES_DEPTH)
            return 1;
        s->segs[s->depth].key = NULL;
        s->segs[s->depth].index = i;
        s->depth++;
        rc = names_value(s);
        s->depth--;
        if (rc != 0)
            return rc;
        names_ws(s);
        if (*s->p == ']') {
            s->p++;
            return 0;
        }
        if (*s->p++ != ',')
            return 1;
    }
}

static int names_object(struct names *s)
{
    struct lh_table *seen = lh_kchar_table_new(16, free_name);
    int rc = 1;

    if (!seen)
        return fail(s->err, "", "out of memory");
    s->p++;
    names_ws(s);
    if (*s->p == '}') {
        s->p++;
        rc = 0;
    }
    while (rc == 1 && *s->p == '"') {
        const char *start = s->p;
        if (names_skip_string(s) != 0)
            break;
        json_tokener_reset(s->tok);
        json_object *jname = json_tokener_parse_ex(s->tok, start, (int)(s->p - start));
        if (!json_object_is_type(jname, json_type_string)) {
            json_object_put(jname);
            break;
        }
        const char *name = json_object_get_string(jname);
        char *copy = NULL;
        if (strlen(name) != (size_t)json_object_get_string_len(jname))
            rc = names_fail(s, name, 1);
        else if (lh_table_lookup_entry(seen, name))
            rc = names_fail(s, name, 0);
        else if (!(copy = strdup(name)) || lh_table_insert(seen, copy, NULL) != 0) {
            free(copy);
            rc = fail(s->err, "", "out of memory");
        }
        json_object_put(jname);
        if (rc != 1)
            break;
        names_ws(s);
        if (*s->p++ != ':' || s->depth == NAMES_DEPTH)
            break;
        s->segs[s->depth].key = copy;
        s->depth++;
        rc = names_value(s);
        s->depth--;
        if (rc != 0)
            break;
        rc = 1;
        names_ws(s);
        if (*s->p == '}') {
            s->p++;
            rc = 0;
        } else if (*s->p == ',') {
            s->p++;
            names_ws(s);
        }
    }
    lh_table_free(seen);
    return rc;
}

static int names_value(struct names *s)
{
    names_ws(s);
    switch (*s->p) {
    case '{':
        return names_object(s);
    case '[':
        return names_array(s);
    case '"':
        return names_skip_string(s);
    default: { /* a number, true, false or null */
        const char *start = s->p;
        while ((*s->p >= '0' && *s->p <= '9') || (*s->p >= 'a' && *s->p <= 'z') || *s->p == 'E' ||
               *s->p == '-' || *s->p == '+' || *s->p == '.')
            s->p++;
        return s->p == start;
    }
    }
}

/* Walks `text` (NUL-terminated JSON that json-c accepted, an object of type d) for names given
 * twice. Returns 0 (none, or the walk gave up), or -1 with *err filled. */
static int check_names(const ProtobufCMessageDescriptor *d, const char *text, json_in_error *err)
{
    struct names s = {.p = text, .root = d, .err = err};

    if (!(s.tok = json_tokener_new()))
        return fail(err, "", "out of memory");
    int rc = names_value(&s);
    json_tokener_free(s.tok);
    return rc < 0 ? -1 : 0;
}

int json_read_tree(const ProtobufCMessageDescriptor *d, json_object *obj, ProtobufCMessage **out,
                   json_in_error *err)
{
    if (!json_object_is_type(obj, json_type_object))
        return fail(err, "", "expected a JSON object, got %s", type_name(obj));
    ProtobufCMessage *msg = new_message(d);
    if (!msg)
        return fail(err, "", "out of memory");
    if (read_object(msg, obj, "", err) != 0) {
        protobuf_c_message_free_unpacked(msg, NULL);
        return -1;
    }
    *out = msg;
    return 0;
}

int json_read_message(const ProtobufCMessageDescriptor *d, const char *text, size_t len,
                      ProtobufCMessage **out, json_in_error *err)
{
    if (len > INT32_MAX - 1)
        return fail(err, "", "line too long");
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return fail(err, "", "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* The whole text at once; a NUL-terminated copy tells json-c the input ends here. */
    char *buf = malloc(len + 1);
    if (!buf) {
        json_tokener_free(tok);
        return fail(err, "", "out of memory");
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    json_object *root = json_tokener_parse_ex(tok, buf, (int)len + 1);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int rc;
    if (jerr != json_tokener_success || !root) {
        if (jerr == json_tokener_continue)
            rc = fail(err, "", "invalid JSON: unexpected end of line");
        else
            rc = fail(err, "", "invalid JSON at column %zu: %s", end + 1,
                      json_tokener_error_desc(jerr));
        json_object_put(root);
        free(buf);
        return rc;
    }
    /* The values first: an unknown field or a wrong value is the error to name before a name
     * given twice inside it. */
    ProtobufCMessage *msg = NULL;
    rc = json_read_tree(d, root, &msg, err);
    if (rc == 0 && (rc = check_names(d, buf, err)) != 0)
        protobuf_c_message_free_unpacked(msg, NULL);
    json_object_put(root);
    free(buf);
    if (rc != 0)
        return -1;
    *out = msg;
    return 0;
}
