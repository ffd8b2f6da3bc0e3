/*
 * creditctl.h — creditctl's own internals, shared by its files (never installed).
 *
 * creditctl is split the way curl splits its tool: main.c parses the options and dispatches,
 * one file holds each command group, common.c and output.c hold what they share. The
 * vocabulary between them is this header: the parsed options (struct config), the rows of
 * the command and subcommand tables, the table printer, and the commands themselves.
 *
 * Every command returns the process's exit status: 0, EXIT_ERR (the node or the library
 * refused; the helper that printed why returned it) or EXIT_USAGE. main flushes and checks
 * stdout before exiting. creditctl is single-threaded; nothing here locks.
 *
 * The shared helpers keep the short names they had as static functions of one file, without
 * a module prefix: these are a program's names, not a library's, and nothing creditctl links
 * (libcreditclient's credit_*, json-c's json_*, the readers' json_/csv_/import_state_) uses
 * them. The commands are cmd_<name>, the catalogue's subcommands cat_<name>.
 */
#ifndef CREDITCTL_H
#define CREDITCTL_H

#include <credit/client.h>

#include <libintl.h>
#include <stddef.h>
#include <stdio.h>

/* Messages for people follow the locale (gettext, domain "creditctl"; English is the text
 * in the code, the Chinese is tools/creditctl/po/zh_CN.po). What scripts read (--json, the
 * node's codes and field paths) is never translated. */
#define _(text) gettext(text)
#define N_(text) (text) /* a message gettext translates where it is used, not here */

#define PROG       "creditctl"
#define EXIT_ERR   1
#define EXIT_USAGE 2
#define MAX_PAGES  100000 /* a node that never ends its pages must not loop us forever */
#define MAX_CATS   64
#define MAX_BATCH  1000 /* the node's limit for one PushBatch */

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
    OPT_REJECTS = 1u << 14,
    OPT_ENCODING = 1u << 15,
    OPT_MAP = 1u << 16,
    OPT_AMOUNT_UNIT = 1u << 17,
    OPT_GRANT = 1u << 18,
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
    int batch;                        /* --batch: records per PushBatch; 0: stream */
    const char *state;                /* --state, as given */
    const char *reason;               /* --reason */
    const char *effective;            /* --effective, as given */
    const char *catalogues[MAX_CATS]; /* --catalogue, as given */
    size_t n_catalogues;
    const char *sections[MAX_CATS]; /* --section */
    size_t n_sections;
    const char *format; /* --format, as given */
    int restart;        /* --restart */
    const char *from;   /* --from, --to: RFC 3339, as given */
    const char *to;
    int monthly;   /* --monthly */
    const char *rejects;     /* push --rejects FILE */
    const char *encoding;    /* push --encoding, as given */
    const char *map;         /* push --map FILE */
    const char *amount_unit; /* push --amount-unit, as given */
    const char *grant;       /* --grant ID: query, get and series under a consent grant */
    unsigned used; /* OPT_* of the command-specific options given */
};

struct command {
    const char *name;
    int (*run)(const struct config *cfg, int argc, char **argv);
    int min_args;
    int max_args;
    unsigned opts;
};

/* A table of copied strings, row-major. The caller owns it: table_cleanup frees the cells. */
struct table {
    size_t indent; /* spaces before each row */
    size_t ncols;
    size_t nrows;
    size_t cap; /* rows allocated */
    char **cells;
};

/* The client of one subcommand: opened when the subcommand has checked its arguments
 * and needs the node, destroyed by run_subcommand. */
struct session {
    const struct config *cfg;
    credit_client *c;
};

/* A subcommand of a command group (catalogue, mandate, optin): what run_subcommand
 * checks before it runs one. */
struct subcommand {
    const char *name;
    int (*run)(struct session *s, int argc, char **argv);
    int min_args;
    int max_args;
    unsigned opts;
    const char *args; /* what it expects, for usage errors */
};

/* --- common.c: messages, parsers, the client, subcommands --- */
void i18n_init(const char *argv0);
extern const char usage_line[];
__attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...);
/* "creditctl: " and fmt, translated, on stderr (fmt ends its own line). */
__attribute__((format(printf, 1, 2))) void say(const char *fmt, ...);
int report(const credit_status *st);
int nomem(void);
const char *opt_flag(unsigned bits);
int parse_enum(const ProtobufCEnumDescriptor *d, const char *text, const char *prefix, int *out);
const char *enum_name(const ProtobufCEnumDescriptor *d, int value);
const char *enum_short(const ProtobufCEnumDescriptor *d, int value, const char *prefix);
/* A subject kind by name (legal_person, SUBJECT_KIND_NATURAL_PERSON). Returns 0 and *out, or
 * EXIT_USAGE after saying why (*out untouched). */
int parse_subject_kind(const char *text, int *out);
int parse_tier(const char *text, credit_tier *out);
/* The tier of query, get and series: --tier's, or with --grant the authorized tier (then no
 * --tier; *out untouched). Returns 0 or EXIT_USAGE after saying why. */
int parse_read_tier(const struct config *cfg, credit_tier *out);
int parse_positive(const char *text, int *out);
int open_client(const struct config *cfg, credit_client **out);
int finish_output(int rc);
int parse_catalogue(const char *text, credit_catalogue *out, int any);
int session_open(struct session *s);
const char *catalogue_text(int catalogue);
int run_subcommand(const struct config *cfg, const char *group, const struct subcommand *table,
                   size_t n, const char *names, int argc, char **argv);
/* One message of type d as proto3 JSON from `path` ("-": stdin) into *out (free with
 * protobuf_c_message_free_unpacked). Returns 0, or EXIT_ERR after saying why. */
int read_json_message(const char *path, const ProtobufCMessageDescriptor *d,
                      ProtobufCMessage **out);

/* --- output.c: tables and formats for people, and --json --- */
void table_init(struct table *t, size_t ncols);
void table_cleanup(struct table *t);
int table_add(struct table *t, const char *const *row);
void table_print(FILE *out, const struct table *t);
int table_start(struct table *t, size_t ncols, size_t indent, const char *const *header);
int table_finish(struct table *t, int bad);
int print_fields(const char *(*rows)[2], size_t n, size_t indent);
__attribute__((format(printf, 4, 5))) void append(char *buf, size_t size, size_t *used,
                                                  const char *fmt, ...);
const char *format_time(const Google__Protobuf__Timestamp *t, char *buf, size_t size);
const char *dash(const char *s);
void print_json(const ProtobufCMessage *msg);

/* --- The commands, one file per group --- */

/* query.c */
int cmd_health(const struct config *cfg, int argc, char **argv);
int cmd_whoami(const struct config *cfg, int argc, char **argv);
int cmd_units(const struct config *cfg, int argc, char **argv);
int cmd_query(const struct config *cfg, int argc, char **argv);
int cmd_get(const struct config *cfg, int argc, char **argv);

/* push.c */
int cmd_push(const struct config *cfg, int argc, char **argv);

/* reasons.c: how a fault of the node reads in the reader's language, by its reason code
 * (README "Reason codes"): the template of `code` translated, or `english` (the node's own
 * sentence) under a locale that does not translate it or for a code creditctl does not know.
 * The string is static, or `english`; never NULL. */
const char *reason_say(const char *code, const char *english);

/* push_names.c: a clerk's column names and enum labels (the catalogue in force, --map).
 * push_names_load reads the catalogue through c and the map file; returns 0 and *out (free
 * with push_names_destroy, after the dialect's last use), or an exit status (said why). */
struct push_names;
struct csv_dialect;
int push_names_load(credit_client *c, credit_catalogue cat, const char *map_path,
                    struct push_names **out);
void push_names_dialect(struct push_names *ns, struct csv_dialect *d);
void push_names_destroy(struct push_names *ns);

/* catalogue.c: the command, and what governance.c shares of its printing */
int cmd_catalogue(const struct config *cfg, int argc, char **argv);
const char *change_dimension(const Credit__V1__ChangeRequest *ch);
int print_change_answer(const struct config *cfg, int call_rc, Credit__V1__ChangeRequest *ch,
                        const credit_status *st);

/* governance.c: the catalogue command's change-request subcommands */
int cat_propose(struct session *s, int argc, char **argv);
int cat_review(struct session *s, int argc, char **argv);
int cat_decide(struct session *s, int argc, char **argv);
int cat_get(struct session *s, int argc, char **argv);
int cat_history(struct session *s, int argc, char **argv);

/* partners.c */
int cmd_mandate(const struct config *cfg, int argc, char **argv);
int cmd_optin(const struct config *cfg, int argc, char **argv);
int cmd_verify(const struct config *cfg, int argc, char **argv);
int cmd_pending(const struct config *cfg, int argc, char **argv);

/* consent.c */
int cmd_consent(const struct config *cfg, int argc, char **argv);
int cmd_series(const struct config *cfg, int argc, char **argv);
int cmd_portrait(const struct config *cfg, int argc, char **argv);

#endif /* CREDITCTL_H */
