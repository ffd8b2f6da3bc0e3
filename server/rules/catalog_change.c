/*
 * catalog_change.c — see catalog_change.h.
 */
#include "catalog_change.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb.h"
#include "status.h"

static int why_code(char *why, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int why_code(char *why, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, CATALOG_ERR_LEN, fmt, ap);
    va_end(ap);
    return code;
}

/* CHANGE_KIND_SET_TEMPLATE: the finance section req->section becomes req->portrait_template,
 * added or replaced whole. Whether the template makes sense is portrait.c's to say when the
 * new version is compiled. */
static int set_template(Credit__V1__CatalogueDefinition *def, const Credit__V1__ChangeRequest *req,
                        char *why)
{
    Credit__V1__Section *s, **grown;
    size_t k = 0;

    if (def->catalogue != CREDIT__V1__CATALOGUE__CATALOGUE_FINANCE)
        return why_code(why, RPC_INVALID_ARGUMENT,
                        "kind: CHANGE_KIND_SET_TEMPLATE is for the FINANCE catalogue only");
    if (!req->portrait_template)
        return why_code(why, RPC_INVALID_ARGUMENT,
                        "portrait_template: is required to set a template");
    if (strcmp(req->portrait_template->code, req->section) != 0)
        return why_code(why, RPC_INVALID_ARGUMENT,
                        "portrait_template.code: %.64s differs from section %.64s",
                        req->portrait_template->code, req->section);
    s = (Credit__V1__Section *)pb_copy(&req->portrait_template->base);
    if (!s)
        return why_code(why, RPC_UNAVAILABLE, "out of memory");
    while (k < def->n_sections && strcmp(def->sections[k]->code, req->section) != 0)
        k++;
    if (k < def->n_sections) {
        credit__v1__section__free_unpacked(def->sections[k], NULL);
        def->sections[k] = s;
        return 0;
    }
    grown = realloc(def->sections, (def->n_sections + 1) * sizeof *grown);
    if (!grown) {
        credit__v1__section__free_unpacked(s, NULL);
        return why_code(why, RPC_UNAVAILABLE, "out of memory");
    }
    def->sections = grown;
    def->sections[def->n_sections++] = s;
    return 0;
}

int catalog_apply(const catalog_version *base, const Credit__V1__ChangeRequest *req,
                  Credit__V1__CatalogueVersion **out, char *why)
{
    Credit__V1__CatalogueVersion *v;
    Credit__V1__CatalogueDefinition *def = NULL;
    Credit__V1__Dimension ***list;
    size_t *n, at;
    const char *code;
    int rc = 0;

    v = (Credit__V1__CatalogueVersion *)pb_copy(&base->msg->base);
    if (!v)
        return why_code(why, RPC_UNAVAILABLE, "out of memory");
    for (size_t i = 0; i < v->n_catalogues; i++) {
        if (v->catalogues[i]->catalogue == req->catalogue)
            def = v->catalogues[i];
    }
    if (!def) {
        rc = why_code(why, RPC_INVALID_ARGUMENT, "catalogue: %d is not a catalogue",
                      (int)req->catalogue);
        goto done;
    }
    if (req->kind == CREDIT__V1__CHANGE_KIND__CHANGE_KIND_SET_TEMPLATE) {
        rc = set_template(def, req, why);
        goto done;
    }
    if (*req->section) {
        size_t k = 0;

        while (k < def->n_sections && strcmp(def->sections[k]->code, req->section) != 0)
            k++;
        if (k == def->n_sections) {
            rc = why_code(why, RPC_NOT_FOUND, "section: catalogue %s has no section %.64s",
                          catalog_catalogue_name(req->catalogue), req->section);
            goto done;
        }
        list = &def->sections[k]->dimensions;
        n = &def->sections[k]->n_dimensions;
    } else {
        list = &def->common;
        n = &def->n_common;
    }
    code = req->kind == CREDIT__V1__CHANGE_KIND__CHANGE_KIND_ADD_DIMENSION && req->dimension
               ? req->dimension->code
               : req->dimension_code;
    for (at = 0; at < *n && strcmp((*list)[at]->code, code) != 0; at++)
        ;
    switch (req->kind) {
    case CREDIT__V1__CHANGE_KIND__CHANGE_KIND_ADD_DIMENSION:
    case CREDIT__V1__CHANGE_KIND__CHANGE_KIND_CHANGE_DIMENSION: {
        Credit__V1__Dimension *d, **grown;
        int add = req->kind == CREDIT__V1__CHANGE_KIND__CHANGE_KIND_ADD_DIMENSION;

        if (!req->dimension) {
            rc = why_code(why, RPC_INVALID_ARGUMENT, "dimension: is required to %s a dimension",
                          add ? "add" : "change");
            goto done;
        }
        if (add && at < *n) {
            rc = why_code(why, RPC_ALREADY_EXISTS,
                          "dimension.code: %.64s is already a dimension of %s%s%.64s", code,
                          catalog_catalogue_name(req->catalogue), *req->section ? "/" : "",
                          req->section);
            goto done;
        }
        if (!add && at == *n) {
            rc = why_code(
                why, RPC_NOT_FOUND, "dimension_code: %.64s is not a dimension of %s%s%.64s", code,
                catalog_catalogue_name(req->catalogue), *req->section ? "/" : "", req->section);
            goto done;
        }
        if (!add && strcmp(req->dimension->code, code) != 0) {
            rc = why_code(why, RPC_INVALID_ARGUMENT,
                          "dimension.code: %.64s differs from dimension_code %.64s; a "
                          "code is never renamed (remove it and add another)",
                          req->dimension->code, code);
            goto done;
        }
        d = (Credit__V1__Dimension *)pb_copy(&req->dimension->base);
        grown = add ? realloc(*list, (*n + 1) * sizeof **list) : *list;
        if (!d || !grown) {
            if (d)
                credit__v1__dimension__free_unpacked(d, NULL);
            rc = why_code(why, RPC_UNAVAILABLE, "out of memory");
            goto done;
        }
        *list = grown;
        if (add) {
            (*list)[(*n)++] = d;
        } else {
            credit__v1__dimension__free_unpacked((*list)[at], NULL);
            (*list)[at] = d;
        }
        break;
    }
    case CREDIT__V1__CHANGE_KIND__CHANGE_KIND_REMOVE_DIMENSION:
        if (at == *n) {
            rc = why_code(
                why, RPC_NOT_FOUND, "dimension_code: %.64s is not a dimension of %s%s%.64s", code,
                catalog_catalogue_name(req->catalogue), *req->section ? "/" : "", req->section);
            goto done;
        }
        credit__v1__dimension__free_unpacked((*list)[at], NULL);
        memmove(&(*list)[at], &(*list)[at + 1], (*n - at - 1) * sizeof **list);
        (*n)--;
        break;
    default:
        rc = why_code(why, RPC_INVALID_ARGUMENT,
                      "kind: is required: CHANGE_KIND_ADD_DIMENSION, CHANGE_KIND_CHANGE_DIMENSION, "
                      "CHANGE_KIND_REMOVE_DIMENSION or CHANGE_KIND_SET_TEMPLATE");
        goto done;
    }
done:
    if (rc == 0)
        v->version = base->msg->version + 1;
    if (rc != 0) {
        credit__v1__catalogue_version__free_unpacked(v, NULL);
        return rc;
    }
    *out = v;
    return 0;
}
