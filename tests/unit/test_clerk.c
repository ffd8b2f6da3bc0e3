/*
 * test_clerk.c — unit tests for tools/clerk.c: clerks' dates, times and amounts.
 *
 * Every accepted form of a date reads to the same day; forms that could mean two days are
 * refused; impossible dates say they are impossible; times without a zone are China time;
 * amounts need their unit and honour thousands separators, ¥ and 元.
 */
#include "testutil.h"

#include "clerk.h"

static void date_is(const char *text, int y, int m, int d)
{
    int yy = 0, mm = 0, dd = 0;
    char why[200] = "";
    if (clerk_date(text, &yy, &mm, &dd, why, sizeof why) != 0)
        fail_msg("%s: %s", text, why);
    assert_int_equal(yy, y);
    assert_int_equal(mm, m);
    assert_int_equal(dd, d);
}

static void date_fails(const char *text, const char *want)
{
    int y = -1, m = -1, d = -1;
    char why[200] = "";
    assert_int_equal(clerk_date(text, &y, &m, &d, why, sizeof why), -1);
    if (!strstr(why, want))
        fail_msg("%s: got \"%s\", want \"%s\"", text, why, want);
    assert_int_equal(y, -1); /* untouched on failure */
}

static void test_every_clerk_form_of_a_date_reads_the_same_day(void **state)
{
    (void)state;
    const char *forms[] = {"2024-01-05", "2024-1-5",    "2024/1/5",  "2024/01/05",
                           "2024.1.5",   "2024年1月5日", "20240105", "  2024-01-05 "};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        date_is(forms[i], 2024, 1, 5);
    date_is("2024年12月31日", 2024, 12, 31);
    date_is("2024-02-29", 2024, 2, 29);
}

static void test_ambiguous_and_impossible_dates_are_refused_for_what_they_are(void **state)
{
    (void)state;
    date_fails("2024-02-30", "impossible date: 2024-02 has 29 days, not 30");
    date_fails("2023-02-29", "impossible date: 2023-02 has 28 days, not 29");
    date_fails("2024-13-01", "impossible date: there is no month 13");
    date_fails("20240230", "impossible date");
    date_fails("01/05/2024", "the year comes first");
    date_fails("5/1/2024", "the year comes first");
    date_fails("2024-01", "not a date");
    date_fails("2024-01/05", "not a date");
    date_fails("2024年1月5", "not a date");
    date_fails("2024-01-05x", "more than a date");
    date_fails("", "is empty");
    date_fails("0999-01-01", "four digits");
}

static void ts_is(const char *text, int64_t secs, int32_t nanos)
{
    int64_t s = 0;
    int32_t n = -1;
    char why[200] = "";
    if (clerk_timestamp(text, &s, &n, why, sizeof why) != 0)
        fail_msg("%s: %s", text, why);
    assert_int_equal(s, secs);
    assert_int_equal(n, nanos);
}

static void ts_fails(const char *text, const char *want)
{
    int64_t s;
    int32_t n;
    char why[200] = "";
    assert_int_equal(clerk_timestamp(text, &s, &n, why, sizeof why), -1);
    if (!strstr(why, want))
        fail_msg("%s: got \"%s\", want \"%s\"", text, why, want);
}

static void test_times_without_a_zone_are_china_time(void **state)
{
    (void)state;
    /* 2024-01-05 00:00 +08:00 = 2024-01-04 16:00 UTC = 1704384000 */
    ts_is("2024-01-05", 1704384000, 0);
    ts_is("2024/1/5", 1704384000, 0);
    ts_is("2024-01-05 08:30", 1704384000 + 8 * 3600 + 30 * 60, 0);
    ts_is("2024-01-05T08:30:15", 1704384000 + 8 * 3600 + 30 * 60 + 15, 0);
    ts_is("2024年1月5日 8时30分", 1704384000 + 8 * 3600 + 30 * 60, 0);
    ts_is("2024-01-05 08:30:15.25", 1704384000 + 8 * 3600 + 30 * 60 + 15, 250000000);
    ts_is("2024-01-05T00:00:00Z", 1704412800, 0);
    ts_is("2024-01-05T08:00:00+08:00", 1704412800, 0);
    ts_is("2024-01-05 08:00 +0800", 1704412800, 0);
    ts_is("2024-01-05T03:00:00-05:00", 1704441600, 0);
    ts_fails("2024-01-05 24:00", "impossible time of day");
    ts_fails("2024-01-05 8", "bad time");
    ts_fails("2024-01-05 08:30 CST", "more than a date and time");
    ts_fails("2024-02-30 08:00", "impossible date");
}

static void amount_is(const char *text, clerk_unit u, int64_t fen)
{
    int64_t v = -1;
    char why[200] = "";
    if (clerk_amount(text, u, &v, why, sizeof why) != 0)
        fail_msg("%s: %s", text, why);
    assert_int_equal(v, fen);
}

static void amount_fails(const char *text, clerk_unit u, const char *want)
{
    int64_t v = -1;
    char why[200] = "";
    assert_int_equal(clerk_amount(text, u, &v, why, sizeof why), -1);
    if (!strstr(why, want))
        fail_msg("%s: got \"%s\", want \"%s\"", text, why, want);
    assert_int_equal(v, -1);
}

static void test_amounts_need_their_unit_and_read_as_clerks_write_them(void **state)
{
    (void)state;
    amount_fails("5000", CLERK_UNIT_UNSET, "--amount-unit");
    amount_is("5000", CLERK_UNIT_YUAN, 500000);
    amount_is("5000", CLERK_UNIT_FEN, 5000);
    amount_is("1,234,567.8", CLERK_UNIT_YUAN, 123456780);
    amount_is("¥1,000.05", CLERK_UNIT_YUAN, 100005);
    amount_is("￥200元", CLERK_UNIT_YUAN, 20000);
    amount_is("300分", CLERK_UNIT_FEN, 300);
    amount_is(" 0.5 ", CLERK_UNIT_YUAN, 50);
    amount_fails("1,23", CLERK_UNIT_YUAN, "thousands separator");
    amount_fails("1234,567", CLERK_UNIT_YUAN, "thousands separator");
    amount_fails(",123", CLERK_UNIT_YUAN, "not an amount");
    amount_fails("1.234", CLERK_UNIT_YUAN, "more than two decimals");
    amount_fails("12.5", CLERK_UNIT_FEN, "fraction of a fen");
    amount_fails("-5", CLERK_UNIT_YUAN, "negative");
    amount_fails("200元", CLERK_UNIT_FEN, "says 元");
    amount_fails("5 yuan", CLERK_UNIT_YUAN, "not an amount");
    amount_fails("99999999999999999999", CLERK_UNIT_FEN, "too large");
    amount_fails("10000000000001", CLERK_UNIT_YUAN, "too large");

    clerk_unit u;
    assert_int_equal(clerk_unit_parse("yuan", &u), 0);
    assert_int_equal(u, CLERK_UNIT_YUAN);
    assert_int_equal(clerk_unit_parse("分", &u), 0);
    assert_int_equal(u, CLERK_UNIT_FEN);
    assert_int_equal(clerk_unit_parse("YUAN", &u), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_clerk_form_of_a_date_reads_the_same_day),
        cmocka_unit_test(test_ambiguous_and_impossible_dates_are_refused_for_what_they_are),
        cmocka_unit_test(test_times_without_a_zone_are_china_time),
        cmocka_unit_test(test_amounts_need_their_unit_and_read_as_clerks_write_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
