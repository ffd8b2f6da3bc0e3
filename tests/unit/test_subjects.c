/*
 * test_subjects.c — unit tests for server/data/subjects.c on a real RocksDB in a temporary
 * directory: bindings of older codes to a USCC, their visibility within a batch not yet
 * written, the subject keys a query reads, and that no key or value holds a personal number.
 */
#include "testutil.h"

#include <limits.h>

#include "subjects.h"

#define USCC_A  "91230500MA1B3N1N2M" /* an enterprise: a legal person */
#define USCC_IB "92310115183FQEFL3W" /* an individual business */
#define REG     "500227000000001"
#define PERSON  "500120199310080297"

struct fixture {
    char dir[PATH_MAX];
    privacy *pv;
    store *st;
};

static int setup(void **state)
{
    char err[STORE_ERR_LEN], path[PATH_MAX];
    struct fixture *fx = calloc(1, sizeof *fx);
    store_options o;

    if (!fx || tu_mkdtemp(fx->dir, sizeof fx->dir, "test_subjects") != 0)
        goto fail;
    store_options_init(&o);
    o.sync = 0;
    if (tu_join(path, sizeof path, fx->dir, "node.key") != 0 ||
        privacy_open(path, 1, &fx->pv, err) != 0 ||
        tu_join(path, sizeof path, fx->dir, "db") != 0 || store_open(path, &o, &fx->st, err) != 0) {
        print_error("setup: %s\n", err);
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

    store_close(fx->st);
    privacy_close(fx->pv);
    rc = tu_rmrf(fx->dir);
    free(fx);
    return rc;
}

static Credit__V1__Subject subject(int kind, const char *identifier)
{
    Credit__V1__Subject s = CREDIT__V1__SUBJECT__INIT;
    s.kind = kind;
    s.name = (char *)"name";
    s.identifier = (char *)identifier;
    return s;
}

/* Resolves `s`, binds what it binds in a batch and writes it. */
static void push_subject(struct fixture *fx, const Credit__V1__Subject *s, subjects_resolution *r)
{
    char err[STORE_ERR_LEN];
    check_failure f;
    subjects_pending pend;
    store_batch *b = store_batch_create();

    assert_non_null(b);
    subjects_pending_init(&pend);
    if (subjects_resolve(fx->st, &pend, fx->pv, s, r, &f) != 0) {
        print_error("resolve: %d %s: %s\n", f.code, f.field, f.reason);
        fail();
    }
    assert_int_equal(subjects_bind(b, &pend, r), 0);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
    subjects_pending_cleanup(&pend);
}

/* Whether `keys` holds the key `want` of `len` bytes. */
static int has_key(const subjects_keys *keys, const char *want, size_t len)
{
    for (size_t i = 0; i < keys->n; i++)
        if (keys->len[i] == len && memcmp(keys->key[i], want, len) == 0)
            return 1;
    return 0;
}

static void test_a_uscc_binds_its_older_codes_and_a_query_by_any_finds_every_key(void **state)
{
    struct fixture *fx = *state;
    subjects_resolution r;
    subjects_keys keys;
    const char *field;
    char why[200];

    Credit__V1__Subject a = subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, USCC_A);
    a.registration_number = (char *)REG;
    a.tax_number = (char *)"500227MA1B3N1N2";
    push_subject(fx, &a, &r);
    assert_int_equal(r.key_len, 20);
    assert_memory_equal(r.key, "U" USCC_A "", 20);
    assert_int_equal(r.n_bind, 3); /* registration number, tax number, organisation code */

    /* A record naming only the registration number is filed under the USCC now. */
    Credit__V1__Subject b = subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, REG);
    b.registration_number = (char *)REG;
    push_subject(fx, &b, &r);
    assert_memory_equal(r.key, "U" USCC_A "", 20);
    assert_int_equal(r.n_bind, 0);

    const char *asked[] = {USCC_A, REG, "MA1B3N1N2", "MA1B3N1N-2", "500227MA1B3N1N2"};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        assert_int_equal(subjects_keys_of(fx->st, NULL, fx->pv,
                                          CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON,
                                          asked[i], &keys, &field, why),
                         0);
        assert_int_equal(keys.n, 4);
        assert_true(has_key(&keys, "U" USCC_A "", 20));
        assert_true(has_key(&keys, "Ar" REG "", 2 + 15 + 1));
        assert_true(has_key(&keys, "AoMA1B3N1N2", 2 + 9 + 1));
        assert_true(has_key(&keys, "At500227MA1B3N1N2", 2 + 15 + 1));
        subjects_keys_cleanup(&keys);
    }
    /* The kind asked for must be the USCC's, through an older code too. */
    assert_int_equal(subjects_keys_of(fx->st, NULL, fx->pv,
                                      CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_INDIVIDUAL_BUSINESS,
                                      REG, &keys, &field, why),
                     3);
    assert_string_equal(field, "subject.kind");
    assert_non_null(strstr(why, USCC_A));
    subjects_keys_cleanup(&keys);
}

/* A valid enterprise's USCC: 91500227, organisation code MA and n in 6 digits with its check
 * character, then the USCC's own check character. */
static void make_uscc(char out[19], unsigned n)
{
    static const char alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    static const int ow[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0, osum = 0;
    snprintf(out, 19, "91500227MA%06u", n % 1000000);
    for (int i = 0; i < 8; i++) {
        char c = out[8 + i];
        osum += (c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10) * ow[i];
    }
    int oc = 11 - osum % 11;
    out[16] = oc == 10 ? 'X' : oc == 11 ? '0' : (char)('0' + oc);
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(alpha, out[i]) - alpha) * w[i];
    out[17] = alpha[(31 - sum % 31) % 31];
    out[18] = '\0';
}

static void test_a_binding_staged_in_a_batch_is_seen_before_the_batch_is_written(void **state)
{
    struct fixture *fx = *state;
    subjects_resolution r;
    subjects_pending pend;
    check_failure f;
    store_batch *b = store_batch_create();
    char other[19];

    /* Another valid enterprise: 91500227MA100001 and its two check characters. */
    make_uscc(other, 100001);
    assert_non_null(b);
    subjects_pending_init(&pend);
    Credit__V1__Subject a = subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, USCC_A);
    a.registration_number = (char *)REG;
    assert_int_equal(subjects_resolve(fx->st, &pend, fx->pv, &a, &r, &f), 0);
    assert_int_equal(subjects_bind(b, &pend, &r), 0);

    Credit__V1__Subject c = subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, other);
    c.registration_number = (char *)REG;
    assert_int_equal(subjects_resolve(fx->st, &pend, fx->pv, &c, &r, &f), -1);
    assert_int_equal(f.code, 9);
    assert_string_equal(f.field, "subject.registration_number");
    assert_non_null(strstr(f.reason, USCC_A));
    assert_non_null(strstr(f.reason, other));
    /* The store alone does not know the binding yet. */
    assert_int_equal(subjects_resolve(fx->st, NULL, fx->pv, &c, &r, &f), 0);
    store_batch_destroy(b);
    subjects_pending_cleanup(&pend);
}

/* A call that stages thousands of bindings (a first import of new companies) finds each of
 * them, through every growth of the pending set's index: a company again binds nothing, and
 * another USCC stating its organisation code is refused naming it. */
static void test_thousands_of_staged_bindings_are_each_found(void **state)
{
    struct fixture *fx = *state;
    enum { N = 3000 };
    subjects_resolution r;
    subjects_pending pend;
    check_failure f;
    store_batch *b = store_batch_create();
    char uscc[19], org[10], stranger[19];

    assert_non_null(b);
    subjects_pending_init(&pend);
    for (unsigned i = 0; i < N; i++) {
        make_uscc(uscc, i);
        Credit__V1__Subject a = subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, uscc);
        assert_int_equal(subjects_resolve(fx->st, &pend, fx->pv, &a, &r, &f), 0);
        assert_int_equal(r.n_bind, 1); /* the organisation code inside it */
        assert_int_equal(subjects_bind(b, &pend, &r), 0);
    }
    make_uscc(stranger, 999999);
    for (unsigned i = 0; i < N; i++) {
        make_uscc(uscc, i);
        Credit__V1__Subject a = subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, uscc);
        assert_int_equal(subjects_resolve(fx->st, &pend, fx->pv, &a, &r, &f), 0);
        assert_int_equal(r.n_bind, 0);
        memcpy(org, uscc + 8, 9);
        org[9] = '\0';
        Credit__V1__Subject c =
            subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, stranger);
        c.organisation_code = org;
        assert_int_equal(subjects_resolve(fx->st, &pend, fx->pv, &c, &r, &f), -1);
        assert_int_equal(f.code, 9);
        assert_string_equal(f.field, "subject.organisation_code");
        assert_non_null(strstr(f.reason, uscc));
    }
    store_batch_destroy(b);
    subjects_pending_cleanup(&pend);
}

static void
test_a_record_under_an_older_code_is_the_same_subject_once_the_code_is_bound(void **state)
{
    struct fixture *fx = *state;
    subjects_resolution early, r, other;
    check_failure f;

    Credit__V1__Subject b = subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, REG);
    b.registration_number = (char *)REG;
    push_subject(fx, &b, &early);
    assert_int_equal(early.key_len, 2 + 15 + 1);
    assert_memory_equal(early.key, "Ar" REG "", early.key_len);

    /* Another USCC without the code is another subject. */
    Credit__V1__Subject ib =
        subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_INDIVIDUAL_BUSINESS, USCC_IB);
    assert_int_equal(subjects_resolve(fx->st, NULL, fx->pv, &ib, &other, &f), 0);
    assert_int_equal(subjects_same(fx->st, NULL, early.key, early.key_len, &other), 0);

    /* The USCC with the code binds it: the same subject, whether the binding is only the
     * record's own (not yet written) or already stored. */
    Credit__V1__Subject a = subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON, USCC_A);
    a.registration_number = (char *)REG;
    assert_int_equal(subjects_resolve(fx->st, NULL, fx->pv, &a, &r, &f), 0);
    assert_int_equal(subjects_same(fx->st, NULL, early.key, early.key_len, &r), 1);
    push_subject(fx, &a, &r);
    assert_int_equal(r.n_bind, 2); /* the registration number and the organisation code */
    assert_int_equal(subjects_resolve(fx->st, NULL, fx->pv, &a, &r, &f), 0);
    assert_int_equal(r.n_bind, 0); /* bound now */
    assert_int_equal(subjects_same(fx->st, NULL, early.key, early.key_len, &r), 1);
    assert_int_equal(subjects_same(fx->st, NULL, r.key, r.key_len, &r), 1);
    assert_int_equal(subjects_same(fx->st, NULL, early.key, early.key_len, &other), 0);
}

static void test_a_persons_tax_number_is_never_held_in_clear_in_the_index(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN], why[200];
    subjects_resolution r;
    subjects_keys keys;
    const char *field;

    Credit__V1__Subject s =
        subject(CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_INDIVIDUAL_BUSINESS, USCC_IB);
    s.tax_number = (char *)PERSON "01";
    push_subject(fx, &s, &r);
    assert_int_equal(r.n_bind, 2); /* the tax number and the organisation code */

    store_iter *it = store_iter_create(fx->st, NULL, STORE_CF_SUBJECTS, NULL, 0, NULL, 0);
    size_t n = 0;
    for (; store_iter_valid(it); store_iter_next(it), n++) {
        size_t klen, vlen;
        const char *k = store_iter_key(it, &klen);
        const char *v = store_iter_value(it, &vlen);
        assert_null(memmem(k, klen, "19931008", 8));
        assert_null(memmem(v, vlen, "19931008", 8));
    }
    CHECK_OK(store_iter_error(it, err));
    store_iter_destroy(it);
    assert_int_equal(n, 4); /* 'B' and 'R' of each binding */

    assert_int_equal(subjects_keys_of(fx->st, NULL, fx->pv,
                                      CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_INDIVIDUAL_BUSINESS,
                                      PERSON "01", &keys, &field, why),
                     0);
    assert_true(has_key(&keys, "U" USCC_IB "", 20));
    subjects_keys_cleanup(&keys);
}

/* Index entries under two keys of one subject, one record under both, and an entry of
 * another shape: the scan gives each record once, in record-id order, from a page position. */
static void test_the_records_of_a_subject_merge_in_record_id_order(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN], rid[RECORD_ID_LEN + 1];
    char keys[2][SUBJECT_KEY_MAX] = {"U" USCC_A, "Ar" REG};
    size_t lens[2] = {strlen(keys[0]) + 1, strlen(keys[1]) + 1}; /* with their 0x00 */
    subjects_keys k = {.key = keys, .len = lens, .n = 2, .cap = 2};
    static const struct {
        int key;
        char rid[RECORD_ID_LEN + 1];
    } entries[] = {
        {0, "00000000000000010000000000000001"}, {1, "00000000000000020000000000000002"},
        {0, "00000000000000030000000000000003"}, {1, "00000000000000030000000000000003"},
        {0, "00000000000000040000000000000004"},
    };
    static const char *const want[] = {
        "00000000000000010000000000000001", "00000000000000020000000000000002",
        "00000000000000030000000000000003", "00000000000000040000000000000004"};
    store_batch *b = store_batch_create();
    subjects_scan *scan = NULL;
    size_t n = 0;
    int rc;

    assert_non_null(b);
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        char key[SUBJECT_KEY_MAX + RECORD_ID_LEN];
        size_t kl = lens[entries[i].key];

        memcpy(key, keys[entries[i].key], kl);
        memcpy(key + kl, entries[i].rid, RECORD_ID_LEN);
        store_batch_put(b, STORE_CF_SUBJECTS, key, kl + RECORD_ID_LEN, "", 0);
    }
    store_batch_put(b, STORE_CF_SUBJECTS, keys[0], lens[0] + 3, "", 0); /* not an entry */
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);

    CHECK_OK(subjects_scan_open(fx->st, NULL, &k, NULL, &scan));
    while ((rc = subjects_scan_next(scan, rid, err)) > 0) {
        assert_true(n < 4);
        assert_string_equal(rid, want[n]);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 4);
    subjects_scan_close(scan);

    /* From a page position: only the records after it. */
    n = 0;
    CHECK_OK(subjects_scan_open(fx->st, NULL, &k, want[1], &scan));
    while ((rc = subjects_scan_next(scan, rid, err)) > 0)
        assert_string_equal(rid, want[2 + n++]);
    assert_int_equal(rc, 0);
    assert_int_equal(n, 2);
    subjects_scan_close(scan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_a_uscc_binds_its_older_codes_and_a_query_by_any_finds_every_key, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_binding_staged_in_a_batch_is_seen_before_the_batch_is_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thousands_of_staged_bindings_are_each_found, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_record_under_an_older_code_is_the_same_subject_once_the_code_is_bound, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_a_persons_tax_number_is_never_held_in_clear_in_the_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_records_of_a_subject_merge_in_record_id_order,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
