#!/bin/sh
# Review finding 20: per-address limits count an IPv6 client by its /64
# (ipv6_prefix), so rotating through the addresses of one /64 does not
# escape them.  Only ::1 is on loopback, so the clients are simulated:
# X-Forwarded-For values from the trusted proxy 127.0.0.1.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/base.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
trusted_proxies = 127.0.0.1
rate_limit_per_ip = 3
rate_limit_per_user = 0
EOC
as() {   # as ADDR USER PASS: prints the status code
    login "$2" "$3" -H "X-Forwarded-For: $1"
}

# ---- rate limit, default prefix (/64) -----------------------------------------
cp "$T/base.conf" "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log"
for i in 1 2 3; do
    [ "$(as "2001:db8:1:2::$i" "nouser$i" x)" = 400 ] || fail "failure $i"
done
code=$(as 2001:db8:1:2:abcd::4 alice secret)
[ "$code" = 429 ] || fail "a 4th address in the same /64 was not throttled: $code"
grep -q 'login: addr=2001:db8:1:2:abcd::4 user=alice outcome=throttled' "$T/log" ||
    fail "the log line must keep the full address"
ok "3 failures from 3 addresses of one /64, then the 4th address is throttled (log keeps the full address)"
[ "$(as 2001:db8:1:3::1 alice secret)" = 200 ] || fail "the next /64 was throttled too"
ok "the neighbouring /64 is another client"
[ "$(as 198.51.100.4 alice secret)" = 200 ] || fail "IPv4 client throttled"
ok "IPv4 clients keep their own address as the bucket"
stop_issuerd

# ---- requests in progress per client: max_connections_per_ip by /64 ----------
# Failures are held 5 s (pam_faildelay): two of them fill a /64's two places.
pam_stack jwt-issuer "auth required pam_faildelay.so delay=5000000" \
    "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
sed 's/^rate_limit_per_ip = 3/rate_limit_per_ip = 0/' "$T/base.conf" > "$T/iss.conf"
echo "max_connections_per_ip = 2" >> "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log2"
H=""
for i in 1 2; do
    as "2001:db8:5:5::$i" "held$i" x > "$T/held.$i" &
    H="$H $!"
done
PIDS="$PIDS $H"
inflight2() { [ "$(metric jwt_issuerd_requests_in_flight)" = 2 ]; }
wait_for inflight2 || fail "the two held requests are not in flight"
code=$(as 2001:db8:5:5::3 alice secret)
[ "$code" = 503 ] || fail "a third request from the same /64 while two are held: $code, want 503"
ok "two requests held for one /64: a third from another address of it is refused (503)"
code=$(as 2001:db8:5:6::1 alice secret)
[ "$code" = 200 ] || fail "another /64 while the first is full: $code"
ok "another /64 is not affected"
for p in $H; do wait "$p" || true; done
[ "$(cat "$T/held.1")" = 400 ] && [ "$(cat "$T/held.2")" = 400 ] || fail "held requests: $(cat "$T"/held.*)"
[ "$(as 2001:db8:5:5::3 alice secret)" = 200 ] || fail "places not given back"
ok "the places are given back when the held requests end"
stop_issuerd

# ---- ipv6_prefix ------------------------------------------------------------------
matrix_stack
for prefix in 128 48; do
    { cat "$T/base.conf"; echo "ipv6_prefix = $prefix"; } > "$T/iss.conf"
    start_issuerd "$T/iss.conf" "$T/log$prefix"
    for i in 1 2 3; do
        [ "$(as "2001:db8:1:$i::1" "nouser$i" x)" = 400 ] || fail "/$prefix: failure $i"
    done
    code=$(as 2001:db8:1:4::1 alice secret)
    case $prefix in
        128) [ "$code" = 200 ] || fail "ipv6_prefix = 128: other addresses throttled ($code)" ;;
        48)  [ "$code" = 429 ] || fail "ipv6_prefix = 48: the /48 not throttled ($code)" ;;
    esac
    stop_issuerd
done
ok "ipv6_prefix = 128 counts single addresses, ipv6_prefix = 48 whole /48s"
for bad in 0 129 x; do
    { cat "$T/base.conf"; echo "ipv6_prefix = $bad"; } > "$T/bad.conf"
    "$PAMJWT_ISSUERD" -t -c "$T/bad.conf" > /dev/null 2>&1 && fail "ipv6_prefix = $bad accepted"
done
ok "ipv6_prefix outside 1-128 is a configuration error"
done_cases
