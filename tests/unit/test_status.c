/*
 * test_status.c — unit tests for server/base/status.c: every store error has its one status, and
 * the codes equal gRPC's numbers (clients compare them with their own enums).
 */
#include "testutil.h"

#include "status.h"
#include "store.h"

static void test_each_store_error_maps_to_its_status(void **state)
{
    (void)state;
    assert_int_equal(status_from_store(STORE_OK), RPC_OK);
    assert_int_equal(status_from_store(STORE_ENOTFOUND), RPC_NOT_FOUND);
    assert_int_equal(status_from_store(STORE_EIO), RPC_UNAVAILABLE);
    assert_int_equal(status_from_store(STORE_ENOMEM), RPC_RESOURCE_EXHAUSTED);
    assert_int_equal(status_from_store(STORE_EINVAL), RPC_INTERNAL);
    assert_int_equal(status_from_store(STORE_ENOSPC), RPC_RESOURCE_EXHAUSTED);
    assert_int_equal(status_from_store(STORE_EDISK), RPC_UNAVAILABLE);
    assert_int_equal(status_from_store(STORE_EFAILED), RPC_UNAVAILABLE);
    assert_int_equal(status_from_store(STORE_ECORRUPT), RPC_DATA_LOSS);
}

static void test_an_unknown_error_is_internal(void **state)
{
    (void)state;
    assert_int_equal(status_from_store(-99), RPC_INTERNAL);
    assert_int_equal(status_from_store(1), RPC_INTERNAL);
}

static void test_codes_are_grpc_numbers(void **state)
{
    (void)state;
    assert_int_equal(RPC_INVALID_ARGUMENT, 3);
    assert_int_equal(RPC_NOT_FOUND, 5);
    assert_int_equal(RPC_PERMISSION_DENIED, 7);
    assert_int_equal(RPC_FAILED_PRECONDITION, 9);
    assert_int_equal(RPC_INTERNAL, 13);
    assert_int_equal(RPC_UNAVAILABLE, 14);
    assert_int_equal(RPC_DATA_LOSS, 15);
    assert_int_equal(RPC_UNAUTHENTICATED, 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_store_error_maps_to_its_status),
        cmocka_unit_test(test_an_unknown_error_is_internal),
        cmocka_unit_test(test_codes_are_grpc_numbers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
