/*
 * test_pbreflect.c — unit tests for common/pbreflect.c, the reflection helpers the node's
 * text-format reader and creditctl's JSON reader and writer share: each type's element size is
 * the size protobuf-c's generated structs give it.
 */
#include "testutil.h"

#include "credit/v1/record.pb-c.h"
#include "pbreflect.h"

static void test_element_sizes_match_the_generated_structs(void **state)
{
    (void)state;
    assert_int_equal(pbreflect_elem_size(PROTOBUF_C_TYPE_INT32), sizeof(int32_t));
    assert_int_equal(pbreflect_elem_size(PROTOBUF_C_TYPE_ENUM), sizeof(Credit__V1__Severity));
    assert_int_equal(pbreflect_elem_size(PROTOBUF_C_TYPE_SFIXED64), sizeof(int64_t));
    assert_int_equal(pbreflect_elem_size(PROTOBUF_C_TYPE_DOUBLE), sizeof(double));
    assert_int_equal(pbreflect_elem_size(PROTOBUF_C_TYPE_FLOAT), sizeof(float));
    assert_int_equal(pbreflect_elem_size(PROTOBUF_C_TYPE_BOOL), sizeof(protobuf_c_boolean));
    assert_int_equal(pbreflect_elem_size(PROTOBUF_C_TYPE_STRING), sizeof(char *));
    assert_int_equal(pbreflect_elem_size(PROTOBUF_C_TYPE_BYTES), sizeof(ProtobufCBinaryData));
    assert_int_equal(pbreflect_elem_size(PROTOBUF_C_TYPE_MESSAGE), sizeof(ProtobufCMessage *));
    assert_int_equal(pbreflect_elem_size((ProtobufCType)99), 0);
}

static void test_every_field_of_a_message_has_a_size(void **state)
{
    const ProtobufCMessageDescriptor *d = &credit__v1__penalty__descriptor;

    (void)state;
    for (unsigned i = 0; i < d->n_fields; i++)
        assert_true(pbreflect_elem_size(d->fields[i].type) > 0);
}

static void test_a_member_is_found_at_its_offset(void **state)
{
    Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
        &credit__v1__penalty__descriptor, "fine_amount_fen");

    (void)state;
    assert_non_null(f);
    assert_ptr_equal(pbreflect_member(&p.base, f->offset), &p.fine_amount_fen);
}

static void test_zero_is_each_types_default(void **state)
{
    Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;
    Credit__V1__Date d = CREDIT__V1__DATE__INIT;
    const ProtobufCMessageDescriptor *pd = &credit__v1__penalty__descriptor;

    (void)state;
    /* A fresh message: every field is its default. */
    for (unsigned i = 0; i < pd->n_fields; i++)
        assert_true(
            pbreflect_is_zero(pd->fields[i].type, pbreflect_member(&p.base, pd->fields[i].offset)));
    p.content = "";
    assert_true(pbreflect_is_zero(PROTOBUF_C_TYPE_STRING, &p.content));
    p.content = "x";
    assert_false(pbreflect_is_zero(PROTOBUF_C_TYPE_STRING, &p.content));
    p.fine_amount_fen = INT64_C(1) << 40; /* only the high half set */
    assert_false(pbreflect_is_zero(PROTOBUF_C_TYPE_INT64, &p.fine_amount_fen));
    p.decision_date = &d;
    assert_false(pbreflect_is_zero(PROTOBUF_C_TYPE_MESSAGE, &p.decision_date));
    p.severity = CREDIT__V1__SEVERITY__SEVERITY_MINOR;
    assert_false(pbreflect_is_zero(PROTOBUF_C_TYPE_ENUM, &p.severity));
    double neg_zero = -0.0;
    assert_true(pbreflect_is_zero(PROTOBUF_C_TYPE_DOUBLE, &neg_zero));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_element_sizes_match_the_generated_structs),
        cmocka_unit_test(test_every_field_of_a_message_has_a_size),
        cmocka_unit_test(test_a_member_is_found_at_its_offset),
        cmocka_unit_test(test_zero_is_each_types_default),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
