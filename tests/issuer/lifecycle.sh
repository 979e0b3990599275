#!/bin/sh
# Process life: a full PAM queue answers 503 at once; SIGTERM drains a
# login in flight and exits 0; a crashing PAM helper fails only its own
# request and is replaced; unix sockets and several listeners; systemd
# socket activation; `user` drops the HTTP side while the helpers keep root;
# without its PAM supervisor the daemon stops with status 1.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
passdb
# A slow stack: pam_exec sleeps before pam_matrix checks the password.
pam_stack jwt-issuer "auth required pam_exec.so quiet /bin/sleep 2" \
    "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
listen = unix:$T/sock
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
pam_workers = 1
pam_queue = 1
EOC
start_issuerd "$T/iss.conf" "$T/log"

# ---- busy: 1 helper, 1 queue place, 4 clients -------------------------------
B=""
for i in 1 2 3 4; do
    curl -s -D "$T/bh.$i" -o "$T/bo.$i" -w '%{http_code}\n' --max-time 30 \
        -d grant_type=password -d username=alice -d password=secret \
        "http://127.0.0.1:$ISS_PORT/token" > "$T/bc.$i" &
    B="$B $!"
done
PIDS="$PIDS $B"
for p in $B; do wait "$p" || true; done
n200=$(cat "$T"/bc.* | grep -c '^200$' || true)
n503=$(cat "$T"/bc.* | grep -c '^503$' || true)
[ "$n200" -ge 1 ] && [ "$n503" -ge 1 ] || fail "busy: $(cat "$T"/bc.* | tr '\n' ' ')"
grep -qi '^Retry-After: 1' $(grep -l '^503$' "$T"/bc.* | sed 's/bc/bh/') || fail "503 without Retry-After"
grep -q '"temporarily_unavailable"' $(grep -l '^503$' "$T"/bc.* | sed 's/bc/bo/') || fail "503 body"
ok "full PAM queue: $n503 x 503 temporarily_unavailable with Retry-After, $n200 x 200"

# ---- unix socket -----------------------------------------------------------------
grep -q "listening on unix:$T/sock" "$T/log" || fail "no unix listener"
code=$(curl -s -o "$T/out" -w '%{http_code}' --max-time 30 --unix-socket "$T/sock" \
    -d grant_type=password -d username=alice -d password=secret http://localhost/token)
[ "$code" = 200 ] || fail "login over the unix socket: $code"
grep -q 'login: addr=unix user=alice outcome=success' "$T/log" || fail "unix log line"
ok "second listener on a unix socket"

# ---- the signing key never shares an address space with PAM modules ----------
priv=$(openssl pkey -in "$T/sign.pem" -text -noout 2>/dev/null \
    | sed -n '/^priv:/,/^pub:/p' | grep -v 'priv:\|pub:' | tr -d ' :\n')
sup=$(pgrep -P "$ISS_PID" | head -n 1)
scan=$($PY - "$priv" "$ISS_PID" "$sup" $(pgrep -P "$sup") <<'EOP'
import sys
def has(pid, needles):
    with open("/proc/%s/maps" % pid) as m, open("/proc/%s/mem" % pid, "rb", 0) as mem:
        for line in m:
            f = line.split()
            if "r" not in f[1] or (len(f) > 5 and f[5] in ("[vvar]", "[vsyscall]")):
                continue
            a, b = (int(x, 16) for x in f[0].split("-"))
            try:
                mem.seek(a)
                data = mem.read(b - a)
            except (OSError, OverflowError):
                continue
            if any(n in data for n in needles):
                return True
    return False
d = bytes.fromhex(sys.argv[1])
print(" ".join("1" if has(p, [d, d[::-1]]) else "0" for p in sys.argv[2:]))
EOP
) || scan=""
case $scan in
    "1 0 0"*) case $scan in *1*1*) fail "the private key is in a PAM process: $scan" ;; esac
              ok "the private key is in the daemon's memory but not in the PAM supervisor's or helpers'" ;;
    *) echo "# key scan inconclusive ($scan): skipped" ;;
esac

# ---- a helper crash fails only its request; the helper is replaced ---------
helpers_started=$(metric jwt_issuerd_pam_helpers_started_total)
curl -s -o "$T/crash.out" -w '%{http_code}' --max-time 30 -d grant_type=password \
    -d username=alice -d password=secret "http://127.0.0.1:$ISS_PORT/token" > "$T/crash.code" &
CP=$!; PIDS="$PIDS $CP"
sup=$(pgrep -P "$ISS_PID" | head -n 1)
[ -n "$sup" ] || fail "no PAM supervisor process"
busy_helper() { h=$(pgrep -P "$sup" | head -n 1); [ -n "$h" ] && pgrep -P "$h" >/dev/null; }
wait_for busy_helper || fail "helper never ran pam_exec"
kill -KILL "$h"
wait "$CP" || true
[ "$(cat "$T/crash.code")" = 500 ] || fail "request of a crashed helper: $(cat "$T/crash.code") $(cat "$T/crash.out")"
grep -q 'server_error' "$T/crash.out" || fail "crash body: $(cat "$T/crash.out")"
ok "a helper killed mid-login: that request gets 500 server_error"
replaced() { [ "$(metric jwt_issuerd_pam_helpers_started_total)" -gt "$helpers_started" ]; }
wait_for replaced || fail "helper not replaced"
grep -q "PAM helper $h killed by signal 9; respawning" "$T/log" || fail "crash not logged"
[ "$(login alice secret)" = 200 ] || fail "login after the crash"
ok "the helper is respawned and logins work again"

# ---- SIGTERM drains a login in flight ------------------------------------------------
curl -s -o "$T/drain.out" -w '%{http_code}' --max-time 30 -d grant_type=password \
    -d username=alice -d password=secret "http://127.0.0.1:$ISS_PORT/token" > "$T/drain.code" &
DP=$!; PIDS="$PIDS $DP"
one_in_flight() { [ "$(metric jwt_issuerd_requests_in_flight)" = 1 ]; }
wait_for one_in_flight || fail "login not in flight"
kill -TERM "$ISS_PID"
wait "$DP" || true
[ "$(cat "$T/drain.code")" = 200 ] || fail "in-flight login during shutdown: $(cat "$T/drain.code")"
ISS_RC=0; wait "$ISS_PID" || ISS_RC=$?
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC after drain"
grep -q 'draining 1 request' "$T/log" || fail "no drain log line"
ok "SIGTERM: the login in flight completes (200), then exit 0"
gone() { ! kill -0 "$sup" 2>/dev/null; }
wait_for gone || fail "PAM supervisor outlived the daemon"
ok "PAM supervisor and helpers exit with the daemon"

# ---- privilege drop: HTTP side as nobody, helpers as root --------------------------------
matrix_stack
sed -i '/^pam_workers\|^pam_queue\|^listen = unix/d' "$T/iss.conf"
echo "user = nobody" >> "$T/iss.conf"
for_user nobody "$T/sign.pem"
start_issuerd "$T/iss.conf" "$T/log2"
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$ISS_PID/status")
[ "$uid" = "$(id -u nobody)" ] || fail "daemon uid $uid"
sup=$(pgrep -P "$ISS_PID" | head -n 1)
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$sup/status")" = 0 ] || fail "supervisor not root"
[ "$(login alice secret)" = 200 ] || fail "login after dropping privileges"
ok "user = nobody: HTTP side runs as nobody, PAM helpers keep root, logins work"
# Supervisor and every helper gone: no helper will come back, so the daemon
# stops (status 1: systemd's Restart=on-failure starts a whole new one).
hs=$(pgrep -P "$sup" || true)
kill -KILL "$sup" $hs
gone_all() { ! kill -0 "$sup" 2>/dev/null && [ -z "$(pgrep -P "$sup" || true)" ]; }
wait_for gone_all || fail "supervisor or helpers survived SIGKILL"
no_sup() { grep -q 'PAM supervisor is gone; stopping' "$T/log2"; }
wait_for no_sup || fail "supervisor loss not noticed"
daemon_gone() { ! kill -0 "$ISS_PID" 2>/dev/null; }
wait_for daemon_gone || fail "daemon still running without a PAM supervisor"
ISS_RC=0; wait "$ISS_PID" || ISS_RC=$?
[ "$ISS_RC" = 1 ] || fail "exit status without a supervisor: $ISS_RC"
ok "with the PAM supervisor gone the daemon stops, exit status 1"

# ---- systemd socket activation ----------------------------------------------------------
if command -v systemd-socket-activate >/dev/null; then
    sed -i '/^user = /d' "$T/iss.conf"
    chown root "$T/sign.pem"    # read as root again
    port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    systemd-socket-activate -l "127.0.0.1:$port" "$PAMJWT_ISSUERD" -c "$T/iss.conf" 2> "$T/log3" &
    ISS_PID=$!; PIDS="$PIDS $ISS_PID"
    ISS_PORT=$port
    listening() { grep -q "Listening on 127.0.0.1:$port" "$T/log3"; }
    wait_for listening || fail "systemd-socket-activate did not start: $(cat "$T/log3")"
    # The first connection makes systemd-socket-activate exec the daemon.
    [ "$(login alice secret)" = 200 ] || fail "login through the activated socket: $(cat "$T/log3")"
    grep -q 'listening on systemd socket 3' "$T/log3" || fail "activation socket not used: $(cat "$T/log3")"
    ok "systemd socket activation (LISTEN_FDS) is used instead of listen ="
    stop_issuerd
    [ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
fi
done_cases
