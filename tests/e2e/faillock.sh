#!/bin/sh
# The optional pam_faillock lines of etc/pam.d/jwt-issuer, taken from the
# shipped file (its "#auth"/"#account" lines, uncommented, dir= pointed at a
# temp tally dir; nothing retyped here), loaded by the real daemon from a
# private pam_confdir with the unit's privileges (root, bounding set
# CAP_SETUID CAP_SETGID: no DAC override, so the tally dir must be root's
# own, as StateDirectory= makes it), checking a throwaway local user
# with the real pam_unix:
#  - the right password gets a token (the old example's authfail line
#    refused every right password);
#  - 3 wrong passwords (faillock.conf's deny=3), then the right one is
#    refused: locked;
#  - `faillock --reset` unlocks, and the right password passes again.
# The issuer's own throttles are off (rate_limit_per_user = 0,
# rate_limit_per_ip = 0, fail_delay_ms = 0) so that only pam_faillock
# can refuse the right password; pam_unix's ~2 s delay still runs, served
# by the daemon as a timer.  Root only (throwaway user, removed afterwards).
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
. tests/lib/harness.sh
ISSUERD=${PAMJWT_ISSUERD:-$TOP/issuer/jwt-issuerd/jwt-issuerd}
[ -x "$ISSUERD" ] || skip "not built yet: jwt-issuerd"
[ "$(id -u)" = 0 ] || skip "needs root (throwaway user)"
for c in setpriv useradd userdel chpasswd curl faillock; do
    command -v "$c" >/dev/null || skip "$c missing"
done
[ -f /lib/x86_64-linux-gnu/security/pam_faillock.so ] || [ -f /usr/lib/x86_64-linux-gnu/security/pam_faillock.so ] ||
    skip "pam_faillock.so missing (libpam-modules)"
case ${PAMJWT_SAN:-} in *address*) skip "pam_unix cannot run under ASan (crypt_r interceptor)" ;; esac

harness_init pamjwt-faillock
FAIL_LOGS=$T/issuer.log FAIL_TAIL=20
usr=pjwtf$$
created=""
pid=""
on_exit '[ -z "$pid" ] || stop_pid "$pid"
[ -z "$created" ] || userdel "$created" >/dev/null 2>&1 || true'
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$usr" || fail "useradd $usr"
created=$usr
pw="Lock-$$-pw"
echo "$usr:$pw" | chpasswd || fail "chpasswd"

# The shipped example, uncommented; only its dir= changes.
mkdir -p "$T/pam.d" "$T/tally"
chmod 0700 "$T/tally"
sed -n 's/^#\(auth\|account\)\([[:space:]]\)/\1\2/p' etc/pam.d/jwt-issuer |
    sed "s|dir=/var/lib/jwt-issuerd-faillock|dir=$T/tally|" > "$T/pam.d/jwt-issuer"
grep -q 'authsucc' "$T/pam.d/jwt-issuer" || fail "no pam_faillock example in etc/pam.d/jwt-issuer"
[ "$(grep -c "dir=$T/tally" "$T/pam.d/jwt-issuer")" = "$(grep -c pam_faillock "$T/pam.d/jwt-issuer")" ] ||
    fail "a pam_faillock line without the documented dir="
grep -q "StateDirectory=jwt-issuerd-faillock" etc/systemd/jwt-issuerd.service ||
    fail "jwt-issuerd.service does not create the documented tally dir"
sed 's/^/    stack: /' "$T/pam.d/jwt-issuer"

port=$(free_port)
"$TOP/issuer/jwtctl/jwtctl" keygen --alg ES256 "$T/signing.key" > /dev/null 2>&1 || keygen ES256 "$T/signing.key"
cat > "$T/iss.conf" <<EOF
listen = 127.0.0.1:$port
issuer = https://login.example.com
signing_key = $T/signing.key
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
rate_limit_per_user = 0
rate_limit_per_ip = 0
fail_delay_ms = 0
EOF
chmod 0644 "$T/iss.conf" "$T/pam.d/jwt-issuer"

# As jwt-issuerd.service runs it (see tests/e2e/unit_privs.sh).
setpriv --no-new-privs --inh-caps=-all --bounding-set=-all,+setuid,+setgid \
    sh -c 'ulimit -c 0; umask 077; exec "$@"' unit "$ISSUERD" -c "$T/iss.conf" 2> "$T/issuer.log" &
pid=$!
i=0
until grep -q 'info: ready' "$T/issuer.log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "jwt-issuerd exited"
    [ $i -lt 100 ] || fail "not ready"; sleep 0.1; i=$((i + 1))
done

login() { curl -s --max-time 30 --data-urlencode grant_type=password --data-urlencode "username=$usr" \
              --data-urlencode "password=$1" "http://127.0.0.1:$port/token"; }
token_ok() { case $1 in *'"access_token":"ey'*) return 0 ;; esac; return 1; }

out=$(login "$pw")
token_ok "$out" || fail "right password refused by the faillock stack: $out"
ok "pam_faillock stack: the right password gets a token"

for n in 1 2 3; do
    out=$(login "wrong$n-$pw")
    case $out in *'"invalid_grant"'*) ;; *) fail "wrong password $n: $out" ;; esac
done
ls "$T/tally/$usr" > /dev/null 2>&1 || fail "no tally written in the dir= directory"
ok "3 wrong passwords: invalid_grant each, tally written to the dir= directory"
out=$(login "$pw")
token_ok "$out" && fail "the right password got a token after 3 failures (deny=3 not in effect)"
case $out in *'"invalid_grant"'*) ;; *) fail "locked account: $out" ;; esac
ok "after 3 wrong passwords the right one is refused (locked)"

faillock --dir "$T/tally" --user "$usr" --reset || fail "faillock --reset"
out=$(login "$pw")
token_ok "$out" || fail "right password refused after faillock --reset: $out"
ok "faillock --dir ... --reset unlocks: the right password gets a token again"

stop_pid "$pid"; pid=""
done_cases
