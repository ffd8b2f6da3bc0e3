/* svc_finance.h — credit.v1.CreditFinance: signed credit portraits under a grant (see
 * svc_finance.c). */
#ifndef CREDIT_SVC_FINANCE_H
#define CREDIT_SVC_FINANCE_H

#include "rpc.h"

extern const rpc_service credit_finance_service;

#endif /* CREDIT_SVC_FINANCE_H */
