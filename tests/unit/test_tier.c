/*
 * test_tier.c — what each sharing tier shows of a record (server/rules/tier.c).
 */
#include "testutil.h"
#include "tu_date.h"
#include "publicity.h"
#include "tier.h"
#include "tu_catalog.h"

typedef struct fixture {
    Credit__V1__Record rec;
    Credit__V1__RecordMeta meta;
    Credit__V1__RecordStatus status;
    Credit__V1__Subject subject;
    Credit__V1__Penalty penalty;
    Credit__V1__Licence licence;
    Credit__V1__Date decided, end;
} fixture;

/* A SEVERITY_GENERAL penalty decided 2025-01-10, public until 2025-07-10, against a legal person.
 */
static void make_penalty(fixture *f)
{
    credit__v1__record__init(&f->rec);
    credit__v1__record_meta__init(&f->meta);
    credit__v1__record_status__init(&f->status);
    credit__v1__subject__init(&f->subject);
    credit__v1__penalty__init(&f->penalty);
    f->subject.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    f->subject.identifier = "91230500MA1B3N1N2M";
    f->subject.legal_representative_id_type = CREDIT__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
    f->subject.legal_representative_id_number = "500120199310080297";
    f->decided = tu_date(2025, 1, 10);
    f->end = tu_date(2025, 7, 10);
    f->penalty.decision_date = &f->decided;
    f->penalty.publicity_end_date = &f->end;
    f->penalty.severity = CREDIT__V1__SEVERITY__SEVERITY_GENERAL;
    f->meta.catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;
    f->meta.category = CREDIT__V1__CATEGORY__CATEGORY_PENALTY;
    f->meta.subject = &f->subject;
    f->meta.status = &f->status;
    f->rec.meta = &f->meta;
    f->rec.body_case = CREDIT__V1__RECORD__BODY_PENALTY;
    f->rec.penalty = &f->penalty;
}

static void test_open_tier_hides_withdrawn_repaired_and_publicity_ended_records(void **state)
{
    fixture f;
    Credit__V1__Date today = tu_date(2025, 3, 1);
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
    Credit__V1__Date late = tu_date(2030, 1, 1);
    (void)state;
    make_penalty(&f);
    f.status.withdrawn = f.status.repaired = f.status.publicity_ended = 1;
    assert_true(tier_shows(&f.rec, TIER_GOVERNMENT, &late));
}

/* A voluntary declaration is shared only once verified; its declarant reads it in any state. */
static void test_a_declaration_is_shared_once_verified_and_its_declarant_reads_it_always(
    void **state)
{
    fixture f;
    Credit__V1__Date today = tu_date(2025, 3, 1);
    const tier tiers[] = {TIER_OPEN, TIER_AUTHORIZED, TIER_GOVERNMENT};
    (void)state;
    make_penalty(&f);
    f.meta.catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY;
    f.meta.source_unit = "portal";
    f.rec.body_case = CREDIT__V1__RECORD__BODY__NOT_SET;
    const Credit__V1__Verification states[] = {
        CREDIT__V1__VERIFICATION__VERIFICATION_PENDING,
        CREDIT__V1__VERIFICATION__VERIFICATION_REJECTED,
        CREDIT__V1__VERIFICATION__VERIFICATION_VERIFIED,
    };
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < 3; j++) {
            f.status.verification = states[i];
            f.status.withdrawn = 0;
            int verified = states[i] == CREDIT__V1__VERIFICATION__VERIFICATION_VERIFIED;
            assert_int_equal(tier_shows(&f.rec, tiers[j], &today), verified);
            assert_int_equal(tier_shows_to(&f.rec, tiers[j], &today, "office"), verified);
            assert_int_equal(tier_shows_to(&f.rec, tiers[j], &today, NULL), verified);
            assert_int_equal(tier_shows_to(&f.rec, tiers[j], &today, ""), verified);
            assert_true(tier_shows_to(&f.rec, tiers[j], &today, "portal"));
            f.status.withdrawn = 1;
            assert_true(tier_shows_to(&f.rec, tiers[j], &today, "portal"));
        }
    }
    /* Any other record: the source unit gets no more than its tier. */
    make_penalty(&f);
    f.meta.source_unit = "market";
    f.status.withdrawn = 1;
    assert_false(tier_shows_to(&f.rec, TIER_OPEN, &today, "market"));
}

static void test_penalty_leaves_the_open_tier_the_day_after_its_end_of_publicity(void **state)
{
    fixture f;
    Credit__V1__Date last = tu_date(2025, 7, 10), after = tu_date(2025, 7, 11);
    (void)state;
    make_penalty(&f);
    assert_false(publicity_record_ended(&f.rec, &last));
    assert_true(tier_shows(&f.rec, TIER_OPEN, &last));
    assert_true(publicity_record_ended(&f.rec, &after));
    assert_false(tier_shows(&f.rec, TIER_OPEN, &after));
    assert_true(tier_shows(&f.rec, TIER_GOVERNMENT, &after));
}

static void test_licence_has_no_end_of_publicity(void **state)
{
    fixture f;
    Credit__V1__Date late = tu_date(2099, 1, 1);
    (void)state;
    make_penalty(&f);
    credit__v1__licence__init(&f.licence);
    f.rec.body_case = CREDIT__V1__RECORD__BODY_LICENCE;
    f.rec.licence = &f.licence;
    assert_false(publicity_record_ended(&f.rec, &late));
    assert_true(tier_shows(&f.rec, TIER_OPEN, &late));
}

/* The fixture's record as the node reads one from the store: unpacked, owning its strings.
 * Free with credit__v1__record__free_unpacked. */
static Credit__V1__Record *stored(const fixture *f)
{
    size_t n = credit__v1__record__get_packed_size(&f->rec);
    uint8_t *buf = malloc(n);
    Credit__V1__Record *r;

    assert_non_null(buf);
    credit__v1__record__pack(&f->rec, buf);
    r = credit__v1__record__unpack(NULL, n, buf);
    free(buf);
    assert_non_null(r);
    return r;
}

static void test_open_tier_keeps_an_organisations_code_and_clears_its_representatives_id(
    void **state)
{
    fixture f;
    Credit__V1__Record *r;
    (void)state;
    make_penalty(&f);
    r = stored(&f);
    tier_clear(r, TIER_OPEN, tu_catalogue());
    assert_string_equal(r->meta->subject->identifier, "91230500MA1B3N1N2M");
    assert_string_equal(r->meta->subject->legal_representative_id_number, "");
    assert_int_equal(r->meta->subject->legal_representative_id_type,
                     CREDIT__V1__ID_TYPE__ID_TYPE_UNSPECIFIED);
    credit__v1__record__free_unpacked(r, NULL);
}

static void test_open_tier_clears_a_natural_persons_identifier(void **state)
{
    fixture f;
    Credit__V1__Record *r;
    (void)state;
    make_penalty(&f);
    f.subject.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON;
    f.subject.identifier = "500120195201020262";
    f.subject.name = "Li Si";
    r = stored(&f);
    tier_clear(r, TIER_OPEN, tu_catalogue());
    assert_string_equal(r->meta->subject->identifier, "");
    assert_string_equal(r->meta->subject->name, "Li Si");
    credit__v1__record__free_unpacked(r, NULL);
}

static void test_government_tier_clears_nothing(void **state)
{
    fixture f;
    Credit__V1__Record *r;
    (void)state;
    make_penalty(&f);
    f.subject.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON;
    f.subject.identifier = "500120195201020262";
    r = stored(&f);
    tier_clear(r, TIER_GOVERNMENT, tu_catalogue());
    assert_string_equal(r->meta->subject->identifier, "500120195201020262");
    assert_string_equal(r->meta->subject->legal_representative_id_number, "500120199310080297");
    credit__v1__record__free_unpacked(r, NULL);
}

/* A penalty with a fine and a remark, as the catalogue's tiers decide who sees them. */
static Credit__V1__Record *fined(fixture *f)
{
    make_penalty(f);
    f->penalty.fine_amount_fen = 500000;
    f->penalty.remarks = "paid in full";
    f->penalty.content = "fined";
    return stored(f);
}

static void test_a_tier_change_in_the_catalogue_changes_what_the_open_tier_sees(void **state)
{
    fixture f;
    Credit__V1__Dimension d;
    catalog_version *v2;
    Credit__V1__Record *r;
    (void)state;
    /* Version 1: the fine is open. */
    r = fined(&f);
    tier_clear(r, TIER_OPEN, tu_catalogue());
    assert_int_equal(r->penalty->fine_amount_fen, 500000);
    credit__v1__record__free_unpacked(r, NULL);
    /* Version 2 makes it government tier: the open tier loses it, the government keeps it. */
    tu_public_dimension("PENALTY", "fine_amount_fen", &d);
    d.tier = CREDIT__V1__TIER__TIER_GOVERNMENT;
    v2 = tu_catalogue_changed(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_CHANGE_DIMENSION,
                              CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "PENALTY",
                              "fine_amount_fen", &d);
    r = fined(&f);
    tier_clear(r, TIER_OPEN, v2);
    assert_int_equal(r->penalty->fine_amount_fen, 0);
    assert_string_equal(r->penalty->remarks, "paid in full");
    assert_string_equal(r->penalty->content, "fined");
    credit__v1__record__free_unpacked(r, NULL);
    r = fined(&f);
    tier_clear(r, TIER_GOVERNMENT, v2);
    assert_int_equal(r->penalty->fine_amount_fen, 500000);
    credit__v1__record__free_unpacked(r, NULL);
    catalog_version_destroy(v2);
}

static void test_authorized_tier_sees_authorized_values_but_not_government_ones(void **state)
{
    fixture f;
    Credit__V1__Dimension d;
    catalog_version *v2;
    Credit__V1__Record *r;
    (void)state;
    tu_public_dimension("PENALTY", "fine_amount_fen", &d);
    d.tier = CREDIT__V1__TIER__TIER_AUTHORIZED;
    v2 = tu_catalogue_changed(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_CHANGE_DIMENSION,
                              CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "PENALTY",
                              "fine_amount_fen", &d);
    r = fined(&f);
    tier_clear(r, TIER_AUTHORIZED, v2);
    assert_int_equal(r->penalty->fine_amount_fen, 500000);
    /* The representative's number stays government tier whatever the catalogue says. */
    assert_string_equal(r->meta->subject->legal_representative_id_number, "");
    credit__v1__record__free_unpacked(r, NULL);
    r = fined(&f);
    tier_clear(r, TIER_OPEN, v2);
    assert_int_equal(r->penalty->fine_amount_fen, 0);
    credit__v1__record__free_unpacked(r, NULL);
    catalog_version_destroy(v2);
}

static void test_a_value_whose_dimension_was_removed_is_government_tier(void **state)
{
    fixture f;
    catalog_version *v2;
    Credit__V1__Record *r;
    (void)state;
    v2 = tu_catalogue_changed(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_REMOVE_DIMENSION,
                              CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "PENALTY", "remarks",
                              NULL);
    r = fined(&f);
    tier_clear(r, TIER_OPEN, v2);
    assert_string_equal(r->penalty->remarks, "");
    assert_string_equal(r->penalty->content, "fined");
    credit__v1__record__free_unpacked(r, NULL);
    r = fined(&f);
    tier_clear(r, TIER_GOVERNMENT, v2);
    assert_string_equal(r->penalty->remarks, "paid in full");
    credit__v1__record__free_unpacked(r, NULL);
    catalog_version_destroy(v2);
}

/* Catalogue version 2: the public PENALTY section with an authorized-tier dimension
 * "inspection_score" that no proto field has (an extra value). */
static catalog_version *with_inspection_score(void)
{
    Credit__V1__Dimension d = CREDIT__V1__DIMENSION__INIT;
    d.code = "inspection_score";
    d.name = "score";
    d.type = CREDIT__V1__VALUE_TYPE__VALUE_TYPE_INTEGER;
    d.tier = CREDIT__V1__TIER__TIER_AUTHORIZED;
    return tu_catalogue_changed(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_ADD_DIMENSION,
                                CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, "PENALTY", "", &d);
}

/* Two extra values (the integers 7 and 8) under keys k0 and k1, held by the caller. */
typedef struct extras {
    Credit__V1__ExtraValue val[2];
    Credit__V1__Record__ExtraEntry e[2], *es[2];
} extras;

static void set_extras(fixture *f, extras *x, const char *k0, const char *k1)
{
    for (int i = 0; i < 2; i++) {
        credit__v1__extra_value__init(&x->val[i]);
        credit__v1__record__extra_entry__init(&x->e[i]);
        x->val[i].value_case = CREDIT__V1__EXTRA_VALUE__VALUE_INTEGER;
        x->val[i].integer = 7 + i;
        x->e[i].value = &x->val[i];
        x->es[i] = &x->e[i];
    }
    x->e[0].key = (char *)k0;
    x->e[1].key = (char *)k1;
    f->rec.extra = x->es;
    f->rec.n_extra = 2;
}

static void test_extra_values_follow_their_dimensions_tier(void **state)
{
    fixture f;
    catalog_version *v2 = with_inspection_score();
    Credit__V1__Record *r;
    extras x;
    (void)state;
    make_penalty(&f);
    set_extras(&f, &x, "inspection_score", "not_a_dimension");
    r = stored(&f);
    tier_clear(r, TIER_AUTHORIZED, v2);
    assert_int_equal(r->n_extra, 1);
    assert_string_equal(r->extra[0]->key, "inspection_score");
    credit__v1__record__free_unpacked(r, NULL);
    r = stored(&f);
    tier_clear(r, TIER_OPEN, v2);
    assert_int_equal(r->n_extra, 0);
    credit__v1__record__free_unpacked(r, NULL);
    catalog_version_destroy(v2);
}

/* The packed bytes of r into a malloc'd buffer, with their length in *n. */
static uint8_t *packed(const Credit__V1__Record *r, size_t *n)
{
    uint8_t *buf;
    *n = credit__v1__record__get_packed_size(r);
    buf = malloc(*n ? *n : 1);
    assert_non_null(buf);
    credit__v1__record__pack(r, buf);
    return buf;
}

/* The reversible clearing gives tier_clear's record, then the caller's own back unchanged,
 * its extra entries included, in every tier and for a removed and an added dimension. */
static void test_a_reversible_clearing_clears_as_tier_clear_and_restores_the_record(void **state)
{
    fixture f;
    extras x;
    const tier tiers[] = {TIER_OPEN, TIER_AUTHORIZED, TIER_GOVERNMENT};
    catalog_version *v2 = with_inspection_score();
    (void)state;
    make_penalty(&f);
    f.penalty.remarks = "paid in full";
    f.penalty.decision_document_number = "BS-1";
    set_extras(&f, &x, "not_a_dimension", "inspection_score");
    size_t n_before, n_want, n_got;
    uint8_t *before = packed(&f.rec, &n_before);
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++) {
        for (int v = 0; v < 2; v++) {
            const catalog_version *cv = v ? v2 : tu_catalogue();
            Credit__V1__Record *r = stored(&f);
            tier_undo u;
            tier_clear(r, tiers[i], cv);
            uint8_t *want = packed(r, &n_want);
            credit__v1__record__free_unpacked(r, NULL);
            assert_int_equal(tier_clear_reversibly(&f.rec, tiers[i], cv, &u), 0);
            uint8_t *got = packed(&f.rec, &n_got);
            assert_int_equal(n_got, n_want);
            assert_memory_equal(got, want, n_want);
            tier_restore(&f.rec, &u);
            free(got);
            got = packed(&f.rec, &n_got);
            assert_int_equal(n_got, n_before);
            assert_memory_equal(got, before, n_before);
            assert_ptr_equal(f.rec.extra[0], &x.e[0]);
            assert_string_equal(f.subject.legal_representative_id_number, "500120199310080297");
            free(got);
            free(want);
        }
    }
    free(before);
    catalog_version_destroy(v2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_tier_hides_withdrawn_repaired_and_publicity_ended_records),
        cmocka_unit_test(test_government_tier_shows_every_record),
        cmocka_unit_test(
            test_a_declaration_is_shared_once_verified_and_its_declarant_reads_it_always),
        cmocka_unit_test(test_penalty_leaves_the_open_tier_the_day_after_its_end_of_publicity),
        cmocka_unit_test(test_licence_has_no_end_of_publicity),
        cmocka_unit_test(
            test_open_tier_keeps_an_organisations_code_and_clears_its_representatives_id),
        cmocka_unit_test(test_open_tier_clears_a_natural_persons_identifier),
        cmocka_unit_test(test_government_tier_clears_nothing),
        cmocka_unit_test(test_a_tier_change_in_the_catalogue_changes_what_the_open_tier_sees),
        cmocka_unit_test(test_authorized_tier_sees_authorized_values_but_not_government_ones),
        cmocka_unit_test(test_a_value_whose_dimension_was_removed_is_government_tier),
        cmocka_unit_test(test_extra_values_follow_their_dimensions_tier),
        cmocka_unit_test(test_a_reversible_clearing_clears_as_tier_clear_and_restores_the_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
