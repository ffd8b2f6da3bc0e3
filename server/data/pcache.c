/*
 * pcache.c — see pcache.h.
 *
 * Entries live in a chained hash table of PCACHE_BUCKETS buckets and on one LRU list (most
 * recently used at the head), both under `mu`. An entry is one allocation: the struct, then
 * its key, then its value. Generations are separate atomics, read and bumped without `mu`.
 *
 * Stripe of a subject key: FNV-1a (64 bits) of its bytes, 'U'/'A'/'P' tag through the
 * trailing 0x00, modulo PCACHE_STRIPES. Index entries are that key followed by a record id
 * (RECORD_ID_LEN bytes), so their stripe is the stripe of the key without its last
 * RECORD_ID_LEN bytes.
 */
#include "pcache.h"

#include "records.h"
#include "subjects.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PCACHE_BUCKETS 1024

typedef struct entry {
    struct entry *hnext;       /* the bucket's chain */
    struct entry *prev, *next; /* the LRU list */
    uint64_t hash;
    size_t klen, vlen, bytes;
    pcache_gens gens;
    unsigned char data[]; /* key, then value */
} entry;

struct pcache {
    uint64_t global;                  /* atomics (see the file's head) */
    uint64_t stripes[PCACHE_STRIPES]; /* atomics */
    pthread_mutex_t mu;               /* guards everything below */
    entry *buckets[PCACHE_BUCKETS];
    entry *head, *tail; /* LRU: head most recent */
    size_t bytes, max_bytes, entries;
    uint64_t hits, misses;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;

    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

#define FNV_START 14695981039346656037ull

static uint32_t stripe_of(const void *key, size_t klen)
{
    return (uint32_t)(fnv(FNV_START, key, klen) % PCACHE_STRIPES);
}

/* The stripe of a subject key made of tag, body[0..n) and the 0x00. */
static uint32_t stripe_parts(char tag, const void *body, size_t n)
{
    uint64_t h = fnv(FNV_START, &tag, 1);
    h = fnv(h, body, n);
    return (uint32_t)(fnv(h, "", 1) % PCACHE_STRIPES);
}

int pcache_create(size_t max_bytes, pcache **out)
{
    pcache *c;

    *out = NULL;
    if (max_bytes == 0)
        return 0;
    if (!(c = calloc(1, sizeof *c)))
        return -1;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return -1;
    }
    c->max_bytes = max_bytes;
    *out = c;
    return 0;
}

void pcache_destroy(pcache *c)
{
    if (!c)
        return;
    for (entry *e = c->head, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void bump(uint64_t *g)
{
    __atomic_add_fetch(g, 1, __ATOMIC_RELEASE);
}

/* Bumps what a write of SUBJECTS key k[0..n) invalidates (pcache.h); 0, or -1 for a key this
 * file does not know (the caller bumps the global generation). */
static int note_subject_key(pcache *c, const char *k, size_t n)
{
    if (n < 2)
        return -1;
    switch (k[0]) {
    case 'U':
    case 'A':
    case 'P': /* an index entry: subject key (through its 0x00), then the record id */
        if (n <= RECORD_ID_LEN || k[n - RECORD_ID_LEN - 1] != '\0')
            return -1;
        bump(&c->stripes[stripe_of(k, n - RECORD_ID_LEN)]);
        return 0;
    case 'B': /* 'B' type code -> uscc: the code's 'A' key (the value's USCC: by its 'R') */
        bump(&c->stripes[stripe_parts('A', k + 1, n - 1)]);
        return 0;
    case 'R': /* 'R' uscc type code: the USCC's key and the code's 'A' key */
        if (n <= 1 + SUBJECTS_USCC_LEN)
            return -1;
        bump(&c->stripes[stripe_parts('U', k + 1, SUBJECTS_USCC_LEN)]);
        bump(&c->stripes[stripe_parts('A', k + 1 + SUBJECTS_USCC_LEN, n - 1 - SUBJECTS_USCC_LEN)]);
        return 0;
    default:
        return -1;
    }
}

/* How far from a record's own write (STORE_CF_RECORDS, STORE_CF_HISTORY) its index entry is
 * looked for among a batch's operations: records_put_version puts them a few apart. */
#define INDEX_NEAR 8

/* Whether the batch's operation i (a record or history write: its key starts with the record
 * id) has an index entry of the same record within INDEX_NEAR operations of it, which bumped
 * (or will bump) the stripe of the subject it is filed under. */
static int indexed_near(const store_batch *b, size_t i, const store_batch_op *rec)
{
    store_batch_op op;

    if (rec->klen < RECORD_ID_LEN)
        return 0;
    for (size_t j = i > INDEX_NEAR ? i - INDEX_NEAR : 0; j <= i + INDEX_NEAR; j++) {
        if (store_batch_op_at(b, j, &op) != 0)
            break;
        if (op.cf == STORE_CF_SUBJECTS && op.klen > RECORD_ID_LEN &&
            memcmp((const char *)op.key + op.klen - RECORD_ID_LEN, rec->key, RECORD_ID_LEN) == 0)
            return 1;
    }
    return 0;
}

void pcache_note_batch(void *ctx, const store_batch *b)
{
    pcache *c = ctx;
    int global = 0;
    store_batch_op op;

    if (!c)
        return;
    for (size_t i = 0; store_batch_op_at(b, i, &op) == 0; i++) {
        const char *k = op.key;
        const char *slash;

        switch (op.cf) {
        case STORE_CF_SUBJECTS:
            if (note_subject_key(c, k, op.klen) != 0)
                global = 1;
            break;
        case STORE_CF_SERIES: /* uscc "/" section "/" ... (series.h) */
            slash = memchr(k, '/', op.klen);
            if (slash)
                bump(&c->stripes[stripe_parts('U', k, (size_t)(slash - k))]);
            else
                global = 1;
            break;
        case STORE_CF_RECORDS:
        case STORE_CF_HISTORY:
            if (!indexed_near(b, i, &op))
                global = 1;
            break;
        case STORE_CF_CATALOGUE:
            global = 1;
            break;
        default:
            break;
        }
    }
    if (global)
        bump(&c->global);
}

void pcache_gens_init(const pcache *c, pcache_gens *g)
{
    memset(g, 0, sizeof *g);
    if (c)
        g->global = __atomic_load_n(&c->global, __ATOMIC_ACQUIRE);
}

static int gens_add(const pcache *c, pcache_gens *g, uint32_t s)
{
    if (!c)
        return 0;
    for (size_t i = 0; i < g->n; i++) {
        if (g->stripe[i] == s)
            return 0;
    }
    if (g->n == PCACHE_GENS_MAX)
        return -1;
    g->stripe[g->n] = s;
    g->gen[g->n++] = __atomic_load_n(&c->stripes[s], __ATOMIC_ACQUIRE);
    return 0;
}

int pcache_gens_add_key(const pcache *c, pcache_gens *g, const void *key, size_t klen)
{
    return gens_add(c, g, stripe_of(key, klen));
}

int pcache_gens_add_uscc(const pcache *c, pcache_gens *g, const char *uscc)
{
    return gens_add(c, g, stripe_parts('U', uscc, strlen(uscc)));
}

/* Whether every generation of g is still current. */
static int current(const pcache *c, const pcache_gens *g)
{
    if (__atomic_load_n(&c->global, __ATOMIC_ACQUIRE) != g->global)
        return 0;
    for (size_t i = 0; i < g->n; i++) {
        if (__atomic_load_n(&c->stripes[g->stripe[i]], __ATOMIC_ACQUIRE) != g->gen[i])
            return 0;
    }
    return 1;
}

/* --- Entries (under mu) -------------------------------------------------------------------- */

static entry **find_locked(pcache *c, uint64_t h, const void *key, size_t klen)
{
    entry **at = &c->buckets[h % PCACHE_BUCKETS];

    for (; *at; at = &(*at)->hnext) {
        if ((*at)->hash == h && (*at)->klen == klen && memcmp((*at)->data, key, klen) == 0)
            break;
    }
    return at;
}

static void lru_unlink(pcache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(pcache *c, entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

/* Drops the entry *at points to (a bucket's link). */
static void drop_locked(pcache *c, entry **at)
{
    entry *e = *at;

    *at = e->hnext;
    lru_unlink(c, e);
    c->bytes -= e->bytes;
    c->entries--;
    free(e);
}

int pcache_get(pcache *c, const void *key, size_t klen, void **val, size_t *vlen)
{
    uint64_t h;
    int rc = 0;

    if (!c)
        return 0;
    h = fnv(FNV_START, key, klen);
    pthread_mutex_lock(&c->mu);
    entry **at = find_locked(c, h, key, klen);
    entry *e = *at;
    if (e && !current(c, &e->gens)) {
        drop_locked(c, at);
        e = NULL;
    }
    if (e) {
        void *copy = malloc(e->vlen ? e->vlen : 1);
        if (copy) {
            memcpy(copy, e->data + e->klen, e->vlen);
            *val = copy;
            *vlen = e->vlen;
            lru_unlink(c, e);
            lru_push(c, e);
            c->hits++;
            rc = 1;
        } else {
            rc = -1;
        }
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void pcache_put(pcache *c, const void *key, size_t klen, const pcache_gens *g, const void *val,
                size_t vlen)
{
    entry *e;
    size_t bytes;
    uint64_t h;

    if (!c || klen > c->max_bytes || vlen > c->max_bytes)
        return;
    bytes = sizeof *e + klen + vlen;
    if (bytes > c->max_bytes / 4 || !current(c, g))
        return;
    if (!(e = malloc(bytes)))
        return; /* a cache: not keeping it is always right */
    memset(e, 0, sizeof *e);
    h = fnv(FNV_START, key, klen);
    e->hash = h;
    e->klen = klen;
    e->vlen = vlen;
    e->bytes = bytes;
    e->gens = *g;
    memcpy(e->data, key, klen);
    memcpy(e->data + klen, val, vlen);
    pthread_mutex_lock(&c->mu);
    entry **at = find_locked(c, h, key, klen);
    if (*at)
        drop_locked(c, at);
    while (c->tail && c->bytes + bytes > c->max_bytes) {
        entry *old = c->tail;
        drop_locked(c, find_locked(c, old->hash, old->data, old->klen));
    }
    e->hnext = c->buckets[h % PCACHE_BUCKETS];
    c->buckets[h % PCACHE_BUCKETS] = e;
    lru_push(c, e);
    c->bytes += bytes;
    c->entries++;
    pthread_mutex_unlock(&c->mu);
}

void pcache_get_stats(pcache *c, pcache_stats *s)
{
    memset(s, 0, sizeof *s);
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    s->hits = c->hits;
    s->misses = c->misses;
    s->entries = c->entries;
    s->bytes = c->bytes;
    pthread_mutex_unlock(&c->mu);
}
