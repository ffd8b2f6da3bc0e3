/*
 * text.c — see text.h. record_check.c's text rules are these, so a record's text and any other
 * request's text are held to one piece of code.
 */
#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

static int is_control(uint32_t c)
{
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

static int is_blank(uint32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == 0xa0 || c == 0x3000;
}

int text_blank(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), i = 0;

    while (i < n) {
        uint32_t c;
        size_t len = utf8_decode(p + i, n - i, &c);

        if (len == 0 || !is_blank(c))
            return 0;
        i += len;
    }
    return 1;
}

int text_check(const char *s, size_t max, unsigned flags, char *why)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), i = 0;
    int blank = 1;

    if (n > max) {
        snprintf(why, TEXT_WHY_LEN, "is %zu bytes long; at most %zu are allowed", n, max);
        return TEXT_ELONG;
    }
    while (i < n) {
        /* Printable ASCII, most of what a record holds, needs no decoding: neither a control
         * nor a blank character (a space is blank and goes the general way). */
        if (p[i] > 0x20 && p[i] < 0x7f) {
            blank = 0;
            i++;
            continue;
        }
        uint32_t c;
        size_t len = utf8_decode(p + i, n - i, &c);

        if (len == 0) {
            snprintf(why, TEXT_WHY_LEN, "is not valid UTF-8 (at byte %zu)", i + 1);
            return TEXT_EBYTES;
        }
        if (is_control(c) && !((flags & TEXT_MULTILINE) && (c == '\n' || c == '\t'))) {
            snprintf(why, TEXT_WHY_LEN, "contains a control character (U+%04X) at byte %zu%s",
                     (unsigned)c, i + 1,
                     (flags & TEXT_MULTILINE) ? "; free text may hold only line feeds and tabs"
                                              : "");
            return TEXT_EBYTES;
        }
        if (!is_blank(c))
            blank = 0;
        i += len;
    }
    if ((flags & TEXT_REQUIRED) && blank) {
        snprintf(why, TEXT_WHY_LEN, "%s", n ? "is required, and holds only blanks" : "is required");
        return TEXT_EMISSING;
    }
    return 0;
}
