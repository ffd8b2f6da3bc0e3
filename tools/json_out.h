/*
 * json_out.h — print any protobuf-c message as JSON, walking its descriptor.
 *
 * The output follows the proto3 JSON mapping in spirit: lowerCamelCase field names, enums by
 * name, 64-bit integers as strings, bytes as base64, google.protobuf.Timestamp as RFC 3339
 * UTC text, only the set member of a oneof, a map as an object keyed by the entries' keys, and
 * fields at their default value left out. It is compact (one line, no trailing newline) so
 * that a caller can write JSON Lines.
 *
 * Only creditctl uses it; it depends on nothing but protobuf-c and stdio.
 */
#ifndef CREDITCTL_JSON_OUT_H
#define CREDITCTL_JSON_OUT_H

#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

/* Writes `msg` as one JSON object to `out`. Write errors are left in ferror(out). */
void json_write_message(FILE *out, const ProtobufCMessage *msg);

/* Writes `s` as a JSON string literal (quotes included), escaping what JSON requires. */
void json_write_string(FILE *out, const char *s);

/* Formats a Timestamp's seconds and nanos as RFC 3339 UTC ("2026-11-25T10:00:00Z", with 3, 6
 * or 9 fraction digits when nanos is not 0) into buf. Returns 0, or -1 if it does not fit or
 * the time cannot be represented. */
int json_format_timestamp(char *buf, size_t size, long long seconds, int nanos);

/* The size of one element of a field of `type` in a protobuf-c message struct (for walking
 * repeated fields; json_in.c uses it too). */
size_t json_field_size(ProtobufCType type);

/* Is field f of message d a map (`map<K, V> f = n;`)? protoc turns a map into a repeated
 * field of a message it generates, `K key = 1; V value = 2;`, named d's full name + "." +
 * CamelCase(f's name) + "Entry" ("credit.v1.Record.ExtraEntry" for Record.extra). protobuf-c's
 * descriptors do not keep the entry's map_entry option, so this recognises the entry by that
 * shape and that name (a hand-written nested message of the same name and shape, used by a
 * repeated field of the same name, would be taken for a map too). The one place json_in.c
 * and json_out.c decide it. Returns 1, with *key and *value (either may be NULL) set to the
 * entry's two fields; else 0 with them untouched. */
int json_map_field(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f,
                   const ProtobufCFieldDescriptor **key, const ProtobufCFieldDescriptor **value);

/* Formats the map key at p, of the entry's key field `key`, as the text of its JSON name: an
 * integer in decimal, a bool as true or false. Returns 0, or -1 for a string key (its text is
 * itself), a type that cannot be a key, or a buf too small (24 bytes always suffice). */
int json_format_map_key(char *buf, size_t size, const ProtobufCFieldDescriptor *key, const void *p);

#endif /* CREDITCTL_JSON_OUT_H */
