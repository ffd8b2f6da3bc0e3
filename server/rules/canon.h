/*
 * canon.h — the canonical form of a message a unit pushes, so that the same facts in any
 * equivalent encoding are the same content.
 *
 * Two encodings of one record may differ in ways that mean nothing: the order of a map's
 * entries (protobuf leaves it unspecified, so two clients, or one client twice, may send
 * `extra` in different orders), and the Unicode form of text (张 typed on one keyboard, the
 * same text decomposed by another system: "é" as U+00E9 or as "e" + U+0301). The node puts
 * every pushed input in one form before it checks, digests or stores it: every string in
 * Unicode Normalization Form C (NFC, by utf8proc), and every map sorted by key. What is
 * stored is therefore in NFC too, and a content digest compares facts, not bytes.
 *
 * Pure functions of their argument; safe from any thread on distinct messages.
 */
#ifndef CREDIT_CANON_H
#define CREDIT_CANON_H

#include <protobuf-c/protobuf-c.h>

/* Puts `m` in canonical form in place: every string field, at any depth (nested, repeated
 * and map fields, the set member of a oneof), replaced by its NFC form where that differs,
 * and the entries of every map field sorted by key. `m` must be a message unpacked by
 * protobuf-c with the default allocator (its strings malloc'd, or protobuf-c's static empty
 * string): a replaced string is freed. A string that is not valid UTF-8 is left as it is
 * (the RPC layer refuses such requests before any handler runs). Returns 0, or -1 when out
 * of memory; `m` is then partly normalised but still a valid message. */
int canon_message(ProtobufCMessage *m);

/* The NFC form of `s` in a malloc'd string (free() it), or NULL when `s` is already in NFC,
 * is not valid UTF-8, or memory ran out (*oom set to 1 then; *oom is left alone otherwise). */
char *canon_nfc(const char *s, int *oom);

#endif /* CREDIT_CANON_H */
