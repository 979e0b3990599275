#!/bin/sh
# TLS (MHD_USE_TLS) with a certificate generated here: a login over https
# verified against that certificate, plain HTTP refused on the TLS port,
# and a TLS key readable by others refused at startup.
. "$(dirname "$0")/helpers.inc"

tls_cert
keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://127.0.0.1
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
tls_cert = $T/tls.crt
tls_key = $T/tls.key
EOC
start_issuerd "$T/iss.conf" "$T/log"
grep -q "listening on 127.0.0.1:$ISS_PORT (TLS)" "$T/log" || fail "no TLS listening line"

ISS_URL=https://127.0.0.1:$ISS_PORT
code=$(login alice secret --cacert "$T/tls.crt")
[ "$code" = 200 ] || fail "https login: $code $(cat "$T/out")"
TOK=$(json_get "$T/out" access_token)
ok "login over TLS, certificate verified by curl"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/tls.crt" \
    -H "Authorization: Bearer $TOK" "$ISS_URL/userinfo")
[ "$code" = 200 ] || fail "https userinfo: $code"
ok "userinfo over TLS"
code=$(login alice wrong --cacert "$T/tls.crt")
[ "$code" = 400 ] || fail "https wrong password: $code"
ok "wrong password over TLS -> 400"
if curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$ISS_PORT/healthz"; then
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$ISS_PORT/healthz" || true)
    [ "$code" != 200 ] || fail "plain HTTP served on the TLS port"
fi
ok "plain HTTP is not served on the TLS port"
if curl -s -o /dev/null --max-time 5 "$ISS_URL/healthz"; then fail "untrusted certificate accepted by curl?"; fi
ok "the test certificate is really what is served (curl refuses it without --cacert)"
kill -HUP "$ISS_PID"
reloaded() { grep -q 'reloaded' "$T/log"; }
wait_for reloaded || fail "no reload"
code=$(login alice secret --cacert "$T/tls.crt")
[ "$code" = 200 ] || fail "https login after SIGHUP: $code"
ok "TLS keeps working after a SIGHUP reload"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"

chmod 644 "$T/tls.key"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" 2> "$T/err"; then fail "-t accepted a world-readable TLS key"; fi
grep -q "tls.key" "$T/err" || fail "message: $(cat "$T/err")"
ok "a TLS key readable by others is refused"
done_cases
