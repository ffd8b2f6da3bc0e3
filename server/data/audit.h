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

/* Appends the entry for `ev` to `b` (which may hold the change it describes; NULL for an
 * entry alone) and writes the batch, fsynced if `sync`. Returns 0 or a STORE_E* code. */
int audit_commit(audit *a, store_batch *b, const audit_event *ev, int sync, char *err);

/* Recomputes the chain. Returns 0 with *count entries checked, or -1 with the first bad
 * sequence in *bad_seq and the reason in err. */
int audit_verify(store *st, uint64_t *count, uint64_t *bad_seq, char *err);

#endif /* CREDIT_AUDIT_H */
