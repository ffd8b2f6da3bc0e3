/*
 * push.c — creditctl push: importing a file of records or samples into a catalogue.
 */
#include "creditctl.h"

#include <errno.h>
#include <inttypes.h>
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
    int rc = outcome_add(&p->group, line, CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED, local,
                         code, 0, NULL, field, reason);
    if (rc == 0 && !p->cfg->json)
        rc = outcome_add(&p->rejects, line, CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_REJECTED, local,
                         code, 0, NULL, field, reason);
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
        uint64_t *count =
            r->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_CREATED       ? &p->created
            : r->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_UNCHANGED   ? &p->unchanged
            : r->outcome == CREDIT__V1__PUSH_OUTCOME__PUSH_OUTCOME_NEW_VERSION ? &p->versions
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

int cmd_push(const struct config *cfg, int argc, char **argv)
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
