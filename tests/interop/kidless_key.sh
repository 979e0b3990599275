#!/bin/sh
# kidless_key: an IdP's token carries its own kid; the host's only key is a
# PEM public key or a certificate, which has no kid.  As with PyJWT, jose
# and the other libraries, such a key answers a token with any kid: PyJWT
# tokens with kid "whatever" pass `jwtctl verify` (pam_jwt.so's own checks)
# against PEM keys and a certificate, and are still refused when signed by
# another key, and by a JWKS whose keys have kids of their own.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib/harness.sh"
J=${PAMJWT_JWTCTL:-}
[ -n "$J" ] && [ -x "$J" ] || skip "jwtctl not built (PAMJWT_JWTCTL=$J)"
J="${VALGRIND:-} $J"
PY=/usr/bin/python3
$PY -c 'import jwt, cryptography' 2>/dev/null || skip "python3-jwt missing"
harness_init pamjwt-kidless
D=$TOP/tests/data
for k in p256 p384 rsa2048 ed25519; do
    cp "$D/jws_$k.key" "$D/jws_$k.pub" "$T/"
    chmod 0600 "$T/jws_$k.key"; chmod 0644 "$T/jws_$k.pub"
done
openssl req -x509 -new -key "$T/jws_p256.key" -subj /CN=idp.test -days 2 \
    -out "$T/p256.crt" 2>/dev/null || fail "openssl req"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$T/other.key" 2>/dev/null

# tok ALG KEYFILE KID: a PyJWT token for alice, issuer idp.test, aud host1.
tok() {
    $PY - "$1" "$2" "$3" <<'EOP'
import sys, time, jwt
alg, keyfile, kid = sys.argv[1:4]
now = int(time.time())
hdr = {"kid": kid} if kid else {}
print(jwt.encode({"iss": "https://idp.test", "aud": "host1", "sub": "alice",
                  "iat": now, "exp": now + 300}, open(keyfile).read(),
                 algorithm=alg, headers=hdr))
EOP
}
# verify WANT KEYFILE TOKEN
verify() {
    set +e
    printf '%s\n' "$3" | $J verify issuer=https://idp.test audience=host1 \
        key="$2" --user alice - > "$T/out" 2>&1
    rc=$?
    set -e
    [ "$rc" = "$1" ] || { cat "$T/out"; fail "verify with $2: exit $rc, want $1"; }
}

for a in ES256:p256 ES384:p384 RS256:rsa2048 PS256:rsa2048 EdDSA:ed25519; do
    alg=${a%%:*} k=${a#*:}
    verify 0 "$T/jws_$k.pub" "$(tok "$alg" "$T/jws_$k.key" whatever)"
    grep -q 'token kid "whatever": key .* (no kid of its own, matches any)' "$T/out" \
        || { cat "$T/out"; fail "$alg: key line does not explain the match"; }
done
ok "PyJWT tokens with kid \"whatever\": accepted by PEM keys (ES256, ES384, RS256, PS256, EdDSA)"

verify 0 "$T/p256.crt" "$(tok ES256 "$T/jws_p256.key" whatever)"
verify 0 "$T/p256.crt" "$(tok ES256 "$T/jws_p256.key" "")"
grep -q "token has no kid" "$T/out" || { cat "$T/out"; fail "no-kid key line"; }
ok "a certificate answers a token with any kid, and one without kid"

verify 1 "$T/jws_p256.pub" "$(tok ES256 "$T/other.key" whatever)"
grep -q "signature  FAIL" "$T/out" || { cat "$T/out"; fail "another key's token: not a signature failure"; }
ok "the kid-less key still has to have made the signature"

# The same key in a JWKS has a kid of its own (its thumbprint): selected
# by kid only.
$J jwks "$T/jws_p256.pub" > "$T/p256.jwks"
chmod 0644 "$T/p256.jwks"
verify 1 "$T/p256.jwks" "$(tok ES256 "$T/jws_p256.key" whatever)"
grep -q 'key        FAIL  no loaded key has kid "whatever" for ES256' "$T/out" \
    || { cat "$T/out"; fail "JWKS: kid not named"; }
kid=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["keys"][0]["kid"])' "$T/p256.jwks")
verify 0 "$T/p256.jwks" "$(tok ES256 "$T/jws_p256.key" "$kid")"
ok "keys with kids of their own are selected by kid only"
done_cases
