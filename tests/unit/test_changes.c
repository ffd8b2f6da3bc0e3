/*
 * test_changes.c — unit tests for server/data/changes.c against a real RocksDB: request ids, the
 * sequence that survives a restart, reading, listing by state, and damaged values.
 */
#include "testutil.h"

#include "changes.h"
#include "tu_store.h"

static void put_request(tu_store *fx, uint64_t seq, int state)
{
    Credit__V1__ChangeRequest cr = CREDIT__V1__CHANGE_REQUEST__INIT;
    char id[CHANGES_ID_LEN];
    store_batch *b = store_batch_create();

    assert_non_null(b);
    cr.id = (char *)changes_id(seq, id);
    cr.state = state;
    cr.justification = "a reason";
    assert_int_equal(changes_put(b, seq, &cr), 0);
    tu_store_write(fx, b);
}

static void test_ids_have_one_spelling_per_sequence(void **state)
{
    char id[CHANGES_ID_LEN];
    uint64_t seq = 7;

    (void)state;
    assert_string_equal(changes_id(42, id), "CR-000042");
    assert_string_equal(changes_id(1234567, id), "CR-1234567");
    assert_int_equal(changes_parse_id("CR-000042", &seq), 0);
    assert_true(seq == 42);
    assert_int_equal(changes_parse_id("CR-1234567", &seq), 0);
    assert_true(seq == 1234567);
    seq = 7;
    /* Other spellings of 42, zero, signs, letters, too many digits, another prefix. */
    static const char *const bad[] = {"CR-42",     "CR-0000042", "CR-000000",
                                      "CR--00042", "CR-00004a",  "CR-",
                                      "cr-000042", "XX-000042",  "CR-1234567890123456789",
                                      ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (changes_parse_id(bad[i], &seq) != -1) {
            print_error("\"%s\" should not be an id\n", bad[i]);
            fail();
        }
    }
    assert_true(seq == 7); /* untouched on failure */
}

static void test_the_sequence_continues_after_the_last_request(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    uint64_t seq = 0;

    CHECK_OK(changes_next_seq(fx->st, &seq, err));
    assert_true(seq == 1);
    put_request(fx, 1, CREDIT__V1__CHANGE_STATE__CHANGE_STATE_FILED);
    put_request(fx, 2, CREDIT__V1__CHANGE_STATE__CHANGE_STATE_FILED);
    CHECK_OK(changes_next_seq(fx->st, &seq, err));
    assert_true(seq == 3);
    /* A catalogue version under "v" is not a request. */
    tu_store_put_raw(fx, STORE_CF_CATALOGUE, "v\0\0\0\x09", 5, "x", 1);
    CHECK_OK(changes_next_seq(fx->st, &seq, err));
    assert_true(seq == 3);
}

static void test_a_request_reads_back_and_a_missing_one_is_not_found(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    Credit__V1__ChangeRequest *cr = NULL;

    assert_int_equal(changes_get(fx->st, 5, &cr, err), STORE_ENOTFOUND);
    assert_null(cr);
    put_request(fx, 5, CREDIT__V1__CHANGE_STATE__CHANGE_STATE_REVIEW_PASSED);
    CHECK_OK(changes_get(fx->st, 5, &cr, err));
    assert_string_equal(cr->id, "CR-000005");
    assert_int_equal(cr->state, CREDIT__V1__CHANGE_STATE__CHANGE_STATE_REVIEW_PASSED);
    credit__v1__change_request__free_unpacked(cr, NULL);
}

static void test_a_damaged_request_is_corrupt_and_left_out_of_lists(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    unsigned char key[9] = {'c'};
    Credit__V1__ChangeRequest *cr = NULL, **v = NULL;
    size_t n = 0;

    put_request(fx, 1, CREDIT__V1__CHANGE_STATE__CHANGE_STATE_FILED);
    store_put_be64(key + 1, 2);
    tu_store_put_raw(fx, STORE_CF_CATALOGUE, key, sizeof key, "\xff\xff\xff", 3);
    put_request(fx, 3, CREDIT__V1__CHANGE_STATE__CHANGE_STATE_APPROVED);
    CHECK_FAILS_WITH(changes_get(fx->st, 2, &cr, err), "CR-000002 cannot be decoded");
    assert_int_equal(changes_get(fx->st, 2, &cr, err), STORE_ECORRUPT);
    assert_null(cr);

    CHECK_OK(changes_list(fx->st, 0, &v, &n, err));
    assert_int_equal(n, 2);
    assert_string_equal(v[0]->id, "CR-000001");
    assert_string_equal(v[1]->id, "CR-000003");
    changes_free_list(v, n);
    CHECK_OK(changes_list(fx->st, CREDIT__V1__CHANGE_STATE__CHANGE_STATE_APPROVED, &v, &n, err));
    assert_int_equal(n, 1);
    assert_string_equal(v[0]->id, "CR-000003");
    changes_free_list(v, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_have_one_spelling_per_sequence),
        cmocka_unit_test_setup_teardown(test_the_sequence_continues_after_the_last_request,
                                        tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_request_reads_back_and_a_missing_one_is_not_found,
                                        tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_damaged_request_is_corrupt_and_left_out_of_lists,
                                        tu_store_setup, tu_store_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
