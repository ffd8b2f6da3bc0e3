/*
 * test_calendar.c — unit tests for server/rules/calendar.c: dates at the edges (month ends, leap
 * days, the limits of the range) and China Standard Time at midnight, tested on both sides of
 * each edge.
 */
#include "testutil.h"
#include "tu_date.h"

#include "calendar.h"

#define T_NOV_CST INT64_C(1793476800) /* 2026-11-01T04:00:00+08:00 */

static void test_only_real_days_of_1900_to_9999_are_valid(void **state)
{
    static const int bad[][3] = {
        {2024, 2, 30}, {2023, 2, 29},  {2024, 13, 1}, {2024, 0, 1}, {2024, 4, 31},
        {2024, 1, 0},  {1899, 12, 31}, {10000, 1, 1}, {0, 0, 0},    {1900, 2, 29},
    };
    static const int good[][3] = {
        {2024, 2, 29}, {2000, 2, 29}, {1900, 1, 1}, {9999, 12, 31}, {2023, 12, 31},
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Credit__V1__Date d = tu_date(bad[i][0], bad[i][1], bad[i][2]);

        if (calendar_date_valid(&d)) {
            print_error("%04d-%02d-%02d should be invalid\n", bad[i][0], bad[i][1], bad[i][2]);
            fail();
        }
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        Credit__V1__Date d = tu_date(good[i][0], good[i][1], good[i][2]);

        if (!calendar_date_valid(&d)) {
            print_error("%04d-%02d-%02d should be valid\n", good[i][0], good[i][1], good[i][2]);
            fail();
        }
    }
    assert_false(calendar_date_valid(NULL));
}

static void test_add_months_clamps_to_month_end(void **state)
{
    Credit__V1__Date d, out;

    (void)state;
    d = tu_date(2024, 1, 31);
    calendar_add_months(&d, 1, &out);
    CHECK_DATE(&out, 2024, 2, 29);
    d = tu_date(2023, 1, 31);
    calendar_add_months(&d, 1, &out);
    CHECK_DATE(&out, 2023, 2, 28);
    d = tu_date(2024, 3, 31);
    calendar_add_months(&d, 1, &out);
    CHECK_DATE(&out, 2024, 4, 30);
    d = tu_date(2024, 11, 15);
    calendar_add_months(&d, 2, &out);
    CHECK_DATE(&out, 2025, 1, 15);
    d = tu_date(2024, 3, 31);
    calendar_add_months(&d, -1, &out);
    CHECK_DATE(&out, 2024, 2, 29);
    d = tu_date(2024, 1, 15);
    calendar_add_months(&d, -13, &out);
    CHECK_DATE(&out, 2022, 12, 15);
    d = tu_date(2000, 2, 29);
    calendar_add_months(&d, 1200, &out); /* 2100 is not a leap year */
    CHECK_DATE(&out, 2100, 2, 28);
    d = tu_date(2024, 5, 20);
    calendar_add_months(&d, 0, &out);
    CHECK_DATE(&out, 2024, 5, 20);
    calendar_add_months(&d, 3, &d); /* in place */
    CHECK_DATE(&d, 2024, 8, 20);
    d = tu_date(2023, 2, 29);
    calendar_add_months(&d, 1, &out);
    assert_false(calendar_date_valid(&out));
}

static void test_date_cmp_orders_by_year_month_day(void **state)
{
    Credit__V1__Date a = tu_date(2024, 5, 20), b;

    (void)state;
    b = a;
    assert_int_equal(calendar_date_cmp(&a, &b), 0);
    b = tu_date(2024, 5, 21);
    assert_true(calendar_date_cmp(&a, &b) < 0);
    assert_true(calendar_date_cmp(&b, &a) > 0);
    b = tu_date(2024, 4, 30);
    assert_true(calendar_date_cmp(&a, &b) > 0);
    b = tu_date(2023, 12, 31);
    assert_true(calendar_date_cmp(&a, &b) > 0);
    b = tu_date(2025, 1, 1);
    assert_true(calendar_date_cmp(&a, &b) < 0);
}

static void test_date_from_unix_uses_china_time(void **state)
{
    Credit__V1__Date d;

    (void)state;
    calendar_from_unix(1704124800, &d); /* 2024-01-01T16:00:00Z */
    CHECK_DATE(&d, 2024, 1, 2);
    calendar_from_unix(1704124799, &d); /* 2024-01-01T15:59:59Z */
    CHECK_DATE(&d, 2024, 1, 1);
    calendar_from_unix(0, &d);
    CHECK_DATE(&d, 1970, 1, 1);
    calendar_from_unix(-28801, &d); /* 1969-12-31T15:59:59Z */
    CHECK_DATE(&d, 1969, 12, 31);
    calendar_from_unix(951782400, &d); /* 2000-02-29T00:00:00Z */
    CHECK_DATE(&d, 2000, 2, 29);
    calendar_from_unix(-2209017600, &d); /* 1900-01-01T00:00:00+08:00 */
    CHECK_DATE(&d, 1900, 1, 1);
    calendar_from_unix(INT64_MAX, &d);
    CHECK_DATE(&d, 9999, 12, 31);
    calendar_from_unix(INT64_MIN, &d);
    CHECK_DATE(&d, 1, 1, 1);
    assert_ptr_equal(d.base.descriptor, &credit__v1__date__descriptor);
}

static void test_month_of_follows_china_standard_time(void **state)
{
    (void)state;
    char name[8];
    /* 2026-10-31T20:00:00Z is November in China; one second before 16:00Z is still October. */
    calendar_month_name(calendar_month_of(T_NOV_CST), name);
    assert_string_equal(name, "2026-11");
    calendar_month_name(calendar_month_of(T_NOV_CST - 4 * 3600 - 1), name);
    assert_string_equal(name, "2026-10");
    calendar_month_name(calendar_month_of(T_NOV_CST - 4 * 3600), name);
    assert_string_equal(name, "2026-11");
    /* The epoch is 08:00 on 1970-01-01 in China. */
    calendar_month_name(calendar_month_of(0), name);
    assert_string_equal(name, "1970-01");
    /* New year: 2026-12-31T16:00:00Z is 2027-01-01 00:00 in China. */
    calendar_month_name(calendar_month_of(INT64_C(1798732800) - 1), name);
    assert_string_equal(name, "2026-12");
    calendar_month_name(calendar_month_of(INT64_C(1798732800)), name);
    assert_string_equal(name, "2027-01");
}

static void test_month_start_and_length_bound_every_month(void **state)
{
    (void)state;
    int m = calendar_month_of(T_NOV_CST);
    assert_true(calendar_month_start(m) == T_NOV_CST - 4 * 3600);
    assert_int_equal(calendar_month_seconds(m), 30u * 86400u);
    assert_int_equal(calendar_month_seconds(2024 * 12 + 1), 29u * 86400u); /* February 2024 */
    assert_int_equal(calendar_month_seconds(2026 * 12 + 1), 28u * 86400u);
    assert_int_equal(calendar_month_seconds(2026 * 12 + 11), 31u * 86400u); /* December */
    /* Every month from 1970 to 2100: its start is in it, the second before is not. */
    for (int k = 1970 * 12; k < 2100 * 12; k++) {
        int64_t s = calendar_month_start(k);
        assert_int_equal(calendar_month_of(s), k);
        assert_int_equal(calendar_month_of(s - 1), k - 1);
        assert_int_equal(calendar_month_of(s + calendar_month_seconds(k) - 1), k);
    }
}

static void test_add_days_crosses_month_and_year_ends(void **state)
{
    Credit__V1__Date d = tu_date(2024, 2, 28), out;

    (void)state;
    calendar_add_days(&d, 1, &out);
    CHECK_DATE(&out, 2024, 2, 29);
    calendar_add_days(&d, 2, &out);
    CHECK_DATE(&out, 2024, 3, 1);
    d = tu_date(2023, 12, 31);
    calendar_add_days(&d, 1, &out);
    CHECK_DATE(&out, 2024, 1, 1);
    calendar_add_days(&out, -1, &out); /* in place */
    CHECK_DATE(&out, 2023, 12, 31);
    assert_true(calendar_days_from_civil(1970, 1, 1) == 0);
    assert_true(calendar_days_from_civil(2000, 3, 1) == 11017);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_real_days_of_1900_to_9999_are_valid),
        cmocka_unit_test(test_add_months_clamps_to_month_end),
        cmocka_unit_test(test_date_cmp_orders_by_year_month_day),
        cmocka_unit_test(test_date_from_unix_uses_china_time),
        cmocka_unit_test(test_month_of_follows_china_standard_time),
        cmocka_unit_test(test_month_start_and_length_bound_every_month),
        cmocka_unit_test(test_add_days_crosses_month_and_year_ends),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
