/*
 * client_int.h — libcreditclient's own internals: the line between the gRPC-core plumbing
 * (channel.c) and the typed calls (calls.c). Never installed.
 *
 * channel.c is the only file of the library that includes a grpc/ header. It owns the
 * channel, the method registrations, one completion queue per call, and the byte buffers;
 * what it offers the rest of the library is a message-in, message-out vocabulary:
 *  - client_unary: one unary call, a protobuf-c request in and a decoded answer out;
 *  - client_stream_*: one client-streaming call, messages added one at a time with at most
 *    one in flight (the backpressure), one decoded answer at the close;
 *  - client_reader_*: one server-streaming call, answers read one at a time when asked for.
 * calls.c knows the services: method paths, request messages, which catalogue goes where. It
 * sees no grpc_* type, so a change of transport touches channel.c alone.
 *
 * The conventions of the public header hold here too: 0 or a negative credit_err, the status
 * (optional) always filled, out-parameters untouched on failure.
 */
#ifndef CREDIT_CLIENT_INT_H
#define CREDIT_CLIENT_INT_H

#include "credit/client.h"

#include <stddef.h>

/* Fills `st` (if any) with `code` and the formatted message; returns CREDIT_OK for
 * CREDIT_CODE_OK and CREDIT_ERPC otherwise, so a caller that needs another credit_err sets
 * the status here and returns its own code. */
__attribute__((format(printf, 3, 4))) int client_fail(credit_status *st, int code, const char *fmt,
                                                      ...);

/* Fills `st` (if any) with OK and an empty message. */
void client_ok(credit_status *st);

/* Calls the unary `method` ("/credit.v1.UnitRegistry/WhoAmI") with `req`, waiting up to
 * timeout_ms (<= 0: the client's default), and decodes the answer as `resp_type` into *resp,
 * which the caller frees with protobuf_c_message_free_unpacked. Every argument is required
 * (the public wrappers check them). Returns 0; CREDIT_ERPC (the node's status, or INTERNAL
 * when the call could not complete); CREDIT_EDECODE. Thread-safe. */
int client_unary(credit_client *c, const char *method, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *resp_type, ProtobufCMessage **resp,
                 int timeout_ms, credit_status *st);

/* One client-streaming call. Owned by one thread at a time. */
typedef struct client_stream client_stream;

/* Opens a stream of `method` whose messages are of type `input` (at most `limit` of them) and
 * whose one answer is of type `answer`. timeout_ms bounds the whole stream; <= 0: no
 * deadline. Returns 0 and *out (free with client_stream_destroy); CREDIT_ENOMEM. A stream that
 * cannot start is still returned: its first add or its finish reports the failure. */
int client_stream_open(credit_client *c, const char *method,
                       const ProtobufCMessageDescriptor *input,
                       const ProtobufCMessageDescriptor *answer, size_t limit, int timeout_ms,
                       client_stream **out, credit_status *st);

/* Packs `msg` (the caller keeps it) and sends it once the previous message has left.
 * Returns 0; CREDIT_EINVAL (NULL, a message of another type, a finished stream, or `limit`
 * already reached); CREDIT_ERPC (UNAVAILABLE: the stream has ended, finish tells why;
 * INTERNAL: the send could not start). */
int client_stream_add(client_stream *s, const ProtobufCMessage *msg, credit_status *st);

/* As client_stream_add for a message the caller has already encoded: bytes[0..len) must be
 * a message of the stream's `input` type (they are copied). Same return codes, but the type
 * is not checked. */
int client_stream_add_encoded(client_stream *s, const void *bytes, size_t len,
                              credit_status *st);

/* Half-closes the stream and decodes the node's answer into *out (the caller frees it with
 * protobuf_c_message_free_unpacked). Returns 0; CREDIT_EINVAL (NULL, or finished before);
 * CREDIT_ERPC; CREDIT_EDECODE. Only once per stream. */
int client_stream_finish(client_stream *s, ProtobufCMessage **out, credit_status *st);

/* Cancels the stream if it was not finished, waits for its queue and frees it. NULL is a
 * no-op. */
void client_stream_destroy(client_stream *s);

/* Calls `method` (request `req`, which may be NULL: CREDIT_EINVAL, as are c and out) and
 * hands over its answer, decoded as `type`, into *out. calls.c's typed calls all go here. */
int client_typed_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *type, void **out, credit_status *st);

/* A ListRecordsRequest built from a credit_record_filter: the message and what it points to,
 * all in one struct of the caller's. */
#define CLIENT_FILTER_CATALOGUES_MAX 16
typedef struct client_filter_msg {
    Credit__V1__ListRecordsRequest req;
    Credit__V1__SubjectRef ref;
    Credit__V1__Catalogue cats[CLIENT_FILTER_CATALOGUES_MAX];
} client_filter_msg;

/* Fills *m from `filter` (borrowed: m points into it). Returns 0, or CREDIT_EINVAL (filter
 * NULL, struct_size not set, more than CLIENT_FILTER_CATALOGUES_MAX catalogues). */
int client_filter_request(const credit_record_filter *filter, client_filter_msg *m,
                          credit_status *st);
/* One server-streaming call (Sync.Subscribe). Owned by one thread at a time. */
typedef struct client_reader client_reader;

/* Starts `method` with `req` (packed now; the caller keeps it); its answers are of type
 * `answer`. timeout_ms bounds the whole stream; <= 0: no deadline. Returns 0 and *out (free
 * with client_reader_destroy); CREDIT_ENOMEM. A stream that cannot start is still returned:
 * its first next reports why. */
int client_reader_open(credit_client *c, const char *method, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *answer, int timeout_ms,
                       client_reader **out, credit_status *st);

/* Waits up to wait_ms (< 0: as long as it takes) for the next answer. Returns 1 with *out
 * (the caller frees it with protobuf_c_message_free_unpacked); 0 when none came in time (ask
 * again); CREDIT_ERPC when the stream is over, with its status (OK for a stream the node
 * ended normally); CREDIT_EDECODE. Nothing is read before it is asked for. */
int client_reader_next(client_reader *r, int wait_ms, ProtobufCMessage **out,
                       credit_status *st);

/* Cancels the stream if it is still open, waits for its queue and frees it. NULL: no-op. */
void client_reader_destroy(client_reader *r);

#endif /* CREDIT_CLIENT_INT_H */
