#!/bin/sh
# Real local users through pam_unix, isolated: inside `unshare --mount`,
# private copies of /etc/passwd, /etc/shadow and /etc/group (with three
# test users added) are bind-mounted over the real ones, so the machine is
# left unchanged (checked at the end).  The HTTP side runs as nobody; only
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
before=$(cat /etc/passwd /etc/shadow /etc/group | sha256sum)

PW='Corr3ct-h0rse'
HASH=$(openssl passwd -6 "$PW")
cp /etc/passwd "$T/passwd"; cp /etc/shadow "$T/shadow"; cp /etc/group "$T/group"
chmod 640 "$T/shadow"
today=$(( $(date +%s) / 86400 ))
cat >> "$T/passwd" <<EOU
pjwtuser:x:64101:64101:pamjwt test:/nonexistent:/usr/sbin/nologin
pjwtexp:x:64102:64101:pamjwt test:/nonexistent:/usr/sbin/nologin
pjwtchg:x:64103:64101:pamjwt test:/nonexistent:/usr/sbin/nologin
EOU
cat >> "$T/shadow" <<EOU
pjwtuser:$HASH:$today:0:99999:7:::
pjwtexp:$HASH:$today:0:99999:7::1:
pjwtchg:$HASH:0:0:99999:7:::
EOU
cat >> "$T/group" <<EOU
pjwtgrp:x:64101:
pjwtextra:x:64102:pjwtuser
EOU

keygen ES256 "$T/sign.pem"
pam_stack jwt-issuer "auth required pam_unix.so" "account required pam_unix.so"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
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
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done' EXIT
mount --bind "$T/passwd" /etc/passwd
mount --bind "$T/shadow" /etc/shadow
mount --bind "$T/group" /etc/group
getent passwd pjwtuser >/dev/null || fail "bind mount not effective"
start_issuerd "$T/iss.conf" "$T/log"

code=$(login pjwtuser "$PW")
[ "$code" = 200 ] || fail "pam_unix good password: $code $(cat "$T/out")"
TOK=$(json_get "$T/out" access_token)
$PY -c 'import jwt,sys; c=jwt.decode(sys.argv[1], options={"verify_signature": False}); assert c["sub"]=="pjwtuser", c; assert set(c["groups"])>={"pjwtgrp","pjwtextra"}, c' "$TOK" \
    || fail "claims of the pam_unix token"
ok "pam_unix: real user gets a token with its NSS groups"

set -- $(curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 30 \
    -d grant_type=password -d username=pjwtuser -d password=wrong "http://127.0.0.1:$ISS_PORT/token")
[ "$1" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_grant ] || fail "wrong password: $1"
awk -v s="$2" 'BEGIN { exit !(s >= 1.6) }' || fail "pam_unix fail delay not served ($2 s)"
ok "pam_unix: wrong password -> invalid_grant after pam_unix's ~2 s delay ($2 s)"
set -- $(curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 30 \
    -d grant_type=password -d username=nosuchuser -d password=wrong "http://127.0.0.1:$ISS_PORT/token")
[ "$1" = 400 ] || fail "unknown user: $1"
awk -v s="$2" 'BEGIN { exit !(s >= 1.6) }' || fail "unknown user answered early ($2 s)"
ok "pam_unix: unknown user -> invalid_grant after the same delay ($2 s)"

set -- $(curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 30 \
    -d grant_type=password -d username=pjwtexp --data-urlencode "password=$PW" \
    "http://127.0.0.1:$ISS_PORT/token")
[ "$1" = 400 ] && grep -q '"account expired"' "$T/out" || fail "expired account: $1 $(cat "$T/out")"
# pam_acct_mgmt asks for no delay; the daemon adds the usual one so the
# answer time does not reveal that the password was right.
awk -v s="$2" 'BEGIN { exit !(s >= 1.6) }' || fail "expired account answered early ($2 s)"
ok "pam_unix: expired account -> invalid_grant, account expired, after the usual delay"
code=$(login pjwtchg "$PW")
[ "$code" = 400 ] && grep -q 'password expired' "$T/out" || fail "password change required: $code $(cat "$T/out")"
ok "pam_unix: password change required -> invalid_grant, password expired"
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
after=$(cat /etc/passwd /etc/shadow /etc/group | sha256sum)
[ "$before" = "$after" ] || fail "the machine's passwd/shadow/group changed"
getent passwd pjwtuser >/dev/null && fail "test user visible outside the namespace"
ok "host /etc/passwd, /etc/shadow, /etc/group unchanged"
done_cases
