#!/bin/sh
# Run one test group (unit, interop, pam, issuer, e2e, dist, fuzz) or all of
# them.
#
# Unit tests are the cmocka programs built from tests/unit/test_*.c.  The
# other groups are shell scripts tests/<group>/*.sh (set -eu, exit 0 = pass,
# 77 = skipped with a reason on stderr, anything else = fail); they find the
# build through PAMJWT_B, PAMJWT_MODULE, PAMJWT_ISSUERD and PAMJWT_JWTCTL,
# and share tests/lib/.  In tests/fuzz only replay*.sh are tests: run.sh and
# coverage.sh there drive libFuzzer (make fuzz).
# $VALGRIND, when set, prefixes every test program (tang's convention).
set -u
cd "$(dirname "$0")/.."
TOP=$(pwd)
export TOP
: "${PAMJWT_B:=$TOP/build}"
export PAMJWT_B
# Every test's temp files under a TMPDIR that passes the file trust rule
# (tests/lib/tmpdir.sh): /tmp does not, and the module and the daemon refuse
# what they would trust from there.
. "$TOP/tests/lib/tmpdir.sh"
pamjwt_export_tmpdir
trap pamjwt_rm_tmpdir EXIT
trap 'exit 130' INT TERM
group=${1:-all}
pass=0; fail=0; skip=0; failed=""

run_one() {
    name=$1; shift
    log="$PAMJWT_B/test-logs/$(echo "$name" | tr '/' '_').log"
    mkdir -p "$PAMJWT_B/test-logs"
    start=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    case $rc in
        0)  pass=$((pass + 1)); echo "PASS: $name (${secs}s)" ;;
        77) skip=$((skip + 1)); echo "SKIP: $name: $(tail -n 1 "$log")" ;;
        *)  fail=$((fail + 1)); failed="$failed $name"
            echo "FAIL: $name (rc=$rc, ${secs}s); last lines of $log:"
            tail -n 40 "$log" | sed 's/^/    /' ;;
    esac
    # cmocka prints "[  PASSED  ] N test(s)."; keep a count of cases too.
    n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    [ -n "$n" ] && cases=$((cases + n))
    n=$(sed -n 's/^# cases passed: \([0-9]*\)$/\1/p' "$log" | tail -n 1)
    [ -n "$n" ] && cases=$((cases + n))
    return 0
}
cases=0

run_group() {
    g=$1
    case $g in
        unit)
            for t in "$PAMJWT_B"/tests/unit/test_*; do
                [ -x "$t" ] || continue
                case $t in *.d|*.o) continue ;; esac
                run_one "unit/$(basename "$t")" ${VALGRIND:-} "$t"
            done ;;
        *)
            pat='*.sh'
            [ "$g" = fuzz ] && pat='replay*.sh'
            for t in tests/"$g"/$pat; do
                [ -f "$t" ] || continue
                run_one "$g/$(basename "$t" .sh)" sh "$t"
            done ;;
    esac
}

if [ "$group" = all ]; then
    for g in unit interop pam issuer e2e dist fuzz; do run_group "$g"; done
else
    run_group "$group"
fi

echo "== $group: $pass passed, $fail failed, $skip skipped ($cases test cases inside)"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
exit 0
