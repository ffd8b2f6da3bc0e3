/* svc_query.h — credit.v1.OpenQuery and credit.v1.GovernmentSharing (see svc_query.c), and
 * their listing and record reads for AuthorizedQuery (svc_authorized_query.c). */
#ifndef CREDIT_SVC_QUERY_H
#define CREDIT_SVC_QUERY_H

#include <stddef.h>

#include "credit/v1/record.pb-c.h"
#include "records.h"
#include "rpc.h"
#include "tier.h"

extern const rpc_service open_query_service;
extern const rpc_service government_sharing_service;

/* A read under a grant: which records get the authorized tier, and who sends the answer (the
 * use's write comes first). */
typedef struct query_under {
    /* 1 if `rec` (as stored, before it is shaped) gets tier TIER_AUTHORIZED, 0 for the open
     * tier's values only. */
    int (*covers)(void *arg, const Credit__V1__Record *rec);
    /* GetRecord and GetSeries: called once, in place of the reply, when nothing has failed:
     * `resp` is the answer (its records `recs[0..n)`, shaped; for a series, recs NULL and n
     * its points), valid during the call only. It answers the call (or finishes it with an
     * error) itself. ListRecords answers through reply_page instead. */
    void (*reply)(void *arg, rpc_call *call, const ProtobufCMessage *resp,
                  Credit__V1__Record *const *recs, size_t n);
    /* ListRecords: whether the grant covers the record of page entry `e` (one with the
     * authorized form, records.h), told from the entry alone: 1 or 0 as covers would say of
     * the record; -1 when the entry cannot tell (the record is then read and shaped). */
    int (*covers_entry)(void *arg, const records_entry *e);
    /* ListRecords: reply's part, for a page: `resp` a ListRecordsResponse or its wire twin
     * (some records sent as the forms prepared at write time), listing records ids[0..n). */
    void (*reply_page)(void *arg, rpc_call *call, const ProtobufCMessage *resp,
                       const char (*ids)[RECORD_ID_LEN + 1], size_t n);
    void *arg;
} query_under;

/* ListRecords and GetRecord of tier `t` (msg a ListRecordsRequest or a GetRecordRequest); `u`
 * NULL but for the authorized tier. They finish the call. */
void query_list_records(rpc_call *call, const ProtobufCMessage *msg, tier t,
                        const query_under *u);
void query_get_record(rpc_call *call, const ProtobufCMessage *msg, tier t, const query_under *u);
/* Checks a request's subject (kind and identifier; a natural person's identifier is
 * normalised in place, x to X, and its check character verified): every read of one subject's
 * records asks it. Returns 0, or finishes the call with INVALID_ARGUMENT and returns -1. */
int query_check_subject_ref(rpc_call *call, const Credit__V1__SubjectRef *ref);

#endif /* CREDIT_SVC_QUERY_H */
