/*
 * creditsync_state.h — creditsync's cursor on disk.
 *
 * One small text file, "cursor <N>\n", replaced atomically: written to "<file>.tmp", fsynced,
 * renamed over the file, and the directory fsynced, so that after a crash (kill -9, power
 * loss) the file holds either the old cursor or the new one, never a torn one. creditsync
 * saves a cursor only once the upstream node acknowledged every change up to it.
 */
#ifndef CREDITSYNC_STATE_H
#define CREDITSYNC_STATE_H

#include <stddef.h>
#include <stdint.h>

/* Reads the cursor of `path` into *cursor: 0 and *cursor = 0 when the file does not exist;
 * -1 with why[256] when it exists but cannot be read or holds no cursor. */
int sync_state_load(const char *path, uint64_t *cursor, char *why);

/* Saves `cursor` durably (see above). Returns 0, or -1 with why[256]. */
int sync_state_save(const char *path, uint64_t cursor, char *why);

#endif /* CREDITSYNC_STATE_H */
