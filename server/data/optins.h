/*
 * optins.h — enterprises' opt-ins to an industrial platform, in the store.
 *
 * Layout (STORE_CF_AUTHZ): "o/" <platform> "/" <enterprise USCC> -> packed credit.v1.OptIn.
 * Platform codes and USCCs never hold "/", so "o/<platform>/" is exactly one platform's
 * opt-ins and a scan of it is in enterprise order. A revoked opt-in stays, marked revoked.
 *
 * Errors are STORE_E* codes: "not found" is STORE_ENOTFOUND, a normal result; a value that
 * does not decode is STORE_ECORRUPT. Out-parameters are untouched on failure. Thread-safe.
 */
#ifndef CREDIT_OPTINS_H
#define CREDIT_OPTINS_H

#include <stddef.h>

#include "credit/v1/industrial.pb-c.h"
#include "store.h"

#define OPTINS_CODE_MAX 64  /* a platform code or a USCC in a key */
#define OPTINS_KEY_MAX  256 /* fits every key */

/* The key "o/<platform>/<uscc>" in out[cap]; its length, or 0 if a part is empty, longer than
 * OPTINS_CODE_MAX or holds a "/", or the key does not fit. */
size_t optins_key(const char *platform, const char *uscc, char *out, size_t cap);

/* The opt-in of enterprise `uscc` for `platform`, live or revoked (free with
 * credit__v1__opt_in__free_unpacked). */
int optins_get(store *st, const char *platform, const char *uscc, Credit__V1__OptIn **out,
               char *err);

/* Adds the opt-in (under its own platform and enterprise) to the batch. Returns 0, or
 * STORE_ENOMEM / STORE_EINVAL (the batch is then not to be written). */
int optins_put(store_batch *b, const Credit__V1__OptIn *o);

/* The opt-ins for `platform` ("" for every platform's), in key order: a malloc'd array of *n
 * messages; free with optins_free_list. One that does not decode ends the listing with
 * STORE_ECORRUPT. */
int optins_list(store *st, const char *platform, Credit__V1__OptIn ***out, size_t *n, char *err);
void optins_free_list(Credit__V1__OptIn **v, size_t n);

#endif /* CREDIT_OPTINS_H */
