/*
 * test_authz.c — the permission table (server/rules/authz.c), cell by cell.
 *
 * The expected table is written out here by hand, independently of authz.c: every capability
 * with the unit kinds that hold it. The tests go over every cell (each capability × each unit
 * kind, and kinds that are no kind), over every row of the method table against the services'
 * descriptors and the descriptor set (so a method or a service added to the protos without a
 * row fails here), and over the README's table of capabilities, which must say the same.
 *
 * Environment: CREDIT_DESC (the build's descriptor set), CREDIT_SOURCE_DIR (for README.md).
 */
#include "testutil.h"

#include "authz.h"
#include "credit/v1/association.pb-c.h"
#include "credit/v1/authorization.pb-c.h"
#include "credit/v1/catalogue.pb-c.h"
#include "credit/v1/finance.pb-c.h"
#include "credit/v1/industrial.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "credit/v1/service_unit.pb-c.h"
#include "credit/v1/sharing.pb-c.h"
#include "credit/v1/sync.pb-c.h"
#include "credit/v1/unit.pb-c.h"
#include "credit/v1/voluntary.pb-c.h"
#include "descset.h"
#include "node.h"

#define ALL_KINDS                                                                                  \
    "OFFICE DEPARTMENT SERVICE_UNIT ASSOCIATION_PLATFORM INDUSTRIAL_PLATFORM FINANCE MUNICIPAL "   \
    "PORTAL SUBJECT"

/* Kind names as credit.v1.UnitKind spells them, without a UNIT_KIND_ prefix. */
static const struct {
    const char *cap;
    const char *kinds; /* space-separated; "" for none */
    authz_use use;
} expected[] = {
    {"read.open", ALL_KINDS, AUTHZ_USE_METHOD},
    {"read.government", "OFFICE DEPARTMENT MUNICIPAL", AUTHZ_USE_METHOD},
    {"read.authorized", "FINANCE", AUTHZ_USE_METHOD},
    {"units.read", ALL_KINDS, AUTHZ_USE_METHOD},
    {"units.identities", "OFFICE", AUTHZ_USE_SCOPE},
    {"units.register", "OFFICE", AUTHZ_USE_METHOD},
    {"catalogue.read", ALL_KINDS, AUTHZ_USE_METHOD},
    {"catalogue.propose", "OFFICE DEPARTMENT SERVICE_UNIT MUNICIPAL", AUTHZ_USE_METHOD},
    {"catalogue.review", "OFFICE", AUTHZ_USE_METHOD},
    {"catalogue.decide", "OFFICE", AUTHZ_USE_METHOD},
    /* Every kind: the catalogue's responsible kinds and units narrow them, record by record. */
    {"push.public", ALL_KINDS, AUTHZ_USE_METHOD},
    {"push.service_unit", ALL_KINDS, AUTHZ_USE_METHOD},
    {"push.association", ALL_KINDS, AUTHZ_USE_METHOD},
    {"push.voluntary", ALL_KINDS, AUTHZ_USE_METHOD},
    {"push.industrial", "INDUSTRIAL_PLATFORM", AUTHZ_USE_METHOD},
    {"subject.self", "SUBJECT", AUTHZ_USE_SCOPE},
    {"voluntary.verify", "OFFICE", AUTHZ_USE_METHOD},
    {"mandate.manage", "OFFICE", AUTHZ_USE_METHOD},
    {"mandate.read", "OFFICE ASSOCIATION_PLATFORM", AUTHZ_USE_METHOD},
    {"mandate.hold", "ASSOCIATION_PLATFORM", AUTHZ_USE_SCOPE},
    {"optin.register", "OFFICE INDUSTRIAL_PLATFORM", AUTHZ_USE_METHOD},
    {"optin.revoke", "OFFICE INDUSTRIAL_PLATFORM SUBJECT", AUTHZ_USE_METHOD},
    {"optin.read", "OFFICE INDUSTRIAL_PLATFORM", AUTHZ_USE_METHOD},
    {"optin.hold", "INDUSTRIAL_PLATFORM", AUTHZ_USE_SCOPE},
    {"self.query", "SUBJECT", AUTHZ_USE_PLANNED},
    {"authorization.grant", "SUBJECT PORTAL", AUTHZ_USE_METHOD},
    {"portrait.read", "FINANCE", AUTHZ_USE_METHOD},
    {"portrait.template", "OFFICE", AUTHZ_USE_SCOPE},
    {"objection.file", "SUBJECT PORTAL", AUTHZ_USE_PLANNED},
    {"objection.decide", "OFFICE", AUTHZ_USE_PLANNED},
    {"repair.apply", "SUBJECT PORTAL", AUTHZ_USE_PLANNED},
    {"repair.decide", "OFFICE", AUTHZ_USE_PLANNED},
    {"sync.feed", "OFFICE MUNICIPAL", AUTHZ_USE_METHOD},
    {"audit.read", "OFFICE", AUTHZ_USE_PLANNED},
    {"authorization.request", "FINANCE", AUTHZ_USE_METHOD},
    {"authorization.relay", "PORTAL", AUTHZ_USE_SCOPE},
    {"authorization.read", "FINANCE SUBJECT PORTAL", AUTHZ_USE_METHOD},
    {"sync.replica", "OFFICE", AUTHZ_USE_SCOPE},
};
#define N_EXPECTED (sizeof expected / sizeof expected[0])

/* Every credit.v1 service the node serves. */
static const ProtobufCServiceDescriptor *const services[] = {
    &credit__v1__unit_registry__descriptor,
    &credit__v1__catalogue_governance__descriptor,
    &credit__v1__public_credit_collection__descriptor,
    &credit__v1__service_unit_collection__descriptor,
    &credit__v1__association_collection__descriptor,
    &credit__v1__voluntary_declaration__descriptor,
    &credit__v1__industrial_data_collection__descriptor,
    &credit__v1__open_query__descriptor,
    &credit__v1__government_sharing__descriptor,
    &credit__v1__authorization__descriptor,
    &credit__v1__authorized_query__descriptor,
    &credit__v1__credit_finance__descriptor,
    &credit__v1__sync__descriptor,
};
#define N_SERVICES (sizeof services / sizeof services[0])

/* The kind's name without the enum's prefix, as the expected table and the README write it. */
static const char *short_kind(const char *name)
{
    return strncmp(name, "UNIT_KIND_", 10) == 0 ? name + 10 : name;
}

/* Whether space-separated `list` holds `word`. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return 1;
    }
    return 0;
}

static void test_every_cell_of_the_table_holds_what_the_design_says(void **state)
{
    const ProtobufCEnumDescriptor *d = &credit__v1__unit_kind__descriptor;
    (void)state;
    for (size_t e = 0; e < N_EXPECTED; e++) {
        authz_cap cap = authz_cap_by_name(expected[e].cap);
        if (cap == AUTHZ_NONE)
            fail_msg("capability %s is not in the table", expected[e].cap);
        assert_string_equal(authz_cap_name(cap), expected[e].cap);
        if (authz_cap_use(cap) != expected[e].use)
            fail_msg("capability %s: use %d, expected %d", expected[e].cap, (int)authz_cap_use(cap),
                     (int)expected[e].use);
        assert_non_null(authz_cap_what(cap));
        for (unsigned i = 0; i < d->n_values; i++) {
            int want = has_word(expected[e].kinds, short_kind(d->values[i].name));
            int got = authz_kind_has(d->values[i].value, cap);
            if (want != got)
                fail_msg("cell %s × %s: the table says %s, expected %s", expected[e].cap,
                         d->values[i].name, got ? "held" : "not held", want ? "held" : "not held");
        }
        /* No value that is no unit kind holds anything: default deny. */
        assert_false(authz_kind_has(0, cap));
        assert_false(authz_kind_has(-1, cap));
        assert_false(authz_kind_has(10, cap));
        assert_false(authz_kind_has(31, cap));
        assert_false(authz_kind_has(64, cap));
    }
}

static void test_the_expected_table_names_every_capability_once(void **state)
{
    (void)state;
    assert_int_equal(N_EXPECTED, AUTHZ_N_CAPS - 1);
    for (int c = AUTHZ_NONE + 1; c < AUTHZ_N_CAPS; c++) {
        const char *name = authz_cap_name((authz_cap)c);
        size_t seen = 0;
        assert_non_null(name);
        for (size_t e = 0; e < N_EXPECTED; e++)
            seen += strcmp(expected[e].cap, name) == 0;
        if (seen != 1)
            fail_msg("capability %s is written %zu times in the expected table", name, seen);
    }
    assert_null(authz_cap_name(AUTHZ_NONE));
    assert_null(authz_cap_name(AUTHZ_N_CAPS));
    assert_int_equal(authz_cap_by_name("read.everything"), AUTHZ_NONE);
    assert_int_equal(authz_cap_by_name(""), AUTHZ_NONE);
}

static void test_no_kind_holds_the_empty_capability(void **state)
{
    (void)state;
    for (int k = 0; k < 12; k++) {
        assert_false(authz_kind_has(k, AUTHZ_NONE));
        assert_false(authz_kind_has(k, AUTHZ_N_CAPS));
    }
}

static void test_every_method_of_every_service_needs_a_method_capability(void **state)
{
    char err[256];
    (void)state;
    for (size_t s = 0; s < N_SERVICES; s++) {
        CHECK_OK(authz_check_service(services[s], err));
        for (unsigned m = 0; m < services[s]->n_methods; m++) {
            char path[200];
            authz_cap cap = authz_method_cap2(services[s]->name, services[s]->methods[m].name);
            snprintf(path, sizeof path, "/%s/%s", services[s]->name, services[s]->methods[m].name);
            assert_int_equal(authz_method_cap(path), cap);
            if (authz_cap_use(cap) != AUTHZ_USE_METHOD)
                fail_msg("%s needs %s, which is not a method capability", path,
                         authz_cap_name(cap) ? authz_cap_name(cap) : "nothing");
        }
    }
}

static void test_every_method_row_names_a_served_method(void **state)
{
    const char *svc, *method;
    authz_cap cap;
    size_t total = 0;
    (void)state;
    for (size_t s = 0; s < N_SERVICES; s++)
        total += services[s]->n_methods;
    assert_int_equal(authz_n_methods(), total);
    for (size_t i = 0; authz_method_row(i, &svc, &method, &cap) == 0; i++) {
        const ProtobufCServiceDescriptor *sd = NULL;
        for (size_t s = 0; s < N_SERVICES; s++)
            if (strcmp(services[s]->name, svc) == 0)
                sd = services[s];
        if (!sd || !protobuf_c_service_descriptor_get_method_by_name(sd, method))
            fail_msg("the method table's row %zu names %s/%s, which is not served", i, svc, method);
    }
    assert_int_equal(authz_method_row(authz_n_methods(), &svc, &method, &cap), -1);
}

static void test_every_method_capability_is_needed_and_no_planned_one_is(void **state)
{
    const char *svc, *method;
    authz_cap cap;
    int used[AUTHZ_N_CAPS] = {0};
    (void)state;
    for (size_t i = 0; authz_method_row(i, &svc, &method, &cap) == 0; i++)
        used[cap]++;
    for (int c = AUTHZ_NONE + 1; c < AUTHZ_N_CAPS; c++) {
        authz_use use = authz_cap_use((authz_cap)c);
        if ((use == AUTHZ_USE_METHOD) != (used[c] > 0))
            fail_msg("capability %s (use %d) is needed by %d methods", authz_cap_name(c), (int)use,
                     used[c]);
    }
}

static void test_the_catalogue_changes_are_the_offices_to_decide(void **state)
{
    (void)state;
    assert_int_equal(authz_method_cap("/credit.v1.CatalogueGovernance/ProposeChange"),
                     AUTHZ_CATALOGUE_PROPOSE);
    assert_int_equal(authz_method_cap("/credit.v1.CatalogueGovernance/ReviewChange"),
                     AUTHZ_CATALOGUE_REVIEW);
    assert_int_equal(authz_method_cap("/credit.v1.CatalogueGovernance/DecideChange"),
                     AUTHZ_CATALOGUE_DECIDE);
    /* Reinstate is on all four collecting services, each with its catalogue's capability. */
    assert_int_equal(authz_method_cap("/credit.v1.PublicCreditCollection/Reinstate"),
                     AUTHZ_PUSH_PUBLIC);
    assert_int_equal(authz_method_cap("/credit.v1.ServiceUnitCollection/Reinstate"),
                     AUTHZ_PUSH_SERVICE_UNIT);
    assert_int_equal(authz_method_cap("/credit.v1.AssociationCollection/Reinstate"),
                     AUTHZ_PUSH_ASSOCIATION);
    assert_int_equal(authz_method_cap("/credit.v1.VoluntaryDeclaration/Reinstate"),
                     AUTHZ_PUSH_VOLUNTARY);
    assert_int_equal(authz_method_cap("/credit.v1.IndustrialDataCollection/PushSamples"),
                     AUTHZ_PUSH_INDUSTRIAL);
}

static void test_each_collected_catalogue_has_its_push_capability(void **state)
{
    char held[160];
    (void)state;
    assert_int_equal(authz_push_cap(CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC), AUTHZ_PUSH_PUBLIC);
    assert_int_equal(authz_push_cap(CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT),
                     AUTHZ_PUSH_SERVICE_UNIT);
    assert_int_equal(authz_push_cap(CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION),
                     AUTHZ_PUSH_ASSOCIATION);
    assert_int_equal(authz_push_cap(CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY),
                     AUTHZ_PUSH_VOLUNTARY);
    assert_int_equal(authz_push_cap(CREDIT__V1__CATALOGUE__CATALOGUE_INDUSTRIAL),
                     AUTHZ_PUSH_INDUSTRIAL);
    /* The finance catalogue is templates, never pushed; no value is a catalogue of records. */
    assert_int_equal(authz_push_cap(CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE), AUTHZ_NONE);
    assert_int_equal(authz_push_cap(0), AUTHZ_NONE);
    assert_int_equal(authz_push_cap(99), AUTHZ_NONE);
    /* Kinds by their enum values' names, as a grpcurl user writes them. */
    assert_string_equal(authz_cap_holders(AUTHZ_READ_GOVERNMENT, held, sizeof held),
                        "UNIT_KIND_OFFICE, UNIT_KIND_DEPARTMENT, UNIT_KIND_MUNICIPAL");
    assert_string_equal(authz_cap_holders(AUTHZ_NONE, held, sizeof held), "no unit kind");
    /* A buffer too small for the list names fewer kinds, never half of one. */
    authz_cap_holders(AUTHZ_READ_OPEN, held, 20);
    assert_true(strlen(held) < 20);
    assert_true(held[0] == '\0' || held[strlen(held) - 1] != ',');
}

static void test_unknown_and_malformed_paths_need_no_capability_and_are_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "/",
        "//",
        "credit.v1.UnitRegistry/WhoAmI",
        "/credit.v1.UnitRegistry",
        "/credit.v1.UnitRegistry/",
        "/credit.v1.UnitRegistry/WhoAmI/",
        "/credit.v1.Unit/WhoAmI",
        "/credit.v1.UnitRegistryX/WhoAmI",
        "/credit.v1.UnitRegistry/whoami",
        "/grpc.health.v1.Health/Check",
    };
    (void)state;
    assert_int_equal(authz_method_cap(NULL), AUTHZ_NONE);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (authz_method_cap(bad[i]) != AUTHZ_NONE)
            fail_msg("path \"%s\" has a capability", bad[i]);
    }
    assert_int_equal(authz_method_cap2("credit.v1.UnitRegistry", "Nope"), AUTHZ_NONE);
}

/* A principal of `kind` named `code`, on the stack of the caller's choosing. */
static void make_principal(principal *p, const char *code, int kind)
{
    memset(p, 0, sizeof *p);
    snprintf(p->code, sizeof p->code, "%s", code);
    p->kind = kind;
}

static void test_a_refusal_names_the_unit_its_kind_and_the_missing_capability(void **state)
{
    principal p;
    char why[AUTHZ_WHY_LEN];
    (void)state;
    make_principal(&p, "tax", CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT);
    assert_int_equal(authz_check(&p, AUTHZ_CATALOGUE_REVIEW, why), -1);
    assert_non_null(strstr(why, "unit tax ("));
    assert_non_null(strstr(why, "DEPARTMENT) lacks capability catalogue.review (held by "));
    assert_non_null(strstr(why, "OFFICE)"));
    assert_int_equal(authz_check(&p, AUTHZ_READ_GOVERNMENT, why), 0);
    assert_true(authz_has(&p, AUTHZ_PUSH_PUBLIC));
    assert_false(authz_has(&p, AUTHZ_VOLUNTARY_VERIFY));
    assert_false(authz_has(NULL, AUTHZ_READ_OPEN));

    make_principal(&p, "town-bicheng", CREDIT__V1__UNIT_KIND__UNIT_KIND_SERVICE_UNIT);
    assert_int_equal(authz_check(&p, AUTHZ_READ_GOVERNMENT, why), -1);
    assert_non_null(strstr(why, "lacks capability read.government (held by "));
    assert_int_equal(authz_check(&p, AUTHZ_CATALOGUE_PROPOSE, why), 0);

    /* A capability no kind holds yet, and no capability at all. */
    assert_int_equal(authz_check(&p, AUTHZ_NONE, why), -1);
    assert_non_null(strstr(why, "unit town-bicheng"));
    make_principal(&p, "nobody", 0);
    assert_int_equal(authz_check(&p, AUTHZ_READ_OPEN, why), -1);
    assert_non_null(strstr(why, "lacks capability read.open"));
}

static void test_a_service_with_a_method_missing_from_the_table_is_refused(void **state)
{
    const ProtobufCServiceDescriptor *real = &credit__v1__unit_registry__descriptor;
    ProtobufCMethodDescriptor m[2] = {real->methods[0], real->methods[0]};
    ProtobufCServiceDescriptor sd = *real;
    char err[256];
    (void)state;
    m[1].name = "DeleteEverything";
    sd.methods = m;
    sd.n_methods = 2;
    CHECK_FAILS_WITH(authz_check_service(&sd, err), "DeleteEverything");
    CHECK_FAILS_WITH(authz_check_service(&sd, err), "no capability in the permission table");
    sd.name = "credit.v1.Unknown";
    sd.n_methods = 1;
    CHECK_FAILS_WITH(authz_check_service(&sd, err), "credit.v1.Unknown/");
}

static void test_the_descriptor_set_has_no_credit_service_beyond_the_table(void **state)
{
    size_t len = 0;
    char *data = tu_read_file(tu_env("CREDIT_DESC"), &len);
    descset *ds = NULL;
    char err[256];
    size_t credit = 0;
    (void)state;
    assert_non_null(data);
    CHECK_OK(descset_create((const unsigned char *)data, len, &ds, err));
    for (size_t i = 0; i < descset_service_count(ds); i++) {
        const char *name = descset_service_name(ds, i);
        int known = 0;
        if (strncmp(name, "credit.", 7) != 0)
            continue;
        credit++;
        for (size_t s = 0; s < N_SERVICES; s++)
            known |= strcmp(services[s]->name, name) == 0;
        if (!known)
            fail_msg("service %s is in the protos but not in this test's list", name);
    }
    assert_int_equal(credit, N_SERVICES);
    descset_destroy(ds);
    free(data);
}

/* The README's "Who may do what" table: one row per capability, `name` | kinds | ... */
static void test_the_readme_table_says_what_the_table_says(void **state)
{
    char path[PATH_MAX];
    size_t len = 0;
    int seen[AUTHZ_N_CAPS] = {0}, wrong = 0;
    const ProtobufCEnumDescriptor *d = &credit__v1__unit_kind__descriptor;
    (void)state;
    tu_join(path, sizeof path, tu_env("CREDIT_SOURCE_DIR"), "README.md");
    char *text = tu_read_file(path, &len);
    assert_non_null(text);
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char name[64], kinds[400];
        if (sscanf(line, "| `%63[a-z._]` | %399[^|]|", name, kinds) == 2) {
            authz_cap cap = authz_cap_by_name(name);
            if (cap != AUTHZ_NONE) {
                seen[cap]++;
                for (char *c = kinds; *c; c++)
                    if (*c == ',')
                        *c = ' ';
                for (unsigned i = 0; i < d->n_values; i++) {
                    if (d->values[i].value == 0)
                        continue;
                    int want = authz_kind_has(d->values[i].value, cap);
                    /* The README may name a kind by its value's name or its short name. */
                    int got = has_word(kinds, d->values[i].name) ||
                              has_word(kinds, short_kind(d->values[i].name));
                    if (want != got) {
                        print_error("README: %s × %s says %s; authz.c says %s\n", name,
                                    d->values[i].name, got ? "held" : "not held",
                                    want ? "held" : "not held");
                        wrong++;
                    }
                }
            }
        }
        line = next;
    }
    free(text);
    for (int c = AUTHZ_NONE + 1; c < AUTHZ_N_CAPS; c++) {
        if (seen[c] != 1) {
            print_error("README: capability %s has %d rows in the table\n", authz_cap_name(c),
                        seen[c]);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell_of_the_table_holds_what_the_design_says),
        cmocka_unit_test(test_the_expected_table_names_every_capability_once),
        cmocka_unit_test(test_no_kind_holds_the_empty_capability),
        cmocka_unit_test(test_every_method_of_every_service_needs_a_method_capability),
        cmocka_unit_test(test_every_method_row_names_a_served_method),
        cmocka_unit_test(test_every_method_capability_is_needed_and_no_planned_one_is),
        cmocka_unit_test(test_the_catalogue_changes_are_the_offices_to_decide),
        cmocka_unit_test(test_each_collected_catalogue_has_its_push_capability),
        cmocka_unit_test(test_unknown_and_malformed_paths_need_no_capability_and_are_refused),
        cmocka_unit_test(test_a_refusal_names_the_unit_its_kind_and_the_missing_capability),
        cmocka_unit_test(test_a_service_with_a_method_missing_from_the_table_is_refused),
        cmocka_unit_test(test_the_descriptor_set_has_no_credit_service_beyond_the_table),
        cmocka_unit_test(test_the_readme_table_says_what_the_table_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
