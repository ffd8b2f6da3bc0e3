/*
 * node.c — authentication and audit, the node's side of the RPC hooks.
 *
 * Identity comes only from the verified client certificate: the RPC layer reads the SAN URI
 * (else the CN) from the handshake's auth context, this file checks the certificate against
 * the revocation list and maps the identity to a registered, active unit; before the handler
 * first runs, it asks the permission table (authz.h) whether the unit's kind holds the
 * capability the method needs. Refusals are logged and audited; so is every call to an
 * audited service, with its outcome.
 *
 * Every change is written here (node_commit), so this is where a fault of the disk becomes a
 * status (README, "Faults of the disk"): a full disk is RESOURCE_EXHAUSTED and passes by
 * itself; an I/O or fsync error is UNAVAILABLE, turns the health service NOT_SERVING, and
 * lasts until a restart, because the store refuses writes from then on (store.h).
 */
#include "node.h"

#include "authz.h"
#include "calendar.h"
#include "health.h"
#include "log.h"
#include "pb.h"
#include "publicity.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int authenticate(void *app, const rpc_peer *peer, rpc_auth auth, const char *method,
                        void **out, char *msg)
{
    node *n = app;
    char why[256];
    uint64_t gen_registry = __atomic_load_n(&n->registry_generation, __ATOMIC_ACQUIRE);
    uint64_t gen_tls = tls_generation(n->tls);
    if (peer->identity[0] == '\0') {
        snprintf(msg, 256, "the client certificate carries no identity (no SAN URI, no CN)");
        return RPC_UNAUTHENTICATED;
    }
    if (tls_check_peer(n->tls, peer->pem, peer->pem_len, why) != 0) {
        snprintf(msg, 256, "certificate refused: %.200s", why);
        return RPC_UNAUTHENTICATED;
    }
    if (auth == RPC_AUTH_VERIFIED)
        return RPC_OK;

    Credit__V1__Unit *u = NULL;
    char err[STORE_ERR_LEN];
    int rc = registry_resolve(n->st, peer->identity, &u, err);
    if (rc == STORE_ENOTFOUND) {
        snprintf(msg, 256, "certificate identity %.150s is not registered to any unit",
                 peer->identity);
        return RPC_UNAUTHENTICATED;
    }
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=resolve method=%s err=%s", method, err);
        snprintf(msg, 256, "the unit registry cannot be read now");
        return status_from_store(rc);
    }
    if (u->status != CREDIT__V1__UNIT_STATUS__UNIT_STATUS_ACTIVE) {
        snprintf(msg, 256, "unit %.63s is suspended%s%.150s", u->code,
                 u->status_reason[0] ? ": " : "", u->status_reason);
        credit__v1__unit__free_unpacked(u, NULL);
        return RPC_PERMISSION_DENIED;
    }
    /* The generations are read before the checks above would be repeated, so a change that
     * races with this call's start is seen by its first node_caller_current. */
    principal *p = calloc(1, sizeof *p + peer->pem_len + 1);
    if (!p) {
        credit__v1__unit__free_unpacked(u, NULL);
        snprintf(msg, 256, "out of memory");
        return RPC_RESOURCE_EXHAUSTED;
    }
    snprintf(p->code, sizeof p->code, "%s", u->code);
    snprintf(p->name, sizeof p->name, "%s", u->name);
    snprintf(p->identity, sizeof p->identity, "%s", peer->identity);
    p->kind = u->kind;
    snprintf(p->uscc, sizeof p->uscc, "%s", u->uscc);
    p->registry_generation = gen_registry;
    p->tls_generation = gen_tls;
    if (peer->pem_len)
        memcpy(p->pem, peer->pem, peer->pem_len);
    p->pem_len = peer->pem_len;
    credit__v1__unit__free_unpacked(u, NULL);
    *out = p;
    return RPC_OK;
}

/* The permission table's answer for the call's method (authz.h), asked by the RPC layer just
 * before the handler first runs, where the handlers used to ask it themselves: after the
 * request's text check, and for a client stream at its first message (or its half-close). */
_Static_assert(AUTHZ_WHY_LEN == 256, "a refusal's reason is the RPC hook's msg[256]");

static int authorize(void *app, rpc_call *call, char *msg)
{
    const rpc_service *svc = rpc_call_service(call);
    (void)app;
    if (!svc || svc->auth != RPC_AUTH_REGISTERED)
        return RPC_OK;
    if (authz_check(node_caller(call), authz_method_cap(rpc_call_method(call)), msg) != 0)
        return RPC_PERMISSION_DENIED;
    return RPC_OK;
}

static void release_principal(void *app, void *p)
{
    (void)app;
    free(p);
}

static int is_refusal(int code)
{
    return code == RPC_UNAUTHENTICATED || code == RPC_PERMISSION_DENIED;
}

/* Notes a write that met a fault of the disk (rc from the store): the first I/O error turns
 * the node NOT_SERVING for good (until a restart) and is logged as such. */
static void disk_fault(int rc, const char *method, const char *err)
{
    /* Process-wide like the health status it drives: one node per process. */
    static int failed; /* set once, by the first STORE_EDISK or STORE_EFAILED */

    if (rc != STORE_EDISK && rc != STORE_EFAILED)
        return;
    if (__atomic_exchange_n(&failed, 1, __ATOMIC_ACQ_REL))
        return;
    log_event(LOG_ERROR, "disk_failed", "method=%s err=%s action=%s", method, err,
              "refusing every change until restart; health NOT_SERVING");
    health_set_serving(0);
}

static void on_finished(void *app, rpc_call *call, int code, const char *message)
{
    node *n = app;
    const rpc_service *svc = rpc_call_service(call);
    const rpc_peer *peer = rpc_call_peer(call);
    const principal *p = rpc_call_principal(call);
    const char *method = rpc_call_method(call);
    if (is_refusal(code) || (code != RPC_OK && !svc)) {
        log_event(LOG_WARN, "refused", "method=%s code=%s identity=%s peer=%s reason=%s", method,
                  rpc_code_name(code), peer->identity, peer->address, message);
    } else {
        log_event(LOG_DEBUG, "call", "method=%s code=%s unit=%s", method, rpc_code_name(code),
                  p ? p->code : "-");
    }
    int audited = svc ? svc->audited : 1;
    if ((!audited && !is_refusal(code)) || rpc_call_is_audited(call))
        return;
    audit_event ev = {
        .unit = p ? p->code : NULL,
        .identity = peer->identity,
        .method = method,
        .code = code,
        .detail = message,
        .peer = peer->address,
    };
    char err[STORE_ERR_LEN];
    /* A read's audit entry does not wait for fsync: the WAL keeps it across a crash of the
     * process, concurrent reads share one write, and the syncer's next fsync covers it; a
     * change's entry is written with the change (node_commit). */
    int rc = audit_commit_read(n->audit, &ev, err);
    if (rc != 0) {
        log_event(LOG_ERROR, "audit", "method=%s err=%s", method, err);
        disk_fault(rc, method, err);
    }
}

rpc_hooks node_hooks(node *n)
{
    rpc_hooks h = {
        .app = n,
        .authenticate = authenticate,
        .release_principal = release_principal,
        .authorize = authorize,
        .on_finished = on_finished,
    };
    return h;
}

const principal *node_caller(rpc_call *call)
{
    return rpc_call_principal(call);
}

/* A caller's name for page tokens: its unit, or its certificate for unregistered services. */
static const char *page_caller(rpc_call *call)
{
    const principal *p = node_caller(call);
    return p ? p->code : rpc_call_peer(call)->identity;
}

int node_page_position(rpc_call *call, const ProtobufCMessage *req, const char *field,
                       const char *token, char *pos, size_t *len)
{
    node *n = rpc_call_app(call);
    char why[PAGETOKEN_WHY_LEN];
    if (!token || !token[0]) {
        pos[0] = '\0';
        *len = 0;
        return 0;
    }
    if (pagetoken_read(&n->pages, rpc_call_method(call), page_caller(call), req, token,
                       (int64_t)time(NULL), pos, len, why) == 0)
        return 0;
    rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: %s", field, why);
    return -1;
}

int node_page_record_after(rpc_call *call, const ProtobufCMessage *req, const char *token,
                           char after[PAGETOKEN_POS_MAX + 1], size_t *len)
{
    if (node_page_position(call, req, "page_token", token, after, len) != 0)
        return -1;
    if (*len && records_check_id(after) != 0) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "page_token: not a token this node gave");
        return -1;
    }
    return 0;
}

const ProtobufCMessage *node_records_page_message(rpc_call *call, const ProtobufCMessage *req,
                                                  records_page *p,
                                                  Credit__V1__ListRecordsResponse *resp,
                                                  Credit__Store__V1__RecordsPageWire *wire,
                                                  char *token)
{
    if (node_page_token(call, req, p->next, strlen(p->next), token) != 0)
        return NULL;
    if (p->n_packed == 0) {
        credit__v1__list_records_response__init(resp);
        records_page_response(p, resp);
        resp->next_page_token = token;
        return &resp->base;
    }
    /* Records already packed go out as they are, in the response's wire twin. */
    credit__store__v1__records_page_wire__init(wire);
    if (records_page_wire(p, wire) != 0) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    wire->next_page_token = token;
    return &wire->base;
}

void node_reply_records_page(rpc_call *call, const ProtobufCMessage *req, int rc,
                             records_page *p)
{
    Credit__V1__ListRecordsResponse resp;
    Credit__Store__V1__RecordsPageWire wire;
    char token[PAGETOKEN_MAX];
    if (rc < 0) {
        rpc_finish(call, status_from_store(rc), "the store cannot be read now");
        return;
    }
    const ProtobufCMessage *m = node_records_page_message(call, req, p, &resp, &wire, token);
    if (m)
        rpc_reply(call, m);
}

int node_page_token(rpc_call *call, const ProtobufCMessage *req, const void *pos, size_t len,
                    char *out)
{
    node *n = rpc_call_app(call);
    out[0] = '\0';
    if (len == 0)
        return 0;
    if (pagetoken_make(&n->pages, rpc_call_method(call), page_caller(call), req, pos, len,
                       (int64_t)time(NULL), out) == 0)
        return 0;
    rpc_finish(call, RPC_INTERNAL, "the next page's token cannot be made");
    return -1;
}

void node_registry_changed(node *n)
{
    __atomic_add_fetch(&n->registry_generation, 1, __ATOMIC_RELEASE);
}

int node_caller_current(rpc_call *call, const char *what)
{
    node *n = rpc_call_app(call);
    principal *p = rpc_call_principal(call);
    if (!p)
        return 0;
    uint64_t gen_registry = __atomic_load_n(&n->registry_generation, __ATOMIC_ACQUIRE);
    uint64_t gen_tls = tls_generation(n->tls);
    if (gen_registry == p->registry_generation && gen_tls == p->tls_generation)
        return 0;
    char why[256], err[STORE_ERR_LEN];
    if (gen_tls != p->tls_generation && tls_check_peer(n->tls, p->pem, p->pem_len, why) != 0) {
        rpc_finish(call, RPC_UNAUTHENTICATED, "certificate refused during this call: %.150s; %s",
                   why, what);
        return -1;
    }
    Credit__V1__Unit *u = NULL;
    int rc = registry_resolve(n->st, p->identity, &u, err);
    if (rc == STORE_ENOTFOUND) {
        rpc_finish(call, RPC_UNAUTHENTICATED,
                   "certificate identity %.100s is no longer registered to a unit; %s", p->identity,
                   what);
        return -1;
    }
    if (rc != 0) {
        log_event(LOG_ERROR, "store", "op=resolve method=%s err=%s", rpc_call_method(call), err);
        rpc_finish(call, status_from_store(rc), "the unit registry cannot be read now; %s", what);
        return -1;
    }
    int active =
        u->status == CREDIT__V1__UNIT_STATUS__UNIT_STATUS_ACTIVE && strcmp(u->code, p->code) == 0;
    if (!active)
        rpc_finish(call, RPC_PERMISSION_DENIED,
                   "unit %.63s was suspended during this call%s%.120s; %s", p->code,
                   u->status_reason[0] ? ": " : "", u->status_reason, what);
    credit__v1__unit__free_unpacked(u, NULL);
    if (!active)
        return -1;
    p->registry_generation = gen_registry;
    p->tls_generation = gen_tls;
    return 0;
}

/* Finishes a call whose change met store error rc (from the write or from its fsync). */
static void commit_failed(rpc_call *call, int rc, const char *err)
{
    const char *method = rpc_call_method(call);
    log_event(LOG_ERROR, "store", "method=%s err=%s", method, err);
    disk_fault(rc, method, err);
    switch (rc) {
    case STORE_ENOSPC:
        rpc_finish(call, status_from_store(rc),
                   "the disk of the node's data directory is full; nothing was written; "
                   "changes are accepted again once space is freed");
        break;
    case STORE_EDISK:
        rpc_finish(call, status_from_store(rc),
                   "the disk of the node's data directory failed to write or sync this change "
                   "(I/O error); it may or may not be stored; the node accepts no changes "
                   "until it is restarted; send it again after the restart");
        break;
    case STORE_EFAILED:
        rpc_finish(call, status_from_store(rc),
                   "the node accepts no changes since its disk failed an earlier write (I/O "
                   "error); nothing was written; it must be restarted");
        break;
    default:
        rpc_finish(call, status_from_store(rc),
                   "the change could not be stored; nothing was written");
        break;
    }
}

/* The change feed's part of a commit (audit_stage): numbered and staged under the log's
 * mutex, then published once the write is durable. */
typedef struct feed_commit {
    node *n;
    feed_changes *fc;
} feed_commit;

static int feed_stage_cb(void *ctx, store_batch *b, char *err)
{
    feed_commit *fcm = ctx;
    return feed_stage(fcm->n->feed, fcm->fc, b, err);
}

/* A published sequence waiting for its fsync. */
typedef struct feed_pending {
    feed *f;
    uint64_t seq;
} feed_pending;

static void feed_durable_cb(void *ctx, int rc, const char *err)
{
    feed_pending *p = ctx;
    (void)err;
    /* A failed fsync publishes nothing: the store refuses writes from then on, and a
     * restart finds in the log only what reached the disk. */
    if (rc == 0)
        feed_publish(p->f, p->seq);
    free(p);
}

static void feed_written_cb(void *ctx, uint64_t ticket)
{
    feed_commit *fcm = ctx;
    node *n = fcm->n;
    char err[STORE_ERR_LEN];
    feed_written(n->feed, fcm->fc);
    uint64_t seq = fcm->fc->first + fcm->fc->n - 1;
    feed_pending *p = n->sync ? malloc(sizeof *p) : NULL;
    if (p) {
        p->f = n->feed;
        p->seq = seq;
        if (audit_durable_notify(n->audit, ticket, feed_durable_cb, p, err) == 0)
            return;
        free(p);
    }
    /* --sync off (or no memory to wait): published as written, like the change itself. */
    feed_publish(n->feed, seq);
}

int node_commit_feed_start(rpc_call *call, store_batch *b, feed_changes *fc, const char *detail,
                           uint64_t *ticket)
{
    node *n = rpc_call_app(call);
    const principal *p = node_caller(call);
    const rpc_peer *peer = rpc_call_peer(call);
    audit_event ev = {
        .unit = p ? p->code : NULL,
        .identity = peer->identity,
        .method = rpc_call_method(call),
        .code = RPC_OK,
        .detail = detail,
        .peer = peer->address,
    };
    char err[STORE_ERR_LEN];
    feed_commit fcm = {n, fc};
    audit_stage stage = {feed_stage_cb, feed_written_cb, &fcm};
    int with_feed = fc && fc->n && n->feed;
    int rc = audit_commit_start_staged(n->audit, b, &ev, with_feed ? &stage : NULL, ticket, err);
    if (rc == 0) {
        rpc_call_mark_audited(call);
        return 0;
    }
    commit_failed(call, rc, err);
    return -1;
}

int node_commit_start(rpc_call *call, store_batch *b, const char *detail, uint64_t *ticket)
{
    return node_commit_feed_start(call, b, NULL, detail, ticket);
}

int node_commit_feed(rpc_call *call, store_batch *b, feed_changes *fc, const char *detail)
{
    node *n = rpc_call_app(call);
    uint64_t ticket = 0;
    char err[STORE_ERR_LEN];
    if (node_commit_feed_start(call, b, fc, detail, &ticket) != 0)
        return -1;
    if (!n->sync)
        return 0;
    /* Blocks this thread until the group's fsync; other changes share it (audit.h). */
    int rc = audit_durable_wait(n->audit, ticket, err);
    if (rc == 0) {
        /* Published before the caller answers, whichever of this thread and the syncer's
         * callback comes first: a client that reads the feed after its answer finds it. */
        if (fc && fc->n && n->feed)
            feed_publish(n->feed, fc->first + fc->n - 1);
        return 0;
    }
    commit_failed(call, rc, err);
    return -1;
}

int node_commit(rpc_call *call, store_batch *b, const char *detail)
{
    return node_commit_feed(call, b, NULL, detail);
}

/* A reply waiting for its fsync, packed already (rpc_pack): the bytes are all that is kept
 * of the handler's message, so a large answer (a portrait) is packed once and never copied. */
typedef struct durable_reply {
    rpc_call *call;
    rpc_packed *reply;
} durable_reply;

static void reply_when_durable(void *ctx, int rc, const char *err)
{
    durable_reply *d = ctx;
    if (rc == 0)
        rpc_reply_packed(d->call, d->reply);
    else {
        rpc_packed_free(d->reply);
        commit_failed(d->call, rc, err);
    }
    rpc_call_unref(d->call);
    free(d);
}

void node_reply_durable_packed(rpc_call *call, rpc_packed *reply, uint64_t ticket)
{
    node *n = rpc_call_app(call);
    char err[STORE_ERR_LEN];
    durable_reply *d = n->sync ? malloc(sizeof *d) : NULL;
    if (d) {
        d->call = call;
        d->reply = reply;
        rpc_call_ref(call);
        rpc_call_defer(call);
        if (audit_durable_notify(n->audit, ticket, reply_when_durable, d, err) == 0)
            return;
        rpc_call_unref(call);
        free(d);
    }
    /* With --sync off, at once; out of memory, waiting here instead: the change is written
     * and must not be lost. */
    int rc = n->sync ? audit_durable_wait(n->audit, ticket, err) : 0;
    if (rc == 0)
        rpc_reply_packed(call, reply);
    else {
        rpc_packed_free(reply);
        commit_failed(call, rc, err);
    }
}

void node_reply_durable(rpc_call *call, const ProtobufCMessage *reply, uint64_t ticket)
{
    node *n = rpc_call_app(call);
    char err[STORE_ERR_LEN];
    rpc_packed *packed = n->sync ? rpc_pack(call, reply) : NULL;
    if (packed) {
        node_reply_durable_packed(call, packed, ticket);
        return;
    }
    int rc = n->sync ? audit_durable_wait(n->audit, ticket, err) : 0;
    if (rc == 0)
        rpc_reply(call, reply);
    else
        commit_failed(call, rc, err);
}

int node_unit_exists(void *st, const char *code)
{
    Credit__V1__Unit *u = NULL;
    char err[STORE_ERR_LEN];

    if (registry_get(st, code, &u, err) != 0)
        return 0;
    credit__v1__unit__free_unpacked(u, NULL);
    return 1;
}

void node_now(Google__Protobuf__Timestamp *t)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    google__protobuf__timestamp__init(t);
    t->seconds = now.tv_sec;
    t->nanos = (int32_t)now.tv_nsec;
}

int node_check_text(rpc_call *call, const char *field, const char *s, size_t max, unsigned flags)
{
    char why[TEXT_WHY_LEN];

    if (text_check(s, max, flags, why) == 0)
        return 0;
    rpc_finish(call, RPC_INVALID_ARGUMENT, "%s: %s", field, why);
    return -1;
}

/* Makes a stored version what the tier may see: unsealed for the government tier (the
 * sealed bytes stay in the StoredRecord, which is never sent), cleared for the open tier.
 * Cleared strings of an unpacked message are sealed ones (already ""), so nothing owned is
 * dropped. Returns 0 or -1 with err. */
int node_shape_record(node *n, Credit__Store__V1__StoredRecord *sr, tier t, char *err)
{
    /* The end of publicity passes by itself, without a new version: the flag is worked out
     * when the record is read. A status the record lacks is allocated like the rest of the
     * unpacked message, so free_unpacked releases it. */
    Credit__V1__RecordMeta *m = sr->record->meta;
    Credit__V1__Date d;
    calendar_from_unix((int64_t)time(NULL), &d);
    if (publicity_record_ended(sr->record, &d)) {
        if (!m->status) {
            m->status = malloc(sizeof *m->status);
            if (!m->status) {
                snprintf(err, STORE_ERR_LEN, "out of memory");
                return -1;
            }
            credit__v1__record_status__init(m->status);
        }
        m->status->publicity_ended = 1;
    }
    if (t == TIER_GOVERNMENT)
        return records_unseal(n->pv, sr, err);
    tier_clear(sr->record, t, catalog_now(n->cat));
    return 0;
}
