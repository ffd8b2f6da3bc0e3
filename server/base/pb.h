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

/* Reads the value under `key` in `cf` and unpacks it as a message of type `d`. Returns 0 with
 * *out (free with protobuf_c_message_free_unpacked(*out, NULL)), STORE_ENOTFOUND, a store
 * error with err, or STORE_ECORRUPT when the value does not decode (err then says so,
 * naming `what`, e.g. "change request CR-000001"). `snap` may be NULL. */
int pb_store_get(store *st, const store_snapshot *snap, store_cf cf, const void *key,
                 size_t klen, const ProtobufCMessageDescriptor *d, const char *what,
                 ProtobufCMessage **out, char *err);

/* Every message of type `d` under `prefix` in `cf`, in key order: a malloc'd array of *n
 * messages (free with pb_free_list). A value that does not decode is skipped when
 * `skip_bad` is set, else the listing stops with STORE_ECORRUPT ("a stored <what> cannot be
 * decoded"). Returns 0, STORE_ENOMEM, STORE_EIO or STORE_ECORRUPT; on failure *out and *n
 * are untouched. */
int pb_store_list(store *st, store_cf cf, const void *prefix, size_t plen,
                  const ProtobufCMessageDescriptor *d, int skip_bad, const char *what,
                  ProtobufCMessage ***out, size_t *n, char *err);
void pb_free_list(ProtobufCMessage **v, size_t n);

/* A scan of the messages of type `d` under `prefix` in `cf`, in key order, from the first key
 * >= start[slen] (start NULL: from the prefix). `snap` may be NULL. With d NULL the scan gives
 * raw entries (pb_scan_next_raw). Returns 0 with *out (close
 * with pb_scan_close) or STORE_ENOMEM. */
typedef struct pb_scan pb_scan;
int pb_scan_open(store *st, const store_snapshot *snap, store_cf cf, const void *prefix,
                 size_t plen, const void *start, size_t slen, const ProtobufCMessageDescriptor *d,
                 pb_scan **out);

/* The next message (the caller frees it with protobuf_c_message_free_unpacked) and its key
 * (borrowed, valid until the next call; `key` and `klen` may be NULL). Returns 1; 0 at the
 * end; STORE_ECORRUPT for a value that does not decode (the scan may go on past it, *out is
 * then untouched); or STORE_EIO with err. */
int pb_scan_next(pb_scan *s, ProtobufCMessage **out, const void **key, size_t *klen, char *err);
void pb_scan_close(pb_scan *s);

/* The next entry as bytes (borrowed, valid until the next call), for a scan of values that
 * are not messages (opened with d NULL). Returns 1; 0 at the end; or STORE_EIO with err. */
int pb_scan_next_raw(pb_scan *s, const void **key, size_t *klen, const void **val, size_t *vlen,
                     char *err);

/* A deep copy of `m` allocated as protobuf-c's unpack allocates, so that the caller may free
 * and replace its parts and frees it with protobuf_c_message_free_unpacked(copy, NULL). NULL
 * when out of memory. */
ProtobufCMessage *pb_copy(const ProtobufCMessage *m);

/* Whether messages of type `d` are the entries of a map field. protobuf-c's descriptors do not
 * carry the map_entry option, so it goes by the shape protoc gives every `map<K, V>`: a type
 * named "...Entry" with exactly the fields key = 1 and value = 2. */
int pb_is_map_entry(const ProtobufCMessageDescriptor *d);

#endif /* CREDIT_PB_H */
