/*
 * privacy.c — see privacy.h.
 *
 * The key file is the 64 bytes of struct privacy's `key`, in the same order: encryption key
 * first, index key second. The fingerprint is computed once at open, so privacy_fingerprint
 * cannot fail; everything after open only reads the struct, and each call makes its own
 * OpenSSL context, which is what makes one object safe from many threads.
 *
 * Sealed format 1: 0x01 | nonce[12] | ciphertext | tag[16]. The GCM additional data is the
 * format byte followed by the caller's aad, so a later format cannot be passed off as this
 * one. No plaintext is handed out before the tag verifies; a buffer that held plaintext is
 * wiped before it is freed on an error path.
 *
 * OpenSSL leaves failures on the calling thread's error queue, where they would confuse the
 * next SSL_get_error on that thread (a gRPC handshake, say); every failure path here takes
 * the first reason for the message and clears the queue.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* renameat2, mkostemp; the build defines it, this is for a lone compile */
#endif

#include "privacy.h"
#include "algs.h"
#include "randpool.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_LEN    32
#define NONCE_LEN  12
#define TAG_LEN    16
#define FORMAT_V1  1
#define HEADER_LEN (1 + NONCE_LEN)
#define CHUNK      (1 << 30) /* EVP takes int lengths: longer input goes in pieces */

#define ENC_KEY(p) ((p)->key)
#define IDX_KEY(p) ((p)->key + KEY_LEN)

static const char fingerprint_label[] = "creditd key fingerprint v1";

struct privacy {
    /* Written by privacy_open, read-only until privacy_close wipes them. */
    unsigned char key[PRIVACY_KEY_FILE_LEN]; /* the key file: encryption key, index key */
    unsigned char fingerprint[PRIVACY_FINGERPRINT_LEN];
};

_Static_assert(PRIVACY_KEY_FILE_LEN == 2 * KEY_LEN, "the key file is two keys");
_Static_assert(PRIVACY_SEAL_OVERHEAD == HEADER_LEN + TAG_LEN, "format 1 overhead");

__attribute__((format(printf, 2, 3))) static void seterr(char *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err, PRIVACY_ERR_LEN, fmt, ap);
    va_end(ap);
}

void privacy_crypto_err(char *err, const char *what)
{
    unsigned long e = ERR_get_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;

    seterr(err, "%s: %s", what, reason ? reason : "OpenSSL failed");
    ERR_clear_error();
}

/* Reads up to n bytes, stopping early only at end of file. Returns the count or -1 (errno). */
static ssize_t read_full(int fd, unsigned char *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int write_full(int fd, const unsigned char *buf, size_t n)
{
    size_t done = 0;

    while (done < n) {
        ssize_t w = write(fd, buf + done, n - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

/* Writes the directory part of `path` into dir[PATH_MAX]: "." for a bare name. */
static void dir_of(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        snprintf(dir, PATH_MAX, ".");
    else if (slash == path)
        snprintf(dir, PATH_MAX, "/");
    else
        snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

/* Moves tmp to path unless path exists (then -1 with errno EEXIST). A plain rename would
 * replace a key file another process made meanwhile, and lose every value sealed under it. */
static int place(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* The file system cannot rename without replacing: link(2) never replaces either. */
    if (link(tmp, path) != 0)
        return -1;
    unlink(tmp);
    return 0;
}

int privacy_place_key_file(const char *path, const void *key, size_t len, char *err)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    int fd, n, rc = -1;

    n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        seterr(err, "key file path is too long: %s", path);
        return -1;
    }
    dir_of(path, dir);
    fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        seterr(err, "cannot create key file %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (fchmod(fd, 0600) != 0 || write_full(fd, key, len) != 0 || fsync(fd) != 0) {
        seterr(err, "cannot write key file %s: %s", tmp, strerror(errno));
        goto fail_fd;
    }
    if (close(fd) != 0) {
        seterr(err, "cannot write key file %s: %s", tmp, strerror(errno));
        goto fail_tmp;
    }
    if (place(tmp, path) != 0) {
        if (errno != EEXIST) {
            seterr(err, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
            goto fail_tmp;
        }
        /* Another process made the key file first: keep its key, drop ours. */
        unlink(tmp);
        return 0;
    }
    /* The key must outlast a power cut before anything is sealed or signed under it. */
    if (fsync_dir(dir) != 0) {
        seterr(err, "cannot fsync directory %s after creating key file %s: %s", dir, path,
               strerror(errno));
        return -1;
    }
    return 0;

fail_fd:
    close(fd);
fail_tmp:
    unlink(tmp);
    return rc;
}

/* Makes a new key file at `path`. Returns 0 if there is one there now (ours, or one that
 * another process placed first), or -1 with err. */
static int create_key_file(const char *path, char *err)
{
    unsigned char key[PRIVACY_KEY_FILE_LEN];
    int rc = -1;

    if (RAND_bytes(key, sizeof key) != 1)
        privacy_crypto_err(err, "cannot make a key");
    else
        rc = privacy_place_key_file(path, key, sizeof key, err);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

static int all_zero(const unsigned char *b, size_t n)
{
    unsigned char acc = 0;

    for (size_t i = 0; i < n; i++)
        acc |= b[i];
    return acc == 0;
}

int privacy_open(const char *key_path, int create, privacy **out, char *err)
{
    unsigned char buf[PRIVACY_KEY_FILE_LEN + 1]; /* one more, to see a file that grew */
    unsigned int mdlen = 0;
    struct stat st;
    privacy *p;
    ssize_t got;
    int fd;

    if (!key_path || !*key_path || !out) {
        seterr(err, "privacy_open: no key file path or no out-parameter");
        return -1;
    }
    /* O_NONBLOCK: a FIFO put in the key file's place must fail the check below, not hang. */
    fd = open(key_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT && create) {
        if (create_key_file(key_path, err) != 0)
            return -1;
        fd = open(key_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    }
    if (fd < 0) {
        seterr(err, "cannot open key file %s: %s", key_path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        seterr(err, "cannot stat key file %s: %s", key_path, strerror(errno));
        goto fail_fd;
    }
    if (!S_ISREG(st.st_mode)) {
        seterr(err, "key file %s is not a regular file", key_path);
        goto fail_fd;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        seterr(err, "key file %s has mode %04o: group or others may read or write it; chmod 600 it",
               key_path, (unsigned)(st.st_mode & 07777));
        goto fail_fd;
    }
    if (st.st_size != PRIVACY_KEY_FILE_LEN) {
        seterr(err, "key file %s is %lld bytes; it must be exactly %d", key_path,
               (long long)st.st_size, PRIVACY_KEY_FILE_LEN);
        goto fail_fd;
    }
    got = read_full(fd, buf, sizeof buf);
    if (got < 0) {
        seterr(err, "cannot read key file %s: %s", key_path, strerror(errno));
        goto fail_buf;
    }
    if (got != PRIVACY_KEY_FILE_LEN) {
        seterr(err, "key file %s changed size while being read; it must be exactly %d bytes",
               key_path, PRIVACY_KEY_FILE_LEN);
        goto fail_buf;
    }
    /* What `truncate -s 64` or a zeroed disk block leaves: no key at all. */
    if (all_zero(buf, PRIVACY_KEY_FILE_LEN)) {
        seterr(err, "key file %s is all zero bytes, not a key", key_path);
        goto fail_buf;
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        seterr(err, "out of memory");
        goto fail_buf;
    }
    memcpy(p->key, buf, PRIVACY_KEY_FILE_LEN);
    /* A PRF of both keys at a fixed label: it tells key files apart and says nothing more. */
    if (!HMAC(EVP_sha256(), p->key, PRIVACY_KEY_FILE_LEN, (const unsigned char *)fingerprint_label,
              sizeof fingerprint_label - 1, p->fingerprint, &mdlen) ||
        mdlen != PRIVACY_FINGERPRINT_LEN) {
        privacy_crypto_err(err, "cannot compute the key fingerprint");
        goto fail_p;
    }
    OPENSSL_cleanse(buf, sizeof buf);
    close(fd);
    *out = p;
    return 0;

fail_p:
    privacy_close(p);
fail_buf:
    OPENSSL_cleanse(buf, sizeof buf);
fail_fd:
    close(fd);
    return -1;
}

void privacy_close(privacy *p)
{
    if (!p)
        return;
    OPENSSL_cleanse(p, sizeof *p);
    free(p);
}

void privacy_fingerprint(const privacy *p, unsigned char out[PRIVACY_FINGERPRINT_LEN])
{
    memcpy(out, p->fingerprint, PRIVACY_FINGERPRINT_LEN);
}

int privacy_derive(const privacy *p, const char *label, unsigned char out[32])
{
    static const char prefix[] = "creditd derived key v1: ";
    unsigned char msg[256];
    size_t plen = sizeof prefix - 1, llen = label ? strlen(label) : 0;
    unsigned int mdlen = 0;

    if (!p || !out || !label || plen + llen > sizeof msg)
        return -1;
    memcpy(msg, prefix, plen);
    memcpy(msg + plen, label, llen);
    if (!HMAC(EVP_sha256(), p->key, PRIVACY_KEY_FILE_LEN, msg, plen + llen, out, &mdlen) ||
        mdlen != 32)
        return -1;
    return 0;
}

int privacy_index(const privacy *p, const char *value, size_t len,
                  unsigned char out[PRIVACY_INDEX_LEN])
{
    unsigned char md[PRIVACY_INDEX_LEN];
    unsigned int mdlen = 0;

    if (!p || !out || (!value && len))
        return -1;
    if (!HMAC(EVP_sha256(), IDX_KEY(p), KEY_LEN, (const unsigned char *)(value ? value : ""), len,
              md, &mdlen) ||
        mdlen != PRIVACY_INDEX_LEN) {
        ERR_clear_error();
        return -1;
    }
    memcpy(out, md, PRIVACY_INDEX_LEN);
    return 0;
}

/* Feeds in[len] to ctx in int-sized pieces: as additional data when out is NULL, else
 * en- or decrypting into out (GCM gives out as many bytes as it takes). Returns 0 or -1. */
static int feed(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t len)
{
    while (len > 0) {
        int piece = len > CHUNK ? CHUNK : (int)len, n = 0;

        if (EVP_CipherUpdate(ctx, out, &n, in, piece) != 1 || (out && n != piece))
            return -1;
        in += piece;
        len -= (size_t)piece;
        if (out)
            out += piece;
    }
    return 0;
}

/* Makes ctx ready to en- (enc 1) or decrypt (enc 0) under the nonce in header[1..12], with
 * the format byte header[0] and the aad fed as additional data. Returns 0 or -1. */
static int start(EVP_CIPHER_CTX *ctx, int enc, const privacy *p, const unsigned char *header,
                 const void *aad, size_t aad_len)
{
    return EVP_CipherInit_ex(ctx, algs_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
                   EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
                   EVP_CipherInit_ex(ctx, NULL, NULL, ENC_KEY(p), header + 1, enc) == 1 &&
                   feed(ctx, NULL, header, 1) == 0 && feed(ctx, NULL, aad, aad_len) == 0
               ? 0
               : -1;
}

int privacy_seal(const privacy *p, const void *plain, size_t len, const void *aad, size_t aad_len,
                 unsigned char **out, size_t *out_len, char *err)
{
    EVP_CIPHER_CTX *ctx;
    unsigned char *buf;
    size_t total;
    int n = 0;

    if (!p || !out || !out_len || (!plain && len) || (!aad && aad_len)) {
        seterr(err, "privacy_seal: a NULL argument");
        return -1;
    }
    if (len > SIZE_MAX - PRIVACY_SEAL_OVERHEAD) {
        seterr(err, "privacy_seal: plaintext too large");
        return -1;
    }
    total = len + PRIVACY_SEAL_OVERHEAD;
    buf = malloc(total);
    if (!buf) {
        seterr(err, "out of memory");
        return -1;
    }
    buf[0] = FORMAT_V1;
    if (randpool_bytes(buf + 1, NONCE_LEN) != 0) {
        privacy_crypto_err(err, "cannot make a nonce");
        goto fail_buf;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx) {
        privacy_crypto_err(err, "cannot seal");
        goto fail_buf;
    }
    if (start(ctx, 1, p, buf, aad, aad_len) != 0 || feed(ctx, buf + HEADER_LEN, plain, len) != 0 ||
        EVP_EncryptFinal_ex(ctx, buf + HEADER_LEN + len, &n) != 1 || n != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + HEADER_LEN + len) != 1) {
        privacy_crypto_err(err, "cannot seal");
        goto fail_ctx;
    }
    EVP_CIPHER_CTX_free(ctx);
    *out = buf;
    *out_len = total;
    return 0;

fail_ctx:
    EVP_CIPHER_CTX_free(ctx);
fail_buf:
    OPENSSL_cleanse(buf, total);
    free(buf);
    return -1;
}

int privacy_unseal(const privacy *p, const unsigned char *sealed, size_t len, const void *aad,
                   size_t aad_len, unsigned char **plain, size_t *plain_len, char *err)
{
    unsigned char tag[TAG_LEN], *buf;
    EVP_CIPHER_CTX *ctx;
    size_t ct_len;
    int n = 0;

    if (!p || !plain || !plain_len || (!sealed && len) || (!aad && aad_len)) {
        seterr(err, "privacy_unseal: a NULL argument");
        return -1;
    }
    if (len > 0 && sealed[0] != FORMAT_V1) {
        seterr(err, "sealed value has unknown format byte %u", (unsigned)sealed[0]);
        return -1;
    }
    if (len < PRIVACY_SEAL_OVERHEAD) {
        seterr(err, "sealed value is truncated: %zu bytes, at least %d expected", len,
               PRIVACY_SEAL_OVERHEAD);
        return -1;
    }
    ct_len = len - PRIVACY_SEAL_OVERHEAD;
    memcpy(tag, sealed + HEADER_LEN + ct_len, TAG_LEN); /* the ctrl takes a non-const pointer */
    buf = malloc(ct_len + 1);
    if (!buf) {
        seterr(err, "out of memory");
        return -1;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx) {
        privacy_crypto_err(err, "cannot unseal");
        goto fail_buf;
    }
    if (start(ctx, 0, p, sealed, aad, aad_len) != 0 ||
        feed(ctx, buf, sealed + HEADER_LEN, ct_len) != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1) {
        privacy_crypto_err(err, "cannot unseal");
        goto fail_ctx;
    }
    if (EVP_DecryptFinal_ex(ctx, buf + ct_len, &n) != 1 || n != 0) {
        /* Wrong key, changed bytes or other aad: GCM cannot tell which, nor can we. */
        seterr(err, "sealed value: authentication failed");
        ERR_clear_error();
        goto fail_ctx;
    }
    EVP_CIPHER_CTX_free(ctx);
    buf[ct_len] = '\0';
    *plain = buf;
    *plain_len = ct_len;
    return 0;

fail_ctx:
    EVP_CIPHER_CTX_free(ctx);
fail_buf:
    OPENSSL_cleanse(buf, ct_len + 1); /* may hold plaintext that did not authenticate */
    free(buf);
    return -1;
}
