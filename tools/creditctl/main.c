/*
 * creditctl — the operators' command line for a credit data-exchange node.
 *
 *   creditctl [--target HOST:PORT] [--ca FILE] [--cert FILE] [--key FILE] [--timeout MS]
 *             [--json] COMMAND [ARGS]
 *
 * Like curl's CLI, it is built only on the public client library (credit/client.h) and the
 * generated message headers that header brings in; nothing here knows about gRPC. Output for
 * people is an aligned table; --json gives scripts the node's messages in the proto3 JSON
 * mapping (json_out.c).
 *
 * This file is the dispatcher: it parses the global and command-specific options into one
 * struct config, checks the command's argument count and options against the `commands`
 * table, takes the node's address and certificate files from the flags or the environment,
 * and runs the command. Each command group lives in its own file (creditctl.h lists them);
 * a command sees only the config and its own arguments, and returns the exit status.
 *
 * Exit status: 0 success (health: serving), 1 the node or the library reported an error
 * (printed as "creditctl: CODE_NAME: message"; health: not serving), 2 a usage error.
 */
#include "creditctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] = N_(
    "\n"
    "Commands:\n"
    "  health [SERVICE]             SERVING or NOT_SERVING (exit 1 when not serving)\n"
    "  whoami                       the unit the node takes this certificate to be\n"
    "  units [--kind KIND]          every registered unit\n"
    "  query --tier open|government [--category CAT ...] [--catalogue NAME ...]\n"
    "        [--section CODE ...] SUBJECT_KIND IDENTIFIER\n"
    "                               a subject's records (--json: one record per line), of\n"
    "                               the catalogues and sections named (default: every one the\n"
    "                               tier shares); --category narrows public records\n"
    "  get --tier open|government RECORD_ID\n"
    "                               one record as JSON (government: with its history)\n"
    "  push [--catalogue NAME] [--format jsonl|csv] [--encoding ENC] [--map FILE]\n"
    "       [--amount-unit yuan|fen] [--rejects FILE] [--batch N] [--state FILE] [--restart]\n"
    "       FILE|-                  import a file (or - for stdin) into a catalogue: public\n"
    "                               (default), service-unit, association, voluntary or\n"
    "                               industrial. One input message a row: PublicRecordInput,\n"
    "                               ServiceUnitRecordInput, AssociationRecordInput,\n"
    "                               VoluntaryRecordInput or Sample (industrial)\n"
    "                 jsonl:        one message a line, in proto3 JSON\n"
    "                 csv:          RFC 4180; the header names each column by its field path\n"
    "                               (subject.name, penalty.decision_date); an empty cell leaves\n"
    "                               the field unset; enums by name; a Timestamp as RFC 3339; a\n"
    "                               Date as YYYY-MM-DD or as .year .month .day columns;\n"
    "                               extra.CODE a value of the extra map, its kind from the text\n"
    "                               (a date, a whole number, a decimal, true/false, else text)\n"
    "                               or from the header: extra.CODE:text|integer|decimal|flag|\n"
    "                               date. An unknown column stops the import before it sends.\n"
    "                               The format follows the suffix (.csv, else jsonl).\n"
    "                               --encoding utf-8|gb18030|gbk|gb2312 (default UTF-8, with\n"
    "                               or without a BOM); --map FILE: the clerk's column names;\n"
    "                               --amount-unit: the unit of amounts in yuan or fen, never\n"
    "                               guessed; --rejects FILE: each rejected row as it was, with\n"
    "                               its reason and column, to fix and import again.\n"
    "                               Rows go in PushBatch calls of N (1..1000) or in batched\n"
    "                               streams of 5000 (250 a message; samples: one a message);\n"
    "                               after each acknowledged\n"
    "                               group the state file (default FILE.state) records how far\n"
    "                               the import has come (a group the node did not acknowledge\n"
    "                               stored nothing), and a run that finds it sends only the\n"
    "                               rest (a finished import sends nothing; --restart imports\n"
    "                               from the first row again; a state of another file is\n"
    "                               refused). On a terminal a progress line shows rows sent and\n"
    "                               acknowledged, the rate and how much of the file is read.\n"
    "                               Prints a summary, what earlier runs did, and each rejected\n"
    "                               row with its line (CSV: the header is line 1), column and\n"
    "                               reason (--json: one result a line; samples: the rejections\n"
    "                               and a summary line). Exit 1 if any row was rejected, 2 for\n"
    "                               an unreadable input (bad header, unclosed quote) or state\n"
    "                               file\n"
    "  series --tier open|government [--from RFC3339] [--to RFC3339] [--monthly]\n"
    "         USCC SECTION METRIC   an enterprise's industrial metric: its samples, or the\n"
    "                               totals per month (China Standard Time) and platform\n"
    "                               (--json: the SeriesResponse pages, one a line)\n"
    "  mandate register PLATFORM ASSOCIATION_USCC ASSOCIATION_NAME\n"
    "  mandate revoke PLATFORM ASSOCIATION_USCC --reason TEXT\n"
    "  mandate list [PLATFORM]      the association platform's mandates (register and revoke:\n"
    "                               the office; list: the office, or a platform its own)\n"
    "  optin register ENTERPRISE_USCC CONSENT_DIGEST [PLATFORM]\n"
    "  optin revoke ENTERPRISE_USCC [PLATFORM]\n"
    "  optin list [PLATFORM]        an industrial platform's opt-ins (a platform names none:\n"
    "                               its own; the office names the platform). CONSENT_DIGEST:\n"
    "                               the SHA-256 of the signed consent, 64 hex digits\n"
    "  verify RECORD_ID verified|rejected --reason TEXT\n"
    "                               the office's verdict on a voluntary declaration\n"
    "  pending [verified|rejected]  the voluntary declarations waiting for verification, or\n"
    "                               those verified or rejected, with the office's reason\n"
    "                               (--json: one record per line)\n"
    "  catalogue list               the catalogue's versions (* marks the one in force), then\n"
    "                               the catalogues in force with their counts of sections\n"
    "                               and dimensions (common ones included)\n"
    "  catalogue show [VERSION]     a version (default: the one in force): each catalogue,\n"
    "                               section (responsibility, publicity) and dimension\n"
    "  catalogue diff V1 V2         what changed from V1 to V2, a line each: + added, - removed,\n"
    "                               ~ changed (which attributes); exit 0 either way\n"
    "  catalogue propose FILE       file a change: one credit.v1.ProposeChangeRequest as JSON\n"
    "                               (FILE, or - for stdin); prints the request, its id first\n"
    "  catalogue review ID pass|fail --reason TEXT\n"
    "                               compliance review of a filed request (the office)\n"
    "  catalogue decide ID approve|reject --reason TEXT [--effective RFC3339]\n"
    "                               deliberation of a request that passed review (the office);\n"
    "                               approval makes a new version, in force from --effective\n"
    "                               (whole seconds; default now)\n"
    "  catalogue history [--state STATE]\n"
    "                               the change requests, oldest first (STATE: filed,\n"
    "                               review_passed, review_failed, approved, rejected)\n"
    "  catalogue get ID             one change request in full\n"
    "  (--json: each catalogue command prints the node's messages; list prints\n"
    "  {\"list\":ListVersionsResponse,\"current\":CatalogueVersion}, diff an object of the\n"
    "  differences)\n"
    "  consent request FILE         a lender asks a subject for consent: one\n"
    "                               credit.v1.RequestConsentRequest as JSON (FILE, or - for\n"
    "                               stdin); prints the grant, its id first\n"
    "  consent approve GRANT_ID [DOCUMENT_DIGEST]\n"
    "                               the subject approves (the portal relaying it must give\n"
    "                               the SHA-256 of the signed authorization document)\n"
    "  consent reject|pause|resume|revoke GRANT_ID [--reason TEXT]\n"
    "                               the subject's (or the portal's) other decisions\n"
    "  consent show GRANT_ID        one grant with its history of transitions\n"
    "  consent list [SUBJECT_KIND IDENTIFIER]\n"
    "                               the caller's grants (the portal names the subject)\n"
    "  consent uses GRANT_ID        every use of a grant: who, when, what was read\n"
    "  query, get and series with --grant GRANT_ID read the authorized tier under a grant\n"
    "                               (AuthorizedQuery; no --tier): each call is one use\n"
    "  portrait key FILE            the node's portrait signing key (PEM) into FILE; prints\n"
    "                               its algorithm and key id\n"
    "  portrait get SUBJECT_KIND IDENTIFIER TEMPLATE GRANT_ID FILE\n"
    "                               a lender's signed credit portrait under a grant, into FILE\n"
    "                               (the bytes the node signed); prints its items\n"
    "  portrait verify FILE [KEY_FILE]\n"
    "                               checks FILE's signature against KEY_FILE, offline (without\n"
    "                               it: the node's key, fetched first); exit 1 if it fails\n"
    "\n"
    "Options (each of the first four may come from CREDIT_TARGET, CREDIT_CA, CREDIT_CERT,\n"
    "CREDIT_KEY; a flag wins):\n"
    "  --target HOST:PORT   the node\n"
    "  --ca FILE            PEM CA certificate(s) that signed the node's certificate\n"
    "  --cert FILE          PEM certificate of this unit\n"
    "  --key FILE           PEM private key of that certificate\n"
    "  --timeout MS         deadline of each call (default 30000)\n"
    "  --json               JSON output for scripts\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 success, 1 an error from the node or the library, 2 a usage error.\n");

/* clang-format off */
static const struct command commands[] = {
    {"health", cmd_health, 0, 1, 0},
    {"whoami", cmd_whoami, 0, 0, 0},
    {"units",  cmd_units,  0, 0, OPT_KIND},
    {"query",  cmd_query,  2, 2, OPT_TIER | OPT_CATEGORY | OPT_CATALOGUE | OPT_SECTION | OPT_GRANT},
    {"get",    cmd_get,    1, 1, OPT_TIER | OPT_GRANT},
    {"push",   cmd_push,   1, 1, OPT_BATCH | OPT_CATALOGUE | OPT_FORMAT | OPT_STATE | OPT_RESTART |
                                  OPT_REJECTS | OPT_ENCODING | OPT_MAP | OPT_AMOUNT_UNIT},
    {"catalogue", cmd_catalogue, 1, 3, OPT_STATE | OPT_REASON | OPT_EFFECTIVE},
    {"series",  cmd_series,  3, 3, OPT_TIER | OPT_FROM | OPT_TO | OPT_MONTHLY | OPT_GRANT},
    {"mandate", cmd_mandate, 1, 4, OPT_REASON},
    {"optin",   cmd_optin,   1, 4, 0},
    {"verify",  cmd_verify,  2, 2, OPT_REASON},
    {"pending", cmd_pending, 0, 1, 0},
    {"consent", cmd_consent, 1, 3, OPT_REASON},
    {"portrait", cmd_portrait, 1, 6, 0},
};
/* clang-format on */

/* --- main ---------------------------------------------------------------------------------- */

enum {
    LONG_TARGET = 256,
    LONG_CA,
    LONG_CERT,
    LONG_KEY,
    LONG_TIMEOUT,
    LONG_JSON,
    LONG_KIND,
    LONG_TIER,
    LONG_CATEGORY,
    LONG_BATCH,
    LONG_STATE,
    LONG_REASON,
    LONG_EFFECTIVE,
    LONG_VERSION,
    LONG_CATALOGUE,
    LONG_SECTION,
    LONG_FORMAT,
    LONG_RESTART,
    LONG_FROM,
    LONG_TO,
    LONG_MONTHLY,
    LONG_REJECTS,
    LONG_ENCODING,
    LONG_MAP,
    LONG_AMOUNT_UNIT,
    LONG_GRANT,
};

static const struct option long_opts[] = {
    {"target", required_argument, NULL, LONG_TARGET},
    {"ca", required_argument, NULL, LONG_CA},
    {"cert", required_argument, NULL, LONG_CERT},
    {"key", required_argument, NULL, LONG_KEY},
    {"timeout", required_argument, NULL, LONG_TIMEOUT},
    {"json", no_argument, NULL, LONG_JSON},
    {"kind", required_argument, NULL, LONG_KIND},
    {"tier", required_argument, NULL, LONG_TIER},
    {"category", required_argument, NULL, LONG_CATEGORY},
    {"batch", required_argument, NULL, LONG_BATCH},
    {"state", required_argument, NULL, LONG_STATE},
    {"reason", required_argument, NULL, LONG_REASON},
    {"effective", required_argument, NULL, LONG_EFFECTIVE},
    {"version", no_argument, NULL, LONG_VERSION},
    {"catalogue", required_argument, NULL, LONG_CATALOGUE},
    {"section", required_argument, NULL, LONG_SECTION},
    {"format", required_argument, NULL, LONG_FORMAT},
    {"restart", no_argument, NULL, LONG_RESTART},
    {"from", required_argument, NULL, LONG_FROM},
    {"to", required_argument, NULL, LONG_TO},
    {"monthly", no_argument, NULL, LONG_MONTHLY},
    {"rejects", required_argument, NULL, LONG_REJECTS},
    {"encoding", required_argument, NULL, LONG_ENCODING},
    {"map", required_argument, NULL, LONG_MAP},
    {"amount-unit", required_argument, NULL, LONG_AMOUNT_UNIT},
    {"grant", required_argument, NULL, LONG_GRANT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *from_env(const char *flag, const char *var)
{
    if (flag)
        return flag;
    const char *v = getenv(var);
    return v && *v ? v : NULL;
}

int main(int argc, char **argv)
{
    struct config cfg;
    unsigned used = 0; /* command-specific options seen */
    int opt;

    memset(&cfg, 0, sizeof cfg);
    i18n_init(argv[0]);
    /* Options may come before or after the command (getopt permutes the arguments); "--"
     * ends them, for an identifier that starts with '-'. */
    while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (opt) {
        case LONG_TARGET:
            cfg.target = optarg;
            break;
        case LONG_CA:
            cfg.ca = optarg;
            break;
        case LONG_CERT:
            cfg.cert = optarg;
            break;
        case LONG_KEY:
            cfg.key = optarg;
            break;
        case LONG_TIMEOUT:
            if (parse_positive(optarg, &cfg.timeout_ms) != 0)
                return usage_error("--timeout: '%s' is not a number of milliseconds >= 1", optarg);
            break;
        case LONG_JSON:
            cfg.json = 1;
            break;
        case LONG_KIND:
            cfg.kind = optarg;
            used |= OPT_KIND;
            break;
        case LONG_TIER:
            cfg.tier = optarg;
            used |= OPT_TIER;
            break;
        case LONG_CATEGORY:
            if (cfg.n_cats == MAX_CATS)
                return usage_error("--category: at most %d", MAX_CATS);
            cfg.cats[cfg.n_cats++] = optarg;
            used |= OPT_CATEGORY;
            break;
        case LONG_BATCH:
            if (parse_positive(optarg, &cfg.batch) != 0 || cfg.batch > MAX_BATCH)
                return usage_error("--batch: '%s' is not a number of records from 1 to %d",
                                   optarg, MAX_BATCH);
            used |= OPT_BATCH;
            break;
        case LONG_STATE:
            cfg.state = optarg;
            used |= OPT_STATE;
            break;
        case LONG_REASON:
            cfg.reason = optarg;
            used |= OPT_REASON;
            break;
        case LONG_EFFECTIVE:
            cfg.effective = optarg;
            used |= OPT_EFFECTIVE;
            break;
        case LONG_CATALOGUE:
            if (cfg.n_catalogues == MAX_CATS)
                return usage_error("--catalogue: at most %d", MAX_CATS);
            cfg.catalogues[cfg.n_catalogues++] = optarg;
            used |= OPT_CATALOGUE;
            break;
        case LONG_SECTION:
            if (cfg.n_sections == MAX_CATS)
                return usage_error("--section: at most %d", MAX_CATS);
            cfg.sections[cfg.n_sections++] = optarg;
            used |= OPT_SECTION;
            break;
        case LONG_FORMAT:
            cfg.format = optarg;
            used |= OPT_FORMAT;
            break;
        case LONG_RESTART:
            cfg.restart = 1;
            used |= OPT_RESTART;
            break;
        case LONG_FROM:
            cfg.from = optarg;
            used |= OPT_FROM;
            break;
        case LONG_TO:
            cfg.to = optarg;
            used |= OPT_TO;
            break;
        case LONG_MONTHLY:
            cfg.monthly = 1;
            used |= OPT_MONTHLY;
            break;
        case LONG_REJECTS:
            cfg.rejects = optarg;
            used |= OPT_REJECTS;
            break;
        case LONG_ENCODING:
            cfg.encoding = optarg;
            used |= OPT_ENCODING;
            break;
        case LONG_MAP:
            cfg.map = optarg;
            used |= OPT_MAP;
            break;
        case LONG_AMOUNT_UNIT:
            cfg.amount_unit = optarg;
            used |= OPT_AMOUNT_UNIT;
            break;
        case LONG_GRANT:
            cfg.grant = optarg;
            used |= OPT_GRANT;
            break;
        case LONG_VERSION:
            printf(PROG " %s\n", credit_version());
            return finish_output(0);
        case 'h':
            fputs(_(usage_line), stdout);
            fputs(_(help_text), stdout);
            return finish_output(0);
        default: /* getopt has said what is wrong */
            fputs(_(usage_line), stderr);
            return EXIT_USAGE;
        }
    }

    if (optind >= argc)
        return usage_error("no command (health, whoami, units, query, get, push, catalogue, "
                           "series, mandate, optin, verify, pending, consent, portrait)");
    const char *name = argv[optind];
    const struct command *cmd = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            cmd = &commands[i];
    if (!cmd)
        return usage_error("unknown command '%s'", name);
    int nargs = argc - optind - 1;
    if (nargs < cmd->min_args || nargs > cmd->max_args)
        return usage_error(
            "%s: expected %s", name,
            gettext(strcmp(name, "query") == 0       ? N_("SUBJECT_KIND IDENTIFIER")
                    : strcmp(name, "get") == 0       ? N_("RECORD_ID")
                    : strcmp(name, "push") == 0      ? N_("FILE (or - for stdin)")
                    : strcmp(name, "health") == 0    ? N_("at most one SERVICE")
                    : strcmp(name, "series") == 0    ? N_("USCC SECTION METRIC")
                    : strcmp(name, "verify") == 0    ? N_("RECORD_ID verified|rejected")
                    : strcmp(name, "mandate") == 0   ? N_("a subcommand (register, revoke, "
                                                            "list)")
                    : strcmp(name, "optin") == 0     ? N_("a subcommand (register, revoke, "
                                                              "list)")
                    : strcmp(name, "consent") == 0   ? N_("a subcommand (request, approve, "
                                                          "reject, pause, resume, revoke, "
                                                          "show, list, uses)")
                    : strcmp(name, "catalogue") == 0 ? N_("a subcommand (list, show, diff, "
                                                          "propose, review, decide, history, "
                                                          "get)")
                    : strcmp(name, "portrait") == 0  ? N_("a subcommand (key, get, verify)")
                                                     : N_("no arguments")));
    if (used & ~cmd->opts)
        return usage_error("%s: does not take %s", name, opt_flag(used & ~cmd->opts));
    cfg.used = used;

    cfg.target = from_env(cfg.target, "CREDIT_TARGET");
    cfg.ca = from_env(cfg.ca, "CREDIT_CA");
    cfg.cert = from_env(cfg.cert, "CREDIT_CERT");
    cfg.key = from_env(cfg.key, "CREDIT_KEY");
    const struct {
        const char *value, *flag, *env;
    } need[] = {
        {cfg.target, "--target", "CREDIT_TARGET"},
        {cfg.ca, "--ca", "CREDIT_CA"},
        {cfg.cert, "--cert", "CREDIT_CERT"},
        {cfg.key, "--key", "CREDIT_KEY"},
    };
    /* Checking a portrait against a key file is offline: no node, no certificate. */
    int offline = strcmp(name, "portrait") == 0 && nargs == 3 &&
                  strcmp(argv[optind + 1], "verify") == 0;
    int missing = 0;
    for (size_t i = 0; !offline && i < sizeof need / sizeof need[0]; i++)
        if (!need[i].value) {
            say("missing %s (or %s)\n", need[i].flag, need[i].env);
            missing = 1;
        }
    if (missing) {
        fputs(_(usage_line), stderr);
        return EXIT_USAGE;
    }

    return finish_output(cmd->run(&cfg, nargs, argv + optind + 1));
}
