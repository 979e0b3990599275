#!/bin/sh
# jwt-issuerd.service's privilege model, emulated with setpriv(1) because
# the test machine may not run systemd: an unprivileged service user, all
# capabilities dropped, NoNewPrivileges, and supplementary group shadow,
# checking a real local user's password through the real pam_unix.
#
# What it proves (the reasoning in the unit's comments):
#  - pam_unix in a non-root process runs its helper unix_chkpwd; with the
#    service in group shadow the helper reads /etc/shadow through that
#    group, NoNewPrivileges or not: a correct password gets a token, a wrong
#    one does not;
#  - without group shadow even the right password is refused, with
#    NoNewPrivileges (the helper's setgid bit is ignored) and without it
#    (a setgid helper called by a non-root process checks only that
#    caller's own password): SupplementaryGroups=shadow is required, and
#    NoNewPrivileges=yes costs nothing.
# Root only (throwaway users, removed afterwards).
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
ISSUERD=${PAMJWT_ISSUERD:-$TOP/issuer/jwt-issuerd}
JWTCTL=${PAMJWT_JWTCTL:-$TOP/issuer/jwtctl}
[ -x "$ISSUERD" ] && [ -x "$JWTCTL" ] || { echo "not built yet: jwt-issuerd/jwtctl"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "needs root (throwaway users)"; exit 77; }
for c in setpriv useradd userdel chpasswd curl jq; do
    command -v "$c" >/dev/null || { echo "$c missing"; exit 77; }
done
getent group shadow >/dev/null || { echo "no group shadow"; exit 77; }
# Under ASan the daemon's PAM helper crashes inside pam_unix.so when pam_unix
# (non-root) forks unix_chkpwd (a call through a NULL pointer in the child):
# a sanitizer-runtime interaction, reported; the normal build is tested.
[ -z "${PAMJWT_SAN:-}" ] || { echo "not on a sanitizer build: pam_unix's unix_chkpwd fork crashes under ASan (reported)"; exit 77; }

T=$(mktemp -d)
chmod 0755 "$T"
svc=pjwts$$
usr=pjwtu$$
created=""
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null || true
    fi
    for u in $created; do userdel "$u" >/dev/null 2>&1 || true; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cases=0
fail() { echo "FAIL: $*"; echo "--- issuer log:"; tail -n 20 "$T/issuer.log" 2>/dev/null || true; exit 1; }
ok() { cases=$((cases + 1)); echo "ok: $*"; }

useradd -r -M -d /nonexistent -s /usr/sbin/nologin -U "$svc" || fail "useradd $svc"
created="$svc"
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$usr" || fail "useradd $usr"
created="$created $usr"
pw="Unit-$$-pw"
echo "$usr:$pw" | chpasswd || fail "chpasswd"

# The service's files, owned by the service user as the README says.
mkdir -p "$T/etc" "$T/pam.d"
"$JWTCTL" keygen --alg ES256 "$T/etc/signing.key" > /dev/null
# The shipped /etc/pam.d/jwt-issuer, as is.
cp etc/pam.d/jwt-issuer "$T/pam.d/jwt-issuer"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/etc/jwt-issuerd.conf" <<EOF
listen = 127.0.0.1:$port
issuer = https://login.example.com
signing_key = $T/etc/signing.key
pam_confdir = $T/pam.d
claims_groups = no
EOF
chown -R "$svc:$svc" "$T/etc"
chmod 0644 "$T/etc/jwt-issuerd.conf" "$T/pam.d/jwt-issuer"

# run GROUPS [nnp]: the daemon as the unit would run it (User=, Group=,
# SupplementaryGroups=GROUPS, NoNewPrivileges=yes, CapabilityBoundingSet=).
run() {
    rm -f "$T/issuer.log"
    nnp=--no-new-privs; [ "${2:-nnp}" = nnp ] || nnp=""
    setpriv --reuid="$svc" --regid="$svc" --groups="$1" $nnp \
        --inh-caps=-all --bounding-set=-all \
        "$ISSUERD" -c "$T/etc/jwt-issuerd.conf" 2> "$T/issuer.log" &
    pid=$!
    i=0
    until grep -q 'info: ready' "$T/issuer.log" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || fail "jwt-issuerd exited under setpriv"
        [ $i -lt 100 ] || fail "not ready"; sleep 0.1; i=$((i + 1))
    done
}
stop() { kill "$pid"; i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; pid=""; }
login() { curl -s --max-time 30 --data-urlencode grant_type=password --data-urlencode "username=$usr" \
              --data-urlencode "password=$1" "http://127.0.0.1:$port/token"; }

shadow_gid=$(getent group shadow | cut -d: -f3)
svc_gid=$(id -g "$svc")
run "$svc_gid,$shadow_gid"
grep -q "NoNewPrivs:[[:space:]]*1" "/proc/$pid/status" || fail "NoNewPrivileges not in effect"
grep -q "CapEff:[[:space:]]*0000000000000000" "/proc/$pid/status" || fail "capabilities not dropped"
out=$(login "$pw")
case $out in *'"access_token":"ey'*) ;; *) fail "group shadow + NoNewPrivileges: right password refused: $out" ;; esac
out=$(login "wrong-$pw")
case $out in *'"invalid_grant"'*) ;; *) fail "wrong password: $out" ;; esac
stop
ok "unprivileged, no capabilities, NoNewPrivileges, group shadow: pam_unix checks another user's password"

run "$svc_gid"
out=$(login "$pw")
case $out in *'"access_token"'*) fail "without group shadow under NoNewPrivileges a password was accepted: the unit's reasoning is wrong" ;; esac
stop
ok "without group shadow (NoNewPrivileges ignores unix_chkpwd's setgid bit) the right password is refused"

# And without NoNewPrivileges: the setgid helper alone still refuses,
# because for a non-root caller unix_chkpwd checks only the caller's own
# password.  So NoNewPrivileges costs nothing; group shadow is what works.
run "$svc_gid" no
out=$(login "$pw")
case $out in *'"access_token"'*) fail "the setgid helper checked another user's password for an unprivileged caller" ;; esac
stop
ok "without NoNewPrivileges either: unix_chkpwd alone never checks another user's password"

echo "# cases passed: $cases"
