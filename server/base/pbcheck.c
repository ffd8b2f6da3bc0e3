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
 *
 * Paths are written only when there is a fault to name. While walking, each level keeps on
 * its own stack frame one `seg` (a field's name, an element's index, a map entry) that points
 * at its parent's; fault() renders the chain from the top into the path. A reply of a thousand
 * entries without a fault (the normal case) formats nothing: formatting every field's path as
 * it was read cost a portrait about 15% of its CPU time. The rendering writes what the
 * segments would have written one after another, cut at PBCHECK_PATH_MAX - 1 bytes.
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

/* One step of a path (see the file's head), kept on the walker's stack. */
typedef enum seg_kind {
    SEG_FIELD,     /* ".name" ("name" at the top) */
    SEG_INDEX,     /* "[index]": a repeated field's element, or a map entry named by index */
    SEG_ENTRY_KEY, /* "[index].key": a map entry's key */
    SEG_ENTRY_NAMED, /* "{key}": a map entry's value named by its key */
} seg_kind;

typedef struct seg {
    const struct seg *up; /* the enclosing step; NULL at the top */
    seg_kind kind;
    const char *name;   /* SEG_FIELD */
    size_t index;       /* SEG_INDEX, SEG_ENTRY_KEY */
    const uint8_t *key; /* SEG_ENTRY_NAMED: key[0..klen), printable (key_shown) */
    size_t klen;
} seg;

typedef struct walk {
    int repair;        /* 1: overwrite faulty bytes and go on; 0: stop at the first */
    long replaced;     /* bytes overwritten so far */
    int have_fault;    /* *f holds the first fault */
    pbcheck_fault *f;  /* may be NULL */
} walk;

/* Appends to path[at] as snprintf would; returns the path's new length (cut at the buffer's
 * end, always NUL-terminated). */
static size_t path_put(char *path, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static size_t path_put(char *path, size_t at, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (at >= PBCHECK_PATH_MAX - 1)
        return PBCHECK_PATH_MAX - 1;
    va_start(ap, fmt);
    n = vsnprintf(path + at, PBCHECK_PATH_MAX - at, fmt, ap);
    va_end(ap);
    if (n < 0) {
        path[at] = '\0';
        return at;
    }
    return at + (size_t)n < PBCHECK_PATH_MAX ? at + (size_t)n : PBCHECK_PATH_MAX - 1;
}

/* Writes the path of segment s (and of those above it) into path[PBCHECK_PATH_MAX]; returns
 * its length. The chain is as deep as the message nests (bounded by PBCHECK_DEPTH_MAX). */
static size_t render(const seg *s, char *path)
{
    size_t at;

    if (!s) {
        path[0] = '\0';
        return 0;
    }
    at = render(s->up, path);
    switch (s->kind) {
    case SEG_FIELD:
        return path_put(path, at, "%s%s", at ? "." : "", s->name);
    case SEG_INDEX:
        return path_put(path, at, "[%zu]", s->index);
    case SEG_ENTRY_KEY:
        return path_put(path, at, "[%zu].key", s->index);
    case SEG_ENTRY_NAMED:
        return path_put(path, at, "{%.*s}", (int)s->klen, (const char *)s->key);
    }
    return at;
}

/* Records a fault at path `at`: the first string fault only, and any malformation (which
 * ends the walk, so it is the last word). */
static void fault(walk *w, const seg *at, int malformed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fault(walk *w, const seg *at, int malformed, const char *fmt, ...)
{
    va_list ap;

    if (!w->f || (w->have_fault && !malformed))
        return;
    w->have_fault = 1;
    render(at, w->f->path);
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

/* Checks (or repairs) one string value s[0..n), found at path `at`. */
static int check_string(walk *w, const seg *at, uint8_t *s, size_t n)
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
            fault(w, at, 0, "holds a NUL character (U+0000) at offset %zu", i);
        else
            fault(w, at, 0, "is not valid UTF-8 (byte 0x%02X at offset %zu)", s[i], i);
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
                        const seg *at, int depth);

/* Walks the value of field fd (a string or a message, length-delimited) at path `at`. */
static int walk_value(walk *w, const ProtobufCFieldDescriptor *fd, uint8_t *val, size_t vlen,
                      const seg *at, int depth)
{
    if (fd->type == PROTOBUF_C_TYPE_STRING)
        return check_string(w, at, val, vlen);
    return walk_message(w, fd->descriptor, val, vlen, at, depth + 1);
}

/* Walks one map entry of map field fd: its key, then its value, named as pbcheck.h says. `at`
 * is the map field's path; `index` the entry's index as sent. */
static int walk_entry(walk *w, const ProtobufCFieldDescriptor *fd, uint8_t *p, size_t len,
                      const seg *at, size_t index, int depth)
{
    const ProtobufCMessageDescriptor *ed = fd->descriptor;
    const ProtobufCFieldDescriptor *kf = protobuf_c_message_descriptor_get_field(ed, 1);
    const ProtobufCFieldDescriptor *vf = protobuf_c_message_descriptor_get_field(ed, 2);
    size_t pos = 0, val, vlen, key = 0, klen = 0;
    int wire, have_key = 0, rc;
    uint32_t num;
    char why[80];
    seg entry = {.up = at, .kind = SEG_INDEX, .index = index};

    /* The key first, wherever it is in the entry (the last one counts, as for any field). */
    while (pos < len) {
        if (next_field(p, len, &pos, &num, &wire, &val, &vlen, why) != 0) {
            fault(w, &entry, 1, "%s", why);
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

        next_field(p, len, &pos, &num, &wire, &val, &vlen, why); /* read once above */
        f = num == 1 ? kf : num == 2 ? vf : NULL;
        if (!f || (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE))
            continue;
        if (f == kf)
            entry.kind = SEG_ENTRY_KEY;
        else if (!have_key || !key_shown(p + key, klen))
            entry.kind = SEG_INDEX;
        else {
            entry.kind = SEG_ENTRY_NAMED;
            entry.key = p + key;
            entry.klen = klen;
        }
        if (wire != WIRE_LEN) {
            fault(w, &entry, 1, "is not length-delimited on the wire");
            return PBCHECK_MALFORMED;
        }
        rc = walk_value(w, f, p + val, vlen, &entry, depth);
        if (rc != PBCHECK_OK)
            return rc;
    }
    return PBCHECK_OK;
}

static int walk_message(walk *w, const ProtobufCMessageDescriptor *d, uint8_t *p, size_t len,
                        const seg *at, int depth)
{
    size_t counts[COUNTED];
    size_t pos = 0;

    if (depth > PBCHECK_DEPTH_MAX) {
        fault(w, at, 1, "nests messages more than %d deep", PBCHECK_DEPTH_MAX);
        return PBCHECK_MALFORMED;
    }
    memset(counts, 0, sizeof counts);
    while (pos < len) {
        const ProtobufCFieldDescriptor *fd;
        size_t start = pos, val, vlen, idx, n;
        uint32_t num;
        int wire, rc;
        char why[80];

        if (next_field(p, len, &pos, &num, &wire, &val, &vlen, why) != 0) {
            fault(w, at, 1, "%s", why);
            return PBCHECK_MALFORMED;
        }
        fd = protobuf_c_message_descriptor_get_field(d, num);
        if (!fd || (fd->type != PROTOBUF_C_TYPE_STRING && fd->type != PROTOBUF_C_TYPE_MESSAGE))
            continue; /* unknown fields, scalars and bytes hold no text */
        seg field = {.up = at, .kind = SEG_FIELD, .name = fd->name};
        if (wire != WIRE_LEN) {
            fault(w, &field, 1, "is not length-delimited on the wire");
            return PBCHECK_MALFORMED;
        }
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            idx = (size_t)(fd - d->fields);
            n = idx < COUNTED ? counts[idx]++ : occurrences(p, start, num);
            seg elem = {.up = &field, .kind = SEG_INDEX, .index = n};
            if (is_map_entry(fd))
                rc = walk_entry(w, fd, p + val, vlen, &field, n, depth + 1);
            else
                rc = walk_value(w, fd, p + val, vlen, &elem, depth);
        } else {
            rc = walk_value(w, fd, p + val, vlen, &field, depth);
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
    return walk_message(&w, d, (uint8_t *)buf, len, NULL, 0);
}

long pbcheck_repair(const ProtobufCMessageDescriptor *d, uint8_t *buf, size_t len,
                    pbcheck_fault *first)
{
    walk w;

    memset(&w, 0, sizeof w);
    w.repair = 1;
    w.f = first;
    if (walk_message(&w, d, buf, len, NULL, 0) == PBCHECK_MALFORMED)
        return PBCHECK_MALFORMED;
    return w.replaced;
}
