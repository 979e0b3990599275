#!/bin/sh
# Connection floods against jwt-issuerd (issue 6): connections beyond the
# per-IP cap are refused while another loopback address still logs in;
# then 1,000 open keep-alive connections, with the daemon's resident memory
# reported (and bounded); no secret in the log.  Clients bind 127.0.0.2 and
# 127.0.0.3 (loopback) to stand for other hosts.
. "$(dirname "$0")/helpers.inc"
. "$(dirname "$0")/hostile.inc"

CAP=100
N=${HOSTILE_KEEPALIVE:-1000}
hostile_setup "max_connections = $((N + 200))" "max_connections_per_ip = $CAP" \
    "connection_timeout = 60" "threads = 2"
$PY "$HOSTILE_PY" flood "$ISS_PORT" "$CAP" > "$T/py.out" 2>&1 ||
    { cat "$T/py.out"; fail "flood (log: $(tail -n 3 "$T/log"))"; }
grep -v '^# cases' "$T/py.out"
ok "per-IP cap $CAP: excess refused, other clients served, slots freed after"
stop_issuerd

# Keep-alive memory: per-IP cap off for this one.
hostile_setup "max_connections = $((N + 200))" "max_connections_per_ip = 0" \
    "connection_timeout = 60" "threads = 2"
$PY "$HOSTILE_PY" keepalive "$ISS_PORT" "$N" "$ISS_PID" > "$T/py.out" 2>&1 ||
    { cat "$T/py.out"; fail "keepalive (log: $(tail -n 3 "$T/log"))"; }
grep -v '^# cases' "$T/py.out"
ok "$N keep-alive connections served, RSS bounded"
hostile_log_clean
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "daemon exit status $ISS_RC"
done_cases
