/*
 * test_algs.c — unit tests for server/base/algs.c: the algorithms fetched once are the ones
 * asked for, and algs_hmac_sha256 is HMAC-SHA-256 (RFC 4231's vectors, and OpenSSL's own
 * HMAC over keys and messages of every length the node uses).
 */
#include "testutil.h"

#include "algs.h"

#include <openssl/hmac.h>

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_the_fetched_algorithms_are_sha256_and_aes_256_gcm(void **state)
{
    (void)state;
    assert_int_equal(EVP_MD_get_size(algs_sha256()), 32);
    assert_true(EVP_MD_is_a(algs_sha256(), "SHA256"));
    assert_true(EVP_CIPHER_is_a(algs_aes_256_gcm(), "AES-256-GCM"));
    assert_ptr_equal(algs_sha256(), algs_sha256()); /* fetched once */
}

static void test_hmac_sha256_gives_rfc_4231_values(void **state)
{
    (void)state;
    unsigned char out[32], key1[20];
    char h[65];
    memset(key1, 0x0b, sizeof key1);
    assert_int_equal(algs_hmac_sha256(key1, sizeof key1, "Hi There", 8, out), 0);
    hex(out, 32, h);
    assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    assert_int_equal(algs_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out), 0);
    hex(out, 32, h);
    assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_hmac_sha256_equals_openssl_hmac_for_every_key_and_message_length(void **state)
{
    (void)state;
    unsigned char key[64], msg[300], mine[32], theirs[32];
    unsigned int n = 0;
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)(i * 7 + 1);
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 13 + 5);
    for (size_t klen = 0; klen <= sizeof key; klen += 8) {
        for (size_t len = 0; len <= sizeof msg; len += 37) {
            assert_int_equal(algs_hmac_sha256(key, klen, msg, len, mine), 0);
            assert_non_null(HMAC(EVP_sha256(), key, (int)klen, msg, len, theirs, &n));
            assert_int_equal(n, 32);
            assert_memory_equal(mine, theirs, 32);
        }
    }
    /* A key longer than SHA-256's block is refused, not silently used otherwise. */
    unsigned char big[65] = {0};
    assert_int_equal(algs_hmac_sha256(big, sizeof big, msg, 1, mine), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_fetched_algorithms_are_sha256_and_aes_256_gcm),
        cmocka_unit_test(test_hmac_sha256_gives_rfc_4231_values),
        cmocka_unit_test(test_hmac_sha256_equals_openssl_hmac_for_every_key_and_message_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
