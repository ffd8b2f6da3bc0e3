/*
 * test_store.c — unit tests for storage/store.c against a real RocksDB.
 *
 * Each test gets a fresh temporary directory (mkdtemp under $TMPDIR or /tmp) holding a store
 * opened with the default options; teardown closes it and removes the directory. Tests that need
 * other options close the fixture's store and reopen it themselves.
 *
 * The crash test runs the writer in a separate process made by fork + exec of this binary (the
 * "--kill9-child" mode in main): a fork alone would inherit RocksDB's global background-thread
 * pools without their threads, which is not the process a real crash kills.
 *
 * test_open_accepts_unknown_families is the one place outside store.c that includes
 * rocksdb/c.h: it must build a database holding a family this build does not know, which the
 * store's own interface cannot do, by design.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <rocksdb/c.h>

#include "store.h"

/* Runs `expr`, which writes its message into the `err` in scope; on failure prints file, line,
 * the expression, its code and that message, and fails the test. */
#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        int rc_;                                                                                   \
        err[0] = '\0';                                                                             \
        rc_ = (expr);                                                                              \
        if (rc_ != 0) {                                                                            \
            print_error("%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #expr, rc_, err);       \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define KILL9_WRITES 200
#define KILL9_AT     100

struct fixture {
    char dir[PATH_MAX]; /* the temporary directory */
    char db[PATH_MAX];  /* dir/db, the store */
    store *st;
};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char err[STORE_ERR_LEN];
    struct fixture *fx;
    int n;

    fx = calloc(1, sizeof(*fx));
    if (!fx)
        return -1;
    if (!tmp || !*tmp)
        tmp = "/tmp";
    n = snprintf(fx->dir, sizeof(fx->dir), "%s/test_store.XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof(fx->dir) || !mkdtemp(fx->dir))
        goto fail;
    n = snprintf(fx->db, sizeof(fx->db), "%s/db", fx->dir);
    if (n < 0 || (size_t)n >= sizeof(fx->db))
        goto fail_dir;
    if (store_open(fx->db, NULL, &fx->st, err) != 0) {
        print_error("setup: %s\n", err);
        goto fail_dir;
    }
    *state = fx;
    return 0;

fail_dir:
    nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
fail:
    free(fx);
    return -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc;

    store_close(fx->st);
    rc = nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc;
}

/* Writes dir/name into out (PATH_MAX bytes), failing the test if it does not fit. */
static void subpath(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

    assert_true(n > 0 && n < PATH_MAX);
}

/* Closes the fixture's store and opens it again with `o` (NULL: defaults). */
static void reopen(struct fixture *fx, const store_options *o)
{
    char err[STORE_ERR_LEN];

    store_close(fx->st);
    fx->st = NULL;
    CHECK_OK(store_open(fx->db, o, &fx->st, err));
}

/* Writes one put in its own batch. */
static void put1(store *st, store_cf cf, const void *k, size_t klen, const void *v, size_t vlen)
{
    char err[STORE_ERR_LEN];
    store_batch *b = store_batch_create();

    assert_non_null(b);
    store_batch_put(b, cf, k, klen, v, vlen);
    CHECK_OK(store_write(st, b, err));
    store_batch_destroy(b);
}

static void put_str(store *st, store_cf cf, const char *k, const char *v)
{
    put1(st, cf, k, strlen(k), v, strlen(v));
}

/* Asserts that `k` holds exactly `v` (through `snap` when not NULL). */
static void check_value(store *st, const store_snapshot *snap, store_cf cf, const void *k,
                        size_t klen, const void *v, size_t vlen)
{
    char err[STORE_ERR_LEN];
    void *got = NULL;
    size_t len = 0;

    CHECK_OK(store_get(st, snap, cf, k, klen, &got, &len, err));
    assert_non_null(got);
    assert_int_equal(len, vlen);
    if (vlen)
        assert_memory_equal(got, v, vlen);
    free(got);
}

static void check_str(store *st, const store_snapshot *snap, store_cf cf, const char *k,
                      const char *v)
{
    check_value(st, snap, cf, k, strlen(k), v, strlen(v));
}

static void check_absent(store *st, const store_snapshot *snap, store_cf cf, const void *k,
                         size_t klen)
{
    char err[STORE_ERR_LEN] = "untouched";
    void *got = (void *)&got;
    size_t len = 12345;

    assert_int_equal(store_get(st, snap, cf, k, klen, &got, &len, err), STORE_ENOTFOUND);
    assert_ptr_equal(got, (void *)&got);
    assert_int_equal(len, 12345);
    assert_string_equal(err, "untouched");
}

/* Scans `cf` and asserts the keys seen are exactly keys[0, n) in order. */
static void check_scan(store *st, const store_snapshot *snap, store_cf cf, const void *prefix,
                       size_t plen, const void *start, size_t slen, const char *const *keys,
                       const size_t *klens, size_t n)
{
    char err[STORE_ERR_LEN];
    store_iter *it = store_iter_create(st, snap, cf, prefix, plen, start, slen);
    size_t i = 0, klen;
    const void *k;

    assert_non_null(it);
    for (; store_iter_valid(it); store_iter_next(it)) {
        assert_true(i < n);
        k = store_iter_key(it, &klen);
        assert_int_equal(klen, klens[i]);
        assert_memory_equal(k, keys[i], klen);
        i++;
    }
    assert_int_equal(i, n);
    CHECK_OK(store_iter_error(it, err));
    store_iter_destroy(it);
}

static void test_family_names_follow_enum_order(void **state)
{
    static const char *const want[STORE_CF_COUNT] = {
        "default", "records",    "history", "subjects", "sources", "catalogue", "units",
        "authz",   "objections", "repairs", "feed",     "audit",   "stats",     "series",
    };
    int i;

    (void)state;
    for (i = 0; i < STORE_CF_COUNT; i++)
        assert_string_equal(store_cf_name((store_cf)i), want[i]);
    assert_null(store_cf_name(STORE_CF_COUNT));
}

static void test_options_init_sets_documented_defaults(void **state)
{
    store_options o;

    (void)state;
    memset(&o, 0x5a, sizeof(o));
    store_options_init(&o);
    assert_int_equal(o.sync, 1);
    assert_int_equal(o.create_if_missing, 1);
    assert_int_equal(o.block_cache_mb, 0);
}

static void test_get_returns_notfound_for_absent_key(void **state)
{
    struct fixture *fx = *state;

    check_absent(fx->st, NULL, STORE_CF_RECORDS, "nope", 4);
    put_str(fx->st, STORE_CF_RECORDS, "there", "v");
    check_absent(fx->st, NULL, STORE_CF_RECORDS, "ther", 4);
    check_absent(fx->st, NULL, STORE_CF_RECORDS, "there!", 6);
}

/* store.h: a pinned read gives the value in place, as of the snapshot asked, until its
 * release; an absent key leaves the out-parameters untouched. */
static void test_a_pinned_get_reads_in_place_as_of_its_snapshot(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    store_value *pin = NULL, *old = NULL;
    const void *v = NULL, *ov = NULL;
    size_t len = 0, olen = 0;

    put_str(fx->st, STORE_CF_RECORDS, "k", "first");
    store_snapshot *snap = store_snapshot_create(fx->st);
    assert_non_null(snap);
    put_str(fx->st, STORE_CF_RECORDS, "k", "second value");
    CHECK_OK(store_get_pinned(fx->st, NULL, STORE_CF_RECORDS, "k", 1, &pin, &v, &len, err));
    CHECK_OK(store_get_pinned(fx->st, snap, STORE_CF_RECORDS, "k", 1, &old, &ov, &olen, err));
    assert_int_equal(len, 12);
    assert_memory_equal(v, "second value", 12);
    assert_int_equal(olen, 5);
    assert_memory_equal(ov, "first", 5);
    store_value_release(pin);
    store_value_release(old);
    pin = NULL;
    v = NULL;
    assert_int_equal(store_get_pinned(fx->st, NULL, STORE_CF_RECORDS, "no", 2, &pin, &v, &len, err),
                     STORE_ENOTFOUND);
    assert_null(pin);
    assert_null(v);
    assert_int_equal(store_get_pinned(fx->st, NULL, STORE_CF_COUNT, "k", 1, &pin, &v, &len, err),
                     STORE_EINVAL);
    store_value_release(NULL);
    store_snapshot_release(fx->st, snap);
}

/* What a multi-get's visitor saw: each key's value as text, "-" when absent. */
struct seen {
    char v[8][16];
    size_t n;
    size_t stop_at; /* the visitor returns 7 at this index */
};

static int see(void *ctx, size_t i, const void *val, size_t len)
{
    struct seen *s = ctx;
    assert_int_equal(i, s->n);
    snprintf(s->v[s->n++], sizeof s->v[0], "%.*s", val ? (int)len : 1,
             val ? (const char *)val : "-");
    return i == s->stop_at ? 7 : 0;
}

/* store.h: a multi-get visits each key in order with its value as of the snapshot asked (NULL
 * when absent), whether keys lie side by side or far apart (stepped or sought); a visitor's
 * non-zero return stops it; keys out of order or a bad family are refused. */
static void test_a_multi_get_visits_every_key_as_of_its_snapshot(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN], key[8];
    const char *keys[6] = {"a", "b", "c", "d", "k30", "zz"};
    const size_t klens[6] = {1, 1, 1, 1, 3, 2};
    struct seen s = {.stop_at = SIZE_MAX};

    put_str(fx->st, STORE_CF_RECORDS, "a", "one");
    put_str(fx->st, STORE_CF_RECORDS, "c", "three");
    for (int i = 10; i < 40; i++) { /* more than the steps between "d" and "k30" */
        snprintf(key, sizeof key, "k%d", i);
        put_str(fx->st, STORE_CF_RECORDS, key, key);
    }
    store_snapshot *snap = store_snapshot_create(fx->st);
    assert_non_null(snap);
    put_str(fx->st, STORE_CF_RECORDS, "a", "one again");
    put_str(fx->st, STORE_CF_RECORDS, "d", "four");
    CHECK_OK(store_multi_get(fx->st, snap, STORE_CF_RECORDS, 6, keys, klens, see, &s, err));
    assert_int_equal(s.n, 6);
    assert_string_equal(s.v[0], "one");
    assert_string_equal(s.v[1], "-");
    assert_string_equal(s.v[2], "three");
    assert_string_equal(s.v[3], "-"); /* written after the snapshot */
    assert_string_equal(s.v[4], "k30");
    assert_string_equal(s.v[5], "-");
    s = (struct seen){.stop_at = 1};
    assert_int_equal(store_multi_get(fx->st, NULL, STORE_CF_RECORDS, 6, keys, klens, see, &s, err),
                     7);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[0], "one again");
    const char *rev[2] = {"d", "a"};
    s = (struct seen){.stop_at = SIZE_MAX};
    assert_int_equal(store_multi_get(fx->st, NULL, STORE_CF_RECORDS, 2, rev, klens, see, &s, err),
                     STORE_EINVAL);
    assert_int_equal(store_multi_get(fx->st, NULL, STORE_CF_COUNT, 1, keys, klens, see, &s, err),
                     STORE_EINVAL);
    CHECK_OK(store_multi_get(fx->st, NULL, STORE_CF_RECORDS, 0, NULL, NULL, see, &s, err));
    assert_int_equal(s.n, 0);
    store_snapshot_release(fx->st, snap);
}

static void test_families_keep_keys_apart(void **state)
{
    struct fixture *fx = *state;

    put_str(fx->st, STORE_CF_RECORDS, "k", "in records");
    put_str(fx->st, STORE_CF_HISTORY, "k", "in history");
    check_str(fx->st, NULL, STORE_CF_RECORDS, "k", "in records");
    check_str(fx->st, NULL, STORE_CF_HISTORY, "k", "in history");
    check_absent(fx->st, NULL, STORE_CF_DEFAULT, "k", 1);
    check_absent(fx->st, NULL, STORE_CF_STATS, "k", 1);
}

static void test_batch_writes_all_families_atomically(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    store_batch *b = store_batch_create();
    char key[32], val[32];
    int i;

    assert_non_null(b);
    for (i = 0; i < STORE_CF_COUNT; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        snprintf(val, sizeof(val), "value in %s", store_cf_name((store_cf)i));
        store_batch_put(b, (store_cf)i, key, strlen(key), val, strlen(val));
    }
    assert_int_equal(store_batch_count(b), STORE_CF_COUNT);
    /* Nothing is visible before the write. */
    check_absent(fx->st, NULL, STORE_CF_RECORDS, "key-1", 5);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);

    for (i = 0; i < STORE_CF_COUNT; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        snprintf(val, sizeof(val), "value in %s", store_cf_name((store_cf)i));
        check_str(fx->st, NULL, (store_cf)i, key, val);
    }
}

static void test_batch_with_invalid_operation_writes_nothing(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN] = "";
    store_batch *b = store_batch_create();

    assert_non_null(b);
    store_batch_put(b, STORE_CF_RECORDS, "a", 1, "1", 1);
    store_batch_put(b, STORE_CF_AUDIT, "b", 1, "2", 1);
    store_batch_put(b, STORE_CF_COUNT, "c", 1, "3", 1); /* no such family */
    store_batch_put(b, STORE_CF_FEED, "d", 1, "4", 1);
    assert_int_equal(store_write(fx->st, b, err), STORE_EINVAL);
    assert_true(strlen(err) > 0);
    check_absent(fx->st, NULL, STORE_CF_RECORDS, "a", 1);
    check_absent(fx->st, NULL, STORE_CF_AUDIT, "b", 1);
    check_absent(fx->st, NULL, STORE_CF_FEED, "d", 1);

    /* Clearing forgets the poison, so the batch is usable again. */
    store_batch_clear(b);
    store_batch_put(b, STORE_CF_RECORDS, NULL, 3, "x", 1); /* NULL key with a length */
    assert_int_equal(store_write(fx->st, b, err), STORE_EINVAL);
    store_batch_clear(b);
    store_batch_put(b, STORE_CF_RECORDS, "a", 1, "1", 1);
    CHECK_OK(store_write(fx->st, b, err));
    check_str(fx->st, NULL, STORE_CF_RECORDS, "a", "1");
    store_batch_destroy(b);
}

static void test_batch_count_and_clear(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    store_batch *b = store_batch_create();

    assert_non_null(b);
    assert_int_equal(store_batch_count(b), 0);
    store_batch_put(b, STORE_CF_RECORDS, "a", 1, "1", 1);
    store_batch_put(b, STORE_CF_RECORDS, "b", 1, "2", 1);
    store_batch_delete(b, STORE_CF_SUBJECTS, "c", 1);
    assert_int_equal(store_batch_count(b), 3);
    store_batch_clear(b);
    assert_int_equal(store_batch_count(b), 0);

    /* A cleared batch writes only what was added after the clear. */
    store_batch_put(b, STORE_CF_RECORDS, "z", 1, "26", 2);
    assert_int_equal(store_batch_count(b), 1);
    CHECK_OK(store_write(fx->st, b, err));
    check_absent(fx->st, NULL, STORE_CF_RECORDS, "a", 1);
    check_str(fx->st, NULL, STORE_CF_RECORDS, "z", "26");

    /* Written, cleared, reused. */
    store_batch_clear(b);
    assert_int_equal(store_batch_count(b), 0);
    store_batch_put(b, STORE_CF_RECORDS, "y", 1, "25", 2);
    CHECK_OK(store_write(fx->st, b, err));
    check_str(fx->st, NULL, STORE_CF_RECORDS, "y", "25");

    /* An empty batch is a successful no-op. */
    store_batch_clear(b);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
}

static void test_batch_cannot_be_written_twice_without_clear(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN] = "";
    store_batch *b = store_batch_create();

    assert_non_null(b);
    store_batch_put(b, STORE_CF_FEED, "s", 1, "1", 1);
    CHECK_OK(store_write(fx->st, b, err));
    assert_int_equal(store_write(fx->st, b, err), STORE_EINVAL);
    assert_true(strlen(err) > 0);
    store_batch_destroy(b);
}

static void test_batch_delete_removes_key(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    store_batch *b = store_batch_create();

    assert_non_null(b);
    put_str(fx->st, STORE_CF_SUBJECTS, "old-index", "");
    store_batch_delete(b, STORE_CF_SUBJECTS, "old-index", 9);
    store_batch_put(b, STORE_CF_SUBJECTS, "new-index", 9, "", 0);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
    check_absent(fx->st, NULL, STORE_CF_SUBJECTS, "old-index", 9);
    check_str(fx->st, NULL, STORE_CF_SUBJECTS, "new-index", "");
}

static void test_later_put_in_batch_wins(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    store_batch *b = store_batch_create();

    assert_non_null(b);
    store_batch_put(b, STORE_CF_RECORDS, "r", 1, "first", 5);
    store_batch_put(b, STORE_CF_RECORDS, "r", 1, "second", 6);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
    check_str(fx->st, NULL, STORE_CF_RECORDS, "r", "second");
}

static void test_large_batch_roundtrips(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    store_batch *b = store_batch_create();
    unsigned char k[8];
    static unsigned char big[100000];
    uint64_t i;

    assert_non_null(b);
    for (i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)(i * 7);
    for (i = 0; i < 1000; i++) {
        store_put_be64(k, i);
        store_batch_put(b, STORE_CF_HISTORY, k, 8, big, (size_t)(i * 97 % sizeof(big)));
    }
    assert_int_equal(store_batch_count(b), 1000);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
    for (i = 0; i < 1000; i += 37) {
        store_put_be64(k, i);
        check_value(fx->st, NULL, STORE_CF_HISTORY, k, 8, big, (size_t)(i * 97 % sizeof(big)));
    }
}

/* A batch large enough to go to RocksDB in key order (store.c, op_order) has the effect of
 * its operations in batch order: of several on one key, the last wins, put or delete, in
 * every family, whatever the keys' order. */
static void test_large_batch_keeps_the_last_operation_on_each_key(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    store_batch *b = store_batch_create();
    enum { KEYS = 500 };
    store_cf cfs[] = {STORE_CF_SUBJECTS, STORE_CF_RECORDS, STORE_CF_SOURCES};
    char key[16], val[32];

    assert_non_null(b);
    put_str(fx->st, STORE_CF_RECORDS, "k0007", "stored before");
    /* Keys in a scrambled order (7919 is prime to KEYS), three rounds over them: a first
     * value, a delete of every third key, and a last value for every fifth. */
    for (int round = 0; round < 3; round++)
        for (int n = 0; n < KEYS; n++) {
            int i = (n * 7919) % KEYS;
            store_cf cf = cfs[i % 3];
            snprintf(key, sizeof key, "k%04d", i);
            if (round == 0) {
                snprintf(val, sizeof val, "first %d", i);
                store_batch_put(b, cf, key, strlen(key), val, strlen(val));
            } else if (round == 1 && i % 3 == 0) {
                store_batch_delete(b, cf, key, strlen(key));
            } else if (round == 2 && i % 5 == 0) {
                snprintf(val, sizeof val, "last %d", i);
                store_batch_put(b, cf, key, strlen(key), val, strlen(val));
            }
        }
    assert_true(store_batch_count(b) > 64);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
    for (int i = 0; i < KEYS; i++) {
        snprintf(key, sizeof key, "k%04d", i);
        if (i % 5 == 0)
            snprintf(val, sizeof val, "last %d", i);
        else
            snprintf(val, sizeof val, "first %d", i);
        if (i % 3 == 0 && i % 5 != 0)
            check_absent(fx->st, NULL, cfs[i % 3], key, strlen(key));
        else
            check_str(fx->st, NULL, cfs[i % 3], key, val);
    }
}

static void test_write_survives_reopen(void **state)
{
    struct fixture *fx = *state;

    put_str(fx->st, STORE_CF_RECORDS, "durable", "yes");
    put_str(fx->st, STORE_CF_STATS, "count", "1");
    reopen(fx, NULL);
    check_str(fx->st, NULL, STORE_CF_RECORDS, "durable", "yes");
    check_str(fx->st, NULL, STORE_CF_STATS, "count", "1");
}

static void test_unsync_write_is_readable(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    store_options o;
    store_batch *b;

    store_options_init(&o);
    o.sync = 0;
    o.block_cache_mb = 8;
    reopen(fx, &o);
    put_str(fx->st, STORE_CF_FEED, "fast", "1");
    check_str(fx->st, NULL, STORE_CF_FEED, "fast", "1");

    /* The per-write override, both ways. */
    b = store_batch_create();
    assert_non_null(b);
    store_batch_put(b, STORE_CF_FEED, "synced", 6, "2", 1);
    CHECK_OK(store_write_sync(fx->st, b, 1, err));
    store_batch_clear(b);
    store_batch_put(b, STORE_CF_FEED, "unsynced", 8, "3", 1);
    CHECK_OK(store_write_sync(fx->st, b, 0, err));
    store_batch_destroy(b);
    check_str(fx->st, NULL, STORE_CF_FEED, "synced", "2");
    check_str(fx->st, NULL, STORE_CF_FEED, "unsynced", "3");

    /* A clean close keeps unsynced writes too: they are in the WAL. */
    reopen(fx, NULL);
    check_str(fx->st, NULL, STORE_CF_FEED, "fast", "1");
    check_str(fx->st, NULL, STORE_CF_FEED, "unsynced", "3");
}

static void test_zero_length_value_roundtrips(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    void *got = NULL;
    size_t len = 99;

    put1(fx->st, STORE_CF_SUBJECTS, "subject|record", 14, NULL, 0);
    CHECK_OK(store_get(fx->st, NULL, STORE_CF_SUBJECTS, "subject|record", 14, &got, &len, err));
    assert_non_null(got);
    assert_int_equal(len, 0);
    free(got);

    /* The empty key is a key too. */
    put1(fx->st, STORE_CF_DEFAULT, "", 0, "", 0);
    got = NULL;
    len = 99;
    CHECK_OK(store_get(fx->st, NULL, STORE_CF_DEFAULT, NULL, 0, &got, &len, err));
    assert_non_null(got);
    assert_int_equal(len, 0);
    free(got);
}

static void test_binary_keys_and_values_roundtrip(void **state)
{
    struct fixture *fx = *state;
    static const unsigned char k[] = {0x00, 0xff, 0x00, 0x01};
    static const unsigned char v[] = {0x00, 0x00, 0xfe, 0xff, 0x00};

    put1(fx->st, STORE_CF_RECORDS, k, sizeof(k), v, sizeof(v));
    check_value(fx->st, NULL, STORE_CF_RECORDS, k, sizeof(k), v, sizeof(v));
    check_absent(fx->st, NULL, STORE_CF_RECORDS, k, 1);
}

static void test_prefix_scan_stops_at_prefix_end(void **state)
{
    struct fixture *fx = *state;
    /* Prefix 01 ff ff: its successor is 02, so 02 and 02 00 must not be seen, nor anything
     * below the prefix. */
    static const char p[] = "\x01\xff\xff";
    static const char *const all[] = {
        "\x01\xff",         "\x01\xff\xfe\xff",     "\x01\xff\xff", "\x01\xff\xff\x00",
        "\x01\xff\xff\xff", "\x01\xff\xff\xff\xff", "\x02",         "\x02\x00",
    };
    static const size_t all_len[] = {2, 4, 3, 4, 4, 5, 1, 2};
    static const char *const want[] = {"\x01\xff\xff", "\x01\xff\xff\x00", "\x01\xff\xff\xff",
                                       "\x01\xff\xff\xff\xff"};
    static const size_t want_len[] = {3, 4, 4, 5};
    /* Prefix 01 02: its successor is 01 03, which must be excluded. */
    static const char *const want2[] = {"\x01\x02", "\x01\x02\xff"};
    static const size_t want2_len[] = {2, 3};
    /* Prefix ff ff has no successor: only the prefix check stops the scan. */
    static const char *const want3[] = {"\xff\xff", "\xff\xff\x00", "\xff\xff\xff"};
    static const size_t want3_len[] = {2, 3, 3};
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        put1(fx->st, STORE_CF_SUBJECTS, all[i], all_len[i], "", 0);
    put1(fx->st, STORE_CF_SUBJECTS, "\x01\x02", 2, "", 0);
    put1(fx->st, STORE_CF_SUBJECTS, "\x01\x02\xff", 3, "", 0);
    put1(fx->st, STORE_CF_SUBJECTS, "\x01\x03", 2, "", 0);
    put1(fx->st, STORE_CF_SUBJECTS, "\xff", 1, "", 0);
    put1(fx->st, STORE_CF_SUBJECTS, "\xff\xfe\xff", 3, "", 0);
    for (i = 0; i < 3; i++)
        put1(fx->st, STORE_CF_SUBJECTS, want3[i], want3_len[i], "", 0);
    /* The same prefix in another family must not leak in. */
    put1(fx->st, STORE_CF_RECORDS, "\x01\xff\xff\x01", 4, "", 0);

    check_scan(fx->st, NULL, STORE_CF_SUBJECTS, p, 3, NULL, 0, want, want_len, 4);
    check_scan(fx->st, NULL, STORE_CF_SUBJECTS, "\x01\x02", 2, NULL, 0, want2, want2_len, 2);
    check_scan(fx->st, NULL, STORE_CF_SUBJECTS, "\xff\xff", 2, NULL, 0, want3, want3_len, 3);
    check_scan(fx->st, NULL, STORE_CF_SUBJECTS, "\x01\x04", 2, NULL, 0, NULL, NULL, 0);
}

static void test_prefix_scan_returns_values(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    store_iter *it;
    const void *v;
    size_t vlen, n = 0;

    put_str(fx->st, STORE_CF_UNITS, "u/1", "one");
    put_str(fx->st, STORE_CF_UNITS, "u/2", "two");
    it = store_iter_create(fx->st, NULL, STORE_CF_UNITS, "u/", 2, NULL, 0);
    assert_non_null(it);
    for (; store_iter_valid(it); store_iter_next(it), n++) {
        v = store_iter_value(it, &vlen);
        assert_int_equal(vlen, 3);
        assert_memory_equal(v, n == 0 ? "one" : "two", 3);
    }
    assert_int_equal(n, 2);
    CHECK_OK(store_iter_error(it, err));
    /* Past the end, key and value are NULL and next is harmless. */
    assert_null(store_iter_key(it, &vlen));
    assert_int_equal(vlen, 0);
    assert_null(store_iter_value(it, &vlen));
    store_iter_next(it);
    assert_false(store_iter_valid(it));
    store_iter_destroy(it);
}

static void test_prefix_scan_starts_at_start_key(void **state)
{
    struct fixture *fx = *state;
    static const char *const keys[] = {"u1/a", "u1/b", "u1/c", "u1/d", "u1/e"};
    static const size_t lens[] = {4, 4, 4, 4, 4};
    size_t i;

    for (i = 0; i < 5; i++)
        put_str(fx->st, STORE_CF_AUTHZ, keys[i], "v");
    put_str(fx->st, STORE_CF_AUTHZ, "u0/z", "v");
    put_str(fx->st, STORE_CF_AUTHZ, "u2/a", "v");

    /* At an existing key, between keys, before the prefix, past the prefix. */
    check_scan(fx->st, NULL, STORE_CF_AUTHZ, "u1/", 3, "u1/c", 4, keys + 2, lens + 2, 3);
    check_scan(fx->st, NULL, STORE_CF_AUTHZ, "u1/", 3, "u1/bb", 5, keys + 2, lens + 2, 3);
    check_scan(fx->st, NULL, STORE_CF_AUTHZ, "u1/", 3, "a", 1, keys, lens, 5);
    check_scan(fx->st, NULL, STORE_CF_AUTHZ, "u1/", 3, "u1", 2, keys, lens, 5);
    check_scan(fx->st, NULL, STORE_CF_AUTHZ, "u1/", 3, "u1/f", 4, NULL, NULL, 0);
    check_scan(fx->st, NULL, STORE_CF_AUTHZ, "u1/", 3, "u2/", 3, NULL, NULL, 0);
}

static void test_empty_prefix_scans_whole_family(void **state)
{
    struct fixture *fx = *state;
    static const char *const keys[] = {"", "\x00", "a", "b\xff", "\xff\xff"};
    static const size_t lens[] = {0, 1, 1, 2, 2};
    size_t i;

    for (i = 0; i < 5; i++)
        put1(fx->st, STORE_CF_CATALOGUE, keys[i], lens[i], "v", 1);
    put_str(fx->st, STORE_CF_REPAIRS, "other family", "v");
    check_scan(fx->st, NULL, STORE_CF_CATALOGUE, NULL, 0, NULL, 0, keys, lens, 5);
    check_scan(fx->st, NULL, STORE_CF_CATALOGUE, NULL, 0, "b", 1, keys + 3, lens + 3, 2);
}

static void test_snapshot_does_not_see_later_writes(void **state)
{
    struct fixture *fx = *state;
    static const char *const before[] = {"k1"};
    static const size_t before_len[] = {2};
    static const char *const after[] = {"k1", "k2"};
    static const size_t after_len[] = {2, 2};
    store_snapshot *snap;
    char err[STORE_ERR_LEN];
    store_batch *b;

    put_str(fx->st, STORE_CF_RECORDS, "k1", "v1");
    snap = store_snapshot_create(fx->st);
    assert_non_null(snap);

    put_str(fx->st, STORE_CF_RECORDS, "k1", "v2");
    put_str(fx->st, STORE_CF_RECORDS, "k2", "new");
    b = store_batch_create();
    assert_non_null(b);
    store_batch_delete(b, STORE_CF_RECORDS, "k1", 2);
    store_batch_put(b, STORE_CF_RECORDS, "k1", 2, "v3", 2);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);

    check_str(fx->st, snap, STORE_CF_RECORDS, "k1", "v1");
    check_absent(fx->st, snap, STORE_CF_RECORDS, "k2", 2);
    check_scan(fx->st, snap, STORE_CF_RECORDS, "k", 1, NULL, 0, before, before_len, 1);

    check_str(fx->st, NULL, STORE_CF_RECORDS, "k1", "v3");
    check_str(fx->st, NULL, STORE_CF_RECORDS, "k2", "new");
    check_scan(fx->st, NULL, STORE_CF_RECORDS, "k", 1, NULL, 0, after, after_len, 2);
    store_snapshot_release(fx->st, snap);
}

static void test_last_key_finds_highest_sequence(void **state)
{
    struct fixture *fx = *state;
    static const uint64_t seqs[] = {1, 2, 255, 256, 70000, 65535, 4294967296ull, 3};
    unsigned char k[9], want[9];
    char err[STORE_ERR_LEN];
    void *got = NULL;
    size_t len = 0, i;

    /* Prefix 'A' holds the sequences; prefix 'B' (just above) holds larger ones. */
    for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        k[0] = 'A';
        store_put_be64(k + 1, seqs[i]);
        put1(fx->st, STORE_CF_FEED, k, 9, "e", 1);
        k[0] = 'B';
        store_put_be64(k + 1, seqs[i] + 1000000000000ull);
        put1(fx->st, STORE_CF_FEED, k, 9, "e", 1);
    }
    /* The successor of 'A' itself is a key: it must not be returned either. */
    put1(fx->st, STORE_CF_FEED, "B", 1, "e", 1);

    want[0] = 'A';
    store_put_be64(want + 1, 4294967296ull);
    CHECK_OK(store_last_key(fx->st, STORE_CF_FEED, "A", 1, &got, &len, err));
    assert_int_equal(len, 9);
    assert_memory_equal(got, want, 9);
    assert_int_equal(store_get_be64((const unsigned char *)got + 1), 4294967296ull);
    free(got);

    /* Whole family: the highest 'B' key. */
    want[0] = 'B';
    store_put_be64(want + 1, 4294967296ull + 1000000000000ull);
    CHECK_OK(store_last_key(fx->st, STORE_CF_FEED, NULL, 0, &got, &len, err));
    assert_int_equal(len, 9);
    assert_memory_equal(got, want, 9);
    free(got);
}

static void test_last_key_returns_notfound_for_empty_prefix(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN] = "untouched";
    void *got = (void *)&got;
    size_t len = 7;

    assert_int_equal(store_last_key(fx->st, STORE_CF_AUDIT, NULL, 0, &got, &len, err),
                     STORE_ENOTFOUND);
    put_str(fx->st, STORE_CF_AUDIT, "b1", "e");
    put_str(fx->st, STORE_CF_AUDIT, "d1", "e");
    put1(fx->st, STORE_CF_AUDIT, "\xff\xff\x01", 3, "e", 1);
    assert_int_equal(store_last_key(fx->st, STORE_CF_AUDIT, "a", 1, &got, &len, err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_last_key(fx->st, STORE_CF_AUDIT, "c", 1, &got, &len, err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_last_key(fx->st, STORE_CF_AUDIT, "e", 1, &got, &len, err),
                     STORE_ENOTFOUND);
    assert_int_equal(store_last_key(fx->st, STORE_CF_AUDIT, "\xff\xfe", 2, &got, &len, err),
                     STORE_ENOTFOUND);
    assert_ptr_equal(got, (void *)&got);
    assert_int_equal(len, 7);
    assert_string_equal(err, "untouched");

    /* A prefix of 0xff bytes has no successor; its last key is the family's last. */
    err[0] = '\0';
    CHECK_OK(store_last_key(fx->st, STORE_CF_AUDIT, "\xff\xff", 2, &got, &len, err));
    assert_int_equal(len, 3);
    assert_memory_equal(got, "\xff\xff\x01", 3);
    free(got);
}

static void test_open_fails_on_unwritable_dir_with_message(void **state)
{
    struct fixture *fx = *state;
    char file[PATH_MAX], bad[PATH_MAX], err[STORE_ERR_LEN] = "";
    store *sentinel = (store *)(void *)&sentinel;
    store *out = sentinel;
    FILE *f;

    subpath(file, fx->dir, "plain-file");
    subpath(bad, file, "db");
    f = fopen(file, "w");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);

    assert_int_equal(store_open(bad, NULL, &out, err), STORE_EIO);
    assert_ptr_equal(out, sentinel);
    assert_true(strlen(err) > 0);
    assert_true(strlen(err) < STORE_ERR_LEN);
    assert_non_null(strstr(err, "store: open"));
}

static void test_open_without_create_fails_on_missing_db(void **state)
{
    struct fixture *fx = *state;
    char missing[PATH_MAX], err[STORE_ERR_LEN] = "";
    store_options o;
    store *out = NULL;

    store_options_init(&o);
    o.create_if_missing = 0;
    subpath(missing, fx->dir, "missing");
    assert_int_equal(store_open(missing, &o, &out, err), STORE_EIO);
    assert_null(out);
    assert_true(strlen(err) > 0);

    /* An existing database opens without create. */
    reopen(fx, &o);
    put_str(fx->st, STORE_CF_DEFAULT, "format", "1");
}

static void test_open_rejects_invalid_arguments(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN] = "";
    store *out = NULL;

    assert_int_equal(store_open(NULL, NULL, &out, err), STORE_EINVAL);
    assert_int_equal(store_open("", NULL, &out, err), STORE_EINVAL);
    assert_int_equal(store_open(fx->db, NULL, NULL, err), STORE_EINVAL);
    assert_true(strlen(err) > 0);
    assert_null(out);
    /* err may be NULL. */
    assert_int_equal(store_open(NULL, NULL, &out, NULL), STORE_EINVAL);
}

static void test_second_open_of_same_dir_fails_while_first_is_open(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN] = "";
    store *out = NULL;

    assert_int_equal(store_open(fx->db, NULL, &out, err), STORE_EIO);
    assert_null(out);
    assert_true(strlen(err) > 0);
}

/* Builds, with RocksDB itself, a database holding our families and one we do not know. */
static void make_db_with_unknown_family(const char *dir)
{
    const char *names[STORE_CF_COUNT + 1];
    const rocksdb_options_t *cfo[STORE_CF_COUNT + 1];
    rocksdb_column_family_handle_t *h[STORE_CF_COUNT + 1];
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_t *db;
    char *e = NULL;
    int i;

    rocksdb_options_set_create_if_missing(o, 1);
    rocksdb_options_set_create_missing_column_families(o, 1);
    for (i = 0; i < STORE_CF_COUNT; i++)
        names[i] = store_cf_name((store_cf)i);
    names[STORE_CF_COUNT] = "from-the-future";
    for (i = 0; i <= STORE_CF_COUNT; i++)
        cfo[i] = o;
    db = rocksdb_open_column_families(o, dir, STORE_CF_COUNT + 1, names, cfo, h, &e);
    if (e)
        print_error("rocksdb open: %s\n", e);
    assert_null(e);
    rocksdb_put_cf(db, wo, h[STORE_CF_COUNT], "f", 1, "x", 1, &e);
    assert_null(e);
    rocksdb_put_cf(db, wo, h[STORE_CF_RECORDS], "r", 1, "ours", 4, &e);
    assert_null(e);
    for (i = 0; i <= STORE_CF_COUNT; i++)
        rocksdb_column_family_handle_destroy(h[i]);
    rocksdb_close(db);
    rocksdb_writeoptions_destroy(wo);
    rocksdb_options_destroy(o);
}

static void test_open_accepts_unknown_families(void **state)
{
    struct fixture *fx = *state;
    char dir[PATH_MAX], err[STORE_ERR_LEN];
    store *st = NULL;
    rocksdb_options_t *o;
    char **names;
    size_t n = 0, i;
    char *e = NULL;

    subpath(dir, fx->dir, "foreign");
    make_db_with_unknown_family(dir);
    CHECK_OK(store_open(dir, NULL, &st, err));
    check_str(st, NULL, STORE_CF_RECORDS, "r", "ours");
    put_str(st, STORE_CF_RECORDS, "r2", "also ours");
    store_close(st);

    /* The unknown family is still there, and our families carry our names on disk. */
    o = rocksdb_options_create();
    names = rocksdb_list_column_families(o, dir, &n, &e);
    assert_null(e);
    assert_int_equal(n, STORE_CF_COUNT + 1);
    for (i = 0; i < STORE_CF_COUNT; i++)
        assert_string_equal(names[i], store_cf_name((store_cf)i));
    assert_string_equal(names[STORE_CF_COUNT], "from-the-future");
    rocksdb_list_column_families_destroy(names, n);
    rocksdb_options_destroy(o);
}

static void test_two_open_stores_do_not_share_batches(void **state)
{
    struct fixture *fx = *state;
    char dir[PATH_MAX], err[STORE_ERR_LEN];
    store *other = NULL;
    store_batch *b = store_batch_create();

    assert_non_null(b);
    subpath(dir, fx->dir, "other");
    CHECK_OK(store_open(dir, NULL, &other, err));
    store_batch_put(b, STORE_CF_SOURCES, "src", 3, "in other", 8);
    CHECK_OK(store_write(other, b, err));
    store_batch_clear(b);
    store_batch_put(b, STORE_CF_SOURCES, "src", 3, "in main", 7);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
    check_str(other, NULL, STORE_CF_SOURCES, "src", "in other");
    check_str(fx->st, NULL, STORE_CF_SOURCES, "src", "in main");
    store_close(other);
}

struct worker {
    store *st;
    int id;
    int rc;
    char err[STORE_ERR_LEN];
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    store_batch *b = store_batch_create();
    unsigned char k[9];
    void *v;
    size_t len;
    uint64_t i;

    if (!b) {
        w->rc = STORE_ENOMEM;
        return NULL;
    }
    for (i = 0; i < 200 && w->rc == 0; i++) {
        k[0] = (unsigned char)w->id;
        store_put_be64(k + 1, i);
        store_batch_clear(b);
        store_batch_put(b, STORE_CF_HISTORY, k, 9, &i, sizeof(i));
        w->rc = store_write_sync(w->st, b, (int)(i % 2), w->err);
        if (w->rc == 0) {
            w->rc = store_get(w->st, NULL, STORE_CF_HISTORY, k, 9, &v, &len, w->err);
            if (w->rc == 0) {
                if (len != sizeof(i) || memcmp(v, &i, len) != 0)
                    w->rc = STORE_EINVAL;
                free(v);
            }
        }
    }
    store_batch_destroy(b);
    return NULL;
}

static void test_threads_share_one_store(void **state)
{
    struct fixture *fx = *state;
    struct worker w[4];
    pthread_t t[4];
    char err[STORE_ERR_LEN];
    store_iter *it;
    size_t n = 0;
    int i;

    for (i = 0; i < 4; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].st = fx->st;
        w[i].id = i;
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        if (w[i].rc)
            print_error("worker %d: %d: %s\n", i, w[i].rc, w[i].err);
        assert_int_equal(w[i].rc, 0);
    }
    it = store_iter_create(fx->st, NULL, STORE_CF_HISTORY, NULL, 0, NULL, 0);
    assert_non_null(it);
    for (; store_iter_valid(it); store_iter_next(it))
        n++;
    CHECK_OK(store_iter_error(it, err));
    store_iter_destroy(it);
    assert_int_equal(n, 4 * 200);
}

static void test_destroy_functions_accept_null(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN] = "";

    (void)state;
    store_close(NULL);
    store_batch_destroy(NULL);
    store_iter_destroy(NULL);
    store_snapshot_release(fx->st, NULL);
    store_batch_clear(NULL);
    assert_int_equal(store_batch_count(NULL), 0);

    /* An iterator that could not be created ends a loop at once and reports an error. */
    assert_null(store_iter_create(fx->st, NULL, STORE_CF_COUNT, NULL, 0, NULL, 0));
    assert_false(store_iter_valid(NULL));
    assert_int_equal(store_iter_error(NULL, err), STORE_EIO);
    assert_true(strlen(err) > 0);
}

static void test_be64_orders_bytes_numerically(void **state)
{
    static const uint64_t v[] = {
        0, 1, 255, 256, 65535, 65536, 0x0102030405060708ull, UINT64_MAX - 1, UINT64_MAX};
    unsigned char a[8], b[8];
    size_t i;

    (void)state;
    store_put_be64(a, 0x0102030405060708ull);
    assert_memory_equal(a, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        store_put_be64(a, v[i]);
        assert_true(store_get_be64(a) == v[i]);
        if (i + 1 < sizeof(v) / sizeof(v[0])) {
            store_put_be64(b, v[i + 1]);
            assert_true(memcmp(a, b, 8) < 0);
        }
    }
}

/*
 * The crash child: opens the store at `db`, then writes KILL9_WRITES single-put batches with
 * sync on, writing each index to `fd` only after store_write returned 0 (the acknowledgement).
 */
static int kill9_child(const char *db, const char *fdstr)
{
    char err[STORE_ERR_LEN], *end;
    unsigned long fdl;
    store_options o;
    store *st;
    store_batch *b;
    unsigned char k[8];
    uint32_t i;
    int fd;

    errno = 0;
    fdl = strtoul(fdstr, &end, 10);
    if (errno || *end || end == fdstr || fdl > INT_MAX)
        return 2;
    fd = (int)fdl;
    store_options_init(&o);
    o.sync = 1;
    if (store_open(db, &o, &st, err) != 0) {
        fprintf(stderr, "kill9 child: %s\n", err);
        return 3;
    }
    b = store_batch_create();
    if (!b)
        return 4;
    for (i = 0; i < KILL9_WRITES; i++) {
        store_put_be64(k, i);
        store_batch_clear(b);
        store_batch_put(b, STORE_CF_FEED, k, sizeof(k), &i, sizeof(i));
        if (store_write(st, b, err) != 0) {
            fprintf(stderr, "kill9 child: %s\n", err);
            return 5;
        }
        if (write(fd, &i, sizeof(i)) != (ssize_t)sizeof(i))
            return 6;
    }
    store_batch_destroy(b);
    store_close(st);
    close(fd);
    return 0;
}

static void test_acknowledged_sync_write_survives_kill9(void **state)
{
    struct fixture *fx = *state;
    char fdstr[16], err[STORE_ERR_LEN];
    int pfd[2], status = 0, killed = 0;
    uint32_t ack, acked = 0;
    unsigned char k[8];
    ssize_t r;
    pid_t pid;

    /* The child needs the database's lock. */
    store_close(fx->st);
    fx->st = NULL;

    assert_int_equal(pipe(pfd), 0);
    snprintf(fdstr, sizeof(fdstr), "%d", pfd[1]);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = {"test_store", "--kill9-child", fx->db, fdstr, NULL};

        close(pfd[0]);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(pfd[1]);

    /* Acknowledgements arrive in order; kill at KILL9_AT, then drain what was already sent. */
    for (;;) {
        r = read(pfd[0], &ack, sizeof(ack));
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            break;
        assert_int_equal(r, sizeof(ack));
        assert_int_equal(ack, acked);
        acked++;
        if (acked == KILL9_AT && !killed) {
            assert_int_equal(kill(pid, SIGKILL), 0);
            killed = 1;
        }
    }
    close(pfd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!killed || !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
        /* Only acceptable outcome besides a kill: the child finished every write first. */
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(acked, KILL9_WRITES);
    }
    assert_true(acked >= KILL9_AT);
    print_message("kill9: %u of %d writes acknowledged; the child was %s\n", (unsigned)acked,
                  KILL9_WRITES, WIFSIGNALED(status) ? "killed" : "done before the kill");

    CHECK_OK(store_open(fx->db, NULL, &fx->st, err));
    for (ack = 0; ack < acked; ack++) {
        store_put_be64(k, ack);
        check_value(fx->st, NULL, STORE_CF_FEED, k, sizeof(k), &ack, sizeof(ack));
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_names_follow_enum_order),
        cmocka_unit_test(test_options_init_sets_documented_defaults),
        cmocka_unit_test(test_be64_orders_bytes_numerically),
        cmocka_unit_test_setup_teardown(test_get_returns_notfound_for_absent_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_pinned_get_reads_in_place_as_of_its_snapshot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_families_keep_keys_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_writes_all_families_atomically, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_with_invalid_operation_writes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_count_and_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_cannot_be_written_twice_without_clear, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_delete_removes_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_later_put_in_batch_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_batch_roundtrips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_batch_keeps_the_last_operation_on_each_key,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsync_write_is_readable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_length_value_roundtrips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_keys_and_values_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_scan_stops_at_prefix_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_scan_returns_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_scan_starts_at_start_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_prefix_scans_whole_family, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_does_not_see_later_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_key_finds_highest_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_key_returns_notfound_for_empty_prefix, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_fails_on_unwritable_dir_with_message, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_without_create_fails_on_missing_db, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_rejects_invalid_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_open_of_same_dir_fails_while_first_is_open,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_accepts_unknown_families, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_open_stores_do_not_share_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_share_one_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_functions_accept_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_multi_get_visits_every_key_as_of_its_snapshot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_acknowledged_sync_write_survives_kill9, setup,
                                        teardown),
    };

    if (argc == 4 && strcmp(argv[1], "--kill9-child") == 0)
        return kill9_child(argv[2], argv[3]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
