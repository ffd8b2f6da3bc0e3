/*
 * test_pagetoken.c — unit tests for server/rules/pagetoken.c: a token reads back only for the query,
 * method and caller it was made for, under the key it was made with, before its expiry; any
 * altered byte, made-up text or truncation is refused; page_size is not part of the query.
 */
#include "testutil.h"

#include "credit/v1/record.pb-c.h"
#include "pagetoken.h"

#define NOW 1780000000
#define METHOD "/credit.v1.OpenQuery/ListRecords"
#define RID "000001a23b475766aad6ce689381bdff"

static pagetoken_key key_of(unsigned char fill)
{
    pagetoken_key k;
    memset(k.k, fill, sizeof k.k);
    return k;
}

typedef struct query {
    Credit__V1__ListRecordsRequest req;
    Credit__V1__SubjectRef subj;
    Credit__V1__Category cats[2];
} query;

static void query_init(query *q, const char *uscc, Credit__V1__Category cat)
{
    credit__v1__list_records_request__init(&q->req);
    credit__v1__subject_ref__init(&q->subj);
    q->subj.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    q->subj.identifier = (char *)uscc;
    q->req.subject = &q->subj;
    q->cats[0] = cat;
    q->req.categories = q->cats;
    q->req.n_categories = cat ? 1 : 0;
}

static int read_back(const pagetoken_key *k, const char *method, const char *caller,
                     const query *q, const char *tok, int64_t now, char *why)
{
    char pos[PAGETOKEN_POS_MAX + 1];
    size_t len = 0;
    int rc = pagetoken_read(k, method, caller, &q->req.base, tok, now, pos, &len, why);
    if (rc == 0) {
        assert_int_equal(len, strlen(RID));
        assert_string_equal(pos, RID);
    }
    return rc;
}

static void test_a_token_reads_back_only_for_its_own_query_method_caller_and_key(void **state)
{
    (void)state;
    pagetoken_key k = key_of(7), other_key = key_of(8);
    query q, other_subject, other_filter;
    query_init(&q, "91230500MA1B3N1N2M", CREDIT__V1__CATEGORY__CATEGORY_PENALTY);
    query_init(&other_subject, "11230500001755309F", CREDIT__V1__CATEGORY__CATEGORY_PENALTY);
    query_init(&other_filter, "91230500MA1B3N1N2M", CREDIT__V1__CATEGORY__CATEGORY_LICENSING);
    char tok[PAGETOKEN_MAX], why[PAGETOKEN_WHY_LEN];
    assert_int_equal(pagetoken_make(&k, METHOD, "market", &q.req.base, RID, strlen(RID), NOW, tok),
                     0);
    assert_int_equal(read_back(&k, METHOD, "market", &q, tok, NOW, why), 0);
    /* page_size and the token itself are not part of the query. */
    q.req.page_size = 7;
    q.req.page_token = tok;
    assert_int_equal(read_back(&k, METHOD, "market", &q, tok, NOW + 10, why), 0);

    assert_int_equal(read_back(&k, METHOD, "market", &other_subject, tok, NOW, why), -1);
    assert_non_null(strstr(why, "not given for this query"));
    assert_int_equal(read_back(&k, METHOD, "market", &other_filter, tok, NOW, why), -1);
    assert_int_equal(read_back(&k, "/credit.v1.GovernmentSharing/ListRecords", "market", &q, tok,
                               NOW, why),
                     -1);
    assert_int_equal(read_back(&k, METHOD, "tax", &q, tok, NOW, why), -1);
    assert_int_equal(read_back(&other_key, METHOD, "market", &q, tok, NOW, why), -1);
}

static void test_a_token_expires_after_its_time_to_live(void **state)
{
    (void)state;
    pagetoken_key k = key_of(7);
    query q;
    query_init(&q, "91230500MA1B3N1N2M", 0);
    char tok[PAGETOKEN_MAX], why[PAGETOKEN_WHY_LEN];
    assert_int_equal(pagetoken_make(&k, METHOD, "market", &q.req.base, RID, strlen(RID), NOW, tok),
                     0);
    assert_int_equal(read_back(&k, METHOD, "market", &q, tok, NOW + PAGETOKEN_TTL_SECONDS, why), 0);
    assert_int_equal(read_back(&k, METHOD, "market", &q, tok, NOW + PAGETOKEN_TTL_SECONDS + 1, why),
                     -1);
    assert_non_null(strstr(why, "expired"));
}

static void test_altered_made_up_and_truncated_tokens_are_refused(void **state)
{
    (void)state;
    pagetoken_key k = key_of(7);
    query q;
    query_init(&q, "91230500MA1B3N1N2M", 0);
    char tok[PAGETOKEN_MAX], bad[PAGETOKEN_MAX], why[PAGETOKEN_WHY_LEN];
    assert_int_equal(pagetoken_make(&k, METHOD, "market", &q.req.base, RID, strlen(RID), NOW, tok),
                     0);
    size_t n = strlen(tok);
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, tok, n + 1);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        assert_int_equal(read_back(&k, METHOD, "market", &q, bad, NOW, why), -1);
    }
    for (size_t cut = 0; cut < n; cut++) {
        memcpy(bad, tok, cut);
        bad[cut] = '\0';
        assert_int_equal(read_back(&k, METHOD, "market", &q, bad, NOW, why), -1);
    }
    /* The old form: a bare record id. */
    assert_int_equal(read_back(&k, METHOD, "market", &q, RID, NOW, why), -1);
    assert_int_equal(read_back(&k, METHOD, "market", &q, "not base64 !", NOW, why), -1);
    char longer[PAGETOKEN_MAX * 2];
    memset(longer, 'A', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(read_back(&k, METHOD, "market", &q, longer, NOW, why), -1);
    /* A position longer than a token holds is refused when making it. */
    char pos[PAGETOKEN_POS_MAX + 1];
    memset(pos, 'x', sizeof pos);
    assert_int_equal(pagetoken_make(&k, METHOD, "market", &q.req.base, pos, sizeof pos, NOW, tok),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_token_reads_back_only_for_its_own_query_method_caller_and_key),
        cmocka_unit_test(test_a_token_expires_after_its_time_to_live),
        cmocka_unit_test(test_altered_made_up_and_truncated_tokens_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
