/*
 * pbwalk.h — walking a protobuf-c message's set fields by reflection.
 *
 * Nothing here knows the catalogue: it answers "does this field hold a value" and "which leaf
 * fields hold values, by what path", for any message. The catalogue (catalog.h) maps those
 * paths to dimensions; the record checker looks for values outside every dimension with it and
 * the tier filter clears values above a tier with it.
 *
 * Presence is proto3's: a field holds a value when it is a non-empty string or bytes, a set
 * message, a non-zero number or enum, or true, and, inside a oneof, when it is the member set.
 *
 * Pure functions of their arguments; safe from any thread (a walk may change the leaves it is
 * given, never the fields that lead to them).
 */
#ifndef CREDIT_PBWALK_H
#define CREDIT_PBWALK_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define PBWALK_MAX 8 /* the deepest leaf pbwalk_leaves reaches */

/* Whether oneof member f of m is the one set (always 1 for a field outside a oneof). */
int pbwalk_member_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

/* Whether the field `f` of message `m` holds a value (above). */
int pbwalk_field_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

/* Calls fn for every leaf field that holds a value under `m`: scalars, strings and enums, and
 * messages of type `leaf_type` (may be NULL) as one value. chain[0..depth) is the leaf's field
 * path from the root as descriptors: the walk's `prefix` (the fields that lead from the root to
 * m), then the fields below m, the leaf last (chain[depth - 1] is f). chain is the walker's;
 * copy it to keep it. Repeated and map fields, and leaves deeper than PBWALK_MAX, are not
 * walked. Stops and returns fn's value when fn returns non-zero; else 0. n_prefix must be
 * below PBWALK_MAX; prefix may be NULL when it is 0. */
typedef int (*pbwalk_leaf_fn)(void *arg, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                              const ProtobufCFieldDescriptor *const *chain, size_t depth);
int pbwalk_leaves(ProtobufCMessage *m, const ProtobufCFieldDescriptor *const *prefix,
                  size_t n_prefix, const ProtobufCMessageDescriptor *leaf_type, pbwalk_leaf_fn fn,
                  void *arg);

/* The dotted names of chain[0..depth) into buf[cap] ("subject.name"); returns buf. */
const char *pbwalk_chain_path(const ProtobufCFieldDescriptor *const *chain, size_t depth, char *buf,
                              size_t cap);

#endif /* CREDIT_PBWALK_H */
