/*
 * fuzz_request_decode.c — every request the node serves, from hostile bytes: what rpc.c's
 * deliver() does before a handler runs, and what the collection services do next.
 *
 * Input: one selector byte naming a method (of every service the node serves, credit.v1,
 * health and reflection, in the order of fuzz_services.h), then the request's wire bytes.
 * For the method's input type the harness runs
 *   protobuf_c_message_unpack -> pbcheck_find -> canon_message (NFC, sorted maps),
 * as a request takes it, and proves on the way:
 *   - no sanitizer report (reads past the buffer, leaks, undefined behaviour) anywhere;
 *   - what pbcheck_repair repaired, pbcheck_find finds clean, and a request protobuf-c
 *     unpacked still unpacks after the repair (lengths never change);
 *   - a message canon_message accepted packs again, and the packed bytes unpack.
 * pbcheck and protobuf-c need not agree on what is malformed (pbcheck also limits depth), so
 * that is not asserted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "canon.h"
#include "fuzz_common.h"
#include "pbcheck.h"

#include "fuzz_services.h"

#define MAX_METHODS 256
static const ProtobufCMessageDescriptor *inputs[MAX_METHODS];
static size_t n_inputs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (size_t s = 0; s < FUZZ_N_SERVICES; s++)
        for (unsigned m = 0; m < fuzz_services[s]->n_methods; m++) {
            if (n_inputs == MAX_METHODS)
                FUZZ_SETUP_FAIL("more than %d methods", MAX_METHODS);
            inputs[n_inputs++] = fuzz_services[s]->methods[m].input;
        }
    return 0;
}

/* Repairs a copy of the request and checks that the repair left a clean, valid encoding. */
static void check_repair(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
                         int unpacked)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    if (len)
        memcpy(copy, buf, len);
    pbcheck_fault first;
    long fixed = pbcheck_repair(d, copy, len, &first);
    if (fixed > 0) {
        pbcheck_fault after;
        int rc = pbcheck_find(d, copy, len, &after);
        if (rc != PBCHECK_OK) {
            fprintf(stderr, "repaired message still at fault (%d): %s: %s\n", rc, after.path,
                    after.reason);
            abort();
        }
        ProtobufCMessage *m = unpacked ? protobuf_c_message_unpack(d, NULL, len, copy) : NULL;
        if (unpacked && !m) {
            fprintf(stderr, "repaired message no longer unpacks\n");
            abort();
        }
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
    }
    free(copy);
}

/* Packs a canonical message and unpacks the result: canon_message must leave a message
 * protobuf-c can encode. */
static void check_repack(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *out = malloc(n ? n : 1);
    if (!out)
        return;
    if (protobuf_c_message_pack(m, out) != n) {
        fprintf(stderr, "packed size disagrees with pack\n");
        abort();
    }
    ProtobufCMessage *again = protobuf_c_message_unpack(m->descriptor, NULL, n, out);
    if (!again) {
        fprintf(stderr, "a canonical message does not unpack after packing\n");
        abort();
    }
    protobuf_c_message_free_unpacked(again, NULL);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *d = inputs[fuzz_pick(data[0], n_inputs)];
    const uint8_t *buf = data + 1;
    size_t len = size - 1;

    ProtobufCMessage *req = protobuf_c_message_unpack(d, NULL, len, buf);
    pbcheck_fault f;
    int text = pbcheck_find(d, buf, len, &f);
    check_repair(d, buf, len, req != NULL);
    if (!req)
        return 0;
    if (text == PBCHECK_OK && canon_message(req) == 0)
        check_repack(req);
    protobuf_c_message_free_unpacked(req, NULL);
    return 0;
}
