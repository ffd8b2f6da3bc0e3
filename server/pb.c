/*
 * pb.c — see pb.h.
 */
#include "pb.h"

#include <stdint.h>
#include <stdlib.h>

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
