/*
 * test_connguard.c — unit tests for server/transport/connguard.c, the node's connection-level defences.
 *
 * Peer strings as the core writes them; the cancellation rate per connection (one close, at
 * the first cancellation past the limit); and the connection scan over real loopback sockets:
 * the newest connections past the per-peer and total limits are shut down, the oldest stay,
 * and sockets not bound to the node's port are never touched.
 */
#include "testutil.h"

#include "connguard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_peers_are_written_as_the_core_writes_them(void **state)
{
    (void)state;
    char peer[64], ip[48];
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(51514)};
    inet_pton(AF_INET, "10.0.0.7", &v4.sin_addr);
    assert_int_equal(connguard_format_peer(&v4, sizeof v4, peer, sizeof peer, ip, sizeof ip), 0);
    assert_string_equal(peer, "ipv4:10.0.0.7:51514");
    assert_string_equal(ip, "10.0.0.7");

    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
    inet_pton(AF_INET6, "::ffff:192.0.2.1", &v6.sin6_addr);
    assert_int_equal(connguard_format_peer(&v6, sizeof v6, peer, sizeof peer, ip, sizeof ip), 0);
    assert_string_equal(peer, "ipv4:192.0.2.1:443"); /* a dual-stack listener's IPv4 client */

    inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
    assert_int_equal(connguard_format_peer(&v6, sizeof v6, peer, sizeof peer, ip, sizeof ip), 0);
    assert_string_equal(peer, "ipv6:[2001:db8::1]:443");
    assert_string_equal(ip, "2001:db8::1");

    struct sockaddr un = {.sa_family = AF_UNIX};
    assert_int_equal(connguard_format_peer(&un, sizeof un, peer, sizeof peer, NULL, 0), -1);
}

static void test_a_connection_is_closed_once_at_the_first_cancellation_past_the_rate(void **s)
{
    (void)s;
    connguard_limits lim = {.max_resets_per_second = 5};
    connguard *g = connguard_create(&lim);
    assert_non_null(g);
    int count, closes = 0;
    for (int i = 1; i <= 20; i++) {
        int closed = connguard_note_cancel(g, "ipv4:127.0.0.1:40000", &count);
        assert_int_equal(count, i);
        assert_int_equal(closed, i == 6);
        closes += closed;
    }
    assert_int_equal(closes, 1);
    /* Another connection has its own count. */
    assert_int_equal(connguard_note_cancel(g, "ipv4:127.0.0.1:40001", &count), 0);
    assert_int_equal(count, 1);
    connguard_destroy(g);
    connguard_destroy(NULL);
}

static void test_cancellations_spread_over_seconds_never_close(void **state)
{
    (void)state;
    connguard_limits lim = {.max_resets_per_second = 3};
    connguard *g = connguard_create(&lim);
    int count;
    for (int second = 0; second < 3; second++) {
        for (int i = 0; i < 3; i++)
            assert_int_equal(connguard_note_cancel(g, "ipv4:127.0.0.1:40002", &count), 0);
        assert_int_equal(count, 3);
        usleep(1050 * 1000);
    }
    connguard_destroy(g);
}

/* A listener on 127.0.0.1 and `n` connections to it: client ends in cl[], accepted ends in
 * sv[], accepted in order. Returns the port. */
static int connect_n(int *lfd, int *cl, int *sv, int n)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    *lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*lfd >= 0);
    assert_int_equal(bind(*lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(*lfd, 64), 0);
    assert_int_equal(getsockname(*lfd, (struct sockaddr *)&a, &len), 0);
    for (int i = 0; i < n; i++) {
        cl[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(cl[i], (struct sockaddr *)&a, sizeof a), 0);
        sv[i] = accept(*lfd, NULL, NULL);
        assert_true(sv[i] >= 0);
    }
    return ntohs(a.sin_port);
}

/* 1 if the server closed the connection whose client end is fd (EOF within 300 ms: a
 * shutdown on this machine shows at once). */
static int was_shut(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 300) != 1)
        return 0;
    char b;
    return recv(fd, &b, 1, MSG_DONTWAIT) == 0;
}

static void close_all(int lfd, int *cl, int *sv, int n)
{
    for (int i = 0; i < n; i++) {
        close(cl[i]);
        close(sv[i]);
    }
    close(lfd);
}

static void test_the_newest_connections_past_the_per_peer_limit_are_shut_down(void **state)
{
    (void)state;
    enum { N = 5 };
    int lfd, cl[N], sv[N];
    int port = connect_n(&lfd, cl, sv, N);
    connguard_limits lim = {.max_connections_per_peer = 3};
    connguard *g = connguard_create(&lim);
    connguard_report rep;

    connguard_tick(g, &rep); /* no port yet: nothing is the node's */
    assert_int_equal(rep.connections, 0);
    assert_int_equal(was_shut(cl[0]), 0);

    connguard_set_port(g, port);
    connguard_tick(g, &rep);
    /* Accepted ends only: the listener and the client ends (other local ports) do not count. */
    assert_int_equal(rep.connections, N);
    assert_int_equal(rep.closed_peer, 2);
    assert_int_equal(rep.closed_total, 0);
    assert_true(strncmp(rep.peer, "ipv4:127.0.0.1:", 15) == 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(was_shut(cl[i]), i >= 3);

    /* The next scan finds nothing more to do. */
    connguard_tick(g, &rep);
    assert_int_equal(rep.closed_peer, 0);
    connguard_destroy(g);
    close_all(lfd, cl, sv, N);
}

static void test_the_newest_connections_past_the_total_are_shut_down(void **state)
{
    (void)state;
    enum { N = 4 };
    int lfd, cl[N], sv[N];
    int port = connect_n(&lfd, cl, sv, N);
    connguard_limits lim = {.max_connections = 2};
    connguard *g = connguard_create(&lim);
    connguard_set_port(g, port);
    connguard_report rep;
    connguard_tick(g, &rep);
    assert_int_equal(rep.closed_total, 2);
    for (int i = 0; i < N; i++)
        assert_int_equal(was_shut(cl[i]), i >= 2);
    connguard_destroy(g);
    close_all(lfd, cl, sv, N);
}

static void test_a_close_by_peer_shuts_down_that_connection_only(void **state)
{
    (void)state;
    enum { N = 3 };
    int lfd, cl[N], sv[N];
    int port = connect_n(&lfd, cl, sv, N);
    connguard_limits lim = {.max_resets_per_second = 2};
    connguard *g = connguard_create(&lim);
    connguard_set_port(g, port);

    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(getpeername(sv[1], (struct sockaddr *)&ss, &len), 0);
    char peer[64];
    assert_int_equal(connguard_format_peer(&ss, len, peer, sizeof peer, NULL, 0), 0);

    int count;
    assert_int_equal(connguard_note_cancel(g, peer, &count), 0);
    assert_int_equal(connguard_note_cancel(g, peer, &count), 0);
    assert_int_equal(connguard_note_cancel(g, peer, &count), 1);
    assert_int_equal(was_shut(cl[1]), 1);
    assert_int_equal(was_shut(cl[0]), 0);
    assert_int_equal(was_shut(cl[2]), 0);
    assert_int_equal(connguard_close(g, "ipv4:127.0.0.1:1"), 0); /* no such connection */
    connguard_destroy(g);
    close_all(lfd, cl, sv, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peers_are_written_as_the_core_writes_them),
        cmocka_unit_test(test_a_connection_is_closed_once_at_the_first_cancellation_past_the_rate),
        cmocka_unit_test(test_cancellations_spread_over_seconds_never_close),
        cmocka_unit_test(test_the_newest_connections_past_the_per_peer_limit_are_shut_down),
        cmocka_unit_test(test_the_newest_connections_past_the_total_are_shut_down),
        cmocka_unit_test(test_a_close_by_peer_shuts_down_that_connection_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
