/*
 * clerk.h — the value formats that clerks' spreadsheets carry, read where they are unambiguous.
 *
 * A department's export is typed by people and by Excel: dates as 2024/1/5 or 2024年1月5日,
 * times without a zone, amounts in 元 with thousands separators. creditctl reads these forms
 * and nothing that could mean two things: 01/05/2024 (January or May?) is refused, and an
 * amount needs its unit said once for the file (--amount-unit), never guessed.
 *
 * Every function returns 0 with the value, or -1 with a reason in why[cap] that says what was
 * wrong and which forms are accepted. A reason never quotes the text (it may be any bytes).
 */
#ifndef CREDITCTL_CLERK_H
#define CREDITCTL_CLERK_H

#include <stddef.h>
#include <stdint.h>

/* China Standard Time, the zone of a time written without one. */
#define CLERK_DEFAULT_OFFSET_S (8 * 3600)

/* A calendar date in one of: 2024-01-05, 2024-1-5, 2024/1/5, 2024/01/05, 2024.1.5,
 * 2024年1月5日, 20240105; spaces around it are ignored. A date that does not exist
 * (2024-02-30) is refused as impossible, naming the month's length. Years 1000 to 9999. */
int clerk_date(const char *text, int *y, int *m, int *d, char *why, size_t cap);

/* A point in time: a date as clerk_date, optionally followed by a time of day after a space
 * or 'T' (H:MM, H:MM:SS, H:MM:SS.fraction up to nanoseconds, or 时/分/秒 as in 8时30分), and
 * optionally a zone (Z, +08:00, +0800, +08). Without a zone it is China time; a date alone is
 * its midnight in China. Returns seconds since the Unix epoch and nanoseconds. */
int clerk_timestamp(const char *text, int64_t *seconds, int32_t *nanos, char *why, size_t cap);

typedef enum clerk_unit {
    CLERK_UNIT_UNSET = 0, /* no unit given: an amount is refused */
    CLERK_UNIT_YUAN,      /* 1,234.56 yuan = 123456 fen */
    CLERK_UNIT_FEN,       /* whole fen, 123456 */
} clerk_unit;

/* Parses "yuan" or "fen" (also 元, 分). Returns -1 for anything else. */
int clerk_unit_parse(const char *text, clerk_unit *out);

/* An amount of money in the unit given, as fen. Thousands separators (commas, in groups of
 * three) are accepted, and so are a leading ¥ or ￥ and a trailing 元 (yuan) or 分 (fen) that
 * agree with the unit. Yuan take at most two decimals; fen none. Negative amounts and amounts
 * past 10^15 fen are refused. */
int clerk_amount(const char *text, clerk_unit unit, int64_t *fen, char *why, size_t cap);

/* Days in month m of year y (Gregorian). */
int clerk_days_in_month(int y, int m);

#endif
