#!/bin/sh
# size_guard: jwt-issuerd's startup proof that no token reaches 1,000 bytes
# (ssh cuts a password at 1,023) agrees with `jwtctl keygen` and with the
# numbers the README, jwt-issuerd(8) and keygen --help state: keygen's
# default (ES256) and EdDSA keys are accepted, RS256 keys (keygen's
# RSA-3072, RSA-2048) and P-521 are refused unless claims_groups = no makes
# them fit, keygen warns for RS256; real tokens have the stated sizes.
. "$(dirname "$0")/helpers.inc"

J=${PAMJWT_JWTCTL:-}
[ -n "$J" ] && [ -x "$J" ] || skip "jwtctl not built (PAMJWT_JWTCTL=$J)"
J="${VALGRIND:-} $J"
R=$TOP/README.md
matrix_stack

# conf KEY [extra line]: the README's issuer, everything else default.
conf() {
    printf 'listen = 127.0.0.1:0\nissuer = https://login.example.com\nsigning_key = %s\npam_confdir = %s\nsession_lifetime = 0\n%s\n' \
        "$1" "$T/pam.d" "${2:-}" > "$T/iss.conf"
}
# largest KEY [extra]: n = jwt-issuerd -t's "largest token N bytes", or the
# refusal's "could reach N bytes" (then refused = 1).
largest() {
    conf "$@"
    refused=0
    if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" > "$T/t.out" 2>&1; then
        n=$(sed -n 's/.*largest token \([0-9]*\) bytes.*/\1/p' "$T/t.out")
    else
        refused=1
        n=$(sed -n 's/.*tokens could reach \([0-9]*\) bytes (limit 999).*/\1/p' "$T/t.out")
    fi
    [ -n "$n" ] || { cat "$T/t.out"; fail "no size from jwt-issuerd -t ($1)"; }
}
# doc FILE TEXT: the documentation states TEXT (line breaks as spaces).
doc() { tr '\n' ' ' < "$1" | sed 's/\\-/-/g; s/  */ /g' | grep -qF -- "$2" || fail "$(basename "$1") does not say: $2"; }
# real KEY: a token with the issuer's claim set, 4 groups, a short user.
real() {
    now=$(date +%s)
    $J sign --key "$1" --lifetime 300 --claims "{\"iss\":\"https://login.example.com\",\"sub\":\"alice\",\"aud\":\"ssh:web1\",\"iat\":$now,\"nbf\":$now,\"exp\":$((now + 300)),\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"groups\":[\"alice\",\"sudo\",\"users\",\"developers\"]}" | tr -d '\n' | wc -c
}

# ---- what fits ---------------------------------------------------------------
$J keygen "$T/es.pem" 2> "$T/kg.err" || fail "keygen default"
! grep -q warning "$T/kg.err" || fail "keygen ES256 warned: $(cat "$T/kg.err")"
largest "$T/es.pem"; [ "$refused" = 0 ] || fail "ES256 refused"
[ "$n" = 950 ] || fail "ES256 largest $n, docs say 950"
[ "$(real "$T/es.pem")" = 454 ] || fail "ES256 real token $(real "$T/es.pem"), docs say 454"
$J keygen --alg eddsa "$T/ed.pem" 2>/dev/null || fail "keygen --alg eddsa (lower case)"
largest "$T/ed.pem"; [ "$refused" = 0 ] && [ "$n" = 950 ] || fail "EdDSA: $n refused=$refused"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/es384.pem" 2>/dev/null
chmod 600 "$T/es384.pem"
largest "$T/es384.pem"; [ "$refused" = 0 ] && [ "$n" = 992 ] || fail "ES384: $n refused=$refused"
ok "keygen's default ES256 (950, a real token 454), EdDSA (950), ES384 (992) pass the guard"

# ---- what does not ------------------------------------------------------------
$J keygen --alg Rs256 "$T/rs.pem" 2> "$T/kg.err" || fail "keygen --alg Rs256 (mixed case)"
grep -q "warning: RS256 tokens can exceed the 1,023 bytes ssh reads" "$T/kg.err" \
    || fail "keygen RS256 did not warn: $(cat "$T/kg.err")"
largest "$T/rs.pem"; [ "$refused" = 1 ] && [ "$n" = 1376 ] || fail "RSA-3072: $n refused=$refused"
[ "$(real "$T/rs.pem")" = 880 ] || fail "RSA-3072 real token $(real "$T/rs.pem"), docs say 880"
largest "$T/rs.pem" "claims_groups = no"; [ "$refused" = 0 ] && [ "$n" = 988 ] || fail "RSA-3072 without groups: $n refused=$refused"
keygen RS2048 "$T/rs2048.pem"
largest "$T/rs2048.pem"; [ "$refused" = 1 ] && [ "$n" = 1206 ] || fail "RSA-2048: $n refused=$refused"
[ "$(real "$T/rs2048.pem")" = 710 ] || fail "RSA-2048 real token $(real "$T/rs2048.pem"), docs say 710"
largest "$T/rs2048.pem" "claims_groups = no"; [ "$refused" = 0 ] && [ "$n" = 818 ] || fail "RSA-2048 without groups: $n"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$T/p521.pem" 2>/dev/null
chmod 600 "$T/p521.pem"
largest "$T/p521.pem"; [ "$refused" = 1 ] && [ "$n" = 1040 ] || fail "P-521: $n refused=$refused"
ok "RS256 (RSA-3072 1,376, RSA-2048 1,206) and P-521 (1,040) refused; claims_groups = no fits RSA (988, 818)"

# ---- the documents say these numbers -----------------------------------------
doc "$R" "ES256 and EdDSA 454 (950), ES384 496 (992), HS256 (907) fit"
doc "$R" "RS256 with RSA-2048 710 (1,206)"
doc "$R" "RSA-3072 880 (1,376)"
doc "$R" "ES512/P-521 544 (1,040)"
doc "$R" "RSA-2048 (818) and RSA-3072 (988) fit"
doc "$TOP/issuer/jwt-issuerd/jwt-issuerd.8" "950 bytes for ES256 and EdDSA, 992 for ES384, 907 for HS256"
doc "$TOP/issuer/jwt-issuerd/jwt-issuerd.8" "RS256 with RSA-2048 1,206, RSA-3072"
$J keygen --help > "$T/help"
grep -q "ES256, EdDSA  fit: largest 950 bytes (a token with 4 groups: 454)" "$T/help" || fail "keygen --help: ES256 line"
grep -q "RS256 (3072)  does NOT fit: largest 1,376 (4 groups: 880)" "$T/help" || fail "keygen --help: RS256 line"
ok "README, jwt-issuerd(8) and keygen --help state the measured numbers"

# ---- a token from the daemon is what -t promised -------------------------------
conf "$T/es.pem"
start_issuerd "$T/iss.conf" "$T/log"
code=$(login alice secret)
[ "$code" = 200 ] || fail "login: $code"
TOK=$(json_get "$T/out" access_token)
[ ${#TOK} -lt 950 ] || fail "issued token ${#TOK} bytes, over the proven 950"
ok "an issued ES256 token is ${#TOK} bytes, under the proven 950"
stop_issuerd
done_cases
