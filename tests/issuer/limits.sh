#!/bin/sh
# Connection limits: idle connections time out (connection_timeout), and a
# client address gets at most max_connections_per_ip connections.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
connection_timeout = 1
max_connections_per_ip = 2
EOC
start_issuerd "$T/iss.conf" "$T/log"

$PY - "$ISS_PORT" <<'EOP' || fail "connection limits"
import socket, sys, time
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s
def closed_within(s, secs):
    s.settimeout(secs)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
a, b = conn(), conn()
time.sleep(0.3)          # let the daemon accept both
c = conn()
assert closed_within(c, 10), "third connection from one address was not refused"
a.setblocking(False)
try:
    a.recv(1)
    raise SystemExit("first connection closed early")
except BlockingIOError:
    pass
print("ok per-ip cap")
assert closed_within(a, 10), "idle connection not timed out"
assert closed_within(b, 10), "idle connection not timed out"
print("ok idle timeout")
EOP
ok "a third connection from one address is closed at once, the first two stay"
ok "idle connections are closed after connection_timeout"
[ "$(login alice secret)" = 200 ] || fail "login after the limit tests"
ok "the daemon serves normally afterwards"
stop_issuerd

# ---- an IPv6 loopback listener -----------------------------------------------
if $PY -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
    sed -i 's/^listen = .*/listen = [::1]:0/' "$T/iss.conf"
    "$PAMJWT_ISSUERD" -c "$T/iss.conf" 2> "$T/log6" &
    ISS_PID=$!; PIDS="$PIDS $ISS_PID"
    up6() { grep -q 'listening on \[::1\]:' "$T/log6"; }
    wait_for up6 || fail "no [::1] listener"
    ISS_PORT=$(sed -n 's/.*listening on \[::1\]:\([0-9]*\).*/\1/p' "$T/log6")
    [ "$(ISS_URL="http://[::1]:$ISS_PORT" login alice secret -g)" = 200 ] || fail "IPv6 login"
    grep -q 'login: addr=::1 user=alice outcome=success' "$T/log6" || fail "IPv6 client address"
    ok "[::1] listener: IPv6 login, client logged as ::1"
    stop_issuerd
fi
done_cases
