/* svc_query.h — credit.v1.OpenQuery and credit.v1.GovernmentSharing (see svc_query.c). */
#ifndef CREDIT_SVC_QUERY_H
#define CREDIT_SVC_QUERY_H

#include "rpc.h"

extern const rpc_service open_query_service;
extern const rpc_service government_sharing_service;

#endif /* CREDIT_SVC_QUERY_H */
