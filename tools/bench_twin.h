/*
 * bench_twin.h — credit-bench's twin: the node's transport and store, and nothing else.
 *
 * A server inside the bench built on the node's own RPC layer (server/transport/rpc.h), with
 * the node's TLS credentials (server/transport/tls.h) and the same credit.v1 service
 * descriptors, that does only what any server on that transport must do. Ratios of the node
 * against it measure the node's own work per call, not the transport's:
 *  - UnitRegistry.WhoAmI and OpenQuery.ListRecords answer canned replies that the bench took
 *    from the node itself (bench_twin_set_replies), so their bytes on the wire are the node's;
 *  - PublicCreditCollection.Push (client stream) decodes each message (the RPC layer does) and
 *    puts it, packed, under a fresh 32-byte key into a RocksDB store opened with the node's
 *    write options, writing every TWIN_GROUP records and at the half-close (fsynced when the
 *    store syncs); PushBatch does the same for its records in one write;
 *  - both reply with a PushBatchResponse shaped like the node's: one result per record copied
 *    from the node's own reply to a one-record PushBatch, with the record's index.
 * No authentication hook, no audit, no check: a twin is never a server to expose.
 *
 * Threads: the server runs its own completion-queue threads; bench_twin_set_replies must be
 * called before the calls that need the replies and not while calls run.
 */
#ifndef CREDIT_BENCH_TWIN_H
#define CREDIT_BENCH_TWIN_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#define TWIN_GROUP 256 /* records of a Push stream written in one batch */

typedef struct bench_twin bench_twin;

/* Starts a twin on 127.0.0.1 (any free port) with the certificates in tls_dir (the layout of
 * the node's --tls), `threads` completion-queue threads and a fresh store in store_dir
 * (sync: fsync each write, the node's default). Returns the port and *out, or -1 with a
 * reason in err[512]. */
int bench_twin_start(const char *tls_dir, const char *store_dir, int threads, int sync,
                     bench_twin **out, char *err);

/* The canned replies, borrowed until bench_twin_stop: a WhoAmIResponse, n_pages
 * ListRecordsResponses (a request for subject identifier s gets page hash(s) % n_pages) and a
 * one-record PushBatchResponse whose first result is the template of every result. */
void bench_twin_set_replies(bench_twin *t, const ProtobufCMessage *whoami,
                            const ProtobufCMessage *const *pages, size_t n_pages,
                            const ProtobufCMessage *push_reply);

/* Stops the server, closes the store and frees the twin. NULL is a no-op. */
void bench_twin_stop(bench_twin *t);

#endif /* CREDIT_BENCH_TWIN_H */
