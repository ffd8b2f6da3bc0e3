/*
 * portrait.c — creditctl portrait: a lender's signed credit portraits.
 *
 *   portrait key FILE                                  the node's signing key, PEM, into FILE
 *   portrait get SUBJECT_KIND IDENTIFIER TEMPLATE GRANT_ID FILE
 *                                                      the portrait under a grant, into FILE
 *   portrait verify FILE [KEY_FILE]                    checks FILE's signature
 *
 * A portrait file holds the portrait's protobuf encoding exactly as the node signed it (the
 * library's message packed again: protobuf-c writes it byte for byte as the node did), so
 * that anyone can check it later with the key alone. verify with KEY_FILE needs no node and
 * no certificate; without it the key is fetched from the node first.
 *
 * What it prints for people follows the locale (gettext); ids, codes, counts and the key's
 * algorithm are the node's and never do.
 */
#include "creditctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAX (64u << 20) /* a portrait file: far below the node's answers' limit */

/* Reads the whole file at `path` into a malloc'd buffer (*len bytes, NUL added). NULL and a
 * message on stderr when it cannot. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (!f) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *grown = cap >= FILE_MAX ? NULL : realloc(buf, cap ? 2 * cap : 8192);
            if (!grown) {
                say("%s: too large or out of memory\n", path);
                goto fail;
            }
            buf = grown;
            cap = cap ? 2 * cap : 8192;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        say("%s: cannot read\n", path);
        goto fail;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return EXIT_ERR;
    }
    return 0;
}

static int portrait_key(struct session *s, int argc, char **argv)
{
    Credit__V1__SigningKey *k = NULL;
    credit_status st;
    int rc;

    (void)argc;
    if (session_open(s) != 0)
        return EXIT_ERR;
    if (credit_client_signing_key_get(s->c, &k, &st) != CREDIT_OK)
        return report(&st);
    rc = write_file(argv[0], k->public_key_pem, strlen(k->public_key_pem));
    if (rc == 0 && s->cfg->json)
        print_json(&k->base);
    else if (rc == 0)
        printf("%s %s\n", k->algorithm, k->key_id);
    credit__v1__signing_key__free_unpacked(k, NULL);
    return rc;
}

static int portrait_get(struct session *s, int argc, char **argv)
{
    Credit__V1__Portrait *p = NULL;
    credit_status st;
    int kind, rc;

    (void)argc;
    if ((rc = parse_subject_kind(argv[0], &kind)) != 0)
        return rc;
    if (session_open(s) != 0)
        return EXIT_ERR;
    if (credit_client_portrait_get(s->c, kind, argv[1], argv[2], argv[3], &p, &st) != CREDIT_OK)
        return report(&st);
    size_t len = credit__v1__portrait__get_packed_size(p);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        credit__v1__portrait__free_unpacked(p, NULL);
        return nomem();
    }
    credit__v1__portrait__pack(p, buf);
    rc = write_file(argv[4], buf, len);
    if (rc == 0 && s->cfg->json) {
        print_json(&p->base);
    } else if (rc == 0) {
        printf(_("portrait %s: %s v%u, %zu items, signed by key %s\n"), p->portrait_id,
               p->template_, p->template_version, p->n_items, p->key_id);
        for (size_t i = 0; i < p->n_items; i++)
            printf("  %-22s %u%s\n", p->items[i]->code, p->items[i]->count,
                   p->items[i]->disputed ? _(" (some disputed)") : "");
    }
    free(buf);
    credit__v1__portrait__free_unpacked(p, NULL);
    return rc;
}

static int portrait_verify(struct session *s, int argc, char **argv)
{
    Credit__V1__SigningKey *k = NULL;
    char *pem = NULL, *data;
    credit_status st;
    size_t len, pem_len;
    int rc;

    if (!(data = slurp(argv[0], &len)))
        return EXIT_ERR;
    if (argc > 1) {
        pem = slurp(argv[1], &pem_len);
    } else if (session_open(s) == 0) {
        if (credit_client_signing_key_get(s->c, &k, &st) != CREDIT_OK) {
            free(data);
            return report(&st);
        }
        if (!(pem = strdup(k->public_key_pem)))
            nomem();
        credit__v1__signing_key__free_unpacked(k, NULL);
    }
    if (!pem) { /* said why: slurp, open_client or nomem */
        free(data);
        return EXIT_ERR;
    }
    rc = credit_portrait_verify(data, len, pem, &st);
    /* The verdict in the reader's language; the library's reason after it, as it says it. */
    if (rc == CREDIT_OK) {
        printf(_("%s: the signature verifies\n"), argv[0]);
    } else {
        say("%s: not verified\n", argv[0]);
        report(&st);
    }
    free(pem);
    free(data);
    return rc == CREDIT_OK ? 0 : EXIT_ERR;
}

/* clang-format off */
static const struct subcommand portrait_commands[] = {
    {"key",    portrait_key,    1, 1, 0, N_("FILE")},
    {"get",    portrait_get,    5, 5, 0, N_("SUBJECT_KIND IDENTIFIER TEMPLATE GRANT_ID FILE")},
    {"verify", portrait_verify, 1, 2, 0, N_("FILE [KEY_FILE]")},
};
/* clang-format on */

int cmd_portrait(const struct config *cfg, int argc, char **argv)
{
    return run_subcommand(cfg, "portrait", portrait_commands,
                          sizeof portrait_commands / sizeof portrait_commands[0],
                          "key, get, verify", argc, argv);
}
