/*
 * query.c — the reading commands: health, whoami, units, query (a subject's records through
 * a tier) and get (one record). Paged answers are read to the end (at most MAX_PAGES pages)
 * before anything is printed, so a failure half-way prints an error, never half a table.
 */
#include "creditctl.h"

#include <stdio.h>
#include <stdlib.h>

#include "json_out.h"

int cmd_health(const struct config *cfg, int argc, char **argv)
{
    const char *service = argc > 0 ? argv[0] : "";
    credit_client *c;
    credit_status st;
    int serving = 0, rc;

    if ((rc = open_client(cfg, &c)) != 0)
        return rc;
    if (credit_client_health_check(c, service, &serving, &st) != CREDIT_OK) {
        rc = report(&st);
        goto out;
    }
    const char *status = serving ? "SERVING" : "NOT_SERVING";
    if (cfg->json) {
        fputs("{\"service\":", stdout);
        json_write_string(stdout, service);
        fputs(",\"status\":", stdout);
        json_write_string(stdout, status);
        fputs("}\n", stdout);
    } else {
        puts(status);
    }
    rc = serving ? 0 : EXIT_ERR;
out:
    credit_client_destroy(c);
    return rc;
}

int cmd_whoami(const struct config *cfg, int argc, char **argv)
{
    credit_client *c;
    credit_status st;
    Credit__V1__WhoAmIResponse *me = NULL;
    int rc;

    (void)argc;
    (void)argv;
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;
    if (credit_client_whoami(c, &me, &st) != CREDIT_OK) {
        rc = report(&st);
        goto fail_call;
    }
    if (cfg->json) {
        print_json(&me->base);
        goto done;
    }
    const Credit__V1__Unit *u = me->unit;
    const char *rows[][2] = {
        {N_("code"), u ? u->code : ""},
        {N_("name"), u ? u->name : ""},
        {N_("kind"), u ? enum_name(&credit__v1__unit_kind__descriptor, u->kind) : ""},
        {N_("status"), u ? enum_name(&credit__v1__unit_status__descriptor, u->status) : ""},
        {N_("identity"), me->identity},
        {N_("cert subject"), me->cert_subject},
    };
    rc = print_fields(rows, sizeof rows / sizeof rows[0], 0);
done:
    credit__v1__who_am_iresponse__free_unpacked(me, NULL);
fail_call:
    credit_client_destroy(c);
    return rc;
}

int cmd_units(const struct config *cfg, int argc, char **argv)
{
    Credit__V1__ListUnitsResponse **pages = NULL;
    size_t n_pages = 0;
    credit_client *c;
    credit_status st;
    int kind = 0, rc;

    (void)argc;
    (void)argv;
    if (cfg->kind && parse_enum(&credit__v1__unit_kind__descriptor, cfg->kind, "UNIT_KIND_", &kind))
        return usage_error("--kind: unknown unit kind '%s'", cfg->kind);
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;

    /* Every page first, so that the table's columns fit all rows. */
    const char *token = "";
    for (;;) {
        if (n_pages == MAX_PAGES) {
            say("the node's unit list does not end\n");
            rc = EXIT_ERR;
            goto out;
        }
        Credit__V1__ListUnitsResponse **grown = realloc(pages, (n_pages + 1) * sizeof *pages);
        if (!grown) {
            say("out of memory\n");
            rc = EXIT_ERR;
            goto out;
        }
        pages = grown;
        if (credit_client_unit_list(c, (Credit__V1__UnitKind)kind, 500, token, &pages[n_pages],
                                    &st) != CREDIT_OK) {
            rc = report(&st);
            goto out;
        }
        token = pages[n_pages]->next_page_token;
        n_pages++;
        if (!token || !*token)
            break;
    }

    if (cfg->json) {
        int first = 1;
        putc('[', stdout);
        for (size_t p = 0; p < n_pages; p++)
            for (size_t i = 0; i < pages[p]->n_units; i++) {
                if (!first)
                    putc(',', stdout);
                first = 0;
                json_write_message(stdout, &pages[p]->units[i]->base);
            }
        fputs("]\n", stdout);
        goto out;
    }
    struct table t;
    table_init(&t, 4);
    if (table_add(&t, (const char *[]){_("CODE"), _("KIND"), _("STATUS"), _("NAME")}) != 0)
        goto nomem;
    for (size_t p = 0; p < n_pages; p++)
        for (size_t i = 0; i < pages[p]->n_units; i++) {
            const Credit__V1__Unit *u = pages[p]->units[i];
            const char *row[] = {u->code, enum_name(&credit__v1__unit_kind__descriptor, u->kind),
                                 enum_name(&credit__v1__unit_status__descriptor, u->status),
                                 u->name};
            if (table_add(&t, row) != 0)
                goto nomem;
        }
    table_print(stdout, &t);
    table_cleanup(&t);
    goto out;
nomem:
    table_cleanup(&t);
    say("out of memory\n");
    rc = EXIT_ERR;
out:
    for (size_t p = 0; p < n_pages; p++)
        credit__v1__list_units_response__free_unpacked(pages[p], NULL);
    free(pages);
    credit_client_destroy(c);
    return rc;
}

static void status_flags(const Credit__V1__RecordStatus *s, char *buf, size_t size)
{
    const char *names[4];
    size_t n = 0, used = 0;

    buf[0] = '\0';
    if (s && s->disputed)
        names[n++] = "disputed";
    if (s && s->repaired)
        names[n++] = "repaired";
    if (s && s->withdrawn)
        names[n++] = "withdrawn";
    if (s && s->publicity_ended)
        names[n++] = "publicity-ended";
    if (n == 0) {
        snprintf(buf, size, "-");
        return;
    }
    for (size_t i = 0; i < n; i++)
        append(buf, size, &used, "%s%s", i ? "," : "", names[i]);
}

static int add_record_row(struct table *t, const Credit__V1__Record *r)
{
    const Credit__V1__RecordMeta *m = r->meta;
    char version[16], flags[64], occurred[64];

    if (!m)
        return table_add(t, (const char *[]){"", "", "", "", "", ""});
    char what[160];
    snprintf(version, sizeof version, "%u", m->version);
    status_flags(m->status, flags, sizeof flags);
    /* The public catalogue's records by their category, the others' by catalogue/section. */
    const char *cat = what;
    if (m->catalogue == CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC || !m->catalogue)
        cat = enum_short(&credit__v1__category__descriptor, m->category, "CATEGORY_");
    else
        snprintf(what, sizeof what, "%s/%s",
                 enum_short(&credit__v1__catalogue__descriptor, m->catalogue, "CATALOGUE_"),
                 dash(m->section));
    return table_add(t, (const char *[]){m->record_id, version, cat, m->source_unit, flags,
                                         format_time(m->occurred_at, occurred, sizeof occurred)});
}

int cmd_query(const struct config *cfg, int argc, char **argv)
{
    Credit__V1__Category cats[MAX_CATS];
    credit_catalogue catalogues[MAX_CATS];
    Credit__V1__ListRecordsResponse **pages = NULL;
    size_t n_pages = 0;
    credit_tier tier = CREDIT_TIER_OPEN;
    credit_client *c;
    credit_status st;
    struct table t;
    int subject_kind, rc;

    (void)argc;
    if ((rc = parse_read_tier(cfg, &tier)) != 0)
        return rc;
    for (size_t i = 0; i < cfg->n_cats; i++) {
        int v;
        if (parse_enum(&credit__v1__category__descriptor, cfg->cats[i], "CATEGORY_", &v))
            return usage_error("--category: unknown category '%s'", cfg->cats[i]);
        cats[i] = (Credit__V1__Category)v;
    }
    for (size_t i = 0; i < cfg->n_catalogues; i++) {
        if ((rc = parse_catalogue(cfg->catalogues[i], &catalogues[i], 1)) != 0)
            return rc;
    }
    for (size_t i = 0; i < cfg->n_sections; i++)
        if (!*cfg->sections[i])
            return usage_error("--section: an empty section code");
    if ((rc = parse_subject_kind(argv[0], &subject_kind)) != 0)
        return rc;
    if (!*argv[1])
        return usage_error("empty IDENTIFIER");
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;

    table_init(&t, 6);
    if (!cfg->json && table_add(&t, (const char *[]){_("RECORD ID"), _("VERSION"), _("CATEGORY"),
                                                     _("SOURCE"), _("STATUS"), _("OCCURRED")}) != 0)
        goto nomem;

    credit_record_filter filter;
    credit_record_filter_init(&filter);
    filter.subject_kind = (Credit__V1__SubjectKind)subject_kind;
    filter.subject_identifier = argv[1];
    filter.categories = cats;
    filter.n_categories = cfg->n_cats;
    filter.catalogues = catalogues;
    filter.n_catalogues = cfg->n_catalogues;
    filter.sections = cfg->sections;
    filter.n_sections = cfg->n_sections;
    filter.page_size = 500;
    for (;;) {
        if (n_pages == MAX_PAGES) {
            say("the node's record list does not end\n");
            rc = EXIT_ERR;
            goto out;
        }
        Credit__V1__ListRecordsResponse **grown = realloc(pages, (n_pages + 1) * sizeof *pages);
        if (!grown)
            goto nomem;
        pages = grown;
        if ((cfg->grant ? credit_client_authorized_record_list(c, cfg->grant, &filter,
                                                               &pages[n_pages], &st)
                        : credit_client_record_list(c, tier, &filter, &pages[n_pages], &st)) !=
            CREDIT_OK) {
            rc = report(&st);
            goto out;
        }
        Credit__V1__ListRecordsResponse *page = pages[n_pages++];
        for (size_t i = 0; i < page->n_records; i++) {
            if (cfg->json) {
                /* JSON Lines: printed as they come, one record a line. */
                json_write_message(stdout, &page->records[i]->base);
                putc('\n', stdout);
            } else if (add_record_row(&t, page->records[i]) != 0) {
                goto nomem;
            }
        }
        if (!page->next_page_token || !*page->next_page_token)
            break;
        filter.page_token = page->next_page_token; /* valid while the page is kept */
    }
    if (!cfg->json)
        table_print(stdout, &t);
    goto out;
nomem:
    say("out of memory\n");
    rc = EXIT_ERR;
out:
    table_cleanup(&t);
    for (size_t p = 0; p < n_pages; p++)
        credit__v1__list_records_response__free_unpacked(pages[p], NULL);
    free(pages);
    credit_client_destroy(c);
    return rc;
}

int cmd_get(const struct config *cfg, int argc, char **argv)
{
    Credit__V1__GetRecordResponse *resp = NULL;
    credit_tier tier = CREDIT_TIER_OPEN;
    credit_client *c;
    credit_status st;
    int rc;

    (void)argc;
    if ((rc = parse_read_tier(cfg, &tier)) != 0)
        return rc;
    if (!*argv[0])
        return usage_error("empty RECORD_ID");
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;
    if ((cfg->grant ? credit_client_authorized_record_get(c, cfg->grant, argv[0], &resp, &st)
                    : credit_client_record_get(c, tier, argv[0], &resp, &st)) != CREDIT_OK) {
        rc = report(&st);
        goto out;
    }
    json_write_message(stdout, &resp->base);
    putc('\n', stdout);
    credit__v1__get_record_response__free_unpacked(resp, NULL);
out:
    credit_client_destroy(c);
    return rc;
}
