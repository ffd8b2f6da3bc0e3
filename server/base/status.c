/*
 * status.c — see status.h.
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
