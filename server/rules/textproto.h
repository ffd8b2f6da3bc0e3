/*
 * textproto.h — read a message from protobuf text format ("textproto"), walking only the
 * protobuf-c descriptor of its type, so any message compiled into the node can be written by
 * hand: seed catalogues, fixtures, configuration.
 *
 * The grammar is the part of https://protobuf.dev/reference/protobuf/textformat-spec/ people
 * write by hand: `#` comments; fields separated by whitespace, `,` or `;`; `name: value`,
 * `name: [v, v]`, `name { ... }`, `name: { ... }`, `name < ... >`, `name: [{...}, {...}]`; a
 * repeated field may also appear several times, in order. Strings in '...' or "..." with C
 * escapes (\a \b \f \n \r \t \v \? \\ \' \", \xHH, octal \NNN, \uHHHH and \UHHHHHHHH as UTF-8;
 * a \u surrogate pair makes one code point), adjacent literals concatenated; a string field
 * must be valid UTF-8 without NUL, a bytes field takes any bytes. Integers in decimal, hex
 * (0x) or octal (leading 0), with `-`, range-checked per field type; floats in decimal with
 * exponent and optional f suffix, inf, infinity, nan (case-insensitive; overflow is infinity,
 * as the spec says); bools as true/false/True/False/t/f/1/0; enums by value name or by a
 * number the enum defines. A map field is its repeated entry message ({ key: .. value: .. });
 * a google.protobuf.Timestamp is a plain message ({ seconds: 1 nanos: 0 }). Setting two
 * members of one oneof, or a non-repeated field twice, is an error; so is a proto2 required
 * field left out. Extension and Any names (`[...]`) and groups are not supported. A UTF-8
 * byte-order mark at the start is skipped.
 *
 * Pure function of its arguments, no global state: safe from any thread.
 */
#ifndef CREDIT_TEXTPROTO_H
#define CREDIT_TEXTPROTO_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Why a text was not read. line and column are 1-based and point at the start of the token at
 * fault (an unterminated string or block: its opening quote or bracket); column counts
 * characters (UTF-8 code points), not bytes, so it matches what an editor shows for Chinese
 * text; a tab is one column. path names the field at fault from the top message, repeated
 * elements by index ("catalogues[0].sections[3].dimensions[1].type"; "" at top level; cut
 * with "..." if longer than fits). line is 0 when the fault has no place (bad arguments). */
typedef struct textproto_error {
    int line;
    int column;
    char path[256];
    char reason[256];
} textproto_error;

/* Parses `text` (len bytes, need not be NUL-terminated; NULL is allowed when len is 0) as the
 * text format of message type d. Returns 0 and *out, a message allocated with malloc that the
 * caller frees with protobuf_c_message_free_unpacked(*out, NULL); or -1 with *err filled (if
 * err is not NULL) and *out untouched, everything built so far freed. On success *err, if
 * given, is cleared (line 0, empty path and reason). */
int textproto_parse(const ProtobufCMessageDescriptor *d, const char *text, size_t len,
                    ProtobufCMessage **out, textproto_error *err);

#endif /* CREDIT_TEXTPROTO_H */
