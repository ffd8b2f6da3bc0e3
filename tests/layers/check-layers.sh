#!/bin/sh
# check-layers.sh SOURCE_DIR [LIBRARY...] — the layering rules of issue 12 that the compiler
# cannot see.
#
#  1. Services (server/services/svc_*.c) and the start-up (server/main.c) never touch the store
#     themselves: no store_* call but building and dropping a write batch or a read view
#     (snapshot), and no column family, which is key-format knowledge; every read, write and
#     key goes through a data-access module (records.h, registry.h, changes.h, ...). main.c
#     also opens and closes the store.
#  2. Only storage/store.c (and the store's own unit test) includes RocksDB; the build links
#     it PRIVATE to credit_store.
#  3. Only the RPC layer (server/transport/rpc.c, tls.c), the client library and the RPC layer's
#     own unit test include the gRPC core.
#  4. Each LIBRARY given (the node's libraries above the transport: its rules, data access and
#     services) calls no grpc_ and no rocksdb_ function: what rule 2 and 3 say of the sources,
#     said of the objects, macros and all.
# Prints every offending line and exits 1 if there is one.
set -u
src=${1:?usage: check-layers.sh SOURCE_DIR [LIBRARY...]}
shift
cd "$src" || exit 2
bad=0

allowed='store_batch_create|store_batch_destroy|store_batch_count|store_batch_clear'
allowed="$allowed|store_snapshot_create|store_snapshot_release"
main_allowed="$allowed|store_options_init|store_open|store_close"

# report WHAT FOUND: prints the rule broken and the offending places, if any.
report() {
    if [ -n "$2" ]; then
        echo "$1:"
        echo "$2"
        bad=1
    fi
}

# A call is the name followed by "(", so types (store_batch *) and locals are not calls.
report "a service calls the store directly (use a data-access module)" \
    "$(grep -HnoE '\bstore_[a-z0-9_]+ *\(' server/services/svc_*.c | grep -vE ":($allowed) *\($")"
report "main.c calls the store directly (use a data-access module)" \
    "$(grep -HnoE '\bstore_[a-z0-9_]+ *\(' server/main.c | grep -vE ":($main_allowed) *\($")"
report "a service or main.c names a column family (keys belong to a data-access module)" \
    "$(grep -HnE '\bSTORE_CF_[A-Z_]+' server/services/svc_*.c server/main.c)"

# Every source and header with an #include matching the pattern ('<grpc/': the gRPC core's
# headers, not generated ones such as "grpc/health/v1/health.pb-c.h").
includers() {
    grep -rlE "#include *$1" --include='*.c' --include='*.h' \
        server storage client tools common tests
}
report "only storage/store.c may include RocksDB" \
    "$(includers '[<"]rocksdb/' | grep -vxE 'storage/store\.c|tests/unit/test_store\.c')"
report "only the RPC layer and the client library may include the gRPC core" \
    "$(includers '<grpc/' |
       grep -vxE 'server/transport/rpc\.c|server/transport/tls\.c|client/[^/]+\.c|tests/unit/test_rpc\.c')"

for lib in "$@"; do
    report "$lib calls the gRPC core or RocksDB" \
        "$(nm -u "$lib" | grep -E ' (grpc|gpr|rocksdb)_' | sort -u)"
done

[ "$bad" -eq 0 ] && echo "layers: services see data-access modules only; RocksDB and gRPC stay put"
exit "$bad"
