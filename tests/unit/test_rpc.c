/*
 * test_rpc.c — the RPC layer (server/transport/rpc.c) alone, over real mutual TLS.
 *
 * A test service (tests/proto/credit/test/v1/echo.proto) has one method per call shape and
 * methods that stall or fail on request. The server runs in this process with the layer's
 * own hooks replaced by test hooks that count finished calls and on_done callbacks; the
 * client side is the gRPC core itself.
 *
 * Environment (set by ctest): CREDIT_SOURCE_DIR (to make certificates), CREDIT_TEST_DESC
 * (the echo service's descriptor set).
 */
#include "credit/test/v1/echo.pb-c.h"
#include "rpc.h"
#include "testutil.h"
#include "tls.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[512];
static char tls_dir[600];
static unsigned char *desc;
static size_t desc_len;

/* What the hooks and handlers saw; guarded by mu. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int finished_calls;
static int last_code;
static int done_calls;
static int done_cancelled;
static int stalled; /* Stall calls that reached their handler */

/* --- The echo service ----------------------------------------------------------------------- */

static void note_reply(rpc_call *call, const char *text, int n, int finish)
{
    Credit__Test__V1__Note out = CREDIT__TEST__V1__NOTE__INIT;
    out.text = (char *)text;
    out.n = n;
    if (finish)
        rpc_reply(call, &out.base);
    else
        rpc_send(call, &out.base);
}

/* What protobuf-c packs as it is from a C string, and no client may receive: old stored data
 * that is not UTF-8. */
#define NOT_UTF8_REPLY "ok\xff\xfe \xe4\xb8"

static int unary_calls; /* Unary calls that reached their handler; under mu */

static void unary(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__Test__V1__Note *in = (const void *)msg;
    pthread_mutex_lock(&mu);
    unary_calls++;
    pthread_mutex_unlock(&mu);
    if (strcmp(in->text, "reply with bytes that are not UTF-8") == 0)
        note_reply(call, NOT_UTF8_REPLY, in->n, 1);
    else
        note_reply(call, in->text, in->n, 1);
}

static void expand(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__Test__V1__Note *in = (const void *)msg;
    for (int i = 0; i < in->n; i++)
        note_reply(call, in->text, i, 0);
    rpc_finish(call, RPC_OK, "%s", "");
}

typedef struct collected {
    char text[4096];
    int n;
} collected;

static void collect(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__Test__V1__Note *in = (const void *)msg;
    collected *c = rpc_call_data(call);
    if (!c) {
        c = calloc(1, sizeof *c);
        rpc_call_set_data(call, c);
    }
    size_t used = strlen(c->text);
    snprintf(c->text + used, sizeof c->text - used, "%s", in->text);
    c->n++;
}

static void collect_end(rpc_call *call)
{
    collected *c = rpc_call_data(call);
    note_reply(call, c ? c->text : "", c ? c->n : 0, 1);
}

static void chat(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__Test__V1__Note *in = (const void *)msg;
    note_reply(call, in->text, in->n, 0);
}

static void stall(rpc_call *call, const ProtobufCMessage *msg)
{
    (void)call;
    (void)msg; /* answers nothing: the deadline, a cancel or shutdown ends the call */
    pthread_mutex_lock(&mu);
    stalled++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void fail_as_asked(rpc_call *call, const ProtobufCMessage *msg)
{
    const Credit__Test__V1__Note *in = (const void *)msg;
    rpc_finish(call, in->n, "%s", in->text);
}

static void count_done(rpc_call *call, int cancelled)
{
    free(rpc_call_data(call));
    rpc_call_set_data(call, NULL);
    pthread_mutex_lock(&mu);
    done_calls++;
    done_cancelled += cancelled;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static const rpc_handler echo_handlers[] = {
    {.method = "Unary", .on_message = unary, .on_done = count_done},
    {.method = "Expand", .on_message = expand, .on_done = count_done},
    {.method = "Collect", .on_message = collect, .on_half_close = collect_end,
     .on_done = count_done},
    {.method = "Chat", .on_message = chat, .on_done = count_done},
    {.method = "Stall", .on_message = stall, .on_done = count_done},
    {.method = "Fail", .on_message = fail_as_asked, .on_done = count_done},
};

static const rpc_service echo_service = {
    .descriptor = &credit__test__v1__echo__descriptor,
    .handlers = echo_handlers,
    .n_handlers = sizeof echo_handlers / sizeof echo_handlers[0],
    .auth = RPC_AUTH_VERIFIED,
};

static int test_authenticate(void *app, const rpc_peer *peer, rpc_auth auth, const char *method,
                             void **principal, char *msg)
{
    (void)app;
    (void)auth;
    (void)method;
    (void)principal;
    if (strcmp(peer->identity, "urn:credit:unit:office") != 0) {
        snprintf(msg, 256, "only the office in these tests, not %.200s", peer->identity);
        return RPC_UNAUTHENTICATED;
    }
    return RPC_OK;
}

/* The authorize hook: counts the times it is asked, and refuses calls of `refused_method`. */
static int authorize_calls; /* under mu */
static const char *refused_method; /* set by a test before its calls */

static int test_authorize(void *app, rpc_call *call, char *msg)
{
    (void)app;
    pthread_mutex_lock(&mu);
    authorize_calls++;
    pthread_mutex_unlock(&mu);
    if (refused_method && strcmp(rpc_call_method(call), refused_method) == 0) {
        snprintf(msg, 256, "not %s", refused_method);
        return RPC_PERMISSION_DENIED;
    }
    return RPC_OK;
}

static void test_finished(void *app, rpc_call *call, int code, const char *message)
{
    (void)app;
    (void)call;
    (void)message;
    pthread_mutex_lock(&mu);
    finished_calls++;
    last_code = code;
    pthread_mutex_unlock(&mu);
}

/* --- Server and client plumbing -------------------------------------------------------------- */

typedef struct fixture {
    tls_state *tls;
    rpc_server *srv;
    int port;
    grpc_channel *ch;
} fixture;

static int group_setup(void **state)
{
    (void)state;
    const char *d = getenv("CREDIT_TEST_DESC");
    desc = d ? (unsigned char *)tu_read_file(d, &desc_len) : NULL;
    if (!desc) {
        fprintf(stderr, "CREDIT_TEST_DESC must name the echo descriptor set (ctest sets it)\n");
        return -1;
    }
    if (tu_mkdtemp(dir, sizeof dir, "credit-rpc") != 0 ||
        tu_join(tls_dir, sizeof tls_dir, dir, "tls") != 0)
        return -1;
    return tu_dev_certs(tls_dir);
}

static int group_teardown(void **state)
{
    (void)state;
    free(desc);
    return tu_rmrf(dir);
}

static grpc_channel *open_channel(int port, const char *unit)
{
    char path[700];
    snprintf(path, sizeof path, "%s/ca.crt", tls_dir);
    char *ca = tu_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/units/%s.crt", tls_dir, unit);
    char *cert = tu_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/units/%s.key", tls_dir, unit);
    char *key = tu_read_file(path, NULL);
    grpc_ssl_pem_key_cert_pair pair = {key, cert};
    grpc_channel_credentials *creds = grpc_ssl_credentials_create(ca, &pair, NULL, NULL);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    grpc_channel *ch = grpc_channel_create(target, creds, NULL);
    grpc_channel_credentials_release(creds);
    free(ca);
    free(cert);
    free(key);
    return ch;
}

static void start(fixture *f, int max_message_bytes)
{
    char err[512];
    memset(f, 0, sizeof *f);
    grpc_init();
    if (tls_open(tls_dir, &f->tls, err) != 0)
        fail_msg("tls_open: %s", err);
    rpc_hooks hooks = {.authenticate = test_authenticate,
                       .authorize = test_authorize,
                       .on_finished = test_finished};
    rpc_options o = {
        .listen = "127.0.0.1:0",
        .server_credentials = tls_server_credentials(f->tls, 5),
        .threads = 2,
        .max_message_bytes = max_message_bytes,
        .descriptor_set = desc,
        .descriptor_set_len = desc_len,
    };
    f->srv = rpc_server_create(&o, &hooks, err);
    assert_non_null(f->srv);
    if (rpc_server_add_service(f->srv, &echo_service, err) != 0)
        fail_msg("add_service: %s", err);
    f->port = rpc_server_start(f->srv, err);
    assert_true(f->port > 0);
    f->ch = open_channel(f->port, "office");
    pthread_mutex_lock(&mu);
    finished_calls = done_calls = done_cancelled = stalled = authorize_calls = 0;
    refused_method = NULL;
    last_code = -1;
    pthread_mutex_unlock(&mu);
}

static void stop(fixture *f, int grace_ms)
{
    grpc_channel_destroy(f->ch);
    rpc_server_shutdown(f->srv, grace_ms);
    rpc_server_destroy(f->srv);
    tls_close(f->tls);
    grpc_shutdown_blocking();
}

/* Waits up to 10 s until *counter reaches `want`; returns its value. */
static int wait_for(const int *counter, int want)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&mu);
    while (*counter < want) {
        if (pthread_cond_timedwait(&cv, &mu, &until) != 0)
            break;
    }
    int n = *counter;
    pthread_mutex_unlock(&mu);
    return n;
}

static int wait_done(int want)
{
    return wait_for(&done_calls, want);
}

/* A raw client call: start, then ops one batch at a time on a pluck queue. */
typedef struct raw_call {
    grpc_completion_queue *cq;
    grpc_call *call;
    grpc_metadata_array md;
    grpc_metadata_array trailing;
    grpc_status_code status;
    grpc_slice details;
    char message[512]; /* the status details, copied by raw_finish */
    int got_md; /* initial metadata received (the core wants it before any message) */
} raw_call;

static void raw_start(raw_call *r, grpc_channel *ch, const char *method, int deadline_ms)
{
    memset(r, 0, sizeof *r);
    r->cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_slice path = grpc_slice_from_copied_string(method);
    gpr_timespec dl = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                                   gpr_time_from_millis(deadline_ms, GPR_TIMESPAN));
    r->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, r->cq, path, NULL, dl,
                                       NULL);
    grpc_slice_unref(path);
    grpc_metadata_array_init(&r->md);
    grpc_metadata_array_init(&r->trailing);
    r->details = grpc_empty_slice();
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    char tag;
    assert_int_equal(grpc_call_start_batch(r->call, &op, 1, &tag, NULL), GRPC_CALL_OK);
    grpc_completion_queue_pluck(r->cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
}

static int raw_batch(raw_call *r, grpc_op *ops, size_t n)
{
    char tag;
    assert_int_equal(grpc_call_start_batch(r->call, ops, n, &tag, NULL), GRPC_CALL_OK);
    grpc_event ev = grpc_completion_queue_pluck(r->cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                                NULL);
    return ev.success;
}

static void raw_send(raw_call *r, const char *text, int n)
{
    Credit__Test__V1__Note note = CREDIT__TEST__V1__NOTE__INIT;
    note.text = (char *)text;
    note.n = n;
    size_t len = protobuf_c_message_get_packed_size(&note.base);
    grpc_slice s = grpc_slice_malloc(len);
    protobuf_c_message_pack(&note.base, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = bb;
    raw_batch(r, &op, 1);
    grpc_byte_buffer_destroy(bb);
}

static void raw_close_send(raw_call *r)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    raw_batch(r, &op, 1);
}

/* Adds RECV_INITIAL_METADATA to ops[0] the first time; returns how many ops it added. */
static size_t recv_md_once(raw_call *r, grpc_op *ops)
{
    if (r->got_md)
        return 0;
    ops[0].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[0].data.recv_initial_metadata.recv_initial_metadata = &r->md;
    r->got_md = 1;
    return 1;
}

/* The next message, or NULL at the end of the stream. Free with ..._free_unpacked. */
static Credit__Test__V1__Note *raw_recv(raw_call *r)
{
    grpc_byte_buffer *bb = NULL;
    grpc_op ops[2];
    size_t n_ops = 0;
    memset(ops, 0, sizeof ops);
    n_ops += recv_md_once(r, ops);
    ops[n_ops].op = GRPC_OP_RECV_MESSAGE;
    ops[n_ops].data.recv_message.recv_message = &bb;
    n_ops++;
    raw_batch(r, ops, n_ops);
    if (!bb)
        return NULL;
    grpc_byte_buffer_reader rd;
    grpc_byte_buffer_reader_init(&rd, bb);
    grpc_slice all = grpc_byte_buffer_reader_readall(&rd);
    grpc_byte_buffer_reader_destroy(&rd);
    Credit__Test__V1__Note *n = credit__test__v1__note__unpack(NULL, GRPC_SLICE_LENGTH(all),
                                                                GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    grpc_byte_buffer_destroy(bb);
    return n;
}

static int raw_finish(raw_call *r)
{
    grpc_op ops[2];
    size_t n_ops = 0;
    memset(ops, 0, sizeof ops);
    n_ops += recv_md_once(r, ops);
    ops[n_ops].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[n_ops].data.recv_status_on_client.trailing_metadata = &r->trailing;
    ops[n_ops].data.recv_status_on_client.status = &r->status;
    ops[n_ops].data.recv_status_on_client.status_details = &r->details;
    n_ops++;
    raw_batch(r, ops, n_ops);
    int code = (int)r->status;
    size_t dlen = GRPC_SLICE_LENGTH(r->details);
    if (dlen >= sizeof r->message)
        dlen = sizeof r->message - 1;
    memcpy(r->message, GRPC_SLICE_START_PTR(r->details), dlen);
    r->message[dlen] = '\0';
    grpc_slice_unref(r->details);
    grpc_metadata_array_destroy(&r->md);
    grpc_metadata_array_destroy(&r->trailing);
    grpc_call_unref(r->call);
    grpc_completion_queue_shutdown(r->cq);
    while (grpc_completion_queue_pluck(r->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
               .type != GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(r->cq);
    return code;
}

/* --- Tests ----------------------------------------------------------------------------------- */

static void test_unary_call_returns_the_reply_and_runs_on_done_once(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Unary", 10000);
    raw_send(&r, "hello", 7);
    raw_close_send(&r);
    Credit__Test__V1__Note *n = raw_recv(&r);
    assert_non_null(n);
    assert_string_equal(n->text, "hello");
    assert_int_equal(n->n, 7);
    credit__test__v1__note__free_unpacked(n, NULL);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_OK);
    assert_int_equal(wait_done(1), 1);
    assert_int_equal(done_cancelled, 0);
    assert_int_equal(last_code, RPC_OK);
    stop(&f, 1000);
}

static void test_server_stream_sends_every_message_in_order(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Expand", 10000);
    raw_send(&r, "x", 500);
    raw_close_send(&r);
    int got = 0;
    Credit__Test__V1__Note *n;
    while ((n = raw_recv(&r)) != NULL) {
        assert_int_equal(n->n, got);
        got++;
        credit__test__v1__note__free_unpacked(n, NULL);
    }
    assert_int_equal(got, 500);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_OK);
    stop(&f, 1000);
}

static void test_client_stream_is_read_to_half_close_then_answered(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Collect", 10000);
    raw_send(&r, "a", 0);
    raw_send(&r, "b", 0);
    raw_send(&r, "c", 0);
    raw_close_send(&r);
    Credit__Test__V1__Note *n = raw_recv(&r);
    assert_non_null(n);
    assert_string_equal(n->text, "abc");
    assert_int_equal(n->n, 3);
    credit__test__v1__note__free_unpacked(n, NULL);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_OK);
    assert_int_equal(wait_done(1), 1);
    stop(&f, 1000);
}

static void test_bidi_stream_answers_each_message_as_it_comes(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Chat", 10000);
    for (int i = 0; i < 20; i++) {
        char text[16];
        snprintf(text, sizeof text, "m%d", i);
        raw_send(&r, text, i);
        Credit__Test__V1__Note *n = raw_recv(&r);
        assert_non_null(n);
        assert_string_equal(n->text, text);
        credit__test__v1__note__free_unpacked(n, NULL);
    }
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    assert_int_equal(raw_finish(&r), GRPC_STATUS_OK);
    stop(&f, 1000);
}

static void test_deadline_ends_a_stalled_call_and_on_done_sees_cancellation(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Stall", 300);
    raw_send(&r, "", 0);
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    assert_int_equal(raw_finish(&r), GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_int_equal(wait_done(1), 1);
    assert_int_equal(done_cancelled, 1);
    stop(&f, 1000);
}

static void test_client_cancel_frees_the_call(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Chat", 10000);
    raw_send(&r, "one", 1);
    Credit__Test__V1__Note *n = raw_recv(&r);
    credit__test__v1__note__free_unpacked(n, NULL);
    grpc_call_cancel(r.call, NULL);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_CANCELLED);
    assert_int_equal(wait_done(1), 1);
    assert_int_equal(done_cancelled, 1);
    stop(&f, 1000);
}

static void test_shutdown_cancels_calls_still_open_after_the_grace_period(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Stall", 60000);
    raw_send(&r, "", 0);
    raw_close_send(&r);
    assert_int_equal(wait_for(&stalled, 1), 1);
    /* Shutdown runs on this thread, so the client's end is read after it returns. */
    grpc_channel *ch = f.ch;
    f.ch = open_channel(f.port, "office"); /* stop() destroys one channel */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    stop(&f, 200);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_true(b.tv_sec - a.tv_sec < 5);
    assert_int_equal(done_calls, 1);
    assert_int_equal(done_cancelled, 1);
    grpc_init();
    assert_null(raw_recv(&r));
    assert_int_not_equal(raw_finish(&r), GRPC_STATUS_OK);
    grpc_channel_destroy(ch);
    grpc_shutdown_blocking();
}

static void test_status_and_message_reach_the_client(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Fail", 10000);
    raw_send(&r, "field x: bad", RPC_INVALID_ARGUMENT);
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    int code = raw_finish(&r);
    assert_int_equal(code, GRPC_STATUS_INVALID_ARGUMENT);
    assert_int_equal(last_code, RPC_INVALID_ARGUMENT);
    stop(&f, 1000);
}

static void test_a_status_message_cut_inside_a_character_stays_utf8(void **state)
{
    (void)state;
    /* 200 three-byte characters: the status is cut at 511 bytes, inside the 171st. */
    char text[601];
    for (int i = 0; i < 200; i++)
        memcpy(text + 3 * i, "\xe9\x94\x99", 3); /* 错 */
    text[600] = '\0';
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Fail", 10000);
    raw_send(&r, text, RPC_FAILED_PRECONDITION);
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    assert_int_equal(raw_finish(&r), GRPC_STATUS_FAILED_PRECONDITION);
    assert_int_equal(strlen(r.message), 510);
    assert_memory_equal(r.message, text, 510);
    stop(&f, 1000);
}

static void test_malformed_request_is_invalid_argument(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Unary", 10000);
    unsigned char junk[] = {0xff, 0xff, 0xff, 0xff};
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)junk, sizeof junk);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = bb;
    raw_batch(&r, &op, 1);
    grpc_byte_buffer_destroy(bb);
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    assert_int_equal(raw_finish(&r), GRPC_STATUS_INVALID_ARGUMENT);
    stop(&f, 1000);
}

/* Sends raw bytes as one message. */
static void raw_send_bytes(raw_call *r, const void *bytes, size_t len)
{
    grpc_slice s = grpc_slice_from_copied_buffer(bytes, len);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = bb;
    raw_batch(r, &op, 1);
    grpc_byte_buffer_destroy(bb);
}

static void test_a_string_with_nul_or_bytes_not_utf8_never_reaches_the_handler(void **state)
{
    /* Note.text (field 1) holding "a\0b", then "ab\xff"; both are well-formed messages. */
    static const unsigned char nul[] = {0x0a, 3, 'a', 0, 'b'};
    static const unsigned char bad[] = {0x0a, 3, 'a', 'b', 0xff};
    static const struct {
        const unsigned char *bytes;
        size_t len;
        const char *status;
    } cases[] = {
        {nul, sizeof nul, "text: holds a NUL character (U+0000) at offset 1"},
        {bad, sizeof bad, "text: is not valid UTF-8 (byte 0xFF at offset 2)"},
    };
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    pthread_mutex_lock(&mu);
    unary_calls = 0;
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        raw_call r;
        raw_start(&r, f.ch, "/credit.test.v1.Echo/Unary", 10000);
        raw_send_bytes(&r, cases[i].bytes, cases[i].len);
        raw_close_send(&r);
        assert_null(raw_recv(&r));
        assert_int_equal(raw_finish(&r), GRPC_STATUS_INVALID_ARGUMENT);
        assert_string_equal(r.message, cases[i].status);
    }
    /* In a stream the status says which message it was. */
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Collect", 10000);
    raw_send(&r, "one", 1);
    raw_send_bytes(&r, nul, sizeof nul);
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    assert_int_equal(raw_finish(&r), GRPC_STATUS_INVALID_ARGUMENT);
    assert_string_equal(r.message,
                        "text: holds a NUL character (U+0000) at offset 1 (message 2 of the "
                        "stream)");
    pthread_mutex_lock(&mu);
    assert_int_equal(unary_calls, 0);
    pthread_mutex_unlock(&mu);
    stop(&f, 1000);
}

static void test_a_reply_string_that_is_not_utf8_goes_out_repaired(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Unary", 10000);
    raw_send(&r, "reply with bytes that are not UTF-8", 3);
    raw_close_send(&r);
    Credit__Test__V1__Note *n = raw_recv(&r);
    assert_non_null(n);
    /* Each byte that is no part of a character is '?'; the rest, and the length, stay. */
    assert_string_equal(n->text, "ok?? ??");
    assert_int_equal(strlen(n->text), strlen(NOT_UTF8_REPLY));
    assert_int_equal(n->n, 3);
    credit__test__v1__note__free_unpacked(n, NULL);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_OK);
    stop(&f, 1000);
}

static void test_oversize_message_is_refused_before_the_handler(void **state)
{
    (void)state;
    fixture f;
    start(&f, 1024);
    char big[4096];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Unary", 10000);
    raw_send(&r, big, 0);
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    assert_int_equal(raw_finish(&r), GRPC_STATUS_RESOURCE_EXHAUSTED);
    stop(&f, 1000);
}

static void test_unknown_method_and_refused_peer_get_precise_codes(void **state)
{
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Nope", 10000);
    raw_close_send(&r);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_UNIMPLEMENTED);

    grpc_channel *tax = open_channel(f.port, "tax");
    raw_start(&r, tax, "/credit.test.v1.Echo/Unary", 10000);
    raw_send(&r, "x", 0);
    raw_close_send(&r);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_UNAUTHENTICATED);
    grpc_channel_destroy(tax);
    stop(&f, 1000);
}

static int authorized_so_far(void)
{
    pthread_mutex_lock(&mu);
    int n = authorize_calls;
    pthread_mutex_unlock(&mu);
    return n;
}

static void test_authorize_is_asked_once_per_call_before_its_handler(void **state)
{
    static const unsigned char nul[] = {0x0a, 3, 'a', 0, 'b'};
    (void)state;
    fixture f;
    start(&f, 4 << 20);
    pthread_mutex_lock(&mu);
    unary_calls = 0;
    pthread_mutex_unlock(&mu);

    /* Allowed: once for a unary call, once for a whole stream. */
    raw_call r;
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Unary", 10000);
    raw_send(&r, "hello", 1);
    raw_close_send(&r);
    credit__test__v1__note__free_unpacked(raw_recv(&r), NULL);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_OK);
    assert_int_equal(authorized_so_far(), 1);
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Collect", 10000);
    raw_send(&r, "a", 0);
    raw_send(&r, "b", 0);
    raw_send(&r, "c", 0);
    raw_close_send(&r);
    credit__test__v1__note__free_unpacked(raw_recv(&r), NULL);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_OK);
    assert_int_equal(authorized_so_far(), 2);

    /* Refused: the status is the hook's, and the handler never runs. */
    refused_method = "/credit.test.v1.Echo/Unary";
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Unary", 10000);
    raw_send(&r, "hello", 1);
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    assert_int_equal(raw_finish(&r), GRPC_STATUS_PERMISSION_DENIED);
    assert_string_equal(r.message, "not /credit.test.v1.Echo/Unary");
    assert_int_equal(authorized_so_far(), 3);

    /* A request whose text is refused is refused as such, before the hook is asked. */
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Unary", 10000);
    raw_send_bytes(&r, nul, sizeof nul);
    raw_close_send(&r);
    assert_int_equal(raw_finish(&r), GRPC_STATUS_INVALID_ARGUMENT);
    assert_int_equal(authorized_so_far(), 3);
    pthread_mutex_lock(&mu);
    assert_int_equal(unary_calls, 1);
    pthread_mutex_unlock(&mu);

    /* A refused stream: at its first message, or at its end when it sent none. */
    refused_method = "/credit.test.v1.Echo/Collect";
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Collect", 10000);
    raw_send(&r, "a", 0);
    raw_send(&r, "b", 0);
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    assert_int_equal(raw_finish(&r), GRPC_STATUS_PERMISSION_DENIED);
    assert_int_equal(authorized_so_far(), 4);
    raw_start(&r, f.ch, "/credit.test.v1.Echo/Collect", 10000);
    raw_close_send(&r);
    assert_null(raw_recv(&r));
    assert_int_equal(raw_finish(&r), GRPC_STATUS_PERMISSION_DENIED);
    assert_string_equal(r.message, "not /credit.test.v1.Echo/Collect");
    assert_int_equal(authorized_so_far(), 5);
    stop(&f, 1000);
}

static void test_service_with_unknown_handler_name_is_rejected(void **state)
{
    (void)state;
    static const rpc_handler bad[] = {{.method = "NoSuchMethod", .on_message = unary}};
    static const rpc_service svc = {
        .descriptor = &credit__test__v1__echo__descriptor, .handlers = bad, .n_handlers = 1};
    char err[512];
    rpc_hooks hooks = {0};
    rpc_options o = {.listen = "127.0.0.1:0", .threads = 1, .max_message_bytes = 1024,
                     .descriptor_set = desc, .descriptor_set_len = desc_len};
    rpc_server *srv = rpc_server_create(&o, &hooks, err);
    assert_non_null(srv);
    assert_int_equal(rpc_server_add_service(srv, &svc, err), -1);
    assert_non_null(strstr(err, "NoSuchMethod"));
    rpc_server_destroy(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unary_call_returns_the_reply_and_runs_on_done_once),
        cmocka_unit_test(test_server_stream_sends_every_message_in_order),
        cmocka_unit_test(test_client_stream_is_read_to_half_close_then_answered),
        cmocka_unit_test(test_bidi_stream_answers_each_message_as_it_comes),
        cmocka_unit_test(test_deadline_ends_a_stalled_call_and_on_done_sees_cancellation),
        cmocka_unit_test(test_client_cancel_frees_the_call),
        cmocka_unit_test(test_shutdown_cancels_calls_still_open_after_the_grace_period),
        cmocka_unit_test(test_status_and_message_reach_the_client),
        cmocka_unit_test(test_a_status_message_cut_inside_a_character_stays_utf8),
        cmocka_unit_test(test_malformed_request_is_invalid_argument),
        cmocka_unit_test(test_a_string_with_nul_or_bytes_not_utf8_never_reaches_the_handler),
        cmocka_unit_test(test_a_reply_string_that_is_not_utf8_goes_out_repaired),
        cmocka_unit_test(test_oversize_message_is_refused_before_the_handler),
        cmocka_unit_test(test_unknown_method_and_refused_peer_get_precise_codes),
        cmocka_unit_test(test_authorize_is_asked_once_per_call_before_its_handler),
        cmocka_unit_test(test_service_with_unknown_handler_name_is_rejected),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
