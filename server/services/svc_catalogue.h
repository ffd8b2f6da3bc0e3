/* svc_catalogue.h — credit.v1.CatalogueGovernance (see svc_catalogue.c). */
#ifndef CREDIT_SVC_CATALOGUE_H
#define CREDIT_SVC_CATALOGUE_H

#include "rpc.h"

extern const rpc_service catalogue_governance_service;

#endif /* CREDIT_SVC_CATALOGUE_H */
