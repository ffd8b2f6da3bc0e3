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
    char key[KEY_MAX];
    size_t klen = mandate_key(key, platform, uscc), len = 0;
    void *val = NULL;
    Credit__V1__Mandate *m;
    int rc;

    if (klen == 0)
        return STORE_ENOTFOUND;
    rc = store_get(st, NULL, STORE_CF_UNITS, key, klen, &val, &len, err);
    if (rc != 0)
        return rc;
    m = credit__v1__mandate__unpack(NULL, len, val);
    free(val);
    if (!m) {
        if (err)
            snprintf(err, STORE_ERR_LEN, "mandate of %.64s for %.32s is unreadable", platform,
                     uscc);
        return STORE_EIO;
    }
    *out = m;
    return 0;
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
    for (size_t i = 0; i < n; i++)
        credit__v1__mandate__free_unpacked(v[i], NULL);
    free(v);
}

int mandate_list(store *st, const char *platform, Credit__V1__Mandate ***out, size_t *n,
                 char *err)
{
    char prefix[KEY_MAX];
    size_t plen = *platform ? mandate_key(prefix, platform, "") : 2;
    Credit__V1__Mandate **v = NULL;
    size_t count = 0;
    store_iter *it;
    int rc = 0;

    if (!*platform)
        memcpy(prefix, "m/", 2);
    if (plen == 0) {
        *out = NULL;
        *n = 0;
        return 0;
    }
    it = store_iter_create(st, NULL, STORE_CF_UNITS, prefix, plen, NULL, 0);
    for (; store_iter_valid(it); store_iter_next(it)) {
        size_t len;
        const void *val = store_iter_value(it, &len);
        Credit__V1__Mandate *m = credit__v1__mandate__unpack(NULL, len, val);
        Credit__V1__Mandate **grown;

        if (!m)
            continue;
        grown = realloc(v, (count + 1) * sizeof *grown);
        if (!grown) {
            credit__v1__mandate__free_unpacked(m, NULL);
            rc = STORE_ENOMEM;
            break;
        }
        v = grown;
        v[count++] = m;
    }
    if (rc == 0 && store_iter_error(it, err) != 0)
        rc = STORE_EIO;
    store_iter_destroy(it);
    if (rc != 0) {
        mandate_free_list(v, count);
        return rc;
    }
    *out = v;
    *n = count;
    return 0;
}
