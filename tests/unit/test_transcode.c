/*
 * test_transcode.c — unit tests for tools/transcode.c: GB18030, GBK and GB2312 read as UTF-8.
 *
 * A GBK file (as Excel on a Chinese Windows saves it) reads as the same UTF-8 text, across
 * buffer boundaries; a bad byte is reported by line and offset, after every whole line before
 * it; a UTF-8 file is sniffed as such, and a GBK one is named as GB18030.
 */
#include "testutil.h"

#include "transcode.h"

#include <iconv.h>

/* text (UTF-8) converted to `enc` with iconv, into a memory stream. */
static FILE *encoded(const char *text, const char *enc, char **mem, size_t *len)
{
    iconv_t cd = iconv_open(enc, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t il = strlen(text), cap = il * 2 + 16, ol = cap;
    char *out = malloc(cap), *op = out, *ip = (char *)text;
    assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
    iconv_close(cd);
    *len = cap - ol;
    *mem = out;
    return fmemopen(out, *len, "r");
}

static char *read_all(FILE *f, size_t *n)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    *n = len;
    return buf;
}

static void test_a_gbk_file_reads_as_the_same_utf8_text(void **state)
{
    (void)state;
    /* Long enough to cross the converter's buffer many times at odd offsets. */
    char *text = malloc(200000);
    text[0] = '\0';
    strcat(text, "处罚决定书文号,当事人名称,处罚决定日期\n");
    while (strlen(text) < 190000)
        strcat(text, "璧税罚〔2024〕12号,重庆璧山某某有限公司,2024/1/5\n");
    for (int k = 0; k < 3; k++) {
        const char *enc = k == 0 ? "GBK" : k == 1 ? "GB18030" : "GB2312";
        const char *opt = k == 0 ? "gbk" : k == 1 ? "GB18030" : "gb2312";
        char *mem;
        size_t len;
        FILE *in = encoded(text, enc, &mem, &len);
        assert_true(len < strlen(text)); /* two bytes a character, not three */
        char err[200];
        transcoder *t = transcode_open(in, opt, err, sizeof err);
        assert_non_null(t);
        size_t n;
        char *got = read_all(transcode_stream(t), &n);
        assert_int_equal(n, strlen(text));
        assert_string_equal(got, text);
        assert_string_equal(transcode_error(t), "");
        transcode_close(t);
        fclose(in);
        free(got);
        free(mem);
    }
    free(text);
}

static void test_a_bad_byte_is_reported_by_line_and_offset_after_the_good_lines(void **state)
{
    (void)state;
    /* "甲,乙\n" in GBK is 6 bytes; line 2 holds 0xff, which no GB encoding allows. */
    static const char bytes[] = "\xbc\xd7,\xd2\xd2\n"
                                "ab\xff"
                                "cd\n";
    FILE *in = fmemopen((void *)bytes, sizeof bytes - 1, "r");
    char err[200];
    transcoder *t = transcode_open(in, "gbk", err, sizeof err);
    assert_non_null(t);
    FILE *s = transcode_stream(t);
    char line[64];
    assert_non_null(fgets(line, sizeof line, s));
    assert_string_equal(line, "甲,乙\n");
    /* What came before the bad byte is read; then the stream fails, never skipping it. */
    char *rest = fgets(line, sizeof line, s);
    if (rest)
        assert_string_equal(rest, "ab");
    assert_true(ferror(s));
    assert_string_equal(transcode_error(t),
                        "line 2, byte 8: these bytes are not valid in the file's encoding (GBK)");
    transcode_close(t);
    fclose(in);
}

static void test_encodings_by_name(void **state)
{
    (void)state;
    char name[16], err[200];
    assert_int_equal(transcode_encoding("UTF-8", name, sizeof name), 0);
    assert_string_equal(name, "UTF-8");
    assert_int_equal(transcode_encoding("cp936", name, sizeof name), 0);
    assert_string_equal(name, "GBK");
    assert_int_equal(transcode_encoding("big5", name, sizeof name), -1);
    assert_null(transcode_open(stdin, "latin1", err, sizeof err));
    assert_string_equal(err, "unknown encoding: use utf-8, gb18030, gbk or gb2312");
    transcoder *t = transcode_open(stdin, "utf8", err, sizeof err);
    assert_ptr_equal(transcode_stream(t), stdin); /* UTF-8 is read as it is */
    transcode_close(t);
    transcode_close(NULL);
}

static void test_sniffing_tells_utf8_from_gb18030(void **state)
{
    (void)state;
    size_t at = 99;
    char guess[16] = "x";
    const char *u = "当事人,日期\n重庆,2024-01-05\n";
    assert_int_equal(transcode_sniff((const unsigned char *)u, strlen(u), &at, guess, sizeof guess),
                     0);
    /* A UTF-8 character cut by the end of what was read is still UTF-8. */
    assert_int_equal(transcode_sniff((const unsigned char *)u, 2, &at, guess, sizeof guess), 0);

    char *mem;
    size_t len;
    FILE *f = encoded("name,当事人名称\n", "GB18030", &mem, &len);
    fclose(f);
    assert_int_equal(transcode_sniff((unsigned char *)mem, len, &at, guess, sizeof guess), 1);
    assert_int_equal(at, 5);
    assert_string_equal(guess, "GB18030");
    free(mem);

    static const unsigned char junk[] = {'a', 0xff, 0xff, 0xff};
    assert_int_equal(transcode_sniff(junk, sizeof junk, &at, guess, sizeof guess), 1);
    assert_int_equal(at, 1);
    assert_string_equal(guess, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_gbk_file_reads_as_the_same_utf8_text),
        cmocka_unit_test(test_a_bad_byte_is_reported_by_line_and_offset_after_the_good_lines),
        cmocka_unit_test(test_encodings_by_name),
        cmocka_unit_test(test_sniffing_tells_utf8_from_gb18030),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
