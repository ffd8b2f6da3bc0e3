/* svc_units.h — credit.v1.UnitRegistry (see svc_units.c). */
#ifndef CREDIT_SVC_UNITS_H
#define CREDIT_SVC_UNITS_H

#include "rpc.h"

extern const rpc_service unit_registry_service;

#endif /* CREDIT_SVC_UNITS_H */
