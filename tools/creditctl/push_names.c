/*
 * push_names.c — the names a clerk's CSV may use, for creditctl push: column names and enum
 * labels from the catalogue in force, and the clerk's own column names from --map.
 *
 * A department's export names its columns as people do: 处罚决定日期, not
 * penalty.decision_date. The catalogue in force (GetVersion 0, read once at the start of an
 * import) names every dimension ("处罚决定日期 decision date") and says which field holds it,
 * so a header may be a dimension's full name or its first word (the Chinese name). It also
 * carries the labels of enum values (Dimension.labels: 一般 for GENERAL), and the public
 * catalogue's sections name the categories (行政处罚 for CATEGORY_PENALTY). Nothing of this
 * is written here: a new dimension or label in the catalogue is read by the next import.
 *
 * --map FILE is a CSV of two columns, the clerk's column name and the field path (or a
 * dimension's name); a first row "column,field" is a header. Its names come before the
 * catalogue's. A name that leads to two fields is refused, naming both.
 */
#include "creditctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csv_in.h"

struct name {
    char *name;
    char **paths; /* the fields of that name: more than one, the name is ambiguous */
    size_t n_paths;
    int from_map;
};

struct label {
    char *path;  /* the field's path: "penalty.severity" */
    char *value; /* the value's name as the catalogue writes it: "GENERAL" */
    char *label; /* "一般" */
};

struct push_names {
    struct name *names;
    size_t n_names, cap_names;
    struct label *labels;
    size_t n_labels, cap_labels;
    int has_map;
};

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *t = realloc(*v, c * size);
    if (!t)
        return -1;
    *v = t;
    *cap = c;
    return 0;
}

/* Adds name → path; a name given for several fields keeps them all (the header's other
 * columns may tell which is meant), unless it came from the map (the clerk's word wins). */
static int add_name(struct push_names *ns, const char *name, size_t len, const char *path,
                    int from_map)
{
    struct name *n = NULL;
    if (len == 0)
        return 0;
    for (size_t i = 0; i < ns->n_names && !n; i++)
        if (strlen(ns->names[i].name) == len && memcmp(ns->names[i].name, name, len) == 0)
            n = &ns->names[i];
    if (n && n->from_map)
        return 0;
    for (size_t i = 0; n && i < n->n_paths; i++)
        if (strcmp(n->paths[i], path) == 0)
            return 0;
    if (!n) {
        if (grow((void **)&ns->names, &ns->cap_names, ns->n_names, sizeof *ns->names) != 0)
            return -1;
        n = &ns->names[ns->n_names];
        memset(n, 0, sizeof *n);
        if (!(n->name = strndup(name, len)))
            return -1;
        n->from_map = from_map;
        ns->n_names++;
    }
    char **paths = realloc(n->paths, (n->n_paths + 1) * sizeof *paths);
    if (!paths)
        return -1;
    n->paths = paths;
    if (!(paths[n->n_paths] = strdup(path)))
        return -1;
    n->n_paths++;
    return 0;
}

/* The first word of a catalogue name ("处罚决定日期" of "处罚决定日期 decision date"). */
static size_t first_word(const char *s)
{
    return strcspn(s, " ");
}

static int add_label(struct push_names *ns, const char *path, const char *value, const char *label,
                     size_t label_len)
{
    if (label_len == 0)
        return 0;
    if (grow((void **)&ns->labels, &ns->cap_labels, ns->n_labels, sizeof *ns->labels) != 0)
        return -1;
    struct label *l = &ns->labels[ns->n_labels];
    l->path = strdup(path);
    l->value = strdup(value);
    l->label = strndup(label, label_len);
    if (!l->path || !l->value || !l->label) {
        free(l->path);
        free(l->value);
        free(l->label);
        return -1;
    }
    ns->n_labels++;
    return 0;
}

/* A dimension's names and labels. */
static int add_dimension(struct push_names *ns, const Credit__V1__Dimension *d)
{
    char path[300];
    if (*d->field)
        snprintf(path, sizeof path, "%s", d->field);
    else
        snprintf(path, sizeof path, "extra.%s", d->code);
    if (add_name(ns, d->name, strlen(d->name), path, 0) != 0 ||
        add_name(ns, d->name, first_word(d->name), path, 0) != 0)
        return -1;
    for (size_t i = 0; i < d->n_labels; i++)
        if (add_label(ns, path, d->labels[i]->value, d->labels[i]->label,
                      strlen(d->labels[i]->label)) != 0)
            return -1;
    return 0;
}

/* Reads --map: "column,field" rows. Returns 0 or an exit status (said why). */
static int read_map(struct push_names *ns, const char *path)
{
    FILE *f = fopen(path, "r");
    csv_reader *r = f ? csv_reader_create(f) : NULL;
    json_in_error err;
    csv_row row;
    int got, rc = 0;

    if (!f) {
        fprintf(stderr, PROG ": --map %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    if (!r) {
        fclose(f);
        return nomem();
    }
    while ((got = csv_reader_next(r, &row, &err)) == 1) {
        if (row.line == 1 && row.n == 2 && strcmp(row.cells[0], "column") == 0 &&
            strcmp(row.cells[1], "field") == 0)
            continue;
        if (row.bad || row.n != 2 || !*row.cells[0] || !*row.cells[1]) {
            say("--map %s: line %zu: %s (each row: a column name, a field path or a dimension's "
                "name)\n",
                path, row.line, row.bad ? row.bad_reason : _("not two non-empty cells"));
            rc = EXIT_USAGE;
            break;
        }
        /* The target may itself be a dimension's name: resolved when looked up. */
        if (add_name(ns, row.cells[0], strlen(row.cells[0]), row.cells[1], 1) != 0) {
            rc = nomem();
            break;
        }
    }
    if (got < 0 && rc == 0) {
        fprintf(stderr, PROG ": --map %s: %s: %s\n", path, err.field, err.reason);
        rc = EXIT_USAGE;
    }
    csv_reader_destroy(r);
    fclose(f);
    ns->has_map = 1;
    return rc;
}

int push_names_load(credit_client *c, credit_catalogue cat, const char *map_path,
                    struct push_names **out)
{
    Credit__V1__CatalogueVersion *v = NULL;
    credit_status st;
    struct push_names *ns = calloc(1, sizeof *ns);
    int rc;

    if (!ns)
        return nomem();
    if (map_path && (rc = read_map(ns, map_path)) != 0)
        goto fail;
    if (credit_client_catalogue_get(c, 0, &v, &st) != CREDIT_OK) {
        rc = report(&st);
        goto fail;
    }
    rc = 0;
    for (size_t i = 0; i < v->n_catalogues && rc == 0; i++) {
        const Credit__V1__CatalogueDefinition *def = v->catalogues[i];
        if ((int)def->catalogue != (int)cat)
            continue;
        for (size_t k = 0; k < def->n_common && rc == 0; k++)
            rc = add_dimension(ns, def->common[k]);
        for (size_t s = 0; s < def->n_sections && rc == 0; s++) {
            const Credit__V1__Section *sec = def->sections[s];
            for (size_t k = 0; k < sec->n_dimensions && rc == 0; k++)
                rc = add_dimension(ns, sec->dimensions[k]);
            if (cat == CREDIT_CATALOGUE_PUBLIC && rc == 0) {
                /* The public catalogue's sections are its categories (proto: the Category's
                 * name without CATEGORY_), named as people name them. */
                char value[128];
                snprintf(value, sizeof value, "CATEGORY_%s", sec->code);
                if (add_label(ns, "category", value, sec->name, strlen(sec->name)) != 0 ||
                    add_label(ns, "category", value, sec->name, first_word(sec->name)) != 0)
                    rc = -1;
            }
        }
    }
    credit__v1__catalogue_version__free_unpacked(v, NULL);
    if (rc != 0) {
        rc = nomem();
        goto fail;
    }
    *out = ns;
    return 0;
fail:
    push_names_destroy(ns);
    return rc;
}

void push_names_destroy(struct push_names *ns)
{
    if (!ns)
        return;
    for (size_t i = 0; i < ns->n_names; i++) {
        free(ns->names[i].name);
        for (size_t k = 0; k < ns->names[i].n_paths; k++)
            free(ns->names[i].paths[k]);
        free(ns->names[i].paths);
    }
    for (size_t i = 0; i < ns->n_labels; i++) {
        free(ns->labels[i].path);
        free(ns->labels[i].value);
        free(ns->labels[i].label);
    }
    free(ns->names);
    free(ns->labels);
    free(ns);
}

static const struct name *find_name(const struct push_names *ns, const char *header)
{
    for (size_t i = 0; i < ns->n_names; i++)
        if (strcmp(ns->names[i].name, header) == 0)
            return &ns->names[i];
    return NULL;
}

static const char *field_of(void *ctx, const char *header, const char *within, char *why,
                            size_t size)
{
    const struct push_names *ns = ctx;
    const struct name *n = find_name(ns, header);
    if (n && n->from_map) { /* the map may name a dimension instead of a field */
        const struct name *target = find_name(ns, n->paths[0]);
        if (target && !target->from_map)
            n = target;
        else
            return n->paths[0];
    }
    if (!n)
        return NULL;
    if (n->n_paths == 1)
        return n->paths[0];
    /* Several sections name a field so (备注: penalty.remarks, licence.remarks, ...): the
     * one under the message the header's other columns fill is meant. */
    const char *found = NULL;
    size_t k = within ? strlen(within) : 0, matches = 0;
    for (size_t i = 0; within && i < n->n_paths; i++)
        if (strncmp(n->paths[i], within, k) == 0 && n->paths[i][k] == '.') {
            found = n->paths[i];
            matches++;
        }
    if (matches == 1)
        return found;
    size_t used =
        (size_t)snprintf(why, size, "the catalogue has %zu dimensions of this name (", n->n_paths);
    for (size_t i = 0; i < n->n_paths && used < size; i++)
        used += (size_t)snprintf(why + used, size - used, "%s%s", i ? ", " : "", n->paths[i]);
    if (used < size)
        snprintf(why + used, size - used,
                 "): name the column by its field path, or give it one with --map");
    return NULL;
}

/* Whether the enum value `name` is the catalogue's `value`: the same, or value with the
 * enum's prefix (proto values may come to carry it: SEVERITY_GENERAL for GENERAL). */
static int same_value(const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value);
    return strcmp(name, value) == 0 ||
           (n > v + 1 && name[n - v - 1] == '_' && strcmp(name + n - v, value) == 0);
}

static const char *enum_of(void *ctx, const char *path, const ProtobufCEnumDescriptor *e,
                           const char *text)
{
    const struct push_names *ns = ctx;
    for (size_t i = 0; i < ns->n_labels; i++) {
        const struct label *l = &ns->labels[i];
        if (strcmp(l->path, path) != 0 || strcmp(l->label, text) != 0)
            continue;
        for (unsigned k = 0; k < e->n_values; k++)
            if (same_value(e->values[k].name, l->value))
                return e->values[k].name;
    }
    return NULL;
}

static void enum_labels(void *ctx, const char *path, const char *name, char *buf, size_t size)
{
    const struct push_names *ns = ctx;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ns->n_labels && used < size; i++) {
        const struct label *l = &ns->labels[i];
        if (strcmp(l->path, path) != 0 || !same_value(name, l->value))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", l->label);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

void push_names_dialect(struct push_names *ns, struct csv_dialect *d)
{
    d->field_of = field_of;
    d->enum_of = enum_of;
    d->enum_labels = enum_labels;
    d->ctx = ns;
    d->has_map = ns->has_map;
}
