/*
 * channel.c — libcreditclient's gRPC-core plumbing (see client_int.h for the line it draws).
 *
 * This is the one file of the library that includes a grpc/ header. One secure channel per
 * client; the core multiplexes calls over it and reconnects by itself. Each call gets its own
 * pluck completion queue, so calls from many threads never wait for each other's events. Method
 * paths are registered with the channel once and kept in a small table under `mu`;
 * registered calls skip a per-call path lookup.
 *
 * A client stream keeps at most one message in flight: client_stream_add waits for the
 * previous send to complete before it starts the next, so a slow node slows the producer
 * instead of filling memory. A failed send marks the stream broken; the status that
 * client_stream_finish receives then says why the node ended it.
 */
#include "client_int.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS  30000
#define DEFAULT_MAX_MESSAGE (64 << 20)
#define MAX_METHODS         128

typedef struct registered {
    char *path;
    void *handle;
} registered;

struct credit_client {
    grpc_channel *channel;
    int timeout_ms;
    pthread_mutex_t mu; /* guards methods and n_methods */
    registered methods[MAX_METHODS];
    size_t n_methods;
};

static const char *const code_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *credit_version(void)
{
    return CREDIT_VERSION_STRING;
}

const char *credit_code_name(int code)
{
    if (code < 0 || code >= (int)(sizeof code_names / sizeof code_names[0]))
        return "UNKNOWN";
    return code_names[code];
}

int client_fail(credit_status *st, int code, const char *fmt, ...)
{
    if (st) {
        st->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->message, sizeof st->message, fmt, ap);
        va_end(ap);
    }
    return code == CREDIT_CODE_OK ? CREDIT_OK : CREDIT_ERPC;
}

void client_ok(credit_status *st)
{
    if (st) {
        st->code = CREDIT_CODE_OK;
        st->message[0] = '\0';
    }
}

void credit_client_options_init(credit_client_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

/* Reads a whole file into a NUL-terminated malloc'd string. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int credit_client_create(const credit_client_options *opts, credit_client **out, credit_status *st)
{
    if (!opts || !out || opts->struct_size < sizeof(size_t) + 4 * sizeof(char *)) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "options: missing or struct_size not set");
        return CREDIT_EINVAL;
    }
    /* Fields past the caller's struct_size are taken as zero: an older caller's struct is
     * shorter than ours. */
    credit_client_options o;
    memset(&o, 0, sizeof o);
    memcpy(&o, opts, opts->struct_size < sizeof o ? opts->struct_size : sizeof o);
    const char *missing = !o.target      ? "target"
                          : !o.ca_file   ? "ca_file"
                          : !o.cert_file ? "cert_file"
                          : !o.key_file  ? "key_file"
                                         : NULL;
    if (missing) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "options: %s is required", missing);
        return CREDIT_EINVAL;
    }
    char *ca = slurp(o.ca_file), *cert = slurp(o.cert_file), *key = slurp(o.key_file);
    const char *unreadable = !ca ? o.ca_file : !cert ? o.cert_file : !key ? o.key_file : NULL;
    if (unreadable) {
        free(ca);
        free(cert);
        free(key);
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "cannot read %.200s", unreadable);
        return CREDIT_EFILE;
    }
    credit_client *c = calloc(1, sizeof *c);
    if (!c) {
        free(ca);
        free(cert);
        free(key);
        client_fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
        return CREDIT_ENOMEM;
    }
    grpc_init();
    pthread_mutex_init(&c->mu, NULL);
    c->timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : DEFAULT_TIMEOUT_MS;

    grpc_ssl_pem_key_cert_pair pair = {key, cert};
    grpc_channel_credentials *creds = grpc_ssl_credentials_create(ca, &pair, NULL, NULL);
    grpc_arg args[2];
    size_t nargs = 0;
    args[nargs].type = GRPC_ARG_INTEGER;
    args[nargs].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[nargs].value.integer = o.max_message_bytes > 0 ? o.max_message_bytes : DEFAULT_MAX_MESSAGE;
    nargs++;
    if (o.server_name) {
        args[nargs].type = GRPC_ARG_STRING;
        args[nargs].key = GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
        args[nargs].value.string = (char *)o.server_name;
        nargs++;
    }
    grpc_channel_args cargs = {nargs, args};
    c->channel = grpc_channel_create(o.target, creds, &cargs);
    grpc_channel_credentials_release(creds);
    free(ca);
    free(cert);
    free(key);
    *out = c;
    client_ok(st);
    return CREDIT_OK;
}

void credit_client_destroy(credit_client *c)
{
    if (!c)
        return;
    grpc_channel_destroy(c->channel);
    for (size_t i = 0; i < c->n_methods; i++)
        free(c->methods[i].path);
    pthread_mutex_destroy(&c->mu);
    free(c);
    /* Synchronous (deprecated, but grpc_shutdown may finish on a core thread after we return,
     * and a program that exits then loses that thread's OpenSSL state). */
    grpc_shutdown_blocking();
}

/* The channel's registration of `path`, made on first use. NULL only when the table is full
 * (then the call goes unregistered). */
static void *method_handle(credit_client *c, const char *path)
{
    void *h = NULL;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_methods && !h; i++)
        if (strcmp(c->methods[i].path, path) == 0)
            h = c->methods[i].handle;
    if (!h && c->n_methods < MAX_METHODS) {
        char *copy = strdup(path);
        if (copy) {
            h = grpc_channel_register_call(c->channel, path, NULL, NULL);
            c->methods[c->n_methods].path = copy;
            c->methods[c->n_methods].handle = h;
            c->n_methods++;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return h;
}

/* Starts a call of `method` on its own pluck queue. deadline_ms <= 0: no deadline. */
static grpc_call *start_call(credit_client *c, const char *method, int deadline_ms,
                             grpc_completion_queue **cq_out)
{
    gpr_timespec deadline = deadline_ms > 0
                                ? gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                                               gpr_time_from_millis(deadline_ms, GPR_TIMESPAN))
                                : gpr_inf_future(GPR_CLOCK_REALTIME);
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    void *handle = method_handle(c, method);
    grpc_call *call;
    if (handle) {
        call = grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                                   handle, deadline, NULL);
    } else {
        grpc_slice path = grpc_slice_from_copied_string(method);
        call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, path, NULL,
                                        deadline, NULL);
        grpc_slice_unref(path);
    }
    *cq_out = cq;
    return call;
}

/* Releases a call and drains its queue. */
static void end_call(grpc_call *call, grpc_completion_queue *cq)
{
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(cq);
}

/* Runs one batch and waits for it. Returns its success flag (0 on a failed start). */
static int run_batch(grpc_call *call, grpc_completion_queue *cq, grpc_op *ops, size_t n)
{
    char tag;
    if (grpc_call_start_batch(call, ops, n, &tag, NULL) != GRPC_CALL_OK)
        return 0;
    grpc_event ev = grpc_completion_queue_pluck(cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    return ev.type == GRPC_OP_COMPLETE && ev.success;
}

static grpc_byte_buffer *pack_message(const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    grpc_slice s = grpc_slice_malloc(n);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/* Runs `pre` (the ops the caller still has to send, at most 3) together with receiving the
 * reply and the status, and unpacks the reply as `resp_type` into *resp. */
static int complete_call(grpc_call *call, grpc_completion_queue *cq, const grpc_op *pre,
                         size_t n_pre, const ProtobufCMessageDescriptor *resp_type,
                         ProtobufCMessage **resp, credit_status *st)
{
    grpc_metadata_array initial_md, trailing_md;
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    grpc_byte_buffer *recv = NULL;
    grpc_status_code code = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();

    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    memcpy(ops, pre, n_pre * sizeof *pre);
    size_t n = n_pre;
    ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[n++].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &recv;
    ops[n].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[n].data.recv_status_on_client.trailing_metadata = &trailing_md;
    ops[n].data.recv_status_on_client.status = &code;
    ops[n++].data.recv_status_on_client.status_details = &details;

    int rc;
    ProtobufCMessage *m = NULL;
    if (!run_batch(call, cq, ops, n)) {
        rc = client_fail(st, CREDIT_CODE_INTERNAL, "the call did not complete");
    } else if (code != GRPC_STATUS_OK) {
        rc = client_fail(st, (int)code, "%.*s", (int)GRPC_SLICE_LENGTH(details),
                         (const char *)GRPC_SLICE_START_PTR(details));
    } else if (!recv) {
        rc = client_fail(st, CREDIT_CODE_INTERNAL, "the node answered OK without a message");
    } else {
        grpc_byte_buffer_reader r;
        grpc_slice all = grpc_empty_slice();
        if (grpc_byte_buffer_reader_init(&r, recv)) {
            all = grpc_byte_buffer_reader_readall(&r);
            grpc_byte_buffer_reader_destroy(&r);
            m = protobuf_c_message_unpack(resp_type, NULL, GRPC_SLICE_LENGTH(all),
                                          GRPC_SLICE_START_PTR(all));
        }
        grpc_slice_unref(all);
        if (m) {
            *resp = m;
            client_ok(st);
            rc = CREDIT_OK;
        } else {
            client_fail(st, CREDIT_CODE_INTERNAL, "the answer is not a valid %s", resp_type->name);
            rc = CREDIT_EDECODE;
        }
    }
    if (recv)
        grpc_byte_buffer_destroy(recv);
    grpc_slice_unref(details);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    return rc;
}

int client_unary(credit_client *c, const char *method, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **resp,
                 int timeout_ms, credit_status *st)
{
    assert(c && method && req && resp_type && resp);
    grpc_completion_queue *cq;
    grpc_call *call = start_call(c, method, timeout_ms > 0 ? timeout_ms : c->timeout_ms, &cq);
    grpc_byte_buffer *send = pack_message(req);
    grpc_op pre[3];
    memset(pre, 0, sizeof pre);
    pre[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    pre[1].op = GRPC_OP_SEND_MESSAGE;
    pre[1].data.send_message.send_message = send;
    pre[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    int rc = complete_call(call, cq, pre, 3, resp_type, resp, st);
    grpc_byte_buffer_destroy(send);
    end_call(call, cq);
    return rc;
}

/* --- Client streams ---------------------------------------------------------------------- */

/* A client-streaming call: messages of type `input` go out one at a time, one answer of type
 * `answer` comes back at the close. The owning thread is the only one to touch it. */
struct client_stream {
    const ProtobufCMessageDescriptor *input;  /* what add takes */
    const ProtobufCMessageDescriptor *answer; /* what finish returns */
    grpc_completion_queue *cq;
    grpc_call *call;
    grpc_byte_buffer *in_flight; /* the message being sent, NULL when none */
    char send_tag;
    int broken; /* a send failed: the stream is over; finish tells why */
    int finished;
    size_t sent, limit; /* messages added, and how many the node takes in one stream */
};

/* Opens a stream of `method`. */
int client_stream_open(credit_client *c, const char *method,
                       const ProtobufCMessageDescriptor *input,
                       const ProtobufCMessageDescriptor *answer, size_t limit, int timeout_ms,
                       client_stream **out, credit_status *st)
{
    client_stream *p = calloc(1, sizeof *p);
    if (!p) {
        client_fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
        return CREDIT_ENOMEM;
    }
    p->input = input;
    p->limit = limit;
    p->answer = answer;
    p->call = start_call(c, method, timeout_ms, &p->cq);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    p->broken = !run_batch(p->call, p->cq, &op, 1);
    *out = p;
    client_ok(st);
    return CREDIT_OK;
}

/* Waits for the message in flight, if any. Returns 0, or -1 if its send failed. */
static int wait_in_flight(client_stream *p)
{
    if (!p->in_flight)
        return p->broken ? -1 : 0;
    grpc_event ev =
        grpc_completion_queue_pluck(p->cq, &p->send_tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_byte_buffer_destroy(p->in_flight);
    p->in_flight = NULL;
    if (ev.type != GRPC_OP_COMPLETE || !ev.success)
        p->broken = 1;
    return p->broken ? -1 : 0;
}

/* The checks every add makes: a live stream below its limit. Returns 0, or fails st. */
static int stream_can_add(client_stream *p, int have_msg, credit_status *st)
{
    if (!p || !have_msg || p->finished) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT,
                    p && p->finished ? "pusher: already finished" : "pusher: missing argument");
        return CREDIT_EINVAL;
    }
    if (p->sent == p->limit) {
        client_fail(
            st, CREDIT_CODE_INVALID_ARGUMENT,
            "pusher: a stream holds at most %zu messages; finish this pusher and push the rest "
            "with another",
            p->limit);
        return CREDIT_EINVAL;
    }
    return CREDIT_OK;
}

/* Sends `bb` (taken: destroyed when its send completes) once the previous message has left. */
static int stream_send(client_stream *p, grpc_byte_buffer *bb, credit_status *st)
{
    /* One message in flight at most: waiting for it here is the backpressure. */
    if (wait_in_flight(p) != 0) {
        grpc_byte_buffer_destroy(bb);
        client_fail(st, CREDIT_CODE_UNAVAILABLE,
                    "the stream has ended; finish the pusher to learn why");
        return CREDIT_ERPC;
    }
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = p->in_flight = bb;
    if (grpc_call_start_batch(p->call, &op, 1, &p->send_tag, NULL) != GRPC_CALL_OK) {
        grpc_byte_buffer_destroy(p->in_flight);
        p->in_flight = NULL;
        p->broken = 1;
        client_fail(st, CREDIT_CODE_INTERNAL, "cannot send on the stream");
        return CREDIT_ERPC;
    }
    p->sent++;
    client_ok(st);
    return CREDIT_OK;
}

int client_stream_add(client_stream *p, const ProtobufCMessage *msg, credit_status *st)
{
    int rc = stream_can_add(p, msg != NULL, st);
    if (rc != CREDIT_OK)
        return rc;
    if (msg->descriptor != p->input) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "pusher: a %s where a %s belongs",
                    msg->descriptor ? msg->descriptor->name : "?", p->input->name);
        return CREDIT_EINVAL;
    }
    return stream_send(p, pack_message(msg), st);
}

int client_stream_add_encoded(client_stream *p, const void *bytes, size_t len, credit_status *st)
{
    int rc = stream_can_add(p, bytes != NULL, st);
    if (rc != CREDIT_OK)
        return rc;
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)bytes, len);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return stream_send(p, bb, st);
}

int client_stream_finish(client_stream *p, ProtobufCMessage **out, credit_status *st)
{
    if (!p || !out || p->finished) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT,
                    p && p->finished ? "pusher: already finished" : "pusher: missing argument");
        return CREDIT_EINVAL;
    }
    wait_in_flight(p); /* a failed send shows in the status received below */
    p->finished = 1;
    grpc_op close;
    memset(&close, 0, sizeof close);
    close.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ProtobufCMessage *resp = NULL;
    int rc = complete_call(p->call, p->cq, &close, p->broken ? 0 : 1, p->answer, &resp, st);
    if (rc == CREDIT_OK)
        *out = resp;
    return rc;
}

void client_stream_destroy(client_stream *p)
{
    if (!p)
        return;
    if (!p->finished)
        grpc_call_cancel(p->call, NULL);
    if (p->in_flight)
        wait_in_flight(p);
    end_call(p->call, p->cq);
    free(p);
}

/* --- Server streams ---------------------------------------------------------------------- */

/* A server-streaming call: one request went out at the open; answers are read one at a time,
 * each only when the caller asks for it, so the node's stream is held back by the transport's
 * flow control while the caller is busy (nothing is read ahead). The owning thread is the
 * only one to touch it. */
struct client_reader {
    const ProtobufCMessageDescriptor *answer;
    grpc_completion_queue *cq;
    grpc_call *call;
    grpc_metadata_array initial_md, trailing_md;
    grpc_byte_buffer *recv;
    grpc_status_code code;
    grpc_slice details;
    char recv_tag, status_tag;
    int recv_pending, status_pending, ended;
};

int client_reader_open(credit_client *c, const char *method, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *answer, int timeout_ms,
                       client_reader **out, credit_status *st)
{
    client_reader *r = calloc(1, sizeof *r);
    if (!r) {
        client_fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
        return CREDIT_ENOMEM;
    }
    r->answer = answer;
    r->code = GRPC_STATUS_UNKNOWN;
    r->details = grpc_empty_slice();
    grpc_metadata_array_init(&r->initial_md);
    grpc_metadata_array_init(&r->trailing_md);
    r->call = start_call(c, method, timeout_ms, &r->cq);
    grpc_byte_buffer *send = pack_message(req);
    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &r->initial_md;
    int sent = run_batch(r->call, r->cq, ops, 4);
    grpc_byte_buffer_destroy(send);
    /* The status is asked for at once: it completes when the stream ends, whenever that is. */
    grpc_op status;
    memset(&status, 0, sizeof status);
    status.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    status.data.recv_status_on_client.trailing_metadata = &r->trailing_md;
    status.data.recv_status_on_client.status = &r->code;
    status.data.recv_status_on_client.status_details = &r->details;
    r->status_pending =
        grpc_call_start_batch(r->call, &status, 1, &r->status_tag, NULL) == GRPC_CALL_OK;
    if (!sent)
        r->ended = 1; /* next reports the status */
    *out = r;
    client_ok(st);
    return CREDIT_OK;
}

/* Waits for the stream's status and reports it. */
static int reader_status(client_reader *r, credit_status *st)
{
    r->ended = 1;
    if (r->status_pending) {
        grpc_completion_queue_pluck(r->cq, &r->status_tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                    NULL);
        r->status_pending = 0;
    }
    return client_fail(st, (int)r->code, "%.*s", (int)GRPC_SLICE_LENGTH(r->details),
                       (const char *)GRPC_SLICE_START_PTR(r->details));
}

int client_reader_next(client_reader *r, int wait_ms, ProtobufCMessage **out, credit_status *st)
{
    if (r->ended)
        return reader_status(r, st);
    if (!r->recv_pending) {
        grpc_op op;
        memset(&op, 0, sizeof op);
        op.op = GRPC_OP_RECV_MESSAGE;
        op.data.recv_message.recv_message = &r->recv;
        if (grpc_call_start_batch(r->call, &op, 1, &r->recv_tag, NULL) != GRPC_CALL_OK)
            return reader_status(r, st);
        r->recv_pending = 1;
    }
    gpr_timespec until = wait_ms < 0 ? gpr_inf_future(GPR_CLOCK_REALTIME)
                                     : gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                                                    gpr_time_from_millis(wait_ms, GPR_TIMESPAN));
    grpc_event ev = grpc_completion_queue_pluck(r->cq, &r->recv_tag, until, NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) {
        client_ok(st);
        return 0;
    }
    r->recv_pending = 0;
    if (ev.type != GRPC_OP_COMPLETE || !ev.success || !r->recv)
        return reader_status(r, st);
    grpc_byte_buffer_reader br;
    grpc_slice all = grpc_empty_slice();
    ProtobufCMessage *m = NULL;
    if (grpc_byte_buffer_reader_init(&br, r->recv)) {
        all = grpc_byte_buffer_reader_readall(&br);
        grpc_byte_buffer_reader_destroy(&br);
        m = protobuf_c_message_unpack(r->answer, NULL, GRPC_SLICE_LENGTH(all),
                                      GRPC_SLICE_START_PTR(all));
    }
    grpc_slice_unref(all);
    grpc_byte_buffer_destroy(r->recv);
    r->recv = NULL;
    if (!m) {
        client_fail(st, CREDIT_CODE_INTERNAL, "an answer is not a valid %s", r->answer->name);
        return CREDIT_EDECODE;
    }
    *out = m;
    client_ok(st);
    return 1;
}

void client_reader_destroy(client_reader *r)
{
    if (!r)
        return;
    grpc_call_cancel(r->call, NULL);
    if (r->recv_pending)
        grpc_completion_queue_pluck(r->cq, &r->recv_tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (r->status_pending)
        grpc_completion_queue_pluck(r->cq, &r->status_tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                    NULL);
    if (r->recv)
        grpc_byte_buffer_destroy(r->recv);
    grpc_slice_unref(r->details);
    grpc_metadata_array_destroy(&r->initial_md);
    grpc_metadata_array_destroy(&r->trailing_md);
    end_call(r->call, r->cq);
    free(r);
}
