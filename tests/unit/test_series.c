/*
 * test_series.c — unit tests for server/series.c: key encoding and its order, value and page
 * token round trips, CST month bucketing at month and year edges, and opt-ins in a real store.
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

static void test_month_of_follows_china_standard_time(void **state)
{
    (void)state;
    char name[8];
    /* 2026-10-31T20:00:00Z is November in China; one second before 16:00Z is still October. */
    series_month_name(series_month_of(T_NOV_CST), name);
    assert_string_equal(name, "2026-11");
    series_month_name(series_month_of(T_NOV_CST - 4 * 3600 - 1), name);
    assert_string_equal(name, "2026-10");
    series_month_name(series_month_of(T_NOV_CST - 4 * 3600), name);
    assert_string_equal(name, "2026-11");
    /* The epoch is 08:00 on 1970-01-01 in China. */
    series_month_name(series_month_of(0), name);
    assert_string_equal(name, "1970-01");
    /* New year: 2026-12-31T16:00:00Z is 2027-01-01 00:00 in China. */
    series_month_name(series_month_of(INT64_C(1798732800) - 1), name);
    assert_string_equal(name, "2026-12");
    series_month_name(series_month_of(INT64_C(1798732800)), name);
    assert_string_equal(name, "2027-01");
}

static void test_month_start_and_length_bound_every_month(void **state)
{
    (void)state;
    int m = series_month_of(T_NOV_CST);
    assert_true(series_month_start(m) == T_NOV_CST - 4 * 3600);
    assert_int_equal(series_month_seconds(m), 30u * 86400u);
    assert_int_equal(series_month_seconds(2024 * 12 + 1), 29u * 86400u); /* February 2024 */
    assert_int_equal(series_month_seconds(2026 * 12 + 1), 28u * 86400u);
    assert_int_equal(series_month_seconds(2026 * 12 + 11), 31u * 86400u); /* December */
    /* Every month from 1970 to 2100: its start is in it, the second before is not. */
    for (int k = 1970 * 12; k < 2100 * 12; k++) {
        int64_t s = series_month_start(k);
        assert_int_equal(series_month_of(s), k);
        assert_int_equal(series_month_of(s - 1), k - 1);
        assert_int_equal(series_month_of(s + series_month_seconds(k) - 1), k);
    }
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_has_the_documented_layout),
        cmocka_unit_test(test_key_parts_with_a_slash_or_empty_are_refused),
        cmocka_unit_test(test_time_encoding_round_trips_at_the_extremes),
        cmocka_unit_test_setup_teardown(
            test_prefix_scan_returns_samples_in_time_then_platform_order, setup, teardown),
        cmocka_unit_test(test_value_round_trips_and_rejects_other_formats),
        cmocka_unit_test(test_month_of_follows_china_standard_time),
        cmocka_unit_test(test_month_start_and_length_bound_every_month),
        cmocka_unit_test(test_page_token_round_trips_and_rejects_foreign_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
