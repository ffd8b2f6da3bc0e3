/*
 * bench_authorized.h — credit-bench's authorized phase: AuthorizedQuery against OpenQuery on
 * the same records (issue 15's authorized_ratio).
 */
#ifndef CREDIT_BENCH_AUTHORIZED_H
#define CREDIT_BENCH_AUTHORIZED_H

#include <credit/client.h>

/* Through clients of bank-a (`bank`, which reads) and the portal (`portal`, which approves):
 * a grant for subject `uscc` (a legal person with records) covering the public catalogue,
 * then `rounds` times alternately `seconds` of OpenQuery ListRecords and of AuthorizedQuery
 * ListRecords of that subject, 50 a page, from `callers` threads on `bank`. Prints each
 * round. Returns the median authorized calls/s ÷ the median open calls/s, or -1 after saying
 * why on stderr. */
double bench_authorized_ratio(credit_client *bank, credit_client *portal, const char *uscc,
                              int callers, int seconds, int rounds);

/* bank asks for a grant of `scope` over subject `uscc` (a legal person; record dates 2000 to
 * 2099, valid 30 days, a million uses), and portal approves it; its id into id[33]. Returns 0,
 * or -1 (said on stderr). */
int bench_grant(credit_client *bank, credit_client *portal, const char *uscc,
                const Credit__V1__GrantScope *scope, char id[33]);

#endif /* CREDIT_BENCH_AUTHORIZED_H */
