/*
 * sync_bench.c — see sync_bench.h.
 *
 * creditsync runs as its own process, as it would in production; the bench watches its state
 * file, which it rewrites (fsynced) after every acknowledged message, so the time measured is
 * from its start to the save of the cursor that covers the last record: subscription, reads,
 * the other node's pushes and fsyncs, and the cursor's own fsyncs.
 */
#include "sync_bench.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_S 600 /* longest a run may take */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t cursor_of(const char *path)
{
    uint64_t v = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "cursor %" SCNu64, &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

double sync_bench_run(sync_bench *b, credit_client *push_client, sync_bench_push_fn push, void *ctx)
{
    double t0 = now_s();
    long made = push(ctx, push_client, b->records);
    double t1 = now_s();
    if (made != b->records) {
        fprintf(stderr, "credit-bench: sync: %ld of %ld records created\n", made, b->records);
        return -1;
    }
    b->push_rate = (double)made / (t1 - t0);
    char state[600], log[600];
    snprintf(state, sizeof state, "%.500s/sync.state", b->work);
    snprintf(log, sizeof log, "%.500s/sync.log", b->work);
    char *argv[] = {(char *)b->creditsync,
                    "--from",
                    (char *)b->from,
                    "--from-ca",
                    (char *)b->ca,
                    "--from-cert",
                    (char *)b->cert,
                    "--from-key",
                    (char *)b->key,
                    "--to",
                    (char *)b->to,
                    "--to-ca",
                    (char *)b->ca,
                    "--to-cert",
                    (char *)b->cert,
                    "--to-key",
                    (char *)b->key,
                    "--state",
                    state,
                    "--log",
                    log,
                    NULL};
    double t2 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        execv(argv[0], argv);
        _exit(127);
    }
    /* Every record is one feed entry on a fresh node: the last sequence is the count. */
    double done = 0;
    while (now_s() - t2 < WAIT_S) {
        if (cursor_of(state) >= (uint64_t)made) {
            done = now_s();
            break;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            pid = -1;
            break;
        }
        usleep(20000);
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    if (!done) {
        fprintf(stderr, "credit-bench: sync: creditsync did not catch up (see %s)\n", log);
        return -1;
    }
    b->sync_rate = (double)made / (done - t2);
    return b->sync_rate / b->push_rate;
}
