/*
 * svc_authorization.c — credit.v1.Authorization: consent grants from a subject to a grantee,
 * and authorization_use_begin/_end, the one gate of every read under a grant.
 *
 * Who acts (who may call each method at all is the permission table's, authz.c):
 *  - the grantee files the request (authorization.request) and reads its own grants;
 *  - the subject decides: a UNIT_KIND_SUBJECT unit (subject.self) only about the subject
 *    whose USCC it registered; the portal (authorization.relay) for any subject it identified,
 *    and its approval must carry the SHA-256 digest of the signed authorization document;
 *  - nobody else sees a grant: to them it is NOT_FOUND, as one that does not exist.
 *
 * Status: REQUESTED → ACTIVE (approve) or REJECTED (reject); ACTIVE ⇄ PAUSED (pause, resume);
 * REQUESTED, ACTIVE or PAUSED → REVOKED. A grant that is neither revoked nor rejected reads as
 * EXPIRED from the end of its validity window: worked out when it is read, never written, and
 * shown in its history as a transition at that instant by nobody. Each change writes the whole
 * grant again with one more transition, with its audit entry, under `write_mu`, so that two
 * changes of one grant never both read the same old status.
 *
 * Uses: see svc_authorization.h and grants.h. The status check of a use is not under
 * `write_mu`: a use that passed its check while the subject's revocation was being written
 * may still be written; the revocation refuses every use checked after it is written.
 *
 * Grants name legal-person subjects only for now (any subject kind but natural persons): a
 * natural person's identity number must not be stored or indexed in clear (privacy.h), and a
 * grant's subject is both.
 */
#include "svc_authorization.h"

#include "authz.h"
#include "calendar.h"
#include "catalog.h"
#include "feed.h"
#include "grants.h"
#include "log.h"
#include "node.h"
#include "text.h"
#include "validate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PURPOSE_CODE_MAX 32
#define PURPOSE_TEXT_MAX 1024
#define REASON_MAX       1024
#define USE_LIMIT_MAX    1000000u
#define SCOPE_ITEMS_MAX  64
#define DAY_SECONDS      86400

/* Serializes every read-modify-write of a grant's status. */
static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER;

/* Set once at start-up, before any handler runs. */
static long max_days = 365;

void authorization_set_max_days(long days)
{
    max_days = days;
}

static const char *status_name(int s)
{
    const ProtobufCEnumValue *e =
        protobuf_c_enum_descriptor_get_value(&credit__v1__grant_status__descriptor, s);
    return e ? e->name : "GRANT_STATUS_UNSPECIFIED";
}

/* The status grant `g` has at `now`: its stored status, or EXPIRED once its window ended. */
static int effective_status(const Credit__V1__Grant *g, int64_t now)
{
    int s = g->status;
    if ((s == CREDIT__V1__GRANT_STATUS__GRANT_STATUS_REQUESTED ||
         s == CREDIT__V1__GRANT_STATUS__GRANT_STATUS_ACTIVE ||
         s == CREDIT__V1__GRANT_STATUS__GRANT_STATUS_PAUSED) &&
        g->valid_until && now >= g->valid_until->seconds)
        return CREDIT__V1__GRANT_STATUS__GRANT_STATUS_EXPIRED;
    return s;
}

/* A copy of g's history array with t appended, into *fresh (malloc'd; the caller frees it,
 * and puts g's own array back before g is freed). The transitions themselves are shared, not
 * copied. Returns 0, or -1 when out of memory. */
static int add_transition(const Credit__V1__Grant *g, Credit__V1__GrantTransition *t,
                          Credit__V1__GrantTransition ***fresh)
{
    Credit__V1__GrantTransition **h = malloc((g->n_history + 1) * sizeof *h);
    if (!h)
        return -1;
    if (g->n_history)
        memcpy(h, g->history, g->n_history * sizeof *h);
    h[g->n_history] = t;
    *fresh = h;
    return 0;
}

/* A grant as shown: its effective status and uses, and an EXPIRED transition when it expired.
 * `g` is a shallow copy of the stored grant, whose parts stay the stored one's; only `hist`
 * is the view's own. */
typedef struct grant_view {
    Credit__V1__Grant g;
    Credit__V1__GrantTransition expired;
    Credit__V1__GrantTransition **hist;
} grant_view;

/* Fills `v` from the stored grant `src`. Returns 0, or -1 with the call finished. */
static int view_init(rpc_call *call, grant_view *v, const Credit__V1__Grant *src, int64_t now)
{
    node *n = rpc_call_app(call);
    char err[STORE_ERR_LEN];
    v->g = *src;
    v->hist = NULL;
    v->g.status = effective_status(src, now);
    int rc = grants_uses(n->st, src->grant_id, &v->g.uses, err);
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=grant_uses err=%s", err);
        rpc_finish(call, status_from_store(rc), "the grant's uses cannot be read now");
        return -1;
    }
    if (v->g.status == CREDIT__V1__GRANT_STATUS__GRANT_STATUS_EXPIRED &&
        src->status != CREDIT__V1__GRANT_STATUS__GRANT_STATUS_EXPIRED) {
        credit__v1__grant_transition__init(&v->expired);
        v->expired.status = CREDIT__V1__GRANT_STATUS__GRANT_STATUS_EXPIRED;
        v->expired.at = src->valid_until;
        if (add_transition(src, &v->expired, &v->hist) != 0) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
            return -1;
        }
        v->g.history = v->hist;
        v->g.n_history = src->n_history + 1;
    }
    return 0;
}

static void view_cleanup(grant_view *v)
{
    free(v->hist);
    v->hist = NULL;
}

/* Replies with grant `g` as shown now. */
static void reply_grant(rpc_call *call, const Credit__V1__Grant *g)
{
    grant_view v;
    if (view_init(call, &v, g, (int64_t)time(NULL)) != 0)
        return;
    rpc_reply(call, &v.g.base);
    view_cleanup(&v);
}

/* --- Who is who ------------------------------------------------------------------------- */

static int is_portal(const principal *p)
{
    return authz_has(p, AUTHZ_AUTHORIZATION_RELAY);
}

/* Whether the caller is grant g's subject: a subject unit whose USCC is the subject's. */
static int is_subject(const principal *p, const Credit__V1__Grant *g)
{
    return authz_has(p, AUTHZ_SUBJECT_SELF) && p->uscc[0] && g->subject &&
           strcmp(p->uscc, g->subject->identifier) == 0;
}

static int is_grantee(const principal *p, const Credit__V1__Grant *g)
{
    return strcmp(p->code, g->grantee) == 0;
}

/* Whether the caller may see grant g at all: its grantee, its subject or the portal. */
static int sees(const principal *p, const Credit__V1__Grant *g)
{
    return is_grantee(p, g) || is_subject(p, g) || is_portal(p);
}

/* Checks a grant id field. Returns 0, or -1 with the call finished (INVALID_ARGUMENT). */
static int check_grant_id(rpc_call *call, const char *field, const char *id)
{
    if (grants_check_id(id))
        return 0;
    rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: %s", field,
               id && id[0] ? "not a grant id (32 lower-case hexadecimal digits)" : "is required");
    return -1;
}

/* Reads grant `id`; with `seen`, for a caller who must see it. Returns 0 with *out, or -1
 * with the call finished (NOT_FOUND for none, or one the caller may not see). */
static int load(rpc_call *call, const char *id, int seen, Credit__V1__Grant **out)
{
    node *n = rpc_call_app(call);
    char err[STORE_ERR_LEN];
    Credit__V1__Grant *g = NULL;
    int rc = grants_get(n->st, id, &g, err);
    if (rc == STORE_ENOTFOUND || (rc == 0 && seen && !sees(node_caller(call), g))) {
        if (g)
            credit__v1__grant__free_unpacked(g, NULL);
        rpc_finish(call, RPC_NOT_FOUND, "grant_id: no grant %s that unit %s is party to", id,
                   node_caller(call)->code);
        return -1;
    }
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=grant_get err=%s", err);
        rpc_finish(call, status_from_store(rc), "the grants cannot be read now");
        return -1;
    }
    *out = g;
    return 0;
}

/* --- RequestConsent -------------------------------------------------------------------- */

static int check_subject(rpc_call *call, const Credit__V1__SubjectRef *ref)
{
    char why[128];
    if (!ref || ref->kind == 0 ||
        !protobuf_c_enum_descriptor_get_value(&credit__v1__subject_kind__descriptor, ref->kind)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "subject.kind: a subject kind is required");
        return -1;
    }
    if (ref->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "subject.kind: grants for natural persons are not served yet");
        return -1;
    }
    if (node_check_text(call, "subject.identifier", ref->identifier, TEXT_SHORT_MAX,
                        TEXT_REQUIRED) != 0)
        return -1;
    if (validate_uscc(ref->identifier, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "subject.identifier: %s", why);
        return -1;
    }
    return 0;
}

static int check_purpose(rpc_call *call, const Credit__V1__RequestConsentRequest *req)
{
    size_t len = strlen(req->purpose_code);
    if (len == 0 || len > PURPOSE_CODE_MAX ||
        strspn(req->purpose_code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "purpose_code: must be 1 to %d of A-Z, 0-9 and _ (e.g. LOAN_APPRAISAL)",
                   PURPOSE_CODE_MAX);
        return -1;
    }
    return node_check_text(call, "purpose_text", req->purpose_text, PURPOSE_TEXT_MAX,
                           TEXT_REQUIRED | TEXT_MULTILINE);
}

/* Whether any catalogue of the version in force has section `code`. */
static int section_known(const catalog_version *cv, const char *code)
{
    for (int c = CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;
         c <= CREDIT__V1__CATALOGUE__CATALOGUE_INDUSTRIAL; c++) {
        if (catalog_find_section(cv, c, code))
            return 1;
    }
    return 0;
}

static int check_scope(rpc_call *call, const Credit__V1__GrantScope *s)
{
    node *n = rpc_call_app(call);
    const catalog_version *cv = catalog_now(n->cat);
    if (!s ||
        (!s->n_catalogues && !s->n_categories && !s->n_sections && !s->portrait_template[0])) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "scope: names nothing; give catalogues, categories or sections, or a "
                   "portrait template");
        return -1;
    }
    if (s->n_catalogues > SCOPE_ITEMS_MAX || s->n_categories > SCOPE_ITEMS_MAX ||
        s->n_sections > SCOPE_ITEMS_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "scope: at most %d items in each list",
                   SCOPE_ITEMS_MAX);
        return -1;
    }
    if (s->portrait_template[0]) {
        if (s->n_catalogues || s->n_categories || s->n_sections) {
            rpc_finish(call, RPC_INVALID_ARGUMENT,
                       "scope.portrait_template: a portrait template stands alone in a scope");
            return -1;
        }
        if (node_check_text(call, "scope.portrait_template", s->portrait_template, TEXT_SHORT_MAX,
                            TEXT_REQUIRED) != 0)
            return -1;
        /* Portrait templates are the finance catalogue's sections. */
        if (!catalog_find_section(cv, CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE,
                                  s->portrait_template)) {
            rpc_finish(call, RPC_NOT_FOUND,
                       "scope.portrait_template: the catalogue in force (version %u) has no "
                       "portrait template \"%.64s\"",
                       cv->msg->version, s->portrait_template);
            return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < s->n_catalogues; i++) {
        int c = s->catalogues[i];
        if (c == CREDIT__V1__CATALOGUE__CATALOGUE_UNSPECIFIED ||
            c == CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE ||
            !protobuf_c_enum_descriptor_get_value(&credit__v1__catalogue__descriptor, c)) {
            rpc_finish(call, RPC_INVALID_ARGUMENT,
                       "scope.catalogues[%zu]: %d is not a catalogue of records (the finance "
                       "catalogue is granted by portrait template)",
                       i, c);
            return -1;
        }
    }
    for (size_t i = 0; i < s->n_categories; i++) {
        int c = s->categories[i];
        if (c == 0 || !protobuf_c_enum_descriptor_get_value(&credit__v1__category__descriptor, c)) {
            rpc_finish(call, RPC_INVALID_ARGUMENT, "scope.categories[%zu]: %d is not a category", i,
                       c);
            return -1;
        }
    }
    for (size_t i = 0; i < s->n_sections; i++) {
        char field[40];
        snprintf(field, sizeof field, "scope.sections[%zu]", i);
        if (node_check_text(call, field, s->sections[i], TEXT_SHORT_MAX, TEXT_REQUIRED) != 0)
            return -1;
        if (!section_known(cv, s->sections[i])) {
            rpc_finish(call, RPC_NOT_FOUND,
                       "%s: no catalogue in force (version %u) has a section \"%.64s\"", field,
                       cv->msg->version, s->sections[i]);
            return -1;
        }
    }
    return 0;
}

static int check_date(rpc_call *call, const char *field, const Credit__V1__Date *d)
{
    if (!d) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: is required", field);
        return -1;
    }
    if (!calendar_date_valid(d)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: %04d-%02d-%02d is not a date", field, d->year,
                   d->month, d->day);
        return -1;
    }
    return 0;
}

/* Checks the validity window; *from is valid_from (now when unset). */
static int check_window(rpc_call *call, const Credit__V1__RequestConsentRequest *req, int64_t now,
                        int64_t *from)
{
    const Google__Protobuf__Timestamp *f = req->valid_from, *u = req->valid_until;
    if ((f && (f->nanos < 0 || f->nanos > 999999999)) ||
        (u && (u->nanos < 0 || u->nanos > 999999999))) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: nanos must be 0 to 999999999",
                   f && (f->nanos < 0 || f->nanos > 999999999) ? "valid_from" : "valid_until");
        return -1;
    }
    if (!u) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "valid_until: is required");
        return -1;
    }
    *from = f ? f->seconds : now;
    if (u->seconds <= *from) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "valid_until: must be after valid_from%s",
                   f ? "" : " (unset: now)");
        return -1;
    }
    if (u->seconds <= now) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "valid_until: is already past");
        return -1;
    }
    if (u->seconds - *from > (int64_t)max_days * DAY_SECONDS) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "valid_until: the validity window is longer than this node allows (%ld days, "
                   "--max-grant-days)",
                   max_days);
        return -1;
    }
    return 0;
}

/* Writes `g` (new or changed) with the call's audit entry and its change-feed entry (the
 * grant as this transition left it, for the read replica), and replies with it. */
static void commit_and_reply(rpc_call *call, const Credit__V1__Grant *g, int is_new,
                             const char *detail)
{
    store_batch *b = store_batch_create();
    size_t len = credit__v1__grant__get_packed_size(g);
    uint8_t *packed = malloc(len ? len : 1);
    feed_changes fc;
    feed_changes_init(&fc);
    if (packed) {
        credit__v1__grant__pack(g, packed);
        feed_changes_add(&fc, CREDIT__V1__FEED_KIND__FEED_KIND_GRANT, 0, g->subject->identifier,
                         packed, len);
    }
    if (!b || !packed || fc.failed || grants_put(b, g, is_new) != 0) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
    } else if (node_commit_feed(call, b, &fc, detail) == 0) {
        reply_grant(call, g);
    }
    feed_changes_cleanup(&fc);
    free(packed);
    store_batch_destroy(b);
}

static void request_consent(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__RequestConsentRequest *req = (const void *)msg;
    const principal *p = node_caller(call);
    int64_t now = (int64_t)time(NULL), from;
    if (check_subject(call, req->subject) != 0 || check_purpose(call, req) != 0 ||
        check_scope(call, req->scope) != 0 || check_date(call, "data_from", req->data_from) != 0 ||
        check_date(call, "data_to", req->data_to) != 0)
        return;
    if (calendar_date_cmp(req->data_to, req->data_from) < 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "data_to: must not be before data_from");
        return;
    }
    if (check_window(call, req, now, &from) != 0)
        return;
    if (req->use_limit < 1 || req->use_limit > USE_LIMIT_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "use_limit: must be 1 to %u", USE_LIMIT_MAX);
        return;
    }
    char id[GRANTS_ID_LEN + 1];
    if (grants_new_id(id) != 0) {
        rpc_finish(call, RPC_UNAVAILABLE, "no randomness for a grant id now");
        return;
    }
    Google__Protobuf__Timestamp at, vf = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    node_now(&at);
    vf.seconds = from;
    vf.nanos = req->valid_from ? req->valid_from->nanos : 0;
    Credit__V1__GrantTransition t = CREDIT__V1__GRANT_TRANSITION__INIT, *tp = &t;
    t.status = CREDIT__V1__GRANT_STATUS__GRANT_STATUS_REQUESTED;
    t.at = &at;
    t.by = (char *)p->code;
    Credit__V1__Grant g = CREDIT__V1__GRANT__INIT;
    g.grant_id = id;
    g.subject = req->subject;
    g.grantee = (char *)p->code;
    g.purpose_code = req->purpose_code;
    g.purpose_text = req->purpose_text;
    g.scope = req->scope;
    g.data_from = req->data_from;
    g.data_to = req->data_to;
    g.valid_from = &vf;
    g.valid_until = req->valid_until;
    g.use_limit = req->use_limit;
    g.status = CREDIT__V1__GRANT_STATUS__GRANT_STATUS_REQUESTED;
    g.history = &tp;
    g.n_history = 1;
    char detail[160];
    snprintf(detail, sizeof detail, "requested consent grant %s for purpose %s", id,
             req->purpose_code);
    commit_and_reply(call, &g, 1, detail);
}

/* --- The subject's decisions ------------------------------------------------------------ */

/* One change of status: which statuses it leaves, the one it enters, its verb. */
typedef struct change {
    unsigned from; /* bit s: leaves status s */
    int to;
    const char *verb;
} change;

#define BIT(s) (1u << CREDIT__V1__GRANT_STATUS__GRANT_STATUS_##s)

static const change approve_change = {BIT(REQUESTED), CREDIT__V1__GRANT_STATUS__GRANT_STATUS_ACTIVE,
                                      "approved"};
static const change reject_change = {BIT(REQUESTED),
                                     CREDIT__V1__GRANT_STATUS__GRANT_STATUS_REJECTED, "rejected"};
static const change pause_change = {BIT(ACTIVE), CREDIT__V1__GRANT_STATUS__GRANT_STATUS_PAUSED,
                                    "paused"};
static const change resume_change = {BIT(PAUSED), CREDIT__V1__GRANT_STATUS__GRANT_STATUS_ACTIVE,
                                     "resumed"};
static const change revoke_change = {BIT(REQUESTED) | BIT(ACTIVE) | BIT(PAUSED),
                                     CREDIT__V1__GRANT_STATUS__GRANT_STATUS_REVOKED, "revoked"};

/* Moves grant `id` by change `c` for the subject (or the portal): `reason` and `digest` as the
 * request gave them (digest only for approval). */
static void decide(rpc_call *call, const char *id, const char *reason, const char *digest,
                   const change *c)
{
    const principal *p = node_caller(call);
    if (check_grant_id(call, "grant_id", id) != 0 ||
        node_check_text(call, "reason", reason, REASON_MAX, TEXT_MULTILINE) != 0)
        return;
    if (digest) {
        if (digest[0] && !validate_lower_hex(digest, 64)) {
            rpc_finish(call, RPC_INVALID_ARGUMENT,
                       "document_digest: must be exactly 64 lower-case hexadecimal digits "
                       "(SHA-256)");
            return;
        }
        if (!digest[0] && is_portal(p)) {
            rpc_finish(call, RPC_INVALID_ARGUMENT,
                       "document_digest: is required when the portal relays an approval: the "
                       "SHA-256 of the signed authorization document");
            return;
        }
    }
    pthread_mutex_lock(&write_mu);
    Credit__V1__Grant *g = NULL;
    /* A unit that decides for subjects learns that a grant is not its subject's: ids are
     * random, so it learns nothing it did not hold already. */
    if (load(call, id, 0, &g) != 0)
        goto out;
    if (!is_subject(p, g) && !is_portal(p)) {
        rpc_finish(call, RPC_PERMISSION_DENIED,
                   "only the grant's subject (or the portal relaying it) decides a grant; unit "
                   "%s is not the subject of grant %s",
                   p->code, id);
        goto out;
    }
    int now_status = effective_status(g, (int64_t)time(NULL));
    if (!((c->from >> now_status) & 1u)) {
        rpc_finish(call, RPC_FAILED_PRECONDITION, "grant %s is %s; it cannot be %s", id,
                   status_name(now_status), c->verb);
        goto out;
    }
    Google__Protobuf__Timestamp at;
    node_now(&at);
    Credit__V1__GrantTransition t = CREDIT__V1__GRANT_TRANSITION__INIT;
    t.status = c->to;
    t.at = &at;
    t.by = (char *)p->code;
    t.reason = (char *)reason;
    Credit__V1__GrantTransition **fresh = NULL, **old_hist = g->history;
    size_t old_n = g->n_history;
    int old_status = g->status;
    char *old_digest = g->document_digest, *old_by = g->approved_by;
    if (add_transition(g, &t, &fresh) != 0) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
        goto out;
    }
    g->history = fresh;
    g->n_history = old_n + 1;
    g->status = c->to;
    if (c == &approve_change) {
        g->document_digest = (char *)digest;
        g->approved_by = (char *)p->code;
    }
    char detail[160];
    snprintf(detail, sizeof detail, "%s consent grant %s%s", c->verb, id,
             is_portal(p) ? " relayed by the portal" : "");
    commit_and_reply(call, g, 0, detail);
    /* Give the unpacked message back its own parts before it is freed. */
    g->history = old_hist;
    g->n_history = old_n;
    g->status = old_status;
    g->document_digest = old_digest;
    g->approved_by = old_by;
    free(fresh);
out:
    if (g)
        credit__v1__grant__free_unpacked(g, NULL);
    pthread_mutex_unlock(&write_mu);
}

static void approve_consent(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ApproveConsentRequest *req = (const void *)msg;
    decide(call, req->grant_id, "", req->document_digest, &approve_change);
}

static void reject_consent(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__GrantActionRequest *req = (const void *)msg;
    decide(call, req->grant_id, req->reason, NULL, &reject_change);
}

static void pause_grant(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__GrantActionRequest *req = (const void *)msg;
    decide(call, req->grant_id, req->reason, NULL, &pause_change);
}

static void resume_grant(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__GrantActionRequest *req = (const void *)msg;
    decide(call, req->grant_id, req->reason, NULL, &resume_change);
}

static void revoke_grant(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__GrantActionRequest *req = (const void *)msg;
    decide(call, req->grant_id, req->reason, NULL, &revoke_change);
}

/* --- Reading grants and uses ----------------------------------------------------------- */

static void get_grant(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__GetGrantRequest *req = (const void *)msg;
    Credit__V1__Grant *g = NULL;
    if (check_grant_id(call, "grant_id", req->grant_id) != 0 ||
        load(call, req->grant_id, 1, &g) != 0)
        return;
    reply_grant(call, g);
    credit__v1__grant__free_unpacked(g, NULL);
}

#define LIST_PAGE_DEFAULT 100
#define LIST_PAGE_MAX     1000

/* The page a listing asks for: its size (page_size, 0 for the default) into *want, and the
 * position its token carries into pos[*len] ("" for the first page). Returns 0, or finishes
 * the call with INVALID_ARGUMENT and returns -1. */
static int page_of(rpc_call *call, const ProtobufCMessage *msg, int32_t page_size,
                   const char *page_token, size_t *want, char *pos, size_t *len)
{
    if (page_size < 0 || page_size > LIST_PAGE_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "page_size: must be 0 (default %d) to %d",
                   LIST_PAGE_DEFAULT, LIST_PAGE_MAX);
        return -1;
    }
    *want = page_size ? (size_t)page_size : LIST_PAGE_DEFAULT;
    return node_page_position(call, msg, "page_token", page_token, pos, len);
}

static void list_grants(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ListGrantsRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    int by_grantee = 1;
    const char *who = p->code;
    if (is_portal(p)) {
        if (check_subject(call, req->subject) != 0)
            return;
        by_grantee = 0;
        who = req->subject->identifier;
    } else if (req->subject) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "subject: only the portal names a subject; others list their own grants");
        return;
    } else if (authz_has(p, AUTHZ_SUBJECT_SELF)) {
        if (!p->uscc[0]) {
            rpc_finish(call, RPC_FAILED_PRECONDITION,
                       "unit %s has no registered USCC, so it is the subject of no grant", p->code);
            return;
        }
        by_grantee = 0;
        who = p->uscc;
    }
    size_t want;
    char after[PAGETOKEN_POS_MAX + 1], token[PAGETOKEN_MAX];
    size_t after_len = 0;
    int more = 0;
    if (page_of(call, msg, req->page_size, req->page_token, &want, after, &after_len) != 0)
        return;
    if (after_len && !grants_check_id(after)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "page_token: not a token this node gave for this listing");
        return;
    }
    Credit__V1__Grant **all = NULL;
    size_t n_all = 0;
    char err[STORE_ERR_LEN];
    int rc = grants_list_page(n->st, by_grantee, who, after_len ? after : NULL, want, &all,
                              &n_all, &more, err);
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=grant_list err=%s", err);
        rpc_finish(call, status_from_store(rc), "the grants cannot be read now");
        grants_free_list(all, n_all);
        return;
    }
    grant_view *views = calloc(n_all ? n_all : 1, sizeof *views);
    Credit__V1__Grant **ptrs = calloc(n_all ? n_all : 1, sizeof *ptrs);
    size_t made = 0;
    int64_t now = (int64_t)time(NULL);
    if (!views || !ptrs) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    for (; made < n_all; made++) {
        if (view_init(call, &views[made], all[made], now) != 0)
            goto out;
        ptrs[made] = &views[made].g;
    }
    Credit__V1__ListGrantsResponse resp = CREDIT__V1__LIST_GRANTS_RESPONSE__INIT;
    resp.grants = ptrs;
    resp.n_grants = n_all;
    /* The next page starts after the last grant of this one. */
    const char *last = more && n_all ? all[n_all - 1]->grant_id : "";
    if (node_page_token(call, msg, last, strlen(last), token) != 0)
        goto out;
    resp.next_page_token = token;
    rpc_reply(call, &resp.base);
out:
    for (size_t i = 0; views && i < made; i++)
        view_cleanup(&views[i]);
    free(views);
    free(ptrs);
    grants_free_list(all, n_all);
}

static void list_uses(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ListUsesRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    Credit__V1__Grant *g = NULL;
    if (check_grant_id(call, "grant_id", req->grant_id) != 0 ||
        load(call, req->grant_id, 1, &g) != 0)
        return;
    credit__v1__grant__free_unpacked(g, NULL);
    size_t want;
    char pos[PAGETOKEN_POS_MAX + 1], token[PAGETOKEN_MAX], *end;
    size_t pos_len = 0;
    uint32_t from = 1;
    int more = 0;
    if (page_of(call, msg, req->page_size, req->page_token, &want, pos, &pos_len) != 0)
        return;
    if (pos_len) {
        unsigned long at = strtoul(pos, &end, 10);
        if (*end || at < 2 || at > UINT32_MAX) {
            rpc_finish(call, RPC_INVALID_ARGUMENT,
                       "page_token: not a token this node gave for this listing");
            return;
        }
        from = (uint32_t)at;
    }
    Credit__V1__GrantUse **v = NULL;
    size_t n_v = 0;
    char err[STORE_ERR_LEN];
    int rc = grants_list_uses_page(n->st, req->grant_id, from, want, &v, &n_v, &more, err);
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=grant_uses err=%s", err);
        rpc_finish(call, status_from_store(rc), "the grant's uses cannot be read now");
        return;
    }
    Credit__V1__ListUsesResponse resp = CREDIT__V1__LIST_USES_RESPONSE__INIT;
    resp.uses = v;
    resp.n_uses = n_v;
    /* The next page starts at the number after the last use of this one. */
    char next[16] = "";
    int next_len = more && n_v ? snprintf(next, sizeof next, "%u", v[n_v - 1]->number + 1) : 0;
    if (node_page_token(call, msg, next, (size_t)next_len, token) == 0) {
        resp.next_page_token = token;
        rpc_reply(call, &resp.base);
    }
    grants_free_uses(v, n_v);
}

/* --- Reads under a grant ---------------------------------------------------------------- */

static int has_int(const int *v, size_t n, int x)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] == x)
            return 1;
    }
    return 0;
}

static int has_str(char *const *v, size_t n, const char *x)
{
    for (size_t i = 0; x && i < n; i++) {
        if (strcmp(v[i], x) == 0)
            return 1;
    }
    return 0;
}

/* Whether g's scope covers `want`, leaving the record date aside. */
static int scope_covers(const Credit__V1__Grant *g, const authorization_want *want)
{
    const Credit__V1__GrantScope *s = g->scope;
    if (!s)
        return 0;
    if (want->portrait_template)
        return s->portrait_template[0] &&
               strcmp(s->portrait_template, want->portrait_template) == 0;
    if (s->portrait_template[0] || !want->catalogue)
        return 0;
    if (has_int((const int *)s->catalogues, s->n_catalogues, want->catalogue))
        return 1;
    if (want->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC && want->category &&
        has_int((const int *)s->categories, s->n_categories, want->category))
        return 1;
    return has_str(s->sections, s->n_sections, want->section);
}

static int dates_cover(const Credit__V1__Grant *g, const Credit__V1__Date *d)
{
    return !d || (g->data_from && g->data_to && calendar_date_cmp(d, g->data_from) >= 0 &&
                  calendar_date_cmp(d, g->data_to) <= 0);
}

static int out_of_scope(rpc_call *call, const Credit__V1__Grant *g, const char *what)
{
    rpc_finish(call, RPC_PERMISSION_DENIED, "grant %s does not cover %s: out of scope", g->grant_id,
               what);
    return -1;
}

/* The name of public category c as a section code ("PENALTY"), or NULL. */
static const char *category_section(int c)
{
    const ProtobufCEnumValue *e =
        protobuf_c_enum_descriptor_get_value(&credit__v1__category__descriptor, c);
    return e ? e->name + strlen("CATEGORY_") : NULL;
}

int authorization_check_listing(rpc_call *call, const Credit__V1__Grant *g,
                                const Credit__V1__ListRecordsRequest *r)
{
    node *n = rpc_call_app(call);
    const catalog_version *cv = catalog_now(n->cat);
    const Credit__V1__GrantScope *s = g->scope;
    const int pub = CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;
    char what[160];
    if (!s || s->portrait_template[0])
        return out_of_scope(call, g, "records (it is for a portrait template)");
    for (size_t i = 0; i < r->n_catalogues; i++) {
        int c = r->catalogues[i], ok = has_int((const int *)s->catalogues, s->n_catalogues, c) ||
                                       (c == pub && s->n_categories);
        for (size_t j = 0; !ok && j < s->n_sections; j++)
            ok = catalog_find_section(cv, c, s->sections[j]) != NULL;
        if (!ok) {
            snprintf(what, sizeof what, "catalogues[%zu] (%s)", i, catalog_catalogue_name(c));
            return out_of_scope(call, g, what);
        }
    }
    for (size_t i = 0; i < r->n_categories; i++) {
        const char *sec = category_section(r->categories[i]);
        if (!has_int((const int *)s->catalogues, s->n_catalogues, pub) &&
            !has_int((const int *)s->categories, s->n_categories, r->categories[i]) &&
            !has_str(s->sections, s->n_sections, sec)) {
            snprintf(what, sizeof what, "categories[%zu] (CATEGORY_%s)", i, sec ? sec : "?");
            return out_of_scope(call, g, what);
        }
    }
    for (size_t i = 0; i < r->n_sections; i++) {
        int ok = has_str(s->sections, s->n_sections, r->sections[i]);
        for (size_t j = 0; !ok && j < s->n_catalogues; j++)
            ok = catalog_find_section(cv, s->catalogues[j], r->sections[i]) != NULL;
        for (size_t j = 0; !ok && j < s->n_categories; j++) {
            const char *sec = category_section(s->categories[j]);
            ok = sec && strcmp(sec, r->sections[i]) == 0;
        }
        if (!ok) {
            snprintf(what, sizeof what, "sections[%zu] (%.64s)", i, r->sections[i]);
            return out_of_scope(call, g, what);
        }
    }
    return 0;
}

int authorization_covers(const Credit__V1__Grant *g, const authorization_want *want)
{
    return scope_covers(g, want) && dates_cover(g, want->record_date);
}

/* Why grant g cannot be used now by unit `code` for `subject`, into why[len]; "" if it can.
 * Checked in the order a grantee can act on: whose it is, its status, its window, subject. */
static void why_unusable(const Credit__V1__Grant *g, const char *code,
                         const Credit__V1__SubjectRef *subject, int64_t now, char *why, size_t len)
{
    int s = effective_status(g, now);
    why[0] = '\0';
    if (strcmp(g->grantee, code) != 0)
        snprintf(why, len, "no grant: unit %s holds no grant %s", code, g->grant_id);
    else if (s == CREDIT__V1__GRANT_STATUS__GRANT_STATUS_PAUSED)
        snprintf(why, len, "grant %s is paused by its subject", g->grant_id);
    else if (s == CREDIT__V1__GRANT_STATUS__GRANT_STATUS_REVOKED)
        snprintf(why, len, "grant %s is revoked", g->grant_id);
    else if (s == CREDIT__V1__GRANT_STATUS__GRANT_STATUS_EXPIRED)
        snprintf(why, len, "grant %s is expired: its validity window has ended", g->grant_id);
    else if (s != CREDIT__V1__GRANT_STATUS__GRANT_STATUS_ACTIVE)
        snprintf(why, len, "grant %s is not active: it is %s", g->grant_id, status_name(s));
    else if (g->valid_from && now < g->valid_from->seconds)
        snprintf(why, len, "grant %s is not yet valid: its validity window has not begun",
                 g->grant_id);
    else if (subject && (!g->subject || subject->kind != g->subject->kind ||
                         strcmp(subject->identifier, g->subject->identifier) != 0))
        snprintf(why, len, "grant %s is for another subject", g->grant_id);
}

int authorization_use_begin(rpc_call *call, const char *grant_id,
                            const Credit__V1__SubjectRef *subject, const authorization_want *want,
                            const char *read, store_batch *b, authorization_use *u)
{
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    char err[STORE_ERR_LEN], why[256];
    if (check_grant_id(call, "grant_id", grant_id) != 0)
        return -1;
    Credit__V1__Grant *g = NULL;
    int rc = grants_get(n->st, grant_id, &g, err);
    if (rc == STORE_ENOTFOUND) {
        rpc_finish(call, RPC_PERMISSION_DENIED, "no grant: unit %s holds no grant %s", p->code,
                   grant_id);
        return -1;
    }
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=grant_get err=%s", err);
        rpc_finish(call, status_from_store(rc), "the grants cannot be read now");
        return -1;
    }
    why_unusable(g, p->code, subject, (int64_t)time(NULL), why, sizeof why);
    if (!why[0] && want && !scope_covers(g, want))
        snprintf(why, sizeof why, "grant %s does not cover what was asked: out of scope", grant_id);
    if (!why[0] && want && !dates_cover(g, want->record_date))
        snprintf(why, sizeof why,
                 "grant %s covers records dated %04d-%02d-%02d to %04d-%02d-%02d: out of date "
                 "range",
                 grant_id, g->data_from->year, g->data_from->month, g->data_from->day,
                 g->data_to->year, g->data_to->month, g->data_to->day);
    if (why[0]) {
        rpc_finish(call, RPC_PERMISSION_DENIED, "%s", why);
        credit__v1__grant__free_unpacked(g, NULL);
        return -1;
    }
    uint32_t number = 0;
    rc = grants_reserve(n->st, grant_id, g->use_limit, &number, err);
    if (rc != 0) {
        if (rc == 1) {
            rpc_finish(call, RPC_PERMISSION_DENIED,
                       "grant %s: use limit reached (%u of %u uses made)", grant_id, g->use_limit,
                       g->use_limit);
        } else {
            log_event(LOG_ERROR, "store", "op=grant_reserve err=%s", err);
            rpc_finish(call, status_from_store(rc), "the grant's uses cannot be read now");
        }
        credit__v1__grant__free_unpacked(g, NULL);
        return -1;
    }
    u->grant = g;
    u->number = number;
    node_now(&u->at);
    if (authorization_use_note(call, u, read, b) != 0) {
        grants_release(grant_id, number, 0);
        credit__v1__grant__free_unpacked(g, NULL);
        u->grant = NULL;
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
        return -1;
    }
    return 0;
}

int authorization_use_note(rpc_call *call, const authorization_use *u, const char *read,
                           store_batch *b)
{
    Credit__V1__GrantUse use = CREDIT__V1__GRANT_USE__INIT;
    Google__Protobuf__Timestamp at = u->at;
    use.grant_id = u->grant->grant_id;
    use.number = u->number;
    use.used_by = (char *)node_caller(call)->code;
    use.at = &at;
    const char *method = rpc_call_method(call);
    use.method = (char *)(method[0] == '/' ? method + 1 : method);
    use.read = (char *)(read ? read : "");
    return grants_put_use(b, &use) == 0 ? 0 : -1;
}

void authorization_use_end(authorization_use *u, int written)
{
    if (!u->grant)
        return;
    grants_release(u->grant->grant_id, u->number, written);
    credit__v1__grant__free_unpacked(u->grant, NULL);
    u->grant = NULL;
}

static const rpc_handler handlers[] = {
    {.method = "RequestConsent", .on_message = request_consent},
    {.method = "ApproveConsent", .on_message = approve_consent},
    {.method = "RejectConsent", .on_message = reject_consent},
    {.method = "PauseGrant", .on_message = pause_grant},
    {.method = "ResumeGrant", .on_message = resume_grant},
    {.method = "RevokeGrant", .on_message = revoke_grant},
    {.method = "GetGrant", .on_message = get_grant},
    {.method = "ListGrants", .on_message = list_grants},
    {.method = "ListUses", .on_message = list_uses},
};

RPC_REGISTERED_SERVICE(authorization_service, credit__v1__authorization__descriptor, handlers);
