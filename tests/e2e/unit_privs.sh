#!/bin/sh
# Review finding 2: jwt-issuerd.service's process layout, emulated with
# setpriv(1) because the test machine may not run systemd.  The unit starts
# the daemon as root (no User=) with CapabilityBoundingSet=CAP_SETUID
# CAP_SETGID, NoNewPrivileges=yes and LimitCORE=0; the config says
# `user = SERVICE`.  Shown from /proc, process by process:
#  - the HTTP process (the one that signs) runs as the service user with
#    its primary group only (no group shadow), no capabilities, is not
#    dumpable;
#  - the PAM supervisor and helpers are root with CAP_SETUID/CAP_SETGID
#    only: no CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH;
#  - so a program PAM runs (a pam_exec probe in the stack) cannot open the
#    signing key, owned by the service user, mode 0600, while the HTTP
#    process reads it;
#  - a real throwaway user logs in through the shipped /etc/pam.d/jwt-issuer
#    (pam_unix as root reads /etc/shadow itself), a wrong password does not;
#  - `jwt-issuerd -t` (ExecStartPre, as root) passes, checking the key as
#    the service user.
# Root only (throwaway users, removed afterwards).
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
. tests/lib/harness.sh
ISSUERD=${PAMJWT_ISSUERD:-$TOP/issuer/jwt-issuerd/jwt-issuerd}
JWTCTL=${PAMJWT_JWTCTL:-$TOP/issuer/jwtctl/jwtctl}
[ -x "$ISSUERD" ] && [ -x "$JWTCTL" ] || skip "not built yet: jwt-issuerd/jwtctl"
[ "$(id -u)" = 0 ] || skip "needs root (throwaway users)"
for c in setpriv useradd userdel chpasswd curl pgrep; do
    command -v "$c" >/dev/null || skip "$c missing"
done
getent group shadow >/dev/null || skip "no group shadow"
# ASan intercepts crypt_r and calls a NULL "real" function when libcrypt
# arrives later by dlopen (pam_unix): a sanitizer artefact, not a bug here.
case ${PAMJWT_SAN:-} in *address*) skip "pam_unix cannot run under ASan (crypt_r interceptor)" ;; esac

harness_init pamjwt-unit
chmod 0755 "$T"
FAIL_LOGS=$T/issuer.log FAIL_TAIL=20
svc=pjwts$$
usr=pjwtu$$
created=""
# $pid is the daemon while it runs.  At exit: the daemon first (its PAM
# helpers run as root for $usr), then the throwaway users, then $T.
pid=""
on_exit '[ -z "$pid" ] || stop_pid "$pid"
for u in $created; do userdel "$u" >/dev/null 2>&1 || true; done'

useradd -r -M -d /nonexistent -s /usr/sbin/nologin -U "$svc" || fail "useradd $svc"
created="$svc"
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$usr" || fail "useradd $usr"
created="$created $usr"
pw="Unit-$$-pw"
echo "$usr:$pw" | chpasswd || fail "chpasswd"
svc_uid=$(id -u "$svc"); svc_gid=$(id -g "$svc")
shadow_gid=$(getent group shadow | cut -d: -f3)
# The service user reads the config and key in $T: a test TMPDIR of mode
# 0700 (root's) gets o+x, which safe_path allows.
case $T in "${TMPDIR:-/nonexistent}"/*) [ "$(stat -c %u "$TMPDIR")" = 0 ] && chmod o+x "$TMPDIR" ;; esac
setpriv --reuid="$svc" --regid="$svc_gid" --clear-groups test -x "$T" \
    || skip "$T cannot be reached by $svc (mode of TMPDIR?)"

# The service's files as the README installs them: config and PAM service
# root's, the signing key the service user's, mode 0600.
mkdir -p "$T/etc" "$T/pam.d"
"$JWTCTL" keygen --alg ES256 "$T/etc/signing.key" > /dev/null
chown "$svc:$svc" "$T/etc/signing.key"
chmod 0600 "$T/etc/signing.key"
# The shipped /etc/pam.d/jwt-issuer, with a probe in front: what a PAM
# module (pam_exec) can do with the helpers' rights.
cat > "$T/probe.sh" <<EOS
#!/bin/sh
{
    echo "uid \$(id -u)"
    grep '^CapEff:' /proc/self/status
    if cat "$T/etc/signing.key" > /dev/null 2>&1; then echo "key READ"; else echo "key DENIED"; fi
    if cat /etc/shadow > /dev/null 2>&1; then echo "shadow READ"; else echo "shadow DENIED"; fi
} > "$T/probe.out"
EOS
chmod 0755 "$T/probe.sh"
{ echo "auth optional pam_exec.so quiet $T/probe.sh"; cat etc/pam.d/jwt-issuer; } > "$T/pam.d/jwt-issuer"
port=$(free_port)
cat > "$T/etc/jwt-issuerd.conf" <<EOF
listen = 127.0.0.1:$port
issuer = https://login.example.com
signing_key = $T/etc/signing.key
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
user = $svc
EOF
chmod 0644 "$T/etc/jwt-issuerd.conf" "$T/pam.d/jwt-issuer"

# $UNIT CMD...: as jwt-issuerd.service runs its commands: root, the
# bounding set CAP_SETUID CAP_SETGID, NoNewPrivileges, LimitCORE=0,
# UMask=0077 (every step execs, so $! is the daemon's pid).
UNIT="setpriv --no-new-privs --inh-caps=-all --bounding-set=-all,+setuid,+setgid sh -c"
UNIT_SH='ulimit -c 0; umask 077; exec "$@"'

# ExecStartPre: -t as root, the key read as the service user.
$UNIT "$UNIT_SH" unit "$ISSUERD" -t -c "$T/etc/jwt-issuerd.conf" > "$T/check.out" 2> "$T/issuer.log" \
    || fail "-t under the unit's privileges: $(cat "$T/issuer.log")"
ok "ExecStartPre (jwt-issuerd -t, root, bounding set CAP_SETUID CAP_SETGID): $(cat "$T/check.out")"

$UNIT "$UNIT_SH" unit "$ISSUERD" -c "$T/etc/jwt-issuerd.conf" 2> "$T/issuer.log" &
pid=$!
i=0
until grep -q 'info: ready' "$T/issuer.log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "jwt-issuerd exited under the unit's privileges"
    [ $i -lt 100 ] || fail "not ready"; sleep 0.1; i=$((i + 1))
done
sup=$(pgrep -P "$pid" | head -n 1)
[ -n "$sup" ] || fail "no PAM supervisor"
i=0; until [ -n "$(pgrep -P "$sup" || true)" ]; do [ $i -lt 100 ] || fail "no helper"; sleep 0.1; i=$((i + 1)); done
helpers=$(pgrep -P "$sup" | tr '\n' ' ')

st() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }
caps() { printf '%d' "0x$(st "$1" "$2")"; }
SETUID_SETGID=$(( (1 << 6) | (1 << 7) ))
DAC=$(( (1 << 1) | (1 << 2) ))       # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
show() {   # show ROLE PID: one line of what the process holds
    echo "    $1 (pid $2): Uid $(st "$2" Uid | tr '\t' ' ') | Gid $(st "$2" Gid | tr '\t' ' ') | Groups $(st "$2" Groups) | CapEff $(st "$2" CapEff) | CapBnd $(st "$2" CapBnd) | NoNewPrivs $(st "$2" NoNewPrivs) | /proc owner $(stat -c %u "/proc/$2/status")"
}
show "HTTP/signing" "$pid"
show "PAM supervisor" "$sup"
for h in $helpers; do show "PAM helper" "$h"; done

# The HTTP process: the service user, its own group only, nothing else.
[ "$(st "$pid" Uid | tr -s ' \t' ' ')" = "$svc_uid $svc_uid $svc_uid $svc_uid" ] || fail "HTTP uid: $(st "$pid" Uid)"
[ "$(st "$pid" Gid | tr -s ' \t' ' ')" = "$svc_gid $svc_gid $svc_gid $svc_gid" ] || fail "HTTP gid: $(st "$pid" Gid)"
for g in $(st "$pid" Groups); do
    [ "$g" = "$svc_gid" ] || fail "HTTP process has supplementary group $g (shadow is $shadow_gid)"
done
[ "$(caps "$pid" CapEff)" = 0 ] && [ "$(caps "$pid" CapPrm)" = 0 ] || fail "HTTP process has capabilities"
[ "$(st "$pid" NoNewPrivs)" = 1 ] || fail "NoNewPrivileges not in effect"
[ "$(stat -c %u "/proc/$pid/status")" = 0 ] || fail "the signing process is dumpable"
ok "HTTP/signing process: uid/gid $svc, no supplementary group (no shadow), no capabilities, not dumpable"

# The PAM side: root, CAP_SETUID/CAP_SETGID at most, never DAC overrides.
for p in $sup $helpers; do
    [ "$(st "$p" Uid | tr -s ' \t' ' ')" = "0 0 0 0" ] || fail "PAM process $p uid: $(st "$p" Uid)"
    [ $(( $(caps "$p" CapBnd) & ~SETUID_SETGID )) = 0 ] || fail "PAM process $p bounding set $(st "$p" CapBnd)"
    [ $(( $(caps "$p" CapEff) & DAC )) = 0 ] || fail "PAM process $p has a DAC override: $(st "$p" CapEff)"
    [ "$(st "$p" NoNewPrivs)" = 1 ] || fail "PAM process $p without NoNewPrivs"
done
ok "PAM supervisor and $(echo $helpers | wc -w) helper(s): root, capabilities within CAP_SETUID CAP_SETGID, no CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH"

login() { curl -s --max-time 30 --data-urlencode grant_type=password --data-urlencode "username=$usr" \
              --data-urlencode "password=$1" "http://127.0.0.1:$port/token"; }
out=$(login "$pw")
case $out in *'"access_token":"ey'*) ;; *) fail "right password refused: $out" ;; esac
out=$(login "wrong-$pw")
case $out in *'"invalid_grant"'*) ;; *) fail "wrong password: $out" ;; esac
ok "a real user through the shipped stack (pam_unix as root): right password -> token (the HTTP process read the key), wrong -> invalid_grant"

[ -f "$T/probe.out" ] || fail "the pam_exec probe did not run"
sed 's/^/    probe: /' "$T/probe.out"
grep -qx "uid 0" "$T/probe.out" || fail "probe not root"
grep -qx "key DENIED" "$T/probe.out" || fail "a program PAM runs could read the signing key"
grep -qx "shadow READ" "$T/probe.out" || fail "the PAM side cannot read /etc/shadow"
ok "a program a PAM module runs (root, the helpers' rights) cannot open the signing key; it can read /etc/shadow, the HTTP process cannot"

kill "$pid"
# running PID: exists and is not a zombie waiting for its reaper.
running() { [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'; }
left() { for p in $pid $sup $helpers; do running "$p" && return 0; done; return 1; }
i=0; while left && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
for p in $sup $helpers; do ! running "$p" || fail "PAM process $p outlived the daemon"; done
pid=""
ok "SIGTERM to the main process (KillMode=mixed): supervisor and helpers end with it"
done_cases
