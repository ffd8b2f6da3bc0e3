/*
 * catalogue.c — creditctl catalogue, the reading side: list the versions, show one, and diff
 * two (computed here, from the two versions the node serves), plus the catalogue command's
 * table of subcommands (the governance ones live in governance.c).
 */
#include "creditctl.h"

#include <stdio.h>
#include <string.h>

#include "json_out.h"

static const char *value_type_text(int type)
{
    return enum_short(&credit__v1__value_type__descriptor, type, "VALUE_TYPE_");
}

static const char *tier_text(int tier)
{
    return enum_short(&credit__v1__tier__descriptor, tier, "TIER_");
}

/* Where a dimension travels: its field path, or "extra" (the input's extra map). */
static const char *field_text(const Credit__V1__Dimension *d)
{
    return d->field && *d->field ? d->field : "extra";
}

/* "kinds UNIT_KIND_DEPARTMENT; units market, tax", or "-" when nobody is named. */
static const char *format_responsibility(const Credit__V1__Section *s, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < s->n_responsible_kinds; i++)
        append(buf, size, &used, "%s%s", i ? ", " : "kinds ",
               enum_name(&credit__v1__unit_kind__descriptor, s->responsible_kinds[i]));
    for (size_t i = 0; i < s->n_responsible_units; i++)
        append(buf, size, &used, "%s%s", i ? ", " : used ? "; units " : "units ",
               s->responsible_units[i]);
    return used ? buf : "-";
}

/* "SEVERITY_MINOR 0-3 months, SEVERITY_GENERAL 3-12 months", or "-" for a section that is not
 * penalty-like. */
static const char *format_publicity(const Credit__V1__Section *s, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < s->n_publicity; i++) {
        const Credit__V1__PublicityWindow *w = s->publicity[i];
        append(buf, size, &used, "%s%s %u-%u months", i ? ", " : "",
               enum_name(&credit__v1__severity__descriptor, w->severity), w->min_months,
               w->max_months);
    }
    return used ? buf : "-";
}

/* "extra TEXT optional OPEN  name": a dimension on one line. */
/* When a dimension is required: "yes", "no", or its conditions, "when subject.kind is
 * SUBJECT_KIND_LEGAL_PERSON" (each condition's values joined by "or", conditions by "and"). */
static const char *required_text(const Credit__V1__Dimension *d, char *buf, size_t size)
{
    size_t used = 0;

    if (d->required || d->n_required_when == 0)
        return d->required ? "yes" : "no";
    buf[0] = '\0';
    append(buf, size, &used, "when");
    for (size_t i = 0; i < d->n_required_when; i++) {
        const Credit__V1__Condition *c = d->required_when[i];

        append(buf, size, &used, "%s %s is ", i ? " and" : "", c->field);
        if (c->n_equals == 0)
            append(buf, size, &used, "given");
        for (size_t j = 0; j < c->n_equals; j++)
            append(buf, size, &used, "%s%s", j ? " or " : "", c->equals[j]);
    }
    return buf;
}

/* The rules a dimension carries beyond its type and whether it is required: "at least 0, at
 * most 100", "one of 警告 | 罚款", "matches [0-9a-f]{64}"; "" when it has none. */
static const char *rules_text(const Credit__V1__Dimension *d, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    if (d->minimum)
        append(buf, size, &used, "at least %.15g", d->minimum->value);
    if (d->maximum)
        append(buf, size, &used, "%sat most %.15g", *buf ? ", " : "", d->maximum->value);
    for (size_t i = 0; i < d->n_allowed_values; i++)
        append(buf, size, &used, "%s%s", i ? " | " : *buf ? ", one of " : "one of ",
               d->allowed_values[i]);
    if (d->pattern && *d->pattern)
        append(buf, size, &used, "%smatches %s", *buf ? ", " : "", d->pattern);
    return buf;
}

static const char *format_dimension(const Credit__V1__Dimension *d, char *buf, size_t size)
{
    char when[256], rules[256];

    rules_text(d, rules, sizeof rules);
    snprintf(buf, size, "%s %s %s%s %s  %s%s%s", field_text(d), value_type_text(d->type),
             d->required || d->n_required_when ? "required " : "optional",
             d->n_required_when ? required_text(d, when, sizeof when) : "", tier_text(d->tier),
             d->name, *rules ? "; " : "", rules);
    return buf;
}

static const char *step_text(const Credit__V1__ChangeStep *s, const char *yes, const char *no,
                             char *buf, size_t size)
{
    char at[64];

    if (!s || !s->unit || !*s->unit)
        return "-";
    snprintf(buf, size, "%s at %s%s%s", s->unit, format_time(s->at, at, sizeof at),
             yes ? ", " : "", yes ? (s->positive ? yes : no) : "");
    return buf;
}

/* The dimension a request is about: dimension_code, or for an ADD the new dimension's code. */
const char *change_dimension(const Credit__V1__ChangeRequest *ch)
{
    if (ch->dimension_code && *ch->dimension_code)
        return ch->dimension_code;
    return ch->dimension ? ch->dimension->code : "";
}

/* A change request in full: JSON, or a two-column table for people, its id first. */
static int print_change(const struct config *cfg, const Credit__V1__ChangeRequest *ch)
{
    char when[256], rules[512];
    char based[16], result[16], effective[64], filed[160], review[160], decision[160];
    const char *rows[24][2];
    size_t n = 0;

    if (cfg->json) {
        print_json(&ch->base);
        return 0;
    }
    snprintf(based, sizeof based, "%u", ch->based_on_version);
    snprintf(result, sizeof result, "%u", ch->resulting_version);
    const Credit__V1__Dimension *d = ch->dimension;
#define ROW(name, value) (rows[n][0] = (name), rows[n][1] = (value), n++)
    ROW(N_("id"), ch->id);
    ROW(N_("state"), enum_name(&credit__v1__change_state__descriptor, ch->state));
    ROW(N_("kind"), enum_name(&credit__v1__change_kind__descriptor, ch->kind));
    ROW(N_("catalogue"), catalogue_text(ch->catalogue));
    ROW(N_("section"), ch->section);
    ROW(N_("dimension"), dash(change_dimension(ch)));
    if (d) {
        ROW(N_("  name"), d->name);
        ROW(N_("  field"), field_text(d));
        ROW(N_("  type"), value_type_text(d->type));
        ROW(N_("  required"), required_text(d, when, sizeof when));
        ROW(N_("  rules"), *rules_text(d, rules, sizeof rules) ? rules : "-");
        ROW(N_("  tier"), tier_text(d->tier));
        ROW(N_("  description"), dash(d->description));
    }
    ROW(N_("justification"), ch->justification);
    ROW(N_("based on version"), based);
    ROW(N_("filed"), step_text(ch->filed, NULL, NULL, filed, sizeof filed));
    ROW(N_("review"), step_text(ch->review, "passed", "failed", review, sizeof review));
    ROW(N_("review reasons"), dash(ch->review ? ch->review->reasons : ""));
    ROW(N_("decision"), step_text(ch->decision, "approved", "rejected", decision, sizeof decision));
    ROW(N_("decision reasons"), dash(ch->decision ? ch->decision->reasons : ""));
    ROW(N_("resulting version"), ch->resulting_version ? result : "-");
    ROW(N_("effective"), format_time(ch->effective_at, effective, sizeof effective));
#undef ROW
    return print_fields(rows, n, 0);
}

/* Prints the change request a call answered, or the call's error; frees the request. */
int print_change_answer(const struct config *cfg, int call_rc, Credit__V1__ChangeRequest *ch,
                        const credit_status *st)
{
    if (call_rc != CREDIT_OK)
        return report(st);
    int rc = print_change(cfg, ch);
    credit__v1__change_request__free_unpacked(ch, NULL);
    return rc;
}

static size_t count_dimensions(const Credit__V1__CatalogueDefinition *cat)
{
    size_t n = cat->n_common;
    for (size_t i = 0; i < cat->n_sections; i++)
        n += cat->sections[i]->n_dimensions;
    return n;
}

static int print_versions(const Credit__V1__ListVersionsResponse *list)
{
    struct table t;
    int bad;

    bad = table_start(&t, 6, 0,
                      (const char *[]){"", _("VERSION"), _("EFFECTIVE"), _("APPROVED BY"),
                                       _("CHANGE REQUEST"), _("SUMMARY")});
    for (size_t i = 0; i < list->n_versions && !bad; i++) {
        const Credit__V1__VersionSummary *v = list->versions[i];
        char num[16], effective[64];
        snprintf(num, sizeof num, "%u", v->version);
        const char *row[] = {v->in_force ? "*" : "",
                             num,
                             format_time(v->effective_at, effective, sizeof effective),
                             dash(v->approved_by),
                             dash(v->change_request_id),
                             v->summary};
        bad = table_add(&t, row) != 0;
    }
    return table_finish(&t, bad);
}

static int print_catalogue_counts(const Credit__V1__CatalogueVersion *v)
{
    struct table t;
    int bad;

    printf(_("\ncatalogues of version %u, in force:\n"), v->version);
    bad = table_start(&t, 4, 0,
                      (const char *[]){_("CATALOGUE"), _("SECTIONS"), _("DIMENSIONS"), _("NAME")});
    for (size_t i = 0; i < v->n_catalogues && !bad; i++) {
        const Credit__V1__CatalogueDefinition *cat = v->catalogues[i];
        char sections[16], dims[16];
        snprintf(sections, sizeof sections, "%zu", cat->n_sections);
        snprintf(dims, sizeof dims, "%zu", count_dimensions(cat));
        bad = table_add(&t, (const char *[]){catalogue_text(cat->catalogue), sections, dims,
                                             cat->name}) != 0;
    }
    return table_finish(&t, bad);
}

static int cat_list(struct session *s, int argc, char **argv)
{
    Credit__V1__ListVersionsResponse *list = NULL;
    Credit__V1__CatalogueVersion *v = NULL;
    credit_status st;
    int rc;

    (void)argc;
    (void)argv;
    if ((rc = session_open(s)) != 0)
        return rc;
    if (credit_client_catalogue_list(s->c, &list, &st) != CREDIT_OK)
        return report(&st);
    if (credit_client_catalogue_get(s->c, 0, &v, &st) != CREDIT_OK) {
        rc = report(&st);
        goto fail_version;
    }
    if (s->cfg->json) {
        fputs("{\"list\":", stdout);
        json_write_message(stdout, &list->base);
        fputs(",\"current\":", stdout);
        json_write_message(stdout, &v->base);
        fputs("}\n", stdout);
    } else if ((rc = print_versions(list)) == 0) {
        rc = print_catalogue_counts(v);
    }
    credit__v1__catalogue_version__free_unpacked(v, NULL);
fail_version:
    credit__v1__list_versions_response__free_unpacked(list, NULL);
    return rc;
}

static int print_dimensions(Credit__V1__Dimension *const *dims, size_t n, size_t indent)
{
    struct table t;
    int bad;

    if (n == 0) {
        printf("%*s%s\n", (int)indent, "", _("no dimensions"));
        return 0;
    }
    bad = table_start(
        &t, 6, indent,
        (const char *[]){_("CODE"), _("FIELD"), _("TYPE"), _("REQUIRED"), _("TIER"), _("NAME")});
    for (size_t i = 0; i < n && !bad; i++) {
        const Credit__V1__Dimension *d = dims[i];
        const char *row[] = {d->code, field_text(d), value_type_text(d->type),
                             d->required ? "yes" : d->n_required_when ? "when" : "no",
                             tier_text(d->tier), d->name};
        bad = table_add(&t, row) != 0;
    }
    if ((bad = table_finish(&t, bad)) != 0)
        return bad;
    /* Conditions and rules below the table, one dimension a line: in a column they would
     * widen every row. */
    bad = table_start(&t, 2, indent, (const char *[]){_("CODE"), _("RULES")});
    size_t ruled = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        const Credit__V1__Dimension *d = dims[i];
        char when[256], rules[512], both[800];

        rules_text(d, rules, sizeof rules);
        if (!d->n_required_when && !*rules)
            continue;
        snprintf(both, sizeof both, "%s%s%s%s", d->n_required_when ? "required " : "",
                 d->n_required_when ? required_text(d, when, sizeof when) : "",
                 d->n_required_when && *rules ? "; " : "", rules);
        bad = table_add(&t, (const char *[]){d->code, both}) != 0;
        ruled++;
    }
    if (!bad && ruled == 0) {
        table_cleanup(&t);
        return 0;
    }
    return table_finish(&t, bad);
}

static int print_section(const Credit__V1__Section *sec)
{
    char resp[1024], pub[256];
    int rc;

    printf(_("  section %s  %s"), sec->code, sec->name);
    if (sec->body && *sec->body)
        printf(_(" (body %s)"), sec->body);
    putc('\n', stdout);
    const char *rows[][2] = {
        {N_("responsible"), format_responsibility(sec, resp, sizeof resp)},
        {N_("publicity"), format_publicity(sec, pub, sizeof pub)},
    };
    if ((rc = print_fields(rows, sizeof rows / sizeof rows[0], 4)) != 0)
        return rc;
    return print_dimensions(sec->dimensions, sec->n_dimensions, 4);
}

static int print_version(const Credit__V1__CatalogueVersion *v)
{
    char num[16], effective[64], approved[160], at[64];
    int rc;

    snprintf(num, sizeof num, "%u", v->version);
    snprintf(approved, sizeof approved, _("%s by %s"), format_time(v->approved_at, at, sizeof at),
             dash(v->approved_by));
    const char *rows[][2] = {
        {N_("version"), num},
        {N_("effective"), format_time(v->effective_at, effective, sizeof effective)},
        {N_("approved"), approved},
        {N_("change request"), dash(v->change_request_id)},
        {N_("summary"), v->summary},
    };
    if ((rc = print_fields(rows, sizeof rows / sizeof rows[0], 0)) != 0)
        return rc;
    for (size_t i = 0; i < v->n_catalogues; i++) {
        const Credit__V1__CatalogueDefinition *cat = v->catalogues[i];
        printf(_("\ncatalogue %s  %s"), catalogue_text(cat->catalogue), cat->name);
        if (cat->input_message && *cat->input_message)
            printf(_(" (input %s)"), cat->input_message);
        putc('\n', stdout);
        if (cat->n_common > 0) {
            puts(_("  common dimensions"));
            if ((rc = print_dimensions(cat->common, cat->n_common, 4)) != 0)
                return rc;
        }
        for (size_t j = 0; j < cat->n_sections; j++)
            if ((rc = print_section(cat->sections[j])) != 0)
                return rc;
    }
    return 0;
}

/* A VERSION argument: 1, 2, ... Returns 0, or EXIT_USAGE after saying why. */
static int parse_version(const char *text, uint32_t *out)
{
    int v;

    if (parse_positive(text, &v) != 0)
        return usage_error("catalogue: '%s' is not a version number (1, 2, ...)", text);
    *out = (uint32_t)v;
    return 0;
}

static int cat_show(struct session *s, int argc, char **argv)
{
    Credit__V1__CatalogueVersion *v = NULL;
    credit_status st;
    uint32_t version = 0; /* the version in force */
    int rc;

    if (argc > 0 && (rc = parse_version(argv[0], &version)) != 0)
        return rc;
    if ((rc = session_open(s)) != 0)
        return rc;
    if (credit_client_catalogue_get(s->c, version, &v, &st) != CREDIT_OK)
        return report(&st);
    if (s->cfg->json)
        print_json(&v->base);
    else
        rc = print_version(v);
    credit__v1__catalogue_version__free_unpacked(v, NULL);
    return rc;
}

/* --- catalogue diff: computed here from the two versions ----------------------------------- */

/* What may differ between two versions of a dimension, a section or a catalogue. */
enum {
    ATTR_NAME = 1u << 0,
    ATTR_FIELD = 1u << 1,
    ATTR_TYPE = 1u << 2,
    ATTR_REQUIRED = 1u << 3,
    ATTR_TIER = 1u << 4,
    ATTR_DESCRIPTION = 1u << 5,
    ATTR_RESPONSIBILITY = 1u << 6,
    ATTR_PUBLICITY = 1u << 7,
    ATTR_BODY = 1u << 8,
    ATTR_INPUT = 1u << 9,
    ATTR_RULES = 1u << 10,
};

struct differ {
    int json;
    size_t n; /* differences printed */
};

/* Where a difference is: a catalogue; a section of it (section set); a dimension of that section
 * or, common set, of the catalogue's common dimensions (dimension set). */
struct place {
    int catalogue;
    const char *section;
    int common;
    const char *dimension;
};

static int same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Whether every element of a (na elements of `size` bytes) has an equal one in b. */
static int contains_all(const void *a, size_t na, const void *b, size_t nb, size_t size,
                        int (*eq)(const void *, const void *))
{
    for (size_t i = 0; i < na; i++) {
        size_t j = 0;
        while (j < nb && !eq((const char *)a + i * size, (const char *)b + j * size))
            j++;
        if (j == nb)
            return 0;
    }
    return 1;
}

/* Whether two arrays hold the same elements, in any order. */
static int same_set(const void *a, size_t na, const void *b, size_t nb, size_t size,
                    int (*eq)(const void *, const void *))
{
    return contains_all(a, na, b, nb, size, eq) && contains_all(b, nb, a, na, size, eq);
}

static int eq_kind(const void *x, const void *y)
{
    return *(const Credit__V1__UnitKind *)x == *(const Credit__V1__UnitKind *)y;
}

static int eq_str(const void *x, const void *y)
{
    return same_str(*(char *const *)x, *(char *const *)y);
}

static int eq_window(const void *x, const void *y)
{
    const Credit__V1__PublicityWindow *a = *(Credit__V1__PublicityWindow *const *)x;
    const Credit__V1__PublicityWindow *b = *(Credit__V1__PublicityWindow *const *)y;
    return a->severity == b->severity && a->min_months == b->min_months &&
           a->max_months == b->max_months;
}

static unsigned dimension_changes(const Credit__V1__Dimension *a, const Credit__V1__Dimension *b)
{
    char wa_buf[256], wb_buf[256], ra[512], rb[512];
    const char *wa = required_text(a, wa_buf, sizeof wa_buf);
    const char *wb = required_text(b, wb_buf, sizeof wb_buf);

    rules_text(a, ra, sizeof ra);
    rules_text(b, rb, sizeof rb);
    return (same_str(a->name, b->name) ? 0 : ATTR_NAME) |
           (same_str(a->field, b->field) ? 0 : ATTR_FIELD) |
           (a->type == b->type ? 0 : ATTR_TYPE) |
           (same_str(wa, wb) ? 0 : ATTR_REQUIRED) |
           (a->tier == b->tier ? 0 : ATTR_TIER) |
           (same_str(a->description, b->description) ? 0 : ATTR_DESCRIPTION) |
           (same_str(ra, rb) ? 0 : ATTR_RULES);
}

static unsigned section_changes(const Credit__V1__Section *a, const Credit__V1__Section *b)
{
    int same_resp = same_set(a->responsible_kinds, a->n_responsible_kinds, b->responsible_kinds,
                             b->n_responsible_kinds, sizeof *a->responsible_kinds, eq_kind) &&
                    same_set(a->responsible_units, a->n_responsible_units, b->responsible_units,
                             b->n_responsible_units, sizeof *a->responsible_units, eq_str);
    int same_pub = same_set(a->publicity, a->n_publicity, b->publicity, b->n_publicity,
                            sizeof *a->publicity, eq_window);
    return (same_str(a->name, b->name) ? 0 : ATTR_NAME) | (same_resp ? 0 : ATTR_RESPONSIBILITY) |
           (same_pub ? 0 : ATTR_PUBLICITY) | (same_str(a->body, b->body) ? 0 : ATTR_BODY);
}

/* Starts one difference: "+ PUBLIC/PENALTY/code", or its JSON object up to the place. */
static void diff_begin(struct differ *df, char op, const char *level, const struct place *at)
{
    if (df->json) {
        printf("%s{\"op\":\"%c\",\"level\":\"%s\",\"catalogue\":", df->n ? "," : "", op, level);
        json_write_string(stdout, enum_name(&credit__v1__catalogue__descriptor, at->catalogue));
        if (at->section) {
            fputs(",\"section\":", stdout);
            json_write_string(stdout, at->section);
        }
        if (at->common)
            fputs(",\"common\":true", stdout);
        if (at->dimension) {
            fputs(",\"dimension\":", stdout);
            json_write_string(stdout, at->dimension);
        }
    } else {
        printf("%c %s%s%s%s%s", op, catalogue_text(at->catalogue), at->section ? "/" : "",
               at->section ? at->section : at->common ? "/common" : "", at->dimension ? "/" : "",
               at->dimension ? at->dimension : "");
    }
    df->n++;
}

/* One changed attribute: for people "name BEFORE -> AFTER" (just the name when before is NULL;
 * text values, which may hold the separators, in quotes), in JSON its name in "changed".
 * *first: no attribute printed yet. */
static void diff_attr(struct differ *df, int *first, const char *name, const char *before,
                      const char *after)
{
    if (df->json)
        printf("%s\"%s\"", *first ? ",\"changed\":[" : ",", name);
    else if (before)
        printf("%s%s %s -> %s", *first ? ": " : "; ", name, before, after);
    else
        printf("%s%s", *first ? ": " : "; ", name);
    *first = 0;
}

static void diff_text_attr(struct differ *df, int *first, const char *name, const char *before,
                           const char *after)
{
    char x[1100], y[1100];

    snprintf(x, sizeof x, "\"%s\"", before);
    snprintf(y, sizeof y, "\"%s\"", after);
    diff_attr(df, first, name, x, y);
}

/* Ends a difference; in JSON with the two sides (either may be NULL). */
static void diff_end(struct differ *df, int first, const ProtobufCMessage *before,
                     const ProtobufCMessage *after)
{
    if (!df->json) {
        putc('\n', stdout);
        return;
    }
    if (!first)
        putc(']', stdout);
    if (before) {
        fputs(",\"before\":", stdout);
        json_write_message(stdout, before);
    }
    if (after) {
        fputs(",\"after\":", stdout);
        json_write_message(stdout, after);
    }
    putc('}', stdout);
}

/* The name of what was added or removed: for people after a colon, in JSON as "name". */
static void diff_name(struct differ *df, const char *what, const char *name)
{
    if (df->json) {
        fputs(",\"name\":", stdout);
        json_write_string(stdout, name);
    } else {
        printf(": %s %s", what, name);
    }
}

static void emit_dimension(struct differ *df, char op, const struct place *at,
                           const Credit__V1__Dimension *a, const Credit__V1__Dimension *b,
                           unsigned changed)
{
    char text[1024], wa[256], wb[256], ra[512], rb[512];
    int first = 1;

    diff_begin(df, op, "dimension", at);
    if (op != '~' && !df->json)
        printf(": %s", format_dimension(a ? a : b, text, sizeof text));
    if (changed & ATTR_NAME)
        diff_text_attr(df, &first, "name", a->name, b->name);
    if (changed & ATTR_FIELD)
        diff_attr(df, &first, "field", field_text(a), field_text(b));
    if (changed & ATTR_TYPE)
        diff_attr(df, &first, "type", value_type_text(a->type), value_type_text(b->type));
    if (changed & ATTR_REQUIRED)
        diff_attr(df, &first, "required", required_text(a, wa, sizeof wa),
                  required_text(b, wb, sizeof wb));
    if (changed & ATTR_RULES)
        diff_text_attr(df, &first, "rules", rules_text(a, ra, sizeof ra),
                       rules_text(b, rb, sizeof rb));
    if (changed & ATTR_TIER)
        diff_attr(df, &first, "tier", tier_text(a->tier), tier_text(b->tier));
    if (changed & ATTR_DESCRIPTION)
        diff_attr(df, &first, "description", NULL, NULL);
    diff_end(df, first, a ? &a->base : NULL, b ? &b->base : NULL);
}

static void emit_section(struct differ *df, char op, const struct place *at,
                         const Credit__V1__Section *a, const Credit__V1__Section *b,
                         unsigned changed)
{
    char x[1024], y[1024];
    int first = 1;

    diff_begin(df, op, "section", at);
    if (op != '~')
        diff_name(df, "section", (a ? a : b)->name);
    if (changed & ATTR_NAME)
        diff_text_attr(df, &first, "name", a->name, b->name);
    if (changed & ATTR_RESPONSIBILITY)
        diff_text_attr(df, &first, "responsibility", format_responsibility(a, x, sizeof x),
                       format_responsibility(b, y, sizeof y));
    if (changed & ATTR_PUBLICITY)
        diff_text_attr(df, &first, "publicity", format_publicity(a, x, sizeof x),
                       format_publicity(b, y, sizeof y));
    if (changed & ATTR_BODY)
        diff_attr(df, &first, "body", dash(a->body), dash(b->body));
    diff_end(df, first, NULL, NULL);
}

static void emit_catalogue(struct differ *df, char op, const struct place *at,
                           const Credit__V1__CatalogueDefinition *a,
                           const Credit__V1__CatalogueDefinition *b, unsigned changed)
{
    int first = 1;

    diff_begin(df, op, "catalogue", at);
    if (op != '~')
        diff_name(df, "catalogue", (a ? a : b)->name);
    if (changed & ATTR_NAME)
        diff_text_attr(df, &first, "name", a->name, b->name);
    if (changed & ATTR_INPUT)
        diff_attr(df, &first, "input", dash(a->input_message), dash(b->input_message));
    diff_end(df, first, NULL, NULL);
}

typedef const char *(*key_fn)(const void *x);
typedef void (*pair_fn)(struct differ *df, const struct place *at, const void *a, const void *b);

static const void *find_by_key(void *const *v, size_t n, key_fn key, const char *k)
{
    for (size_t i = 0; i < n; i++)
        if (same_str(key(v[i]), k))
            return v[i];
    return NULL;
}

/* Pairs the elements of two lists by key and hands each pair to `pair`: those of a with their
 * match in b (or NULL: removed), in a's order, then those only in b (NULL, b: added). */
static void diff_lists(struct differ *df, const struct place *at, void *const *a, size_t na,
                       void *const *b, size_t nb, key_fn key, pair_fn pair)
{
    for (size_t i = 0; i < na; i++)
        pair(df, at, a[i], find_by_key(b, nb, key, key(a[i])));
    for (size_t j = 0; j < nb; j++)
        if (!find_by_key(a, na, key, key(b[j])))
            pair(df, at, NULL, b[j]);
}

static const char *dimension_key(const void *x)
{
    return ((const Credit__V1__Dimension *)x)->code;
}

static const char *section_key(const void *x)
{
    return ((const Credit__V1__Section *)x)->code;
}

static const char *catalogue_key(const void *x)
{
    return enum_name(&credit__v1__catalogue__descriptor,
                     ((const Credit__V1__CatalogueDefinition *)x)->catalogue);
}

static void diff_dimension(struct differ *df, const struct place *at, const void *a,
                           const void *b)
{
    const Credit__V1__Dimension *x = a, *y = b;
    struct place p = *at;
    unsigned changed;

    p.dimension = (x ? x : y)->code;
    if (!x || !y)
        emit_dimension(df, x ? '-' : '+', &p, x, y, 0);
    else if ((changed = dimension_changes(x, y)) != 0)
        emit_dimension(df, '~', &p, x, y, changed);
}

static void diff_section(struct differ *df, const struct place *at, const void *a, const void *b)
{
    const Credit__V1__Section *x = a, *y = b;
    struct place p = *at;
    unsigned changed;

    p.section = (x ? x : y)->code;
    if (!x || !y)
        emit_section(df, x ? '-' : '+', &p, x, y, 0);
    else if ((changed = section_changes(x, y)) != 0)
        emit_section(df, '~', &p, x, y, changed);
    diff_lists(df, &p, x ? (void *const *)x->dimensions : NULL, x ? x->n_dimensions : 0,
               y ? (void *const *)y->dimensions : NULL, y ? y->n_dimensions : 0, dimension_key,
               diff_dimension);
}

static void diff_catalogue(struct differ *df, const struct place *at, const void *a,
                           const void *b)
{
    const Credit__V1__CatalogueDefinition *x = a, *y = b;
    struct place p = *at, common;
    unsigned changed;

    p.catalogue = (x ? x : y)->catalogue;
    if (!x || !y)
        emit_catalogue(df, x ? '-' : '+', &p, x, y, 0);
    else if ((changed = (same_str(x->name, y->name) ? 0 : ATTR_NAME) |
                        (same_str(x->input_message, y->input_message) ? 0 : ATTR_INPUT)) != 0)
        emit_catalogue(df, '~', &p, x, y, changed);
    common = p;
    common.common = 1;
    diff_lists(df, &common, x ? (void *const *)x->common : NULL, x ? x->n_common : 0,
               y ? (void *const *)y->common : NULL, y ? y->n_common : 0, dimension_key,
               diff_dimension);
    diff_lists(df, &p, x ? (void *const *)x->sections : NULL, x ? x->n_sections : 0,
               y ? (void *const *)y->sections : NULL, y ? y->n_sections : 0, section_key,
               diff_section);
}

static int cat_diff(struct session *s, int argc, char **argv)
{
    Credit__V1__CatalogueVersion *a = NULL, *b = NULL;
    struct differ df = {s->cfg->json, 0};
    struct place root = {0, NULL, 0, NULL};
    credit_status st;
    uint32_t va = 0, vb = 0;
    int rc;

    (void)argc;
    if ((rc = parse_version(argv[0], &va)) != 0 || (rc = parse_version(argv[1], &vb)) != 0)
        return rc;
    if ((rc = session_open(s)) != 0)
        return rc;
    if (credit_client_catalogue_get(s->c, va, &a, &st) != CREDIT_OK)
        return report(&st);
    if (credit_client_catalogue_get(s->c, vb, &b, &st) != CREDIT_OK) {
        rc = report(&st);
        goto fail_b;
    }
    if (df.json)
        printf("{\"from\":%u,\"to\":%u,\"differences\":[", a->version, b->version);
    diff_lists(&df, &root, (void *const *)a->catalogues, a->n_catalogues,
               (void *const *)b->catalogues, b->n_catalogues, catalogue_key, diff_catalogue);
    if (df.json)
        fputs("]}\n", stdout);
    else if (df.n == 0)
        printf(_("versions %u and %u do not differ\n"), a->version, b->version);
    credit__v1__catalogue_version__free_unpacked(b, NULL);
fail_b:
    credit__v1__catalogue_version__free_unpacked(a, NULL);
    return rc;
}

/* clang-format off */
static const struct subcommand catalogue_commands[] = {
    {"list",    cat_list,    0, 0, 0,                          N_("no arguments")},
    {"show",    cat_show,    0, 1, 0,                          N_("at most one VERSION")},
    {"diff",    cat_diff,    2, 2, 0,                          N_("V1 V2")},
    {"propose", cat_propose, 1, 1, 0,                          N_("FILE (or - for stdin)")},
    {"review",  cat_review,  2, 2, OPT_REASON,                 N_("ID pass|fail --reason TEXT")},
    {"decide",  cat_decide,  2, 2, OPT_REASON | OPT_EFFECTIVE, N_("ID approve|reject --reason TEXT")},
    {"history", cat_history, 0, 0, OPT_STATE,                  N_("no arguments")},
    {"get",     cat_get,     1, 1, 0,                          N_("ID")},
};

int cmd_catalogue(const struct config *cfg, int argc, char **argv)
{
    return run_subcommand(cfg, "catalogue", catalogue_commands,
                          sizeof catalogue_commands / sizeof catalogue_commands[0],
                          "list, show, diff, propose, review, decide, history, get", argc, argv);
}
