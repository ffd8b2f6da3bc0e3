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
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csv_in.h"
#include "import_state.h"
#include "json_in.h"
#include "json_out.h"

#define PROG       "creditctl"
#define EXIT_ERR   1
#define EXIT_USAGE 2
#define MAX_PAGES  100000 /* a node that never ends its pages must not loop us forever */
#define MAX_CATS   64
#define MAX_BATCH  1000 /* the node's limit for one PushBatch */

static const char usage_line[] =
    "usage: " PROG " [--target HOST:PORT] [--ca FILE] [--cert FILE] [--key FILE] "
    "[--timeout MS] [--json] COMMAND [ARGS]\n";

static const char help_text[] =
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
    "  push [--catalogue NAME] [--format jsonl|csv] [--batch N] [--state FILE] [--restart]\n"
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
    "                               Rows go in PushBatch calls of N (1..1000) or in streams of\n"
    "                               5000 (samples: streams only); after each acknowledged\n"
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
    OPT_BATCH = 1u << 3,
    OPT_STATE = 1u << 4,
    OPT_REASON = 1u << 5,
    OPT_EFFECTIVE = 1u << 6,
    OPT_CATALOGUE = 1u << 7,
    OPT_SECTION = 1u << 8,
    OPT_FORMAT = 1u << 9,
    OPT_RESTART = 1u << 10,
    OPT_FROM = 1u << 11,
    OPT_TO = 1u << 12,
    OPT_MONTHLY = 1u << 13,
};

/* The flag of each command-specific option, for "does not take" errors. */
static const struct {
    unsigned bit;
    const char *flag;
} opt_flags[] = {
    {OPT_KIND, "--kind"},   {OPT_TIER, "--tier"},     {OPT_CATEGORY, "--category"},
    {OPT_BATCH, "--batch"}, {OPT_STATE, "--state"},   {OPT_REASON, "--reason"},
    {OPT_EFFECTIVE, "--effective"}, {OPT_CATALOGUE, "--catalogue"}, {OPT_SECTION, "--section"},
    {OPT_FORMAT, "--format"},       {OPT_RESTART, "--restart"},     {OPT_FROM, "--from"},
    {OPT_TO, "--to"},               {OPT_MONTHLY, "--monthly"},
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
    int batch; /* --batch: records per PushBatch; 0: stream */
    const char *state;     /* --state, as given */
    const char *reason;    /* --reason */
    const char *effective; /* --effective, as given */
    const char *catalogues[MAX_CATS]; /* --catalogue, as given */
    size_t n_catalogues;
    const char *sections[MAX_CATS]; /* --section */
    size_t n_sections;
    const char *format; /* --format, as given */
    int restart;        /* --restart */
    const char *from;   /* --from, --to: RFC 3339, as given */
    const char *to;
    int monthly;        /* --monthly */
    unsigned used;      /* OPT_* of the command-specific options given */
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

static int nomem(void)
{
    fputs(PROG ": out of memory\n", stderr);
    return EXIT_ERR;
}

/* The flag of the first option in `bits`. */
static const char *opt_flag(unsigned bits)
{
    for (size_t i = 0; i < sizeof opt_flags / sizeof opt_flags[0]; i++)
        if (bits & opt_flags[i].bit)
            return opt_flags[i].flag;
    return "?";
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
    size_t indent; /* spaces before each row */
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

/* Columns as wide as their widest cell, two spaces apart; the last column is not padded, and
 * the lines of a multi-line cell in it start under its first. */
static void table_print(FILE *out, const struct table *t)
{
    size_t widths[16] = {0}, last = t->indent;

    if (t->ncols > sizeof widths / sizeof widths[0])
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = display_width(t->cells[r * t->ncols + c]);
            if (w > widths[c])
                widths[c] = w;
        }
    for (size_t c = 0; c + 1 < t->ncols; c++)
        last += widths[c] + 2;
    for (size_t r = 0; r < t->nrows; r++) {
        fprintf(out, "%*s", (int)t->indent, "");
        for (size_t c = 0; c + 1 < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            fputs(cell, out);
            for (size_t pad = display_width(cell); pad < widths[c] + 2; pad++)
                putc(' ', out);
        }
        for (const char *p = t->cells[r * t->ncols + t->ncols - 1]; *p; p++)
            if (*p != '\n' || !p[1])
                putc(*p, out);
            else
                fprintf(out, "\n%*s", (int)last, "");
        putc('\n', out);
    }
}

/* Starts a table of ncols columns, `indent` spaces in, with a header row (NULL: none).
 * Returns 0, or 1 when out of memory (the table is still to be finished). */
static int table_start(struct table *t, size_t ncols, size_t indent, const char *const *header)
{
    table_init(t, ncols);
    t->indent = indent;
    return header && table_add(t, header) != 0;
}

/* Prints the table to stdout unless `bad` (a row could not be added), and frees it. Returns 0,
 * or EXIT_ERR (out of memory, said). */
static int table_finish(struct table *t, int bad)
{
    if (!bad)
        table_print(stdout, t);
    table_cleanup(t);
    return bad ? nomem() : 0;
}

/* Prints (name, value) rows as a two-column table, `indent` spaces in. Returns 0 or EXIT_ERR
 * (out of memory, said). */
static int print_fields(const char *(*rows)[2], size_t n, size_t indent)
{
    struct table t;
    int bad = table_start(&t, 2, indent, NULL);

    for (size_t i = 0; i < n && !bad; i++)
        bad = table_add(&t, rows[i]) != 0;
    return table_finish(&t, bad);
}

/* Appends printf-style text to buf (size bytes, *used of them taken); text that does not fit
 * is cut. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t size, size_t *used,
                                                         const char *fmt, ...)
{
    va_list ap;

    if (*used + 1 >= size)
        return;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (k > 0)
        *used = (size_t)k < size - *used ? *used + (size_t)k : size - 1;
}

/* A Timestamp as RFC 3339 UTC text in buf: "-" when unset, "?" when it cannot be shown. */
static const char *format_time(const Google__Protobuf__Timestamp *t, char *buf, size_t size)
{
    if (!t)
        snprintf(buf, size, "-");
    else if (json_format_timestamp(buf, size, (long long)t->seconds, t->nanos) != 0)
        snprintf(buf, size, "?");
    return buf;
}

/* s, or "-" when it is empty. */
static const char *dash(const char *s)
{
    return s && *s ? s : "-";
}

static void print_json(const ProtobufCMessage *msg)
{
    json_write_message(stdout, msg);
    putc('\n', stdout);
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

/* An enum value's name without `prefix` ("CATEGORY_PENALTY" -> "PENALTY"), for people. */
static const char *enum_short(const ProtobufCEnumDescriptor *d, int value, const char *prefix)
{
    const char *name = enum_name(d, value);
    size_t plen = strlen(prefix);
    return strncmp(name, prefix, plen) == 0 && name[plen] ? name + plen : name;
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

/* A whole number from 1 to INT_MAX (a timeout, a batch size, a version). Returns 0 or -1. */
static int parse_positive(const char *text, int *out)
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

static int cmd_whoami(const struct config *cfg, int argc, char **argv)
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
        {"code", u ? u->code : ""},
        {"name", u ? u->name : ""},
        {"kind", u ? enum_name(&credit__v1__unit_kind__descriptor, u->kind) : ""},
        {"status", u ? enum_name(&credit__v1__unit_status__descriptor, u->status) : ""},
        {"identity", me->identity},
        {"cert subject", me->cert_subject},
    };
    rc = print_fields(rows, sizeof rows / sizeof rows[0], 0);
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

static int parse_catalogue(const char *text, credit_catalogue *out, int any);

static int cmd_query(const struct config *cfg, int argc, char **argv)
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
    if ((rc = parse_tier(cfg->tier, &tier)) != 0)
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
            fputs(PROG ": the node's record list does not end\n", stderr);
            rc = EXIT_ERR;
            goto out;
        }
        Credit__V1__ListRecordsResponse **grown = realloc(pages, (n_pages + 1) * sizeof *pages);
        if (!grown)
            goto nomem;
        pages = grown;
        if (credit_client_record_list(c, tier, &filter, &pages[n_pages], &st) !=
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
    if (credit_client_record_get(c, tier, argv[0], &resp, &st) != CREDIT_OK) {
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

/* --- push ---------------------------------------------------------------------------------- */

/*
 * An import reads rows (JSON Lines, or CSV against its header) into the catalogue's input
 * message and sends them in groups: a PushBatch of --batch rows, or a stream of STREAM_GROUP
 * rows (samples: always a stream). The node's answer to a group acknowledges it; then the
 * state file (import_state.h) is rewritten, so that a run cut short resumes after the last
 * acknowledged group. Rows refused here (not JSON, a bad cell) are done when read.
 *
 * This relies on exactly what the node promises: a group is one call, stored whole when the
 * node answers it and not at all when the call fails or is cut short (a stream's records are
 * written only at its half-close). So the rows after the last acknowledged group are the
 * ones a rerun must send, and sending them again is safe.
 */

#define STREAM_GROUP 5000     /* rows a stream carries before its answer acknowledges them;
                               * within CREDIT_PUSH_STREAM_MAX */
_Static_assert(STREAM_GROUP <= CREDIT_PUSH_STREAM_MAX, "a group must fit in one stream");
#define PROGRESS_SECONDS 0.1  /* the progress line is redrawn at most this often */
#define STATE_SUFFIX ".state" /* the default state file: the input's path + this */

/* What became of one row: the node's result, or a refusal here (local). */
struct push_outcome {
    size_t line;
    int outcome; /* Credit__V1__PushOutcome */
    int local;
    int code;
    uint32_t version;
    char *record_id; /* malloc'd, NULL when none */
    char *field;
    char *reason;
};

struct outcomes {
    struct push_outcome *v;
    size_t n, cap;
};

struct push {
    const struct config *cfg;
    credit_catalogue cat;
    const ProtobufCMessageDescriptor *input;
    int samples;             /* the industrial catalogue: a sample stream */
    size_t group_max;        /* rows sent per acknowledged group */
    credit_client *client;
    credit_pusher *rp;       /* the group's record stream, opened with its first row */
    credit_sample_pusher *sp;
    ProtobufCMessage **batch; /* --batch: the group's records */
    size_t *lines;           /* the line of each row sent in the group, by its index */
    size_t n_sent;           /* rows sent in the group */
    struct outcomes group;   /* the group's outcomes, in the order they became known */
    struct outcomes rejects; /* every rejection of this run, for the report */
    /* This run's counts. */
    uint64_t rows, sent, acked, created, unchanged, versions, accepted, rejected, unlisted;
    /* Resumability: the state as of the last acknowledged group, and where it is kept. */
    const char *state_path;
    import_state st;
    uint64_t skipped;    /* rows done by earlier runs, read past */
    uint64_t last_line;  /* the last line of the last row read */
    /* Progress, on a terminal. */
    int tty, shown;
    double t0, drawn;
    uint64_t size;            /* the input's size; 0: unknown */
    const uint64_t *consumed; /* bytes of it read */
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void progress(struct push *p, int force)
{
    double now = now_s();
    char bar[21];

    if (!p->tty || (!force && now - p->drawn < PROGRESS_SECONDS))
        return;
    p->drawn = now;
    int pct = p->size ? (int)(*p->consumed * 100 / p->size) : -1;
    for (int i = 0; i < 20; i++)
        bar[i] = pct >= 0 && i < pct / 5 ? '#' : '.';
    bar[20] = '\0';
    double rate = now > p->t0 ? (double)p->acked / (now - p->t0) : 0;
    if (pct >= 0)
        printf("\r[%s] %3d%%  ", bar, pct);
    else
        fputs("\r", stdout);
    printf("%" PRIu64 " sent, %" PRIu64 " acknowledged, %.0f %s/s\033[K", p->sent, p->acked, rate,
           p->samples ? "samples" : "records");
    fflush(stdout);
    p->shown = 1;
}

static void progress_clear(struct push *p)
{
    if (p->shown)
        fputs("\r\033[K", stdout);
    p->shown = 0;
}

static void outcome_free(struct push_outcome *o)
{
    free(o->record_id);
    free(o->field);
    free(o->reason);
}

static void outcomes_clear(struct outcomes *os)
{
    for (size_t i = 0; i < os->n; i++)
        outcome_free(&os->v[i]);
    os->n = 0;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* Appends an outcome (strings copied). Returns 0 or -1 (out of memory; nothing added). */
static int outcome_add(struct outcomes *os, size_t line, int outcome, int local, int code,
                       uint32_t version, const char *record_id, const char *field,
                       const char *reason)
{
    if (os->n == os->cap) {
        size_t cap = os->cap ? os->cap * 2 : 64;
        struct push_outcome *v = realloc(os->v, cap * sizeof *v);
        if (!v)
            return -1;
        os->v = v;
        os->cap = cap;
    }
    struct push_outcome *o = &os->v[os->n];
    *o = (struct push_outcome){line, outcome, local, code, version, dup_or_null(record_id),
                               dup_or_null(field), dup_or_null(reason)};
    if ((record_id && *record_id && !o->record_id) || (field && *field && !o->field) ||
        (reason && *reason && !o->reason)) {
        outcome_free(o);
        return -1;
    }
    os->n++;
    return 0;
}

/* Records a rejection in the group and in the run's report. */
static int reject(struct push *p, size_t line, int local, int code, const char *field,
                  const char *reason)
{
    int rc = outcome_add(&p->group, line, CREDIT__V1__PUSH_OUTCOME__REJECTED, local, code, 0, NULL,
                         field, reason);
    if (rc == 0 && !p->cfg->json)
        rc = outcome_add(&p->rejects, line, CREDIT__V1__PUSH_OUTCOME__REJECTED, local, code, 0,
                         NULL, field, reason);
    p->rejected++;
    return rc;
}

static int by_line(const void *a, const void *b)
{
    const struct push_outcome *x = a, *y = b;
    return x->line < y->line ? -1 : x->line > y->line;
}

static void print_outcome_json(const struct push_outcome *o)
{
    printf("{\"line\":%zu,\"outcome\":", o->line);
    json_write_string(stdout, enum_name(&credit__v1__push_outcome__descriptor, o->outcome));
    if (o->record_id) {
        fputs(",\"recordId\":", stdout);
        json_write_string(stdout, o->record_id);
    }
    if (o->version)
        printf(",\"version\":%u", o->version);
    if (o->code)
        printf(",\"code\":%d", o->code);
    if (o->field) {
        fputs(",\"field\":", stdout);
        json_write_string(stdout, o->field);
    }
    if (o->reason) {
        fputs(",\"reason\":", stdout);
        json_write_string(stdout, o->reason);
    }
    fputs(o->local ? ",\"local\":true}\n" : "}\n", stdout);
}

/* Takes the node's results for the group's records. Returns 0, or EXIT_ERR (said why). */
static int take_results(struct push *p, const Credit__V1__PushBatchResponse *resp)
{
    if (resp->n_results != p->n_sent) {
        fprintf(stderr, PROG ": the node answered %zu results for %zu records\n",
                resp->n_results, p->n_sent);
        return EXIT_ERR;
    }
    for (size_t i = 0; i < resp->n_results; i++) {
        const Credit__V1__PushResult *r = resp->results[i];
        if (r->index < 0 || (size_t)r->index >= p->n_sent) {
            fprintf(stderr, PROG ": the node answered a result for record %d of %zu\n",
                    (int)r->index, p->n_sent);
            return EXIT_ERR;
        }
        size_t line = p->lines[r->index];
        uint64_t *count = r->outcome == CREDIT__V1__PUSH_OUTCOME__CREATED       ? &p->created
                          : r->outcome == CREDIT__V1__PUSH_OUTCOME__UNCHANGED   ? &p->unchanged
                          : r->outcome == CREDIT__V1__PUSH_OUTCOME__NEW_VERSION ? &p->versions
                                                                                : NULL;
        int rc = 0;
        if (!count)
            rc = reject(p, line, 0, r->code, r->field,
                        r->reason && *r->reason ? r->reason : "rejected");
        else if (++*count, p->cfg->json)
            rc = outcome_add(&p->group, line, r->outcome, 0, r->code, r->version, r->record_id,
                             r->field, r->reason);
        if (rc != 0)
            return nomem();
    }
    return 0;
}

/* Takes the node's summary of the group's samples. */
static int take_summary(struct push *p, const Credit__V1__SampleSummary *s)
{
    if (s->accepted + s->unchanged + s->rejected != p->n_sent) {
        fprintf(stderr, PROG ": the node counted %" PRIu64 " samples of %zu\n",
                (uint64_t)(s->accepted + s->unchanged + s->rejected), p->n_sent);
        return EXIT_ERR;
    }
    p->accepted += s->accepted;
    p->unchanged += s->unchanged;
    for (size_t i = 0; i < s->n_rejections; i++) {
        const Credit__V1__PushResult *r = s->rejections[i];
        if (r->index < 0 || (size_t)r->index >= p->n_sent) {
            fprintf(stderr, PROG ": the node answered a rejection of sample %d of %zu\n",
                    (int)r->index, p->n_sent);
            return EXIT_ERR;
        }
        if (reject(p, p->lines[r->index], 0, r->code, r->field,
                   r->reason && *r->reason ? r->reason : "rejected") != 0)
            return nomem();
    }
    /* Beyond the first 100 of a stream the node only counts them. */
    p->rejected += s->rejected - s->n_rejections;
    p->unlisted += s->rejected - s->n_rejections;
    return 0;
}

/* Records that every row read so far is done (and, finished, that there are no more): the
 * earlier runs' state (p->st, unchanged during the run) plus this run's counts. Returns 0 or
 * EXIT_ERR (said why). */
static int save_state(struct push *p, int finished)
{
    import_state next = p->st;
    char why[512];

    if (!p->state_path)
        return 0;
    next.rows = p->skipped + p->rows;
    if (p->rows)
        next.line = p->last_line;
    next.created += p->created;
    next.unchanged += p->unchanged;
    next.new_versions += p->versions;
    next.accepted += p->accepted;
    next.rejected += p->rejected;
    next.finished = finished;
    if (import_state_save(p->state_path, &next, why, sizeof why) != 0) {
        progress_clear(p);
        fprintf(stderr, PROG ": cannot record the import's progress: %s\n", why);
        return EXIT_ERR;
    }
    return 0;
}

/* Closes the group: sends what is waiting, takes the answer, prints the group's outcomes
 * (--json) and records the state. Returns 0 or an exit status (said why). */
static int end_group(struct push *p)
{
    credit_status st;
    int rc = 0;

    if (p->n_sent > 0) {
        void *resp = NULL;
        if (p->samples)
            rc = credit_sample_pusher_finish(p->sp, (Credit__V1__SampleSummary **)&resp, &st);
        else if (p->cfg->batch > 0)
            rc = credit_client_record_push(p->client, p->cat, p->batch, p->n_sent,
                                            (Credit__V1__PushBatchResponse **)&resp, &st);
        else
            rc = credit_pusher_finish(p->rp, (Credit__V1__PushBatchResponse **)&resp, &st);
        for (size_t i = 0; p->batch && i < p->n_sent; i++) {
            protobuf_c_message_free_unpacked(p->batch[i], NULL);
            p->batch[i] = NULL;
        }
        credit_sample_pusher_destroy(p->sp);
        credit_pusher_destroy(p->rp);
        p->sp = NULL;
        p->rp = NULL;
        if (rc != CREDIT_OK) {
            progress_clear(p);
            return report(&st);
        }
        if (p->samples) {
            rc = take_summary(p, resp);
            credit__v1__sample_summary__free_unpacked(resp, NULL);
        } else {
            rc = take_results(p, resp);
            credit__v1__push_batch_response__free_unpacked(resp, NULL);
        }
        if (rc != 0)
            return rc;
        p->acked += p->n_sent;
        p->n_sent = 0;
    }
    if (p->cfg->json) {
        progress_clear(p);
        if (p->group.n > 1)
            qsort(p->group.v, p->group.n, sizeof *p->group.v, by_line);
        for (size_t i = 0; i < p->group.n; i++)
            print_outcome_json(&p->group.v[i]);
    }
    outcomes_clear(&p->group);
    return save_state(p, 0);
}

/* Sends one row's message (taken: freed here or with the batch). */
static int send_row(struct push *p, ProtobufCMessage *msg, size_t line)
{
    credit_status st;
    int rc = CREDIT_OK;

    p->lines[p->n_sent] = line;
    if (p->batch) {
        p->batch[p->n_sent++] = msg;
    } else {
        if (p->samples) {
            if (!p->sp)
                rc = credit_sample_pusher_create(p->client, p->cfg->timeout_ms, &p->sp, &st);
            if (rc == CREDIT_OK)
                rc = credit_sample_pusher_add(p->sp, (const Credit__V1__Sample *)msg, &st);
        } else {
            if (!p->rp)
                rc = credit_pusher_create(p->client, p->cat, p->cfg->timeout_ms, &p->rp, &st);
            if (rc == CREDIT_OK)
                rc = credit_pusher_add(p->rp, msg, &st);
        }
        protobuf_c_message_free_unpacked(msg, NULL);
        if (rc != CREDIT_OK) {
            /* The stream has ended: the node's reason comes with its close. */
            credit_status fst;
            void *resp = NULL;
            int frc = p->sp   ? credit_sample_pusher_finish(p->sp, (void *)&resp, &fst)
                      : p->rp ? credit_pusher_finish(p->rp, (void *)&resp, &fst)
                              : CREDIT_EINVAL;
            if (frc == CREDIT_OK)
                protobuf_c_message_free_unpacked(resp, NULL);
            progress_clear(p);
            return report(frc != CREDIT_OK && frc != CREDIT_EINVAL ? &fst : &st);
        }
        p->n_sent++;
    }
    p->sent++;
    progress(p, 0);
    return p->n_sent == p->group_max ? end_group(p) : 0;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* Where the rows come from: JSON Lines, or CSV with its header's columns. */
struct source {
    FILE *in;
    const char *name; /* for messages: the path, or "stdin" */
    int csv;
    csv_reader *reader;
    csv_columns *columns;
    char *line; /* JSON Lines: the line being read */
    size_t cap;
    size_t lineno;
    uint64_t consumed; /* JSON Lines: bytes read */
};

/* The next row: 1 with *msg (NULL when refused, *err saying why) and its first and last lines;
 * 0 at the end; minus an exit status when the input cannot be read on (said why). */
static int next_row(struct source *s, const ProtobufCMessageDescriptor *d, ProtobufCMessage **msg,
                    json_in_error *err, size_t *first, size_t *last)
{
    *msg = NULL;
    if (s->csv) {
        csv_row row;
        if (!s->columns)
            return 0; /* an empty file: no header, no rows */
        int got = csv_reader_next(s->reader, &row, err);
        s->consumed = csv_reader_offset(s->reader);
        if (got < 0) {
            fprintf(stderr, PROG ": %s: %s: %s\n", s->name, err->field, err->reason);
            return -EXIT_USAGE;
        }
        if (got == 0)
            return 0;
        *first = row.line;
        *last = row.line;
        for (size_t i = 0; i < row.n; i++) /* a quoted cell may span lines */
            for (const char *c = row.cells[i]; *c; c++)
                *last += *c == '\n';
        csv_row_message(s->columns, &row, msg, err);
        return 1;
    }
    for (;;) {
        ssize_t got = getline(&s->line, &s->cap, s->in);
        if (got == -1) {
            if (ferror(s->in)) {
                fprintf(stderr, PROG ": %s: %s\n", s->name, strerror(errno));
                return -EXIT_ERR;
            }
            return 0;
        }
        size_t len = (size_t)got;
        const char *text = s->line;
        s->consumed += len;
        s->lineno++;
        if (s->lineno == 1 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
            text += 3; /* a UTF-8 byte order mark */
            len -= 3;
        }
        if (is_blank(text, len))
            continue;
        *first = *last = s->lineno;
        json_read_message(d, text, len, msg, err);
        return 1;
    }
}

/* Opens the source's reading: for CSV, its header. Returns 0, or an exit status (said why). */
static int source_start(struct source *s, const ProtobufCMessageDescriptor *d)
{
    json_in_error err;
    csv_row header;

    if (!s->csv)
        return 0;
    if (!(s->reader = csv_reader_create(s->in)))
        return nomem();
    int got = csv_reader_next(s->reader, &header, &err);
    if (got == 0)
        return 0; /* an empty file: no rows */
    if (got < 0 || csv_columns_create(d, &header, &s->columns, &err) != 0) {
        fprintf(stderr, PROG ": %s: line %zu: %s\n", s->name, got < 0 ? (size_t)1 : header.line,
                err.reason);
        return EXIT_USAGE;
    }
    return 0;
}

static void source_cleanup(struct source *s)
{
    csv_columns_destroy(s->columns);
    csv_reader_destroy(s->reader);
    free(s->line);
    if (s->in && s->in != stdin)
        fclose(s->in);
}

/* The catalogue's name in a state file and in messages: "PUBLIC", "SERVICE_UNIT", ... */
static const char *catalogue_text(int catalogue);

static int parse_catalogue(const char *text, credit_catalogue *out, int any)
{
    int v;
    if (parse_enum(&credit__v1__catalogue__descriptor, text, "CATALOGUE_", &v) != 0 ||
        (!any && !credit_catalogue_input((credit_catalogue)v)))
        return usage_error("--catalogue: '%s' is not a catalogue (public, service-unit, "
                           "association, voluntary, industrial%s)",
                           text, any ? ", finance" : "");
    *out = (credit_catalogue)v;
    return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Prints what earlier runs of this import did (from the state), after `what`. */
static void print_earlier(const struct push *p, const char *what)
{
    const import_state *s = &p->st;
    FILE *out = p->cfg->json ? stderr : stdout;
    fprintf(out, "%s%s%" PRIu64 " rows (to line %" PRIu64 ") acknowledged by an earlier run: ",
            p->cfg->json ? PROG ": " : "", what, s->rows, s->line);
    if (p->samples)
        fprintf(out, "%" PRIu64 " accepted, %" PRIu64 " unchanged, %" PRIu64 " rejected\n",
                s->accepted, s->unchanged, s->rejected);
    else
        fprintf(out,
                "%" PRIu64 " accepted (%" PRIu64 " created, %" PRIu64 " unchanged, %" PRIu64
                " new versions), %" PRIu64 " rejected\n",
                s->created + s->unchanged + s->new_versions, s->created, s->unchanged,
                s->new_versions, s->rejected);
}

static int print_report(struct push *p)
{
    progress_clear(p);
    if (p->cfg->json) {
        if (p->samples)
            printf("{\"summary\":{\"sent\":%" PRIu64 ",\"accepted\":%" PRIu64
                   ",\"unchanged\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"unlisted\":%" PRIu64
                   ",\"skipped\":%" PRIu64 "}}\n",
                   p->sent, p->accepted, p->unchanged, p->rejected, p->unlisted, p->skipped);
        if (p->skipped)
            print_earlier(p, "skipped ");
    } else {
        if (p->samples)
            printf("pushed %" PRIu64 " samples: %" PRIu64 " accepted, %" PRIu64
                   " unchanged, %" PRIu64 " rejected\n",
                   p->rows, p->accepted, p->unchanged, p->rejected);
        else
            printf("pushed %" PRIu64 " records: %" PRIu64 " accepted (%" PRIu64
                   " created, %" PRIu64 " unchanged, %" PRIu64 " new versions), %" PRIu64
                   " rejected\n",
                   p->rows, p->created + p->unchanged + p->versions, p->created, p->unchanged,
                   p->versions, p->rejected);
        if (p->skipped)
            print_earlier(p, "skipped ");
        if (p->rejects.n > 1)
            qsort(p->rejects.v, p->rejects.n, sizeof *p->rejects.v, by_line);
        for (size_t i = 0; i < p->rejects.n; i++) {
            const struct push_outcome *o = &p->rejects.v[i];
            if (o->local)
                printf("line %zu: %s\n", o->line, o->reason);
            else
                printf("line %zu: %s: %s (%s)\n", o->line, o->field ? o->field : "-", o->reason,
                       credit_code_name(o->code));
        }
        if (p->unlisted)
            printf("and %" PRIu64 " more rejected samples: the node lists the first 100 of "
                   "each stream of %d\n",
                   p->unlisted, STREAM_GROUP);
    }
    return p->rejected + (p->skipped ? p->st.rejected : 0) ? EXIT_ERR : 0;
}

/* Reads the state and decides where this run starts. Returns 0 (p->st ready, p->skipped set),
 * -1 when the import is already finished (said so), or an exit status (said why). */
static int start_state(struct push *p, const char *path, const char *format)
{
    import_state old, fresh;
    uint64_t size, fp;
    char why[512];

    memset(&fresh, 0, sizeof fresh);
    snprintf(fresh.catalogue, sizeof fresh.catalogue, "%s", catalogue_text(p->cat));
    snprintf(fresh.format, sizeof fresh.format, "%s", format);
    if (import_fingerprint(path, &size, &fp, why, sizeof why) != 0) {
        fprintf(stderr, PROG ": %s\n", why);
        return EXIT_ERR;
    }
    fresh.size = size;
    fresh.fingerprint = fp;
    p->st = fresh;
    if (p->cfg->restart)
        return 0;
    int rc = import_state_load(p->state_path, &old, why, sizeof why);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf(stderr, PROG ": %s (remove it, or pass --restart to start the import over)\n",
                why);
        return EXIT_USAGE;
    }
    if (old.size != size || old.fingerprint != fp || strcmp(old.catalogue, fresh.catalogue) != 0 ||
        strcmp(old.format, fresh.format) != 0) {
        fprintf(stderr,
                PROG ": %s: the state %s was written for another input (%s %s, %" PRIu64
                " bytes%s); this is %s %s, %" PRIu64 " bytes. Pass --restart to import this "
                "one from its start, or --state FILE for another state file\n",
                path, p->state_path, old.catalogue, old.format, old.size,
                old.size == size && old.fingerprint != fp ? ", other content" : "",
                fresh.catalogue, fresh.format, size);
        return EXIT_USAGE;
    }
    p->st = old;
    if (old.finished) {
        if (!p->cfg->json)
            printf("%s: already imported (state %s): nothing sent; --restart sends it again\n",
                   path, p->state_path);
        print_earlier(p, "");
        return -1;
    }
    p->skipped = old.rows;
    return 0;
}

static int cmd_push(const struct config *cfg, int argc, char **argv)
{
    struct push p;
    struct source src;
    const char *path = argv[0];
    char *state_buf = NULL;
    int rc;

    (void)argc;
    memset(&p, 0, sizeof p);
    memset(&src, 0, sizeof src);
    p.cfg = cfg;
    p.cat = CREDIT_CATALOGUE_PUBLIC;
    if (cfg->n_catalogues > 1)
        return usage_error("push: one --catalogue at a time");
    if (cfg->n_catalogues == 1 && (rc = parse_catalogue(cfg->catalogues[0], &p.cat, 0)) != 0)
        return rc;
    p.input = credit_catalogue_input(p.cat);
    p.samples = p.cat == CREDIT_CATALOGUE_INDUSTRIAL;
    if (p.samples && cfg->batch > 0)
        return usage_error("push: --batch: the industrial catalogue has no batch call; samples "
                           "are streamed");
    const char *format = cfg->format;
    if (!format)
        format = has_suffix(path, ".csv") || has_suffix(path, ".CSV") ? "csv" : "jsonl";
    if (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0)
        return usage_error("--format: '%s' is neither jsonl nor csv", format);
    src.csv = strcmp(format, "csv") == 0;
    int from_stdin = strcmp(path, "-") == 0;
    if (from_stdin && (cfg->state || cfg->restart))
        return usage_error("push: %s needs a FILE: standard input cannot be resumed",
                           cfg->state ? "--state" : "--restart");
    src.name = from_stdin ? "stdin" : path;
    if (from_stdin) {
        src.in = stdin;
    } else if (!(src.in = fopen(path, "r"))) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return EXIT_ERR;
    }
    if (!from_stdin) {
        p.state_path = cfg->state;
        if (!p.state_path) {
            size_t n = strlen(path) + sizeof STATE_SUFFIX;
            if (!(state_buf = malloc(n))) {
                rc = nomem();
                goto out;
            }
            snprintf(state_buf, n, "%s" STATE_SUFFIX, path);
            p.state_path = state_buf;
        }
        if ((rc = start_state(&p, path, format)) != 0) {
            if (rc == -1) /* already finished */
                rc = p.st.rejected ? EXIT_ERR : 0;
            goto out;
        }
        struct stat sb;
        if (fstat(fileno(src.in), &sb) == 0 && S_ISREG(sb.st_mode))
            p.size = (uint64_t)sb.st_size;
    }
    if ((rc = source_start(&src, p.input)) != 0)
        goto out;
    p.group_max = cfg->batch > 0 ? (size_t)cfg->batch : STREAM_GROUP;
    p.lines = calloc(p.group_max, sizeof *p.lines);
    if (cfg->batch > 0)
        p.batch = calloc(p.group_max, sizeof *p.batch);
    if (!p.lines || (cfg->batch > 0 && !p.batch)) {
        rc = nomem();
        goto out;
    }
    if ((rc = open_client(cfg, &p.client)) != 0)
        goto out;
    p.tty = isatty(STDOUT_FILENO);
    p.t0 = now_s();
    p.consumed = &src.consumed;

    for (uint64_t row = 0;; row++) {
        ProtobufCMessage *msg;
        json_in_error err;
        size_t first = 0, last = 0;
        int got = next_row(&src, p.input, &msg, &err, &first, &last);
        if (got < 0) {
            progress_clear(&p);
            rc = -got;
            goto out;
        }
        if (got == 0)
            break;
        if (row < p.skipped) { /* done by an earlier run */
            if (msg)
                protobuf_c_message_free_unpacked(msg, NULL);
            continue;
        }
        p.rows++;
        p.last_line = last;
        if (!msg) {
            if (reject(&p, first, 1, CREDIT_CODE_INVALID_ARGUMENT, err.field, err.reason) != 0) {
                rc = nomem();
                goto out;
            }
            continue;
        }
        if ((rc = send_row(&p, msg, first)) != 0)
            goto out;
    }
    if ((rc = end_group(&p)) != 0 || (rc = save_state(&p, 1)) != 0)
        goto out;
    rc = print_report(&p);
out:
    progress_clear(&p);
    outcomes_clear(&p.group);
    outcomes_clear(&p.rejects);
    free(p.group.v);
    free(p.rejects.v);
    for (size_t i = 0; p.batch && i < p.n_sent; i++)
        if (p.batch[i]) /* end_group frees a batch it sent, even when the call failed */
            protobuf_c_message_free_unpacked(p.batch[i], NULL);
    free(p.batch);
    free(p.lines);
    credit_sample_pusher_destroy(p.sp);
    credit_pusher_destroy(p.rp);
    credit_client_destroy(p.client);
    source_cleanup(&src);
    free(state_buf);
    return rc;
}

/* --- catalogue ----------------------------------------------------------------------------- */

/* The client of one catalogue subcommand: opened when the subcommand has checked its arguments
 * and needs the node, destroyed by cmd_catalogue. */
struct session {
    const struct config *cfg;
    credit_client *c;
};

static int session_open(struct session *s)
{
    return s->c ? 0 : open_client(s->cfg, &s->c);
}

static const char *catalogue_text(int catalogue)
{
    return enum_short(&credit__v1__catalogue__descriptor, catalogue, "CATALOGUE_");
}

static const char *value_type_text(int type)
{
    return enum_short(&credit__v1__value_type__descriptor, type, "VALUE_");
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

/* "kinds DEPARTMENT; units market, tax", or "-" when nobody is named. */
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

/* "MINOR 0-3 months, GENERAL 3-12 months", or "-" for a section that is not penalty-like. */
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
 * LEGAL_PERSON" (each condition's values joined by "or", conditions by "and"). */
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
static const char *change_dimension(const Credit__V1__ChangeRequest *ch)
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
    ROW("id", ch->id);
    ROW("state", enum_name(&credit__v1__change_state__descriptor, ch->state));
    ROW("kind", enum_name(&credit__v1__change_kind__descriptor, ch->kind));
    ROW("catalogue", catalogue_text(ch->catalogue));
    ROW("section", ch->section);
    ROW("dimension", dash(change_dimension(ch)));
    if (d) {
        ROW("  name", d->name);
        ROW("  field", field_text(d));
        ROW("  type", value_type_text(d->type));
        ROW("  required", required_text(d, when, sizeof when));
        ROW("  rules", *rules_text(d, rules, sizeof rules) ? rules : "-");
        ROW("  tier", tier_text(d->tier));
        ROW("  description", dash(d->description));
    }
    ROW("justification", ch->justification);
    ROW("based on version", based);
    ROW("filed", step_text(ch->filed, NULL, NULL, filed, sizeof filed));
    ROW("review", step_text(ch->review, "passed", "failed", review, sizeof review));
    ROW("review reasons", dash(ch->review ? ch->review->reasons : ""));
    ROW("decision", step_text(ch->decision, "approved", "rejected", decision, sizeof decision));
    ROW("decision reasons", dash(ch->decision ? ch->decision->reasons : ""));
    ROW("resulting version", ch->resulting_version ? result : "-");
    ROW("effective", format_time(ch->effective_at, effective, sizeof effective));
#undef ROW
    return print_fields(rows, n, 0);
}

/* Prints the change request a call answered, or the call's error; frees the request. */
static int print_change_answer(const struct config *cfg, int call_rc, Credit__V1__ChangeRequest *ch,
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
                      (const char *[]){"", "VERSION", "EFFECTIVE", "APPROVED BY", "CHANGE REQUEST",
                                       "SUMMARY"});
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

    printf("\ncatalogues of version %u, in force:\n", v->version);
    bad = table_start(&t, 4, 0, (const char *[]){"CATALOGUE", "SECTIONS", "DIMENSIONS", "NAME"});
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
        printf("%*sno dimensions\n", (int)indent, "");
        return 0;
    }
    bad = table_start(&t, 6, indent,
                      (const char *[]){"CODE", "FIELD", "TYPE", "REQUIRED", "TIER", "NAME"});
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
    bad = table_start(&t, 2, indent, (const char *[]){"CODE", "RULES"});
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

    printf("  section %s  %s", sec->code, sec->name);
    if (sec->body && *sec->body)
        printf(" (body %s)", sec->body);
    putc('\n', stdout);
    const char *rows[][2] = {
        {"responsible", format_responsibility(sec, resp, sizeof resp)},
        {"publicity", format_publicity(sec, pub, sizeof pub)},
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
    snprintf(approved, sizeof approved, "%s by %s", format_time(v->approved_at, at, sizeof at),
             dash(v->approved_by));
    const char *rows[][2] = {
        {"version", num},
        {"effective", format_time(v->effective_at, effective, sizeof effective)},
        {"approved", approved},
        {"change request", dash(v->change_request_id)},
        {"summary", v->summary},
    };
    if ((rc = print_fields(rows, sizeof rows / sizeof rows[0], 0)) != 0)
        return rc;
    for (size_t i = 0; i < v->n_catalogues; i++) {
        const Credit__V1__CatalogueDefinition *cat = v->catalogues[i];
        printf("\ncatalogue %s  %s", catalogue_text(cat->catalogue), cat->name);
        if (cat->input_message && *cat->input_message)
            printf(" (input %s)", cat->input_message);
        putc('\n', stdout);
        if (cat->n_common > 0) {
            puts("  common dimensions");
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
        printf("versions %u and %u do not differ\n", a->version, b->version);
    credit__v1__catalogue_version__free_unpacked(b, NULL);
fail_b:
    credit__v1__catalogue_version__free_unpacked(a, NULL);
    return rc;
}

/* --- catalogue governance ------------------------------------------------------------------ */

static int cat_propose(struct session *s, int argc, char **argv)
{
    const char *path = argv[0], *name = strcmp(path, "-") == 0 ? "stdin" : path;
    Credit__V1__ChangeRequest *ch = NULL;
    ProtobufCMessage *req = NULL;
    credit_status st;
    json_in_error jerr;
    char *text = NULL;
    size_t cap = 0;
    FILE *in;
    int rc;

    (void)argc;
    if (strcmp(path, "-") == 0) {
        in = stdin;
    } else if (!(in = fopen(path, "r"))) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return EXIT_ERR;
    }
    /* The whole file: JSON text holds no NUL byte, so reading up to one reads it all. */
    ssize_t got = getdelim(&text, &cap, '\0', in);
    if (ferror(in)) {
        fprintf(stderr, PROG ": %s: %s\n", name, strerror(errno));
        rc = EXIT_ERR;
        goto out;
    }
    if (got > 0 && !feof(in) && getc(in) != EOF) {
        fprintf(stderr, PROG ": %s: a NUL byte in the JSON text\n", name);
        rc = EXIT_ERR;
        goto out;
    }
    size_t len = got > 0 ? (size_t)got : 0;
    const char *json = text ? text : "";
    if (len >= 3 && memcmp(json, "\xef\xbb\xbf", 3) == 0) {
        json += 3; /* a UTF-8 byte order mark */
        len -= 3;
    }
    if (json_read_message(&credit__v1__propose_change_request__descriptor, json, len, &req,
                          &jerr) != 0) {
        fprintf(stderr, PROG ": %s: %s%s%s\n", name, jerr.field, *jerr.field ? ": " : "",
                jerr.reason);
        rc = EXIT_ERR;
        goto out;
    }
    if ((rc = session_open(s)) != 0)
        goto out;
    rc = credit_client_change_propose(s->c, (const Credit__V1__ProposeChangeRequest *)req, &ch,
                                         &st);
    rc = print_change_answer(s->cfg, rc, ch, &st);
out:
    if (req)
        protobuf_c_message_free_unpacked(req, NULL);
    free(text);
    if (in != stdin)
        fclose(in);
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

static int cat_review(struct session *s, int argc, char **argv)
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

static int cat_decide(struct session *s, int argc, char **argv)
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
    rc = credit_client_change_decide(s->c, argv[0], approve, s->cfg->reason,
                                        (int64_t)effective, &ch, &st);
    return print_change_answer(s->cfg, rc, ch, &st);
}

static int cat_get(struct session *s, int argc, char **argv)
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

static int cat_history(struct session *s, int argc, char **argv)
{
    Credit__V1__ListChangesResponse *list = NULL;
    credit_status st;
    struct table t;
    int state = 0, bad, rc; /* 0: every state */

    (void)argc;
    (void)argv;
    if (s->cfg->state &&
        parse_enum(&credit__v1__change_state__descriptor, s->cfg->state, "CHANGE_", &state))
        return usage_error("--state: unknown state '%s' (filed, review_passed, review_failed, "
                           "approved, rejected)",
                           s->cfg->state);
    if ((rc = session_open(s)) != 0)
        return rc;
    if (credit_client_change_list(s->c, (Credit__V1__ChangeState)state, &list, &st) !=
        CREDIT_OK)
        return report(&st);
    if (s->cfg->json) {
        print_json(&list->base);
        goto out;
    }
    bad = table_start(&t, 9, 0,
                      (const char *[]){"ID", "STATE", "KIND", "CHANGE", "PROPOSED BY",
                                       "PROPOSED AT", "REVIEWED BY", "DECIDED BY", "VERSION"});
    for (size_t i = 0; i < list->n_changes && !bad; i++)
        bad = add_change_row(&t, list->changes[i]) != 0;
    rc = table_finish(&t, bad);
out:
    credit__v1__list_changes_response__free_unpacked(list, NULL);
    return rc;
}

/* clang-format off */
static const struct subcommand {
    const char *name;
    int (*run)(struct session *s, int argc, char **argv);
    int min_args;
    int max_args;
    unsigned opts;
    const char *args; /* what it expects, for usage errors */
} catalogue_commands[] = {
    {"list",    cat_list,    0, 0, 0,                          "no arguments"},
    {"show",    cat_show,    0, 1, 0,                          "at most one VERSION"},
    {"diff",    cat_diff,    2, 2, 0,                          "V1 V2"},
    {"propose", cat_propose, 1, 1, 0,                          "FILE (or - for stdin)"},
    {"review",  cat_review,  2, 2, OPT_REASON,                 "ID pass|fail --reason TEXT"},
    {"decide",  cat_decide,  2, 2, OPT_REASON | OPT_EFFECTIVE, "ID approve|reject --reason TEXT"},
    {"history", cat_history, 0, 0, OPT_STATE,                  "no arguments"},
    {"get",     cat_get,     1, 1, 0,                          "ID"},
};
/* clang-format on */

/* Runs the subcommand argv[0] of `group` from table[0..n); `names` lists them for errors. */
static int run_subcommand(const struct config *cfg, const char *group,
                          const struct subcommand *table, size_t n, const char *names, int argc,
                          char **argv)
{
    const struct subcommand *sub = NULL;
    struct session s = {cfg, NULL};

    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].name, argv[0]) == 0)
            sub = &table[i];
    if (!sub)
        return usage_error("%s: unknown subcommand '%s' (%s)", group, argv[0], names);
    if (argc - 1 < sub->min_args || argc - 1 > sub->max_args)
        return usage_error("%s %s: expected %s", group, sub->name, sub->args);
    if (cfg->used & ~sub->opts)
        return usage_error("%s %s: does not take %s", group, sub->name,
                           opt_flag(cfg->used & ~sub->opts));
    int rc = sub->run(&s, argc - 1, argv + 1);
    credit_client_destroy(s.c);
    return rc;
}

static int cmd_catalogue(const struct config *cfg, int argc, char **argv)
{
    return run_subcommand(cfg, "catalogue", catalogue_commands,
                          sizeof catalogue_commands / sizeof catalogue_commands[0],
                          "list, show, diff, propose, review, decide, history, get", argc, argv);
}

/* --- mandate, optin ------------------------------------------------------------------------ */

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

static int add_field(struct table *t, const char *name, const char *value)
{
    return table_add(t, (const char *[]){name, value});
}

static int mandate_rows(const ProtobufCMessage *msg, struct table *t)
{
    const Credit__V1__Mandate *m = (const void *)msg;
    char registered[64], revoked[64];
    return add_field(t, "platform", m->platform) ||
           add_field(t, "association", m->association ? m->association->name : "") ||
           add_field(t, "association uscc", m->association ? m->association->uscc : "") ||
           add_field(t, "status", m->revoked ? "revoked" : "live") ||
           add_field(t, "registered",
                     format_time(m->registered_at, registered, sizeof registered)) ||
           add_field(t, "registered by", dash(m->registered_by)) ||
           add_field(t, "revoked", format_time(m->revoked_at, revoked, sizeof revoked)) ||
           add_field(t, "reason", dash(m->reason));
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
                      (const char *[]){"PLATFORM", "ASSOCIATION USCC", "STATUS", "REGISTERED",
                                       "ASSOCIATION"});
    for (size_t i = 0; i < list->n_mandates && !bad; i++) {
        const Credit__V1__Mandate *m = list->mandates[i];
        char at[64];
        const char *row[] = {m->platform, m->association ? m->association->uscc : "",
                             m->revoked ? "revoked" : "live",
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
    return add_field(t, "platform", o->platform) ||
           add_field(t, "enterprise", o->enterprise_uscc) ||
           add_field(t, "consent digest", o->consent_digest) ||
           add_field(t, "status", o->revoked ? "revoked" : "live") ||
           add_field(t, "registered",
                     format_time(o->registered_at, registered, sizeof registered)) ||
           add_field(t, "registered by", dash(o->registered_by)) ||
           add_field(t, "revoked", format_time(o->revoked_at, revoked, sizeof revoked)) ||
           add_field(t, "revoked by", dash(o->revoked_by));
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
                      (const char *[]){"PLATFORM", "ENTERPRISE", "STATUS", "REGISTERED",
                                       "CONSENT DIGEST"});
    for (size_t i = 0; i < list->n_opt_ins && !bad; i++) {
        const Credit__V1__OptIn *o = list->opt_ins[i];
        char at[64];
        const char *row[] = {o->platform, o->enterprise_uscc, o->revoked ? "revoked" : "live",
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
    {"register", mandate_register, 3, 3, 0,          "PLATFORM ASSOCIATION_USCC ASSOCIATION_NAME"},
    {"revoke",   mandate_revoke,   2, 2, OPT_REASON, "PLATFORM ASSOCIATION_USCC --reason TEXT"},
    {"list",     mandate_list,     0, 1, 0,          "at most one PLATFORM"},
};

static const struct subcommand optin_commands[] = {
    {"register", optin_register, 2, 3, 0, "ENTERPRISE_USCC CONSENT_DIGEST [PLATFORM]"},
    {"revoke",   optin_revoke,   1, 2, 0, "ENTERPRISE_USCC [PLATFORM]"},
    {"list",     optin_list,     0, 1, 0, "at most one PLATFORM"},
};
/* clang-format on */

static int cmd_mandate(const struct config *cfg, int argc, char **argv)
{
    return run_subcommand(cfg, "mandate", mandate_commands,
                          sizeof mandate_commands / sizeof mandate_commands[0],
                          "register, revoke, list", argc, argv);
}

static int cmd_optin(const struct config *cfg, int argc, char **argv)
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
    return add_field(t, "record", r->record_id) || add_field(t, "version", version) ||
           add_field(t, "outcome", enum_name(&credit__v1__push_outcome__descriptor, r->outcome));
}

static int cmd_verify(const struct config *cfg, int argc, char **argv)
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
    rc = credit_client_declaration_verify(c, argv[0], strcmp(argv[1], "verified") == 0, cfg->reason, &r, &st);
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

static int cmd_pending(const struct config *cfg, int argc, char **argv)
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
                                : (const char *[]){"RECORD ID", "SECTION", "SUBJECT", "SOURCE",
                                                   "REPORTED", "TITLE", "BY", "REASON"});
    const char *token = "";
    while (!bad) {
        Credit__V1__ListRecordsResponse **grown;
        if (n_pages == MAX_PAGES || !(grown = realloc(pages, (n_pages + 1) * sizeof *pages))) {
            fputs(PROG ": the pending list does not end, or memory ran out\n", stderr);
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

static int cmd_series(const struct config *cfg, int argc, char **argv)
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
    if ((rc = parse_tier(cfg->tier, &tier)) != 0)
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
    req.from = cfg->from ? &from : NULL;
    req.to = cfg->to ? &to : NULL;
    req.aggregation = cfg->monthly ? CREDIT__V1__AGGREGATION__MONTHLY_TOTAL
                                   : CREDIT__V1__AGGREGATION__AGGREGATION_UNSPECIFIED;
    req.page_size = 10000;
    req.page_token = (char *)"";
    if ((rc = open_client(cfg, &c)) != 0)
        return rc;
    bad = table_start(&t, 4, 0,
                      cfg->json      ? NULL
                      : cfg->monthly ? (const char *[]){"MONTH", "TOTAL", "SAMPLES", "PLATFORM"}
                                     : (const char *[]){"PERIOD START", "SECONDS", "VALUE",
                                                        "PLATFORM"});
    for (size_t pages = 0; !bad; pages++) {
        if (pages == MAX_PAGES) {
            fputs(PROG ": the node's series does not end\n", stderr);
            rc = EXIT_ERR;
            goto out;
        }
        if (credit_client_series_get(c, tier, &req, &page, &st) != CREDIT_OK) {
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

/* clang-format off */
static const struct command commands[] = {
    {"health", cmd_health, 0, 1, 0},
    {"whoami", cmd_whoami, 0, 0, 0},
    {"units",  cmd_units,  0, 0, OPT_KIND},
    {"query",  cmd_query,  2, 2, OPT_TIER | OPT_CATEGORY | OPT_CATALOGUE | OPT_SECTION},
    {"get",    cmd_get,    1, 1, OPT_TIER},
    {"push",   cmd_push,   1, 1, OPT_BATCH | OPT_CATALOGUE | OPT_FORMAT | OPT_STATE | OPT_RESTART},
    {"catalogue", cmd_catalogue, 1, 3, OPT_STATE | OPT_REASON | OPT_EFFECTIVE},
    {"series",  cmd_series,  3, 3, OPT_TIER | OPT_FROM | OPT_TO | OPT_MONTHLY},
    {"mandate", cmd_mandate, 1, 4, OPT_REASON},
    {"optin",   cmd_optin,   1, 4, 0},
    {"verify",  cmd_verify,  2, 2, OPT_REASON},
    {"pending", cmd_pending, 0, 1, 0},
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
        return usage_error("no command (health, whoami, units, query, get, push, catalogue, "
                           "series, mandate, optin, verify, pending)");
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
                           strcmp(name, "query") == 0       ? "SUBJECT_KIND IDENTIFIER"
                           : strcmp(name, "get") == 0       ? "RECORD_ID"
                           : strcmp(name, "push") == 0      ? "FILE (or - for stdin)"
                           : strcmp(name, "health") == 0    ? "at most one SERVICE"
                           : strcmp(name, "series") == 0    ? "USCC SECTION METRIC"
                           : strcmp(name, "verify") == 0    ? "RECORD_ID verified|rejected"
                           : strcmp(name, "mandate") == 0   ? "a subcommand (register, revoke, "
                                                              "list)"
                           : strcmp(name, "optin") == 0     ? "a subcommand (register, revoke, "
                                                              "list)"
                           : strcmp(name, "catalogue") == 0 ? "a subcommand (list, show, diff, "
                                                              "propose, review, decide, history, "
                                                              "get)"
                                                            : "no arguments");
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
