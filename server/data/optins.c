/*
 * optins.c — see optins.h.
 */
#include "optins.h"

#include <stdio.h>
#include <string.h>

#include "pb.h"

#define PREFIX "o/"

/* The length of a key part: 0 when it is empty, too long or holds the separator. */
static size_t part_len(const char *s)
{
    size_t n = s ? strnlen(s, OPTINS_CODE_MAX + 1) : 0;

    if (n == 0 || n > OPTINS_CODE_MAX || memchr(s, '/', n))
        return 0;
    return n;
}

size_t optins_key(const char *platform, const char *uscc, char *out, size_t cap)
{
    size_t a = part_len(platform), b = part_len(uscc);
    size_t pl = sizeof PREFIX - 1;

    if (!a || !b || pl + a + 1 + b > cap)
        return 0;
    memcpy(out, PREFIX, pl);
    memcpy(out + pl, platform, a);
    out[pl + a] = '/';
    memcpy(out + pl + a + 1, uscc, b);
    return pl + a + 1 + b;
}

int optins_get(store *st, const char *platform, const char *uscc, Credit__V1__OptIn **out,
               char *err)
{
    char key[OPTINS_KEY_MAX];
    size_t klen = optins_key(platform, uscc, key, sizeof key);

    if (!klen)
        return STORE_ENOTFOUND; /* no such key can have been written */
    return pb_store_get(st, NULL, STORE_CF_AUTHZ, key, klen, &credit__v1__opt_in__descriptor,
                        "a stored opt-in", (ProtobufCMessage **)out, err);
}

int optins_put(store_batch *b, const Credit__V1__OptIn *o)
{
    char key[OPTINS_KEY_MAX];
    size_t klen = optins_key(o->platform, o->enterprise_uscc, key, sizeof key);

    if (!klen)
        return STORE_EINVAL;
    return pb_batch_put(b, STORE_CF_AUTHZ, key, klen, &o->base);
}

void optins_free_list(Credit__V1__OptIn **v, size_t n)
{
    pb_free_list((ProtobufCMessage **)v, n);
}

int optins_list(store *st, const char *platform, Credit__V1__OptIn ***out, size_t *n, char *err)
{
    char prefix[OPTINS_KEY_MAX];
    int plen = snprintf(prefix, sizeof prefix, "%s%s%s", PREFIX, platform, platform[0] ? "/" : "");

    if (plen < 0 || (size_t)plen >= sizeof prefix) {
        *out = NULL;
        *n = 0;
        return 0; /* no opt-in can be stored under a platform code this long */
    }
    return pb_store_list(st, STORE_CF_AUTHZ, prefix, (size_t)plen, &credit__v1__opt_in__descriptor,
                         0, "opt-in", (ProtobufCMessage ***)out, n, err);
}
