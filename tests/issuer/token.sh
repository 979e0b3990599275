#!/bin/sh
# POST /token and every other endpoint, with their errors: a real daemon on
# 127.0.0.1, real curl, pam_matrix in a private confdir; the issued token is
# verified by PyJWT from the served JWKS.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
audience = hosts
allowed_audiences = api, web
allowed_scopes = read write
auth_audience = hosts, api
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
pam_workers = 2
threads = 2
claim = tenant=acme
rate_limit_per_ip = 0
rate_limit_per_user = 0
EOC
"$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" || fail "-t refused a good config"
grep -q "configuration OK" "$T/t.out" || fail "-t output: $(cat "$T/t.out")"
ok "-t accepts a good config"

start_issuerd "$T/iss.conf" "$T/log"
U=http://127.0.0.1:$ISS_PORT

# ---- success ---------------------------------------------------------------
code=$(login alice secret -D "$T/hdr")
[ "$code" = 200 ] || fail "good login: $code $(cat "$T/out")"
grep -qi '^Cache-Control: no-store' "$T/hdr" || fail "no Cache-Control: no-store"
[ "$(json_get "$T/out" token_type)" = Bearer ] || fail "token_type"
[ "$(json_get "$T/out" expires_in)" = 300 ] || fail "expires_in"
TOK=$(json_get "$T/out" access_token)
[ ${#TOK} -lt 1000 ] || fail "token is ${#TOK} bytes"
ok "good login: 200, Bearer, no-store, ${#TOK}-byte token"

curl -sf "$U/.well-known/jwks.json" > "$T/jwks.json" || fail "jwks"
$PY - "$T/jwks.json" "$TOK" <<'EOP' || fail "PyJWT rejected the token"
import json, sys, jwt
jwks = json.load(open(sys.argv[1]))
tok = sys.argv[2]
hdr = jwt.get_unverified_header(tok)
assert hdr["alg"] == "ES256" and hdr["typ"] == "JWT", hdr
key = [k for k in jwks["keys"] if k["kid"] == hdr["kid"]][0]
assert "d" not in key
c = jwt.decode(tok, jwt.PyJWK(key).key, algorithms=["ES256"], audience="hosts",
               issuer="https://issuer.test")
assert c["sub"] == "alice", c
assert c["exp"] - c["iat"] == 300 and c["nbf"] == c["iat"], c
assert len(c["jti"]) == 22 and isinstance(c["groups"], list), c
assert c["tenant"] == "acme", c
# A tampered payload must fail.
h, p, s = tok.split(".")
import base64
claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
claims["sub"] = "root"
p2 = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
try:
    jwt.decode(h + "." + p2 + "." + s, jwt.PyJWK(key).key, algorithms=["ES256"],
               audience="hosts")
    sys.exit("tampered token verified")
except jwt.InvalidSignatureError:
    pass
EOP
ok "PyJWT verifies the token from the served JWKS (and rejects it tampered)"

# kid is the RFC 7638 thumbprint of the served key.
$PY - "$T/jwks.json" <<'EOP' || fail "kid is not the RFC 7638 thumbprint"
import json, sys, hashlib, base64
k = json.load(open(sys.argv[1]))["keys"][0]
canon = json.dumps({m: k[m] for m in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
tp = base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest()).rstrip(b"=").decode()
assert tp == k["kid"], (tp, k["kid"])
EOP
ok "kid is the RFC 7638 thumbprint"

# Two tokens never share a jti.
login alice secret >/dev/null; J1=$(json_get "$T/out" access_token)
[ "$J1" != "$TOK" ] || fail "same token twice"
ok "fresh token per login"

# Basic credentials.
code=$(curl -s -o "$T/out" -w '%{http_code}' -u alice:secret -d grant_type=password "$U/token")
[ "$code" = 200 ] || fail "basic: $code $(cat "$T/out")"
ok "HTTP Basic credentials"

# Scope echoed, audience chosen from allowed_audiences.
code=$(login alice secret --data-urlencode "scope=read write" --data-urlencode audience=api)
[ "$code" = 200 ] || fail "scope/audience: $code $(cat "$T/out")"
[ "$(json_get "$T/out" scope)" = "read write" ] || fail "scope not echoed"
TOK_API=$(json_get "$T/out" access_token)
$PY -c 'import jwt,sys; c=jwt.decode(sys.argv[1], options={"verify_signature": False}); assert c["aud"]=="api" and c["scope"]=="read write", c' "$TOK_API" \
    || fail "aud/scope claims"
ok "scope echoed and audience=api honoured"

# ---- /token errors -------------------------------------------------------
expect_err() {   # expect_err CODE ERROR DESC curl-args...
    want=$1; err=$2; what=$3; shift 3
    code=$(curl -s -o "$T/out" -w '%{http_code}' "$@")
    [ "$code" = "$want" ] || fail "$what: got $code, want $want: $(cat "$T/out")"
    [ -z "$err" ] || [ "$(json_get "$T/out" error)" = "$err" ] \
        || fail "$what: error $(cat "$T/out"), want $err"
    ok "$what -> $want $err"
}
expect_err 400 invalid_grant "wrong password" --data-urlencode grant_type=password \
    -d username=alice -d password=nope "$U/token"
expect_err 400 invalid_grant "unknown user" -d grant_type=password \
    -d username=nosuch -d password=x "$U/token"
expect_err 400 invalid_grant "account refused by pam_acct_mgmt" -d grant_type=password \
    -d username=bob -d password=hunter2 "$U/token"
expect_err 400 invalid_grant "user name with a quote" -d grant_type=password \
    --data-urlencode 'username=al"ice' -d password=x "$U/token"
expect_err 400 unsupported_grant_type "client_credentials grant" \
    -d grant_type=client_credentials "$U/token"
expect_err 400 invalid_request "grant_type missing" -d username=alice -d password=secret "$U/token"
expect_err 400 invalid_request "password missing" -d grant_type=password -d username=alice "$U/token"
expect_err 400 invalid_request "repeated parameter" -d grant_type=password \
    -d username=alice -d username=carol -d password=secret "$U/token"
expect_err 400 invalid_request "JSON body" -H 'Content-Type: application/json' \
    --data '{"grant_type":"password"}' "$U/token"
expect_err 400 invalid_request "empty body" -X POST "$U/token"
printf 'grant_type=password&username=al\000ice&password=secret' > "$T/nul.body"
expect_err 400 invalid_request "raw NUL in the form body" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$T/nul.body" "$U/token"
expect_err 400 invalid_request "Basic user and a password in the form" -u alice:secret \
    -d grant_type=password -d password=secret "$U/token"
expect_err 400 invalid_request "audience not allowed" -d grant_type=password \
    -d username=alice -d password=secret -d audience=evil "$U/token"
expect_err 400 invalid_scope "scope with a quote" -d grant_type=password \
    -d username=alice -d password=secret --data-urlencode 'scope=a"b' "$U/token"
big=$(head -c 5000 /dev/zero | tr '\0' a)
expect_err 413 "" "5000-byte body" -d "grant_type=password&username=alice&password=$big" "$U/token"
expect_err 413 "" "chunked 6000-byte body" -H 'Transfer-Encoding: chunked' \
    -d "grant_type=password&username=alice&password=${big}xxxxxxxxxxxxxx$big" "$U/token"
expect_err 405 "" "GET /token" "$U/token"
curl -s -D "$T/hdr" -o /dev/null "$U/token"
grep -qi '^Allow: POST' "$T/hdr" || fail "405 without Allow"
ok "405 carries Allow: POST"
expect_err 404 "" "unknown path" "$U/nope"
expect_err 405 "" "POST /healthz" -d x=1 "$U/healthz"
# Malformed HTTP: MHD answers 400 and the daemon lives on.
printf 'GARBAGE\r\n\r\n' | curl -s --max-time 5 -o /dev/null "telnet://127.0.0.1:$ISS_PORT" 2>/dev/null || true
printf 'POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n' \
    | curl -s --max-time 5 -o /dev/null "telnet://127.0.0.1:$ISS_PORT" 2>/dev/null || true
curl -sf "$U/healthz" >/dev/null || fail "daemon died on malformed HTTP"
ok "malformed request lines do not hurt the daemon"

# ---- documents ---------------------------------------------------------------
curl -sf "$U/.well-known/oauth-authorization-server" > "$T/as.json" || fail "AS metadata"
$PY - "$T/as.json" <<'EOP' || fail "RFC 8414 metadata"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["issuer"] == "https://issuer.test"
assert m["token_endpoint"] == "https://issuer.test/token"
assert m["jwks_uri"] == "https://issuer.test/.well-known/jwks.json"
assert "password" in m["grant_types_supported"]
EOP
ok "oauth-authorization-server lists the password grant"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/.well-known/openid-configuration")
[ "$code" = 404 ] || fail "openid-configuration: $code"
ok "no openid-configuration (no ID tokens to describe): 404"
[ "$(curl -sf "$U/healthz")" = ok ] || fail "healthz"
ok "healthz"

# ---- /userinfo and /auth -----------------------------------------------------
code=$(curl -s -o "$T/out" -w '%{http_code}' -H "Authorization: Bearer $TOK" "$U/userinfo")
[ "$code" = 200 ] && [ "$(json_get "$T/out" sub)" = alice ] || fail "userinfo: $code $(cat "$T/out")"
ok "userinfo answers the claims"
code=$(curl -s -o "$T/out" -w '%{http_code}' -H "Authorization: Bearer $TOK_API" "$U/userinfo")
[ "$code" = 200 ] || fail "userinfo aud=api: $code"
ok "userinfo accepts an auth_audience token"
code=$(curl -s -D "$T/hdr" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "$U/auth")
[ "$code" = 200 ] && grep -qi '^X-Auth-User: alice' "$T/hdr" || fail "auth: $code"
ok "auth: 200 with X-Auth-User"

bad_bearer() {   # bad_bearer WHAT TOKEN
    for ep in userinfo auth; do
        code=$(curl -s -D "$T/hdr" -o /dev/null -w '%{http_code}' \
            -H "Authorization: Bearer $2" "$U/$ep")
        [ "$code" = 401 ] || fail "$1 /$ep: $code"
        grep -qi '^WWW-Authenticate: Bearer .*error="invalid_token"' "$T/hdr" \
            || fail "$1 /$ep: $(grep -i www-auth "$T/hdr")"
    done
    ok "$1 -> 401 invalid_token on /userinfo and /auth"
}
H=${TOK%%.*}; REST=${TOK#*.}; P=${REST%%.*}; S=${REST#*.}
bad_bearer "tampered signature" "$(tamper_sig "$TOK")"
PJ=$($PY -c 'import base64,json,sys; p=sys.argv[1]; c=json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4))); c["sub"]="root"; print(base64.urlsafe_b64encode(json.dumps(c).encode()).rstrip(b"=").decode())' "$P")
bad_bearer "tampered claims" "$H.$PJ.$S"
NONE=$($PY -c 'import base64,sys; print(base64.urlsafe_b64encode(b"{\"alg\":\"none\"}").rstrip(b"=").decode())')
bad_bearer "alg none" "$NONE.$P."
bad_bearer "garbage" "not-a-token"
# Expired: a token signed by the issuer's own key with exp in the past.
EXP=$($PY - "$T/sign.pem" <<'EOP'
import sys, time, jwt, json
key = open(sys.argv[1]).read()
kid = json.load(open(sys.argv[1].replace("sign.pem", "jwks.json")))["keys"][0]["kid"]
now = int(time.time())
print(jwt.encode({"iss": "https://issuer.test", "sub": "alice", "aud": "hosts",
                  "iat": now - 1000, "nbf": now - 1000, "exp": now - 700},
                 key, algorithm="ES256", headers={"kid": kid}))
EOP
)
bad_bearer "expired" "$EXP"
grep -q 'bearer: addr=127.0.0.1 path=/userinfo outcome=invalid reason="[^"]*expired' "$T/log" \
    || fail "expired token refused for another reason: $(grep bearer: "$T/log" | tail -n 2)"
for ep in userinfo auth; do
    code=$(curl -s -D "$T/hdr" -o /dev/null -w '%{http_code}' "$U/$ep")
    [ "$code" = 401 ] && grep -qi '^WWW-Authenticate: Bearer .*error="invalid_token"' "$T/hdr" \
        || fail "missing /$ep: $code $(grep -i www-auth "$T/hdr")"
done
ok "missing token -> 401 invalid_token"

# ---- metrics and logs -------------------------------------------------------
curl -sf "$U/metrics" > "$T/metrics" || fail "metrics"
grep -q '^jwt_issuerd_requests_total{endpoint="token",code="200"} [1-9]' "$T/metrics" || fail "metrics: token 200"
grep -q '^jwt_issuerd_logins_total{outcome="invalid_grant"} [1-9]' "$T/metrics" || fail "metrics: invalid_grant"
grep -q '^jwt_issuerd_pam_seconds_bucket{le="+Inf"} [1-9]' "$T/metrics" || fail "metrics: histogram"
grep -q '^jwt_issuerd_pam_queue_depth 0' "$T/metrics" || fail "metrics: queue depth"
grep -q '^# TYPE jwt_issuerd_pam_seconds histogram' "$T/metrics" || fail "metrics: TYPE"
ok "metrics: requests by endpoint/code, outcomes, PAM histogram, queue depth"

grep -q 'login: addr=127.0.0.1 user=alice outcome=success' "$T/log" || fail "no success log line"
grep -q 'login: addr=127.0.0.1 user=alice outcome=fail reason=' "$T/log" || fail "no failure log line"
grep -q 'login: addr=127.0.0.1 user=al?ice outcome=fail' "$T/log" || fail "quote in user not sanitised"
! grep -q 'secret\|hunter2\|nope' "$T/log" || fail "a password reached the log"
! grep -q "$P" "$T/log" || fail "a token reached the log"
ok "one login line per attempt, no password or token in the log"
# The fail2ban filter shipped in etc/ (if any) must match our failure lines.
n=$(grep -cE '^[0-9T:-]+Z jwt-issuerd\[[0-9]+\]: info: login: addr=127\.0\.0\.1 user=\S+ outcome=fail' "$T/log")
[ "$n" -ge 4 ] || fail "fail2ban-style regex matched $n lines"
ok "failure lines match a fail2ban-style regex ($n)"

# X-Forwarded-For from an untrusted peer is ignored.
login alice wrong -H 'X-Forwarded-For: 203.0.113.9' >/dev/null
grep -q 'addr=203.0.113.9' "$T/log" && fail "untrusted X-Forwarded-For used"
ok "X-Forwarded-For ignored from an untrusted peer"

stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit status $ISS_RC after SIGTERM"
ok "SIGTERM: exit 0"

# ---- trusted proxy ---------------------------------------------------------
echo "trusted_proxies = 127.0.0.1" >> "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log2"
login alice wrong -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.9' >/dev/null
grep -q 'login: addr=203.0.113.9 user=alice outcome=fail' "$T/log2" || fail "trusted XFF not used: $(grep login: "$T/log2")"
ok "X-Forwarded-For from a trusted proxy gives the client address"
stop_issuerd
done_cases
