/*
 * tlsguard.c — a TLS 1.2 renegotiation request ends its connection at once.
 *
 * OpenSSL 3 refuses a client's renegotiation by default: on the ClientHello it writes a
 * no_renegotiation warning alert and goes on. Debian's gRPC core 1.51 runs OpenSSL over a BIO
 * pair and sends what OpenSSL wrote only when it next protects application data of its own, so
 * the alert sat in the pair and the client waited for an answer that never came: a
 * renegotiating connection hung until the handshake deadline, an idle GOAWAY or the next
 * keepalive (25 s and more in tests). The core has no hook for this, so creditd interposes
 * the one OpenSSL call the core makes for received records, SSL_read: the executable's
 * definition is found before libssl's by every library in the process.
 *
 * The wrapper calls the real SSL_read. If a server-side TLS 1.2 (or older) connection read no
 * data and OpenSSL wrote bytes of its own meanwhile, that can only be the refusal of a
 * renegotiation (a TLS 1.2 server writes nothing else while reading: not for a warning alert,
 * not for close_notify). The wrapper then reports a fatal SSL error (SSL_R_NO_RENEGOTIATION on
 * the error queue, -1 returned), which the core treats as a corrupt record: it closes the
 * connection at once. TLS 1.3 connections, where KeyUpdate may legitimately write, are never
 * touched, and every other return passes through unchanged.
 *
 * Only creditd links this file; the unit tests and the client library keep the plain
 * SSL_read.
 */
#include "log.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

typedef int (*ssl_read_fn)(SSL *, void *, int);

static ssl_read_fn real_ssl_read;
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;
static atomic_long refused;

static void resolve(void)
{
    /* POSIX lets dlsym's void * become a function pointer; the copy keeps -Wpedantic quiet. */
    void *sym = dlsym(RTLD_NEXT, "SSL_read");
    memcpy(&real_ssl_read, &sym, sizeof real_ssl_read);
}

int SSL_read(SSL *ssl, void *buf, int num)
{
    pthread_once(&resolve_once, resolve);
    if (!real_ssl_read)
        return -1; /* cannot happen when libssl is loaded: nothing reads without it */
    BIO *w = SSL_get_wbio(ssl);
    size_t before = w ? BIO_ctrl_wpending(w) : 0;
    int r = real_ssl_read(ssl, buf, num);
    if (r > 0 || !w || !SSL_is_server(ssl) || SSL_version(ssl) > TLS1_2_VERSION ||
        BIO_ctrl_wpending(w) <= before || SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ)
        return r;
    long n = atomic_fetch_add(&refused, 1) + 1;
    log_event(LOG_WARN, "tls-renegotiation", "action=connection-closed refused_total=%ld", n);
    ERR_raise(ERR_LIB_SSL, SSL_R_NO_RENEGOTIATION);
    return -1;
}
