/*
 * test_descset.c — unit tests for server/transport/descset.c and the logic of server/transport/reflection.c.
 *
 * The tests read the descriptor set that the build makes with
 *   protoc --include_imports --descriptor_set_out=credit.desc -Iproto -I/usr/share/grpc-proto \
 *       -I/usr/include credit/v1/unit.proto grpc/health/v1/health.proto \
 *       grpc/reflection/v1/reflection.proto grpc/reflection/v1alpha/reflection.proto
 * from the path given as the first argument, or else in the environment variable
 * CREDIT_DESC:  test_descset build/gen/credit.desc  or  CREDIT_DESC=... test_descset.
 * Without either the run fails at once: a skipped reflection test proves nothing.
 *
 * Reflection is tested through reflection_answer_v1 / _v1alpha, the pure functions behind the
 * handlers, so no server runs; each answer is unpacked and its contents checked, down to the
 * name and package of every FileDescriptorProto it carries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descset.h"
#include "reflection.h"

#include "google/protobuf/descriptor.pb-c.h"

#define ERR_LEN 256

/* Runs `expr`, which writes its message into the `err` in scope; on failure prints file, line,
 * the expression, its code and that message, and fails the test. */
#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        int rc_;                                                                                   \
        err[0] = '\0';                                                                             \
        rc_ = (expr);                                                                              \
        if (rc_ != 0) {                                                                            \
            print_error("%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #expr, rc_, err);       \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* The oneof cases of the reflection messages, by their field's name. */
#define V1_REQ(c)   GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_##c
#define V1_RESP(c)  GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_##c
#define V1A_REQ(c)  GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_##c
#define V1A_RESP(c) GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_##c

#define UNIT_PROTO      "credit/v1/unit.proto"
#define RECORD_PROTO "credit/v1/record.proto"
#define TIMESTAMP_PROTO "google/protobuf/timestamp.proto"
#define CATALOGUE_PROTO "credit/v1/catalogue.proto"

/* The descriptor set file, read once by main. */
static unsigned char *desc_data;
static size_t desc_len;

static int read_file(const char *path, unsigned char **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = -1;

    if (!f)
        return -1;
    for (;;) {
        size_t got;

        if (len == cap) {
            unsigned char *n = realloc(buf, cap ? cap * 2 : 65536);

            if (!n)
                goto out;
            buf = n;
            cap = cap ? cap * 2 : 65536;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f) || len == 0)
        goto out;
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

static int setup_set(void **state)
{
    char err[ERR_LEN];
    descset *ds = NULL;

    if (descset_create(desc_data, desc_len, &ds, err) != 0) {
        print_error("descset_create: %s\n", err);
        return -1;
    }
    *state = ds;
    return 0;
}

static int teardown_set(void **state)
{
    descset_destroy(*state);
    return 0;
}

/* Checks that `data` is a serialized FileDescriptorProto named `name` in package `package`. */
static void check_file_proto(const uint8_t *data, size_t len, const char *name, const char *package)
{
    Google__Protobuf__FileDescriptorProto *fd;

    fd = google__protobuf__file_descriptor_proto__unpack(NULL, len, data);
    assert_non_null(fd);
    assert_non_null(fd->name);
    assert_string_equal(fd->name, name);
    assert_non_null(fd->package);
    assert_string_equal(fd->package, package);
    google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
}

/* The closure of `symbol` has `file` first. */
static void check_symbol_in(const descset *ds, const char *symbol, const char *file)
{
    descset_file out[8];
    size_t n = descset_file_closure_by_symbol(ds, symbol, out, 8);

    if (n == 0) {
        print_error("symbol %s: not found\n", symbol);
        fail();
    }
    assert_true(n <= 8);
    assert_string_equal(out[0].name, file);
}

static int has_service(const descset *ds, const char *name)
{
    size_t i, seen = 0;

    for (i = 0; i < descset_service_count(ds); i++)
        seen += strcmp(descset_service_name(ds, i), name) == 0;
    return (int)seen;
}

/* --- descset ------------------------------------------------------------------------------- */

static void test_method_shape_reports_bidi_for_reflection(void **state)
{
    const descset *ds = *state;
    int cs = -1, ss = -1;

    assert_int_equal(descset_method_shape(ds, "grpc.reflection.v1.ServerReflection",
                                          "ServerReflectionInfo", &cs, &ss),
                     0);
    assert_int_equal(cs, 1);
    assert_int_equal(ss, 1);
    cs = ss = -1;
    assert_int_equal(descset_method_shape(ds, "grpc.reflection.v1alpha.ServerReflection",
                                          "ServerReflectionInfo", &cs, &ss),
                     0);
    assert_int_equal(cs, 1);
    assert_int_equal(ss, 1);
}

static void test_method_shape_reports_unary_for_whoami(void **state)
{
    const descset *ds = *state;
    int cs = -1, ss = -1;

    assert_int_equal(descset_method_shape(ds, "credit.v1.UnitRegistry", "WhoAmI", &cs, &ss), 0);
    assert_int_equal(cs, 0);
    assert_int_equal(ss, 0);
    cs = ss = -1;
    assert_int_equal(descset_method_shape(ds, ".credit.v1.UnitRegistry", "BindIdentity", &cs, &ss),
                     0);
    assert_int_equal(cs, 0);
    assert_int_equal(ss, 0);
}

static void test_health_watch_is_server_streaming(void **state)
{
    const descset *ds = *state;
    int cs = -1, ss = -1;

    assert_int_equal(descset_method_shape(ds, "grpc.health.v1.Health", "Watch", &cs, &ss), 0);
    assert_int_equal(cs, 0);
    assert_int_equal(ss, 1);
    assert_int_equal(descset_method_shape(ds, "grpc.health.v1.Health", "Check", &cs, &ss), 0);
    assert_int_equal(cs, 0);
    assert_int_equal(ss, 0);
}

static void test_unknown_method_has_no_shape(void **state)
{
    const descset *ds = *state;
    int cs = 7, ss = 7;

    assert_int_equal(descset_method_shape(ds, "credit.v1.UnitRegistry", "Nope", &cs, &ss), -1);
    assert_int_equal(descset_method_shape(ds, "credit.v1.Nope", "WhoAmI", &cs, &ss), -1);
    assert_int_equal(descset_method_shape(ds, "UnitRegistry", "WhoAmI", &cs, &ss), -1);
    /* Symbols that exist but are not methods. */
    assert_int_equal(descset_method_shape(ds, "credit.v1", "UnitRegistry", &cs, &ss), -1);
    assert_int_equal(descset_method_shape(ds, "credit.v1.Unit", "code", &cs, &ss), -1);
    assert_int_equal(descset_method_shape(ds, "credit.v1", "UnitRegistry.WhoAmI", &cs, &ss), -1);
    assert_int_equal(descset_method_shape(ds, "credit.v1.UnitRegistry", "", &cs, &ss), -1);
    assert_int_equal(descset_method_shape(ds, NULL, "WhoAmI", &cs, &ss), -1);
    assert_int_equal(descset_method_shape(ds, "credit.v1.UnitRegistry", NULL, &cs, &ss), -1);
    /* Failure leaves the out-parameters alone. */
    assert_int_equal(cs, 7);
    assert_int_equal(ss, 7);
}

static void test_services_include_health_reflection_and_unit_registry(void **state)
{
    const descset *ds = *state;
    size_t i;

    /* More services come with more files in proto/credit/v1; these four are always there. */
    assert_true(descset_service_count(ds) >= 4);
    assert_int_equal(has_service(ds, "credit.v1.UnitRegistry"), 1);
    assert_int_equal(has_service(ds, "grpc.health.v1.Health"), 1);
    assert_int_equal(has_service(ds, "grpc.reflection.v1.ServerReflection"), 1);
    assert_int_equal(has_service(ds, "grpc.reflection.v1alpha.ServerReflection"), 1);
    assert_null(descset_service_name(ds, descset_service_count(ds)));
    for (i = 0; i < descset_service_count(ds); i++)
        assert_int_equal(has_service(ds, descset_service_name(ds, i)), 1);
}

static void test_symbol_lookup_finds_service_method_message_enum_and_value(void **state)
{
    const descset *ds = *state;

    check_symbol_in(ds, "credit.v1.UnitRegistry", UNIT_PROTO);
    check_symbol_in(ds, "credit.v1.UnitRegistry.WhoAmI", UNIT_PROTO);
    check_symbol_in(ds, "credit.v1.Unit", UNIT_PROTO);
    check_symbol_in(ds, "credit.v1.Unit.registered_at", UNIT_PROTO);
    check_symbol_in(ds, "credit.v1.UnitKind", UNIT_PROTO);
    check_symbol_in(ds, "credit.v1.UNIT_KIND_OFFICE", UNIT_PROTO);
    check_symbol_in(ds, "credit.v1.UnitKind.UNIT_KIND_OFFICE", UNIT_PROTO);
    check_symbol_in(ds, ".credit.v1.Unit", UNIT_PROTO);
    check_symbol_in(ds, "google.protobuf.Timestamp", TIMESTAMP_PROTO);
    /* Nested enum, its values in the enclosing message's scope and under the enum. */
    check_symbol_in(ds, "grpc.health.v1.HealthCheckResponse.ServingStatus",
                    "grpc/health/v1/health.proto");
    check_symbol_in(ds, "grpc.health.v1.HealthCheckResponse.SERVING",
                    "grpc/health/v1/health.proto");
    check_symbol_in(ds, "grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING",
                    "grpc/health/v1/health.proto");
    /* A oneof member of a reflection message, and the same name in the two versions. */
    check_symbol_in(ds, "grpc.reflection.v1.ServerReflectionRequest.file_by_filename",
                    "grpc/reflection/v1/reflection.proto");
    check_symbol_in(ds, "grpc.reflection.v1alpha.ServerReflectionRequest.file_by_filename",
                    "grpc/reflection/v1alpha/reflection.proto");
}

/* catalogue.proto imports timestamp.proto, record.proto and unit.proto, and both of these import
 * timestamp.proto too: the closure is depth-first and lists timestamp.proto once. */
static void test_closure_lists_the_file_first_then_its_imports_once(void **state)
{
    const descset *ds = *state;
    descset_file out[6];
    size_t n;

    memset(out, 0, sizeof(out));
    n = descset_file_closure_by_name(ds, CATALOGUE_PROTO, out, 6);
    assert_int_equal(n, 4);
    assert_string_equal(out[0].name, CATALOGUE_PROTO);
    assert_string_equal(out[1].name, TIMESTAMP_PROTO);
    assert_string_equal(out[2].name, RECORD_PROTO);
    assert_string_equal(out[3].name, UNIT_PROTO);
    check_file_proto(out[0].data, out[0].len, CATALOGUE_PROTO, "credit.v1");
    check_file_proto(out[1].data, out[1].len, TIMESTAMP_PROTO, "google.protobuf");
    assert_null(out[4].name);

    /* Too small an array: the full count comes back, only `max` entries are written. */
    memset(out, 0, sizeof(out));
    assert_int_equal(descset_file_closure_by_name(ds, CATALOGUE_PROTO, out, 1), 4);
    assert_string_equal(out[0].name, CATALOGUE_PROTO);
    assert_null(out[1].name);
    assert_int_equal(descset_file_closure_by_name(ds, CATALOGUE_PROTO, NULL, 0), 4);

    /* A file without imports is its own closure; a symbol gives its file's closure. */
    assert_int_equal(descset_file_closure_by_name(ds, TIMESTAMP_PROTO, out, 4), 1);
    assert_string_equal(out[0].name, TIMESTAMP_PROTO);
    assert_int_equal(descset_file_closure_by_symbol(ds, "credit.v1.Unit", out, 4), 2);
    assert_string_equal(out[0].name, UNIT_PROTO);
    assert_string_equal(out[1].name, TIMESTAMP_PROTO);
}

static void test_unknown_symbol_and_file_are_not_found(void **state)
{
    const descset *ds = *state;
    descset_file out[4];

    memset(out, 0, sizeof(out));
    assert_int_equal(descset_file_closure_by_symbol(ds, "credit.v1.Nope", out, 4), 0);
    assert_int_equal(descset_file_closure_by_symbol(ds, "credit.v1.UnitRegistry.WhoAmI.x", out, 4),
                     0);
    assert_int_equal(descset_file_closure_by_symbol(ds, "Unit", out, 4), 0);
    assert_int_equal(descset_file_closure_by_symbol(ds, "credit.v1.Uni", out, 4), 0);
    assert_int_equal(descset_file_closure_by_symbol(ds, "credit.v1.Unitx", out, 4), 0);
    assert_int_equal(descset_file_closure_by_symbol(ds, "", out, 4), 0);
    assert_int_equal(descset_file_closure_by_symbol(ds, ".", out, 4), 0);
    assert_int_equal(descset_file_closure_by_symbol(ds, NULL, out, 4), 0);
    assert_int_equal(descset_file_closure_by_name(ds, "credit/v1/nope.proto", out, 4), 0);
    assert_int_equal(descset_file_closure_by_name(ds, "credit/v1/unit", out, 4), 0);
    assert_int_equal(descset_file_closure_by_name(ds, "/credit/v1/unit.proto", out, 4), 0);
    assert_int_equal(descset_file_closure_by_name(ds, "", out, 4), 0);
    assert_null(out[0].name);
}

/* Packs a set of `n` files named by `names` (NULL: a file without a name). */
static unsigned char *pack_set(const char *const *names, size_t n, size_t *len)
{
    Google__Protobuf__FileDescriptorSet set = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_SET__INIT;
    Google__Protobuf__FileDescriptorProto files[4], *ptrs[4];
    unsigned char *buf;
    size_t i;

    assert_true(n <= 4);
    for (i = 0; i < n; i++) {
        google__protobuf__file_descriptor_proto__init(&files[i]);
        files[i].name = (char *)names[i];
        ptrs[i] = &files[i];
    }
    set.n_file = n;
    set.file = ptrs;
    *len = google__protobuf__file_descriptor_set__get_packed_size(&set);
    buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    google__protobuf__file_descriptor_set__pack(&set, buf);
    return buf;
}

static void test_corrupt_set_is_rejected_with_message(void **state)
{
    static const unsigned char garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0x99};
    static const char *const unnamed[] = {"a.proto", NULL};
    static const char *const twice[] = {"a.proto", "b.proto", "a.proto"};
    descset *sentinel = (descset *)&sentinel, *ds = sentinel;
    char err[ERR_LEN];
    unsigned char *buf;
    size_t len;

    (void)state;
    err[0] = '\0';
    assert_int_equal(descset_create(garbage, sizeof(garbage), &ds, err), -1);
    assert_ptr_equal(ds, sentinel);
    assert_non_null(strstr(err, "not a valid FileDescriptorSet"));

    /* Cut in the middle of the first file. */
    err[0] = '\0';
    assert_int_equal(descset_create(desc_data, desc_len / 2, &ds, err), -1);
    assert_ptr_equal(ds, sentinel);
    assert_non_null(strstr(err, "not a valid FileDescriptorSet"));

    err[0] = '\0';
    buf = pack_set(unnamed, 2, &len);
    assert_int_equal(descset_create(buf, len, &ds, err), -1);
    free(buf);
    assert_ptr_equal(ds, sentinel);
    assert_non_null(strstr(err, "file #2 has no name"));

    err[0] = '\0';
    buf = pack_set(twice, 3, &len);
    assert_int_equal(descset_create(buf, len, &ds, err), -1);
    free(buf);
    assert_ptr_equal(ds, sentinel);
    assert_non_null(strstr(err, "a.proto appears twice"));

    err[0] = '\0';
    assert_int_equal(descset_create(NULL, 10, &ds, err), -1);
    assert_ptr_equal(ds, sentinel);
    assert_true(err[0] != '\0');
}

static void test_set_copies_its_input(void **state)
{
    char err[ERR_LEN];
    unsigned char *copy = malloc(desc_len);
    descset *ds = NULL;
    descset_file out[3];
    int cs = 0, ss = 0;

    (void)state;
    assert_non_null(copy);
    memcpy(copy, desc_data, desc_len);
    CHECK_OK(descset_create(copy, desc_len, &ds, err));
    memset(copy, 0, desc_len);
    free(copy);
    assert_int_equal(descset_file_closure_by_symbol(ds, "credit.v1.UnitRegistry", out, 3), 2);
    check_file_proto(out[0].data, out[0].len, UNIT_PROTO, "credit.v1");
    assert_int_equal(descset_method_shape(ds, "grpc.health.v1.Health", "Watch", &cs, &ss), 0);
    assert_int_equal(ss, 1);
    descset_destroy(ds);
    descset_destroy(NULL);
}

/* --- reflection ---------------------------------------------------------------------------- */

static Grpc__Reflection__V1__ServerReflectionResponse *
ask_v1(const descset *ds, const Grpc__Reflection__V1__ServerReflectionRequest *req)
{
    Grpc__Reflection__V1__ServerReflectionResponse *resp;
    uint8_t *buf = NULL;
    size_t len = 0;

    assert_int_equal(reflection_answer_v1(ds, req, &buf, &len), 0);
    assert_non_null(buf);
    resp = grpc__reflection__v1__server_reflection_response__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(resp);
    return resp;
}

static Grpc__Reflection__V1alpha__ServerReflectionResponse *
ask_v1alpha(const descset *ds, const Grpc__Reflection__V1alpha__ServerReflectionRequest *req)
{
    Grpc__Reflection__V1alpha__ServerReflectionResponse *resp;
    uint8_t *buf = NULL;
    size_t len = 0;

    assert_int_equal(reflection_answer_v1alpha(ds, req, &buf, &len), 0);
    assert_non_null(buf);
    resp = grpc__reflection__v1alpha__server_reflection_response__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(resp);
    return resp;
}

static void test_reflection_lists_all_services_v1(void **state)
{
    const descset *ds = *state;
    Grpc__Reflection__V1__ServerReflectionRequest req =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1__ServerReflectionResponse *resp;
    size_t i, registry = 0, health = 0;

    req.message_request_case = V1_REQ(LIST_SERVICES);
    req.list_services = "*";
    resp = ask_v1(ds, &req);
    assert_int_equal(resp->message_response_case, V1_RESP(LIST_SERVICES_RESPONSE));
    assert_int_equal(resp->list_services_response->n_service, descset_service_count(ds));
    for (i = 0; i < resp->list_services_response->n_service; i++) {
        const char *name = resp->list_services_response->service[i]->name;

        assert_string_equal(name, descset_service_name(ds, i));
        registry += strcmp(name, "credit.v1.UnitRegistry") == 0;
        health += strcmp(name, "grpc.health.v1.Health") == 0;
    }
    assert_int_equal(registry, 1);
    assert_int_equal(health, 1);
    grpc__reflection__v1__server_reflection_response__free_unpacked(resp, NULL);
}

static void test_reflection_v1alpha_answers_file_by_filename(void **state)
{
    const descset *ds = *state;
    Grpc__Reflection__V1alpha__ServerReflectionRequest req =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1alpha__ServerReflectionResponse *resp;
    Grpc__Reflection__V1alpha__FileDescriptorResponse *fdr;

    req.message_request_case = V1A_REQ(FILE_BY_FILENAME);
    req.file_by_filename = CATALOGUE_PROTO;
    resp = ask_v1alpha(ds, &req);
    assert_int_equal(resp->message_response_case, V1A_RESP(FILE_DESCRIPTOR_RESPONSE));
    fdr = resp->file_descriptor_response;
    assert_int_equal(fdr->n_file_descriptor_proto, 4);
    check_file_proto(fdr->file_descriptor_proto[0].data, fdr->file_descriptor_proto[0].len,
                     CATALOGUE_PROTO, "credit.v1");
    check_file_proto(fdr->file_descriptor_proto[1].data, fdr->file_descriptor_proto[1].len,
                     TIMESTAMP_PROTO, "google.protobuf");
    check_file_proto(fdr->file_descriptor_proto[2].data, fdr->file_descriptor_proto[2].len,
                     RECORD_PROTO, "credit.v1");
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(resp, NULL);
}

static void test_reflection_v1_answers_file_containing_method(void **state)
{
    const descset *ds = *state;
    Grpc__Reflection__V1__ServerReflectionRequest req =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1__ServerReflectionResponse *resp;
    Grpc__Reflection__V1__FileDescriptorResponse *fdr;

    req.message_request_case = V1_REQ(FILE_CONTAINING_SYMBOL);
    req.file_containing_symbol = "grpc.health.v1.Health.Watch";
    resp = ask_v1(ds, &req);
    assert_int_equal(resp->message_response_case, V1_RESP(FILE_DESCRIPTOR_RESPONSE));
    fdr = resp->file_descriptor_response;
    assert_int_equal(fdr->n_file_descriptor_proto, 1);
    check_file_proto(fdr->file_descriptor_proto[0].data, fdr->file_descriptor_proto[0].len,
                     "grpc/health/v1/health.proto", "grpc.health.v1");
    grpc__reflection__v1__server_reflection_response__free_unpacked(resp, NULL);
}

static void test_reflection_unknown_symbol_answers_not_found(void **state)
{
    const descset *ds = *state;
    Grpc__Reflection__V1__ServerReflectionRequest req =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1__ExtensionRequest ext = GRPC__REFLECTION__V1__EXTENSION_REQUEST__INIT;
    Grpc__Reflection__V1__ServerReflectionResponse *resp;

    req.message_request_case = V1_REQ(FILE_CONTAINING_SYMBOL);
    req.file_containing_symbol = "credit.v1.NoSuchThing";
    resp = ask_v1(ds, &req);
    assert_int_equal(resp->message_response_case, V1_RESP(ERROR_RESPONSE));
    assert_int_equal(resp->error_response->error_code, RPC_NOT_FOUND);
    assert_non_null(strstr(resp->error_response->error_message, "credit.v1.NoSuchThing"));
    grpc__reflection__v1__server_reflection_response__free_unpacked(resp, NULL);

    req.message_request_case = V1_REQ(FILE_BY_FILENAME);
    req.file_by_filename = "credit/v1/nope.proto";
    resp = ask_v1(ds, &req);
    assert_int_equal(resp->error_response->error_code, RPC_NOT_FOUND);
    assert_non_null(strstr(resp->error_response->error_message, "credit/v1/nope.proto"));
    grpc__reflection__v1__server_reflection_response__free_unpacked(resp, NULL);

    /* No file defines extensions. */
    req.message_request_case = V1_REQ(FILE_CONTAINING_EXTENSION);
    ext.containing_type = "credit.v1.Unit";
    ext.extension_number = 100;
    req.file_containing_extension = &ext;
    resp = ask_v1(ds, &req);
    assert_int_equal(resp->error_response->error_code, RPC_NOT_FOUND);
    assert_non_null(strstr(resp->error_response->error_message, "credit.v1.Unit"));
    grpc__reflection__v1__server_reflection_response__free_unpacked(resp, NULL);

    req.message_request_case = V1_REQ(ALL_EXTENSION_NUMBERS_OF_TYPE);
    req.all_extension_numbers_of_type = "credit.v1.Nope";
    resp = ask_v1(ds, &req);
    assert_int_equal(resp->error_response->error_code, RPC_NOT_FOUND);
    grpc__reflection__v1__server_reflection_response__free_unpacked(resp, NULL);
}

static void test_reflection_extension_numbers_of_known_type_are_empty(void **state)
{
    const descset *ds = *state;
    Grpc__Reflection__V1alpha__ServerReflectionRequest req =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1alpha__ServerReflectionResponse *resp;

    req.message_request_case = V1A_REQ(ALL_EXTENSION_NUMBERS_OF_TYPE);
    req.all_extension_numbers_of_type = "credit.v1.Unit";
    resp = ask_v1alpha(ds, &req);
    assert_int_equal(resp->message_response_case, V1A_RESP(ALL_EXTENSION_NUMBERS_RESPONSE));
    assert_string_equal(resp->all_extension_numbers_response->base_type_name, "credit.v1.Unit");
    assert_int_equal(resp->all_extension_numbers_response->n_extension_number, 0);
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(resp, NULL);
}

static void test_reflection_echoes_host_and_original_request(void **state)
{
    const descset *ds = *state;
    Grpc__Reflection__V1__ServerReflectionRequest req =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1alpha__ServerReflectionRequest alpha =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1__ServerReflectionResponse *resp;
    Grpc__Reflection__V1alpha__ServerReflectionResponse *aresp;

    req.host = "node.example:8443";
    req.message_request_case = V1_REQ(FILE_CONTAINING_SYMBOL);
    req.file_containing_symbol = "credit.v1.Missing";
    resp = ask_v1(ds, &req);
    assert_string_equal(resp->valid_host, "node.example:8443");
    assert_non_null(resp->original_request);
    assert_string_equal(resp->original_request->host, "node.example:8443");
    assert_int_equal(resp->original_request->message_request_case, V1_REQ(FILE_CONTAINING_SYMBOL));
    assert_string_equal(resp->original_request->file_containing_symbol, "credit.v1.Missing");
    grpc__reflection__v1__server_reflection_response__free_unpacked(resp, NULL);

    alpha.host = "other.example";
    alpha.message_request_case = V1A_REQ(LIST_SERVICES);
    alpha.list_services = "";
    aresp = ask_v1alpha(ds, &alpha);
    assert_string_equal(aresp->valid_host, "other.example");
    assert_non_null(aresp->original_request);
    assert_string_equal(aresp->original_request->host, "other.example");
    assert_int_equal(aresp->original_request->message_request_case, V1A_REQ(LIST_SERVICES));
    assert_int_equal(aresp->list_services_response->n_service, descset_service_count(ds));
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(aresp, NULL);
}

static void test_reflection_empty_request_is_invalid_argument(void **state)
{
    const descset *ds = *state;
    Grpc__Reflection__V1__ServerReflectionRequest req =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1alpha__ServerReflectionRequest alpha =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    Grpc__Reflection__V1__ServerReflectionResponse *resp;
    Grpc__Reflection__V1alpha__ServerReflectionResponse *aresp;

    resp = ask_v1(ds, &req);
    assert_int_equal(resp->message_response_case, V1_RESP(ERROR_RESPONSE));
    assert_int_equal(resp->error_response->error_code, RPC_INVALID_ARGUMENT);
    assert_true(resp->error_response->error_message[0] != '\0');
    grpc__reflection__v1__server_reflection_response__free_unpacked(resp, NULL);

    aresp = ask_v1alpha(ds, &alpha);
    assert_int_equal(aresp->message_response_case, V1A_RESP(ERROR_RESPONSE));
    assert_int_equal(aresp->error_response->error_code, RPC_INVALID_ARGUMENT);
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(aresp, NULL);
}

static void test_reflection_services_are_bidi_and_open_to_verified_peers(void **state)
{
    const descset *ds = *state;
    const rpc_service *svcs[] = {&reflection_v1_service, &reflection_v1alpha_service};
    size_t i;

    for (i = 0; i < 2; i++) {
        const rpc_service *s = svcs[i];
        int cs = 0, ss = 0;

        assert_int_equal(s->auth, RPC_AUTH_VERIFIED);
        assert_int_equal(s->audited, 0);
        assert_int_equal(s->n_handlers, 1);
        assert_string_equal(s->handlers[0].method, "ServerReflectionInfo");
        assert_non_null(s->handlers[0].on_message);
        assert_null(s->handlers[0].on_half_close);
        assert_non_null(protobuf_c_service_descriptor_get_method_by_name(s->descriptor,
                                                                         "ServerReflectionInfo"));
        assert_int_equal(
            descset_method_shape(ds, s->descriptor->name, s->handlers[0].method, &cs, &ss), 0);
        assert_int_equal(cs, 1);
        assert_int_equal(ss, 1);
    }
    assert_string_equal(reflection_v1_service.descriptor->name,
                        "grpc.reflection.v1.ServerReflection");
    assert_string_equal(reflection_v1alpha_service.descriptor->name,
                        "grpc.reflection.v1alpha.ServerReflection");
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : getenv("CREDIT_DESC");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_shape_reports_bidi_for_reflection),
        cmocka_unit_test(test_method_shape_reports_unary_for_whoami),
        cmocka_unit_test(test_health_watch_is_server_streaming),
        cmocka_unit_test(test_unknown_method_has_no_shape),
        cmocka_unit_test(test_services_include_health_reflection_and_unit_registry),
        cmocka_unit_test(test_symbol_lookup_finds_service_method_message_enum_and_value),
        cmocka_unit_test(test_closure_lists_the_file_first_then_its_imports_once),
        cmocka_unit_test(test_unknown_symbol_and_file_are_not_found),
        cmocka_unit_test(test_corrupt_set_is_rejected_with_message),
        cmocka_unit_test(test_set_copies_its_input),
        cmocka_unit_test(test_reflection_lists_all_services_v1),
        cmocka_unit_test(test_reflection_v1alpha_answers_file_by_filename),
        cmocka_unit_test(test_reflection_v1_answers_file_containing_method),
        cmocka_unit_test(test_reflection_unknown_symbol_answers_not_found),
        cmocka_unit_test(test_reflection_extension_numbers_of_known_type_are_empty),
        cmocka_unit_test(test_reflection_echoes_host_and_original_request),
        cmocka_unit_test(test_reflection_empty_request_is_invalid_argument),
        cmocka_unit_test(test_reflection_services_are_bidi_and_open_to_verified_peers),
    };
    int failed;

    if (!path || !*path) {
        fprintf(stderr,
                "usage: %s credit.desc (or set CREDIT_DESC): the descriptor set that "
                "protoc --include_imports wrote\n",
                argv[0]);
        return 1;
    }
    if (read_file(path, &desc_data, &desc_len) != 0) {
        fprintf(stderr, "%s: cannot read a descriptor set from %s\n", argv[0], path);
        return 1;
    }
    failed = cmocka_run_group_tests(tests, setup_set, teardown_set);
    free(desc_data);
    return failed;
}
