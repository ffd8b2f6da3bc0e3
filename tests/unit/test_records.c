/*
 * test_records.c — unit tests for the scans and index moves of server/data/records.c against a
 * real RocksDB: the latest versions in record-id order from a page position, records that do
 * not decode left out, the removal of a subject index entry left under an older key, and one
 * write of a version: the latest in RECORDS, earlier ones in HISTORY and the content digest
 * index once superseded.
 */
#include "testutil.h"

#include "records.h"
#include "tu_store.h"

#define RID_1 "00000000000000010000000000000001"
#define RID_2 "00000000000000020000000000000002"
#define RID_3 "00000000000000030000000000000003"

/* A latest version holding only its id, written as records_put_version would write it. */
static void put_latest(tu_store *fx, const char *rid)
{
    Credit__V1__RecordMeta m = CREDIT__V1__RECORD_META__INIT;
    Credit__V1__Record r = CREDIT__V1__RECORD__INIT;
    Credit__Store__V1__StoredRecord sr = CREDIT__STORE__V1__STORED_RECORD__INIT;
    unsigned char buf[256];
    size_t len;

    m.record_id = (char *)rid;
    r.meta = &m;
    sr.record = &r;
    len = credit__store__v1__stored_record__get_packed_size(&sr);
    assert_true(len <= sizeof buf);
    credit__store__v1__stored_record__pack(&sr, buf);
    tu_store_put_raw(fx, STORE_CF_RECORDS, rid, RECORD_ID_LEN, buf, len);
}

/* Every id the scan gives from `after`, joined by spaces, into out[256]. */
static int scan_ids(tu_store *fx, const char *after, char *out)
{
    char err[STORE_ERR_LEN];
    records_scan *s = NULL;
    Credit__Store__V1__StoredRecord *sr;
    int rc;

    out[0] = '\0';
    CHECK_OK(records_scan_open(fx->st, NULL, after, &s));
    while ((rc = records_scan_next(s, &sr, err)) > 0) {
        size_t at = strlen(out);

        snprintf(out + at, 256 - at, "%s%.8s", at ? " " : "", sr->record->meta->record_id + 8);
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
    }
    records_scan_close(s);
    return rc;
}

static void test_a_scan_gives_the_latest_versions_in_id_order_from_a_position(void **state)
{
    tu_store *fx = *state;
    char ids[256];

    put_latest(fx, RID_3);
    put_latest(fx, RID_1);
    put_latest(fx, RID_2);
    assert_int_equal(scan_ids(fx, NULL, ids), 0);
    assert_string_equal(ids, "00000001 00000002 00000003");
    assert_int_equal(scan_ids(fx, "", ids), 0);
    assert_string_equal(ids, "00000001 00000002 00000003");
    /* A page position is the last record given: the scan starts after it. */
    assert_int_equal(scan_ids(fx, RID_1, ids), 0);
    assert_string_equal(ids, "00000002 00000003");
    assert_int_equal(scan_ids(fx, RID_3, ids), 0);
    assert_string_equal(ids, "");
}

static void test_a_scan_leaves_out_what_does_not_decode_or_holds_no_record(void **state)
{
    tu_store *fx = *state;
    Credit__Store__V1__StoredRecord empty = CREDIT__STORE__V1__STORED_RECORD__INIT;
    unsigned char buf[16];
    size_t len = credit__store__v1__stored_record__pack(&empty, buf);
    char ids[256];

    put_latest(fx, RID_1);
    tu_store_put_raw(fx, STORE_CF_RECORDS, RID_2, RECORD_ID_LEN, "\xff\xff\xff", 3);
    tu_store_put_raw(fx, STORE_CF_RECORDS, RID_3, RECORD_ID_LEN, buf, len);
    assert_int_equal(scan_ids(fx, NULL, ids), 0);
    assert_string_equal(ids, "00000001");
    /* Read by its id, the damaged one is corrupt, not missing and not a passing fault. */
    char err[STORE_ERR_LEN];
    Credit__Store__V1__StoredRecord *sr = NULL;
    CHECK_FAILS_WITH(records_get(fx->st, NULL, RID_2, &sr, err), "cannot be decoded");
    assert_int_equal(records_get(fx->st, NULL, RID_2, &sr, err), STORE_ECORRUPT);
    assert_null(sr);
}

static void test_an_index_entry_under_an_older_key_is_removed(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], key[64];
    static const char old[] = "Ar500227000000001"; /* with its 0x00 */
    void *val = NULL;
    size_t vlen = 0;
    store_batch *b;

    memcpy(key, old, sizeof old);
    memcpy(key + sizeof old, RID_1, RECORD_ID_LEN);
    tu_store_put_raw(fx, STORE_CF_SUBJECTS, key, sizeof old + RECORD_ID_LEN, "", 0);
    b = store_batch_create();
    assert_non_null(b);
    assert_int_equal(records_unindex_subject(b, old, sizeof old, RID_1), 0);
    /* No entry can have a key this long or a record id this short: nothing added. */
    assert_int_equal(records_unindex_subject(b, old, SUBJECT_KEY_MAX + 1, RID_1), STORE_EINVAL);
    assert_int_equal(records_unindex_subject(b, old, sizeof old, "abc"), STORE_EINVAL);
    assert_int_equal(store_batch_count(b), 1);
    tu_store_write(fx, b);
    assert_int_equal(store_get(fx->st, NULL, STORE_CF_SUBJECTS, key, sizeof old + RECORD_ID_LEN,
                               &val, &vlen, err),
                     STORE_ENOTFOUND);
}

/* Version `v` of RID_1 by unit "market", source id "s-1", filed under subject key "Ux", its
 * content digest 32 bytes of v. */
static void version_of(Credit__Store__V1__StoredRecord *sr, Credit__V1__Record *r,
                       Credit__V1__RecordMeta *m, uint32_t v, unsigned char digest[32])
{
    memset(digest, (int)v, 32);
    credit__v1__record_meta__init(m);
    credit__v1__record__init(r);
    credit__store__v1__stored_record__init(sr);
    m->record_id = RID_1;
    m->version = v;
    m->source_unit = "market";
    m->source_record_id = "s-1";
    r->meta = m;
    sr->record = r;
    sr->content_digest.data = digest;
    sr->content_digest.len = 32;
}

static void test_a_version_is_written_once_and_goes_to_history_when_superseded(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    Credit__Store__V1__StoredRecord v1, v2, *got = NULL, **hist = NULL;
    Credit__V1__Record r1, r2;
    Credit__V1__RecordMeta m1, m2;
    unsigned char d1[32], d2[32];
    uint32_t matched = 9;
    size_t n = 0;

    version_of(&v1, &r1, &m1, 1, d1);
    version_of(&v2, &r2, &m2, 2, d2);
    /* A new record: RECORDS, the source and subject index entries; no history and no digest
     * entry yet (the latest version carries its digest). */
    store_batch *b = store_batch_create();
    assert_non_null(b);
    assert_int_equal(records_put_version(b, &v1, "Ux", 3, NULL), 0);
    assert_int_equal(store_batch_count(b), 3);
    tu_store_write(fx, b);
    CHECK_OK(records_history(fx->st, NULL, RID_1, &hist, &n, err));
    assert_int_equal(n, 0);
    records_free_history(hist, n);
    CHECK_OK(records_version_with_digest(fx->st, RID_1, d1, &matched, err));
    assert_int_equal(matched, 0);

    /* Version 2 supersedes it: version 1 goes to HISTORY and its digest to the index in the
     * same write. A prev of another record, or not older, adds nothing. */
    b = store_batch_create();
    assert_non_null(b);
    assert_int_equal(records_put_version(b, &v1, "Ux", 3, &v2), STORE_EINVAL);
    m2.record_id = RID_2;
    assert_int_equal(records_put_version(b, &v2, "Ux", 3, &v1), STORE_EINVAL);
    m2.record_id = RID_1;
    assert_int_equal(store_batch_count(b), 0);
    assert_int_equal(records_put_version(b, &v2, "Ux", 3, &v1), 0);
    assert_int_equal(store_batch_count(b), 5);
    tu_store_write(fx, b);
    CHECK_OK(records_get(fx->st, NULL, RID_1, &got, err));
    assert_int_equal(got->record->meta->version, 2);
    credit__store__v1__stored_record__free_unpacked(got, NULL);
    CHECK_OK(records_history(fx->st, NULL, RID_1, &hist, &n, err));
    assert_int_equal(n, 1);
    assert_int_equal(hist[0]->record->meta->version, 1);
    records_free_history(hist, n);
    CHECK_OK(records_version_with_digest(fx->st, RID_1, d1, &matched, err));
    assert_int_equal(matched, 1);
    CHECK_OK(records_version_with_digest(fx->st, RID_1, d2, &matched, err));
    assert_int_equal(matched, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_scan_gives_the_latest_versions_in_id_order_from_a_position, tu_store_setup,
            tu_store_teardown),
        cmocka_unit_test_setup_teardown(
            test_a_scan_leaves_out_what_does_not_decode_or_holds_no_record, tu_store_setup,
            tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_an_index_entry_under_an_older_key_is_removed,
                                        tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(
            test_a_version_is_written_once_and_goes_to_history_when_superseded, tu_store_setup,
            tu_store_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
