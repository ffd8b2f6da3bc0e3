/*
 * governance.c — creditctl catalogue's change-request workflow: propose (a government
 * unit), review and decide (the office), get one request and list their history.
 */
#include "creditctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_in.h"

int cat_propose(struct session *s, int argc, char **argv)
{
    Credit__V1__ChangeRequest *ch = NULL;
    ProtobufCMessage *req = NULL;
    credit_status st;
    int rc;

    (void)argc;
    if ((rc = read_json_message(argv[0], &credit__v1__propose_change_request__descriptor, &req)) !=
        0)
        return rc;
    if ((rc = session_open(s)) == 0) {
        rc = credit_client_change_propose(s->c, (const Credit__V1__ProposeChangeRequest *)req, &ch,
                                          &st);
        rc = print_change_answer(s->cfg, rc, ch, &st);
    }
    protobuf_c_message_free_unpacked(req, NULL);
    return rc;
}

/* Checks the arguments of review and decide: ID, a verdict (`yes` or `no`, into *positive) and
 * --reason. Returns 0, or EXIT_USAGE after saying why. */
static int parse_step(const struct config *cfg, const char *sub, char **argv, const char *yes,
                      const char *no, int *positive)
{
    if (!*argv[0])
        return usage_error("catalogue %s: empty ID", sub);
    if (strcmp(argv[1], yes) != 0 && strcmp(argv[1], no) != 0)
        return usage_error("catalogue %s: '%s' is neither %s nor %s", sub, argv[1], yes, no);
    if (!cfg->reason || !*cfg->reason)
        return usage_error("catalogue %s: --reason TEXT is required", sub);
    *positive = strcmp(argv[1], yes) == 0;
    return 0;
}

int cat_review(struct session *s, int argc, char **argv)
{
    Credit__V1__ChangeRequest *ch = NULL;
    credit_status st;
    int pass = 0, rc;

    (void)argc;
    if ((rc = parse_step(s->cfg, "review", argv, "pass", "fail", &pass)) != 0 ||
        (rc = session_open(s)) != 0)
        return rc;
    rc = credit_client_change_review(s->c, argv[0], pass, s->cfg->reason, &ch, &st);
    return print_change_answer(s->cfg, rc, ch, &st);
}

int cat_decide(struct session *s, int argc, char **argv)
{
    Credit__V1__ChangeRequest *ch = NULL;
    credit_status st;
    long long effective = 0; /* now */
    int approve = 0, nanos, rc;

    (void)argc;
    if ((rc = parse_step(s->cfg, "decide", argv, "approve", "reject", &approve)) != 0)
        return rc;
    if (s->cfg->effective) {
        /* The library takes whole seconds, 0 meaning now: a fraction is dropped, and the
         * epoch itself cannot be asked for. */
        if (!approve)
            return usage_error("catalogue decide: --effective goes with approve only");
        if (json_parse_timestamp(s->cfg->effective, &effective, &nanos) != 0)
            return usage_error("--effective: '%s' is not an RFC 3339 time "
                               "(2026-10-01T00:00:00+08:00)",
                               s->cfg->effective);
        if (effective == 0)
            return usage_error("--effective: the epoch itself means now; leave it out");
    }
    if ((rc = session_open(s)) != 0)
        return rc;
    rc = credit_client_change_decide(s->c, argv[0], approve, s->cfg->reason, (int64_t)effective,
                                     &ch, &st);
    return print_change_answer(s->cfg, rc, ch, &st);
}

int cat_get(struct session *s, int argc, char **argv)
{
    Credit__V1__ChangeRequest *ch = NULL;
    credit_status st;
    int rc;

    (void)argc;
    if (!*argv[0])
        return usage_error("catalogue get: empty ID");
    if ((rc = session_open(s)) != 0)
        return rc;
    rc = credit_client_change_get(s->c, argv[0], &ch, &st);
    return print_change_answer(s->cfg, rc, ch, &st);
}

static int add_change_row(struct table *t, const Credit__V1__ChangeRequest *ch)
{
    char what[512], at[64], version[16];
    const char *none = "-";

    snprintf(what, sizeof what, "%s/%s/%s", catalogue_text(ch->catalogue), ch->section,
             change_dimension(ch));
    snprintf(version, sizeof version, "%u", ch->resulting_version);
    const char *row[] = {ch->id,
                         enum_name(&credit__v1__change_state__descriptor, ch->state),
                         enum_name(&credit__v1__change_kind__descriptor, ch->kind),
                         what,
                         ch->filed ? dash(ch->filed->unit) : none,
                         format_time(ch->filed ? ch->filed->at : NULL, at, sizeof at),
                         ch->review ? dash(ch->review->unit) : none,
                         ch->decision ? dash(ch->decision->unit) : none,
                         ch->resulting_version ? version : none};
    return table_add(t, row);
}

int cat_history(struct session *s, int argc, char **argv)
{
    Credit__V1__ListChangesResponse *list = NULL;
    credit_status st;
    struct table t;
    int state = 0, bad, rc; /* 0: every state */

    (void)argc;
    (void)argv;
    if (s->cfg->state &&
        parse_enum(&credit__v1__change_state__descriptor, s->cfg->state, "CHANGE_STATE_", &state))
        return usage_error("--state: unknown state '%s' (filed, review_passed, review_failed, "
                           "approved, rejected)",
                           s->cfg->state);
    if ((rc = session_open(s)) != 0)
        return rc;
    if (credit_client_change_list(s->c, (Credit__V1__ChangeState)state, &list, &st) != CREDIT_OK)
        return report(&st);
    if (s->cfg->json) {
        print_json(&list->base);
        goto out;
    }
    bad = table_start(&t, 9, 0,
                      (const char *[]){_("ID"), _("STATE"), _("KIND"), _("CHANGE"),
                                       _("PROPOSED BY"), _("PROPOSED AT"), _("REVIEWED BY"),
                                       _("DECIDED BY"), _("VERSION")});
    for (size_t i = 0; i < list->n_changes && !bad; i++)
        bad = add_change_row(&t, list->changes[i]) != 0;
    rc = table_finish(&t, bad);
out:
    credit__v1__list_changes_response__free_unpacked(list, NULL);
    return rc;
}
