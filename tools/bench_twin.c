/*
 * bench_twin.c — credit-bench's twin: the node's RPC layer, TLS and store, and no node.
 *
 * See bench_twin.h for what each method does. The settings that shape the transport are the
 * node's defaults (creditd's config table in server/main.c): 4 MiB messages, 100 streams a
 * connection, a 256 MiB memory quota. The store is opened as the node opens it
 * (store_options_init, sync as given), so a write costs what the node's write costs.
 *
 * Keys of stored records are 32 bytes from a counter run through splitmix64, so that they
 * spread over the key space as the node's random record ids do, without drawing randomness.
 * Values are the decoded record packed again: the RPC layer hands handlers decoded messages,
 * and a store takes bytes.
 */
#include "bench_twin.h"

#include "credit/v1/record.pb-c.h"
#include "credit/v1/sharing.pb-c.h"
#include "credit/v1/unit.pb-c.h"
#include "rpc.h"
#include "store.h"
#include "tls.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char credit_descriptor_set[];
extern const size_t credit_descriptor_set_len;

struct bench_twin {
    tls_state *tls;
    store *st;
    rpc_server *srv;
    atomic_uint_fast64_t next_key;
    /* canned replies (borrowed, bench_twin_set_replies) */
    const ProtobufCMessage *whoami;
    const ProtobufCMessage *const *pages;
    size_t n_pages;
    const Credit__V1__PushResult *result; /* template of every PushResult */
};

/* The twin of the call (the hooks' app object). */
static bench_twin *twin_of(rpc_call *call)
{
    return rpc_call_app(call);
}

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Puts one record into `b` under a fresh key. Returns 0, or -1 when out of memory. */
static int put_record(bench_twin *t, store_batch *b, const ProtobufCMessage *rec)
{
    unsigned char key[32];
    uint64_t n = atomic_fetch_add(&t->next_key, 1);
    for (int k = 0; k < 4; k++) {
        uint64_t v = mix(n * 4 + (uint64_t)k);
        memcpy(key + 8 * k, &v, 8);
    }
    size_t len = protobuf_c_message_get_packed_size(rec);
    uint8_t small[4096];
    uint8_t *buf = len <= sizeof small ? small : malloc(len);
    if (!buf)
        return -1;
    protobuf_c_message_pack(rec, buf);
    store_batch_put(b, STORE_CF_RECORDS, key, sizeof key, buf, len);
    if (buf != small)
        free(buf);
    return 0;
}

/* Replies a PushBatchResponse of n results shaped like the node's (the template result with
 * each record's index), accepted n. */
static void reply_accepted(rpc_call *call, size_t n)
{
    bench_twin *t = twin_of(call);
    Credit__V1__PushBatchResponse resp = CREDIT__V1__PUSH_BATCH_RESPONSE__INIT;
    Credit__V1__PushResult *res = n ? malloc(n * sizeof *res) : NULL;
    Credit__V1__PushResult **ptrs = n ? malloc(n * sizeof *ptrs) : NULL;
    if (n && (!res || !ptrs)) {
        free(res);
        free(ptrs);
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (t->result)
            res[i] = *t->result;
        else
            credit__v1__push_result__init(&res[i]);
        res[i].index = (int32_t)i;
        ptrs[i] = &res[i];
    }
    resp.results = ptrs;
    resp.n_results = n;
    resp.accepted = (uint32_t)n;
    rpc_reply(call, &resp.base);
    free(ptrs);
    free(res);
}

/* Writes `b` (fsynced when the store syncs). Finishes the call and returns -1 on failure. */
static int write_batch(rpc_call *call, store_batch *b)
{
    char err[STORE_ERR_LEN];
    if (store_write(twin_of(call)->st, b, err) != 0) {
        rpc_finish(call, RPC_UNAVAILABLE, "store: %s", err);
        return -1;
    }
    store_batch_clear(b);
    return 0;
}

/* --- UnitRegistry and OpenQuery: canned replies ------------------------------------------ */

static void whoami(rpc_call *call, const ProtobufCMessage *req)
{
    (void)req;
    bench_twin *t = twin_of(call);
    if (t->whoami)
        rpc_reply(call, t->whoami);
    else
        rpc_finish(call, RPC_UNAVAILABLE, "the twin has no canned WhoAmI reply");
}

/* FNV-1a: which canned page a subject gets. */
static size_t page_of(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (; s && *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h % n;
}

static void list_records(rpc_call *call, const ProtobufCMessage *msg)
{
    bench_twin *t = twin_of(call);
    const Credit__V1__ListRecordsRequest *req = (const Credit__V1__ListRecordsRequest *)msg;
    if (!t->n_pages) {
        rpc_finish(call, RPC_UNAVAILABLE, "the twin has no canned pages");
        return;
    }
    const char *id = req->subject ? req->subject->identifier : "";
    rpc_reply(call, t->pages[page_of(id, t->n_pages)]);
}

static const rpc_handler registry_handlers[] = {{.method = "WhoAmI", .on_message = whoami}};
static const rpc_handler query_handlers[] = {{.method = "ListRecords", .on_message = list_records}};

/* --- PublicCreditCollection: decode and put ---------------------------------------------- */

static void push_batch(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__V1__PushBatchRequest *req = (const Credit__V1__PushBatchRequest *)msg;
    store_batch *b = store_batch_create();
    if (!b) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    for (size_t i = 0; i < req->n_records; i++)
        if (put_record(twin_of(call), b, &req->records[i]->base) != 0) {
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
            goto out;
        }
    if (write_batch(call, b) == 0)
        reply_accepted(call, req->n_records);
out:
    store_batch_destroy(b);
}

/* A Push stream's state: the batch being filled and the records seen. */
typedef struct twin_stream {
    store_batch *b;
    size_t n;
} twin_stream;

static void push_message(rpc_call *call, const ProtobufCMessage *msg)
{
    twin_stream *s = rpc_call_data(call);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || !(s->b = store_batch_create())) {
            free(s);
            rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
            return;
        }
        rpc_call_set_data(call, s);
    }
    if (put_record(twin_of(call), s->b, msg) != 0) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    s->n++;
    if (store_batch_count(s->b) == TWIN_GROUP)
        write_batch(call, s->b);
}

static void push_end(rpc_call *call)
{
    twin_stream *s = rpc_call_data(call);
    if (!s) {
        rpc_finish(call, RPC_INVALID_ARGUMENT, "records: the stream held no record");
        return;
    }
    if (rpc_call_is_finished(call))
        return;
    if (store_batch_count(s->b) == 0 || write_batch(call, s->b) == 0)
        reply_accepted(call, s->n);
}

static void push_done(rpc_call *call, int cancelled)
{
    (void)cancelled;
    twin_stream *s = rpc_call_data(call);
    if (!s)
        return;
    store_batch_destroy(s->b);
    free(s);
    rpc_call_set_data(call, NULL);
}

static const rpc_handler collection_handlers[] = {
    {.method = "PushBatch", .on_message = push_batch},
    {.method = "Push", .on_message = push_message, .on_half_close = push_end, .on_done = push_done},
};

#define TWIN_SERVICE(name, desc, table)                                                            \
    static const rpc_service name = {                                                              \
        .descriptor = &(desc),                                                                     \
        .handlers = (table),                                                                       \
        .n_handlers = sizeof(table) / sizeof((table)[0]),                                          \
        .auth = RPC_AUTH_VERIFIED,                                                                 \
    }
TWIN_SERVICE(twin_registry, credit__v1__unit_registry__descriptor, registry_handlers);
TWIN_SERVICE(twin_query, credit__v1__open_query__descriptor, query_handlers);
TWIN_SERVICE(twin_collection, credit__v1__public_credit_collection__descriptor,
             collection_handlers);

/* --- Life ---------------------------------------------------------------------------------- */

int bench_twin_start(const char *tls_dir, const char *store_dir, int threads, int sync,
                     bench_twin **out, char *err)
{
    char e[512];
    bench_twin *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, 512, "out of memory");
        return -1;
    }
    atomic_init(&t->next_key, 1);
    if (tls_open(tls_dir, &t->tls, e) != 0) {
        snprintf(err, 512, "tls: %.500s", e);
        goto fail;
    }
    store_options so;
    store_options_init(&so);
    so.sync = sync;
    if (store_open(store_dir, &so, &t->st, e) != 0) {
        snprintf(err, 512, "store %.200s: %.290s", store_dir, e);
        goto fail;
    }
    rpc_options ro = {
        .listen = "127.0.0.1:0",
        .server_credentials = tls_server_credentials(t->tls, 3600),
        .threads = threads,
        .max_message_bytes = 4194304,
        .max_streams = 100,
        .max_header_bytes = 16384,
        .handshake_timeout_ms = 5000,
        .max_connection_idle_ms = 300000,
        .max_connection_age_ms = 3600000,
        .min_ping_interval_ms = 10000,
        .max_memory_bytes = (size_t)256 << 20,
        .descriptor_set = credit_descriptor_set,
        .descriptor_set_len = credit_descriptor_set_len,
    };
    if (!ro.server_credentials) {
        snprintf(err, 512, "tls: cannot create server credentials from %.400s", tls_dir);
        goto fail;
    }
    rpc_hooks hooks = {.app = t};
    if (!(t->srv = rpc_server_create(&ro, &hooks, e))) {
        snprintf(err, 512, "%.500s", e);
        goto fail;
    }
    const rpc_service *svcs[] = {&twin_registry, &twin_query, &twin_collection};
    for (size_t i = 0; i < sizeof svcs / sizeof svcs[0]; i++)
        if (rpc_server_add_service(t->srv, svcs[i], e) != 0) {
            snprintf(err, 512, "%.500s", e);
            goto fail;
        }
    int port = rpc_server_start(t->srv, e);
    if (port < 0) {
        snprintf(err, 512, "%.500s", e);
        goto fail;
    }
    *out = t;
    return port;
fail:
    bench_twin_stop(t);
    return -1;
}

void bench_twin_set_replies(bench_twin *t, const ProtobufCMessage *whoami,
                            const ProtobufCMessage *const *pages, size_t n_pages,
                            const ProtobufCMessage *push_reply)
{
    const Credit__V1__PushBatchResponse *pr = (const Credit__V1__PushBatchResponse *)push_reply;
    t->whoami = whoami;
    t->pages = pages;
    t->n_pages = n_pages;
    t->result = pr && pr->n_results ? pr->results[0] : NULL;
}

void bench_twin_stop(bench_twin *t)
{
    if (!t)
        return;
    if (t->srv) {
        rpc_server_shutdown(t->srv, 1000);
        rpc_server_destroy(t->srv);
    }
    store_close(t->st);
    tls_close(t->tls);
    free(t);
}
