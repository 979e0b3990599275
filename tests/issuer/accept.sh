#!/bin/sh
# The seed flow end to end on one machine: a token from jwt-issuerd is
# accepted by pam_jwt.so (the module's own test harness drives it through a
# private PAM confdir) for its user only, with the JWKS the daemon serves.
. "$(dirname "$0")/helpers.inc"
HARNESS=${PAMJWT_B:-}/tests/pam/harness
[ -f "${PAMJWT_MODULE:-}" ] || { echo "pam_jwt.so not built" >&2; exit 77; }
[ -x "$HARNESS" ] || { echo "tests/pam/harness not built" >&2; exit 77; }

keygen ES256 "$T/sign.pem"
# pam_jwt.so wants the user to exist: two system accounts stand in for
# users here (pam_matrix knows their test passwords; nothing is changed).
printf 'daemon:pw-d:jwt-issuer\nbin:pw-b:jwt-issuer\n' > "$T/passdb"
pam_stack jwt-issuer "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
audience = ssh:host1
allowed_audiences = ssh:host2
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
EOC
start_issuerd "$T/iss.conf" "$T/log"
curl -sf "http://127.0.0.1:$ISS_PORT/.well-known/jwks.json" > "$T/jwks.json" || fail "jwks"
chmod 644 "$T/jwks.json"
[ "$(login daemon pw-d)" = 200 ] || fail "login"
TOK=$(json_get "$T/out" access_token)
[ "$(login daemon pw-d -d audience=ssh:host2)" = 200 ] || fail "login for host2"
TOK2=$(json_get "$T/out" access_token)
[ "$(login bin pw-b)" = 200 ] || fail "login bin"
TOKC=$(json_get "$T/out" access_token)

pam_stack sshd-test "auth required $PAMJWT_MODULE issuer=https://issuer.test audience=ssh:host1 key=$T/jwks.json max_lifetime=300"
module() {   # module USER TOKEN EXPECTED
    "$HARNESS" -d "$T/pam.d" -s sshd-test -u "$1" -p "$2" -x "$3" -l "$T/pam.log" > /dev/null
}
module daemon "$TOK" PAM_SUCCESS || fail "pam_jwt.so refused daemon's token: $(tail -n 3 "$T/pam.log")"
ok "pam_jwt.so accepts the issued token for its user"
module bin "$TOK" PAM_SUCCESS && fail "daemon's token accepted for bin"
module bin "$TOKC" PAM_SUCCESS || fail "bin's own token refused"
ok "the token is good for its user only"
module daemon "$TOK2" PAM_SUCCESS && fail "a token for ssh:host2 accepted on host1"
ok "a token for another audience is refused"
H=${TOK%%.*}; R=${TOK#*.}; P=${R%%.*}; S=${R#*.}
module daemon "$(tamper_sig "$H.$P.$S")" PAM_SUCCESS && fail "tampered token accepted"
ok "a tampered token is refused"
stop_issuerd
done_cases
