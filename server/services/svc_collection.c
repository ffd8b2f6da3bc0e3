/*
 * svc_collection.c — the record-collecting services: credit.v1.PublicCreditCollection (public
 * records from departments), ServiceUnitCollection (declarations of service units, towns,
 * communities and villages), AssociationCollection (the association platform, for the
 * associations it holds a mandate for) and VoluntaryDeclaration (subjects about themselves,
 * directly or through the portal; pending until the office verifies them).
 *
 * One engine serves them all: a `kind` per service names its catalogue, its input message and
 * what more it asks of a pusher than the catalogue's responsibility (a mandate; a subject
 * declaring only about itself). Which unit kinds may call each method at all is the permission
 * table's (authz.c: push.<catalogue>, voluntary.verify, mandate.*), checked before any handler
 * here runs. Inputs are read through record_view (record_check.h).
 *
 * Every pushed record is checked on its own (record_check.c) and gets its own result; the
 * good records of one call are written in one batch with the call's audit entry, so a record
 * is either wholly stored — record, history version, source and subject index entries — or
 * not at all. A client stream (Push) is one call like a batch: its records are checked as
 * they arrive and kept (at most STREAM_MAX of them, STREAM_BYTES_MAX bytes), and written only
 * at the client's half-close, so a stream that the client cancels, or that breaks, stores
 * nothing (rpc.c tells a half-close from a reset before on_half_close runs).
 *
 * Idempotency: (unit, source_record_id) names a record. Content that any version of the
 * record already holds is PUSH_OUTCOME_UNCHANGED and writes nothing, whatever the record's state:
 * an old file sent again never undoes a correction, and a push never revives a withdrawn record
 * (new content for one is refused; Reinstate, the source unit's explicit act, undoes a
 * withdrawal). New content is a new version, unless it is stale: once a version carries the
 * source's modification time (source_updated_at), a change must carry a later one. "Same
 * content" is the SHA-256 of the input as pushed, with the channel's default filled in and
 * without source_updated_at. Within one call a source record appears once: a repeat of an
 * accepted record is rejected, a repeat of a rejected one is checked on its own. Inputs are
 * put in canonical form first (canon.h: text in NFC, maps sorted) and the defaults the node
 * fills in (a penalty's end of publicity) are filled in before the digest, so the same facts
 * in any equivalent encoding, or with a default stated, are the same content. Correction,
 * withdrawal and reinstatement are new versions carrying their reason. Nothing is deleted.
 *
 * Who a record is about: its subject's codes are put in their normal spelling before the
 * checks (identity.h), and the record is filed under its subject's key (subjects.h): the USCC
 * it states or its older codes are bound to, else the older code it names. A record that states a
 * USCC with older codes binds them in the call's batch; a binding is seen by the later records
 * of the same call (a subjects_pending per batch). "The same subject as the stored version"
 * compares subjects as they resolve now, so a record filed under an older code before the code
 * was bound may come again under the USCC; its index entry then moves.
 *
 * Pushes are read-check-write sequences over the source index and the bindings. What must be
 * ordered is a unit's own records (its source index entries, a record's versions, the
 * mandates a platform pushes under), so a call runs under the lock of its source unit, one
 * of PUSH_STRIPES striped by the unit's code: calls of different units check and write in
 * parallel. The subject bindings are shared by every unit, so a call that is about to bind a
 * code takes bind_mu as well and holds it to its write (a binding is never undone, so a
 * record that binds nothing needs no lock on them). The checks that read nothing stored
 * (canonical form, record_check, defaults, digest) run before any lock. The write is made
 * under the locks but fsynced after they are released, together with whatever else is
 * pending (group commit, audit.h); the reply waits for that fsync.
 *
 * A Push stream carries a record a message; a PushBatches stream a batch of up to BATCH_MAX
 * records a message, which costs the transport far less per record. Both are the same call
 * at the half-close: one push_group over every record of the stream, in arrival order.
 */
#include "svc_collection.h"

#include "credit/v1/association.pb-c.h"
#include "credit/v1/service_unit.pb-c.h"
#include "credit/v1/voluntary.pb-c.h"
#include "algs.h"
#include "authz.h"
#include "calendar.h"
#include "canon.h"
#include "identity.h"
#include "log.h"
#include "mandates.h"
#include "node.h"
#include "pb.h"
#include "publicity.h"
#include "record_check.h"
#include "records.h"
#include "registry.h"
#include "subjects.h"
#include "validate.h"

#include <openssl/evp.h>

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX 1000
#define STREAM_MAX 10000                 /* records in one Push stream */
#define STREAM_BYTES_MAX (64u << 20)     /* their encoded size */
#define REASON_MAX 500
#define FUTURE_SKEW_SECONDS 600          /* how far a source's clock may run ahead of ours */

/* The push locks (see the head of this file): one of PUSH_STRIPES per source unit, by a hash
 * of its code, and bind_mu for the subject bindings, which are shared by every unit. Order:
 * a stripe first, then bind_mu; no call holds two stripes. */
#define PUSH_STRIPES 64
static pthread_mutex_t push_stripes[PUSH_STRIPES] = {[0 ... PUSH_STRIPES - 1] =
                                                         PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t bind_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        h = (h ^ *c) * 1099511628211ULL;
    return h;
}

/* The lock of unit `code`'s records: its source index entries and their versions. */
static pthread_mutex_t *unit_lock(const char *code)
{
    return &push_stripes[fnv1a(code) % PUSH_STRIPES];
}

/* What one collecting service collects, and what it asks of a pusher beyond the catalogue. */
typedef struct kind {
    const rpc_service *service;
    int catalogue;                          /* Credit__V1__Catalogue */
    const char *noun;                       /* for audit details: "public records" */
    int verified;                           /* 1: versions wait for the office's verification */
    /* Returns 0, or -1 with f filled when `p` may not push `v` (called after the checks). */
    int (*may_push)(node *n, const principal *p, const record_view *v, check_failure *f);
} kind;

static const kind *kind_of(rpc_call *call);

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
        free(r->v[i].status);
        for (size_t k = 0; k < r->v[i].n_faults; k++) {
            Credit__V1__Fault *x = r->v[i].faults[k];
            if (x->field != protobuf_c_empty_string)
                free(x->field);
            if (x->reason != protobuf_c_empty_string)
                free(x->reason);
            free(x); /* reason_code is a static string (status_reason_word) */
        }
        free(r->v[i].faults);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static char *dup_or_empty(const char *s)
{
    char *d = s && *s ? strdup(s) : NULL;
    return d ? d : (char *)protobuf_c_empty_string;
}

/* Adds fault (code, reason code `why`, field, reason) to x->faults, which has room. Out of
 * memory: it is left out (the result's own code, field and reason still say the first). */
static void add_fault(Credit__V1__PushResult *x, int code, int why, const char *field,
                      const char *reason)
{
    Credit__V1__Fault *ft = malloc(sizeof *ft);
    if (!ft)
        return;
    credit__v1__fault__init(ft);
    ft->code = code;
    ft->field = dup_or_empty(field);
    ft->reason = dup_or_empty(reason);
    ft->reason_code = (char *)status_reason_word(why, code);
    x->faults[x->n_faults++] = ft;
}

/* Rejects the record of result x: its first fault in code, field and reason (and
 * reason_code, the word of `why`, enum rpc_reason), every fault in faults: those of f when
 * record_check collected more than one (f may be NULL), else the one given. */
static void reject_faults(results *r, Credit__V1__PushResult *x, int code, int why,
                          const char *field, const char *reason, const check_failure *f)
{
    size_t n = f && f->n_faults > 1 ? f->n_faults : 1;
    x->outcome = CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED;
    x->code = code;
    x->field = dup_or_empty(field);
    x->reason = dup_or_empty(reason);
    x->reason_code = (char *)status_reason_word(why, code);
    x->faults = calloc(n, sizeof *x->faults);
    for (size_t i = 0; x->faults && i < n; i++) {
        if (n == 1)
            add_fault(x, code, why, field, reason);
        else
            add_fault(x, f->faults[i].code, f->faults[i].reason_code, f->faults[i].field,
                      f->faults[i].reason);
    }
    r->rejected++;
}

static void reject(results *r, Credit__V1__PushResult *x, int code, int why, const char *field,
                   const char *reason)
{
    reject_faults(r, x, code, why, field, reason, NULL);
}

/* `status`: the record's status now (NULL: a fresh one); copied. */
static void accept(results *r, Credit__V1__PushResult *x, int outcome, const char *record_id,
                   uint32_t version, const Credit__V1__RecordStatus *status,
                   uint32_t matched_version)
{
    x->outcome = outcome;
    x->record_id = dup_or_empty(record_id);
    x->version = version;
    x->matched_version = matched_version;
    x->status = malloc(sizeof *x->status);
    if (x->status) {
        credit__v1__record_status__init(x->status);
        if (status) {
            x->status->disputed = status->disputed;
            x->status->repaired = status->repaired;
            x->status->withdrawn = status->withdrawn;
            x->status->publicity_ended = status->publicity_ended;
            x->status->verification = status->verification;
        }
    }
    r->accepted++;
}

static void today(Credit__V1__Date *d)
{
    calendar_from_unix((int64_t)time(NULL), d);
}

static check_unit unit_of(const principal *p)
{
    check_unit u = {p->code, p->kind};
    return u;
}

/* The channel a record came through: its own, or the pushing unit kind's usual one. */
static int channel_of(const record_view *v, const principal *p)
{
    return v->channel ? v->channel : record_default_channel(p->kind);
}

/* The member `name` of message `m` (a message field), or NULL. */
static const ProtobufCFieldDescriptor *field_named(const ProtobufCMessage *m, const char *name)
{
    return protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
}

/* The source's modification time of an input, or NULL. */
static const Google__Protobuf__Timestamp *source_updated_at(const record_view *v)
{
    const ProtobufCFieldDescriptor *fd = field_named(v->message, "source_updated_at");
    return fd ? *(Google__Protobuf__Timestamp *const *)((const char *)v->message + fd->offset)
              : NULL;
}

/* SHA-256 of the input as pushed, channel default filled in, source_updated_at left out (the
 * same facts again with a later modification time are the same content). The input itself is
 * packed with those two members set for the moment and put back: no copy of it is made. The
 * packing goes into a buffer on the stack, or the heap past it. */
static int digest_of(const record_view *v, const principal *p, unsigned char out[32])
{
    ProtobufCMessage *in = (ProtobufCMessage *)v->message;
    const ProtobufCFieldDescriptor *ch = field_named(in, "channel");
    const ProtobufCFieldDescriptor *su = field_named(in, "source_updated_at");
    int channel = 0;
    void *updated = NULL;
    uint8_t scratch[4096];
    unsigned int len = 0;
    int ok;

    if (ch) {
        memcpy(&channel, (char *)in + ch->offset, sizeof channel);
        int filled = channel_of(v, p);
        memcpy((char *)in + ch->offset, &filled, sizeof filled);
    }
    if (su) {
        memcpy(&updated, (char *)in + su->offset, sizeof updated);
        memset((char *)in + su->offset, 0, sizeof updated);
    }
    size_t want = protobuf_c_message_get_packed_size(in);
    uint8_t *data = want <= sizeof scratch ? scratch : malloc(want);
    if (data)
        protobuf_c_message_pack(in, data);
    if (ch)
        memcpy((char *)in + ch->offset, &channel, sizeof channel);
    if (su)
        memcpy((char *)in + su->offset, &updated, sizeof updated);
    ok = data && EVP_Digest(data, want, out, &len, algs_sha256(), NULL) == 1 && len == 32;
    if (data != scratch)
        free(data);
    return ok ? 0 : -1;
}

/* The section code a record is filed under: the category's name for the public catalogue. */
static const char *section_of(const record_view *v)
{
    const ProtobufCEnumValue *e;

    if (v->catalogue != CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC)
        return v->section ? v->section : "";
    e = protobuf_c_enum_descriptor_get_value(&credit__v1__category__descriptor, v->category);
    return e ? e->name + strlen("CATEGORY_") : "";
}

/* The stored form of a new version, made in place over the input it borrows from: no copy of
 * the record, and no pack and unpack (version_cleanup frees what sealing added). */
typedef struct version_msg {
    Credit__Store__V1__StoredRecord sr;
    Credit__V1__Record rec;
    Credit__V1__RecordMeta meta;
    Google__Protobuf__Timestamp reported;
} version_msg;

static void version_cleanup(version_msg *vm)
{
    free(vm->sr.sealed_subject_identifier.data);
    free(vm->sr.sealed_tax_number.data);
    free(vm->sr.sealed_legal_representative_id.data);
}

/* Builds the stored form of a version from the input into *vm (clean it up with
 * version_cleanup, also after a failure). It borrows the input's strings and messages: the
 * input was unpacked for this call, and sealing (stage_subject) replaces its personal numbers
 * in place, as it would in a copy. Returns 0, or -1 (no body member to put it in). */
static int build_version(version_msg *vm, const record_view *in, const kind *k,
                         const catalog_version *cv, const principal *p, const char *rid,
                         uint32_t version, const Credit__V1__RecordStatus *status,
                         const char *reason, const unsigned char digest[32], const char *skey,
                         size_t skey_len, const Google__Protobuf__Timestamp *src_t)
{
    Credit__Store__V1__StoredRecord sr0 = CREDIT__STORE__V1__STORED_RECORD__INIT;
    vm->sr = sr0;
    node_now(&vm->reported);

    Credit__V1__RecordMeta meta = CREDIT__V1__RECORD_META__INIT;
    meta.record_id = (char *)rid;
    meta.catalogue = k->catalogue;
    meta.category = in->category;
    meta.section = (char *)section_of(in);
    meta.subject = (Credit__V1__Subject *)in->subject;
    meta.association = (Credit__V1__AssociationRef *)in->association;
    meta.source_unit = (char *)p->code;
    meta.source_record_id = (char *)in->source_record_id;
    meta.channel = channel_of(in, p);
    meta.occurred_at = (Google__Protobuf__Timestamp *)in->occurred_at;
    meta.source_updated_at = (Google__Protobuf__Timestamp *)src_t;
    meta.reported_at = &vm->reported;
    meta.catalogue_version = cv->msg->version;
    meta.version = version;
    meta.status = (Credit__V1__RecordStatus *)status;
    meta.change_reason = (char *)(reason ? reason : "");

    Credit__V1__Record rec = CREDIT__V1__RECORD__INIT;
    rec.meta = &meta;
    /* The record's body member has the input's member's name (record_check made sure one is
     * set; fill_defaults gave a penalty its end of publicity). */
    const ProtobufCFieldDescriptor *rf = protobuf_c_message_descriptor_get_field_by_name(
        &credit__v1__record__descriptor, in->body_field->name);
    const ProtobufCMessage *body = in->body;
    if (!rf)
        return -1;
    /* Through memcpy, not a cast pointer: the members are of the body's own type, and a store
     * through another pointer type does not alias them — the Release build (-O3) dropped it
     * and stored a body case with no body; the sanitizers' instrumentation hid that. */
    uint32_t body_case = rf->id;
    memcpy((char *)&rec + rf->quantifier_offset, &body_case, sizeof body_case);
    memcpy((char *)&rec + rf->offset, &body, sizeof body);
    /* The input's map entries pack exactly as the record's: same fields, same numbers. */
    rec.extra = (Credit__V1__Record__ExtraEntry **)in->extra;
    rec.n_extra = in->n_extra;
    vm->meta = meta;
    vm->rec = rec;
    vm->rec.meta = &vm->meta;
    vm->sr.record = &vm->rec;
    vm->sr.content_digest.data = (uint8_t *)digest;
    vm->sr.content_digest.len = 32;
    vm->sr.subject_key.data = (uint8_t *)skey;
    vm->sr.subject_key.len = skey_len;
    return 0;
}

/* Seals and adds a version to the batch, superseding `prev` (the version stored before it,
 * as read; NULL for a version 1), with what its subject brings: the codes `sub` binds
 * (remembered in `pend` for the rest of the batch) and, when the version is filed under
 * another subject key than prev (an older code since bound to the USCC the record now
 * states), the move of its index entry. Adds everything or nothing. Returns 0, or -1 with a
 * reason in why[200]. */
static int stage_subject(node *n, store_batch *b, Credit__Store__V1__StoredRecord *sr,
                         const subjects_resolution *sub,
                         const Credit__Store__V1__StoredRecord *prev, subjects_pending *pend,
                         char *why)
{
    const void *old_key = prev ? prev->subject_key.data : NULL;
    size_t old_len = prev ? prev->subject_key.len : 0;
    char err[STORE_ERR_LEN];
    const char *rid = sr->record->meta->record_id;
    if (sub && subjects_reserve(pend, sub->n_bind) != 0) {
        snprintf(why, 200, "out of memory");
        return -1;
    }
    if (records_seal(n->pv, sr, err) != 0) {
        snprintf(why, 200, "cannot seal personal numbers: %.150s", err);
        return -1;
    }
    if (records_put_version(b, sr, (const char *)sr->subject_key.data, sr->subject_key.len,
                            prev) != 0) {
        snprintf(why, 200, "the record cannot be indexed");
        return -1;
    }
    /* An entry that cannot exist needs no removal (records_unindex_subject adds none). */
    if (old_key &&
        (old_len != sr->subject_key.len || memcmp(old_key, sr->subject_key.data, old_len)))
        (void)records_unindex_subject(b, old_key, old_len, rid);
    if (sub)
        subjects_bind(b, pend, sub); /* cannot fail after subjects_reserve */
    return 0;
}

/* The status a new version carries over from the one before (objections, repairs and a
 * withdrawal stay with the record). */
static Credit__V1__RecordStatus carry_status(const Credit__Store__V1__StoredRecord *prev,
                                             const kind *k)
{
    Credit__V1__RecordStatus s = CREDIT__V1__RECORD_STATUS__INIT;
    if (prev && prev->record->meta->status) {
        s.disputed = prev->record->meta->status->disputed;
        s.repaired = prev->record->meta->status->repaired;
        s.withdrawn = prev->record->meta->status->withdrawn;
    }
    /* New content waits for verification again. */
    if (k->verified)
        s.verification = CREDIT__V1__VERIFICATION__VERIFICATION_PENDING;
    return s;
}

/* "2024-01-05T08:00:00Z" (seconds; a fraction when there is one) into out[40]. */
static void format_time(const Google__Protobuf__Timestamp *t, char *out)
{
    struct tm tm;
    time_t secs = (time_t)t->seconds;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(out, 40, "%lld s", (long long)t->seconds);
        return;
    }
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    if (t->nanos)
        n += (size_t)snprintf(out + n, 40 - n, ".%09d", (int)t->nanos);
    snprintf(out + n, 40 - n, "Z");
}

static int time_cmp(const Google__Protobuf__Timestamp *a, const Google__Protobuf__Timestamp *b)
{
    if (a->seconds != b->seconds)
        return a->seconds < b->seconds ? -1 : 1;
    return (a->nanos > b->nanos) - (a->nanos < b->nanos);
}

/* A source's modification time, when given, is a real instant not in the future. Returns 0,
 * or -1 with f filled. */
static int check_source_time(const Google__Protobuf__Timestamp *t, check_failure *f)
{
    if (!t)
        return 0;
    int kind;
    const char *mistake = record_timestamp_mistake(t, &kind);
    f->code = RPC_INVALID_ARGUMENT;
    f->reason_code = REASON_OUT_OF_RANGE;
    if (mistake) {
        f->reason_code = kind;
        snprintf(f->reason, sizeof f->reason, "%s", mistake);
    } else if (t->nanos < 0 || t->nanos > 999999999)
        snprintf(f->reason, sizeof f->reason, "has nanos %d, outside 0 to 999999999",
                 (int)t->nanos);
    else if (t->seconds < -2208988800LL) /* 1900-01-01T00:00:00Z */
        snprintf(f->reason, sizeof f->reason, "is before 1900-01-01");
    else if (t->seconds > (int64_t)time(NULL) + FUTURE_SKEW_SECONDS) {
        f->reason_code = REASON_FUTURE_DATE;
        snprintf(f->reason, sizeof f->reason,
                 "is in the future (more than %d s ahead of the node's clock); it would make "
                 "every later change of the record look stale",
                 FUTURE_SKEW_SECONDS);
    } else
        return 0;
    /* Named only on a refusal: a time that passes (every record's) formats nothing. */
    snprintf(f->field, sizeof f->field, "source_updated_at");
    return -1;
}

/* Whether a push of new content for stored record `m` is in order: not a revival of a
 * withdrawn record, not older than what is stored. Returns 0, or -1 with f filled. */
static int check_change(const Credit__V1__RecordMeta *m, const Google__Protobuf__Timestamp *in_t,
                        check_failure *f)
{
    const Google__Protobuf__Timestamp *st = m->source_updated_at;
    char a[40], b[40];
    f->code = RPC_FAILED_PRECONDITION;
    if (m->status && m->status->withdrawn) {
        f->reason_code = REASON_WITHDRAWN;
        snprintf(f->field, sizeof f->field, "source_record_id");
        snprintf(f->reason, sizeof f->reason,
                 "record %s is withdrawn (version %u); a push does not revive it: its source "
                 "unit reinstates it (Reinstate), or pushes it under a new source_record_id",
                 m->record_id, m->version);
        return -1;
    }
    if (!st)
        return 0;
    snprintf(f->field, sizeof f->field, "source_updated_at");
    format_time(st, b);
    if (!in_t) {
        f->reason_code = REASON_REQUIRED;
        snprintf(f->reason, sizeof f->reason,
                 "is required: version %u of record %s was changed by the source at %s, so a "
                 "change must say when the source made it",
                 m->version, m->record_id, b);
        return -1;
    }
    if (time_cmp(in_t, st) <= 0) {
        f->reason_code = REASON_STALE;
        format_time(in_t, a);
        snprintf(f->reason, sizeof f->reason,
                 "%s is not later than %s, the source time of version %u of record %s: a stale "
                 "re-send; nothing was written",
                 a, b, m->version, m->record_id);
        return -1;
    }
    return 0;
}

/* Fills in what the node fills in when the input leaves it out, so that stating the default
 * and leaving it out are the same content: a penalty's end of publicity (its severity's
 * maximum). Call after record_check passed. Returns 1 (filled: unfill_defaults takes it out
 * again), 0 (nothing to fill), or -1 when out of memory. */
static int fill_defaults(const record_view *in, const catalog_version *cv)
{
    if (!in->body || in->body->descriptor != &credit__v1__penalty__descriptor)
        return 0;
    Credit__V1__Penalty *pen = (Credit__V1__Penalty *)in->body;
    if (pen->publicity_end_date)
        return 0;
    /* The input was unpacked by protobuf-c: a malloc'd member is freed with it. */
    Credit__V1__Date *end = malloc(sizeof *end);
    if (!end)
        return -1;
    credit__v1__date__init(end);
    publicity_default_end(pen, catalog_public_section(cv, in->category), end);
    pen->publicity_end_date = end;
    return 1;
}

/* Takes out what fill_defaults filled in, so that the input can be checked again under
 * another catalogue version. */
static void unfill_defaults(const record_view *in)
{
    Credit__V1__Penalty *pen = (Credit__V1__Penalty *)in->body;
    free(pen->publicity_end_date);
    pen->publicity_end_date = NULL;
}

/* What the checks that read nothing stored found about one input under catalogue version
 * `cv` on day `day`: push_group runs them for every input of a call before it takes any
 * lock, so that calls check in parallel, and a stream runs them as its messages arrive
 * (stream_keep), while the client is still sending. Small, because a stream keeps one per
 * record: the faults of a refused input are on the heap. */
typedef struct precheck {
    record_view v;
    unsigned oom : 1;          /* out of memory checking it */
    unsigned index_failed : 1; /* its defaults or digest could not be made */
    unsigned filled : 1;       /* fill_defaults filled something in */
    check_failure *f;          /* NULL, or why record_check or check_source_time refused it */
    unsigned char digest[32];
} precheck;

typedef struct precheck_ctx {
    const principal *p;
    const kind *k;
    const catalog_version *cv;
    Credit__V1__Date day;
} precheck_ctx;

static void precheck_cleanup(precheck *pc)
{
    free(pc->f);
    pc->f = NULL;
}

/* The lock-free part of push_one, in its order: canonical form, normal spelling of the
 * codes, the record's own checks, then its defaults and content digest. Run again over the
 * same input (another catalogue version, another day), it starts from the input as it was
 * received but for the canonical form and the spelling, which it does not change again. */
static void push_precheck(const precheck_ctx *cx, ProtobufCMessage *input, precheck *pc)
{
    if (pc->filled)
        unfill_defaults(&pc->v);
    precheck_cleanup(pc);
    memset(pc, 0, sizeof *pc);
    if (canon_message(input) != 0) {
        pc->oom = 1;
        return;
    }
    record_view_of(input, cx->k->catalogue, &pc->v);
    /* The codes in their normal spelling before anything reads them (identity.h). */
    identity_normalise_subject((Credit__V1__Subject *)pc->v.subject);
    const record_view *in = &pc->v;
    check_unit unit = unit_of(cx->p);
    record_normalise_ids(in);
    check_failure f;
    if (record_check(in, &unit, cx->cv, &cx->day, &f) != 0 ||
        check_source_time(source_updated_at(in), &f) != 0) {
        if (!(pc->f = malloc(sizeof *pc->f)))
            pc->oom = 1;
        else
            *pc->f = f;
        return;
    }
    int filled = fill_defaults(in, cx->cv);
    pc->filled = filled == 1;
    if (filled < 0 || digest_of(in, cx->p, pc->digest) != 0)
        pc->index_failed = 1;
}

static void precheck_ctx_now(precheck_ctx *cx, rpc_call *call)
{
    cx->p = node_caller(call);
    cx->k = kind_of(call);
    cx->cv = catalog_now(((node *)rpc_call_app(call))->cat);
    today(&cx->day);
}

/* Whether prechecks made under `was` hold under `now`: the same catalogue version, the same
 * day (caller and kind are the call's). */
static int precheck_ctx_same(const precheck_ctx *was, const precheck_ctx *now)
{
    return was->cv == now->cv && was->day.year == now->day.year &&
           was->day.month == now->day.month && was->day.day == now->day.day;
}

/* Checks what remains against the store and stages one pushed record into `b`. Called with
 * the unit's lock held (and bind_mu when *binding), after push_precheck; takes bind_mu and
 * sets *binding when the record binds a code. Returns 1 if the record was accepted (created,
 * unchanged or a new version), else 0. */
static int push_one(node *n, const principal *p, const kind *k, const catalog_version *cv,
                    const precheck *pc, int index, store_batch *b, subjects_pending *pend,
                    int *binding, feed_changes *fc, results *r)
{
    Credit__V1__PushResult *x = result_add(r, index);
    if (!x)
        return 0;
    const record_view *in = &pc->v;
    check_failure f;
    f.n_faults = 0; /* may_push fills code, field and reason only */
    f.collecting = 0;
    const Google__Protobuf__Timestamp *in_t = source_updated_at(in);
    if (pc->f) {
        reject_faults(r, x, pc->f->code, pc->f->reason_code, pc->f->field, pc->f->reason, pc->f);
        return 0;
    }
    if (k->may_push && k->may_push(n, p, in, &f)) {
        reject(r, x, f.code, f.reason_code, f.field, f.reason);
        return 0;
    }
    /* Who the record is about: its USCC's key, or an older code's until one is bound. */
    subjects_resolution sub;
    int resolved = subjects_resolve(n->st, pend, n->pv, in->subject, &sub, &f);
    /* A record that binds codes needs bind_mu from here until the call's write, and its
     * subject resolved again under it (another unit may have bound them meanwhile). Bindings
     * are never undone, so what a record resolved to without binding stays true. */
    if (resolved == 0 && sub.n_bind && !*binding) {
        pthread_mutex_lock(&bind_mu);
        *binding = 1;
        resolved = subjects_resolve(n->st, pend, n->pv, in->subject, &sub, &f);
    }
    if (resolved != 0) {
        reject(r, x, f.code, f.reason_code, f.field, f.reason);
        return 0;
    }
    const unsigned char *digest = pc->digest;
    const char *skey = sub.key;
    size_t skey_len = sub.key_len;
    if (pc->index_failed) {
        reject(r, x, RPC_INTERNAL, REASON_OTHER, "", "cannot index the record");
        return 0;
    }
    char rid[RECORD_ID_LEN + 1], err[STORE_ERR_LEN], why[200];
    Credit__Store__V1__StoredRecord *prev = NULL;
    version_msg vm;
    memset(&vm, 0, sizeof vm);
    uint32_t version = 1, matched = 0;
    int ok = 0;
    int rc = records_by_source(n->st, p->code, in->source_record_id, rid, err);
    if (rc == 0 && (rc = records_get(n->st, NULL, rid, &prev, err)) == 0) {
        const Credit__V1__RecordMeta *m = prev->record->meta;
        /* A unit's source record id names one record, whatever its catalogue. */
        if ((int)m->catalogue != k->catalogue) {
            snprintf(why, sizeof why,
                     "is already record %s of the %s catalogue; give this record its own id",
                     rid, catalog_catalogue_name(m->catalogue));
            reject(r, x, RPC_FAILED_PRECONDITION, REASON_SOURCE_ID_TAKEN, "source_record_id", why);
            goto out;
        }
        /* Content some version already holds: nothing to write, whatever happened since. */
        if (prev->content_digest.len == 32 && memcmp(prev->content_digest.data, digest, 32) == 0)
            matched = m->version;
        else if ((rc = records_version_with_digest(n->st, rid, digest, &matched, err)) != 0)
            goto unreadable;
        if (matched) {
            accept(r, x, CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_UNCHANGED, rid, m->version,
                   m->status, matched);
            ok = 1;
            goto out;
        }
        if (check_change(m, in_t, &f) != 0) {
            reject(r, x, f.code, f.reason_code, f.field, f.reason);
            goto out;
        }
        /* The same subject, though perhaps under another key: a record filed under an older
         * code before the code was bound may come again under the USCC. */
        rc = subjects_same(n->st, pend, prev->subject_key.data, prev->subject_key.len, &sub);
        if (rc < 0) {
            snprintf(err, sizeof err, "the subject index cannot be read");
            goto unreadable;
        }
        if (!rc) {
            reject(r, x, RPC_FAILED_PRECONDITION, REASON_SUBJECT_CHANGED, "subject",
                   "differs from the subject stored for this source record; withdraw it and "
                   "push the record under a new source_record_id");
            goto out;
        }
        version = m->version + 1;
        rc = 0;
    } else if (rc == STORE_ENOTFOUND) {
        records_new_id(rid);
    } else {
        goto unreadable;
    }
    Credit__V1__RecordStatus status = carry_status(prev, k);
    if (build_version(&vm, in, k, cv, p, rid, version, &status, NULL, digest, skey, skey_len,
                      in_t) != 0) {
        reject(r, x, RPC_INTERNAL, REASON_OTHER, "",
               "the record has no body the stored form takes");
        goto out;
    }
    if (stage_subject(n, b, &vm.sr, &sub, prev, pend, why) != 0) {
        reject(r, x, RPC_RESOURCE_EXHAUSTED, REASON_OTHER, "", why);
        goto out;
    }
    accept(r, x, version == 1 ? CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED
                              : CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_NEW_VERSION,
           rid, version, &status, 0);
    feed_changes_add_record(fc, CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_VERSION, vm.sr.record);
    ok = 1;
    goto out;
unreadable:
    log_event(LOG_ERROR, "store", "op=push err=%s", err);
    reject(r, x, status_from_store(rc), REASON_OTHER, "",
           "the store cannot be read now; push again");
out:
    if (prev)
        credit__store__v1__stored_record__free_unpacked(prev, NULL);
    version_cleanup(&vm);
    return ok;
}

/* The source record ids accepted so far in one call, with their indexes: an open-addressing
 * hash set, so that a call of STREAM_MAX records costs no quadratic scan. */
typedef struct seen_set {
    const char **ids; /* borrowed from the inputs */
    int *index;
    size_t cap;       /* a power of two, at least twice the records of the call */
} seen_set;

static int seen_init(seen_set *s, size_t n)
{
    s->cap = 16;
    while (s->cap < 2 * n)
        s->cap *= 2;
    s->ids = calloc(s->cap, sizeof *s->ids);
    s->index = calloc(s->cap, sizeof *s->index);
    return s->ids && s->index ? 0 : -1;
}

static void seen_cleanup(seen_set *s)
{
    free(s->ids);
    free(s->index);
}

/* The slot of `id`: where it is, or the empty one where it would go. */
static size_t seen_slot(const seen_set *s, const char *id)
{
    size_t i = (size_t)fnv1a(id) & (s->cap - 1);
    while (s->ids[i] && strcmp(s->ids[i], id) != 0)
        i = (i + 1) & (s->cap - 1);
    return i;
}

/* Pushes inputs[0..n) (their indexes starting at `first`) in one batch with one audit entry.
 * Returns 0 with the write's *ticket (written, not yet fsynced: answer with reply_results),
 * or -1 after finishing the call (the store refused the write: nothing of the call was
 * stored, and the caller learns it as UNAVAILABLE). The unit's lock (and bind_mu, if a
 * record binds) is held for the checks and the write, not for the fsync: a later push that
 * reads the source index sees this write, and its own acknowledgement waits for an fsync that
 * covers both (group commit, audit.h).
 *
 * `made` (NULL: none) holds the inputs' prechecks, made under *made_cx as a stream's messages
 * arrived; they are used if the catalogue version and the day are still the same, and made
 * again in place otherwise (the caller frees them). */
static int push_group(rpc_call *call, ProtobufCMessage *const *inputs, size_t n, int first,
                      precheck *made, const precheck_ctx *made_cx, results *r, uint64_t *ticket)
{
    node *nd = rpc_call_app(call);
    const kind *k = kind_of(call);
    const principal *p = node_caller(call);
    store_batch *b = store_batch_create();
    seen_set seen;
    subjects_pending pend;
    feed_changes fc;
    precheck *pc = made, *own = NULL;
    precheck_ctx cx;
    int rc = -1;
    subjects_pending_init(&pend);
    feed_changes_init(&fc);
    if (seen_init(&seen, n) != 0 || !b) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was stored");
        goto out;
    }
    uint32_t acc0 = r->accepted, rej0 = r->rejected;
    /* The version in force when the node accepts the records: each names it. */
    precheck_ctx_now(&cx, call);
    const catalog_version *cv = cx.cv;
    if (!pc && !(pc = own = calloc(n ? n : 1, sizeof *pc))) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was stored");
        goto out;
    }
    if (!made || !precheck_ctx_same(made_cx, &cx))
        for (size_t i = 0; i < n; i++)
            push_precheck(&cx, inputs[i], &pc[i]);
    pthread_mutex_t *mu = unit_lock(p->code);
    int binding = 0; /* bind_mu held */
    pthread_mutex_lock(mu);
    size_t written = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = store_batch_count(b);
        const record_view *vp = &pc[i].v;
        if (pc[i].oom) {
            Credit__V1__PushResult *x = result_add(r, first + (int)i);
            if (x)
                reject(r, x, RPC_RESOURCE_EXHAUSTED, REASON_OTHER, "", "out of memory");
            continue;
        }
        size_t slot = seen_slot(&seen, vp->source_record_id);
        if (seen.ids[slot]) {
            char why[120];
            Credit__V1__PushResult *x = result_add(r, first + (int)i);
            snprintf(why, sizeof why,
                     "the same source record was accepted earlier in this call (index %d); a "
                     "source record appears once per call",
                     seen.index[slot]);
            if (x)
                reject(r, x, RPC_INVALID_ARGUMENT, REASON_REPEATED_IN_CALL, "source_record_id",
                       why);
            continue;
        }
        if (push_one(nd, p, k, cv, &pc[i], first + (int)i, b, &pend, &binding, &fc, r)) {
            seen.ids[slot] = vp->source_record_id;
            seen.index[slot] = first + (int)i;
        }
        written += store_batch_count(b) > before;
    }
    char detail[200];
    snprintf(detail, sizeof detail, "pushed %zu %s: %u accepted, %u rejected (%zu written)", n,
             k->noun, r->accepted - acc0, r->rejected - rej0, written);
    rc = node_commit_feed_start(call, b, &fc, detail, ticket);
    if (binding)
        pthread_mutex_unlock(&bind_mu);
    pthread_mutex_unlock(mu);
out:
    feed_changes_cleanup(&fc);
    for (size_t i = 0; own && i < n; i++)
        precheck_cleanup(&own[i]);
    free(own);
    seen_cleanup(&seen);
    subjects_pending_cleanup(&pend);
    store_batch_destroy(b);
    return rc;
}

/* Answers the results once the write of `ticket` is fsynced (node_reply_durable). */
static void reply_results(rpc_call *call, results *r, uint64_t ticket)
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
    node_reply_durable(call, &resp.base, ticket);
    free(ptrs);
}

/* The records of a batch request: every one is { repeated <Input> records = 1; }. */
static ProtobufCMessage *const *batch_records(const ProtobufCMessage *msg, size_t *n)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "records");
    *n = *(const size_t *)((const char *)msg + fd->quantifier_offset);
    return *(ProtobufCMessage *const *const *)((const char *)msg + fd->offset);
}

static void push_batch(rpc_call *call, const ProtobufCMessage *msg)
{
    size_t n;
    ProtobufCMessage *const *records = batch_records(msg, &n);
    if (n == 0 || n > BATCH_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "records: a batch holds 1 to %d records, not %zu",
                   BATCH_MAX, n);
        return;
    }
    results r = {0};
    uint64_t ticket = 0;
    if (push_group(call, records, n, 0, NULL, NULL, &r, &ticket) == 0)
        reply_results(call, &r, ticket);
    results_free(&r);
}

/* --- The client-streaming pushes: Push (a record a message), PushBatches (a batch a message) */

/* The records of a stream, kept until the client's half-close. A Push message is a record;
 * a PushBatches message is a batch whose records are borrowed from it, so `owned` keeps the
 * messages as received and `records` the inputs in stream order, which is the order of their
 * results' indexes. */
typedef struct stream_state {
    ProtobufCMessage **records;
    size_t n, cap;
    ProtobufCMessage **owned;
    size_t n_owned, cap_owned;
    size_t bytes;      /* the messages' size on the wire */
    precheck *pc;      /* pc[i]: records[i]'s precheck, made under cx as it arrived */
    size_t cap_pc;
    precheck_ctx cx;
} stream_state;

static void stream_free(stream_state *s)
{
    for (size_t i = 0; i < s->n; i++)
        precheck_cleanup(&s->pc[i]);
    free(s->pc);
    for (size_t i = 0; i < s->n_owned; i++)
        protobuf_c_message_free_unpacked(s->owned[i], NULL);
    free(s->owned);
    free(s->records);
    free(s);
}

/* Makes room for `more` pointers in v[0..n) of capacity *cap. Returns 0, or -1. */
static int room_for(ProtobufCMessage ***v, size_t n, size_t *cap, size_t more)
{
    if (n + more <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < n + more)
        c *= 2;
    ProtobufCMessage **nv = realloc(*v, c * sizeof *nv);
    if (!nv)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

/* Makes room for n more prechecks in s->pc (zeroed). Returns 0, or -1. */
static int prechecks_room(stream_state *s, size_t n)
{
    if (s->n + n <= s->cap_pc)
        return 0;
    size_t c = s->cap_pc ? s->cap_pc : 64;
    while (c < s->n + n)
        c *= 2;
    precheck *v = realloc(s->pc, c * sizeof *v);
    if (!v)
        return -1;
    memset(v + s->cap_pc, 0, (c - s->cap_pc) * sizeof *v);
    s->pc = v;
    s->cap_pc = c;
    return 0;
}

/* Keeps message `msg` of a stream, which carries records[0..n) (msg itself for Push), until
 * the half-close; or finishes the call: the caller is no longer what it was, or the stream
 * would pass STREAM_MAX records or STREAM_BYTES_MAX bytes (RESOURCE_EXHAUSTED). */
static void stream_keep(rpc_call *call, const ProtobufCMessage *msg,
                        ProtobufCMessage *const *records, size_t n)
{
    stream_state *s = rpc_call_data(call);
    /* A suspension or revocation takes effect on a stream already open. */
    if (node_caller_current(call, "nothing of this stream was stored") != 0)
        return;
    if (!s) {
        if (!(s = calloc(1, sizeof *s))) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was stored");
            return;
        }
        rpc_call_set_data(call, s);
    }
    size_t size = rpc_call_message_size(call);
    if (n > STREAM_MAX - s->n || s->bytes + size > STREAM_BYTES_MAX) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED,
                   "a stream holds at most %d records and %u MiB; nothing of this stream was "
                   "stored: send the records as several streams",
                   STREAM_MAX, STREAM_BYTES_MAX >> 20);
        return;
    }
    if (room_for(&s->records, s->n, &s->cap, n) != 0 ||
        room_for(&s->owned, s->n_owned, &s->cap_owned, 1) != 0 || prechecks_room(s, n) != 0) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was stored");
        return;
    }
    /* Keep the message itself (no copy): the RPC layer leaves it to us, and stream_free
     * frees it. It was unpacked for this call, so canonicalising its records in place is ours
     * to do: now, while the client sends the next ones, with the checks that read nothing
     * stored (push_group makes them again if the catalogue version or the day changed before
     * the half-close). */
    rpc_call_take_message(call);
    s->owned[s->n_owned++] = (ProtobufCMessage *)msg;
    if (s->n == 0)
        precheck_ctx_now(&s->cx, call);
    for (size_t i = 0; i < n; i++) {
        s->records[s->n] = records[i];
        push_precheck(&s->cx, records[i], &s->pc[s->n]);
        s->n++;
    }
    s->bytes += size;
}

static void push_stream_message(rpc_call *call, const ProtobufCMessage *msg)
{
    ProtobufCMessage *record = (ProtobufCMessage *)msg;
    stream_keep(call, msg, &record, 1);
}

/* A PushBatches message: a batch of 1 to BATCH_MAX records, as PushBatch takes. Messages
 * are counted from 1 in the refusal, as rpc.c's text check counts them. */
static void push_batches_message(rpc_call *call, const ProtobufCMessage *msg)
{
    stream_state *s = rpc_call_data(call);
    size_t n;
    ProtobufCMessage *const *records = batch_records(msg, &n);
    if (n == 0 || n > BATCH_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "records: a message of the stream holds 1 to %d records, not %zu (message "
                   "%zu of the stream); nothing of this stream was stored",
                   BATCH_MAX, n, (s ? s->n_owned : 0) + 1);
        return;
    }
    stream_keep(call, msg, records, n);
}

/* The client has sent everything (rpc.c made sure it half-closed and did not reset the
 * stream): the records are written now, in one batch, or not at all. */
static void push_stream_end(rpc_call *call)
{
    stream_state *s = rpc_call_data(call);
    if (!s) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "records: the stream held no record");
        return;
    }
    if (node_caller_current(call, "nothing of this stream was stored") != 0)
        return;
    results r = {0};
    uint64_t ticket = 0;
    if (push_group(call, s->records, s->n, 0, s->pc, &s->cx, &r, &ticket) == 0)
        reply_results(call, &r, ticket);
    results_free(&r);
}

static void push_stream_done(rpc_call *call, int cancelled)
{
    (void)cancelled;
    stream_state *s = rpc_call_data(call);
    if (!s)
        return;
    stream_free(s);
    rpc_call_set_data(call, NULL);
}

/* --- Correction and withdrawal -------------------------------------------------------------- */

/* Finishes the call unless `s` is a reason: 1 to REASON_MAX bytes of text. Returns 0 if good. */
static int check_reason(rpc_call *call, const char *field, const char *s)
{
    check_failure f;
    if (record_check_free_text(field, s, REASON_MAX, 1, &f) == 0)
        return 0;
    rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: %s", f.field, f.reason);
    return -1;
}

/* Loads a record the caller pushed through this service, for a change of its own (`what`:
 * "correct"). Finishes the call and returns NULL when it cannot. */
static Credit__Store__V1__StoredRecord *own_record(rpc_call *call, const char *record_id,
                                                   const char *reason, const char *what)
{
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    char err[STORE_ERR_LEN];
    if (records_check_id(record_id) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "record_id: not a record id (32 hex characters)");
        return NULL;
    }
    if (check_reason(call, "reason", reason) != 0)
        return NULL;
    Credit__Store__V1__StoredRecord *sr = NULL;
    int rc = records_get(n->st, NULL, record_id, &sr, err);
    if (rc == STORE_ENOTFOUND) {
        rpc_finish(call, RPC_NOT_FOUND, "no record %s", record_id);
        return NULL;
    }
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), "the store cannot be read now");
        return NULL;
    }
    const Credit__V1__RecordMeta *m = sr->record->meta;
    if (strcmp(m->source_unit, p->code) != 0)
        rpc_finish(call, RPC_PERMISSION_DENIED,
                   "record %s was pushed by unit %s; only its source unit changes it", record_id,
                   m->source_unit);
    else if ((int)m->catalogue != kind_of(call)->catalogue)
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "record %s is a %s record; %s it through its own service", record_id,
                   catalog_catalogue_name(m->catalogue), what);
    else
        return sr;
    credit__store__v1__stored_record__free_unpacked(sr, NULL);
    return NULL;
}

/* Writes `next`, which supersedes `prev` (as stored), with its audit entry and replies. A
 * correction passes its subject's resolution (else NULL). */
static void reply_change_subject(rpc_call *call, Credit__Store__V1__StoredRecord *next,
                                 const char *what, const subjects_resolution *sub,
                                 const Credit__Store__V1__StoredRecord *prev)
{
    node *n = rpc_call_app(call);
    char why[200], detail[200];
    subjects_pending pend;
    subjects_pending_init(&pend);
    store_batch *b = store_batch_create();
    int staged = b ? stage_subject(n, b, next, sub, prev, &pend, why) : -1;
    subjects_pending_cleanup(&pend);
    if (staged != 0) {
        store_batch_destroy(b);
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "%s; nothing was stored",
                   b ? why : "out of memory");
        return;
    }
    const Credit__V1__RecordMeta *m = next->record->meta;
    snprintf(detail, sizeof detail, "%s record %s, now version %u", what, m->record_id,
             m->version);
    /* The feed tells a withdrawal and its undoing from any other new version. */
    feed_changes fc;
    feed_changes_init(&fc);
    int kind = CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_VERSION;
    if (strcmp(what, "withdrew") == 0)
        kind = CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_WITHDRAWN;
    else if (strcmp(what, "reinstated") == 0)
        kind = CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_REINSTATED;
    feed_changes_add_record(&fc, kind, next->record);
    int committed = node_commit_feed(call, b, &fc, detail);
    feed_changes_cleanup(&fc);
    if (committed == 0) {
        Credit__V1__PushResult res = CREDIT__V1__PUSH_RESULT__INIT;
        res.outcome = CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_NEW_VERSION;
        res.record_id = m->record_id;
        res.version = m->version;
        res.status = m->status;
        rpc_reply(call, &res.base);
    }
    store_batch_destroy(b);
}


/* The fields of a correction request ({record_id, record, reason} in every service). */
static const char *string_field(const ProtobufCMessage *m, const char *name)
{
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    return fd ? *(char *const *)((const char *)m + fd->offset) : "";
}

static void correct(rpc_call *call, const ProtobufCMessage *msg)
{
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    const kind *k = kind_of(call);
    const ProtobufCFieldDescriptor *rfd =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "record");
    const ProtobufCMessage *record = *(ProtobufCMessage *const *)((const char *)msg + rfd->offset);
    const char *record_id = string_field(msg, "record_id"), *reason = string_field(msg, "reason");
    if (!record) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "record: the corrected record is required");
        return;
    }
    /* The request was unpacked for this call: putting it in canonical form in place is ours
     * to do. */
    if (canon_message((ProtobufCMessage *)record) != 0) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    record_view v;
    record_view_of(record, k->catalogue, &v);
    identity_normalise_subject((Credit__V1__Subject *)v.subject);
    const record_view *in = &v;
    /* A correction may bind codes: it holds bind_mu too (corrections are few). */
    pthread_mutex_t *mu = unit_lock(p->code);
    pthread_mutex_lock(mu);
    pthread_mutex_lock(&bind_mu);
    Credit__Store__V1__StoredRecord *prev = own_record(call, record_id, reason, "correct");
    version_msg next;
    memset(&next, 0, sizeof next);
    if (!prev)
        goto out;
    const Credit__V1__RecordMeta *m = prev->record->meta;
    if (strcmp(in->source_record_id, m->source_record_id) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "record.source_record_id: must be the record's own (\"%.100s\")",
                   m->source_record_id);
        goto out;
    }
    check_unit unit = unit_of(p);
    const catalog_version *cv = catalog_now(n->cat);
    Credit__V1__Date d;
    today(&d);
    check_failure f;
    f.n_faults = 0; /* record_check fills it only on failure; the other checks leave it */
    f.collecting = 0;
    record_normalise_ids(in);
    const Google__Protobuf__Timestamp *in_t = source_updated_at(in);
    if (record_check(in, &unit, cv, &d, &f) != 0 || check_source_time(in_t, &f) != 0 ||
        (k->may_push && k->may_push(n, p, in, &f))) {
        rpc_finish(call, f.code, "record.%s: %s", f.field, f.reason);
        goto out;
    }
    subjects_resolution sub;
    if (subjects_resolve(n->st, NULL, n->pv, in->subject, &sub, &f) != 0) {
        rpc_finish(call, f.code, "record.%s: %s", f.field[0] ? f.field : "subject", f.reason);
        goto out;
    }
    unsigned char digest[32];
    const char *skey = sub.key;
    size_t skey_len = sub.key_len;
    if (fill_defaults(in, cv) < 0 || digest_of(in, p, digest) != 0) {
        rpc_finish(call, RPC_INTERNAL, "cannot index the record");
        goto out;
    }
    int same = subjects_same(n->st, NULL, prev->subject_key.data, prev->subject_key.len, &sub);
    if (same < 0) {
        rpc_finish(call, status_from_store(same), "the store cannot be read now");
        goto out;
    }
    if (!same) {
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "record.subject: a correction keeps the subject; withdraw the record instead");
        goto out;
    }
    if (memcmp(prev->content_digest.data, digest, 32) == 0) {
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "record: the correction changes nothing in version %u", m->version);
        goto out;
    }
    Credit__V1__RecordStatus status = carry_status(prev, k);
    status.withdrawn = m->status && m->status->withdrawn;
    /* A correction without the source's time keeps the one before: the record stays guarded
     * against stale re-sends. */
    if (build_version(&next, in, k, cv, p, m->record_id, m->version + 1, &status, reason, digest,
                      skey, skey_len, in_t ? in_t : m->source_updated_at) != 0) {
        rpc_finish(call, RPC_INTERNAL, "record: has no body the stored form takes");
        goto out;
    }
    reply_change_subject(call, &next.sr, "corrected", &sub, prev);
out:
    pthread_mutex_unlock(&bind_mu);
    pthread_mutex_unlock(mu);
    if (prev)
        credit__store__v1__stored_record__free_unpacked(prev, NULL);
    version_cleanup(&next);
}

/* Writes version + 1 of `sr`: the same content with `status`, `reason` and now as its time
 * (the stored version is unsealed first: its sealed values are sealed again under the new
 * version's associated data), and `sr` as it was stored into the history (a copy taken before
 * it changes; withdrawals, reinstatements and verdicts are few). Replies with the result. */
static void status_version(rpc_call *call, Credit__Store__V1__StoredRecord *sr,
                           const Credit__V1__RecordStatus *status, const char *reason,
                           const char *what)
{
    node *n = rpc_call_app(call);
    Credit__V1__RecordMeta *m = sr->record->meta;
    char err[STORE_ERR_LEN];
    Credit__Store__V1__StoredRecord *prev = (Credit__Store__V1__StoredRecord *)pb_copy(&sr->base);
    if (!prev) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was stored");
        return;
    }
    if (records_unseal(n->pv, sr, err) != 0) {
        rpc_finish(call, RPC_DATA_LOSS, "record %s cannot be unsealed: %s", m->record_id, err);
        credit__store__v1__stored_record__free_unpacked(prev, NULL);
        return;
    }
    Google__Protobuf__Timestamp reported;
    node_now(&reported);
    Credit__V1__RecordStatus *old_status = m->status;
    Google__Protobuf__Timestamp *old_reported = m->reported_at;
    char *old_reason = m->change_reason;
    m->status = (Credit__V1__RecordStatus *)status;
    m->version++;
    m->change_reason = (char *)reason;
    m->reported_at = &reported;
    reply_change_subject(call, sr, what, NULL, prev);
    credit__store__v1__stored_record__free_unpacked(prev, NULL);
    /* Give the unpacked message back what it owns before it is freed. */
    m->change_reason = old_reason;
    m->reported_at = old_reported;
    m->status = old_status;
}

/* The record's status, or a fresh one. */
static Credit__V1__RecordStatus status_of(const Credit__V1__RecordMeta *m)
{
    Credit__V1__RecordStatus st = CREDIT__V1__RECORD_STATUS__INIT;
    return m->status ? *m->status : st;
}

/* Withdraws (withdraw = 1) or reinstates (0) a record of the caller's, with the reason: a
 * new version with the flag changed; FAILED_PRECONDITION if it already is so. */
static void set_withdrawn(rpc_call *call, const char *record_id, const char *reason,
                          int withdraw)
{
    pthread_mutex_t *mu = unit_lock(node_caller(call)->code);
    pthread_mutex_lock(mu);
    Credit__Store__V1__StoredRecord *sr =
        own_record(call, record_id, reason, withdraw ? "withdraw" : "reinstate");
    if (!sr)
        goto out;
    Credit__V1__RecordMeta *m = sr->record->meta;
    int withdrawn = m->status && m->status->withdrawn;
    if (withdrawn == withdraw) {
        rpc_finish(call, RPC_FAILED_PRECONDITION, "record %s is %s", m->record_id,
                   withdraw ? "already withdrawn"
                            : "not withdrawn; only a withdrawn record is reinstated");
        goto out;
    }
    Credit__V1__RecordStatus st = status_of(m);
    st.withdrawn = withdraw;
    status_version(call, sr, &st, reason, withdraw ? "withdrew" : "reinstated");
out:
    pthread_mutex_unlock(mu);
    if (sr)
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
}

static void withdraw(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__WithdrawRequest *req = (const void *)msg;
    set_withdrawn(call, req->record_id, req->reason, 1);
}

static void reinstate(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ReinstateRequest *req = (const void *)msg;
    set_withdrawn(call, req->record_id, req->reason, 0);
}

/* --- Verification of voluntary declarations (the office) ---------------------------------- */

static int is_pending(const Credit__V1__RecordMeta *m)
{
    return m->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY && m->status &&
           m->status->verification == CREDIT__V1__VERIFICATION__VERIFICATION_PENDING &&
           !m->status->withdrawn;
}

/* Whether ListPending asked for `state` lists `m`: the queue (PENDING) holds only what waits for
 * a verdict; a verdict's list holds every declaration whose current version has it, withdrawn
 * ones too, so that the office can still read why it decided as it did. */
static int in_state(const Credit__V1__RecordMeta *m, Credit__V1__Verification state)
{
    if (state == CREDIT__V1__VERIFICATION__VERIFICATION_PENDING)
        return is_pending(m);
    return m->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY && m->status &&
           m->status->verification == state;
}

static void verify(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__VerifyRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    char err[STORE_ERR_LEN];
    if (check_reason(call, "reason", req->reason) != 0)
        return;
    if (records_check_id(req->record_id) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "record_id: not a record id (32 hex characters)");
        return;
    }
    /* The lock of the record's source unit: read once to learn it, again under the lock. */
    Credit__Store__V1__StoredRecord *sr = NULL;
    pthread_mutex_t *mu = NULL;
    int rc = records_get(n->st, NULL, req->record_id, &sr, err);
    if (rc == 0) {
        mu = unit_lock(sr->record->meta->source_unit);
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
        sr = NULL;
        pthread_mutex_lock(mu);
        rc = records_get(n->st, NULL, req->record_id, &sr, err);
    }
    if (rc == STORE_ENOTFOUND) {
        rpc_finish(call, RPC_NOT_FOUND, "no record %s", req->record_id);
        goto out;
    }
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), "the store cannot be read now");
        goto out;
    }
    Credit__V1__RecordMeta *m = sr->record->meta;
    if (m->catalogue != CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY) {
        rpc_finish(call, RPC_FAILED_PRECONDITION, "record %s is not a voluntary declaration",
                   m->record_id);
        goto out;
    }
    if (!is_pending(m)) {
        const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value(
            &credit__v1__verification__descriptor, m->status ? m->status->verification : 0);
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "record %s is %s%s; only a pending declaration is verified", m->record_id,
                   e ? e->name : "?", m->status && m->status->withdrawn ? " and withdrawn" : "");
        goto out;
    }
    Credit__V1__RecordStatus st = status_of(m);
    st.verification = req->verified ? CREDIT__V1__VERIFICATION__VERIFICATION_VERIFIED
                                    : CREDIT__V1__VERIFICATION__VERIFICATION_REJECTED;
    st.verification_reason = (char *)req->reason;
    st.verified_by = (char *)node_caller(call)->code;
    status_version(call, sr, &st, req->reason, req->verified ? "verified" : "rejected");
out:
    if (mu)
        pthread_mutex_unlock(mu);
    if (sr)
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
}

/* The pending declarations (or the verified or rejected ones), by record id. A scan of the
 * records: the office's queue is short, and an index of it would be one more thing to keep in
 * step. */
static void list_pending(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ListPendingRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    if (req->page_size < 0 || req->page_size > 500) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "page_size: %d is outside 0 to 500",
                   (int)req->page_size);
        return;
    }
    char after[PAGETOKEN_POS_MAX + 1];
    size_t after_len;
    if (node_page_record_after(call, msg, req->page_token, after, &after_len) != 0)
        return;
    Credit__V1__Verification state = req->verification;
    if (state == CREDIT__V1__VERIFICATION__VERIFICATION_UNSPECIFIED)
        state = CREDIT__V1__VERIFICATION__VERIFICATION_PENDING;
    if (state != CREDIT__V1__VERIFICATION__VERIFICATION_PENDING &&
        state != CREDIT__V1__VERIFICATION__VERIFICATION_VERIFIED &&
        state != CREDIT__V1__VERIFICATION__VERIFICATION_REJECTED) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "verification: %d is not PENDING, VERIFIED or REJECTED", (int)state);
        return;
    }
    records_page page;
    char err[STORE_ERR_LEN];
    int no_page = records_page_init(&page, req->page_size ? (size_t)req->page_size : 50);
    records_scan *scan = NULL;
    int rc = no_page ? STORE_ENOMEM : records_scan_open(n->st, NULL, after, &scan);
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), "out of memory");
        goto out;
    }
    Credit__Store__V1__StoredRecord *sr;
    while ((rc = records_scan_next(scan, &sr, err)) > 0) {
        if (!in_state(sr->record->meta, state)) {
            credit__store__v1__stored_record__free_unpacked(sr, NULL);
            continue;
        }
        if (records_page_add(&page, sr))
            break;
        if (records_unseal(n->pv, sr, err) != 0) {
            rpc_finish(call, RPC_DATA_LOSS, "a declaration cannot be unsealed: %s", err);
            goto out;
        }
    }
    node_reply_records_page(call, msg, rc, &page);
out:
    records_scan_close(scan);
    records_page_cleanup(&page);
}

/* --- Who may push for whom ------------------------------------------------------------------ */

/* A unit that holds mandates (mandate.hold: the association platform) pushes only for
 * associations it holds a live mandate for; the office, which holds none, needs none. */
static int may_push_association(node *n, const principal *p, const record_view *v,
                                check_failure *f)
{
    const char *uscc = v->association ? v->association->uscc : "";
    Credit__V1__Mandate *m = NULL;
    char err[STORE_ERR_LEN];
    int live;
    if (!authz_has(p, AUTHZ_MANDATE_HOLD))
        return 0;
    int rc = mandate_get(n->st, p->code, uscc, &m, err);
    live = rc == 0 && !m->revoked;
    if (m)
        credit__v1__mandate__free_unpacked(m, NULL);
    if (live)
        return 0;
    f->code = rc == 0 || rc == STORE_ENOTFOUND ? RPC_PERMISSION_DENIED : status_from_store(rc);
    f->reason_code = rc == 0 || rc == STORE_ENOTFOUND ? REASON_NOT_RESPONSIBLE : REASON_OTHER;
    snprintf(f->field, sizeof f->field, "association.uscc");
    if (rc != 0 && rc != STORE_ENOTFOUND)
        snprintf(f->reason, sizeof f->reason, "the mandates cannot be read now; push again");
    else
        snprintf(f->reason, sizeof f->reason,
                 "platform %.64s holds no %smandate for association %.32s (the office registers "
                 "mandates)",
                 p->code, rc == 0 ? "live " : "", uscc);
    return -1;
}

/* A subject (subject.self) declares only about itself; the portal relays for the subjects it
 * identified. */
static int may_push_voluntary(node *n, const principal *p, const record_view *v,
                              check_failure *f)
{
    (void)n;
    if (!authz_has(p, AUTHZ_SUBJECT_SELF) ||
        (p->uscc[0] && strcmp(v->subject->identifier, p->uscc) == 0))
        return 0;
    f->code = RECORD_CHECK_PERMISSION_DENIED;
    f->reason_code = REASON_NOT_RESPONSIBLE;
    snprintf(f->field, sizeof f->field, "subject.identifier");
    snprintf(f->reason, sizeof f->reason,
             "unit %.64s declares only about itself, the subject with its own code", p->code);
    return -1;
}

/* --- Mandates (AssociationCollection) ------------------------------------------------------ */

static void reply_mandate(rpc_call *call, const Credit__V1__Mandate *m, const char *detail)
{
    store_batch *b = store_batch_create();
    if (!b || mandate_put(b, m) != 0)
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
    else if (node_commit(call, b, detail) == 0)
        rpc_reply(call, &m->base);
    store_batch_destroy(b);
}

static void mandate_register(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__RegisterMandateRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    const Credit__V1__AssociationRef *a = req->association;
    Credit__V1__Unit *u = NULL;
    Credit__V1__Mandate *old = NULL;
    char err[STORE_ERR_LEN], why[128], detail[300];
    check_failure f;
    if (registry_check_code(req->platform, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "platform: %s", why);
        return;
    }
    if (!a) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "association: is required");
        return;
    }
    if (record_check_free_text("association.name", a->name, RECORD_CHECK_SHORT_MAX, 1, &f) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: %s", f.field, f.reason);
        return;
    }
    if (validate_uscc(a->uscc, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "association.uscc: is not a valid unified social credit code: %s", why);
        return;
    }
    /* The platform's lock: its pushes read the mandate under it. */
    pthread_mutex_t *mu = unit_lock(req->platform);
    pthread_mutex_lock(mu);
    int rc = registry_get(n->st, req->platform, &u, err);
    if (rc == STORE_ENOTFOUND) {
        rpc_finish(call, RPC_NOT_FOUND, "platform: no unit with code \"%s\"", req->platform);
        goto out;
    }
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), "the unit registry cannot be read now");
        goto out;
    }
    if (!authz_kind_has(u->kind, AUTHZ_MANDATE_HOLD)) {
        char holders[160];
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "platform: unit %s is %s; only %s units hold mandates (mandate.hold)",
                   u->code, registry_kind_name(u->kind),
                   authz_cap_holders(AUTHZ_MANDATE_HOLD, holders, sizeof holders));
        goto out;
    }
    rc = mandate_get(n->st, req->platform, a->uscc, &old, err);
    if (rc != 0 && rc != STORE_ENOTFOUND) {
        rpc_finish(call, status_from_store(rc), "the mandates cannot be read now");
        goto out;
    }
    if (rc == 0 && !old->revoked) {
        rpc_finish(call, RPC_ALREADY_EXISTS, "platform %s already holds a mandate for %s",
                   req->platform, a->uscc);
        goto out;
    }
    Credit__V1__Mandate m = CREDIT__V1__MANDATE__INIT;
    Google__Protobuf__Timestamp now;
    node_now(&now);
    m.platform = req->platform;
    m.association = (Credit__V1__AssociationRef *)a;
    m.registered_at = &now;
    m.registered_by = (char *)node_caller(call)->code;
    /* A mandate registered again after a revocation keeps the terms before it. */
    Credit__V1__Mandate last;
    Credit__V1__Mandate **terms = NULL;
    if (old) {
        terms = calloc(old->n_earlier + 1, sizeof *terms);
        if (!terms) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
            goto out;
        }
        last = *old;
        last.n_earlier = 0;
        last.earlier = NULL;
        if (old->n_earlier)
            memcpy(terms, old->earlier, old->n_earlier * sizeof *terms);
        terms[old->n_earlier] = &last;
        m.earlier = terms;
        m.n_earlier = old->n_earlier + 1;
    }
    snprintf(detail, sizeof detail, "registered the mandate of %s for association %s",
             req->platform, a->uscc);
    reply_mandate(call, &m, detail);
    free(terms);
out:
    pthread_mutex_unlock(mu);
    if (u)
        credit__v1__unit__free_unpacked(u, NULL);
    if (old)
        credit__v1__mandate__free_unpacked(old, NULL);
}

static void mandate_revoke(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__RevokeMandateRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    Credit__V1__Mandate *m = NULL;
    char err[STORE_ERR_LEN], detail[300];
    char why[128];
    if (check_reason(call, "reason", req->reason) != 0)
        return;
    /* Mandates are registered only for valid codes: say so, rather than "no mandate". */
    if (validate_uscc(req->association_uscc, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "association_uscc: is not a valid unified social credit code: %s", why);
        return;
    }
    pthread_mutex_t *mu = unit_lock(req->platform);
    pthread_mutex_lock(mu);
    int rc = mandate_get(n->st, req->platform, req->association_uscc, &m, err);
    if (rc == STORE_ENOTFOUND) {
        rpc_finish(call, RPC_NOT_FOUND, "platform %.64s holds no mandate for %.32s",
                   req->platform, req->association_uscc);
        goto out;
    }
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), "the mandates cannot be read now");
        goto out;
    }
    if (m->revoked) {
        rpc_finish(call, RPC_FAILED_PRECONDITION, "the mandate of %s for %s is already revoked",
                   m->platform, req->association_uscc);
        goto out;
    }
    Google__Protobuf__Timestamp now, *old_at = m->revoked_at;
    char *old_reason = m->reason;
    node_now(&now);
    char *old_by = m->revoked_by;
    m->revoked = 1;
    m->revoked_at = &now;
    m->reason = (char *)req->reason;
    m->revoked_by = (char *)node_caller(call)->code;
    snprintf(detail, sizeof detail, "revoked the mandate of %s for association %s", m->platform,
             req->association_uscc);
    reply_mandate(call, m, detail);
    m->revoked_at = old_at;
    m->reason = old_reason;
    m->revoked_by = old_by;
out:
    pthread_mutex_unlock(mu);
    if (m)
        credit__v1__mandate__free_unpacked(m, NULL);
}

static void mandate_list_call(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ListMandatesRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    const char *platform = req->platform;
    Credit__V1__ListMandatesResponse resp = CREDIT__V1__LIST_MANDATES_RESPONSE__INIT;
    char err[STORE_ERR_LEN];
    /* A platform reads its own; the office (mandate.read without mandate.hold) any. */
    if (authz_has(p, AUTHZ_MANDATE_HOLD)) {
        if (*platform && strcmp(platform, p->code) != 0) {
            rpc_finish(call, RPC_PERMISSION_DENIED,
                       "a platform reads its own mandates; unit %s asked for %.64s's", p->code,
                       platform);
            return;
        }
        platform = p->code;
    }
    Credit__V1__Mandate **stored = NULL, **terms = NULL;
    size_t n_stored = 0, n_terms = 0, total = 0;
    int rc = mandate_list(n->st, platform, &stored, &n_stored, err);
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), "the mandates cannot be read now");
        return;
    }
    /* Every term an entry of its own: the earlier ones first, then the current one. */
    for (size_t i = 0; i < n_stored; i++)
        total += stored[i]->n_earlier + 1;
    terms = calloc(total ? total : 1, sizeof *terms);
    if (!terms) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        mandate_free_list(stored, n_stored);
        return;
    }
    for (size_t i = 0; i < n_stored; i++) {
        for (size_t j = 0; j < stored[i]->n_earlier; j++)
            terms[n_terms++] = stored[i]->earlier[j];
        terms[n_terms++] = stored[i];
    }
    /* The current terms are listed without their earlier ones (they are listed beside). */
    size_t *n_earlier = calloc(n_stored ? n_stored : 1, sizeof *n_earlier);
    if (!n_earlier) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        for (size_t i = 0; i < n_stored; i++) {
            n_earlier[i] = stored[i]->n_earlier;
            stored[i]->n_earlier = 0;
        }
        resp.mandates = terms;
        resp.n_mandates = n_terms;
        rpc_reply(call, &resp.base);
        for (size_t i = 0; i < n_stored; i++)
            stored[i]->n_earlier = n_earlier[i];
    }
    free(n_earlier);
    free(terms);
    mandate_free_list(stored, n_stored);
}

static const rpc_handler public_handlers[] = {
    {.method = "PushBatch", .on_message = push_batch},
    {.method = "Push", .on_message = push_stream_message, .on_half_close = push_stream_end,
     .on_done = push_stream_done},
    {.method = "PushBatches", .on_message = push_batches_message,
     .on_half_close = push_stream_end, .on_done = push_stream_done},
    {.method = "Correct", .on_message = correct},
    {.method = "Withdraw", .on_message = withdraw},
    {.method = "Reinstate", .on_message = reinstate},
};

static const rpc_handler association_handlers[] = {
    {.method = "PushBatch", .on_message = push_batch},
    {.method = "Push", .on_message = push_stream_message, .on_half_close = push_stream_end,
     .on_done = push_stream_done},
    {.method = "PushBatches", .on_message = push_batches_message,
     .on_half_close = push_stream_end, .on_done = push_stream_done},
    {.method = "Correct", .on_message = correct},
    {.method = "Withdraw", .on_message = withdraw},
    {.method = "Reinstate", .on_message = reinstate},
    {.method = "RegisterMandate", .on_message = mandate_register},
    {.method = "RevokeMandate", .on_message = mandate_revoke},
    {.method = "ListMandates", .on_message = mandate_list_call},
};

static const rpc_handler voluntary_handlers[] = {
    {.method = "PushBatch", .on_message = push_batch},
    {.method = "Push", .on_message = push_stream_message, .on_half_close = push_stream_end,
     .on_done = push_stream_done},
    {.method = "PushBatches", .on_message = push_batches_message,
     .on_half_close = push_stream_end, .on_done = push_stream_done},
    {.method = "Withdraw", .on_message = withdraw},
    {.method = "Reinstate", .on_message = reinstate},
    {.method = "ListPending", .on_message = list_pending},
    {.method = "Verify", .on_message = verify},
};

RPC_REGISTERED_SERVICE(public_collection_service, credit__v1__public_credit_collection__descriptor,
                       public_handlers);
/* The service-unit collection has exactly the public one's methods. */
RPC_REGISTERED_SERVICE(service_unit_collection_service,
                       credit__v1__service_unit_collection__descriptor,
                       public_handlers);
RPC_REGISTERED_SERVICE(association_collection_service,
                       credit__v1__association_collection__descriptor,
                       association_handlers);
RPC_REGISTERED_SERVICE(voluntary_declaration_service, credit__v1__voluntary_declaration__descriptor,
                       voluntary_handlers);

static const kind kinds[] = {
    {&public_collection_service, CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "public records", 0,
     NULL},
    {&service_unit_collection_service, CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT,
     "service-unit declarations", 0, NULL},
    {&association_collection_service, CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION,
     "association records", 0, may_push_association},
    {&voluntary_declaration_service, CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY,
     "voluntary declarations", 1, may_push_voluntary},
};

static const kind *kind_of(rpc_call *call)
{
    const rpc_service *svc = rpc_call_service(call);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (kinds[i].service == svc)
            return &kinds[i];
    }
    assert(!"a collecting service without a kind");
    return &kinds[0];
}
