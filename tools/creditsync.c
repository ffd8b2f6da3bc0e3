/*
 * creditsync — forwards one node's change feed to another node.
 *
 *   creditsync --from HOST:PORT --from-ca F --from-cert F --from-key F
 *              --to HOST:PORT --to-ca F --to-cert F --to-key F --state FILE
 *              [--log FILE] [--progress-ms N] [--exit-when-idle-ms N]
 *
 * The district node's feed goes up to the municipal node (the "from" certificate is the
 * city's unit at the district, UNIT_KIND_MUNICIPAL; the "to" certificate the unit the city's
 * node knows the forwarder as, also UNIT_KIND_MUNICIPAL); a second creditsync with the two
 * sides swapped brings the city's decisions on district subjects down. Each record version
 * goes through the receiving node's collection services with CHANNEL_MUNICIPAL_SYNC, keyed by
 * its record id on the sending node (creditsync_apply.h), so re-sending is harmless, and a
 * record that arrived through that channel is never sent back.
 *
 * Built only on the public client library: a subscription (credit_subscription_*) hands the
 * changes over one message at a time; the changes of one message are applied together, and
 * only once the receiving node acknowledged all of them is the cursor saved, durably
 * (creditsync_state.h). kill -9 at any moment therefore loses nothing (the cursor is behind
 * what was applied, never ahead) and applies nothing twice (what is applied again is
 * recognised there). SIGTERM or SIGINT: the changes in hand are applied, the cursor saved,
 * and it exits 0.
 *
 * Progress (cursor, the sending node's head, the lag between them, counts and rate) goes to
 * stderr every --progress-ms (on one rewritten line on a terminal) and, with --log, as a
 * structured line to the log file.
 *
 * A cursor older than the sending node keeps its feed (FAILED_PRECONDITION) is caught up from
 * a Snapshot (credit_snapshot_*): every record of it is applied as a change of its latest
 * version, then the cursor becomes the snapshot's resume_from (saved only once the whole
 * snapshot is applied), and the subscription goes on from there.
 *
 * Exit status: 0 stopped by a signal (or idle, with --exit-when-idle-ms), 1 a fault it cannot
 * get past (the state file, the receiving node refusing it), 2 a usage error.
 */
#include "creditsync_apply.h"
#include "creditsync_state.h"

#include "credit/client.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MS 1000 /* after a failure that may pass */

typedef struct side {
    const char *target, *ca, *cert, *key;
} side;

typedef struct sync_config {
    side from, to;
    const char *state, *log;
    long progress_ms, idle_exit_ms;
} sync_config;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static FILE *log_file;

/* A structured line to the log file (if any) and, for events other than progress, stderr. */
__attribute__((format(printf, 2, 3))) static void logf_event(const char *event, const char *fmt,
                                                             ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    time_t now = time(NULL);
    struct tm tm;
    char when[32];
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (log_file) {
        fprintf(log_file, "time=%s event=%s %s\n", when, event, text);
        fflush(log_file);
    }
    if (strcmp(event, "progress") != 0)
        fprintf(stderr, "creditsync: %s %s\n", event, text);
}

/* `v` as a quoted log value: the node's messages and record text may hold quotes, line
 * breaks or control characters, which must not end a line or forge a pair. One buffer: one
 * quoted value per log line. */
static const char *quoted(const char *v)
{
    static char buf[700];
    size_t o = 0;
    buf[o++] = '"';
    for (const unsigned char *c = (const unsigned char *)(v ? v : ""); *c && o < sizeof buf - 6;
         c++) {
        if (*c == '"' || *c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)*c;
        } else if (*c == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (*c < 0x20 || *c == 0x7f) {
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", *c);
        } else {
            buf[o++] = (char)*c;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

static void on_reject(void *ctx, const Credit__V1__FeedEntry *e, const char *reason)
{
    (void)ctx;
    logf_event("rejected", "sequence=%" PRIu64 " record=%s reason=%s", e->sequence,
               e->record->meta->record_id, quoted(reason));
}

static int open_client(const side *sd, credit_client **out)
{
    credit_client_options o;
    credit_status st;
    credit_client_options_init(&o);
    o.target = sd->target;
    o.ca_file = sd->ca;
    o.cert_file = sd->cert;
    o.key_file = sd->key;
    o.timeout_ms = 60000;
    if (credit_client_create(&o, out, &st) != CREDIT_OK) {
        logf_event("fault", "target=%s reason=%s", sd->target, quoted(st.message));
        return -1;
    }
    return 0;
}

/* Progress: what was applied, and how far behind the sending node's head. */
typedef struct progress {
    uint64_t cursor, head, applied_at_last;
    int64_t last_ms, idle_since_ms;
    sync_counts counts;
} progress;

static void report(progress *p, int64_t now, int tty, int final)
{
    uint64_t done = p->counts.pushed + p->counts.unchanged + p->counts.status;
    double secs = (double)(now - p->last_ms) / 1000.0;
    double rate = secs > 0 ? (double)(done - p->applied_at_last) / secs : 0;
    uint64_t lag = p->head > p->cursor ? p->head - p->cursor : 0;
    logf_event("progress",
               "cursor=%" PRIu64 " head=%" PRIu64 " lag=%" PRIu64 " pushed=%" PRIu64
               " unchanged=%" PRIu64 " status=%" PRIu64 " echoes=%" PRIu64 " rejected=%" PRIu64
               " rate=%.0f/s",
               p->cursor, p->head, lag, p->counts.pushed, p->counts.unchanged, p->counts.status,
               p->counts.echoes, p->counts.rejected, rate);
    fprintf(stderr,
            "%scursor %" PRIu64 "  head %" PRIu64 "  lag %" PRIu64 "  pushed %" PRIu64
            "  unchanged %" PRIu64 "  withdrawn/reinstated %" PRIu64 "  not echoed %" PRIu64
            "  rejected %" PRIu64 "  %.0f/s%s",
            tty ? "\r" : "", p->cursor, p->head, lag, p->counts.pushed, p->counts.unchanged,
            p->counts.status, p->counts.echoes, p->counts.rejected, rate,
            tty && !final ? "\033[K" : "\n");
    fflush(stderr);
    p->applied_at_last = done;
    p->last_ms = now;
}

static void pause_ms(long ms)
{
    for (long left = ms; left > 0 && !stopping; left -= 100) {
        struct timespec t = {0, 100 * 1000000L};
        nanosleep(&t, NULL);
    }
}

/* Saves the cursor if it moved. Returns 0, or -1 (logged). */
static int save(const sync_config *cfg, uint64_t *saved, uint64_t cursor)
{
    char why[256];
    if (cursor == *saved)
        return 0;
    if (sync_state_save(cfg->state, cursor, why) != 0) {
        logf_event("fault", "reason=%s", quoted(why));
        return -1;
    }
    *saved = cursor;
    return 0;
}

/* Applies changes[0..n) to the node of `to`, again and again while it fails for a reason that
 * may pass. Returns 0 once every change is acknowledged there, 1 on a stop, -1 when that node
 * refuses this forwarder. */
static int apply_all(const sync_config *cfg, credit_client *to,
                     const Credit__V1__FeedEntry *const *changes, size_t n, progress *p)
{
    credit_status st;
    while (sync_apply(to, changes, n, &p->counts, on_reject, NULL, &st) != 0) {
        logf_event("retrying", "to=%s code=%s reason=%s", cfg->to.target,
                   credit_code_name(st.code), quoted(st.message));
        if (stopping)
            return 1;
        if (st.code == CREDIT_CODE_PERMISSION_DENIED || st.code == CREDIT_CODE_UNAUTHENTICATED)
            return -1;
        pause_ms(RETRY_MS);
    }
    return 0;
}

/* Catches up from a Snapshot of the sending node: each record as the change of its latest
 * version (a withdrawn one as its withdrawal, any other as a reinstatement, which reinstates
 * it there only if it is withdrawn there), then the cursor becomes the snapshot's resume_from.
 * Returns 0 to subscribe again, 1 on a stop, -1 on a fault. A snapshot cut short (the node
 * stopped, a signal) saves nothing: the next one starts over, and applying a record again is
 * harmless. */
static int catch_up(const sync_config *cfg, credit_client *from, credit_client *to,
                    uint64_t *saved, progress *p)
{
    credit_snapshot *snap = NULL;
    credit_status st;
    const Credit__V1__SnapshotResponse *m = NULL;
    Credit__V1__FeedEntry *entries = NULL;
    const Credit__V1__FeedEntry **ptrs = NULL;
    uint64_t resume = 0, records = 0;
    int rc = -1, out = -1;

    logf_event("snapshot", "from=%s cursor=%" PRIu64, cfg->from.target, *saved);
    if (credit_snapshot_open(from, &snap, &st) != CREDIT_OK) {
        logf_event("fault", "reason=%s", quoted(st.message));
        return -1;
    }
    while (!stopping && (rc = credit_snapshot_next(snap, &m, &st)) == 1) {
        void *ne = realloc(entries, (m->n_records ? m->n_records : 1) * sizeof *entries);
        if (ne)
            entries = ne;
        void *np = ne ? realloc(ptrs, (m->n_records ? m->n_records : 1) * sizeof *ptrs) : NULL;
        if (!np) {
            logf_event("fault", "reason=\"out of memory\"");
            goto out;
        }
        ptrs = np;
        for (size_t i = 0; i < m->n_records; i++) {
            const Credit__V1__Record *r = m->records[i];
            int withdrawn = r->meta && r->meta->status && r->meta->status->withdrawn;
            credit__v1__feed_entry__init(&entries[i]);
            entries[i].kind = withdrawn ? CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_WITHDRAWN
                                        : CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_REINSTATED;
            entries[i].catalogue = r->meta ? r->meta->catalogue : 0;
            entries[i].payload_case = CREDIT__V1__FEED_ENTRY__PAYLOAD_RECORD;
            entries[i].record = (Credit__V1__Record *)r;
            ptrs[i] = &entries[i];
        }
        if ((out = apply_all(cfg, to, ptrs, m->n_records, p)) != 0)
            goto out; /* a stop (1) or a refusal (-1) */
        out = -1;     /* until the snapshot is complete and its cursor saved */
        records += m->n_records;
        resume = m->resume_from;
    }
    if (stopping) {
        out = 1;
    } else if (rc == 0) {
        logf_event("snapshot-applied", "records=%" PRIu64 " resume_from=%" PRIu64, records,
                   resume);
        p->cursor = resume;
        out = save(cfg, saved, resume) == 0 ? 0 : -1;
    } else {
        logf_event("disconnected", "from=%s code=%s reason=%s", cfg->from.target,
                   credit_code_name(st.code), quoted(st.message));
        pause_ms(RETRY_MS);
        out = 0; /* subscribe again: the node says again whether a snapshot is needed */
    }
out:
    free(entries);
    free(ptrs);
    credit_snapshot_close(snap);
    return out;
}

/* One subscription, until it ends or a stop. Returns 0 to go on (subscribe again), 1 to stop
 * cleanly, 2 to catch up from a snapshot first, -1 on a fault creditsync cannot get past. */
static int follow(const sync_config *cfg, credit_client *from, credit_client *to, uint64_t *saved,
                  progress *p, int tty)
{
    static const Credit__V1__FeedKind kinds[] = {
        CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_VERSION,
        CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_WITHDRAWN,
        CREDIT__V1__FEED_KIND__FEED_KIND_RECORD_REINSTATED,
    };
    static const Credit__V1__Catalogue cats[] = {
        CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC,
        CREDIT__V1__CATALOGUE__CATALOGUE_SERVICE_UNIT,
        CREDIT__V1__CATALOGUE__CATALOGUE_ASSOCIATION,
    };
    credit_subscription_options o;
    credit_subscription_options_init(&o);
    o.cursor = *saved;
    o.kinds = kinds;
    o.n_kinds = sizeof kinds / sizeof kinds[0];
    o.catalogues = cats;
    o.n_catalogues = sizeof cats / sizeof cats[0];
    credit_subscription *s = NULL;
    credit_status st;
    if (credit_subscription_open(from, &o, &s, &st) != CREDIT_OK) {
        logf_event("fault", "reason=%s", quoted(st.message));
        return -1;
    }
    logf_event("subscribed", "from=%s cursor=%" PRIu64, cfg->from.target, *saved);
    const Credit__V1__FeedEntry **batch = NULL;
    size_t cap = 0;
    int out = 0;
    while (!stopping) {
        const Credit__V1__FeedEntry *e = NULL;
        int rc = credit_subscription_next(s, 500, &e, &st);
        int64_t now = mono_ms();
        p->head = credit_subscription_head(s);
        if (rc < 0) {
            if (st.code == CREDIT_CODE_FAILED_PRECONDITION) {
                /* The cursor is older than the node keeps its feed. */
                logf_event("behind-retention", "from=%s reason=%s", cfg->from.target,
                           quoted(st.message));
                out = 2;
            } else if (st.code == CREDIT_CODE_OUT_OF_RANGE ||
                st.code == CREDIT_CODE_PERMISSION_DENIED ||
                st.code == CREDIT_CODE_UNAUTHENTICATED) {
                logf_event("fault", "from=%s code=%s reason=%s", cfg->from.target,
                           credit_code_name(st.code), quoted(st.message));
                out = -1;
            } else {
                logf_event("disconnected", "from=%s code=%s reason=%s", cfg->from.target,
                           credit_code_name(st.code), quoted(st.message));
                pause_ms(RETRY_MS);
            }
            break;
        }
        int got = rc == 1;
        if (got) {
            /* The rest of this message comes without a read: apply it with this one. */
            size_t n = 1 + credit_subscription_pending(s);
            if (n > cap) {
                void *nb = realloc(batch, n * sizeof *batch);
                if (!nb) {
                    logf_event("fault", "reason=\"out of memory\"");
                    out = -1;
                    break;
                }
                batch = nb;
                cap = n;
            }
            batch[0] = e;
            for (size_t i = 1; i < n; i++)
                if (credit_subscription_next(s, 0, &batch[i], &st) != 1)
                    n = i;
            /* Until every change of the batch is acknowledged there; then the cursor. */
            if ((out = apply_all(cfg, to, batch, n, p)) != 0)
                break;
        }
        p->cursor = credit_subscription_cursor(s);
        if (save(cfg, saved, p->cursor) != 0) {
            out = -1;
            break;
        }
        if (p->cursor < p->head || got)
            p->idle_since_ms = now;
        if (now - p->last_ms >= cfg->progress_ms)
            report(p, now, tty, 0);
        if (cfg->idle_exit_ms > 0 && now - p->idle_since_ms >= cfg->idle_exit_ms) {
            out = 1;
            break;
        }
    }
    if (stopping && out == 0)
        out = 1;
    free(batch);
    credit_subscription_close(s);
    return out;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: creditsync --from HOST:PORT --from-ca F --from-cert F --from-key F\n"
               "                  --to HOST:PORT --to-ca F --to-cert F --to-key F --state FILE\n"
               "                  [--log FILE] [--progress-ms N] [--exit-when-idle-ms N]\n"
               "Forwards the record changes of one node's feed (credit.v1.Sync) to another node's\n"
               "collection services with CHANNEL_MUNICIPAL_SYNC; the cursor is kept in --state.\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'f'},
        {"from-ca", required_argument, NULL, 'a'},
        {"from-cert", required_argument, NULL, 'c'},
        {"from-key", required_argument, NULL, 'k'},
        {"to", required_argument, NULL, 't'},
        {"to-ca", required_argument, NULL, 'A'},
        {"to-cert", required_argument, NULL, 'C'},
        {"to-key", required_argument, NULL, 'K'},
        {"state", required_argument, NULL, 's'},
        {"log", required_argument, NULL, 'l'},
        {"progress-ms", required_argument, NULL, 'p'},
        {"exit-when-idle-ms", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    sync_config cfg = {.progress_ms = 1000};
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'f':
            cfg.from.target = optarg;
            break;
        case 'a':
            cfg.from.ca = optarg;
            break;
        case 'c':
            cfg.from.cert = optarg;
            break;
        case 'k':
            cfg.from.key = optarg;
            break;
        case 't':
            cfg.to.target = optarg;
            break;
        case 'A':
            cfg.to.ca = optarg;
            break;
        case 'C':
            cfg.to.cert = optarg;
            break;
        case 'K':
            cfg.to.key = optarg;
            break;
        case 's':
            cfg.state = optarg;
            break;
        case 'l':
            cfg.log = optarg;
            break;
        case 'p':
        case 'i': {
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || v < 0 || v > 86400000L) {
                fprintf(stderr, "creditsync: --%s: a number of milliseconds, 0..86400000\n",
                        opt == 'p' ? "progress-ms" : "exit-when-idle-ms");
                return 2;
            }
            *(opt == 'p' ? &cfg.progress_ms : &cfg.idle_exit_ms) = v;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || !cfg.from.target || !cfg.from.ca || !cfg.from.cert || !cfg.from.key ||
        !cfg.to.target || !cfg.to.ca || !cfg.to.cert || !cfg.to.key || !cfg.state) {
        usage(stderr);
        return 2;
    }
    if (cfg.log && !(log_file = fopen(cfg.log, "a"))) {
        fprintf(stderr, "creditsync: cannot open the log %s\n", cfg.log);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    uint64_t saved = 0;
    char why[256];
    int status = 1;
    credit_client *from = NULL, *to = NULL;
    if (sync_state_load(cfg.state, &saved, why) != 0) {
        logf_event("fault", "reason=%s", quoted(why));
        goto out;
    }
    if (open_client(&cfg.from, &from) != 0 || open_client(&cfg.to, &to) != 0)
        goto out;
    int tty = isatty(STDERR_FILENO);
    progress p = {.cursor = saved, .head = saved, .last_ms = mono_ms()};
    p.idle_since_ms = p.last_ms;
    logf_event("started", "from=%s to=%s cursor=%" PRIu64, cfg.from.target, cfg.to.target, saved);
    int r = 0;
    while (r == 0 || r == 2)
        r = r == 2 ? catch_up(&cfg, from, to, &saved, &p) : follow(&cfg, from, to, &saved, &p, tty);
    report(&p, mono_ms(), tty, 1);
    logf_event("stopped", "cursor=%" PRIu64 " reason=%s", saved,
               r > 0 ? (stopping ? "signal" : "idle") : "fault");
    status = r > 0 ? 0 : 1;
out:
    credit_client_destroy(to);
    credit_client_destroy(from);
    if (log_file)
        fclose(log_file);
    return status;
}
