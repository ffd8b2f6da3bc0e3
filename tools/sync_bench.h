/*
 * sync_bench.h — credit-bench's sync_ratio: records per second from one node to another
 * through creditsync, against the streaming-push rate into one node.
 */
#ifndef CREDIT_SYNC_BENCH_H
#define CREDIT_SYNC_BENCH_H

#include <credit/client.h>

/* Streams n records into the node of client c; returns how many it created, or -1. */
typedef long (*sync_bench_push_fn)(void *ctx, credit_client *c, long n);

typedef struct sync_bench {
    const char *creditsync; /* the binary */
    const char *ca;         /* both nodes' CA, and the "city" unit's certificate and key */
    const char *cert, *key;
    const char *from, *to; /* two fresh nodes' addresses */
    const char *work;      /* a directory for the cursor and the log */
    long records;
    double push_rate, sync_rate; /* out: records/s */
} sync_bench;

/* Streams b->records records into `from` (through push, as the unit of push_client), timing
 * it, then runs creditsync from `from` to `to` and times it until its saved cursor reaches the
 * feed's last sequence. Returns sync_rate / push_rate, or -1 (a message on stderr). */
double sync_bench_run(sync_bench *b, credit_client *push_client, sync_bench_push_fn push,
                      void *ctx);

#endif /* CREDIT_SYNC_BENCH_H */
