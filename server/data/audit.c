/*
 * audit.c — see audit.h.
 *
 * Entry hash = SHA-256(prev_hash || be64(seq) || entry packed with `hash` empty). The
 * first entry's prev_hash is 32 zero bytes.
 *
 * Group commit. A change and its entry are written under `mu` without an fsync (the write
 * lands in the write-ahead log and the memtable: visible, and safe from a crash of the
 * process), and get a ticket, the count of such writes so far. One syncer thread fsyncs the
 * log whenever writes are waiting (store_sync_wal) and resolves every ticket the fsync
 * covered: all writes that returned before it began. So `mu` is held for a memtable write,
 * never for an fsync, and one fsync serves every change that came in meanwhile; the chain
 * is the order of the log, which a crash can only cut at its end, so it stays gapless.
 * Tickets are resolved with the fsync's result: a change is acknowledged only after the
 * fsync that covers it succeeded.
 *
 * Reads. A call that changed nothing still gets its entry before its status leaves, but
 * does not wait for an fsync: audit_commit_read queues the entry, and the first caller that
 * finds no read group being written takes the whole queue, chains it under `mu` and writes
 * it as one batch (leader and followers, guarded by rmu); the write takes a ticket like a
 * change's, so the syncer's next fsync, shared with the changes', makes the entries durable.
 */
#include "audit.h"

#include "credit/v1/audit.pb-c.h"

#include <openssl/evp.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HASH_LEN 32

/* A change waiting for its fsync: a blocking caller (fn NULL: done and rc are set under
 * dmu, and `ddone` broadcast) or a callback run on the syncer thread. */
typedef struct waiter {
    uint64_t ticket;
    audit_durable_fn fn;
    void *ctx;
    int done, rc;
    char err[STORE_ERR_LEN];
    struct waiter *next;
} waiter;

/* A read call's entry waiting in the read queue (audit_commit_read): its event is borrowed
 * from the caller, who waits until done. Guarded by rmu. */
typedef struct read_slot {
    const audit_event *ev;
    int done, rc;
    char *err;
    struct read_slot *next;
} read_slot;

struct audit {
    store *st;
    pthread_mutex_t mu; /* guards seq and head, and is held across each (unsynced) write */
    uint64_t seq;       /* last written sequence; 0 for an empty log */
    unsigned char head[HASH_LEN];

    pthread_mutex_t dmu;       /* guards what follows */
    pthread_cond_t work;       /* the syncer waits here for writes to sync */
    pthread_cond_t ddone;      /* blocking waiters wait here */
    uint64_t written;          /* tickets handed out: writes made through audit_commit_start */
    uint64_t durable;          /* every ticket <= durable has been fsynced */
    waiter *waiters;           /* unresolved, any order */
    uint64_t fail_lo, fail_hi; /* the tickets of the last failed fsync (none: lo > hi) */
    int fail_rc;
    char fail_err[STORE_ERR_LEN];
    pthread_t syncer;
    int started, stop;

    pthread_mutex_t rmu;     /* guards the read queue */
    pthread_cond_t rdone;    /* read callers wait here for their group's write */
    read_slot *rq, **rq_end; /* entries no group has taken yet, in arrival order */
    int r_leading;           /* a caller is writing a group now */

    audit_observer_fn observer; /* set before serving; called under mu after each write */
    void *observer_ctx;
};

void audit_set_observer(audit *a, audit_observer_fn fn, void *ctx)
{
    a->observer = fn;
    a->observer_ctx = ctx;
}

/* Tells the observer, if any, that b was written. Under mu. */
static void observe(audit *a, const store_batch *b)
{
    if (a->observer)
        a->observer(a->observer_ctx, b);
}

/* Computes the hash of `e` (whose hash field is ignored) into out. */
static int entry_hash(const Credit__V1__AuditEntry *e, unsigned char out[HASH_LEN])
{
    Credit__V1__AuditEntry copy = *e;
    copy.hash.data = NULL;
    copy.hash.len = 0;
    size_t n = credit__v1__audit_entry__get_packed_size(&copy);
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf)
        return -1;
    credit__v1__audit_entry__pack(&copy, buf);
    unsigned char seq[8];
    store_put_be64(seq, e->seq);
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(ctx, e->prev_hash.data, e->prev_hash.len) &&
             EVP_DigestUpdate(ctx, seq, sizeof seq) && EVP_DigestUpdate(ctx, buf, n) &&
             EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
    free(buf);
    return ok && len == HASH_LEN ? 0 : -1;
}

int audit_open(store *st, audit **out, char *err)
{
    audit *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        return STORE_ENOMEM;
    }
    a->st = st;
    a->fail_lo = 1; /* no failed fsync yet: an empty range */
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_init(&a->dmu, NULL);
    pthread_cond_init(&a->work, NULL);
    pthread_cond_init(&a->ddone, NULL);
    pthread_mutex_init(&a->rmu, NULL);
    pthread_cond_init(&a->rdone, NULL);
    a->rq_end = &a->rq;
    void *key = NULL, *val = NULL;
    size_t klen = 0, vlen = 0;
    int rc = store_last_key(st, STORE_CF_AUDIT, NULL, 0, &key, &klen, err);
    if (rc == STORE_ENOTFOUND) {
        *out = a;
        return 0;
    }
    if (rc != 0)
        goto fail;
    rc = store_get(st, NULL, STORE_CF_AUDIT, key, klen, &val, &vlen, err);
    if (rc != 0)
        goto fail;
    Credit__V1__AuditEntry *e = credit__v1__audit_entry__unpack(NULL, vlen, val);
    if (!e || e->hash.len != HASH_LEN) {
        if (e)
            credit__v1__audit_entry__free_unpacked(e, NULL);
        snprintf(err, STORE_ERR_LEN, "the last audit entry cannot be read");
        rc = STORE_EIO;
        goto fail;
    }
    a->seq = e->seq;
    memcpy(a->head, e->hash.data, HASH_LEN);
    credit__v1__audit_entry__free_unpacked(e, NULL);
    free(key);
    free(val);
    *out = a;
    return 0;
fail:
    free(key);
    free(val);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->dmu);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->ddone);
    pthread_mutex_destroy(&a->rmu);
    pthread_cond_destroy(&a->rdone);
    free(a);
    return rc;
}

void audit_close(audit *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->dmu);
    a->stop = 1;
    int started = a->started;
    pthread_cond_broadcast(&a->work);
    pthread_mutex_unlock(&a->dmu);
    if (started)
        pthread_join(a->syncer, NULL); /* it resolves every waiter before it ends */
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->dmu);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->ddone);
    pthread_mutex_destroy(&a->rmu);
    pthread_cond_destroy(&a->rdone);
    free(a);
}

/* Resolves the waiters whose ticket is <= upto with rc: blocking ones at once (under dmu),
 * callbacks are moved to *run for the caller to call outside the lock. */
static void resolve_locked(audit *a, uint64_t upto, int rc, const char *err, waiter **run)
{
    for (waiter **w = &a->waiters; *w;) {
        waiter *x = *w;
        if (x->ticket > upto) {
            w = &x->next;
            continue;
        }
        *w = x->next;
        x->rc = rc;
        snprintf(x->err, sizeof x->err, "%s", rc ? err : "");
        if (x->fn) {
            x->next = *run;
            *run = x;
        } else {
            x->done = 1;
        }
    }
    pthread_cond_broadcast(&a->ddone);
}

/* The syncer: one fsync for every write made since the last, then the waiters it covered. */
static void *syncer_main(void *arg)
{
    audit *a = arg;
    char err[STORE_ERR_LEN];
    pthread_mutex_lock(&a->dmu);
    for (;;) {
        while (!a->stop && a->durable == a->written)
            pthread_cond_wait(&a->work, &a->dmu);
        if (a->durable == a->written && a->stop)
            break;
        uint64_t target = a->written;
        pthread_mutex_unlock(&a->dmu);
        err[0] = '\0';
        int rc = store_sync_wal(a->st, err);
        pthread_mutex_lock(&a->dmu);
        /* A failed fsync resolves its writes with the error; they are never durable here
         * (the store refuses writes from then on), so they count as done. */
        if (rc != 0) {
            a->fail_lo = a->durable + 1;
            a->fail_hi = target;
            a->fail_rc = rc;
            snprintf(a->fail_err, sizeof a->fail_err, "%s", err);
        }
        a->durable = target;
        waiter *run = NULL;
        resolve_locked(a, target, rc, err, &run);
        pthread_mutex_unlock(&a->dmu);
        while (run) {
            waiter *x = run;
            run = x->next;
            x->fn(x->ctx, x->rc, x->err);
            free(x);
        }
        pthread_mutex_lock(&a->dmu);
    }
    pthread_mutex_unlock(&a->dmu);
    return NULL;
}

/* Registers w (its ticket set) and wakes the syncer, starting it on first use. Returns 0,
 * or -1 when the thread cannot be started. Called with dmu held. */
static int enqueue_locked(audit *a, waiter *w)
{
    if (!a->started) {
        if (pthread_create(&a->syncer, NULL, syncer_main, a) != 0)
            return -1;
        a->started = 1;
    }
    w->next = a->waiters;
    a->waiters = w;
    pthread_cond_signal(&a->work);
    return 0;
}

/* Whether `ticket` was resolved already (an fsync that began after its write has ended);
 * then *rc is that fsync's result, with its message in err. Called with dmu held. */
static int resolved_locked(audit *a, uint64_t ticket, int *rc, char *err)
{
    if (ticket > a->durable)
        return 0;
    *rc = ticket >= a->fail_lo && ticket <= a->fail_hi ? a->fail_rc : 0;
    if (*rc)
        snprintf(err, STORE_ERR_LEN, "%s", a->fail_err);
    return 1;
}

int audit_durable_wait(audit *a, uint64_t ticket, char *err)
{
    waiter w = {.ticket = ticket};
    int rc = 0;
    pthread_mutex_lock(&a->dmu);
    if (resolved_locked(a, ticket, &rc, err)) {
        pthread_mutex_unlock(&a->dmu);
        return rc;
    }
    if (enqueue_locked(a, &w) != 0) {
        pthread_mutex_unlock(&a->dmu);
        snprintf(err, STORE_ERR_LEN, "cannot start the audit log's syncer");
        return STORE_ENOMEM;
    }
    while (!w.done)
        pthread_cond_wait(&a->ddone, &a->dmu);
    pthread_mutex_unlock(&a->dmu);
    if (w.rc)
        snprintf(err, STORE_ERR_LEN, "%s", w.err);
    return w.rc;
}

int audit_durable_notify(audit *a, uint64_t ticket, audit_durable_fn fn, void *ctx, char *err)
{
    waiter *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        return STORE_ENOMEM;
    }
    w->ticket = ticket;
    w->fn = fn;
    w->ctx = ctx;
    int done_rc = 0;
    pthread_mutex_lock(&a->dmu);
    if (resolved_locked(a, ticket, &done_rc, w->err)) {
        pthread_mutex_unlock(&a->dmu);
        fn(ctx, done_rc, w->err);
        free(w);
        return 0;
    }
    int rc = enqueue_locked(a, w);
    pthread_mutex_unlock(&a->dmu);
    if (rc != 0) {
        free(w);
        snprintf(err, STORE_ERR_LEN, "cannot start the audit log's syncer");
        return STORE_ENOMEM;
    }
    return 0;
}

static char *or_empty(const char *s)
{
    return (char *)(s ? s : "");
}

/* Appends to b the entry of ev with sequence `seq` after the entry whose hash is prev, and
 * puts its own hash into hash. Called under mu, which orders the chain. Returns 0, or
 * STORE_ENOMEM with err. */
static int chain_append(store_batch *b, const audit_event *ev, uint64_t seq,
                        const unsigned char prev[HASH_LEN], unsigned char hash[HASH_LEN], char *err)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    ts.seconds = now.tv_sec;
    ts.nanos = (int32_t)now.tv_nsec;
    Credit__V1__AuditEntry e = CREDIT__V1__AUDIT_ENTRY__INIT;
    e.time = &ts;
    e.unit = or_empty(ev->unit);
    e.identity = or_empty(ev->identity);
    e.method = or_empty(ev->method);
    e.code = ev->code;
    e.detail = or_empty(ev->detail);
    e.peer = or_empty(ev->peer);
    e.seq = seq;
    e.prev_hash.data = (uint8_t *)prev; /* only read, by the hash and the packing */
    e.prev_hash.len = HASH_LEN;
    if (entry_hash(&e, hash) != 0) {
        snprintf(err, STORE_ERR_LEN, "cannot hash the audit entry");
        return STORE_ENOMEM;
    }
    e.hash.data = hash;
    e.hash.len = HASH_LEN;
    size_t n = credit__v1__audit_entry__get_packed_size(&e);
    unsigned char *buf = malloc(n);
    if (!buf) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        return STORE_ENOMEM;
    }
    credit__v1__audit_entry__pack(&e, buf);
    unsigned char key[8];
    store_put_be64(key, e.seq);
    store_batch_put(b, STORE_CF_AUDIT, key, sizeof key, buf, n);
    free(buf);
    return 0;
}

/* After a write that added entries up to `seq` with head hash `hash`: moves the chain's head
 * and hands out the write's ticket, waking the syncer so that an fsync covers it. Called
 * under mu. */
static uint64_t chain_advance(audit *a, uint64_t seq, const unsigned char hash[HASH_LEN])
{
    uint64_t ticket;
    a->seq = seq;
    memcpy(a->head, hash, HASH_LEN);
    pthread_mutex_lock(&a->dmu);
    ticket = ++a->written;
    /* A read's entries have no waiter to start the syncer; they need their fsync all the same
     * (if the thread cannot start now, the next change's fsync covers them). */
    if (!a->started && pthread_create(&a->syncer, NULL, syncer_main, a) == 0)
        a->started = 1;
    if (a->started)
        pthread_cond_signal(&a->work);
    pthread_mutex_unlock(&a->dmu);
    return ticket;
}

int audit_commit_start(audit *a, store_batch *b, const audit_event *ev, uint64_t *ticket, char *err)
{
    return audit_commit_start_staged(a, b, ev, NULL, ticket, err);
}

int audit_commit_start_staged(audit *a, store_batch *b, const audit_event *ev,
                              const audit_stage *stage, uint64_t *ticket, char *err)
{
    store_batch *own = NULL;
    if (!b) {
        own = b = store_batch_create();
        if (!b) {
            snprintf(err, STORE_ERR_LEN, "out of memory");
            return STORE_ENOMEM;
        }
    }
    unsigned char hash[HASH_LEN];
    int rc = 0;
    pthread_mutex_lock(&a->mu);
    if (stage)
        rc = stage->stage(stage->ctx, b, err);
    if (rc == 0)
        rc = chain_append(b, ev, a->seq + 1, a->head, hash, err);
    if (rc == 0)
        rc = store_write_sync(a->st, b, 0, err);
    if (rc == 0) {
        observe(a, b);
        *ticket = chain_advance(a, a->seq + 1, hash);
        if (stage)
            stage->written(stage->ctx, *ticket);
    }
    pthread_mutex_unlock(&a->mu);
    store_batch_destroy(own);
    return rc;
}

/* Writes the entries of the read slots from `first` on as one batch, next in the chain.
 * Returns 0 or a STORE_E* code with err (then none of them was written). */
static int write_reads(audit *a, read_slot *first, char *err)
{
    store_batch *b = store_batch_create();
    unsigned char prev[HASH_LEN], hash[HASH_LEN];
    int rc = 0;
    if (!b) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        return STORE_ENOMEM;
    }
    pthread_mutex_lock(&a->mu);
    uint64_t seq = a->seq;
    memcpy(hash, a->head, HASH_LEN);
    for (read_slot *r = first; r && rc == 0; r = r->next) {
        memcpy(prev, hash, HASH_LEN);
        rc = chain_append(b, r->ev, ++seq, prev, hash, err);
    }
    if (rc == 0)
        rc = store_write_sync(a->st, b, 0, err);
    /* Nobody waits for this ticket: the syncer's next fsync covers the entries. */
    if (rc == 0) {
        observe(a, b);
        (void)chain_advance(a, seq, hash);
    }
    pthread_mutex_unlock(&a->mu);
    store_batch_destroy(b);
    return rc;
}

int audit_commit_read(audit *a, const audit_event *ev, char *err)
{
    read_slot me = {.ev = ev, .err = err};
    pthread_mutex_lock(&a->rmu);
    *a->rq_end = &me;
    a->rq_end = &me.next;
    while (!me.done) {
        if (a->r_leading) {
            pthread_cond_wait(&a->rdone, &a->rmu);
            continue;
        }
        /* Lead a group: every entry queued by now, written at once while later callers
         * queue for the next group. */
        read_slot *group = a->rq;
        a->rq = NULL;
        a->rq_end = &a->rq;
        a->r_leading = 1;
        pthread_mutex_unlock(&a->rmu);
        char gerr[STORE_ERR_LEN] = "";
        int rc = write_reads(a, group, gerr);
        pthread_mutex_lock(&a->rmu);
        for (read_slot *r = group, *next; r; r = next) {
            next = r->next; /* r may go once done is set and the lock released */
            r->rc = rc;
            if (rc)
                snprintf(r->err, STORE_ERR_LEN, "%s", gerr);
            r->done = 1;
        }
        a->r_leading = 0;
        pthread_cond_broadcast(&a->rdone);
    }
    pthread_mutex_unlock(&a->rmu);
    return me.rc;
}

int audit_commit(audit *a, store_batch *b, const audit_event *ev, int sync, char *err)
{
    uint64_t ticket = 0;
    int rc = audit_commit_start(a, b, ev, &ticket, err);
    if (rc != 0 || !sync)
        return rc;
    return audit_durable_wait(a, ticket, err);
}

int audit_verify(store *st, uint64_t *count, uint64_t *bad_seq, char *err)
{
    unsigned char prev[HASH_LEN] = {0};
    uint64_t expect = 1;
    int rc = 0;
    store_snapshot *snap = store_snapshot_create(st);
    store_iter *it = store_iter_create(st, snap, STORE_CF_AUDIT, NULL, 0, NULL, 0);
    for (; it && store_iter_valid(it); store_iter_next(it), expect++) {
        size_t klen, vlen;
        const unsigned char *k = store_iter_key(it, &klen);
        const void *v = store_iter_value(it, &vlen);
        Credit__V1__AuditEntry *e = credit__v1__audit_entry__unpack(NULL, vlen, v);
        unsigned char h[HASH_LEN];
        const char *why = NULL;
        if (klen != 8 || !e)
            why = "entry cannot be read";
        else if (store_get_be64(k) != expect || e->seq != expect)
            why = "sequence gap or key mismatch";
        else if (e->prev_hash.len != HASH_LEN || memcmp(e->prev_hash.data, prev, HASH_LEN) != 0)
            why = "previous hash does not match";
        else if (e->hash.len != HASH_LEN || entry_hash(e, h) != 0 ||
                 memcmp(h, e->hash.data, HASH_LEN) != 0)
            why = "entry hash does not match its content";
        if (why) {
            *bad_seq = expect;
            snprintf(err, STORE_ERR_LEN, "audit entry %llu: %s", (unsigned long long)expect, why);
            if (e)
                credit__v1__audit_entry__free_unpacked(e, NULL);
            rc = -1;
            break;
        }
        memcpy(prev, e->hash.data, HASH_LEN);
        credit__v1__audit_entry__free_unpacked(e, NULL);
    }
    if (rc == 0 && it && store_iter_error(it, err) != 0) {
        *bad_seq = expect;
        rc = -1;
    }
    store_iter_destroy(it);
    store_snapshot_release(st, snap);
    if (rc == 0)
        *count = expect - 1;
    return rc;
}
