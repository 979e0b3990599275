#!/bin/sh
# jwtctl as the user's client against the real jwt-issuerd over TLS (a test
# CA): login typed once through a pseudo-terminal, tokens from the stored
# session (each refresh rotates it), status, logout; parallel token calls
# share one session without tripping reuse detection; a replayed refresh
# token ends the session; --password-stdin and a second (OTP) prompt.
. "$(dirname "$0")/helpers.inc"
. "$TOP/tests/issuer/client.inc"
client_env
test_ca
client_issuer "$T/srv"

printf 'issuer = %s\ncacert = %s\nuser = alice\n' "$URL" "$T/ca.crt" > "$T/client.conf"
PAMJWT_CLIENT_CONF=$T/client.conf; export PAMJWT_CLIENT_CONF
jti() { $PY -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; p+="="*(-len(p)%4); c=json.loads(base64.urlsafe_b64decode(p)); print(c["jti"], c["aud"], c["sub"])' "$1"; }

pty_run secret -- "$PAMJWT_JWTCTL" login > "$T/tty" 2>&1 || fail "login: $(cat "$T/tty")"
grep -q "Password for alice@$URL: " "$T/tty" || fail "prompt: $(cat "$T/tty")"
grep -q "logged in as alice at $URL; session until .* (idle 600s)" "$T/tty" || fail "message: $(cat "$T/tty")"
ok "jwtctl login with client.conf (issuer, cacert, user), the password typed once at the terminal"
SF=$(ls "$XDG_RUNTIME_DIR"/pamjwt/session-*.json)
[ "$(stat -c %a "$SF")" = 600 ] && [ "$(stat -c %a "$XDG_RUNTIME_DIR/pamjwt")" = 700 ] ||
    fail "modes: $(stat -c '%a %n' "$SF" "$XDG_RUNTIME_DIR/pamjwt")"
! grep -q secret "$SF" || fail "password in the session file"
RT0=$(json_get "$SF" refresh_token)
ok "the session is stored 0600 in a 0700 directory, without the password"

t1=$(jwtctl token --audience ssh:web1 2> "$T/err") || fail "token: $(cat "$T/err")"
RT1=$(json_get "$SF" refresh_token)
t2=$(jwtctl token --audience ssh:web1 2> "$T/err") || fail "token 2: $(cat "$T/err")"
RT2=$(json_get "$SF" refresh_token)
[ "$t1" != "$t2" ] || fail "the same token twice"
set -- $(jti "$t1"); j1=$1; a1=$2; s1=$3
set -- $(jti "$t2"); j2=$1
[ "$j1" != "$j2" ] && [ "$a1" = ssh:web1 ] && [ "$s1" = alice ] || fail "claims: $j1 $j2 $a1 $s1"
ok "two jwtctl token --audience ssh:web1: two tokens, different jti, aud ssh:web1"
[ "$RT0" != "$RT1" ] && [ "$RT1" != "$RT2" ] || fail "refresh token not rotated"
ok "each refresh stores the rotated refresh token"

jwtctl token --json > "$T/json" 2> "$T/err" || fail "token --json: $(cat "$T/err")"
[ -n "$(json_get "$T/json" access_token)" ] && [ -z "$(json_get "$T/json" refresh_token)" ] ||
    fail "--json: $(cat "$T/json")"
ok "token --json prints the answer without the refresh token"

jwtctl status > "$T/st" 2> "$T/err" || fail "status: $(cat "$T/err")"
sid=$(json_get "$SF" session)
grep -q "^user: *alice" "$T/st" && grep -q "^issuer: *$URL" "$T/st" &&
    grep -q "^session: *$sid" "$T/st" && grep -q "^expires: .*in " "$T/st" &&
    grep -q "^idle until: .*in " "$T/st" || fail "status: $(cat "$T/st")"
ok "status: user, issuer, session id, expiry and idle expiry"

# Parallel clients (ssh, scp, rsync at once): the lock serialises the
# refreshes; without it two would present one token and end the session.
pids=""
for i in 1 2 3 4 5 6; do
    jwtctl token --audience "ssh:h$i" > "$T/par.$i" 2> "$T/par.err.$i" & pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a parallel token failed: $(cat "$T"/par.err.*)"; done
[ "$(cat "$T"/par.[1-6] | sort -u | wc -l)" = 6 ] || fail "parallel tokens not distinct"
jwtctl token > /dev/null 2> "$T/err" || fail "session gone after parallel refreshes: $(cat "$T/err")"
ok "six parallel jwtctl token: six tokens, the session lives on"

# A replayed (rotated-away) refresh token: the issuer ends the session.
cp "$SF" "$T/old.json"
jwtctl token > /dev/null 2> "$T/err" || fail "token: $(cat "$T/err")"
cp "$T/old.json" "$SF"; chmod 600 "$SF"
if jwtctl token 2> "$T/err"; then fail "a replayed refresh token worked"; fi
grep -q "no session for $URL: run jwtctl login" "$T/err" || fail "message: $(cat "$T/err")"
[ ! -e "$SF" ] || fail "session file kept after invalid_grant"
ok "a replayed refresh token: the session ends, the file is removed, 'run jwtctl login'"

printf 'secret\n' | jwtctl login --password-stdin 2> "$T/err" || fail "--password-stdin: $(cat "$T/err")"
jwtctl token --audience ssh:web2 > /dev/null 2> "$T/err" || fail "token after stdin login: $(cat "$T/err")"
ok "--password-stdin logs in for scripts"

# The issuer unreachable: token fails, the session is kept for later.
stop_issuerd
if jwtctl token 2> "$T/err"; then fail "token with the issuer down"; fi
[ -e "$SF" ] || fail "session file removed on a network error"
ok "issuer unreachable: token fails, the session file is kept"
client_issuer "$T/srv"
printf 'issuer = %s\ncacert = %s\nuser = alice\n' "$URL" "$T/ca.crt" > "$T/client.conf"
printf 'secret\n' | jwtctl login --password-stdin 2> "$T/err" || fail "login: $(cat "$T/err")"
SF=$(grep -l "$URL" "$XDG_RUNTIME_DIR"/pamjwt/session-*.json)
RT=$(json_get "$SF" refresh_token)
jwtctl logout 2> "$T/err" || fail "logout: $(cat "$T/err")"
[ ! -e "$SF" ] || fail "session file kept after logout"
if jwtctl token 2> "$T/err"; then fail "token after logout"; fi
grep -q "run jwtctl login" "$T/err" || fail "message: $(cat "$T/err")"
code=$(curl -s -o "$T/out" -w '%{http_code}' --cacert "$T/ca.crt" \
    --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT" "$URL/token")
[ "$code" = 400 ] || fail "the revoked refresh token still works at the issuer: $code"
ok "logout revokes at the issuer and removes the file; token then says 'run jwtctl login'"
if jwtctl status 2> "$T/err"; then fail "status without a session"; fi
ok "status without a session: exit 1"
for f in "$T/log.iss"; do
    ! grep -q "$RT" "$f" || fail "a refresh token in $f"
done
ok "no refresh token in the issuer's log"
stop_issuerd

# A second PAM prompt (OTP): asked after the password, the grant retried.
if command -v cc >/dev/null; then
    cat > "$T/otp.c" <<'EOC'
#include <stdlib.h>
#include <string.h>
#include <security/pam_modules.h>
#include <security/pam_ext.h>
int pam_sm_authenticate(pam_handle_t *ph, int f, int c, const char **v)
{
    char *r = NULL; int rc;
    (void)f; (void)c; (void)v;
    if (pam_prompt(ph, PAM_PROMPT_ECHO_OFF, &r, "Verification code: ") != PAM_SUCCESS || !r)
        return PAM_AUTH_ERR;
    rc = strcmp(r, "123456") == 0 ? PAM_SUCCESS : PAM_AUTH_ERR;
    free(r);
    return rc;
}
int pam_sm_setcred(pam_handle_t *ph, int f, int c, const char **v)
{ (void)ph; (void)f; (void)c; (void)v; return PAM_SUCCESS; }
EOC
    cc -shared -fPIC -o "$T/pam_testotp.so" "$T/otp.c" -lpam || fail "cannot build the OTP module"
    pam_stack jwt-issuer "auth required $PAM_MATRIX passdb=$T/passdb" \
        "auth required $T/pam_testotp.so" "account required $PAM_MATRIX passdb=$T/passdb"
    client_issuer "$T/srv"
    printf 'issuer = %s\ncacert = %s\nuser = alice\n' "$URL" "$T/ca.crt" > "$T/client.conf"
    pty_run secret 123456 -- "$PAMJWT_JWTCTL" login > "$T/tty" 2>&1 || fail "otp login: $(cat "$T/tty")"
    grep -q "Verification code: " "$T/tty" && grep -q "logged in as alice" "$T/tty" || fail "otp: $(cat "$T/tty")"
    ok "a second PAM prompt is asked at the terminal (echo off) and the grant retried with otp"
    printf 'secret\n000000\n' | jwtctl login --password-stdin 2> "$T/err" && fail "wrong OTP logged in"
    grep -q "login refused" "$T/err" || fail "wrong otp: $(cat "$T/err")"
    printf 'secret\n123456\n' | jwtctl login --password-stdin 2> "$T/err" || fail "stdin otp: $(cat "$T/err")"
    ok "with --password-stdin the code is the second line; a wrong code is 'login refused'"
    ! grep -q 123456 "$T/log.iss" || fail "OTP in the issuer log"
    stop_issuerd
fi
finish
