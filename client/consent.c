/*
 * consent.c — libcreditclient's calls of credit.v1.Authorization and credit.v1.AuthorizedQuery
 * (see credit/client.h, "Consent"). Each builds its request on the stack from borrowed
 * arguments and goes through client_typed_call, like calls.c's.
 */
#include "client_int.h"

#define AUTHORIZATION(method) "/credit.v1.Authorization/" method
#define AUTHORIZED(method)    "/credit.v1.AuthorizedQuery/" method

static char *str(const char *s)
{
    return (char *)(s ? s : "");
}

static int grant_call(credit_client *c, const char *method, const ProtobufCMessage *req,
                      Credit__V1__Grant **out, credit_status *st)
{
    return client_typed_call(c, method, req, &credit__v1__grant__descriptor, (void **)out, st);
}

int credit_client_consent_request(credit_client *c, const Credit__V1__RequestConsentRequest *req,
                                  Credit__V1__Grant **out, credit_status *st)
{
    return grant_call(c, AUTHORIZATION("RequestConsent"), (const ProtobufCMessage *)req, out, st);
}

int credit_client_consent_approve(credit_client *c, const char *grant_id,
                                  const char *document_digest, Credit__V1__Grant **out,
                                  credit_status *st)
{
    Credit__V1__ApproveConsentRequest req = CREDIT__V1__APPROVE_CONSENT_REQUEST__INIT;
    req.grant_id = str(grant_id);
    req.document_digest = str(document_digest);
    return grant_call(c, AUTHORIZATION("ApproveConsent"), &req.base, out, st);
}

/* One of the decisions that take a grant id and a reason. */
static int act(credit_client *c, const char *method, const char *grant_id, const char *reason,
               Credit__V1__Grant **out, credit_status *st)
{
    Credit__V1__GrantActionRequest req = CREDIT__V1__GRANT_ACTION_REQUEST__INIT;
    req.grant_id = str(grant_id);
    req.reason = str(reason);
    return grant_call(c, method, &req.base, out, st);
}

int credit_client_consent_reject(credit_client *c, const char *grant_id, const char *reason,
                                 Credit__V1__Grant **out, credit_status *st)
{
    return act(c, AUTHORIZATION("RejectConsent"), grant_id, reason, out, st);
}

int credit_client_grant_pause(credit_client *c, const char *grant_id, const char *reason,
                              Credit__V1__Grant **out, credit_status *st)
{
    return act(c, AUTHORIZATION("PauseGrant"), grant_id, reason, out, st);
}

int credit_client_grant_resume(credit_client *c, const char *grant_id, const char *reason,
                               Credit__V1__Grant **out, credit_status *st)
{
    return act(c, AUTHORIZATION("ResumeGrant"), grant_id, reason, out, st);
}

int credit_client_grant_revoke(credit_client *c, const char *grant_id, const char *reason,
                               Credit__V1__Grant **out, credit_status *st)
{
    return act(c, AUTHORIZATION("RevokeGrant"), grant_id, reason, out, st);
}

int credit_client_grant_get(credit_client *c, const char *grant_id, Credit__V1__Grant **out,
                            credit_status *st)
{
    Credit__V1__GetGrantRequest req = CREDIT__V1__GET_GRANT_REQUEST__INIT;
    req.grant_id = str(grant_id);
    return grant_call(c, AUTHORIZATION("GetGrant"), &req.base, out, st);
}

int credit_client_grant_list(credit_client *c, Credit__V1__SubjectKind subject_kind,
                             const char *subject_identifier, const char *page_token,
                             Credit__V1__ListGrantsResponse **out, credit_status *st)
{
    Credit__V1__ListGrantsRequest req = CREDIT__V1__LIST_GRANTS_REQUEST__INIT;
    req.page_token = str(page_token);
    Credit__V1__SubjectRef ref = CREDIT__V1__SUBJECT_REF__INIT;
    if (subject_identifier) {
        ref.kind = subject_kind;
        ref.identifier = (char *)subject_identifier;
        req.subject = &ref;
    }
    return client_typed_call(c, AUTHORIZATION("ListGrants"), &req.base,
                             &credit__v1__list_grants_response__descriptor, (void **)out, st);
}

int credit_client_grant_uses(credit_client *c, const char *grant_id, const char *page_token,
                             Credit__V1__ListUsesResponse **out, credit_status *st)
{
    Credit__V1__ListUsesRequest req = CREDIT__V1__LIST_USES_REQUEST__INIT;
    req.grant_id = str(grant_id);
    req.page_token = str(page_token);
    return client_typed_call(c, AUTHORIZATION("ListUses"), &req.base,
                             &credit__v1__list_uses_response__descriptor, (void **)out, st);
}

int credit_client_authorized_record_list(credit_client *c, const char *grant_id,
                                         const credit_record_filter *f,
                                         Credit__V1__ListRecordsResponse **out, credit_status *st)
{
    client_filter_msg m;
    int rc = client_filter_request(f, &m, st);
    if (rc != CREDIT_OK)
        return rc;
    if (m.ref.kind == 0 && !m.ref.identifier[0])
        m.req.subject = NULL; /* the grant's subject */
    Credit__V1__AuthorizedListRecordsRequest req =
        CREDIT__V1__AUTHORIZED_LIST_RECORDS_REQUEST__INIT;
    req.grant_id = str(grant_id);
    req.request = &m.req;
    return client_typed_call(c, AUTHORIZED("ListRecords"), &req.base,
                             &credit__v1__list_records_response__descriptor, (void **)out, st);
}

int credit_client_authorized_record_get(credit_client *c, const char *grant_id,
                                        const char *record_id, Credit__V1__GetRecordResponse **out,
                                        credit_status *st)
{
    Credit__V1__GetRecordRequest inner = CREDIT__V1__GET_RECORD_REQUEST__INIT;
    inner.record_id = str(record_id);
    Credit__V1__AuthorizedGetRecordRequest req = CREDIT__V1__AUTHORIZED_GET_RECORD_REQUEST__INIT;
    req.grant_id = str(grant_id);
    req.request = &inner;
    return client_typed_call(c, AUTHORIZED("GetRecord"), &req.base,
                             &credit__v1__get_record_response__descriptor, (void **)out, st);
}

int credit_client_authorized_series_get(credit_client *c, const char *grant_id,
                                        const Credit__V1__SeriesRequest *inner,
                                        Credit__V1__SeriesResponse **out, credit_status *st)
{
    if (!inner) {
        client_fail(st, CREDIT_CODE_INVALID_ARGUMENT, "req: missing");
        return CREDIT_EINVAL;
    }
    Credit__V1__AuthorizedSeriesRequest req = CREDIT__V1__AUTHORIZED_SERIES_REQUEST__INIT;
    req.grant_id = str(grant_id);
    req.request = (Credit__V1__SeriesRequest *)inner;
    return client_typed_call(c, AUTHORIZED("GetSeries"), &req.base,
                             &credit__v1__series_response__descriptor, (void **)out, st);
}
