/*
 * versions.c — see versions.h.
 */
#include "versions.h"

#include <stdio.h>

#define KEY_LEN 5 /* 'v' + be32 */

static void version_key(unsigned char key[KEY_LEN], uint32_t version)
{
    key[0] = 'v';
    key[1] = (unsigned char)(version >> 24);
    key[2] = (unsigned char)(version >> 16);
    key[3] = (unsigned char)(version >> 8);
    key[4] = (unsigned char)version;
}

int versions_put(store_batch *b, const Credit__V1__CatalogueVersion *msg)
{
    unsigned char key[KEY_LEN];

    version_key(key, msg->version);
    return pb_batch_put(b, STORE_CF_CATALOGUE, key, sizeof key, &msg->base);
}

int versions_write(store *st, const Credit__V1__CatalogueVersion *msg, char *err)
{
    store_batch *b = store_batch_create();
    int rc = b ? versions_put(b, msg) : STORE_ENOMEM;

    if (rc == 0)
        rc = store_write(st, b, err);
    else if (err)
        snprintf(err, STORE_ERR_LEN, "out of memory");
    store_batch_destroy(b);
    return rc;
}

int versions_scan_open(store *st, versions_scan **out)
{
    return pb_scan_open(st, NULL, STORE_CF_CATALOGUE, "v", 1, NULL, 0,
                        &credit__v1__catalogue_version__descriptor, out);
}

int versions_scan_next(versions_scan *s, Credit__V1__CatalogueVersion **out, char *err)
{
    return pb_scan_next(s, (ProtobufCMessage **)out, NULL, NULL, err);
}

void versions_scan_close(versions_scan *s)
{
    pb_scan_close(s);
}
