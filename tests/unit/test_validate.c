/*
 * test_validate.c — unit tests for server/rules/validate.c.
 *
 * The main test reads $CREDIT_TESTDATA/identifiers.tsv, made by an implementation independent
 * of ours (columns kind, value, valid, reason), and requires both validators to agree with it
 * on every line; the line count must exceed 1000, so an empty or truncated file cannot pass.
 * The other tests pin down cases the file does not cover: DOMAIN.md's examples, the
 * organisation code's own check, leap days, the case of the check letters, and that a
 * resident's number never leaks into an error message.
 *
 * The two check-character helpers below re-implement DOMAIN.md's formulas so the tests can
 * make values that are wrong in exactly one way.
 */
#include "testutil.h"

#include <ctype.h>

#include "validate.h"

#define WHY_LEN 128

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* The USCC check character (position 18) for the first 17 characters of `s`. */
static char uscc_check(const char *s)
{
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;

    for (int i = 0; i < 17; i++) {
        const char *p = strchr(uscc_alphabet, s[i]);

        assert_non_null(p);
        sum += (int)(p - uscc_alphabet) * w[i];
    }
    return uscc_alphabet[(31 - sum % 31) % 31];
}

/* The resident ID check character for the first 17 digits of `s`. */
static char id_check(const char *s)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;

    for (int i = 0; i < 17; i++)
        sum += (s[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

/* Makes an ID from area, birth date and sequence with its correct check character. */
static void make_id(char out[19], const char *area, const char *date, int seq)
{
    int n = snprintf(out, 19, "%s%s%03d", area, date, seq);

    assert_int_equal(n, 17);
    out[17] = id_check(out);
    out[18] = '\0';
}

/* Fails if `why` holds the ID, or any run of 4 or more digits (a birth year, an area code):
 * the message may name positions, never the person's number. */
static void check_why_hides_id(const char *why, const char *id)
{
    int run = 0;

    if (*id && strstr(why, id)) {
        print_error("why \"%s\" contains the ID number\n", why);
        fail();
    }
    for (const char *p = why; *p; p++) {
        run = isdigit((unsigned char)*p) ? run + 1 : 0;
        if (run >= 4) {
            print_error("why \"%s\" holds a run of digits (from the ID?)\n", why);
            fail();
        }
    }
}

/* The `why` word that each reason of identifiers.tsv must bring. */
static const char *why_word(const char *kind, const char *reason)
{
    if (strcmp(reason, "check character") == 0)
        return "check";
    if (strcmp(reason, "character outside the alphabet") == 0)
        return strcmp(kind, "uscc") == 0 ? "alphabet" : NULL;
    if (strcmp(reason, "length") == 0)
        return "18 characters";
    if (strcmp(reason, "date") == 0)
        return "date";
    return NULL;
}

static void test_validators_agree_with_every_line_of_identifiers_tsv(void **state)
{
    const char *dir = tu_env("CREDIT_TESTDATA");
    char path[PATH_MAX], why[WHY_LEN];
    char *text, *line, *next;
    size_t lines = 0, uscc = 0, ids = 0, invalid = 0, disagree = 0;

    (void)state;
    assert_non_null(dir);
    tu_path(path, dir, "identifiers.tsv");
    text = tu_read_file(path, NULL);
    if (!text) {
        print_error("cannot read %s\n", path);
        fail();
    }
    next = text;
    /* The header row. */
    line = strsep(&next, "\n");
    assert_non_null(next);
    assert_string_equal(line, "kind\tvalue\tvalid\treason");

    while ((line = strsep(&next, "\n")) != NULL) {
        char *f[4], *rest = line;
        size_t nf = 0;
        int rc, want_valid, is_uscc;

        line[strcspn(line, "\r")] = '\0';
        if (!*line)
            continue;
        lines++;
        while (nf < 4 && (f[nf] = strsep(&rest, "\t")) != NULL)
            nf++;
        if (nf < 3 || rest != NULL) {
            print_error("identifiers.tsv line %zu has %zu fields: \"%s\"\n", lines + 1, nf, line);
            fail();
        }
        if (nf == 3)
            f[3] = "";
        assert_true(strcmp(f[2], "0") == 0 || strcmp(f[2], "1") == 0);
        want_valid = f[2][0] == '1';
        is_uscc = strcmp(f[0], "uscc") == 0;
        if (!is_uscc && strcmp(f[0], "id") != 0) {
            print_error("identifiers.tsv line %zu: unknown kind \"%s\"\n", lines + 1, f[0]);
            fail();
        }
        if (is_uscc)
            uscc++;
        else
            ids++;

        why[0] = '\0';
        rc = is_uscc ? validate_uscc(f[1], why) : validate_resident_id(f[1], why);
        if ((rc == 0) != want_valid) {
            print_error("%s %s: want %s (%s), got rc %d \"%s\"\n", f[0], f[1],
                        want_valid ? "valid" : "invalid", f[3], rc, why);
            disagree++;
            continue;
        }
        if (want_valid)
            continue;
        invalid++;
        const char *word = why_word(f[0], f[3]);
        if (!word) {
            print_error("identifiers.tsv line %zu: reason \"%s\" for %s is not one the test "
                        "knows\n", lines + 1, f[3], f[0]);
            disagree++;
        } else if (!strstr(why, word)) {
            print_error("%s %s (%s): why \"%s\" does not mention \"%s\"\n", f[0], f[1], f[3], why,
                        word);
            disagree++;
        }
        if (!is_uscc)
            check_why_hides_id(why, f[1]);
    }
    free(text);
    assert_int_equal(disagree, 0);
    assert_true(lines > 1000);
    assert_true(uscc > 0 && ids > 0 && invalid > 0);
}

static void test_uscc_accepts_domain_examples(void **state)
{
    char why[WHY_LEN] = "";

    (void)state;
    assert_int_equal(validate_uscc("91230500MA1B3N1N2M", why), 0);
    assert_int_equal(validate_uscc("11230500001755309F", why), 0);
}

static void test_id_accepts_valid_numbers(void **state)
{
    char why[WHY_LEN] = "", id[19];

    (void)state;
    make_id(id, "110105", "19491001", 123);
    assert_int_equal(validate_resident_id(id, why), 0);
    make_id(id, "500120", "20240131", 2);
    assert_int_equal(validate_resident_id(id, why), 0);
}

static void test_uscc_rejects_lowercase_letters(void **state)
{
    char why[WHY_LEN] = "";

    (void)state;
    assert_int_equal(validate_uscc("91230500ma1b3n1n2m", why), -1);
    CHECK_CONTAINS(why, "alphabet");
    why[0] = '\0';
    /* Only the final check letter lowercase. */
    assert_int_equal(validate_uscc("91230500MA1B3N1N2m", why), -1);
    CHECK_CONTAINS(why, "alphabet");
}

static void test_uscc_rejects_each_letter_outside_the_alphabet(void **state)
{
    static const char excluded[] = "IOSVZ";
    char why[WHY_LEN], s[19];

    (void)state;
    for (const char *c = excluded; *c; c++) {
        memcpy(s, "91230500MA1B3N1N2M", 19);
        s[10] = *c;
        s[17] = '0'; /* whatever: the alphabet is checked first */
        why[0] = '\0';
        assert_int_equal(validate_uscc(s, why), -1);
        CHECK_CONTAINS(why, "alphabet");
        CHECK_CONTAINS(why, "11");
    }
}

static void test_uscc_rejects_wrong_lengths(void **state)
{
    static const char *const bad[] = {"", "9", "91230500MA1B3N1N2", "91230500MA1B3N1N2MM"};
    char why[WHY_LEN];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        assert_int_equal(validate_uscc(bad[i], why), -1);
        CHECK_CONTAINS(why, "18 characters");
    }
}

static void test_uscc_rejects_wrong_final_check_character(void **state)
{
    char why[WHY_LEN] = "";

    (void)state;
    assert_int_equal(validate_uscc("91230500MA1B3N1N2N", why), -1);
    CHECK_CONTAINS(why, "check character is 'N', expected 'M'");
}

/* Position 17 is the organisation code's own check. A value that is wrong only there, with
 * the final check recomputed over it so the outer checksum passes, must still be refused. */
static void test_uscc_rejects_wrong_organisation_code_check_even_with_matching_final_check(
    void **state)
{
    char why[WHY_LEN], s[19];
    int tried = 0;

    (void)state;
    for (const char *c = "013456789X"; *c; c++) { /* every value but the right one, '2' */
        memcpy(s, "91230500MA1B3N1N2M", 19);
        s[16] = *c;
        s[17] = uscc_check(s);
        why[0] = '\0';
        assert_int_equal(validate_uscc(s, why), -1);
        CHECK_CONTAINS(why, "organisation code");
        tried++;
    }
    assert_int_equal(tried, 10);
}

static void test_id_accepts_feb_29_in_leap_years(void **state)
{
    static const char *const dates[] = {"20000229", "20040229", "19960229", "20240229"};
    char why[WHY_LEN], id[19];

    (void)state;
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        make_id(id, "500120", dates[i], 17);
        why[0] = '\0';
        if (validate_resident_id(id, why) != 0) {
            print_error("birth date %s refused: %s\n", dates[i], why);
            fail();
        }
    }
}

static void test_id_rejects_feb_29_in_non_leap_years(void **state)
{
    /* 1900 and 2100 are divisible by 4 but not leap years (century rule). */
    static const char *const dates[] = {"19000229", "20230229", "21000229", "19990229"};
    char why[WHY_LEN], id[19];

    (void)state;
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        make_id(id, "500120", dates[i], 17);
        why[0] = '\0';
        assert_int_equal(validate_resident_id(id, why), -1);
        CHECK_CONTAINS(why, "date");
        check_why_hides_id(why, id);
    }
}

static void test_id_rejects_impossible_dates(void **state)
{
    static const char *const dates[] = {"19901301", "19900001", "19900100", "19900431",
                                        "19901232", "19910229"};
    char why[WHY_LEN], id[19];

    (void)state;
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        make_id(id, "500120", dates[i], 17);
        why[0] = '\0';
        assert_int_equal(validate_resident_id(id, why), -1);
        CHECK_CONTAINS(why, "date");
        check_why_hides_id(why, id);
    }
}

/* DOMAIN.md writes the check character as 'X'. The validator accepts only the uppercase
 * letter: a lowercase 'x' is refused as a wrong check character, so callers must normalise
 * case before validating if they want to accept it. This test documents that choice. */
static void test_id_accepts_uppercase_x_check_and_rejects_lowercase_x(void **state)
{
    char why[WHY_LEN], id[19];
    int seq;

    (void)state;
    for (seq = 0; seq < 1000; seq++) {
        make_id(id, "500120", "19800101", seq);
        if (id[17] == 'X')
            break;
    }
    assert_true(seq < 1000);
    why[0] = '\0';
    assert_int_equal(validate_resident_id(id, why), 0);
    id[17] = 'x';
    why[0] = '\0';
    assert_int_equal(validate_resident_id(id, why), -1);
    CHECK_CONTAINS(why, "check");
    check_why_hides_id(why, id);
}

/* Sources write the check character x as often as X: the node normalises it to X before it
 * checks, seals, indexes or stores a number, and the validator's reason says why x is refused
 * where it is not normalised. */
static void test_id_normalise_writes_a_lower_case_check_x_in_upper_case(void **state)
{
    char why[WHY_LEN], id[19], other[19];
    int seq;

    (void)state;
    for (seq = 0; seq < 1000; seq++) {
        make_id(id, "500120", "19800101", seq);
        if (id[17] == 'X')
            break;
    }
    assert_true(seq < 1000);
    id[17] = 'x';
    why[0] = '\0';
    assert_int_equal(validate_resident_id(id, why), -1);
    CHECK_CONTAINS(why, "upper-case X");
    check_why_hides_id(why, id);
    assert_int_equal(validate_resident_id_normalise(id), 1);
    assert_int_equal(id[17], 'X');
    assert_int_equal(validate_resident_id(id, why), 0);
    assert_int_equal(validate_resident_id_normalise(id), 0); /* already upper case */

    /* Nothing else changes: a digit check, an x elsewhere, another length, NULL. */
    make_id(other, "500120", "19800101", seq + 1);
    memcpy(id, other, sizeof id);
    assert_int_equal(validate_resident_id_normalise(other), 0);
    assert_memory_equal(id, other, sizeof id);
    snprintf(other, sizeof other, "50012019800101x12x");
    assert_int_equal(validate_resident_id_normalise(other), 1);
    assert_string_equal(other, "50012019800101x12X");
    snprintf(other, sizeof other, "5001201980010112x");
    assert_int_equal(validate_resident_id_normalise(other), 0);
    assert_string_equal(other, "5001201980010112x");
    assert_int_equal(validate_resident_id_normalise(NULL), 0);
}

static void test_id_rejects_non_digits_in_first_17(void **state)
{
    char why[WHY_LEN], id[19];

    (void)state;
    for (int pos = 0; pos < 17; pos++) {
        make_id(id, "500120", "19800101", 42);
        id[pos] = pos % 2 ? 'X' : ' ';
        why[0] = '\0';
        assert_int_equal(validate_resident_id(id, why), -1);
        CHECK_CONTAINS(why, "digit");
        check_why_hides_id(why, id);
    }
}

/* No failure of validate_resident_id may write the number, or a piece of it, into `why`. */
static void test_id_number_never_appears_in_why(void **state)
{
    char why[WHY_LEN], id[24], good[19];
    size_t len;

    (void)state;
    make_id(good, "500120", "19931008", 29);

    /* Wrong check, every wrong value. */
    for (const char *c = "0123456789X"; *c; c++) {
        if (*c == good[17])
            continue;
        memcpy(id, good, 19);
        id[17] = *c;
        memset(why, 0, sizeof(why));
        assert_int_equal(validate_resident_id(id, why), -1);
        check_why_hides_id(why, id);
    }
    /* Lengths 0 to 23: truncated and padded. */
    for (len = 0; len < sizeof(id); len++) {
        if (len == 18)
            continue;
        memset(id, '7', sizeof(id));
        memcpy(id, good, len < 18 ? len : 18);
        id[len] = '\0';
        memset(why, 0, sizeof(why));
        assert_int_equal(validate_resident_id(id, why), -1);
        CHECK_CONTAINS(why, "18 characters");
        check_why_hides_id(why, id);
    }
    /* A bad date. */
    make_id(id, "500120", "19930230", 29);
    memset(why, 0, sizeof(why));
    assert_int_equal(validate_resident_id(id, why), -1);
    check_why_hides_id(why, id);
}

static void test_lower_hex_is_exactly_len_lowercase_digits(void **state)
{
    (void)state;
    char d[70];
    memset(d, 'a', 64);
    d[64] = '\0';
    assert_true(validate_lower_hex(d, 64));
    d[10] = 'A';
    assert_false(validate_lower_hex(d, 64));
    d[10] = '9';
    d[63] = '\0';
    assert_false(validate_lower_hex(d, 64));
    d[63] = 'f';
    d[64] = '0';
    d[65] = '\0';
    assert_false(validate_lower_hex(d, 64));
    assert_false(validate_lower_hex("", 64));
    assert_true(validate_lower_hex("", 0));
    assert_true(validate_lower_hex("0123456789abcdef0123456789abcdef", 32));
    assert_false(validate_lower_hex("0123456789abcdef0123456789abcdeg", 32));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validators_agree_with_every_line_of_identifiers_tsv),
        cmocka_unit_test(test_uscc_accepts_domain_examples),
        cmocka_unit_test(test_id_accepts_valid_numbers),
        cmocka_unit_test(test_uscc_rejects_lowercase_letters),
        cmocka_unit_test(test_uscc_rejects_each_letter_outside_the_alphabet),
        cmocka_unit_test(test_uscc_rejects_wrong_lengths),
        cmocka_unit_test(test_uscc_rejects_wrong_final_check_character),
        cmocka_unit_test(
            test_uscc_rejects_wrong_organisation_code_check_even_with_matching_final_check),
        cmocka_unit_test(test_id_accepts_feb_29_in_leap_years),
        cmocka_unit_test(test_id_rejects_feb_29_in_non_leap_years),
        cmocka_unit_test(test_id_rejects_impossible_dates),
        cmocka_unit_test(test_id_accepts_uppercase_x_check_and_rejects_lowercase_x),
        cmocka_unit_test(test_id_normalise_writes_a_lower_case_check_x_in_upper_case),
        cmocka_unit_test(test_id_rejects_non_digits_in_first_17),
        cmocka_unit_test(test_id_number_never_appears_in_why),
        cmocka_unit_test(test_lower_hex_is_exactly_len_lowercase_digits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
