#!/bin/sh
# The README's "More than one issuer", followed literally: its indented
# blocks are read at run time (tests/e2e/readme_deploy.py extract) and run
# in README order, so changing a command there changes what runs here.
# One machine plays the issuer machine (Redis, replicas a and b, nginx)
# and the host web1, in private namespaces (tests/e2e/readme.inc rd_ns:
# mount, UTS, network, PID; loopback only; a private /etc; tmpfs on
# /usr/local, /run, /var/lib, /var/log, /var/tmp).
#
# What the section assumes from earlier ones, prepared here:
#  - "## Install" (make, sudo make install in a copy of this tree), and
#    "### The issuer behind nginx with TLS" (the site, its certificate,
#    nginx started), run as the README says, and `sudo systemd-sysusers`
#    of "### The issuer"; a throwaway CA signs login.example.com, curl
#    trusts it through CURL_CA_BUNDLE, jwtctl through the private /etc's
#    CA bundle;
#  - the host: /etc/security/pam_jwt, and pam_jwt.conf with the lines of
#    "### Each host" (read from the README);
#  - a throwaway user alice (useradd, chpasswd in the private /etc).
# What cannot run literally, and what stands in for it:
#  - apt-get install redis-server: make deps installed it; the stand-in
#    checks `dpkg -s redis-server` (the host's dpkg database, read-only);
#  - systemctl: tests/e2e/readme_systemctl.inc (edit, restart redis-server
#    from Debian's unit and the drop-in, enable --now of the replicas'
#    units, reload nginx, the sync timer's first round).
# Checks: both replicas' /healthz; password grants through nginx get
# tokens of both replicas' kids (round robin), each accepted by jwtctl
# verify with the host's config; the synced jwks.json holds both kids;
# mallory's revocation is in the store and, after the next sync, in the
# host's revoked file; the Redis socket is srwxrwx--- redis jwt-issuerd;
# nothing outside the namespaces changed.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP" || exit 1
. tests/lib/harness.sh
PY=/usr/bin/python3
HELPER=$TOP/tests/e2e/readme_deploy.py
. tests/e2e/readme.inc

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, make install in them)"
[ -z "${PAMJWT_SAN:-}" ] || skip "sanitizer build: the README installs the plain build"
for c in redis-server nginx unshare sudo curl jq openssl setpriv useradd chpasswd \
         systemd-sysusers ip make dpkg; do
    command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || skip "$c missing"
done
[ -f /lib/systemd/system/redis-server.service ] || skip "Debian's redis-server.service missing"
for f in /usr/bin/systemctl /usr/bin/apt-get; do
    [ -x "$f" ] || skip "$f missing (bind-mount target)"
done
getent passwd redis >/dev/null || skip "no user redis (redis-server's package makes it)"
unshare --mount --uts --net --pid --fork true 2>/dev/null || skip "unshare (mount, uts, net, pid namespaces) not permitted"
getent passwd alice >/dev/null && skip "a user alice exists on this machine"
getent passwd jwt-issuerd >/dev/null && skip "a user jwt-issuerd exists on this machine"
secdir=""
for d in /lib/*/security; do [ -f "$d/pam_unix.so" ] && secdir=$d && break; done
[ -n "$secdir" ] || skip "no libpam module directory /lib/<triplet>/security"

harness_init pamjwt-readme-replicas
chmod 0755 "$T"
R=$T/rd
mkdir -p "$R/home" "$R/bin" "$R/pre" "$R/host" "$R/nginx" "$R/src"
chmod 0700 "$R/home"

state() {
    sha256sum /etc/passwd /etc/shadow /etc/group /etc/hosts
    find /usr/local "$secdir" /etc/redis /etc/nginx /etc/systemd/system /etc/security /etc/pamjwt \
        /var/lib/redis /var/log/redis /run/redis -printf '%p %s %m %T@\n' 2>/dev/null | sort
}
state > "$T/host.before"

tar -C "$TOP" --exclude=./build/test-logs -cf - . | tar -C "$R/src" -xf - || fail "copying the tree"

# The commands, from the README: the section itself, and what it assumes.
"$PY" "$HELPER" extract README.md "$R" "More than one issuer" || fail "README section not found"
"$PY" "$HELPER" extract README.md "$R/pre" "Install" || fail "README: no Install"
"$PY" "$HELPER" extract README.md "$R/host" "Each host" || fail "README: no Each host"
"$PY" "$HELPER" extract README.md "$R/nginx" "The issuer behind nginx" || fail "README: no nginx section"
grep -q 'sites-enabled' "$R/nginx/steps.sh" || fail "README: the nginx section does not enable the site"
grep -q 'systemctl enable --now jwt-issuerd-a jwt-issuerd-b' "$R/steps.sh" ||
    fail "README: the section does not start the replicas"
grep -q '^issuer = ' "$R/host/edit.1" || fail "README: Each host has no pam_jwt.conf block"
ok "README: $(grep -c '^printf' "$R/steps.sh") steps from More than one issuer"

rd_tls "$R" "$R/src" || fail "throwaway certificate"
PW="Readme-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
umask 077
printf '%s' "$PW" > "$R/alice.form"
printf 'alice:%s\n' "$PW" > "$R/chpasswd"
umask 022
rd_bin "$R"
cat > "$R/bin/apt-get" <<'EOF2'
#!/bin/sh
# apt-get stand-in: no network here; make deps installed the package.
[ "$1" = install ] || { echo "apt-get (test stand-in): not emulated: $*" >&2; exit 1; }
shift
for p in "$@"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' ||
        { echo "apt-get (test stand-in): $p is not installed" >&2; exit 1; }
done
echo "apt-get (test stand-in): $* already installed"
EOF2
chmod 0755 "$R/bin/apt-get"

cat > "$R/inner.sh" <<'INNER'
set -u
. "$TOP/tests/lib/harness.sh"
R=$1 PY=$2 HELPER=$3 secdir=$4
. "$TOP/tests/e2e/readme.inc"
export PAMJWT_RD=$R
rd_ns web1 "$R" "$secdir" && mount --bind "$R/bin/apt-get" /usr/bin/apt-get ||
    { echo "namespace setup failed"; exit 1; }
stop_all() { [ -f "$R/pids" ] && for p in $(cat "$R/pids"); do stop_pid "$p"; done; }
trap stop_all EXIT
export HOME=$R/home CURL_CA_BUNDLE=$R/ca.pem SUDO_EDITOR=$R/bin/editor
useradd -M -d /nonexistent -s /bin/sh alice && chpasswd < "$R/chpasswd" ||
    { echo "useradd alice failed"; exit 1; }

# What the section assumes (see the header).
{ sh "$R/pre/steps.sh" && cd "$R/src" && sudo systemd-sysusers &&
  sh "$R/nginx/steps.sh" &&
  cat "$R/ca.pem" >> /etc/ssl/certs/ca-certificates.crt &&
  install -d -m 0755 /etc/security/pam_jwt &&
  cat "$R/host/edit.1" >> /etc/security/pam_jwt.conf; } > "$R/pre.log" 2>&1 ||
    { tail -n 30 "$R/pre.log"; fail "the set-up before the section failed"; }
ok "README Install, The issuer behind nginx with TLS (nginx started), systemd-sysusers and the host's pam_jwt.conf in place"

timeout 180 sh "$R/steps.sh" > "$R/steps.log" 2>&1
rc=$?
[ "$rc" = 0 ] || { tail -n 40 "$R/steps.log"; for l in "$R"/*.log; do echo "--- $l"; tail -n 10 "$l"; done
                   fail "the README's steps failed (exit $rc)"; }
ok "the README's More than one issuer steps ran to the end (exit 0)"

for p in 8081 8082; do
    h=$(curl -s --max-time 5 "http://127.0.0.1:$p/healthz")
    case $h in ok*) ok "replica on 127.0.0.1:$p: /healthz $h" ;; *) bad "replica on $p: /healthz '$h'" ;; esac
done
s=$(stat -c '%A %U %G' /run/redis/redis.sock 2>&1)
[ "$s" = "srwxrwx--- redis jwt-issuerd" ] && ok "/run/redis/redis.sock: $s, as the README says" ||
    bad "/run/redis/redis.sock: '$s', the README says srwxrwx--- redis jwt-issuerd"
d=$(stat -c '%a %U %G' /run/redis)
[ "$d" = "2750 redis jwt-issuerd" ] && ok "/run/redis: $d" || bad "/run/redis: $d"

kid_of() { "$PY" -c 'import sys,json,base64; h=sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["kid"])' "$1"; }
: > "$R/kids"
i=0
while [ $i -lt 6 ]; do
    i=$((i + 1))
    tok=$(curl -s --max-time 20 --data-urlencode grant_type=password --data-urlencode username=alice \
        --data-urlencode "password@$R/alice.form" -d audience=ssh:web1 \
        https://login.example.com/token | jq -r .access_token)
    case $tok in eyJ*.*.*) ;; *) bad "token $i through nginx: '$tok'"; continue ;; esac
    kid_of "$tok" >> "$R/kids"
    if jwtctl verify --config /etc/security/pam_jwt.conf --user alice "$tok" > "$R/verify.out" 2>&1; then
        echo "$tok" >> "$R/verified"
    else
        bad "jwtctl verify refuses token $i: $(grep FAIL "$R/verify.out")"
    fi
done
nk=$(sort -u "$R/kids" | wc -l)
[ "$(wc -l < "$R/kids")" = 6 ] && [ "$nk" = 2 ] &&
    ok "6 password grants through https://login.example.com: tokens of $nk kids (round robin)" ||
    bad "kids of the tokens through nginx: $(sort "$R/kids" | uniq -c | tr '\n' ' ')"
[ "$(wc -l < "$R/verified" 2>/dev/null)" = 6 ] &&
    ok "jwtctl verify --config /etc/security/pam_jwt.conf --user alice accepts all 6 (both kids)"
jq -r '.keys[].kid' /etc/security/pam_jwt/jwks.json | sort -u > "$R/synced.kids"
sort -u "$R/kids" | comm -23 - "$R/synced.kids" | grep -q . &&
    bad "a replica's kid is not in the synced jwks.json" ||
    ok "the host's synced jwks.json holds both replicas' kids ($(wc -l < "$R/synced.kids") keys)"
jwtctl revoke -c /etc/pamjwt/jwt-issuerd-b.conf --list > "$R/revoked.list" 2>&1 &&
    grep -q mallory "$R/revoked.list" &&
    ok "the README's revoke through replica a is in the store (listed through b)" ||
    bad "mallory not in jwtctl revoke -c ...-b.conf --list: $(cat "$R/revoked.list")"
jwtctl sync > "$R/sync2.log" 2>&1 && grep -q mallory /etc/security/pam_jwt/revoked &&
    ok "the next jwtctl sync installs mallory's revocation on the host" ||
    bad "mallory not in the host's revoked after a sync: $(cat "$R/sync2.log")"

stop_all
trap - EXIT
HARNESS_BEFORE_FINISH=save_cases
save_cases() { echo "$cases" > "$R/cases"; }
finish
INNER

start=$(date +%s)
TOP=$TOP cases=$cases unshare --mount --uts --net --pid --fork --propagation private \
    sh "$R/inner.sh" "$R" "$PY" "$HELPER" "$secdir"
rc=$?
[ "$rc" = 0 ] || { echo "--- steps.log"; tail -n 40 "$R/steps.log" 2>/dev/null; }
[ -f "$R/cases" ] && cases=$(cat "$R/cases")
state > "$T/host.after"
if cmp -s "$T/host.before" "$T/host.after"; then
    ok "the host's passwd, shadow, group, hosts, /usr/local, $secdir, /etc/redis, /etc/nginx, /etc/systemd/system, /etc/security, /etc/pamjwt and Redis' directories are unchanged"
else
    diff "$T/host.before" "$T/host.after" | head -n 20
    echo "FAIL - the host changed"; rc=1
fi
echo "# $(( $(date +%s) - start )) s in the namespaces"
[ "$rc" = 0 ] && done_cases
exit "$rc"
