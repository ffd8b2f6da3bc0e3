/*
 * publicity.c — see publicity.h.
 *
 * The national rule is a table, the value to move into configuration should it change before
 * the catalogue governs every section's windows.
 */
#include "publicity.h"

#include <stddef.h>

#include "calendar.h"

static const struct {
    int severity;
    int min_months, max_months;
} national[] = {
    {CREDIT__V1__SEVERITY__SEVERITY_MINOR, 0, 3},
    {CREDIT__V1__SEVERITY__SEVERITY_GENERAL, 3, 12},
    {CREDIT__V1__SEVERITY__SEVERITY_SERIOUS, 12, PUBLICITY_LONGEST_MONTHS},
};

int publicity_months(int severity, int *min_m, int *max_m)
{
    for (size_t i = 0; i < sizeof national / sizeof national[0]; i++) {
        if (national[i].severity == severity) {
            *min_m = national[i].min_months;
            *max_m = national[i].max_months;
            return 0;
        }
    }
    return -1;
}

int publicity_window(const catalog_section *sec, int severity, int *min_m, int *max_m)
{
    for (size_t i = 0; sec && i < sec->s->n_publicity; i++) {
        if ((int)sec->s->publicity[i]->severity == severity) {
            *min_m = (int)sec->s->publicity[i]->min_months;
            *max_m = (int)sec->s->publicity[i]->max_months;
            return 0;
        }
    }
    return publicity_months(severity, min_m, max_m);
}

void publicity_default_end(const Credit__V1__Penalty *p, const catalog_section *sec,
                           Credit__V1__Date *out)
{
    Credit__V1__Date none = CREDIT__V1__DATE__INIT;
    int min_m, max_m;

    if (!p || !calendar_date_valid(p->decision_date)) {
        *out = none;
        return;
    }
    if (publicity_window(sec, p->severity, &min_m, &max_m) != 0)
        max_m = PUBLICITY_LONGEST_MONTHS;
    calendar_add_months(p->decision_date, max_m, out);
}

/* The last day penalty p is shown, into *end: 1, or 0 when it cannot be told. */
static int penalty_last_day(const Credit__V1__Penalty *p, Credit__V1__Date *end)
{
    if (!p)
        return 0;
    if (calendar_date_valid(p->publicity_end_date))
        *end = *p->publicity_end_date;
    else
        publicity_default_end(p, NULL, end);
    return calendar_date_valid(end);
}

int publicity_ended(const Credit__V1__Penalty *p, const Credit__V1__Date *today)
{
    Credit__V1__Date end;

    if (!penalty_last_day(p, &end))
        return 1;
    return calendar_date_cmp(today, &end) > 0;
}

int publicity_record_ended(const Credit__V1__Record *rec, const Credit__V1__Date *today)
{
    return rec->body_case == CREDIT__V1__RECORD__BODY_PENALTY &&
           publicity_ended(rec->penalty, today);
}

int publicity_record_last_day(const Credit__V1__Record *rec, Credit__V1__Date *last)
{
    if (rec->body_case != CREDIT__V1__RECORD__BODY_PENALTY)
        return 0;
    return penalty_last_day(rec->penalty, last) ? 1 : -1;
}
