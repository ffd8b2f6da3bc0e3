/*
 * svc_collection.c — credit.v1.PublicCreditCollection: departments push public records.
 *
 * Every pushed record is checked on its own (record_check.c) and gets its own result; the
 * good records of one call (or of each group of PUSH_GROUP records of a stream) are written
 * in one batch with the call's audit entry, so a record is either wholly stored — record,
 * history version, source and subject index entries — or not at all.
 *
 * Idempotency: (unit, source_record_id) names a record. The same content again is UNCHANGED
 * and writes nothing; new content is a new version. "Same content" is the SHA-256 of the
 * input as pushed, with the channel's default filled in. Correction and withdrawal are new
 * versions carrying their reason. Nothing is deleted.
 *
 * Pushes are read-check-write sequences over the source index, so they run one call (or one
 * stream group) at a time under `push_mu`; the audit log serializes writes anyway.
 */
#include "svc_collection.h"

#include "log.h"
#include "node.h"
#include "record_check.h"
#include "records.h"

#include <openssl/evp.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX 1000
#define PUSH_GROUP 256
#define REASON_MAX 500

static pthread_mutex_t push_mu = PTHREAD_MUTEX_INITIALIZER;

/* A group of results on their way to the client. */
typedef struct results {
    Credit__V1__PushResult *v;
    size_t n, cap;
    uint32_t accepted, rejected;
} results;

static Credit__V1__PushResult *result_add(results *r, int index)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        Credit__V1__PushResult *nv = realloc(r->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        r->v = nv;
        r->cap = cap;
    }
    Credit__V1__PushResult *x = &r->v[r->n++];
    credit__v1__push_result__init(x);
    x->index = index;
    return x;
}

static void results_free(results *r)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].record_id != protobuf_c_empty_string)
            free(r->v[i].record_id);
        if (r->v[i].field != protobuf_c_empty_string)
            free(r->v[i].field);
        if (r->v[i].reason != protobuf_c_empty_string)
            free(r->v[i].reason);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static char *dup_or_empty(const char *s)
{
    char *d = s && *s ? strdup(s) : NULL;
    return d ? d : (char *)protobuf_c_empty_string;
}

static void reject(results *r, Credit__V1__PushResult *x, int code, const char *field,
                   const char *reason)
{
    x->outcome = CREDIT__V1__PUSH_OUTCOME__REJECTED;
    x->code = code;
    x->field = dup_or_empty(field);
    x->reason = dup_or_empty(reason);
    r->rejected++;
}

static void accept(results *r, Credit__V1__PushResult *x, int outcome, const char *record_id,
                   uint32_t version)
{
    x->outcome = outcome;
    x->record_id = dup_or_empty(record_id);
    x->version = version;
    r->accepted++;
}

static void today(Credit__V1__Date *d)
{
    record_date_from_unix((int64_t)time(NULL), d);
}

static check_unit unit_of(const principal *p)
{
    check_unit u = {p->code, p->kind};
    return u;
}

/* SHA-256 of the input as pushed, channel default filled in. */
static int digest_of(const Credit__V1__PublicRecordInput *in, unsigned char out[32])
{
    Credit__V1__PublicRecordInput copy = *in;
    if (copy.channel == CREDIT__V1__CHANNEL__CHANNEL_UNSPECIFIED)
        copy.channel = CREDIT__V1__CHANNEL__CHANNEL_DIRECT_PUSH;
    size_t n = credit__v1__public_record_input__get_packed_size(&copy);
    unsigned char *buf = malloc(n ? n : 1);
    unsigned int len = 0;
    if (!buf)
        return -1;
    credit__v1__public_record_input__pack(&copy, buf);
    int ok = EVP_Digest(buf, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32;
    free(buf);
    return ok ? 0 : -1;
}

/* Builds the stored form of a version from the input, owned entirely by the result (packed
 * and unpacked again, so that sealing may free and replace its strings). */
static Credit__Store__V1__StoredRecord *build_version(const Credit__V1__PublicRecordInput *in,
                                                      const catalog_version *cv,
                                                      const principal *p, const char *rid,
                                                      uint32_t version,
                                                      const Credit__V1__RecordStatus *status,
                                                      const char *reason,
                                                      const unsigned char digest[32],
                                                      const char *skey, size_t skey_len)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    Google__Protobuf__Timestamp reported = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    reported.seconds = now.tv_sec;
    reported.nanos = (int32_t)now.tv_nsec;

    Credit__V1__RecordMeta meta = CREDIT__V1__RECORD_META__INIT;
    meta.record_id = (char *)rid;
    meta.catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;
    meta.category = in->category;
    meta.subject = in->subject;
    meta.source_unit = (char *)p->code;
    meta.source_record_id = in->source_record_id;
    meta.channel = in->channel ? in->channel : CREDIT__V1__CHANNEL__CHANNEL_DIRECT_PUSH;
    meta.occurred_at = in->occurred_at;
    meta.reported_at = &reported;
    meta.catalogue_version = cv->msg->version;
    meta.version = version;
    meta.status = (Credit__V1__RecordStatus *)status;
    meta.change_reason = (char *)(reason ? reason : "");

    Credit__V1__Record rec = CREDIT__V1__RECORD__INIT;
    rec.meta = &meta;
    Credit__V1__Penalty pen;
    Credit__V1__Date end;
    switch (in->body_case) {
    case CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_LICENCE:
        rec.body_case = CREDIT__V1__RECORD__BODY_LICENCE;
        rec.licence = in->licence;
        break;
    case CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_ACTION:
        rec.body_case = CREDIT__V1__RECORD__BODY_ACTION;
        rec.action = in->action;
        break;
    default:
        /* A penalty without an end of publicity gets its severity's maximum. */
        pen = *in->penalty;
        if (!pen.publicity_end_date) {
            record_section_publicity_end(&pen, catalog_public_section(cv, in->category), &end);
            pen.publicity_end_date = &end;
        }
        rec.body_case = CREDIT__V1__RECORD__BODY_PENALTY;
        rec.penalty = &pen;
    }
    /* The input's map entries pack exactly as the record's: same fields, same numbers. */
    rec.extra = (Credit__V1__Record__ExtraEntry **)in->extra;
    rec.n_extra = in->n_extra;
    Credit__Store__V1__StoredRecord sr = CREDIT__STORE__V1__STORED_RECORD__INIT;
    sr.record = &rec;
    sr.content_digest.data = (uint8_t *)digest;
    sr.content_digest.len = 32;
    sr.subject_key.data = (uint8_t *)skey;
    sr.subject_key.len = skey_len;

    size_t n = credit__store__v1__stored_record__get_packed_size(&sr);
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    credit__store__v1__stored_record__pack(&sr, buf);
    Credit__Store__V1__StoredRecord *owned = credit__store__v1__stored_record__unpack(NULL, n, buf);
    free(buf);
    return owned;
}

/* Seals and adds a version to the batch. Returns 0, or -1 with a reason in why[200]. */
static int stage(node *n, store_batch *b, Credit__Store__V1__StoredRecord *sr, char *why)
{
    char err[STORE_ERR_LEN];
    if (records_seal(n->pv, sr, err) != 0) {
        snprintf(why, 200, "cannot seal personal numbers: %.150s", err);
        return -1;
    }
    if (records_put_version(b, sr, (const char *)sr->subject_key.data, sr->subject_key.len) !=
        0) {
        snprintf(why, 200, "the record cannot be indexed");
        return -1;
    }
    return 0;
}

/* The status a new version carries over from the one before (objections and repairs stay
 * with the record; a re-push un-withdraws it). */
static Credit__V1__RecordStatus carry_status(const Credit__Store__V1__StoredRecord *prev)
{
    Credit__V1__RecordStatus s = CREDIT__V1__RECORD_STATUS__INIT;
    if (prev && prev->record->meta->status) {
        s.disputed = prev->record->meta->status->disputed;
        s.repaired = prev->record->meta->status->repaired;
    }
    return s;
}

/* Checks and stages one pushed record into `b`. Called with push_mu held. `seen` lists the
 * source ids of the records before it in the same batch. */
static void push_one(node *n, const principal *p, const catalog_version *cv,
                     const Credit__V1__PublicRecordInput *in, int index, store_batch *b,
                     results *r, const char **seen, size_t n_seen)
{
    Credit__V1__PushResult *x = result_add(r, index);
    if (!x)
        return;
    check_unit unit = unit_of(p);
    Credit__V1__Date d;
    today(&d);
    check_failure f;
    if (record_check_input(in, &unit, cv, &d, &f) != 0) {
        reject(r, x, f.code, f.field, f.reason);
        return;
    }
    for (size_t i = 0; i < n_seen; i++) {
        if (strcmp(seen[i], in->source_record_id) == 0) {
            reject(r, x, RPC_INVALID_ARGUMENT, "source_record_id",
                   "the same source record appears earlier in this batch");
            return;
        }
    }
    unsigned char digest[32];
    char skey[SUBJECT_KEY_MAX];
    size_t skey_len = records_subject_key(n->pv, in->subject->kind, in->subject->identifier, skey);
    if (digest_of(in, digest) != 0 || skey_len == 0) {
        reject(r, x, RPC_INTERNAL, "", "cannot index the record");
        return;
    }
    char rid[RECORD_ID_LEN + 1], err[STORE_ERR_LEN], why[200];
    Credit__Store__V1__StoredRecord *prev = NULL, *sr = NULL;
    uint32_t version = 1;
    int rc = records_by_source(n->st, p->code, in->source_record_id, rid, err);
    if (rc == 0 && (rc = records_get(n->st, NULL, rid, &prev, err)) == 0) {
        const Credit__V1__RecordMeta *m = prev->record->meta;
        int withdrawn = m->status && m->status->withdrawn;
        if (prev->content_digest.len == 32 && memcmp(prev->content_digest.data, digest, 32) == 0 &&
            !withdrawn) {
            accept(r, x, CREDIT__V1__PUSH_OUTCOME__UNCHANGED, rid, m->version);
            goto out;
        }
        if (prev->subject_key.len != skey_len || memcmp(prev->subject_key.data, skey, skey_len)) {
            reject(r, x, RPC_FAILED_PRECONDITION, "subject",
                   "differs from the subject stored for this source record; withdraw it and "
                   "push the record under a new source_record_id");
            goto out;
        }
        version = m->version + 1;
    } else if (rc == STORE_ENOTFOUND) {
        records_new_id(rid);
    } else {
        log_event(LOG_ERROR, "store", "op=push err=\"%s\"", err);
        reject(r, x, RPC_UNAVAILABLE, "", "the store cannot be read now; push again");
        goto out;
    }
    Credit__V1__RecordStatus status = carry_status(prev);
    sr = build_version(in, cv, p, rid, version, &status, NULL, digest, skey, skey_len);
    if (!sr || stage(n, b, sr, why) != 0) {
        reject(r, x, RPC_RESOURCE_EXHAUSTED, "", sr ? why : "out of memory");
        goto out;
    }
    accept(r, x, version == 1 ? CREDIT__V1__PUSH_OUTCOME__CREATED
                              : CREDIT__V1__PUSH_OUTCOME__NEW_VERSION,
           rid, version);
out:
    if (prev)
        credit__store__v1__stored_record__free_unpacked(prev, NULL);
    if (sr)
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
}

/* Pushes inputs[0..n) (their indexes starting at `first`) in one batch with one audit entry.
 * Returns 0, or -1 after finishing the call (the store refused the write: nothing of the
 * group was stored, and the caller learns it as UNAVAILABLE). */
static int push_group(rpc_call *call, Credit__V1__PublicRecordInput *const *inputs, size_t n,
                      int first, results *r)
{
    node *nd = rpc_call_app(call);
    const principal *p = node_caller(call);
    store_batch *b = store_batch_create();
    const char **seen = calloc(n ? n : 1, sizeof *seen);
    size_t n_seen = 0;
    int rc = -1;
    if (!b || !seen) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was stored");
        goto out;
    }
    uint32_t acc0 = r->accepted, rej0 = r->rejected;
    /* The version in force when the node accepts the records: each names it. */
    const catalog_version *cv = catalog_at(nd->cat, (int64_t)time(NULL));
    pthread_mutex_lock(&push_mu);
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = store_batch_count(b);
        push_one(nd, p, cv, inputs[i], first + (int)i, b, r, seen, n_seen);
        written += store_batch_count(b) > before;
        /* A source record appears once per batch, whatever became of its first appearance. */
        seen[n_seen++] = inputs[i]->source_record_id;
    }
    char detail[200];
    snprintf(detail, sizeof detail, "pushed %zu public records: %u accepted, %u rejected (%zu "
                                    "written)",
             n, r->accepted - acc0, r->rejected - rej0, written);
    rc = node_commit(call, b, detail);
    pthread_mutex_unlock(&push_mu);
out:
    free(seen);
    store_batch_destroy(b);
    return rc;
}

static void reply_results(rpc_call *call, results *r)
{
    Credit__V1__PushBatchResponse resp = CREDIT__V1__PUSH_BATCH_RESPONSE__INIT;
    Credit__V1__PushResult **ptrs = calloc(r->n ? r->n : 1, sizeof *ptrs);
    if (!ptrs) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (size_t i = 0; i < r->n; i++)
        ptrs[i] = &r->v[i];
    resp.results = ptrs;
    resp.n_results = r->n;
    resp.accepted = r->accepted;
    resp.rejected = r->rejected;
    rpc_reply(call, &resp.base);
    free(ptrs);
}

static void push_batch(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__PushBatchRequest *req = (const void *)msg;
    if (req->n_records == 0 || req->n_records > BATCH_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "records: a batch holds 1 to %d records, not %zu",
                   BATCH_MAX, req->n_records);
        return;
    }
    results r = {0};
    if (push_group(call, req->records, req->n_records, 0, &r) == 0)
        reply_results(call, &r);
    results_free(&r);
}

/* --- The client-streaming push ------------------------------------------------------------- */

typedef struct stream_state {
    Credit__V1__PublicRecordInput *pending[PUSH_GROUP];
    size_t n_pending;
    int next_index; /* index of pending[0] */
    results r;
    int failed;
} stream_state;

static void flush_stream(rpc_call *call, stream_state *s)
{
    if (s->n_pending && !s->failed && push_group(call, s->pending, s->n_pending,
                                                 s->next_index, &s->r) != 0)
        s->failed = 1;
    for (size_t i = 0; i < s->n_pending; i++)
        credit__v1__public_record_input__free_unpacked(s->pending[i], NULL);
    s->next_index += (int)s->n_pending;
    s->n_pending = 0;
}

static void push_stream_message(rpc_call *call, const ProtobufCMessage *msg)
{
    stream_state *s = rpc_call_data(call);
    if (!s) {
        if (!(s = calloc(1, sizeof *s))) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
            return;
        }
        rpc_call_set_data(call, s);
    }
    /* The message is freed when on_message returns: keep a copy of our own. */
    size_t n = protobuf_c_message_get_packed_size(msg);
    unsigned char *buf = malloc(n ? n : 1);
    Credit__V1__PublicRecordInput *copy = NULL;
    if (buf) {
        protobuf_c_message_pack(msg, buf);
        copy = credit__v1__public_record_input__unpack(NULL, n, buf);
        free(buf);
    }
    if (!copy) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    /* A stream is a sequence of pushes: a source record seen again in the same group is
     * pushed after the group before it is written, so it is UNCHANGED or a new version as
     * it would be in a later call (a batch, written at once, refuses the repeat instead). */
    for (size_t i = 0; i < s->n_pending; i++) {
        if (strcmp(s->pending[i]->source_record_id, copy->source_record_id) == 0) {
            flush_stream(call, s);
            break;
        }
    }
    s->pending[s->n_pending++] = copy;
    if (s->n_pending == PUSH_GROUP)
        flush_stream(call, s);
}

static void push_stream_end(rpc_call *call)
{
    stream_state *s = rpc_call_data(call);
    if (!s) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "records: the stream held no record");
        return;
    }
    flush_stream(call, s);
    if (!s->failed)
        reply_results(call, &s->r);
}

static void push_stream_done(rpc_call *call, int cancelled)
{
    (void)cancelled;
    stream_state *s = rpc_call_data(call);
    if (!s)
        return;
    for (size_t i = 0; i < s->n_pending; i++)
        credit__v1__public_record_input__free_unpacked(s->pending[i], NULL);
    results_free(&s->r);
    free(s);
    rpc_call_set_data(call, NULL);
}

/* --- Correction and withdrawal -------------------------------------------------------------- */

/* Loads a record the caller pushed, for a change of its own. Finishes the call and returns
 * NULL when it cannot. */
static Credit__Store__V1__StoredRecord *own_record(rpc_call *call, const char *record_id,
                                                   const char *reason)
{
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    char err[STORE_ERR_LEN];
    size_t rlen = strlen(reason);
    if (records_check_id(record_id) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "record_id: not a record id (32 hex characters)");
        return NULL;
    }
    if (rlen == 0 || rlen > REASON_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "reason: required, at most %d bytes", REASON_MAX);
        return NULL;
    }
    Credit__Store__V1__StoredRecord *sr = NULL;
    int rc = records_get(n->st, NULL, record_id, &sr, err);
    if (rc == STORE_ENOTFOUND) {
        rpc_finish(call, RPC_NOT_FOUND, "no record %s", record_id);
        return NULL;
    }
    if (rc != 0) {
        rpc_finish(call, RPC_UNAVAILABLE, "the store cannot be read now");
        return NULL;
    }
    if (strcmp(sr->record->meta->source_unit, p->code) != 0) {
        rpc_finish(call, RPC_PERMISSION_DENIED,
                   "record %s was pushed by unit %s; only its source unit changes it", record_id,
                   sr->record->meta->source_unit);
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
        return NULL;
    }
    return sr;
}

static void reply_change(rpc_call *call, Credit__Store__V1__StoredRecord *next, const char *what)
{
    node *n = rpc_call_app(call);
    char why[200], detail[200];
    store_batch *b = store_batch_create();
    if (!b || stage(n, b, next, why) != 0) {
        store_batch_destroy(b);
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "%s; nothing was stored", b ? why : "out of memory");
        return;
    }
    const Credit__V1__RecordMeta *m = next->record->meta;
    snprintf(detail, sizeof detail, "%s record %s, now version %u", what, m->record_id,
             m->version);
    if (node_commit(call, b, detail) == 0) {
        Credit__V1__PushResult res = CREDIT__V1__PUSH_RESULT__INIT;
        res.outcome = CREDIT__V1__PUSH_OUTCOME__NEW_VERSION;
        res.record_id = m->record_id;
        res.version = m->version;
        rpc_reply(call, &res.base);
    }
    store_batch_destroy(b);
}

static void correct(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__CorrectRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    if (!req->record) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "record: the corrected record is required");
        return;
    }
    pthread_mutex_lock(&push_mu);
    Credit__Store__V1__StoredRecord *prev = own_record(call, req->record_id, req->reason);
    Credit__Store__V1__StoredRecord *next = NULL;
    if (!prev)
        goto out;
    const Credit__V1__RecordMeta *m = prev->record->meta;
    if (strcmp(req->record->source_record_id, m->source_record_id) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "record.source_record_id: must be the record's own (\"%.100s\")",
                   m->source_record_id);
        goto out;
    }
    check_unit unit = unit_of(p);
    const catalog_version *cv = catalog_at(n->cat, (int64_t)time(NULL));
    Credit__V1__Date d;
    today(&d);
    check_failure f;
    if (record_check_input(req->record, &unit, cv, &d, &f) != 0) {
        rpc_finish(call, f.code, "record.%s: %s", f.field, f.reason);
        goto out;
    }
    unsigned char digest[32];
    char skey[SUBJECT_KEY_MAX];
    size_t skey_len = records_subject_key(n->pv, req->record->subject->kind,
                                          req->record->subject->identifier, skey);
    if (digest_of(req->record, digest) != 0 || skey_len == 0) {
        rpc_finish(call, RPC_INTERNAL, "cannot index the record");
        goto out;
    }
    if (prev->subject_key.len != skey_len || memcmp(prev->subject_key.data, skey, skey_len)) {
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "record.subject: a correction keeps the subject; withdraw the record instead");
        goto out;
    }
    if (memcmp(prev->content_digest.data, digest, 32) == 0) {
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "record: the correction changes nothing in version %u", m->version);
        goto out;
    }
    Credit__V1__RecordStatus status = carry_status(prev);
    status.withdrawn = m->status && m->status->withdrawn;
    next = build_version(req->record, cv, p, m->record_id, m->version + 1, &status, req->reason,
                         digest, skey, skey_len);
    if (!next) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    reply_change(call, next, "corrected");
out:
    pthread_mutex_unlock(&push_mu);
    if (prev)
        credit__store__v1__stored_record__free_unpacked(prev, NULL);
    if (next)
        credit__store__v1__stored_record__free_unpacked(next, NULL);
}

static void withdraw(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__WithdrawRequest *req = (const void *)msg;
    pthread_mutex_lock(&push_mu);
    Credit__Store__V1__StoredRecord *sr = own_record(call, req->record_id, req->reason);
    if (!sr)
        goto out;
    Credit__V1__RecordMeta *m = sr->record->meta;
    if (m->status && m->status->withdrawn) {
        rpc_finish(call, RPC_FAILED_PRECONDITION, "record %s is already withdrawn", m->record_id);
        goto out;
    }
    /* The stored version stays sealed as it is: the new version has the same content, so its
     * sealed values are re-sealed under the new version's associated data. */
    node *n = rpc_call_app(call);
    char err[STORE_ERR_LEN];
    if (records_unseal(n->pv, sr, err) != 0) {
        rpc_finish(call, RPC_DATA_LOSS, "record %s cannot be unsealed: %s", m->record_id, err);
        goto out;
    }
    Credit__V1__RecordStatus *st = m->status;
    Credit__V1__RecordStatus fresh = CREDIT__V1__RECORD_STATUS__INIT;
    Credit__V1__RecordStatus *old_status = st;
    if (!st)
        m->status = st = &fresh;
    st->withdrawn = 1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    Google__Protobuf__Timestamp reported = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    reported.seconds = now.tv_sec;
    reported.nanos = (int32_t)now.tv_nsec;
    Google__Protobuf__Timestamp *old_reported = m->reported_at;
    char *old_reason = m->change_reason;
    m->version++;
    m->change_reason = (char *)req->reason;
    m->reported_at = &reported;
    reply_change(call, sr, "withdrew");
    /* Give the unpacked message back what it owns before it is freed. */
    m->change_reason = old_reason;
    m->reported_at = old_reported;
    m->status = old_status;
out:
    pthread_mutex_unlock(&push_mu);
    if (sr)
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
}

static const rpc_handler handlers[] = {
    {.method = "PushBatch", .on_message = push_batch},
    {.method = "Push", .on_message = push_stream_message, .on_half_close = push_stream_end,
     .on_done = push_stream_done},
    {.method = "Correct", .on_message = correct},
    {.method = "Withdraw", .on_message = withdraw},
};

const rpc_service public_collection_service = {
    .descriptor = &credit__v1__public_credit_collection__descriptor,
    .handlers = handlers,
    .n_handlers = sizeof handlers / sizeof handlers[0],
    .auth = RPC_AUTH_REGISTERED,
    .audited = 1,
};
