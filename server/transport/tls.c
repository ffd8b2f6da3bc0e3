/*
 * tls.c — see tls.h. OpenSSL reads and checks the files; the gRPC core does the handshakes.
 *
 * The revocation list in force is a stack of CRLs, each verified against a trusted CA, under
 * a read-write lock: calls read it, tls_reload swaps in a new one whole. A reload that finds
 * a bad directory (a CA without a CRL, a CRL that does not verify) keeps the old list, so a
 * half-copied directory never turns revocation off.
 */
#include "tls.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ERRLEN 512

struct tls_state {
    char ca_path[4096];
    char cert_path[4096];
    char key_path[4096];
    char crl_dir[4096];
    int grpc_inited;

    pthread_rwlock_t lock; /* guards crls and stamp */
    STACK_OF(X509_CRL) *crls;
    uint64_t stamp;      /* what the files looked like when crls was loaded */
    uint64_t generation; /* +1 for each list put in force; read and written atomically */

    /* Certificates that passed, by their PEM text, for the generation they passed in.
     * Parsing a PEM certificate costs more than the rest of a call's authentication (OpenSSL
     * 3's decoders take locks), and a client presents the same certificate on every call. */
    pthread_mutex_t cache_mu; /* guards cache */
    struct passed {
        uint64_t hash;
        uint64_t generation;
        size_t len;
        char *pem;
    } cache[64];
};

static void crl_stack_free(STACK_OF(X509_CRL) *s)
{
    sk_X509_CRL_pop_free(s, X509_CRL_free);
}

static void name_line(const X509_NAME *n, char *out, size_t cap)
{
    X509_NAME_oneline(n, out, (int)cap);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t file_stamp(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    return mix(mix((uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec),
               (uint64_t)st.st_size);
}

/* A fingerprint of the CA bundle and the CRL directory: names, sizes and times. Entries are
 * summed, so the order readdir returns them in does not matter. */
static uint64_t dir_stamp(const tls_state *t)
{
    uint64_t h = mix(file_stamp(t->ca_path), file_stamp(t->crl_dir));
    DIR *d = opendir(t->crl_dir);
    if (!d)
        return h;
    struct dirent *e;
    uint64_t sum = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", t->crl_dir, e->d_name);
        uint64_t nh = 1469598103934665603ULL;
        for (const char *c = e->d_name; *c; c++)
            nh = (nh ^ (unsigned char)*c) * 1099511628211ULL;
        sum += mix(nh, file_stamp(p));
    }
    closedir(d);
    return mix(h, sum);
}

static int read_cas(const char *path, STACK_OF(X509) **out, char *err)
{
    BIO *b = BIO_new_file(path, "r");
    if (!b) {
        snprintf(err, ERRLEN, "cannot read the CA bundle %.200s", path);
        return -1;
    }
    STACK_OF(X509) *cas = sk_X509_new_null();
    X509 *x;
    while (cas && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
        sk_X509_push(cas, x);
    ERR_clear_error();
    BIO_free(b);
    if (!cas || sk_X509_num(cas) == 0) {
        sk_X509_pop_free(cas, X509_free);
        snprintf(err, ERRLEN, "the CA bundle %.200s holds no PEM certificate", path);
        return -1;
    }
    *out = cas;
    return 0;
}

/* Loads every PEM CRL of the directory, keeps those signed by a trusted CA, and insists that
 * each CA has one, under the hash name the core looks for. */
static int load_crls(const tls_state *t, STACK_OF(X509_CRL) **out, char *err)
{
    STACK_OF(X509) *cas = NULL;
    STACK_OF(X509_CRL) *all = sk_X509_CRL_new_null();
    STACK_OF(X509_CRL) *good = sk_X509_CRL_new_null();
    DIR *d = NULL;
    int rc = -1;
    if (!all || !good) {
        snprintf(err, ERRLEN, "out of memory");
        goto fail;
    }
    if (read_cas(t->ca_path, &cas, err) != 0)
        goto fail;
    d = opendir(t->crl_dir);
    if (!d) {
        snprintf(err, ERRLEN,
                 "cannot open the CRL directory %.200s: every trusted CA needs a CRL there",
                 t->crl_dir);
        goto fail;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", t->crl_dir, e->d_name);
        BIO *b = BIO_new_file(p, "r");
        if (!b)
            continue;
        X509_CRL *crl;
        while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL)
            sk_X509_CRL_push(all, crl);
        ERR_clear_error();
        BIO_free(b);
    }
    for (int i = 0; i < sk_X509_num(cas); i++) {
        X509 *ca = sk_X509_value(cas, i);
        const X509_NAME *subj = X509_get_subject_name(ca);
        char name[256];
        name_line(subj, name, sizeof name);
        /* Of the CRLs this CA signed, the newest counts: an old CRL left beside a new one
         * must not bring back certificates revoked since. */
        X509_CRL *newest = NULL;
        for (int k = 0; k < sk_X509_CRL_num(all); k++) {
            X509_CRL *crl = sk_X509_CRL_value(all, k);
            if (X509_NAME_cmp(X509_CRL_get_issuer(crl), subj) != 0)
                continue;
            EVP_PKEY *pk = X509_get0_pubkey(ca);
            if (!pk || X509_CRL_verify(crl, pk) != 1) {
                ERR_clear_error();
                continue;
            }
            if (!newest || ASN1_TIME_compare(X509_CRL_get0_lastUpdate(crl),
                                             X509_CRL_get0_lastUpdate(newest)) > 0)
                newest = crl;
        }
        if (!newest) {
            snprintf(err, ERRLEN,
                     "trusted CA \"%.120s\" has no CRL signed by it in %.150s (each trusted "
                     "CA needs one, or revocation would silently be off)",
                     name, t->crl_dir);
            goto fail;
        }
        const ASN1_TIME *next = X509_CRL_get0_nextUpdate(newest);
        if (next && X509_cmp_current_time(next) < 0) {
            snprintf(err, ERRLEN,
                     "the newest CRL of CA \"%.120s\" in %.150s has expired (past its "
                     "nextUpdate): publish a new one",
                     name, t->crl_dir);
            goto fail;
        }
        X509_CRL_up_ref(newest);
        sk_X509_CRL_push(good, newest);
        char hashed[8192];
        snprintf(hashed, sizeof hashed, "%s/%08lx.r0", t->crl_dir,
                 X509_NAME_hash((X509_NAME *)subj));
        struct stat st;
        if (stat(hashed, &st) != 0) {
            snprintf(err, ERRLEN,
                     "the CRL of CA \"%.120s\" is not under its hash name %.160s: run "
                     "`openssl rehash %.150s`",
                     name, hashed, t->crl_dir);
            goto fail;
        }
    }
    *out = good;
    good = NULL;
    rc = 0;
fail:
    if (d)
        closedir(d);
    crl_stack_free(good);
    crl_stack_free(all);
    sk_X509_pop_free(cas, X509_free);
    return rc;
}

static int check_server_pair(const tls_state *t, char *err)
{
    int rc = -1;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    BIO *b = BIO_new_file(t->cert_path, "r");
    if (!b || !(cert = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        snprintf(err, ERRLEN, "cannot read the server certificate %.200s", t->cert_path);
        goto out;
    }
    BIO_free(b);
    b = BIO_new_file(t->key_path, "r");
    if (!b || !(key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL))) {
        snprintf(err, ERRLEN, "cannot read the server private key %.200s", t->key_path);
        goto out;
    }
    if (X509_check_private_key(cert, key) != 1) {
        snprintf(err, ERRLEN, "the server key %.200s does not match the certificate %.200s",
                 t->key_path, t->cert_path);
        goto out;
    }
    rc = 0;
out:
    ERR_clear_error();
    BIO_free(b);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

int tls_open(const char *dir, tls_state **out, char *err)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, ERRLEN, "the TLS directory %.200s does not exist", dir);
        return -1;
    }
    tls_state *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, ERRLEN, "out of memory");
        return -1;
    }
    snprintf(t->ca_path, sizeof t->ca_path, "%s/ca.crt", dir);
    snprintf(t->cert_path, sizeof t->cert_path, "%s/server.crt", dir);
    snprintf(t->key_path, sizeof t->key_path, "%s/server.key", dir);
    snprintf(t->crl_dir, sizeof t->crl_dir, "%s/crl", dir);
    pthread_rwlock_init(&t->lock, NULL);
    pthread_mutex_init(&t->cache_mu, NULL);
    t->stamp = dir_stamp(t);
    if (check_server_pair(t, err) != 0 || load_crls(t, &t->crls, err) != 0) {
        tls_close(t);
        return -1;
    }
    *out = t;
    return 0;
}

void tls_close(tls_state *t)
{
    if (!t)
        return;
    crl_stack_free(t->crls);
    pthread_rwlock_destroy(&t->lock);
    for (size_t i = 0; i < sizeof t->cache / sizeof t->cache[0]; i++)
        free(t->cache[i].pem);
    pthread_mutex_destroy(&t->cache_mu);
    if (t->grpc_inited)
        grpc_shutdown_blocking(); /* synchronous, as in rpc_server_destroy */
    free(t);
}

void *tls_server_credentials(tls_state *t, unsigned refresh_s)
{
    if (!t->grpc_inited) {
        grpc_init();
        t->grpc_inited = 1;
    }
    grpc_tls_certificate_provider *prov = grpc_tls_certificate_provider_file_watcher_create(
        t->key_path, t->cert_path, t->ca_path, refresh_s ? refresh_s : 1);
    if (!prov)
        return NULL;
    grpc_tls_credentials_options *o = grpc_tls_credentials_options_create();
    grpc_tls_credentials_options_set_certificate_provider(o, prov);
    grpc_tls_credentials_options_watch_root_certs(o);
    grpc_tls_credentials_options_watch_identity_key_cert_pairs(o);
    grpc_tls_credentials_options_set_cert_request_type(
        o, GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    grpc_tls_credentials_options_set_crl_directory(o, t->crl_dir);
    grpc_server_credentials *creds = grpc_tls_server_credentials_create(o);
    grpc_tls_certificate_provider_release(prov);
    return creds;
}

int tls_reload(tls_state *t, char *err)
{
    uint64_t now = dir_stamp(t);
    pthread_rwlock_rdlock(&t->lock);
    int same = now == t->stamp;
    pthread_rwlock_unlock(&t->lock);
    if (same)
        return 0;
    STACK_OF(X509_CRL) *fresh = NULL;
    int rc = load_crls(t, &fresh, err);
    pthread_rwlock_wrlock(&t->lock);
    t->stamp = now; /* a bad directory is reported once, not on every poll */
    if (rc == 0) {
        crl_stack_free(t->crls);
        t->crls = fresh;
        /* Every certificate that passed before is checked again against the new list. */
        __atomic_add_fetch(&t->generation, 1, __ATOMIC_RELEASE);
    }
    pthread_rwlock_unlock(&t->lock);
    return rc == 0 ? 1 : -1;
}

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* Whether `pem` passed under the current list; the whole text is compared, the hash only
 * picks the slot. */
static int passed_before(tls_state *t, const char *pem, size_t len, uint64_t hash, uint64_t gen)
{
    struct passed *e = &t->cache[hash % (sizeof t->cache / sizeof t->cache[0])];
    pthread_mutex_lock(&t->cache_mu);
    int hit = e->pem && e->hash == hash && e->generation == gen && e->len == len &&
              memcmp(e->pem, pem, len) == 0;
    pthread_mutex_unlock(&t->cache_mu);
    return hit;
}

static void remember_pass(tls_state *t, const char *pem, size_t len, uint64_t hash, uint64_t gen)
{
    char *copy = malloc(len);
    if (!copy)
        return; /* only a cache */
    memcpy(copy, pem, len);
    struct passed *e = &t->cache[hash % (sizeof t->cache / sizeof t->cache[0])];
    pthread_mutex_lock(&t->cache_mu);
    char *old = e->pem;
    *e = (struct passed){hash, gen, len, copy};
    pthread_mutex_unlock(&t->cache_mu);
    free(old);
}

uint64_t tls_generation(tls_state *t)
{
    return __atomic_load_n(&t->generation, __ATOMIC_ACQUIRE);
}

int tls_check_peer(tls_state *t, const char *pem, size_t len, char *why)
{
    if (!pem || len == 0) {
        snprintf(why, 256, "no verified client certificate");
        return -1;
    }
    /* The generation is read before the check, so a pass remembered under it is dropped by
     * a reload that happens meanwhile. */
    uint64_t gen = __atomic_load_n(&t->generation, __ATOMIC_ACQUIRE);
    uint64_t hash = fnv1a(pem, len);
    if (passed_before(t, pem, len, hash, gen))
        return 0;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!cert) {
        ERR_clear_error();
        snprintf(why, 256, "the client certificate cannot be parsed");
        return -1;
    }
    int rc = -1;
    const X509_NAME *issuer = X509_get_issuer_name(cert);
    pthread_rwlock_rdlock(&t->lock);
    X509_CRL *crl = NULL;
    for (int i = 0; i < sk_X509_CRL_num(t->crls); i++) {
        X509_CRL *c = sk_X509_CRL_value(t->crls, i);
        if (X509_NAME_cmp(X509_CRL_get_issuer(c), issuer) == 0) {
            crl = c;
            break;
        }
    }
    X509_REVOKED *rev = NULL;
    if (!crl) {
        char name[200];
        name_line(issuer, name, sizeof name);
        snprintf(why, 256, "the certificate's issuer \"%s\" has no CRL loaded", name);
    } else if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(cert)) == 1) {
        snprintf(why, 256, "the client certificate is revoked");
    } else {
        rc = 0;
    }
    pthread_rwlock_unlock(&t->lock);
    X509_free(cert);
    if (rc == 0)
        remember_pass(t, pem, len, hash, gen);
    return rc;
}
