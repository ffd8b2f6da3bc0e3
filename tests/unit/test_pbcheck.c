/*
 * test_pbcheck.c — unit tests for server/base/pbcheck.c.
 *
 * Messages are built with the generated credit.v1 code and packed; a marker character ('@')
 * in a string is then overwritten in the packed bytes with the byte under test (a NUL, 0xFF),
 * which is how such strings arrive from a client: protobuf-c itself could never pack them.
 * Where the generated code cannot make the bytes (interleaved repeated fields, unknown fields,
 * groups, deep nesting), they are written by hand from the wire format.
 */
#include "testutil.h"

#include "credit/v1/association.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "credit/v1/unit.pb-c.h"
#include "pbcheck.h"

/* `m` packed into a malloc'd buffer; *len its size. */
static uint8_t *packed(const ProtobufCMessage *m, size_t *len)
{
    uint8_t *buf;

    *len = protobuf_c_message_get_packed_size(m);
    buf = malloc(*len + 1);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(m, buf), *len);
    return buf;
}

/* Overwrites the `nth` (from 0) '@' in buf[0..len) with `byte`. */
static void patch(uint8_t *buf, size_t len, int nth, uint8_t byte)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '@' && nth-- == 0) {
            buf[i] = byte;
            return;
        }
    }
    fail_msg("no marker %d in the packed message", nth);
}

/* Three penalty records; records[i] gets content `content[i]` and extra values as given. */
typedef struct batch {
    Credit__V1__PushBatchRequest req;
    Credit__V1__PublicRecordInput rec[3], *recp[3];
    Credit__V1__Penalty pen[3];
    Credit__V1__PublicRecordInput__ExtraEntry ent[2], *entp[2];
    Credit__V1__ExtraValue val[2];
} batch;

static void batch_init(batch *b, const char *const content[3])
{
    Credit__V1__PushBatchRequest req = CREDIT__V1__PUSH_BATCH_REQUEST__INIT;

    memset(b, 0, sizeof *b);
    b->req = req;
    for (int i = 0; i < 3; i++) {
        Credit__V1__PublicRecordInput r = CREDIT__V1__PUBLIC_RECORD_INPUT__INIT;
        Credit__V1__Penalty p = CREDIT__V1__PENALTY__INIT;

        b->rec[i] = r;
        b->pen[i] = p;
        b->pen[i].content = (char *)content[i];
        b->rec[i].source_record_id = "src-1";
        b->rec[i].body_case = CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_PENALTY;
        b->rec[i].penalty = &b->pen[i];
        b->recp[i] = &b->rec[i];
    }
    b->req.n_records = 3;
    b->req.records = b->recp;
}

/* Gives records[1] two extra entries: keys k0, k1 with text values v0, v1. */
static void batch_extra(batch *b, const char *k0, const char *v0, const char *k1,
                        const char *v1)
{
    const char *k[2] = {k0, k1}, *v[2] = {v0, v1};

    for (int i = 0; i < 2; i++) {
        Credit__V1__PublicRecordInput__ExtraEntry e =
            CREDIT__V1__PUBLIC_RECORD_INPUT__EXTRA_ENTRY__INIT;
        Credit__V1__ExtraValue x = CREDIT__V1__EXTRA_VALUE__INIT;

        b->val[i] = x;
        b->val[i].value_case = CREDIT__V1__EXTRA_VALUE__VALUE_TEXT;
        b->val[i].text = (char *)v[i];
        b->ent[i] = e;
        b->ent[i].key = (char *)k[i];
        b->ent[i].value = &b->val[i];
        b->entp[i] = &b->ent[i];
    }
    b->rec[1].n_extra = 2;
    b->rec[1].extra = b->entp;
}

static void expect_fault(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
                         int want, const char *path, const char *reason)
{
    pbcheck_fault f;

    memset(&f, 0x55, sizeof f);
    assert_int_equal(pbcheck_find(d, buf, len, &f), want);
    assert_string_equal(f.path, path);
    assert_string_equal(f.reason, reason);
}

static void test_find_accepts_utf8_text_and_an_empty_message(void **state)
{
    static const char *const content[3] = {"罚款人民币伍千元", "", "𠀋 emoji 😀"};
    batch b;
    size_t len;
    uint8_t *buf;

    (void)state;
    batch_init(&b, content);
    batch_extra(&b, "emp_count", "四十二", "note", "ok");
    buf = packed(&b.req.base, &len);
    assert_int_equal(pbcheck_find(&credit__v1__push_batch_request__descriptor, buf, len, NULL),
                     PBCHECK_OK);
    assert_int_equal(pbcheck_find(&credit__v1__push_batch_request__descriptor, buf, 0, NULL),
                     PBCHECK_OK);
    free(buf);
}

static void test_find_names_a_nul_in_a_oneof_member_of_a_repeated_message(void **state)
{
    static const char *const content[3] = {"罚款", "罚款", "罚款@伍千元"};
    batch b;
    size_t len;
    uint8_t *buf;

    (void)state;
    batch_init(&b, content);
    buf = packed(&b.req.base, &len);
    patch(buf, len, 0, 0);
    expect_fault(&credit__v1__push_batch_request__descriptor, buf, len, PBCHECK_BAD_STRING,
                 "records[2].penalty.content", "holds a NUL character (U+0000) at offset 6");
    free(buf);
}

static void test_find_names_invalid_utf8_with_its_byte_and_offset(void **state)
{
    static const char *const content[3] = {"ok", "ok", "ok"};
    batch b;
    size_t len;
    uint8_t *buf;

    (void)state;
    batch_init(&b, content);
    b.rec[0].source_record_id = "abc@";
    buf = packed(&b.req.base, &len);
    patch(buf, len, 0, 0xff);
    expect_fault(&credit__v1__push_batch_request__descriptor, buf, len, PBCHECK_BAD_STRING,
                 "records[0].source_record_id", "is not valid UTF-8 (byte 0xFF at offset 3)");
    free(buf);
}

static void test_find_refuses_truncated_overlong_and_surrogate_sequences(void **state)
{
    /* "中" is E4 B8 AD: cut after two bytes; "/" as the overlong C0 AF; U+D800 as ED A0 80. */
    static const struct {
        const char *text;
        const char *reason;
    } cases[] = {
        {"a\xe4\xb8", "is not valid UTF-8 (byte 0xE4 at offset 1)"},
        {"\xc0\xaf", "is not valid UTF-8 (byte 0xC0 at offset 0)"},
        {"xy\xed\xa0\x80", "is not valid UTF-8 (byte 0xED at offset 2)"},
        {"\x80", "is not valid UTF-8 (byte 0x80 at offset 0)"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Credit__V1__GetUnitRequest req = CREDIT__V1__GET_UNIT_REQUEST__INIT;
        size_t len;
        uint8_t *buf;

        req.code = (char *)cases[i].text;
        buf = packed(&req.base, &len);
        expect_fault(&credit__v1__get_unit_request__descriptor, buf, len, PBCHECK_BAD_STRING,
                     "code", cases[i].reason);
        free(buf);
    }
}

static void test_find_names_a_map_value_by_its_key(void **state)
{
    static const char *const content[3] = {"ok", "ok", "ok"};
    batch b;
    size_t len;
    uint8_t *buf;

    (void)state;
    batch_init(&b, content);
    batch_extra(&b, "emp_count", "fine", "energy.kwh", "bad@");
    buf = packed(&b.req.base, &len);
    patch(buf, len, 0, 0);
    expect_fault(&credit__v1__push_batch_request__descriptor, buf, len, PBCHECK_BAD_STRING,
                 "records[1].extra{energy.kwh}.text",
                 "holds a NUL character (U+0000) at offset 3");
    free(buf);
}

static void test_find_names_a_map_entry_by_index_when_its_key_cannot_be_shown(void **state)
{
    static const char *const content[3] = {"ok", "ok", "ok"};
    batch b;
    size_t len;
    uint8_t *buf;

    (void)state;
    /* A key at fault is named as the entry's key field. */
    batch_init(&b, content);
    batch_extra(&b, "emp_count", "fine", "k@y", "fine");
    buf = packed(&b.req.base, &len);
    patch(buf, len, 0, 0);
    expect_fault(&credit__v1__push_batch_request__descriptor, buf, len, PBCHECK_BAD_STRING,
                 "records[1].extra[1].key", "holds a NUL character (U+0000) at offset 1");
    free(buf);

    /* A valid key with a space, a quote or braces is not copied into the path. */
    batch_init(&b, content);
    batch_extra(&b, "雇员 \"人数\"", "bad@", "x", "fine");
    buf = packed(&b.req.base, &len);
    patch(buf, len, 0, 0xfe);
    expect_fault(&credit__v1__push_batch_request__descriptor, buf, len, PBCHECK_BAD_STRING,
                 "records[1].extra[0].text", "is not valid UTF-8 (byte 0xFE at offset 3)");
    free(buf);
}

/* Appends a varint to p at *n. */
static void put_varint(uint8_t *p, size_t *n, uint64_t v)
{
    while (v >= 0x80) {
        p[(*n)++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[(*n)++] = (uint8_t)v;
}

static void put_string(uint8_t *p, size_t *n, uint32_t field, const char *s, size_t len)
{
    put_varint(p, n, (uint64_t)field << 3 | 2);
    put_varint(p, n, len);
    memcpy(p + *n, s, len);
    *n += len;
}

static void test_find_counts_a_repeated_field_across_interleaved_fields(void **state)
{
    uint8_t buf[128];
    size_t n = 0;

    (void)state;
    /* Unit: identities = 6 (repeated string), name = 2, code = 1. */
    put_string(buf, &n, 6, "cn:a", 4);
    put_string(buf, &n, 2, "名称", strlen("名称"));
    put_string(buf, &n, 6, "cn:b", 4);
    put_string(buf, &n, 1, "u1", 2);
    put_string(buf, &n, 6, "cn:\0c", 5);
    expect_fault(&credit__v1__unit__descriptor, buf, n, PBCHECK_BAD_STRING, "identities[2]",
                 "holds a NUL character (U+0000) at offset 3");
}

static void test_find_skips_unknown_fields_and_reads_through_them(void **state)
{
    uint8_t buf[128];
    size_t n = 0;

    (void)state;
    /* GetUnitRequest knows only field 1; the others are unknown, of every wire type. */
    put_string(buf, &n, 99, "\0\xff\xfe", 3);
    put_varint(buf, &n, 7u << 3 | 0);
    put_varint(buf, &n, 300);
    put_varint(buf, &n, 8u << 3 | 1);
    memcpy(buf + n, "\0\0\0\0\0\0\0\0", 8);
    n += 8;
    put_varint(buf, &n, 9u << 3 | 5);
    memcpy(buf + n, "\xff\xff\xff\xff", 4);
    n += 4;
    put_string(buf, &n, 1, "good", 4);
    assert_int_equal(pbcheck_find(&credit__v1__get_unit_request__descriptor, buf, n, NULL),
                     PBCHECK_OK);
    put_string(buf, &n, 1, "bad\xff", 4);
    expect_fault(&credit__v1__get_unit_request__descriptor, buf, n, PBCHECK_BAD_STRING, "code",
                 "is not valid UTF-8 (byte 0xFF at offset 3)");
}

static void test_find_reports_bytes_that_are_no_message_as_malformed(void **state)
{
    uint8_t buf[64];
    size_t n = 0;
    pbcheck_fault f;
    const ProtobufCMessageDescriptor *d = &credit__v1__get_unit_request__descriptor;

    (void)state;
    put_string(buf, &n, 1, "abcdef", 6);
    assert_int_equal(pbcheck_find(d, buf, n - 1, &f), PBCHECK_MALFORMED); /* cut short */
    CHECK_CONTAINS(f.reason, "runs past the end");

    n = 0;
    put_varint(buf, &n, 5u << 3 | 3); /* a group */
    put_varint(buf, &n, 5u << 3 | 4);
    assert_int_equal(pbcheck_find(d, buf, n, &f), PBCHECK_MALFORMED);
    CHECK_CONTAINS(f.reason, "groups are not supported");

    n = 0;
    put_varint(buf, &n, 1u << 3 | 0); /* the string field as a varint */
    put_varint(buf, &n, 1);
    assert_int_equal(pbcheck_find(d, buf, n, &f), PBCHECK_MALFORMED);
    assert_string_equal(f.path, "code");

    n = 0;
    put_varint(buf, &n, 0 << 3 | 2); /* field number 0 */
    put_varint(buf, &n, 0);
    assert_int_equal(pbcheck_find(d, buf, n, &f), PBCHECK_MALFORMED);
}

static void test_find_refuses_messages_nested_deeper_than_the_limit(void **state)
{
    /* Mandate.earlier (9) is a repeated Mandate: wrap a faulty platform (1) 70 times. */
    uint8_t *a = malloc(4096), *b = malloc(4096), *t;
    size_t n = 0;
    pbcheck_fault f;

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    put_string(a, &n, 1, "p\xff", 2);
    for (int i = 0; i < 70; i++) {
        size_t m = 0;

        put_string(b, &m, 9, (const char *)a, n);
        t = a, a = b, b = t;
        n = m;
        if (i == 2)
            expect_fault(&credit__v1__mandate__descriptor, a, n, PBCHECK_BAD_STRING,
                         "earlier[0].earlier[0].earlier[0].platform",
                         "is not valid UTF-8 (byte 0xFF at offset 1)");
    }
    assert_int_equal(pbcheck_find(&credit__v1__mandate__descriptor, a, n, &f), PBCHECK_MALFORMED);
    CHECK_CONTAINS(f.reason, "nests messages more than 64 deep");
    free(a);
    free(b);
}

/* pbcheck.h: a path longer than the buffer is cut at PBCHECK_PATH_MAX - 1 bytes, as the whole
 * path written and then cut would be (paths are rendered only on a fault, from the walk's
 * steps). */
static void test_find_cuts_a_long_path_at_the_limit(void **state)
{
    uint8_t *a = malloc(4096), *b = malloc(4096), *t;
    char want[1024] = "";
    size_t n = 0, at = 0;
    pbcheck_fault f;

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    put_string(a, &n, 1, "p\xff", 2);
    for (int i = 0; i < 30; i++) {
        size_t m = 0;

        put_string(b, &m, 9, (const char *)a, n);
        t = a, a = b, b = t;
        n = m;
        at += (size_t)snprintf(want + at, sizeof want - at, "earlier[0].");
    }
    snprintf(want + at, sizeof want - at, "platform");
    assert_true(strlen(want) > PBCHECK_PATH_MAX);
    want[PBCHECK_PATH_MAX - 1] = '\0';
    expect_fault(&credit__v1__mandate__descriptor, a, n, PBCHECK_BAD_STRING, want,
                 "is not valid UTF-8 (byte 0xFF at offset 1)");
    memset(&f, 0, sizeof f);
    assert_int_equal(pbcheck_repair(&credit__v1__mandate__descriptor, a, n, &f), 1);
    assert_string_equal(f.path, want);
    free(a);
    free(b);
}

static void test_repair_replaces_every_faulty_byte_and_keeps_the_encoding(void **state)
{
    static const char *const content[3] = {"罚款@伍千元", "ok", "a@@b"};
    batch b;
    size_t len;
    uint8_t *buf;
    pbcheck_fault first;
    Credit__V1__PushBatchRequest *r;

    (void)state;
    batch_init(&b, content);
    batch_extra(&b, "k", "\xe4\xb8@", "k2", "fine");
    buf = packed(&b.req.base, &len);
    patch(buf, len, 0, 0);    /* records[0] content: a NUL */
    patch(buf, len, 0, 0xff); /* records[1] extra{k}: "\xe4\xb8\xff", three bad bytes */
    patch(buf, len, 0, 0xc3); /* records[2] content: "a\xc3(b", a lead byte cut short */
    patch(buf, len, 0, 0x28);
    assert_int_equal(pbcheck_repair(&credit__v1__push_batch_request__descriptor, buf, len,
                                    &first),
                     1 + 3 + 1);
    assert_string_equal(first.path, "records[0].penalty.content");
    assert_string_equal(first.reason, "holds a NUL character (U+0000) at offset 6");
    assert_int_equal(pbcheck_find(&credit__v1__push_batch_request__descriptor, buf, len, NULL),
                     PBCHECK_OK);
    assert_int_equal(pbcheck_repair(&credit__v1__push_batch_request__descriptor, buf, len, NULL),
                     0);

    r = credit__v1__push_batch_request__unpack(NULL, len, buf);
    assert_non_null(r);
    assert_string_equal(r->records[0]->penalty->content, "罚款?伍千元");
    assert_string_equal(r->records[1]->extra[0]->value->text, "???");
    assert_string_equal(r->records[2]->penalty->content, "a?(b");
    credit__v1__push_batch_request__free_unpacked(r, NULL);
    free(buf);
}

static void test_repair_leaves_valid_bytes_untouched(void **state)
{
    static const char *const content[3] = {"罚款人民币伍千元", "\t\n", "x"};
    batch b;
    size_t len;
    uint8_t *buf, *copy;

    (void)state;
    batch_init(&b, content);
    batch_extra(&b, "k", "值", "k2", "");
    buf = packed(&b.req.base, &len);
    copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, buf, len);
    assert_int_equal(pbcheck_repair(&credit__v1__push_batch_request__descriptor, buf, len, NULL),
                     0);
    assert_memory_equal(buf, copy, len);
    free(copy);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_accepts_utf8_text_and_an_empty_message),
        cmocka_unit_test(test_find_names_a_nul_in_a_oneof_member_of_a_repeated_message),
        cmocka_unit_test(test_find_names_invalid_utf8_with_its_byte_and_offset),
        cmocka_unit_test(test_find_refuses_truncated_overlong_and_surrogate_sequences),
        cmocka_unit_test(test_find_names_a_map_value_by_its_key),
        cmocka_unit_test(test_find_names_a_map_entry_by_index_when_its_key_cannot_be_shown),
        cmocka_unit_test(test_find_counts_a_repeated_field_across_interleaved_fields),
        cmocka_unit_test(test_find_skips_unknown_fields_and_reads_through_them),
        cmocka_unit_test(test_find_reports_bytes_that_are_no_message_as_malformed),
        cmocka_unit_test(test_find_refuses_messages_nested_deeper_than_the_limit),
        cmocka_unit_test(test_find_cuts_a_long_path_at_the_limit),
        cmocka_unit_test(test_repair_replaces_every_faulty_byte_and_keeps_the_encoding),
        cmocka_unit_test(test_repair_leaves_valid_bytes_untouched),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
