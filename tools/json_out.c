/*
 * json_out.c — a generic protobuf-c → JSON printer for creditctl.
 *
 * Everything is driven by the message descriptors, so new fields and messages print without
 * changes here. Presence follows proto3: a singular field (label NONE) is printed when it
 * differs from its zero value, a oneof member when it is the set case, a repeated field when
 * it has elements, a proto2 optional when its has_ flag (or non-NULL pointer) says so. A map
 * (a repeated field of protoc's entry messages, see json_map_field) prints as one object, its
 * entries in the order stored; it is left out when empty, as any repeated field is.
 * Nothing here allocates; output goes straight to the FILE.
 */
#include "json_out.h"
#include "pbreflect.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static void write_message(FILE *out, const ProtobufCMessage *msg);

void json_write_string(FILE *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";

    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\b':
            fputs("\\b", out);
            break;
        case '\f':
            fputs("\\f", out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fputs("\\u00", out);
                putc(hex[*p >> 4], out);
                putc(hex[*p & 0xf], out);
            } else {
                putc(*p, out); /* UTF-8 passes through as it is */
            }
        }
    }
    putc('"', out);
}

/* snake_case → lowerCamelCase, as protoc derives json_name: drop each underscore and
 * upper-case the letter after it. */
static void write_name(FILE *out, const char *name)
{
    int upper = 0;

    putc('"', out);
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            upper = 1;
            continue;
        }
        putc(upper && *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, out);
        upper = 0;
    }
    fputs("\":", out);
}

static void write_base64(FILE *out, const ProtobufCBinaryData *b)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;

    putc('"', out);
    for (; i + 3 <= b->len; i += 3) {
        uint32_t v = (uint32_t)b->data[i] << 16 | (uint32_t)b->data[i + 1] << 8 | b->data[i + 2];
        putc(tab[v >> 18 & 63], out);
        putc(tab[v >> 12 & 63], out);
        putc(tab[v >> 6 & 63], out);
        putc(tab[v & 63], out);
    }
    if (b->len - i == 1) {
        uint32_t v = (uint32_t)b->data[i] << 16;
        putc(tab[v >> 18 & 63], out);
        putc(tab[v >> 12 & 63], out);
        fputs("==", out);
    } else if (b->len - i == 2) {
        uint32_t v = (uint32_t)b->data[i] << 16 | (uint32_t)b->data[i + 1] << 8;
        putc(tab[v >> 18 & 63], out);
        putc(tab[v >> 12 & 63], out);
        putc(tab[v >> 6 & 63], out);
        putc('=', out);
    }
    putc('"', out);
}

static void write_double(FILE *out, double d, int digits)
{
    if (isnan(d))
        fputs("\"NaN\"", out);
    else if (isinf(d))
        fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", out);
    else
        fprintf(out, "%.*g", digits, d);
}

int json_format_timestamp(char *buf, size_t size, long long seconds, int nanos)
{
    /* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, the range proto3 JSON allows. */
    if (seconds < -62135596800LL || seconds > 253402300799LL || nanos < 0 || nanos > 999999999)
        return -1;
    time_t t = (time_t)seconds;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return -1;
    char frac[16] = "";
    if (nanos % 1000000 == 0 && nanos != 0)
        snprintf(frac, sizeof frac, ".%03d", nanos / 1000000);
    else if (nanos % 1000 == 0 && nanos != 0)
        snprintf(frac, sizeof frac, ".%06d", nanos / 1000);
    else if (nanos != 0)
        snprintf(frac, sizeof frac, ".%09d", nanos);
    int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* A google.protobuf.Timestamp, read through its descriptor so that this file needs no
 * generated header. Falls back to the plain object form if it cannot be represented. */
static int write_timestamp(FILE *out, const ProtobufCMessage *msg)
{
    const ProtobufCFieldDescriptor *fs =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "seconds");
    const ProtobufCFieldDescriptor *fn =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "nanos");
    if (!fs || !fn || fs->type != PROTOBUF_C_TYPE_INT64 || fn->type != PROTOBUF_C_TYPE_INT32)
        return -1;
    int64_t secs;
    int32_t nanos;
    memcpy(&secs, (const char *)msg + fs->offset, sizeof secs);
    memcpy(&nanos, (const char *)msg + fn->offset, sizeof nanos);
    char buf[64];
    if (json_format_timestamp(buf, sizeof buf, (long long)secs, nanos) != 0)
        return -1;
    json_write_string(out, buf);
    return 0;
}

size_t json_field_size(ProtobufCType type)
{
    return pbreflect_elem_size(type);
}

int json_map_field(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f,
                   const ProtobufCFieldDescriptor **key, const ProtobufCFieldDescriptor **value)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE ||
        !f->descriptor || !d->name)
        return 0;
    const ProtobufCMessageDescriptor *e = f->descriptor;
    if (e->n_fields != 2 || !e->name)
        return 0;
    const ProtobufCFieldDescriptor *k = protobuf_c_message_descriptor_get_field(e, 1);
    const ProtobufCFieldDescriptor *v = protobuf_c_message_descriptor_get_field(e, 2);
    if (!k || !v || strcmp(k->name, "key") != 0 || strcmp(v->name, "value") != 0)
        return 0;

    /* e->name == d->name "." CamelCase(f->name) "Entry", compared without building it. As
     * protoc's MapEntryName: drop each underscore, upper-case the first letter and each
     * letter after an underscore, keep everything else. */
    size_t n = strlen(d->name);
    const char *p = e->name;
    if (strncmp(p, d->name, n) != 0 || p[n] != '.')
        return 0;
    p += n + 1;
    int upper = 1;
    for (const char *c = f->name; *c; c++) {
        if (*c == '_') {
            upper = 1;
            continue;
        }
        char want = upper && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
        upper = 0;
        if (*p++ != want)
            return 0;
    }
    if (strcmp(p, "Entry") != 0)
        return 0;
    if (key)
        *key = k;
    if (value)
        *value = v;
    return 1;
}

int json_format_map_key(char *buf, size_t size, const ProtobufCFieldDescriptor *key, const void *p)
{
    int n;

    switch (key->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        n = snprintf(buf, size, "%" PRId32, *(const int32_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        n = snprintf(buf, size, "%" PRIu32, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        n = snprintf(buf, size, "%" PRId64, *(const int64_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        n = snprintf(buf, size, "%" PRIu64, *(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        n = snprintf(buf, size, "%s", *(const protobuf_c_boolean *)p ? "true" : "false");
        break;
    default: /* a string is its own text; the others cannot be map keys */
        return -1;
    }
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Is the value at p its type's zero value (proto3 default)? */
static int is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
    return pbreflect_is_zero(f->type, p);
}

static void write_value(FILE *out, const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        fprintf(out, "%" PRId32, *(const int32_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        fprintf(out, "%" PRIu32, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64: /* 64-bit integers are strings in proto3 JSON */
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        fprintf(out, "\"%" PRId64 "\"", *(const int64_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        fprintf(out, "\"%" PRIu64 "\"", *(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        write_double(out, *(const float *)p, 9);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        write_double(out, *(const double *)p, 17);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        fputs(*(const protobuf_c_boolean *)p ? "true" : "false", out);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t v = *(const int32_t *)p;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        if (ev)
            json_write_string(out, ev->name);
        else
            fprintf(out, "%" PRId32, v); /* a value newer than our descriptor */
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        json_write_string(out, s ? s : "");
        break;
    }
    case PROTOBUF_C_TYPE_BYTES:
        write_base64(out, p);
        break;
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        if (m)
            write_message(out, m);
        else
            fputs("null", out);
        break;
    }
    }
}

/* A map's entries as one object: {"key":value,...}, in the order stored. An entry without its
 * message value (which protobuf-c leaves NULL when the value was not on the wire) stands for
 * the value type's default, printed as {}. */
static void write_map(FILE *out, const ProtobufCFieldDescriptor *kf,
                      const ProtobufCFieldDescriptor *vf, ProtobufCMessage *const *entries,
                      size_t n)
{
    int first = 1;

    putc('{', out);
    for (size_t i = 0; i < n; i++) {
        const char *e = (const char *)entries[i];
        if (!e)
            continue;
        if (!first)
            putc(',', out);
        first = 0;
        if (kf->type == PROTOBUF_C_TYPE_STRING) {
            const char *s = *(char *const *)(e + kf->offset);
            json_write_string(out, s ? s : "");
        } else {
            char key[32];
            if (json_format_map_key(key, sizeof key, kf, e + kf->offset) != 0)
                key[0] = '\0'; /* not a key type protoc allows; the descriptor is odd */
            json_write_string(out, key);
        }
        putc(':', out);
        if (vf->type == PROTOBUF_C_TYPE_MESSAGE && !*(ProtobufCMessage *const *)(e + vf->offset))
            fputs("{}", out);
        else
            write_value(out, vf, e + vf->offset);
    }
    putc('}', out);
}

static void write_message(FILE *out, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *)msg;
    int first = 1;

    if (d->name && strcmp(d->name, "google.protobuf.Timestamp") == 0 &&
        write_timestamp(out, msg) == 0)
        return;

    putc('{', out);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;

        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            if (n == 0)
                continue;
            const char *arr = *(char *const *)p;
            const ProtobufCFieldDescriptor *kf, *vf;
            if (json_map_field(d, f, &kf, &vf)) {
                if (!first)
                    putc(',', out);
                first = 0;
                write_name(out, f->name);
                write_map(out, kf, vf, (ProtobufCMessage *const *)arr, n);
                continue;
            }
            size_t sz = json_field_size(f->type);
            if (!first)
                putc(',', out);
            first = 0;
            write_name(out, f->name);
            putc('[', out);
            for (size_t k = 0; k < n; k++) {
                if (k)
                    putc(',', out);
                write_value(out, f, arr + k * sz);
            }
            putc(']', out);
            continue;
        }

        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
                continue; /* not the set member */
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && !*(ProtobufCMessage *const *)p)
                continue;
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
            if (f->quantifier_offset && !*(const protobuf_c_boolean *)(base + f->quantifier_offset))
                continue;
            if ((f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) &&
                *(void *const *)p == NULL)
                continue;
        } else if (f->label == PROTOBUF_C_LABEL_NONE && is_default(f, p)) {
            continue;
        }

        if (!first)
            putc(',', out);
        first = 0;
        write_name(out, f->name);
        write_value(out, f, p);
    }
    putc('}', out);
}

void json_write_message(FILE *out, const ProtobufCMessage *msg)
{
    write_message(out, msg);
}
