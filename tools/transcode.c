/*
 * transcode.c — GB18030, GBK and GB2312 files read as UTF-8 (transcode.h).
 *
 * The converted stream is a stdio stream (glibc's fopencookie) whose read function runs iconv
 * over a buffer of the input, so every reader that takes a FILE * (the CSV reader, the JSON
 * Lines reader) reads a GBK file unchanged. The cookie counts the input bytes converted and
 * the line feeds produced, so that a bad byte is reported by line and offset. Bytes converted
 * before a bad one are returned first; the error comes on the next read, so the reader has
 * seen every whole line before the one that fails.
 */
#include "transcode.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IN_BUF 16384

struct transcoder {
    FILE *in;
    FILE *out;
    iconv_t cd; /* (iconv_t)-1 for UTF-8: out is in */
    char name[16];
    char buf[IN_BUF];
    size_t len;         /* unconverted input bytes at the front of buf */
    uint64_t consumed;  /* input bytes converted so far */
    uint64_t lines;     /* line feeds produced so far */
    int eof;
    int failed;
    char err[160];
};

int transcode_encoding(const char *name, char *out, size_t cap)
{
    static const struct {
        const char *alias, *iconv;
    } names[] = {
        {"utf-8", "UTF-8"}, {"utf8", "UTF-8"},   {"gb18030", "GB18030"},
        {"gbk", "GBK"},     {"cp936", "GBK"},    {"gb2312", "GB2312"},
    };
    if (!name)
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].alias) == 0) {
            snprintf(out, cap, "%s", names[i].iconv);
            return 0;
        }
    }
    return -1;
}

static void count_lines(transcoder *t, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        t->lines += p[i] == '\n';
}

static ssize_t cookie_read(void *cookie, char *out, size_t size)
{
    transcoder *t = cookie;
    if (t->failed) {
        errno = EILSEQ;
        return -1;
    }
    for (;;) {
        if (!t->eof && t->len < IN_BUF) {
            size_t got = fread(t->buf + t->len, 1, IN_BUF - t->len, t->in);
            t->len += got;
            if (got == 0) {
                if (ferror(t->in))
                    return -1; /* errno is the read's */
                t->eof = 1;
            }
        }
        if (t->len == 0)
            return 0; /* the end: every encoding read here is stateless */
        char *ip = t->buf, *op = out;
        size_t il = t->len, ol = size;
        size_t r = iconv(t->cd, &ip, &il, &op, &ol);
        int e = errno;
        size_t produced = size - ol, used = t->len - il;
        count_lines(t, out, produced);
        t->consumed += used;
        memmove(t->buf, ip, il);
        t->len = il;
        if (r != (size_t)-1 || e == E2BIG || produced > 0)
            return (ssize_t)produced; /* a pending error waits for the next read */
        if (e == EINVAL && !t->eof)
            continue; /* a character cut by the buffer: read on */
        t->failed = 1;
        snprintf(t->err, sizeof t->err, "line %llu, byte %llu: %s",
                 (unsigned long long)t->lines + 1, (unsigned long long)t->consumed,
                 e == EINVAL ? "the file ends in the middle of a character"
                             : "these bytes are not valid in the file's encoding");
        size_t l = strlen(t->err);
        snprintf(t->err + l, sizeof t->err - l, " (%s)", t->name);
        errno = EILSEQ;
        return -1;
    }
}

static int cookie_close(void *cookie)
{
    (void)cookie; /* the transcoder owns the cookie; transcode_close frees it */
    return 0;
}

transcoder *transcode_open(FILE *in, const char *encoding, char *err, size_t cap)
{
    char name[16];
    if (transcode_encoding(encoding, name, sizeof name) != 0) {
        snprintf(err, cap, "unknown encoding: use utf-8, gb18030, gbk or gb2312");
        return NULL;
    }
    transcoder *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    t->in = in;
    t->cd = (iconv_t)-1;
    snprintf(t->name, sizeof t->name, "%s", name);
    if (strcmp(name, "UTF-8") == 0) {
        t->out = in;
        return t;
    }
    t->cd = iconv_open("UTF-8", name);
    if (t->cd == (iconv_t)-1) {
        snprintf(err, cap, "this system's iconv cannot read %s", name);
        goto fail;
    }
    cookie_io_functions_t io = {.read = cookie_read, .close = cookie_close};
    t->out = fopencookie(t, "r", io);
    if (!t->out) {
        snprintf(err, cap, "out of memory");
        goto fail_cd;
    }
    return t;
fail_cd:
    iconv_close(t->cd);
fail:
    free(t);
    return NULL;
}

FILE *transcode_stream(transcoder *t)
{
    return t->out;
}

const char *transcode_error(const transcoder *t)
{
    return t->err;
}

void transcode_close(transcoder *t)
{
    if (!t)
        return;
    if (t->cd != (iconv_t)-1) {
        fclose(t->out);
        iconv_close(t->cd);
    }
    free(t);
}

static int utf8_len(const unsigned char *s, size_t n);

int transcode_write(FILE *out, const char *encoding, const char *text, size_t len)
{
    char name[16], buf[4096];
    if (transcode_encoding(encoding, name, sizeof name) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (strcmp(name, "UTF-8") == 0)
        return len && fwrite(text, 1, len, out) != len ? -1 : 0;
    iconv_t cd = iconv_open(name, "UTF-8");
    if (cd == (iconv_t)-1)
        return -1;
    char *ip = (char *)text;
    size_t il = len;
    int rc = 0;
    while (il > 0 && rc == 0) {
        char *op = buf;
        size_t ol = sizeof buf;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        int e = errno;
        if (op > buf && fwrite(buf, 1, (size_t)(op - buf), out) != (size_t)(op - buf))
            rc = -1;
        else if (r == (size_t)-1 && e == EILSEQ) {
            /* A character the encoding lacks, or (never from our reader) bad UTF-8: skip
             * the whole character and mark it. */
            int l = utf8_len((const unsigned char *)ip, il);
            size_t skip = l > 0 ? (size_t)l : 1;
            ip += skip;
            il -= skip;
            if (fputc('?', out) == EOF)
                rc = -1;
        } else if (r == (size_t)-1 && e == EINVAL) {
            break; /* a character cut by the end of the text: there is no more */
        }
    }
    iconv_close(cd);
    return rc;
}

/* Length of the UTF-8 sequence at s (n bytes left): >0 valid, 0 cut by the end, -1 invalid. */
static int utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    int len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return -1;
    unsigned cp = c & (0x3f >> (len - 1));
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return 0;
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    return len;
}

int transcode_sniff(const unsigned char *buf, size_t n, size_t *bad_at, char *guess,
                    size_t cap)
{
    size_t i = 0;
    int bad = 0;
    while (i < n) {
        int l = utf8_len(buf + i, n - i);
        if (l == 0)
            break;
        if (l < 0) {
            bad = 1;
            break;
        }
        i += (size_t)l;
    }
    if (!bad)
        return 0;
    *bad_at = i;
    if (cap)
        guess[0] = '\0';
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return 1;
    char out[4096];
    char *ip = (char *)buf;
    size_t il = n;
    int clean = 1;
    while (il > 0) {
        char *op = out;
        size_t ol = sizeof out;
        if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 && errno != E2BIG) {
            clean = errno == EINVAL; /* only a character cut by the end of buf */
            break;
        }
    }
    iconv_close(cd);
    if (clean)
        snprintf(guess, cap, "GB18030");
    return 1;
}
