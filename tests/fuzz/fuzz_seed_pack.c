/*
 * fuzz_seed_pack.c — the helper make-seeds.py uses to write binary seed inputs: it reads one
 * JSON object (creditctl's reader, json_in.c) of a message type named on the command line and
 * writes its protobuf encoding to standard output. Not a harness; never run by ctest.
 *
 *   fuzz_seed_pack --list          every method of fuzz_services.h: "index /pkg.Svc/Method Type"
 *   fuzz_seed_pack TYPE < obj.json  the encoding of obj as TYPE (a full name, credit.v1.Sample)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input_types.h"
#include "fuzz_services.h"
#include "json_in.h"

static const ProtobufCMessageDescriptor *find_type(const char *name)
{
    for (size_t i = 0; i < FUZZ_N_INPUT_TYPES; i++)
        if (strcmp(fuzz_input_types[i]->name, name) == 0)
            return fuzz_input_types[i];
    for (size_t s = 0; s < FUZZ_N_SERVICES; s++)
        for (unsigned m = 0; m < fuzz_services[s]->n_methods; m++)
            if (strcmp(fuzz_services[s]->methods[m].input->name, name) == 0)
                return fuzz_services[s]->methods[m].input;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        size_t i = 0;
        for (size_t s = 0; s < FUZZ_N_SERVICES; s++)
            for (unsigned m = 0; m < fuzz_services[s]->n_methods; m++)
                printf("%zu /%s/%s %s\n", i++, fuzz_services[s]->name,
                       fuzz_services[s]->methods[m].name, fuzz_services[s]->methods[m].input->name);
        return 0;
    }
    const ProtobufCMessageDescriptor *d = argc == 2 ? find_type(argv[1]) : NULL;
    if (!d) {
        fprintf(stderr, "usage: fuzz_seed_pack --list | TYPE < obj.json\n");
        return 2;
    }
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text, stdin);
    ProtobufCMessage *m = NULL;
    json_in_error err;
    if (json_read_message(d, text, len, &m, &err) != 0) {
        fprintf(stderr, "fuzz_seed_pack: %s: %s\n", err.field, err.reason);
        return 1;
    }
    size_t n = protobuf_c_message_get_packed_size(m);
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf)
        return 1;
    protobuf_c_message_pack(m, buf);
    fwrite(buf, 1, n, stdout);
    free(buf);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
