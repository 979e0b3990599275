#!/bin/sh
# Review finding 22: the rate-limit check and the count are one step.  60
# concurrent attempts against a limit of 3 let exactly 3 reach PAM, per
# user and per address.  PAM calls are counted by pam_exec (one line per
# call, appended before pam_matrix answers), so the count is PAM's own,
# not the daemon's.  The script also sleeps, so that the 60 attempts are
# all in flight while the first three are still in PAM.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
passdb
printf '#!/bin/sh\necho x >> "%s"\nsleep 0.3\n' "$T/pamcalls" > "$T/count.sh"
pam_stack jwt-issuer "auth required pam_exec.so quiet /bin/sh $T/count.sh" \
    "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"

# burst N USER_PATTERN PASS: N logins at once (a barrier releases them
# together); prints the status codes, sorted and counted.
burst() {
    $PY - "$ISS_PORT" "$@" <<'EOP'
import collections, http.client, sys, threading, urllib.parse
port, n, user, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
barrier = threading.Barrier(n)
codes = []
lock = threading.Lock()
def one(i):
    body = urllib.parse.urlencode({"grant_type": "password",
                                   "username": user.replace("%d", str(i)),
                                   "password": pw})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.connect()
    barrier.wait(timeout=30)
    try:
        c.request("POST", "/token", body,
                  {"Content-Type": "application/x-www-form-urlencoded"})
        code = c.getresponse().status
    except Exception as e:
        code = type(e).__name__
    with lock:
        codes.append(code)
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join(timeout=90)
print(" ".join("%sx%s" % (v, k) for k, v in sorted(collections.Counter(map(str, codes)).items())))
EOP
}
pam_calls() { [ -f "$T/pamcalls" ] && wc -l < "$T/pamcalls" | tr -d ' ' || echo 0; }

cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
pam_workers = 4
pam_queue = 128
rate_limit_per_user = 3
rate_limit_per_ip = 0
EOC
start_issuerd "$T/iss.conf" "$T/log"

# ---- per user ----------------------------------------------------------------
got=$(burst 60 alice wrong)
[ "$got" = "3x400 57x429" ] || fail "60 concurrent attempts for alice: $got (want 3x400 57x429); PAM calls: $(pam_calls)"
[ "$(pam_calls)" = 3 ] || fail "60 concurrent attempts for alice, limit 3: $(pam_calls) reached PAM"
ok "per user: 60 concurrent attempts, limit 3: 3 reach PAM, 57 answered 429"

# A success is not a failure: its place is given back.
: > "$T/pamcalls"
for i in 1 2 3 4 5; do
    [ "$(login carol pw3)" = 200 ] || fail "success $i for carol, limit 3: $(cat "$T/out")"
done
ok "successful logins do not use up the limit"
stop_issuerd

# ---- per address -------------------------------------------------------------
sed -i 's/^rate_limit_per_user = 3/rate_limit_per_user = 0/; s/^rate_limit_per_ip = 0/rate_limit_per_ip = 3/' "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log2"
: > "$T/pamcalls"
got=$(burst 60 'user%d' wrong)
[ "$got" = "3x400 57x429" ] || fail "60 concurrent attempts from one address: $got; PAM calls: $(pam_calls)"
[ "$(pam_calls)" = 3 ] || fail "60 concurrent attempts from one address, limit 3: $(pam_calls) reached PAM"
ok "per address: 60 concurrent attempts (60 users), limit 3: 3 reach PAM, 57 answered 429"
stop_issuerd
done_cases
