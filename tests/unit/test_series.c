/*
 * test_series.c — unit tests for server/data/series.c: key encoding and its order, value and page
 * token round trips, and samples in a real store.
 *
 * The order tests write keys into a real RocksDB store in a temporary directory and read them
 * back with a prefix scan, so that they prove what the server relies on: byte order of the
 * keys is time order, negative times included, and a metric's prefix holds only its samples.
 */
#include "testutil.h"

#include <math.h>

#include "series.h"

#define USCC "91500227MA5UACME5L"

/* 2026-10-31T20:00:00Z: 2026-11-01 04:00 in China. */
#define T_NOV_CST INT64_C(1793476800)

struct fixture {
    char dir[PATH_MAX];
    char db[PATH_MAX];
    store *st;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    char err[STORE_ERR_LEN];
    store_options o;
    if (!fx || tu_mkdtemp(fx->dir, sizeof fx->dir, "test_series") != 0 ||
        tu_join(fx->db, sizeof fx->db, fx->dir, "db") != 0) {
        free(fx);
        return -1;
    }
    store_options_init(&o);
    o.sync = 0;
    if (store_open(fx->db, &o, &fx->st, err) != 0) {
        print_error("store_open: %s\n", err);
        tu_rmrf(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    store_close(fx->st);
    tu_rmrf(fx->dir);
    free(fx);
    return 0;
}

static size_t key_of(char *out, const char *metric, int64_t t, const char *platform)
{
    size_t plen = series_prefix(USCC, "ENERGY_USE", metric, out, SERIES_KEY_MAX);
    assert_true(plen > 0);
    size_t klen = series_key_finish(out, plen, SERIES_KEY_MAX, t, platform);
    assert_true(klen > plen);
    return klen;
}

static void test_key_has_the_documented_layout(void **state)
{
    (void)state;
    char k[SERIES_KEY_MAX];
    size_t klen = key_of(k, "electricity_kwh", 0, "ind-platform");
    const char *want = USCC "/ENERGY_USE/electricity_kwh/";
    size_t plen = strlen(want);
    assert_int_equal(klen, plen + 8 + 1 + strlen("ind-platform"));
    assert_memory_equal(k, want, plen);
    /* Time 0 is 2^63 big-endian: 0x80 then seven zero bytes. */
    assert_int_equal((unsigned char)k[plen], 0x80);
    for (int i = 1; i < 8; i++)
        assert_int_equal(k[plen + i], 0);
    assert_int_equal(k[plen + 8], '/');
    assert_memory_equal(k + plen + 9, "ind-platform", strlen("ind-platform"));

    int64_t t = -1;
    const char *pf;
    size_t pflen;
    assert_int_equal(series_key_parse(k, klen, plen, &t, &pf, &pflen), 0);
    assert_int_equal(t, 0);
    assert_int_equal(pflen, strlen("ind-platform"));
    assert_memory_equal(pf, "ind-platform", pflen);
}

static void test_key_parts_with_a_slash_or_empty_are_refused(void **state)
{
    (void)state;
    char k[SERIES_KEY_MAX];
    assert_int_equal(series_prefix(USCC, "ENERGY/USE", "x", k, sizeof k), 0);
    assert_int_equal(series_prefix(USCC, "", "x", k, sizeof k), 0);
    assert_int_equal(series_prefix(USCC, "S", "", k, sizeof k), 0);
    assert_int_equal(series_prefix(USCC, "S", "m", k, 5), 0); /* does not fit */
    size_t plen = series_prefix(USCC, "S", "m", k, sizeof k);
    assert_true(plen > 0);
    assert_int_equal(series_key_finish(k, plen, sizeof k, 1, "a/b"), 0);
    assert_int_equal(series_key_finish(k, plen, sizeof k, 1, ""), 0);
    assert_int_equal(series_key_finish(k, plen, plen + 8, 1, "p"), 0);
    /* A key cut short, or with a slash in the platform, does not parse. */
    int64_t t;
    const char *pf;
    size_t pflen;
    size_t klen = series_key_finish(k, plen, sizeof k, 1, "p");
    assert_int_equal(series_key_parse(k, plen + 9, plen, &t, &pf, &pflen), -1);
    k[klen - 1] = '/';
    assert_int_equal(series_key_parse(k, klen, plen, &t, &pf, &pflen), -1);
}

static void test_time_encoding_round_trips_at_the_extremes(void **state)
{
    (void)state;
    const int64_t ts[] = {INT64_MIN, -86400, -1, 0, 1, T_NOV_CST, INT64_MAX};
    unsigned char prev[8], cur[8];
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        series_put_time(cur, ts[i]);
        assert_true(series_get_time(cur) == ts[i]);
        if (i)
            assert_true(memcmp(prev, cur, 8) < 0);
        memcpy(prev, cur, 8);
    }
}

static void test_prefix_scan_returns_samples_in_time_then_platform_order(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN];
    /* Written out of order, with a neighbouring metric whose code extends this one's. */
    const int64_t times[] = {T_NOV_CST, -5, 300, 0, 256, 1, -300};
    store_batch *b = store_batch_create();
    assert_non_null(b);
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char k[SERIES_KEY_MAX];
        size_t klen = key_of(k, "water_m3", times[i], "p-b");
        store_batch_put(b, STORE_CF_SERIES, k, klen, "v", 1);
        klen = key_of(k, "water_m3", times[i], "p-a");
        store_batch_put(b, STORE_CF_SERIES, k, klen, "v", 1);
        klen = key_of(k, "water_m3x", times[i], "p-a");
        store_batch_put(b, STORE_CF_SERIES, k, klen, "v", 1);
    }
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);

    char prefix[SERIES_KEY_MAX];
    size_t plen = series_prefix(USCC, "ENERGY_USE", "water_m3", prefix, sizeof prefix);
    const int64_t want[] = {-300, -5, 0, 1, 256, 300, T_NOV_CST};
    store_iter *it = store_iter_create(fx->st, NULL, STORE_CF_SERIES, prefix, plen, NULL, 0);
    size_t n = 0;
    for (; store_iter_valid(it); store_iter_next(it), n++) {
        size_t klen, pflen;
        const char *k = store_iter_key(it, &klen), *pf;
        int64_t t;
        assert_true(n < 14);
        assert_int_equal(series_key_parse(k, klen, plen, &t, &pf, &pflen), 0);
        assert_true(t == want[n / 2]);
        assert_int_equal(pflen, 3);
        assert_memory_equal(pf, n % 2 ? "p-b" : "p-a", 3);
    }
    CHECK_OK(store_iter_error(it, err));
    store_iter_destroy(it);
    assert_int_equal(n, 14);
}

static void test_value_round_trips_and_rejects_other_formats(void **state)
{
    (void)state;
    series_value v = {.value = -1234.5625,
                      .period_seconds = 31u * 86400u,
                      .received_at = T_NOV_CST},
                 w;
    unsigned char buf[SERIES_VALUE_LEN];
    series_value_encode(&v, buf);
    assert_int_equal(series_value_decode(buf, sizeof buf, &w), 0);
    assert_true(w.value == v.value);
    assert_int_equal(w.period_seconds, v.period_seconds);
    assert_true(w.received_at == v.received_at);
    assert_int_equal(series_value_decode(buf, sizeof buf - 1, &w), -1);
    buf[0] = 2;
    assert_int_equal(series_value_decode(buf, sizeof buf, &w), -1);
    assert_int_equal(series_value_decode(NULL, 0, &w), -1);
}

static void test_page_token_round_trips_and_rejects_foreign_text(void **state)
{
    (void)state;
    char tok[SERIES_TOKEN_MAX], pf[SERIES_CODE_MAX + 1];
    int64_t t;
    size_t n = series_token_encode(T_NOV_CST, "ind-platform", tok);
    assert_int_equal(n, strlen(tok));
    assert_int_equal(series_token_decode(tok, &t, pf), 0);
    assert_true(t == T_NOV_CST);
    assert_string_equal(pf, "ind-platform");
    assert_int_equal(series_token_decode("", &t, pf), -1);
    assert_int_equal(series_token_decode("zz", &t, pf), -1);
    assert_int_equal(series_token_decode("800000000000000", &t, pf), -1);        /* odd length */
    assert_int_equal(series_token_decode("8000000000000000", &t, pf), -1);       /* no platform */
    assert_int_equal(series_token_decode("80000000000000002f", &t, pf), -1);     /* "/" */
    assert_int_equal(series_token_decode("8000000000000000414243", &t, pf), -1); /* "ABC" */
    tok[0] = 'G';
    assert_int_equal(series_token_decode(tok, &t, pf), -1);
    char longname[SERIES_CODE_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(series_token_encode(1, longname, tok), 0);
}

static void put_sample(struct fixture *fx, const char *metric, int64_t t, const char *platform,
                       double value)
{
    char err[STORE_ERR_LEN];
    series_value v = {.value = value, .period_seconds = 3600, .received_at = 1};
    store_batch *b = store_batch_create();

    assert_non_null(b);
    assert_int_equal(series_sample_put(b, USCC, "ENERGY_USE", metric, t, platform, &v), 0);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
}

/* The samples a scan gives, as "t:platform" joined by spaces, into out[256]. */
static int scan_all(struct fixture *fx, const int64_t *from, const char *platform, char *out)
{
    char err[STORE_ERR_LEN];
    series_scan *s = NULL;
    const char *pf;
    size_t pflen;
    int64_t t;
    series_value v;
    int rc;

    out[0] = '\0';
    CHECK_OK(series_scan_open(fx->st, USCC, "ENERGY_USE", "electricity_kwh", from, platform, &s));
    while ((rc = series_scan_next(s, &t, &pf, &pflen, &v, err)) > 0) {
        size_t at = strlen(out);

        snprintf(out + at, 256 - at, "%s%lld:%.*s", at ? " " : "", (long long)t, (int)pflen, pf);
    }
    series_scan_close(s);
    return rc;
}

static void test_samples_are_read_back_and_scanned_from_a_time_or_a_token(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN], got[256];
    series_value v;
    int64_t from = 200;

    put_sample(fx, "electricity_kwh", 300, "p1", 3);
    put_sample(fx, "electricity_kwh", 100, "p1", 1);
    put_sample(fx, "electricity_kwh", 200, "p2", 22);
    put_sample(fx, "electricity_kwh", 200, "p1", 2);
    put_sample(fx, "water_t", 150, "p1", 9); /* another metric: another prefix */

    CHECK_OK(series_sample_get(fx->st, USCC, "ENERGY_USE", "electricity_kwh", 200, "p2", &v, err));
    assert_true(v.value == 22 && v.period_seconds == 3600);
    assert_int_equal(series_sample_get(fx->st, USCC, "ENERGY_USE", "electricity_kwh", 201, "p2",
                                       &v, err),
                     STORE_ENOTFOUND);
    assert_int_equal(series_sample_get(fx->st, USCC, "ENERGY_USE", "electricity_kwh", 200, "p/2",
                                       &v, err),
                     STORE_EINVAL);

    assert_int_equal(scan_all(fx, NULL, NULL, got), 0);
    assert_string_equal(got, "100:p1 200:p1 200:p2 300:p1");
    assert_int_equal(scan_all(fx, &from, NULL, got), 0);
    assert_string_equal(got, "200:p1 200:p2 300:p1");
    assert_int_equal(scan_all(fx, &from, "p2", got), 0); /* a page token's position */
    assert_string_equal(got, "200:p2 300:p1");
}

static void test_a_damaged_sample_is_corrupt(void **state)
{
    struct fixture *fx = *state;
    char err[STORE_ERR_LEN], key[SERIES_KEY_MAX], got[256];
    size_t klen = key_of(key, "electricity_kwh", 100, "p1");
    series_value v;
    store_batch *b = store_batch_create();

    assert_non_null(b);
    store_batch_put(b, STORE_CF_SERIES, key, klen, "bad", 3);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
    assert_int_equal(series_sample_get(fx->st, USCC, "ENERGY_USE", "electricity_kwh", 100, "p1",
                                       &v, err),
                     STORE_ECORRUPT);
    assert_int_equal(scan_all(fx, NULL, NULL, got), STORE_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_has_the_documented_layout),
        cmocka_unit_test(test_key_parts_with_a_slash_or_empty_are_refused),
        cmocka_unit_test(test_time_encoding_round_trips_at_the_extremes),
        cmocka_unit_test_setup_teardown(
            test_prefix_scan_returns_samples_in_time_then_platform_order, setup, teardown),
        cmocka_unit_test(test_value_round_trips_and_rejects_other_formats),
        cmocka_unit_test(test_page_token_round_trips_and_rejects_foreign_text),
        cmocka_unit_test_setup_teardown(
            test_samples_are_read_back_and_scanned_from_a_time_or_a_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_damaged_sample_is_corrupt, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
