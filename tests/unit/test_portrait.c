/*
 * test_portrait.c — portrait templates (checked as part of every catalogue version), the
 * portrait builder's counting rules, the signing key file and the signature over the
 * deterministic encoding.
 */
#include "pb.h"
#include "portrait.h"
#include "signkey.h"
#include "tu_catalog.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <sys/stat.h>

/* --- Templates ---------------------------------------------------------------------------- */

static Credit__V1__Section *finance_section(Credit__V1__CatalogueVersion *m, const char *code)
{
    for (size_t i = 0; i < m->n_catalogues; i++) {
        if (m->catalogues[i]->catalogue != CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE)
            continue;
        for (size_t k = 0; k < m->catalogues[i]->n_sections; k++) {
            if (strcmp(m->catalogues[i]->sections[k]->code, code) == 0)
                return m->catalogues[i]->sections[k];
        }
    }
    fail_msg("no finance section %s", code);
    return NULL;
}

/* Compiles the seed after `edit` changed it; returns what catalog_compile said. */
static int compile_edited(void (*edit)(Credit__V1__CatalogueVersion *), char *err)
{
    Credit__V1__CatalogueVersion *m = tu_seed_message();
    catalog_version *cv = NULL;

    edit(m);
    int rc = catalog_compile(m, tu_any_unit, NULL, &cv, err);
    if (rc == 0)
        catalog_version_destroy(cv);
    else
        credit__v1__catalogue_version__free_unpacked(m, NULL);
    return rc;
}

static void test_seed_has_the_two_templates(void **state)
{
    (void)state;
    const catalog_version *cv = tu_catalogue();
    const catalog_section *basic =
        catalog_find_section(cv, CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE, "SMALL_MICRO_BASIC");
    const catalog_section *sole =
        catalog_find_section(cv, CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE, "SOLE_PROPRIETOR");
    assert_non_null(basic);
    assert_non_null(sole);
    assert_non_null(basic->s->portrait);
    assert_true(basic->s->portrait->n_items >= 6);
    assert_int_equal(sole->s->portrait->subject_kinds[0],
                     CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_INDIVIDUAL_BUSINESS);
}

static void unknown_section(Credit__V1__CatalogueVersion *m)
{
    Credit__V1__PortraitItemSpec *it = finance_section(m, "SMALL_MICRO_BASIC")->portrait->items[0];
    free(it->section);
    it->section = strdup("NO_SUCH");
}

static void by_severity_on_licences(Credit__V1__CatalogueVersion *m)
{
    finance_section(m, "SMALL_MICRO_BASIC")->portrait->items[0]->aggregate =
        CREDIT__V1__AGGREGATE__AGGREGATE_BY_SEVERITY;
}

static void government_metric(Credit__V1__CatalogueVersion *m)
{
    Credit__V1__PortraitTemplate *t = finance_section(m, "SMALL_MICRO_BASIC")->portrait;
    Credit__V1__PortraitItemSpec *it = t->items[t->n_items - 1]; /* electricity_monthly */
    free(it->metric);
    it->metric = strdup("energy_cost_fen");
}

static void twice_the_same_code(Credit__V1__CatalogueVersion *m)
{
    Credit__V1__PortraitTemplate *t = finance_section(m, "SOLE_PROPRIETOR")->portrait;
    free(t->items[1]->code);
    t->items[1]->code = strdup(t->items[0]->code);
}

static void no_portrait(Credit__V1__CatalogueVersion *m)
{
    Credit__V1__Section *s = finance_section(m, "SOLE_PROPRIETOR");
    credit__v1__portrait_template__free_unpacked(s->portrait, NULL);
    s->portrait = NULL;
}

static void too_many_months(Credit__V1__CatalogueVersion *m)
{
    Credit__V1__PortraitTemplate *t = finance_section(m, "SOLE_PROPRIETOR")->portrait;
    t->items[t->n_items - 1]->months = PORTRAIT_MONTHS_MAX + 1;
}

static void test_catalogue_refuses_templates_that_make_no_sense(void **state)
{
    char err[CATALOG_ERR_LEN];
    (void)state;
    CHECK_FAILS_WITH(compile_edited(unknown_section, err), "has no section NO_SUCH");
    CHECK_FAILS_WITH(compile_edited(by_severity_on_licences, err),
                     "needs a section with publicity");
    CHECK_FAILS_WITH(compile_edited(government_metric, err), "TIER_GOVERNMENT");
    CHECK_FAILS_WITH(compile_edited(twice_the_same_code, err), "the code is used twice");
    CHECK_FAILS_WITH(compile_edited(no_portrait, err), "portrait is required");
    CHECK_FAILS_WITH(compile_edited(too_many_months, err), "months must be 1 to 36");
}

static void test_set_template_change_adds_and_replaces_a_template(void **state)
{
    (void)state;
    char err[CATALOG_ERR_LEN];
    Credit__V1__CatalogueVersion *seed = tu_seed_message();
    Credit__V1__Section *s =
        (Credit__V1__Section *)pb_copy(&finance_section(seed, "SOLE_PROPRIETOR")->base);
    Credit__V1__ChangeRequest cr = CREDIT__V1__CHANGE_REQUEST__INIT;
    Credit__V1__CatalogueVersion *next = NULL;
    catalog_version *cv = NULL;

    free(s->code);
    s->code = strdup("AGRI_COOP");
    cr.catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE;
    cr.section = "AGRI_COOP";
    cr.kind = CREDIT__V1__CHANGE_KIND__CHANGE_KIND_SET_TEMPLATE;
    cr.portrait_template = s;
    CHECK_OK(catalog_apply(tu_catalogue(), &cr, &next, err));
    CHECK_OK(catalog_compile(next, tu_any_unit, NULL, &cv, err));
    assert_non_null(
        catalog_find_section(cv, CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE, "AGRI_COOP"));
    assert_int_equal(cv->msg->version, 2);
    catalog_version_destroy(cv);

    /* The same code replaces; a bad template applies but does not compile. */
    cr.section = "SOLE_PROPRIETOR";
    free(s->code);
    s->code = strdup("SOLE_PROPRIETOR");
    s->portrait->items[0]->catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE;
    CHECK_OK(catalog_apply(tu_catalogue(), &cr, &next, err));
    CHECK_FAILS_WITH(catalog_compile(next, tu_any_unit, NULL, &cv, err), "catalogue must be");
    credit__v1__catalogue_version__free_unpacked(next, NULL);

    /* Only the finance catalogue has templates; the code must match the section. */
    cr.catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;
    CHECK_FAILS_WITH(catalog_apply(tu_catalogue(), &cr, &next, err), "FINANCE catalogue only");
    cr.catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE;
    cr.section = "OTHER";
    CHECK_FAILS_WITH(catalog_apply(tu_catalogue(), &cr, &next, err), "differs from section");
    credit__v1__section__free_unpacked(s, NULL);
    credit__v1__catalogue_version__free_unpacked(seed, NULL);
}

/* --- Building ----------------------------------------------------------------------------- */

typedef struct fixture_record {
    Credit__V1__Record rec;
    Credit__V1__RecordMeta meta;
    Credit__V1__RecordStatus status;
    Credit__V1__Penalty penalty;
    Credit__V1__Licence licence;
    Credit__V1__VoluntaryClaim claim;
    Credit__V1__Date date;
} fixture_record;

static void make_record(fixture_record *f, const char *id, int catalogue, int category,
                        const char *section, int y, int m, int d)
{
    credit__v1__record__init(&f->rec);
    credit__v1__record_meta__init(&f->meta);
    credit__v1__record_status__init(&f->status);
    credit__v1__date__init(&f->date);
    f->date.year = y;
    f->date.month = m;
    f->date.day = d;
    f->rec.meta = &f->meta;
    f->meta.status = &f->status;
    f->meta.record_id = (char *)id;
    f->meta.catalogue = catalogue;
    f->meta.category = category;
    f->meta.section = (char *)section;
    f->meta.source_unit = "market";
    f->meta.version = 2;
    f->meta.catalogue_version = 1;
}

static void make_penalty(fixture_record *f, const char *id, int severity, int y)
{
    make_record(f, id, CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC,
                CREDIT__V1__CATEGORY__CATEGORY_PENALTY, "", y, 3, 1);
    credit__v1__penalty__init(&f->penalty);
    f->penalty.severity = severity;
    f->penalty.decision_document_number = (char *)id;
    f->penalty.decision_date = &f->date;
    f->rec.body_case = CREDIT__V1__RECORD__BODY_PENALTY;
    f->rec.penalty = &f->penalty;
}

static const Credit__V1__PortraitItem *item(const Credit__V1__Portrait *p, const char *code)
{
    for (size_t i = 0; i < p->n_items; i++) {
        if (strcmp(p->items[i]->code, code) == 0)
            return p->items[i];
    }
    fail_msg("no item %s", code);
    return NULL;
}

static void test_portrait_counts_what_a_lender_may_rely_on(void **state)
{
    (void)state;
    const catalog_section *t = catalog_find_section(
        tu_catalogue(), CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE, "SMALL_MICRO_BASIC");
    Credit__V1__Portrait *p = portrait_create(t);
    Credit__V1__Date today = CREDIT__V1__DATE__INIT;
    fixture_record r[7];

    assert_non_null(p);
    today.year = 2026;
    today.month = 12;
    today.day = 1;
    make_penalty(&r[0], "p-serious-open", CREDIT__V1__SEVERITY__SEVERITY_SERIOUS, 2026);
    make_penalty(&r[1], "p-general-ended", CREDIT__V1__SEVERITY__SEVERITY_GENERAL, 2020);
    make_penalty(&r[2], "p-withdrawn", CREDIT__V1__SEVERITY__SEVERITY_GENERAL, 2026);
    r[2].status.withdrawn = 1;
    make_penalty(&r[3], "p-disputed", CREDIT__V1__SEVERITY__SEVERITY_GENERAL, 2026);
    r[3].status.disputed = 1;
    make_record(&r[4], "lic-1", CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC,
                CREDIT__V1__CATEGORY__CATEGORY_LICENSING, "", 2025, 1, 2);
    credit__v1__licence__init(&r[4].licence);
    r[4].licence.certificate_name = "食品经营许可证";
    r[4].licence.decision_date = &r[4].date;
    r[4].rec.body_case = CREDIT__V1__RECORD__BODY_LICENCE;
    r[4].rec.licence = &r[4].licence;
    for (int i = 5; i < 7; i++) {
        make_record(&r[i], i == 5 ? "honour-verified" : "honour-pending",
                    CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY, 0, "HONOUR", 2025, 6, 1);
        credit__v1__voluntary_claim__init(&r[i].claim);
        r[i].claim.title = "区优秀民营企业";
        r[i].rec.body_case = CREDIT__V1__RECORD__BODY_CLAIM;
        r[i].rec.claim = &r[i].claim;
    }
    r[5].status.verification = CREDIT__V1__VERIFICATION__VERIFICATION_VERIFIED;
    r[6].status.verification = CREDIT__V1__VERIFICATION__VERIFICATION_PENDING;
    for (int i = 0; i < 7; i++)
        assert_int_equal(portrait_add_record(p, &r[i].rec, &today), 0);

    const Credit__V1__PortraitItem *pen = item(p, "penalties");
    assert_int_equal(pen->count, 3); /* the withdrawn one counts nowhere */
    assert_int_equal(pen->disputed, 1);
    assert_int_equal(pen->n_by_severity, 3);
    assert_int_equal(pen->by_severity[0]->count, 0); /* minor */
    assert_int_equal(pen->by_severity[1]->count, 2); /* general: one past its publicity */
    assert_int_equal(pen->by_severity[1]->in_publicity, 1);
    assert_int_equal(pen->by_severity[2]->in_publicity, 1);
    assert_int_equal(pen->n_entries, 2); /* only those still in publicity are listed */
    assert_string_equal(pen->entries[0]->title, "p-serious-open");
    assert_true(pen->entries[0]->in_publicity);
    assert_true(pen->entries[1]->disputed);
    assert_string_equal(pen->entries[0]->provenance->source_unit, "market");
    assert_string_equal(pen->entries[0]->provenance->record_id, "p-serious-open");
    assert_int_equal(pen->entries[0]->provenance->record_version, 2);
    assert_int_equal(pen->entries[0]->provenance->catalogue_version, 1);

    const Credit__V1__PortraitItem *lic = item(p, "licences");
    assert_int_equal(lic->count, 1);
    assert_string_equal(lic->entries[0]->title, "食品经营许可证");
    assert_int_equal(lic->entries[0]->date->year, 2025);

    const Credit__V1__PortraitItem *hon = item(p, "honours");
    assert_int_equal(hon->count, 1); /* only the verified declaration */
    assert_string_equal(hon->entries[0]->provenance->record_id, "honour-verified");

    const Credit__V1__PortraitItem *sales = item(p, "sales_monthly");
    assert_int_equal(portrait_add_month((Credit__V1__PortraitItem *)sales, "2026-11",
                                        "ind-platform", 1234.5, 30, 1),
                     0);
    assert_int_equal(sales->n_months, 1);
    assert_string_equal(sales->months[0]->provenance->source_unit, "ind-platform");
    assert_string_equal(sales->months[0]->provenance->record_id, "");
    credit__v1__portrait__free_unpacked(p, NULL);
}

/* --- The key and the signature ------------------------------------------------------------ */

typedef struct key_fixture {
    char dir[PATH_MAX], path[PATH_MAX];
} key_fixture;

static int key_setup(void **state)
{
    key_fixture *f = calloc(1, sizeof *f);
    if (!f || tu_mkdtemp(f->dir, sizeof f->dir, "test_portrait") != 0 ||
        tu_join(f->path, sizeof f->path, f->dir, "signing.key") != 0)
        return -1;
    *state = f;
    return 0;
}

static int key_teardown(void **state)
{
    key_fixture *f = *state;
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static void test_signing_key_is_made_once_private_and_kept(void **state)
{
    key_fixture *f = *state;
    char err[SIGNKEY_ERR_LEN], id[SIGNKEY_ID_LEN + 1];
    signkey *k = NULL;
    struct stat st;

    CHECK_FAILS_WITH(signkey_open(f->path, 0, &k, err), "cannot open key file");
    CHECK_OK(signkey_open(f->path, 1, &k, err));
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(id, sizeof id, "%s", signkey_id(k));
    assert_int_equal(strlen(id), SIGNKEY_ID_LEN);
    CHECK_CONTAINS(signkey_public_pem(k), "-----BEGIN PUBLIC KEY-----");
    signkey_close(k);
    CHECK_OK(signkey_open(f->path, 1, &k, err)); /* the same key again, not a new one */
    assert_string_equal(signkey_id(k), id);
    signkey_close(k);
    assert_int_equal(chmod(f->path, 0644), 0);
    CHECK_FAILS_WITH(signkey_open(f->path, 1, &k, err), "chmod 600");
}

/* Checks sig over data[len] with the PEM public key, as a lender would. 1 valid, 0 not. */
static int verifies(const char *pem, const unsigned char *data, size_t len,
                    const unsigned char *sig, size_t sig_len)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = pub && ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pub);
    BIO_free(bio);
    return ok;
}

/* The signing tests' portrait: SOLE_PROPRIETOR with one serious penalty of 2025 counted, and
 * the fixture's key opened into *k. */
static Credit__V1__Portrait *portrait_to_sign(const key_fixture *f, signkey **k)
{
    char err[SIGNKEY_ERR_LEN];
    const catalog_section *t = catalog_find_section(
        tu_catalogue(), CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE, "SOLE_PROPRIETOR");
    Credit__V1__Portrait *p = portrait_create(t);
    Credit__V1__Date today = {PROTOBUF_C_MESSAGE_INIT(&credit__v1__date__descriptor), 2026, 1, 1};
    fixture_record r;

    assert_non_null(p);
    CHECK_OK(signkey_open(f->path, 1, k, err));
    make_penalty(&r, "p-1", CREDIT__V1__SEVERITY__SEVERITY_SERIOUS, 2025);
    assert_int_equal(portrait_add_record(p, &r.rec, &today), 0);
    return p;
}

/* portrait.h: portrait_sign_packed gives the bytes that are sent: the portrait with key_id,
 * its strings made valid text before signing (so the signature holds for what arrives), then
 * field 15 with a signature over all that precedes it. */
static void test_a_packed_signed_portrait_is_repaired_then_signed(void **state)
{
    char err[SIGNKEY_ERR_LEN];
    signkey *k = NULL;
    Credit__V1__Portrait *p = portrait_to_sign(*state, &k);
    uint8_t *wire = NULL;
    size_t len = 0;
    long repaired = -1;
    pbcheck_fault first;

    p->subject_name = strdup("old \xff name"); /* stored before the text rules */
    CHECK_OK(portrait_sign_packed(p, k, &wire, &len, &repaired, &first, err));
    assert_int_equal(repaired, 1);
    assert_string_equal(first.path, "subject_name");
    assert_int_equal(p->signature.len, 0);

    Credit__V1__Portrait *got = credit__v1__portrait__unpack(NULL, len, wire);
    assert_non_null(got);
    assert_string_equal(got->subject_name, "old ? name");
    assert_string_equal(got->key_id, signkey_id(k));
    assert_true(got->signature.len > 0 && got->signature.len <= SIGNKEY_SIG_MAX);
    size_t body = len - 2 - got->signature.len;
    assert_int_equal(wire[body], 0x7a);
    assert_int_equal(wire[body + 1], got->signature.len);
    assert_memory_equal(wire + body + 2, got->signature.data, got->signature.len);
    assert_true(
        verifies(signkey_public_pem(k), wire, body, got->signature.data, got->signature.len));
    /* What protobuf-c packs of the message received is those very bytes. */
    assert_int_equal(credit__v1__portrait__get_packed_size(got), len);
    uint8_t *again = malloc(len);
    credit__v1__portrait__pack(got, again);
    assert_memory_equal(again, wire, len);
    wire[3] ^= 0x01;
    assert_false(
        verifies(signkey_public_pem(k), wire, body, got->signature.data, got->signature.len));
    free(again);
    free(wire);
    credit__v1__portrait__free_unpacked(got, NULL);
    credit__v1__portrait__free_unpacked(p, NULL);
    signkey_close(k);
}

static void test_signature_covers_the_bytes_sent_but_the_last_field(void **state)
{
    char err[SIGNKEY_ERR_LEN];
    signkey *k = NULL;
    Credit__V1__Portrait *p = portrait_to_sign(*state, &k);

    CHECK_OK(portrait_sign(p, k, err));
    assert_string_equal(p->key_id, signkey_id(k));
    assert_true(p->signature.len > 0 && p->signature.len <= SIGNKEY_SIG_MAX);

    /* What is sent: the signed bytes, then field 15 (tag 0x7a, a one-byte length). */
    size_t len = credit__v1__portrait__get_packed_size(p);
    unsigned char *wire = malloc(len), *again = malloc(len);
    credit__v1__portrait__pack(p, wire);
    credit__v1__portrait__pack(p, again);
    assert_memory_equal(wire, again, len); /* deterministic */
    size_t body = len - 2 - p->signature.len;
    assert_int_equal(wire[body], 0x7a);
    assert_int_equal(wire[body + 1], p->signature.len);
    assert_true(verifies(signkey_public_pem(k), wire, body, p->signature.data, p->signature.len));

    /* Packing without the signature gives the same bytes the signature covers. */
    ProtobufCBinaryData sig = p->signature;
    p->signature.data = NULL;
    p->signature.len = 0;
    assert_int_equal(credit__v1__portrait__get_packed_size(p), body);
    credit__v1__portrait__pack(p, again);
    assert_memory_equal(wire, again, body);
    p->signature = sig;

    /* Any changed byte fails. */
    for (size_t i = 0; i < body; i++) {
        wire[i] ^= 0x01;
        assert_false(verifies(signkey_public_pem(k), wire, body, sig.data, sig.len));
        wire[i] ^= 0x01;
    }
    free(wire);
    free(again);
    credit__v1__portrait__free_unpacked(p, NULL);
    signkey_close(k);
}

/* The length of what the signature of the portrait packed in wire[0..len) covers. */
static size_t signed_part(const uint8_t *wire, size_t len)
{
    Credit__V1__Portrait *got = credit__v1__portrait__unpack(NULL, len, wire);
    assert_non_null(got);
    size_t n = len - 2 - got->signature.len;
    credit__v1__portrait__free_unpacked(got, NULL);
    return n;
}

/* portrait.h: a body kept by the cache and assembled with a call's envelope is, byte for byte,
 * the portrait packed whole: the same bytes before the signature, the same repairs reported
 * (the first in wire order, here the body's subject_name before the envelope's grantee). */
static void test_an_assembled_portrait_is_the_whole_one_byte_for_byte(void **state)
{
    char err[SIGNKEY_ERR_LEN];
    signkey *k = NULL;
    Credit__V1__Portrait *p = portrait_to_sign(*state, &k);
    uint8_t *whole = NULL, *assembled = NULL;
    size_t whole_len = 0, assembled_len = 0, body_len = 0;
    long r1 = -1, r2 = -1;
    pbcheck_fault f1, f2;
    void *body = NULL;

    p->subject_name = strdup("old \xff name");
    p->portrait_id = strdup("0123456789abcdef0123456789abcdef");
    p->grant_id = strdup("g-1");
    p->grantee = strdup("bank\xfe");
    p->subject = malloc(sizeof *p->subject);
    credit__v1__subject_ref__init(p->subject);
    p->subject->kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_INDIVIDUAL_BUSINESS;
    p->subject->identifier = strdup("92500227MA5U000001");
    p->made_at = malloc(sizeof *p->made_at);
    google__protobuf__timestamp__init(p->made_at);
    p->made_at->seconds = 1767225600;

    CHECK_OK(portrait_body_pack(p, &body, &body_len, err));
    CHECK_OK(portrait_sign_packed(p, k, &whole, &whole_len, &r1, &f1, err));
    CHECK_OK(portrait_assemble(body, body_len, p, k, &assembled, &assembled_len, &r2, &f2, err));
    size_t n = signed_part(whole, whole_len);
    assert_int_equal(signed_part(assembled, assembled_len), n);
    assert_memory_equal(assembled, whole, n);
    assert_int_equal(r1, 2);
    assert_int_equal(r2, r1);
    assert_string_equal(f2.path, f1.path);
    assert_string_equal(f2.path, "subject_name");
    assert_string_equal(f2.reason, f1.reason);

    Credit__V1__Portrait *got = credit__v1__portrait__unpack(NULL, assembled_len, assembled);
    assert_non_null(got);
    assert_true(verifies(signkey_public_pem(k), assembled, n, got->signature.data,
                         got->signature.len));
    assert_string_equal(got->grantee, "bank?");
    credit__v1__portrait__free_unpacked(got, NULL);

    /* The same body again, with another call's envelope: only that envelope differs. */
    free(p->portrait_id);
    p->portrait_id = strdup("fedcba9876543210fedcba9876543210");
    free(assembled);
    CHECK_OK(portrait_assemble(body, body_len, p, k, &assembled, &assembled_len, &r2, &f2, err));
    got = credit__v1__portrait__unpack(NULL, assembled_len, assembled);
    assert_non_null(got);
    assert_string_equal(got->portrait_id, "fedcba9876543210fedcba9876543210");
    assert_string_equal(got->subject_name, "old ? name");
    assert_int_equal(got->n_items, p->n_items);
    credit__v1__portrait__free_unpacked(got, NULL);

    free(body);
    free(whole);
    free(assembled);
    credit__v1__portrait__free_unpacked(p, NULL);
    signkey_close(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_has_the_two_templates),
        cmocka_unit_test(test_catalogue_refuses_templates_that_make_no_sense),
        cmocka_unit_test(test_set_template_change_adds_and_replaces_a_template),
        cmocka_unit_test(test_portrait_counts_what_a_lender_may_rely_on),
        cmocka_unit_test_setup_teardown(test_signing_key_is_made_once_private_and_kept, key_setup,
                                        key_teardown),
        cmocka_unit_test_setup_teardown(test_signature_covers_the_bytes_sent_but_the_last_field,
                                        key_setup, key_teardown),
        cmocka_unit_test_setup_teardown(test_a_packed_signed_portrait_is_repaired_then_signed,
                                        key_setup, key_teardown),
        cmocka_unit_test_setup_teardown(test_an_assembled_portrait_is_the_whole_one_byte_for_byte,
                                        key_setup, key_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
