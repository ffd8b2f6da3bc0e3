/*
 * import_state.h — how far an import (creditctl push of a file) has come, kept in a file.
 *
 * After each group of rows the node has acknowledged, creditctl rewrites the state: how many
 * rows of the input are done (sent and answered, or refused before sending), the line the next
 * row starts after, the running counts of outcomes, every rejection so far (line, field, code
 * and reason: a rerun after an interruption still reports, and writes to its rejects file,
 * the rows refused before it), and what the input was (catalogue, format, encoding, size and
 * the SHA-256 of the whole file) so that another file, or the same file changed anywhere, is
 * not taken for it. A run that finds the state resumes after those
 * rows; pushes are idempotent (records by source id, samples by key), so rows sent again after
 * a crash between the node's answer and the state's rewrite come back UNCHANGED.
 *
 * The file is text, one "name value" a line, rewritten whole: written to a temporary file in
 * the same directory, fsynced, renamed over the old one, and the directory fsynced, so that a
 * crash leaves the old state or the new one, never a torn one. A rejection is a line
 * "reject LINE LOCAL CODE FIELD REASON REASON_CODE", its field and reason %-escaped (no spaces,
 * no line breaks), "-" for no field or no reason code (a state written before reason codes were
 * kept has lines without the last word: read as "-").
 */
#ifndef CREDITCTL_IMPORT_STATE_H
#define CREDITCTL_IMPORT_STATE_H

#include <stddef.h>
#include <stdint.h>

/* One rejected row: its first line, refused here (local) or by the node (code: a gRPC code). */
typedef struct import_reject {
    uint64_t line;
    int local;
    int code;
    char *field;       /* malloc'd, NULL when none */
    char *reason;      /* malloc'd */
    char *reason_code; /* the node's (README "Reason codes"); malloc'd, NULL when none */
} import_reject;

typedef struct import_state {
    char catalogue[32]; /* "PUBLIC", "SERVICE_UNIT", ... */
    char format[8];     /* "jsonl" or "csv" */
    char encoding[16];  /* "utf-8", "gb18030", ... */
    char sha256[65];    /* of the whole input, lowercase hex */
    uint64_t size;      /* the input's size in bytes when the import began */
    uint64_t rows;      /* rows done */
    uint64_t line;      /* the last line of the last row done (0: none) */
    uint64_t created, unchanged, new_versions; /* records */
    uint64_t accepted;  /* samples: stored or replaced */
    uint64_t rejected;  /* either, refused here or by the node */
    uint64_t unlisted;  /* samples rejected that the node only counted */
    int finished;       /* every row is done */
    import_reject *rejects; /* by line; owned, freed by import_state_cleanup */
    size_t n_rejects, cap_rejects;
} import_state;

/* The size of the file at `path` and the SHA-256 of all its bytes, read in a stream, as 64
 * lowercase hex digits in hex[65]. Returns 0, or -1 with why[size] filled. */
int import_fingerprint(const char *path, uint64_t *size, char hex[65], char *why,
                       size_t why_size);

/* Reads the state at `path` into *st (which the caller cleans up). Returns 0; 1 when there is
 * no such file (*st untouched); -1 when it cannot be read or is not a state file, or was
 * written by an earlier creditctl, with why[size] filled (*st untouched). */
int import_state_load(const char *path, import_state *st, char *why, size_t why_size);

/* Replaces the state at `path` with *st, durably (see above). Returns 0, or -1 with why. */
int import_state_save(const char *path, const import_state *st, char *why, size_t why_size);

/* Appends a rejection (strings copied; field and reason_code may be NULL or empty: none).
 * Returns 0, or -1 when out of memory (nothing added). */
int import_state_add_reject(import_state *st, uint64_t line, int local, int code, const char *field,
                            const char *reason, const char *reason_code);

/* Frees the rejections; the counts stay. */
void import_state_cleanup(import_state *st);

#endif /* CREDITCTL_IMPORT_STATE_H */
