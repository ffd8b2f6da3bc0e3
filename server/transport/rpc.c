/*
 * rpc.c — call state machines on the gRPC C core.
 *
 * One completion queue, polled by a fixed set of threads. Every registered method keeps a few
 * requests armed; so does a generic request, which catches methods nobody registered and
 * answers them UNIMPLEMENTED at once (without it such a call would hang until its deadline).
 *
 * A call's life:
 *   NEW      the core hands us the call; we start RECV_CLOSE_ON_SERVER alone, authenticate
 *            the peer, and either finish with an error or hand the request to the handler;
 *   RECV     (client-streaming and bidi only) one RECV_MESSAGE at a time, the next after the
 *            handler has taken the previous one; a NULL buffer is the client's half-close;
 *            before the handler first runs (the first message that passed its text check,
 *            or the half-close of a stream that sent none) the authorize hook is asked once,
 *            and a refusal finishes the call without the handler;
 *   SEND     replies queued by rpc_send go out one SEND_MESSAGE batch at a time; the status
 *            rides in the batch of the last message, or alone;
 *   CLOSE    RECV_CLOSE_ON_SERVER completes: the call is over (cancelled or not).
 * Each in-flight batch and each running callback holds a reference; the call is freed when
 * the last reference goes. on_done runs once, when the call is closed and no callback of it
 * is running, so handlers never see their state freed under them.
 *
 * Locking: call->mu guards every mutable field of a call and serializes grpc_call_start_batch
 * per call, as the core requires. It is never held while a handler callback or a hook runs.
 * srv->mu guards the live-call count and the shutdown state.
 */
#include "rpc.h"
#include "connguard.h"
#include "descset.h"
#include "log.h"
#include "pbcheck.h"
#include "utf8.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARMED_PER_METHOD 2
#define CONNECTION_AGE_GRACE_MS 30000 /* calls of a connection past its age may finish */
#define STATUS_MSG_MAX 512
#define PATH_MAX_LEN 256

enum tag_kind { TAG_NEW, TAG_RECV, TAG_SEND, TAG_CLOSE, TAG_SHUTDOWN };

typedef struct rpc_tag {
    enum tag_kind kind;
    rpc_call *call;
} rpc_tag;

typedef struct rpc_method {
    rpc_server *srv;
    const rpc_service *svc;
    const ProtobufCMethodDescriptor *md;
    const rpc_handler *h; /* NULL: answers UNIMPLEMENTED */
    char path[PATH_MAX_LEN];
    void *registered;
    int client_streaming;
    int server_streaming;
} rpc_method;

typedef struct out_msg {
    grpc_byte_buffer *bb;
    struct out_msg *next;
} out_msg;

struct rpc_call {
    pthread_mutex_t mu;
    rpc_server *srv;
    rpc_method *m; /* NULL for a call that came through the generic request */
    grpc_call *call;
    int refs;

    /* Filled by the core when the request is matched. */
    gpr_timespec deadline;
    grpc_metadata_array req_md;
    grpc_call_details details; /* generic calls only */
    grpc_byte_buffer *payload; /* first message of unary and server-streaming calls */
    grpc_byte_buffer *recv_buf;
    int close_cancelled;

    rpc_tag t_new, t_recv, t_send, t_close;

    /* Outbound: a queue of packed replies, one send batch in flight at most. */
    out_msg *out_head, *out_tail;
    grpc_byte_buffer *in_flight;
    int send_busy;
    int md_sent;
    int finished; /* a status is queued */
    int status_sent;
    int status_code;
    grpc_slice status_slice;
    int send_failed; /* a send completed with failure: the peer is gone */
    int probing;     /* the in-flight send is the half-close probe (see on_recv_done) */
    unsigned long received; /* request messages read so far */

    int closed;
    int accepted;  /* the core matched a client's call to this request */
    int callbacks; /* handler callbacks running now */
    int done_called;
    int audited;
    int deferred;   /* a unary handler's answer comes later, from another thread */
    int taken;      /* on_message took the request message (rpc_call_take_message) */
    size_t message_size; /* the wire size of the message on_message is given */
    int authorized; /* the authorize hook was asked (set by the call's own callbacks only) */

    void *data;
    void *principal;
    rpc_peer peer;
    char method_path[PATH_MAX_LEN];
};

struct rpc_server {
    grpc_server *server;
    grpc_completion_queue *cq;
    grpc_server_credentials *creds;
    pthread_t *threads;
    int n_threads;
    int started;

    rpc_method *methods;
    size_t n_methods;
    size_t cap_methods;
    descset *ds;
    connguard *guard; /* rapid reset and connection limits; NULL when out of memory */
    rpc_hooks hooks;
    char listen[256];
    int max_message_bytes;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int live_calls;   /* calls allocated and not yet freed, armed requests included */
    int active_calls; /* of those, calls a client made (not armed requests) */
    int shutting_down;
    int shutdown_done;
    rpc_tag t_shutdown;
};

static void call_unref(rpc_call *c);
static void arm(rpc_server *srv, rpc_method *m);

/* --- Small helpers -------------------------------------------------------------------------- */

const char *rpc_code_name(int code)
{
    static const char *const names[] = {
        "OK",        "CANCELLED",          "UNKNOWN",      "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED", "NOT_FOUND",  "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL",       "UNAVAILABLE",  "DATA_LOSS",
        "UNAUTHENTICATED",
    };
    if (code < 0 || code >= (int)(sizeof names / sizeof names[0]))
        return "UNKNOWN";
    return names[code];
}

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* The request as one flat buffer: the core may hand us several slices. Returns a malloc'd
 * buffer (free() it) or NULL with *len 0 for an empty message. */
static unsigned char *flatten(grpc_byte_buffer *bb, size_t *len)
{
    grpc_byte_buffer_reader r;
    *len = 0;
    if (!grpc_byte_buffer_reader_init(&r, bb))
        return NULL;
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    size_t n = GRPC_SLICE_LENGTH(s);
    unsigned char *out = malloc(n ? n : 1);
    if (out) {
        memcpy(out, GRPC_SLICE_START_PTR(s), n);
        *len = n;
    }
    grpc_slice_unref(s);
    return out;
}

/* Packs a reply of call c. A string field that is not UTF-8 or holds a NUL can only come from
 * data stored before the node checked its input; clients in other languages refuse the whole
 * reply for it (python-grpcio: "Exception deserializing response!"), so the faulty bytes are
 * replaced with '?' in the packed reply, which keeps every length and so the encoding, and
 * the node says so once per reply, without the bytes. */
static grpc_byte_buffer *pack(rpc_call *c, const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    grpc_slice s = grpc_slice_malloc(n);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
    pbcheck_fault first;
    long fixed = pbcheck_repair(msg->descriptor, GRPC_SLICE_START_PTR(s), n, &first);
    if (fixed > 0)
        log_event(LOG_WARN, "reply-text-repaired",
                  "method=%s message=%s bytes=%ld first=%s why=%s", c->method_path,
                  msg->descriptor->name, fixed, first.path, first.reason);
    else if (fixed < 0) /* our own packing: cannot happen */
        log_event(LOG_ERROR, "reply-unreadable", "method=%s message=%s at=%s why=%s",
                  c->method_path, msg->descriptor->name, first.path, first.reason);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/* --- Call allocation and references --------------------------------------------------------- */

static rpc_call *call_new(rpc_server *srv, rpc_method *m)
{
    rpc_call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->mu, NULL);
    c->srv = srv;
    c->m = m;
    c->refs = 1; /* the armed request */
    c->t_new = (rpc_tag){TAG_NEW, c};
    c->t_recv = (rpc_tag){TAG_RECV, c};
    c->t_send = (rpc_tag){TAG_SEND, c};
    c->t_close = (rpc_tag){TAG_CLOSE, c};
    c->status_slice = grpc_empty_slice();
    grpc_metadata_array_init(&c->req_md);
    grpc_call_details_init(&c->details);
    pthread_mutex_lock(&srv->mu);
    srv->live_calls++;
    pthread_mutex_unlock(&srv->mu);
    return c;
}

static void call_free(rpc_call *c)
{
    rpc_server *srv = c->srv;
    int accepted = c->accepted;
    out_msg *o = c->out_head;
    while (o) {
        out_msg *next = o->next;
        grpc_byte_buffer_destroy(o->bb);
        free(o);
        o = next;
    }
    if (c->in_flight)
        grpc_byte_buffer_destroy(c->in_flight);
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    if (c->recv_buf)
        grpc_byte_buffer_destroy(c->recv_buf);
    if (c->principal && srv->hooks.release_principal)
        srv->hooks.release_principal(srv->hooks.app, c->principal);
    grpc_slice_unref(c->status_slice);
    grpc_metadata_array_destroy(&c->req_md);
    grpc_call_details_destroy(&c->details);
    if (c->call)
        grpc_call_unref(c->call);
    pthread_mutex_destroy(&c->mu);
    free(c);

    pthread_mutex_lock(&srv->mu);
    srv->live_calls--;
    srv->active_calls -= accepted;
    pthread_cond_broadcast(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
}

void rpc_call_ref(rpc_call *c)
{
    pthread_mutex_lock(&c->mu);
    c->refs++;
    pthread_mutex_unlock(&c->mu);
}

static void call_unref(rpc_call *c)
{
    pthread_mutex_lock(&c->mu);
    int last = --c->refs == 0;
    pthread_mutex_unlock(&c->mu);
    if (last)
        call_free(c);
}

void rpc_call_unref(rpc_call *c)
{
    call_unref(c);
}

/* --- Handler callbacks and on_done ---------------------------------------------------------- */

/* Runs on_done if the call is closed and no callback is running; at most once. Call with
 * c->mu held; it is released and retaken around the callback. */
static void maybe_done_locked(rpc_call *c)
{
    if (!c->closed || c->callbacks > 0 || c->done_called)
        return;
    c->done_called = 1;
    const rpc_handler *h = c->m ? c->m->h : NULL;
    if (h && h->on_done) {
        int cancelled = c->close_cancelled || !c->status_sent;
        pthread_mutex_unlock(&c->mu);
        h->on_done(c, cancelled);
        pthread_mutex_lock(&c->mu);
    }
}

/* Returns 0 when a handler callback may run, -1 when on_done has already run: the call closed
 * (a cancellation on another CQ thread) between the receive and this callback, and the
 * handler's state is gone; a callback now would allocate state nobody frees. */
static int callback_enter(rpc_call *c)
{
    pthread_mutex_lock(&c->mu);
    int over = c->done_called;
    if (!over)
        c->callbacks++;
    pthread_mutex_unlock(&c->mu);
    return over ? -1 : 0;
}

static void callback_leave(rpc_call *c)
{
    pthread_mutex_lock(&c->mu);
    c->callbacks--;
    maybe_done_locked(c);
    pthread_mutex_unlock(&c->mu);
}

/* --- Sending -------------------------------------------------------------------------------- */

/* Starts the next send batch if none is in flight. Call with c->mu held. */
static void kick_send_locked(rpc_call *c)
{
    if (c->send_busy || c->closed || c->send_failed || c->status_sent)
        return;
    grpc_op ops[3];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    int have_msg = c->out_head != NULL;
    int send_status = c->finished && (!have_msg || c->out_head->next == NULL);
    if (!have_msg && !send_status)
        return;
    if (!c->md_sent) {
        ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[n].data.send_initial_metadata.count = 0;
        n++;
        c->md_sent = 1;
    }
    if (have_msg) {
        out_msg *o = c->out_head;
        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = NULL;
        c->in_flight = o->bb;
        free(o);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = c->in_flight;
        n++;
    }
    if (send_status) {
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[n].data.send_status_from_server.trailing_metadata_count = 0;
        ops[n].data.send_status_from_server.status = (grpc_status_code)c->status_code;
        ops[n].data.send_status_from_server.status_details = &c->status_slice;
        n++;
        c->status_sent = 1;
    }
    c->send_busy = 1;
    c->refs++;
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, &c->t_send, NULL);
    if (e != GRPC_CALL_OK) {
        /* Cannot happen with a well-formed batch; treat the peer as gone. */
        c->send_busy = 0;
        c->send_failed = 1;
        c->refs--;
    }
}

/* Queues a reply: `bb` when packed ahead (rpc_pack; taken whatever happens), else `msg`
 * packed now, only if the call is still open; starts sending it unless `kick` is 0
 * (rpc_reply, which lets the status ride in the same batch). */
static int enqueue(rpc_call *c, const ProtobufCMessage *msg, grpc_byte_buffer *bb, int kick)
{
    pthread_mutex_lock(&c->mu);
    int open = !c->finished && !c->closed && !c->send_failed;
    pthread_mutex_unlock(&c->mu);
    out_msg *o = open ? malloc(sizeof *o) : NULL;
    if (!o) {
        if (bb)
            grpc_byte_buffer_destroy(bb);
        return -1;
    }
    o->bb = bb ? bb : pack(c, msg);
    o->next = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->finished || c->closed || c->send_failed) {
        pthread_mutex_unlock(&c->mu);
        grpc_byte_buffer_destroy(o->bb);
        free(o);
        return -1;
    }
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    if (kick)
        kick_send_locked(c);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int rpc_send(rpc_call *c, const ProtobufCMessage *msg)
{
    return enqueue(c, msg, NULL, 1);
}

rpc_packed *rpc_pack(rpc_call *c, const ProtobufCMessage *msg)
{
    return (rpc_packed *)pack(c, msg);
}

rpc_packed *rpc_packed_take(void *bytes, size_t len)
{
    /* The slice frees the bytes when gRPC is done with them: nothing is copied. */
    grpc_slice s = grpc_slice_new(bytes, len, free);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return (rpc_packed *)bb;
}

void rpc_packed_free(rpc_packed *p)
{
    if (p)
        grpc_byte_buffer_destroy((grpc_byte_buffer *)p);
}

void rpc_reply_packed(rpc_call *c, rpc_packed *p)
{
    enqueue(c, NULL, (grpc_byte_buffer *)p, 0);
    rpc_finish(c, RPC_OK, "%s", "");
}

/* Makes a status message valid UTF-8 in place: a message cut at its buffer's end, or a value
 * quoted with a byte precision (%.150s), may end inside a character, and stored text may be
 * older than the node's text rules. A byte that starts no whole character becomes '?'; a
 * cut-off character at the end is dropped. */
static void status_text(char *msg)
{
    size_t n = strlen(msg);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode((const unsigned char *)msg + i, n - i, &cp);
        if (len == 0) {
            int tail = (unsigned char)msg[i] >= 0xc2 && n - i < 4;
            size_t j = i + 1;
            while (tail && j < n && ((unsigned char)msg[j] & 0xc0) == 0x80)
                j++;
            if (tail && j == n) { /* a character cut short by the buffer or a precision */
                msg[i] = '\0';
                return;
            }
            msg[i] = '?';
            len = 1;
        }
        i += len;
    }
}

static void finish_v(rpc_call *c, int code, const char *fmt, va_list ap)
{
    char msg[STATUS_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    status_text(msg);
    pthread_mutex_lock(&c->mu);
    if (c->finished || c->closed) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    c->finished = 1;
    c->status_code = code;
    grpc_slice_unref(c->status_slice);
    c->status_slice = grpc_slice_from_copied_string(msg);
    pthread_mutex_unlock(&c->mu);

    /* The hook runs before the status leaves, so the audit entry of a call is written before
     * the client learns the outcome. */
    if (c->srv->hooks.on_finished)
        c->srv->hooks.on_finished(c->srv->hooks.app, c, code, msg);

    pthread_mutex_lock(&c->mu);
    kick_send_locked(c);
    pthread_mutex_unlock(&c->mu);
}

void rpc_finish(rpc_call *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    finish_v(c, code, fmt, ap);
    va_end(ap);
}

void rpc_reply(rpc_call *c, const ProtobufCMessage *msg)
{
    enqueue(c, msg, NULL, 0);
    rpc_finish(c, RPC_OK, "%s", "");
}

static void run_half_close(rpc_call *c);

static void on_send_done(rpc_call *c, int ok)
{
    int drain = 0;
    pthread_mutex_lock(&c->mu);
    c->send_busy = 0;
    if (c->probing) {
        /* The half-close probe: the call is still alive only if its metadata went out. */
        c->probing = 0;
        int live = ok && !c->closed && !c->finished;
        if (!ok)
            c->send_failed = 1;
        pthread_mutex_unlock(&c->mu);
        if (live)
            run_half_close(c);
        call_unref(c);
        return;
    }
    if (c->in_flight) {
        grpc_byte_buffer_destroy(c->in_flight);
        c->in_flight = NULL;
    }
    if (!ok)
        c->send_failed = 1;
    else
        kick_send_locked(c);
    const rpc_handler *h = c->m ? c->m->h : NULL;
    if (ok && !c->send_busy && !c->out_head && !c->finished && !c->closed && h && h->on_drain) {
        drain = 1;
        c->callbacks++;
    }
    pthread_mutex_unlock(&c->mu);
    if (drain) {
        h->on_drain(c);
        callback_leave(c);
    }
    call_unref(c);
}

/* --- Receiving ------------------------------------------------------------------------------ */

static void start_recv(rpc_call *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->closed || c->finished) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &c->recv_buf;
    c->refs++;
    if (grpc_call_start_batch(c->call, &op, 1, &c->t_recv, NULL) != GRPC_CALL_OK)
        c->refs--;
    pthread_mutex_unlock(&c->mu);
}

/* Asks the authorize hook, the first time only, whether the call's handler may run. Runs on
 * the call's own receive path (deliver, run_half_close), which never runs concurrently with
 * itself, so `authorized` needs no lock. Returns 0, or -1 after finishing the call. */
static int authorize_once(rpc_call *c)
{
    char msg[256] = "";
    if (c->authorized)
        return 0;
    c->authorized = 1;
    if (!c->srv->hooks.authorize)
        return 0;
    int code = c->srv->hooks.authorize(c->srv->hooks.app, c, msg);
    if (code == RPC_OK)
        return 0;
    rpc_finish(c, code, "%s", msg);
    return -1;
}

/* Unpacks one request message and hands it to the handler. Returns 0, or -1 after finishing
 * the call with INVALID_ARGUMENT: a malformed message, or a string field holding a NUL or
 * bytes that are not UTF-8 (pbcheck.h; the status names the field's path). */
static int deliver(rpc_call *c, grpc_byte_buffer *bb)
{
    const ProtobufCMessageDescriptor *in = c->m->md->input;
    size_t len;
    unsigned char *buf = flatten(bb, &len);
    if (!buf) {
        rpc_finish(c, RPC_RESOURCE_EXHAUSTED, "out of memory reading the request");
        return -1;
    }
    ProtobufCMessage *req = protobuf_c_message_unpack(in, NULL, len, buf);
    pbcheck_fault f;
    int text = req ? pbcheck_find(in, buf, len, &f) : PBCHECK_OK;
    free(buf);
    pthread_mutex_lock(&c->mu);
    unsigned long nth = ++c->received;
    pthread_mutex_unlock(&c->mu);
    if (!req || text == PBCHECK_MALFORMED) {
        if (req)
            protobuf_c_message_free_unpacked(req, NULL);
        rpc_finish(c, RPC_INVALID_ARGUMENT, "malformed request: not a valid %s", in->name);
        return -1;
    }
    if (text != PBCHECK_OK) {
        /* protobuf-c has already cut such a string at its NUL: nothing of it may reach the
         * handler. In a stream, say which message it was. */
        protobuf_c_message_free_unpacked(req, NULL);
        if (c->m->client_streaming)
            rpc_finish(c, RPC_INVALID_ARGUMENT, "%s: %s (message %lu of the stream)", f.path,
                       f.reason, nth);
        else
            rpc_finish(c, RPC_INVALID_ARGUMENT, "%s: %s", f.path, f.reason);
        return -1;
    }
    if (authorize_once(c) != 0) {
        protobuf_c_message_free_unpacked(req, NULL);
        return -1;
    }
    c->message_size = len;
    if (callback_enter(c) == 0) {
        c->m->h->on_message(c, req);
        callback_leave(c);
    }
    /* Only this call's on_message sets `taken`, on this thread, and no other on_message of
     * the call runs until this one has returned. */
    if (c->taken)
        c->taken = 0;
    else
        protobuf_c_message_free_unpacked(req, NULL);
    return 0;
}

/* The client has sent everything: the handler's on_half_close, or OK. */
static void run_half_close(rpc_call *c)
{
    const rpc_handler *h = c->m->h;
    if (authorize_once(c) != 0)
        return;
    if (h->on_half_close) {
        if (callback_enter(c) == 0) {
            h->on_half_close(c);
            callback_leave(c);
        }
    } else {
        rpc_finish(c, RPC_OK, "%s", "");
    }
}

static void on_recv_done(rpc_call *c, int ok)
{
    pthread_mutex_lock(&c->mu);
    grpc_byte_buffer *bb = c->recv_buf;
    c->recv_buf = NULL;
    int stop = c->finished || c->closed;
    pthread_mutex_unlock(&c->mu);

    if (ok && bb && !stop) {
        if (deliver(c, bb) == 0)
            start_recv(c);
    } else if (ok && !bb && !stop) {
        /* No message: the client's half-close, or a cancellation (RST_STREAM), which the
         * 1.51 core reports the same way, with success. Tell them apart before the handler
         * commits anything: the core fails a send on a cancelled stream, so send the initial
         * metadata first and run on_half_close when it has gone out (on_send_done). A stream
         * that already sent something (bidi) was alive then; its handler decides alone. */
        pthread_mutex_lock(&c->mu);
        int gone = c->closed || c->finished;
        int probe = !gone && !c->md_sent && !c->send_busy;
        if (probe) {
            grpc_op op;
            memset(&op, 0, sizeof op);
            op.op = GRPC_OP_SEND_INITIAL_METADATA;
            c->md_sent = 1;
            c->send_busy = 1;
            c->probing = 1;
            c->refs++;
            if (grpc_call_start_batch(c->call, &op, 1, &c->t_send, NULL) != GRPC_CALL_OK) {
                c->send_busy = 0;
                c->probing = 0;
                c->send_failed = 1;
                c->refs--;
            }
        }
        pthread_mutex_unlock(&c->mu);
        if (!gone && !probe)
            run_half_close(c);
    }
    if (bb)
        grpc_byte_buffer_destroy(bb);
    call_unref(c);
}

/* --- A new call ----------------------------------------------------------------------------- */

static void read_peer(rpc_call *c)
{
    rpc_peer *p = &c->peer;
    char *addr = grpc_call_get_peer(c->call);
    if (addr) {
        copy_str(p->address, sizeof p->address, addr, strlen(addr));
        gpr_free(addr);
    }
    grpc_auth_context *ctx = grpc_call_auth_context(c->call);
    if (!ctx) {
        /* Cannot happen on the TLS port; if it ever does, refuse rather than run a handler
         * without a caller. */
        rpc_finish(c, RPC_UNAUTHENTICATED, "the connection has no verified peer");
        return;
    }
    grpc_auth_property_iterator it;
    const grpc_auth_property *prop;
    /* A unit URI wins over any other URI; a certificate without URI is known by its CN. */
    it = grpc_auth_context_find_properties_by_name(ctx, GRPC_PEER_URI_PROPERTY_NAME);
    while ((prop = grpc_auth_property_iterator_next(&it)) != NULL) {
        int is_unit = prop->value_length > 16 && memcmp(prop->value, "urn:credit:unit:", 16) == 0;
        if (is_unit || p->identity[0] == '\0')
            copy_str(p->identity, sizeof p->identity, prop->value, prop->value_length);
        if (is_unit)
            break;
    }
    if (p->identity[0] == '\0') {
        it = grpc_auth_context_find_properties_by_name(ctx, GRPC_X509_CN_PROPERTY_NAME);
        prop = grpc_auth_property_iterator_next(&it);
        if (prop && prop->value_length > 0) {
            char cn[sizeof p->identity - 3];
            copy_str(cn, sizeof cn, prop->value, prop->value_length);
            snprintf(p->identity, sizeof p->identity, "cn:%s", cn);
        }
    }
    it = grpc_auth_context_find_properties_by_name(ctx, GRPC_X509_SUBJECT_PROPERTY_NAME);
    prop = grpc_auth_property_iterator_next(&it);
    if (prop)
        copy_str(p->subject, sizeof p->subject, prop->value, prop->value_length);
    it = grpc_auth_context_find_properties_by_name(ctx, GRPC_X509_PEM_CERT_PROPERTY_NAME);
    prop = grpc_auth_property_iterator_next(&it);
    if (prop) {
        p->pem = prop->value;
        p->pem_len = prop->value_length;
    }
    /* Authentication runs inside this window, while the context keeps the PEM alive. */
    rpc_server *srv = c->srv;
    char msg[256] = "";
    int code = RPC_OK;
    if (srv->hooks.authenticate) {
        rpc_auth level = c->m ? c->m->svc->auth : RPC_AUTH_VERIFIED;
        code = srv->hooks.authenticate(srv->hooks.app, p, level, c->method_path, &c->principal,
                                       msg);
    }
    p->pem = NULL;
    p->pem_len = 0;
    grpc_auth_context_release(ctx);
    if (code != RPC_OK)
        rpc_finish(c, code, "%s", msg);
}

static void on_new_call(rpc_server *srv, rpc_call *c, int ok)
{
    if (!ok) {
        /* The server is shutting down: the armed request will never match. */
        call_unref(c);
        return;
    }
    pthread_mutex_lock(&srv->mu);
    int stopping = srv->shutting_down;
    srv->active_calls++;
    c->accepted = 1;
    pthread_mutex_unlock(&srv->mu);
    if (!stopping)
        arm(srv, c->m);

    if (c->m) {
        snprintf(c->method_path, sizeof c->method_path, "%s", c->m->path);
    } else {
        copy_str(c->method_path, sizeof c->method_path,
                 (const char *)GRPC_SLICE_START_PTR(c->details.method),
                 GRPC_SLICE_LENGTH(c->details.method));
        c->deadline = c->details.deadline;
    }

    /* RECV_CLOSE_ON_SERVER goes alone and first: it tells us when the call is over. */
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &c->close_cancelled;
    pthread_mutex_lock(&c->mu);
    c->refs++;
    if (grpc_call_start_batch(c->call, &op, 1, &c->t_close, NULL) != GRPC_CALL_OK) {
        c->refs--;
        c->closed = 1;
    }
    pthread_mutex_unlock(&c->mu);

    read_peer(c);
    if (rpc_call_is_finished(c))
        goto out;
    if (!c->m) {
        rpc_finish(c, RPC_UNIMPLEMENTED, "unknown method %s", c->method_path);
        goto out;
    }
    if (!c->m->h || !c->m->h->on_message) {
        rpc_finish(c, RPC_UNIMPLEMENTED, "%s is not implemented by this node", c->method_path);
        goto out;
    }
    if (c->m->client_streaming) {
        start_recv(c);
        goto out;
    }
    if (!c->payload) {
        rpc_finish(c, RPC_INVALID_ARGUMENT, "the request message is missing");
        goto out;
    }
    grpc_byte_buffer *bb = c->payload;
    c->payload = NULL;
    deliver(c, bb);
    grpc_byte_buffer_destroy(bb);
    if (!c->m->server_streaming && !rpc_call_is_finished(c) && !rpc_call_is_deferred(c))
        rpc_finish(c, RPC_INTERNAL, "%s gave no answer", c->method_path);
out:
    call_unref(c); /* the armed request's reference */
}

static void on_close(rpc_call *c)
{
    rpc_server *srv = c->srv;
    pthread_mutex_lock(&c->mu);
    c->closed = 1;
    int unfinished = !c->finished;
    c->finished = 1;
    pthread_mutex_unlock(&c->mu);
    if (unfinished && srv->hooks.on_finished) {
        gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
        gpr_timespec dl = gpr_convert_clock_type(c->deadline, GPR_CLOCK_MONOTONIC);
        int expired = gpr_time_cmp(now, dl) >= 0;
        srv->hooks.on_finished(srv->hooks.app, c,
                               expired ? RPC_DEADLINE_EXCEEDED : RPC_CANCELLED,
                               expired ? "deadline exceeded" : "cancelled by the client");
    }
    /* A call the core reports cancelled (the client's RST_STREAM before the end of the call,
     * or its deadline) counts against its connection, whether or not the node had decided a
     * status: thousands a second is an HTTP/2 rapid reset. */
    int cancels;
    if (c->close_cancelled && c->accepted && srv->guard &&
        connguard_note_cancel(srv->guard, c->peer.address, &cancels))
        log_event(LOG_WARN, "rapid-reset", "peer=%s identity=%s cancels=%d window_s=1 "
                  "action=connection-closed", c->peer.address, c->peer.identity, cancels);
    pthread_mutex_lock(&c->mu);
    maybe_done_locked(c);
    pthread_mutex_unlock(&c->mu);
    call_unref(c);
}

/* --- Arming requests ------------------------------------------------------------------------ */

static void arm(rpc_server *srv, rpc_method *m)
{
    rpc_call *c = call_new(srv, m);
    if (!c)
        return; /* out of memory: the other armed requests still serve */
    grpc_call_error e;
    if (m) {
        int with_payload = !m->client_streaming;
        e = grpc_server_request_registered_call(srv->server, m->registered, &c->call, &c->deadline,
                                                &c->req_md, with_payload ? &c->payload : NULL,
                                                srv->cq, srv->cq, &c->t_new);
    } else {
        e = grpc_server_request_call(srv->server, &c->call, &c->details, &c->req_md, srv->cq,
                                     srv->cq, &c->t_new);
    }
    if (e != GRPC_CALL_OK)
        call_unref(c);
}

/* --- Threads -------------------------------------------------------------------------------- */

static void *cq_thread(void *arg)
{
    rpc_server *srv = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME),
                                                   NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        rpc_tag *t = ev.tag;
        switch (t->kind) {
        case TAG_NEW:
            on_new_call(srv, t->call, ev.success);
            break;
        case TAG_RECV:
            on_recv_done(t->call, ev.success);
            break;
        case TAG_SEND:
            on_send_done(t->call, ev.success);
            break;
        case TAG_CLOSE:
            on_close(t->call);
            break;
        case TAG_SHUTDOWN:
            pthread_mutex_lock(&srv->mu);
            srv->shutdown_done = 1;
            pthread_cond_broadcast(&srv->cv);
            pthread_mutex_unlock(&srv->mu);
            break;
        }
    }
    return NULL;
}

/* --- Server --------------------------------------------------------------------------------- */

/* Adds an integer channel argument; 0 leaves the core's default. */
static void add_int_arg(grpc_arg *args, size_t *n, const char *key, int value)
{
    if (value == 0)
        return;
    args[*n].type = GRPC_ARG_INTEGER;
    args[*n].key = (char *)key;
    args[*n].value.integer = value;
    (*n)++;
}

rpc_server *rpc_server_create(const rpc_options *opts, const rpc_hooks *hooks, char *err)
{
    rpc_server *srv = calloc(1, sizeof *srv);
    if (!srv || descset_create(opts->descriptor_set, opts->descriptor_set_len, &srv->ds,
                               err) != 0) {
        if (!srv)
            snprintf(err, 256, "out of memory");
        /* The credentials are consumed even when there is no server to consume them. */
        if (opts->server_credentials)
            grpc_server_credentials_release(opts->server_credentials);
        free(srv);
        return NULL;
    }
    grpc_init();
    srv->hooks = *hooks;
    srv->n_threads = opts->threads > 0 ? opts->threads : 1;
    srv->max_message_bytes = opts->max_message_bytes;
    srv->creds = opts->server_credentials;
    snprintf(srv->listen, sizeof srv->listen, "%s", opts->listen);
    srv->t_shutdown = (rpc_tag){TAG_SHUTDOWN, NULL};
    pthread_mutex_init(&srv->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->cv, &ca);
    pthread_condattr_destroy(&ca);

    /* The transport's limits, each explicit: see rpc_options. */
    grpc_arg args[16];
    size_t n = 0;
    add_int_arg(args, &n, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, opts->max_message_bytes);
    add_int_arg(args, &n, GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, -1);
    add_int_arg(args, &n, GRPC_ARG_MAX_CONCURRENT_STREAMS, opts->max_streams);
    add_int_arg(args, &n, GRPC_ARG_MAX_METADATA_SIZE, opts->max_header_bytes);
    add_int_arg(args, &n, GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, opts->handshake_timeout_ms);
    add_int_arg(args, &n, GRPC_ARG_MAX_CONNECTION_IDLE_MS, opts->max_connection_idle_ms);
    add_int_arg(args, &n, GRPC_ARG_MAX_CONNECTION_AGE_MS, opts->max_connection_age_ms);
    add_int_arg(args, &n, GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                opts->max_connection_age_ms ? CONNECTION_AGE_GRACE_MS : 0);
    add_int_arg(args, &n, GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                opts->min_ping_interval_ms);
    add_int_arg(args, &n, GRPC_ARG_HTTP2_MAX_PING_STRIKES, opts->min_ping_interval_ms ? 2 : 0);
    grpc_resource_quota *quota = NULL;
    if (opts->max_memory_bytes) {
        quota = grpc_resource_quota_create("creditd");
        grpc_resource_quota_resize(quota, opts->max_memory_bytes);
        args[n].type = GRPC_ARG_POINTER;
        args[n].key = GRPC_ARG_RESOURCE_QUOTA;
        args[n].value.pointer.p = quota;
        args[n].value.pointer.vtable = grpc_resource_quota_arg_vtable();
        n++;
    }
    grpc_channel_args cargs = {n, args};
    srv->server = grpc_server_create(&cargs, NULL);
    if (quota)
        grpc_resource_quota_unref(quota); /* the server holds its own reference */
    srv->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(srv->server, srv->cq, NULL);
    connguard_limits lim = {
        .max_resets_per_second = opts->max_resets_per_second,
        .max_connections = opts->max_connections,
        .max_connections_per_peer = opts->max_connections_per_peer,
    };
    srv->guard = connguard_create(&lim);
    return srv;
}

int rpc_server_add_service(rpc_server *srv, const rpc_service *svc, char *err)
{
    const ProtobufCServiceDescriptor *sd = svc->descriptor;
    for (size_t i = 0; i < svc->n_handlers; i++) {
        if (!protobuf_c_service_descriptor_get_method_by_name(sd, svc->handlers[i].method)) {
            snprintf(err, 256, "service %s has no method %s", sd->name, svc->handlers[i].method);
            return -1;
        }
    }
    if (srv->n_methods + sd->n_methods > srv->cap_methods) {
        /* Methods are registered once, before start, and their addresses are kept by armed
         * calls; so the array may grow only now. */
        size_t cap = (srv->n_methods + sd->n_methods) * 2;
        rpc_method *nm = realloc(srv->methods, cap * sizeof *nm);
        if (!nm) {
            snprintf(err, 256, "out of memory");
            return -1;
        }
        srv->methods = nm;
        srv->cap_methods = cap;
    }
    for (unsigned i = 0; i < sd->n_methods; i++) {
        const ProtobufCMethodDescriptor *md = &sd->methods[i];
        rpc_method *m = &srv->methods[srv->n_methods];
        memset(m, 0, sizeof *m);
        m->srv = srv;
        m->svc = svc;
        m->md = md;
        for (size_t k = 0; k < svc->n_handlers; k++)
            if (strcmp(svc->handlers[k].method, md->name) == 0)
                m->h = &svc->handlers[k];
        if (descset_method_shape(srv->ds, sd->name, md->name, &m->client_streaming,
                                 &m->server_streaming) != 0) {
            snprintf(err, 256, "method %s.%s is not in the descriptor set", sd->name, md->name);
            return -1;
        }
        snprintf(m->path, sizeof m->path, "/%s/%s", sd->name, md->name);
        m->registered = grpc_server_register_method(
            srv->server, m->path, NULL,
            m->client_streaming ? GRPC_SRM_PAYLOAD_NONE : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
            0);
        if (!m->registered) {
            snprintf(err, 256, "cannot register %.200s (registered twice?)", m->path);
            return -1;
        }
        srv->n_methods++;
    }
    return 0;
}

int rpc_server_start(rpc_server *srv, char *err)
{
    int port = grpc_server_add_http2_port(srv->server, srv->listen, srv->creds);
    grpc_server_credentials_release(srv->creds);
    srv->creds = NULL;
    if (port <= 0) {
        snprintf(err, 256, "cannot listen on %.180s (address in use, or not an address)",
                 srv->listen);
        return -1;
    }
    grpc_server_start(srv->server);
    if (srv->guard)
        connguard_set_port(srv->guard, port);
    for (size_t i = 0; i < srv->n_methods; i++)
        for (int k = 0; k < ARMED_PER_METHOD; k++)
            arm(srv, &srv->methods[i]);
    for (int k = 0; k < srv->n_threads; k++)
        arm(srv, NULL);

    srv->threads = calloc((size_t)srv->n_threads, sizeof *srv->threads);
    if (!srv->threads) {
        snprintf(err, 256, "out of memory");
        return -1;
    }
    for (int i = 0; i < srv->n_threads; i++) {
        if (pthread_create(&srv->threads[i], NULL, cq_thread, srv) != 0) {
            snprintf(err, 256, "cannot start thread: %s", strerror(errno));
            srv->n_threads = i;
            return -1;
        }
    }
    srv->started = 1;
    return port;
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void rpc_server_shutdown(rpc_server *srv, int grace_ms)
{
    if (!srv || !srv->started)
        return;
    pthread_mutex_lock(&srv->mu);
    srv->shutting_down = 1;
    pthread_mutex_unlock(&srv->mu);

    grpc_server_shutdown_and_notify(srv->server, srv->cq, &srv->t_shutdown);
    struct timespec until;
    deadline_in(&until, grace_ms);
    /* Wait for the calls in flight, not for idle connections: the core reports shutdown
     * only once every client has gone, so an idle client would hold us for the whole grace
     * period. Once no call is left, cancelling disconnects the idle clients at once. */
    pthread_mutex_lock(&srv->mu);
    while (!srv->shutdown_done && srv->active_calls > 0) {
        if (pthread_cond_timedwait(&srv->cv, &srv->mu, &until) == ETIMEDOUT)
            break;
    }
    int drained = srv->shutdown_done;
    pthread_mutex_unlock(&srv->mu);
    if (!drained)
        grpc_server_cancel_all_calls(srv->server);

    /* Every call, armed requests included, completes through the queue and is freed. */
    pthread_mutex_lock(&srv->mu);
    while (!srv->shutdown_done || srv->live_calls > 0)
        pthread_cond_wait(&srv->cv, &srv->mu);
    pthread_mutex_unlock(&srv->mu);

    grpc_server_destroy(srv->server);
    srv->server = NULL;
    grpc_completion_queue_shutdown(srv->cq);
    for (int i = 0; i < srv->n_threads; i++)
        pthread_join(srv->threads[i], NULL);
    srv->started = 0;
}

void rpc_server_destroy(rpc_server *srv)
{
    if (!srv)
        return;
    if (srv->server) {
        /* Never started (or start failed before threads ran): nothing is in flight. */
        grpc_server_shutdown_and_notify(srv->server, srv->cq, &srv->t_shutdown);
        grpc_server_cancel_all_calls(srv->server);
        for (;;) {
            grpc_event ev = grpc_completion_queue_next(
                srv->cq, gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                      gpr_time_from_millis(1000, GPR_TIMESPAN)),
                NULL);
            if (ev.type != GRPC_OP_COMPLETE)
                break;
            rpc_tag *t = ev.tag;
            if (t->kind == TAG_SHUTDOWN)
                break;
            if (t->kind == TAG_NEW)
                on_new_call(srv, t->call, 0);
        }
        grpc_server_destroy(srv->server);
        grpc_completion_queue_shutdown(srv->cq);
        while (grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
                   .type != GRPC_QUEUE_SHUTDOWN) {
        }
    }
    if (srv->creds)
        grpc_server_credentials_release(srv->creds);
    grpc_completion_queue_destroy(srv->cq);
    free(srv->threads);
    free(srv->methods);
    descset_destroy(srv->ds);
    connguard_destroy(srv->guard);
    pthread_cond_destroy(&srv->cv);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
    /* Deprecated but synchronous: grpc_shutdown may finish on a thread of the core's after we
     * return, and a process that exits then loses that thread's OpenSSL state (a leak report
     * under LeakSanitizer, a few percent of stops). */
    grpc_shutdown_blocking();
}

void rpc_server_tick(rpc_server *srv)
{
    if (!srv->guard)
        return;
    connguard_report rep;
    connguard_tick(srv->guard, &rep);
    if (rep.closed_peer || rep.closed_total)
        log_event(LOG_WARN, "connection-limit",
                  "connections=%d closed_per_peer=%d closed_total=%d last=%s", rep.connections,
                  rep.closed_peer, rep.closed_total, rep.peer);
}

/* --- The core's own log lines ------------------------------------------------------------ */

/* A client can make the core log at will (a flood of bad frames drew 166,666 warnings, 42 MB,
 * in one test), so the core's warnings are rate-limited: a token bucket of CORE_LOG_BURST
 * lines refilled at CORE_LOG_PER_SECOND, and a line from the same source line as the one
 * before within a second is a repeat, dropped. What was dropped is counted and said in one
 * `event=grpc-suppressed` line, before the next line that passes or at the next
 * rpc_core_log_tick. Debug lines (the core's info and debug) are not counted: the log level
 * filters them. */
#define CORE_LOG_BURST 20
#define CORE_LOG_PER_SECOND 5.0

static struct {
    pthread_mutex_t mu;
    double tokens, last_refill; /* the bucket; monotonic seconds */
    char last_src[160];
    double last_at;
    unsigned long dropped, repeats;
    char dropped_src[160]; /* the source of the first dropped line */
} core_limit = {.mu = PTHREAD_MUTEX_INITIALIZER, .tokens = CORE_LOG_BURST};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Says what was dropped, if anything. Call with core_limit.mu held. */
static void core_log_summary_locked(void)
{
    if (!core_limit.dropped)
        return;
    log_event(LOG_WARN, "grpc-suppressed", "dropped=%lu repeats=%lu first=%s",
              core_limit.dropped, core_limit.repeats, core_limit.dropped_src);
    core_limit.dropped = core_limit.repeats = 0;
}

void rpc_core_log_tick(void)
{
    pthread_mutex_lock(&core_limit.mu);
    core_log_summary_locked();
    pthread_mutex_unlock(&core_limit.mu);
}

/* Whether a core warning from `src` may be written now. */
static int core_log_admit(const char *src)
{
    double now = mono_s();
    pthread_mutex_lock(&core_limit.mu);
    core_limit.tokens += (now - core_limit.last_refill) * CORE_LOG_PER_SECOND;
    if (core_limit.tokens > CORE_LOG_BURST)
        core_limit.tokens = CORE_LOG_BURST;
    core_limit.last_refill = now;
    int repeat = strcmp(src, core_limit.last_src) == 0 && now - core_limit.last_at < 1.0;
    int admit = !repeat && core_limit.tokens >= 1.0;
    if (admit) {
        core_limit.tokens -= 1.0;
        core_log_summary_locked();
        snprintf(core_limit.last_src, sizeof core_limit.last_src, "%s", src);
        core_limit.last_at = now;
    } else {
        if (!core_limit.dropped)
            snprintf(core_limit.dropped_src, sizeof core_limit.dropped_src, "%s", src);
        core_limit.dropped++;
        core_limit.repeats += (unsigned long)repeat;
    }
    pthread_mutex_unlock(&core_limit.mu);
    return admit;
}

/* The core reports a peer's failed handshake as an error; for the node it is a refusal worth
 * a warning, not a fault of its own. The core's message is a value like any other: it may
 * span lines or quote a peer's bytes, and log_event escapes it (log.h). */
static void core_log(gpr_log_func_args *args)
{
    enum log_level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LOG_WARN
                           : args->severity == GPR_LOG_SEVERITY_INFO ? LOG_DEBUG
                                                                     : LOG_DEBUG;
    const char *file = args->file ? strrchr(args->file, '/') : NULL;
    char src[160];
    snprintf(src, sizeof src, "%s:%d", file ? file + 1 : args->file ? args->file : "?",
             args->line);
    if (level >= LOG_WARN && !core_log_admit(src))
        return;
    log_event(level, "grpc", "src=%s msg=%s", src, args->message ? args->message : "");
}

void rpc_route_core_logs(void)
{
    gpr_set_log_function(core_log);
}

/* --- Call accessors ------------------------------------------------------------------------- */

void rpc_call_set_data(rpc_call *c, void *data)
{
    c->data = data;
}

void *rpc_call_data(const rpc_call *c)
{
    return c->data;
}

void *rpc_call_app(const rpc_call *c)
{
    return c->srv->hooks.app;
}

void *rpc_call_principal(const rpc_call *c)
{
    return c->principal;
}

const rpc_peer *rpc_call_peer(const rpc_call *c)
{
    return &c->peer;
}

const char *rpc_call_method(const rpc_call *c)
{
    return c->method_path;
}

const rpc_service *rpc_call_service(const rpc_call *c)
{
    return c->m ? c->m->svc : NULL;
}

int rpc_call_is_finished(const rpc_call *c)
{
    rpc_call *mc = (rpc_call *)c;
    pthread_mutex_lock(&mc->mu);
    int f = mc->finished;
    pthread_mutex_unlock(&mc->mu);
    return f;
}

int64_t rpc_call_deadline_ms(const rpc_call *c)
{
    gpr_timespec dl = gpr_convert_clock_type(c->deadline, GPR_CLOCK_MONOTONIC);
    if (gpr_time_cmp(dl, gpr_inf_future(GPR_CLOCK_MONOTONIC)) == 0)
        return INT64_MAX;
    gpr_timespec left = gpr_time_sub(dl, gpr_now(GPR_CLOCK_MONOTONIC));
    return gpr_time_to_millis(left);
}

void rpc_call_take_message(rpc_call *c)
{
    c->taken = 1;
}

size_t rpc_call_message_size(const rpc_call *c)
{
    return c->message_size;
}

void rpc_call_defer(rpc_call *c)
{
    pthread_mutex_lock(&c->mu);
    c->deferred = 1;
    pthread_mutex_unlock(&c->mu);
}

int rpc_call_is_deferred(const rpc_call *c)
{
    rpc_call *mc = (rpc_call *)c;
    pthread_mutex_lock(&mc->mu);
    int d = mc->deferred;
    pthread_mutex_unlock(&mc->mu);
    return d;
}

void rpc_call_mark_audited(rpc_call *c)
{
    pthread_mutex_lock(&c->mu);
    c->audited = 1;
    pthread_mutex_unlock(&c->mu);
}

int rpc_call_is_audited(const rpc_call *c)
{
    rpc_call *mc = (rpc_call *)c;
    pthread_mutex_lock(&mc->mu);
    int a = mc->audited;
    pthread_mutex_unlock(&mc->mu);
    return a;
}
