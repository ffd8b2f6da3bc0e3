/*
 * test_tier.c — what each sharing tier shows of a record (server/tier.c).
 */
#include "testutil.h"
#include "tier.h"

typedef struct fixture {
    Credit__V1__Record rec;
    Credit__V1__RecordMeta meta;
    Credit__V1__RecordStatus status;
    Credit__V1__Subject subject;
    Credit__V1__Penalty penalty;
    Credit__V1__Licence licence;
    Credit__V1__Date decided, end;
} fixture;

static Credit__V1__Date day(int y, int m, int d)
{
    Credit__V1__Date x = CREDIT__V1__DATE__INIT;
    x.year = y;
    x.month = m;
    x.day = d;
    return x;
}

/* A GENERAL penalty decided 2025-01-10, public until 2025-07-10, against a legal person. */
static void make_penalty(fixture *f)
{
    credit__v1__record__init(&f->rec);
    credit__v1__record_meta__init(&f->meta);
    credit__v1__record_status__init(&f->status);
    credit__v1__subject__init(&f->subject);
    credit__v1__penalty__init(&f->penalty);
    f->subject.kind = CREDIT__V1__SUBJECT_KIND__LEGAL_PERSON;
    f->subject.identifier = "91230500MA1B3N1N2M";
    f->subject.legal_representative_id_type = CREDIT__V1__ID_TYPE__RESIDENT_ID;
    f->subject.legal_representative_id_number = "500120199310080297";
    f->decided = day(2025, 1, 10);
    f->end = day(2025, 7, 10);
    f->penalty.decision_date = &f->decided;
    f->penalty.publicity_end_date = &f->end;
    f->penalty.severity = CREDIT__V1__SEVERITY__GENERAL;
    f->meta.subject = &f->subject;
    f->meta.status = &f->status;
    f->rec.meta = &f->meta;
    f->rec.body_case = CREDIT__V1__RECORD__BODY_PENALTY;
    f->rec.penalty = &f->penalty;
}

static void test_open_tier_hides_withdrawn_repaired_and_publicity_ended_records(void **state)
{
    fixture f;
    Credit__V1__Date today = day(2025, 3, 1);
    (void)state;
    make_penalty(&f);
    assert_true(tier_shows(&f.rec, TIER_OPEN, &today));
    f.status.withdrawn = 1;
    assert_false(tier_shows(&f.rec, TIER_OPEN, &today));
    f.status.withdrawn = 0;
    f.status.repaired = 1;
    assert_false(tier_shows(&f.rec, TIER_OPEN, &today));
    f.status.repaired = 0;
    f.status.publicity_ended = 1;
    assert_false(tier_shows(&f.rec, TIER_OPEN, &today));
    f.status.publicity_ended = 0;
    f.status.disputed = 1; /* a dispute is shown with the record, not hidden */
    assert_true(tier_shows(&f.rec, TIER_OPEN, &today));
}

static void test_government_tier_shows_every_record(void **state)
{
    fixture f;
    Credit__V1__Date late = day(2030, 1, 1);
    (void)state;
    make_penalty(&f);
    f.status.withdrawn = f.status.repaired = f.status.publicity_ended = 1;
    assert_true(tier_shows(&f.rec, TIER_GOVERNMENT, &late));
}

static void test_penalty_leaves_the_open_tier_the_day_after_its_end_of_publicity(void **state)
{
    fixture f;
    Credit__V1__Date last = day(2025, 7, 10), after = day(2025, 7, 11);
    (void)state;
    make_penalty(&f);
    assert_false(tier_publicity_ended(&f.rec, &last));
    assert_true(tier_shows(&f.rec, TIER_OPEN, &last));
    assert_true(tier_publicity_ended(&f.rec, &after));
    assert_false(tier_shows(&f.rec, TIER_OPEN, &after));
    assert_true(tier_shows(&f.rec, TIER_GOVERNMENT, &after));
}

static void test_licence_has_no_end_of_publicity(void **state)
{
    fixture f;
    Credit__V1__Date late = day(2099, 1, 1);
    (void)state;
    make_penalty(&f);
    credit__v1__licence__init(&f.licence);
    f.rec.body_case = CREDIT__V1__RECORD__BODY_LICENCE;
    f.rec.licence = &f.licence;
    assert_false(tier_publicity_ended(&f.rec, &late));
    assert_true(tier_shows(&f.rec, TIER_OPEN, &late));
}

static void test_open_tier_keeps_an_organisations_code_and_clears_its_representatives_id(
    void **state)
{
    fixture f;
    (void)state;
    make_penalty(&f);
    tier_clear(&f.rec, TIER_OPEN);
    assert_string_equal(f.subject.identifier, "91230500MA1B3N1N2M");
    assert_string_equal(f.subject.legal_representative_id_number, "");
    assert_int_equal(f.subject.legal_representative_id_type,
                     CREDIT__V1__ID_TYPE__ID_TYPE_UNSPECIFIED);
}

static void test_open_tier_clears_a_natural_persons_identifier(void **state)
{
    fixture f;
    (void)state;
    make_penalty(&f);
    f.subject.kind = CREDIT__V1__SUBJECT_KIND__NATURAL_PERSON;
    f.subject.identifier = "500120195201020262";
    f.subject.name = "Li Si";
    tier_clear(&f.rec, TIER_OPEN);
    assert_string_equal(f.subject.identifier, "");
    assert_string_equal(f.subject.name, "Li Si");
}

static void test_government_tier_clears_nothing(void **state)
{
    fixture f;
    (void)state;
    make_penalty(&f);
    f.subject.kind = CREDIT__V1__SUBJECT_KIND__NATURAL_PERSON;
    f.subject.identifier = "500120195201020262";
    tier_clear(&f.rec, TIER_GOVERNMENT);
    assert_string_equal(f.subject.identifier, "500120195201020262");
    assert_string_equal(f.subject.legal_representative_id_number, "500120199310080297");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_tier_hides_withdrawn_repaired_and_publicity_ended_records),
        cmocka_unit_test(test_government_tier_shows_every_record),
        cmocka_unit_test(test_penalty_leaves_the_open_tier_the_day_after_its_end_of_publicity),
        cmocka_unit_test(test_licence_has_no_end_of_publicity),
        cmocka_unit_test(
            test_open_tier_keeps_an_organisations_code_and_clears_its_representatives_id),
        cmocka_unit_test(test_open_tier_clears_a_natural_persons_identifier),
        cmocka_unit_test(test_government_tier_clears_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
