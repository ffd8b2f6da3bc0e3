/*
 * reflection.h — gRPC server reflection, v1 and v1alpha, answered from the descriptor set.
 *
 * Both versions are served because clients differ: grpcurl asks v1 first and falls back to
 * v1alpha on UNIMPLEMENTED, older tools know only v1alpha. Their messages are the same in all
 * but the package name. Method ServerReflectionInfo is a bidi stream: every request gets one
 * response in the stream, errors included (an unknown file or symbol is an error_response
 * with NOT_FOUND, not a failed call), and the call ends with OK when the client half-closes.
 *
 * Threads: reflection_init runs once, before the server starts; after that everything here
 * only reads the descset, from any thread.
 */
#ifndef CREDIT_REFLECTION_H
#define CREDIT_REFLECTION_H

#include <stddef.h>
#include <stdint.h>

#include "descset.h"
#include "rpc.h"

#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"

/* The two reflection services, answering from `ds` (borrowed; must outlive the server). */
void reflection_init(const descset *ds);
extern const rpc_service reflection_v1_service;
extern const rpc_service reflection_v1alpha_service;

/* The answer to one request, for tests and for the handlers: a serialized
 * ServerReflectionResponse of the request's version, with valid_host and original_request
 * set. Returns 0 with *out (malloc'd; the caller frees it with free) and *out_len, or -1 if
 * memory ran out (the out-parameters are then untouched). Thread-safe. */
int reflection_answer_v1(const descset *ds,
                         const Grpc__Reflection__V1__ServerReflectionRequest *req, uint8_t **out,
                         size_t *out_len);
int reflection_answer_v1alpha(const descset *ds,
                              const Grpc__Reflection__V1alpha__ServerReflectionRequest *req,
                              uint8_t **out, size_t *out_len);

#endif /* CREDIT_REFLECTION_H */
