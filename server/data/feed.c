/*
 * feed.c — see feed.h.
 *
 * `last` (the last written sequence) is changed only under the committer's lock (feed_stage,
 * feed_written), `head` (published) only by feed_publish, which moves it forward and never
 * back; `oldest` only by feed_trim. All three are read atomically from any thread, so a
 * reader never takes the committer's lock. `mu` serialises trims and the listener's setting.
 */
#include "feed.h"

#include "records.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct feed {
    store *st;
    uint64_t last;      /* last written sequence; under the committer's lock, read atomically */
    uint64_t head;      /* last published sequence; atomic */
    uint64_t oldest;    /* first sequence kept; atomic */
    pthread_mutex_t mu; /* guards trims and the listener */
    feed_listener fn;
    void *ctx;
};

static int seq_of_key(const void *key, size_t klen, uint64_t *seq)
{
    if (klen != 8)
        return -1;
    *seq = store_get_be64(key);
    return 0;
}

int feed_open(store *st, feed **out, char *err)
{
    feed *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        return STORE_ENOMEM;
    }
    f->st = st;
    pthread_mutex_init(&f->mu, NULL);
    void *key = NULL;
    size_t klen = 0;
    int rc = store_last_key(st, STORE_CF_FEED, NULL, 0, &key, &klen, err);
    if (rc == STORE_ENOTFOUND) {
        f->oldest = 1;
        *out = f;
        return 0;
    }
    if (rc == 0 && seq_of_key(key, klen, &f->last) != 0) {
        snprintf(err, STORE_ERR_LEN, "the change feed's last key is not a sequence");
        rc = STORE_ECORRUPT;
    }
    free(key);
    if (rc != 0)
        goto fail;
    f->head = f->last; /* what a restart finds in the store was fsynced or is lost with it */
    store_iter *it = store_iter_create(st, NULL, STORE_CF_FEED, NULL, 0, NULL, 0);
    f->oldest = f->last;
    if (it && store_iter_valid(it)) {
        const void *k = store_iter_key(it, &klen);
        if (seq_of_key(k, klen, &f->oldest) != 0)
            f->oldest = f->last;
    }
    rc = store_iter_error(it, err);
    store_iter_destroy(it);
    if (rc != 0)
        goto fail;
    *out = f;
    return 0;
fail:
    pthread_mutex_destroy(&f->mu);
    free(f);
    return rc;
}

void feed_close(feed *f)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void feed_set_listener(feed *f, feed_listener fn, void *ctx)
{
    pthread_mutex_lock(&f->mu);
    f->fn = fn;
    f->ctx = ctx;
    pthread_mutex_unlock(&f->mu);
}

void feed_changes_init(feed_changes *fc)
{
    memset(fc, 0, sizeof *fc);
}

void feed_changes_cleanup(feed_changes *fc)
{
    for (size_t i = 0; i < fc->n; i++)
        credit__store__v1__feed_record__free_unpacked(fc->v[i], NULL);
    free(fc->v);
    memset(fc, 0, sizeof *fc);
}

void feed_changes_add(feed_changes *fc, int kind, int catalogue, const char *subject,
                      const void *payload, size_t len)
{
    if (fc->failed)
        return;
    if (fc->n == fc->cap) {
        size_t cap = fc->cap ? 2 * fc->cap : 8;
        void *v = realloc(fc->v, cap * sizeof *fc->v);
        if (!v) {
            fc->failed = 1;
            return;
        }
        fc->v = v;
        fc->cap = cap;
    }
    /* Allocated as unpack would, so free_unpacked releases every part. */
    Credit__Store__V1__FeedRecord *r = malloc(sizeof *r);
    char *s = strdup(subject ? subject : "");
    uint8_t *p = malloc(len ? len : 1);
    if (!r || !s || !p) {
        free(r);
        free(s);
        free(p);
        fc->failed = 1;
        return;
    }
    credit__store__v1__feed_record__init(r);
    r->kind = kind;
    r->catalogue = catalogue;
    r->subject = s;
    if (len)
        memcpy(p, payload, len);
    r->payload.data = p;
    r->payload.len = len;
    fc->v[fc->n++] = r;
}

void feed_changes_add_record(feed_changes *fc, int kind, const Credit__V1__Record *rec)
{
    unsigned char ref[RECORD_ID_LEN + 4];
    const Credit__V1__RecordMeta *m = rec->meta;
    if (!m || strlen(m->record_id) != RECORD_ID_LEN) {
        fc->failed = 1;
        return;
    }
    memcpy(ref, m->record_id, RECORD_ID_LEN);
    ref[RECORD_ID_LEN] = (unsigned char)(m->version >> 24);
    ref[RECORD_ID_LEN + 1] = (unsigned char)(m->version >> 16);
    ref[RECORD_ID_LEN + 2] = (unsigned char)(m->version >> 8);
    ref[RECORD_ID_LEN + 3] = (unsigned char)m->version;
    /* The subject is left out: an identifier may be a personal number, which the feed never
     * stores; it is read from the version when the entry is served. */
    feed_changes_add(fc, kind, m->catalogue, "", ref, sizeof ref);
}

int feed_record_ref(const Credit__Store__V1__FeedRecord *rec, char id[33], uint32_t *version)
{
    const unsigned char *p = rec->payload.data;
    if (rec->payload.len != RECORD_ID_LEN + 4)
        return -1;
    memcpy(id, p, RECORD_ID_LEN);
    id[RECORD_ID_LEN] = '\0';
    if (records_check_id(id) != 0)
        return -1;
    *version = (uint32_t)p[RECORD_ID_LEN] << 24 | (uint32_t)p[RECORD_ID_LEN + 1] << 16 |
               (uint32_t)p[RECORD_ID_LEN + 2] << 8 | p[RECORD_ID_LEN + 3];
    return 0;
}

int feed_stage(feed *f, feed_changes *fc, store_batch *b, char *err)
{
    if (fc->failed) {
        snprintf(err, STORE_ERR_LEN, "out of memory (change feed)");
        return STORE_ENOMEM;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    fc->first = f->last + 1;
    for (size_t i = 0; i < fc->n; i++) {
        Credit__Store__V1__FeedRecord *r = fc->v[i];
        r->committed_unix_ms = ms;
        size_t len = credit__store__v1__feed_record__get_packed_size(r);
        unsigned char *buf = malloc(len ? len : 1);
        if (!buf) {
            snprintf(err, STORE_ERR_LEN, "out of memory (change feed)");
            return STORE_ENOMEM;
        }
        credit__store__v1__feed_record__pack(r, buf);
        unsigned char key[8];
        store_put_be64(key, fc->first + i);
        store_batch_put(b, STORE_CF_FEED, key, sizeof key, buf, len);
        free(buf);
    }
    return 0;
}

void feed_written(feed *f, const feed_changes *fc)
{
    if (fc->n)
        __atomic_store_n(&f->last, fc->first + fc->n - 1, __ATOMIC_RELEASE);
}

void feed_publish(feed *f, uint64_t seq)
{
    uint64_t cur = __atomic_load_n(&f->head, __ATOMIC_ACQUIRE);
    while (cur < seq &&
           !__atomic_compare_exchange_n(&f->head, &cur, seq, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ;
    pthread_mutex_lock(&f->mu);
    feed_listener fn = f->fn;
    void *ctx = f->ctx;
    pthread_mutex_unlock(&f->mu);
    if (fn)
        fn(ctx);
}

uint64_t feed_head(const feed *f)
{
    return __atomic_load_n(&f->head, __ATOMIC_ACQUIRE);
}

uint64_t feed_last_written(const feed *f)
{
    return __atomic_load_n(&f->last, __ATOMIC_ACQUIRE);
}

uint64_t feed_oldest(const feed *f)
{
    uint64_t o = __atomic_load_n(&f->oldest, __ATOMIC_ACQUIRE);
    uint64_t h = feed_head(f);
    return o ? o : h + 1;
}

int feed_read(feed *f, uint64_t after, uint64_t upto, feed_item *items, size_t max, size_t *n,
              char *err)
{
    unsigned char start[8];
    size_t got = 0;
    int rc = 0;
    store_put_be64(start, after + 1);
    store_iter *it = store_iter_create(f->st, NULL, STORE_CF_FEED, NULL, 0, start, sizeof start);
    for (; got < max && store_iter_valid(it); store_iter_next(it)) {
        size_t klen, vlen;
        const void *k = store_iter_key(it, &klen);
        const void *v = store_iter_value(it, &vlen);
        uint64_t seq;
        if (seq_of_key(k, klen, &seq) != 0) {
            snprintf(err, STORE_ERR_LEN, "a change feed key is not a sequence");
            rc = STORE_ECORRUPT;
            break;
        }
        if (seq > upto)
            break;
        Credit__Store__V1__FeedRecord *r = credit__store__v1__feed_record__unpack(NULL, vlen, v);
        if (!r) {
            snprintf(err, STORE_ERR_LEN, "change feed entry %llu does not decode",
                     (unsigned long long)seq);
            rc = STORE_ECORRUPT;
            break;
        }
        items[got].seq = seq;
        items[got].rec = r;
        got++;
    }
    if (rc == 0)
        rc = store_iter_error(it, err);
    store_iter_destroy(it);
    if (rc != 0) {
        while (got)
            credit__store__v1__feed_record__free_unpacked(items[--got].rec, NULL);
        return rc;
    }
    *n = got;
    return 0;
}

int feed_trim(feed *f, int64_t cutoff_ms, size_t max, size_t *dropped, char *err)
{
    int rc = 0;
    size_t count = 0;
    uint64_t last = feed_last_written(f), next = 0;
    store_batch *b = store_batch_create();
    if (!b) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        return STORE_ENOMEM;
    }
    pthread_mutex_lock(&f->mu);
    store_iter *it = store_iter_create(f->st, NULL, STORE_CF_FEED, NULL, 0, NULL, 0);
    for (; count < max && store_iter_valid(it); store_iter_next(it)) {
        size_t klen, vlen;
        const void *k = store_iter_key(it, &klen);
        const void *v = store_iter_value(it, &vlen);
        uint64_t seq;
        if (seq_of_key(k, klen, &seq) != 0 || seq >= last)
            break;
        Credit__Store__V1__FeedRecord *r = credit__store__v1__feed_record__unpack(NULL, vlen, v);
        int old = r && r->committed_unix_ms < cutoff_ms;
        if (r)
            credit__store__v1__feed_record__free_unpacked(r, NULL);
        if (!old)
            break;
        store_batch_delete(b, STORE_CF_FEED, k, klen);
        next = seq + 1;
        count++;
    }
    rc = store_iter_error(it, err);
    store_iter_destroy(it);
    if (rc == 0 && count)
        rc = store_write_sync(f->st, b, 0, err);
    if (rc == 0 && count)
        __atomic_store_n(&f->oldest, next, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&f->mu);
    store_batch_destroy(b);
    if (rc == 0)
        *dropped = count;
    return rc;
}
