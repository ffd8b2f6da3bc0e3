/*
 * fuzz_record_check.c — a pushed record from hostile bytes, through everything that judges it
 * before the store: the collection services' path (svc_collection.c) and the industrial
 * samples' (record_check_sample, as svc_industrial.c runs it), against the seed catalogue.
 *
 * Input: byte 0 picks the message (PublicRecordInput, ServiceUnitRecordInput,
 * AssociationRecordInput, VoluntaryRecordInput, or an industrial Sample), byte 1 the pushing
 * unit among the demo units (certs/demo-units.tsv: every kind once or more), and the rest is
 * the message's wire bytes. A record runs
 *   unpack -> pbcheck_find -> canon_message -> resident-ID normalisation -> record_view_of ->
 *   record_check (its unit, today fixed at 2026-12-01)
 * as PushBatch and Push take it; a sample runs the checks the industrial service makes before
 * an opt-in lookup (record_check_sample). A verdict is either way fine; what
 * must hold is no sanitizer report, and a rejection that names a field and a reason
 * (FUZZ_VERBOSE=1 in the environment prints each rejection, to see how far seeds get).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "canon.h"
#include "fuzz_common.h"
#include "pbcheck.h"
#include "record_check.h"

#include "credit/v1/association.pb-c.h"
#include "credit/v1/industrial.pb-c.h"
#include "credit/v1/record.pb-c.h"
#include "credit/v1/service_unit.pb-c.h"
#include "credit/v1/voluntary.pb-c.h"

static const struct {
    const ProtobufCMessageDescriptor *d;
    int catalogue;
} kinds[] = {
    {&credit__v1__public_record_input__descriptor, CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC},
    {&credit__v1__service_unit_record_input__descriptor,
     CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT},
    {&credit__v1__association_record_input__descriptor,
     CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION},
    {&credit__v1__voluntary_record_input__descriptor, CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY},
    {&credit__v1__sample__descriptor, CREDIT__V1__CATALOGUE__CATALOGUE_INDUSTRIAL},
};

/* The demo units, as the registry seeds them. */
static const check_unit units[] = {
    {"office", CREDIT__V1__UNIT_KIND__UNIT_KIND_OFFICE},
    {"tax", CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT},
    {"market", CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT},
    {"court", CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT},
    {"water", CREDIT__V1__UNIT_KIND__UNIT_KIND_DEPARTMENT},
    {"town-bicheng", CREDIT__V1__UNIT_KIND__UNIT_KIND_SERVICE_UNIT},
    {"assoc-platform", CREDIT__V1__UNIT_KIND__UNIT_KIND_ASSOCIATION_PLATFORM},
    {"ind-platform", CREDIT__V1__UNIT_KIND__UNIT_KIND_INDUSTRIAL_PLATFORM},
    {"bank-a", CREDIT__V1__UNIT_KIND__UNIT_KIND_FINANCE},
    {"city", CREDIT__V1__UNIT_KIND__UNIT_KIND_MUNICIPAL},
    {"portal", CREDIT__V1__UNIT_KIND__UNIT_KIND_PORTAL},
    {"subj-acme", CREDIT__V1__UNIT_KIND__UNIT_KIND_SUBJECT},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_seed_catalogue();
    return 0;
}

/* A rejection must say where and why, in NUL-terminated text. */
static void check_failure_named(const check_failure *f)
{
    if (getenv("FUZZ_VERBOSE")) /* to see what seeds reach: FUZZ_VERBOSE=1 fuzz_record_check FILE */
        fprintf(stderr, "rejected: %s: %s\n", f->field, f->reason);
    if (memchr(f->field, '\0', sizeof f->field) == NULL ||
        memchr(f->reason, '\0', sizeof f->reason) == NULL || f->reason[0] == '\0' ||
        (f->code != RECORD_CHECK_INVALID_ARGUMENT && f->code != RECORD_CHECK_PERMISSION_DENIED)) {
        fprintf(stderr, "a rejection without a field, a reason or a known code\n");
        abort();
    }
    /* Every fault the checks find is of a kind they name (status.h): none falls back to the
     * status's word. */
    for (size_t i = 0; i < f->n_faults; i++) {
        if (f->faults[i].reason_code <= REASON_OTHER || f->faults[i].reason_code >= REASON_COUNT) {
            fprintf(stderr, "a fault without its reason code: %s: %s\n", f->faults[i].field,
                    f->faults[i].reason);
            abort();
        }
    }
}

static void check_record(ProtobufCMessage *m, int catalogue, const check_unit *unit,
                         const catalog_version *cv)
{
    const Credit__V1__Date today = {
        .base = PROTOBUF_C_MESSAGE_INIT(&credit__v1__date__descriptor), 2026, 12, 1};
    record_view v;
    check_failure f;
    if (record_view_of(m, catalogue, &v) != 0) {
        fprintf(stderr, "record_view_of refused a collected input\n");
        abort();
    }
    record_normalise_ids(&v);
    if (record_check(&v, unit, cv, &today, &f) != 0)
        check_failure_named(&f);
}

static void check_sample(const Credit__V1__Sample *in, const check_unit *unit,
                         const catalog_version *cv)
{
    const catalog_section *sec;
    const catalog_dim *dim;
    check_failure f;
    if (record_check_sample(in, unit, cv, 1796083200 /* 2026-12-01 */, &sec, &dim, &f) != 0)
        check_failure_named(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t k = fuzz_pick(data[0], sizeof kinds / sizeof kinds[0]);
    const check_unit *unit = &units[fuzz_pick(data[1], sizeof units / sizeof units[0])];
    const ProtobufCMessageDescriptor *d = kinds[k].d;
    const catalog_version *cv = fuzz_seed_catalogue();

    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, size - 2, data + 2);
    if (!m)
        return 0;
    /* What deliver() refuses never reaches a service. */
    if (pbcheck_find(d, data + 2, size - 2, NULL) == PBCHECK_OK && canon_message(m) == 0) {
        if (d == &credit__v1__sample__descriptor)
            check_sample((const Credit__V1__Sample *)m, unit, cv);
        else
            check_record(m, kinds[k].catalogue, unit, cv);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
