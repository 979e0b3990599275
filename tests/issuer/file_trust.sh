#!/bin/sh
# Review item 11 for the issuer, and item 1's second bullet: every file
# jwt-issuerd trusts passes the file trust rule (OpenSSH's safe_path: owned
# by root or the daemon's user, not writable by group or others, the same
# for every directory up to /, no symbolic link as the last component), PEM
# files are PEM and nothing else, and the PAM stack's pam_confdir and
# service file are owned by root (or the daemon's own user when it runs
# without `user =`), not writable by group/others, and not inside a
# directory the HTTP user (`user =`) can write.  Each is refused by -t and
# at startup, with the component and the reason in the message.
. "$(dirname "$0")/helpers.inc"

[ "$(id -u)" = 0 ] || { echo "needs root (files owned by another user)" >&2; exit 77; }
getent passwd nobody >/dev/null || { echo "no user nobody" >&2; exit 77; }
NOBODY=$(id -u nobody)

mkdir -m 0755 "$T/k"
keygen ES256 "$T/k/sign.pem"
keygen ES256 "$T/k/next.pem"
openssl pkey -in "$T/k/next.pem" -pubout -out "$T/k/next.pub" 2>/dev/null
chmod 0644 "$T/k/next.pub"
tls_cert "$T/k/tls"
chmod 0644 "$T/k/tls.crt"
matrix_stack                                  # $T/pam.d/jwt-issuer

# conf FILE [key = value overrides...]: a config, later lines win and
# "key =" drops the key
conf() {
    f=$1; shift
    {
        echo "listen = 127.0.0.1:0"
        echo "issuer = https://issuer.test"
        echo "signing_key = $T/k/sign.pem"
        echo "session_lifetime = 0"
        echo "publish_key = $T/k/next.pub"
        echo "pam_confdir = $T/pam.d"
        echo "tls_cert = $T/k/tls.crt"
        echo "tls_key = $T/k/tls.key"
        for l in "$@"; do echo "$l"; done
    } | awk '{ k = $0; sub(/ =.*/, "", k) }
             / =$/ { del[k] = 1; next }
             { v[k] = $0; if (!(k in seen)) { seen[k] = 1; o[++n] = k } }
             END { for (i = 1; i <= n; i++) if (!(o[i] in del)) print v[o[i]] }' > "$f"
    chmod 0644 "$f"
}
t_ok() {
    "$PAMJWT_ISSUERD" -t -c "$2" > "$T/t.out" 2>&1 || { cat "$T/t.out" >&2; fail "$1: -t refused"; }
    ok "$1: -t passes"
}
t_fail() {
    rc=0; "$PAMJWT_ISSUERD" -t -c "$2" > "$T/t.out" 2>&1 || rc=$?
    cat "$T/t.out" >> "$T/all.out"
    [ "$rc" = 1 ] || { cat "$T/t.out" >&2; fail "$1: -t exit $rc, want 1"; }
    grep -qF -- "$3" "$T/t.out" || { cat "$T/t.out" >&2; fail "$1: message lacks '$3'"; }
    ok "$1: -t refuses"
}

conf "$T/good.conf"
t_ok "keys, TLS files and PAM files in safe places" "$T/good.conf"

# ---- the signing key ---------------------------------------------------------------
# The review's reproduction, issuer side: a group-writable key directory,
# the key swapped for a link to a root-owned log that quotes an attacker's
# private key on one line.
mkdir -m 0755 "$T/log"
keygen ES256 "$T/atk.pem"
{ echo "Dec  4 10:00:00 web1 app[9]: started"
  printf 'Dec  4 10:00:07 web1 app[9]: feedback: %s\n' "$(tr '\n' ' ' < "$T/atk.pem")"; } > "$T/log/app.log"
chmod 0644 "$T/log/app.log"
mkdir -m 0775 "$T/kgw"
ln -s "$T/log/app.log" "$T/kgw/sign.pem"
conf "$T/c1" "signing_key = $T/kgw/sign.pem"
t_fail "signing key: group-writable directory, key -> log file" "$T/c1" "directory $T/kgw writable by group"
mkdir -m 0700 "$T/kln"
ln -s "$T/k/sign.pem" "$T/kln/sign.pem"
conf "$T/c2" "signing_key = $T/kln/sign.pem"
t_fail "signing key: a symbolic link (even to the real key)" "$T/c2" "$T/kln/sign.pem: is a symbolic link"
mkdir -m 0700 "$T/klog"
cp "$T/log/app.log" "$T/klog/sign.pem"
chmod 0600 "$T/klog/sign.pem"
conf "$T/c3" "signing_key = $T/klog/sign.pem"
t_fail "signing key: the log file's bytes" "$T/c3" "not a PEM file: text outside the BEGIN/END blocks at line 1"
{ cat "$T/k/sign.pem"; echo "trailing junk"; } > "$T/klog/junk.pem"
chmod 0600 "$T/klog/junk.pem"
conf "$T/c4" "signing_key = $T/klog/junk.pem"
t_fail "signing key with trailing junk" "$T/c4" "$T/klog/junk.pem: not a PEM file"
mkdir -m 0755 "$T/kow"
mkdir -m 0700 "$T/kow/sub"
cp -p "$T/k/sign.pem" "$T/kow/sub/sign.pem"
chmod 0757 "$T/kow"
conf "$T/c5" "signing_key = $T/kow/sub/sign.pem"
t_fail "signing key: an other-writable directory above" "$T/c5" "directory $T/kow writable by others (mode 0757)"
cp -p "$T/k/sign.pem" "$T/klog/nobody.pem"
chown nobody "$T/klog/nobody.pem"
conf "$T/c6" "signing_key = $T/klog/nobody.pem"
t_fail "signing key owned by another user" "$T/c6" "$T/klog/nobody.pem: owned by uid $NOBODY, not root"

# ---- published keys and the HMAC secret --------------------------------------------------
mkdir -m 0775 "$T/pgw"
cp -p "$T/k/next.pub" "$T/pgw/next.pub"
conf "$T/c7" "publish_key = $T/pgw/next.pub"
t_fail "publish_key in a group-writable directory" "$T/c7" "directory $T/pgw writable by group"
head -c 48 /dev/urandom > "$T/k/hmac.secret"
chmod 0600 "$T/k/hmac.secret"
ln -s "$T/k/hmac.secret" "$T/kln/hmac.secret"
conf "$T/c8" "signing_key =" "publish_key =" "hmac_secret = $T/kln/hmac.secret"
t_fail "hmac_secret as a symbolic link" "$T/c8" "$T/kln/hmac.secret: is a symbolic link"

# ---- TLS ---------------------------------------------------------------------------------
mkdir -m 0770 "$T/tgw"
cp -p "$T/k/tls.key" "$T/tgw/tls.key"
conf "$T/c9" "tls_key = $T/tgw/tls.key"
t_fail "TLS key in a group-writable directory" "$T/c9" "directory $T/tgw writable by group"
ln -s "$T/k/tls.key" "$T/kln/tls.key"
conf "$T/c10" "tls_key = $T/kln/tls.key"
t_fail "TLS key as a symbolic link" "$T/c10" "$T/kln/tls.key: is a symbolic link"
{ echo "# my key"; cat "$T/k/tls.key"; } > "$T/klog/tls.key"
chmod 0600 "$T/klog/tls.key"
conf "$T/c11" "tls_key = $T/klog/tls.key"
t_fail "TLS key with text around it" "$T/c11" "$T/klog/tls.key: not a PEM file"
{ cat "$T/k/tls.key" "$T/k/tls.key"; } > "$T/klog/two.key"
chmod 0600 "$T/klog/two.key"
conf "$T/c12" "tls_key = $T/klog/two.key"
t_fail "TLS key file with two blocks" "$T/c12" "$T/klog/two.key: more than 1 PEM block"
cp -p "$T/k/tls.crt" "$T/klog/tls.crt"
chmod 0666 "$T/klog/tls.crt"
conf "$T/c13" "tls_cert = $T/klog/tls.crt"
t_fail "TLS certificate writable by others" "$T/c13" "$T/klog/tls.crt: writable by group and others"
cat "$T/k/tls.crt" "$T/k/tls.crt" > "$T/klog/chain.crt"
chmod 0644 "$T/klog/chain.crt"
conf "$T/c14" "tls_cert = $T/klog/chain.crt"
t_ok "a certificate chain of several blocks" "$T/c14"

# ---- pam_confdir and the service file (item 1) ----------------------------------------------
mkpam() {   # mkpam DIR MODE: a confdir holding jwt-issuer
    mkdir -p "$1" && cp "$T/pam.d/jwt-issuer" "$1/" && chmod 0644 "$1/jwt-issuer" && chmod "$2" "$1"
}
mkpam "$T/pam-gw" 0775
conf "$T/p1" "pam_confdir = $T/pam-gw"
t_fail "group-writable pam_confdir" "$T/p1" "pam_confdir $T/pam-gw: writable by group (mode 0775)"
mkpam "$T/pam-nobody" 0755
chown nobody "$T/pam-nobody"
conf "$T/p2" "pam_confdir = $T/pam-nobody"
t_fail "pam_confdir owned by another user" "$T/p2" "pam_confdir $T/pam-nobody: owned by uid $NOBODY, not root"
mkpam "$T/pam-svc" 0755
chmod 0664 "$T/pam-svc/jwt-issuer"
conf "$T/p3" "pam_confdir = $T/pam-svc"
t_fail "group-writable service file" "$T/p3" "pam_service $T/pam-svc/jwt-issuer: writable by group (mode 0664)"
chmod 0644 "$T/pam-svc/jwt-issuer"
chown nobody "$T/pam-svc/jwt-issuer"
t_fail "service file owned by another user" "$T/p3" "pam_service $T/pam-svc/jwt-issuer: owned by uid $NOBODY"
mkpam "$T/pam-ln" 0755
rm "$T/pam-ln/jwt-issuer"
ln -s "$T/pam.d/jwt-issuer" "$T/pam-ln/jwt-issuer"
conf "$T/p4" "pam_confdir = $T/pam-ln"
t_fail "service file as a symbolic link" "$T/p4" "pam_service $T/pam-ln/jwt-issuer: is a symbolic link"
# The review's attack: a confdir the HTTP user can write, or inside one.
mkdir -m 0755 "$T/http"
chown nobody "$T/http"
mkpam "$T/http/pam.d" 0755
conf "$T/p5" "pam_confdir = $T/http/pam.d" "user = nobody"
t_fail "pam_confdir inside a directory the HTTP user (user = nobody) owns" "$T/p5" \
    "pam_confdir $T/http/pam.d: directory $T/http owned by uid $NOBODY, not root"
mkdir -m 0755 "$T/grp"
mkpam "$T/grp/pam.d" 0755
chgrp "$(id -gn nobody)" "$T/grp"
chmod 0775 "$T/grp"
conf "$T/p6" "pam_confdir = $T/grp/pam.d" "user = nobody"
t_fail "pam_confdir inside a directory the HTTP user's group may write" "$T/p6" \
    "directory $T/grp writable by group (mode 0775)"
# With `user =` the daemon starts as root: root alone may own the stack.
# (-t then reads the configuration and keys as nobody, as the daemon
# does after its drop: the keys that sign are nobody's own.)
mkdir -m 0755 "$T/nk"
cp "$T/k/sign.pem" "$T/k/tls.key" "$T/nk/"
for_user nobody "$T/nk/sign.pem" "$T/nk/tls.key"
conf "$T/p7" "user = nobody" "signing_key = $T/nk/sign.pem" "tls_key = $T/nk/tls.key"
t_ok "user = nobody with a root-owned confdir" "$T/p7"
# and at startup too (bounded: a daemon that starts anyway is stopped)
rc=0; timeout 10 "$PAMJWT_ISSUERD" -c "$T/p1" > "$T/start.log" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -qF "pam_confdir $T/pam-gw: writable by group" "$T/start.log" ||
    fail "startup with a group-writable pam_confdir: exit $rc: $(cat "$T/start.log")"
ok "startup with a group-writable pam_confdir: exit 1"

# What is safe still serves: a real start with every file above.
conf "$T/run.conf" "tls_cert =" "tls_key ="
start_issuerd "$T/run.conf" "$T/log1"
[ "$(login alice secret)" = 200 ] || fail "login with safe files: $(cat "$T/out")"
ok "with safe files the daemon serves logins"
stop_issuerd
! grep -q -e "feedback:" -e "-----BEGIN" "$T/all.out" "$T/log1" "$T/start.log" ||
    fail "file content in a message: $(grep -e "feedback:" -e "-----BEGIN" "$T/all.out")"
ok "no file content in any message"
done_cases
