/*
 * svc_finance.c — credit.v1.CreditFinance: GetPortrait and GetSigningKey.
 *
 * GetPortrait is a read under a grant (svc_authorization.h): the grant is checked and one use
 * staged into this call's write batch before anything is read; the portrait is built from one
 * view of the store (a snapshot), signed, and answered once the use and the call's audit entry
 * are written together (node_commit_start, then node_reply_durable), so a portrait is never
 * given without its use counted, nor a use counted twice.
 *
 * What the portrait holds is portrait.h's to decide; this file reads for it:
 *  - the template: a section of the finance catalogue in force now (NOT_FOUND otherwise); its
 *    subject kinds, when it names some, must include the subject's;
 *  - the subject's records, in record-id order, under every key the subject is filed under
 *    (subjects.h), each cleared to the authorized tier (tier.h) and counted only when its
 *    occurred_at date lies in the grant's range of record dates;
 *  - for AGGREGATE_MONTHLY_TOTAL items, the subject's samples of the metric (by its USCC: only
 *    subjects with a unified social credit code have industrial data) from the first day of the
 *    oldest month asked for, summed per month and platform, each sample's period start also
 *    inside the grant's dates.
 * Nothing here writes but the use and the audit entry.
 *
 * The cache. What the portrait says of its subject (subject_name, template, template_version,
 * items) is a "body" (portrait.h: portrait_body_pack), computed from the store by the reading
 * above and kept in the node's portrait cache (pcache.h) under everything it depends on
 * besides the store: subject kind and identifier as asked, template and its version, the
 * catalogue version in force, the grant's range of record dates, and today's date (publicity
 * ends and the months' window move with it). What belongs to the call is made per call: the
 * grant check and its use, portrait_id, made_at, grant_id, grantee, key_id, the signature and
 * the audit entry; portrait_assemble joins them to the body, giving the very bytes a portrait
 * computed afresh would have. The store's side is followed by pcache.h's generations, taken
 * before the snapshot the body is read from: the subject's keys (resolved once before them,
 * and again in the snapshot; a body whose keys moved meanwhile is answered but not kept), and
 * its USCC's samples. Every call computes the same way, cache or not: a miss only also keeps
 * the body.
 */
#include "svc_finance.h"

#include "credit/v1/finance.pb-c.h"

#include "calendar.h"
#include "log.h"
#include "node.h"
#include "pcache.h"
#include "portrait.h"
#include "records.h"
#include "series.h"
#include "signkey.h"
#include "subjects.h"
#include "svc_authorization.h"
#include "svc_query.h"
#include "tier.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEMPLATE_MAX 64 /* a template's section code */
#define GRANT_ID_MAX 64

/* The want of a read under grant `u` on `date`: the template, and the date when one is given. */
static int covered(const authorization_use *u, const char *tmpl, const Credit__V1__Date *date)
{
    authorization_want w = {.portrait_template = tmpl, .record_date = date};
    return authorization_covers(u->grant, &w);
}

/* Ends the call after a scan of the store failed with rc (< 0): logged, and its status. */
static void scan_failed(rpc_call *call, const char *op, int rc, const char *err)
{
    log_event(LOG_ERROR, "store", "op=%s err=%s", op, err);
    rpc_finish(call, status_from_store(rc), "the store cannot be read now");
}

/* Record ids read in one multi-get: a portrait's thousand records take eight passes of the
 * store, not a thousand searches, while the pinned values of one pass stay few. */
#define READ_CHUNK 128

/* Counts `rec` (the latest version of one of the subject's records) into p when its date lies
 * in the grant's range; the newest-reported record's subject name names the portrait.
 * Returns 0, or -1 when out of memory. */
static int count_record(Credit__V1__Portrait *p, Credit__V1__Record *rec,
                        const authorization_use *u, const catalog_version *cv,
                        const Credit__V1__Date *today, int64_t *newest)
{
    const Google__Protobuf__Timestamp *at = rec->meta->occurred_at;
    Credit__V1__Date on;

    calendar_from_unix(at ? at->seconds : 0, &on);
    if (!covered(u, p->template_, &on))
        return 0;
    tier_clear(rec, TIER_AUTHORIZED, cv);
    const Google__Protobuf__Timestamp *rep = rec->meta->reported_at;
    if (rep && rep->seconds > *newest && *rec->meta->subject->name) {
        char *name = strdup(rec->meta->subject->name);
        if (!name)
            return -1;
        if (p->subject_name != protobuf_c_empty_string)
            free(p->subject_name);
        p->subject_name = name;
        *newest = rep->seconds;
    }
    return portrait_add_record(p, rec, today);
}

/* The state of one portrait's reading of records: what every chunk needs. */
typedef struct record_pass {
    rpc_call *call;
    store *st;
    const store_snapshot *snap;
    const authorization_use *u;
    const catalog_version *cv;
    Credit__V1__Date today;
    int64_t newest;
    Credit__V1__Portrait *p;
    char (*ids)[RECORD_ID_LEN + 1];
} record_pass;

/* records_visit's visitor: counts record ids[i]. Returns 0, or finishes the call and returns
 * 1 (which stops the pass). */
static int count_stored(void *ctx, size_t i, Credit__Store__V1__StoredRecord *sr)
{
    record_pass *rp = ctx;

    if (!sr || !sr->record || !sr->record->meta || !sr->record->meta->subject) {
        /* The index names a record the store cannot give: as a point read would say. */
        log_event(LOG_ERROR, "store", "op=portrait record=%s err=%s", rp->ids[i],
                  sr ? "incomplete" : "absent");
        rpc_finish(rp->call, status_from_store(sr ? STORE_ECORRUPT : STORE_ENOTFOUND),
                   "the store cannot be read now");
        return 1;
    }
    if (count_record(rp->p, sr->record, rp->u, rp->cv, &rp->today, &rp->newest) != 0) {
        rpc_finish(rp->call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return 1;
    }
    return 0;
}

/* Reads and counts the records of rp->ids[0..n) (in record-id order, as the subject index
 * gives them) in one pass of the store. Returns 0, or finishes the call and returns -1. */
static int read_chunk(record_pass *rp, size_t n)
{
    const char *ids[READ_CHUNK];
    char err[STORE_ERR_LEN];

    for (size_t i = 0; i < n; i++)
        ids[i] = rp->ids[i];
    int rc = records_visit(rp->st, rp->snap, ids, n, count_stored, rp, err);
    if (rc > 0)
        return -1; /* count_stored finished the call */
    if (rc != 0) {
        scan_failed(rp->call, "portrait_records", rc, err);
        return -1;
    }
    return 0;
}

/* Whether two resolutions of a subject's keys are the same keys in the same order. */
static int same_keys(const subjects_keys *a, const subjects_keys *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->len[i] != b->len[i] || memcmp(a->key[i], b->key[i], a->len[i]) != 0)
            return 0;
    }
    return 1;
}

/* Counts the subject's records into p as of `now`, by catalogue version cv. With `before`
 * (the subject's keys resolved before the caller took its cache generations), *same says
 * whether the snapshot read resolves the same keys. Returns 0, or finishes the call and
 * returns -1. */
static int read_records(rpc_call *call, const Credit__V1__SubjectRef *subject,
                        const authorization_use *u, const catalog_version *cv, int64_t now,
                        Credit__V1__Portrait *p, const subjects_keys *before, int *same)
{
    node *n = rpc_call_app(call);
    subjects_keys keys = {0};
    subjects_scan *scan = NULL;
    const char *field = "subject.identifier";
    char why[200], err[STORE_ERR_LEN];
    size_t n_ids = 0;
    int rc, ret = -1;
    record_pass rp = {.call = call,
                      .st = n->st,
                      .snap = store_snapshot_create(n->st),
                      .u = u,
                      .cv = cv,
                      .newest = INT64_MIN,
                      .p = p,
                      .ids = malloc(READ_CHUNK * sizeof *rp.ids)};

    calendar_from_unix(now, &rp.today);
    if (!rp.snap || !rp.ids) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    rc = subjects_keys_of(n->st, rp.snap, n->pv, subject->kind, subject->identifier, &keys, &field,
                          why);
    if (rc != 0) {
        rpc_finish(call, rc, "%s: %s", field, why);
        goto out;
    }
    if (before)
        *same = same_keys(before, &keys);
    if ((rc = subjects_scan_open(n->st, rp.snap, &keys, NULL, &scan)) != 0) {
        rpc_finish(call, status_from_store(rc), "out of memory");
        goto out;
    }
    while ((rc = subjects_scan_next(scan, rp.ids[n_ids], err)) > 0) {
        if (++n_ids == READ_CHUNK) {
            if (read_chunk(&rp, n_ids) != 0)
                goto out;
            n_ids = 0;
        }
    }
    if (rc < 0) {
        scan_failed(call, "portrait_scan", rc, err);
        goto out;
    }
    if (n_ids && read_chunk(&rp, n_ids) != 0)
        goto out;
    ret = 0;
out:
    subjects_scan_close(scan);
    subjects_keys_cleanup(&keys);
    if (rp.snap)
        store_snapshot_release(n->st, (store_snapshot *)rp.snap);
    free(rp.ids);
    return ret;
}

/* Sums the subject's samples of item `it`'s metric per month and platform over its months.
 * Returns 0, or finishes the call and returns -1. */
static int read_months(rpc_call *call, const char *uscc, const authorization_use *u,
                       const Credit__V1__PortraitItemSpec *spec, Credit__V1__PortraitItem *it,
                       const char *tmpl, uint32_t version, int64_t now)
{
    node *n = rpc_call_app(call);
    int now_month = calendar_month_of(now);
    int64_t from = calendar_month_start(now_month - (int)spec->months + 1);
    series_scan *scan = NULL;
    char err[STORE_ERR_LEN], month[8], platform[SERIES_CODE_MAX + 1] = "";
    int cur = -1, rc;

    rc = series_scan_open(n->st, uscc, spec->section, spec->metric, &from, NULL, &scan);
    if (rc != 0) {
        rpc_finish(call, rc == STORE_EINVAL ? RPC_INTERNAL : status_from_store(rc),
                   rc == STORE_EINVAL ? "the series cannot be keyed" : "out of memory");
        return -1;
    }
    /* Samples come in time order, a period's platforms side by side: a month's platforms
     * interleave, so each (month, platform) total is closed when the month changes. Few
     * platforms report on one enterprise, so a month's totals are kept in a short list. */
    struct total {
        char platform[SERIES_CODE_MAX + 1];
        double sum;
        uint32_t samples;
    } totals[8];
    size_t n_totals = 0;
    for (;;) {
        int64_t ts;
        const char *pf;
        size_t pflen;
        series_value sv;
        Credit__V1__Date on;

        rc = series_scan_next(scan, &ts, &pf, &pflen, &sv, err);
        int m = rc > 0 ? calendar_month_of(ts) : -1;
        if ((rc <= 0 || m != cur) && n_totals) {
            calendar_month_name(cur, month);
            for (size_t i = 0; i < n_totals; i++) {
                if (portrait_add_month(it, month, totals[i].platform, totals[i].sum,
                                       totals[i].samples, version) != 0) {
                    rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
                    rc = -1;
                    goto out;
                }
            }
            n_totals = 0;
        }
        if (rc <= 0)
            break;
        cur = m;
        calendar_from_unix(ts, &on);
        if (!covered(u, tmpl, &on))
            continue;
        memcpy(platform, pf, pflen < SERIES_CODE_MAX ? pflen : SERIES_CODE_MAX);
        platform[pflen < SERIES_CODE_MAX ? pflen : SERIES_CODE_MAX] = '\0';
        size_t i = 0;
        while (i < n_totals && strcmp(totals[i].platform, platform) != 0)
            i++;
        if (i == n_totals) {
            if (n_totals == sizeof totals / sizeof totals[0])
                continue; /* more platforms than any enterprise has: the rest left out */
            snprintf(totals[i].platform, sizeof totals[i].platform, "%s", platform);
            totals[i].sum = 0;
            totals[i].samples = 0;
            n_totals++;
        }
        totals[i].sum += sv.value;
        totals[i].samples++;
    }
    if (rc < 0) {
        scan_failed(call, "portrait_series", rc, err);
        goto out;
    }
    rc = 0;
out:
    series_scan_close(scan);
    return rc;
}

/* Whether template `t` is for subjects of kind `kind`. */
static int for_kind(const Credit__V1__PortraitTemplate *t, int kind)
{
    for (size_t i = 0; i < t->n_subject_kinds; i++) {
        if ((int)t->subject_kinds[i] == kind)
            return 1;
    }
    return t->n_subject_kinds == 0;
}

/* The portrait's envelope, its per-call fields, into p (a message on the caller's stack, from
 * CREDIT__V1__PORTRAIT__INIT; envelope_cleanup it, also after a failure): id, subject, when,
 * for whom, under which grant. 0 or -1 (memory). */
static int envelope(Credit__V1__Portrait *p, const Credit__V1__SubjectRef *subject,
                    const char *grant_id, const char *grantee)
{
    char id[RECORD_ID_LEN + 1];

    records_new_id(id); /* time-ordered and random: unique per portrait made */
    p->subject = malloc(sizeof *p->subject);
    p->made_at = malloc(sizeof *p->made_at);
    if (!p->subject || !p->made_at)
        return -1;
    credit__v1__subject_ref__init(p->subject);
    node_now(p->made_at);
    p->subject->kind = subject->kind;
    if (!(p->subject->identifier = strdup(subject->identifier)) || !(p->portrait_id = strdup(id)) ||
        !(p->grant_id = strdup(grant_id)) || !(p->grantee = strdup(grantee)))
        return -1;
    return 0;
}

static void envelope_cleanup(Credit__V1__Portrait *p)
{
    const char *empty = protobuf_c_empty_string;

    if (p->subject && p->subject->identifier != empty)
        free(p->subject->identifier);
    free(p->subject);
    free(p->made_at);
    if (p->portrait_id != empty)
        free(p->portrait_id);
    if (p->grant_id != empty)
        free(p->grant_id);
    if (p->grantee != empty)
        free(p->grantee);
}

/* The cache key of a body (see the file's head): each part length-prefixed, so no two inputs
 * make the same key. Returns its length (< size), or 0 if it does not fit. */
static size_t body_key(char *out, size_t size, const Credit__V1__SubjectRef *subject,
                       const catalog_section *tmpl, const catalog_version *cv,
                       const Credit__V1__Grant *g, int64_t now)
{
    const Credit__V1__Date *f = g->data_from, *t = g->data_to;
    Credit__V1__Date today;

    calendar_from_unix(now, &today);
    int len = snprintf(out, size, "%d|%zu:%s|%zu:%s|%u|%u|%d|%d-%d-%d|%d|%d-%d-%d|%d-%d-%d",
                       (int)subject->kind, strlen(subject->identifier), subject->identifier,
                       strlen(tmpl->s->code), tmpl->s->code, tmpl->version, cv->msg->version,
                       f != NULL, f ? f->year : 0, f ? f->month : 0, f ? f->day : 0, t != NULL,
                       t ? t->year : 0, t ? t->month : 0, t ? t->day : 0, today.year,
                       today.month, today.day);
    return len > 0 && (size_t)len < size ? (size_t)len : 0;
}

/* Takes the cache generations a body of `subject` depends on (pcache.h), before anything of it
 * is read: its keys resolved now into *keys (subjects_keys_cleanup them) and its USCC's
 * samples. Returns 1 when the body may be kept, 0 when not (its keys could not be resolved
 * here, or too many), never failing the call: the reading after reports any fault itself. */
static int take_gens(node *n, const Credit__V1__SubjectRef *subject, int has_uscc,
                     subjects_keys *keys, pcache_gens *g)
{
    const char *field;
    char why[200];
    int ok = 1;

    pcache_gens_init(n->portraits, g);
    if (subjects_keys_of(n->st, NULL, n->pv, subject->kind, subject->identifier, keys, &field,
                         why) != 0)
        return 0;
    for (size_t i = 0; i < keys->n; i++)
        ok &= pcache_gens_add_key(n->portraits, g, keys->key[i], keys->len[i]) == 0;
    if (has_uscc)
        ok &= pcache_gens_add_uscc(n->portraits, g, subject->identifier) == 0;
    return ok;
}

/* The body of the portrait of `subject` by template `tmpl` (of version cv) under use u, as of
 * `now`: from the cache, else read (and kept). Returns 0 with *body (malloc'd, *len bytes),
 * or finishes the call and returns -1. */
static int portrait_body(rpc_call *call, const Credit__V1__SubjectRef *subject,
                         const catalog_section *tmpl, const catalog_version *cv,
                         const authorization_use *u, int64_t now, void **body, size_t *len)
{
    node *n = rpc_call_app(call);
    char key[512], why[200], err[SIGNKEY_ERR_LEN];
    size_t klen = n->portraits ? body_key(key, sizeof key, subject, tmpl, cv, u->grant, now) : 0;
    subjects_keys before = {0};
    pcache_gens g;
    Credit__V1__Portrait *p = NULL;
    int keep = 0, same = 0, ret = -1;
    int has_uscc = validate_uscc(subject->identifier, why) == 0;

    if (klen) {
        int rc = pcache_get(n->portraits, key, klen, body, len);
        if (rc == 1)
            return 0;
        keep = rc == 0 && take_gens(n, subject, has_uscc, &before, &g);
    }
    if (!(p = portrait_create(tmpl))) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    if (read_records(call, subject, u, cv, now, p, keep ? &before : NULL, &same) != 0)
        goto out;
    for (size_t i = 0; has_uscc && i < p->n_items; i++) {
        if (p->items[i]->aggregate == CREDIT__V1__AGGREGATE__AGGREGATE_MONTHLY_TOTAL &&
            read_months(call, subject->identifier, u, tmpl->s->portrait->items[i], p->items[i],
                        tmpl->s->code, tmpl->version, now) != 0)
            goto out;
    }
    if (portrait_body_pack(p, body, len, err) != 0) {
        log_event(LOG_ERROR, "portrait", "op=pack err=%s", err);
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    if (keep && same)
        pcache_put(n->portraits, key, klen, &g, *body, *len);
    ret = 0;
out:
    subjects_keys_cleanup(&before);
    if (p)
        credit__v1__portrait__free_unpacked(p, NULL);
    return ret;
}

static void get_portrait(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__GetPortraitRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    const principal *caller = node_caller(call);
    const catalog_version *cv = catalog_now(n->cat);
    int64_t now = (int64_t)time(NULL);
    Credit__V1__Portrait env = CREDIT__V1__PORTRAIT__INIT;
    store_batch *b = NULL;
    authorization_use u;
    int began = 0, written = 0;
    char read[160], err[SIGNKEY_ERR_LEN];
    uint64_t ticket;
    uint8_t *signed_bytes = NULL;
    void *body = NULL;
    size_t signed_len = 0, body_len = 0;
    long repaired = 0;
    pbcheck_fault first;

    if (query_check_subject_ref(call, req->subject) != 0 ||
        node_check_text(call, "template", req->template_, TEMPLATE_MAX, TEXT_REQUIRED) != 0 ||
        node_check_text(call, "grant_id", req->grant_id, GRANT_ID_MAX, TEXT_REQUIRED) != 0)
        return;
    const catalog_section *tmpl =
        catalog_find_section(cv, CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE, req->template_);
    if (!tmpl) {
        rpc_finish(call, RPC_NOT_FOUND, "template: the catalogue in force has no template %s",
                   req->template_);
        return;
    }
    if (!for_kind(tmpl->s->portrait, req->subject->kind)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "template: %s is not for subjects of kind %s",
                   req->template_,
                   protobuf_c_enum_descriptor_get_value(&credit__v1__subject_kind__descriptor,
                                                        req->subject->kind)
                       ->name);
        return;
    }
    if (!(b = store_batch_create())) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    authorization_want want = {.portrait_template = req->template_};
    snprintf(read, sizeof read, "portrait %s v%u", req->template_, tmpl->version);
    if (authorization_use_begin(call, req->grant_id, req->subject, &want, read, b, &u) != 0)
        goto out;
    began = 1;
    if (envelope(&env, req->subject, req->grant_id, caller->code) != 0) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    if (portrait_body(call, req->subject, tmpl, cv, &u, now, &body, &body_len) != 0)
        goto out;
    /* Assembled once, checked and signed, and sent as those very bytes (no copy, no second
     * pack or check while it waits for the use's fsync). */
    if (portrait_assemble(body, body_len, &env, n->sign, &signed_bytes, &signed_len, &repaired,
                          &first, err) != 0) {
        log_event(LOG_ERROR, "portrait", "op=sign err=%s", err);
        rpc_finish(call, RPC_INTERNAL, "the portrait cannot be signed now");
        goto out;
    }
    if (repaired > 0)
        log_event(LOG_WARN, "reply-text-repaired", "method=%s message=%s bytes=%ld first=%s why=%s",
                  rpc_call_method(call), credit__v1__portrait__descriptor.name, repaired,
                  first.path, first.reason);
    char detail[200];
    snprintf(detail, sizeof detail, "portrait %s template %s v%u grant %s", env.portrait_id,
             req->template_, tmpl->version, req->grant_id);
    if (node_commit_start(call, b, detail, &ticket) != 0)
        goto out;
    written = 1;
    node_reply_durable_packed(call, rpc_packed_take(signed_bytes, signed_len), ticket);
    signed_bytes = NULL;
out:
    if (began)
        authorization_use_end(&u, written);
    envelope_cleanup(&env);
    free(body);
    free(signed_bytes);
    store_batch_destroy(b);
}

static void get_signing_key(rpc_call *call, const ProtobufCMessage *msg)
{
    node *n = rpc_call_app(call);
    Credit__V1__SigningKey k = CREDIT__V1__SIGNING_KEY__INIT;

    (void)msg;
    k.public_key_pem = (char *)signkey_public_pem(n->sign);
    k.key_id = (char *)signkey_id(n->sign);
    k.algorithm = SIGNKEY_ALGORITHM;
    rpc_reply(call, &k.base);
}

static const rpc_handler handlers[] = {
    {.method = "GetPortrait", .on_message = get_portrait},
    {.method = "GetSigningKey", .on_message = get_signing_key},
};

RPC_REGISTERED_SERVICE(credit_finance_service, credit__v1__credit_finance__descriptor, handlers);
