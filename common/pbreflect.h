/*
 * pbreflect.h — protobuf-c reflection helpers shared by the node's text-format reader
 * (server/rules/textproto.c) and creditctl's JSON reader and writer (tools/json_*.c).
 *
 * protobuf-c describes a message's fields (type, label, offsets) but leaves the C layout of a
 * value to each reader: how many bytes an element of a repeated field takes, where a field
 * lives in the struct. These answers must agree wherever messages are built by reflection, so
 * they live here once.
 *
 * Pure functions of their arguments; safe from any thread.
 */
#ifndef CREDIT_PBREFLECT_H
#define CREDIT_PBREFLECT_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* The size of one value of `type` in a message struct (an element of a repeated field): 4 for
 * 32-bit integers and enums, 8 for 64-bit ones, a pointer for strings and messages, ...; 0 for
 * a type protobuf-c does not know. */
size_t pbreflect_elem_size(ProtobufCType type);

/* Whether the value of `type` at p is its type's zero, proto3's default: 0, false, an empty or
 * NULL string, empty bytes, no message. (A oneof's membership is the caller's to check.) */
int pbreflect_is_zero(ProtobufCType type, const void *p);

/* Where a field at byte `offset` (a descriptor's offset or quantifier_offset) lives in `m`. */
static inline void *pbreflect_member(ProtobufCMessage *m, unsigned offset)
{
    return (char *)m + offset;
}

#endif /* CREDIT_PBREFLECT_H */
