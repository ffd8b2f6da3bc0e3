/*
 * test_records.c — unit tests for the scans and index moves of server/data/records.c against a
 * real RocksDB: the latest versions in record-id order from a page position, records that do
 * not decode left out, the removal of a subject index entry left under an older key, one
 * write of a version (the latest in RECORDS, earlier ones in HISTORY and the content digest
 * index once superseded), and the page entry a version leaves in the subject index (its
 * record, its open-tier form and when that form goes stale).
 */
#include "testutil.h"

#include "calendar.h"
#include "records.h"
#include "tier.h"
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

/* --- Page entries --------------------------------------------------------------------------- */

static int any_unit(void *arg, const char *code)
{
    (void)arg;
    (void)code;
    return 1;
}

static catalog *seed_catalog(tu_store *fx)
{
    char path[PATH_MAX], err[CATALOG_ERR_LEN];
    size_t len = 0;
    catalog *c = NULL;

    snprintf(path, sizeof path, "%s/proto/catalogue.textproto", tu_env("CREDIT_SOURCE_DIR"));
    char *text = tu_read_file(path, &len);
    assert_non_null(text);
    if (catalog_open(fx->st, text, len, "seed", any_unit, NULL, &c, err) != 0)
        fail_msg("catalog_open: %s", err);
    free(text);
    return c;
}

/* A penalty of a legal person as a push stores it (its ID number already sealed away). */
typedef struct penalty_version {
    Credit__V1__Subject subj;
    Credit__V1__Date decided;
    Credit__V1__Penalty pen;
    Credit__V1__RecordStatus status;
    Credit__V1__RecordMeta meta;
    Credit__V1__Record rec;
    Credit__Store__V1__StoredRecord sr;
} penalty_version;

static void penalty_version_init(penalty_version *v, int year)
{
    *v = (penalty_version){
        .subj = CREDIT__V1__SUBJECT__INIT,
        .decided = CREDIT__V1__DATE__INIT,
        .pen = CREDIT__V1__PENALTY__INIT,
        .status = CREDIT__V1__RECORD_STATUS__INIT,
        .meta = CREDIT__V1__RECORD_META__INIT,
        .rec = CREDIT__V1__RECORD__INIT,
        .sr = CREDIT__STORE__V1__STORED_RECORD__INIT,
    };
    v->subj.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    v->subj.identifier = "91500227MA5U4XXX0Q";
    v->subj.name = "Test Trading Ltd";
    v->subj.legal_representative_id_type = CREDIT__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
    v->decided.year = year;
    v->decided.month = 3;
    v->decided.day = 1;
    v->pen.decision_document_number = "BS-2026-1";
    v->pen.content = "fine";
    v->pen.decision_date = &v->decided;
    v->pen.severity = CREDIT__V1__SEVERITY__SEVERITY_GENERAL;
    v->meta.record_id = RID_1;
    v->meta.version = 3;
    v->meta.catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;
    v->meta.category = CREDIT__V1__CATEGORY__CATEGORY_PENALTY;
    v->meta.catalogue_version = 1;
    v->meta.source_unit = "market";
    v->meta.source_record_id = "src-1";
    v->meta.subject = &v->subj;
    v->meta.status = &v->status;
    v->rec.meta = &v->meta;
    v->rec.body_case = CREDIT__V1__RECORD__BODY_PENALTY;
    v->rec.penalty = &v->pen;
    v->sr.record = &v->rec;
}

#define SUBJECT_KEY "U91500227MA5U4XXX0Q" /* with its 0x00: sizeof */

/* Writes v as records_put_version does and reads back its page entry (the value stays in
 * *val, malloc'd). */
static void put_and_read_entry(tu_store *fx, const penalty_version *v, void **val, records_entry *e)
{
    char key[sizeof SUBJECT_KEY + RECORD_ID_LEN], err[STORE_ERR_LEN];
    size_t len = 0;
    store_batch *b = store_batch_create();

    assert_non_null(b);
    assert_int_equal(records_put_version(b, &v->sr, SUBJECT_KEY, sizeof SUBJECT_KEY, NULL), 0);
    tu_store_write(fx, b);
    memcpy(key, SUBJECT_KEY, sizeof SUBJECT_KEY);
    memcpy(key + sizeof SUBJECT_KEY, RID_1, RECORD_ID_LEN);
    CHECK_OK(store_get(fx->st, NULL, STORE_CF_SUBJECTS, key, sizeof key, val, &len, err));
    assert_int_equal(records_entry_read(*val, len, e), 1);
}

/* Checks that form[len] is rec as tier t gets it under the catalogue in force: rec packed,
 * unpacked, cleared by tier_clear and packed again. */
static void assert_form_of_tier(catalog *c, const Credit__V1__Record *rec, tier t, const void *form,
                                size_t len)
{
    size_t n = credit__v1__record__get_packed_size(rec);
    unsigned char *want = malloc(n);
    assert_non_null(want);
    credit__v1__record__pack(rec, want);
    Credit__V1__Record *cleared = credit__v1__record__unpack(NULL, n, want);
    assert_non_null(cleared);
    tier_clear(cleared, t, catalog_now(c));
    n = credit__v1__record__pack(cleared, want);
    assert_int_equal(n, len);
    assert_memory_equal(want, form, n);
    free(want);
    credit__v1__record__free_unpacked(cleared, NULL);
}

static void test_a_version_leaves_its_record_its_forms_and_date_in_the_subject_index(void **state)
{
    tu_store *fx = *state;
    catalog *c = seed_catalog(fx);
    penalty_version v;
    records_entry e;
    void *val = NULL;
    Credit__V1__Date today = {.year = 2026, .month = 6, .day = 1};

    penalty_version_init(&v, 2026);
    records_prepare_under(c);
    put_and_read_entry(fx, &v, &val, &e);
    assert_int_equal(e.version, 3);
    assert_int_equal(e.catalogue, CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC);
    assert_int_equal(e.category, CREDIT__V1__CATEGORY__CATEGORY_PENALTY);
    assert_int_equal(e.section_len, 0);
    /* The open-tier form is tier_clear's, under version 1. */
    assert_non_null(e.open);
    assert_int_equal(e.open_catalogue_version, 1);
    Credit__V1__Record *open = credit__v1__record__unpack(NULL, e.open_len, e.open);
    assert_non_null(open);
    assert_int_equal(open->meta->subject->legal_representative_id_type, 0);
    assert_string_equal(open->penalty->decision_document_number, "BS-2026-1");
    assert_int_equal(v.subj.legal_representative_id_type, CREDIT__V1__ID_TYPE__ID_TYPE_RESIDENT_ID);
    assert_form_of_tier(c, &v.rec, TIER_OPEN, e.open, e.open_len);
    /* A general penalty is shown up to 12 months after its decision at most: the form is fresh
     * under version 1 until its last day, never under another version. */
    assert_true(e.open_last_day >= 20260601 && e.open_last_day <= 20270301);
    assert_true(records_entry_open_fresh(&e, 1, &today));
    assert_false(records_entry_open_fresh(&e, 2, &today));
    Credit__V1__Date later = {.year = 2027, .month = 3, .day = 2};
    assert_false(records_entry_open_fresh(&e, 1, &later));
    credit__v1__record__free_unpacked(open, NULL);
    /* Beside it the authorized form, and the record's date for a grant's range: undated, it is
     * 0-00-00, inside no range. */
    assert_non_null(e.authorized);
    assert_int_equal(e.date.year * 10000 + e.date.month * 100 + e.date.day, 0);
    free(val);

    /* 2026-03-01 16:30 UTC is already 2026-03-02 in China. */
    Google__Protobuf__Timestamp at = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    at.seconds = 1772382600;
    v.meta.occurred_at = &at;
    put_and_read_entry(fx, &v, &val, &e);
    assert_int_equal(e.date.year * 10000 + e.date.month * 100 + e.date.day, 20260302);
    Credit__V1__Date d;
    records_date_of(&v.rec, &d);
    assert_int_equal(calendar_date_cmp(&d, &e.date), 0);
    /* Each form is its tier's, identity numbers cleared in both; they age together. */
    assert_form_of_tier(c, &v.rec, TIER_OPEN, e.open, e.open_len);
    assert_form_of_tier(c, &v.rec, TIER_AUTHORIZED, e.authorized, e.authorized_len);
    Credit__V1__Record *auth = credit__v1__record__unpack(NULL, e.authorized_len, e.authorized);
    assert_non_null(auth);
    assert_int_equal(auth->meta->subject->legal_representative_id_type, 0);
    credit__v1__record__free_unpacked(auth, NULL);
    assert_true(records_entry_forms_fresh(&e, 1, &today));
    assert_false(records_entry_forms_fresh(&e, 2, &today));
    assert_false(records_entry_forms_fresh(&e, 1, &later));
    free(val);
    /* An entry of the open form alone (written before the authorized one) has none. */
    unsigned char old[24 + 1] = {0xE1, 0x01};
    assert_int_equal(records_entry_read(old, sizeof old, &e), 1);
    assert_non_null(e.open);
    assert_null(e.authorized);
    assert_false(records_entry_forms_fresh(&e, 0, &today));
    records_prepare_under(NULL);
    catalog_destroy(c);
}

/* records_put_version packs a version's record once, for its stored form and for each tier's
 * form that clears nothing of it: the bytes are protobuf-c's own packing of the whole. */
static void test_a_version_is_stored_and_shown_as_protobuf_c_packs_it(void **state)
{
    tu_store *fx = *state;
    catalog *c = seed_catalog(fx);
    penalty_version v;
    records_entry e;
    void *val = NULL, *stored = NULL;
    size_t len = 0;
    char err[STORE_ERR_LEN];
    unsigned char digest[32], sealed[40];

    memset(digest, 0xD1, sizeof digest);
    memset(sealed, 0x5E, sizeof sealed);
    penalty_version_init(&v, 2026);
    /* Nothing of the open tier's to clear: no identity number's type. */
    v.subj.legal_representative_id_type = 0;
    v.sr.content_digest = (ProtobufCBinaryData){sizeof digest, digest};
    v.sr.sealed_legal_representative_id = (ProtobufCBinaryData){sizeof sealed, sealed};
    v.sr.subject_key = (ProtobufCBinaryData){sizeof SUBJECT_KEY, (uint8_t *)SUBJECT_KEY};
    records_prepare_under(c);
    put_and_read_entry(fx, &v, &val, &e);
    CHECK_OK(store_get(fx->st, NULL, STORE_CF_RECORDS, RID_1, RECORD_ID_LEN, &stored, &len, err));
    size_t n = credit__store__v1__stored_record__get_packed_size(&v.sr);
    unsigned char *want = malloc(n);
    assert_non_null(want);
    assert_int_equal(credit__store__v1__stored_record__pack(&v.sr, want), n);
    assert_int_equal(len, n);
    assert_memory_equal(stored, want, n);
    free(want);
    /* Both forms are the record as it is, and as tier_clear leaves it. */
    n = credit__v1__record__get_packed_size(&v.rec);
    want = malloc(n);
    assert_non_null(want);
    credit__v1__record__pack(&v.rec, want);
    assert_int_equal(e.open_len, n);
    assert_memory_equal(e.open, want, n);
    assert_int_equal(e.authorized_len, n);
    assert_memory_equal(e.authorized, want, n);
    assert_form_of_tier(c, &v.rec, TIER_OPEN, e.open, e.open_len);
    free(want);
    free(stored);
    free(val);
    records_prepare_under(NULL);
    catalog_destroy(c);
}

static void test_no_open_form_for_a_withdrawn_record_or_without_a_catalogue(void **state)
{
    tu_store *fx = *state;
    records_entry e;
    void *val = NULL;
    penalty_version v;

    penalty_version_init(&v, 2026);
    catalog *c = seed_catalog(fx);
    put_and_read_entry(fx, &v, &val, &e); /* no catalogue to prepare under */
    assert_null(e.open);
    assert_int_equal(e.version, 3);
    free(val);
    records_prepare_under(c);
    v.status.withdrawn = 1;
    v.meta.version = 4;
    put_and_read_entry(fx, &v, &val, &e);
    assert_null(e.open);
    assert_int_equal(e.version, 4);
    free(val);
    records_prepare_under(NULL);
    catalog_destroy(c);
}

static void test_an_entry_is_read_as_older_empty_or_damaged(void **state)
{
    records_entry e;
    unsigned char head[24 + 2] = {0xE1};

    (void)state;
    assert_int_equal(records_entry_read("", 0, &e), 0);
    assert_int_equal(records_entry_read("\x01", 1, &e), STORE_ECORRUPT);
    assert_int_equal(records_entry_read(head, 23, &e), STORE_ECORRUPT);
    assert_int_equal(records_entry_read(head, 24, &e), 1);
    assert_null(e.open);
    /* Without an open form, the bytes after the head are the section, whole. */
    assert_int_equal(records_entry_read(head, sizeof head, &e), STORE_ECORRUPT);
    head[3] = 2;
    memcpy(head + 24, "S1", 2);
    assert_int_equal(records_entry_read(head, sizeof head, &e), 1);
    assert_int_equal(e.section_len, 2);
    assert_memory_equal(e.section, "S1", 2);
    head[3] = 3; /* a section longer than the entry */
    assert_int_equal(records_entry_read(head, sizeof head, &e), STORE_ECORRUPT);
    head[1] = 0x01; /* with an open form: the rest after the section */
    head[3] = 1;
    assert_int_equal(records_entry_read(head, sizeof head, &e), 1);
    assert_int_equal(e.open_len, 1);

    /* With the authorized form the head is 32 bytes; the open form's length is in it. */
    unsigned char forms[32 + 3] = {0xE1, 0x03};
    forms[31] = 2;
    assert_int_equal(records_entry_read(forms, sizeof forms, &e), 1);
    assert_int_equal(e.open_len, 2);
    assert_ptr_equal(e.open, forms + 32);
    assert_int_equal(e.authorized_len, 1);
    assert_ptr_equal(e.authorized, forms + 34);
    forms[1] = 0x07; /* the same form for both tiers: the whole rest */
    assert_int_equal(records_entry_read(forms, sizeof forms, &e), STORE_ECORRUPT);
    forms[31] = 3;
    assert_int_equal(records_entry_read(forms, sizeof forms, &e), 1);
    assert_ptr_equal(e.authorized, e.open);
    assert_int_equal(e.authorized_len, 3);
    forms[1] = 0x03;
    forms[31] = 4; /* an open form longer than the entry */
    assert_int_equal(records_entry_read(forms, sizeof forms, &e), STORE_ECORRUPT);
    forms[31] = 0;
    forms[1] = 0x02; /* an authorized form without the open one */
    assert_int_equal(records_entry_read(forms, sizeof forms, &e), STORE_ECORRUPT);
    assert_int_equal(records_entry_read(forms, 31, &e), STORE_ECORRUPT);
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
        cmocka_unit_test_setup_teardown(
            test_a_version_leaves_its_record_its_forms_and_date_in_the_subject_index,
            tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_version_is_stored_and_shown_as_protobuf_c_packs_it,
                                        tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(
            test_no_open_form_for_a_withdrawn_record_or_without_a_catalogue, tu_store_setup,
            tu_store_teardown),
        cmocka_unit_test(test_an_entry_is_read_as_older_empty_or_damaged),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
