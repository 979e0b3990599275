#!/bin/sh
# Review finding 7: a refusal never tells that the password was right.  A
# wrong password, an unknown user, and the right password on an account
# that pam_acct_mgmt refuses (denied, expired, password expired) or that
# pam_authenticate refuses after it (PAM_MAXTRIES), and a name no token
# can carry: the status line, the headers and the body are byte-identical
# apart from Date; the reason is in the log only; no /metrics label tells
# them apart; and every refusal is held at least the failure delay.
. "$(dirname "$0")/helpers.inc"

command -v cc >/dev/null || { echo "cc missing (test PAM module)" >&2; exit 77; }

# A test module returning chosen PAM codes for chosen users, beside
# pam_matrix (which knows only right/wrong password and a denied service).
cat > "$T/pam_code.c" <<'EOF'
#include <string.h>
#include <security/pam_modules.h>

static int
pick(pam_handle_t *ph, int argc, const char **argv, const char *kind, int code)
{
    const char *user = NULL;
    size_t n = strlen(kind);
    int i;

    if (pam_get_user(ph, &user, NULL) != PAM_SUCCESS || user == NULL)
        return PAM_SUCCESS;
    for (i = 0; i < argc; i++)
        if (strncmp(argv[i], kind, n) == 0 && argv[i][n] == '='
            && strcmp(argv[i] + n + 1, user) == 0)
            return code;
    return PAM_SUCCESS;
}

int
pam_sm_authenticate(pam_handle_t *ph, int flags, int argc, const char **argv)
{
    (void)flags;
    return pick(ph, argc, argv, "maxtries", PAM_MAXTRIES);
}

int
pam_sm_setcred(pam_handle_t *ph, int flags, int argc, const char **argv)
{
    (void)ph; (void)flags; (void)argc; (void)argv;
    return PAM_SUCCESS;
}

int
pam_sm_acct_mgmt(pam_handle_t *ph, int flags, int argc, const char **argv)
{
    int r = pick(ph, argc, argv, "acct_expired", PAM_ACCT_EXPIRED);

    (void)flags;
    if (r == PAM_SUCCESS)
        r = pick(ph, argc, argv, "authtok_expired", PAM_NEW_AUTHTOK_REQD);
    return r;
}
EOF
cc -shared -fPIC -o "$T/pam_code.so" "$T/pam_code.c" -lpam 2>"$T/cc.err" \
    || { cat "$T/cc.err" >&2; fail "cannot build the test PAM module"; }

DELAY_US=400000
# alice: good; bob: pam_matrix denies his service; dave: account expired;
# erin: password expired; frank: PAM_MAXTRIES after the right password;
# every one of them has the right password below.
printf '%s\n' alice:secret:jwt-issuer bob:hunter2:other-service dave:pw4:jwt-issuer \
    erin:pw5:jwt-issuer frank:pw6:jwt-issuer > "$T/passdb"
pam_stack jwt-issuer \
    "auth required pam_faildelay.so delay=$DELAY_US" \
    "auth required $PAM_MATRIX passdb=$T/passdb" \
    "auth required $T/pam_code.so maxtries=frank" \
    "account required $PAM_MATRIX passdb=$T/passdb" \
    "account required $T/pam_code.so acct_expired=dave authtok_expired=erin"
keygen ES256 "$T/sign.pem"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
claims_groups = no
rate_limit_per_ip = 0
rate_limit_per_user = 0
EOC
start_issuerd "$T/iss.conf" "$T/log"

# raw USER PASS NAME: POST /token over a raw socket; the exact response
# bytes go to $T/resp.NAME, the seconds it took to $T/secs.NAME.
cat > "$T/raw.py" <<'EOP'
import socket, sys, time, urllib.parse
port, user, pw, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
body = urllib.parse.urlencode({"grant_type": "password", "username": user,
                               "password": pw}).encode()
req = (b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
       b"Content-Type: application/x-www-form-urlencoded\r\n"
       b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)) + body
s = socket.create_connection(("127.0.0.1", port), timeout=30)
t0 = time.monotonic()
s.sendall(req)
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
secs = time.monotonic() - t0
s.close()
open(out, "wb").write(buf)
open(out.replace("resp.", "secs."), "w").write("%.3f\n" % secs)
EOP
raw() { $PY "$T/raw.py" "$ISS_PORT" "$1" "$2" "$T/resp.$3" || fail "request $3"; }
# The response without its Date header.
nodate() { grep -v -a -i '^Date:' "$T/resp.$1"; }

# The wrong password first: the reference every other refusal must equal.
raw alice nope wrong
head -n 1 "$T/resp.wrong" | grep -q '^HTTP/1.1 400 ' || fail "wrong password: $(head -n 1 "$T/resp.wrong")"
grep -q '"error":"invalid_grant"' "$T/resp.wrong" || fail "wrong password body: $(cat "$T/resp.wrong")"
ok "wrong password: 400 invalid_grant"

for c in "nosuch x unknown" "bob hunter2 denied" "dave pw4 acct_expired" \
         "erin pw5 authtok_expired" "frank pw6 maxtries" "al\"ice secret bad_name"; do
    set -- $c
    raw "$1" "$2" "$3"
    if ! nodate wrong > "$T/a" || ! nodate "$3" > "$T/b" || ! cmp -s "$T/a" "$T/b"; then
        diff "$T/a" "$T/b" >&2 || true
        fail "$3: the answer differs from a wrong password's"
    fi
    ok "$3: status, headers and body identical to a wrong password's"
done

# Each refusal was held the failure delay (libpam makes pam_faildelay's
# 0.4 s between 0.5 and 1.5 times that): never answered early.
for n in wrong unknown denied acct_expired authtok_expired maxtries bad_name; do
    s=$(cat "$T/secs.$n")
    awk -v s="$s" -v d="$DELAY_US" 'BEGIN { exit !(s * 1e6 >= d * 0.5) }' \
        || fail "$n answered after $s s, before the failure delay"
done
ok "every refusal is held at least the failure delay"

# The right password on a good account still works, and is not held.
raw alice secret good
head -n 1 "$T/resp.good" | grep -q '^HTTP/1.1 200 ' || fail "good login: $(head -n 1 "$T/resp.good")"
ok "the right password on a good account: 200"

# The reasons are in the log, and only there.
for r in 'user=bob outcome=fail reason="account: ' 'user=dave outcome=fail reason="account expired"' \
         'user=erin outcome=fail reason="password expired' 'user=frank outcome=fail reason="'; do
    grep -q "$r" "$T/log" || fail "log line missing: $r"
done
for w in expired 'not permitted' 'change required' 'maximum'; do
    if grep -a -qi "$w" "$T"/resp.*; then fail "an answer says \"$w\""; fi
done
ok "each reason is logged; no answer carries one"

curl -s "http://127.0.0.1:$ISS_PORT/metrics" > "$T/metrics"
grep -q '^jwt_issuerd_logins_total{outcome="invalid_grant"} 7$' "$T/metrics" \
    || fail "refusals not all counted as invalid_grant: $(grep logins_total "$T/metrics")"
if grep -q 'outcome="expired"' "$T/metrics"; then fail "/metrics counts expired accounts apart"; fi
ok "/metrics counts all seven refusals as invalid_grant"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
done_cases
