/*
 * record_check.h — the checks a pushed public-credit record must pass before the node keeps it.
 * The calendar is calendar.h's and the publicity windows are publicity.h's, which the read
 * path (tier.h) uses too.
 *
 * record_check_input looks at one PublicRecordInput as a source unit pushed it and either
 * accepts it or names the first field at fault, with a gRPC status code and a reason an
 * operator can act on. It checks in a fixed order (the envelope, who may push it, the
 * subject, then the typed body), so the same input always gets the same answer. A reason
 * never contains a resident identity number or any other value that might be one.
 *
 * Everything here is pure: no allocation, no globals, no clock (the caller passes today's
 * date), no logging. Every function may be called from any thread at once. Pointers passed in
 * are borrowed for the call only.
 *
 * Dates are Credit__V1__Date messages; the ones written by these functions are initialised
 * with CREDIT__V1__DATE__INIT, so they can be packed as they are.
 */
#ifndef CREDIT_RECORD_CHECK_H
#define CREDIT_RECORD_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "credit/v1/industrial.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "status.h"

/* The status codes a check can give (status.h: the node's one vocabulary, nothing of gRPC). */
#define RECORD_CHECK_INVALID_ARGUMENT  RPC_INVALID_ARGUMENT
#define RECORD_CHECK_PERMISSION_DENIED RPC_PERMISSION_DENIED

/* Free text (content, facts, legal basis, remarks) and short fields (names, numbers, codes):
 * the most bytes each may hold. */
#define RECORD_CHECK_TEXT_MAX      4000
#define RECORD_CHECK_SHORT_MAX     200
#define RECORD_CHECK_SOURCE_ID_MAX 128 /* source_record_id */

/* The most faults record_check reports of one record; past them it stops looking. */
#define RECORD_CHECK_FAULTS_MAX 16

typedef struct check_fault {
    int code;
    int reason_code; /* enum rpc_reason: the kind of fault, stated where it was found */
    char field[96];
    char reason[200];
} check_fault;

typedef struct check_failure {
    int code;       /* gRPC status code: 3 INVALID_ARGUMENT, or 7 PERMISSION_DENIED */
    int reason_code; /* enum rpc_reason (status.h); its word is status_reason_word's */
    char field[96]; /* path of the field at fault: "subject.identifier", "penalty.decision_date" */
    char reason[200]; /* why, in words an operator understands; never an ID number's value */
    /* record_check: every fault found (the first is also code, field and reason above), one
     * per field; 0 after any other failure, which has only the one above. */
    size_t n_faults;
    check_fault faults[RECORD_CHECK_FAULTS_MAX];
    int collecting; /* record_check is filling faults[] (its own bookkeeping) */
} check_failure;

typedef struct check_unit { /* the pushing unit, as the node knows it */
    const char *code;
    int kind; /* Credit__V1__UnitKind */
} check_unit;

/* Every map<string, ExtraValue> entry protobuf-c generates (one type per input message) has
 * this layout. */
typedef struct record_extra_entry {
    ProtobufCMessage base;
    char *key;
    Credit__V1__ExtraValue *value;
} record_extra_entry;

/* What the checks read of a collected input message (PublicRecordInput,
 * ServiceUnitRecordInput, AssociationRecordInput, VoluntaryRecordInput): its fields found by
 * name. Pointers are borrowed from the message. */
typedef struct record_view {
    const ProtobufCMessage *message;
    int catalogue;                  /* Credit__V1__Catalogue */
    const char *source_record_id;
    int category;                   /* the public catalogue's Category; else 0 */
    const char *section;            /* the other catalogues' section code; else NULL */
    const Credit__V1__Subject *subject;
    const Credit__V1__AssociationRef *association; /* association records; else NULL */
    int channel;
    const Google__Protobuf__Timestamp *occurred_at;
    uint32_t body_case;                          /* the oneof case, 0 when not set */
    const ProtobufCFieldDescriptor *body_field;  /* the body member set, or NULL */
    const ProtobufCMessage *body;
    record_extra_entry *const *extra;
    size_t n_extra;
} record_view;

/* Fills *v from input message `in` of catalogue `catalogue`. Returns 0, or -1 if `in` is no
 * collected input (it has no source_record_id). */
int record_view_of(const ProtobufCMessage *in, int catalogue, record_view *v);

/* Checks a collected record as record_check_input checks a public one; for the other
 * catalogues the section code takes the category's place (field "section"). Unlike the
 * first-failure order below, it reports every fault it finds (f->faults, one per field): it
 * goes on past a fault wherever the later checks do not depend on what failed (it stops after
 * source_record_id's or category's section cannot be found, the unit is not responsible, or
 * the body is not the section's). */
int record_check(const record_view *in, const check_unit *unit, const catalog_version *cv,
                 const Credit__V1__Date *today, check_failure *f);

/* The channel a record of a unit of `unit_kind` came through when it names none: the kind's
 * usual one; CHANNEL_UNSPECIFIED when the kind may use none. */
int record_default_channel(int unit_kind);

/* Checks one pushed public record `in` from `unit` against catalogue version `cv` (the one in
 * force when the node accepts it). today: the current date in China Standard Time
 * (calendar_from_unix), for "not in the future". Returns 0 (f untouched), or -1 with *f
 * filled: f->code (RECORD_CHECK_INVALID_ARGUMENT, or RECORD_CHECK_PERMISSION_DENIED when the
 * catalogue does not make the unit responsible for the category), f->field and f->reason,
 * both NUL-terminated. f may be NULL when only the verdict matters. Checks in this order, the
 * first failure wins: source_record_id, category, the unit's responsibility, the body the
 * category's section takes, channel, subject (its identifier by its kind), a representative's
 * resident identity number, then the catalogue's dimensions, the common ones first, each in
 * catalogue order (each value by its type; required ones, and those required_when whose
 * conditions hold, present; values given within their bounds, allowed values and pattern; no
 * value outside a dimension; extra values), then the body's own rules (dates not in the
 * future, validity in order, a penalty's severity and publicity window). What a record must
 * hold is the catalogue's: no dimension is required, bounded or restricted here that the
 * catalogue does not say is. in, unit, cv and today must not be NULL. */
int record_check_input(const Credit__V1__PublicRecordInput *in, const check_unit *unit,
                       const catalog_version *cv, const Credit__V1__Date *today,
                       check_failure *f);

/* Checks number v given for dimension `dim` of catalogue version `version` (an industrial
 * sample's value), named `field` in a failure: finite; whole and at most 2^53 in magnitude
 * unless the dimension is VALUE_TYPE_DECIMAL; within the dimension's minimum and maximum. Returns
 * 0, or -1 with *f filled (INVALID_ARGUMENT; f may be NULL). */
int record_check_number(const catalog_dim *dim, uint32_t version, const char *field, double v,
                        check_failure *f);

/* Fills *f (status code, reason code — enum rpc_reason, the kind of fault, stated by the
 * caller where it found it —, field, the reason formatted printf-style, each cut to its
 * buffer) and returns -1: the one way a check of the node's says why it failed. */
int record_check_fail(check_failure *f, int code, int reason, const char *field, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));

/* A resident identity number's check character is X (GB 11643); sources often send x. Writes
 * the subject's natural-person identifier and a representative's resident ID number in upper
 * case, in place (the strings belong to the unpacked input), before anything reads them. */
void record_normalise_ids(const record_view *in);

/* Checks free text given in a request (a justification, a reason): at most `max` bytes of
 * UTF-8 without control characters other than line feeds and tabs, and with `required` not
 * empty nor blank. Returns 0, or -1 with *f filled (INVALID_ARGUMENT, naming `field`). */
int record_check_free_text(const char *field, const char *s, size_t max, int required,
                           check_failure *f);

/* The earliest instant a record's timestamps (VALUE_TYPE_TIMESTAMP dimensions such as occurred_at)
 * may hold: 1990-01-01T00:00:00 China time. Nothing the district collects happened earlier, and
 * a floor well after 1970 catches the empty Timestamp a client sends when it gives a Date or a
 * number where {seconds, nanos} was expected. */
#define RECORD_INSTANT_FLOOR      631123200LL /* 1990-01-01T00:00:00+08:00 */
#define RECORD_INSTANT_FLOOR_TEXT "1990-01-01"

/* Why timestamp t looks like a client's mistake rather than a time, worded for that mistake:
 * seconds and nanos both 0 (an empty Timestamp: a JS Date or a number given for the message),
 * or seconds that read as milliseconds since 1970. The reason starts with "is", to follow a
 * field's path; *reason (when not NULL) gets its reason code (OUT_OF_RANGE, FUTURE_DATE). NULL
 * when t is neither. Static storage; pure. */
const char *record_timestamp_mistake(const Google__Protobuf__Timestamp *t, int *reason);

/* An industrial sample's limits: its period covers at most 31 days, and starts at most a day
 * after the node's clock (a day's grace for the platforms' clocks and time zones). */
#define RECORD_SAMPLE_PERIOD_MAX (31u * 86400u)
#define RECORD_SAMPLE_AHEAD_MAX  86400

/* Whether a dimension of value type `type` holds a number a sample can give (DECIMAL, INTEGER,
 * AMOUNT_FEN): what a metric must be. Returns 1 or 0. */
int record_numeric_type(int type);

/* Checks one industrial sample `in` from `unit` against catalogue version `cv`, all but its
 * opt-in (which needs the store): enterprise_uscc a valid USCC; section a section of the
 * INDUSTRIAL catalogue that the unit is responsible for; metric a numeric dimension of it, and
 * value a number that dimension allows (record_check_number); period_start given, a real
 * instant, a whole second, from 1970 to at most RECORD_SAMPLE_AHEAD_MAX after `now` (seconds
 * since 1970); period_seconds at most RECORD_SAMPLE_PERIOD_MAX. Like record_check it reports
 * every fault (f->faults, one per field, with its reason code), going on past one except where
 * a later check needs what failed (no metric without its section). Returns 0 with *sec_out and
 * *dim_out (borrowed from cv), or -1 with *f filled (f may be NULL; the out-parameters are
 * untouched). */
int record_check_sample(const Credit__V1__Sample *in, const check_unit *unit,
                        const catalog_version *cv, int64_t now, const catalog_section **sec_out,
                        const catalog_dim **dim_out, check_failure *f);

#endif /* CREDIT_RECORD_CHECK_H */
