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

/* Reason codes: the kind of fault a rejected record (or sample) has, as fixed words a program
 * acts on or translates (PushResult.reason_code, Fault.reason_code; README "Reason codes").
 * A check states the kind where it finds the fault, beside its sentence for people, so the
 * wording of a reason never decides its code. REASON_OTHER is a fault of no kind listed here;
 * its word is its status's (status_reason_word). Numbers are internal: the wire carries the
 * words. */
enum rpc_reason {
    REASON_OTHER = 0,
    REASON_REQUIRED,         /* a required value missing, empty or only blanks */
    REASON_TOO_LONG,         /* text longer than its field allows */
    REASON_BAD_TEXT,         /* not UTF-8, or a control character */
    REASON_BAD_USCC,         /* not a valid unified social credit code */
    REASON_BAD_RESIDENT_ID,  /* not a valid resident identity number */
    REASON_BAD_CODE,         /* an older code (registration number, organisation code, tax
                                number) not of its form */
    REASON_BAD_DATE,         /* not a real date of the years 1900 to 9999 */
    REASON_FUTURE_DATE,      /* after today (China time), or a source time too far ahead */
    REASON_OUT_OF_ORDER,     /* an end before its start */
    REASON_OUTSIDE_WINDOW,   /* a penalty's end of publicity outside its severity's window */
    REASON_OUT_OF_RANGE,     /* a number or time outside what the field allows */
    REASON_NOT_ALLOWED,      /* a value the dimension (or section) does not allow */
    REASON_PATTERN_MISMATCH, /* text that does not match the dimension's pattern */
    REASON_UNKNOWN_VALUE,    /* an enum number the .proto does not define */
    REASON_UNKNOWN_SECTION,  /* a category or section the catalogue in force does not have */
    REASON_WRONG_TYPE,       /* a value of another type than its dimension's */
    REASON_NOT_A_DIMENSION,  /* a value (field, extra key, metric) that is no dimension there */
    REASON_DUPLICATE,        /* an extra key given twice */
    REASON_CONTRADICTS,      /* codes of the subject that disagree */
    REASON_WRONG_BODY,       /* a body the category or section does not take */
    REASON_NOT_RESPONSIBLE,  /* the unit may not push this (category, channel, mandate) */
    REASON_NO_OPT_IN,        /* an industrial sample of an enterprise without a live opt-in */
    REASON_STALE,            /* source_updated_at not later than the stored version's */
    REASON_SUBJECT_CHANGED,  /* another subject than the one stored for the source record */
    REASON_SOURCE_ID_TAKEN,  /* the source id names a record of another catalogue */
    REASON_WITHDRAWN,        /* new content for a withdrawn record */
    REASON_REPEATED_IN_CALL, /* a source record accepted earlier in the same call */
    REASON_COUNT
};

/* The word of reason `reason` ("REQUIRED", "BAD_USCC", ...); for REASON_OTHER (or a number
 * out of range) the word of status `code`: INVALID (INVALID_ARGUMENT), PRECONDITION
 * (FAILED_PRECONDITION), NOT_RESPONSIBLE (PERMISSION_DENIED), else UNAVAILABLE. Never NULL;
 * the string is static. */
const char *status_reason_word(int reason, int code);

#endif /* CREDIT_STATUS_H */
