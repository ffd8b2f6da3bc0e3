/*
 * randpool.c — see randpool.h.
 *
 * Bytes handed out are wiped from the buffer, so a later request, or a core dump, does not
 * find them there.
 */
#include "randpool.h"

#include <openssl/rand.h>

#include <string.h>

static __thread unsigned char pool[RANDPOOL_BYTES];
static __thread size_t left; /* unused bytes at the end of pool */

int randpool_bytes(void *out, size_t n)
{
    unsigned char *o = out;
    if (n > RANDPOOL_BYTES / 4)
        return RAND_bytes(o, (int)n) == 1 ? 0 : -1;
    if (left < n) {
        if (RAND_bytes(pool, RANDPOOL_BYTES) != 1) {
            left = 0;
            return -1;
        }
        left = RANDPOOL_BYTES;
    }
    unsigned char *from = pool + RANDPOOL_BYTES - left;
    memcpy(o, from, n);
    memset(from, 0, n);
    left -= n;
    return 0;
}
