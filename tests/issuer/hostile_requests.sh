#!/bin/sh
# Hostile requests against jwt-issuerd (issue 6): 1 MiB and 64 KiB bodies
# (413), 100 KiB header lines, malformed percent-encoding, duplicate form
# fields, NUL bytes, non-UTF-8 and 10,000-character usernames, missing and
# wrong content types, broken Basic and Bearer headers: each a 4xx with a
# JSON error, the daemon healthy after each, and not one PAM call
# (pam_exec records every auth call).  Then no password, token or key
# material in the daemon's log.
. "$(dirname "$0")/helpers.inc"
. "$(dirname "$0")/hostile.inc"

hostile_setup
before=$(pam_calls)
HOSTILE_PAMCALLS=$T/pamcalls $PY "$HOSTILE_PY" requests "$ISS_PORT" > "$T/py.out" 2>&1 || {
    cat "$T/py.out"; fail "hostile requests (daemon log: $(tail -n 5 "$T/log"))"; }
grep -v '^# cases' "$T/py.out"
cases=$(grep -c '^ok ' "$T/py.out")
after=$(pam_calls)
[ "$after" = "$before" ] || fail "$((after - before)) PAM call(s) made for malformed requests"
ok "no PAM call for any malformed request"
kill -0 "$ISS_PID" || fail "daemon died"
ok "daemon alive after all hostile requests"
code=$(login "$HOSTILE_USER" "$HOSTILE_PW")
[ "$code" = 200 ] || fail "good login after the hostile requests: $code"
[ "$(pam_calls)" = $((after + 1)) ] || fail "the good login made $(( $(pam_calls) - after )) PAM calls, want 1"
ok "good login still works (and is one PAM call)"
hostile_log_clean
stop_issuerd
[ "$ISS_RC" = 0 ] || fail "daemon exit status $ISS_RC"
ok "clean exit on SIGTERM"
done_cases
