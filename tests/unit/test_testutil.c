/*
 * test_testutil.c — the test helpers that decide something: the one leak report the tests
 * tolerate must be recognised exactly, and every other report must still fail a test.
 */
#include "testutil.h"

#define HEAD "=================================================================\n" \
             "==4242==ERROR: LeakSanitizer: detected memory leaks\n\n"
#define OPENSSL_BLOCK                                                                        \
    "Direct leak of 904 byte(s) in 1 object(s) allocated from:\n"                            \
    "    #0 0x7f0 in __interceptor_malloc ../../asan_malloc_linux.cpp:69\n"                   \
    "    #1 0x7f1 in CRYPTO_zalloc (/lib/x86_64-linux-gnu/libcrypto.so.3+0x2347a8)\n\n"
#define TAIL "SUMMARY: AddressSanitizer: 904 byte(s) leaked in 1 allocation(s).\n"

static void test_openssl_thread_state_report_is_tolerated(void **state)
{
    (void)state;
    assert_true(tu_only_openssl_thread_state_leak("ts=... level=info event=stopped\n" HEAD
                                                  OPENSSL_BLOCK TAIL));
    assert_true(tu_only_openssl_thread_state_leak(HEAD OPENSSL_BLOCK OPENSSL_BLOCK TAIL));
}

static void test_leak_through_our_code_is_not_tolerated(void **state)
{
    (void)state;
    assert_false(tu_only_openssl_thread_state_leak(
        HEAD "Direct leak of 904 byte(s) in 1 object(s) allocated from:\n"
             "    #0 0x7f0 in __interceptor_malloc asan_malloc_linux.cpp:69\n"
             "    #1 0x7f1 in CRYPTO_zalloc (/lib/x86_64-linux-gnu/libcrypto.so.3+0x2347a8)\n"
             "    #2 0x7f2 in tls_open /work/main/server/transport/tls.c:238\n\n" TAIL));
}

static void test_other_sizes_and_indirect_leaks_are_not_tolerated(void **state)
{
    (void)state;
    assert_false(tu_only_openssl_thread_state_leak(
        HEAD "Direct leak of 16 byte(s) in 1 object(s) allocated from:\n"
             "    #0 0x7f0 in __interceptor_malloc asan_malloc_linux.cpp:69\n"
             "    #1 0x7f1 in CRYPTO_zalloc (/lib/x86_64-linux-gnu/libcrypto.so.3+0x2347a8)\n\n"));
    assert_false(tu_only_openssl_thread_state_leak(
        HEAD OPENSSL_BLOCK "Indirect leak of 904 byte(s) in 1 object(s) allocated from:\n"
                           "    #0 0x7f0 in __interceptor_malloc asan_malloc_linux.cpp:69\n"
                           "    #1 0x7f1 in CRYPTO_zalloc (libcrypto.so.3+0x1)\n\n"));
}

static void test_other_sanitizer_errors_are_not_tolerated(void **state)
{
    (void)state;
    assert_false(tu_only_openssl_thread_state_leak(""));
    assert_false(tu_only_openssl_thread_state_leak("creditd: --threads: bad\n"));
    assert_false(tu_only_openssl_thread_state_leak(
        "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n" HEAD
        OPENSSL_BLOCK));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openssl_thread_state_report_is_tolerated),
        cmocka_unit_test(test_leak_through_our_code_is_not_tolerated),
        cmocka_unit_test(test_other_sizes_and_indirect_leaks_are_not_tolerated),
        cmocka_unit_test(test_other_sanitizer_errors_are_not_tolerated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
