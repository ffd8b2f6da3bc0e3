/*
 * test_versions.c — unit tests for server/data/versions.c against a real RocksDB: versions read
 * back in number order whatever the order they were written in, change requests beside them
 * are not versions, and a damaged version is corrupt.
 */
#include "testutil.h"

#include "tu_store.h"
#include "versions.h"

static void put_version(tu_store *fx, uint32_t number, const char *summary)
{
    Credit__V1__CatalogueVersion v = CREDIT__V1__CATALOGUE_VERSION__INIT;
    store_batch *b = store_batch_create();

    assert_non_null(b);
    v.version = number;
    v.summary = (char *)summary;
    assert_int_equal(versions_put(b, &v), 0);
    tu_store_write(fx, b);
}

static void test_versions_scan_in_number_order(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    Credit__V1__CatalogueVersion v = CREDIT__V1__CATALOGUE_VERSION__INIT, *got;
    versions_scan *s = NULL;
    uint32_t want = 1;
    int rc;

    put_version(fx, 2, "second");
    put_version(fx, 256, "after a byte boundary");
    tu_store_put_raw(fx, STORE_CF_CATALOGUE, "c\0\0\0\0\0\0\0\1", 9, "x", 1); /* a request */
    v.version = 1;
    v.summary = "seed";
    CHECK_OK(versions_write(fx->st, &v, err));
    CHECK_OK(versions_scan_open(fx->st, &s));
    while ((rc = versions_scan_next(s, &got, err)) > 0) {
        assert_true(got->version == want);
        want = want == 2 ? 256 : want + 1;
        credit__v1__catalogue_version__free_unpacked(got, NULL);
    }
    assert_int_equal(rc, 0);
    assert_true(want == 257);
    versions_scan_close(s);
}

static void test_a_damaged_version_is_corrupt(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    Credit__V1__CatalogueVersion *got = NULL;
    versions_scan *s = NULL;

    tu_store_put_raw(fx, STORE_CF_CATALOGUE, "v\0\0\0\1", 5, "\xff\xff", 2);
    CHECK_OK(versions_scan_open(fx->st, &s));
    assert_int_equal(versions_scan_next(s, &got, err), STORE_ECORRUPT);
    assert_null(got);
    assert_int_equal(versions_scan_next(s, &got, err), 0);
    versions_scan_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_versions_scan_in_number_order, tu_store_setup,
                                        tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_damaged_version_is_corrupt, tu_store_setup,
                                        tu_store_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
