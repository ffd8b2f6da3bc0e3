/*
 * grants.c — see grants.h.
 *
 * The reservations are a hash table of the grants used since the start, under one mutex: an
 * entry holds the highest number handed out (`top`) and how many of its reservations are not
 * released yet (`open`).
 */
#include "grants.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pb.h"
#include "randpool.h"

#define KEY_MAX     256
#define USE_KEY_LEN (3 + GRANTS_ID_LEN + 4)

int grants_check_id(const char *id)
{
    if (!id || strlen(id) != GRANTS_ID_LEN)
        return 0;
    for (size_t i = 0; i < GRANTS_ID_LEN; i++) {
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    }
    return 1;
}

int grants_new_id(char out[GRANTS_ID_LEN + 1])
{
    unsigned char r[10];
    struct timespec ts;

    if (randpool_bytes(r, sizeof r) != 0)
        return -1;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    /* 12 hex digits of milliseconds (until the year 10889), then 20 of randomness. */
    snprintf(out, 13, "%012llx", (unsigned long long)(ms & 0xffffffffffffull));
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(out + 12 + 2 * i, 3, "%02x", r[i]);
    return 0;
}

/* The length of a key part: 0 when it is empty, too long or holds the separator. */
static size_t part_len(const char *s)
{
    size_t n = s ? strnlen(s, GRANTS_CODE_MAX + 1) : 0;

    if (n == 0 || n > GRANTS_CODE_MAX || memchr(s, '/', n))
        return 0;
    return n;
}

/* "ge/<grantee>/" (by_grantee) or "gs/<subject identifier>/" into out[KEY_MAX]; its length,
 * or 0 if it cannot be keyed. */
static size_t index_prefix(int by_grantee, const char *identifier, char *out)
{
    if (!part_len(identifier))
        return 0;
    int n = snprintf(out, KEY_MAX, "%s/%s/", by_grantee ? "ge" : "gs", identifier);
    return n > 0 && n < KEY_MAX ? (size_t)n : 0;
}

static size_t grant_key(const char *id, char *out)
{
    if (!grants_check_id(id))
        return 0;
    memcpy(out, "g/", 2);
    memcpy(out + 2, id, GRANTS_ID_LEN);
    return 2 + GRANTS_ID_LEN;
}

static void use_key(const char *id, uint32_t number, unsigned char out[USE_KEY_LEN])
{
    memcpy(out, "gu/", 3);
    memcpy(out + 3, id, GRANTS_ID_LEN);
    out[3 + GRANTS_ID_LEN] = (unsigned char)(number >> 24);
    out[4 + GRANTS_ID_LEN] = (unsigned char)(number >> 16);
    out[5 + GRANTS_ID_LEN] = (unsigned char)(number >> 8);
    out[6 + GRANTS_ID_LEN] = (unsigned char)number;
}

int grants_get(store *st, const char *id, Credit__V1__Grant **out, char *err)
{
    char key[KEY_MAX];
    size_t klen = grant_key(id, key);

    if (!klen)
        return STORE_ENOTFOUND; /* no such key can have been written */
    return pb_store_get(st, NULL, STORE_CF_AUTHZ, key, klen, &credit__v1__grant__descriptor,
                        "a stored grant", (ProtobufCMessage **)out, err);
}

int grants_put(store_batch *b, const Credit__V1__Grant *g, int is_new)
{
    char key[KEY_MAX];
    size_t klen = grant_key(g->grant_id, key);

    if (!klen || !g->subject)
        return STORE_EINVAL;
    if (is_new) {
        char ix[2][KEY_MAX];
        size_t a = index_prefix(0, g->subject->identifier, ix[0]);
        size_t e = index_prefix(1, g->grantee, ix[1]);
        if (!a || !e || a + GRANTS_ID_LEN > KEY_MAX || e + GRANTS_ID_LEN > KEY_MAX)
            return STORE_EINVAL;
        memcpy(ix[0] + a, g->grant_id, GRANTS_ID_LEN);
        memcpy(ix[1] + e, g->grant_id, GRANTS_ID_LEN);
        store_batch_put(b, STORE_CF_AUTHZ, ix[0], a + GRANTS_ID_LEN, "", 0);
        store_batch_put(b, STORE_CF_AUTHZ, ix[1], e + GRANTS_ID_LEN, "", 0);
    }
    return pb_batch_put(b, STORE_CF_AUTHZ, key, klen, &g->base);
}

void grants_free_list(Credit__V1__Grant **v, size_t n)
{
    pb_free_list((ProtobufCMessage **)v, n);
}

int grants_list(store *st, int by_grantee, const char *identifier, Credit__V1__Grant ***out,
                size_t *n, char *err)
{
    return grants_list_page(st, by_grantee, identifier, NULL, SIZE_MAX, out, n, NULL, err);
}

int grants_list_page(store *st, int by_grantee, const char *identifier, const char *after,
                     size_t max, Credit__V1__Grant ***out, size_t *n, int *more, char *err)
{
    char prefix[KEY_MAX], start[KEY_MAX];
    size_t plen = index_prefix(by_grantee, identifier, prefix), slen = 0;
    Credit__V1__Grant **v = NULL;
    size_t nv = 0, cap = 0;
    int rc = 0;

    if (more)
        *more = 0;
    if (!plen) {
        *out = NULL;
        *n = 0;
        return 0; /* nothing can be filed under what cannot be keyed */
    }
    if (after && after[0]) {
        if (!grants_check_id(after))
            return STORE_EINVAL;
        memcpy(start, prefix, plen);
        memcpy(start + plen, after, GRANTS_ID_LEN);
        slen = plen + GRANTS_ID_LEN;
    }
    pb_scan *s = NULL;
    if (pb_scan_open(st, NULL, STORE_CF_AUTHZ, prefix, plen, slen ? start : NULL, slen, NULL,
                     &s) != 0)
        return STORE_ENOMEM;
    const void *key, *val;
    size_t klen, vlen;
    while ((rc = pb_scan_next_raw(s, &key, &klen, &val, &vlen, err)) > 0) {
        char id[GRANTS_ID_LEN + 1];
        if (klen != plen + GRANTS_ID_LEN)
            continue; /* not an index entry of this prefix's shape */
        memcpy(id, (const char *)key + plen, GRANTS_ID_LEN);
        id[GRANTS_ID_LEN] = '\0';
        if (slen && strcmp(id, after) == 0)
            continue; /* the page starts after it */
        if (nv == max) {
            if (more)
                *more = 1;
            rc = 0;
            break;
        }
        Credit__V1__Grant *g = NULL;
        rc = grants_get(st, id, &g, err);
        if (rc == STORE_ENOTFOUND)
            continue;
        if (rc != 0)
            break;
        if (nv == cap) {
            size_t nc = cap ? 2 * cap : 16;
            Credit__V1__Grant **nvv = realloc(v, nc * sizeof *nvv);
            if (!nvv) {
                credit__v1__grant__free_unpacked(g, NULL);
                rc = STORE_ENOMEM;
                break;
            }
            v = nvv;
            cap = nc;
        }
        v[nv++] = g;
    }
    pb_scan_close(s);
    if (rc < 0) {
        grants_free_list(v, nv);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

int grants_uses(store *st, const char *id, uint32_t *out, char *err)
{
    unsigned char prefix[USE_KEY_LEN];
    void *key = NULL;
    size_t klen = 0;

    if (!grants_check_id(id))
        return STORE_EINVAL;
    use_key(id, 0, prefix);
    int rc = store_last_key(st, STORE_CF_AUTHZ, prefix, USE_KEY_LEN - 4, &key, &klen, err);
    if (rc == STORE_ENOTFOUND) {
        *out = 0;
        return 0;
    }
    if (rc != 0)
        return rc;
    if (klen != USE_KEY_LEN) {
        free(key);
        if (err)
            snprintf(err, STORE_ERR_LEN, "a stored grant use has a key of %zu bytes", klen);
        return STORE_ECORRUPT;
    }
    const unsigned char *k = key;
    *out = (uint32_t)k[USE_KEY_LEN - 4] << 24 | (uint32_t)k[USE_KEY_LEN - 3] << 16 |
           (uint32_t)k[USE_KEY_LEN - 2] << 8 | k[USE_KEY_LEN - 1];
    free(key);
    return 0;
}

int grants_list_uses(store *st, const char *id, Credit__V1__GrantUse ***out, size_t *n, char *err)
{
    return grants_list_uses_page(st, id, 1, SIZE_MAX, out, n, NULL, err);
}

int grants_list_uses_page(store *st, const char *id, uint32_t from, size_t max,
                          Credit__V1__GrantUse ***out, size_t *n, int *more, char *err)
{
    unsigned char prefix[USE_KEY_LEN], start[USE_KEY_LEN];
    Credit__V1__GrantUse **v = NULL;
    size_t nv = 0, cap = 0;
    int rc = 0;

    if (more)
        *more = 0;
    if (!grants_check_id(id)) {
        *out = NULL;
        *n = 0;
        return 0;
    }
    use_key(id, 0, prefix);
    use_key(id, from, start);
    pb_scan *s = NULL;
    if (pb_scan_open(st, NULL, STORE_CF_AUTHZ, prefix, USE_KEY_LEN - 4, start, USE_KEY_LEN,
                     &credit__v1__grant_use__descriptor, &s) != 0)
        return STORE_ENOMEM;
    for (;;) {
        ProtobufCMessage *m = NULL;
        if ((rc = pb_scan_next(s, &m, NULL, NULL, err)) <= 0) {
            if (rc == STORE_ECORRUPT)
                snprintf(err, STORE_ERR_LEN, "a stored grant use cannot be decoded");
            break;
        }
        if (nv == max) {
            protobuf_c_message_free_unpacked(m, NULL);
            if (more)
                *more = 1;
            rc = 0;
            break;
        }
        if (nv == cap) {
            size_t nc = cap ? 2 * cap : 16;
            Credit__V1__GrantUse **nvv = realloc(v, nc * sizeof *nvv);
            if (!nvv) {
                protobuf_c_message_free_unpacked(m, NULL);
                snprintf(err, STORE_ERR_LEN, "out of memory");
                rc = STORE_ENOMEM;
                break;
            }
            v = nvv;
            cap = nc;
        }
        v[nv++] = (Credit__V1__GrantUse *)m;
    }
    pb_scan_close(s);
    if (rc < 0) {
        grants_free_uses(v, nv);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

void grants_free_uses(Credit__V1__GrantUse **v, size_t n)
{
    pb_free_list((ProtobufCMessage **)v, n);
}

int grants_put_use(store_batch *b, const Credit__V1__GrantUse *u)
{
    unsigned char key[USE_KEY_LEN];

    if (!grants_check_id(u->grant_id) || u->number == 0)
        return STORE_EINVAL;
    use_key(u->grant_id, u->number, key);
    return pb_batch_put(b, STORE_CF_AUTHZ, key, sizeof key, &u->base);
}

/* --- Reservations ------------------------------------------------------------------------ */

#define BUCKETS 1024

typedef struct inflight {
    struct inflight *next;
    char id[GRANTS_ID_LEN + 1];
    uint32_t top;  /* the highest number handed out (stored or reserved) */
    uint32_t open; /* reservations not yet released */
} inflight;

/* Guards `table` and every entry in it. An entry, once made, stays for the life of the
 * process (a few dozen bytes per grant used since the start), so that a grant's next number
 * is read from the store once, not at every use: the store holds no use this table has not
 * handed out, since every use is written only after a reservation here. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static inflight *table[BUCKETS];

static inflight **slot(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a over the id's random part */
    for (size_t i = 12; i < GRANTS_ID_LEN; i++)
        h = (h ^ (unsigned char)id[i]) * 16777619u;
    inflight **p = &table[h % BUCKETS];
    while (*p && memcmp((*p)->id, id, GRANTS_ID_LEN) != 0)
        p = &(*p)->next;
    return p;
}

int grants_reserve(store *st, const char *id, uint32_t limit, uint32_t *number, char *err)
{
    int rc = 0;

    if (!grants_check_id(id))
        return STORE_EINVAL;
    pthread_mutex_lock(&mu);
    inflight **p = slot(id), *f = *p;
    if (!f) {
        /* Read under the mutex: no use of this grant can be written meanwhile, since every
         * write of one follows a reservation, and there is none yet. */
        uint32_t top;
        if ((rc = grants_uses(st, id, &top, err)) != 0)
            goto out;
        if (!(f = calloc(1, sizeof *f))) {
            rc = STORE_ENOMEM;
            goto out;
        }
        memcpy(f->id, id, GRANTS_ID_LEN + 1);
        f->top = top;
        *p = f;
    }
    if (f->top >= limit) {
        rc = 1;
        goto out;
    }
    f->open++;
    *number = ++f->top;
out:
    pthread_mutex_unlock(&mu);
    return rc;
}

void grants_release(const char *id, uint32_t number, int written)
{
    pthread_mutex_lock(&mu);
    inflight *f = *slot(id);
    if (f && f->open) {
        f->open--;
        if (!written && number == f->top)
            f->top--; /* the last number handed out is free again */
    }
    pthread_mutex_unlock(&mu);
}
