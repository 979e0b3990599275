#!/bin/sh
# key_dir: the issuer rotates its own keys (jwt-issuerd(8) KEY ROTATION).
# A short schedule (rotation_period 12 s, publish_ahead 4 s, tokens of 1 s,
# so a key retires for 61 s): the JWKS moves through next, current and
# retiring; /token switches kid at the switch and each token verifies
# (jwtctl verify) against the JWKS of that moment; a restart mid-phase
# keeps the same kids; the old private key file goes after its window;
# jwtctl keys list shows the schedule; -t refuses periods that break the
# promises and a key_dir with the wrong mode or owner, and creates nothing.
# Every wait is bounded (count and time).
. "$(dirname "$0")/helpers.inc"

: "${PAMJWT_JWTCTL:?PAMJWT_JWTCTL not set}"
J=$PAMJWT_JWTCTL
pam_stack jwt-issuer "auth required pam_permit.so" "account required pam_permit.so"
K=$T/keys
conf() {   # conf [extra lines]: the key_dir configuration in $T/iss.conf
    {
        echo "listen = 127.0.0.1:0"
        echo "issuer = https://issuer.test"
        echo "key_dir = $K"
        echo "pam_confdir = $T/pam.d"
        echo "session_lifetime = 0"
        echo "rotation_period = 12"
        echo "publish_ahead = 4"
        echo "sync_interval = 2"
        echo "token_lifetime = 1"
        for l in "$@"; do echo "$l"; done
    } > "$T/iss.conf"
}
jwks() { curl -sf --max-time 5 "http://127.0.0.1:$ISS_PORT/.well-known/jwks.json" > "$T/jwks.json"; }
# kids_in STATE: the kids the JWKS ($T/jwks.json) gives that state, sorted
kids_in() {
    $PY -c 'import json,sys
print(" ".join(sorted(k["kid"] for k in json.load(open(sys.argv[1]))["keys"] if k["pamjwt_state"] == sys.argv[2])))' "$T/jwks.json" "$1"
}
kid_of() { $PY -c 'import jwt,sys; print(jwt.get_unverified_header(sys.argv[1])["kid"])' "$1"; }
token() { [ "$(login alice x)" = 200 ] || fail "login: $(cat "$T/out")"; json_get "$T/out" access_token; }
# verify_now TOKEN: jwtctl verify against the JWKS served right now
verify_now() {
    jwks
    "$J" verify issuer=https://issuer.test audience=https://issuer.test \
        key="$T/jwks.json" --user alice "$1" > "$T/verify.out" 2>&1
}
# await WHAT SECONDS CMD...: CMD until it holds, polled every 0.25 s
await() {
    what=$1; n=$(($2 * 4)); shift 2
    WAIT_TRIES=$n WAIT_STEP=0.25 wait_for "$@" || fail "after $n polls: $what"
}

# ---- jwt-issuerd -t: refusals, and nothing written ---------------------------
mkdir -m 0700 "$K"
conf "publish_ahead = 3"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1; then fail "-t took publish_ahead 3 < 2 x sync_interval 2"; fi
grep -q "2 x sync_interval" "$T/t.out" || fail "no reason given: $(cat "$T/t.out")"
ok "-t refuses publish_ahead < 2 x sync_interval, saying why"
conf "rotation_period = 7"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1; then fail "-t took rotation_period < 2 x publish_ahead"; fi
grep -q "2 x publish_ahead" "$T/t.out" || fail "no reason given: $(cat "$T/t.out")"
keygen ES256 "$T/fixed.pem"
conf "signing_key = $T/fixed.pem"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1; then fail "-t took key_dir with signing_key"; fi
grep -q "remove signing_key" "$T/t.out" || fail "no reason given: $(cat "$T/t.out")"
conf "key_alg = HS256"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1; then fail "-t took key_alg HS256"; fi
ok "-t refuses rotation_period < 2 x publish_ahead, key_dir beside signing_key, key_alg HS256"
conf
chmod 0750 "$K"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1; then fail "-t took a key_dir of mode 0750"; fi
grep -q "mode 0750" "$T/t.out" || fail "mode refusal: $(cat "$T/t.out")"
chmod 0700 "$K"
chown nobody "$K"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1; then fail "-t took a key_dir owned by nobody"; fi
grep -q "key_dir" "$T/t.out" || fail "owner refusal: $(cat "$T/t.out")"
chown "$(id -u)" "$K"
ok "-t refuses a key_dir of mode 0750 and one owned by another user"
"$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1 || fail "-t: $(cat "$T/t.out")"
grep -q "change(s) due" "$T/t.out" || fail "-t does not say the first key is due: $(cat "$T/t.out")"
[ -z "$(ls -A "$K")" ] || fail "-t wrote into key_dir: $(ls -A "$K")"
ok "-t passes a good key_dir, says a key is due and creates no file"

# ---- the first key: current, signing at once ----------------------------------
start_issuerd "$T/iss.conf" "$T/log"
jwks
K1=$(kids_in current)
[ -n "$K1" ] && [ -z "$(kids_in next)" ] || fail "first JWKS: $(cat "$T/jwks.json")"
[ -f "$K/$K1.key" ] && [ "$(stat -c %a "$K/$K1.key")" = 600 ] || fail "no 0600 $K1.key"
[ "$(stat -c %a "$K/schedule.json")" = 600 ] || fail "schedule.json not 0600"
T1=$(token)
[ "$(kid_of "$T1")" = "$K1" ] || fail "first token's kid"
verify_now "$T1" || fail "first token: $(cat "$T/verify.out")"
ok "first key made at start (0600), current in the JWKS; its token verifies"

# ---- the next key published ahead --------------------------------------------
has_next() { jwks && [ -n "$(kids_in next)" ]; }
await "a next key in the JWKS" 15 has_next
K2=$(kids_in next)
[ "$(kids_in current)" = "$K1" ] || fail "current changed with a next key published"
T2=$(token)
[ "$(kid_of "$T2")" = "$K1" ] || fail "the next key signed before its time"
grep -q "key $K2 published as next" "$T/log" || fail "no log line for the next key"
ok "next key $K2 published while $K1 still signs; logged"

# ---- the switch ------------------------------------------------------------------
switched() { jwks && [ "$(kids_in current)" = "$K2" ]; }
await "the switch to the next key" 10 switched
[ "$(kids_in retiring)" = "$K1" ] || fail "old key not retiring: $(cat "$T/jwks.json")"
T3=$(token)
[ "$(kid_of "$T3")" = "$K2" ] || fail "token after the switch not signed by $K2"
verify_now "$T3" || fail "new token: $(cat "$T/verify.out")"
verify_now "$T2" || fail "old key's token after the switch: $(cat "$T/verify.out")"
grep -q "key $K2 now current" "$T/log" || fail "no log line for the switch"
ok "switch: $K2 current, $K1 retiring; both keys' tokens verify against the JWKS"

# ---- jwtctl keys list ---------------------------------------------------------------
"$J" keys list -c "$T/iss.conf" > "$T/list" || fail "keys list: $(cat "$T/list")"
grep -q "^$K1 *retiring *ES256 " "$T/list" && grep -q "^$K2 *current *ES256 " "$T/list" \
    || fail "keys list: $(cat "$T/list")"
head -n 1 "$T/list" | grep -q "KID *STATE *ALG *CREATED *ACTIVATES *RETIRES *DELETES" || fail "keys list header"
"$J" keys list --key-dir "$K" > "$T/list2" || fail "keys list --key-dir"
grep -q "^$K2 *current" "$T/list2" || fail "keys list --key-dir: $(cat "$T/list2")"
ok "jwtctl keys list (-c and --key-dir): kids, states, dates"

# ---- a restart mid-phase continues the schedule ---------------------------------------
before=$(sed -n 's/.*"kid": "\([^"]*\)".*/\1/p' "$K/schedule.json" | tr '\n' ' ')
stop_issuerd
start_issuerd "$T/iss.conf" "$T/log2"
jwks
[ "$(kids_in current)" = "$K2" ] && [ "$(kids_in retiring)" = "$K1" ] \
    || fail "after a restart: $(cat "$T/jwks.json")"
after=$(sed -n 's/.*"kid": "\([^"]*\)".*/\1/p' "$K/schedule.json" | tr '\n' ' ')
case $after in "$before"*) ;; *) fail "restart changed the schedule: $before -> $after" ;; esac
[ "$(kid_of "$(token)")" = "$K2" ] || fail "restart changed the signing key"
ok "restart mid-phase: the same kids, the same current key"

# ---- the old key's end: unpublished, private key deleted -------------------------------
gone() { jwks && ! grep -qF -- "$K1" "$T/jwks.json" && [ ! -e "$K/$K1.key" ]; }
await "$K1 deleted (61 s after the switch)" 80 gone
grep -q "key $K1 deleted" "$T/log2" || fail "no log line for the deletion"
jwks
n=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["keys"]))' "$T/jwks.json")
[ "$n" -le 8 ] || fail "$n keys published at once"
[ "$(ls "$K"/*.key | wc -l)" = "$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["keys"]))' "$K/schedule.json")" ] \
    || fail "key files and schedule disagree: $(ls "$K")"
ok "$K1 unpublished and its private key file deleted after its window; files match the schedule"
! grep -q "PRIVATE KEY" "$T/log" "$T/log2" || fail "key material in the log"
ok "no key material in the logs"
stop_issuerd

# ---- with `user =`: the step runs as that user, after the privilege drop --------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    K=$T/ukeys
    mkdir -m 0700 "$K"
    conf "user = nobody"
    chmod 0644 "$T/iss.conf"
    for_user nobody              # $T reachable by nobody; $K still root's
    if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1; then fail "-t took root's key_dir for user nobody"; fi
    grep -q "key_dir" "$T/t.out" || fail "refusal: $(cat "$T/t.out")"
    chown nobody "$K"
    "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1 || fail "-t as nobody: $(cat "$T/t.out")"
    [ -z "$(ls -A "$K")" ] || fail "-t wrote into key_dir"
    start_issuerd "$T/iss.conf" "$T/log3"
    jwks
    KU=$(kids_in current)
    [ -n "$KU" ] && [ "$(stat -c %U "$K/$KU.key")" = nobody ] \
        && [ "$(stat -c %U "$K/schedule.json")" = nobody ] || fail "user's key_dir: $(ls -ln "$K")"
    stop_issuerd
    ok "user = nobody: -t refuses root's key_dir; nobody's key_dir gets nobody's key files"
fi
done_cases
