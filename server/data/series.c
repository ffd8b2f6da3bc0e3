/*
 * series.c — the storage layout of industrial series (see series.h).
 *
 * Everything here is a pure encoding except the sample reads, writes and scans at the end,
 * which are thin wrappers over the store. Months are calendar.h's.
 */
#include "series.h"

#include "pb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIME_BIAS    (UINT64_C(1) << 63)
#define VALUE_FORMAT 1

/* A part of a key: non-empty, no "/", at most SERIES_CODE_MAX bytes. Returns its length or 0. */
static size_t part_len(const char *s)
{
    size_t n = s ? strnlen(s, SERIES_CODE_MAX + 1) : 0;
    if (n == 0 || n > SERIES_CODE_MAX || memchr(s, '/', n))
        return 0;
    return n;
}

size_t series_prefix(const char *uscc, const char *section, const char *metric, char *out,
                     size_t cap)
{
    size_t a = part_len(uscc), b = part_len(section), c = part_len(metric);
    if (!a || !b || !c || a + b + c + 3 > cap)
        return 0;
    char *p = out;
    memcpy(p, uscc, a);
    p += a;
    *p++ = '/';
    memcpy(p, section, b);
    p += b;
    *p++ = '/';
    memcpy(p, metric, c);
    p += c;
    *p++ = '/';
    return (size_t)(p - out);
}

size_t series_key_finish(char *out, size_t plen, size_t cap, int64_t t, const char *platform)
{
    size_t n = part_len(platform);
    if (!n || plen + 8 + 1 + n > cap)
        return 0;
    series_put_time((unsigned char *)out + plen, t);
    out[plen + 8] = '/';
    memcpy(out + plen + 9, platform, n);
    return plen + 9 + n;
}

int series_key_parse(const char *key, size_t klen, size_t plen, int64_t *t, const char **platform,
                     size_t *platform_len)
{
    if (klen < plen + 10 || klen - plen - 9 > SERIES_CODE_MAX || key[plen + 8] != '/')
        return -1;
    if (memchr(key + plen + 9, '/', klen - plen - 9))
        return -1;
    *t = series_get_time((const unsigned char *)key + plen);
    *platform = key + plen + 9;
    *platform_len = klen - plen - 9;
    return 0;
}

void series_put_time(unsigned char out[8], int64_t t)
{
    store_put_be64(out, (uint64_t)t ^ TIME_BIAS);
}

int64_t series_get_time(const unsigned char in[8])
{
    uint64_t u = store_get_be64(in) ^ TIME_BIAS;
    int64_t t;
    memcpy(&t, &u, sizeof t); /* two's complement reinterpretation, without UB */
    return t;
}

void series_value_encode(const series_value *v, unsigned char out[SERIES_VALUE_LEN])
{
    uint64_t bits;
    memcpy(&bits, &v->value, sizeof bits);
    out[0] = VALUE_FORMAT;
    store_put_be64(out + 1, bits);
    store_put_be32(out + 9, v->period_seconds);
    series_put_time(out + 13, v->received_at);
}

int series_value_decode(const void *buf, size_t len, series_value *out)
{
    const unsigned char *b = buf;
    if (!b || len != SERIES_VALUE_LEN || b[0] != VALUE_FORMAT)
        return -1;
    uint64_t bits = store_get_be64(b + 1);
    memcpy(&out->value, &bits, sizeof bits);
    out->period_seconds = store_get_be32(b + 9);
    out->received_at = series_get_time(b + 13);
    return 0;
}

/* --- Page tokens ------------------------------------------------------------------------- */

static const char HEX[] = "0123456789abcdef";

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

size_t series_token_encode(int64_t t, const char *platform, char out[SERIES_TOKEN_MAX])
{
    unsigned char raw[8 + SERIES_CODE_MAX];
    size_t n = part_len(platform);
    if (!n)
        return 0;
    series_put_time(raw, t);
    memcpy(raw + 8, platform, n);
    for (size_t i = 0; i < 8 + n; i++) {
        out[2 * i] = HEX[raw[i] >> 4];
        out[2 * i + 1] = HEX[raw[i] & 15];
    }
    out[2 * (8 + n)] = '\0';
    return 2 * (8 + n);
}

int series_token_decode(const char *tok, int64_t *t, char platform[SERIES_CODE_MAX + 1])
{
    unsigned char raw[8 + SERIES_CODE_MAX];
    size_t len = strnlen(tok, SERIES_TOKEN_MAX);
    if (len % 2 || len < 2 * 9 || len > 2 * (8 + SERIES_CODE_MAX))
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_val(tok[2 * i]), lo = hex_val(tok[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        raw[i] = (unsigned char)(hi << 4 | lo);
    }
    size_t n = len / 2 - 8;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = raw[8 + i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return -1; /* a unit code (registry.h) */
    }
    *t = series_get_time(raw);
    memcpy(platform, raw + 8, n);
    platform[n] = '\0';
    return 0;
}

/* --- Samples in the store ----------------------------------------------------------------- */

/* The key of one sample into key[SERIES_KEY_MAX]; its length, or 0 if the parts make none. */
static size_t sample_key(char *key, const char *uscc, const char *section, const char *metric,
                         int64_t t, const char *platform)
{
    size_t plen = series_prefix(uscc, section, metric, key, SERIES_KEY_MAX);

    return plen ? series_key_finish(key, plen, SERIES_KEY_MAX, t, platform) : 0;
}

int series_sample_get(store *st, const char *uscc, const char *section, const char *metric,
                      int64_t t, const char *platform, series_value *out, char *err)
{
    char key[SERIES_KEY_MAX];
    size_t klen = sample_key(key, uscc, section, metric, t, platform);
    void *val = NULL;
    size_t vlen = 0;
    int rc;

    if (!klen)
        return STORE_EINVAL;
    rc = store_get(st, NULL, STORE_CF_SERIES, key, klen, &val, &vlen, err);
    if (rc != 0)
        return rc;
    rc = series_value_decode(val, vlen, out) == 0 ? 0 : STORE_ECORRUPT;
    if (rc != 0 && err)
        snprintf(err, STORE_ERR_LEN, "a stored sample cannot be decoded");
    free(val);
    return rc;
}

int series_sample_put(store_batch *b, const char *uscc, const char *section, const char *metric,
                      int64_t t, const char *platform, const series_value *v)
{
    char key[SERIES_KEY_MAX];
    size_t klen = sample_key(key, uscc, section, metric, t, platform);
    unsigned char val[SERIES_VALUE_LEN];

    if (!klen)
        return STORE_EINVAL;
    series_value_encode(v, val);
    store_batch_put(b, STORE_CF_SERIES, key, klen, val, sizeof val);
    return 0;
}

struct series_scan {
    pb_scan *s; /* a raw scan: sample values are not messages */
    size_t plen;
};

int series_scan_open(store *st, const char *uscc, const char *section, const char *metric,
                     const int64_t *from, const char *from_platform, series_scan **out)
{
    char prefix[SERIES_KEY_MAX], start[SERIES_KEY_MAX];
    size_t plen = series_prefix(uscc, section, metric, prefix, sizeof prefix), slen = plen;
    series_scan *s;

    if (!plen)
        return STORE_EINVAL;
    memcpy(start, prefix, plen);
    if (from && from_platform) {
        if (!(slen = series_key_finish(start, plen, sizeof start, *from, from_platform)))
            return STORE_EINVAL;
    } else if (from) {
        series_put_time((unsigned char *)start + plen, *from);
        slen = plen + 8;
    }
    if (!(s = calloc(1, sizeof *s)))
        return STORE_ENOMEM;
    s->plen = plen;
    if (pb_scan_open(st, NULL, STORE_CF_SERIES, prefix, plen, start, slen, NULL, &s->s) != 0) {
        free(s);
        return STORE_ENOMEM;
    }
    *out = s;
    return 0;
}

int series_scan_next(series_scan *s, int64_t *t, const char **platform, size_t *platform_len,
                     series_value *v, char *err)
{
    const void *key, *val;
    size_t klen, vlen;
    int rc = pb_scan_next_raw(s->s, &key, &klen, &val, &vlen, err);

    if (rc <= 0)
        return rc;
    if (series_key_parse(key, klen, s->plen, t, platform, platform_len) != 0 ||
        series_value_decode(val, vlen, v) != 0) {
        if (err)
            snprintf(err, STORE_ERR_LEN, "a stored sample cannot be decoded");
        return STORE_ECORRUPT;
    }
    return 1;
}

void series_scan_close(series_scan *s)
{
    if (!s)
        return;
    pb_scan_close(s->s);
    free(s);
}
