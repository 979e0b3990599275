#!/bin/sh
# Discovery documents that standard validators accept: the RFC 8414
# document passes authlib's AuthorizationServerMetadata.validate() (https
# issuer, a non-empty response_types_supported, no auth-signing-alg list
# for methods that sign nothing) and lists the client authentication
# methods /token takes; there is no openid-configuration (OIDC Discovery
# requires ID tokens this issuer does not issue); every JWKS entry carries
# alg, also for keys loaded from PEM.  Also: POST /userinfo is accepted
# (OIDC Core 5.3.1), the bearer token in the Authorization header.
. "$(dirname "$0")/helpers.inc"

$PY -c 'import authlib.oauth2.rfc8414' 2>/dev/null \
    || skip "python3-authlib missing (tests/deps.sh)"
tls_cert
keygen ES256 "$T/sign.pem"
keygen RS2048 "$T/old.pem"
openssl pkey -in "$T/old.pem" -pubout -out "$T/old.pub" 2>/dev/null
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://127.0.0.1
signing_key = $T/sign.pem
session_lifetime = 0
publish_key = $T/old.pub
pam_confdir = $T/pam.d
tls_cert = $T/tls.crt
tls_key = $T/tls.key
allowed_scopes = ssh admin
EOC
start_issuerd "$T/iss.conf" "$T/log"
U=https://127.0.0.1:$ISS_PORT
ISS_URL=$U
C="--cacert $T/tls.crt"

curl -sf $C "$U/.well-known/oauth-authorization-server" > "$T/as.json" || fail "AS metadata"
$PY - "$T/as.json" <<'EOP' || fail "RFC 8414 metadata: $(cat "$T/as.json")"
import json, sys
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
m = json.load(open(sys.argv[1]))
AuthorizationServerMetadata(m).validate()
assert m["issuer"] == "https://127.0.0.1"
assert m["token_endpoint"] == "https://127.0.0.1/token"
assert m["jwks_uri"] == "https://127.0.0.1/.well-known/jwks.json"
assert m["grant_types_supported"] == ["password"]
assert sorted(m["token_endpoint_auth_methods_supported"]) == \
    ["client_secret_basic", "client_secret_post", "none"]
assert "token_endpoint_auth_signing_alg_values_supported" not in m
assert m["response_types_supported"], m
assert m["scopes_supported"] == ["ssh", "admin"], m
EOP
ok "oauth-authorization-server passes authlib's AuthorizationServerMetadata.validate()"

code=$(curl -s $C -o /dev/null -w '%{http_code}' "$U/.well-known/openid-configuration")
[ "$code" = 404 ] || fail "openid-configuration: $code"
ok "no openid-configuration: 404"

curl -sf $C "$U/.well-known/jwks.json" > "$T/jwks.json" || fail "jwks"
$PY - "$T/jwks.json" <<'EOP' || fail "JWKS: $(cat "$T/jwks.json")"
import json, sys
keys = json.load(open(sys.argv[1]))["keys"]
assert len(keys) == 2, keys
algs = sorted(k.get("alg") for k in keys)
assert algs == ["ES256", "RS256"], algs
assert all(k.get("use") == "sig" and k.get("kid") for k in keys), keys
EOP
ok "every JWKS entry carries alg (ES256 signing key, RS256 published PEM)"

code=$(login alice secret $C)
[ "$code" = 200 ] || fail "login: $code"
TOK=$(json_get "$T/out" access_token)
code=$(curl -s $C -o "$T/ui" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOK" "$U/userinfo")
[ "$code" = 200 ] && [ "$(json_get "$T/ui" sub)" = alice ] || fail "POST /userinfo: $code $(cat "$T/ui")"
code=$(curl -s $C -o /dev/null -w '%{http_code}' -X POST --data-urlencode "access_token=$TOK" "$U/userinfo")
[ "$code" = 401 ] || fail "POST /userinfo with the token in the body: $code"
ok "POST /userinfo with a bearer header -> 200; a token in the body is not read -> 401"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
done_cases
