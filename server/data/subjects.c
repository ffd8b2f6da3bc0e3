/*
 * subjects.c — see subjects.h. Reads go to the store (and, while a batch is being built, to
 * the bindings it has staged); writes only ever go into the caller's batch.
 */
#include "subjects.h"
#include "status.h"

#include "identity.h"
#include "validate.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct subjects_binding {
    subjects_alias a;
    char uscc[SUBJECTS_USCC_LEN + 1];
};

static const char hexdigits[] = "0123456789abcdef";

void subjects_pending_init(subjects_pending *p)
{
    memset(p, 0, sizeof *p);
}

void subjects_pending_cleanup(subjects_pending *p)
{
    free(p->v);
    free(p->slots);
    memset(p, 0, sizeof *p);
}

#define fail record_check_fail

/* The hex of the privacy index of `value` into out[2 * PRIVACY_INDEX_LEN + 1]. */
static int index_hex(const privacy *pv, const char *value, char *out)
{
    unsigned char idx[PRIVACY_INDEX_LEN];
    if (privacy_index(pv, value, strlen(value), idx) != 0)
        return -1;
    for (size_t i = 0; i < sizeof idx; i++) {
        out[2 * i] = hexdigits[idx[i] >> 4];
        out[2 * i + 1] = hexdigits[idx[i] & 15];
    }
    out[2 * PRIVACY_INDEX_LEN] = '\0';
    return 0;
}

/* The alias of a code of `type`: the code itself, or for a 20-character tax number (which
 * holds a resident identity number) its privacy index. Returns 0 or -1 (too long, no key). */
static int alias_of(const privacy *pv, char type, const char *code, subjects_alias *a)
{
    size_t n = strlen(code);
    a->type = type;
    if (type == 't' && n == IDENTITY_TAX_PERSON)
        return index_hex(pv, code, a->code);
    if (n == 0 || n > SUBJECTS_CODE_MAX)
        return -1;
    memcpy(a->code, code, n + 1);
    return 0;
}

/* 'B' type code into out (at least SUBJECTS_CODE_MAX + 2 bytes); returns the length. */
static size_t binding_key(const subjects_alias *a, char *out)
{
    size_t n = strlen(a->code);
    out[0] = 'B';
    out[1] = a->type;
    memcpy(out + 2, a->code, n);
    return n + 2;
}

/* The record index prefix of an alias: 'A' type code 0x00. */
static size_t alias_key(const subjects_alias *a, char *out)
{
    size_t n = strlen(a->code);
    out[0] = 'A';
    out[1] = a->type;
    memcpy(out + 2, a->code, n);
    out[n + 2] = '\0';
    return n + 3;
}

static size_t uscc_key(const char *uscc, char *out)
{
    out[0] = 'U';
    memcpy(out + 1, uscc, SUBJECTS_USCC_LEN);
    out[SUBJECTS_USCC_LEN + 1] = '\0';
    return SUBJECTS_USCC_LEN + 2;
}

/* The slot of pend's index where code `a` is, or the empty one where it would go. pend has
 * slots (cap > 0). */
static size_t pending_slot(const subjects_pending *pend, const subjects_alias *a)
{
    uint64_t h = 1469598103934665603ull;
    h = (h ^ (unsigned char)a->type) * 1099511628211ull;
    for (const char *c = a->code; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    size_t mask = 2 * pend->cap - 1;
    size_t i = (size_t)h & mask;
    for (uint32_t s; (s = pend->slots[i]) != 0; i = (i + 1) & mask) {
        const subjects_alias *b = &pend->v[s - 1].a;
        if (b->type == a->type && strcmp(b->code, a->code) == 0)
            break;
    }
    return i;
}

/* The USCC `a` is bound to, into uscc: 1 if bound, 0 if not, or a STORE_E* code. The
 * batch's own bindings come first: they are the newest. */
static int bound_to(store *st, const store_snapshot *snap, const subjects_pending *pend,
                    const subjects_alias *a, char uscc[SUBJECTS_USCC_LEN + 1])
{
    if (pend && pend->n) {
        uint32_t s = pend->slots[pending_slot(pend, a)];
        if (s) {
            memcpy(uscc, pend->v[s - 1].uscc, SUBJECTS_USCC_LEN + 1);
            return 1;
        }
    }
    char key[SUBJECTS_CODE_MAX + 2];
    store_value *pin;
    const void *val;
    size_t len;
    /* Read in place: a push reads a binding for most records, and 18 bytes need no copy. */
    int rc = store_get_pinned(st, snap, STORE_CF_SUBJECTS, key, binding_key(a, key), &pin, &val,
                              &len, NULL);
    if (rc == STORE_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (len != SUBJECTS_USCC_LEN) {
        store_value_release(pin);
        return STORE_ECORRUPT; /* a binding is always a USCC */
    }
    memcpy(uscc, val, SUBJECTS_USCC_LEN);
    uscc[SUBJECTS_USCC_LEN] = '\0';
    store_value_release(pin);
    return 1;
}

static const char *kind_name(int kind)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&credit__v1__subject_kind__descriptor, kind);
    return v ? v->name : "an unknown kind";
}

/* The stated older codes of a subject that can be bound: field names and aliases. */
typedef struct stated {
    const char *field;
    subjects_alias a;
} stated;

static size_t stated_codes(const privacy *pv, const Credit__V1__Subject *s, stated out[3])
{
    size_t n = 0;
    if (s->registration_number && *s->registration_number &&
        alias_of(pv, 'r', s->registration_number, &out[n].a) == 0)
        out[n++].field = "subject.registration_number";
    if (s->organisation_code && *s->organisation_code &&
        alias_of(pv, 'o', s->organisation_code, &out[n].a) == 0)
        out[n++].field = "subject.organisation_code";
    /* An 18-character tax number is the USCC itself: nothing to bind. */
    if (s->tax_number && *s->tax_number && strlen(s->tax_number) != IDENTITY_TAX_USCC &&
        alias_of(pv, 't', s->tax_number, &out[n].a) == 0)
        out[n++].field = "subject.tax_number";
    return n;
}

int subjects_resolve(store *st, const subjects_pending *pend, const privacy *pv,
                     const Credit__V1__Subject *s, subjects_resolution *out, check_failure *f)
{
    subjects_resolution r;
    stated codes[4];
    char other[SUBJECTS_USCC_LEN + 1];
    int rc;

    memset(&r, 0, sizeof r);
    if (s->kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON) {
        r.key[0] = 'P';
        if (index_hex(pv, s->identifier, r.key + 1) != 0)
            return fail(f, RPC_INTERNAL, REASON_OTHER, "subject.identifier", "cannot be indexed");
        r.key_len = 2 * PRIVACY_INDEX_LEN + 2; /* with its 0x00 */
        *out = r;
        return 0;
    }
    size_t n = stated_codes(pv, s, codes);
    if (strlen(s->identifier) == SUBJECTS_USCC_LEN) {
        /* A USCC: the record binds its older codes and the organisation code inside it. */
        memcpy(r.uscc, s->identifier, SUBJECTS_USCC_LEN + 1);
        if (!s->organisation_code || !*s->organisation_code) {
            codes[n].field = "subject.identifier";
            codes[n].a.type = 'o';
            memcpy(codes[n].a.code, r.uscc + 8, IDENTITY_ORG_LEN);
            codes[n].a.code[IDENTITY_ORG_LEN] = '\0';
            n++;
        }
        for (size_t i = 0; i < n; i++) {
            if ((rc = bound_to(st, NULL, pend, &codes[i].a, other)) < 0)
                return fail(f, status_from_store(rc), REASON_OTHER, "",
                            "the store cannot be read now; push again");
            if (rc == 1 && strcmp(other, r.uscc) != 0)
                return fail(f, RPC_FAILED_PRECONDITION, REASON_CONTRADICTS, codes[i].field,
                            "%s is already bound to unified social credit code %s; this record "
                            "names %s",
                            codes[i].a.type == 'r'   ? "the registration number"
                            : codes[i].a.type == 'o' ? "the organisation code"
                                                     : "the tax number",
                            other, r.uscc);
            if (rc == 0 && r.n_bind < 3) {
                /* Two fields may state one code (a 15-character tax number never equals an
                 * organisation code, but be exact): bind each once. */
                size_t j;
                for (j = 0; j < r.n_bind; j++)
                    if (r.bind[j].type == codes[i].a.type &&
                        strcmp(r.bind[j].code, codes[i].a.code) == 0)
                        break;
                if (j == r.n_bind)
                    r.bind[r.n_bind++] = codes[i].a;
            }
        }
        r.key_len = uscc_key(r.uscc, r.key);
        *out = r;
        return 0;
    }

    /* An older code: the subject is the USCC its codes are bound to, if any is. */
    const char *by = NULL;
    for (size_t i = 0; i < n; i++) {
        if ((rc = bound_to(st, NULL, pend, &codes[i].a, other)) < 0)
            return fail(f, status_from_store(rc), REASON_OTHER, "",
                        "the store cannot be read now; push again");
        if (rc == 0)
            continue;
        if (r.uscc[0] && strcmp(r.uscc, other) != 0)
            return fail(f, RPC_FAILED_PRECONDITION, REASON_CONTRADICTS, codes[i].field,
                        "is bound to unified social credit code %s, but %s is bound to %s: the "
                        "codes name two subjects",
                        other, by, r.uscc);
        memcpy(r.uscc, other, sizeof other);
        by = codes[i].field;
    }
    if (r.uscc[0]) {
        int want = identity_kind_of_uscc(r.uscc);
        if ((int)s->kind != want)
            return fail(f, RPC_INVALID_ARGUMENT, REASON_CONTRADICTS, "subject.kind",
                        "%s is bound to unified social credit code %s, of type %c%c (%s), which "
                        "is a %s, not a %s",
                        by, r.uscc, r.uscc[0], r.uscc[1], identity_uscc_type_name(r.uscc),
                        kind_name(want), kind_name(s->kind));
        r.key_len = uscc_key(r.uscc, r.key);
        *out = r;
        return 0;
    }
    /* Unbound: filed under the code the identifier is (record_check made sure it is one). */
    static const struct {
        char type;
        size_t offset;
    } fields[] = {
        {'r', offsetof(Credit__V1__Subject, registration_number)},
        {'o', offsetof(Credit__V1__Subject, organisation_code)},
        {'t', offsetof(Credit__V1__Subject, tax_number)},
        {'i', offsetof(Credit__V1__Subject, institution_certificate)},
        {'s', offsetof(Credit__V1__Subject, social_organisation_certificate)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = *(char *const *)((const char *)s + fields[i].offset);
        subjects_alias a;
        if (!v || strcmp(v, s->identifier) != 0)
            continue;
        if (alias_of(pv, fields[i].type, v, &a) != 0)
            break;
        r.key_len = alias_key(&a, r.key);
        *out = r;
        return 0;
    }
    return fail(f, RPC_INTERNAL, REASON_OTHER, "subject.identifier", "cannot be indexed");
}

int subjects_reserve(subjects_pending *pend, size_t more)
{
    if (pend->n + more > pend->cap) {
        size_t cap = pend->cap ? pend->cap * 2 : 16;
        while (cap < pend->n + more)
            cap *= 2;
        if (cap > UINT32_MAX / 2)
            return -1;
        uint32_t *slots = calloc(2 * cap, sizeof *slots);
        struct subjects_binding *v = slots ? realloc(pend->v, cap * sizeof *v) : NULL;
        if (!v) {
            free(slots);
            return -1;
        }
        free(pend->slots);
        pend->v = v;
        pend->cap = cap;
        pend->slots = slots;
        for (size_t i = 0; i < pend->n; i++) /* the index again, at its new size */
            pend->slots[pending_slot(pend, &pend->v[i].a)] = (uint32_t)i + 1;
    }
    return 0;
}

int subjects_bind(store_batch *b, subjects_pending *pend, const subjects_resolution *r)
{
    if (subjects_reserve(pend, r->n_bind) != 0)
        return -1;
    for (size_t i = 0; i < r->n_bind; i++) {
        char key[SUBJECTS_CODE_MAX + 2], rev[SUBJECTS_USCC_LEN + SUBJECTS_CODE_MAX + 2];
        size_t klen = binding_key(&r->bind[i], key);
        store_batch_put(b, STORE_CF_SUBJECTS, key, klen, r->uscc, SUBJECTS_USCC_LEN);
        rev[0] = 'R';
        memcpy(rev + 1, r->uscc, SUBJECTS_USCC_LEN);
        memcpy(rev + 1 + SUBJECTS_USCC_LEN, key + 1, klen - 1);
        store_batch_put(b, STORE_CF_SUBJECTS, rev, SUBJECTS_USCC_LEN + klen, "", 0);
        pend->v[pend->n].a = r->bind[i];
        memcpy(pend->v[pend->n].uscc, r->uscc, SUBJECTS_USCC_LEN + 1);
        size_t at = pending_slot(pend, &r->bind[i]);
        if (!pend->slots[at]) /* the first binding of a code is the one it is found by */
            pend->slots[at] = (uint32_t)pend->n + 1;
        pend->n++;
    }
    return 0;
}

int subjects_same(store *st, const subjects_pending *pend, const void *key, size_t len,
                  const subjects_resolution *r)
{
    const char *k = key;
    if (len == r->key_len && memcmp(key, r->key, len) == 0)
        return 1;
    /* Only a record filed under an older code can have moved: to the USCC bound to it. */
    if (!r->uscc[0] || len < 4 || len > SUBJECTS_CODE_MAX + 3 || k[0] != 'A' || k[len - 1])
        return 0;
    subjects_alias a;
    char uscc[SUBJECTS_USCC_LEN + 1];
    a.type = k[1];
    memcpy(a.code, k + 2, len - 3);
    a.code[len - 3] = '\0';
    for (size_t i = 0; i < r->n_bind; i++)
        if (r->bind[i].type == a.type && strcmp(r->bind[i].code, a.code) == 0)
            return 1;
    int rc = bound_to(st, NULL, pend, &a, uscc);
    if (rc < 0)
        return rc;
    return rc == 1 && strcmp(uscc, r->uscc) == 0;
}

/* --- Queries ------------------------------------------------------------------------------ */

static int keys_add(subjects_keys *k, const char *key, size_t len)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->len[i] == len && memcmp(k->key[i], key, len) == 0)
            return 0;
    if (len > SUBJECT_KEY_MAX)
        return -1;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        char(*nk)[SUBJECT_KEY_MAX] = realloc(k->key, cap * sizeof *nk);
        if (!nk)
            return -1;
        k->key = nk;
        size_t *nl = realloc(k->len, cap * sizeof *nl);
        if (!nl)
            return -1;
        k->len = nl;
        k->cap = cap;
    }
    memcpy(k->key[k->n], key, len);
    k->len[k->n++] = len;
    return 0;
}

void subjects_keys_cleanup(subjects_keys *k)
{
    free(k->key);
    free(k->len);
    memset(k, 0, sizeof *k);
}

/* Adds the USCC's own key and the 'A' keys of every code bound to it. Returns 0, -1 (out of
 * memory) or -2 (the store). */
static int add_subject(store *st, const store_snapshot *snap, const char *uscc, subjects_keys *out)
{
    char key[SUBJECT_KEY_MAX], prefix[SUBJECTS_USCC_LEN + 1];
    if (keys_add(out, key, uscc_key(uscc, key)) != 0)
        return -1;
    prefix[0] = 'R';
    memcpy(prefix + 1, uscc, SUBJECTS_USCC_LEN);
    store_iter *it = store_iter_create(st, snap, STORE_CF_SUBJECTS, prefix, sizeof prefix, NULL, 0);
    int rc = 0;
    for (; store_iter_valid(it); store_iter_next(it)) {
        size_t klen;
        const char *k = store_iter_key(it, &klen);
        subjects_alias a;
        size_t clen = klen - sizeof prefix - 1;
        if (klen < sizeof prefix + 2 || clen > SUBJECTS_CODE_MAX)
            continue;
        a.type = k[sizeof prefix];
        memcpy(a.code, k + sizeof prefix + 1, clen);
        a.code[clen] = '\0';
        if (keys_add(out, key, alias_key(&a, key)) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && store_iter_error(it, NULL) != 0)
        rc = -2;
    store_iter_destroy(it);
    return rc;
}

int subjects_keys_of(store *st, const store_snapshot *snap, const privacy *pv, int kind,
                     const char *identifier, subjects_keys *out, const char **field, char *why)
{
    char id[SUBJECTS_CODE_MAX + 1], v[128], key[SUBJECT_KEY_MAX];
    size_t n = strlen(identifier);
    *field = "subject.identifier";
    memset(out, 0, sizeof *out);
    if (n > SUBJECTS_CODE_MAX) {
        snprintf(why, 200, "is too long to name a subject");
        return RPC_INVALID_ARGUMENT;
    }
    if (kind == CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_NATURAL_PERSON) {
        key[0] = 'P';
        if (index_hex(pv, identifier, key + 1) != 0 ||
            keys_add(out, key, 2 * PRIVACY_INDEX_LEN + 2) != 0) {
            snprintf(why, 200, "cannot be indexed");
            return RPC_RESOURCE_EXHAUSTED;
        }
        return 0;
    }
    /* The asked code in the spelling the records were stored in. */
    memcpy(id, identifier, n + 1);
    identity_normalise_organisation_code(id);
    n = strlen(id);
    if (n == SUBJECTS_USCC_LEN) {
        if (validate_uscc(id, v) != 0) {
            snprintf(why, 200, "is not a valid unified social credit code: %s", v);
            return RPC_INVALID_ARGUMENT;
        }
        int want = identity_kind_of_uscc(id);
        if (kind != want) {
            *field = "subject.kind";
            snprintf(why, 200,
                     "the unified social credit code is of type %c%c (%s), which is a %s, not a "
                     "%s",
                     id[0], id[1], identity_uscc_type_name(id), kind_name(want), kind_name(kind));
            return RPC_INVALID_ARGUMENT;
        }
        int rc = add_subject(st, snap, id, out);
        if (rc != 0) {
            snprintf(why, 200, rc == -1 ? "out of memory" : "the store cannot be read now");
            return rc == -1 ? RPC_RESOURCE_EXHAUSTED : RPC_UNAVAILABLE;
        }
        return 0;
    }
    /* An older code: which types it may be, by its form. A 15-digit code may be a
     * registration number or a tax number of an all-digit organisation code. */
    char types[3];
    size_t nt = 0;
    if (identity_check_registration_number(id, v) == 0)
        types[nt++] = 'r';
    if (identity_check_organisation_code(id, v) == 0)
        types[nt++] = 'o';
    if (identity_check_tax_number(id, v) > 0)
        types[nt++] = 't';
    if (nt == 0) {
        /* Anything else can only be a certificate number, as it was given. */
        memcpy(id, identifier, strlen(identifier) + 1);
        types[nt++] = 'i';
        types[nt++] = 's';
    }
    for (size_t i = 0; i < nt; i++) {
        subjects_alias a;
        char uscc[SUBJECTS_USCC_LEN + 1];
        if (alias_of(pv, types[i], id, &a) != 0)
            continue;
        int rc = types[i] == 'i' || types[i] == 's' ? 0 : bound_to(st, snap, NULL, &a, uscc);
        if (rc < 0) {
            snprintf(why, 200, "the store cannot be read now");
            return status_from_store(rc);
        }
        if (rc == 1 && kind != identity_kind_of_uscc(uscc)) {
            int want = identity_kind_of_uscc(uscc);
            *field = "subject.kind";
            snprintf(why, 200,
                     "the code is bound to unified social credit code %s, of type %c%c (%s), "
                     "which is a %s, not a %s",
                     uscc, uscc[0], uscc[1], identity_uscc_type_name(uscc), kind_name(want),
                     kind_name(kind));
            return RPC_INVALID_ARGUMENT;
        }
        rc = rc == 1 ? add_subject(st, snap, uscc, out) : keys_add(out, key, alias_key(&a, key));
        if (rc != 0) {
            snprintf(why, 200, rc == -1 ? "out of memory" : "the store cannot be read now");
            return rc == -1 ? RPC_RESOURCE_EXHAUSTED : RPC_UNAVAILABLE;
        }
    }
    return 0;
}

/* --- The records of a subject ------------------------------------------------------------- */

struct subjects_scan {
    const subjects_keys *keys;
    store_iter **its; /* one per key, each at its next entry */
    char after[RECORD_ID_LEN + 1];
};

void subjects_scan_close(subjects_scan *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->its && i < s->keys->n; i++)
        store_iter_destroy(s->its[i]);
    free(s->its);
    free(s);
}

int subjects_scan_open(store *st, const store_snapshot *snap, const subjects_keys *keys,
                       const char *after, subjects_scan **out)
{
    subjects_scan *s = calloc(1, sizeof *s);
    size_t alen = after ? strnlen(after, RECORD_ID_LEN) : 0;

    if (!s)
        return STORE_ENOMEM;
    s->keys = keys;
    if (alen)
        memcpy(s->after, after, alen);
    if (!(s->its = calloc(keys->n ? keys->n : 1, sizeof *s->its))) {
        free(s);
        return STORE_ENOMEM;
    }
    for (size_t i = 0; i < keys->n; i++) {
        char start[SUBJECT_KEY_MAX + RECORD_ID_LEN];
        size_t slen = keys->len[i];

        memcpy(start, keys->key[i], slen);
        if (alen)
            memcpy(start + slen, s->after, alen);
        slen += alen;
        /* Pinned: the entries a page keeps are sent from the iterators' own slices. */
        if (!(s->its[i] = store_iter_create_ex(st, snap, STORE_CF_SUBJECTS, keys->key[i],
                                               keys->len[i], start, slen, STORE_ITER_PINNED))) {
            subjects_scan_close(s);
            return STORE_ENOMEM;
        }
    }
    *out = s;
    return 0;
}

/* The record id of the iterator's current entry under a key of plen bytes, skipping entries
 * of another shape; NULL at the end. Valid until the iterator moves. */
static const char *key_rid(store_iter *it, size_t plen)
{
    for (; store_iter_valid(it); store_iter_next(it)) {
        size_t klen;
        const char *key = store_iter_key(it, &klen);

        if (klen == plen + RECORD_ID_LEN)
            return key + plen;
    }
    return NULL;
}

/* The record version a page entry names (0 for the older, empty form or a damaged one). */
static uint32_t entry_version(store_iter *it)
{
    size_t len;
    const void *val = store_iter_value(it, &len);
    records_entry e;

    return records_entry_read(val, len, &e) == 1 ? e.version : 0;
}

int subjects_scan_next_entry(subjects_scan *s, char rid[RECORD_ID_LEN + 1], const void **val,
                             size_t *vlen, char *err)
{
    const subjects_keys *k = s->keys;

    for (;;) {
        rid[0] = '\0';
        for (size_t i = 0; i < k->n; i++) {
            const char *at = key_rid(s->its[i], k->len[i]);

            if (at && (!rid[0] || memcmp(at, rid, RECORD_ID_LEN) < 0)) {
                memcpy(rid, at, RECORD_ID_LEN);
                rid[RECORD_ID_LEN] = '\0';
            }
        }
        if (!rid[0])
            break;
        /* A record is given once, though an index entry may be left under an older key: the
         * entry of its newest version. */
        const void *best = NULL;
        size_t best_len = 0;
        uint32_t best_version = 0;
        for (size_t i = 0; i < k->n; i++) {
            const char *at = key_rid(s->its[i], k->len[i]);

            if (!at || memcmp(at, rid, RECORD_ID_LEN) != 0)
                continue;
            uint32_t v = entry_version(s->its[i]);
            if (!best || v > best_version) {
                best = store_iter_value(s->its[i], &best_len);
                best_version = v;
            }
            store_iter_next(s->its[i]);
        }
        if (!s->after[0] || strcmp(rid, s->after) > 0) {
            if (val) {
                *val = best;
                *vlen = best_len;
            }
            return 1;
        }
    }
    for (size_t i = 0; i < k->n; i++) {
        if (store_iter_error(s->its[i], err) != 0)
            return STORE_EIO;
    }
    return 0;
}

int subjects_scan_next(subjects_scan *s, char rid[RECORD_ID_LEN + 1], char *err)
{
    return subjects_scan_next_entry(s, rid, NULL, NULL, err);
}
