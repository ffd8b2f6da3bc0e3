/*
 * testutil.h — small helpers shared by the unit tests: temporary directories removed
 * recursively, error-reporting checks, reading and writing whole files, and running a shell
 * command with its paths passed as arguments (never pasted into the script, so a TMPDIR with
 * spaces or quotes cannot break it).
 *
 * Everything is `static inline` so a test that uses only part of it still builds warning-free.
 * Include it after cmocka.h's prerequisites; it includes cmocka.h itself.
 */
#ifndef CREDIT_TESTUTIL_H
#define CREDIT_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Runs `expr`, which writes its message into the `err` in scope; on failure prints file, line,
 * the expression, its code and that message, and fails the test. */
#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        int rc_;                                                                                   \
        err[0] = '\0';                                                                             \
        rc_ = (expr);                                                                              \
        if (rc_ != 0) {                                                                            \
            print_error("%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #expr, rc_, err);       \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Runs `expr`, which must fail (return non-zero) with a message in `err` that contains
 * `needle`; otherwise prints file, line, the expression, its code and message, and fails. */
#define CHECK_FAILS_WITH(expr, needle)                                                             \
    do {                                                                                           \
        int rc_;                                                                                   \
        err[0] = '\0';                                                                             \
        rc_ = (expr);                                                                              \
        if (rc_ == 0 || strstr(err, (needle)) == NULL) {                                           \
            print_error("%s:%d: %s returned %d: \"%s\"; wanted a failure mentioning \"%s\"\n",     \
                        __FILE__, __LINE__, #expr, rc_, err, (needle));                            \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Fails unless `hay` contains `needle`, printing both. */
#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || strstr(h_, n_) == NULL) {                                                       \
            print_error("%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,            \
                        h_ ? h_ : "(null)", n_);                                                   \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

static inline int tu_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes `path` and everything under it, without following symbolic links. A path that does
 * not exist is not an error. Returns 0 or -1. */
static inline int tu_rmrf(const char *path)
{
    struct stat st;

    if (!path || !*path)
        return 0;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, tu_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes a fresh directory $TMPDIR/<tag>.XXXXXX (or under /tmp) into out[cap]. Returns 0 or
 * -1 (printing why); usable from setup functions, which must not call fail(). */
static inline int tu_mkdtemp(char *out, size_t cap, const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    int n;

    if (!tmp || !*tmp)
        tmp = "/tmp";
    n = snprintf(out, cap, "%s/%s.XXXXXX", tmp, tag);
    if (n < 0 || (size_t)n >= cap) {
        print_error("tu_mkdtemp: path too long\n");
        return -1;
    }
    if (!mkdtemp(out)) {
        print_error("tu_mkdtemp: %s: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes "dir/name" into out[cap]. Returns 0, or -1 (printing why) if it does not fit; usable
 * from setup functions. */
static inline int tu_join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= cap) {
        print_error("tu_join: %s/%s is too long\n", dir, name);
        return -1;
    }
    return 0;
}

/* Writes "dir/name" into out (PATH_MAX bytes), failing the test if it does not fit. */
static inline void tu_path(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

    assert_true(n > 0 && n < PATH_MAX);
}

/* Runs `script` with /bin/sh -c; the NULL-terminated string arguments that follow are its $1,
 * $2, ... Returns the exit status (0 for success; -1 if it could not run or was killed) and
 * prints the script and status when it is not 0. */
static inline int tu_sh(const char *script, ...)
{
    const char *argv[16];
    size_t argc = 0;
    va_list ap;
    pid_t pid;
    int status, rc;

    argv[argc++] = "sh";
    argv[argc++] = "-c";
    argv[argc++] = script;
    argv[argc++] = "sh"; /* $0 */
    va_start(ap, script);
    for (;;) {
        const char *a = va_arg(ap, const char *);

        if (!a)
            break;
        if (argc == sizeof(argv) / sizeof(argv[0]) - 1) {
            va_end(ap);
            print_error("tu_sh: too many arguments for: %s\n", script);
            return -1;
        }
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;

    rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, (char *const *)argv, environ);
    if (rc != 0) {
        print_error("tu_sh: cannot start /bin/sh: %s\n", strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            print_error("tu_sh: waitpid: %s\n", strerror(errno));
            return -1;
        }
    }
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (rc != 0)
        print_error("tu_sh: `%s` exited with %d\n", script, rc);
    return rc;
}

/* Reads the whole file into a malloc'd buffer (free() it), NUL-terminated for convenience;
 * *len (if not NULL) gets its length without the NUL, 0 when the file cannot be read (set
 * first, so that no caller's length is ever read uninitialised). NULL if it cannot be read. */
static inline char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL, *p;
    size_t n = 0, cap = 0, got;

    if (len)
        *len = 0;

    if (!f)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Replaces the content of `path` (created if missing) with data[len]. Returns 0 or -1. */
static inline int tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int rc = 0;

    if (!f)
        return -1;
    if (len && fwrite(data, 1, len, f) != len)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* The value of environment variable `name`, which the test cannot run without: prints which
 * variable is missing and returns NULL when it is unset or empty. */
static inline const char *tu_env(const char *name)
{
    const char *v = getenv(name);

    if (!v || !*v) {
        print_error("environment variable %s is not set (ctest sets it; see tests/CMakeLists.txt)\n",
                    name);
        return NULL;
    }
    return v;
}

/* Makes the development PKI into `outdir` with $CREDIT_SOURCE_DIR/certs/make-dev-certs.sh.
 * Returns 0 or -1 (printing why); usable from setup functions. */
static inline int tu_dev_certs(const char *outdir)
{
    const char *src = getenv("CREDIT_SOURCE_DIR");
    char script[PATH_MAX];

    if (!src || tu_join(script, sizeof script, src, "certs/make-dev-certs.sh") != 0) {
        print_error("tu_dev_certs: CREDIT_SOURCE_DIR is not set (ctest sets it)\n");
        return -1;
    }
    return tu_sh("\"$1\" \"$2\" >/dev/null", script, outdir, NULL) == 0 ? 0 : -1;
}

/* True if `log` (a creditd's stderr) holds one LeakSanitizer report and it is only OpenSSL's
 * per-thread error queue: Direct leaks of 904-byte objects whose whole stack is malloc then
 * CRYPTO_zalloc in libcrypto. OpenSSL frees that queue from a thread-exit destructor; a gRPC
 * core thread still exiting when the process ends has not run it yet (about one stop in a
 * hundred). It is not our memory and does not grow with traffic, so tests tolerate exactly
 * this report, and nothing else. tests/interop/harness.py makes the same check. */
static inline int tu_only_openssl_thread_state_leak(const char *log)
{
    const char *marker = "ERROR: LeakSanitizer: detected memory leaks";
    const char *report = strstr(log, marker);
    const char *p = log;
    int errors = 0, found = 0;

    while ((p = strstr(p, "==ERROR:")) != NULL) {
        errors++;
        p++;
    }
    if (!report || errors != 1)
        return 0;
    for (p = report; (p = strstr(p, " leak of ")) != NULL; p++) {
        const char *line = p;
        unsigned long bytes = 0, objects = 0;
        int frames = 0;

        while (line > report && line[-1] != '\n')
            line--;
        if (strncmp(line, "Direct leak of ", 15) != 0 ||
            sscanf(line, "Direct leak of %lu byte(s) in %lu object(s)", &bytes, &objects) != 2 ||
            objects == 0 || bytes != 904 * objects)
            return 0;
        /* The stack: lines "    #N ..." up to the blank line. */
        const char *f = strchr(line, '\n');
        while (f && strncmp(f + 1, "    #", 5) == 0) {
            const char *end = strchr(f + 1, '\n');
            size_t n = end ? (size_t)(end - f - 1) : strlen(f + 1);
            char frame[512];
            snprintf(frame, sizeof frame, "%.*s", (int)(n < 511 ? n : 511), f + 1);
            if ((frames == 0 && !strstr(frame, "malloc")) ||
                (frames == 1 && (!strstr(frame, "CRYPTO_zalloc") || !strstr(frame, "libcrypto"))) ||
                frames >= 2)
                return 0;
            frames++;
            f = end;
        }
        if (frames != 2)
            return 0;
        found++;
    }
    return found > 0;
}

#endif
