/*
 * test_identity.c — unit tests for server/rules/identity.c: the subject codes' normal spelling,
 * their formats and the kind a USCC's organisation type gives.
 *
 * The organisation-code check is re-implemented here from DOMAIN.md's formula (GB 11714:
 * weights 3 7 9 10 5 8 4 2, c = 11 - sum mod 11, 10 -> X, 11 -> 0), so the tests can make
 * codes that are wrong in exactly one way.
 */
#include "testutil.h"

#include "identity.h"

#define WHY_LEN 128

static char org_check(const char *first8)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = first8[i];
        sum += (c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10) * w[i];
    }
    int c = 11 - sum % 11;
    return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

static void test_full_width_forms_and_lower_case_are_normalised_to_ascii_upper_case(void **s)
{
    (void)s;
    /* "９１ab" in full-width digits, then ASCII lower case; a CJK character stays. */
    char v[] = "\xef\xbc\x99\xef\xbc\x91"
               "ab\xef\xbd\x83-\xe5\x8f\xb7";
    identity_normalise_code(v);
    assert_string_equal(v, "91ABC-\xe5\x8f\xb7");
    char empty[] = "";
    identity_normalise_code(empty);
    assert_string_equal(empty, "");
    identity_normalise_code(NULL);
}

static void test_organisation_code_hyphen_spelling_becomes_nine_characters(void **s)
{
    (void)s;
    char a[] = "7a000001-2", b[] = "7A0000012", c[] = "7A00-00012", d[] = "7A000001--2";
    identity_normalise_organisation_code(a);
    identity_normalise_organisation_code(b);
    identity_normalise_organisation_code(c);
    identity_normalise_organisation_code(d);
    assert_string_equal(a, "7A0000012");
    assert_string_equal(b, "7A0000012");
    /* A hyphen anywhere else is not the certificate's spelling: it stays, to be refused. */
    assert_string_equal(c, "7A00-00012");
    assert_string_equal(d, "7A000001--2");
}

static void test_subject_codes_are_normalised_but_a_certificate_identifier_is_not(void **s)
{
    (void)s;
    Credit__V1__Subject sub = CREDIT__V1__SUBJECT__INIT;
    char id[] = "\xef\xbc\x99\xef\xbc\x91"
                "230500ma1b3n1n2m";
    char reg[] = "\xef\xbc\x95"
                 "00227000000001";
    char org[] = "ma1b3n1n-2", tax[] = "91230500ma1b3n1n2m";
    sub.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    sub.identifier = id;
    sub.registration_number = reg;
    sub.organisation_code = org;
    sub.tax_number = tax;
    identity_normalise_subject(&sub);
    assert_string_equal(sub.identifier, "91230500MA1B3N1N2M");
    assert_string_equal(sub.registration_number, "500227000000001");
    assert_string_equal(sub.organisation_code, "MA1B3N1N2");
    assert_string_equal(sub.tax_number, "91230500MA1B3N1N2M");

    char cert[] = "\xe4\xba\x8b\xe8\xaf\x81\xe7\xac\xac"
                  "12305ab"; /* 事证第12305ab */
    sub.identifier = cert;
    identity_normalise_subject(&sub);
    assert_string_equal(sub.identifier, "\xe4\xba\x8b\xe8\xaf\x81\xe7\xac\xac"
                                        "12305ab");

    /* A natural person's number is left to its own validator. */
    char person[] = "50012019931008029x";
    sub.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON;
    sub.identifier = person;
    identity_normalise_subject(&sub);
    assert_string_equal(sub.identifier, "50012019931008029x");
    identity_normalise_subject(NULL);
}

static void test_registration_number_is_fifteen_digits(void **s)
{
    char why[WHY_LEN];
    (void)s;
    assert_int_equal(identity_check_registration_number("500227000000001", why), 0);
    assert_int_equal(identity_check_registration_number("50022700000000", why), -1);
    assert_non_null(strstr(why, "15 digits"));
    assert_int_equal(identity_check_registration_number("5002270000000012", why), -1);
    assert_int_equal(identity_check_registration_number("50022700000000A", why), -1);
    assert_non_null(strstr(why, "character 15"));
    assert_int_equal(identity_check_registration_number("500227 00000001", why), -1);
}

static void test_organisation_code_check_character_follows_gb_11714(void **s)
{
    char why[WHY_LEN], code[10];
    (void)s;
    /* DOMAIN.md's USCC examples embed valid organisation codes. */
    assert_int_equal(identity_check_organisation_code("MA1B3N1N2", why), 0);
    assert_int_equal(identity_check_organisation_code("001755309", why), 0);
    /* Every first 8 of a sample, each with its one right check and every wrong one. */
    const char *firsts[] = {"7A000001", "12345678", "ZZZZZZZZ", "00000000", "D2143569"};
    for (size_t i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
        const char checks[] = "0123456789X";
        for (const char *c = checks; *c; c++) {
            snprintf(code, sizeof code, "%s%c", firsts[i], *c);
            int want = *c == org_check(firsts[i]) ? 0 : -1;
            assert_int_equal(identity_check_organisation_code(code, why), want);
        }
    }
    assert_int_equal(identity_check_organisation_code("MA1B3N1N", why), -1);
    assert_non_null(strstr(why, "9 characters"));
    assert_int_equal(identity_check_organisation_code("MA1B3N1N-2", why), -1);
    assert_int_equal(identity_check_organisation_code("ma1b3n1n2", why), -1);
    assert_int_equal(identity_check_organisation_code("MA1B*N1N2", why), -1);
}

static void test_tax_number_has_three_forms(void **s)
{
    char why[WHY_LEN];
    (void)s;
    assert_int_equal(identity_check_tax_number("500227MA1B3N1N2", why), IDENTITY_TAX_AREA_ORG);
    assert_int_equal(identity_check_tax_number("50022AMA1B3N1N2", why), -1);
    assert_non_null(strstr(why, "area code"));
    assert_int_equal(identity_check_tax_number("500227MA1B3N1N3", why), -1);
    assert_non_null(strstr(why, "organisation code"));
    assert_int_equal(identity_check_tax_number("91230500MA1B3N1N2M", why), IDENTITY_TAX_USCC);
    assert_int_equal(identity_check_tax_number("91230500MA1B3N1N2N", why), -1);
    assert_non_null(strstr(why, "unified social credit code"));
    assert_int_equal(identity_check_tax_number("50012019931008029701", why), IDENTITY_TAX_PERSON);
    assert_int_equal(identity_check_tax_number("5001201993100802970A", why), -1);
    assert_int_equal(identity_check_tax_number("50012019931008029801", why), -1);
    /* The reason never holds the person's number, nor any run of its digits. */
    assert_null(strstr(why, "500120"));
    assert_null(strstr(why, "19931008"));
    assert_int_equal(identity_check_tax_number("5002271234", why), -1);
    assert_non_null(strstr(why, "15, 18 or 20"));
}

static void test_uscc_type_gives_the_subject_kind(void **s)
{
    (void)s;
    static const struct {
        const char *uscc;
        int kind;
    } cases[] = {
        {"91230500MA1B3N1N2M", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON},
        {"92310115183FQEFL3W", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_INDIVIDUAL_BUSINESS},
        {"93xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON},
        {"11230500001755309F", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON},
        {"12xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_PUBLIC_INSTITUTION},
        {"13xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON},
        {"19xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON},
        {"51xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_SOCIAL_ORGANISATION},
        {"52xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_SOCIAL_ORGANISATION},
        {"53xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_SOCIAL_ORGANISATION},
        {"59xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_SOCIAL_ORGANISATION},
        {"31xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON},
        {"Y1xxxxxxxxxxxxxxxx", CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(identity_kind_of_uscc(cases[i].uscc), cases[i].kind);
    assert_string_equal(identity_uscc_type_name("91xxxxxxxxxxxxxxxx"), "enterprise");
    assert_string_equal(identity_uscc_type_name("92xxxxxxxxxxxxxxxx"), "individual business");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_width_forms_and_lower_case_are_normalised_to_ascii_upper_case),
        cmocka_unit_test(test_organisation_code_hyphen_spelling_becomes_nine_characters),
        cmocka_unit_test(test_subject_codes_are_normalised_but_a_certificate_identifier_is_not),
        cmocka_unit_test(test_registration_number_is_fifteen_digits),
        cmocka_unit_test(test_organisation_code_check_character_follows_gb_11714),
        cmocka_unit_test(test_tax_number_has_three_forms),
        cmocka_unit_test(test_uscc_type_gives_the_subject_kind),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
