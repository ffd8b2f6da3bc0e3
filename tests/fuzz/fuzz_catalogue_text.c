/*
 * fuzz_catalogue_text.c — a catalogue file from hostile bytes: the text-format reader
 * (textproto.c) and then the checks catalog_open makes before a catalogue may drive the node
 * (catalog_compile: field paths, codes, bounds, patterns compiled with regcomp, conditions).
 *
 * Input: the whole text of a credit.v1.CatalogueVersion, as an operator's seed file. What
 * must hold: no sanitizer report; a refusal names a place (a line from 1 when the text has
 * one) and a reason; an accepted text compiles or is refused with a reason, and a compiled
 * version is destroyed cleanly. The version number is set to 1 as catalog_open sets it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ProtobufCMessage *m = NULL;
    textproto_error te;
    if (textproto_parse(&credit__v1__catalogue_version__descriptor, (const char *)data, size, &m,
                        &te) != 0) {
        if (te.line < 1 || te.column < 1 || te.reason[0] == '\0' ||
            memchr(te.path, '\0', sizeof te.path) == NULL ||
            memchr(te.reason, '\0', sizeof te.reason) == NULL) {
            fprintf(stderr, "a refusal without a place or a reason (%d:%d)\n", te.line,
                    te.column);
            abort();
        }
        return 0;
    }
    Credit__V1__CatalogueVersion *v = (Credit__V1__CatalogueVersion *)m;
    v->version = 1;
    catalog_version *cv = NULL;
    char err[CATALOG_ERR_LEN];
    if (catalog_compile(v, fuzz_any_unit, NULL, &cv, err) != 0) {
        if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL) {
            fprintf(stderr, "catalog_compile refused without a reason\n");
            abort();
        }
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
    }
    catalog_version_destroy(cv);
    return 0;
}
