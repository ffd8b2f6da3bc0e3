/*
 * tu_store.h — a real store in a fresh temporary directory, for the tests of the data-access
 * modules: tu_store_setup and tu_store_teardown are cmocka fixtures whose *state is a
 * tu_store. Writes are not fsynced (the tests prove layouts, not durability).
 */
#ifndef CREDIT_TU_STORE_H
#define CREDIT_TU_STORE_H

#include "store.h"
#include "testutil.h"

typedef struct tu_store {
    char dir[PATH_MAX];
    store *st;
} tu_store;

static inline int tu_store_setup(void **state)
{
    char err[STORE_ERR_LEN], db[PATH_MAX];
    store_options o;
    tu_store *fx = calloc(1, sizeof *fx);

    if (!fx || tu_mkdtemp(fx->dir, sizeof fx->dir, "tu_store") != 0)
        goto fail;
    store_options_init(&o);
    o.sync = 0;
    if (tu_join(db, sizeof db, fx->dir, "db") != 0 || store_open(db, &o, &fx->st, err) != 0) {
        print_error("tu_store_setup: cannot open a store in %s\n", fx->dir);
        tu_rmrf(fx->dir);
        goto fail;
    }
    *state = fx;
    return 0;
fail:
    free(fx);
    return -1;
}

static inline int tu_store_teardown(void **state)
{
    tu_store *fx = *state;

    store_close(fx->st);
    tu_rmrf(fx->dir);
    free(fx);
    return 0;
}

/* Writes the batch `b` (then destroys it), failing the test if it cannot. */
static inline void tu_store_write(tu_store *fx, store_batch *b)
{
    char err[STORE_ERR_LEN];

    assert_non_null(b);
    CHECK_OK(store_write(fx->st, b, err));
    store_batch_destroy(b);
}

/* Puts raw bytes under a key, as a damaged or foreign value would be. */
static inline void tu_store_put_raw(tu_store *fx, store_cf cf, const void *key, size_t klen,
                                    const void *val, size_t vlen)
{
    store_batch *b = store_batch_create();

    assert_non_null(b);
    store_batch_put(b, cf, key, klen, val, vlen);
    tu_store_write(fx, b);
}

#endif /* CREDIT_TU_STORE_H */
