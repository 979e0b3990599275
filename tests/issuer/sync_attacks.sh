#!/bin/sh
# sync_attacks: jwtctl sync installs a trust bundle only when it is sound,
# and every attack leaves DIR/jwks.json and DIR/revoked byte-identical
# (sha256 before and after) with a specific message and a non-zero exit:
# a rollback, a bundle signed by an untrusted key, a truncated or corrupt
# download, an expired bundle, no current key / no key at all, a 10 MiB
# answer (the transfer is cut: the server's log says it could not send it
# all), a certificate for another name, a redirect to plain http, a CA
# file others can change, the issuer down, a wrong iss, an
# access token (typ JWT) instead of a bundle.  The same version signed
# earlier is a quiet "up to date".  Bundles are made by jwcrypto (an
# independent JOSE implementation, tests/issuer/sync_mkbundle.py), served
# by tests/issuer/sync_server.py over https on 127.0.0.1 with a test CA.
# Then a newer bundle installs, --status reports it, --file works as the
# URL does, a first install without a pin is refused, and the plain JWKS
# mode installs, answers 304 from its ETag, and keeps the old key set when
# the new one has no usable key.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib/harness.sh"

J=${PAMJWT_JWTCTL:-}
[ -n "$J" ] && [ -x "$J" ] || skip "jwtctl not built (PAMJWT_JWTCTL=$J)"
PY=/usr/bin/python3
$PY -c 'import jwcrypto, jwt' 2>/dev/null || skip "python3-jwcrypto / python3-jwt missing"
command -v openssl >/dev/null || skip "openssl missing"
J="${VALGRIND:-} $J"
MK="$PY $TOP/tests/issuer/sync_mkbundle.py"
harness_init pamjwt-sync
FAIL_LOGS="$T/e $T/srv.log"

# ---- a test CA, a certificate for 127.0.0.1 and one for another name ------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=pamjwt-test-ca -keyout "$T/ca.key" -out "$T/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign 2>/dev/null
cert() {   # cert NAME SAN
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
        -keyout "$T/$1.key" -out "$T/$1.csr" 2>/dev/null
    printf 'subjectAltName=%s\n' "$2" > "$T/$1.ext"
    openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
        -days 2 -extfile "$T/$1.ext" -out "$T/$1.crt" 2>/dev/null
}
cert good IP:127.0.0.1
cert other DNS:other.example

mkdir -p "$T/www/.well-known" "$T/www/jwks"
serve() {   # serve NAME [CERT]: sets PORT_NAME
    if [ -n "${2:-}" ]; then
        $PY "$TOP/tests/issuer/sync_server.py" "$T/www" "$T/$1.port" "$T/srv.log" \
            "$T/$2.crt" "$T/$2.key" 2>> "$T/srv.err" &
    else
        $PY "$TOP/tests/issuer/sync_server.py" "$T/www" "$T/$1.port" "$T/srv.log" 2>> "$T/srv.err" &
    fi
    track $!
    wait_for test -s "$T/$1.port" || fail "server $1 did not start"
}
serve good good
serve other other
U=https://127.0.0.1:$(cat "$T/good.port")
U_OTHER=https://127.0.0.1:$(cat "$T/other.port")
WK=/.well-known/pamjwt-trust.jws

# ---- keys (jwtctl keygen) and their kids (RFC 7638 thumbprints) ------------
for k in k1 k2 k3; do $J keygen "$T/$k" > /dev/null 2>&1 || fail "keygen $k"; done
kid() { $J jwks "$T/$1.pub" | $PY -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["kid"])'; }
KID1=$(kid k1)
KID2=$(kid k2)
now=$(date +%s)
bundle() {  # bundle OUT MKBUNDLE-ARGS...: the bundle, mode 0644
    o=$1; shift
    $MK "$@" > "$o" || fail "sync_mkbundle $*"
}
put() { cp "$1" "$T/www$WK"; }

D=$T/host
mkdir -m 0755 "$D"
sync() {   # sync ARGS...: jwtctl sync --dir $D --cacert CA; rc in $rc
    set +e
    $J sync --dir "$D" --cacert "$T/ca.crt" "$@" > "$T/o" 2> "$T/e"
    rc=$?
    set -e
}

# ---- first install: never on first use --------------------------------------
bundle "$T/v2" --iss "$U" --version 2 --iat $((now - 100)) --key "$T/k1:current" --sign "$T/k1" \
    --revoked '[{"jti":"j-1"}]'
put "$T/v2"
sync --issuer "$U"
[ "$rc" = 1 ] || fail "first sync without a pin: exit $rc"
grep -q "never trusted on first use" "$T/e" || fail "first sync without a pin: message"
grep -q -- "--trust-kid KID" "$T/e" || fail "first sync without a pin: does not say what to pass"
[ ! -e "$D/jwks.json" ] && [ ! -e "$D/revoked" ] || fail "first sync without a pin wrote files"
grep -q "GET $WK" "$T/srv.log" 2>/dev/null && fail "first sync without a pin fetched the bundle"
sync --issuer "$U" --trust-kid "$KID2"
[ "$rc" = 1 ] && grep -q "no key in the bundle has the thumbprint $KID2" "$T/e" ||
    fail "a pin that is not in the bundle: exit $rc"
[ ! -e "$D/jwks.json" ] || fail "a wrong pin wrote jwks.json"
ok "first sync: refused without a pin (and fetched nothing), refused with a pin the bundle lacks"

sync --issuer "$U" --trust-kid "$KID1"
[ "$rc" = 0 ] || fail "first sync with --trust-kid: exit $rc"
grep -q "installed version 2 of $U" "$T/o" || fail "first sync: report $(cat "$T/o")"
[ "$(stat -c %a "$D/jwks.json")" = 644 ] && [ "$(stat -c %a "$D/revoked")" = 644 ] || fail "modes"
grep -q '^jti j-1$' "$D/revoked" || fail "revoked file: $(cat "$D/revoked")"
$PY - "$D/jwks.json" "$U" <<'EOP' || fail "jwks.json content"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["pamjwt_trust"]
assert t["iss"] == sys.argv[2] and t["version"] == 2, t
assert len(d["keys"]) == 1 and d["keys"][0]["pamjwt_state"] == "current"
EOP
ok "first sync with --trust-kid: version 2 installed, revoked and jwks.json (pamjwt_trust) 0644"

# ---- attacks: each must leave both files byte-identical ----------------------
sums() { sha256sum "$D/jwks.json" "$D/revoked"; }
before=$(sums)
same() {
    [ "$(sums)" = "$before" ] || fail "$1: installed files changed"
    ! ls -A "$D" | grep -q '\.tmp-' || fail "$1: temp file left in $D"
}
refused() {  # refused WHAT MESSAGE [SYNC ARGS...]
    w=$1; m=$2; shift 2
    sync "$@"
    [ "$rc" = 1 ] || { cat "$T/o" "$T/e"; fail "$w: exit $rc, want 1"; }
    grep -q -- "$m" "$T/e" || { cat "$T/e"; fail "$w: no '$m' on stderr"; }
    same "$w"
    [ -z "${SYNC_VERBOSE:-}" ] || cat "$T/e"
    ok "$w: exit 1, \"$m\", jwks.json and revoked byte-identical"
}

bundle "$T/v1" --iss "$U" --version 1 --key "$T/k1:current" --sign "$T/k1"
put "$T/v1"
refused "rollback (version 1 after 2)" "version 1 is older than the installed 2: rollback refused"

bundle "$T/v2old" --iss "$U" --version 2 --iat $((now - 200)) --key "$T/k1:current" --sign "$T/k1"
put "$T/v2old"
sync
[ "$rc" = 0 ] || { cat "$T/e"; fail "same version, older iat: exit $rc"; }
grep -q "up to date: version 2" "$T/o" || fail "same version, older iat: $(cat "$T/o")"
same "same version, older iat"
ok "same version, older iat: up to date, exit 0, nothing written"

bundle "$T/evil" --iss "$U" --version 3 --key "$T/k2:current" --sign "$T/k2"
put "$T/evil"
refused "signed by an untrusted key" "not signed by a trusted key"

bundle "$T/v3" --iss "$U" --version 3 --key "$T/k1:current" --key "$T/k3:next" --sign "$T/k1" \
    --revoked '[{"jti":"j-1"},{"sub":"mallory"},{"sub":"bob","before":1700000000}]'
head -c $(( $(wc -c < "$T/v3") / 2 )) "$T/v3" > "$T/www$WK"
refused "truncated bundle" "$U$WK: bundle: invalid JSON"
cp "$T/v3" "$T/www$WK"
refused "download cut short" "$U/cut$WK: transfer closed" --issuer "$U/cut"
sed 's/^\["/[{"/' "$T/v3" > "$T/www$WK"
refused "corrupt JSON" "$U$WK: bundle: invalid JSON at offset"

bundle "$T/old" --iss "$U" --version 3 --iat $((now - 7200)) --exp $((now - 3600)) \
    --key "$T/k1:current" --sign "$T/k1"
put "$T/old"
refused "expired bundle" "bundle expired at"

bundle "$T/nocur" --iss "$U" --version 3 --key "$T/k1:retiring" --sign "$T/k1"
put "$T/nocur"
refused "no current key" "no current key"
bundle "$T/nokeys" --iss "$U" --version 3 --sign "$T/k1"
put "$T/nokeys"
refused "zero keys" "jwks.keys is not an array of 1"

: > "$T/srv.log"
refused "10 MiB answer, no Content-Length" "larger than 1024 KiB: transfer aborted" --issuer "$U/big"
wait_for grep -q "^big: " "$T/srv.log" || fail "server log says nothing about /big"
grep -q "^big: aborted after" "$T/srv.log" || fail "10 MiB: $(grep '^big' "$T/srv.log")"
: > "$T/srv.log"
refused "10 MiB answer with Content-Length" "larger than 1024 KiB: transfer aborted" --issuer "$U/bigcl"
wait_for grep -q "^big: " "$T/srv.log" || fail "server log says nothing about /bigcl"
grep -q "^big: aborted after" "$T/srv.log" || fail "10 MiB (Content-Length): $(grep '^big' "$T/srv.log")"
ok "10 MiB answers: the server could not send them whole (the client cut the transfer)"

put "$T/v3"
refused "certificate for another name" "$U_OTHER$WK: SSL" --issuer "$U_OTHER"
grep -qi "certificate\|subject name" "$T/e" || fail "other name: $(cat "$T/e")"
refused "redirect to plain http" "$U/redir$WK: Protocol \"http\"" --issuer "$U/redir"
cp "$T/ca.crt" "$T/ca-open.crt"; chmod 0666 "$T/ca-open.crt"
set +e; $J sync --dir "$D" --cacert "$T/ca-open.crt" > "$T/o" 2> "$T/e"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q -- "--cacert .*writable by" "$T/e" || { cat "$T/e"; fail "a CA file others can change: exit $rc"; }
same "a CA file others can change"
ok "a CA file others can change: refused before any connection"
refused "issuer down" "Could not connect\|Couldn't connect\|Connection refused" \
    --issuer "https://127.0.0.1:$(free_port)"

bundle "$T/wrongiss" --iss "https://evil.example" --version 3 --key "$T/k1:current" --sign "$T/k1"
put "$T/wrongiss"
refused "wrong iss" "bundle issuer \"https://evil.example\", expected \"$U\""

bundle "$T/jwt" --iss "$U" --version 3 --key "$T/k1:current" --sign "$T/k1" --typ JWT
put "$T/jwt"
refused "typ JWT in the bundle" "typ is not pamjwt-trust+jwt"
$MK --iss "$U" --version 3 --key "$T/k1:current" --sign "$T/k1" --token > "$T/www$WK"
refused "an access token instead of a bundle" "$U$WK: bundle: invalid JSON"

# --status after a failure: exit 1, the last error named.
set +e; $J sync --status --dir "$D" > "$T/st" 2>&1; rc=$?; set -e
[ "$rc" = 1 ] || { cat "$T/st"; fail "--status after a failure: exit $rc"; }
grep -q '^last error: .*bundle' "$T/st" || { cat "$T/st"; fail "--status: last error"; }
grep -q '^version: *2 ' "$T/st" || { cat "$T/st"; fail "--status: installed version"; }
ok "--status after a failure: exit 1, last error and the installed version 2"

# ---- a newer good bundle installs -----------------------------------------
put "$T/v3"
sync
[ "$rc" = 0 ] || { cat "$T/e"; fail "newer bundle: exit $rc"; }
grep -q "installed version 3 of $U from $U$WK: 2 keys, 3 revocations, signed by $KID1" "$T/o" ||
    fail "newer bundle: $(cat "$T/o")"
printf 'jti j-1\nsub mallory\nsub bob before 1700000000\n' > "$T/want.revoked"
grep -v '^#' "$D/revoked" | cmp -s - "$T/want.revoked" || { cat "$D/revoked"; fail "revoked file"; }
ok "version 3 installed: 2 keys, revoked lists jti j-1, sub mallory, sub bob before 1700000000"
set +e; $J sync --status --dir "$D" > "$T/st" 2>&1; rc=$?; set -e
[ "$rc" = 0 ] || { cat "$T/st"; fail "--status: exit $rc"; }
[ -z "${SYNC_VERBOSE:-}" ] || cat "$T/st"
grep -q "^source: *$U$WK (trust bundle)" "$T/st" && grep -q '^version: *3 ' "$T/st" &&
    grep -q '^last error: *none' "$T/st" && grep -q '^expires: ' "$T/st" &&
    grep -q '^last success: ' "$T/st" || { cat "$T/st"; fail "--status report"; }
ok "--status: exit 0, source, version 3, expiry, last success, no error"

# ---- --file: the same checks, no network ------------------------------------
bundle "$T/v4" --iss "$U" --version 4 --key "$T/k1:current" --key "$T/k3:next" --sign "$T/k1"
before=$(sums)
refused "--file rollback (version 1)" "$T/v1: version 1 is older than the installed 3" --file "$T/v1"
refused "--file untrusted signer" "not signed by a trusted key" --file "$T/evil"
sync --file "$T/v4"
[ "$rc" = 0 ] && grep -q "installed version 4 of $U from $T/v4" "$T/o" ||
    { cat "$T/o" "$T/e"; fail "--file v4: exit $rc"; }
bundle "$T/v4b" --iss "$U" --version 4 --iat $((now + 60)) --key "$T/k1:current" --sign "$T/k1"
sync --file "$T/v4b"
[ "$rc" = 0 ] && grep -q "installed version 4 of $U from $T/v4b" "$T/o" ||
    { cat "$T/o" "$T/e"; fail "--file v4 re-signed later: exit $rc"; }
ok "--file: refused and installed as the URL mode is; the same version signed later replaces it"
D2=$T/host2; mkdir -m 0755 "$D2"
set +e; $J sync --dir "$D2" --file "$T/v4" --trust-kid "$KID1" > "$T/o" 2> "$T/e"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "no issuer known" "$T/e" || fail "--file first install without --issuer: $rc"
set +e; $J sync --dir "$D2" --file "$T/v4" --issuer "$U" --trust-file "$T/k1.pub" > "$T/o" 2> "$T/e"; rc=$?; set -e
[ "$rc" = 0 ] || { cat "$T/e"; fail "--file first install with --trust-file: exit $rc"; }
ok "--file first install: --issuer required, then --trust-file pins"

# ---- a DIR others can change is refused --------------------------------------
mkdir -m 0777 "$T/open"
set +e; $J sync --dir "$T/open" --issuer "$U" --trust-kid "$KID1" --cacert "$T/ca.crt" > "$T/o" 2> "$T/e"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "writable by" "$T/e" && [ -z "$(ls -A "$T/open")" ] ||
    { cat "$T/e"; fail "unsafe DIR: exit $rc"; }
ok "a DIR writable by others: refused, nothing written there"

# ---- plain JWKS mode -----------------------------------------------------------
D3=$T/host3; mkdir -m 0755 "$D3"
$J jwks "$T/k1.pub" > "$T/www/jwks/keys.json"
jsync() {
    set +e; $J sync --dir "$D3" --cacert "$T/ca.crt" "$@" > "$T/o" 2> "$T/e"; rc=$?; set -e
}
jsync --jwks "$U/jwks/keys.json"
[ "$rc" = 0 ] || { cat "$T/e"; fail "--jwks install: exit $rc"; }
cmp -s "$T/www/jwks/keys.json" "$D3/jwks.json" || fail "--jwks: jwks.json is not the served JWKS"
grep -q "installed 1 usable key" "$T/o" || fail "--jwks report: $(cat "$T/o")"
: > "$T/srv.log"
jsync --jwks "$U/jwks/keys.json"
[ "$rc" = 0 ] && grep -q "not modified (HTTP 304)" "$T/o" || { cat "$T/o" "$T/e"; fail "--jwks 304: exit $rc"; }
grep -q 'GET /jwks/keys.json INM="' "$T/srv.log" || fail "--jwks sent no If-None-Match"
jsync
[ "$rc" = 0 ] && grep -q "not modified (HTTP 304)" "$T/o" || { cat "$T/o" "$T/e"; fail "bare sync of a --jwks host: exit $rc"; }
ok "--jwks: installed; the second run and a bare sync send If-None-Match and take 304 as up to date"
jsum=$(sha256sum "$D3/jwks.json")
printf '%s' '{"keys":[{"kty":"EC","crv":"secp256k1","kid":"k1","x":"AA","y":"AA"}]}' > "$T/www/jwks/keys.json"
jsync --jwks "$U/jwks/keys.json"
[ "$rc" = 1 ] && grep -q "no usable key" "$T/e" || { cat "$T/e"; fail "--jwks with no usable key: exit $rc"; }
[ "$(sha256sum "$D3/jwks.json")" = "$jsum" ] || fail "--jwks with no usable key changed jwks.json"
ok "--jwks: a key set without a usable key is refused, the old one kept"
set +e; $J sync --dir "$D" --cacert "$T/ca.crt" --jwks "$U/jwks/keys.json" > "$T/o" 2> "$T/e"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "holds the trust bundle of $U" "$T/e" || { cat "$T/e"; fail "--jwks over a bundle: $rc"; }
ok "--jwks never replaces a jwks.json a trust bundle installed"

done_cases
