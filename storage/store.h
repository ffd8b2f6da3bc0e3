/*
 * store.h — the node's storage, as the server sees it.
 *
 * One database, one column family per kind of data (see STORE_CF_*). The interface speaks in
 * keys, values, batches, snapshots and prefix scans and in nothing specific to RocksDB, so that
 * a node whose data outgrows one machine can keep the same server code over another engine.
 * Only store.c includes rocksdb/c.h.
 *
 * Invariants:
 *  - every logical write is one batch, applied all or nothing (store_write);
 *  - the write-ahead log is always on; with opts.sync (the default) an acknowledged write has
 *    been fsynced and survives power loss, without it it survives a process crash (kill -9);
 *  - nothing here deletes on behalf of an API call; store_batch_delete exists for indexes
 *    whose key moves, never for records.
 *
 * Threads: a store, its snapshots and its iterators may be used from any thread; a batch and
 * an iterator belong to one thread at a time.
 *
 * Errors: functions return 0 or a negative STORE_E* code and, when `err` is not NULL, write a
 * NUL-terminated message into it (at most STORE_ERR_LEN bytes). On failure out-parameters are
 * untouched.
 *
 * Faults of the disk (a write's errors are classified, store_write):
 *  - a full disk is STORE_ENOSPC: nothing of that write was acknowledged and the engine stops
 *    taking writes; it resumes by itself once 64 MiB (its write buffer) are free again (it
 *    checks every 5 s), so later writes succeed without a reopen. Reads keep working.
 *  - any other I/O error of a write or of an fsync is STORE_EDISK, and it is final for this
 *    store: the write that met it may or may not be on disk, and every later write is refused
 *    with STORE_EFAILED before it touches the engine. A failed fsync cannot be retried on
 *    Linux (the kernel may already have dropped the dirty pages and cleared the error), so
 *    only a reopen, which replays the write-ahead log from the disk, says what is stored.
 *    Reads keep working. store_failed tells whether the store is in this state.
 */
#ifndef CREDIT_STORE_H
#define CREDIT_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_ERR_LEN 256

enum store_err {
    STORE_OK = 0,
    STORE_ENOTFOUND = -1, /* a normal result, not a failure: the key is absent */
    STORE_EIO = -2,       /* the engine reported an error; err says which */
    STORE_ENOMEM = -3,
    STORE_EINVAL = -4,
    STORE_ENOSPC = -5,   /* the disk is full: nothing written; retry once space returns */
    STORE_EDISK = -6,    /* an I/O or fsync error: this write may or may not be on disk */
    STORE_EFAILED = -7,  /* refused, nothing written: an earlier write met STORE_EDISK */
    STORE_ECORRUPT = -8, /* a stored value does not decode: never from store.c itself, from
                          * the data-access modules that give values their meaning */
};

/* Column families. The numbers index store_cf_name(); never reorder, only append. */
typedef enum store_cf {
    STORE_CF_DEFAULT = 0, /* node metadata: format version, key material markers */
    STORE_CF_RECORDS,     /* latest version of each record */
    STORE_CF_HISTORY,     /* every version of each record, append-only */
    STORE_CF_SUBJECTS,    /* subject index and older-code bindings (server/data/subjects.h) */
    STORE_CF_SOURCES,     /* idempotency index: unit + source record id -> record id */
    STORE_CF_CATALOGUE,   /* catalogue versions and change requests */
    STORE_CF_UNITS,       /* unit registry and certificate identity bindings */
    STORE_CF_AUTHZ,       /* authorizations */
    STORE_CF_OBJECTIONS,  /* objections */
    STORE_CF_REPAIRS,     /* credit repairs */
    STORE_CF_FEED,        /* change feed: big-endian sequence -> change */
    STORE_CF_AUDIT,       /* audit log: big-endian sequence -> hash-chained entry */
    STORE_CF_STATS,       /* statistics */
    STORE_CF_SERIES,      /* industrial samples: uscc/section/metric/time/platform (series.h) */
    STORE_CF_COUNT
} store_cf;

/* The name of a column family as stored on disk ("default", "records", ...); NULL for a value
 * outside the enum. */
const char *store_cf_name(store_cf cf);

typedef struct store store;
typedef struct store_batch store_batch;
typedef struct store_snapshot store_snapshot;
typedef struct store_iter store_iter;

typedef struct store_options {
    int sync;                /* 1 (default): fsync the WAL before a write returns */
    int create_if_missing;   /* 1 (default): create the database and missing families */
    size_t block_cache_mb;   /* 0: the default, 64 MiB */
} store_options;

/* Fills `opts` with the defaults above. */
void store_options_init(store_options *opts);

/* Opens (creating if allowed) the database in directory `dir` with every column family.
 * On success *out owns the store; close it with store_close. */
int store_open(const char *dir, const store_options *opts, store **out, char *err);

/* Closes the store, flushing nothing that is not already durable. NULL is a no-op. All
 * snapshots and iterators must be destroyed first. */
void store_close(store *st);

/* Point read. On success *val is a malloc'd copy (free() it) of *len bytes; it is not
 * NUL-terminated. Returns STORE_ENOTFOUND when absent (err untouched). `snap` may be NULL. */
int store_get(store *st, const store_snapshot *snap, store_cf cf, const void *key, size_t klen,
              void **val, size_t *len, char *err);

/* Point read without a copy: *val points at the value where the engine holds it (*len
 * bytes), valid until store_value_release(*pin), which the caller must call (and only on
 * success). For a value that is decoded at once, so that nothing is copied to be freed. Returns
 * as store_get. */
typedef struct store_value store_value;
int store_get_pinned(store *st, const store_snapshot *snap, store_cf cf, const void *key,
                     size_t klen, store_value **pin, const void **val, size_t *len, char *err);
void store_value_release(store_value *pin); /* NULL is a no-op */

/* Point reads of `n` keys of one family, in ascending byte order (else STORE_EINVAL), in one
 * pass of one iterator: from each key it steps to the next when that is near (keys written
 * together, as a subject's records reported in one batch, lie side by side) and searches only
 * when it is not, so a thousand reads cost little more than a scan of them. For each key, in
 * order, fn(ctx, i, val, len) is called with its value (valid only during the call), or NULL
 * when the key is absent; a non-zero return stops the pass and is returned. Returns 0, that,
 * STORE_EINVAL, STORE_ENOMEM, or STORE_EIO with err. */
typedef int (*store_visit_fn)(void *ctx, size_t i, const void *val, size_t len);
int store_multi_get(store *st, const store_snapshot *snap, store_cf cf, size_t n,
                    const char *const *keys, const size_t *klens, store_visit_fn fn, void *ctx,
                    char *err);

/* Batches: build with put/delete, apply with store_write, then destroy. A batch may be
 * written once; after store_write it may be cleared with store_batch_clear and reused.
 * (Writing it again uncleared is STORE_EINVAL. A put/delete that cannot be recorded, for want
 * of memory or with a bad family or a NULL pointer with a length, makes the next store_write
 * fail with STORE_ENOMEM or STORE_EINVAL and write nothing; store_batch_clear forgets it.) */
store_batch *store_batch_create(void); /* NULL on allocation failure */
void store_batch_destroy(store_batch *b);
void store_batch_clear(store_batch *b);
void store_batch_put(store_batch *b, store_cf cf, const void *key, size_t klen, const void *val,
                     size_t vlen);
void store_batch_delete(store_batch *b, store_cf cf, const void *key, size_t klen);
size_t store_batch_count(const store_batch *b);

/* The i-th operation recorded in b (0 <= i < store_batch_count(b)), in the order recorded:
 * its family, whether it deletes (1) or puts (0), its key and, for a put, its value. The
 * pointers borrow b's buffers: valid until b is next changed, cleared or destroyed. For
 * observers of a written batch (which keys it touched); reading never changes b. Returns 0,
 * or STORE_EINVAL for an i out of range (out-parameters untouched). */
typedef struct store_batch_op {
    store_cf cf;
    int is_delete;
    const void *key;
    size_t klen;
    const void *val; /* NULL for a delete */
    size_t vlen;
} store_batch_op;
int store_batch_op_at(const store_batch *b, size_t i, store_batch_op *op);

/* Applies the batch atomically with the store's write options (sync per store_options). */
int store_write(store *st, store_batch *b, char *err);

/* Same, but sync overridden for this write: 1 fsync, 0 not. */
int store_write_sync(store *st, store_batch *b, int sync, char *err);

/* Makes every write that returned before this call durable: one fsync of the write-ahead
 * log, however many writes it covers (group commit: write with sync 0, then sync once for
 * all). Errors are classified as a write's are (a failed fsync is STORE_EDISK and final). */
int store_sync_wal(store *st, char *err);

/* Whether a write met an I/O error (STORE_EDISK) since the store was opened: returns 0, or
 * STORE_EFAILED with the first such error in err. Once failed, a store stays failed. */
int store_failed(store *st, char *err);

/* A consistent read view. Release with store_snapshot_release. NULL when out of memory. */
store_snapshot *store_snapshot_create(store *st);
void store_snapshot_release(store *st, store_snapshot *snap);

/* Iterates, in key order, over the keys of `cf` that begin with `prefix` (plen may be 0 for
 * the whole family), starting at the first such key >= `start` (NULL: at the prefix). `snap`
 * may be NULL. Key and value pointers stay valid until the next store_iter_next or
 * store_iter_destroy. After the loop, store_iter_error tells whether it ended by error.
 * store_iter_create returns NULL when out of memory or given a bad argument; a NULL iterator
 * is never valid and store_iter_error reports STORE_EIO for it, so the loop still ends by
 * error. */
store_iter *store_iter_create(store *st, const store_snapshot *snap, store_cf cf,
                              const void *prefix, size_t plen, const void *start, size_t slen);

/* store_iter_create with flags. STORE_ITER_PINNED: every key and value pointer the iterator
 * gives stays valid until store_iter_destroy (not only until the next move), so a reader may
 * keep the values of many entries without copying them; the blocks they live in stay in
 * memory meanwhile, so use it for short scans (a page), not for a whole family. */
#define STORE_ITER_PINNED 1u
store_iter *store_iter_create_ex(store *st, const store_snapshot *snap, store_cf cf,
                                 const void *prefix, size_t plen, const void *start, size_t slen,
                                 unsigned flags);
int store_iter_valid(const store_iter *it);
void store_iter_next(store_iter *it);
const void *store_iter_key(const store_iter *it, size_t *klen);
const void *store_iter_value(const store_iter *it, size_t *vlen);
int store_iter_error(const store_iter *it, char *err); /* 0 or STORE_EIO */
void store_iter_destroy(store_iter *it);

/* The last key of `cf` with `prefix`, copied into a malloc'd *key (free() it); used to
 * resume sequences after a restart. STORE_ENOTFOUND when the prefix holds no key. */
int store_last_key(store *st, store_cf cf, const void *prefix, size_t plen, void **key,
                   size_t *klen, char *err);

/* Big-endian encoding of sequences, so that byte order is numeric order. */
void store_put_be64(unsigned char out[8], uint64_t v);
uint64_t store_get_be64(const unsigned char in[8]);
void store_put_be32(unsigned char out[4], uint32_t v);
uint32_t store_get_be32(const unsigned char in[4]);

#endif /* CREDIT_STORE_H */
