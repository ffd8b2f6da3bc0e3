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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_element_sizes_match_the_generated_structs),
        cmocka_unit_test(test_every_field_of_a_message_has_a_size),
        cmocka_unit_test(test_a_member_is_found_at_its_offset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
