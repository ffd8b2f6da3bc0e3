/*
 * textproto.c — protobuf text format → protobuf-c message (see textproto.h).
 *
 * A hand-written lexer and a recursive-descent parser with one token of lookahead: every parse
 * function starts with p->tok on the first token of what it reads and leaves it on the first
 * token after. The lexer tracks line and column (in code points) as it goes, so an error is
 * placed where the token starts; the parser keeps a stack of the fields it is inside, so an
 * error also names its field path. What the lexer cannot read becomes an error token that the
 * parser reports when it reaches it, so the path is that of whatever expected something there.
 * The first error stops everything.
 *
 * Memory invariant: the message under construction can be freed at any moment with
 * protobuf_c_message_free_unpacked(root, NULL). A sub-message is linked into its parent (and a
 * oneof's case set) the moment it is allocated, before its body is read; an array's count only
 * covers elements already written; a string or byte buffer is linked only once complete, and
 * until then its reader frees it on failure. free_unpacked frees every string pointer except
 * the field's default_value — for a proto3 string that is protobuf_c_empty_string, which
 * message_init leaves in the field — so a string we store is always our own fresh malloc'd copy
 * (even when empty), never a pointer to text we do not own. A non-repeated field given twice is
 * an error, so nothing already owned is ever overwritten. On failure the one exit frees root.
 *
 * Numbers are parsed here, not with strtol: the grammar (decimal, 0x hex, 0 octal, a separate
 * `-` token) is the spec's, and range checks are per field type. Floats go through strtod_l
 * with the "C" locale, so a process locale with a decimal comma cannot change the result.
 */
#include "textproto.h"

#include "pbreflect.h"

#include "utf8.h"

#include <assert.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Messages nest at most this deep below the top one. */
#define MAX_NESTING 64
/* Longer identifiers cannot be field or enum value names, so they are not looked up. */
#define NAME_MAX_LEN 128
/* How much of a token an error message quotes. */
#define QUOTE_MAX 40

typedef enum tok_kind { T_EOF, T_IDENT, T_INT, T_FLOAT, T_STRING, T_PUNCT, T_ERROR } tok_kind;

typedef struct token {
    tok_kind kind;
    size_t start, end; /* bytes [start, end) of the text; a string includes its quotes */
    int line, col;
    int base; /* T_INT: 8, 10 or 16 */
} token;

/* One step of the field path: a field name (in the text or the descriptor, not NUL-terminated)
 * and, for an element of a repeated field, its index (else -1). */
typedef struct frame {
    const char *name;
    size_t len;
    long index;
} frame;

/* One parse; lives on textproto_parse's stack. */
typedef struct parser {
    const char *s;
    size_t len, pos;
    int line, col; /* of s[pos] */
    token tok;     /* the lookahead */
    frame path[MAX_NESTING + 2];
    int depth;            /* frames in path */
    int nesting;          /* messages open below the top one */
    locale_t c_locale;    /* made on first use */
    char lex_reason[256]; /* why the T_ERROR lookahead cannot be read */
    textproto_error *err;
} parser;

/* A growing byte buffer. */
typedef struct buf {
    char *d;
    size_t n, cap;
} buf;

/* A scalar value on its way into a field; the member matching the field's type is set. */
typedef union scalar {
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    float f;
    double d;
    protobuf_c_boolean b;
    char *str;
    ProtobufCBinaryData bytes;
} scalar;

/* --- Errors -------------------------------------------------------------------------------- */

/* Appends s[0..n) to out (capacity size) at *at; sets *cut when it does not fit. */
static void put_bounded(char *out, size_t size, size_t *at, const char *s, size_t n, int *cut)
{
    for (size_t i = 0; i < n; i++) {
        if (*at + 1 >= size) {
            *cut = 1;
            return;
        }
        out[(*at)++] = s[i];
    }
}

static void render_path(const parser *p, char *out, size_t size)
{
    size_t at = 0;
    int cut = 0;

    for (int i = 0; i < p->depth && !cut; i++) {
        const frame *f = &p->path[i];
        char idx[32];

        if (i > 0)
            put_bounded(out, size, &at, ".", 1, &cut);
        put_bounded(out, size, &at, f->name, f->len, &cut);
        if (f->index >= 0) {
            int n = snprintf(idx, sizeof idx, "[%ld]", f->index);
            put_bounded(out, size, &at, idx, (size_t)n, &cut);
        }
    }
    out[at] = '\0';
    if (cut && size >= 4)
        memcpy(out + size - 4, "...", 4);
}

/* Records the error at line:col with the current field path. Returns -1. */
__attribute__((format(printf, 4, 5))) static int fail_at(parser *p, int line, int col,
                                                         const char *fmt, ...)
{
    va_list ap;

    p->err->line = line;
    p->err->column = col;
    render_path(p, p->err->path, sizeof p->err->path);
    if (p->tok.kind == T_ERROR && line == p->tok.line && col == p->tok.col) {
        /* The parser found a token it did not expect; the lexer knows better what is wrong. */
        snprintf(p->err->reason, sizeof p->err->reason, "%s", p->lex_reason);
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(p->err->reason, sizeof p->err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

#define fail(p, ...) fail_at((p), (p)->tok.line, (p)->tok.col, __VA_ARGS__)

static int out_of_memory(parser *p)
{
    return fail(p, "out of memory");
}

/* How many bytes of token t an error message quotes (with "%.*s"). */
static int quote_len(const token *t)
{
    return (int)(t->end - t->start > QUOTE_MAX ? QUOTE_MAX : t->end - t->start);
}

/* What the token is, for "found ..." in error messages. */
static void describe(const parser *p, const token *t, char *out, size_t size)
{
    int n = quote_len(t);

    switch (t->kind) {
    case T_EOF:
        snprintf(out, size, "the end of the text");
        break;
    case T_STRING:
        snprintf(out, size, "a string");
        break;
    case T_IDENT:
        snprintf(out, size, "'%.*s'", n, p->s + t->start);
        break;
    case T_INT:
    case T_FLOAT:
        snprintf(out, size, "the number %.*s", n, p->s + t->start);
        break;
    case T_PUNCT:
        snprintf(out, size, "'%c'", p->s[t->start]);
        break;
    case T_ERROR:
        snprintf(out, size, "text that cannot be read");
        break;
    }
}

/* --- Characters ---------------------------------------------------------------------------- */

static int is_letter(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_dec(int c)
{
    return c >= '0' && c <= '9';
}

static int is_oct(int c)
{
    return c >= '0' && c <= '7';
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Code points (characters, counted by their first bytes) in s[0..n). */
static int count_chars(const char *s, size_t n)
{
    int c = 0;

    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

static int buf_put(buf *b, const void *src, size_t n)
{
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 32;
        char *d;

        while (cap - b->n < n) {
            if (cap > SIZE_MAX / 2)
                return -1;
            cap *= 2;
        }
        d = realloc(b->d, cap);
        if (!d)
            return -1;
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, src, n);
    b->n += n;
    return 0;
}

/* --- Lexer --------------------------------------------------------------------------------- */

/* The byte k ahead of the position, or -1 past the end. */
static int peek(const parser *p, size_t k)
{
    return p->pos + k < p->len ? (unsigned char)p->s[p->pos + k] : -1;
}

static void advance(parser *p, size_t n)
{
    while (n-- > 0 && p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos++];

        if (c == '\n') {
            p->line++;
            p->col = 1;
        } else if ((c & 0xC0) != 0x80) {
            p->col++;
        }
    }
}

/* Makes the lookahead a T_ERROR token that says why it cannot be read. The parser reports it
 * when it looks at that token, so the error carries the path of whatever expected something
 * there: "version: 1 @" is an error at the top level, "version: @" one in field version. */
__attribute__((format(printf, 2, 3))) static void lex_error(parser *p, const char *fmt, ...)
{
    va_list ap;

    p->tok.kind = T_ERROR;
    va_start(ap, fmt);
    vsnprintf(p->lex_reason, sizeof p->lex_reason, fmt, ap);
    va_end(ap);
}

static void lex_number(parser *p)
{
    token *t = &p->tok;
    int is_float = 0, c;

    t->kind = T_INT;
    t->base = 10;
    if (peek(p, 0) == '0' && (peek(p, 1) == 'x' || peek(p, 1) == 'X')) {
        if (hex_value(peek(p, 2)) < 0) {
            lex_error(p, "'0x' must be followed by hexadecimal digits");
            return;
        }
        advance(p, 2);
        while (hex_value(peek(p, 0)) >= 0)
            advance(p, 1);
        t->base = 16;
    } else {
        int leading_zero = peek(p, 0) == '0' && is_dec(peek(p, 1));

        while (is_dec(peek(p, 0)))
            advance(p, 1);
        if (peek(p, 0) == '.') {
            is_float = 1;
            advance(p, 1);
            while (is_dec(peek(p, 0)))
                advance(p, 1);
        }
        c = peek(p, 0);
        if ((c == 'e' || c == 'E') &&
            (is_dec(peek(p, 1)) ||
             ((peek(p, 1) == '+' || peek(p, 1) == '-') && is_dec(peek(p, 2))))) {
            is_float = 1;
            advance(p, is_dec(peek(p, 1)) ? 1 : 2);
            while (is_dec(peek(p, 0)))
                advance(p, 1);
        }
        if (peek(p, 0) == 'f' || peek(p, 0) == 'F') {
            is_float = 1;
            advance(p, 1);
        }
        if (leading_zero && is_float) {
            lex_error(p, "a number with a leading 0 is octal and cannot have a fraction, "
                         "exponent or f suffix");
            return;
        }
        t->end = p->pos;
        for (size_t i = t->start; leading_zero && i < p->pos; i++) {
            if (!is_oct(p->s[i])) {
                lex_error(p, "%.*s is not an octal number (a leading 0 means octal)", quote_len(t),
                          p->s + t->start);
                return;
            }
        }
        if (leading_zero)
            t->base = 8;
        if (is_float)
            t->kind = T_FLOAT;
    }
    t->end = p->pos;
    c = peek(p, 0);
    if (is_letter(c) || is_dec(c) || c == '.')
        lex_error(p, "the number %.*s runs into '%c': put a space or ',' after a number",
                  quote_len(t), p->s + t->start, c);
}

/* Finds the end of a string literal; escapes are checked and decoded by the parser. */
static void lex_string(parser *p)
{
    token *t = &p->tok;
    int q = peek(p, 0);

    advance(p, 1);
    for (;;) {
        int c = peek(p, 0);

        if (c == -1 || c == '\n') {
            lex_error(p, "unterminated string: no closing %c before the end of the %s%s", q,
                      c == -1 ? "text" : "line", c == -1 ? "" : " (write \\n for a line break)");
            return;
        }
        advance(p, 1);
        if (c == q)
            break;
        if (c == '\\' && peek(p, 0) != -1 && peek(p, 0) != '\n')
            advance(p, 1);
    }
    t->kind = T_STRING;
    t->end = p->pos;
}

static void unexpected_character(parser *p)
{
    const unsigned char *at = (const unsigned char *)p->s + p->pos;
    uint32_t cp;
    size_t n = utf8_decode(at, p->len - p->pos, &cp);

    if (n == 0)
        lex_error(p, "unexpected byte 0x%02X (not UTF-8 text)", at[0]);
    else if (cp >= 0x80)
        lex_error(p,
                  "unexpected character '%.*s': outside strings, names, punctuation and "
                  "quotes are ASCII (no full-width ones)",
                  (int)n, (const char *)at);
    else if (cp < 0x20 || cp == 0x7F)
        lex_error(p, "unexpected control character 0x%02X", (unsigned)cp);
    else
        lex_error(p, "unexpected character '%c'", (int)cp);
}

/* Reads the next token into p->tok, skipping whitespace and comments. What cannot be read
 * becomes a T_ERROR token, at which the parser stops: it never calls next() past one. */
static void next(parser *p)
{
    token *t = &p->tok;
    int c;

    assert(t->kind != T_ERROR);
    for (;;) {
        c = peek(p, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            advance(p, 1);
        } else if (c == '#') {
            while (peek(p, 0) != -1 && peek(p, 0) != '\n')
                advance(p, 1);
        } else {
            break;
        }
    }
    t->start = t->end = p->pos;
    t->line = p->line;
    t->col = p->col;
    t->base = 0;
    if (c == -1) {
        t->kind = T_EOF;
    } else if (is_letter(c)) {
        while (is_letter(peek(p, 0)) || is_dec(peek(p, 0)))
            advance(p, 1);
        t->kind = T_IDENT;
        t->end = p->pos;
    } else if (is_dec(c) || (c == '.' && is_dec(peek(p, 1)))) {
        lex_number(p);
    } else if (c == '"' || c == '\'') {
        lex_string(p);
    } else if (c != 0 && strchr("{}<>[]:,;-", c)) {
        advance(p, 1);
        t->kind = T_PUNCT;
        t->end = p->pos;
    } else {
        unexpected_character(p);
    }
}

static int is_punct(const parser *p, char c)
{
    return p->tok.kind == T_PUNCT && p->s[p->tok.start] == c;
}

static int tok_is(const parser *p, const char *word)
{
    size_t n = strlen(word);

    return p->tok.kind == T_IDENT && p->tok.end - p->tok.start == n &&
           memcmp(p->s + p->tok.start, word, n) == 0;
}

/* Copies an identifier token into name[NAME_MAX_LEN + 1]; 0, or -1 if it is too long. */
static int tok_name(const parser *p, const token *t, char *name)
{
    size_t n = t->end - t->start;

    if (n > NAME_MAX_LEN)
        return -1;
    memcpy(name, p->s + t->start, n);
    name[n] = '\0';
    return 0;
}

/* --- Field access -------------------------------------------------------------------------- */

static void *member(ProtobufCMessage *m, unsigned offset)
{
    return pbreflect_member(m, offset);
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
    return pbreflect_elem_size(f->type);
}

/* How the field's type reads in an error message: "uint32", "enum credit.v1.Tier", ... */
static void type_label(const ProtobufCFieldDescriptor *f, char *out, size_t size)
{
    static const char *const names[] = {
        [PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
        [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
        [PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
        [PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
        [PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
        [PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
        [PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_STRING] = "string",
        [PROTOBUF_C_TYPE_BYTES] = "bytes",
    };

    if (f->type == PROTOBUF_C_TYPE_ENUM)
        snprintf(out, size, "enum %s", ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
    else if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        snprintf(out, size, "message %s",
                 ((const ProtobufCMessageDescriptor *)f->descriptor)->name);
    else if ((unsigned)f->type < sizeof names / sizeof names[0] && names[f->type])
        snprintf(out, size, "%s", names[f->type]);
    else
        snprintf(out, size, "type %d", (int)f->type);
}

/* "field 'x' (uint32) takes an integer, not a string" at the current token. */
static int wrong_kind(parser *p, const ProtobufCFieldDescriptor *f, const char *wanted)
{
    char type[160], found[64];

    type_label(f, type, sizeof type);
    describe(p, &p->tok, found, sizeof found);
    return fail(p, "field '%s' (%s) takes %s, not %s", f->name, type, wanted, found);
}

/* The capacity a repeated array of n elements was given by grow(): 0, then powers of two
 * from 4, so that appending is amortised without storing a capacity in the message. */
static size_t capacity_for(size_t n)
{
    size_t c = 4;

    if (n == 0)
        return 0;
    while (c < n)
        c *= 2;
    return c;
}

/* Makes room for one more element of repeated field f and returns where it goes (not yet
 * counted in n_), or NULL when out of memory. */
static void *grow(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    size_t *n = member(m, f->quantifier_offset);
    void **arr = member(m, f->offset);
    size_t size = elem_size(f);

    if (*n == capacity_for(*n)) {
        size_t cap = capacity_for(*n + 1);
        void *a;

        if (cap > SIZE_MAX / size)
            return NULL;
        a = realloc(*arr, cap * size);
        if (!a)
            return NULL;
        *arr = a;
    }
    return (char *)*arr + *n * size;
}

/* Marks non-repeated field f present: its oneof case, or a proto2 has_ flag. */
static void mark_present(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)member(m, f->quantifier_offset) = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
             f->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *)member(m, f->quantifier_offset) = 1;
}

/* Stores v in field f (appending if repeated). On failure the caller still owns v. */
static int store(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const void *v)
{
    void *dst;

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        dst = grow(m, f);
        if (!dst)
            return -1;
        memcpy(dst, v, elem_size(f));
        (*(size_t *)member(m, f->quantifier_offset))++;
    } else {
        memcpy(member(m, f->offset), v, elem_size(f));
        mark_present(m, f);
    }
    return 0;
}

/* --- Scalars ------------------------------------------------------------------------------- */

/* The byte a one-character escape (\n, \t, \", ...) stands for, or -1. */
static int simple_escape(int c)
{
    static const char pairs[] = "a\ab\bf\fn\nr\rt\tv\v??\\\\''\"\"";

    for (size_t i = 0; i + 1 < sizeof pairs; i += 2)
        if (pairs[i] == c)
            return (unsigned char)pairs[i + 1];
    return -1;
}

/* Decodes the escapes of string token t (quotes excluded) onto b. A string field's value may
 * not hold NUL; a bytes field's may. */
static int unescape(parser *p, const token *t, buf *b, int is_string)
{
    const char *s = p->s;
    size_t i = t->start + 1, end = t->end - 1;

    while (i < end) {
        size_t esc = i, run = i;
        char out[8];
        size_t n = 1;
        uint32_t v;
        int c, col;

        if (s[i] != '\\') {
            while (run < end && s[run] != '\\')
                run++;
            if (buf_put(b, s + i, run - i) != 0)
                return out_of_memory(p);
            i = run;
            continue;
        }
        col = t->col + count_chars(s + t->start, esc - t->start);
        c = (unsigned char)s[i + 1];
        i += 2;
        switch (c) {
        case 'x':
        case 'X':
            if (i >= end || hex_value(s[i]) < 0)
                return fail_at(p, t->line, col, "\\x must be followed by hexadecimal digits");
            v = (uint32_t)hex_value(s[i++]);
            if (i < end && hex_value(s[i]) >= 0)
                v = v * 16 + (uint32_t)hex_value(s[i++]);
            out[0] = (char)v;
            break;
        case 'u':
        case 'U': {
            size_t want = c == 'u' ? 4 : 8;

            v = 0;
            for (size_t k = 0; k < want; k++, i++) {
                if (i >= end || hex_value(s[i]) < 0)
                    return fail_at(p, t->line, col,
                                   "\\%c must be followed by %zu hexadecimal digits", c, want);
                v = v * 16 + (uint32_t)hex_value(s[i]);
            }
            if (c == 'u' && v >= 0xD800 && v <= 0xDBFF && i + 6 <= end && s[i] == '\\' &&
                s[i + 1] == 'u') {
                /* A UTF-16 surrogate pair written as two escapes, as C++ protobuf reads it. */
                uint32_t lo = 0;
                int ok = 1;

                for (size_t k = 0; k < 4; k++) {
                    int h = hex_value(s[i + 2 + k]);
                    if (h < 0)
                        ok = 0;
                    else
                        lo = lo * 16 + (uint32_t)h;
                }
                if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (v >= 0xD800 && v <= 0xDFFF)
                return fail_at(p, t->line, col, "\\%c%04X is an unpaired UTF-16 surrogate", c,
                               (unsigned)v);
            if (v > 0x10FFFF)
                return fail_at(p, t->line, col, "\\U%08X is beyond U+10FFFF, the last code point",
                               (unsigned)v);
            n = utf8_encode(v, out);
            break;
        }
        default:
            if (simple_escape(c) >= 0) {
                out[0] = (char)simple_escape(c);
                break;
            }
            if (is_oct(c)) {
                v = (uint32_t)(c - '0');
                for (int k = 0; k < 2 && i < end && is_oct(s[i]); k++)
                    v = v * 8 + (uint32_t)(s[i++] - '0');
                if (v > 0377)
                    return fail_at(p, t->line, col, "octal escape \\%.*s is above \\377 (255)",
                                   (int)(i - esc - 1), s + esc + 1);
                out[0] = (char)v;
                break;
            }
            if (c >= 0x20 && c < 0x7F)
                return fail_at(p, t->line, col, "unknown escape \\%c (write \\\\ for a backslash)",
                               c);
            return fail_at(p, t->line, col, "unknown escape: a backslash before byte 0x%02X", c);
        }
        if (is_string && memchr(out, '\0', n))
            return fail_at(
                p, t->line, col,
                "strings may not contain NUL (from \\%.*s); binary data needs a bytes field",
                (int)(i - esc - 1), s + esc + 1);
        if (buf_put(b, out, n) != 0)
            return out_of_memory(p);
    }
    return 0;
}

/* A string or bytes value: one or more adjacent literals. */
static int read_string(parser *p, const ProtobufCFieldDescriptor *f, scalar *v)
{
    int is_string = f->type == PROTOBUF_C_TYPE_STRING;
    token first = p->tok;
    buf b = {NULL, 0, 0};

    if (first.kind != T_STRING)
        return wrong_kind(p, f, "a string in quotes");
    while (p->tok.kind == T_STRING) {
        token t = p->tok;

        if (unescape(p, &t, &b, is_string) != 0)
            goto fail;
        next(p);
    }
    if (p->tok.kind == T_ERROR && (p->s[p->tok.start] == '"' || p->s[p->tok.start] == '\'')) {
        fail(p, "unterminated string"); /* the lexer's own words replace these */
        goto fail;
    }
    if (is_string) {
        for (size_t i = 0; i < b.n;) {
            uint32_t cp;
            size_t n = utf8_decode((const unsigned char *)b.d + i, b.n - i, &cp);

            if (n == 0) {
                fail_at(p, first.line, first.col,
                        "string is not valid UTF-8 (byte %zu of the value); a string field holds "
                        "text: write characters as they are or as \\u escapes",
                        i + 1);
                goto fail;
            }
            i += n;
        }
    }
    /* Always a fresh allocation, NUL-terminated, even when empty (see the file comment). */
    if (buf_put(&b, "", 1) != 0) {
        out_of_memory(p);
        goto fail;
    }
    if (is_string) {
        v->str = b.d;
    } else {
        v->bytes.len = b.n - 1;
        v->bytes.data = (uint8_t *)b.d;
    }
    return 0;

fail:
    free(b.d);
    return -1;
}

/* The magnitude of integer token t; -1 if it does not fit 64 bits. */
static int int_magnitude(const parser *p, const token *t, uint64_t *out)
{
    size_t i = t->start;
    uint64_t v = 0;

    if (t->base == 16)
        i += 2;
    for (; i < t->end; i++) {
        uint64_t d = (uint64_t)hex_value(p->s[i]);

        if (v > (UINT64_MAX - d) / (uint64_t)t->base)
            return -1;
        v = v * (uint64_t)t->base + d;
    }
    *out = v;
    return 0;
}

static int read_int(parser *p, const ProtobufCFieldDescriptor *f, scalar *v)
{
    token first = p->tok;
    int neg = 0, is_signed = 1, wide = 0;
    uint64_t mag, max_pos, max_neg;
    const char *range;
    char type[160];
    int n;

    if (is_punct(p, '-')) {
        neg = 1;
        next(p);
    }
    if (p->tok.kind != T_INT)
        return wrong_kind(p, f, "an integer");
    switch (f->type) {
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        is_signed = 0, max_pos = UINT32_MAX, max_neg = 0;
        range = "0 to 4294967295";
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        wide = 1, max_pos = INT64_MAX, max_neg = (uint64_t)INT64_MAX + 1;
        range = "-9223372036854775808 to 9223372036854775807";
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        is_signed = 0, wide = 1, max_pos = UINT64_MAX, max_neg = 0;
        range = "0 to 18446744073709551615";
        break;
    default: /* int32, sint32, sfixed32, and enum numbers */
        max_pos = INT32_MAX, max_neg = (uint64_t)INT32_MAX + 1;
        range = "-2147483648 to 2147483647";
        break;
    }
    type_label(f, type, sizeof type);
    n = quote_len(&p->tok);
    if (neg && !is_signed)
        return fail_at(p, first.line, first.col, "field '%s' is %s and cannot be negative", f->name,
                       type);
    if (int_magnitude(p, &p->tok, &mag) != 0 || mag > (neg ? max_neg : max_pos))
        return fail_at(p, first.line, first.col, "%s%.*s is out of range for %s field '%s' (%s)",
                       neg ? "-" : "", n, p->s + p->tok.start, type, f->name, range);
    if (!wide && is_signed)
        v->i32 = neg ? (int32_t) - (int64_t)mag : (int32_t)mag;
    else if (!wide)
        v->u32 = (uint32_t)mag;
    else if (is_signed)
        v->i64 = neg ? (mag == 0 ? 0 : -(int64_t)(mag - 1) - 1) : (int64_t)mag;
    else
        v->u64 = mag;
    next(p);
    return 0;
}

static int read_float(parser *p, const ProtobufCFieldDescriptor *f, scalar *v)
{
    int neg = 0;
    double d;

    if (is_punct(p, '-')) {
        neg = 1;
        next(p);
    }
    if (p->tok.kind == T_IDENT) {
        size_t n = p->tok.end - p->tok.start;
        const char *w = p->s + p->tok.start;

        if ((n == 3 && strncasecmp(w, "inf", 3) == 0) ||
            (n == 8 && strncasecmp(w, "infinity", 8) == 0))
            d = INFINITY;
        else if (n == 3 && strncasecmp(w, "nan", 3) == 0)
            d = NAN;
        else
            return wrong_kind(p, f, "a number (or inf, infinity, nan)");
    } else if (p->tok.kind == T_FLOAT || (p->tok.kind == T_INT && p->tok.base == 10)) {
        size_t n = p->tok.end - p->tok.start;
        char *text, *end;

        if (p->s[p->tok.end - 1] == 'f' || p->s[p->tok.end - 1] == 'F')
            n--;
        if (!p->c_locale) {
            p->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
            if (!p->c_locale)
                return out_of_memory(p);
        }
        text = malloc(n + 1);
        if (!text)
            return out_of_memory(p);
        memcpy(text, p->s + p->tok.start, n);
        text[n] = '\0';
        /* The lexer has checked the form; overflow gives ±HUGE_VAL, which is what the spec
         * asks (infinity), and underflow a denormal or zero. */
        d = strtod_l(text, &end, p->c_locale);
        free(text);
    } else if (p->tok.kind == T_INT) {
        return wrong_kind(p, f, "a decimal number (hex and octal are for integers)");
    } else {
        return wrong_kind(p, f, "a number");
    }
    if (neg)
        d = -d;
    if (f->type == PROTOBUF_C_TYPE_FLOAT) {
        /* Converting an out-of-range double to float is undefined; the spec says infinity. */
        if (d > FLT_MAX)
            v->f = INFINITY;
        else if (d < -FLT_MAX)
            v->f = -INFINITY;
        else
            v->f = (float)d;
    } else {
        v->d = d;
    }
    next(p);
    return 0;
}

static int read_bool(parser *p, const ProtobufCFieldDescriptor *f, scalar *v)
{
    uint64_t mag;

    if (tok_is(p, "true") || tok_is(p, "True") || tok_is(p, "t"))
        v->b = 1;
    else if (tok_is(p, "false") || tok_is(p, "False") || tok_is(p, "f"))
        v->b = 0;
    else if (p->tok.kind == T_INT && int_magnitude(p, &p->tok, &mag) == 0 && mag <= 1)
        v->b = (protobuf_c_boolean)mag;
    else
        return wrong_kind(p, f, "true or false (or True, False, t, f, 1, 0)");
    next(p);
    return 0;
}

static int read_enum(parser *p, const ProtobufCFieldDescriptor *f, scalar *v)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    const ProtobufCEnumValue *ev = NULL;
    token first = p->tok;

    if (first.kind == T_IDENT) {
        char name[NAME_MAX_LEN + 1];

        if (tok_name(p, &first, name) == 0)
            ev = protobuf_c_enum_descriptor_get_value_by_name(ed, name);
        if (!ev)
            return fail(p, "'%.*s' is not a value of enum %s", quote_len(&first),
                        p->s + first.start, ed->name);
        v->i32 = ev->value;
        next(p);
        return 0;
    }
    if (first.kind != T_INT && !is_punct(p, '-'))
        return wrong_kind(p, f, "a value name or number");
    if (read_int(p, f, v) != 0)
        return -1;
    if (!protobuf_c_enum_descriptor_get_value(ed, v->i32))
        return fail_at(p, first.line, first.col, "%d is not a value of enum %s", (int)v->i32,
                       ed->name);
    return 0;
}

/* Reads one scalar value and stores it in f. */
static int read_scalar_into(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    scalar v;
    int rc;

    memset(&v, 0, sizeof v);
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
        rc = read_string(p, f, &v);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        rc = read_bool(p, f, &v);
        break;
    case PROTOBUF_C_TYPE_ENUM:
        rc = read_enum(p, f, &v);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        rc = read_float(p, f, &v);
        break;
    default:
        rc = read_int(p, f, &v);
        break;
    }
    if (rc != 0)
        return -1;
    if (store(m, f, &v) != 0) {
        if (f->type == PROTOBUF_C_TYPE_STRING)
            free(v.str);
        else if (f->type == PROTOBUF_C_TYPE_BYTES)
            free(v.bytes.data);
        return out_of_memory(p);
    }
    return 0;
}

/* --- Messages ------------------------------------------------------------------------------ */

static int read_fields(parser *p, ProtobufCMessage *m, char close, const token *open);

static void push_frame(parser *p, const char *name, size_t len)
{
    assert(p->depth < (int)(sizeof p->path / sizeof p->path[0]));
    p->path[p->depth].name = name;
    p->path[p->depth].len = len;
    p->path[p->depth].index = -1;
    p->depth++;
}

/* Reads a '{...}' or '<...>' block as a new message of f's type, linked into m at once. */
static int read_submessage(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const ProtobufCMessageDescriptor *sd = f->descriptor;
    token open = p->tok;
    ProtobufCMessage *sub;
    int rc;

    if (p->nesting >= MAX_NESTING)
        return fail(p, "messages nest deeper than %d levels", MAX_NESTING);
    sub = malloc(sd->sizeof_message);
    if (!sub)
        return out_of_memory(p);
    protobuf_c_message_init(sd, sub);
    if (store(m, f, &sub) != 0) {
        free(sub);
        return out_of_memory(p);
    }
    p->nesting++;
    next(p);
    rc = read_fields(p, sub, p->s[open.start] == '{' ? '}' : '>', &open);
    p->nesting--;
    if (rc != 0)
        return -1;
    next(p); /* past the closing bracket */
    return 0;
}

/* One value of f: a block for a message field, else a scalar. In a repeated field the path
 * names the element about to be added. */
static int read_value(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        p->path[p->depth - 1].index = (long)*(size_t *)member(m, f->quantifier_offset);
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        if (!is_punct(p, '{') && !is_punct(p, '<'))
            return wrong_kind(p, f, "a block in '{...}' or '<...>'");
        return read_submessage(p, m, f);
    }
    return read_scalar_into(p, m, f);
}

/* '[' value, ... ']' for a repeated field. */
static int read_list(parser *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    token open = p->tok;
    char found[64];

    next(p);
    if (is_punct(p, ']')) {
        next(p);
        return 0;
    }
    for (;;) {
        if (read_value(p, m, f) != 0)
            return -1;
        if (is_punct(p, ',')) {
            next(p);
            continue;
        }
        if (is_punct(p, ']')) {
            next(p);
            return 0;
        }
        p->path[p->depth - 1].index = -1;
        if (p->tok.kind == T_EOF)
            return fail_at(p, open.line, open.col,
                           "unterminated list: the '[' is never closed with ']'");
        describe(p, &p->tok, found, sizeof found);
        return fail(p, "expected ',' or ']' in the list of '%s', found %s", f->name, found);
    }
}

/* One field: its name, an optional or required ':', and its value or list of values. seen[i]
 * is the line where field i was first given (0: not yet). */
static int read_field(parser *p, ProtobufCMessage *m, int *seen)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const ProtobufCFieldDescriptor *f = NULL;
    token name = p->tok;
    char nbuf[NAME_MAX_LEN + 1], found[64];
    int colon = 0, rc;
    size_t i;

    if (tok_name(p, &name, nbuf) == 0)
        f = protobuf_c_message_descriptor_get_field_by_name(d, nbuf);
    if (!f) {
        push_frame(p, p->s + name.start, name.end - name.start);
        return fail(p, "unknown field '%.*s' in message %s", quote_len(&name), p->s + name.start,
                    d->name);
    }
    push_frame(p, f->name, strlen(f->name));
    i = (size_t)(f - d->fields);
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        if (seen[i])
            return fail(p, "field '%s' is given twice (first on line %d); it is not repeated",
                        f->name, seen[i]);
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t now = *(uint32_t *)member(m, f->quantifier_offset);
            const ProtobufCFieldDescriptor *other =
                now ? protobuf_c_message_descriptor_get_field(d, (unsigned)now) : NULL;

            if (other && other != f)
                return fail(p, "fields '%s' and '%s' are members of one oneof; only one may be set",
                            other->name, f->name);
        }
    }
    seen[i] = name.line;

    next(p);
    if (is_punct(p, ':')) {
        colon = 1;
        next(p);
    }
    if (is_punct(p, '[')) {
        if (f->label != PROTOBUF_C_LABEL_REPEATED)
            return fail(p, "field '%s' is not repeated and takes one value, not a list", f->name);
        if (f->type != PROTOBUF_C_TYPE_MESSAGE && !colon)
            return fail(p, "expected ':' between field name '%s' and its list", f->name);
        rc = read_list(p, m, f);
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        rc = read_value(p, m, f);
    } else if (is_punct(p, '{') || is_punct(p, '<')) {
        rc = wrong_kind(p, f, "a value after ':'");
    } else if (!colon) {
        describe(p, &p->tok, found, sizeof found);
        rc = fail(p, "expected ':' after field name '%s', found %s", f->name, found);
    } else {
        rc = read_value(p, m, f);
    }
    if (rc != 0)
        return -1;
    p->depth--;
    return 0;
}

/* The fields of message m up to `close` ('}' or '>'), or to the end of the text when close is
 * 0 (the top message). Leaves p->tok on the closing bracket. */
static int read_fields(parser *p, ProtobufCMessage *m, char close, const token *open)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    int *seen = calloc(d->n_fields ? d->n_fields : 1, sizeof *seen);
    char found[64];
    int rc = -1;

    if (!seen)
        return out_of_memory(p);
    for (;;) {
        if (p->tok.kind == T_EOF) {
            if (close) {
                fail_at(p, open->line, open->col,
                        "unterminated block: the '%c' is never closed with '%c'", p->s[open->start],
                        close);
                goto out;
            }
            break;
        }
        if (is_punct(p, '}') || is_punct(p, '>')) {
            char c = p->s[p->tok.start];

            if (c == close)
                break;
            if (!close)
                fail(p, "unexpected '%c' after the message: no block is open", c);
            else
                fail(p, "expected '%c' to close the '%c' on line %d, column %d, found '%c'", close,
                     p->s[open->start], open->line, open->col, c);
            goto out;
        }
        if (is_punct(p, '[')) {
            fail(p, "extension and Any field names ('[...]') are not supported");
            goto out;
        }
        if (p->tok.kind != T_IDENT) {
            describe(p, &p->tok, found, sizeof found);
            fail(p, "expected a field name%s, found %s", close ? "" : " or the end of the text",
                 found);
            goto out;
        }
        if (read_field(p, m, seen) != 0)
            goto out;
        if (is_punct(p, ',') || is_punct(p, ';'))
            next(p);
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i]) {
            fail(p, "required field '%s' of message %s is missing", d->fields[i].name, d->name);
            goto out;
        }
    }
    rc = 0;
out:
    free(seen);
    return rc;
}

int textproto_parse(const ProtobufCMessageDescriptor *d, const char *text, size_t len,
                    ProtobufCMessage **out, textproto_error *err)
{
    textproto_error scratch;
    ProtobufCMessage *m;
    const char *nul;
    parser p;

    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if (!d || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC || !out || (!text && len)) {
        snprintf(err->reason, sizeof err->reason,
                 "invalid arguments: need a message descriptor, an out pointer and the text");
        return -1;
    }
    memset(&p, 0, sizeof p);
    p.s = text ? text : "";
    p.len = len;
    p.line = 1;
    p.col = 1;
    p.err = err;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        p.pos = 3; /* a byte-order mark, as some Windows editors write */

    nul = len ? memchr(text, '\0', len) : NULL;
    if (nul) {
        advance(&p, (size_t)(nul - text) - p.pos);
        return fail_at(&p, p.line, p.col, "the text contains a NUL byte");
    }

    m = malloc(d->sizeof_message);
    if (!m) {
        fail_at(&p, 1, 1, "out of memory");
        return -1;
    }
    protobuf_c_message_init(d, m);
    next(&p);
    if (read_fields(&p, m, 0, NULL) != 0)
        goto fail_parse;
    if (p.c_locale)
        freelocale(p.c_locale);
    memset(err, 0, sizeof *err);
    *out = m;
    return 0;

fail_parse:
    protobuf_c_message_free_unpacked(m, NULL);
    if (p.c_locale)
        freelocale(p.c_locale);
    return -1;
}
