/* svc_collection.h — credit.v1.PublicCreditCollection (see svc_collection.c). */
#ifndef CREDIT_SVC_COLLECTION_H
#define CREDIT_SVC_COLLECTION_H

#include "rpc.h"

extern const rpc_service public_collection_service;

#endif /* CREDIT_SVC_COLLECTION_H */
