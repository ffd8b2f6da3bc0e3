/*
 * it_node.h — a real creditd for the integration tests: started on 127.0.0.1 with an
 * ephemeral port (its `listening on` line read from its stdout), its stderr in a log file
 * beside its data, stopped by its process id; and libcreditclient clients of it with the dev
 * certificates. Every failure fails the running cmocka test.
 */
#ifndef CREDIT_IT_NODE_H
#define CREDIT_IT_NODE_H

#include <credit/client.h>

#include <sys/types.h>

typedef struct it_node {
    pid_t pid;
    int port;
    char data[600];
    char log[620]; /* the node's stderr: data + ".log" */
    char target[64];
} it_node;

/* Starts $CREDITD on data directory `data` with the dev certificates in `tls`, at log level
 * warn, with `extra` flags (NULL-terminated, or NULL) after them and `env` (NAME=VALUE
 * strings, NULL-terminated, or NULL) set in its environment. Waits for it to listen. */
void it_node_start(it_node *n, const char *data, const char *tls, const char *const *extra,
                   const char *const *env);

/* SIGTERM, then its exit status (0 expected). A failure prints the node's log; the one leak
 * report that is not ours is tolerated (see tu_only_openssl_thread_state_leak). */
int it_node_stop(it_node *n);

/* SIGKILL, and the process reaped. */
void it_node_kill9(it_node *n);

/* A client of `n` with the certificate of `who` under `tls` ("units/tax", "bad/unknown"),
 * a 10-second deadline per call. */
credit_client *it_client(const it_node *n, const char *tls, const char *who);

#endif /* CREDIT_IT_NODE_H */
