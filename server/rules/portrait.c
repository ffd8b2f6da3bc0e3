/*
 * portrait.c — see portrait.h.
 *
 * Memory: a portrait is built the way protobuf-c unpacks a message (every string, message and
 * array from malloc, empty strings left at protobuf_c_empty_string), so that
 * credit__v1__portrait__free_unpacked frees it whole at any point of the building. Repeated
 * fields grow by doubling: an array of n elements has room for the next power of two.
 */
#include "portrait.h"

#include "pb.h"
#include "pbcheck.h"
#include "publicity.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- Checking templates ------------------------------------------------------------------- */

__attribute__((format(printf, 4, 5))) static int bad(char *err, const char *section,
                                                     const char *item, const char *fmt, ...)
{
    char msg[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, CATALOG_ERR_LEN, "catalogue FINANCE, section %.64s%s%.64s: %.300s", section,
             item ? ", item " : "", item ? item : "", msg);
    return -1;
}

/* lower_snake: a letter, then letters, digits and underscores; 1 to 64 bytes. */
static int snake(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64 || s[0] < 'a' || s[0] > 'z')
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int check_item(const catalog_version *v, const char *tmpl,
                      const Credit__V1__PortraitItemSpec *it, char *err)
{
    const catalog_section *src;
    int industrial = it->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_INDUSTRIAL;
    int monthly = it->aggregate == CREDIT__V1__AGGREGATE__AGGREGATE_MONTHLY_TOTAL;

    if (!snake(it->code))
        return bad(err, tmpl, it->code,
                   "code must be 1 to 64 of a-z, 0-9 and _, starting with a letter");
    if (!*it->name)
        return bad(err, tmpl, it->code, "name is required");
    if (it->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_UNSPECIFIED ||
        it->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE ||
        !protobuf_c_enum_descriptor_get_value(&credit__v1__catalogue__descriptor, it->catalogue))
        return bad(err, tmpl, it->code,
                   "catalogue must be PUBLIC, SERVICE_UNIT, ASSOCIATION, VOLUNTARY or INDUSTRIAL");
    src = catalog_find_section(v, it->catalogue, it->section);
    if (!src)
        return bad(err, tmpl, it->code, "catalogue %s has no section %.64s",
                   catalog_catalogue_name(it->catalogue), it->section);
    if (it->aggregate == CREDIT__V1__AGGREGATE__AGGREGATE_UNSPECIFIED ||
        !protobuf_c_enum_descriptor_get_value(&credit__v1__aggregate__descriptor, it->aggregate))
        return bad(err, tmpl, it->code,
                   "aggregate is required: AGGREGATE_COUNT, "
                   "AGGREGATE_BY_SEVERITY, AGGREGATE_LIST or AGGREGATE_MONTHLY_TOTAL");
    if (industrial != monthly)
        return bad(err, tmpl, it->code,
                   "AGGREGATE_MONTHLY_TOTAL is for the INDUSTRIAL "
                   "catalogue, and the INDUSTRIAL catalogue only for it");
    if (it->aggregate == CREDIT__V1__AGGREGATE__AGGREGATE_BY_SEVERITY && !src->s->n_publicity)
        return bad(err, tmpl, it->code,
                   "AGGREGATE_BY_SEVERITY needs a section with publicity "
                   "windows; %.64s has none",
                   it->section);
    if (!monthly) {
        if (*it->metric || it->months)
            return bad(err, tmpl, it->code, "metric and months are for AGGREGATE_MONTHLY_TOTAL");
        return 0;
    }
    const catalog_dim *m = catalog_dim_by_code(src, it->metric);
    if (!m)
        return bad(err, tmpl, it->code, "metric %.64s is not a dimension of INDUSTRIAL/%.64s",
                   it->metric, it->section);
    if (m->d->tier > CREDIT__V1__TIER__TIER_AUTHORIZED)
        return bad(err, tmpl, it->code,
                   "metric %.64s is %s: a portrait shows at most the "
                   "authorized tier",
                   it->metric, catalog_tier_name(m->d->tier));
    if (it->months < 1 || it->months > PORTRAIT_MONTHS_MAX)
        return bad(err, tmpl, it->code, "months must be 1 to %d", PORTRAIT_MONTHS_MAX);
    return 0;
}

static int check_template(const catalog_version *v, const Credit__V1__Section *s, char *err)
{
    const Credit__V1__PortraitTemplate *t = s->portrait;

    if (!t)
        return bad(err, s->code, NULL,
                   "a finance section is a portrait template: portrait is "
                   "required");
    if (s->n_dimensions || *s->body || s->n_publicity)
        return bad(err, s->code, NULL,
                   "a portrait template has no dimensions, body or "
                   "publicity windows of its own");
    for (size_t i = 0; i < t->n_subject_kinds; i++) {
        if (t->subject_kinds[i] == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_UNSPECIFIED ||
            !protobuf_c_enum_descriptor_get_value(&credit__v1__subject_kind__descriptor,
                                                  t->subject_kinds[i]))
            return bad(err, s->code, NULL, "subject_kinds[%zu]: %d is not a subject kind", i,
                       (int)t->subject_kinds[i]);
    }
    if (t->n_items < 1 || t->n_items > PORTRAIT_ITEMS_MAX)
        return bad(err, s->code, NULL, "a template has 1 to %d items, not %zu", PORTRAIT_ITEMS_MAX,
                   t->n_items);
    for (size_t i = 0; i < t->n_items; i++) {
        if (check_item(v, s->code, t->items[i], err) != 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(t->items[j]->code, t->items[i]->code) == 0)
                return bad(err, s->code, t->items[i]->code, "the code is used twice");
        }
    }
    return 0;
}

int portrait_check_templates(const catalog_version *v, char *err)
{
    for (size_t i = 0; i < v->n_defs; i++) {
        const Credit__V1__CatalogueDefinition *d = v->defs[i].d;
        int finance = d->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE;

        for (size_t k = 0; k < d->n_sections; k++) {
            if (finance && check_template(v, d->sections[k], err) != 0)
                return -1;
            if (!finance && d->sections[k]->portrait) {
                snprintf(err, CATALOG_ERR_LEN,
                         "catalogue %s, section %.64s: only finance sections are portrait "
                         "templates",
                         catalog_catalogue_name(d->catalogue), d->sections[k]->code);
                return -1;
            }
        }
    }
    return 0;
}

/* --- Building ----------------------------------------------------------------------------- */

/* Room for one more element in an array of n of size `size` (see the file's head). */
static int grow(void **arr, size_t n, size_t size)
{
    if (n && (n & (n - 1)))
        return 0; /* not a power of two: there is room */
    void *p = realloc(*arr, (n ? 2 * n : 1) * size);
    if (!p)
        return -1;
    *arr = p;
    return 0;
}

/* s copied for a message field: "" stays the shared empty string. NULL when out of memory. */
static char *copy(const char *s)
{
    return s && *s ? strdup(s) : (char *)protobuf_c_empty_string;
}

Credit__V1__Portrait *portrait_create(const catalog_section *tmpl)
{
    const Credit__V1__PortraitTemplate *t = tmpl->s->portrait;
    Credit__V1__Portrait *p = malloc(sizeof *p);

    if (!p)
        return NULL;
    credit__v1__portrait__init(p);
    p->template_version = tmpl->version;
    if (!(p->template_ = copy(tmpl->s->code)) ||
        !(p->items = calloc(t->n_items ? t->n_items : 1, sizeof *p->items)))
        goto fail;
    for (size_t i = 0; i < t->n_items; i++) {
        const Credit__V1__PortraitItemSpec *spec = t->items[i];
        Credit__V1__PortraitItem *it = malloc(sizeof *it);

        if (!it)
            goto fail;
        credit__v1__portrait_item__init(it);
        p->items[p->n_items++] = it;
        it->catalogue = spec->catalogue;
        it->aggregate = spec->aggregate;
        if (!(it->code = copy(spec->code)) || !(it->name = copy(spec->name)) ||
            !(it->section = copy(spec->section)) || !(it->metric = copy(spec->metric)))
            goto fail;
        if (spec->aggregate != CREDIT__V1__AGGREGATE__AGGREGATE_BY_SEVERITY)
            continue;
        it->by_severity = calloc(3, sizeof *it->by_severity);
        if (!it->by_severity)
            goto fail;
        for (int sev = CREDIT__V1__SEVERITY__SEVERITY_MINOR;
             sev <= CREDIT__V1__SEVERITY__SEVERITY_SERIOUS; sev++) {
            Credit__V1__SeverityCount *c = malloc(sizeof *c);
            if (!c)
                goto fail;
            credit__v1__severity_count__init(c);
            c->severity = sev;
            it->by_severity[it->n_by_severity++] = c;
        }
    }
    return p;
fail:
    credit__v1__portrait__free_unpacked(p, NULL);
    return NULL;
}

/* The section code a record is filed under: the public catalogue's is its category's name. */
static const char *section_of(const Credit__V1__RecordMeta *m)
{
    if (m->catalogue != CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC)
        return m->section;
    const ProtobufCEnumValue *e =
        protobuf_c_enum_descriptor_get_value(&credit__v1__category__descriptor, m->category);
    return e ? e->name + strlen("CATEGORY_") : "";
}

static Credit__V1__Date *date_copy(const Credit__V1__Date *d)
{
    Credit__V1__Date *c;

    if (!d)
        return NULL;
    c = malloc(sizeof *c);
    if (c) {
        credit__v1__date__init(c);
        c->year = d->year;
        c->month = d->month;
        c->day = d->day;
    }
    return c;
}

static Credit__V1__Provenance *provenance(const char *unit, const char *record_id, uint32_t version,
                                          uint32_t catalogue_version)
{
    Credit__V1__Provenance *pv = malloc(sizeof *pv);

    if (!pv)
        return NULL;
    credit__v1__provenance__init(pv);
    pv->record_version = version;
    pv->catalogue_version = catalogue_version;
    pv->source_unit = copy(unit);
    pv->record_id = copy(record_id);
    if (!pv->source_unit || !pv->record_id) {
        credit__v1__provenance__free_unpacked(pv, NULL);
        return NULL;
    }
    return pv;
}

/* What an entry says of a record: its one-line title and its date, by the record's body. */
static void describe(const Credit__V1__Record *rec, const char **title,
                     const Credit__V1__Date **date)
{
    *title = "";
    *date = NULL;
    switch (rec->body_case) {
    case CREDIT__V1__RECORD__BODY_LICENCE:
        *title = *rec->licence->certificate_name ? rec->licence->certificate_name
                                                 : rec->licence->licence_number;
        *date = rec->licence->decision_date;
        break;
    case CREDIT__V1__RECORD__BODY_PENALTY:
        *title = rec->penalty->decision_document_number;
        *date = rec->penalty->decision_date;
        break;
    case CREDIT__V1__RECORD__BODY_ACTION:
        *title = rec->action->title;
        *date = rec->action->decision_date;
        break;
    case CREDIT__V1__RECORD__BODY_DECLARATION:
        *title = rec->declaration->conduct;
        *date = rec->declaration->conduct_date;
        break;
    case CREDIT__V1__RECORD__BODY_GOVERNANCE:
        *title = rec->governance->team;
        *date = rec->governance->reported_on;
        break;
    case CREDIT__V1__RECORD__BODY_MEMBER:
        *title = rec->member->rating;
        *date = rec->member->evaluated_on;
        break;
    case CREDIT__V1__RECORD__BODY_CLAIM:
        *title = rec->claim->title;
        *date = rec->claim->claimed_on;
        break;
    default:
        break;
    }
}

static int add_entry(Credit__V1__PortraitItem *it, const Credit__V1__Record *rec, int disputed,
                     int in_publicity)
{
    const Credit__V1__RecordMeta *m = rec->meta;
    const Credit__V1__Date *date;
    const char *title;
    Credit__V1__PortraitEntry *e;

    if (grow((void **)&it->entries, it->n_entries, sizeof *it->entries) != 0 ||
        !(e = malloc(sizeof *e)))
        return -1;
    credit__v1__portrait_entry__init(e);
    it->entries[it->n_entries++] = e;
    describe(rec, &title, &date);
    e->disputed = disputed;
    e->in_publicity = in_publicity;
    if (rec->body_case == CREDIT__V1__RECORD__BODY_PENALTY)
        e->severity = rec->penalty->severity;
    e->provenance = provenance(m->source_unit, m->record_id, m->version, m->catalogue_version);
    e->title = copy(title);
    e->date = date_copy(date);
    return e->provenance && e->title && (!date || e->date) ? 0 : -1;
}

int portrait_add_record(Credit__V1__Portrait *p, const Credit__V1__Record *rec,
                        const Credit__V1__Date *today)
{
    const Credit__V1__RecordMeta *m = rec->meta;
    const Credit__V1__RecordStatus *st = m ? m->status : NULL;

    if (!m || (st && (st->withdrawn || st->repaired)))
        return 0;
    if (m->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_VOLUNTARY &&
        (!st || st->verification != CREDIT__V1__VERIFICATION__VERIFICATION_VERIFIED))
        return 0;
    const char *section = section_of(m);
    int disputed = st && st->disputed;
    for (size_t i = 0; i < p->n_items; i++) {
        Credit__V1__PortraitItem *it = p->items[i];

        if (it->catalogue != m->catalogue || strcmp(it->section, section) != 0)
            continue;
        it->count++;
        it->disputed += disputed;
        if (it->aggregate != CREDIT__V1__AGGREGATE__AGGREGATE_BY_SEVERITY) {
            if (add_entry(it, rec, disputed, 0) != 0)
                return -1;
            continue;
        }
        int open = !publicity_record_ended(rec, today) && !(st && st->publicity_ended);
        int sev = rec->body_case == CREDIT__V1__RECORD__BODY_PENALTY ? rec->penalty->severity : 0;
        for (size_t k = 0; k < it->n_by_severity; k++) {
            if ((int)it->by_severity[k]->severity == sev) {
                it->by_severity[k]->count++;
                it->by_severity[k]->in_publicity += open;
            }
        }
        if (open && add_entry(it, rec, disputed, 1) != 0)
            return -1;
    }
    return 0;
}

int portrait_add_month(Credit__V1__PortraitItem *it, const char *month, const char *platform,
                       double total, uint32_t samples, uint32_t catalogue_version)
{
    Credit__V1__MonthlyTotal *t;

    if (grow((void **)&it->months, it->n_months, sizeof *it->months) != 0 ||
        !(t = malloc(sizeof *t)))
        return -1;
    credit__v1__monthly_total__init(t);
    it->months[it->n_months++] = t;
    t->total = total;
    t->samples = samples;
    t->month = copy(month);
    t->provenance = provenance(platform, "", 0, catalogue_version);
    return t->month && t->provenance ? 0 : -1;
}

/* --- Signing ------------------------------------------------------------------------------ */

/* Sets p's key_id and packs p without a signature into a malloc'd *buf of *len bytes with
 * room after them for field 15 (PORTRAIT_SIG_ROOM); with `repaired`, makes its strings valid
 * text (pbcheck_repair: *repaired bytes, the first fault in *first), so that what is signed is
 * what is sent. Returns 0, or -1 with err (*buf freed). */
#define PORTRAIT_SIG_ROOM (1 + 2 + SIGNKEY_SIG_MAX) /* tag, length varint, DER signature */
static int pack_checked(Credit__V1__Portrait *p, const signkey *k, long *repaired,
                        pbcheck_fault *first, uint8_t **buf, size_t *len, char *err)
{
    free(p->signature.data);
    p->signature.data = NULL;
    p->signature.len = 0;
    if (p->key_id != protobuf_c_empty_string)
        free(p->key_id);
    p->key_id = copy(signkey_id(k));
    if (!p->key_id) {
        p->key_id = (char *)protobuf_c_empty_string;
        snprintf(err, SIGNKEY_ERR_LEN, "out of memory");
        return -1;
    }
    *len = credit__v1__portrait__get_packed_size(p);
    if (!(*buf = malloc(*len + PORTRAIT_SIG_ROOM))) {
        snprintf(err, SIGNKEY_ERR_LEN, "out of memory");
        return -1;
    }
    credit__v1__portrait__pack(p, *buf);
    if (repaired) {
        *repaired = pbcheck_repair(&credit__v1__portrait__descriptor, *buf, *len, first);
        if (*repaired < 0) { /* our own packing: cannot happen */
            snprintf(err, SIGNKEY_ERR_LEN, "the packed portrait is malformed at %s", first->path);
            goto fail;
        }
    }
    return 0;
fail:
    free(*buf);
    *buf = NULL;
    return -1;
}

int portrait_sign(Credit__V1__Portrait *p, const signkey *k, char *err)
{
    unsigned char sig[SIGNKEY_SIG_MAX];
    uint8_t *buf;
    size_t len, sig_len;

    if (pack_checked(p, k, NULL, NULL, &buf, &len, err) != 0)
        return -1;
    if (signkey_sign(k, buf, len, sig, &sig_len, err) != 0) {
        free(buf);
        return -1;
    }
    free(buf);
    if (!(p->signature.data = malloc(sig_len))) {
        snprintf(err, SIGNKEY_ERR_LEN, "out of memory");
        return -1;
    }
    memcpy(p->signature.data, sig, sig_len);
    p->signature.len = sig_len;
    return 0;
}

/* Signs buf[0..*len) (a portrait packed without field 15, with PORTRAIT_SIG_ROOM bytes free
 * after it) and appends field 15 holding the signature, as protobuf-c writes it last for
 * p->signature; *len grows by it. Returns 0, or -1 with err. */
static int seal(const signkey *k, uint8_t *buf, size_t *len, char *err)
{
    unsigned char sig[SIGNKEY_SIG_MAX];
    size_t sig_len;

    if (signkey_sign(k, buf, *len, sig, &sig_len, err) != 0)
        return -1;
    uint8_t *at = buf + *len;
    *at++ = (15 << 3) | 2;
    for (size_t v = sig_len;; v >>= 7) {
        *at++ = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f)
            break;
    }
    memcpy(at, sig, sig_len);
    *len = (size_t)(at - buf) + sig_len;
    return 0;
}

int portrait_sign_packed(Credit__V1__Portrait *p, const signkey *k, uint8_t **out, size_t *len,
                         long *repaired, pbcheck_fault *first, char *err)
{
    if (pack_checked(p, k, repaired, first, out, len, err) != 0)
        return -1;
    if (seal(k, *out, len, err) != 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* --- Body and envelope -------------------------------------------------------------------- */

/* A body (portrait_body_pack): this head, then `head` bytes (fields 3 to 5 packed), then
 * `items` bytes (field 9 packed), both already made valid text: each part's repaired byte
 * count and first fault kept, so that the assembled portrait reports them as one
 * pbcheck_repair of the whole would (the first fault in wire order). */
typedef struct body_head {
    size_t len[2];      /* head, items */
    long repaired[2];
    pbcheck_fault first[2]; /* when repaired[i] > 0 */
} body_head;

/* Adds a part's repair (part_r bytes, first fault part_f) to a running one (*r, *f). */
static void add_repair(long *r, pbcheck_fault *f, long part_r, const pbcheck_fault *part_f)
{
    if (part_r > 0 && *r == 0)
        *f = *part_f;
    *r += part_r;
}

/* Packs m (a portrait with only some fields set) into a malloc'd *out of *len bytes and makes
 * its strings valid text: *repaired bytes (0 or more), the first fault in *first. Returns 0,
 * or -1 with err. */
static int pack_part(const Credit__V1__Portrait *m, uint8_t **out, size_t *len, long *repaired,
                     pbcheck_fault *first, char *err)
{
    *len = credit__v1__portrait__get_packed_size(m);
    if (!(*out = malloc(*len ? *len : 1))) {
        snprintf(err, SIGNKEY_ERR_LEN, "out of memory");
        return -1;
    }
    credit__v1__portrait__pack(m, *out);
    *repaired = pbcheck_repair(&credit__v1__portrait__descriptor, *out, *len, first);
    if (*repaired < 0) { /* our own packing: cannot happen */
        snprintf(err, SIGNKEY_ERR_LEN, "the packed portrait is malformed at %s", first->path);
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int portrait_body_pack(const Credit__V1__Portrait *p, void **body, size_t *len, char *err)
{
    Credit__V1__Portrait part[2] = {CREDIT__V1__PORTRAIT__INIT, CREDIT__V1__PORTRAIT__INIT};
    body_head h;
    uint8_t *packed[2] = {NULL, NULL};
    int rc = -1;

    memset(&h, 0, sizeof h);
    part[0].subject_name = p->subject_name;
    part[0].template_ = p->template_;
    part[0].template_version = p->template_version;
    part[1].n_items = p->n_items;
    part[1].items = p->items;
    for (int i = 0; i < 2; i++) {
        if (pack_part(&part[i], &packed[i], &h.len[i], &h.repaired[i], &h.first[i], err) != 0)
            goto out;
    }
    unsigned char *b = malloc(sizeof h + h.len[0] + h.len[1]);
    if (!b) {
        snprintf(err, SIGNKEY_ERR_LEN, "out of memory");
        goto out;
    }
    memcpy(b, &h, sizeof h);
    memcpy(b + sizeof h, packed[0], h.len[0]);
    memcpy(b + sizeof h + h.len[0], packed[1], h.len[1]);
    *body = b;
    *len = sizeof h + h.len[0] + h.len[1];
    rc = 0;
out:
    free(packed[0]);
    free(packed[1]);
    return rc;
}

int portrait_assemble(const void *body, size_t body_len, const Credit__V1__Portrait *env,
                      const signkey *k, uint8_t **out, size_t *len, long *repaired,
                      pbcheck_fault *first, char *err)
{
    Credit__V1__Portrait part[3] = {CREDIT__V1__PORTRAIT__INIT, CREDIT__V1__PORTRAIT__INIT,
                                    CREDIT__V1__PORTRAIT__INIT};
    const unsigned char *bytes = body;
    const unsigned char *from[5];
    uint8_t *packed[3] = {NULL, NULL, NULL}, *buf;
    size_t plen[3], n[5], at = 0;
    long r = 0, pr;
    pbcheck_fault f, pf;
    body_head h;
    int rc = -1;

    memcpy(&h, body, sizeof h);
    assert(body_len == sizeof h + h.len[0] + h.len[1]);
    (void)body_len;
    /* The envelope in three parts around the body's two: fields 1-2, [3-5], 6-8, [9], 10 —
     * the order protobuf-c packs a whole portrait in. */
    part[0].portrait_id = env->portrait_id;
    part[0].subject = env->subject;
    part[1].made_at = env->made_at;
    part[1].grant_id = env->grant_id;
    part[1].grantee = env->grantee;
    part[2].key_id = (char *)signkey_id(k);
    for (int i = 0; i < 3; i++) {
        if (pack_part(&part[i], &packed[i], &plen[i], &pr, &pf, err) != 0)
            goto out;
        add_repair(&r, &f, pr, &pf);
        if (i < 2) /* the body's part that follows envelope part i, in wire order */
            add_repair(&r, &f, h.repaired[i], &h.first[i]);
    }
    from[0] = packed[0], n[0] = plen[0];
    from[1] = bytes + sizeof h, n[1] = h.len[0];
    from[2] = packed[1], n[2] = plen[1];
    from[3] = bytes + sizeof h + h.len[0], n[3] = h.len[1];
    from[4] = packed[2], n[4] = plen[2];
    *len = n[0] + n[1] + n[2] + n[3] + n[4];
    if (!(buf = malloc(*len + PORTRAIT_SIG_ROOM))) {
        snprintf(err, SIGNKEY_ERR_LEN, "out of memory");
        goto out;
    }
    for (int i = 0; i < 5; i++) {
        memcpy(buf + at, from[i], n[i]);
        at += n[i];
    }
    if (seal(k, buf, len, err) != 0) {
        free(buf);
        goto out;
    }
    *out = buf;
    *repaired = r;
    if (r > 0)
        *first = f;
    rc = 0;
out:
    for (int i = 0; i < 3; i++)
        free(packed[i]);
    return rc;
}
