/*
 * it_node.c — see it_node.h.
 */
#include "it_node.h"

#include "../unit/testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARGS_MAX 32

void it_node_start(it_node *n, const char *data, const char *tls, const char *const *extra,
                   const char *const *env)
{
    const char *argv[ARGS_MAX];
    int argc = 0;
    snprintf(n->data, sizeof n->data, "%s", data);
    snprintf(n->log, sizeof n->log, "%s.log", n->data);
    argv[argc++] = getenv("CREDITD");
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:0";
    argv[argc++] = "--data";
    argv[argc++] = n->data;
    argv[argc++] = "--tls";
    argv[argc++] = tls;
    argv[argc++] = "--log-level";
    argv[argc++] = "warn";
    for (size_t i = 0; extra && extra[i]; i++) {
        if (argc == ARGS_MAX - 1)
            fail_msg("it_node_start: more than %d arguments", ARGS_MAX - 1);
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    if (!argv[0])
        fail_msg("CREDITD must be set (ctest sets it)");

    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        int log = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log >= 0)
            dup2(log, STDERR_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[256] = "";
    char *got = f ? fgets(line, sizeof line, f) : NULL;
    if (f)
        fclose(f);
    else
        close(out[0]);
    n->pid = pid;
    if (!got || sscanf(line, "listening on 127.0.0.1:%d", &n->port) != 1) {
        int status;
        waitpid(pid, &status, 0);
        fail_msg("creditd did not start (line \"%s\", exit %d)", line, WEXITSTATUS(status));
    }
    snprintf(n->target, sizeof n->target, "127.0.0.1:%d", n->port);
}

int it_node_stop(it_node *n)
{
    kill(n->pid, SIGTERM);
    int status = 0;
    waitpid(n->pid, &status, 0);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code == 0)
        return 0;
    char *log = tu_read_file(n->log, NULL);
    if (log && tu_only_openssl_thread_state_leak(log)) {
        fprintf(stderr, "tolerated: %s: OpenSSL per-thread error state at exit\n", n->log);
        code = 0;
    } else {
        fprintf(stderr, "creditd exited %d; its log:\n%s\n", code, log ? log : "(none)");
    }
    free(log);
    return code;
}

void it_node_kill9(it_node *n)
{
    kill(n->pid, SIGKILL);
    int status;
    waitpid(n->pid, &status, 0);
}

credit_client *it_client(const it_node *n, const char *tls, const char *who)
{
    char ca[700], cert[700], key[700];
    snprintf(ca, sizeof ca, "%s/ca.crt", tls);
    snprintf(cert, sizeof cert, "%s/%s.crt", tls, who);
    snprintf(key, sizeof key, "%s/%s.key", tls, who);
    credit_client_options o;
    credit_client_options_init(&o);
    o.target = n->target;
    o.ca_file = ca;
    o.cert_file = cert;
    o.key_file = key;
    o.timeout_ms = 10000;
    credit_client *c = NULL;
    credit_status st;
    if (credit_client_create(&o, &c, &st) != 0)
        fail_msg("client %s: %s", who, st.message);
    return c;
}
