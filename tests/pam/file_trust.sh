#!/bin/sh
# Review item 11: the files pam_jwt.so trusts (config, keys, HMAC secret,
# revocation list, replay_dir) must pass the trust rule (OpenSSH's
# safe_path): owned by root or the euid, not writable by group or others,
# the same for every directory up to /, no symbolic link as the last
# component; and a PEM key file must be PEM and nothing else.
#
# The review's reproduction first: a member of a group that may write the
# key directory replaces the key with a symbolic link to a root-owned log
# file that holds one line of theirs, a PEM public key, and logs in as root
# with a token signed by their own private key.  Every variation must be
# refused, and refused for its own reason (the log says which).
set -u
. "$(dirname "$0")/testlib"

GOOD="issuer=$ISS audience=host-a"

# ---- the attacker's material: a key pair, a secret, tokens for root ------
PYTHONPATH="$TOP/tests/lib" "$PY" - "$T" <<'EOF'
import os, sys, time
import testkeys as tk
d = sys.argv[1]
os.makedirs(d + "/atk", exist_ok=True)
k = tk.gen_key("P-256")
pub = tk.pem_pub(k).decode()
now = int(time.time())
c = {"iss": "https://issuer.test", "aud": "host-a", "sub": "root", "iat": now,
     "exp": now + 3000}
open(d + "/atk/attacker.pub.pem", "w").write(pub)
open(d + "/tok/atk_root", "w").write(tk.sign(c, k, alg="ES256"))
secret = b"an HMAC secret the attacker wrote, 48 bytes long."[:48]
open(d + "/atk/hmac.secret", "wb").write(secret)
open(d + "/tok/atk_hs_root", "w").write(tk.sign(c, secret, alg="HS256"))
# A log line that quotes what a user sent: the whole key on one line.
with open(d + "/atk/app.log", "w") as f:
    f.write("Dec  4 10:00:00 web1 app[812]: started\n")
    f.write("Dec  4 10:00:07 web1 app[812]: feedback from mallory: %s\n"
            % pub.replace("\n", " "))
    f.write("Dec  4 10:00:09 web1 app[812]: stopped\n")
EOF
chmod 644 "$T/atk/attacker.pub.pem" "$T/atk/app.log"
chmod 600 "$T/atk/hmac.secret"
LOG=$T/atk/app.log                   # root-owned, 0644, in a safe directory

# mkd NAME MODE: a directory under $T
mkd() { mkdir -p "$T/$1" && chmod "$2" "$T/$1"; }

# ---- keys ------------------------------------------------------------------
# The reproduction: group-writable key directory, key -> log file.
mkd kgw 775
ln -s "$LOG" "$T/kgw/host.pub.pem"
check key-gw-dir-symlink-to-log  PAM_SERVICE_ERR root atk_root "$GOOD key=$T/kgw/host.pub.pem"
# Each layer alone: a symbolic link in a safe directory, even to the real key
mkd kln 755
ln -s "$LOG" "$T/kln/host.pub.pem"
check key-symlink-to-log         PAM_SERVICE_ERR root atk_root "$GOOD key=$T/kln/host.pub.pem"
ln -s "$K/rsa.pub.pem" "$T/kln/real.pub.pem"
check key-symlink-to-real-key    PAM_SERVICE_ERR root root_rsa "$GOOD key=$T/kln/real.pub.pem"
# a group-writable directory holding the real key as a regular file
mkd kgw2 775
cp "$K/rsa.pub.pem" "$T/kgw2/host.pub.pem"
check key-gw-dir                 PAM_SERVICE_ERR root root_rsa "$GOOD key=$T/kgw2/host.pub.pem"
# an other-writable directory further up
mkd kow 757
mkd kow/sub 755
cp "$K/rsa.pub.pem" "$T/kow/sub/host.pub.pem"
check key-ow-parent              PAM_SERVICE_ERR root root_rsa "$GOOD key=$T/kow/sub/host.pub.pem"
# the log file's bytes in a regular file of a safe directory: not PEM
mkd klog 755
cp "$LOG" "$T/klog/host.pub.pem"
check key-log-copy               PAM_SERVICE_ERR root atk_root "$GOOD key=$T/klog/host.pub.pem"
# the real key with trailing junk
{ cat "$K/rsa.pub.pem"; echo "junk after the key"; } > "$T/klog/junk.pub.pem"
check key-trailing-junk          PAM_SERVICE_ERR root root_rsa "$GOOD key=$T/klog/junk.pub.pem"
# a key owned by someone else (only root can give a file away)
ROOT=""; [ "$(id -u)" = 0 ] && ROOT=1
if [ -n "$ROOT" ]; then
    cp "$K/rsa.pub.pem" "$T/klog/nobody.pub.pem"
    chown 65534 "$T/klog/nobody.pub.pem"
    check key-other-owner        PAM_SERVICE_ERR root root_rsa "$GOOD key=$T/klog/nobody.pub.pem"
fi
# and what must keep working: the real key, in a safe place
cp "$K/rsa.pub.pem" "$T/klog/real.pub.pem"
check key-safe                   PAM_SUCCESS     root root_rsa "$GOOD key=$T/klog/real.pub.pem"
check key-safe-attacker          PAM_AUTH_ERR    root atk_root "$GOOD key=$T/klog/real.pub.pem"

# ---- config= ---------------------------------------------------------------
# What a writer of the config chooses: the attacker's key (a file that
# passes the rule by itself, so only the config's own check stands).
mkd akeys 755
cp "$T/atk/attacker.pub.pem" "$T/akeys/attacker.pub.pem"
printf 'issuer = %s\naudience = host-a\nkey = %s\n' "$ISS" "$T/akeys/attacker.pub.pem" > "$T/atk.conf"
mkd cgw 775
cp "$T/atk.conf" "$T/cgw/pam_jwt.conf"
check config-gw-dir              PAM_SERVICE_ERR root atk_root "config=$T/cgw/pam_jwt.conf"
mkd cln 755
mkd creal 755
cp "$T/atk.conf" "$T/creal/pam_jwt.conf"
ln -s "$T/creal/pam_jwt.conf" "$T/cln/pam_jwt.conf"
check config-symlink             PAM_SERVICE_ERR root atk_root "config=$T/cln/pam_jwt.conf"
if [ -n "$ROOT" ]; then
    cp "$T/atk.conf" "$T/creal/nobody.conf"
    chown 65534 "$T/creal/nobody.conf"
    check config-other-owner     PAM_SERVICE_ERR root atk_root "config=$T/creal/nobody.conf"
fi
printf 'issuer = %s\naudience = host-a\nkey = %s\n' "$ISS" "$T/klog/real.pub.pem" > "$T/creal/real.conf"
check config-safe                PAM_SUCCESS     root root_rsa "config=$T/creal/real.conf"

# ---- hmac_secret= ----------------------------------------------------------
mkd sgw 775
cp "$T/atk/hmac.secret" "$T/sgw/hmac.secret"
check secret-gw-dir              PAM_SERVICE_ERR root atk_hs_root "$GOOD hmac_secret=$T/sgw/hmac.secret"
mkd sln 700
mkd sreal 700
cp "$T/atk/hmac.secret" "$T/sreal/hmac.secret"
ln -s "$T/sreal/hmac.secret" "$T/sln/hmac.secret"
check secret-symlink             PAM_SERVICE_ERR root atk_hs_root "$GOOD hmac_secret=$T/sln/hmac.secret"
check secret-safe                PAM_SUCCESS     root atk_hs_root "$GOOD hmac_secret=$T/sreal/hmac.secret"

# ---- revoked= --------------------------------------------------------------
# The revocation list stops root; whoever can replace it un-revokes.
mkd rsafe 755
echo "sub root" > "$T/rsafe/revoked"
: > "$T/rsafe/empty"
check revoked-safe               PAM_AUTH_ERR    root root_rsa "$GOOD key=$T/klog/real.pub.pem revoked=$T/rsafe/revoked"
mkd rgw 775
: > "$T/rgw/revoked"
check revoked-gw-dir             PAM_SERVICE_ERR root root_rsa "$GOOD key=$T/klog/real.pub.pem revoked=$T/rgw/revoked"
mkd rln 755
ln -s "$T/rsafe/empty" "$T/rln/revoked"
check revoked-symlink            PAM_SERVICE_ERR root root_rsa "$GOOD key=$T/klog/real.pub.pem revoked=$T/rln/revoked"
if [ -n "$ROOT" ]; then
    : > "$T/rsafe/nobody"
    chown 65534 "$T/rsafe/nobody"
    check revoked-other-owner    PAM_SERVICE_ERR root root_rsa "$GOOD key=$T/klog/real.pub.pem revoked=$T/rsafe/nobody"
fi

# ---- replay_dir= -----------------------------------------------------------
# Whoever can swap the replay directory can replay any one_time token.
mkd pgw 775
check replay-gw-parent           PAM_SERVICE_ERR alice jti1 "$BASE one_time replay_dir=$T/pgw/replay"
mkd pln 755
mkd preal 700
ln -s "$T/preal" "$T/pln/replay"
check replay-symlink             PAM_SERVICE_ERR alice jti2 "$BASE one_time replay_dir=$T/pln/replay"
mkd psafe 755
check replay-safe                PAM_SUCCESS     alice jti3 "$BASE one_time replay_dir=$T/psafe/replay"
flush_checks

# ---- the reasons, in the log: the component and why, never the content ----
reason() {
    grep -qF -- "$2" "$T/syslog" && ok "log: $1" || bad "log lacks '$2' ($1)"
}
reason key-gw-dir   "$T/kgw2/host.pub.pem: directory $T/kgw2 writable by group (mode 0775)"
reason key-ow-dir   "directory $T/kow writable by others (mode 0757)"
reason key-symlink  "$T/kln/host.pub.pem: is a symbolic link"
reason key-log-copy "$T/klog/host.pub.pem: not a PEM file: text outside the BEGIN/END blocks at line 1"
reason key-junk     "$T/klog/junk.pub.pem: not a PEM file: text outside the BEGIN/END blocks at line"
[ -z "$ROOT" ] || reason key-owner "$T/klog/nobody.pub.pem: owned by uid 65534, not root"
reason config-dir   "$T/cgw/pam_jwt.conf: directory $T/cgw writable by group"
reason config-link  "$T/cln/pam_jwt.conf: is a symbolic link"
[ -z "$ROOT" ] || reason config-owner "$T/creal/nobody.conf: owned by uid 65534"
reason secret-dir   "$T/sgw/hmac.secret: directory $T/sgw writable by group"
reason secret-link  "$T/sln/hmac.secret: is a symbolic link"
reason revoked-dir  "$T/rgw/revoked: directory $T/rgw writable by group"
reason revoked-link "$T/rln/revoked: is a symbolic link"
reason replay-dir   "replay_dir $T/pgw/replay: directory $T/pgw writable by group"
reason replay-link  "replay_dir $T/pln/replay: is a symbolic link"
grep -q -e "feedback from mallory" -e "-----BEGIN" "$T/syslog" &&
    bad "file content in the log" || ok "no file content in the log"
[ -z "$(ls -A "$T/preal")" ] && ok "nothing recorded through the symlinked replay_dir" ||
    bad "records behind the symlink: $(ls -A "$T/preal")"

finish
