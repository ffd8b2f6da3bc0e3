/*
 * text.h — the one rule for text the node accepts in a request field: a record's content, a
 * unit's name, a reason, a justification.
 *
 * A text value is checked in this order, and the first failure is the answer:
 *  1. its length in bytes, at most `max` (before anything else is read from it);
 *  2. its bytes: UTF-8 without control characters (C0, DEL, C1; NUL never gets this far, see
 *     pbcheck.h), except line feeds and tabs in TEXT_MULTILINE free text;
 *  3. with TEXT_REQUIRED, it holds something other than blanks (spaces, tabs, line feeds,
 *     U+00A0, U+3000).
 * The reason never quotes the value, only a code point and a byte position, so it is safe to
 * return to any caller and to log.
 *
 * Pure functions: no allocation, no globals; safe from any thread.
 */
#ifndef CREDIT_TEXT_H
#define CREDIT_TEXT_H

#include <stddef.h>

#define TEXT_REQUIRED  1u /* must hold something other than blanks */
#define TEXT_MULTILINE 2u /* free text: line feeds and tabs allowed */

#define TEXT_WHY_LEN 128 /* the reason's buffer */

/* Common limits, in bytes: names, codes and numbers; a reason for a change of state; free
 * text (content, facts, justifications). */
#define TEXT_SHORT_MAX  200
#define TEXT_REASON_MAX 500
#define TEXT_LONG_MAX   4000

/* What failed, as text_check returns it: the kind of fault is data, so that a caller names
 * it (a reason code) without reading the words. */
#define TEXT_ELONG    (-1) /* rule 1: too long */
#define TEXT_EBYTES   (-2) /* rule 2: not UTF-8, or a control character */
#define TEXT_EMISSING (-3) /* rule 3: empty or only blanks where required */

/* Checks s (NULL reads as empty) as the rules above say. Returns 0, or TEXT_ELONG,
 * TEXT_EBYTES or TEXT_EMISSING with the reason in why[TEXT_WHY_LEN], worded to follow the
 * field's name and ": " —
 *   "is 4100 bytes long; at most 4000 are allowed"
 *   "is not valid UTF-8 (at byte 7)"
 *   "contains a control character (U+001B) at byte 5" (a line feed in one-line text too)
 *   "contains a control character (U+001B) at byte 5; free text may hold only line feeds
 *    and tabs" (TEXT_MULTILINE)
 *   "is required" / "is required, and holds only blanks"
 * Byte positions count from 1. */
int text_check(const char *s, size_t max, unsigned flags, char *why);

/* Whether s (NULL reads as empty) is empty or only blanks (the blanks of rule 3). Text that
 * is not UTF-8 is not blank. */
int text_blank(const char *s);

#endif /* CREDIT_TEXT_H */
