/*
 * bench.c — credit-bench: what a node costs against its own storage, in one run.
 *
 *   credit-bench [--creditd PATH] [--target ADDR --ca F --cert F --key F]
 *                [--records N] [--query-records N] [--seconds S]
 *
 * (a) ingest: a streaming push of N penalty records vs the same records, packed with
 *     protobuf-c, written straight into a RocksDB store (one batch per 256, sync on and off);
 * (b) unary: PushBatch of one record vs WhoAmI, 4 threads on one client;
 * (c) query: OpenQuery ListRecords on random subjects, 16 threads, p50/p99 latency;
 * (d) industrial: the industrial platform registers an opt-in and streams N samples
 *     (PushSamples, one stream) vs the same keys and values written straight into the series
 *     family of a RocksDB store, in batches of the node's group (SAMPLE_GROUP), sync on.
 * Without --target it makes dev certificates and starts its own creditd in a temp dir, and
 * removes both at the end. The last line is the SUMMARY.
 */
#include <credit/client.h>

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

#define N_SUBJECTS 1000
#define RAW_GROUP 256
#define UNARY_THREADS 4
#define QUERY_THREADS 16
#define FILL_THREADS 4
#define SAMPLE_GROUP 512 /* the samples the node writes in one batch (svc_industrial.c) */
#define PLATFORM "ind-platform"

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
static const int uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
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
    snprintf(p->source_id, sizeof p->source_id, "bench-%s-%s-%lu", run_id, tag, i);
    p->subj.identifier = subjects[i % N_SUBJECTS];
    p->pen.fine_amount_fen = 100000 + (int64_t)(i % 1000) * 100;
}

/* --- the node ----------------------------------------------------------------------------- */

typedef struct bench_cfg {
    const char *creditd;
    const char *target;
    const char *ca, *cert, *key;
    long records, query_records;
    int seconds;
    long samples;
    const char *platform_cert, *platform_key; /* --target: the industrial platform's */
} bench_cfg;

static char tmp_dir[256];
static pid_t node_pid = -1;
static char node_target[64];
static char ca_path[512], cert_path[512], key_path[512];

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

static int node_start(const char *creditd)
{
    char tls[300], data[300], log[300];
    snprintf(tls, sizeof tls, "%s/tls", tmp_dir);
    snprintf(data, sizeof data, "%s/data", tmp_dir);
    snprintf(log, sizeof log, "%s/creditd.log", tmp_dir);
    char script[512];
    snprintf(script, sizeof script, "%s/certs/make-dev-certs.sh", CREDIT_SOURCE_DIR);
    char *mk[] = {"/bin/bash", script, tls, NULL};
    if (run_quiet(mk) != 0) {
        fprintf(stderr, "credit-bench: %s %s failed\n", script, tls);
        return -1;
    }
    snprintf(ca_path, sizeof ca_path, "%s/ca.crt", tls);
    snprintf(cert_path, sizeof cert_path, "%s/units/market.crt", tls);
    snprintf(key_path, sizeof key_path, "%s/units/market.key", tls);

    char *argv[] = {(char *)creditd, "--listen", "127.0.0.1:0", "--data", data, "--tls", tls,
                    "--log-level", "warn", NULL};
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
    node_pid = pid;
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
        node_pid = -1;
        FILE *lg = fopen(log, "r");
        if (lg) {
            char buf[512];
            while (fgets(buf, sizeof buf, lg))
                fputs(buf, stderr);
            fclose(lg);
        }
        return -1;
    }
    snprintf(node_target, sizeof node_target, "127.0.0.1:%d", port);
    return 0;
}

static int node_stop(void)
{
    if (node_pid <= 0)
        return 0;
    kill(node_pid, SIGTERM);
    int status = 0;
    waitpid(node_pid, &status, 0);
    node_pid = -1;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0)
        fprintf(stderr, "credit-bench: creditd exited %d\n", code);
    return code;
}

/* A client of the node as the unit of cert/key (NULL: the market bureau's, or --cert/--key). */
static credit_client *client_open(const bench_cfg *cfg, const char *cert, const char *key)
{
    credit_client_options o;
    credit_client_options_init(&o);
    o.target = cfg->target ? cfg->target : node_target;
    o.ca_file = cfg->target ? cfg->ca : ca_path;
    o.cert_file = cert ? cert : cfg->target ? cfg->cert : cert_path;
    o.key_file = key ? key : cfg->target ? cfg->key : key_path;
    o.timeout_ms = 60000;
    credit_client *c = NULL;
    credit_status st;
    if (credit_client_create(&o, &c, &st) != 0) {
        fprintf(stderr, "credit-bench: client: %s\n", st.message);
        return NULL;
    }
    return c;
}

/* --- (a) ingest --------------------------------------------------------------------------- */

/* Streams records [from, from+count) of phase `tag` through one pusher (count at most
 * CREDIT_PUSH_STREAM_MAX). Returns the number accepted as PUSH_OUTCOME_CREATED, or -1. */
static long push_one_stream(credit_client *c, const char *tag, long from, long count)
{
    credit_status st;
    credit_pusher *p = NULL;
    if (credit_pusher_create(c, CREDIT_CATALOGUE_PUBLIC, 0, &p, &st) != 0) {
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

/* Streams records [from, from+count) in as many streams as the node's limit needs. Returns
 * the number accepted as PUSH_OUTCOME_CREATED, or -1. */
static long push_stream(credit_client *c, const char *tag, long from, long count)
{
    long created = 0;
    for (long done = 0; done < count;) {
        long n = count - done < CREDIT_PUSH_STREAM_MAX ? count - done : CREDIT_PUSH_STREAM_MAX;
        long got = push_one_stream(c, tag, from + done, n);
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

/* Packs and writes N records into a fresh store, RAW_GROUP per batch. Returns records/s. */
static double raw_ingest(long n, int sync)
{
    raw_records r;
    penalty_input_init(&r.pi);
    r.tag = sync ? "raws" : "rawn";
    r.seed = sync ? 1 : 2;
    return raw_rate(sync ? "raw-sync" : "raw-nosync", n, RAW_GROUP, sync, STORE_CF_RECORDS,
                    raw_record, &r);
}

/* --- (b) unary ---------------------------------------------------------------------------- */

typedef struct unary_arg {
    credit_client *c;
    int push; /* 1: PushBatch of one record, 0: WhoAmI */
    int thread;
    double until;
    long calls, failures;
} unary_arg;

static void *unary_worker(void *arg)
{
    unary_arg *a = arg;
    penalty_input pi;
    penalty_input_init(&pi);
    char tag[16];
    snprintf(tag, sizeof tag, "u%d", a->thread);
    ProtobufCMessage *ins[] = {&pi.in.base};
    unsigned long i = 0;
    while (now_s() < a->until) {
        credit_status st;
        int ok = 0;
        if (a->push) {
            penalty_input_set(&pi, tag, i++);
            Credit__V1__PushBatchResponse *r = NULL;
            if (credit_client_record_push(a->c, CREDIT_CATALOGUE_PUBLIC, ins, 1, &r, &st) == 0) {
                ok = r->accepted == 1 && r->n_results == 1 &&
                     r->results[0]->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED;
                credit__v1__push_batch_response__free_unpacked(r, NULL);
            }
        } else {
            Credit__V1__WhoAmIResponse *me = NULL;
            if (credit_client_whoami(a->c, &me, &st) == 0) {
                ok = 1;
                credit__v1__who_am_iresponse__free_unpacked(me, NULL);
            }
        }
        if (ok)
            a->calls++;
        else
            a->failures++;
    }
    return NULL;
}

/* Calls/s over `seconds` with UNARY_THREADS threads; *created gets the successful calls. */
static double unary_run(credit_client *c, int push, int seconds, long *ok_calls)
{
    unary_arg args[UNARY_THREADS];
    pthread_t t[UNARY_THREADS];
    double t0 = now_s();
    int started = 0;
    for (int i = 0; i < UNARY_THREADS; i++) {
        args[i] = (unary_arg){c, push, i, t0 + seconds, 0, 0};
        if (pthread_create(&t[i], NULL, unary_worker, &args[i]) != 0)
            break;
        started++;
    }
    long calls = 0, failures = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        calls += args[i].calls;
        failures += args[i].failures;
    }
    double el = now_s() - t0;
    if (failures)
        fprintf(stderr, "credit-bench: %s: %ld failed calls\n", push ? "PushBatch" : "WhoAmI",
                failures);
    if (ok_calls)
        *ok_calls = calls;
    return started == UNARY_THREADS ? (double)calls / el : -1;
}

/* --- (c) query ---------------------------------------------------------------------------- */

typedef struct fill_arg {
    credit_client *c;
    long from, count, created;
} fill_arg;

static void *fill_worker(void *arg)
{
    fill_arg *a = arg;
    a->created = push_stream(a->c, "q", a->from, a->count);
    return NULL;
}

typedef struct query_arg {
    credit_client *c;
    int thread;
    double until;
    double *lat; /* ms, one per successful call */
    size_t n, cap;
    long failures, empty, records;
} query_arg;

static void *query_worker(void *arg)
{
    query_arg *a = arg;
    uint64_t seed = 0x5eed0000u + (uint64_t)a->thread;
    credit_record_filter filter;
    credit_record_filter_init(&filter);
    filter.subject_kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    filter.page_size = 50;
    for (;;) {
        double t0 = now_s();
        if (t0 >= a->until)
            break;
        filter.subject_identifier = subjects[splitmix(&seed) % N_SUBJECTS];
        Credit__V1__ListRecordsResponse *r = NULL;
        credit_status st;
        int rc = credit_client_record_list(a->c, CREDIT_TIER_OPEN, &filter, &r, &st);
        double ms = (now_s() - t0) * 1000.0;
        if (rc != 0) {
            if (a->failures++ == 0)
                fprintf(stderr, "credit-bench: ListRecords: %s %s\n", credit_code_name(st.code),
                        st.message);
            continue;
        }
        if (r->n_records == 0)
            a->empty++;
        a->records += (long)r->n_records;
        credit__v1__list_records_response__free_unpacked(r, NULL);
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
        a->lat[a->n++] = ms;
    }
    return NULL;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* --- (d) industrial ---------------------------------------------------------------------- */

static const char *const sample_metrics[] = {"electricity_kwh", "water_m3", "natural_gas_m3",
                                             "peak_demand_kw"};
#define SAMPLE_SECTION "ENERGY_USE"
#define N_METRICS (sizeof sample_metrics / sizeof sample_metrics[0])

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
    int n = snprintf((char *)key, RAW_KEY_MAX, "%s/%s/%s/", enterprise, SAMPLE_SECTION,
                     x->s.metric);
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
    if (credit_sample_pusher_create(pc, 0, &p, &st) != 0) {
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
    double raw = raw_rate("raw-series", cfg->samples, SAMPLE_GROUP, 1, STORE_CF_SERIES, raw_sample,
                          &x);
    if (raw <= 0)
        return -1;
    printf("industrial: node PushSamples stream %10.0f samples/s (%ld samples, one stream)\n",
           node_rate, cfg->samples);
    printf("industrial: raw RocksDB, sync on   %10.0f samples/s (batches of %d, same keys and "
           "values)\n",
           raw, SAMPLE_GROUP);
    printf("industrial: industrial_ratio (node / raw sync on) = %.2f\n", node_rate / raw);
    fflush(stdout);
    return node_rate / raw;
}

/* --- main --------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(
        f, "usage: credit-bench [--creditd PATH] [--target ADDR --ca FILE --cert FILE --key "
           "FILE]\n"
           "                    [--platform-cert FILE --platform-key FILE]\n"
           "                    [--records N] [--query-records N] [--seconds S] "
           "[--samples N]\n"
           "  --records N        records of the ingest phase (default 20000)\n"
           "  --query-records N  records in the store before the query phase (100000)\n"
           "  --seconds S        length of each timed phase (5)\n"
           "  --samples N        samples of the industrial phase, one stream (200000, the most)\n"
           "  --platform-cert, --platform-key\n"
           "                     with --target: a UNIT_KIND_INDUSTRIAL_PLATFORM unit's certificate "
           "and key\n"
           "                     for the industrial phase (without them it is skipped)\n"
           "The last line is: SUMMARY ingest_ratio=R unary_ratio=R query_p50_ms=MS "
           "query_p99_ms=MS\n"
           "                  industrial_ratio=R (node samples/s over raw RocksDB; n/a "
           "when skipped)\n");
}

static int parse_args(int argc, char **argv, bench_cfg *cfg)
{
    *cfg = (bench_cfg){CREDITD_PATH, NULL, NULL, NULL, NULL, 20000, 100000, 5, 200000, NULL, NULL};
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
        char *end = NULL;
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
        else if (strcmp(a, "--samples") == 0) {
            cfg->samples = strtol(v, &end, 10);
            if (*end || cfg->samples < 1 || cfg->samples > CREDIT_SAMPLE_STREAM_MAX)
                return usage(stderr), -1;
        }
        else if (strcmp(a, "--records") == 0) {
            cfg->records = strtol(v, &end, 10);
            if (*end || cfg->records < 1)
                return usage(stderr), -1;
        } else if (strcmp(a, "--query-records") == 0) {
            cfg->query_records = strtol(v, &end, 10);
            if (*end || cfg->query_records < 1)
                return usage(stderr), -1;
        } else if (strcmp(a, "--seconds") == 0) {
            long s = strtol(v, &end, 10);
            if (*end || s < 1 || s > 3600)
                return usage(stderr), -1;
            cfg->seconds = (int)s;
        } else {
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

    const char *tmpbase = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/credit-bench-XXXXXX",
             tmpbase && *tmpbase ? tmpbase : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        perror("credit-bench: mkdtemp");
        return 1;
    }
    int rc = 1;
    credit_client *c = NULL;
    if (!cfg.target && node_start(cfg.creditd) != 0)
        goto out;
    c = client_open(&cfg, NULL, NULL);
    if (!c)
        goto out;
    printf("credit-bench: target %s (%s), client unit market\n",
           cfg.target ? cfg.target : node_target, cfg.target ? "given" : "own creditd");
    fflush(stdout);

    /* (a) */
    double t0 = now_s();
    long created = push_stream(c, "a", 0, cfg.records);
    double node_rate = created == cfg.records ? (double)created / (now_s() - t0) : -1;
    if (node_rate < 0) {
        fprintf(stderr, "credit-bench: ingest: %ld of %ld records created\n", created,
                cfg.records);
        goto out;
    }
    long stored = created;
    double raw_sync = raw_ingest(cfg.records, 1);
    double raw_nosync = raw_ingest(cfg.records, 0);
    if (raw_sync <= 0 || raw_nosync <= 0)
        goto out;
    double ingest_ratio = node_rate / raw_sync;
    printf("ingest: node streaming push        %10.0f records/s (%ld records)\n", node_rate,
           cfg.records);
    printf("ingest: raw RocksDB, sync on       %10.0f records/s (batches of %d)\n", raw_sync,
           RAW_GROUP);
    printf("ingest: raw RocksDB, sync off      %10.0f records/s\n", raw_nosync);
    printf("ingest: ingest_ratio (node / raw sync on) = %.2f; node / raw sync off = %.2f\n",
           ingest_ratio, node_rate / raw_nosync);
    fflush(stdout);

    /* (b) */
    long pushed = 0;
    double push_rate = unary_run(c, 1, cfg.seconds, &pushed);
    double who_rate = unary_run(c, 0, cfg.seconds, NULL);
    if (push_rate <= 0 || who_rate <= 0) {
        fprintf(stderr, "credit-bench: unary phase failed\n");
        goto out;
    }
    stored += pushed;
    double unary_ratio = push_rate / who_rate;
    printf("unary: PushBatch (1 record)        %10.0f calls/s (%d threads, %d s)\n", push_rate,
           UNARY_THREADS, cfg.seconds);
    printf("unary: WhoAmI                      %10.0f calls/s\n", who_rate);
    printf("unary: unary_ratio = %.2f\n", unary_ratio);
    fflush(stdout);

    /* (c) fill to query_records, then query */
    long need = cfg.query_records - stored;
    if (need > 0) {
        fill_arg fa[FILL_THREADS];
        pthread_t ft[FILL_THREADS];
        int started = 0;
        double f0 = now_s();
        for (int i = 0; i < FILL_THREADS; i++) {
            long per = need / FILL_THREADS, from = per * i;
            fa[i] = (fill_arg){c, from, i == FILL_THREADS - 1 ? need - from : per, 0};
            if (pthread_create(&ft[i], NULL, fill_worker, &fa[i]) != 0)
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
        stored += got;
        if (bad) {
            fprintf(stderr, "credit-bench: fill: %ld of %ld records created\n", got, need);
            goto out;
        }
        printf("query: filled %ld more records in %.1f s (%d pushers); store holds >= %ld "
               "records over %d subjects\n",
               got, now_s() - f0, FILL_THREADS, stored, N_SUBJECTS);
    } else {
        printf("query: store holds >= %ld records over %d subjects\n", stored, N_SUBJECTS);
    }
    fflush(stdout);

    query_arg qa[QUERY_THREADS];
    pthread_t qt[QUERY_THREADS];
    memset(qa, 0, sizeof qa);
    int qstarted = 0;
    double q0 = now_s();
    for (int i = 0; i < QUERY_THREADS; i++) {
        qa[i].c = c;
        qa[i].thread = i;
        qa[i].until = q0 + cfg.seconds;
        if (pthread_create(&qt[i], NULL, query_worker, &qa[i]) != 0)
            break;
        qstarted++;
    }
    size_t total = 0;
    long qfail = 0, qempty = 0, qrecs = 0;
    for (int i = 0; i < qstarted; i++) {
        pthread_join(qt[i], NULL);
        total += qa[i].n;
        qfail += qa[i].failures;
        qempty += qa[i].empty;
        qrecs += qa[i].records;
    }
    double qel = now_s() - q0;
    double *all = total ? malloc(total * sizeof *all) : NULL;
    size_t k = 0;
    for (int i = 0; i < qstarted; i++) {
        if (all)
            memcpy(all + k, qa[i].lat, qa[i].n * sizeof *all);
        k += qa[i].n;
        free(qa[i].lat);
    }
    if (!all || qstarted != QUERY_THREADS) {
        fprintf(stderr, "credit-bench: query phase failed (%zu calls, %ld failures)\n", total,
                qfail);
        free(all);
        goto out;
    }
    qsort(all, total, sizeof *all, cmp_double);
    double p50 = all[(size_t)(0.50 * (double)(total - 1))];
    double p99 = all[(size_t)(0.99 * (double)(total - 1))];
    free(all);
    if (qfail)
        fprintf(stderr, "credit-bench: ListRecords: %ld failed calls (not counted)\n", qfail);
    if (qempty)
        printf("query: %ld of %zu answers were empty (subject without records)\n", qempty,
               total);
    printf("query: ListRecords (open, page 50) %10.0f calls/s (%d threads, %d s, %.1f "
           "records/call)\n",
           (double)total / qel, QUERY_THREADS, cfg.seconds, (double)qrecs / (double)total);
    printf("query: latency p50 %.2f ms, p99 %.2f ms (%zu calls)\n", p50, p99, total);
    fflush(stdout);

    /* (d) */
    double industrial_ratio = industrial_phase(&cfg);
    if (industrial_ratio < 0) {
        fprintf(stderr, "credit-bench: industrial phase failed\n");
        goto out;
    }

    credit_client_destroy(c);
    c = NULL;
    if (node_stop() != 0)
        goto out;
    rmrf(tmp_dir);
    tmp_dir[0] = '\0';
    char ind[32];
    if (industrial_ratio > 0)
        snprintf(ind, sizeof ind, "%.2f", industrial_ratio);
    else
        snprintf(ind, sizeof ind, "n/a");
    printf("SUMMARY ingest_ratio=%.2f unary_ratio=%.2f query_p50_ms=%.2f query_p99_ms=%.2f "
           "industrial_ratio=%s\n",
           ingest_ratio, unary_ratio, p50, p99, ind);
    return 0;

out:
    credit_client_destroy(c);
    node_stop();
    if (tmp_dir[0])
        rmrf(tmp_dir);
    return rc;
}
