/*
 * feed.h — the change feed in the store: every committed change, in commit order, under a
 * gapless sequence number.
 *
 * Layout (STORE_CF_FEED): be64(sequence) -> packed credit.store.v1.FeedRecord: the change's
 * kind (credit.v1.FeedKind), catalogue, subject, commit time and a reference to what changed
 * (a record version is "record_id | be32(version)", read from the record history when the
 * entry is served), never a copy of a record and never a personal identity number.
 *
 * How an entry is written: a service collects its changes in a feed_changes list while it
 * builds its write batch (feed_changes_add, feed_changes_add_record: one call per change), and
 * commits with node_commit_feed / node_commit_feed_start. The group committer then calls
 * feed_stage under the audit log's lock, which numbers the entries and puts them in the same
 * batch as the change and its audit entry, and feed_written once that batch is written; so
 * sequences follow the order of the write-ahead log, have no gaps, and a change and its feed
 * entry land together or not at all. A sequence is *published* (feed_head) once the write
 * that holds it is fsynced: a subscriber never sees a change a crash could still take back.
 *
 * Retention: feed_trim drops the entries committed before a cutoff, from the oldest end, but
 * never the last one, so a restart still knows where the sequence stands. feed_oldest is the
 * first sequence still kept.
 *
 * Threads: feed_stage and feed_written are called under the audit log's mutex (they are the
 * only writers of `last`); feed_head, feed_oldest, feed_read and feed_trim from any thread.
 * A feed_changes list belongs to one thread. Errors are STORE_E* codes with err.
 */
#ifndef CREDIT_FEED_H
#define CREDIT_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "credit/store/v1/stored.pb-c.h"
#include "credit/v1/sync.pb-c.h"
#include "store.h"

typedef struct feed feed;

/* Opens the feed over `st` (borrowed), resuming after its last entry. */
int feed_open(store *st, feed **out, char *err);
void feed_close(feed *f); /* NULL is a no-op */

/* Called (on the syncer thread, or the committing one) each time sequences are published. */
typedef void (*feed_listener)(void *ctx);
void feed_set_listener(feed *f, feed_listener fn, void *ctx);

/* --- Writing ----------------------------------------------------------------------------- */

/* The changes of one commit, in the order they are numbered. */
typedef struct feed_changes {
    Credit__Store__V1__FeedRecord **v; /* owned; strings and payload malloc'd */
    size_t n, cap;
    uint64_t first; /* set by feed_stage: the sequence of v[0] */
    int failed;     /* an add ran out of memory: the commit must be refused */
} feed_changes;

void feed_changes_init(feed_changes *fc);
void feed_changes_cleanup(feed_changes *fc);

/* Appends a change of `kind` (credit.v1.FeedKind) to fc: its catalogue (0: none), subject
 * ("" or NULL: none) and payload (copied). Out of memory marks fc failed. */
void feed_changes_add(feed_changes *fc, int kind, int catalogue, const char *subject,
                      const void *payload, size_t len);

/* feed_changes_add for a record version: kind RECORD_VERSION, or RECORD_WITHDRAWN /
 * RECORD_REINSTATED as `kind` says; catalogue from the record; the payload its reference. */
void feed_changes_add_record(feed_changes *fc, int kind, const Credit__V1__Record *rec);

/* Numbers fc's changes after the last written sequence and adds them to `b`. Called under
 * the committer's lock, just before the batch is written. Returns 0, or STORE_ENOMEM. */
int feed_stage(feed *f, feed_changes *fc, store_batch *b, char *err);

/* The batch staged with fc was written: its sequences are the feed's now (not yet
 * published). Under the committer's lock. */
void feed_written(feed *f, const feed_changes *fc);

/* Publishes every sequence up to `seq` (its write was fsynced), then calls the listener. */
void feed_publish(feed *f, uint64_t seq);

/* --- Reading ----------------------------------------------------------------------------- */

/* The last published sequence (0: none), the last written one, and the oldest kept one
 * (feed_head() + 1 when the feed is empty). */
uint64_t feed_head(const feed *f);
uint64_t feed_last_written(const feed *f);
uint64_t feed_oldest(const feed *f);

/* One stored entry as feed_read hands it out. */
typedef struct feed_item {
    uint64_t seq;
    Credit__Store__V1__FeedRecord *rec; /* owned by the caller of feed_read */
} feed_item;

/* Reads the entries after `after` up to `upto` (inclusive), at most `max` of them, into
 * items[] (*n of them; free each rec with credit__store__v1__feed_record__free_unpacked).
 * An entry that does not decode is STORE_ECORRUPT. Returns 0 or a STORE_E* code. */
int feed_read(feed *f, uint64_t after, uint64_t upto, feed_item *items, size_t max, size_t *n,
              char *err);

/* The record reference of an entry of a record kind: record id and version. Returns 0, or
 * -1 if the payload is not one. */
int feed_record_ref(const Credit__Store__V1__FeedRecord *rec, char id[33], uint32_t *version);

/* Drops the entries committed before `cutoff_ms` (Unix ms), at most `max` of them in one
 * write, never the last entry. *dropped says how many went. Returns 0 or a STORE_E* code. */
int feed_trim(feed *f, int64_t cutoff_ms, size_t max, size_t *dropped, char *err);

#endif /* CREDIT_FEED_H */
