#!/bin/sh
# signing_key_public: a public key given as signing_key (keygen's OUT.pub
# instead of OUT) is named for what it is, "not a private key", before
# anything about its (for a public key, correct) mode 0644; a private key
# that others can read is still refused for its mode.
. "$(dirname "$0")/helpers.inc"

J=${PAMJWT_JWTCTL:-}
[ -n "$J" ] && [ -x "$J" ] || skip "jwtctl not built (PAMJWT_JWTCTL=$J)"
matrix_stack
$J keygen "$T/sign.pem" 2>/dev/null || fail "keygen"
conf() {
    printf 'listen = 127.0.0.1:0\nissuer = https://issuer.test\nsigning_key = %s\npam_confdir = %s\nsession_lifetime = 0\n' \
        "$1" "$T/pam.d" > "$T/iss.conf"
}
t_refused() {
    if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1; then
        cat "$T/t.out"; fail "$1: -t accepted"
    fi
    grep -q -- "$2" "$T/t.out" || { cat "$T/t.out"; fail "$1: no '$2'"; }
}

conf "$T/sign.pem.pub"
t_refused "public key, mode 0644" "sign.pem.pub: not a private key"
! grep -q "readable by group or others" "$T/t.out" || fail "mode named for a public key"
chmod 0600 "$T/sign.pem.pub"
t_refused "public key, mode 0600" "sign.pem.pub: not a private key"
ok "a public key as signing_key: 'not a private key', whatever its mode"

conf "$T/sign.pem"
chmod 0644 "$T/sign.pem"
t_refused "private key, mode 0644" "readable by group or others"
chmod 0600 "$T/sign.pem"
"$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1 || { cat "$T/t.out"; fail "good key refused"; }
ok "a private key: refused at mode 0644, accepted at 0600"
done_cases
