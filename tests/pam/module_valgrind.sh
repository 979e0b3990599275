#!/bin/sh
# The PAM suite again under valgrind memcheck: no invalid reads or writes,
# no definite leaks, no file descriptor left open by the module.  Each test
# script runs with $VALGRIND set; every valgrind log is checked afterwards.
# Slow (valgrind starts per harness run), so the suites batch their cases.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/harness.sh
vg_init yes
V=$T
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
# tests/lib/harness.sh's one rule for valgrind logs (nss_wrapper's open
# passwd/group files are not ours and are not counted).
vg_scan "$V" || rc=1
[ "$rc" = 0 ] && echo "# cases passed: $VG_LOGS"
exit $rc
