/*
 * algs.c — algorithms fetched once (algs.h). They are never freed: the process keeps them
 * to its end, as OpenSSL keeps its own built-in handles.
 */
#include "algs.h"

#include <pthread.h>

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
