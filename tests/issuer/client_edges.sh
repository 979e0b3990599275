#!/bin/sh
# jwtctl's client at its edges: Ctrl-C at the password prompt leaves the
# terminal as it found it (echo back on) and stores nothing; plain http is
# allowed to every loopback form the manual names (127.0.0.1, [::1],
# localhost), the issuer answering there for real.
. "$(dirname "$0")/helpers.inc"
. "$TOP/tests/issuer/client.inc"
client_env
keygen ES256 "$T/sign.pem"
matrix_stack
mkdir -m 700 "$T/state"
six=""
$PY -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && six=yes
{
    printf 'listen = 127.0.0.1:0\n'
    [ -z "$six" ] || printf 'listen = [::1]:0\n'
    printf 'issuer = http://127.0.0.1\nsigning_key = %s\npam_confdir = %s\n' "$T/sign.pem" "$T/pam.d"
    printf 'state_dir = %s\nfail_delay_ms = 0\n' "$T/state"
} > "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log"

# Ctrl-C while jwtctl waits for the password, on a real terminal whose
# slave side this script keeps, to read its modes afterwards.
cat > "$T/ctrlc.py" <<'EOP'
import os, signal, sys, termios, time, fcntl
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
deadline = time.time() + 20
while b"Password for" not in out and time.time() < deadline:
    try:
        out += os.read(master, 4096)
    except OSError:
        break
assert b"Password for" in out, out
time.sleep(0.3)
during = termios.tcgetattr(slave)[3] & termios.ECHO
os.write(master, b"\x03")          # the terminal's INTR character
_, status = os.waitpid(pid, 0)
after = termios.tcgetattr(slave)[3] & termios.ECHO
print("echo during the prompt:", "on" if during else "off")
print("echo after Ctrl-C:", "on" if after else "off")
print("killed by SIGINT:", os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT)
EOP
$PY "$T/ctrlc.py" "$PAMJWT_JWTCTL" login --issuer "http://127.0.0.1:$ISS_PORT" -u alice > "$T/ctrlc" 2>&1 ||
    fail "the Ctrl-C run: $(cat "$T/ctrlc")"
grep -qx 'echo during the prompt: off' "$T/ctrlc" || fail "echo not off at the prompt: $(cat "$T/ctrlc")"
grep -qx 'echo after Ctrl-C: on' "$T/ctrlc" || fail "the terminal was left without echo: $(cat "$T/ctrlc")"
grep -qx 'killed by SIGINT: True' "$T/ctrlc" || fail "jwtctl did not end by SIGINT: $(cat "$T/ctrlc")"
if ls "$XDG_RUNTIME_DIR"/pamjwt/session-*.json > /dev/null 2>&1; then fail "a session stored after Ctrl-C"; fi
ok "Ctrl-C at the password prompt: jwtctl ends by SIGINT, echo is back on, nothing stored"

# login NAME URL: jwtctl login --password-stdin to URL, then a token.
login_at() {
    echo secret | jwtctl login --password-stdin --issuer "$2" -u alice > "$T/out.$1" 2>&1 ||
        fail "login over $2: $(cat "$T/out.$1")"
    tok=$(jwtctl token --issuer "$2" 2> "$T/err.$1") || fail "token over $2: $(cat "$T/err.$1")"
    case $tok in ey*.*.*) ;; *) fail "token over $2: $tok" ;; esac
}
login_at v4 "http://127.0.0.1:$ISS_PORT"
login_at name "http://localhost:$ISS_PORT"
if [ -n "$six" ]; then
    P6=$(sed -n 's/.*listening on \[::1\]:\([0-9]*\).*/\1/p' "$T/log" | head -n 1)
    [ -n "$P6" ] || fail "no [::1] listening line"
    login_at v6 "http://[::1]:$P6"
    grep -q 'login: addr=::1 user=alice outcome=success' "$T/log" || fail "no login from ::1 in the log"
    ok "plain http to 127.0.0.1, localhost and [::1]: login and a token each"
else
    ok "plain http to 127.0.0.1 and localhost: login and a token each (no IPv6 loopback here)"
fi
rc=0; echo secret | jwtctl login --password-stdin --issuer "http://127.0.0.2.example:$ISS_PORT" -u alice > "$T/out" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -qi 'http' "$T/out" || fail "http to a name that only looks like loopback: rc=$rc $(cat "$T/out")"
ok "http to a non-loopback name that starts like one is refused"
stop_issuerd
finish
