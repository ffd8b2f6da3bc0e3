/*
 * randpool.h — random bytes drawn from OpenSSL in bulk.
 *
 * Every pushed record takes random bytes twice (its id's random half, records_new_id, and the
 * AES-GCM nonce that seals its personal identity numbers, privacy_seal); one RAND_bytes call
 * each cost 8.6% of the node's CPU (issue 14's profile), most of it the call's fixed cost.
 * randpool hands out bytes from a per-thread buffer that RAND_bytes refills RANDPOOL_BYTES
 * at a time. The bytes are the same generator's output, each handed out once, so a nonce
 * drawn here is as unlikely to repeat as one drawn from RAND_bytes directly.
 *
 * Threads: each thread has its own buffer; nothing is shared. The node never forks, so no
 * buffer is ever copied into a child.
 */
#ifndef CREDIT_RANDPOOL_H
#define CREDIT_RANDPOOL_H

#include <stddef.h>

#define RANDPOOL_BYTES 4096

/* Fills out[0..n) with random bytes. Returns 0, or -1 if the generator failed (out is then
 * unspecified). */
int randpool_bytes(void *out, size_t n);

#endif /* CREDIT_RANDPOOL_H */
