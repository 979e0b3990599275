#!/bin/sh
# Refresh sessions against the real daemon: a password grant answers with a
# refresh token; a refresh gives a fresh token for another audience and
# rotates the refresh token; a rotated-away token ends the session; the
# account is re-checked on every refresh; /revoke ends a session; idle and
# absolute expiry; sessions survive a restart; the per-session limit; the
# metadata; no refresh token in the log; a bad sessions.db stops startup.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
mkdir -m 0700 "$T/state"
conf() {   # conf [extra lines...]: the daemon's configuration
    {
        printf 'listen = 127.0.0.1:0\nissuer = https://issuer.test\n'
        printf 'signing_key = %s\npam_confdir = %s\nstate_dir = %s\n' \
            "$T/sign.pem" "$T/pam.d" "$T/state"
        printf 'allowed_audiences = ssh:*\ntoken_lifetime = 60\n'
        printf 'fail_delay_ms = 0\n'
        for l in "$@"; do printf '%s\n' "$l"; done
    } > "$T/iss.conf"
}
# refresh RT [curl args]: POST a refresh, body in $T/out, prints the code.
refresh() {
    rt=$1; shift
    printf 'grant_type=refresh_token&refresh_token=%s' "$rt" > "$T/form"
    curl -s -o "$T/out" -D "$T/hdr" -w '%{http_code}' --max-time 30 \
        --data-binary @"$T/form" "$@" "http://127.0.0.1:$ISS_PORT/token"
}
claim() {   # claim TOKEN NAME: one claim of an (unverified) JWT
    $PY -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; p+="="*(-len(p)%4); print(json.loads(base64.urlsafe_b64decode(p))[sys.argv[2]])' "$1" "$2"
}
# refused_start: the daemon must exit 1 at startup (a daemon that starts
# would be stopped by the timeout, 124, and fail the check).
refused_start() {
    rc=0
    timeout 10 "$PAMJWT_ISSUERD" -c "$T/iss.conf" 2> "$T/err" || rc=$?
    [ "$rc" = 1 ] || fail "startup not refused (exit $rc): $(cat "$T/err")"
}
RTS=""   # every refresh token seen, to check none reaches the log

conf
start_issuerd "$T/iss.conf" "$T/log"
grep -q "sessions: $T/state/sessions.db" "$T/log" || fail "no sessions line"
[ "$(stat -c %a "$T/state/sessions.db")" = 600 ] || fail "sessions.db mode $(stat -c %a "$T/state/sessions.db")"
ok "the store is created on first start, mode 0600"

curl -s "http://127.0.0.1:$ISS_PORT/.well-known/oauth-authorization-server" > "$T/meta"
$PY - "$T/meta" <<'EOP' || fail "metadata: $(cat "$T/meta")"
import json, sys
m = json.load(open(sys.argv[1]))
assert "refresh_token" in m["grant_types_supported"], m
assert m["revocation_endpoint"] == "https://issuer.test/revoke", m
EOP
ok "metadata lists the refresh_token grant and the revocation endpoint"

code=$(login alice secret)
[ "$code" = 200 ] || fail "login: $code $(cat "$T/out")"
RT1=$(json_get "$T/out" refresh_token); SID=$(json_get "$T/out" pamjwt_session)
RTS="$RTS $RT1"
[ ${#RT1} = 43 ] || fail "refresh token length ${#RT1}"
[ -n "$SID" ] && [ "$(json_get "$T/out" pamjwt_session_idle)" = 3600 ] || fail "session fields: $(cat "$T/out")"
exp=$(json_get "$T/out" pamjwt_session_expires); now=$(date +%s)
[ $((exp - now)) -gt 28700 ] && [ $((exp - now)) -le 28800 ] || fail "session expiry $exp (now $now)"
ok "a password grant starts a session: 43-character refresh token, id, limits"

code=$(refresh "$RT1" --data-urlencode audience=ssh:web1)
[ "$code" = 200 ] || fail "refresh: $code $(cat "$T/out")"
grep -qi '^cache-control: no-store' "$T/hdr" || fail "no Cache-Control: no-store"
RT2=$(json_get "$T/out" refresh_token); A1=$(json_get "$T/out" access_token)
RTS="$RTS $RT2"
[ "$RT2" != "$RT1" ] || fail "refresh token not rotated"
[ "$(claim "$A1" aud)" = ssh:web1 ] && [ "$(claim "$A1" sub)" = alice ] || fail "claims of a refreshed token"
code=$(refresh "$RT2" --data-urlencode audience=ssh:web2)
[ "$code" = 200 ] || fail "second refresh: $code $(cat "$T/out")"
RT3=$(json_get "$T/out" refresh_token); A2=$(json_get "$T/out" access_token)
RTS="$RTS $RT3"
[ "$(claim "$A2" aud)" = ssh:web2 ] || fail "aud of the second"
[ "$(claim "$A1" jti)" != "$(claim "$A2" jti)" ] || fail "same jti twice"
grep -q "grant=refresh session=$SID jti=$(claim "$A2" jti) aud=ssh:web2" "$T/log" || fail "no refresh line with session, jti and aud"
ok "refreshes rotate the token and give per-host tokens with their own jti, logged"

code=$(refresh "$RT3" --data-urlencode audience=other)
[ "$code" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_request ] || fail "unlisted audience: $code"
code=$(refresh "$RT3" --data-urlencode username=alice)
[ "$code" = 400 ] || fail "username with a refresh: $code"
ok "a refresh names only audiences the issuer allows, and no user"

code=$(refresh "$RT1")
[ "$code" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_grant ] || fail "reused token: $code $(cat "$T/out")"
grep -q "refresh token reuse: session=$SID user=alice ended" "$T/log" || fail "reuse not logged"
code=$(refresh "$RT3")
[ "$code" = 400 ] || fail "the live token still works after reuse: $code"
ok "a reused refresh token ends the whole session, logged as possible theft"

# The account is re-checked: pam_matrix's account step refuses alice once
# her passdb line names another service.
code=$(login alice secret); RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"
cp "$T/passdb" "$T/passdb.good"
sed -i 's/^alice:secret:jwt-issuer/alice:secret:other-service/' "$T/passdb"
code=$(refresh "$RT")
[ "$code" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_grant ] || fail "refresh of a refused account: $code"
grep -q 'user=alice outcome=fail reason="account: .*: session ended"' "$T/log" || fail "account refusal not logged"
cp "$T/passdb.good" "$T/passdb"
code=$(refresh "$RT")
[ "$code" = 400 ] || fail "session survived the account refusal: $code"
ok "an account refused at refresh ends the session"

code=$(login alice secret); RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"
code=$(curl -s -o "$T/out" -w '%{http_code}' --data-urlencode "token=$RT" \
    --data-urlencode token_type_hint=refresh_token "http://127.0.0.1:$ISS_PORT/revoke")
[ "$code" = 200 ] || fail "revoke: $code"
grep -q "revoke: addr=127.0.0.1 session=.* user=alice outcome=revoked" "$T/log" || fail "no revoke line"
code=$(refresh "$RT"); [ "$code" = 400 ] || fail "refresh after revoke: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode "token=nonsense" "http://127.0.0.1:$ISS_PORT/revoke")
[ "$code" = 200 ] || fail "revoke of an unknown token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "http://127.0.0.1:$ISS_PORT/revoke")
[ "$code" = 400 ] || fail "revoke without token: $code"
ok "POST /revoke ends the session; unknown tokens answer 200, a missing one 400"

# jwtctl sessions reads the store the running daemon writes.
code=$(login alice secret); RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"
SID=$(json_get "$T/out" pamjwt_session)
"$PAMJWT_JWTCTL" sessions --state-dir "$T/state" list --user alice > "$T/list" ||
    fail "jwtctl sessions list: $(cat "$T/list")"
grep -q "^$SID  *alice" "$T/list" || fail "session $SID not listed: $(cat "$T/list")"
"$PAMJWT_JWTCTL" sessions --state-dir "$T/state" revoke "$SID" > "$T/rev" 2>&1 || fail "jwtctl sessions revoke: $(cat "$T/rev")"
code=$(refresh "$RT"); [ "$code" = 400 ] || fail "refresh after jwtctl sessions revoke: $code"
ok "jwtctl sessions list shows a live session of the running daemon; revoke ends it"

code=$(login alice secret); RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"
stop_issuerd
start_issuerd "$T/iss.conf" "$T/log"
code=$(refresh "$RT"); [ "$code" = 200 ] || fail "refresh after restart: $code $(cat "$T/out")"
RTS="$RTS $(json_get "$T/out" refresh_token)"
ok "sessions survive a restart"
stop_issuerd
cp "$T/log" "$T/log.1"

# Short limits: idle 4 s, absolute 10 s.  Wide enough for a slow build
# (sanitizers, valgrind): each step is timed from the login it depends on,
# and refreshes come about every second, far inside the idle limit.
conf "session_idle = 4" "session_lifetime = 10"
start_issuerd "$T/iss.conf" "$T/log"
code=$(login alice secret); RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"
sleep 5
code=$(refresh "$RT"); [ "$code" = 400 ] || fail "idle session refreshed: $code"
# Refreshed every second or so (never idle for 4), it still ends 10 s
# after the login.
code=$(login alice secret); RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"
t0=$(date +%s); n=0
while [ $(( $(date +%s) - t0 )) -lt 7 ]; do
    code=$(refresh "$RT")
    [ "$code" = 200 ] || fail "refresh $n within the limits: $code $(cat "$T/out")"
    RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"; n=$((n + 1))
    sleep 1
done
# Keep it from idling while the absolute end comes.
while [ $(( $(date +%s) - t0 )) -lt 11 ]; do
    code=$(refresh "$RT")
    [ "$code" = 200 ] || break
    RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"
    sleep 1
done
code=$(refresh "$RT"); [ "$code" = 400 ] || fail "refresh past the absolute end: $code"
el=$(( $(date +%s) - t0 ))
[ "$el" -ge 9 ] || fail "the session ended after ${el}s, before its absolute end"
stop_issuerd
cp "$T/log" "$T/log.2"
# rate_limit_per_session = 3: the 4th refresh in a minute is 429.
conf "rate_limit_per_session = 3"
start_issuerd "$T/iss.conf" "$T/log"
code=$(login alice secret); RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"
for i in 1 2 3; do
    code=$(refresh "$RT")
    [ "$code" = 200 ] || fail "refresh $i of 3: $code $(cat "$T/out")"
    RT=$(json_get "$T/out" refresh_token); RTS="$RTS $RT"
done
code=$(refresh "$RT")
[ "$code" = 429 ] && grep -qi '^retry-after:' "$T/hdr" || fail "4th refresh in a minute: $code"
ok "idle and absolute expiry end sessions; rate_limit_per_session answers 429"
stop_issuerd

for rt in $RTS; do
    if grep -qF "$rt" "$T/log" "$T/log.1" "$T/log.2"; then fail "a refresh token is in the log"; fi
done
ok "no refresh token ever reached the log ($(echo $RTS | wc -w) checked)"

conf "session_lifetime = 0"
start_issuerd "$T/iss.conf" "$T/log"
code=$(login alice secret)
[ "$code" = 200 ] && [ -z "$(json_get "$T/out" refresh_token)" ] || fail "session_lifetime = 0 still starts sessions"
code=$(refresh "$RT"); [ "$code" = 400 ] && [ "$(json_get "$T/out" error)" = unsupported_grant_type ] || fail "refresh with sessions off: $code"
stop_issuerd
ok "session_lifetime = 0 turns sessions off"

conf
cp "$T/state/sessions.db" "$T/good.db"
printf 'this is not a database, it is a text file long enough to be read\n%.0s' 1 2 3 4 5 6 7 8 > "$T/state/sessions.db"
rm -f "$T/state/sessions.db-wal" "$T/state/sessions.db-shm"
refused_start
grep -q "sessions.db" "$T/err" || fail "corrupt store message: $(cat "$T/err")"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > /dev/null 2> "$T/err"; then fail "-t accepted a corrupt store"; fi
cp "$T/good.db" "$T/state/sessions.db"
chown 65534 "$T/state/sessions.db"
refused_start
grep -q "sessions.db.*owned by uid 65534" "$T/err" || fail "owner message: $(cat "$T/err")"
chown 0 "$T/state/sessions.db"; chmod 0644 "$T/state/sessions.db"
refused_start
grep -q "sessions.db" "$T/err" || fail "mode message: $(cat "$T/err")"
chmod 0600 "$T/state/sessions.db"; chmod 0777 "$T/state"
refused_start
grep -q "state_dir $T/state: writable by group or others" "$T/err" || fail "state_dir message: $(cat "$T/err")"
chmod 0700 "$T/state"
sed -i "s|^state_dir = .*|state_dir = $T/missing|" "$T/iss.conf"
refused_start
grep -q "state_dir $T/missing: No such file or directory (create it" "$T/err" || fail "missing state_dir message: $(cat "$T/err")"
ok "a corrupt, foreign-owned or open store, or a bad state_dir, stops startup with a message"
finish
