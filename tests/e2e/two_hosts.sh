#!/bin/sh
# The user's side end to end: one `jwtctl login`, then `jwtctl ssh` to two
# real sshd hosts, each login answered with a fresh one-time token for that
# host's own audience, nothing typed after the login.
#
#   jwt-issuerd  TLS (a test CA made here), sessions on, PAM = pam_matrix in
#                a private confdir (alice:secret), on 127.0.0.1
#   web1, web2   /usr/sbin/sshd (tests/lib/hosts.sh), each in its own UTS and mount namespace
#                (unshare --uts --mount): hostname web1 / web2, and bind
#                mounts of private /etc/passwd, group, shadow and
#                /etc/pam.d/sshd (OpenSSH 9.2's PAM service is its program
#                name) with pam_jwt.so audience=ssh:%h one_time; loopback
#                ports; nothing on the machine changes, each sshd is ended
#                by PID and its namespace goes with it
#   the client   PAMJWT_CLIENT_CONF (issuer, cacert, user, audience ssh:%h),
#                a private XDG_RUNTIME_DIR for the session, a private
#                ssh_config mapping web1 and web2 to 127.0.0.1 (so the
#                audience host is the destination as typed)
#
# Cases:
#   1. login once; jwtctl ssh web1 twice, web2 twice, stdin /dev/null, no
#      tty; the issuer logged four different jti with the right audiences;
#      each sshd accepted alice twice; no token in any log
#   2. a host key not yet known, no tty: ssh fails, the askpass was asked
#      the host-key question and left it unanswered, no token was issued,
#      known_hosts stays empty; through a pty: the question is put on the
#      terminal, "no" aborts, "yes" goes on and logs in
#   3. jwtctl-askpass itself: a recognised prompt prints a token whose aud
#      is ssh:web1 (jwtctl decode); a sudo prompt one for sudo:<this host>;
#      an unrecognised prompt without a tty exits 1 and prints nothing
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib/harness.sh"
. "$TOP/tests/lib/tmpdir.sh"
. "$TOP/tests/lib/hosts.sh"
hosts_need
ASKPASS=$(dirname "$JWTCTL")/jwtctl-askpass
[ -L "$ASKPASS" ] || skip "missing: $ASKPASS (make all makes the link)"
command -v ssh > /dev/null || skip "openssh-client not installed"
[ -f /etc/pam.d/sshd ] || skip "/etc/pam.d/sshd missing (bind-mount target)"
unshare --uts --mount true 2> /dev/null || skip "unshare --uts --mount not permitted"

harness_init pamjwt-two-hosts
chmod 755 "$T"
FAIL_LOGS="$T/issuer.log $T/web1.log $T/web2.log $T/ssh.err" FAIL_TAIL=20
U=alice
PASSWORD=secret

# ---- the issuer: test CA, TLS, sessions ---------------------------------
hosts_tls
"$JWTCTL" keygen --alg ES256 "$T/signing.key" > /dev/null 2>&1 || fail "keygen"
chmod 644 "$T/signing.key.pub"
host=$(hostname -s 2> /dev/null || hostname); host=${host%%.*}
mkdir -p "$T/pam.d" "$T/state"
chmod 700 "$T/state"
printf '%s:%s:jwt-issuer\n' "$U" "$PASSWORD" > "$T/passdb"
pam_stack jwt-issuer "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
ISS=https://login.pamjwt.test
cat > "$T/issuer.conf" <<EOF
listen = 127.0.0.1:0
issuer = $ISS
audience = ssh:any
allowed_audiences = ssh:web1, ssh:web2, sudo:$host
signing_key = $T/signing.key
pam_confdir = $T/pam.d
tls_cert = $T/tls.crt
tls_key = $T/tls.key
claims_groups = no
state_dir = $T/state
session_lifetime = 3600
session_idle = 600
EOF
if ! "$ISSUERD" -t -c "$T/issuer.conf" > "$T/issuer-t.log" 2>&1; then
    # "FILE:LINE: unknown option": which line?
    l=$(sed -n 's/.*issuer\.conf:\([0-9]*\): unknown option.*/\1/p' "$T/issuer-t.log" | head -n 1)
    if [ -n "$l" ] && sed -n "${l}p" "$T/issuer.conf" | grep -q '^\(session_\|state_dir\)'; then
        skip "jwt-issuerd has no sessions yet: $(sed -n "${l}p" "$T/issuer.conf") unknown"
    fi
    cat "$T/issuer-t.log"; fail "jwt-issuerd -t"
fi
start_issuerd "$T/issuer.conf" "$T/issuer.log"
grep -q "listening on 127.0.0.1:$ISS_PORT (TLS)" "$T/issuer.log" || fail "issuer not on TLS"

# ---- the two hosts ------------------------------------------------------
hosts_init "$U" 64997
hosts_start web1 "key=$T/signing.key.pub"
hosts_start web2 "key=$T/signing.key.pub"
hosts_client_config
ok "issuer on TLS, sshd web1 on $PORT_web1 and web2 on $PORT_web2 (own UTS/mount namespaces)"

# ---- the client ---------------------------------------------------------
hosts_client "https://127.0.0.1:$ISS_PORT" "$U" "sudo_audience = sudo:%h"

printf '%s\n' "$PASSWORD" | setsid -w "$JWTCTL" login --password-stdin > "$T/login.out" 2>&1 ||
    fail "jwtctl login: $(cat "$T/login.out")"
ok "jwtctl login --password-stdin"

# refreshes: the issuer's lines for issued session tokens ("session=ID
# jti=J aud=A").
refreshes() { grep 'session=' "$T/issuer.log" | grep 'jti=' || true; }
n0=$(refreshes | wc -l)

for h in web1 web1 web2 web2; do
    out=$(jssh "$U@$h" id -un) || fail "jwtctl ssh $h: $(cat "$T/ssh.err")"
    [ "$out" = "$U" ] || fail "jwtctl ssh $h: printed '$out'"
done
ok "jwtctl ssh: web1 twice, web2 twice, logged in as $U, nothing typed"

refreshes | tail -n +$((n0 + 1)) > "$T/issued"
[ "$(wc -l < "$T/issued")" = 4 ] || fail "the issuer logged $(wc -l < "$T/issued") session tokens, not 4: $(cat "$T/issued")"
jtis=$(sed -n 's/.*jti=\([^ ]*\).*/\1/p' "$T/issued" | sort -u | wc -l)
auds=$(sed -n 's/.*aud=\([^ ]*\).*/\1/p' "$T/issued" | tr '\n' ' ')
[ "$jtis" = 4 ] || fail "not four different jti: $(cat "$T/issued")"
[ "$auds" = "ssh:web1 ssh:web1 ssh:web2 ssh:web2 " ] || fail "audiences in order: $auds"
# The four lines, for the reader of this test's log.
sed 's/^/    issuer: /' "$T/issued"
ok "the issuer logged four different jti: ssh:web1 twice, ssh:web2 twice"
for h in web1 web2; do
    n=$(grep -c "Accepted [a-z-]*\(/pam\)\? for $U from 127.0.0.1" "$T/$h.log")
    [ "$n" = 2 ] || fail "sshd $h accepted $U $n times, not 2"
done
ok "each sshd logged two accepted logins for $U"
# A JWS starts eyJ (base64url of '{"'): none may be in a log.
if grep -l 'eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.' "$T/issuer.log" "$T/web1.log" "$T/web2.log" "$T/ssh.err"; then
    fail "a token in a log"
fi
ok "no token in the issuer's, either sshd's or ssh's output"

# A one-time token is one login: a replayed token for web1 is refused
# (the host records every jti; shown here by its record count).
n=$(find "$T/web1/replay" -type f | wc -l)
[ "$n" = 2 ] || fail "web1 recorded $n jti, not 2"
ok "web1's replay directory holds the two jti it accepted"

# ---- 2. an unknown host key: never answered by askpass ------------------
: > "$T/kh_empty"
n0=$(refreshes | wc -l)
if out=$(jssh -o UserKnownHostsFile="$T/kh_empty" -o StrictHostKeyChecking=ask "$U@web1" id -un); then
    fail "login with an unknown host key and no tty: '$out'"
fi
grep -q 'Host key verification failed' "$T/ssh.err" || fail "ssh did not fail on the host key: $(cat "$T/ssh.err")"
grep -q 'continue connecting' "$T/ssh.err" || fail "askpass was not asked the host-key question: $(cat "$T/ssh.err")"
[ ! -s "$T/kh_empty" ] || fail "known_hosts written: $(cat "$T/kh_empty")"
[ "$(refreshes | wc -l)" = "$n0" ] || fail "a token was issued for a host-key prompt"
ok "unknown host key, no tty: the question reached askpass, stayed unanswered, no token, known_hosts empty"

# Through a terminal: the question is put on the tty; the answer typed is
# the answer.  drive_tty.py ANSWER CMD...: run CMD on a new pty, type ANSWER at
# "continue connecting", print all it wrote, exit with its status.
cat > "$T/drive_tty.py" <<'EOF'
import os, pty, sys, time, select
answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out, sent, end = b"", False, time.time() + 30
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
    if not sent and b"continue connecting" in out:
        time.sleep(0.2)
        os.write(fd, answer)
        sent = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
EOF
ptyssh() {
    "$PY" "$T/drive_tty.py" "$1" "$JWTCTL" ssh -F "$T/ssh_config" -o UserKnownHostsFile="$T/kh_empty" \
        -o StrictHostKeyChecking=ask "$U@web1" id -un > "$T/pty.out" 2>&1
}
n0=$(refreshes | wc -l)
ptyssh no && fail "typing no at the host-key question logged in: $(cat "$T/pty.out")"
grep -q 'continue connecting' "$T/pty.out" || fail "the question was not on the tty: $(cat "$T/pty.out")"
grep -q 'Host key verification failed' "$T/pty.out" || fail "no abort after no: $(cat "$T/pty.out")"
[ ! -s "$T/kh_empty" ] && [ "$(refreshes | wc -l)" = "$n0" ] || fail "no: known_hosts written or a token issued"
ok "on a tty: the host-key question is asked there; 'no' aborts, no token"
ptyssh yes || fail "typing yes: $(cat "$T/pty.out")"
grep -q "^$U" "$T/pty.out" || fail "yes: no login: $(cat "$T/pty.out")"
[ -s "$T/kh_empty" ] || fail "yes: known_hosts not written"
[ "$(refreshes | wc -l)" = $((n0 + 1)) ] || fail "yes: not one token issued"
ok "on a tty: 'yes' records the key and the login goes on with one token"

# ---- 3. askpass on its own ----------------------------------------------
tok=$(setsid -w "$ASKPASS" "($U@web1) Password: " < /dev/null) || fail "askpass: recognised prompt"
"$JWTCTL" decode "$tok" > "$T/decode.out" 2>&1 || fail "decode: $(cat "$T/decode.out")"
grep -q '"aud": *"ssh:web1"' "$T/decode.out" || fail "aud: $(cat "$T/decode.out")"
ok "askpass '($U@web1) Password: ' prints a token for ssh:web1"
tok=$(setsid -w "$ASKPASS" "$U@web2.example.org's password: " < /dev/null) || fail "askpass: password prompt"
"$JWTCTL" decode "$tok" | grep -q '"aud": *"ssh:web2"' || fail "aud for web2.example.org"
ok "askpass '$U@web2.example.org's password: ' prints a token for ssh:web2 (short name)"
tok=$(setsid -w "$ASKPASS" "[sudo] password for $U: " < /dev/null) || fail "askpass: sudo prompt"
"$JWTCTL" decode "$tok" | grep -q "\"aud\": *\"sudo:$host\"" || fail "aud for sudo"
ok "askpass '[sudo] password for $U: ' prints a token for sudo:$host"
for p in "Enter passphrase for key '$T/id': " "($U@web1) Verification code: " \
         "($U@127.0.0.1) Password: " "Password: "; do
    n0=$(refreshes | wc -l)
    out=$(setsid -w "$ASKPASS" "$p" < /dev/null 2> /dev/null); rc=$?
    [ "$rc" = 1 ] && [ -z "$out" ] || fail "askpass '$p' without a tty: rc=$rc out='$out'"
    [ "$(refreshes | wc -l)" = "$n0" ] || fail "askpass '$p' got a token"
done
ok "askpass: a key passphrase, an OTP prompt, a host that is an IP, a bare prompt: no tty, exit 1, nothing printed, no token"

stop_pid "$SSHD_web1"; stop_pid "$SSHD_web2"
hosts_unchanged "$U"
done_cases
