/*
 * main.c — creditd: flags and config, start-up, the signal loop, shutdown.
 *
 * Configuration is one table (name, kind, bounds, default, help), read from an optional
 * config file of `name value` lines and then from `--name value` flags, which override it.
 * Every problem found before binding — a bad flag, a missing directory, unreadable
 * certificates, a CA without a CRL — is one message naming it and exit status 2.
 *
 * Once it accepts calls the node prints exactly one line `listening on HOST:PORT` on stdout.
 * SIGTERM or SIGINT: health turns NOT_SERVING, Watch streams end, in-flight calls get the
 * grace period, the store closes, exit 0. While running, the main thread re-reads the CRLs
 * and CA bundle every reload-seconds.
 */
#include "audit.h"
#include "authz.h"
#include "catalog.h"
#include "health.h"
#include "keyprint.h"
#include "log.h"
#include "node.h"
#include "pcache.h"
#include "reflection.h"
#include "registry.h"
#include "rpc.h"
#include "descset.h"
#include "store.h"
#include "svc_catalogue.h"
#include "signkey.h"
#include "svc_collection.h"
#include "svc_finance.h"
#include "svc_industrial.h"
#include "svc_query.h"
#include "svc_authorization.h"
#include "svc_authorized_query.h"
#include "svc_sync.h"
#include "svc_units.h"
#include "tls.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define EXIT_USAGE 2
#define CREDITD_VERSION "0.1.0"

extern const unsigned char credit_descriptor_set[];
extern const size_t credit_descriptor_set_len;
extern const unsigned char credit_demo_units[];
extern const size_t credit_demo_units_len;
extern const unsigned char credit_catalogue_seed[];
extern const size_t credit_catalogue_seed_len;

typedef struct config {
    char listen[256];
    char data[4096];
    char tls[4096];
    char log_level[16];
    char privacy_key[4096];
    char catalogue[4096];
    char signing_key[4096];
    long threads;
    long max_message_bytes;
    long sync;
    long grace_ms;
    long reload_seconds;
    long max_streams;
    long max_header_bytes;
    long handshake_timeout_ms;
    long max_connection_idle_ms;
    long max_connection_age_ms;
    long min_ping_interval_ms;
    long max_memory_mb;
    long max_resets_per_second;
    long max_connections;
    long max_connections_per_peer;
    long max_grant_days;
    long feed_retention;
    long portrait_cache_mb;
} config;

enum opt_kind { OPT_STR, OPT_INT, OPT_BOOL };

typedef struct opt {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    size_t size; /* for strings: the buffer's size */
    long min, max;
    const char *def; /* NULL: required */
    const char *help;
} opt;

#define STR(f) OPT_STR, offsetof(config, f), sizeof(((config *)0)->f), 0, 0
#define INT(f, lo, hi) OPT_INT, offsetof(config, f), 0, lo, hi
#define BOOL(f) OPT_BOOL, offsetof(config, f), 0, 0, 1

static const opt options[] = {
    {"listen", STR(listen), "127.0.0.1:50051", "address to listen on; port 0 picks a free one"},
    {"data", STR(data), NULL, "data directory (created if missing, its parent must exist)"},
    {"tls", STR(tls), NULL, "TLS directory: ca.crt, server.crt, server.key, crl/"},
    {"log-level", STR(log_level), "info", "debug, info, warn or error"},
    {"privacy-key", STR(privacy_key), "TLS/privacy.key",
     "key file sealing personal identity numbers; made on first start; keep it with the "
     "certificates, apart from the data"},
    {"signing-key", STR(signing_key), "TLS/signing.key",
     "ECDSA P-256 key file (PEM) signing credit portraits, apart from the TLS key; made on "
     "first start; lenders verify portraits with its public key (CreditFinance.GetSigningKey)"},
    {"catalogue", STR(catalogue), "embedded",
     "text-format credit.v1.CatalogueVersion seeding catalogue version 1 on an empty store, "
     "checked on every start (embedded: proto/catalogue.textproto as built in)"},
    {"threads", INT(threads, 1, 64), "2", "completion-queue threads"},
    {"max-message-bytes", INT(max_message_bytes, 1024, 1L << 30), "4194304",
     "largest request message accepted; larger ones get RESOURCE_EXHAUSTED"},
    {"sync", BOOL(sync), "on",
     "fsync acknowledged writes (off: a crash of the machine may lose the last writes; a "
     "crash of the process loses none)"},
    {"grace-ms", INT(grace_ms, 0, 600000), "5000", "how long in-flight calls may finish on stop"},
    {"reload-seconds", INT(reload_seconds, 1, 3600), "5",
     "how often certificates, CA bundle and CRLs are re-read"},
    {"max-streams", INT(max_streams, 1, 10000), "100",
     "concurrent calls (HTTP/2 streams) one connection may have open; advertised in SETTINGS"},
    {"max-header-bytes", INT(max_header_bytes, 1024, 1L << 20), "16384",
     "largest header list (metadata) of a call; larger ones are refused"},
    {"handshake-timeout-ms", INT(handshake_timeout_ms, 100, 600000), "5000",
     "a connection that has not finished its TLS and HTTP/2 handshake by then is closed"},
    {"max-connection-idle-ms", INT(max_connection_idle_ms, 1000, 86400000), "300000",
     "a connection without a call for this long is closed (GOAWAY)"},
    {"max-connection-age-ms", INT(max_connection_age_ms, 1000, 604800000), "3600000",
     "a connection older than this is closed (GOAWAY) once its calls end, at most 30 s later"},
    {"min-ping-interval-ms", INT(min_ping_interval_ms, 1000, 3600000), "10000",
     "keepalive enforcement: a client pinging more often than this without calls is closed "
     "after 2 strikes"},
    {"max-memory-mb", INT(max_memory_mb, 16, 1L << 20), "256",
     "the gRPC transport's memory quota (buffers of connections and calls); past it the core "
     "sheds and refuses work"},
    {"max-resets-per-second", INT(max_resets_per_second, 1, 1000000), "200",
     "calls one connection may cancel (RST_STREAM) or let expire before their answer in one "
     "second; past it the connection is closed (HTTP/2 rapid reset)"},
    {"max-connections", INT(max_connections, 0, 1000000), "1000",
     "connections in all; the newest past it are closed within a second (0: no limit)"},
    {"max-connections-per-peer", INT(max_connections_per_peer, 0, 1000000), "100",
     "connections from one IP address; the newest past it are closed within a second "
     "(0: no limit)"},
    {"max-grant-days", INT(max_grant_days, 1, 36500), "365",
     "the longest validity window a consent grant may have, in days"},
    {"feed-retention", INT(feed_retention, 1, 3650L * 86400), "2592000",
     "seconds the change feed keeps a change (credit.v1.Sync); a cursor older than that must "
     "start again from a Snapshot"},
    {"portrait-cache-mb", INT(portrait_cache_mb, 0, 1L << 20), "32",
     "memory for computed portrait contents (CreditFinance.GetPortrait), kept until a write "
     "touches their subject or the catalogue; 0: none, every portrait is computed afresh"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: creditd --data DIR --tls DIR [--listen ADDR] [--config FILE] [options]\n"
               "\noptions (also `name value` lines in the config file; flags override it):\n");
    for (size_t i = 0; i < N_OPTIONS; i++)
        fprintf(f, "  --%-18s %s%s%s%s\n", options[i].name, options[i].help,
                options[i].def ? " [default " : " [required",
                options[i].def ? options[i].def : "", "]");
    fprintf(f, "  --%-18s %s\n  --%-18s %s\n  --%-18s %s\n", "config FILE",
            "read options from FILE first", "help", "print this and exit", "version",
            "print the version and exit");
}

static const opt *find_opt(const char *name)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

/* Sets one option from text. Returns 0, or -1 with a message in err[512]. */
static int set_opt(config *c, const opt *o, const char *val, char *err)
{
    char *field = (char *)c + o->offset;
    if (o->kind == OPT_STR) {
        size_t n = strlen(val);
        if (n == 0 || n >= o->size) {
            snprintf(err, 512, "%s: must be 1 to %zu characters", o->name, o->size - 1);
            return -1;
        }
        memcpy(field, val, n + 1);
        return 0;
    }
    long v;
    if (o->kind == OPT_BOOL) {
        if (strcmp(val, "on") == 0 || strcmp(val, "yes") == 0 || strcmp(val, "true") == 0 ||
            strcmp(val, "1") == 0)
            v = 1;
        else if (strcmp(val, "off") == 0 || strcmp(val, "no") == 0 ||
                 strcmp(val, "false") == 0 || strcmp(val, "0") == 0)
            v = 0;
        else {
            snprintf(err, 512, "%s: \"%s\" is not on or off", o->name, val);
            return -1;
        }
    } else {
        char *end;
        errno = 0;
        v = strtol(val, &end, 10);
        if (errno || end == val || *end || v < o->min || v > o->max) {
            snprintf(err, 512, "%s: \"%s\" is not a whole number from %ld to %ld", o->name, val,
                     o->min, o->max);
            return -1;
        }
    }
    memcpy(field, &v, sizeof v);
    return 0;
}

static int read_config_file(config *c, const char *path, char *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, 512, "cannot read config file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[4400];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        char *p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\0')
            continue;
        char *sep = p + strcspn(p, " \t");
        char *val = sep + strspn(sep, " \t");
        *sep = '\0';
        const opt *o = find_opt(p);
        char e2[512];
        if (!o) {
            snprintf(err, 512, "%s:%d: unknown option \"%s\"", path, lineno, p);
            rc = -1;
        } else if (set_opt(c, o, val, e2) != 0) {
            snprintf(err, 512, "%.200s:%d: %.280s", path, lineno, e2);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

/* Returns 0 to run, 1 for --help/--version (exit 0), -1 for an error (err). */
static int parse_args(int argc, char **argv, config *c, char *err)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].def && set_opt(c, &options[i], options[i].def, err) != 0)
            return -1;
    /* The config file first, wherever --config stands, so that flags override it. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("creditd %s\n", CREDITD_VERSION);
            return 1;
        }
        const char *file = NULL;
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                snprintf(err, 512, "--config needs a file");
                return -1;
            }
            file = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            file = argv[i] + 9;
        }
        if (file && read_config_file(c, file, err) != 0)
            return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            snprintf(err, 512, "unexpected argument \"%s\"", a);
            return -1;
        }
        char name[64];
        const char *val = NULL;
        const char *eq = strchr(a + 2, '=');
        size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (nlen >= sizeof name) {
            snprintf(err, 512, "unknown flag \"%.80s\"", a);
            return -1;
        }
        memcpy(name, a + 2, nlen);
        name[nlen] = '\0';
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        if (strcmp(name, "config") == 0)
            continue;
        const opt *o = find_opt(name);
        if (!o) {
            snprintf(err, 512, "unknown flag --%s (see --help)", name);
            return -1;
        }
        if (!val) {
            snprintf(err, 512, "--%s needs a value", name);
            return -1;
        }
        if (set_opt(c, o, val, err) != 0)
            return -1;
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *field = (const char *)c + options[i].offset;
        if (!options[i].def && options[i].kind == OPT_STR && field[0] == '\0') {
            snprintf(err, 512, "--%s is required (see --help)", options[i].name);
            return -1;
        }
    }
    return 0;
}

/* The data directory may be created, but its parent must exist: a typo should not quietly
 * make a new empty node somewhere. */
static int prepare_data_dir(const char *dir, char *err)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, 512, "data directory %.300s is not a directory", dir);
            return -1;
        }
        return 0;
    }
    if (mkdir(dir, 0700) != 0) {
        snprintf(err, 512, "cannot create data directory %.300s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static void host_of(const char *listen, char *host, size_t cap)
{
    const char *colon = strrchr(listen, ':');
    size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
    if (n >= cap)
        n = cap - 1;
    memcpy(host, listen, n);
    host[n] = '\0';
}

/* Opens the key that seals personal identity numbers (creating it on a node's first start)
 * and checks it is the key this data directory was written with: a different key would
 * make every sealed number unreadable, so the node refuses to start rather than find out
 * record by record. */
static int open_privacy(config *cfg, node *n, char *err)
{
    char path[4200], perr[256];
    if (strcmp(cfg->privacy_key, "TLS/privacy.key") == 0)
        snprintf(path, sizeof path, "%s/privacy.key", cfg->tls);
    else
        snprintf(path, sizeof path, "%s", cfg->privacy_key);
    unsigned char stored[PRIVACY_FINGERPRINT_LEN];
    char serr[STORE_ERR_LEN];
    int rc = keyprint_get(n->st, stored, serr);
    if (rc != 0 && rc != STORE_ENOTFOUND && rc != STORE_ECORRUPT) {
        snprintf(err, 512, "cannot read the store: %.400s", serr);
        return -1;
    }
    /* A node that has written data never makes a new key: its key file must exist. */
    if (privacy_open(path, rc == STORE_ENOTFOUND, &n->pv, perr) != 0) {
        snprintf(err, 512, "privacy key %.200s: %.250s", path, perr);
        return -1;
    }
    if (privacy_derive(n->pv, "page tokens", n->pages.k) != 0) {
        snprintf(err, 512, "cannot derive the page-token key from %.200s", path);
        return -1;
    }
    unsigned char fp[PRIVACY_FINGERPRINT_LEN];
    privacy_fingerprint(n->pv, fp);
    if (rc != STORE_ENOTFOUND) {
        /* A fingerprint of the wrong length (STORE_ECORRUPT) matches no key either. */
        if (rc != 0 || memcmp(stored, fp, sizeof fp) != 0) {
            snprintf(err, 512,
                     "privacy key %.200s is not the key the data in %.200s was sealed with",
                     path, cfg->data);
            return -1;
        }
        return 0;
    }
    rc = keyprint_put(n->st, fp, serr);
    if (rc != 0) {
        snprintf(err, 512, "cannot write the store: %.400s", serr);
        return -1;
    }
    return 0;
}

/* Loads the catalogue: the stored versions, and the seed (the embedded one, or --catalogue's
 * file), which is always checked and becomes version 1 on an empty store. */
static int open_catalogue(const config *cfg, node *n, char *err)
{
    const char *origin = "proto/catalogue.textproto (embedded)";
    const char *text = (const char *)credit_catalogue_seed;
    size_t len = credit_catalogue_seed_len;
    char *file = NULL, cerr[CATALOG_ERR_LEN];
    int rc;

    if (strcmp(cfg->catalogue, "embedded") != 0) {
        FILE *f = fopen(cfg->catalogue, "rb");
        struct stat st;
        const char *why = NULL;

        if (!f || fstat(fileno(f), &st) != 0)
            why = strerror(errno);
        else if (!S_ISREG(st.st_mode))
            why = "not a regular file";
        else if (st.st_size >= (16L << 20))
            why = "larger than 16 MiB";
        else if (!(file = malloc((size_t)st.st_size + 1)) ||
                 fread(file, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
            why = file ? "read error" : "out of memory";
        if (why) {
            snprintf(err, 512, "catalogue: cannot read %.300s: %s", cfg->catalogue, why);
            if (f)
                fclose(f);
            free(file);
            return -1;
        }
        text = file;
        len = (size_t)st.st_size;
        fclose(f);
        origin = cfg->catalogue;
    }
    rc = catalog_open(n->st, text, len, origin, node_unit_exists, n->st, &n->cat, cerr);
    free(file);
    if (rc != 0) {
        snprintf(err, 512, "catalogue: %.490s", cerr);
        return -1;
    }
    return 0;
}

/* Opens the portrait signing key, making it on first start (like the privacy key, and beside
 * it by default). A key made anew later (the file lost) only means that portraits signed
 * before no longer verify against the published key: nothing stored depends on it. */
static int open_signing_key(config *cfg, node *n, char *err)
{
    char path[4200], kerr[SIGNKEY_ERR_LEN];
    if (strcmp(cfg->signing_key, "TLS/signing.key") == 0)
        snprintf(path, sizeof path, "%s/signing.key", cfg->tls);
    else
        snprintf(path, sizeof path, "%s", cfg->signing_key);
    if (signkey_open(path, 1, &n->sign, kerr) != 0) {
        snprintf(err, 512, "signing key %.200s: %.250s", path, kerr);
        return -1;
    }
    log_event(LOG_INFO, "signing-key", "key_id=%s", signkey_id(n->sign));
    return 0;
}

/* Every service the node serves, in the order they are registered. */
static const rpc_service *const services[] = {
    &health_service,
    &reflection_v1_service,
    &reflection_v1alpha_service,
    &unit_registry_service,
    &catalogue_governance_service,
    &public_collection_service,
    &industrial_collection_service,
    &service_unit_collection_service,
    &association_collection_service,
    &voluntary_declaration_service,
    &open_query_service,
    &government_sharing_service,
    &authorization_service,
    &authorized_query_service,
    &credit_finance_service,
    &sync_service,
};
#define N_SERVICES (sizeof services / sizeof services[0])

int main(int argc, char **argv)
{
    config cfg;
    char err[512];
    int rc = parse_args(argc, argv, &cfg, err);
    if (rc == 1)
        return 0;
    if (rc != 0) {
        fprintf(stderr, "creditd: %s\n", err);
        return EXIT_USAGE;
    }
    enum log_level level;
    if (log_parse_level(cfg.log_level, &level) != 0) {
        fprintf(stderr, "creditd: log-level: \"%s\" is not debug, info, warn or error\n",
                cfg.log_level);
        return EXIT_USAGE;
    }
    log_set_level(level);
    rpc_route_core_logs();

    /* Signals are taken by sigtimedwait in the main loop; block them before any thread. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    node n = {.sync = (int)cfg.sync};
    descset *ds = NULL;
    rpc_server *srv = NULL;
    int exit_code = EXIT_USAGE;

    if (tls_open(cfg.tls, &n.tls, err) != 0) {
        fprintf(stderr, "creditd: tls: %s\n", err);
        goto out;
    }
    if (prepare_data_dir(cfg.data, err) != 0) {
        fprintf(stderr, "creditd: %s\n", err);
        goto out;
    }
    store_options so;
    store_options_init(&so);
    so.sync = (int)cfg.sync;
    if (store_open(cfg.data, &so, &n.st, err) != 0) {
        fprintf(stderr, "creditd: cannot open the store in %s: %s\n", cfg.data, err);
        goto out;
    }
    if (open_privacy(&cfg, &n, err) != 0) {
        fprintf(stderr, "creditd: %s\n", err);
        goto out;
    }
    if (open_signing_key(&cfg, &n, err) != 0) {
        fprintf(stderr, "creditd: %s\n", err);
        goto out;
    }
    int seeded = registry_seed(n.st, (const char *)credit_demo_units, credit_demo_units_len, err);
    if (seeded < 0) {
        fprintf(stderr, "creditd: cannot seed the unit registry: %s\n", err);
        goto out;
    }
    if (seeded > 0)
        log_event(LOG_INFO, "seeded", "units=%d", seeded);
    if (open_catalogue(&cfg, &n, err) != 0) {
        fprintf(stderr, "creditd: %s\n", err);
        goto out;
    }
    log_event(LOG_INFO, "catalogue", "versions=%u in_force=%u", catalog_count(n.cat),
              catalog_now(n.cat)->msg->version);
    records_prepare_under(n.cat); /* each version's open-tier form, made when it is written */
    if (catalog_seed_differs(n.cat))
        log_event(LOG_WARN, "catalogue-seed", "msg=%s seed=%s",
                  "the seed differs from the stored version 1; the stored versions govern "
                  "(change the catalogue through CatalogueGovernance)",
                  cfg.catalogue);
    if (audit_open(n.st, &n.audit, err) != 0) {
        fprintf(stderr, "creditd: cannot open the audit log: %s\n", err);
        goto out;
    }
    if (pcache_create((size_t)cfg.portrait_cache_mb << 20, &n.portraits) != 0) {
        fprintf(stderr, "creditd: cannot make the portrait cache: out of memory\n");
        goto out;
    }
    audit_set_observer(n.audit, pcache_note_batch, n.portraits);
    if (feed_open(n.st, &n.feed, err) != 0) {
        fprintf(stderr, "creditd: cannot open the change feed: %s\n", err);
        goto out;
    }
    if (svc_sync_start(&n, cfg.feed_retention, err) != 0) {
        fprintf(stderr, "creditd: %s\n", err);
        goto out;
    }
    if (descset_create(credit_descriptor_set, credit_descriptor_set_len, &ds, err) != 0) {
        fprintf(stderr, "creditd: embedded descriptor set: %s\n", err);
        goto out;
    }
    reflection_init(ds);
    authorization_set_max_days(cfg.max_grant_days);

    rpc_options ro = {
        .listen = cfg.listen,
        .server_credentials = tls_server_credentials(n.tls, (unsigned)cfg.reload_seconds),
        .threads = (int)cfg.threads,
        .max_message_bytes = (int)cfg.max_message_bytes,
        .max_streams = (int)cfg.max_streams,
        .max_header_bytes = (int)cfg.max_header_bytes,
        .handshake_timeout_ms = (int)cfg.handshake_timeout_ms,
        .max_connection_idle_ms = (int)cfg.max_connection_idle_ms,
        .max_connection_age_ms = (int)cfg.max_connection_age_ms,
        .min_ping_interval_ms = (int)cfg.min_ping_interval_ms,
        .max_memory_bytes = (size_t)cfg.max_memory_mb << 20,
        .max_resets_per_second = (int)cfg.max_resets_per_second,
        .max_connections = (int)cfg.max_connections,
        .max_connections_per_peer = (int)cfg.max_connections_per_peer,
        .descriptor_set = credit_descriptor_set,
        .descriptor_set_len = credit_descriptor_set_len,
    };
    if (!ro.server_credentials) {
        fprintf(stderr, "creditd: tls: cannot create server credentials from %s\n", cfg.tls);
        goto out;
    }
    rpc_hooks hooks = node_hooks(&n);
    srv = rpc_server_create(&ro, &hooks, err);
    if (!srv) {
        fprintf(stderr, "creditd: %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < N_SERVICES; i++) {
        /* A registered units' service is served only if the permission table says who may
         * call each of its methods: a method without a capability stops the start. */
        if ((services[i]->auth == RPC_AUTH_REGISTERED &&
             authz_check_service(services[i]->descriptor, err) != 0) ||
            rpc_server_add_service(srv, services[i], err) != 0) {
            fprintf(stderr, "creditd: %s\n", err);
            goto out;
        }
        if (services[i] != &health_service)
            health_add_service(services[i]->descriptor->name);
    }
    int port = rpc_server_start(srv, err);
    if (port < 0) {
        fprintf(stderr, "creditd: %s\n", err);
        goto out;
    }
    health_set_serving(1);
    char host[256];
    host_of(cfg.listen, host, sizeof host);
    printf("listening on %s:%d\n", host, port);
    fflush(stdout);
    char addr[300];
    snprintf(addr, sizeof addr, "%s:%d", host, port);
    log_event(LOG_INFO, "listening", "addr=%s data=%s threads=%ld sync=%s", addr, cfg.data,
              cfg.threads, cfg.sync ? "on" : "off");

    /* Once a second: the core's dropped log lines are counted, and freed heap memory goes back
     * to the system (a flood of calls, such as an HTTP/2 rapid reset, frees what it took, but
     * glibc keeps it: RSS stayed at 370 MB after 20,000 reset streams, 35 MB with the trim).
     * Every reload_seconds: the certificates and CRLs. */
    long since_reload = 0;
    for (;;) {
        struct timespec wait = {.tv_sec = 1, .tv_nsec = 0};
        int sig = sigtimedwait(&sigs, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            log_event(LOG_INFO, "stopping", "signal=%s grace_ms=%ld",
                      sig == SIGTERM ? "TERM" : "INT", cfg.grace_ms);
            break;
        }
        rpc_core_log_tick();
        rpc_server_tick(srv);
        malloc_trim(0);
        if (++since_reload < cfg.reload_seconds)
            continue;
        since_reload = 0;
        char terr[512];
        int r = tls_reload(n.tls, terr);
        if (r > 0)
            log_event(LOG_INFO, "tls-reloaded", "dir=%s", cfg.tls);
        else if (r < 0)
            log_event(LOG_ERROR, "tls-reload", "err=%s effect=%s", terr,
                      "the previous CRLs stay in force");
    }
    health_set_serving(0);
    health_end_watches();
    svc_sync_end();
    rpc_server_shutdown(srv, (int)cfg.grace_ms);
    exit_code = 0;
out:
    rpc_server_destroy(srv);
    health_reset();
    descset_destroy(ds);
    svc_sync_stop();
    audit_close(n.audit);
    pcache_destroy(n.portraits);
    feed_close(n.feed);
    catalog_destroy(n.cat);
    store_close(n.st);
    privacy_close(n.pv);
    signkey_close(n.sign);
    tls_close(n.tls);
    if (exit_code == 0)
        log_event(LOG_INFO, "stopped", "data=%s", cfg.data);
    return exit_code;
}
