/*
 * versions.h — the catalogue's versions in the store.
 *
 * Layout (STORE_CF_CATALOGUE): "v" + be32(version) -> packed credit.v1.CatalogueVersion, so a
 * scan of "v" gives the versions in order. Change requests share the family under "c"
 * (changes.h). A version is written once and never changed; the first is the seed's.
 *
 * Errors are STORE_E* codes; a value that does not decode is STORE_ECORRUPT. Thread-safe (a
 * scan belongs to one thread at a time).
 */
#ifndef CREDIT_VERSIONS_H
#define CREDIT_VERSIONS_H

#include "credit/v1/catalogue.pb-c.h"
#include "pb.h"
#include "store.h"

/* Adds version msg->version to the batch. Returns 0 or STORE_ENOMEM. */
int versions_put(store_batch *b, const Credit__V1__CatalogueVersion *msg);

/* Stores the version in a write of its own (the seed, at start-up outside any call). Returns 0
 * or a STORE_E* code with err. */
int versions_write(store *st, const Credit__V1__CatalogueVersion *msg, char *err);

/* A scan of every stored version, oldest first. Returns 0 with *out (close with
 * versions_scan_close) or STORE_ENOMEM. */
typedef struct pb_scan versions_scan;
int versions_scan_open(store *st, versions_scan **out);

/* The next version (free with credit__v1__catalogue_version__free_unpacked). Returns 1, 0 at
 * the end, STORE_ECORRUPT or STORE_EIO with err. */
int versions_scan_next(versions_scan *s, Credit__V1__CatalogueVersion **out, char *err);
void versions_scan_close(versions_scan *s);

#endif /* CREDIT_VERSIONS_H */
