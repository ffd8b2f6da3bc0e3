/*
 * pcache.h — a cache of computed portrait contents, with invalidation exact by construction.
 *
 * What a portrait says of its subject (the items, the subject's name) depends only on the
 * store's data and on a few inputs the caller puts into the entry's key (subject, template and
 * its version, the catalogue version in force, the grant's range of record dates, today's
 * date). The store's data is followed by generations, not by timeouts:
 *  - one generation per subject stripe (PCACHE_STRIPES, hashed from a subject key as
 *    subjects.h lays it out: 'U' uscc 0x00, 'A' type code 0x00, 'P' hex 0x00) and one global
 *    generation;
 *  - pcache_note_batch, called after every successful store write (the audit log's group
 *    committer, audit_set_observer: every change of the node passes there), walks the batch:
 *    a put or delete of a subject index entry bumps its subject key's stripe; a binding ('B'
 *    code -> uscc, 'R' uscc code) bumps the stripes of the USCC and of the code; an
 *    industrial sample (STORE_CF_SERIES, keyed by uscc "/" ...) bumps its USCC's stripe; a
 *    record or history write without an index entry of the same record id near it in the
 *    batch (within 8 operations: records_put_version writes them together), any catalogue
 *    write, and any subject key it cannot parse bump the global generation. Every write of a
 *    record's new version also rewrites its index entry (records.h), so a correction, a
 *    withdrawal, a dispute or a repair bumps its subject's stripe; a record written any other
 *    way makes every entry stale, which is always safe.
 *  - a reader takes the generations it depends on (pcache_gens_*) BEFORE it reads the store
 *    (before its snapshot), and stores its result under them; a lookup serves an entry only
 *    while every one of its generations is still current. A bump comes AFTER its write is
 *    visible. So a write that the reader's snapshot missed was made visible after the
 *    snapshot, hence bumped after the reader took its generations: the entry is stale from
 *    birth and never served. A race can waste an entry, never serve a stale one.
 *  - which subject keys a reader depends on is itself data (the bindings): the reader resolves
 *    its keys once before taking the generations and once in its snapshot, and stores nothing
 *    when they differ (a binding made meanwhile). A binding made later bumps the stripes of the
 *    keys that read it (see above), so the entry made before it is no longer served.
 * Bounded: at most `max_bytes` of entries (keys and values counted), least recently used
 * dropped first; an entry larger than a quarter of that is not kept. A NULL cache (size 0:
 * disabled) keeps nothing and every function accepts it.
 *
 * Threads: all functions are safe from any thread. Generations are atomics (bumps and loads
 * with release/acquire order); the entries and their LRU list are guarded by the cache's own
 * mutex, held only to find, copy, insert or drop an entry, never while reading the store.
 */
#ifndef CREDIT_PCACHE_H
#define CREDIT_PCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define PCACHE_STRIPES  4096
#define PCACHE_GENS_MAX 16 /* stripes one entry depends on: a subject's keys, a few */

typedef struct pcache pcache;

/* A cache of at most max_bytes. Returns 0 with *out (pcache_destroy), *out = NULL when
 * max_bytes is 0 (disabled), or -1 when out of memory. */
int pcache_create(size_t max_bytes, pcache **out);
void pcache_destroy(pcache *c); /* NULL is a no-op */

/* Bumps the generations batch b's operations invalidate (see above). Call after b was
 * written successfully (its writes visible to any new snapshot). The signature fits
 * audit_set_observer (ctx is the cache). */
void pcache_note_batch(void *ctx, const store_batch *b);

/* The generations a reader depends on, taken before it reads. _init takes the global one;
 * _add_key adds the stripe of a subject key (as subjects.h gives them, with its 0x00; a key
 * whose stripe is already in g adds nothing). Returns 0, or -1 when g is full (then the
 * reader must not store its result). */
typedef struct pcache_gens {
    uint64_t global;
    size_t n;
    uint32_t stripe[PCACHE_GENS_MAX];
    uint64_t gen[PCACHE_GENS_MAX];
} pcache_gens;
void pcache_gens_init(const pcache *c, pcache_gens *g);
int pcache_gens_add_key(const pcache *c, pcache_gens *g, const void *key, size_t klen);
/* The subject key 'U' uscc 0x00 for `uscc` as given (for reads keyed by a USCC, as the
 * industrial samples are). */
int pcache_gens_add_uscc(const pcache *c, pcache_gens *g, const char *uscc);

/* The value stored under key[0..klen) if its generations are all current: a malloc'd copy
 * in *val (free() it) of *vlen bytes, and 1. Returns 0 on a miss (a stale entry found is
 * dropped), -1 when out of memory; *val untouched but on a hit. */
int pcache_get(pcache *c, const void *key, size_t klen, void **val, size_t *vlen);

/* Stores a copy of val[0..vlen) under key[0..klen) with the generations g it was computed
 * under, replacing an entry of the same key; nothing when g is already stale or the entry is
 * too large. */
void pcache_put(pcache *c, const void *key, size_t klen, const pcache_gens *g, const void *val,
                size_t vlen);

/* Counters since start (for tests and logs): hits, misses, entries and bytes now. */
typedef struct pcache_stats {
    uint64_t hits, misses;
    size_t entries, bytes;
} pcache_stats;
void pcache_get_stats(pcache *c, pcache_stats *s);

#endif /* CREDIT_PCACHE_H */
