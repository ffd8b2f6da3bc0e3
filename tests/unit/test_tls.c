/*
 * test_tls.c — unit tests for server/transport/tls.c: the startup checks of the TLS directory, the
 * revocation list of tls_check_peer, and tls_reload.
 *
 * The group setup makes the development PKI once with $CREDIT_SOURCE_DIR/certs/
 * make-dev-certs.sh into a temporary directory (`pristine`); tests that only read use it as
 * is, tests that change files get their own copy (cp -a, which keeps the crl/<hash>.r0
 * symlink) from the per-test setup. tls_server_credentials is not called: it needs the gRPC
 * core, which the integration tests exercise.
 *
 * tls_reload notices a change by file names, sizes and modification times. Every change made
 * here changes a size (a CRL that gains an entry grows, an emptied one shrinks to 0) or the set
 * of names, so the tests do not depend on the file system's timestamp granularity and need no
 * sleep.
 */
#include "testutil.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>

#include "tls.h"

#define ERRLEN 512
#define WHYLEN 256

/* The dev PKI made by the group setup; never changed by a test. */
static char group_dir[PATH_MAX];
static char pristine[PATH_MAX];

struct fixture {
    char dir[PATH_MAX];  /* the test's temporary directory */
    char tls[PATH_MAX];  /* dir/tls, a copy of pristine */
    tls_state *t;
};

static int group_setup(void **state)
{
    const char *src = tu_env("CREDIT_SOURCE_DIR");
    char script[PATH_MAX];

    (void)state;
    if (!src)
        return -1;
    if (tu_join(script, sizeof(script), src, "certs/make-dev-certs.sh") != 0 ||
        tu_mkdtemp(group_dir, sizeof(group_dir), "test_tls") != 0)
        return -1;
    if (tu_join(pristine, sizeof(pristine), group_dir, "pki") != 0) {
        tu_rmrf(group_dir);
        return -1;
    }
    if (tu_sh("\"$1\" \"$2\" >/dev/null", script, pristine, NULL) != 0) {
        tu_rmrf(group_dir);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    return tu_rmrf(group_dir);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    if (tu_mkdtemp(fx->dir, sizeof(fx->dir), "test_tls_copy") != 0) {
        free(fx);
        return -1;
    }
    if (tu_join(fx->tls, sizeof(fx->tls), fx->dir, "tls") != 0 ||
        tu_sh("cp -a -- \"$1\" \"$2\"", pristine, fx->tls, NULL) != 0) {
        tu_rmrf(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc;

    tls_close(fx->t);
    rc = tu_rmrf(fx->dir);
    free(fx);
    return rc;
}

/* Runs make-dev-certs.sh with `mode` (--issue / --revoke) on `dir`. */
static void dev_certs(const char *mode, const char *dir, const char *a, const char *b)
{
    const char *src = tu_env("CREDIT_SOURCE_DIR");
    char script[PATH_MAX];

    assert_non_null(src);
    tu_path(script, src, "certs/make-dev-certs.sh");
    if (b)
        assert_int_equal(tu_sh("\"$1\" \"$2\" \"$3\" \"$4\" \"$5\" >/dev/null", script, mode, dir,
                               a, b, NULL),
                         0);
    else
        assert_int_equal(tu_sh("\"$1\" \"$2\" \"$3\" \"$4\" >/dev/null", script, mode, dir, a,
                               NULL),
                         0);
}

/* tls_check_peer on the PEM file dir/rel: returns its result, why in why[WHYLEN]. */
static int check_file(tls_state *t, const char *dir, const char *rel, char *why)
{
    char path[PATH_MAX];
    size_t len = 0;
    char *pem;
    int rc;

    tu_path(path, dir, rel);
    pem = tu_read_file(path, &len);
    if (!pem) {
        print_error("cannot read %s\n", path);
        fail();
    }
    why[0] = '\0';
    rc = tls_check_peer(t, pem, len, why);
    free(pem);
    return rc;
}

static void check_passes(tls_state *t, const char *dir, const char *rel)
{
    char why[WHYLEN];

    if (check_file(t, dir, rel, why) != 0) {
        print_error("%s refused: %s\n", rel, why);
        fail();
    }
}

static void check_refused(tls_state *t, const char *dir, const char *rel, const char *word)
{
    char why[WHYLEN];

    if (check_file(t, dir, rel, why) != -1) {
        print_error("%s passed, want refused with \"%s\"\n", rel, word);
        fail();
    }
    CHECK_CONTAINS(why, word);
}

/* The CRL's hash link dir/crl/<hash>.r0, the one such name, into out[PATH_MAX]. */
static void hash_link(const char *dir, char *out)
{
    char crl[PATH_MAX];
    struct dirent *e;
    struct stat st;
    int found = 0;
    DIR *d;

    tu_path(crl, dir, "crl");
    d = opendir(crl);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);

        if (n > 3 && strcmp(e->d_name + n - 3, ".r0") == 0) {
            tu_path(out, crl, e->d_name);
            found++;
        }
    }
    closedir(d);
    assert_int_equal(found, 1);
    assert_int_equal(lstat(out, &st), 0);
}

/* A throwaway openssl config: enough for `openssl req` and `openssl ca -gencrl` with the
 * database files under f/. Used from a shell whose current directory is the TLS copy. */
#define MINI_CA_CNF                                                                                \
    "mkdir -p f && : > f/index && echo 01 > f/crlnumber && "                                      \
    "printf '[req]\\ndistinguished_name=dn\\n[dn]\\n[ca]\\ndefault_ca=x\\n[x]\\n"               \
    "database=f/index\\ncrlnumber=f/crlnumber\\ndefault_md=sha256\\ndefault_crl_days=30\\n' "   \
    "> f/ca.cnf && "

/* --- tls_open ---------------------------------------------------------------------------- */

static void test_open_accepts_the_dev_certificates(void **state)
{
    char err[ERRLEN];
    tls_state *t = NULL;

    (void)state;
    CHECK_OK(tls_open(pristine, &t, err));
    assert_non_null(t);
    tls_close(t);
    tls_close(NULL);
}

static void test_open_refuses_a_missing_directory(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN], missing[PATH_MAX];
    tls_state *t = (tls_state *)&t;

    tu_path(missing, fx->dir, "no-such-dir");
    CHECK_FAILS_WITH(tls_open(missing, &t, err), "does not exist");
    CHECK_CONTAINS(err, missing);
    assert_ptr_equal(t, (tls_state *)&t);
}

static void test_open_refuses_an_empty_crl_directory(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    assert_int_equal(tu_sh("rm -f -- \"$1\"/crl/*", fx->tls, NULL), 0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "CRL");
    CHECK_CONTAINS(err, "Credit node dev CA");
    assert_null(fx->t);
}

static void test_open_refuses_a_missing_crl_directory(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    assert_int_equal(tu_sh("rm -rf -- \"$1\"/crl", fx->tls, NULL), 0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "CRL");
    assert_null(fx->t);
}

static void test_open_refuses_a_crl_without_its_hash_name(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN], link[PATH_MAX];

    hash_link(fx->tls, link);
    assert_int_equal(remove(link), 0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "openssl rehash");
    assert_null(fx->t);
}

static void test_open_refuses_a_second_ca_without_a_crl(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    assert_int_equal(tu_sh("cat \"$1\"/bad/foreign-ca.crt >> \"$1\"/ca.crt", fx->tls, NULL), 0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "Foreign dev CA");
    CHECK_CONTAINS(err, "no CRL");
    assert_null(fx->t);
}

static void test_open_refuses_a_server_key_that_does_not_match(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    assert_int_equal(tu_sh("cp -f -- \"$1\"/units/office.key \"$1\"/server.key", fx->tls, NULL),
                     0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "does not match");
    assert_null(fx->t);
}

static void test_open_refuses_a_missing_server_certificate(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    assert_int_equal(tu_sh("rm -f -- \"$1\"/server.crt", fx->tls, NULL), 0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "server.crt");
    assert_null(fx->t);
}

static void test_open_refuses_a_missing_server_key(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    assert_int_equal(tu_sh("rm -f -- \"$1\"/server.key", fx->tls, NULL), 0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "server.key");
    assert_null(fx->t);
}

static void test_open_refuses_a_ca_bundle_without_certificates(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    assert_int_equal(tu_sh("echo 'not a certificate' > \"$1\"/ca.crt", fx->tls, NULL), 0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "ca.crt");
    assert_null(fx->t);
}

/* A CRL that names our CA as issuer but is signed by another key (an impostor CA with our
 * CA's subject) does not count, even under the right hash name. */
static void test_open_refuses_a_crl_not_signed_by_the_ca(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    assert_int_equal(
        tu_sh("cd \"$1\" && " MINI_CA_CNF
              "openssl req -config f/ca.cnf -x509 -new -key bad/foreign-ca.key -days 30 "
              "-subj '/O=Credit node dev/CN=Credit node dev CA' -out f/impostor.crt && "
              "openssl ca -config f/ca.cnf -batch -gencrl -keyfile bad/foreign-ca.key "
              "-cert f/impostor.crt -out crl/.new.pem 2>/dev/null && "
              "mv -f crl/.new.pem crl/ca.crl.pem",
              fx->tls, NULL),
        0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "no CRL signed by it");
    assert_null(fx->t);
}

/* An old CRL left beside a new one must not bring back a revoked certificate, whatever
 * order the directory lists them in. */
static void test_open_uses_the_newest_crl_of_each_ca(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN] = "", cert[PATH_MAX];

    assert_int_equal(tu_sh("cp \"$1/crl/ca.crl.pem\" \"$1/a.old\"", fx->tls, NULL), 0);
    dev_certs("--issue", fx->tls, "newbie", "urn:credit:unit:newbie");
    tu_path(cert, fx->tls, "extra/newbie.crt");
    assert_int_equal(tu_sh("sleep 1.1", NULL), 0); /* lastUpdate counts whole seconds */
    dev_certs("--revoke", fx->tls, cert, NULL);
    assert_int_equal(tu_sh("cp \"$1/a.old\" \"$1/crl/a.pem\" && cp \"$1/a.old\" \"$1/crl/zz.pem\"",
                           fx->tls, NULL),
                     0);
    CHECK_OK(tls_open(fx->tls, &fx->t, err));
    check_refused(fx->t, fx->tls, "extra/newbie.crt", "revoked");
    check_refused(fx->t, fx->tls, "bad/revoked.crt", "revoked");
}

static void test_open_refuses_an_expired_crl(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    assert_int_equal(tu_sh("cd \"$1\" && " MINI_CA_CNF
                           "openssl ca -config f/ca.cnf -batch -gencrl -keyfile ca.key "
                           "-cert ca.crt -crlsec 1 -out crl/.new.pem 2>/dev/null && "
                           "mv -f crl/.new.pem crl/ca.crl.pem && sleep 2",
                           fx->tls, NULL),
                     0);
    CHECK_FAILS_WITH(tls_open(fx->tls, &fx->t, err), "expired");
    assert_null(fx->t);
}

/* --- tls_check_peer ---------------------------------------------------------------------- */

static void test_check_peer_passes_unit_certificates(void **state)
{
    char err[ERRLEN];
    tls_state *t = NULL;

    (void)state;
    CHECK_OK(tls_open(pristine, &t, err));
    check_passes(t, pristine, "units/office.crt");
    check_passes(t, pristine, "units/tax.crt");
    check_passes(t, pristine, "units/cn-only.crt");
    check_passes(t, pristine, "bad/unknown.crt"); /* not revoked: the registry refuses it */
    tls_close(t);
}

static void test_check_peer_refuses_a_revoked_certificate(void **state)
{
    char err[ERRLEN];
    tls_state *t = NULL;

    (void)state;
    CHECK_OK(tls_open(pristine, &t, err));
    check_refused(t, pristine, "bad/revoked.crt", "revoked");
    tls_close(t);
}

static void test_check_peer_refuses_a_certificate_whose_issuer_has_no_crl(void **state)
{
    char err[ERRLEN];
    tls_state *t = NULL;

    (void)state;
    CHECK_OK(tls_open(pristine, &t, err));
    check_refused(t, pristine, "bad/foreign.crt", "no CRL");
    check_refused(t, pristine, "bad/foreign-ca.crt", "no CRL");
    tls_close(t);
}

static void test_check_peer_refuses_garbage_pem(void **state)
{
    static const char garbage[] = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n"
                                  "-----END CERTIFICATE-----\n";
    static const char text[] = "hello";
    char err[ERRLEN], why[WHYLEN], path[PATH_MAX];
    tls_state *t = NULL;
    size_t len;
    char *pem;

    (void)state;
    CHECK_OK(tls_open(pristine, &t, err));
    why[0] = '\0';
    assert_int_equal(tls_check_peer(t, garbage, strlen(garbage), why), -1);
    CHECK_CONTAINS(why, "parsed");
    why[0] = '\0';
    assert_int_equal(tls_check_peer(t, text, strlen(text), why), -1);
    CHECK_CONTAINS(why, "parsed");

    /* A real certificate cut in half. */
    tu_path(path, pristine, "units/office.crt");
    pem = tu_read_file(path, &len);
    assert_non_null(pem);
    why[0] = '\0';
    assert_int_equal(tls_check_peer(t, pem, len / 2, why), -1);
    assert_true(why[0] != '\0');
    free(pem);
    tls_close(t);
}

static void test_check_peer_refuses_no_certificate(void **state)
{
    char err[ERRLEN], why[WHYLEN];
    tls_state *t = NULL;

    (void)state;
    CHECK_OK(tls_open(pristine, &t, err));
    why[0] = '\0';
    assert_int_equal(tls_check_peer(t, NULL, 0, why), -1);
    CHECK_CONTAINS(why, "no verified client certificate");
    why[0] = '\0';
    assert_int_equal(tls_check_peer(t, NULL, 100, why), -1);
    assert_true(why[0] != '\0');
    why[0] = '\0';
    assert_int_equal(tls_check_peer(t, "x", 0, why), -1);
    assert_true(why[0] != '\0');
    tls_close(t);
}

/* --- tls_reload -------------------------------------------------------------------------- */

static void test_reload_returns_zero_when_nothing_changed(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    CHECK_OK(tls_open(fx->tls, &fx->t, err));
    assert_int_equal(tls_reload(fx->t, err), 0);
    assert_int_equal(tls_reload(fx->t, err), 0);
    /* Issuing a certificate touches neither ca.crt nor crl/. */
    dev_certs("--issue", fx->tls, "newbie", "urn:credit:unit:newbie");
    assert_int_equal(tls_reload(fx->t, err), 0);
    check_passes(fx->t, fx->tls, "extra/newbie.crt");
}

static void test_reload_puts_a_new_revocation_in_force(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN] = "", cert[PATH_MAX];

    CHECK_OK(tls_open(fx->tls, &fx->t, err));
    dev_certs("--issue", fx->tls, "newbie", "urn:credit:unit:newbie");
    check_passes(fx->t, fx->tls, "extra/newbie.crt");

    tu_path(cert, fx->tls, "extra/newbie.crt");
    dev_certs("--revoke", fx->tls, cert, NULL);
    /* Until the reload, the list in force is the old one. */
    check_passes(fx->t, fx->tls, "extra/newbie.crt");
    err[0] = '\0';
    if (tls_reload(fx->t, err) != 1) {
        print_error("tls_reload did not load the new CRL: %s\n", err);
        fail();
    }
    check_refused(fx->t, fx->tls, "extra/newbie.crt", "revoked");
    check_refused(fx->t, fx->tls, "bad/revoked.crt", "revoked");
    check_passes(fx->t, fx->tls, "units/office.crt");
    assert_int_equal(tls_reload(fx->t, err), 0);
}

/* A CRL emptied in place: the reload fails, says why, and revocation stays on. */
static void test_reload_keeps_the_old_list_when_the_crl_turns_bad(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN], crl[PATH_MAX], *good;
    size_t good_len;

    CHECK_OK(tls_open(fx->tls, &fx->t, err));
    tu_path(crl, fx->tls, "crl/ca.crl.pem");
    good = tu_read_file(crl, &good_len);
    assert_non_null(good);
    assert_true(good_len > 0);

    assert_int_equal(tu_write_file(crl, "", 0), 0);
    err[0] = '\0';
    assert_int_equal(tls_reload(fx->t, err), -1);
    CHECK_CONTAINS(err, "CRL");
    check_refused(fx->t, fx->tls, "bad/revoked.crt", "revoked");
    check_passes(fx->t, fx->tls, "units/office.crt");
    check_refused(fx->t, fx->tls, "bad/foreign.crt", "no CRL");

    /* tls.h: a bad directory is reported once, not on every poll ... */
    assert_int_equal(tls_reload(fx->t, err), 0);
    check_refused(fx->t, fx->tls, "bad/revoked.crt", "revoked");

    /* ... and the repaired one is loaded. */
    assert_int_equal(tu_write_file(crl, good, good_len), 0);
    free(good);
    err[0] = '\0';
    if (tls_reload(fx->t, err) != 1) {
        print_error("tls_reload did not load the repaired CRL: %s\n", err);
        fail();
    }
    check_refused(fx->t, fx->tls, "bad/revoked.crt", "revoked");
    check_passes(fx->t, fx->tls, "units/office.crt");
}

static void test_reload_keeps_the_old_list_when_the_hash_name_goes(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN], link[PATH_MAX];

    CHECK_OK(tls_open(fx->tls, &fx->t, err));
    hash_link(fx->tls, link);
    assert_int_equal(remove(link), 0);
    err[0] = '\0';
    assert_int_equal(tls_reload(fx->t, err), -1);
    CHECK_CONTAINS(err, "openssl rehash");
    check_refused(fx->t, fx->tls, "bad/revoked.crt", "revoked");
    check_passes(fx->t, fx->tls, "units/office.crt");
}

static void test_reload_keeps_the_old_list_when_a_ca_without_crl_is_added(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN];

    CHECK_OK(tls_open(fx->tls, &fx->t, err));
    assert_int_equal(tu_sh("cat \"$1\"/bad/foreign-ca.crt >> \"$1\"/ca.crt", fx->tls, NULL), 0);
    err[0] = '\0';
    assert_int_equal(tls_reload(fx->t, err), -1);
    CHECK_CONTAINS(err, "Foreign dev CA");
    check_refused(fx->t, fx->tls, "bad/revoked.crt", "revoked");
    check_refused(fx->t, fx->tls, "bad/foreign.crt", "no CRL");
    check_passes(fx->t, fx->tls, "units/office.crt");
}

/* A second CA with its own CRL (under its hash name) is accepted, and its certificates pass. */
static void test_reload_accepts_a_second_ca_with_its_crl(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN] = "";

    CHECK_OK(tls_open(fx->tls, &fx->t, err));
    assert_int_equal(tu_sh("cd \"$1\" && " MINI_CA_CNF
                           "openssl ca -config f/ca.cnf -batch -gencrl -keyfile bad/foreign-ca.key "
                           "-cert bad/foreign-ca.crt -out crl/foreign.crl.pem 2>/dev/null && "
                           "openssl rehash crl && cat bad/foreign-ca.crt >> ca.crt",
                           fx->tls, NULL),
                     0);
    if (tls_reload(fx->t, err) != 1) {
        print_error("tls_reload refused a CA with its CRL: %s\n", err);
        fail();
    }
    check_passes(fx->t, fx->tls, "bad/foreign.crt");
    check_refused(fx->t, fx->tls, "bad/revoked.crt", "revoked");
    check_passes(fx->t, fx->tls, "units/office.crt");
}

/* tls.h: tls_check_peer may run on any thread at the same time as tls_reload. While the CRL
 * flips between two good versions and reloads run, a revoked certificate is never let
 * through and a good one never refused. */
struct checker {
    tls_state *t;
    const char *revoked, *good;
    size_t revoked_len, good_len;
    atomic_int *stop;
    int wrong;
    long checks;
};

static void *checker_main(void *arg)
{
    struct checker *c = arg;
    char why[WHYLEN];

    while (!atomic_load(c->stop) || c->checks < 100) {
        if (tls_check_peer(c->t, c->revoked, c->revoked_len, why) != -1)
            c->wrong++;
        if (tls_check_peer(c->t, c->good, c->good_len, why) != 0)
            c->wrong++;
        c->checks++;
    }
    return NULL;
}

static void test_check_peer_is_safe_during_reloads(void **state)
{
    struct fixture *fx = *state;
    char err[ERRLEN], path[PATH_MAX], crl[PATH_MAX], tmp[PATH_MAX], cert[PATH_MAX];
    char *v1, *v2;
    size_t v1_len, v2_len;
    atomic_int stop = 0;
    int reloads = 0;
    struct checker c[2];
    pthread_t th[2];

    CHECK_OK(tls_open(fx->tls, &fx->t, err));
    tu_path(crl, fx->tls, "crl/ca.crl.pem");
    tu_path(tmp, fx->tls, "crl/.flip.tmp");
    v1 = tu_read_file(crl, &v1_len);
    assert_non_null(v1);
    dev_certs("--issue", fx->tls, "newbie", "urn:credit:unit:newbie");
    tu_path(cert, fx->tls, "extra/newbie.crt");
    dev_certs("--revoke", fx->tls, cert, NULL);
    v2 = tu_read_file(crl, &v2_len);
    assert_non_null(v2);

    tu_path(path, fx->tls, "bad/revoked.crt");
    for (int i = 0; i < 2; i++) {
        c[i] = (struct checker){.t = fx->t, .stop = &stop};
        c[i].revoked = tu_read_file(path, &c[i].revoked_len);
        assert_non_null(c[i].revoked);
    }
    tu_path(path, fx->tls, "units/office.crt");
    for (int i = 0; i < 2; i++) {
        c[i].good = tu_read_file(path, &c[i].good_len);
        assert_non_null(c[i].good);
        assert_int_equal(pthread_create(&th[i], NULL, checker_main, &c[i]), 0);
    }
    for (int round = 0; round < 40; round++) {
        const char *v = round % 2 ? v1 : v2;
        size_t vlen = round % 2 ? v1_len : v2_len;

        /* Replace atomically, as --revoke does: a dot name, then rename. */
        assert_int_equal(tu_write_file(tmp, v, vlen), 0);
        assert_int_equal(rename(tmp, crl), 0);
        err[0] = '\0';
        int rc = tls_reload(fx->t, err);
        if (rc < 0)
            print_error("reload %d failed: %s\n", round, err);
        reloads += rc == 1;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        free((void *)c[i].revoked);
        free((void *)c[i].good);
    }
    free(v1);
    free(v2);
    assert_int_equal(c[0].wrong + c[1].wrong, 0);
    /* Each round changed the CRL's size, so each reload loaded it. */
    assert_int_equal(reloads, 40);
}

#define FX_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_accepts_the_dev_certificates),
        FX_TEST(test_open_refuses_a_missing_directory),
        FX_TEST(test_open_refuses_an_empty_crl_directory),
        FX_TEST(test_open_refuses_a_missing_crl_directory),
        FX_TEST(test_open_refuses_a_crl_without_its_hash_name),
        FX_TEST(test_open_refuses_a_second_ca_without_a_crl),
        FX_TEST(test_open_refuses_a_server_key_that_does_not_match),
        FX_TEST(test_open_refuses_a_missing_server_certificate),
        FX_TEST(test_open_refuses_a_missing_server_key),
        FX_TEST(test_open_refuses_a_ca_bundle_without_certificates),
        FX_TEST(test_open_refuses_a_crl_not_signed_by_the_ca),
        FX_TEST(test_open_uses_the_newest_crl_of_each_ca),
        FX_TEST(test_open_refuses_an_expired_crl),
        cmocka_unit_test(test_check_peer_passes_unit_certificates),
        cmocka_unit_test(test_check_peer_refuses_a_revoked_certificate),
        cmocka_unit_test(test_check_peer_refuses_a_certificate_whose_issuer_has_no_crl),
        cmocka_unit_test(test_check_peer_refuses_garbage_pem),
        cmocka_unit_test(test_check_peer_refuses_no_certificate),
        FX_TEST(test_reload_returns_zero_when_nothing_changed),
        FX_TEST(test_reload_puts_a_new_revocation_in_force),
        FX_TEST(test_reload_keeps_the_old_list_when_the_crl_turns_bad),
        FX_TEST(test_reload_keeps_the_old_list_when_the_hash_name_goes),
        FX_TEST(test_reload_keeps_the_old_list_when_a_ca_without_crl_is_added),
        FX_TEST(test_reload_accepts_a_second_ca_with_its_crl),
        FX_TEST(test_check_peer_is_safe_during_reloads),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
