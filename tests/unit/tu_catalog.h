/*
 * tu_catalog.h — the catalogue the unit tests check records against: the repository's seed
 * (proto/catalogue.textproto, found through CREDIT_SOURCE_DIR), compiled once per test binary
 * as creditd compiles it, with every unit counted as registered.
 */
#ifndef CREDIT_TU_CATALOG_H
#define CREDIT_TU_CATALOG_H

#include "catalog.h"
#include "catalog_change.h"
#include "testutil.h"
#include "textproto.h"

static inline int tu_any_unit(void *arg, const char *code)
{
    (void)arg;
    return code && *code;
}

/* The seed as a message (the caller frees it with credit__v1__catalogue_version__free_unpacked),
 * with version 1's fields filled in as the node fills them. Fails the test if unreadable. */
static inline Credit__V1__CatalogueVersion *tu_seed_message(void)
{
    char path[4096];
    size_t len = 0;
    char *text;
    ProtobufCMessage *m = NULL;
    textproto_error te;
    Credit__V1__CatalogueVersion *v;

    snprintf(path, sizeof path, "%s/proto/catalogue.textproto", tu_env("CREDIT_SOURCE_DIR"));
    text = tu_read_file(path, &len);
    assert_non_null(text);
    if (textproto_parse(&credit__v1__catalogue_version__descriptor, text, len, &m, &te) != 0) {
        print_error("%s:%d:%d: %s: %s\n", path, te.line, te.column, te.path, te.reason);
        fail();
    }
    free(text);
    v = (Credit__V1__CatalogueVersion *)m;
    v->version = 1;
    return v;
}

/* The seed, compiled; valid until the test binary exits. */
static inline const catalog_version *tu_catalogue(void)
{
    static catalog_version *cv;
    char err[CATALOG_ERR_LEN];

    if (!cv) {
        Credit__V1__CatalogueVersion *m = tu_seed_message();

        if (catalog_compile(m, tu_any_unit, NULL, &cv, err) != 0) {
            print_error("seed: %s\n", err);
            fail();
        }
    }
    return cv;
}

/* The seed with one change applied, compiled: version 2. The caller destroys it with
 * catalog_version_destroy. `dim` (may be NULL for a removal) is borrowed. Fails the test if the
 * change does not apply or the result does not compile. */
static inline catalog_version *tu_catalogue_changed(int kind, int catalogue, const char *section,
                                                    const char *code,
                                                    const Credit__V1__Dimension *dim)
{
    Credit__V1__ChangeRequest cr = CREDIT__V1__CHANGE_REQUEST__INIT;
    Credit__V1__CatalogueVersion *m = NULL;
    catalog_version *v = NULL;
    char why[CATALOG_ERR_LEN];

    cr.kind = kind;
    cr.catalogue = catalogue;
    cr.section = (char *)section;
    cr.dimension_code = (char *)code;
    cr.dimension = (Credit__V1__Dimension *)dim;
    if (catalog_apply(tu_catalogue(), &cr, &m, why) != 0) {
        print_error("apply: %s\n", why);
        fail();
    }
    if (catalog_compile(m, tu_any_unit, NULL, &v, why) != 0) {
        print_error("compile: %s\n", why);
        fail();
    }
    return v;
}

/* The seed's dimension `code` of the public section `section`, copied into *out (its strings
 * borrowed from the seed). */
static inline void tu_public_dimension(const char *section, const char *code,
                                       Credit__V1__Dimension *out)
{
    const catalog_section *s =
        catalog_find_section(tu_catalogue(), CREDIT__V1__CATALOGUE__CATALOGUE_PUBLIC, section);
    const catalog_dim *d = s ? catalog_dim_by_code(s, code) : NULL;

    assert_non_null(d);
    *out = *d->d;
}

#endif /* CREDIT_TU_CATALOG_H */
