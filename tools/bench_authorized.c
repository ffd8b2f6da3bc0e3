/*
 * bench_authorized.c — see bench_authorized.h.
 *
 * Both sides read the same subject's first page with the same client (bank-a), so the ratio
 * is the price of the grant: reading and checking it, reserving a use, writing the use with
 * its audit entry (group commit, fsynced before the answer) and shaping the covered records
 * to the authorized tier. The grant's use limit is the largest a grant may have, far above
 * what a run makes.
 */
#include "bench_authorized.h"

#include <credit/client.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS_MAX  15
#define CALLERS_MAX 64

typedef struct worker {
    credit_client *c;
    const char *grant; /* NULL: OpenQuery */
    const char *uscc;
    double until;
    long calls, failures;
    credit_status first_error;
} worker;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    worker *w = arg;
    credit_record_filter f;
    credit_record_filter_init(&f);
    f.subject_kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    f.subject_identifier = w->uscc;
    f.page_size = 50;
    while (now_s() < w->until) {
        Credit__V1__ListRecordsResponse *r = NULL;
        credit_status st;
        int rc = w->grant ? credit_client_authorized_record_list(w->c, w->grant, &f, &r, &st)
                          : credit_client_record_list(w->c, CREDIT_TIER_OPEN, &f, &r, &st);
        if (rc != 0) {
            if (!w->failures++)
                w->first_error = st;
            continue;
        }
        w->calls++;
        credit__v1__list_records_response__free_unpacked(r, NULL);
    }
    return NULL;
}

/* Calls/s of `callers` threads for `seconds`; -1 if a call failed. */
static double run(credit_client *c, const char *grant, const char *uscc, int callers, int seconds)
{
    worker w[CALLERS_MAX];
    pthread_t t[CALLERS_MAX];
    int started = 0;
    double t0 = now_s();
    for (int i = 0; i < callers; i++) {
        w[i] = (worker){.c = c, .grant = grant, .uscc = uscc, .until = t0 + seconds};
        if (pthread_create(&t[i], NULL, work, &w[i]) != 0)
            break;
        started++;
    }
    long calls = 0, failures = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        calls += w[i].calls;
        if (w[i].failures && !failures)
            fprintf(stderr, "credit-bench: authorized phase: %s %s\n",
                    credit_code_name(w[i].first_error.code), w[i].first_error.message);
        failures += w[i].failures;
    }
    if (failures || started != callers)
        return -1;
    return (double)calls / (now_s() - t0);
}

int bench_grant(credit_client *bank, credit_client *portal, const char *uscc,
                const Credit__V1__GrantScope *scope, char id[33])
{
    Credit__V1__SubjectRef ref = CREDIT__V1__SUBJECT_REF__INIT;
    ref.kind = CREDIT__V1__SUBJECT_KIND__SUBJECT_KIND_LEGAL_PERSON;
    ref.identifier = (char *)uscc;
    Credit__V1__Date from = CREDIT__V1__DATE__INIT, to = CREDIT__V1__DATE__INIT;
    from.year = 2000;
    from.month = 1;
    from.day = 1;
    to.year = 2099;
    to.month = 12;
    to.day = 31;
    Google__Protobuf__Timestamp until = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    until.seconds = (int64_t)time(NULL) + 30 * 86400;
    Credit__V1__RequestConsentRequest req = CREDIT__V1__REQUEST_CONSENT_REQUEST__INIT;
    req.subject = &ref;
    req.purpose_code = "LOAN_APPRAISAL";
    req.purpose_text = "credit-bench";
    req.scope = (Credit__V1__GrantScope *)scope;
    req.data_from = &from;
    req.data_to = &to;
    req.valid_until = &until;
    req.use_limit = 1000000;
    Credit__V1__Grant *g = NULL, *a = NULL;
    credit_status st;
    if (credit_client_consent_request(bank, &req, &g, &st) != 0) {
        fprintf(stderr, "credit-bench: RequestConsent: %s %s\n", credit_code_name(st.code),
                st.message);
        return -1;
    }
    snprintf(id, 33, "%s", g->grant_id);
    credit__v1__grant__free_unpacked(g, NULL);
    if (credit_client_consent_approve(portal, id,
                                      "0123456789abcdef0123456789abcdef"
                                      "0123456789abcdef0123456789abcdef",
                                      &a, &st) != 0) {
        fprintf(stderr, "credit-bench: ApproveConsent: %s %s\n", credit_code_name(st.code),
                st.message);
        return -1;
    }
    credit__v1__grant__free_unpacked(a, NULL);
    return 0;
}

/* A grant of every public category; its id into id[33]. Returns 0, or -1. */
static int make_grant(credit_client *bank, credit_client *portal, const char *uscc, char *id)
{
    Credit__V1__Catalogue pub = CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC;
    Credit__V1__GrantScope scope = CREDIT__V1__GRANT_SCOPE__INIT;
    scope.catalogues = &pub;
    scope.n_catalogues = 1;
    return bench_grant(bank, portal, uscc, &scope, id);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_authorized_ratio(credit_client *bank, credit_client *portal, const char *uscc,
                              int callers, int seconds, int rounds)
{
    double open[ROUNDS_MAX], auth[ROUNDS_MAX];
    char grant[33];
    if (callers > CALLERS_MAX || rounds > ROUNDS_MAX || make_grant(bank, portal, uscc, grant) != 0)
        return -1;
    for (int r = 0; r < rounds; r++) {
        open[r] = run(bank, NULL, uscc, callers, seconds);
        auth[r] = run(bank, grant, uscc, callers, seconds);
        if (open[r] < 0 || auth[r] < 0)
            return -1;
        printf("authorized round %d: ListRecords of one subject, %d callers: OpenQuery %.0f, "
               "AuthorizedQuery %.0f calls/s\n",
               r + 1, callers, open[r], auth[r]);
        fflush(stdout);
    }
    double o = median(open, rounds);
    return o > 0 ? median(auth, rounds) / o : 0;
}
