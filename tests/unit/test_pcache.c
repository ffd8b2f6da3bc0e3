/*
 * test_pcache.c — the portrait cache (pcache.h): which writes make which entries stale, that
 * an entry computed under generations a write has since bumped is never served, the memory
 * bound, and that every change committed through the audit log reaches it.
 */
#include "audit.h"
#include "pcache.h"
#include "records.h"
#include "tu_store.h"

#define USCC_A "91500227MA5U00001A"
#define USCC_B "91500227MA5U00002B"
#define RID    "0123456789abcdef0123456789abcdef"

/* A subject key of subjects.h: tag, body, 0x00, into out; returns its length. */
static size_t subject_key(char *out, char tag, const char *body)
{
    size_t n = strlen(body);

    out[0] = tag;
    memcpy(out + 1, body, n);
    out[1 + n] = '\0';
    return n + 2;
}

/* A subject index entry's key: the subject key, then a record id. */
static size_t index_key(char *out, char tag, const char *body)
{
    size_t n = subject_key(out, tag, body);

    memcpy(out + n, RID, RECORD_ID_LEN);
    return n + RECORD_ID_LEN;
}

/* Stores "value-<name>" under key `name`, computed under the generations of subject key
 * (tag, body) taken now. */
static void put_for(pcache *c, const char *name, char tag, const char *body)
{
    char key[64];
    pcache_gens g;
    char val[64];

    pcache_gens_init(c, &g);
    assert_int_equal(pcache_gens_add_key(c, &g, key, subject_key(key, tag, body)), 0);
    snprintf(val, sizeof val, "value-%s", name);
    pcache_put(c, name, strlen(name), &g, val, strlen(val) + 1);
}

/* Whether `name` is served, and then with its value. */
static int served(pcache *c, const char *name)
{
    void *val = NULL;
    size_t len = 0;
    char want[64];
    int rc = pcache_get(c, name, strlen(name), &val, &len);

    assert_true(rc == 0 || rc == 1);
    if (rc == 1) {
        snprintf(want, sizeof want, "value-%s", name);
        assert_string_equal(val, want);
        assert_int_equal(len, strlen(want) + 1);
    }
    free(val);
    return rc;
}

/* Notes a batch of one operation. */
static void note_one(pcache *c, store_cf cf, const void *key, size_t klen)
{
    store_batch *b = store_batch_create();

    assert_non_null(b);
    store_batch_put(b, cf, key, klen, "", 0);
    pcache_note_batch(c, b);
    store_batch_destroy(b);
}

/* A cache holding "a" (computed for USCC_A) and "b" (for USCC_B). */
static pcache *two_subjects(void)
{
    pcache *c = NULL;

    assert_int_equal(pcache_create(1 << 20, &c), 0);
    put_for(c, "a", 'U', USCC_A);
    put_for(c, "b", 'U', USCC_B);
    return c;
}

static void test_a_subjects_index_write_makes_only_its_subjects_entries_stale(void **state)
{
    pcache *c = two_subjects();
    char k[128];

    (void)state;
    assert_true(served(c, "a") && served(c, "b"));
    note_one(c, STORE_CF_SUBJECTS, k, index_key(k, 'U', USCC_A));
    assert_false(served(c, "a"));
    assert_true(served(c, "b"));
    /* A delete counts as a put does. */
    put_for(c, "a", 'U', USCC_A);
    store_batch *b = store_batch_create();
    store_batch_delete(b, STORE_CF_SUBJECTS, k, index_key(k, 'U', USCC_A));
    pcache_note_batch(c, b);
    store_batch_destroy(b);
    assert_false(served(c, "a"));
    assert_true(served(c, "b"));
    pcache_destroy(c);
}

static void test_bindings_and_samples_make_their_subjects_entries_stale(void **state)
{
    pcache *c = NULL;
    char k[128];
    size_t n;

    (void)state;
    assert_int_equal(pcache_create(1 << 20, &c), 0);
    /* 'B' r code -> uscc: the code's own 'A' key (a portrait asked by the code). */
    put_for(c, "code", 'A', "r500227000000001");
    put_for(c, "b", 'U', USCC_B);
    k[0] = 'B';
    memcpy(k + 1, "r500227000000001", 16);
    note_one(c, STORE_CF_SUBJECTS, k, 17);
    assert_false(served(c, "code"));
    assert_true(served(c, "b"));
    /* 'R' uscc r code: the USCC's key (a portrait asked by the USCC) and the code's. */
    put_for(c, "code", 'A', "r500227000000001");
    put_for(c, "a", 'U', USCC_A);
    k[0] = 'R';
    memcpy(k + 1, USCC_A, 18);
    memcpy(k + 19, "r500227000000001", 16);
    note_one(c, STORE_CF_SUBJECTS, k, 35);
    assert_false(served(c, "a"));
    assert_false(served(c, "code"));
    assert_true(served(c, "b"));
    /* A sample: uscc "/" section "/" metric "/" time "/" platform. */
    put_for(c, "a", 'U', USCC_A);
    n = (size_t)snprintf(k, sizeof k, "%s/SALES/sales_amount_fen/12345678/ind", USCC_A);
    note_one(c, STORE_CF_SERIES, k, n);
    assert_false(served(c, "a"));
    assert_true(served(c, "b"));
    /* pcache_gens_add_uscc is the 'U' key's stripe. */
    pcache_gens g;
    pcache_gens_init(c, &g);
    assert_int_equal(pcache_gens_add_uscc(c, &g, USCC_A), 0);
    assert_int_equal(pcache_gens_add_key(c, &g, k, subject_key(k, 'U', USCC_A)), 0);
    assert_int_equal(g.n, 1);
    pcache_destroy(c);
}

static void test_record_writes_without_an_index_entry_and_catalogue_writes_stale_all(void **state)
{
    pcache *c = two_subjects();
    char k[128];

    (void)state;
    /* A record's new version with its index entry: only its subject. */
    store_batch *b = store_batch_create();
    store_batch_put(b, STORE_CF_RECORDS, RID, RECORD_ID_LEN, "x", 1);
    store_batch_put(b, STORE_CF_HISTORY, RID, RECORD_ID_LEN, "x", 1);
    store_batch_put(b, STORE_CF_SUBJECTS, k, index_key(k, 'U', USCC_A), "", 0);
    pcache_note_batch(c, b);
    store_batch_destroy(b);
    assert_false(served(c, "a"));
    assert_true(served(c, "b"));
    /* A record whose index entry is not in the batch, though another record's is: everything. */
    put_for(c, "a", 'U', USCC_A);
    b = store_batch_create();
    store_batch_put(b, STORE_CF_SUBJECTS, k, index_key(k, 'U', USCC_A), "", 0);
    store_batch_put(b, STORE_CF_RECORDS, "fedcba9876543210fedcba9876543210", RECORD_ID_LEN, "x",
                    1);
    pcache_note_batch(c, b);
    store_batch_destroy(b);
    assert_false(served(c, "b"));
    put_for(c, "b", 'U', USCC_B);
    /* A record written alone (no index entry says whose): everything. */
    put_for(c, "a", 'U', USCC_A);
    note_one(c, STORE_CF_RECORDS, RID, RECORD_ID_LEN);
    assert_false(served(c, "a"));
    assert_false(served(c, "b"));
    /* The catalogue: everything. An unknown subject key: everything. */
    put_for(c, "a", 'U', USCC_A);
    note_one(c, STORE_CF_CATALOGUE, "v1", 2);
    assert_false(served(c, "a"));
    put_for(c, "a", 'U', USCC_A);
    note_one(c, STORE_CF_SUBJECTS, "Zsomething", 10);
    assert_false(served(c, "a"));
    /* Writes of other families change nothing. */
    put_for(c, "a", 'U', USCC_A);
    note_one(c, STORE_CF_AUTHZ, "g", 1);
    note_one(c, STORE_CF_AUDIT, "12345678", 8);
    assert_true(served(c, "a"));
    pcache_destroy(c);
}

/* The race pcache.h rules out: generations taken, then a write (visible, then bumped), then
 * the reader stores what it read: the entry is never served. */
static void test_an_entry_read_before_a_write_is_never_served(void **state)
{
    pcache *c = NULL;
    pcache_gens g;
    char k[128];

    (void)state;
    assert_int_equal(pcache_create(1 << 20, &c), 0);
    pcache_gens_init(c, &g);
    assert_int_equal(pcache_gens_add_key(c, &g, k, subject_key(k, 'U', USCC_A)), 0);
    note_one(c, STORE_CF_SUBJECTS, k, index_key(k, 'U', USCC_A)); /* the write */
    pcache_put(c, "a", 1, &g, "value-a", 8);
    assert_false(served(c, "a"));
    pcache_stats s;
    pcache_get_stats(c, &s);
    assert_int_equal(s.entries, 0);
    /* Global too. */
    pcache_gens_init(c, &g);
    note_one(c, STORE_CF_CATALOGUE, "v2", 2);
    pcache_put(c, "a", 1, &g, "value-a", 8);
    assert_false(served(c, "a"));
    pcache_destroy(c);
}

static void test_memory_is_bounded_least_recently_used_first(void **state)
{
    pcache *c = NULL;
    pcache_gens g;
    pcache_stats s;
    char name[16], big[4096];

    (void)state;
    assert_int_equal(pcache_create(16384, &c), 0);
    pcache_gens_init(c, &g);
    memset(big, 'x', sizeof big);
    pcache_put(c, "huge", 4, &g, big, sizeof big); /* more than a quarter: not kept */
    pcache_get_stats(c, &s);
    assert_int_equal(s.entries, 0);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "e%d", i);
        pcache_put(c, name, strlen(name), &g, big, 1000);
        if (i >= 1) { /* e0 stays the most recently used */
            void *v = NULL;
            size_t len;
            assert_int_equal(pcache_get(c, "e0", 2, &v, &len), 1);
            free(v);
        }
    }
    pcache_get_stats(c, &s);
    assert_true(s.bytes <= 16384);
    assert_true(s.entries >= 10 && s.entries < 40);
    void *v = NULL;
    size_t len;
    assert_int_equal(pcache_get(c, "e0", 2, &v, &len), 1);
    free(v);
    assert_int_equal(pcache_get(c, "e1", 2, &v, &len), 0);
    assert_int_equal(pcache_get(c, "e39", 3, &v, &len), 1);
    free(v);
    /* Replacing an entry keeps one. */
    size_t before = (pcache_get_stats(c, &s), s.entries);
    pcache_put(c, "e39", 3, &g, big, 10);
    pcache_get_stats(c, &s);
    assert_int_equal(s.entries, before);
    pcache_destroy(c);

    /* Size 0: no cache, and every function takes it. */
    assert_int_equal(pcache_create(0, &c), 0);
    assert_null(c);
    pcache_gens_init(c, &g);
    assert_int_equal(pcache_gens_add_uscc(c, &g, USCC_A), 0);
    pcache_put(c, "a", 1, &g, "x", 1);
    assert_int_equal(pcache_get(c, "a", 1, &v, &len), 0);
    pcache_note_batch(c, NULL);
    pcache_destroy(c);
}

/* The hook: every change committed through the audit log (and every group of read entries)
 * reaches the cache once written. */
static void test_every_audited_commit_reaches_the_cache(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], k[128];
    audit *a = NULL;
    pcache *c = NULL;
    audit_event ev = {.unit = "market", .method = "/credit.v1.Test/Push", .detail = "push"};

    assert_int_equal(pcache_create(1 << 20, &c), 0);
    CHECK_OK(audit_open(fx->st, &a, err));
    audit_set_observer(a, pcache_note_batch, c);
    put_for(c, "a", 'U', USCC_A);
    put_for(c, "b", 'U', USCC_B);
    store_batch *b = store_batch_create();
    store_batch_put(b, STORE_CF_SUBJECTS, k, index_key(k, 'U', USCC_A), "", 0);
    CHECK_OK(audit_commit(a, b, &ev, 0, err));
    store_batch_destroy(b);
    assert_false(served(c, "a"));
    assert_true(served(c, "b"));
    /* A read's entry alone changes nothing. */
    CHECK_OK(audit_commit_read(a, &ev, err));
    assert_true(served(c, "b"));
    audit_close(a);
    pcache_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_subjects_index_write_makes_only_its_subjects_entries_stale),
        cmocka_unit_test(test_bindings_and_samples_make_their_subjects_entries_stale),
        cmocka_unit_test(test_record_writes_without_an_index_entry_and_catalogue_writes_stale_all),
        cmocka_unit_test(test_an_entry_read_before_a_write_is_never_served),
        cmocka_unit_test(test_memory_is_bounded_least_recently_used_first),
        cmocka_unit_test_setup_teardown(test_every_audited_commit_reaches_the_cache, tu_store_setup,
                                        tu_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
