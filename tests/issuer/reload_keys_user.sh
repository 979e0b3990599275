#!/bin/sh
# Review finding 28: with `user =` the process that signs reads its keys
# after dropping privileges, at startup and on SIGHUP, so a key rotation by
# SIGHUP works exactly when the key is the service user's; a key the
# service user cannot read is refused at startup and by -t, saying so.
# And (finding 1) SIGHUP makes the PAM supervisor re-read its own PAM
# settings from the file, whichever process receives the signal.
. "$(dirname "$0")/helpers.inc"
[ "$(id -u)" = 0 ] || { echo "needs root (user = nobody)" >&2; exit 77; }
command -v setpriv >/dev/null || { echo "setpriv missing" >&2; exit 77; }

keygen ES256 "$T/a.pem"
keygen EdDSA "$T/b.pem"
keygen ES256 "$T/root.pem"
for_user nobody "$T/a.pem" "$T/b.pem"
passdb
matrix_stack
# A second service in which only carol may log in.
pam_stack carol-only "auth requisite pam_succeed_if.so quiet user = carol" \
    "auth required pam_permit.so" "account required pam_permit.so"
conf() {   # conf KEY [extra lines]
    k=$1; shift
    {
        echo "listen = 127.0.0.1:0"
        echo "issuer = https://issuer.test"
        echo "signing_key = $k"
        echo "pam_confdir = $T/pam.d"
        echo "user = nobody"
        echo "session_lifetime = 0"
        for l in "$@"; do echo "$l"; done
    } > "$T/iss.conf.new"
    chmod 0644 "$T/iss.conf.new"
    mv "$T/iss.conf.new" "$T/iss.conf"
}
count() { grep -c "$1" "$T/log" || true; }
hup() {   # hup PID PATTERN: SIGHUP and wait for one more PATTERN line
    before=$(count "$2")
    kill -HUP "$1"
    more() { [ "$(count "$1")" -gt "$before" ]; }
    wait_for more "$2" || fail "no '$2' after SIGHUP"
}
kid() { $PY -c 'import jwt,sys; print(jwt.get_unverified_header(sys.argv[1])["kid"])' "$1"; }
token() { [ "$(login "$1" "$2")" = 200 ] || fail "login $1: $(cat "$T/out")"; json_get "$T/out" access_token; }

# ---- a key the service user cannot read --------------------------------------
conf "$T/root.pem"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > /dev/null 2> "$T/t.err"; then
    fail "-t accepted a key nobody cannot read"
fi
grep -q 'root.pem.*read as user nobody' "$T/t.err" || fail "-t does not say why: $(cat "$T/t.err")"
ok "-t checks the key as the service user: $(sed -n "s/.*error: //p" "$T/t.err")"
"$PAMJWT_ISSUERD" -c "$T/iss.conf" 2> "$T/start.err" && fail "started with a key nobody cannot read"
grep -q 'root.pem.*read as user nobody' "$T/start.err" || fail "startup does not say why: $(cat "$T/start.err")"
ok "startup refuses it too, naming the user"

# ---- rotation by SIGHUP as the service user ------------------------------------
conf "$T/a.pem"
"$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > /dev/null || fail "-t refused nobody's own key"
start_issuerd "$T/iss.conf" "$T/log"
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$ISS_PID/status")" = "$(id -u nobody)" ] || fail "not running as nobody"
ka=$(kid "$(token alice secret)")
conf "$T/b.pem"
hup "$ISS_PID" "reloaded"
kb=$(kid "$(token alice secret)")
[ "$kb" != "$ka" ] || fail "SIGHUP did not bring in key B"
ok "SIGHUP as nobody: the new key (nobody's, 0600) signs"
conf "$T/root.pem"
hup "$ISS_PID" "reload failed"
tail -n 5 "$T/log" | grep -q 'root.pem.*read as user nobody' || fail "failed reload does not say why"
[ "$(kid "$(token alice secret)")" = "$kb" ] || fail "a failed reload replaced key B"
ok "SIGHUP to a key nobody cannot read: refused with the reason, key B stays"

# ---- the supervisor re-reads its PAM settings ------------------------------------
conf "$T/b.pem" "pam_service = carol-only"
hup "$ISS_PID" "PAM supervisor: service carol-only"
[ "$(login alice secret)" = 400 ] || fail "alice after switching to carol-only: $(cat "$T/out")"
[ "$(login carol pw3)" = 200 ] || fail "carol after switching to carol-only: $(cat "$T/out")"
ok "SIGHUP to the daemon: the supervisor read pam_service = carol-only itself"
conf "$T/b.pem"
sup=$(pgrep -P "$ISS_PID" | head -n 1)
hup "$sup" "PAM supervisor: service jwt-issuer in"
[ "$(login alice secret)" = 200 ] || fail "alice after SIGHUP to the supervisor: $(cat "$T/out")"
ok "SIGHUP to the supervisor directly: back to pam_service = jwt-issuer"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
done_cases
