/*
 * series.h — industrial time series in the store: keys, values, samples, scans, tokens.
 *
 * Samples (STORE_CF_SERIES), one key per (enterprise, section, metric, period start,
 * platform):
 *
 *     <enterprise USCC> "/" <section> "/" <metric> "/" be64(period_start + 2^63) "/" <platform>
 *
 * so that one prefix scan over "<uscc>/<section>/<metric>/" gives an enterprise's metric in
 * time order, with the reports of several platforms for the same period side by side (in
 * platform order). Codes never hold "/" (a USCC is 18 symbols of its alphabet, section and
 * metric codes come from the catalogue, platforms are unit codes), and the time is a fixed
 * 8 bytes, so the key parses back without escapes. The time is offset by 2^63 (the sign bit
 * flipped) so that byte order is numeric order for negative times too.
 *
 * The value is SERIES_VALUE_LEN bytes: a format byte (1), the value as the big-endian bits of
 * an IEEE-754 double, be32 period_seconds, be64 received_at (unix seconds, as an offset time).
 *
 * Opt-ins, which decide who may push samples, are kept by optins.h.
 *
 * Pure functions except the sample reads, writes and scans at the end; all are safe from any
 * thread (a scan belongs to one thread at a time).
 */
#ifndef CREDIT_SERIES_H
#define CREDIT_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "credit/v1/industrial.pb-c.h"
#include "store.h"

#define SERIES_CODE_MAX     64 /* section, metric and platform codes */
#define SERIES_USCC_LEN     18
#define SERIES_KEY_MAX      256 /* fits every key below */
#define SERIES_VALUE_LEN    21
#define SERIES_TOKEN_MAX    (2 * (8 + SERIES_CODE_MAX) + 1) /* a page token with its NUL */

typedef struct series_value {
    double value;
    uint32_t period_seconds;
    int64_t received_at;
} series_value;

/* Writes the prefix "<uscc>/<section>/<metric>/" into out[cap]. Returns its length, or 0 if
 * it does not fit or a part is empty or holds a "/". No NUL is written. */
size_t series_prefix(const char *uscc, const char *section, const char *metric, char *out,
                     size_t cap);

/* Writes a sample's key: the prefix (plen bytes, already in out) followed by the time and the
 * platform. Returns the key's whole length, or 0 if it does not fit or the platform is empty
 * or holds a "/". */
size_t series_key_finish(char *out, size_t plen, size_t cap, int64_t t, const char *platform);

/* Parses the part of key[klen] after a prefix of plen bytes. Returns 0 with *t and the
 * platform (borrowed from key, not NUL-terminated: *platform_len bytes), or -1 if the key
 * is not a sample key under that prefix. */
int series_key_parse(const char *key, size_t klen, size_t plen, int64_t *t, const char **platform,
                     size_t *platform_len);

/* Time encoding used in keys and tokens: byte order is numeric order. */
void series_put_time(unsigned char out[8], int64_t t);
int64_t series_get_time(const unsigned char in[8]);

void series_value_encode(const series_value *v, unsigned char out[SERIES_VALUE_LEN]);
/* Returns 0, or -1 if buf[len] is not a value of this format (out untouched). */
int series_value_decode(const void *buf, size_t len, series_value *out);

/* Page tokens: the time and platform of the first sample of the next page, as lower-case
 * hex. encode returns the token's length (0 if the platform is too long); decode returns 0
 * and fills *t and platform[SERIES_CODE_MAX + 1], or -1 for anything this node did not make. */
size_t series_token_encode(int64_t t, const char *platform, char out[SERIES_TOKEN_MAX]);
int series_token_decode(const char *tok, int64_t *t, char platform[SERIES_CODE_MAX + 1]);

/* --- Samples in the store ----------------------------------------------------------------- */

/* The sample of `platform` for (uscc, section, metric) at period start t. Returns 0 with *out,
 * STORE_ENOTFOUND, STORE_EINVAL (the parts make no key), STORE_ECORRUPT (the stored value
 * does not decode) or a store error with err. */
int series_sample_get(store *st, const char *uscc, const char *section, const char *metric,
                      int64_t t, const char *platform, series_value *out, char *err);

/* Adds the sample to the batch. Returns 0 or STORE_EINVAL (the parts make no key). */
int series_sample_put(store_batch *b, const char *uscc, const char *section, const char *metric,
                      int64_t t, const char *platform, const series_value *v);

/* A scan of one enterprise's metric in time order (then platform order). */
typedef struct series_scan series_scan;

/* Opens a scan of (uscc, section, metric) from the start, or from time *from (when `from` is
 * not NULL), or from the sample (*from, from_platform) of a page token (when from_platform is
 * not NULL as well). Returns 0 with *out (close with series_scan_close), STORE_EINVAL (the
 * parts make no key) or STORE_ENOMEM. */
int series_scan_open(store *st, const char *uscc, const char *section, const char *metric,
                     const int64_t *from, const char *from_platform, series_scan **out);

/* The next sample: its time, its platform (borrowed, *platform_len bytes, not NUL-terminated,
 * valid until the next call) and value. Returns 1, 0 at the end, STORE_ECORRUPT (a key or
 * value that does not decode) or STORE_EIO with err. */
int series_scan_next(series_scan *s, int64_t *t, const char **platform, size_t *platform_len,
                     series_value *v, char *err);
void series_scan_close(series_scan *s);

#endif /* CREDIT_SERIES_H */
