/*
 * health.c — see health.h.
 *
 * One status for the whole node (every service it serves shares it). Watchers are kept in a
 * list under `mu`, each holding a reference on its call; on_done removes a watcher and drops
 * the reference, so a cancelled Watch frees at once.
 */
#include "health.h"

#include "grpc/health/v1/health.pb-c.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERVICES 64

typedef struct watcher {
    rpc_call *call;
    int status; /* last status sent */
    int known;  /* the watched name is known */
    struct watcher *next;
} watcher;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static char *names[MAX_SERVICES];
static size_t n_names;
static int serving;
static watcher *watchers;

int health_add_service(const char *name)
{
    pthread_mutex_lock(&mu);
    int rc = -1;
    if (n_names < MAX_SERVICES && (names[n_names] = strdup(name)) != NULL) {
        n_names++;
        rc = 0;
    }
    pthread_mutex_unlock(&mu);
    return rc;
}

void health_reset(void)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    n_names = 0;
    serving = 0;
    pthread_mutex_unlock(&mu);
}

/* Call with mu held. */
static int known(const char *service)
{
    if (service[0] == '\0')
        return 1;
    for (size_t i = 0; i < n_names; i++)
        if (strcmp(names[i], service) == 0)
            return 1;
    return 0;
}

static int status_of(int is_known)
{
    if (!is_known)
        return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
    return serving ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                   : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
}

static void send_status(rpc_call *call, int status)
{
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    resp.status = status;
    rpc_send(call, &resp.base);
}

static void check(rpc_call *call, const ProtobufCMessage *msg)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const void *)msg;
    pthread_mutex_lock(&mu);
    int is_known = known(req->service);
    int status = status_of(1);
    pthread_mutex_unlock(&mu);
    if (!is_known) {
        rpc_finish(call, RPC_NOT_FOUND, "unknown service \"%.200s\"", req->service);
        return;
    }
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    resp.status = status;
    rpc_reply(call, &resp.base);
}

static void watch(rpc_call *call, const ProtobufCMessage *msg)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const void *)msg;
    watcher *w = calloc(1, sizeof *w);
    if (!w) {
        rpc_finish(call, RPC_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    rpc_call_ref(call);
    w->call = call;
    rpc_call_set_data(call, w);
    pthread_mutex_lock(&mu);
    w->known = known(req->service);
    w->status = status_of(w->known);
    w->next = watchers;
    watchers = w;
    /* Sent under mu so that a change cannot overtake the first message. */
    send_status(call, w->status);
    pthread_mutex_unlock(&mu);
}

static void watch_done(rpc_call *call, int cancelled)
{
    (void)cancelled;
    watcher *w = rpc_call_data(call);
    if (!w)
        return;
    pthread_mutex_lock(&mu);
    for (watcher **pp = &watchers; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    rpc_call_set_data(call, NULL);
    free(w);
    rpc_call_unref(call);
}

void health_set_serving(int on)
{
    pthread_mutex_lock(&mu);
    serving = on;
    for (watcher *w = watchers; w; w = w->next) {
        int s = status_of(w->known);
        if (s != w->status) {
            w->status = s;
            send_status(w->call, s);
        }
    }
    pthread_mutex_unlock(&mu);
}

void health_end_watches(void)
{
    pthread_mutex_lock(&mu);
    for (watcher *w = watchers; w; w = w->next)
        rpc_finish(w->call, RPC_UNAVAILABLE, "the node is stopping");
    pthread_mutex_unlock(&mu);
}

static const rpc_handler handlers[] = {
    {.method = "Check", .on_message = check},
    {.method = "Watch", .on_message = watch, .on_done = watch_done},
};

const rpc_service health_service = {
    .descriptor = &grpc__health__v1__health__descriptor,
    .handlers = handlers,
    .n_handlers = sizeof handlers / sizeof handlers[0],
    .auth = RPC_AUTH_VERIFIED,
    .audited = 0,
};
