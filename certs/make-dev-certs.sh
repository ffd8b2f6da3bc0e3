#!/usr/bin/env bash
# make-dev-certs.sh: development PKI for creditd (never use these in production).
#
#   make-dev-certs.sh OUTDIR
#       Make a fresh dev CA, the server certificate, one client certificate per
#       unit in certs/demo-units.tsv, the "bad" test certificates and the CRL.
#       Re-running replaces everything (new CA, new keys).
#   make-dev-certs.sh --issue OUTDIR NAME URI
#       Issue OUTDIR/extra/NAME.crt/.key from the CA in OUTDIR, CN NAME,
#       SAN URI (e.g. urn:credit:unit:foo; "-" for no SAN at all).
#   make-dev-certs.sh --revoke OUTDIR CERTFILE
#       Revoke CERTFILE (issued by the CA in OUTDIR) and atomically replace
#       OUTDIR/crl/ca.crl.pem; its hash name (<hash>.r0) keeps pointing at it.
#
# Layout of OUTDIR:
#   ca.crt ca.key                 dev CA (ECDSA P-256, 10 years)
#   server.crt server.key         CN/SAN localhost, IP 127.0.0.1, serverAuth
#   units/<code>.crt .key         CN <code>, SAN URI urn:credit:unit:<code>, clientAuth
#   units/cn-only.crt .key        CN office, no SAN (CN fallback tests)
#   crl/ca.crl.pem, crl/<hash>.r0 CRL of the dev CA (hash name as made by openssl rehash)
#   bad/foreign.crt .key          claims office, issued by bad/foreign-ca.crt
#   bad/expired.crt .key          office, our CA, valid 2020-01-01 .. 2021-01-01
#   bad/revoked.crt .key          tax, our CA, listed in the CRL
#   bad/unknown.crt .key          our CA, SAN URI urn:credit:unit:nobody-registered
#   extra/                        certificates made with --issue
#   .ca/                          openssl ca database (needed by --issue/--revoke)
set -euo pipefail

PROG=$(basename -- "$0")
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
CNF="$SCRIPT_DIR/openssl-dev-ca.cnf"
UNITS_TSV="$SCRIPT_DIR/demo-units.tsv"
OPENSSL=${OPENSSL:-openssl}

UNIT_O="Credit node dev units"
SERVER_O="Credit node dev"
CA_SUBJ="/O=Credit node dev/CN=Credit node dev CA"
FOREIGN_CA_SUBJ="/O=Somebody else/CN=Foreign dev CA"
URN_PREFIX="urn:credit:unit:"

usage() {
    cat >&2 <<EOF
usage: $PROG OUTDIR
       $PROG --issue OUTDIR NAME URI      (URI "-" for no subjectAltName)
       $PROG --revoke OUTDIR CERTFILE
EOF
    exit 2
}

die() {
    echo "$PROG: $*" >&2
    exit 1
}

# run CMD...: run quietly; on failure show what openssl said and stop.
run() {
    local out
    if ! out=$("$@" 2>&1); then
        printf '%s\n' "$out" >&2
        die "failed: $*"
    fi
}

# newkey_csr KEYFILE CSRFILE SUBJ: new ECDSA P-256 key (mode 0600) and a CSR for it.
newkey_csr() {
    local key=$1 csr=$2 subj=$3
    rm -f -- "$key"
    (
        umask 077
        run "$OPENSSL" req -config "$CNF" -new -nodes -batch \
            -newkey EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
            -keyout "$key" -subj "$subj" -out "$csr"
    )
    chmod 600 -- "$key"
}

# self_signed_ca KEYFILE CERTFILE SUBJ
self_signed_ca() {
    local key=$1 crt=$2 subj=$3
    rm -f -- "$key"
    (
        umask 077
        run "$OPENSSL" req -config "$CNF" -x509 -new -nodes -batch \
            -newkey EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
            -keyout "$key" -subj "$subj" -days 3650 -sha256 \
            -extensions v3_ca -out "$crt"
    )
    chmod 600 -- "$key"
    chmod 644 -- "$crt"
}

# sign EXTSECTION CSR CRT [openssl ca options...]: sign with the CA in $CA_HOME.
sign() {
    local ext=$1 csr=$2 crt=$3
    shift 3
    run "$OPENSSL" ca -config "$CNF" -batch -notext -preserveDN \
        -extensions "$ext" -in "$csr" -out "$crt.tmp" "$@"
    mv -f -- "$crt.tmp" "$crt"
    chmod 644 -- "$crt"
}

# issue DIR NAME CN SAN [openssl ca options...]: key + certificate DIR/NAME.{key,crt}.
# SAN is a full subjectAltName value (URI:...) or "-" for none.
issue() {
    local dir=$1 name=$2 cn=$3 san=$4
    shift 4
    local csr="$CA_HOME/.ca/tmp/$name.csr"
    newkey_csr "$dir/$name.key" "$csr" "/O=$UNIT_O/CN=$cn"
    if [[ $san == - ]]; then
        sign client_nosan_ext "$csr" "$dir/$name.crt" "$@"
    else
        CERT_SAN=$san sign client_ext "$csr" "$dir/$name.crt" "$@"
    fi
    rm -f -- "$csr"
}

init_ca_db() {
    rm -rf -- "$CA_HOME/.ca"
    mkdir -p -- "$CA_HOME/.ca/newcerts" "$CA_HOME/.ca/tmp"
    chmod 700 -- "$CA_HOME/.ca"
    : >"$CA_HOME/.ca/index.txt"
    echo "unique_subject = no" >"$CA_HOME/.ca/index.txt.attr"
    echo 1000 >"$CA_HOME/.ca/crlnumber"
}

# Serialise --issue/--revoke calls on the same OUTDIR (openssl ca does no locking).
lock_ca_db() {
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$CA_HOME/.ca/lock"
        flock 9
    fi
}

# set_crl_hash_name [fresh]: make crl/<hash>.r0 point at crl/ca.crl.pem.
# "fresh" (full run): drop old hash links (ours are symlinks), then rehash.
set_crl_hash_name() {
    local crldir="$CA_HOME/crl" hash link f
    hash=$("$OPENSSL" crl -hash -noout -in "$crldir/ca.crl.pem")
    link="$crldir/$hash.r0"
    if [[ ${1:-} != fresh && -L $link && $(readlink -- "$link") == ca.crl.pem ]]; then
        return 0 # already right: a running creditd never sees it missing
    fi
    if [[ ${1:-} == fresh ]]; then
        for f in "$crldir"/*.r[0-9]*; do
            if [[ -L $f && $(basename -- "$f") =~ ^[0-9a-f]{8}\.r[0-9]+$ ]]; then
                rm -f -- "$f"
            fi
        done
    fi
    if "$OPENSSL" rehash "$crldir" >/dev/null 2>&1 || c_rehash "$crldir" >/dev/null 2>&1; then
        if [[ -e $link ]] && cmp -s -- "$link" "$crldir/ca.crl.pem"; then
            return 0
        fi
    fi
    # Fallback: make the link ourselves, atomically (make under a temp name, then rename).
    ln -sfn ca.crl.pem "$crldir/.$hash.r0.tmp" 2>/dev/null ||
        cp -f -- "$crldir/ca.crl.pem" "$crldir/.$hash.r0.tmp"
    mv -f -T -- "$crldir/.$hash.r0.tmp" "$link"
}

# gen_crl [fresh]: write the CRL to a temp file, then rename it over crl/ca.crl.pem.
gen_crl() {
    local tmp="$CA_HOME/crl/.ca.crl.pem.tmp"
    run "$OPENSSL" ca -config "$CNF" -batch -gencrl -crldays 3650 -out "$tmp"
    chmod 644 -- "$tmp"
    mv -f -- "$tmp" "$CA_HOME/crl/ca.crl.pem"
    set_crl_hash_name "$@"
}

# revoke CERTFILE: revoke (if not already revoked) in the CA database.
revoke() {
    local crt=$1 serial
    serial=$("$OPENSSL" x509 -noout -serial -in "$crt")
    serial=${serial#serial=}
    if awk -F'\t' -v s="$serial" '$1 == "R" && toupper($4) == toupper(s) { f = 1 } END { exit !f }' \
        "$CA_HOME/.ca/index.txt"; then
        echo "$PROG: serial $serial already revoked" >&2
        return 0
    fi
    run "$OPENSSL" ca -config "$CNF" -batch -revoke "$crt" -crl_reason keyCompromise
}

# use_outdir DIR MUST_EXIST: set CA_HOME to the absolute path of DIR.
use_outdir() {
    local dir=$1
    [[ -n $dir ]] || usage
    if [[ $2 == yes ]]; then
        [[ -f $dir/ca.crt && -f $dir/ca.key ]] || die "$dir: no ca.crt/ca.key (run $PROG $dir first)"
    else
        mkdir -p -- "$dir"
    fi
    CA_HOME=$(cd -- "$dir" && pwd)
    export CA_HOME
    if [[ $2 == yes && ! -f $CA_HOME/.ca/index.txt ]]; then
        echo "$PROG: $dir/.ca missing; starting an empty CA database (earlier revocations are not kept)" >&2
        init_ca_db
    fi
    mkdir -p -- "$CA_HOME/.ca/tmp" "$CA_HOME/.ca/newcerts" "$CA_HOME/crl"
}

[[ -f $CNF ]] || die "missing $CNF"
command -v "$OPENSSL" >/dev/null 2>&1 || die "openssl not found"

case "${1:-}" in
--issue)
    [[ $# -eq 4 ]] || usage
    name=$3 uri=$4
    [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "bad NAME '$name' (letters, digits, . _ -)"
    [[ -n $uri ]] || usage
    use_outdir "$2" yes
    lock_ca_db
    mkdir -p -- "$CA_HOME/extra"
    if [[ $uri == - ]]; then san=-; else san="URI:$uri"; fi
    issue "$CA_HOME/extra" "$name" "$name" "$san"
    echo "issued $CA_HOME/extra/$name.crt (SAN: $san)"
    exit 0
    ;;
--revoke)
    [[ $# -eq 3 ]] || usage
    crt=$3
    [[ -f $crt ]] || die "$crt: no such file"
    crt=$(cd -- "$(dirname -- "$crt")" && pwd)/$(basename -- "$crt")
    use_outdir "$2" yes
    lock_ca_db
    # Only certificates of this CA (expired ones too).
    if ! "$OPENSSL" verify -no_check_time -CAfile "$CA_HOME/ca.crt" "$crt" >/dev/null 2>&1; then
        die "$crt was not issued by the CA in $CA_HOME"
    fi
    revoke "$crt"
    gen_crl
    echo "revoked $crt; CRL $CA_HOME/crl/ca.crl.pem updated"
    exit 0
    ;;
-h | --help | "")
    usage
    ;;
-*)
    usage
    ;;
esac

[[ $# -eq 1 ]] || usage
[[ -f $UNITS_TSV ]] || die "missing $UNITS_TSV"

use_outdir "$1" no
init_ca_db
lock_ca_db
mkdir -p -- "$CA_HOME/units" "$CA_HOME/bad" "$CA_HOME/extra" "$CA_HOME/crl"
# Certificates of an earlier run's CA would only confuse: clear what we made before.
rm -f -- "$CA_HOME"/extra/*.crt "$CA_HOME"/extra/*.key "$CA_HOME"/crl/.*.tmp

# The CA.
self_signed_ca "$CA_HOME/ca.key" "$CA_HOME/ca.crt" "$CA_SUBJ"

# The server.
newkey_csr "$CA_HOME/server.key" "$CA_HOME/.ca/tmp/server.csr" "/O=$SERVER_O/CN=localhost"
sign server_ext "$CA_HOME/.ca/tmp/server.csr" "$CA_HOME/server.crt"

# One client certificate per unit.
nunits=0
while IFS=$'\t' read -r code _ || [[ -n ${code:-} ]]; do
    code=${code%$'\r'}
    [[ -z $code || $code == \#* ]] && continue
    [[ $code =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "$UNITS_TSV: bad unit code '$code'"
    [[ $code == cn-only ]] && die "$UNITS_TSV: unit code 'cn-only' is reserved"
    issue "$CA_HOME/units" "$code" "$code" "URI:$URN_PREFIX$code"
    nunits=$((nunits + 1))
done <"$UNITS_TSV"
[[ $nunits -gt 0 ]] || die "$UNITS_TSV: no units"
issue "$CA_HOME/units" cn-only office -

# Bad certificates.
bad="$CA_HOME/bad"
# foreign: claims the office, issued by another CA.
self_signed_ca "$bad/foreign-ca.key" "$bad/foreign-ca.crt" "$FOREIGN_CA_SUBJ"
newkey_csr "$bad/foreign.key" "$CA_HOME/.ca/tmp/foreign.csr" "/O=$UNIT_O/CN=office"
CERT_SAN="URI:${URN_PREFIX}office" run "$OPENSSL" x509 -req -sha256 -days 730 \
    -in "$CA_HOME/.ca/tmp/foreign.csr" -CA "$bad/foreign-ca.crt" -CAkey "$bad/foreign-ca.key" \
    -set_serial "0x$("$OPENSSL" rand -hex 16)" \
    -extfile "$CNF" -extensions client_ext -out "$bad/foreign.crt"
chmod 644 -- "$bad/foreign.crt"
# expired: our CA, the office, valid only in 2020.
issue "$bad" expired office "URI:${URN_PREFIX}office" \
    -startdate 20200101000000Z -enddate 20210101000000Z
# revoked: our CA, tax, valid dates, listed in the CRL.
issue "$bad" revoked tax "URI:${URN_PREFIX}tax"
revoke "$bad/revoked.crt"
# unknown: our CA, a unit code nobody registered.
issue "$bad" unknown nobody-registered "URI:${URN_PREFIX}nobody-registered"

# The CRL and its hash name.
gen_crl fresh
rm -rf -- "$CA_HOME/.ca/tmp"/*

echo "made dev certificates in $CA_HOME: CA, server, $nunits units (+ cn-only), 4 bad, CRL"
