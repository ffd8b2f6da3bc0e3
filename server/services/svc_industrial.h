/* svc_industrial.h — credit.v1.IndustrialDataCollection and the series reads of the sharing
 * tiers (see svc_industrial.c). */
#ifndef CREDIT_SVC_INDUSTRIAL_H
#define CREDIT_SVC_INDUSTRIAL_H

#include "rpc.h"
#include "svc_query.h"
#include "tier.h"

extern const rpc_service industrial_collection_service;

/* Answers a GetSeries call (msg: a credit.v1.SeriesRequest) for tier `t`; finishes the call.
 * For the government tier it refuses a caller that is not a government unit (UNIT_KIND_OFFICE,
 * UNIT_KIND_DEPARTMENT, UNIT_KIND_MUNICIPAL); the open tier serves any registered unit; a service
 * that calls it with TIER_AUTHORIZED must have checked the caller's authorization itself. A metric
 * above `t` is PERMISSION_DENIED, naming the tier it needs. Runs on a completion-queue thread, as
 * an on_message handler. Under a grant (`u`, else NULL), u->reply answers in its place, with
 * recs NULL and n the number of points. */
void industrial_get_series(rpc_call *call, const ProtobufCMessage *msg, tier t,
                           const query_under *u);

#endif /* CREDIT_SVC_INDUSTRIAL_H */
