/*
 * store.c — the node's storage over RocksDB (C API).
 *
 * The only server source that includes rocksdb/c.h; store.h is the whole contract. One database
 * holds one column family per store_cf, opened in enum order under the names store_cf_name()
 * gives. Families found on disk that this build does not know (written by a newer build, or by
 * hand) are opened too and kept until close, because RocksDB refuses to open a database unless
 * every existing family is listed; we never read or write them.
 *
 * Durability: the write-ahead log is always on. The store keeps two write-option objects, one
 * that fsyncs the log before returning and one that does not; store_write picks the one the
 * options asked for, store_write_sync the one the caller names. Pipelined writes, a Bloom
 * filter (10 bits a key) and an LRU block cache are the throughput levers we pull.
 *
 * Batches do not touch RocksDB until store_write: store_batch_put takes no store, so it cannot
 * resolve a column-family handle. A batch records its operations (kind, family, key, value)
 * in buffers of its own and store_write replays them into a rocksdb_writebatch_t with that
 * store's handles, so two stores open at once (tests do this) never share state; a large
 * batch in key order (op_order says why), with the effect of its own order. A put or
 * delete that cannot be recorded (out of memory, bad arguments) poisons the batch: store_write
 * then fails without writing anything, never a partial batch.
 *
 * Prefix scans set iterate_upper_bound to the prefix's successor (the shortest key above every
 * key with the prefix); the bound lives in the iterator's own allocation, next to the readoptions
 * that point at it, so both outlive the RocksDB iterator. store_iter_valid checks the prefix
 * again as well, which also covers prefixes of all 0xff bytes that have no successor.
 *
 * Errors: every RocksDB errptr is copied into the caller's `err` and freed with rocksdb_free at
 * once. Nothing here logs. There is no global mutable state: a store, its snapshots and its
 * iterators are safe across threads because RocksDB's DB is, and everything the store struct
 * holds is written once by store_open and only read afterwards, except the fault state, which
 * its own mutex guards.
 *
 * Faults of the disk (store.h). A write's engine error is classified by RocksDB's status text,
 * the only form the C API gives: "No space left on device" from an append is STORE_ENOSPC;
 * any other "IO error" or "Corruption", and every failed fsync whatever its errno, is
 * STORE_EDISK and latches the store into refusing writes (STORE_EFAILED) until it is reopened.
 * We latch ourselves rather than trust the engine's own recovery: RocksDB retries some I/O
 * errors, and after a failed fsync a retry that succeeds proves nothing. A full disk needs no
 * action of ours: the engine's file manager polls free space every 5 s and resumes writes
 * once a write buffer's worth (64 MiB) is free (the C API of RocksDB 7.8 has no resume call).
 * The engine's info LOG is written at FATAL level only: Debian's RocksDB is built with
 * assertions, and after one failed LOG append (a full disk) the next one aborts the process
 * in WritableFileWriter; past the header lines of the open, FATAL is never written in
 * practice.
 */
#include "store.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#define DEFAULT_CACHE_MB 64
#define BLOOM_BITS       10
#define PARALLELISM      2
#define ENGINE_LOG_FATAL 4 /* rocksdb::InfoLogLevel::FATAL_LEVEL: c.h names no constant */

static const char *const cf_names[STORE_CF_COUNT] = {
    [STORE_CF_DEFAULT] = "default",
    [STORE_CF_RECORDS] = "records",
    [STORE_CF_HISTORY] = "history",
    [STORE_CF_SUBJECTS] = "subjects",
    [STORE_CF_SOURCES] = "sources",
    [STORE_CF_CATALOGUE] = "catalogue",
    [STORE_CF_UNITS] = "units",
    [STORE_CF_AUTHZ] = "authz",
    [STORE_CF_OBJECTIONS] = "objections",
    [STORE_CF_REPAIRS] = "repairs",
    [STORE_CF_FEED] = "feed",
    [STORE_CF_AUDIT] = "audit",
    [STORE_CF_STATS] = "stats",
    [STORE_CF_SERIES] = "series",
};

/* Written by store_open, read-only until store_close: no lock needed. */
struct store {
    rocksdb_t *db;
    rocksdb_column_family_handle_t *cf[STORE_CF_COUNT];
    rocksdb_column_family_handle_t **extra; /* families on disk we do not know */
    size_t nextra;
    rocksdb_options_t *opts;
    rocksdb_block_based_table_options_t *table;
    rocksdb_cache_t *cache;
    rocksdb_writeoptions_t *wsync;
    rocksdb_writeoptions_t *wnosync;
    rocksdb_readoptions_t *rdefault; /* for reads without a snapshot */
    int sync;
    pthread_mutex_t fault_mu;  /* guards failed and fault */
    int failed;                /* a write met STORE_EDISK: refuse every write after it */
    char fault[STORE_ERR_LEN]; /* that write's error */
};

enum { OP_PUT, OP_DELETE };

/* One recorded operation; its key (and value) are at data + off in the batch. */
struct op {
    int kind;
    store_cf cf;
    size_t off;
    size_t klen;
    size_t vlen;
};

/* Owned by one thread at a time (store.h). */
struct store_batch {
    struct op *ops;
    size_t nops;
    size_t capops;
    unsigned char *data;
    size_t dlen;
    size_t capdata;
    int failed;  /* 0, or the STORE_E* that a put/delete could not record */
    int written; /* set by a successful store_write, cleared by store_batch_clear */
};

struct store_snapshot {
    const rocksdb_snapshot_t *snap;
};

/* The readoptions hold a pointer to the upper bound in `buf`; both outlive `it`. */
struct store_iter {
    rocksdb_iterator_t *it;
    rocksdb_readoptions_t *ro;
    size_t plen;         /* the prefix is buf[0, plen) */
    unsigned char buf[]; /* prefix, then its successor (the upper bound) */
};

static void seterr(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void seterr(char *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err, STORE_ERR_LEN, fmt, ap);
    va_end(ap);
}

/* Turns a RocksDB error string into ours, frees it at once and returns STORE_EIO. */
static int engine_err(char *err, char *e, const char *what)
{
    seterr(err, "store: %s: %s", what, e ? e : "unknown engine error");
    rocksdb_free(e);
    return STORE_EIO;
}

static int valid_cf(store_cf cf)
{
    return (unsigned)cf < STORE_CF_COUNT;
}

/*
 * Writes into `out` (at least n bytes) the shortest key greater than every key that begins with
 * p[0, n) and returns its length: drop trailing 0xff bytes, then increment the last byte. Returns
 * 0 when there is no such key (n == 0 or all bytes 0xff): then there is no upper bound.
 */
static size_t successor(const unsigned char *p, size_t n, unsigned char *out)
{
    while (n > 0 && p[n - 1] == 0xff)
        n--;
    if (n == 0)
        return 0;
    memcpy(out, p, n);
    out[n - 1]++;
    return n;
}

static int has_prefix(const void *key, size_t klen, const void *prefix, size_t plen)
{
    return klen >= plen && (plen == 0 || memcmp(key, prefix, plen) == 0);
}

/* Lexicographic byte order, shorter first on a tie, as RocksDB's default comparator. */
static int keycmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;

    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

const char *store_cf_name(store_cf cf)
{
    return valid_cf(cf) ? cf_names[cf] : NULL;
}

void store_options_init(store_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof(*opts));
    opts->sync = 1;
    opts->create_if_missing = 1;
    opts->block_cache_mb = 0;
}

/* Frees whatever part of a store is built; safe on a half-built one. */
static void destroy(store *st)
{
    size_t i;

    for (i = 0; i < STORE_CF_COUNT; i++)
        if (st->cf[i])
            rocksdb_column_family_handle_destroy(st->cf[i]);
    for (i = 0; i < st->nextra; i++)
        if (st->extra[i])
            rocksdb_column_family_handle_destroy(st->extra[i]);
    if (st->db)
        rocksdb_close(st->db);
    free(st->extra);
    if (st->rdefault)
        rocksdb_readoptions_destroy(st->rdefault);
    if (st->wnosync)
        rocksdb_writeoptions_destroy(st->wnosync);
    if (st->wsync)
        rocksdb_writeoptions_destroy(st->wsync);
    if (st->opts)
        rocksdb_options_destroy(st->opts);
    if (st->table)
        rocksdb_block_based_options_destroy(st->table);
    if (st->cache)
        rocksdb_cache_destroy(st->cache);
    pthread_mutex_destroy(&st->fault_mu);
    free(st);
}

/* Builds the engine options. The table options take ownership of the Bloom filter policy (it
 * is freed with them, so we never call rocksdb_filterpolicy_destroy); the cache is shared, and
 * our reference is dropped in destroy(). */
static int make_options(store *st, const store_options *o, char *err)
{
    size_t mb = o->block_cache_mb ? o->block_cache_mb : DEFAULT_CACHE_MB;
    rocksdb_filterpolicy_t *bloom;

    if (mb > SIZE_MAX / (1024 * 1024)) {
        seterr(err, "store: block_cache_mb %zu is too large", o->block_cache_mb);
        return STORE_EINVAL;
    }
    st->opts = rocksdb_options_create();
    st->table = rocksdb_block_based_options_create();
    st->cache = rocksdb_cache_create_lru(mb * 1024 * 1024);
    st->wsync = rocksdb_writeoptions_create();
    st->wnosync = rocksdb_writeoptions_create();
    st->rdefault = rocksdb_readoptions_create();
    bloom = rocksdb_filterpolicy_create_bloom(BLOOM_BITS);
    if (!st->opts || !st->table || !st->cache || !st->wsync || !st->wnosync || !st->rdefault ||
        !bloom) {
        if (bloom)
            rocksdb_filterpolicy_destroy(bloom);
        seterr(err, "store: out of memory building engine options");
        return STORE_ENOMEM;
    }

    rocksdb_block_based_options_set_filter_policy(st->table, bloom);
    rocksdb_block_based_options_set_block_cache(st->table, st->cache);
    rocksdb_options_set_block_based_table_factory(st->opts, st->table);
    rocksdb_options_increase_parallelism(st->opts, PARALLELISM);
    rocksdb_options_set_enable_pipelined_write(st->opts, 1);
    /* A bloom filter over the memtable's whole keys: most point reads of a push look for a
     * key that is absent (a new record's source id), and a search of the memtable's skip
     * list was the node's largest single cost in a profile (12% of its CPU). */
    rocksdb_options_set_memtable_whole_key_filtering(st->opts, 1);
    rocksdb_options_set_memtable_prefix_bloom_size_ratio(st->opts, 0.05);
    rocksdb_options_set_create_if_missing(st->opts, o->create_if_missing ? 1 : 0);
    rocksdb_options_set_create_missing_column_families(st->opts, o->create_if_missing ? 1 : 0);
    rocksdb_options_set_info_log_level(st->opts, ENGINE_LOG_FATAL); /* why: file head */

    /* The WAL is on by default and we never call rocksdb_writeoptions_disable_WAL. */
    rocksdb_writeoptions_set_sync(st->wsync, 1);
    rocksdb_writeoptions_set_sync(st->wnosync, 0);
    st->sync = o->sync ? 1 : 0;
    return 0;
}

/*
 * Opens the database with our families in enum order followed by any others on disk. If the
 * database does not exist yet, listing fails; that is not an error here: the open below either
 * creates it or reports why it cannot.
 */
static int open_db(store *st, const char *dir, char *err)
{
    char **ondisk = NULL;
    size_t nondisk = 0, ntotal, i, j;
    const char **names = NULL;
    const rocksdb_options_t **cfopts = NULL;
    rocksdb_column_family_handle_t **handles = NULL;
    char *e = NULL;
    int rc = STORE_ENOMEM;

    ondisk = rocksdb_list_column_families(st->opts, dir, &nondisk, &e);
    if (e) {
        /* Even on error RocksDB returns an (empty) array we must free. */
        rocksdb_free(e);
        e = NULL;
        if (ondisk)
            rocksdb_list_column_families_destroy(ondisk, nondisk);
        ondisk = NULL;
        nondisk = 0;
    }

    ntotal = STORE_CF_COUNT + nondisk; /* an upper bound: most on disk are ours */
    names = calloc(ntotal, sizeof(*names));
    cfopts = calloc(ntotal, sizeof(*cfopts));
    handles = calloc(ntotal, sizeof(*handles));
    if (!names || !cfopts || !handles) {
        seterr(err, "store: out of memory opening %s", dir);
        goto fail_alloc;
    }
    for (i = 0; i < STORE_CF_COUNT; i++)
        names[i] = cf_names[i];
    ntotal = STORE_CF_COUNT;
    for (i = 0; i < nondisk; i++) {
        for (j = 0; j < STORE_CF_COUNT; j++)
            if (strcmp(ondisk[i], cf_names[j]) == 0)
                break;
        if (j == STORE_CF_COUNT)
            names[ntotal++] = ondisk[i];
    }
    for (i = 0; i < ntotal; i++)
        cfopts[i] = st->opts;

    if (ntotal > STORE_CF_COUNT) {
        st->extra = calloc(ntotal - STORE_CF_COUNT, sizeof(*st->extra));
        if (!st->extra) {
            seterr(err, "store: out of memory opening %s", dir);
            goto fail_alloc;
        }
    }

    st->db = rocksdb_open_column_families(st->opts, dir, (int)ntotal, names, cfopts, handles, &e);
    if (e || !st->db) {
        if (st->db)
            rocksdb_close(st->db); /* not expected: RocksDB returns NULL with an error */
        st->db = NULL;
        seterr(err, "store: open %s: %s", dir, e ? e : "the engine returned no database");
        rocksdb_free(e);
        rc = STORE_EIO;
        goto fail_open;
    }
    for (i = 0; i < STORE_CF_COUNT; i++)
        st->cf[i] = handles[i];
    for (i = STORE_CF_COUNT; i < ntotal; i++)
        st->extra[st->nextra++] = handles[i];
    rc = 0;

fail_open:
fail_alloc:
    free(handles);
    free(cfopts);
    free(names);
    if (ondisk)
        rocksdb_list_column_families_destroy(ondisk, nondisk);
    return rc;
}

int store_open(const char *dir, const store_options *opts, store **out, char *err)
{
    store_options defaults;
    store *st;
    int rc;

    if (!dir || !*dir || !out) {
        seterr(err, "store: open: %s is required", !out ? "out" : "a directory");
        return STORE_EINVAL;
    }
    if (!opts) {
        store_options_init(&defaults);
        opts = &defaults;
    }
    st = calloc(1, sizeof(*st));
    if (!st) {
        seterr(err, "store: out of memory opening %s", dir);
        return STORE_ENOMEM;
    }
    if (pthread_mutex_init(&st->fault_mu, NULL) != 0) {
        free(st);
        seterr(err, "store: cannot create a mutex opening %s", dir);
        return STORE_ENOMEM;
    }
    rc = make_options(st, opts, err);
    if (rc)
        goto fail;
    rc = open_db(st, dir, err);
    if (rc)
        goto fail;
    *out = st;
    return 0;

fail:
    destroy(st);
    return rc;
}

void store_close(store *st)
{
    if (st)
        destroy(st);
}

/* A store_value is the engine's pinned slice itself: no wrapper to allocate. */
static rocksdb_pinnableslice_t *pinned_of(store_value *v)
{
    return (rocksdb_pinnableslice_t *)v;
}

/* RocksDB counts every key comparison and block read of a thread into its thread-local
 * perf context unless told otherwise (its default level, "count"): two thread-local lookups
 * per comparison, 4% of the node's instructions on the push path, for figures nobody reads.
 * Each thread that reads or writes turns that off once. */
static __thread int perf_quiet;

static void quiet_thread(void)
{
    if (!perf_quiet) {
        rocksdb_set_perf_level(rocksdb_disable);
        perf_quiet = 1;
    }
}

int store_get_pinned(store *st, const store_snapshot *snap, store_cf cf, const void *key,
                     size_t klen, store_value **out, const void **val, size_t *len, char *err)
{
    quiet_thread();
    rocksdb_readoptions_t *ro = NULL;
    rocksdb_pinnableslice_t *ps;
    char *e = NULL;
    int rc;

    if (!st || !valid_cf(cf) || (!key && klen) || !out || !val || !len) {
        seterr(err, "store: get: invalid argument");
        return STORE_EINVAL;
    }
    if (snap) {
        ro = rocksdb_readoptions_create();
        if (!ro) {
            seterr(err, "store: get: out of memory");
            return STORE_ENOMEM;
        }
        rocksdb_readoptions_set_snapshot(ro, snap->snap);
    }

    /* The pinned form tells "absent" (NULL) from "empty" without relying on what malloc(0)
     * returns, and leaves the value where the engine holds it (block cache or memtable). */
    ps = rocksdb_get_pinned_cf(st->db, ro ? ro : st->rdefault, st->cf[cf], key, klen, &e);
    if (e) {
        rc = engine_err(err, e, "get");
    } else if (!ps) {
        rc = STORE_ENOTFOUND;
    } else {
        *val = rocksdb_pinnableslice_value(ps, len);
        *out = (store_value *)ps;
        rc = 0;
    }
    if (ro)
        rocksdb_readoptions_destroy(ro);
    return rc;
}

void store_value_release(store_value *v)
{
    if (v)
        rocksdb_pinnableslice_destroy(pinned_of(v));
}

/* How far store_multi_get steps an iterator forward before it seeks instead: a subject's
 * records reported together sit side by side in key order, and a step costs far less than a
 * search, while a key that far away is as cheap to seek as to reach. */
#define WALK_STEPS 8

int store_multi_get(store *st, const store_snapshot *snap, store_cf cf, size_t n,
                    const char *const *keys, const size_t *klens, store_visit_fn fn, void *ctx,
                    char *err)
{
    quiet_thread();
    rocksdb_readoptions_t *ro;
    rocksdb_iterator_t *it;
    char *e = NULL;
    int rc = 0;

    if (!st || !valid_cf(cf) || !fn || (n && (!keys || !klens))) {
        seterr(err, "store: multi-get: invalid argument");
        return STORE_EINVAL;
    }
    for (size_t i = 1; i < n; i++) {
        if (keycmp(keys[i - 1], klens[i - 1], keys[i], klens[i]) >= 0) {
            seterr(err, "store: multi-get: keys not in ascending order");
            return STORE_EINVAL;
        }
    }
    if (n == 0)
        return 0;
    if (!(ro = rocksdb_readoptions_create())) {
        seterr(err, "store: multi-get: out of memory");
        return STORE_ENOMEM;
    }
    if (snap)
        rocksdb_readoptions_set_snapshot(ro, snap->snap);
    if (!(it = rocksdb_create_iterator_cf(st->db, ro, st->cf[cf]))) {
        rocksdb_readoptions_destroy(ro);
        seterr(err, "store: multi-get: out of memory");
        return STORE_ENOMEM;
    }
    rocksdb_iter_seek(it, keys[0], klens[0]);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *k = NULL, *v = NULL;
        size_t klen = 0, vlen = 0;
        int c = 1;

        /* The iterator stands at the first key >= keys[i-1], so below keys[i] or at it: step
         * while that is close, else search. */
        for (int step = 0; rocksdb_iter_valid(it); step++) {
            k = rocksdb_iter_key(it, &klen);
            if ((c = keycmp(k, klen, keys[i], klens[i])) >= 0)
                break;
            if (step == WALK_STEPS) {
                rocksdb_iter_seek(it, keys[i], klens[i]);
                step = -1;
                continue;
            }
            rocksdb_iter_next(it);
        }
        if (!rocksdb_iter_valid(it)) {
            rocksdb_iter_get_error(it, &e);
            if (e) {
                rc = engine_err(err, e, "multi-get");
                break;
            }
        } else if (c == 0) {
            v = rocksdb_iter_value(it, &vlen);
        }
        rc = fn(ctx, i, v, vlen);
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return rc;
}

int store_get(store *st, const store_snapshot *snap, store_cf cf, const void *key, size_t klen,
              void **val, size_t *len, char *err)
{
    quiet_thread();
    store_value *pin = NULL;
    const void *v = NULL;
    size_t vlen = 0;
    void *copy;

    if (!val || !len) {
        seterr(err, "store: get: invalid argument");
        return STORE_EINVAL;
    }
    int rc = store_get_pinned(st, snap, cf, key, klen, &pin, &v, &vlen, err);
    if (rc != 0)
        return rc;
    copy = malloc(vlen ? vlen : 1);
    if (!copy) {
        seterr(err, "store: get: out of memory for a %zu-byte value", vlen);
        store_value_release(pin);
        return STORE_ENOMEM;
    }
    if (vlen)
        memcpy(copy, v, vlen);
    store_value_release(pin);
    *val = copy;
    *len = vlen;
    return 0;
}

store_batch *store_batch_create(void)
{
    return calloc(1, sizeof(store_batch));
}

void store_batch_destroy(store_batch *b)
{
    if (!b)
        return;
    free(b->ops);
    free(b->data);
    free(b);
}

void store_batch_clear(store_batch *b)
{
    if (!b)
        return;
    b->nops = 0;
    b->dlen = 0;
    b->failed = 0;
    b->written = 0;
}

/* Returns a buffer of at least `need` elements of `size` bytes grown from `buf` (capacity
 * *cap), or NULL with `buf` untouched. */
static void *grow(void *buf, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 16;
    void *p;

    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    if (n > SIZE_MAX / size)
        return NULL;
    p = realloc(buf, n * size);
    if (p)
        *cap = n;
    return p;
}

static void record(store_batch *b, int kind, store_cf cf, const void *key, size_t klen,
                   const void *val, size_t vlen)
{
    struct op *op;
    void *p;

    if (!b || b->failed)
        return;
    if (!valid_cf(cf) || (!key && klen) || (!val && vlen)) {
        b->failed = STORE_EINVAL;
        return;
    }
    if (klen > SIZE_MAX - vlen || b->dlen > SIZE_MAX - klen - vlen) {
        b->failed = STORE_ENOMEM;
        return;
    }
    if (b->nops == b->capops) {
        p = grow(b->ops, &b->capops, b->nops + 1, sizeof(*b->ops));
        if (!p) {
            b->failed = STORE_ENOMEM;
            return;
        }
        b->ops = p;
    }
    if (b->dlen + klen + vlen > b->capdata) {
        p = grow(b->data, &b->capdata, b->dlen + klen + vlen, 1);
        if (!p) {
            b->failed = STORE_ENOMEM;
            return;
        }
        b->data = p;
    }
    op = &b->ops[b->nops++];
    op->kind = kind;
    op->cf = cf;
    op->off = b->dlen;
    op->klen = klen;
    op->vlen = vlen;
    if (klen)
        memcpy(b->data + b->dlen, key, klen);
    if (vlen)
        memcpy(b->data + b->dlen + klen, val, vlen);
    b->dlen += klen + vlen;
}

void store_batch_put(store_batch *b, store_cf cf, const void *key, size_t klen, const void *val,
                     size_t vlen)
{
    record(b, OP_PUT, cf, key, klen, val, vlen);
}

void store_batch_delete(store_batch *b, store_cf cf, const void *key, size_t klen)
{
    record(b, OP_DELETE, cf, key, klen, NULL, 0);
}

size_t store_batch_count(const store_batch *b)
{
    return b ? b->nops : 0;
}

int store_batch_op_at(const store_batch *b, size_t i, store_batch_op *op)
{
    if (!b || i >= b->nops)
        return STORE_EINVAL;
    const struct op *o = &b->ops[i];
    op->cf = o->cf;
    op->is_delete = o->kind == OP_DELETE;
    op->key = b->data + o->off;
    op->klen = o->klen;
    op->val = op->is_delete ? NULL : b->data + o->off + o->klen;
    op->vlen = op->is_delete ? 0 : o->vlen;
    return 0;
}

/* What a write's engine error means (file head, "Faults of the disk"). */
static int classify(const char *e)
{
    int sync =
        strstr(e, "While fsync") || strstr(e, "While fdatasync") || strstr(e, "sync_file_range");

    if (!sync && strstr(e, "No space left on device"))
        return STORE_ENOSPC;
    if (sync || strncmp(e, "IO error", 8) == 0 || strncmp(e, "Corruption", 10) == 0)
        return STORE_EDISK;
    return STORE_EIO;
}

/* Turns a failed write's engine error into ours (classify), latching STORE_EDISK; frees e. */
static int write_err(store *st, char *err, char *e)
{
    int rc = classify(e);

    seterr(err, "store: write: %s", e);
    if (rc == STORE_EDISK) {
        pthread_mutex_lock(&st->fault_mu);
        if (!st->failed) {
            st->failed = 1;
            snprintf(st->fault, sizeof st->fault, "%s", e);
        }
        pthread_mutex_unlock(&st->fault_mu);
    }
    rocksdb_free(e);
    return rc;
}

int store_failed(store *st, char *err)
{
    int failed;

    if (!st)
        return 0;
    pthread_mutex_lock(&st->fault_mu);
    failed = st->failed;
    if (failed)
        seterr(err, "store: writes refused since an earlier write failed: %.180s", st->fault);
    pthread_mutex_unlock(&st->fault_mu);
    return failed ? STORE_EFAILED : 0;
}

/* The order write_with gives RocksDB a large batch's operations in: by family, then key,
 * then their order in the batch. RocksDB inserts a batch into each family's memtable (a skip
 * list) in the order it is given, and finds each key's place starting from where the last one
 * went: in key order, the places are near one another, not scattered over the whole list, which
 * made the memtable inserts of a 10,000-record stream about half of its write (perf). The
 * result is the same: an operation's effect on another key does not depend on order, and two
 * on the same key keep theirs. */
static int op_order(const void *x, const void *y, void *batch)
{
    const store_batch *sb = batch;
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    const struct op *a = &sb->ops[i], *b = &sb->ops[j];
    if (a->cf != b->cf)
        return a->cf < b->cf ? -1 : 1;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(sb->data + a->off, sb->data + b->off, n);
    if (c)
        return c;
    if (a->klen != b->klen)
        return a->klen < b->klen ? -1 : 1;
    return i < j ? -1 : 1;
}

#define SORT_MIN 64 /* operations from which a batch goes to RocksDB in key order */

static int write_with(store *st, store_batch *b, const rocksdb_writeoptions_t *wo, char *err)
{
    quiet_thread();
    rocksdb_writebatch_t *wb;
    const char *k;
    size_t i;
    char *e = NULL;

    if (!st || !b) {
        seterr(err, "store: write: invalid argument");
        return STORE_EINVAL;
    }
    if (b->failed == STORE_ENOMEM) {
        seterr(err, "store: write: the batch ran out of memory while being built; nothing "
                    "was written");
        return STORE_ENOMEM;
    }
    if (b->failed) {
        seterr(err, "store: write: the batch holds an invalid put or delete (bad column family "
                    "or NULL key/value); nothing was written");
        return STORE_EINVAL;
    }
    if (b->written) {
        seterr(err, "store: write: the batch was already written; clear it before reuse");
        return STORE_EINVAL;
    }
    if (store_failed(st, err) != 0)
        return STORE_EFAILED;
    if (b->nops == 0) {
        b->written = 1;
        return 0;
    }

    /* In key order from SORT_MIN operations on (op_order); in batch order below, or when
     * there is no memory for the order (the same write, slower). */
    uint32_t *order = NULL;
    if (b->nops >= SORT_MIN && b->nops <= UINT32_MAX && (order = malloc(b->nops * sizeof *order))) {
        for (i = 0; i < b->nops; i++)
            order[i] = (uint32_t)i;
        qsort_r(order, b->nops, sizeof *order, op_order, b);
    }
    wb = rocksdb_writebatch_create();
    if (!wb) {
        free(order);
        seterr(err, "store: write: out of memory");
        return STORE_ENOMEM;
    }
    for (i = 0; i < b->nops; i++) {
        const struct op *op = &b->ops[order ? order[i] : i];

        k = (const char *)b->data + op->off;
        if (op->kind == OP_PUT)
            rocksdb_writebatch_put_cf(wb, st->cf[op->cf], k, op->klen, k + op->klen, op->vlen);
        else
            rocksdb_writebatch_delete_cf(wb, st->cf[op->cf], k, op->klen);
    }
    free(order);
    rocksdb_write(st->db, wo, wb, &e);
    rocksdb_writebatch_destroy(wb);
    if (e)
        return write_err(st, err, e);
    b->written = 1;
    return 0;
}

int store_write(store *st, store_batch *b, char *err)
{
    if (!st) {
        seterr(err, "store: write: invalid argument");
        return STORE_EINVAL;
    }
    return write_with(st, b, st->sync ? st->wsync : st->wnosync, err);
}

int store_write_sync(store *st, store_batch *b, int sync, char *err)
{
    if (!st) {
        seterr(err, "store: write: invalid argument");
        return STORE_EINVAL;
    }
    return write_with(st, b, sync ? st->wsync : st->wnosync, err);
}

int store_sync_wal(store *st, char *err)
{
    char *e = NULL;

    if (!st) {
        seterr(err, "store: sync: invalid argument");
        return STORE_EINVAL;
    }
    if (store_failed(st, err) != 0)
        return STORE_EFAILED;
    /* FlushWAL(sync) is SyncWAL here: the WAL is written at each write (no manual flush),
     * so this fsyncs every write that returned before it. */
    rocksdb_flush_wal(st->db, 1, &e);
    if (e)
        return write_err(st, err, e);
    return 0;
}

store_snapshot *store_snapshot_create(store *st)
{
    store_snapshot *s;

    if (!st)
        return NULL;
    s = malloc(sizeof(*s));
    if (!s)
        return NULL;
    s->snap = rocksdb_create_snapshot(st->db);
    if (!s->snap) {
        free(s);
        return NULL;
    }
    return s;
}

void store_snapshot_release(store *st, store_snapshot *snap)
{
    if (!st || !snap)
        return;
    rocksdb_release_snapshot(st->db, snap->snap);
    free(snap);
}

store_iter *store_iter_create(store *st, const store_snapshot *snap, store_cf cf,
                              const void *prefix, size_t plen, const void *start, size_t slen)
{
    return store_iter_create_ex(st, snap, cf, prefix, plen, start, slen, 0);
}

store_iter *store_iter_create_ex(store *st, const store_snapshot *snap, store_cf cf,
                                 const void *prefix, size_t plen, const void *start, size_t slen,
                                 unsigned flags)
{
    quiet_thread();
    store_iter *it;
    size_t ulen;

    if (!st || !valid_cf(cf) || (!prefix && plen) || (!start && slen))
        return NULL;
    if (plen > SIZE_MAX / 2 - sizeof(*it))
        return NULL;
    it = calloc(1, sizeof(*it) + 2 * plen);
    if (!it)
        return NULL;
    it->plen = plen;
    if (plen)
        memcpy(it->buf, prefix, plen);
    ulen = successor(it->buf, plen, it->buf + plen);

    it->ro = rocksdb_readoptions_create();
    if (!it->ro)
        goto fail_ro;
    if (snap)
        rocksdb_readoptions_set_snapshot(it->ro, snap->snap);
    /* The engine keeps every block the iterator loaded (and the memtables it reads) until the
     * iterator is destroyed, so the slices it gave stay valid: a page is sent from them. */
    if (flags & STORE_ITER_PINNED)
        rocksdb_readoptions_set_pin_data(it->ro, 1);
    if (ulen)
        rocksdb_readoptions_set_iterate_upper_bound(it->ro, (const char *)it->buf + plen, ulen);
    it->it = rocksdb_create_iterator_cf(st->db, it->ro, st->cf[cf]);
    if (!it->it)
        goto fail_it;

    if (start && keycmp(start, slen, it->buf, plen) >= 0)
        rocksdb_iter_seek(it->it, start, slen);
    else if (plen)
        rocksdb_iter_seek(it->it, (const char *)it->buf, plen);
    else
        rocksdb_iter_seek_to_first(it->it);
    return it;

fail_it:
    rocksdb_readoptions_destroy(it->ro);
fail_ro:
    free(it);
    return NULL;
}

int store_iter_valid(const store_iter *it)
{
    const char *k;
    size_t klen = 0;

    if (!it || !rocksdb_iter_valid(it->it))
        return 0;
    k = rocksdb_iter_key(it->it, &klen);
    return has_prefix(k, klen, it->buf, it->plen);
}

void store_iter_next(store_iter *it)
{
    if (it && rocksdb_iter_valid(it->it))
        rocksdb_iter_next(it->it);
}

const void *store_iter_key(const store_iter *it, size_t *klen)
{
    size_t n = 0;
    const char *k = NULL;

    if (it && rocksdb_iter_valid(it->it))
        k = rocksdb_iter_key(it->it, &n);
    if (klen)
        *klen = n;
    return k;
}

const void *store_iter_value(const store_iter *it, size_t *vlen)
{
    size_t n = 0;
    const char *v = NULL;

    if (it && rocksdb_iter_valid(it->it))
        v = rocksdb_iter_value(it->it, &n);
    if (vlen)
        *vlen = n;
    return v;
}

int store_iter_error(const store_iter *it, char *err)
{
    char *e = NULL;

    if (!it) {
        seterr(err, "store: iterator: not created (out of memory or invalid argument)");
        return STORE_EIO;
    }
    rocksdb_iter_get_error(it->it, &e);
    if (e)
        return engine_err(err, e, "iterate");
    return 0;
}

void store_iter_destroy(store_iter *it)
{
    if (!it)
        return;
    rocksdb_iter_destroy(it->it);
    rocksdb_readoptions_destroy(it->ro); /* after the iterator: it points at the bound */
    free(it);
}

int store_last_key(store *st, store_cf cf, const void *prefix, size_t plen, void **key,
                   size_t *klen, char *err)
{
    rocksdb_readoptions_t *ro;
    rocksdb_iterator_t *it;
    unsigned char *upper = NULL;
    size_t ulen = 0, n = 0;
    const char *k;
    void *copy;
    char *e = NULL;
    int rc;

    if (!st || !valid_cf(cf) || (!prefix && plen) || !key || !klen) {
        seterr(err, "store: last key: invalid argument");
        return STORE_EINVAL;
    }
    if (plen) {
        upper = malloc(plen);
        if (!upper) {
            seterr(err, "store: last key: out of memory");
            return STORE_ENOMEM;
        }
        ulen = successor(prefix, plen, upper);
    }
    ro = rocksdb_readoptions_create();
    if (!ro) {
        seterr(err, "store: last key: out of memory");
        rc = STORE_ENOMEM;
        goto out_upper;
    }
    it = rocksdb_create_iterator_cf(st->db, ro, st->cf[cf]);
    if (!it) {
        seterr(err, "store: last key: out of memory");
        rc = STORE_ENOMEM;
        goto out_ro;
    }

    if (ulen) {
        /* The last key <= the successor; the successor itself lies past the prefix. */
        rocksdb_iter_seek_for_prev(it, (const char *)upper, ulen);
        if (rocksdb_iter_valid(it)) {
            k = rocksdb_iter_key(it, &n);
            if (keycmp(k, n, upper, ulen) == 0)
                rocksdb_iter_prev(it);
        }
    } else {
        /* Whole family, or a prefix of 0xff bytes: nothing sorts after its keys. */
        rocksdb_iter_seek_to_last(it);
    }

    rocksdb_iter_get_error(it, &e);
    if (e) {
        rc = engine_err(err, e, "last key");
        goto out_it;
    }
    if (!rocksdb_iter_valid(it)) {
        rc = STORE_ENOTFOUND;
        goto out_it;
    }
    k = rocksdb_iter_key(it, &n);
    if (!has_prefix(k, n, prefix, plen)) {
        rc = STORE_ENOTFOUND;
        goto out_it;
    }
    copy = malloc(n ? n : 1);
    if (!copy) {
        seterr(err, "store: last key: out of memory");
        rc = STORE_ENOMEM;
        goto out_it;
    }
    if (n)
        memcpy(copy, k, n);
    *key = copy;
    *klen = n;
    rc = 0;

out_it:
    rocksdb_iter_destroy(it);
out_ro:
    rocksdb_readoptions_destroy(ro);
out_upper:
    free(upper);
    return rc;
}

void store_put_be64(unsigned char out[8], uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

uint64_t store_get_be64(const unsigned char in[8])
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

void store_put_be32(unsigned char out[4], uint32_t v)
{
    out[0] = (unsigned char)(v >> 24);
    out[1] = (unsigned char)(v >> 16);
    out[2] = (unsigned char)(v >> 8);
    out[3] = (unsigned char)v;
}

uint32_t store_get_be32(const unsigned char in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}
