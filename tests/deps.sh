#!/bin/sh
# tests/deps.sh [run|test]: install the Debian 12 packages that the build
# and the demo need (run: `make deps-run`, which `make run` uses) or those
# and everything the tests need (test, the default: `make deps`, which
# `make check`, the check-* targets and CI use).
# As root, missing packages are installed with apt-get; otherwise the exact
# apt-get line is printed and we stop, so nothing is changed behind the
# user's back.  No service is started on install (policy-rc.d below), and
# the demo set has no package with a service at all.
set -eu

# The build (compiler, OpenSSL, jansson, libpam, SQLite for the issuer's
# sessions, hiredis for the Redis store replicas share, libcurl for jwtctl's
# client, libmicrohttpd with GnuTLS) and the demo (pam_matrix from libpam-wrapper, pamtester for
# etc/demo/login.sh, curl and jq for the README's commands).
RUN_PKGS="gcc make pkg-config libssl-dev libjansson-dev libpam0g-dev libsqlite3-dev libcurl4-openssl-dev
libhiredis-dev libpam-modules libmicrohttpd-dev libgnutls28-dev libpam-wrapper pamtester
curl jq"

# The test set: what the tests use (the run set is added below).
PKGS="gcc make pkg-config libssl-dev openssl libjansson-dev libpam0g-dev
libpam-modules libmicrohttpd-dev libgnutls28-dev libcmocka-dev libpam-wrapper libnss-wrapper
libpamtest0-dev python3 python3-jwt python3-jwcrypto python3-requests-oauthlib python3-authlib openssh-server
openssh-client sshpass curl wrk valgrind clang libclang-rt-14-dev util-linux
procps iproute2 passwd pamtester jq nginx-light fail2ban sudo"
# The Redis store's tests start a redis-server of their own (the packaged
# service is a service: never started here, see policy-rc.d below).
PKGS="$PKGS redis-server"
# The OTP recipe (etc/pam.d/jwt-issuer-otp): pam_oath, oathtool for codes.
PKGS="$PKGS libpam-oath oathtool"

case ${1:-test} in
    run)  PKGS=$RUN_PKGS; what=deps-run ;;
    test) PKGS="$RUN_PKGS $PKGS"; what=deps ;;
    *)    echo "usage: tests/deps.sh [run|test]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
    case " $missing " in *" $p "*) continue ;; esac
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "make $what: missing Debian packages; as root run:" >&2
    echo "  apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi

echo "make $what: installing$missing"
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
