/*
 * pagetoken.h — page tokens that are bound to their query and cannot be forged.
 *
 * A listing answers a page and a token for the next one. The token carries the position to
 * resume after (a record id, a unit code, a series key) and is only good for the query that
 * produced it: it is authenticated with an HMAC under a key only the node has, over
 *
 *     the method (so the tier: OpenQuery and GovernmentSharing are different methods),
 *     the caller's unit code,
 *     the request with its paging fields left out (subject, filters, range): every field
 *     named page_token or page_size, or ending so (history_page_token),
 *     the expiry and the position.
 *
 * Reused with another subject, other filters, another tier or by another unit, altered, or
 * made up, a token fails the check and the listing answers INVALID_ARGUMENT; so does a
 * token past its expiry (PAGETOKEN_TTL_SECONDS after it was given). page_size may change
 * from page to page.
 *
 * Format: base64url (no padding) of  version 1 | be64 expiry (Unix seconds) | position length
 * (1 byte) | position | the first 16 bytes of HMAC-SHA256 over the fields above.
 *
 * Pure functions of their arguments; safe from any thread.
 */
#ifndef CREDIT_PAGETOKEN_H
#define CREDIT_PAGETOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#define PAGETOKEN_POS_MAX 96       /* bytes of a position */
#define PAGETOKEN_MAX 180          /* characters of a token, with its NUL */
#define PAGETOKEN_TTL_SECONDS 3600 /* how long a token is good for */
#define PAGETOKEN_WHY_LEN 160

typedef struct pagetoken_key {
    unsigned char k[32];
} pagetoken_key;

/* The token for continuing `req` (a listing request of `method`, called by unit `caller`)
 * after position pos[pos_len], good until now + PAGETOKEN_TTL_SECONDS, into
 * out[PAGETOKEN_MAX]. Returns 0, or -1 (a position too long, out of memory). */
int pagetoken_make(const pagetoken_key *key, const char *method, const char *caller,
                   const ProtobufCMessage *req, const void *pos, size_t pos_len, int64_t now,
                   char *out);

/* Checks `token` against the same inputs and writes its position into
 * pos[PAGETOKEN_POS_MAX + 1] (NUL-terminated; *pos_len its length). Returns 0, or -1 with
 * the reason in why[PAGETOKEN_WHY_LEN] (not a token of this node, made for another query,
 * expired); out-parameters untouched then. */
int pagetoken_read(const pagetoken_key *key, const char *method, const char *caller,
                   const ProtobufCMessage *req, const char *token, int64_t now, char *pos,
                   size_t *pos_len, char *why);

#endif /* CREDIT_PAGETOKEN_H */
