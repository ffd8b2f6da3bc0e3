/*
 * series.c — the storage layout of industrial series and opt-ins (see series.h).
 *
 * Everything here is a pure encoding except the two opt-in helpers, which are thin wrappers
 * over store_get and store_batch_put. The month arithmetic uses record_date_from_unix for the
 * CST calendar date, so that every part of the node agrees on which day a time falls in.
 */
#include "series.h"

#include "record_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIME_BIAS    (UINT64_C(1) << 63)
#define CST_OFFSET   (8 * 3600)
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

static void put_be32(unsigned char *o, uint32_t v)
{
    o[0] = (unsigned char)(v >> 24);
    o[1] = (unsigned char)(v >> 16);
    o[2] = (unsigned char)(v >> 8);
    o[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *i)
{
    return (uint32_t)i[0] << 24 | (uint32_t)i[1] << 16 | (uint32_t)i[2] << 8 | i[3];
}

void series_value_encode(const series_value *v, unsigned char out[SERIES_VALUE_LEN])
{
    uint64_t bits;
    memcpy(&bits, &v->value, sizeof bits);
    out[0] = VALUE_FORMAT;
    store_put_be64(out + 1, bits);
    put_be32(out + 9, v->period_seconds);
    series_put_time(out + 13, v->received_at);
}

int series_value_decode(const void *buf, size_t len, series_value *out)
{
    const unsigned char *b = buf;
    if (!b || len != SERIES_VALUE_LEN || b[0] != VALUE_FORMAT)
        return -1;
    uint64_t bits = store_get_be64(b + 1);
    memcpy(&out->value, &bits, sizeof bits);
    out->period_seconds = get_be32(b + 9);
    out->received_at = series_get_time(b + 13);
    return 0;
}

/* --- Months in China Standard Time ------------------------------------------------------- */

int series_month_of(int64_t t)
{
    Credit__V1__Date d;
    record_date_from_unix(t, &d);
    return d.year * 12 + (d.month - 1);
}

void series_month_name(int month, char out[8])
{
    int y = month / 12, m = month % 12 + 1;
    if (y < 0 || y > 9999) /* not a month of record_date_from_unix's range */
        y = y < 0 ? 0 : 9999;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '\0';
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t series_month_start(int month)
{
    return days_from_civil(month / 12, month % 12 + 1, 1) * 86400 - CST_OFFSET;
}

uint32_t series_month_seconds(int month)
{
    return (uint32_t)(series_month_start(month + 1) - series_month_start(month));
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

/* --- Opt-ins ----------------------------------------------------------------------------- */

size_t series_optin_key(const char *platform, const char *uscc, char *out, size_t cap)
{
    size_t a = part_len(platform), b = part_len(uscc);
    size_t pl = sizeof SERIES_OPTIN_PREFIX - 1;
    if (!a || !b || pl + a + 1 + b > cap)
        return 0;
    memcpy(out, SERIES_OPTIN_PREFIX, pl);
    memcpy(out + pl, platform, a);
    out[pl + a] = '/';
    memcpy(out + pl + a + 1, uscc, b);
    return pl + a + 1 + b;
}

int series_optin_get(store *st, const char *platform, const char *uscc, Credit__V1__OptIn **out,
                     char *err)
{
    char key[SERIES_KEY_MAX];
    size_t klen = series_optin_key(platform, uscc, key, sizeof key);
    if (!klen)
        return STORE_ENOTFOUND; /* no such key can have been written */
    void *val = NULL;
    size_t vlen = 0;
    int rc = store_get(st, NULL, STORE_CF_AUTHZ, key, klen, &val, &vlen, err);
    if (rc != 0)
        return rc;
    Credit__V1__OptIn *o = credit__v1__opt_in__unpack(NULL, vlen, val);
    free(val);
    if (!o) {
        if (err)
            snprintf(err, STORE_ERR_LEN, "a stored opt-in cannot be decoded");
        return STORE_EIO;
    }
    *out = o;
    return 0;
}

int series_optin_put(store_batch *b, const Credit__V1__OptIn *o)
{
    char key[SERIES_KEY_MAX];
    size_t klen = series_optin_key(o->platform, o->enterprise_uscc, key, sizeof key);
    if (!klen)
        return STORE_EINVAL;
    size_t n = credit__v1__opt_in__get_packed_size(o);
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf)
        return STORE_ENOMEM;
    credit__v1__opt_in__pack(o, buf);
    store_batch_put(b, STORE_CF_AUTHZ, key, klen, buf, n);
    free(buf);
    return 0;
}
