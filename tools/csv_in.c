/*
 * csv_in.c — CSV rows into protobuf-c messages for creditctl (see csv_in.h).
 *
 * Two halves. The reader turns bytes into rows of cells, byte by byte, keeping the line a row
 * starts on (a quoted cell may span lines) and the bytes consumed (for a progress bar). A row
 * that breaks the format (a quote inside an unquoted cell, text after a closing quote, a NUL,
 * text that is not UTF-8) is still read to its end, so that the next row starts where it should,
 * and handed over marked bad; only a quoted cell that never closes stops the reading.
 *
 * The columns resolve each header name once, against the descriptors, into the chain of JSON
 * member names that leads to its value and the kind of value it holds. A data row then becomes
 * a json-c object (its non-empty cells placed along their chains) that json_read_tree reads
 * into the message: every value rule of JSON Lines holds for CSV too, and lives in one place.
 */
#include "csv_in.h"

#include "clerk.h"
#include "json_out.h"

#include <errno.h>
#include <libintl.h>
#include <stdint.h>
#include <time.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* A cell's reason is for people, in the reader's language (gettext, creditctl's catalogue;
 * the English when no catalogue is bound). Field paths and values are never translated. */
#define _(text) gettext(text)

#define ROW_MAX_BYTES (16u << 20) /* a row larger than this is not a record */
#define ROW_MAX_CELLS 4096

/* --- The reader ---------------------------------------------------------------------------- */

struct csv_reader {
    FILE *in;
    uint64_t offset;
    size_t line;     /* the line the next byte is on */
    int started;     /* the byte order mark has been looked for */
    int back[4];     /* bytes pushed back, the last one read first */
    int n_back;
    char *buf;       /* the row's cells, each NUL-terminated, one after the other */
    size_t len, cap;
    size_t *starts;  /* where each cell begins in buf */
    char **cells;    /* the same as pointers, once the row is complete */
    size_t n_cells, cap_cells;
    char *raw;       /* the row's bytes as read, quotes and line end included (rejects file) */
    size_t raw_len, raw_cap;
    int raw_lost;    /* out of memory keeping them: the row has no raw text */
};

csv_reader *csv_reader_create(FILE *in)
{
    csv_reader *r = calloc(1, sizeof *r);
    if (r) {
        r->in = in;
        r->line = 1;
    }
    return r;
}

void csv_reader_destroy(csv_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->starts);
    free(r->cells);
    free(r->raw);
    free(r);
}

uint64_t csv_reader_offset(const csv_reader *r)
{
    return r->offset;
}

const char *csv_reader_raw(const csv_reader *r, size_t *len)
{
    *len = r->raw_lost ? 0 : r->raw_len;
    return r->raw_lost ? NULL : r->raw;
}

static void keep_raw(csv_reader *r, int c)
{
    if (r->raw_len == r->raw_cap) {
        size_t cap = r->raw_cap ? r->raw_cap * 2 : 4096;
        char *b = r->raw_cap < 2 * ROW_MAX_BYTES ? realloc(r->raw, cap) : NULL;
        if (!b) {
            r->raw_lost = 1;
            return;
        }
        r->raw = b;
        r->raw_cap = cap;
    }
    r->raw[r->raw_len++] = (char)c;
}

static int get(csv_reader *r)
{
    int c = r->n_back ? r->back[--r->n_back] : getc(r->in);
    if (c == EOF)
        return EOF;
    keep_raw(r, c);
    r->offset++;
    if (c == '\n')
        r->line++;
    return c;
}

static void unget(csv_reader *r, int c)
{
    if (c == EOF)
        return;
    r->offset--;
    if (r->raw_len > 0)
        r->raw_len--;
    if (c == '\n')
        r->line--;
    r->back[r->n_back++] = c;
}

static int put(csv_reader *r, char c)
{
    if (r->len == r->cap) {
        if (r->cap >= ROW_MAX_BYTES)
            return -1;
        size_t cap = r->cap ? r->cap * 2 : 4096;
        char *b = realloc(r->buf, cap);
        if (!b)
            return -1;
        r->buf = b;
        r->cap = cap;
    }
    r->buf[r->len++] = c;
    return 0;
}

static int start_cell(csv_reader *r)
{
    if (r->n_cells == r->cap_cells) {
        size_t cap = r->cap_cells ? r->cap_cells * 2 : 32;
        if (cap > ROW_MAX_CELLS)
            return -1;
        size_t *s = realloc(r->starts, cap * sizeof *s);
        if (!s)
            return -1;
        r->starts = s;
        char **p = realloc(r->cells, cap * sizeof *p);
        if (!p)
            return -1;
        r->cells = p;
        r->cap_cells = cap;
    }
    r->starts[r->n_cells++] = r->len;
    return 0;
}

/* Whether s[0..n) is UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). */
static int is_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k;
        unsigned cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

__attribute__((format(printf, 3, 4))) static void mark_bad(csv_row *row, size_t column,
                                                           const char *fmt, ...)
{
    va_list ap;
    if (row->bad)
        return; /* the first fault is the one to name */
    row->bad = 1;
    row->bad_column = column;
    va_start(ap, fmt);
    vsnprintf(row->bad_reason, sizeof row->bad_reason, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 3, 4))) static int stop(json_in_error *err, size_t line,
                                                      const char *fmt, ...)
{
    va_list ap;
    snprintf(err->field, sizeof err->field, "line %zu", line);
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

/* Skips the byte order mark at the very start, if there is one. */
static void skip_bom(csv_reader *r)
{
    static const int bom[3] = {0xef, 0xbb, 0xbf};
    int got[3], n = 0;
    r->started = 1;
    while (n < 3 && (got[n] = get(r)) == bom[n])
        n++;
    if (n == 3)
        return;
    for (int i = got[n] == EOF ? n - 1 : n; i >= 0; i--)
        unget(r, got[i]);
}

/* Ends a line at c ('\n', or '\r' with the '\n' after it). Returns 1 if c ended it. */
static int end_of_line(csv_reader *r, int c)
{
    if (c == '\n')
        return 1;
    if (c != '\r')
        return 0;
    int next = get(r);
    if (next != '\n')
        unget(r, next);
    return 1;
}

/* Whether every cell of the row just read is empty: a row Excel leaves as ",,,,". */
static int all_empty(const csv_reader *r)
{
    for (size_t i = 0; i < r->n_cells; i++)
        if (r->starts[i] + 1 < (i + 1 < r->n_cells ? r->starts[i + 1] : r->len))
            return 0;
    return 1;
}

static int read_row(csv_reader *r, csv_row *row, json_in_error *err);

int csv_reader_next(csv_reader *r, csv_row *row, json_in_error *err)
{
    int got;
    /* An all-empty row is no row, like an empty line (a bad row is never empty). */
    while ((got = read_row(r, row, err)) == 1 && !row->bad && all_empty(r))
        ;
    return got;
}

static int read_row(csv_reader *r, csv_row *row, json_in_error *err)
{
    int c;

    if (!r->started)
        skip_bom(r);
    memset(row, 0, sizeof *row);
    do { /* an empty line is no row */
        row->line = r->line;
        r->raw_len = 0;
        r->raw_lost = 0;
        c = get(r);
        if (c == EOF)
            return ferror(r->in) ? stop(err, r->line, "cannot read: %s", strerror(errno)) : 0;
    } while (end_of_line(r, c));
    unget(r, c);

    r->len = 0;
    r->n_cells = 0;
    for (int more = 1; more;) {
        size_t column = r->n_cells + 1, cell_line = r->line;
        if (start_cell(r) != 0)
            return stop(err, row->line, "more than %d columns", ROW_MAX_CELLS);
        c = get(r);
        if (c == '"') {
            for (;;) {
                c = get(r);
                if (c == EOF)
                    return stop(err, cell_line,
                                 "column %zu: the quoted field that starts here is not closed",
                                 column);
                if (c == '"' && (c = get(r)) != '"') {
                    unget(r, c);
                    break;
                }
                if (c == '\r') { /* a line break in a cell is "\n", whatever the file's */
                    int next = get(r);
                    if (next == '\n')
                        c = next;
                    else
                        unget(r, next);
                }
                if (c == '\0')
                    mark_bad(row, column, "a NUL byte");
                if (put(r, (char)c) != 0)
                    return stop(err, row->line, "a row larger than %u bytes", ROW_MAX_BYTES);
            }
            c = get(r);
            if (c != ',' && c != EOF && c != '\n' && c != '\r')
                mark_bad(row, column, "text after the closing quote");
        }
        /* Unquoted text, or what follows a closing quote in a bad row: up to a comma. */
        for (; c != ',' && c != EOF && !end_of_line(r, c); c = get(r)) {
            if (c == '"')
                mark_bad(row, column,
                         "a quote inside an unquoted field (quote the whole field, and write a "
                         "quote in it as \"\")");
            else if (c == '\0')
                mark_bad(row, column, "a NUL byte");
            if (put(r, (char)c) != 0)
                return stop(err, row->line, "a row larger than %u bytes", ROW_MAX_BYTES);
        }
        more = c == ',';
        size_t start = r->starts[r->n_cells - 1];
        /* An empty cell is UTF-8; and before the first byte of a reader buf is NULL, where
         * even buf + 0 is undefined behaviour (fuzz_csv found it: a file starting ","). */
        if (r->len > start && !is_utf8((const unsigned char *)r->buf + start, r->len - start))
            mark_bad(row, column, "not UTF-8 text");
        if (put(r, '\0') != 0)
            return stop(err, row->line, "a row larger than %u bytes", ROW_MAX_BYTES);
    }
    if (ferror(r->in))
        return stop(err, r->line, "cannot read: %s", strerror(errno));
    for (size_t i = 0; i < r->n_cells; i++)
        r->cells[i] = r->buf + r->starts[i];
    row->cells = r->cells;
    row->n = r->n_cells;
    return 1;
}

/* --- The columns --------------------------------------------------------------------------- */

typedef enum leaf {
    LEAF_VALUE,   /* the text read as the field's type */
    LEAF_DATE,    /* a credit.v1.Date, in a clerk's form (clerk_date) */
    LEAF_TIME,    /* a google.protobuf.Timestamp, in a clerk's form (clerk_timestamp) */
    LEAF_AMOUNT,  /* an int64 field named *_fen: money, in the file's unit (clerk_amount) */
    LEAF_EXTRA,   /* an ExtraValue, its member from the text or the header */
    LEAF_IGNORED, /* no header (a cell must be empty), or a column the rejects file added */
} leaf;

/* The members of credit.v1.ExtraValue, for "extra.CODE:member" and for inference. */
static const char *const extra_members[] = {"text", "integer", "decimal", "flag", "date"};
enum { EXTRA_INFER = -1, EXTRA_TEXT, EXTRA_INTEGER, EXTRA_DECIMAL, EXTRA_FLAG, EXTRA_DATE };

struct column {
    char *header;  /* as written */
    char *path;    /* the proto path: "penalty.decision_date", "extra.code" */
    char **keys;   /* the JSON member names from the message to the value */
    size_t n_keys;
    leaf kind;
    const ProtobufCFieldDescriptor *field; /* LEAF_VALUE: the value's field */
    int member;                            /* LEAF_EXTRA: EXTRA_* */
    int any_text;                          /* LEAF_IGNORED: a value is allowed */
    clerk_unit unit;                       /* LEAF_AMOUNT */
    int by_path;                           /* the header is the field path itself */
};

struct csv_columns {
    const ProtobufCMessageDescriptor *d;
    struct column *cols;
    size_t n;
    csv_dialect dialect;
};

/* Frees what a column holds and zeroes it. */
static void column_reset(struct column *col)
{
    free(col->header);
    free(col->path);
    for (size_t k = 0; k < col->n_keys; k++)
        free(col->keys[k]);
    free(col->keys);
    memset(col, 0, sizeof *col);
}

void csv_columns_destroy(csv_columns *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        column_reset(&c->cols[i]);
    free(c->cols);
    free(c);
}

/* Fills err: field, and a reason of `where` (if any), a colon and the formatted text. */
static int vfail(json_in_error *err, const char *field, const char *where, const char *fmt,
                 va_list ap)
{
    char what[400];
    vsnprintf(what, sizeof what, fmt, ap);
    snprintf(err->field, sizeof err->field, "%s", field);
    if (*where) /* "column 3 (处罚决定日期): ...", in the reader's language */
        snprintf(err->reason, sizeof err->reason, _("%.160s: %.340s"), where, what);
    else
        snprintf(err->reason, sizeof err->reason, "%.340s", what);
    return -1;
}

/* Fails for header `header` of column i (0-based): the field at fault is the header itself. */
__attribute__((format(printf, 4, 5))) static int column_fail(json_in_error *err, size_t i,
                                                             const char *header, const char *fmt,
                                                             ...)
{
    char where[300];
    va_list ap;
    snprintf(where, sizeof where, "column %zu (%.200s)", i + 1, header);
    va_start(ap, fmt);
    vfail(err, header, where, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_named(const ProtobufCMessageDescriptor *d, const char *name)
{
    return d && d->name && strcmp(d->name, name) == 0;
}

/* Appends a JSON member name to the column's chain (and to its path). */
static int add_key(struct column *col, const char *key)
{
    char **keys = realloc(col->keys, (col->n_keys + 1) * sizeof *keys);
    if (!keys)
        return -1;
    col->keys = keys;
    if (!(keys[col->n_keys] = strdup(key)))
        return -1;
    col->n_keys++;
    size_t had = col->path ? strlen(col->path) : 0;
    char *path = realloc(col->path, had + strlen(key) + 2);
    if (!path)
        return -1;
    if (had)
        path[had++] = '.';
    memcpy(path + had, key, strlen(key) + 1);
    col->path = path;
    return 0;
}

/* Resolves header `h` (column i) against d into col. */
static int resolve(const ProtobufCMessageDescriptor *d, const char *h, size_t i, struct column *col,
                   json_in_error *err)
{
    char name[256];
    const char *p = h;

    if (!*h)
        return column_fail(err, i, h, "an empty header");
    if (!(col->header = strdup(h)))
        return column_fail(err, i, h, "out of memory");
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || n >= sizeof name)
            return column_fail(err, i, h, "not a field path (names joined by dots)");
        memcpy(name, p, n);
        name[n] = '\0';
        const ProtobufCFieldDescriptor *f = json_find_field(d, name), *kf, *vf;
        if (!f)
            return column_fail(err, i, h, "no field '%s' in %s", name, d->name);
        if (add_key(col, f->name) != 0)
            return column_fail(err, i, h, "out of memory");
        if (json_map_field(d, f, &kf, &vf)) {
            /* The rest of the header is the key, with an optional ":member". */
            if (!dot || !dot[1])
                return column_fail(err, i, h, "'%s' is a map: name the key (%s.KEY)", f->name,
                                   f->name);
            char key[256];
            snprintf(key, sizeof key, "%s", dot + 1);
            char *colon = strrchr(key, ':');
            col->member = EXTRA_INFER;
            if (colon) {
                *colon = '\0';
                col->member = -2;
                for (int m = 0; m < 5; m++)
                    if (strcmp(colon + 1, extra_members[m]) == 0)
                        col->member = m;
            }
            if (kf->type != PROTOBUF_C_TYPE_STRING)
                return column_fail(err, i, h, "only maps with text keys are read from CSV");
            if (!*key)
                return column_fail(err, i, h, "an empty map key");
            if (is_named(vf->type == PROTOBUF_C_TYPE_MESSAGE ? vf->descriptor : NULL,
                         "credit.v1.ExtraValue")) {
                if (col->member == -2)
                    return column_fail(err, i, h,
                                       "'%s' is no member of ExtraValue (text, integer, decimal, "
                                       "flag, date)",
                                       colon + 1);
                col->kind = LEAF_EXTRA;
            } else if (vf->type != PROTOBUF_C_TYPE_MESSAGE && !colon) {
                col->kind = LEAF_VALUE;
                col->field = vf;
            } else {
                return column_fail(err, i, h, "a map of %s values is not read from CSV",
                                   vf->type == PROTOBUF_C_TYPE_MESSAGE
                                       ? ((const ProtobufCMessageDescriptor *)vf->descriptor)->name
                                       : "these");
            }
            return add_key(col, key) == 0 ? 0 : column_fail(err, i, h, "out of memory");
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            return column_fail(err, i, h, "'%s' is a repeated field, which CSV does not hold",
                               f->name);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessageDescriptor *sd = f->descriptor;
            if (!dot && is_named(sd, "credit.v1.Date")) {
                col->kind = LEAF_DATE;
                return 0;
            }
            if (!dot && is_named(sd, "google.protobuf.Timestamp")) {
                col->kind = LEAF_TIME;
                col->field = f;
                return 0;
            }
            if (!dot)
                return column_fail(err, i, h, "'%s' is a message (%s): name one of its fields",
                                   f->name, sd->name);
            d = sd;
            p = dot + 1;
            continue;
        }
        if (dot)
            return column_fail(err, i, h, "'%s' is a %s and has no fields", f->name,
                               f->type == PROTOBUF_C_TYPE_ENUM ? "enum" : "scalar");
        col->kind = LEAF_VALUE;
        col->field = f;
        size_t len = strlen(f->name);
        if (f->type == PROTOBUF_C_TYPE_INT64 && len > 4 && strcmp(f->name + len - 4, "_fen") == 0)
            col->kind = LEAF_AMOUNT;
        return 0;
    }
}

/* Whether path a is b, or lies inside b ("a.b.c" inside "a.b"). */
static int within(const char *a, const char *b)
{
    size_t n = strlen(b);
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '.');
}

/* The header's text without the spaces around it (ASCII blanks, U+3000 ideographic space and
 * U+00A0, which Chinese keyboards and Excel leave), in buf. */
static const char *trimmed(const char *h, char *buf, size_t size)
{
    const char *end = h + strlen(h);
    for (;;) {
        if (*h == ' ' || *h == '\t')
            h++;
        else if (strncmp(h, "\xe3\x80\x80", 3) == 0)
            h += 3;
        else if (strncmp(h, "\xc2\xa0", 2) == 0)
            h += 2;
        else
            break;
    }
    for (;;) {
        if (end > h && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        else if (end - h >= 3 && strncmp(end - 3, "\xe3\x80\x80", 3) == 0)
            end -= 3;
        else if (end - h >= 2 && strncmp(end - 2, "\xc2\xa0", 2) == 0)
            end -= 2;
        else
            break;
    }
    snprintf(buf, size, "%.*s", (int)(end - h), h);
    return buf;
}

/* Resolves column i, named h (trimmed): a field path, else a name the dialect knows. */
static int resolve_named(const csv_columns *c, const char *h, size_t i, struct column *col,
                         const char *within, int *ambiguous, json_in_error *err)
{
    if (strcmp(h, CSV_REJECT_REASON) == 0 || strcmp(h, CSV_REJECT_COLUMN) == 0) {
        col->kind = LEAF_IGNORED;
        col->any_text = 1;
        return (col->header = strdup(h)) && (col->path = strdup(h))
                   ? 0
                   : column_fail(err, i, h, "out of memory");
    }
    if (!*h) {
        col->kind = LEAF_IGNORED;
        return (col->header = strdup("")) && (col->path = strdup(""))
                   ? 0
                   : column_fail(err, i, h, "out of memory");
    }
    json_in_error first;
    if (resolve(c->d, h, i, col, &first) == 0) {
        col->by_path = 1;
        if (col->kind == LEAF_AMOUNT) /* the name says fen */
            col->unit = c->dialect.amount_unit == CLERK_UNIT_YUAN ? CLERK_UNIT_UNSET
                                                                   : CLERK_UNIT_FEN;
        if (col->kind == LEAF_AMOUNT && col->unit == CLERK_UNIT_UNSET)
            return column_fail(err, i, h,
                               "the column is named in fen, but --amount-unit says yuan: name it "
                               "by the dimension's name (or --map it), or give --amount-unit fen");
        return 0;
    }
    char why[300] = "";
    const char *path = c->dialect.field_of ? c->dialect.field_of(c->dialect.ctx, h, within,
                                                                 why, sizeof why)
                                           : NULL;
    if (!path) {
        if (*why) {
            *ambiguous = 1;
            column_reset(col);
            return column_fail(err, i, h, "%s", why);
        }
        *err = first;
        if (c->dialect.field_of) /* say where else the name was looked for */
            snprintf(err->reason + strlen(err->reason), sizeof err->reason - strlen(err->reason),
                     ", nor a dimension name of the catalogue in force%s",
                     c->dialect.has_map ? " or a name in the --map file" : "");
        return -1;
    }
    /* A name: resolved as its field, reported under the name the clerk wrote. */
    column_reset(col);
    if (resolve(c->d, path, i, col, err) != 0)
        return column_fail(err, i, h, "names the field %s, which cannot be read from CSV", path);
    free(col->header);
    if (!(col->header = strdup(h)))
        return column_fail(err, i, h, "out of memory");
    if (col->kind == LEAF_AMOUNT) {
        col->unit = c->dialect.amount_unit;
        if (col->unit == CLERK_UNIT_UNSET)
            return column_fail(err, i, h,
                               "an amount of money (%s): say the file's unit with --amount-unit "
                               "yuan or --amount-unit fen",
                               col->path);
    }
    return 0;
}

int csv_columns_create_with(const ProtobufCMessageDescriptor *d, const csv_row *header,
                            const csv_dialect *dialect, csv_columns **out, json_in_error *err)
{
    char name[1024];
    csv_columns *c = calloc(1, sizeof *c);
    if (!c || !(c->cols = calloc(header->n ? header->n : 1, sizeof *c->cols))) {
        free(c);
        return stop(err, header->line, "out of memory");
    }
    c->d = d;
    if (dialect)
        c->dialect = *dialect;
    if (header->bad) {
        column_fail(err, header->bad_column - 1, header->bad_column <= header->n
                                                     ? header->cells[header->bad_column - 1]
                                                     : "",
                    "%s", header->bad_reason);
        goto fail;
    }
    /* First every header alone; a name several sections use waits for the message the
     * other columns fill ("penalty" when they are penalty.*), then is read within it. */
    int pending = 0;
    c->n = header->n;
    for (size_t i = 0; i < header->n; i++) {
        int ambiguous = 0;
        if (resolve_named(c, trimmed(header->cells[i], name, sizeof name), i, &c->cols[i], NULL,
                          &ambiguous, err) != 0) {
            if (!ambiguous)
                goto fail;
            c->cols[i].kind = LEAF_IGNORED;
            c->cols[i].any_text = -1; /* pending */
            pending = 1;
        }
    }
    if (pending) {
        char owner[128] = "";
        size_t best = 0;
        for (size_t i = 0; i < c->n; i++) {
            const char *p = c->cols[i].path, *dot = p ? strchr(p, '.') : NULL;
            if (!dot || (size_t)(dot - p) >= sizeof owner || strncmp(p, "subject.", 8) == 0 ||
                strncmp(p, "extra.", 6) == 0)
                continue;
            size_t count = 0;
            for (size_t j = 0; j < c->n; j++)
                count += c->cols[j].path && strncmp(c->cols[j].path, p, (size_t)(dot - p) + 1) == 0;
            if (count > best) {
                best = count;
                snprintf(owner, sizeof owner, "%.*s", (int)(dot - p), p);
            }
        }
        for (size_t i = 0; i < c->n; i++) {
            int ambiguous = 0;
            if (c->cols[i].any_text != -1)
                continue;
            c->cols[i].any_text = 0;
            if (resolve_named(c, trimmed(header->cells[i], name, sizeof name), i, &c->cols[i],
                              *owner ? owner : NULL, &ambiguous, err) != 0)
                goto fail;
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        struct column *col = &c->cols[i];
        for (size_t j = 0; j < i && col->kind != LEAF_IGNORED; j++) {
            const struct column *o = &c->cols[j];
            if (o->kind == LEAF_IGNORED)
                continue;
            if (strcmp(o->path, col->path) == 0) {
                column_fail(err, i, col->header, "the same field as column %zu (%s)", j + 1,
                            o->header);
                goto fail;
            }
            if (within(col->path, o->path) || within(o->path, col->path)) {
                column_fail(err, i, col->header, "overlaps column %zu (%s): give a value once",
                            j + 1, o->header);
                goto fail;
            }
        }
    }
    *out = c;
    return 0;
fail:
    csv_columns_destroy(c);
    return -1;
}

int csv_columns_create(const ProtobufCMessageDescriptor *d, const csv_row *header,
                       csv_columns **out, json_in_error *err)
{
    return csv_columns_create_with(d, header, NULL, out, err);
}

/* --- Rows ---------------------------------------------------------------------------------- */

/* The object at the end of keys[0..n) under root, made as needed. NULL when out of memory. */
static json_object *object_at(json_object *root, char *const *keys, size_t n)
{
    json_object *o = root;
    for (size_t k = 0; k < n; k++) {
        json_object *next;
        if (!json_object_object_get_ex(o, keys[k], &next)) {
            if (!(next = json_object_new_object()) ||
                json_object_object_add(o, keys[k], next) != 0) {
                json_object_put(next);
                return NULL;
            }
        }
        o = next;
    }
    return o;
}

static json_object *date_object(int y, int m, int d)
{
    json_object *o = json_object_new_object();
    if (o) {
        json_object_object_add(o, "year", json_object_new_int(y));
        json_object_object_add(o, "month", json_object_new_int(m));
        json_object_object_add(o, "day", json_object_new_int(d));
    }
    return o;
}

static int is_integer_text(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int is_decimal_text(const char *s)
{
    char *end;
    errno = 0;
    strtod(s, &end);
    /* Plain decimal notation only: strtod would also take "inf", "nan" and hex floats. */
    return *s && !*end && !errno && strspn(s, "+-0123456789.eE") == strlen(s);
}

static int flag_of(const char *s)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "TRUE") == 0 || strcmp(s, "True") == 0)
        return 1;
    if (strcmp(s, "false") == 0 || strcmp(s, "FALSE") == 0 || strcmp(s, "False") == 0)
        return 0;
    return -1;
}

/* The JSON value of one cell, or NULL with why[] filled. */
/* The allowed values of an enum column, for its error: each name (not the zero value), with
 * the labels the dialect knows ("MINOR (轻微), GENERAL (一般), ..."). */
static void enum_allowed(const csv_columns *c, const struct column *col, char *buf, size_t size)
{
    const ProtobufCEnumDescriptor *e = col->field->descriptor;
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < e->n_values && used < size; i++) {
        if (e->values[i].value == 0)
            continue;
        char labels[160] = "";
        if (c->dialect.enum_labels)
            c->dialect.enum_labels(c->dialect.ctx, col->path, e->values[i].name, labels,
                                   sizeof labels);
        int n = snprintf(buf + used, size - used, "%s%s%s%s%s", used ? ", " : "",
                         e->values[i].name, *labels ? " (" : "", labels, *labels ? ")" : "");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* A Timestamp as RFC 3339 in UTC, for json_in. */
static json_object *time_text(int64_t seconds, int32_t nanos)
{
    char buf[64];
    struct tm tm;
    time_t t = (time_t)seconds;
    if (!gmtime_r(&t, &tm))
        return NULL;
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (nanos)
        snprintf(buf + n, sizeof buf - n, ".%09dZ", (int)nanos);
    else
        snprintf(buf + n, sizeof buf - n, "Z");
    return json_object_new_string(buf);
}

/* The clerk module's reasons never quote the text, and start with their verb; a cell here is
 * checked UTF-8, so the reason is put after it: "2024年2月30日" is an impossible date: ....
 * Returns NULL. */
static json_object *quoted(const char *text, char *why, size_t size)
{
    char said[300];
    snprintf(said, sizeof said, "%s", why);
    snprintf(why, size, "\"%.64s\" %.180s", text, said);
    return NULL;
}

static json_object *cell_value(const csv_columns *c, const struct column *col, const char *text,
                               char *why, size_t size)
{
    int y, m, d, flag;

    switch (col->kind) {
    case LEAF_IGNORED:
        return NULL; /* never asked: csv_row_message skips these columns */
    case LEAF_DATE:
        if (clerk_date(text, &y, &m, &d, why, size) != 0)
            return quoted(text, why, size);
        return date_object(y, m, d);
    case LEAF_TIME: {
        int64_t sec;
        int32_t ns;
        if (clerk_timestamp(text, &sec, &ns, why, size) != 0)
            return quoted(text, why, size);
        json_object *o = time_text(sec, ns);
        if (!o)
            snprintf(why, size, _("a time out of range"));
        return o;
    }
    case LEAF_AMOUNT: {
        int64_t fen;
        char num[32];
        if (clerk_amount(text, col->unit, &fen, why, size) != 0)
            return quoted(text, why, size);
        snprintf(num, sizeof num, "%lld", (long long)fen);
        return json_object_new_string(num);
    }
    case LEAF_EXTRA: {
        int member = col->member;
        if (member == EXTRA_INFER)
            member = json_parse_date(text, &y, &m, &d) == 0 ? EXTRA_DATE
                     : is_integer_text(text)                 ? EXTRA_INTEGER
                     : is_decimal_text(text)                 ? EXTRA_DECIMAL
                     : flag_of(text) >= 0                    ? EXTRA_FLAG
                                                             : EXTRA_TEXT;
        json_object *v = NULL;
        switch (member) {
        case EXTRA_DATE:
            if (json_parse_date(text, &y, &m, &d) != 0) {
                snprintf(why, size, _("\"%.64s\" is not a date (YYYY-MM-DD)"), text);
                return NULL;
            }
            v = date_object(y, m, d);
            break;
        case EXTRA_FLAG:
            if ((flag = flag_of(text)) < 0) {
                snprintf(why, size, _("\"%.64s\" is neither true nor false"), text);
                return NULL;
            }
            v = json_object_new_boolean(flag);
            break;
        default: /* text, and numbers as decimal strings: json_in checks them */
            v = json_object_new_string(text);
        }
        json_object *o = json_object_new_object();
        if (!o || !v || json_object_object_add(o, extra_members[member], v) != 0) {
            json_object_put(o);
            json_object_put(v);
            snprintf(why, size, "out of memory");
            return NULL;
        }
        return o;
    }
    case LEAF_VALUE:
        break;
    }
    switch (col->field->type) {
    case PROTOBUF_C_TYPE_BOOL:
        if ((flag = flag_of(text)) < 0) {
            snprintf(why, size, _("\"%.64s\" is neither true nor false"), text);
            return NULL;
        }
        return json_object_new_boolean(flag);
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = col->field->descriptor;
        if (is_integer_text(text)) { /* by number: one of the enum's */
            errno = 0;
            long long v = strtoll(text, NULL, 10);
            if (!errno && v >= INT32_MIN && v <= INT32_MAX &&
                protobuf_c_enum_descriptor_get_value(e, (int)v))
                return json_object_new_int64(v);
        } else if (protobuf_c_enum_descriptor_get_value_by_name(e, text)) {
            return json_object_new_string(text);
        } else if (c->dialect.enum_of) { /* by a label of the catalogue in force */
            const char *name = c->dialect.enum_of(c->dialect.ctx, col->path, e, text);
            if (name)
                return json_object_new_string(name);
        }
        char allowed[600];
        enum_allowed(c, col, allowed, sizeof allowed);
        snprintf(why, size, _("\"%.64s\" is not a value of %s; allowed: %s"), text, e->name,
                 allowed);
        return NULL;
    }
    default: /* strings, bytes, numbers as decimal text, a Timestamp as RFC 3339 */
        return json_object_new_string(text);
    }
}

/* The column an error of json_in at `field` is about: the one whose path is the longest that
 * holds it, else the first inside it (an error about a whole oneof member). */
static const struct column *column_of(const csv_columns *c, const char *field)
{
    const struct column *best = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (within(field, c->cols[i].path) &&
            (!best || strlen(c->cols[i].path) > strlen(best->path)))
            best = &c->cols[i];
    for (size_t i = 0; i < c->n && !best && *field; i++)
        if (within(c->cols[i].path, field))
            best = &c->cols[i];
    return best;
}

const char *csv_columns_header(const csv_columns *c, const char *field)
{
    const struct column *col = field && *field ? column_of(c, field) : NULL;
    return col ? col->header : NULL;
}

__attribute__((format(printf, 4, 5))) static int row_fail(json_in_error *err, const char *field,
                                                          const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(err, field, where, fmt, ap);
    va_end(ap);
    return -1;
}

int csv_row_message(const csv_columns *c, const csv_row *row, ProtobufCMessage **out,
                    json_in_error *err)
{
    char where[320], why[256];

    if (row->bad) {
        const struct column *col = row->bad_column <= c->n ? &c->cols[row->bad_column - 1] : NULL;
        snprintf(where, sizeof where, "column %zu%s%s%s", row->bad_column, col ? " (" : "",
                 col ? col->header : "", col ? ")" : "");
        return row_fail(err, col ? col->path : "", where, "%s", row->bad_reason);
    }
    /* Cells past the header's are allowed only empty (Excel leaves them on some rows). */
    size_t n = row->n, need = 0;
    while (n > c->n && !*row->cells[n - 1])
        n--;
    for (size_t i = 0; i < c->n; i++) /* a row may stop short of columns without a field */
        if (c->cols[i].kind != LEAF_IGNORED)
            need = i + 1;
    if (n > c->n || n < need)
        return row_fail(err, "", "", _("%zu fields where the header has %zu"), row->n, c->n);
    json_object *root = json_object_new_object();
    if (!root)
        return row_fail(err, "", "", "out of memory");
    int rc = 0;
    for (size_t i = 0; i < c->n && i < row->n && rc == 0; i++) {
        const struct column *col = &c->cols[i];
        if (!*row->cells[i] || (col->kind == LEAF_IGNORED && col->any_text))
            continue; /* an empty cell: the field is not set */
        if (col->kind == LEAF_IGNORED) {
            rc = row_fail(err, "", "", _("column %zu has no header, but a value"), i + 1);
            break;
        }
        snprintf(where, sizeof where, _("column %zu (%s)"), i + 1, col->header);
        json_object *parent = object_at(root, col->keys, col->n_keys - 1);
        json_object *v = parent ? cell_value(c, col, row->cells[i], why, sizeof why) : NULL;
        if (!parent)
            rc = row_fail(err, col->path, where, "out of memory");
        else if (!v)
            rc = row_fail(err, col->path, where, "%s", why);
        else if (json_object_object_add(parent, col->keys[col->n_keys - 1], v) != 0) {
            json_object_put(v);
            rc = row_fail(err, col->path, where, "out of memory");
        }
    }
    if (rc == 0 && json_read_tree(c->d, root, out, err) != 0) {
        /* json_in names the field by its path; say which column that is. */
        const struct column *col = column_of(c, err->field);
        if (col) {
            char said[sizeof err->reason];
            memcpy(said, err->reason, sizeof said);
            snprintf(err->reason, sizeof err->reason, _("column %zu (%.64s): %.400s"),
                     (size_t)(col - c->cols) + 1, col->header, said);
        }
        rc = -1;
    }
    json_object_put(root);
    return rc;
}
