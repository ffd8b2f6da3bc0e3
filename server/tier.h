/*
 * tier.h — what each sharing tier may see of a public record.
 *
 * Two questions, answered here once for every service that shares records:
 *  - does the tier show the record at all (tier_shows): the open tier (主动公开) never shows a
 *    withdrawn or repaired record nor a penalty past its end of publicity; the government tier
 *    (政务共享) shows every record with its status;
 *  - which fields it gets (tier_clear): personal identity numbers — a natural person's
 *    identifier, a legal representative's ID number and its type — are government tier and
 *    are cleared for the open tier.
 * Until the catalogue (issue 4) gives every dimension its tier, these rules are the table.
 *
 * Pure functions of their arguments; safe from any thread.
 */
#ifndef CREDIT_TIER_H
#define CREDIT_TIER_H

#include "credit/v1/record.pb-c.h"

typedef enum tier { TIER_OPEN = 1, TIER_GOVERNMENT = 2 } tier;

/* Whether a penalty's public display has ended on `today` (other records: never). */
int tier_publicity_ended(const Credit__V1__Record *rec, const Credit__V1__Date *today);

/* Whether tier `t` shows `rec` on `today`. */
int tier_shows(const Credit__V1__Record *rec, tier t, const Credit__V1__Date *today);

/* Clears the fields above tier `t` in `rec`. Cleared strings are set to "" without being freed:
 * the caller clears only records whose personal numbers are sealed (so already ""), or
 * records it does not own the strings of. */
void tier_clear(Credit__V1__Record *rec, tier t);

#endif /* CREDIT_TIER_H */
