/*
 * mandates.h — which association platform may push for which association.
 *
 * STORE_CF_UNITS holds "m/<platform code>" 0x00 "<association USCC>" -> packed credit.v1.Mandate.
 * A revoked mandate stays, marked revoked, with who and why: the history of who acted for
 * whom is kept. Functions return messages the caller frees with credit__v1__mandate__free_unpacked;
 * "not found" is STORE_ENOTFOUND, a normal result; a mandate that does not decode is
 * STORE_ECORRUPT.
 */
#ifndef CREDIT_MANDATES_H
#define CREDIT_MANDATES_H

#include <stddef.h>

#include "credit/v1/association.pb-c.h"
#include "store.h"

/* The mandate of `platform` for the association with `uscc`, live or revoked. */
int mandate_get(store *st, const char *platform, const char *uscc, Credit__V1__Mandate **out,
                char *err);

/* Adds the mandate to the batch. Returns 0, or STORE_ENOMEM / STORE_EINVAL (a key too long). */
int mandate_put(store_batch *b, const Credit__V1__Mandate *m);

/* The mandates of `platform` ("" for every platform's), in key order: a malloc'd array of *n
 * messages; free with mandate_free_list. */
int mandate_list(store *st, const char *platform, Credit__V1__Mandate ***out, size_t *n,
                 char *err);
void mandate_free_list(Credit__V1__Mandate **v, size_t n);

#endif /* CREDIT_MANDATES_H */
