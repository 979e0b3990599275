#!/bin/sh
# one_time tokens at their expiry boundary (review finding: a token could
# be used twice there).  Runs tests/pam/one_time_boundary.c twice: on the
# replay store with chosen times and concurrent processes, and on the
# module through libpam with an interposed clock that moves on during the
# login.
set -u
. "$(dirname "$0")/testlib"
BIN=$PAMJWT_B/tests/pam/one_time_boundary
[ -x "$BIN" ] || { echo "no $BIN (make tests)" >&2; exit 77; }

# The store: boundary, shared leeways, sweeps up to the horizon, 12
# processes presenting one token while sweeping.
${VALGRIND:-} "$BIN" > "$T/store.out" 2>&1
rc=$?
cat "$T/store.out"
[ "$rc" = 0 ] && ok "replay store at the boundary" || bad "replay store (rc=$rc)"

# The module: first use, then a second use whose login starts one second
# before exp + leeway and whose clock reads exp + leeway after that.
exp=$("$PY" -c 'import base64,json,sys; p=open(sys.argv[1]).read().split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"=="))["exp"])' "$TOK/jti1")
service t "auth required $MOD $BASE one_time leeway=60 replay_dir=$T/replay"
${VALGRIND:-} "$BIN" "$CONF" t "$TOK/jti1" "$exp" > "$T/module.out" 2>&1
rc=$?
cat "$T/module.out"
[ "$rc" = 0 ] && ok "module: one clock reading per login" || bad "module (rc=$rc)"
finish
