/*
 * tier.h — what each sharing tier may see of a record.
 *
 * Two questions, answered here once for every service that shares records:
 *  - does the tier show the record at all (tier_shows): the open tier (主动公开) never shows a
 *    withdrawn or repaired record nor a penalty past its end of publicity (publicity.h); the
 *    government tier (政务共享) shows every record with its status; a voluntary declaration is shown, in any
 *    tier, only once the office has verified it — except to its declarant (tier_shows_to),
 *    the unit that pushed it, which reads it whatever its state, so that it learns whether it
 *    was verified and, if it was rejected, why;
 *  - which fields it gets (tier_clear): each value's tier is its dimension's in the catalogue
 *    version in force when the record is read, so a tier change approved through governance
 *    changes what each tier sees from its effective time. A value that is no dimension of that
 *    version (a dimension removed since) is government tier: default deny. Whatever the
 *    catalogue says, personal identity numbers — a natural person's identifier, a legal
 *    representative's ID number and its type — never go below the government tier.
 *
 * The tiers rank as credit.v1.Tier numbers them: a tier sees the dimensions of its own rank
 * and below. Pure functions of their arguments; safe from any thread.
 */
#ifndef CREDIT_TIER_H
#define CREDIT_TIER_H

#include "catalog.h"
#include "credit/v1/record.pb-c.h"

typedef enum tier {
    TIER_OPEN = CREDIT__V1__TIER__TIER_OPEN,
    TIER_AUTHORIZED = CREDIT__V1__TIER__TIER_AUTHORIZED,
    TIER_GOVERNMENT = CREDIT__V1__TIER__TIER_GOVERNMENT,
} tier;

/* Whether tier `t` shows `rec` on `today`. */
int tier_shows(const Credit__V1__Record *rec, tier t, const Credit__V1__Date *today);

/* Whether tier `t` shows `rec` on `today` to the unit with code `reader`: as tier_shows, and
 * besides a voluntary declaration in any state (pending, rejected, withdrawn) to the unit that
 * pushed it. reader NULL: nobody's own. */
int tier_shows_to(const Credit__V1__Record *rec, tier t, const Credit__V1__Date *today,
                  const char *reader);

/* Clears from `rec` every value above tier `t` under catalogue version `cv` (the one in force
 * now). rec must be an unpacked message (protobuf-c's default allocator): cleared strings and
 * messages are freed and replaced by their defaults, removed extra entries freed. */
void tier_clear(Credit__V1__Record *rec, tier t, const catalog_version *cv);

/* What tier_clear_reversibly set aside. Owned by its caller, for one clearing. */
struct tier_saved {
    void *at;              /* a member of the record's messages */
    size_t len;            /* at most sizeof old */
    unsigned char old[16]; /* its value before */
};
typedef struct tier_undo {
    struct tier_saved *v;
    size_t n, cap;
    size_t n_meta; /* of v[0..n), how many are in the record's meta (subject, association) */
    void *extra; /* the extra entries' pointers as they were, or NULL */
    size_t n_extra;
    int failed;
} tier_undo;

/* tier_clear for a record that is not the caller's to free (one it only borrows, or whose
 * values are shared): every value cleared is set aside in u, not freed, until tier_restore puts
 * it back. In between, rec may be read and packed, not changed or freed. Returns 0, or -1 when
 * out of memory (rec is then as it was and u empty). */
int tier_clear_reversibly(Credit__V1__Record *rec, tier t, const catalog_version *cv, tier_undo *u);

/* Puts back what tier_clear_reversibly set aside and empties u. */
void tier_restore(Credit__V1__Record *rec, tier_undo *u);

#endif /* CREDIT_TIER_H */
