#!/bin/sh
# Review finding 1 (privilege separation): what a compromised HTTP side can
# make a root PAM helper do.  The daemon runs with `user = nobody`; this test
# takes a helper's socket out of the HTTP process (pidfd_getfd, as root),
# becomes nobody, and sends crafted requests straight to the helper while
# the HTTP process is stopped (so the replies come to us):
#  - a request in the old wire format, naming a PAM service and a confdir
#    whose stack would pam_exec a marker-writing script as root: refused,
#    the script never runs;
#  - oversized, truncated, NUL-carrying, unknown-flag and fd-carrying
#    messages, names no token can carry, a malformed rhost: refused, PAM
#    never called;
#  - groups: only for the user PAM authenticated, never for another;
#  - budgets: a user whose failure's delay is still running, a user past
#    pam_attempts_per_user, anybody past pam_attempts_total: refused by the
#    helper without calling PAM, even with the right password.
# Every PAM call is counted by a pam_exec line in the configured stack.
. "$(dirname "$0")/helpers.inc"

[ "$(id -u)" = 0 ] || { echo "needs root (pidfd_getfd on the daemon, setuid)" >&2; exit 77; }
NSSW=/usr/lib/x86_64-linux-gnu/libnss_wrapper.so
[ -f "$NSSW" ] || { echo "libnss_wrapper missing" >&2; exit 77; }
for c in ss setpriv; do command -v $c >/dev/null || { echo "$c missing" >&2; exit 77; }; done

keygen ES256 "$T/sign.pem"
passdb
# NSS users with groups of their own (nss_wrapper, so the machine is not
# touched); pam_matrix checks the passwords.
cat > "$T/passwd" <<EOP
alice:x:64201:64201:a:/nonexistent:/bin/false
bob:x:64202:64202:b:/nonexistent:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOP
cat > "$T/group" <<EOG
alicegrp:x:64201:
bobgrp:x:64202:
bobonly:x:64210:bob
shared:x:64211:alice,bob
nogroup:x:65534:
EOG
cat > "$T/count.sh" <<EOS
#!/bin/sh
echo "\$PAM_USER" >> "$T/calls"
EOS
cat > "$T/marker.sh" <<EOS
#!/bin/sh
id -u > "$T/MARKER"
EOS
chmod 0755 "$T/count.sh" "$T/marker.sh"
: > "$T/calls"
pam_stack jwt-issuer "auth optional pam_exec.so quiet $T/count.sh" \
    "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
# The stack an attacker would like to run, in a confdir and as a service
# of the real confdir.
mkdir -p "$T/evil"
printf 'auth required pam_exec.so %s\naccount required pam_permit.so\n' "$T/marker.sh" > "$T/evil/evil"
cp "$T/evil/evil" "$T/pam.d/evil"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
user = nobody
pam_workers = 1
rate_limit_per_ip = 0
rate_limit_per_user = 0
fail_delay_ms = 1000
pam_attempts_per_user = 3
pam_attempts_total = 6
EOC
chmod 0644 "$T/iss.conf" "$T/passwd" "$T/group"
for_user nobody "$T/sign.pem"
# A sanitizer build: nss_wrapper comes ahead of the ASan runtime, and
# without RTLD_DEEPBIND (which ASan refuses), as in tests/pam/testlib.
san=""
[ -z "${PAMJWT_SAN:-}" ] || san="ASAN_OPTIONS=verify_asan_link_order=0 NSS_WRAPPER_DISABLE_DEEPBIND=1"
cat > "$T/issuerd" <<EOS
#!/bin/sh
$san LD_PRELOAD=$NSSW NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group exec "$PAMJWT_ISSUERD" "\$@"
EOS
chmod 0755 "$T/issuerd"
PAMJWT_ISSUERD=$T/issuerd start_issuerd "$T/iss.conf" "$T/log"

[ "$(awk '/^Uid:/ { print $2 }' "/proc/$ISS_PID/status")" = 65534 ] || fail "HTTP side not nobody"
sup=$(pgrep -P "$ISS_PID" | head -n 1)
[ -n "$sup" ] || fail "no supervisor"
wait_for pgrep -P "$sup" >/dev/null || fail "no helper"
[ "$(login alice secret)" = 200 ] || fail "a normal login: $(cat "$T/out")"
[ "$(grep -c . "$T/calls")" = 1 ] || fail "the count script did not run: $(cat "$T/calls")"
ok "daemon as nobody, helper under a root supervisor, a normal login runs the configured stack"

cont() { kill -CONT "$ISS_PID" 2>/dev/null || true; }
on_exit cont
kill -STOP "$ISS_PID"
rc=0
$PY - "$ISS_PID" "$sup" "$T" > "$T/wire.out" 2>&1 <<'EOP' || rc=$?
import ctypes, os, re, select, socket, struct, subprocess, sys, time

http, sup, T = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
helpers = set(int(p) for p in subprocess.run(["pgrep", "-P", str(sup)], capture_output=True,
                                             text=True).stdout.split())
# Unix sockets: local inode, peer inode, holder pid and fd.
holder, peer, fds = {}, {}, []
for line in subprocess.run(["ss", "-xpn"], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"u_seq\s+\S+\s+\d+\s+\d+\s+\S+\s+(\d+)\s+\S+\s+(\d+)\s+users:(.*)", line)
    if not m:
        continue
    ino, pino = int(m.group(1)), int(m.group(2))
    peer[ino] = pino
    for pid, fd in re.findall(r"pid=(\d+),fd=(\d+)", m.group(3)):
        holder.setdefault(ino, []).append(int(pid))
        if int(pid) == http:
            fds.append((ino, int(fd)))
hfds = [fd for ino, fd in fds if any(p in helpers for p in holder.get(peer[ino], []))]
assert hfds, "no helper socket in the HTTP process (%s)" % fds

libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(http)
fd = libc.syscall(438, pidfd, hfds[0], 0)       # pidfd_getfd
assert fd >= 0, "pidfd_getfd: %s" % os.strerror(ctypes.get_errno())
s = socket.socket(fileno=fd)
assert s.type == socket.SOCK_SEQPACKET

# From here on, the HTTP side's identity.
st = open("/proc/%d/status" % http).read()
uid = int(re.search(r"Uid:\s+(\d+)", st).group(1))
gid = int(re.search(r"Gid:\s+(\d+)", st).group(1))
os.setgroups([])
os.setgid(gid)
os.setuid(uid)
assert os.getuid() == 65534

def sstr(x):
    b = x.encode() if isinstance(x, str) else x
    return struct.pack("=H", len(b)) + b

def req(seq, user, pw, flags=0, rhost="127.0.0.1", otp=""):
    return struct.pack("=II", seq, flags) + sstr(rhost) + sstr(user) + sstr(pw) + sstr(otp)

def old_req(seq, service, confdir, user, pw):
    return (struct.pack("=II", seq, 1) + sstr(service) + sstr(confdir) + sstr("127.0.0.1")
            + sstr(user) + sstr(pw) + sstr(""))

OUT = ["ok", "denied", "acct_expired", "authtok_expired", "acct_denied", "error"]

def reply():
    r, _, _ = select.select([s], [], [], 20)
    assert r, "no reply from the helper"
    b = s.recv(65536)
    assert b, "the helper closed its socket"
    seq, out, rc, delay, asked = struct.unpack_from("=IiiII", b)
    off = 20
    strs = []
    for _ in range(3):     # user, reason, prompt
        (n,) = struct.unpack_from("=H", b, off)
        strs.append(b[off + 2:off + 2 + n].decode())
        off += 2 + n
    (ng,) = struct.unpack_from("=I", b, off)
    off += 4
    groups = []
    for _ in range(ng):
        (n,) = struct.unpack_from("=H", b, off)
        groups.append(b[off + 2:off + 2 + n].decode())
        off += 2 + n
    return {"seq": seq, "out": OUT[out], "delay": delay, "user": strs[0],
            "reason": strs[1], "prompt": strs[2], "groups": groups}

def calls():
    return open(T + "/calls").read().split()

def send(msg, **kw):
    if kw.get("fds") is not None:
        s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("=i", kw["fds"]))])
    else:
        s.send(msg)
    return reply()

def refused(name, msg, why, **kw):
    before = calls()
    r = send(msg, **kw)
    assert r["out"] in ("error", "denied") and why in r["reason"], (name, r)
    assert calls() == before, (name, "PAM ran", calls())
    assert not os.path.exists(T + "/MARKER"), (name, "the evil stack ran")
    print("ok: refused, PAM not called:", name, "->", r["reason"])

# 1. The service and confdir are not the HTTP side's to name.
refused("old format naming confdir %s/evil, service evil" % T,
        old_req(11, "evil", T + "/evil", "alice", "secret"), "malformed")
refused("old format naming service evil of the real confdir",
        old_req(12, "evil", "", "alice", "secret"), "malformed")
# 2. Anything else the daemon would not send.
refused("oversized (9000 bytes)", req(13, "alice", "secret") + b"x" * 9000, "malformed")
refused("truncated", req(14, "alice", "secret")[:-3], "malformed")
refused("3 bytes", b"\x01\x02\x03", "malformed")
refused("trailing bytes", req(15, "alice", "secret") + b"\0", "malformed")
refused("string longer than the message", struct.pack("=II", 16, 0) + struct.pack("=H", 500) + b"ab",
        "malformed")
refused("NUL inside the user name", req(17, "alice\0bob", "secret"), "malformed")
refused("unknown flag bit", req(18, "alice", "secret", flags=0x80), "malformed")
refused("a file descriptor attached", req(19, "alice", "secret"), "malformed", fds=0)
refused("user name no token can carry", req(20, "../root", "secret"), "user name")
refused("user name with a blank", req(21, "alice bob", "secret"), "user name")
refused("rhost with a blank", req(22, "alice", "secret", rhost="1.2.3.4 user=root"), "rhost")

# 3. Groups: the authenticated user's only.
n = len(calls())
ra = send(req(30, "alice", "secret", flags=1))
assert ra["out"] == "ok" and ra["user"] == "alice", ra
assert {"alicegrp", "shared"} <= set(ra["groups"]) and not {"bobgrp", "bobonly"} & set(ra["groups"]), ra
r = send(req(31, "bob", "wrong", flags=1))
assert r["out"] == "denied" and r["groups"] == [], r
assert len(calls()) == n + 2
print("ok: groups only for the user PAM authenticated: alice gets", ",".join(ra["groups"]),
      "and a failed bob none")

# 4. Budgets, enforced in the helper.
r = send(req(40, "carol", "wrong"))
assert r["out"] == "denied" and r["delay"] >= 1000000, r
refused("carol's right password while her failure's delay runs", req(41, "carol", "pw3"),
        "less than half its delay")
for i in range(3):
    r = send(req(42 + i, "dave", "wrong%d" % i))
    assert r["out"] == "denied" and "before PAM" not in r["reason"], r
    time.sleep(r["delay"] / 2e6 + 0.05)
refused("dave's right password after 3 failures (pam_attempts_per_user = 3)",
        req(45, "dave", "pw4"), "pam_attempts_per_user")
# Charged so far: bob, carol, dave x3 (alice's success was given back).
r = send(req(46, "erin", "x"))
assert r["out"] == "denied" and "before PAM" not in r["reason"], r
refused("a 7th failing user (pam_attempts_total = 6)", req(47, "frank", "x"), "pam_attempts_total")
refused("alice's right password once the total is spent", req(48, "alice", "secret"),
        "pam_attempts_total")
# 5. Account checks (a refresh): no credential may come along, and only
# the account stack runs (the counting auth module is not called).
refused("account check carrying a password", req(50, "alice", "secret", flags=2),
        "account check with a password")
refused("account check carrying an otp", req(51, "alice", "", flags=2, otp="1"),
        "account check with a password")
n = len(calls())
r = send(req(52, "alice", "", flags=3))
assert r["out"] == "ok" and r["user"] == "alice" and "alicegrp" in r["groups"], r
r = send(req(53, "bob", "", flags=2))
assert r["out"] == "acct_denied", r
assert len(calls()) == n, calls()
print("ok: account checks run no auth module; bob's account is refused")
assert not os.path.exists(T + "/MARKER")
print("calls:", " ".join(calls()))
EOP
cont
if [ "$rc" != 0 ]; then
    cat "$T/wire.out"
    [ ! -e "$T/MARKER" ] || fail "the attacker's PAM stack ran, as uid $(cat "$T/MARKER")"
    fail "crafted requests"
fi
sed 's/^/    /' "$T/wire.out"
ok "crafted messages from the HTTP side's uid: $(grep -c '^ok: refused' "$T/wire.out") refused without PAM, groups kept to the authenticated user, budgets enforced in the helper"
[ ! -e "$T/MARKER" ] || fail "the attacker's PAM stack ran as uid $(cat "$T/MARKER")"
[ "$(tr '\n' ' ' < "$T/calls")" = "alice alice bob carol dave dave dave erin " ] \
    || fail "PAM calls: $(tr '\n' ' ' < "$T/calls")"
ok "nothing ran as root but the configured stack: PAM called for $(grep -c . "$T/calls") well-formed, admitted attempts only"
grep -q 'PAM helper: refused a malformed request' "$T/log" || fail "helper did not log the malformed requests"
grep -q 'PAM helper: user=frank refused before PAM: pam_attempts_total exhausted' "$T/log" \
    || fail "helper did not log the budget refusal"
ok "the helper logs what it refused"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
done_cases
