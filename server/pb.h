/*
 * pb.h — what the node does with protobuf-c messages in many places: store one packed under a
 * key, copy one deeply, and tell a map field from a repeated message field.
 *
 * Functions of their arguments only; safe from any thread.
 */
#ifndef CREDIT_PB_H
#define CREDIT_PB_H

#include <protobuf-c/protobuf-c.h>

#include "store.h"

/* Packs `m` and adds it to `b` under `key`. Returns 0, or STORE_ENOMEM (nothing added). */
int pb_batch_put(store_batch *b, store_cf cf, const void *key, size_t klen,
                 const ProtobufCMessage *m);

/* A deep copy of `m` allocated as protobuf-c's unpack allocates, so that the caller may free
 * and replace its parts and frees it with protobuf_c_message_free_unpacked(copy, NULL). NULL
 * when out of memory. */
ProtobufCMessage *pb_copy(const ProtobufCMessage *m);

/* Whether messages of type `d` are the entries of a map field. protobuf-c's descriptors do not
 * carry the map_entry option, so it goes by the shape protoc gives every `map<K, V>`: a type
 * named "...Entry" with exactly the fields key = 1 and value = 2. */
int pb_is_map_entry(const ProtobufCMessageDescriptor *d);

#endif /* CREDIT_PB_H */
