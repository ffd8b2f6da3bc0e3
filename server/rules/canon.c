/*
 * canon.c — see canon.h. A map field is recognised by its shape (pb_is_map_entry).
 */
#include "canon.h"
#include "pb.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

char *canon_nfc(const char *s, int *oom)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p && *p < 0x80)
        p++;
    if (!*p)
        return NULL; /* ASCII is its own NFC: the common case costs one pass and no malloc */
    /* utf8proc_NFC returns NULL for invalid UTF-8 and for a failed malloc alike; tell them
     * apart by decoding first. */
    utf8proc_int32_t cp;
    for (utf8proc_ssize_t n, i = 0, len = (utf8proc_ssize_t)strlen(s); i < len; i += n) {
        n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, len - i, &cp);
        if (n <= 0)
            return NULL;
    }
    char *nfc = (char *)utf8proc_NFC((const utf8proc_uint8_t *)s);
    if (!nfc) {
        *oom = 1;
        return NULL;
    }
    if (strcmp(nfc, s) == 0) {
        free(nfc);
        return NULL;
    }
    return nfc;
}

/* Replaces *sp by its NFC form. Returns 0 or -1 (out of memory). */
static int nfc_in_place(char **sp)
{
    int oom = 0;
    if (!*sp)
        return 0;
    char *nfc = canon_nfc(*sp, &oom);
    if (nfc) {
        if (*sp != protobuf_c_empty_string)
            free(*sp);
        *sp = nfc;
    }
    return oom ? -1 : 0;
}

/* qsort_r over map entries by their key field `arg`: a string or an integer (every key kind
 * protobuf allows; bool sorts as an integer). */
static int entry_cmp(const void *a, const void *b, void *arg)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    const ProtobufCFieldDescriptor *k = arg;
    switch (k->type) {
    case PROTOBUF_C_TYPE_STRING:
        return strcmp(*(char *const *)(x + k->offset), *(char *const *)(y + k->offset));
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t u = *(const int64_t *)(x + k->offset), v = *(const int64_t *)(y + k->offset);
        return (u > v) - (u < v);
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t u = *(const uint64_t *)(x + k->offset), v = *(const uint64_t *)(y + k->offset);
        return (u > v) - (u < v);
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t u = *(const uint32_t *)(x + k->offset), v = *(const uint32_t *)(y + k->offset);
        return (u > v) - (u < v);
    }
    default: { /* int32, sint32, sfixed32, bool (protobuf_c_boolean is an int) */
        int32_t u = *(const int32_t *)(x + k->offset), v = *(const int32_t *)(y + k->offset);
        return (u > v) - (u < v);
    }
    }
}

static void sort_entries(ProtobufCMessage **v, size_t n, const ProtobufCMessageDescriptor *d)
{
    if (n > 1)
        qsort_r(v, n, sizeof *v, entry_cmp, (void *)&d->fields[0]);
}

int canon_message(ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    int rc = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char *member = (char *)m + f->offset;
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            /* A oneof's members share storage: only the set one may be read. */
            if (*(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
                continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
            if (f->type == PROTOBUF_C_TYPE_STRING) {
                char **v = *(char ***)member;
                for (size_t j = 0; j < n; j++)
                    rc |= nfc_in_place(&v[j]);
            } else {
                ProtobufCMessage **v = *(ProtobufCMessage ***)member;
                for (size_t j = 0; j < n; j++)
                    rc |= canon_message(v[j]);
                if (pb_is_map_entry(f->descriptor))
                    sort_entries(v, n, f->descriptor);
            }
        } else if (f->type == PROTOBUF_C_TYPE_STRING) {
            rc |= nfc_in_place((char **)member);
        } else if (*(ProtobufCMessage **)member) {
            rc |= canon_message(*(ProtobufCMessage **)member);
        }
    }
    return rc ? -1 : 0;
}
