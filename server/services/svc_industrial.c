/*
 * svc_industrial.c — credit.v1.IndustrialDataCollection, and GetSeries for the sharing tiers.
 *
 * An industrial-internet platform streams samples (enterprise, section, metric, period start,
 * value) of enterprises that opted in. Samples are kept by series.h (one key per enterprise,
 * section, metric, period start and platform, so that one enterprise's metric reads in time
 * order), opt-ins by optins.h; months are calendar.h's.
 *
 * PushSamples (push.industrial, authz.c, checked before the first sample reaches the handler)
 * checks each sample on its own as it arrives (record_check_sample: USCC; section,
 * responsibility and metric in the INDUSTRIAL catalogue in force; the value against the
 * metric's type and bounds; the period; every fault of a sample with its reason code, as a
 * record's) and keeps the good ones, compactly (a `pending` of about 64 bytes each), at most
 * STREAM_MAX_SAMPLES of them. Nothing is written before the client's half-close (rpc.c tells
 * it from a reset): a stream that is cancelled or breaks stores nothing. Then, under `write_mu`,
 * the samples are taken in key order: each one's opt-in is checked, its key read for idempotency
 * (the same value and period again is unchanged and writes nothing, anything else replaces it), and
 * the changed samples are written in one batch with one audit entry (node_commit). A key repeated
 * within the stream counts as it would in a later call: compared with the value before it in the
 * stream. The summary lists the first REJECTIONS_MAX rejections, whatever the stream's length.
 * PushSampleBatches is the same stream with up to BATCH_MAX_SAMPLES samples a message: each
 * sample of a message is taken as PushSamples takes one (take_sample), so the checks, the
 * limit, the indexes and the write are one code path.
 *
 * Opt-ins are read-modify-write under the same `write_mu`, so a sample written after a
 * revocation has been acknowledged is always refused: the opt-in check and the write of a
 * group are one critical section. Revocation keeps the samples already stored (nothing is
 * deleted by an API call); it stops further pushes.
 *
 * Reads (industrial_get_series) scan one enterprise's metric in time order (series_scan),
 * under the tier's rules: the metric's dimension tier in the catalogue version in force must
 * not be above the caller's. Monthly totals are per calendar month in China Standard Time
 * and per platform (each platform's reports are its own; adding two platforms' readings of
 * the same thing would count it twice), so with one platform there is one point per month
 * that has samples.
 *
 * Nothing here logs an enterprise's identifier; store failures are logged without keys.
 */
#include "svc_industrial.h"

#include "calendar.h"
#include "credit/v1/industrial.pb-c.h"
#include "authz.h"
#include "log.h"
#include "node.h"
#include "optins.h"
#include "record_check.h"
#include "registry.h"
#include "series.h"
#include "text.h"
#include "validate.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STREAM_MAX_SAMPLES  200000 /* samples in one PushSamples stream */
#define BATCH_MAX_SAMPLES   1000   /* samples in one message of a PushSampleBatches stream */
#define REJECTIONS_MAX      100
#define SAMPLE_FAULTS_MAX   6 /* a sample has six fields, and a field at most one fault */
#define SERIES_PAGE_DEFAULT 1000
#define SERIES_PAGE_MAX     10000
#define NANOS_MAX           999999999

/* Serializes every read-check-write of this file: opt-in changes and sample groups. */
static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER;

/* Whether the caller holds opt-ins itself (a platform), and so acts only on its own. Who may
 * call each method at all is the permission table's (authz.c), checked before any handler. */
static int is_platform(const principal *p)
{
    return authz_has(p, AUTHZ_OPTIN_HOLD);
}

static const char *tier_word(tier t)
{
    switch (t) {
    case TIER_OPEN:
        return "open";
    case TIER_AUTHORIZED:
        return "authorized";
    default:
        return "government";
    }
}

/* --- PushSamples ----------------------------------------------------------------------------- */

/* A rejected sample: its every fault (record_check_sample's, or the one of its opt-in or
 * of the store), the first first; each with its status and reason code. */
typedef struct rejection {
    int index;
    size_t n_faults; /* 1 to SAMPLE_FAULTS_MAX */
    check_fault faults[SAMPLE_FAULTS_MAX];
} rejection;

/* A checked sample waiting for its group to be written. Section and metric codes are borrowed
 * from the catalogue version (valid until catalog_destroy). */
typedef struct pending {
    int index;
    char uscc[SERIES_USCC_LEN + 1];
    const char *section;
    const char *metric;
    int64_t t;
    uint32_t period;
    double value;
} pending;

/* Per-call state of a PushSamples stream; its callbacks never run concurrently. */
typedef struct push_state {
    int failed;      /* the call was finished with an error */
    int next_index;  /* the index of the next sample */
    int messages;    /* messages received (PushSampleBatches counts them in its faults) */
    pending *group;  /* the checked samples, in arrival order until they are written */
    size_t n_group, cap_group;
    uint64_t accepted, unchanged, rejected;
    rejection rej[REJECTIONS_MAX];          /* the REJECTIONS_MAX lowest indexes so far */
    size_t n_rej;
} push_state;

/* Counts a rejection and returns the place to keep it if it is among the REJECTIONS_MAX lowest
 * indexes, else NULL. Samples are checked in order, but opt-ins only when their group is
 * written, so a later rejection may have a lower index than one already kept. */
static rejection *reject_slot(push_state *s, int index)
{
    s->rejected++;
    rejection *r;
    if (s->n_rej < REJECTIONS_MAX) {
        r = &s->rej[s->n_rej++];
    } else {
        size_t worst = 0;
        for (size_t i = 1; i < s->n_rej; i++)
            if (s->rej[i].index > s->rej[worst].index)
                worst = i;
        if (s->rej[worst].index < index)
            return NULL;
        r = &s->rej[worst];
    }
    r->index = index;
    r->n_faults = 0;
    return r;
}

/* Rejects sample `index` for one fault found after its checks (its opt-in, the store). */
static void reject(push_state *s, int index, int code, int why, const char *field,
                   const char *reason)
{
    rejection *r = reject_slot(s, index);
    if (!r)
        return;
    check_fault *x = &r->faults[r->n_faults++];
    x->code = code;
    x->reason_code = why;
    snprintf(x->field, sizeof x->field, "%s", field);
    snprintf(x->reason, sizeof x->reason, "%s", reason);
}

/* Checks a sample against everything but its opt-in (record_check_sample: every fault, as the
 * records' checks give them). Returns 0 with *out filled, or -1 after rejecting it. */
static int check_sample(push_state *s, const principal *p, const catalog_version *cv, int64_t now,
                        const Credit__V1__Sample *in, int index, pending *out)
{
    const check_unit unit = {p->code, p->kind};
    const catalog_section *sec;
    const catalog_dim *dim;
    check_failure f;
    if (record_check_sample(in, &unit, cv, now, &sec, &dim, &f) != 0) {
        rejection *r = reject_slot(s, index);
        for (size_t i = 0; r && i < f.n_faults && i < SAMPLE_FAULTS_MAX; i++)
            r->faults[r->n_faults++] = f.faults[i];
        if (r && r->n_faults == 0) { /* never: each failing check names its fault */
            r->faults[0] = (check_fault){f.code, f.reason_code, "", ""};
            snprintf(r->faults[0].field, sizeof r->faults[0].field, "%s", f.field);
            snprintf(r->faults[0].reason, sizeof r->faults[0].reason, "%s", f.reason);
            r->n_faults = 1;
        }
        return -1;
    }
    out->index = index;
    memcpy(out->uscc, in->enterprise_uscc, SERIES_USCC_LEN + 1);
    out->section = sec->s->code;
    out->metric = dim->d->code;
    out->t = in->period_start->seconds;
    out->period = in->period_seconds;
    out->value = in->value == 0 ? 0.0 : in->value; /* -0 is 0: the same value */
    return 0;
}

/* The opt-in of `uscc` for `platform` as a push sees it. */
enum optin_state { OPTIN_NONE, OPTIN_REVOKED, OPTIN_LIVE, OPTIN_UNREADABLE };

static enum optin_state optin_state(store *st, const char *platform, const char *uscc)
{
    Credit__V1__OptIn *o = NULL;
    char err[STORE_ERR_LEN];
    int rc = optins_get(st, platform, uscc, &o, err);
    if (rc == STORE_ENOTFOUND)
        return OPTIN_NONE;
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=optin_get err=%s", err);
        return OPTIN_UNREADABLE;
    }
    enum optin_state r = o->revoked ? OPTIN_REVOKED : OPTIN_LIVE;
    credit__v1__opt_in__free_unpacked(o, NULL);
    return r;
}

/* Stages one checked sample into `b` (write_mu held): opt-in, then idempotency against
 * `before`, the sample of the same key staged earlier in this stream, or else the store.
 * Returns 1 if the sample is now what its key holds (staged or unchanged), else 0. */
static int stage_sample(node *n, const principal *p, push_state *s, const pending *x,
                        const pending *before, enum optin_state opt, int64_t now,
                        store_batch *b)
{
    switch (opt) {
    case OPTIN_LIVE:
        break;
    case OPTIN_NONE:
    case OPTIN_REVOKED: {
        char why[200];
        snprintf(why, sizeof why, "no %sopt-in of enterprise %s for platform %s%s",
                 opt == OPTIN_NONE ? "" : "live ", x->uscc, p->code,
                 opt == OPTIN_NONE ? "" : ": it was revoked");
        reject(s, x->index, RPC_FAILED_PRECONDITION, REASON_NO_OPT_IN, "enterprise_uscc", why);
        return 0;
    }
    default:
        reject(s, x->index, RPC_UNAVAILABLE, REASON_OTHER, "",
               "the opt-ins cannot be read now; push again");
        return 0;
    }
    if (before) {
        if (before->value == x->value && before->period == x->period) {
            s->unchanged++;
            return 1;
        }
    }
    char err[STORE_ERR_LEN];
    series_value prev;
    int rc = before ? STORE_ENOTFOUND
                    : series_sample_get(n->st, x->uscc, x->section, x->metric, x->t, p->code,
                                        &prev, err);
    if (rc == 0 && prev.value == x->value && prev.period_seconds == x->period) {
        s->unchanged++;
        return 1;
    }
    /* A stored value that does not decode is replaced, as a different one would be. */
    if (rc != 0 && rc != STORE_ENOTFOUND && rc != STORE_ECORRUPT && rc != STORE_EINVAL) {
        log_event(LOG_ERROR, "store", "op=series_get err=%s", err);
        reject(s, x->index, status_from_store(rc), REASON_OTHER, "",
               "the store cannot be read now; push again");
        return 0;
    }
    series_value v = {.value = x->value, .period_seconds = x->period, .received_at = now};
    if (series_sample_put(b, x->uscc, x->section, x->metric, x->t, p->code, &v) != 0) {
        reject(s, x->index, RPC_INTERNAL, REASON_OTHER, "", "the sample cannot be keyed");
        return 0;
    }
    s->accepted++;
    return 1;
}

static int key_cmp(const pending *a, const pending *b)
{
    int c = strcmp(a->uscc, b->uscc);
    if (!c)
        c = strcmp(a->section, b->section);
    if (!c)
        c = strcmp(a->metric, b->metric);
    if (!c)
        c = (a->t > b->t) - (a->t < b->t);
    return c;
}

/* Key order, then arrival order: a key's samples in the order they were sent. */
static int by_key(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    int c = key_cmp(x, y);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Writes the stream's samples in one batch (at the half-close). On a store failure finishes
 * the call with UNAVAILABLE and marks the stream failed: nothing of it was stored. */
static void write_group(rpc_call *call, push_state *s)
{
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    store_batch *b = store_batch_create();
    if (!b) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was stored");
        s->failed = 1;
        return;
    }
    qsort(s->group, s->n_group, sizeof *s->group, by_key);
    int64_t now = (int64_t)time(NULL);
    pthread_mutex_lock(&write_mu);
    /* Samples of one enterprise are adjacent now: one opt-in read for each. */
    const char *last = NULL;
    const pending *held = NULL; /* the last sample taken, if its key is still current */
    enum optin_state opt = OPTIN_NONE;
    for (size_t i = 0; i < s->n_group; i++) {
        const pending *x = &s->group[i];
        if (!last || strcmp(last, x->uscc) != 0) {
            opt = optin_state(n->st, p->code, x->uscc);
            last = x->uscc;
        }
        const pending *before = held && key_cmp(held, x) == 0 ? held : NULL;
        if (stage_sample(n, p, s, x, before, opt, now, b))
            held = x;
        else if (!before)
            held = NULL;
    }
    char detail[200];
    snprintf(detail, sizeof detail,
             "pushed %d industrial samples: %llu accepted, %llu unchanged, %llu rejected",
             s->next_index, (unsigned long long)s->accepted, (unsigned long long)s->unchanged,
             (unsigned long long)s->rejected);
    if (node_commit(call, b, detail) != 0)
        s->failed = 1;
    pthread_mutex_unlock(&write_mu);
    store_batch_destroy(b);
    s->n_group = 0;
}

/* The stream's state for a message that just arrived: made with the first, NULL when the
 * stream failed already or the caller is no longer current (the call is then finished). */
static push_state *stream_for_message(rpc_call *call)
{
    push_state *s = rpc_call_data(call);
    /* A suspension or revocation takes effect on a stream already open. */
    if (node_caller_current(call, "nothing of this stream was stored") != 0) {
        if (s)
            s->failed = 1;
        return NULL;
    }
    if (!s) {
        if (!(s = calloc(1, sizeof *s))) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
            return NULL;
        }
        rpc_call_set_data(call, s);
    }
    if (s->failed)
        return NULL;
    s->messages++;
    return s;
}

/* Checks one sample of the stream and keeps it for the half-close. Returns 0, or -1 when the
 * stream failed (finished here). */
static int take_sample(rpc_call *call, push_state *s, const Credit__V1__Sample *in)
{
    node *n = rpc_call_app(call);
    if (s->next_index == STREAM_MAX_SAMPLES) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED,
                   "a PushSamples stream holds at most %d samples; nothing of this stream was "
                   "stored: send the samples as several streams",
                   STREAM_MAX_SAMPLES);
        s->failed = 1;
        return -1;
    }
    int index = s->next_index++;
    int64_t now = (int64_t)time(NULL);
    pending x;
    if (check_sample(s, node_caller(call), catalog_now(n->cat), now, in, index, &x) != 0)
        return 0; /* rejected: counted in the summary, the stream goes on */
    if (s->n_group == s->cap_group) {
        size_t cap = s->cap_group ? s->cap_group * 2 : 512;
        pending *ng = realloc(s->group, cap * sizeof *ng);
        if (!ng) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was stored");
            s->failed = 1;
            return -1;
        }
        s->group = ng;
        s->cap_group = cap;
    }
    s->group[s->n_group++] = x;
    return 0;
}

static void push_message(rpc_call *call, const ProtobufCMessage *msg)
{
    push_state *s = stream_for_message(call);
    if (s)
        (void)take_sample(call, s, (const Credit__V1__Sample *)msg);
}

/* PushSampleBatches: a message of 1 to BATCH_MAX_SAMPLES samples, each taken as PushSamples
 * takes one. */
static void push_batch_message(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__SampleBatch *in = (const void *)msg;
    push_state *s = stream_for_message(call);
    if (!s)
        return;
    if (in->n_samples == 0 || in->n_samples > BATCH_MAX_SAMPLES) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "samples: a message of the stream holds 1 to %d samples, not %zu (message %d "
                   "of the stream); nothing of this stream was stored",
                   BATCH_MAX_SAMPLES, in->n_samples, s->messages);
        s->failed = 1;
        return;
    }
    for (size_t i = 0; i < in->n_samples; i++)
        if (take_sample(call, s, in->samples[i]) != 0)
            return;
}

static int by_index(const void *a, const void *b)
{
    const rejection *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

static void push_end(rpc_call *call)
{
    push_state *s = rpc_call_data(call);
    if (!s) {
        /* No sample at all: an empty summary (the caller was checked when the call began). */
        Credit__V1__SampleSummary none = CREDIT__V1__SAMPLE_SUMMARY__INIT;
        rpc_reply(call, &none.base);
        return;
    }
    if (!s->failed && node_caller_current(call, "nothing of this stream was stored") != 0)
        s->failed = 1;
    if (s->n_group && !s->failed)
        write_group(call, s);
    if (s->failed)
        return;
    qsort(s->rej, s->n_rej, sizeof s->rej[0], by_index);
    /* Each rejection as PushResult gives a record's: its first fault in code, field, reason
     * and reason_code, every fault in faults. Borrowed from s until the reply is sent. */
    Credit__V1__PushResult results[REJECTIONS_MAX];
    Credit__V1__PushResult *ptrs[REJECTIONS_MAX];
    Credit__V1__Fault *faults = calloc(REJECTIONS_MAX * SAMPLE_FAULTS_MAX, sizeof *faults);
    Credit__V1__Fault **fptrs = calloc(REJECTIONS_MAX * SAMPLE_FAULTS_MAX, sizeof *fptrs);
    if (!faults || !fptrs) {
        free(faults);
        free(fptrs);
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; the stream was stored");
        return;
    }
    for (size_t i = 0; i < s->n_rej; i++) {
        const rejection *rj = &s->rej[i];
        Credit__V1__Fault *const *fp = fptrs + i * SAMPLE_FAULTS_MAX;
        credit__v1__push_result__init(&results[i]);
        results[i].index = rj->index;
        results[i].outcome = CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED;
        for (size_t k = 0; k < rj->n_faults; k++) {
            const check_fault *cf = &rj->faults[k];
            Credit__V1__Fault *ft = &faults[i * SAMPLE_FAULTS_MAX + k];
            credit__v1__fault__init(ft);
            ft->code = cf->code;
            ft->field = (char *)cf->field;
            ft->reason = (char *)cf->reason;
            ft->reason_code = (char *)status_reason_word(cf->reason_code, cf->code);
            fptrs[i * SAMPLE_FAULTS_MAX + k] = ft;
        }
        results[i].code = fp[0]->code;
        results[i].field = fp[0]->field;
        results[i].reason = fp[0]->reason;
        results[i].reason_code = fp[0]->reason_code;
        results[i].faults = (Credit__V1__Fault **)fp;
        results[i].n_faults = rj->n_faults;
        ptrs[i] = &results[i];
    }
    Credit__V1__SampleSummary sum = CREDIT__V1__SAMPLE_SUMMARY__INIT;
    sum.accepted = s->accepted;
    sum.unchanged = s->unchanged;
    sum.rejected = s->rejected;
    sum.rejections = ptrs;
    sum.n_rejections = s->n_rej;
    rpc_reply(call, &sum.base);
    free(faults);
    free(fptrs);
}

static void push_done(rpc_call *call, int cancelled)
{
    (void)cancelled;
    push_state *s = rpc_call_data(call);
    if (s)
        free(s->group);
    free(s);
    rpc_call_set_data(call, NULL);
}

/* --- Opt-ins --------------------------------------------------------------------------------- */

static int check_uscc_field(rpc_call *call, const char *uscc)
{
    char why[128];
    if (validate_uscc(uscc, why) == 0)
        return 0;
    rpc_finish(call, RPC_INVALID_ARGUMENT, "enterprise_uscc: %s", why);
    return -1;
}

static int check_platform_code(rpc_call *call, const char *code)
{
    char why[128];
    if (!code[0]) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "platform: is required: name the platform");
        return -1;
    }
    if (registry_check_code(code, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "platform: %s", why);
        return -1;
    }
    return 0;
}

/* The platform a platform caller acts for: its own code, named or left "". Returns NULL after
 * refusing a platform that names another. */
static const char *own_platform(rpc_call *call, const char *named, const char *what)
{
    const principal *p = node_caller(call);
    char why[128];
    /* A name that is no unit code is refused as such, before it is quoted anywhere. */
    if (named[0] && registry_check_code(named, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "platform: %s", why);
        return NULL;
    }
    if (named[0] && strcmp(named, p->code) != 0) {
        rpc_finish(call, RPC_PERMISSION_DENIED,
                   "a platform %s only its own opt-ins; unit %s cannot name platform %.64s", what,
                   p->code, named);
        return NULL;
    }
    return p->code;
}

/* Writes `o` with the call's audit entry and replies with it. */
static void commit_and_reply(rpc_call *call, const Credit__V1__OptIn *o, const char *detail)
{
    store_batch *b = store_batch_create();
    if (!b || optins_put(b, o) != 0) {
        store_batch_destroy(b);
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
        return;
    }
    if (node_commit(call, b, detail) == 0)
        rpc_reply(call, &o->base);
    store_batch_destroy(b);
}

static void register_opt_in(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__RegisterOptInRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    const char *platform;
    if (is_platform(p)) {
        if (!(platform = own_platform(call, req->platform, "registers")))
            return;
    } else {
        /* The office (optin.register without optin.hold) names the platform. */
        if (check_platform_code(call, req->platform) != 0)
            return;
        Credit__V1__Unit *u = NULL;
        char err[STORE_ERR_LEN];
        int rc = registry_get(n->st, req->platform, &u, err);
        if (rc == STORE_ENOTFOUND) {
            rpc_finish(call, RPC_NOT_FOUND, "platform: no unit with code \"%s\"", req->platform);
            return;
        }
        if (rc != 0) {
            rpc_finish(call, status_from_store(rc), "the unit registry cannot be read now");
            return;
        }
        int kind = u->kind;
        credit__v1__unit__free_unpacked(u, NULL);
        if (!authz_kind_has(kind, AUTHZ_OPTIN_HOLD)) {
            char holders[160];
            rpc_finish(call, RPC_FAILED_PRECONDITION,
                       "platform: unit %s is %s; only %s units hold opt-ins (optin.hold)",
                       req->platform, registry_kind_name(kind),
                       authz_cap_holders(AUTHZ_OPTIN_HOLD, holders, sizeof holders));
            return;
        }
        platform = req->platform;
    }
    if (check_uscc_field(call, req->enterprise_uscc) != 0)
        return;
    if (!req->consent_digest[0]) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "consent_digest: is required: the SHA-256 of the signed consent");
        return;
    }
    if (!validate_lower_hex(req->consent_digest, 64)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "consent_digest: must be exactly 64 lower-case hexadecimal digits (SHA-256)");
        return;
    }
    pthread_mutex_lock(&write_mu);
    Credit__V1__OptIn *old = NULL;
    char err[STORE_ERR_LEN];
    int rc = optins_get(n->st, platform, req->enterprise_uscc, &old, err);
    if (rc == 0 && !old->revoked) {
        rpc_finish(call, RPC_ALREADY_EXISTS,
                   "enterprise %s already has a live opt-in for platform %s", req->enterprise_uscc,
                   platform);
    } else if (rc != 0 && rc != STORE_ENOTFOUND) {
        log_event(LOG_ERROR, "store", "op=optin_get err=%s", err);
        rpc_finish(call, status_from_store(rc), "the opt-ins cannot be read now");
    } else {
        Google__Protobuf__Timestamp ts;
        node_now(&ts);
        Credit__V1__OptIn o = CREDIT__V1__OPT_IN__INIT;
        o.platform = (char *)platform;
        o.enterprise_uscc = req->enterprise_uscc;
        o.consent_digest = req->consent_digest;
        o.registered_at = &ts;
        o.registered_by = (char *)p->code;
        char detail[200];
        snprintf(detail, sizeof detail, "%s opt-in of enterprise %s for platform %s",
                 old ? "renewed the revoked" : "registered the", req->enterprise_uscc, platform);
        commit_and_reply(call, &o, detail);
    }
    if (old)
        credit__v1__opt_in__free_unpacked(old, NULL);
    pthread_mutex_unlock(&write_mu);
}

static void revoke_opt_in(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__RevokeOptInRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    char err[STORE_ERR_LEN];
    const char *platform = req->platform;
    if (is_platform(p)) {
        if (!(platform = own_platform(call, req->platform, "revokes")))
            return;
    }
    if (check_uscc_field(call, req->enterprise_uscc) != 0)
        return;
    if (!is_platform(p) && check_platform_code(call, platform) != 0)
        return;
    if (authz_has(p, AUTHZ_SUBJECT_SELF)) {
        /* The enterprise itself: the caller's registered USCC must be the one named. */
        Credit__V1__Unit *u = NULL;
        int rc = registry_get(n->st, p->code, &u, err);
        if (rc != 0) {
            rpc_finish(call, rc == STORE_ENOTFOUND ? RPC_PERMISSION_DENIED : status_from_store(rc),
                       "the caller's unit cannot be read now");
            return;
        }
        int own = strcmp(u->uscc, req->enterprise_uscc) == 0;
        credit__v1__unit__free_unpacked(u, NULL);
        if (!own) {
            rpc_finish(call, RPC_PERMISSION_DENIED,
                       "an enterprise revokes only its own opt-ins; unit %s is not the enterprise "
                       "named",
                       p->code);
            return;
        }
    }
    pthread_mutex_lock(&write_mu);
    Credit__V1__OptIn *o = NULL;
    int rc = optins_get(n->st, platform, req->enterprise_uscc, &o, err);
    if (rc == STORE_ENOTFOUND) {
        rpc_finish(call, RPC_NOT_FOUND, "no opt-in of enterprise %s for platform %s",
                   req->enterprise_uscc, platform);
    } else if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=optin_get err=%s", err);
        rpc_finish(call, status_from_store(rc), "the opt-ins cannot be read now");
    } else if (o->revoked) {
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "the opt-in of enterprise %s for platform %s is already revoked",
                   req->enterprise_uscc, platform);
    } else {
        Google__Protobuf__Timestamp ts;
        node_now(&ts);
        Google__Protobuf__Timestamp *old_at = o->revoked_at;
        char *old_by = o->revoked_by;
        o->revoked = 1;
        o->revoked_at = &ts;
        o->revoked_by = (char *)p->code;
        char detail[200];
        snprintf(detail, sizeof detail, "revoked the opt-in of enterprise %s for platform %s",
                 req->enterprise_uscc, platform);
        commit_and_reply(call, o, detail);
        /* Give the unpacked message back its own pointers before it is freed. */
        o->revoked_at = old_at;
        o->revoked_by = old_by;
    }
    if (o)
        credit__v1__opt_in__free_unpacked(o, NULL);
    pthread_mutex_unlock(&write_mu);
}

static void list_opt_ins(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ListOptInsRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    const char *platform = req->platform;
    if (is_platform(p)) {
        if (!(platform = own_platform(call, req->platform, "lists")))
            return;
    } else if (platform[0] && check_platform_code(call, platform) != 0) {
        return;
    }
    Credit__V1__ListOptInsResponse resp = CREDIT__V1__LIST_OPT_INS_RESPONSE__INIT;
    Credit__V1__OptIn **v = NULL;
    size_t n_v = 0;
    char err[STORE_ERR_LEN];
    int rc = optins_list(n->st, platform, &v, &n_v, err);
    if (rc == STORE_ECORRUPT || rc == STORE_ENOMEM) {
        rpc_finish(call, status_from_store(rc), "%s", err);
        return;
    }
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=optin_list err=%s", err);
        rpc_finish(call, status_from_store(rc), "the opt-ins cannot be read now");
        return;
    }
    resp.opt_ins = v;
    resp.n_opt_ins = n_v;
    rpc_reply(call, &resp.base);
    optins_free_list(v, n_v);
}

/* --- Series reads ------------------------------------------------------------------------------
 */

static int check_ts(rpc_call *call, const char *field, const Google__Protobuf__Timestamp *ts)
{
    if (!ts || (ts->nanos >= 0 && ts->nanos <= NANOS_MAX))
        return 0;
    rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: nanos must be 0 to %d", field, NANOS_MAX);
    return -1;
}

/* The first whole second at or after ts. */
static int64_t ceil_seconds(const Google__Protobuf__Timestamp *ts)
{
    return ts->seconds + (ts->nanos > 0 && ts->seconds < INT64_MAX);
}

/* A point on its way out, with what it points to. */
typedef struct out_point {
    Credit__V1__SeriesPoint p;
    Google__Protobuf__Timestamp ts;
    char platform[SERIES_CODE_MAX + 1];
    char month[8];
    int month_no;
} out_point;

typedef struct points {
    out_point *v;
    size_t n, cap;
} points;

static out_point *point_add(points *ps)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64;
        out_point *nv = realloc(ps->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        ps->v = nv;
        ps->cap = cap;
    }
    out_point *o = &ps->v[ps->n++];
    memset(o, 0, sizeof *o);
    credit__v1__series_point__init(&o->p);
    google__protobuf__timestamp__init(&o->ts);
    return o;
}

static int by_month_platform(const void *a, const void *b)
{
    const out_point *x = a, *y = b;
    if (x->month_no != y->month_no)
        return (x->month_no > y->month_no) - (x->month_no < y->month_no);
    return strcmp(x->platform, y->platform);
}

void industrial_get_series(rpc_call *call, const ProtobufCMessage *msg, tier t,
                           const query_under *u)
{
    const Credit__V1__SeriesRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    char why[128], err[STORE_ERR_LEN];
    if (validate_uscc(req->enterprise_uscc, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "enterprise_uscc: %s", why);
        return;
    }
    if (node_check_text(call, "section", req->section, TEXT_SHORT_MAX, TEXT_REQUIRED) != 0 ||
        node_check_text(call, "metric", req->metric, TEXT_SHORT_MAX, TEXT_REQUIRED) != 0)
        return;
    int64_t now = (int64_t)time(NULL);
    const catalog_version *cv = catalog_now(n->cat);
    const catalog_section *sec =
        catalog_find_section(cv, CREDIT__V1__CATALOGUE__CATALOGUE_INDUSTRIAL, req->section);
    if (!sec) {
        rpc_finish(call, RPC_NOT_FOUND,
                   "section: the INDUSTRIAL catalogue (version %u) has no section \"%.64s\"",
                   cv->msg->version, req->section);
        return;
    }
    const catalog_dim *dim = catalog_dim_by_code(sec, req->metric);
    if (!dim) {
        rpc_finish(call, RPC_NOT_FOUND, "metric: section %s has no metric \"%.64s\"", sec->s->code,
                   req->metric);
        return;
    }
    if ((int)dim->d->tier > (int)t) {
        rpc_finish(call, RPC_PERMISSION_DENIED, "metric %s is %s; this is the %s tier",
                   dim->d->code, catalog_tier_name(dim->d->tier), tier_word(t));
        return;
    }
    if (!record_numeric_type(dim->d->type)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "metric: %s is %s, not a numeric metric",
                   dim->d->code, catalog_type_name(dim->d->type));
        return;
    }
    if (check_ts(call, "since", req->since) != 0 || check_ts(call, "to", req->to) != 0)
        return;
    /* Samples start on whole seconds: [from, to) holds the seconds [ceil(from), ceil(to)). */
    int64_t from_s = req->since ? ceil_seconds(req->since) : INT64_MIN;
    int64_t to_s = req->to ? ceil_seconds(req->to) : now;
    if (req->since && req->to &&
        (req->since->seconds > req->to->seconds ||
         (req->since->seconds == req->to->seconds && req->since->nanos >= req->to->nanos))) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "since: must be before to");
        return;
    }
    if (!req->to && from_s >= to_s) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "since: must be before to (unset: now)");
        return;
    }
    int monthly = req->aggregation == CREDIT__V1__AGGREGATION__AGGREGATION_MONTHLY_TOTAL;
    if (!monthly && req->aggregation != CREDIT__V1__AGGREGATION__AGGREGATION_UNSPECIFIED) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "aggregation: %d is not an aggregation",
                   (int)req->aggregation);
        return;
    }
    if (req->page_size < 0 || req->page_size > SERIES_PAGE_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "page_size: must be 0 (default %d) to %d",
                   SERIES_PAGE_DEFAULT, SERIES_PAGE_MAX);
        return;
    }
    size_t want = req->page_size ? (size_t)req->page_size : SERIES_PAGE_DEFAULT;

    int64_t tt = 0;
    char pf[SERIES_CODE_MAX + 1];
    const int64_t *from = NULL;
    const char *from_platform = NULL;
    if (req->page_token[0]) {
        char after[PAGETOKEN_POS_MAX + 1];
        size_t after_len;
        if (monthly) {
            rpc_finish(
                call, RPC_INVALID_ARGUMENT,
                "page_token: AGGREGATION_MONTHLY_TOTAL answers in one page and gives no token");
            return;
        }
        if (node_page_position(call, msg, "page_token", req->page_token, after, &after_len) !=
            0)
            return;
        if (series_token_decode(after, &tt, pf) != 0 || tt < from_s || tt >= to_s) {
            rpc_finish(call, RPC_INVALID_ARGUMENT,
                       "page_token: not a token this node gave for this range");
            return;
        }
        from = &tt;
        from_platform = pf;
    } else if (req->since) {
        tt = from_s;
        from = &tt;
    }

    series_scan *scan = NULL;
    int rc = series_scan_open(n->st, req->enterprise_uscc, sec->s->code, dim->d->code, from,
                              from_platform, &scan);
    if (rc != 0) {
        rpc_finish(call, rc == STORE_EINVAL ? RPC_INTERNAL : status_from_store(rc),
                   rc == STORE_EINVAL ? "the series cannot be keyed" : "out of memory");
        return;
    }
    points ps = {0};
    Credit__V1__SeriesPoint **ptrs = NULL;
    char next[SERIES_TOKEN_MAX] = "";
    for (;;) {
        size_t pflen;
        const char *pf;
        int64_t ts;
        series_value sv;
        if ((rc = series_scan_next(scan, &ts, &pf, &pflen, &sv, err)) <= 0)
            break;
        if (ts >= to_s)
            break;
        out_point *o = NULL;
        if (monthly) {
            int m = calendar_month_of(ts);
            /* Time order: this month's points, one per platform, are at the end. */
            for (size_t i = ps.n; i-- > 0 && ps.v[i].month_no == m;) {
                if (strlen(ps.v[i].platform) == pflen && !memcmp(ps.v[i].platform, pf, pflen)) {
                    o = &ps.v[i];
                    break;
                }
            }
            if (o) {
                o->p.value += sv.value;
                o->p.samples++;
                continue;
            }
        } else if (ps.n == want) {
            char pfz[SERIES_CODE_MAX + 1];
            memcpy(pfz, pf, pflen);
            pfz[pflen] = '\0';
            series_token_encode(ts, pfz, next);
            break;
        }
        if (!(o = point_add(&ps))) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
            goto out;
        }
        memcpy(o->platform, pf, pflen);
        o->platform[pflen] = '\0';
        if (monthly) {
            o->month_no = calendar_month_of(ts);
            calendar_month_name(o->month_no, o->month);
            o->ts.seconds = calendar_month_start(o->month_no);
            o->p.period_seconds = calendar_month_seconds(o->month_no);
            o->p.value = sv.value;
            o->p.samples = 1;
        } else {
            o->ts.seconds = ts;
            o->p.period_seconds = sv.period_seconds;
            o->p.value = sv.value;
        }
    }
    if (rc == STORE_ECORRUPT) {
        rpc_finish(call, status_from_store(rc), "a stored sample cannot be decoded");
        goto out;
    }
    if (rc < 0) {
        log_event(LOG_ERROR, "store", "op=series_scan err=%s", err);
        rpc_finish(call, status_from_store(rc), "the store cannot be read now");
        goto out;
    }
    if (monthly && ps.n > 1)
        qsort(ps.v, ps.n, sizeof ps.v[0], by_month_platform);
    if (!(ptrs = calloc(ps.n ? ps.n : 1, sizeof *ptrs))) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    /* Pointers into the array only now that it no longer moves. */
    for (size_t i = 0; i < ps.n; i++) {
        out_point *o = &ps.v[i];
        o->p.period_start = &o->ts;
        o->p.platform = o->platform;
        o->p.month = o->month;
        ptrs[i] = &o->p;
    }
    Credit__V1__SeriesResponse resp = CREDIT__V1__SERIES_RESPONSE__INIT;
    resp.points = ptrs;
    resp.n_points = ps.n;
    char token[PAGETOKEN_MAX];
    if (node_page_token(call, msg, next, strlen(next), token) != 0)
        goto out;
    resp.next_page_token = token;
    resp.catalogue_version = cv->msg->version;
    if (u)
        u->reply(u->arg, call, &resp.base, NULL, ps.n);
    else
        rpc_reply(call, &resp.base);
out:
    series_scan_close(scan);
    free(ptrs);
    free(ps.v);
}

static const rpc_handler handlers[] = {
    {.method = "PushSamples",
     .on_message = push_message,
     .on_half_close = push_end,
     .on_done = push_done},
    {.method = "PushSampleBatches",
     .on_message = push_batch_message,
     .on_half_close = push_end,
     .on_done = push_done},
    {.method = "RegisterOptIn", .on_message = register_opt_in},
    {.method = "RevokeOptIn", .on_message = revoke_opt_in},
    {.method = "ListOptIns", .on_message = list_opt_ins},
};

RPC_REGISTERED_SERVICE(industrial_collection_service,
                       credit__v1__industrial_data_collection__descriptor,
                       handlers);
