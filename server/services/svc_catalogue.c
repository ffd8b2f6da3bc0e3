/*
 * svc_catalogue.c — credit.v1.CatalogueGovernance: reading the catalogue, and the governed
 * workflow that changes it (application → compliance review → deliberation → new version).
 *
 * Any registered unit reads versions and change requests. A unit holding catalogue.propose
 * (authz.c: UNIT_KIND_OFFICE, UNIT_KIND_DEPARTMENT, UNIT_KIND_SERVICE_UNIT, UNIT_KIND_MUNICIPAL)
 * files a change with a written justification; the office alone reviews it (pass or fail, with
 * reasons) and deliberates (approve or reject, with reasons). An approval applies the change to the
 * newest version and stores the result as the next version, in force from the decision's effective
 * time (now, or later; never before the newest version's), in the same batch as the request's new
 * state and the audit entry. A request is checked when it is filed (does it apply to the newest
 * version, and is the version it makes a valid catalogue?) and again when approved, since other
 * changes may have been approved in between: one that no longer applies gets FAILED_PRECONDITION.
 *
 * Every change is a read-modify-write of a request and possibly the version list, so changes
 * run one at a time under gov_mu; they are rare.
 *
 * Requests are kept by changes.h (their keys, ids and encoding), versions by versions.h.
 */
#include "svc_catalogue.h"

#include "authz.h"
#include "catalog.h"
#include "catalog_change.h"
#include "changes.h"
#include "node.h"
#include "pb.h"
#include "record_check.h"
#include "registry.h"
#include "versions.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_MAX       4000 /* justification, reasons */
#define PAST_GRACE_S   60   /* an effective time this far in the past still counts as now */

static pthread_mutex_t gov_mu = PTHREAD_MUTEX_INITIALIZER;

/* Finishes the call with INVALID_ARGUMENT unless `s` is good free text. Returns 0 if good. */
static int check_text_field(rpc_call *call, const char *field, const char *s, int required)
{
    check_failure f;

    if (record_check_free_text(field, s, TEXT_MAX, required, &f) == 0)
        return 0;
    rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: %s", f.field, f.reason);
    return -1;
}

static const char *state_name(int state)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&credit__v1__change_state__descriptor, state);

    return v ? v->name : "?";
}

static const char *kind_name(int kind)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&credit__v1__change_kind__descriptor, kind);

    return v ? v->name : "?";
}

/* --- Change requests in the store (changes.h) ------------------------------------------ */

/* Writes the request, and the version an approval made (v, may be NULL), with the call's audit
 * entry. Returns 0, or -1 after finishing the call. */
static int save_request(rpc_call *call, uint64_t seq, const Credit__V1__ChangeRequest *cr,
                        const Credit__V1__CatalogueVersion *v, const char *detail)
{
    store_batch *b = store_batch_create();
    int rc = -1;
    feed_changes fc; /* a new version enters the change feed; a request alone does not */
    feed_changes_init(&fc);
    if (v) {
        unsigned char ref[4] = {(unsigned char)(v->version >> 24),
                                (unsigned char)(v->version >> 16),
                                (unsigned char)(v->version >> 8), (unsigned char)v->version};
        feed_changes_add(&fc, CREDIT__V1__FEED_KIND__FEED_KIND_CATALOGUE_VERSION, 0, "", ref,
                         sizeof ref);
    }
    if (!b || changes_put(b, seq, cr) != 0 || (v && versions_put(b, v) != 0))
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
    else
        rc = node_commit_feed(call, b, &fc, detail);
    feed_changes_cleanup(&fc);
    store_batch_destroy(b);
    return rc;
}

/* Reads the request named `id`; finishes the call and returns NULL if it cannot. */
static Credit__V1__ChangeRequest *load_request(rpc_call *call, const char *id, uint64_t *seq)
{
    node *n = rpc_call_app(call);
    char err[STORE_ERR_LEN];
    Credit__V1__ChangeRequest *cr = NULL;
    int rc;

    if (changes_parse_id(id, seq) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "id: \"%.64s\" is not a change request id "
                   "(CR-000001)", id);
        return NULL;
    }
    rc = changes_get(n->st, *seq, &cr, err);
    if (rc == STORE_ENOTFOUND)
        rpc_finish(call, RPC_NOT_FOUND, "no change request %.64s", id);
    else if (rc == STORE_ECORRUPT)
        rpc_finish(call, status_from_store(rc), "change request %.64s is unreadable", id);
    else if (rc != 0)
        rpc_finish(call, status_from_store(rc), "the catalogue cannot be read now");
    return rc == 0 ? cr : NULL;
}

/* --- Reading ------------------------------------------------------------------------------ */

static void list_versions(rpc_call *call, const ProtobufCMessage *msg)
{
    node *n = rpc_call_app(call);
    uint32_t count = catalog_count(n->cat);
    uint32_t in_force = catalog_now(n->cat)->msg->version;
    Credit__V1__ListVersionsResponse resp = CREDIT__V1__LIST_VERSIONS_RESPONSE__INIT;
    Credit__V1__VersionSummary *sums = calloc(count, sizeof *sums);
    Credit__V1__VersionSummary **ptrs = calloc(count, sizeof *ptrs);

    (void)msg;
    if (!sums || !ptrs) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < count; i++) {
        const Credit__V1__CatalogueVersion *v = catalog_get(n->cat, i + 1)->msg;

        credit__v1__version_summary__init(&sums[i]);
        sums[i].version = v->version;
        sums[i].effective_at = v->effective_at;
        sums[i].approved_at = v->approved_at;
        sums[i].approved_by = v->approved_by;
        sums[i].change_request_id = v->change_request_id;
        sums[i].summary = v->summary;
        sums[i].in_force = v->version == in_force;
        ptrs[i] = &sums[i];
    }
    resp.versions = ptrs;
    resp.n_versions = count;
    resp.in_force = in_force;
    rpc_reply(call, &resp.base);
out:
    free(sums);
    free(ptrs);
}

static void get_version(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__GetVersionRequest *req = (const Credit__V1__GetVersionRequest *)msg;
    node *n = rpc_call_app(call);
    const catalog_version *v =
        req->version ? catalog_get(n->cat, req->version) : catalog_now(n->cat);

    if (!v) {
        rpc_finish(call, RPC_NOT_FOUND, "version: catalogue version %u does not exist (the "
                   "newest is %u)", req->version, catalog_count(n->cat));
        return;
    }
    rpc_reply(call, &v->msg->base);
}

static void get_change(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__GetChangeRequest *req = (const Credit__V1__GetChangeRequest *)msg;
    uint64_t seq;
    Credit__V1__ChangeRequest *cr = load_request(call, req->id, &seq);

    if (!cr)
        return;
    rpc_reply(call, &cr->base);
    credit__v1__change_request__free_unpacked(cr, NULL);
}

static void list_changes(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ListChangesRequest *req = (const Credit__V1__ListChangesRequest *)msg;
    node *n = rpc_call_app(call);
    Credit__V1__ListChangesResponse resp = CREDIT__V1__LIST_CHANGES_RESPONSE__INIT;
    Credit__V1__ChangeRequest **v = NULL;
    size_t n_v = 0;
    char err[STORE_ERR_LEN];
    int rc;

    if (!protobuf_c_enum_descriptor_get_value(&credit__v1__change_state__descriptor,
                                              req->state)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "state: %d is not a change state", (int)req->state);
        return;
    }
    rc = changes_list(n->st, req->state, &v, &n_v, err);
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), rc == STORE_ENOMEM
                                                    ? "out of memory"
                                                    : "the catalogue cannot be read now");
        return;
    }
    resp.changes = v;
    resp.n_changes = n_v;
    rpc_reply(call, &resp.base);
    changes_free_list(v, n_v);
}

/* --- The workflow ------------------------------------------------------------------------- */

/* Applies `cr` to the newest version and compiles the result. Returns 0 and *out (owned by
 * the caller), or a gRPC code with why[CATALOG_ERR_LEN]. */
static int try_apply(node *n, const Credit__V1__ChangeRequest *cr, catalog_version **out,
                     char *why)
{
    Credit__V1__CatalogueVersion *msg = NULL;
    char err[CATALOG_ERR_LEN];
    int rc = catalog_apply(catalog_newest(n->cat), cr, &msg, why);

    if (rc != 0)
        return rc;
    if (catalog_compile(msg, node_unit_exists, n->st, out, err) == 0)
        return 0;
    snprintf(why, CATALOG_ERR_LEN, "the version it makes is not a valid catalogue: %.450s", err);
    credit__v1__catalogue_version__free_unpacked(msg, NULL);
    return RPC_INVALID_ARGUMENT;
}

/* The texts of a proposed portrait template: names and descriptions free text, codes one line
 * (the catalogue quotes them when it refuses them). Returns 0, or finishes the call and -1. */
static int check_template_text(rpc_call *call, const Credit__V1__Section *s)
{
    char field[64];

    if (check_text_field(call, "portrait_template.name", s->name, 0) ||
        node_check_text(call, "portrait_template.code", s->code, TEXT_SHORT_MAX, 0))
        return -1;
    if (s->portrait &&
        check_text_field(call, "portrait_template.portrait.description", s->portrait->description, 0))
        return -1;
    for (size_t i = 0; s->portrait && i < s->portrait->n_items; i++) {
        const Credit__V1__PortraitItemSpec *it = s->portrait->items[i];
        const char *const codes[] = {it->code, it->section, it->metric};
        const char *const names[] = {"code", "section", "metric"};

        snprintf(field, sizeof field, "portrait_template.portrait.items[%zu].name", i);
        if (check_text_field(call, field, it->name, 0))
            return -1;
        for (size_t k = 0; k < 3; k++) {
            snprintf(field, sizeof field, "portrait_template.portrait.items[%zu].%s", i, names[k]);
            if (node_check_text(call, field, codes[k], TEXT_SHORT_MAX, 0))
                return -1;
        }
    }
    return 0;
}

/* What only a template change carries, and who may file one (portrait.template). Returns 0, or
 * finishes the call and -1. */
static int check_template_change(rpc_call *call, const Credit__V1__ProposeChangeRequest *req)
{
    char why[AUTHZ_WHY_LEN];

    if (req->kind != CREDIT__V1__CHANGE_KIND__CHANGE_KIND_SET_TEMPLATE) {
        if (!req->portrait_template)
            return 0;
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "portrait_template: only CHANGE_KIND_SET_TEMPLATE carries a template");
        return -1;
    }
    if (authz_check(node_caller(call), AUTHZ_PORTRAIT_TEMPLATE, why) != 0) {
        rpc_finish(call, RPC_PERMISSION_DENIED, "%s", why);
        return -1;
    }
    if (req->dimension || *req->dimension_code) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "dimension: a template change names no dimension; give portrait_template");
        return -1;
    }
    return req->portrait_template ? check_template_text(call, req->portrait_template) : 0;
}

static void propose_change(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ProposeChangeRequest *req = (const Credit__V1__ProposeChangeRequest *)msg;
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    Credit__V1__ChangeRequest cr = CREDIT__V1__CHANGE_REQUEST__INIT;
    Credit__V1__ChangeStep filed = CREDIT__V1__CHANGE_STEP__INIT;
    Google__Protobuf__Timestamp at;
    catalog_version *v = NULL;
    char why[CATALOG_ERR_LEN], id[CHANGES_ID_LEN], detail[400], err[STORE_ERR_LEN];
    uint64_t seq;
    int rc;

    if (check_text_field(call, "justification", req->justification, 1) != 0)
        return;
    if (check_template_change(call, req) != 0)
        return;
    if (req->kind == CREDIT__V1__CHANGE_KIND__CHANGE_KIND_REMOVE_DIMENSION && req->dimension) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "dimension: leave it out to remove a dimension; name it in dimension_code");
        return;
    }
    if (req->dimension && (check_text_field(call, "dimension.name", req->dimension->name, 0) ||
                           check_text_field(call, "dimension.description",
                                            req->dimension->description, 0)))
        return;
    /* Codes and field paths are quoted when the catalogue refuses them: one line of text. */
    if (node_check_text(call, "section", req->section, TEXT_SHORT_MAX, 0) != 0 ||
        node_check_text(call, "dimension_code", req->dimension_code, TEXT_SHORT_MAX, 0) != 0 ||
        (req->dimension &&
         (node_check_text(call, "dimension.code", req->dimension->code, TEXT_SHORT_MAX, 0) ||
          node_check_text(call, "dimension.field", req->dimension->field, TEXT_SHORT_MAX, 0))))
        return;
    cr.catalogue = req->catalogue;
    cr.section = req->section;
    cr.kind = req->kind;
    cr.dimension_code =
        req->kind == CREDIT__V1__CHANGE_KIND__CHANGE_KIND_ADD_DIMENSION && req->dimension
            ? req->dimension->code
            : req->dimension_code;
    cr.dimension = req->dimension;
    cr.portrait_template = req->portrait_template;
    cr.justification = req->justification;
    cr.state = CREDIT__V1__CHANGE_STATE__CHANGE_STATE_FILED;
    node_now(&at);
    filed.unit = (char *)p->code;
    filed.at = &at;
    filed.positive = 1;
    cr.filed = &filed;

    pthread_mutex_lock(&gov_mu);
    rc = try_apply(n, &cr, &v, why);
    if (rc != 0) {
        rpc_finish(call, rc, "%s", why);
        goto out;
    }
    cr.based_on_version = catalog_count(n->cat);
    if ((rc = changes_next_seq(n->st, &seq, err)) != 0) {
        rpc_finish(call, status_from_store(rc), "the catalogue cannot be read now");
        goto out;
    }
    cr.id = (char *)changes_id(seq, id);
    snprintf(detail, sizeof detail, "filed %s: %s %s/%.64s/%.64s", id, kind_name(cr.kind),
             catalog_catalogue_name(cr.catalogue), cr.section, cr.dimension_code);
    if (save_request(call, seq, &cr, NULL, detail) == 0)
        rpc_reply(call, &cr.base);
out:
    pthread_mutex_unlock(&gov_mu);
    catalog_version_destroy(v);
}

static void review_change(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ReviewChangeRequest *req = (const Credit__V1__ReviewChangeRequest *)msg;
    Credit__V1__ChangeStep step = CREDIT__V1__CHANGE_STEP__INIT;
    Google__Protobuf__Timestamp at;
    Credit__V1__ChangeRequest *cr = NULL;
    char detail[200];
    uint64_t seq;

    if (check_text_field(call, "reasons", req->reasons, 1) != 0)
        return;
    pthread_mutex_lock(&gov_mu);
    cr = load_request(call, req->id, &seq);
    if (!cr)
        goto out;
    if (cr->state != CREDIT__V1__CHANGE_STATE__CHANGE_STATE_FILED) {
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "%s is %s; only a filed request goes to compliance review", cr->id,
                   state_name(cr->state));
        goto out;
    }
    node_now(&at);
    step.unit = (char *)node_caller(call)->code;
    step.at = &at;
    step.positive = req->passed;
    step.reasons = req->reasons;
    cr->review = &step;
    cr->state = req->passed ? CREDIT__V1__CHANGE_STATE__CHANGE_STATE_REVIEW_PASSED
                          : CREDIT__V1__CHANGE_STATE__CHANGE_STATE_REVIEW_FAILED;
    snprintf(detail, sizeof detail, "reviewed %s: %s", cr->id, req->passed ? "passed" : "failed");
    if (save_request(call, seq, cr, NULL, detail) == 0)
        rpc_reply(call, &cr->base);
out:
    pthread_mutex_unlock(&gov_mu);
    if (cr) {
        if (cr->review == &step)
            cr->review = NULL; /* on the stack */
        credit__v1__change_request__free_unpacked(cr, NULL);
    }
}

static int set_string(char **field, const char *value)
{
    char *copy = strdup(value);

    if (!copy)
        return -1;
    if (*field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return 0;
}

static Google__Protobuf__Timestamp *timestamp_copy(const Google__Protobuf__Timestamp *t)
{
    Google__Protobuf__Timestamp *c = malloc(sizeof *c);

    if (c)
        *c = *t;
    return c;
}

/* Fills the approval into the new version's message (owned by v). Returns 0 or -1 (memory). */
static int seal_version(catalog_version *v, const Credit__V1__ChangeRequest *cr,
                        const Google__Protobuf__Timestamp *effective,
                        const Google__Protobuf__Timestamp *approved, const char *by)
{
    Credit__V1__CatalogueVersion *m = v->msg;
    char summary[300];

    snprintf(summary, sizeof summary, "%s %s/%.64s/%.64s", kind_name(cr->kind),
             catalog_catalogue_name(cr->catalogue), *cr->section ? cr->section : "(common)",
             cr->dimension_code);
    free(m->effective_at);
    free(m->approved_at);
    m->effective_at = timestamp_copy(effective);
    m->approved_at = timestamp_copy(approved);
    if (!m->effective_at || !m->approved_at || set_string(&m->approved_by, by) != 0 ||
        set_string(&m->change_request_id, cr->id) != 0 || set_string(&m->summary, summary) != 0)
        return -1;
    return 0;
}

static void decide_change(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__DecideChangeRequest *req = (const Credit__V1__DecideChangeRequest *)msg;
    node *n = rpc_call_app(call);
    const char *by = node_caller(call)->code;
    Credit__V1__ChangeStep step = CREDIT__V1__CHANGE_STEP__INIT;
    Google__Protobuf__Timestamp at, effective;
    Credit__V1__ChangeRequest *cr = NULL;
    catalog_version *v = NULL;
    char detail[200], why[CATALOG_ERR_LEN];
    uint64_t seq;
    int rc;

    if (check_text_field(call, "reasons", req->reasons, 1) != 0)
        return;
    node_now(&at);
    effective = req->effective_at ? *req->effective_at : at;
    if (req->approve && (effective.nanos < 0 || effective.nanos > 999999999)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "effective_at: nanos %d are outside 0 to 999999999",
                   (int)effective.nanos);
        return;
    }
    if (req->approve && effective.seconds < at.seconds - PAST_GRACE_S) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "effective_at: is in the past; a version takes effect now or later");
        return;
    }
    /* A moment ago (a client's clock a little behind) means now: a version never takes
     * effect before it is approved. */
    if (effective.seconds < at.seconds ||
        (effective.seconds == at.seconds && effective.nanos < at.nanos))
        effective = at;
    pthread_mutex_lock(&gov_mu);
    cr = load_request(call, req->id, &seq);
    if (!cr)
        goto out;
    if (cr->state != CREDIT__V1__CHANGE_STATE__CHANGE_STATE_REVIEW_PASSED) {
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "%s is %s; only a request that passed compliance review is deliberated",
                   cr->id, state_name(cr->state));
        goto out;
    }
    if (req->approve) {
        const catalog_version *newest = catalog_newest(n->cat);

        if (catalog_ns(effective.seconds, effective.nanos) < catalog_effective_ns(newest)) {
            rpc_finish(call, RPC_INVALID_ARGUMENT,
                       "effective_at: is before version %u takes effect; versions take effect "
                       "in order",
                       newest->msg->version);
            goto out;
        }
        rc = try_apply(n, cr, &v, why);
        if (rc != 0) {
            rpc_finish(call, RPC_FAILED_PRECONDITION, "%s no longer applies to version %u: %s",
                       cr->id, newest->msg->version, why);
            goto out;
        }
        if (seal_version(v, cr, &effective, &at, by) != 0) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
            goto out;
        }
        cr->resulting_version = v->msg->version;
        cr->effective_at = &effective;
    }
    step.unit = (char *)by;
    step.at = &at;
    step.positive = req->approve;
    step.reasons = req->reasons;
    cr->decision = &step;
    cr->state = req->approve ? CREDIT__V1__CHANGE_STATE__CHANGE_STATE_APPROVED
                             : CREDIT__V1__CHANGE_STATE__CHANGE_STATE_REJECTED;
    if (v)
        snprintf(detail, sizeof detail, "approved %s: catalogue version %u, effective %" PRId64,
                 cr->id, v->msg->version, (int64_t)effective.seconds);
    else
        snprintf(detail, sizeof detail, "rejected %s", cr->id);
    if (save_request(call, seq, cr, v ? v->msg : NULL, detail) == 0) {
        if (v) {
            catalog_publish(n->cat, v);
            v = NULL;
        }
        rpc_reply(call, &cr->base);
    }
out:
    pthread_mutex_unlock(&gov_mu);
    catalog_version_destroy(v);
    if (cr) {
        if (cr->decision == &step)
            cr->decision = NULL; /* on the stack */
        if (cr->effective_at == &effective)
            cr->effective_at = NULL;
        credit__v1__change_request__free_unpacked(cr, NULL);
    }
}

static const rpc_handler handlers[] = {
    {.method = "ListVersions", .on_message = list_versions},
    {.method = "GetVersion", .on_message = get_version},
    {.method = "ProposeChange", .on_message = propose_change},
    {.method = "ReviewChange", .on_message = review_change},
    {.method = "DecideChange", .on_message = decide_change},
    {.method = "GetChange", .on_message = get_change},
    {.method = "ListChanges", .on_message = list_changes},
};

RPC_REGISTERED_SERVICE(catalogue_governance_service, credit__v1__catalogue_governance__descriptor,
                       handlers);
