/*
 * algs.c — algorithms fetched once (algs.h). They are never freed: the process keeps them
 * to its end, as OpenSSL keeps its own built-in handles.
 */
#include "algs.h"

#include <openssl/crypto.h>

#include <pthread.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256;
static EVP_CIPHER *aes_256_gcm;

static void fetch(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

const EVP_MD *algs_sha256(void)
{
    pthread_once(&once, fetch);
    return sha256 ? sha256 : EVP_sha256();
}

const EVP_CIPHER *algs_aes_256_gcm(void)
{
    pthread_once(&once, fetch);
    return aes_256_gcm ? aes_256_gcm : EVP_aes_256_gcm();
}

int algs_hmac_sha256(const void *key, size_t klen, const void *msg, size_t len,
                     unsigned char out[32])
{
    enum { BLOCK = 64 }; /* SHA-256's block: a longer key would be hashed first; ours are not */
    unsigned char ipad[BLOCK], opad[BLOCK], inner[32];
    unsigned int n = 0;
    int ok;

    if (klen > BLOCK)
        return -1;
    memset(ipad, 0x36, sizeof ipad);
    memset(opad, 0x5c, sizeof opad);
    for (size_t i = 0; i < klen; i++) {
        ipad[i] ^= ((const unsigned char *)key)[i];
        opad[i] ^= ((const unsigned char *)key)[i];
    }
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    const EVP_MD *md = algs_sha256();
    ok = c && EVP_DigestInit_ex(c, md, NULL) == 1 && EVP_DigestUpdate(c, ipad, BLOCK) == 1 &&
         EVP_DigestUpdate(c, msg, len) == 1 && EVP_DigestFinal_ex(c, inner, &n) == 1 && n == 32 &&
         EVP_DigestInit_ex(c, md, NULL) == 1 && EVP_DigestUpdate(c, opad, BLOCK) == 1 &&
         EVP_DigestUpdate(c, inner, 32) == 1 && EVP_DigestFinal_ex(c, out, &n) == 1 && n == 32;
    EVP_MD_CTX_free(c);
    /* The padded keys are the key: not left on the stack. */
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
    return ok ? 0 : -1;
}
