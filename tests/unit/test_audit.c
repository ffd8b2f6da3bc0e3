/*
 * test_audit.c — unit tests for server/data/audit.c against a real RocksDB.
 *
 * Each test gets a fresh temporary directory with a store and an audit log open over it;
 * teardown closes both and removes the directory. Tampering is done the way an attacker with
 * the database would do it: entries are read, changed and written back raw through a store
 * batch, bypassing audit_commit, and audit_verify must then name the first bad sequence.
 */
#include "testutil.h"

#include <pthread.h>

#include <openssl/evp.h>

#include "audit.h"
#include "credit/v1/audit.pb-c.h"
#include "store.h"

#define HASH_LEN 32

struct fixture {
    char dir[PATH_MAX];
    char db[PATH_MAX];
    store *st;
    audit *a;
};

static int setup(void **state)
{
    char err[STORE_ERR_LEN];
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    if (tu_mkdtemp(fx->dir, sizeof(fx->dir), "test_audit") != 0)
        goto fail;
    if (tu_join(fx->db, sizeof(fx->db), fx->dir, "db") != 0) {
        tu_rmrf(fx->dir);
        goto fail;
    }
    if (store_open(fx->db, NULL, &fx->st, err) != 0 || audit_open(fx->st, &fx->a, err) != 0) {
        print_error("setup: %s\n", err);
        store_close(fx->st);
        tu_rmrf(fx->dir);
        goto fail;
    }
    *state = fx;
    return 0;
fail:
    free(fx);
    return -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc;

    audit_close(fx->a);
    store_close(fx->st);
    rc = tu_rmrf(fx->dir);
    free(fx);
    return rc;
}

/* Commits entry number i (its detail says so), alone or, when `extra`, in a batch that also
 * puts "rec/<i>" into STORE_CF_RECORDS. */
static void commit_one(struct fixture *fx, int i, int extra)
{
    char err[STORE_ERR_LEN], detail[64], key[32];
    audit_event ev = {.unit = "office", .identity = "urn:credit:unit:office",
                      .method = "/credit.v1.UnitRegistry/RegisterUnit", .code = 0,
                      .detail = detail, .peer = "ipv4:127.0.0.1:5555"};
    store_batch *b = NULL;

    snprintf(detail, sizeof(detail), "change %d", i);
    if (extra) {
        b = store_batch_create();
        assert_non_null(b);
        snprintf(key, sizeof(key), "rec/%d", i);
        store_batch_put(b, STORE_CF_RECORDS, key, strlen(key), detail, strlen(detail));
    }
    CHECK_OK(audit_commit(fx->a, b, &ev, i % 2, err));
    store_batch_destroy(b);
}

static void commit_n(struct fixture *fx, int from, int to)
{
    for (int i = from; i <= to; i++)
        commit_one(fx, i, i % 7 == 0);
}

/* Reads entry `seq` (free with credit__v1__audit_entry__free_unpacked). */
static Credit__V1__AuditEntry *read_entry(store *st, uint64_t seq)
{
    char err[STORE_ERR_LEN];
    unsigned char key[8];
    void *val = NULL;
    size_t vlen = 0;
    Credit__V1__AuditEntry *e;

    store_put_be64(key, seq);
    CHECK_OK(store_get(st, NULL, STORE_CF_AUDIT, key, sizeof(key), &val, &vlen, err));
    e = credit__v1__audit_entry__unpack(NULL, vlen, val);
    free(val);
    assert_non_null(e);
    return e;
}

/* Writes `e` packed, raw, under key `seq`. */
static void put_entry_raw(store *st, uint64_t seq, const Credit__V1__AuditEntry *e)
{
    char err[STORE_ERR_LEN];
    unsigned char key[8];
    size_t n = credit__v1__audit_entry__get_packed_size(e);
    unsigned char *buf = malloc(n ? n : 1);
    store_batch *b = store_batch_create();

    assert_non_null(buf);
    assert_non_null(b);
    credit__v1__audit_entry__pack(e, buf);
    store_put_be64(key, seq);
    store_batch_put(b, STORE_CF_AUDIT, key, sizeof(key), buf, n);
    CHECK_OK(store_write(st, b, err));
    store_batch_destroy(b);
    free(buf);
}

/* SHA-256(prev_hash || be64(seq) || entry packed with hash empty), as audit.proto defines. */
static void entry_hash(const Credit__V1__AuditEntry *e, unsigned char out[HASH_LEN])
{
    Credit__V1__AuditEntry copy = *e;
    unsigned char seq[8], *buf;
    unsigned int len = 0;
    size_t n;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    assert_non_null(ctx);
    copy.hash.data = NULL;
    copy.hash.len = 0;
    n = credit__v1__audit_entry__get_packed_size(&copy);
    buf = malloc(n ? n : 1);
    assert_non_null(buf);
    credit__v1__audit_entry__pack(&copy, buf);
    store_put_be64(seq, e->seq);
    assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, e->prev_hash.data, e->prev_hash.len), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, seq, sizeof(seq)), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, buf, n), 1);
    assert_int_equal(EVP_DigestFinal_ex(ctx, out, &len), 1);
    assert_int_equal(len, HASH_LEN);
    EVP_MD_CTX_free(ctx);
    free(buf);
}

/* audit_verify succeeds and checks exactly `want` entries. */
static void check_verifies(store *st, uint64_t want)
{
    char err[STORE_ERR_LEN];
    uint64_t count = 12345, bad = 0;

    CHECK_OK(audit_verify(st, &count, &bad, err));
    assert_int_equal(count, want);
}

/* audit_verify fails at `want_bad` with a reason mentioning `word`. */
static void check_fails_at(store *st, uint64_t want_bad, const char *word)
{
    char err[STORE_ERR_LEN] = "";
    uint64_t count = 0, bad = 0;

    assert_int_equal(audit_verify(st, &count, &bad, err), -1);
    if (bad != want_bad) {
        print_error("verify failed at %llu, want %llu: %s\n", (unsigned long long)bad,
                    (unsigned long long)want_bad, err);
        fail();
    }
    CHECK_CONTAINS(err, word);
}

static void check_absent(store *st, store_cf cf, const void *k, size_t klen)
{
    char err[STORE_ERR_LEN];
    void *v = NULL;
    size_t vlen;

    assert_int_equal(store_get(st, NULL, cf, k, klen, &v, &vlen, err), STORE_ENOTFOUND);
}

static void test_empty_log_verifies_with_count_zero(void **state)
{
    struct fixture *fx = *state;

    check_verifies(fx->st, 0);
}

static void test_fifty_commits_verify_with_count_fifty(void **state)
{
    struct fixture *fx = *state;
    unsigned char zero[HASH_LEN] = {0}, h[HASH_LEN];
    Credit__V1__AuditEntry *e, *prev = NULL;

    commit_n(fx, 1, 50);
    check_verifies(fx->st, 50);

    /* The entries are what audit.proto says they are. */
    for (uint64_t s = 1; s <= 50; s++) {
        char detail[64];

        e = read_entry(fx->st, s);
        assert_int_equal(e->seq, s);
        snprintf(detail, sizeof(detail), "change %llu", (unsigned long long)s);
        assert_string_equal(e->detail, detail);
        assert_string_equal(e->unit, "office");
        assert_string_equal(e->method, "/credit.v1.UnitRegistry/RegisterUnit");
        assert_non_null(e->time);
        assert_int_equal(e->prev_hash.len, HASH_LEN);
        assert_int_equal(e->hash.len, HASH_LEN);
        assert_memory_equal(e->prev_hash.data, prev ? prev->hash.data : zero, HASH_LEN);
        entry_hash(e, h);
        assert_memory_equal(e->hash.data, h, HASH_LEN);
        if (prev)
            credit__v1__audit_entry__free_unpacked(prev, NULL);
        prev = e;
    }
    credit__v1__audit_entry__free_unpacked(prev, NULL);
}

/* The change in the caller's batch lands with its entry. */
static void test_commit_writes_the_callers_batch_with_the_entry(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN], key[32];
    void *v = NULL;
    size_t vlen = 0;

    commit_n(fx, 1, 50);
    for (int i = 1; i <= 50; i++) {
        snprintf(key, sizeof(key), "rec/%d", i);
        if (i % 7 == 0) {
            CHECK_OK(store_get(fx->st, NULL, STORE_CF_RECORDS, key, strlen(key), &v, &vlen, err));
            assert_true(vlen > 0);
            free(v);
        } else {
            check_absent(fx->st, STORE_CF_RECORDS, key, strlen(key));
        }
    }
}

static void test_null_event_fields_are_stored_empty(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    audit_event ev = {.method = "/m", .code = 7};
    Credit__V1__AuditEntry *e;

    CHECK_OK(audit_commit(fx->a, NULL, &ev, 0, err));
    e = read_entry(fx->st, 1);
    assert_string_equal(e->unit, "");
    assert_string_equal(e->identity, "");
    assert_string_equal(e->detail, "");
    assert_string_equal(e->peer, "");
    assert_string_equal(e->method, "/m");
    assert_int_equal(e->code, 7);
    credit__v1__audit_entry__free_unpacked(e, NULL);
    check_verifies(fx->st, 1);
}

static void test_reopened_log_continues_the_sequence_and_chain(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    Credit__V1__AuditEntry *e50, *e51;

    commit_n(fx, 1, 50);
    audit_close(fx->a);
    fx->a = NULL;
    store_close(fx->st);
    fx->st = NULL;
    CHECK_OK(store_open(fx->db, NULL, &fx->st, err));
    CHECK_OK(audit_open(fx->st, &fx->a, err));

    commit_one(fx, 51, 1);
    e50 = read_entry(fx->st, 50);
    e51 = read_entry(fx->st, 51);
    assert_int_equal(e51->seq, 51);
    assert_string_equal(e51->detail, "change 51");
    assert_int_equal(e51->prev_hash.len, HASH_LEN);
    assert_memory_equal(e51->prev_hash.data, e50->hash.data, HASH_LEN);
    credit__v1__audit_entry__free_unpacked(e50, NULL);
    credit__v1__audit_entry__free_unpacked(e51, NULL);
    check_verifies(fx->st, 51);

    commit_n(fx, 52, 60);
    check_verifies(fx->st, 60);
}

static void test_verify_finds_a_rewritten_detail(void **state)
{
    struct fixture *fx = *state;
    Credit__V1__AuditEntry *e;

    commit_n(fx, 1, 50);
    e = read_entry(fx->st, 20);
    assert_string_equal(e->detail, "change 20");
    /* detail belongs to the unpacked message; swap in ours only for the pack. */
    char *orig = e->detail;
    e->detail = "nothing happened";
    put_entry_raw(fx->st, 20, e);
    e->detail = orig;
    credit__v1__audit_entry__free_unpacked(e, NULL);

    check_fails_at(fx->st, 20, "hash");
}

/* An attacker who also recomputes the rewritten entry's own hash is caught at the next
 * entry, whose prev_hash no longer matches. */
static void test_verify_finds_a_rewrite_with_recomputed_hash_at_the_next_entry(void **state)
{
    struct fixture *fx = *state;
    Credit__V1__AuditEntry *e;
    unsigned char h[HASH_LEN];

    commit_n(fx, 1, 50);
    e = read_entry(fx->st, 20);
    char *orig = e->detail;
    uint8_t *orig_hash = e->hash.data;
    e->detail = "nothing happened";
    entry_hash(e, h);
    e->hash.data = h;
    put_entry_raw(fx->st, 20, e);
    e->detail = orig;
    e->hash.data = orig_hash;
    credit__v1__audit_entry__free_unpacked(e, NULL);

    check_fails_at(fx->st, 21, "previous hash");
}

static void test_verify_finds_a_deleted_entry_as_a_gap(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    unsigned char key[8];
    store_batch *b = store_batch_create();

    assert_non_null(b);
    commit_n(fx, 1, 50);
    store_put_be64(key, 30);
    store_batch_delete(b, STORE_CF_AUDIT, key, sizeof(key));
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);

    check_fails_at(fx->st, 30, "gap");
}

static void test_verify_finds_two_swapped_entries(void **state)
{
    struct fixture *fx = *state;
    Credit__V1__AuditEntry *e10, *e11;

    commit_n(fx, 1, 50);
    e10 = read_entry(fx->st, 10);
    e11 = read_entry(fx->st, 11);
    put_entry_raw(fx->st, 10, e11);
    put_entry_raw(fx->st, 11, e10);
    credit__v1__audit_entry__free_unpacked(e10, NULL);
    credit__v1__audit_entry__free_unpacked(e11, NULL);

    check_fails_at(fx->st, 10, "sequence");
}

/* Swapping the content while keeping each key's seq, prev_hash and hash is caught by the
 * hash. */
static void test_verify_finds_swapped_contents_under_original_sequence(void **state)
{
    struct fixture *fx = *state;
    Credit__V1__AuditEntry *e10, *e11;

    commit_n(fx, 1, 50);
    e10 = read_entry(fx->st, 10);
    e11 = read_entry(fx->st, 11);
    char *d10 = e10->detail;
    e10->detail = e11->detail;
    e11->detail = d10;
    put_entry_raw(fx->st, 10, e10);
    put_entry_raw(fx->st, 11, e11);
    e11->detail = e10->detail;
    e10->detail = d10;
    credit__v1__audit_entry__free_unpacked(e10, NULL);
    credit__v1__audit_entry__free_unpacked(e11, NULL);

    check_fails_at(fx->st, 10, "hash");
}

static void test_verify_finds_an_unreadable_entry(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    unsigned char key[8];
    store_batch *b = store_batch_create();

    assert_non_null(b);
    commit_n(fx, 1, 10);
    store_put_be64(key, 5);
    store_batch_put(b, STORE_CF_AUDIT, key, sizeof(key), "\xff\xff\xff", 3);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);

    check_fails_at(fx->st, 5, "cannot be read");
}

/* A batch the store refuses to write (made invalid by a put with a bad family, see store.h)
 * writes neither the change nor the entry, and leaves the head alone: the next commit takes
 * the sequence number the refused one would have had and the chain verifies. */
static void test_refused_batch_leaves_the_head_unchanged(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN] = "";
    audit_event ev = {.method = "/m", .detail = "refused"};
    store_batch *b = store_batch_create();
    unsigned char key[8];
    Credit__V1__AuditEntry *e5, *e6;

    assert_non_null(b);
    commit_n(fx, 1, 5);
    store_batch_put(b, STORE_CF_RECORDS, "lost", 4, "v", 1);
    store_batch_put(b, STORE_CF_COUNT, "bad", 3, "v", 1);
    assert_int_equal(audit_commit(fx->a, b, &ev, 1, err), STORE_EINVAL);
    assert_true(err[0] != '\0');
    store_batch_destroy(b);
    store_put_be64(key, 6);
    check_absent(fx->st, STORE_CF_AUDIT, key, sizeof(key));
    check_absent(fx->st, STORE_CF_RECORDS, "lost", 4);
    check_verifies(fx->st, 5);

    commit_one(fx, 6, 0);
    e5 = read_entry(fx->st, 5);
    e6 = read_entry(fx->st, 6);
    assert_int_equal(e6->seq, 6);
    assert_string_equal(e6->detail, "change 6");
    assert_memory_equal(e6->prev_hash.data, e5->hash.data, HASH_LEN);
    credit__v1__audit_entry__free_unpacked(e5, NULL);
    credit__v1__audit_entry__free_unpacked(e6, NULL);
    check_verifies(fx->st, 6);
}

/* Same with a batch that was already written (store.h: writing it again is STORE_EINVAL). */
static void test_already_written_batch_leaves_the_head_unchanged(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN] = "";
    audit_event ev = {.method = "/m", .detail = "twice"};
    store_batch *b = store_batch_create();

    assert_non_null(b);
    commit_n(fx, 1, 3);
    store_batch_put(b, STORE_CF_RECORDS, "once", 4, "v", 1);
    CHECK_OK(store_write(fx->st, b, err));
    assert_int_equal(audit_commit(fx->a, b, &ev, 0, err), STORE_EINVAL);
    store_batch_destroy(b);
    check_verifies(fx->st, 3);
    commit_n(fx, 4, 8);
    check_verifies(fx->st, 8);
}

#define THREADS            4
#define COMMITS_PER_THREAD 25
#define MIXED_THREADS      8
#define MIXED_EACH         40

struct worker {
    audit *a;
    int id, each;
    int mixed; /* odd workers read; even ones change, every third change waiting for fsync */
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char err[STORE_ERR_LEN], detail[32];
    audit_event ev = {.method = "/m", .detail = detail};

    for (int i = 0; i < w->each; i++) {
        snprintf(detail, sizeof(detail), "t%d/%d", w->id, i);
        int rc = w->mixed && w->id % 2 ? audit_commit_read(w->a, &ev, err)
                                       : audit_commit(w->a, NULL, &ev, w->mixed && i % 3 == 0, err);
        if (rc != 0)
            w->failures++;
    }
    return NULL;
}

/* Runs n workers of `each` entries at once over fx's log; none may fail. */
static void run_workers(struct fixture *fx, int n, int each, int mixed)
{
    pthread_t th[MIXED_THREADS];
    struct worker w[MIXED_THREADS];

    assert_true(n <= MIXED_THREADS);
    for (int i = 0; i < n; i++) {
        w[i] = (struct worker){.a = fx->a, .id = i, .each = each, .mixed = mixed};
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
}

/* audit.h: the head's mutex keeps the order on disk the order of the chain. */
static void test_concurrent_commits_form_one_chain(void **state)
{
    struct fixture *fx = *state;

    run_workers(fx, THREADS, COMMITS_PER_THREAD, 0);
    check_verifies(fx->st, THREADS * COMMITS_PER_THREAD);
}

/* audit.h: reads' entries are written in groups, between changes' entries, and the chain
 * stays one gapless chain holding every entry once. */
static void test_read_entries_in_groups_among_changes_form_one_chain(void **state)
{
    struct fixture *fx = *state;
    char seen[MIXED_THREADS][MIXED_EACH] = {{0}};

    run_workers(fx, MIXED_THREADS, MIXED_EACH, 1);
    check_verifies(fx->st, MIXED_THREADS * MIXED_EACH);
    store_iter *it = store_iter_create(fx->st, NULL, STORE_CF_AUDIT, NULL, 0, NULL, 0);
    for (; store_iter_valid(it); store_iter_next(it)) {
        size_t len;
        const void *v = store_iter_value(it, &len);
        Credit__V1__AuditEntry *e = credit__v1__audit_entry__unpack(NULL, len, v);
        int t = -1, k = -1;
        assert_non_null(e);
        assert_int_equal(sscanf(e->detail, "t%d/%d", &t, &k), 2);
        assert_true(t >= 0 && t < MIXED_THREADS && k >= 0 && k < MIXED_EACH);
        assert_int_equal(seen[t][k], 0);
        seen[t][k] = 1;
        credit__v1__audit_entry__free_unpacked(e, NULL);
    }
    store_iter_destroy(it);
    for (int t = 0; t < MIXED_THREADS; t++)
        for (int k = 0; k < MIXED_EACH; k++)
            assert_int_equal(seen[t][k], 1);
}

/* A read's entry is kept across a reopen without any change after it to fsync it. */
static void test_a_read_entry_alone_is_written_and_survives_a_reopen(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    audit_event ev = {.method = "/credit.v1.OpenQuery/ListRecords", .detail = "read"};

    CHECK_OK(audit_commit_read(fx->a, &ev, err));
    CHECK_OK(audit_commit_read(fx->a, &ev, err));
    audit_close(fx->a);
    store_close(fx->st);
    fx->a = NULL;
    CHECK_OK(store_open(fx->db, NULL, &fx->st, err));
    CHECK_OK(audit_open(fx->st, &fx->a, err));
    check_verifies(fx->st, 2);
}

#define FX_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_empty_log_verifies_with_count_zero),
        FX_TEST(test_fifty_commits_verify_with_count_fifty),
        FX_TEST(test_commit_writes_the_callers_batch_with_the_entry),
        FX_TEST(test_null_event_fields_are_stored_empty),
        FX_TEST(test_reopened_log_continues_the_sequence_and_chain),
        FX_TEST(test_verify_finds_a_rewritten_detail),
        FX_TEST(test_verify_finds_a_rewrite_with_recomputed_hash_at_the_next_entry),
        FX_TEST(test_verify_finds_a_deleted_entry_as_a_gap),
        FX_TEST(test_verify_finds_two_swapped_entries),
        FX_TEST(test_verify_finds_swapped_contents_under_original_sequence),
        FX_TEST(test_verify_finds_an_unreadable_entry),
        FX_TEST(test_refused_batch_leaves_the_head_unchanged),
        FX_TEST(test_already_written_batch_leaves_the_head_unchanged),
        FX_TEST(test_concurrent_commits_form_one_chain),
        FX_TEST(test_read_entries_in_groups_among_changes_form_one_chain),
        FX_TEST(test_a_read_entry_alone_is_written_and_survives_a_reopen),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
