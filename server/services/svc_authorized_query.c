/*
 * svc_authorized_query.c — credit.v1.AuthorizedQuery: the open tier plus what a grant covers.
 *
 * Each method wraps OpenQuery's request with a grant id and runs OpenQuery's own read
 * (svc_query.c, svc_industrial.c) with tier TIER_AUTHORIZED and a query_under whose hooks
 * say which records the grant covers (the authorized tier for those, the open tier for the
 * rest) and, in place of the reply, write the grant's use with the call's audit entry
 * (node_commit_start) and answer once that write is fsynced (node_reply_durable), so no
 * completion-queue thread waits on the disk. A use is counted only for an answer that is
 * sent, and a refused or failed call uses nothing: the use reserved at the start
 * (authorization_use_begin) is handed back.
 *
 * What is refused, beyond authorization_use_begin's refusals:
 *  - ListRecords: filters (catalogues, categories, sections) naming something the grant's
 *    scope cannot cover ("out of scope"); a grant for a portrait template, always;
 *  - GetRecord: a record of another subject, or one the grant does not cover ("out of scope",
 *    "out of date range"), after the open tier's NOT_FOUND for one it does not show;
 *  - GetSeries: another enterprise; a section outside the scope; a range of times that misses
 *    the grant's record dates ("out of date range"). The range is narrowed to those dates
 *    (whole days in China Standard Time), so a page token stays tied to one narrowed query.
 *
 * A record's date, for the grant's range, is the day (China Standard Time) of its occurred_at,
 * else of its reported_at (records_date_of).
 *
 * ListRecords sends what the subject index prepared at write time (records.h) while it is
 * fresh: for a record the grant covers (told from the page entry by covers_entry, as covers
 * tells it from the record) its authorized-tier form, for one it does not its open-tier form;
 * so a page under a grant costs what an OpenQuery page costs, plus the use's write. A stale
 * entry, or one written before the authorized form, is read and shaped as GetRecord does.
 */
#include "svc_authorized_query.h"

#include "calendar.h"
#include "catalog.h"
#include "credit/v1/authorization.pb-c.h"
#include "node.h"
#include "svc_authorization.h"
#include "svc_industrial.h"
#include "svc_query.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define READ_MAX     480 /* what a use entry says was read */
#define READ_IDS_MAX 10  /* record ids a use entry names */
#define CST_OFFSET   (8 * 3600)
#define ENTRY_SECTION_MAX 128 /* a longer section in a page entry: the record is read */

/* One call's read under a grant. */
typedef struct under {
    authorization_use u;
    store_batch *b;
    int begun, written;
    const char *series; /* GetSeries: "section/metric" */
} under;

/* What reading `rec` is, for the grant: its catalogue, category or section, and date. */
static void want_of(const Credit__V1__Record *rec, authorization_want *w, Credit__V1__Date *d)
{
    const Credit__V1__RecordMeta *m = rec->meta;
    memset(w, 0, sizeof *w);
    if (!m)
        return;
    w->catalogue = m->catalogue;
    w->category = m->category;
    w->section = m->section;
    if (m->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC) {
        /* The public catalogue's sections are its categories (as OpenQuery's filter has it). */
        const ProtobufCEnumValue *e =
            protobuf_c_enum_descriptor_get_value(&credit__v1__category__descriptor, m->category);
        w->section = e ? e->name + strlen("CATEGORY_") : NULL;
    }
    records_date_of(rec, d); /* undated: 0-00-00, never inside a range of dates */
    w->record_date = d;
}

static int covers(void *arg, const Credit__V1__Record *rec)
{
    under *x = arg;
    authorization_want w;
    Credit__V1__Date d;
    want_of(rec, &w, &d);
    return authorization_covers(x->u.grant, &w);
}

/* covers, from a page entry's head and date (records.h): the same want as want_of makes of the
 * record the entry stands for. -1 for a section longer than ENTRY_SECTION_MAX (the record is
 * then read, and covers asked). */
static int covers_entry(void *arg, const records_entry *e)
{
    under *x = arg;
    char section[ENTRY_SECTION_MAX + 1];
    authorization_want w = {.catalogue = e->catalogue,
                            .category = e->category,
                            .section = section,
                            .record_date = &e->date};
    if (e->section_len > ENTRY_SECTION_MAX)
        return -1;
    memcpy(section, e->section, e->section_len);
    section[e->section_len] = '\0';
    if (e->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC) {
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value(&credit__v1__category__descriptor, e->category);
        w.section = v ? v->name + strlen("CATEGORY_") : NULL;
    }
    return authorization_covers(x->u.grant, &w);
}

/* Writes the use, saying what was read, with the call's audit entry, and answers `resp` once
 * that write is durable (node_reply_durable: no completion-queue thread waits for the fsync). */
static void write_use(under *x, rpc_call *call, const char *read, const ProtobufCMessage *resp)
{
    char detail[READ_MAX + 64];
    uint64_t ticket;
    if (authorization_use_note(call, &x->u, read, x->b) != 0) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
        return;
    }
    snprintf(detail, sizeof detail, "used grant %s (use %u): %s", x->u.grant->grant_id, x->u.number,
             read);
    if (node_commit_start(call, x->b, detail, &ticket) != 0)
        return;
    x->written = 1;
    node_reply_durable(call, resp, ticket);
}

static void reply(void *arg, rpc_call *call, const ProtobufCMessage *resp,
                  Credit__V1__Record *const *recs, size_t n)
{
    under *x = arg;
    const Credit__V1__Grant *g = x->u.grant;
    char read[READ_MAX];
    if (x->series) {
        snprintf(read, sizeof read, "series %s: %zu points", x->series, n);
        write_use(x, call, read, resp);
        return;
    }
    /* GetRecord (a page of records answers through reply_page) */
    const Credit__V1__RecordMeta *m = recs[0]->meta;
    authorization_want w;
    Credit__V1__Date d;
    want_of(recs[0], &w, &d);
    if (!m || !m->subject || !g->subject ||
        strcmp(m->subject->identifier, g->subject->identifier) != 0) {
        rpc_finish(call, RPC_PERMISSION_DENIED, "grant %s is for another subject", g->grant_id);
        return;
    }
    w.record_date = NULL;
    if (!authorization_covers(g, &w)) {
        rpc_finish(call, RPC_PERMISSION_DENIED, "grant %s does not cover record %s: out of scope",
                   g->grant_id, m->record_id);
        return;
    }
    w.record_date = &d;
    if (!authorization_covers(g, &w)) {
        rpc_finish(call, RPC_PERMISSION_DENIED,
                   "grant %s does not cover record %s, dated %04d-%02d-%02d: out of date "
                   "range",
                   g->grant_id, m->record_id, d.year, d.month, d.day);
        return;
    }
    snprintf(read, sizeof read, "record %s version %u", m->record_id, m->version);
    write_use(x, call, read, resp);
}

/* reply for a page of records: the use names the first READ_IDS_MAX of them. */
static void reply_page(void *arg, rpc_call *call, const ProtobufCMessage *resp,
                       const char (*ids)[RECORD_ID_LEN + 1], size_t n)
{
    char read[READ_MAX];
    size_t used = (size_t)snprintf(read, sizeof read, "%zu records", n);
    for (size_t i = 0; i < n && i < READ_IDS_MAX && used < sizeof read; i++)
        used += (size_t)snprintf(read + used, sizeof read - used, "%s%s", i ? ", " : ": ", ids[i]);
    if (n > READ_IDS_MAX && used < sizeof read)
        snprintf(read + used, sizeof read - used, " and %zu more", n - READ_IDS_MAX);
    write_use(arg, call, read, resp);
}

/* Starts a read under grant `grant_id` for `subject` (NULL: the grant's). Returns 0, or -1
 * with the call finished. */
static int under_begin(rpc_call *call, under *x, const char *grant_id,
                       const Credit__V1__SubjectRef *subject, const char *what)
{
    memset(x, 0, sizeof *x);
    if (!(x->b = store_batch_create())) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    if (authorization_use_begin(call, grant_id, subject, NULL, what, x->b, &x->u) != 0)
        return -1;
    x->begun = 1;
    return 0;
}

static void under_end(under *x)
{
    if (x->begun)
        authorization_use_end(&x->u, x->written);
    store_batch_destroy(x->b);
}

static int out_of_scope(rpc_call *call, const under *x, const char *what)
{
    rpc_finish(call, RPC_PERMISSION_DENIED, "grant %s does not cover %s: out of scope",
               x->u.grant->grant_id, what);
    return -1;
}

static int check_request(rpc_call *call, const void *inner)
{
    if (inner)
        return 0;
    rpc_finish(call, RPC_INVALID_ARGUMENT, "request: is required");
    return -1;
}

static void aq_list(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__AuthorizedListRecordsRequest *req = (const void *)msg;
    under x;
    if (check_request(call, req->request) != 0 ||
        under_begin(call, &x, req->grant_id, req->request->subject, "records") != 0)
        goto out;
    if (authorization_check_listing(call, x.u.grant, req->request) != 0)
        goto out;
    Credit__V1__ListRecordsRequest inner = *req->request;
    if (!inner.subject)
        inner.subject = x.u.grant->subject;
    query_under qu = {
        .covers = covers, .covers_entry = covers_entry, .reply_page = reply_page, .arg = &x};
    query_list_records(call, &inner.base, TIER_AUTHORIZED, &qu);
out:
    if (req->request)
        under_end(&x);
}

static void aq_get(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__AuthorizedGetRecordRequest *req = (const void *)msg;
    under x;
    if (check_request(call, req->request) != 0)
        return;
    if (under_begin(call, &x, req->grant_id, NULL, "a record") == 0) {
        query_under qu = {.covers = covers, .reply = reply, .arg = &x};
        query_get_record(call, &req->request->base, TIER_AUTHORIZED, &qu);
    }
    under_end(&x);
}

/* The first second (China Standard Time) of day d, as Unix time. */
static int64_t day_start(const Credit__V1__Date *d)
{
    return calendar_days_from_civil(d->year, d->month, d->day) * 86400 - CST_OFFSET;
}

static void aq_series(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__AuthorizedSeriesRequest *req = (const void *)msg;
    under x;
    if (check_request(call, req->request) != 0)
        return;
    if (under_begin(call, &x, req->grant_id, NULL, "a series") != 0)
        goto out;
    const Credit__V1__Grant *g = x.u.grant;
    Credit__V1__SeriesRequest inner = *req->request;
    if (!g->subject || strcmp(inner.enterprise_uscc, g->subject->identifier) != 0) {
        rpc_finish(call, RPC_PERMISSION_DENIED, "grant %s is for another subject", g->grant_id);
        goto out;
    }
    authorization_want w = {.catalogue = CREDIT__V1__CATALOGUE__CATALOGUE_INDUSTRIAL,
                            .section = inner.section};
    if (!authorization_covers(g, &w)) {
        char what[96];
        snprintf(what, sizeof what, "section %.64s", inner.section);
        out_of_scope(call, &x, what);
        goto out;
    }
    /* Narrowed to the grant's record dates: [first day's start, the day after the last). */
    Credit__V1__Date after;
    calendar_add_days(g->data_to, 1, &after);
    Google__Protobuf__Timestamp since = GOOGLE__PROTOBUF__TIMESTAMP__INIT,
                                to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    since.seconds = day_start(g->data_from);
    to.seconds = day_start(&after);
    if (inner.since && (inner.since->seconds > since.seconds ||
                        (inner.since->seconds == since.seconds && inner.since->nanos > 0)))
        since = *inner.since;
    int64_t now = (int64_t)time(NULL);
    int keep_to = !inner.to && to.seconds > now; /* unset means now, inside the range */
    if (inner.to && inner.to->seconds < to.seconds)
        to = *inner.to;
    if ((keep_to ? now : to.seconds) <= since.seconds) {
        rpc_finish(call, RPC_PERMISSION_DENIED,
                   "grant %s covers records dated %04d-%02d-%02d to %04d-%02d-%02d; the range "
                   "asked misses them: out of date range",
                   g->grant_id, g->data_from->year, g->data_from->month, g->data_from->day,
                   g->data_to->year, g->data_to->month, g->data_to->day);
        goto out;
    }
    inner.since = &since;
    if (!keep_to)
        inner.to = &to;
    char series[160];
    snprintf(series, sizeof series, "%.64s/%.64s", inner.section, inner.metric);
    x.series = series;
    query_under qu = {.covers = covers, .reply = reply, .arg = &x};
    industrial_get_series(call, &inner.base, TIER_AUTHORIZED, &qu);
out:
    under_end(&x);
}

static const rpc_handler handlers[] = {
    {.method = "ListRecords", .on_message = aq_list},
    {.method = "GetRecord", .on_message = aq_get},
    {.method = "GetSeries", .on_message = aq_series},
};

RPC_REGISTERED_SERVICE(authorized_query_service, credit__v1__authorized_query__descriptor,
                       handlers);
