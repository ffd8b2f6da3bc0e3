/*
 * faultfs.c — an LD_PRELOAD shim that makes the disk under one directory fail on demand.
 *
 * Tests use it to give the real creditd a full disk or a failing disk without mounting
 * anything (CI may not allow mount or loop devices) and without restarting the node: the
 * fault is switched at run time through a control file.
 *
 *   FAULTFS_DIR  the directory whose files fail (the node's data directory); an absolute path
 *                without a trailing slash. Unset: the shim does nothing.
 *   FAULTFS_CTL  the control file. While it is absent or empty nothing fails. Otherwise its
 *                first word is the fault:
 *                  enospc     writes and preallocations fail with ENOSPC (a full disk);
 *                  eio-write  writes fail with EIO;
 *                  eio-fsync  fsync, fdatasync and sync_file_range fail with EIO, writes
 *                             succeed (the data reaches the page cache but not the disk).
 *
 * Intercepted: write, pwrite(64), writev, pwritev(64), fallocate(64), posix_fallocate(64),
 * fsync, fdatasync, sync_file_range — what RocksDB's POSIX environment calls (checked with
 * strace). Whether a descriptor lies under FAULTFS_DIR is read from /proc/self/fd, and only
 * while a fault is switched on, so a node without a fault pays one stat() per call.
 *
 * Each intercepted call fails whole, before any byte is written: no short writes. Under
 * AddressSanitizer the ASan runtime must be loaded first (LD_PRELOAD="libasan.so.N
 * faultfs.so"); ASan's own interceptors then find ours as the next definition, and ours find
 * libc's. Nothing here allocates, so the shim is safe inside ASan's interceptors.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum fault { FAULT_NONE, FAULT_ENOSPC, FAULT_EIO_WRITE, FAULT_EIO_FSYNC };
enum op { OP_WRITE, OP_ALLOCATE, OP_SYNC };

/* The fault switched on now. Read afresh each call: the test flips it while we run. */
static enum fault current(void)
{
    const char *ctl = getenv("FAULTFS_CTL");
    char buf[32];
    struct stat sb;
    ssize_t n;
    int fd, saved = errno;
    enum fault f = FAULT_NONE;

    if (!ctl || stat(ctl, &sb) != 0 || sb.st_size == 0) {
        errno = saved;
        return FAULT_NONE;
    }
    fd = open(ctl, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            if (strncmp(buf, "enospc", 6) == 0)
                f = FAULT_ENOSPC;
            else if (strncmp(buf, "eio-write", 9) == 0)
                f = FAULT_EIO_WRITE;
            else if (strncmp(buf, "eio-fsync", 9) == 0)
                f = FAULT_EIO_FSYNC;
        }
    }
    errno = saved;
    return f;
}

/* Whether descriptor fd names a file at or under FAULTFS_DIR. */
static int under_dir(int fd)
{
    const char *dir = getenv("FAULTFS_DIR");
    char link[64], path[4096];
    size_t dlen;
    ssize_t n;

    if (!dir || !*dir)
        return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    dlen = strlen(dir);
    return strncmp(path, dir, dlen) == 0 && (path[dlen] == '/' || path[dlen] == '\0');
}

/* The errno that operation `op` on fd must fail with now, or 0 to let it through. */
static int injected(int fd, enum op op)
{
    int saved = errno, e = 0;

    switch (current()) {
    case FAULT_NONE:
        return 0;
    case FAULT_ENOSPC:
        e = op == OP_SYNC ? 0 : ENOSPC;
        break;
    case FAULT_EIO_WRITE:
        e = op == OP_WRITE ? EIO : 0;
        break;
    case FAULT_EIO_FSYNC:
        e = op == OP_SYNC ? EIO : 0;
        break;
    }
    if (e && !under_dir(fd))
        e = 0;
    errno = saved;
    return e;
}

/* The next definition of `name` (libc's, or ASan's interceptor when ASan comes after us). */
static void *next(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);

    if (!p)
        abort(); /* the shim cannot pass a call on: better to stop than to fake success */
    return p;
}

#define REAL(type, name) ((type)next(#name))

#define FAIL_IF_INJECTED(fd, op, failval)                                                          \
    do {                                                                                           \
        int e_ = injected((fd), (op));                                                             \
        if (e_) {                                                                                  \
            errno = e_;                                                                            \
            return (failval);                                                                      \
        }                                                                                          \
    } while (0)

ssize_t write(int fd, const void *buf, size_t n)
{
    FAIL_IF_INJECTED(fd, OP_WRITE, -1);
    return REAL(ssize_t(*)(int, const void *, size_t), write)(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    FAIL_IF_INJECTED(fd, OP_WRITE, -1);
    return REAL(ssize_t(*)(int, const void *, size_t, off_t), pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    FAIL_IF_INJECTED(fd, OP_WRITE, -1);
    return REAL(ssize_t(*)(int, const void *, size_t, off64_t), pwrite64)(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    FAIL_IF_INJECTED(fd, OP_WRITE, -1);
    return REAL(ssize_t(*)(int, const struct iovec *, int), writev)(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    FAIL_IF_INJECTED(fd, OP_WRITE, -1);
    return REAL(ssize_t(*)(int, const struct iovec *, int, off_t), pwritev)(fd, iov, cnt, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
    FAIL_IF_INJECTED(fd, OP_WRITE, -1);
    return REAL(ssize_t(*)(int, const struct iovec *, int, off64_t), pwritev64)(fd, iov, cnt, off);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
    FAIL_IF_INJECTED(fd, OP_ALLOCATE, -1);
    return REAL(int (*)(int, int, off_t, off_t), fallocate)(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
    FAIL_IF_INJECTED(fd, OP_ALLOCATE, -1);
    return REAL(int (*)(int, int, off64_t, off64_t), fallocate64)(fd, mode, off, len);
}

/* posix_fallocate returns the error instead of setting errno. */
int posix_fallocate(int fd, off_t off, off_t len)
{
    int e = injected(fd, OP_ALLOCATE);

    if (e)
        return e;
    return REAL(int (*)(int, off_t, off_t), posix_fallocate)(fd, off, len);
}

int posix_fallocate64(int fd, off64_t off, off64_t len)
{
    int e = injected(fd, OP_ALLOCATE);

    if (e)
        return e;
    return REAL(int (*)(int, off64_t, off64_t), posix_fallocate64)(fd, off, len);
}

int fsync(int fd)
{
    FAIL_IF_INJECTED(fd, OP_SYNC, -1);
    return REAL(int (*)(int), fsync)(fd);
}

int fdatasync(int fd)
{
    FAIL_IF_INJECTED(fd, OP_SYNC, -1);
    return REAL(int (*)(int), fdatasync)(fd);
}

int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags)
{
    FAIL_IF_INJECTED(fd, OP_SYNC, -1);
    return REAL(int (*)(int, off64_t, off64_t, unsigned int), sync_file_range)(fd, off, n, flags);
}
