#!/bin/sh
# valgrind memcheck over the parts tests/pam/module_valgrind.sh does not
# cover (issue 6):
#   - the long-lived host (tests/pam/longlived, fewer rounds): the module
#     loaded and unloaded by libpam hundreds of times in one process;
#   - jwt-issuerd itself, PAM helpers included (valgrind follows the fork),
#     through the issuer's functional test, the refresh-session test and
#     the hostile-request test;
#   - the fuzz seeds and regressions through the replay binaries (common/
#     on hostile input).
# Pass: no invalid read or write, no use of uninitialised values, no
# definite leak, and no descriptor left open at exit that was not inherited
# (--track-fds=yes).  The wrapped tests' own verdicts are reported too but
# only valgrind's findings decide here (those tests run in make check anyway).
set -u
cd "$(dirname "$0")/../.."
TOP=$(pwd)
export TOP
: "${PAMJWT_B:?}" "${PAMJWT_MODULE:?}" "${PAMJWT_ISSUERD:?}"
. tests/lib/harness.sh
vg_init no
V=$T
rc=0

run() {   # run NAME CMD...: run a wrapped test, keep its output
    name=$1; shift
    s=$(date +%s)
    "$@" > "$V/$name.out" 2>&1
    r=$?
    echo "== $name under valgrind: exit $r, $(( $(date +%s) - s ))s, $(grep '^# cases passed' "$V/$name.out" | tail -n 1)"
    [ $r = 0 ] || tail -n 5 "$V/$name.out" | sed 's/^/    /'
}

LONGLIVED_N=${VALGRIND_LONGLIVED_N:-150} run longlived sh tests/pam/longlived.sh
[ -f tests/issuer/token.sh ] && run issuer_token sh tests/issuer/token.sh
run hostile_requests sh tests/issuer/hostile_requests.sh
# The refresh sessions: the SQLite store, rotation, /revoke, restarts.
[ -f tests/issuer/refresh.sh ] && run issuer_refresh sh tests/issuer/refresh.sh
FUZZ_REPLAY_SKIP=fuzz_issuer run fuzz_replays sh tests/fuzz/replay.sh

# tests/lib/harness.sh's one rule for valgrind logs.  By design, and so
# not counted: the daemon's PAM supervisor and helpers (forked, never
# exec'd) exit holding their own control sockets and signalfd (blocks
# naming helper.c or helper_supervisor.c), and the fuzz replays keep one
# memfd for the whole process (fuzz_file.h).
vg_scan "$V" 'helper(_supervisor)?\.c|fuzz_file\.h' || rc=1
[ "$rc" = 0 ] && echo "# cases passed: $VG_LOGS"
exit $rc
