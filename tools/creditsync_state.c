/*
 * creditsync_state.c — see creditsync_state.h.
 */
#include "creditsync_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sync_state_load(const char *path, uint64_t *cursor, char *why)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) {
            *cursor = 0;
            return 0;
        }
        snprintf(why, 256, "%.200s: %s", path, strerror(errno));
        return -1;
    }
    char line[64];
    uint64_t v = 0;
    int ok = fgets(line, sizeof line, f) != NULL && sscanf(line, "cursor %" SCNu64, &v) == 1;
    fclose(f);
    if (!ok) {
        snprintf(why, 256, "%.200s holds no cursor (\"cursor <N>\")", path);
        return -1;
    }
    *cursor = v;
    return 0;
}

/* fsyncs the directory holding `path`, so that a rename in it is durable. */
static int sync_dir(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int sync_state_save(const char *path, uint64_t cursor, char *why)
{
    char tmp[4096], text[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int n = snprintf(text, sizeof text, "cursor %" PRIu64 "\n", cursor);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        snprintf(why, 256, "%.200s: %s", tmp, strerror(errno));
        return -1;
    }
    int ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    if (!ok || rename(tmp, path) != 0 || sync_dir(path) != 0) {
        snprintf(why, 256, "cannot save the cursor in %.180s: %s", path,
                 strerror(ok ? errno : saved));
        unlink(tmp);
        return -1;
    }
    return 0;
}
