/*
 * changes.h — catalogue change requests in the store: their keys, ids and encoding.
 *
 * Layout (STORE_CF_CATALOGUE): "c" + be64(sequence) -> packed credit.v1.ChangeRequest. The
 * catalogue's versions share the family under "v" (catalog.h), so a scan of "c" sees only
 * requests. A request's id is "CR-" and its sequence in at least six digits; one sequence has
 * exactly one id ("CR-42" and "CR-0000042" are not ids), so ids compare as strings.
 *
 * Sequences start at 1 and grow by one; the next one is found from the last key, so a restart
 * continues where the node stopped. The caller serialises writers (svc_catalogue's gov_mu).
 *
 * Errors are STORE_E* codes; "not found" is STORE_ENOTFOUND, a normal result; a value that
 * does not decode is STORE_ECORRUPT. Out-parameters are untouched on failure. Thread-safe.
 */
#ifndef CREDIT_CHANGES_H
#define CREDIT_CHANGES_H

#include <stddef.h>
#include <stdint.h>

#include "credit/v1/catalogue.pb-c.h"
#include "store.h"

#define CHANGES_ID_LEN 32 /* an id with its NUL */

/* The id of request `seq` in buf[CHANGES_ID_LEN]; returns buf. */
const char *changes_id(uint64_t seq, char *buf);

/* "CR-000042" -> 42. Returns 0, or -1 if `id` is not the id of any sequence. */
int changes_parse_id(const char *id, uint64_t *seq);

/* Request `seq` (free with credit__v1__change_request__free_unpacked). */
int changes_get(store *st, uint64_t seq, Credit__V1__ChangeRequest **out, char *err);

/* Adds request `seq` to the batch. Returns 0 or STORE_ENOMEM. */
int changes_put(store_batch *b, uint64_t seq, const Credit__V1__ChangeRequest *cr);

/* The sequence the next request gets (1 on an empty store). Returns 0, or a STORE_E* code
 * when the store cannot say (STORE_ECORRUPT for a last key of the wrong shape). */
int changes_next_seq(store *st, uint64_t *seq, char *err);

/* Every request in `state` (0: every state), oldest first: a malloc'd array of *n messages,
 * free with changes_free_list. A request that does not decode is left out. */
int changes_list(store *st, int state, Credit__V1__ChangeRequest ***out, size_t *n, char *err);
void changes_free_list(Credit__V1__ChangeRequest **v, size_t n);

#endif /* CREDIT_CHANGES_H */
