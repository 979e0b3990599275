#!/bin/sh
# jwtctl's client refuses what it must not trust, before a password or a
# refresh token goes anywhere: a session file or directory others could
# reach (or a symlink), plain http to a non-loopback host, a server
# certificate for another name, a client.conf others can write.  And the
# password never shows in argv, the environment, a log, or on the terminal.
. "$(dirname "$0")/helpers.inc"
. "$TOP/tests/issuer/client.inc"
client_env
test_ca

# A session file as login writes it, placed by hand (no issuer needed).
fake_session() {   # fake_session URL
    jwtctl status --issuer "$1" 2>/dev/null && fail "status found a session before one was made"
    # Named as session_file.c names it: SHA-256 of the issuer URL.
    h=$(printf '%s' "$1" | sha256sum | cut -c1-16)
    mkdir -p -m 700 "$XDG_RUNTIME_DIR/pamjwt"
    SF=$XDG_RUNTIME_DIR/pamjwt/session-$h.json
    printf '{"issuer":"%s","user":"alice","refresh_token":"RT-not-real","session":"s1","expires":%s,"idle":600,"last_used":%s}' \
        "$1" $(( $(date +%s) + 3600 )) "$(date +%s)" > "$SF"
    chmod 600 "$SF"
}

U=https://127.0.0.1:1
fake_session "$U"
jwtctl status --issuer "$U" > "$T/out" 2> "$T/err" || fail "status of a good file: $(cat "$T/err")"
grep -q '^user: *alice' "$T/out" && grep -q '^session: *s1' "$T/out" || fail "status: $(cat "$T/out")"
! grep -q RT-not-real "$T/out" "$T/err" || fail "status printed the refresh token"
ok "status reads a 0600 session file in a 0700 directory, without the network"

chmod 644 "$SF"
if jwtctl status --issuer "$U" 2> "$T/err"; then fail "a 0644 session file was accepted"; fi
grep -q "$SF.*mode 0644" "$T/err" || fail "message: $(cat "$T/err")"
if jwtctl token --issuer "$U" 2> "$T/err"; then fail "token used a 0644 session file"; fi
grep -q "mode 0644" "$T/err" || fail "token message: $(cat "$T/err")"
ok "a session file readable by others is refused, naming the path and the mode"
chmod 600 "$SF"

mv "$SF" "$T/elsewhere.json"; ln -s "$T/elsewhere.json" "$SF"
if jwtctl status --issuer "$U" 2> "$T/err"; then fail "a symlinked session file was accepted"; fi
grep -q "$SF: a symbolic link" "$T/err" || fail "message: $(cat "$T/err")"
rm "$SF"; mv "$T/elsewhere.json" "$SF"
ok "a session file that is a symbolic link is refused"

chmod 755 "$XDG_RUNTIME_DIR/pamjwt"
if jwtctl status --issuer "$U" 2> "$T/err"; then fail "a 0755 session directory was accepted"; fi
grep -q "pamjwt: mode 0755" "$T/err" || fail "message: $(cat "$T/err")"
chmod 700 "$XDG_RUNTIME_DIR/pamjwt"
ok "a session directory others can enter is refused"

mv "$XDG_RUNTIME_DIR/pamjwt" "$T/realdir"; ln -s "$T/realdir" "$XDG_RUNTIME_DIR/pamjwt"
if jwtctl status --issuer "$U" 2> "$T/err"; then fail "a symlinked session directory was accepted"; fi
grep -q "pamjwt" "$T/err" && grep -qi "link" "$T/err" || fail "message: $(cat "$T/err")"
if printf 'secret\n' | jwtctl login --issuer "$U" -u alice --password-stdin 2> "$T/err"; then
    fail "login wrote through a symlinked session directory"; fi
[ ! -e "$T/realdir/session-x" ] && ok "a session directory that is a symbolic link is refused (status and login)"
rm "$XDG_RUNTIME_DIR/pamjwt"; mv "$T/realdir" "$XDG_RUNTIME_DIR/pamjwt"

# Plain http to a host that is not loopback: refused before connecting (a
# TEST-NET-1 address: a connection attempt would hang, not fail fast).
start=$(date +%s)
if printf 'secret\n' | jwtctl login --issuer http://192.0.2.1 -u alice --password-stdin 2> "$T/err"; then
    fail "http to 192.0.2.1 accepted"; fi
grep -q "plain http is only allowed to a loopback address" "$T/err" || fail "message: $(cat "$T/err")"
[ $(( $(date +%s) - start )) -lt 3 ] || fail "took too long: it tried to connect"
if jwtctl token --issuer http://192.0.2.1 2> /dev/null; then fail "token over http to 192.0.2.1"; fi
ok "http:// to a non-loopback address is refused before connecting"
for u in ftp://127.0.0.1 file:///etc/passwd; do
    if printf 'secret\n' | jwtctl login --issuer "$u" -u alice --password-stdin 2> "$T/err"; then
        fail "$u accepted"; fi
done
ok "schemes other than https and loopback http are refused"

# A server whose certificate, signed by the trusted CA, names another host.
client_issuer "$T/other"
if printf 'secret\n' | jwtctl login --issuer "$URL" --cacert "$T/ca.crt" -u alice --password-stdin 2> "$T/err"; then
    fail "a certificate for other.test accepted for 127.0.0.1"; fi
grep -qi "certificate\|SSL\|TLS" "$T/err" || fail "message: $(cat "$T/err")"
! grep -q "alice" "$T/log.iss" || fail "the request reached the issuer"
ok "a server certificate for another name fails TLS; nothing reaches the issuer"
if printf 'secret\n' | jwtctl login --issuer "$URL" -u alice --password-stdin 2> "$T/err"; then
    fail "an unknown CA accepted"; fi
ok "a certificate from a CA that is not trusted fails TLS"
stop_issuerd

# client.conf: the trust rule of every pamjwt config.
mkdir -p "$T/cc"
printf 'issuer = https://127.0.0.1:1\nuser = alice\n' > "$T/cc/client.conf"
chmod 664 "$T/cc/client.conf"
if PAMJWT_CLIENT_CONF=$T/cc/client.conf jwtctl status 2> "$T/err"; then fail "group-writable client.conf accepted"; fi
grep -q "client.conf.*writable by group" "$T/err" || fail "message: $(cat "$T/err")"
ok "a group-writable client.conf is refused"
chmod 644 "$T/cc/client.conf"
printf 'issuer = https://127.0.0.1:1\nbogus = 1\n' > "$T/cc/client.conf"
if PAMJWT_CLIENT_CONF=$T/cc/client.conf jwtctl status 2> "$T/err"; then fail "unknown key accepted"; fi
grep -q "client.conf:2: unknown option" "$T/err" || fail "message: $(cat "$T/err")"
ok "an unknown key in client.conf is refused with file:line"
printf 'audience = ssh:%%q\n' > "$T/cc/client.conf"
if PAMJWT_CLIENT_CONF=$T/cc/client.conf jwtctl status 2> "$T/err"; then fail "bad template accepted"; fi
grep -q "client.conf:1: audience" "$T/err" || fail "message: $(cat "$T/err")"
ok "an audience template with an unknown %-sequence is refused"
if PAMJWT_CLIENT_CONF=$T/cc/missing.conf jwtctl status 2> "$T/err"; then fail "missing named conf accepted"; fi
ok "a PAMJWT_CLIENT_CONF that does not exist is an error, not a fallback"
mkdir -p -m 700 "$XDG_CONFIG_HOME/pamjwt"
printf 'issuer = %s\n' "$U" > "$XDG_CONFIG_HOME/pamjwt/client.conf"
jwtctl status > "$T/out" 2> "$T/err" || fail "status via XDG_CONFIG_HOME: $(cat "$T/err")"
grep -q "^issuer: *$U" "$T/out" || fail "status: $(cat "$T/out")"
ok "\$XDG_CONFIG_HOME/pamjwt/client.conf names the issuer"

# The password at the prompt: not in argv or environ while jwtctl waits,
# not echoed, not in the issuer's log or jwtctl's messages.
client_issuer "$T/srv"
PW=Pw-7f3a9c-q81Z
rc=0
pty_run "$PW" -- "$PAMJWT_JWTCTL" login --issuer "$URL" --cacert "$T/ca.crt" -u erin > "$T/tty" 2>&1 || rc=$?
grep -q LEAK "$T/tty" && fail "$(cat "$T/tty")"
grep -q "Password for erin@$URL: " "$T/tty" || fail "no prompt: $(cat "$T/tty")"
ok "the password typed at the prompt is not in /proc/PID/cmdline or environ, nor echoed"
[ "$rc" = 0 ] || fail "pty login rc $rc: $(cat "$T/tty")"
ok "login through the terminal"
printf '%s\n' "$PW" | jwtctl login --issuer "$URL" --cacert "$T/ca.crt" -u erin --password-stdin 2> "$T/err.stdin" || true
printf 'wrong\n' | jwtctl login --issuer "$URL" --cacert "$T/ca.crt" -u alice --password-stdin 2> "$T/err.wrong" && fail "wrong password logged in"
grep -q "login refused" "$T/err.wrong" || fail "wrong password: $(cat "$T/err.wrong")"
ok "a wrong password: 'login refused', exit 1"
for f in "$T/log.iss" "$T/err.stdin" "$T/err.wrong"; do
    ! grep -q "$PW" "$f" || fail "the password is in $f"
done
for f in "$XDG_RUNTIME_DIR"/pamjwt/*; do
    [ -f "$f" ] || continue
    ! grep -q "$PW" "$f" || fail "the password is in $f"
done
ok "the password is in no log, message or session file"
stop_issuerd

# An issuer with sessions off answers 200 without a refresh token.
client_issuer "$T/srv" "session_lifetime = 0"
rc=0
printf 'secret\n' | jwtctl login --issuer "$URL" --cacert "$T/ca.crt" -u alice --password-stdin 2> "$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "did not start a session (session_lifetime = 0?)" "$T/err" ||
    fail "rc $rc: $(cat "$T/err")"
ok "a 200 without refresh_token: 'did not start a session', exit 1"
stop_issuerd
finish
