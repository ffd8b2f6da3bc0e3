#!/usr/bin/env bash
# run-fuzz.sh HARNESS CORPUS_DIR SECONDS MAX_LEN [DICT]
#
# Runs one libFuzzer harness for SECONDS, inputs of at most MAX_LEN bytes, over a copy of
# CORPUS_DIR (the committed seeds and regression inputs stay untouched; new inputs are thrown
# away), one process, one job.
# libFuzzer first runs every corpus file, so a regression input that crashes again fails the
# run at once. Exits 0 when nothing was found; otherwise libFuzzer's status, and the
# temporary directory with the crashing input (crash-*, leak-*, timeout-*) is kept and named.
#
# The long campaign (README, "Fuzzing") is the same script with a larger SECONDS; with
# KEEP_CORPUS=DIR the grown corpus is copied into DIR (never into the repository's seeds).
set -uo pipefail

if [ $# -lt 4 ]; then
    echo "usage: $0 HARNESS CORPUS_DIR SECONDS MAX_LEN [DICT]" >&2
    exit 2
fi
harness=$1 seeds=$2 seconds=$3 max_len=$4 dict=${5:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/$(basename -- "$harness").XXXXXX") || exit 2
mkdir -p "$work/corpus"
if [ -d "$seeds" ]; then
    cp -- "$seeds"/* "$work/corpus/" 2>/dev/null || true
fi

args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len"
      -print_final_stats=1 -artifact_prefix="$work/")
[ -n "$dict" ] && args+=(-dict="$dict")

(cd "$work" && "$harness" "${args[@]}" "$work/corpus")
rc=$?
if [ $rc -ne 0 ]; then
    echo "run-fuzz.sh: $(basename -- "$harness") failed ($rc); inputs kept in $work" >&2
    ls -l "$work" >&2
    exit $rc
fi
if [ -n "${KEEP_CORPUS:-}" ]; then
    mkdir -p "$KEEP_CORPUS" && cp -- "$work"/corpus/* "$KEEP_CORPUS/" 2>/dev/null
fi
rm -rf -- "$work"
exit 0
