#!/bin/sh
# make run on a busy port (review finding: the demo printed its whole
# banner, then the daemon failed to bind and the instructions pointed at
# somebody else's server): etc/demo/run.sh stops before the banner, before
# it writes its state folder, and names PORT=.  The listener is on
# 127.0.0.1 (a wildcard one would reach the network).
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
. tests/lib/harness.sh
: "${PAMJWT_ISSUERD:=$TOP/issuer/jwt-issuerd/jwt-issuerd}"
: "${PAMJWT_JWTCTL:=$TOP/issuer/jwtctl/jwtctl}"
: "${PAMJWT_MODULE:=$TOP/pam_module/pam_jwt.so}"
export PAMJWT_ISSUERD PAMJWT_JWTCTL PAMJWT_MODULE
PY=/usr/bin/python3
for f in "$PAMJWT_ISSUERD" "$PAMJWT_JWTCTL" "$PAMJWT_MODULE"; do
    [ -f "$f" ] || skip "not built yet: $f"
done
[ -f /usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so ] || skip "pam_matrix.so missing (libpam-wrapper)"
command -v ss >/dev/null || skip "ss (iproute2) missing: run.sh cannot look at the port"
harness_init pamjwt-demo-port

# occupy HOW: a listener on 127.0.0.1, tracked;
# sets $port once it listens.  Not in $(...): track must reach this shell.
occupy() {
    $PY -u -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1])
time.sleep(120)' "$1" > "$T/port.$1" &
    track $!
    has_port() { [ -s "$T/port.$1" ]; }
    wait_for has_port "$1" || fail "the python listener did not start"
    port=$(cat "$T/port.$1")
}

for how in v4; do
    occupy $how
    rc=0
    PORT=$port PAMJWT_DEMO_STATE=$T/state.$how sh etc/demo/run.sh > "$T/out.$how" 2> "$T/err.$how" || rc=$?
    [ "$rc" != 0 ] || fail "$how: run.sh on a busy port exited 0"
    grep -q 'pamjwt demo' "$T/out.$how" "$T/err.$how" && fail "$how: the banner was printed: $(cat "$T/out.$how")"
    grep -q "port $port is already in use" "$T/err.$how" || fail "$how: no busy-port message: $(cat "$T/err.$how")"
    grep -q "make run PORT=" "$T/err.$how" || fail "$how: PORT= not suggested: $(cat "$T/err.$how")"
    [ ! -e "$T/state.$how" ] || fail "$how: state folder written before the port check"
    ok "busy port ($how listener): run.sh stops before its banner and suggests PORT="
done
done_cases
