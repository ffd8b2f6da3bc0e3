/*
 * test_catalog.c — unit tests for server/rules/catalog.c: the seed compiles; every kind of bad entry
 * is refused with a message naming it; changes apply (or are refused with the right code);
 * versions persist and the one in force follows the effective times.
 *
 * A bad catalogue is made by changing one thing in the repository's seed (tu_seed_message),
 * so that each test proves one check.
 */
#include "testutil.h"

#include <limits.h>
#include <time.h>

#include "catalog.h"
#include "catalog_change.h"
#include "store.h"
#include "tu_catalog.h"
#include "versions.h"

#define PUBLIC CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC

/* --- Finding things in the seed message ----------------------------------------------------- */

static Credit__V1__CatalogueDefinition *def_of(Credit__V1__CatalogueVersion *v, int catalogue)
{
    for (size_t i = 0; i < v->n_catalogues; i++) {
        if ((int)v->catalogues[i]->catalogue == catalogue)
            return v->catalogues[i];
    }
    fail_msg("no catalogue %d in the seed", catalogue);
    return NULL;
}

static Credit__V1__Section *section_of(Credit__V1__CatalogueVersion *v, const char *code)
{
    Credit__V1__CatalogueDefinition *d = def_of(v, PUBLIC);

    for (size_t i = 0; i < d->n_sections; i++) {
        if (strcmp(d->sections[i]->code, code) == 0)
            return d->sections[i];
    }
    fail_msg("no section %s in the seed", code);
    return NULL;
}

static Credit__V1__Dimension *dim_of(Credit__V1__CatalogueVersion *v, const char *section,
                                     const char *code)
{
    Credit__V1__Section *s = section_of(v, section);

    for (size_t i = 0; i < s->n_dimensions; i++) {
        if (strcmp(s->dimensions[i]->code, code) == 0)
            return s->dimensions[i];
    }
    fail_msg("no dimension %s/%s in the seed", section, code);
    return NULL;
}

/* Replaces an unpacked message's string (free_unpacked frees it later). */
static void set(char **field, const char *value)
{
    if (*field != protobuf_c_empty_string)
        free(*field);
    *field = strdup(value);
    assert_non_null(*field);
}

static const char *const demo_units[] = {"office", "tax", "market", "court", "water", NULL};

static int demo_unit(void *arg, const char *code)
{
    (void)arg;
    for (size_t i = 0; demo_units[i]; i++) {
        if (strcmp(demo_units[i], code) == 0)
            return 1;
    }
    return 0;
}

/* Compiles `v`, which must fail with a message holding every one of the words; frees v. */
static void expect_refused(Credit__V1__CatalogueVersion *v, const char *const *words,
                           const char *file, int line)
{
    catalog_version *cv = NULL;
    char err[CATALOG_ERR_LEN] = "";

    if (catalog_compile(v, demo_unit, NULL, &cv, err) == 0) {
        print_error("%s:%d: compiled; wanted a refusal\n", file, line);
        catalog_version_destroy(cv);
        fail();
    }
    for (size_t i = 0; words[i]; i++) {
        if (!strstr(err, words[i])) {
            print_error("%s:%d: \"%s\" does not mention \"%s\"\n", file, line, err, words[i]);
            fail();
        }
    }
    credit__v1__catalogue_version__free_unpacked(v, NULL);
}

#define EXPECT_REFUSED(v, ...)                                                                     \
    do {                                                                                           \
        const char *const words_[] = {__VA_ARGS__, NULL};                                          \
        expect_refused((v), words_, __FILE__, __LINE__);                                           \
    } while (0)

/* --- The seed ------------------------------------------------------------------------------ */

static void test_seed_compiles_with_six_catalogues_and_eighteen_categories(void **state)
{
    const catalog_version *cv = tu_catalogue();
    const catalog_def *pub;
    Credit__V1__CatalogueVersion *m = tu_seed_message();
    catalog_version *own = NULL;
    char err[CATALOG_ERR_LEN];

    (void)state;
    assert_int_equal(cv->n_defs, 6);
    for (int c = 1; c <= 6; c++)
        assert_non_null(catalog_find_def(cv, c));
    pub = catalog_find_def(cv, PUBLIC);
    assert_int_equal(pub->n_sections, 18);
    assert_string_equal(pub->input->name, "credit.v1.PublicRecordInput");
    for (int c = 1; c <= 18; c++) {
        const catalog_section *s = catalog_public_section(cv, c);

        assert_non_null(s);
        assert_non_null(s->body);
        assert_true(s->n_dims > 0);
        /* The office may push every public category. */
        assert_true(catalog_responsible(s, "office", CREDIT__V1__UNIT_KIND__UNIT_KIND_OFFICE));
    }
    assert_null(catalog_public_section(cv, 0));
    assert_null(catalog_public_section(cv, 19));
    /* Responsibility moved from the demo units into the catalogue. */
    assert_true(catalog_responsible(catalog_public_section(cv, CREDIT__V1__CATEGORY__CATEGORY_PENALTY),
                                    "tax", CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT));
    assert_false(catalog_responsible(
        catalog_public_section(cv, CREDIT__V1__CATEGORY__CATEGORY_LICENSING), "tax",
        CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT));
    /* The demo registry holds every unit the seed names. */
    if (catalog_compile(m, demo_unit, NULL, &own, err) != 0)
        fail_msg("%s", err);
    catalog_version_destroy(own);
}

static void test_dimensions_resolve_in_the_input_and_the_stored_record(void **state)
{
    const catalog_section *pen =
        catalog_public_section(tu_catalogue(), CREDIT__V1__CATEGORY__CATEGORY_PENALTY);
    const catalog_dim *fine = catalog_dim_by_field(pen, "penalty.fine_amount_fen");
    const catalog_dim *name = catalog_dim_by_field(pen, "subject.name");

    (void)state;
    assert_non_null(fine);
    assert_int_equal(fine->depth, 2);
    assert_int_equal(fine->rec_depth, 2);
    assert_string_equal(fine->in[1]->name, "fine_amount_fen");
    /* A common dimension: the subject sits under meta in the stored record. */
    assert_non_null(name);
    assert_int_equal(name->depth, 2);
    assert_int_equal(name->rec_depth, 3);
    assert_string_equal(name->rec[0]->name, "meta");
    assert_ptr_equal(catalog_dim_by_code(pen, name->d->code), name);
    assert_null(catalog_dim_by_field(pen, "licence.licence_number"));
}

/* --- Bad entries --------------------------------------------------------------------------- */

static void test_unknown_field_path_is_refused_naming_the_entry(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    set(&dim_of(v, "PENALTY", "remarks")->field, "penalty.no_such_field");
    EXPECT_REFUSED(v, "catalogue PUBLIC", "section PENALTY", "dimension remarks",
                   "credit.v1.Penalty has no field \"no_such_field\"");
}

static void test_field_that_cannot_hold_the_value_type_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    dim_of(v, "PENALTY", "fine_amount_fen")->type = CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DATE;
    EXPECT_REFUSED(v, "dimension fine_amount_fen", "cannot hold a VALUE_TYPE_DATE");
}

static void test_unregistered_responsible_unit_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__Section *s = section_of(v, "LICENSING");

    (void)state;
    assert_true(s->n_responsible_units > 0);
    set(&s->responsible_units[0], "nobody");
    EXPECT_REFUSED(v, "section LICENSING", "\"nobody\" is not registered");
}

static void test_code_used_twice_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__Section *s = section_of(v, "PENALTY");

    (void)state;
    set(&s->dimensions[1]->code, s->dimensions[0]->code);
    EXPECT_REFUSED(v, "section PENALTY", "used twice");
}

static void test_category_without_a_section_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__CatalogueDefinition *d = def_of(v, PUBLIC);
    Credit__V1__Section *last = d->sections[d->n_sections - 1];
    char expect[64];

    (void)state;
    snprintf(expect, sizeof expect, "category CATEGORY_%s has no section", last->code);
    d->n_sections--;
    credit__v1__section__free_unpacked(last, NULL);
    EXPECT_REFUSED(v, "catalogue PUBLIC", expect);
}

static void test_section_that_is_no_category_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    set(&section_of(v, "HONOUR")->code, "HONOURS");
    EXPECT_REFUSED(v, "section HONOURS", "not a public catalogue category");
}

static void test_required_number_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    dim_of(v, "PENALTY", "fine_amount_fen")->required = 1;
    EXPECT_REFUSED(v, "dimension fine_amount_fen", "cannot be required");
}

static void test_optional_severity_is_refused_as_the_node_relies_on_it(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    dim_of(v, "PENALTY", "severity")->required = 0;
    EXPECT_REFUSED(v, "section PENALTY", "penalty.severity must be a required dimension");
}

static void test_optional_subject_name_is_refused_in_the_common_dimensions(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__CatalogueDefinition *d = def_of(v, CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT);
    size_t i = 0;

    (void)state;
    while (i < d->n_common && strcmp(d->common[i]->field, "subject.name") != 0)
        i++;
    assert_true(i < d->n_common);
    d->common[i]->required = 0;
    EXPECT_REFUSED(v, "catalogue SERVICE_UNIT", "common dimensions",
                   "subject.name must be a required dimension");
}

static void test_missing_catalogue_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__CatalogueDefinition *last = v->catalogues[v->n_catalogues - 1];

    (void)state;
    assert_int_equal(last->catalogue, CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE);
    v->n_catalogues--;
    credit__v1__catalogue_definition__free_unpacked(last, NULL);
    EXPECT_REFUSED(v, "catalogue FINANCE is missing");
}

static void test_dimension_without_a_tier_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    dim_of(v, "LICENSING", "content")->tier = CREDIT__V1__TIER__TIER_UNSPECIFIED;
    EXPECT_REFUSED(v, "section LICENSING", "dimension content", "tier is required");
}

static void test_publicity_window_upside_down_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__Section *s = section_of(v, "PENALTY");

    (void)state;
    assert_true(s->n_publicity > 0);
    s->publicity[0]->min_months = s->publicity[0]->max_months + 1;
    EXPECT_REFUSED(v, "section PENALTY", "is not a window");
}

static void test_enum_dimension_without_a_field_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__Dimension *d = dim_of(v, "PENALTY", "remarks");

    (void)state;
    set(&d->field, "");
    d->type = CREDIT__V1__VALUE_TYPE__VALUE_TYPE_ENUM;
    EXPECT_REFUSED(v, "dimension remarks", "needs a typed field");
}

static void test_field_outside_the_sections_body_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    set(&dim_of(v, "LICENSING", "remarks")->field, "penalty.remarks");
    EXPECT_REFUSED(v, "section LICENSING", "outside the section's body \"licence\"");
}

static void test_unknown_input_message_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    set(&def_of(v, PUBLIC)->input_message, "credit.v1.NoSuchInput");
    EXPECT_REFUSED(v, "catalogue PUBLIC", "\"credit.v1.NoSuchInput\" is not a message");
}


/* --- Bad rules on a dimension ----------------------------------------------------------------- */

/* A Bound owned by the message it is put into (free_unpacked frees it). */
static Credit__V1__Bound *bound(double value)
{
    Credit__V1__Bound *b = malloc(sizeof *b);

    assert_non_null(b);
    credit__v1__bound__init(b);
    b->value = value;
    return b;
}

/* Appends a condition on `field` with up to two values (NULL: fewer) to d->required_when. */
static void add_condition(Credit__V1__Dimension *d, const char *field, const char *eq1,
                          const char *eq2)
{
    Credit__V1__Condition *c = malloc(sizeof *c);
    Credit__V1__Condition **grown =
        realloc(d->required_when, (d->n_required_when + 1) * sizeof *grown);

    assert_non_null(c);
    assert_non_null(grown);
    credit__v1__condition__init(c);
    c->field = strdup(field);
    c->equals = calloc(2, sizeof *c->equals);
    assert_non_null(c->field);
    assert_non_null(c->equals);
    if (eq1)
        c->equals[c->n_equals++] = strdup(eq1);
    if (eq2)
        c->equals[c->n_equals++] = strdup(eq2);
    d->required_when = grown;
    d->required_when[d->n_required_when++] = c;
}

static void add_allowed(Credit__V1__Dimension *d, const char *value)
{
    char **grown = realloc(d->allowed_values, (d->n_allowed_values + 1) * sizeof *grown);

    assert_non_null(grown);
    d->allowed_values = grown;
    d->allowed_values[d->n_allowed_values] = strdup(value);
    assert_non_null(d->allowed_values[d->n_allowed_values]);
    d->n_allowed_values++;
}

static void add_label(Credit__V1__Dimension *d, const char *value, const char *label)
{
    Credit__V1__ValueLabel *l = malloc(sizeof *l);
    Credit__V1__ValueLabel **grown = realloc(d->labels, (d->n_labels + 1) * sizeof *grown);

    assert_non_null(l);
    assert_non_null(grown);
    credit__v1__value_label__init(l);
    l->value = strdup(value);
    l->label = strdup(label);
    assert_non_null(l->value);
    assert_non_null(l->label);
    d->labels = grown;
    d->labels[d->n_labels++] = l;
}

static void test_seed_makes_the_representative_required_for_legal_persons(void **state)
{
    const catalog_section *s = catalog_public_section(tu_catalogue(),
                                                      CREDIT__V1__CATEGORY__CATEGORY_PENALTY);
    const catalog_dim *rep = catalog_dim_by_code(s, "legal_representative");
    const catalog_dim *type = catalog_dim_by_code(s, "legal_representative_id_type");

    (void)state;
    assert_non_null(rep);
    assert_false(rep->d->required);
    assert_int_equal(rep->d->n_required_when, 1);
    assert_string_equal(rep->when[0]->d->code, "subject_kind");
    assert_string_equal(rep->d->required_when[0]->equals[0], "SUBJECT_KIND_LEGAL_PERSON");
    assert_non_null(type);
    assert_string_equal(type->when[0]->d->code, "legal_representative_id_number");
    assert_int_equal(type->d->required_when[0]->n_equals, 0);
    assert_true(catalog_dim_by_code(s, "occurred_at")->d->required);
    assert_true(catalog_dim_by_code(s, "fine_amount_fen")->d->minimum != NULL);
}

static void test_bound_on_text_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    dim_of(v, "PENALTY", "authority")->maximum = bound(10);
    EXPECT_REFUSED(v, "section PENALTY", "dimension authority", "are for numbers",
                   "not VALUE_TYPE_TEXT");
}

static void test_fraction_bound_on_an_amount_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    dim_of(v, "PENALTY", "fine_amount_fen")->maximum = bound(0.5);
    EXPECT_REFUSED(v, "dimension fine_amount_fen", "maximum 0.5 must be a whole number");
}

static void test_minimum_above_maximum_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__Dimension *d = dim_of(v, "PENALTY", "fine_amount_fen");

    (void)state;
    d->maximum = bound(-1);
    EXPECT_REFUSED(v, "dimension fine_amount_fen", "minimum 0 is above maximum -1");
}

static void test_condition_naming_an_unknown_field_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_condition(dim_of(v, "PENALTY", "remarks"), "subject.no_such_field", NULL, NULL);
    EXPECT_REFUSED(v, "section PENALTY", "dimension remarks",
                   "\"subject.no_such_field\" is not the field of a typed dimension");
}

static void test_condition_on_a_section_field_in_the_common_dimensions_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__CatalogueDefinition *d = def_of(v, PUBLIC);
    size_t i = 0;

    (void)state;
    while (i < d->n_common && strcmp(d->common[i]->code, "tax_number") != 0)
        i++;
    assert_true(i < d->n_common);
    add_condition(d->common[i], "penalty.content", NULL, NULL);
    EXPECT_REFUSED(v, "common dimensions", "dimension tax_number", "the common ones");
}

static void test_condition_with_a_value_the_enum_lacks_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_condition(dim_of(v, "PENALTY", "remarks"), "subject.kind", "SUBJECT_KIND_LEGAL_PERSON",
                  "ROBOT");
    EXPECT_REFUSED(v, "dimension remarks", "\"ROBOT\" is not a value of credit.v1.SubjectKind");
}

static void test_condition_comparing_a_date_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_condition(dim_of(v, "PENALTY", "remarks"), "penalty.valid_until", "2026-01-01", NULL);
    EXPECT_REFUSED(v, "dimension remarks", "VALUE_TYPE_DATE", "only test for being given");
}

static void test_condition_on_the_dimension_itself_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_condition(dim_of(v, "PENALTY", "remarks"), "penalty.remarks", NULL, NULL);
    EXPECT_REFUSED(v, "dimension remarks", "cannot depend on itself");
}

static void test_required_with_conditions_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_condition(dim_of(v, "PENALTY", "content"), "subject.kind", "SUBJECT_KIND_LEGAL_PERSON",
                  NULL);
    EXPECT_REFUSED(v, "dimension content", "required and required_when exclude each other");
}

static void test_conditionally_required_number_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_condition(dim_of(v, "PENALTY", "fine_amount_fen"), "subject.kind",
                  "SUBJECT_KIND_LEGAL_PERSON", NULL);
    EXPECT_REFUSED(v, "dimension fine_amount_fen", "cannot be required, with conditions");
}

static void test_bad_pattern_is_refused_naming_the_dimension(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    set(&dim_of(v, "PENALTY", "decision_document_number")->pattern, "[A-Z");
    EXPECT_REFUSED(v, "section PENALTY", "dimension decision_document_number",
                   "pattern \"[A-Z\" is not a POSIX extended regular expression");
}

static void test_pattern_with_a_back_reference_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    set(&dim_of(v, "PENALTY", "decision_document_number")->pattern, "(a+)\\1");
    EXPECT_REFUSED(v, "dimension decision_document_number", "back-references");
}

static void test_pattern_on_a_date_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    set(&dim_of(v, "PENALTY", "valid_until")->pattern, "[0-9]+");
    EXPECT_REFUSED(v, "dimension valid_until", "a pattern is for VALUE_TYPE_TEXT");
}

static void test_allowed_values_on_a_uscc_are_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_allowed(dim_of(v, "PENALTY", "authority_uscc"), "91230500MA1B3N1N2M");
    EXPECT_REFUSED(v, "dimension authority_uscc", "allowed_values are for VALUE_TYPE_TEXT and "
                   "VALUE_TYPE_ENUM, not VALUE_TYPE_USCC");
}

static void test_allowed_value_the_enum_lacks_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_allowed(dim_of(v, "PENALTY", "severity"), "SEVERITY_GENERAL");
    add_allowed(dim_of(v, "PENALTY", "severity"), "CATASTROPHIC");
    EXPECT_REFUSED(v, "dimension severity",
                   "\"CATASTROPHIC\" is not a value of credit.v1.Severity");
}

static void test_seed_labels_the_severities_in_chinese(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    const Credit__V1__Dimension *d = dim_of(v, "PENALTY", "severity");

    (void)state;
    assert_int_equal(d->n_labels, 3);
    assert_string_equal(d->labels[1]->value, "SEVERITY_GENERAL");
    assert_string_equal(d->labels[1]->label, "一般");
    credit__v1__catalogue_version__free_unpacked(v, NULL);
}

static void test_labels_on_a_text_are_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_label(dim_of(v, "PENALTY", "authority"), "X", "某");
    EXPECT_REFUSED(v, "dimension authority", "labels are for VALUE_TYPE_ENUM, not VALUE_TYPE_TEXT");
}

static void test_a_label_of_a_value_the_enum_lacks_or_given_twice_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();

    (void)state;
    add_label(dim_of(v, "PENALTY", "severity"), "CATASTROPHIC", "灾难");
    EXPECT_REFUSED(v, "dimension severity",
                   "\"CATASTROPHIC\" is not a value of credit.v1.Severity");
    v = tu_seed_message();
    add_label(dim_of(v, "PENALTY", "severity"), "SEVERITY_SERIOUS", "一般");
    EXPECT_REFUSED(v, "dimension severity", "the label \"一般\" is given twice");
}

static void test_timestamp_in_the_extra_map_is_refused(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__Dimension *d = dim_of(v, "PENALTY", "remarks");

    (void)state;
    set(&d->field, "");
    d->type = CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TIMESTAMP;
    EXPECT_REFUSED(v, "dimension remarks", "VALUE_TYPE_TIMESTAMP needs a typed field");
}

static void test_rules_that_fit_compile(void **state)
{
    Credit__V1__CatalogueVersion *v = tu_seed_message();
    Credit__V1__Dimension *d = dim_of(v, "PENALTY", "decision_document_number");
    catalog_version *cv = NULL;
    char err[CATALOG_ERR_LEN] = "";

    (void)state;
    set(&d->pattern, "[A-Z0-9-]{1,40}");
    add_allowed(dim_of(v, "PENALTY", "penalty_category"), "罚款");
    add_condition(dim_of(v, "PENALTY", "remarks"), "subject.kind", "SUBJECT_KIND_LEGAL_PERSON",
                  "SUBJECT_KIND_INDIVIDUAL_BUSINESS");
    add_condition(dim_of(v, "PENALTY", "remarks"), "penalty.fine_amount_fen", NULL, NULL);
    dim_of(v, "PENALTY", "fine_amount_fen")->maximum = bound(100000000);
    if (catalog_compile(v, demo_unit, NULL, &cv, err) != 0)
        fail_msg("%s", err);
    assert_non_null(
        catalog_dim_by_code(catalog_public_section(cv, CREDIT__V1__CATEGORY__CATEGORY_PENALTY),
                            "decision_document_number")
            ->re);
    catalog_version_destroy(cv);
}

/* --- Changes ------------------------------------------------------------------------------- */

static int apply(int kind, const char *section, const char *code, Credit__V1__Dimension *d,
                 char *why)
{
    Credit__V1__ChangeRequest cr = CREDIT__V1__CHANGE_REQUEST__INIT;
    Credit__V1__CatalogueVersion *out = NULL;
    int rc;

    cr.kind = kind;
    cr.catalogue = PUBLIC;
    cr.section = (char *)section;
    cr.dimension_code = (char *)code;
    cr.dimension = d;
    rc = catalog_apply(tu_catalogue(), &cr, &out, why);
    if (rc == 0) {
        assert_int_equal(out->version, 2);
        credit__v1__catalogue_version__free_unpacked(out, NULL);
    }
    return rc;
}

static void test_changes_that_do_not_apply_get_their_codes(void **state)
{
    Credit__V1__Dimension d;
    char why[CATALOG_ERR_LEN];

    (void)state;
    tu_public_dimension("PENALTY", "remarks", &d);
    assert_int_equal(
        apply(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_ADD_DIMENSION, "PENALTY", "", &d, why), 6);
    assert_non_null(strstr(why, "already a dimension"));
    assert_int_equal(
        apply(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_CHANGE_DIMENSION, "PENALTY", "nope", &d, why),
        5);
    assert_int_equal(
        apply(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_REMOVE_DIMENSION, "PENALTY", "nope", NULL, why),
        5);
    assert_int_equal(
        apply(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_REMOVE_DIMENSION, "NOPE", "remarks", NULL, why),
        5);
    assert_non_null(strstr(why, "no section NOPE"));
    assert_int_equal(apply(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_UNSPECIFIED, "PENALTY", "remarks",
                           NULL, why),
                     3);
    /* A code is never renamed. */
    assert_int_equal(
        apply(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_CHANGE_DIMENSION, "PENALTY", "content", &d, why),
        3);
    assert_int_equal(
        apply(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_ADD_DIMENSION, "PENALTY", "", NULL, why), 3);
    assert_int_equal(apply(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_REMOVE_DIMENSION, "PENALTY",
                           "remarks", NULL, why),
                     0);
}

static void test_common_dimensions_change_with_an_empty_section(void **state)
{
    Credit__V1__Dimension d = CREDIT__V1__DIMENSION__INIT;
    catalog_version *v2;
    const catalog_dim *x;

    (void)state;
    d.code = "subject_phone";
    d.name = "联系电话 phone";
    d.type = CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TEXT;
    d.tier = CREDIT__V1__TIER__TIER_GOVERNMENT;
    v2 = tu_catalogue_changed(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_ADD_DIMENSION, PUBLIC, "", "",
                              &d);
    /* Every section of the catalogue has it now. */
    for (int c = 1; c <= 18; c++) {
        x = catalog_dim_by_code(catalog_public_section(v2, c), "subject_phone");
        assert_non_null(x);
        assert_int_equal(x->depth, 0);
    }
    catalog_version_destroy(v2);
}

/* --- The catalog in the store -------------------------------------------------------------- */

struct fixture {
    char dir[PATH_MAX];
    char db[PATH_MAX];
    store *st;
    char *seed;
    size_t seed_len;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char err[STORE_ERR_LEN], path[PATH_MAX];

    if (!fx || tu_mkdtemp(fx->dir, sizeof(fx->dir), "test_catalog") != 0 ||
        tu_join(fx->db, sizeof(fx->db), fx->dir, "db") != 0 ||
        store_open(fx->db, NULL, &fx->st, err) != 0) {
        free(fx);
        return -1;
    }
    snprintf(path, sizeof path, "%s/proto/catalogue.textproto", tu_env("CREDIT_SOURCE_DIR"));
    fx->seed = tu_read_file(path, &fx->seed_len);
    *state = fx;
    return fx->seed ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc;

    store_close(fx->st);
    rc = tu_rmrf(fx->dir);
    free(fx->seed);
    free(fx);
    return rc;
}

static void test_bad_seed_text_is_refused_with_its_line(void **state)
{
    struct fixture *fx = *state;
    static const char bad[] = "summary: \"x\"\ncatalogues {\n  catalogue: CATALOGUE_PUBLIK\n}\n";
    catalog *c = NULL;
    char err[CATALOG_ERR_LEN];

    assert_int_equal(catalog_open(fx->st, bad, sizeof bad - 1, "bad.textproto", demo_unit, NULL,
                                  &c, err),
                     -1);
    assert_null(c);
    assert_non_null(strstr(err, "bad.textproto:3:"));
    assert_non_null(strstr(err, "CATALOGUE_PUBLIK"));
    /* Nothing was stored: the next start seeds afresh. */
    assert_int_equal(catalog_open(fx->st, fx->seed, fx->seed_len, "seed", demo_unit, NULL, &c,
                                  err),
                     0);
    assert_int_equal(catalog_count(c), 1);
    catalog_destroy(c);
}

static void test_seed_that_sets_the_version_is_refused(void **state)
{
    struct fixture *fx = *state;
    size_t len = fx->seed_len + 32;
    char *text = malloc(len);
    catalog *c = NULL;
    char err[CATALOG_ERR_LEN];

    assert_non_null(text);
    len = (size_t)snprintf(text, len, "version: 7\n%s", fx->seed);
    assert_int_equal(catalog_open(fx->st, text, len, "seed", demo_unit, NULL, &c, err), -1);
    assert_non_null(strstr(err, "the node fills them in"));
    free(text);
}

static void test_versions_persist_and_take_effect_in_order(void **state)
{
    struct fixture *fx = *state;
    Credit__V1__Dimension d;
    catalog *c = NULL;
    catalog_version *v2;
    Google__Protobuf__Timestamp *at;
    store_batch *b;
    char err[CATALOG_ERR_LEN];
    int64_t now = (int64_t)time(NULL);

    assert_int_equal(catalog_open(fx->st, fx->seed, fx->seed_len, "seed", demo_unit, NULL, &c,
                                  err),
                     0);
    assert_int_equal(catalog_count(c), 1);
    assert_int_equal(catalog_at_ns(c, 0)->msg->version, 1);
    assert_string_equal(catalog_get(c, 1)->msg->approved_by, "seed");
    assert_null(catalog_get(c, 2));

    /* Version 2, in force an hour from now and 950 ms: it is in force from that very
     * nanosecond, not from the whole second (it once was in force 849 ms early). */
    tu_public_dimension("PENALTY", "fine_amount_fen", &d);
    d.tier = CREDIT__V1__TIER__TIER_GOVERNMENT;
    v2 = tu_catalogue_changed(CREDIT__V1__CHANGE_KIND__CHANGE_KIND_CHANGE_DIMENSION, PUBLIC,
                              "PENALTY", "fine_amount_fen", &d);
    at = malloc(sizeof *at);
    assert_non_null(at);
    google__protobuf__timestamp__init(at);
    at->seconds = now + 3600;
    at->nanos = 950000000;
    free(v2->msg->effective_at);
    v2->msg->effective_at = at;
    b = store_batch_create();
    assert_int_equal(versions_put(b, v2->msg), 0);
    assert_int_equal(store_write(fx->st, b, err), 0);
    store_batch_destroy(b);
    catalog_publish(c, v2);
    assert_int_equal(catalog_count(c), 2);
    assert_int_equal(catalog_at_ns(c, catalog_ns(now, 0))->msg->version, 1);
    assert_int_equal(catalog_at_ns(c, catalog_ns(now + 3600, 0))->msg->version, 1);
    assert_int_equal(catalog_at_ns(c, catalog_ns(now + 3600, 101000000))->msg->version, 1);
    assert_int_equal(catalog_at_ns(c, catalog_ns(now + 3600, 949999999))->msg->version, 1);
    assert_int_equal(catalog_at_ns(c, catalog_ns(now + 3600, 950000000))->msg->version, 2);
    assert_int_equal(catalog_at_ns(c, catalog_ns(now + 3601, 0))->msg->version, 2);
    assert_int_equal(catalog_newest(c)->msg->version, 2);
    catalog_destroy(c);

    /* A restart reads both back; the seed is checked again but not stored again. */
    assert_int_equal(catalog_open(fx->st, fx->seed, fx->seed_len, "seed", demo_unit, NULL, &c,
                                  err),
                     0);
    assert_false(catalog_seed_differs(c));
    assert_int_equal(catalog_count(c), 2);
    assert_int_equal(catalog_at_ns(c, catalog_ns(now + 7200, 0))->msg->version, 2);
    assert_int_equal(
        catalog_dim_by_code(catalog_public_section(catalog_get(c, 2),
                                                   CREDIT__V1__CATEGORY__CATEGORY_PENALTY),
                            "fine_amount_fen")
            ->d->tier,
        CREDIT__V1__TIER__TIER_GOVERNMENT);
    catalog_destroy(c);

    /* A seed edited since version 1 was stored is told apart, and does not govern. */
    {
        const char *at = strstr(fx->seed, "summary: \"");
        size_t head, len = fx->seed_len + 64;
        char *edited = malloc(len);

        assert_non_null(at);
        assert_non_null(edited);
        head = (size_t)(at - fx->seed) + strlen("summary: \"");
        len = (size_t)snprintf(edited, len, "%.*sEDITED %s", (int)head, fx->seed,
                               fx->seed + head);
        assert_int_equal(catalog_open(fx->st, edited, len, "edited", demo_unit, NULL, &c, err),
                         0);
        free(edited);
        assert_true(catalog_seed_differs(c));
        assert_null(strstr(catalog_get(c, 1)->msg->summary, "EDITED"));
        catalog_destroy(c);
    }

    /* A bad seed stops even a node that has stored versions. */
    assert_int_equal(catalog_open(fx->st, "catalogues {", 12, "broken", demo_unit, NULL, &c, err),
                     -1);
    assert_non_null(strstr(err, "broken:1:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_compiles_with_six_catalogues_and_eighteen_categories),
        cmocka_unit_test(test_dimensions_resolve_in_the_input_and_the_stored_record),
        cmocka_unit_test(test_unknown_field_path_is_refused_naming_the_entry),
        cmocka_unit_test(test_field_that_cannot_hold_the_value_type_is_refused),
        cmocka_unit_test(test_unregistered_responsible_unit_is_refused),
        cmocka_unit_test(test_code_used_twice_is_refused),
        cmocka_unit_test(test_category_without_a_section_is_refused),
        cmocka_unit_test(test_section_that_is_no_category_is_refused),
        cmocka_unit_test(test_required_number_is_refused),
        cmocka_unit_test(test_optional_severity_is_refused_as_the_node_relies_on_it),
        cmocka_unit_test(test_optional_subject_name_is_refused_in_the_common_dimensions),
        cmocka_unit_test(test_missing_catalogue_is_refused),
        cmocka_unit_test(test_dimension_without_a_tier_is_refused),
        cmocka_unit_test(test_publicity_window_upside_down_is_refused),
        cmocka_unit_test(test_enum_dimension_without_a_field_is_refused),
        cmocka_unit_test(test_field_outside_the_sections_body_is_refused),
        cmocka_unit_test(test_unknown_input_message_is_refused),
        cmocka_unit_test(test_seed_makes_the_representative_required_for_legal_persons),
        cmocka_unit_test(test_bound_on_text_is_refused),
        cmocka_unit_test(test_fraction_bound_on_an_amount_is_refused),
        cmocka_unit_test(test_minimum_above_maximum_is_refused),
        cmocka_unit_test(test_condition_naming_an_unknown_field_is_refused),
        cmocka_unit_test(test_condition_on_a_section_field_in_the_common_dimensions_is_refused),
        cmocka_unit_test(test_condition_with_a_value_the_enum_lacks_is_refused),
        cmocka_unit_test(test_condition_comparing_a_date_is_refused),
        cmocka_unit_test(test_condition_on_the_dimension_itself_is_refused),
        cmocka_unit_test(test_required_with_conditions_is_refused),
        cmocka_unit_test(test_conditionally_required_number_is_refused),
        cmocka_unit_test(test_bad_pattern_is_refused_naming_the_dimension),
        cmocka_unit_test(test_pattern_with_a_back_reference_is_refused),
        cmocka_unit_test(test_pattern_on_a_date_is_refused),
        cmocka_unit_test(test_allowed_values_on_a_uscc_are_refused),
        cmocka_unit_test(test_seed_labels_the_severities_in_chinese),
        cmocka_unit_test(test_labels_on_a_text_are_refused),
        cmocka_unit_test(test_a_label_of_a_value_the_enum_lacks_or_given_twice_is_refused),
        cmocka_unit_test(test_allowed_value_the_enum_lacks_is_refused),
        cmocka_unit_test(test_timestamp_in_the_extra_map_is_refused),
        cmocka_unit_test(test_rules_that_fit_compile),
        cmocka_unit_test(test_changes_that_do_not_apply_get_their_codes),
        cmocka_unit_test(test_common_dimensions_change_with_an_empty_section),
        cmocka_unit_test_setup_teardown(test_bad_seed_text_is_refused_with_its_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seed_that_sets_the_version_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_versions_persist_and_take_effect_in_order, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
