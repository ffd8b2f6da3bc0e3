/*
 * test_publicity.c — unit tests for server/rules/publicity.c: the national windows, a section's own
 * windows, the default end of publicity and the day display ends, for penalties and for the
 * other records the tier filter asks about.
 */
#include "testutil.h"
#include "tu_date.h"

#include "calendar.h"
#include "publicity.h"

static void test_publicity_months_follow_the_severity(void **state)
{
    int lo = -7, hi = -7;

    (void)state;
    assert_int_equal(publicity_months(CREDIT__V1__SEVERITY__SEVERITY_MINOR, &lo, &hi), 0);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 3);
    assert_int_equal(publicity_months(CREDIT__V1__SEVERITY__SEVERITY_GENERAL, &lo, &hi), 0);
    assert_int_equal(lo, 3);
    assert_int_equal(hi, 12);
    assert_int_equal(publicity_months(CREDIT__V1__SEVERITY__SEVERITY_SERIOUS, &lo, &hi), 0);
    assert_int_equal(lo, 12);
    assert_int_equal(hi, 36);
    lo = hi = -7;
    assert_int_equal(publicity_months(CREDIT__V1__SEVERITY__SEVERITY_UNSPECIFIED, &lo, &hi), -1);
    assert_int_equal(publicity_months(4, &lo, &hi), -1);
    assert_int_equal(lo, -7);
    assert_int_equal(hi, -7);
}

static void test_default_publicity_end_is_decision_plus_max_months(void **state)
{
    Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;
    Credit__V1__Date decision, end;

    (void)state;
    p.decision_date = &decision;
    decision = tu_date(2024, 1, 31);
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_GENERAL;
    publicity_default_end(&p, NULL, &end);
    CHECK_DATE(&end, 2025, 1, 31);
    decision = tu_date(2023, 11, 30);
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_MINOR;
    publicity_default_end(&p, NULL, &end);
    CHECK_DATE(&end, 2024, 2, 29);
    decision = tu_date(2024, 2, 29);
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_SERIOUS;
    publicity_default_end(&p, NULL, &end);
    CHECK_DATE(&end, 2027, 2, 28);
    /* Written as a whole message, ready to pack. */
    assert_ptr_equal(end.base.descriptor, &credit__v1__date__descriptor);

    /* No severity: the longest window. No decision date: no end at all. */
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_UNSPECIFIED;
    publicity_default_end(&p, NULL, &end);
    CHECK_DATE(&end, 2027, 2, 28);
    p.decision_date = NULL;
    publicity_default_end(&p, NULL, &end);
    assert_false(calendar_date_valid(&end));
}

static void test_publicity_ended_counts_from_the_end_date(void **state)
{
    Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;
    Credit__V1__Date decision = tu_date(2024, 3, 1), end = tu_date(2024, 6, 1), today;

    (void)state;
    p.decision_date = &decision;
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_SERIOUS;
    p.publicity_end_date = &end;
    today = tu_date(2024, 6, 1);
    assert_false(publicity_ended(&p, &today));
    today = tu_date(2024, 6, 2);
    assert_true(publicity_ended(&p, &today));

    /* Without an end: the decision date plus 36 months for a serious penalty. */
    p.publicity_end_date = NULL;
    today = tu_date(2027, 3, 1);
    assert_false(publicity_ended(&p, &today));
    today = tu_date(2027, 3, 2);
    assert_true(publicity_ended(&p, &today));

    /* Nothing to count from: withheld. */
    p.decision_date = NULL;
    today = tu_date(2024, 3, 1);
    assert_true(publicity_ended(&p, &today));
    assert_true(publicity_ended(NULL, &today));
}

static void test_a_section_window_overrides_the_national_rule(void **state)
{
    Credit__V1__PublicityWindow w = CREDIT__V1__PUBLICITY_WINDOW__INIT, *ws[] = {&w};
    Credit__V1__Section sec = CREDIT__V1__SECTION__INIT;
    catalog_section cs = {.s = &sec};
    Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;
    Credit__V1__Date decision = tu_date(2024, 1, 31), end;
    int lo = -7, hi = -7;

    (void)state;
    w.severity = CREDIT__V1__SEVERITY__SEVERITY_GENERAL;
    w.min_months = 1;
    w.max_months = 6;
    sec.publicity = ws;
    sec.n_publicity = 1;
    assert_int_equal(publicity_window(&cs, CREDIT__V1__SEVERITY__SEVERITY_GENERAL, &lo, &hi), 0);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 6);
    /* A severity the section leaves out: the national rule. */
    assert_int_equal(publicity_window(&cs, CREDIT__V1__SEVERITY__SEVERITY_SERIOUS, &lo, &hi), 0);
    assert_int_equal(lo, 12);
    assert_int_equal(hi, 36);
    assert_int_equal(publicity_window(NULL, CREDIT__V1__SEVERITY__SEVERITY_GENERAL, &lo, &hi), 0);
    assert_int_equal(hi, 12);

    p.decision_date = &decision;
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_GENERAL;
    publicity_default_end(&p, &cs, &end);
    CHECK_DATE(&end, 2024, 7, 31);
    publicity_default_end(&p, NULL, &end);
    CHECK_DATE(&end, 2025, 1, 31);
}

static void test_only_a_penalty_record_ends_its_publicity(void **state)
{
    Credit__V1__Record rec = CREDIT__V1__RECORD__INIT;
    Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;
    Credit__V1__Licence l = CREDIT__V1__LICENCE__INIT;
    Credit__V1__Date decision = tu_date(2020, 1, 1), today = tu_date(2025, 6, 15);

    (void)state;
    p.decision_date = &decision;
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_MINOR;
    rec.body_case = CREDIT__V1__RECORD__BODY_PENALTY;
    rec.penalty = &p;
    assert_true(publicity_record_ended(&rec, &today));
    today = tu_date(2020, 4, 1);
    assert_false(publicity_record_ended(&rec, &today));
    /* A licence of the same age is never past its publicity. */
    rec.body_case = CREDIT__V1__RECORD__BODY_LICENCE;
    rec.licence = &l;
    today = tu_date(2099, 1, 1);
    assert_false(publicity_record_ended(&rec, &today));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publicity_months_follow_the_severity),
        cmocka_unit_test(test_default_publicity_end_is_decision_plus_max_months),
        cmocka_unit_test(test_publicity_ended_counts_from_the_end_date),
        cmocka_unit_test(test_a_section_window_overrides_the_national_rule),
        cmocka_unit_test(test_only_a_penalty_record_ends_its_publicity),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
