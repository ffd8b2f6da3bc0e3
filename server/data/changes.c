/*
 * changes.c — see changes.h.
 */
#include "changes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb.h"

#define KEY_LEN 9 /* 'c' + be64 */

static void request_key(unsigned char key[KEY_LEN], uint64_t seq)
{
    key[0] = 'c';
    store_put_be64(key + 1, seq);
}

const char *changes_id(uint64_t seq, char *buf)
{
    snprintf(buf, CHANGES_ID_LEN, "CR-%06" PRIu64, seq);
    return buf;
}

int changes_parse_id(const char *id, uint64_t *seq)
{
    char buf[CHANGES_ID_LEN];
    uint64_t v = 0;
    size_t n;

    if (strncmp(id, "CR-", 3) != 0)
        return -1;
    n = strlen(id + 3);
    if (n == 0 || n > 18)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = id[3 + i];

        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (v == 0 || strcmp(id, changes_id(v, buf)) != 0)
        return -1; /* one id per request: no zeros padded beyond six digits */
    *seq = v;
    return 0;
}

int changes_get(store *st, uint64_t seq, Credit__V1__ChangeRequest **out, char *err)
{
    unsigned char key[KEY_LEN];
    char id[CHANGES_ID_LEN], what[64];

    request_key(key, seq);
    snprintf(what, sizeof what, "change request %s", changes_id(seq, id));
    return pb_store_get(st, NULL, STORE_CF_CATALOGUE, key, sizeof key,
                        &credit__v1__change_request__descriptor, what, (ProtobufCMessage **)out,
                        err);
}

int changes_put(store_batch *b, uint64_t seq, const Credit__V1__ChangeRequest *cr)
{
    unsigned char key[KEY_LEN];

    request_key(key, seq);
    return pb_batch_put(b, STORE_CF_CATALOGUE, key, sizeof key, &cr->base);
}

int changes_next_seq(store *st, uint64_t *seq, char *err)
{
    void *key = NULL;
    size_t klen = 0;
    int rc = store_last_key(st, STORE_CF_CATALOGUE, "c", 1, &key, &klen, err);

    if (rc == STORE_ENOTFOUND) {
        *seq = 1;
        return 0;
    }
    if (rc == 0 && klen != KEY_LEN) {
        if (err)
            snprintf(err, STORE_ERR_LEN, "the last change request key has %zu bytes, not %d", klen,
                     KEY_LEN);
        rc = STORE_ECORRUPT;
    }
    if (rc == 0)
        *seq = store_get_be64((const unsigned char *)key + 1) + 1;
    free(key);
    return rc;
}

void changes_free_list(Credit__V1__ChangeRequest **v, size_t n)
{
    pb_free_list((ProtobufCMessage **)v, n);
}

int changes_list(store *st, int state, Credit__V1__ChangeRequest ***out, size_t *n, char *err)
{
    Credit__V1__ChangeRequest **v = NULL;
    size_t count = 0, kept = 0;
    int rc = pb_store_list(st, STORE_CF_CATALOGUE, "c", 1, &credit__v1__change_request__descriptor,
                           1, "change request", (ProtobufCMessage ***)&v, &count, err);

    if (rc != 0)
        return rc;
    for (size_t i = 0; i < count; i++) {
        if (state && (int)v[i]->state != state)
            credit__v1__change_request__free_unpacked(v[i], NULL);
        else
            v[kept++] = v[i];
    }
    *out = v;
    *n = kept;
    return 0;
}
