/*
 * push.c — creditctl push: importing a file of records or samples into a catalogue.
 */
#include "creditctl.h"

#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clerk.h"
#include "csv_in.h"
#include "import_state.h"
#include "json_in.h"
#include "json_out.h"
#include "transcode.h"

/*
 * An import reads rows (JSON Lines, or CSV against its header) into the catalogue's input
 * message and sends them in groups: a PushBatch of --batch rows, or a stream of STREAM_GROUP
 * rows (samples: always a stream; records: a batched stream, PushBatches, of STREAM_MESSAGE
 * rows a message). The node's answer to a group acknowledges it; then the state file
 * (import_state.h) is rewritten, so that a run cut short resumes after the last acknowledged
 * group. Rows refused here (not JSON, a bad cell) are done when read.
 *
 * This relies on exactly what the node promises: a group is one call, stored whole when the
 * node answers it and not at all when the call fails or is cut short (a stream's records are
 * written only at its half-close). So the rows after the last acknowledged group are the
 * ones a rerun must send, and sending them again is safe.
 */

#define STREAM_GROUP 5000     /* rows a stream carries before its answer acknowledges them;
                               * within CREDIT_PUSH_STREAM_MAX */
_Static_assert(STREAM_GROUP <= CREDIT_PUSH_STREAM_MAX, "a group must fit in one stream");
#define STREAM_MESSAGE 250    /* records or samples a message of a batched stream carries */
_Static_assert(STREAM_MESSAGE <= CREDIT_PUSH_MESSAGE_MAX, "a message holds at most 1000");
#define PROGRESS_SECONDS 0.1  /* the progress line is redrawn at most this often */
#define STATE_SUFFIX ".state" /* the default state file: the input's path + this */
#define STATE_EAGER_REJECTS 1000 /* past this many rejections, the state is written at most
                                  * once a second (commit_group) */

/* A row's text as it was read (UTF-8, after any conversion), kept for the rejects file. */
struct rowtext {
    char *raw; /* malloc'd; NULL when not kept */
    size_t len;
    size_t cells; /* CSV: the cells the row had */
};

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
    char *reason_code;   /* the node's (README "Reason codes"); NULL when none */
    struct rowtext text; /* a rejection's row, with --rejects */
    size_t seq;          /* the order it became known: a row's faults stay in order */
};

struct outcomes {
    struct push_outcome *v;
    size_t n, cap;
};

/* Counts of outcomes: of the group in flight, of this run, of the import (the state). */
struct counts {
    uint64_t rows, created, unchanged, versions, accepted, rejected, unlisted;
};

/* How a run ends, for its summary. */
enum ending {
    END_FINISHED,    /* every row read and done */
    END_ALREADY,     /* the state said every row was done: nothing sent */
    END_INTERRUPTED, /* Ctrl-C: the group in flight was cancelled */
    END_STOPPED,     /* the input cannot be read on (an unclosed quote, a bad byte) */
    END_FAILED,      /* a call failed (the node unreachable, a refused stream): said why */
};

struct push {
    const struct config *cfg;
    const char *path;        /* the input, for messages */
    credit_catalogue cat;
    const ProtobufCMessageDescriptor *input;
    int samples;             /* the industrial catalogue: a sample stream */
    size_t group_max;        /* rows sent per acknowledged group */
    credit_client *client;   /* opened with the first row to send */
    credit_pusher *rp;       /* the group's record stream, opened with its first row */
    credit_sample_pusher *sp;
    ProtobufCMessage **batch; /* --batch: the group's records */
    size_t *lines;           /* the line of each row sent in the group, by its index */
    struct rowtext *texts;   /* --rejects: the text of each row sent in the group */
    size_t n_sent;           /* rows sent in the group */
    struct outcomes group;   /* the group's outcomes, in the order they became known */
    struct counts g;         /* the group's counts, added to run and st when acknowledged */
    struct counts run;       /* this run's acknowledged counts */
    uint64_t sent, acked;    /* for the progress line */
    /* Resumability: the state as of the last acknowledged group (earlier runs' and this
     * one's counts and rejections), the earlier runs' counts alone, and where it is kept. */
    const char *state_path;
    import_state st;
    import_state earlier;    /* counts only (no rejections) */
    uint64_t skipped;        /* rows done by earlier runs, read past */
    uint64_t last_line;      /* the last line of the last row read */
    size_t next_earlier;     /* the first of st's rejections not yet met while skipping */
    /* --rejects: the file, the input's encoding and its header's text. */
    FILE *rejects;
    const char *encoding;
    struct rowtext header;
    int bom;
    const csv_columns *columns;
    /* Progress, on a terminal. */
    int tty, shown;
    double t0, drawn;
    double saved_at; /* when the state was last written */
    int unsaved;     /* groups committed since */
    uint64_t size;            /* the input's size; 0: unknown */
    const uint64_t *consumed; /* bytes of it read */
};

/* Set by SIGINT; the import stops at the next row (a second Ctrl-C ends the process). */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

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
    printf(p->samples ? _("%llu sent, %llu acknowledged, %.0f samples/s")
                      : _("%llu sent, %llu acknowledged, %.0f records/s"),
           (unsigned long long)p->sent, (unsigned long long)p->acked, rate);
    fputs("\033[K", stdout);
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
    free(o->reason_code);
    free(o->text.raw);
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

/* Appends an outcome (strings copied; text taken, also on failure). Returns 0 or -1 (out of
 * memory; nothing added). */
static int outcome_add(struct outcomes *os, size_t line, int outcome, int local, int code,
                       uint32_t version, const char *record_id, const char *field,
                       const char *reason, const char *reason_code, struct rowtext *text)
{
    struct rowtext none = {NULL, 0, 0};
    if (!text)
        text = &none;
    if (os->n == os->cap) {
        size_t cap = os->cap ? os->cap * 2 : 64;
        struct push_outcome *v = realloc(os->v, cap * sizeof *v);
        if (!v) {
            free(text->raw);
            text->raw = NULL;
            return -1;
        }
        os->v = v;
        os->cap = cap;
    }
    struct push_outcome *o = &os->v[os->n];
    *o = (struct push_outcome){line,
                               outcome,
                               local,
                               code,
                               version,
                               dup_or_null(record_id),
                               dup_or_null(field),
                               dup_or_null(reason),
                               dup_or_null(reason_code),
                               *text,
                               os->n};
    text->raw = NULL;
    if ((record_id && *record_id && !o->record_id) || (field && *field && !o->field) ||
        (reason && *reason && !o->reason) || (reason_code && *reason_code && !o->reason_code)) {
        outcome_free(o);
        return -1;
    }
    os->n++;
    return 0;
}

/* Records a rejection in the group (text taken). */
static int reject(struct push *p, size_t line, int local, int code, const char *field,
                  const char *reason, const char *reason_code, struct rowtext *text)
{
    p->g.rejected++;
    return outcome_add(&p->group, line, CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED, local,
                       code, 0, NULL, field, reason, reason_code, text);
}

/* Records the node's rejection `r` of the row at `line` (text taken), a record's or a
 * sample's alike: one rejection a fault, the first (the result's own) with the row's text. */
static int reject_result(struct push *p, size_t line, const Credit__V1__PushResult *r,
                         struct rowtext *text)
{
    int rc = reject(p, line, 0, r->code, r->field, r->reason && *r->reason ? r->reason : "rejected",
                    r->reason_code, text);
    for (size_t j = 1; rc == 0 && j < r->n_faults; j++) {
        const Credit__V1__Fault *f = r->faults[j];
        rc = outcome_add(&p->group, line, CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED, 0,
                         f->code, 0, NULL, f->field, *f->reason ? f->reason : "rejected",
                         f->reason_code, NULL);
    }
    return rc;
}

static int by_line(const void *a, const void *b)
{
    const struct push_outcome *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
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
    if (o->reason_code) {
        fputs(",\"reasonCode\":", stdout);
        json_write_string(stdout, o->reason_code);
    }
    fputs(o->local ? ",\"local\":true}\n" : "}\n", stdout);
}

/* The group's row at index i (as the node numbers it), or -1 (said why). */
static int row_index(const struct push *p, int32_t index, const char *what)
{
    if (index < 0 || (size_t)index >= p->n_sent) {
        say("the node answered %s %d of %zu\n", _(what), (int)index, p->n_sent);
        return -1;
    }
    return (int)index;
}

/* Takes the node's results for the group's records. Returns 0, or EXIT_ERR (said why). */
static int take_results(struct push *p, const Credit__V1__PushBatchResponse *resp)
{
    if (resp->n_results != p->n_sent) {
        say("the node answered %zu results for %zu records\n", resp->n_results, p->n_sent);
        return EXIT_ERR;
    }
    for (size_t i = 0; i < resp->n_results; i++) {
        const Credit__V1__PushResult *r = resp->results[i];
        int k = row_index(p, r->index, N_("a result for record"));
        if (k < 0)
            return EXIT_ERR;
        size_t line = p->lines[k];
        uint64_t *count = r->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED       ? &p->g.created
                          : r->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_UNCHANGED   ? &p->g.unchanged
                          : r->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_NEW_VERSION ? &p->g.versions
                                                                                : NULL;
        int rc = 0;
        if (!count)
            rc = reject_result(p, line, r, &p->texts[k]);
        else if (++*count, p->cfg->json)
            rc = outcome_add(&p->group, line, r->outcome, 0, r->code, r->version, r->record_id,
                             r->field, r->reason, NULL, NULL);
        if (rc != 0)
            return nomem();
    }
    return 0;
}

/* Takes the node's summary of the group's samples. */
static int take_summary(struct push *p, const Credit__V1__SampleSummary *s)
{
    if (s->accepted + s->unchanged + s->rejected != p->n_sent) {
        say("the node counted %llu samples of %zu\n",
            (unsigned long long)(s->accepted + s->unchanged + s->rejected), p->n_sent);
        return EXIT_ERR;
    }
    p->g.accepted += s->accepted;
    p->g.unchanged += s->unchanged;
    for (size_t i = 0; i < s->n_rejections; i++) {
        const Credit__V1__PushResult *r = s->rejections[i];
        int k = row_index(p, r->index, N_("a rejection of sample"));
        if (k < 0)
            return EXIT_ERR;
        if (reject_result(p, p->lines[k], r, &p->texts[k]) != 0)
            return nomem();
    }
    /* Beyond the first 100 of a stream the node only counts them. */
    p->g.rejected += s->rejected - s->n_rejections;
    p->g.unlisted += s->rejected - s->n_rejections;
    return 0;
}

/* Writes the state as it is (p->st), marked finished or not. Returns 0 or EXIT_ERR. */
static int save_state(struct push *p, int finished)
{
    char why[512];

    if (!p->state_path)
        return 0;
    p->st.finished = finished;
    p->saved_at = now_s();
    p->unsaved = 0;
    if (import_state_save(p->state_path, &p->st, why, sizeof why) != 0) {
        progress_clear(p);
        say("cannot record the import's progress: %s\n", why);
        return EXIT_ERR;
    }
    return 0;
}

/* --- The rejects file ---------------------------------------------------------------------
 * Each rejected row as it was read, in the input's format and encoding, so that the clerk
 * fixes that file and imports it. CSV: the header, then the rows, each with two cells added,
 * reject_reason and reject_column (the import ignores columns of those names); a row shorter
 * than the header is padded with empty cells first. JSON Lines: each line's object with three
 * keys set, JSON_REJECT_REASON, _CODE and _FIELD (json_in.h; the import ignores them); a line
 * that is no JSON object as it was. Reasons follow the locale (reason_say), codes and fields
 * never do. The
 * file is written anew by every run: the rows earlier runs rejected are written again as the
 * run reads past them (the state has their reasons), then this run's as the node acknowledges
 * each group, so an interrupted run leaves exactly the rejections its state holds. */

struct strbuf {
    char *s;
    size_t len, cap;
    int failed;
};

static void sb_add(struct strbuf *b, const char *s, size_t n)
{
    if (b->failed || n > (SIZE_MAX >> 2) - b->len) { /* (a row is far smaller) */
        b->failed = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->failed = 1;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(struct strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* A CSV cell: quoted, its quotes doubled. */
static void sb_cell(struct strbuf *b, const char *s)
{
    sb_add(b, ",\"", 2);
    for (const char *q; (q = strchr(s, '"')); s = q + 1) {
        sb_add(b, s, (size_t)(q - s) + 1);
        sb_add(b, "\"", 1);
    }
    sb_str(b, s);
    sb_add(b, "\"", 1);
}

/* The length of text without its line end, and the line end itself. */
static size_t strip_eol(const char *raw, size_t len, const char **eol)
{
    size_t n = len;
    while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r'))
        n--;
    *eol = n < len ? raw + n : NULL;
    return n;
}

/* Writes one row of the rejects file (UTF-8 in b, converted to the input's encoding). */
static int rejects_put(struct push *p, struct strbuf *b)
{
    if (b->failed)
        return nomem();
    if (transcode_write(p->rejects, p->encoding, b->s, b->len) != 0) {
        fprintf(stderr, PROG ": %s: %s\n", p->cfg->rejects, strerror(errno));
        return EXIT_ERR;
    }
    return 0;
}

/* Starts the rejects file: a CSV input's header with the two added columns. */
static int rejects_start(struct push *p)
{
    struct strbuf b = {0};
    int rc;

    if (!(p->rejects = fopen(p->cfg->rejects, "wb"))) {
        fprintf(stderr, PROG ": %s: %s\n", p->cfg->rejects, strerror(errno));
        return EXIT_ERR;
    }
    if (p->bom && fwrite("\xef\xbb\xbf", 1, 3, p->rejects) != 3) {
        fprintf(stderr, PROG ": %s: %s\n", p->cfg->rejects, strerror(errno));
        return EXIT_ERR;
    }
    if (!p->header.raw)
        return 0; /* JSON Lines, or an empty file */
    const char *eol;
    size_t n = strip_eol(p->header.raw, p->header.len, &eol);
    sb_add(&b, p->header.raw, n);
    sb_str(&b, ",reject_reason,reject_column");
    sb_str(&b, eol ? eol : "\n");
    rc = rejects_put(p, &b);
    free(b.s);
    return rc;
}

/* The column a rejection names: the CSV header that holds its field, else the field. */
static const char *column_named(const struct push *p, const char *field)
{
    const char *h = p->columns ? csv_columns_header(p->columns, field) : NULL;
    return h ? h : field ? field : "";
}

/* What the rejects file says of one row: its faults' reasons (in the reader's language),
 * columns, reason codes and fields, each list joined by "; ". */
struct row_why {
    struct strbuf reason, column, code, field;
};

/* Adds one fault to w: the node's (code: its status; reason_code: its kind) or one found here
 * (local). */
static void why_add(const struct push *p, struct row_why *w, int local, int code,
                    const char *reason_code, const char *field, const char *reason)
{
    char one[1024];
    const char *sep = w->reason.len ? "; " : "";
    if (local)
        snprintf(one, sizeof one, "%s", reason ? reason : "");
    else
        snprintf(one, sizeof one, "%s (%s)", reason_say(reason_code, reason),
                 credit_code_name(code));
    sb_str(&w->reason, sep);
    sb_str(&w->reason, one);
    sb_str(&w->column, sep);
    sb_str(&w->column, column_named(p, field));
    sb_str(&w->code, sep);
    sb_str(&w->code, reason_code && *reason_code ? reason_code : local ? "LOCAL" : "-");
    sb_str(&w->field, sep);
    sb_str(&w->field, field ? field : "");
}

static void why_free(struct row_why *w)
{
    free(w->reason.s);
    free(w->column.s);
    free(w->code.s);
    free(w->field.s);
}

/* A JSON Lines row: its object with JSON_REJECT_REASON, _CODE and _FIELD set (replaced when
 * the line is from a rejects file already), else (not a JSON object) the line as it was. */
static void json_row(struct strbuf *b, const char *raw, size_t n, const struct row_why *w)
{
    json_tokener *tok = json_tokener_new();
    json_object *obj = tok ? json_tokener_parse_ex(tok, raw, (int)n) : NULL;
    if (obj && json_object_is_type(obj, json_type_object) &&
        json_tokener_get_error(tok) == json_tokener_success) {
        const char *keys[3] = {JSON_REJECT_REASON, JSON_REJECT_CODE, JSON_REJECT_FIELD};
        const struct strbuf *vals[3] = {&w->reason, &w->code, &w->field};
        for (int i = 0; i < 3; i++) {
            json_object_object_del(obj, keys[i]);
            json_object_object_add(obj, keys[i],
                                   json_object_new_string(vals[i]->s ? vals[i]->s : ""));
        }
        sb_str(b, json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
    } else {
        sb_add(b, raw, n);
    }
    json_object_put(obj);
    if (tok)
        json_tokener_free(tok);
}

/* Writes a rejected row with what w says of it. */
static int rejects_row(struct push *p, const struct rowtext *t, const struct row_why *w)
{
    struct strbuf b = {0};
    const char *eol;
    int rc;

    if (!p->rejects || !t->raw)
        return 0;
    if (w->reason.failed || w->column.failed || w->code.failed || w->field.failed)
        return nomem();
    size_t n = strip_eol(t->raw, t->len, &eol);
    if (!p->header.raw) { /* JSON Lines: the object with three keys added */
        json_row(&b, t->raw, n, w);
        sb_str(&b, eol ? eol : "\n");
    } else {
        const char *header_eol;
        strip_eol(p->header.raw, p->header.len, &header_eol);
        sb_add(&b, t->raw, n);
        for (size_t c = t->cells; c < p->header.cells; c++)
            sb_add(&b, ",", 1);
        sb_cell(&b, w->reason.s ? w->reason.s : "");
        sb_cell(&b, w->column.s ? w->column.s : "");
        sb_str(&b, eol ? eol : header_eol ? header_eol : "\n");
    }
    rc = rejects_put(p, &b);
    free(b.s);
    return rc;
}

/* Writes the row at line `line`, read past, if an earlier run rejected it. */
static int rejects_earlier(struct push *p, size_t line, const struct rowtext *t)
{
    const import_state *s = &p->st;
    while (p->next_earlier < s->n_rejects && s->rejects[p->next_earlier].line < line)
        p->next_earlier++;
    if (!p->rejects || p->next_earlier >= s->n_rejects || s->rejects[p->next_earlier].line != line)
        return 0;
    struct row_why w = {0};
    for (; p->next_earlier < s->n_rejects && s->rejects[p->next_earlier].line == line;
         p->next_earlier++) {
        const import_reject *r = &s->rejects[p->next_earlier];
        why_add(p, &w, r->local, r->code, r->reason_code, r->field, r->reason);
    }
    int rc = rejects_row(p, t, &w);
    why_free(&w);
    return rc;
}

/* Takes the group's outcomes as done: prints them (--json), writes the rejected rows, moves
 * the counts and rejections into the state and saves it. Returns 0 or an exit status. */
static int commit_group(struct push *p)
{
    int rc;

    if (p->group.n > 1)
        qsort(p->group.v, p->group.n, sizeof *p->group.v, by_line);
    if (p->cfg->json)
        progress_clear(p);
    for (size_t i = 0; i < p->group.n; i++) {
        const struct push_outcome *o = &p->group.v[i];
        if (p->cfg->json)
            print_outcome_json(o);
        if (o->outcome != CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED)
            continue;
        if (import_state_add_reject(&p->st, o->line, o->local, o->code, o->field, o->reason,
                                    o->reason_code) != 0)
            return nomem();
        if (!o->text.raw)
            continue; /* a further fault of a row: written with its first */
        /* The row once, with all its faults ("; " between them). */
        struct row_why w = {0};
        for (size_t j = i; j < p->group.n && p->group.v[j].line == o->line; j++) {
            const struct push_outcome *q = &p->group.v[j];
            if (q->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED)
                why_add(p, &w, q->local, q->code, q->reason_code, q->field, q->reason);
        }
        rc = rejects_row(p, &o->text, &w);
        why_free(&w);
        if (rc != 0)
            return rc;
    }
    if (p->rejects && fflush(p->rejects) != 0) {
        fprintf(stderr, PROG ": %s: %s\n", p->cfg->rejects, strerror(errno));
        return EXIT_ERR;
    }
    outcomes_clear(&p->group);
    struct counts *c[] = {&p->run};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        c[i]->rows += p->g.rows;
        c[i]->created += p->g.created;
        c[i]->unchanged += p->g.unchanged;
        c[i]->versions += p->g.versions;
        c[i]->accepted += p->g.accepted;
        c[i]->rejected += p->g.rejected;
        c[i]->unlisted += p->g.unlisted;
    }
    if (p->g.rows) {
        p->st.rows += p->g.rows;
        p->st.line = p->last_line;
    }
    p->st.created += p->g.created;
    p->st.unchanged += p->g.unchanged;
    p->st.new_versions += p->g.versions;
    p->st.accepted += p->g.accepted;
    p->st.rejected += p->g.rejected;
    p->st.unlisted += p->g.unlisted;
    memset(&p->g, 0, sizeof p->g);
    /* The state is rewritten whole, rejections included: after every group while they are
     * few, at most once a second past STATE_EAGER_REJECTS (else --batch 10 over a file of
     * many bad rows rewrites them thousands of times). A state a little behind is safe: a run
     * after a crash sends those groups again, and they come back unchanged; Ctrl-C and every
     * other end write it. */
    p->unsaved++;
    if (p->st.n_rejects > STATE_EAGER_REJECTS && now_s() - p->saved_at < 1.0)
        return 0;
    return save_state(p, 0);
}

static void texts_clear(struct push *p)
{
    for (size_t i = 0; p->texts && i < p->group_max; i++) {
        free(p->texts[i].raw);
        p->texts[i].raw = NULL;
    }
}

/* Drops the group in flight (Ctrl-C): a stream not finished is cancelled and stores nothing,
 * a batch not sent is not sent; its rows are read again by the next run. */
static void cancel_group(struct push *p)
{
    credit_sample_pusher_destroy(p->sp);
    credit_pusher_destroy(p->rp);
    p->sp = NULL;
    p->rp = NULL;
    for (size_t i = 0; p->batch && i < p->n_sent; i++) {
        if (p->batch[i]) /* end_group frees those it sent, even when the call failed */
            protobuf_c_message_free_unpacked(p->batch[i], NULL);
        p->batch[i] = NULL;
    }
    texts_clear(p);
    p->n_sent = 0;
    outcomes_clear(&p->group);
    memset(&p->g, 0, sizeof p->g);
}

/* Closes the group: sends what is waiting, takes the answer and commits the group. Returns 0
 * or an exit status (said why). */
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
        texts_clear(p);
        if (rc != 0)
            return rc;
        p->acked += p->n_sent;
        p->n_sent = 0;
    }
    return commit_group(p);
}

/* Sends one row's message (taken: freed here or with the batch) and its text (taken). */
static int send_row(struct push *p, ProtobufCMessage *msg, size_t line, struct rowtext *text)
{
    credit_status st;
    int rc = CREDIT_OK;

    if (!p->client && (rc = open_client(p->cfg, &p->client)) != 0) {
        protobuf_c_message_free_unpacked(msg, NULL);
        free(text->raw);
        return rc;
    }
    p->lines[p->n_sent] = line;
    p->texts[p->n_sent] = *text;
    text->raw = NULL;
    if (p->batch) {
        p->batch[p->n_sent++] = msg;
    } else {
        if (p->samples) {
            if (!p->sp)
                rc = credit_sample_pusher_create_batched(p->client, STREAM_MESSAGE,
                                                         p->cfg->timeout_ms, &p->sp, &st);
            if (rc == CREDIT_OK)
                rc = credit_sample_pusher_add(p->sp, (const Credit__V1__Sample *)msg, &st);
        } else {
            if (!p->rp)
                rc = credit_pusher_create_batched(p->client, p->cat, STREAM_MESSAGE,
                                                  p->cfg->timeout_ms, &p->rp, &st);
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
    FILE *file;       /* the input as opened */
    transcoder *conv; /* --encoding: its UTF-8 stream */
    FILE *in;         /* what the readers read: file, or conv's stream */
    const char *name; /* for messages: the path, or "stdin" */
    int csv;
    int keep;         /* keep each row's text (--rejects) */
    csv_reader *reader;
    csv_columns *columns;
    char *line; /* JSON Lines: the line being read */
    size_t cap;
    size_t lineno;
    uint64_t consumed; /* JSON Lines: bytes read */
    char stop_why[600]; /* why the input could not be read on */
    size_t stop_line;
};

/* Copies the last row's text into *t (nothing when not kept). Returns 0 or -1 (memory). */
static int keep_text(struct source *s, const char *raw, size_t len, size_t cells,
                     struct rowtext *t)
{
    *t = (struct rowtext){NULL, 0, cells};
    if (!s->keep || !raw)
        return 0;
    if (!(t->raw = malloc(len + 1)))
        return -1;
    memcpy(t->raw, raw, len);
    t->raw[len] = '\0';
    t->len = len;
    return 0;
}

/* The next row: 1 with *msg (NULL when refused, *err saying why), its first and last lines
 * and its text; 0 at the end; -EXIT_USAGE when the input cannot be read on (s->stop_why and
 * s->stop_line say why and where); another minus exit status (said why). */
static int next_row(struct source *s, const ProtobufCMessageDescriptor *d, ProtobufCMessage **msg,
                    json_in_error *err, size_t *first, size_t *last, struct rowtext *text)
{
    *msg = NULL;
    *text = (struct rowtext){NULL, 0, 0};
    if (s->csv) {
        csv_row row;
        size_t len;
        if (!s->columns)
            return 0; /* an empty file: no header, no rows */
        int got = csv_reader_next(s->reader, &row, err);
        s->consumed = csv_reader_offset(s->reader);
        if (got < 0) {
            const char *conv = s->conv ? transcode_error(s->conv) : "";
            if (*conv)
                snprintf(s->stop_why, sizeof s->stop_why, "%s", conv);
            else
                snprintf(s->stop_why, sizeof s->stop_why, "%.60s: %.500s", err->field, err->reason);
            s->stop_line = (size_t)strtoul(err->field + strlen("line "), NULL, 10);
            return -EXIT_USAGE;
        }
        if (got == 0)
            return 0;
        *first = row.line;
        *last = row.line;
        for (size_t i = 0; i < row.n; i++) /* a quoted cell may span lines */
            for (const char *c = row.cells[i]; *c; c++)
                *last += *c == '\n';
        const char *raw = csv_reader_raw(s->reader, &len);
        if (keep_text(s, raw, len, row.n, text) != 0)
            return -nomem();
        csv_row_message(s->columns, &row, msg, err);
        return 1;
    }
    for (;;) {
        ssize_t got = getline(&s->line, &s->cap, s->in);
        if (got == -1) {
            if (ferror(s->in)) {
                const char *conv = s->conv ? transcode_error(s->conv) : "";
                snprintf(s->stop_why, sizeof s->stop_why, "%s", *conv ? conv : strerror(errno));
                s->stop_line = s->lineno + 1;
                return -EXIT_USAGE;
            }
            return 0;
        }
        size_t len = (size_t)got;
        const char *text_start = s->line;
        s->consumed += len;
        s->lineno++;
        if (s->lineno == 1 && len >= 3 && memcmp(text_start, "\xef\xbb\xbf", 3) == 0) {
            text_start += 3; /* a UTF-8 byte order mark */
            len -= 3;
        }
        if (is_blank(text_start, len))
            continue;
        *first = *last = s->lineno;
        if (keep_text(s, text_start, len, 0, text) != 0)
            return -nomem();
        json_read_message(d, text_start, len, msg, err);
        return 1;
    }
}

/* Opens the source's reading: for CSV, its header (its text kept in *header). Returns 0, or
 * an exit status (said why). */
static int source_start(struct source *s, const ProtobufCMessageDescriptor *d,
                        const csv_dialect *dialect, struct rowtext *header)
{
    json_in_error err;
    csv_row row;
    size_t len;

    if (!s->csv)
        return 0;
    if (!(s->reader = csv_reader_create(s->in)))
        return nomem();
    int got = csv_reader_next(s->reader, &row, &err);
    if (got == 0)
        return 0; /* an empty file: no rows */
    if (got < 0 || csv_columns_create_with(d, &row, dialect, &s->columns, &err) != 0) {
        const char *conv = s->conv ? transcode_error(s->conv) : "";
        if (got < 0 && *conv)
            fprintf(stderr, PROG ": %s: %s\n", s->name, conv);
        else
            say("%s: line %zu: %s\n", s->name, got < 0 ? (size_t)1 : row.line, err.reason);
        return EXIT_USAGE;
    }
    const char *raw = csv_reader_raw(s->reader, &len);
    int keep = s->keep;
    s->keep = 1;
    int rc = keep_text(s, raw ? raw : "", raw ? len : 0, row.n, header);
    s->keep = keep;
    return rc == 0 ? 0 : nomem();
}

static void source_cleanup(struct source *s)
{
    csv_columns_destroy(s->columns);
    csv_reader_destroy(s->reader);
    free(s->line);
    transcode_close(s->conv);
    if (s->file && s->file != stdin)
        fclose(s->file);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* "A accepted (C created, U unchanged, V new versions), R rejected" (records) or
 * "A accepted, U unchanged, R rejected" (samples), into buf. */
static void outcome_counts(const struct push *p, char *buf, size_t size, uint64_t created,
                           uint64_t unchanged, uint64_t versions, uint64_t accepted,
                           uint64_t rejected)
{
    if (p->samples)
        snprintf(buf, size, _("%llu accepted, %llu unchanged, %llu rejected"),
                 (unsigned long long)accepted, (unsigned long long)unchanged,
                 (unsigned long long)rejected);
    else
        snprintf(buf, size,
                 _("%llu accepted (%llu created, %llu unchanged, %llu new versions), %llu "
                   "rejected"),
                 (unsigned long long)(created + unchanged + versions),
                 (unsigned long long)created, (unsigned long long)unchanged,
                 (unsigned long long)versions, (unsigned long long)rejected);
}

/* Prints what earlier runs of this import did (from the state), after `what`. */
static void print_earlier(const struct push *p, const char *what)
{
    const import_state *s = &p->earlier;
    FILE *out = p->cfg->json ? stderr : stdout;
    char counts[256];
    outcome_counts(p, counts, sizeof counts, s->created, s->unchanged, s->new_versions,
                   s->accepted, s->rejected);
    fprintf(out, _("%s%s%llu rows (to line %llu) acknowledged by an earlier run: %s\n"),
            p->cfg->json ? PROG ": " : "", what, (unsigned long long)s->rows,
            (unsigned long long)s->line, counts);
}

/* The summary every run ends with, whatever ended it: what this run stored, what earlier
 * runs did, every rejection of the import (earlier runs' too), and for a run cut short what
 * is stored and how to go on. Returns the exit status. */
static int print_report(struct push *p, enum ending how, const struct source *src)
{
    FILE *out = p->cfg->json ? stderr : stdout;
    const char *pre = p->cfg->json ? PROG ": " : "";
    const import_state *s = &p->st;
    char counts[256];

    progress_clear(p);
    if (how == END_ALREADY) {
        fprintf(out,
                _("%s%s: already imported (state %s): nothing sent; --restart sends it again\n"),
                pre, p->path, p->state_path);
        print_earlier(p, "");
    } else if (p->cfg->json) {
        if (p->samples)
            printf("{\"summary\":{\"sent\":%" PRIu64 ",\"accepted\":%" PRIu64
                   ",\"unchanged\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"unlisted\":%" PRIu64
                   ",\"skipped\":%" PRIu64 "}}\n",
                   p->run.rows, p->run.accepted, p->run.unchanged, p->run.rejected,
                   p->run.unlisted, p->skipped);
        if (p->skipped)
            print_earlier(p, "skipped ");
    } else {
        outcome_counts(p, counts, sizeof counts, p->run.created, p->run.unchanged,
                       p->run.versions, p->run.accepted, p->run.rejected);
        printf(p->samples ? _("pushed %llu samples: %s\n") : _("pushed %llu records: %s\n"),
               (unsigned long long)p->run.rows, counts);
        if (p->skipped)
            print_earlier(p, _("skipped "));
    }
    if (!p->cfg->json) {
        for (size_t i = 0; i < s->n_rejects; i++) {
            const import_reject *r = &s->rejects[i];
            if (r->local)
                printf(_("line %llu: %s\n"), (unsigned long long)r->line, r->reason);
            else
                printf(_("line %llu: %s: %s (%s)\n"), (unsigned long long)r->line,
                       r->field ? r->field : "-", reason_say(r->reason_code, r->reason),
                       credit_code_name(r->code));
        }
        if (s->unlisted)
            printf(_("and %llu more rejected samples: the node lists the first 100 of each "
                     "stream of %d\n"),
                   (unsigned long long)s->unlisted, STREAM_GROUP);
    }
    outcome_counts(p, counts, sizeof counts, s->created, s->unchanged, s->new_versions,
                   s->accepted, s->rejected);
    switch (how) {
    case END_FINISHED:
    case END_ALREADY:
        break;
    case END_INTERRUPTED:
        fprintf(out,
                _("%sinterrupted: %llu rows (to line %llu) are done: %s; nothing after line %llu "
                  "is stored. Run the same command again to go on\n"),
                pre, (unsigned long long)s->rows, (unsigned long long)s->line, counts,
                (unsigned long long)s->line);
        break;
    case END_FAILED:
        fprintf(out,
                _("%sfailed: %llu rows (to line %llu) are done: %s; nothing after line %llu is "
                  "stored. Run the same command again to go on\n"),
                pre, (unsigned long long)s->rows, (unsigned long long)s->line, counts,
                (unsigned long long)s->line);
        break;
    case END_STOPPED:
        fprintf(out,
                _("%sstopped at line %zu: %llu rows (to line %llu) are done: %s; nothing from "
                  "line %zu on was read. Fix the file and run the same command with --restart "
                  "(rows already stored come back unchanged)\n"),
                pre, src->stop_line, (unsigned long long)s->rows, (unsigned long long)s->line,
                counts, src->stop_line);
        break;
    }
    if (p->rejects)
        fprintf(out, _("%srejected rows: %s\n"), pre, p->cfg->rejects);
    if (how == END_INTERRUPTED)
        return 130; /* as a shell reports a process ended by SIGINT */
    if (how == END_STOPPED)
        return EXIT_USAGE;
    return s->rejected ? EXIT_ERR : 0;
}

/* Reads the state and decides where this run starts. Returns 0 (p->st ready, p->skipped set),
 * -1 when the import is already finished, or an exit status (said why). */
static int start_state(struct push *p, const char *path, const char *format)
{
    import_state old, fresh;
    uint64_t size;
    char why[512];

    memset(&fresh, 0, sizeof fresh);
    snprintf(fresh.catalogue, sizeof fresh.catalogue, "%s", catalogue_text(p->cat));
    snprintf(fresh.format, sizeof fresh.format, "%s", format);
    snprintf(fresh.encoding, sizeof fresh.encoding, "%s", p->encoding);
    if (import_fingerprint(path, &size, fresh.sha256, why, sizeof why) != 0) {
        fprintf(stderr, PROG ": %s\n", why);
        return EXIT_ERR;
    }
    fresh.size = size;
    p->st = fresh;
    if (p->cfg->restart)
        return 0;
    int rc = import_state_load(p->state_path, &old, why, sizeof why);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        say("%s (remove it, or pass --restart to start the import over)\n", why);
        return EXIT_USAGE;
    }
    if (strcmp(old.catalogue, fresh.catalogue) != 0 || strcmp(old.format, fresh.format) != 0 ||
        strcmp(old.encoding, fresh.encoding) != 0) {
        say("%s: the state %s was written for another input (%s %s %s); this is %s %s %s. Pass "
            "--restart to import this one from its start, or --state FILE for another state "
            "file\n",
            path, p->state_path, old.catalogue, old.format, old.encoding, fresh.catalogue,
            fresh.format, fresh.encoding);
        import_state_cleanup(&old);
        return EXIT_USAGE;
    }
    if (old.size != size || strcmp(old.sha256, fresh.sha256) != 0) {
        fprintf(stderr,
                _("%s: %s has changed since the state %s was written (%llu bytes then, %llu now; "
                  "SHA-256 %.12s… then, %.12s… now): its %llu rows done (to line %llu) may no "
                  "longer be the rows read. To import the file as it is now, run the same "
                  "command with --restart: rows already stored come back unchanged, corrected "
                  "ones are stored\n"),
                PROG, path, p->state_path, (unsigned long long)old.size,
                (unsigned long long)size, old.sha256, fresh.sha256, (unsigned long long)old.rows,
                (unsigned long long)old.line);
        import_state_cleanup(&old);
        return EXIT_USAGE;
    }
    p->st = old;
    p->earlier = old;
    p->earlier.rejects = NULL;
    p->earlier.n_rejects = p->earlier.cap_rejects = 0;
    p->skipped = old.rows;
    return old.finished ? -1 : 0;
}

/* Looks at the start of a file read as UTF-8: if it is not, says so, names the encoding it
 * looks like and the option, and returns EXIT_USAGE. Notes a UTF-8 byte order mark. */
static int check_utf8(struct push *p, FILE *in)
{
    unsigned char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, in), bad_at = 0;
    char guess[32];

    if (ferror(in) || fseek(in, 0, SEEK_SET) != 0) {
        fprintf(stderr, PROG ": %s: %s\n", p->path, strerror(errno));
        return EXIT_ERR;
    }
    p->bom = n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0;
    if (transcode_sniff(buf, n, &bad_at, guess, sizeof guess) == 0)
        return 0;
    size_t line = 1;
    for (size_t i = 0; i < bad_at; i++)
        line += buf[i] == '\n';
    if (*guess)
        fprintf(stderr,
                _("%s: %s: line %zu (byte %zu) is not UTF-8; the file reads as %s (GBK, as Excel "
                  "saves CSV on a Chinese Windows, is part of it): pass --encoding gb18030\n"),
                PROG, p->path, line, bad_at + 1, guess);
    else
        fprintf(stderr,
                _("%s: %s: line %zu (byte %zu) is not UTF-8, nor GB18030: pass --encoding with "
                  "the encoding it was saved in (utf-8, gb18030, gbk, gb2312)\n"),
                PROG, p->path, line, bad_at + 1);
    return EXIT_USAGE;
}

int cmd_push(const struct config *cfg, int argc, char **argv)
{
    struct push p;
    struct source src;
    const char *path = argv[0];
    char *state_buf = NULL;
    char enc[16];
    enum ending how = END_FINISHED;
    struct push_names *names = NULL;
    csv_dialect dialect;
    clerk_unit unit = CLERK_UNIT_UNSET;
    int rc;

    memset(&dialect, 0, sizeof dialect);
    (void)argc;
    memset(&p, 0, sizeof p);
    memset(&src, 0, sizeof src);
    p.cfg = cfg;
    p.path = path;
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
    if (cfg->encoding && transcode_encoding(cfg->encoding, enc, sizeof enc) != 0)
        return usage_error("--encoding: '%s' is none of utf-8, gb18030, gbk, gb2312",
                           cfg->encoding);
    p.encoding = cfg->encoding ? cfg->encoding : "utf-8";
    for (char *c = enc; cfg->encoding && *c; c++) /* the state's spelling: lowercase */
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    if (cfg->encoding)
        p.encoding = enc;
    src.csv = strcmp(format, "csv") == 0;
    if (!src.csv && (cfg->map || cfg->amount_unit))
        return usage_error("push: %s is for CSV: JSON Lines name fields by their paths and "
                           "amounts in fen",
                           cfg->map ? "--map" : "--amount-unit");
    if (cfg->amount_unit && clerk_unit_parse(cfg->amount_unit, &unit) != 0)
        return usage_error("--amount-unit: '%s' is neither yuan nor fen", cfg->amount_unit);
    src.keep = cfg->rejects != NULL;
    int from_stdin = strcmp(path, "-") == 0;
    if (from_stdin && (cfg->state || cfg->restart))
        return usage_error("push: %s needs a FILE: standard input cannot be resumed",
                           cfg->state ? "--state" : "--restart");
    src.name = from_stdin ? "stdin" : path;
    if (from_stdin) {
        src.file = stdin;
    } else if (!(src.file = fopen(path, "r"))) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return EXIT_ERR;
    }
    src.in = src.file;
    if (!from_stdin && !cfg->encoding && (rc = check_utf8(&p, src.file)) != 0)
        goto out;
    if (cfg->encoding) {
        char why[200];
        if (!(src.conv = transcode_open(src.file, p.encoding, why, sizeof why))) {
            fprintf(stderr, PROG ": %s: %s\n", src.name, why);
            rc = EXIT_ERR;
            goto out;
        }
        src.in = transcode_stream(src.conv);
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
        rc = start_state(&p, path, format);
        if (rc == -1) {
            how = END_ALREADY;
            rc = 0;
        } else if (rc != 0) {
            goto out;
        }
        struct stat sb;
        if (fstat(fileno(src.file), &sb) == 0 && S_ISREG(sb.st_mode))
            p.size = (uint64_t)sb.st_size;
    }
    if (how == END_ALREADY && !cfg->rejects) {
        rc = print_report(&p, how, &src);
        goto out;
    }
    if (src.csv) { /* the catalogue's names and labels, for the header and the cells */
        if ((rc = open_client(cfg, &p.client)) != 0 ||
            (rc = push_names_load(p.client, p.cat, cfg->map, &names)) != 0)
            goto out;
        push_names_dialect(names, &dialect);
        dialect.amount_unit = unit;
    }
    if ((rc = source_start(&src, p.input, src.csv ? &dialect : NULL, &p.header)) != 0)
        goto out;
    p.columns = src.columns;
    if (cfg->rejects && (rc = rejects_start(&p)) != 0)
        goto out;
    p.group_max = cfg->batch > 0 ? (size_t)cfg->batch : STREAM_GROUP;
    p.lines = calloc(p.group_max, sizeof *p.lines);
    p.texts = calloc(p.group_max, sizeof *p.texts);
    if (cfg->batch > 0)
        p.batch = calloc(p.group_max, sizeof *p.batch);
    if (!p.lines || !p.texts || (cfg->batch > 0 && !p.batch)) {
        rc = nomem();
        goto out;
    }
    p.tty = isatty(STDOUT_FILENO);
    p.t0 = now_s();
    p.consumed = &src.consumed;
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends creditctl at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sa);

    for (uint64_t row = 0;; row++) {
        ProtobufCMessage *msg;
        json_in_error err;
        struct rowtext text;
        size_t first = 0, last = 0;
        if (interrupted) {
            how = END_INTERRUPTED;
            break;
        }
        int got = next_row(&src, p.input, &msg, &err, &first, &last, &text);
        if (got == -EXIT_USAGE) {
            /* The rows read before are sent; then the summary says what is stored. */
            progress_clear(&p);
            fprintf(stderr, PROG ": %s: %s\n", src.name, src.stop_why);
            how = END_STOPPED;
            break;
        }
        if (got < 0) {
            progress_clear(&p);
            rc = -got;
            goto out_signal;
        }
        if (got == 0)
            break;
        if (row < p.skipped) { /* done by an earlier run */
            if (msg)
                protobuf_c_message_free_unpacked(msg, NULL);
            rc = rejects_earlier(&p, first, &text);
            free(text.raw);
            if (rc != 0)
                goto out_signal;
            continue;
        }
        if (how == END_ALREADY) { /* the state and the file disagree on the rows: say so */
            free(text.raw);
            if (msg)
                protobuf_c_message_free_unpacked(msg, NULL);
            break;
        }
        p.g.rows++;
        p.last_line = last;
        if (!msg) {
            if (reject(&p, first, 1, CREDIT_CODE_INVALID_ARGUMENT, err.field, err.reason, NULL,
                       &text) != 0) {
                rc = nomem();
                goto out_signal;
            }
            continue;
        }
        if ((rc = send_row(&p, msg, first, &text)) != 0) {
            how = END_FAILED; /* said why; the summary says what is stored */
            break;
        }
    }
    if (how != END_INTERRUPTED && how != END_ALREADY && how != END_FAILED &&
        (rc = end_group(&p)) != 0)
        how = END_FAILED;
    if (how == END_INTERRUPTED || how == END_FAILED) {
        int failed = rc;
        cancel_group(&p);
        if (p.unsaved && (rc = save_state(&p, 0)) != 0)
            goto out_signal;
        rc = print_report(&p, how, &src);
        if (how == END_FAILED)
            rc = failed;
    } else {
        if (how != END_ALREADY && (rc = save_state(&p, how == END_FINISHED)) != 0)
            goto out_signal;
        rc = print_report(&p, how, &src);
    }
out_signal:
    sigaction(SIGINT, &old_sa, NULL);
out:
    progress_clear(&p);
    outcomes_clear(&p.group);
    free(p.group.v);
    for (size_t i = 0; p.batch && i < p.n_sent; i++)
        if (p.batch[i]) /* end_group frees a batch it sent, even when the call failed */
            protobuf_c_message_free_unpacked(p.batch[i], NULL);
    texts_clear(&p);
    free(p.texts);
    free(p.batch);
    free(p.lines);
    free(p.header.raw);
    if (p.rejects && fclose(p.rejects) != 0 && rc == 0) {
        fprintf(stderr, PROG ": %s: %s\n", cfg->rejects, strerror(errno));
        rc = EXIT_ERR;
    }
    credit_sample_pusher_destroy(p.sp);
    credit_pusher_destroy(p.rp);
    credit_client_destroy(p.client);
    import_state_cleanup(&p.st);
    source_cleanup(&src);
    push_names_destroy(names);
    free(state_buf);
    return rc;
}
