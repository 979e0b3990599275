#!/bin/sh
# The README's deployment path, followed literally: "## Install", "### The
# issuer", "### Each host" and "### sshd" are read at run time
# (tests/e2e/readme_deploy.py extract: indented blocks are commands, in
# README order; the fenced blocks after `sudoedit`/`systemctl edit` are
# what the administrator types in), so changing a command in the README
# changes what runs here.  One machine plays issuer, host `web1` and
# client, in private namespaces (unshare --mount --uts --net --pid):
# loopback only, hostname web1, /etc a private copy bound over /etc (the
# users, /etc/hosts, /etc/pam.d/sshd, /etc/ssh, /etc/security, /etc/pamjwt
# stay in it), tmpfs on /usr/local, /run, /var/lib, /var/log and /var/tmp, a private
# copy of libpam's module directory.  `make` and `sudo make install` run
# for real, in a copy of this tree.
#
# What cannot run literally, and what stands in for it:
#  - sudoedit FILE: real sudoedit, with SUDO_EDITOR adding the fenced block
#    that follows in the README;
#  - systemctl (no systemd here): tests/e2e/readme_systemctl.inc, bound over
#    /usr/bin/systemctl:
#    `edit UNIT` writes the next fenced block as UNIT's drop-in;
#    `enable --now jwt-issuerd.socket` binds the ListenStream= of the
#    installed socket unit and its drop-ins, then runs the installed
#    service's ExecStartPre and ExecStart under its privileges (setpriv, as
#    tests/e2e/unit_privs.sh) with the socket as fd 3 (LISTEN_FDS);
#    `reload ssh` starts /usr/sbin/sshd -D (port 22, /etc/ssh/sshd_config);
#    `enable --now pamjwt-sync.timer` runs the sync service's ExecStart
#    once, as the timer's first round;
#  - DNS: /etc/hosts says 127.0.0.1 login.example.com web1;
#  - /var/lib (the issuer's state_dir): a tmpfs;
#  - a certificate: a throwaway CA signs login.example.com.crt/.key (the
#    files the README installs), curl trusts it through CURL_CA_BUNDLE;
#  - the user: a throwaway alice with a random password; curl's and ssh's
#    prompts are answered on a pty (readme_deploy.py pty) as a user types:
#    alice's password for jwtctl login and curl -u alice, "yes" for the new host key
#    (jwtctl ssh's askpass puts that question to the terminal), the
#    token for ssh's password prompt ("paste $TOKEN"), then `id -un; exit`.
# After the README's own steps (which include `jwtctl verify ... --user
# alice "$TOKEN"` and the scripted `sshpass -e` login), the test checks:
# the token verifies, ssh by token and by password work (plain sshpass
# -e), a tampered token and a token for another host (ssh:web2) are
# refused.  Every process is ended by PID; afterwards the host's
# /etc/passwd, /usr/local and module directory are unchanged.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP" || exit 1
. tests/lib/harness.sh
PY=/usr/bin/python3
HELPER=$TOP/tests/e2e/readme_deploy.py
. tests/e2e/readme.inc

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, make install in them)"
# The README installs the plain module into the distribution's sshd.
[ -z "${PAMJWT_SAN:-}" ] || skip "sanitizer build: sshd needs the plain module"
[ -x /usr/sbin/sshd ] || skip "openssh-server not installed"
for c in ssh sshpass sudo sudoedit curl jq openssl setpriv useradd chpasswd \
         systemd-sysusers ip make; do
    command -v "$c" >/dev/null || skip "$c missing"
done
[ -x /usr/bin/systemctl ] || skip "/usr/bin/systemctl missing (bind-mount target)"
unshare --mount --uts --net --pid --fork true 2>/dev/null || skip "unshare (mount, uts, net, pid namespaces) not permitted"
getent passwd alice >/dev/null && skip "a user alice exists on this machine"
getent passwd jwt-issuerd >/dev/null && skip "a user jwt-issuerd exists on this machine"
secdir=""
for d in /lib/*/security; do [ -f "$d/pam_unix.so" ] && secdir=$d && break; done
[ -n "$secdir" ] || skip "no libpam module directory /lib/<triplet>/security"

harness_init pamjwt-readme
chmod 0755 "$T"
R=$T/rd
mkdir -p "$R/home" "$R/bin"
chmod 0700 "$R/home"
FAIL_LOGS="$R/pty.log $R/*.log" FAIL_TAIL=40

# The host's state, compared at the end.
state() {
    sha256sum /etc/passwd /etc/shadow /etc/group /etc/hosts /etc/pam.d/sshd
    find /usr/local "$secdir" /etc/ssh /etc/security -printf '%p %s %m %T@\n' 2>/dev/null | sort
}
state > "$T/host.before"

# The tree the README's `make` and `sudo make install` run in.
mkdir -p "$R/src"
tar -C "$TOP" --exclude=./build/test-logs -cf - . | tar -C "$R/src" -xf - || fail "copying the tree"

# The commands and blocks, from the README.
"$PY" "$HELPER" extract README.md "$R" "Install" "The issuer" "Each host" "sshd:" ||
    fail "README sections not found"
grep -q '^sudoedit /etc/pamjwt/jwt-issuerd.conf' "$R/steps.sh" || fail "README: no issuer config step"
grep -q 'jwtctl verify --config /etc/security/pam_jwt.conf --user alice "\$TOKEN"' "$R/steps.sh" ||
    fail "README: the sshd recipe does not end in jwtctl verify"
ok "README: $(grep -c '^printf' "$R/steps.sh") steps from Install, The issuer, Each host, sshd"

# A throwaway CA and the certificate the README installs.
rd_tls "$R" "$R/src" || fail "throwaway certificate"

PW="Readme-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
umask 077
printf '%s\n' "$PW" > "$R/alice.pw"
printf '%s\n' "not-$PW" > "$R/wrong.pw"
printf '%s' "$PW" > "$R/alice.form"
umask 022

# sudoedit's editor and the systemctl stand-in (see the header):
# tests/e2e/readme.inc, tests/e2e/readme_systemctl.inc.
rd_bin "$R"

# Inside the namespaces: the private system, the README, the checks.
cat > "$R/inner.sh" <<'INNER'
set -u
. "$TOP/tests/lib/harness.sh"
R=$1 secdir=$2 PY=$3 HELPER=$4
export PAMJWT_RD=$R
. "$TOP/tests/e2e/readme.inc"
rd_ns web1 "$R" "$secdir" && mkdir -p /var/lib/sudo ||
    { echo "namespace setup failed"; exit 1; }
[ -d /var/lib/sudo ] && mount -t tmpfs -o mode=0711 pjwt-sudo /var/lib/sudo
stop_all() { [ -f "$R/pids" ] && for p in $(cat "$R/pids"); do stop_pid "$p"; done; }
trap stop_all EXIT

useradd -M -d /nonexistent -s /bin/sh alice && chpasswd < "$R/chpasswd" ||
    { echo "useradd alice failed"; exit 1; }
export HOME=$R/home CURL_CA_BUNDLE=$R/ca.pem SUDO_EDITOR=$R/bin/editor
# jwtctl (libcurl) trusts the system's CA bundle, as on a real client with
# a company CA installed: the throwaway CA joins the private /etc's.
cat "$R/ca.pem" >> /etc/ssl/certs/ca-certificates.crt ||
    { echo "cannot add the test CA to the private CA bundle"; exit 1; }

# The README, on a pty: alice's password for curl, "yes" for the host key,
# the token for ssh's password prompt, then a command in alice's shell.
"$PY" "$HELPER" pty "$R/pty.log" \
    "Enter host password for user 'alice':=$R/alice.pw" \
    "Password for alice@\\S*: =$R/alice.pw" \
    "\(yes/no[^)]*\)\? =:yes\n" \
    "(alice@web1's password|\\(alice@web1\\) Password): =$R/token" \
    "(^|\n)\\\$ \$=:id -un; exit\n" \
    -- sh "$R/steps.sh"
rc=$?
[ "$rc" = 0 ] || fail "the README's steps failed (exit $rc)"
ok "the README's Install, The issuer, Each host and sshd steps ran to the end (exit 0)"
tr -d '\r' < "$R/pty.log" | sed -n '/^+ jwtctl ssh alice@web1 id -un/,/^+ /p' | grep -qx 'alice' ||
    fail "the README's jwtctl ssh alice@web1 id -un did not print alice"
n_pw=$(grep -c 'Password for alice@' "$R/pty.log" || true)
[ "$n_pw" = 1 ] || fail "alice's password was asked $n_pw times by jwtctl, not once"
grep -q 'outcome=success reason="refreshed".* aud=ssh:web1' "$R/issuerd.log" ||
    fail "no refresh for ssh:web1 in the issuer's log"
ok "the README's jwtctl login (password typed once) and jwtctl ssh alice@web1 logged in as alice"
grep -q '^+ ssh alice@web1' "$R/pty.log" && tr -d '\r' < "$R/pty.log" |
    sed -n '/^+ ssh alice@web1/,/^+ /p' | grep -qx 'alice' ||
    fail "the interactive ssh alice@web1 did not print alice"
tr -d '\r' < "$R/pty.log" | sed -n '/^+ SSHPASS=/,$p' | grep -qx 'alice' ||
    fail "the README's sshpass line did not log in"
ok "the README's ssh alice@web1 (token pasted at the prompt) and its sshpass -e line logged in as alice"

TOKEN=$(cat "$R/token")
case $TOKEN in eyJ*.*.*) ;; *) fail "the README's curl gave no token: $TOKEN" ;; esac
jwtctl verify --config /etc/security/pam_jwt.conf --user alice "$TOKEN" > "$R/verify.out" 2>&1 ||
    fail "jwtctl verify refuses the README's token: $(cat "$R/verify.out")"
ok "jwtctl verify --config /etc/security/pam_jwt.conf --user alice: exit 0"

# login NAME SECRET-FILE ok|fail: plain sshpass -e, as the README scripts it.
login() {
    out=$(SSHPASS=$(cat "$2") timeout 60 sshpass -e ssh -o ConnectTimeout=20 alice@web1 id -un 2> "$R/ssh.err" < /dev/null)
    rc=$?
    if [ "$3" = ok ] && [ "$rc" = 0 ] && [ "$out" = alice ]; then ok "$1: logged in as $out"
    elif [ "$3" = fail ] && [ "$rc" != 0 ] && [ -z "$out" ]; then ok "$1: refused (sshpass exit $rc)"
    else bad "$1: rc=$rc out='$out' $(cat "$R/ssh.err")"; fi
}
login "ssh by token (sshpass -e)" "$R/token" ok
login "ssh by alice's password (sshpass -e)" "$R/alice.pw" ok
tamper_sig "$TOKEN" > "$R/tampered"
login "a tampered token" "$R/tampered" fail
login "a wrong password" "$R/wrong.pw" fail
# A token the issuer grants for another host.
curl -s --data-urlencode grant_type=password --data-urlencode username=alice \
    --data-urlencode "password@$R/alice.form" -d audience=ssh:web2 \
    https://login.example.com/token | jq -r .access_token > "$R/web2"
case $(cat "$R/web2") in eyJ*) ;; *) fail "no ssh:web2 token: $(cat "$R/web2")" ;; esac
if jwtctl verify --config /etc/security/pam_jwt.conf --user alice "$(cat "$R/web2")" > "$R/verify.out" 2>&1; then
    bad "jwtctl verify accepts a token for ssh:web2 on web1"
else
    ok "jwtctl verify refuses a token for ssh:web2 on web1: $(grep -m1 "^aud " "$R/verify.out")"
fi
login "a token for another host (ssh:web2)" "$R/web2" fail
grep -qF "${TOKEN##*.}" "$R/sshd.log" "$R/issuerd.log" && bad "a token's signature in a log"
# The account expires after the login (real pam_unix, /etc/shadow of the
# private /etc): the session's next refresh is refused by the issuer's
# account check, and the session is over.
usermod -e 1 alice || fail "usermod -e 1 alice"
if jwtctl token --audience ssh:web1 > "$R/expired.out" 2> "$R/expired.err"; then
    bad "jwtctl token still works for an expired account"
elif ! grep -q 'run jwtctl login' "$R/expired.err"; then
    bad "jwtctl token after expiry: $(cat "$R/expired.err")"
elif ! grep -q 'user=alice outcome=fail reason="account expired: session ended"' "$R/issuerd.log"; then
    bad "the issuer did not log the expired account: $(grep 'grant=refresh' "$R/issuerd.log" | tail -n 1)"
else
    ok "usermod -e 1 alice after the login: the next jwtctl token is refused (pam_unix account check), the session ends"
fi
stop_all
trap - EXIT
HARNESS_BEFORE_FINISH=save_cases
save_cases() { echo "$cases" > "$R/cases"; }
finish
INNER
printf 'alice:%s\n' "$PW" > "$R/chpasswd"; chmod 0600 "$R/chpasswd"

TOP=$TOP cases=$cases unshare --mount --uts --net --pid --fork --propagation private \
    sh "$R/inner.sh" "$R" "$secdir" "$PY" "$HELPER"
rc=$?
if [ "$rc" != 0 ]; then
    for l in "$R/pty.log" "$R/issuerd.log" "$R/sshd.log"; do
        [ -f "$l" ] && { echo "--- $(basename "$l")"; tr -d '\r' < "$l" | tail -n 40; }
    done
fi
[ -f "$R/cases" ] && cases=$(cat "$R/cases")
# Nothing outside the namespaces changed.
state > "$T/host.after"
if cmp -s "$T/host.before" "$T/host.after"; then
    ok "the host's /etc/passwd, shadow, group, hosts, pam.d/sshd, /etc/ssh, /etc/security, /usr/local and $secdir are unchanged"
else
    diff "$T/host.before" "$T/host.after" | head -n 20
    echo "FAIL - the host changed"; rc=1
fi
[ "$rc" = 0 ] && done_cases
exit "$rc"
