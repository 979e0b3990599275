#!/bin/sh
# make run: the pamjwt demo.  Starts jwt-issuerd in the foreground on
# 127.0.0.1:$PORT (default 8080) with a state folder inside the checkout
# (git-ignored): an ES256 signing key made on first run, a private PAM
# confdir whose pam_matrix database has one account demo/demo, and the
# pam_jwt.so side of a "host" that accepts the issued tokens.  Nothing
# outside the state folder is read or written, and only loopback is used.
#
# make builds first; this script builds nothing.  Environment:
#   PORT                 TCP port on 127.0.0.1 (default 8080); a port in use
#                        stops the script before anything is printed
#   PAMJWT_DEMO_STATE    state folder (default ./state)
#   PAMJWT_ISSUERD, PAMJWT_JWTCTL, PAMJWT_MODULE   products (default: in-tree
#                        build, as `make all` leaves them)
# Ctrl-C stops it: the daemon is exec'ed, so the signal goes straight to it.
set -eu
cd "$(dirname "$0")/../.."
TOP=$(pwd)

PORT=${PORT:-8080}
STATE=${PAMJWT_DEMO_STATE:-$TOP/state}
ISSUERD=${PAMJWT_ISSUERD:-$TOP/issuer/jwt-issuerd/jwt-issuerd}
JWTCTL=${PAMJWT_JWTCTL:-$TOP/issuer/jwtctl/jwtctl}
MODULE=${PAMJWT_MODULE:-$TOP/pam_module/pam_jwt.so}
PAM_MATRIX=${PAM_MATRIX:-/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so}

case $PORT in
    ''|*[!0-9]*) echo "run.sh: PORT must be a number" >&2; exit 2 ;;
esac
for f in "$ISSUERD" "$JWTCTL" "$MODULE"; do
    [ -f "$f" ] || { echo "run.sh: $f is missing: run 'make run' (it builds first)" >&2; exit 1; }
done
[ -f "$PAM_MATRIX" ] ||
    { echo "run.sh: $PAM_MATRIX is missing: install libpam-wrapper (make deps)" >&2; exit 1; }
case $STATE in /*) ;; *) STATE=$TOP/$STATE ;; esac
# A busy port would only make the daemon fail after the instructions below
# have been printed: look first.  A listener conflicts on 127.0.0.1, on
# 0.0.0.0 or on a dual-stack wildcard (ss shows it as *; a v6-only [::]
# does not conflict).  ss is iproute2's, on every Debian; without it the
# daemon's own bind error is the answer.
if command -v ss >/dev/null 2>&1; then
    busy=$(ss -Hltn "sport = :$PORT" 2>/dev/null | awk '{ print $4 }' |
        grep -E '^(127\.0\.0\.1|0\.0\.0\.0|\*|\[::ffff:127\.0\.0\.1\]):' | head -n 1) || true
    if [ -n "$busy" ]; then
        echo "run.sh: port $PORT is already in use (a listener on $busy);" \
             "choose another one: make run PORT=$((PORT + 1))" >&2
        exit 1
    fi
fi

# Keys and secrets only for us; the module and issuer refuse group/other
# writable key files and world-readable private keys anyway.
umask 077
# Everything the module and the daemon read from the state folder must
# pass their file trust rule: owned by root or you, and nobody else may
# write it or any directory above it (a checkout under /tmp fails).  The
# default folder falls back to one that passes (tests/lib/tmpdir.sh).
. "$TOP/tests/lib/tmpdir.sh"
mkdir -p "$STATE"
if ! pamjwt_dir_trusted "$STATE"; then
    if [ -z "${PAMJWT_DEMO_STATE:-}" ] && base=$(pamjwt_tmpdir_base); then
        echo "demo: $STATE fails the file trust rule (a directory above it is" \
             "writable by others, or not yours); using $base/pamjwt-demo-$(id -u)"
        STATE=$base/pamjwt-demo-$(id -u)
        mkdir -p "$STATE"
    else
        echo "run.sh: $STATE fails the file trust rule: it and every directory" \
             "above it must be owned by root or you and not group/other writable" >&2
        exit 1
    fi
fi
mkdir -p "$STATE/pam.d"

# ---- signing key: generated once, kept across runs ----------------------
if [ ! -f "$STATE/signing.key" ]; then
    echo "demo: generating an ES256 signing key in $STATE/signing.key"
    "$JWTCTL" keygen --alg ES256 "$STATE/signing.key" >/dev/null
fi
# The public half as a JWKS: what every host in a fleet would be given.
"$JWTCTL" jwks "$STATE/signing.key" > "$STATE/jwks.json.tmp"
mv "$STATE/jwks.json.tmp" "$STATE/jwks.json"

# ---- configuration, re-written each run from the templates --------------
subst() {
    sed -e "s|@STATE@|$STATE|g" -e "s|@PORT@|$PORT|g" \
        -e "s|@MODULE@|$MODULE|g" -e "s|@PAM_MATRIX@|$PAM_MATRIX|g" "$1" > "$2"
}
subst etc/demo/jwt-issuerd.conf.in "$STATE/jwt-issuerd.conf"
subst etc/demo/pam_jwt.conf.in "$STATE/pam_jwt.conf"
subst etc/demo/jwt-issuer.pam.in "$STATE/pam.d/jwt-issuer"
subst etc/demo/demo-login.pam.in "$STATE/pam.d/demo-login"
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' > "$STATE/pam.d/other"
# login.sh explains refusals with the same jwtctl (make B=... run).
printf '%s\n' "$JWTCTL" > "$STATE/jwtctl.path"
# pam_matrix: user:password:service.  nss_wrapper files make "demo" a user
# that NSS knows (pam_jwt.so refuses users unknown to NSS; the issuer reads
# the groups claim from NSS) without touching /etc/passwd.
printf 'demo:demo:jwt-issuer\n' > "$STATE/passdb"
# alice exists but has no password here: try demo's token on her account.
printf 'demo:x:4242:4242:pamjwt demo:%s:/bin/false\nalice:x:4244:4244:pamjwt demo:%s:/bin/false\n' \
    "$STATE" "$STATE" > "$STATE/passwd"
printf 'demo:x:4242:\nalice:x:4244:\npamjwt-users:x:4243:demo,alice\n' > "$STATE/group"

# The daemon refuses a bad config before we print instructions for it.
"$ISSUERD" -t -c "$STATE/jwt-issuerd.conf"

URL=http://127.0.0.1:$PORT
# jwtctl as typed from the checkout (the client; http:// is fine to
# loopback, which is all the demo listens on).
CTL=$JWTCTL
case $CTL in "$TOP"/*) CTL=${CTL#"$TOP"/} ;; esac
login="sh etc/demo/login.sh"
[ "$STATE" = "$TOP/state" ] || login="PAMJWT_DEMO_STATE=$STATE $login"
cat <<EOF

pamjwt demo: jwt-issuerd on $URL (loopback only), state in $STATE
Account demo / demo.  In a second terminal, in $TOP:

  1. Log in once (the password is demo); jwtctl keeps the session:
  \$ $CTL login --issuer $URL -u demo

  2. A fresh token from the session, no password, and a login with it
     through pam_jwt.so, as sshd would take it:
  \$ TOKEN=\$($CTL token --issuer $URL)
  \$ $login demo "\$TOKEN"

  3. The same token against the API half (RFC 6750 bearer):
  \$ curl -s -H "Authorization: Bearer \$TOKEN" $URL/userinfo

  4. Scripts and other languages: the password grant itself (OAuth 2.0):
  \$ curl -s -u demo:demo -d grant_type=password $URL/token

  jwtctl status shows the session, jwtctl logout ends it.

Why a login was refused: $JWTCTL verify --config $STATE/pam_jwt.conf --user demo "\$TOKEN"
Ctrl-C stops the issuer.

EOF

# Same NSS view for the issuer (groups claim) as for the login side.
NSS_WRAPPER_PASSWD=$STATE/passwd NSS_WRAPPER_GROUP=$STATE/group \
LD_PRELOAD=${LD_PRELOAD:+$LD_PRELOAD:}libnss_wrapper.so \
    exec "$ISSUERD" -c "$STATE/jwt-issuerd.conf"
