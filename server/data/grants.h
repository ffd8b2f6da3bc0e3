/*
 * grants.h — consent grants (credit.v1.Grant), their indexes and their uses, in the store; and
 * the reservations that keep a grant's uses within its limit while calls run at once.
 *
 * Layout (STORE_CF_AUTHZ, beside the opt-ins' "o/"):
 *   "g/"  <grant id>                          -> packed credit.v1.Grant (uses = 0 as stored)
 *   "gs/" <subject identifier> "/" <grant id>   -> "" (the subject's grants)
 *   "ge/" <grantee unit code> "/" <grant id>  -> "" (the grantee's grants)
 *   "gu/" <grant id> be32(number)             -> packed credit.v1.GrantUse
 * A grant id is 32 lower-case hexadecimal digits, its first 12 the milliseconds of its making,
 * so that the indexes list grants oldest first. Identifiers and unit codes never hold "/".
 * Nothing is deleted: a grant changes status by being written again, whole, with one more
 * transition; a use is written once.
 *
 * Uses: a use is numbered 1, 2, 3, ... per grant; the number of uses a grant has had is the
 * number of its last use. Counting them in the grant itself would make two concurrent uses
 * write the same grant; numbering them instead lets each use write only its own key. The
 * numbers are handed out by grants_reserve under one mutex, from the last number stored (read
 * once) plus those reserved and not yet written, so two calls never get the same number and
 * no number beyond the grant's limit is ever handed out. A reservation is ended by
 * grants_release once the use is written (or was not): a number whose write failed is
 * returned if it was the last one handed out, else it stays a gap that counts as used (the
 * limit is never exceeded; a gap is possible only when the store fails a write).
 *
 * Errors are STORE_E* codes; "not found" (STORE_ENOTFOUND) is a normal result; a value that
 * does not decode is STORE_ECORRUPT. Out-parameters are untouched on failure. Thread-safe.
 */
#ifndef CREDIT_GRANTS_H
#define CREDIT_GRANTS_H

#include <stddef.h>
#include <stdint.h>

#include "credit/v1/authorization.pb-c.h"
#include "store.h"

#define GRANTS_ID_LEN   32 /* hexadecimal digits of a grant id */
#define GRANTS_CODE_MAX 64 /* a unit code or a subject identifier in a key */

/* A fresh grant id into out[GRANTS_ID_LEN + 1]. Returns 0, or -1 when no randomness. */
int grants_new_id(char out[GRANTS_ID_LEN + 1]);

/* Whether `id` is shaped as a grant id (32 lower-case hexadecimal digits). */
int grants_check_id(const char *id);

/* The grant `id` as stored (uses 0, status as last written); free with
 * credit__v1__grant__free_unpacked. */
int grants_get(store *st, const char *id, Credit__V1__Grant **out, char *err);

/* Adds grant `g` to `b`; with `is_new`, also its two index entries. Returns 0, or
 * STORE_ENOMEM / STORE_EINVAL (an id, subject or grantee that cannot be keyed); the batch is
 * then not to be written. */
int grants_put(store_batch *b, const Credit__V1__Grant *g, int is_new);

/* The grants of the subject with `identifier` (its USCC) — or, with by_grantee, of the grantee
 * with unit code `identifier` — oldest first (free with grants_free_list). */
int grants_list(store *st, int by_grantee, const char *identifier, Credit__V1__Grant ***out,
                size_t *n, char *err);
void grants_free_list(Credit__V1__Grant **v, size_t n);

/* A page of grants_list: the grants filed after grant id `after` (NULL or "": from the first),
 * at most `max` of them; *more (when not NULL) is set when further ones follow. STORE_EINVAL
 * for an `after` that is no grant id. */
int grants_list_page(store *st, int by_grantee, const char *identifier, const char *after,
                     size_t max, Credit__V1__Grant ***out, size_t *n, int *more, char *err);

/* The number of uses grant `id` has had (the number of its last stored use; 0 for none). */
int grants_uses(store *st, const char *id, uint32_t *out, char *err);

/* Every stored use of grant `id`, in order (free with grants_free_uses). */
int grants_list_uses(store *st, const char *id, Credit__V1__GrantUse ***out, size_t *n, char *err);
void grants_free_uses(Credit__V1__GrantUse **v, size_t n);

/* A page of grants_list_uses: the uses numbered `from` (1: the first) on, at most `max` of
 * them; *more (when not NULL) is set when further ones follow. */
int grants_list_uses_page(store *st, const char *id, uint32_t from, size_t max,
                          Credit__V1__GrantUse ***out, size_t *n, int *more, char *err);

/* Reserves the next use of grant `id` whose limit is `limit`: *number is its number (1 for the
 * first). Returns 0; 1 when the limit is reached (nothing reserved; *number untouched); or a
 * store error with err. Each 0 must be followed by exactly one grants_release. */
int grants_reserve(store *st, const char *id, uint32_t limit, uint32_t *number, char *err);

/* Ends the reservation of use `number` of grant `id`: `written` says whether the use was
 * written (store_write returned 0). */
void grants_release(const char *id, uint32_t number, int written);

/* Adds use `u` (its grant id and number set) to `b`. Returns 0, or STORE_ENOMEM /
 * STORE_EINVAL. */
int grants_put_use(store_batch *b, const Credit__V1__GrantUse *u);

#endif /* CREDIT_GRANTS_H */
