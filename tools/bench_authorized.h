/*
 * bench_authorized.h — credit-bench's authorized phase: AuthorizedQuery against OpenQuery on
 * the same records (issue 15's authorized_ratio).
 */
#ifndef CREDIT_BENCH_AUTHORIZED_H
#define CREDIT_BENCH_AUTHORIZED_H

/* On the node at `target`, with the dev certificates under `tls_dir` (bank-a reads, the portal
 * approves): a grant for subject `uscc` (a legal person with records) covering every public
 * category, then `rounds` times alternately `seconds` of OpenQuery ListRecords and of
 * AuthorizedQuery ListRecords of that subject, 50 a page, from `callers` threads on one
 * client. Prints each round. Returns the median authorized calls/s ÷ the median open calls/s,
 * or -1 after saying why on stderr. */
double bench_authorized_ratio(const char *target, const char *tls_dir, const char *uscc,
                              int callers, int seconds, int rounds);

#endif /* CREDIT_BENCH_AUTHORIZED_H */
