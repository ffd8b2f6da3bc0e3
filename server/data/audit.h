/*
 * audit.h — the tamper-evident audit log.
 *
 * Every access and change lands here as a credit.v1.AuditEntry in STORE_CF_AUDIT under its
 * big-endian sequence number. Each entry's hash covers the previous entry's hash, its own
 * sequence and its content, so rewriting, removing or reordering any entry breaks the chain
 * from that point on (audit_verify finds where).
 *
 * A change and its audit entry go in one batch: audit_commit appends the entry to the
 * caller's batch and writes it, so either both land or neither does. The chain's head
 * (sequence and hash) is guarded by one mutex held across the write, which keeps the order
 * on disk the order of the chain.
 *
 * Group commit: that write is not fsynced under the mutex. It returns a ticket, and one
 * syncer thread fsyncs the write-ahead log once for every ticket handed out meanwhile; a
 * caller waits for its ticket (audit_durable_wait) or asks to be called back on the syncer
 * thread (audit_durable_notify), so a completion-queue thread need not block on an fsync.
 * A change is durable, and may be acknowledged, only once its ticket resolved with 0.
 */
#ifndef CREDIT_AUDIT_H
#define CREDIT_AUDIT_H

#include <stdint.h>

#include "store.h"

typedef struct audit audit;

typedef struct audit_event {
    const char *unit;     /* caller's unit code, or NULL */
    const char *identity; /* certificate identity, or NULL */
    const char *method;
    int code;             /* gRPC status code */
    const char *detail;   /* what changed or why refused; no personal ID numbers */
    const char *peer;     /* address, or NULL */
} audit_event;

/* Opens the log over `st` (borrowed), resuming after its last entry. */
int audit_open(store *st, audit **out, char *err);
void audit_close(audit *a); /* NULL is a no-op */

/* Calls fn(ctx, b) after every batch b this log writes (a change with its entry, or a group
 * of read entries), once the write succeeded and is visible to new snapshots, and before the
 * change is acknowledged; under the log's write lock, so fn must be quick and must not write.
 * Every change of the node passes here, which is what the portrait cache (pcache.h) relies
 * on. Set it once at start-up, before the node serves (not thread-safe against writes). */
typedef void (*audit_observer_fn)(void *ctx, const store_batch *b);
void audit_set_observer(audit *a, audit_observer_fn fn, void *ctx);

/* Appends the entry for `ev` to `b` (which may hold the change it describes; NULL for an
 * entry alone) and writes the batch, then, if `sync`, waits until an fsync covers it.
 * Returns 0 or a STORE_E* code. */
int audit_commit(audit *a, store_batch *b, const audit_event *ev, int sync, char *err);

/* The same without waiting: the batch is written (visible, in the log) but not yet known
 * durable; *ticket names it for audit_durable_wait / audit_durable_notify. */
int audit_commit_start(audit *a, store_batch *b, const audit_event *ev, uint64_t *ticket,
                       char *err);

/* What a commit adds to its batch under the log's mutex, where the order of the writes is
 * decided (the change feed numbers its entries there, feed.h): stage(ctx, b, err) just before
 * the write (a non-zero return refuses the commit with that code), written(ctx, ticket) just
 * after it succeeded, both still under the mutex. */
typedef struct audit_stage {
    int (*stage)(void *ctx, store_batch *b, char *err);
    void (*written)(void *ctx, uint64_t ticket);
    void *ctx;
} audit_stage;

/* audit_commit_start with a stage (NULL: none). */
int audit_commit_start_staged(audit *a, store_batch *b, const audit_event *ev,
                              const audit_stage *stage, uint64_t *ticket, char *err);

/* The entry of a call that changed nothing (a read, a refusal): written before this returns,
 * so that it survives a crash of the process, but not waited on for an fsync. Concurrent
 * callers share one write: the first to find no write under way writes every entry queued by
 * then as one batch (one stretch of the chain) while the others wait for it, and the syncer's
 * next fsync covers them, with the changes' (group commit). `ev` is borrowed until return.
 * Returns 0 or a STORE_E* code with err. */
int audit_commit_read(audit *a, const audit_event *ev, char *err);

/* Blocks until the write of `ticket` was fsynced. Returns 0, or the fsync's STORE_E* code
 * (the write may or may not be on disk) with err. */
int audit_durable_wait(audit *a, uint64_t ticket, char *err);

/* Called once the write of `ticket` was fsynced (rc 0) or its fsync failed (rc a STORE_E*
 * code, err its message): on the syncer thread, or at once on the caller's when an fsync
 * already covered it. */
typedef void (*audit_durable_fn)(void *ctx, int rc, const char *err);

/* Arranges for fn(ctx, ...) to be called once. Returns 0, or STORE_ENOMEM (fn will not be
 * called). */
int audit_durable_notify(audit *a, uint64_t ticket, audit_durable_fn fn, void *ctx, char *err);

/* Recomputes the chain. Returns 0 with *count entries checked, or -1 with the first bad
 * sequence in *bad_seq and the reason in err. */
int audit_verify(store *st, uint64_t *count, uint64_t *bad_seq, char *err);

#endif /* CREDIT_AUDIT_H */
