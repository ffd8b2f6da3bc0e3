/*
 * test_text.c — unit tests for server/base/text.c, the one text rule of every request field.
 *
 * The rule's order (length, then bytes, then blank), the two kinds of text (one line, and free
 * text with line feeds and tabs), and reasons that never quote the value.
 */
#include "testutil.h"

#include "text.h"

static void expect(const char *s, size_t max, unsigned flags, const char *want)
{
    char why[TEXT_WHY_LEN];

    memset(why, 0x55, sizeof why);
    if (!want) {
        assert_int_equal(text_check(s, max, flags, why), 0);
        return;
    }
    /* The kind returned agrees with the words: each rule has its own. */
    int kind = strncmp(want, "is required", 11) == 0 ? TEXT_EMISSING
               : strstr(want, "bytes long")          ? TEXT_ELONG
                                                     : TEXT_EBYTES;
    assert_int_equal(text_check(s, max, flags, why), kind);
    assert_string_equal(why, want);
}

static void test_utf8_text_without_control_characters_passes(void **state)
{
    (void)state;
    expect("区市场监督管理局 Market bureau", TEXT_SHORT_MAX, TEXT_REQUIRED, NULL);
    expect("𠀋😀 \u00a0x", 20, 0, NULL);
    expect("", 10, 0, NULL);
    expect(NULL, 10, 0, NULL);
    expect("第一行\n\t第二行", 100, TEXT_MULTILINE | TEXT_REQUIRED, NULL);
}

static void test_control_characters_are_refused_by_code_point_and_byte(void **state)
{
    (void)state;
    expect("坏\x01名", 100, 0, "contains a control character (U+0001) at byte 4");
    expect("ab\x1b[31m", 100, TEXT_REQUIRED, "contains a control character (U+001B) at byte 3");
    expect("a\x7f", 100, 0, "contains a control character (U+007F) at byte 2");
    expect("a\xc2\x85", 100, 0, "contains a control character (U+0085) at byte 2");
    /* One-line text refuses a line feed and a tab like any other control character. */
    expect("line\nts=1 level=info event=forged", 100, 0,
           "contains a control character (U+000A) at byte 5");
    expect("a\tb", 100, 0, "contains a control character (U+0009) at byte 2");
    /* Free text allows them, and only them. */
    expect("a\r\nb", 100, TEXT_MULTILINE,
           "contains a control character (U+000D) at byte 2; free text may hold only line "
           "feeds and tabs");
}

static void test_bytes_that_are_not_utf8_are_refused(void **state)
{
    (void)state;
    expect("ok\xff", 100, 0, "is not valid UTF-8 (at byte 3)");
    expect("\xe4\xb8", 100, 0, "is not valid UTF-8 (at byte 1)");
    expect("\xed\xa0\x80", 100, 0, "is not valid UTF-8 (at byte 1)"); /* a surrogate */
}

static void test_length_is_checked_first_and_in_bytes(void **state)
{
    (void)state;
    expect("长长", 5, 0, "is 6 bytes long; at most 5 are allowed");
    expect("长长", 6, 0, NULL);
    /* Too long and not UTF-8: the length is the answer, before any byte is read. */
    expect("\xff\xff\xff", 2, 0, "is 3 bytes long; at most 2 are allowed");
}

static void test_required_text_must_hold_more_than_blanks(void **state)
{
    (void)state;
    expect("", 10, TEXT_REQUIRED, "is required");
    expect(NULL, 10, TEXT_REQUIRED, "is required");
    expect(" \u3000\u00a0", 10, TEXT_REQUIRED, "is required, and holds only blanks");
    expect(" \n\t", 10, TEXT_REQUIRED | TEXT_MULTILINE, "is required, and holds only blanks");
    expect(" ", 10, 0, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_text_without_control_characters_passes),
        cmocka_unit_test(test_control_characters_are_refused_by_code_point_and_byte),
        cmocka_unit_test(test_bytes_that_are_not_utf8_are_refused),
        cmocka_unit_test(test_length_is_checked_first_and_in_bytes),
        cmocka_unit_test(test_required_text_must_hold_more_than_blanks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
