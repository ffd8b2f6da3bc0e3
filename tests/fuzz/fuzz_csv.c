/*
 * fuzz_csv.c — a CSV file creditctl pushes, from hostile bytes: tools/csv_in.c (the RFC 4180
 * reader, the header's field paths, each row assembled into JSON and read by json_in.c).
 *
 * Input: byte 0 picks the message type (fuzz_input_types.h), the rest is the file. The file
 * is read as creditctl reads it: the first row is the header; while it resolves, every
 * following row becomes a message or a refusal. At most FUZZ_CSV_ROWS rows are read, so that
 * one input stays fast. What must hold: no sanitizer report, every refusal has a reason, and
 * the reader's offset never passes the input's size.
 */
#define _GNU_SOURCE 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_in.h"
#include "fuzz_common.h"
#include "fuzz_input_types.h"

#define FUZZ_CSV_ROWS 64

static void check_refusal(const json_in_error *err)
{
    if (memchr(err->field, '\0', sizeof err->field) == NULL ||
        memchr(err->reason, '\0', sizeof err->reason) == NULL || err->reason[0] == '\0') {
        fprintf(stderr, "a refusal without a reason\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0; /* fmemopen needs a byte to read */
    const ProtobufCMessageDescriptor *d = fuzz_input_types[fuzz_pick(data[0], FUZZ_N_INPUT_TYPES)];
    size_t len = size - 1;
    FILE *in = fmemopen((void *)(data + 1), len, "r");
    if (!in)
        return 0;
    csv_reader *r = csv_reader_create(in);
    if (!r) {
        fclose(in);
        return 0;
    }
    csv_columns *cols = NULL;
    csv_row row;
    json_in_error err;
    int got = csv_reader_next(r, &row, &err);
    if (got < 0)
        check_refusal(&err);
    if (got == 1 && !row.bad && csv_columns_create(d, &row, &cols, &err) != 0) {
        check_refusal(&err);
        cols = NULL;
    }
    for (int i = 0; cols && i < FUZZ_CSV_ROWS; i++) {
        got = csv_reader_next(r, &row, &err);
        if (got < 0)
            check_refusal(&err);
        if (got != 1)
            break;
        ProtobufCMessage *m = NULL;
        if (csv_row_message(cols, &row, &m, &err) != 0)
            check_refusal(&err);
        else
            protobuf_c_message_free_unpacked(m, NULL);
    }
    if (csv_reader_offset(r) > len) {
        fprintf(stderr, "the reader consumed more than the input\n");
        abort();
    }
    csv_columns_destroy(cols);
    csv_reader_destroy(r);
    fclose(in);
    return 0;
}
