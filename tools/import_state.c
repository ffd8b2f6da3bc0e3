/*
 * import_state.c — the state file of a resumable import (see import_state.h).
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

#define MAGIC "creditctl-import-state 1"

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int import_fingerprint(const char *path, uint64_t *size, uint64_t *fingerprint, char *why,
                       size_t why_size)
{
    unsigned char *buf = malloc(IMPORT_FINGERPRINT_BYTES);
    struct stat sb;
    FILE *f = fopen(path, "rb");
    int rc = -1;

    if (!buf || !f || fstat(fileno(f), &sb) != 0) {
        snprintf(why, why_size, "%s: %s", path, buf ? strerror(errno) : "out of memory");
        goto out;
    }
    size_t n = fread(buf, 1, IMPORT_FINGERPRINT_BYTES, f);
    if (ferror(f)) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        goto out;
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    unsigned char sz[8];
    for (int i = 0; i < 8; i++)
        sz[i] = (unsigned char)((uint64_t)sb.st_size >> (8 * i));
    h = fnv1a(h, sz, sizeof sz);
    *fingerprint = fnv1a(h, buf, n);
    *size = (uint64_t)sb.st_size;
    rc = 0;
out:
    if (f)
        fclose(f);
    free(buf);
    return rc;
}

/* The numbers of the state, by name, for reading and writing alike. */
#define NUMBERS(X)                                                                                 \
    X(size) X(fingerprint) X(rows) X(line) X(created) X(unchanged) X(new_versions) X(accepted)     \
        X(rejected)

int import_state_load(const char *path, import_state *out, char *why, size_t why_size)
{
    FILE *f = fopen(path, "r");
    char line[256];
    import_state st;
    int lineno = 0, rc = -1;

    if (!f) {
        if (errno == ENOENT)
            return 1;
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    memset(&st, 0, sizeof st);
    while (fgets(line, sizeof line, f)) {
        char name[32], text[64];
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (lineno == 1) {
            if (strcmp(line, MAGIC) != 0) {
                snprintf(why, why_size, "%s: not a creditctl import state", path);
                goto out;
            }
            continue;
        }
        if (sscanf(line, "%31s %63s", name, text) != 2) {
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
    rc = 0;
out:
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
    fprintf(f, MAGIC "\ncatalogue %s\nformat %s\n", st->catalogue, st->format);
#define WRITE(x) fprintf(f, #x " %" PRIu64 "\n", st->x);
    NUMBERS(WRITE)
#undef WRITE
    fprintf(f, "finished %d\n", st->finished ? 1 : 0);
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
