/*
 * test_feed.c — unit tests for server/data/feed.c against a real RocksDB: numbering without
 * gaps across commits, only published sequences read, the sequence after a restart, record
 * references, retention that keeps the last entry, and damaged entries.
 */
#include "testutil.h"

#include "feed.h"
#include "records.h"
#include "tu_store.h"

#define RID "0000018c2f3a4b5c0123456789abcdef"

/* Stages fc into a batch, writes it and tells the feed, as the committer does. */
static void commit(tu_store *fx, feed *f, feed_changes *fc)
{
    char err[STORE_ERR_LEN];
    store_batch *b = store_batch_create();

    assert_non_null(b);
    CHECK_OK(feed_stage(f, fc, b, err));
    tu_store_write(fx, b);
    feed_written(f, fc);
}

static void add_units(feed_changes *fc, const char *const *codes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        feed_changes_add(fc, CREDIT__V1__FEED_KIND__FEED_KIND_UNIT, 0, codes[i], codes[i],
                         strlen(codes[i]));
}

static void free_items(feed_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        credit__store__v1__feed_record__free_unpacked(items[i].rec, NULL);
}

static void test_commits_are_numbered_in_order_without_gaps(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    feed *f = NULL;
    feed_changes a, b;
    static const char *const first[] = {"tax", "market"}, *const second[] = {"court"};

    CHECK_OK(feed_open(fx->st, &f, err));
    feed_changes_init(&a);
    feed_changes_init(&b);
    add_units(&a, first, 2);
    add_units(&b, second, 1);
    commit(fx, f, &a);
    commit(fx, f, &b);
    assert_true(a.first == 1);
    assert_true(b.first == 3);
    assert_true(feed_last_written(f) == 3);
    feed_publish(f, 3);

    feed_item items[8];
    size_t n = 0;
    CHECK_OK(feed_read(f, 0, feed_head(f), items, 8, &n, err));
    assert_int_equal(n, 3);
    static const char *const want[] = {"tax", "market", "court"};
    for (size_t i = 0; i < n; i++) {
        assert_true(items[i].seq == i + 1);
        assert_int_equal(items[i].rec->kind, CREDIT__V1__FEED_KIND__FEED_KIND_UNIT);
        assert_string_equal(items[i].rec->subject, want[i]);
        assert_true(items[i].rec->committed_unix_ms > 0);
    }
    free_items(items, n);
    /* After a cursor, and at most `max`. */
    CHECK_OK(feed_read(f, 1, feed_head(f), items, 1, &n, err));
    assert_int_equal(n, 1);
    assert_true(items[0].seq == 2);
    free_items(items, n);
    feed_changes_cleanup(&a);
    feed_changes_cleanup(&b);
    feed_close(f);
}

static void test_only_published_sequences_are_served(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    feed *f = NULL;
    feed_changes a;
    static const char *const codes[] = {"tax", "market"};

    CHECK_OK(feed_open(fx->st, &f, err));
    feed_changes_init(&a);
    add_units(&a, codes, 2);
    commit(fx, f, &a);
    assert_true(feed_head(f) == 0); /* written, not yet fsynced */
    feed_item items[4];
    size_t n = 9;
    CHECK_OK(feed_read(f, 0, feed_head(f), items, 4, &n, err));
    assert_int_equal(n, 0);
    feed_publish(f, 2);
    feed_publish(f, 1); /* never back */
    assert_true(feed_head(f) == 2);
    feed_changes_cleanup(&a);
    feed_close(f);
}

static void test_the_sequence_continues_after_a_restart(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    feed *f = NULL;
    feed_changes a, b;
    static const char *const codes[] = {"tax", "market", "court"};

    CHECK_OK(feed_open(fx->st, &f, err));
    assert_true(feed_head(f) == 0);
    assert_true(feed_oldest(f) == 1);
    feed_changes_init(&a);
    add_units(&a, codes, 3);
    commit(fx, f, &a);
    feed_close(f);
    CHECK_OK(feed_open(fx->st, &f, err));
    assert_true(feed_head(f) == 3);
    assert_true(feed_oldest(f) == 1);
    feed_changes_init(&b);
    add_units(&b, codes, 1);
    commit(fx, f, &b);
    assert_true(b.first == 4);
    feed_changes_cleanup(&a);
    feed_changes_cleanup(&b);
    feed_close(f);
}

static void test_a_record_version_is_a_reference_to_it(void **state)
{
    (void)state;
    Credit__V1__Record rec = CREDIT__V1__RECORD__INIT;
    Credit__V1__RecordMeta meta = CREDIT__V1__RECORD_META__INIT;
    feed_changes fc;
    char id[33];
    uint32_t version = 0;

    meta.record_id = RID;
    meta.version = 70000;
    meta.catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;
    rec.meta = &meta;
    feed_changes_init(&fc);
    feed_changes_add_record(&fc, CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_WITHDRAWN, &rec);
    assert_false(fc.failed);
    assert_int_equal(fc.n, 1);
    assert_int_equal(fc.v[0]->kind, CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_WITHDRAWN);
    assert_int_equal(fc.v[0]->catalogue, CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC);
    assert_string_equal(fc.v[0]->subject, ""); /* never an identifier, which may be personal */
    assert_int_equal(feed_record_ref(fc.v[0], id, &version), 0);
    assert_string_equal(id, RID);
    assert_true(version == 70000);
    /* A payload that is no reference. */
    feed_changes_add(&fc, CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_VERSION, 1, "", "short", 5);
    assert_int_equal(feed_record_ref(fc.v[1], id, &version), -1);
    /* A record without a well-formed id cannot be referred to: the commit is refused. */
    meta.record_id = "not-an-id";
    feed_changes_add_record(&fc, CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_VERSION, &rec);
    assert_true(fc.failed);
    feed_changes_cleanup(&fc);
}

static void test_retention_drops_old_entries_but_never_the_last(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    feed *f = NULL;
    feed_changes a;
    size_t dropped = 99;
    static const char *const codes[] = {"tax", "market", "court", "water"};

    CHECK_OK(feed_open(fx->st, &f, err));
    feed_changes_init(&a);
    add_units(&a, codes, 4);
    commit(fx, f, &a);
    feed_publish(f, 4);
    CHECK_OK(feed_trim(f, 0, 100, &dropped, err)); /* nothing that old */
    assert_int_equal(dropped, 0);
    CHECK_OK(feed_trim(f, INT64_MAX, 2, &dropped, err)); /* at most two in one write */
    assert_int_equal(dropped, 2);
    assert_true(feed_oldest(f) == 3);
    CHECK_OK(feed_trim(f, INT64_MAX, 100, &dropped, err));
    assert_int_equal(dropped, 1);
    assert_true(feed_oldest(f) == 4);
    feed_item items[4];
    size_t n = 0;
    CHECK_OK(feed_read(f, 0, feed_head(f), items, 4, &n, err));
    assert_int_equal(n, 1);
    assert_true(items[0].seq == 4);
    free_items(items, n);
    feed_close(f);
    /* A restart finds the oldest kept and continues after the last. */
    CHECK_OK(feed_open(fx->st, &f, err));
    assert_true(feed_oldest(f) == 4);
    assert_true(feed_head(f) == 4);
    feed_changes_cleanup(&a);
    feed_close(f);
}

static void test_a_damaged_entry_is_corrupt(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    feed *f = NULL;
    unsigned char key[8];
    feed_item items[2];
    size_t n = 0;

    store_put_be64(key, 1);
    tu_store_put_raw(fx, STORE_CF_FEED, key, sizeof key, "\xff\xff\xff", 3);
    CHECK_OK(feed_open(fx->st, &f, err));
    feed_publish(f, 1);
    CHECK_FAILS_WITH(feed_read(f, 0, 1, items, 2, &n, err), "entry 1 does not decode");
    assert_int_equal(feed_read(f, 0, 1, items, 2, &n, err), STORE_ECORRUPT);
    feed_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commits_are_numbered_in_order_without_gaps,
                                        tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_only_published_sequences_are_served, tu_store_setup,
                                        tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_the_sequence_continues_after_a_restart, tu_store_setup,
                                        tu_store_teardown),
        cmocka_unit_test(test_a_record_version_is_a_reference_to_it),
        cmocka_unit_test_setup_teardown(test_retention_drops_old_entries_but_never_the_last,
                                        tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_damaged_entry_is_corrupt, tu_store_setup,
                                        tu_store_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
