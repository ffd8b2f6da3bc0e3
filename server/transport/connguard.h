/*
 * connguard.h — connection-level defences the gRPC core 1.51 has no knob for: a rate of
 * client-cancelled calls per connection (HTTP/2 rapid reset) and the number of connections per
 * peer address and in total. See connguard.c for how a connection is found and closed.
 *
 * Thread safety: every function may be called from any thread; the guard has its own lock.
 */
#ifndef CREDIT_CONNGUARD_H
#define CREDIT_CONNGUARD_H

#include <stddef.h>

typedef struct connguard connguard;

typedef struct connguard_limits {
    int max_resets_per_second;    /* client-cancelled calls one connection may make a second */
    int max_connections;          /* accepted connections in all (0: no limit) */
    int max_connections_per_peer; /* accepted connections from one IP address (0: no limit) */
} connguard_limits;

/* What a tick or a cancellation did, for the caller to log. */
typedef struct connguard_report {
    int connections;    /* accepted connections seen by the last scan */
    int closed_total;   /* closed by this call for the total limit */
    int closed_peer;    /* closed by this call for the per-peer limit */
    char peer[64];      /* an address closed by this call (the last one), "" if none */
} connguard_report;

/* Returns NULL when out of memory. */
connguard *connguard_create(const connguard_limits *lim);
void connguard_destroy(connguard *g);

/* The port the server listens on: only sockets bound to it are the node's connections. */
void connguard_set_port(connguard *g, int port);

/* A call on the connection `peer` (the core's peer string, "ipv4:10.0.0.7:51514") ended
 * cancelled by the client before its answer. Returns 1 when this cancellation took the
 * connection past the rate and the connection was closed now, 0 otherwise; *count is the
 * number of cancellations in the current one-second window. */
int connguard_note_cancel(connguard *g, const char *peer, int *count);

/* Once a second: forgets connections that are gone, and closes the newest connections past
 * the per-peer and total limits. */
void connguard_tick(connguard *g, connguard_report *rep);

/* Closes (shutdown(2), both ways) the accepted connection whose peer string is `peer`.
 * Returns 1 if one was found and closed, 0 if none. */
int connguard_close(connguard *g, const char *peer);

/* Formats a socket address as the core does: "ipv4:A.B.C.D:P" (an IPv4-mapped IPv6 address
 * included) or "ipv6:[...]:P". Returns 0, or -1 for another family. Exposed for tests. */
int connguard_format_peer(const void *sockaddr, size_t len, char *out, size_t cap,
                          char *ip, size_t ip_cap);

#endif
