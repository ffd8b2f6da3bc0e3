/*
 * csv_in.h — read protobuf-c messages from CSV (RFC 4180), one message a row.
 *
 * The reader: fields separated by commas, rows by CRLF or LF; a field in double quotes may hold
 * commas, line breaks (CRLF in a cell is read as LF, the one line break the node keeps in free
 * text) and quotes (written twice, ""); a UTF-8 byte order mark before the header is skipped;
 * an empty line is no row, and so is a row of empty cells only (",,,,", as Excel leaves them).
 * Every cell must be UTF-8 text without NUL.
 *
 * The header row names each column by a field path in the message, dot-separated, each step a
 * field's proto name or its lowerCamelCase JSON name: "subject.name", "declaration.conduct",
 * "penalty.decision_date". A row becomes the message whose fields are its non-empty cells (an
 * empty cell leaves the field unset). A cell's text is read as its field's type:
 *   - strings as they are; integers and floats as decimal text; bools as true or false; enums
 *     by value name (or number); bytes as base64;
 *   - a google.protobuf.Timestamp column as clerk_timestamp reads it (RFC 3339, or a clerk's
 *     date and time, China time without a zone: clerk.h);
 *   - a credit.v1.Date column as clerk_date reads it ("2024-01-05", "2024/1/5", "2024年1月5日",
 *     "20240105"; an impossible date says so), or as three columns .year .month .day;
 *   - an int64 field named *_fen (money) as clerk_amount reads it, in the unit the header or
 *     the dialect gives (csv_columns_create_with);
 *   - "extra.CODE" (a map<string, ExtraValue>) as the entry CODE, its member chosen from the
 *     text: a date YYYY-MM-DD is `date`, a whole number `integer`, another decimal number
 *     `decimal`, true or false `flag`, anything else `text`. A header "extra.CODE:text" (or
 *     :integer, :decimal, :flag, :date) says the member instead, for text that looks like a
 *     number or a date.
 * The cells are assembled into a JSON object and read by json_in.c (json_read_tree), so a
 * value is checked exactly as in JSON Lines; an error names the column.
 *
 * A clerk's file may also name columns otherwise and enum values by label: csv_dialect.
 *
 * Only creditctl uses it; it depends on protobuf-c, json-c, json_in.c and clerk.c.
 */
#ifndef CREDITCTL_CSV_IN_H
#define CREDITCTL_CSV_IN_H

#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "json_in.h"

typedef struct csv_reader csv_reader;

/* One row as read: n cells (NUL-terminated, valid until the next csv_reader_next), the line
 * the row starts on (the header is line 1) and, for a row that breaks the format, why. */
typedef struct csv_row {
    char **cells;
    size_t n;
    size_t line;
    int bad;              /* the row breaks the format: column and reason say how */
    size_t bad_column;    /* 1-based */
    char bad_reason[128];
} csv_row;

/* A reader of `in` (which the caller keeps open, and closes after csv_reader_destroy). NULL when
 * out of memory. */
csv_reader *csv_reader_create(FILE *in);
void csv_reader_destroy(csv_reader *r);

/* Reads the next row. Returns 1 and *row (a bad row too: row->bad set, and reading goes on
 * with the next line); 0 at the end of the input; -1 when the input cannot be read on
 * (an unterminated quoted field, a read error, out of memory): *err says where and why. */
int csv_reader_next(csv_reader *r, csv_row *row, json_in_error *err);

/* The bytes of the row last read, exactly as they were (quotes, doubled quotes and its line
 * end included; after the header row: the header's), in *len; valid until the next
 * csv_reader_next. NULL (and *len 0) when they could not be kept (out of memory). */
const char *csv_reader_raw(const csv_reader *r, size_t *len);

/* Bytes of the input consumed so far (the byte order mark included). */
uint64_t csv_reader_offset(const csv_reader *r);

/* The columns of a header row, resolved against a message type. */
typedef struct csv_columns csv_columns;

/* The columns the rejects file adds (creditctl push --rejects): read back, they are ignored. */
#define CSV_REJECT_REASON "reject_reason"
#define CSV_REJECT_COLUMN "reject_column"

/* What a clerk's file may say beyond field paths: names for columns, labels for enum values
 * (both from the catalogue in force and --map), and the unit of its amounts. Every member
 * may be zero. */
typedef struct csv_dialect {
    /* The field path a header names, or NULL (why[] filled when the name is known but
     * cannot be used, e.g. it names several fields; else left ""). `within`, when not NULL,
     * is the message (a top-level field: "penalty") the header's other columns fill: of
     * several fields of that name, the one under it is meant. */
    const char *(*field_of)(void *ctx, const char *header, const char *within, char *why,
                            size_t size);
    /* The name of the value of enum e that `text` is a label of, for the column at `path`,
     * or NULL. */
    const char *(*enum_of)(void *ctx, const char *path, const ProtobufCEnumDescriptor *e,
                           const char *text);
    /* The labels of value `name` of the column at `path`, "、"-separated, into buf. */
    void (*enum_labels)(void *ctx, const char *path, const char *name, char *buf, size_t size);
    void *ctx;
    int has_map;     /* for messages: names also come from a --map file */
    int amount_unit; /* clerk_unit of amount columns: see csv_columns_create_with */
} csv_dialect;

/* Resolves the header `row` against message type d. Returns 0 and *out (free with
 * csv_columns_destroy), or -1 with err naming the column: field = its header text, reason = "column
 * 3 (subject.nmae): no field 'nmae' in credit.v1.Subject" (an unknown field, a field given twice,
 * a column inside another column's value, a repeated field, a message named without a field). */
int csv_columns_create(const ProtobufCMessageDescriptor *d, const csv_row *header,
                       csv_columns **out, json_in_error *err);

/* The same, for a clerk's file (dialect may be NULL: none of it). Each header is trimmed
 * (blanks, U+3000, U+00A0); an empty one is a column without a field, whose cells must be
 * empty (Excel's trailing columns); reject_reason and reject_column are ignored; a header that
 * is no field path is looked up with dialect->field_of. An amount column (an int64 field whose
 * name ends in _fen) is read with clerk_amount: named by its field path it is in fen (and
 * --amount-unit yuan is refused for it), named otherwise its unit must be given
 * (dialect->amount_unit), else the header is refused. Dates and times are read with
 * clerk_date and clerk_timestamp; an enum by name, number or label (dialect->enum_of), its
 * error listing the allowed values. */
int csv_columns_create_with(const ProtobufCMessageDescriptor *d, const csv_row *header,
                            const csv_dialect *dialect, csv_columns **out, json_in_error *err);
void csv_columns_destroy(csv_columns *c);

/* The header, as written, of the column that holds the field at path `field` (as an error or
 * the node names it: "subject.identifier"); NULL when no column does. Valid while c is. */
const char *csv_columns_header(const csv_columns *c, const char *field);

/* Builds the message of a data row. Returns 0 and *out (free with
 * protobuf_c_message_free_unpacked(*out, NULL)), or -1 with err: field the column's field path
 * ("penalty.decision_date", "extra.code"; "" for a row of the wrong width or a bad row), reason
 * a sentence that names the column ("column 4 (penalty.decision_date): ..."). */
int csv_row_message(const csv_columns *c, const csv_row *row, ProtobufCMessage **out,
                    json_in_error *err);

#endif /* CREDITCTL_CSV_IN_H */
