/*
 * fuzz_json_lines.c — one line of a JSON Lines file creditctl pushes, from hostile bytes:
 * tools/json_in.c (json-c's tokenizer, then the walk of the message's descriptor: names,
 * enums, 64-bit integers as text, base64, RFC 3339 times, maps, oneofs).
 *
 * Input: byte 0 picks the message type (fuzz_input_types.h), the rest is the line's text.
 * What must hold: no sanitizer report; a refusal has a NUL-terminated field and a reason;
 * an accepted message packs and unpacks again (json_in built a well-formed message).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_input_types.h"
#include "json_in.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ProtobufCMessageDescriptor *d = fuzz_input_types[fuzz_pick(data[0], FUZZ_N_INPUT_TYPES)];
    ProtobufCMessage *m = NULL;
    json_in_error err;
    if (json_read_message(d, (const char *)data + 1, size - 1, &m, &err) != 0) {
        if (memchr(err.field, '\0', sizeof err.field) == NULL ||
            memchr(err.reason, '\0', sizeof err.reason) == NULL || err.reason[0] == '\0') {
            fprintf(stderr, "a refusal without a reason\n");
            abort();
        }
        return 0;
    }
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf) {
        protobuf_c_message_pack(m, buf);
        ProtobufCMessage *again = protobuf_c_message_unpack(d, NULL, n, buf);
        if (!again) {
            fprintf(stderr, "a message read from JSON does not unpack after packing\n");
            abort();
        }
        protobuf_c_message_free_unpacked(again, NULL);
        free(buf);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
