/*
 * portrait.c — credit.v1.CreditFinance for libcreditclient: getting a signed portrait, the
 * node's signing key, and checking a portrait offline.
 *
 * A check needs nothing but the portrait's bytes and the node's public key (PEM), both of
 * which a lender keeps: no call, no node. The signed bytes are the portrait's encoding
 * without its field 15 (signature), which the node writes last (finance.proto); the check
 * walks the encoding's top-level fields, requires field 15 exactly once and last, and checks
 * the ECDSA P-256 SHA-256 signature over the bytes before it. It also requires the portrait's
 * key_id to be the key's, so a portrait checked against the wrong node's key says so.
 */
#include "client_int.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdio.h>
#include <string.h>

#define FINANCE(method) "/credit.v1.CreditFinance/" method
#define SIGNATURE_FIELD 15

int credit_client_portrait_get(credit_client *c, Credit__V1__SubjectKind kind,
                               const char *identifier, const char *template_code,
                               const char *grant_id, Credit__V1__Portrait **out, credit_status *st)
{
    Credit__V1__GetPortraitRequest req = CREDIT__V1__GET_PORTRAIT_REQUEST__INIT;
    Credit__V1__SubjectRef subject = CREDIT__V1__SUBJECT_REF__INIT;
    ProtobufCMessage *resp = NULL;

    if (!c || !out || !identifier || !template_code || !grant_id) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT,
                    "client, identifier, template, grant_id and out are required");
        return CREDIT_EINVAL;
    }
    subject.kind = kind;
    subject.identifier = (char *)identifier;
    req.subject = &subject;
    req.template_ = (char *)template_code;
    req.grant_id = (char *)grant_id;
    int rc = client_unary(c, FINANCE("GetPortrait"), &req.base, &credit__v1__portrait__descriptor,
                          &resp, 0, st);
    if (rc == CREDIT_OK)
        *out = (Credit__V1__Portrait *)resp;
    return rc;
}

int credit_client_signing_key_get(credit_client *c, Credit__V1__SigningKey **out, credit_status *st)
{
    Credit__V1__GetSigningKeyRequest req = CREDIT__V1__GET_SIGNING_KEY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;

    if (!c || !out) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "client and out are required");
        return CREDIT_EINVAL;
    }
    int rc = client_unary(c, FINANCE("GetSigningKey"), &req.base,
                          &credit__v1__signing_key__descriptor, &resp, 0, st);
    if (rc == CREDIT_OK)
        *out = (Credit__V1__SigningKey *)resp;
    return rc;
}

/* Reads a base-128 varint at b[*at..len). Returns 0 and advances *at, or -1. */
static int varint(const uint8_t *b, size_t len, size_t *at, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *at < len; shift += 7) {
        uint8_t byte = b[(*at)++];
        *v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return 0;
    }
    return -1;
}

/* Where field 15 starts in the encoding, with the signature it holds; -1 unless the encoding
 * is well formed and field 15 is there once, last. */
static int find_signature(const uint8_t *b, size_t len, size_t *start, const uint8_t **sig,
                          size_t *sig_len)
{
    size_t at = 0, found = (size_t)-1;
    uint64_t tag, n;

    while (at < len) {
        size_t field_start = at;
        if (varint(b, len, &at, &tag) != 0)
            return -1;
        switch (tag & 7) {
        case 0:
            if (varint(b, len, &at, &n) != 0)
                return -1;
            break;
        case 1:
            at += 8;
            break;
        case 5:
            at += 4;
            break;
        case 2:
            if (varint(b, len, &at, &n) != 0 || n > len - at)
                return -1;
            if ((tag >> 3) == SIGNATURE_FIELD) {
                if (found != (size_t)-1)
                    return -1;
                found = field_start;
                *sig = b + at;
                *sig_len = (size_t)n;
            }
            at += (size_t)n;
            break;
        default:
            return -1;
        }
        if (at > len)
            return -1;
        if (found != (size_t)-1 && found != field_start && (tag >> 3) != SIGNATURE_FIELD)
            return -1; /* a field after the signature: not what the node writes */
    }
    if (found == (size_t)-1)
        return -1;
    *start = found;
    return 0;
}

/* The key id of `pub`: hex SHA-256 of its DER SubjectPublicKeyInfo, into id[65]. */
static int key_id(EVP_PKEY *pub, char id[65])
{
    unsigned char *der = NULL, md[32];
    unsigned int mdlen = 0;
    int len = i2d_PUBKEY(pub, &der);
    int ok = len > 0 && EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL);

    OPENSSL_free(der);
    for (unsigned i = 0; ok && i < mdlen; i++)
        snprintf(id + 2 * i, 3, "%02x", md[i]);
    return ok ? 0 : -1;
}

int credit_portrait_verify(const void *data, size_t len, const char *public_key_pem,
                           credit_status *st)
{
    const uint8_t *b = data, *sig = NULL;
    size_t body = 0, sig_len = 0;
    Credit__V1__Portrait *p = NULL;
    EVP_PKEY *pub = NULL;
    EVP_MD_CTX *ctx = NULL;
    BIO *bio = NULL;
    char id[65] = "";
    int rc = CREDIT_EVERIFY;

    if (!data || !public_key_pem) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "data and public_key_pem are required");
        return CREDIT_EINVAL;
    }
    if (!(p = credit__v1__portrait__unpack(NULL, len, b))) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "not a credit.v1.Portrait");
        return CREDIT_EDECODE;
    }
    bio = BIO_new_mem_buf(public_key_pem, -1);
    pub = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    if (!pub || key_id(pub, id) != 0) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "public_key_pem: not a PEM public key");
        rc = CREDIT_EINVAL;
        goto out;
    }
    if (find_signature(b, len, &body, &sig, &sig_len) != 0) {
        client_fail(st, CREDIT_CODE_DATA_LOSS,
                    "the portrait has no signature as its last field: not as the node signs");
        goto out;
    }
    if (strcmp(p->key_id, id) != 0) {
        client_fail(st, CREDIT_CODE_DATA_LOSS, "the portrait names key %.64s; this key is %.64s",
                    p->key_id, id);
        goto out;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) != 1) {
        client_fail(st, CREDIT_CODE_INTERNAL, "cannot set up the check (OpenSSL)");
        rc = CREDIT_ENOMEM;
        goto out;
    }
    if (EVP_DigestVerify(ctx, sig, sig_len, b, body) != 1) {
        client_fail(st, CREDIT_CODE_DATA_LOSS,
                    "the signature does not match: the portrait was changed or not signed by "
                    "this key");
        goto out;
    }
    client_ok(st);
    rc = CREDIT_OK;
out:
    ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pub);
    BIO_free(bio);
    credit__v1__portrait__free_unpacked(p, NULL);
    return rc;
}
