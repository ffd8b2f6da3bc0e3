/*
 * audit.c — see audit.h.
 *
 * Entry hash = SHA-256(prev_hash || be64(seq) || entry packed with `hash` empty). The
 * first entry's prev_hash is 32 zero bytes.
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

struct audit {
    store *st;
    pthread_mutex_t mu; /* guards seq and head, and is held across each write */
    uint64_t seq;       /* last written sequence; 0 for an empty log */
    unsigned char head[HASH_LEN];
};

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
    pthread_mutex_init(&a->mu, NULL);
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
    free(a);
    return rc;
}

void audit_close(audit *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->mu);
    free(a);
}

static char *or_empty(const char *s)
{
    return (char *)(s ? s : "");
}

int audit_commit(audit *a, store_batch *b, const audit_event *ev, int sync, char *err)
{
    store_batch *own = NULL;
    if (!b) {
        own = b = store_batch_create();
        if (!b) {
            snprintf(err, STORE_ERR_LEN, "out of memory");
            return STORE_ENOMEM;
        }
    }
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

    int rc;
    unsigned char hash[HASH_LEN];
    pthread_mutex_lock(&a->mu);
    e.seq = a->seq + 1;
    e.prev_hash.data = a->head;
    e.prev_hash.len = HASH_LEN;
    if (entry_hash(&e, hash) != 0) {
        snprintf(err, STORE_ERR_LEN, "cannot hash the audit entry");
        rc = STORE_ENOMEM;
        goto out;
    }
    e.hash.data = hash;
    e.hash.len = HASH_LEN;
    size_t n = credit__v1__audit_entry__get_packed_size(&e);
    unsigned char *buf = malloc(n);
    if (!buf) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        rc = STORE_ENOMEM;
        goto out;
    }
    credit__v1__audit_entry__pack(&e, buf);
    unsigned char key[8];
    store_put_be64(key, e.seq);
    store_batch_put(b, STORE_CF_AUDIT, key, sizeof key, buf, n);
    free(buf);
    rc = store_write_sync(a->st, b, sync, err);
    if (rc == 0) {
        a->seq = e.seq;
        memcpy(a->head, hash, HASH_LEN);
    }
out:
    pthread_mutex_unlock(&a->mu);
    store_batch_destroy(own);
    return rc;
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
