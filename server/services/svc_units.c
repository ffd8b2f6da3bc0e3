/*
 * svc_units.c — credit.v1.UnitRegistry.
 *
 * Any registered unit may ask who it is and read the registry (without other units'
 * certificate identities); only the office changes it (the capabilities units.read,
 * units.identities and units.register: authz.h, checked before these handlers run). Each change is one batch with its
 * audit entry. Changes are read-modify-write, so they run one at a time under `write_mu`;
 * the registry is small and changes are rare. Every text the office gives (a name, a reason,
 * an identity) is held to the node's text rule (text.h) as one line.
 */
#include "svc_units.h"

#include "authz.h"
#include "node.h"
#include "registry.h"
#include "validate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define NAME_MAX_LEN TEXT_SHORT_MAX     /* a unit's name: one line */
#define REASON_MAX_LEN TEXT_REASON_MAX /* why a unit was suspended or reinstated: one line */

static pthread_mutex_t write_mu = PTHREAD_MUTEX_INITIALIZER;

static int check_code_field(rpc_call *call, const char *field, const char *code)
{
    char why[128];
    if (registry_check_code(code, why) == 0)
        return 0;
    rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: %s", field, why);
    return -1;
}

/* Reads the unit named by a request; finishes the call and returns NULL if it cannot. */
static Credit__V1__Unit *load_unit(rpc_call *call, const char *code)
{
    if (check_code_field(call, "code", code) != 0)
        return NULL;
    node *n = rpc_call_app(call);
    Credit__V1__Unit *u = NULL;
    char err[STORE_ERR_LEN];
    int rc = registry_get(n->st, code, &u, err);
    if (rc == STORE_ENOTFOUND)
        rpc_finish(call, RPC_NOT_FOUND, "no unit with code \"%s\"", code);
    else if (rc != 0)
        rpc_finish(call, status_from_store(rc), "the unit registry cannot be read now");
    return rc == 0 ? u : NULL;
}

/* Makes `u` what the caller may see: other units' certificate identities are the office's.
 * Unpacked messages use the default allocator, so the strings are plain malloc'd memory. */
static void redact_for(const principal *p, Credit__V1__Unit *u)
{
    if (authz_has(p, AUTHZ_UNITS_IDENTITIES) || strcmp(p->code, u->code) == 0)
        return;
    for (size_t i = 0; i < u->n_identities; i++)
        free(u->identities[i]);
    free(u->identities);
    u->identities = NULL;
    u->n_identities = 0;
}

static void reply_unit(rpc_call *call, Credit__V1__Unit *u)
{
    redact_for(node_caller(call), u);
    rpc_reply(call, &u->base);
}

static void stamp(Credit__V1__Unit *u, Google__Protobuf__Timestamp *ts, const principal *p)
{
    node_now(ts);
    u->updated_at = ts;
    u->updated_by = (char *)p->code;
}

/* Writes `u` (and a binding, if identity is set) with the audit entry and replies with it. */
static void save_and_reply(rpc_call *call, Credit__V1__Unit *u, const char *identity,
                            const char *detail)
{
    store_batch *b = store_batch_create();
    if (!b || registry_put(b, u) != 0) {
        store_batch_destroy(b);
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
        return;
    }
    if (identity)
        registry_put_binding(b, identity, u->code);
    feed_changes fc; /* the unit's new state enters the change feed, by its code */
    feed_changes_init(&fc);
    feed_changes_add(&fc, CREDIT__V1__FEED_KIND__FEED_KIND_UNIT, 0, u->code, u->code,
                     strlen(u->code));
    int committed = node_commit_feed(call, b, &fc, detail);
    feed_changes_cleanup(&fc);
    if (committed == 0) {
        node_registry_changed(rpc_call_app(call));
        reply_unit(call, u);
    }
    store_batch_destroy(b);
}

static void who_am_i(rpc_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    const principal *p = node_caller(call);
    Credit__V1__Unit *u = load_unit(call, p->code);
    if (!u)
        return;
    Credit__V1__WhoAmIResponse resp = CREDIT__V1__WHO_AM_IRESPONSE__INIT;
    resp.unit = u;
    resp.identity = (char *)p->identity;
    resp.cert_subject = (char *)rpc_call_peer(call)->subject;
    rpc_reply(call, &resp.base);
    credit__v1__unit__free_unpacked(u, NULL);
}

static void list_units(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ListUnitsRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    if (req->page_size < 0 || req->page_size > PAGE_MAX) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "page_size: must be 0 (default %d) to %d",
                   PAGE_DEFAULT, PAGE_MAX);
        return;
    }
    if (req->kind != 0 &&
        !protobuf_c_enum_descriptor_get_value(&credit__v1__unit_kind__descriptor, req->kind)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "kind: %d is not a unit kind", req->kind);
        return;
    }
    char from[PAGETOKEN_POS_MAX + 1];
    size_t from_len;
    if (node_page_position(call, msg, "page_token", req->page_token, from, &from_len) != 0 ||
        (from_len && check_code_field(call, "page_token", from) != 0))
        return;
    size_t want = req->page_size ? (size_t)req->page_size : PAGE_DEFAULT;
    Credit__V1__ListUnitsResponse resp = CREDIT__V1__LIST_UNITS_RESPONSE__INIT;
    Credit__V1__Unit **units = calloc(want, sizeof *units);
    char next[64] = "";
    char err[STORE_ERR_LEN];
    registry_scan *scan = NULL;
    int rc = units ? registry_scan_open(n->st, from, &scan) : STORE_ENOMEM;
    if (rc != 0) {
        rpc_finish(call, status_from_store(rc), "out of memory");
        goto out;
    }
    Credit__V1__Unit *u;
    while ((rc = registry_scan_next(scan, &u, err)) > 0) {
        if (req->kind != 0 && (int)u->kind != (int)req->kind) {
            credit__v1__unit__free_unpacked(u, NULL);
            continue;
        }
        if (resp.n_units == want) {
            snprintf(next, sizeof next, "%s", u->code);
            credit__v1__unit__free_unpacked(u, NULL);
            break;
        }
        redact_for(p, u);
        units[resp.n_units++] = u;
    }
    if (rc < 0) {
        rpc_finish(call, status_from_store(rc), "%s",
                   rc == STORE_ECORRUPT ? err : "the unit registry cannot be read now");
        goto out;
    }
    resp.units = units;
    char token[PAGETOKEN_MAX];
    if (node_page_token(call, msg, next, strlen(next), token) != 0)
        goto out;
    resp.next_page_token = token;
    rpc_reply(call, &resp.base);
out:
    registry_scan_close(scan);
    for (size_t i = 0; units && i < resp.n_units; i++)
        credit__v1__unit__free_unpacked(units[i], NULL);
    free(units);
}

static void get_unit(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__GetUnitRequest *req = (const void *)msg;
    Credit__V1__Unit *u = load_unit(call, req->code);
    if (!u)
        return;
    reply_unit(call, u);
    credit__v1__unit__free_unpacked(u, NULL);
}

static void register_unit(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__RegisterUnitRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    char why[128];
    if (check_code_field(call, "code", req->code) != 0)
        return;
    if (node_check_text(call, "name", req->name, NAME_MAX_LEN, TEXT_REQUIRED) != 0)
        return;
    if (req->kind == 0 ||
        !protobuf_c_enum_descriptor_get_value(&credit__v1__unit_kind__descriptor, req->kind)) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "kind: must be a unit kind, not %d", req->kind);
        return;
    }
    if (req->uscc[0] && validate_uscc(req->uscc, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "uscc: %s", why);
        return;
    }
    pthread_mutex_lock(&write_mu);
    Credit__V1__Unit *old = NULL;
    char err[STORE_ERR_LEN];
    int rc = registry_get(n->st, req->code, &old, err);
    if (rc == 0) {
        rpc_finish(call, RPC_ALREADY_EXISTS, "a unit with code \"%s\" is already registered",
                   req->code);
        credit__v1__unit__free_unpacked(old, NULL);
    } else if (rc != STORE_ENOTFOUND) {
        rpc_finish(call, status_from_store(rc), "the unit registry cannot be read now");
    } else {
        Google__Protobuf__Timestamp ts;
        Credit__V1__Unit u = CREDIT__V1__UNIT__INIT;
        u.code = req->code;
        u.name = req->name;
        u.kind = req->kind;
        u.uscc = req->uscc;
        u.status = CREDIT__V1__UNIT_STATUS__UNIT_STATUS_ACTIVE;
        stamp(&u, &ts, node_caller(call));
        u.registered_at = &ts;
        char detail[160];
        snprintf(detail, sizeof detail, "registered unit %s as %s", req->code,
                 registry_kind_name(req->kind));
        save_and_reply(call, &u, NULL, detail);
    }
    pthread_mutex_unlock(&write_mu);
}

/* Suspends (suspend=1) or reinstates (0) a unit. */
static void set_status(rpc_call *call, const char *code, const char *reason, int suspend)
{
    const principal *p = node_caller(call);
    if (check_code_field(call, "code", code) != 0)
        return;
    /* One line: the reason is shown with every refusal of a suspended unit. */
    if (node_check_text(call, "reason", reason, REASON_MAX_LEN, TEXT_REQUIRED) != 0)
        return;
    if (suspend && strcmp(code, p->code) == 0) {
        rpc_finish(call, RPC_FAILED_PRECONDITION,
                   "the office cannot suspend itself: no unit could reinstate it");
        return;
    }
    pthread_mutex_lock(&write_mu);
    Credit__V1__Unit *u = load_unit(call, code);
    if (!u)
        goto out;
    int want = suspend ? CREDIT__V1__UNIT_STATUS__UNIT_STATUS_SUSPENDED
                       : CREDIT__V1__UNIT_STATUS__UNIT_STATUS_ACTIVE;
    if ((int)u->status == want) {
        rpc_finish(call, RPC_FAILED_PRECONDITION, "unit %s is already %s", code,
                   suspend ? "suspended" : "active");
        goto out;
    }
    Google__Protobuf__Timestamp ts;
    char *old_by = u->updated_by, *old_reason = u->status_reason;
    Google__Protobuf__Timestamp *old_at = u->updated_at;
    u->status = want;
    u->status_reason = (char *)reason;
    stamp(u, &ts, p);
    char detail[160];
    snprintf(detail, sizeof detail, "%s unit %s", suspend ? "suspended" : "reinstated", code);
    save_and_reply(call, u, NULL, detail);
    /* Give the unpacked message back its own pointers before freeing it. */
    u->updated_by = old_by;
    u->status_reason = old_reason;
    u->updated_at = old_at;
out:
    if (u)
        credit__v1__unit__free_unpacked(u, NULL);
    pthread_mutex_unlock(&write_mu);
}

static void suspend_unit(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__SuspendUnitRequest *req = (const void *)msg;
    set_status(call, req->code, req->reason, 1);
}

static void reinstate_unit(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__ReinstateUnitRequest *req = (const void *)msg;
    set_status(call, req->code, req->reason, 0);
}

static void bind_identity(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__BindIdentityRequest *req = (const void *)msg;
    node *n = rpc_call_app(call);
    char why[128], err[STORE_ERR_LEN];
    if (check_code_field(call, "code", req->code) != 0)
        return;
    if (node_check_text(call, "identity", req->identity, REGISTRY_IDENTITY_MAX,
                        TEXT_REQUIRED) != 0)
        return;
    if (registry_check_identity(req->identity, why) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "identity: %s", why);
        return;
    }
    if (strncmp(req->identity, REGISTRY_UNIT_URI, strlen(REGISTRY_UNIT_URI)) == 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT,
                   "identity: a %s... URI names its unit by itself and cannot be bound",
                   REGISTRY_UNIT_URI);
        return;
    }
    pthread_mutex_lock(&write_mu);
    char *bound = NULL;
    Credit__V1__Unit *u = load_unit(call, req->code);
    if (!u)
        goto out;
    int rc = registry_binding(n->st, req->identity, &bound, err);
    if (rc == 0 && strcmp(bound, req->code) != 0) {
        rpc_finish(call, RPC_ALREADY_EXISTS, "identity \"%s\" is already bound to unit %s",
                   req->identity, bound);
        goto out;
    }
    if (rc != 0 && rc != STORE_ENOTFOUND) {
        rpc_finish(call, status_from_store(rc), "the unit registry cannot be read now");
        goto out;
    }
    if (rc == 0) { /* bound to this unit already: nothing changes */
        reply_unit(call, u);
        goto out;
    }
    size_t k = u->n_identities;
    char **ids = realloc(u->identities, (k + 1) * sizeof *ids);
    char *copy = strdup(req->identity);
    if (!ids || !copy) {
        if (ids)
            u->identities = ids;
        free(copy);
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory; nothing was written");
        goto out;
    }
    /* The unpacked message's arrays are plain malloc'd memory (default allocator), so they
     * can grow and be freed by free_unpacked as usual. */
    ids[k] = copy;
    u->identities = ids;
    u->n_identities = k + 1;
    Google__Protobuf__Timestamp ts;
    char *old_by = u->updated_by;
    Google__Protobuf__Timestamp *old_at = u->updated_at;
    stamp(u, &ts, node_caller(call));
    char detail[400];
    snprintf(detail, sizeof detail, "bound identity %s to unit %s", req->identity, req->code);
    save_and_reply(call, u, req->identity, detail);
    u->updated_by = old_by;
    u->updated_at = old_at;
out:
    free(bound);
    if (u)
        credit__v1__unit__free_unpacked(u, NULL);
    pthread_mutex_unlock(&write_mu);
}

static const rpc_handler handlers[] = {
    {.method = "WhoAmI", .on_message = who_am_i},
    {.method = "ListUnits", .on_message = list_units},
    {.method = "GetUnit", .on_message = get_unit},
    {.method = "RegisterUnit", .on_message = register_unit},
    {.method = "SuspendUnit", .on_message = suspend_unit},
    {.method = "ReinstateUnit", .on_message = reinstate_unit},
    {.method = "BindIdentity", .on_message = bind_identity},
};

RPC_REGISTERED_SERVICE(unit_registry_service, credit__v1__unit_registry__descriptor, handlers);
