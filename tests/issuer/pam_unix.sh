#!/bin/sh
# Real local users through pam_unix, isolated: inside `unshare --mount`, a
# private copy of /etc (passwd, shadow and group with three test users
# added) is bind-mounted over the real one, so the machine is left
# unchanged (checked at the end).  The HTTP side runs as nobody; only
# the PAM helpers read /etc/shadow.
. "$(dirname "$0")/helpers.inc"

[ "$(id -u)" = 0 ] || { echo "needs root for unshare --mount" >&2; exit 77; }
command -v unshare >/dev/null || { echo "unshare missing" >&2; exit 77; }
[ -f /lib/x86_64-linux-gnu/security/pam_unix.so ] || [ -f /usr/lib/x86_64-linux-gnu/security/pam_unix.so ] \
    || { echo "pam_unix.so missing" >&2; exit 77; }
unshare --mount true 2>/dev/null || { echo "unshare --mount not permitted here" >&2; exit 77; }
# ASan intercepts crypt_r and calls a NULL "real" function when libcrypt
# arrives later by dlopen (pam_unix): a sanitizer artefact, not a bug here.
case ${PAMJWT_SAN:-} in *address*) echo "pam_unix cannot run under ASan (crypt_r interceptor)" >&2; exit 77 ;; esac

PW='Corr3ct-h0rse'
HASH=$(openssl passwd -6 "$PW")
# A private copy of the whole of /etc is bind-mounted over /etc: binding
# single files would not survive another process replacing /etc/shadow by
# rename (useradd does) while this test runs.
cp -a /etc "$T/etc"
today=$(( $(date +%s) / 86400 ))
cat >> "$T/etc/passwd" <<EOU
pjwtuser:x:64101:64101:pamjwt test:/nonexistent:/usr/sbin/nologin
pjwtexp:x:64102:64101:pamjwt test:/nonexistent:/usr/sbin/nologin
pjwtchg:x:64103:64101:pamjwt test:/nonexistent:/usr/sbin/nologin
EOU
cat >> "$T/etc/shadow" <<EOU
pjwtuser:$HASH:$today:0:99999:7:::
pjwtexp:$HASH:$today:0:99999:7::1:
pjwtchg:$HASH:0:0:99999:7:::
EOU
cat >> "$T/etc/group" <<EOU
pjwtgrp:x:64101:
pjwtextra:x:64102:pjwtuser
EOU

keygen ES256 "$T/sign.pem"
# The HTTP side reads the key after dropping to nobody.
for_user nobody "$T/sign.pem"
pam_stack jwt-issuer "auth required pam_unix.so" "account required pam_unix.so"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
user = nobody
rate_limit_per_ip = 0
rate_limit_per_user = 0
EOC

cat > "$T/inner.sh" <<'EOI'
set -eu
. "$HELPERS"
# Work in the outer test's directory; the outer trap removes it.
rm -rf "$T"
T=$OUTER_T
trap 'for p in $PIDS; do stop_pid "$p"; done' EXIT
mount --bind "$T/etc" /etc
getent passwd pjwtuser >/dev/null || fail "bind mount not effective"
start_issuerd "$T/iss.conf" "$T/log"
# held USER SECONDS: the last refusal of USER was held for a delay PAM asked
# for (pam_unix asks ~2 s; libpam makes it 0.5..1.5 times that), and the
# client waited at least that long.
held() {
    d=$(sed -n "s/.*user=$1 outcome=fail .* delay_ms=\([0-9]*\)\$/\1/p" "$T/log" | tail -n 1)
    [ -n "$d" ] && [ "$d" -ge 900 ] || { echo "delay_ms for $1: '$d'" >&2; return 1; }
    awk -v s="$2" -v d="$d" 'BEGIN { exit !(s * 1000 >= d) }' || { echo "$1: $2 s < $d ms" >&2; return 1; }
}

code=$(login pjwtuser "$PW")
[ "$code" = 200 ] || fail "pam_unix good password: $code $(cat "$T/out")"
TOK=$(json_get "$T/out" access_token)
$PY -c 'import jwt,sys; c=jwt.decode(sys.argv[1], options={"verify_signature": False}); assert c["sub"]=="pjwtuser", c; assert set(c["groups"])>={"pjwtgrp","pjwtextra"}, c' "$TOK" \
    || fail "claims of the pam_unix token"
ok "pam_unix: real user gets a token with its NSS groups"

set -- $(curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 30 \
    -d grant_type=password -d username=pjwtuser -d password=wrong "http://127.0.0.1:$ISS_PORT/token")
[ "$1" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_grant ] || fail "wrong password: $1"
held pjwtuser "$2" || fail "pam_unix fail delay not served"
ok "pam_unix: wrong password -> invalid_grant after pam_unix's ~2 s delay ($2 s)"
set -- $(curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 30 \
    -d grant_type=password -d username=nosuchuser -d password=wrong "http://127.0.0.1:$ISS_PORT/token")
[ "$1" = 400 ] || fail "unknown user: $1"
held nosuchuser "$2" || fail "unknown user answered early"
ok "pam_unix: unknown user -> invalid_grant after the same delay ($2 s)"

set -- $(curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 30 \
    -d grant_type=password -d username=pjwtexp --data-urlencode "password=$PW" \
    "http://127.0.0.1:$ISS_PORT/token")
# The answer is a wrong password's: it must not tell that the password
# was right (tests/issuer/uniform_errors.sh compares every header).
[ "$1" = 400 ] && grep -q '"invalid username or password"' "$T/out" || fail "expired account: $1 $(cat "$T/out")"
# pam_acct_mgmt asks for no delay; the daemon adds the usual one so the
# answer time does not reveal that the password was right.
held pjwtexp "$2" || fail "expired account answered early"
ok "pam_unix: expired account -> invalid_grant, as a wrong password, after the usual delay"
code=$(login pjwtchg "$PW")
[ "$code" = 400 ] && grep -q '"invalid username or password"' "$T/out" || fail "password change required: $code $(cat "$T/out")"
grep -q 'user=pjwtchg outcome=fail reason="password expired' "$T/log" || fail "log reason for a password change"
ok "pam_unix: password change required -> invalid_grant, as a wrong password (reason logged)"
grep -q 'user=pjwtexp outcome=fail reason="account expired"' "$T/log" || fail "log reason for expired account"
! grep -q "$PW" "$T/log" || fail "password in the log"
ok "refusals logged with their reason, password never"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
echo "$cases" > "$T/inner.cases"
EOI
HELPERS="$(cd "$(dirname "$0")" && pwd)/helpers.inc" OUTER_T=$T PW=$PW \
    unshare --mount sh "$T/inner.sh" || fail "inside the private mount namespace"
cases=$(cat "$T/inner.cases")
for f in passwd shadow group; do
    grep -q '^pjwt' "/etc/$f" && fail "a test user or group reached the host's /etc/$f"
done
getent passwd pjwtuser >/dev/null && fail "test user visible outside the namespace"
ok "the host's /etc/passwd, /etc/shadow, /etc/group never saw the test users"
done_cases
