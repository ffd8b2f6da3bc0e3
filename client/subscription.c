/*
 * subscription.c — credit_subscription_*: the change feed (credit.v1.Sync.Subscribe), one
 * change at a time over client_reader (client_int.h).
 *
 * The subscription keeps the node's last message and the index of the next change in it. A
 * new message is read only when that one is used up, so the library never reads ahead of its
 * caller. The cursor it reports is the sequence of the change handed over last while more of
 * its message remain, and the message's `position` once the message is used up, since
 * `position` also covers what the node's filter and tier left out of it.
 *
 * credit_snapshot_* (Sync.Snapshot) is the same reader, a whole message at a time.
 */
#include "client_int.h"

#include <stdlib.h>
#include <string.h>

#define SUBSCRIBE "/credit.v1.Sync/Subscribe"
#define SNAPSHOT  "/credit.v1.Sync/Snapshot"

struct credit_subscription {
    client_reader *r;
    Credit__V1__SubscribeResponse *msg; /* the message being handed over; NULL: none */
    size_t next;                        /* its next change */
    uint64_t cursor, head;
};

void credit_subscription_options_init(credit_subscription_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

int credit_subscription_open(credit_client *c, const credit_subscription_options *opts,
                             credit_subscription **out, credit_status *status)
{
    if (!c || !opts || !out || opts->struct_size < sizeof *opts)
        return client_fail(status, CREDIT_CODE_INVALID_ARGUMENT,
                           "subscription: missing argument or options not initialised"),
               CREDIT_EINVAL;
    credit_subscription *s = calloc(1, sizeof *s);
    if (!s) {
        client_fail(status, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
        return CREDIT_ENOMEM;
    }
    Credit__V1__SubscribeRequest req = CREDIT__V1__SUBSCRIBE_REQUEST__INIT;
    req.cursor = opts->cursor;
    req.catalogues = (Credit__V1__Catalogue *)opts->catalogues;
    req.n_catalogues = opts->catalogues ? opts->n_catalogues : 0;
    req.kinds = (Credit__V1__FeedKind *)opts->kinds;
    req.n_kinds = opts->kinds ? opts->n_kinds : 0;
    s->cursor = s->head = opts->cursor;
    int rc = client_reader_open(c, SUBSCRIBE, &req.base,
                                &credit__v1__subscribe_response__descriptor, 0, &s->r, status);
    if (rc != CREDIT_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return CREDIT_OK;
}

/* The message is used up: its position is the cursor now. */
static void drop_message(credit_subscription *s)
{
    if (!s->msg)
        return;
    if (s->msg->position > s->cursor)
        s->cursor = s->msg->position;
    credit__v1__subscribe_response__free_unpacked(s->msg, NULL);
    s->msg = NULL;
    s->next = 0;
}

int credit_subscription_next(credit_subscription *s, int wait_ms,
                             const Credit__V1__FeedEntry **change, credit_status *status)
{
    if (!s || !change)
        return client_fail(status, CREDIT_CODE_INVALID_ARGUMENT, "subscription: missing argument"),
               CREDIT_EINVAL;
    for (;;) {
        if (s->msg && s->next < s->msg->n_changes) {
            const Credit__V1__FeedEntry *e = s->msg->changes[s->next++];
            if (s->next == s->msg->n_changes) {
                /* The last of its message: hand it over with the message's position, and
                 * keep the message alive until the next call. */
                if (s->msg->position > s->cursor)
                    s->cursor = s->msg->position;
            } else if (e->sequence > s->cursor) {
                s->cursor = e->sequence;
            }
            *change = e;
            client_ok(status);
            return 1;
        }
        drop_message(s);
        ProtobufCMessage *m = NULL;
        int rc = client_reader_next(s->r, wait_ms, &m, status);
        if (rc != 1)
            return rc;
        s->msg = (Credit__V1__SubscribeResponse *)m;
        s->head = s->msg->head;
        if (s->msg->n_changes == 0) {
            drop_message(s); /* a heartbeat, or a message of left-out changes */
            client_ok(status);
            return 0;
        }
    }
}

uint64_t credit_subscription_cursor(const credit_subscription *s)
{
    return s ? s->cursor : 0;
}

uint64_t credit_subscription_head(const credit_subscription *s)
{
    return s ? s->head : 0;
}

size_t credit_subscription_pending(const credit_subscription *s)
{
    return s && s->msg ? s->msg->n_changes - s->next : 0;
}

void credit_subscription_close(credit_subscription *s)
{
    if (!s)
        return;
    if (s->msg)
        credit__v1__subscribe_response__free_unpacked(s->msg, NULL);
    client_reader_destroy(s->r);
    free(s);
}

/* --- Snapshot ------------------------------------------------------------------------------ */

struct credit_snapshot {
    client_reader *r;
    Credit__V1__SnapshotResponse *msg; /* the message handed over last; NULL: none */
};

int credit_snapshot_open(credit_client *c, credit_snapshot **out, credit_status *status)
{
    if (!c || !out)
        return client_fail(status, CREDIT_CODE_INVALID_ARGUMENT, "snapshot: missing argument"),
               CREDIT_EINVAL;
    credit_snapshot *s = calloc(1, sizeof *s);
    if (!s) {
        client_fail(status, CREDIT_CODE_RESOURCE_EXHAUSTED, "out of memory");
        return CREDIT_ENOMEM;
    }
    Credit__V1__SnapshotRequest req = CREDIT__V1__SNAPSHOT_REQUEST__INIT;
    int rc = client_reader_open(c, SNAPSHOT, &req.base,
                                &credit__v1__snapshot_response__descriptor, 0, &s->r, status);
    if (rc != CREDIT_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return CREDIT_OK;
}

int credit_snapshot_next(credit_snapshot *s, const Credit__V1__SnapshotResponse **msg,
                         credit_status *status)
{
    if (!s || !msg)
        return client_fail(status, CREDIT_CODE_INVALID_ARGUMENT, "snapshot: missing argument"),
               CREDIT_EINVAL;
    if (s->msg) {
        credit__v1__snapshot_response__free_unpacked(s->msg, NULL);
        s->msg = NULL;
    }
    ProtobufCMessage *m = NULL;
    credit_status own;
    if (!status)
        status = &own; /* the end is told from a failure by the status */
    int rc = client_reader_next(s->r, -1, &m, status);
    if (rc == CREDIT_ERPC && status->code == CREDIT_CODE_OK)
        return 0; /* the node ended it: complete */
    if (rc != 1)
        return rc;
    s->msg = (Credit__V1__SnapshotResponse *)m;
    *msg = s->msg;
    return 1;
}

void credit_snapshot_close(credit_snapshot *s)
{
    if (!s)
        return;
    if (s->msg)
        credit__v1__snapshot_response__free_unpacked(s->msg, NULL);
    client_reader_destroy(s->r);
    free(s);
}
