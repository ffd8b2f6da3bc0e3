/*
 * descset.h — the embedded FileDescriptorSet, indexed.
 *
 * protoc writes the set at build time (every .proto the node serves, imports included) and
 * the build embeds it. It answers two questions: the streaming shape of a method (the
 * protobuf-c service descriptors do not carry it) and, for server reflection, which
 * serialized FileDescriptorProto defines a file or a symbol.
 *
 * A descset is immutable once created and may be read from any thread without locks.
 */
#ifndef CREDIT_DESCSET_H
#define CREDIT_DESCSET_H

#include <stddef.h>

typedef struct descset descset;

/* A serialized FileDescriptorProto, borrowed from the descset (valid until it is destroyed). */
typedef struct descset_file {
    const char *name; /* "credit/v1/unit.proto" */
    const unsigned char *data;
    size_t len;
} descset_file;

/* Parses and indexes a serialized FileDescriptorSet (copied; the caller keeps `data`).
 * Returns 0 and *out, or -1 with err[256]. */
int descset_create(const unsigned char *data, size_t len, descset **out, char *err);
void descset_destroy(descset *ds); /* NULL is a no-op */

/* The streaming flags of method `method` of service `service` ("credit.v1.UnitRegistry").
 * Returns 0, or -1 if there is no such method. */
int descset_method_shape(const descset *ds, const char *service, const char *method,
                         int *client_streaming, int *server_streaming);

/* Fully qualified names of every service in the set, in file order. */
size_t descset_service_count(const descset *ds);
const char *descset_service_name(const descset *ds, size_t i);

/* The file named `filename`, or the file that defines `symbol` (a package-qualified
 * service, method "pkg.Svc.Method", message, nested message, field, enum or enum value),
 * followed by every file it imports, transitively, each once, the requested file first.
 * Writes at most `max` entries to out and returns how many there are in all (so a
 * return > max means the array was too small), or 0 if nothing matches. */
size_t descset_file_closure_by_name(const descset *ds, const char *filename, descset_file *out,
                                    size_t max);
size_t descset_file_closure_by_symbol(const descset *ds, const char *symbol, descset_file *out,
                                      size_t max);

#endif /* CREDIT_DESCSET_H */
