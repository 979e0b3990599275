#!/bin/sh
# The trust bundle (/.well-known/pamjwt-trust.jws) against the real daemon:
# checked independently (jwcrypto: every signature against the bundle's
# own keys and the issuer's JWKS, typ, the payload's members); jwtctl
# revoke adds, lists and removes entries and each change reaches the next
# fetch with a higher version; bad values are refused and change nothing;
# a restart keeps version and entries; a SIGHUP with a new publish_key
# bumps the version; jwtctl bundle -o FILE writes what verifies; the store
# serves the bundle with sessions off too.
. "$(dirname "$0")/helpers.inc"

J=${PAMJWT_JWTCTL:-}
[ -n "$J" ] && [ -x "$J" ] || skip "jwtctl not built (PAMJWT_JWTCTL=$J)"
$PY -c 'import jwcrypto' 2>/dev/null || skip "python3-jwcrypto missing"
J="${VALGRIND:-} $J"
keygen ES256 "$T/a.pem"
keygen EdDSA "$T/b.pem"
openssl pkey -in "$T/b.pem" -pubout -out "$T/b.pub" 2>/dev/null
matrix_stack
mkdir -m 0700 "$T/state"
PORT=$(free_port)
ISS=http://127.0.0.1:$PORT
conf() {   # conf [extra lines...]
    {
        printf 'listen = 127.0.0.1:%s\nissuer = %s\n' "$PORT" "$ISS"
        printf 'signing_key = %s\npam_confdir = %s\nstate_dir = %s\n' \
            "$T/a.pem" "$T/pam.d" "${STATE:-$T/state}"
        printf 'session_lifetime = 0\nfail_delay_ms = 0\n'
        for l in "$@"; do printf '%s\n' "$l"; done
    } > "$T/iss.conf.new"
    mv "$T/iss.conf.new" "$T/iss.conf"
}
S="--state-dir $T/state"
run() {   # run WANT CMD...: stdout in $T/out, stderr in $T/err
    want=$1; shift
    set +e
    "$@" > "$T/out" 2> "$T/err"
    got=$?
    set -e
    [ "$got" -eq "$want" ] || { cat "$T/out" "$T/err"; fail "exit $got, want $want: $*"; }
}
fetch() {   # fetch: the bundle into $T/b.jws, headers into $T/hdr
    code=$(curl -s -o "$T/b.jws" -D "$T/hdr" -w '%{http_code}' "$ISS/.well-known/pamjwt-trust.jws")
    [ "$code" = 200 ] || fail "bundle: HTTP $code $(cat "$T/b.jws")"
}
cat > "$T/check.py" <<'EOP'
# check.py FILE ISS JWKS [EXPECT...]: verify the bundle FILE on its own;
# print its version and its revocations as "kind:value[<before]" words.
import json, sys
from jwcrypto import jwk, jws
path, iss, jwks_path = sys.argv[1:4]
arr = json.load(open(path))
assert isinstance(arr, list) and 1 <= len(arr) <= 16, arr
published = jwk.JWKSet.from_json(open(jwks_path).read())
payload = None
for s in arr:
    tok = jws.JWS()
    tok.deserialize(s)
    h = tok.jose_header
    assert set(h) == {"alg", "kid", "typ"} and h["typ"] == "pamjwt-trust+jwt", h
    body = json.loads(tok.objects["payload"])
    keys = jwk.JWKSet.from_json(json.dumps(body["jwks"]))
    # the bundle's own key and the issuer's published one, each verifies
    for ks in (keys, published):
        k = ks.get_key(h["kid"])
        assert k is not None, ("no key", h["kid"])
        tok.verify(k, alg=h["alg"])
    assert payload is None or payload == tok.objects["payload"], "payloads differ"
    payload = tok.objects["payload"]
p = json.loads(payload)
assert set(p) == {"iss", "version", "iat", "exp", "jwks", "revoked"}, sorted(p)
assert p["iss"] == iss, p["iss"]
assert isinstance(p["version"], int) and p["version"] >= 1
assert p["exp"] - p["iat"] == 604800, (p["iat"], p["exp"])
for k in p["jwks"]["keys"]:
    assert isinstance(k["kid"], str) and k["pamjwt_state"] in ("current", "published"), k
    assert "d" not in k and k["kty"] != "oct", k
assert [k["pamjwt_state"] for k in p["jwks"]["keys"]].count("current") == 1
words = []
for e in p["revoked"]:
    assert set(e) in ({"jti"}, {"sub"}, {"sub", "before"}), e
    kind = "jti" if "jti" in e else "sub"
    words.append("%s:%s%s" % (kind, e[kind], "<%d" % e["before"] if "before" in e else ""))
print(p["version"], " ".join(words))
EOP
check() {   # check [FILE]: "VERSION ENTRIES..." of a verified bundle
    curl -s -o "$T/jwks.json" "$ISS/.well-known/jwks.json"
    $PY "$T/check.py" "${1:-$T/b.jws}" "$ISS" "$T/jwks.json" || fail "bundle does not verify: $(cat "${1:-$T/b.jws}")"
}
version() { check "$@" | cut -d' ' -f1; }
entries() { check "$@" | cut -s -d' ' -f2-; }

conf
start_issuerd "$T/iss.conf" "$T/log"
grep -q "trust bundle store: $T/state/sessions.db" "$T/log" || fail "no store line with sessions off"
fetch
grep -qi '^content-type: application/json' "$T/hdr" || fail "content type: $(cat "$T/hdr")"
grep -qi '^cache-control: no-cache' "$T/hdr" || fail "cache-control: $(cat "$T/hdr")"
V0=$(version)
[ -z "$(entries)" ] || fail "entries in a new store: $(entries)"
[ "$V0" -ge "$(($(date +%s) - 60))" ] || fail "a new store's version $V0 is not its creation time"
code=$(curl -s -o "$T/head" -w '%{http_code}' -I "$ISS/.well-known/pamjwt-trust.jws")
[ "$code" = 200 ] || fail "HEAD: $code"
[ "$(metric 'jwt_issuerd_requests_total{endpoint="trust_bundle",code="200"}')" = 2 ] \
    || { curl -s "$ISS/metrics" | grep trust; fail "metrics"; }
ok "the bundle verifies independently: typ, signatures by its own and the published keys, members"

fetch; cp "$T/b.jws" "$T/b0.jws"
fetch
cmp -s "$T/b.jws" "$T/b0.jws" || fail "unchanged bundle re-rendered per request"
run 0 $J revoke $S --sub alice
grep -q "^revoked sub alice (trust version [0-9]*)$" "$T/out" || fail "revoke output: $(cat "$T/out")"
fetch
V1=$(version)
[ "$V1" -gt "$V0" ] || fail "version $V1 after a revocation, was $V0"
[ "$(entries)" = "sub:alice" ] || fail "entries: $(entries)"
ok "jwtctl revoke --sub: a higher version and the entry in the very next fetch"

run 0 $J revoke $S --sub alice
grep -q "already revoked: sub alice; nothing changed" "$T/out" || fail "again: $(cat "$T/out")"
fetch
[ "$(version)" = "$V1" ] || fail "the same revocation again bumped the version"
run 0 $J revoke $S --jti tok-123
run 0 $J revoke $S --sub bob --before 2026-11-28T12:36:13Z
fetch
V2=$(version)
[ "$V2" -gt "$V1" ] || fail "version $V2 after two more, was $V1"
[ "$(entries)" = "sub:alice jti:tok-123 sub:bob<1795869373" ] || fail "entries: $(entries)"
run 0 $J revoke $S --list
grep -q "^trust version $V2$" "$T/out" || fail "list version: $(cat "$T/out")"
grep -q '^sub  bob  *2026-11-28T12:36:13Z ' "$T/out" || fail "list: $(cat "$T/out")"
[ "$(grep -c '^jti \|^sub ' "$T/out")" = 3 ] || fail "list rows: $(cat "$T/out")"
run 0 $J revoke $S --list --json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"] == int(sys.argv[2]) and [e["value"] for e in d["entries"]] == ["alice","tok-123","bob"], d' \
    "$T/out" "$V2" || fail "list --json"
ok "a repeated entry changes nothing; --jti, --before (ISO 8601), --list, --list --json"

run 0 $J revoke $S --remove --jti tok-123
grep -q "^removed jti tok-123" "$T/out" || fail "remove: $(cat "$T/out")"
run 1 $J revoke $S --remove --jti tok-123
grep -q "no revocation jti tok-123" "$T/err" || fail "remove twice: $(cat "$T/err")"
fetch
V3=$(version)
[ "$V3" -gt "$V2" ] && [ "$(entries)" = "sub:alice sub:bob<1795869373" ] || fail "after remove: $V3 $(entries)"
ok "--remove takes an entry out (version up); removing a missing one fails"

for bad in "a b" "#x" "" "$(printf 'a\tb')" "café" "$(head -c 257 /dev/zero | tr '\0' x)"; do
    run 2 $J revoke $S --sub "$bad"
    grep -q "printable ASCII" "$T/err" || fail "bad value '$bad': $(cat "$T/err")"
done
run 2 $J revoke $S --sub carol --before yesterday
grep -q "before: not a time" "$T/err" || fail "bad --before: $(cat "$T/err")"
run 2 $J revoke $S --jti x --before now
run 2 $J revoke $S --jti x --sub y
run 2 $J revoke $S --list --sub y
run 2 $J revoke $S
run 0 $J revoke $S --sub "$(head -c 256 /dev/zero | tr '\0' x)"
run 0 $J revoke $S --remove --sub "$(head -c 256 /dev/zero | tr '\0' x)"
fetch
V4=$(version)
[ "$(entries)" = "sub:alice sub:bob<1795869373" ] || fail "a refusal changed the entries: $(entries)"
ok "bad values and command lines are refused (exit 2) and change nothing"

stop_issuerd
start_issuerd "$T/iss.conf" "$T/log"
fetch
[ "$(version)" = "$V4" ] && [ "$(entries)" = "sub:alice sub:bob<1795869373" ] \
    || fail "after a restart: $(check)"
ok "a restart keeps version and entries"

conf "publish_key = $T/b.pub"
before=$(grep -c reloaded "$T/log" || true)
kill -HUP "$ISS_PID"
more() { [ "$(grep -c reloaded "$T/log" || true)" -gt "$before" ]; }
wait_for more || fail "no reload"
fetch
V5=$(version)
[ "$V5" -gt "$V4" ] || fail "version $V5 after a new publish_key, was $V4"
$PY -c 'import json,sys,base64
a=json.load(open(sys.argv[1])); p=a[0].split(".")[1]; p+="="*(-len(p)%4)
ks=json.loads(base64.urlsafe_b64decode(p))["jwks"]["keys"]
assert sorted(k["pamjwt_state"] for k in ks) == ["current","published"], ks
assert any(k.get("crv") == "Ed25519" for k in ks), ks' "$T/b.jws" || fail "keys after SIGHUP"
kill -HUP "$ISS_PID"
before=$((before + 1)); wait_for more || fail "no second reload"
fetch
[ "$(version)" = "$V5" ] || fail "a reload with the same keys bumped the version"
ok "SIGHUP with a new publish_key bumps the version once; the same keys again do not"

rm -f "$T/copy.jws"
run 0 $J bundle --issuer "$ISS" -o "$T/copy.jws"
grep -q "^wrote $T/copy.jws: trust bundle version $V5 of $ISS, signed by " "$T/out" || fail "bundle output: $(cat "$T/out")"
[ "$(stat -c %a "$T/copy.jws")" = 644 ] || fail "mode $(stat -c %a "$T/copy.jws")"
[ "$(version "$T/copy.jws")" = "$V5" ] || fail "copy version"
fetch
cmp -s "$T/copy.jws" "$T/b.jws" || fail "the copy differs from what the issuer serves"
cp "$T/copy.jws" "$T/keep.jws"
run 1 $J bundle --issuer "http://localhost:$PORT" -o "$T/copy.jws"
grep -q "not a good trust bundle" "$T/err" || fail "iss mismatch: $(cat "$T/err")"
cmp -s "$T/copy.jws" "$T/keep.jws" || fail "a refused bundle was written"
run 2 $J bundle --issuer "$ISS"
ok "jwtctl bundle -o FILE: 0644, what the issuer serves, verifies; a wrong iss writes nothing"

# No state_dir with sessions off: the bundle is off (503), the rest runs.
stop_issuerd
STATE=$T/nostate conf
start_issuerd "$T/iss.conf" "$T/log"
grep -q "trust bundle off: no state_dir" "$T/log" || fail "no 'trust bundle off' line"
code=$(curl -s -o /dev/null -w '%{http_code}' "$ISS/.well-known/pamjwt-trust.jws")
[ "$code" = 503 ] || fail "bundle without a store: HTTP $code"
ok "without a state_dir (sessions off) the bundle answers 503 and the daemon runs"

stop_issuerd
done_cases
