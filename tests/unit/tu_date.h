/*
 * tu_date.h — dates for the tests of the modules that reason in days (calendar, publicity,
 * record checks, tiers): tu_date builds one, CHECK_DATE compares one and prints both.
 */
#ifndef CREDIT_TU_DATE_H
#define CREDIT_TU_DATE_H

#include "credit/v1/record.pb-c.h"
#include "testutil.h"

static inline Credit__V1__Date tu_date(int y, int m, int d)
{
    Credit__V1__Date r = CREDIT__V1__DATE__INIT;

    r.year = y;
    r.month = m;
    r.day = d;
    return r;
}

/* Fails unless *d is y-m-dd. */
#define CHECK_DATE(d, y, m, dd)                                                                    \
    do {                                                                                           \
        const Credit__V1__Date *d_ = (d);                                                          \
        if (d_->year != (y) || d_->month != (m) || d_->day != (dd)) {                              \
            print_error("%s:%d: got %04d-%02d-%02d, wanted %04d-%02d-%02d\n", __FILE__, __LINE__,  \
                        (int)d_->year, (int)d_->month, (int)d_->day, (y), (m), (dd));              \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#endif /* CREDIT_TU_DATE_H */
