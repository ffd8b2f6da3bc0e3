/*
 * test_optins.c — unit tests for server/data/optins.c against a real RocksDB: the key layout, one
 * platform's opt-ins apart from another's whose code starts the same, and damaged values.
 */
#include "testutil.h"

#include "optins.h"
#include "tu_store.h"

#define USCC   "91500227MA5UACME5L"
#define USCC_2 "91230500MA1B3N1N2M"

static void put_optin(tu_store *fx, const char *platform, const char *uscc, int revoked)
{
    Credit__V1__OptIn o = CREDIT__V1__OPT_IN__INIT;
    store_batch *b = store_batch_create();

    assert_non_null(b);
    o.platform = (char *)platform;
    o.enterprise_uscc = (char *)uscc;
    o.consent_digest = "ab";
    o.revoked = revoked;
    assert_int_equal(optins_put(b, &o), 0);
    tu_store_write(fx, b);
}

static void test_optin_is_stored_under_platform_then_enterprise(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], k[OPTINS_KEY_MAX];
    Credit__V1__OptIn *got = NULL;

    assert_int_equal(optins_key("ind-platform", USCC, k, sizeof k), strlen("o/ind-platform/" USCC));
    assert_memory_equal(k, "o/ind-platform/" USCC, strlen("o/ind-platform/" USCC));
    /* No part may be empty or hold the separator. */
    assert_int_equal(optins_key("ind/platform", USCC, k, sizeof k), 0);
    assert_int_equal(optins_key("", USCC, k, sizeof k), 0);
    assert_int_equal(optins_key("ind-platform", "", k, sizeof k), 0);

    assert_int_equal(optins_get(fx->st, "ind-platform", USCC, &got, err), STORE_ENOTFOUND);
    assert_null(got);
    put_optin(fx, "ind-platform", USCC, 1);
    CHECK_OK(optins_get(fx->st, "ind-platform", USCC, &got, err));
    assert_string_equal(got->platform, "ind-platform");
    assert_string_equal(got->enterprise_uscc, USCC);
    assert_true(got->revoked);
    credit__v1__opt_in__free_unpacked(got, NULL);
    /* Another platform's opt-in of the same enterprise is another key. */
    got = NULL;
    assert_int_equal(optins_get(fx->st, "ind-platform-2", USCC, &got, err), STORE_ENOTFOUND);
    assert_null(got);
}

static void test_a_platform_lists_only_its_own_optins(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    Credit__V1__OptIn **v = NULL;
    size_t n = 0;

    put_optin(fx, "ind", USCC, 0);
    put_optin(fx, "ind", USCC_2, 0);
    put_optin(fx, "ind-2", USCC, 0); /* starts like "ind" */
    CHECK_OK(optins_list(fx->st, "ind", &v, &n, err));
    assert_int_equal(n, 2);
    assert_string_equal(v[0]->enterprise_uscc, USCC_2); /* enterprise order */
    assert_string_equal(v[1]->enterprise_uscc, USCC);
    optins_free_list(v, n);
    CHECK_OK(optins_list(fx->st, "", &v, &n, err));
    assert_int_equal(n, 3);
    optins_free_list(v, n);
    CHECK_OK(optins_list(fx->st, "nobody", &v, &n, err));
    assert_int_equal(n, 0);
    optins_free_list(v, n);
}

static void test_a_damaged_optin_is_corrupt(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], k[OPTINS_KEY_MAX];
    Credit__V1__OptIn *got = NULL, **v = NULL;
    size_t n = 7, klen = optins_key("ind", USCC, k, sizeof k);

    tu_store_put_raw(fx, STORE_CF_AUTHZ, k, klen, "\xff\xff", 2);
    assert_int_equal(optins_get(fx->st, "ind", USCC, &got, err), STORE_ECORRUPT);
    assert_null(got);
    CHECK_FAILS_WITH(optins_list(fx->st, "ind", &v, &n, err), "opt-in cannot be decoded");
    assert_int_equal(optins_list(fx->st, "ind", &v, &n, err), STORE_ECORRUPT);
    assert_int_equal(n, 7); /* untouched on failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_optin_is_stored_under_platform_then_enterprise,
                                        tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_platform_lists_only_its_own_optins, tu_store_setup,
                                        tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_damaged_optin_is_corrupt, tu_store_setup,
                                        tu_store_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
