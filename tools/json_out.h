/*
 * json_out.h — print any protobuf-c message as JSON, walking its descriptor.
 *
 * The output follows the proto3 JSON mapping in spirit: lowerCamelCase field names, enums by
 * name, 64-bit integers as strings, bytes as base64, google.protobuf.Timestamp as RFC 3339
 * UTC text, only the set member of a oneof, and fields at their default value left out. It
 * is compact (one line, no trailing newline) so that a caller can write JSON Lines.
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

#endif /* CREDITCTL_JSON_OUT_H */
