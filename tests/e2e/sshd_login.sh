#!/bin/sh
# A real OpenSSH server logging users in with pam_jwt.so.
#
# sshd (Debian 12: OpenSSH 9.2p1, whose PAM service is its program name,
# "sshd") runs in its own mount namespace, where /etc/pam.d/sshd,
# /etc/passwd, /etc/group and /etc/shadow are bind mounts of temporary
# files with a throwaway user, and /run is a private tmpfs (for /run/sshd).
# Nothing on the host changes: the mounts vanish with the namespace, sshd is
# killed by PID, the temporary directory is removed.  sshd listens on
# 127.0.0.1 on a random high port with a private config and host key; the
# ssh client answers the password prompt through SSH_ASKPASS (forced).
#
# Cases: a token typed at the password prompt (password and
# keyboard-interactive methods), the account's real password (pam_unix
# try_first_pass behind pam_jwt), and refusals for a token for another user,
# an expired token, a tampered token and a wrong password.
set -u
: "${PAMJWT_MODULE:?}" "${TOP:?}"
. "$TOP/tests/lib/harness.sh"
PY=/usr/bin/python3

[ "$(id -u)" = 0 ] || { echo "needs root (mount namespace, sshd)" >&2; exit 77; }
# A sanitizer-built module cannot be loaded into the distribution's sshd.
[ -z "${PAMJWT_SAN:-}" ] || { echo "sanitizer build: sshd needs the plain module" >&2; exit 77; }
[ -x /usr/sbin/sshd ] || { echo "openssh-server not installed" >&2; exit 77; }
command -v ssh >/dev/null || { echo "openssh-client not installed" >&2; exit 77; }
[ -f /etc/pam.d/sshd ] || { echo "/etc/pam.d/sshd missing (bind-mount target)" >&2; exit 77; }
unshare -m true 2>/dev/null || { echo "unshare -m not permitted" >&2; exit 77; }
[ -f "$PAMJWT_MODULE" ] || { echo "no module at $PAMJWT_MODULE" >&2; exit 77; }

harness_init pamjwt-sshd
chmod 755 "$T"
U=pjwte2e

"$PY" "$TOP/tests/pam/gen.py" "$T" "$U" || { echo "gen.py failed"; exit 1; }
K=$T/keys
# the bob token ("another user") and friends come from gen.py
PASSWORD="e2e-Pass-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
HASH=$("$PY" -W ignore -c '
import crypt, ctypes, sys
lc = ctypes.CDLL("libcrypt.so.1"); lc.crypt_gensalt.restype = ctypes.c_char_p
print(crypt.crypt(sys.argv[1], lc.crypt_gensalt(b"$y$", 0, None, 0).decode()))' "$PASSWORD")
case $HASH in '$y$'*) ;; *) echo "no yescrypt hash"; exit 1 ;; esac

cp /etc/passwd "$T/passwd"; cp /etc/group "$T/group"
echo "$U:x:64998:64998:pamjwt e2e:/:/bin/sh" >> "$T/passwd"
echo "$U:x:64998:" >> "$T/group"
printf '%s:%s:19000:0:99999:7:::\n' "$U" "$HASH" > "$T/shadow"
chmod 644 "$T/passwd" "$T/group"; chmod 600 "$T/shadow"

cat > "$T/pam.sshd" <<EOF
auth [success=done ignore=ignore default=die] $PAMJWT_MODULE issuer=https://issuer.test audience=host-a key=$K/ec.pub.pem
auth required pam_unix.so try_first_pass nodelay
account required pam_unix.so
session required pam_permit.so
password required pam_deny.so
EOF

ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || exit 1
port=""
for i in 1 2 3 4 5 6 7 8 9 10; do
    p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
    if ! ss -ltnH "sport = :$p" | grep -q .; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free port"; exit 1; }

cat > "$T/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication no
HostbasedAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
StrictModes no
MaxAuthTries 2
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
EOF

printf '#!/bin/sh\ncat "%s/answer"\n' "$T" > "$T/askpass"
chmod 755 "$T/askpass"

# The inner script runs in the private mount namespace: mounts, sshd, cases.
cat > "$T/inner.sh" <<'INNER'
set -u
# harness.sh's verdicts only: $T is the outer test's, removed by it.
. "$TOP/tests/lib/harness.sh"
T=$1 U=$2 port=$3 PASSWORD=$4
mount --bind "$T/passwd" /etc/passwd &&
mount --bind "$T/group" /etc/group &&
mount --bind "$T/shadow" /etc/shadow &&
mount --bind "$T/pam.sshd" /etc/pam.d/sshd &&
. "$TOP/tests/lib/tmpdir.sh" && pamjwt_fresh_run ||
    { echo "mount setup failed"; exit 1; }

/usr/sbin/sshd -D -e -f "$T/sshd_config" 2> "$T/sshd.log" &
SSHD=$!
trap 'stop_pid "$SSHD"; wait "$SSHD" 2>/dev/null' EXIT
up=0
for i in $(seq 1 100); do
    if ss -ltnH "sport = :$port" | grep -q .; then up=1; break; fi
    kill -0 "$SSHD" 2>/dev/null || break
    sleep 0.1
done
[ "$up" = 1 ] || { echo "sshd did not start:"; cat "$T/sshd.log"; exit 1; }

# login CASE METHOD ANSWER-FILE WANT(ok|fail)
login() {
    cp "$3" "$T/answer"
    out=$(SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
        setsid ssh -F /dev/null -p "$port" \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -o PreferredAuthentications="$2" -o PubkeyAuthentication=no \
        -o NumberOfPasswordPrompts=1 -o ConnectTimeout=20 \
        "$U@127.0.0.1" 'id -un' < /dev/null 2> "$T/ssh.err")
    rc=$?
    if [ "$4" = ok ] && [ "$rc" = 0 ] && [ "$out" = "$U" ]; then
        ok "$1 ($2): logged in as $out"
    elif [ "$4" = fail ] && [ "$rc" != 0 ] && [ -z "$out" ]; then
        ok "$1 ($2): refused"
    else
        bad "$1 ($2): rc=$rc out='$out' $(cat "$T/ssh.err")"
    fi
}
printf '%s\n' "$PASSWORD" > "$T/pw"
printf 'not-%s\n' "$PASSWORD" > "$T/wrongpw"
login token           password             "$T/tok/good"             ok
login token           keyboard-interactive "$T/tok/good"             ok
login token-aud-array password             "$T/tok/aud_array"        ok
login password        password             "$T/pw"                   ok
login password        keyboard-interactive "$T/pw"                   ok
login other-user      password             "$T/tok/bob"              fail
login expired         password             "$T/tok/expired"          fail
login tampered        password             "$T/tok/tampered_sig"     fail
login tampered-claims keyboard-interactive "$T/tok/tampered_payload" fail
login wrong-password  password             "$T/wrongpw"              fail
# The token is about 450 bytes: well under OpenSSH's 1024-byte password read.
len=$(wc -c < "$T/tok/good")
if [ "$len" -lt 1000 ]; then ok "token is $len bytes"; else bad "token is $len bytes"; fi
# sshd's log never carries a token.
sig=$(sed 's/.*\.//' "$T/tok/good")
if grep -qF "$sig" "$T/sshd.log"; then
    bad "token signature in sshd log"
else
    ok "no token in sshd's log"
fi
stop_pid "$SSHD"; wait "$SSHD" 2>/dev/null
trap - EXIT
finish
INNER

unshare -m --propagation private sh "$T/inner.sh" "$T" "$U" "$port" "$PASSWORD"
rc=$?
[ "$rc" = 0 ] || { echo "--- sshd log"; tail -n 40 "$T/sshd.log"; }
# The host is as it was.
if grep -q "^$U:" /etc/passwd || grep -q "^$U:" /etc/shadow; then
    echo "FAIL - throwaway user visible on the host"; rc=1
fi
exit $rc
