/*
 * credit/client.h — libcreditclient, the C client of a credit data-exchange node.
 *
 * Partner systems link this library to talk to a node ("system docking"): open a client
 * with the node's address and the unit's certificate files, then call. The node knows the
 * caller only by its certificate; no call carries an identity of its own.
 *
 * Names: every function is credit_<object>_<verb>. The objects are the library itself
 * (credit_version), a client (credit_client_create, credit_client_call), the handles a client
 * opens (credit_pusher_*, credit_sample_pusher_*), the option structs (*_init), and, for the
 * typed calls made through a client, the thing the node keeps: credit_client_<thing>_<verb>
 * (credit_client_unit_register, credit_client_record_push, credit_client_change_review).
 * Handles pair _create with _destroy; caller-owned structs have _init and nothing to free.
 *
 * Conventions (one for every function here; each function's comment adds its own cases):
 *  - Functions return 0 (CREDIT_OK) or a negative credit_err:
 *      CREDIT_EINVAL   a NULL client, request or out-parameter, or a value the library can
 *                      tell is wrong before sending (status->message names it); nothing sent;
 *      CREDIT_ENOMEM   the library could not allocate; nothing sent;
 *      CREDIT_ERPC     the call ended with a non-OK status: status->code is the gRPC status
 *                      code (CREDIT_CODE_*, numerically equal to gRPC's) and status->message
 *                      the node's message. UNAVAILABLE and DEADLINE_EXCEEDED are the
 *                      transient ones (no connection, node overloaded or its store failing:
 *                      retry later); INTERNAL from the library itself means the call could
 *                      not complete;
 *      CREDIT_EDECODE  the node answered OK but the answer cannot be decoded;
 *      CREDIT_EVERIFY  a signature checked offline does not verify (credit_portrait_verify).
 *    Every call that reaches the node can give CREDIT_ERPC with UNAVAILABLE (also when the TLS
 *    handshake fails: a foreign CA, an expired or revoked certificate), DEADLINE_EXCEEDED,
 *    and, on every service but health, UNAUTHENTICATED or PERMISSION_DENIED (a certificate of
 *    no registered unit, a suspended unit, a revoked certificate, or a unit kind that may not
 *    call the method); those are not repeated below.
 *  - `status` may be NULL; when given it is always filled (code 0 and "" on success).
 *  - Out-parameters are untouched on failure.
 *  - Messages returned through out-parameters are protobuf-c messages owned by the caller,
 *    who frees each with the generated `<type>__free_unpacked(msg, NULL)` named at the
 *    function (or protobuf_c_message_free_unpacked). They hold no pointer into the client:
 *    they outlive it.
 *  - Arguments are borrowed for the duration of the call only: strings and messages passed in
 *    are read (a message is packed) before the function returns, and the caller keeps them.
 *    A NULL string is sent as "".
 *  - A credit_client is thread-safe: any number of threads may call through one client. A
 *    pusher belongs to one thread at a time.
 *
 * This header includes only standard headers and the generated message headers it needs;
 * the gRPC core stays inside the library.
 *
 * Version 0.2 settled the names (README, "Client library changes in 0.2", maps every 0.1 name
 * to its successor).
 */
#ifndef CREDIT_CLIENT_H
#define CREDIT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "credit/v1/association.pb-c.h"
#include "credit/v1/authorization.pb-c.h"
#include "credit/v1/catalogue.pb-c.h"
#include "credit/v1/finance.pb-c.h"
#include "credit/v1/industrial.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "credit/v1/service_unit.pb-c.h"
#include "credit/v1/sync.pb-c.h"
#include "credit/v1/unit.pb-c.h"
#include "credit/v1/voluntary.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CREDIT_API __attribute__((visibility("default")))
#else
#define CREDIT_API
#endif

/* The version of this header. The build takes the library's version (its soname, the .pc
 * file) from these lines, so they are the one place it is written. Before 1.0 a new minor
 * version may change the API. */
#define CREDIT_VERSION_MAJOR 0
#define CREDIT_VERSION_MINOR 2
#define CREDIT_VERSION_PATCH 0
#define CREDIT_VERSION_STRING "0.2.0"

/* Status codes, equal to gRPC's. */
enum credit_code {
    CREDIT_CODE_OK = 0,
    CREDIT_CODE_CANCELLED = 1,
    CREDIT_CODE_UNKNOWN = 2,
    CREDIT_CODE_INVALID_ARGUMENT = 3,
    CREDIT_CODE_DEADLINE_EXCEEDED = 4,
    CREDIT_CODE_NOT_FOUND = 5,
    CREDIT_CODE_ALREADY_EXISTS = 6,
    CREDIT_CODE_PERMISSION_DENIED = 7,
    CREDIT_CODE_RESOURCE_EXHAUSTED = 8,
    CREDIT_CODE_FAILED_PRECONDITION = 9,
    CREDIT_CODE_ABORTED = 10,
    CREDIT_CODE_OUT_OF_RANGE = 11,
    CREDIT_CODE_UNIMPLEMENTED = 12,
    CREDIT_CODE_INTERNAL = 13,
    CREDIT_CODE_UNAVAILABLE = 14,
    CREDIT_CODE_DATA_LOSS = 15,
    CREDIT_CODE_UNAUTHENTICATED = 16,
};

/* Library errors. Numbers are never reused. */
enum credit_err {
    CREDIT_OK = 0,
    CREDIT_ERPC = -1,   /* the call ended with a non-OK status: see status->code */
    CREDIT_EINVAL = -2, /* a bad argument (status->message says which) */
    CREDIT_ENOMEM = -3,
    CREDIT_EFILE = -4,  /* a certificate or key file cannot be read */
    CREDIT_EDECODE = -5, /* the node's answer cannot be decoded */
    CREDIT_EVERIFY = -6  /* a signature does not verify (credit_portrait_verify) */
};

typedef struct credit_status {
    int code;          /* enum credit_code */
    char message[256]; /* NUL-terminated; cut if longer */
} credit_status;

typedef struct credit_client credit_client;

typedef struct credit_client_options {
    size_t struct_size;            /* sizeof(credit_client_options), so the struct can grow */
    const char *target;            /* "localhost:50051" */
    const char *ca_file;           /* PEM: the CA(s) that signed the node's certificate */
    const char *cert_file;         /* PEM: this unit's certificate */
    const char *key_file;          /* PEM: its private key */
    const char *server_name;       /* name to verify the node's certificate against; NULL:
                                      the host part of target */
    int timeout_ms;                /* default deadline of each call; 0: 30000 */
    int max_message_bytes;         /* largest answer accepted; 0: 64 MiB */
} credit_client_options;

/* --- The library ------------------------------------------------------------------------------ */

/* The library's version, CREDIT_VERSION_STRING of the header it was built with ("0.2.0").
 * Static storage: never freed. Thread-safe; cannot fail. */
CREDIT_API const char *credit_version(void);

/* The name of a status code ("PERMISSION_DENIED"; "UNKNOWN" for a number that is not a
 * code). Static storage: never freed. Thread-safe; cannot fail. */
CREDIT_API const char *credit_code_name(int code);

/* --- The client ------------------------------------------------------------------------------- */

/* Fills the caller's `opts` with defaults (struct_size set, everything else zero). Nothing to
 * free. Cannot fail. */
CREDIT_API void credit_client_options_init(credit_client_options *opts);

/* Opens a client. The certificate files are read now (the option strings are not kept); the
 * connection is made on the first call and re-made as needed. Returns 0 and *out, to be
 * destroyed with credit_client_destroy; CREDIT_EINVAL (opts or out NULL, struct_size not set,
 * target, ca_file, cert_file or key_file missing: the message names it); CREDIT_EFILE (a file
 * cannot be read: the message names it); CREDIT_ENOMEM. Thread-safe. */
CREDIT_API int credit_client_create(const credit_client_options *opts, credit_client **out,
                                    credit_status *status);

/* Closes the client. Calls and pushers still running on other threads must have returned or
 * been destroyed first; messages the client returned stay valid. NULL is a no-op. */
CREDIT_API void credit_client_destroy(credit_client *c);

/* Any unary method by its full path ("/credit.v1.UnitRegistry/WhoAmI"): packs `req`, waits
 * up to timeout_ms (<= 0: the client's default) and decodes the answer as `resp_type` into
 * *resp, which the caller frees with protobuf_c_message_free_unpacked (or the generated free
 * function of that type). Returns 0; CREDIT_EINVAL (c, method, req, resp_type or resp NULL);
 * CREDIT_ERPC (UNIMPLEMENTED: no such method; the method's own codes); CREDIT_EDECODE.
 * Thread-safe. */
CREDIT_API int credit_client_call(credit_client *c, const char *method,
                                  const ProtobufCMessage *req,
                                  const ProtobufCMessageDescriptor *resp_type,
                                  ProtobufCMessage **resp, int timeout_ms,
                                  credit_status *status);

/* grpc.health.v1.Health/Check for `service` ("" or NULL for the node). *serving is 1 for
 * SERVING, 0 for anything else (nothing to free). Returns 0; CREDIT_EINVAL (c or serving
 * NULL); CREDIT_ERPC (NOT_FOUND: a name the node does not serve); CREDIT_EDECODE.
 * Thread-safe. */
CREDIT_API int credit_client_health_check(credit_client *c, const char *service, int *serving,
                                          credit_status *status);

/* --- credit.v1.UnitRegistry ------------------------------------------------------------------ */

/* Who the node takes this client's certificate to be: the unit and the identity. Free *out
 * with credit__v1__who_am_iresponse__free_unpacked. Returns 0; CREDIT_EINVAL (c or out NULL);
 * CREDIT_ERPC (UNAUTHENTICATED or PERMISSION_DENIED: a certificate of no registered unit, or
 * of a suspended one); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_whoami(credit_client *c, Credit__V1__WhoAmIResponse **out,
                                    credit_status *status);

/* One page of units, by code; kind 0 for every kind; page_size 0 for the node's default;
 * page_token NULL or "" for the first page, else the previous page's next_page_token. Free
 * *out with credit__v1__list_units_response__free_unpacked. Returns 0; CREDIT_EINVAL (c or out
 * NULL); CREDIT_ERPC (INVALID_ARGUMENT: a page token not made by the node, or a page size out
 * of range); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_unit_list(credit_client *c, Credit__V1__UnitKind kind,
                                       int page_size, const char *page_token,
                                       Credit__V1__ListUnitsResponse **out,
                                       credit_status *status);

/* The unit `code`. Free *out with credit__v1__unit__free_unpacked. Returns 0; CREDIT_EINVAL
 * (c or out NULL); CREDIT_ERPC (NOT_FOUND); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_unit_get(credit_client *c, const char *code, Credit__V1__Unit **out,
                                      credit_status *status);

/* The office only: register a unit; suspend or reinstate one, with the reason; bind a
 * certificate identity to one. *out is the unit after the step (free it with
 * credit__v1__unit__free_unpacked); these four take out NULL, and then the answer is freed
 * for the caller. Returns 0; CREDIT_EINVAL (c NULL); CREDIT_ERPC (PERMISSION_DENIED: not the
 * office; INVALID_ARGUMENT naming the field; ALREADY_EXISTS: the code or identity is taken;
 * NOT_FOUND: no such unit; FAILED_PRECONDITION: already in that state); CREDIT_EDECODE.
 * Thread-safe. */
CREDIT_API int credit_client_unit_register(credit_client *c, const char *code,
                                           const char *name, Credit__V1__UnitKind kind,
                                           const char *uscc, Credit__V1__Unit **out,
                                           credit_status *status);
CREDIT_API int credit_client_unit_suspend(credit_client *c, const char *code,
                                          const char *reason, Credit__V1__Unit **out,
                                          credit_status *status);
CREDIT_API int credit_client_unit_reinstate(credit_client *c, const char *code,
                                            const char *reason, Credit__V1__Unit **out,
                                            credit_status *status);
CREDIT_API int credit_client_unit_bind_identity(credit_client *c, const char *code,
                                                const char *identity, Credit__V1__Unit **out,
                                                credit_status *status);

/* --- The collected catalogues --------------------------------------------------------------- */

/* The catalogues a unit pushes to, numerically equal to credit.v1.Catalogue. Each has its own
 * collecting service and input message (credit_catalogue_input):
 *   PUBLIC        credit.v1.PublicCreditCollection   Credit__V1__PublicRecordInput
 *   SERVICE_UNIT  credit.v1.ServiceUnitCollection    Credit__V1__ServiceUnitRecordInput
 *   ASSOCIATION   credit.v1.AssociationCollection    Credit__V1__AssociationRecordInput
 *   VOLUNTARY     credit.v1.VoluntaryDeclaration     Credit__V1__VoluntaryRecordInput
 *   INDUSTRIAL    credit.v1.IndustrialDataCollection Credit__V1__Sample (credit_sample_pusher)
 * The first four are record catalogues: pushes of records, each answered by a PushResult. */
typedef enum credit_catalogue {
    CREDIT_CATALOGUE_PUBLIC = 1,
    CREDIT_CATALOGUE_SERVICE_UNIT = 2,
    CREDIT_CATALOGUE_ASSOCIATION = 3,
    CREDIT_CATALOGUE_VOLUNTARY = 4,
    CREDIT_CATALOGUE_INDUSTRIAL = 5,
} credit_catalogue;

/* The message one pushes to catalogue `cat` (the table above), or NULL for a value that is not
 * a collected catalogue. Static storage: never freed. Thread-safe; cannot fail. */
CREDIT_API const ProtobufCMessageDescriptor *credit_catalogue_input(credit_catalogue cat);

/* The most messages one stream carries: records (a credit_pusher), samples (a
 * credit_sample_pusher). */
#define CREDIT_PUSH_STREAM_MAX 10000
/* The most records one message of a batched stream carries (credit_pusher_create_batched), as
 * many as one PushBatch call takes. */
#define CREDIT_PUSH_MESSAGE_MAX 1000
#define CREDIT_SAMPLE_STREAM_MAX 200000
/* The most samples one message of a batched sample stream carries
 * (credit_sample_pusher_create_batched). */
#define CREDIT_SAMPLE_MESSAGE_MAX 1000

/* Pushes up to 1000 records of the record catalogue `cat` in one call (its service's
 * PushBatch): recs[0..n) must each be a message of credit_catalogue_input(cat) (pass
 * &rec->base, or the array of typed pointers cast); they are only read. A rejected record is
 * not an error of the call: *out holds one result per record, in order; free it with
 * credit__v1__push_batch_response__free_unpacked. Retrying a whole batch is safe: records
 * already stored come back PUSH_OUTCOME_UNCHANGED. Returns 0; CREDIT_EINVAL (c, recs or out NULL, n
 * 0, `cat` not a record catalogue, or a record of another type: the message names its index);
 * CREDIT_ENOMEM; CREDIT_ERPC (INVALID_ARGUMENT: more than 1000 records; PERMISSION_DENIED: a
 * unit that may not push the catalogue, or an association platform without a live mandate;
 * UNAVAILABLE: the node could not store the batch, nothing of it was stored);
 * CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_record_push(credit_client *c, credit_catalogue cat,
                                         ProtobufCMessage *const *recs, size_t n,
                                         Credit__V1__PushBatchResponse **out,
                                         credit_status *status);

/* A streaming push of records to one record catalogue (its service's Push): records go out
 * one by one as they are added; the node answers once, with a result per record, when the
 * pusher is finished. At most one record is buffered in the library: credit_pusher_add waits
 * for the previous record to leave, so a slow node slows the producer instead of filling
 * memory. A stream is one call, atomic like a batch: the node checks the records as they
 * arrive and stores them only when credit_pusher_finish returns 0. A stream that fails, is
 * cancelled or is destroyed unfinished stored nothing of its records: push them all again
 * (records the node had already stored before, from other calls, come back PUSH_OUTCOME_UNCHANGED).
 * A stream holds at most CREDIT_PUSH_STREAM_MAX records (and 64 MiB); a producer with more finishes
 * the pusher and opens another. A source record id appears once per stream: a repeat of an accepted
 * record is rejected, as in a batch. A pusher belongs to one thread at a time; many pushers may
 * share one client, which must outlive them. */
typedef struct credit_pusher credit_pusher;

/* Opens a streaming push to the record catalogue `cat` (PUBLIC, SERVICE_UNIT, ASSOCIATION or
 * VOLUNTARY). timeout_ms bounds the whole stream; 0: no deadline. Returns 0 and *out, to be
 * destroyed with credit_pusher_destroy (finished or not); CREDIT_EINVAL (c or out NULL, or
 * `cat` not a record catalogue: INDUSTRIAL streams samples through
 * credit_sample_pusher_create); CREDIT_ENOMEM. A stream the node refuses at once still opens:
 * credit_pusher_add or credit_pusher_finish reports why. */
CREDIT_API int credit_pusher_create(credit_client *c, credit_catalogue cat, int timeout_ms,
                                    credit_pusher **out, credit_status *status);

/* Opens a batched streaming push to the record catalogue `cat` (its service's PushBatches):
 * the same pusher, but credit_pusher_add gathers the records (encoded at once; the caller
 * keeps them) into messages of `per_message` records (1 to CREDIT_PUSH_MESSAGE_MAX), and sends
 * a message when it is full; credit_pusher_finish sends the last, shorter one, then closes.
 * Far fewer messages than records go over the wire, so bulk imports cost the node less per
 * record. At most one message is in flight and one gathered, so credit_pusher_add waits when
 * the node is slow (the backpressure). Everything else is as for credit_pusher_create: at
 * most CREDIT_PUSH_STREAM_MAX records a stream, atomic, stored only when
 * credit_pusher_finish returns 0, one result per record whose index is the record's position
 * in the whole stream (the order of credit_pusher_add). Returns 0 and *out; CREDIT_EINVAL (c
 * or out NULL, `cat` not a record catalogue, or per_message 0 or above
 * CREDIT_PUSH_MESSAGE_MAX); CREDIT_ENOMEM. credit_pusher_add may also return CREDIT_ENOMEM
 * (the message being gathered cannot grow). */
CREDIT_API int credit_pusher_create_batched(credit_client *c, credit_catalogue cat,
                                            size_t per_message, int timeout_ms,
                                            credit_pusher **out, credit_status *status);

/* Sends one record of the pusher's catalogue: `rec` must be a message of the type
 * credit_catalogue_input(cat) names (pass &rec->base). It is packed at once; the caller keeps
 * it. Waits while the previous record is still on its way (the backpressure). Returns 0;
 * CREDIT_EINVAL (p or rec NULL, a message of another type, a finished pusher, or one that
 * already carries CREDIT_PUSH_STREAM_MAX records); CREDIT_ERPC (UNAVAILABLE: the stream has
 * already ended, credit_pusher_finish gives the node's reason; INTERNAL: the record could not
 * be sent). */
CREDIT_API int credit_pusher_add(credit_pusher *p, const ProtobufCMessage *rec,
                                 credit_status *status);

/* Closes the stream and returns the node's results, one per record added, in order; only now
 * are the accepted records stored. Free *out with
 * credit__v1__push_batch_response__free_unpacked; the pusher still needs
 * credit_pusher_destroy. Returns 0; CREDIT_EINVAL (p or out NULL, or finished before: call
 * once); CREDIT_ERPC (the node's reason the stream ended: INVALID_ARGUMENT for more records
 * or bytes than a stream holds, PERMISSION_DENIED, UNAVAILABLE: nothing was stored, ...);
 * CREDIT_EDECODE. After a failure nothing of the stream was stored: retry all its records. */
CREDIT_API int credit_pusher_finish(credit_pusher *p, Credit__V1__PushBatchResponse **out,
                                    credit_status *status);

/* Frees the pusher; one not finished is cancelled, and the node stores nothing of it. NULL is
 * a no-op. */
CREDIT_API void credit_pusher_destroy(credit_pusher *p);

/* --- Changing a pushed record ----------------------------------------------------------------- */

/* A new version of a record this unit pushed to `cat` (PUBLIC, SERVICE_UNIT or ASSOCIATION:
 * voluntary declarations are not corrected, they are withdrawn and declared again): `rec` is
 * the corrected content, a message of credit_catalogue_input(cat) whose source_record_id is the
 * record's own; `reason` is required. *out is the result (PUSH_OUTCOME_NEW_VERSION); free it with
 * credit__v1__push_result__free_unpacked. Returns 0; CREDIT_EINVAL (c, rec or out NULL, `cat`
 * without Correct, or `rec` of another type); CREDIT_ENOMEM; CREDIT_ERPC (NOT_FOUND;
 * PERMISSION_DENIED: not this unit's record; FAILED_PRECONDITION: a withdrawn record or one of
 * another catalogue; INVALID_ARGUMENT naming the field); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_record_correct(credit_client *c, credit_catalogue cat,
                                            const char *record_id, const ProtobufCMessage *rec,
                                            const char *reason, Credit__V1__PushResult **out,
                                            credit_status *status);

/* Withdraws a record this unit pushed to the record catalogue `cat`, with the reason (a new
 * version marked withdrawn). *out as for credit_client_record_correct. Returns 0;
 * CREDIT_EINVAL (c or out NULL, `cat` not a record catalogue); CREDIT_ERPC (NOT_FOUND;
 * PERMISSION_DENIED: not this unit's record; FAILED_PRECONDITION: already withdrawn, or a
 * record of another catalogue; INVALID_ARGUMENT: no reason); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_record_withdraw(credit_client *c, credit_catalogue cat,
                                             const char *record_id, const char *reason,
                                             Credit__V1__PushResult **out,
                                             credit_status *status);

/* Reinstates a record this unit withdrew from the record catalogue `cat`, with the reason (a
 * new version, no longer withdrawn): the only way back, since a push never revives a
 * withdrawn record. *out as for credit_client_record_correct. Returns 0; CREDIT_EINVAL (c or
 * out NULL, `cat` not a record catalogue); CREDIT_ERPC (NOT_FOUND; PERMISSION_DENIED: not this
 * unit's record; FAILED_PRECONDITION: not withdrawn, or a record of another catalogue;
 * INVALID_ARGUMENT: no reason); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_record_reinstate(credit_client *c, credit_catalogue cat,
                                              const char *record_id, const char *reason,
                                              Credit__V1__PushResult **out,
                                              credit_status *status);

/* --- Reading through a tier ------------------------------------------------------------------- */

/* The sharing tier a query goes through. */
typedef enum credit_tier {
    CREDIT_TIER_OPEN = 1,       /* credit.v1.OpenQuery: any registered unit */
    CREDIT_TIER_GOVERNMENT = 2, /* credit.v1.GovernmentSharing: government units */
} credit_tier;

/* What credit_client_record_list asks for. Start with credit_record_filter_init; the struct
 * may grow (struct_size tells the library how much of it the caller knows). The pointers are
 * the caller's, read during the call only. */
typedef struct credit_record_filter {
    size_t struct_size;                     /* sizeof(credit_record_filter) */
    Credit__V1__SubjectKind subject_kind;   /* required */
    const char *subject_identifier;         /* required */
    const Credit__V1__Category *categories; /* public records of these categories; n 0: all */
    size_t n_categories;
    const credit_catalogue *catalogues;     /* these catalogues (at most 16); n 0: every one
                                               the tier shares */
    size_t n_catalogues;
    const char *const *sections;            /* records of these section codes, any catalogue;
                                               n 0: every section */
    size_t n_sections;
    int page_size;                          /* 0: 50; at most 500 */
    const char *page_token;                 /* NULL or "": the first page, else the previous
                                               page's next_page_token */
} credit_record_filter;

/* Fills the caller's `f` with the defaults (struct_size set, everything else zero). Nothing
 * to free. Cannot fail. */
CREDIT_API void credit_record_filter_init(credit_record_filter *f);

/* One page of a subject's records through a tier (ListRecords of credit.v1.OpenQuery or
 * GovernmentSharing), each filtered field by field for that tier and narrowed to the filter's
 * catalogues, sections and public categories. The filter is only read. Free *out with
 * credit__v1__list_records_response__free_unpacked. Returns 0; CREDIT_EINVAL (c, f or out
 * NULL, struct_size not set, more than 16 catalogues, tier not a tier); CREDIT_ERPC
 * (INVALID_ARGUMENT naming the field: a bad subject, page size or page token;
 * PERMISSION_DENIED: a tier the unit may not use); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_record_list(credit_client *c, credit_tier tier,
                                         const credit_record_filter *f,
                                         Credit__V1__ListRecordsResponse **out,
                                         credit_status *status);

/* One record through a tier; the government tier adds its earlier versions, the first page
 * of them (up to 100; next_history_page_token continues, with credit_client_record_get_page).
 * Free *out with credit__v1__get_record_response__free_unpacked. Returns 0; CREDIT_EINVAL (c
 * or out NULL, tier not a tier); CREDIT_ERPC (NOT_FOUND: no such record, or none the tier
 * shows; INVALID_ARGUMENT: a malformed id; PERMISSION_DENIED: a tier the unit may not use);
 * CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_record_get(credit_client *c, credit_tier tier,
                                        const char *record_id,
                                        Credit__V1__GetRecordResponse **out,
                                        credit_status *status);

/* GetRecord with a request of the caller's (only read): a page of the history
 * (history_page_size, history_page_token from the previous answer). *out and returns as for
 * credit_client_record_get, and CREDIT_EINVAL for req NULL; a token of another record, or
 * altered, is CREDIT_ERPC with INVALID_ARGUMENT. Thread-safe. */
CREDIT_API int credit_client_record_get_page(credit_client *c, credit_tier tier,
                                             const Credit__V1__GetRecordRequest *req,
                                             Credit__V1__GetRecordResponse **out,
                                             credit_status *status);

/* One page of an enterprise's metric through a tier (GetSeries of credit.v1.OpenQuery or
 * GovernmentSharing): the samples as stored, or AGGREGATION_MONTHLY_TOTAL points; `req` is only
 * read. Free *out with credit__v1__series_response__free_unpacked. Returns 0; CREDIT_EINVAL (c, req
 * or out NULL, or tier not a tier); CREDIT_ERPC (PERMISSION_DENIED: the metric is above the
 * caller's tier, naming the tier it needs; INVALID_ARGUMENT naming the field; NOT_FOUND: no
 * such section or metric); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_series_get(credit_client *c, credit_tier tier,
                                        const Credit__V1__SeriesRequest *req,
                                        Credit__V1__SeriesResponse **out, credit_status *status);

/* --- Mandates (credit.v1.AssociationCollection) ------------------------------------------- */

/* The association platform pushes for an association only under a live mandate, which the
 * office registers and revokes. *out belongs to the caller (free with the generated free
 * function named below). Returns 0; CREDIT_EINVAL (c or out NULL); CREDIT_ERPC
 * (PERMISSION_DENIED: not the office, or a platform reading another's mandates;
 * INVALID_ARGUMENT naming the field; NOT_FOUND: no such platform or mandate; ALREADY_EXISTS: a
 * live mandate exists; FAILED_PRECONDITION: the unit is no UNIT_KIND_ASSOCIATION_PLATFORM, or the
 * mandate is already revoked); CREDIT_EDECODE. Thread-safe. */

/* The office registers `platform`'s mandate for the association (name and USCC required).
 * Free *out with credit__v1__mandate__free_unpacked. */
CREDIT_API int credit_client_mandate_register(credit_client *c, const char *platform,
                                              const char *association_name,
                                              const char *association_uscc,
                                              Credit__V1__Mandate **out, credit_status *status);

/* The office revokes it, with the reason (required). *out is the mandate, revoked; free it
 * with credit__v1__mandate__free_unpacked. */
CREDIT_API int credit_client_mandate_revoke(credit_client *c, const char *platform,
                                            const char *association_uscc, const char *reason,
                                            Credit__V1__Mandate **out, credit_status *status);

/* The mandates of `platform` ("" or NULL: every platform's, for the office; a platform reads
 * only its own). Free *out with credit__v1__list_mandates_response__free_unpacked. */
CREDIT_API int credit_client_mandate_list(credit_client *c, const char *platform,
                                          Credit__V1__ListMandatesResponse **out,
                                          credit_status *status);

/* --- Voluntary declarations (credit.v1.VoluntaryDeclaration) ------------------------------- */

/* The office's verdict on a pending declaration: verified non-zero shares it from now on,
 * zero rejects it; `reason` (required) says what was checked or why it failed. *out is the
 * result of the new version; free it with credit__v1__push_result__free_unpacked. Returns 0;
 * CREDIT_EINVAL (c or out NULL); CREDIT_ERPC (PERMISSION_DENIED: not the office; NOT_FOUND;
 * FAILED_PRECONDITION: not a pending declaration; INVALID_ARGUMENT); CREDIT_EDECODE.
 * Thread-safe. */
CREDIT_API int credit_client_declaration_verify(credit_client *c, const char *record_id,
                                                int verified, const char *reason,
                                                Credit__V1__PushResult **out,
                                                credit_status *status);

/* One page of the declarations in state `verification` (the office), by record id:
 * CREDIT__V1__VERIFICATION__VERIFICATION_PENDING (or _UNSPECIFIED) is the queue waiting for a
 * verdict, oldest record id first; _VERIFIED or _REJECTED those whose current version has
 * that verdict, withdrawn ones included, each with its status (verification_reason,
 * verified_by). page_size 0 for 50 (at most 500); page_token NULL or "" for the first page,
 * else the previous page's next_page_token. Free *out with
 * credit__v1__list_records_response__free_unpacked. Returns 0; CREDIT_EINVAL (c or out NULL);
 * CREDIT_ERPC (PERMISSION_DENIED: not the office; INVALID_ARGUMENT: another state, a bad page
 * size or token); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_declaration_list(credit_client *c,
                                              Credit__V1__Verification verification,
                                              int page_size, const char *page_token,
                                              Credit__V1__ListRecordsResponse **out,
                                              credit_status *status);

/* --- Industrial data (credit.v1.IndustrialDataCollection) -------------------------------- */

/* A streaming push of samples (PushSamples), as credit_pusher is for records: samples go out
 * one by one as they are added, at most one is buffered in the library (credit_sample_pusher_add
 * waits for the previous one to leave: a slow node slows the producer), and the node answers
 * once, with a summary, when the pusher is finished. Like a record stream it is atomic: the
 * samples are stored only when credit_sample_pusher_finish returns 0, nothing of a failed or
 * cancelled stream is, and a stream holds at most CREDIT_SAMPLE_STREAM_MAX samples (a sample
 * repeated within it counts as in a later call). A sample is keyed by (platform,
 * enterprise, metric, period start), so re-sending samples is safe: the same value again is
 * counted unchanged. A sample pusher belongs to one thread at a time; many may share a client,
 * which must outlive them. */
typedef struct credit_sample_pusher credit_sample_pusher;

/* Opens the stream. timeout_ms bounds the whole stream; 0: no deadline. Returns 0 and *out
 * (destroy with credit_sample_pusher_destroy, finished or not); CREDIT_EINVAL (c or out NULL);
 * CREDIT_ENOMEM. */
CREDIT_API int credit_sample_pusher_create(credit_client *c, int timeout_ms,
                                           credit_sample_pusher **out, credit_status *status);

/* Opens a batched stream (PushSampleBatches) for bulk loads: the pusher gathers the samples it
 * is given (encoded at once; the caller keeps them) into messages of `per_message` samples (1 to
 * CREDIT_SAMPLE_MESSAGE_MAX) and sends each message when it is full, the last one at
 * credit_sample_pusher_finish. Everything else is as credit_sample_pusher_create: one atomic
 * stream of at most CREDIT_SAMPLE_STREAM_MAX samples, one summary whose indexes count the
 * samples across the stream. Returns 0 and *out; CREDIT_EINVAL (c or out NULL, per_message 0
 * or past CREDIT_SAMPLE_MESSAGE_MAX); CREDIT_ENOMEM. */
CREDIT_API int credit_sample_pusher_create_batched(credit_client *c, size_t per_message,
                                                   int timeout_ms, credit_sample_pusher **out,
                                                   credit_status *status);

/* Sends one sample (packed at once; the caller keeps it). Returns 0; CREDIT_EINVAL (p or s
 * NULL, a finished pusher, or one that already carries CREDIT_SAMPLE_STREAM_MAX samples);
 * CREDIT_ERPC (UNAVAILABLE: the stream has already ended, credit_sample_pusher_finish gives
 * the node's reason; INTERNAL: the sample could not be sent). */
CREDIT_API int credit_sample_pusher_add(credit_sample_pusher *p, const Credit__V1__Sample *s,
                                        credit_status *status);

/* Closes the stream and returns the node's summary: counts of accepted, unchanged and rejected
 * samples and the first 100 rejections (each with the sample's index in the stream, from 0).
 * Free *out with credit__v1__sample_summary__free_unpacked; the pusher still needs
 * credit_sample_pusher_destroy. Returns 0; CREDIT_EINVAL (p or out NULL, already finished:
 * call once); CREDIT_ERPC (PERMISSION_DENIED: not an industrial platform; UNAVAILABLE: the
 * samples could not be stored; ...); CREDIT_EDECODE. */
CREDIT_API int credit_sample_pusher_finish(credit_sample_pusher *p,
                                           Credit__V1__SampleSummary **out,
                                           credit_status *status);

/* Frees the pusher; one not finished is cancelled, and the node stores nothing of it. NULL is
 * a no-op. */
CREDIT_API void credit_sample_pusher_destroy(credit_sample_pusher *p);

/* Opt-ins: a platform registers an enterprise's consent (the SHA-256 of the signed consent, 64
 * lower-case hex digits) before it streams the enterprise's samples; the platform, the office
 * or the enterprise revokes it. `platform` is named by the office and left NULL or "" by a
 * platform acting for itself. *out belongs to the caller, untouched on failure. Returns 0;
 * CREDIT_EINVAL (c or out NULL); CREDIT_ERPC (PERMISSION_DENIED, INVALID_ARGUMENT naming the
 * field, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION); CREDIT_EDECODE. Thread-safe. */

/* Registers; free *out with credit__v1__opt_in__free_unpacked. */
CREDIT_API int credit_client_optin_register(credit_client *c, const char *enterprise_uscc,
                                            const char *consent_digest, const char *platform,
                                            Credit__V1__OptIn **out, credit_status *status);

/* Revokes; *out is the opt-in, revoked; free it with credit__v1__opt_in__free_unpacked. */
CREDIT_API int credit_client_optin_revoke(credit_client *c, const char *enterprise_uscc,
                                          const char *platform, Credit__V1__OptIn **out,
                                          credit_status *status);

/* The opt-ins of `platform` (NULL or "": the caller's own for a platform, every one for the
 * office). Free *out with credit__v1__list_opt_ins_response__free_unpacked. */
CREDIT_API int credit_client_optin_list(credit_client *c, const char *platform,
                                        Credit__V1__ListOptInsResponse **out,
                                        credit_status *status);

/* --- credit.v1.CatalogueGovernance ---------------------------------------------------------- */

/* The comprehensive credit information catalogue: its versions (credit_client_catalogue_*),
 * and the change requests that make new ones (credit_client_change_*: filed by a government
 * unit, reviewed and decided by the office).
 *
 * Every function here returns 0 and *out; CREDIT_EINVAL when c or `out` (or `req`) is NULL;
 * CREDIT_ERPC with status->code the node's code (PERMISSION_DENIED: this unit may not take the
 * step; NOT_FOUND: no such version or request; FAILED_PRECONDITION: the request is not in a
 * state that allows the step; INVALID_ARGUMENT: the node names the field at fault);
 * CREDIT_EDECODE when the answer cannot be decoded. *out belongs to the caller, who frees it
 * with the generated free function named at each function; it is untouched on failure.
 * Thread-safe: any thread may call through a shared client. */

/* Every version, oldest first, and the number of the one in force now. Free *out with
 * credit__v1__list_versions_response__free_unpacked. */
CREDIT_API int credit_client_catalogue_list(credit_client *c,
                                            Credit__V1__ListVersionsResponse **out,
                                            credit_status *status);

/* One version in full (every catalogue, section and dimension); version 0 for the version in
 * force now. Free *out with credit__v1__catalogue_version__free_unpacked. */
CREDIT_API int credit_client_catalogue_get(credit_client *c, uint32_t version,
                                           Credit__V1__CatalogueVersion **out,
                                           credit_status *status);

/* Files a change request (any government unit); `req` is only read. *out is the request as
 * filed, its id set and its state CHANGE_STATE_FILED. Free *out with
 * credit__v1__change_request__free_unpacked. */
CREDIT_API int credit_client_change_propose(credit_client *c,
                                            const Credit__V1__ProposeChangeRequest *req,
                                            Credit__V1__ChangeRequest **out,
                                            credit_status *status);

/* Compliance review of the filed request `id` (the office only): pass non-zero to pass it;
 * `reasons` is required. *out is the request after the review. Free *out with
 * credit__v1__change_request__free_unpacked. */
CREDIT_API int credit_client_change_review(credit_client *c, const char *id, int pass,
                                           const char *reasons, Credit__V1__ChangeRequest **out,
                                           credit_status *status);

/* Deliberation of the request `id` that passed review (the office only): approve non-zero to
 * approve it, making a new version that takes effect at effective_at_unix (seconds since the
 * epoch; 0: now); `reasons` is required. *out is the request after the decision (approved:
 * resulting_version and effective_at set). Free *out with
 * credit__v1__change_request__free_unpacked. */
CREDIT_API int credit_client_change_decide(credit_client *c, const char *id, int approve,
                                           const char *reasons, int64_t effective_at_unix,
                                           Credit__V1__ChangeRequest **out,
                                           credit_status *status);

/* One change request by its id ("CR-000001"). Free *out with
 * credit__v1__change_request__free_unpacked. */
CREDIT_API int credit_client_change_get(credit_client *c, const char *id,
                                        Credit__V1__ChangeRequest **out, credit_status *status);

/* The change requests in `state`, oldest first; CHANGE_STATE_UNSPECIFIED (0) for every state.
 * Free *out with credit__v1__list_changes_response__free_unpacked. */
CREDIT_API int credit_client_change_list(credit_client *c, Credit__V1__ChangeState state,
                                         Credit__V1__ListChangesResponse **out,
                                         credit_status *status);

/* --- Consent (credit.v1.Authorization) and the authorized tier (AuthorizedQuery) ----------- */

/* A lender (UNIT_KIND_FINANCE) asks a subject for consent; the subject approves with its own
 * certificate (UNIT_KIND_SUBJECT), or the portal relays the approval with the SHA-256 of the
 * signed authorization document; the subject (or the portal) pauses, resumes or revokes it;
 * the lender reads under it. Grants are identified by their grant_id (32 lower-case hex
 * digits). Every function returns 0 and *out; CREDIT_EINVAL (c or out NULL, or a request
 * NULL); CREDIT_ERPC with the node's code: INVALID_ARGUMENT naming the field, NOT_FOUND (no
 * such grant, or one the caller is not party to; a scope naming what the catalogue lacks),
 * FAILED_PRECONDITION (the grant's status does not allow the step), PERMISSION_DENIED (not
 * the subject; for the reads under a grant, why it cannot be used: no grant, not active,
 * paused, revoked, expired, not yet valid, another subject, out of scope, out of date range,
 * use limit reached); CREDIT_EDECODE. *out belongs to the caller (free it with the function
 * named), untouched on failure. Thread-safe. */

/* Files a consent request (`req` only read). Free *out with credit__v1__grant__free_unpacked. */
CREDIT_API int credit_client_consent_request(credit_client *c,
                                             const Credit__V1__RequestConsentRequest *req,
                                             Credit__V1__Grant **out, credit_status *status);

/* Approves grant `grant_id`: the subject itself (document_digest may be NULL), or the portal
 * (document_digest required: 64 lower-case hex digits). Free *out with
 * credit__v1__grant__free_unpacked. */
CREDIT_API int credit_client_consent_approve(credit_client *c, const char *grant_id,
                                             const char *document_digest,
                                             Credit__V1__Grant **out, credit_status *status);

/* The subject's other decisions, each with an optional reason (NULL: none): reject a
 * request, pause, resume or revoke a grant. Free *out with credit__v1__grant__free_unpacked. */
CREDIT_API int credit_client_consent_reject(credit_client *c, const char *grant_id,
                                            const char *reason, Credit__V1__Grant **out,
                                            credit_status *status);
CREDIT_API int credit_client_grant_pause(credit_client *c, const char *grant_id,
                                         const char *reason, Credit__V1__Grant **out,
                                         credit_status *status);
CREDIT_API int credit_client_grant_resume(credit_client *c, const char *grant_id,
                                          const char *reason, Credit__V1__Grant **out,
                                          credit_status *status);
CREDIT_API int credit_client_grant_revoke(credit_client *c, const char *grant_id,
                                          const char *reason, Credit__V1__Grant **out,
                                          credit_status *status);

/* One grant, as it stands now (status EXPIRED once its window ended). Free *out with
 * credit__v1__grant__free_unpacked. */
CREDIT_API int credit_client_grant_get(credit_client *c, const char *grant_id,
                                       Credit__V1__Grant **out, credit_status *status);

/* A page of the caller's grants (a lender's as grantee, a subject's own), oldest first, up to
 * 100; the portal names the subject (subject_identifier NULL otherwise). page_token: NULL or
 * "" for the first page, else the previous page's next_page_token, which is "" on the last.
 * Free *out with credit__v1__list_grants_response__free_unpacked. */
CREDIT_API int credit_client_grant_list(credit_client *c, Credit__V1__SubjectKind subject_kind,
                                        const char *subject_identifier, const char *page_token,
                                        Credit__V1__ListGrantsResponse **out,
                                        credit_status *status);

/* A page of a grant's uses (who, when, which method, what was read), in the order they were
 * made, up to 100; page_token as for credit_client_grant_list. Free *out with
 * credit__v1__list_uses_response__free_unpacked. */
CREDIT_API int credit_client_grant_uses(credit_client *c, const char *grant_id,
                                        const char *page_token, Credit__V1__ListUsesResponse **out,
                                        credit_status *status);

/* ListRecords under grant `grant_id` (one use of it): the filter as for
 * credit_client_record_list, its subject optional (kind 0: the grant's). Free *out with
 * credit__v1__list_records_response__free_unpacked. */
CREDIT_API int credit_client_authorized_record_list(credit_client *c, const char *grant_id,
                                                    const credit_record_filter *f,
                                                    Credit__V1__ListRecordsResponse **out,
                                                    credit_status *status);

/* GetRecord under grant `grant_id` (one use). Free *out with
 * credit__v1__get_record_response__free_unpacked. */
CREDIT_API int credit_client_authorized_record_get(credit_client *c, const char *grant_id,
                                                   const char *record_id,
                                                   Credit__V1__GetRecordResponse **out,
                                                   credit_status *status);

/* GetSeries under grant `grant_id` (one use); `req` only read. Free *out with
 * credit__v1__series_response__free_unpacked. */
CREDIT_API int credit_client_authorized_series_get(credit_client *c, const char *grant_id,
                                                   const Credit__V1__SeriesRequest *req,
                                                   Credit__V1__SeriesResponse **out,
                                                   credit_status *status);

/* --- credit.v1.CreditFinance ----------------------------------------------------------------- */

/* Signed credit portraits for lenders. A portrait is got under a grant of its subject (one use
 * of the grant each) and checked later, offline, against the node's public signing key, which
 * a lender fetches once (credit_client_signing_key_get) and keeps.
 * Thread-safe: any thread may call through a shared client; credit_portrait_verify needs none. */

/* The portrait of the subject (kind, identifier) by portrait template `template_code`
 * ("SMALL_MICRO_BASIC") under grant `grant_id`. Returns 0 and *out (free with
 * credit__v1__portrait__free_unpacked; pack it with credit__v1__portrait__pack to keep the
 * exact bytes the node signed); CREDIT_EINVAL for a NULL argument; CREDIT_ERPC with the node's
 * code (PERMISSION_DENIED naming why the grant does not allow it; NOT_FOUND: no such template;
 * INVALID_ARGUMENT naming the field); CREDIT_EDECODE. *out is untouched on failure. */
CREDIT_API int credit_client_portrait_get(credit_client *c, Credit__V1__SubjectKind kind,
                                          const char *identifier, const char *template_code,
                                          const char *grant_id, Credit__V1__Portrait **out,
                                          credit_status *status);

/* The node's portrait signing key: PEM public key, key id and algorithm. Returns 0 and *out
 * (free with credit__v1__signing_key__free_unpacked); CREDIT_EINVAL; CREDIT_ERPC;
 * CREDIT_EDECODE. */
CREDIT_API int credit_client_signing_key_get(credit_client *c, Credit__V1__SigningKey **out,
                                             credit_status *status);

/* Checks, offline, the portrait encoded in data[len] (as the node sent it, or as
 * credit__v1__portrait__pack writes it) against `public_key_pem` (SigningKey.public_key_pem):
 * its field 15 (signature) must be its last field, its key_id that key's, and the ECDSA P-256
 * SHA-256 signature valid over the bytes before field 15. Returns 0 when it verifies;
 * CREDIT_EVERIFY when it does not (a changed byte, another key, no signature; status->message
 * says which); CREDIT_EDECODE when data is not a portrait; CREDIT_EINVAL for NULL arguments or
 * a key that is not a PEM public key; CREDIT_ENOMEM. Reads only its arguments. */
CREDIT_API int credit_portrait_verify(const void *data, size_t len, const char *public_key_pem,
                                      credit_status *status);
/* --- credit.v1.Sync: the change feed ------------------------------------------------------- */

/* A subscription to the node's change feed (README, "The change feed"), for the city platform
 * (UNIT_KIND_MUNICIPAL: the government tier) and the office's read replica (everything). It
 * hands over one change at a time, in sequence order, and reads the next message from the
 * node only when the changes of the last one have all been handed over: a subscriber that
 * stops asking holds the node's stream back (flow control), nothing piles up.
 *
 * The cursor: after applying the change credit_subscription_next handed over last, save
 * credit_subscription_cursor and open the next subscription from it; nothing is lost and
 * nothing comes twice. The cursor also moves past changes the filter or the tier left out.
 *
 * A subscription belongs to one thread at a time; the client it was opened on stays valid
 * until it is closed. */
typedef struct credit_subscription credit_subscription;

/* What to subscribe to. Initialise with credit_subscription_options_init. */
typedef struct credit_subscription_options {
    size_t struct_size;             /* sizeof(credit_subscription_options) */
    uint64_t cursor;                /* the last sequence applied; 0: from the beginning */
    const Credit__V1__Catalogue *catalogues; /* only these (record kinds); NULL: all */
    size_t n_catalogues;
    const Credit__V1__FeedKind *kinds;       /* only these kinds; NULL: all */
    size_t n_kinds;
} credit_subscription_options;

CREDIT_API void credit_subscription_options_init(credit_subscription_options *o);

/* Opens a subscription. Returns 0 and *out (close with credit_subscription_close);
 * CREDIT_EINVAL (c, opts or out NULL); CREDIT_ENOMEM. The node's refusal (PERMISSION_DENIED,
 * OUT_OF_RANGE for a cursor past its head, FAILED_PRECONDITION for one older than its
 * retention: the message names the oldest sequence available) comes from the first
 * credit_subscription_next. */
CREDIT_API int credit_subscription_open(credit_client *c, const credit_subscription_options *opts,
                                        credit_subscription **out, credit_status *status);

/* Waits up to wait_ms (< 0: as long as it takes) for the next change. Returns 1 with *change,
 * borrowed from the node's message it came in: valid until a call that reads the next
 * message (while credit_subscription_pending is not 0, the next call does not, so the
 * changes of one message may be held and applied together) or the close; 0 when none came
 * in time (a heartbeat, or nothing: ask again; the cursor may have moved); CREDIT_ERPC when the
 * subscription ended, with the node's status (UNAVAILABLE when the node stops or the
 * connection broke: open again from the cursor); CREDIT_EDECODE; CREDIT_EINVAL (NULL). */
CREDIT_API int credit_subscription_next(credit_subscription *s, int wait_ms,
                                        const Credit__V1__FeedEntry **change,
                                        credit_status *status);

/* The cursor to save once the change handed over last is applied (the options' cursor before
 * any), and the node's last sequence as it last said (head - cursor is the lag). */
CREDIT_API uint64_t credit_subscription_cursor(const credit_subscription *s);
CREDIT_API uint64_t credit_subscription_head(const credit_subscription *s);

/* How many changes credit_subscription_next hands over without reading from the node. */
CREDIT_API size_t credit_subscription_pending(const credit_subscription *s);

/* Ends the subscription and frees it. NULL is a no-op. */
CREDIT_API void credit_subscription_close(credit_subscription *s);

/* A snapshot of the node (credit.v1.Sync.Snapshot): the latest version of every record the
 * caller's tier shows, then the units, from one store snapshot, a message at a time; each
 * message's `resume_from` is the cursor to subscribe from once the whole snapshot is applied.
 * For a subscriber whose cursor is older than the node's retention (FAILED_PRECONDITION). A
 * snapshot belongs to one thread at a time. */
typedef struct credit_snapshot credit_snapshot;

/* Starts a snapshot. Returns 0 and *out (close with credit_snapshot_close); CREDIT_EINVAL;
 * CREDIT_ENOMEM. The node's refusal comes from the first credit_snapshot_next. */
CREDIT_API int credit_snapshot_open(credit_client *c, credit_snapshot **out,
                                    credit_status *status);

/* Waits for the next message of the snapshot. Returns 1 with *msg (borrowed: valid until the
 * next call or the close); 0 when the snapshot is complete (the node ended it with OK);
 * CREDIT_ERPC with the node's status when it failed (start again: a snapshot that did not
 * end with OK is not complete); CREDIT_EDECODE; CREDIT_EINVAL (NULL). */
CREDIT_API int credit_snapshot_next(credit_snapshot *s, const Credit__V1__SnapshotResponse **msg,
                                    credit_status *status);

/* Cancels the snapshot if it is still open and frees it. NULL is a no-op. */
CREDIT_API void credit_snapshot_close(credit_snapshot *s);

#ifdef __cplusplus
}
#endif

#endif /* CREDIT_CLIENT_H */
