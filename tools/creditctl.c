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
#include <unistd.h>

#include "json_in.h"
#include "json_out.h"

#define PROG       "creditctl"
#define EXIT_ERR   1
#define EXIT_USAGE 2
#define MAX_PAGES  100000 /* a node that never ends its pages must not loop us forever */
#define MAX_CATS   64
#define MAX_BATCH  1000 /* the node's limit for one PushBatch */
#define PROGRESS_EVERY 1000

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
    "  push [--batch N] FILE        public records from JSON Lines (FILE, or - for stdin), one\n"
    "                               credit.v1.PublicRecordInput a line, streamed or in batches\n"
    "                               of N (1..1000); prints a summary and each rejected line\n"
    "                               (--json: one result a line); exit 1 if any is rejected\n"
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

/* --- push ---------------------------------------------------------------------------------- */

/* What became of one line of the file: the node's result (r), or a local rejection. */
struct push_outcome {
    size_t line;
    const Credit__V1__PushResult *r; /* NULL: rejected here, before sending */
    char *field;                     /* local rejections: malloc'd */
    char *reason;
};

struct push_state {
    const struct config *cfg;
    credit_client *client;
    credit_pusher *pusher;                 /* streaming: opened with the first record */
    Credit__V1__PublicRecordInput **batch; /* --batch: records waiting to go */
    size_t n_batch;
    size_t *lines; /* the file line of every record sent, by its index in the push */
    size_t n_lines, cap_lines;
    size_t n_done;                         /* records whose result has come back */
    Credit__V1__PushBatchResponse **resps; /* kept: the outcomes point into them */
    size_t n_resps;
    struct push_outcome *outs;
    size_t n_outs, cap_outs;
    int progress; /* 1 while a progress line is on the terminal */
};

static int nomem(void)
{
    fputs(PROG ": out of memory\n", stderr);
    return EXIT_ERR;
}

/* A new outcome at the end of ps->outs (zeroed), or NULL when out of memory. */
static struct push_outcome *new_outcome(struct push_state *ps, size_t line)
{
    if (ps->n_outs == ps->cap_outs) {
        size_t cap = ps->cap_outs ? ps->cap_outs * 2 : 64;
        struct push_outcome *o = realloc(ps->outs, cap * sizeof *o);
        if (!o)
            return NULL;
        ps->outs = o;
        ps->cap_outs = cap;
    }
    struct push_outcome *o = &ps->outs[ps->n_outs++];
    memset(o, 0, sizeof *o);
    o->line = line;
    return o;
}

static int add_result(struct push_state *ps, size_t line, const Credit__V1__PushResult *r)
{
    struct push_outcome *o = new_outcome(ps, line);
    if (!o)
        return -1;
    o->r = r;
    return 0;
}

static int add_local(struct push_state *ps, size_t line, const json_in_error *e)
{
    struct push_outcome *o = new_outcome(ps, line);
    if (!o)
        return -1;
    o->field = strdup(e->field);
    o->reason = strdup(e->reason);
    if (!o->field || !o->reason) {
        free(o->field);
        free(o->reason);
        ps->n_outs--;
        return -1;
    }
    return 0;
}

/* Counts n more records as sent; on a terminal, says so every PROGRESS_EVERY records. */
static void note_sent(struct push_state *ps, size_t before, size_t n)
{
    if ((before + n) / PROGRESS_EVERY != before / PROGRESS_EVERY && isatty(STDERR_FILENO)) {
        fprintf(stderr, "\r%zu records sent", (before + n) / PROGRESS_EVERY * PROGRESS_EVERY);
        ps->progress = 1;
    }
}

static int remember_line(struct push_state *ps, size_t line)
{
    if (ps->n_lines == ps->cap_lines) {
        size_t cap = ps->cap_lines ? ps->cap_lines * 2 : 1024;
        size_t *l = realloc(ps->lines, cap * sizeof *l);
        if (!l)
            return -1;
        ps->lines = l;
        ps->cap_lines = cap;
    }
    ps->lines[ps->n_lines++] = line;
    return 0;
}

/* Takes the node's answer for the records from index ps->n_done to ps->n_lines. Returns 0, or
 * EXIT_ERR (said why) when it does not match them. */
static int take_response(struct push_state *ps, Credit__V1__PushBatchResponse *resp)
{
    size_t want = ps->n_lines - ps->n_done;
    Credit__V1__PushBatchResponse **grown =
        realloc(ps->resps, (ps->n_resps + 1) * sizeof *ps->resps);
    if (!grown) {
        credit__v1__push_batch_response__free_unpacked(resp, NULL);
        return nomem();
    }
    ps->resps = grown;
    ps->resps[ps->n_resps++] = resp;
    if (resp->n_results != want) {
        fprintf(stderr, PROG ": the node answered %zu results for %zu records\n",
                resp->n_results, want);
        return EXIT_ERR;
    }
    for (size_t i = 0; i < resp->n_results; i++) {
        const Credit__V1__PushResult *r = resp->results[i];
        if (r->index < 0 || (size_t)r->index >= want) {
            fprintf(stderr, PROG ": the node answered a result for record %d of %zu\n",
                    (int)r->index, want);
            return EXIT_ERR;
        }
        if (add_result(ps, ps->lines[ps->n_done + (size_t)r->index], r) != 0)
            return nomem();
    }
    ps->n_done = ps->n_lines;
    return 0;
}

static int flush_batch(struct push_state *ps)
{
    Credit__V1__PushBatchRequest req = CREDIT__V1__PUSH_BATCH_REQUEST__INIT;
    Credit__V1__PushBatchResponse *resp = NULL;
    credit_status st;
    int rc = 0;

    if (ps->n_batch == 0)
        return 0;
    req.records = ps->batch;
    req.n_records = ps->n_batch;
    if (credit_client_push_batch(ps->client, &req, &resp, &st) != CREDIT_OK)
        rc = report(&st);
    for (size_t i = 0; i < ps->n_batch; i++)
        credit__v1__public_record_input__free_unpacked(ps->batch[i], NULL);
    note_sent(ps, ps->n_done, ps->n_batch);
    ps->n_batch = 0;
    return rc ? rc : take_response(ps, resp);
}

/* Sends one record (the caller keeps rec in stream mode; batch mode takes it). */
static int send_record(struct push_state *ps, Credit__V1__PublicRecordInput *rec, size_t line)
{
    credit_status st;

    if (remember_line(ps, line) != 0) {
        credit__v1__public_record_input__free_unpacked(rec, NULL);
        return nomem();
    }
    if (ps->cfg->batch > 0) {
        ps->batch[ps->n_batch++] = rec;
        return ps->n_batch == (size_t)ps->cfg->batch ? flush_batch(ps) : 0;
    }
    int rc = 0;
    if (!ps->pusher &&
        credit_pusher_create(ps->client, ps->cfg->timeout_ms, &ps->pusher, &st) != CREDIT_OK)
        rc = report(&st);
    else if (credit_pusher_add(ps->pusher, rec, &st) != CREDIT_OK) {
        /* The stream has ended: the node's reason comes with finish. */
        Credit__V1__PushBatchResponse *resp = NULL;
        credit_status fst;
        if (credit_pusher_finish(ps->pusher, &resp, &fst) != CREDIT_OK)
            rc = report(&fst);
        else {
            credit__v1__push_batch_response__free_unpacked(resp, NULL);
            rc = report(&st);
        }
    } else {
        note_sent(ps, ps->n_lines - 1, 1);
    }
    credit__v1__public_record_input__free_unpacked(rec, NULL);
    return rc;
}

static int finish_stream(struct push_state *ps)
{
    Credit__V1__PushBatchResponse *resp = NULL;
    credit_status st;

    if (ps->cfg->batch > 0)
        return flush_batch(ps);
    if (!ps->pusher)
        return 0; /* nothing to send */
    if (credit_pusher_finish(ps->pusher, &resp, &st) != CREDIT_OK)
        return report(&st);
    return take_response(ps, resp);
}

static int by_line(const void *a, const void *b)
{
    const struct push_outcome *x = a, *y = b;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int is_accepted(const Credit__V1__PushResult *r)
{
    return r && (r->outcome == CREDIT__V1__PUSH_OUTCOME__CREATED ||
                 r->outcome == CREDIT__V1__PUSH_OUTCOME__UNCHANGED ||
                 r->outcome == CREDIT__V1__PUSH_OUTCOME__NEW_VERSION);
}

static void print_outcome_json(const struct push_outcome *o)
{
    const Credit__V1__PushResult *r = o->r;

    printf("{\"line\":%zu,\"outcome\":", o->line);
    if (!r) {
        json_write_string(stdout, "REJECTED");
        printf(",\"code\":%d", CREDIT_CODE_INVALID_ARGUMENT);
        if (*o->field) {
            fputs(",\"field\":", stdout);
            json_write_string(stdout, o->field);
        }
        fputs(",\"reason\":", stdout);
        json_write_string(stdout, o->reason);
        fputs(",\"local\":true}\n", stdout);
        return;
    }
    json_write_string(stdout, enum_name(&credit__v1__push_outcome__descriptor, r->outcome));
    if (r->record_id && *r->record_id) {
        fputs(",\"recordId\":", stdout);
        json_write_string(stdout, r->record_id);
    }
    if (r->version)
        printf(",\"version\":%u", r->version);
    if (r->code)
        printf(",\"code\":%d", (int)r->code);
    if (r->field && *r->field) {
        fputs(",\"field\":", stdout);
        json_write_string(stdout, r->field);
    }
    if (r->reason && *r->reason) {
        fputs(",\"reason\":", stdout);
        json_write_string(stdout, r->reason);
    }
    fputs("}\n", stdout);
}

static int print_outcomes(struct push_state *ps)
{
    size_t created = 0, unchanged = 0, versions = 0, rejected = 0;

    if (ps->n_outs > 1)
        qsort(ps->outs, ps->n_outs, sizeof *ps->outs, by_line);
    for (size_t i = 0; i < ps->n_outs; i++) {
        const Credit__V1__PushResult *r = ps->outs[i].r;
        if (!is_accepted(r))
            rejected++;
        else if (r->outcome == CREDIT__V1__PUSH_OUTCOME__CREATED)
            created++;
        else if (r->outcome == CREDIT__V1__PUSH_OUTCOME__UNCHANGED)
            unchanged++;
        else
            versions++;
    }
    if (ps->cfg->json) {
        for (size_t i = 0; i < ps->n_outs; i++)
            print_outcome_json(&ps->outs[i]);
        return rejected ? EXIT_ERR : 0;
    }
    printf("pushed %zu records: %zu accepted (%zu created, %zu unchanged, %zu new versions), "
           "%zu rejected\n",
           ps->n_outs, created + unchanged + versions, created, unchanged, versions, rejected);
    for (size_t i = 0; i < ps->n_outs; i++) {
        const struct push_outcome *o = &ps->outs[i];
        if (!o->r)
            printf("line %zu: %s\n", o->line, o->reason);
        else if (!is_accepted(o->r))
            printf("line %zu: %s: %s (%s)\n", o->line,
                   o->r->field && *o->r->field ? o->r->field : "-",
                   o->r->reason && *o->r->reason ? o->r->reason : "rejected",
                   credit_code_name(o->r->code));
    }
    return rejected ? EXIT_ERR : 0;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

static int cmd_push(const struct config *cfg, int argc, char **argv)
{
    struct push_state ps;
    const char *path = argv[0];
    FILE *in;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int rc;

    (void)argc;
    memset(&ps, 0, sizeof ps);
    ps.cfg = cfg;
    if (strcmp(path, "-") == 0) {
        in = stdin;
    } else if (!(in = fopen(path, "r"))) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return EXIT_ERR;
    }
    if (cfg->batch > 0 && !(ps.batch = calloc((size_t)cfg->batch, sizeof *ps.batch))) {
        rc = nomem();
        goto out_file;
    }
    if ((rc = open_client(cfg, &ps.client)) != 0)
        goto out_file;

    while ((got = getline(&line, &cap, in)) != -1) {
        size_t len = (size_t)got;
        const char *text = line;
        lineno++;
        if (lineno == 1 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
            text += 3; /* a UTF-8 byte order mark */
            len -= 3;
        }
        if (is_blank(text, len))
            continue;
        ProtobufCMessage *msg = NULL;
        json_in_error jerr;
        if (json_read_message(&credit__v1__public_record_input__descriptor, text, len, &msg,
                              &jerr) != 0) {
            if (add_local(&ps, lineno, &jerr) != 0) {
                rc = nomem();
                goto out;
            }
            continue;
        }
        if ((rc = send_record(&ps, (Credit__V1__PublicRecordInput *)msg, lineno)) != 0)
            goto out;
    }
    if (ferror(in)) {
        fprintf(stderr, PROG ": %s: %s\n", strcmp(path, "-") == 0 ? "stdin" : path,
                strerror(errno));
        rc = EXIT_ERR;
        goto out;
    }
    if ((rc = finish_stream(&ps)) != 0)
        goto out;
    if (ps.progress) {
        fprintf(stderr, "\r%zu records sent\n", ps.n_lines);
        ps.progress = 0;
    }
    rc = print_outcomes(&ps);
out:
    if (ps.progress)
        fputc('\n', stderr);
    free(line);
    for (size_t i = 0; i < ps.n_batch; i++)
        credit__v1__public_record_input__free_unpacked(ps.batch[i], NULL);
    for (size_t i = 0; i < ps.n_outs; i++) {
        free(ps.outs[i].field);
        free(ps.outs[i].reason);
    }
    free(ps.outs);
    for (size_t i = 0; i < ps.n_resps; i++)
        credit__v1__push_batch_response__free_unpacked(ps.resps[i], NULL);
    free(ps.resps);
    free(ps.lines);
    credit_pusher_destroy(ps.pusher);
    credit_client_destroy(ps.client);
out_file:
    free(ps.batch);
    if (in != stdin)
        fclose(in);
    return rc;
}

/* clang-format off */
static const struct command commands[] = {
    {"health", cmd_health, 0, 1, 0},
    {"whoami", cmd_whoami, 0, 0, 0},
    {"units",  cmd_units,  0, 0, OPT_KIND},
    {"query",  cmd_query,  2, 2, OPT_TIER | OPT_CATEGORY},
    {"get",    cmd_get,    1, 1, OPT_TIER},
    {"push",   cmd_push,   1, 1, OPT_BATCH},
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
    {"batch", required_argument, NULL, LONG_BATCH},
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
        case LONG_BATCH:
            if (parse_timeout(optarg, &cfg.batch) != 0 || cfg.batch > MAX_BATCH)
                return usage_error("--batch: '%s' is not a number of records from 1 to %d",
                                   optarg, MAX_BATCH);
            used |= OPT_BATCH;
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
        return usage_error("no command (health, whoami, units, query, get, push)");
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
                           : strcmp(name, "push") == 0   ? "FILE (or - for stdin)"
                           : strcmp(name, "health") == 0 ? "at most one SERVICE"
                                                         : "no arguments");
    if (used & ~cmd->opts)
        return usage_error("%s: does not take %s", name,
                           used & ~cmd->opts & OPT_KIND       ? "--kind"
                           : used & ~cmd->opts & OPT_TIER     ? "--tier"
                           : used & ~cmd->opts & OPT_CATEGORY ? "--category"
                                                              : "--batch");

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
