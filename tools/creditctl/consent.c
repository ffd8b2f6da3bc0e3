/*
 * consent.c — creditctl consent: a lender's consent requests and a subject's decisions on
 * them (credit.v1.Authorization). The reads under a grant are query, get and series with
 * --grant (query.c, partners.c).
 *
 * For people a grant prints as field/value lines, its transitions last, one a line; a list
 * of grants or uses as a table. The names, headings and words follow the locale (gettext);
 * the values (ids, statuses, units, codes) are the node's and never do. --json prints the
 * node's messages.
 */
#include "creditctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What consent list takes: said by run_subcommand (none or three and more) and by
 * consent_list (one) alike. */
static const char list_args[] = N_("no arguments, or SUBJECT_KIND IDENTIFIER");

static const char *status_text(int s)
{
    return enum_short(&credit__v1__grant_status__descriptor, s, "GRANT_STATUS_");
}

static void date_text(const Credit__V1__Date *d, char *buf, size_t size)
{
    if (d)
        snprintf(buf, size, "%04d-%02d-%02d", d->year, d->month, d->day);
    else
        snprintf(buf, size, "-");
}

/* Appends the i-th value of one list of the scope: the first after the list's name (a word
 * for people, N_ where it is written), and after "; " when another list came before. */
static void scope_item(char *buf, size_t size, size_t *used, const char *list, size_t i,
                       const char *value)
{
    if (i)
        append(buf, size, used, ",%s", value);
    else if (*used)
        append(buf, size, used, _("; %s %s"), gettext(list), value);
    else
        append(buf, size, used, "%s %s", gettext(list), value);
}

/* The scope as one line: "catalogues PUBLIC; categories PENALTY; sections ..." or
 * "portrait template NAME". The lists' names follow the locale; the values are the node's. */
static void scope_text(const Credit__V1__GrantScope *s, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    if (!s) {
        snprintf(buf, size, "-");
        return;
    }
    if (s->portrait_template[0]) {
        snprintf(buf, size, _("portrait template %s"), s->portrait_template);
        return;
    }
    for (size_t i = 0; i < s->n_catalogues; i++)
        scope_item(buf, size, &used, N_("catalogues"), i,
                   enum_short(&credit__v1__catalogue__descriptor, s->catalogues[i], "CATALOGUE_"));
    for (size_t i = 0; i < s->n_categories; i++)
        scope_item(buf, size, &used, N_("categories"), i,
                   enum_short(&credit__v1__category__descriptor, s->categories[i], "CATEGORY_"));
    for (size_t i = 0; i < s->n_sections; i++)
        scope_item(buf, size, &used, N_("sections"), i, s->sections[i]);
}

/* Prints grant g (and frees it), or the call's error. */
static int print_grant(const struct config *cfg, int call_rc, Credit__V1__Grant *g,
                       const credit_status *st)
{
    if (call_rc != CREDIT_OK)
        return report(st);
    int rc = 0;
    if (cfg->json) {
        print_json(&g->base);
    } else {
        char subject[160], scope[512], dates[64], from[64], until[64], uses[32], a[16], b[16];
        snprintf(subject, sizeof subject, "%s %s",
                 g->subject ? enum_short(&credit__v1__subject_kind__descriptor, g->subject->kind,
                                         "SUBJECT_KIND_")
                            : "-",
                 g->subject ? g->subject->identifier : "");
        scope_text(g->scope, scope, sizeof scope);
        date_text(g->data_from, a, sizeof a);
        date_text(g->data_to, b, sizeof b);
        snprintf(dates, sizeof dates, _("%s to %s"), a, b);
        snprintf(uses, sizeof uses, _("%u of %u"), g->uses, g->use_limit);
        const char *rows[][2] = {
            {N_("grant"), g->grant_id},
            {N_("status"), status_text(g->status)},
            {N_("subject"), subject},
            {N_("grantee"), g->grantee},
            {N_("purpose"), g->purpose_code},
            {N_("purpose text"), g->purpose_text},
            {N_("scope"), scope},
            {N_("record dates"), dates},
            {N_("valid from"), format_time(g->valid_from, from, sizeof from)},
            {N_("valid until"), format_time(g->valid_until, until, sizeof until)},
            {N_("uses"), uses},
            {N_("document digest"), dash(g->document_digest)},
            {N_("approved by"), dash(g->approved_by)},
        };
        rc = print_fields(rows, sizeof rows / sizeof rows[0], 0);
        for (size_t i = 0; i < g->n_history && rc == 0; i++) {
            const Credit__V1__GrantTransition *t = g->history[i];
            const char *by = t->by[0] ? t->by : _("the node (expiry)");
            char at[64];
            format_time(t->at, at, sizeof at);
            if (t->reason[0])
                printf(_("  %s %s by %s: %s\n"), at, status_text(t->status), by, t->reason);
            else
                printf(_("  %s %s by %s\n"), at, status_text(t->status), by);
        }
    }
    credit__v1__grant__free_unpacked(g, NULL);
    return rc;
}

static int consent_request(struct session *s, int argc, char **argv)
{
    ProtobufCMessage *req = NULL;
    Credit__V1__Grant *g = NULL;
    credit_status st;
    int rc;

    (void)argc;
    if ((rc = read_json_message(argv[0], &credit__v1__request_consent_request__descriptor, &req)) !=
        0)
        return rc;
    if ((rc = session_open(s)) == 0) {
        rc = credit_client_consent_request(s->c, (const Credit__V1__RequestConsentRequest *)req, &g,
                                           &st);
        rc = print_grant(s->cfg, rc, g, &st);
    }
    protobuf_c_message_free_unpacked(req, NULL);
    return rc;
}

static int consent_approve(struct session *s, int argc, char **argv)
{
    Credit__V1__Grant *g = NULL;
    credit_status st;
    int rc;

    if ((rc = session_open(s)) != 0)
        return rc;
    rc = credit_client_consent_approve(s->c, argv[0], argc > 1 ? argv[1] : "", &g, &st);
    return print_grant(s->cfg, rc, g, &st);
}

/* reject, pause, resume, revoke: the grant id and an optional --reason. */
static int decision(struct session *s, char **argv,
                    int (*call)(credit_client *, const char *, const char *, Credit__V1__Grant **,
                                credit_status *))
{
    Credit__V1__Grant *g = NULL;
    credit_status st;
    int rc;

    if ((rc = session_open(s)) != 0)
        return rc;
    rc = call(s->c, argv[0], s->cfg->reason, &g, &st);
    return print_grant(s->cfg, rc, g, &st);
}

static int consent_reject(struct session *s, int argc, char **argv)
{
    (void)argc;
    return decision(s, argv, credit_client_consent_reject);
}

static int consent_pause(struct session *s, int argc, char **argv)
{
    (void)argc;
    return decision(s, argv, credit_client_grant_pause);
}

static int consent_resume(struct session *s, int argc, char **argv)
{
    (void)argc;
    return decision(s, argv, credit_client_grant_resume);
}

static int consent_revoke(struct session *s, int argc, char **argv)
{
    (void)argc;
    return decision(s, argv, credit_client_grant_revoke);
}

static int consent_show(struct session *s, int argc, char **argv)
{
    Credit__V1__Grant *g = NULL;
    credit_status st;
    int rc;

    (void)argc;
    if ((rc = session_open(s)) != 0)
        return rc;
    rc = credit_client_grant_get(s->c, argv[0], &g, &st);
    return print_grant(s->cfg, rc, g, &st);
}

/* Copies the next page's token out of a page about to be freed: 0, or 1 when it is the last
 * page, or -1 when the token does not fit (never: the node's tokens are shorter). */
static int next_token(const char *from, char *to, size_t cap)
{
    if (!from || !from[0])
        return 1;
    return snprintf(to, cap, "%s", from) < (int)cap ? 0 : -1;
}

static int consent_list(struct session *s, int argc, char **argv)
{
    Credit__V1__ListGrantsResponse *list = NULL;
    credit_status st;
    struct table t;
    char token[512] = "";
    int kind = 0, rc, bad = 0, last = 0;

    if (argc == 1)
        return usage_error("%s %s: expected %s", "consent", "list", _(list_args));
    if (argc == 2 && (rc = parse_subject_kind(argv[0], &kind)) != 0)
        return rc;
    if ((rc = session_open(s)) != 0)
        return rc;
    if (!s->cfg->json)
        bad = table_start(&t, 6, 0,
                          (const char *[]){_("GRANT"), _("STATUS"), _("SUBJECT"), _("GRANTEE"),
                                           _("USES"), _("VALID UNTIL")});
    /* Page after page (--json: each page's message, a line each). */
    while (!last && !bad) {
        if (credit_client_grant_list(s->c, (Credit__V1__SubjectKind)kind,
                                     argc == 2 ? argv[1] : NULL, token, &list,
                                     &st) != CREDIT_OK) {
            if (!s->cfg->json)
                table_cleanup(&t);
            return report(&st);
        }
        if (s->cfg->json)
            print_json(&list->base);
        for (size_t i = 0; i < list->n_grants && !bad && !s->cfg->json; i++) {
            const Credit__V1__Grant *g = list->grants[i];
            char uses[32], until[64];
            snprintf(uses, sizeof uses, "%u/%u", g->uses, g->use_limit);
            const char *row[] = {g->grant_id,
                                 status_text(g->status),
                                 g->subject ? g->subject->identifier : "-",
                                 g->grantee,
                                 uses,
                                 format_time(g->valid_until, until, sizeof until)};
            bad = table_add(&t, row) != 0;
        }
        last = next_token(list->next_page_token, token, sizeof token);
        bad = bad || last < 0;
        credit__v1__list_grants_response__free_unpacked(list, NULL);
    }
    return s->cfg->json ? (bad ? EXIT_ERR : 0) : table_finish(&t, bad);
}

static int consent_uses(struct session *s, int argc, char **argv)
{
    Credit__V1__ListUsesResponse *list = NULL;
    credit_status st;
    struct table t;
    char token[512] = "";
    int rc, bad = 0, last = 0;

    (void)argc;
    if ((rc = session_open(s)) != 0)
        return rc;
    /* "USED BY", not "BY": the pending list's BY is the verifier, and one English word has
     * one translation. */
    if (!s->cfg->json)
        bad = table_start(&t, 5, 0,
                          (const char *[]){_("USE"), _("AT"), _("USED BY"), _("METHOD"),
                                           _("READ")});
    while (!last && !bad) {
        if (credit_client_grant_uses(s->c, argv[0], token, &list, &st) != CREDIT_OK) {
            if (!s->cfg->json)
                table_cleanup(&t);
            return report(&st);
        }
        if (s->cfg->json)
            print_json(&list->base);
        for (size_t i = 0; i < list->n_uses && !bad && !s->cfg->json; i++) {
            const Credit__V1__GrantUse *u = list->uses[i];
            char n[16], at[64];
            snprintf(n, sizeof n, "%u", u->number);
            const char *row[] = {n, format_time(u->at, at, sizeof at), u->used_by, u->method,
                                 u->read};
            bad = table_add(&t, row) != 0;
        }
        last = next_token(list->next_page_token, token, sizeof token);
        bad = bad || last < 0;
        credit__v1__list_uses_response__free_unpacked(list, NULL);
    }
    return s->cfg->json ? (bad ? EXIT_ERR : 0) : table_finish(&t, bad);
}

/* clang-format off */
static const struct subcommand consent_commands[] = {
    {"request", consent_request, 1, 1, 0,          N_("FILE (or - for stdin)")},
    {"approve", consent_approve, 1, 2, 0,          N_("GRANT_ID [DOCUMENT_DIGEST]")},
    {"reject",  consent_reject,  1, 1, OPT_REASON, N_("GRANT_ID [--reason TEXT]")},
    {"pause",   consent_pause,   1, 1, OPT_REASON, N_("GRANT_ID [--reason TEXT]")},
    {"resume",  consent_resume,  1, 1, OPT_REASON, N_("GRANT_ID [--reason TEXT]")},
    {"revoke",  consent_revoke,  1, 1, OPT_REASON, N_("GRANT_ID [--reason TEXT]")},
    {"show",    consent_show,    1, 1, 0,          N_("GRANT_ID")},
    {"list",    consent_list,    0, 2, 0,          list_args},
    {"uses",    consent_uses,    1, 1, 0,          N_("GRANT_ID")},
};
/* clang-format on */

int cmd_consent(const struct config *cfg, int argc, char **argv)
{
    return run_subcommand(
        cfg, "consent", consent_commands, sizeof consent_commands / sizeof consent_commands[0],
        "request, approve, reject, pause, resume, revoke, show, list, uses", argc, argv);
}
