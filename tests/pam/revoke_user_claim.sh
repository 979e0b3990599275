#!/bin/sh
# Revocation by "sub" follows user_claim (review finding: with
# user_claim=preferred_username, "sub alice" did not stop alice).  A
# "sub NAME" line names a user: it stops every token that logs in as NAME
# whichever claim names the user, and still every token whose literal sub
# is NAME.  The token pref_user has sub "u-1234" and preferred_username
# "alice".
set -u
. "$(dirname "$0")/testlib"

U="$BASE user_claim=preferred_username"
rl() { f=$T/rev.$1; shift; printf '%s\n' "$@" > "$f"; chmod 644 "$f"; echo "$f"; }
now=$(date +%s)

check mapped-user-ok       PAM_SUCCESS  alice pref_user "$U"
check mapped-user-other    PAM_SUCCESS  alice pref_user "$U revoked=$(rl a 'sub bob' 'jti x')"
check mapped-user-revoked  PAM_AUTH_ERR alice pref_user "$U revoked=$(rl b 'sub alice')"
check mapped-user-before   PAM_AUTH_ERR alice pref_user "$U revoked=$(rl c "sub alice before $((now + 3600))")"
check mapped-user-after    PAM_SUCCESS  alice pref_user "$U revoked=$(rl d "sub alice before $((now - 3600))")"
check literal-sub-revoked  PAM_AUTH_ERR alice pref_user "$U revoked=$(rl e 'sub u-1234')"
check literal-sub-before   PAM_AUTH_ERR alice pref_user "$U revoked=$(rl f "sub u-1234 before $((now + 3600))")"
# The default user_claim (sub) keeps working as it did.
check default-sub-revoked  PAM_AUTH_ERR alice good      "$BASE revoked=$(rl g 'sub alice')"
check default-sub-other    PAM_SUCCESS  alice good      "$BASE revoked=$(rl h 'sub bob')"
flush_checks
grep -q 'reason="every token of this user revoked (preferred_username)"' "$T/syslog" &&
    ok "the log names the claim that matched" || bad "log: $(grep revoked "$T/syslog" | head -3)"
finish
