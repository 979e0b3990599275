#!/bin/sh
# Shaped like a JWS means a token (review finding: a padded signature, a
# fourth segment, non-canonical trailing bits or a duplicate header member
# made pam_jwt return PAM_IGNORE, so the password module next in the stack
# was handed the bad token as a password).  Whatever begins "eyJ" and has
# two dots is a token: if any check fails it is PAM_AUTH_ERR and the stack
# ends there.  Here the password module (pam_matrix) would accept each
# malformed token as alice's password, so a PAM_IGNORE shows as a login.
set -u
. "$(dirname "$0")/testlib"
[ -f "$MATRIX" ] || { echo "pam_matrix.so missing (libpam-wrapper)" >&2; exit 77; }

# case NAME WANT-RC WANT-PROMPTS TEXT-OR-TOKEN-CASE
case_() {
    cname=$1 want=$2 np=$3 val=$4
    if [ -f "$TOK/$val" ]; then pw=$(cat "$TOK/$val"); ans="@$TOK/$val"
    else pw=$val; ans=$val; fi
    printf 'alice:%s:s-%s\n' "$pw" "$cname" > "$T/passdb.$cname"
    service "s-$cname" "auth [success=done ignore=ignore default=die] $MOD $BASE" \
        "auth required $MATRIX passdb=$T/passdb.$cname"
    expect_batch "$cname" "$want" "$np" "s-$cname" alice "$ans" "$ans"
}

# Malformed JWS: refused by pam_jwt, never seen by the password module.
case_ padded-signature   PAM_AUTH_ERR 1 padded_sig
case_ fourth-segment     PAM_AUTH_ERR 1 fourth_segment
case_ trailing-bits      PAM_AUTH_ERR 1 trailing_bits
case_ duplicate-header   PAM_AUTH_ERR 1 dup_header
case_ padded-payload     PAM_AUTH_ERR 1 padded_payload
case_ header-without-alg PAM_AUTH_ERR 1 noalg
case_ payload-not-b64    PAM_AUTH_ERR 1 payload_not_b64
case_ expired            PAM_AUTH_ERR 1 expired
case_ eyJ-two-dots       PAM_AUTH_ERR 1 'eyJhbGciOi.x.y'
# Passwords go on to the password module (two prompts: pam_matrix asks
# again), including ones with dots or an "eyJ" start but not both.
case_ password           PAM_SUCCESS  2 'correct-horse.battery'
case_ dots               PAM_SUCCESS  2 'a.b.c'
case_ eyJ-one-dot        PAM_SUCCESS  2 'eyJhbGciOi.xyz'
case_ eyj-lower          PAM_SUCCESS  2 'eyjhb.x.y'
# The good token still logs in by itself.
case_ good               PAM_SUCCESS  1 good
flush_checks
finish
