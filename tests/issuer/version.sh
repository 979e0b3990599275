#!/bin/sh
# --help and --version (review finding: jwt-issuerd knew only -h, neither
# program could say its version, and nothing in a log named the build):
# usage on stdout with exit 0, the version from common/version.h in
# jwt-issuerd --version, jwtctl --version and the daemon's ready line; a
# bad option still exits 2 with the usage on stderr.
. "$(dirname "$0")/helpers.inc"
: "${PAMJWT_JWTCTL:?}"

ver=$(sed -n 's/^#define PJWT_VERSION "\(.*\)"$/\1/p' "$TOP/common/version.h")
[ -n "$ver" ] || fail "no PJWT_VERSION in common/version.h"

for o in --help -h; do
    rc=0; "$PAMJWT_ISSUERD" $o > "$T/o" 2> "$T/e" || rc=$?
    [ "$rc" = 0 ] || fail "jwt-issuerd $o: exit $rc"
    grep -q '^usage: jwt-issuerd' "$T/o" || fail "jwt-issuerd $o: no usage on stdout: $(cat "$T/o")"
    grep -q -- '--version' "$T/o" || fail "jwt-issuerd $o: usage does not list --version"
    [ ! -s "$T/e" ] || fail "jwt-issuerd $o wrote to stderr: $(cat "$T/e")"
done
ok "jwt-issuerd --help and -h: usage on stdout, exit 0"

rc=0; "$PAMJWT_ISSUERD" --version > "$T/o" 2> "$T/e" || rc=$?
[ "$rc" = 0 ] || fail "jwt-issuerd --version: exit $rc"
[ "$(cat "$T/o")" = "jwt-issuerd (pamjwt) $ver" ] || fail "jwt-issuerd --version: $(cat "$T/o")"
ok "jwt-issuerd --version: jwt-issuerd (pamjwt) $ver, exit 0"

rc=0; "$PAMJWT_ISSUERD" --no-such-option > "$T/o" 2> "$T/e" || rc=$?
[ "$rc" = 2 ] || fail "jwt-issuerd --no-such-option: exit $rc"
grep -q '^usage: jwt-issuerd' "$T/e" || fail "bad option: no usage on stderr"
[ ! -s "$T/o" ] || fail "bad option wrote to stdout"
ok "an unknown option: usage on stderr, exit 2"

rc=0; "$PAMJWT_JWTCTL" --version > "$T/o" 2> "$T/e" || rc=$?
[ "$rc" = 0 ] || fail "jwtctl --version: exit $rc"
[ "$(cat "$T/o")" = "jwtctl (pamjwt) $ver" ] || fail "jwtctl --version: $(cat "$T/o")"
"$PAMJWT_JWTCTL" --help | grep -q -- '--version' || fail "jwtctl --help does not mention --version"
ok "jwtctl --version: jwtctl (pamjwt) $ver, exit 0"

keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
pam_workers = 1
EOC
start_issuerd "$T/iss.conf" "$T/log"
grep -q "info: ready: jwt-issuerd $ver, issuer https://issuer.test" "$T/log" ||
    fail "ready line without the version: $(grep ready "$T/log")"
ok "the ready line names the version"
stop_issuerd
done_cases
