/*
 * signkey.c — see signkey.h.
 */
#include "signkey.h"
#include "privacy.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX 4096 /* a P-256 PKCS #8 PEM is about 240 bytes */

struct signkey {
    EVP_PKEY *pkey; /* read-only after signkey_open */
    char *pem;      /* the public key, PEM */
    char id[SIGNKEY_ID_LEN + 1];
};

/* Makes a P-256 key and places it at `path` as PKCS #8 PEM. 0, or -1 with err. */
static int create_key(const char *path, char *err)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    BIO *mem = NULL;
    char *data;
    long len;
    int rc = -1;

    if (!pkey) {
        privacy_crypto_err(err, "cannot make a signing key");
        return -1;
    }
    mem = BIO_new(BIO_s_secmem());
    if (!mem || !PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL)) {
        privacy_crypto_err(err, "cannot encode the signing key");
        goto out;
    }
    len = BIO_get_mem_data(mem, &data);
    rc = privacy_place_key_file(path, data, (size_t)len, err);
out:
    BIO_free(mem);
    EVP_PKEY_free(pkey);
    return rc;
}

/* Reads the key file: a regular file no one else may read, at most KEY_FILE_MAX bytes. */
static EVP_PKEY *read_key(const char *path, char *err)
{
    EVP_PKEY *pkey = NULL;
    struct stat st;
    BIO *bio;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        snprintf(err, SIGNKEY_ERR_LEN, "cannot open key file %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > KEY_FILE_MAX) {
        snprintf(err, SIGNKEY_ERR_LEN, "key file %s is not a regular file of at most %d bytes",
                 path, KEY_FILE_MAX);
        close(fd);
        return NULL;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, SIGNKEY_ERR_LEN,
                 "key file %s has mode %04o: group or others may read or write it; chmod 600 it",
                 path, (unsigned)(st.st_mode & 07777));
        close(fd);
        return NULL;
    }
    bio = BIO_new_fd(fd, BIO_CLOSE);
    if (!bio) {
        close(fd);
        privacy_crypto_err(err, "cannot read the signing key");
        return NULL;
    }
    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!pkey) {
        privacy_crypto_err(err, "key file holds no PEM private key");
        return NULL;
    }
    char group[32] = "";
    size_t glen = 0;
    if (!EVP_PKEY_is_a(pkey, "EC") ||
        !EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof group, &glen) ||
        strcmp(group, "prime256v1") != 0) {
        snprintf(err, SIGNKEY_ERR_LEN, "key file %s holds no P-256 (prime256v1) key", path);
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return NULL;
    }
    return pkey;
}

/* The public PEM and the key id of k->pkey. 0, or -1 with err. */
static int describe(signkey *k, char *err)
{
    unsigned char *der = NULL, md[32];
    unsigned int mdlen = 0;
    BIO *mem = BIO_new(BIO_s_mem());
    char *data;
    long len;
    int dlen, rc = -1;

    if (!mem || !PEM_write_bio_PUBKEY(mem, k->pkey)) {
        privacy_crypto_err(err, "cannot encode the public key");
        goto out;
    }
    len = BIO_get_mem_data(mem, &data);
    if (!(k->pem = malloc((size_t)len + 1))) {
        snprintf(err, SIGNKEY_ERR_LEN, "out of memory");
        goto out;
    }
    memcpy(k->pem, data, (size_t)len);
    k->pem[len] = '\0';
    dlen = i2d_PUBKEY(k->pkey, &der);
    if (dlen <= 0 || !EVP_Digest(der, (size_t)dlen, md, &mdlen, EVP_sha256(), NULL)) {
        privacy_crypto_err(err, "cannot hash the public key");
        goto out;
    }
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(k->id + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    OPENSSL_free(der);
    BIO_free(mem);
    return rc;
}

int signkey_open(const char *path, int create, signkey **out, char *err)
{
    signkey *k;

    if (create && access(path, F_OK) != 0 && errno == ENOENT && create_key(path, err) != 0)
        return -1;
    k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, SIGNKEY_ERR_LEN, "out of memory");
        return -1;
    }
    if (!(k->pkey = read_key(path, err)) || describe(k, err) != 0) {
        signkey_close(k);
        return -1;
    }
    *out = k;
    return 0;
}

void signkey_close(signkey *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k->pem);
    free(k);
}

int signkey_sign(const signkey *k, const void *data, size_t len, unsigned char *sig,
                 size_t *sig_len, char *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = SIGNKEY_SIG_MAX;
    int rc = -1;

    if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
        EVP_DigestSign(ctx, sig, &n, data, len) != 1) {
        privacy_crypto_err(err, "cannot sign");
        goto out;
    }
    *sig_len = n;
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

const char *signkey_public_pem(const signkey *k)
{
    return k->pem;
}

const char *signkey_id(const signkey *k)
{
    return k->id;
}
