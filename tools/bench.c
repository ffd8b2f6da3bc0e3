/*
 * bench.c — credit-bench: what a node costs against its transport and its storage.
 *
 *   credit-bench [--creditd PATH] [--target ADDR --ca F --cert F --key F]
 *                [--records N] [--query-records N] [--seconds S] [--rounds R] ...
 *
 * Ratios against WhoAmI or raw RocksDB mix the transport's cost with the node's, so the bench
 * also runs a twin (bench_twin.h): a server inside the bench on the node's own RPC layer and
 * TLS credentials that does only the transport's and the store's work. Node and twin are
 * measured alternately, phase by phase, for --rounds rounds (3); every round's raw figures
 * are printed, and the ratios are of the medians:
 *  - ingest_ratio: a streaming push of --records records, one record a message, node ÷ twin
 *    (the twin decodes and puts each record, writing every 256, fsynced);
 *  - batch_ingest_ratio: batched streams (PushBatches, 256 records a message) from 4 callers,
 *    --records records in all ÷ the same encoded records written straight into RocksDB in
 *    batches of 256, sync on;
 *  - unary_ratio: one-record PushBatch from 16 callers, node ÷ twin (decode, one synced put);
 *  - query_ratio, query_p99_ratio: open-tier ListRecords, 50 a page, 16 callers, over a store
 *    of --query-records records on 1,000 subjects, node ÷ twin answering pages the node gave;
 *  - whoami (raw figures only): WhoAmI from 4 callers, node ÷ twin's canned reply;
 *  - sync_concurrency_ratio: 64 concurrent streams of --sync-records records in all, a fresh
 *    node with sync on ÷ a fresh node with --sync off (skipped with --target);
 *  - sync_ratio (once): --records records/s from one fresh node to another through creditsync
 *    ÷ the streaming push of those records into the first (sync_bench.h);
 *  - industrial_ratio (once): the industrial platform's batched stream (PushSampleBatches,
 *    SAMPLE_GROUP samples a message) ÷ the same series keys and values written into RocksDB in
 *    batches of SAMPLE_GROUP, sync on;
 *  - authorized_ratio: AuthorizedQuery ListRecords under a grant ÷ OpenQuery ListRecords of
 *    the same subject, 16 callers, alternately for --rounds rounds (bench_authorized.h;
 *    skipped with --target);
 *  - portrait_p99_ms (once, own node only): GetPortrait of SMALL_MICRO_BASIC from 16 callers
 *    (bank-a, under a grant the portal approved) for a subject with 1,000 records and 12 months
 *    of daily samples of two metrics: all on the same subject, so after the first call every
 *    portrait's body comes from the node's portrait cache (warm). Raw figures besides: one
 *    caller warm, and one caller cold (a record of the subject pushed before each call, so
 *    every portrait is computed afresh; the pushes are not timed).
 * --phases LIST runs only the phases named (rounds, industrial, authorized, portrait, sync;
 * default all); a phase not run is n/a in the SUMMARY.
 * Without --target it makes dev certificates and starts its own creditd in a temp dir, and
 * removes both at the end (the twin always uses such certificates). The last line is the
 * SUMMARY.
 */
#include <credit/client.h>

#include "credit/v1/authorization.pb-c.h"

#include "bench_authorized.h"
#include "bench_twin.h"
#include "sync_bench.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CREDIT_SOURCE_DIR
#define CREDIT_SOURCE_DIR "."
#endif
#ifndef CREDITD_PATH
#define CREDITD_PATH "creditd"
#endif
#ifndef CREDITSYNC_PATH
#define CREDITSYNC_PATH "creditsync"
#endif

#define N_SUBJECTS     1000
#define RAW_GROUP      256
#define BATCH_RECORDS  256 /* records a message of a batched stream in the batch phase */
#define BATCH_CALLERS  4
#define UNARY_CALLERS  16
#define WHOAMI_CALLERS 4
#define QUERY_THREADS  16
#define SYNC_STREAMS   64
#define FILL_THREADS   4
#define TWIN_THREADS   2  /* the node's default --threads */
#define TWIN_PAGES     32 /* canned ListRecords pages the twin answers */
#define ROUNDS_MAX     15
#define SAMPLE_GROUP   512 /* the samples the node writes in one batch (svc_industrial.c) */
#define PLATFORM       "ind-platform"

/* --- small helpers ------------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rmrf(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- valid subjects ----------------------------------------------------------------------- */

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                     29, 25, 13, 8,  24, 10, 30, 28};
static const int org_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

/* "91500227" + an 8-digit organisation body from `n` + both check characters. */
static void make_uscc(char out[19], unsigned n)
{
    snprintf(out, 19, "91500227%08u", n % 100000000u);
    int osum = 0;
    for (int i = 0; i < 8; i++)
        osum += (out[8 + i] - '0') * org_weights[i];
    int oc = 11 - osum % 11;
    out[16] = oc == 10 ? 'X' : oc == 11 ? '0' : (char)('0' + oc);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(uscc_alphabet, out[i]) - uscc_alphabet) * uscc_weights[i];
    out[17] = uscc_alphabet[(31 - sum % 31) % 31];
    out[18] = '\0';
}

static char subjects[N_SUBJECTS][19];
static char run_id[32]; /* makes source ids unique across runs against one node */

/* A valid SEVERITY_GENERAL penalty against a legal person, decided a month ago (as in the node's
 * integration test), with its parts kept together. */
typedef struct penalty_input {
    Credit__V1__Subject subj;
    Credit__V1__Date decided;
    Credit__V1__Penalty pen;
    Google__Protobuf__Timestamp occurred;
    Credit__V1__PublicRecordInput in;
    char source_id[64];
} penalty_input;

static void penalty_input_init(penalty_input *p)
{
    credit__v1__subject__init(&p->subj);
    p->subj.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    p->subj.name = "Bench Trading Ltd";
    p->subj.identifier = subjects[0];
    p->subj.legal_representative = "Zhang San";
    p->subj.legal_representative_id_type = CREDIT__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
    p->subj.legal_representative_id_number = "500120199310080297";
    time_t month_ago = time(NULL) - 30 * 86400;
    struct tm tm;
    gmtime_r(&month_ago, &tm);
    credit__v1__date__init(&p->decided);
    p->decided.year = tm.tm_year + 1900;
    p->decided.month = tm.tm_mon + 1;
    p->decided.day = tm.tm_mday;
    credit__v1__penalty__init(&p->pen);
    p->pen.decision_document_number = "BS-2025-17";
    p->pen.violation_type = "false labelling";
    p->pen.violation_facts = "labels overstated the content";
    p->pen.legal_basis = "Product Quality Law art. 27";
    p->pen.content = "fine";
    p->pen.fine_amount_fen = 500000;
    p->pen.decision_date = &p->decided;
    p->pen.authority = "District market regulation bureau";
    p->pen.authority_uscc = "11500227MB1607285C";
    p->pen.severity = CREDIT__V1__SEVERITY__SEVERITY_GENERAL;
    google__protobuf__timestamp__init(&p->occurred);
    p->occurred.seconds = month_ago;
    credit__v1__public_record_input__init(&p->in);
    p->source_id[0] = '\0';
    p->in.source_record_id = p->source_id;
    p->in.category = CREDIT__V1__CATEGORY__CATEGORY_PENALTY;
    p->in.subject = &p->subj;
    p->in.occurred_at = &p->occurred;
    p->in.body_case = CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_PENALTY;
    p->in.penalty = &p->pen;
}

/* Points the input at record `i` of phase `tag`: its own source id, subject i % 1000. */
static void penalty_input_set(penalty_input *p, const char *tag, unsigned long i)
{
    snprintf(p->source_id, sizeof p->source_id, "bench-%.20s-%.12s-%lu", run_id, tag, i);
    p->subj.identifier = subjects[i % N_SUBJECTS];
    p->pen.fine_amount_fen = 100000 + (int64_t)(i % 1000) * 100;
}

/* --- the nodes ---------------------------------------------------------------------------- */

typedef struct bench_cfg {
    const char *creditd;
    const char *target;
    const char *ca, *cert, *key;
    long records, query_records, sync_records;
    int seconds, rounds;
    long samples;
    const char *platform_cert, *platform_key; /* --target: the industrial platform's */
    unsigned phases; /* PHASE_* bits: --phases */
} bench_cfg;

/* The phases --phases names, in the order they run. */
enum {
    PHASE_ROUNDS = 1u << 0, /* the fill, then the rounds of node and twin */
    PHASE_INDUSTRIAL = 1u << 1,
    PHASE_AUTHORIZED = 1u << 2,
    PHASE_PORTRAIT = 1u << 3,
    PHASE_SYNC = 1u << 4, /* sync_concurrency_ratio and sync_ratio */
    PHASE_ALL = (1u << 5) - 1,
    /* Not in "all" (the rounds hold it): the fill, then only the ingest part of each round
     * (the streamed push against the twin, the batched streams against raw RocksDB), for
     * profiling the push path. */
    PHASE_INGEST = 1u << 5,
};
static const char *const phase_names[] = {"rounds", "industrial", "authorized", "portrait",
                                          "sync",   "ingest"};

/* A creditd started by the bench. */
typedef struct node_proc {
    pid_t pid;
    char target[64];
} node_proc;

static char tmp_dir[256];
static node_proc nodes[3] = {{-1, ""}, {-1, ""}, {-1, ""}}; /* main, sync on, sync off */
static char ca_path[512], cert_path[512], key_path[512];    /* the dev certificates */

static int run_quiet(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Makes the dev certificates in tmp_dir/tls (the node's and the twin's). */
static int make_certs(void)
{
    char tls[300], script[512];
    snprintf(tls, sizeof tls, "%s/tls", tmp_dir);
    snprintf(script, sizeof script, "%s/certs/make-dev-certs.sh", CREDIT_SOURCE_DIR);
    char *mk[] = {"/bin/bash", script, tls, NULL};
    if (run_quiet(mk) != 0) {
        fprintf(stderr, "credit-bench: %s %s failed\n", script, tls);
        return -1;
    }
    snprintf(ca_path, sizeof ca_path, "%s/ca.crt", tls);
    snprintf(cert_path, sizeof cert_path, "%s/units/market.crt", tls);
    snprintf(key_path, sizeof key_path, "%s/units/market.key", tls);
    return 0;
}

/* Starts a creditd on the dev certificates with its data in tmp_dir/`name`, sync on or off. */
static int node_start(const char *creditd, node_proc *np, const char *name, int sync)
{
    char tls[300], data[300], log[300];
    snprintf(tls, sizeof tls, "%s/tls", tmp_dir);
    snprintf(data, sizeof data, "%s/%s", tmp_dir, name);
    snprintf(log, sizeof log, "%s/creditd-%s.log", tmp_dir, name);
    char *argv[] = {(char *)creditd,
                    "--listen",
                    "127.0.0.1:0",
                    "--data",
                    data,
                    "--tls",
                    tls,
                    "--log-level",
                    "warn",
                    "--sync",
                    sync ? "on" : "off",
                    NULL};
    int out[2];
    if (pipe(out) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    if (pid == 0) {
        int lf = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (lf >= 0)
            dup2(lf, STDERR_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(out[1]);
    np->pid = pid;
    FILE *f = fdopen(out[0], "r");
    char line[256] = "";
    char *got = f ? fgets(line, sizeof line, f) : NULL;
    if (f)
        fclose(f);
    else
        close(out[0]);
    int port = 0;
    if (!got || sscanf(line, "listening on 127.0.0.1:%d", &port) != 1) {
        fprintf(stderr, "credit-bench: %s did not start (\"%s\"); see its log below\n", creditd,
                line);
        int status;
        kill(pid, SIGTERM);
        waitpid(pid, &status, 0);
        np->pid = -1;
        FILE *lg = fopen(log, "r");
        if (lg) {
            char buf[512];
            while (fgets(buf, sizeof buf, lg))
                fputs(buf, stderr);
            fclose(lg);
        }
        return -1;
    }
    snprintf(np->target, sizeof np->target, "127.0.0.1:%d", port);
    return 0;
}

static int node_stop(node_proc *np)
{
    if (np->pid <= 0)
        return 0;
    kill(np->pid, SIGTERM);
    int status = 0;
    waitpid(np->pid, &status, 0);
    np->pid = -1;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0)
        fprintf(stderr, "credit-bench: creditd exited %d\n", code);
    return code;
}

/* A client of `target` as the unit of cert/key, trusting ca. */
static credit_client *client_at(const char *target, const char *ca, const char *cert,
                                const char *key)
{
    credit_client_options o;
    credit_client_options_init(&o);
    o.target = target;
    o.ca_file = ca;
    o.cert_file = cert;
    o.key_file = key;
    o.timeout_ms = 60000;
    credit_client *c = NULL;
    credit_status st;
    if (credit_client_create(&o, &c, &st) != 0) {
        fprintf(stderr, "credit-bench: client: %s\n", st.message);
        return NULL;
    }
    return c;
}

/* A client of the node under test as the unit of cert/key (NULL: the market bureau's, or
 * --cert/--key). */
static credit_client *client_open(const bench_cfg *cfg, const char *cert, const char *key)
{
    if (cfg->target)
        return client_at(cfg->target, cfg->ca, cert ? cert : cfg->cert, key ? key : cfg->key);
    return client_at(nodes[0].target, ca_path, cert ? cert : cert_path, key ? key : key_path);
}

/* --- (a) ingest --------------------------------------------------------------------------- */

/* Streams records [from, from+count) of phase `tag` through one pusher (count at most
 * CREDIT_PUSH_STREAM_MAX). Returns the number accepted as PUSH_OUTCOME_CREATED, or -1. */
static long push_one_stream(credit_client *c, const char *tag, long from, long count,
                            size_t per_message)
{
    credit_status st;
    credit_pusher *p = NULL;
    int rc = per_message
                 ? credit_pusher_create_batched(c, CREDIT_CATALOGUE_PUBLIC, per_message, 0, &p, &st)
                 : credit_pusher_create(c, CREDIT_CATALOGUE_PUBLIC, 0, &p, &st);
    if (rc != 0) {
        fprintf(stderr, "credit-bench: pusher: %s %s\n", credit_code_name(st.code), st.message);
        return -1;
    }
    penalty_input pi;
    penalty_input_init(&pi);
    for (long i = from; i < from + count; i++) {
        penalty_input_set(&pi, tag, (unsigned long)i);
        if (credit_pusher_add(p, &pi.in.base, &st) != 0)
            break; /* finish says why */
    }
    Credit__V1__PushBatchResponse *r = NULL;
    if (credit_pusher_finish(p, &r, &st) != 0) {
        fprintf(stderr, "credit-bench: push stream: %s %s\n", credit_code_name(st.code),
                st.message);
        credit_pusher_destroy(p);
        return -1;
    }
    credit_pusher_destroy(p);
    long created = 0;
    for (size_t i = 0; i < r->n_results; i++) {
        if (r->results[i]->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED)
            created++;
        else if (created == 0 && i == 0)
            fprintf(stderr, "credit-bench: record %zu: outcome %d %s: %s\n", i,
                    (int)r->results[i]->outcome, r->results[i]->field, r->results[i]->reason);
    }
    credit__v1__push_batch_response__free_unpacked(r, NULL);
    return created;
}

/* Streams records [from, from+count) in as many streams as the node's limit needs, one
 * record a message (Push) or per_message a message (PushBatches). Returns the number accepted
 * as PUSH_OUTCOME_CREATED, or -1. */
static long push_stream(credit_client *c, const char *tag, long from, long count,
                        size_t per_message)
{
    long created = 0;
    for (long done = 0; done < count;) {
        long n = count - done < CREDIT_PUSH_STREAM_MAX ? count - done : CREDIT_PUSH_STREAM_MAX;
        long got = push_one_stream(c, tag, from + done, n, per_message);
        if (got < 0)
            return -1;
        created += got;
        done += n;
    }
    return created;
}

/* Makes the key and value of item i of a raw run into key[] (klen) and a value buffer (vlen,
 * *val grown as needed, *cap its size). Returns 0, or -1 when out of memory. */
typedef int (*raw_item_fn)(void *ctx, long i, unsigned char *key, size_t *klen, uint8_t **val,
                           size_t *vlen, size_t *cap);

#define RAW_KEY_MAX 256

/* Writes n items made by `make` into a fresh store in `dir_name` under tmp_dir, `group` per
 * batch, into family `cf`, fsyncing each batch or not. Returns items/s, or -1. */
static double raw_rate(const char *dir_name, long n, size_t group, int sync, store_cf cf,
                       raw_item_fn make, void *ctx)
{
    char dir[300], err[STORE_ERR_LEN];
    snprintf(dir, sizeof dir, "%s/%s", tmp_dir, dir_name);
    store_options so;
    store_options_init(&so);
    so.sync = sync;
    store *st = NULL;
    if (store_open(dir, &so, &st, err) != 0) {
        fprintf(stderr, "credit-bench: store_open %s: %s\n", dir, err);
        return -1;
    }
    store_batch *b = store_batch_create();
    uint8_t *buf = NULL;
    size_t cap = 0;
    double rate = -1;
    double t0 = now_s();
    long i;
    for (i = 0; b && i < n; i++) {
        unsigned char key[RAW_KEY_MAX];
        size_t klen = 0, len = 0;
        if (make(ctx, i, key, &klen, &buf, &len, &cap) != 0)
            break;
        store_batch_put(b, cf, key, klen, buf, len);
        if (store_batch_count(b) == group || i == n - 1) {
            if (store_write(st, b, err) != 0) {
                fprintf(stderr, "credit-bench: store_write: %s\n", err);
                break;
            }
            store_batch_clear(b);
        }
    }
    if (i == n)
        rate = (double)n / (now_s() - t0);
    free(buf);
    store_batch_destroy(b);
    store_close(st);
    return rate;
}

/* Grows *val to hold len bytes. */
static int reserve(uint8_t **val, size_t *cap, size_t len)
{
    if (len <= *cap)
        return 0;
    uint8_t *nb = realloc(*val, len);
    if (!nb)
        return -1;
    *val = nb;
    *cap = len;
    return 0;
}

typedef struct raw_records {
    penalty_input pi;
    const char *tag;
    uint64_t seed;
} raw_records;

/* A packed penalty under a random 32-byte key (a record id and more). */
static int raw_record(void *ctx, long i, unsigned char *key, size_t *klen, uint8_t **val,
                      size_t *vlen, size_t *cap)
{
    raw_records *r = ctx;
    penalty_input_set(&r->pi, r->tag, (unsigned long)i);
    size_t len = credit__v1__public_record_input__get_packed_size(&r->pi.in);
    if (reserve(val, cap, len) != 0)
        return -1;
    credit__v1__public_record_input__pack(&r->pi.in, *val);
    for (int k = 0; k < 4; k++) {
        uint64_t v = splitmix(&r->seed);
        memcpy(key + 8 * k, &v, 8);
    }
    *klen = 32;
    *vlen = len;
    return 0;
}

/* Packs and writes N records into a fresh store (its own for each round), RAW_GROUP per
 * batch. Returns records/s. */
static double raw_ingest(long n, int sync, int round)
{
    raw_records r;
    penalty_input_init(&r.pi);
    r.tag = sync ? "raws" : "rawn";
    r.seed = (uint64_t)(sync ? 1 : 2) + 16 * (uint64_t)round;
    char dir[32];
    snprintf(dir, sizeof dir, "raw-%s-%d", sync ? "sync" : "nosync", round);
    return raw_rate(dir, n, RAW_GROUP, sync, STORE_CF_RECORDS, raw_record, &r);
}

/* --- timed callers: unary pushes, WhoAmI, ListRecords -------------------------------------- */

typedef enum call_kind { CALL_PUSH1, CALL_WHOAMI, CALL_LIST, CALL_PORTRAIT } call_kind;

static int portrait_call(credit_client *c, credit_status *st);

typedef struct caller_arg {
    credit_client *c;
    call_kind kind;
    const char *tag; /* CALL_PUSH1: the phase's source-id tag */
    int thread;
    double until;
    double *lat; /* ms, one per successful call */
    size_t n, cap;
    long failures, empty, records;
} caller_arg;

/* What a timed run of callers measured. */
typedef struct call_figures {
    double rate;     /* successful calls/s */
    double p50, p99; /* ms */
    double per_call; /* CALL_LIST: records per answer */
} call_figures;

/* One call of kind a->kind; i numbers the caller's pushes. Returns 1 if it succeeded. */
static int one_call(caller_arg *a, penalty_input *pi, const char *tag, unsigned long i)
{
    credit_status st;
    int ok = 0;
    if (a->kind == CALL_PUSH1) {
        ProtobufCMessage *ins[] = {&pi->in.base};
        penalty_input_set(pi, tag, i);
        Credit__V1__PushBatchResponse *r = NULL;
        if (credit_client_record_push(a->c, CREDIT_CATALOGUE_PUBLIC, ins, 1, &r, &st) == 0) {
            ok = r->accepted == 1 && r->n_results == 1 &&
                 r->results[0]->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED;
            credit__v1__push_batch_response__free_unpacked(r, NULL);
        }
    } else if (a->kind == CALL_PORTRAIT) {
        ok = portrait_call(a->c, &st);
    } else if (a->kind == CALL_WHOAMI) {
        Credit__V1__WhoAmIResponse *me = NULL;
        if (credit_client_whoami(a->c, &me, &st) == 0) {
            ok = 1;
            credit__v1__who_am_iresponse__free_unpacked(me, NULL);
        }
    } else {
        uint64_t seed = 0x5eed0000u + (uint64_t)a->thread * 1000003u + i;
        credit_record_filter filter;
        credit_record_filter_init(&filter);
        filter.subject_kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
        filter.page_size = 50;
        filter.subject_identifier = subjects[splitmix(&seed) % N_SUBJECTS];
        Credit__V1__ListRecordsResponse *r = NULL;
        if (credit_client_record_list(a->c, CREDIT_TIER_OPEN, &filter, &r, &st) == 0) {
            ok = 1;
            if (r->n_records == 0)
                a->empty++;
            a->records += (long)r->n_records;
            credit__v1__list_records_response__free_unpacked(r, NULL);
        }
    }
    if (!ok && a->failures == 0 && st.code != CREDIT_CODE_OK)
        fprintf(stderr, "credit-bench: call failed: %s %s\n", credit_code_name(st.code),
                st.message);
    return ok;
}

static void *caller_worker(void *arg)
{
    caller_arg *a = arg;
    penalty_input pi;
    penalty_input_init(&pi);
    char tag[32];
    snprintf(tag, sizeof tag, "%s%d", a->tag ? a->tag : "", a->thread);
    for (unsigned long i = 0;; i++) {
        double t0 = now_s();
        if (t0 >= a->until)
            break;
        if (!one_call(a, &pi, tag, i)) {
            a->failures++;
            continue;
        }
        if (a->n == a->cap) {
            size_t nc = a->cap ? a->cap * 2 : 4096;
            double *nl = realloc(a->lat, nc * sizeof *nl);
            if (!nl) {
                a->failures++;
                break;
            }
            a->lat = nl;
            a->cap = nc;
        }
        a->lat[a->n++] = (now_s() - t0) * 1000.0;
    }
    return NULL;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Sorts the latencies lat[0..n) (ms, n > 0) of calls made in `seconds` into out's rate, p50
 * and p99. */
static void percentiles(double *lat, size_t n, double seconds, call_figures *out)
{
    qsort(lat, n, sizeof *lat, cmp_double);
    out->rate = (double)n / seconds;
    out->p50 = lat[(size_t)(0.50 * (double)(n - 1))];
    out->p99 = lat[(size_t)(0.99 * (double)(n - 1))];
}

/* Runs `threads` callers of `kind` on client c for `seconds`. Returns 0 and *out, or -1. */
static int run_callers(credit_client *c, call_kind kind, const char *tag, int threads, int seconds,
                       call_figures *out)
{
    caller_arg *args = calloc((size_t)threads, sizeof *args);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    int started = 0, rc = -1;
    double t0 = now_s();
    for (int i = 0; args && t && i < threads; i++) {
        args[i] =
            (caller_arg){.c = c, .kind = kind, .tag = tag, .thread = i, .until = t0 + seconds};
        if (pthread_create(&t[i], NULL, caller_worker, &args[i]) != 0)
            break;
        started++;
    }
    size_t total = 0;
    long failures = 0, records = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        total += args[i].n;
        failures += args[i].failures;
        records += args[i].records;
    }
    double el = now_s() - t0;
    double *all = total ? malloc(total * sizeof *all) : NULL;
    if (all && started == threads) {
        size_t k = 0;
        for (int i = 0; i < started; i++) {
            memcpy(all + k, args[i].lat, args[i].n * sizeof *all);
            k += args[i].n;
        }
        percentiles(all, total, el, out);
        out->per_call = (double)records / (double)total;
        rc = 0;
    }
    if (failures)
        fprintf(stderr, "credit-bench: %ld failed calls (not counted)\n", failures);
    free(all);
    for (int i = 0; args && i < started; i++)
        free(args[i].lat);
    free(args);
    free(t);
    return rc;
}

/* --- Batched streams, and many streams at once ------------------------------------------- */

typedef struct batch_arg {
    credit_client *c;
    char tag[32];
    long count, created;
} batch_arg;

static void *batch_worker(void *arg)
{
    batch_arg *a = arg;
    long got = push_stream(a->c, a->tag, 0, a->count, BATCH_RECORDS);
    a->created = got > 0 ? got : 0;
    return NULL;
}

/* `total` records in batched streams (PushBatches), BATCH_RECORDS a message, from
 * BATCH_CALLERS callers. Returns
 * records/s, or -1 unless every record was created. */
static double batch_run(credit_client *c, const char *tag, long total)
{
    batch_arg a[BATCH_CALLERS];
    pthread_t t[BATCH_CALLERS];
    int started = 0;
    double t0 = now_s();
    for (int i = 0; i < BATCH_CALLERS; i++) {
        long per = total / BATCH_CALLERS;
        a[i] = (batch_arg){.c = c, .count = i == BATCH_CALLERS - 1 ? total - per * i : per};
        snprintf(a[i].tag, sizeof a[i].tag, "%.20s%d", tag, i);
        if (pthread_create(&t[i], NULL, batch_worker, &a[i]) != 0)
            break;
        started++;
    }
    long created = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        created += a[i].created;
    }
    double el = now_s() - t0;
    if (created != total) {
        fprintf(stderr, "credit-bench: batch: %ld of %ld records created\n", created, total);
        return -1;
    }
    return (double)total / el;
}

typedef struct stream_arg {
    credit_client *c;
    char tag[32];
    long from, count, created;
} stream_arg;

static void *stream_worker(void *arg)
{
    stream_arg *a = arg;
    a->created = push_stream(a->c, a->tag, a->from, a->count, 0);
    return NULL;
}

/* `total` records over `streams` concurrent Push streams. Returns records/s, or -1 unless
 * every record was created. */
static double streams_run(credit_client *c, const char *tag, int streams, long total)
{
    stream_arg *a = calloc((size_t)streams, sizeof *a);
    pthread_t *t = calloc((size_t)streams, sizeof *t);
    int started = 0;
    double t0 = now_s();
    for (int i = 0; a && t && i < streams; i++) {
        long per = total / streams;
        a[i] = (stream_arg){
            .c = c, .from = per * i, .count = i == streams - 1 ? total - per * i : per};
        snprintf(a[i].tag, sizeof a[i].tag, "%s", tag);
        if (pthread_create(&t[i], NULL, stream_worker, &a[i]) != 0)
            break;
        started++;
    }
    long created = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        created += a[i].created > 0 ? a[i].created : 0;
    }
    double el = now_s() - t0;
    free(a);
    free(t);
    if (created != total) {
        fprintf(stderr, "credit-bench: streams: %ld of %ld records created\n", created, total);
        return -1;
    }
    return (double)total / el;
}

/* --- (d) industrial ---------------------------------------------------------------------- */

static const char *const sample_metrics[] = {"electricity_kwh", "water_m3", "natural_gas_m3",
                                             "peak_demand_kw"};
#define SAMPLE_SECTION "ENERGY_USE"
#define N_METRICS      (sizeof sample_metrics / sizeof sample_metrics[0])

static char enterprise[19];

/* Sample i: the four ENERGY_USE metrics in turn, hourly, going back from `base`. */
typedef struct sample_input {
    Credit__V1__Sample s;
    Google__Protobuf__Timestamp start;
    int64_t base;
} sample_input;

static void sample_input_init(sample_input *x, int64_t base)
{
    credit__v1__sample__init(&x->s);
    google__protobuf__timestamp__init(&x->start);
    x->s.enterprise_uscc = enterprise;
    x->s.section = SAMPLE_SECTION;
    x->s.period_start = &x->start;
    x->s.period_seconds = 3600;
    x->base = base;
}

static void sample_input_set(sample_input *x, long i)
{
    x->s.metric = (char *)sample_metrics[(size_t)i % N_METRICS];
    x->start.seconds = x->base - (int64_t)((size_t)i / N_METRICS) * 3600;
    x->s.value = (double)(i % 1000) + 0.25;
}

/* The node's key and value of a sample (server/data/series.h): "<uscc>/<section>/<metric>/",
 * be64(period start + 2^63), "/<platform>" -> a format byte, be64 of the double's bits, be32
 * period seconds, be64(received at + 2^63): 21 bytes. Mirrored here, since the benchmark is
 * built on the client library and the store alone. */
static int raw_sample(void *ctx, long i, unsigned char *key, size_t *klen, uint8_t **val,
                      size_t *vlen, size_t *cap)
{
    sample_input *x = ctx;
    sample_input_set(x, i);
    int n =
        snprintf((char *)key, RAW_KEY_MAX, "%s/%s/%s/", enterprise, SAMPLE_SECTION, x->s.metric);
    if (n < 0 || (size_t)n + 9 + sizeof PLATFORM > RAW_KEY_MAX || reserve(val, cap, 21) != 0)
        return -1;
    store_put_be64(key + n, (uint64_t)x->start.seconds ^ (1ULL << 63));
    key[n + 8] = '/';
    memcpy(key + n + 9, PLATFORM, sizeof PLATFORM - 1);
    *klen = (size_t)n + 9 + sizeof PLATFORM - 1;
    uint64_t bits;
    memcpy(&bits, &x->s.value, sizeof bits);
    (*val)[0] = 1;
    store_put_be64(*val + 1, bits);
    for (int k = 0; k < 4; k++)
        (*val)[9 + k] = (uint8_t)(x->s.period_seconds >> (24 - 8 * k));
    store_put_be64(*val + 13, (uint64_t)time(NULL) ^ (1ULL << 63));
    *vlen = 21;
    return 0;
}

/* Registers the opt-in and streams n samples. Returns samples/s, or -1. */
static double push_samples(credit_client *pc, long n, int64_t base)
{
    credit_status st;
    Credit__V1__OptIn *o = NULL;
    char digest[65];
    uint64_t seed = 0xd16e57;
    for (int k = 0; k < 4; k++)
        snprintf(digest + 16 * k, 17, "%016llx", (unsigned long long)splitmix(&seed));
    if (credit_client_optin_register(pc, enterprise, digest, "", &o, &st) == 0)
        credit__v1__opt_in__free_unpacked(o, NULL);
    else if (st.code != CREDIT_CODE_ALREADY_EXISTS) {
        fprintf(stderr, "credit-bench: opt-in: %s %s\n", credit_code_name(st.code), st.message);
        return -1;
    }
    sample_input x;
    sample_input_init(&x, base);
    credit_sample_pusher *p = NULL;
    double t0 = now_s();
    if (credit_sample_pusher_create_batched(pc, SAMPLE_GROUP, 0, &p, &st) != 0) {
        fprintf(stderr, "credit-bench: sample pusher: %s %s\n", credit_code_name(st.code),
                st.message);
        return -1;
    }
    for (long i = 0; i < n; i++) {
        sample_input_set(&x, i);
        if (credit_sample_pusher_add(p, &x.s, &st) != 0)
            break; /* finish says why */
    }
    Credit__V1__SampleSummary *sum = NULL;
    int rc = credit_sample_pusher_finish(p, &sum, &st);
    double el = now_s() - t0;
    credit_sample_pusher_destroy(p);
    if (rc != 0) {
        fprintf(stderr, "credit-bench: sample stream: %s %s\n", credit_code_name(st.code),
                st.message);
        return -1;
    }
    long stored = (long)(sum->accepted + sum->unchanged);
    if (stored != n)
        fprintf(stderr, "credit-bench: samples: %ld of %ld stored; first rejection: %s: %s\n",
                stored, n, sum->n_rejections ? sum->rejections[0]->field : "-",
                sum->n_rejections ? sum->rejections[0]->reason : "-");
    else if (sum->unchanged)
        printf("industrial: %llu of the samples were already stored (an earlier run)\n",
               (unsigned long long)sum->unchanged);
    credit__v1__sample_summary__free_unpacked(sum, NULL);
    return stored == n ? (double)n / el : -1;
}

/* Phase (d): prints its figures; returns node rate / raw rate, 0 when skipped, -1 on failure. */
static double industrial_phase(const bench_cfg *cfg)
{
    char cert[512], key[512];
    const char *c_path = cfg->platform_cert, *k_path = cfg->platform_key;
    if (!cfg->target) {
        snprintf(cert, sizeof cert, "%.400s/tls/units/" PLATFORM ".crt", tmp_dir);
        snprintf(key, sizeof key, "%.400s/tls/units/" PLATFORM ".key", tmp_dir);
        c_path = cert;
        k_path = key;
    } else if (!c_path || !k_path) {
        printf("industrial: skipped (--target without --platform-cert/--platform-key)\n");
        return 0;
    }
    credit_client *pc = client_open(cfg, c_path, k_path);
    if (!pc)
        return -1;
    /* Whole hours, ending a day ago: the node takes no period in the future. */
    int64_t base = ((int64_t)time(NULL) - 86400) / 3600 * 3600;
    double node_rate = push_samples(pc, cfg->samples, base);
    credit_client_destroy(pc);
    if (node_rate <= 0)
        return -1;
    sample_input x;
    sample_input_init(&x, base);
    double raw =
        raw_rate("raw-series", cfg->samples, SAMPLE_GROUP, 1, STORE_CF_SERIES, raw_sample, &x);
    if (raw <= 0)
        return -1;
    printf("industrial: node PushSampleBatches %10.0f samples/s (%ld samples, one stream)\n",
           node_rate, cfg->samples);
    printf("industrial: raw RocksDB, sync on   %10.0f samples/s (batches of %d, same keys and "
           "values)\n",
           raw, SAMPLE_GROUP);
    printf("industrial: industrial_ratio (node / raw sync on) = %.2f\n", node_rate / raw);
    fflush(stdout);
    return node_rate / raw;
}
/* --- portraits: GetPortrait under a grant, 16 callers ------------------------------------ */

#define PORTRAIT_RECORDS  1000 /* the portrait subject's records */
#define PORTRAIT_DAYS     365  /* daily samples of each portrait metric: 12 months */
#define PORTRAIT_CALLERS  16
#define PORTRAIT_TEMPLATE "SMALL_MICRO_BASIC"

static char portrait_subject[19];
static char portrait_grant[64];

/* One GetPortrait of the portrait subject under the phase's grant (one_call's CALL_PORTRAIT). */
static int portrait_call(credit_client *c, credit_status *st)
{
    Credit__V1__Portrait *p = NULL;
    if (credit_client_portrait_get(c, CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON,
                                   portrait_subject, PORTRAIT_TEMPLATE, portrait_grant, &p,
                                   st) != 0)
        return 0;
    int ok = p->n_items > 0 && p->signature.len > 0;
    credit__v1__portrait__free_unpacked(p, NULL);
    return ok;
}

/* The portrait subject's data: PORTRAIT_RECORDS penalties (market) and a year of daily
 * SALES/sales_amount_fen and ENERGY_USE/electricity_kwh samples (the industrial platform). */
static int portrait_data(credit_client *market, credit_client *platform)
{
    enum { GROUP = 250 };
    penalty_input pi[GROUP];
    ProtobufCMessage *ins[GROUP];
    credit_status st;
    for (int k = 0; k < GROUP; k++) {
        penalty_input_init(&pi[k]);
        ins[k] = &pi[k].in.base;
    }
    for (long i = 0; i < PORTRAIT_RECORDS; i += GROUP) {
        for (int k = 0; k < GROUP; k++) {
            penalty_input_set(&pi[k], "portrait", (unsigned long)(i + k));
            pi[k].subj.identifier = portrait_subject;
        }
        Credit__V1__PushBatchResponse *r = NULL;
        if (credit_client_record_push(market, CREDIT_CATALOGUE_PUBLIC, ins, GROUP, &r, &st) != 0)
            goto fail;
        int bad = r->rejected != 0;
        credit__v1__push_batch_response__free_unpacked(r, NULL);
        if (bad) {
            fprintf(stderr, "credit-bench: portrait records rejected\n");
            return -1;
        }
    }
    Credit__V1__OptIn *o = NULL;
    if (credit_client_optin_register(
            platform, portrait_subject,
            "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e", "", &o, &st) == 0)
        credit__v1__opt_in__free_unpacked(o, NULL);
    else if (st.code != CREDIT_CODE_ALREADY_EXISTS)
        goto fail;
    static const char *const metric[2][2] = {{"SALES", "sales_amount_fen"},
                                             {"ENERGY_USE", "electricity_kwh"}};
    credit_sample_pusher *p = NULL;
    if (credit_sample_pusher_create(platform, 0, &p, &st) != 0)
        goto fail;
    Credit__V1__Sample s = CREDIT__V1__SAMPLE__INIT;
    Google__Protobuf__Timestamp start = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    int64_t today = (int64_t)time(NULL) / 86400 * 86400;
    s.enterprise_uscc = portrait_subject;
    s.period_start = &start;
    s.period_seconds = 86400;
    for (int d = 1; d <= PORTRAIT_DAYS; d++) {
        for (int m = 0; m < 2; m++) {
            s.section = (char *)metric[m][0];
            s.metric = (char *)metric[m][1];
            start.seconds = today - (int64_t)d * 86400;
            s.value = 1000.0 + d;
            if (credit_sample_pusher_add(p, &s, &st) != 0)
                break;
        }
    }
    Credit__V1__SampleSummary *sum = NULL;
    int rc = credit_sample_pusher_finish(p, &sum, &st);
    credit_sample_pusher_destroy(p);
    if (rc != 0)
        goto fail;
    rc = sum->rejected ? -1 : 0;
    credit__v1__sample_summary__free_unpacked(sum, NULL);
    return rc;
fail:
    fprintf(stderr, "credit-bench: portrait data: %s %s\n", credit_code_name(st.code), st.message);
    return -1;
}

/* bank-a asks for a grant of the template, the portal approves it: portrait_grant. */
static int portrait_consent(credit_client *bank, credit_client *portal)
{
    Credit__V1__GrantScope scope = CREDIT__V1__GRANT_SCOPE__INIT;
    scope.portrait_template = PORTRAIT_TEMPLATE;
    return bench_grant(bank, portal, portrait_subject, &scope, portrait_grant);
}

/* Cold portraits: one caller for `seconds`, each GetPortrait after a push of one more record
 * of the portrait subject (untimed), which makes the node's cached body stale, so that every
 * portrait timed is computed afresh. Returns 0 with *f, or -1. */
#define PORTRAIT_COLD_MAX 100000
static int portrait_cold(credit_client *market, credit_client *bank, int seconds,
                         call_figures *f)
{
    double *lat = malloc(PORTRAIT_COLD_MAX * sizeof *lat), t0 = now_s(), timed = 0;
    size_t n = 0;
    penalty_input pi;
    ProtobufCMessage *ins[] = {&pi.in.base};
    credit_status st;
    int rc = -1;

    penalty_input_init(&pi);
    while (lat && n < PORTRAIT_COLD_MAX && now_s() < t0 + seconds) {
        Credit__V1__PushBatchResponse *r = NULL;
        penalty_input_set(&pi, "pcold", (unsigned long)n);
        pi.subj.identifier = portrait_subject;
        if (credit_client_record_push(market, CREDIT_CATALOGUE_PUBLIC, ins, 1, &r, &st) != 0) {
            fprintf(stderr, "credit-bench: cold portrait push: %s %s\n",
                    credit_code_name(st.code), st.message);
            goto out;
        }
        credit__v1__push_batch_response__free_unpacked(r, NULL);
        double c0 = now_s();
        if (!portrait_call(bank, &st)) {
            fprintf(stderr, "credit-bench: cold portrait: %s %s\n", credit_code_name(st.code),
                    st.message);
            goto out;
        }
        lat[n++] = (now_s() - c0) * 1000.0;
        timed += now_s() - c0;
    }
    if (n) {
        percentiles(lat, n, timed, f);
        rc = 0;
    }
out:
    free(lat);
    return rc;
}

/* The portrait phase (own node only: it needs bank-a's, the portal's and the platform's
 * certificates): GetPortrait p50/p99 at PORTRAIT_CALLERS callers. Returns 0 with *f, 1 when
 * skipped, -1 on failure. */
static int portrait_phase(const bench_cfg *cfg, credit_client *market, call_figures *f)
{
    if (cfg->target) {
        printf("portrait: skipped (--target: the bench holds no lender's or portal's certificate "
               "there)\n");
        return 1;
    }
    credit_client *unit[3] = {NULL, NULL, NULL};
    static const char *const who[3] = {"bank-a", "portal", PLATFORM};
    int rc = -1;
    for (int i = 0; i < 3; i++) {
        char cert[512], key[512];
        snprintf(cert, sizeof cert, "%.400s/tls/units/%s.crt", tmp_dir, who[i]);
        snprintf(key, sizeof key, "%.400s/tls/units/%s.key", tmp_dir, who[i]);
        if (!(unit[i] = client_open(cfg, cert, key)))
            goto out;
    }
    double t0 = now_s();
    if (portrait_data(market, unit[2]) != 0 || portrait_consent(unit[0], unit[1]) != 0)
        goto out;
    printf("portrait: %d records and %d days of 2 metrics for %s in %.1f s; grant %s\n",
           PORTRAIT_RECORDS, PORTRAIT_DAYS, portrait_subject, now_s() - t0, portrait_grant);
    if (run_callers(unit[0], CALL_PORTRAIT, NULL, PORTRAIT_CALLERS, cfg->seconds, f) != 0)
        goto out;
    printf("portrait: GetPortrait %s, %d callers, same subject (warm: cached body): %.0f "
           "calls/s, p50 %.2f ms, p99 %.2f ms\n",
           PORTRAIT_TEMPLATE, PORTRAIT_CALLERS, f->rate, f->p50, f->p99);
    fflush(stdout);
    call_figures one, cold;
    if (run_callers(unit[0], CALL_PORTRAIT, NULL, 1, cfg->seconds, &one) != 0 ||
        portrait_cold(market, unit[0], cfg->seconds, &cold) != 0)
        goto out;
    printf("portrait: 1 caller, warm: %.0f calls/s, p50 %.2f ms, p99 %.2f ms\n", one.rate,
           one.p50, one.p99);
    printf("portrait: 1 caller, cold (a record pushed before each call, untimed; every body "
           "computed afresh): p50 %.2f ms, p99 %.2f ms\n",
           cold.p50, cold.p99);
    fflush(stdout);
    rc = 0;
out:
    for (int i = 0; i < 3; i++)
        credit_client_destroy(unit[i]);
    return rc;
}

/* --- figures ------------------------------------------------------------------------------ */

/* Every figure measured once a round; the ratios are of their medians. */
enum fig {
    F_STREAM_NODE,
    F_STREAM_TWIN,
    F_BATCH_NODE,
    F_RAW_SYNC,
    F_RAW_NOSYNC,
    F_UNARY_NODE,
    F_UNARY_TWIN,
    F_WHO_NODE,
    F_WHO_TWIN,
    F_Q_NODE,
    F_Q_TWIN,
    F_QP50_NODE,
    F_QP50_TWIN,
    F_QP99_NODE,
    F_QP99_TWIN,
    F_SYNC_ON,
    F_SYNC_OFF,
    F_COUNT
};

static const char *const fig_name[F_COUNT] = {
    [F_STREAM_NODE] = "stream push, node (records/s)",
    [F_STREAM_TWIN] = "stream push, twin (records/s)",
    [F_BATCH_NODE] = "batched streams of 256 a message, 4 callers, node (records/s)",
    [F_RAW_SYNC] = "raw RocksDB batches of 256, sync on (records/s)",
    [F_RAW_NOSYNC] = "raw RocksDB batches of 256, sync off (records/s)",
    [F_UNARY_NODE] = "PushBatch of 1, 16 callers, node (calls/s)",
    [F_UNARY_TWIN] = "PushBatch of 1, 16 callers, twin (calls/s)",
    [F_WHO_NODE] = "WhoAmI, 4 callers, node (calls/s)",
    [F_WHO_TWIN] = "WhoAmI, 4 callers, twin (calls/s)",
    [F_Q_NODE] = "ListRecords, 16 callers, node (calls/s)",
    [F_Q_TWIN] = "ListRecords, 16 callers, twin (calls/s)",
    [F_QP50_NODE] = "ListRecords p50, node (ms)",
    [F_QP50_TWIN] = "ListRecords p50, twin (ms)",
    [F_QP99_NODE] = "ListRecords p99, node (ms)",
    [F_QP99_TWIN] = "ListRecords p99, twin (ms)",
    [F_SYNC_ON] = "64 streams, node sync on (records/s)",
    [F_SYNC_OFF] = "64 streams, node sync off (records/s)",
};

static double figs[F_COUNT][ROUNDS_MAX];

static double median(enum fig f, int rounds)
{
    double v[ROUNDS_MAX];
    memcpy(v, figs[f], (size_t)rounds * sizeof v[0]);
    qsort(v, (size_t)rounds, sizeof v[0], cmp_double);
    return rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
}

static double ratio(enum fig num, enum fig den, int rounds)
{
    double d = median(den, rounds);
    return d > 0 ? median(num, rounds) / d : 0;
}

/* Prints every figure, round by round, with its median (0 rounds of a figure: n/a). */
static void print_figures(int rounds, int sync_rounds)
{
    printf("\n%-50s", "figure (raw, every round)");
    for (int r = 0; r < rounds; r++)
        printf("  round %-4d", r + 1);
    printf("  %10s\n", "median");
    for (int f = 0; f < F_COUNT; f++) {
        int n = f == F_SYNC_ON || f == F_SYNC_OFF ? sync_rounds : rounds;
        printf("%-50s", fig_name[f]);
        for (int r = 0; r < rounds; r++) {
            if (r < n)
                printf("  %10.2f", figs[f][r]);
            else
                printf("  %10s", "-");
        }
        if (n)
            printf("  %10.2f\n", median((enum fig)f, n));
        else
            printf("  %10s\n", "n/a");
    }
    fflush(stdout);
}

/* --- the twin's canned replies, taken from the node --------------------------------------- */

typedef struct canned {
    Credit__V1__WhoAmIResponse *whoami;
    Credit__V1__ListRecordsResponse *pages[TWIN_PAGES];
    Credit__V1__PushBatchResponse *push;
} canned;

/* Asks the node for its WhoAmI reply, the first page of TWIN_PAGES subjects and its reply to
 * a one-record PushBatch. Returns 0, or -1. */
static int canned_take(credit_client *c, canned *k)
{
    credit_status st;
    if (credit_client_whoami(c, &k->whoami, &st) != 0)
        goto fail;
    size_t bytes = 0, recs = 0;
    for (int i = 0; i < TWIN_PAGES; i++) {
        credit_record_filter filter;
        credit_record_filter_init(&filter);
        filter.subject_kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
        filter.page_size = 50;
        filter.subject_identifier = subjects[i];
        if (credit_client_record_list(c, CREDIT_TIER_OPEN, &filter, &k->pages[i], &st) != 0)
            goto fail;
        bytes += credit__v1__list_records_response__get_packed_size(k->pages[i]);
        recs += k->pages[i]->n_records;
    }
    penalty_input pi;
    penalty_input_init(&pi);
    penalty_input_set(&pi, "tpl", 0);
    ProtobufCMessage *ins[] = {&pi.in.base};
    if (credit_client_record_push(c, CREDIT_CATALOGUE_PUBLIC, ins, 1, &k->push, &st) != 0)
        goto fail;
    printf("twin: canned replies from the node: WhoAmI %zu bytes, %d pages of %.1f records and "
           "%zu bytes on average, PushBatch reply %zu bytes\n",
           credit__v1__who_am_iresponse__get_packed_size(k->whoami), TWIN_PAGES,
           (double)recs / TWIN_PAGES, bytes / TWIN_PAGES,
           credit__v1__push_batch_response__get_packed_size(k->push));
    return 0;
fail:
    fprintf(stderr, "credit-bench: taking the twin's replies: %s %s\n", credit_code_name(st.code),
            st.message);
    return -1;
}

static void canned_cleanup(canned *k)
{
    if (k->whoami)
        credit__v1__who_am_iresponse__free_unpacked(k->whoami, NULL);
    for (int i = 0; i < TWIN_PAGES; i++)
        if (k->pages[i])
            credit__v1__list_records_response__free_unpacked(k->pages[i], NULL);
    if (k->push)
        credit__v1__push_batch_response__free_unpacked(k->push, NULL);
}

/* --- main --------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: credit-bench [--creditd PATH] [--target ADDR --ca FILE --cert FILE --key "
            "FILE]\n"
            "                    [--platform-cert FILE --platform-key FILE] [--rounds R]\n"
            "                    [--records N] [--query-records N] [--sync-records N]\n"
            "                    [--seconds S] [--samples N] [--phases LIST]\n"
            "  --rounds R         rounds of node and twin, alternately (default 3, at most "
            "15)\n"
            "  --records N        records of each ingest run, streamed and in batches "
            "(20000)\n"
            "  --query-records N  records put in the store before the rounds (100000)\n"
            "  --sync-records N   records of each run of 64 streams (12800)\n"
            "  --seconds S        length of each timed run (5)\n"
            "  --samples N        samples of the industrial phase, one stream (200000, the most)\n"
            "  --phases LIST      the phases to run, comma-separated: rounds, industrial,\n"
            "                     authorized, portrait, sync (default all of them); or\n"
            "                     ingest: only the ingest runs of each round (profiling)\n"
            "  --platform-cert, --platform-key\n"
            "                     with --target: an INDUSTRIAL_PLATFORM unit's certificate "
            "and key\n"
            "                     for the industrial phase (without them it is skipped)\n"
            "The last line is: SUMMARY ingest_ratio=R batch_ingest_ratio=R unary_ratio=R "
            "query_ratio=R\n"
            "  query_p99_ratio=R industrial_ratio=R sync_concurrency_ratio=R "
            "query_p50_ms=MS query_p99_ms=MS authorized_ratio=R portrait_p99_ms=MS sync_ratio=R\n"
            "  (ratios of medians; n/a for a phase that was skipped)\n");
}

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || !*v || *end || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

/* "portrait,sync" into PHASE_* bits. Returns 0, or -1 for an unknown or empty name. */
static int parse_phases(const char *v, unsigned *out)
{
    unsigned bits = 0;
    const char *p = v;

    for (;;) {
        size_t n = strcspn(p, ","), i = 0;
        while (i < sizeof phase_names / sizeof phase_names[0] &&
               (strlen(phase_names[i]) != n || strncmp(p, phase_names[i], n) != 0))
            i++;
        if (i == sizeof phase_names / sizeof phase_names[0])
            return -1;
        bits |= 1u << i;
        if (!p[n])
            break;
        p += n + 1;
    }
    *out = bits;
    return 0;
}

static int parse_args(int argc, char **argv, bench_cfg *cfg)
{
    *cfg = (bench_cfg){.creditd = CREDITD_PATH,
                       .records = 20000,
                       .query_records = 100000,
                       .sync_records = 12800,
                       .seconds = 5,
                       .rounds = 3,
                       .samples = 200000,
                       .phases = PHASE_ALL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return -1;
        }
        const char *v = argv[++i];
        long x = 0;
        int bad = 0;
        if (strcmp(a, "--creditd") == 0)
            cfg->creditd = v;
        else if (strcmp(a, "--target") == 0)
            cfg->target = v;
        else if (strcmp(a, "--ca") == 0)
            cfg->ca = v;
        else if (strcmp(a, "--cert") == 0)
            cfg->cert = v;
        else if (strcmp(a, "--key") == 0)
            cfg->key = v;
        else if (strcmp(a, "--platform-cert") == 0)
            cfg->platform_cert = v;
        else if (strcmp(a, "--platform-key") == 0)
            cfg->platform_key = v;
        else if (strcmp(a, "--phases") == 0)
            bad = parse_phases(v, &cfg->phases);
        else if (strcmp(a, "--samples") == 0)
            bad = parse_long(v, 1, CREDIT_SAMPLE_STREAM_MAX, &cfg->samples);
        else if (strcmp(a, "--records") == 0)
            bad = parse_long(v, 1, 100000000, &cfg->records);
        else if (strcmp(a, "--query-records") == 0)
            bad = parse_long(v, 1, 100000000, &cfg->query_records);
        else if (strcmp(a, "--sync-records") == 0)
            bad = parse_long(v, SYNC_STREAMS, (long)SYNC_STREAMS * CREDIT_PUSH_STREAM_MAX,
                             &cfg->sync_records);
        else if (strcmp(a, "--seconds") == 0) {
            bad = parse_long(v, 1, 3600, &x);
            cfg->seconds = (int)x;
        } else if (strcmp(a, "--rounds") == 0) {
            bad = parse_long(v, 1, ROUNDS_MAX, &x);
            cfg->rounds = (int)x;
        } else
            bad = 1;
        if (bad) {
            usage(stderr);
            return -1;
        }
    }
    if (cfg->target && (!cfg->ca || !cfg->cert || !cfg->key)) {
        fprintf(stderr, "credit-bench: --target needs --ca, --cert and --key\n");
        return -1;
    }
    return 0;
}

/* Fills the node with `need` records from FILL_THREADS pushers. Returns 0, or -1. */
static int fill(credit_client *c, long need)
{
    stream_arg fa[FILL_THREADS];
    pthread_t ft[FILL_THREADS];
    int started = 0;
    double f0 = now_s();
    for (int i = 0; i < FILL_THREADS; i++) {
        long per = need / FILL_THREADS, from = per * i;
        fa[i] = (stream_arg){
            .c = c, .tag = "q", .from = from, .count = i == FILL_THREADS - 1 ? need - from : per};
        if (pthread_create(&ft[i], NULL, stream_worker, &fa[i]) != 0)
            break;
        started++;
    }
    long got = 0;
    int bad = started != FILL_THREADS;
    for (int i = 0; i < started; i++) {
        pthread_join(ft[i], NULL);
        if (fa[i].created != fa[i].count)
            bad = 1;
        got += fa[i].created > 0 ? fa[i].created : 0;
    }
    if (bad) {
        fprintf(stderr, "credit-bench: fill: %ld of %ld records created\n", got, need);
        return -1;
    }
    printf("fill: %ld records in %.1f s (%d pushers) over %d subjects\n", got, now_s() - f0,
           FILL_THREADS, N_SUBJECTS);
    fflush(stdout);
    return 0;
}

/* One round: every phase on the node, then on the twin (or raw RocksDB). Returns 0, or -1. */
static int round_run(const bench_cfg *cfg, int r, credit_client *nc, credit_client *tc)
{
    char tag[32];
    call_figures f;
    snprintf(tag, sizeof tag, "s%d", r);
    double t0 = now_s();
    if (push_stream(nc, tag, 0, cfg->records, 0) != cfg->records)
        return -1;
    figs[F_STREAM_NODE][r] = (double)cfg->records / (now_s() - t0);
    t0 = now_s();
    if (push_stream(tc, tag, 0, cfg->records, 0) != cfg->records)
        return -1;
    figs[F_STREAM_TWIN][r] = (double)cfg->records / (now_s() - t0);

    snprintf(tag, sizeof tag, "b%d-", r);
    if ((figs[F_BATCH_NODE][r] = batch_run(nc, tag, cfg->records)) < 0 ||
        (figs[F_RAW_SYNC][r] = raw_ingest(cfg->records, 1, r)) < 0 ||
        (figs[F_RAW_NOSYNC][r] = raw_ingest(cfg->records, 0, r)) < 0)
        return -1;
    if (!(cfg->phases & PHASE_ROUNDS)) {
        printf("round %d: stream node %.0f twin %.0f records/s; batched streams node %.0f, raw "
               "%.0f records/s\n",
               r + 1, figs[F_STREAM_NODE][r], figs[F_STREAM_TWIN][r], figs[F_BATCH_NODE][r],
               figs[F_RAW_SYNC][r]);
        fflush(stdout);
        return 0;
    }

    snprintf(tag, sizeof tag, "u%d-", r);
    if (run_callers(nc, CALL_PUSH1, tag, UNARY_CALLERS, cfg->seconds, &f) != 0)
        return -1;
    figs[F_UNARY_NODE][r] = f.rate;
    if (run_callers(tc, CALL_PUSH1, tag, UNARY_CALLERS, cfg->seconds, &f) != 0)
        return -1;
    figs[F_UNARY_TWIN][r] = f.rate;

    if (run_callers(nc, CALL_WHOAMI, NULL, WHOAMI_CALLERS, cfg->seconds, &f) != 0)
        return -1;
    figs[F_WHO_NODE][r] = f.rate;
    if (run_callers(tc, CALL_WHOAMI, NULL, WHOAMI_CALLERS, cfg->seconds, &f) != 0)
        return -1;
    figs[F_WHO_TWIN][r] = f.rate;

    if (run_callers(nc, CALL_LIST, NULL, QUERY_THREADS, cfg->seconds, &f) != 0)
        return -1;
    figs[F_Q_NODE][r] = f.rate;
    figs[F_QP50_NODE][r] = f.p50;
    figs[F_QP99_NODE][r] = f.p99;
    if (f.per_call < 50)
        printf("query: the node's pages held %.1f records on average, not 50\n", f.per_call);
    if (run_callers(tc, CALL_LIST, NULL, QUERY_THREADS, cfg->seconds, &f) != 0)
        return -1;
    figs[F_Q_TWIN][r] = f.rate;
    figs[F_QP50_TWIN][r] = f.p50;
    figs[F_QP99_TWIN][r] = f.p99;

    printf("round %d: stream node %.0f twin %.0f records/s; batched streams node %.0f, raw "
           "%.0f records/s; unary node %.0f twin %.0f calls/s; WhoAmI node %.0f twin %.0f "
           "calls/s; ListRecords node %.0f (p99 %.2f ms) twin %.0f (p99 %.2f ms) calls/s\n",
           r + 1, figs[F_STREAM_NODE][r], figs[F_STREAM_TWIN][r], figs[F_BATCH_NODE][r],
           figs[F_RAW_SYNC][r], figs[F_UNARY_NODE][r], figs[F_UNARY_TWIN][r], figs[F_WHO_NODE][r],
           figs[F_WHO_TWIN][r], figs[F_Q_NODE][r], figs[F_QP99_NODE][r], figs[F_Q_TWIN][r],
           figs[F_QP99_TWIN][r]);
    fflush(stdout);
    return 0;
}

/* 64 concurrent streams against fresh nodes with sync on and off, alternately, cfg->rounds
 * times. Returns the rounds run (0 when skipped), or -1. */
static int sync_phase(const bench_cfg *cfg)
{
    if (cfg->target) {
        printf("sync: skipped (--target: the bench cannot start nodes with sync on and off)\n");
        return 0;
    }
    int rounds = -1;
    credit_client *on = NULL, *off = NULL;
    if (node_start(cfg->creditd, &nodes[1], "data-sync", 1) != 0 ||
        node_start(cfg->creditd, &nodes[2], "data-nosync", 0) != 0)
        goto out;
    on = client_at(nodes[1].target, ca_path, cert_path, key_path);
    off = client_at(nodes[2].target, ca_path, cert_path, key_path);
    if (!on || !off)
        goto out;
    for (int r = 0; r < cfg->rounds; r++) {
        char tag[32];
        snprintf(tag, sizeof tag, "c%d-", r);
        if ((figs[F_SYNC_ON][r] = streams_run(on, tag, SYNC_STREAMS, cfg->sync_records)) < 0 ||
            (figs[F_SYNC_OFF][r] = streams_run(off, tag, SYNC_STREAMS, cfg->sync_records)) < 0)
            goto out;
        printf("sync round %d: %d streams, %ld records: sync on %.0f, sync off %.0f records/s\n",
               r + 1, SYNC_STREAMS, cfg->sync_records, figs[F_SYNC_ON][r], figs[F_SYNC_OFF][r]);
        fflush(stdout);
    }
    rounds = cfg->rounds;
out:
    credit_client_destroy(on);
    credit_client_destroy(off);
    if (node_stop(&nodes[1]) != 0 || node_stop(&nodes[2]) != 0)
        rounds = -1;
    return rounds;
}

static long sync_push(void *ctx, credit_client *c, long n)
{
    (void)ctx;
    return push_stream(c, "sy-", 0, n, 0);
}

/* sync_ratio: two fresh nodes, creditsync between them as the city's unit (sync_bench.h).
 * Returns the ratio, 0 when skipped, or -1. */
static double sync_ratio_phase(const bench_cfg *cfg)
{
    if (cfg->target) {
        printf("sync_ratio: skipped (--target: the bench cannot start the two nodes)\n");
        return 0;
    }
    char cert[600], key[600];
    snprintf(cert, sizeof cert, "%.500s/tls/units/city.crt", tmp_dir);
    snprintf(key, sizeof key, "%.500s/tls/units/city.key", tmp_dir);
    double r = -1;
    credit_client *c = NULL;
    if (node_start(cfg->creditd, &nodes[1], "data-district", 1) != 0 ||
        node_start(cfg->creditd, &nodes[2], "data-city", 1) != 0 ||
        !(c = client_at(nodes[1].target, ca_path, cert_path, key_path)))
        goto out;
    sync_bench b = {.creditsync = CREDITSYNC_PATH, .ca = ca_path, .cert = cert, .key = key,
                    .from = nodes[1].target, .to = nodes[2].target, .work = tmp_dir,
                    .records = cfg->records};
    r = sync_bench_run(&b, c, sync_push, NULL);
    if (r > 0)
        printf("sync: %ld records: streaming push %.0f records/s, through creditsync %.0f "
               "records/s\n",
               cfg->records, b.push_rate, b.sync_rate);
out:
    credit_client_destroy(c);
    if (node_stop(&nodes[1]) != 0 || node_stop(&nodes[2]) != 0)
        r = -1;
    return r;
}

int main(int argc, char **argv)
{
    bench_cfg cfg;
    if (parse_args(argc, argv, &cfg) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    snprintf(run_id, sizeof run_id, "%ld-%ld", (long)getpid(), (long)time(NULL));
    for (unsigned i = 0; i < N_SUBJECTS; i++)
        make_uscc(subjects[i], 31000000u + i * 7919u);
    make_uscc(enterprise, 41000000u);
    make_uscc(portrait_subject, 42000000u);

    const char *tmpbase = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/credit-bench-XXXXXX",
             tmpbase && *tmpbase ? tmpbase : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        perror("credit-bench: mkdtemp");
        return 1;
    }
    int rc = 1;
    credit_client *c = NULL, *tc = NULL;
    bench_twin *twin = NULL;
    canned k = {0};
    char err[512], dir[300], twin_target[64];
    if (make_certs() != 0 || (!cfg.target && node_start(cfg.creditd, &nodes[0], "data", 1) != 0))
        goto out;
    snprintf(dir, sizeof dir, "%s/tls", tmp_dir);
    char store_dir[300];
    snprintf(store_dir, sizeof store_dir, "%s/twin-store", tmp_dir);
    int port = bench_twin_start(dir, store_dir, TWIN_THREADS, 1, &twin, err);
    if (port < 0) {
        fprintf(stderr, "credit-bench: twin: %s\n", err);
        goto out;
    }
    snprintf(twin_target, sizeof twin_target, "127.0.0.1:%d", port);
    c = client_open(&cfg, NULL, NULL);
    tc = client_at(twin_target, ca_path, cert_path, key_path);
    if (!c || !tc)
        goto out;
    printf("credit-bench: node %s (%s), twin %s; client unit market; %d rounds\n",
           cfg.target ? cfg.target : nodes[0].target, cfg.target ? "given" : "own creditd",
           twin_target, cfg.rounds);
    fflush(stdout);

    int rounds = cfg.phases & (PHASE_ROUNDS | PHASE_INGEST) ? cfg.rounds : 0;
    if (rounds && (fill(c, cfg.query_records) != 0 || canned_take(c, &k) != 0))
        goto out;
    if (rounds)
        bench_twin_set_replies(twin, &k.whoami->base, (const ProtobufCMessage *const *)k.pages,
                               TWIN_PAGES, &k.push->base);
    for (int r = 0; r < rounds; r++)
        if (round_run(&cfg, r, c, tc) != 0) {
            fprintf(stderr, "credit-bench: round %d failed\n", r + 1);
            goto out;
        }

    double industrial_ratio = cfg.phases & PHASE_INDUSTRIAL ? industrial_phase(&cfg) : 0;
    if (industrial_ratio < 0) {
        fprintf(stderr, "credit-bench: industrial phase failed\n");
        goto out;
    }
    /* Issue 15: AuthorizedQuery ÷ OpenQuery on one subject's records (its own certificates,
     * so only on the bench's own node). */
    double authorized_ratio = 0;
    if (!cfg.target && (cfg.phases & PHASE_AUTHORIZED)) {
        char crt[2][400], key[2][400];
        for (int i = 0; i < 2; i++) {
            snprintf(crt[i], sizeof crt[i], "%s/units/%s.crt", dir, i ? "portal" : "bank-a");
            snprintf(key[i], sizeof key[i], "%s/units/%s.key", dir, i ? "portal" : "bank-a");
        }
        credit_client *bank = client_open(&cfg, crt[0], key[0]);
        credit_client *portal = client_open(&cfg, crt[1], key[1]);
        authorized_ratio = bank && portal ? bench_authorized_ratio(bank, portal, subjects[0],
                                                                   QUERY_THREADS, cfg.seconds,
                                                                   cfg.rounds)
                                          : -1;
        credit_client_destroy(bank);
        credit_client_destroy(portal);
        if (authorized_ratio < 0) {
            fprintf(stderr, "credit-bench: authorized phase failed\n");
            goto out;
        }
    }
    call_figures portrait = {0};
    int portrait_skipped = cfg.phases & PHASE_PORTRAIT ? portrait_phase(&cfg, c, &portrait) : 1;
    if (portrait_skipped < 0) {
        fprintf(stderr, "credit-bench: portrait phase failed\n");
        goto out;
    }
    credit_client_destroy(c);
    c = NULL;
    if (node_stop(&nodes[0]) != 0)
        goto out;
    int sync_rounds = cfg.phases & PHASE_SYNC ? sync_phase(&cfg) : 0;
    if (sync_rounds < 0) {
        fprintf(stderr, "credit-bench: sync phase failed\n");
        goto out;
    }
    double sync_ratio = cfg.phases & PHASE_SYNC ? sync_ratio_phase(&cfg) : 0;
    if (sync_ratio < 0) {
        fprintf(stderr, "credit-bench: sync_ratio phase failed\n");
        goto out;
    }
    print_figures(rounds, sync_rounds);

    int n = rounds;
    char ind[32], syn[32], sr[32];
    snprintf(sr, sizeof sr, sync_ratio > 0 ? "%.2f" : "n/a", sync_ratio);
    snprintf(ind, sizeof ind, industrial_ratio > 0 ? "%.2f" : "n/a", industrial_ratio);
    snprintf(syn, sizeof syn, sync_rounds ? "%.2f" : "n/a",
             sync_rounds ? ratio(F_SYNC_ON, F_SYNC_OFF, sync_rounds) : 0.0);
    char authz[32], por[32];
    snprintf(authz, sizeof authz, authorized_ratio > 0 ? "%.2f" : "n/a", authorized_ratio);
    snprintf(por, sizeof por, portrait_skipped ? "n/a" : "%.2f", portrait.p99);
    /* The rounds' figures, "n/a" when they did not run (--phases). */
    char rf[7][32];
    double rv[7] = {n ? ratio(F_STREAM_NODE, F_STREAM_TWIN, n) : 0,
                    n ? ratio(F_BATCH_NODE, F_RAW_SYNC, n) : 0,
                    n ? ratio(F_UNARY_NODE, F_UNARY_TWIN, n) : 0,
                    n ? ratio(F_Q_NODE, F_Q_TWIN, n) : 0,
                    n ? ratio(F_QP99_NODE, F_QP99_TWIN, n) : 0,
                    n ? median(F_QP50_NODE, n) : 0,
                    n ? median(F_QP99_NODE, n) : 0};
    for (int i = 0; i < 7; i++)
        snprintf(rf[i], sizeof rf[i], n && (i < 2 || cfg.phases & PHASE_ROUNDS) ? "%.2f" : "n/a",
                 rv[i]);
    printf("SUMMARY ingest_ratio=%s batch_ingest_ratio=%s unary_ratio=%s query_ratio=%s "
           "query_p99_ratio=%s industrial_ratio=%s sync_concurrency_ratio=%s "
           "query_p50_ms=%s query_p99_ms=%s authorized_ratio=%s portrait_p99_ms=%s "
           "sync_ratio=%s\n",
           rf[0], rf[1], rf[2], rf[3], rf[4], ind, syn, rf[5], rf[6], authz, por, sr);
    rc = 0;

out:
    credit_client_destroy(c);
    credit_client_destroy(tc);
    bench_twin_stop(twin);
    canned_cleanup(&k);
    for (int i = 0; i < 3; i++)
        node_stop(&nodes[i]);
    if (tmp_dir[0])
        rmrf(tmp_dir);
    return rc;
}
