/*
 * test_group_commit.c — group commit keeps every promise of a synced write.
 *
 * The node writes a change without an fsync and answers it once one fsync, shared by every
 * change that came in meanwhile, has covered it (server/data/audit.h). Sixteen callers push
 * one-record batches through one client while the node is killed with SIGKILL at a random
 * moment, ROUNDS times over one data directory — as two units (market and tax, so that the
 * push locks of two source units run side by side), half of the callers in one-record
 * batches and half in batched streams (PushBatches, STREAM_RECORDS records in messages of
 * STREAM_MESSAGE, stored at the half-close); then, with the disk-fault shim preloaded
 * (tests/faults/faultfs.c), fsyncs start failing while they push. Afterwards the store is
 * opened directly and:
 *  - every record the node acknowledged is there (no acknowledged record lost);
 *  - the audit chain verifies, gapless, over everything the kills left (audit_verify);
 *  - no push sent after fsyncs began to fail was acknowledged: an answer waits for the
 *    fsync that covers the change, and that fsync failed (no call acknowledged before its
 *    fsync).
 */
#include <credit/client.h>

#include "audit.h"
#include "it_node.h"
#include "records.h"
#include "store.h"
#include "../unit/testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PUSHERS        16
#define ROUNDS         4
#define MAX_ACKED      200000
#define STREAM_RECORDS 12 /* records of one batched stream */
#define STREAM_MESSAGE 4  /* records a message of it */

static char dir[512];  /* the test's temporary directory */
static char tls[600];  /* dev certificates */
static char data[600]; /* the node's data directory, kept across rounds */
static char ctl[600];  /* the fault shim's control file */

/* --- the node ----------------------------------------------------------------------------- */

/* The ASan runtime this test runs with, if any (it must be preloaded before the shim). */
static void asan_runtime(char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        char *p = strstr(line, "/");
        if (p && strstr(p, "libasan.so")) {
            p[strcspn(p, "\n")] = '\0';
            snprintf(out, cap, "%s", p);
            break;
        }
    }
    if (f)
        fclose(f);
}

/* Starts creditd on `data`; with_shim: the fault shim preloaded, watching `ctl`. */
static void node_start(it_node *n, int with_shim)
{
    static char preload[2100], dir_env[640], ctl_env[640];
    const char *env[] = {preload, dir_env, ctl_env, NULL};
    if (with_shim) {
        char asan[1024];
        asan_runtime(asan, sizeof asan);
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s%s%s", asan, asan[0] ? " " : "",
                 getenv("FAULTFS_LIB"));
        snprintf(dir_env, sizeof dir_env, "FAULTFS_DIR=%s", data);
        snprintf(ctl_env, sizeof ctl_env, "FAULTFS_CTL=%s", ctl);
    }
    it_node_start(n, data, tls, NULL, with_shim ? env : NULL);
}

/* --- the pushers -------------------------------------------------------------------------- */

/* What the node acknowledged, over all rounds. */
static pthread_mutex_t acked_mu = PTHREAD_MUTEX_INITIALIZER;
static char (*acked)[33]; /* record ids */
static size_t n_acked;
static size_t acked_calls; /* calls answered OK: each wrote one audit entry */
static size_t acked_by[4]; /* records acknowledged by thread % 4: market and tax (even and
                            * odd), batches and streams (0-1 and 2-3) */
static long late_acks;     /* pushes sent after fsyncs began to fail, acknowledged anyway */
static double fault_from;  /* CLOCK_MONOTONIC seconds; 0: no fault switched on */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct pusher {
    credit_client *c;
    int round, thread;
    int streams; /* 1: batched streams; 0: one-record batches */
    volatile int *stop;
    long sent;
} pusher;

/* Notes the node's answer `r` (freed here) to a call of `a` sent at `sent_at`: its created
 * records are acknowledged. */
static void note_answer(const pusher *a, Credit__V1__PushBatchResponse *r, double sent_at)
{
    pthread_mutex_lock(&acked_mu);
    for (size_t k = 0; k < r->n_results; k++) {
        if (r->results[k]->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED &&
            n_acked < MAX_ACKED) {
            snprintf(acked[n_acked++], 33, "%s", r->results[k]->record_id);
            acked_by[a->thread % 4]++;
        }
    }
    acked_calls++;
    if (fault_from > 0 && sent_at > fault_from)
        late_acks++;
    pthread_mutex_unlock(&acked_mu);
    credit__v1__push_batch_response__free_unpacked(r, NULL);
}

static void *push_loop(void *arg)
{
    pusher *a = arg;
    Credit__V1__Subject subj = CREDIT__V1__SUBJECT__INIT;
    subj.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    subj.name = "Acme Trading Ltd";
    subj.identifier = "91230500MA1B3N1N2M";
    subj.legal_representative = "Zhang San";
    subj.legal_representative_id_type = CREDIT__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
    subj.legal_representative_id_number = "500120199310080297";
    time_t month_ago = time(NULL) - 30 * 86400;
    struct tm tm;
    gmtime_r(&month_ago, &tm);
    Credit__V1__Date decided = CREDIT__V1__DATE__INIT;
    decided.year = tm.tm_year + 1900;
    decided.month = tm.tm_mon + 1;
    decided.day = tm.tm_mday;
    Credit__V1__Penalty pen = CREDIT__V1__PENALTY__INIT;
    pen.decision_document_number = "GC-2025-1";
    pen.violation_type = "false labelling";
    pen.violation_facts = "labels overstated the content";
    pen.legal_basis = "Product Quality Law art. 27";
    pen.content = "fine";
    pen.fine_amount_fen = 500000;
    pen.decision_date = &decided;
    pen.authority = "District market regulation bureau";
    pen.authority_uscc = "11500227MB1607285C";
    pen.severity = CREDIT__V1__SEVERITY__SEVERITY_GENERAL;
    Google__Protobuf__Timestamp occurred = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    occurred.seconds = month_ago;
    Credit__V1__PublicRecordInput in = CREDIT__V1__PUBLIC_RECORD_INPUT__INIT;
    char source_id[64];
    in.source_record_id = source_id;
    in.category = CREDIT__V1__CATEGORY__CATEGORY_PENALTY;
    in.subject = &subj;
    in.occurred_at = &occurred;
    in.body_case = CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_PENALTY;
    in.penalty = &pen;
    ProtobufCMessage *ins[] = {&in.base};

    while (!*a->stop && a->streams) {
        credit_pusher *p = NULL;
        credit_status st;
        if (credit_pusher_create_batched(a->c, CREDIT_CATALOGUE_PUBLIC, STREAM_MESSAGE, 10000, &p,
                                         &st) != 0)
            fail_msg("pusher: %s", st.message);
        for (int k = 0; k < STREAM_RECORDS; k++) {
            snprintf(source_id, sizeof source_id, "gc-%d-%d-%ld", a->round, a->thread, a->sent++);
            if (credit_pusher_add(p, &in.base, &st) != 0)
                break; /* the stream has ended: its finish fails */
        }
        /* The stream's records are written at its half-close, so that is when it is sent. */
        double sent_at = now_s();
        Credit__V1__PushBatchResponse *r = NULL;
        int rc = credit_pusher_finish(p, &r, &st);
        credit_pusher_destroy(p);
        if (rc != 0) {
            usleep(2000);
            continue;
        }
        note_answer(a, r, sent_at);
    }
    while (!*a->stop) {
        snprintf(source_id, sizeof source_id, "gc-%d-%d-%ld", a->round, a->thread, a->sent++);
        double sent_at = now_s();
        Credit__V1__PushBatchResponse *r = NULL;
        credit_status st;
        if (credit_client_record_push(a->c, CREDIT_CATALOGUE_PUBLIC, ins, 1, &r, &st) != 0) {
            usleep(2000); /* the node is gone or failing: try again until told to stop */
            continue;
        }
        note_answer(a, r, sent_at);
    }
    return NULL;
}

/* Runs PUSHERS callers against `n` until `until` says so, then stops them. `during` runs
 * on this thread while they push. */
static void push_while(it_node *n, int round, void (*during)(it_node *n, void *ctx), void *ctx)
{
    credit_client *c[2] = {it_client(n, tls, "units/market"), it_client(n, tls, "units/tax")};
    volatile int stop = 0;
    pusher p[PUSHERS];
    pthread_t t[PUSHERS];
    for (int i = 0; i < PUSHERS; i++) {
        p[i] = (pusher){
            .c = c[i % 2], .round = round, .thread = i, .streams = i % 4 >= 2, .stop = &stop};
        assert_int_equal(pthread_create(&t[i], NULL, push_loop, &p[i]), 0);
    }
    during(n, ctx);
    stop = 1;
    for (int i = 0; i < PUSHERS; i++)
        pthread_join(t[i], NULL);
    credit_client_destroy(c[0]);
    credit_client_destroy(c[1]);
}

/* A kill -9 after a random 150 to 900 ms of pushing. */
static void kill_at_random(it_node *n, void *ctx)
{
    unsigned *seed = ctx;
    usleep(150000 + (useconds_t)(rand_r(seed) % 750) * 1000);
    it_node_kill9(n);
}

/* Fsyncs fail from a moment on; the pushers go on for a while, then the node is killed. */
static void fail_fsyncs(it_node *n, void *ctx)
{
    (void)ctx;
    usleep(400000);
    /* From when the switch is on: a push sent after it can only be covered by a later fsync. */
    assert_int_equal(tu_write_file(ctl, "eio-fsync\n", 10), 0);
    pthread_mutex_lock(&acked_mu);
    fault_from = now_s();
    pthread_mutex_unlock(&acked_mu);
    usleep(600000);
    it_node_kill9(n);
}

/* --- the test ----------------------------------------------------------------------------- */

static void
test_kill9_under_16_pushers_loses_nothing_acknowledged_and_the_chain_verifies(void **state)
{
    (void)state;
    unsigned seed = (unsigned)time(NULL);
    size_t before = 0;
    for (int r = 0; r < ROUNDS; r++) {
        it_node n;
        node_start(&n, 0);
        push_while(&n, r, kill_at_random, &seed);
        print_message("round %d: %zu pushes acknowledged before the kill\n", r, n_acked - before);
        assert_true(n_acked > before); /* the kill came while pushes were being answered */
        before = n_acked;
    }
    it_node n;
    node_start(&n, 1);
    push_while(&n, ROUNDS, fail_fsyncs, NULL);
    unlink(ctl);
    print_message("with fsyncs failing: %zu acknowledged before the fault, %ld after\n",
                  n_acked - before, late_acks);
    assert_true(n_acked > before);
    assert_int_equal(late_acks, 0);
    print_message("acknowledged: market %zu + %zu streamed, tax %zu + %zu streamed\n", acked_by[0],
                  acked_by[2], acked_by[1], acked_by[3]);
    for (int i = 0; i < 4; i++)
        assert_true(acked_by[i] > 0); /* both units, both ways of pushing, were answered */

    /* The store as the kills and the fault left it. */
    store *st = NULL;
    char err[STORE_ERR_LEN];
    store_options so;
    store_options_init(&so);
    so.create_if_missing = 0;
    assert_int_equal(store_open(data, &so, &st, err), 0);
    uint64_t count = 0, bad = 0;
    if (audit_verify(st, &count, &bad, err) != 0)
        fail_msg("audit chain: %s", err);
    assert_true(count >= acked_calls);
    size_t lost = 0;
    for (size_t i = 0; i < n_acked; i++) {
        Credit__Store__V1__StoredRecord *sr = NULL;
        if (records_get(st, NULL, acked[i], &sr, err) != 0) {
            if (lost++ < 5)
                fprintf(stderr, "acknowledged record %s is not stored\n", acked[i]);
            continue;
        }
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
    }
    store_close(st);
    print_message("%zu acknowledged records checked, %zu lost; %llu audit entries verified\n",
                  n_acked, lost, (unsigned long long)count);
    assert_int_equal(lost, 0);
}

static int group_setup(void **state)
{
    (void)state;
    if (!getenv("CREDITD") || !getenv("FAULTFS_LIB")) {
        fprintf(stderr, "CREDITD and FAULTFS_LIB must be set (ctest sets them)\n");
        return -1;
    }
    acked = calloc(MAX_ACKED, sizeof *acked);
    if (!acked || tu_mkdtemp(dir, sizeof dir, "credit-gc") != 0 ||
        tu_join(tls, sizeof tls, dir, "tls") != 0 || tu_join(data, sizeof data, dir, "data") != 0 ||
        tu_join(ctl, sizeof ctl, dir, "faultfs.ctl") != 0)
        return -1;
    return tu_dev_certs(tls);
}

static int group_teardown(void **state)
{
    (void)state;
    free(acked);
    return tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_kill9_under_16_pushers_loses_nothing_acknowledged_and_the_chain_verifies),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
