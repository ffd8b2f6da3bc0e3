/*
 * keyprint.c — see keyprint.h.
 */
#include "keyprint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char fp_key[] = "privacy-fingerprint";

int keyprint_get(store *st, unsigned char out[PRIVACY_FINGERPRINT_LEN], char *err)
{
    void *val = NULL;
    size_t len = 0;
    int rc = store_get(st, NULL, STORE_CF_DEFAULT, fp_key, sizeof fp_key - 1, &val, &len, err);

    if (rc != 0)
        return rc;
    if (len != PRIVACY_FINGERPRINT_LEN) {
        if (err)
            snprintf(err, STORE_ERR_LEN, "the stored key fingerprint has %zu bytes, not %d", len,
                     PRIVACY_FINGERPRINT_LEN);
        free(val);
        return STORE_ECORRUPT;
    }
    memcpy(out, val, len);
    free(val);
    return 0;
}

int keyprint_put(store *st, const unsigned char fp[PRIVACY_FINGERPRINT_LEN], char *err)
{
    store_batch *b = store_batch_create();
    int rc;

    if (!b) {
        if (err)
            snprintf(err, STORE_ERR_LEN, "out of memory");
        return STORE_ENOMEM;
    }
    store_batch_put(b, STORE_CF_DEFAULT, fp_key, sizeof fp_key - 1, fp, PRIVACY_FINGERPRINT_LEN);
    rc = store_write(st, b, err);
    store_batch_destroy(b);
    return rc;
}
