/*
 * portrait.h — credit-finance portraits: templates checked, portraits built and signed.
 *
 * A portrait template is a section of the finance catalogue (catalogue.proto:
 * Section.portrait). Its items each read one section of the PUBLIC, SERVICE_UNIT,
 * ASSOCIATION, VOLUNTARY or INDUSTRIAL catalogue of the same catalogue version and sum it up
 * (credit.v1.Aggregate). portrait_check_templates holds every version to the rules below, so
 * that a template the node serves always makes sense: catalog_compile calls it, so a bad seed
 * stops the node and a bad CHANGE_KIND_SET_TEMPLATE is refused at filing and at approval.
 *
 * Building is pure: the service (svc_finance.c) reads the subject's records and industrial
 * totals from the store and feeds them here one by one; this module decides which records an
 * item counts and what it shows of them:
 *  - a withdrawn or repaired record counts nowhere (repair ends the sharing and use of a
 *    record, DOMAIN.md); a voluntary declaration counts only once the office verified it;
 *  - AGGREGATE_BY_SEVERITY counts penalties of every severity, those past their publicity too,
 *    and lists only the ones still in publicity;
 *  - every listed record carries its provenance (source unit, record id and version, the
 *    catalogue version it was validated against) and its dispute flag.
 * What an entry shows of a record (title, date, severity) is OPEN or AUTHORIZED tier in the
 * seed catalogue; the service clears each record to the authorized tier (tier_clear) before
 * it comes here, so a value above it never reaches a portrait.
 *
 * Signing (portrait_sign): the packed portrait without field 15 (signature), protobuf-c
 * writing every field in ascending number order, is signed with the node's key (signkey.h);
 * then the signature is set, which packs as the last field. So the bytes a client receives,
 * less that last field, are exactly the signed bytes.
 *
 * Pure functions, safe from any thread on distinct portraits.
 */
#ifndef CREDIT_PORTRAIT_H
#define CREDIT_PORTRAIT_H

#include "catalog.h"
#include "pbcheck.h"
#include "credit/v1/finance.pb-c.h"
#include "signkey.h"

#define PORTRAIT_ITEMS_MAX  32
#define PORTRAIT_MONTHS_MAX 36

/* Checks every portrait template of version `v` (all catalogues compiled): only finance
 * sections carry one, and each has one, with no dimensions; 1 to PORTRAIT_ITEMS_MAX items of
 * unique lower_snake codes with names, each naming a collected catalogue and a section of it in
 * `v`; AGGREGATE_BY_SEVERITY only on a section with publicity windows; INDUSTRIAL items are
 * AGGREGATE_MONTHLY_TOTAL of a metric of the section at most AUTHORIZED tier over 1 to
 * PORTRAIT_MONTHS_MAX months, and only they name a metric and months; subject kinds are kinds.
 * Returns 0, or -1 with err[CATALOG_ERR_LEN] naming the section and item. */
int portrait_check_templates(const catalog_version *v, char *err);

/* A new portrait of template `tmpl` (a finance section of a compiled version): its items set
 * up from the template's, nothing counted yet, template and template_version filled. Returns
 * it (free with credit__v1__portrait__free_unpacked) or NULL when out of memory. */
Credit__V1__Portrait *portrait_create(const catalog_section *tmpl);

/* Counts `rec` (already cleared to the authorized tier) in every item of `p` that reads its
 * section, as of `today`. Records must come in record-id order for entries to be in that order.
 * Returns 0, or -1 when out of memory (p stays valid for free_unpacked). */
int portrait_add_record(Credit__V1__Portrait *p, const Credit__V1__Record *rec,
                        const Credit__V1__Date *today);

/* Adds the total of one month (calendar_month_name form) and platform to item `it`
 * (an AGGREGATE_MONTHLY_TOTAL item); months must come oldest first. Returns 0 or -1 (out of
 * memory). */
int portrait_add_month(Credit__V1__PortraitItem *it, const char *month, const char *platform,
                       double total, uint32_t samples, uint32_t catalogue_version);

/* Signs `p` with `k`: sets key_id, packs p without a signature and sets the signature over
 * those bytes. Returns 0, or -1 with err[SIGNKEY_ERR_LEN]. */
int portrait_sign(Credit__V1__Portrait *p, const signkey *k, char *err);

/* portrait_sign, giving the signed portrait packed, for sending as it is: *out (malloc'd, of
 * *len bytes) is the portrait packed with key_id set, its strings made valid text first (each
 * NUL or non-UTF-8 byte of old stored data replaced by '?', pbcheck_repair: *repaired bytes,
 * normally 0; the first fault in *first) and then signed, followed by field 15 holding the
 * signature: the bytes portrait_sign's message would pack to. p itself gets no signature.
 * Returns 0, or -1 with err. */
int portrait_sign_packed(Credit__V1__Portrait *p, const signkey *k, uint8_t **out, size_t *len,
                         long *repaired, pbcheck_fault *first, char *err);

/* The part of portrait p that depends only on its subject's data — subject_name, template,
 * template_version (fields 3 to 5) and items (field 9) — packed and made valid text
 * (pbcheck_repair, the repairs remembered), as an opaque malloc'd *body of *len bytes (free()
 * it) to keep and to give portrait_assemble any number of times. Returns 0, or -1 with
 * err[SIGNKEY_ERR_LEN]. */
int portrait_body_pack(const Credit__V1__Portrait *p, void **body, size_t *len, char *err);

/* The signed portrait packed, made of `body` (portrait_body_pack) and the per-call fields of
 * `env` (portrait_id, subject, made_at, grant_id, grantee; the rest of env is ignored), key_id
 * set from k: byte for byte what portrait_sign_packed gives for the portrait holding both
 * (the same bytes before field 15, *repaired and *first as it reports them), which is how
 * a body kept by the portrait cache (pcache.h) is answered again. Returns 0 with *out
 * (malloc'd, *len bytes), or -1 with err[SIGNKEY_ERR_LEN]. */
int portrait_assemble(const void *body, size_t body_len, const Credit__V1__Portrait *env,
                      const signkey *k, uint8_t **out, size_t *len, long *repaired,
                      pbcheck_fault *first, char *err);

#endif /* CREDIT_PORTRAIT_H */
