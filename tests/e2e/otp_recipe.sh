#!/bin/sh
# The OTP recipe, etc/pam.d/jwt-issuer-otp as shipped (pam_unix, then
# pam_oath from libpam-oath), loaded by the real daemon from a private
# pam_confdir with the unit's privileges, checking a throwaway local user,
# codes computed by oathtool:
#  1. the users file in a temp dir (the shipped line changed only in its
#     usersfile= path), HOTP: right password + right otp -> token; wrong
#     otp, missing otp, wrong password + right otp, a replayed otp ->
#     invalid_grant;
#  2. the hardened unit: ProtectSystem=strict and ReadWritePaths= parsed
#     from etc/systemd/jwt-issuerd.service, emulated in a private mount
#     namespace (every mount read-only except /dev, /proc, /sys, then each
#     ReadWritePaths path bound read-write); a temp dir stands in for
#     /etc/security/oath inside the namespace only, and the shipped file
#     is used unchanged: a TOTP login works, pam_oath rewrote the users
#     file (a lock file and a new file, renamed over it), and / is
#     read-only around it.
# The issuer's throttles are off (rate_limit_per_user = 0,
# rate_limit_per_ip = 0, fail_delay_ms = 0) so they cannot mask a result.
# Root only (throwaway user, removed afterwards; mount namespace).
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
. tests/lib/harness.sh
ISSUERD=${PAMJWT_ISSUERD:-$TOP/issuer/jwt-issuerd/jwt-issuerd}
[ -x "$ISSUERD" ] || skip "not built yet: jwt-issuerd"
[ "$(id -u)" = 0 ] || skip "needs root (throwaway user, mount namespace)"
for c in setpriv useradd userdel chpasswd curl oathtool unshare mount; do
    command -v "$c" >/dev/null || skip "$c missing (oathtool: make deps)"
done
[ -f /lib/x86_64-linux-gnu/security/pam_oath.so ] || skip "pam_oath.so missing (libpam-oath: make deps)"
case ${PAMJWT_SAN:-} in *address*) skip "pam_unix cannot run under ASan (crypt_r interceptor)" ;; esac
unshare -m true 2>/dev/null || skip "cannot make a mount namespace here"

harness_init pamjwt-otp
FAIL_LOGS=$T/issuer.log FAIL_TAIL=20
usr=pjwto$$
created=""
pid=""
on_exit '[ -z "$pid" ] || stop_pid "$pid"
[ -z "$created" ] || userdel "$created" >/dev/null 2>&1 || true'
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$usr" || fail "useradd $usr"
created=$usr
pw="Otp-$$-pw"
echo "$usr:$pw" | chpasswd || fail "chpasswd"
UNIT_FILE=etc/systemd/jwt-issuerd.service
SHIPPED=etc/pam.d/jwt-issuer-otp
DOC_USERS=/etc/security/oath/users.oath
grep -q "usersfile=$DOC_USERS " "$SHIPPED" || fail "$SHIPPED does not use $DOC_USERS"

secret=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
"$TOP/issuer/jwtctl/jwtctl" keygen --alg ES256 "$T/signing.key" > /dev/null 2>&1 || keygen ES256 "$T/signing.key"
mkdir -p "$T/pam.d" "$T/oath"
mkdir -m 0700 "$T/state" "$T/xdg"
chmod 0700 "$T/oath"

# conf PORT [LINE...]: the daemon's config (root, no `user`: the helpers'
# view is what matters here), sessions in $T/state.
conf() {
    cat > "$T/iss.conf" <<EOF
listen = 127.0.0.1:$1
issuer = https://login.example.com
signing_key = $T/signing.key
state_dir = $T/state
pam_confdir = $T/pam.d
pam_service = jwt-issuer-otp
claims_groups = no
rate_limit_per_user = 0
rate_limit_per_ip = 0
fail_delay_ms = 0
EOF
    shift
    for l in "$@"; do printf '%s\n' "$l" >> "$T/iss.conf"; done
    chmod 0644 "$T/iss.conf"
}
# As jwt-issuerd.service runs it (tests/e2e/unit_privs.sh): root, bounding
# set CAP_SETUID CAP_SETGID (no DAC override), NoNewPrivileges, UMask 0077.
UNIT="setpriv --no-new-privs --inh-caps=-all --bounding-set=-all,+setuid,+setgid"
wait_ready() {
    i=0
    until grep -q 'info: ready' "$T/issuer.log" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || fail "jwt-issuerd exited"
        [ $i -lt 100 ] || fail "not ready"; sleep 0.1; i=$((i + 1))
    done
}
# login PASSWORD [OTP]: the README's curl line, HTTP Basic + the otp field.
login() {
    printf 'user = "%s:%s"\n' "$usr" "$1" > "$T/curl.cfg"
    if [ $# -gt 1 ]; then
        curl -s --max-time 30 -K "$T/curl.cfg" -d grant_type=password -d "otp=$2" "http://127.0.0.1:$port/token"
    else
        curl -s --max-time 30 -K "$T/curl.cfg" -d grant_type=password "http://127.0.0.1:$port/token"
    fi
}
token_ok() { case $1 in *'"access_token":"ey'*) return 0 ;; esac; return 1; }
refused() { case $1 in *'"invalid_grant"'*) return 0 ;; esac; return 1; }

# ---- 1. the shipped stack, users file in a temp dir, HOTP ----
sed "s|usersfile=$DOC_USERS |usersfile=$T/oath/users.oath |" "$SHIPPED" > "$T/pam.d/jwt-issuer-otp"
grep -q "usersfile=$T/oath/users.oath " "$T/pam.d/jwt-issuer-otp" || fail "usersfile= not rewritten"
printf 'HOTP %s - %s\n' "$usr" "$secret" > "$T/oath/users.oath"
chmod 0600 "$T/oath/users.oath"
chmod 0644 "$T/pam.d/jwt-issuer-otp"
hotp() { oathtool --hotp -c "$1" "$secret"; }
port=$(free_port)
conf "$port"
$UNIT sh -c 'umask 077; exec "$@"' unit "$ISSUERD" -c "$T/iss.conf" 2> "$T/issuer.log" &
pid=$!
wait_ready

out=$(login "$pw" "$(hotp 0)")
token_ok "$out" || fail "right password + right HOTP refused: $out"
ok "right password + right otp (HOTP) -> token"
out=$(login "$pw" "$(hotp 0)")
refused "$out" || fail "a replayed HOTP: $out"
ok "the same otp again -> invalid_grant (pam_oath recorded it in the users file)"
c1=$(hotp 1)
wrong=$(printf '%06d' $(( (${c1#0} + 1) % 1000000 )))
out=$(login "$pw" "$wrong")
refused "$out" || fail "wrong otp: $out"
ok "right password + wrong otp -> invalid_grant"
out=$(login "$pw")
refused "$out" || fail "missing otp: $out"
ok "right password, no otp field -> invalid_grant"
out=$(login "wrong-$pw" "$c1")
refused "$out" || fail "wrong password + right otp: $out"
ok "wrong password + right otp -> invalid_grant"
# jwtctl login on a terminal: the password; the issuer answers that PAM
# asked a second prompt (pamjwt_prompt, pam_oath's text); jwtctl asks it,
# the user types the code, and the retry logs in.  Then a refresh.
c2=$(hotp 2)
XDG_RUNTIME_DIR=$T/xdg /usr/bin/python3 tests/issuer/client_pty.py "$pw" "$c2" -- \
    "$TOP/issuer/jwtctl/jwtctl" login --issuer "http://127.0.0.1:$port" -u "$usr" \
    > "$T/login.out" 2>&1 || fail "jwtctl login with the OTP stack: $(cat "$T/login.out")"
grep -q "One-time password (OATH) for .$usr.: " "$T/login.out" || fail "pam_oath's prompt was not asked: $(cat "$T/login.out")"
grep -q "logged in as $usr" "$T/login.out" || fail "jwtctl login: $(cat "$T/login.out")"
tok=$(XDG_RUNTIME_DIR=$T/xdg "$TOP/issuer/jwtctl/jwtctl" token --issuer "http://127.0.0.1:$port") ||
    fail "jwtctl token after an OTP login"
case $tok in ey*.*.*) ;; *) fail "jwtctl token printed: $tok" ;; esac
ok "jwtctl login: password, then pam_oath's own prompt asked and answered once; jwtctl token refreshes without either"
! grep -q "$c1\|$c2\|$pw" "$T/issuer.log" || fail "an OTP or the password in the log"
stop_pid "$pid"; pid=""

# ---- 2. the hardened unit's file system, the documented path ----
grep -qx 'ProtectSystem=strict' "$UNIT_FILE" || fail "$UNIT_FILE: no ProtectSystem=strict"
rwp=$(sed -n 's/^ReadWritePaths=//p' "$UNIT_FILE" | tr '\n' ' ')
case " $rwp " in *" -$(dirname "$DOC_USERS") "*|*" $(dirname "$DOC_USERS") "*) ;;
    *) fail "$UNIT_FILE: $(dirname "$DOC_USERS") not in ReadWritePaths ($rwp)" ;; esac
# The documented path in the namespace: a copy of /etc/security with an
# empty oath/ (the machine's /etc/security is not touched), and a temp dir
# bound over oath/.
cp -a /etc/security "$T/security"
rm -rf "$T/security/oath"; mkdir -m 0700 "$T/security/oath"
mkdir -m 0700 "$T/ns-oath"
printf 'HOTP/T30/6 %s - %s\n' "$usr" "$secret" > "$T/ns-oath/users.oath"
chmod 0600 "$T/ns-oath/users.oath"
cp "$SHIPPED" "$T/pam.d/jwt-issuer-otp"
chmod 0644 "$T/pam.d/jwt-issuer-otp"
: > "$T/issuer.log"
port=$(free_port)
# No sessions here: $T, where they would live, is read-only in the
# namespace (the unit's own state_dir is in its ReadWritePaths).
conf "$port" "session_lifetime = 0"
cat > "$T/ns.sh" <<'EOS'
# In the private mount namespace: $1 = $T, $2 = the ReadWritePaths, then
# the daemon's command line (setpriv first: the mounts need CAP_SYS_ADMIN,
# which the unit's bounding set drops).
set -eu
T=$1; rwp=$2; shift 2
mount --make-rprivate /
mount --bind "$T/security" /etc/security
mount --bind "$T/ns-oath" /etc/security/oath
# ProtectSystem=strict: every mount read-only but the API file systems.
for m in $(awk '{ print $5 }' /proc/self/mountinfo | sort -u); do
    case $m in /dev|/dev/*|/proc|/proc/*|/sys|/sys/*) continue ;; esac
    mount -o remount,bind,ro "$m" 2>/dev/null || true
done
# ReadWritePaths: each path bound onto itself, read-write; "-": may be absent.
for p in $rwp; do
    case $p in -*) p=${p#-}; [ -e "$p" ] || continue ;; esac
    mount --bind "$p" "$p"
    mount -o remount,bind,rw "$p"
done
for p in / /etc /etc/security /var /run "$T"; do
    if touch "$p/.pjwt-rw-probe" 2>/dev/null; then rm -f "$p/.pjwt-rw-probe"; echo "rw $p"; else echo "ro $p"; fi
done
for p in $rwp; do
    p=${p#-}
    if touch "$p/.pjwt-rw-probe" 2>/dev/null; then rm -f "$p/.pjwt-rw-probe"; echo "rw $p"; else echo "ro $p"; fi
done
umask 077
exec "$@"
EOS
: > "$T/ns.out"
unshare -m sh "$T/ns.sh" "$T" "$rwp" $UNIT "$ISSUERD" -c "$T/iss.conf" > "$T/ns.out" 2> "$T/issuer.log" &
pid=$!
wait_ready
sed 's/^/    namespace: /' "$T/ns.out"
for p in / /etc /etc/security /var /run "$T"; do
    grep -qx "ro $p" "$T/ns.out" || fail "ProtectSystem=strict emulation: $p is not read-only"
done
grep -qx "rw $(dirname "$DOC_USERS")" "$T/ns.out" || fail "$(dirname "$DOC_USERS") not writable in the namespace"
ok "namespace: /, /etc, /var, /run read-only; ReadWritePaths $(dirname "$DOC_USERS") writable"

before=$(cat "$T/ns-oath/users.oath")
ino=$(stat -c %i "$T/ns-oath/users.oath")
out=$(login "$pw" "$(oathtool --totp "$secret")")
token_ok "$out" || fail "TOTP login under the unit's file system refused: $out"
ok "under ProtectSystem=strict + ReadWritePaths, the shipped file unchanged: password + TOTP -> token"
[ "$(cat "$T/ns-oath/users.oath")" != "$before" ] || fail "pam_oath did not rewrite $DOC_USERS"
# liboath writes users.oath.new under users.oath.lock and renames it over
# users.oath: a new inode means it created files in the directory.
[ "$(stat -c %i "$T/ns-oath/users.oath")" != "$ino" ] || fail "$DOC_USERS rewritten in place, not renamed"
ok "pam_oath rewrote $DOC_USERS (a new file renamed over it: the directory is writable)"
[ ! -e /etc/security/oath/users.oath ] || [ "$(cat /etc/security/oath/users.oath)" != "$(cat "$T/ns-oath/users.oath")" ] ||
    fail "the machine's $DOC_USERS was used"
out=$(login "$pw")
refused "$out" || fail "namespace, missing otp: $out"
ok "under the unit's file system: no otp -> invalid_grant"
stop_pid "$pid"; pid=""
done_cases
