/*
 * fuzz_pagetoken.c — the page tokens a client sends back (pagetoken.c: base64url, the
 * version, expiry and position, the HMAC over method, caller and request).
 *
 * Input, byte 0 picks the mode:
 *   even: the rest is a token as a client might send it, read against a fixed query;
 *   odd:  a genuine token is made for that query and a position from the input (byte 1 its
 *         length, then its bytes), then edited: byte `e` after the position is a number of
 *         edits, and each following pair (index, xor) flips bits of one token character.
 * What must hold: no sanitizer report; a genuine, unedited token reads back to its own
 * position; and no token the harness did not make is accepted with another position, so an
 * edited token either fails or still names the position it was made for (base64url may
 * decode two spellings to the same bytes; that is no forgery).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "pagetoken.h"

#include "credit/v1/record.pb-c.h"

#define NOW 1796083200 /* 2026-12-01T00:00:00Z */
#define METHOD "/credit.v1.OpenQuery/ListRecords"
#define CALLER "tax"

static const pagetoken_key key = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                   31, 32}};

/* The query every token here is for: one subject, the public catalogue's penalties. */
static Credit__V1__ListRecordsRequest *query(void)
{
    static Credit__V1__SubjectRef subject = CREDIT__V1__SUBJECT_REF__INIT;
    static Credit__V1__Category cats[] = {CREDIT__V1__CATEGORY__CATEGORY_PENALTY};
    static Credit__V1__ListRecordsRequest req = CREDIT__V1__LIST_RECORDS_REQUEST__INIT;
    subject.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    subject.identifier = "91500227MA5UACME5L";
    req.subject = &subject;
    req.n_categories = 1;
    req.categories = cats;
    req.page_size = 50;
    return &req;
}

static int read_token(const char *token, char *pos, size_t *pos_len)
{
    char why[PAGETOKEN_WHY_LEN];
    int rc = pagetoken_read(&key, METHOD, CALLER, &query()->base, token, NOW + 1, pos, pos_len,
                            why);
    if (rc != 0 && (memchr(why, '\0', sizeof why) == NULL || why[0] == '\0')) {
        fprintf(stderr, "a token refused without a reason\n");
        abort();
    }
    return rc;
}

static void raw(const uint8_t *data, size_t size)
{
    char *token = malloc(size + 1);
    if (!token)
        return;
    memcpy(token, data, size);
    token[size] = '\0';
    char pos[PAGETOKEN_POS_MAX + 1];
    size_t pos_len = 0;
    read_token(token, pos, &pos_len);
    free(token);
}

static void edited(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    size_t want = fuzz_pick(data[0], PAGETOKEN_POS_MAX + 1);
    data++, size--;
    if (want > size)
        want = size;
    const uint8_t *p = data;
    data += want, size -= want;

    char token[PAGETOKEN_MAX];
    if (pagetoken_make(&key, METHOD, CALLER, &query()->base, p, want, NOW, token) != 0) {
        fprintf(stderr, "no token for a position of %zu bytes\n", want);
        abort();
    }
    size_t tlen = strnlen(token, sizeof token);
    size_t edits = size ? data[0] : 0;
    int changed = 0;
    for (size_t i = 0; i < edits && 1 + 2 * i + 1 < size && tlen; i++) {
        size_t at = data[1 + 2 * i] % tlen;
        uint8_t x = data[2 + 2 * i];
        changed |= x != 0;
        token[at] = (char)((uint8_t)token[at] ^ x);
    }
    char pos[PAGETOKEN_POS_MAX + 1];
    size_t pos_len = 0;
    int rc = read_token(token, pos, &pos_len);
    if (!changed && rc != 0) {
        fprintf(stderr, "a genuine token was refused\n");
        abort();
    }
    if (rc == 0 && (pos_len != want || memcmp(pos, p, want) != 0 || pos[pos_len] != '\0')) {
        fprintf(stderr, "a token was accepted with a position it was not made for\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        edited(data + 1, size - 1);
    else
        raw(data + 1, size - 1);
    return 0;
}
