#!/bin/sh
# Review finding 21: the client behind X-Forwarded-For is the right-most
# address that is not a trusted proxy (walking right to left), and repeated
# X-Forwarded-For headers are one list, joined in order (not "first wins").
# The login log line's addr= shows which address the daemon believed.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
trusted_proxies = 127.0.0.1, 192.0.2.10
EOC
start_issuerd "$T/iss.conf" "$T/log"

n=0
# seen WANT [curl args...]: one failed login with a unique user name, then
# the address its log line names must be WANT.
seen() {
    want=$1; shift
    n=$((n + 1))
    login "xff$n" wrong "$@" > /dev/null
    wait_for grep -q "user=xff$n outcome=" "$T/log" || fail "no log line for xff$n"
    got=$(sed -n "s/.*login: addr=\([^ ]*\) user=xff$n outcome=.*/\1/p" "$T/log")
    [ "$got" = "$want" ] || fail "case $n ($*): client $got, want $want"
}

seen 203.0.113.5 -H 'X-Forwarded-For: 203.0.113.5, 192.0.2.10'
ok "a trusted hop on the right is skipped: the client is the address before it"
seen 203.0.113.6 -H 'X-Forwarded-For: 198.51.100.9' -H 'X-Forwarded-For: 203.0.113.6'
ok "two X-Forwarded-For headers are one list: the right-most value of the last one counts"
seen 203.0.113.9 -H 'X-Forwarded-For: 203.0.113.9' -H 'x-forwarded-for: 192.0.2.10'
ok "joined across headers (any letter case): past the trusted hop in the second header"
seen 203.0.113.7 -H 'X-Forwarded-For: 10.6.6.6, 198.51.100.66, 203.0.113.7'
ok "addresses the client put in front are never believed"
seen 203.0.113.8 -H 'X-Forwarded-For: 10.6.6.6,203.0.113.8 ,, 192.0.2.10,'
ok "blanks and empty list elements are skipped"
seen 192.0.2.10 -H 'X-Forwarded-For: 192.0.2.10'
ok "when every hop is trusted, the left-most one is the client"
seen 192.0.2.10 -H 'X-Forwarded-For: 203.0.113.99, unknown, 192.0.2.10'
ok "a value that is not an address stops the walk at the last hop that vouched for it"
seen 127.0.0.1 -H 'X-Forwarded-For: garbage'
ok "garbage from the first hop: the peer itself is the client"
seen 2001:db8::7 -H 'X-Forwarded-For: 2001:db8::7, ::ffff:192.0.2.10'
ok "IPv6 clients; an IPv4-mapped proxy address is the IPv4 one"

# A peer outside trusted_proxies: every X-Forwarded-For is ignored.
rc=0; curl -s -o /dev/null --max-time 2 --interface 127.0.0.2 "http://127.0.0.1:$ISS_PORT/healthz" || rc=$?
if [ "$rc" -ne 45 ]; then
    seen 127.0.0.2 --interface 127.0.0.2 -H 'X-Forwarded-For: 203.0.113.50' \
        -H 'X-Forwarded-For: 203.0.113.51'
    ok "an untrusted peer's X-Forwarded-For headers are ignored"
fi
stop_issuerd
done_cases
