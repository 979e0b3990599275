#!/bin/sh
# Logging to the journal and a clean stop (review findings: under systemd
# every line carried its own timestamp and tag and journald filed them all
# at one priority, so `journalctl -p err` showed nothing; a SIGTERM logged
# each idle PAM helper's exit as "exited with 0; respawning").
# With JOURNAL_STREAM naming stderr (DEV:INO, as systemd sets it): each line
# is "<N>message" with sd-daemon(3) priorities and no timestamp or tag; with
# JOURNAL_STREAM naming another file (inherited, stderr redirected): the
# plain format.  A SIGTERM stops with no helper reported lost (16 helpers:
# with 4 the old code mostly won the race and passed).
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
pam_workers = 16
EOC

# start_journal LOG JOURNAL_STREAM: the daemon with stderr appended to LOG
# (its inode stays the one JOURNAL_STREAM may name); waits for "ready".
start_journal() {
    JOURNAL_STREAM=$2 "$PAMJWT_ISSUERD" -c "$T/iss.conf" 2>>"$1" &
    ISS_PID=$!; track "$ISS_PID"
    is_ready() { grep -q 'ready: ' "$1"; }
    wait_for is_ready "$1" || fail "not ready: $(cat "$1")"
    ISS_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" | head -n 1)
    [ -n "$ISS_PORT" ] || fail "no listening line in $1"
}
# kill_helper LOG: SIGKILL one idle PAM helper, wait for the supervisor's
# error line about it.
kill_helper() {
    sup=$(pgrep -P "$ISS_PID" | head -n 1)
    h=$(pgrep -P "$sup" | head -n 1)
    [ -n "$h" ] || fail "no PAM helper"
    kill -KILL "$h"
    logged() { grep -q "PAM helper $h killed by signal 9" "$1"; }
    wait_for logged "$1" || fail "helper death not logged: $(cat "$1")"
}

# ---- stderr is the journal ------------------------------------------------------
: > "$T/jlog"
start_journal "$T/jlog" "$(stat -c '%d:%i' "$T/jlog")"
[ "$(login alice wrong)" = 400 ] || fail "wrong password not refused"
kill_helper "$T/jlog"
cat "$T/jlog"
grep -qx '<6>ready: jwt-issuerd .*' "$T/jlog" || fail "ready line not at <6>"
grep -qx '<6>login: addr=127\.0\.0\.1 user=alice outcome=fail .*' "$T/jlog" || fail "login line not at <6>"
grep -qx "<3>PAM helper $h killed by signal 9; respawning" "$T/jlog" || fail "helper crash not at <3>"
if grep -vqE '^<[0-7]>' "$T/jlog"; then
    fail "a line without a priority prefix: $(grep -vE '^<[0-7]>' "$T/jlog" | head -n 3)"
fi
grep -qE '^<[0-7]>([0-9]{4}-|jwt-issuerd\[)|info: |error: ' "$T/jlog" &&
    fail "own timestamp, tag or level word in a journal line"
ok "stderr is the journal: <6> info, <3> errors, no own timestamp or tag"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"

# ---- JOURNAL_STREAM inherited, stderr elsewhere ------------------------------------
: > "$T/other"
: > "$T/log"
start_journal "$T/log" "$(stat -c '%d:%i' "$T/other")"
grep -qE '^[0-9T:-]+Z jwt-issuerd\[[0-9]+\]: info: ready: ' "$T/log" || fail "plain format: $(cat "$T/log")"
grep -q '^<' "$T/log" && fail "priority prefix although stderr is not the journal"
ok "JOURNAL_STREAM naming another file: the plain timestamped format"

# ---- a clean stop reports no helper lost --------------------------------------
[ "$(login alice secret)" = 200 ] || fail "login"
sup=$(pgrep -P "$ISS_PID" | head -n 1)
n=$(pgrep -P "$sup" | wc -l)
[ "$n" = 16 ] || fail "$n PAM helpers, not 16"
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC after SIGTERM"
gone() { ! kill -0 "$sup" 2>/dev/null; }
wait_for gone || fail "PAM supervisor outlived the daemon"
cat "$T/log"
grep -q 'stopped$' "$T/log" || fail "no stopped line"
if grep -E 'respawning|PAM helper [0-9]|PAM supervisor|error: ' "$T/log"; then
    fail "a clean SIGTERM logged a helper as lost (above)"
fi
ok "SIGTERM with 16 idle helpers: stopped, no respawning warning"

# ---- the shipped fail2ban filter still matches what the journal shows -------------
if command -v fail2ban-regex >/dev/null; then
    line=$(grep '^<6>login: .*outcome=fail' "$T/jlog" | head -n 1 | sed 's/^<6>//')
    fail2ban-regex -d '{NONE}' "testhost jwt-issuerd[42]: $line" \
        "$TOP/etc/fail2ban/filter.d/jwt-issuerd.conf" > "$T/f2b" 2>&1 || true
    grep -q '1 matched' "$T/f2b" || fail "fail2ban filter misses the journal's line: $(cat "$T/f2b")"
    ok "the fail2ban filter matches a journal login line"
fi
done_cases
