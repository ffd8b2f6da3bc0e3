/*
 * test_textproto.c — the protobuf text format reader (server/rules/textproto.c).
 *
 * Messages come from the generated credit.v1 and google.protobuf types (proto3 and proto2),
 * plus a small hand-written descriptor, test.Kitchen, for the scalar types none of them uses
 * (float, sint*, sfixed*, fixed*, repeated bool and bytes). Every error case checks line,
 * column, path and a piece of the reason, and that *out was left alone. The last test compares
 * our encoding of a catalogue with what `protoc --encode` makes of the same text. Run under
 * AddressSanitizer, every test also proves that nothing leaks or is freed twice.
 */
#include "testutil.h"

#include <math.h>

#include "credit/v1/catalogue.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "textproto.h"

/* --- test.Kitchen: one field of each scalar type the generated messages lack --------------- */

typedef struct kitchen {
    ProtobufCMessage base;
    float f;
    double d;
    int32_t s32;  /* sint32 */
    int32_t sf32; /* sfixed32 */
    uint32_t fx32;
    int64_t s64;  /* sint64 */
    int64_t sf64; /* sfixed64 */
    uint64_t fx64;
    size_t n_floats;
    float *floats;
    size_t n_flags;
    protobuf_c_boolean *flags;
    size_t n_blobs;
    ProtobufCBinaryData *blobs;
} kitchen;

static const ProtobufCMessageDescriptor kitchen_descriptor;

static void kitchen_init(ProtobufCMessage *m)
{
    memset(m, 0, sizeof(kitchen));
    m->descriptor = &kitchen_descriptor;
}

#define KITCHEN_FIELD(field, number, lab, typ, q)                                                  \
    {                                                                                              \
        .name = #field, .id = number, .label = PROTOBUF_C_LABEL_##lab,                             \
        .type = PROTOBUF_C_TYPE_##typ, .quantifier_offset = q, .offset = offsetof(kitchen, field), \
    }

static const ProtobufCFieldDescriptor kitchen_fields[] = {
    KITCHEN_FIELD(f, 1, NONE, FLOAT, 0),
    KITCHEN_FIELD(d, 2, NONE, DOUBLE, 0),
    KITCHEN_FIELD(s32, 3, NONE, SINT32, 0),
    KITCHEN_FIELD(sf32, 4, NONE, SFIXED32, 0),
    KITCHEN_FIELD(fx32, 5, NONE, FIXED32, 0),
    KITCHEN_FIELD(s64, 6, NONE, SINT64, 0),
    KITCHEN_FIELD(sf64, 7, NONE, SFIXED64, 0),
    KITCHEN_FIELD(fx64, 8, NONE, FIXED64, 0),
    KITCHEN_FIELD(floats, 9, REPEATED, FLOAT, offsetof(kitchen, n_floats)),
    KITCHEN_FIELD(flags, 10, REPEATED, BOOL, offsetof(kitchen, n_flags)),
    KITCHEN_FIELD(blobs, 11, REPEATED, BYTES, offsetof(kitchen, n_blobs)),
};

/* Indices of kitchen_fields in strcmp order of their names. */
static const unsigned kitchen_by_name[] = {10, 1, 0, 9, 8, 4, 7, 2, 5, 3, 6};
static const ProtobufCIntRange kitchen_ranges[] = {{1, 0}, {0, 11}};

static const ProtobufCMessageDescriptor kitchen_descriptor = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "test.Kitchen",
    .short_name = "Kitchen",
    .c_name = "Kitchen",
    .package_name = "test",
    .sizeof_message = sizeof(kitchen),
    .n_fields = sizeof kitchen_fields / sizeof kitchen_fields[0],
    .fields = kitchen_fields,
    .fields_sorted_by_name = kitchen_by_name,
    .n_field_ranges = 1,
    .field_ranges = kitchen_ranges,
    .message_init = kitchen_init,
};

/* --- Helpers ------------------------------------------------------------------------------- */

#define CATALOGUE     (&credit__v1__catalogue_version__descriptor)
#define SECTION       (&credit__v1__section__descriptor)
#define DIMENSION     (&credit__v1__dimension__descriptor)
#define RECORD_INPUT  (&credit__v1__public_record_input__descriptor)
#define EXTRA_VALUE   (&credit__v1__extra_value__descriptor)
#define DATE          (&credit__v1__date__descriptor)
#define TIMESTAMP     (&google__protobuf__timestamp__descriptor)
#define UNINTERPRETED (&google__protobuf__uninterpreted_option__descriptor)
#define KITCHEN       (&kitchen_descriptor)

/* Parses NUL-terminated text as type d, failing the test (with the error) if it does not. */
#define PARSE_OK(d, text) parse_ok(__FILE__, __LINE__, (d), (text))

static void *parse_ok(const char *file, int line, const ProtobufCMessageDescriptor *d,
                      const char *text)
{
    ProtobufCMessage *m = NULL;
    textproto_error err;

    if (textproto_parse(d, text, strlen(text), &m, &err) != 0) {
        print_error("%s:%d: parse failed at %d:%d [%s]: %s\n", file, line, err.line, err.column,
                    err.path, err.reason);
        fail();
    }
    assert_non_null(m);
    assert_int_equal(err.line, 0);
    assert_string_equal(err.reason, "");
    return m;
}

static void drop(void *m)
{
    protobuf_c_message_free_unpacked(m, NULL);
}

/* Parses text as type d, which must fail at line:col with path `path` and a reason that holds
 * `reason`, leaving *out untouched. */
#define EXPECT_ERROR(d, text, line, col, path, reason)                                             \
    expect_error(__FILE__, __LINE__, (d), (text), (line), (col), (path), (reason))

static void expect_error(const char *file, int at, const ProtobufCMessageDescriptor *d,
                         const char *text, int line, int col, const char *path, const char *reason)
{
    ProtobufCMessage sentinel;
    ProtobufCMessage *m = &sentinel;
    textproto_error err;
    int rc;

    memset(&err, 0x5A, sizeof err);
    rc = textproto_parse(d, text, strlen(text), &m, &err);
    if (rc == 0) {
        print_error("%s:%d: parse of <<%s>> succeeded; wanted an error \"%s\"\n", file, at, text,
                    reason);
        if (m != &sentinel)
            drop(m);
        fail();
    }
    if (m != &sentinel || err.line != line || err.column != col || strcmp(err.path, path) != 0 ||
        !strstr(err.reason, reason)) {
        print_error("%s:%d: parse of <<%s>>\n  got    %d:%d [%s] %s (out %s)\n"
                    "  wanted %d:%d [%s] ...%s...\n",
                    file, at, text, err.line, err.column, err.path, err.reason,
                    m == &sentinel ? "untouched" : "CHANGED", line, col, path, reason);
        fail();
    }
}

/* --- The grammar --------------------------------------------------------------------------- */

/* A catalogue as the seed file would write one; also the text of the protoc round trip. */
static const char catalogue_text[] =
    "# 综合信用信息目录, version 1\n"
    "version: 1\n"
    "effective_at { seconds: 1767225600 }\n"
    "approved_at: < seconds: 1767225600 nanos: 500 >\n"
    "approved_by: \"seed\"\n"
    "summary: \"初始目录 initial catalogue\" ' — tab\\tand \\\"quotes\\\"'\n"
    "catalogues {\n"
    "  catalogue: CATALOGUE_PUBLIC\n"
    "  name: \"公共信用信息目录\"\n"
    "  input_message: \"credit.v1.PublicRecordInput\"\n"
    "  common: [\n"
    "    { code: \"subject_name\" name: \"主体名称\" field: \"subject.name\" type: "
    "VALUE_TYPE_TEXT\n"
    "      required: true tier: TIER_OPEN },\n"
    "    { code: \"subject_id\", name: \"统一社会信用代码\"; field: \"subject.identifier\";\n"
    "      type: VALUE_TYPE_USCC; required: True; tier: 1 }\n"
    "  ]\n"
    "  sections {\n"
    "    code: \"PENALTY\"\n"
    "    name: \"行政处罚\"\n"
    "    responsible_kinds: [UNIT_KIND_DEPARTMENT, UNIT_KIND_SERVICE_UNIT]\n"
    "    responsible_kinds: 1\n"
    "    responsible_units: [\"u1\", 'u2']\n"
    "    dimensions {\n"
    "      code: \"fine_amount\" name: \"罚款金额\" field: \"penalty.fine_amount_fen\"\n"
    "      type: VALUE_TYPE_AMOUNT_FEN tier: TIER_OPEN\n"
    "      description: \"in fen\\n\\x41\\101\\u4e2d\\U0001F600\"\n"
    "    }\n"
    "    dimensions: { code: \"severity\" type: VALUE_TYPE_ENUM tier: TIER_GOVERNMENT }\n"
    "    publicity { severity: SEVERITY_GENERAL min_months: 3 max_months: 0x0C }\n"
    "    publicity < severity: SEVERITY_SERIOUS, min_months: 12, max_months: 036 >\n"
    "    body: \"penalty\"\n"
    "  }\n"
    "}\n"
    "catalogues: { catalogue: CATALOGUE_FINANCE name: \"\" }\n";

static void test_catalogue_version_parses_every_level_of_nesting(void **state)
{
    Credit__V1__CatalogueVersion *v;
    Credit__V1__CatalogueDefinition *c;
    Credit__V1__Section *s;
    (void)state;

    v = PARSE_OK(CATALOGUE, catalogue_text);
    assert_int_equal(v->version, 1);
    assert_non_null(v->effective_at);
    assert_int_equal(v->effective_at->seconds, 1767225600);
    assert_int_equal(v->effective_at->nanos, 0);
    assert_int_equal(v->approved_at->nanos, 500);
    assert_string_equal(v->approved_by, "seed");
    assert_string_equal(v->change_request_id, "");
    assert_string_equal(v->summary, "初始目录 initial catalogue — tab\tand \"quotes\"");
    assert_int_equal(v->n_catalogues, 2);

    c = v->catalogues[0];
    assert_int_equal(c->catalogue, CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC);
    assert_string_equal(c->name, "公共信用信息目录");
    assert_int_equal(c->n_common, 2);
    assert_string_equal(c->common[0]->code, "subject_name");
    assert_int_equal(c->common[0]->type, CREDIT__V1__VALUE_TYPE__VALUE_TYPE_TEXT);
    assert_true(c->common[0]->required);
    assert_int_equal(c->common[0]->tier, CREDIT__V1__TIER__TIER_OPEN);
    assert_string_equal(c->common[1]->field, "subject.identifier");
    assert_int_equal(c->common[1]->type, CREDIT__V1__VALUE_TYPE__VALUE_TYPE_USCC);
    assert_int_equal(c->common[1]->tier, CREDIT__V1__TIER__TIER_OPEN);

    assert_int_equal(c->n_sections, 1);
    s = c->sections[0];
    assert_string_equal(s->code, "PENALTY");
    assert_int_equal(s->n_responsible_kinds, 3);
    assert_int_equal(s->responsible_kinds[0], CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT);
    assert_int_equal(s->responsible_kinds[1], CREDIT__V1__UNIT_KIND__UNIT_KIND_SERVICE_UNIT);
    assert_int_equal(s->responsible_kinds[2], 1);
    assert_int_equal(s->n_responsible_units, 2);
    assert_string_equal(s->responsible_units[1], "u2");
    assert_int_equal(s->n_dimensions, 2);
    assert_string_equal(s->dimensions[0]->description, "in fen\nAA中😀");
    assert_int_equal(s->dimensions[1]->tier, CREDIT__V1__TIER__TIER_GOVERNMENT);
    assert_int_equal(s->n_publicity, 2);
    assert_int_equal(s->publicity[0]->severity, CREDIT__V1__SEVERITY__SEVERITY_GENERAL);
    assert_int_equal(s->publicity[0]->max_months, 12);
    assert_int_equal(s->publicity[1]->min_months, 12);
    assert_int_equal(s->publicity[1]->max_months, 30); /* 036 is octal */
    assert_string_equal(s->body, "penalty");

    assert_int_equal(v->catalogues[1]->catalogue, CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE);
    assert_int_equal(v->catalogues[1]->n_sections, 0);
    drop(v);
}

static void test_comments_whitespace_and_both_separators_are_ignored(void **state)
{
    Credit__V1__Dimension *d;
    (void)state;

    d = PARSE_OK(DIMENSION,
                 "# leading comment\n"
                 "\t\r\n code:\"a\";name :'b' , # trailing comment\n"
                 "\v\f field\n:\n\"c\"type:VALUE_TYPE_DATE;tier:TIER_OPEN,required:true#end");
    assert_string_equal(d->code, "a");
    assert_string_equal(d->name, "b");
    assert_string_equal(d->field, "c");
    assert_int_equal(d->type, CREDIT__V1__VALUE_TYPE__VALUE_TYPE_DATE);
    assert_int_equal(d->tier, CREDIT__V1__TIER__TIER_OPEN);
    assert_true(d->required);
    drop(d);

    /* One separator after a field, not two. */
    EXPECT_ERROR(DIMENSION, "code: \"a\";;", 1, 11, "",
                 "expected a field name or the end of the text, found ';'");
}

static void test_message_values_take_braces_angles_and_an_optional_colon(void **state)
{
    Credit__V1__CatalogueVersion *v;
    (void)state;

    v = PARSE_OK(CATALOGUE, "effective_at { seconds: 1 }\n"
                            "approved_at: < seconds: 2 >\n"
                            "catalogues: { name: \"a\" }\n"
                            "catalogues < name: \"b\" >\n"
                            "catalogues: [ { name: \"c\" }, < name: \"d\" > ]\n"
                            "catalogues [ { name: \"e\" } ]");
    assert_int_equal(v->effective_at->seconds, 1);
    assert_int_equal(v->approved_at->seconds, 2);
    assert_int_equal(v->n_catalogues, 5);
    assert_string_equal(v->catalogues[0]->name, "a");
    assert_string_equal(v->catalogues[1]->name, "b");
    assert_string_equal(v->catalogues[2]->name, "c");
    assert_string_equal(v->catalogues[3]->name, "d");
    assert_string_equal(v->catalogues[4]->name, "e");
    drop(v);
}

static void test_repeated_fields_mix_lists_and_repetition_in_order(void **state)
{
    Credit__V1__Section *s;
    char text[4096];
    size_t n = 0;
    (void)state;

    s = PARSE_OK(SECTION, "responsible_units: \"a\"\n"
                          "responsible_units: [\"b\", \"c\"]\n"
                          "responsible_units: \"d\"\n"
                          "responsible_units: []\n"
                          "responsible_kinds: [UNIT_KIND_OFFICE]\n"
                          "responsible_kinds: UNIT_KIND_DEPARTMENT\n"
                          "responsible_kinds: [2, UNIT_KIND_SERVICE_UNIT]\n"
                          "dimensions { code: \"x\" } dimensions [] dimensions { code: \"y\" }");
    assert_int_equal(s->n_responsible_units, 4);
    assert_string_equal(s->responsible_units[0], "a");
    assert_string_equal(s->responsible_units[1], "b");
    assert_string_equal(s->responsible_units[2], "c");
    assert_string_equal(s->responsible_units[3], "d");
    assert_int_equal(s->n_responsible_kinds, 4);
    assert_int_equal(s->responsible_kinds[0], CREDIT__V1__UNIT_KIND__UNIT_KIND_OFFICE);
    assert_int_equal(s->responsible_kinds[1], CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT);
    assert_int_equal(s->responsible_kinds[2], CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT);
    assert_int_equal(s->responsible_kinds[3], CREDIT__V1__UNIT_KIND__UNIT_KIND_SERVICE_UNIT);
    assert_int_equal(s->n_dimensions, 2);
    assert_string_equal(s->dimensions[1]->code, "y");
    drop(s);

    /* Enough elements that the array is grown several times. */
    n += (size_t)snprintf(text + n, sizeof text - n, "responsible_units: [");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s\"u%d\"", i ? ", " : "", i);
    n += (size_t)snprintf(text + n, sizeof text - n, "]");
    for (int i = 100; i < 150; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, " responsible_units: \"u%d\"", i);
    assert_true(n < sizeof text);
    s = PARSE_OK(SECTION, text);
    assert_int_equal(s->n_responsible_units, 150);
    for (int i = 0; i < 150; i++) {
        char want[16];
        snprintf(want, sizeof want, "u%d", i);
        assert_string_equal(s->responsible_units[i], want);
    }
    drop(s);
}

static void test_empty_text_gives_a_message_of_defaults(void **state)
{
    Credit__V1__CatalogueVersion *v;
    ProtobufCMessage *m = NULL;
    textproto_error err;
    (void)state;

    v = PARSE_OK(CATALOGUE, "");
    assert_int_equal(v->version, 0);
    assert_string_equal(v->summary, "");
    assert_null(v->effective_at);
    assert_int_equal(v->n_catalogues, 0);
    drop(v);

    v = PARSE_OK(CATALOGUE, "  # only a comment\n\n");
    drop(v);

    assert_int_equal(textproto_parse(CATALOGUE, NULL, 0, &m, &err), 0);
    assert_non_null(m);
    drop(m);

    v = PARSE_OK(CATALOGUE, "effective_at {} catalogues: <> catalogues {}");
    assert_non_null(v->effective_at);
    assert_int_equal(v->effective_at->seconds, 0);
    assert_int_equal(v->n_catalogues, 2);
    drop(v);
}

/* --- Strings ------------------------------------------------------------------------------- */

static void test_string_escapes_decode_to_the_bytes_they_name(void **state)
{
    Credit__V1__Dimension *d;
    (void)state;

    d = PARSE_OK(DIMENSION, "code: \"\\a\\b\\f\\n\\r\\t\\v\\?\\\\\\'\\\"\"\n"   /* simple escapes */
                            "name: '\\101\\60\\x41\\x4a\\x4A\\1234\\x213\\7'\n" /* octal and hex */
                            "field: \"\\u4e2d\\u00e9\\U0001F600\\ud83d\\ude00\"\n" /* Unicode */
                            "description: '\"' \"'\"");
    assert_string_equal(d->code, "\a\b\f\n\r\t\v?\\'\"");
    /* \1234 is \123 then '4'; \x213 is \x21 then '3' (the spec's examples). */
    assert_string_equal(d->name, "A0AJJS4!3\a");
    assert_string_equal(d->field, "中é😀😀");
    assert_string_equal(d->description, "\"'");
    drop(d);
}

static void test_adjacent_string_literals_concatenate(void **state)
{
    Credit__V1__Dimension *d;
    (void)state;

    d = PARSE_OK(DIMENSION, "code: \"a\" 'b'\n"
                            "  # a comment between the parts\n"
                            "  \"c\"\"d\"'e''' \"\"\n"
                            "name: \"\\xe4\\xb8\" \"\\xad\"");
    assert_string_equal(d->code, "abcde");
    /* UTF-8 is checked on the whole value, so a character may be split across literals. */
    assert_string_equal(d->name, "中");
    drop(d);
}

static void test_raw_chinese_text_passes_through_unchanged(void **state)
{
    static const char name[] = "行政处罚决定书文号 — ＡＢＣ：１２３，“引号” 😀 é";
    Credit__V1__Dimension *d;
    char text[512];
    (void)state;

    snprintf(text, sizeof text, "name: \"%s\" description: '%s'", name, name);
    d = PARSE_OK(DIMENSION, text);
    assert_string_equal(d->name, name);
    assert_memory_equal(d->description, name, sizeof name);
    drop(d);
}

static void test_empty_strings_are_fresh_allocations_freed_cleanly(void **state)
{
    Credit__V1__Dimension *d;
    Credit__V1__Section *s;
    (void)state;

    d = PARSE_OK(DIMENSION, "code: \"\" name: '' field: \"\" \"\"");
    assert_string_equal(d->code, "");
    assert_ptr_not_equal(d->code, protobuf_c_empty_string);
    assert_ptr_not_equal(d->field, protobuf_c_empty_string);
    assert_ptr_equal(d->description, protobuf_c_empty_string); /* never set: the default */
    drop(d);

    s = PARSE_OK(SECTION, "responsible_units: [\"\", \"\"]");
    assert_int_equal(s->n_responsible_units, 2);
    assert_string_equal(s->responsible_units[1], "");
    drop(s);
}

static void test_strings_may_not_contain_nul(void **state)
{
    (void)state;
    EXPECT_ERROR(DIMENSION, "code: \"a\\0b\"", 1, 9, "code", "strings may not contain NUL");
    EXPECT_ERROR(DIMENSION, "code: 'a\\x00'", 1, 9, "code", "strings may not contain NUL");
    EXPECT_ERROR(DIMENSION, "name: \"\" \"\\u0000\"", 1, 11, "name", "strings may not contain NUL");
    EXPECT_ERROR(SECTION, "responsible_units: [\"a\", \"\\000\"]", 1, 27, "responsible_units[1]",
                 "strings may not contain NUL");
}

static void test_string_fields_must_hold_valid_utf8(void **state)
{
    (void)state;
    EXPECT_ERROR(DIMENSION, "code: \"ok\\xff\"", 1, 7, "code", "not valid UTF-8 (byte 3");
    EXPECT_ERROR(DIMENSION, "code: \"\\xe4\\xb8\"", 1, 7, "code", "not valid UTF-8");
    EXPECT_ERROR(DIMENSION, "code: \"\xC3(\"", 1, 7, "code", "not valid UTF-8");
    EXPECT_ERROR(DIMENSION, "code: \"\\300\\200\"", 1, 7, "code", "not valid UTF-8"); /* overlong */
}

static void test_bad_escapes_are_rejected_at_the_backslash(void **state)
{
    (void)state;
    EXPECT_ERROR(DIMENSION, "code: \"中\\q\"", 1, 9, "code", "unknown escape \\q");
    EXPECT_ERROR(DIMENSION, "code: \"\\xg\"", 1, 8, "code", "\\x must be followed by hex");
    EXPECT_ERROR(DIMENSION, "code: \"ab\\u12\"", 1, 10, "code", "\\u must be followed by 4");
    EXPECT_ERROR(DIMENSION, "code: \"\\U0000004\"", 1, 8, "code", "\\U must be followed by 8");
    EXPECT_ERROR(DIMENSION, "code: \"\\400\"", 1, 8, "code", "above \\377");
    EXPECT_ERROR(DIMENSION, "code: \"\\ud800x\"", 1, 8, "code", "unpaired UTF-16 surrogate");
    EXPECT_ERROR(DIMENSION, "code: \"\\ude00\"", 1, 8, "code", "unpaired UTF-16 surrogate");
    EXPECT_ERROR(DIMENSION, "code: \"\\U00110000\"", 1, 8, "code", "beyond U+10FFFF");
}

static void test_bytes_fields_keep_nul_and_any_byte(void **state)
{
    Google__Protobuf__UninterpretedOption *u;
    kitchen *k;
    (void)state;

    u = PARSE_OK(UNINTERPRETED, "string_value: \"a\\0b\\377\\xff\" \"\\x00\"");
    assert_true(u->has_string_value);
    assert_int_equal(u->string_value.len, 6);
    assert_memory_equal(u->string_value.data, "a\0b\xff\xff\0", 6);
    drop(u);

    k = PARSE_OK(KITCHEN, "blobs: [\"\", '\\001'] blobs: \"\\xC3(\"");
    assert_int_equal(k->n_blobs, 3);
    assert_int_equal(k->blobs[0].len, 0);
    assert_non_null(k->blobs[0].data);
    assert_int_equal(k->blobs[1].len, 1);
    assert_int_equal(k->blobs[1].data[0], 1);
    assert_memory_equal(k->blobs[2].data, "\xC3(", 2); /* not UTF-8, and needs not be */
    drop(k);
}

/* --- Numbers, bools, enums ----------------------------------------------------------------- */

static void test_integers_accept_decimal_hex_octal_and_a_minus_sign(void **state)
{
    Credit__V1__Date *d;
    Google__Protobuf__Timestamp *t;
    (void)state;

    d = PARSE_OK(DATE, "year: 2025 month: 0x0a day: 017");
    assert_int_equal(d->year, 2025);
    assert_int_equal(d->month, 10);
    assert_int_equal(d->day, 15);
    drop(d);

    d = PARSE_OK(DATE, "year: -0X7B month: -010 day: - # a comment between\n 0");
    assert_int_equal(d->year, -123);
    assert_int_equal(d->month, -8);
    assert_int_equal(d->day, 0);
    drop(d);

    t = PARSE_OK(TIMESTAMP, "seconds: -1767225600 nanos: 999999999");
    assert_int_equal(t->seconds, -1767225600LL);
    assert_int_equal(t->nanos, 999999999);
    drop(t);
}

static void test_integer_limits_of_each_width_are_accepted(void **state)
{
    Credit__V1__Date *d;
    Credit__V1__CatalogueVersion *v;
    Google__Protobuf__Timestamp *t;
    Google__Protobuf__UninterpretedOption *u;
    kitchen *k;
    (void)state;

    d = PARSE_OK(DATE, "year: -2147483648 month: 2147483647 day: -0x80000000");
    assert_int_equal(d->year, INT32_MIN);
    assert_int_equal(d->month, INT32_MAX);
    assert_int_equal(d->day, INT32_MIN);
    drop(d);

    v = PARSE_OK(CATALOGUE, "version: 4294967295");
    assert_int_equal(v->version, UINT32_MAX);
    drop(v);

    t = PARSE_OK(TIMESTAMP, "seconds: -9223372036854775808");
    assert_true(t->seconds == INT64_MIN);
    drop(t);
    t = PARSE_OK(TIMESTAMP, "seconds: 0x7fffffffffffffff");
    assert_true(t->seconds == INT64_MAX);
    drop(t);

    u = PARSE_OK(UNINTERPRETED, "positive_int_value: 18446744073709551615 "
                                "negative_int_value: -01000000000000000000000");
    assert_true(u->has_positive_int_value);
    assert_true(u->positive_int_value == UINT64_MAX);
    assert_true(u->has_negative_int_value);
    assert_true(u->negative_int_value == INT64_MIN);
    drop(u);

    k = PARSE_OK(KITCHEN, "s32: -2147483648 sf32: 0x7fffffff fx32: 0xFFFFFFFF "
                          "s64: -9223372036854775808 sf64: 9223372036854775807 "
                          "fx64: 0xffffffffffffffff");
    assert_int_equal(k->s32, INT32_MIN);
    assert_int_equal(k->sf32, INT32_MAX);
    assert_int_equal(k->fx32, UINT32_MAX);
    assert_true(k->s64 == INT64_MIN);
    assert_true(k->sf64 == INT64_MAX);
    assert_true(k->fx64 == UINT64_MAX);
    drop(k);
}

static void test_integers_beyond_each_width_are_rejected_as_out_of_range(void **state)
{
    (void)state;
    EXPECT_ERROR(DATE, "year: 2147483648", 1, 7, "year",
                 "2147483648 is out of range for int32 field 'year' (-2147483648 to 2147483647)");
    EXPECT_ERROR(DATE, "month: 1 year: -2147483649", 1, 16, "year", "-2147483649 is out of range");
    EXPECT_ERROR(CATALOGUE, "version: 4294967296", 1, 10, "version",
                 "out of range for uint32 field 'version' (0 to 4294967295)");
    EXPECT_ERROR(TIMESTAMP, "seconds: 9223372036854775808", 1, 10, "seconds",
                 "out of range for int64");
    EXPECT_ERROR(TIMESTAMP, "seconds: -9223372036854775809", 1, 10, "seconds",
                 "out of range for int64");
    EXPECT_ERROR(UNINTERPRETED, "positive_int_value: 18446744073709551616", 1, 21,
                 "positive_int_value", "out of range for uint64");
    EXPECT_ERROR(UNINTERPRETED, "positive_int_value: 0x10000000000000000", 1, 21,
                 "positive_int_value", "out of range for uint64");
    EXPECT_ERROR(KITCHEN, "fx32: 0x100000000", 1, 7, "fx32", "out of range for fixed32");
    EXPECT_ERROR(KITCHEN, "s32: -0x80000001", 1, 6, "s32", "out of range for sint32");
    EXPECT_ERROR(KITCHEN, "sf32: 2147483648", 1, 7, "sf32", "out of range for sfixed32");
    EXPECT_ERROR(KITCHEN, "sf64: 0x8000000000000000", 1, 7, "sf64", "out of range for sfixed64");
    EXPECT_ERROR(KITCHEN, "s64: -9223372036854775809", 1, 6, "s64", "out of range for sint64");
}

static void test_unsigned_fields_reject_a_minus_sign(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "version: -1", 1, 10, "version",
                 "'version' is uint32 and cannot be negative");
    EXPECT_ERROR(CATALOGUE, "version: -0", 1, 10, "version", "cannot be negative");
    EXPECT_ERROR(KITCHEN, "fx64: -1", 1, 7, "fx64", "fixed64 and cannot be negative");
}

static void test_floats_accept_exponents_suffixes_inf_and_nan(void **state)
{
    kitchen *k;
    (void)state;

    k = PARSE_OK(KITCHEN, "f: 1.5f d: -2.5e-3\n"
                          "floats: [1, .5, 1e3, 2.5E+2, 10f, 3., -inf, Infinity, NAN, - 3.25, 0F]");
    assert_true(k->f == 1.5f);
    assert_true(k->d == -2.5e-3);
    assert_int_equal(k->n_floats, 11);
    assert_true(k->floats[0] == 1.0f);
    assert_true(k->floats[1] == 0.5f);
    assert_true(k->floats[2] == 1000.0f);
    assert_true(k->floats[3] == 250.0f);
    assert_true(k->floats[4] == 10.0f);
    assert_true(k->floats[5] == 3.0f);
    assert_true(isinf(k->floats[6]) && k->floats[6] < 0);
    assert_true(isinf(k->floats[7]) && k->floats[7] > 0);
    assert_true(isnan(k->floats[8]));
    assert_true(k->floats[9] == -3.25f);
    assert_true(k->floats[10] == 0.0f);
    drop(k);
}

static void test_float_overflow_is_infinity_as_the_spec_says(void **state)
{
    kitchen *k;
    Credit__V1__ExtraValue *e;
    (void)state;

    k = PARSE_OK(KITCHEN, "f: 1e39 d: -1e999 floats: [-1e39, 1e-50]");
    assert_true(isinf(k->f) && k->f > 0);
    assert_true(isinf(k->d) && k->d < 0);
    assert_true(isinf(k->floats[0]) && k->floats[0] < 0);
    assert_true(k->floats[1] == 0.0f);
    drop(k);

    e = PARSE_OK(EXTRA_VALUE, "decimal: 12345678901234567890123");
    assert_int_equal(e->value_case, CREDIT__V1__EXTRA_VALUE__VALUE_DECIMAL);
    assert_true(e->decimal == 12345678901234567890123.0);
    drop(e);
}

static void test_bools_accept_every_spelling(void **state)
{
    kitchen *k;
    static const int want[] = {1, 1, 1, 1, 0, 0, 0, 0, 1, 0};
    (void)state;

    k = PARSE_OK(KITCHEN, "flags: [true, True, t, 1, false, False, f, 0, 0x1, 00]");
    assert_int_equal(k->n_flags, 10);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(k->flags[i], want[i]);
    drop(k);

    EXPECT_ERROR(KITCHEN, "flags: 2", 1, 8, "flags[0]", "(bool) takes true or false");
    EXPECT_ERROR(KITCHEN, "flags: [t, TRUE]", 1, 12, "flags[1]", "not 'TRUE'");
    EXPECT_ERROR(KITCHEN, "flags: -1", 1, 8, "flags[0]", "not '-'");
}

static void test_enums_accept_value_names_and_known_numbers(void **state)
{
    Credit__V1__Dimension *d;
    (void)state;

    d = PARSE_OK(DIMENSION, "type: VALUE_TYPE_IDENTIFIER tier: 2");
    assert_int_equal(d->type, CREDIT__V1__VALUE_TYPE__VALUE_TYPE_IDENTIFIER);
    assert_int_equal(d->tier, CREDIT__V1__TIER__TIER_AUTHORIZED);
    drop(d);

    d = PARSE_OK(DIMENSION, "type: 0x3 tier: TIER_UNSPECIFIED");
    assert_int_equal(d->type, CREDIT__V1__VALUE_TYPE__VALUE_TYPE_USCC);
    assert_int_equal(d->tier, CREDIT__V1__TIER__TIER_UNSPECIFIED);
    drop(d);
}

static void test_unknown_enum_names_and_numbers_are_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR(DIMENSION, "tier: TIER_SECRET", 1, 7, "tier",
                 "'TIER_SECRET' is not a value of enum credit.v1.Tier");
    /* The C name is not the value's name. */
    EXPECT_ERROR(DIMENSION, "tier: CREDIT__V1__TIER__TIER_OPEN", 1, 7, "tier",
                 "is not a value of enum credit.v1.Tier");
    EXPECT_ERROR(DIMENSION, "tier: tier_open", 1, 7, "tier", "'tier_open' is not a value");
    EXPECT_ERROR(SECTION, "responsible_kinds: 42", 1, 20, "responsible_kinds[0]",
                 "42 is not a value of enum credit.v1.UnitKind");
    EXPECT_ERROR(DIMENSION, "tier: -1", 1, 7, "tier", "-1 is not a value of enum");
    EXPECT_ERROR(DIMENSION, "tier: 2147483648", 1, 7, "tier", "out of range");
}

/* --- Oneofs, maps, well-known and proto2 types -------------------------------------------- */

static void test_oneof_member_sets_the_case(void **state)
{
    Credit__V1__PublicRecordInput *r;
    Credit__V1__ExtraValue *e;
    (void)state;

    r = PARSE_OK(RECORD_INPUT, "source_record_id: \"R1\"\n"
                               "penalty { fine_amount_fen: 100 severity: SEVERITY_SERIOUS\n"
                               "          decision_date { year: 2025 month: 3 day: 1 } }\n"
                               "category: CATEGORY_PENALTY");
    assert_int_equal(r->body_case, CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_PENALTY);
    assert_int_equal(r->penalty->fine_amount_fen, 100);
    assert_int_equal(r->penalty->decision_date->month, 3);
    drop(r);

    e = PARSE_OK(EXTRA_VALUE, "text: \"公示\"");
    assert_int_equal(e->value_case, CREDIT__V1__EXTRA_VALUE__VALUE_TEXT);
    assert_string_equal(e->text, "公示");
    drop(e);

    e = PARSE_OK(EXTRA_VALUE, "text: \"\"");
    assert_int_equal(e->value_case, CREDIT__V1__EXTRA_VALUE__VALUE_TEXT);
    assert_string_equal(e->text, "");
    drop(e);

    e = PARSE_OK(EXTRA_VALUE, "flag: t");
    assert_int_equal(e->value_case, CREDIT__V1__EXTRA_VALUE__VALUE_FLAG);
    assert_true(e->flag);
    drop(e);
}

static void test_second_member_of_a_oneof_is_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR(RECORD_INPUT, "licence { } penalty { }", 1, 13, "penalty",
                 "fields 'licence' and 'penalty' are members of one oneof");
    EXPECT_ERROR(EXTRA_VALUE, "text: \"a\"\ninteger: 5", 2, 1, "integer",
                 "fields 'text' and 'integer' are members of one oneof");
    EXPECT_ERROR(EXTRA_VALUE, "date { year: 1 } date { year: 2 }", 1, 18, "date",
                 "'date' is given twice");
}

static void test_map_entries_parse_as_repeated_key_value_messages(void **state)
{
    Credit__V1__PublicRecordInput *r;
    (void)state;

    r = PARSE_OK(RECORD_INPUT,
                 "extra { key: \"a\" value { text: \"x\" } }\n"
                 "extra: [ { key: \"b\", value: < integer: -5 > },\n"
                 "         { value { date { year: 2025 month: 1 day: 2 } } key: \"c\" } ]\n"
                 "extra { key: \"d\" }");
    assert_int_equal(r->n_extra, 4);
    assert_string_equal(r->extra[0]->key, "a");
    assert_int_equal(r->extra[0]->value->value_case, CREDIT__V1__EXTRA_VALUE__VALUE_TEXT);
    assert_string_equal(r->extra[0]->value->text, "x");
    assert_string_equal(r->extra[1]->key, "b");
    assert_int_equal(r->extra[1]->value->integer, -5);
    assert_string_equal(r->extra[2]->key, "c");
    assert_int_equal(r->extra[2]->value->date->day, 2);
    assert_string_equal(r->extra[3]->key, "d");
    assert_null(r->extra[3]->value);
    drop(r);

    EXPECT_ERROR(RECORD_INPUT, "extra { key: \"a\" }\nextra { key: \"b\" value { flag: 2 } }", 2,
                 32, "extra[1].value.flag", "(bool) takes true or false");
}

static void test_timestamp_is_a_plain_message(void **state)
{
    Credit__V1__PublicRecordInput *r;
    (void)state;

    r = PARSE_OK(RECORD_INPUT, "occurred_at { seconds: 1767225600 nanos: 999999999 }");
    assert_non_null(r->occurred_at);
    assert_int_equal(r->occurred_at->seconds, 1767225600);
    assert_int_equal(r->occurred_at->nanos, 999999999);
    drop(r);

    EXPECT_ERROR(RECORD_INPUT, "occurred_at: \"2026-01-01T00:00:00Z\"", 1, 14, "occurred_at",
                 "(message google.protobuf.Timestamp) takes a block");
}

static void test_proto2_optional_fields_set_their_has_flags(void **state)
{
    Google__Protobuf__FieldOptions *o;
    Google__Protobuf__UninterpretedOption *u;
    (void)state;

    o = PARSE_OK(&google__protobuf__field_options__descriptor, "ctype: CORD packed: false");
    assert_true(o->has_ctype);
    assert_int_equal(o->ctype, GOOGLE__PROTOBUF__FIELD_OPTIONS__CTYPE__CORD);
    assert_true(o->has_packed);
    assert_false(o->packed);
    assert_false(o->has_jstype);
    assert_false(o->has_lazy);
    drop(o);

    u = PARSE_OK(UNINTERPRETED, "identifier_value: \"x\" double_value: 2.5 "
                                "name { name_part: \"a\" is_extension: false }");
    assert_string_equal(u->identifier_value, "x");
    assert_null(u->aggregate_value);
    assert_true(u->has_double_value);
    assert_true(u->double_value == 2.5);
    assert_false(u->has_positive_int_value);
    assert_int_equal(u->n_name, 1);
    assert_string_equal(u->name[0]->name_part, "a");
    drop(u);
}

static void test_proto2_required_field_left_out_is_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR(UNINTERPRETED, "name { name_part: \"x\" }", 1, 23, "name[0]",
                 "required field 'is_extension' of message "
                 "google.protobuf.UninterpretedOption.NamePart is missing");
    EXPECT_ERROR(&google__protobuf__uninterpreted_option__name_part__descriptor,
                 "is_extension: true\n", 2, 1, "", "required field 'name_part'");
}

/* --- Errors -------------------------------------------------------------------------------- */

static void test_unknown_field_is_rejected_naming_the_message_type(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "version: 1\ncatalogues {\n  sections { bogus: 1 }\n}\n", 3, 14,
                 "catalogues[0].sections[0].bogus",
                 "unknown field 'bogus' in message credit.v1.Section");
    EXPECT_ERROR(CATALOGUE, "Version: 1", 1, 1, "Version",
                 "unknown field 'Version' in message credit.v1.CatalogueVersion");
    /* JSON names are not text format names. */
    EXPECT_ERROR(CATALOGUE, "effectiveAt {}", 1, 1, "effectiveAt", "unknown field");
    EXPECT_ERROR(CATALOGUE, "[credit.v1.ext]: 1", 1, 1, "", "extension and Any field names");
    /* A message without fields has no name to find. */
    EXPECT_ERROR(&credit__v1__list_versions_request__descriptor, "\n  x: 1", 2, 3, "x",
                 "unknown field 'x' in message credit.v1.ListVersionsRequest");
}

static void test_non_repeated_field_given_twice_is_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "version: 1\nversion: 1\n", 2, 1, "version",
                 "field 'version' is given twice (first on line 1)");
    EXPECT_ERROR(CATALOGUE, "effective_at {}\n\n  effective_at { seconds: 1 }", 3, 3,
                 "effective_at", "given twice (first on line 1)");
    EXPECT_ERROR(CATALOGUE, "summary: \"\" summary: \"\"", 1, 13, "summary", "given twice");
}

static void test_value_of_the_wrong_kind_is_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "version: \"1\"", 1, 10, "version",
                 "field 'version' (uint32) takes an integer, not a string");
    EXPECT_ERROR(CATALOGUE, "version: 1.5", 1, 10, "version",
                 "takes an integer, not the number 1.5");
    EXPECT_ERROR(CATALOGUE, "version: one", 1, 10, "version", "takes an integer, not 'one'");
    EXPECT_ERROR(CATALOGUE, "summary: 5", 1, 10, "summary",
                 "field 'summary' (string) takes a string in quotes, not the number 5");
    EXPECT_ERROR(CATALOGUE, "summary: seed", 1, 10, "summary", "not 'seed'");
    EXPECT_ERROR(CATALOGUE, "effective_at: 5", 1, 15, "effective_at",
                 "(message google.protobuf.Timestamp) takes a block in '{...}' or '<...>'");
    EXPECT_ERROR(CATALOGUE, "summary { }", 1, 9, "summary",
                 "(string) takes a value after ':', not '{'");
    EXPECT_ERROR(CATALOGUE, "catalogues: [1]", 1, 14, "catalogues[0]", "takes a block");
    EXPECT_ERROR(SECTION, "responsible_kinds: \"UNIT_KIND_DEPARTMENT\"", 1, 20,
                 "responsible_kinds[0]",
                 "(enum credit.v1.UnitKind) takes a value name or number, not a string");
    EXPECT_ERROR(KITCHEN, "d: 0x10", 1, 4, "d", "(double) takes a decimal number");
    EXPECT_ERROR(KITCHEN, "f: 010", 1, 4, "f", "(float) takes a decimal number");
    EXPECT_ERROR(KITCHEN, "f: \"1\"", 1, 4, "f", "(float) takes a number");
    EXPECT_ERROR(KITCHEN, "d: infinite", 1, 4, "d", "inf, infinity, nan");
    EXPECT_ERROR(KITCHEN, "blobs: 1", 1, 8, "blobs[0]", "(bytes) takes a string in quotes");
}

static void test_list_for_a_non_repeated_field_is_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "version: [1]", 1, 10, "version",
                 "field 'version' is not repeated and takes one value, not a list");
    EXPECT_ERROR(CATALOGUE, "effective_at [{}]", 1, 14, "effective_at", "not repeated");
}

static void test_unterminated_strings_are_rejected_at_their_quote(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "summary: \"abc\nversion: 1", 1, 10, "summary",
                 "unterminated string: no closing \" before the end of the line");
    EXPECT_ERROR(CATALOGUE, "summary: 'abc", 1, 10, "summary",
                 "unterminated string: no closing ' before the end of the text");
    EXPECT_ERROR(CATALOGUE, "summary: \"abc\\\"", 1, 10, "summary", "unterminated string");
    EXPECT_ERROR(CATALOGUE, "summary: \"a\" \"b", 1, 14, "summary", "unterminated string");
}

static void test_unterminated_or_mismatched_blocks_are_rejected_at_their_bracket(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "catalogues {\n  name: \"x\"\n", 1, 12, "catalogues[0]",
                 "unterminated block: the '{' is never closed with '}'");
    EXPECT_ERROR(CATALOGUE, "catalogues {\n  sections <\n", 2, 12, "catalogues[0].sections[0]",
                 "the '<' is never closed with '>'");
    EXPECT_ERROR(CATALOGUE, "approved_at < seconds: 1 }", 1, 26, "approved_at",
                 "expected '>' to close the '<' on line 1, column 13, found '}'");
    EXPECT_ERROR(CATALOGUE, "catalogues: [{}, {}", 1, 13, "catalogues",
                 "unterminated list: the '[' is never closed");
    EXPECT_ERROR(SECTION, "responsible_units: [\"a\" \"b\" 'c' 3]", 1, 33, "responsible_units",
                 "expected ',' or ']' in the list of 'responsible_units', found the number 3");
}

static void test_trailing_garbage_after_the_message_is_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "version: 1\n}\n", 2, 1, "",
                 "unexpected '}' after the message: no block is open");
    EXPECT_ERROR(CATALOGUE, "effective_at { seconds: 1 } }", 1, 29, "", "unexpected '}'");
    EXPECT_ERROR(CATALOGUE, "version: 1 2", 1, 12, "",
                 "expected a field name or the end of the text, found the number 2");
    EXPECT_ERROR(CATALOGUE, "version: 1 \"x\"", 1, 12, "", "found a string");
    EXPECT_ERROR(CATALOGUE, "catalogues { name: \"a\" 7 }", 1, 24, "catalogues[0]",
                 "expected a field name, found the number 7");
}

static void test_missing_colon_value_or_name_is_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "version 1", 1, 9, "version",
                 "expected ':' after field name 'version', found the number 1");
    EXPECT_ERROR(SECTION, "responsible_units [\"a\"]", 1, 19, "responsible_units",
                 "expected ':' between field name 'responsible_units' and its list");
    EXPECT_ERROR(CATALOGUE, "summary:", 1, 9, "summary",
                 "takes a string in quotes, not the end of the text");
    EXPECT_ERROR(CATALOGUE, "version:\n\nsummary: \"\"", 3, 1, "version",
                 "takes an integer, not 'summary'");
    EXPECT_ERROR(CATALOGUE, "version: 1, , summary: \"\"", 1, 13, "",
                 "expected a field name or the end of the text, found ','");
    EXPECT_ERROR(SECTION, "responsible_units: [\"a\",]", 1, 25, "responsible_units[1]",
                 "takes a string in quotes, not ']'");
    EXPECT_ERROR(CATALOGUE, "effective_at:", 1, 14, "effective_at",
                 "takes a block in '{...}' or '<...>', not the end of the text");
    EXPECT_ERROR(DATE, "year: -", 1, 8, "year", "takes an integer, not the end of the text");
}

/* "nested_type { " levels times, then as many "}". */
static char *nested(int levels)
{
    static const char open[] = "nested_type { ";
    size_t n = (size_t)levels * (sizeof open - 1) + (size_t)levels + 1;
    char *s = malloc(n);
    size_t at = 0;

    assert_non_null(s);
    for (int i = 0; i < levels; i++, at += sizeof open - 1)
        memcpy(s + at, open, sizeof open - 1);
    memset(s + at, '}', (size_t)levels);
    s[n - 1] = '\0';
    return s;
}

static void test_nesting_of_64_levels_is_accepted_and_65_rejected(void **state)
{
    const ProtobufCMessageDescriptor *d = &google__protobuf__descriptor_proto__descriptor;
    Google__Protobuf__DescriptorProto *m, *x;
    ProtobufCMessage *out = NULL;
    textproto_error err;
    char *text = nested(64);
    int depth = 0;
    (void)state;

    m = PARSE_OK(d, text);
    for (x = m; x->n_nested_type == 1; x = x->nested_type[0])
        depth++;
    assert_int_equal(depth, 64);
    drop(m);
    free(text);

    text = nested(65);
    assert_int_equal(textproto_parse(d, text, strlen(text), &out, &err), -1);
    assert_null(out);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 64 * 14 + 13);
    CHECK_CONTAINS(err.reason, "messages nest deeper than 64 levels");
    /* The path is longer than fits: its start is kept and its cut marked. */
    assert_int_equal(strncmp(err.path, "nested_type[0].nested_type[0].", 30), 0);
    assert_int_equal(strlen(err.path), sizeof err.path - 1);
    assert_string_equal(err.path + sizeof err.path - 4, "...");
    free(text);
}

static void test_number_running_into_a_name_is_rejected(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "version: 1summary: \"\"", 1, 10, "version",
                 "the number 1 runs into 's'");
    EXPECT_ERROR(KITCHEN, "d: 1.5.2", 1, 4, "d", "runs into '.'");
    EXPECT_ERROR(KITCHEN, "d: 1e", 1, 4, "d", "runs into 'e'");
    EXPECT_ERROR(KITCHEN, "fx32: 0x1g", 1, 7, "fx32", "runs into 'g'");
    EXPECT_ERROR(KITCHEN, "fx32: 0x", 1, 7, "fx32", "'0x' must be followed by hexadecimal");
    EXPECT_ERROR(KITCHEN, "fx32: 09", 1, 7, "fx32", "09 is not an octal number");
    EXPECT_ERROR(KITCHEN, "d: 01.5", 1, 4, "d", "leading 0 is octal");
    /* A separator makes it fine. */
    drop(PARSE_OK(CATALOGUE, "version: 1,summary: \"\""));
}

static void test_error_path_names_repeated_elements_by_index(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE,
                 "catalogues {\n"
                 "  sections {}\n"
                 "  sections {}\n"
                 "  sections {}\n"
                 "  sections {\n"
                 "    dimensions { type: VALUE_TYPE_TEXT }\n"
                 "    dimensions { type: VALUE_NOPE }\n"
                 "  }\n"
                 "}\n",
                 7, 24, "catalogues[0].sections[3].dimensions[1].type",
                 "'VALUE_NOPE' is not a value of enum credit.v1.ValueType");
    EXPECT_ERROR(SECTION, "responsible_kinds: [UNIT_KIND_OFFICE, 0x2, NOPE]", 1, 44,
                 "responsible_kinds[2]", "'NOPE' is not a value");
}

static void test_error_column_counts_characters_not_bytes(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "summary: \"中文中文\" version: \"1\"", 1, 26, "version",
                 "takes an integer");
    EXPECT_ERROR(CATALOGUE, "# 注释：中文\n\tsummary: \"😀\" version: x", 2, 24, "version",
                 "not 'x'");
}

static void test_unexpected_characters_are_rejected_with_a_hint(void **state)
{
    (void)state;
    EXPECT_ERROR(CATALOGUE, "summary：\"x\"", 1, 8, "summary",
                 "unexpected character '：': outside strings");
    EXPECT_ERROR(CATALOGUE, "version: 1 @", 1, 12, "", "unexpected character '@'");
    EXPECT_ERROR(CATALOGUE, "version: \x01", 1, 10, "version", "control character 0x01");
    EXPECT_ERROR(CATALOGUE, "version: \xff", 1, 10, "version", "unexpected byte 0xFF");
    EXPECT_ERROR(CATALOGUE, "summary: \"x\" + ", 1, 14, "", "unexpected character '+'");
}

/* --- The call itself ----------------------------------------------------------------------- */

static void test_text_need_not_be_nul_terminated(void **state)
{
    static const char buf[] = "version: 42version: 7"; /* only the first 11 bytes are text */
    Credit__V1__CatalogueVersion *v = NULL;
    char *copy = malloc(11);
    textproto_error err;
    (void)state;

    assert_non_null(copy);
    memcpy(copy, buf, 11); /* exactly 11 bytes: ASan catches any read past them */
    assert_int_equal(textproto_parse(CATALOGUE, copy, 11, (ProtobufCMessage **)&v, &err), 0);
    assert_int_equal(v->version, 42);
    drop(v);

    memcpy(copy, "summary: \"", 10);
    copy[10] = 'x';
    assert_int_equal(textproto_parse(CATALOGUE, copy, 11, (ProtobufCMessage **)&v, &err), -1);
    CHECK_CONTAINS(err.reason, "before the end of the text");
    free(copy);
}

static void test_text_with_a_nul_byte_is_rejected(void **state)
{
    static const char text[] = "version: 1\n  \0 summary: \"x\"";
    ProtobufCMessage *m = NULL;
    textproto_error err;
    (void)state;

    assert_int_equal(textproto_parse(CATALOGUE, text, sizeof text - 1, &m, &err), -1);
    assert_null(m);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 3);
    CHECK_CONTAINS(err.reason, "NUL byte");
}

static void test_byte_order_mark_is_skipped(void **state)
{
    Credit__V1__CatalogueVersion *v;
    (void)state;

    v = PARSE_OK(CATALOGUE, "\xEF\xBB\xBFversion: 3");
    assert_int_equal(v->version, 3);
    drop(v);
    EXPECT_ERROR(CATALOGUE, "\xEF\xBB\xBFversion: x", 1, 10, "version", "takes an integer");
}

static void test_bad_arguments_are_rejected_without_a_place(void **state)
{
    ProtobufCMessage *m = NULL;
    textproto_error err;
    ProtobufCMessageDescriptor bogus;
    (void)state;

    memset(&bogus, 0, sizeof bogus);
    assert_int_equal(textproto_parse(NULL, "", 0, &m, &err), -1);
    assert_int_equal(err.line, 0);
    CHECK_CONTAINS(err.reason, "invalid arguments");
    assert_int_equal(textproto_parse(&bogus, "", 0, &m, &err), -1);
    assert_int_equal(textproto_parse(CATALOGUE, NULL, 3, &m, &err), -1);
    assert_int_equal(textproto_parse(CATALOGUE, "", 0, NULL, &err), -1);
    assert_null(m);
    /* err is optional. */
    assert_int_equal(textproto_parse(CATALOGUE, "version: x", 10, &m, NULL), -1);
    assert_null(m);
    assert_int_equal(textproto_parse(CATALOGUE, "version: 9", 10, &m, NULL), 0);
    assert_int_equal(((Credit__V1__CatalogueVersion *)m)->version, 9);
    drop(m);
}

/* Every prefix of a valid text, and the text with each byte replaced by a troublesome one,
 * either parses or fails cleanly: under AddressSanitizer this proves that whatever was built
 * before the fault is freed exactly once. */
static void test_every_truncation_and_corruption_fails_or_parses_cleanly(void **state)
{
    static const char bad[] = "{}<>[]:,;-\"'\\#0x";
    size_t len = sizeof catalogue_text - 1;
    char *copy = malloc(len);
    int ok = 0, failed = 0;
    (void)state;

    assert_non_null(copy);
    for (size_t n = 0; n <= len; n++) {
        ProtobufCMessage *m = NULL;
        textproto_error err;

        memcpy(copy, catalogue_text, n);
        if (textproto_parse(CATALOGUE, copy, n, &m, &err) == 0) {
            ok++;
            drop(m);
        } else {
            failed++;
            assert_null(m);
            assert_true(err.line >= 1 && err.column >= 1 && err.reason[0]);
        }
    }
    for (size_t i = 0; i < len; i++) {
        for (size_t b = 0; b < sizeof bad - 1; b++) {
            ProtobufCMessage *m = NULL;
            textproto_error err;

            memcpy(copy, catalogue_text, len);
            copy[i] = bad[b];
            if (textproto_parse(CATALOGUE, copy, len, &m, &err) == 0)
                drop(m);
            else
                assert_true(err.line >= 1 && err.reason[0]);
        }
    }
    free(copy);
    assert_true(ok > 1);
    assert_true(failed > 1);
}

/* --- Against protoc ------------------------------------------------------------------------ */

/* Whether an executable `name` is on PATH. */
static int on_path(const char *name)
{
    const char *path = getenv("PATH");
    char dir[PATH_MAX], file[PATH_MAX];

    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);

        if (n > 0 && n < sizeof dir) {
            memcpy(dir, path, n);
            dir[n] = '\0';
            if (tu_join(file, sizeof file, dir, name) == 0 && access(file, X_OK) == 0)
                return 1;
        }
        path = colon ? colon + 1 : NULL;
    }
    return 0;
}

static void test_encoding_matches_protoc_encode_of_the_same_text(void **state)
{
    const char *src;
    char dir[PATH_MAX], in[PATH_MAX], out[PATH_MAX];
    ProtobufCMessage *m;
    uint8_t *ours;
    char *theirs;
    size_t our_len, their_len;
    (void)state;

    if (!on_path("protoc")) {
        print_message("protoc is not on PATH: skipping the comparison with protoc --encode\n");
        skip();
    }
    src = tu_env("CREDIT_SOURCE_DIR");
    assert_non_null(src);
    assert_int_equal(tu_mkdtemp(dir, sizeof dir, "test_textproto"), 0);
    tu_path(in, dir, "catalogue.txtpb");
    tu_path(out, dir, "catalogue.binpb");
    assert_int_equal(tu_write_file(in, catalogue_text, sizeof catalogue_text - 1), 0);
    assert_int_equal(tu_sh("cd \"$1\" && protoc --encode=credit.v1.CatalogueVersion "
                           "-I\"$1/proto\" -I/usr/include credit/v1/catalogue.proto "
                           "<\"$2\" >\"$3\"",
                           src, in, out, NULL),
                     0);
    theirs = tu_read_file(out, &their_len);
    assert_non_null(theirs);

    m = PARSE_OK(CATALOGUE, catalogue_text);
    our_len = protobuf_c_message_get_packed_size(m);
    ours = malloc(our_len ? our_len : 1);
    assert_non_null(ours);
    assert_int_equal(protobuf_c_message_pack(m, ours), our_len);
    assert_int_equal(our_len, their_len);
    assert_memory_equal(ours, theirs, our_len);
    assert_true(our_len > 300);

    free(ours);
    free(theirs);
    drop(m);
    assert_int_equal(tu_rmrf(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_version_parses_every_level_of_nesting),
        cmocka_unit_test(test_comments_whitespace_and_both_separators_are_ignored),
        cmocka_unit_test(test_message_values_take_braces_angles_and_an_optional_colon),
        cmocka_unit_test(test_repeated_fields_mix_lists_and_repetition_in_order),
        cmocka_unit_test(test_empty_text_gives_a_message_of_defaults),
        cmocka_unit_test(test_string_escapes_decode_to_the_bytes_they_name),
        cmocka_unit_test(test_adjacent_string_literals_concatenate),
        cmocka_unit_test(test_raw_chinese_text_passes_through_unchanged),
        cmocka_unit_test(test_empty_strings_are_fresh_allocations_freed_cleanly),
        cmocka_unit_test(test_strings_may_not_contain_nul),
        cmocka_unit_test(test_string_fields_must_hold_valid_utf8),
        cmocka_unit_test(test_bad_escapes_are_rejected_at_the_backslash),
        cmocka_unit_test(test_bytes_fields_keep_nul_and_any_byte),
        cmocka_unit_test(test_integers_accept_decimal_hex_octal_and_a_minus_sign),
        cmocka_unit_test(test_integer_limits_of_each_width_are_accepted),
        cmocka_unit_test(test_integers_beyond_each_width_are_rejected_as_out_of_range),
        cmocka_unit_test(test_unsigned_fields_reject_a_minus_sign),
        cmocka_unit_test(test_floats_accept_exponents_suffixes_inf_and_nan),
        cmocka_unit_test(test_float_overflow_is_infinity_as_the_spec_says),
        cmocka_unit_test(test_bools_accept_every_spelling),
        cmocka_unit_test(test_enums_accept_value_names_and_known_numbers),
        cmocka_unit_test(test_unknown_enum_names_and_numbers_are_rejected),
        cmocka_unit_test(test_oneof_member_sets_the_case),
        cmocka_unit_test(test_second_member_of_a_oneof_is_rejected),
        cmocka_unit_test(test_map_entries_parse_as_repeated_key_value_messages),
        cmocka_unit_test(test_timestamp_is_a_plain_message),
        cmocka_unit_test(test_proto2_optional_fields_set_their_has_flags),
        cmocka_unit_test(test_proto2_required_field_left_out_is_rejected),
        cmocka_unit_test(test_unknown_field_is_rejected_naming_the_message_type),
        cmocka_unit_test(test_non_repeated_field_given_twice_is_rejected),
        cmocka_unit_test(test_value_of_the_wrong_kind_is_rejected),
        cmocka_unit_test(test_list_for_a_non_repeated_field_is_rejected),
        cmocka_unit_test(test_unterminated_strings_are_rejected_at_their_quote),
        cmocka_unit_test(test_unterminated_or_mismatched_blocks_are_rejected_at_their_bracket),
        cmocka_unit_test(test_trailing_garbage_after_the_message_is_rejected),
        cmocka_unit_test(test_missing_colon_value_or_name_is_rejected),
        cmocka_unit_test(test_nesting_of_64_levels_is_accepted_and_65_rejected),
        cmocka_unit_test(test_number_running_into_a_name_is_rejected),
        cmocka_unit_test(test_error_path_names_repeated_elements_by_index),
        cmocka_unit_test(test_error_column_counts_characters_not_bytes),
        cmocka_unit_test(test_unexpected_characters_are_rejected_with_a_hint),
        cmocka_unit_test(test_text_need_not_be_nul_terminated),
        cmocka_unit_test(test_text_with_a_nul_byte_is_rejected),
        cmocka_unit_test(test_byte_order_mark_is_skipped),
        cmocka_unit_test(test_bad_arguments_are_rejected_without_a_place),
        cmocka_unit_test(test_every_truncation_and_corruption_fails_or_parses_cleanly),
        cmocka_unit_test(test_encoding_matches_protoc_encode_of_the_same_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
