#!/bin/sh
# Review finding 4: a PAM call that never returns.  A module that sleeps
# forever (a few lines of C built here) for user "hang", and a pam_exec'd
# program that does the same for "hangexec":
#  - the login answers 503 temporarily_unavailable after pam_timeout, the
#    helper is killed (with the program it started) and respawned, and the
#    next login works;
#  - SIGTERM with a hung login in flight: it is answered, the daemon exits
#    0 and no helper is left;
#  - /healthz answers 503 while no helper is alive, and the daemon exits 1
#    (so that systemd restarts it) when helpers cannot be kept.
. "$(dirname "$0")/helpers.inc"
command -v cc >/dev/null || { echo "no C compiler" >&2; exit 77; }

cat > "$T/hang.c" <<'EOC'
#include <string.h>
#include <unistd.h>
#include <security/pam_modules.h>

int
pam_sm_authenticate(pam_handle_t *ph, int flags, int argc, const char **argv)
{
    const char *user = NULL;

    (void)flags; (void)argc; (void)argv;
    if (pam_get_user(ph, &user, NULL) == PAM_SUCCESS && user != NULL
        && strcmp(user, "hang") == 0)
        for (;;)
            sleep(1000);
    return PAM_IGNORE;
}

int
pam_sm_setcred(pam_handle_t *ph, int flags, int argc, const char **argv)
{
    (void)ph; (void)flags; (void)argc; (void)argv;
    return PAM_SUCCESS;
}
EOC
cc -shared -fPIC -o "$T/pam_testhang.so" "$T/hang.c" -lpam || { echo "cannot build the module" >&2; exit 77; }

keygen ES256 "$T/sign.pem"
passdb
pam_stack jwt-issuer "auth requisite $T/pam_testhang.so" \
    "auth [success=1 default=ignore] pam_succeed_if.so quiet user != hangexec" \
    "auth optional pam_exec.so quiet /bin/sleep 3600" \
    "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
pam_workers = 1
pam_timeout = 2
rate_limit_per_ip = 0
rate_limit_per_user = 0
EOC
start_issuerd "$T/iss.conf" "$T/log"
sup=$(pgrep -P "$ISS_PID" | head -n 1)
[ -n "$sup" ] || fail "no supervisor"
helper() { pgrep -P "$sup" | head -n 1; }
have_helper() { [ -n "$(helper)" ]; }
wait_for have_helper || fail "no helper"
healthz() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$ISS_PORT/healthz"; }
[ "$(healthz)" = 200 ] || fail "healthz with a helper: $(healthz)"

# ---- a module that never returns ------------------------------------------
h1=$(helper)
set -- $(curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 20 \
    -d grant_type=password -d username=hang -d password=x "http://127.0.0.1:$ISS_PORT/token")
[ "$1" = 503 ] || fail "hung PAM call answered $1 $(cat "$T/out")"
[ "$(json_get "$T/out" error)" = temporarily_unavailable ] || fail "503 body: $(cat "$T/out")"
awk -v s="$2" 'BEGIN { exit !(s >= 2) }' || fail "answered before pam_timeout: $2 s"
ok "a PAM call that never returns: 503 temporarily_unavailable after pam_timeout ($2 s)"
h1_gone() { ! kill -0 "$h1" 2>/dev/null; }
wait_for h1_gone || fail "hung helper $h1 still alive"
new_helper() { h=$(helper); [ -n "$h" ] && [ "$h" != "$h1" ]; }
wait_for new_helper || fail "no new helper"
grep -q "PAM helper $h1: no answer after pam_timeout (2 s); killing it" "$T/log" \
    || fail "the kill is not logged"
[ "$(login alice secret)" = 200 ] || fail "login after the respawn: $(cat "$T/out")"
ok "the hung helper was killed and respawned; the next login works"

# ---- a program PAM started that never returns ------------------------------
h2=$(helper)
curl -s -o "$T/out2" -w '%{http_code}' --max-time 20 -d grant_type=password \
    -d username=hangexec -d password=x "http://127.0.0.1:$ISS_PORT/token" > "$T/code2" &
CP=$!; PIDS="$PIDS $CP"
sleeping() { s=$(pgrep -P "$h2" sleep | head -n 1); [ -n "$s" ]; }
wait_for sleeping || fail "pam_exec did not start sleep"
wait "$CP" || true
[ "$(cat "$T/code2")" = 503 ] || fail "hung pam_exec: $(cat "$T/code2")"
s_gone() { ! kill -0 "$s" 2>/dev/null; }
wait_for s_gone || fail "the program pam_exec started ($s) outlived its helper"
ok "a program pam_exec started that never returns: 503, and it is killed with its helper"

# ---- SIGTERM with a hung login in flight ---------------------------------------
wait_for new_helper || fail "no helper after the second kill"
curl -s -o /dev/null -w '%{http_code}' --max-time 20 -d grant_type=password \
    -d username=hang -d password=x "http://127.0.0.1:$ISS_PORT/token" > "$T/code3" &
CP=$!; PIDS="$PIDS $CP"
one_in_flight() { [ "$(metric jwt_issuerd_requests_in_flight)" = 1 ]; }
wait_for one_in_flight || fail "hung login not in flight"
hs="$sup $(pgrep -P "$sup" | tr '\n' ' ')"
stop_issuerd
wait "$CP" || true
[ "$ISS_RC" = 0 ] || fail "exit status after SIGTERM: $ISS_RC"
[ "$(cat "$T/code3")" = 503 ] || fail "the hung login during shutdown: $(cat "$T/code3")"
all_gone() { for p in $hs; do ! kill -0 "$p" 2>/dev/null || return 1; done; }
wait_for all_gone || fail "left running after SIGTERM: $(for p in $hs; do kill -0 "$p" 2>/dev/null && echo "$p"; done)"
ok "SIGTERM with a hung login: answered 503, exit 0, supervisor and every helper gone"

# ---- helpers that cannot be kept --------------------------------------------
start_issuerd "$T/iss.conf" "$T/log2"
sup=$(pgrep -P "$ISS_PID" | head -n 1)
wait_for have_helper || fail "no helper (2)"
kill -STOP "$sup"
kill -KILL "$(helper)"
h503() { [ "$(healthz)" = 503 ]; }
wait_for h503 || { kill -CONT "$sup"; fail "healthz with no helper alive: $(healthz)"; }
kill -CONT "$sup"
h200() { [ "$(healthz)" = 200 ]; }
wait_for h200 || fail "healthz after the respawn: $(healthz)"
ok "/healthz: 503 while no helper is alive, 200 once one is back"
# Kill every helper as soon as it appears: the supervisor gives up.
i=0
while kill -0 "$ISS_PID" 2>/dev/null && [ $i -lt 300 ]; do
    for h in $(pgrep -P "$sup" || true); do kill -KILL "$h" 2>/dev/null || true; done
    sleep 0.05; i=$((i + 1))
done
ISS_RC=0; wait "$ISS_PID" || ISS_RC=$?
[ "$ISS_RC" = 1 ] || fail "exit status when helpers cannot be kept: $ISS_RC"
grep -q 'cannot keep PAM helpers running' "$T/log2" || fail "supervisor did not say why"
ok "helpers that keep dying before their first login: the daemon exits 1"
done_cases
