/*
 * import_state.c — the state file of a resumable import (see import_state.h).
 *
 * The fingerprint is the SHA-256 of the whole input, read in 64 KiB pieces through OpenSSL's
 * EVP digest: a file changed anywhere, even a character fixed without changing its length,
 * is another input (issue 13: a fingerprint of the first 64 KiB took a corrected file for the
 * one already imported, and the corrected row was never sent).
 */
#include "import_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define MAGIC "creditctl-import-state 2"
#define MAGIC_V1 "creditctl-import-state 1"
#define CHUNK 65536

int import_fingerprint(const char *path, uint64_t *size, char hex[65], char *why,
                       size_t why_size)
{
    unsigned char *buf = malloc(CHUNK), md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    FILE *f = fopen(path, "rb");
    uint64_t total = 0;
    int rc = -1;

    if (!buf || !ctx || !f) {
        snprintf(why, why_size, "%s: %s", path, buf && ctx ? strerror(errno) : "out of memory");
        goto out;
    }
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        snprintf(why, why_size, "%s: SHA-256 is not available", path);
        goto out;
    }
    for (;;) {
        size_t n = fread(buf, 1, CHUNK, f);
        if (n > 0 && EVP_DigestUpdate(ctx, buf, n) != 1) {
            snprintf(why, why_size, "%s: SHA-256 failed", path);
            goto out;
        }
        total += n;
        if (n < CHUNK)
            break;
    }
    if (ferror(f)) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len != 32) {
        snprintf(why, why_size, "%s: SHA-256 failed", path);
        goto out;
    }
    for (unsigned i = 0; i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    *size = total;
    rc = 0;
out:
    if (f)
        fclose(f);
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}

int import_state_add_reject(import_state *st, uint64_t line, int local, int code, const char *field,
                            const char *reason, const char *reason_code)
{
    if (st->n_rejects == st->cap_rejects) {
        size_t cap = st->cap_rejects ? st->cap_rejects * 2 : 64;
        import_reject *v = realloc(st->rejects, cap * sizeof *v);
        if (!v)
            return -1;
        st->rejects = v;
        st->cap_rejects = cap;
    }
    import_reject *r = &st->rejects[st->n_rejects];
    r->line = line;
    r->local = local;
    r->code = code;
    r->field = field && *field ? strdup(field) : NULL;
    r->reason = strdup(reason ? reason : "");
    r->reason_code = reason_code && *reason_code ? strdup(reason_code) : NULL;
    if ((field && *field && !r->field) || !r->reason ||
        (reason_code && *reason_code && !r->reason_code)) {
        free(r->field);
        free(r->reason);
        free(r->reason_code);
        return -1;
    }
    st->n_rejects++;
    return 0;
}

void import_state_cleanup(import_state *st)
{
    for (size_t i = 0; i < st->n_rejects; i++) {
        free(st->rejects[i].field);
        free(st->rejects[i].reason);
        free(st->rejects[i].reason_code);
    }
    free(st->rejects);
    st->rejects = NULL;
    st->n_rejects = st->cap_rejects = 0;
}

/* Writes s with '%', bytes up to ' ' and DEL as %XX, so a value is one word on one line. */
static void put_escaped(FILE *f, const char *s)
{
    if (!s || !*s) {
        fputc('-', f);
        return;
    }
    if (strcmp(s, "-") == 0) {
        fputs("%2D", f);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '%' || *p == 0x7f)
            fprintf(f, "%%%02X", *p);
        else
            fputc(*p, f);
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
}

/* Undoes put_escaped in place. Returns 0, or -1 for a bad escape. */
static int unescape(char *s)
{
    char *w = s;
    for (const char *p = s; *p; p++) {
        if (*p != '%') {
            *w++ = *p;
            continue;
        }
        int hi = hexval((unsigned char)p[1]), lo = hi < 0 ? -1 : hexval((unsigned char)p[2]);
        if (lo < 0 || (hi == 0 && lo == 0))
            return -1;
        *w++ = (char)(hi << 4 | lo);
        p += 2;
    }
    *w = '\0';
    return 0;
}

/* The numbers of the state, by name, for reading and writing alike. */
#define NUMBERS(X)                                                                                 \
    X(size) X(rows) X(line) X(created) X(unchanged) X(new_versions) X(accepted) X(rejected)        \
        X(unlisted)

/* Reads "reject LINE LOCAL CODE FIELD REASON [REASON_CODE]" (after the name) into st. */
static int read_reject(import_state *st, char *rest)
{
    char *w[6], *p = rest;
    int n = 0;
    while (n < 6) { /* five or six words, one space apart, nothing after */
        w[n] = p;
        p += strcspn(p, " ");
        if (p == w[n])
            return -1;
        n++;
        if (!*p)
            break;
        *p++ = '\0';
    }
    if (n < 5 || *p)
        return -1;
    const char *reason_code = n == 6 && strcmp(w[5], "-") != 0 ? w[5] : NULL;
    if (reason_code && unescape(w[5]) != 0)
        return -1;
    char *end;
    errno = 0;
    uint64_t line = strtoull(w[0], &end, 10);
    if (errno || *end || (strcmp(w[1], "0") != 0 && strcmp(w[1], "1") != 0))
        return -1;
    long code = strtol(w[2], &end, 10);
    if (*end || code < 0 || code > 16)
        return -1;
    const char *field = w[3];
    if (strcmp(field, "-") == 0)
        field = NULL;
    else if (unescape(w[3]) != 0)
        return -1;
    if (unescape(w[4]) != 0)
        return -1;
    return import_state_add_reject(st, line, w[1][0] == '1', (int)code, field,
                                   strcmp(w[4], "-") == 0 ? "" : w[4], reason_code);
}

int import_state_load(const char *path, import_state *out, char *why, size_t why_size)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    import_state st;
    int lineno = 0, rc = -1;

    if (!f) {
        if (errno == ENOENT)
            return 1;
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    memset(&st, 0, sizeof st);
    ssize_t got;
    while ((got = getline(&line, &cap, f)) != -1) {
        char name[32], text[80];
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (lineno == 1) {
            if (strcmp(line, MAGIC) != 0) {
                snprintf(why, why_size, "%s: %s", path,
                         strcmp(line, MAGIC_V1) == 0
                             ? "written by an earlier creditctl, which kept no rejections"
                             : "not a creditctl import state");
                goto out;
            }
            continue;
        }
        if (strncmp(line, "reject ", 7) == 0) {
            if (read_reject(&st, line + 7) != 0) {
                snprintf(why, why_size, "%s: line %d: a bad rejection", path, lineno);
                goto out;
            }
            continue;
        }
        if (sscanf(line, "%31s %79s", name, text) != 2) {
            snprintf(why, why_size, "%s: line %d: not \"name value\"", path, lineno);
            goto out;
        }
        char *end;
        errno = 0;
        uint64_t v = strtoull(text, &end, 10);
        int number = !errno && !*end && text[0] >= '0' && text[0] <= '9';
        size_t tlen = strlen(text);
        if (strcmp(name, "catalogue") == 0 && tlen < sizeof st.catalogue)
            memcpy(st.catalogue, text, tlen + 1);
        else if (strcmp(name, "format") == 0 && tlen < sizeof st.format)
            memcpy(st.format, text, tlen + 1);
        else if (strcmp(name, "encoding") == 0 && tlen < sizeof st.encoding)
            memcpy(st.encoding, text, tlen + 1);
        else if (strcmp(name, "sha256") == 0 && tlen == 64)
            memcpy(st.sha256, text, tlen + 1);
        else if (strcmp(name, "finished") == 0 && number)
            st.finished = v != 0;
#define READ(x) else if (strcmp(name, #x) == 0 && number) st.x = v;
        NUMBERS(READ)
#undef READ
        else {
            snprintf(why, why_size, "%s: line %d: unknown or bad \"%s\"", path, lineno, name);
            goto out;
        }
    }
    if (ferror(f) || lineno == 0) {
        snprintf(why, why_size, "%s: %s", path, lineno ? strerror(errno) : "empty");
        goto out;
    }
    *out = st;
    memset(&st, 0, sizeof st); /* the rejections are the caller's now */
    rc = 0;
out:
    import_state_cleanup(&st);
    free(line);
    fclose(f);
    return rc;
}

/* The directory part of path ("." when none), in buf. */
static void dir_of(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, size, ".");
    else if (slash == path)
        snprintf(buf, size, "/");
    else
        snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

int import_state_save(const char *path, const import_state *st, char *why, size_t why_size)
{
    char tmp[4200], dir[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        snprintf(why, why_size, "%s: path too long", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(why, why_size, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fprintf(f, MAGIC "\ncatalogue %s\nformat %s\nencoding %s\nsha256 %s\n", st->catalogue,
            st->format, st->encoding[0] ? st->encoding : "utf-8", st->sha256);
#define WRITE(x) fprintf(f, #x " %" PRIu64 "\n", st->x);
    NUMBERS(WRITE)
#undef WRITE
    fprintf(f, "finished %d\n", st->finished ? 1 : 0);
    for (size_t i = 0; i < st->n_rejects; i++) {
        const import_reject *r = &st->rejects[i];
        fprintf(f, "reject %" PRIu64 " %d %d ", r->line, r->local ? 1 : 0, r->code);
        put_escaped(f, r->field);
        fputc(' ', f);
        put_escaped(f, r->reason);
        fputc(' ', f);
        put_escaped(f, r->reason_code);
        fputc('\n', f);
    }
    int bad = fflush(f) != 0 || ferror(f) || fsync(fd) != 0;
    int err = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (bad || rename(tmp, path) != 0) {
        snprintf(why, why_size, "%s: %s", bad ? tmp : path, strerror(bad ? err : errno));
        unlink(tmp);
        return -1;
    }
    /* The rename itself is durable once the directory is. */
    dir_of(path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}
