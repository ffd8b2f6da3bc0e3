/*
 * tier.c — see tier.h.
 */
#include "tier.h"

#include <stdlib.h>
#include <string.h>

#include "pbwalk.h"
#include "publicity.h"

int tier_shows(const Credit__V1__Record *rec, tier t, const Credit__V1__Date *today)
{
    const Credit__V1__RecordStatus *s = rec->meta ? rec->meta->status : NULL;
    /* A voluntary declaration is shared, in any tier, once the office has verified it. */
    if (rec->meta && rec->meta->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY &&
        (!s || s->verification != CREDIT__V1__VERIFICATION__VERIFICATION_VERIFIED))
        return 0;
    if (t == TIER_GOVERNMENT)
        return 1;
    if (s && (s->withdrawn || s->repaired || s->publicity_ended))
        return 0;
    return !publicity_record_ended(rec, today);
}

int tier_shows_to(const Credit__V1__Record *rec, tier t, const Credit__V1__Date *today,
                  const char *reader)
{
    if (tier_shows(rec, t, today))
        return 1;
    /* Its declarant reads its own declaration whatever became of it: nothing of it is shared
     * with anyone who did not already hold it, and the reason of a rejection is what the
     * declarant needs to answer it. */
    const Credit__V1__RecordMeta *m = rec->meta;
    return reader && reader[0] && m && m->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY &&
           m->source_unit && strcmp(m->source_unit, reader) == 0;
}

/* The size of a singular field's member in its message. */
static size_t member_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    default:
        return 4;
    }
}

/* Whether the member at p of field f holds exactly what clear_field_in would put there. */
static int holds_cleared(const char *p, const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        return *(char *const *)p == protobuf_c_empty_string;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)p == NULL;
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = (const ProtobufCBinaryData *)p;
        return b->data == NULL && b->len == 0;
    }
    default:
        for (size_t i = 0; i < member_size(f); i++)
            if (p[i])
                return 0;
        return 1;
    }
}

/* Sets aside the n bytes at p in u, to be put back by tier_restore. Returns 0, or -1 when out
 * of memory (u->failed is then set and nothing more is cleared). */
static int save(tier_undo *u, void *p, size_t n)
{
    if (u->failed)
        return -1;
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 16;
        struct tier_saved *v = realloc(u->v, cap * sizeof *v);
        if (!v) {
            u->failed = 1;
            return -1;
        }
        u->v = v;
        u->cap = cap;
    }
    u->v[u->n].at = p;
    u->v[u->n].len = n;
    memcpy(u->v[u->n++].old, p, n);
    return 0;
}

/* Resets field f of unpacked message m to its default, freeing what it held; or, with an undo
 * log u, setting it aside there instead. */
static void clear_field_in(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, tier_undo *u)
{
    char *p = (char *)m + f->offset;

    /* A member that already holds what clearing would put there stays as it is: nothing to
     * free or set aside, so an undo log counts only what clearing changed. */
    if (holds_cleared(p, f))
        return;
    if (u && save(u, p, member_size(f)) != 0)
        return;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        char **s = (char **)p;

        if (!u && *s && *s != protobuf_c_empty_string)
            free(*s);
        *s = (char *)protobuf_c_empty_string;
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        ProtobufCMessage **sub = (ProtobufCMessage **)p;

        if (!u && *sub)
            protobuf_c_message_free_unpacked(*sub, NULL);
        *sub = NULL;
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *b = (ProtobufCBinaryData *)p;

        if (!u)
            free(b->data);
        b->data = NULL;
        b->len = 0;
        break;
    }
    default: /* numbers, bools and enums */
        memset(p, 0, member_size(f));
        break;
    }
}

struct clearing {
    const catalog_section *sec; /* NULL: the record's section is gone; clear every value */
    tier t;
    tier_undo *u; /* NULL: free what is cleared */
};

static int clear_above(void *arg, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       const ProtobufCFieldDescriptor *const *chain, size_t depth)
{
    const struct clearing *c = arg;
    const catalog_dim *dim = c->sec ? catalog_dim_by_chain(c->sec, chain, depth, 1) : NULL;

    if (!dim || (int)dim->d->tier > (int)c->t)
        clear_field_in(m, f, c->u);
    return 0;
}

/* Whether clearing keeps extra entry e. */
static int keeps_extra(const Credit__V1__Record__ExtraEntry *e, const struct clearing *c)
{
    const catalog_dim *dim = c->sec && e->key ? catalog_dim_by_code(c->sec, e->key) : NULL;
    return dim && dim->depth == 0 && (int)dim->d->tier <= (int)c->t;
}

static void clear_extra(Credit__V1__Record *rec, const struct clearing *c)
{
    size_t kept = 0;

    if (c->u) { /* a list that keeps every entry stays as it is */
        size_t i = 0;
        while (i < rec->n_extra && keeps_extra(rec->extra[i], c))
            i++;
        if (i == rec->n_extra)
            return;
    }
    /* An undo log keeps the whole list as it was (entries are only reordered, not freed). */
    if (c->u && rec->n_extra) {
        if (c->u->failed || !(c->u->extra = malloc(rec->n_extra * sizeof *rec->extra))) {
            c->u->failed = 1;
            return;
        }
        memcpy(c->u->extra, rec->extra, rec->n_extra * sizeof *rec->extra);
        c->u->n_extra = rec->n_extra;
    }
    for (size_t i = 0; i < rec->n_extra; i++) {
        Credit__V1__Record__ExtraEntry *e = rec->extra[i];

        if (keeps_extra(e, c))
            rec->extra[kept++] = e;
        else if (!c->u)
            protobuf_c_message_free_unpacked(&e->base, NULL);
    }
    rec->n_extra = kept;
}

/* Clears the subject's field `name`: an identity number, whatever the catalogue says. */
static void clear_subject_field(Credit__V1__Subject *s, const char *name, tier_undo *u)
{
    clear_field_in(
        &s->base,
        protobuf_c_message_descriptor_get_field_by_name(&credit__v1__subject__descriptor, name), u);
}

/* tier_clear's work; with u, what is cleared is set aside there instead of freed. */
static void clear_record(Credit__V1__Record *rec, tier t, const catalog_version *cv, tier_undo *u)
{
    Credit__V1__Subject *s = rec->meta ? rec->meta->subject : NULL;
    struct clearing c = {NULL, t, u};
    const ProtobufCFieldDescriptor *body;

    if (t == TIER_GOVERNMENT)
        return;
    if (s) {
        if (s->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON)
            clear_subject_field(s, "identifier", u);
        clear_subject_field(s, "legal_representative_id_number", u);
        /* A 20-character tax number embeds a resident identity number. */
        if (s->tax_number && strlen(s->tax_number) == 20)
            clear_subject_field(s, "tax_number", u);
        clear_subject_field(s, "legal_representative_id_type", u);
    }
    if (rec->meta && rec->meta->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC)
        c.sec = catalog_public_section(cv, rec->meta->category);
    else if (rec->meta)
        c.sec = catalog_find_section(cv, rec->meta->catalogue, rec->meta->section);
    /* The stored record's paths: meta.subject..., meta.association..., then the body. */
    const ProtobufCFieldDescriptor *meta[2] = {
        protobuf_c_message_descriptor_get_field_by_name(&credit__v1__record__descriptor, "meta"),
        NULL};
    if (s) {
        meta[1] = protobuf_c_message_descriptor_get_field_by_name(
            &credit__v1__record_meta__descriptor, "subject");
        pbwalk_leaves(&s->base, meta, 2, &credit__v1__date__descriptor, clear_above, &c);
    }
    if (rec->meta && rec->meta->association) {
        meta[1] = protobuf_c_message_descriptor_get_field_by_name(
            &credit__v1__record_meta__descriptor, "association");
        pbwalk_leaves(&rec->meta->association->base, meta, 2, &credit__v1__date__descriptor,
                      clear_above, &c);
    }
    if (u)
        u->n_meta = u->n;
    body = protobuf_c_message_descriptor_get_field(&credit__v1__record__descriptor,
                                                   (unsigned)rec->body_case);
    if (body) {
        ProtobufCMessage *m = *(ProtobufCMessage **)((char *)rec + body->offset);

        if (m)
            pbwalk_leaves(m, &body, 1, &credit__v1__date__descriptor, clear_above, &c);
    }
    clear_extra(rec, &c);
}

void tier_clear(Credit__V1__Record *rec, tier t, const catalog_version *cv)
{
    clear_record(rec, t, cv, NULL);
}

int tier_clear_reversibly(Credit__V1__Record *rec, tier t, const catalog_version *cv, tier_undo *u)
{
    memset(u, 0, sizeof *u);
    clear_record(rec, t, cv, u);
    if (!u->failed)
        return 0;
    tier_restore(rec, u);
    return -1;
}

void tier_restore(Credit__V1__Record *rec, tier_undo *u)
{
    if (u->extra) {
        memcpy(rec->extra, u->extra, u->n_extra * sizeof *rec->extra);
        rec->n_extra = u->n_extra;
    }
    while (u->n > 0) {
        u->n--;
        memcpy(u->v[u->n].at, u->v[u->n].old, u->v[u->n].len);
    }
    free(u->v);
    free(u->extra);
    memset(u, 0, sizeof *u);
}
