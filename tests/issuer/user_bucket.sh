#!/bin/sh
# Review finding 23: the per-user limit keys on the canonical user name
# (ASCII lower case: `Alice`, `ALICE` and `alice` are one bucket, as they
# are one account on a case-folding NSS backend), and
# rate_limit_user_key = user+ip keys it on user and client address, so a
# stranger's guesses cannot make the user's own logins wait (the default,
# `user`, lets them: that is the lockout trade-off the README describes).
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
rate_limit_per_user = 3
rate_limit_per_ip = 0
EOC
as() {   # as ADDR USER PASS: prints the status code
    login "$2" "$3" -H "X-Forwarded-For: $1"
}

# ---- one bucket whatever the case ----------------------------------------------
cp "$T/base.conf" "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log"
i=0
for u in Alice ALICE alice; do
    i=$((i + 1))
    [ "$(as 198.51.100.1 "$u" "wrong$i")" = 400 ] || fail "failure for $u"
done
code=$(as 198.51.100.1 alice secret)
[ "$code" = 429 ] || fail "after Alice, ALICE, alice failed once each, alice: $code, want 429"
[ "$(as 198.51.100.1 aLiCe secret)" = 429 ] || fail "aLiCe not throttled"
ok "Alice, ALICE and alice share one per-user bucket"
[ "$(as 198.51.100.1 carol pw3)" = 200 ] || fail "carol throttled"
ok "other users keep their own bucket"

# The default key is the user alone: a stranger's failures hold alice back.
for i in 1 2 3; do
    [ "$(as 203.0.113.1 dave "wrong$i")" = 400 ] || fail "stranger failure $i"
done
[ "$(as 198.51.100.2 dave pw4)" = 429 ] || fail "rate_limit_user_key = user: another client's failures did not count"
ok "rate_limit_user_key = user (default): anyone's failures make the user wait"
stop_issuerd

# ---- user+ip ---------------------------------------------------------------------
{ cat "$T/base.conf"; echo "rate_limit_user_key = user+ip"; } > "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log2"
i=0
for u in alice Alice ALICE; do
    i=$((i + 1))
    [ "$(as 203.0.113.1 "$u" "wrong$i")" = 400 ] || fail "user+ip: failure for $u"
done
[ "$(as 203.0.113.1 alice secret)" = 429 ] || fail "user+ip: the guessing client was not throttled"
ok "user+ip: the guessing client is throttled for alice (any case)"
[ "$(as 198.51.100.1 alice secret)" = 200 ] || fail "user+ip: alice from her own address was held back"
ok "user+ip: alice from another address logs in meanwhile"
stop_issuerd

{ cat "$T/base.conf"; echo "rate_limit_user_key = ip"; } > "$T/bad.conf"
"$PAMJWT_ISSUERD" -t -c "$T/bad.conf" > /dev/null 2>&1 && fail "rate_limit_user_key = ip accepted"
ok "rate_limit_user_key other than user or user+ip is a configuration error"
done_cases
