/*
 * registry.c — see registry.h.
 */
#include "registry.h"

#include "pb.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t unit_key(char *key, size_t cap, const char *prefix, const char *s)
{
    int n = snprintf(key, cap, "%s%s", prefix, s);
    return n < 0 ? 0 : ((size_t)n < cap ? (size_t)n : cap - 1);
}

int registry_kind_from_name(const char *name)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value_by_name(&credit__v1__unit_kind__descriptor, name);
    return v ? v->value : 0;
}

const char *registry_kind_name(int kind)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&credit__v1__unit_kind__descriptor, kind);
    return v ? v->name : "UNIT_KIND_UNSPECIFIED";
}

int registry_check_code(const char *code, char *why)
{
    size_t n = strlen(code);
    if (n == 0 || n > 63) {
        snprintf(why, 128, "must be 1 to 63 characters long");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = code[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
        if (!ok) {
            snprintf(why, 128, "character %zu is not one of a-z, 0-9 or an inner '-'", i + 1);
            return -1;
        }
    }
    return 0;
}

int registry_check_identity(const char *identity, char *why)
{
    size_t n = strlen(identity);
    if (n == 0 || n > REGISTRY_IDENTITY_MAX) {
        snprintf(why, 128, "must be 1 to %d characters long", REGISTRY_IDENTITY_MAX);
        return -1;
    }
    if (strncmp(identity, "urn:", 4) != 0 && strncmp(identity, "cn:", 3) != 0) {
        snprintf(why, 128, "must start with \"urn:\" (a SAN URI) or \"cn:\" (a common name)");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)identity[i] < 0x20 || identity[i] == 0x7f) {
            snprintf(why, 128, "holds a control character at %zu", i + 1);
            return -1;
        }
    }
    return 0;
}

static int get_unit_key(store *st, const char *key, size_t klen, Credit__V1__Unit **out,
                        char *err)
{
    char what[160];

    snprintf(what, sizeof what, "stored unit %.*s", (int)klen, key);
    return pb_store_get(st, NULL, STORE_CF_UNITS, key, klen, &credit__v1__unit__descriptor, what,
                        (ProtobufCMessage **)out, err);
}

int registry_get(store *st, const char *code, Credit__V1__Unit **out, char *err)
{
    char key[128];
    size_t klen = unit_key(key, sizeof key, "u/", code);
    return get_unit_key(st, key, klen, out, err);
}

int registry_binding(store *st, const char *identity, char **code, char *err)
{
    char key[300];
    size_t klen = unit_key(key, sizeof key, "i/", identity);
    void *val;
    size_t vlen;
    int rc = store_get(st, NULL, STORE_CF_UNITS, key, klen, &val, &vlen, err);
    if (rc != 0)
        return rc;
    char *s = malloc(vlen + 1);
    if (!s) {
        free(val);
        return STORE_ENOMEM;
    }
    memcpy(s, val, vlen);
    s[vlen] = '\0';
    free(val);
    *code = s;
    return 0;
}

int registry_resolve(store *st, const char *identity, Credit__V1__Unit **out, char *err)
{
    char *code = NULL;
    int rc = registry_binding(st, identity, &code, err);
    if (rc == 0) {
        rc = registry_get(st, code, out, err);
        free(code);
        return rc;
    }
    if (rc != STORE_ENOTFOUND)
        return rc;
    size_t plen = strlen(REGISTRY_UNIT_URI);
    if (strncmp(identity, REGISTRY_UNIT_URI, plen) != 0)
        return STORE_ENOTFOUND;
    return registry_get(st, identity + plen, out, err);
}

int registry_scan_open(store *st, const char *from, registry_scan **out)
{
    char start[128];
    size_t slen = unit_key(start, sizeof start, "u/", from);

    return pb_scan_open(st, NULL, STORE_CF_UNITS, "u/", 2, start, slen,
                        &credit__v1__unit__descriptor, out);
}

int registry_scan_next(registry_scan *s, Credit__V1__Unit **out, char *err)
{
    const void *key = NULL;
    size_t klen = 0;
    int rc = pb_scan_next(s, (ProtobufCMessage **)out, &key, &klen, err);

    if (rc == STORE_ECORRUPT && err)
        snprintf(err, STORE_ERR_LEN, "stored unit %.*s cannot be decoded", (int)klen,
                 (const char *)key);
    return rc;
}

void registry_scan_close(registry_scan *s)
{
    pb_scan_close(s);
}

int registry_put(store_batch *b, const Credit__V1__Unit *u)
{
    char key[128];
    size_t klen = unit_key(key, sizeof key, "u/", u->code);
    return pb_batch_put(b, STORE_CF_UNITS, key, klen, &u->base);
}

void registry_put_binding(store_batch *b, const char *identity, const char *code)
{
    char key[300];
    size_t klen = unit_key(key, sizeof key, "i/", identity);
    store_batch_put(b, STORE_CF_UNITS, key, klen, code, strlen(code));
}

/* Splits one tab-separated line into at most n fields, in place. */
static size_t split_tabs(char *line, char **f, size_t n)
{
    size_t k = 0;
    char *p = line;
    while (k < n) {
        f[k++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return k;
}

int registry_seed(store *st, const char *tsv, size_t len, char *err)
{
    store_iter *it = store_iter_create(st, NULL, STORE_CF_UNITS, "u/", 2, NULL, 0);
    if (!it) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        return STORE_ENOMEM;
    }
    int empty = !store_iter_valid(it);
    store_iter_destroy(it);
    if (!empty)
        return 0;

    char *text = malloc(len + 1);
    store_batch *b = store_batch_create();
    int rc = STORE_ENOMEM, count = 0, lineno = 0;
    char **seen = NULL;
    if (!text || !b) {
        snprintf(err, STORE_ERR_LEN, "out of memory");
        goto out;
    }
    memcpy(text, tsv, len);
    text[len] = '\0';
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    ts.seconds = now.tv_sec;
    char *next = text;
    while (next && *next) {
        char *line = next;
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *f[5] = {NULL};
        char why[128];
        size_t nf = split_tabs(line, f, 4);
        if (nf < 4 || registry_check_code(f[0], why) != 0 || !registry_kind_from_name(f[1])) {
            snprintf(err, STORE_ERR_LEN, "bad demo unit line %d: \"%.100s\"", lineno, f[0]);
            rc = STORE_EINVAL;
            goto out;
        }
        /* A code twice would be one unit stored and two counted: refuse the file. The
         * codes seen so far stay in `text`, pointed to by seen[]. */
        for (int i = 0; i < count; i++) {
            if (strcmp(seen[i], f[0]) == 0) {
                snprintf(err, STORE_ERR_LEN, "demo unit line %d repeats code \"%.100s\"",
                         lineno, f[0]);
                rc = STORE_EINVAL;
                goto out;
            }
        }
        char **grown = realloc(seen, (size_t)(count + 1) * sizeof *seen);
        if (!grown) {
            snprintf(err, STORE_ERR_LEN, "out of memory");
            rc = STORE_ENOMEM;
            goto out;
        }
        seen = grown;
        seen[count] = f[0];
        Credit__V1__Unit u = CREDIT__V1__UNIT__INIT;
        u.code = f[0];
        u.kind = registry_kind_from_name(f[1]);
        u.uscc = strcmp(f[2], "-") == 0 ? "" : f[2];
        u.name = f[3];
        u.status = CREDIT__V1__UNIT_STATUS__UNIT_STATUS_ACTIVE;
        u.registered_at = &ts;
        u.updated_at = &ts;
        u.updated_by = "seed";
        if (registry_put(b, &u) != 0) {
            snprintf(err, STORE_ERR_LEN, "out of memory");
            rc = STORE_ENOMEM;
            goto out;
        }
        count++;
    }
    rc = store_write(st, b, err);
out:
    free(seen);
    store_batch_destroy(b);
    free(text);
    return rc == 0 ? count : rc;
}
