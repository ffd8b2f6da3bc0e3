/*
 * pb.c — see pb.h.
 */
#include "pb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* m packed into a malloc'd buffer of *len bytes, or NULL. */
static uint8_t *packed(const ProtobufCMessage *m, size_t *len)
{
    uint8_t *buf;

    *len = protobuf_c_message_get_packed_size(m);
    buf = malloc(*len ? *len : 1);
    if (buf)
        protobuf_c_message_pack(m, buf);
    return buf;
}

int pb_batch_put(store_batch *b, store_cf cf, const void *key, size_t klen,
                 const ProtobufCMessage *m)
{
    size_t len;
    uint8_t *buf = packed(m, &len);

    if (!buf)
        return STORE_ENOMEM;
    store_batch_put(b, cf, key, klen, buf, len);
    free(buf);
    return 0;
}

int pb_store_get(store *st, const store_snapshot *snap, store_cf cf, const void *key,
                 size_t klen, const ProtobufCMessageDescriptor *d, const char *what,
                 ProtobufCMessage **out, char *err)
{
    store_value *pin = NULL;
    const void *val = NULL;
    size_t len = 0;
    ProtobufCMessage *m;
    /* Decoded where the engine holds it: no copy of the value to make and free. */
    int rc = store_get_pinned(st, snap, cf, key, klen, &pin, &val, &len, err);

    if (rc != 0)
        return rc;
    m = protobuf_c_message_unpack(d, NULL, len, val);
    store_value_release(pin);
    if (!m) {
        if (err)
            snprintf(err, STORE_ERR_LEN, "%.200s cannot be decoded", what);
        return STORE_ECORRUPT;
    }
    *out = m;
    return 0;
}

void pb_free_list(ProtobufCMessage **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(v[i], NULL);
    free(v);
}

struct pb_scan {
    store_iter *it;
    const ProtobufCMessageDescriptor *d;
    int started; /* whether next has been called, so the iterator is to move first */
};

int pb_scan_open(store *st, const store_snapshot *snap, store_cf cf, const void *prefix,
                 size_t plen, const void *start, size_t slen, const ProtobufCMessageDescriptor *d,
                 pb_scan **out)
{
    pb_scan *s = calloc(1, sizeof *s);

    if (!s)
        return STORE_ENOMEM;
    s->d = d;
    if (!(s->it = store_iter_create(st, snap, cf, prefix, plen, start, slen))) {
        free(s);
        return STORE_ENOMEM;
    }
    *out = s;
    return 0;
}

int pb_scan_next_raw(pb_scan *s, const void **key, size_t *klen, const void **val, size_t *vlen,
                     char *err)
{
    if (s->started)
        store_iter_next(s->it);
    s->started = 1;
    if (!store_iter_valid(s->it))
        return store_iter_error(s->it, err) != 0 ? STORE_EIO : 0;
    *key = store_iter_key(s->it, klen);
    *val = store_iter_value(s->it, vlen);
    return 1;
}

int pb_scan_next(pb_scan *s, ProtobufCMessage **out, const void **key, size_t *klen, char *err)
{
    const void *k, *val;
    size_t kl, len;
    ProtobufCMessage *m;
    int rc = pb_scan_next_raw(s, &k, &kl, &val, &len, err);

    if (rc <= 0)
        return rc;
    if (key)
        *key = k;
    if (klen)
        *klen = kl;
    if (!(m = protobuf_c_message_unpack(s->d, NULL, len, val))) {
        if (err)
            snprintf(err, STORE_ERR_LEN, "a stored %.100s cannot be decoded", s->d->short_name);
        return STORE_ECORRUPT;
    }
    *out = m;
    return 1;
}

void pb_scan_close(pb_scan *s)
{
    if (!s)
        return;
    store_iter_destroy(s->it);
    free(s);
}

int pb_store_list(store *st, store_cf cf, const void *prefix, size_t plen,
                  const ProtobufCMessageDescriptor *d, int skip_bad, const char *what,
                  ProtobufCMessage ***out, size_t *n, char *err)
{
    ProtobufCMessage **v = NULL;
    size_t count = 0, cap = 0;
    pb_scan *s = NULL;
    int rc = pb_scan_open(st, NULL, cf, prefix, plen, NULL, 0, d, &s);

    while (rc == 0) {
        ProtobufCMessage *m = NULL;
        int got = pb_scan_next(s, &m, NULL, NULL, err);

        if (got == STORE_ECORRUPT && skip_bad)
            continue;
        if (got == STORE_ECORRUPT && err)
            snprintf(err, STORE_ERR_LEN, "a stored %.200s cannot be decoded", what);
        if (got <= 0) {
            rc = got;
            break;
        }
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            ProtobufCMessage **grown = realloc(v, ncap * sizeof *grown);

            if (!grown) {
                protobuf_c_message_free_unpacked(m, NULL);
                if (err)
                    snprintf(err, STORE_ERR_LEN, "out of memory");
                rc = STORE_ENOMEM;
                break;
            }
            v = grown;
            cap = ncap;
        }
        v[count++] = m;
    }
    pb_scan_close(s);
    if (rc != 0) {
        pb_free_list(v, count);
        return rc;
    }
    *out = v;
    *n = count;
    return 0;
}

int pb_is_map_entry(const ProtobufCMessageDescriptor *d)
{
    const ProtobufCFieldDescriptor *k, *v;
    size_t n;

    if (!d || d->n_fields != 2)
        return 0;
    n = strlen(d->name);
    k = protobuf_c_message_descriptor_get_field(d, 1);
    v = protobuf_c_message_descriptor_get_field(d, 2);
    return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && k && v &&
           strcmp(k->name, "key") == 0 && strcmp(v->name, "value") == 0;
}

ProtobufCMessage *pb_copy(const ProtobufCMessage *m)
{
    size_t len;
    uint8_t *buf = packed(m, &len);
    ProtobufCMessage *c;

    if (!buf)
        return NULL;
    c = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    free(buf);
    return c;
}
