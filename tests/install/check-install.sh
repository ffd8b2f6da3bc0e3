#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and builds the example program against it
# with nothing but pkg-config, as a partner would: the header, the generated message headers
# it includes, the library and creditclient.pc must all be there and agree; and the .proto
# files of the wire API must be installed under share/credit/proto, whole.
# usage: check-install.sh BUILD_DIR SOURCE_DIR C_FLAGS...
set -euo pipefail
build=$1 src=$2
shift 2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
for f in include/credit/client.h include/credit/v1/unit.pb-c.h include/credit/v1/record.pb-c.h \
         include/google/protobuf/timestamp.pb-c.h lib/pkgconfig/creditclient.pc bin/creditd \
         bin/creditctl; do
    [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
# The .proto files of the wire API, every one of the source tree's and nothing else, and
# complete: protoc resolves their imports from the installed directory alone (plus its own
# google/protobuf ones).
protos="$prefix/share/credit/proto"
want=$(cd "$src/proto" && ls credit/v1/*.proto)
have=$(cd "$protos" && ls credit/v1/*.proto)
[ "$want" = "$have" ] || { echo "installed protos differ: want [$want] have [$have]"; exit 1; }
[ ! -e "$protos/credit/store" ] || { echo "the store's internal proto was installed"; exit 1; }
# shellcheck disable=SC2086  # one path per word on purpose
(cd "$protos" && protoc -I. -I/usr/include --descriptor_set_out=/dev/null $have)
# shellcheck disable=SC2046  # pkg-config prints several flags on purpose
cc "$@" -Werror -o "$prefix/example" "$src/client/example/whoami.c" \
    $(pkg-config --cflags --libs creditclient)
[ -x "$prefix/example" ]
# The .pc file and the header carry one version, and the soname follows it (major.minor
# before 1.0, where a minor version may change the API).
hdr=$(sed -n 's/^#define CREDIT_VERSION_STRING "\(.*\)"$/\1/p' "$prefix/include/credit/client.h")
pcv=$(pkg-config --modversion creditclient)
[ -n "$hdr" ] && [ "$hdr" = "$pcv" ] || { echo "version: header '$hdr', pkg-config '$pcv'"; exit 1; }
if [ "${hdr%%.*}" = 0 ]; then so=${hdr%.*}; else so=${hdr%%.*}; fi
[ -e "$prefix/lib/libcreditclient.so.$so" ] || { echo "not installed: libcreditclient.so.$so"; exit 1; }
echo "installed into a temporary prefix and built the example with pkg-config (creditclient $pcv): ok"
