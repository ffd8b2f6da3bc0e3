/*
 * tls.h — the node's certificates: startup checks, server credentials, revocation.
 *
 * The TLS directory holds ca.crt (every CA whose client certificates we trust; a bundle),
 * server.crt and server.key, and crl/ with one CRL per trusted CA under its `openssl rehash`
 * name. Mutual TLS only: a client certificate is required and verified in the handshake, and
 * the handshake checks the CRL directory.
 *
 * Two traps make us keep a revocation list of our own as well: the core does not check a
 * certificate whose CA has no CRL in the directory, and it may not notice a CRL replaced in
 * place. So tls_check_peer refuses a certificate whose issuer has no CRL, and a revoked one,
 * from the list as last reloaded; tls_reload re-reads the directory when a file changed.
 * The server's own certificate and the CA bundle are re-read by the core's file watcher.
 *
 * Threads: tls_check_peer may run on any thread at the same time as tls_reload.
 */
#ifndef CREDIT_TLS_H
#define CREDIT_TLS_H

#include <stddef.h>
#include <stdint.h>

typedef struct tls_state tls_state;

/* Checks the directory (files present and readable, CA bundle parses, server key matches its
 * certificate, every CA has a valid CRL) and loads the revocation list. Returns 0 and *out,
 * or -1 with a message naming the file and the problem in err[512]. */
int tls_open(const char *dir, tls_state **out, char *err);
void tls_close(tls_state *t); /* NULL is a no-op */

/* Server credentials for the gRPC core (a grpc_server_credentials*, handed to rpc_options),
 * re-reading the certificates every refresh_s seconds. NULL on failure. */
void *tls_server_credentials(tls_state *t, unsigned refresh_s);

/* Re-reads CA bundle and CRLs if any of them changed since the last load. Returns 0 if
 * nothing changed, 1 if the new state is in force, -1 (err[512]) if the new files are bad:
 * the previous revocation list stays in force. */
int tls_reload(tls_state *t, char *err);

/* The revocation list's generation: it grows by one each time a reload puts a new list in
 * force. A certificate that passed under a generation passes until it changes. */
uint64_t tls_generation(tls_state *t);

/* Checks a verified peer certificate (PEM) against the revocation list. Returns 0 if it may
 * pass, or -1 with the reason in why[256] (revoked, or its issuer has no CRL). */
int tls_check_peer(tls_state *t, const char *pem, size_t len, char *why);

#endif /* CREDIT_TLS_H */
