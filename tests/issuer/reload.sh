#!/bin/sh
# Key rotation: SIGHUP re-reads config and keys.  A good new key takes over
# (the old one stays published, so its tokens still verify); a broken key,
# a group-readable key or a bad config line is logged and the running
# configuration stays in service.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/a.pem"
openssl pkey -in "$T/a.pem" -pubout -out "$T/a.pub" 2>/dev/null
keygen EdDSA "$T/b.pem"
matrix_stack
conf() {   # conf SIGNING_KEY [extra lines]
    k=$1; shift
    {
        echo "listen = 127.0.0.1:0"
        echo "issuer = https://issuer.test"
        echo "signing_key = $k"
        echo "pam_confdir = $T/pam.d"
        for l in "$@"; do echo "$l"; done
        echo "session_lifetime = 0"
    } > "$T/iss.conf.new"
    mv "$T/iss.conf.new" "$T/iss.conf"
}
reloads() { grep -c "$1" "$T/log" || true; }
hup() {   # hup PATTERN: SIGHUP and wait for one more log line matching PATTERN
    before=$(reloads "$1")
    kill -HUP "$ISS_PID"
    more() { [ "$(reloads "$1")" -gt "$before" ]; }
    wait_for more "$1" || fail "no '$1' after SIGHUP"
}
kid_of() { $PY -c 'import jwt,sys; print(jwt.get_unverified_header(sys.argv[1])["kid"])' "$1"; }
alg_of() { $PY -c 'import jwt,sys; print(jwt.get_unverified_header(sys.argv[1])["alg"])' "$1"; }
token() { [ "$(login alice secret)" = 200 ] || fail "login: $(cat "$T/out")"; json_get "$T/out" access_token; }
userinfo() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "http://127.0.0.1:$ISS_PORT/userinfo"; }

conf "$T/a.pem"
start_issuerd "$T/iss.conf" "$T/log"
TA=$(token)
KA=$(kid_of "$TA")
[ "$(alg_of "$TA")" = ES256 ] || fail "alg of key A"

# ---- good rotation: B signs, A stays published -----------------------------
conf "$T/b.pem" "publish_key = $T/a.pub"
hup "reloaded"
TB=$(token)
KB=$(kid_of "$TB")
[ "$KB" != "$KA" ] && [ "$(alg_of "$TB")" = EdDSA ] || fail "new token not signed by B"
curl -sf "http://127.0.0.1:$ISS_PORT/.well-known/jwks.json" > "$T/jwks.json"
$PY - "$T/jwks.json" "$KA" "$KB" "$TB" <<'EOP' || fail "JWKS after rotation"
import json, sys, jwt
keys = {k["kid"]: k for k in json.load(open(sys.argv[1]))["keys"]}
assert set(keys) == {sys.argv[2], sys.argv[3]}, keys.keys()
assert all("d" not in k for k in keys.values())
jwt.decode(sys.argv[4], jwt.PyJWK(keys[sys.argv[3]]).key, algorithms=["EdDSA"], audience="https://issuer.test")
EOP
ok "SIGHUP with a new key: EdDSA token under the new kid, JWKS publishes both, PyJWT verifies"
[ "$(userinfo "$TA")" = 200 ] && [ "$(userinfo "$TB")" = 200 ] || fail "userinfo after rotation"
ok "tokens of the previous (published) key and of the new key both pass /userinfo"

# ---- broken key: old state kept ------------------------------------------------
printf -- '-----BEGIN PRIVATE KEY-----\nnot base64 !!\n-----END PRIVATE KEY-----\n' > "$T/broken.pem"
chmod 600 "$T/broken.pem"
conf "$T/broken.pem"
hup "reload failed"
[ "$(kid_of "$(token)")" = "$KB" ] || fail "broken key replaced B"
[ "$(metric 'jwt_issuerd_reloads_total{result="failed"}')" = 1 ] || fail "failed reload not counted"
ok "SIGHUP with a broken key: logged, B still signs"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" 2>/dev/null; then fail "-t accepted a broken key"; fi
ok "-t refuses the broken key"

# ---- key readable by the group -------------------------------------------------
keygen ES256 "$T/c.pem"
chmod 640 "$T/c.pem"
conf "$T/c.pem"
hup "reload failed"
tail -n 3 "$T/log" | grep -q "c.pem" || fail "permission error does not name the file"
[ "$(kid_of "$(token)")" = "$KB" ] || fail "group-readable key was taken"
ok "SIGHUP with a group-readable key: refused, B still signs"
if "$PAMJWT_ISSUERD" -c "$T/iss.conf" 2>/dev/null; then fail "started with a group-readable key"; fi
ok "startup refuses a group-readable key"

# ---- bad config line -------------------------------------------------------------
conf "$T/b.pem" "no_such_option = 1"
hup "reload failed"
grep "reload failed" "$T/log" | tail -n 1 | grep -q "iss.conf:5" || fail "error not file:line: $(tail -n 1 "$T/log")"
[ "$(kid_of "$(token)")" = "$KB" ] || fail "bad config changed the key"
ok "SIGHUP with an unknown option: file:line logged, old state kept"

# ---- back to a good config --------------------------------------------------------
chmod 600 "$T/c.pem"
conf "$T/c.pem"
hup "reloaded"
TC=$(token)
[ "$(kid_of "$TC")" != "$KB" ] && [ "$(userinfo "$TB")" = 401 ] || fail "C not in service, or B still accepted"
ok "a later good reload takes over; the unpublished old key's tokens are refused"
[ "$(metric 'jwt_issuerd_reloads_total{result="ok"}')" = 2 ] || fail "ok reloads"
ok "reloads counted"

# ---- tokens that could not stay under 1000 bytes -----------------------------------
stop_issuerd
keygen RS4096 "$T/rsa.pem"
conf "$T/rsa.pem"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" 2> "$T/err"; then fail "-t accepted RSA-4096 tokens"; fi
grep -q "tokens could reach" "$T/err" || fail "size refusal message: $(cat "$T/err")"
ok "a config whose tokens could reach 1000 bytes is refused at startup"
done_cases
