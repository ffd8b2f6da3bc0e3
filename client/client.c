/*
 * client.c — libcreditclient on the gRPC C core (see credit/client.h).
 *
 * One secure channel per client; the core multiplexes calls over it and reconnects by
 * itself. Each unary call gets its own pluck completion queue, so calls from many threads
 * never wait for each other's events. Method paths are registered with the channel once and
 * kept in a small table under `mu`; registered calls skip a per-call path lookup.
 */
#include "credit/client.h"

#include "grpc/health/v1/health.pb-c.h"

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

#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_MAX_MESSAGE (64 << 20)
#define MAX_METHODS 128

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
    "OK",                 "CANCELLED",           "UNKNOWN",        "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",  "NOT_FOUND",           "ALREADY_EXISTS", "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",        "OUT_OF_RANGE",
    "UNIMPLEMENTED",      "INTERNAL",            "UNAVAILABLE",    "DATA_LOSS",
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

__attribute__((format(printf, 3, 4))) static int fail(credit_status *st, int code,
                                                      const char *fmt, ...)
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

static void ok(credit_status *st)
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

int credit_client_create(const credit_client_options *opts, credit_client **out,
                         credit_status *st)
{
    if (!opts || !out || opts->struct_size < sizeof(size_t) + 4 * sizeof(char *)) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "options: missing or struct_size not set");
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
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "options: %s is required", missing);
        return CREDIT_EINVAL;
    }
    char *ca = slurp(o.ca_file), *cert = slurp(o.cert_file), *key = slurp(o.key_file);
    const char *unreadable = !ca ? o.ca_file : !cert ? o.cert_file : !key ? o.key_file : NULL;
    if (unreadable) {
        free(ca);
        free(cert);
        free(key);
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "cannot read %.200s", unreadable);
        return CREDIT_EFILE;
    }
    credit_client *c = calloc(1, sizeof *c);
    if (!c) {
        free(ca);
        free(cert);
        free(key);
        fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
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
    args[nargs].value.integer = o.max_message_bytes > 0 ? o.max_message_bytes
                                                        : DEFAULT_MAX_MESSAGE;
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
    ok(st);
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
    gpr_timespec deadline =
        deadline_ms > 0 ? gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
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
        call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, path,
                                        NULL, deadline, NULL);
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
    grpc_event ev = grpc_completion_queue_pluck(cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                                NULL);
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
        rc = fail(st, CREDIT_CODE_INTERNAL, "the call did not complete");
    } else if (code != GRPC_STATUS_OK) {
        rc = fail(st, (int)code, "%.*s", (int)GRPC_SLICE_LENGTH(details),
                  (const char *)GRPC_SLICE_START_PTR(details));
    } else if (!recv) {
        rc = fail(st, CREDIT_CODE_INTERNAL, "the node answered OK without a message");
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
            ok(st);
            rc = CREDIT_OK;
        } else {
            fail(st, CREDIT_CODE_INTERNAL, "the answer is not a valid %s", resp_type->name);
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

int credit_client_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **resp,
                       int timeout_ms, credit_status *st)
{
    if (!c || !method || !req || !resp_type || !resp) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "call: missing argument");
        return CREDIT_EINVAL;
    }
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

/* --- Client streams: the record pushers and the sample pusher ------------------------------- */

/* A client-streaming call: messages of type `input` go out one at a time, one answer of type
 * `answer` comes back at the close. credit_pusher and credit_sample_pusher are this struct
 * under two names, so that the compiler keeps a sample from a record stream and the other way
 * round, while the plumbing below is written once. */
struct credit_pusher {
    credit_client *c;
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

struct credit_sample_pusher {
    struct credit_pusher s;
};

/* Opens a stream of `method`. */
static int stream_open(credit_client *c, const char *method,
                       const ProtobufCMessageDescriptor *input,
                       const ProtobufCMessageDescriptor *answer, int timeout_ms,
                       credit_pusher **out, credit_status *st)
{
    credit_pusher *p = calloc(1, sizeof *p);
    if (!p) {
        fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
        return CREDIT_ENOMEM;
    }
    p->c = c;
    p->input = input;
    p->limit = input == &credit__v1__sample__descriptor ? CREDIT_SAMPLE_STREAM_MAX
                                                         : CREDIT_PUSH_STREAM_MAX;
    p->answer = answer;
    p->call = start_call(c, method, timeout_ms, &p->cq);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    p->broken = !run_batch(p->call, p->cq, &op, 1);
    *out = p;
    ok(st);
    return CREDIT_OK;
}

/* Waits for the message in flight, if any. Returns 0, or -1 if its send failed. */
static int wait_in_flight(credit_pusher *p)
{
    if (!p->in_flight)
        return p->broken ? -1 : 0;
    grpc_event ev = grpc_completion_queue_pluck(p->cq, &p->send_tag,
                                                gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_byte_buffer_destroy(p->in_flight);
    p->in_flight = NULL;
    if (ev.type != GRPC_OP_COMPLETE || !ev.success)
        p->broken = 1;
    return p->broken ? -1 : 0;
}

static int stream_add(credit_pusher *p, const ProtobufCMessage *msg, credit_status *st)
{
    if (!p || !msg || p->finished) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, p && p->finished ? "pusher: already finished"
                                                                : "pusher: missing argument");
        return CREDIT_EINVAL;
    }
    if (msg->descriptor != p->input) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "pusher: a %s where a %s belongs",
             msg->descriptor ? msg->descriptor->name : "?", p->input->name);
        return CREDIT_EINVAL;
    }
    if (p->sent == p->limit) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT,
             "pusher: a stream holds at most %zu messages; finish this pusher and push the rest "
             "with another",
             p->limit);
        return CREDIT_EINVAL;
    }
    /* One message in flight at most: waiting for it here is the backpressure. */
    if (wait_in_flight(p) != 0) {
        fail(st, CREDIT_CODE_UNAVAILABLE, "the stream has ended; finish the pusher to learn why");
        return CREDIT_ERPC;
    }
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = p->in_flight = pack_message(msg);
    if (grpc_call_start_batch(p->call, &op, 1, &p->send_tag, NULL) != GRPC_CALL_OK) {
        grpc_byte_buffer_destroy(p->in_flight);
        p->in_flight = NULL;
        p->broken = 1;
        fail(st, CREDIT_CODE_INTERNAL, "cannot send on the stream");
        return CREDIT_ERPC;
    }
    p->sent++;
    ok(st);
    return CREDIT_OK;
}

static int stream_finish(credit_pusher *p, void **out, credit_status *st)
{
    if (!p || !out || p->finished) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, p && p->finished ? "pusher: already finished"
                                                                : "pusher: missing argument");
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

static void stream_destroy(credit_pusher *p)
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

/* What each collected catalogue's service is called and takes, by credit_catalogue. */
static const struct catalogue_info {
    const char *service;
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *batch;   /* its PushBatch request; NULL: no records */
    const ProtobufCMessageDescriptor *correct; /* its Correct request; NULL: no Correct */
} catalogue_infos[] = {
    [CREDIT_CATALOGUE_PUBLIC] = {"credit.v1.PublicCreditCollection",
                                 &credit__v1__public_record_input__descriptor,
                                 &credit__v1__push_batch_request__descriptor,
                                 &credit__v1__correct_request__descriptor},
    [CREDIT_CATALOGUE_SERVICE_UNIT] = {"credit.v1.ServiceUnitCollection",
                                       &credit__v1__service_unit_record_input__descriptor,
                                       &credit__v1__service_unit_batch_request__descriptor,
                                       &credit__v1__service_unit_correct_request__descriptor},
    [CREDIT_CATALOGUE_ASSOCIATION] = {"credit.v1.AssociationCollection",
                                      &credit__v1__association_record_input__descriptor,
                                      &credit__v1__association_batch_request__descriptor,
                                      &credit__v1__association_correct_request__descriptor},
    [CREDIT_CATALOGUE_VOLUNTARY] = {"credit.v1.VoluntaryDeclaration",
                                    &credit__v1__voluntary_record_input__descriptor,
                                    &credit__v1__voluntary_batch_request__descriptor, NULL},
    [CREDIT_CATALOGUE_INDUSTRIAL] = {"credit.v1.IndustrialDataCollection",
                                     &credit__v1__sample__descriptor, NULL, NULL},
};

static const struct catalogue_info *catalogue_info(credit_catalogue cat)
{
    if ((int)cat <= 0 || (size_t)cat >= sizeof catalogue_infos / sizeof catalogue_infos[0])
        return NULL;
    return &catalogue_infos[cat];
}

const ProtobufCMessageDescriptor *credit_catalogue_input(credit_catalogue cat)
{
    const struct catalogue_info *ci = catalogue_info(cat);
    return ci ? ci->input : NULL;
}

/* The record catalogue `cat`, with "/<service>/<method>" in method[size]; NULL (status filled)
 * when `cat` is not a record catalogue. */
static const struct catalogue_info *record_method(credit_catalogue cat, const char *name,
                                                  char *method, size_t size, credit_status *st)
{
    const struct catalogue_info *ci = catalogue_info(cat);
    if (!ci || !ci->batch) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "catalogue: %d is not a record catalogue%s",
             (int)cat, ci ? " (samples go through credit_sample_pusher)" : "");
        return NULL;
    }
    snprintf(method, size, "/%s/%s", ci->service, name);
    return ci;
}

int credit_pusher_create_for(credit_client *c, credit_catalogue cat, int timeout_ms,
                             credit_pusher **out, credit_status *st)
{
    char method[96];
    if (!c || !out) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "pusher: missing argument");
        return CREDIT_EINVAL;
    }
    const struct catalogue_info *ci = record_method(cat, "Push", method, sizeof method, st);
    if (!ci)
        return CREDIT_EINVAL;
    return stream_open(c, method, ci->input, &credit__v1__push_batch_response__descriptor,
                       timeout_ms, out, st);
}

int credit_pusher_create(credit_client *c, int timeout_ms, credit_pusher **out,
                         credit_status *st)
{
    return credit_pusher_create_for(c, CREDIT_CATALOGUE_PUBLIC, timeout_ms, out, st);
}

int credit_pusher_add_message(credit_pusher *p, const ProtobufCMessage *rec, credit_status *st)
{
    return stream_add(p, rec, st);
}

int credit_pusher_add(credit_pusher *p, const Credit__V1__PublicRecordInput *rec,
                      credit_status *st)
{
    return stream_add(p, rec ? &rec->base : NULL, st);
}

int credit_pusher_finish(credit_pusher *p, Credit__V1__PushBatchResponse **out,
                         credit_status *st)
{
    return stream_finish(p, (void **)out, st);
}

void credit_pusher_destroy(credit_pusher *p)
{
    stream_destroy(p);
}

int credit_sample_pusher_create(credit_client *c, int timeout_ms, credit_sample_pusher **out,
                                credit_status *st)
{
    if (!c || !out) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "pusher: missing argument");
        return CREDIT_EINVAL;
    }
    credit_pusher *p = NULL;
    int rc = stream_open(c, "/credit.v1.IndustrialDataCollection/PushSamples",
                         &credit__v1__sample__descriptor, &credit__v1__sample_summary__descriptor,
                         timeout_ms, &p, st);
    if (rc == CREDIT_OK)
        *out = (credit_sample_pusher *)p; /* its only member: the same address */
    return rc;
}

int credit_sample_pusher_add(credit_sample_pusher *p, const Credit__V1__Sample *s,
                             credit_status *st)
{
    return stream_add(p ? &p->s : NULL, s ? &s->base : NULL, st);
}

int credit_sample_pusher_finish(credit_sample_pusher *p, Credit__V1__SampleSummary **out,
                                credit_status *st)
{
    return stream_finish(p ? &p->s : NULL, (void **)out, st);
}

void credit_sample_pusher_destroy(credit_sample_pusher *p)
{
    stream_destroy(p ? &p->s : NULL);
}

int credit_client_health(credit_client *c, const char *service, int *serving,
                         credit_status *st)
{
    if (!serving) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "serving: missing");
        return CREDIT_EINVAL;
    }
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)(service ? service : "");
    ProtobufCMessage *resp = NULL;
    int rc = credit_client_call(c, "/grpc.health.v1.Health/Check", &req.base,
                                &grpc__health__v1__health_check_response__descriptor, &resp, 0,
                                st);
    if (rc != CREDIT_OK)
        return rc;
    const Grpc__Health__V1__HealthCheckResponse *h = (const void *)resp;
    *serving = h->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    protobuf_c_message_free_unpacked(resp, NULL);
    return CREDIT_OK;
}

/* Calls a UnitRegistry method whose answer is a Unit; *out may be NULL. */
static int unit_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                     Credit__V1__Unit **out, credit_status *st)
{
    ProtobufCMessage *resp = NULL;
    int rc = credit_client_call(c, method, req, &credit__v1__unit__descriptor, &resp, 0, st);
    if (rc != CREDIT_OK)
        return rc;
    if (out)
        *out = (Credit__V1__Unit *)resp;
    else
        protobuf_c_message_free_unpacked(resp, NULL);
    return CREDIT_OK;
}

static char *str(const char *s)
{
    return (char *)(s ? s : "");
}

int credit_client_whoami(credit_client *c, Credit__V1__WhoAmIResponse **out, credit_status *st)
{
    Credit__V1__WhoAmIRequest req = CREDIT__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc = credit_client_call(c, "/credit.v1.UnitRegistry/WhoAmI", &req.base,
                                &credit__v1__who_am_iresponse__descriptor, &resp, 0, st);
    if (rc == CREDIT_OK)
        *out = (Credit__V1__WhoAmIResponse *)resp;
    return rc;
}

int credit_client_list_units(credit_client *c, Credit__V1__UnitKind kind, int page_size,
                             const char *page_token, Credit__V1__ListUnitsResponse **out,
                             credit_status *st)
{
    Credit__V1__ListUnitsRequest req = CREDIT__V1__LIST_UNITS_REQUEST__INIT;
    req.kind = kind;
    req.page_size = page_size;
    req.page_token = str(page_token);
    ProtobufCMessage *resp = NULL;
    int rc = credit_client_call(c, "/credit.v1.UnitRegistry/ListUnits", &req.base,
                                &credit__v1__list_units_response__descriptor, &resp, 0, st);
    if (rc == CREDIT_OK)
        *out = (Credit__V1__ListUnitsResponse *)resp;
    return rc;
}

int credit_client_get_unit(credit_client *c, const char *code, Credit__V1__Unit **out,
                           credit_status *st)
{
    Credit__V1__GetUnitRequest req = CREDIT__V1__GET_UNIT_REQUEST__INIT;
    req.code = str(code);
    return unit_call(c, "/credit.v1.UnitRegistry/GetUnit", &req.base, out, st);
}

int credit_client_register_unit(credit_client *c, const char *code, const char *name,
                                Credit__V1__UnitKind kind, const char *uscc,
                                Credit__V1__Unit **out, credit_status *st)
{
    Credit__V1__RegisterUnitRequest req = CREDIT__V1__REGISTER_UNIT_REQUEST__INIT;
    req.code = str(code);
    req.name = str(name);
    req.kind = kind;
    req.uscc = str(uscc);
    return unit_call(c, "/credit.v1.UnitRegistry/RegisterUnit", &req.base, out, st);
}

int credit_client_suspend_unit(credit_client *c, const char *code, const char *reason,
                               Credit__V1__Unit **out, credit_status *st)
{
    Credit__V1__SuspendUnitRequest req = CREDIT__V1__SUSPEND_UNIT_REQUEST__INIT;
    req.code = str(code);
    req.reason = str(reason);
    return unit_call(c, "/credit.v1.UnitRegistry/SuspendUnit", &req.base, out, st);
}

int credit_client_reinstate_unit(credit_client *c, const char *code, const char *reason,
                                 Credit__V1__Unit **out, credit_status *st)
{
    Credit__V1__ReinstateUnitRequest req = CREDIT__V1__REINSTATE_UNIT_REQUEST__INIT;
    req.code = str(code);
    req.reason = str(reason);
    return unit_call(c, "/credit.v1.UnitRegistry/ReinstateUnit", &req.base, out, st);
}

int credit_client_bind_identity(credit_client *c, const char *code, const char *identity,
                                Credit__V1__Unit **out, credit_status *st)
{
    Credit__V1__BindIdentityRequest req = CREDIT__V1__BIND_IDENTITY_REQUEST__INIT;
    req.code = str(code);
    req.identity = str(identity);
    return unit_call(c, "/credit.v1.UnitRegistry/BindIdentity", &req.base, out, st);
}

/* --- Public credit records ------------------------------------------------------------------ */

/* Calls `method` and hands over its answer as `type` into *out. A caller's request may be
 * NULL (passed cast, not as &req->base): that is CREDIT_EINVAL here. */
static int typed_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *type, void **out, credit_status *st)
{
    ProtobufCMessage *resp = NULL;
    if (!req) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "req: missing");
        return CREDIT_EINVAL;
    }
    if (!out) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "out: missing");
        return CREDIT_EINVAL;
    }
    int rc = credit_client_call(c, method, req, type, &resp, 0, st);
    if (rc == CREDIT_OK)
        *out = resp;
    return rc;
}

/* Calls `name` ("ListRecords") of the tier's service. */
static int tier_call(credit_client *c, credit_tier tier, const char *name,
                     const ProtobufCMessage *req, const ProtobufCMessageDescriptor *type,
                     void **out, credit_status *st)
{
    char method[96];
    const char *svc = tier == CREDIT_TIER_OPEN         ? "credit.v1.OpenQuery"
                      : tier == CREDIT_TIER_GOVERNMENT ? "credit.v1.GovernmentSharing"
                                                       : NULL;
    if (!svc) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "tier: not a tier");
        return CREDIT_EINVAL;
    }
    snprintf(method, sizeof method, "/%s/%s", svc, name);
    return typed_call(c, method, req, type, out, st);
}

int credit_client_push_batch(credit_client *c, const Credit__V1__PushBatchRequest *req,
                             Credit__V1__PushBatchResponse **out, credit_status *st)
{
    return typed_call(c, "/credit.v1.PublicCreditCollection/PushBatch",
                      (const ProtobufCMessage *)req,
                      &credit__v1__push_batch_response__descriptor, (void **)out, st);
}

int credit_client_correct(credit_client *c, const Credit__V1__CorrectRequest *req,
                          Credit__V1__PushResult **out, credit_status *st)
{
    return typed_call(c, "/credit.v1.PublicCreditCollection/Correct", (const ProtobufCMessage *)req,
                      &credit__v1__push_result__descriptor, (void **)out, st);
}

int credit_client_withdraw(credit_client *c, const char *record_id, const char *reason,
                           Credit__V1__PushResult **out, credit_status *st)
{
    return credit_client_withdraw_record(c, CREDIT_CATALOGUE_PUBLIC, record_id, reason, out, st);
}

/* Field `name` of the message at m: where its value (and, repeated, count) is kept. Every
 * request built here is of a type whose fields are known to exist; assert says so. */
static void *field_at(ProtobufCMessage *m, const char *name, size_t **count)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    assert(f);
    if (count)
        *count = (size_t *)((char *)m + f->quantifier_offset);
    return (char *)m + f->offset;
}

/* Allocates an initialised message of type d (free() it: its pointers are borrowed), or NULL
 * with the status filled. */
static ProtobufCMessage *new_request(const ProtobufCMessageDescriptor *d, credit_status *st)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m)
        protobuf_c_message_init(d, m);
    else
        fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return m;
}

int credit_client_push_records(credit_client *c, credit_catalogue cat,
                               ProtobufCMessage *const *recs, size_t n,
                               Credit__V1__PushBatchResponse **out, credit_status *st)
{
    char method[96];
    const struct catalogue_info *ci = record_method(cat, "PushBatch", method, sizeof method, st);
    if (!ci)
        return CREDIT_EINVAL;
    if (!recs || n == 0) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "records: none given");
        return CREDIT_EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        if (!recs[i] || recs[i]->descriptor != ci->input) {
            fail(st, CREDIT_CODE_INVALID_ARGUMENT, "records[%zu]: not a %s", i, ci->input->name);
            return CREDIT_EINVAL;
        }
    /* Every batch request is { repeated <Input> records = 1; }. */
    ProtobufCMessage *req = new_request(ci->batch, st);
    if (!req)
        return CREDIT_ENOMEM;
    size_t *count;
    *(ProtobufCMessage *const **)field_at(req, "records", &count) = recs;
    *count = n;
    int rc = typed_call(c, method, req, &credit__v1__push_batch_response__descriptor, (void **)out,
                        st);
    free(req);
    return rc;
}

int credit_client_correct_record(credit_client *c, credit_catalogue cat, const char *record_id,
                                 const ProtobufCMessage *rec, const char *reason,
                                 Credit__V1__PushResult **out, credit_status *st)
{
    char method[96];
    const struct catalogue_info *ci = record_method(cat, "Correct", method, sizeof method, st);
    if (!ci)
        return CREDIT_EINVAL;
    if (!ci->correct || !rec || rec->descriptor != ci->input) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT,
             !ci->correct ? "catalogue: %s has no Correct (withdraw and push again)"
                          : "record: not a %s",
             !ci->correct ? ci->service : ci->input->name);
        return CREDIT_EINVAL;
    }
    /* Every correct request is { record_id = 1; <Input> record = 2; reason = 3; }. */
    ProtobufCMessage *req = new_request(ci->correct, st);
    if (!req)
        return CREDIT_ENOMEM;
    *(const char **)field_at(req, "record_id", NULL) = str(record_id);
    *(const ProtobufCMessage **)field_at(req, "record", NULL) = rec;
    *(const char **)field_at(req, "reason", NULL) = str(reason);
    int rc = typed_call(c, method, req, &credit__v1__push_result__descriptor, (void **)out, st);
    free(req);
    return rc;
}

/* Withdraw or Reinstate of the record catalogue `cat`: both take {record_id, reason}. */
static int reasoned_change(credit_client *c, credit_catalogue cat, const char *name,
                           const char *record_id, const char *reason,
                           Credit__V1__PushResult **out, credit_status *st)
{
    char method[96];
    if (!record_method(cat, name, method, sizeof method, st))
        return CREDIT_EINVAL;
    /* ReinstateRequest has WithdrawRequest's fields and numbers: one encoding serves both. */
    Credit__V1__WithdrawRequest req = CREDIT__V1__WITHDRAW_REQUEST__INIT;
    req.record_id = str(record_id);
    req.reason = str(reason);
    return typed_call(c, method, &req.base, &credit__v1__push_result__descriptor, (void **)out,
                      st);
}

int credit_client_withdraw_record(credit_client *c, credit_catalogue cat, const char *record_id,
                                  const char *reason, Credit__V1__PushResult **out,
                                  credit_status *st)
{
    return reasoned_change(c, cat, "Withdraw", record_id, reason, out, st);
}

int credit_client_reinstate_record(credit_client *c, credit_catalogue cat,
                                   const char *record_id, const char *reason,
                                   Credit__V1__PushResult **out, credit_status *st)
{
    return reasoned_change(c, cat, "Reinstate", record_id, reason, out, st);
}

int credit_client_list_records(credit_client *c, credit_tier tier,
                               const Credit__V1__ListRecordsRequest *req,
                               Credit__V1__ListRecordsResponse **out, credit_status *st)
{
    return tier_call(c, tier, "ListRecords", (const ProtobufCMessage *)req,
                     &credit__v1__list_records_response__descriptor, (void **)out, st);
}

void credit_record_filter_init(credit_record_filter *f)
{
    memset(f, 0, sizeof *f);
    f->struct_size = sizeof *f;
}

#define FILTER_CATALOGUES_MAX 16

int credit_client_list_records_filtered(credit_client *c, credit_tier tier,
                                        const credit_record_filter *filter,
                                        Credit__V1__ListRecordsResponse **out, credit_status *st)
{
    Credit__V1__Catalogue cats[FILTER_CATALOGUES_MAX];
    credit_record_filter f;
    if (!filter || filter->struct_size < offsetof(credit_record_filter, page_size)) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "filter: missing or struct_size not set");
        return CREDIT_EINVAL;
    }
    /* Fields past the caller's struct_size are taken as zero, as for the client options. */
    memset(&f, 0, sizeof f);
    memcpy(&f, filter, filter->struct_size < sizeof f ? filter->struct_size : sizeof f);
    if (f.n_catalogues > FILTER_CATALOGUES_MAX) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "catalogues: at most %d", FILTER_CATALOGUES_MAX);
        return CREDIT_EINVAL;
    }
    for (size_t i = 0; i < f.n_catalogues; i++)
        cats[i] = (Credit__V1__Catalogue)f.catalogues[i];
    Credit__V1__SubjectRef ref = CREDIT__V1__SUBJECT_REF__INIT;
    ref.kind = f.subject_kind;
    ref.identifier = str(f.subject_identifier);
    Credit__V1__ListRecordsRequest req = CREDIT__V1__LIST_RECORDS_REQUEST__INIT;
    req.subject = &ref;
    req.categories = (Credit__V1__Category *)f.categories;
    req.n_categories = f.categories ? f.n_categories : 0;
    req.catalogues = cats;
    req.n_catalogues = f.catalogues ? f.n_catalogues : 0;
    req.sections = (char **)f.sections;
    req.n_sections = f.sections ? f.n_sections : 0;
    req.page_size = f.page_size;
    req.page_token = str(f.page_token);
    return credit_client_list_records(c, tier, &req, out, st);
}

int credit_client_get_record(credit_client *c, credit_tier tier, const char *record_id,
                             Credit__V1__GetRecordResponse **out, credit_status *st)
{
    Credit__V1__GetRecordRequest req = CREDIT__V1__GET_RECORD_REQUEST__INIT;
    req.record_id = str(record_id);
    return tier_call(c, tier, "GetRecord", &req.base,
                     &credit__v1__get_record_response__descriptor, (void **)out, st);
}

int credit_client_get_record_page(credit_client *c, credit_tier tier,
                                  const Credit__V1__GetRecordRequest *req,
                                  Credit__V1__GetRecordResponse **out, credit_status *st)
{
    if (!req) {
        fail(st, CREDIT_CODE_INVALID_ARGUMENT, "get record: missing request");
        return CREDIT_EINVAL;
    }
    return tier_call(c, tier, "GetRecord", &req->base,
                     &credit__v1__get_record_response__descriptor, (void **)out, st);
}

int credit_client_get_series(credit_client *c, credit_tier tier,
                             const Credit__V1__SeriesRequest *req,
                             Credit__V1__SeriesResponse **out, credit_status *st)
{
    return tier_call(c, tier, "GetSeries", (const ProtobufCMessage *)req,
                     &credit__v1__series_response__descriptor, (void **)out, st);
}

/* --- Mandates, verification, opt-ins ------------------------------------------------------- */

#define ASSOCIATION(method) "/credit.v1.AssociationCollection/" method
#define VOLUNTARY(method)   "/credit.v1.VoluntaryDeclaration/" method
#define INDUSTRIAL(method)  "/credit.v1.IndustrialDataCollection/" method

int credit_client_mandate_register(credit_client *c, const char *platform,
                                   const char *association_name, const char *association_uscc,
                                   Credit__V1__Mandate **out, credit_status *st)
{
    Credit__V1__RegisterMandateRequest req = CREDIT__V1__REGISTER_MANDATE_REQUEST__INIT;
    Credit__V1__AssociationRef assoc = CREDIT__V1__ASSOCIATION_REF__INIT;
    assoc.name = str(association_name);
    assoc.uscc = str(association_uscc);
    req.platform = str(platform);
    req.association = &assoc;
    return typed_call(c, ASSOCIATION("RegisterMandate"), &req.base,
                      &credit__v1__mandate__descriptor, (void **)out, st);
}

int credit_client_mandate_revoke(credit_client *c, const char *platform,
                                 const char *association_uscc, const char *reason,
                                 Credit__V1__Mandate **out, credit_status *st)
{
    Credit__V1__RevokeMandateRequest req = CREDIT__V1__REVOKE_MANDATE_REQUEST__INIT;
    req.platform = str(platform);
    req.association_uscc = str(association_uscc);
    req.reason = str(reason);
    return typed_call(c, ASSOCIATION("RevokeMandate"), &req.base,
                      &credit__v1__mandate__descriptor, (void **)out, st);
}

int credit_client_mandate_list(credit_client *c, const char *platform,
                               Credit__V1__ListMandatesResponse **out, credit_status *st)
{
    Credit__V1__ListMandatesRequest req = CREDIT__V1__LIST_MANDATES_REQUEST__INIT;
    req.platform = str(platform);
    return typed_call(c, ASSOCIATION("ListMandates"), &req.base,
                      &credit__v1__list_mandates_response__descriptor, (void **)out, st);
}

int credit_client_verify(credit_client *c, const char *record_id, int verified,
                         const char *reason, Credit__V1__PushResult **out, credit_status *st)
{
    Credit__V1__VerifyRequest req = CREDIT__V1__VERIFY_REQUEST__INIT;
    req.record_id = str(record_id);
    req.verified = verified != 0;
    req.reason = str(reason);
    return typed_call(c, VOLUNTARY("Verify"), &req.base, &credit__v1__push_result__descriptor,
                      (void **)out, st);
}

int credit_client_list_pending(credit_client *c, int page_size, const char *page_token,
                               Credit__V1__ListRecordsResponse **out, credit_status *st)
{
    return credit_client_list_declarations(c, CREDIT__V1__VERIFICATION__VERIFICATION_PENDING,
                                           page_size, page_token, out, st);
}

int credit_client_list_declarations(credit_client *c, Credit__V1__Verification verification,
                                    int page_size, const char *page_token,
                                    Credit__V1__ListRecordsResponse **out, credit_status *st)
{
    Credit__V1__ListPendingRequest req = CREDIT__V1__LIST_PENDING_REQUEST__INIT;
    req.page_size = page_size;
    req.page_token = str(page_token);
    req.verification = verification;
    return typed_call(c, VOLUNTARY("ListPending"), &req.base,
                      &credit__v1__list_records_response__descriptor, (void **)out, st);
}

int credit_client_optin_register(credit_client *c, const char *enterprise_uscc,
                                 const char *consent_digest, const char *platform,
                                 Credit__V1__OptIn **out, credit_status *st)
{
    Credit__V1__RegisterOptInRequest req = CREDIT__V1__REGISTER_OPT_IN_REQUEST__INIT;
    req.enterprise_uscc = str(enterprise_uscc);
    req.consent_digest = str(consent_digest);
    req.platform = str(platform);
    return typed_call(c, INDUSTRIAL("RegisterOptIn"), &req.base, &credit__v1__opt_in__descriptor,
                      (void **)out, st);
}

int credit_client_optin_revoke(credit_client *c, const char *enterprise_uscc,
                               const char *platform, Credit__V1__OptIn **out, credit_status *st)
{
    Credit__V1__RevokeOptInRequest req = CREDIT__V1__REVOKE_OPT_IN_REQUEST__INIT;
    req.enterprise_uscc = str(enterprise_uscc);
    req.platform = str(platform);
    return typed_call(c, INDUSTRIAL("RevokeOptIn"), &req.base, &credit__v1__opt_in__descriptor,
                      (void **)out, st);
}

int credit_client_optin_list(credit_client *c, const char *platform,
                             Credit__V1__ListOptInsResponse **out, credit_status *st)
{
    Credit__V1__ListOptInsRequest req = CREDIT__V1__LIST_OPT_INS_REQUEST__INIT;
    req.platform = str(platform);
    return typed_call(c, INDUSTRIAL("ListOptIns"), &req.base,
                      &credit__v1__list_opt_ins_response__descriptor, (void **)out, st);
}

/* --- credit.v1.CatalogueGovernance ---------------------------------------------------------- */

#define GOVERNANCE(method) "/credit.v1.CatalogueGovernance/" method

/* Calls a CatalogueGovernance method whose answer is a ChangeRequest. */
static int change_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                       Credit__V1__ChangeRequest **out, credit_status *st)
{
    return typed_call(c, method, req, &credit__v1__change_request__descriptor, (void **)out, st);
}

int credit_client_catalogue_versions(credit_client *c, Credit__V1__ListVersionsResponse **out,
                                     credit_status *st)
{
    Credit__V1__ListVersionsRequest req = CREDIT__V1__LIST_VERSIONS_REQUEST__INIT;
    return typed_call(c, GOVERNANCE("ListVersions"), &req.base,
                      &credit__v1__list_versions_response__descriptor, (void **)out, st);
}

int credit_client_catalogue_get(credit_client *c, uint32_t version,
                                Credit__V1__CatalogueVersion **out, credit_status *st)
{
    Credit__V1__GetVersionRequest req = CREDIT__V1__GET_VERSION_REQUEST__INIT;
    req.version = version;
    return typed_call(c, GOVERNANCE("GetVersion"), &req.base,
                      &credit__v1__catalogue_version__descriptor, (void **)out, st);
}

int credit_client_catalogue_propose(credit_client *c, const Credit__V1__ProposeChangeRequest *req,
                                    Credit__V1__ChangeRequest **out, credit_status *st)
{
    return change_call(c, GOVERNANCE("ProposeChange"), (const ProtobufCMessage *)req, out, st);
}

int credit_client_catalogue_review(credit_client *c, const char *id, int pass,
                                   const char *reasons, Credit__V1__ChangeRequest **out,
                                   credit_status *st)
{
    Credit__V1__ReviewChangeRequest req = CREDIT__V1__REVIEW_CHANGE_REQUEST__INIT;
    req.id = str(id);
    req.pass = pass != 0;
    req.reasons = str(reasons);
    return change_call(c, GOVERNANCE("ReviewChange"), &req.base, out, st);
}

int credit_client_catalogue_decide(credit_client *c, const char *id, int approve,
                                   const char *reasons, int64_t effective_at_unix,
                                   Credit__V1__ChangeRequest **out, credit_status *st)
{
    Credit__V1__DecideChangeRequest req = CREDIT__V1__DECIDE_CHANGE_REQUEST__INIT;
    Google__Protobuf__Timestamp effective = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    req.id = str(id);
    req.approve = approve != 0;
    req.reasons = str(reasons);
    if (effective_at_unix != 0) { /* unset: the node takes now */
        effective.seconds = effective_at_unix;
        req.effective_at = &effective;
    }
    return change_call(c, GOVERNANCE("DecideChange"), &req.base, out, st);
}

int credit_client_catalogue_change(credit_client *c, const char *id,
                                   Credit__V1__ChangeRequest **out, credit_status *st)
{
    Credit__V1__GetChangeRequest req = CREDIT__V1__GET_CHANGE_REQUEST__INIT;
    req.id = str(id);
    return change_call(c, GOVERNANCE("GetChange"), &req.base, out, st);
}

int credit_client_catalogue_changes(credit_client *c, Credit__V1__ChangeState state,
                                    Credit__V1__ListChangesResponse **out, credit_status *st)
{
    Credit__V1__ListChangesRequest req = CREDIT__V1__LIST_CHANGES_REQUEST__INIT;
    req.state = state;
    return typed_call(c, GOVERNANCE("ListChanges"), &req.base,
                      &credit__v1__list_changes_response__descriptor, (void **)out, st);
}
