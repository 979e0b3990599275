#!/bin/sh
# The "host" half of the demo: log in as USER with TOKEN through pam_jwt.so,
# exactly as sshd or sudo would, using the PAM service demo-login that
# etc/demo/run.sh wrote into the demo's private confdir.
#
#   sh etc/demo/login.sh USER TOKEN
#   sh etc/demo/login.sh USER < token-file
#
# pamtester drives PAM; pam_wrapper makes libpam read service files from
# the state folder instead of /etc/pam.d, and nss_wrapper makes the demo
# account known to NSS, so nothing on the machine changes.  The token is
# typed at pam_jwt's "Token: " prompt through pamtester's standard input.
set -eu
cd "$(dirname "$0")/../.."
TOP=$(pwd)
STATE=${PAMJWT_DEMO_STATE:-$TOP/state}
JWTCTL=${PAMJWT_JWTCTL:-$(cat "$STATE/jwtctl.path" 2>/dev/null || echo "$TOP/issuer/jwtctl/jwtctl")}

[ $# -ge 1 ] || { echo "usage: $0 USER [TOKEN]" >&2; exit 2; }
user=$1
if [ $# -ge 2 ]; then token=$2; else IFS= read -r token || true; fi
[ -f "$STATE/pam.d/demo-login" ] ||
    { echo "login.sh: no demo state in $STATE: start 'make run' first" >&2; exit 2; }
command -v pamtester >/dev/null ||
    { echo "login.sh: pamtester is missing: install it (make deps)" >&2; exit 2; }

rc=0
printf '%s\n' "$token" |
    LD_PRELOAD=libpam_wrapper.so:libnss_wrapper.so PAM_WRAPPER=1 \
    PAM_WRAPPER_SERVICE_DIR="$STATE/pam.d" \
    NSS_WRAPPER_PASSWD="$STATE/passwd" NSS_WRAPPER_GROUP="$STATE/group" \
    pamtester demo-login "$user" authenticate acct_mgmt || rc=$?
echo
if [ "$rc" = 0 ]; then
    echo "login.sh: $user logged in with a token through pam_jwt.so"
else
    # pam_jwt.so logs its reason to syslog only; jwtctl verify runs the
    # very same checks and says which one failed.
    echo "login.sh: login refused; what jwtctl verify says:"
    if [ -x "$JWTCTL" ]; then
        "$JWTCTL" verify --config "$STATE/pam_jwt.conf" --user "$user" "$token" || true
    fi
fi
exit "$rc"
