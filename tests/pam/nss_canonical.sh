#!/bin/sh
# The PAM user is the name NSS returns for it (review finding: with an NSS
# backend that folds case, "Alice" resolved to the account alice, so a
# token for "Alice" logged in as alice and dodged "sub alice").  A small
# case-folding NSS backend (tests/pam/nss/pjwtfold.c), loaded through
# nss_wrapper, answers getpwnam("Alice") with pw_name "alice".  The module
# accepts a token only when the PAM user is exactly the account's own
# name; any other spelling is PAM_AUTH_ERR, whatever the token says.
set -u
. "$(dirname "$0")/testlib"

${CC:-cc} -std=c11 -D_GNU_SOURCE -shared -fPIC -o "$T/libnss_pjwtfold.so.2" \
    "$TOP/tests/pam/nss/pjwtfold.c" 2>"$T/cc.err" ||
    { cat "$T/cc.err" >&2; echo "cannot build the test NSS module" >&2; exit 77; }
export NSS_WRAPPER_MODULE_SO_PATH=$T/libnss_pjwtfold.so.2 NSS_WRAPPER_MODULE_FN_PREFIX=pjwtfold

got=$(getent passwd Alice | cut -d: -f1)
[ "$got" = alice ] && ok "the folding backend answers Alice with alice" ||
    { bad "NSS set-up: getent passwd Alice gave '$got'"; finish; }

printf 'sub alice\n' > "$T/revoked"; chmod 644 "$T/revoked"
check canonical-user          PAM_SUCCESS  alice good      "$BASE"
check canonical-revoked       PAM_AUTH_ERR alice good      "$BASE revoked=$T/revoked"
check folded-user-alice-token PAM_AUTH_ERR Alice good      "$BASE"
check folded-user-Alice-token PAM_AUTH_ERR Alice sub_Alice "$BASE"
check folded-dodges-revoked   PAM_AUTH_ERR Alice sub_Alice "$BASE revoked=$T/revoked"
check folded-user-ALICE       PAM_AUTH_ERR ALICE sub_Alice "$BASE"
# A password is not the module's to judge, whatever the spelling.
check folded-user-password    PAM_IGNORE   Alice password  "$BASE"
flush_checks
grep -q 'user="Alice" reason="user is not the account'"'"'s own name' "$T/syslog" &&
    ok "the log says why" || bad "log: $(grep 'user="Alice"' "$T/syslog" | head -3)"
finish
