#!/bin/sh
# max_trust_age (pam_jwt.conf(5)): key files synced from a trust bundle
# carry "pamjwt_trust" with the bundle's exp; past exp + max_trust_age a
# token is refused with PAM_AUTHINFO_UNAVAIL and a log line naming the
# expiry, while a password still goes on to the next module (PAM_IGNORE).
# A key file without pamjwt_trust counts as too old; without the option
# nothing changes.  The token good_kid is signed by jwks.json's kid k3.
set -u
. "$(dirname "$0")/testlib"

now=$(date +%s)
# trusted NAME EXP: $K/jwks.json plus pamjwt_trust with that exp, as
# jwtctl sync writes it (0644, in $T, which passes the trust rule).
trusted() {
    "$PY" - "$K/jwks.json" "$T/$1.json" "$2" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
exp = int(sys.argv[3])
j["pamjwt_trust"] = {"iss": "https://issuer.test", "version": 3,
                     "iat": exp - 604800, "exp": exp}
open(sys.argv[2], "w").write(json.dumps(j))
PYEOF
    chmod 644 "$T/$1.json"
    echo "$T/$1.json"
}
stale=$(trusted stale $((now - 7200)))
fresh=$(trusted fresh $((now - 600)))
A="issuer=$ISS audience=host-a"

check stale-token     PAM_AUTHINFO_UNAVAIL alice good_kid "$A key=$stale max_trust_age=3600"
check stale-password  PAM_IGNORE           alice password "$A key=$stale max_trust_age=3600"
check within-age      PAM_SUCCESS          alice good_kid "$A key=$fresh max_trust_age=3600"
check stale-no-option PAM_SUCCESS          alice good_kid "$A key=$stale"
check no-trust-member PAM_AUTHINFO_UNAVAIL alice good_kid "$A key=$K/jwks.json max_trust_age=3600"
check no-trust-pem    PAM_AUTHINFO_UNAVAIL alice good     "$BASE max_trust_age=3600"
# the newest bundle among the key files counts; a PEM beside it is fine
check pem-and-fresh   PAM_SUCCESS          alice good     "$BASE key=$fresh max_trust_age=3600"
check bad-value       PAM_SERVICE_ERR      alice good_kid "$A key=$fresh max_trust_age=-1"
flush_checks
exp_iso=$(date -u -d "@$((now - 7200))" +%Y-%m-%dT%H:%M:%SZ)
grep -q "reason=\"trust bundle expired at $((now - 7200)) ($exp_iso, 2 h ago) (max_trust_age 3600 s); run jwtctl sync\"" "$T/syslog" &&
    ok "the log names the expiry and the fix" ||
    bad "log: $(grep -i trust "$T/syslog" | head -3)"
grep -q 'no key file holds pamjwt_trust' "$T/syslog" &&
    ok "the log says no key file holds pamjwt_trust" ||
    bad "log: $(grep -i trust "$T/syslog" | head -3)"
finish
