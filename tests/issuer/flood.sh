#!/bin/sh
# A flood of wrong-password clients with pam_faildelay in the stack, on ONE
# HTTP thread and ONE PAM helper: other users' good logins still complete
# while the failures are pending (so no thread is held by a fail delay), and
# each failure still waits its delay, measured from the request's arrival.
# (alice's own right password would be refused meanwhile: the helpers let
# nobody try again while a failure's delay runs; privsep_wire.sh tests it.)
# Only ordering and lower bounds are asserted; nothing here depends on the
# machine being fast.
. "$(dirname "$0")/helpers.inc"

DELAY=4000000          # pam_faildelay: 4 s (libpam serves 0.875..1.125 of it)
N=16
keygen EdDSA "$T/sign.pem"
matrix_stack $DELAY
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
threads = 1
pam_workers = 1
rate_limit_per_ip = 0
rate_limit_per_user = 0
EOC
start_issuerd "$T/iss.conf" "$T/log"

i=0; FLOOD=""
while [ $i -lt $N ]; do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 60 \
        -d grant_type=password -d "username=alice" -d "password=wrong$i" \
        "http://127.0.0.1:$ISS_PORT/token" > "$T/flood.$i" &
    FLOOD="$FLOOD $!"
    i=$((i + 1))
done
PIDS="$PIDS $FLOOD"

# Every failure has had its PAM answer and now sits on a timer.
in_flight_is_n() { [ "$(metric jwt_issuerd_requests_in_flight)" = "$N" ]; }
wait_for in_flight_is_n || fail "in flight: $(metric jwt_issuerd_requests_in_flight), want $N"
[ "$(metric 'jwt_issuerd_logins_total{outcome="invalid_grant"}')" = 0 ] \
    || fail "a failure was answered before its delay"
ok "$N failed logins are waiting on timers, none answered yet"

for u in carol dave; do
    case $u in carol) p=pw3 ;; dave) p=pw4 ;; esac
    code=$(login $u $p)
    [ "$code" = 200 ] || fail "good login for $u during the flood: $code"
done
still=0
for p in $FLOOD; do kill -0 "$p" 2>/dev/null && still=$((still + 1)); done
[ "$still" -gt 0 ] || fail "the failures were answered before the good logins"
[ "$(metric 'jwt_issuerd_logins_total{outcome="success"}')" = 2 ] || fail "success count"
ok "2 good logins answered while $still failures still wait (1 HTTP thread, 1 PAM helper)"

for p in $FLOOD; do wait "$p" || true; done
# Each answer is held until its delay (at least pam_faildelay's, see
# faildelay.h) has passed since the request arrived; the daemon logs that
# delay in whole milliseconds, rounded down, and the client's time includes
# connecting and sending, so its time is never below the logged delay: no
# tolerance needed.  If every client waited at least its own delay, the
# sorted client times dominate the sorted logged delays.
cat "$T"/flood.* | awk '{ print $1 }' | sort -u > "$T/codes"
[ "$(cat "$T/codes")" = 400 ] || fail "flood answers: $(cat "$T/codes" | tr '\n' ' ')"
cat "$T"/flood.* | awk '{ print $2 * 1000 }' | sort -n > "$T/times"
sed -n 's/.*outcome=fail .* delay_ms=\([0-9]*\)$/\1/p' "$T/log" | sort -n > "$T/delays"
[ "$(wc -l < "$T/delays")" = $N ] || fail "logged delays: $(wc -l < "$T/delays")"
awk -v min="$(awk "BEGIN { print $DELAY / 1000 * 0.4 }")" '$1 < min { bad = 1 } END { exit bad }' "$T/delays" \
    || fail "a logged delay is under 0.4 x pam_faildelay's: $(cat "$T/delays" | tr '\n' ' ')"
paste "$T/times" "$T/delays" | awk '$1 < $2 { bad = 1 } END { exit bad }' \
    || fail "a failure was answered before its delay: $(paste "$T/times" "$T/delays" | tr '\n' ' ')"
ok "each of the $N failures got 400 no sooner than its PAM fail delay ($(head -n 1 "$T/delays")..$(tail -n 1 "$T/delays") ms)"
n=$(grep -c 'login: addr=127.0.0.1 user=alice outcome=fail' "$T/log")
[ "$n" = $N ] || fail "$n failure log lines, want $N"
ok "one log line per failed attempt"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
done_cases
