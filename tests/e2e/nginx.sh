#!/bin/sh
# The README's "issuer behind nginx" recipe, run for real on loopback
# (nginx.inc: the shipped site, jwt-issuerd with trusted_proxies =
# 127.0.0.1).  The client connects from 127.0.0.2 so the address the
# issuer logs shows whose X-Forwarded-For it believed:
#  - /token over TLS through nginx works, and the login line names the real
#    client (127.0.0.2), also when the client sends its own X-Forwarded-For;
#  - straight to the issuer from 127.0.0.2 (not a trusted proxy) a forged
#    X-Forwarded-For is ignored;
#  - auth_request: /app/ is 401 without a token, 200 with one, and the
#    backend gets the user as X-Remote-User;
#  - /metrics and /healthz answer 403 to clients, 200 to the machine;
#  - plain http redirects to https.
. "$(dirname "$0")/nginx.inc"
start_issuer
start_nginx
C="curl -s --max-time 20 --cacert $T/tls.crt --interface 127.0.0.2"

# ---- /token through TLS; the issuer sees the real client ------------------
out=$($C -u alice:secret -d grant_type=password "$S/token")
tok=$(printf '%s' "$out" | jq -r .access_token)
case $tok in ey*) ;; *) fail "no token through nginx: $out" ;; esac
$C -u alice:wrong -d grant_type=password -H 'X-Forwarded-For: 203.0.113.9' "$S/token" > /dev/null
grep -q 'login: addr=127.0.0.2 user=alice outcome=success' "$T/issuer.log" ||
    fail "the issuer did not log the real client 127.0.0.2 for a login through nginx"
grep -q 'login: addr=127.0.0.2 user=alice outcome=fail' "$T/issuer.log" ||
    fail "a client's own X-Forwarded-For was believed through nginx"
grep -q 'addr=203.0.113.9' "$T/issuer.log" && fail "forged X-Forwarded-For reached the log through nginx"
ok "TLS /token through nginx; the issuer logs the real client, a client's X-Forwarded-For is overwritten"

# Straight to the issuer from an untrusted peer: its X-Forwarded-For is ignored.
curl -s --max-time 20 --interface 127.0.0.2 -u alice:wrong -d grant_type=password \
    -H 'X-Forwarded-For: 198.51.100.7' "http://127.0.0.1:$iport/token" > /dev/null
grep -q 'addr=198.51.100.7' "$T/issuer.log" && fail "X-Forwarded-For from an untrusted peer believed"
ok "X-Forwarded-For from a peer outside trusted_proxies is ignored"

# ---- auth_request ------------------------------------------------------------
code=$($C -o "$T/app.out" -w '%{http_code}' "$S/app/")
[ "$code" = 401 ] || fail "/app/ without a token: $code, want 401"
code=$($C -o "$T/app.out" -w '%{http_code}' -H "Authorization: Bearer ${tok}x" "$S/app/")
[ "$code" = 401 ] || fail "/app/ with a tampered token: $code, want 401"
code=$($C -o "$T/app.out" -w '%{http_code}' -H "Authorization: Bearer $tok" "$S/app/")
[ "$code" = 200 ] || fail "/app/ with a token: $code, want 200"
grep -q '^app user=alice$' "$T/app.out" || { cat "$T/app.out"; fail "the backend did not get X-Remote-User: alice"; }
ok "auth_request: /app/ 401 without or with a bad token, 200 with a good one, X-Remote-User alice"

# ---- /metrics and /healthz stay off the public site -------------------------
# (review finding: the shipped site proxied them to anybody.)  From
# 127.0.0.2 (a client) 403, however the path is spelled; from 127.0.0.1 (the
# machine's own monitoring) through nginx 200; /token keeps working.
for path in /metrics /healthz /%6detrics //metrics /healthz?x=1; do
    code=$($C -o /dev/null -w '%{http_code}' "$S$path")
    [ "$code" = 403 ] || fail "$path through nginx from a client: $code, want 403"
done
code=$($C -o /dev/null -w '%{http_code}' "$S/metrics/")
[ "$code" = 404 ] || fail "/metrics/ through nginx: $code, want 404"
L="curl -s --max-time 20 --cacert $T/tls.crt --interface 127.0.0.1"
code=$($L -o "$T/metrics.out" -w '%{http_code}' "$S/metrics")
[ "$code" = 200 ] && grep -q '^jwt_issuerd_' "$T/metrics.out" || fail "/metrics from 127.0.0.1 through nginx: $code"
code=$($L -o /dev/null -w '%{http_code}' "$S/healthz")
[ "$code" = 200 ] || fail "/healthz from 127.0.0.1 through nginx: $code"
code=$($C -o /dev/null -w '%{http_code}' -u alice:secret -d grant_type=password "$S/token")
[ "$code" = 200 ] || fail "/token through nginx after the metrics checks: $code"
ok "/metrics and /healthz: 403 for clients through nginx (also /%6detrics, //metrics), 200 from the machine itself; /token still 200"

# ---- http -> https --------------------------------------------------------
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$hport/token")
case $loc in "301 https://"*) ;; *) fail "plain http: $loc" ;; esac
ok "plain http redirects to https"

done_cases
