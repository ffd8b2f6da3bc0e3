/*
 * node.h — the running node: what every handler reaches through rpc_call_app.
 *
 * The fields are set once at start-up, before the RPC server starts, and never change while
 * it runs; the objects they point to are thread-safe themselves.
 */
#ifndef CREDIT_NODE_H
#define CREDIT_NODE_H

#include "audit.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "catalog.h"
#include "feed.h"
#include "pagetoken.h"
#include "privacy.h"
#include "records.h"
#include "rpc.h"
#include "store.h"
#include "text.h"
#include "tier.h"
#include "tls.h"

typedef struct node {
    store *st;
    audit *audit;
    tls_state *tls;
    privacy *pv; /* seals personal identity numbers */
    struct signkey *sign; /* signs credit portraits (signkey.h) */
    catalog *cat; /* the catalogue: every version; thread-safe */
    int sync;    /* fsync acknowledged writes */
    pagetoken_key pages; /* authenticates page tokens; derived from the privacy key */
    /* +1 after each change of the unit registry (node_registry_changed); read and written
     * atomically. Lets a long call see that its caller may have been suspended. */
    uint64_t registry_generation;
    feed *feed; /* the change feed (feed.h); its entries are numbered by the committer */
    struct pcache *portraits; /* computed portrait contents (pcache.h); NULL: disabled */
} node;

/* The caller of a call to a service of level RPC_AUTH_REGISTERED: a copy of its unit as it
 * was when the call started (or when node_caller_current last checked it). Owned by the RPC
 * layer; valid for the whole call; changed only by node_caller_current, on the call's own
 * callbacks, which never run concurrently. */
typedef struct principal {
    char code[64];
    char name[256];
    int kind; /* Credit__V1__UnitKind */
    char uscc[32]; /* its unified social credit code, "" if it has none */
    char identity[256];
    uint64_t registry_generation, tls_generation; /* when the caller was last checked */
    size_t pem_len;
    char pem[]; /* the caller's certificate, for a later revocation check */
} principal;

/* Whether unit `code` is in the registry of store `st` (a catalog_unit_exists). */
int node_unit_exists(void *st, const char *code);

/* *t = the current time (initialised as a fresh message). */
void node_now(Google__Protobuf__Timestamp *t);

/* The hooks that plug the node into the RPC layer (authentication, audit, logs). */
rpc_hooks node_hooks(node *n);

/* The caller of `call`, or NULL for services open to any verified certificate. */
const principal *node_caller(rpc_call *call);

/* The position a listing call resumes after: "" (*len 0) when `token` is empty, else what
 * the token carries if it was given for this very query (pagetoken.h) into
 * pos[PAGETOKEN_POS_MAX + 1]. Returns 0, or finishes the call with INVALID_ARGUMENT
 * ("<field>: ...", `field` the token's name in the request) and returns -1. */
int node_page_position(rpc_call *call, const ProtobufCMessage *req, const char *field,
                       const char *token, char *pos, size_t *len);

/* The token for the page after position pos[len] of the listing `req`, into
 * out[PAGETOKEN_MAX]; "" when len is 0 (no further page). Returns 0, or finishes the call with
 * INTERNAL and returns -1. */
int node_page_token(rpc_call *call, const ProtobufCMessage *req, const void *pos, size_t len,
                    char *out);

/* node_page_position for a listing whose position is a record id: also refuses a token
 * whose position is not one. *len is 0 on the first page. */
int node_page_record_after(rpc_call *call, const ProtobufCMessage *req, const char *token,
                           char after[PAGETOKEN_POS_MAX + 1], size_t *len);

/* Page `p` as the message a ListRecords call answers, with the token of the page after it in
 * token[PAGETOKEN_MAX]: *resp (its records borrowed from p) when every record is unpacked,
 * else *wire, the response's wire twin, whose records are the packed ones as they are and the
 * others packed into p. Returns resp's or wire's base (valid while p, resp, wire and token
 * are), or finishes the call (INTERNAL, RESOURCE_EXHAUSTED) and returns NULL. */
const ProtobufCMessage *node_records_page_message(rpc_call *call, const ProtobufCMessage *req,
                                                  records_page *p,
                                                  Credit__V1__ListRecordsResponse *resp,
                                                  Credit__Store__V1__RecordsPageWire *wire,
                                                  char *token);

/* Ends a record listing: a store error rc (< 0) as its status, else page `p` as the
 * ListRecordsResponse, with the token of the page after it. The page stays the caller's. */
void node_reply_records_page(rpc_call *call, const ProtobufCMessage *req, int rc,
                             records_page *p);

/* Makes a stored version what tier `t` may see (the query services and the change feed): the
 * end of publicity worked out for today; unsealed for the government tier (the sealed bytes
 * stay in the StoredRecord, which is never sent), cleared above the tier otherwise. Returns 0
 * or -1 with err. */
int node_shape_record(node *n, Credit__Store__V1__StoredRecord *sr, tier t, char *err);

/* Tells long calls that the unit registry changed (a unit suspended, reinstated, bound). */
void node_registry_changed(node *n);

/* For a long call (a client stream) before each step that counts: whether its caller is
 * still what it was when the call started — the certificate not revoked since, the unit
 * still registered and active. Cheap while neither the registry nor the revocation list has
 * changed. Returns 0, or finishes the call (UNAUTHENTICATED, PERMISSION_DENIED or
 * UNAVAILABLE, saying that `what` was not done) and returns -1. */
int node_caller_current(rpc_call *call, const char *what);

/* Writes `b` (the call's change; may be NULL) together with the call's audit entry, marks
 * the call audited, and returns 0; or finishes the call and returns -1: RESOURCE_EXHAUSTED
 * when the disk is full, UNAVAILABLE on an I/O or fsync error (which also turns the node
 * NOT_SERVING until a restart) or any other store failure. `detail` says what changed. */
int node_commit(rpc_call *call, store_batch *b, const char *detail);

/* node_commit for a unary change whose reply does not wait on a completion-queue thread:
 * writes `b` with the audit entry (not yet fsynced) and returns 0 with *ticket, or finishes
 * the call as node_commit does and returns -1. Then node_reply_durable answers. */
int node_commit_start(rpc_call *call, store_batch *b, const char *detail, uint64_t *ticket);

/* node_commit and node_commit_start for a change that enters the change feed: the changes
 * in `fc` (feed.h; NULL or empty: none) are numbered by the group committer and written in
 * the same batch as `b` and its audit entry. Their sequences are published once the write is
 * fsynced (at once with --sync off). */
int node_commit_feed(rpc_call *call, store_batch *b, feed_changes *fc, const char *detail);
int node_commit_feed_start(rpc_call *call, store_batch *b, feed_changes *fc, const char *detail,
                           uint64_t *ticket);

/* Answers `reply` once the write of `ticket` is fsynced, from the syncer thread; or finishes
 * the call as node_commit does if the fsync failed. The reply is packed now (rpc_pack) and
 * only its bytes wait, so the caller keeps and frees its message. With --sync off, answers
 * at once. For a unary call it marks the call deferred. */
void node_reply_durable(rpc_call *call, const ProtobufCMessage *reply, uint64_t ticket);

/* node_reply_durable for a reply packed already (rpc_pack, rpc_packed_take), which it takes. */
void node_reply_durable_packed(rpc_call *call, rpc_packed *reply, uint64_t ticket);

/* Checks request field `field` holding text s by the node's one text rule (text.h: at most
 * `max` bytes, UTF-8, no control characters but line feeds and tabs with TEXT_MULTILINE,
 * TEXT_REQUIRED not blank). Returns 0, or finishes the call with INVALID_ARGUMENT
 * ("<field>: <reason>") and returns -1. */
int node_check_text(rpc_call *call, const char *field, const char *s, size_t max,
                    unsigned flags);

#endif /* CREDIT_NODE_H */
