/*
 * publicity.h — how long a penalty is shown to the public: the publicity windows and the end
 * of publicity.
 *
 * A penalty's severity gives a window, in months after its decision date, within which its
 * end of publicity must fall: the catalogue section's windows when the section sets them, else
 * the national rule below (DOMAIN.md, "Publicity and credit repair"). A penalty that gives no
 * end gets the window's longest; the open tier stops showing it the day after its end.
 *
 * Both sides ask here: the record checker, which refuses an end outside the window when a
 * record is pushed, and the tier filter, which withholds a penalty past its end when a record
 * is read. Dates are calendar.h's.
 *
 * Pure functions of their arguments; safe from any thread.
 */
#ifndef CREDIT_PUBLICITY_H
#define CREDIT_PUBLICITY_H

#include "catalog.h"
#include "credit/v1/record.pb-c.h"

#define PUBLICITY_LONGEST_MONTHS 36 /* the longest window any severity has */

/* The national window of a severity, in months from the decision date: *min_m and *max_m
 * (SEVERITY_MINOR 0..3, SEVERITY_GENERAL 3..12, SEVERITY_SERIOUS 12..36: DOMAIN.md's current
 * national rule). Returns 0, or -1 (outputs untouched) for SEVERITY_UNSPECIFIED or an unknown
 * value. */
int publicity_months(int severity, int *min_m, int *max_m);

/* The window of a severity in catalogue section `sec` (NULL: the national rule): the
 * section's own when it sets one for the severity, else publicity_months. Returns 0 or -1. */
int publicity_window(const catalog_section *sec, int severity, int *min_m, int *max_m);

/* *out = the end of publicity a penalty gets when it does not give one: its decision date plus
 * its severity's longest window in `sec` (NULL: the national rule). A severity without a window
 * (never so after record_check_input) is given PUBLICITY_LONGEST_MONTHS, beyond which no rule
 * lets a penalty be shown. Without a valid decision date *out is all zero, an invalid date. out
 * may be p->decision_date. */
void publicity_default_end(const Credit__V1__Penalty *p, const catalog_section *sec,
                           Credit__V1__Date *out);

/* 1 if the penalty's public display has ended on `today`: today is after its end of publicity
 * (publicity_end_date if it is a valid date, else publicity_default_end under the national
 * rule). The end day itself is still shown. A penalty whose end cannot be told (NULL, or no
 * valid decision date either) counts as ended, so that a broken record is withheld rather than
 * shown past its time. Else 0. */
int publicity_ended(const Credit__V1__Penalty *p, const Credit__V1__Date *today);

/* Whether a record's public display has ended on `today`: a penalty's as publicity_ended;
 * every other category's never. */
int publicity_record_ended(const Credit__V1__Record *rec, const Credit__V1__Date *today);

/* The same rule as a date, for a reader that decides later (records.h prepares it when a
 * version is written): 0 when the record's public display never ends; 1 with *last the last
 * day it is shown (publicity_record_ended is true from the day after); -1 when the end cannot
 * be told, which counts as ended. */
int publicity_record_last_day(const Credit__V1__Record *rec, Credit__V1__Date *last);

#endif /* CREDIT_PUBLICITY_H */
