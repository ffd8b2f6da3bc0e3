/* svc_authorized_query.h — credit.v1.AuthorizedQuery (see svc_authorized_query.c). */
#ifndef CREDIT_SVC_AUTHORIZED_QUERY_H
#define CREDIT_SVC_AUTHORIZED_QUERY_H

#include "rpc.h"

extern const rpc_service authorized_query_service;

#endif /* CREDIT_SVC_AUTHORIZED_QUERY_H */
