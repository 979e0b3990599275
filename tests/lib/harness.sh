# tests/lib/harness.sh: the shell test harness every group shares (sourced,
# POSIX sh; not a test itself).  A test does
#     . "$TOP/tests/lib/harness.sh"      (or "$(dirname "$0")/../lib/harness.sh")
#     harness_init NAME
#     ... ok "what held" ... fail "what did not"
#     done_cases
# Nothing here touches the machine: files live under $T, processes are
# ended by PID, waits are bounded, PAM stacks live in a private confdir.
#
# Set-up and cleanup
#   harness_init [NAME]     $T = a fresh mode-0700 directory $TMPDIR/NAME.XXXXXX
#                           (tests/run.sh exports a TMPDIR that passes the
#                           file trust rule, tests/lib/tmpdir.sh); an EXIT trap
#                           runs harness_cleanup, INT/TERM exit 1; cases=0.
#   on_exit CMD             run CMD (eval'd) at exit before the PIDs are ended,
#                           e.g. to remove a throwaway user; may be repeated.
#   track PID...            end PID at exit (the list is $PIDS; tests may
#                           also append to it directly).
#   stop_pid PID [TENTHS]   SIGTERM, wait up to TENTHS/10 s (default 50),
#                           then SIGKILL; returns at once if PID is gone.
#   harness_cleanup         what the EXIT trap runs: on_exit commands, every
#                           tracked PID stopped, $T removed.
# Verdicts
#   ok MSG                  count a passed case, print "ok N - MSG".
#   fail MSG                print "FAIL: MSG" and the last $FAIL_TAIL (15)
#                           lines of each file matching $FAIL_LOGS (a list of
#                           globs, default $T/log*, expanded at fail; ' '
#                           for none), exit 1.
#   bad MSG                 record a failed case and go on (see finish).
#   skip MSG                print MSG on stderr, exit 77 (run.sh: skipped).
#   done_cases              print "# cases passed: N" (tests/run.sh adds N up).
#   finish                  run $HARNESS_BEFORE_FINISH (a command, if set),
#                           done_cases; exit 1 if any bad, else exit 0.
# Waiting
#   wait_for CMD...         run CMD until it succeeds, at most $WAIT_TRIES
#                           (200) times $WAIT_STEP (0.05) s apart; 1 if never.
#   free_port               a free TCP port on 127.0.0.1 (for programs that
#                           cannot listen on port 0 and report the port).
# Keys and PAM
#   keygen ALG FILE         a private key, mode 0600: ES256, EdDSA, RS<bits>.
#   pam_stack NAME LINE...  write service NAME into $PAM_CONFDIR (default
#                           $T/pam.d), one line per argument.
# The issuer
#   start_issuerd CONF LOG  jwt-issuerd -c CONF in the background (under
#                           $VALGRIND if set), stderr to LOG; waits (10 s) for
#                           "info: ready", sets ISS_PID (tracked) and ISS_PORT
#                           from the "listening on 127.0.0.1:PORT" line (so
#                           CONF should say listen = 127.0.0.1:0).
#   stop_issuerd            SIGTERM, bounded wait; sets ISS_RC.
# valgrind
#   vg_scan DIR [EXEMPT]    check every valgrind log DIR/vg.*: memory errors,
#                           definite leaks, and descriptors open at exit and
#                           not inherited (a block whose stack matches the
#                           extended regex EXEMPT is by design).  Prints one
#                           line per problem and a summary; 0 when clean,
#                           1 with problems or no logs at all.
#   vg_init yes|no          for a valgrind suite: skip without valgrind or on a
#                           sanitizer build, harness_init, then export
#                           VALGRIND (memcheck, $VG_OPTS, one log a process in
#                           $T/vg.PID, --child-silent-after-fork=yes|no).

PIDS=${PIDS:-}
cases=${cases:-0}
HARNESS_BAD=0
HARNESS_ON_EXIT=""

harness_init() {
    T=$(mktemp -d "${TMPDIR:-/tmp}/${1:-pamjwt-test}.XXXXXX") ||
        { echo "mktemp failed" >&2; exit 1; }
    chmod 0700 "$T"
    trap harness_cleanup EXIT
    trap 'exit 1' INT TERM
}

on_exit() { HARNESS_ON_EXIT="$HARNESS_ON_EXIT
$*"; }

track() { PIDS="$PIDS $*"; }

stop_pid() {
    _p=$1; _n=${2:-50}; _i=0
    kill "$_p" 2>/dev/null || return 0
    while kill -0 "$_p" 2>/dev/null && [ $_i -lt "$_n" ]; do sleep 0.1; _i=$((_i + 1)); done
    kill -9 "$_p" 2>/dev/null || true
}

harness_cleanup() {
    set +e      # a failing on_exit command must not skip the rest
    [ -z "$HARNESS_ON_EXIT" ] || eval "$HARNESS_ON_EXIT"
    for _p in $PIDS; do kill "$_p" 2>/dev/null || true; done
    for _p in $PIDS; do stop_pid "$_p"; done
    [ -z "${T:-}" ] || rm -rf "$T"
}

ok() { cases=$((cases + 1)); echo "ok $cases - $*"; }
bad() { HARNESS_BAD=$((HARNESS_BAD + 1)); echo "FAIL - $*"; }
skip() { echo "$*" >&2; exit 77; }
done_cases() { echo "# cases passed: $cases"; }
finish() {
    [ -z "${HARNESS_BEFORE_FINISH:-}" ] || $HARNESS_BEFORE_FINISH
    done_cases
    [ "$HARNESS_BAD" -eq 0 ] || { echo "$HARNESS_BAD case(s) failed"; exit 1; }
    exit 0
}

fail() {
    echo "FAIL: $*" >&2
    for _l in ${FAIL_LOGS:-${T:-/nonexistent}/log*}; do
        [ -f "$_l" ] || continue
        echo "--- last lines of $(basename "$_l"):" >&2
        tail -n "${FAIL_TAIL:-15}" "$_l" >&2
    done
    exit 1
}

wait_for() {
    _w=0
    until "$@"; do
        _w=$((_w + 1)); [ $_w -lt "${WAIT_TRIES:-200}" ] || return 1
        sleep "${WAIT_STEP:-0.05}"
    done
}

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

keygen() {
    case $1 in
        ES256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" 2>/dev/null ;;
        EdDSA) openssl genpkey -algorithm ED25519 -out "$2" 2>/dev/null ;;
        RS*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#RS}" -out "$2" 2>/dev/null ;;
    esac
    chmod 600 "$2"
}

pam_stack() {
    _c=${PAM_CONFDIR:-$T/pam.d}
    mkdir -p "$_c"
    _name=$1; shift
    : > "$_c/$_name"
    for _l in "$@"; do printf '%s\n' "$_l" >> "$_c/$_name"; done
}

start_issuerd() {
    : "${PAMJWT_ISSUERD:?PAMJWT_ISSUERD not set (run through tests/run.sh)}"
    # Emptied here, not only by the child's 2>: a LOG reused from a previous
    # daemon would otherwise show its "ready" before the child truncates it.
    : > "$2"
    ${VALGRIND:-} "$PAMJWT_ISSUERD" -c "$1" 2>"$2" &
    ISS_PID=$!
    track "$ISS_PID"
    _i=0
    while ! grep -q 'info: ready' "$2" 2>/dev/null; do
        kill -0 "$ISS_PID" 2>/dev/null || { cat "$2" >&2; fail "jwt-issuerd exited at startup"; }
        _i=$((_i + 1)); [ $_i -lt 100 ] || fail "jwt-issuerd not ready after 10 s"
        sleep 0.1
    done
    ISS_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$2" | head -n 1)
    [ -n "$ISS_PORT" ] || fail "no listening line in $2"
}

stop_issuerd() {
    kill -TERM "$ISS_PID"
    _i=0
    while kill -0 "$ISS_PID" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    ISS_RC=0
    wait "$ISS_PID" || ISS_RC=$?
}

VG_OPTS="--quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=yes"

vg_init() {
    command -v valgrind >/dev/null || skip "valgrind not installed"
    [ -z "${PAMJWT_SAN:-}" ] || skip "sanitizer build: valgrind runs on the plain build"
    harness_init pamjwt-vg
    VALGRIND="valgrind $VG_OPTS --child-silent-after-fork=$1 --log-file=$T/vg.%p"
    export VALGRIND
}

# One rule for both valgrind suites (they used to differ): the memory error
# patterns are the union of theirs (Syscall param included), every kind of
# descriptor counts (files, AF_UNIX, AF_INET, AF_INET6), and a whole block
# decides whether a descriptor was inherited, not just its next line.
# Never counted: fds 0-2, nss_wrapper's passwd/group files (kept open by
# design), valgrind's own log file.
vg_scan() {
    _dir=$1; _ex=${2:-}
    _n=0; _errs=0
    for _f in "$_dir"/vg.*; do
        [ -f "$_f" ] || continue
        _n=$((_n + 1))
        if grep -q -E 'Invalid (read|write)|uninitialised|definitely lost: [1-9]|Conditional jump|Mismatched free|Invalid free|Syscall param' "$_f"; then
            _errs=$((_errs + 1)); echo "memcheck: $_f"; head -n 60 "$_f"
        fi
        _leaked=$(VG_EXEMPT=$_ex awk '
            BEGIN { ex = ENVIRON["VG_EXEMPT"] }
            function judge() {
                if (blk != "" && blk !~ /inherited from parent/ && (ex == "" || blk !~ ex))
                    print head
            }
            /FILE DESCRIPTORS:/ { next }
            /Open (file descriptor|AF_UNIX socket|AF_INET socket|AF_INET6 socket) [0-9]+/ {
                judge(); head = $0; blk = $0; next }
            /^==[0-9]+== *$/ { judge(); blk = ""; next }
            { if (blk != "") blk = blk "\n" $0 }
            END { judge() }' "$_f" |
            grep -v -E 'descriptor [012]:|/(passwd|group|shadow)$|vg\.[0-9]+$' | sort -u || true)
        if [ -n "$_leaked" ]; then
            _errs=$((_errs + 1)); echo "fd left open: $_f"; echo "$_leaked"; head -n 30 "$_f"
        fi
    done
    echo "valgrind logs checked: $_n, with problems: $_errs"
    VG_LOGS=$_n
    [ "$_n" -gt 0 ] || { echo "no valgrind logs: did anything run?"; return 1; }
    [ "$_errs" = 0 ]
}

# tamper_sig TOKEN: the token with the first signature character changed
# (A <-> B): always a different signature.  Overwriting the last characters
# with fixed ones left the token unchanged once in 256 ES256 signatures,
# which end in one of only four characters.
tamper_sig() {
    _s=${1##*.}; _f=${_s%"${_s#?}"}
    [ "$_f" = A ] && _f=B || _f=A
    printf '%s.%s\n' "${1%.*}" "$_f${_s#?}"
}
