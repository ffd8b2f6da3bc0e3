/*
 * reflection.c — see reflection.h. The answer is worked out once, in a version-neutral form;
 * only the conversion from and to each version's generated C types is per version.
 *
 * Flow of one request: the version's adapter (respond_v1, respond_v1alpha, both made by the
 * REFLECTION_VERSION X-macro from one text) reads its request into a struct refl_request,
 * answer() decides the reply as a struct refl_answer, and the adapter dresses that in its own
 * response type and hands it to a `deliver` callback: packed into a buffer for
 * reflection_answer_*, queued on the call for the handler. The response and its parts live on
 * the adapter's stack: both deliveries pack at once, so nothing outlives the call.
 *
 * The neutral kinds are numbered as the oneof fields of reflection.proto (the same in v1 and
 * v1alpha) so that a generated case converts by value; static assertions check each version
 * against them. valid_host and original_request echo the request itself: the response points
 * at the caller's request, which is only read while packing.
 *
 * Every FileDescriptorProto answer carries the whole closure of the file. The protocol lets a
 * server skip files it already sent on the stream; we do not, which costs a few kilobytes and
 * keeps the handler stateless.
 */
#include "reflection.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_LEN 512

/* What a request asks, numbered as the ServerReflectionRequest oneof fields. */
enum refl_kind {
    REFL_NOT_SET = 0,
    REFL_FILE_BY_FILENAME = 3,
    REFL_FILE_CONTAINING_SYMBOL = 4,
    REFL_FILE_CONTAINING_EXTENSION = 5,
    REFL_ALL_EXTENSION_NUMBERS_OF_TYPE = 6,
    REFL_LIST_SERVICES = 7,
};

/* What a response carries, numbered as the ServerReflectionResponse oneof fields. */
enum refl_answer_kind {
    ANS_FILES = 4,
    ANS_EXTENSION_NUMBERS = 5,
    ANS_SERVICES = 6,
    ANS_ERROR = 7,
};

struct refl_request {
    enum refl_kind kind;
    const char *arg;   /* the file name, symbol or type; "" when there is none */
    int32_t extension; /* file_containing_extension only */
};

struct refl_answer {
    enum refl_answer_kind kind;
    ProtobufCBinaryData *files; /* ANS_FILES: malloc'd array; the bytes are the descset's */
    size_t n_files;
    const char *type_name; /* ANS_EXTENSION_NUMBERS: borrowed from the request */
    int32_t code;          /* ANS_ERROR: a gRPC status code */
    char message[MSG_LEN]; /* ANS_ERROR */
};

/* Receives a finished response; returns 0 or -1 (out of memory). */
typedef int (*deliver_fn)(const ProtobufCMessage *resp, void *ctx);

typedef size_t (*closure_fn)(const descset *ds, const char *key, descset_file *out, size_t max);

static const descset *served; /* set by reflection_init before the server starts */

static int refuse(struct refl_answer *a, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct refl_answer *a, int code, const char *fmt, ...)
{
    va_list ap;

    a->kind = ANS_ERROR;
    a->code = code;
    va_start(ap, fmt);
    vsnprintf(a->message, sizeof(a->message), fmt, ap);
    va_end(ap);
    return 0;
}

/* The closure that `closure` finds for `key`, or NOT_FOUND naming `what` and the key. */
static int files(const descset *ds, closure_fn closure, const char *what, const char *key,
                 struct refl_answer *a)
{
    size_t n = closure(ds, key, NULL, 0), i;
    descset_file *found;

    if (n == 0)
        return refuse(a, RPC_NOT_FOUND, "%s not found: %s", what, key);
    found = calloc(n, sizeof(*found));
    a->files = calloc(n, sizeof(*a->files));
    if (!found || !a->files) {
        free(found);
        free(a->files);
        a->files = NULL;
        return -1;
    }
    closure(ds, key, found, n);
    for (i = 0; i < n; i++) {
        /* protobuf-c wants a mutable pointer; packing only reads it. */
        a->files[i].data = (uint8_t *)found[i].data;
        a->files[i].len = found[i].len;
    }
    free(found);
    a->kind = ANS_FILES;
    a->n_files = n;
    return 0;
}

/* Decides the answer to `rq`. Returns 0, or -1 if memory ran out. Free *a with
 * answer_cleanup either way. */
static int answer(const descset *ds, const struct refl_request *rq, struct refl_answer *a)
{
    memset(a, 0, sizeof(*a));
    switch (rq->kind) {
    case REFL_LIST_SERVICES:
        a->kind = ANS_SERVICES;
        return 0;
    case REFL_FILE_BY_FILENAME:
        return files(ds, descset_file_closure_by_name, "file", rq->arg, a);
    case REFL_FILE_CONTAINING_SYMBOL:
        return files(ds, descset_file_closure_by_symbol, "symbol", rq->arg, a);
    case REFL_FILE_CONTAINING_EXTENSION:
        return refuse(a, RPC_NOT_FOUND, "extension %d of %s not found: no file defines extensions",
                      (int)rq->extension, rq->arg);
    case REFL_ALL_EXTENSION_NUMBERS_OF_TYPE:
        if (descset_file_closure_by_symbol(ds, rq->arg, NULL, 0) == 0)
            return refuse(a, RPC_NOT_FOUND, "type not found: %s", rq->arg);
        a->kind = ANS_EXTENSION_NUMBERS;
        a->type_name = rq->arg[0] == '.' ? rq->arg + 1 : rq->arg;
        return 0;
    case REFL_NOT_SET:
    default:
        return refuse(a, RPC_INVALID_ARGUMENT,
                      "the request sets none of file_by_filename, file_containing_symbol, "
                      "file_containing_extension, all_extension_numbers_of_type, list_services");
    }
}

static void answer_cleanup(struct refl_answer *a)
{
    free(a->files);
    a->files = NULL;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Spelling the generated names of one version: V1/v1/V1, V1alpha/v1alpha/V1ALPHA. */
#define REFL_T(V, name) Grpc__Reflection__##V##__##name
#define REFL_C(U, name) GRPC__REFLECTION__##U##__##name
#define REFL_F(v, name) grpc__reflection__##v##__##name
#define REFL_REQ(U, c)  (int)REFL_C(U, SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_##c)
#define REFL_RESP(U, c) (int)REFL_C(U, SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_##c)

/* The versions we serve, as X(type spelling, function spelling, constant spelling). */
#define REFLECTION_VERSIONS(X)                                                                     \
    X(V1, v1, V1)                                                                                  \
    X(V1alpha, v1alpha, V1ALPHA)

/* The adapter of one version: `respond_<v>` reads a request of that version, answers it and
 * delivers the response. Returns 0, or -1 if memory ran out (nothing was delivered). */
#define REFLECTION_VERSION(V, v, U)                                                                \
    _Static_assert(REFL_REQ(U, _NOT_SET) == REFL_NOT_SET &&                                        \
                       REFL_REQ(U, FILE_BY_FILENAME) == REFL_FILE_BY_FILENAME &&                   \
                       REFL_REQ(U, FILE_CONTAINING_SYMBOL) == REFL_FILE_CONTAINING_SYMBOL &&       \
                       REFL_REQ(U, FILE_CONTAINING_EXTENSION) == REFL_FILE_CONTAINING_EXTENSION && \
                       REFL_REQ(U, ALL_EXTENSION_NUMBERS_OF_TYPE) ==                               \
                           REFL_ALL_EXTENSION_NUMBERS_OF_TYPE &&                                   \
                       REFL_REQ(U, LIST_SERVICES) == REFL_LIST_SERVICES &&                         \
                       REFL_RESP(U, FILE_DESCRIPTOR_RESPONSE) == ANS_FILES &&                      \
                       REFL_RESP(U, ALL_EXTENSION_NUMBERS_RESPONSE) == ANS_EXTENSION_NUMBERS &&    \
                       REFL_RESP(U, LIST_SERVICES_RESPONSE) == ANS_SERVICES &&                     \
                       REFL_RESP(U, ERROR_RESPONSE) == ANS_ERROR,                                  \
                   "reflection " #v ": oneof cases numbered as in reflection.proto");              \
                                                                                                   \
    static int respond_##v(const descset *ds, const ProtobufCMessage *msg, deliver_fn deliver,     \
                           void *ctx)                                                              \
    {                                                                                              \
        const REFL_T(V, ServerReflectionRequest) *req =                                            \
            (const REFL_T(V, ServerReflectionRequest) *)msg;                                       \
        REFL_T(V, ServerReflectionResponse) resp = REFL_C(U, SERVER_REFLECTION_RESPONSE__INIT);    \
        REFL_T(V, FileDescriptorResponse) fdr = REFL_C(U, FILE_DESCRIPTOR_RESPONSE__INIT);         \
        REFL_T(V, ExtensionNumberResponse) enr = REFL_C(U, EXTENSION_NUMBER_RESPONSE__INIT);       \
        REFL_T(V, ListServiceResponse) lsr = REFL_C(U, LIST_SERVICE_RESPONSE__INIT);               \
        REFL_T(V, ErrorResponse) er = REFL_C(U, ERROR_RESPONSE__INIT);                             \
        REFL_T(V, ServiceResponse) *svc = NULL, **svcp = NULL;                                     \
        struct refl_request rq = {(enum refl_kind)req->message_request_case, "", 0};               \
        struct refl_answer a;                                                                      \
        size_t i, n;                                                                               \
        int rc = -1;                                                                               \
                                                                                                   \
        switch (rq.kind) {                                                                         \
        case REFL_FILE_BY_FILENAME:                                                                \
            rq.arg = or_empty(req->file_by_filename);                                              \
            break;                                                                                 \
        case REFL_FILE_CONTAINING_SYMBOL:                                                          \
            rq.arg = or_empty(req->file_containing_symbol);                                        \
            break;                                                                                 \
        case REFL_FILE_CONTAINING_EXTENSION:                                                       \
            if (req->file_containing_extension) {                                                  \
                rq.arg = or_empty(req->file_containing_extension->containing_type);                \
                rq.extension = req->file_containing_extension->extension_number;                   \
            }                                                                                      \
            break;                                                                                 \
        case REFL_ALL_EXTENSION_NUMBERS_OF_TYPE:                                                   \
            rq.arg = or_empty(req->all_extension_numbers_of_type);                                 \
            break;                                                                                 \
        case REFL_LIST_SERVICES:                                                                   \
            rq.arg = or_empty(req->list_services);                                                 \
            break;                                                                                 \
        default:                                                                                   \
            rq.kind = REFL_NOT_SET;                                                                \
            break;                                                                                 \
        }                                                                                          \
        if (answer(ds, &rq, &a) != 0)                                                              \
            goto out;                                                                              \
                                                                                                   \
        /* The response only points at the request and the answer: packing only reads. */          \
        resp.valid_host = (char *)or_empty(req->host);                                             \
        resp.original_request = (REFL_T(V, ServerReflectionRequest) *)req;                         \
        resp.message_response_case =                                                               \
            (REFL_T(V, ServerReflectionResponse__MessageResponseCase))a.kind;                      \
        switch (a.kind) {                                                                          \
        case ANS_FILES:                                                                            \
            fdr.n_file_descriptor_proto = a.n_files;                                               \
            fdr.file_descriptor_proto = a.files;                                                   \
            resp.file_descriptor_response = &fdr;                                                  \
            break;                                                                                 \
        case ANS_EXTENSION_NUMBERS:                                                                \
            enr.base_type_name = (char *)a.type_name;                                              \
            resp.all_extension_numbers_response = &enr;                                            \
            break;                                                                                 \
        case ANS_SERVICES:                                                                         \
            n = descset_service_count(ds);                                                         \
            svc = calloc(n ? n : 1, sizeof(*svc));                                                 \
            svcp = calloc(n ? n : 1, sizeof(*svcp));                                               \
            if (!svc || !svcp)                                                                     \
                goto out;                                                                          \
            for (i = 0; i < n; i++) {                                                              \
                REFL_F(v, service_response__init)(&svc[i]);                                        \
                svc[i].name = (char *)descset_service_name(ds, i);                                 \
                svcp[i] = &svc[i];                                                                 \
            }                                                                                      \
            lsr.n_service = n;                                                                     \
            lsr.service = svcp;                                                                    \
            resp.list_services_response = &lsr;                                                    \
            break;                                                                                 \
        case ANS_ERROR:                                                                            \
            er.error_code = a.code;                                                                \
            er.error_message = a.message;                                                          \
            resp.error_response = &er;                                                             \
            break;                                                                                 \
        }                                                                                          \
        rc = deliver(&resp.base, ctx);                                                             \
    out:                                                                                           \
        free(svcp);                                                                                \
        free(svc);                                                                                 \
        answer_cleanup(&a);                                                                        \
        return rc;                                                                                 \
    }

REFLECTION_VERSIONS(REFLECTION_VERSION)

typedef int (*respond_fn)(const descset *ds, const ProtobufCMessage *req, deliver_fn deliver,
                          void *ctx);

/* Which adapter reads a request: the one whose request descriptor it carries. */
static const struct version {
    const ProtobufCMessageDescriptor *request;
    respond_fn respond;
} versions[] = {
#define REFLECTION_ENTRY(V, v, U) {&REFL_F(v, server_reflection_request__descriptor), respond_##v},
    REFLECTION_VERSIONS(REFLECTION_ENTRY)
#undef REFLECTION_ENTRY
};

/* Answers `req` of either version; returns what deliver returned, or -1 (out of memory, or
 * not a reflection request). */
static int respond(const descset *ds, const ProtobufCMessage *req, deliver_fn deliver, void *ctx)
{
    size_t i;

    for (i = 0; req && i < sizeof(versions) / sizeof(versions[0]); i++)
        if (req->descriptor == versions[i].request)
            return versions[i].respond(ds, req, deliver, ctx);
    return -1;
}

struct packed {
    uint8_t *data;
    size_t len;
};

static int deliver_packed(const ProtobufCMessage *resp, void *ctx)
{
    struct packed *p = ctx;
    size_t n = protobuf_c_message_get_packed_size(resp);

    p->data = malloc(n ? n : 1);
    if (!p->data)
        return -1;
    p->len = protobuf_c_message_pack(resp, p->data);
    return 0;
}

static int answer_packed(const descset *ds, const ProtobufCMessage *req, uint8_t **out,
                         size_t *out_len)
{
    struct packed p = {NULL, 0};

    if (respond(ds, req, deliver_packed, &p) != 0)
        return -1;
    *out = p.data;
    *out_len = p.len;
    return 0;
}

int reflection_answer_v1(const descset *ds,
                         const Grpc__Reflection__V1__ServerReflectionRequest *req, uint8_t **out,
                         size_t *out_len)
{
    return answer_packed(ds, req ? &req->base : NULL, out, out_len);
}

int reflection_answer_v1alpha(const descset *ds,
                              const Grpc__Reflection__V1alpha__ServerReflectionRequest *req,
                              uint8_t **out, size_t *out_len)
{
    return answer_packed(ds, req ? &req->base : NULL, out, out_len);
}

/* rpc_send drops the message of a call that is over; that is not the handler's error. */
static int deliver_to_call(const ProtobufCMessage *resp, void *ctx)
{
    rpc_send(ctx, resp);
    return 0;
}

static void on_message(rpc_call *call, const ProtobufCMessage *req)
{
    if (!served) {
        rpc_finish(call, RPC_INTERNAL, "reflection: no descriptor set (reflection_init)");
        return;
    }
    if (respond(served, req, deliver_to_call, call) != 0)
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "reflection: out of memory");
}

void reflection_init(const descset *ds)
{
    served = ds;
}

/* One handler serves both versions: on_message tells them apart by the request. */
static const rpc_handler handlers[] = {
    {.method = "ServerReflectionInfo", .on_message = on_message},
};

/* reflection_v1_service and reflection_v1alpha_service. */
#define REFLECTION_SERVICE(V, v, U)                                                                \
    const rpc_service reflection_##v##_service = {                                                 \
        .descriptor = &REFL_F(v, server_reflection__descriptor),                                   \
        .handlers = handlers,                                                                      \
        .n_handlers = sizeof(handlers) / sizeof(handlers[0]),                                      \
        .auth = RPC_AUTH_VERIFIED,                                                                 \
        .audited = 0,                                                                              \
    };
REFLECTION_VERSIONS(REFLECTION_SERVICE)
