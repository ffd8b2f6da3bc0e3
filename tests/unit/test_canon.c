/*
 * test_canon.c — unit tests for server/rules/canon.c: text in NFC at every depth, maps sorted by
 * key, the set member of a oneof only, and the message still packing and unpacking after.
 *
 * Messages are built by packing a hand-made one and unpacking it, so that their strings are
 * malloc'd as canon_message requires (as the RPC layer's are).
 */
#include "testutil.h"

#include "canon.h"
#include "credit/v1/record.pb-c.h"

/* "é" decomposed (e + U+0301) and composed (U+00E9); Hangul and CJK for good measure. */
#define E_DECOMPOSED "Caf" "e\xcc\x81"
#define E_COMPOSED "Caf" "\xc3\xa9"
#define HANGUL_DECOMPOSED "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab" /* ᄒ ᅡ ᆫ */
#define HANGUL_COMPOSED "\xed\x95\x9c"                         /* 한 */

/* A deep, malloc'd copy of m, as the RPC layer hands requests over. */
static ProtobufCMessage *unpacked(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *c = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
    free(buf);
    assert_non_null(c);
    return c;
}

static void test_canon_nfc_composes_and_leaves_nfc_and_ascii_alone(void **state)
{
    (void)state;
    int oom = 0;
    char *s = canon_nfc(E_DECOMPOSED, &oom);
    assert_non_null(s);
    assert_string_equal(s, E_COMPOSED);
    free(s);
    s = canon_nfc(HANGUL_DECOMPOSED, &oom);
    assert_non_null(s);
    assert_string_equal(s, HANGUL_COMPOSED);
    free(s);
    assert_null(canon_nfc(E_COMPOSED, &oom));
    assert_null(canon_nfc("罚款人民币5000元", &oom));
    assert_null(canon_nfc("plain ascii", &oom));
    assert_null(canon_nfc("", &oom));
    assert_null(canon_nfc("\xff\xfe not UTF-8", &oom)); /* left for the RPC layer to refuse */
    assert_int_equal(oom, 0);
}

static void test_canon_message_normalises_nested_repeated_and_oneof_strings(void **state)
{
    (void)state;
    Credit__V1__Subject subj = CREDIT__V1__SUBJECT__INIT;
    subj.name = E_DECOMPOSED " Ltd";
    subj.identifier = "91230500MA1B3N1N2M";
    Credit__V1__Penalty pen = CREDIT__V1__PENALTY__INIT;
    pen.content = HANGUL_DECOMPOSED;
    Credit__V1__PublicRecordInput in = CREDIT__V1__PUBLIC_RECORD_INPUT__INIT;
    in.source_record_id = "src-1";
    in.subject = &subj;
    in.body_case = CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_PENALTY;
    in.penalty = &pen;
    Credit__V1__ExtraValue text = CREDIT__V1__EXTRA_VALUE__INIT;
    text.value_case = CREDIT__V1__EXTRA_VALUE__VALUE_TEXT;
    text.text = E_DECOMPOSED;
    Credit__V1__PublicRecordInput__ExtraEntry e = CREDIT__V1__PUBLIC_RECORD_INPUT__EXTRA_ENTRY__INIT;
    e.key = "note";
    e.value = &text;
    Credit__V1__PublicRecordInput__ExtraEntry *entries[] = {&e};
    in.extra = entries;
    in.n_extra = 1;

    Credit__V1__PublicRecordInput *m = (void *)unpacked(&in.base);
    assert_int_equal(canon_message(&m->base), 0);
    assert_string_equal(m->subject->name, E_COMPOSED " Ltd");
    assert_string_equal(m->subject->identifier, "91230500MA1B3N1N2M");
    assert_string_equal(m->penalty->content, HANGUL_COMPOSED);
    assert_string_equal(m->extra[0]->value->text, E_COMPOSED);
    /* Still a valid message: it packs and unpacks to the same. */
    ProtobufCMessage *again = unpacked(&m->base);
    assert_string_equal(((Credit__V1__PublicRecordInput *)again)->penalty->content,
                        HANGUL_COMPOSED);
    protobuf_c_message_free_unpacked(again, NULL);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_canon_message_sorts_map_entries_by_key(void **state)
{
    (void)state;
    const char *keys[] = {"zeta", "alpha", "mu", "beta"};
    Credit__V1__ExtraValue vals[4];
    Credit__V1__PublicRecordInput__ExtraEntry es[4], *ptrs[4];
    for (int i = 0; i < 4; i++) {
        credit__v1__extra_value__init(&vals[i]);
        vals[i].value_case = CREDIT__V1__EXTRA_VALUE__VALUE_INTEGER;
        vals[i].integer = i;
        credit__v1__public_record_input__extra_entry__init(&es[i]);
        es[i].key = (char *)keys[i];
        es[i].value = &vals[i];
        ptrs[i] = &es[i];
    }
    Credit__V1__PublicRecordInput in = CREDIT__V1__PUBLIC_RECORD_INPUT__INIT;
    in.extra = ptrs;
    in.n_extra = 4;
    Credit__V1__PublicRecordInput *m = (void *)unpacked(&in.base);
    assert_int_equal(canon_message(&m->base), 0);
    const char *want[] = {"alpha", "beta", "mu", "zeta"};
    const int64_t vwant[] = {1, 3, 2, 0};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(m->extra[i]->key, want[i]);
        assert_int_equal(m->extra[i]->value->integer, vwant[i]);
    }

    /* Two orders of the same map pack to the same bytes once canonical. */
    Credit__V1__PublicRecordInput__ExtraEntry *rev[4] = {ptrs[3], ptrs[2], ptrs[1], ptrs[0]};
    in.extra = rev;
    Credit__V1__PublicRecordInput *m2 = (void *)unpacked(&in.base);
    assert_int_equal(canon_message(&m2->base), 0);
    size_t n1 = protobuf_c_message_get_packed_size(&m->base);
    size_t n2 = protobuf_c_message_get_packed_size(&m2->base);
    assert_int_equal(n1, n2);
    uint8_t *b1 = malloc(n1), *b2 = malloc(n2);
    protobuf_c_message_pack(&m->base, b1);
    protobuf_c_message_pack(&m2->base, b2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    protobuf_c_message_free_unpacked(&m2->base, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canon_nfc_composes_and_leaves_nfc_and_ascii_alone),
        cmocka_unit_test(test_canon_message_normalises_nested_repeated_and_oneof_strings),
        cmocka_unit_test(test_canon_message_sorts_map_entries_by_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
