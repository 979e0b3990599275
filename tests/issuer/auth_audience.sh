#!/bin/sh
# Review finding 5: /auth and /userinfo accept only tokens made for them.
# A token for ssh:web1 (an allowed_audiences value, meant for one host) is
# refused there; auth_audience names the audiences they accept (default:
# audience), and SIGHUP applies a change.  The revocation list (`revoked`,
# the module's file format) applies to both endpoints: a revoked jti and a
# revoked sub are refused, and a new entry counts after SIGHUP.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
base_conf() {
    cat <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
audience = hosts
allowed_audiences = ssh:web1, web
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
rate_limit_per_ip = 0
rate_limit_per_user = 0
EOC
}
base_conf > "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log"
U=http://127.0.0.1:$ISS_PORT

token() {   # token USER PASS [AUDIENCE]: prints an access token
    if [ -n "${3:-}" ]; then
        code=$(login "$1" "$2" --data-urlencode "audience=$3")
    else
        code=$(login "$1" "$2")
    fi
    [ "$code" = 200 ] || fail "token for $1 ${3:-}: $code $(cat "$T/out")"
    json_get "$T/out" access_token
}
jti_of() {
    $PY -c 'import jwt,sys; print(jwt.decode(sys.argv[1], options={"verify_signature": False})["jti"])' "$1"
}
accepted() {   # accepted WHAT TOKEN: 200 on /auth (with X-Auth-User) and /userinfo
    for ep in auth userinfo; do
        code=$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code}' \
            -H "Authorization: Bearer $2" "$U/$ep")
        [ "$code" = 200 ] || fail "$1 on /$ep: $code $(cat "$T/body")"
    done
    ok "$1: accepted on /auth and /userinfo"
}
refused() {    # refused WHAT TOKEN: 401 invalid_token on both
    for ep in auth userinfo; do
        code=$(curl -s -D "$T/hdr" -o "$T/body" -w '%{http_code}' \
            -H "Authorization: Bearer $2" "$U/$ep")
        [ "$code" = 401 ] || fail "$1 on /$ep: $code $(cat "$T/body")"
        grep -qi '^WWW-Authenticate: Bearer .*error="invalid_token"' "$T/hdr" \
            || fail "$1 on /$ep: no invalid_token challenge"
    done
    ok "$1: 401 invalid_token on /auth and /userinfo"
}
reload() {     # reload: SIGHUP and wait for the next "reloaded" line
    n=$(grep -c 'reloaded' "$T/log" || true)
    kill -HUP "$ISS_PID"
    more() { [ "$(grep -c 'reloaded' "$T/log" || true)" -gt "$n" ]; }
    wait_for more || fail "no reload: $(grep -E 'reload|error' "$T/log" | tail -n 2)"
}

T_HOSTS=$(token alice secret)
T_SSH=$(token alice secret ssh:web1)
T_WEB=$(token alice secret web)
accepted "a token for the issuer's own audience" "$T_HOSTS"
refused "a token for ssh:web1" "$T_SSH"
refused "a token for web (not an auth_audience yet)" "$T_WEB"
grep -q 'bearer: addr=127.0.0.1 path=/auth outcome=invalid reason="[^"]*aud' "$T/log" \
    || fail "refused for another reason than the audience: $(grep bearer: "$T/log" | tail -n 1)"
ok "the refusal is logged as an audience mismatch"

# auth_audience and a revocation list, applied by SIGHUP.
T_HOSTS2=$(token alice secret)
T_CAROL=$(token carol pw3 web)
{ echo "# revoked by the test"; echo "jti $(jti_of "$T_HOSTS2")"; echo "sub carol"; } > "$T/revoked"
chmod 644 "$T/revoked"
{ base_conf; echo "auth_audience = web, hosts"; echo "revoked = $T/revoked"; } > "$T/iss.conf"
reload
accepted "a token for web (auth_audience = web, hosts)" "$T_WEB"
accepted "a token for hosts" "$T_HOSTS"
refused "a token for ssh:web1 (still not an auth_audience)" "$T_SSH"
refused "a token whose jti is revoked" "$T_HOSTS2"
refused "a token whose sub is revoked" "$T_CAROL"
grep -q 'bearer: .* outcome=invalid reason="[^"]*revoked' "$T/log" \
    || fail "no revocation in the log: $(grep bearer: "$T/log" | tail -n 2)"
ok "the revocations are logged as such"

echo "jti $(jti_of "$T_WEB")" >> "$T/revoked"
reload
refused "a token revoked after startup (SIGHUP re-reads the list)" "$T_WEB"
accepted "a token not on the list" "$T_HOSTS"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"

# Configurations that cannot work are refused by -t.
{ base_conf; echo "auth_audience = app"; } > "$T/bad.conf"
if "$PAMJWT_ISSUERD" -t -c "$T/bad.conf" >/dev/null 2>"$T/err"; then fail "-t accepted an auth_audience no token can have"; fi
grep -q 'auth_audience app' "$T/err" || fail "message: $(cat "$T/err")"
ok "-t refuses an auth_audience that is neither audience nor allowed"
echo "serial 12" > "$T/revoked.bad"
{ base_conf; echo "revoked = $T/revoked.bad"; } > "$T/bad.conf"
if "$PAMJWT_ISSUERD" -t -c "$T/bad.conf" >/dev/null 2>"$T/err"; then fail "-t accepted a malformed revocation list"; fi
grep -q 'revoked.bad:1' "$T/err" || fail "message: $(cat "$T/err")"
ok "-t refuses a malformed revocation list (file:line)"
chmod 666 "$T/revoked"
{ base_conf; echo "revoked = $T/revoked"; } > "$T/bad.conf"
if "$PAMJWT_ISSUERD" -t -c "$T/bad.conf" >/dev/null 2>"$T/err"; then fail "-t accepted a world-writable revocation list"; fi
ok "-t refuses a revocation list others can write"
done_cases
