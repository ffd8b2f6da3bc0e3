/*
 * records.h — public-credit records in the store.
 *
 * Layout (column family: key -> value):
 *   RECORDS   record_id                         -> StoredRecord, the latest version
 *   HISTORY   record_id | be32(version)         -> StoredRecord, every version but the latest,
 *                                                  append-only (older data directories also
 *                                                  hold the latest there: never read)
 *   SUBJECTS  subject_key | record_id           -> the record's page entry (below)
 *   SOURCES   unit | 0x00 | source_record_id    -> record_id (the idempotency index)
 *   SOURCES   0x01 | record_id | SHA-256        -> be32(version): the newest superseded
 *                                                  version with that content (the content
 *                                                  digest index; the latest version's digest
 *                                                  is in the latest version)
 * record_id is 32 lowercase hex characters: 8 bytes of milliseconds since the epoch, then 8
 * random bytes, so ids sort by creation time. subject_key is the key of the subject the record
 * is about, made by subjects.h (which also keeps the older codes bound to a USCC in SUBJECTS):
 * 'U' uscc 0x00, 'A' type code 0x00 or 'P' hex(privacy index) 0x00; never an identity number.
 *
 * The page entry. A subject's page is one prefix scan of the subject index, so each entry
 * carries what a page needs of its record's latest version (records_entry, made by
 * records_put_version, read by records_entry_read): what a listing filters on (catalogue,
 * category, section, version) and, when the node prepares them (records_prepare_under), the
 * record's open-tier form: the packed credit.v1.Record as the open tier gets it under the
 * catalogue version in force when it was written, together with that version's number and
 * the last day its publicity rule shows it (none is prepared for a record the open tier does
 * not show by its status). A reader sends that form as it is while the same catalogue version
 * is in force and the day has not passed; once another version takes effect the form is stale
 * and the reader reads RECORDS and shapes the record instead, as it does for the government
 * tier (whose identity numbers are unsealed per read) and for an entry of "" (a data directory
 * written before page entries), which names its record only.
 *
 * With the open form, an entry written since also carries the record's authorized-tier form
 * (what AuthorizedQuery sends for a record its grant covers: the authorized tier's values,
 * personal identity numbers still cleared, as tier_clear leaves them) and the record's date
 * as a grant's range of record dates takes it (records_date_of). The authorized tier shows a
 * record exactly when the open tier does (tier_shows tells only the government tier apart),
 * so both forms are shaped under the same catalogue version and have the same last day: they
 * are fresh, or stale, together. An entry with the open form only (written before) has no
 * authorized form: a reader under a grant reads RECORDS for it.
 *
 * A StoredRecord never holds a personal identity number in clear: records_seal takes them
 * out of the record and seals them; records_unseal puts them back for a caller whose tier
 * may see them. Nothing here deletes a record or a version.
 *
 * Errors are STORE_E* codes: "not found" is STORE_ENOTFOUND, a normal result; a stored value
 * that does not decode (or an index entry of the wrong shape) is STORE_ECORRUPT.
 *
 * Threads: pure functions of their arguments and the (thread-safe) store and privacy objects.
 */
#ifndef CREDIT_RECORDS_H
#define CREDIT_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "credit/store/v1/stored.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "privacy.h"
#include "store.h"

#define RECORD_ID_LEN 32           /* hex characters, without the NUL */
#define SUBJECT_KEY_MAX 256 /* a subject key, with its 0x00 (subjects.h) */

/* A fresh record id into out[RECORD_ID_LEN + 1]. */
void records_new_id(char out[RECORD_ID_LEN + 1]);

/* Checks that `id` is a well-formed record id. */
int records_check_id(const char *id);

/* The latest stored version of a record (free with credit__store__v1__stored_record__free_unpacked).
 * STORE_ENOTFOUND when there is no such record. `snap` may be NULL. */
int records_get(store *st, const store_snapshot *snap, const char *record_id,
                Credit__Store__V1__StoredRecord **out, char *err);

/* The latest stored versions of records ids[0..n), given in ascending order (as the subject
 * index gives them; else STORE_EINVAL), read in one pass of the store (store_multi_get): for
 * each in order, fn(ctx, i, sr) with the decoded record, which fn may change but not keep
 * (it is freed after the call), or NULL when there is no such record. A non-zero return of fn
 * stops the pass and is returned. Returns 0, that, STORE_ECORRUPT (a value that does not
 * decode, err naming the record), STORE_EINVAL, STORE_ENOMEM or STORE_EIO. */
typedef int (*records_visit_fn)(void *ctx, size_t i, Credit__Store__V1__StoredRecord *sr);
int records_visit(store *st, const store_snapshot *snap, const char *const *ids, size_t n,
                  records_visit_fn fn, void *ctx, char *err);

/* Version `version` of a record, wherever it is kept: RECORDS while it is the latest, HISTORY
 * once a later one superseded it. Free *out with credit__store__v1__stored_record__free_unpacked.
 * STORE_ENOTFOUND when the record has no such version. */
int records_get_version(store *st, const store_snapshot *snap, const char *record_id,
                        uint32_t version, Credit__Store__V1__StoredRecord **out, char *err);

/* The earlier versions of a record (every one but the latest), oldest first: a malloc'd array
 * of *n unpacked messages; free with records_free_history. */
int records_history(store *st, const store_snapshot *snap, const char *record_id,
                    Credit__Store__V1__StoredRecord ***out, size_t *n, char *err);
void records_free_history(Credit__Store__V1__StoredRecord **v, size_t n);

/* As records_history, for the versions from `from` (1 is the first) on, at most `max` of
 * them, and no more once they add up to `max_bytes` encoded (at least one is given). Only
 * versions before the latest are in HISTORY: ask for at most latest - from of them. */
int records_history_range(store *st, const store_snapshot *snap, const char *record_id,
                          uint32_t from, size_t max, size_t max_bytes,
                          Credit__Store__V1__StoredRecord ***out, size_t *n, char *err);

/* The newest superseded version of a record whose content digest is `digest` (32 bytes), into
 * *version; 0 when no earlier version has it (compare the latest version's own
 * content_digest first: it is indexed only once superseded). One point lookup in the digest
 * index that records_put_version keeps (SOURCES, 0x01 | record_id | digest -> be32(version)),
 * so the cost does not grow with the record's history. Returns 0 or a STORE_ error with err. */
int records_version_with_digest(store *st, const char *record_id, const unsigned char *digest,
                                uint32_t *version, char *err);

/* The record id a unit's source record was stored under, into rid[RECORD_ID_LEN + 1]. */
int records_by_source(store *st, const char *unit, const char *source_record_id,
                      char rid[RECORD_ID_LEN + 1], char *err);

/* Adds a version to the batch: RECORDS (the latest) and, when it supersedes `prev` (the
 * version stored before it, as records_get gave it; NULL for a version 1), prev into HISTORY;
 * the SOURCES and SUBJECTS entries too (they are the same for every version, so writing them
 * again is harmless; the SUBJECTS one is the version's page entry), and prev's content digest
 * into the digest index. So each version's encoding is written once while it is the latest
 * and once more into HISTORY when a new one supersedes it, never twice in one write. `sr`
 * must already be sealed. Adds every entry or none. Preparing the open-tier form clears
 * values of sr->record in place and puts them back before it returns: sr must not be read by
 * another thread meanwhile (it is the caller's own). Returns 0, STORE_ENOMEM or STORE_EINVAL
 * (a key that does not fit; a prev of another record, or not older than sr). */
int records_put_version(store_batch *b, const Credit__Store__V1__StoredRecord *sr,
                        const char *subject_key, size_t subject_key_len,
                        const Credit__Store__V1__StoredRecord *prev);

/* The catalogue under which records_put_version prepares each version's open-tier form (the
 * version in force at the write). Set once at start-up, before the first write and before
 * other threads run; NULL (the default, as in tools that only read): no form is prepared and
 * readers shape records as they read them. */
void records_prepare_under(catalog *cat);

/* The date of `rec` as a grant's range of record dates takes it: the day, China Standard Time
 * (calendar_from_unix), of its occurred_at, else of its reported_at; an undated record gets
 * the date 0-00-00, inside no range. */
void records_date_of(const Credit__V1__Record *rec, Credit__V1__Date *d);

/* A page entry as records_entry_read finds it; its pointers borrow the entry's bytes. */
typedef struct records_entry {
    uint32_t version;    /* the record's version */
    int catalogue;       /* Credit__V1__Catalogue */
    int category;        /* Credit__V1__Category */
    const char *section; /* the meta's section, not NUL-terminated */
    size_t section_len;
    /* The open-tier form, or NULL: none was prepared (or it would never be shown). */
    const void *open;
    size_t open_len;
    uint32_t open_catalogue_version; /* the catalogue version it was shaped under */
    uint32_t open_last_day;          /* yyyymmdd of its last day shown; 0: no end */
    /* The authorized-tier form, or NULL (none prepared: an entry written before them). It may
     * point at the open form's bytes: the two are the same when the record has no value of
     * the authorized tier. Shaped under the open form's catalogue version, shown as long. */
    const void *authorized;
    size_t authorized_len;
    Credit__V1__Date date; /* with the authorized form: records_date_of the record */
} records_entry;

/* Reads page entry val[len]. Returns 1 with *e filled, 0 for an entry of the older, empty
 * form (read RECORDS), or STORE_ECORRUPT for bytes of another shape. */
int records_entry_read(const void *val, size_t len, records_entry *e);

/* Whether the open-tier form of `e` is what the open tier gets on day `today` under catalogue
 * version `cv` (the one in force): prepared under that version, its publicity not ended. */
int records_entry_open_fresh(const records_entry *e, uint32_t cv, const Credit__V1__Date *today);

/* The same for the authorized-tier form of `e` (and e's open form, which a grant's reader
 * sends for a record the grant does not cover): both are there and fresh. */
int records_entry_forms_fresh(const records_entry *e, uint32_t cv, const Credit__V1__Date *today);

/* Adds to the batch the removal of the subject index entry old_key | record_id, left behind
 * when a record's new version is filed under another subject key (an older code since bound
 * to a USCC). Returns 0, or STORE_EINVAL (no such entry can exist: nothing added). */
int records_unindex_subject(store_batch *b, const void *old_key, size_t old_len,
                            const char *record_id);

/* A scan of the latest versions of every record, in record-id order (creation order), from
 * the record after `after` (NULL or "": from the first). `snap` may be NULL. Returns 0 with
 * *out (close with records_scan_close) or STORE_ENOMEM. */
typedef struct records_scan records_scan;
int records_scan_open(store *st, const store_snapshot *snap, const char *after,
                      records_scan **out);

/* The next record (free with credit__store__v1__stored_record__free_unpacked); one that does
 * not decode, or holds no record, is skipped. Returns 1, 0 at the end, or STORE_EIO with
 * err. */
int records_scan_next(records_scan *s, Credit__Store__V1__StoredRecord **out, char *err);
void records_scan_close(records_scan *s);

/* Moves the personal identity numbers of `sr->record` into sealed fields (replacing the
 * strings in the record with ""); the record id and version must be set, they are the
 * associated data. The record's strings must be malloc'd (as from unpack) or static; the
 * replaced ones are freed. Returns 0 or -1 with err. */
int records_seal(const privacy *pv, Credit__Store__V1__StoredRecord *sr, char *err);

/* The reverse, for a caller who may see them. Returns 0 or -1 with err (a wrong key, a
 * tampered value). */
int records_unseal(const privacy *pv, Credit__Store__V1__StoredRecord *sr, char *err);

/* A page of records on its way to a ListRecordsResponse: the records kept (owned by the page),
 * at most `want` and, past the first, at most RECORDS_PAGE_BYTES_MAX encoded (so that a page
 * of large records stays far below a client's default 4 MiB), and the position of the page
 * after it. */
#define RECORDS_PAGE_BYTES_MAX (2u << 20)

typedef struct records_page {
    Credit__Store__V1__StoredRecord **kept; /* NULL where the record is packed bytes */
    Credit__V1__Record **recs; /* kept[i]->record, as the response lists them */
    ProtobufCBinaryData *packed; /* where kept[i] is NULL: the packed record (borrowed) */
    size_t n, want, n_packed;
    size_t bytes; /* the kept records' encoded size */
    char (*ids)[RECORD_ID_LEN + 1]; /* the kept records' ids, in the page's order */
    char next[RECORD_ID_LEN + 1]; /* "" while the page is not full */
    unsigned char *wire_buf;      /* records_page_wire's packing of the unpacked ones */
} records_page;

/* Returns 0, or -1 when out of memory (the page is then empty but may be cleaned up). */
int records_page_init(records_page *p, size_t want);

/* Keeps `sr` (the page takes it) and returns 0; or, when the page is already full (by count
 * or by size), frees sr,
 * sets p->next to the last kept record's id and returns 1: the caller stops there. */
int records_page_add(records_page *p, Credit__Store__V1__StoredRecord *sr);

/* As records_page_add, for record `record_id` given as the bytes of a packed credit.v1.Record
 * (borrowed: they must stay valid until the page's reply is packed; a pinned iterator's
 * values do, store.h). Returns 0, or 1 when the page is full (nothing kept). */
int records_page_add_packed(records_page *p, const char *record_id, const void *bytes, size_t len);

/* Points `resp` at the page's records and token; valid until records_page_cleanup. Only for
 * a page without packed records (p->n_packed == 0). */
void records_page_response(records_page *p, Credit__V1__ListRecordsResponse *resp);

/* Points `w` (the ListRecordsResponse's wire twin) at the page's records, packing those the
 * page holds unpacked into one buffer the page owns, and at its token; valid until
 * records_page_cleanup. Returns 0, or -1 when out of memory. */
int records_page_wire(records_page *p, Credit__Store__V1__RecordsPageWire *w);

void records_page_cleanup(records_page *p);

#endif /* CREDIT_RECORDS_H */
