/*
 * health.h — grpc.health.v1.Health.
 *
 * Check("") is the whole node; Check of a registered service name answers for it; anything
 * else is NOT_FOUND. Watch streams the status at once and again on every change; an unknown
 * name streams SERVICE_UNKNOWN, as the health protocol says. The node is NOT_SERVING until
 * it accepts calls and again from the moment it starts to stop.
 *
 * Threads: every function may be called from any thread.
 */
#ifndef CREDIT_HEALTH_H
#define CREDIT_HEALTH_H

#include "rpc.h"

extern const rpc_service health_service;

/* Adds a service name that Check and Watch know ("credit.v1.UnitRegistry"). Call before the
 * server starts. Returns 0 or -1 when the table is full. */
int health_add_service(const char *name);

/* Sets every known service to SERVING (1) or NOT_SERVING (0) and tells the watchers. */
void health_set_serving(int serving);

/* Ends every Watch stream (status UNAVAILABLE), so that stopping the server does not wait
 * out its grace period for them. */
void health_end_watches(void);

/* Forgets the names and the status (for tests that start several servers in one process). */
void health_reset(void);

#endif /* CREDIT_HEALTH_H */
