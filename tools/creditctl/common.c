/*
 * common.c — what every creditctl command shares: the usage and error messages, the parsers
 * of the enum names and numbers commands take, opening the client, and running a subcommand
 * of a group (catalogue, mandate, optin).
 *
 * Messages go to stderr in one form, "creditctl: ...", and each helper returns the exit
 * status the command then returns (EXIT_USAGE for a usage error, EXIT_ERR otherwise), so a
 * command reports and exits in one statement.
 */
#include "creditctl.h"

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_in.h"

const char usage_line[] =
    N_("usage: creditctl [--target HOST:PORT] [--ca FILE] [--cert FILE] [--key FILE] "
       "[--timeout MS] [--json] COMMAND [ARGS]\n");

/* The flag of each command-specific option, for "does not take" errors. */
static const struct {
    unsigned bit;
    const char *flag;
} opt_flags[] = {
    {OPT_KIND, "--kind"},   {OPT_TIER, "--tier"},     {OPT_CATEGORY, "--category"},
    {OPT_BATCH, "--batch"}, {OPT_STATE, "--state"},   {OPT_REASON, "--reason"},
    {OPT_EFFECTIVE, "--effective"}, {OPT_CATALOGUE, "--catalogue"}, {OPT_SECTION, "--section"},
    {OPT_FORMAT, "--format"},       {OPT_RESTART, "--restart"},     {OPT_FROM, "--from"},
    {OPT_TO, "--to"},               {OPT_MONTHLY, "--monthly"},     {OPT_REJECTS, "--rejects"},
    {OPT_ENCODING, "--encoding"},   {OPT_MAP, "--map"},     {OPT_AMOUNT_UNIT, "--amount-unit"},
    {OPT_GRANT, "--grant"},
};

/* --- Messages ------------------------------------------------------------------------------ */

/* The catalogues of translated messages: beside an installed creditctl
 * (BIN/../share/locale), else the build tree's (CREDITCTL_LOCALEDIR). */
static const char *locale_dir(const char *argv0, char *buf, size_t size)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    (void)argv0;
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, size, "%s/../share/locale/zh_CN/LC_MESSAGES/creditctl.mo", exe);
            if (access(buf, R_OK) == 0) {
                snprintf(buf, size, "%s/../share/locale", exe);
                return buf;
            }
        }
    }
    return CREDITCTL_LOCALEDIR;
}

void i18n_init(const char *argv0)
{
    char dir[4200];
    /* Only the messages and the characters follow the locale: numbers and times are read
     * and written the one way (a locale's decimal comma would change what a file means).
     * A language the system has no locale for (zh_CN.UTF-8 is often not generated) still gets
     * its messages: the UTF-8 C locale, and the language asked for by name (glibc ignores
     * LANGUAGE only under the plain "C" locale). */
    if (!setlocale(LC_MESSAGES, "") || !setlocale(LC_CTYPE, "")) {
        const char *want = getenv("LC_ALL");
        if (!want || !*want)
            want = getenv("LC_MESSAGES");
        if (!want || !*want)
            want = getenv("LANG");
        setlocale(LC_MESSAGES, "C.UTF-8");
        if (setlocale(LC_CTYPE, "C.UTF-8") && want && *want && strcmp(want, "C") != 0 &&
            strcmp(want, "POSIX") != 0 && !(getenv("LANGUAGE") && *getenv("LANGUAGE"))) {
            char lang[64];
            snprintf(lang, sizeof lang, "%.*s", (int)strcspn(want, ".@"), want);
            setenv("LANGUAGE", lang, 1); /* an empty LANGUAGE is unset, as glibc reads it */
        }
    }
    bindtextdomain("creditctl", locale_dir(argv0, dir, sizeof dir));
    bind_textdomain_codeset("creditctl", "UTF-8");
    textdomain("creditctl");
}

/* Messages are translated where they are printed: usage_error and say take the English
 * format, which xgettext finds as their first argument (tools/creditctl/po/zh_CN.po). */
static void vsay(const char *fmt, va_list ap)
{
    fputs(PROG ": ", stderr);
    vfprintf(stderr, gettext(fmt), ap);
}

__attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    fputs(_(usage_line), stderr);
    fprintf(stderr, _("Try '%s --help' for more.\n"), PROG);
    return EXIT_USAGE;
}

__attribute__((format(printf, 1, 2))) void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

int report(const credit_status *st)
{
    fprintf(stderr, PROG ": %s: %s\n", credit_code_name(st->code), st->message);
    return EXIT_ERR;
}

int nomem(void)
{
    say("out of memory\n");
    return EXIT_ERR;
}

/* The flag of the first option in `bits`. */
const char *opt_flag(unsigned bits)
{
    for (size_t i = 0; i < sizeof opt_flags / sizeof opt_flags[0]; i++)
        if (bits & opt_flags[i].bit)
            return opt_flags[i].flag;
    return "?";
}

/* --- Parsing ------------------------------------------------------------------------------- */

/* An enum value by name: as given, upper-cased, or upper-cased with `prefix` ("CATEGORY_").
 * The zero (UNSPECIFIED) value is not accepted. Returns 0 and *out, or -1. */
int parse_enum(const ProtobufCEnumDescriptor *d, const char *text, const char *prefix,
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

const char *enum_name(const ProtobufCEnumDescriptor *d, int value)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    return v ? v->name : "?";
}

/* An enum value's name without `prefix` ("CATEGORY_PENALTY" -> "PENALTY"), for people. */
const char *enum_short(const ProtobufCEnumDescriptor *d, int value, const char *prefix)
{
    const char *name = enum_name(d, value);
    size_t plen = strlen(prefix);
    return strncmp(name, prefix, plen) == 0 && name[plen] ? name + plen : name;
}

int parse_subject_kind(const char *text, int *out)
{
    if (parse_enum(&credit__v1__subject_kind__descriptor, text, "SUBJECT_KIND_", out) != 0)
        return usage_error("unknown subject kind '%s' (LEGAL_PERSON, NATURAL_PERSON, ...)",
                           text);
    return 0;
}

int parse_tier(const char *text, credit_tier *out)
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

int parse_read_tier(const struct config *cfg, credit_tier *out)
{
    if (!cfg->grant)
        return parse_tier(cfg->tier, out);
    if (cfg->tier)
        return usage_error("--grant reads the authorized tier; it takes no --tier");
    if (!*cfg->grant)
        return usage_error("--grant: an empty GRANT_ID");
    return 0;
}

/* A whole number from 1 to INT_MAX (a timeout, a batch size, a version). Returns 0 or -1. */
int parse_positive(const char *text, int *out)
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
int open_client(const struct config *cfg, credit_client **out)
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

int finish_output(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        say("writing output: %s\n", strerror(errno));
        return EXIT_ERR;
    }
    return rc;
}

int parse_catalogue(const char *text, credit_catalogue *out, int any)
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

int session_open(struct session *s)
{
    return s->c ? 0 : open_client(s->cfg, &s->c);
}

const char *catalogue_text(int catalogue)
{
    return enum_short(&credit__v1__catalogue__descriptor, catalogue, "CATALOGUE_");
}

/* clang-format on */

/* Runs the subcommand argv[0] of `group` from table[0..n); `names` lists them for errors. */
int run_subcommand(const struct config *cfg, const char *group,
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
        return usage_error("%s %s: expected %s", group, sub->name, _(sub->args));
    if (cfg->used & ~sub->opts)
        return usage_error("%s %s: does not take %s", group, sub->name,
                           opt_flag(cfg->used & ~sub->opts));
    int rc = sub->run(&s, argc - 1, argv + 1);
    credit_client_destroy(s.c);
    return rc;
}

int read_json_message(const char *path, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
    const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
    json_in_error jerr;
    char *text = NULL;
    size_t cap = 0;
    FILE *in;
    int rc = 0;

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
        say("%s: a NUL byte in the JSON text\n", name);
        rc = EXIT_ERR;
        goto out;
    }
    size_t len = got > 0 ? (size_t)got : 0;
    const char *json = text ? text : "";
    if (len >= 3 && memcmp(json, "\xef\xbb\xbf", 3) == 0) {
        json += 3; /* a UTF-8 byte order mark */
        len -= 3;
    }
    /* The reader's reason stays English (README "Language": JSON's syntax); what was
     * expected is said in the reader's language. */
    if (json_read_message(d, json, len, out, &jerr) != 0) {
        if (*jerr.field)
            say("%s: %s: %s (one %s in proto3 JSON is expected)\n", name, jerr.field,
                jerr.reason, d->name);
        else
            say("%s: %s (one %s in proto3 JSON is expected)\n", name, jerr.reason, d->name);
        rc = EXIT_ERR;
    }
out:
    free(text);
    if (in != stdin)
        fclose(in);
    return rc;
}
