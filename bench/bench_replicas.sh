#!/bin/sh
# bench_replicas.sh: jwt-issuerd replicas sharing Redis (README "More than
# one issuer"), all measured in the same run on this machine:
#
#   replicas ES256 one_per_s=N two_per_s=M ratio=R
#   store ES256 sqlite_us=S redis_us=D redis_cost_us=C sqlite_per_s=A redis_per_s=B
#
# The first row: password-grant logins/s (pam_permit, sessions on, rate
# limits on) through nginx (plain http on loopback: TLS would measure
# nginx) with one replica and with two, round robin, CONNS connections.
# Two replicas on the same cores are no faster; the row shows what the
# shared store costs them together, not more machines.
# The second row: one replica straight, with the SQLite default against
# store = redis+unix:// (a private redis-server, password, no
# persistence): each login then makes its Redis round trips (the rate
# limit buckets and the session).  *_us is the time per login on one
# connection (1e6 / logins per s at -c1), redis_cost_us the difference;
# *_per_s the throughput at CONNS connections.
# Each number is the median of ROUNDS runs, the setups measured
# alternately.  Bounded: 6 x ROUNDS wrk runs of DURATION and warm-ups.
# Skips (exit 0, with a message) without redis-server or nginx.
set -eu
cd "$(dirname "$0")/.."
: "${PAMJWT_B:=$(pwd)/build}"
: "${PAMJWT_ISSUERD:=$PAMJWT_B/jwt-issuerd}"
DURATION=${BENCH_ISSUE_DURATION:-3s}
ROUNDS=${BENCH_ISSUE_ROUNDS:-3}
CONNS=32
command -v wrk >/dev/null || { echo "bench_replicas: wrk missing" >&2; exit 1; }
[ -x "$PAMJWT_ISSUERD" ] || { echo "bench_replicas: build first" >&2; exit 1; }
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    { echo "bench_replicas: skipped: redis-server not installed"; exit 0; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench_replicas: skipped: nginx not installed"; exit 0; }
NCPU=$(nproc)

. bench/issue.inc     # after the cd: the checkout's top
chmod 0755 "$T"       # nginx workers (nobody) use their temp paths under it

# Redis: private socket, password, nothing on disk.
. tests/lib/redis.sh
redis_setup "$T/redis"
cp "$T/redis/password" "$T/redis.password"   # the replicas' store_password_file
redis-server "$T/redis/redis.conf" > "$T/redis.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until [ "$(redis_cli "$T/redis" ping)" = PONG ]; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$T/redis.log" >&2; exit 1; }; sleep 0.05
done

# start NAME [extra config lines]: a daemon with its own key; sets PORT.
start() {
    name=$1; shift
    mkdir -m 0700 "$T/state.$name"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$name.pem" 2>/dev/null
    chmod 600 "$T/$name.pem"
    {
        printf 'listen = 127.0.0.1:0\nissuer = https://issuer.test\ntrusted_proxies = 127.0.0.1\n'
        printf 'signing_key = %s\npam_confdir = %s\nstate_dir = %s\n' "$T/$name.pem" "$T/pam.d" "$T/state.$name"
        printf 'threads = %s\npam_workers = %s\nclaims_groups = no\n' "$NCPU" "$NCPU"
        # Counted, as deployed (a limit of 0 would skip the store), but
        # never reached.
        printf 'rate_limit_per_ip = 1000000\nrate_limit_per_user = 1000000\n'
        printf 'max_connections_per_ip = 0\npam_attempts_per_user = 0\npam_attempts_total = 0\n'
        for l in "$@"; do printf '%s\n' "$l"; done
    } > "$T/$name.conf"
    "$PAMJWT_ISSUERD" -c "$T/$name.conf" 2> "$T/$name.log" &
    PIDS="$PIDS $!"
    PORT=$(port_of "$T/$name.log" $!) || { echo "bench_replicas: $name did not start" >&2; exit 1; }
}
REDIS="store = redis+unix://$T/redis/redis.sock
store_password_file = $T/redis.password"
start sqlite; sport=$PORT
start r1 "$REDIS"; r1=$PORT
start r2 "$REDIS"; r2=$PORT

# nginx: one site with replica 1 only, one round robin over both.
fport() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
l1=$(fport); l2=$(fport)
cat > "$T/nginx.conf" <<EOC
daemon off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $T/ncb; proxy_temp_path $T/ncp; fastcgi_temp_path $T/ncf;
    uwsgi_temp_path $T/ncu; scgi_temp_path $T/ncs;
    upstream one { server 127.0.0.1:$r1; keepalive 64; }
    upstream two { server 127.0.0.1:$r1; server 127.0.0.1:$r2; keepalive 64; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For \$remote_addr;
    server { listen 127.0.0.1:$l1; location / { proxy_pass http://one; } }
    server { listen 127.0.0.1:$l2; location / { proxy_pass http://two; } }
}
EOC
"$NGINX" -p "$T" -c "$T/nginx.conf" 2>> "$T/nginx-error.log" &
PIDS="$PIDS $!"
i=0
until curl -s -o /dev/null "http://127.0.0.1:$l2/.well-known/jwks.json"; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$T/nginx-error.log" >&2; exit 1; }; sleep 0.05
done

surl=http://127.0.0.1:$sport/token
rurl=http://127.0.0.1:$r1/token
u1=http://127.0.0.1:$l1/token
u2=http://127.0.0.1:$l2/token
for u in "$surl" "$rurl" "$u1" "$u2"; do wrk -t2 -c4 -d1s -s "$T/password.lua" "$u" > /dev/null; done

# serial URL: logins/s on one connection.
serial() {
    wrk -t1 -c1 -d"$DURATION" -s "$T/password.lua" "$1" > "$T/wrk.out"
    if grep -q 'Non-2xx' "$T/wrk.out"; then cat "$T/wrk.out" >&2; return 1; fi
    awk '/^Requests\/sec:/ { printf "%d", $2 }' "$T/wrk.out"
}
rc=0
for f in one two s1 r1 sN rN; do : > "$T/$f.rates"; done
r=0
while [ $r -lt "$ROUNDS" ]; do
    { rate "$u1" "$T/password.lua" || rc=1; echo; } >> "$T/one.rates"
    { rate "$u2" "$T/password.lua" || rc=1; echo; } >> "$T/two.rates"
    { serial "$surl" || rc=1; echo; } >> "$T/s1.rates"
    { serial "$rurl" || rc=1; echo; } >> "$T/r1.rates"
    { rate "$surl" "$T/password.lua" || rc=1; echo; } >> "$T/sN.rates"
    { rate "$rurl" "$T/password.lua" || rc=1; echo; } >> "$T/rN.rates"
    r=$((r + 1))
done
one=$(median "$T/one.rates"); two=$(median "$T/two.rates")
s1=$(median "$T/s1.rates"); r1s=$(median "$T/r1.rates")
sN=$(median "$T/sN.rates"); rN=$(median "$T/rN.rates")
# The Redis replicas did keep their sessions there.
n=$(redis_cli "$T/redis" dbsize || echo 0)
[ "${n:-0}" -gt 0 ] || { echo "bench_replicas: nothing in Redis: the replicas did not use it" >&2; rc=1; }

echo "replicas ES256 one_per_s=$one two_per_s=$two ratio=$(awk -v a="$two" -v b="$one" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
awk -v s="$s1" -v d="$r1s" -v a="$sN" -v b="$rN" 'BEGIN {
    su = (s > 0 ? 1e6 / s : 0); du = (d > 0 ? 1e6 / d : 0)
    printf "store ES256 sqlite_us=%.0f redis_us=%.0f redis_cost_us=%.0f sqlite_per_s=%d redis_per_s=%d\n", su, du, du - su, a, b }'
exit $rc
