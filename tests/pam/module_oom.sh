#!/bin/sh
# Out of memory: make the 1st, 2nd, ... Nth allocation inside
# pam_authenticate fail (harness -F), one fresh process each, after one
# warm-up login in that process (OpenSSL's own first-use set-up is not
# allocation-failure safe; sshd has done it before PAM runs).  A bad token
# must never log in whatever fails; a good token gives PAM_SUCCESS or a
# failure code, never a crash; and PAM_BUF_ERR shows up.
set -u
. "$(dirname "$0")/testlib"
[ -z "${VALGRIND:-}" ] && [ -z "${PAMJWT_SAN:-}" ] ||
    { echo "valgrind/sanitizers bring their own malloc" >&2; exit 77; }

service t "auth required $MOD issuer=$ISS audience=host-a key=$K/jwks.json"
# sweep TOKEN: prints "N result injected" lines until no failure is injected:
# every allocation up to 200, then every 13th (the OpenSSL-heavy tail).
sweep() {
    n=1
    while [ $n -le 4000 ]; do
        "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/$1" -F $n -o "$T/oom.out" -l "$T/syslog"
        st=$?
        res=$(sed -n 's/^authenticate=//p' "$T/oom.out")
        inj=$(sed -n 's/^injected=//p' "$T/oom.out")
        echo "$n ${res:-CRASH:$st} ${inj:-?}"
        [ "$inj" = 0 ] && break
        if [ $n -lt 200 ]; then n=$((n + 1)); else n=$((n + 13)); fi
    done
}
sweep tampered_sig > "$T/bad.txt"
sweep good_kid > "$T/good.txt"

nbad=$(wc -l < "$T/bad.txt")
ngood=$(wc -l < "$T/good.txt")
[ "$nbad" -gt 10 ] && ok "bad token: $nbad allocation points tried" || bad "bad token sweep too short: $nbad"
[ "$ngood" -gt 10 ] && ok "good token: $ngood allocation points tried" || bad "good token sweep too short: $ngood"
grep -q ' PAM_SUCCESS ' "$T/bad.txt" && bad "bad token logged in under memory failure: $(grep ' PAM_SUCCESS ' "$T/bad.txt" | head -3)" ||
    ok "bad token never logs in under memory failure"
grep -q CRASH "$T/bad.txt" "$T/good.txt" && bad "crash: $(grep CRASH "$T/bad.txt" "$T/good.txt" | head -3)" ||
    ok "no crash at any allocation failure"
grep -q ' PAM_BUF_ERR ' "$T/good.txt" && ok "PAM_BUF_ERR reported" || bad "no PAM_BUF_ERR: $(cut -d' ' -f2 "$T/good.txt" | sort | uniq -c)"
tail -n 1 "$T/good.txt" | grep -q ' PAM_SUCCESS 0$' && ok "good token succeeds once memory suffices" || bad "last: $(tail -n 1 "$T/good.txt")"
others=$(cut -d' ' -f2 "$T/good.txt" "$T/bad.txt" | sort -u |
         grep -v -E '^(PAM_SUCCESS|PAM_AUTH_ERR|PAM_BUF_ERR|PAM_SERVICE_ERR|PAM_AUTHINFO_UNAVAIL|PAM_SYSTEM_ERR|PAM_ABORT|PAM_CONV_ERR|PAM_USER_UNKNOWN|PAM_PERM_DENIED)$' || true)
[ -z "$others" ] && ok "only failure codes under memory failure" || bad "unexpected codes: $others"
echo "# results (good token): $(cut -d' ' -f2 "$T/good.txt" | sort | uniq -c | tr '\n' ' ')"
finish
