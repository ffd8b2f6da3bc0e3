/*
 * registry.h — the unit registry in the store.
 *
 * STORE_CF_UNITS holds "u/<code>" -> packed credit.v1.Unit and "i/<identity>" -> code for
 * identities the office bound to a unit. A certificate whose SAN URI is
 * urn:credit:unit:<code> needs no binding. The registry is seeded from the embedded demo
 * units the first time a node starts on an empty directory.
 *
 * Functions that return a unit give a protobuf-c message the caller frees with
 * credit__v1__unit__free_unpacked. "Not found" is STORE_ENOTFOUND, a normal result; a stored
 * unit that does not decode is STORE_ECORRUPT.
 */
#ifndef CREDIT_REGISTRY_H
#define CREDIT_REGISTRY_H

#include <stddef.h>

#include "credit/v1/unit.pb-c.h"
#include "store.h"

#define REGISTRY_UNIT_URI "urn:credit:unit:"

/* Seeds the registry from a demo-units.tsv text when it holds no unit yet. Returns the
 * number of units seeded (0 if the registry was not empty), or a negative STORE_E* code. */
int registry_seed(store *st, const char *tsv, size_t len, char *err);

/* The unit with `code`. */
int registry_get(store *st, const char *code, Credit__V1__Unit **out, char *err);

/* The unit a certificate identity belongs to: a binding first, then the unit URI. */
int registry_resolve(store *st, const char *identity, Credit__V1__Unit **out, char *err);

/* The code bound to `identity`, malloc'd into *code (free() it). */
int registry_binding(store *st, const char *identity, char **code, char *err);

/* A scan of the registry's units in code order, from code `from` on ("" from the first).
 * Returns 0 with *out (close with registry_scan_close) or STORE_ENOMEM. */
typedef struct pb_scan registry_scan;
int registry_scan_open(store *st, const char *from, registry_scan **out);

/* The next unit (free with credit__v1__unit__free_unpacked). Returns 1; 0 at the end;
 * STORE_ECORRUPT with err ("stored unit u/<code> cannot be decoded"), or STORE_EIO. */
int registry_scan_next(registry_scan *s, Credit__V1__Unit **out, char *err);
void registry_scan_close(registry_scan *s);

/* Adds the unit to the batch. Returns 0 or STORE_ENOMEM (the batch is then not to be
 * written). */
int registry_put(store_batch *b, const Credit__V1__Unit *u);
/* Adds the binding identity -> code to the batch. */
void registry_put_binding(store_batch *b, const char *identity, const char *code);

/* Checks a unit code: 1 to 63 of [a-z0-9-], starting with a letter or digit. Returns 0, or
 * -1 with the reason in why[128]. */
int registry_check_code(const char *code, char *why);

/* Checks an identity: "urn:..." or "cn:<name>", printable, at most REGISTRY_IDENTITY_MAX
 * bytes. */
#define REGISTRY_IDENTITY_MAX 255
int registry_check_identity(const char *identity, char *why);

/* Parses a kind name ("UNIT_KIND_DEPARTMENT"); returns the enum value or 0 if unknown. */
int registry_kind_from_name(const char *name);

/* The name of a unit kind ("UNIT_KIND_DEPARTMENT"); static storage. */
const char *registry_kind_name(int kind);

#endif /* CREDIT_REGISTRY_H */
