/*
 * subjects.h — one subject, one key: the subject index and the older codes bound to a USCC.
 *
 * Layout (column family STORE_CF_SUBJECTS; the first byte says which key space):
 *   'U' uscc 0x00 record_id          -> entry a record about the USCC
 *   'A' type code 0x00 record_id     -> entry a record filed under an older code that no
 *                                             USCC had bound when the record was pushed
 *   'P' hex(privacy index) 0x00 rid  -> entry a record about a natural person
 *   'B' type code                    -> uscc  an older code bound to its USCC
 *   'R' uscc type code               -> ""    the same binding, found from the USCC
 * type is one byte: 'r' registration number, 'o' organisation code, 't' tax number, 'i'
 * institution certificate, 's' social organisation certificate. code is the normalised code
 * (identity.h); a 20-character tax number embeds a resident identity number, so its code is
 * the hex of its privacy index, like a natural person's key. No key holds a personal number.
 * An entry is the record's page entry (records.h: what a page of the subject needs of the
 * record's latest version, written by records_put_version), or "" in older data directories.
 *
 * Invariants:
 *  - a code is bound to at most one USCC, for ever (a binding is never moved or deleted);
 *  - a record's stored subject_key is one of the keys above, the one it is indexed under;
 *  - the records of a subject are those under its 'U' key and under the 'A' keys of every
 *    code bound to it ('R' entries), so a binding made later brings earlier records in
 *    without rewriting them.
 * Bindings are made only by a record that states a USCC with the older codes (and the
 * organisation code inside every USCC); certificates are never bound.
 *
 * Threads: the store is thread-safe; a subjects_pending belongs to one call, which holds the
 * collection's bind_mu from before it resolves a record that binds until it has written its
 * batch (svc_collection.c).
 */
#ifndef CREDIT_SUBJECTS_H
#define CREDIT_SUBJECTS_H

#include <stddef.h>

#include "credit/v1/record.pb-c.h"
#include "privacy.h"
#include "record_check.h"
#include "records.h"
#include "store.h"

#define SUBJECTS_CODE_MAX 208 /* a code in a key: up to a short field's 200 bytes */
#define SUBJECTS_USCC_LEN 18

typedef struct subjects_alias {
    char type; /* 'r', 'o', 't', 'i', 's' */
    char code[SUBJECTS_CODE_MAX + 1];
} subjects_alias;

/* Bindings staged in a batch not yet written, so that a later record of the same batch sees
 * them: found through a hash index, since a stream of new companies stages one or more for
 * each of its 10,000 records. Owned by one call; _init/_cleanup. */
typedef struct subjects_pending {
    struct subjects_binding *v;
    size_t n, cap;
    uint32_t *slots; /* 2 * cap of them: 0 empty, else 1 + an index into v */
} subjects_pending;

void subjects_pending_init(subjects_pending *p);
void subjects_pending_cleanup(subjects_pending *p);

/* Where a pushed record's subject goes. */
typedef struct subjects_resolution {
    char key[SUBJECT_KEY_MAX]; /* the subject index key the record is filed under */
    size_t key_len;
    char uscc[SUBJECTS_USCC_LEN + 1]; /* the subject's USCC, "" when none is known */
    subjects_alias bind[3];           /* codes this record binds to uscc (not yet bound) */
    size_t n_bind;
} subjects_resolution;

/* Resolves the subject of a record that passed record_check (its codes normalised and
 * consistent). Reads the bindings of the store and of `pend`. Returns 0 with *out filled, or
 * -1 with f filled (status.h's codes): RPC_FAILED_PRECONDITION when a code is bound to another
 * USCC (the reason names both), RPC_INVALID_ARGUMENT when the kind does not fit the USCC a code
 * is bound to, status_from_store's status when the store cannot be read (RPC_UNAVAILABLE) or
 * holds a damaged binding (RPC_DATA_LOSS), RPC_INTERNAL when a key cannot be made. */
int subjects_resolve(store *st, const subjects_pending *pend, const privacy *pv,
                     const Credit__V1__Subject *s, subjects_resolution *out, check_failure *f);

/* Makes room in pend for `more` bindings, so that the subjects_bind after it cannot fail.
 * Returns 0, or -1 when out of memory. */
int subjects_reserve(subjects_pending *pend, size_t more);

/* Stages r's new bindings ('B' and 'R' entries) in b and remembers them in pend. Returns 0,
 * or -1 when out of memory (then nothing was staged); never -1 after subjects_reserve(pend,
 * r->n_bind). */
int subjects_bind(store_batch *b, subjects_pending *pend, const subjects_resolution *r);

/* Whether the subject key a record was filed under (`key`) names the subject `r` resolved
 * to: the same key, or an 'A' key whose code is bound to r's USCC — in the store, in pend, or
 * by r itself (a record filed under a code, sent again with the USCC and that code, binds it).
 * Returns 1, 0, or a negative STORE_E* code. */
int subjects_same(store *st, const subjects_pending *pend, const void *key, size_t len,
                  const subjects_resolution *r);

/* The keys a query for (kind, identifier) reads, all of one subject. */
typedef struct subjects_keys {
    char (*key)[SUBJECT_KEY_MAX];
    size_t *len;
    size_t n, cap;
} subjects_keys;

/* Finds every key of the subject that `identifier` (a USCC, an older code of any type, or for
 * SUBJECT_KIND_NATURAL_PERSON a resident identity number; it is normalised here like a pushed one)
 * names: the USCC's own key and those of every code bound to it, or, for an unbound older code, its
 * own 'A' keys. Returns 0 with *out filled (free with subjects_keys_cleanup, also after an
 * error); or a status (status.h: RPC_INVALID_ARGUMENT, the USCC is not valid or does not fit
 * `kind`; RPC_UNAVAILABLE or RPC_DATA_LOSS, the store cannot be read or holds a damaged
 * binding; RPC_RESOURCE_EXHAUSTED, out of memory)
 * with the reason in why[200], worded to follow
 * "subject.identifier: " or "subject.kind: " as *field says. */
int subjects_keys_of(store *st, const store_snapshot *snap, const privacy *pv, int kind,
                     const char *identifier, subjects_keys *out, const char **field, char *why);
void subjects_keys_cleanup(subjects_keys *k);

/* The records of one subject: the index entries under every key of `keys`, merged in
 * record-id order (the order a page token's position is in), each record once though an entry
 * may be left under an older key, from the record after `after` (NULL or "": from the
 * first). `keys` must outlive the scan. `snap` may be NULL. Returns 0 with *out (close with
 * subjects_scan_close) or STORE_ENOMEM. */
typedef struct subjects_scan subjects_scan;
int subjects_scan_open(store *st, const store_snapshot *snap, const subjects_keys *keys,
                       const char *after, subjects_scan **out);

/* The next record id into rid[RECORD_ID_LEN + 1]. Returns 1, 0 at the end, or STORE_EIO with
 * err. */
int subjects_scan_next(subjects_scan *s, char rid[RECORD_ID_LEN + 1], char *err);

/* As subjects_scan_next, with the record's page entry (records.h) in *val[*vlen]: of its
 * newest version when entries are left under several keys. The bytes stay valid until
 * subjects_scan_close (the scan's iterators are pinned), so a page is sent from them. */
int subjects_scan_next_entry(subjects_scan *s, char rid[RECORD_ID_LEN + 1], const void **val,
                             size_t *vlen, char *err);
void subjects_scan_close(subjects_scan *s);

#endif /* CREDIT_SUBJECTS_H */
