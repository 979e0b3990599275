#!/bin/sh
# Review finding 6: a scope is granted, not chosen.  Only allowed_scopes
# may be asked for (anything else is 400 invalid_scope, before PAM runs);
# scope_groups = admin:wheelx gives admin to members of wheelx only, as
# NSS reports them to the PAM helper (nss_wrapper here), and a host with
# require_claim=scope=admin (jwtctl verify: the module's own checks) admits
# a member and refuses everyone else.  Malformed scope lists and a policy
# that names an unlisted scope or an unmatchable group are refused.
. "$(dirname "$0")/helpers.inc"

NSSW=/usr/lib/x86_64-linux-gnu/libnss_wrapper.so
[ -f "$NSSW" ] || { echo "libnss_wrapper.so missing (libnss-wrapper)" >&2; exit 77; }
: "${PAMJWT_JWTCTL:?PAMJWT_JWTCTL not set}"

keygen ES256 "$T/sign.pem"
matrix_stack
# NSS as the PAM helper sees it: alice is in wheelx, carol is not.
cat > "$T/passwd" <<EOF
alice:x:4301:4301::/nonexistent:/bin/false
carol:x:4302:4302::/nonexistent:/bin/false
EOF
cat > "$T/group" <<EOF
alice:x:4301:
carol:x:4302:
wheelx:x:4400:alice
EOF
# The daemon (and the helpers it forks) with that NSS; exec keeps the PID.
REAL_ISSUERD=$PAMJWT_ISSUERD
cat > "$T/issuerd" <<EOF
#!/bin/sh
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
LD_PRELOAD=$NSSW\${LD_PRELOAD:+:\$LD_PRELOAD}
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP LD_PRELOAD
if [ -n "${PAMJWT_SAN:-}" ]; then
    ASAN_OPTIONS="verify_asan_link_order=0\${ASAN_OPTIONS:+:\$ASAN_OPTIONS}"
    NSS_WRAPPER_DISABLE_DEEPBIND=1
    export ASAN_OPTIONS NSS_WRAPPER_DISABLE_DEEPBIND
fi
exec "$REAL_ISSUERD" "\$@"
EOF
chmod 755 "$T/issuerd"
PAMJWT_ISSUERD=$T/issuerd

cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
rate_limit_per_ip = 0
rate_limit_per_user = 0
allowed_scopes = read write admin
scope_groups = admin:wheelx
EOC
claim() {   # claim TOKEN NAME: the claim's value (unverified decode)
    $PY -c 'import jwt,sys; v=jwt.decode(sys.argv[1], options={"verify_signature": False}).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
}
ask() {     # ask USER PASS SCOPE: POST /token with that scope; prints the code
    login "$1" "$2" --data-urlencode "scope=$3"
}
expect_scope_refused() {   # expect_scope_refused WHAT USER PASS SCOPE
    code=$(ask "$2" "$3" "$4")
    [ "$code" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_scope ] \
        || fail "$1: $code $(cat "$T/out")"
    ok "$1 -> 400 invalid_scope"
}

# No allowed_scopes at all (the default): no scope can be asked for, so a
# client cannot give itself scope=admin.
sed -e '/^allowed_scopes/d' -e '/^scope_groups/d' "$T/iss.conf" > "$T/none.conf"
start_issuerd "$T/none.conf" "$T/log0"
expect_scope_refused "admin asked for without allowed_scopes" carol pw3 admin
expect_scope_refused "read asked for without allowed_scopes" alice secret read
code=$(login alice secret)
[ "$code" = 200 ] && [ -z "$(json_get "$T/out" scope)" ] \
    && [ -z "$(claim "$(json_get "$T/out" access_token)" scope)" ] || fail "no-scope login: $code $(cat "$T/out")"
ok "without a scope parameter the token has no scope claim"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"

start_issuerd "$T/iss.conf" "$T/log"
U=http://127.0.0.1:$ISS_PORT

code=$(ask alice secret read)
[ "$code" = 200 ] || fail "alice scope=read: $code $(cat "$T/out")"
[ "$(json_get "$T/out" scope)" = read ] && [ "$(claim "$(json_get "$T/out" access_token)" scope)" = read ] \
    || fail "scope=read not granted as asked: $(cat "$T/out")"
ok "a listed scope is granted (response and claim)"

before=$(grep -c 'outcome=success' "$T/log")
expect_scope_refused "an unlisted scope" alice secret delete
expect_scope_refused "a listed and an unlisted scope" alice secret "read delete"
expect_scope_refused "a scope that differs in case" alice secret READ
expect_scope_refused "a doubled space" alice secret "read  write"
expect_scope_refused "a trailing space" alice secret "read "
expect_scope_refused "an empty scope" alice secret ""
[ "$(grep -c 'outcome=success' "$T/log")" = "$before" ] || fail "a refused scope still logged a success"
grep -q 'user=alice outcome=invalid reason="scope not allowed"' "$T/log" || fail "no log line for the refused scope"
ok "unlisted scopes are refused before PAM, and logged"

code=$(ask alice secret "read admin read")
[ "$code" = 200 ] || fail "alice read admin: $code $(cat "$T/out")"
[ "$(json_get "$T/out" scope)" = "read admin" ] || fail "granted scope: $(json_get "$T/out" scope)"
ok "a member of wheelx gets admin (each token once: \"read admin\")"

code=$(ask alice secret admin)
[ "$code" = 200 ] || fail "alice admin: $code"
TOK_ADMIN_ALICE=$(json_get "$T/out" access_token)
expect_scope_refused "admin for carol (not in wheelx)" carol pw3 admin
expect_scope_refused "read admin for carol" carol pw3 "read admin"
grep -q 'user=carol outcome=invalid reason="scope not permitted to this user"' "$T/log" \
    || fail "no log line for carol's refused admin scope"
code=$(ask carol pw3 "read write")
[ "$code" = 200 ] || fail "carol read write: $code"
TOK_CAROL=$(json_get "$T/out" access_token)
ok "carol still gets the scopes that need no group"
code=$(ask carol wrong admin)
[ "$code" = 400 ] && [ "$(json_get "$T/out" error)" = invalid_grant ] \
    || fail "carol wrong password with scope=admin: $code $(cat "$T/out")"
ok "a wrong password with a group scope is invalid_grant (the password is checked first)"

# A host that requires scope=admin: the module's checks via jwtctl verify.
curl -sf "$U/.well-known/jwks.json" > "$T/jwks.json" || fail "jwks"
host_admits() {   # host_admits USER TOKEN
    printf '%s\n' "$2" | "$PAMJWT_JWTCTL" verify issuer=https://issuer.test audience=https://issuer.test \
        key="$T/jwks.json" require_claim=scope=admin --user "$1" - > "$T/verify.out" 2>&1
}
host_admits alice "$TOK_ADMIN_ALICE" || fail "host refused alice's admin token: $(cat "$T/verify.out")"
if host_admits carol "$TOK_CAROL"; then fail "host admitted carol without scope admin"; fi
grep -q '^claim  *FAIL  *scope' "$T/verify.out" || fail "refused for another reason: $(cat "$T/verify.out")"
ok "a host with require_claim=scope=admin admits alice's token and refuses carol's"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"

# Policies that could not mean what they say are configuration errors.
bad_conf() {   # bad_conf WHAT PATTERN LINES...
    what=$1; pat=$2; shift 2
    grep -v -e '^allowed_scopes' -e '^scope_groups' "$T/iss.conf" > "$T/bad.conf"
    for l in "$@"; do echo "$l" >> "$T/bad.conf"; done
    if "$PAMJWT_ISSUERD" -t -c "$T/bad.conf" > /dev/null 2> "$T/err"; then fail "-t accepted $what"; fi
    grep -q "$pat" "$T/err" || fail "$what: $(cat "$T/err")"
    ok "-t refuses $what"
}
bad_conf "scope_groups for an unlisted scope" "admin is not in allowed_scopes" \
    "allowed_scopes = read" "scope_groups = admin:wheelx"
bad_conf "a group no helper could report" "cannot be matched" \
    "allowed_scopes = admin" "scope_groups = admin:bad\"group"
bad_conf "a scope_groups line without a group" "SCOPE:GROUP" \
    "allowed_scopes = admin" "scope_groups = admin:"
bad_conf "an allowed scope with a quote" "not a scope token" \
    "allowed_scopes = a\"b"
done_cases
