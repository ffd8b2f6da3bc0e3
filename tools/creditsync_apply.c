/*
 * creditsync_apply.c — see creditsync_apply.h.
 *
 * Changes are applied in runs: consecutive record changes of one catalogue in which no record
 * appears twice go out as one PushBatch (a source record appears once per call), followed by
 * the run's withdrawals and reinstatements in order. The inputs borrow every submessage from
 * the feed's records; nothing is copied.
 */
#include "creditsync_apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_MAX 1000 /* records one PushBatch takes */

/* One change of a run, as the receiving node's input. */
typedef union input {
    Credit__V1__PublicRecordInput pub;
    Credit__V1__ServiceUnitRecordInput su;
    Credit__V1__AssociationRecordInput as;
} input;

static int is_record_kind(int kind)
{
    return kind == CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_VERSION ||
           kind == CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_WITHDRAWN ||
           kind == CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_REINSTATED;
}

/* Whether e is a record change creditsync forwards; counts the others. */
static int forwarded(const Credit__V1__FeedEntry *e, sync_counts *counts)
{
    if (!is_record_kind(e->kind) || !e->record || !e->record->meta ||
        (e->catalogue != CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC &&
         e->catalogue != CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT &&
         e->catalogue != CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION)) {
        counts->skipped++;
        return 0;
    }
    if (e->record->meta->channel == CREDIT__V1__CHANNEL__CHANNEL_MUNICIPAL_SYNC) {
        counts->echoes++;
        return 0;
    }
    return 1;
}

/* Makes `in` the catalogue's input for record `r`, borrowing its parts. The extra maps of
 * Record and of the inputs are the same message on the wire (string key = 1, ExtraValue
 * value = 2), and protobuf-c packs a submessage by its own descriptor, so the entries are
 * shared as they are. */
static void make_input(const Credit__V1__Record *r, int catalogue, input *in)
{
    const Credit__V1__RecordMeta *m = r->meta;
    switch (catalogue) {
    case CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC:
        credit__v1__public_record_input__init(&in->pub);
        in->pub.source_record_id = m->record_id;
        in->pub.category = m->category;
        in->pub.subject = m->subject;
        in->pub.channel = CREDIT__V1__CHANNEL__CHANNEL_MUNICIPAL_SYNC;
        in->pub.occurred_at = m->occurred_at;
        in->pub.source_updated_at = m->source_updated_at;
        in->pub.licence = r->licence;
        in->pub.penalty = r->penalty;
        in->pub.action = r->action;
        in->pub.body_case = r->body_case == CREDIT__V1__RECORD__BODY_LICENCE
                                ? CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_LICENCE
                            : r->body_case == CREDIT__V1__RECORD__BODY_PENALTY
                                ? CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_PENALTY
                            : r->body_case == CREDIT__V1__RECORD__BODY_ACTION
                                ? CREDIT__V1__PUBLIC_RECORD_INPUT__BODY_ACTION
                                : CREDIT__V1__PUBLIC_RECORD_INPUT__BODY__NOT_SET;
        in->pub.n_extra = r->n_extra;
        in->pub.extra = (Credit__V1__PublicRecordInput__ExtraEntry **)r->extra;
        break;
    case CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT:
        credit__v1__service_unit_record_input__init(&in->su);
        in->su.source_record_id = m->record_id;
        in->su.section = m->section;
        in->su.subject = m->subject;
        in->su.channel = CREDIT__V1__CHANNEL__CHANNEL_MUNICIPAL_SYNC;
        in->su.occurred_at = m->occurred_at;
        in->su.source_updated_at = m->source_updated_at;
        if (r->body_case == CREDIT__V1__RECORD__BODY_DECLARATION) {
            in->su.body_case = CREDIT__V1__SERVICE_UNIT_RECORD_INPUT__BODY_DECLARATION;
            in->su.declaration = r->declaration;
        }
        in->su.n_extra = r->n_extra;
        in->su.extra = (Credit__V1__ServiceUnitRecordInput__ExtraEntry **)r->extra;
        break;
    default:
        credit__v1__association_record_input__init(&in->as);
        in->as.source_record_id = m->record_id;
        in->as.section = m->section;
        in->as.association = m->association;
        in->as.subject = m->subject;
        in->as.channel = CREDIT__V1__CHANNEL__CHANNEL_MUNICIPAL_SYNC;
        in->as.occurred_at = m->occurred_at;
        in->as.source_updated_at = m->source_updated_at;
        if (r->body_case == CREDIT__V1__RECORD__BODY_GOVERNANCE) {
            in->as.body_case = CREDIT__V1__ASSOCIATION_RECORD_INPUT__BODY_GOVERNANCE;
            in->as.governance = r->governance;
        } else if (r->body_case == CREDIT__V1__RECORD__BODY_MEMBER) {
            in->as.body_case = CREDIT__V1__ASSOCIATION_RECORD_INPUT__BODY_MEMBER;
            in->as.member = r->member;
        }
        in->as.n_extra = r->n_extra;
        in->as.extra = (Credit__V1__AssociationRecordInput__ExtraEntry **)r->extra;
        break;
    }
}

/* A per-record code the receiving node may answer differently later. */
static int transient(int code)
{
    return code == CREDIT_CODE_UNAVAILABLE || code == CREDIT_CODE_RESOURCE_EXHAUSTED ||
           code == CREDIT_CODE_INTERNAL || code == CREDIT_CODE_DEADLINE_EXCEEDED ||
           code == CREDIT_CODE_ABORTED;
}

/* The withdrawal or reinstatement of change e, whose content the push just found as `res`
 * on the other node. */
static int apply_status(credit_client *to, const Credit__V1__FeedEntry *e,
                        const Credit__V1__PushResult *res, sync_counts *counts,
                        credit_status *status)
{
    const Credit__V1__RecordMeta *m = e->record->meta;
    int withdraw = e->kind == CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_WITHDRAWN;
    int is_withdrawn = res->status && res->status->withdrawn;
    /* One version there for each here: a version it already has was applied before. */
    if (res->version >= m->version || withdraw == is_withdrawn)
        return 0;
    const char *reason =
        m->change_reason && m->change_reason[0]
            ? m->change_reason
            : (withdraw ? "withdrawn at the sending node" : "reinstated at the sending node");
    Credit__V1__PushResult *out = NULL;
    int rc = withdraw ? credit_client_record_withdraw(to, (credit_catalogue)e->catalogue,
                                                      res->record_id, reason, &out, status)
                      : credit_client_record_reinstate(to, (credit_catalogue)e->catalogue,
                                                       res->record_id, reason, &out, status);
    if (rc == CREDIT_OK) {
        counts->status++;
        credit__v1__push_result__free_unpacked(out, NULL);
        return 0;
    }
    /* Already in the state asked for (a race with a crash): nothing to do. */
    if (rc == CREDIT_ERPC && status && status->code == CREDIT_CODE_FAILED_PRECONDITION)
        return 0;
    return rc;
}

/* Applies one run: changes[0..n) of one catalogue, no record twice. */
static int apply_run(credit_client *to, const Credit__V1__FeedEntry *const *changes, size_t n,
                     sync_counts *counts, sync_reject_fn on_reject, void *ctx,
                     credit_status *status)
{
    input *in = calloc(n, sizeof *in);
    ProtobufCMessage **ptrs = calloc(n, sizeof *ptrs);
    Credit__V1__PushBatchResponse *resp = NULL;
    int rc = CREDIT_ENOMEM;
    if (!in || !ptrs)
        goto out;
    for (size_t i = 0; i < n; i++) {
        make_input(changes[i]->record, changes[i]->catalogue, &in[i]);
        ptrs[i] = (ProtobufCMessage *)&in[i];
    }
    rc = credit_client_record_push(to, (credit_catalogue)changes[0]->catalogue, ptrs, n, &resp,
                                   status);
    if (rc != CREDIT_OK)
        goto out;
    if (resp->n_results != n) {
        rc = CREDIT_EDECODE;
        goto out;
    }
    for (size_t i = 0; i < n && rc == CREDIT_OK; i++) {
        const Credit__V1__PushResult *res = resp->results[i];
        switch (res->outcome) {
        case CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED:
            if (transient(res->code)) {
                if (status) {
                    snprintf(status->message, sizeof status->message, "%s", res->reason);
                    status->code = res->code;
                }
                rc = CREDIT_ERPC;
                break;
            }
            counts->rejected++;
            if (on_reject)
                on_reject(ctx, changes[i], res->reason);
            break;
        case CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_UNCHANGED:
            counts->unchanged++;
            rc = apply_status(to, changes[i], res, counts, status);
            break;
        default:
            counts->pushed++;
            rc = apply_status(to, changes[i], res, counts, status);
            break;
        }
    }
out:
    if (resp)
        credit__v1__push_batch_response__free_unpacked(resp, NULL);
    free(in);
    free(ptrs);
    return rc;
}

/* Whether record `id` is among changes[0..n). */
static int in_run(const Credit__V1__FeedEntry *const *changes, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(changes[i]->record->meta->record_id, id) == 0)
            return 1;
    return 0;
}

int sync_apply(credit_client *to, const Credit__V1__FeedEntry *const *changes, size_t n,
               sync_counts *counts, sync_reject_fn on_reject, void *ctx, credit_status *status)
{
    const Credit__V1__FeedEntry **run = calloc(n ? n : 1, sizeof *run);
    size_t k = 0;
    int rc = CREDIT_OK;
    if (!run)
        return CREDIT_ENOMEM;
    for (size_t i = 0; i <= n && rc == CREDIT_OK; i++) {
        const Credit__V1__FeedEntry *e = i < n ? changes[i] : NULL;
        if (e && !forwarded(e, counts))
            continue;
        /* The run ends at the end, at another catalogue, at a record it has, or when full. */
        if (k && (!e || e->catalogue != run[0]->catalogue || k == RUN_MAX ||
                  in_run(run, k, e->record->meta->record_id))) {
            rc = apply_run(to, run, k, counts, on_reject, ctx, status);
            k = 0;
        }
        if (e)
            run[k++] = e;
    }
    free(run);
    return rc;
}
