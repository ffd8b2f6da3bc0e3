/* svc_collection.h — the record-collecting services (see svc_collection.c). */
#ifndef CREDIT_SVC_COLLECTION_H
#define CREDIT_SVC_COLLECTION_H

#include "rpc.h"

extern const rpc_service public_collection_service;
extern const rpc_service service_unit_collection_service;
extern const rpc_service association_collection_service;
extern const rpc_service voluntary_declaration_service;

#endif /* CREDIT_SVC_COLLECTION_H */
