/*
 * calendar.c — see calendar.h.
 */
#include "calendar.h"

#include <assert.h>

#define LOCAL_MIN (-62135596800LL) /* 0001-01-01T00:00:00, local */
#define LOCAL_MAX 253402300799LL   /* 9999-12-31T23:59:59, local */

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1..12) of year y. */
static int month_days(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return days[m - 1] + (m == 2 && is_leap(y));
}

int64_t calendar_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

/* The date `z` days after 1970-01-01; z must keep the year within int32. */
static void civil_from_days(int64_t z, Credit__V1__Date *out)
{
    Credit__V1__Date r = CREDIT__V1__DATE__INIT;

    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;

    r.year = (int32_t)(yoe + era * 400 + (m <= 2));
    r.month = (int32_t)m;
    r.day = (int32_t)(doy - (153 * mp + 2) / 5 + 1);
    *out = r;
}

int calendar_date_valid(const Credit__V1__Date *d)
{
    return d && d->year >= 1900 && d->year <= 9999 && d->month >= 1 && d->month <= 12 &&
           d->day >= 1 && d->day <= month_days(d->year, d->month);
}

int calendar_date_cmp(const Credit__V1__Date *a, const Credit__V1__Date *b)
{
    assert(a && b);
    if (a->year != b->year)
        return a->year < b->year ? -1 : 1;
    if (a->month != b->month)
        return a->month < b->month ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return 0;
}

void calendar_add_months(const Credit__V1__Date *d, int months, Credit__V1__Date *out)
{
    Credit__V1__Date r = CREDIT__V1__DATE__INIT;

    if (calendar_date_valid(d)) {
        /* Months since year 0; with a valid d and an int `months` the year fits in int32. */
        int64_t m = (int64_t)d->year * 12 + (d->month - 1) + months;
        int64_t y = m / 12 - (m % 12 < 0);
        int month = (int)(m - y * 12) + 1;
        int last = month_days(y, month);

        r.year = (int32_t)y;
        r.month = month;
        r.day = d->day < last ? d->day : last;
    }
    *out = r;
}

void calendar_add_days(const Credit__V1__Date *d, int days, Credit__V1__Date *out)
{
    civil_from_days(calendar_days_from_civil(d->year, d->month, d->day) + days, out);
}

void calendar_from_unix(int64_t t, Credit__V1__Date *out)
{
    int64_t local, days;

    /* Clamped first, so that adding the offset cannot overflow. */
    if (t > LOCAL_MAX - CALENDAR_CST_OFFSET)
        local = LOCAL_MAX;
    else if (t < LOCAL_MIN - CALENDAR_CST_OFFSET)
        local = LOCAL_MIN;
    else
        local = t + CALENDAR_CST_OFFSET;
    days = local / 86400 - (local % 86400 < 0);
    civil_from_days(days, out);
}

int calendar_month_of(int64_t t)
{
    Credit__V1__Date d;

    calendar_from_unix(t, &d);
    return d.year * 12 + (d.month - 1);
}

void calendar_month_name(int month, char out[8])
{
    int y = month / 12, m = month % 12 + 1;

    if (y < 0 || y > 9999) /* not a month of calendar_from_unix's range */
        y = y < 0 ? 0 : 9999;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '\0';
}

int64_t calendar_month_start(int month)
{
    return calendar_days_from_civil(month / 12, month % 12 + 1, 1) * 86400 - CALENDAR_CST_OFFSET;
}

uint32_t calendar_month_seconds(int month)
{
    return (uint32_t)(calendar_month_start(month + 1) - calendar_month_start(month));
}
