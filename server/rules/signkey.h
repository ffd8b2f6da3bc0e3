/*
 * signkey.h — the node's portrait signing key: ECDSA over P-256 with SHA-256.
 *
 * The node signs every credit portrait it makes (svc_finance.c) so that a lender can check
 * one later, offline, with nothing but the public key the node publishes
 * (CreditFinance.GetSigningKey). The key is the node's own and apart from its TLS key: a TLS
 * key is renewed with its certificate, and a portrait must stay checkable after that.
 *
 * The key file is a PEM private key (PKCS #8), mode 0600. signkey_open makes one on a node's
 * first start (privacy_place_key_file: never replacing a file another process placed); later
 * starts read it and refuse a file that group or others may read or write, or that holds
 * anything but a P-256 key.
 *
 * The key id is the lower-case hex SHA-256 of the public key's DER SubjectPublicKeyInfo, the
 * same bytes the PEM carries: a lender tells keys apart by it.
 *
 * Thread-safety: immutable after signkey_open; signkey_sign may run on any number of threads at
 * once (each call has its own OpenSSL context). signkey_close must not race with them.
 * Errors: `err` gets at most SIGNKEY_ERR_LEN bytes naming the file and the reason.
 */
#ifndef CREDIT_SIGNKEY_H
#define CREDIT_SIGNKEY_H

#include <stddef.h>

#define SIGNKEY_ERR_LEN   256 /* PRIVACY_ERR_LEN: OpenSSL faults are privacy.h's to word */
#define SIGNKEY_ID_LEN    64  /* hex digits of the key id */
#define SIGNKEY_SIG_MAX   80  /* a DER ECDSA P-256 signature is at most 72 bytes */
#define SIGNKEY_ALGORITHM "ECDSA_P256_SHA256"

typedef struct signkey signkey;

/* Opens the key file at `path`, making a new key there first if there is no file and `create`
 * is set. Returns 0 with *out (close with signkey_close), or -1 with err; *out untouched. */
int signkey_open(const char *path, int create, signkey **out, char *err);

/* Frees the key. NULL is a no-op. */
void signkey_close(signkey *k);

/* Signs data[len]: the DER signature into sig[SIGNKEY_SIG_MAX], its length into *sig_len.
 * Returns 0, or -1 with err. */
int signkey_sign(const signkey *k, const void *data, size_t len, unsigned char *sig,
                 size_t *sig_len, char *err);

/* The public key as PEM (SubjectPublicKeyInfo) and the key id, NUL-terminated; borrowed, valid
 * until signkey_close. */
const char *signkey_public_pem(const signkey *k);
const char *signkey_id(const signkey *k);

#endif /* CREDIT_SIGNKEY_H */
