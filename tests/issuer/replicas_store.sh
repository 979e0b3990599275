#!/bin/sh
# Two jwt-issuerd replicas sharing one Redis (jwt-issuerd(8) REPLICAS),
# each with its own key_dir, curl talking to each directly:
#  - rate_limit_per_user = 5 holds for both together: wrong passwords
#    alternating between them get exactly 5 answers (400) before 429;
#  - a refresh token rotated on A and presented to B is reuse: the session
#    ends (the rotated token fails on A too);
#  - both kids are in both replicas' JWKS and trust bundles;
#  - jwtctl sessions/revoke -c CONF reach the shared store with the
#    replica's store_password_file: a revoke via A is in B's bundle;
#  - Redis stopped: /token answers 503 with Retry-After and no token,
#    /healthz 503 degraded, the JWKS still 200 with both kids;
#  - a third replica started while Redis is down runs degraded;
#  - Redis started again (no persistence: a fresh store): logins work
#    again and /healthz is ok, without restarting the issuers.
# redis-server runs on a unix socket in $T with a password, no port, no
# persistence; every process is stopped by PID.
. "$(dirname "$0")/helpers.inc"

command -v redis-server >/dev/null || skip "redis-server missing (apt-get install redis-server)"
command -v redis-cli >/dev/null || skip "redis-cli missing"

matrix_stack
. "$(dirname "$0")/../lib/redis.sh"
redis_setup "$T/redis"
cp "$T/redis/password" "$T/pw"      # the replicas' store_password_file
SOCK=$T/redis/redis.sock

redis_up() { [ "$(redis_cli "$T/redis" ping)" = PONG ]; }
start_redis() {
    redis-server "$T/redis/redis.conf" > "$T/redis.log" 2>&1 &
    REDIS_PID=$!
    track "$REDIS_PID"
    wait_for redis_up || fail "redis-server not answering on $SOCK"
}
stop_redis() { stop_pid "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true; }

conf() {   # conf NAME: $T/NAME.conf, key_dir $T/keys.NAME
    mkdir -m 0700 -p "$T/keys.$1"
    {
        echo "listen = 127.0.0.1:0"
        echo "issuer = https://issuer.test"
        echo "key_dir = $T/keys.$1"
        echo "pam_confdir = $T/pam.d"
        echo "store = redis+unix://$SOCK"
        echo "store_password_file = $T/pw"
        echo "store_timeout = 2"
        echo "rate_limit_per_user = 5"
        echo "rate_limit_per_ip = 1000"
        echo "fail_delay_ms = 0"
        echo "token_lifetime = 60"
    } > "$T/$1.conf"
}
start_replica() {   # start_replica NAME: sets NAME_PORT (A_PORT, B_PORT)
    conf "$1"
    start_issuerd "$T/$1.conf" "$T/log.$1"
    eval "$1_PORT=\$ISS_PORT; $1_PID=\$ISS_PID"
    eval "$1_KID=\$(sed -n 's/.*ready:.* kid \\([^ ,]*\\).*/\\1/p' \"\$T/log.$1\" | head -n 1)"
}
url() { eval "echo http://127.0.0.1:\$$1_PORT"; }
# at NAME USER PASS: a password grant to replica NAME, prints the code
at() { ISS_URL=$(url "$1") login "$2" "$3" -D "$T/hdr"; }
refresh_at() {   # refresh_at NAME RT: prints the code, body in $T/out
    printf 'grant_type=refresh_token&refresh_token=%s' "$2" > "$T/form"
    curl -s -o "$T/out" -D "$T/hdr" -w '%{http_code}' --max-time 30 \
        --data-binary @"$T/form" "$(url "$1")/token"
}
# kids_of NAME: the kids of NAME's JWKS, then of its bundle, sorted
jwks_kids() { curl -sf --max-time 5 "$(url "$1")/.well-known/jwks.json" | $PY -c 'import json,sys; print(" ".join(sorted(k["kid"] for k in json.load(sys.stdin)["keys"])))'; }
bundle_kids() { curl -sf --max-time 5 "$(url "$1")/.well-known/pamjwt-trust.jws" | $PY -c '
import base64, json, sys
jws = json.load(sys.stdin)[0].split(".")[1]
p = json.loads(base64.urlsafe_b64decode(jws + "=" * (-len(jws) % 4)))
print(" ".join(sorted(k["kid"] for k in p["jwks"]["keys"])))'; }
both_kids() { want=$(printf '%s\n%s\n' "$A_KID" "$B_KID" | sort | tr '\n' ' ' | sed 's/ $//'); [ "$($2 "$1")" = "$want" ]; }

start_redis
conf A
"$PAMJWT_ISSUERD" -t -c "$T/A.conf" > "$T/t.out" 2>&1 ||
    { grep -q "unknown store" "$T/t.out" && skip "this jwt-issuerd has no Redis store backend"; cat "$T/t.out"; fail "-t refuses the replica's configuration"; }
start_replica A
start_replica B
[ -n "$A_KID" ] && [ -n "$B_KID" ] && [ "$A_KID" != "$B_KID" ] || fail "kids: A=$A_KID B=$B_KID"
grep -q "store shared by replicas" "$T/log.A" || fail "A does not see a shared store"
ok "two replicas on one Redis (unix socket, AUTH), kids $A_KID and $B_KID"

# ---- rate limits across replicas ----------------------------------------
n400=0; codes=""
for i in 1 2 3 4 5 6 7 8 9 10; do
    r=A; [ $((i % 2)) = 0 ] && r=B
    c=$(at $r carol wrong); codes="$codes $c"
    [ "$c" = 400 ] && n400=$((n400 + 1))
done
[ "$n400" = 5 ] || fail "wrong passwords alternating A/B: $n400 answered 400, not 5 (codes:$codes)"
case $codes in " 400 400 400 400 400 429 429 429 429 429") ;; *) fail "codes:$codes" ;; esac
grep -qi '^retry-after: [1-9]' "$T/hdr" || fail "429 without Retry-After"
ok "rate_limit_per_user = 5 across both replicas: 5 x 400, then 429 (not 10)"

# ---- a refresh token rotated on A, replayed on B ------------------------
[ "$(at A alice secret)" = 200 ] || fail "login on A: $(cat "$T/out")"
RT1=$(json_get "$T/out" refresh_token)
[ "$(refresh_at A "$RT1")" = 200 ] || fail "refresh on A: $(cat "$T/out")"
RT2=$(json_get "$T/out" refresh_token)
[ "$(refresh_at B "$RT1")" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_grant ] ||
    fail "rotated token on B: $(cat "$T/out")"
grep -q "refresh token reuse: session=" "$T/log.B" || fail "no reuse warning on B"
[ "$(refresh_at A "$RT2")" = 400 ] || fail "session not ended: the live token still works on A: $(cat "$T/out")"
ok "a refresh token rotated on A and presented to B ends the session (the live one fails on A too)"

# ---- key registry ----------------------------------------------------------
for r in A B; do
    WAIT_TRIES=150 WAIT_STEP=0.1 wait_for both_kids $r jwks_kids ||
        fail "$r's JWKS: $(jwks_kids $r), want $A_KID and $B_KID"
    WAIT_TRIES=150 WAIT_STEP=0.1 wait_for both_kids $r bundle_kids ||
        fail "$r's bundle: $(bundle_kids $r), want $A_KID and $B_KID"
done
ok "both kids in both replicas' JWKS and trust bundles"

# ---- jwtctl -c: the shared store through any replica's configuration -----
[ "$(at A alice secret)" = 200 ] || fail "login on A: $(cat "$T/out")"
"$PAMJWT_JWTCTL" sessions -c "$T/B.conf" list --user alice --json > "$T/sl" 2> "$T/sl.err" ||
    fail "jwtctl sessions -c B.conf: $(cat "$T/sl.err")"
[ "$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/sl")" = 1 ] ||
    fail "alice's session made on A, listed through B's configuration: $(cat "$T/sl")"
"$PAMJWT_JWTCTL" revoke -c "$T/A.conf" --sub mallory > "$T/rv" 2>&1 || fail "jwtctl revoke -c A.conf: $(cat "$T/rv")"
bundle_revoked() { curl -sf --max-time 5 "$(url "$1")/.well-known/pamjwt-trust.jws" | $PY -c '
import base64, json, sys
jws = json.load(sys.stdin)[0].split(".")[1]
p = json.loads(base64.urlsafe_b64decode(jws + "=" * (-len(jws) % 4)))
sys.exit(0 if {"sub": "mallory"} in p["revoked"] else 1)'; }
WAIT_TRIES=150 WAIT_STEP=0.1 wait_for bundle_revoked B || fail "B's bundle lacks the revocation made with A's configuration"
WAIT_TRIES=150 WAIT_STEP=0.1 wait_for bundle_revoked A || fail "A's bundle lacks the revocation"
grep -q "$(cat "$T/pw")" "$T/sl" "$T/sl.err" "$T/rv" "$T/log.A" "$T/log.B" && fail "the Redis password was printed"
ok "jwtctl -c: alice's session made on A listed through B's configuration; a revoke through A's reaches B's bundle"

# ---- Redis stopped --------------------------------------------------------
stop_redis
c=$(at A alice secret)
[ "$c" = 503 ] && [ "$(json_get "$T/out" error)" = temporarily_unavailable ] ||
    fail "login with Redis down: $c $(cat "$T/out")"
grep -qi '^retry-after: 2' "$T/hdr" || fail "503 without Retry-After: $(cat "$T/hdr")"
[ -z "$(json_get "$T/out" access_token)" ] || fail "a token was issued without the store"
c=$(at B carol wrong)
[ "$c" = 503 ] || fail "wrong password with Redis down on B: $c (the limit must fail closed)"
code=$(curl -s -o "$T/hz" -w '%{http_code}' "$(url A)/healthz")
[ "$code" = 503 ] && grep -q '^degraded: store unreachable$' "$T/hz" || fail "/healthz with Redis down: $code $(cat "$T/hz")"
both_kids A jwks_kids || fail "A's JWKS with Redis down: $(jwks_kids A)"
both_kids B jwks_kids || fail "B's JWKS with Redis down: $(jwks_kids B)"
ok "Redis down: /token 503 temporarily_unavailable with Retry-After: 2 and no token, /healthz degraded, JWKS still both kids"

# A replica started while Redis is down (boot order): -t passes with a
# warning, it starts degraded, and comes up when Redis does.
conf C
"$PAMJWT_ISSUERD" -t -c "$T/C.conf" > "$T/t.out" 2>&1 || fail "-t with Redis down: $(cat "$T/t.out")"
grep -q "warning: store unreachable: .*will start degraded" "$T/t.out" || fail "-t with Redis down says nothing: $(cat "$T/t.out")"
start_replica C
code=$(curl -s -o "$T/hz" -w '%{http_code}' "$(url C)/healthz")
[ "$code" = 503 ] && grep -q '^degraded: store unreachable$' "$T/hz" || fail "C's /healthz started with Redis down: $code $(cat "$T/hz")"
[ "$(at C alice secret)" = 503 ] || fail "C issued with Redis down: $(cat "$T/out")"
ok "a replica started while Redis is down: -t warns, it runs degraded (/healthz 503, /token 503)"

# ---- Redis back (a fresh, empty store) --------------------------------------
start_redis
logged_in() { [ "$(at "$1" alice secret)" = 200 ]; }
WAIT_TRIES=100 WAIT_STEP=0.2 wait_for logged_in A || fail "no login on A after Redis came back: $(cat "$T/out")"
WAIT_TRIES=100 WAIT_STEP=0.2 wait_for logged_in B || fail "no login on B after Redis came back: $(cat "$T/out")"
healthy() { [ "$(curl -s "$(url "$1")/healthz")" = ok ]; }
WAIT_TRIES=150 WAIT_STEP=0.1 wait_for healthy A || fail "A's /healthz: $(curl -s "$(url A)/healthz")"
WAIT_TRIES=150 WAIT_STEP=0.1 wait_for healthy B || fail "B's /healthz: $(curl -s "$(url B)/healthz")"
RT=$(json_get "$T/out" refresh_token)
[ "$(refresh_at A "$RT")" = 200 ] || fail "B's new session refreshed on A: $(cat "$T/out")"
WAIT_TRIES=100 WAIT_STEP=0.2 wait_for logged_in C || fail "no login on C (started with Redis down) after Redis came back: $(cat "$T/out")"
WAIT_TRIES=150 WAIT_STEP=0.1 wait_for healthy C || fail "C's /healthz: $(curl -s "$(url C)/healthz")"
both() { jwks_kids "$1" | grep -q "$C_KID"; }
WAIT_TRIES=150 WAIT_STEP=0.1 wait_for both A || fail "C's key not in A's JWKS: $(jwks_kids A)"
ok "Redis back: logins and refreshes on all three replicas (C started while it was down), /healthz ok, C's key in A's JWKS, no issuer restarted"

kill -0 "$A_PID" && kill -0 "$B_PID" && kill -0 "$C_PID" || fail "a replica exited"
finish
