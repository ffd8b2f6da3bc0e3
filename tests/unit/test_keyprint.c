/*
 * test_keyprint.c — unit tests for server/data/keyprint.c against a real RocksDB: a new node has
 * no fingerprint, a stored one reads back, and one of the wrong length is corrupt.
 */
#include "testutil.h"

#include "keyprint.h"
#include "tu_store.h"

static void test_a_new_store_has_no_fingerprint(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    unsigned char fp[PRIVACY_FINGERPRINT_LEN];

    memset(fp, 0x5a, sizeof fp);
    assert_int_equal(keyprint_get(fx->st, fp, err), STORE_ENOTFOUND);
    assert_int_equal(fp[0], 0x5a); /* untouched */
}

static void test_a_stored_fingerprint_reads_back(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    unsigned char fp[PRIVACY_FINGERPRINT_LEN], got[PRIVACY_FINGERPRINT_LEN];

    for (size_t i = 0; i < sizeof fp; i++)
        fp[i] = (unsigned char)(i * 7 + 1);
    CHECK_OK(keyprint_put(fx->st, fp, err));
    CHECK_OK(keyprint_get(fx->st, got, err));
    assert_memory_equal(got, fp, sizeof fp);
}

static void test_a_fingerprint_of_the_wrong_length_is_corrupt(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    unsigned char got[PRIVACY_FINGERPRINT_LEN];

    tu_store_put_raw(fx, STORE_CF_DEFAULT, "privacy-fingerprint", 19, "short", 5);
    CHECK_FAILS_WITH(keyprint_get(fx->st, got, err), "has 5 bytes");
    assert_int_equal(keyprint_get(fx->st, got, err), STORE_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_new_store_has_no_fingerprint, tu_store_setup,
                                        tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_stored_fingerprint_reads_back, tu_store_setup,
                                        tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_fingerprint_of_the_wrong_length_is_corrupt,
                                        tu_store_setup, tu_store_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
