/*
 * test_pbwalk.c — unit tests for server/rules/pbwalk.c: proto3 presence, oneof members, and the
 * walk over set leaves with their paths, on the record messages the node walks.
 */
#include "testutil.h"

#include "credit/v1/record.pb-c.h"
#include "pbwalk.h"

static const ProtobufCFieldDescriptor *field(const ProtobufCMessageDescriptor *d, const char *name)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);

    assert_non_null(f);
    return f;
}

static void test_a_field_is_set_when_it_holds_a_non_default_value(void **state)
{
    Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;
    Credit__V1__Date d = CREDIT__V1__DATE__INIT;
    const ProtobufCMessageDescriptor *pd = &credit__v1__penalty__descriptor;

    (void)state;
    assert_false(pbwalk_field_set(&p.base, field(pd, "content")));
    assert_false(pbwalk_field_set(&p.base, field(pd, "fine_amount_fen")));
    assert_false(pbwalk_field_set(&p.base, field(pd, "decision_date")));
    assert_false(pbwalk_field_set(&p.base, field(pd, "severity")));
    p.content = "fined";
    p.fine_amount_fen = 100;
    p.decision_date = &d; /* a message is set even when empty */
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_MINOR;
    assert_true(pbwalk_field_set(&p.base, field(pd, "content")));
    assert_true(pbwalk_field_set(&p.base, field(pd, "fine_amount_fen")));
    assert_true(pbwalk_field_set(&p.base, field(pd, "decision_date")));
    assert_true(pbwalk_field_set(&p.base, field(pd, "severity")));
}

static void test_only_the_oneof_member_in_use_is_set(void **state)
{
    Credit__V1__Record rec = CREDIT__V1__RECORD__INIT;
    Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;
    const ProtobufCMessageDescriptor *rd = &credit__v1__record__descriptor;

    (void)state;
    rec.body_case = CREDIT__V1__RECORD__BODY_PENALTY;
    rec.penalty = &p;
    assert_true(pbwalk_member_set(&rec.base, field(rd, "penalty")));
    assert_false(pbwalk_member_set(&rec.base, field(rd, "licence")));
    assert_true(pbwalk_field_set(&rec.base, field(rd, "penalty")));
    /* licence shares penalty's storage in the union: not set, though the pointer is. */
    assert_false(pbwalk_field_set(&rec.base, field(rd, "licence")));
    /* A field outside any oneof is always its own member. */
    assert_true(pbwalk_member_set(&rec.base, field(rd, "meta")));
}

struct seen {
    char paths[8][64];
    size_t n;
    int stop_at; /* the leaf at which to stop (1-based), 0: never */
};

static int collect(void *arg, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                   const ProtobufCFieldDescriptor *const *chain, size_t depth)
{
    struct seen *s = arg;

    assert_ptr_equal(chain[depth - 1], f);
    assert_true(pbwalk_field_set(m, f));
    if (s->n < 8)
        pbwalk_chain_path(chain, depth, s->paths[s->n], sizeof s->paths[0]);
    s->n++;
    return s->stop_at && (int)s->n == s->stop_at ? 42 : 0;
}

static void test_the_walk_visits_set_leaves_with_their_paths(void **state)
{
    Credit__V1__Record rec = CREDIT__V1__RECORD__INIT;
    Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;
    Credit__V1__Date d = CREDIT__V1__DATE__INIT;
    const ProtobufCFieldDescriptor *body = field(&credit__v1__record__descriptor, "penalty");
    struct seen s = {0};

    (void)state;
    rec.body_case = CREDIT__V1__RECORD__BODY_PENALTY;
    rec.penalty = &p;
    p.content = "fined";
    d.year = 2024;
    p.decision_date = &d;
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_GENERAL;
    /* A Date is one leaf; the prefix leads from the record to the body. */
    assert_int_equal(pbwalk_leaves(&p.base, &body, 1, &credit__v1__date__descriptor, collect, &s),
                     0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.paths[0], "penalty.content");
    assert_string_equal(s.paths[1], "penalty.decision_date");
    assert_string_equal(s.paths[2], "penalty.severity");

    /* Without a leaf type the walk goes into the date. */
    memset(&s, 0, sizeof s);
    assert_int_equal(pbwalk_leaves(&rec.base, NULL, 0, NULL, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.paths[1], "penalty.decision_date.year");

    /* fn's non-zero value stops the walk and is returned. */
    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    assert_int_equal(pbwalk_leaves(&rec.base, NULL, 0, NULL, collect, &s), 42);
    assert_int_equal(s.n, 2);
}

static void test_a_chain_path_is_cut_to_its_buffer(void **state)
{
    const ProtobufCFieldDescriptor *chain[2] = {
        field(&credit__v1__record__descriptor, "penalty"),
        field(&credit__v1__penalty__descriptor, "decision_date")};
    char buf[10];

    (void)state;
    assert_string_equal(pbwalk_chain_path(chain, 2, buf, sizeof buf), "penalty.d");
    assert_string_equal(pbwalk_chain_path(chain, 0, buf, sizeof buf), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_field_is_set_when_it_holds_a_non_default_value),
        cmocka_unit_test(test_only_the_oneof_member_in_use_is_set),
        cmocka_unit_test(test_the_walk_visits_set_leaves_with_their_paths),
        cmocka_unit_test(test_a_chain_path_is_cut_to_its_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
