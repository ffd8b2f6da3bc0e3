/*
 * status.c — see status.h: the store's errors as statuses, and the words of the reason codes.
 */
#include "status.h"

#include "store.h"

static const struct {
    int store_rc;
    int status;
} store_table[] = {
    {STORE_OK, RPC_OK},
    {STORE_ENOTFOUND, RPC_NOT_FOUND}, /* callers that expect absence test for it first */
    {STORE_EIO, RPC_UNAVAILABLE},     /* transient: the client may try again */
    {STORE_ENOMEM, RPC_RESOURCE_EXHAUSTED},
    {STORE_EINVAL, RPC_INTERNAL},           /* a key the node itself could not make */
    {STORE_ENOSPC, RPC_RESOURCE_EXHAUSTED}, /* the disk is full: retry once space returns */
    {STORE_EDISK, RPC_UNAVAILABLE},         /* an I/O or fsync error: restart, then retry */
    {STORE_EFAILED, RPC_UNAVAILABLE},       /* writes refused since an earlier STORE_EDISK */
    {STORE_ECORRUPT, RPC_DATA_LOSS},        /* a stored value that does not decode */
};

int status_from_store(int store_rc)
{
    for (size_t i = 0; i < sizeof store_table / sizeof store_table[0]; i++) {
        if (store_table[i].store_rc == store_rc)
            return store_table[i].status;
    }
    return RPC_INTERNAL;
}

/* Indexed by enum rpc_reason: the one place a reason's word is spelled. */
static const char *const reason_words[REASON_COUNT] = {
    [REASON_OTHER] = NULL,
    [REASON_REQUIRED] = "REQUIRED",
    [REASON_TOO_LONG] = "TOO_LONG",
    [REASON_BAD_TEXT] = "BAD_TEXT",
    [REASON_BAD_USCC] = "BAD_USCC",
    [REASON_BAD_RESIDENT_ID] = "BAD_RESIDENT_ID",
    [REASON_BAD_CODE] = "BAD_CODE",
    [REASON_BAD_DATE] = "BAD_DATE",
    [REASON_FUTURE_DATE] = "FUTURE_DATE",
    [REASON_OUT_OF_ORDER] = "OUT_OF_ORDER",
    [REASON_OUTSIDE_WINDOW] = "OUTSIDE_WINDOW",
    [REASON_OUT_OF_RANGE] = "OUT_OF_RANGE",
    [REASON_NOT_ALLOWED] = "NOT_ALLOWED",
    [REASON_PATTERN_MISMATCH] = "PATTERN_MISMATCH",
    [REASON_UNKNOWN_VALUE] = "UNKNOWN_VALUE",
    [REASON_UNKNOWN_SECTION] = "UNKNOWN_SECTION",
    [REASON_WRONG_TYPE] = "WRONG_TYPE",
    [REASON_NOT_A_DIMENSION] = "NOT_A_DIMENSION",
    [REASON_DUPLICATE] = "DUPLICATE",
    [REASON_CONTRADICTS] = "CONTRADICTS",
    [REASON_WRONG_BODY] = "WRONG_BODY",
    [REASON_NOT_RESPONSIBLE] = "NOT_RESPONSIBLE",
    [REASON_NO_OPT_IN] = "NO_OPT_IN",
    [REASON_STALE] = "STALE",
    [REASON_SUBJECT_CHANGED] = "SUBJECT_CHANGED",
    [REASON_SOURCE_ID_TAKEN] = "SOURCE_ID_TAKEN",
    [REASON_WITHDRAWN] = "WITHDRAWN",
    [REASON_REPEATED_IN_CALL] = "REPEATED_IN_CALL",
};

const char *status_reason_word(int reason, int code)
{
    if (reason > REASON_OTHER && reason < REASON_COUNT && reason_words[reason])
        return reason_words[reason];
    switch (code) {
    case RPC_INVALID_ARGUMENT:
        return "INVALID";
    case RPC_FAILED_PRECONDITION:
        return "PRECONDITION";
    case RPC_PERMISSION_DENIED:
        return "NOT_RESPONSIBLE";
    default:
        return "UNAVAILABLE";
    }
}
