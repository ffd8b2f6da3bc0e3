/*
 * json_in.h — read any protobuf-c message from JSON, walking its descriptor.
 *
 * The reader of what json_out.c prints, and of proto3 JSON in general: a field is found by
 * its lowerCamelCase JSON name or by its proto (snake_case) name; an enum by its value's name
 * or its number; 32-bit integers as numbers (or decimal strings), 64-bit integers as decimal
 * strings (or numbers); floats as numbers or "NaN"/"Infinity"/"-Infinity"; bytes as base64
 * (standard or URL-safe, padding optional); a google.protobuf.Timestamp as RFC 3339 text
 * ("2026-10-01T00:00:00Z", optional fraction of 1..9 digits, Z or a +hh:mm/-hh:mm offset);
 * null as the field's default; at most one member of a oneof; a map as a JSON object whose
 * member names are the keys (an integer key in decimal, a bool key as true or false) and whose
 * values are the value type's JSON. Anything else — an unknown field, a value of the wrong
 * type or out of range, a name given twice in one object, a map given as an array or with a
 * null value, text that is not one JSON object — is an error naming the field (a map's entry
 * as "extra.code": the field, a dot, the key).
 *
 * Only creditctl uses it; it depends on protobuf-c and json-c.
 */
#ifndef CREDITCTL_JSON_IN_H
#define CREDITCTL_JSON_IN_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Why a text was not read. field is the proto path of the field at fault ("subject.kind",
 * "" when the text is not JSON at all); reason is a sentence for people. */
typedef struct json_in_error {
    char field[256];
    char reason[512];
} json_in_error;

/* The keys creditctl push --rejects adds to each rejected line of a JSON Lines input: the
 * reasons, their reason codes and the fields at fault, each a string ("; " between several).
 * The readers ignore a top-level key of these names, so a corrected rejects file imports as
 * it is. */
#define JSON_REJECT_REASON "_reason"
#define JSON_REJECT_CODE   "_reason_code"
#define JSON_REJECT_FIELD  "_field"

/* Parses `text` (len bytes, no NUL needed) as one JSON object of message type `d`. Returns 0
 * and *out, a message allocated with malloc that the caller frees with
 * protobuf_c_message_free_unpacked(*out, NULL); or -1 with *err filled and *out untouched. */
int json_read_message(const ProtobufCMessageDescriptor *d, const char *text, size_t len,
                      ProtobufCMessage **out, json_in_error *err);

struct json_object; /* json-c's value; callers of json_read_tree include <json-c/json.h> */

/* As json_read_message, for a JSON object already built with json-c (the CSV reader builds one
 * per row): `obj` is only read. The same rules and errors, except that a built object cannot
 * hold a name twice, so there is nothing to check for that. */
int json_read_tree(const ProtobufCMessageDescriptor *d, struct json_object *obj,
                   ProtobufCMessage **out, json_in_error *err);

/* The field of d that `name` names, by its proto name or its lowerCamelCase JSON name; NULL
 * when none does. */
const ProtobufCFieldDescriptor *json_find_field(const ProtobufCMessageDescriptor *d,
                                               const char *name);

/* Parses "YYYY-MM-DD", a real day of the proleptic Gregorian calendar from year 1 to 9999.
 * Returns 0 with *year, *month and *day, or -1. */
int json_parse_date(const char *text, int *year, int *month, int *day);

/* Parses RFC 3339 text into seconds since the epoch and nanos, within 0001-01-01T00:00:00Z ..
 * 9999-12-31T23:59:59.999999999Z. Returns 0, or -1 if it is not such a time. */
int json_parse_timestamp(const char *text, long long *seconds, int *nanos);

#endif /* CREDITCTL_JSON_IN_H */
