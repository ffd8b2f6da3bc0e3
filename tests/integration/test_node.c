/*
 * test_node.c — the real creditd, driven through libcreditclient.
 *
 * Each test starts creditd (path in $CREDITD) on 127.0.0.1:0 with certificates made by
 * certs/make-dev-certs.sh into a fresh temporary directory, talks to it over mutual TLS and
 * stops it by its process id. Stopping checks the exit status: 0 after SIGTERM, so a leak
 * report from a sanitizer build fails the test that caused it.
 */
#include <credit/client.h>

#include "audit.h"
#include "it_node.h"
#include "store.h"
#include "../unit/testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK_CALL(expr, st)                                                                    \
    do {                                                                                      \
        int rc_ = (expr);                                                                     \
        if (rc_ != 0)                                                                         \
            fail_msg("%s:%d: %s -> %d %s: %s", __FILE__, __LINE__, #expr, rc_,               \
                     credit_code_name((st).code), (st).message);                              \
    } while (0)

static char certs_dir[512]; /* made once for the whole file */
static char tls_dir[600];

static int group_setup(void **state)
{
    (void)state;
    if (!getenv("CREDITD")) {
        fprintf(stderr, "CREDITD must be set (ctest sets it)\n");
        return -1;
    }
    if (tu_mkdtemp(certs_dir, sizeof certs_dir, "credit-it") != 0 ||
        tu_join(tls_dir, sizeof tls_dir, certs_dir, "tls") != 0)
        return -1;
    return tu_dev_certs(tls_dir);
}

static int group_teardown(void **state)
{
    (void)state;
    return tu_rmrf(certs_dir);
}

/* Starts creditd on `data` (a directory under certs_dir) with extra flags (NULL-terminated).
 * Waits for its `listening on` line. */
static void node_start(it_node *n, const char *data, ...)
{
    const char *extra[24];
    size_t k = 0;
    va_list ap;
    va_start(ap, data);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && k < sizeof extra / sizeof extra[0] - 1)
        extra[k++] = a;
    va_end(ap);
    extra[k] = NULL;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", certs_dir, data);
    it_node_start(n, dir, tls_dir, extra, NULL);
}

static void test_whoami_names_the_unit_of_the_certificate(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "whoami", NULL);
    credit_client *c = it_client(&n, tls_dir, "units/tax");
    credit_status st;
    Credit__V1__WhoAmIResponse *me = NULL;
    CHECK_CALL(credit_client_whoami(c, &me, &st), st);
    assert_string_equal(me->unit->code, "tax");
    assert_int_equal(me->unit->kind, CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT);
    assert_string_equal(me->identity, "urn:credit:unit:tax");
    assert_non_null(strstr(me->cert_subject, "CN=tax"));
    credit__v1__who_am_iresponse__free_unpacked(me, NULL);
    credit_client_destroy(c);
    assert_int_equal(it_node_stop(&n), 0);
}

static void test_health_answers_for_node_and_services_and_not_found_otherwise(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "health", NULL);
    credit_client *c = it_client(&n, tls_dir, "units/bank-a");
    credit_status st;
    int serving = -1;
    CHECK_CALL(credit_client_health_check(c, "", &serving, &st), st);
    assert_int_equal(serving, 1);
    CHECK_CALL(credit_client_health_check(c, "credit.v1.UnitRegistry", &serving, &st), st);
    assert_int_equal(serving, 1);
    assert_int_equal(credit_client_health_check(c, "no.such.Service", &serving, &st), CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_NOT_FOUND);
    credit_client_destroy(c);
    assert_int_equal(it_node_stop(&n), 0);
}

static void test_unknown_unit_passes_health_but_not_the_registry(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "unknown", NULL);
    credit_client *c = it_client(&n, tls_dir, "bad/unknown");
    credit_status st;
    int serving = 0;
    CHECK_CALL(credit_client_health_check(c, "", &serving, &st), st);
    Credit__V1__WhoAmIResponse *me = NULL;
    assert_int_equal(credit_client_whoami(c, &me, &st), CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_UNAUTHENTICATED);
    assert_non_null(strstr(st.message, "urn:credit:unit:nobody-registered"));
    assert_null(me);
    credit_client_destroy(c);
    assert_int_equal(it_node_stop(&n), 0);
}

static void test_revoked_certificate_is_refused_in_the_handshake(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "revoked", NULL);
    credit_client *c = it_client(&n, tls_dir, "bad/revoked");
    credit_status st;
    int serving = 0;
    assert_int_equal(credit_client_health_check(c, "", &serving, &st), CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_UNAVAILABLE);
    credit_client_destroy(c);
    assert_int_equal(it_node_stop(&n), 0);
}

static void test_only_the_office_registers_units(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "register", NULL);
    credit_client *office = it_client(&n, tls_dir, "units/office");
    credit_client *tax = it_client(&n, tls_dir, "units/tax");
    credit_status st;
    Credit__V1__Unit *u = NULL;
    assert_int_equal(credit_client_unit_register(tax, "coop-1", "Coop",
                                                 CREDIT__V1__UNIT_KIND__UNIT_KIND_FINANCE, NULL, &u,
                                                 &st),
                     CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_PERMISSION_DENIED);
    assert_non_null(strstr(st.message, "UNIT_KIND_OFFICE"));
    assert_int_equal(credit_client_unit_get(office, "coop-1", &u, &st), CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_NOT_FOUND);

    CHECK_CALL(credit_client_unit_register(office, "coop-1", "Coop",
                                           CREDIT__V1__UNIT_KIND__UNIT_KIND_FINANCE,
                                           "91230500MA1B3N1N2M", &u, &st),
               st);
    assert_string_equal(u->code, "coop-1");
    assert_string_equal(u->updated_by, "office");
    credit__v1__unit__free_unpacked(u, NULL);
    assert_int_equal(credit_client_unit_register(office, "coop-1", "Coop",
                                                 CREDIT__V1__UNIT_KIND__UNIT_KIND_FINANCE, NULL,
                                                 NULL, &st),
                     CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_ALREADY_EXISTS);
    assert_int_equal(credit_client_unit_register(office, "coop-2", "Coop",
                                                 CREDIT__V1__UNIT_KIND__UNIT_KIND_FINANCE,
                                                 "91230500MA1B3N1N2X", NULL, &st),
                     CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "uscc"));
    credit_client_destroy(tax);
    credit_client_destroy(office);
    assert_int_equal(it_node_stop(&n), 0);
}

static void test_suspended_unit_is_denied_until_reinstated(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "suspend", NULL);
    credit_client *office = it_client(&n, tls_dir, "units/office");
    credit_client *court = it_client(&n, tls_dir, "units/court");
    credit_status st;
    Credit__V1__WhoAmIResponse *me = NULL;
    CHECK_CALL(credit_client_unit_suspend(office, "court", "audit finding 7", NULL, &st), st);
    assert_int_equal(credit_client_whoami(court, &me, &st), CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_PERMISSION_DENIED);
    assert_non_null(strstr(st.message, "suspended"));
    assert_int_equal(credit_client_unit_suspend(office, "court", "again", NULL, &st), CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_FAILED_PRECONDITION);
    CHECK_CALL(credit_client_unit_reinstate(office, "court", "finding closed", NULL, &st), st);
    CHECK_CALL(credit_client_whoami(court, &me, &st), st);
    credit__v1__who_am_iresponse__free_unpacked(me, NULL);
    credit_client_destroy(court);
    credit_client_destroy(office);
    assert_int_equal(it_node_stop(&n), 0);
}

static void test_acknowledged_registration_survives_kill9(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "kill9", NULL);
    credit_client *office = it_client(&n, tls_dir, "units/office");
    credit_status st;
    char code[32];
    for (int i = 0; i < 20; i++) {
        snprintf(code, sizeof code, "k9-%d", i);
        CHECK_CALL(credit_client_unit_register(office, code, "Durable",
                                               CREDIT__V1__UNIT_KIND__UNIT_KIND_PORTAL, NULL, NULL,
                                               &st),
                   st);
    }
    credit_client_destroy(office);
    it_node_kill9(&n);

    node_start(&n, "kill9", NULL);
    office = it_client(&n, tls_dir, "units/office");
    for (int i = 0; i < 20; i++) {
        Credit__V1__Unit *u = NULL;
        snprintf(code, sizeof code, "k9-%d", i);
        CHECK_CALL(credit_client_unit_get(office, code, &u, &st), st);
        credit__v1__unit__free_unpacked(u, NULL);
    }
    Credit__V1__ListUnitsResponse *page = NULL;
    CHECK_CALL(credit_client_unit_list(office, 0, 1000, NULL, &page, &st), st);
    assert_int_equal(page->n_units, 12 + 20); /* seeded once, not again after the restart */
    credit__v1__list_units_response__free_unpacked(page, NULL);
    credit_client_destroy(office);
    assert_int_equal(it_node_stop(&n), 0);
}

typedef struct hammer {
    credit_client *c;
    int calls;
    int failures;
} hammer;

static void *hammer_whoami(void *arg)
{
    hammer *h = arg;
    for (int i = 0; i < h->calls; i++) {
        Credit__V1__WhoAmIResponse *me = NULL;
        credit_status st;
        if (credit_client_whoami(h->c, &me, &st) != CREDIT_OK || strcmp(me->unit->code, "city"))
            __atomic_add_fetch(&h->failures, 1, __ATOMIC_RELAXED);
        if (me)
            credit__v1__who_am_iresponse__free_unpacked(me, NULL);
    }
    return NULL;
}

static void test_one_client_serves_many_threads_and_every_call_is_audited(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "threads", "--threads", "4", NULL);
    credit_client *c = it_client(&n, tls_dir, "units/city");
    enum { THREADS = 8, CALLS = 50 };
    hammer h = {c, CALLS, 0};
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer_whoami, &h), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(h.failures, 0);
    credit_client_destroy(c);
    assert_int_equal(it_node_stop(&n), 0);

    /* The node is stopped: its store can be opened and the audit chain checked. */
    store *st = NULL;
    store_options so;
    store_options_init(&so);
    so.create_if_missing = 0;
    char err[STORE_ERR_LEN];
    assert_int_equal(store_open(n.data, &so, &st, err), 0);
    uint64_t count = 0, bad = 0;
    if (audit_verify(st, &count, &bad, err) != 0)
        fail_msg("audit chain broken at %llu: %s", (unsigned long long)bad, err);
    assert_true(count >= THREADS * CALLS);
    store_close(st);
}

static void test_unknown_method_is_unimplemented_at_once(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "unimpl", NULL);
    credit_client *c = it_client(&n, tls_dir, "units/portal");
    credit_status st;
    Credit__V1__WhoAmIRequest req = CREDIT__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(credit_client_call(c, "/credit.v1.Nothing/Here", &req.base,
                                        &credit__v1__who_am_iresponse__descriptor, &resp, 10000,
                                        &st),
                     CREDIT_ERPC);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(st.code, CREDIT_CODE_UNIMPLEMENTED);
    assert_true(b.tv_sec - a.tv_sec < 5); /* not the 10 s deadline */
    credit_client_destroy(c);
    assert_int_equal(it_node_stop(&n), 0);
}

static void test_oversize_request_is_resource_exhausted_and_changes_nothing(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "oversize", "--max-message-bytes", "1024", NULL);
    credit_client *office = it_client(&n, tls_dir, "units/office");
    credit_status st;
    char name[4096];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    assert_int_equal(credit_client_unit_register(office, "big", name,
                                                 CREDIT__V1__UNIT_KIND__UNIT_KIND_PORTAL, NULL,
                                                 NULL, &st),
                     CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_RESOURCE_EXHAUSTED);
    Credit__V1__Unit *u = NULL;
    assert_int_equal(credit_client_unit_get(office, "big", &u, &st), CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_NOT_FOUND);
    credit_client_destroy(office);
    assert_int_equal(it_node_stop(&n), 0);
}

static Credit__V1__Date date_of(int y, int m, int d)
{
    Credit__V1__Date x = CREDIT__V1__DATE__INIT;
    x.year = y;
    x.month = m;
    x.day = d;
    return x;
}

/* A valid SEVERITY_GENERAL penalty against a legal person, decided a month ago (so still public
 * whenever the test runs), with its parts kept together. */
typedef struct penalty_input {
    Credit__V1__Subject subj;
    Credit__V1__Date decided;
    Credit__V1__Penalty pen;
    Google__Protobuf__Timestamp occurred;
    Credit__V1__PublicRecordInput in;
    char source_id[32];
} penalty_input;

static void penalty_input_init(penalty_input *p, const char *source_id)
{
    credit__v1__subject__init(&p->subj);
    p->subj.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    p->subj.name = "Acme Trading Ltd";
    p->subj.identifier = "91230500MA1B3N1N2M";
    p->subj.legal_representative = "Zhang San";
    p->subj.legal_representative_id_type = CREDIT__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
    p->subj.legal_representative_id_number = "500120199310080297";
    time_t month_ago = time(NULL) - 30 * 86400;
    struct tm tm;
    gmtime_r(&month_ago, &tm);
    p->decided = date_of(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    credit__v1__penalty__init(&p->pen);
    p->pen.decision_document_number = "BS-2025-17";
    p->pen.violation_type = "false labelling";
    p->pen.violation_facts = "labels overstated the content";
    p->pen.legal_basis = "Product Quality Law art. 27";
    p->pen.content = "fine";
    p->pen.fine_amount_fen = 500000;
    p->pen.decision_date = &p->decided;
    p->pen.authority = "District market regulation bureau";
    p->pen.authority_uscc = "11500227MB1607285C";
    p->pen.severity = CREDIT__V1__SEVERITY__SEVERITY_GENERAL;
    google__protobuf__timestamp__init(&p->occurred);
    p->occurred.seconds = month_ago;
    credit__v1__public_record_input__init(&p->in);
    snprintf(p->source_id, sizeof p->source_id, "%s", source_id);
    p->in.source_record_id = p->source_id;
    p->in.category = CREDIT__V1__CATEGORY__CATEGORY_PENALTY;
    p->in.subject = &p->subj;
    p->in.occurred_at = &p->occurred;
    p->in.body_case = CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_PENALTY;
    p->in.penalty = &p->pen;
}

static void test_pushed_penalty_is_shared_by_tier_through_the_client_library(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "records", NULL);
    credit_client *market = it_client(&n, tls_dir, "units/market");
    credit_client *bank = it_client(&n, tls_dir, "units/bank-a");
    credit_status st;
    penalty_input pi;
    penalty_input_init(&pi, "it-pen-1");
    ProtobufCMessage *ins[] = {&pi.in.base};

    Credit__V1__PushBatchResponse *pushed = NULL;
    CHECK_CALL(credit_client_record_push(market, CREDIT_CATALOGUE_PUBLIC, ins, 1, &pushed, &st),
               st);
    assert_int_equal(pushed->n_results, 1);
    assert_int_equal(pushed->results[0]->outcome, CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED);
    char rid[64];
    snprintf(rid, sizeof rid, "%s", pushed->results[0]->record_id);
    credit__v1__push_batch_response__free_unpacked(pushed, NULL);

    credit_record_filter list;
    credit_record_filter_init(&list);
    list.subject_kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    list.subject_identifier = "91230500MA1B3N1N2M";
    Credit__V1__ListRecordsResponse *open = NULL;
    CHECK_CALL(credit_client_record_list(bank, CREDIT_TIER_OPEN, &list, &open, &st), st);
    assert_int_equal(open->n_records, 1);
    assert_string_equal(open->records[0]->meta->record_id, rid);
    assert_string_equal(open->records[0]->meta->subject->legal_representative_id_number, "");
    assert_string_equal(open->records[0]->meta->source_unit, "market");
    credit__v1__list_records_response__free_unpacked(open, NULL);

    Credit__V1__GetRecordResponse *gov = NULL;
    assert_int_equal(credit_client_record_get(bank, CREDIT_TIER_GOVERNMENT, rid, &gov, &st),
                     CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_PERMISSION_DENIED);
    CHECK_CALL(credit_client_record_get(market, CREDIT_TIER_GOVERNMENT, rid, &gov, &st), st);
    assert_string_equal(gov->record->meta->subject->legal_representative_id_number,
                        "500120199310080297");
    assert_int_equal(gov->n_history, 0);
    credit__v1__get_record_response__free_unpacked(gov, NULL);

    Credit__V1__PushResult *w = NULL;
    CHECK_CALL(credit_client_record_withdraw(market, CREDIT_CATALOGUE_PUBLIC, rid,
                                             "entered against the wrong subject", &w, &st),
               st);
    assert_int_equal(w->version, 2);
    credit__v1__push_result__free_unpacked(w, NULL);
    assert_int_equal(credit_client_record_get(bank, CREDIT_TIER_OPEN, rid, &gov, &st), CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_NOT_FOUND);

    /* Only the source unit's Reinstate brings it back. */
    assert_int_equal(
        credit_client_record_reinstate(bank, CREDIT_CATALOGUE_PUBLIC, rid, "mine?", &w, &st),
        CREDIT_ERPC);
    assert_int_equal(st.code, CREDIT_CODE_PERMISSION_DENIED);
    CHECK_CALL(credit_client_record_reinstate(market, CREDIT_CATALOGUE_PUBLIC, rid,
                                              "withdrawn in error", &w, &st),
               st);
    assert_int_equal(w->version, 3);
    assert_false(w->status->withdrawn);
    credit__v1__push_result__free_unpacked(w, NULL);
    CHECK_CALL(credit_client_record_get(bank, CREDIT_TIER_OPEN, rid, &gov, &st), st);
    credit__v1__get_record_response__free_unpacked(gov, NULL);

    /* The history in pages of one version: 1, then 2, then no further token. */
    Credit__V1__GetRecordRequest hreq = CREDIT__V1__GET_RECORD_REQUEST__INIT;
    hreq.record_id = rid;
    hreq.history_page_size = 1;
    CHECK_CALL(credit_client_record_get_page(market, CREDIT_TIER_GOVERNMENT, &hreq, &gov, &st), st);
    assert_int_equal(gov->versions, 3);
    assert_int_equal(gov->n_history, 1);
    assert_int_equal(gov->history[0]->meta->version, 1);
    char token[256];
    snprintf(token, sizeof token, "%s", gov->next_history_page_token);
    credit__v1__get_record_response__free_unpacked(gov, NULL);
    assert_true(token[0] != '\0');
    hreq.history_page_token = token;
    CHECK_CALL(credit_client_record_get_page(market, CREDIT_TIER_GOVERNMENT, &hreq, &gov, &st), st);
    assert_int_equal(gov->n_history, 1);
    assert_int_equal(gov->history[0]->meta->version, 2);
    assert_string_equal(gov->next_history_page_token, "");
    credit__v1__get_record_response__free_unpacked(gov, NULL);

    credit_client_destroy(bank);
    credit_client_destroy(market);
    assert_int_equal(it_node_stop(&n), 0);
}

/* Adds a record (source id `src`) to pusher `p`, destroys p unfinished, and checks that it
 * stored nothing: the same record pushed afterwards is new. */
static void give_up_and_find_nothing_stored(credit_client *c, credit_pusher *p, const char *src)
{
    credit_status st;
    penalty_input pi;
    penalty_input_init(&pi, src);
    CHECK_CALL(credit_pusher_add(p, &pi.in.base, &st), st);
    credit_pusher_destroy(p);
    ProtobufCMessage *one[] = {&pi.in.base};
    Credit__V1__PushBatchResponse *res = NULL;
    CHECK_CALL(credit_client_record_push(c, CREDIT_CATALOGUE_PUBLIC, one, 1, &res, &st), st);
    assert_int_equal(res->results[0]->outcome, CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED);
    credit__v1__push_batch_response__free_unpacked(res, NULL);
}

static void test_streaming_pusher_sends_records_one_by_one_and_gets_every_result(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "pusher", NULL);
    credit_client *market = it_client(&n, tls_dir, "units/market");
    credit_status st;
    enum { RECORDS = 300 };
    credit_pusher *p = NULL;
    CHECK_CALL(credit_pusher_create(market, CREDIT_CATALOGUE_PUBLIC, 60000, &p, &st), st);
    for (int i = 0; i < RECORDS; i++) {
        char src[32];
        penalty_input pi;
        snprintf(src, sizeof src, "stream-%d", i);
        penalty_input_init(&pi, src);
        CHECK_CALL(credit_pusher_add(p, &pi.in.base, &st), st);
    }
    Credit__V1__PushBatchResponse *res = NULL;
    CHECK_CALL(credit_pusher_finish(p, &res, &st), st);
    assert_int_equal(res->n_results, RECORDS);
    assert_int_equal(res->accepted, RECORDS);
    for (int i = 0; i < RECORDS; i++) {
        assert_int_equal(res->results[i]->index, i);
        assert_int_equal(res->results[i]->outcome, CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED);
    }
    credit__v1__push_batch_response__free_unpacked(res, NULL);
    assert_int_equal(credit_pusher_finish(p, &res, &st), CREDIT_EINVAL); /* only once */
    credit_pusher_destroy(p);

    /* A pusher given up half-way is cancelled and freed cleanly, and stored nothing. */
    CHECK_CALL(credit_pusher_create(market, CREDIT_CATALOGUE_PUBLIC, 60000, &p, &st), st);
    give_up_and_find_nothing_stored(market, p, "stream-abandoned");

    credit_client_destroy(market);
    assert_int_equal(it_node_stop(&n), 0);
}

/* A batched pusher (PushBatches) gathers its records into messages of per_message: the results
 * still index the records in the order they were added, across messages (here 30 records in
 * messages of 7, the last one short, a bad record in the middle of the second); a pusher given
 * up with records gathered but not sent stores nothing; per_message outside 1 to
 * CREDIT_PUSH_MESSAGE_MAX is refused before anything is sent. */
static void test_batched_pusher_indexes_results_across_its_messages(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "batched", NULL);
    credit_client *market = it_client(&n, tls_dir, "units/market");
    credit_status st;
    enum { RECORDS = 30, PER_MESSAGE = 7, BAD = 10 };
    credit_pusher *p = NULL;
    assert_int_equal(credit_pusher_create_batched(market, CREDIT_CATALOGUE_PUBLIC, 0, 0, &p, &st),
                     CREDIT_EINVAL);
    assert_int_equal(credit_pusher_create_batched(market, CREDIT_CATALOGUE_PUBLIC,
                                                  CREDIT_PUSH_MESSAGE_MAX + 1, 0, &p, &st),
                     CREDIT_EINVAL);
    assert_non_null(strstr(st.message, "per_message"));
    assert_null(p);
    CHECK_CALL(
        credit_pusher_create_batched(market, CREDIT_CATALOGUE_PUBLIC, PER_MESSAGE, 60000, &p, &st),
        st);
    Credit__V1__Sample sample = CREDIT__V1__SAMPLE__INIT;
    assert_int_equal(credit_pusher_add(p, &sample.base, &st), CREDIT_EINVAL);
    for (int i = 0; i < RECORDS; i++) {
        char src[32];
        penalty_input pi;
        snprintf(src, sizeof src, "batched-%d", i);
        penalty_input_init(&pi, src);
        if (i == BAD)
            pi.subj.identifier = "91230500MA1B3N1N2X"; /* wrong check character */
        CHECK_CALL(credit_pusher_add(p, &pi.in.base, &st), st);
    }
    Credit__V1__PushBatchResponse *res = NULL;
    CHECK_CALL(credit_pusher_finish(p, &res, &st), st);
    assert_int_equal(res->n_results, RECORDS);
    assert_int_equal(res->accepted, RECORDS - 1);
    for (int i = 0; i < RECORDS; i++) {
        assert_int_equal(res->results[i]->index, i);
        assert_int_equal(res->results[i]->outcome,
                         i == BAD ? CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED
                                  : CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED);
    }
    assert_string_equal(res->results[BAD]->field, "subject.identifier");
    credit__v1__push_batch_response__free_unpacked(res, NULL);
    /* A finished pusher takes nothing more, batched or not (a batched one would only gather). */
    penalty_input late;
    penalty_input_init(&late, "batched-late");
    assert_int_equal(credit_pusher_add(p, &late.in.base, &st), CREDIT_EINVAL);
    assert_non_null(strstr(st.message, "finished"));
    credit_pusher_destroy(p);

    /* Gathered, never sent, given up: nothing stored. */
    CHECK_CALL(credit_pusher_create_batched(market, CREDIT_CATALOGUE_PUBLIC, 100, 60000, &p, &st),
               st);
    give_up_and_find_nothing_stored(market, p, "batched-abandoned");

    credit_client_destroy(market);
    assert_int_equal(it_node_stop(&n), 0);
}

/* The library refuses what it can tell is wrong before anything is sent: CREDIT_EINVAL, the
 * status naming the argument, the out-parameter untouched, and the node none the wiser (the
 * pusher that took the refusal still carries its good records to the end). */
static void test_client_refuses_bad_arguments_before_sending_and_leaves_out_untouched(void **state)
{
    (void)state;
    it_node n;
    node_start(&n, "arguments", NULL);
    credit_client *market = it_client(&n, tls_dir, "units/market");
    credit_status st;
    void *const sentinel = (void *)&st;

    assert_string_equal(credit_version(), CREDIT_VERSION_STRING);
    assert_int_equal(credit_client_whoami(market, NULL, &st), CREDIT_EINVAL);
    assert_int_equal(st.code, CREDIT_CODE_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "out"));
    Credit__V1__ListUnitsResponse *units = sentinel;
    assert_int_equal(credit_client_unit_list(NULL, 0, 0, NULL, &units, &st), CREDIT_EINVAL);
    assert_ptr_equal(units, sentinel);

    /* Samples are not records: the record calls refuse the industrial catalogue, and a
     * voluntary declaration has no Correct. */
    penalty_input pi;
    penalty_input_init(&pi, "args-1");
    ProtobufCMessage *recs[] = {&pi.in.base};
    Credit__V1__PushBatchResponse *res = sentinel;
    assert_int_equal(
        credit_client_record_push(market, CREDIT_CATALOGUE_INDUSTRIAL, recs, 1, &res, &st),
        CREDIT_EINVAL);
    assert_non_null(strstr(st.message, "not a record catalogue"));
    assert_int_equal(
        credit_client_record_push(market, CREDIT_CATALOGUE_SERVICE_UNIT, recs, 1, &res, &st),
        CREDIT_EINVAL);
    assert_non_null(strstr(st.message, "records[0]"));
    assert_ptr_equal(res, sentinel);
    Credit__V1__PushResult *pr = sentinel;
    assert_int_equal(credit_client_record_correct(market, CREDIT_CATALOGUE_VOLUNTARY, "x",
                                                  recs[0], "why", &pr, &st),
                     CREDIT_EINVAL);
    assert_ptr_equal(pr, sentinel);

    credit_record_filter f;
    credit_record_filter_init(&f);
    f.struct_size = 0;
    Credit__V1__ListRecordsResponse *list = sentinel;
    assert_int_equal(credit_client_record_list(market, CREDIT_TIER_OPEN, &f, &list, &st),
                     CREDIT_EINVAL);
    assert_non_null(strstr(st.message, "struct_size"));
    assert_ptr_equal(list, sentinel);

    credit_pusher *p = sentinel;
    assert_int_equal(credit_pusher_create(market, CREDIT_CATALOGUE_INDUSTRIAL, 0, &p, &st),
                     CREDIT_EINVAL);
    assert_ptr_equal(p, sentinel);
    CHECK_CALL(credit_pusher_create(market, CREDIT_CATALOGUE_PUBLIC, 60000, &p, &st), st);
    Credit__V1__Sample sample = CREDIT__V1__SAMPLE__INIT;
    assert_int_equal(credit_pusher_add(p, &sample.base, &st), CREDIT_EINVAL);
    assert_non_null(strstr(st.message, "credit.v1.Sample"));
    CHECK_CALL(credit_pusher_add(p, &pi.in.base, &st), st);
    CHECK_CALL(credit_pusher_finish(p, &res, &st), st);
    assert_int_equal(res->n_results, 1);
    assert_int_equal(res->results[0]->outcome, CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED);
    credit__v1__push_batch_response__free_unpacked(res, NULL);
    credit_pusher_destroy(p);

    credit_client_destroy(market);
    assert_int_equal(it_node_stop(&n), 0);
}

static void test_bad_flag_exits_2_with_a_message(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --data /nonexistent/x --tls '%s' --threads 0 2>&1",
             getenv("CREDITD"), tls_dir);
    FILE *p = popen(cmd, "r");
    char out[512] = "";
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    int status = pclose(p);
    assert_int_equal(WEXITSTATUS(status), 2);
    assert_non_null(strstr(out, "threads"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whoami_names_the_unit_of_the_certificate),
        cmocka_unit_test(test_health_answers_for_node_and_services_and_not_found_otherwise),
        cmocka_unit_test(test_unknown_unit_passes_health_but_not_the_registry),
        cmocka_unit_test(test_revoked_certificate_is_refused_in_the_handshake),
        cmocka_unit_test(test_only_the_office_registers_units),
        cmocka_unit_test(test_suspended_unit_is_denied_until_reinstated),
        cmocka_unit_test(test_acknowledged_registration_survives_kill9),
        cmocka_unit_test(test_one_client_serves_many_threads_and_every_call_is_audited),
        cmocka_unit_test(test_unknown_method_is_unimplemented_at_once),
        cmocka_unit_test(test_oversize_request_is_resource_exhausted_and_changes_nothing),
        cmocka_unit_test(test_pushed_penalty_is_shared_by_tier_through_the_client_library),
        cmocka_unit_test(test_streaming_pusher_sends_records_one_by_one_and_gets_every_result),
        cmocka_unit_test(test_batched_pusher_indexes_results_across_its_messages),
        cmocka_unit_test(test_client_refuses_bad_arguments_before_sending_and_leaves_out_untouched),
        cmocka_unit_test(test_bad_flag_exits_2_with_a_message),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
