#!/bin/sh
# make deps: install the Debian 12 packages the build and the tests need.
# As root, missing packages are installed with apt-get; otherwise the exact
# apt-get line is printed and we stop, so nothing is changed behind the
# user's back.
set -eu

PKGS="gcc make pkg-config libssl-dev openssl libjansson-dev libpam0g-dev
libpam-modules libmicrohttpd-dev libgnutls28-dev libcmocka-dev libpam-wrapper libnss-wrapper
libpamtest0-dev python3 python3-jwt python3-jwcrypto python3-requests-oauthlib python3-authlib openssh-server
openssh-client sshpass curl wrk valgrind clang libclang-rt-14-dev util-linux
procps iproute2 passwd pamtester jq nginx-light fail2ban sudo"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "make deps: missing Debian packages; as root run:" >&2
    echo "  apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi

echo "make deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Never start services on install (openssh-server would start sshd on :22).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f "$policy"' EXIT
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing ||
    { apt-get update && apt-get install -y --no-install-recommends $missing; }
