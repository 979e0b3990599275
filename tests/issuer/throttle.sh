#!/bin/sh
# Throttling per user and per client address happens before PAM: 429 with
# Retry-After, after the same delay as a PAM failure, even for the right
# password.  Client addresses come from X-Forwarded-For of a trusted proxy,
# so one test machine can play several clients.
. "$(dirname "$0")/helpers.inc"

DELAY=300000
keygen ES256 "$T/sign.pem"
matrix_stack $DELAY
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
rate_limit_per_user = 3
rate_limit_per_ip = 5
trusted_proxies = 127.0.0.1
EOC
start_issuerd "$T/iss.conf" "$T/log"
as() {   # as ADDR USER PASS: prints "CODE SECONDS"
    curl -s -o "$T/out" -D "$T/hdr" -w '%{http_code} %{time_total}' --max-time 30 \
        -H "X-Forwarded-For: $1" -d grant_type=password --data-urlencode "username=$2" \
        --data-urlencode "password=$3" "http://127.0.0.1:$ISS_PORT/token"
}

# ---- per user --------------------------------------------------------------
for i in 1 2 3; do
    set -- $(as 198.51.100.1 alice wrong$i)
    [ "$1" = 400 ] || fail "failure $i: $1"
done
set -- $(as 198.51.100.2 alice secret)
[ "$1" = 429 ] || fail "4th attempt for alice: $1 $(cat "$T/out")"
[ "$(json_get "$T/out" error)" = invalid_request ] || fail "429 body $(cat "$T/out")"
ra=$(sed -n 's/^Retry-After: *\([0-9]*\).*/\1/ip' "$T/hdr" | tr -d '\r')
[ -n "$ra" ] && [ "$ra" -ge 1 ] || fail "Retry-After missing: $(cat "$T/hdr")"
d=$(sed -n 's/.*user=alice outcome=throttled .* delay_ms=\([0-9]*\)$/\1/p' "$T/log" | head -n 1)
[ -n "$d" ] && [ "$d" -gt 0 ] || fail "throttled attempt without a delay: $(grep throttled "$T/log")"
awk -v s="$2" -v d="$d" 'BEGIN { exit !(s * 1000 >= d) }' || fail "429 answered before its delay ($2 s < $d ms)"
ok "per user: 4th attempt -> 429 invalid_request (an RFC 6749 5.2 code), Retry-After $ra, after the fail delay"
helpers_before=$(metric 'jwt_issuerd_pam_seconds_count')
set -- $(as 198.51.100.3 alice secret)
[ "$1" = 429 ] || fail "alice from another address: $1"
[ "$(metric 'jwt_issuerd_pam_seconds_count')" = "$helpers_before" ] || fail "PAM was called while throttled"
ok "throttled before PAM (no PAM call), from any address"
set -- $(as 198.51.100.1 carol pw3)
[ "$1" = 200 ] || fail "carol unaffected: $1"
ok "other users are not throttled"

# ---- per address -------------------------------------------------------------
for i in 1 2 3 4 5; do
    set -- $(as 203.0.113.7 nouser$i x)
    [ "$1" = 400 ] || fail "ip failure $i: $1"
done
set -- $(as 203.0.113.7 dave pw4)
[ "$1" = 429 ] || fail "6th attempt from 203.0.113.7: $1"
ok "per address: 6th attempt -> 429 even with a good password"
set -- $(as 203.0.113.8 dave pw4)
[ "$1" = 200 ] || fail "dave from another address: $1"
ok "other addresses are not throttled"

grep -q 'login: addr=203.0.113.7 user=dave outcome=throttled' "$T/log" || fail "throttled log line"
v=$(metric jwt_issuerd_throttled_total)
[ "$v" = 3 ] || fail "throttled_total $v"
ok "throttled attempts logged and counted"

# ---- limits off ----------------------------------------------------------------
stop_issuerd
sed -i 's/^rate_limit_per_user = 3/rate_limit_per_user = 0/; s/^rate_limit_per_ip = 5/rate_limit_per_ip = 0/' "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log2"
for i in 1 2 3 4 5 6 7; do
    set -- $(as 198.51.100.1 alice wrong$i)
    [ "$1" = 400 ] || fail "limits off, failure $i: $1"
done
ok "rate limits of 0 disable throttling"
stop_issuerd
done_cases
