/*
 * status.h — the node's one vocabulary of outcomes, and the one table from internal errors
 * to it.
 *
 * Every module that decides how a call ends — the services, and the rules that report a
 * status for them (record checks, subjects, the catalogue) — speaks in the RPC_* codes
 * below; nothing spells a status as a number. The data-access modules report STORE_E* codes
 * (store.h); status_from_store is the one place that decides which status each of them
 * becomes, so that "the store cannot be read now" is UNAVAILABLE everywhere and a value that
 * does not decode is DATA_LOSS everywhere.
 *
 * Pure; safe from any thread.
 */
#ifndef CREDIT_STATUS_H
#define CREDIT_STATUS_H

/* gRPC status codes, numerically equal to grpc_status_code; defined here so that neither
 * the handlers nor the rules include grpc headers or spell a code as a number. */
enum rpc_code {
    RPC_OK = 0,
    RPC_CANCELLED = 1,
    RPC_UNKNOWN = 2,
    RPC_INVALID_ARGUMENT = 3,
    RPC_DEADLINE_EXCEEDED = 4,
    RPC_NOT_FOUND = 5,
    RPC_ALREADY_EXISTS = 6,
    RPC_PERMISSION_DENIED = 7,
    RPC_RESOURCE_EXHAUSTED = 8,
    RPC_FAILED_PRECONDITION = 9,
    RPC_ABORTED = 10,
    RPC_OUT_OF_RANGE = 11,
    RPC_UNIMPLEMENTED = 12,
    RPC_INTERNAL = 13,
    RPC_UNAVAILABLE = 14,
    RPC_DATA_LOSS = 15,
    RPC_UNAUTHENTICATED = 16,
};

/* The status a store error becomes:
 *   STORE_OK        -> RPC_OK
 *   STORE_ENOTFOUND -> RPC_NOT_FOUND            (a caller that expects absence checks first)
 *   STORE_EIO       -> RPC_UNAVAILABLE          (transient: the client may try again)
 *   STORE_ENOMEM    -> RPC_RESOURCE_EXHAUSTED
 *   STORE_EINVAL    -> RPC_INTERNAL             (a key the node itself could not make)
 *   STORE_ENOSPC    -> RPC_RESOURCE_EXHAUSTED   (the disk is full; retry once space returns)
 *   STORE_EDISK     -> RPC_UNAVAILABLE          (an I/O or fsync error: the node must restart)
 *   STORE_EFAILED   -> RPC_UNAVAILABLE          (writes refused since an earlier STORE_EDISK)
 *   STORE_ECORRUPT  -> RPC_DATA_LOSS            (a stored value that does not decode)
 * and anything else RPC_INTERNAL. */
int status_from_store(int store_rc);

#endif /* CREDIT_STATUS_H */
