/*
 * tier.c — see tier.h.
 */
#include "tier.h"

#include "record_check.h"

int tier_publicity_ended(const Credit__V1__Record *rec, const Credit__V1__Date *today)
{
    return rec->body_case == CREDIT__V1__RECORD__BODY_PENALTY &&
           record_publicity_ended(rec->penalty, today);
}

int tier_shows(const Credit__V1__Record *rec, tier t, const Credit__V1__Date *today)
{
    if (t == TIER_GOVERNMENT)
        return 1;
    const Credit__V1__RecordStatus *s = rec->meta ? rec->meta->status : NULL;
    if (s && (s->withdrawn || s->repaired || s->publicity_ended))
        return 0;
    return !tier_publicity_ended(rec, today);
}

void tier_clear(Credit__V1__Record *rec, tier t)
{
    Credit__V1__Subject *s = rec->meta ? rec->meta->subject : NULL;
    if (t == TIER_GOVERNMENT || !s)
        return;
    if (s->kind == CREDIT__V1__SUBJECT_KIND__NATURAL_PERSON)
        s->identifier = (char *)protobuf_c_empty_string;
    s->legal_representative_id_number = (char *)protobuf_c_empty_string;
    s->legal_representative_id_type = CREDIT__V1__ID_TYPE__ID_TYPE_UNSPECIFIED;
}
