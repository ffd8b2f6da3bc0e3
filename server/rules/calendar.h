/*
 * calendar.h — dates and months as the node counts them: the proleptic Gregorian calendar in
 * China Standard Time.
 *
 * China Standard Time is a fixed UTC+8 (China has kept no daylight saving since 1991), so
 * nothing here reads the C library's time zone. Day arithmetic goes through days since
 * 1970-01-01 (Howard Hinnant's civil algorithms). Every part of the node that asks which day
 * or month a time falls in — "not in the future" for a record's dates, the end of a penalty's
 * publicity, an industrial series' monthly totals — asks here, so they agree.
 *
 * Months are numbered year * 12 + (month - 1).
 *
 * Pure functions of their arguments; safe from any thread.
 */
#ifndef CREDIT_CALENDAR_H
#define CREDIT_CALENDAR_H

#include <stdint.h>

#include "credit/v1/record.pb-c.h"

#define CALENDAR_CST_OFFSET (8 * 3600) /* seconds east of UTC */

/* 1 if d is a real day of years 1900..9999 (Feb 29 only in leap years), else 0 (also for
 * NULL). */
int calendar_date_valid(const Credit__V1__Date *d);

/* Compares two dates field by field: <0, 0 or >0 as a is before, on or after b. Neither may be
 * NULL; they need not be valid. */
int calendar_date_cmp(const Credit__V1__Date *a, const Credit__V1__Date *b);

/* *out = d plus `months` calendar months (negative goes back), the day clamped to the end of
 * the month reached: Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year. d must be a valid
 * date; for an invalid one *out is all zero (itself invalid). out may be d. */
void calendar_add_months(const Credit__V1__Date *d, int months, Credit__V1__Date *out);

/* *out = d plus `days` days (negative goes back). d's fields must make a date within int32
 * years; it need not be a real day (Feb 30 counts on as Mar 1 or 2). out may be d. */
void calendar_add_days(const Credit__V1__Date *d, int days, Credit__V1__Date *out);

/* *out = the calendar date in China Standard Time at unix time t. Times outside
 * 0001-01-01 .. 9999-12-31 (local) give those dates. */
void calendar_from_unix(int64_t t, Credit__V1__Date *out);

/* Days from 1970-01-01 to y-m-d (m 1..12, d 1..31; need not be a real day). */
int64_t calendar_days_from_civil(int64_t y, int m, int d);

/* The CST month of unix time t (year * 12 + month - 1). */
int calendar_month_of(int64_t t);

/* "YYYY-MM" of a month, in out[8] (years clamped to 0000..9999). */
void calendar_month_name(int month, char out[8]);

/* Unix time of the month's first day at 00:00 CST; its length in seconds. */
int64_t calendar_month_start(int month);
uint32_t calendar_month_seconds(int month);

#endif /* CREDIT_CALENDAR_H */
