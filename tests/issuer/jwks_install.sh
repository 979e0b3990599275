#!/bin/sh
# jwks_install: `curl -sf URL | jwtctl jwks --install DEST` can never empty or
# damage the host's key file.  A download from a stopped issuer (nothing on
# stdin), garbage, a JWKS of keys pam_jwt.so cannot use (oct, unknown crv,
# enc, private members) all exit 1 and leave DEST byte-identical with no temp
# file beside it; the real daemon's JWKS replaces DEST (mode 0644) and
# `jwtctl verify` with it accepts the daemon's token.
. "$(dirname "$0")/helpers.inc"

J=${PAMJWT_JWTCTL:-}
[ -n "$J" ] && [ -x "$J" ] || skip "jwtctl not built (PAMJWT_JWTCTL=$J)"
J="${VALGRIND:-} $J"

keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
audience = host1
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
pam_workers = 1
threads = 2
rate_limit_per_ip = 0
rate_limit_per_user = 0
EOC

mkdir "$T/host"
D=$T/host/jwks.json
# An old key set already in place: what every refusal must leave alone.
keygen ES256 "$T/old.pem"
$J jwks "$T/old.pem" > "$D" 2>/dev/null || fail "jwks of old.pem"
chmod 0644 "$D"
sum=$(cksum < "$D")
untouched() {
    [ "$(cksum < "$D")" = "$sum" ] || fail "$1: $D changed"
    ! ls -A "$T/host" | grep -q '\.tmp-' || fail "$1: temp file left in $T/host"
    [ "$(ls -A "$T/host")" = jwks.json ] || fail "$1: $(ls -A "$T/host")"
}
# refused WHAT MESSAGE: stdin is piped in by the caller.
refused() {
    set +e
    $J jwks --install "$D" > "$T/o" 2> "$T/e"
    rc=$?
    set -e
    [ "$rc" = 1 ] || { cat "$T/o" "$T/e"; fail "$1: exit $rc, want 1"; }
    grep -q -- "$2" "$T/e" || { cat "$T/e"; fail "$1: no '$2' on stderr"; }
    grep -q "not changed" "$T/e" || { cat "$T/e"; fail "$1: does not say DEST is unchanged"; }
    untouched "$1"
}

# ---- a stopped issuer: curl -sf prints nothing and fails ---------------------
P=$(free_port)
curl -sf --max-time 5 "http://127.0.0.1:$P/.well-known/jwks.json" 2>/dev/null \
    | refused "unreachable issuer" "nothing in standard input: did the download fail?"
ok "curl from an unreachable issuer: exit 1, DEST byte-identical, no temp file"

printf '\n  \n' | refused "blank input" "nothing in standard input"
printf '<html>502 Bad Gateway</html>\n' | refused "an HTML error page" "not a JWKS"
printf '{"keys":[' | refused "truncated JSON" "standard input"
head -c 2000000 /dev/zero | tr '\0' '{' | refused "over 1 MiB" "larger than"
ok "garbage, truncated JSON and oversized input: refused, DEST unchanged"

# ---- only keys the module cannot use ------------------------------------------
printf '%s' '{"keys":[{"kty":"EC","crv":"secp256k1","kid":"k1","x":"AA","y":"AA"},{"kty":"RSA","use":"enc","kid":"e1","n":"AQAB","e":"AQAB"}]}' \
    | refused "unknown crv and use=enc" "no usable key"
grep -q 'skipped key 1 (kid "k1"): unsupported JWK crv secp256k1' "$T/e" || { cat "$T/e"; fail "skipped keys not named"; }
grep -q 'skipped key 2 (kid "e1"): unsupported JWK use enc' "$T/e" || { cat "$T/e"; fail "use=enc not named"; }
printf '%s' '{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}' \
    | refused "an oct key" "HMAC (oct)"
# A private JWK: the module refuses private members in a key file.
$PY - "$T/sign.pem" > "$T/priv.jwk" <<'EOP'
import json, sys, jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
k = load_pem_private_key(open(sys.argv[1], "rb").read(), None)
print(json.dumps({"keys": [json.loads(jwt.algorithms.ECAlgorithm.to_jwk(k))]}))
EOP
grep -q '"d"' "$T/priv.jwk" || fail "test setup: no private JWK"
refused "a private key" "standard input" < "$T/priv.jwk"
ok "JWKS of unusable keys (unknown crv, enc, oct, private): refused, skipped keys named"

# ---- the real daemon's JWKS ---------------------------------------------------
start_issuerd "$T/iss.conf" "$T/log"
U=http://127.0.0.1:$ISS_PORT
chmod 0600 "$D"
(umask 077 && curl -sf --max-time 10 "$U/.well-known/jwks.json" \
    | $J jwks --install "$D" > "$T/o" 2> "$T/e") || { cat "$T/e"; fail "install of the daemon's JWKS"; }
grep -q "installed 1 usable key: ES256 kid" "$T/o" || { cat "$T/o"; fail "install report"; }
[ "$(stat -c %a "$D")" = 644 ] || fail "installed mode $(stat -c %a "$D")"
[ "$(cksum < "$D")" != "$sum" ] || fail "DEST not replaced"
curl -sf "$U/.well-known/jwks.json" | cmp -s - "$D" || fail "DEST is not the served JWKS"
[ "$(ls -A "$T/host")" = jwks.json ] || fail "temp file left: $(ls -A "$T/host")"
ok "the daemon's JWKS installed: replaced, mode 0644, no temp file"

code=$(login alice secret)
[ "$code" = 200 ] || fail "login: $code $(cat "$T/out")"
TOK=$(json_get "$T/out" access_token)
printf '%s\n' "$TOK" | $J verify issuer=https://issuer.test audience=host1 key="$D" \
    --user alice - > "$T/o" 2>&1 || { cat "$T/o"; fail "verify with the installed JWKS"; }
ok "jwtctl verify accepts the daemon's token with the installed key set"

stop_issuerd
sum=$(cksum < "$D")
curl -sf --max-time 5 "$U/.well-known/jwks.json" 2>/dev/null \
    | refused "issuer stopped after install" "nothing in standard input"
ok "the issuer stopped: the installed key set survives the next failed download"
done_cases
