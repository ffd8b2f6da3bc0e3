/*
 * privacy.h — the node's key file: natural persons' identity numbers indexed by a keyed hash
 * and stored encrypted, so that a copy of the database does not leak them.
 *
 * The key file holds 64 random bytes: a 32-byte encryption key (AES-256-GCM) and a 32-byte
 * index key (HMAC-SHA256). It lives outside the database, mode 0600, and is never logged. A
 * record keeps privacy_index(number) where it needs to find a person and privacy_seal(number)
 * where it needs the number back; neither can be turned into the number without the key file.
 * Losing the key file loses every sealed number: back it up apart from the database.
 *
 * Thread-safety: a privacy object is immutable after privacy_open; every other function may
 * be called on it from any number of threads at once. privacy_close must not race with them.
 *
 * Errors: functions that take `err` write a NUL-terminated message of at most
 * PRIVACY_ERR_LEN bytes into it (if not NULL). Messages name files and reasons, never a
 * plaintext. On failure out-parameters are untouched.
 */
#ifndef CREDIT_PRIVACY_H
#define CREDIT_PRIVACY_H

#include <stddef.h>

typedef struct privacy privacy;

#define PRIVACY_ERR_LEN         256
#define PRIVACY_INDEX_LEN       32
#define PRIVACY_FINGERPRINT_LEN 32
#define PRIVACY_KEY_FILE_LEN    64
#define PRIVACY_SEAL_OVERHEAD   (1 + 12 + 16) /* format byte, nonce, tag */

/* Opens the key file at `key_path`. When it is missing and `create` is set, makes it first:
 * 64 bytes from RAND_bytes written with mode 0600 to a temporary file in the same directory,
 * fsynced, renamed into place without replacing a file that appeared meanwhile (then that one
 * is opened instead), and the directory fsynced. Refuses anything but a regular file of
 * exactly 64 bytes, one of 64 zero bytes, and a file with any permission for group or others
 * (the message says to chmod 600). Returns 0 and *out (free with privacy_close), or -1 with err. */
int privacy_open(const char *key_path, int create, privacy **out, char *err);

/* Writes "what: <OpenSSL's first reason>" into err[PRIVACY_ERR_LEN] (if not NULL) and empties
 * the thread's OpenSSL error queue: how the node's key modules (this one, signkey.h) report an
 * OpenSSL failure. */
void privacy_crypto_err(char *err, const char *what);

/* Places a new key file of len bytes at `path`, mode 0600, written and fsynced under a
 * temporary name and then moved there without ever replacing a file: a key file another
 * process placed first wins and is kept. The directory is fsynced, so the key outlasts a
 * power cut. Returns 0 if there is a key file at `path` now (ours or the other's), or -1 with
 * err. The node's other key files (the portrait signing key, signkey.h) are made by it too. */
int privacy_place_key_file(const char *path, const void *key, size_t len, char *err);

/* Wipes the keys (OPENSSL_cleanse) and frees the object. NULL is a no-op. */
void privacy_close(privacy *p);

/* A fingerprint of the whole key file that reveals nothing about the keys:
 * HMAC-SHA256(key = the 64 key-file bytes, "creditd key fingerprint v1"). The node stores it
 * beside the data and refuses to start with a key file whose fingerprint differs. */
void privacy_fingerprint(const privacy *p, unsigned char out[PRIVACY_FINGERPRINT_LEN]);

/* A key for another purpose of the node's, derived from the key file so that no other key
 * file is needed: HMAC-SHA256(key = the 64 key-file bytes, "creditd derived key v1: " +
 * label). Distinct labels give independent keys; none reveals the key file or the
 * fingerprint. Returns 0 or -1. */
int privacy_derive(const privacy *p, const char *label, unsigned char out[32]);

/* Keyed index of an identifier: HMAC-SHA256(index key, value[len]). Equal values give equal
 * indexes; without the key an index cannot be recomputed from a guessed number. The bytes are
 * hashed as given: canonicalize first (a resident identity number's check 'x' upper-cased),
 * or one person gets two indexes. `value` may be NULL only when len is 0. Returns 0 or -1. */
int privacy_index(const privacy *p, const char *value, size_t len,
                  unsigned char out[PRIVACY_INDEX_LEN]);

/* Seals plain[len] with AES-256-GCM under the encryption key; aad[aad_len] (e.g. the record
 * id, so a sealed value cannot be moved to another record) is authenticated, not encrypted,
 * and must be given again to unseal. Output: 1 format byte (1) | 12-byte random nonce |
 * ciphertext (len bytes) | 16-byte tag, PRIVACY_SEAL_OVERHEAD bytes more than `len`; the
 * format byte is authenticated too. Random nonces keep one key safe for about 2^32 seals.
 * Returns 0 with *out malloc'd (free() it) and *out_len, or -1 with err. `plain` and `aad`
 * may be NULL when their lengths are 0. */
int privacy_seal(const privacy *p, const void *plain, size_t len, const void *aad, size_t aad_len,
                 unsigned char **out, size_t *out_len, char *err);

/* Opens what privacy_seal made. Fails (-1, err says "authentication failed", or names the
 * format problem: truncated input, unknown format byte) on any change to the sealed bytes or
 * the aad, a wrong key, a truncated input or an unknown format byte. No plaintext is returned
 * unless the tag verifies. Returns 0 with *plain malloc'd (free() it; it has one extra NUL
 * byte after *plain_len bytes, so a sealed string can be used as one), or -1 with err. */
int privacy_unseal(const privacy *p, const unsigned char *sealed, size_t len, const void *aad,
                   size_t aad_len, unsigned char **plain, size_t *plain_len, char *err);

#endif /* CREDIT_PRIVACY_H */
