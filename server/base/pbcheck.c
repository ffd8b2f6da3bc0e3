/*
 * pbcheck.c — see pbcheck.h.
 *
 * One walker serves both uses: pbcheck_find stops at the first faulty string, pbcheck_repair
 * overwrites every faulty byte and goes on. The walker reads the wire format as protobuf-c
 * does: a tag is a varint of at most 32 bits with a field number of at least 1; groups (wire
 * types 3 and 4) are refused, as protobuf-c refuses them; a known string or message field
 * must be length-delimited. Anything else is PBCHECK_MALFORMED, which protobuf-c would not
 * have unpacked either.
 *
 * A repeated field's index counts that field's occurrences within its message so far. The
 * counts live on the stack for the first COUNTED fields of a message (our messages have far
 * fewer); a field beyond them is counted by reading the message again from its start.
 */
#include "pbcheck.h"
#include "pb.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define COUNTED        128 /* fields of a message whose occurrences are counted on the stack */
#define KEY_SHOWN_MAX  64  /* the longest map key written into a path */
#define WIRE_VARINT    0
#define WIRE_FIXED64   1
#define WIRE_LEN       2
#define WIRE_FIXED32   5

typedef struct walk {
    int repair;        /* 1: overwrite faulty bytes and go on; 0: stop at the first */
    long replaced;     /* bytes overwritten so far */
    int have_fault;    /* *f holds the first fault */
    pbcheck_fault *f;  /* may be NULL */
    char path[PBCHECK_PATH_MAX]; /* the path of the field being read */
} walk;

/* Writes a path segment at w->path[at]; returns the path's new length (cut at the buffer's
 * end, always NUL-terminated). */
static size_t path_put(walk *w, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static size_t path_put(walk *w, size_t at, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (at >= sizeof w->path - 1)
        return sizeof w->path - 1;
    va_start(ap, fmt);
    n = vsnprintf(w->path + at, sizeof w->path - at, fmt, ap);
    va_end(ap);
    if (n < 0) {
        w->path[at] = '\0';
        return at;
    }
    return at + (size_t)n < sizeof w->path ? at + (size_t)n : sizeof w->path - 1;
}

/* Records a fault at the current path: the first string fault only, and any malformation
 * (which ends the walk, so it is the last word). */
static void fault(walk *w, int malformed, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fault(walk *w, int malformed, const char *fmt, ...)
{
    va_list ap;

    if (!w->f || (w->have_fault && !malformed))
        return;
    w->have_fault = 1;
    snprintf(w->f->path, sizeof w->f->path, "%s", w->path);
    va_start(ap, fmt);
    vsnprintf(w->f->reason, sizeof w->f->reason, fmt, ap);
    va_end(ap);
}

static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t r = 0;

    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b;

        if (*pos >= len)
            return -1;
        b = p[(*pos)++];
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* Reads the field at p[*pos]: its number, wire type and, for length-delimited fields, its
 * value's bytes. Moves *pos past it. Returns 0, or -1 with a reason in why[80]. */
static int next_field(const uint8_t *p, size_t len, size_t *pos, uint32_t *number, int *wire,
                      size_t *val, size_t *vlen, char *why)
{
    size_t start = *pos;
    uint64_t tag, v;

    if (read_varint(p, len, pos, &tag) != 0 || tag > UINT32_MAX || (tag >> 3) == 0) {
        snprintf(why, 80, "no valid field tag at byte %zu", start);
        return -1;
    }
    *number = (uint32_t)(tag >> 3);
    *wire = (int)(tag & 7);
    *val = *pos;
    *vlen = 0;
    switch (*wire) {
    case WIRE_VARINT:
        if (read_varint(p, len, pos, &v) == 0)
            return 0;
        break;
    case WIRE_FIXED64:
    case WIRE_FIXED32: {
        size_t n = *wire == WIRE_FIXED64 ? 8 : 4;
        if (len - *pos >= n) {
            *pos += n;
            return 0;
        }
        break;
    }
    case WIRE_LEN:
        if (read_varint(p, len, pos, &v) == 0 && v <= len - *pos) {
            *val = *pos;
            *vlen = (size_t)v;
            *pos += (size_t)v;
            return 0;
        }
        break;
    default:
        snprintf(why, 80, "field %u at byte %zu has wire type %d (groups are not supported)",
                 *number, start, *wire);
        return -1;
    }
    snprintf(why, 80, "field %u at byte %zu runs past the end of its message", *number, start);
    return -1;
}

/* Checks (or repairs) one string value s[0..n). */
static int check_string(walk *w, uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint32_t cp;
        size_t l = s[i] ? utf8_decode(s + i, n - i, &cp) : 0;

        if (l) {
            i += l;
            continue;
        }
        if (s[i] == 0)
            fault(w, 0, "holds a NUL character (U+0000) at offset %zu", i);
        else
            fault(w, 0, "is not valid UTF-8 (byte 0x%02X at offset %zu)", s[i], i);
        if (!w->repair)
            return PBCHECK_BAD_STRING;
        /* pbcheck_repair is the only caller that writes: it owns a writable buffer. */
        s[i] = '?';
        w->replaced++;
        i++;
    }
    return PBCHECK_OK;
}

static int is_map_entry(const ProtobufCFieldDescriptor *fd)
{
    return fd->label == PROTOBUF_C_LABEL_REPEATED && fd->type == PROTOBUF_C_TYPE_MESSAGE &&
           pb_is_map_entry(fd->descriptor);
}

/* Whether a map key may be written into a path as it is (see pbcheck.h). */
static int key_shown(const uint8_t *k, size_t n)
{
    if (n == 0 || n > KEY_SHOWN_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i] <= 0x20 || k[i] >= 0x7f || strchr("\"\\{}=", k[i]))
            return 0;
    }
    return 1;
}

/* How many times field `number` occurs in p[0..upto), a message's bytes read without fault
 * so far. */
static size_t occurrences(const uint8_t *p, size_t upto, uint32_t number)
{
    size_t pos = 0, count = 0, val, vlen;
    uint32_t num;
    int wire;
    char why[80];

    while (pos < upto && next_field(p, upto, &pos, &num, &wire, &val, &vlen, why) == 0)
        count += num == number;
    return count;
}

static int walk_message(walk *w, const ProtobufCMessageDescriptor *d, uint8_t *p, size_t len,
                        size_t at, int depth);

/* Walks the value of field fd (a string or a message, length-delimited) at path w->path. */
static int walk_value(walk *w, const ProtobufCFieldDescriptor *fd, uint8_t *val, size_t vlen,
                      size_t at, int depth)
{
    if (fd->type == PROTOBUF_C_TYPE_STRING)
        return check_string(w, val, vlen);
    return walk_message(w, fd->descriptor, val, vlen, at, depth + 1);
}

/* Walks one map entry of map field fd: its key, then its value, named as pbcheck.h says. `at`
 * is the path's length after the map field's name; `index` the entry's index as sent. */
static int walk_entry(walk *w, const ProtobufCFieldDescriptor *fd, uint8_t *p, size_t len,
                      size_t at, size_t index, int depth)
{
    const ProtobufCMessageDescriptor *ed = fd->descriptor;
    const ProtobufCFieldDescriptor *kf = protobuf_c_message_descriptor_get_field(ed, 1);
    const ProtobufCFieldDescriptor *vf = protobuf_c_message_descriptor_get_field(ed, 2);
    size_t pos = 0, val, vlen, key = 0, klen = 0;
    int wire, have_key = 0, rc;
    uint32_t num;
    char why[80];

    /* The key first, wherever it is in the entry (the last one counts, as for any field). */
    while (pos < len) {
        if (next_field(p, len, &pos, &num, &wire, &val, &vlen, why) != 0) {
            path_put(w, at, "[%zu]", index);
            fault(w, 1, "%s", why);
            return PBCHECK_MALFORMED;
        }
        if (num == 1 && wire == WIRE_LEN && kf->type == PROTOBUF_C_TYPE_STRING) {
            key = val;
            klen = vlen;
            have_key = 1;
        }
    }
    pos = 0;
    while (pos < len) {
        const ProtobufCFieldDescriptor *f;
        size_t end;

        next_field(p, len, &pos, &num, &wire, &val, &vlen, why); /* read once above */
        f = num == 1 ? kf : num == 2 ? vf : NULL;
        if (!f || (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE))
            continue;
        if (f == kf || !have_key || !key_shown(p + key, klen))
            end = path_put(w, at, "[%zu]%s", index, f == kf ? ".key" : "");
        else
            end = path_put(w, at, "{%.*s}", (int)klen, (const char *)(p + key));
        if (wire != WIRE_LEN) {
            fault(w, 1, "is not length-delimited on the wire");
            return PBCHECK_MALFORMED;
        }
        rc = walk_value(w, f, p + val, vlen, end, depth);
        if (rc != PBCHECK_OK)
            return rc;
    }
    return PBCHECK_OK;
}

static int walk_message(walk *w, const ProtobufCMessageDescriptor *d, uint8_t *p, size_t len,
                        size_t at, int depth)
{
    size_t counts[COUNTED];
    size_t pos = 0;

    w->path[at] = '\0';
    if (depth > PBCHECK_DEPTH_MAX) {
        fault(w, 1, "nests messages more than %d deep", PBCHECK_DEPTH_MAX);
        return PBCHECK_MALFORMED;
    }
    memset(counts, 0, sizeof counts);
    while (pos < len) {
        const ProtobufCFieldDescriptor *fd;
        size_t start = pos, val, vlen, idx, n, end;
        uint32_t num;
        int wire, rc;
        char why[80];

        w->path[at] = '\0';
        if (next_field(p, len, &pos, &num, &wire, &val, &vlen, why) != 0) {
            fault(w, 1, "%s", why);
            return PBCHECK_MALFORMED;
        }
        fd = protobuf_c_message_descriptor_get_field(d, num);
        if (!fd || (fd->type != PROTOBUF_C_TYPE_STRING && fd->type != PROTOBUF_C_TYPE_MESSAGE))
            continue; /* unknown fields, scalars and bytes hold no text */
        end = path_put(w, at, "%s%s", at ? "." : "", fd->name);
        if (wire != WIRE_LEN) {
            fault(w, 1, "is not length-delimited on the wire");
            return PBCHECK_MALFORMED;
        }
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            idx = (size_t)(fd - d->fields);
            n = idx < COUNTED ? counts[idx]++ : occurrences(p, start, num);
            if (is_map_entry(fd))
                rc = walk_entry(w, fd, p + val, vlen, end, n, depth + 1);
            else
                rc = walk_value(w, fd, p + val, vlen, path_put(w, end, "[%zu]", n), depth);
        } else {
            rc = walk_value(w, fd, p + val, vlen, end, depth);
        }
        if (rc != PBCHECK_OK)
            return rc;
    }
    return PBCHECK_OK;
}

int pbcheck_find(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
                 pbcheck_fault *f)
{
    walk w;

    memset(&w, 0, sizeof w);
    w.f = f;
    /* With repair 0 the walker never writes through the pointer. */
    return walk_message(&w, d, (uint8_t *)buf, len, 0, 0);
}

long pbcheck_repair(const ProtobufCMessageDescriptor *d, uint8_t *buf, size_t len,
                    pbcheck_fault *first)
{
    walk w;

    memset(&w, 0, sizeof w);
    w.repair = 1;
    w.f = first;
    if (walk_message(&w, d, buf, len, 0, 0) == PBCHECK_MALFORMED)
        return PBCHECK_MALFORMED;
    return w.replaced;
}
