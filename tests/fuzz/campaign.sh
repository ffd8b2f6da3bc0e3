#!/usr/bin/env bash
# campaign.sh BUILD_FUZZ_DIR SECONDS OUTDIR [HARNESS...]
#
# The long fuzzing campaign (README, "Fuzzing"): each harness in turn (one at a time, one
# process, -jobs=1 implied) for SECONDS of wall time over its committed seeds, growing its
# corpus in OUTDIR/corpus/<harness>. A crash does not end a harness's turn: its input is kept
# in OUTDIR/artifacts/<harness>/ and libFuzzer is started again on the grown corpus until the
# time is used. OUTDIR/<harness>.log keeps libFuzzer's output; OUTDIR/summary.tsv one line a
# harness: CPU seconds (user + system of the fuzzer processes), executions, the last cov: and
# ft: figures libFuzzer printed, corpus files, and crash inputs kept.
# Nothing is written into the repository; a crash becomes a regression input by hand.
set -uo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 BUILD_FUZZ_DIR SECONDS OUTDIR [HARNESS...]" >&2
    exit 2
fi
build=$(cd -- "$1" && pwd) || exit 2
seconds=$2 out=$3
shift 3
here=$(cd -- "$(dirname -- "$0")" && pwd)
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(fuzz_request_decode fuzz_record_check
    fuzz_catalogue_text fuzz_json_lines fuzz_csv fuzz_pagetoken fuzz_peer_cert)

declare -A max_len=([fuzz_catalogue_text]=131072 [fuzz_pagetoken]=4096)
mkdir -p "$out"
[ -f "$out/summary.tsv" ] ||
    printf 'harness\tcpu_s\texecs\tcov\tft\tcorpus\tcrashes\n' >"$out/summary.tsv"

for h in "${harnesses[@]}"; do
    bin="$build/tests/fuzz/$h"
    corpus="$out/corpus/$h" art="$out/artifacts/$h" log="$out/$h.log"
    mkdir -p "$corpus" "$art"
    cp -n -- "$here/corpus/$h"/* "$corpus/" 2>/dev/null
    dict=()
    [ -f "$here/$h.dict" ] && dict=(-dict="$here/$h.dict")
    : >"$log"
    start=$(date +%s) cpu=0 execs=0 runs=0
    while [ $runs -lt 50 ]; do
        runs=$((runs + 1))
        left=$((start + seconds - $(date +%s)))
        [ "$left" -lt 5 ] && break
        t0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
        (cd "$art" && "$bin" -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 \
            -max_len="${max_len[$h]:-16384}" -print_final_stats=1 -artifact_prefix="$art/" \
            "${dict[@]}" "$corpus") >>"$log" 2>&1
        rc=$?
        t1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
        cpu=$((cpu + t1 - t0))
        n=$(grep -o 'number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
        execs=$((execs + ${n:-0}))
        echo "campaign.sh: $h exited $rc with $left s left" >>"$log"
        # 0: time used; a crash, leak, timeout or OOM (libFuzzer's 1, 70, 71, 77, or a
        # signal's 128+) runs on; anything else is the harness not starting at all.
        case $rc in 1 | 70 | 71 | 77 | 13[0-9]) ;; *) break ;; esac
    done
    hz=$(getconf CLK_TCK)
    last=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$h" "$((cpu / hz))" "$execs" \
        "$(echo "$last" | awk '{print $2}')" "$(echo "$last" | awk '{print $4}')" \
        "$(ls "$corpus" | wc -l)" "$(ls "$art" | wc -l)" >>"$out/summary.tsv"
done
cat "$out/summary.tsv"
