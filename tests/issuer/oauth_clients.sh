#!/bin/sh
# OAuth clients at /token (RFC 6749 2.3, 4.3.2): HTTP Basic is client
# authentication when the form carries the username, client_id and
# client_secret in the form are the other method, never both; registered
# clients (`client =`) are checked, unknown ones and wrong secrets are 401
# invalid_client (counted by the throttles), a client's `audiences=` limits
# what it may ask for.  requests-oauthlib's LegacyApplicationClient and
# authlib's OAuth2Session run against the daemon over TLS with a test
# certificate; every token they get is verified with the module's rules
# (jwtctl verify).  Without registrations any client_id is accepted and
# `curl -u user:pass` stays a convenience.
. "$(dirname "$0")/helpers.inc"

$PY -c 'import requests_oauthlib, authlib' 2>/dev/null \
    || skip "python3-requests-oauthlib or python3-authlib missing (tests/deps.sh)"
tls_cert
keygen ES256 "$T/sign.pem"
matrix_stack
SECRET=webapp-S3cret.value_~1
printf '%s\n' "$SECRET" > "$T/webapp.secret"
chmod 600 "$T/webapp.secret"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://127.0.0.1
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
tls_cert = $T/tls.crt
tls_key = $T/tls.key
fail_delay_ms = 200
allowed_audiences = ssh:*
client = webapp secret_file=$T/webapp.secret
client = cli
client = sshonly secret_file=$T/webapp.secret audiences=ssh:*
EOC
"$PAMJWT_ISSUERD" -t -c "$T/iss.conf" 2> "$T/err" || fail "-t: $(cat "$T/err")"
start_issuerd "$T/iss.conf" "$T/log"
ISS_URL=https://127.0.0.1:$ISS_PORT
export REQUESTS_CA_BUNDLE="$T/tls.crt"
C="--cacert $T/tls.crt"

curl -sf $C "$ISS_URL/.well-known/jwks.json" > "$T/jwks.json" || fail "jwks"
verify() {   # verify TOKENFILE [AUDIENCE]: the module's checks
    "$PAMJWT_JWTCTL" verify issuer=https://127.0.0.1 \
        audience="${2:-https://127.0.0.1}" key="$T/jwks.json" --user alice - \
        < "$1" > "$T/verify.out" 2>&1 || fail "jwtctl verify $1: $(cat "$T/verify.out")"
}

# ---- the client libraries ----------------------------------------------------
$PY "$(dirname "$0")/oauth_clients.py" "$ISS_URL/token" "$T" > "$T/py.out" 2>&1 \
    || { cat "$T/py.out" >&2; fail "client libraries"; }
cat "$T/py.out"
for t in oauthlib_basic oauthlib_public oauthlib_public_basic \
         authlib_client_secret_basic authlib_client_secret_post authlib_none; do
    verify "$T/$t.tok"
done
verify "$T/authlib_sshonly.tok" ssh:web1
ok "every token the libraries got passes jwtctl verify (the module's rules)"
grep -q 'user=alice outcome=success reason="authenticated" client=webapp delay_ms=' "$T/log" \
    || fail "no client= in the login line: $(grep 'login:' "$T/log" | head -n 3)"
if grep -q "$SECRET" "$T/log"; then fail "the client secret is in the log"; fi
ok "the login line names the client, never its secret"

# ---- curl: the same rules, status and headers ----------------------------------
tok() {   # tok [curl args]: POST /token for alice, prints the status
    curl -s -o "$T/out" -D "$T/hdr" -w '%{http_code}' --max-time 30 $C \
        --data-urlencode grant_type=password "$@" "$ISS_URL/token"
}
up="--data-urlencode username=alice --data-urlencode password=secret"

code=$(tok $up -u "webapp:$SECRET")
[ "$code" = 200 ] || fail "RFC 6749 4.3.2: Basic client + user in the form: $code $(cat "$T/out")"
ok "HTTP Basic client authentication with the user in the form (RFC 6749 4.3.2) -> 200"
# Basic is form-urlencoded (RFC 6749 2.3.1): '-' as %2D still matches.
code=$(tok $up -H "Authorization: Basic $(printf 'webapp:%s' "$SECRET" | sed 's/-/%2D/' | base64 -w0)")
[ "$code" = 200 ] || fail "form-urlencoded Basic: $code $(cat "$T/out")"
ok "HTTP Basic client credentials are form-urldecoded"

check_401() {   # check_401 WHAT CODE BASIC(0|1)
    [ "$2" = 401 ] && [ "$(json_get "$T/out" error)" = invalid_client ] \
        || fail "$1: $2 $(cat "$T/out")"
    if [ "$3" = 1 ]; then
        grep -qi '^WWW-Authenticate: Basic realm="jwt-issuerd"' "$T/hdr" || fail "$1: no Basic challenge"
    elif grep -qi '^WWW-Authenticate' "$T/hdr"; then
        fail "$1: a Basic challenge to a client that did not use Basic"
    fi
}
check_401 "unknown client" "$(tok $up -u nosuch:x)" 1
check_401 "wrong secret" "$(tok $up -u webapp:wrong)" 1
check_401 "wrong client_secret (post)" "$(tok $up --data-urlencode client_id=webapp --data-urlencode client_secret=wrong)" 0
check_401 "no client at all" "$(tok $up)" 0
check_401 "confidential client without its secret" "$(tok $up --data-urlencode client_id=webapp)" 0
check_401 "a secret for the public client" "$(tok $up -u cli:something)" 1
ok "unknown client, wrong or missing secret, no client -> 401 invalid_client (Basic challenge when Basic was used)"
grep -q 'outcome=fail reason="client authentication failed: wrong client secret" client=webapp' "$T/log" \
    || fail "no fail line for the wrong secret"
ok "a failed client authentication is logged as a failed login (fail2ban sees it)"

code=$(tok $up -u "webapp:$SECRET" --data-urlencode "client_secret=$SECRET")
[ "$code" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_request ] \
    || fail "two methods: $code $(cat "$T/out")"
code=$(tok $up -u "webapp:$SECRET" --data-urlencode client_id=cli)
[ "$code" = 400 ] || fail "Basic and a different client_id: $code"
code=$(tok $up -u "webapp:$SECRET" --data-urlencode client_id=webapp)
[ "$code" = 200 ] || fail "Basic and the same client_id: $code $(cat "$T/out")"
ok "Basic and client_secret in one request -> 400 invalid_request (RFC 6749 2.3); a matching client_id is fine"

code=$(tok $up -u "sshonly:$SECRET" --data-urlencode audience=ssh:web1)
[ "$code" = 200 ] || fail "sshonly ssh:web1: $code"
json_get "$T/out" access_token > "$T/ssh.tok"
verify "$T/ssh.tok" ssh:web1
code=$(tok $up -u "sshonly:$SECRET" --data-urlencode audience=https://127.0.0.1)
[ "$code" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_request ] || fail "sshonly, issuer audience: $code"
code=$(tok $up -u "webapp:$SECRET" --data-urlencode audience=ssh:web1)
[ "$code" = 200 ] || fail "webapp ssh:web1: $code"
ok "audiences= limits what a client may ask for; a client without it gets what the issuer allows"

# The curl -u convenience (user in Basic, no username in the form) with a
# public client named in the form.
code=$(tok -u alice:secret --data-urlencode client_id=cli)
[ "$code" = 200 ] || fail "curl -u alice:secret + client_id=cli: $code $(cat "$T/out")"
json_get "$T/out" access_token > "$T/conv.tok"
verify "$T/conv.tok"
code=$(tok -u alice:secret --data-urlencode password=secret)
[ "$code" = 400 ] || fail "password in both Basic and the form: $code"
ok "curl -u user:pass (no username in the form) still logs in; with a password in the form too -> 400"

# Secrets are read like keys: a secret file readable by others is refused.
chmod 644 "$T/webapp.secret"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" 2> "$T/err"; then fail "-t accepted a world-readable secret"; fi
grep -q "webapp.secret" "$T/err" || fail "message: $(cat "$T/err")"
chmod 600 "$T/webapp.secret"
ok "a client secret file readable by others is refused"

# SIGHUP re-reads the secrets.
printf 'rotated-secret\n' > "$T/webapp.secret"
kill -HUP "$ISS_PID"
reloaded() { grep -q 'reloaded' "$T/log"; }
wait_for reloaded || fail "no reload"
[ "$(tok $up -u webapp:rotated-secret)" = 200 ] || fail "new secret after SIGHUP: $(cat "$T/out")"
check_401 "old secret after SIGHUP" "$(tok $up -u "webapp:$SECRET")" 1
ok "SIGHUP re-reads client secrets"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"

# ---- failed client authentication is throttled like a failed login -------------
printf '%s\n' "$SECRET" > "$T/webapp.secret"
sed 's/^fail_delay_ms.*/&\nrate_limit_per_ip = 3/' "$T/iss.conf" > "$T/thr.conf"
start_issuerd "$T/thr.conf" "$T/log2"
ISS_URL=https://127.0.0.1:$ISS_PORT
for i in 1 2 3; do
    check_401 "wrong secret $i" "$(tok $up -u webapp:wrong$i)" 1
done
code=$(tok $up -u "webapp:$SECRET")
[ "$code" = 429 ] || fail "after 3 wrong client secrets: $code $(cat "$T/out")"
grep -qi '^Retry-After: [1-9]' "$T/hdr" || fail "429 without Retry-After"
[ "$(json_get "$T/out" error)" = invalid_request ] || fail "429 body: $(cat "$T/out")"
ok "3 wrong client secrets use up rate_limit_per_ip = 3: the right one is 429 invalid_request"
curl -sf $C "$ISS_URL/metrics" | grep -q '^jwt_issuerd_logins_total{outcome="invalid_client"} 3$' \
    || fail "metrics: $(curl -s $C "$ISS_URL/metrics" | grep logins_total)"
ok "/metrics counts them as invalid_client"
stop_issuerd

# ---- client lines that could not mean what they say ---------------------------
bad_client() {   # bad_client WHAT PATTERN LINE
    grep -v '^client' "$T/iss.conf" > "$T/bad.conf"
    echo "$3" >> "$T/bad.conf"
    if "$PAMJWT_ISSUERD" -t -c "$T/bad.conf" > /dev/null 2> "$T/err"; then fail "-t accepted $1"; fi
    grep -q "$2" "$T/err" || fail "$1: $(cat "$T/err")"
}
bad_client "an empty audiences=" "audiences= needs a value" "client = a audiences="
bad_client "an audience the issuer does not allow" "neither audience nor in allowed_audiences" \
    "client = a audiences=evil"
bad_client "a pattern wider than allowed_audiences" "neither audience" "client = a audiences=sudo:*"
bad_client "an unknown option" "unknown option" "client = a secret=x"
bad_client "a client id with =" "client id" "client = a=b"
printf 'client = a\nclient = a\n' > "$T/dup.lines"
grep -v '^client' "$T/iss.conf" > "$T/bad.conf"; cat "$T/dup.lines" >> "$T/bad.conf"
if "$PAMJWT_ISSUERD" -t -c "$T/bad.conf" > /dev/null 2> "$T/err"; then fail "-t accepted a client twice"; fi
grep -q "registered twice" "$T/err" || fail "twice: $(cat "$T/err")"
bad_client "a missing secret file" "nosuch.secret" "client = a secret_file=$T/nosuch.secret"
ok "bad client lines are configuration errors (-t): empty or too wide audiences, unknown options, duplicates, missing secret files"

# ---- no registrations: the old behaviour -------------------------------------
grep -v '^client' "$T/iss.conf" > "$T/open.conf"
start_issuerd "$T/open.conf" "$T/log3"
ISS_URL=https://127.0.0.1:$ISS_PORT
code=$(tok $up -u anyclient:anysecret)
[ "$code" = 200 ] || fail "no registrations, Basic client: $code $(cat "$T/out")"
code=$(tok -u alice:secret)
[ "$code" = 200 ] || fail "no registrations, curl -u: $code $(cat "$T/out")"
json_get "$T/out" access_token > "$T/open.tok"
verify "$T/open.tok"
code=$(tok $up)
[ "$code" = 200 ] || fail "no registrations, no client: $code"
ok "without client lines any client (or none) is accepted, and curl -u user:pass works"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
done_cases
