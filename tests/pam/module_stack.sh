#!/bin/sh
# Stacking: token or password at one prompt, with pam_matrix (libpam-wrapper)
# standing in for the password module, and use_first_pass / try_first_pass
# chains.  The harness prints one "prompt=" line per question asked.
set -u
. "$(dirname "$0")/testlib"

[ -f "$MATRIX" ] || { echo "pam_matrix.so missing (libpam-wrapper)" >&2; exit 77; }
printf 'alice:s3cret-pw:t\nbob:bobs-pw:t\n' > "$T/passdb"
PDB="passdb=$T/passdb"

# expect NAME WANT-RC WANT-PROMPTS USER ANSWER...: against the current "t".
expect() {
    ename=$1 want=$2 nprompt=$3 user=$4; shift 4
    expect_batch "$ename" "$want" "$nprompt" t "$user" "$@"
}

# A) The recommended stack: pam_jwt first; a non-token falls through to the
#    password module.  (pam_matrix always asks again; pam_unix with
#    try_first_pass would not; the sshd e2e test covers that.)
service t "auth [success=done ignore=ignore default=die] $MOD $BASE" \
    "auth required $MATRIX $PDB"
expect A-token        PAM_SUCCESS  1 alice "@$TOK/good"
expect A-password     PAM_SUCCESS  2 alice s3cret-pw s3cret-pw
expect A-bad-password PAM_AUTH_ERR 2 alice wrong wrong
expect A-expired      PAM_AUTH_ERR 1 alice "@$TOK/expired"
expect A-other-user   PAM_AUTH_ERR 1 alice "@$TOK/bob"
expect A-tampered     PAM_AUTH_ERR 1 alice "@$TOK/tampered_sig"

# B) A module above already holds the answer (pam_wrapper's pam_set_items
#    sets PAM_AUTHTOK from the environment): use_first_pass / try_first_pass
#    take it without prompting.
SETI=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so
# above NAME WANT-RC TOKEN-CASE|TEXT
above() {
    aname=$1 want=$2 val=$3
    [ -f "$TOK/$val" ] && val=$(cat "$TOK/$val")
    out=$(PAM_AUTHTOK=$val ${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -l "$T/syslog")
    got=$(printf '%s\n' "$out" | sed -n 's/^authenticate=//p')
    n=$(printf '%s\n' "$out" | grep -c '^prompt=')
    if [ "$got" = "$want" ] && [ "$n" = 0 ]; then ok "$aname ($want, no prompt)"
    else bad "$aname: want $want without prompt, got: $out"; fi
}
for opt in use_first_pass try_first_pass; do
    service t "auth required $SETI" \
        "auth [success=done ignore=ignore default=die] $MOD $BASE $opt" \
        "auth requisite pam_deny.so"
    above "B-$opt-token"    PAM_SUCCESS  good
    above "B-$opt-expired"  PAM_AUTH_ERR expired
    above "B-$opt-bob"      PAM_AUTH_ERR bob
    above "B-$opt-password" PAM_AUTH_ERR "just a password"
done

# C) The real thing: pam_jwt, then pam_unix try_first_pass, at ONE prompt.
#    pam_unix (as root) reads /etc/shadow itself; each run gets a private
#    mount namespace where /etc/shadow is a bind mount of a one-line file, so
#    the machine's file is neither read nor changed.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    hash=$("$PY" -W ignore -c '
import crypt, ctypes
lc = ctypes.CDLL("libcrypt.so.1"); lc.crypt_gensalt.restype = ctypes.c_char_p
print(crypt.crypt("unix-pw-1", lc.crypt_gensalt(b"$y$", 0, None, 0).decode()))')
    case $hash in '$y$'*) ;; *) bad "no yescrypt hash: $hash" ;; esac
    printf 'alice:%s:19000:0:99999:7:::\n' "$hash" > "$T/shadow"
    chmod 600 "$T/shadow"
    printf '#!/bin/sh\nmount --bind "%s" /etc/shadow || exit 99\nexec "$@"\n' \
        "$T/shadow" > "$T/nswrap"
    chmod 755 "$T/nswrap"
    flush_checks
    WRAP="unshare -m $T/nswrap"
    sed -e "s|@MODULE@|$MOD|" -e "s|@ARGS@|$BASE|" \
        "$TOP/tests/data/pam.d/token_or_password" > "$CONF/t"
    expect C-unix-token     PAM_SUCCESS  1 alice "@$TOK/good"
    expect C-unix-password  PAM_SUCCESS  1 alice unix-pw-1
    expect C-unix-wrong     PAM_AUTH_ERR 1 alice unix-pw-2
    expect C-unix-expired   PAM_AUTH_ERR 1 alice "@$TOK/expired"
    expect C-unix-bob-token PAM_AUTH_ERR 1 alice "@$TOK/bob"
    flush_checks
    WRAP=
else
    echo "# pam_unix cases skipped: needs root and unshare -m"
fi

# D) use_first_pass with nothing above: no prompt, failure.
service t "auth required $MOD $BASE use_first_pass"
expect D-nothing      PAM_AUTH_ERR 0 alice "@$TOK/good"

# E) token_only in the first position: a password never reaches pam_matrix.
service t "auth [success=done ignore=ignore default=die] $MOD $BASE token_only" \
    "auth required $MATRIX $PDB"
expect E-password     PAM_AUTH_ERR 1 alice s3cret-pw s3cret-pw
expect E-token        PAM_SUCCESS  1 alice "@$TOK/good"

# F) sufficient/required combination used in common-auth style files.
service t "auth sufficient $MOD $BASE" "auth required $MATRIX $PDB"
expect F-token        PAM_SUCCESS  1 alice "@$TOK/good"
expect F-password     PAM_SUCCESS  2 alice s3cret-pw s3cret-pw

finish
