#!/bin/sh
# jwtctl sessions: list (table, --user, --json) and revoke (ID, --user) on a
# store seeded by tests/issuer/store_seed.c; as root it works as the
# store's owner (nothing in the state directory becomes root's), and it
# refuses a missing store (creating none), a 0644 store, an unknown store
# and a caller who is neither root nor the owner.
set -eu
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

J=${PAMJWT_JWTCTL:-}
SEED=${PAMJWT_B:?}/tests/issuer/store_seed
[ -n "$J" ] && [ -x "$J" ] || skip "jwtctl not built (PAMJWT_JWTCTL=$J)"
[ -x "$SEED" ] || skip "no $SEED (make tests)"
J="${VALGRIND:-} $J"
harness_init pamjwt-sessions
FAIL_LOGS=" "
cd "$T"

# As root the store belongs to a service user (nobody), as the daemon's
# does; otherwise to us, and the cases about root are skipped.
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || skip "setpriv missing (util-linux)"
    SVC=65534
    chmod 0755 "$T"
    as_svc() { setpriv --reuid=$SVC --regid=$SVC --clear-groups "$@"; }
else
    SVC=$(id -u)
    as_svc() { "$@"; }
fi
mkdir -m 0700 state
[ "$(id -u)" = 0 ] && chown $SVC:$SVC state
as_svc "$SEED" "$T/state/sessions.db" || fail "store_seed"
S="--store sqlite:$T/state/sessions.db"

run() {
    want=$1; shift
    set +e
    "$@" >out 2>err
    got=$?
    set -e
    if [ "$got" -ne "$want" ]; then
        echo "--- stdout"; cat out; echo "--- stderr"; cat err
        fail "exit $got, want $want: $*"
    fi
}
has() { grep -q -- "$1" "${2:-out}" || { cat "${2:-out}"; fail "no '$1' in ${2:-out}"; }; }
hasnt() { ! grep -q -- "$1" "${2:-out}" || { cat "${2:-out}"; fail "'$1' in ${2:-out}"; }; }
rows() { tail -n +2 out | awk '{print $1}' | tr '\n' ' '; }
not_root_files() {
    [ "$(id -u)" = 0 ] || return 0
    ! find state -user 0 | grep -q . || { ls -la state; fail "root owns a file in state/"; }
}

# ---- usage ------------------------------------------------------------------
run 0 $J sessions --help; has "usage: jwtctl sessions"; has "exit status"
run 0 $J --help; has "sessions"
run 2 $J sessions
run 2 $J sessions $S frobnicate; has "unknown action" err
run 2 $J sessions $S revoke
run 2 $J sessions $S revoke --user alice extra
run 2 $J sessions $S list --no-such-option
run 2 $J sessions --store sqlite:x --state-dir y list
run 2 $J sessions --store memcache://127.0.0.1 list; has "unknown store" err
ok "usage, help and exit status 2"

# ---- list -------------------------------------------------------------------
run 0 $J sessions $S list
head -n 1 out | grep -q '^ID  *USER  *CLIENT  *FROM  *CREATED  *LAST-USED  *EXPIRES  *REFRESHES$' \
    || { cat out; fail "table header"; }
[ "$(rows)" = "aliceOne bobTwo aliceThree " ] || { cat out; fail "rows: $(rows)"; }
grep -q '^aliceOne  *alice  *cli  *192\.0\.2\.1  *[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}Z ' out \
    || { cat out; fail "aliceOne row"; }
grep -q '^bobTwo  *bob  *-  ' out || { cat out; fail "empty client shown as -"; }
! grep -q "$(printf '\033')" out || fail "an escape byte reached the terminal"
not_root_files
ok "list: live sessions oldest first, ISO times, no raw escapes, owner's files"

run 0 $J sessions $S list --user alice
[ "$(rows)" = "aliceOne aliceThree " ] || { cat out; fail "alice rows: $(rows)"; }
run 0 $J sessions $S list --user nobody-here
[ "$(wc -l < out)" -eq 1 ] || { cat out; fail "rows for an unknown user"; }
ok "list --user"

run 0 $J sessions $S list --json
/usr/bin/python3 - out <<'PY' || fail "json list"
import json, sys
a = json.load(open(sys.argv[1]))
assert [s["id"] for s in a] == ["aliceOne", "bobTwo", "aliceThree"], a
assert a[0]["user"] == "alice" and a[0]["rhost"] == "192.0.2.1", a[0]
assert a[2]["client_id"] == "evil\x1b[31m", a[2]
assert isinstance(a[0]["created"], int) and a[0]["expires"] - a[0]["created"] == 3600
assert a[0]["refreshes"] == 0
PY
run 0 $J sessions $S list --user carol --json
[ "$(tr -d ' \n' < out)" = "[]" ] || { cat out; fail "carol's revoked session listed"; }
ok "list --json"

run 0 $J sessions --state-dir "$T/state" list --user bob
[ "$(rows)" = "bobTwo " ] || { cat out; fail "--state-dir"; }
ok "--state-dir DIR means sqlite:DIR/sessions.db"

# ---- revoke -----------------------------------------------------------------
run 0 $J sessions $S revoke bobTwo; has "revoked 1 session(s)"
run 0 $J sessions $S list
[ "$(rows)" = "aliceOne aliceThree " ] || { cat out; fail "after revoke: $(rows)"; }
run 1 $J sessions $S revoke bobTwo; has "no live session" err
run 1 $J sessions $S revoke aliceOld; has "no live session" err
run 1 $J sessions $S revoke nosuchid; has "no live session" err
not_root_files
ok "revoke ID, once; an ended or unknown ID fails"

run 0 $J sessions $S revoke --user alice; has "revoked 2 session(s)"
run 0 $J sessions $S list
[ "$(wc -l < out)" -eq 1 ] || { cat out; fail "sessions left after revoke --user"; }
run 0 $J sessions $S revoke --user alice; has "revoked 0 session(s)"
not_root_files
ok "revoke --user"

# ---- refusals ---------------------------------------------------------------
run 1 $J sessions --store "sqlite:$T/state/none.db" list; has "no session store at $T/state/none.db" err
[ ! -e state/none.db ] || fail "jwtctl created a store"
run 1 $J sessions --state-dir "$T/nodir" list; has "no session store at" err
[ ! -e nodir ] || fail "jwtctl created a directory"
ok "a missing store is an error, and none is created"

chmod 0644 state/sessions.db
run 1 $J sessions $S list; has "mode 0644" err
chmod 0600 state/sessions.db
run 0 $J sessions $S list
ok "a store readable by others is refused"

if [ "$(id -u)" = 0 ]; then
    # Someone neither root nor the owner, who can see the file.
    mkdir -m 0755 open
    chown $SVC:$SVC open
    as_svc "$SEED" "$T/open/sessions.db" || fail "store_seed open/"
    run 1 setpriv --reuid=65533 --regid=65533 --clear-groups \
        ${PAMJWT_JWTCTL} sessions --store "sqlite:$T/open/sessions.db" list
    has "permission denied" err; has "owned by uid $SVC" err
    # And one who cannot even look into the state directory.
    run 1 setpriv --reuid=65533 --regid=65533 --clear-groups \
        ${PAMJWT_JWTCTL} sessions $S list
    has "ermission denied" err
    # A store whose owner does not own its directory: root becomes the
    # file's owner, and the store's trust rule refuses the directory.
    chown 65533 open/sessions.db
    run 1 $J sessions --store "sqlite:$T/open/sessions.db" list
    has "open: owned by uid $SVC" err
    ok "a caller neither root nor the owner is refused"
else
    echo "# not root: the privilege-drop and other-user cases need root"
fi

done_cases
