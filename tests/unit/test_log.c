/*
 * test_log.c — the structured log line (server/base/log.c): whatever a value holds, a call writes
 * exactly one line, the line splits into key=value pairs, and each value decodes back to the
 * bytes it was given (or, on a cut line, to a prefix of them).
 *
 * The parser here is written from log.h's rules, not from log.c: an unquoted value is its bytes
 * up to a space; a quoted one runs to the next unescaped `"`, with \" \\ \n \r \t and \xHH.
 */
#include "testutil.h"

#include "log.h"

#include <ctype.h>
#include <dirent.h>


#define MAX_FIELDS 32
#define MAX_VALUE  (3 * LOG_LINE_MAX)

typedef struct field {
    char key[64];
    char value[MAX_VALUE];
    size_t len;
} field;

static field fields[MAX_FIELDS];

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Splits line[0..n) into fields. Returns how many, or -1 (with a message printed) when the
 * line is not one line of key=value pairs ending in exactly one '\n'. */
static int parse_line(const char *line, size_t n)
{
    if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) || memchr(line, '\r', n)) {
        print_error("not exactly one line: %.*s\n", (int)n, line);
        return -1;
    }
    int count = 0;
    size_t i = 0, end = n - 1;
    while (i < end) {
        if (count == MAX_FIELDS)
            return -1;
        field *f = &fields[count];
        size_t k = 0;
        while (i < end && line[i] != '=' && line[i] != ' ' && line[i] != '"' && k < 63)
            f->key[k++] = line[i++];
        f->key[k] = '\0';
        if (k == 0 || i >= end || line[i] != '=') {
            print_error("field %d has no key=: %.*s\n", count, (int)n, line);
            return -1;
        }
        i++;
        f->len = 0;
        if (i < end && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= end) {
                    print_error("unterminated quote in %s: %.*s\n", f->key, (int)n, line);
                    return -1;
                }
                char c = line[i++];
                if (c == '"')
                    break;
                if (c == '\\') {
                    char e = i < end ? line[i++] : '\0';
                    if (e == 'n')
                        c = '\n';
                    else if (e == 'r')
                        c = '\r';
                    else if (e == 't')
                        c = '\t';
                    else if (e == '"' || e == '\\')
                        c = e;
                    else if (e == 'x' && i + 2 <= end && hex_digit(line[i]) >= 0 &&
                             hex_digit(line[i + 1]) >= 0) {
                        c = (char)(hex_digit(line[i]) * 16 + hex_digit(line[i + 1]));
                        i += 2;
                    } else {
                        print_error("bad escape in %s: %.*s\n", f->key, (int)n, line);
                        return -1;
                    }
                } else if ((unsigned char)c < 0x20 || c == 0x7f) {
                    print_error("raw control byte in %s\n", f->key);
                    return -1;
                }
                assert_true(f->len < MAX_VALUE);
                f->value[f->len++] = c;
            }
        } else {
            while (i < end && line[i] != ' ') {
                unsigned char c = (unsigned char)line[i];
                if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '=') {
                    print_error("unquoted value of %s holds byte 0x%02x\n", f->key, c);
                    return -1;
                }
                f->value[f->len++] = line[i++];
            }
            if (f->len == 0) {
                print_error("empty unquoted value of %s\n", f->key);
                return -1;
            }
        }
        count++;
        if (i < end) {
            if (line[i] != ' ' || i + 1 >= end) {
                print_error("no single space after %s: %.*s\n", f->key, (int)n, line);
                return -1;
            }
            i++;
        }
    }
    return count;
}

static const field *find(int count, const char *key)
{
    for (int i = 0; i < count; i++)
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    return NULL;
}

/* The one line log_format writes for `fmt`, parsed; fails the test if it does not parse. */
#define FORMAT(cap, ...)                                                                           \
    ({                                                                                             \
        char line_[LOG_LINE_MAX];                                                                  \
        size_t n_ = log_format(line_, (cap), LOG_WARN, __VA_ARGS__);                               \
        assert_true(n_ < (cap));                                                                   \
        assert_int_equal(line_[n_], '\0');                                                         \
        int count_ = parse_line(line_, n_);                                                        \
        if (count_ < 0)                                                                            \
            fail();                                                                                \
        count_;                                                                                    \
    })

static void assert_value(int count, const char *key, const char *want, size_t want_len)
{
    const field *f = find(count, key);
    if (!f) {
        print_error("no field %s\n", key);
        fail();
    }
    if (f->len != want_len || memcmp(f->value, want, want_len) != 0) {
        print_error("field %s: %zu bytes back, %zu given\n", key, f->len, want_len);
        fail();
    }
}

/* Values a hostile peer, caller or stored record could bring. */
static const char *const hostile[] = {
    "x\nts=2026-01-01T00:00:00.000Z level=error event=audit-broken unit=office",
    "line\r\nts=2026-01-01T00:00:00.000Z level=error event=forged",
    "carriage\rreturn",
    "\x1b[2J\x1b[31mred\x1b[0m\x1b]0;title\x07",
    "bad \xff\xfe utf8 \xc3( \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe4\xb8",
    "quote\" key=value \"",
    "a=b",
    "back\\slash\\n not a newline",
    "two  spaces ",
    "",
    " ",
    "tab\there\vand\fform\x01\x1f\x7f",
    "c1 \xc2\x85 nel \xc2\x9b csi",
    "line sep \xe2\x80\xa8 para sep \xe2\x80\xa9",
    "bidi \xe2\x80\xae reversed \xe2\x81\xa6 isolate",
    "罚款伍千元 区市场监督管理局",
    "=",
    "\"",
    "\\",
    "%s %n %%",
};

static void test_every_hostile_value_is_one_line_that_decodes_back(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        const char *v = hostile[i];
        int count = FORMAT(LOG_LINE_MAX, v, "method=%s reason=%s code=%d", v, v, 7);
        assert_int_equal(count, 6);
        assert_string_equal(fields[0].key, "ts");
        assert_string_equal(fields[1].key, "level");
        assert_value(count, "level", "warn", 4);
        assert_value(count, "event", v, strlen(v));
        assert_value(count, "method", v, strlen(v));
        assert_value(count, "reason", v, strlen(v));
        assert_value(count, "code", "7", 1);
    }
}

static void test_plain_values_stay_unquoted_and_utf8_stays_readable(void **state)
{
    (void)state;
    char line[LOG_LINE_MAX];
    log_format(line, sizeof line, LOG_INFO, "refused", "unit=%s name=%s empty=%s", "tax",
               "区税务局", "");
    assert_non_null(
        strstr(line, " level=info event=refused unit=tax name=区税务局 empty=\"\"\n"));
    log_format(line, sizeof line, LOG_INFO, "x", "v=%s", "a\nb");
    assert_non_null(strstr(line, " v=\"a\\nb\"\n"));
    log_format(line, sizeof line, LOG_INFO, "x", "v=%s", "\x1b[1m\xff\xc2\x85");
    assert_non_null(strstr(line, " v=\"\\x1b[1m\\xff\\xc2\\x85\"\n"));
}

static void test_numbers_and_other_conversions_are_values_too(void **state)
{
    (void)state;
    size_t z = 18446744073709551615u;
    int count = FORMAT(LOG_LINE_MAX, "n",
                       "d=%d u=%u ld=%ld lu=%lu zu=%zu lld=%lld llu=%llu x=%x c=%c pct=100%% "
                       "w=%5d star=%*d p=%.3s sp=%c",
                       -42, 42u, -1234567890123L, 9876543210UL, z, -1LL, 18446744073709551615ULL,
                       0xbeefu, 'Q', 7, 4, 12, "abcdef", ' ');
    assert_value(count, "d", "-42", 3);
    assert_value(count, "u", "42", 2);
    assert_value(count, "ld", "-1234567890123", 14);
    assert_value(count, "lu", "9876543210", 10);
    assert_value(count, "zu", "18446744073709551615", 20);
    assert_value(count, "lld", "-1", 2);
    assert_value(count, "llu", "18446744073709551615", 20);
    assert_value(count, "x", "beef", 4);
    assert_value(count, "c", "Q", 1);
    assert_value(count, "pct", "100%", 4);
    assert_value(count, "w", "    7", 5); /* padded with spaces, so quoted */
    assert_value(count, "star", "  12", 4);
    assert_value(count, "p", "abc", 3);
    assert_value(count, "sp", " ", 1);
}

static void test_precision_that_cuts_a_character_escapes_the_bytes_left(void **state)
{
    (void)state;
    /* "罚款" is six bytes; five leave half a character, which is shown as bytes. */
    int count = FORMAT(LOG_LINE_MAX, "n", "v=%.5s", "罚款");
    assert_value(count, "v", "罚款", 5);
}

static void check_cut_line(size_t cap, const char *value)
{
    char line[LOG_LINE_MAX];
    size_t n = log_format(line, cap, LOG_ERROR, "long", "before=%s v=%s after=%s", "x", value,
                          "y");
    assert_true(n < cap);
    int count = parse_line(line, n);
    if (count < 0)
        fail();
    const field *last = &fields[count - 1];
    assert_string_equal(last->key, "truncated");
    assert_memory_equal(last->value, "1", 1);
    assert_null(find(count, "after"));
    const field *v = find(count, "v");
    assert_non_null(v);
    /* What is left of the value is a prefix of it, cut at a whole character or escape. */
    assert_true(v->len < strlen(value));
    assert_memory_equal(v->value, value, v->len);
}

static void test_a_value_longer_than_the_line_is_cut_with_a_marker_not_split(void **state)
{
    (void)state;
    static char value[3 * LOG_LINE_MAX];
    /* Newlines and a forged line throughout, so every cut lands near an escape. */
    const char *piece = "a\nts=2026-01-01T00:00:00.000Z level=error event=x \xff\"罚";
    size_t k = 0, plen = strlen(piece);
    while (k + plen < sizeof value) {
        memcpy(value + k, piece, plen);
        k += plen;
    }
    value[k] = '\0';
    check_cut_line(LOG_LINE_MAX, value);
    /* Every cut position: buffers of each size from the smallest up. */
    for (size_t cap = LOG_LINE_MIN; cap < LOG_LINE_MIN + 200; cap++)
        check_cut_line(cap, value);
}

static void test_a_cut_in_literal_text_drops_the_whole_key(void **state)
{
    (void)state;
    char line[LOG_LINE_MAX];
    for (size_t cap = LOG_LINE_MIN; cap < LOG_LINE_MIN + 120; cap++) {
        size_t n = log_format(line, cap, LOG_INFO, "many",
                              "alpha=%s bravo_key_that_is_long=%d charlie_key_that_is_long=%d "
                              "delta_key_that_is_long=%d echo_key_that_is_long=%d",
                              "v", 1, 2, 3, 4);
        assert_true(n < cap);
        int count = parse_line(line, n);
        if (count < 0)
            fail();
        if (strstr(line, "echo_key_that_is_long=4\n"))
            continue; /* it all fitted */
        assert_string_equal(fields[count - 1].key, "truncated");
    }
}

/* log_event itself: one write of one line to stderr, read back through a pipe. */
static void test_log_event_writes_one_line_to_stderr(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
    log_set_level(LOG_INFO);
    log_event(LOG_DEBUG, "hidden", "v=%s", "below the level");
    log_event(LOG_WARN, "refused", "reason=%s peer=%s", hostile[0], hostile[4]);
    fflush(stderr);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    close(fds[1]);
    char buf[LOG_LINE_MAX * 2];
    size_t n = 0;
    ssize_t r;
    while ((r = read(fds[0], buf + n, sizeof buf - n)) > 0)
        n += (size_t)r;
    close(fds[0]);
    int count = parse_line(buf, n);
    if (count < 0)
        fail();
    assert_value(count, "event", "refused", 7);
    assert_value(count, "reason", hostile[0], strlen(hostile[0]));
    assert_value(count, "peer", hostile[4], strlen(hostile[4]));
}

/* --- The call sites, read from the source ----------------------------------------------------
 *
 * log.c asserts each format's shape when a line is written, which catches a bad call site
 * only on a path a test runs. This reads every log_event call in server/ and tools/ (every
 * folder of each) and checks the same rules on all of them: every conversion is a whole value
 * right after `key=` and before a space or the end, and literal text holds no quote or
 * backslash, so no call site quotes a value itself. */

/* Blanks out comments of src (keeping string and character literals), so that text about
 * log_event in a comment is not taken for a call. */
static void strip_comments(char *src)
{
    for (char *p = src; *p; p++) {
        if (*p == '"' || *p == '\'') {
            char q = *p;
            for (p++; *p && *p != q; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (!*p)
                return;
        } else if (p[0] == '/' && p[1] == '*') {
            for (; *p && !(p[0] == '*' && p[1] == '/'); p++)
                if (*p != '\n')
                    *p = ' ';
            if (!*p)
                return;
            p[0] = p[1] = ' ';
            p++;
        } else if (p[0] == '/' && p[1] == '/') {
            for (; *p && *p != '\n'; p++)
                *p = ' ';
            if (!*p)
                return;
        }
    }
}

/* The format argument (the third) of the call whose '(' is at `open`, its literals joined and
 * unescaped, into fmt[cap]. Returns 0, or -1 when it is not made of string literals. */
static int call_format(const char *open, char *fmt, size_t cap)
{
    int depth = 0, arg = 0, literal = 0;
    size_t n = 0;
    for (const char *p = open + 1; *p; p++) {
        if (*p == '"' || *p == '\'') {
            char q = *p;
            for (p++; *p && *p != q; p++) {
                char c = *p;
                if (c == '\\' && p[1]) {
                    c = *++p;
                    c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
                }
                if (q == '"' && arg == 2 && depth == 0 && n + 1 < cap)
                    fmt[n++] = c;
            }
            if (!*p)
                return -1;
            literal |= q == '"' && arg == 2 && depth == 0;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && depth > 0) {
            depth--;
        } else if ((*p == ',' && depth == 0) || *p == ')') {
            if (arg == 2)
                break;
            arg++;
        } else if (arg == 2 && depth == 0 && !strchr(" \t\n", *p)) {
            return -1; /* something other than literals */
        }
    }
    fmt[n] = '\0';
    return literal ? 0 : -1;
}

/* Whether fmt keeps log.h's shape; prints what is wrong if not. */
static int format_shape_ok(const char *where, const char *fmt)
{
    for (const char *p = fmt; *p; p++) {
        if (*p == '%' && p[1] == '%') {
            p++;
            continue;
        }
        if (*p != '%') {
            if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') {
                print_error("%s: literal text holds 0x%02x: \"%s\"\n", where, (unsigned char)*p,
                            fmt);
                return 0;
            }
            continue;
        }
        if (p == fmt || p[-1] != '=') {
            print_error("%s: a conversion not right after key=: \"%s\"\n", where, fmt);
            return 0;
        }
        p++;
        while (*p && strchr("-+ #0123456789.*hlzjtL", *p))
            p++;
        if (!*p || (p[1] != ' ' && p[1] != '\0')) {
            print_error("%s: a conversion not followed by a space or the end: \"%s\"\n", where,
                        fmt);
            return 0;
        }
    }
    return 1;
}

static void test_every_call_site_format_keeps_the_key_value_shape(void **state)
{
    (void)state;
    const char *root = tu_env("CREDIT_SOURCE_DIR");
    assert_non_null(root);
    const char *const dirs[] = {"server",          "server/base", "server/transport",
                                "server/rules",    "server/data", "server/services",
                                "tools",           "tools/creditctl"};
    int calls = 0, bad = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char dir[PATH_MAX];
        assert_int_equal(tu_join(dir, sizeof dir, root, dirs[d]), 0);
        DIR *dh = opendir(dir);
        assert_non_null(dh);
        struct dirent *e;
        while ((e = readdir(dh)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len < 3 || strcmp(e->d_name + len - 2, ".c") != 0 ||
                strcmp(e->d_name, "log.c") == 0)
                continue;
            char path[PATH_MAX];
            assert_int_equal(tu_join(path, sizeof path, dir, e->d_name), 0);
            char *src = tu_read_file(path, NULL);
            assert_non_null(src);
            strip_comments(src);
            for (char *p = strstr(src, "log_event("); p; p = strstr(p + 1, "log_event(")) {
                if (p > src && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
                    continue;
                int line = 1;
                for (const char *q = src; q < p; q++)
                    line += *q == '\n';
                char where[PATH_MAX + 16], fmt[1024];
                snprintf(where, sizeof where, "%s/%s:%d", dirs[d], e->d_name, line);
                calls++;
                if (call_format(p + strlen("log_event"), fmt, sizeof fmt) != 0) {
                    print_error("%s: the format is not a string literal\n", where);
                    bad++;
                } else if (!format_shape_ok(where, fmt)) {
                    bad++;
                }
            }
            free(src);
        }
        closedir(dh);
    }
    /* The scan found the call sites (about twenty when this was written). */
    assert_true(calls >= 15);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_hostile_value_is_one_line_that_decodes_back),
        cmocka_unit_test(test_plain_values_stay_unquoted_and_utf8_stays_readable),
        cmocka_unit_test(test_numbers_and_other_conversions_are_values_too),
        cmocka_unit_test(test_precision_that_cuts_a_character_escapes_the_bytes_left),
        cmocka_unit_test(test_a_value_longer_than_the_line_is_cut_with_a_marker_not_split),
        cmocka_unit_test(test_a_cut_in_literal_text_drops_the_whole_key),
        cmocka_unit_test(test_log_event_writes_one_line_to_stderr),
        cmocka_unit_test(test_every_call_site_format_keeps_the_key_value_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
