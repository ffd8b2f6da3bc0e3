/*
 * credit/client.h — libcreditclient, the C client of a credit data-exchange node.
 *
 * Partner systems link this library to talk to a node ("system docking"): open a client
 * with the node's address and the unit's certificate files, then call. The node knows the
 * caller only by its certificate; no call carries an identity of its own.
 *
 * Conventions (one for every function here):
 *  - Functions return 0 on success or a negative credit_err. When the node answered with a
 *    non-OK status the return is CREDIT_ERPC and status->code is the gRPC status code
 *    (CREDIT_CODE_*, numerically equal to gRPC's) with the node's message.
 *  - `status` may be NULL; when given it is always filled (code 0 and "" on success).
 *  - Out-parameters are untouched on failure.
 *  - Messages returned through out-parameters are protobuf-c messages owned by the caller,
 *    freed with the generated `<type>__free_unpacked(msg, NULL)`.
 *  - A credit_client is thread-safe: any number of threads may call through one client.
 *
 * This header includes only standard headers and the generated message headers it needs;
 * the gRPC core stays inside the library.
 */
#ifndef CREDIT_CLIENT_H
#define CREDIT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "credit/v1/association.pb-c.h"
#include "credit/v1/catalogue.pb-c.h"
#include "credit/v1/industrial.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "credit/v1/service_unit.pb-c.h"
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

#define CREDIT_VERSION_STRING "0.1.0"

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
    CREDIT_EDECODE = -5 /* the node's answer cannot be decoded */
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

/* The library's version, "0.1.0". Static storage. */
CREDIT_API const char *credit_version(void);

/* The name of a status code ("PERMISSION_DENIED"). Static storage. */
CREDIT_API const char *credit_code_name(int code);

/* Fills `opts` with defaults (struct_size set, everything else zero). */
CREDIT_API void credit_client_options_init(credit_client_options *opts);

/* Opens a client. The files are read now; the connection is made on the first call and
 * re-made as needed. Returns 0 and *out, CREDIT_EINVAL (a missing option), CREDIT_EFILE or
 * CREDIT_ENOMEM. Destroy with credit_client_destroy. */
CREDIT_API int credit_client_create(const credit_client_options *opts, credit_client **out,
                                    credit_status *status);

/* Closes the client. Calls still running on other threads must have returned. NULL is a
 * no-op. */
CREDIT_API void credit_client_destroy(credit_client *c);

/* grpc.health.v1.Health/Check for `service` ("" for the node). *serving is 1 for SERVING,
 * 0 for anything else. A name the node does not serve is CREDIT_ERPC with NOT_FOUND. */
CREDIT_API int credit_client_health(credit_client *c, const char *service, int *serving,
                                    credit_status *status);

/* Any unary method by its full path ("/credit.v1.UnitRegistry/WhoAmI"): packs `req`, waits
 * up to timeout_ms (0: the client's default) and unpacks the answer as `resp_type` into
 * *resp (free it with protobuf_c_message_free_unpacked or the generated free function). */
CREDIT_API int credit_client_call(credit_client *c, const char *method,
                                  const ProtobufCMessage *req,
                                  const ProtobufCMessageDescriptor *resp_type,
                                  ProtobufCMessage **resp, int timeout_ms,
                                  credit_status *status);

/* --- credit.v1.UnitRegistry ---------------------------------------------------------------- */

/* Who the node takes this client's certificate to be. */
CREDIT_API int credit_client_whoami(credit_client *c, Credit__V1__WhoAmIResponse **out,
                                    credit_status *status);

/* One page of units; kind 0 for every kind; page_token NULL or "" for the first page. */
CREDIT_API int credit_client_list_units(credit_client *c, Credit__V1__UnitKind kind,
                                        int page_size, const char *page_token,
                                        Credit__V1__ListUnitsResponse **out,
                                        credit_status *status);

CREDIT_API int credit_client_get_unit(credit_client *c, const char *code,
                                      Credit__V1__Unit **out, credit_status *status);

/* The office only: register, suspend, reinstate a unit; bind a certificate identity. */
CREDIT_API int credit_client_register_unit(credit_client *c, const char *code,
                                           const char *name, Credit__V1__UnitKind kind,
                                           const char *uscc, Credit__V1__Unit **out,
                                           credit_status *status);
CREDIT_API int credit_client_suspend_unit(credit_client *c, const char *code,
                                          const char *reason, Credit__V1__Unit **out,
                                          credit_status *status);
CREDIT_API int credit_client_reinstate_unit(credit_client *c, const char *code,
                                            const char *reason, Credit__V1__Unit **out,
                                            credit_status *status);
CREDIT_API int credit_client_bind_identity(credit_client *c, const char *code,
                                           const char *identity, Credit__V1__Unit **out,
                                           credit_status *status);

/* --- Public credit records ------------------------------------------------------------------ */

/* The sharing tier a query goes through. */
typedef enum credit_tier {
    CREDIT_TIER_OPEN = 1,       /* credit.v1.OpenQuery: any registered unit */
    CREDIT_TIER_GOVERNMENT = 2, /* credit.v1.GovernmentSharing: government units */
} credit_tier;

/* Pushes up to 1000 records in one call (credit.v1.PublicCreditCollection/PushBatch). A
 * rejected record is not an error of the call: *out holds one result per record, in order.
 * Retrying a whole batch is safe: records already stored come back UNCHANGED. */
CREDIT_API int credit_client_push_batch(credit_client *c, const Credit__V1__PushBatchRequest *req,
                                        Credit__V1__PushBatchResponse **out,
                                        credit_status *status);

/* A streaming push (credit.v1.PublicCreditCollection/Push): records go out one by one as
 * they are added; the node answers once, with a result per record, when the pusher is
 * finished. At most one record is buffered in the library: credit_pusher_add waits for the
 * previous record to leave, so a slow node slows the producer instead of filling memory.
 * A stream is one call, atomic like a batch: the node checks the records as they arrive and
 * stores them only when credit_pusher_finish returns 0. A stream that fails, is cancelled or
 * is destroyed unfinished stored nothing of its records: push them all again (records the
 * node had already stored before, from other calls, come back UNCHANGED). A stream holds at
 * most CREDIT_PUSH_STREAM_MAX records (and 64 MiB); a producer with more finishes the pusher
 * and opens another. A source record id appears once per stream: a repeat of an accepted
 * record is rejected, as in a batch.
 * A pusher belongs to one thread at a time; many pushers may share one client. */
typedef struct credit_pusher credit_pusher;

/* The most messages one stream carries: records (Push), samples (PushSamples). */
#define CREDIT_PUSH_STREAM_MAX 10000
#define CREDIT_SAMPLE_STREAM_MAX 200000

/* Opens the stream. timeout_ms bounds the whole stream; 0: no deadline. */
CREDIT_API int credit_pusher_create(credit_client *c, int timeout_ms, credit_pusher **out,
                                    credit_status *status);

/* Sends one record (copied; the caller keeps `rec`). CREDIT_ERPC with UNAVAILABLE when the
 * stream has already ended (call credit_pusher_finish for the node's reason); CREDIT_EINVAL for
 * a pusher of another catalogue (use credit_pusher_add_message) or one that already carries
 * CREDIT_PUSH_STREAM_MAX records. */
CREDIT_API int credit_pusher_add(credit_pusher *p, const Credit__V1__PublicRecordInput *rec,
                                 credit_status *status);

/* Closes the stream and returns the node's results, one per record added, in order; only now
 * are the accepted records stored. After a failure nothing of the stream was stored: retry
 * all its records (those stored by earlier calls come back UNCHANGED). */
CREDIT_API int credit_pusher_finish(credit_pusher *p, Credit__V1__PushBatchResponse **out,
                                    credit_status *status);

/* Frees the pusher; one not finished is cancelled, and the node stores nothing of it. NULL is
 * a no-op. */
CREDIT_API void credit_pusher_destroy(credit_pusher *p);

/* --- Every collected catalogue --------------------------------------------------------------- */

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
 * a collected catalogue. Static storage. Thread-safe. */
CREDIT_API const ProtobufCMessageDescriptor *credit_catalogue_input(credit_catalogue cat);

/* Opens a streaming push to the record catalogue `cat` (PUBLIC, SERVICE_UNIT, ASSOCIATION or
 * VOLUNTARY): its service's Push, with credit_pusher_create's behaviour, backpressure and
 * ownership; add records with credit_pusher_add_message, finish and destroy as for
 * credit_pusher_create. timeout_ms bounds the whole stream; 0: no deadline. Returns 0 and *out;
 * CREDIT_EINVAL (c or out NULL, or `cat` not a record catalogue: INDUSTRIAL streams samples
 * through credit_sample_pusher_create); CREDIT_ENOMEM. credit_pusher_create(c, t, out, st) is
 * credit_pusher_create_for(c, CREDIT_CATALOGUE_PUBLIC, t, out, st). */
CREDIT_API int credit_pusher_create_for(credit_client *c, credit_catalogue cat, int timeout_ms,
                                        credit_pusher **out, credit_status *status);

/* Sends one record of the pusher's catalogue: `rec` must be a message of the type
 * credit_catalogue_input(cat) names (Credit__V1__ServiceUnitRecordInput for SERVICE_UNIT, ...;
 * pass &rec->base). It is packed at once; the caller keeps it. Waits while the previous record
 * is still on its way (the backpressure). Returns 0; CREDIT_EINVAL (NULL argument, a message of
 * another type, or a finished pusher); CREDIT_ERPC with UNAVAILABLE when the stream has already
 * ended (credit_pusher_finish gives the node's reason). */
CREDIT_API int credit_pusher_add_message(credit_pusher *p, const ProtobufCMessage *rec,
                                         credit_status *status);

/* Pushes up to 1000 records of the record catalogue `cat` in one call (its service's
 * PushBatch): recs[0..n) must each be a message of credit_catalogue_input(cat); they are only
 * read. A rejected record is not an error of the call: *out holds one result per record, in
 * order; free it with credit__v1__push_batch_response__free_unpacked. Returns 0; CREDIT_EINVAL
 * (NULL argument, `cat` not a record catalogue, n 0, or a record of another type: the message
 * names its index); CREDIT_ERPC (INVALID_ARGUMENT for more than 1000 records, PERMISSION_DENIED
 * for a unit that may not push the catalogue, ...); CREDIT_EDECODE. Retrying a whole batch is
 * safe: records already stored come back UNCHANGED. Thread-safe. */
CREDIT_API int credit_client_push_records(credit_client *c, credit_catalogue cat,
                                          ProtobufCMessage *const *recs, size_t n,
                                          Credit__V1__PushBatchResponse **out,
                                          credit_status *status);

/* A new version of a record this unit pushed to `cat` (PUBLIC, SERVICE_UNIT or ASSOCIATION:
 * voluntary declarations are not corrected, they are withdrawn and declared again): `rec` is
 * the corrected content, a message of credit_catalogue_input(cat) whose source_record_id is the
 * record's own; `reason` is required. *out is the result (NEW_VERSION); free it with
 * credit__v1__push_result__free_unpacked. Returns 0; CREDIT_EINVAL (NULL argument, `cat`
 * without Correct, or `rec` of another type); CREDIT_ERPC (NOT_FOUND, PERMISSION_DENIED: not
 * this unit's record, INVALID_ARGUMENT naming the field); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_correct_record(credit_client *c, credit_catalogue cat,
                                            const char *record_id, const ProtobufCMessage *rec,
                                            const char *reason, Credit__V1__PushResult **out,
                                            credit_status *status);

/* Withdraws a record this unit pushed to the record catalogue `cat`, with the reason (a new
 * version marked withdrawn). *out as for credit_client_correct_record. Returns 0;
 * CREDIT_EINVAL (out NULL, `cat` not a record catalogue); CREDIT_ERPC (NOT_FOUND;
 * FAILED_PRECONDITION: already withdrawn, or a record of another catalogue); CREDIT_EDECODE.
 * credit_client_withdraw is this with CREDIT_CATALOGUE_PUBLIC. Thread-safe. */
CREDIT_API int credit_client_withdraw_record(credit_client *c, credit_catalogue cat,
                                             const char *record_id, const char *reason,
                                             Credit__V1__PushResult **out,
                                             credit_status *status);

/* Reinstates a record this unit withdrew from the record catalogue `cat`, with the reason (a
 * new version, no longer withdrawn): the only way back, since a push never revives a
 * withdrawn record. *out as for credit_client_correct_record. Returns 0; CREDIT_EINVAL (out
 * NULL, `cat` not a record catalogue); CREDIT_ERPC (NOT_FOUND; PERMISSION_DENIED: not this
 * unit's record; FAILED_PRECONDITION: not withdrawn, or a record of another catalogue;
 * INVALID_ARGUMENT: no reason); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_reinstate_record(credit_client *c, credit_catalogue cat,
                                              const char *record_id, const char *reason,
                                              Credit__V1__PushResult **out,
                                              credit_status *status);

/* --- Mandates (credit.v1.AssociationCollection) ------------------------------------------- */

/* The association platform pushes for an association only under a live mandate, which the
 * office registers and revokes. Strings are only read during the call; NULL is sent as "".
 * *out belongs to the caller (free with the generated free function named below) and is
 * untouched on failure. Returns 0; CREDIT_EINVAL when out is NULL; CREDIT_ERPC with the node's
 * code (PERMISSION_DENIED: not the office; INVALID_ARGUMENT naming the field; NOT_FOUND: no
 * such platform or mandate; ALREADY_EXISTS: a live mandate exists; FAILED_PRECONDITION: the
 * unit is no ASSOCIATION_PLATFORM, or the mandate is already revoked); CREDIT_EDECODE.
 * Thread-safe. */

/* The office registers `platform`'s mandate for the association (name and USCC required).
 * Free *out with credit__v1__mandate__free_unpacked. */
CREDIT_API int credit_client_mandate_register(credit_client *c, const char *platform,
                                              const char *association_name,
                                              const char *association_uscc,
                                              Credit__V1__Mandate **out, credit_status *status);

/* The office revokes it, with the reason (required). *out is the mandate, revoked. */
CREDIT_API int credit_client_mandate_revoke(credit_client *c, const char *platform,
                                            const char *association_uscc, const char *reason,
                                            Credit__V1__Mandate **out, credit_status *status);

/* The mandates of `platform` ("" or NULL: every platform's, for the office; a platform reads
 * only its own). Free *out with credit__v1__list_mandates_response__free_unpacked. */
CREDIT_API int credit_client_mandate_list(credit_client *c, const char *platform,
                                          Credit__V1__ListMandatesResponse **out,
                                          credit_status *status);

/* --- Verification of voluntary declarations (credit.v1.VoluntaryDeclaration) ------------- */

/* The office's verdict on a pending declaration: verified non-zero shares it from now on,
 * zero rejects it; `reason` (required) says what was checked or why it failed. *out is the
 * result of the new version; free it with credit__v1__push_result__free_unpacked. Returns 0;
 * CREDIT_EINVAL (out NULL); CREDIT_ERPC (PERMISSION_DENIED: not the office; NOT_FOUND;
 * FAILED_PRECONDITION: not a pending declaration; INVALID_ARGUMENT); CREDIT_EDECODE.
 * Thread-safe. */
CREDIT_API int credit_client_verify(credit_client *c, const char *record_id, int verified,
                                    const char *reason, Credit__V1__PushResult **out,
                                    credit_status *status);

/* One page of the declarations waiting for verification (the office), oldest record id
 * first; page_size 0 for 50 (at most 500), page_token NULL or "" for the first page, else the
 * previous page's next_page_token. Free *out with
 * credit__v1__list_records_response__free_unpacked. Returns as credit_client_verify. */
CREDIT_API int credit_client_list_pending(credit_client *c, int page_size, const char *page_token,
                                          Credit__V1__ListRecordsResponse **out,
                                          credit_status *status);

/* One page of the declarations in state `verification` (the office), by record id:
 * CREDIT__V1__VERIFICATION__VERIFICATION_PENDING (or _UNSPECIFIED) is the queue, as
 * credit_client_list_pending; _VERIFIED or _REJECTED those whose current version has that
 * verdict, withdrawn ones included, each with its status (verification_reason, verified_by).
 * Paging, ownership and returns as credit_client_list_pending (INVALID_ARGUMENT for another
 * state). Thread-safe. */
CREDIT_API int credit_client_list_declarations(credit_client *c,
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
 * counted unchanged. A sample pusher belongs to one thread at a time; many may share a client. */
typedef struct credit_sample_pusher credit_sample_pusher;

/* Opens the stream. timeout_ms bounds the whole stream; 0: no deadline. Returns 0 and *out
 * (destroy with credit_sample_pusher_destroy); CREDIT_EINVAL; CREDIT_ENOMEM. */
CREDIT_API int credit_sample_pusher_create(credit_client *c, int timeout_ms,
                                           credit_sample_pusher **out, credit_status *status);

/* Sends one sample (packed at once; the caller keeps it). Returns 0; CREDIT_EINVAL (NULL
 * argument or a finished pusher); CREDIT_ERPC with UNAVAILABLE when the stream has already
 * ended (credit_sample_pusher_finish gives the node's reason). */
CREDIT_API int credit_sample_pusher_add(credit_sample_pusher *p, const Credit__V1__Sample *s,
                                        credit_status *status);

/* Closes the stream and returns the node's summary: counts of accepted, unchanged and rejected
 * samples and the first 100 rejections (each with the sample's index in the stream, from 0).
 * Free *out with credit__v1__sample_summary__free_unpacked. Returns 0; CREDIT_EINVAL (NULL
 * argument, already finished); CREDIT_ERPC (PERMISSION_DENIED: not an industrial platform,
 * UNAVAILABLE: the samples could not be stored, ...); CREDIT_EDECODE. Call once. */
CREDIT_API int credit_sample_pusher_finish(credit_sample_pusher *p,
                                           Credit__V1__SampleSummary **out,
                                           credit_status *status);

/* Frees the pusher; one not finished is cancelled, and the node stores nothing of it. NULL is
 * a no-op. */
CREDIT_API void credit_sample_pusher_destroy(credit_sample_pusher *p);

/* Opt-ins: a platform registers an enterprise's consent (the SHA-256 of the signed consent, 64
 * lower-case hex digits) before it streams the enterprise's samples; the platform, the office
 * or the enterprise revokes it. `platform` is named by the office and left NULL or "" by a
 * platform acting for itself. Strings are only read during the call. *out belongs to the
 * caller, untouched on failure. Returns 0; CREDIT_EINVAL (out NULL); CREDIT_ERPC
 * (PERMISSION_DENIED, INVALID_ARGUMENT naming the field, NOT_FOUND, ALREADY_EXISTS,
 * FAILED_PRECONDITION); CREDIT_EDECODE. Thread-safe. */

/* Registers; free *out with credit__v1__opt_in__free_unpacked. */
CREDIT_API int credit_client_optin_register(credit_client *c, const char *enterprise_uscc,
                                            const char *consent_digest, const char *platform,
                                            Credit__V1__OptIn **out, credit_status *status);

/* Revokes; *out is the opt-in, revoked. */
CREDIT_API int credit_client_optin_revoke(credit_client *c, const char *enterprise_uscc,
                                          const char *platform, Credit__V1__OptIn **out,
                                          credit_status *status);

/* The opt-ins of `platform` (NULL or "": the caller's own for a platform, every one for the
 * office). Free *out with credit__v1__list_opt_ins_response__free_unpacked. */
CREDIT_API int credit_client_optin_list(credit_client *c, const char *platform,
                                        Credit__V1__ListOptInsResponse **out,
                                        credit_status *status);

/* One page of an enterprise's metric through a tier (GetSeries of credit.v1.OpenQuery or
 * GovernmentSharing): the samples as stored, or MONTHLY_TOTAL points; `req` is only read.
 * Free *out with credit__v1__series_response__free_unpacked. Returns 0; CREDIT_EINVAL (req or
 * out NULL, or tier not a tier); CREDIT_ERPC (PERMISSION_DENIED: the metric is above the
 * caller's tier, naming the tier it needs; INVALID_ARGUMENT naming the field; NOT_FOUND: no
 * such section or metric); CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_get_series(credit_client *c, credit_tier tier,
                                        const Credit__V1__SeriesRequest *req,
                                        Credit__V1__SeriesResponse **out, credit_status *status);

/* --- Filtered record lists ---------------------------------------------------------------- */

/* What credit_client_list_records_filtered asks for. Start with credit_record_filter_init; the
 * struct may grow (struct_size tells the library how much of it the caller knows). */
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
    const char *page_token;                 /* NULL or "": the first page */
} credit_record_filter;

/* Fills `f` with the defaults (struct_size set, everything else zero). */
CREDIT_API void credit_record_filter_init(credit_record_filter *f);

/* One page of a subject's records through a tier, narrowed to catalogues, sections and public
 * categories (ListRecords; credit_client_list_records takes the request message itself, whose
 * catalogues and sections fields say the same). The filter is only read. Free *out with
 * credit__v1__list_records_response__free_unpacked. Returns 0; CREDIT_EINVAL (f or out NULL,
 * struct_size not set, more than 16 catalogues, tier not a tier); CREDIT_ERPC
 * (INVALID_ARGUMENT naming the field, PERMISSION_DENIED for a tier the unit may not use);
 * CREDIT_EDECODE. Thread-safe. */
CREDIT_API int credit_client_list_records_filtered(credit_client *c, credit_tier tier,
                                                   const credit_record_filter *f,
                                                   Credit__V1__ListRecordsResponse **out,
                                                   credit_status *status);

/* A new version of a record this unit pushed, with the reason; or its withdrawal. */
CREDIT_API int credit_client_correct(credit_client *c, const Credit__V1__CorrectRequest *req,
                                     Credit__V1__PushResult **out, credit_status *status);
CREDIT_API int credit_client_withdraw(credit_client *c, const char *record_id,
                                      const char *reason, Credit__V1__PushResult **out,
                                      credit_status *status);

/* A subject's records through a tier, filtered field by field for that tier. */
CREDIT_API int credit_client_list_records(credit_client *c, credit_tier tier,
                                          const Credit__V1__ListRecordsRequest *req,
                                          Credit__V1__ListRecordsResponse **out,
                                          credit_status *status);

/* One record through a tier; the government tier adds its earlier versions, the first page
 * of them (up to 100; next_history_page_token continues, with credit_client_get_record_page). */
CREDIT_API int credit_client_get_record(credit_client *c, credit_tier tier, const char *record_id,
                                        Credit__V1__GetRecordResponse **out,
                                        credit_status *status);

/* GetRecord with a request of the caller's: a page of the history (history_page_size,
 * history_page_token from the previous answer). *out as for credit_client_get_record; a
 * token of another record, or altered, is CREDIT_ERPC with INVALID_ARGUMENT. Thread-safe. */
CREDIT_API int credit_client_get_record_page(credit_client *c, credit_tier tier,
                                             const Credit__V1__GetRecordRequest *req,
                                             Credit__V1__GetRecordResponse **out,
                                             credit_status *status);

/* --- credit.v1.CatalogueGovernance ---------------------------------------------------------- */

/* The comprehensive credit information catalogue: its versions, and the change requests that
 * make new ones (filed by a government unit, reviewed and decided by the office).
 *
 * Every function here, as the others: returns 0 and *out; CREDIT_EINVAL when `out` (or `req`)
 * is NULL; CREDIT_ERPC with status->code the node's code (PERMISSION_DENIED: this unit may not
 * take the step; NOT_FOUND: no such version or request; FAILED_PRECONDITION: the request is
 * not in a state that allows the step; INVALID_ARGUMENT: the node names the field at fault);
 * CREDIT_EDECODE when the answer cannot be decoded. *out belongs to the caller, who frees it
 * with the generated free function of its type (`credit__v1__change_request__free_unpacked(x,
 * NULL)`); it is untouched on failure. Strings passed in are only read during the call; NULL
 * is sent as "". Thread-safe: any thread may call through a shared client. */

/* Every version, oldest first, and the number of the one in force now. Free *out with
 * credit__v1__list_versions_response__free_unpacked. */
CREDIT_API int credit_client_catalogue_versions(credit_client *c,
                                                Credit__V1__ListVersionsResponse **out,
                                                credit_status *status);

/* One version in full (every catalogue, section and dimension); version 0 for the version in
 * force now. Free *out with credit__v1__catalogue_version__free_unpacked. */
CREDIT_API int credit_client_catalogue_get(credit_client *c, uint32_t version,
                                           Credit__V1__CatalogueVersion **out,
                                           credit_status *status);

/* Files a change request (any government unit); `req` is only read. *out is the request as
 * filed, its id set and its state CHANGE_FILED. Free *out with
 * credit__v1__change_request__free_unpacked. */
CREDIT_API int credit_client_catalogue_propose(credit_client *c,
                                               const Credit__V1__ProposeChangeRequest *req,
                                               Credit__V1__ChangeRequest **out,
                                               credit_status *status);

/* Compliance review of the filed request `id` (the office only): pass non-zero to pass it;
 * `reasons` is required. *out is the request after the review. Free *out with
 * credit__v1__change_request__free_unpacked. */
CREDIT_API int credit_client_catalogue_review(credit_client *c, const char *id, int pass,
                                              const char *reasons,
                                              Credit__V1__ChangeRequest **out,
                                              credit_status *status);

/* Deliberation of the request `id` that passed review (the office only): approve non-zero to
 * approve it, making a new version that takes effect at effective_at_unix (seconds since the
 * epoch; 0: now); `reasons` is required. *out is the request after the decision (approved:
 * resulting_version and effective_at set). Free *out with
 * credit__v1__change_request__free_unpacked. */
CREDIT_API int credit_client_catalogue_decide(credit_client *c, const char *id, int approve,
                                              const char *reasons, int64_t effective_at_unix,
                                              Credit__V1__ChangeRequest **out,
                                              credit_status *status);

/* One change request by its id ("CR-000001"). Free *out with
 * credit__v1__change_request__free_unpacked. */
CREDIT_API int credit_client_catalogue_change(credit_client *c, const char *id,
                                              Credit__V1__ChangeRequest **out,
                                              credit_status *status);

/* The change requests in `state`, oldest first; CHANGE_STATE_UNSPECIFIED (0) for every state.
 * Free *out with credit__v1__list_changes_response__free_unpacked. */
CREDIT_API int credit_client_catalogue_changes(credit_client *c, Credit__V1__ChangeState state,
                                               Credit__V1__ListChangesResponse **out,
                                               credit_status *status);

#ifdef __cplusplus
}
#endif

#endif /* CREDIT_CLIENT_H */
