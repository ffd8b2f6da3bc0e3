/*
 * calls.c — libcreditclient's typed calls (see credit/client.h): one function per RPC of the
 * node, each building its request message and naming its answer's type.
 *
 * Nothing here sees the gRPC core: a call goes out through client_unary or a client_stream
 * (client_int.h, channel.c). What this file knows is the services: their method paths, their
 * request messages, and which collecting service takes which catalogue (catalogue_infos, one
 * row per credit_catalogue). The record catalogues share one shape of request per method —
 * a batch is { repeated <Input> records = 1; }, a correction { record_id = 1; <Input> record =
 * 2; reason = 3; } — so one function per method serves all four, filling the fields by name.
 *
 * Every public function checks its own arguments before anything is sent: a NULL client,
 * request or out-parameter is CREDIT_EINVAL with the status naming it, never a crash.
 * Strings passed in are only read during the call; NULL is sent as "".
 */
#include "client_int.h"

#include "grpc/health/v1/health.pb-c.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METHOD_MAX 96 /* "/credit.v1.IndustrialDataCollection/PushSamples" and the like */

static char *str(const char *s)
{
    return (char *)(s ? s : "");
}

/* Calls `method` and hands over its answer as `type` into *out. A caller's request may be
 * NULL (passed cast, not as &req->base): that is CREDIT_EINVAL here, as are c and out. */
static int typed_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *type, void **out, credit_status *st)
{
    const char *missing = !c ? "client" : !req ? "req" : !out ? "out" : NULL;
    if (missing) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "%s: missing", missing);
        return CREDIT_EINVAL;
    }
    ProtobufCMessage *resp = NULL;
    int rc = client_unary(c, method, req, type, &resp, 0, st);
    if (rc == CREDIT_OK)
        *out = resp;
    return rc;
}

/* Calls `name` ("ListRecords") of the tier's service. */
static int tier_call(credit_client *c, credit_tier tier, const char *name,
                     const ProtobufCMessage *req, const ProtobufCMessageDescriptor *type,
                     void **out, credit_status *st)
{
    char method[METHOD_MAX];
    const char *svc = tier == CREDIT_TIER_OPEN         ? "credit.v1.OpenQuery"
                      : tier == CREDIT_TIER_GOVERNMENT ? "credit.v1.GovernmentSharing"
                                                       : NULL;
    if (!svc) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "tier: not a tier");
        return CREDIT_EINVAL;
    }
    snprintf(method, sizeof method, "/%s/%s", svc, name);
    return typed_call(c, method, req, type, out, st);
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
        client_fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return m;
}

/* --- The generic call and health ------------------------------------------------------------ */

int credit_client_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **resp,
                       int timeout_ms, credit_status *st)
{
    if (!c || !method || !req || !resp_type || !resp) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "call: missing argument");
        return CREDIT_EINVAL;
    }
    return client_unary(c, method, req, resp_type, resp, timeout_ms, st);
}

int credit_client_health_check(credit_client *c, const char *service, int *serving,
                               credit_status *st)
{
    if (!serving) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "serving: missing");
        return CREDIT_EINVAL;
    }
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = str(service);
    ProtobufCMessage *resp = NULL;
    int rc = typed_call(c, "/grpc.health.v1.Health/Check", &req.base,
                        &grpc__health__v1__health_check_response__descriptor, (void **)&resp, st);
    if (rc != CREDIT_OK)
        return rc;
    const Grpc__Health__V1__HealthCheckResponse *h = (const void *)resp;
    *serving = h->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    protobuf_c_message_free_unpacked(resp, NULL);
    return CREDIT_OK;
}

/* --- credit.v1.UnitRegistry ---------------------------------------------------------------- */

#define REGISTRY(method) "/credit.v1.UnitRegistry/" method

/* Calls a UnitRegistry method whose answer is a Unit; out may be NULL (the answer is freed). */
static int unit_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                     Credit__V1__Unit **out, credit_status *st)
{
    Credit__V1__Unit *u = NULL;
    int rc = typed_call(c, method, req, &credit__v1__unit__descriptor, (void **)&u, st);
    if (rc != CREDIT_OK)
        return rc;
    if (out)
        *out = u;
    else
        credit__v1__unit__free_unpacked(u, NULL);
    return CREDIT_OK;
}

int credit_client_whoami(credit_client *c, Credit__V1__WhoAmIResponse **out, credit_status *st)
{
    Credit__V1__WhoAmIRequest req = CREDIT__V1__WHO_AM_IREQUEST__INIT;
    return typed_call(c, REGISTRY("WhoAmI"), &req.base, &credit__v1__who_am_iresponse__descriptor,
                      (void **)out, st);
}

int credit_client_unit_list(credit_client *c, Credit__V1__UnitKind kind, int page_size,
                            const char *page_token, Credit__V1__ListUnitsResponse **out,
                            credit_status *st)
{
    Credit__V1__ListUnitsRequest req = CREDIT__V1__LIST_UNITS_REQUEST__INIT;
    req.kind = kind;
    req.page_size = page_size;
    req.page_token = str(page_token);
    return typed_call(c, REGISTRY("ListUnits"), &req.base,
                      &credit__v1__list_units_response__descriptor, (void **)out, st);
}

int credit_client_unit_get(credit_client *c, const char *code, Credit__V1__Unit **out,
                           credit_status *st)
{
    Credit__V1__GetUnitRequest req = CREDIT__V1__GET_UNIT_REQUEST__INIT;
    req.code = str(code);
    return typed_call(c, REGISTRY("GetUnit"), &req.base, &credit__v1__unit__descriptor,
                      (void **)out, st);
}

int credit_client_unit_register(credit_client *c, const char *code, const char *name,
                                Credit__V1__UnitKind kind, const char *uscc, Credit__V1__Unit **out,
                                credit_status *st)
{
    Credit__V1__RegisterUnitRequest req = CREDIT__V1__REGISTER_UNIT_REQUEST__INIT;
    req.code = str(code);
    req.name = str(name);
    req.kind = kind;
    req.uscc = str(uscc);
    return unit_call(c, REGISTRY("RegisterUnit"), &req.base, out, st);
}

int credit_client_unit_suspend(credit_client *c, const char *code, const char *reason,
                               Credit__V1__Unit **out, credit_status *st)
{
    Credit__V1__SuspendUnitRequest req = CREDIT__V1__SUSPEND_UNIT_REQUEST__INIT;
    req.code = str(code);
    req.reason = str(reason);
    return unit_call(c, REGISTRY("SuspendUnit"), &req.base, out, st);
}

int credit_client_unit_reinstate(credit_client *c, const char *code, const char *reason,
                                 Credit__V1__Unit **out, credit_status *st)
{
    Credit__V1__ReinstateUnitRequest req = CREDIT__V1__REINSTATE_UNIT_REQUEST__INIT;
    req.code = str(code);
    req.reason = str(reason);
    return unit_call(c, REGISTRY("ReinstateUnit"), &req.base, out, st);
}

int credit_client_unit_bind_identity(credit_client *c, const char *code, const char *identity,
                                     Credit__V1__Unit **out, credit_status *st)
{
    Credit__V1__BindIdentityRequest req = CREDIT__V1__BIND_IDENTITY_REQUEST__INIT;
    req.code = str(code);
    req.identity = str(identity);
    return unit_call(c, REGISTRY("BindIdentity"), &req.base, out, st);
}

/* --- The collected catalogues ---------------------------------------------------------------- */

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
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "catalogue: %d is not a record catalogue%s",
                    (int)cat, ci ? " (samples go through credit_sample_pusher)" : "");
        return NULL;
    }
    snprintf(method, size, "/%s/%s", ci->service, name);
    return ci;
}

/* --- Pushing records and samples ------------------------------------------------------------- */

/* The two pushers are two names for a client stream, so that the compiler keeps a sample out
 * of a record stream and the other way round. A pusher made by a *_create_batched function
 * gathers what it is given into batch messages of `per_message` (PushBatches,
 * PushSampleBatches): each record or sample is encoded at once into `batch` as the batch
 * message's field 1 (`records`, `samples`), so the batch message is never built as a
 * protobuf-c structure and the caller keeps its messages. */
typedef struct gather {
    client_stream *stream;
    size_t per_message;    /* 0: one record or sample a message */
    size_t added;          /* messages added, sent or gathered */
    size_t gathered;       /* in `batch`, not yet sent */
    unsigned char *batch;  /* their encoding, len bytes of cap */
    size_t len, cap;
    int finished;          /* gather_finish was called: nothing more is taken */
} gather;

struct credit_pusher {
    gather g;
    const ProtobufCMessageDescriptor *input; /* the records' type */
};

struct credit_sample_pusher {
    gather g;
};

/* Opens a record pusher: `method` "Push" (per_message 0) or "PushBatches". */
static int pusher_open(credit_client *c, credit_catalogue cat, size_t per_message, int timeout_ms,
                       credit_pusher **out, credit_status *st)
{
    char method[METHOD_MAX];
    if (!c || !out) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "pusher: missing argument");
        return CREDIT_EINVAL;
    }
    const struct catalogue_info *ci =
        record_method(cat, per_message ? "PushBatches" : "Push", method, sizeof method, st);
    if (!ci)
        return CREDIT_EINVAL;
    credit_pusher *p = calloc(1, sizeof *p);
    if (!p) {
        client_fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
        return CREDIT_ENOMEM;
    }
    p->input = ci->input;
    p->g.per_message = per_message;
    int rc = client_stream_open(c, method, per_message ? ci->batch : ci->input,
                                &credit__v1__push_batch_response__descriptor,
                                CREDIT_PUSH_STREAM_MAX, timeout_ms, &p->g.stream, st);
    if (rc != CREDIT_OK)
        goto fail_open;
    *out = p;
    return CREDIT_OK;

fail_open:
    free(p);
    return rc;
}

int credit_pusher_create(credit_client *c, credit_catalogue cat, int timeout_ms,
                         credit_pusher **out, credit_status *st)
{
    return pusher_open(c, cat, 0, timeout_ms, out, st);
}

int credit_pusher_create_batched(credit_client *c, credit_catalogue cat, size_t per_message,
                                 int timeout_ms, credit_pusher **out, credit_status *st)
{
    if (per_message == 0 || per_message > CREDIT_PUSH_MESSAGE_MAX) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT,
                    "per_message: a message holds 1 to %d records, not %zu",
                    CREDIT_PUSH_MESSAGE_MAX, per_message);
        return CREDIT_EINVAL;
    }
    return pusher_open(c, cat, per_message, timeout_ms, out, st);
}

/* Sends the gathered messages as one batch message. */
static int gather_flush(gather *g, credit_status *st)
{
    if (!g->gathered) {
        client_ok(st);
        return CREDIT_OK;
    }
    int rc = client_stream_add_encoded(g->stream, g->batch, g->len, st);
    g->gathered = 0;
    g->len = 0;
    return rc;
}

/* Appends `m` to the batch being gathered as field 1 of the batch message: the tag, the
 * length as a varint, the message's encoding. */
static int gather_add(gather *g, const ProtobufCMessage *m, credit_status *st)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    if (g->len + n + 11 > g->cap) {
        size_t cap = g->cap ? g->cap : 4096;
        while (cap < g->len + n + 11)
            cap *= 2;
        unsigned char *nb = realloc(g->batch, cap);
        if (!nb) {
            client_fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
            return CREDIT_ENOMEM;
        }
        g->batch = nb;
        g->cap = cap;
    }
    g->batch[g->len++] = 0x0a; /* field 1, length-delimited */
    for (size_t v = n;; v >>= 7) {
        g->batch[g->len++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f)
            break;
    }
    protobuf_c_message_pack(m, g->batch + g->len);
    g->len += n;
    g->added++;
    if (++g->gathered == g->per_message)
        return gather_flush(g, st);
    client_ok(st);
    return CREDIT_OK;
}

/* Sends `m` (of the stream's type, checked by the caller), gathered when the pusher batches;
 * `max` items a stream, `what` naming them in the refusal past it. */
static int gather_send(gather *g, const ProtobufCMessage *m, int max, const char *what,
                       credit_status *st)
{
    if (!g->per_message)
        return client_stream_add(g->stream, m, st);
    if (!m) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "pusher: missing argument");
        return CREDIT_EINVAL;
    }
    /* A batched pusher would only gather: say so now, as the stream itself would. */
    if (g->finished) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "pusher: already finished");
        return CREDIT_EINVAL;
    }
    if (g->added == (size_t)max) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT,
                    "pusher: a stream holds at most %d %s; finish this pusher and push the "
                    "rest with another",
                    max, what);
        return CREDIT_EINVAL;
    }
    return gather_add(g, m, st);
}

/* Finishes the stream: the last messages gathered go out first (a failed send shows in the
 * finish's status). */
static int gather_finish(gather *g, ProtobufCMessage **out, credit_status *st)
{
    if (out && g->per_message && !g->finished)
        (void)gather_flush(g, st);
    if (out)
        g->finished = 1;
    return client_stream_finish(g->stream, out, st);
}

static void gather_destroy(gather *g)
{
    client_stream_destroy(g->stream);
    free(g->batch);
}

int credit_pusher_add(credit_pusher *p, const ProtobufCMessage *rec, credit_status *st)
{
    if (!p)
        return client_stream_add(NULL, rec, st);
    if (p->g.per_message && rec && rec->descriptor != p->input) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "pusher: a %s where a %s belongs",
                    rec->descriptor ? rec->descriptor->name : "?", p->input->name);
        return CREDIT_EINVAL;
    }
    return gather_send(&p->g, rec, CREDIT_PUSH_STREAM_MAX, "records", st);
}

int credit_pusher_finish(credit_pusher *p, Credit__V1__PushBatchResponse **out, credit_status *st)
{
    if (!p)
        return client_stream_finish(NULL, (ProtobufCMessage **)out, st);
    return gather_finish(&p->g, (ProtobufCMessage **)out, st);
}

void credit_pusher_destroy(credit_pusher *p)
{
    if (!p)
        return;
    gather_destroy(&p->g);
    free(p);
}

/* Opens a sample pusher: PushSamples (per_message 0) or PushSampleBatches. */
static int sample_pusher_open(credit_client *c, size_t per_message, int timeout_ms,
                              credit_sample_pusher **out, credit_status *st)
{
    if (!c || !out) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "pusher: missing argument");
        return CREDIT_EINVAL;
    }
    credit_sample_pusher *p = calloc(1, sizeof *p);
    if (!p) {
        client_fail(st, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
        return CREDIT_ENOMEM;
    }
    p->g.per_message = per_message;
    int rc = client_stream_open(
        c,
        per_message ? "/credit.v1.IndustrialDataCollection/PushSampleBatches"
                    : "/credit.v1.IndustrialDataCollection/PushSamples",
        per_message ? &credit__v1__sample_batch__descriptor : &credit__v1__sample__descriptor,
        &credit__v1__sample_summary__descriptor, CREDIT_SAMPLE_STREAM_MAX, timeout_ms,
        &p->g.stream, st);
    if (rc != CREDIT_OK) {
        free(p);
        return rc;
    }
    *out = p;
    return CREDIT_OK;
}

int credit_sample_pusher_create(credit_client *c, int timeout_ms, credit_sample_pusher **out,
                                credit_status *st)
{
    return sample_pusher_open(c, 0, timeout_ms, out, st);
}

int credit_sample_pusher_create_batched(credit_client *c, size_t per_message, int timeout_ms,
                                        credit_sample_pusher **out, credit_status *st)
{
    if (per_message == 0 || per_message > CREDIT_SAMPLE_MESSAGE_MAX) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT,
                    "per_message: a message holds 1 to %d samples, not %zu",
                    CREDIT_SAMPLE_MESSAGE_MAX, per_message);
        return CREDIT_EINVAL;
    }
    return sample_pusher_open(c, per_message, timeout_ms, out, st);
}

int credit_sample_pusher_add(credit_sample_pusher *p, const Credit__V1__Sample *s,
                             credit_status *st)
{
    if (!p)
        return client_stream_add(NULL, s ? &s->base : NULL, st);
    return gather_send(&p->g, s ? &s->base : NULL, CREDIT_SAMPLE_STREAM_MAX, "samples", st);
}

int credit_sample_pusher_finish(credit_sample_pusher *p, Credit__V1__SampleSummary **out,
                                credit_status *st)
{
    if (!p)
        return client_stream_finish(NULL, (ProtobufCMessage **)out, st);
    return gather_finish(&p->g, (ProtobufCMessage **)out, st);
}

void credit_sample_pusher_destroy(credit_sample_pusher *p)
{
    if (!p)
        return;
    gather_destroy(&p->g);
    free(p);
}

int credit_client_record_push(credit_client *c, credit_catalogue cat, ProtobufCMessage *const *recs,
                              size_t n, Credit__V1__PushBatchResponse **out, credit_status *st)
{
    char method[METHOD_MAX];
    const struct catalogue_info *ci = record_method(cat, "PushBatch", method, sizeof method, st);
    if (!ci)
        return CREDIT_EINVAL;
    if (!recs || n == 0) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "records: none given");
        return CREDIT_EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        if (!recs[i] || recs[i]->descriptor != ci->input) {
            client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "records[%zu]: not a %s", i,
                        ci->input->name);
            return CREDIT_EINVAL;
        }
    /* Every batch request is { repeated <Input> records = 1; }. */
    ProtobufCMessage *req = new_request(ci->batch, st);
    if (!req)
        return CREDIT_ENOMEM;
    size_t *count;
    *(ProtobufCMessage *const **)field_at(req, "records", &count) = recs;
    *count = n;
    int rc =
        typed_call(c, method, req, &credit__v1__push_batch_response__descriptor, (void **)out, st);
    free(req);
    return rc;
}

/* --- Changing a pushed record ---------------------------------------------------------------- */

int credit_client_record_correct(credit_client *c, credit_catalogue cat, const char *record_id,
                                 const ProtobufCMessage *rec, const char *reason,
                                 Credit__V1__PushResult **out, credit_status *st)
{
    char method[METHOD_MAX];
    const struct catalogue_info *ci = record_method(cat, "Correct", method, sizeof method, st);
    if (!ci)
        return CREDIT_EINVAL;
    if (!ci->correct || !rec || rec->descriptor != ci->input) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT,
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
                           const char *record_id, const char *reason, Credit__V1__PushResult **out,
                           credit_status *st)
{
    char method[METHOD_MAX];
    if (!record_method(cat, name, method, sizeof method, st))
        return CREDIT_EINVAL;
    /* ReinstateRequest has WithdrawRequest's fields and numbers: one encoding serves both. */
    Credit__V1__WithdrawRequest req = CREDIT__V1__WITHDRAW_REQUEST__INIT;
    req.record_id = str(record_id);
    req.reason = str(reason);
    return typed_call(c, method, &req.base, &credit__v1__push_result__descriptor, (void **)out, st);
}

int credit_client_record_withdraw(credit_client *c, credit_catalogue cat, const char *record_id,
                                  const char *reason, Credit__V1__PushResult **out,
                                  credit_status *st)
{
    return reasoned_change(c, cat, "Withdraw", record_id, reason, out, st);
}

int credit_client_record_reinstate(credit_client *c, credit_catalogue cat, const char *record_id,
                                   const char *reason, Credit__V1__PushResult **out,
                                   credit_status *st)
{
    return reasoned_change(c, cat, "Reinstate", record_id, reason, out, st);
}

/* --- Reading through a tier ------------------------------------------------------------------ */

void credit_record_filter_init(credit_record_filter *f)
{
    memset(f, 0, sizeof *f);
    f->struct_size = sizeof *f;
}

int client_filter_request(const credit_record_filter *filter, client_filter_msg *m,
                          credit_status *st)
{
    credit_record_filter f;
    if (!filter || filter->struct_size < offsetof(credit_record_filter, page_size)) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "filter: missing or struct_size not set");
        return CREDIT_EINVAL;
    }
    /* Fields past the caller's struct_size are taken as zero, as for the client options. */
    memset(&f, 0, sizeof f);
    memcpy(&f, filter, filter->struct_size < sizeof f ? filter->struct_size : sizeof f);
    if (f.n_catalogues > CLIENT_FILTER_CATALOGUES_MAX) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "catalogues: at most %d",
                    CLIENT_FILTER_CATALOGUES_MAX);
        return CREDIT_EINVAL;
    }
    for (size_t i = 0; i < f.n_catalogues; i++)
        m->cats[i] = (Credit__V1__Catalogue)f.catalogues[i];
    credit__v1__subject_ref__init(&m->ref);
    m->ref.kind = f.subject_kind;
    m->ref.identifier = str(f.subject_identifier);
    credit__v1__list_records_request__init(&m->req);
    m->req.subject = &m->ref;
    m->req.categories = (Credit__V1__Category *)f.categories;
    m->req.n_categories = f.categories ? f.n_categories : 0;
    m->req.catalogues = m->cats;
    m->req.n_catalogues = f.catalogues ? f.n_catalogues : 0;
    m->req.sections = (char **)f.sections;
    m->req.n_sections = f.sections ? f.n_sections : 0;
    m->req.page_size = f.page_size;
    m->req.page_token = str(f.page_token);
    return CREDIT_OK;
}

int credit_client_record_list(credit_client *c, credit_tier tier,
                              const credit_record_filter *filter,
                              Credit__V1__ListRecordsResponse **out, credit_status *st)
{
    client_filter_msg m;
    int rc = client_filter_request(filter, &m, st);
    if (rc != CREDIT_OK)
        return rc;
    return tier_call(c, tier, "ListRecords", &m.req.base,
                     &credit__v1__list_records_response__descriptor, (void **)out, st);
}

int credit_client_record_get(credit_client *c, credit_tier tier, const char *record_id,
                             Credit__V1__GetRecordResponse **out, credit_status *st)
{
    Credit__V1__GetRecordRequest req = CREDIT__V1__GET_RECORD_REQUEST__INIT;
    req.record_id = str(record_id);
    return tier_call(c, tier, "GetRecord", &req.base, &credit__v1__get_record_response__descriptor,
                     (void **)out, st);
}

int credit_client_record_get_page(credit_client *c, credit_tier tier,
                                  const Credit__V1__GetRecordRequest *req,
                                  Credit__V1__GetRecordResponse **out, credit_status *st)
{
    if (!req) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "get record: missing request");
        return CREDIT_EINVAL;
    }
    return tier_call(c, tier, "GetRecord", &req->base, &credit__v1__get_record_response__descriptor,
                     (void **)out, st);
}

int credit_client_series_get(credit_client *c, credit_tier tier,
                             const Credit__V1__SeriesRequest *req, Credit__V1__SeriesResponse **out,
                             credit_status *st)
{
    return tier_call(c, tier, "GetSeries", (const ProtobufCMessage *)req,
                     &credit__v1__series_response__descriptor, (void **)out, st);
}

/* --- Mandates, declarations, opt-ins --------------------------------------------------------- */

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
    return typed_call(c, ASSOCIATION("RevokeMandate"), &req.base, &credit__v1__mandate__descriptor,
                      (void **)out, st);
}

int credit_client_mandate_list(credit_client *c, const char *platform,
                               Credit__V1__ListMandatesResponse **out, credit_status *st)
{
    Credit__V1__ListMandatesRequest req = CREDIT__V1__LIST_MANDATES_REQUEST__INIT;
    req.platform = str(platform);
    return typed_call(c, ASSOCIATION("ListMandates"), &req.base,
                      &credit__v1__list_mandates_response__descriptor, (void **)out, st);
}

int credit_client_declaration_verify(credit_client *c, const char *record_id, int verified,
                                     const char *reason, Credit__V1__PushResult **out,
                                     credit_status *st)
{
    Credit__V1__VerifyRequest req = CREDIT__V1__VERIFY_REQUEST__INIT;
    req.record_id = str(record_id);
    req.verified = verified != 0;
    req.reason = str(reason);
    return typed_call(c, VOLUNTARY("Verify"), &req.base, &credit__v1__push_result__descriptor,
                      (void **)out, st);
}

int credit_client_declaration_list(credit_client *c, Credit__V1__Verification verification,
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

int credit_client_optin_revoke(credit_client *c, const char *enterprise_uscc, const char *platform,
                               Credit__V1__OptIn **out, credit_status *st)
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

int credit_client_catalogue_list(credit_client *c, Credit__V1__ListVersionsResponse **out,
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

int credit_client_change_propose(credit_client *c, const Credit__V1__ProposeChangeRequest *req,
                                 Credit__V1__ChangeRequest **out, credit_status *st)
{
    return change_call(c, GOVERNANCE("ProposeChange"), (const ProtobufCMessage *)req, out, st);
}

int credit_client_change_review(credit_client *c, const char *id, int pass, const char *reasons,
                                Credit__V1__ChangeRequest **out, credit_status *st)
{
    Credit__V1__ReviewChangeRequest req = CREDIT__V1__REVIEW_CHANGE_REQUEST__INIT;
    req.id = str(id);
    req.passed = pass != 0;
    req.reasons = str(reasons);
    return change_call(c, GOVERNANCE("ReviewChange"), &req.base, out, st);
}

int credit_client_change_decide(credit_client *c, const char *id, int approve, const char *reasons,
                                int64_t effective_at_unix, Credit__V1__ChangeRequest **out,
                                credit_status *st)
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

int credit_client_change_get(credit_client *c, const char *id, Credit__V1__ChangeRequest **out,
                             credit_status *st)
{
    Credit__V1__GetChangeRequest req = CREDIT__V1__GET_CHANGE_REQUEST__INIT;
    req.id = str(id);
    return change_call(c, GOVERNANCE("GetChange"), &req.base, out, st);
}

int credit_client_change_list(credit_client *c, Credit__V1__ChangeState state,
                              Credit__V1__ListChangesResponse **out, credit_status *st)
{
    Credit__V1__ListChangesRequest req = CREDIT__V1__LIST_CHANGES_REQUEST__INIT;
    req.state = state;
    return typed_call(c, GOVERNANCE("ListChanges"), &req.base,
                      &credit__v1__list_changes_response__descriptor, (void **)out, st);
}

int client_typed_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *type, void **out, credit_status *st)
{
    return typed_call(c, method, req, type, out, st);
}
