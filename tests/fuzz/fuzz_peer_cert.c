/*
 * fuzz_peer_cert.c — a client certificate from hostile bytes, as far as our code reads it:
 * tls_check_peer (tls.c: PEM_read_bio_X509 of the peer's PEM, its issuer looked up among the
 * loaded CRLs, its serial in the CRL, the cache of passes), then the identity the node
 * derives from it (rpc.c: a SAN URI "urn:credit:unit:..." first, else "cn:<CN>") and
 * registry_check_identity on that identity.
 *
 * The gRPC core hands rpc.c the SAN URIs and CN from its own parse of a verified
 * certificate, which no harness can reach without a handshake; here OpenSSL parses them from
 * the fuzzed certificate the same way, so the identity rules see what a certificate can say.
 *
 * Set-up (once a process): the development PKI is made with certs/make-dev-certs.sh into a
 * temporary directory and opened with tls_open, so the CRL set is real (tls_open keeps the
 * CAs and CRLs in memory, so the directory is removed at once; tls_reload is never called); its
 * CA's name is the same on every run, so the committed seed certificates (public
 * certificates only, no keys) find their issuer's CRL. As a check of the harness itself, the
 * PKI's tax certificate must pass and bad/revoked.crt must be refused.
 *
 * Input: the PEM text. What must hold: no sanitizer report, and a refusal has a reason.
 */
#define _GNU_SOURCE 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fuzz_common.h"
#include "registry.h"
#include "tls.h"

#define IDENTITY_MAX 256 /* rpc_peer's identity buffer */

static tls_state *tls;
static char pki[4096]; /* the temporary directory, then its tls/ */

static void remove_dir(const char *dir)
{
    char cmd[4200];
    if (snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir) < (int)sizeof cmd && system(cmd) != 0)
        fprintf(stderr, "fuzz setup: cannot remove %s\n", dir);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(65536);
    size_t n = buf ? fread(buf, 1, 65536, f) : 0;
    fclose(f);
    *len = n;
    return buf;
}

static void expect(const char *file, int verdict)
{
    char path[4200], why[256];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", pki, file);
    char *pem = read_all(path, &len);
    if (!pem)
        FUZZ_SETUP_FAIL("cannot read %s", path);
    if (tls_check_peer(tls, pem, len, why) != verdict)
        FUZZ_SETUP_FAIL("%s: expected %d from tls_check_peer", file, verdict);
    free(pem);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    char cmd[8400], err[512];
    snprintf(pki, sizeof pki, "%s/fuzz_peer_cert.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(pki))
        FUZZ_SETUP_FAIL("mkdtemp %s", pki);
    char top[sizeof pki];
    memcpy(top, pki, sizeof top);
    if (snprintf(cmd, sizeof cmd, "'%s/certs/make-dev-certs.sh' '%s/tls' >/dev/null 2>&1",
                 CREDIT_SOURCE_DIR, pki) >= (int)sizeof cmd || system(cmd) != 0)
        FUZZ_SETUP_FAIL("make-dev-certs.sh failed");
    strncat(pki, "/tls", sizeof pki - strlen(pki) - 1);
    if (tls_open(pki, &tls, err) != 0)
        FUZZ_SETUP_FAIL("tls_open: %s", err);
    expect("units/tax.crt", 0);
    expect("bad/revoked.crt", -1);
    remove_dir(top);
    return 0;
}

/* rpc.c's identity rule on what the certificate says: a unit URI wins over any other URI; a
 * certificate without URI is known by its CN. */
static void identity_of(const char *pem, size_t len, char *identity)
{
    identity[0] = '\0';
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    if (!cert)
        return;
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (g->type != GEN_URI)
            continue;
        const unsigned char *v = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
        int n = ASN1_STRING_length(g->d.uniformResourceIdentifier);
        int is_unit = n > 16 && memcmp(v, "urn:credit:unit:", 16) == 0;
        if (is_unit || identity[0] == '\0') {
            size_t c = n < IDENTITY_MAX - 1 ? (size_t)n : IDENTITY_MAX - 1;
            memcpy(identity, v, c);
            identity[c] = '\0';
        }
        if (is_unit)
            break;
    }
    GENERAL_NAMES_free(sans);
    if (identity[0] == '\0') {
        char cn[IDENTITY_MAX - 3];
        int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                                          sizeof cn);
        if (n > 0)
            snprintf(identity, IDENTITY_MAX, "cn:%s", cn);
    }
    X509_free(cert);
    ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    const char *pem = (const char *)data;
    if (tls_check_peer(tls, pem, size, why) != 0 &&
        (memchr(why, '\0', sizeof why) == NULL || why[0] == '\0')) {
        fprintf(stderr, "a certificate refused without a reason\n");
        abort();
    }
    char identity[IDENTITY_MAX], rwhy[128];
    identity_of(pem, size, identity);
    if (identity[0])
        (void)registry_check_identity(identity, rwhy);
    return 0;
}
