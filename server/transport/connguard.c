/*
 * connguard.c — the node's own connection-level defences.
 *
 * Debian 12 ships the gRPC core 1.51, which predates the 2023 HTTP/2 rapid-reset mitigations
 * and has no channel argument that limits connections. The core tells the application nothing
 * about connections, only about calls, each with a peer string ("ipv4:10.0.0.7:51514") that
 * names one connection. So the guard works from what it can see:
 *
 * - Rapid reset. Every call the client cancels before the node has answered it is counted
 *   against its connection, in one-second windows. Past max_resets_per_second in one window
 *   the connection is closed. A client that honours SETTINGS never has more than
 *   max_streams calls open, so cancelling all of them at once stays within a limit twice
 *   that; an attacker's thousands of open-and-reset pairs a second do not.
 * - Connections. Once a second the guard lists the node's accepted sockets: the descriptors
 *   in /proc/self/fd whose local port is the node's and that have a peer. A connection gets
 *   its place in the order of arrival in the scan that first sees it. Past
 *   max_connections_per_peer from one IP address, or max_connections in all, the newest are
 *   closed. So a flood is cut back within a second; until then the core's handshake timeout
 *   and memory quota bound what it costs.
 *
 * Closing a connection is shutdown(2) of its socket in both directions. The core owns the
 * descriptor: it sees end of file, tears down the transport and every stream on it, and
 * closes the descriptor itself. The guard never closes a descriptor, so none can be reused
 * under the core because of it; and it reads the peer again just before the shutdown, so a
 * descriptor the core closed and reused for another connection since the scan is left alone.
 *
 * Invariant: g->mu guards the table and the counters. The table holds one entry per peer
 * string seen lately, at most MAX_ENTRIES; an entry not seen by a scan and without a
 * cancellation for GONE_SECONDS is dropped. When the table is full a new peer is not counted
 * (the guard fails open rather than refusing calls).
 */
#include "connguard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUCKETS 1024
#define MAX_ENTRIES 65536
#define GONE_SECONDS 5.0

typedef struct conn {
    char peer[64];
    char ip[48];
    double window;          /* start of the current one-second window of cancellations */
    int cancels;            /* cancellations in that window */
    int closed;             /* shut down by the guard */
    unsigned long arrival;  /* order of arrival: the scan counter when first seen (0: not yet) */
    unsigned long scan;     /* the last scan that saw it */
    int fd;                 /* its descriptor in that scan */
    double last;            /* the last time a scan or a cancellation touched it */
    struct conn *next;
} conn;

struct connguard {
    pthread_mutex_t mu;
    connguard_limits lim;
    int port;
    conn *buckets[BUCKETS];
    size_t entries;
    unsigned long scans;
    unsigned long arrivals;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % BUCKETS;
}

connguard *connguard_create(const connguard_limits *lim)
{
    connguard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->mu, NULL);
    g->lim = *lim;
    return g;
}

void connguard_destroy(connguard *g)
{
    if (!g)
        return;
    for (int b = 0; b < BUCKETS; b++) {
        conn *c = g->buckets[b];
        while (c) {
            conn *next = c->next;
            free(c);
            c = next;
        }
    }
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void connguard_set_port(connguard *g, int port)
{
    pthread_mutex_lock(&g->mu);
    g->port = port;
    pthread_mutex_unlock(&g->mu);
}

/* Finds the entry of `peer`, adding it if `add`; NULL if absent (or the table is full). */
static conn *lookup_locked(connguard *g, const char *peer, const char *ip, int add)
{
    unsigned b = hash(peer);
    for (conn *c = g->buckets[b]; c; c = c->next)
        if (strcmp(c->peer, peer) == 0)
            return c;
    if (!add || g->entries >= MAX_ENTRIES)
        return NULL;
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    snprintf(c->ip, sizeof c->ip, "%s", ip ? ip : "");
    c->fd = -1;
    c->next = g->buckets[b];
    g->buckets[b] = c;
    g->entries++;
    return c;
}

int connguard_format_peer(const void *sa, size_t len, char *out, size_t cap, char *ip,
                          size_t ip_cap)
{
    const struct sockaddr *a = sa;
    char host[INET6_ADDRSTRLEN];
    unsigned port;
    if (a->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *v4 = sa;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        port = ntohs(v4->sin_port);
        snprintf(out, cap, "ipv4:%s:%u", host, port);
    } else if (a->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *v6 = sa;
        port = ntohs(v6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            /* The core names an IPv4 client of a dual-stack listener as IPv4. */
            inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], host, sizeof host);
            snprintf(out, cap, "ipv4:%s:%u", host, port);
        } else {
            inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
            snprintf(out, cap, "ipv6:[%s]:%u", host, port);
        }
    } else {
        return -1;
    }
    if (ip)
        snprintf(ip, ip_cap, "%s", host);
    return 0;
}

/* The peer string of descriptor fd if it is a connection accepted on `port`; else -1. */
static int accepted_peer(int fd, int port, char *peer, size_t cap, char *ip, size_t ip_cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1; /* not a socket */
    unsigned local;
    if (ss.ss_family == AF_INET)
        local = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
        local = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        return -1;
    if (port <= 0 || local != (unsigned)port)
        return -1;
    len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1; /* the listener, or a socket already shut down */
    return connguard_format_peer(&ss, len, peer, cap, ip, ip_cap);
}

/* Shuts down fd if it still is the connection `peer`. */
static int shut(int fd, int port, const char *peer)
{
    char now_peer[64], ip[48];
    if (accepted_peer(fd, port, now_peer, sizeof now_peer, ip, sizeof ip) != 0 ||
        strcmp(now_peer, peer) != 0)
        return 0;
    return shutdown(fd, SHUT_RDWR) == 0;
}

/* Calls fn for every accepted connection of the node; stops when fn returns non-zero. */
static void each_connection(int port, int (*fn)(void *, int, const char *, const char *),
                            void *arg)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int own = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end != '\0' || end == e->d_name || fd == own)
            continue;
        char peer[64], ip[48];
        if (accepted_peer((int)fd, port, peer, sizeof peer, ip, sizeof ip) != 0)
            continue;
        if (fn(arg, (int)fd, peer, ip))
            break;
    }
    closedir(d);
}

struct close_one {
    int port;
    const char *peer;
    int done;
};

static int close_if(void *arg, int fd, const char *peer, const char *ip)
{
    (void)ip;
    struct close_one *c = arg;
    if (strcmp(peer, c->peer) != 0)
        return 0;
    c->done = shut(fd, c->port, c->peer);
    return 1;
}

int connguard_close(connguard *g, const char *peer)
{
    pthread_mutex_lock(&g->mu);
    int port = g->port;
    pthread_mutex_unlock(&g->mu);
    struct close_one c = {port, peer, 0};
    each_connection(port, close_if, &c);
    return c.done;
}

int connguard_note_cancel(connguard *g, const char *peer, int *count)
{
    *count = 0;
    if (g->lim.max_resets_per_second <= 0 || !peer || !*peer)
        return 0;
    double t = now_s();
    int close_now = 0;
    pthread_mutex_lock(&g->mu);
    conn *c = lookup_locked(g, peer, NULL, 1);
    if (c) {
        if (t - c->window >= 1.0) {
            c->window = t;
            c->cancels = 0;
        }
        c->cancels++;
        c->last = t;
        *count = c->cancels;
        if (c->cancels > g->lim.max_resets_per_second && !c->closed) {
            c->closed = 1;
            close_now = 1;
        }
    }
    pthread_mutex_unlock(&g->mu);
    /* Outside the lock: the scan of /proc/self/fd takes a while on a busy node. */
    if (close_now)
        connguard_close(g, peer);
    return close_now;
}

/* --- The scan ------------------------------------------------------------------------------- */

struct scan {
    connguard *g;
    conn **seen;
    size_t n, cap;
    double t;
};

static int note_seen(void *arg, int fd, const char *peer, const char *ip)
{
    struct scan *s = arg;
    conn *c = lookup_locked(s->g, peer, ip, 1);
    if (!c)
        return 0;
    if (!c->ip[0])
        snprintf(c->ip, sizeof c->ip, "%s", ip); /* first met by a cancellation */
    if (!c->arrival)
        c->arrival = ++s->g->arrivals;
    c->scan = s->g->scans;
    c->fd = fd;
    c->last = s->t;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        conn **seen = realloc(s->seen, cap * sizeof *seen);
        if (!seen)
            return 1; /* out of memory: enforce on what was seen */
        s->seen = seen;
        s->cap = cap;
    }
    s->seen[s->n++] = c;
    return 0;
}

/* By IP address, then oldest first. */
static int by_ip_then_arrival(const void *a, const void *b)
{
    const conn *x = *(conn *const *)a, *y = *(conn *const *)b;
    int r = strcmp(x->ip, y->ip);
    if (r)
        return r;
    return (x->arrival > y->arrival) - (x->arrival < y->arrival);
}

static int by_arrival(const void *a, const void *b)
{
    const conn *x = *(conn *const *)a, *y = *(conn *const *)b;
    return (x->arrival > y->arrival) - (x->arrival < y->arrival);
}

static void close_conn(connguard *g, conn *c, int *counter, connguard_report *rep)
{
    if (!c->closed && shut(c->fd, g->port, c->peer)) {
        (*counter)++;
        snprintf(rep->peer, sizeof rep->peer, "%s", c->peer);
    }
    c->closed = 1;
}

void connguard_tick(connguard *g, connguard_report *rep)
{
    memset(rep, 0, sizeof *rep);
    pthread_mutex_lock(&g->mu);
    /* The scan runs under the lock: note_cancel waits at most one scan, and a close it asks
     * for runs after the lock is released. */
    struct scan s = {g, NULL, 0, 0, now_s()};
    g->scans++;
    each_connection(g->port, note_seen, &s);
    rep->connections = (int)s.n;

    if (g->lim.max_connections_per_peer > 0 && s.n > 0) {
        qsort(s.seen, s.n, sizeof *s.seen, by_ip_then_arrival);
        size_t open = 0; /* open connections of this address so far, oldest first */
        for (size_t i = 0; i < s.n; i++) {
            if (i > 0 && strcmp(s.seen[i]->ip, s.seen[i - 1]->ip) != 0)
                open = 0;
            if (s.seen[i]->closed)
                continue; /* shut down, not yet gone: it holds no place */
            if (++open > (size_t)g->lim.max_connections_per_peer)
                close_conn(g, s.seen[i], &rep->closed_peer, rep);
        }
    }
    if (g->lim.max_connections > 0 && s.n > (size_t)g->lim.max_connections) {
        qsort(s.seen, s.n, sizeof *s.seen, by_arrival);
        size_t open = 0;
        for (size_t i = 0; i < s.n; i++) {
            if (s.seen[i]->closed)
                continue;
            if (++open > (size_t)g->lim.max_connections)
                close_conn(g, s.seen[i], &rep->closed_total, rep);
        }
    }
    free(s.seen);

    /* Forget what is gone. */
    for (int b = 0; b < BUCKETS; b++) {
        conn **pp = &g->buckets[b];
        while (*pp) {
            conn *c = *pp;
            if (c->scan != g->scans && s.t - c->last > GONE_SECONDS) {
                *pp = c->next;
                free(c);
                g->entries--;
            } else {
                pp = &c->next;
            }
        }
    }
    pthread_mutex_unlock(&g->mu);
}
