#!/bin/sh
# Startup warnings for set-ups that run but betray their administrator
# (review findings): a TCP listener outside loopback with neither TLS nor
# trusted_proxies (passwords in clear text on the network), and PAM helpers
# started as a user that cannot read /etc/shadow with pam_unix in the stack
# (pam_unix then checks only that user's own password).  Each warning is
# shown present, and absent where it does not apply.  The non-loopback
# listeners live in a private network namespace (only lo, with 192.0.2.1
# added), so nothing is reachable from outside.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
tls_cert
conf() {   # conf FILE LINE...: a configuration with these extra lines
    _f=$1; shift
    printf 'issuer = https://issuer.test\nsigning_key = %s\npam_confdir = %s\nsession_lifetime = 0\n' \
        "$T/sign.pem" "$T/pam.d" > "$_f"
    for _l in "$@"; do printf '%s\n' "$_l" >> "$_f"; done
}
CLEAR='without TLS (tls_cert) and without trusted_proxies'

# ---- listen -------------------------------------------------------------------
# netns_run CONF LOG: the daemon in a new network namespace until "ready",
# then SIGTERM.
netns_ok=0
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null \
    && unshare --net true 2>/dev/null; then
    netns_ok=1
fi
netns_run() {
    : > "$2"
    unshare --net sh -c 'ip link set lo up && ip addr add 192.0.2.1/32 dev lo && exec "$0" -c "$1"' \
        "$PAMJWT_ISSUERD" "$1" 2>"$2" &
    ISS_PID=$!; track "$ISS_PID"
    ready() { grep -q 'info: ready' "$1"; }
    wait_for ready "$2" || fail "not ready in the namespace: $(cat "$2")"
    stop_issuerd
}

if [ "$netns_ok" = 1 ]; then
    conf "$T/a.conf" "listen = 192.0.2.1:0"
    netns_run "$T/a.conf" "$T/log.a"
    grep -q "warning: listening on 192.0.2.1:[0-9]* $CLEAR: passwords" "$T/log.a" ||
        fail "no clear-text warning for 192.0.2.1: $(cat "$T/log.a")"
    ok "listen on 192.0.2.1 without TLS or trusted_proxies: warning"

    conf "$T/b.conf" "listen = 0.0.0.0:0"
    netns_run "$T/b.conf" "$T/log.b"
    grep -q "warning: listening on 0.0.0.0:[0-9]* $CLEAR" "$T/log.b" ||
        fail "no clear-text warning for 0.0.0.0: $(cat "$T/log.b")"
    ok "listen on every address (0.0.0.0): warning"

    conf "$T/c.conf" "listen = 192.0.2.1:0" "tls_cert = $T/tls.crt" "tls_key = $T/tls.key"
    netns_run "$T/c.conf" "$T/log.c"
    grep -q "$CLEAR" "$T/log.c" && fail "warning with TLS: $(cat "$T/log.c")"
    ok "listen on 192.0.2.1 with TLS: no warning"

    conf "$T/d.conf" "listen = 192.0.2.1:0" "trusted_proxies = 192.0.2.10"
    netns_run "$T/d.conf" "$T/log.d"
    grep -q "$CLEAR" "$T/log.d" && fail "warning behind trusted_proxies: $(cat "$T/log.d")"
    ok "listen on 192.0.2.1 behind trusted_proxies: no warning"
else
    echo "# no network namespace here: non-loopback listeners not tried"
fi

conf "$T/e.conf" "listen = 127.0.0.1:0" "listen = [::1]:0" "listen = 127.0.0.2:0" "listen = unix:$T/sock"
start_issuerd "$T/e.conf" "$T/log.e"
stop_issuerd
grep -q "$CLEAR" "$T/log.e" && fail "warning on loopback: $(cat "$T/log.e")"
ok "127.0.0.1, ::1, 127.0.0.2 and a unix socket: no warning"

# ---- PAM helpers that cannot read /etc/shadow --------------------------------------
SHADOWLESS="the PAM helpers run as uid"
id nobody >/dev/null 2>&1 || skip "no user nobody"
for_user nobody "$T/sign.pem"
# pam_unix reached through @include, behind a bracketed control.
pam_stack common-test "auth [success=1 default=ignore] pam_unix.so nullok" \
    "auth requisite pam_deny.so" "auth required pam_permit.so"
pam_stack jwt-issuer "@include common-test" "account required pam_unix.so"
conf "$T/p.conf" "listen = 127.0.0.1:0"
as_nobody() {   # as_nobody [setpriv options]: jwt-issuerd -t as nobody
    setpriv --reuid=nobody --regid="$(id -g nobody)" "$@" \
        "$PAMJWT_ISSUERD" -t -c "$T/p.conf" > "$T/t.out" 2> "$T/t.err" || true
}
as_nobody --clear-groups
grep -q "$SHADOWLESS $(id -u nobody), which cannot read /etc/shadow: pam_unix in $T/pam.d/jwt-issuer" "$T/t.err" ||
    fail "no pam_unix warning as nobody: $(cat "$T/t.err" "$T/t.out")"
grep -q 'configuration OK' "$T/t.out" || fail "-t as nobody: $(cat "$T/t.err")"
ok "started as nobody, pam_unix via @include: warning"

if [ -r /etc/shadow ] && sg=$(getent group shadow | cut -d: -f3) && [ -n "$sg" ] &&
    [ "$(stat -c %g /etc/shadow)" = "$sg" ] && [ "$(( $(stat -c %a /etc/shadow) / 10 % 10 & 4 ))" = 4 ]; then
    as_nobody --groups="$sg"
    grep -q "$SHADOWLESS" "$T/t.err" && fail "warning although group shadow reads /etc/shadow: $(cat "$T/t.err")"
    grep -q 'configuration OK' "$T/t.out" || fail "-t as nobody:shadow: $(cat "$T/t.err")"
    ok "started as nobody with group shadow: no warning"
fi

matrix_stack
as_nobody --clear-groups
grep -q "$SHADOWLESS" "$T/t.err" && fail "warning without pam_unix: $(cat "$T/t.err")"
ok "started as nobody, no pam_unix in the stack: no warning"

pam_stack jwt-issuer "auth required pam_unix.so" "account required pam_unix.so"
"$PAMJWT_ISSUERD" -t -c "$T/p.conf" > "$T/t.out" 2> "$T/t.err" || true
grep -q "$SHADOWLESS" "$T/t.err" && fail "warning as root: $(cat "$T/t.err")"
ok "started as root with pam_unix: no warning"
done_cases
