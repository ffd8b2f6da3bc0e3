/*
 * keyprint.h — the privacy key's fingerprint, stored beside the data it sealed.
 *
 * Layout (STORE_CF_DEFAULT): "privacy-fingerprint" -> the PRIVACY_FINGERPRINT_LEN bytes of
 * privacy_fingerprint. A node writes it the first time it starts on an empty directory and
 * afterwards refuses a key file whose fingerprint differs (main.c), since a wrong key would
 * make every sealed number unreadable.
 *
 * Errors are STORE_E* codes: STORE_ENOTFOUND (no fingerprint yet: a new node) is a normal
 * result; a stored value of the wrong length is STORE_ECORRUPT. Thread-safe.
 */
#ifndef CREDIT_KEYPRINT_H
#define CREDIT_KEYPRINT_H

#include "privacy.h"
#include "store.h"

/* The stored fingerprint into out. */
int keyprint_get(store *st, unsigned char out[PRIVACY_FINGERPRINT_LEN], char *err);

/* Stores `fp`, durably, in a write of its own (it is made at start-up, outside any call).
 * Returns 0 or a STORE_E* code with err. */
int keyprint_put(store *st, const unsigned char fp[PRIVACY_FINGERPRINT_LEN], char *err);

#endif /* CREDIT_KEYPRINT_H */
