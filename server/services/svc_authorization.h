/*
 * svc_authorization.h — credit.v1.Authorization (consent grants), and the one check every read
 * under a grant goes through (AuthorizedQuery here, GetPortrait in CreditFinance).
 *
 * A read under a grant is, in order:
 *   1. authorization_use_begin: the grant is the caller's (as grantee), live (ACTIVE, inside
 *      its validity window), for the subject read, and covers what is read; one use is
 *      reserved (so that calls running at once never pass the limit) and staged into the
 *      caller's write batch — the use entry saying who read what, when;
 *   2. the caller builds its reply (clearing what the grant does not cover:
 *      authorization_covers, or the grant's scope and dates in u.grant);
 *   3. the caller writes the batch with its audit entry (node_commit or node_commit_start), so
 *      the use and its audit entry are one write, all or nothing;
 *   4. authorization_use_end, always, once begin returned 0: says whether the write happened
 *      (a reservation not written is handed back) and frees u's grant.
 * A refusal at step 1 writes nothing (but the refusal's own audit entry) and uses nothing.
 *
 * Threads: any handler thread; the reservations are grants.h's, under their own mutex.
 */
#ifndef CREDIT_SVC_AUTHORIZATION_H
#define CREDIT_SVC_AUTHORIZATION_H

#include <stdint.h>

#include "credit/v1/authorization.pb-c.h"
#include "rpc.h"
#include "store.h"

extern const rpc_service authorization_service;

/* The longest validity window a grant may have, in days (--max-grant-days; default 365). Set
 * once at start-up, before the server starts. */
void authorization_set_max_days(long days);

/* What a read under a grant reads. Exactly one of: `portrait_template` (a portrait template's
 * name), or data: `catalogue` (Credit__V1__Catalogue; required), with for the public
 * catalogue its `category` (Credit__V1__Category, 0 for any) and for the others its `section`
 * code (NULL for any). `record_date`, when not NULL, must lie in the grant's range of record
 * dates. */
typedef struct authorization_want {
    const char *portrait_template;
    int catalogue;
    int category;
    const char *section;
    const Credit__V1__Date *record_date;
} authorization_want;

/* A use in progress, between authorization_use_begin and authorization_use_end. */
typedef struct authorization_use {
    Credit__V1__Grant *grant; /* the grant checked: scope, data_from/data_to, use_limit; owned */
    uint32_t number;          /* this use's number (1 for the first) */
    Google__Protobuf__Timestamp at; /* when it was begun: the use entry's time */
} authorization_use;

/* Checks that grant `grant_id` has the caller as grantee, is live (ACTIVE and inside its
 * validity window), is for `subject` (kind and identifier as in the grant; NULL: whichever
 * subject the grant is for, which is then the only one the caller reads), and covers `want`
 * (NULL: the caller checks u->grant's scope itself, and ends the use unwritten if it refuses
 * the call); then reserves one use and adds its
 * use entry (used by the caller, now, method the call's, `read` saying what was read, e.g.
 * "portrait sme-basic v3") to `b`.
 * Returns 0 with *u filled; the caller must then call authorization_use_end(u, ...) exactly
 * once, after its commit (or instead of it). Or finishes the call and returns -1 (*u then
 * untouched, nothing reserved, nothing added to b): PERMISSION_DENIED naming why — "no grant"
 * (none, or another grantee's), "not active" (requested or rejected), "paused", "revoked",
 * "expired", "not yet valid", "another subject", "out of scope", "out of date range", "use
 * limit reached"; INVALID_ARGUMENT for a grant_id that is not 32 lower-case hex digits;
 * UNAVAILABLE, DATA_LOSS or RESOURCE_EXHAUSTED when the store fails. */
int authorization_use_begin(rpc_call *call, const char *grant_id,
                            const Credit__V1__SubjectRef *subject, const authorization_want *want,
                            const char *read, store_batch *b, authorization_use *u);

/* Replaces, in `b`, what the staged use says was read (known only once the reply is built).
 * Returns 0, or -1 when out of memory (the batch is then not to be written). */
int authorization_use_note(rpc_call *call, const authorization_use *u, const char *read,
                           store_batch *b);

/* Ends the use begun by authorization_use_begin: `written` 1 when the batch holding the use
 * was written (node_commit / node_commit_start returned 0), else 0 (the use is handed back).
 * Frees u->grant. */
void authorization_use_end(authorization_use *u, int written);

/* Whether grant `g` covers `want` (scope and, when given, the record date): 1 or 0. Pure. */
int authorization_covers(const Credit__V1__Grant *g, const authorization_want *want);

/* For a listing under grant `g` (AuthorizedQuery.ListRecords): whether each of the request's
 * filters (catalogues, categories, sections) can select something the grant covers. Returns
 * 0, or finishes the call with PERMISSION_DENIED ("... out of scope") and returns -1. */
int authorization_check_listing(rpc_call *call, const Credit__V1__Grant *g,
                                const Credit__V1__ListRecordsRequest *r);

#endif /* CREDIT_SVC_AUTHORIZATION_H */
