/*
 * fuzz_input_types.h — the message types creditctl reads from operators' files (push's JSON
 * Lines and CSV, and a catalogue change proposal), for the readers' harnesses to pick from.
 */
#ifndef CREDIT_FUZZ_INPUT_TYPES_H
#define CREDIT_FUZZ_INPUT_TYPES_H

#include <protobuf-c/protobuf-c.h>

#include "credit/v1/association.pb-c.h"
#include "credit/v1/catalogue.pb-c.h"
#include "credit/v1/industrial.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "credit/v1/service_unit.pb-c.h"
#include "credit/v1/voluntary.pb-c.h"

static const ProtobufCMessageDescriptor *const fuzz_input_types[] = {
    &credit__v1__public_record_input__descriptor,
    &credit__v1__service_unit_record_input__descriptor,
    &credit__v1__association_record_input__descriptor,
    &credit__v1__voluntary_record_input__descriptor,
    &credit__v1__sample__descriptor,
    &credit__v1__propose_change_request__descriptor,
};
#define FUZZ_N_INPUT_TYPES (sizeof fuzz_input_types / sizeof fuzz_input_types[0])

#endif /* CREDIT_FUZZ_INPUT_TYPES_H */
