/*
 * catalog_change.h — applying a governed change to the catalogue.
 *
 * A change request (credit.v1.ChangeRequest) adds, changes or removes one dimension of a
 * catalogue or of one of its sections. Applying it makes the next version's message from the
 * newest version; whether that message is a valid catalogue is catalog_compile's question
 * (catalog.h), asked by the governance service (svc_catalogue.c) when a change is filed and
 * again when it is approved. Where requests are stored is changes.h's.
 *
 * Pure: a function of its arguments, safe from any thread.
 */
#ifndef CREDIT_CATALOG_CHANGE_H
#define CREDIT_CATALOG_CHANGE_H

#include "catalog.h"

/* Applies one change (kind, dimension_code, dimension of `req`) to a copy of `base` and gives
 * the new message in *out (version base+1, the other version fields left for the caller; free
 * with credit__v1__catalogue_version__free_unpacked), to be compiled. Returns 0; or a status
 * (status.h: RPC_INVALID_ARGUMENT, RPC_NOT_FOUND, RPC_ALREADY_EXISTS, or RPC_UNAVAILABLE when
 * out of memory) with why[CATALOG_ERR_LEN] filled. */
int catalog_apply(const catalog_version *base, const Credit__V1__ChangeRequest *req,
                  Credit__V1__CatalogueVersion **out, char *why);

#endif /* CREDIT_CATALOG_CHANGE_H */
