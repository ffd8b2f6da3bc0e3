/*
 * pagetoken.c — see pagetoken.h.
 */
#include "pagetoken.h"
#include "algs.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VERSION 1
#define MAC_LEN 16
#define HEAD_LEN (1 + 8 + 1)
#define RAW_MAX (HEAD_LEN + PAGETOKEN_POS_MAX + MAC_LEN)

_Static_assert((RAW_MAX * 4 + 2) / 3 + 1 <= PAGETOKEN_MAX, "a token fits its buffer");

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    return o;
}

/* Decodes base64url without padding into out[cap]; returns the length, or -1. */
static long b64_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t n = strlen(in), o = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *p = memchr(b64, in[i], 64);
        if (!p || !in[i])
            return -1;
        acc = (acc << 6) | (uint32_t)(p - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Canonical only: the bits left over are zero, so one token has one spelling. */
    if (acc & ((1u << bits) - 1))
        return -1;
    return (long)o;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* HMAC over method, caller, the request without page_token and page_size, and head|pos. */
static int mac_of(const pagetoken_key *key, const char *method, const char *caller,
                  const ProtobufCMessage *req, const unsigned char *body, size_t body_len,
                  unsigned char out[MAC_LEN])
{
    const ProtobufCMessageDescriptor *d = req->descriptor;
    ProtobufCMessage *copy = malloc(d->sizeof_message);
    unsigned char *packed = NULL, *msg = NULL, md[32];
    int rc = -1;
    if (!copy)
        return -1;
    /* A shallow copy with the paging fields (page_token, page_size, history_page_token, ...)
     * at their defaults: borrowed for packing only. */
    memcpy(copy, req, d->sizeof_message);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        if (f->type == PROTOBUF_C_TYPE_STRING && ends_with(f->name, "page_token"))
            *(const char **)((char *)copy + f->offset) = "";
        else if (f->type == PROTOBUF_C_TYPE_INT32 && ends_with(f->name, "page_size"))
            *(int32_t *)((char *)copy + f->offset) = 0;
    }
    size_t plen = protobuf_c_message_get_packed_size(copy);
    packed = malloc(plen ? plen : 1);
    if (!packed)
        goto out;
    protobuf_c_message_pack(copy, packed);
    /* Each part with its length, so that no two inputs run together the same way. */
    uint64_t lens[4] = {strlen(method), strlen(caller), plen, body_len};
    const void *parts[4] = {method, caller, packed, body};
    size_t total = 0;
    for (int i = 0; i < 4; i++)
        total += 8 + lens[i];
    msg = malloc(total);
    if (!msg)
        goto out;
    size_t at = 0;
    for (int i = 0; i < 4; i++) {
        for (int b = 0; b < 8; b++)
            msg[at++] = (unsigned char)(lens[i] >> (56 - 8 * b));
        memcpy(msg + at, parts[i], lens[i]);
        at += lens[i];
    }
    if (algs_hmac_sha256(key->k, sizeof key->k, msg, total, md) != 0)
        goto out;
    memcpy(out, md, MAC_LEN);
    rc = 0;
out:
    free(msg);
    free(packed);
    free(copy);
    return rc;
}

int pagetoken_make(const pagetoken_key *key, const char *method, const char *caller,
                   const ProtobufCMessage *req, const void *pos, size_t pos_len, int64_t now,
                   char *out)
{
    unsigned char raw[RAW_MAX];
    if (pos_len > PAGETOKEN_POS_MAX)
        return -1;
    uint64_t exp = (uint64_t)(now + PAGETOKEN_TTL_SECONDS);
    raw[0] = VERSION;
    for (int b = 0; b < 8; b++)
        raw[1 + b] = (unsigned char)(exp >> (56 - 8 * b));
    raw[9] = (unsigned char)pos_len;
    memcpy(raw + HEAD_LEN, pos, pos_len);
    if (mac_of(key, method, caller, req, raw, HEAD_LEN + pos_len, raw + HEAD_LEN + pos_len) != 0)
        return -1;
    b64_encode(raw, HEAD_LEN + pos_len + MAC_LEN, out);
    return 0;
}

int pagetoken_read(const pagetoken_key *key, const char *method, const char *caller,
                   const ProtobufCMessage *req, const char *token, int64_t now, char *pos,
                   size_t *pos_len, char *why)
{
    unsigned char raw[RAW_MAX], mac[MAC_LEN];
    long n = strlen(token) < PAGETOKEN_MAX ? b64_decode(token, raw, sizeof raw) : -1;
    if (n < HEAD_LEN + MAC_LEN || raw[0] != VERSION || (long)(HEAD_LEN + raw[9] + MAC_LEN) != n) {
        snprintf(why, PAGETOKEN_WHY_LEN, "not a page token of this node");
        return -1;
    }
    size_t plen = raw[9];
    if (mac_of(key, method, caller, req, raw, HEAD_LEN + plen, mac) != 0) {
        snprintf(why, PAGETOKEN_WHY_LEN, "cannot be checked now");
        return -1;
    }
    if (CRYPTO_memcmp(mac, raw + HEAD_LEN + plen, MAC_LEN) != 0) {
        snprintf(why, PAGETOKEN_WHY_LEN,
                 "was not given for this query (another subject, filter, tier or caller), or "
                 "is not a token of this node; start the listing without a token");
        return -1;
    }
    uint64_t exp = 0;
    for (int b = 0; b < 8; b++)
        exp = (exp << 8) | raw[1 + b];
    if ((int64_t)exp < now) {
        time_t t = (time_t)exp;
        struct tm tm;
        char when[32] = "?";
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(why, PAGETOKEN_WHY_LEN,
                 "expired at %s (a token is good for %d s); start the listing again", when,
                 PAGETOKEN_TTL_SECONDS);
        return -1;
    }
    memcpy(pos, raw + HEAD_LEN, plen);
    pos[plen] = '\0';
    *pos_len = plen;
    return 0;
}
