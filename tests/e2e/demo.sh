#!/bin/sh
# make run's demo, as a newcomer would use it: etc/demo/run.sh (what
# `make run` runs after building) in the background on a free loopback port
# with its state in a temp dir, then the commands it prints, executed
# exactly as printed (from the checkout, in one shell, like a second
# terminal), then Ctrl-C (SIGINT) must stop it cleanly.  Also: the state is
# kept across runs (same key), a wrong password and a tampered token are
# refused, and fail2ban's filter (etc/fail2ban) matches the daemon's real
# failed-login lines and nothing else.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
. tests/lib/harness.sh
: "${PAMJWT_ISSUERD:=$TOP/issuer/jwt-issuerd/jwt-issuerd}"
: "${PAMJWT_JWTCTL:=$TOP/issuer/jwtctl/jwtctl}"
: "${PAMJWT_MODULE:=$TOP/pam_module/pam_jwt.so}"
export PAMJWT_ISSUERD PAMJWT_JWTCTL PAMJWT_MODULE
PY=/usr/bin/python3

for f in "$PAMJWT_ISSUERD" "$PAMJWT_JWTCTL" "$PAMJWT_MODULE"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "not built yet: $f (the demo needs the daemon, jwtctl and the module)"; exit 77; }
done
for c in curl jq pamtester; do
    command -v "$c" >/dev/null || { echo "$c missing (make deps installs it)"; exit 77; }
done
# With a sanitizer build, LD_PRELOADed wrappers must not come first.
[ -z "${PAMJWT_SAN:-}" ] || { echo "demo not run on a sanitizer build (LD_PRELOAD of nss/pam_wrapper)"; exit 77; }

harness_init pamjwt-demo
# The demo's output, whole, on failure.
FAIL_LOGS=$T/run.log FAIL_TAIL=10000
# $pid is the demo while it runs (stop empties it); run.sh needs a port
# number before it starts, hence free_port.
pid=""
on_exit '[ -z "$pid" ] || stop_pid "$pid"'

# start: run.sh in the background with SIGINT at its default disposition
# (a plain `&` in a script would start it with SIGINT ignored, which is not
# what a terminal's Ctrl-C meets).  run.sh execs the daemon, so $pid is it.
start() {
    # Emptied here, not only by the child's >: the first run's "ready"
    # line would otherwise let the second run's wait end before the new
    # daemon listens (seen on a loaded machine: "login on the second run").
    : > "$T/run.log"
    PORT=$1 PAMJWT_DEMO_STATE=$T/state \
        $PY -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp("sh", ["sh", "etc/demo/run.sh"])' > "$T/run.log" 2>&1 &
    pid=$!
    i=0
    until grep -q 'info: ready' "$T/run.log" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || fail "run.sh exited before serving"
        [ $i -lt 200 ] || fail "the demo issuer did not become ready in 20 s"
        sleep 0.1; i=$((i + 1))
    done
}

# stop: SIGINT, as Ctrl-C; it must exit 0 by itself, within 10 s.
stop() {
    kill -INT "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        [ $i -lt 100 ] || fail "Ctrl-C (SIGINT) did not stop the demo in 10 s"
        sleep 0.1; i=$((i + 1))
    done
    rc=0; wait "$pid" || rc=$?
    pid=""
    [ "$rc" = 0 ] || fail "after Ctrl-C the demo exited $rc, not 0"
}

port=$(free_port)
start "$port"
ok "make run's script serves on 127.0.0.1:$port"
[ -f "$T/state/signing.key" ] || fail "no signing key in the state folder"
[ "$(stat -c %a "$T/state/signing.key")" = 600 ] || fail "signing key not mode 0600"
grep -q "^listen = 127.0.0.1:$port\$" "$T/state/jwt-issuerd.conf" || fail "not loopback-only"
key_sum=$(sha256sum < "$T/state/signing.key")

# The printed commands: lines "  $ CMD".  Run them as printed, in order,
# in one shell from the checkout.
sed -n 's/^  \$ //p' "$T/run.log" > "$T/cmds.sh"
n=$(wc -l < "$T/cmds.sh")
[ "$n" -ge 3 ] || fail "expected at least 3 printed commands, got $n"
grep -q "127.0.0.1:$port/token" "$T/cmds.sh" || fail "printed curl does not use the port"
grep -q 'etc/demo/login.sh' "$T/cmds.sh" || fail "no printed login command"
grep -q 'jwtctl login' "$T/cmds.sh" || fail "no printed jwtctl login"
# On a terminal, as a person runs them: jwtctl login asks the password
# there, typed once (the pty answers jwtctl's "Password for demo@..."
# with demo; login.sh reads its token from the command line).  The session
# goes to a private XDG_RUNTIME_DIR, never to this machine's home.
mkdir -m 0700 "$T/xdg"
XDG_RUNTIME_DIR=$T/xdg $PY tests/e2e/readme_deploy.py pty "$T/cmds.out" 'Password for demo@=:demo\n' -- \
    sh -e "$T/cmds.sh" || { cat "$T/cmds.out"; fail "the printed commands failed"; }
n_pw=$(grep -c 'Password for demo@' "$T/cmds.out" || true)
[ "$n_pw" = 1 ] || { cat "$T/cmds.out"; fail "the password was asked $n_pw times, not once"; }
grep -q 'logged in as demo' "$T/cmds.out" || { cat "$T/cmds.out"; fail "jwtctl login did not say it logged in"; }
grep -q '"access_token":"ey' "$T/cmds.out" || { cat "$T/cmds.out"; fail "no token from the printed curl"; }
grep -q '"token_type":"Bearer"' "$T/cmds.out" || fail "token_type is not Bearer"
grep -q 'successfully authenticated' "$T/cmds.out" || { cat "$T/cmds.out"; fail "the printed login did not authenticate"; }
grep -q '"sub":"demo"' "$T/cmds.out" || { cat "$T/cmds.out"; fail "/userinfo did not answer sub demo"; }
ok "the $n printed commands work as printed on a terminal: jwtctl login (password typed once), jwtctl token, pam_jwt.so login, /userinfo, curl"

# Negative paths of the same flow.
url=http://127.0.0.1:$port
out=$(curl -s -u demo:wrong -d grant_type=password "$url/token")
case $out in *'"invalid_grant"'*) ;; *) fail "wrong password: $out" ;; esac
tok=$(curl -s -u demo:demo -d grant_type=password "$url/token" | jq -r .access_token)
bad=$(printf '%s' "$tok" | $PY -c '
import sys; t = sys.stdin.read().split("."); c = t[1]
t[1] = c[:7] + ("A" if c[7] != "A" else "B") + c[8:]; print(".".join(t))')
PAMJWT_DEMO_STATE=$T/state sh etc/demo/login.sh demo "$bad" > "$T/bad.out" 2>&1 &&
    fail "a tampered token logged in"
grep -q 'signature  *FAIL' "$T/bad.out" || { cat "$T/bad.out"; fail "login.sh did not explain the refusal with jwtctl verify"; }
PAMJWT_DEMO_STATE=$T/state sh etc/demo/login.sh alice "$tok" > "$T/alice.out" 2>&1 &&
    fail "demo's token logged in as alice"
grep -q 'user  *FAIL' "$T/alice.out" || { cat "$T/alice.out"; fail "no user FAIL for another user's login"; }
printf '%s\n' "$tok" | PAMJWT_DEMO_STATE=$T/state sh etc/demo/login.sh demo > "$T/stdin.out" 2>&1 ||
    { cat "$T/stdin.out"; fail "login.sh with the token on stdin"; }
ok "wrong password, tampered token and another user are refused; token on stdin works"

# fail2ban: its filter matches exactly the failed-login line(s).
if command -v fail2ban-regex >/dev/null 2>&1; then
    fails=$(grep -c 'outcome=fail ' "$T/run.log" || true)
    [ "$fails" -ge 1 ] || fail "no failed-login line in the daemon's log"
    fail2ban-regex "$T/run.log" etc/fail2ban/filter.d/jwt-issuerd.conf > "$T/f2b.out" 2>&1 ||
        { cat "$T/f2b.out"; fail "fail2ban-regex"; }
    matched=$(sed -n 's/^Lines: .* \([0-9]*\) matched.*/\1/p' "$T/f2b.out")
    [ "$matched" = "$fails" ] || { cat "$T/f2b.out"; fail "fail2ban matched $matched lines, want $fails"; }
    grep -q '127.0.0.1' "$T/f2b.out" || true
    ok "fail2ban filter matches the $fails failed login(s) and no success line"
    # The jail loads beside the filter in a copy of the system's fail2ban
    # configuration (fail2ban-client -t: nothing is started).
    if [ -d /etc/fail2ban ] && command -v fail2ban-client >/dev/null 2>&1; then
        cp -r /etc/fail2ban "$T/f2b"
        rm -f "$T/f2b/jail.d/"*
        cp etc/fail2ban/filter.d/jwt-issuerd.conf "$T/f2b/filter.d/"
        cp etc/fail2ban/jail.d/jwt-issuerd.local "$T/f2b/jail.d/"
        fail2ban-client -c "$T/f2b" -t > "$T/f2b-t.out" 2>&1 || { cat "$T/f2b-t.out"; fail "fail2ban-client -t rejects the jail"; }
        fail2ban-client -c "$T/f2b" -d 2>/dev/null > "$T/f2b-d.out" || true
        grep -q "'add', 'jwt-issuerd', 'systemd'" "$T/f2b-d.out" || { cat "$T/f2b-d.out"; fail "jail jwt-issuerd (systemd backend) not loaded"; }
        grep -q "_SYSTEMD_UNIT=jwt-issuerd.service" "$T/f2b-d.out" || fail "jail has no journalmatch for the unit"
        ok "fail2ban jail loads (fail2ban-client -t) with the systemd backend on jwt-issuerd.service"
    fi
else
    echo "fail2ban not installed: filter not checked"
fi

stop
grep -q 'info: stopped' "$T/run.log" || fail "no clean stop in the log"
ok "Ctrl-C (SIGINT) stops the demo cleanly (exit 0)"

# Second run: the same key (generated on first run only).
port=$(free_port)
start "$port"
[ "$(sha256sum < "$T/state/signing.key")" = "$key_sum" ] || fail "signing key regenerated on the second run"
tok=$(curl -s -u demo:demo -d grant_type=password "http://127.0.0.1:$port/token" | jq -r .access_token)
PAMJWT_DEMO_STATE=$T/state sh etc/demo/login.sh demo "$tok" > "$T/login2.out" 2>&1 ||
    { cat "$T/login2.out" "$T/run.log"; fail "login on the second run"; }
stop
ok "second run keeps the state (same signing key) and works"

done_cases
