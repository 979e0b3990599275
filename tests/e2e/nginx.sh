#!/bin/sh
# The README's "issuer behind nginx" recipe, run for real on loopback:
# etc/nginx/jwt-issuer.conf as shipped, with only its ports, upstream port,
# certificate paths and the /app/ backend port replaced; jwt-issuerd with
# trusted_proxies = 127.0.0.1.  The client connects from 127.0.0.2 so the
# address the issuer logs shows whose X-Forwarded-For it believed:
#  - /token over TLS through nginx works, and the login line names the real
#    client (127.0.0.2), also when the client sends its own X-Forwarded-For;
#  - straight to the issuer from 127.0.0.2 (not a trusted proxy) a forged
#    X-Forwarded-For is ignored;
#  - auth_request: /app/ is 401 without a token, 200 with one, and the
#    backend gets the user as X-Remote-User;
#  - plain http redirects to https.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
ISSUERD=${PAMJWT_ISSUERD:-$TOP/issuer/jwt-issuerd}
JWTCTL=${PAMJWT_JWTCTL:-$TOP/issuer/jwtctl}
PAM_MATRIX=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so
PY=/usr/bin/python3
for f in "$ISSUERD" "$JWTCTL"; do [ -x "$f" ] || { echo "not built yet: $f"; exit 77; }; done
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { echo "nginx not installed (make deps installs nginx-light)"; exit 77; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v jq >/dev/null || { echo "jq missing (make deps)"; exit 77; }
# 127.0.0.2 as a client source address (Linux routes all of 127/8 to lo).
rc=0; curl -s -o /dev/null --max-time 2 --interface 127.0.0.2 http://127.0.0.1:1/ 2>/dev/null || rc=$?
[ "$rc" -ne 45 ] || { echo "cannot bind 127.0.0.2 as a source address"; exit 77; }

T=$(mktemp -d)
chmod 0755 "$T"       # nginx workers (nobody) read their temp paths under it
ipid=""; npid=""
cleanup() {
    for p in $npid $ipid; do
        kill "$p" 2>/dev/null || true
        i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cases=0
fail() {
    echo "FAIL: $*"
    echo "--- issuer log:"; tail -n 15 "$T/issuer.log" 2>/dev/null || true
    echo "--- nginx error log:"; tail -n 15 "$T/nginx-error.log" 2>/dev/null || true
    exit 1
}
ok() { cases=$((cases + 1)); echo "ok: $*"; }
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- issuer --------------------------------------------------------------
mkdir -p "$T/p" "$T/pam.d"; chmod 0700 "$T/p"
"$JWTCTL" keygen --alg ES256 "$T/p/signing.key" > /dev/null
printf 'alice:secret:jwt-issuer\n' > "$T/p/passdb"
printf 'auth required %s passdb=%s\naccount required %s passdb=%s\n' \
    "$PAM_MATRIX" "$T/p/passdb" "$PAM_MATRIX" "$T/p/passdb" > "$T/pam.d/jwt-issuer"
iport=$(free_port)
# The README's two lines, on a free port instead of 8080.
cat > "$T/p/jwt-issuerd.conf" <<EOF
listen = 127.0.0.1:$iport
trusted_proxies = 127.0.0.1
issuer = https://login.example.com
signing_key = $T/p/signing.key
pam_confdir = $T/pam.d
claims_groups = no
EOF
"$ISSUERD" -c "$T/p/jwt-issuerd.conf" 2> "$T/issuer.log" &
ipid=$!
i=0
until grep -q 'info: ready' "$T/issuer.log"; do
    kill -0 "$ipid" 2>/dev/null || fail "jwt-issuerd exited"
    [ $i -lt 100 ] || fail "jwt-issuerd not ready"; sleep 0.1; i=$((i + 1))
done

# ---- nginx with the shipped site -----------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null
hport=$(free_port); sport=$(free_port); aport=$(free_port)
sed -e "s|/etc/ssl/certs/login.example.com.pem|$T/tls.crt|" \
    -e "s|/etc/ssl/private/login.example.com.key|$T/tls.key|" \
    -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$iport;|" \
    -e "s|listen 80;|listen 127.0.0.1:$hport;|" -e '/listen \[::\]:80;/d' \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$sport ssl http2;|" -e '/listen \[::\]:443/d' \
    -e "s|proxy_pass http://127.0.0.1:9000/;|proxy_pass http://127.0.0.1:$aport/;|" \
    etc/nginx/jwt-issuer.conf > "$T/site.conf"
for want in "$iport" "$hport" "$sport" "$aport" "$T/tls.crt"; do
    grep -q "$want" "$T/site.conf" || fail "could not adapt the site (no $want): has etc/nginx/jwt-issuer.conf changed?"
done
cat > "$T/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/ncb; proxy_temp_path $T/ncp; fastcgi_temp_path $T/ncf;
    uwsgi_temp_path $T/ncu; scgi_temp_path $T/ncs;
    include $T/site.conf;
    # Stand-in for the protected application: echoes what nginx passed on.
    server { listen 127.0.0.1:$aport; location / { return 200 "app user=\$http_x_remote_user\n"; } }
}
EOF
"$NGINX" -t -q -p "$T" -c "$T/nginx.conf" || fail "nginx -t"
"$NGINX" -p "$T" -c "$T/nginx.conf" 2>> "$T/nginx-error.log" &
npid=$!
i=0
until curl -s -o /dev/null --cacert "$T/tls.crt" "https://localhost:$sport/healthz"; do
    kill -0 "$npid" 2>/dev/null || fail "nginx exited"
    [ $i -lt 100 ] || fail "nginx not answering"; sleep 0.1; i=$((i + 1))
done
S="https://localhost:$sport"
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

# ---- http -> https --------------------------------------------------------
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$hport/token")
case $loc in "301 https://"*) ;; *) fail "plain http: $loc" ;; esac
ok "plain http redirects to https"

echo "# cases passed: $cases"
