/*
 * pbcheck.h — the text of protobuf `string` fields, checked on the wire.
 *
 * protobuf-c unpacks a string into a NUL-terminated C string and keeps no length, so a value
 * with an embedded NUL reaches a handler cut short ("罚款\0伍千元" reads as "罚款", and
 * "<id>\0other" as "<id>"). These functions walk the encoded message against its
 * ProtobufCMessageDescriptor, where every string's wire length is still known: nested
 * messages, repeated fields, map entries and oneof members are followed, unknown fields and
 * `bytes` fields are skipped. A protobuf `string` must hold UTF-8 by the protobuf spec, and a
 * NUL character is refused as any other control character would be; so a string is at fault
 * when it holds a NUL byte or bytes that are not UTF-8 (utf8_decode decides).
 *
 * Field paths use the names of the .proto: `records[2].penalty.content` (a repeated field's
 * element by its index among that field's occurrences, from 0), and `extra{emp_count}.text`
 * for the value of a map entry whose key is 1 to 64 printable ASCII characters other than
 * space, '"', '\', '{', '}' and '='; any other map entry is named by its index as sent,
 * `extra[3]`, and a key at fault is `extra[3].key`. The path never holds a byte of the
 * faulty value; it is cut at PBCHECK_PATH_MAX - 1 bytes.
 *
 * Map entries are recognised as protoc-c generates them: a repeated message field whose
 * message type is named "...Entry" and has exactly the fields key = 1 and value = 2.
 *
 * Pure functions of their arguments, with no globals; safe from any thread at once. Messages
 * nested deeper than PBCHECK_DEPTH_MAX are a fault of their own (a request is never so deep).
 */
#ifndef CREDIT_PBCHECK_H
#define CREDIT_PBCHECK_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define PBCHECK_PATH_MAX   192
#define PBCHECK_REASON_MAX 96
#define PBCHECK_DEPTH_MAX  64

/* What pbcheck_find and pbcheck_repair return. */
enum pbcheck_result {
    PBCHECK_OK = 0,         /* every string field holds UTF-8 without NUL */
    PBCHECK_BAD_STRING = 1, /* one does not (pbcheck_find) */
    PBCHECK_MALFORMED = -1, /* the bytes are not an encoding of the message, or nest too deep */
};

/* Where and why. reason reads after the path and ": " —
 *   "holds a NUL character (U+0000) at offset 6"
 *   "is not valid UTF-8 (byte 0xFF at offset 3)"
 * offsets count bytes from the start of the string value, from 0. For PBCHECK_MALFORMED the
 * path is the field being read ("" at the top) and reason says what was wrong. */
typedef struct pbcheck_fault {
    char path[PBCHECK_PATH_MAX];
    char reason[PBCHECK_REASON_MAX];
} pbcheck_fault;

/* Finds the first string field of the encoded message buf[0..len) of type `d` that holds a
 * NUL byte or invalid UTF-8, in wire order. Returns PBCHECK_OK, PBCHECK_BAD_STRING with *f
 * filled, or PBCHECK_MALFORMED with *f filled. f may be NULL. buf is only read. */
int pbcheck_find(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
                 pbcheck_fault *f);

/* Replaces, in place, every NUL byte and every byte that is not part of a UTF-8 character in
 * the string fields of buf[0..len) with '?'. Lengths do not change, so the encoding stays
 * valid. Returns the number of bytes replaced (0: buf untouched) and, when it is not 0 and
 * `first` is not NULL, the first fault as it was before the repair; or PBCHECK_MALFORMED
 * (the bytes repaired before the fault was met stay repaired; *first says where). */
long pbcheck_repair(const ProtobufCMessageDescriptor *d, uint8_t *buf, size_t len,
                    pbcheck_fault *first);

#endif /* CREDIT_PBCHECK_H */
