/* svc_sync.h — credit.v1.Sync, the change feed and snapshots (see svc_sync.c). */
#ifndef CREDIT_SVC_SYNC_H
#define CREDIT_SVC_SYNC_H

#include <stdint.h>

#include "node.h"
#include "rpc.h"

extern const rpc_service sync_service;

/* Starts the feed's worker (wake-ups, heartbeats, retention of `retention_s` seconds) for
 * node `n`, whose feed must be open. Returns 0, or -1 with err[256]. */
int svc_sync_start(node *n, int64_t retention_s, char *err);

/* Ends every subscription with UNAVAILABLE (the node is stopping), so that the RPC server's
 * shutdown does not wait its grace period on streams that never end by themselves. */
void svc_sync_end(void);

/* Stops the worker; after the RPC server has shut down. No-op if it never started. */
void svc_sync_stop(void);

#endif /* CREDIT_SVC_SYNC_H */
