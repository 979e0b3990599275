#!/bin/sh
# A second prompt in the PAM conversation (an OTP module after the password
# module) is answered from the optional `otp` form field; without it the
# login fails.  The OTP module is a few lines of C compiled here.
. "$(dirname "$0")/helpers.inc"
command -v cc >/dev/null || { echo "no C compiler" >&2; exit 77; }

cat > "$T/otp.c" <<'EOC'
#include <stdlib.h>
#include <string.h>
#include <security/pam_modules.h>
#include <security/pam_ext.h>

int
pam_sm_authenticate(pam_handle_t *ph, int flags, int argc, const char **argv)
{
    char *resp = NULL;
    int rc;

    (void)flags; (void)argc; (void)argv;
    if (pam_prompt(ph, PAM_PROMPT_ECHO_ON, &resp, "Verification code: ") != PAM_SUCCESS
        || resp == NULL)
        return PAM_AUTH_ERR;
    rc = strcmp(resp, "123456") == 0 ? PAM_SUCCESS : PAM_AUTH_ERR;
    free(resp);
    return rc;
}

int
pam_sm_setcred(pam_handle_t *ph, int flags, int argc, const char **argv)
{
    (void)ph; (void)flags; (void)argc; (void)argv;
    return PAM_SUCCESS;
}
EOC
cc -shared -fPIC -o "$T/pam_testotp.so" "$T/otp.c" -lpam || { echo "cannot build the OTP module" >&2; exit 77; }

keygen ES256 "$T/sign.pem"
passdb
pam_stack jwt-issuer "auth required $PAM_MATRIX passdb=$T/passdb" \
    "auth required $T/pam_testotp.so" \
    "account required $PAM_MATRIX passdb=$T/passdb"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
rate_limit_per_user = 0
rate_limit_per_ip = 0
EOC
start_issuerd "$T/iss.conf" "$T/log"

[ "$(login alice secret -d otp=123456)" = 200 ] || fail "password + right OTP: $(cat "$T/out")"
ok "password and the right otp field -> 200"
[ "$(login alice secret -d otp=000000)" = 400 ] || fail "wrong OTP accepted"
[ "$(json_get "$T/out" error)" = invalid_grant ] || fail "wrong OTP: $(cat "$T/out")"
ok "wrong otp -> 400 invalid_grant"
[ "$(login alice secret)" = 400 ] || fail "login without OTP accepted"
[ "$(json_get "$T/out" pamjwt_prompt)" = "Verification code: " ] || fail "no pamjwt_prompt: $(cat "$T/out")"
ok "no otp field: the second prompt fails the login, and the answer names it (pamjwt_prompt)"
[ "$(login alice wrong)" = 400 ] || fail "wrong password without OTP accepted"
[ "$(json_get "$T/out" pamjwt_prompt)" = "Verification code: " ] || fail "wrong password: no pamjwt_prompt: $(cat "$T/out")"
ok "a wrong password gets the same pamjwt_prompt: the second prompt tells nothing about the password"
[ "$(login alice wrong -d otp=123456)" = 400 ] || fail "wrong password with right OTP accepted"
ok "right otp with a wrong password -> 400"
! grep -q '123456' "$T/log" || fail "OTP in the log"
ok "OTP never logged"
stop_issuerd
done_cases
