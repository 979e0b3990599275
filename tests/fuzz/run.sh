#!/bin/sh
# Run libFuzzer targets one after the other (never two at once: the CI
# machine has 2 cores, shared).
#   tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
# Each target fuzzes a scratch corpus BUILD_DIR/fuzz/corpus/TARGET, topped
# up from the committed seeds and regressions (which are never written to),
# with its dictionary.  Crash inputs land in BUILD_DIR/fuzz/artifacts/TARGET/
# (copy them to tests/fuzz/regressions/TARGET/ to keep them).  Prints one
# summary line per target; exits 1 if any target crashed, leaked or timed out.
set -u
cd "$(dirname "$0")/../.."
b=$1; secs=$2; shift 2
# fuzz_issuer's config and keys go under a TMPDIR that passes the file
# trust rule (tests/lib/tmpdir.sh).
. tests/lib/tmpdir.sh
pamjwt_export_tmpdir
trap pamjwt_rm_tmpdir EXIT
trap 'exit 130' INT TERM
fails=""
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
summary=""
for t in "$@"; do
    bin=$b/fuzz/$t
    corpus=$b/fuzz/corpus/$t
    art=$b/fuzz/artifacts/$t
    log=$b/fuzz/$t.log
    mkdir -p "$corpus" "$art"
    for d in tests/fuzz/corpus/$t tests/fuzz/regressions/$t; do
        [ -d "$d" ] && cp -p "$d"/* "$corpus"/ 2>/dev/null
    done
    dict=""
    [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
    echo "== fuzz $t for ${secs}s (log: $log)"
    # -timeout: one input over 10 s is a hang; -rss_limit_mb bounds memory;
    # -max_len lets the deep/huge JSON seeds grow a little.
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=20000 -print_final_stats=1 -artifact_prefix="$art/" \
        $dict "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    n=$(ls "$corpus" | wc -l)
    if [ $rc -eq 0 ]; then res=ok; else res="FAIL(rc=$rc)"; fails="$fails $t"; fi
    line="fuzz $t secs=$secs execs=${execs:-?} ${cov:-cov: ?} corpus=$n result=$res"
    echo "$line"
    summary="$summary$line
"
    if [ $rc -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|Test unit written|^    #[0-9]' "$log" | head -n 40
    fi
done
echo "== fuzz summary"
printf '%s' "$summary"
[ -z "$fails" ] || { echo "fuzz: failed:$fails"; exit 1; }
exit 0
