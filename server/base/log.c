/*
 * log.c — see log.h for the line format and the escaping rules.
 *
 * A line is built in a caller's buffer by a small writer (struct line) that never goes past
 * `limit`; the bytes after `limit` are kept for what a cut line still needs (a closing quote or
 * an empty value's `""`, the marker, the newline and the NUL), so a cut line stays well formed.
 * The format is walked one conversion at a time: literal text is copied (it is our code), each
 * conversion is fetched from the va_list with its own type, numbers are turned into text by
 * snprintf with that one conversion's spec, and the text of every conversion then goes through
 * the same value writer as strings. Nothing a caller passes is ever copied raw.
 */
#include "log.h"

#include "utf8.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static volatile int min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    min_level = level;
}

int log_parse_level(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

/* --- Values ---------------------------------------------------------------------------------- */

/* Valid characters that are still written as \xHH bytes: the C1 controls, and those a viewer
 * may take for a line break or that reorder what a reader sees of the rest of the line. */
static int hidden_char(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The next unit of s[0..n) (n > 0): a byte or a whole character, written either as it is or
 * escaped. Returns its length; *escaped says which. */
static size_t next_unit(const unsigned char *s, size_t n, int *escaped)
{
    if (s[0] < 0x80) {
        *escaped = s[0] < 0x20 || s[0] == 0x7f || s[0] == '"' || s[0] == '\\';
        return 1;
    }
    uint32_t cp = 0;
    size_t len = utf8_decode(s, n, &cp);
    if (len == 0) {
        *escaped = 1; /* one byte of invalid UTF-8; the next byte is judged on its own */
        return 1;
    }
    *escaped = hidden_char(cp);
    return len;
}

/* Writes the unit s[0..len) as the log shows it into out (room for 16). Returns the length. */
static size_t encode_unit(const unsigned char *s, size_t len, int escaped, char *out)
{
    static const char hex[] = "0123456789abcdef";
    if (!escaped) {
        memcpy(out, s, len);
        return len;
    }
    if (len == 1) {
        const char *short_form = NULL;
        switch (s[0]) {
        case '"': short_form = "\\\""; break;
        case '\\': short_form = "\\\\"; break;
        case '\n': short_form = "\\n"; break;
        case '\r': short_form = "\\r"; break;
        case '\t': short_form = "\\t"; break;
        default: break;
        }
        if (short_form) {
            memcpy(out, short_form, 2);
            return 2;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        out[k++] = '\\';
        out[k++] = 'x';
        out[k++] = hex[s[i] >> 4];
        out[k++] = hex[s[i] & 0x0f];
    }
    return k;
}

/* Whether s[0..n) must be quoted: it is empty, or holds a separator or anything escaped. */
static int needs_quotes(const unsigned char *s, size_t n)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i < n;) {
        int escaped;
        size_t len = next_unit(s + i, n - i, &escaped);
        if (escaped || s[i] == ' ' || s[i] == '=')
            return 1;
        i += len;
    }
    return 0;
}

/* --- The line -------------------------------------------------------------------------------- */

#define CUT_MARKER " truncated=1"

/* After limit: 2 for quotes, the marker, the newline and the NUL. */
#define LINE_RESERVE (2 + (sizeof CUT_MARKER - 1) + 1 + 1)

struct line {
    char *buf;
    size_t len;       /* bytes written */
    size_t limit;     /* fields stay in buf[0..limit) */
    size_t field_end; /* len after the last whole field: where a cut in literal text goes back */
    int cut;          /* the line was cut; nothing more is written but the marker */
};

/* One byte of the format's literal text. A key that does not fit is dropped whole. */
static void put_literal(struct line *l, char c)
{
    if (l->cut)
        return;
    if (l->len >= l->limit) {
        l->len = l->field_end;
        l->cut = 1;
        return;
    }
    l->buf[l->len++] = c;
}

static void put_literals(struct line *l, const char *s)
{
    while (*s)
        put_literal(l, *s++);
}

/* One value, escaped and quoted as log.h says. A value that does not fit is cut at a whole
 * unit and still closed, so the line parses. */
static void put_value(struct line *l, const char *value, size_t n)
{
    if (l->cut)
        return;
    if (l->len >= l->limit) { /* no room even to open it: an empty value, and the cut */
        memcpy(l->buf + l->len, "\"\"", 2);
        l->len += 2;
        l->cut = 1;
        return;
    }
    const unsigned char *s = (const unsigned char *)value;
    int quoted = needs_quotes(s, n);
    size_t start = l->len;
    if (quoted)
        l->buf[l->len++] = '"';
    for (size_t i = 0; i < n;) {
        int escaped;
        size_t len = next_unit(s + i, n - i, &escaped);
        char out[16];
        size_t k = encode_unit(s + i, len, escaped, out);
        if (l->len + k > l->limit) {
            l->cut = 1;
            break;
        }
        memcpy(l->buf + l->len, out, k);
        l->len += k;
        i += len;
    }
    if (quoted) {
        l->buf[l->len++] = '"';
    } else if (l->len == start) { /* cut before its first byte: still a value */
        l->buf[l->len++] = '"';
        l->buf[l->len++] = '"';
    }
}

/* Length modifiers of a conversion. */
enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T, LEN_BIG_L };

/* The format's literal text is our code: printable ASCII, with no quote or backslash, since a
 * value is quoted by the logger alone. */
static int literal_ok(char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* snprintf with a spec built from the caller's format, which the compiler checked against the
 * arguments through log_event's format attribute; this is the one place a format is not a
 * literal. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/* Writes the conversion at *pp (just after its '%') as a value and advances *pp past it. */
static void put_conversion(struct line *l, const char **pp, va_list *ap)
{
    const char *p = *pp;
    char spec[48];
    size_t sn = 0;
    int width = 0, precision = -1;
    spec[sn++] = '%';
    while (*p && strchr("-+ #0", *p) && sn < 8)
        spec[sn++] = *p++;
    if (*p == '*') {
        width = va_arg(*ap, int);
        sn += (size_t)snprintf(spec + sn, sizeof spec - sn, "%d", width);
        p++;
    } else {
        for (; *p >= '0' && *p <= '9'; p++) {
            width = width * 10 + (*p - '0');
            if (sn < 20)
                spec[sn++] = *p;
        }
    }
    if (*p == '.') {
        p++;
        precision = 0;
        if (*p == '*') {
            precision = va_arg(*ap, int);
            p++;
        } else {
            for (; *p >= '0' && *p <= '9'; p++)
                precision = precision < 100000 ? precision * 10 + (*p - '0') : precision;
        }
        if (precision >= 0)
            sn += (size_t)snprintf(spec + sn, sizeof spec - sn, ".%d", precision);
    }
    enum length len = LEN_NONE;
    if (p[0] == 'h' && p[1] == 'h') {
        len = LEN_HH;
        p += 2;
    } else if (p[0] == 'l' && p[1] == 'l') {
        len = LEN_LL;
        p += 2;
    } else if (*p && strchr("hlzjtL", *p)) {
        len = *p == 'h' ? LEN_H : *p == 'l' ? LEN_L : *p == 'z' ? LEN_Z
            : *p == 'j' ? LEN_J : *p == 't' ? LEN_T : LEN_BIG_L;
        p++;
    }
    static const char *const len_text[] = {"", "hh", "h", "l", "ll", "z", "j", "t", "L"};
    char conv = *p ? *p++ : '\0';
    sn += (size_t)snprintf(spec + sn, sizeof spec - sn, "%s%c", len_text[len], conv);
    assert(sn < sizeof spec);
    *pp = p;

    char num[128];
    int k = -1;
    switch (conv) {
    case 's': {
        /* Width would pad with spaces the value then quotes: no call site wants it. */
        assert(width == 0);
        (void)width;
        const char *s = va_arg(*ap, const char *);
        if (!s)
            s = "(null)";
        put_value(l, s, precision >= 0 ? strnlen(s, (size_t)precision) : strlen(s));
        return;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        put_value(l, &c, 1);
        return;
    }
    case 'd':
    case 'i':
        switch (len) {
        case LEN_L: k = snprintf(num, sizeof num, spec, va_arg(*ap, long)); break;
        case LEN_LL: k = snprintf(num, sizeof num, spec, va_arg(*ap, long long)); break;
        case LEN_Z: k = snprintf(num, sizeof num, spec, va_arg(*ap, ssize_t)); break;
        case LEN_J: k = snprintf(num, sizeof num, spec, va_arg(*ap, intmax_t)); break;
        case LEN_T: k = snprintf(num, sizeof num, spec, va_arg(*ap, ptrdiff_t)); break;
        default: k = snprintf(num, sizeof num, spec, va_arg(*ap, int)); break;
        }
        break;
    case 'u':
    case 'x':
    case 'X':
    case 'o':
        switch (len) {
        case LEN_L: k = snprintf(num, sizeof num, spec, va_arg(*ap, unsigned long)); break;
        case LEN_LL:
            k = snprintf(num, sizeof num, spec, va_arg(*ap, unsigned long long));
            break;
        case LEN_Z: k = snprintf(num, sizeof num, spec, va_arg(*ap, size_t)); break;
        case LEN_J: k = snprintf(num, sizeof num, spec, va_arg(*ap, uintmax_t)); break;
        case LEN_T: k = snprintf(num, sizeof num, spec, va_arg(*ap, ptrdiff_t)); break;
        default: k = snprintf(num, sizeof num, spec, va_arg(*ap, unsigned)); break;
        }
        break;
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
        if (len == LEN_BIG_L)
            k = snprintf(num, sizeof num, spec, va_arg(*ap, long double));
        else
            k = snprintf(num, sizeof num, spec, va_arg(*ap, double));
        break;
    default:
        /* A conversion the logger does not know: the compiler's check let it through, so it
         * is ours to add. Its argument cannot be skipped safely; stop the line here. */
        assert(!"log: unsupported conversion");
        put_value(l, "?", 1);
        l->cut = 1;
        return;
    }
    if (k < 0)
        k = 0;
    put_value(l, num, (size_t)k < sizeof num ? (size_t)k : sizeof num - 1);
}

#pragma GCC diagnostic pop

size_t log_vformat(char *buf, size_t cap, enum log_level level, const char *event,
                   const char *fmt, va_list ap)
{
    assert(cap >= LOG_LINE_MIN);
    struct line l = {.buf = buf, .limit = cap - LINE_RESERVE};
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char head[96];
    snprintf(head, sizeof head, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             ts.tv_nsec / 1000000, level_names[(unsigned)level & 3u]);
    put_literals(&l, head);
    assert(!l.cut);
    put_value(&l, event ? event : "", event ? strlen(event) : 0);
    l.field_end = l.len;
    if (*fmt)
        put_literal(&l, ' ');

    /* A copy, so that the conversions can take the arguments through a pointer. */
    va_list args;
    va_copy(args, ap);
    for (const char *p = fmt; *p && !l.cut;) {
        if (*p != '%') {
            assert(literal_ok(*p));
            if (*p == ' ')
                l.field_end = l.len;
            put_literal(&l, literal_ok(*p) ? *p : '?'); /* even without assertions */
            p++;
        } else if (p[1] == '%') {
            put_literal(&l, '%');
            p += 2;
        } else {
            /* A value stands alone after its key, so the line splits into key=value pairs. */
            assert(p > fmt && p[-1] == '=');
            p++;
            put_conversion(&l, &p, &args);
            assert(*p == ' ' || *p == '\0');
            if (!l.cut)
                l.field_end = l.len;
        }
    }
    va_end(args);

    if (l.cut) {
        memcpy(buf + l.len, CUT_MARKER, sizeof CUT_MARKER - 1);
        l.len += sizeof CUT_MARKER - 1;
    }
    buf[l.len++] = '\n';
    buf[l.len] = '\0';
    return l.len;
}

size_t log_format(char *line, size_t cap, enum log_level level, const char *event,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = log_vformat(line, cap, level, event, fmt, ap);
    va_end(ap);
    return n;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
    if ((int)level < min_level)
        return;
    char line[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    size_t n = log_vformat(line, sizeof line, level, event, fmt, ap);
    va_end(ap);
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w; /* nothing useful to do if stderr is gone */
}
