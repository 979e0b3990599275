#!/bin/sh
# The PAM suite again under valgrind memcheck: no invalid reads or writes,
# no definite leaks, no file descriptor left open by the module.  Each test
# script runs with $VALGRIND set; every valgrind log is checked afterwards.
# Slow (valgrind starts per harness run), so the suites batch their cases.
set -u
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; exit 77; }
[ -z "${PAMJWT_SAN:-}" ] || { echo "sanitizer build: valgrind runs on the plain build" >&2; exit 77; }
V=$(mktemp -d "${TMPDIR:-/tmp}/pamjwt-vg.XXXXXX")
trap 'rm -rf "$V"' EXIT
VALGRIND="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=yes --child-silent-after-fork=yes --log-file=$V/vg.%p"
export VALGRIND
rc=0
# The four suites run side by side (each has its own temporary directory):
# valgrind is CPU-bound and this halves the wall time on two cores.
SUITES="module_retval module_stack module_one_time module_load"
for t in $SUITES; do
    ( s=$(date +%s); sh "tests/pam/$t.sh" > "$V/$t.out" 2>&1; echo $? > "$V/$t.rc"
      echo "$(( $(date +%s) - s ))" > "$V/$t.secs" ) &
done
wait
for t in $SUITES; do
    echo "== $t under valgrind: $(grep '^# cases passed' "$V/$t.out") in $(cat "$V/$t.secs")s"
    if [ "$(cat "$V/$t.rc")" != 0 ]; then
        rc=1; echo "FAIL: $t"; grep -v '^ok' "$V/$t.out" | tail -n 20
    fi
done
n=0; errs=0
for f in "$V"/vg.*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    # Memory errors and definite leaks: valgrind prints nothing with --quiet
    # unless there is something to say, except the fd report.
    if grep -q -E 'Invalid (read|write)|uninitialised|definitely lost: [1-9]|Conditional jump|Mismatched free|Invalid free' "$f"; then
        errs=$((errs + 1)); echo "memcheck: $f"; head -n 60 "$f"
    fi
    # Open fds at exit that were not inherited from the parent.
    # (nss_wrapper keeps its passwd/group files open by design: not ours.)
    leaked=$(awk '/Open (file descriptor|AF_UNIX socket) [0-9]+/ { fd=$0; getline; if ($0 !~ /inherited from parent/) print fd }' "$f" |
             grep -v -E 'descriptor [012]:|/(passwd|group|shadow)$' || true)
    if [ -n "$leaked" ]; then
        errs=$((errs + 1)); echo "fd left open: $f"; echo "$leaked"
    fi
done
echo "valgrind logs checked: $n, with problems: $errs"
[ "$n" -gt 0 ] || { echo "no valgrind logs: did the suites run?"; exit 1; }
[ "$errs" = 0 ] || rc=1
[ "$rc" = 0 ] && echo "# cases passed: $n"
exit $rc
