#!/bin/sh
# The other signing setups: an HMAC secret (HS256; nothing published in the
# JWKS, /userinfo still verifies) and an RSA-2048 key (RS256, which fits
# under 1,000 bytes only without the groups claim).
. "$(dirname "$0")/helpers.inc"
matrix_stack

# ---- HS256 ---------------------------------------------------------------------
head -c 48 /dev/urandom > "$T/hs.key"
chmod 600 "$T/hs.key"
cat > "$T/hs.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
hmac_secret = $T/hs.key
session_lifetime = 0
pam_confdir = $T/pam.d
EOC
start_issuerd "$T/hs.conf" "$T/log"
[ "$(login alice secret)" = 200 ] || fail "HS256 login: $(cat "$T/out")"
TOK=$(json_get "$T/out" access_token)
$PY - "$T/hs.key" "$TOK" <<'EOP' || fail "PyJWT rejected the HS256 token"
import sys, jwt
key = open(sys.argv[1], "rb").read()
assert jwt.get_unverified_header(sys.argv[2])["alg"] == "HS256"
c = jwt.decode(sys.argv[2], key, algorithms=["HS256"], audience="https://issuer.test", issuer="https://issuer.test")
assert c["sub"] == "alice"
EOP
ok "HS256: PyJWT verifies the token with the secret"
[ "$(curl -sf "http://127.0.0.1:$ISS_PORT/.well-known/jwks.json")" = '{"keys":[]}' ] \
    || fail "the JWKS published something for an HMAC secret"
ok "HS256: the JWKS publishes no key (secrets are never served)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "http://127.0.0.1:$ISS_PORT/userinfo")
[ "$code" = 200 ] || fail "HS256 userinfo: $code"
ok "HS256: /userinfo verifies with the secret"
stop_issuerd
chmod 640 "$T/hs.key"
if "$PAMJWT_ISSUERD" -t -c "$T/hs.conf" 2>/dev/null; then fail "group-readable HMAC secret accepted"; fi
ok "HS256: a group-readable secret is refused"

# ---- RS256 -----------------------------------------------------------------------
keygen RS2048 "$T/rsa.pem"
cat > "$T/rs.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/rsa.pem
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
EOC
start_issuerd "$T/rs.conf" "$T/log2"
[ "$(login alice secret)" = 200 ] || fail "RS256 login: $(cat "$T/out")"
TOK=$(json_get "$T/out" access_token)
curl -sf "http://127.0.0.1:$ISS_PORT/.well-known/jwks.json" > "$T/jwks.json"
$PY - "$T/jwks.json" "$TOK" <<'EOP' || fail "PyJWT rejected the RS256 token"
import json, sys, jwt
k = json.load(open(sys.argv[1]))["keys"][0]
assert k["kty"] == "RSA" and "d" not in k
c = jwt.decode(sys.argv[2], jwt.PyJWK(k).key, algorithms=["RS256"], audience="https://issuer.test")
assert "groups" not in c
EOP
[ ${#TOK} -lt 1000 ] || fail "RS256 token ${#TOK} bytes"
ok "RS256 (2048-bit, no groups): ${#TOK}-byte token verified by PyJWT"
stop_issuerd
sed -i '/claims_groups/d' "$T/rs.conf"
if "$PAMJWT_ISSUERD" -t -c "$T/rs.conf" 2>/dev/null; then fail "RS256 with groups accepted"; fi
ok "RS256 with the groups claim could exceed 1,000 bytes: refused"
done_cases
