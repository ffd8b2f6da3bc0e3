/*
 * catalog.h — the comprehensive credit information catalogue, as the node enforces it.
 *
 * A catalogue version (credit.v1.CatalogueVersion, catalogue.proto) is data; this module
 * checks it and compiles it into a form the push and query paths read without parsing:
 * every dimension's field path resolved to protobuf-c field descriptors, once in the input
 * message a source pushes and once in the record the node stores.
 *
 * Checking a version (catalog_compile) is what makes the catalogue safe to drive the node:
 * every catalogue appears once, the public catalogue has a section for each of the 18
 * categories, every field path resolves in the compiled descriptors and fits its value type,
 * every tier, unit kind and unit exists, codes are unique, publicity windows are sane, the
 * rules a dimension may carry fit it (conditions name another typed dimension the records have
 * and values it can hold; bounds only on numbers, whole where the number is; allowed values
 * only on text and enums, an enum's by name; a pattern only on text, and it compiles), and the
 * fields the node itself cannot do without (the subject's kind, name and identifier; a
 * penalty's decision date and severity) stay required dimensions. The first fault is reported
 * naming the catalogue, section and dimension.
 *
 * The catalog holds every version, oldest first; version 1 is the seed file's. The version in
 * force at a time is the newest whose effective_at is not after it. Versions are never changed
 * or freed while the catalog lives, so a pointer to one, or to anything in it, stays valid
 * until catalog_destroy. Adding versions is serialized by the caller (svc_catalogue.c holds
 * its governance lock); lookups may run on any thread at any time.
 *
 * Store layout (STORE_CF_CATALOGUE): "v" + be32 version -> packed CatalogueVersion.
 */
#ifndef CREDIT_CATALOG_H
#define CREDIT_CATALOG_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "credit/v1/catalogue.pb-c.h"
#include "store.h"

#define CATALOG_PATH_MAX    4   /* segments in a dimension's field path */
#define CATALOG_ERR_LEN     512 /* the size of the err buffers below */
#define CATALOG_WHEN_MAX    8   /* conditions in a dimension's required_when */
#define CATALOG_EQUALS_MAX  32  /* values in one condition's equals */
#define CATALOG_ALLOWED_MAX 256 /* a dimension's allowed_values */
#define CATALOG_PATTERN_MAX 128 /* bytes in a dimension's pattern */

typedef struct catalog catalog;

/* One dimension, compiled. The proto fields are borrowed from the version's message. */
typedef struct catalog_dim {
    const Credit__V1__Dimension *d;
    /* The field path from the catalogue's input message (in) and from the stored record
     * (rec). Both depth 0 for an extra dimension, which lives in the `extra` map. */
    const ProtobufCFieldDescriptor *in[CATALOG_PATH_MAX];
    const ProtobufCFieldDescriptor *rec[CATALOG_PATH_MAX];
    size_t depth;
    size_t rec_depth;
    /* required_when[i] names when[i]: a typed dimension of the same records, never this one. */
    const struct catalog_dim *when[CATALOG_WHEN_MAX];
    /* The pattern compiled as ^(pattern)$ (REG_EXTENDED | REG_NOSUB), or NULL. regexec on it
     * may run on any thread at once (POSIX makes regexec thread-safe). */
    regex_t *re;
} catalog_dim;

typedef struct catalog_def catalog_def;

typedef struct catalog_section {
    const Credit__V1__Section *s;
    const catalog_def *def;               /* the catalogue it belongs to */
    catalog_dim *dims;                    /* its own dimensions */
    size_t n_dims;
    const ProtobufCFieldDescriptor *body; /* the input's body member it takes, or NULL */
    uint32_t version;                     /* the catalogue version it is part of */
    /* catalog_dim_by_chain's index of its own and the common dimensions by field path (from
     * the input: [0], from the stored record: [1]); open addressing over chain_cap slots. */
    const struct catalog_dim **by_chain[2];
    size_t chain_cap;
} catalog_section;

struct catalog_def {
    const Credit__V1__CatalogueDefinition *d;
    const ProtobufCMessageDescriptor *input;  /* NULL: not collected through typed messages */
    const ProtobufCMessageDescriptor *stored; /* what the node stores for it */
    catalog_dim *common;                      /* dimensions every section has */
    size_t n_common;
    catalog_section *sections;
    size_t n_sections;
};

typedef struct catalog_version {
    Credit__V1__CatalogueVersion *msg; /* owned */
    catalog_def *defs;
    size_t n_defs;
} catalog_version;

/* Whether unit `code` is registered: how catalog_compile checks responsible units. */
typedef int (*catalog_unit_exists)(void *arg, const char *code);

/* Checks `msg` and compiles it. On success *out owns msg (freed with the version by
 * catalog_version_destroy) and 0 is returned; on failure -1, err says which entry is at fault
 * and why, and msg still belongs to the caller. */
int catalog_compile(Credit__V1__CatalogueVersion *msg, catalog_unit_exists exists, void *arg,
                    catalog_version **out, char *err);
void catalog_version_destroy(catalog_version *v);

/* Opens the catalogue in `st`: loads and checks every stored version, or, on a store with none,
 * reads the seed `text` (len bytes of text-format credit.v1.CatalogueVersion, named `origin`
 * in messages), checks it and stores it as version 1, effective from the epoch. The seed is
 * checked on every start, stored versions or not, so that a bad file never goes unnoticed.
 * Returns 0 and *out, or -1 with err filled (the node must not start). */
int catalog_open(store *st, const char *text, size_t len, const char *origin,
                 catalog_unit_exists exists, void *arg, catalog **out, char *err);
void catalog_destroy(catalog *c);

/* 1 if the seed given to catalog_open differs from the stored version 1 (a store seeded from
 * another file, or a seed edited since): the stored versions govern, the seed was only checked. */
int catalog_seed_differs(const catalog *c);

/* The version in force at instant t_ns (nanoseconds since the Unix epoch): the newest whose
 * effective time, compared to the nanosecond it was given in, is not after t_ns. Never NULL
 * once open. */
const catalog_version *catalog_at_ns(catalog *c, int64_t t_ns);

/* The version in force now (CLOCK_REALTIME, to the nanosecond). */
const catalog_version *catalog_now(catalog *c);

/* t seconds + nanos as nanoseconds since the epoch, saturating far outside the calendar. */
int64_t catalog_ns(int64_t seconds, int32_t nanos);
/* Version number `version`, or NULL if there is none such. */
const catalog_version *catalog_get(catalog *c, uint32_t version);
/* The newest version (possibly not yet in force). */
const catalog_version *catalog_newest(catalog *c);
/* The number of versions; versions are numbered 1..catalog_count. */
uint32_t catalog_count(catalog *c);

/* Publishes `v` (compiled from the message versions_put wrote, once that write succeeded):
 * its number must be catalog_count + 1. The catalog takes ownership. */
void catalog_publish(catalog *c, catalog_version *v);

/* The effective time of a version, in nanoseconds since the epoch (as given: seconds and
 * nanos). */
int64_t catalog_effective_ns(const catalog_version *v);

/* Lookups in a version. NULL when absent. */
const catalog_def *catalog_find_def(const catalog_version *v, int catalogue);
const catalog_section *catalog_find_section(const catalog_version *v, int catalogue,
                                            const char *code);
/* The public catalogue's section of Category `category`. */
const catalog_section *catalog_public_section(const catalog_version *v, int category);

/* The section's dimension (its own or a common one) with field path `field` or with `code`;
 * NULL when there is none. */
const catalog_dim *catalog_dim_by_field(const catalog_section *s, const char *field);
const catalog_dim *catalog_dim_by_code(const catalog_section *s, const char *code);

/* Whether unit `code` of kind `kind` may push the section's records. */
int catalog_responsible(const catalog_section *s, const char *code, int kind);

/* Names: the catalogue's enum name without CATALOGUE_ ("PUBLIC"), a tier's and a value type's
 * .proto names. Static storage; "?" for unknown values. */
const char *catalog_catalogue_name(int catalogue);
const char *catalog_tier_name(int tier);
const char *catalog_type_name(int type);

/* --- Walking values (the walk itself is pbwalk.h's) ----------------------------------------- */

/* The message that holds the dimension's leaf field in `root` (the input when stored == 0,
 * the record when 1), or NULL when a message on the way is not set. *field gets the leaf. */
ProtobufCMessage *catalog_leaf(const ProtobufCMessage *root, const catalog_dim *dim, int stored,
                               const ProtobufCFieldDescriptor **field);

/* The section's dimension (its own or a common one) whose field path is chain[0..depth), from
 * the input message (stored 0) or from the stored record (1); NULL when none is. Compares
 * descriptors, not names: the push and read paths call it for every value. */
const catalog_dim *catalog_dim_by_chain(const catalog_section *s,
                                        const ProtobufCFieldDescriptor *const *chain,
                                        size_t depth, int stored);

#endif /* CREDIT_CATALOG_H */
