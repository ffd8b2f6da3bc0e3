/*
 * fuzz_services.h — every service the node serves, in a fixed order: a request harness's
 * selector byte names method i of this list's methods counted in order (fuzz_seed_pack
 * --list prints them). Appending keeps committed seeds valid; reordering does not.
 */
#ifndef CREDIT_FUZZ_SERVICES_H
#define CREDIT_FUZZ_SERVICES_H

#include <protobuf-c/protobuf-c.h>

#include "credit/v1/association.pb-c.h"
#include "credit/v1/authorization.pb-c.h"
#include "credit/v1/catalogue.pb-c.h"
#include "credit/v1/finance.pb-c.h"
#include "credit/v1/industrial.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "credit/v1/service_unit.pb-c.h"
#include "credit/v1/sharing.pb-c.h"
#include "credit/v1/sync.pb-c.h"
#include "credit/v1/unit.pb-c.h"
#include "credit/v1/voluntary.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"

static const ProtobufCServiceDescriptor *const fuzz_services[] = {
    &credit__v1__public_credit_collection__descriptor,
    &credit__v1__service_unit_collection__descriptor,
    &credit__v1__association_collection__descriptor,
    &credit__v1__voluntary_declaration__descriptor,
    &credit__v1__industrial_data_collection__descriptor,
    &credit__v1__catalogue_governance__descriptor,
    &credit__v1__unit_registry__descriptor,
    &credit__v1__open_query__descriptor,
    &credit__v1__government_sharing__descriptor,
    &grpc__health__v1__health__descriptor,
    &grpc__reflection__v1__server_reflection__descriptor,
    &grpc__reflection__v1alpha__server_reflection__descriptor,
    &credit__v1__credit_finance__descriptor,
    &credit__v1__sync__descriptor,
    &credit__v1__authorization__descriptor,
    &credit__v1__authorized_query__descriptor,
};
#define FUZZ_N_SERVICES (sizeof fuzz_services / sizeof fuzz_services[0])

#endif /* CREDIT_FUZZ_SERVICES_H */
