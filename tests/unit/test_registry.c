/*
 * test_registry.c — unit tests for server/data/registry.c against a real RocksDB.
 *
 * Each test gets a fresh temporary directory holding a store (tu_store.h); teardown closes it
 * and removes the directory. The registry's keys ("u/<code>", "i/<identity>"
 * in STORE_CF_UNITS) are read back through the store itself where a test must prove that
 * nothing else was written.
 */
#include "testutil.h"

#include "credit/v1/unit.pb-c.h"
#include "registry.h"
#include "store.h"
#include "tu_store.h"
#include "validate.h"

extern const unsigned char credit_demo_units[];
extern const size_t credit_demo_units_len;

/* Three units: a comment, a blank line, a USCC given as "-". */
static const char small_tsv[] =
    "# code\tkind\tuscc\tname\n"
    "office\tUNIT_KIND_OFFICE\t11500227MB1729565U\tDistrict office\n"
    "\n"
    "tax\tUNIT_KIND_DEPARTMENT\t-\tDistrict tax bureau\n"
    "town-bicheng\tUNIT_KIND_SERVICE_UNIT\t11500227MB1A0B2C2E\tBicheng\n";

static int seed(store *st, const char *tsv)
{
    char err[STORE_ERR_LEN] = "";
    int n = registry_seed(st, tsv, strlen(tsv), err);

    if (n < 0)
        print_error("registry_seed returned %d: %s\n", n, err);
    return n;
}

/* Every key and value of STORE_CF_UNITS, as one byte string "<klen>:<key>=<vlen>:<val>;...",
 * so two states of the family compare with memcmp. *n gets the number of keys. */
static char *dump_units(store *st, size_t *len, size_t *n)
{
    char err[STORE_ERR_LEN];
    store_iter *it = store_iter_create(st, NULL, STORE_CF_UNITS, NULL, 0, NULL, 0);
    char *out = NULL;
    size_t cap = 0, used = 0, count = 0;

    assert_non_null(it);
    for (; store_iter_valid(it); store_iter_next(it), count++) {
        size_t klen, vlen;
        const void *k = store_iter_key(it, &klen);
        const void *v = store_iter_value(it, &vlen);
        size_t need = used + klen + vlen + 64;

        if (need > cap) {
            cap = need * 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        used += (size_t)snprintf(out + used, cap - used, "%zu:", klen);
        memcpy(out + used, k, klen);
        used += klen;
        used += (size_t)snprintf(out + used, cap - used, "=%zu:", vlen);
        memcpy(out + used, v, vlen);
        used += vlen;
        out[used++] = ';';
    }
    CHECK_OK(store_iter_error(it, err));
    store_iter_destroy(it);
    *len = used;
    *n = count;
    return out;
}

static size_t count_units(store *st)
{
    size_t len, n;

    free(dump_units(st, &len, &n));
    return n;
}

static void write_binding(store *st, const char *identity, const char *code)
{
    char err[STORE_ERR_LEN];
    store_batch *b = store_batch_create();

    assert_non_null(b);
    registry_put_binding(b, identity, code);
    CHECK_OK(store_write(st, b, err));
    store_batch_destroy(b);
}

/* Resolves `identity` and asserts it is the unit `code`. */
static void check_resolves_to(store *st, const char *identity, const char *code)
{
    char err[STORE_ERR_LEN];
    Credit__V1__Unit *u = NULL;

    CHECK_OK(registry_resolve(st, identity, &u, err));
    assert_non_null(u);
    assert_string_equal(u->code, code);
    credit__v1__unit__free_unpacked(u, NULL);
}

/* Resolving `identity` is STORE_ENOTFOUND, with *out untouched. */
static void check_resolves_to_nothing(store *st, const char *identity)
{
    char err[STORE_ERR_LEN] = "untouched";
    Credit__V1__Unit *sentinel = (Credit__V1__Unit *)&sentinel, *u = sentinel;

    assert_int_equal(registry_resolve(st, identity, &u, err), STORE_ENOTFOUND);
    assert_ptr_equal(u, sentinel);
}

static void test_seed_writes_every_unit_and_returns_their_number(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    Credit__V1__Unit *u = NULL;

    assert_int_equal(seed(fx->st, small_tsv), 3);
    assert_int_equal(count_units(fx->st), 3);

    CHECK_OK(registry_get(fx->st, "office", &u, err));
    assert_string_equal(u->code, "office");
    assert_int_equal(u->kind, CREDIT__V1__UNIT_KIND__UNIT_KIND_OFFICE);
    assert_int_equal(u->status, CREDIT__V1__UNIT_STATUS__UNIT_STATUS_ACTIVE);
    assert_string_equal(u->uscc, "11500227MB1729565U");
    assert_string_equal(u->name, "District office");
    assert_string_equal(u->updated_by, "seed");
    assert_non_null(u->registered_at);
    assert_true(u->registered_at->seconds > 0);
    credit__v1__unit__free_unpacked(u, NULL);

    /* "-" is "no USCC". */
    CHECK_OK(registry_get(fx->st, "tax", &u, err));
    assert_int_equal(u->kind, CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT);
    assert_string_equal(u->uscc, "");
    assert_string_equal(u->name, "District tax bureau");
    credit__v1__unit__free_unpacked(u, NULL);

    CHECK_OK(registry_get(fx->st, "town-bicheng", &u, err));
    assert_int_equal(u->kind, CREDIT__V1__UNIT_KIND__UNIT_KIND_SERVICE_UNIT);
    credit__v1__unit__free_unpacked(u, NULL);
}

static void test_seed_accepts_the_embedded_demo_units(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN] = "";
    int n = registry_seed(fx->st, (const char *)credit_demo_units, credit_demo_units_len, err);

    if (n <= 0)
        print_error("registry_seed: %d: %s\n", n, err);
    assert_true(n > 0);
    assert_int_equal(count_units(fx->st), (size_t)n);
    check_resolves_to(fx->st, REGISTRY_UNIT_URI "office", "office");

    /* Every demo unit's USCC, where it has one, is a valid code. */
    store_iter *it = store_iter_create(fx->st, NULL, STORE_CF_UNITS, "u/", 2, NULL, 0);
    int checked = 0;

    assert_non_null(it);
    for (; store_iter_valid(it); store_iter_next(it)) {
        size_t vlen;
        const void *v = store_iter_value(it, &vlen);
        Credit__V1__Unit *u = credit__v1__unit__unpack(NULL, vlen, v);
        char why[128] = "";

        assert_non_null(u);
        if (u->uscc[0] && validate_uscc(u->uscc, why) != 0) {
            print_error("demo unit %s: uscc %s: %s\n", u->code, u->uscc, why);
            checked = -1000;
        }
        checked++;
        credit__v1__unit__free_unpacked(u, NULL);
    }
    CHECK_OK(store_iter_error(it, err));
    store_iter_destroy(it);
    assert_int_equal(checked, n);
}

static void test_second_seed_returns_zero_and_changes_nothing(void **state)
{
    tu_store *fx = *state;
    static const char other_tsv[] = "court\tUNIT_KIND_DEPARTMENT\t-\tCourt\n"
                                    "office\tUNIT_KIND_MUNICIPAL\t-\tSomething else\n";
    char err[STORE_ERR_LEN];
    Credit__V1__Unit *u = (Credit__V1__Unit *)&u;
    char *before, *after;
    size_t blen, bn, alen, an;

    assert_int_equal(seed(fx->st, small_tsv), 3);
    before = dump_units(fx->st, &blen, &bn);
    assert_int_equal(seed(fx->st, small_tsv), 0);
    assert_int_equal(seed(fx->st, other_tsv), 0);
    after = dump_units(fx->st, &alen, &an);
    assert_int_equal(an, bn);
    assert_int_equal(alen, blen);
    assert_memory_equal(after, before, blen);
    free(before);
    free(after);
    assert_int_equal(registry_get(fx->st, "court", &u, err), STORE_ENOTFOUND);
}

/* A bad line anywhere, even after good ones, fails the whole seed and writes nothing. */
static void test_seed_with_a_bad_line_fails_and_writes_nothing(void **state)
{
    tu_store *fx = *state;
    static const char *const bad_lines[] = {
        "nope\tNOT_A_KIND\t-\tUnknown kind\n",
        "nope\tdepartment\t-\tKind in lowercase\n",
        "nope\tUNIT_KIND_DEPARTMENT\t-\n",                    /* three fields */
        "Nope\tUNIT_KIND_DEPARTMENT\t-\tBad code\n",          /* uppercase code */
        "-nope\tUNIT_KIND_DEPARTMENT\t-\tBad code\n",         /* leading dash */
        "\tUNIT_KIND_DEPARTMENT\t-\tEmpty code\n",
    };
    char err[STORE_ERR_LEN], tsv[1024];
    Credit__V1__Unit *u = (Credit__V1__Unit *)&u;

    for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
        int n = snprintf(tsv, sizeof(tsv), "%s%s", small_tsv, bad_lines[i]);
        int rc;

        assert_true(n > 0 && (size_t)n < sizeof(tsv));
        err[0] = '\0';
        rc = registry_seed(fx->st, tsv, (size_t)n, err);
        if (rc >= 0) {
            print_error("bad line \"%s\" was accepted: %d\n", bad_lines[i], rc);
            fail();
        }
        assert_int_equal(rc, STORE_EINVAL);
        assert_true(err[0] != '\0');
        assert_int_equal(count_units(fx->st), 0);
        assert_int_equal(registry_get(fx->st, "office", &u, err), STORE_ENOTFOUND);
    }
    /* The refused seed left the registry empty, so a good one still seeds. */
    assert_int_equal(seed(fx->st, small_tsv), 3);
}

static void test_seed_error_names_the_bad_line(void **state)
{
    tu_store *fx = *state;
    static const char tsv[] = "# a comment\n"
                              "office\tUNIT_KIND_OFFICE\t-\tOffice\n"
                              "\n"
                              "nope\tNOT_A_KIND\t-\tX\n";
    char err[STORE_ERR_LEN] = "";

    assert_true(registry_seed(fx->st, tsv, strlen(tsv), err) < 0);
    CHECK_CONTAINS(err, "nope");
    CHECK_CONTAINS(err, "line 4"); /* lines of the file, comments and blanks counted */
}

static void test_seed_refuses_a_repeated_code_and_writes_nothing(void **state)
{
    tu_store *fx = *state;
    static const char tsv[] = "office\tUNIT_KIND_OFFICE\t-\tOffice\n"
                              "tax\tUNIT_KIND_DEPARTMENT\t-\tTax\n"
                              "office\tUNIT_KIND_PORTAL\t-\tAgain\n";
    char err[STORE_ERR_LEN] = "";
    Credit__V1__Unit *u = NULL;

    assert_int_equal(registry_seed(fx->st, tsv, strlen(tsv), err), STORE_EINVAL);
    CHECK_CONTAINS(err, "repeats code \"office\"");
    assert_int_equal(registry_get(fx->st, "tax", &u, err), STORE_ENOTFOUND);
}

static void test_resolve_maps_the_unit_uri_to_its_unit(void **state)
{
    tu_store *fx = *state;

    assert_int_equal(seed(fx->st, small_tsv), 3);
    check_resolves_to(fx->st, "urn:credit:unit:office", "office");
    check_resolves_to(fx->st, "urn:credit:unit:tax", "tax");
    check_resolves_to(fx->st, "urn:credit:unit:town-bicheng", "town-bicheng");
}

static void test_resolve_returns_notfound_for_an_unknown_code(void **state)
{
    tu_store *fx = *state;

    assert_int_equal(seed(fx->st, small_tsv), 3);
    check_resolves_to_nothing(fx->st, "urn:credit:unit:nobody-registered");
    check_resolves_to_nothing(fx->st, "urn:credit:unit:");
    check_resolves_to_nothing(fx->st, "urn:credit:unit:offic");
    check_resolves_to_nothing(fx->st, "urn:credit:unit:office2");
}

static void test_resolve_returns_notfound_for_a_foreign_uri_without_binding(void **state)
{
    tu_store *fx = *state;

    assert_int_equal(seed(fx->st, small_tsv), 3);
    check_resolves_to_nothing(fx->st, "urn:other:x");
    check_resolves_to_nothing(fx->st, "cn:office");
    check_resolves_to_nothing(fx->st, "office");
    check_resolves_to_nothing(fx->st, "urn:credit:units:office");
}

static void test_resolve_follows_a_cn_binding(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    char *code = NULL;

    assert_int_equal(seed(fx->st, small_tsv), 3);
    check_resolves_to_nothing(fx->st, "cn:partner");
    write_binding(fx->st, "cn:partner", "tax");
    check_resolves_to(fx->st, "cn:partner", "tax");
    CHECK_OK(registry_binding(fx->st, "cn:partner", &code, err));
    assert_string_equal(code, "tax");
    free(code);
    /* Exact match only. */
    check_resolves_to_nothing(fx->st, "cn:partne");
    check_resolves_to_nothing(fx->st, "cn:partner2");
}

static void test_resolve_follows_a_binding_of_a_foreign_uri(void **state)
{
    tu_store *fx = *state;

    assert_int_equal(seed(fx->st, small_tsv), 3);
    write_binding(fx->st, "urn:other:x", "town-bicheng");
    check_resolves_to(fx->st, "urn:other:x", "town-bicheng");
}

/* registry.h: "a binding first, then the unit URI". */
static void test_resolve_prefers_a_binding_over_the_unit_uri(void **state)
{
    tu_store *fx = *state;

    assert_int_equal(seed(fx->st, small_tsv), 3);
    write_binding(fx->st, "urn:credit:unit:tax", "office");
    check_resolves_to(fx->st, "urn:credit:unit:tax", "office");
    check_resolves_to(fx->st, "urn:credit:unit:town-bicheng", "town-bicheng");
}

static void test_binding_returns_notfound_when_unbound(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    char *code = (char *)&code;

    assert_int_equal(registry_binding(fx->st, "cn:nobody", &code, err), STORE_ENOTFOUND);
    assert_ptr_equal(code, (char *)&code);
}

static void test_get_returns_notfound_on_an_empty_registry(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    Credit__V1__Unit *u = (Credit__V1__Unit *)&u;

    assert_int_equal(registry_get(fx->st, "office", &u, err), STORE_ENOTFOUND);
    assert_ptr_equal(u, (Credit__V1__Unit *)&u);
}

static void test_put_writes_a_unit_that_get_reads_back(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN];
    char *ids[] = {"cn:a", "urn:b"};
    Credit__V1__Unit in = CREDIT__V1__UNIT__INIT, *u = NULL;
    store_batch *b = store_batch_create();

    assert_non_null(b);
    in.code = "bank-a";
    in.name = "Bank A";
    in.kind = CREDIT__V1__UNIT_KIND__UNIT_KIND_FINANCE;
    in.status = CREDIT__V1__UNIT_STATUS__UNIT_STATUS_SUSPENDED;
    in.status_reason = "audit";
    in.n_identities = 2;
    in.identities = ids;
    assert_int_equal(registry_put(b, &in), 0);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);

    CHECK_OK(registry_get(fx->st, "bank-a", &u, err));
    assert_string_equal(u->name, "Bank A");
    assert_int_equal(u->kind, CREDIT__V1__UNIT_KIND__UNIT_KIND_FINANCE);
    assert_int_equal(u->status, CREDIT__V1__UNIT_STATUS__UNIT_STATUS_SUSPENDED);
    assert_string_equal(u->status_reason, "audit");
    assert_int_equal(u->n_identities, 2);
    assert_string_equal(u->identities[1], "urn:b");
    credit__v1__unit__free_unpacked(u, NULL);
}

static void test_check_code_accepts_valid_codes(void **state)
{
    char code63[64], why[128];
    static const char *const good[] = {"office", "town-bicheng", "a", "0", "bank-a", "a-", "a--b"};

    (void)state;
    memset(code63, 'a', 63);
    code63[63] = '\0';
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        why[0] = '\0';
        if (registry_check_code(good[i], why) != 0) {
            print_error("\"%s\" refused: %s\n", good[i], why);
            fail();
        }
    }
    assert_int_equal(registry_check_code(code63, why), 0);
}

static void test_check_code_rejects_invalid_codes(void **state)
{
    char code64[65], why[128];
    static const char *const bad[] = {"", "Office", "-x", "a_b", "a b", "a/b", "office\n",
                                      "é", "a.b"};

    (void)state;
    memset(code64, 'a', 64);
    code64[64] = '\0';
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        if (registry_check_code(bad[i], why) != -1) {
            print_error("\"%s\" accepted\n", bad[i]);
            fail();
        }
        assert_true(why[0] != '\0');
    }
    why[0] = '\0';
    assert_int_equal(registry_check_code(code64, why), -1);
    CHECK_CONTAINS(why, "63");
}

static void test_check_identity_accepts_uri_and_cn(void **state)
{
    char id255[256], why[128];
    static const char *const good[] = {"urn:x", "cn:name", "urn:credit:unit:office",
                                       "cn:Office Name (Dept.)", "cn:区信用"};

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        why[0] = '\0';
        if (registry_check_identity(good[i], why) != 0) {
            print_error("\"%s\" refused: %s\n", good[i], why);
            fail();
        }
    }
    memcpy(id255, "cn:", 3);
    memset(id255 + 3, 'n', 252);
    id255[255] = '\0';
    assert_int_equal(registry_check_identity(id255, why), 0);
}

static void test_check_identity_rejects_invalid_identities(void **state)
{
    char id256[257], why[128];
    static const char *const bad[] = {"",          "name",       "urn",     "URN:x",  "cn",
                                      "cn:a\tb",   "cn:a\nb",    "urn:\x01", "cn:a\x7f",
                                      "uri:x",     " cn:x"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        if (registry_check_identity(bad[i], why) != -1) {
            print_error("bad identity #%zu accepted\n", i);
            fail();
        }
        assert_true(why[0] != '\0');
    }
    memcpy(id256, "cn:", 3);
    memset(id256 + 3, 'n', 253);
    id256[256] = '\0';
    why[0] = '\0';
    assert_int_equal(registry_check_identity(id256, why), -1);
    CHECK_CONTAINS(why, "255");
}

static void test_kind_from_name_maps_enum_names(void **state)
{
    (void)state;
    assert_int_equal(registry_kind_from_name("UNIT_KIND_DEPARTMENT"),
                     CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT);
    assert_int_equal(registry_kind_from_name("UNIT_KIND_OFFICE"),
                     CREDIT__V1__UNIT_KIND__UNIT_KIND_OFFICE);
    assert_int_equal(registry_kind_from_name("UNIT_KIND_SUBJECT"),
                     CREDIT__V1__UNIT_KIND__UNIT_KIND_SUBJECT);
}

static void test_kind_from_name_returns_zero_for_unknown_names(void **state)
{
    (void)state;
    assert_int_equal(registry_kind_from_name("department"), 0);
    assert_int_equal(registry_kind_from_name("NOT_A_KIND"), 0);
    assert_int_equal(registry_kind_from_name(""), 0);
    assert_int_equal(registry_kind_from_name("UNIT_KIND_DEPARTMENT "), 0);
    assert_int_equal(registry_kind_from_name("UNIT_KIND_UNSPECIFIED"), 0);
}

/* The codes a scan from `from` gives, joined by spaces, into out[256]. */
static int scan_codes(store *st, const char *from, char *out, char *err)
{
    registry_scan *s = NULL;
    Credit__V1__Unit *u;
    int rc;

    out[0] = '\0';
    if ((rc = registry_scan_open(st, from, &s)) != 0)
        return rc;
    while ((rc = registry_scan_next(s, &u, err)) > 0) {
        size_t at = strlen(out);

        snprintf(out + at, 256 - at, "%s%s", at ? " " : "", u->code);
        credit__v1__unit__free_unpacked(u, NULL);
    }
    registry_scan_close(s);
    return rc;
}

static void test_scan_gives_units_in_code_order_from_a_code(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], got[256];

    assert_int_equal(seed(fx->st, small_tsv), 3);
    /* A binding under "i/" is no unit. */
    store_batch *b = store_batch_create();
    assert_non_null(b);
    registry_put_binding(b, "cn:someone", "tax");
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
    CHECK_OK(scan_codes(fx->st, "", got, err));
    assert_string_equal(got, "office tax town-bicheng");
    CHECK_OK(scan_codes(fx->st, "tax", got, err));
    assert_string_equal(got, "tax town-bicheng");
    CHECK_OK(scan_codes(fx->st, "zzz", got, err));
    assert_string_equal(got, "");
}

static void test_scan_names_a_unit_that_does_not_decode(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], got[256];
    store_batch *b = store_batch_create();

    assert_int_equal(seed(fx->st, small_tsv), 3);
    assert_non_null(b);
    store_batch_put(b, STORE_CF_UNITS, "u/broken", 8, "\xff\xff", 2);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
    CHECK_FAILS_WITH(scan_codes(fx->st, "", got, err), "stored unit u/broken cannot be decoded");
    assert_int_equal(scan_codes(fx->st, "", got, err), STORE_ECORRUPT);
    Credit__V1__Unit *u = NULL;
    CHECK_FAILS_WITH(registry_get(fx->st, "broken", &u, err), "stored unit u/broken cannot be");
    assert_int_equal(registry_get(fx->st, "broken", &u, err), STORE_ECORRUPT);
    assert_null(u);
}

#define FX_TEST(f) cmocka_unit_test_setup_teardown(f, tu_store_setup, tu_store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_seed_writes_every_unit_and_returns_their_number),
        FX_TEST(test_seed_accepts_the_embedded_demo_units),
        FX_TEST(test_second_seed_returns_zero_and_changes_nothing),
        FX_TEST(test_seed_with_a_bad_line_fails_and_writes_nothing),
        FX_TEST(test_seed_error_names_the_bad_line),
        FX_TEST(test_seed_refuses_a_repeated_code_and_writes_nothing),
        FX_TEST(test_resolve_maps_the_unit_uri_to_its_unit),
        FX_TEST(test_resolve_returns_notfound_for_an_unknown_code),
        FX_TEST(test_resolve_returns_notfound_for_a_foreign_uri_without_binding),
        FX_TEST(test_resolve_follows_a_cn_binding),
        FX_TEST(test_resolve_follows_a_binding_of_a_foreign_uri),
        FX_TEST(test_resolve_prefers_a_binding_over_the_unit_uri),
        FX_TEST(test_binding_returns_notfound_when_unbound),
        FX_TEST(test_get_returns_notfound_on_an_empty_registry),
        FX_TEST(test_put_writes_a_unit_that_get_reads_back),
        FX_TEST(test_scan_gives_units_in_code_order_from_a_code),
        FX_TEST(test_scan_names_a_unit_that_does_not_decode),
        cmocka_unit_test(test_check_code_accepts_valid_codes),
        cmocka_unit_test(test_check_code_rejects_invalid_codes),
        cmocka_unit_test(test_check_identity_accepts_uri_and_cn),
        cmocka_unit_test(test_check_identity_rejects_invalid_identities),
        cmocka_unit_test(test_kind_from_name_maps_enum_names),
        cmocka_unit_test(test_kind_from_name_returns_zero_for_unknown_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
