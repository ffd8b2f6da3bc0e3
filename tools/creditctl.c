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
 * Exit status: 0 success (health: serving), 1 the node or the library reported an error
 * (printed as "creditctl: CODE_NAME: message"; health: not serving), 2 a usage error.
 */
#include <credit/client.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"

#define PROG       "creditctl"
#define EXIT_ERR   1
#define EXIT_USAGE 2
#define MAX_PAGES  100000 /* a node that never ends its pages must not loop us forever */
#define MAX_CATS   64

static const char usage_line[] =
    "usage: " PROG " [--target HOST:PORT] [--ca FILE] [--cert FILE] [--key FILE] "
    "[--timeout MS] [--json] COMMAND [ARGS]\n";

static const char help_text[] =
    "\n"
    "Commands:\n"
    "  health [SERVICE]             SERVING or NOT_SERVING (exit 1 when not serving)\n"
    "  whoami                       the unit the node takes this certificate to be\n"
    "  units [--kind KIND]          every registered unit\n"
    "  query --tier open|government [--category CAT ...] SUBJECT_KIND IDENTIFIER\n"
    "                               a subject's records (--json: one record per line)\n"
    "  get --tier open|government RECORD_ID\n"
    "                               one record as JSON (government: with its history)\n"
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
    "Exit status: 0 success, 1 an error from the node or the library, 2 a usage error.\n";

/* Which command-specific options a command accepts. */
enum {
    OPT_KIND = 1u << 0,
    OPT_TIER = 1u << 1,
    OPT_CATEGORY = 1u << 2,
};

struct config {
    const char *target;
    const char *ca;
    const char *cert;
    const char *key;
    int timeout_ms;
    int json;
    const char *kind; /* --kind, as given */
    const char *tier; /* --tier, as given */
    const char *cats[MAX_CATS];
    size_t n_cats;
};

struct command {
    const char *name;
    int (*run)(const struct config *cfg, int argc, char **argv);
    int min_args;
    int max_args;
    unsigned opts;
};

/* --- Messages ------------------------------------------------------------------------------ */

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    fputs(usage_line, stderr);
    fputs("Try '" PROG " --help' for more.\n", stderr);
    return EXIT_USAGE;
}

static int report(const credit_status *st)
{
    fprintf(stderr, PROG ": %s: %s\n", credit_code_name(st->code), st->message);
    return EXIT_ERR;
}

/* --- Tables for people --------------------------------------------------------------------- */

/* Columns of display width: ASCII is 1, East Asian wide characters (CJK, Hangul, full-width
 * forms) are 2, UTF-8 continuation bytes 0. Good enough for names in our registry. */
static size_t display_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        uint32_t cp;
        int n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else if ((*p & 0xe0) == 0xc0) {
            cp = *p & 0x1f;
            n = 2;
        } else if ((*p & 0xf0) == 0xe0) {
            cp = *p & 0x0f;
            n = 3;
        } else if ((*p & 0xf8) == 0xf0) {
            cp = *p & 0x07;
            n = 4;
        } else {
            w++; /* a stray byte: count it, move on */
            p++;
            continue;
        }
        int k = 1;
        for (; k < n && (p[k] & 0xc0) == 0x80; k++)
            cp = cp << 6 | (p[k] & 0x3f);
        p += k;
        if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
            (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
            (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
            (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
            w += 2;
        else
            w += 1;
    }
    return w;
}

/* A table of copied strings, row-major. The caller owns it: table_cleanup frees the cells. */
struct table {
    size_t ncols;
    size_t nrows;
    size_t cap; /* rows allocated */
    char **cells;
};

static void table_init(struct table *t, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
}

static void table_cleanup(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

/* Appends a row of t->ncols strings (NULL prints as ""). Returns 0 or -1 (out of memory; the
 * table is unchanged). */
static int table_add(struct table *t, const char *const *row)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **cells = realloc(t->cells, cap * t->ncols * sizeof *cells);
        if (!cells)
            return -1;
        t->cells = cells;
        t->cap = cap;
    }
    char **dst = t->cells + t->nrows * t->ncols;
    for (size_t c = 0; c < t->ncols; c++) {
        dst[c] = strdup(row[c] ? row[c] : "");
        if (!dst[c]) {
            while (c--)
                free(dst[c]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

/* Columns as wide as their widest cell, two spaces apart; the last column is not padded. */
static void table_print(FILE *out, const struct table *t)
{
    size_t widths[16] = {0};

    if (t->ncols > sizeof widths / sizeof widths[0])
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = display_width(t->cells[r * t->ncols + c]);
            if (w > widths[c])
                widths[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            fputs(cell, out);
            if (c + 1 < t->ncols)
                for (size_t pad = display_width(cell); pad < widths[c] + 2; pad++)
                    putc(' ', out);
        }
        putc('\n', out);
    }
}

/* --- Parsing ------------------------------------------------------------------------------- */

/* An enum value by name: as given, upper-cased, or upper-cased with `prefix` ("CATEGORY_").
 * The zero (UNSPECIFIED) value is not accepted. Returns 0 and *out, or -1. */
static int parse_enum(const ProtobufCEnumDescriptor *d, const char *text, const char *prefix,
                      int *out)
{
    char buf[128];
    size_t plen = prefix ? strlen(prefix) : 0;
    size_t len = strlen(text);

    if (len == 0 || plen + len >= sizeof buf)
        return -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t off = attempt ? plen : 0;
        if (attempt && !prefix)
            break;
        if (attempt)
            memcpy(buf, prefix, plen);
        for (size_t i = 0; i < len; i++) {
            char ch = text[i];
            buf[off + i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch == '-' ? '_' : ch;
        }
        buf[off + len] = '\0';
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(d, buf);
        if (v && v->value != 0) {
            *out = v->value;
            return 0;
        }
    }
    return -1;
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int value)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    return v ? v->name : "?";
}

static int parse_tier(const char *text, credit_tier *out)
{
    if (!text)
        return usage_error("missing --tier open|government");
    if (strcmp(text, "open") == 0)
        *out = CREDIT_TIER_OPEN;
    else if (strcmp(text, "government") == 0 || strcmp(text, "gov") == 0)
        *out = CREDIT_TIER_GOVERNMENT;
    else
        return usage_error("--tier: '%s' is neither open nor government", text);
    return 0;
}

static int parse_timeout(const char *text, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

/* --- The client ---------------------------------------------------------------------------- */

/* Opens the client (the caller destroys it). Returns 0, or EXIT_ERR after printing why. */
static int open_client(const struct config *cfg, credit_client **out)
{
    credit_client_options opts;
    credit_status st;

    credit_client_options_init(&opts);
    opts.target = cfg->target;
    opts.ca_file = cfg->ca;
    opts.cert_file = cfg->cert;
    opts.key_file = cfg->key;
    opts.timeout_ms = cfg->timeout_ms;
    if (credit_client_create(&opts, out, &st) != CREDIT_OK)
        return report(&st);
    return 0;
}

static int finish_output(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
        return EXIT_ERR;
    }
    return rc;
}

/* --- Commands ------------------------------------------------------------------------------ */

static int cmd_health(const struct config *cfg, int argc, char **argv)
{
    const char *service = argc > 0 ? argv[0] : "";
    credit_client *c;
    credit_status st;
    int serving = 0, rc;

    if ((rc = open_client(cfg, &c)) != 0)
        return rc;
    if (credit_client_health(c, service, &serving, &st) != CREDIT_OK) {
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

static int cmd_whoami(const struct config *cfg, int argc, char **argv)
{
    credit_client *c;
    credit_status st;
    Credit__V1__WhoAmIResponse *me = NULL;
    struct table t;
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
        json_write_message(stdout, &me->base);
        putc('\n', stdout);
        goto done;
    }
    const Credit__V1__Unit *u = me->unit;
    const char *rows[][2] = {
        {"code", u ? u->code : ""},
        {"name", u ? u->name : ""},
        {"kind", u ? enum_name(&credit__v1__unit_kind__descriptor, u->kind) : ""},
        {"status", u ? enum_name(&credit__v1__unit_status__descriptor, u->status) : ""},
        {"identity", me->identity},
        {"cert subject", me->cert_subject},
    };
    table_init(&t, 2);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (table_add(&t, rows[i]) != 0) {
            fputs(PROG ": out of memory\n", stderr);
            rc = EXIT_ERR;
            goto fail_table;
        }
    table_print(stdout, &t);
fail_table:
    table_cleanup(&t);
done:
    credit__v1__who_am_iresponse__free_unpacked(me, NULL);
fail_call:
    credit_client_destroy(c);
    return rc;
}

static int cmd_units(const struct config *cfg, int argc, char **argv)
{
    Credit__V1__ListUnitsResponse **pages = NULL;
    size_t n_pages = 0;
    credit_client *c;
    credit_status st;
    int kind = 0, rc;

    (void)argc;
    (void)argv;
    if (cfg->kind && parse_enum(&credit__v1__unit_kind__descriptor, cfg->kind, NULL, &kind))
        return usage_error("--kind: unknown unit kind '%s'", cfg->kind);
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;

    /* Every page first, so that the table's columns fit all rows. */
    const char *token = "";
    for (;;) {
        if (n_pages == MAX_PAGES) {
            fputs(PROG ": the node's unit list does not end\n", stderr);
            rc = EXIT_ERR;
            goto out;
        }
        Credit__V1__ListUnitsResponse **grown = realloc(pages, (n_pages + 1) * sizeof *pages);
        if (!grown) {
            fputs(PROG ": out of memory\n", stderr);
            rc = EXIT_ERR;
            goto out;
        }
        pages = grown;
        if (credit_client_list_units(c, (Credit__V1__UnitKind)kind, 500, token, &pages[n_pages],
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
    if (table_add(&t, (const char *[]){"CODE", "KIND", "STATUS", "NAME"}) != 0)
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
    fputs(PROG ": out of memory\n", stderr);
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
    for (size_t i = 0; i < n && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i ? "," : "", names[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

static int add_record_row(struct table *t, const Credit__V1__Record *r)
{
    const Credit__V1__RecordMeta *m = r->meta;
    char version[16], flags[64], occurred[64] = "-";

    if (!m)
        return table_add(t, (const char *[]){"", "", "", "", "", ""});
    snprintf(version, sizeof version, "%u", m->version);
    status_flags(m->status, flags, sizeof flags);
    if (m->occurred_at &&
        json_format_timestamp(occurred, sizeof occurred, (long long)m->occurred_at->seconds,
                              m->occurred_at->nanos) != 0)
        snprintf(occurred, sizeof occurred, "?");
    const char *cat = enum_name(&credit__v1__category__descriptor, m->category);
    if (strncmp(cat, "CATEGORY_", 9) == 0)
        cat += 9;
    return table_add(t,
                     (const char *[]){m->record_id, version, cat, m->source_unit, flags, occurred});
}

static int cmd_query(const struct config *cfg, int argc, char **argv)
{
    Credit__V1__Category cats[MAX_CATS];
    Credit__V1__ListRecordsResponse **pages = NULL;
    size_t n_pages = 0;
    credit_tier tier = CREDIT_TIER_OPEN;
    credit_client *c;
    credit_status st;
    struct table t;
    int subject_kind, rc;

    (void)argc;
    if ((rc = parse_tier(cfg->tier, &tier)) != 0)
        return rc;
    for (size_t i = 0; i < cfg->n_cats; i++) {
        int v;
        if (parse_enum(&credit__v1__category__descriptor, cfg->cats[i], "CATEGORY_", &v))
            return usage_error("--category: unknown category '%s'", cfg->cats[i]);
        cats[i] = (Credit__V1__Category)v;
    }
    if (parse_enum(&credit__v1__subject_kind__descriptor, argv[0], NULL, &subject_kind))
        return usage_error("unknown subject kind '%s' (LEGAL_PERSON, NATURAL_PERSON, ...)",
                           argv[0]);
    if (!*argv[1])
        return usage_error("empty IDENTIFIER");
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;

    table_init(&t, 6);
    if (!cfg->json && table_add(&t, (const char *[]){"RECORD ID", "VERSION", "CATEGORY", "SOURCE",
                                                     "STATUS", "OCCURRED"}) != 0)
        goto nomem;

    Credit__V1__SubjectRef ref = CREDIT__V1__SUBJECT_REF__INIT;
    ref.kind = (Credit__V1__SubjectKind)subject_kind;
    ref.identifier = argv[1];
    Credit__V1__ListRecordsRequest req = CREDIT__V1__LIST_RECORDS_REQUEST__INIT;
    req.subject = &ref;
    req.categories = cats;
    req.n_categories = cfg->n_cats;
    req.page_size = 500;
    req.page_token = (char *)"";
    for (;;) {
        if (n_pages == MAX_PAGES) {
            fputs(PROG ": the node's record list does not end\n", stderr);
            rc = EXIT_ERR;
            goto out;
        }
        Credit__V1__ListRecordsResponse **grown = realloc(pages, (n_pages + 1) * sizeof *pages);
        if (!grown)
            goto nomem;
        pages = grown;
        if (credit_client_list_records(c, tier, &req, &pages[n_pages], &st) != CREDIT_OK) {
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
        req.page_token = page->next_page_token; /* valid while the page is kept */
    }
    if (!cfg->json)
        table_print(stdout, &t);
    goto out;
nomem:
    fputs(PROG ": out of memory\n", stderr);
    rc = EXIT_ERR;
out:
    table_cleanup(&t);
    for (size_t p = 0; p < n_pages; p++)
        credit__v1__list_records_response__free_unpacked(pages[p], NULL);
    free(pages);
    credit_client_destroy(c);
    return rc;
}

static int cmd_get(const struct config *cfg, int argc, char **argv)
{
    Credit__V1__GetRecordResponse *resp = NULL;
    credit_tier tier = CREDIT_TIER_OPEN;
    credit_client *c;
    credit_status st;
    int rc;

    (void)argc;
    if ((rc = parse_tier(cfg->tier, &tier)) != 0)
        return rc;
    if (!*argv[0])
        return usage_error("empty RECORD_ID");
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;
    if (credit_client_get_record(c, tier, argv[0], &resp, &st) != CREDIT_OK) {
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

/* clang-format off */
static const struct command commands[] = {
    {"health", cmd_health, 0, 1, 0},
    {"whoami", cmd_whoami, 0, 0, 0},
    {"units",  cmd_units,  0, 0, OPT_KIND},
    {"query",  cmd_query,  2, 2, OPT_TIER | OPT_CATEGORY},
    {"get",    cmd_get,    1, 1, OPT_TIER},
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
    LONG_VERSION,
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
    {"version", no_argument, NULL, LONG_VERSION},
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
            if (parse_timeout(optarg, &cfg.timeout_ms) != 0)
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
        case LONG_VERSION:
            printf(PROG " %s\n", credit_version());
            return finish_output(0);
        case 'h':
            fputs(usage_line, stdout);
            fputs(help_text, stdout);
            return finish_output(0);
        default: /* getopt has said what is wrong */
            fputs(usage_line, stderr);
            return EXIT_USAGE;
        }
    }

    if (optind >= argc)
        return usage_error("no command (health, whoami, units, query, get)");
    const char *name = argv[optind];
    const struct command *cmd = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            cmd = &commands[i];
    if (!cmd)
        return usage_error("unknown command '%s'", name);
    int nargs = argc - optind - 1;
    if (nargs < cmd->min_args || nargs > cmd->max_args)
        return usage_error("%s: expected %s", name,
                           strcmp(name, "query") == 0    ? "SUBJECT_KIND IDENTIFIER"
                           : strcmp(name, "get") == 0    ? "RECORD_ID"
                           : strcmp(name, "health") == 0 ? "at most one SERVICE"
                                                         : "no arguments");
    if (used & ~cmd->opts)
        return usage_error("%s: does not take %s", name,
                           used & ~cmd->opts & OPT_KIND   ? "--kind"
                           : used & ~cmd->opts & OPT_TIER ? "--tier"
                                                          : "--category");

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
    int missing = 0;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!need[i].value) {
            fprintf(stderr, PROG ": missing %s (or %s)\n", need[i].flag, need[i].env);
            missing = 1;
        }
    if (missing) {
        fputs(usage_line, stderr);
        return EXIT_USAGE;
    }

    return finish_output(cmd->run(&cfg, nargs, argv + optind + 1));
}
