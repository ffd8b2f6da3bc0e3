/*
 * records.c — see records.h.
 */
#include "records.h"
#include "calendar.h"
#include "pb.h"
#include "publicity.h"
#include "randpool.h"
#include "tier.h"
#include "validate.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* SOURCES also holds the content digest index: 0x01 | record id | SHA-256 -> be32(version),
 * the newest superseded version of the record with that content (a later put overwrites); the
 * latest version's digest is in the latest version itself, so it is indexed only when a new
 * version supersedes it. Unit codes start with a letter, so these keys never meet a unit's
 * source keys. */
#define DIGEST_KEY_LEN (1 + RECORD_ID_LEN + 32)

static void digest_key(const char *record_id, const unsigned char *digest, char *out)
{
    out[0] = 0x01;
    memcpy(out + 1, record_id, RECORD_ID_LEN);
    memcpy(out + 1 + RECORD_ID_LEN, digest, 32);
}

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[in[i] >> 4];
        out[2 * i + 1] = hexdigits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void records_new_id(char out[RECORD_ID_LEN + 1])
{
    unsigned char raw[16];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    store_put_be64(raw, ms);
    if (randpool_bytes(raw + 8, 8) != 0) {
        /* The random half only separates ids made in the same millisecond; a counter mixed
         * with the clock keeps them apart if the generator ever fails. */
        static uint64_t fallback;
        store_put_be64(raw + 8, __atomic_add_fetch(&fallback, 1, __ATOMIC_RELAXED) ^
                                    (uint64_t)now.tv_nsec);
    }
    to_hex(raw, sizeof raw, out);
}

int records_check_id(const char *id)
{
    return validate_lower_hex(id, RECORD_ID_LEN) ? 0 : -1;
}

static Credit__Store__V1__StoredRecord *unpack_stored(const void *val, size_t len)
{
    return credit__store__v1__stored_record__unpack(NULL, len, val);
}

int records_get(store *st, const store_snapshot *snap, const char *record_id,
                Credit__Store__V1__StoredRecord **out, char *err)
{
    char what[64];

    snprintf(what, sizeof what, "stored record %.40s", record_id);
    return pb_store_get(st, snap, STORE_CF_RECORDS, record_id, strlen(record_id),
                        &credit__store__v1__stored_record__descriptor, what,
                        (ProtobufCMessage **)out, err);
}

/* records_visit's pass: the caller's visitor and the ids, for the decoding visitor below. */
typedef struct visit_pass {
    const char *const *ids;
    records_visit_fn fn;
    void *ctx;
    char *err;
} visit_pass;

static int visit_one(void *arg, size_t i, const void *val, size_t len)
{
    visit_pass *v = arg;
    if (!val)
        return v->fn(v->ctx, i, NULL);
    /* Decoded where the engine holds it: nothing copied, the value valid only now. */
    Credit__Store__V1__StoredRecord *sr = credit__store__v1__stored_record__unpack(NULL, len, val);
    if (!sr) {
        snprintf(v->err, STORE_ERR_LEN, "stored record %.40s cannot be decoded", v->ids[i]);
        return STORE_ECORRUPT;
    }
    int rc = v->fn(v->ctx, i, sr);
    credit__store__v1__stored_record__free_unpacked(sr, NULL);
    return rc;
}

int records_visit(store *st, const store_snapshot *snap, const char *const *ids, size_t n,
                  records_visit_fn fn, void *ctx, char *err)
{
    size_t *klens = malloc((n ? n : 1) * sizeof *klens);
    visit_pass v = {.ids = ids, .fn = fn, .ctx = ctx, .err = err};

    if (!klens) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        return STORE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        klens[i] = strlen(ids[i]);
    int rc = store_multi_get(st, snap, STORE_CF_RECORDS, n, ids, klens, visit_one, &v, err);
    free(klens);
    return rc;
}

int records_get_version(store *st, const store_snapshot *snap, const char *record_id,
                        uint32_t version, Credit__Store__V1__StoredRecord **out, char *err)
{
    Credit__Store__V1__StoredRecord *sr = NULL, **v = NULL;
    size_t nv = 0;
    int rc = records_get(st, snap, record_id, &sr, err);
    if (rc != 0)
        return rc;
    uint32_t latest = sr->record && sr->record->meta ? sr->record->meta->version : 0;
    if (latest == version) {
        *out = sr;
        return 0;
    }
    credit__store__v1__stored_record__free_unpacked(sr, NULL);
    if (version == 0 || version > latest) {
        snprintf(err, STORE_ERR_LEN, "record %.40s has no version %u", record_id, version);
        return STORE_ENOTFOUND;
    }
    if ((rc = records_history_range(st, snap, record_id, version, 1, SIZE_MAX, &v, &nv, err)) !=
        0)
        return rc;
    if (nv == 0 || !v[0]->record || !v[0]->record->meta ||
        v[0]->record->meta->version != version) {
        records_free_history(v, nv);
        snprintf(err, STORE_ERR_LEN, "record %.40s has no version %u", record_id, version);
        return STORE_ENOTFOUND;
    }
    *out = v[0];
    v[0] = NULL;
    records_free_history(v, nv);
    return 0;
}

void records_free_history(Credit__Store__V1__StoredRecord **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        credit__store__v1__stored_record__free_unpacked(v[i], NULL);
    free(v);
}

int records_history(store *st, const store_snapshot *snap, const char *record_id,
                    Credit__Store__V1__StoredRecord ***out, size_t *n, char *err)
{
    return records_history_range(st, snap, record_id, 1, SIZE_MAX, SIZE_MAX, out, n, err);
}

int records_history_range(store *st, const store_snapshot *snap, const char *record_id,
                          uint32_t from, size_t max, size_t max_bytes,
                          Credit__Store__V1__StoredRecord ***out, size_t *n, char *err)
{
    size_t cap = 0, count = 0, bytes = 0;
    Credit__Store__V1__StoredRecord **v = NULL;
    int rc = 0;
    size_t idlen = strlen(record_id);
    char start[RECORD_ID_LEN + 4];
    if (idlen != RECORD_ID_LEN) {
        snprintf(err, STORE_ERR_LEN, "not a record id");
        return STORE_EINVAL;
    }
    memcpy(start, record_id, idlen);
    for (int b = 0; b < 4; b++)
        start[idlen + b] = (char)(from >> (24 - 8 * b));
    store_iter *it =
        store_iter_create(st, snap, STORE_CF_HISTORY, record_id, idlen, start, idlen + 4);
    for (; it && store_iter_valid(it) && count < max && bytes < max_bytes;
         store_iter_next(it)) {
        size_t len;
        const void *val = store_iter_value(it, &len);
        bytes += len;
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            Credit__Store__V1__StoredRecord **nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                rc = STORE_ENOMEM;
                snprintf(err, STORE_ERR_LEN, "out of memory");
                break;
            }
            v = nv;
        }
        if (!(v[count] = unpack_stored(val, len))) {
            rc = STORE_ECORRUPT;
            snprintf(err, STORE_ERR_LEN, "a version of %.40s cannot be decoded", record_id);
            break;
        }
        count++;
    }
    if (rc == 0 && store_iter_error(it, err) != 0)
        rc = STORE_EIO;
    store_iter_destroy(it);
    if (rc != 0) {
        records_free_history(v, count);
        return rc;
    }
    *out = v;
    *n = count;
    return 0;
}

int records_version_with_digest(store *st, const char *record_id, const unsigned char *digest,
                                uint32_t *version, char *err)
{
    char key[DIGEST_KEY_LEN];
    void *val = NULL;
    size_t len = 0;
    if (strlen(record_id) != RECORD_ID_LEN) {
        snprintf(err, STORE_ERR_LEN, "not a record id");
        return STORE_EINVAL;
    }
    digest_key(record_id, digest, key);
    int rc = store_get(st, NULL, STORE_CF_SOURCES, key, sizeof key, &val, &len, err);
    if (rc == STORE_ENOTFOUND) {
        *version = 0;
        return 0;
    }
    if (rc != 0)
        return rc;
    const unsigned char *v = val;
    *version = len == 4 ? (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3]
                        : 0;
    free(val);
    return 0;
}

static size_t source_key(const char *unit, const char *source_record_id, char *out, size_t cap)
{
    size_t u = strlen(unit), s = strlen(source_record_id);
    if (u + 1 + s > cap)
        return 0;
    memcpy(out, unit, u);
    out[u] = '\0';
    memcpy(out + u + 1, source_record_id, s);
    return u + 1 + s;
}

int records_by_source(store *st, const char *unit, const char *source_record_id,
                      char rid[RECORD_ID_LEN + 1], char *err)
{
    char key[512];
    size_t klen = source_key(unit, source_record_id, key, sizeof key);
    if (klen == 0)
        return STORE_ENOTFOUND;
    void *val;
    size_t len;
    int rc = store_get(st, NULL, STORE_CF_SOURCES, key, klen, &val, &len, err);
    if (rc != 0)
        return rc;
    if (len != RECORD_ID_LEN) {
        free(val);
        snprintf(err, STORE_ERR_LEN, "source index entry of %.40s is damaged", source_record_id);
        return STORE_ECORRUPT;
    }
    memcpy(rid, val, RECORD_ID_LEN);
    rid[RECORD_ID_LEN] = '\0';
    free(val);
    return 0;
}

/* --- Page entries ------------------------------------------------------------------------
 *
 * An entry is a fixed head, the section, then the prepared forms:
 *   [0]      ENTRY_MAGIC
 *   [1]      flags: ENTRY_OPEN (an open-tier form follows the section), ENTRY_AUTHORIZED (the
 *            head is ENTRY_HEAD_FORMS long and an authorized-tier form follows the open one),
 *            ENTRY_SAME (with ENTRY_AUTHORIZED: the authorized form is the open form, byte for
 *            byte, and is not repeated)
 *   [2..3]   be16 section length
 *   [4..7]   be32 catalogue      [8..11]  be32 category     [12..15] be32 version
 *   [16..19] be32 the catalogue version the forms were shaped under
 *   [20..23] be32 the forms' last day shown (yyyymmdd; 0: no end)
 * with ENTRY_AUTHORIZED:
 *   [24..27] be32 the record's date for a grant's range (yyyymmdd; 0: undated)
 *   [28..31] be32 the open form's length (the authorized form is the rest)
 * The magic tells an entry from the empty value of older data directories, and from anything
 * else: an entry that does not add up is STORE_ECORRUPT. Entries of the 24-byte head alone
 * (the open form only) were written before the authorized form was prepared; they still read.
 * The StoredRecord itself is not repeated here (RECORDS and HISTORY hold it already): every
 * byte an entry adds is written with each version, under the push lock. */
#define ENTRY_MAGIC      0xE1
#define ENTRY_OPEN       0x01
#define ENTRY_AUTHORIZED 0x02
#define ENTRY_SAME       0x04
#define ENTRY_HEAD       24
#define ENTRY_HEAD_FORMS 32

/* Set once at start-up (records_prepare_under), read by every writer afterwards. */
static catalog *prepare_cat;

void records_prepare_under(catalog *cat)
{
    prepare_cat = cat;
}

static uint32_t day_number(const Credit__V1__Date *d)
{
    return (uint32_t)d->year * 10000u + (uint32_t)d->month * 100u + (uint32_t)d->day;
}

/* The reverse of day_number, for the dates calendar_from_unix gives (years 1 to 9999) and
 * the undated 0. */
static void day_from_number(uint32_t n, Credit__V1__Date *d)
{
    credit__v1__date__init(d);
    d->year = (int32_t)(n / 10000u);
    d->month = (int32_t)(n / 100u % 100u);
    d->day = (int32_t)(n % 100u);
}

void records_date_of(const Credit__V1__Record *rec, Credit__V1__Date *d)
{
    const Credit__V1__RecordMeta *m = rec->meta;
    const Google__Protobuf__Timestamp *t =
        m ? (m->occurred_at ? m->occurred_at : m->reported_at) : NULL;
    if (t)
        calendar_from_unix(t->seconds, d);
    else
        credit__v1__date__init(d);
}

/* Appends n bytes to b. Returns 0, or -1 when out of memory (b as it was). */
static int bytes_append(ProtobufCBufferSimple *b, const void *p, size_t n)
{
    size_t before = b->len;
    b->base.append(&b->base, n, p);
    return b->len == before + n ? 0 : -1;
}

/* Appends the encoding of `m` to `b`. Returns 0, or STORE_ENOMEM when the buffer cannot grow.
 * Sized first and packed in one pass into the buffer's own memory: protobuf-c's packing to a
 * buffer appends field by field through a function pointer, which costs more than sizing. */
static int pack_append(const ProtobufCMessage *m, ProtobufCBufferSimple *b)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    if (b->alloced - b->len < n) {
        size_t cap = b->len + n;
        uint8_t *d = malloc(cap);
        if (!d)
            return STORE_ENOMEM;
        memcpy(d, b->data, b->len);
        if (b->must_free_data)
            free(b->data);
        b->data = d;
        b->alloced = cap;
        b->must_free_data = 1;
    }
    b->len += protobuf_c_message_pack(m, b->data + b->len);
    return 0;
}

/* Whether forms are prepared for `rec`: a catalogue is set and the open tier (so the
 * authorized tier too) shows the record by its status. *last_day: yyyymmdd of the last day its
 * publicity rule shows it, 0 for no end. */
static int forms_due(const Credit__V1__Record *rec, uint32_t *last_day)
{
    Credit__V1__Date last = CREDIT__V1__DATE__INIT;
    int ends;

    if (!prepare_cat)
        return 0;
    ends = publicity_record_last_day(rec, &last);
    if (ends < 0)
        return 0; /* an end that cannot be told counts as ended: never shown */
    if (ends == 0) {
        last.year = 1; /* any day: only the status decides */
        last.month = 1;
        last.day = 1;
    }
    /* On its last day the publicity rule still shows it: what hides it then is its status. */
    if (!tier_shows(rec, TIER_OPEN, &last) || !tier_shows(rec, TIER_AUTHORIZED, &last))
        return 0;
    *last_day = ends ? day_number(&last) : 0;
    return 1;
}

/* The form of record `rec`, whose meta alone differs from `whole` (rec packed before the meta
 * was cleared), appended to out: the meta packed, then whole's bytes after its meta. A Record's
 * meta is its field 1, declared first, and protobuf-c packs fields in their order of
 * declaration, so whole is the meta's tag and length, the meta, then the rest, which the
 * clearing left as it was. Returns 0, or -1 when out of memory. */
static int meta_form(const Credit__V1__Record *rec, const ProtobufCBufferSimple *whole,
                     ProtobufCBufferSimple *out)
{
    const ProtobufCFieldDescriptor *f = credit__v1__record__descriptor.fields;
    size_t at = 1, len = 0;
    int shift = 0;
    if (f[0].id != 1 || f[0].type != PROTOBUF_C_TYPE_MESSAGE || !rec->meta ||
        whole->len < 2 || whole->data[0] != (1 << 3 | 2))
        return pack_append(&rec->base, out) == 0 ? 0 : -1; /* not the layout this relies on */
    while (at < whole->len && shift < 64) {
        len |= (size_t)(whole->data[at] & 0x7f) << shift;
        shift += 7;
        if (!(whole->data[at++] & 0x80))
            break;
    }
    if (len > whole->len - at)
        return pack_append(&rec->base, out) == 0 ? 0 : -1;
    Credit__V1__Record meta_only = CREDIT__V1__RECORD__INIT;
    meta_only.meta = rec->meta;
    if (pack_append(&meta_only.base, out) != 0)
        return -1;
    return bytes_append(out, whole->data + at + len, whole->len - at - len);
}

/* What a tier's clearing took out of a record: how many values it set aside, and how many
 * extra entries it kept. */
typedef struct form_shape {
    size_t cleared, kept_extra;
} form_shape;

/* The form of `rec` tier `t` gets under catalogue version `cv`, appended to `out`, with what
 * its clearing took out into *shape. With `like`, the shape of a form of a lower tier already
 * appended: when this clearing took out as many values and kept as many extra entries, the
 * form is that one byte for byte (a higher tier clears a subset of what a lower one clears, by
 * the same walk), so nothing is packed or appended and 1 is returned. The caller's record is
 * cleared in place, packed, and put back as it was before this returns (records_put_version's
 * contract): no copy of it is decoded and freed again, which is most of the cost under the
 * push lock. `whole` (NULL: none) is rec packed as it is: when the clearing took out nothing,
 * the form is those bytes, appended without packing rec again; when it took out values of the
 * meta only (a subject's identity numbers), only the meta is packed again (meta_form).
 * Returns 0 (appended), 1, or -1 when out of memory. */
static int tier_form(const Credit__V1__Record *rec, tier t, const catalog_version *cv,
                     const form_shape *like, form_shape *shape, const ProtobufCBufferSimple *whole,
                     ProtobufCBufferSimple *out)
{
    Credit__V1__Record *own = (Credit__V1__Record *)rec;
    tier_undo undo;
    int rc = 0;
    if (tier_clear_reversibly(own, t, cv, &undo) != 0)
        return -1;
    shape->cleared = undo.n;
    shape->kept_extra = own->n_extra;
    if (like && like->cleared == shape->cleared && like->kept_extra == shape->kept_extra)
        rc = 1;
    else if (whole && undo.n == 0 && !undo.extra)
        rc = bytes_append(out, whole->data, whole->len);
    else if (whole && undo.n == undo.n_meta && !undo.extra)
        rc = meta_form(own, whole, out);
    else if (pack_append(&own->base, out) != 0)
        rc = -1;
    tier_restore(own, &undo);
    return rc;
}

int records_entry_read(const void *val, size_t len, records_entry *e)
{
    const unsigned char *v = val;

    if (len == 0)
        return 0;
    if (len < ENTRY_HEAD || v[0] != ENTRY_MAGIC)
        return STORE_ECORRUPT;
    unsigned flags = v[1];
    size_t head = flags & ENTRY_AUTHORIZED ? ENTRY_HEAD_FORMS : ENTRY_HEAD;
    size_t sec = (size_t)v[2] << 8 | v[3];
    if (len < head || ((flags & ENTRY_AUTHORIZED) && !(flags & ENTRY_OPEN)) || sec > len - head ||
        (!(flags & ENTRY_OPEN) && sec != len - head))
        return STORE_ECORRUPT;
    memset(e, 0, sizeof *e);
    e->catalogue = (int)store_get_be32(v + 4);
    e->category = (int)store_get_be32(v + 8);
    e->version = store_get_be32(v + 12);
    e->section = (const char *)v + head;
    e->section_len = sec;
    if (flags & ENTRY_OPEN) {
        size_t rest = len - head - sec;
        e->open = v + head + sec;
        e->open_len = rest;
        e->open_catalogue_version = store_get_be32(v + 16);
        e->open_last_day = store_get_be32(v + 20);
    }
    if (flags & ENTRY_AUTHORIZED) {
        size_t open_len = store_get_be32(v + 28);
        if (open_len > e->open_len || ((flags & ENTRY_SAME) && open_len != e->open_len))
            return STORE_ECORRUPT;
        e->authorized = flags & ENTRY_SAME ? e->open : (const unsigned char *)e->open + open_len;
        e->authorized_len = flags & ENTRY_SAME ? open_len : e->open_len - open_len;
        e->open_len = open_len;
        day_from_number(store_get_be32(v + 24), &e->date);
    }
    return 1;
}

int records_entry_open_fresh(const records_entry *e, uint32_t cv, const Credit__V1__Date *today)
{
    return e->open && e->open_catalogue_version == cv &&
           (e->open_last_day == 0 || day_number(today) <= e->open_last_day);
}

int records_entry_forms_fresh(const records_entry *e, uint32_t cv, const Credit__V1__Date *today)
{
    return e->authorized && records_entry_open_fresh(e, cv, today);
}

/* The page entry of `sr` into `e` (empty): its head, its section, its forms. Returns 0 or
 * STORE_ENOMEM / STORE_EINVAL. */
static int make_entry(const Credit__Store__V1__StoredRecord *sr, const ProtobufCBufferSimple *whole,
                      ProtobufCBufferSimple *e)
{
    const Credit__V1__RecordMeta *m = sr->record->meta;
    size_t sec = m->section ? strlen(m->section) : 0;
    unsigned char head[ENTRY_HEAD_FORMS] = {0};
    uint32_t cv = 0, last = 0;
    unsigned flags = 0;

    if (sec > 0xffff)
        return STORE_EINVAL;
    int due = forms_due(sr->record, &last);
    size_t head_len = due ? ENTRY_HEAD_FORMS : ENTRY_HEAD;
    /* The head's form fields are filled in once the forms are made, in place. */
    e->base.append(&e->base, head_len, head);
    if (sec)
        e->base.append(&e->base, sec, (const uint8_t *)m->section);
    if (e->len != head_len + sec)
        return STORE_ENOMEM;
    if (due) {
        const catalog_version *v = catalog_now(prepare_cat);
        form_shape open_shape, auth_shape;
        size_t at = e->len;
        if (tier_form(sr->record, TIER_OPEN, v, NULL, &open_shape, whole, e) != 0)
            return STORE_ENOMEM;
        size_t open_len = e->len - at;
        int same = open_len > UINT32_MAX
                       ? -1
                       : tier_form(sr->record, TIER_AUTHORIZED, v, &open_shape, &auth_shape,
                                   whole, e);
        if (same < 0)
            return STORE_ENOMEM;
        /* A record without a value of the authorized tier has one form for both tiers: told
         * by the clearing (nothing packed twice), else by the bytes (a value of the authorized
         * tier that is empty anyway). */
        if (!same && e->len - at - open_len == open_len &&
            memcmp(e->data + at, e->data + at + open_len, open_len) == 0) {
            e->len = at + open_len;
            same = 1;
        }
        if (same)
            flags |= ENTRY_SAME;
        Credit__V1__Date date;
        records_date_of(sr->record, &date);
        flags |= ENTRY_OPEN | ENTRY_AUTHORIZED;
        cv = v->msg->version;
        store_put_be32(e->data + 24, day_number(&date));
        store_put_be32(e->data + 28, (uint32_t)open_len);
    }
    unsigned char *h = e->data;
    h[0] = ENTRY_MAGIC;
    h[1] = (unsigned char)flags;
    h[2] = (unsigned char)(sec >> 8);
    h[3] = (unsigned char)sec;
    store_put_be32(h + 4, (uint32_t)m->catalogue);
    store_put_be32(h + 8, (uint32_t)m->category);
    store_put_be32(h + 12, m->version);
    store_put_be32(h + 16, cv);
    store_put_be32(h + 20, last);
    return 0;
}

/* The stored form of sr into `out`, from its record already packed into `whole`. A
 * StoredRecord's record is its field 1, declared first, and protobuf-c packs the fields in
 * their order of declaration: the packed form is the record's tag and length, its bytes, then
 * the other fields packed. The same bytes as packing sr (test_records checks it), without
 * packing the record a second time. Returns 0 or STORE_ENOMEM. */
static int stored_form(const Credit__Store__V1__StoredRecord *sr, const ProtobufCBufferSimple *whole,
                       ProtobufCBufferSimple *out)
{
    const ProtobufCFieldDescriptor *f = credit__store__v1__stored_record__descriptor.fields;
    if (f[0].id != 1 || f[0].type != PROTOBUF_C_TYPE_MESSAGE || f[0].label != PROTOBUF_C_LABEL_NONE)
        return pack_append(&sr->base, out); /* not the layout this relies on */
    uint8_t head[11];
    size_t n = 0;
    head[n++] = 1 << 3 | 2; /* field 1, length-delimited */
    for (uint64_t len = whole->len;; len >>= 7) {
        head[n++] = (uint8_t)(len & 0x7f) | (len >> 7 ? 0x80 : 0);
        if (!(len >> 7))
            break;
    }
    Credit__Store__V1__StoredRecord rest = *sr;
    rest.record = NULL;
    if (bytes_append(out, head, n) != 0 || bytes_append(out, whole->data, whole->len) != 0)
        return STORE_ENOMEM;
    return pack_append(&rest.base, out);
}

/* The HISTORY key of `version` of `record_id` (RECORD_ID_LEN characters) into key[+4]. */
static void history_key(const char *record_id, uint32_t version, char *key)
{
    memcpy(key, record_id, RECORD_ID_LEN);
    key[RECORD_ID_LEN] = (char)(version >> 24);
    key[RECORD_ID_LEN + 1] = (char)(version >> 16);
    key[RECORD_ID_LEN + 2] = (char)(version >> 8);
    key[RECORD_ID_LEN + 3] = (char)version;
}

int records_put_version(store_batch *b, const Credit__Store__V1__StoredRecord *sr,
                        const char *subject_key, size_t subject_key_len,
                        const Credit__Store__V1__StoredRecord *prev)
{
    const Credit__V1__RecordMeta *m = sr->record->meta;
    char hkey[RECORD_ID_LEN + 4], skey[512], subj[SUBJECT_KEY_MAX + RECORD_ID_LEN];
    char dkey[DIGEST_KEY_LEN];
    size_t sklen = source_key(m->source_unit, m->source_record_id, skey, sizeof skey);
    /* Every key and value is made before the first put: a version goes into the batch whole
     * or not at all. */
    if (sklen == 0 || subject_key_len > SUBJECT_KEY_MAX || strlen(m->record_id) != RECORD_ID_LEN)
        return STORE_EINVAL;
    if (prev && (!prev->record || !prev->record->meta ||
                 strcmp(prev->record->meta->record_id, m->record_id) != 0 ||
                 prev->record->meta->version >= m->version))
        return STORE_EINVAL;
    memcpy(subj, subject_key, subject_key_len);
    memcpy(subj + subject_key_len, m->record_id, RECORD_ID_LEN);
    /* The digest of the version superseded goes into the index now; the new one's is read
     * from the version itself while it is the latest. */
    int with_digest = prev && prev->content_digest.len == 32;
    if (with_digest)
        digest_key(m->record_id, prev->content_digest.data, dkey);

    /* Packed on the stack for a record of usual size (the heap past it), then copied into
     * the batch: no allocation. The record is packed once, for the stored form and for each
     * tier's form that clears nothing of it. */
    uint8_t s0[8192], s1[8192], s2[8192], s3[8192];
    ProtobufCBufferSimple whole = PROTOBUF_C_BUFFER_SIMPLE_INIT(s0);
    ProtobufCBufferSimple stored = PROTOBUF_C_BUFFER_SIMPLE_INIT(s1);
    ProtobufCBufferSimple before = PROTOBUF_C_BUFFER_SIMPLE_INIT(s2);
    ProtobufCBufferSimple entry = PROTOBUF_C_BUFFER_SIMPLE_INIT(s3);
    int rc = pack_append(&sr->record->base, &whole);
    if (rc == 0)
        rc = stored_form(sr, &whole, &stored);
    if (rc == 0 && prev)
        rc = pack_append(&prev->base, &before);
    if (rc == 0)
        rc = make_entry(sr, &whole, &entry);
    if (rc == 0) {
        store_batch_put(b, STORE_CF_RECORDS, m->record_id, RECORD_ID_LEN, stored.data,
                        stored.len);
        if (prev) {
            history_key(m->record_id, prev->record->meta->version, hkey);
            store_batch_put(b, STORE_CF_HISTORY, hkey, sizeof hkey, before.data, before.len);
        }
        store_batch_put(b, STORE_CF_SOURCES, skey, sklen, m->record_id, RECORD_ID_LEN);
        store_batch_put(b, STORE_CF_SUBJECTS, subj, subject_key_len + RECORD_ID_LEN, entry.data,
                        entry.len);
        if (with_digest)
            store_batch_put(b, STORE_CF_SOURCES, dkey, sizeof dkey, hkey + RECORD_ID_LEN, 4);
    }
    PROTOBUF_C_BUFFER_SIMPLE_CLEAR(&whole);
    PROTOBUF_C_BUFFER_SIMPLE_CLEAR(&stored);
    PROTOBUF_C_BUFFER_SIMPLE_CLEAR(&before);
    PROTOBUF_C_BUFFER_SIMPLE_CLEAR(&entry);
    return rc;
}

int records_unindex_subject(store_batch *b, const void *old_key, size_t old_len,
                            const char *record_id)
{
    char key[SUBJECT_KEY_MAX + RECORD_ID_LEN];

    if (old_len > SUBJECT_KEY_MAX || strlen(record_id) != RECORD_ID_LEN)
        return STORE_EINVAL;
    memcpy(key, old_key, old_len);
    memcpy(key + old_len, record_id, RECORD_ID_LEN);
    store_batch_delete(b, STORE_CF_SUBJECTS, key, old_len + RECORD_ID_LEN);
    return 0;
}

struct records_scan {
    pb_scan *s;
    char after[RECORD_ID_LEN + 1]; /* "" or the record the scan starts after */
};

int records_scan_open(store *st, const store_snapshot *snap, const char *after,
                      records_scan **out)
{
    records_scan *r = calloc(1, sizeof *r);
    size_t alen = after ? strnlen(after, RECORD_ID_LEN) : 0;
    int rc;

    if (!r)
        return STORE_ENOMEM;
    if (alen)
        memcpy(r->after, after, alen);
    rc = pb_scan_open(st, snap, STORE_CF_RECORDS, NULL, 0, r->after, alen,
                      &credit__store__v1__stored_record__descriptor, &r->s);
    if (rc != 0) {
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int records_scan_next(records_scan *s, Credit__Store__V1__StoredRecord **out, char *err)
{
    for (;;) {
        const void *key;
        size_t klen;
        Credit__Store__V1__StoredRecord *sr = NULL;
        int rc = pb_scan_next(s->s, (ProtobufCMessage **)&sr, &key, &klen, err);

        if (rc == STORE_ECORRUPT)
            continue;
        if (rc <= 0)
            return rc;
        if ((s->after[0] && klen == RECORD_ID_LEN && memcmp(key, s->after, klen) == 0) ||
            !sr->record || !sr->record->meta) {
            credit__store__v1__stored_record__free_unpacked(sr, NULL);
            continue;
        }
        *out = sr;
        return 1;
    }
}

void records_scan_close(records_scan *s)
{
    if (!s)
        return;
    pb_scan_close(s->s);
    free(s);
}

/* The associated data of a record's sealed values: its id and version. */
static size_t aad_of(const Credit__V1__RecordMeta *m, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%u", m->record_id, m->version);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Seals *field (if not empty) into *sealed and leaves "" in its place. */
static int seal_field(const privacy *pv, char **field, ProtobufCBinaryData *sealed,
                      const char *aad, size_t aad_len, char *err)
{
    if (!*field || !**field)
        return 0;
    unsigned char *out;
    size_t out_len;
    if (privacy_seal(pv, *field, strlen(*field), aad, aad_len, &out, &out_len, err) != 0)
        return -1;
    free(sealed->data);
    sealed->data = out;
    sealed->len = out_len;
    free(*field);
    *field = (char *)protobuf_c_empty_string;
    return 0;
}

static int unseal_field(const privacy *pv, char **field, ProtobufCBinaryData *sealed,
                        const char *aad, size_t aad_len, char *err)
{
    if (!sealed->len)
        return 0;
    unsigned char *plain;
    size_t plain_len;
    if (privacy_unseal(pv, sealed->data, sealed->len, aad, aad_len, &plain, &plain_len, err) !=
        0)
        return -1;
    if (*field != protobuf_c_empty_string)
        free(*field);
    *field = (char *)plain; /* NUL-terminated by privacy_unseal */
    return 0;
}

int records_seal(const privacy *pv, Credit__Store__V1__StoredRecord *sr, char *err)
{
    Credit__V1__Subject *s = sr->record->meta->subject;
    char aad[64];
    size_t aad_len = aad_of(sr->record->meta, aad, sizeof aad);
    if (!s)
        return 0;
    if (s->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON &&
        seal_field(pv, &s->identifier, &sr->sealed_subject_identifier, aad, aad_len, err) != 0)
        return -1;
    /* A 20-character tax number is a resident identity number and two digits. */
    if (s->tax_number && strlen(s->tax_number) == 20 &&
        seal_field(pv, &s->tax_number, &sr->sealed_tax_number, aad, aad_len, err) != 0)
        return -1;
    return seal_field(pv, &s->legal_representative_id_number,
                      &sr->sealed_legal_representative_id, aad, aad_len, err);
}

int records_unseal(const privacy *pv, Credit__Store__V1__StoredRecord *sr, char *err)
{
    Credit__V1__Subject *s = sr->record->meta->subject;
    char aad[64];
    size_t aad_len = aad_of(sr->record->meta, aad, sizeof aad);
    if (!s)
        return 0;
    if (unseal_field(pv, &s->identifier, &sr->sealed_subject_identifier, aad, aad_len, err) !=
            0 ||
        unseal_field(pv, &s->tax_number, &sr->sealed_tax_number, aad, aad_len, err) != 0)
        return -1;
    return unseal_field(pv, &s->legal_representative_id_number,
                        &sr->sealed_legal_representative_id, aad, aad_len, err);
}

int records_page_init(records_page *p, size_t want)
{
    memset(p, 0, sizeof *p);
    p->want = want;
    p->kept = calloc(want ? want : 1, sizeof *p->kept);
    p->recs = calloc(want ? want : 1, sizeof *p->recs);
    p->packed = calloc(want ? want : 1, sizeof *p->packed);
    p->ids = calloc(want ? want : 1, sizeof *p->ids);
    return p->kept && p->recs && p->packed && p->ids ? 0 : -1;
}

/* Whether a record of `size` encoded bytes no longer fits: then the page ends at the last
 * kept one (p->next) and the caller stops. */
static int page_full(records_page *p, size_t size)
{
    if (p->n < p->want && (p->n == 0 || p->bytes + size <= RECORDS_PAGE_BYTES_MAX))
        return 0;
    if (p->n)
        memcpy(p->next, p->ids[p->n - 1], RECORD_ID_LEN + 1);
    return 1;
}

/* Keeps the id of the page's next record (a copy: the caller's is a scan's buffer). Not
 * snprintf: a page of 50 records spent a tenth of its call formatting these. */
static void page_id_set(records_page *p, const char *record_id)
{
    size_t n = strnlen(record_id, sizeof p->ids[p->n] - 1);
    memcpy(p->ids[p->n], record_id, n);
    p->ids[p->n][n] = '\0';
}

int records_page_add(records_page *p, Credit__Store__V1__StoredRecord *sr)
{
    size_t size = protobuf_c_message_get_packed_size(&sr->record->base);
    if (page_full(p, size)) {
        credit__store__v1__stored_record__free_unpacked(sr, NULL);
        return 1;
    }
    page_id_set(p, sr->record->meta->record_id);
    p->kept[p->n] = sr;
    p->recs[p->n++] = sr->record;
    p->bytes += size;
    return 0;
}

int records_page_add_packed(records_page *p, const char *record_id, const void *bytes, size_t len)
{
    if (page_full(p, len))
        return 1;
    page_id_set(p, record_id);
    p->packed[p->n].data = (uint8_t *)bytes; /* only read: packed into the reply */
    p->packed[p->n++].len = len;
    p->n_packed++;
    p->bytes += len;
    return 0;
}

void records_page_response(records_page *p, Credit__V1__ListRecordsResponse *resp)
{
    resp->records = p->recs;
    resp->n_records = p->n;
    resp->next_page_token = p->next;
}

int records_page_wire(records_page *p, Credit__Store__V1__RecordsPageWire *w)
{
    size_t total = 0, at = 0;

    for (size_t i = 0; i < p->n; i++)
        if (p->kept[i])
            total += credit__v1__record__get_packed_size(p->recs[i]);
    free(p->wire_buf);
    if (!(p->wire_buf = malloc(total ? total : 1)))
        return -1;
    for (size_t i = 0; i < p->n; i++) {
        if (!p->kept[i])
            continue;
        p->packed[i].data = p->wire_buf + at;
        p->packed[i].len = credit__v1__record__pack(p->recs[i], p->wire_buf + at);
        at += p->packed[i].len;
    }
    w->records = p->packed;
    w->n_records = p->n;
    w->next_page_token = p->next;
    return 0;
}

void records_page_cleanup(records_page *p)
{
    for (size_t i = 0; p->kept && i < p->n; i++)
        if (p->kept[i])
            credit__store__v1__stored_record__free_unpacked(p->kept[i], NULL);
    free(p->kept);
    free(p->recs);
    free(p->packed);
    free(p->ids);
    free(p->wire_buf);
    memset(p, 0, sizeof *p);
}
