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
done_cases
