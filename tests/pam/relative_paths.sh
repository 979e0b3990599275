#!/bin/sh
# Relative paths (review finding: sudo and su keep the user's working
# directory, so a relative key=, config=... is resolved where that user
# chooses).  Every trusted path option, as an argument and in the config
# file, must be absolute: a relative one is PAM_SERVICE_ERR even when the
# working directory holds a perfectly good file of that name.  And a
# config file that fails to parse is never quoted into the log.
set -u
. "$(dirname "$0")/testlib"

W=$T/cwd                         # the "user's" working directory
mkdir -p "$W"
cp "$K/ec.pub.pem" "$W/ec.pub.pem"
cp "$K/hmac.secret" "$W/hmac.secret"; chmod 600 "$W/hmac.secret"
: > "$W/revoked"
printf 'issuer = %s\naudience = host-a\nkey = %s\n' "$ISS" "$K/ec.pub.pem" > "$W/pam_jwt.conf"
chmod 644 "$W/pam_jwt.conf" "$W/revoked"
A="issuer=$ISS audience=host-a"

# conf NAME LINE...: a config file (absolute path) holding LINEs.
conf() {
    f=$T/$1.conf; shift
    printf 'issuer = %s\naudience = host-a\n' "$ISS" > "$f"
    for l in "$@"; do printf '%s\n' "$l" >> "$f"; done
    chmod 644 "$f"
    echo "$f"
}

# absolute paths work (the files are fine) ...
check abs-key            PAM_SUCCESS     alice good "$A key=$W/ec.pub.pem"
check abs-hmac           PAM_SUCCESS     alice hs   "$A hmac_secret=$W/hmac.secret"
check abs-revoked        PAM_SUCCESS     alice good "$BASE revoked=$W/revoked"
check abs-config         PAM_SUCCESS     alice good "config=$W/pam_jwt.conf"
check abs-replay_dir     PAM_SUCCESS     alice jti1 "$BASE one_time replay_dir=$W/replay"
# ... and the same files named relative to the working directory do not.
check rel-key            PAM_SERVICE_ERR alice good "$A key=ec.pub.pem"
check rel-key-dot        PAM_SERVICE_ERR alice good "$A key=./ec.pub.pem"
check rel-key-second     PAM_SERVICE_ERR alice good "$BASE key=ec.pub.pem"
check rel-hmac           PAM_SERVICE_ERR alice hs   "$A hmac_secret=hmac.secret"
check rel-revoked        PAM_SERVICE_ERR alice good "$BASE revoked=revoked"
check rel-config         PAM_SERVICE_ERR alice good "config=pam_jwt.conf"
check rel-replay_dir     PAM_SERVICE_ERR alice jti2 "$BASE one_time replay_dir=replay"
# In the config file.
check file-rel-key       PAM_SERVICE_ERR alice good "config=$(conf k 'key = ec.pub.pem')"
check file-rel-hmac      PAM_SERVICE_ERR alice hs   "config=$(conf h 'hmac_secret = hmac.secret')"
check file-rel-revoked   PAM_SERVICE_ERR alice good "config=$(conf r "key = $K/ec.pub.pem" 'revoked = revoked')"
check file-rel-replay    PAM_SERVICE_ERR alice jti2 "config=$(conf p "key = $K/ec.pub.pem" 'one_time' 'replay_dir = replay')"
check file-abs           PAM_SUCCESS     alice good "config=$(conf a "key = $W/ec.pub.pem" "revoked = $W/revoked")"
# A relative path is refused even for a password (fail closed, loudly).
check rel-key-password   PAM_SERVICE_ERR alice password "$A key=ec.pub.pem"
cd "$W"; flush_checks; cd "$TOP"
grep -q 'key must be an absolute path' "$T/syslog" && ok "the log says why" ||
    bad "no reason logged: $(grep configuration "$T/syslog" | head -3)"

# Parse errors name the place, never the content: a file that is not a
# config file at all (here shaped like /etc/shadow), an unknown option.
: > "$T/syslog"
printf 'root:$y$j9T$SeCrEtHaSh:19000:0:99999:7:::\n' > "$T/shadowlike"
chmod 644 "$T/shadowlike"
check shadow-as-config   PAM_SERVICE_ERR alice good "config=$T/shadowlike $BASE"
check unknown-in-file    PAM_SERVICE_ERR alice good "config=$(conf u 'SeCrEt_value = 1') key=$K/ec.pub.pem"
check unknown-in-file2   PAM_SERVICE_ERR alice good "config=$(conf v 'secret_value = 1') key=$K/ec.pub.pem"
flush_checks
grep -q "shadowlike:1: " "$T/syslog" && ok "file:line reported" || bad "no file:line: $(cat "$T/syslog")"
grep -q "v.conf:3: unknown option" "$T/syslog" && ok "unknown option reported" || bad "no unknown option: $(cat "$T/syslog")"
if grep -qi 'secret\|root:' "$T/syslog"; then
    bad "file content in the log: $(grep -i 'secret\|root:' "$T/syslog")"
else
    ok "no file content in the log"
fi
finish
