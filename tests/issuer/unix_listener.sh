#!/bin/sh
# Review finding 24: a unix: listener takes mode= and group= (who may
# connect is configured, not left to the umask; default 0600), its peers
# can be trusted as a proxy (`unix` in trusted_proxies), and
# trusted_proxies takes CIDR ranges, IPv4 and IPv6.  The login log line's
# addr= shows whose X-Forwarded-For was believed.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
# A group the socket can be given: any group as root, else one of ours.
if [ "$(id -u)" = 0 ] && getent group nogroup > /dev/null; then grp=nogroup; else grp=$(id -gn); fi
mkdir -p "$T/s"
cat > "$T/base.conf" <<EOC
listen = 127.0.0.1:0
listen = unix:$T/s/proxy.sock mode=0660 group=$grp
listen = unix:$T/s/plain.sock
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
EOC
n=0
# seen WANT [curl args...]: a failed login with a fresh user name; its log
# line must name WANT as the client.
seen() {
    want=$1; shift
    n=$((n + 1))
    curl -s -o /dev/null --max-time 30 -d grant_type=password -d "username=u$n" \
        -d password=wrong "$@" > /dev/null || true
    wait_for grep -q "user=u$n outcome=" "$T/$LOG" || fail "no log line for u$n ($*)"
    got=$(sed -n "s/.*login: addr=\([^ ]*\) user=u$n outcome=.*/\1/p" "$T/$LOG")
    [ "$got" = "$want" ] || fail "case u$n ($*): client $got, want $want"
}
X='X-Forwarded-For: 203.0.113.20'

# ---- mode and group; unix peers not trusted ----------------------------------------
cp "$T/base.conf" "$T/iss.conf"
LOG=log; start_issuerd "$T/iss.conf" "$T/log"
[ -S "$T/s/proxy.sock" ] || fail "no socket at $T/s/proxy.sock: $(ls "$T/s")"
[ "$(stat -c '%a %G' "$T/s/proxy.sock")" = "660 $grp" ] ||
    fail "proxy.sock: $(stat -c '%a %G' "$T/s/proxy.sock"), want 660 $grp"
ok "listen = unix:PATH mode=0660 group=$grp: the socket has that mode and group"
[ "$(stat -c '%a' "$T/s/plain.sock")" = 600 ] ||
    fail "plain.sock: mode $(stat -c '%a' "$T/s/plain.sock"), want 600 whatever the umask"
ok "without mode= a unix socket is 0600"
seen unix --unix-socket "$T/s/proxy.sock" -H "$X" http://localhost/token
ok "without 'unix' in trusted_proxies, X-Forwarded-For over a unix socket is ignored"
stop_issuerd

# ---- trusted: unix peers, an IPv4 range, an IPv6 range ------------------------------
v6=0
$PY -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && v6=1
{ cat "$T/base.conf"
  echo "trusted_proxies = unix, 127.0.0.2/31"
  [ $v6 = 0 ] || { echo "listen = [::1]:0"; echo "trusted_proxies = ::/127"; }
} > "$T/iss.conf"
LOG=log2; start_issuerd "$T/iss.conf" "$T/log2"
seen 203.0.113.20 --unix-socket "$T/s/proxy.sock" -H "$X" http://localhost/token
seen 203.0.113.20 --unix-socket "$T/s/plain.sock" -H "$X" http://localhost/token
ok "trusted_proxies = unix: X-Forwarded-For from unix-socket peers is believed"
seen unix --unix-socket "$T/s/proxy.sock" http://localhost/token
ok "a trusted unix peer without X-Forwarded-For is logged as unix"
rc=0; curl -s -o /dev/null --max-time 2 --interface 127.0.0.3 "http://127.0.0.1:$ISS_PORT/healthz" || rc=$?
if [ "$rc" -ne 45 ]; then
    seen 203.0.113.20 --interface 127.0.0.2 -H "$X" "http://127.0.0.1:$ISS_PORT/token"
    seen 203.0.113.20 --interface 127.0.0.3 -H "$X" "http://127.0.0.1:$ISS_PORT/token"
    seen 127.0.0.4 --interface 127.0.0.4 -H "$X" "http://127.0.0.1:$ISS_PORT/token"
    seen 127.0.0.1 -H "$X" "http://127.0.0.1:$ISS_PORT/token"
    ok "127.0.0.2/31: peers .2 and .3 are trusted, .1 and .4 are not"
fi
if [ $v6 = 1 ]; then
    p6=$(sed -n 's/.*listening on \[::1\]:\([0-9]*\).*/\1/p' "$T/log2")
    seen 2001:db8::20 -g -H 'X-Forwarded-For: 2001:db8::20' "http://[::1]:$p6/token"
    ok "::/127: the IPv6 peer ::1 is trusted"
fi
stop_issuerd

# ---- configuration errors (-t) --------------------------------------------------------
bad() {   # bad LINE WHY
    { cat "$T/base.conf"; echo "$1"; } > "$T/bad.conf"
    if "$PAMJWT_ISSUERD" -t -c "$T/bad.conf" > "$T/bad.out" 2>&1; then
        fail "accepted: $1 ($2)"
    fi
}
bad "trusted_proxies = 10.1.2.3/8" "host bits set"
bad "trusted_proxies = 10.0.0.0/33" "prefix too long"
bad "trusted_proxies = 2001:db8::/129" "prefix too long"
bad "trusted_proxies = 10.0.0.0/" "no prefix length"
bad "trusted_proxies = localhost" "names are not addresses"
bad "listen = unix:relative.sock" "relative path"
bad "listen = unix:$T/s/x.sock mode=999" "not octal"
bad "listen = unix:$T/s/x.sock mode=01777" "more than permission bits"
bad "listen = unix:$T/s/x.sock group=no-such-group-here" "no such group"
bad "listen = unix:$T/s/x.sock owner=root" "unknown attribute"
bad "listen = 127.0.0.1:0 mode=0660" "attributes on a TCP listener"
ok "bad CIDR ranges, names, relative or malformed unix listeners fail -t"
{ cat "$T/base.conf"; echo "trusted_proxies = unix, 10.0.0.0/8, 192.0.2.1, 2001:db8::/32, ::ffff:198.51.100.0/120"; } > "$T/good.conf"
"$PAMJWT_ISSUERD" -t -c "$T/good.conf" > "$T/good.out" 2>&1 || fail "good trusted_proxies refused: $(cat "$T/good.out")"
ok "trusted_proxies with unix, IPv4 and IPv6 ranges and plain addresses passes -t"
done_cases
