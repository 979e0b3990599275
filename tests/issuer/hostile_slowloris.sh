#!/bin/sh
# Slowloris against jwt-issuerd (issue 6): 1,000 connections trickling their
# headers a byte at a time are held open while good logins keep succeeding;
# once they stop sending, the idle timeout (connection_timeout) closes every
# one of them; the daemon's descriptors go back down; no secret in the log.
. "$(dirname "$0")/helpers.inc"
. "$(dirname "$0")/hostile.inc"

N=${HOSTILE_SLOWLORIS:-1000}
TIMEOUT=5
hostile_setup "max_connections = $((N + 100))" "max_connections_per_ip = 0" \
    "connection_timeout = $TIMEOUT" "threads = 2"
fds0=$(ls /proc/"$ISS_PID"/fd | wc -l)
# Hold for 2 x the timeout while trickling (each byte resets the timer),
# then allow 4 x the timeout for the daemon to drop them.
HOSTILE_IDLE_WAIT=$((TIMEOUT * 4)) $PY "$HOSTILE_PY" slowloris "$ISS_PORT" "$N" $((TIMEOUT * 2)) \
    > "$T/py.out" 2>&1 || { cat "$T/py.out"; fail "slowloris (log: $(tail -n 3 "$T/log"))"; }
grep -v '^# cases' "$T/py.out"
ok "$N slowloris connections held while good logins succeeded"
ok "the idle timeout closed all $N"
kill -0 "$ISS_PID" || fail "daemon died"
settle() { [ "$(ls /proc/"$ISS_PID"/fd | wc -l)" -le $((fds0 + 8)) ]; }
wait_for settle || fail "daemon descriptors: $fds0 before, $(ls /proc/"$ISS_PID"/fd | wc -l) after"
ok "daemon descriptors back to $(ls /proc/"$ISS_PID"/fd | wc -l) (were $fds0 before)"
hostile_log_clean
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "daemon exit status $ISS_RC"
done_cases
