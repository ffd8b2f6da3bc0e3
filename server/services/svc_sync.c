/*
 * svc_sync.c — credit.v1.Sync: the change feed (feed.h) served as a tailing stream, and
 * snapshots.
 *
 * A subscription is a small producer driven by three events: its first message (on_message),
 * the stream's drain (on_drain: the one message in flight has been written to the transport)
 * and the feed's publication of new sequences (the feed's listener). Each only marks the
 * subscription and wakes one worker thread, which reads the store and sends: a message of up
 * to 1000 changes costs as many history reads, which stay off the completion-queue threads. It
 * holds at most one message in flight: the next one is read from the store only when the previous
 * one drained, so a subscriber that reads nothing stops its own stream at the transport's
 * flow-control window, and the node keeps nothing for it but this small struct and its cursor.
 * Nothing is queued per subscriber.
 *
 * Tiers: a UNIT_KIND_MUNICIPAL subscriber receives what GovernmentSharing shows (a record the
 * government tier does not show is left out, its fields shaped for that tier); a holder of
 * sync.replica (the office's read replica) receives everything. Either way a message's
 * `position` covers the entries left out, so the cursor moves past them.
 *
 * Locking: one mutex (S.mu) guards every subscription's flags, the list of subscriptions and
 * the worker's state. The producer runs outside it, one at a time per subscription (`busy`);
 * an event that comes while it runs sets `again`, so no wake-up is lost. A subscription is
 * freed when its last reference goes: the call's own (dropped in on_done) and the worker's
 * while it pumps it.
 *
 * The worker also sends heartbeats (an empty message after HEARTBEAT_MS without one) and
 * applies the retention (--feed-retention) every TRIM_EVERY_MS.
 */
#include "svc_sync.h"

#include "credit/v1/sync.pb-c.h"
#include "authz.h"
#include "calendar.h"
#include "feed.h"
#include "log.h"
#include "node.h"
#include "records.h"
#include "registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX       1000 /* changes per message: what one PushBatch of a forwarder takes */
#define BATCH_BYTES_MAX (1u << 20) /* and at most this much, far below a client's 4 MiB */
#define HEARTBEAT_MS    5000
#define TRIM_EVERY_MS   10000
#define TRIM_MAX        10000 /* entries dropped in one write */

typedef struct sub {
    rpc_call *call;
    int refs;
    uint64_t from, cursor;      /* the cursor asked for; the last position sent */
    uint32_t catalogues, kinds; /* bit masks; 0: every one */
    int replica;
    int busy, again, inflight, parked, ended, heartbeat;
    int due; /* the worker is to produce for it (its first message, a drain) */
    uint64_t changes, messages;
    int64_t last_sent_ms;
    struct sub *next;
} sub;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    sub *all;
    node *n;
    int64_t retention_ms;
    pthread_t worker;
    int started, stop, kicked;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sub_unref(sub *s)
{
    pthread_mutex_lock(&S.mu);
    int last = --s->refs == 0;
    pthread_mutex_unlock(&S.mu);
    if (!last)
        return;
    rpc_call_unref(s->call);
    free(s);
}

/* --- Building a message ------------------------------------------------------------------ */

/* What one message holds until it is sent. */
typedef struct outgoing {
    Credit__V1__FeedEntry *entries;
    Credit__V1__FeedEntry **ptrs;
    Google__Protobuf__Timestamp *times;
    Credit__Store__V1__StoredRecord **recs; /* the versions the entries point into */
    Credit__V1__Unit **units;
    Credit__V1__Grant **grants; /* the grants of FEED_KIND_GRANT entries, unpacked */
    size_t n, n_recs, n_units, n_grants;
} outgoing;

static void outgoing_cleanup(outgoing *o)
{
    for (size_t i = 0; i < o->n_recs; i++)
        credit__store__v1__stored_record__free_unpacked(o->recs[i], NULL);
    for (size_t i = 0; i < o->n_units; i++)
        credit__v1__unit__free_unpacked(o->units[i], NULL);
    for (size_t i = 0; i < o->n_grants; i++)
        credit__v1__grant__free_unpacked(o->grants[i], NULL);
    free(o->entries);
    free(o->ptrs);
    free(o->times);
    free(o->recs);
    free(o->units);
    free(o->grants);
}

static int is_record_kind(int kind)
{
    return kind == CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_VERSION ||
           kind == CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_WITHDRAWN ||
           kind == CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_REINSTATED;
}

/* Whether the subscription's filter takes an entry of `kind` and `catalogue`. */
static int filter_takes(const sub *s, int kind, int catalogue)
{
    if (s->kinds && (kind < 0 || kind > 31 || !(s->kinds & (1u << kind))))
        return 0;
    if (s->catalogues && catalogue && (catalogue > 31 || !(s->catalogues & (1u << catalogue))))
        return 0;
    return 1;
}

/* Drops a unit's certificate identities (only the office sees them, units.identities). */
static void drop_identities(Credit__V1__Unit *u)
{
    for (size_t i = 0; i < u->n_identities; i++)
        free(u->identities[i]);
    free(u->identities);
    u->identities = NULL;
    u->n_identities = 0;
}

/* Fills entry e from stored entry `it` for subscription s: 1 if it goes out, 0 if the tier
 * leaves it out, or a STORE_E* code. */
static int fill_entry(node *n, const sub *s, const principal *p, const feed_item *it,
                      Credit__V1__FeedEntry *e, Google__Protobuf__Timestamp *ts, outgoing *o,
                      char *err)
{
    const Credit__Store__V1__FeedRecord *r = it->rec;
    credit__v1__feed_entry__init(e);
    google__protobuf__timestamp__init(ts);
    e->sequence = it->seq;
    e->kind = r->kind;
    e->catalogue = r->catalogue;
    e->subject = r->subject;
    ts->seconds = r->committed_unix_ms / 1000;
    ts->nanos = (int32_t)(r->committed_unix_ms % 1000) * 1000000;
    e->committed_at = ts;
    if (is_record_kind(r->kind)) {
        char id[RECORD_ID_LEN + 1];
        uint32_t version;
        Credit__Store__V1__StoredRecord *sr = NULL;
        if (feed_record_ref(r, id, &version) != 0) {
            snprintf(err, STORE_ERR_LEN, "change feed entry %llu names no record version",
                     (unsigned long long)it->seq);
            return STORE_ECORRUPT;
        }
        int rc = records_get_version(n->st, NULL, id, version, &sr, err);
        if (rc == STORE_ENOTFOUND)
            rc = STORE_ECORRUPT; /* the entry was written with the version it names */
        if (rc != 0)
            return rc;
        Credit__V1__Date d;
        calendar_from_unix((int64_t)time(NULL), &d);
        if ((!s->replica && !tier_shows_to(sr->record, TIER_GOVERNMENT, &d, p->code)) ||
            node_shape_record(n, sr, TIER_GOVERNMENT, err) != 0) {
            credit__store__v1__stored_record__free_unpacked(sr, NULL);
            return 0;
        }
        o->recs[o->n_recs++] = sr;
        e->payload_case = CREDIT__V1__FEED_ENTRY__PAYLOAD_RECORD;
        e->record = sr->record;
        if (sr->record->meta && sr->record->meta->subject)
            e->subject = sr->record->meta->subject->identifier;
        return 1;
    }
    if (r->kind == CREDIT__V1__FEED_KIND__FEED_KIND_UNIT) {
        Credit__V1__Unit *u = NULL;
        int rc = registry_get(n->st, r->subject, &u, err);
        if (rc == STORE_ENOTFOUND)
            return 1; /* said without its unit; cannot happen while units are never deleted */
        if (rc != 0)
            return rc;
        if (!s->replica)
            drop_identities(u);
        o->units[o->n_units++] = u;
        e->payload_case = CREDIT__V1__FEED_ENTRY__PAYLOAD_UNIT;
        e->unit = u;
        return 1;
    }
    if (r->kind == CREDIT__V1__FEED_KIND__FEED_KIND_CATALOGUE_VERSION && r->payload.len == 4) {
        const uint8_t *b = r->payload.data;
        e->payload_case = CREDIT__V1__FEED_ENTRY__PAYLOAD_CATALOGUE_VERSION;
        e->catalogue_version =
            (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        return 1;
    }
    /* A grant is the subject's and its grantee's business: no query shows it to the city,
     * so only the replica receives it, as the transition left it. */
    if (r->kind == CREDIT__V1__FEED_KIND__FEED_KIND_GRANT) {
        if (!s->replica)
            return 0;
        Credit__V1__Grant *g = credit__v1__grant__unpack(NULL, r->payload.len, r->payload.data);
        if (!g) {
            snprintf(err, STORE_ERR_LEN, "change feed entry %llu: its grant does not decode",
                     (unsigned long long)it->seq);
            return STORE_ECORRUPT;
        }
        o->grants[o->n_grants++] = g;
        e->payload_case = CREDIT__V1__FEED_ENTRY__PAYLOAD_GRANT;
        e->grant = g;
        return 1;
    }
    /* A kind this service does not read yet (disputes, repairs): the replica learns that it
     * happened; others do not, as a query would not show it. */
    return s->replica ? 1 : 0;
}

/* Reads what follows `cursor` and sends it as one message (or an empty one for a
 * heartbeat). Returns 1 with *pos when a message went out, 0 when there was nothing to send,
 * -1 when the call is over (finished here or by the client). */
static int produce(sub *s, uint64_t cursor, int heartbeat, uint64_t *pos)
{
    node *n = S.n;
    rpc_call *call = s->call;
    char err[STORE_ERR_LEN];
    uint64_t head = feed_head(n->feed), oldest = feed_oldest(n->feed);
    if (cursor + 1 < oldest) {
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "cursor %llu: the feed keeps changes from sequence %llu on (the oldest "
                   "available); take a Snapshot and subscribe from its resume_from",
                   (unsigned long long)cursor, (unsigned long long)oldest);
        return -1;
    }
    if (cursor >= head && !heartbeat)
        return 0;
    feed_item items[BATCH_MAX];
    size_t n_items = 0;
    int rc = cursor < head ? feed_read(n->feed, cursor, head, items, BATCH_MAX, &n_items, err) : 0;
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=feed_read err=%s", err);
        rpc_finish(call, status_from_store(rc), "the change feed cannot be read now");
        return -1;
    }
    outgoing o = {0};
    o.entries = calloc(n_items + 1, sizeof *o.entries);
    o.ptrs = calloc(n_items + 1, sizeof *o.ptrs);
    o.times = calloc(n_items + 1, sizeof *o.times);
    o.recs = calloc(n_items + 1, sizeof *o.recs);
    o.units = calloc(n_items + 1, sizeof *o.units);
    o.grants = calloc(n_items + 1, sizeof *o.grants);
    uint64_t upto = cursor;
    size_t bytes = 0, i = 0;
    if (!o.entries || !o.ptrs || !o.times || !o.recs || !o.units || !o.grants) {
        rc = STORE_ENOMEM;
        snprintf(err, sizeof err, "out of memory");
    }
    const principal *p = node_caller(call);
    for (; rc == 0 && i < n_items && bytes < BATCH_BYTES_MAX; i++) {
        const feed_item *it = &items[i];
        upto = it->seq;
        if (!filter_takes(s, it->rec->kind, it->rec->catalogue))
            continue;
        Credit__V1__FeedEntry *e = &o.entries[o.n];
        int r = fill_entry(n, s, p, it, e, &o.times[o.n], &o, err);
        if (r < 0) {
            rc = r;
            break;
        }
        if (r == 1) {
            o.ptrs[o.n++] = e;
            bytes += credit__v1__feed_entry__get_packed_size(e);
        }
    }
    int out = -1;
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=feed_serve err=%s", err);
        rpc_finish(call, status_from_store(rc), "the change feed cannot be read now");
    } else {
        Credit__V1__SubscribeResponse resp = CREDIT__V1__SUBSCRIBE_RESPONSE__INIT;
        Google__Protobuf__Timestamp sent = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
        int64_t ms = now_ms();
        sent.seconds = ms / 1000;
        sent.nanos = (int32_t)(ms % 1000) * 1000000;
        resp.changes = o.ptrs;
        resp.n_changes = o.n;
        resp.position = upto;
        resp.head = head;
        resp.sent_at = &sent;
        *pos = upto;
        s->changes += o.n; /* only the producer writes it; read in on_done, after the last */
        out = rpc_send(call, &resp.base) == 0 ? 1 : -1;
    }
    /* Strings of the entries point into the stored entries: free those only now. */
    for (size_t j = 0; j < n_items; j++)
        credit__store__v1__feed_record__free_unpacked(items[j].rec, NULL);
    outgoing_cleanup(&o);
    return out;
}

/* Produces for s until a message is in flight, it is caught up (parked) or over. */
static void pump(sub *s, int heartbeat)
{
    pthread_mutex_lock(&S.mu);
    if (heartbeat)
        s->heartbeat = 1;
    if (s->busy) {
        s->again = 1;
        pthread_mutex_unlock(&S.mu);
        return;
    }
    s->busy = 1;
    for (;;) {
        s->again = 0;
        if (s->inflight || s->ended)
            break;
        int hb = s->heartbeat;
        uint64_t cursor = s->cursor, pos = cursor;
        s->heartbeat = 0;
        s->parked = 0;
        s->inflight = 1; /* before the send: its drain may come before produce returns */
        pthread_mutex_unlock(&S.mu);
        int r = produce(s, cursor, hb, &pos);
        pthread_mutex_lock(&S.mu);
        if (r > 0) {
            s->cursor = pos;
            s->messages++;
            s->last_sent_ms = now_ms();
        } else if (r == 0) {
            s->inflight = 0;
            /* Published meanwhile: go again rather than wait for the worker. */
            if (feed_head(S.n->feed) > s->cursor)
                s->again = 1;
            else
                s->parked = 1;
        } else {
            s->ended = 1;
        }
        if (!s->again)
            break;
    }
    s->busy = 0;
    pthread_mutex_unlock(&S.mu);
}

/* --- The worker: wake-ups, heartbeats, retention ----------------------------------------- */

static void on_published(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&S.mu);
    S.kicked = 1;
    pthread_cond_signal(&S.wake);
    pthread_mutex_unlock(&S.mu);
}

static void trim(void)
{
    char err[STORE_ERR_LEN];
    size_t dropped = 0;
    int rc = feed_trim(S.n->feed, now_ms() - S.retention_ms, TRIM_MAX, &dropped, err);
    if (rc != 0)
        log_event(LOG_ERROR, "store", "op=feed_trim err=%s", err);
    else if (dropped)
        log_event(LOG_INFO, "feed-trimmed", "dropped=%zu oldest=%llu", dropped,
                  (unsigned long long)feed_oldest(S.n->feed));
}

static void *worker_main(void *arg)
{
    (void)arg;
    int64_t last_trim = 0;
    pthread_mutex_lock(&S.mu);
    while (!S.stop) {
        if (!S.kicked) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&S.wake, &S.mu, &until);
        }
        S.kicked = 0;
        if (S.stop)
            break;
        /* Collect under the lock, pump outside it (pump takes it itself). */
        uint64_t head = feed_head(S.n->feed);
        int64_t now = now_ms();
        size_t cap = 0, k = 0;
        for (sub *s = S.all; s; s = s->next)
            cap++;
        sub **run = cap ? malloc(cap * sizeof *run) : NULL;
        int *hb = cap ? malloc(cap * sizeof *hb) : NULL;
        for (sub *s = S.all; run && hb && s; s = s->next) {
            int due = s->due || (s->parked && s->cursor < head);
            s->due = 0;
            int beat = !s->ended && (s->heartbeat || now - s->last_sent_ms >= HEARTBEAT_MS);
            if (!due && !beat)
                continue;
            s->refs++;
            run[k] = s;
            hb[k++] = beat && !due;
        }
        pthread_mutex_unlock(&S.mu);
        for (size_t i = 0; i < k; i++) {
            pump(run[i], hb[i]);
            sub_unref(run[i]);
        }
        free(run);
        free(hb);
        if (now - last_trim >= TRIM_EVERY_MS) {
            last_trim = now;
            trim();
        }
        pthread_mutex_lock(&S.mu);
    }
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

int svc_sync_start(node *n, int64_t retention_s, char *err)
{
    S.n = n;
    S.retention_ms = retention_s * 1000;
    feed_set_listener(n->feed, on_published, NULL);
    if (pthread_create(&S.worker, NULL, worker_main, NULL) != 0) {
        snprintf(err, 256, "cannot start the change feed's worker thread");
        return -1;
    }
    S.started = 1;
    return 0;
}

void svc_sync_end(void)
{
    pthread_mutex_lock(&S.mu);
    size_t cap = 0, k = 0;
    for (sub *s = S.all; s; s = s->next)
        cap++;
    sub **run = cap ? malloc(cap * sizeof *run) : NULL;
    for (sub *s = S.all; run && s; s = s->next) {
        s->refs++;
        run[k++] = s;
    }
    pthread_mutex_unlock(&S.mu);
    for (size_t i = 0; i < k; i++) {
        rpc_finish(run[i]->call, RPC_UNAVAILABLE,
                   "the node is stopping; subscribe again from your cursor");
        sub_unref(run[i]);
    }
    free(run);
}

void svc_sync_stop(void)
{
    if (!S.started)
        return;
    feed_set_listener(S.n->feed, NULL, NULL);
    pthread_mutex_lock(&S.mu);
    S.stop = 1;
    pthread_cond_signal(&S.wake);
    pthread_mutex_unlock(&S.mu);
    pthread_join(S.worker, NULL);
    S.started = 0;
    S.stop = 0;
}

/* --- Subscribe --------------------------------------------------------------------------- */

/* Hands s to the worker (S.mu held). */
static void wake_locked(sub *s)
{
    s->due = 1;
    S.kicked = 1;
    pthread_cond_signal(&S.wake);
}

/* Checks a filter's enum values; sets the mask. Returns 0, or -1 after finishing the call. */
static int filter_mask(rpc_call *call, const char *field, const int *v, size_t n,
                       const ProtobufCEnumDescriptor *d, uint32_t *mask)
{
    *mask = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] <= 0 || v[i] > 31 || !protobuf_c_enum_descriptor_get_value(d, v[i])) {
            rpc_finish(call, RPC_INVALID_ARGUMENT, "%s[%zu]: %d is not a %s to select", field, i,
                       v[i], d->name);
            return -1;
        }
        *mask |= 1u << v[i];
    }
    return 0;
}

static void subscribe(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__SubscribeRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    uint32_t cats, kinds;
    if (filter_mask(call, "catalogues", (const int *)req->catalogues, req->n_catalogues,
                    &credit__v1__catalogue__descriptor, &cats) != 0 ||
        filter_mask(call, "kinds", (const int *)req->kinds, req->n_kinds,
                    &credit__v1__feed_kind__descriptor, &kinds) != 0)
        return;
    uint64_t head = feed_head(n->feed);
    if (req->cursor > head) {
        rpc_finish(call, RPC_OUT_OF_RANGE, "cursor: %llu is past the feed's last sequence %llu",
                   (unsigned long long)req->cursor, (unsigned long long)head);
        return;
    }
    sub *s = calloc(1, sizeof *s);
    if (!s) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    s->call = call;
    s->refs = 1;
    s->from = s->cursor = req->cursor;
    s->catalogues = cats;
    s->kinds = kinds;
    s->replica = authz_has(node_caller(call), AUTHZ_SYNC_REPLICA);
    s->last_sent_ms = now_ms();
    rpc_call_ref(call);
    rpc_call_set_data(call, s);
    /* Its audit entry is written at its end, with what it received (on_done). */
    rpc_call_mark_audited(call);
    pthread_mutex_lock(&S.mu);
    s->next = S.all;
    S.all = s;
    /* The first message goes at once, empty if nothing follows the cursor: the subscriber
     * learns the head (its lag) without waiting for a change or a heartbeat. */
    s->heartbeat = 1;
    wake_locked(s);
    pthread_mutex_unlock(&S.mu);
    log_event(LOG_INFO, "subscribed", "unit=%s cursor=%llu head=%llu replica=%d",
              node_caller(call)->code, (unsigned long long)req->cursor, (unsigned long long)head,
              s->replica);
}

static void subscribe_drain(rpc_call *call)
{
    sub *s = rpc_call_data(call);
    if (!s)
        return;
    pthread_mutex_lock(&S.mu);
    s->inflight = 0;
    wake_locked(s);
    pthread_mutex_unlock(&S.mu);
}

static void subscribe_done(rpc_call *call, int cancelled)
{
    sub *s = rpc_call_data(call);
    node *n = rpc_call_app(call);
    if (!s)
        return;
    pthread_mutex_lock(&S.mu);
    s->ended = 1;
    for (sub **q = &S.all; *q; q = &(*q)->next)
        if (*q == s) {
            *q = s->next;
            break;
        }
    uint64_t changes = s->changes, messages = s->messages, cursor = s->cursor;
    pthread_mutex_unlock(&S.mu);
    const principal *p = node_caller(call);
    const rpc_peer *peer = rpc_call_peer(call);
    char detail[200], err[STORE_ERR_LEN];
    snprintf(detail, sizeof detail,
             "subscription from cursor %llu: %llu changes in %llu messages, up to sequence "
             "%llu",
             (unsigned long long)s->from, (unsigned long long)changes, (unsigned long long)messages,
             (unsigned long long)cursor);
    audit_event ev = {
        .unit = p ? p->code : NULL,
        .identity = peer->identity,
        .method = rpc_call_method(call),
        .code = cancelled ? RPC_CANCELLED : RPC_OK,
        .detail = detail,
        .peer = peer->address,
    };
    if (audit_commit(n->audit, NULL, &ev, 0, err) != 0)
        log_event(LOG_ERROR, "audit", "method=%s err=%s", rpc_call_method(call), err);
    log_event(LOG_INFO, "subscription-ended", "unit=%s from=%llu changes=%llu position=%llu",
              p ? p->code : "-", (unsigned long long)s->from, (unsigned long long)changes,
              (unsigned long long)cursor);
    rpc_call_set_data(call, NULL);
    sub_unref(s);
}

/* --- Snapshot ---------------------------------------------------------------------------- */

typedef struct snap_state {
    pthread_mutex_t mu; /* on_message and on_drain may overlap */
    store_snapshot *snap;
    records_scan *scan;
    uint64_t resume;
    uint32_t catalogue_version;
    int replica, records_done, over;
    uint64_t records;
} snap_state;

/* Sends the next piece of the snapshot: up to BATCH_MAX records, then the units, then OK. */
static void snapshot_next(rpc_call *call, snap_state *st)
{
    node *n = rpc_call_app(call);
    char err[STORE_ERR_LEN];
    Credit__V1__SnapshotResponse resp = CREDIT__V1__SNAPSHOT_RESPONSE__INIT;
    resp.resume_from = st->resume;
    resp.catalogue_version = st->catalogue_version;
    Credit__Store__V1__StoredRecord *kept[BATCH_MAX];
    Credit__V1__Record *recs[BATCH_MAX];
    size_t nk = 0, bytes = 0;
    int rc = 0;
    if (st->over)
        return;
    Credit__V1__Date d;
    calendar_from_unix((int64_t)time(NULL), &d);
    while (!st->records_done && nk < BATCH_MAX && bytes < BATCH_BYTES_MAX) {
        Credit__Store__V1__StoredRecord *sr = NULL;
        rc = records_scan_next(st->scan, &sr, err);
        if (rc <= 0) {
            st->records_done = rc == 0;
            break;
        }
        if ((!st->replica &&
             !tier_shows_to(sr->record, TIER_GOVERNMENT, &d, node_caller(call)->code)) ||
            node_shape_record(n, sr, TIER_GOVERNMENT, err) != 0) {
            credit__store__v1__stored_record__free_unpacked(sr, NULL);
            continue;
        }
        kept[nk] = sr;
        recs[nk++] = sr->record;
        bytes += credit__v1__record__get_packed_size(sr->record);
    }
    if (rc < 0) {
        log_event(LOG_ERROR, "store", "op=snapshot err=%s", err);
        rpc_finish(call, status_from_store(rc), "the store cannot be read now");
        st->over = 1;
    } else if (nk) {
        resp.records = recs;
        resp.n_records = nk;
        st->records += nk;
        rpc_send(call, &resp.base);
    } else {
        /* The records are done: the units (few) in one message, and the end. */
        Credit__V1__Unit **units = NULL;
        size_t nu = 0, cap = 0;
        registry_scan *rs = NULL;
        Credit__V1__Unit *u = NULL;
        rc = registry_scan_open(n->st, "", &rs);
        while (rc == 0 && (rc = registry_scan_next(rs, &u, err)) == 1) {
            rc = 0;
            if (nu == cap) {
                void *nv = realloc(units, (cap = cap ? 2 * cap : 16) * sizeof *units);
                if (!nv) {
                    credit__v1__unit__free_unpacked(u, NULL);
                    rc = STORE_ENOMEM;
                    break;
                }
                units = nv;
            }
            if (!st->replica)
                drop_identities(u);
            units[nu++] = u;
        }
        registry_scan_close(rs);
        if (rc < 0) {
            rpc_finish(call, status_from_store(rc), "the unit registry cannot be read now");
        } else {
            resp.units = units;
            resp.n_units = nu;
            rpc_send(call, &resp.base);
            rpc_finish(call, RPC_OK, "snapshot of %llu records and %zu units; resume from %llu",
                       (unsigned long long)st->records, nu, (unsigned long long)st->resume);
        }
        for (size_t i = 0; i < nu; i++)
            credit__v1__unit__free_unpacked(units[i], NULL);
        free(units);
        st->over = 1;
    }
    for (size_t i = 0; i < nk; i++)
        credit__store__v1__stored_record__free_unpacked(kept[i], NULL);
}

static void snapshot(rpc_call *call, const ProtobufCMessage *msg)
{
    node *n = rpc_call_app(call);
    (void)msg;
    snap_state *st = calloc(1, sizeof *st);
    if (!st) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    pthread_mutex_init(&st->mu, NULL);
    /* The sequence first, then the view: every change up to it is in the view; changes
     * after it that the view holds too come again in the feed, which is harmless. */
    st->resume = feed_head(n->feed);
    st->catalogue_version = catalog_now(n->cat)->msg->version;
    st->snap = store_snapshot_create(n->st);
    st->replica = authz_has(node_caller(call), AUTHZ_SYNC_REPLICA);
    rpc_call_set_data(call, st);
    if (!st->snap || records_scan_open(n->st, st->snap, NULL, &st->scan) != 0) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    pthread_mutex_lock(&st->mu);
    snapshot_next(call, st);
    pthread_mutex_unlock(&st->mu);
}

static void snapshot_drain(rpc_call *call)
{
    snap_state *st = rpc_call_data(call);
    if (!st)
        return;
    pthread_mutex_lock(&st->mu);
    snapshot_next(call, st);
    pthread_mutex_unlock(&st->mu);
}

static void snapshot_done(rpc_call *call, int cancelled)
{
    node *n = rpc_call_app(call);
    snap_state *st = rpc_call_data(call);
    (void)cancelled;
    if (!st)
        return;
    records_scan_close(st->scan);
    if (st->snap)
        store_snapshot_release(n->st, st->snap);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

static const rpc_handler handlers[] = {
    {.method = "Subscribe",
     .on_message = subscribe,
     .on_drain = subscribe_drain,
     .on_done = subscribe_done},
    {.method = "Snapshot",
     .on_message = snapshot,
     .on_drain = snapshot_drain,
     .on_done = snapshot_done},
};

RPC_REGISTERED_SERVICE(sync_service, credit__v1__sync__descriptor, handlers);
