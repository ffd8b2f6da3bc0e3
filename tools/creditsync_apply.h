/*
 * creditsync_apply.h — applying change-feed entries to another node through its collection
 * services (PushBatch, Withdraw, Reinstate), so that re-applying any of them is harmless.
 *
 * A record version is pushed to the service of its catalogue as that catalogue's input, with
 * the CHANNEL_MUNICIPAL_SYNC channel and, as its source record id, its record id on the node
 * it came from: the receiving node keys it by (forwarding unit, that id), so a second push of
 * the same content is PUSH_OUTCOME_UNCHANGED and writes nothing. A withdrawal or a
 * reinstatement is the push of its content (which finds the record) and then, only if the
 * record there has fewer versions than the change's, the Withdraw or Reinstate call: each
 * version on one side is one version on the other, so a change applied twice (after a crash
 * between the apply and the cursor's save) makes no second version.
 *
 * A record that reached its node through CHANNEL_MUNICIPAL_SYNC came from the other side and
 * is never sent back (no echo). Voluntary declarations are not forwarded: the receiving side
 * verifies its own (README, "creditsync").
 */
#ifndef CREDITSYNC_APPLY_H
#define CREDITSYNC_APPLY_H

#include "credit/client.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sync_counts {
    uint64_t pushed;    /* versions the other node stored (created, new version) */
    uint64_t unchanged; /* versions it already had */
    uint64_t status;    /* withdrawals and reinstatements made there */
    uint64_t echoes;    /* changes that came from there, not sent back */
    uint64_t rejected;  /* refused for good (logged with the node's reason) */
    uint64_t skipped;   /* kinds and catalogues creditsync does not forward */
} sync_counts;

/* Called for each change the other node refused for good, with its reason. */
typedef void (*sync_reject_fn)(void *ctx, const Credit__V1__FeedEntry *e, const char *reason);

/* Applies changes[0..n) in order to the node of `to`. Returns 0 once every change is
 * acknowledged (stored, already there, not to be sent, or refused for good: counted and
 * reported to `on_reject`); or CREDIT_ERPC / CREDIT_ENOMEM with status when a call failed
 * for a reason that may pass (the node unavailable, its disk full): apply the same changes
 * again later. */
int sync_apply(credit_client *to, const Credit__V1__FeedEntry *const *changes, size_t n,
               sync_counts *counts, sync_reject_fn on_reject, void *ctx, credit_status *status);

#endif /* CREDITSYNC_APPLY_H */
