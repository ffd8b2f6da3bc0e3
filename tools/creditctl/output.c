/*
 * output.c — creditctl's output formatting for people: aligned tables (by display width, so
 * CJK names line up), field/value lists, timestamps, and the one entry to the JSON printer
 * (json_out.c) that --json uses.
 *
 * A table copies its cells, so a caller may fill it from messages it frees before printing.
 * Nothing here talks to the node.
 */
#include "creditctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"

/* Columns of display width: ASCII is 1, East Asian wide characters (CJK, Hangul, full-width
 * forms) are 2, UTF-8 continuation bytes 0. Good enough for names in our registry. */
static size_t display_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        uint32_t cp;
        int n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else if ((*p & 0xe0) == 0xc0) {
            cp = *p & 0x1f;
            n = 2;
        } else if ((*p & 0xf0) == 0xe0) {
            cp = *p & 0x0f;
            n = 3;
        } else if ((*p & 0xf8) == 0xf0) {
            cp = *p & 0x07;
            n = 4;
        } else {
            w++; /* a stray byte: count it, move on */
            p++;
            continue;
        }
        int k = 1;
        for (; k < n && (p[k] & 0xc0) == 0x80; k++)
            cp = cp << 6 | (p[k] & 0x3f);
        p += k;
        if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
            (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
            (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
            (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
            w += 2;
        else
            w += 1;
    }
    return w;
}

void table_init(struct table *t, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
}

void table_cleanup(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

/* Appends a row of t->ncols strings (NULL prints as ""). Returns 0 or -1 (out of memory; the
 * table is unchanged). */
int table_add(struct table *t, const char *const *row)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **cells = realloc(t->cells, cap * t->ncols * sizeof *cells);
        if (!cells)
            return -1;
        t->cells = cells;
        t->cap = cap;
    }
    char **dst = t->cells + t->nrows * t->ncols;
    for (size_t c = 0; c < t->ncols; c++) {
        dst[c] = strdup(row[c] ? row[c] : "");
        if (!dst[c]) {
            while (c--)
                free(dst[c]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

/* Columns as wide as their widest cell, two spaces apart; the last column is not padded, and
 * the lines of a multi-line cell in it start under its first. */
void table_print(FILE *out, const struct table *t)
{
    size_t widths[16] = {0}, last = t->indent;

    if (t->ncols > sizeof widths / sizeof widths[0])
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = display_width(t->cells[r * t->ncols + c]);
            if (w > widths[c])
                widths[c] = w;
        }
    for (size_t c = 0; c + 1 < t->ncols; c++)
        last += widths[c] + 2;
    for (size_t r = 0; r < t->nrows; r++) {
        fprintf(out, "%*s", (int)t->indent, "");
        for (size_t c = 0; c + 1 < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            fputs(cell, out);
            for (size_t pad = display_width(cell); pad < widths[c] + 2; pad++)
                putc(' ', out);
        }
        for (const char *p = t->cells[r * t->ncols + t->ncols - 1]; *p; p++)
            if (*p != '\n' || !p[1])
                putc(*p, out);
            else
                fprintf(out, "\n%*s", (int)last, "");
        putc('\n', out);
    }
}

/* Starts a table of ncols columns, `indent` spaces in, with a header row (NULL: none).
 * Returns 0, or 1 when out of memory (the table is still to be finished). */
int table_start(struct table *t, size_t ncols, size_t indent, const char *const *header)
{
    table_init(t, ncols);
    t->indent = indent;
    return header && table_add(t, header) != 0;
}

/* Prints the table to stdout unless `bad` (a row could not be added), and frees it. Returns 0,
 * or EXIT_ERR (out of memory, said). */
int table_finish(struct table *t, int bad)
{
    if (!bad)
        table_print(stdout, t);
    table_cleanup(t);
    return bad ? nomem() : 0;
}

/* Prints (name, value) rows as a two-column table, `indent` spaces in. Returns 0 or EXIT_ERR
 * (out of memory, said). */
int print_fields(const char *(*rows)[2], size_t n, size_t indent)
{
    struct table t;
    int bad = table_start(&t, 2, indent, NULL);

    /* The names are words for people (N_ where they are written): translated here. */
    for (size_t i = 0; i < n && !bad; i++)
        bad = table_add(&t, (const char *[]){gettext(rows[i][0]), rows[i][1]}) != 0;
    return table_finish(&t, bad);
}

/* Appends printf-style text to buf (size bytes, *used of them taken); text that does not fit
 * is cut. */
__attribute__((format(printf, 4, 5))) void append(char *buf, size_t size, size_t *used,
                                                  const char *fmt, ...)
{
    va_list ap;

    if (*used + 1 >= size)
        return;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (k > 0)
        *used = (size_t)k < size - *used ? *used + (size_t)k : size - 1;
}

/* A Timestamp as RFC 3339 UTC text in buf: "-" when unset, "?" when it cannot be shown. */
const char *format_time(const Google__Protobuf__Timestamp *t, char *buf, size_t size)
{
    if (!t)
        snprintf(buf, size, "-");
    else if (json_format_timestamp(buf, size, (long long)t->seconds, t->nanos) != 0)
        snprintf(buf, size, "?");
    return buf;
}

/* s, or "-" when it is empty. */
const char *dash(const char *s)
{
    return s && *s ? s : "-";
}

void print_json(const ProtobufCMessage *msg)
{
    json_write_message(stdout, msg);
    putc('\n', stdout);
}
