/*
 * svc_query.c — credit.v1.OpenQuery and credit.v1.GovernmentSharing: public records by tier.
 *
 * One implementation serves both tiers; the tier decides three things:
 *  - who may call: the capability read.open or read.government (authz.c; checked before these
 *    handlers run);
 *  - which records: the open tier never shows a withdrawn or repaired record, nor a penalty
 *    past its end of publicity; the government tier shows every record with its status;
 *  - which fields: personal identity numbers (a natural person's identifier, a legal
 *    representative's ID number) are government tier; the open tier gets them cleared, the
 *    government tier gets them unsealed. GetRecord's history is government tier.
 * A record the caller's tier may not see is NOT_FOUND, so the open tier cannot probe for it.
 * GetRecord also gives the unit that pushed a voluntary declaration its declaration in any
 * state, with its status (tier_shows_to); ListRecords shares by the tier alone.
 * The rules themselves are in tier.c.
 *
 * ListRecords reads a subject's page entries (records.h) in one prefix scan per subject key;
 * the open tier sends the form each version was given when it was written, as it is, while it
 * is fresh; so does a read under a grant (AuthorizedQuery), the authorized form for a record
 * its grant covers and the open form for one it does not; the government tier, and a record
 * whose forms are stale (or were never prepared), is read and shaped here. A form is only
 * sent while it is byte for byte what the shaping here would give.
 */
#include "svc_query.h"

#include "credit/v1/sharing.pb-c.h"
#include "tier.h"

#include "calendar.h"
#include "log.h"
#include "node.h"
#include "publicity.h"
#include "records.h"
#include "registry.h"
#include "subjects.h"
#include "svc_industrial.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_DEFAULT 50
#define PAGE_MAX 500
#define HISTORY_DEFAULT 100
#define HISTORY_MAX 500
#define HISTORY_BYTES_MAX (1u << 20) /* a page of history stays far below a client's 4 MiB */
#define IDENT_MAX 64   /* a subject's identifier asked for: one line */
#define SECTION_MAX 64 /* a section code asked for: one line */

static void today(Credit__V1__Date *d)
{
    calendar_from_unix((int64_t)time(NULL), d);
}

int query_check_subject_ref(rpc_call *call, const Credit__V1__SubjectRef *ref)
{
    char why[128];
    if (!ref || ref->kind == 0 ||
        !protobuf_c_enum_descriptor_get_value(&credit__v1__subject_kind__descriptor, ref->kind)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "subject.kind: a subject kind is required");
        return -1;
    }
    if (node_check_text(call, "subject.identifier", ref->identifier, IDENT_MAX,
                        TEXT_REQUIRED) != 0)
        return -1;
    /* x and X are one check character: the index is made from the upper case. */
    if (ref->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON)
        validate_resident_id_normalise(ref->identifier);
    if (ref->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON &&
        validate_resident_id(ref->identifier, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "subject.identifier: %s", why);
        return -1;
    }
    return 0;
}

/* Whether the request asks for records of this catalogue, category and section (the meta's,
 * section[section_len] not NUL-terminated): of its catalogues (categories alone mean the
 * public catalogue), categories (public records) and sections (any). Asked of a page entry's
 * head, so that a record the page skips is never decoded. */
static int wanted(const Credit__V1__ListRecordsRequest *req, int catalogue, int category,
                  const char *section, size_t section_len)
{
    int pub = catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;
    size_t i;
    if (req->n_catalogues) {
        for (i = 0; i < req->n_catalogues && (int)req->catalogues[i] != catalogue; i++)
            ;
        if (i == req->n_catalogues)
            return 0;
    } else if (req->n_categories && !pub) {
        return 0;
    }
    if (pub && req->n_categories) {
        for (i = 0; i < req->n_categories && (int)req->categories[i] != category; i++)
            ;
        if (i == req->n_categories)
            return 0;
    }
    if (req->n_sections) {
        const ProtobufCEnumValue *e =
            protobuf_c_enum_descriptor_get_value(&credit__v1__category__descriptor, category);
        if (pub && e) {
            section = e->name + strlen("CATEGORY_");
            section_len = strlen(section);
        }
        for (i = 0; i < req->n_sections; i++)
            if (strlen(req->sections[i]) == section_len &&
                memcmp(req->sections[i], section, section_len) == 0)
                break;
        if (i == req->n_sections)
            return 0;
    }
    return 1;
}

static int wanted_meta(const Credit__V1__ListRecordsRequest *req, const Credit__V1__RecordMeta *m)
{
    return wanted(req, m->catalogue, m->category, m->section ? m->section : "",
                  m->section ? strlen(m->section) : 0);
}

/* The bytes this read sends for page entry `e` as prepared at write time (*len long), or NULL
 * when the record must be read and shaped: the open form to the open tier; under a grant the
 * authorized form for a record the grant covers, the open form for one it does not. Only
 * forms fresh on `today` under catalogue version `cv` (the one in force). */
static const void *prepared_form(const records_entry *e, tier t, const query_under *u, uint32_t cv,
                                 const Credit__V1__Date *today, size_t *len)
{
    if (t == TIER_OPEN && !u && records_entry_open_fresh(e, cv, today)) {
        *len = e->open_len;
        return e->open;
    }
    if (t != TIER_AUTHORIZED || !u || !u->covers_entry || !records_entry_forms_fresh(e, cv, today))
        return NULL;
    int covered = u->covers_entry(u->arg, e);
    if (covered < 0)
        return NULL;
    *len = covered ? e->authorized_len : e->open_len;
    return covered ? e->authorized : e->open;
}

void query_list_records(rpc_call *call, const ProtobufCMessage *msg, tier t,
                        const query_under *u)
{
    const Credit__V1__ListRecordsRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    if (query_check_subject_ref(call, req->subject) != 0)
        return;
    if (req->page_size < 0 || req->page_size > PAGE_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "page_size: must be 0 (default %d) to %d",
                   PAGE_DEFAULT, PAGE_MAX);
        return;
    }
    char after[PAGETOKEN_POS_MAX + 1];
    size_t after_len;
    if (node_page_record_after(call, msg, req->page_token, after, &after_len) != 0)
        return;
    for (size_t i = 0; i < req->n_categories; i++) {
        if (!protobuf_c_enum_descriptor_get_value(&credit__v1__category__descriptor,
                                                  req->categories[i])) {
            rpc_finish(call, RPC_INVALID_ARGUMENT, "categories[%zu]: %d is not a category", i,
                       req->categories[i]);
            return;
        }
    }
    for (size_t i = 0; i < req->n_catalogues; i++) {
        if (req->catalogues[i] == CREDIT__V1__CATALOGUE__CATALOGUE_UNSPECIFIED ||
            !protobuf_c_enum_descriptor_get_value(&credit__v1__catalogue__descriptor,
                                                  req->catalogues[i])) {
            rpc_finish(call, RPC_INVALID_ARGUMENT, "catalogues[%zu]: %d is not a catalogue", i,
                       req->catalogues[i]);
            return;
        }
    }
    for (size_t i = 0; i < req->n_sections; i++) {
        char field[32];
        snprintf(field, sizeof field, "sections[%zu]", i);
        if (node_check_text(call, field, req->sections[i], SECTION_MAX, TEXT_REQUIRED) != 0)
            return;
    }
    size_t want = req->page_size ? (size_t)req->page_size : PAGE_DEFAULT;
    Credit__V1__Date d;
    today(&d);

    /* One subject may be filed under several keys (its USCC's, and the older codes' bound to
     * it since): the scans of all of them are merged in record-id order, the order a page
     * token's position is in, so paging is the same as over one key. */
    records_page page;
    char err[STORE_ERR_LEN], why[200];
    const char *field = "subject.identifier";
    subjects_keys keys = {0};
    subjects_scan *scan = NULL;
    int no_page = records_page_init(&page, want);
    store_snapshot *snap = store_snapshot_create(n->st); /* one view for keys and records */
    if (no_page || !snap) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    int code = subjects_keys_of(n->st, snap, n->pv, req->subject->kind,
                                req->subject->identifier, &keys, &field, why);
    if (code != 0) {
        rpc_finish(call, code, "%s: %s", field, why);
        goto out;
    }
    int rc = subjects_scan_open(n->st, snap, &keys, after_len ? after : NULL, &scan);
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), "out of memory");
        goto out;
    }
    /* Each entry carries what the page needs: its head says whether the request wants the
     * record; the open and the authorized tier send the forms prepared at write time while
     * they are fresh (prepared_form); anything else (the government tier, a stale form) is
     * read from RECORDS and shaped here. The forms' bytes stay valid until the scan closes,
     * after the reply is packed (a pinned iterator's values, store.h). */
    char rid[RECORD_ID_LEN + 1];
    const void *val;
    size_t vlen;
    uint32_t in_force = catalog_now(n->cat)->msg->version;
    while ((rc = subjects_scan_next_entry(scan, rid, &val, &vlen, err)) > 0) {
        Credit__Store__V1__StoredRecord *sr = NULL;
        records_entry e;
        int form = records_entry_read(val, vlen, &e);
        if (form == 1 && !wanted(req, e.catalogue, e.category, e.section, e.section_len))
            continue;
        size_t flen;
        const void *fast = form == 1 ? prepared_form(&e, t, u, in_force, &d, &flen) : NULL;
        if (fast) {
            if (records_page_add_packed(&page, rid, fast, flen))
                break;
            continue;
        }
        if (form < 0)
            snprintf(err, STORE_ERR_LEN, "the subject index entry of %.40s is damaged", rid);
        if ((rc = form < 0 ? form : records_get(n->st, snap, rid, &sr, err)) != 0) {
            log_event(LOG_ERROR, "store", "op=list record=%s err=%s", rid, err);
            rpc_finish(call, status_from_store(rc), "the store cannot be read now");
            goto out;
        }
        if (!wanted_meta(req, sr->record->meta) || !tier_shows(sr->record, t, &d)) {
            credit__store__v1__stored_record__free_unpacked(sr, NULL);
            continue;
        }
        /* A further record the caller gets once the page is full: the page ends before it. */
        if (records_page_add(&page, sr))
            break;
        /* Under a grant, the authorized tier only for the records it covers. */
        if (node_shape_record(n, sr, u && !u->covers(u->arg, sr->record) ? TIER_OPEN : t, err) !=
            0) {
            rpc_finish(call, RPC_DATA_LOSS, "record %s cannot be unsealed: %s", rid, err);
            goto out;
        }
    }
    if (u && rc >= 0) {
        /* Under a grant the use is written first; its reply sends the page as it is packed. */
        Credit__V1__ListRecordsResponse resp;
        Credit__Store__V1__RecordsPageWire wire;
        char token[PAGETOKEN_MAX];
        const ProtobufCMessage *m =
            node_records_page_message(call, msg, &page, &resp, &wire, token);
        if (m)
            u->reply_page(u->arg, call, m, page.ids, page.n);
        goto out;
    }
    node_reply_records_page(call, msg, rc, &page);
out:
    subjects_scan_close(scan);
    subjects_keys_cleanup(&keys);
    if (snap)
        store_snapshot_release(n->st, snap);
    records_page_cleanup(&page);
}

void query_get_record(rpc_call *call, const ProtobufCMessage *msg, tier t,
                      const query_under *u)
{
    const Credit__V1__GetRecordRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    char err[STORE_ERR_LEN];
    if (records_check_id(req->record_id) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "record_id: not a record id (32 hex characters)");
        return;
    }
    if (req->history_page_size < 0 || req->history_page_size > HISTORY_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "history_page_size: must be 0 (default %d) to %d",
                   HISTORY_DEFAULT, HISTORY_MAX);
        return;
    }
    Credit__Store__V1__StoredRecord *sr = NULL, **hist = NULL;
    Credit__V1__Record **hist_recs = NULL;
    size_t n_hist = 0, n_all = 0;
    int rc = records_get(n->st, NULL, req->record_id, &sr, err);
    Credit__V1__Date d;
    today(&d);
    if (rc == STORE_ENOTFOUND ||
        (rc == 0 && !tier_shows_to(sr->record, t, &d, node_caller(call)->code))) {
        rpc_finish(call, RPC_NOT_FOUND, "no record %s in the %s tier", req->record_id,
                   t == TIER_OPEN ? "open" : t == TIER_AUTHORIZED ? "authorized" : "government");
        goto out;
    }
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), "the store cannot be read now");
        goto out;
    }
    if (node_shape_record(n, sr, u && !u->covers(u->arg, sr->record) ? TIER_OPEN : t, err) != 0) {
        rpc_finish(call, RPC_DATA_LOSS, "record %s cannot be unsealed: %s", req->record_id, err);
        goto out;
    }
    Credit__V1__GetRecordResponse resp = CREDIT__V1__GET_RECORD_RESPONSE__INIT;
    resp.record = sr->record;
    uint32_t current = sr->record->meta->version;
    resp.versions = current;
    char token[PAGETOKEN_MAX] = "";
    if (t != TIER_GOVERNMENT && req->history_page_token[0]) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "history_page_token: only the government tier gives a record's history");
        goto out;
    }
    char pos[PAGETOKEN_POS_MAX + 1];
    size_t pos_len = 0;
    if (t == TIER_GOVERNMENT &&
        node_page_position(call, msg, "history_page_token", req->history_page_token, pos,
                           &pos_len) != 0)
        goto out;
    if (t == TIER_GOVERNMENT && current > 1) {
        /* A page of the earlier versions, 1 to current - 1, from where the token says. */
        char *end;
        uint32_t from = 1;
        if (pos_len) {
            unsigned long v = strtoul(pos, &end, 10);
            if (*end || v < 2 || v >= current) {
                rpc_finish(call, RPC_INVALID_ARGUMENT,
                           "history_page_token: not a token this node gave for this record");
                goto out;
            }
            from = (uint32_t)v;
        }
        size_t want = req->history_page_size ? (size_t)req->history_page_size : HISTORY_DEFAULT;
        if (want > current - from)
            want = current - from;
        int hrc = records_history_range(n->st, NULL, req->record_id, from, want,
                                        HISTORY_BYTES_MAX, &hist, &n_all, err);
        if (hrc != 0) {
            rpc_finish(call, status_from_store(hrc), "the history cannot be read now");
            goto out;
        }
        n_hist = n_all;
        uint32_t next = from + (uint32_t)n_hist;
        if (n_hist && next < current) {
            char at[16];
            int len = snprintf(at, sizeof at, "%u", next);
            if (node_page_token(call, msg, at, (size_t)len, token) != 0)
                goto out;
        }
        resp.next_history_page_token = token;
        hist_recs = calloc(n_hist ? n_hist : 1, sizeof *hist_recs);
        if (!hist_recs) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n_hist; i++) {
            if (node_shape_record(n, hist[i], t, err) != 0) {
                rpc_finish(call, RPC_DATA_LOSS, "a version cannot be unsealed: %s", err);
                goto out;
            }
            hist_recs[i] = hist[i]->record;
        }
        resp.history = hist_recs;
        resp.n_history = n_hist;
    }
    if (u)
        u->reply(u->arg, call, &resp.base, &resp.record, 1);
    else
        rpc_reply(call, &resp.base);
out:
    free(hist_recs);
    records_free_history(hist, n_all);
    if (sr)
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
}

static void open_list(rpc_call *call, const ProtobufCMessage *msg)
{
    query_list_records(call, msg, TIER_OPEN, NULL);
}

static void open_get(rpc_call *call, const ProtobufCMessage *msg)
{
    query_get_record(call, msg, TIER_OPEN, NULL);
}

static void gov_list(rpc_call *call, const ProtobufCMessage *msg)
{
    query_list_records(call, msg, TIER_GOVERNMENT, NULL);
}

static void gov_get(rpc_call *call, const ProtobufCMessage *msg)
{
    query_get_record(call, msg, TIER_GOVERNMENT, NULL);
}

/* Series are svc_industrial.c's; the tier is ours to say. */
static void open_series(rpc_call *call, const ProtobufCMessage *msg)
{
    industrial_get_series(call, msg, TIER_OPEN, NULL);
}

static void gov_series(rpc_call *call, const ProtobufCMessage *msg)
{
    industrial_get_series(call, msg, TIER_GOVERNMENT, NULL);
}

static const rpc_handler open_handlers[] = {
    {.method = "ListRecords", .on_message = open_list},
    {.method = "GetRecord", .on_message = open_get},
    {.method = "GetSeries", .on_message = open_series},
};

static const rpc_handler gov_handlers[] = {
    {.method = "ListRecords", .on_message = gov_list},
    {.method = "GetRecord", .on_message = gov_get},
    {.method = "GetSeries", .on_message = gov_series},
};

RPC_REGISTERED_SERVICE(open_query_service, credit__v1__open_query__descriptor, open_handlers);

RPC_REGISTERED_SERVICE(government_sharing_service, credit__v1__government_sharing__descriptor,
                       gov_handlers);
