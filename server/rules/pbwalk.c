/*
 * pbwalk.c — see pbwalk.h.
 */
#include "pbwalk.h"

#include "pbreflect.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int pbwalk_member_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return 1;
    return *(const uint32_t *)((const char *)m + f->quantifier_offset) == f->id;
}

int pbwalk_field_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return pbwalk_member_set(m, f) && !pbreflect_is_zero(f->type, (const char *)m + f->offset);
}

static int walk(ProtobufCMessage *m, const ProtobufCFieldDescriptor **chain, size_t depth,
                const ProtobufCMessageDescriptor *leaf_type, pbwalk_leaf_fn fn, void *arg)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;

    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        int rc;

        if (f->label == PROTOBUF_C_LABEL_REPEATED || !pbwalk_field_set(m, f) || depth == PBWALK_MAX)
            continue;
        chain[depth] = f;
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor != leaf_type)
            rc = walk(*(ProtobufCMessage **)((char *)m + f->offset), chain, depth + 1, leaf_type,
                      fn, arg);
        else
            rc = fn(arg, m, f, chain, depth + 1);
        if (rc)
            return rc;
    }
    return 0;
}

int pbwalk_leaves(ProtobufCMessage *m, const ProtobufCFieldDescriptor *const *prefix,
                  size_t n_prefix, const ProtobufCMessageDescriptor *leaf_type, pbwalk_leaf_fn fn,
                  void *arg)
{
    const ProtobufCFieldDescriptor *chain[PBWALK_MAX];

    if (n_prefix >= PBWALK_MAX)
        return 0;
    if (n_prefix)
        memcpy(chain, prefix, n_prefix * sizeof *chain);
    return walk(m, chain, n_prefix, leaf_type, fn, arg);
}

const char *pbwalk_chain_path(const ProtobufCFieldDescriptor *const *chain, size_t depth, char *buf,
                              size_t cap)
{
    size_t len = 0;

    if (cap == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < depth && len < cap; i++) {
        int n = snprintf(buf + len, cap - len, "%s%s", i ? "." : "", chain[i]->name);

        if (n < 0)
            break;
        len += (size_t)n;
    }
    return buf;
}
