/*
 * import_state.h — how far an import (creditctl push of a file) has come, kept in a file.
 *
 * After each group of rows the node has acknowledged, creditctl rewrites the state: how many
 * rows of the input are done (sent and answered, or refused before sending), the line the next
 * row starts after, the running counts of outcomes, and what the input was (catalogue, format,
 * size and a fingerprint of its first 64 KiB) so that another file, or the same file changed,
 * is not taken for it. A run that finds the state resumes after those rows; pushes are
 * idempotent (records by source id, samples by key), so rows sent again after a crash between
 * the node's answer and the state's rewrite come back PUSH_OUTCOME_UNCHANGED.
 *
 * The file is text, one "name value" a line, rewritten whole: written to a temporary file in
 * the same directory, fsynced, renamed over the old one, and the directory fsynced, so that a
 * crash leaves the old state or the new one, never a torn one.
 */
#ifndef CREDITCTL_IMPORT_STATE_H
#define CREDITCTL_IMPORT_STATE_H

#include <stddef.h>
#include <stdint.h>

#define IMPORT_FINGERPRINT_BYTES 65536

typedef struct import_state {
    char catalogue[32]; /* "public", "service-unit", ... */
    char format[8];     /* "jsonl" or "csv" */
    uint64_t size;      /* the input's size in bytes when the import began */
    uint64_t fingerprint;
    uint64_t rows;      /* rows done */
    uint64_t line;      /* the last line of the last row done (0: none) */
    uint64_t created, unchanged, new_versions; /* records */
    uint64_t accepted;  /* samples: stored or replaced */
    uint64_t rejected;  /* either, refused here or by the node */
    int finished;       /* every row is done */
} import_state;

/* The size of the file at `path` and the FNV-1a 64 hash of its size and first
 * IMPORT_FINGERPRINT_BYTES bytes. Returns 0, or -1 with why[size] filled. */
int import_fingerprint(const char *path, uint64_t *size, uint64_t *fingerprint, char *why,
                       size_t why_size);

/* Reads the state at `path` into *st. Returns 0; 1 when there is no such file (*st untouched);
 * -1 when it cannot be read or is not a state file, with why[size] filled. */
int import_state_load(const char *path, import_state *st, char *why, size_t why_size);

/* Replaces the state at `path` with *st, durably (see above). Returns 0, or -1 with why. */
int import_state_save(const char *path, const import_state *st, char *why, size_t why_size);

#endif /* CREDITCTL_IMPORT_STATE_H */
