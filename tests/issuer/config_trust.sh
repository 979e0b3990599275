#!/bin/sh
# Review item 25: jwt-issuerd's own configuration file is held to the file
# trust rule (as pam_jwt.so holds its own): writable by group or others,
# owned by anyone but root (or the user the daemon runs as), inside a
# directory others may write, or a symbolic link, it is refused at startup,
# by -t and at reload.  And -t fails when the PAM service file or confdir
# does not exist (libpam would silently fall back to the "other" stack).
. "$(dirname "$0")/helpers.inc"

[ "$(id -u)" = 0 ] || { echo "needs root (files owned by another user)" >&2; exit 77; }
getent passwd nobody >/dev/null || { echo "no user nobody" >&2; exit 77; }

keygen ES256 "$T/sign.pem"
matrix_stack
good_conf() {   # good_conf FILE [extra lines]
    f=$1; shift
    {
        echo "listen = 127.0.0.1:0"
        echo "issuer = https://issuer.test"
        echo "signing_key = $T/sign.pem"
        echo "session_lifetime = 0"
        echo "pam_confdir = $T/pam.d"
        for l in "$@"; do echo "$l"; done
    } > "$f"
    chmod 0644 "$f"
}

# t_ok NAME CONF / t_fail NAME CONF WANT: jwt-issuerd -t passes, or exits 1
# with WANT in its message.
t_ok() {
    "$PAMJWT_ISSUERD" -t -c "$2" > "$T/t.out" 2>&1 || { cat "$T/t.out" >&2; fail "$1: -t refused"; }
    grep -q 'configuration OK' "$T/t.out" || fail "$1: no OK line"
    ok "$1: -t passes"
}
t_fail() {
    rc=0; "$PAMJWT_ISSUERD" -t -c "$2" > "$T/t.out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || { cat "$T/t.out" >&2; fail "$1: -t exit $rc, want 1"; }
    grep -qF -- "$3" "$T/t.out" || { cat "$T/t.out" >&2; fail "$1: message lacks '$3'"; }
    ok "$1: -t refuses ($3)"
}

mkdir -m 0755 "$T/etc"
good_conf "$T/etc/iss.conf"
t_ok "a root-owned 0644 config in a safe directory" "$T/etc/iss.conf"

# ---- the file itself ------------------------------------------------------------
chmod 0664 "$T/etc/iss.conf"
t_fail "group-writable config" "$T/etc/iss.conf" "$T/etc/iss.conf: writable by group (mode 0664)"
chmod 0646 "$T/etc/iss.conf"
t_fail "other-writable config" "$T/etc/iss.conf" "$T/etc/iss.conf: writable by others (mode 0646)"
chmod 0644 "$T/etc/iss.conf"
chown nobody "$T/etc/iss.conf"
t_fail "config owned by another user" "$T/etc/iss.conf" "$T/etc/iss.conf: owned by uid $(id -u nobody), not root"
# Not even by the service user: the HTTP side runs as it, and a config it
# could rewrite would name the next PAM stack, keys and `user` for root.
good_conf "$T/etc/svc.conf" "user = nobody"
chown nobody "$T/etc/svc.conf"
t_fail "config owned by the service user (user = nobody)" "$T/etc/svc.conf" "owned by uid $(id -u nobody), not root"
chown root "$T/etc/iss.conf"
ln -s "$T/etc/iss.conf" "$T/etc/link.conf"
t_fail "config as a symbolic link" "$T/etc/link.conf" "$T/etc/link.conf: is a symbolic link"

# ---- the directories above it ------------------------------------------------------
mkdir -m 0775 "$T/gw"
good_conf "$T/gw/iss.conf"
t_fail "config in a group-writable directory" "$T/gw/iss.conf" "directory $T/gw writable by group (mode 0775)"
mkdir -m 0755 "$T/foreign"
chown nobody "$T/foreign"
good_conf "$T/foreign/iss.conf"
t_fail "config in a directory owned by another user" "$T/foreign/iss.conf" "directory $T/foreign owned by uid"
mkdir -m 1777 "$T/sticky"
mkdir -m 0755 "$T/sticky/sub"
good_conf "$T/sticky/sub/iss.conf"
t_fail "config below a sticky world-writable directory (like /tmp)" "$T/sticky/sub/iss.conf" \
    "directory $T/sticky writable by group and others (mode 1777)"

# ---- startup refuses what -t refuses ---------------------------------------------------
chmod 0664 "$T/etc/iss.conf"
# bounded: a daemon that starts anyway (the bug) is stopped after 10 s
rc=0; timeout 10 "$PAMJWT_ISSUERD" -c "$T/etc/iss.conf" > "$T/start.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "startup with a group-writable config: exit $rc"
grep -qF "writable by group (mode 0664)" "$T/start.log" || fail "startup message: $(cat "$T/start.log")"
ok "startup with a group-writable config: exit 1, the reason logged"
chmod 0644 "$T/etc/iss.conf"

# ---- a reload keeps the running config when the file became unsafe ---------------------
start_issuerd "$T/etc/iss.conf" "$T/log"
[ "$(login alice secret)" = 200 ] || fail "login before the reload"
chmod 0666 "$T/etc/iss.conf"
kill -HUP "$ISS_PID"
refused() { grep -q 'reload failed, keeping the running configuration: .*writable by group and others' "$T/log"; }
wait_for refused || fail "reload of an unsafe config not refused: $(tail -n 3 "$T/log")"
[ "$(login alice secret)" = 200 ] || fail "login after the refused reload"
ok "SIGHUP with a world-writable config: refused, the running config kept"
stop_issuerd
chmod 0644 "$T/etc/iss.conf"

# ---- -t fails when the PAM service file or confdir is missing ----------------------------
good_conf "$T/etc/nodir.conf"
sed -i "s|^pam_confdir = .*|pam_confdir = $T/no-such-dir|" "$T/etc/nodir.conf"
t_fail "missing pam_confdir" "$T/etc/nodir.conf" "pam_confdir $T/no-such-dir: No such file or directory"
good_conf "$T/etc/nosvc.conf" "pam_service = pamjwt-no-such-service"
t_fail "missing service file in pam_confdir" "$T/etc/nosvc.conf" \
    "pam_service $T/pam.d/pamjwt-no-such-service: No such file or directory (libpam would use \"other\")"
svc=pamjwt-absent-$$
[ ! -e "/etc/pam.d/$svc" ] && [ ! -e "/usr/lib/pam.d/$svc" ] || fail "/etc/pam.d/$svc exists"
good_conf "$T/etc/nosys.conf" "pam_service = $svc"
sed -i '/^pam_confdir/d' "$T/etc/nosys.conf"
t_fail "missing /etc/pam.d service file (no pam_confdir)" "$T/etc/nosys.conf" \
    "pam_service /etc/pam.d/$svc: No such file or directory"
good_conf "$T/etc/slash.conf" "pam_service = ../pam.d/jwt-issuer"
t_fail "a path as pam_service" "$T/etc/slash.conf" "pam_service: a service name, not a path"
# and at startup, not only under -t
rc=0; timeout 10 "$PAMJWT_ISSUERD" -c "$T/etc/nosvc.conf" > "$T/start2.log" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q 'libpam would use "other"' "$T/start2.log" ||
    fail "startup with a missing service file: exit $rc: $(cat "$T/start2.log")"
ok "startup with a missing service file: exit 1"
done_cases
