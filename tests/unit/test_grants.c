/*
 * test_grants.c — unit tests for server/data/grants.c against a real RocksDB: grant ids, the
 * grant and its two listings, numbered uses, the reservations that keep uses within a limit
 * (also from many threads at once, and across a reservation handed back), and damaged values.
 */
#include "testutil.h"

#include <pthread.h>

#include "grants.h"
#include "tu_store.h"

#define ACME  "91500227MA5UACME5L"
#define OTHER "91230500MA1B3N1N2M"

/* A grant of `subject` to `grantee`, with a fresh id into id[GRANTS_ID_LEN + 1], written with
 * its listings. */
static void put_grant(tu_store *fx, const char *subject, const char *grantee, char *id)
{
    Credit__V1__SubjectRef ref = CREDIT__V1__SUBJECT_REF__INIT;
    Credit__V1__Grant g = CREDIT__V1__GRANT__INIT;
    store_batch *b = store_batch_create();

    assert_non_null(b);
    assert_int_equal(grants_new_id(id), 0);
    ref.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    ref.identifier = (char *)subject;
    g.grant_id = id;
    g.subject = &ref;
    g.grantee = (char *)grantee;
    g.use_limit = 3;
    g.status = CREDIT__V1__GRANT_STATUS__GRANT_STATUS_REQUESTED;
    assert_int_equal(grants_put(b, &g, 1), 0);
    tu_store_write(fx, b);
}

static void put_use(tu_store *fx, const char *id, uint32_t number)
{
    Credit__V1__GrantUse u = CREDIT__V1__GRANT_USE__INIT;
    store_batch *b = store_batch_create();

    assert_non_null(b);
    u.grant_id = (char *)id;
    u.number = number;
    u.used_by = "bank-a";
    assert_int_equal(grants_put_use(b, &u), 0);
    tu_store_write(fx, b);
}

static void test_a_grant_id_is_32_hex_digits_in_order_of_making(void **state)
{
    char a[GRANTS_ID_LEN + 1], b[GRANTS_ID_LEN + 1];
    (void)state;
    assert_int_equal(grants_new_id(a), 0);
    usleep(2000);
    assert_int_equal(grants_new_id(b), 0);
    assert_true(grants_check_id(a));
    assert_true(grants_check_id(b));
    assert_true(strcmp(a, b) < 0); /* the time comes first */
    assert_false(grants_check_id(""));
    assert_false(grants_check_id(NULL));
    assert_false(grants_check_id("0123456789ABCDEF0123456789abcdef")); /* upper case */
    assert_false(grants_check_id("0123456789abcdef0123456789abcde"));  /* 31 */
    assert_false(grants_check_id("0123456789abcdef0123456789abcdefa"));
}

static void test_a_grant_is_listed_for_its_subject_and_its_grantee_oldest_first(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], g1[GRANTS_ID_LEN + 1], g2[GRANTS_ID_LEN + 1], g3[GRANTS_ID_LEN + 1];
    Credit__V1__Grant **v = NULL, *got = NULL;
    size_t n = 0;

    put_grant(fx, ACME, "bank-a", g1);
    usleep(2000);
    put_grant(fx, ACME, "bank-b", g2);
    usleep(2000);
    put_grant(fx, OTHER, "bank-a", g3);
    CHECK_OK(grants_get(fx->st, g2, &got, err));
    assert_string_equal(got->grantee, "bank-b");
    credit__v1__grant__free_unpacked(got, NULL);
    got = NULL;
    assert_int_equal(grants_get(fx->st, "0123456789abcdef0123456789abcdef", &got, err),
                     STORE_ENOTFOUND);
    assert_int_equal(grants_get(fx->st, "not an id", &got, err), STORE_ENOTFOUND);
    assert_null(got);

    CHECK_OK(grants_list(fx->st, 0, ACME, &v, &n, err));
    assert_int_equal(n, 2);
    assert_string_equal(v[0]->grant_id, g1);
    assert_string_equal(v[1]->grant_id, g2);
    grants_free_list(v, n);
    CHECK_OK(grants_list(fx->st, 1, "bank-a", &v, &n, err));
    assert_int_equal(n, 2);
    assert_string_equal(v[0]->grant_id, g1);
    assert_string_equal(v[1]->grant_id, g3);
    grants_free_list(v, n);
    /* "bank" is a prefix of both banks' codes, and lists neither. */
    CHECK_OK(grants_list(fx->st, 1, "bank", &v, &n, err));
    assert_int_equal(n, 0);
    grants_free_list(v, n);
    CHECK_OK(grants_list(fx->st, 1, "a/b", &v, &n, err));
    assert_int_equal(n, 0);
    grants_free_list(v, n);
}

static void test_uses_are_numbered_and_listed_in_order(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], id[GRANTS_ID_LEN + 1];
    Credit__V1__GrantUse **v = NULL;
    size_t n = 0;
    uint32_t uses = 99;

    put_grant(fx, ACME, "bank-a", id);
    CHECK_OK(grants_uses(fx->st, id, &uses, err));
    assert_int_equal(uses, 0);
    put_use(fx, id, 1);
    put_use(fx, id, 2);
    put_use(fx, id, 256); /* big-endian: after 2, not between 1 and 2 */
    CHECK_OK(grants_uses(fx->st, id, &uses, err));
    assert_int_equal(uses, 256);
    CHECK_OK(grants_list_uses(fx->st, id, &v, &n, err));
    assert_int_equal(n, 3);
    assert_int_equal(v[0]->number, 1);
    assert_int_equal(v[2]->number, 256);
    grants_free_uses(v, n);
    Credit__V1__GrantUse u = CREDIT__V1__GRANT_USE__INIT;
    u.grant_id = id;
    store_batch *b = store_batch_create();
    assert_int_equal(grants_put_use(b, &u), STORE_EINVAL); /* number 0 */
    store_batch_destroy(b);
}

static void test_reservations_stop_at_the_limit_and_a_last_one_handed_back_is_reused(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], id[GRANTS_ID_LEN + 1];
    uint32_t a = 0, b = 0, c = 0;

    put_grant(fx, ACME, "bank-a", id);
    put_use(fx, id, 1); /* one use stored before the first reservation */
    CHECK_OK(grants_reserve(fx->st, id, 3, &a, err));
    assert_int_equal(a, 2);
    CHECK_OK(grants_reserve(fx->st, id, 3, &b, err));
    assert_int_equal(b, 3);
    assert_int_equal(grants_reserve(fx->st, id, 3, &c, err), 1); /* the limit */
    assert_int_equal(c, 0);
    grants_release(id, b, 0); /* the last one, not written: free again */
    CHECK_OK(grants_reserve(fx->st, id, 3, &c, err));
    assert_int_equal(c, 3);
    grants_release(id, a, 0); /* not the last: a gap that stays used */
    assert_int_equal(grants_reserve(fx->st, id, 3, &b, err), 1);
    grants_release(id, c, 1);
    assert_int_equal(grants_reserve(fx->st, id, 3, &b, err), 1);
    assert_int_equal(grants_reserve(fx->st, "bad", 3, &b, err), STORE_EINVAL);
}

typedef struct racer {
    tu_store *fx;
    const char *id;
    int got;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    char err[STORE_ERR_LEN];
    uint32_t n;
    for (int i = 0; i < 50; i++) {
        if (grants_reserve(r->fx->st, r->id, 100, &n, err) == 0) {
            r->got++;
            grants_release(r->id, n, 1);
        }
    }
    return NULL;
}

static void test_sixteen_threads_at_once_get_exactly_the_limit(void **state)
{
    tu_store *fx = *state;
    char id[GRANTS_ID_LEN + 1];
    racer r[16];
    pthread_t t[16];
    int total = 0;

    put_grant(fx, ACME, "bank-a", id);
    for (int i = 0; i < 16; i++) {
        r[i] = (racer){.fx = fx, .id = id};
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < 16; i++) {
        pthread_join(t[i], NULL);
        total += r[i].got;
    }
    assert_int_equal(total, 100);
}

static void test_a_damaged_grant_or_use_is_corrupt(void **state)
{
    tu_store *fx = *state;
    char err[STORE_ERR_LEN], id[GRANTS_ID_LEN + 1], key[2 + GRANTS_ID_LEN];
    Credit__V1__Grant *got = NULL, **v = NULL;
    size_t n = 7;

    put_grant(fx, ACME, "bank-a", id);
    memcpy(key, "g/", 2);
    memcpy(key + 2, id, GRANTS_ID_LEN);
    tu_store_put_raw(fx, STORE_CF_AUTHZ, key, sizeof key, "\xff\xff", 2);
    assert_int_equal(grants_get(fx->st, id, &got, err), STORE_ECORRUPT);
    assert_null(got);
    assert_int_equal(grants_list(fx->st, 0, ACME, &v, &n, err), STORE_ECORRUPT);
    assert_int_equal(n, 7); /* untouched on failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_grant_id_is_32_hex_digits_in_order_of_making),
        cmocka_unit_test_setup_teardown(
            test_a_grant_is_listed_for_its_subject_and_its_grantee_oldest_first, tu_store_setup,
            tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_uses_are_numbered_and_listed_in_order, tu_store_setup,
                                        tu_store_teardown),
        cmocka_unit_test_setup_teardown(
            test_reservations_stop_at_the_limit_and_a_last_one_handed_back_is_reused,
            tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_sixteen_threads_at_once_get_exactly_the_limit,
                                        tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_a_damaged_grant_or_use_is_corrupt, tu_store_setup,
                                        tu_store_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
