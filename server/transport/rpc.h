/*
 * rpc.h — the node's RPC layer on the gRPC C core.
 *
 * Services are tables of handlers bound to protobuf-c service descriptors; the streaming
 * shape of each method comes from the embedded descriptor set, never from hand-written path
 * strings. rpc.c owns every grpc_* call of the server: a small fixed set of threads polls one
 * completion queue; each call is a small state machine (receive, hand to the handler, send
 * queued replies one at a time, send the status, wait for close); an unknown method answers
 * UNIMPLEMENTED at once.
 *
 * The handler model is the same for all four shapes:
 *  - on_message runs once per request message (once for unary and server-streaming calls);
 *    the next message is not read until it returns, which is the inbound flow control; a
 *    message whose string fields hold a NUL or bytes that are not UTF-8 never reaches it:
 *    the call ends with INVALID_ARGUMENT naming the field (pbcheck.h);
 *  - on_half_close runs when a client-streaming or bidi client has sent its last message
 *    (NULL: finish with OK unless the handler already finished);
 *  - rpc_send queues a reply message (packed at once, so the caller keeps ownership of its
 *    message), rpc_finish queues the final status; they may be called from any thread while
 *    the call is alive (hold a reference with rpc_call_ref to use a call outside a callback);
 *  - on_drain, if set, runs each time the queue of replies has been written out, so that a
 *    server-streaming producer can produce the next piece (outbound flow control);
 *  - on_done runs exactly once when the call is over (cancelled: the client went away, the
 *    deadline passed or the server is stopping) to free the handler's per-call state.
 * A unary handler must call rpc_finish (or rpc_reply) before on_message returns, unless it
 * called rpc_call_defer: then another thread finishes the call later (holding a reference).
 *
 * Threads: callbacks for one call never run concurrently with each other except on_drain,
 * which may run beside on_message on another thread; handlers that use both lock their own
 * state. Callbacks run on the completion-queue threads: keep them short.
 */
#ifndef CREDIT_RPC_H
#define CREDIT_RPC_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#include "status.h"


/* The name of a status code ("PERMISSION_DENIED"). */
const char *rpc_code_name(int code);

typedef struct rpc_server rpc_server;
typedef struct rpc_call rpc_call;

/* Who may call a service. */
typedef enum rpc_auth {
    RPC_AUTH_VERIFIED = 0,   /* any verified, unrevoked certificate (health, reflection) */
    RPC_AUTH_REGISTERED = 1, /* a registered, active unit */
} rpc_auth;

typedef struct rpc_handler {
    const char *method; /* the method's name in the proto, e.g. "WhoAmI" */
    void (*on_message)(rpc_call *call, const ProtobufCMessage *req);
    void (*on_half_close)(rpc_call *call);
    void (*on_drain)(rpc_call *call);
    void (*on_done)(rpc_call *call, int cancelled);
} rpc_handler;

typedef struct rpc_service {
    const ProtobufCServiceDescriptor *descriptor;
    const rpc_handler *handlers; /* methods without a handler answer UNIMPLEMENTED */
    size_t n_handlers;
    rpc_auth auth;
    int audited; /* 1: every call is written to the audit log (see rpc_hooks.on_done) */
} rpc_service;

/* Defines `const rpc_service name` for a registered-units service whose every call is
 * audited (all of the node's own services): the descriptor and a handler table array. */
#define RPC_REGISTERED_SERVICE(name, desc, table)                                                  \
    const rpc_service name = {                                                                     \
        .descriptor = &(desc),                                                                     \
        .handlers = (table),                                                                       \
        .n_handlers = sizeof(table) / sizeof((table)[0]),                                          \
        .auth = RPC_AUTH_REGISTERED,                                                               \
        .audited = 1,                                                                              \
    }

/* The verified peer of a call, as the TLS layer saw it. Strings are NUL-terminated. */
typedef struct rpc_peer {
    char identity[256];     /* SAN URI (urn:credit:unit:...) if any, else "cn:<common name>" */
    char subject[256];      /* the certificate's subject, one line */
    char address[64];       /* the peer's address, for logs */
    const char *pem;        /* the peer certificate (valid during authenticate only) */
    size_t pem_len;
} rpc_peer;

/* What the application plugs into the RPC layer. All callbacks may run on any CQ thread. */
typedef struct rpc_hooks {
    void *app;
    /* Decides whether the peer may call a service of `auth` level. Returns RPC_OK, or a code
     * (UNAUTHENTICATED, PERMISSION_DENIED) with a message in msg[256]. On success it may set
     * *principal (an app-owned object the handlers read with rpc_call_principal; released
     * with release_principal when the call is over). */
    int (*authenticate)(void *app, const rpc_peer *peer, rpc_auth auth, const char *method,
                        void **principal, char *msg);
    void (*release_principal)(void *app, void *principal);
    /* Decides once per call whether it may go on, just before its handler first runs: after
     * the first request message was read and passed its text check (pbcheck.h), or at the
     * half-close of a client stream that sent none. Returns RPC_OK, or a code
     * (PERMISSION_DENIED) with a message in msg[256], which finishes the call without its
     * handler. NULL: every call goes on. */
    int (*authorize)(void *app, rpc_call *call, char *msg);
    /* Called once per call when its status has been decided: for logs and the audit log. */
    void (*on_finished)(void *app, rpc_call *call, int code, const char *message);
} rpc_hooks;

typedef struct rpc_options {
    const char *listen;               /* "127.0.0.1:0" */
    void *server_credentials;         /* a grpc_server_credentials*, consumed by the server */
    int threads;                      /* completion-queue threads; >= 1 */
    int max_message_bytes;            /* requests larger than this: RESOURCE_EXHAUSTED */
    /* Transport limits (0: the core's default). Debian's 1.51 core advertises no stream limit
     * of its own and has no rapid-reset defence, so the node sets each explicitly. */
    int max_streams;                  /* SETTINGS_MAX_CONCURRENT_STREAMS per connection */
    int max_header_bytes;             /* largest header list of a call */
    int handshake_timeout_ms;         /* TLS + HTTP/2 handshake deadline */
    int max_connection_idle_ms;       /* GOAWAY after this long without a call */
    int max_connection_age_ms;        /* GOAWAY after this long; 30 s grace for its calls */
    int min_ping_interval_ms;         /* keepalive enforcement: pings closer than this strike */
    size_t max_memory_bytes;          /* the core's resource quota (0: unbounded) */
    /* The node's own connection guard (connguard.h), for what the core has no knob for. */
    int max_resets_per_second;        /* client-cancelled calls a connection may make a second */
    int max_connections;              /* accepted connections in all (0: no limit) */
    int max_connections_per_peer;     /* accepted connections from one address (0: no limit) */
    const unsigned char *descriptor_set; /* serialized FileDescriptorSet: streaming flags */
    size_t descriptor_set_len;
} rpc_options;

/* Sends the gRPC core's own log lines through log.h, as structured lines; its warnings are
 * rate-limited and repeats dropped, with a count of what was dropped. */
void rpc_route_core_logs(void);

/* Writes the count of core log lines dropped since the last one written, if any (call it
 * now and then, e.g. once a second, so that a flood that stopped is still reported). */
void rpc_core_log_tick(void);

/* Once a second: the connection guard's scan (connection limits), with a log line for what it
 * closed. */
void rpc_server_tick(rpc_server *srv);

/* Creates a server. Services are added before rpc_server_start. On failure returns NULL and
 * writes the reason into err[256]. */
rpc_server *rpc_server_create(const rpc_options *opts, const rpc_hooks *hooks, char *err);

/* Registers every method of `svc`. Returns 0, or -1 with err[256] (a method that is not in
 * the descriptor set, a handler naming no method). */
int rpc_server_add_service(rpc_server *srv, const rpc_service *svc, char *err);

/* Binds the port and starts the threads. Returns the bound port (> 0), or -1 with err[256]. */
int rpc_server_start(rpc_server *srv, char *err);

/* Stops accepting calls, lets in-flight calls finish for up to grace_ms, then cancels the
 * rest, waits for every call to be freed and joins the threads. */
void rpc_server_shutdown(rpc_server *srv, int grace_ms);

/* Frees a server that was shut down (or never started). NULL is a no-op. */
void rpc_server_destroy(rpc_server *srv);

/* --- Calls --------------------------------------------------------------------------------- */

/* Packs `msg` and queues it. Returns 0, or -1 if the call is finished or cancelled (the
 * message is dropped; that is not an error for the handler to report). A string field that
 * holds a NUL or bytes that are not UTF-8 (only old stored data can) goes out with each such
 * byte replaced by '?', and a warning is logged (pbcheck_repair). */
int rpc_send(rpc_call *call, const ProtobufCMessage *msg);

/* Queues the final status. Only the first call counts; later ones are ignored. The message
 * is formatted printf-style and cut at 512 bytes. */
void rpc_finish(rpc_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* rpc_send(msg) then rpc_finish(OK). */
void rpc_reply(rpc_call *call, const ProtobufCMessage *msg);

/* A reply packed ahead of its sending, with rpc_send's text check done: for an answer that
 * waits (for an fsync) after its handler has let go of the message, so that it is packed once
 * and kept as bytes, not copied as a message and packed later. rpc_reply_packed sends it and
 * finishes the call OK, taking it whatever happens (dropped if the call is already over);
 * rpc_packed_free drops one not sent (NULL is a no-op). */
typedef struct rpc_packed rpc_packed;
rpc_packed *rpc_pack(rpc_call *call, const ProtobufCMessage *msg);
void rpc_reply_packed(rpc_call *call, rpc_packed *packed);
void rpc_packed_free(rpc_packed *packed);

/* A reply its handler packed itself (malloc'd bytes, taken: freed once sent or dropped), with
 * no text check: for bytes the handler has checked already (pbcheck_repair) and must send
 * exactly as they are, as a signed portrait. */
rpc_packed *rpc_packed_take(void *bytes, size_t len);

/* Keep a call alive outside its callbacks (for example a watcher registered in a list). */
void rpc_call_ref(rpc_call *call);
void rpc_call_unref(rpc_call *call);

/* Per-call handler state: whatever the handler stores; free it in on_done. */
void rpc_call_set_data(rpc_call *call, void *data);
void *rpc_call_data(const rpc_call *call);

/* The app object of the server's hooks, the principal set by authenticate (NULL for
 * services of level RPC_AUTH_VERIFIED that set none), and the peer. */
void *rpc_call_app(const rpc_call *call);
void *rpc_call_principal(const rpc_call *call);
const rpc_peer *rpc_call_peer(const rpc_call *call);
const char *rpc_call_method(const rpc_call *call); /* "/credit.v1.UnitRegistry/WhoAmI" */
const rpc_service *rpc_call_service(const rpc_call *call);
int rpc_call_is_finished(const rpc_call *call);    /* a status has been queued */
int64_t rpc_call_deadline_ms(const rpc_call *call); /* ms left; INT64_MAX when none */

/* Called inside on_message: the handler keeps the request message it was given (a client
 * stream collecting its records) instead of copying it; it frees it later with
 * protobuf_c_message_free_unpacked. */
void rpc_call_take_message(rpc_call *call);

/* Called inside on_message: the size in bytes of the message it was given, as it came on the
 * wire. */
size_t rpc_call_message_size(const rpc_call *call);

/* Says that a unary call's answer will come after on_message returns, from another thread
 * that holds a reference (rpc_call_ref) and calls rpc_reply or rpc_finish: the group
 * committer answers a change once its fsync is done. */
void rpc_call_defer(rpc_call *call);
int rpc_call_is_deferred(const rpc_call *call);

/* Marks that the handler wrote the call's audit entry itself (with its change, in one
 * batch), so on_finished need not write another. */
void rpc_call_mark_audited(rpc_call *call);
int rpc_call_is_audited(const rpc_call *call);

#endif /* CREDIT_RPC_H */
