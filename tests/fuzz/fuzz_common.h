/*
 * fuzz_common.h — what the libFuzzer harnesses share: the catalogue the node starts with, and
 * the choice of a message type from an input's first byte.
 *
 * The catalogue is the embedded seed (proto/catalogue.textproto, linked in as
 * credit_catalogue_seed by credit_embedded) read and compiled exactly as catalog_open reads a
 * fresh store's seed, with every unit counted as registered, once per process. Harnesses never
 * touch the disk for it, so an input is judged by the same rules on every run.
 *
 * Each harness is one process of libFuzzer's: its statics live until exit, and nothing here
 * needs a lock (libFuzzer calls LLVMFuzzerTestOneInput from one thread).
 */
#ifndef CREDIT_FUZZ_COMMON_H
#define CREDIT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "textproto.h"

extern const unsigned char credit_catalogue_seed[];
extern const size_t credit_catalogue_seed_len;

/* A failure of the harness itself, not of the code under test: say so and stop, so that it is
 * never mistaken for a finding. */
#define FUZZ_SETUP_FAIL(...)                                                                     \
    do {                                                                                         \
        fprintf(stderr, "fuzz setup: " __VA_ARGS__);                                             \
        fputc('\n', stderr);                                                                     \
        abort();                                                                                 \
    } while (0)

static inline int fuzz_any_unit(void *arg, const char *code)
{
    (void)arg;
    return code && *code;
}

/* The seed catalogue, compiled; valid until the process exits. */
static inline const catalog_version *fuzz_seed_catalogue(void)
{
    static catalog_version *cv;
    if (!cv) {
        ProtobufCMessage *m = NULL;
        textproto_error te;
        char err[CATALOG_ERR_LEN];
        if (textproto_parse(&credit__v1__catalogue_version__descriptor,
                            (const char *)credit_catalogue_seed, credit_catalogue_seed_len, &m,
                            &te) != 0)
            FUZZ_SETUP_FAIL("seed %d:%d: %s: %s", te.line, te.column, te.path, te.reason);
        Credit__V1__CatalogueVersion *v = (Credit__V1__CatalogueVersion *)m;
        v->version = 1;
        if (catalog_compile(v, fuzz_any_unit, NULL, &cv, err) != 0)
            FUZZ_SETUP_FAIL("seed: %s", err);
    }
    return cv;
}

/* The i-th of n choices named by an input's selector byte. */
static inline size_t fuzz_pick(uint8_t selector, size_t n)
{
    return (size_t)selector % n;
}

#endif /* CREDIT_FUZZ_COMMON_H */
