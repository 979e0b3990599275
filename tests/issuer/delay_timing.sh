#!/bin/sh
# Review finding 8: timing user enumeration.  The stack refuses unknown
# users at once (pam_succeed_if, before any module asks for a delay) and
# asks pam_faildelay's delay for known ones, as many real stacks do.  Then:
#  - an unknown user's failure and a known user's wrong password are both
#    answered no sooner than fail_delay_ms after the request arrived (the
#    unknown user's first of all, before PAM ever asked for a delay);
#  - the random part comes from a CSPRNG: failures in the same second get
#    different delays (libpam's own random part is seeded by the second,
#    so there they would all be equal).
# Lower bounds only: a slow machine can only make answers later.
. "$(dirname "$0")/helpers.inc"

FLOOR=1500
keygen ES256 "$T/sign.pem"
passdb
pam_stack jwt-issuer "auth requisite pam_succeed_if.so quiet user in alice:bob:carol:dave" \
    "auth optional pam_faildelay.so delay=1000000" \
    "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
pam_workers = 4
rate_limit_per_ip = 0
rate_limit_per_user = 0
fail_delay_ms = $FLOOR
EOC
start_issuerd "$T/iss.conf" "$T/log"

# try USER PASS: prints "CODE SECONDS"
try() {
    curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 30 -d grant_type=password \
        --data-urlencode "username=$1" --data-urlencode "password=$2" "http://127.0.0.1:$ISS_PORT/token"
}
logged() { sed -n "s/.*user=$1 outcome=fail .* delay_ms=\([0-9]*\)\$/\1/p" "$T/log" | tail -n 1; }
at_least() { awk -v s="$1" -v ms="$2" 'BEGIN { exit !(s * 1000 >= ms) }'; }

set -- $(try mallory x)
[ "$1" = 400 ] || fail "unknown user: $1"
d=$(logged mallory)
[ -n "$d" ] && [ "$d" -ge $FLOOR ] || fail "unknown user held $d ms, fail_delay_ms is $FLOOR"
at_least "$2" "$d" || fail "unknown user answered after $2 s, before its $d ms"
ok "unknown user, before PAM ever asked for a delay: answered after $2 s (held $d ms >= $FLOOR)"
set -- $(try alice wrong)
[ "$1" = 400 ] || fail "wrong password: $1"
d=$(logged alice)
[ -n "$d" ] && [ "$d" -ge $FLOOR ] || fail "known user held $d ms"
at_least "$2" "$d" || fail "known user answered after $2 s, before its $d ms"
ok "known user, wrong password: answered after $2 s (held $d ms >= $FLOOR)"
set -- $(try mallory2 x)
d=$(logged mallory2)
[ "$d" -ge $FLOOR ] && at_least "$2" "$d" || fail "second unknown user: $2 s, $d ms"
ok "unknown user again: $2 s (held $d ms)"

# Rounds of 4 concurrent failures (known users: PAM asks for the same
# delay, and libpam would randomise it the same within a second).
for round in 1 2 3; do
    P=""
    for u in alice bob carol dave; do
        try "$u" "wrong$round" > "$T/r.$u" &
        P="$P $!"
    done
    PIDS="$PIDS $P"
    for p in $P; do wait "$p" || true; done
    ds=""
    for u in alice bob carol dave; do
        set -- $(cat "$T/r.$u")
        [ "$1" = 400 ] || fail "round $round, $u: $1"
        d=$(logged "$u")
        [ "$d" -ge $FLOOR ] && at_least "$2" "$d" || fail "round $round, $u: $2 s for $d ms"
        ds="$ds $d"
    done
    n=$(echo $ds | tr ' ' '\n' | sort -u | wc -l)
    [ "$n" -gt 1 ] || fail "round $round: 4 concurrent failures got the same delay ($ds ms): not random"
    ok "round $round: 4 concurrent failures held$ds ms: $n different values, each >= $FLOOR and <= the client's time"
done
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
done_cases
