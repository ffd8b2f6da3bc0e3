/*
 * clerk.c — clerks' dates, times and amounts (clerk.h).
 *
 * Each reader is a small hand-written scanner over the text: digits are counted, separators
 * must match the form they started, and whatever is left over is an error. The forms are few
 * and fixed on purpose; anything else is refused with the list of forms that are accepted, so
 * that a clerk fixes the cell rather than a value being read in a way nobody meant.
 */

#include "clerk.h"

#include <ctype.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The reasons are for people, in the reader's language (gettext, creditctl's catalogue: an
 * uncatalogued program gets the English). Each starts with a verb ("is", "has", "says"), so a
 * caller puts the cell's text before it. The forms are said in their own message, once. */
#define N_(text)   (text)
#define DATE_FORMS gettext(date_forms)
static const char date_forms[] = N_("write it as 2024-01-05, 2024/1/5, 2024年1月5日 or 20240105");
#define MAX_FEN 1000000000000000LL /* 10^15 fen: ten trillion yuan */

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t cap, const char *fmt,
                                                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, gettext(fmt), ap);
    va_end(ap);
    return -1;
}

int clerk_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Reads 1..max digits; returns how many (0: none). */
static int digits(const char **p, int max, long *value)
{
    int n = 0;
    long v = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *value = v;
    return n;
}

static int starts(const char *p, const char *word)
{
    return strncmp(p, word, strlen(word)) == 0;
}

/* Reads a date at *p, leaving *p after it. */
static int read_date(const char **p, int *y, int *m, int *d, char *why, size_t cap)
{
    const char *s = *p;
    long yy, mm, dd;
    int n = digits(&s, 8, &yy);
    if (n == 8 && !isdigit((unsigned char)*s)) {
        dd = yy % 100;
        mm = (yy / 100) % 100;
        yy /= 10000;
    } else if (n == 4) {
        const char *sep2;
        if (*s == '-' || *s == '/' || *s == '.') {
            char sep = *s++;
            if (!digits(&s, 2, &mm) || *s != sep)
                return fail(why, cap, "is not a date: %s", DATE_FORMS);
            s++;
            sep2 = "";
        } else if (starts(s, "年")) {
            s += strlen("年");
            if (!digits(&s, 2, &mm) || !starts(s, "月"))
                return fail(why, cap, "is not a date: %s", DATE_FORMS);
            s += strlen("月");
            sep2 = "日";
        } else {
            return fail(why, cap, "is not a date: %s", DATE_FORMS);
        }
        if (!digits(&s, 2, &dd))
            return fail(why, cap, "is not a date: %s", DATE_FORMS);
        if (*sep2) {
            if (!starts(s, sep2))
                return fail(why, cap, "is not a date: %s", DATE_FORMS);
            s += strlen(sep2);
        }
        if (isdigit((unsigned char)*s))
            return fail(why, cap, "is not a date: %s", DATE_FORMS);
    } else {
        /* 01/05/2024 and 5/1/2024 mean different days in different offices. */
        return fail(why, cap, "is not a date (the year comes first): %s", DATE_FORMS);
    }
    if (yy < 1000)
        return fail(why, cap, "is not a date: the year must have four digits");
    if (mm < 1 || mm > 12)
        return fail(why, cap, "is an impossible date: there is no month %ld", mm);
    int dim = clerk_days_in_month((int)yy, (int)mm);
    if (dd < 1 || dd > dim)
        return fail(why, cap, "is an impossible date: %04ld-%02ld has %d days, not %ld", yy, mm,
                    dim, dd);
    *y = (int)yy;
    *m = (int)mm;
    *d = (int)dd;
    *p = s;
    return 0;
}

int clerk_date(const char *text, int *y, int *m, int *d, char *why, size_t cap)
{
    if (!text)
        return fail(why, cap, "is empty: %s", DATE_FORMS);
    const char *p = skip_spaces(text);
    if (!*p)
        return fail(why, cap, "is empty: %s", DATE_FORMS);
    int yy, mm, dd;
    if (read_date(&p, &yy, &mm, &dd, why, cap) != 0)
        return -1;
    if (*skip_spaces(p))
        return fail(why, cap, "has more than a date: %s", DATE_FORMS);
    *y = yy;
    *m = mm;
    *d = dd;
    return 0;
}

#define TIME_FORMS gettext(time_forms)
static const char time_forms[] =
    N_("write a time as 2024-01-05 08:30, 2024-01-05 08:30:00 or 2024-01-05T08:30:00+08:00");

/* Reads the time of day at *p: H:MM[:SS[.f]] or H时M分[S秒]. */
static int read_time(const char **p, long *h, long *mi, long *sec, long *ns, char *why,
                     size_t cap)
{
    const char *s = *p;
    *sec = 0;
    *ns = 0;
    if (!digits(&s, 2, h))
        return fail(why, cap, "has no time after the date: %s", TIME_FORMS);
    if (*s == ':') {
        s++;
        if (digits(&s, 2, mi) != 2)
            return fail(why, cap, "has a bad time: %s", TIME_FORMS);
        if (*s == ':') {
            s++;
            if (digits(&s, 2, sec) != 2)
                return fail(why, cap, "has a bad time: %s", TIME_FORMS);
            if (*s == '.' || *s == ',') {
                s++;
                long f;
                int n = digits(&s, 9, &f);
                if (n == 0 || isdigit((unsigned char)*s))
                    return fail(why, cap, "has a bad fraction of a second (1 to 9 digits)");
                for (; n < 9; n++)
                    f *= 10;
                *ns = f;
            }
        }
    } else if (starts(s, "时")) {
        s += strlen("时");
        *mi = 0;
        if (digits(&s, 2, mi)) {
            if (!starts(s, "分"))
                return fail(why, cap, "has a bad time: %s", TIME_FORMS);
            s += strlen("分");
            if (digits(&s, 2, sec)) {
                if (!starts(s, "秒"))
                    return fail(why, cap, "has a bad time: %s", TIME_FORMS);
                s += strlen("秒");
            }
        }
    } else {
        return fail(why, cap, "has a bad time: %s", TIME_FORMS);
    }
    if (*h > 23 || *mi > 59 || *sec > 59) /* no leap seconds: the node keeps none */
        return fail(why, cap, "is an impossible time of day: %02ld:%02ld:%02ld", *h, *mi, *sec);
    *p = s;
    return 0;
}

/* Reads a zone at *p (Z, +08:00, +0800, +08) into seconds east of UTC. */
static int read_zone(const char **p, long *offset, char *why, size_t cap)
{
    const char *s = *p;
    if (*s == 'Z' || *s == 'z') {
        *offset = 0;
        *p = s + 1;
        return 0;
    }
    int sign = *s == '-' ? -1 : 1;
    s++;
    long hh, mm = 0;
    if (digits(&s, 2, &hh) != 2)
        return fail(why, cap, "has a bad zone: write it as +08:00, +0800 or Z");
    if (*s == ':')
        s++;
    if (isdigit((unsigned char)*s) && digits(&s, 2, &mm) != 2)
        return fail(why, cap, "has a bad zone: write it as +08:00, +0800 or Z");
    if (hh > 14 || mm > 59)
        return fail(why, cap, "has an impossible zone offset");
    *offset = sign * (hh * 3600 + mm * 60);
    *p = s;
    return 0;
}

int clerk_timestamp(const char *text, int64_t *seconds, int32_t *nanos, char *why, size_t cap)
{
    if (!text)
        return fail(why, cap, "is empty: %s", TIME_FORMS);
    const char *p = skip_spaces(text);
    if (!*p)
        return fail(why, cap, "is empty: %s", TIME_FORMS);
    int y, m, d;
    if (read_date(&p, &y, &m, &d, why, cap) != 0)
        return -1;
    long h = 0, mi = 0, sec = 0, ns = 0, offset = CLERK_DEFAULT_OFFSET_S;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        const char *q = skip_spaces(p + 1);
        if (*q) {
            p = q;
            if (read_time(&p, &h, &mi, &sec, &ns, why, cap) != 0)
                return -1;
        }
    }
    p = skip_spaces(p);
    if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-') {
        if (read_zone(&p, &offset, why, cap) != 0)
            return -1;
    }
    if (*skip_spaces(p))
        return fail(why, cap, "has more than a date and time: %s", TIME_FORMS);
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d,
                    .tm_hour = (int)h, .tm_min = (int)mi, .tm_sec = (int)sec};
    *seconds = (int64_t)timegm(&tm) - offset;
    *nanos = (int32_t)ns;
    return 0;
}

int clerk_unit_parse(const char *text, clerk_unit *out)
{
    if (!text)
        return -1;
    if (strcmp(text, "yuan") == 0 || strcmp(text, "元") == 0)
        *out = CLERK_UNIT_YUAN;
    else if (strcmp(text, "fen") == 0 || strcmp(text, "分") == 0)
        *out = CLERK_UNIT_FEN;
    else
        return -1;
    return 0;
}

int clerk_amount(const char *text, clerk_unit unit, int64_t *fen, char *why, size_t cap)
{
    if (unit == CLERK_UNIT_UNSET)
        return fail(why, cap, "is an amount, and its unit is not known: give --amount-unit "
                              "yuan or --amount-unit fen");
    const char *unit_word = unit == CLERK_UNIT_YUAN ? "yuan" : "fen";
    if (!text)
        return fail(why, cap, "is empty: an amount in %s is expected", unit_word);
    const char *p = skip_spaces(text);
    if (starts(p, "¥"))
        p += strlen("¥");
    else if (starts(p, "￥"))
        p += strlen("￥");
    if (*p == '-')
        return fail(why, cap, "is negative: an amount cannot be");
    if (!isdigit((unsigned char)*p))
        return fail(why, cap, "is not an amount in %s (like 1,234.50)", unit_word);

    /* The whole part: digits, with commas only between groups of three. */
    int64_t whole = 0;
    int group = 0, grouped = 0;
    for (; isdigit((unsigned char)*p) || *p == ','; p++) {
        if (*p == ',') {
            if (group == 0 || (grouped && group != 3) || (!grouped && group > 3))
                return fail(why, cap, "has a misplaced thousands separator");
            grouped = 1;
            group = 0;
            continue;
        }
        if (whole > MAX_FEN)
            return fail(why, cap, "is too large (the most is 10^13 yuan)");
        whole = whole * 10 + (*p - '0');
        group++;
    }
    if (grouped && group != 3)
        return fail(why, cap, "has a misplaced thousands separator");

    int64_t cents = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        while (isdigit((unsigned char)*p)) {
            if (++n > 2 || unit == CLERK_UNIT_FEN)
                return unit == CLERK_UNIT_FEN
                           ? fail(why, cap, "has a fraction of a fen: fen are whole numbers")
                           : fail(why, cap,
                                  "has more than two decimals: a fen is the smallest amount");
            cents = cents * 10 + (*p - '0');
            p++;
        }
        if (n == 1)
            cents *= 10;
        if (n == 0)
            return fail(why, cap, "is not an amount in %s (like 1,234.50)", unit_word);
    }
    p = skip_spaces(p);
    if (starts(p, "元")) {
        if (unit != CLERK_UNIT_YUAN)
            return fail(why, cap, "says 元 but --amount-unit is fen");
        p += strlen("元");
    } else if (starts(p, "分")) {
        if (unit != CLERK_UNIT_FEN)
            return fail(why, cap, "says 分 but --amount-unit is yuan");
        p += strlen("分");
    }
    if (*skip_spaces(p))
        return fail(why, cap, "is not an amount in %s (like 1,234.50)", unit_word);
    int64_t v = unit == CLERK_UNIT_YUAN ? whole * 100 + cents : whole;
    if (v > MAX_FEN)
        return fail(why, cap, "is too large (the most is 10^13 yuan)");
    *fen = v;
    return 0;
}
