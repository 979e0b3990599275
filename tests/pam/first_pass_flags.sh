#!/bin/sh
# use_first_pass / try_first_pass (review finding: libpam's own
# pam_get_authtok finds "use_first_pass" among the module's arguments by
# name and ignores a value, so use_first_pass=no acted as yes).  Neither
# flag takes a value, in the arguments or in the file: a value is a
# configuration error.  use_first_pass never prompts; try_first_pass (like
# no flag at all, as pam_unix's try_first_pass does) uses a PAM_AUTHTOK
# set by a module above and prompts only when there is none.
set -u
. "$(dirname "$0")/testlib"
SETI=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so
[ -f "$SETI" ] || { echo "pam_set_items.so missing (libpam-wrapper)" >&2; exit 77; }

for v in no yes 0 1 false; do
    check "use_first_pass=$v" PAM_SERVICE_ERR alice good "$BASE use_first_pass=$v"
    check "try_first_pass=$v" PAM_SERVICE_ERR alice good "$BASE try_first_pass=$v"
done
check "use_first_pass=" PAM_SERVICE_ERR alice good "$BASE use_first_pass="
for line in 'use_first_pass = no' 'try_first_pass = yes' 'use_first_pass=no'; do
    f=$T/conf.$ncase
    printf 'issuer = %s\naudience = host-a\nkey = %s\n%s\n' "$ISS" "$K/ec.pub.pem" "$line" > "$f"
    chmod 644 "$f"
    check "file: $line" PAM_SERVICE_ERR alice good "config=$f"
done
flush_checks
grep -q 'use_first_pass takes no value' "$T/syslog" && ok "the log says why" ||
    bad "no reason logged: $(grep configuration "$T/syslog" | head -2)"

# run_item NAME WANT-RC WANT-PROMPTS AUTHTOK|- MODULE-ARGS: PAM_AUTHTOK from
# pam_set_items above (or none), the token at any prompt.
run_item() {
    iname=$1 want=$2 np=$3 item=$4; shift 4
    service t "auth required $SETI" "auth required $MOD $*"
    if [ "$item" = - ]; then
        out=$(env -u PAM_AUTHTOK ${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/good" -l "$T/syslog")
    else
        out=$(PAM_AUTHTOK=$(cat "$TOK/$item") ${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/good" -l "$T/syslog")
    fi
    got=$(printf '%s\n' "$out" | sed -n 's/^authenticate=//p')
    n=$(printf '%s\n' "$out" | grep -c '^prompt=')
    if [ "$got" = "$want" ] && [ "$n" = "$np" ]; then ok "$iname ($want, $np prompts)"
    else bad "$iname: want $want with $np prompts, got: $out"; fi
}
run_item use_first_pass-item     PAM_SUCCESS  0 good    "$BASE use_first_pass"
run_item use_first_pass-bad-item PAM_AUTH_ERR 0 expired "$BASE use_first_pass"
run_item use_first_pass-no-item  PAM_AUTH_ERR 0 -       "$BASE use_first_pass"
run_item try_first_pass-item     PAM_SUCCESS  0 good    "$BASE try_first_pass"
run_item try_first_pass-no-item  PAM_SUCCESS  1 -       "$BASE try_first_pass"
run_item no-flag-item            PAM_SUCCESS  0 good    "$BASE"
run_item no-flag-no-item         PAM_SUCCESS  1 -       "$BASE"
f=$T/conf.flag
printf 'issuer = %s\naudience = host-a\nkey = %s\nuse_first_pass\n' "$ISS" "$K/ec.pub.pem" > "$f"
chmod 644 "$f"
run_item file-use_first_pass     PAM_AUTH_ERR 0 -       "config=$f"
finish
