/*
 * pb.c — see pb.h.
 */
#include "pb.h"

#include <stdint.h>
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
