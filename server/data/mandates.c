/*
 * mandates.c — see mandates.h.
 */
#include "mandates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb.h"

#define KEY_MAX 256

/* "m/<platform>\0<uscc>" into key[KEY_MAX]; returns its length, 0 if it does not fit. The
 * NUL keeps one platform's prefix from matching another that starts the same way. */
static size_t mandate_key(char *key, const char *platform, const char *uscc)
{
    size_t p = strlen(platform), u = strlen(uscc);

    if (2 + p + 1 + u > KEY_MAX)
        return 0;
    memcpy(key, "m/", 2);
    memcpy(key + 2, platform, p);
    key[2 + p] = '\0';
    memcpy(key + 3 + p, uscc, u);
    return 3 + p + u;
}

int mandate_get(store *st, const char *platform, const char *uscc, Credit__V1__Mandate **out,
                char *err)
{
    char key[KEY_MAX], what[128];
    size_t klen = mandate_key(key, platform, uscc);

    if (klen == 0)
        return STORE_ENOTFOUND;
    snprintf(what, sizeof what, "mandate of %.64s for %.32s", platform, uscc);
    return pb_store_get(st, NULL, STORE_CF_UNITS, key, klen, &credit__v1__mandate__descriptor,
                        what, (ProtobufCMessage **)out, err);
}

int mandate_put(store_batch *b, const Credit__V1__Mandate *m)
{
    char key[KEY_MAX];
    size_t klen = mandate_key(key, m->platform, m->association ? m->association->uscc : "");

    if (klen == 0)
        return STORE_EINVAL;
    return pb_batch_put(b, STORE_CF_UNITS, key, klen, &m->base);
}

void mandate_free_list(Credit__V1__Mandate **v, size_t n)
{
    pb_free_list((ProtobufCMessage **)v, n);
}

int mandate_list(store *st, const char *platform, Credit__V1__Mandate ***out, size_t *n,
                 char *err)
{
    char prefix[KEY_MAX];
    size_t plen = *platform ? mandate_key(prefix, platform, "") : 2;

    if (!*platform)
        memcpy(prefix, "m/", 2);
    if (plen == 0) {
        *out = NULL;
        *n = 0;
        return 0;
    }
    /* An unreadable mandate is left out of the list rather than hiding all the others. */
    return pb_store_list(st, STORE_CF_UNITS, prefix, plen, &credit__v1__mandate__descriptor, 1,
                         "mandate", (ProtobufCMessage ***)out, n, err);
}
