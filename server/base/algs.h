/*
 * algs.h — the OpenSSL algorithms the node uses on every record, fetched once.
 *
 * OpenSSL 3 looks an algorithm up in its provider store each time a legacy handle such as
 * EVP_sha256() or EVP_aes_256_gcm() initialises a context (an "implicit fetch": a property
 * query under a lock), which cost more than hashing a record's few hundred bytes. These
 * return the same algorithms fetched explicitly, once per process, and kept until exit.
 * Safe from any thread; never NULL (if the fetch fails they fall back to the legacy handle,
 * which then fails or succeeds exactly as before).
 */
#ifndef CREDIT_ALGS_H
#define CREDIT_ALGS_H

#include <openssl/evp.h>

const EVP_MD *algs_sha256(void);
const EVP_CIPHER *algs_aes_256_gcm(void);

/* HMAC-SHA-256 (RFC 2104) of msg[len] under key[klen] (at most 64 bytes) into out[32], with
 * the SHA-256 above: the same value as OpenSSL's HMAC(EVP_sha256(), ...), whose one-shot form
 * fetches both the MAC and the digest on every call. Returns 0, or -1 (klen over 64, or
 * OpenSSL out of memory). */
int algs_hmac_sha256(const void *key, size_t klen, const void *msg, size_t len,
                     unsigned char out[32]);

#endif /* CREDIT_ALGS_H */
