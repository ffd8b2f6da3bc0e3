/*
 * partners.c — the commands for the partner platforms' data: mandate (the association
 * platform's mandates), optin (enterprises' consents to industrial data), verify and pending
 * (the office's verification of voluntary declarations), and series (an enterprise's
 * industrial metric through a tier).
 */
#include "creditctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_in.h"

/* Checks that --reason was given for `what`. Returns 0, or EXIT_USAGE after saying why. */
static int need_reason(const struct config *cfg, const char *what)
{
    if (!cfg->reason || !*cfg->reason)
        return usage_error("%s: --reason TEXT is required", what);
    return 0;
}

/* Prints a message a call answered (JSON, or `rows` for people), or the call's error; frees
 * the message. rows(msg, table) adds its rows. */
static int print_answer(const struct config *cfg, int call_rc, ProtobufCMessage *msg,
                        const credit_status *st, int (*rows)(const ProtobufCMessage *m,
                                                             struct table *t))
{
    struct table t;

    if (call_rc != CREDIT_OK)
        return report(st);
    int rc = 0;
    if (cfg->json) {
        print_json(msg);
    } else {
        int bad = table_start(&t, 2, 0, NULL);
        if (!bad)
            bad = rows(msg, &t) != 0;
        rc = table_finish(&t, bad);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}

/* A (name, value) row; the name is a word for people (N_ where it is written). */
static int add_field(struct table *t, const char *name, const char *value)
{
    return table_add(t, (const char *[]){gettext(name), value});
}

static int mandate_rows(const ProtobufCMessage *msg, struct table *t)
{
    const Credit__V1__Mandate *m = (const void *)msg;
    char registered[64], revoked[64];
    return add_field(t, N_("platform"), m->platform) ||
           add_field(t, N_("association"), m->association ? m->association->name : "") ||
           add_field(t, N_("association uscc"), m->association ? m->association->uscc : "") ||
           add_field(t, N_("status"), m->revoked ? _("revoked") : _("live")) ||
           add_field(t, N_("registered"),
                     format_time(m->registered_at, registered, sizeof registered)) ||
           add_field(t, N_("registered by"), dash(m->registered_by)) ||
           add_field(t, N_("revoked"), format_time(m->revoked_at, revoked, sizeof revoked)) ||
           add_field(t, N_("reason"), dash(m->reason));
}

static int mandate_register(struct session *s, int argc, char **argv)
{
    Credit__V1__Mandate *m = NULL;
    credit_status st;
    int rc;

    (void)argc;
    if ((rc = session_open(s)) != 0)
        return rc;
    rc = credit_client_mandate_register(s->c, argv[0], argv[2], argv[1], &m, &st);
    return print_answer(s->cfg, rc, m ? &m->base : NULL, &st, mandate_rows);
}

static int mandate_revoke(struct session *s, int argc, char **argv)
{
    Credit__V1__Mandate *m = NULL;
    credit_status st;
    int rc;

    (void)argc;
    if ((rc = need_reason(s->cfg, "mandate revoke")) != 0 || (rc = session_open(s)) != 0)
        return rc;
    rc = credit_client_mandate_revoke(s->c, argv[0], argv[1], s->cfg->reason, &m, &st);
    return print_answer(s->cfg, rc, m ? &m->base : NULL, &st, mandate_rows);
}

static int mandate_list(struct session *s, int argc, char **argv)
{
    Credit__V1__ListMandatesResponse *list = NULL;
    credit_status st;
    struct table t;
    int rc, bad;

    if ((rc = session_open(s)) != 0)
        return rc;
    if (credit_client_mandate_list(s->c, argc ? argv[0] : "", &list, &st) != CREDIT_OK)
        return report(&st);
    if (s->cfg->json) {
        print_json(&list->base);
        goto out;
    }
    bad = table_start(&t, 5, 0,
                      (const char *[]){_("PLATFORM"), _("ASSOCIATION USCC"), _("STATUS"),
                                       _("REGISTERED"), _("ASSOCIATION")});
    for (size_t i = 0; i < list->n_mandates && !bad; i++) {
        const Credit__V1__Mandate *m = list->mandates[i];
        char at[64];
        const char *row[] = {m->platform, m->association ? m->association->uscc : "",
                             m->revoked ? _("revoked") : _("live"),
                             format_time(m->registered_at, at, sizeof at),
                             m->association ? m->association->name : ""};
        bad = table_add(&t, row) != 0;
    }
    rc = table_finish(&t, bad);
out:
    credit__v1__list_mandates_response__free_unpacked(list, NULL);
    return rc;
}

static int optin_rows(const ProtobufCMessage *msg, struct table *t)
{
    const Credit__V1__OptIn *o = (const void *)msg;
    char registered[64], revoked[64];
    return add_field(t, N_("platform"), o->platform) ||
           add_field(t, N_("enterprise"), o->enterprise_uscc) ||
           add_field(t, N_("consent digest"), o->consent_digest) ||
           add_field(t, N_("status"), o->revoked ? _("revoked") : _("live")) ||
           add_field(t, N_("registered"),
                     format_time(o->registered_at, registered, sizeof registered)) ||
           add_field(t, N_("registered by"), dash(o->registered_by)) ||
           add_field(t, N_("revoked"), format_time(o->revoked_at, revoked, sizeof revoked)) ||
           add_field(t, N_("revoked by"), dash(o->revoked_by));
}

static int optin_register(struct session *s, int argc, char **argv)
{
    Credit__V1__OptIn *o = NULL;
    credit_status st;
    int rc;

    if ((rc = session_open(s)) != 0)
        return rc;
    rc = credit_client_optin_register(s->c, argv[0], argv[1], argc > 2 ? argv[2] : "", &o, &st);
    return print_answer(s->cfg, rc, o ? &o->base : NULL, &st, optin_rows);
}

static int optin_revoke(struct session *s, int argc, char **argv)
{
    Credit__V1__OptIn *o = NULL;
    credit_status st;
    int rc;

    if ((rc = session_open(s)) != 0)
        return rc;
    rc = credit_client_optin_revoke(s->c, argv[0], argc > 1 ? argv[1] : "", &o, &st);
    return print_answer(s->cfg, rc, o ? &o->base : NULL, &st, optin_rows);
}

static int optin_list(struct session *s, int argc, char **argv)
{
    Credit__V1__ListOptInsResponse *list = NULL;
    credit_status st;
    struct table t;
    int rc, bad;

    if ((rc = session_open(s)) != 0)
        return rc;
    if (credit_client_optin_list(s->c, argc ? argv[0] : "", &list, &st) != CREDIT_OK)
        return report(&st);
    if (s->cfg->json) {
        print_json(&list->base);
        goto out;
    }
    bad = table_start(&t, 5, 0,
                      (const char *[]){_("PLATFORM"), _("ENTERPRISE"), _("STATUS"), _("REGISTERED"),
                                       _("CONSENT DIGEST")});
    for (size_t i = 0; i < list->n_opt_ins && !bad; i++) {
        const Credit__V1__OptIn *o = list->opt_ins[i];
        char at[64];
        const char *row[] = {o->platform, o->enterprise_uscc, o->revoked ? _("revoked") : _("live"),
                             format_time(o->registered_at, at, sizeof at), o->consent_digest};
        bad = table_add(&t, row) != 0;
    }
    rc = table_finish(&t, bad);
out:
    credit__v1__list_opt_ins_response__free_unpacked(list, NULL);
    return rc;
}

/* clang-format off */
static const struct subcommand mandate_commands[] = {
    {"register", mandate_register, 3, 3, 0,          N_("PLATFORM ASSOCIATION_USCC ASSOCIATION_NAME")},
    {"revoke",   mandate_revoke,   2, 2, OPT_REASON, N_("PLATFORM ASSOCIATION_USCC --reason TEXT")},
    {"list",     mandate_list,     0, 1, 0,          N_("at most one PLATFORM")},
};

static const struct subcommand optin_commands[] = {
    {"register", optin_register, 2, 3, 0, N_("ENTERPRISE_USCC CONSENT_DIGEST [PLATFORM]")},
    {"revoke",   optin_revoke,   1, 2, 0, N_("ENTERPRISE_USCC [PLATFORM]")},
    {"list",     optin_list,     0, 1, 0, N_("at most one PLATFORM")},
};
/* clang-format on */

int cmd_mandate(const struct config *cfg, int argc, char **argv)
{
    return run_subcommand(cfg, "mandate", mandate_commands,
                          sizeof mandate_commands / sizeof mandate_commands[0],
                          "register, revoke, list", argc, argv);
}

int cmd_optin(const struct config *cfg, int argc, char **argv)
{
    return run_subcommand(cfg, "optin", optin_commands,
                          sizeof optin_commands / sizeof optin_commands[0],
                          "register, revoke, list", argc, argv);
}

/* --- verify, pending ----------------------------------------------------------------------- */

static int result_rows(const ProtobufCMessage *msg, struct table *t)
{
    const Credit__V1__PushResult *r = (const void *)msg;
    char version[16];
    snprintf(version, sizeof version, "%u", r->version);
    return add_field(t, N_("record"), r->record_id) || add_field(t, N_("version"), version) ||
           add_field(t, N_("outcome"),
                     enum_name(&credit__v1__push_outcome__descriptor, r->outcome));
}

int cmd_verify(const struct config *cfg, int argc, char **argv)
{
    Credit__V1__PushResult *r = NULL;
    credit_client *c;
    credit_status st;
    int rc;

    (void)argc;
    if (!*argv[0])
        return usage_error("verify: empty RECORD_ID");
    if (strcmp(argv[1], "verified") != 0 && strcmp(argv[1], "rejected") != 0)
        return usage_error("verify: '%s' is neither verified nor rejected", argv[1]);
    if ((rc = need_reason(cfg, "verify")) != 0 || (rc = open_client(cfg, &c)) != 0)
        return rc;
    rc = credit_client_declaration_verify(c, argv[0], strcmp(argv[1], "verified") == 0, cfg->reason,
                                          &r, &st);
    rc = print_answer(cfg, rc, r ? &r->base : NULL, &st, result_rows);
    credit_client_destroy(c);
    return rc;
}

/* A row of `pending`; a list of verdicts (decided) adds who gave it and why. */
static int add_pending_row(struct table *t, const Credit__V1__Record *r, int decided)
{
    const Credit__V1__RecordMeta *m = r->meta;
    char reported[64];
    const Credit__V1__VoluntaryClaim *claim =
        r->body_case == CREDIT__V1__RECORD__BODY_CLAIM ? r->claim : NULL;
    if (!m)
        return table_add(t, (const char *[]){"", "", "", "", "", "", "", ""});
    const Credit__V1__RecordStatus *s = m->status;
    return table_add(t, (const char *[]){m->record_id, dash(m->section),
                                         m->subject ? dash(m->subject->identifier) : "-",
                                         m->source_unit,
                                         format_time(m->reported_at, reported, sizeof reported),
                                         claim ? dash(claim->title) : "-",
                                         decided && s ? dash(s->verified_by) : "-",
                                         decided && s ? dash(s->verification_reason) : "-"});
}

int cmd_pending(const struct config *cfg, int argc, char **argv)
{
    Credit__V1__ListRecordsResponse **pages = NULL;
    size_t n_pages = 0;
    credit_client *c;
    credit_status st;
    struct table t;
    int rc, bad;

    Credit__V1__Verification state = CREDIT__V1__VERIFICATION__VERIFICATION_PENDING;
    if (argc == 1 && strcmp(argv[0], "verified") == 0)
        state = CREDIT__V1__VERIFICATION__VERIFICATION_VERIFIED;
    else if (argc == 1 && strcmp(argv[0], "rejected") == 0)
        state = CREDIT__V1__VERIFICATION__VERIFICATION_REJECTED;
    else if (argc == 1)
        return usage_error("pending: '%s' is neither verified nor rejected", argv[0]);
    int decided = state != CREDIT__V1__VERIFICATION__VERIFICATION_PENDING;
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;
    /* The queue keeps its six columns; a list of verdicts adds who gave each and why. */
    bad = table_start(&t, decided ? 8 : 6, 0,
                      cfg->json ? NULL
                                : (const char *[]){_("RECORD ID"), _("SECTION"), _("SUBJECT"),
                                                   _("SOURCE"), _("REPORTED"), _("TITLE"), _("BY"),
                                                   _("REASON")});
    const char *token = "";
    while (!bad) {
        Credit__V1__ListRecordsResponse **grown;
        if (n_pages == MAX_PAGES || !(grown = realloc(pages, (n_pages + 1) * sizeof *pages))) {
            say("the pending list does not end, or memory ran out\n");
            rc = EXIT_ERR;
            goto out;
        }
        pages = grown;
        if (credit_client_declaration_list(c, state, 500, token, &pages[n_pages], &st) !=
            CREDIT_OK) {
            rc = report(&st);
            goto out;
        }
        const Credit__V1__ListRecordsResponse *page = pages[n_pages++];
        for (size_t i = 0; i < page->n_records && !bad; i++) {
            if (cfg->json)
                print_json(&page->records[i]->base);
            else
                bad = add_pending_row(&t, page->records[i], decided) != 0;
        }
        token = page->next_page_token;
        if (!token || !*token)
            break;
    }
    rc = cfg->json ? (bad ? nomem() : 0) : table_finish(&t, bad);
out:
    table_cleanup(&t); /* a second time is harmless: table_finish leaves it empty */
    for (size_t i = 0; i < n_pages; i++)
        credit__v1__list_records_response__free_unpacked(pages[i], NULL);
    free(pages);
    credit_client_destroy(c);
    return rc;
}

/* --- series -------------------------------------------------------------------------------- */

/* Text that reads back as v: 15 significant digits when they suffice (no exponent for everyday
 * magnitudes, no 0.1000000000000001), more when they do not. */
static const char *format_double(double v, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* An RFC 3339 option into *ts. Returns 0, or EXIT_USAGE after saying why. */
static int parse_time_option(const char *flag, const char *text, Google__Protobuf__Timestamp *ts)
{
    long long seconds;
    int nanos;
    if (json_parse_timestamp(text, &seconds, &nanos) != 0)
        return usage_error("%s: '%s' is not an RFC 3339 time (2026-10-01T00:00:00+08:00)", flag,
                           text);
    ts->seconds = seconds;
    ts->nanos = nanos;
    return 0;
}

static int add_point_row(struct table *t, const Credit__V1__SeriesPoint *pt, int monthly)
{
    char when[64], value[40], n[16];
    format_double(pt->value, value, sizeof value);
    if (monthly) {
        snprintf(n, sizeof n, "%u", pt->samples);
        return table_add(t, (const char *[]){pt->month, value, n, pt->platform});
    }
    snprintf(n, sizeof n, "%u", pt->period_seconds);
    return table_add(t, (const char *[]){format_time(pt->period_start, when, sizeof when), n,
                                         value, pt->platform});
}

int cmd_series(const struct config *cfg, int argc, char **argv)
{
    Google__Protobuf__Timestamp from = GOOGLE__PROTOBUF__TIMESTAMP__INIT,
                                to = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    Credit__V1__SeriesRequest req = CREDIT__V1__SERIES_REQUEST__INIT;
    Credit__V1__SeriesResponse *page = NULL;
    credit_tier tier = CREDIT_TIER_OPEN;
    char *token = NULL;
    credit_client *c;
    credit_status st;
    struct table t;
    int rc, bad;

    (void)argc;
    if ((rc = parse_read_tier(cfg, &tier)) != 0)
        return rc;
    for (int i = 0; i < 3; i++)
        if (!*argv[i])
            return usage_error("series: empty %s", i == 0 ? "USCC" : i == 1 ? "SECTION" : "METRIC");
    if ((cfg->from && (rc = parse_time_option("--from", cfg->from, &from)) != 0) ||
        (cfg->to && (rc = parse_time_option("--to", cfg->to, &to)) != 0))
        return rc;
    req.enterprise_uscc = argv[0];
    req.section = argv[1];
    req.metric = argv[2];
    req.since = cfg->from ? &from : NULL;
    req.to = cfg->to ? &to : NULL;
    req.aggregation = cfg->monthly ? CREDIT__V1__AGGREGATION__AGGREGATION_MONTHLY_TOTAL
                                   : CREDIT__V1__AGGREGATION__AGGREGATION_UNSPECIFIED;
    req.page_size = 10000;
    req.page_token = (char *)"";
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;
    bad = table_start(
        &t, 4, 0,
        cfg->json ? NULL
        : cfg->monthly
            ? (const char *[]){_("MONTH"), _("TOTAL"), _("SAMPLES"), _("PLATFORM")}
            : (const char *[]){_("PERIOD START"), _("SECONDS"), _("VALUE"), _("PLATFORM")});
    for (size_t pages = 0; !bad; pages++) {
        if (pages == MAX_PAGES) {
            say("the node's series does not end\n");
            rc = EXIT_ERR;
            goto out;
        }
        if ((cfg->grant ? credit_client_authorized_series_get(c, cfg->grant, &req, &page, &st)
                        : credit_client_series_get(c, tier, &req, &page, &st)) != CREDIT_OK) {
            rc = report(&st);
            goto out;
        }
        if (cfg->json)
            print_json(&page->base);
        for (size_t i = 0; i < page->n_points && !bad && !cfg->json; i++)
            bad = add_point_row(&t, page->points[i], cfg->monthly) != 0;
        free(token);
        token = page->next_page_token && *page->next_page_token
                    ? strdup(page->next_page_token)
                    : NULL;
        int more = page->next_page_token && *page->next_page_token;
        credit__v1__series_response__free_unpacked(page, NULL);
        page = NULL;
        if (!more)
            break;
        if (!token)
            bad = 1;
        req.page_token = token;
    }
    rc = cfg->json ? (bad ? nomem() : 0) : table_finish(&t, bad);
out:
    table_cleanup(&t); /* a second time is harmless: table_finish leaves it empty */
    free(token);
    credit_client_destroy(c);
    return rc;
}
