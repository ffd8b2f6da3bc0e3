/*
 * descset.c — see descset.h. Everything is worked out once, in descset_create, so that the
 * queries allocate nothing, take no lock and cannot fail halfway.
 *
 * The set is unpacked with the protobuf-c code generated from descriptor.proto, and nothing of
 * the unpacked tree is kept: every name is copied and every FileDescriptorProto is packed
 * again on its own (protobuf-c keeps unknown fields, so the bytes say what protoc wrote).
 *
 * Three indexes, all plain arrays:
 *  - files, in the order of the set, each with its closure: the indices of the file and of
 *    every file it imports transitively, depth-first, each once, the file itself first.
 *    Imports that are not in the set are skipped (protoc --include_imports leaves none out);
 *    a cycle, which protoc never writes, ends where a file repeats;
 *  - by_name: the files sorted by name, for a binary search;
 *  - syms: every fully qualified symbol, sorted by name (a binary search again), each with the
 *    file that defines it and, for methods, the streaming flags. Enum values are indexed twice:
 *    in the scope that encloses the enum, as protoc and C++ see them
 * ("credit.v1.UNIT_KIND_OFFICE"), and under the enum ("credit.v1.UnitKind.UNIT_KIND_OFFICE"), which
 * is what people type. A name defined twice (only a broken set does that) keeps its first
 * definition in file order. Services are also kept in file order, for listing.
 */
#include "descset.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"

#define ERR_LEN 256

enum sym_kind {
    SYM_MESSAGE,
    SYM_FIELD,
    SYM_ONEOF,
    SYM_EXTENSION,
    SYM_ENUM,
    SYM_ENUM_VALUE,
    SYM_SERVICE,
    SYM_METHOD,
};

static const char *const kind_names[] = {
    [SYM_MESSAGE] = "message",     [SYM_FIELD] = "field",   [SYM_ONEOF] = "oneof",
    [SYM_EXTENSION] = "extension", [SYM_ENUM] = "enum",     [SYM_ENUM_VALUE] = "enum value",
    [SYM_SERVICE] = "service",     [SYM_METHOD] = "method",
};

struct sym {
    char *name;  /* fully qualified, without a leading '.'; owned */
    size_t file; /* index into descset.files */
    size_t seq;  /* order of definition: of two equal names the first wins */
    unsigned char kind;
    unsigned char client_streaming; /* methods only */
    unsigned char server_streaming;
};

struct file {
    char *name;          /* owned */
    unsigned char *data; /* the packed FileDescriptorProto; owned */
    size_t len;
    size_t *closure; /* owned; closure[0] is this file */
    size_t n_closure;
};

struct descset {
    struct file *files;
    size_t n_files;
    struct file **by_name; /* the n_files files, sorted by name */
    struct sym *syms;
    size_t n_syms, cap_syms;
    char **services; /* fully qualified, in file order; owned */
    size_t n_services, cap_services;
};

/* What the symbol walk needs while it indexes one file. */
struct build {
    descset *ds;
    size_t file;
    const char *file_name;
    char *err;
};

static void set_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(char *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err, ERR_LEN, fmt, ap);
    va_end(ap);
}

static int oom(struct build *b)
{
    set_err(b->err, "descriptor set: out of memory while indexing %s", b->file_name);
    return -1;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);

    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* "scope.name", or "name" alone when the scope is empty (a file without a package).
 * Returns a malloc'd string, or NULL when out of memory. */
static char *join(const char *scope, const char *name)
{
    size_t ns = strlen(scope), nn = strlen(name);
    size_t dot = ns ? 1 : 0;
    char *s = malloc(ns + dot + nn + 1);

    if (!s)
        return NULL;
    memcpy(s, scope, ns);
    if (dot)
        s[ns] = '.';
    memcpy(s + ns + dot, name, nn + 1);
    return s;
}

/* Indexes `scope.name`. On success *out (if given) points at the new entry, valid until the
 * next add; its name string stays valid as long as the descset. */
static int add(struct build *b, const char *scope, const char *name, enum sym_kind kind,
               struct sym **out)
{
    descset *ds = b->ds;
    struct sym *s;
    char *full;

    if (!name || !*name) {
        set_err(b->err, "descriptor set: %s: a %s without a name", b->file_name, kind_names[kind]);
        return -1;
    }
    if (ds->n_syms == ds->cap_syms) {
        size_t cap = ds->cap_syms ? ds->cap_syms * 2 : 256;
        struct sym *n = realloc(ds->syms, cap * sizeof(*n));

        if (!n)
            return oom(b);
        ds->syms = n;
        ds->cap_syms = cap;
    }
    full = join(scope, name);
    if (!full)
        return oom(b);
    s = &ds->syms[ds->n_syms];
    memset(s, 0, sizeof(*s));
    s->name = full;
    s->file = b->file;
    s->seq = ds->n_syms;
    s->kind = (unsigned char)kind;
    ds->n_syms++;
    if (out)
        *out = s;
    return 0;
}

static int add_enum(struct build *b, const char *scope,
                    const Google__Protobuf__EnumDescriptorProto *e)
{
    struct sym *s;
    const char *full;
    size_t i;

    if (add(b, scope, e->name, SYM_ENUM, &s) != 0)
        return -1;
    full = s->name;
    for (i = 0; i < e->n_value; i++) {
        if (add(b, scope, e->value[i]->name, SYM_ENUM_VALUE, NULL) != 0 ||
            add(b, full, e->value[i]->name, SYM_ENUM_VALUE, NULL) != 0)
            return -1;
    }
    return 0;
}

static int add_message(struct build *b, const char *scope,
                       const Google__Protobuf__DescriptorProto *m)
{
    struct sym *s;
    const char *full;
    size_t i;

    if (add(b, scope, m->name, SYM_MESSAGE, &s) != 0)
        return -1;
    full = s->name;
    for (i = 0; i < m->n_field; i++)
        if (add(b, full, m->field[i]->name, SYM_FIELD, NULL) != 0)
            return -1;
    for (i = 0; i < m->n_extension; i++)
        if (add(b, full, m->extension[i]->name, SYM_EXTENSION, NULL) != 0)
            return -1;
    for (i = 0; i < m->n_oneof_decl; i++)
        if (add(b, full, m->oneof_decl[i]->name, SYM_ONEOF, NULL) != 0)
            return -1;
    for (i = 0; i < m->n_enum_type; i++)
        if (add_enum(b, full, m->enum_type[i]) != 0)
            return -1;
    for (i = 0; i < m->n_nested_type; i++)
        if (add_message(b, full, m->nested_type[i]) != 0)
            return -1;
    return 0;
}

static int add_service(struct build *b, const char *scope,
                       const Google__Protobuf__ServiceDescriptorProto *svc)
{
    descset *ds = b->ds;
    struct sym *s;
    char *full;
    size_t i;

    if (add(b, scope, svc->name, SYM_SERVICE, &s) != 0)
        return -1;
    if (ds->n_services == ds->cap_services) {
        size_t cap = ds->cap_services ? ds->cap_services * 2 : 16;
        char **n = realloc(ds->services, cap * sizeof(*n));

        if (!n)
            return oom(b);
        ds->services = n;
        ds->cap_services = cap;
    }
    full = dup_str(s->name);
    if (!full)
        return oom(b);
    ds->services[ds->n_services++] = full;
    for (i = 0; i < svc->n_method; i++) {
        const Google__Protobuf__MethodDescriptorProto *m = svc->method[i];

        if (add(b, full, m->name, SYM_METHOD, &s) != 0)
            return -1;
        s->client_streaming = m->has_client_streaming && m->client_streaming;
        s->server_streaming = m->has_server_streaming && m->server_streaming;
    }
    return 0;
}

static int index_file(struct build *b, const Google__Protobuf__FileDescriptorProto *fd)
{
    const char *pkg = fd->package ? fd->package : "";
    size_t i;

    for (i = 0; i < fd->n_message_type; i++)
        if (add_message(b, pkg, fd->message_type[i]) != 0)
            return -1;
    for (i = 0; i < fd->n_enum_type; i++)
        if (add_enum(b, pkg, fd->enum_type[i]) != 0)
            return -1;
    for (i = 0; i < fd->n_extension; i++)
        if (add(b, pkg, fd->extension[i]->name, SYM_EXTENSION, NULL) != 0)
            return -1;
    for (i = 0; i < fd->n_service; i++)
        if (add_service(b, pkg, fd->service[i]) != 0)
            return -1;
    return 0;
}

/* Compares the string `a "." b` (just `a` when b is NULL) with s, as strcmp would, without
 * building it. */
static int cmp_parts(const char *a, const char *b, const char *s)
{
    const char *parts[3] = {a, b ? "." : "", b ? b : ""};
    const unsigned char *t = (const unsigned char *)s;
    size_t i;

    for (i = 0; i < 3; i++) {
        const unsigned char *p;

        for (p = (const unsigned char *)parts[i]; *p; p++, t++)
            if (*p != *t)
                return (int)*p - (int)*t;
    }
    return -(int)*t;
}

static int cmp_sym(const void *pa, const void *pb)
{
    const struct sym *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);

    if (c != 0)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorts the symbols and drops every repeated name but its first definition. */
static void sort_syms(descset *ds)
{
    size_t i, n = 0;

    if (ds->n_syms == 0)
        return;
    qsort(ds->syms, ds->n_syms, sizeof(*ds->syms), cmp_sym);
    for (i = 1; i < ds->n_syms; i++) {
        if (strcmp(ds->syms[i].name, ds->syms[n].name) == 0)
            free(ds->syms[i].name);
        else
            ds->syms[++n] = ds->syms[i];
    }
    ds->n_syms = n + 1;
}

/* The symbol `a.b` (or `a` when b is NULL), or NULL. One leading '.' on `a` is ignored. */
static const struct sym *find_sym(const descset *ds, const char *a, const char *b)
{
    size_t lo = 0, hi;

    if (!ds || !a)
        return NULL;
    if (*a == '.')
        a++;
    hi = ds->n_syms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_parts(a, b, ds->syms[mid].name);

        if (c == 0)
            return &ds->syms[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int cmp_file(const void *pa, const void *pb)
{
    const struct file *const *a = pa, *const *b = pb;

    return strcmp((*a)->name, (*b)->name);
}

/* The file named `name`, or NULL. */
static const struct file *find_file(const descset *ds, const char *name)
{
    size_t lo = 0, hi;

    if (!ds || !name)
        return NULL;
    hi = ds->n_files;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, ds->by_name[mid]->name);

        if (c == 0)
            return ds->by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Works out every file's closure: a depth-first walk from the file, in the order of its
 * `dependency` list, each file taken once. The explicit stack holds at most one entry per
 * import edge plus the start, since a file's imports are pushed only when it is first seen. */
static int build_closures(descset *ds, const Google__Protobuf__FileDescriptorSet *set, char *err)
{
    size_t edges = 1, i, f;
    size_t *stack = NULL, *seen = NULL, *order = NULL;
    int rc = -1;

    for (f = 0; f < set->n_file; f++)
        edges += set->file[f]->n_dependency;
    stack = malloc(edges * sizeof(*stack));
    seen = calloc(ds->n_files ? ds->n_files : 1, sizeof(*seen));
    order = malloc((ds->n_files ? ds->n_files : 1) * sizeof(*order));
    if (!stack || !seen || !order)
        goto out_of_memory;

    for (f = 0; f < ds->n_files; f++) {
        size_t depth = 0, n = 0;

        stack[depth++] = f;
        while (depth > 0) {
            size_t x = stack[--depth];
            const Google__Protobuf__FileDescriptorProto *fd = set->file[x];

            if (seen[x] == f + 1)
                continue;
            seen[x] = f + 1;
            order[n++] = x;
            for (i = fd->n_dependency; i > 0; i--) {
                const struct file *dep = find_file(ds, fd->dependency[i - 1]);
                size_t d = dep ? (size_t)(dep - ds->files) : 0;

                if (dep && seen[d] != f + 1)
                    stack[depth++] = d;
            }
        }
        ds->files[f].closure = malloc(n * sizeof(*order));
        if (!ds->files[f].closure)
            goto out_of_memory;
        memcpy(ds->files[f].closure, order, n * sizeof(*order));
        ds->files[f].n_closure = n;
    }
    rc = 0;
    goto done;

out_of_memory:
    set_err(err, "descriptor set: out of memory");
done:
    free(order);
    free(seen);
    free(stack);
    return rc;
}

/* Copies the name and packs the bytes of file f. */
static int load_file(descset *ds, size_t f, const Google__Protobuf__FileDescriptorProto *fd,
                     char *err)
{
    struct file *file = &ds->files[f];
    size_t len;

    if (!fd->name || !*fd->name) {
        set_err(err, "descriptor set: file #%zu has no name", f + 1);
        return -1;
    }
    file->name = dup_str(fd->name);
    len = google__protobuf__file_descriptor_proto__get_packed_size(fd);
    file->data = malloc(len ? len : 1);
    if (!file->name || !file->data) {
        set_err(err, "descriptor set: out of memory while copying %s", fd->name);
        return -1;
    }
    file->len = google__protobuf__file_descriptor_proto__pack(fd, file->data);
    return 0;
}

int descset_create(const unsigned char *data, size_t len, descset **out, char *err)
{
    Google__Protobuf__FileDescriptorSet *set;
    descset *ds;
    size_t f;

    if (!out || (!data && len > 0)) {
        set_err(err, "descriptor set: no data");
        return -1;
    }
    set = google__protobuf__file_descriptor_set__unpack(NULL, len, data);
    if (!set) {
        set_err(err, "descriptor set: %zu bytes that are not a valid FileDescriptorSet", len);
        return -1;
    }
    ds = calloc(1, sizeof(*ds));
    if (!ds) {
        set_err(err, "descriptor set: out of memory");
        goto fail_set;
    }
    ds->files = calloc(set->n_file ? set->n_file : 1, sizeof(*ds->files));
    ds->by_name = calloc(set->n_file ? set->n_file : 1, sizeof(*ds->by_name));
    if (!ds->files || !ds->by_name) {
        set_err(err, "descriptor set: out of memory");
        goto fail_ds;
    }

    for (f = 0; f < set->n_file; f++) {
        struct build b = {ds, f, set->file[f]->name, err};

        ds->n_files = f + 1; /* so that descset_destroy frees a half-loaded file */
        if (load_file(ds, f, set->file[f], err) != 0 || index_file(&b, set->file[f]) != 0)
            goto fail_ds;
    }
    for (f = 0; f < ds->n_files; f++)
        ds->by_name[f] = &ds->files[f];
    qsort(ds->by_name, ds->n_files, sizeof(*ds->by_name), cmp_file);
    for (f = 1; f < ds->n_files; f++) {
        if (strcmp(ds->by_name[f - 1]->name, ds->by_name[f]->name) == 0) {
            set_err(err, "descriptor set: file %s appears twice", ds->by_name[f]->name);
            goto fail_ds;
        }
    }
    if (build_closures(ds, set, err) != 0)
        goto fail_ds;
    sort_syms(ds);

    google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
    *out = ds;
    return 0;

fail_ds:
    descset_destroy(ds);
fail_set:
    google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
    return -1;
}

void descset_destroy(descset *ds)
{
    size_t i;

    if (!ds)
        return;
    for (i = 0; i < ds->n_files; i++) {
        free(ds->files[i].name);
        free(ds->files[i].data);
        free(ds->files[i].closure);
    }
    for (i = 0; i < ds->n_syms; i++)
        free(ds->syms[i].name);
    for (i = 0; i < ds->n_services; i++)
        free(ds->services[i]);
    free(ds->files);
    free(ds->by_name);
    free(ds->syms);
    free(ds->services);
    free(ds);
}

int descset_method_shape(const descset *ds, const char *service, const char *method,
                         int *client_streaming, int *server_streaming)
{
    const struct sym *s;

    if (!method || !*method || strchr(method, '.'))
        return -1;
    s = find_sym(ds, service, method);
    if (!s || s->kind != SYM_METHOD)
        return -1;
    if (client_streaming)
        *client_streaming = s->client_streaming;
    if (server_streaming)
        *server_streaming = s->server_streaming;
    return 0;
}

size_t descset_service_count(const descset *ds)
{
    return ds ? ds->n_services : 0;
}

const char *descset_service_name(const descset *ds, size_t i)
{
    return ds && i < ds->n_services ? ds->services[i] : NULL;
}

/* Writes the closure of file f (at most max entries) and returns its full length. */
static size_t closure(const descset *ds, size_t f, descset_file *out, size_t max)
{
    const struct file *file = &ds->files[f];
    size_t i;

    for (i = 0; i < file->n_closure && i < max; i++) {
        const struct file *c = &ds->files[file->closure[i]];

        out[i].name = c->name;
        out[i].data = c->data;
        out[i].len = c->len;
    }
    return file->n_closure;
}

size_t descset_file_closure_by_name(const descset *ds, const char *filename, descset_file *out,
                                    size_t max)
{
    const struct file *f = find_file(ds, filename);

    return f ? closure(ds, (size_t)(f - ds->files), out, max) : 0;
}

size_t descset_file_closure_by_symbol(const descset *ds, const char *symbol, descset_file *out,
                                      size_t max)
{
    const struct sym *s = find_sym(ds, symbol, NULL);

    return s ? closure(ds, s->file, out, max) : 0;
}
