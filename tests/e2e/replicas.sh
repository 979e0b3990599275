#!/bin/sh
# README "More than one issuer", end to end on loopback:
#   redis-server  started here: a private unix socket, a password, no
#                 persistence (PID tracked)
#   replica A, B  jwt-issuerd with the store lines of etc/replicas, each its
#                 own key_dir: A on a short schedule (rotation_period 20 s,
#                 publish_ahead 6 s, sync_interval 2 s, token_lifetime 10 s),
#                 B on a long one
#   nginx         etc/nginx/jwt-issuer.conf with its upstream replaced by
#                 etc/replicas/nginx-upstream.conf (round robin), TLS
#   web1, web2    sshd with pam_jwt.so (tests/lib/hosts.sh), each syncing
#                 through nginx every 2 s after a first sync pinned with
#                 --trust-file (the merged JWKS: a bundle through nginx is
#                 signed by whichever replica answered)
#   the client    `jwtctl login`, then `jwtctl ssh` to both hosts
# Cases: both kids in every JWKS, bundle and host; a token of either
# replica logs in on both hosts; two rotations on A under continuous
# logins: zero failures; B killed (SIGKILL) under load: only requests in
# flight fail, every one started after it succeeds through A; Redis
# stopped: 503 + Retry-After and no token, /healthz degraded, JWKS and
# bundle still served; Redis restarted: logins resume and A's next key
# reaches the hosts, no issuer restarted.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib/harness.sh"
. "$TOP/tests/lib/tmpdir.sh"
. "$TOP/tests/lib/hosts.sh"
SYNC=2
hosts_need
command -v redis-server > /dev/null && command -v redis-cli > /dev/null ||
    skip "redis-server not installed (make deps installs redis-server): replicas not tested"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || skip "nginx not installed (make deps installs nginx-light): replicas not tested"
for c in ssh sshpass curl jq; do command -v $c > /dev/null || skip "$c not installed (make deps)"; done
[ -f /etc/pam.d/sshd ] || skip "/etc/pam.d/sshd missing (bind-mount target)"
unshare --uts --mount true 2> /dev/null || skip "unshare --uts --mount not permitted"

harness_init pamjwt-replicas
chmod 755 "$T"        # nginx workers (nobody) read their temp paths under it
FAIL_LOGS="$T/a.log $T/b.log $T/redis.log $T/nginx-error.log $T/web1/sync.log $T/ssh.err" FAIL_TAIL=20
U=alice
PASSWORD=secret
xpids=""
on_exit 'for p in $xpids; do stop_pid "$p"; done'

# ---- Redis: a private socket, a password, nothing on disk -----------------
. "$(dirname "$0")/../lib/redis.sh"
redis_setup "$T/redis"
cp "$T/redis/password" "$T/redis.password"   # the replicas' store_password_file
rcli() { redis_cli "$T/redis" "$@"; }
start_redis() {
    redis-server "$T/redis/redis.conf" >> "$T/redis.log" 2>&1 &
    RPID=$!; track "$RPID"
    _pong() { [ "$(rcli ping 2> /dev/null)" = PONG ]; }
    WAIT_TRIES=100 WAIT_STEP=0.05 wait_for _pong || fail "redis-server did not answer PING"
}
start_redis

# ---- the two replicas -----------------------------------------------------
hosts_tls
LB=$(free_port)
ISS=https://127.0.0.1:$LB
printf '%s:%s:jwt-issuer\n' "$U" "$PASSWORD" > "$T/passdb"
pam_stack jwt-issuer "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
# replica NAME PERIOD AHEAD: its config (the etc/replicas lines, with this
# test's socket, password file and key_dir; rate limits counted in Redis
# but never reached) and the daemon; sets PID_NAME, PORT_NAME.
replica() {
    install -d -m 0700 "$T/keys-$1"
    cat > "$T/$1.conf" <<EOF
listen = 127.0.0.1:0
trusted_proxies = 127.0.0.1
issuer = $ISS
audience = ssh:any
allowed_audiences = ssh:web1, ssh:web2
key_dir = $T/keys-$1
key_alg = ES256
rotation_period = $2
publish_ahead = $3
sync_interval = $SYNC
token_lifetime = 10
store = redis+unix://$T/redis/redis.sock
store_password_file = $T/redis.password
store_timeout = 2
pam_confdir = $T/pam.d
claims_groups = no
session_lifetime = 3600
session_idle = 600
rate_limit_per_session = 100000
rate_limit_per_user = 100000
rate_limit_per_ip = 100000
pam_attempts_per_user = 0
pam_attempts_total = 0
EOF
    "$ISSUERD" -t -c "$T/$1.conf" > "$T/$1-t.log" 2>&1 || { cat "$T/$1-t.log"; fail "jwt-issuerd -t ($1)"; }
    start_issuerd "$T/$1.conf" "$T/$1.log"
    eval "PID_$1=\$ISS_PID PORT_$1=\$ISS_PORT"
}
replica a 20 6
replica b 3600 600
current() { "$JWTCTL" keys list --current --key-dir "$T/keys-$1"; }
KA=$(current a); KB=$(current b)
[ -n "$KA" ] && [ -n "$KB" ] && [ "$KA" != "$KB" ] || fail "current kids: A '$KA', B '$KB'"

# ---- nginx: the shipped site, the replicas' upstream ------------------------
hport=$(free_port)
sed -e "s|server 127.0.0.1:8081 |server 127.0.0.1:$PORT_a |" -e "s|server 127.0.0.1:8082 |server 127.0.0.1:$PORT_b |" \
    "$TOP/etc/replicas/nginx-upstream.conf" > "$T/upstream.conf"
awk -v inc="$T/upstream.conf" '
    /^upstream jwt_issuer \{/ { print "include " inc ";"; skip = 1; next }
    skip { if ($0 ~ /^\}/) skip = 0; next }
    { print }' "$TOP/etc/nginx/jwt-issuer.conf" |
sed -e "s|/etc/ssl/certs/login.example.com.pem|$T/tls.crt|" \
    -e "s|/etc/ssl/private/login.example.com.key|$T/tls.key|" \
    -e "s|listen 80;|listen 127.0.0.1:$hport;|" -e '/listen \[::\]:80;/d' \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$LB ssl http2;|" -e '/listen \[::\]:443/d' > "$T/site.conf"
for want in "server 127.0.0.1:$PORT_a " "server 127.0.0.1:$PORT_b " "include $T/upstream.conf;" "127.0.0.1:$LB ssl"; do
    grep -qF "$want" "$T/site.conf" "$T/upstream.conf" || fail "could not adapt the site (no '$want'): etc/nginx or etc/replicas changed?"
done
cat > "$T/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events { worker_connections 768; }
http {
    access_log off;
    client_body_temp_path $T/ncb; proxy_temp_path $T/ncp; fastcgi_temp_path $T/ncf;
    uwsgi_temp_path $T/ncu; scgi_temp_path $T/ncs;
    include $T/site.conf;
}
EOF
"$NGINX" -t -q -p "$T" -c "$T/nginx.conf" 2>> "$T/nginx-error.log" || fail "nginx -t"
"$NGINX" -p "$T" -c "$T/nginx.conf" 2>> "$T/nginx-error.log" &
track $!
C="curl -s --max-time 20 --cacert $T/ca.crt"
_lb() { $C -o /dev/null "$ISS/.well-known/jwks.json"; }
wait_for _lb || fail "nginx not answering on $ISS"

# ---- case 1: both kids everywhere ---------------------------------------
jwks_kids() { $C "$1/.well-known/jwks.json" | jq -r '.keys[].kid' | sort | tr '\n' ' '; }
# The kids of the bundle's payload (JWS JSON serialization or compact).
bundle_kids() {
    $C "$1/.well-known/pamjwt-trust.jws" | "$PY" -c 'import base64, json, sys
t = sys.stdin.read().strip()
p = json.loads(t)["payload"] if t.startswith("{") else t.split(".")[1]
d = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
print(" ".join(sorted(k["kid"] for k in d["jwks"]["keys"])))'
}
has_both() { case " $1 " in *" $KA "*) case " $1 " in *" $KB "*) return 0 ;; esac ;; esac; return 1; }
_merged() {
    for u in "http://127.0.0.1:$PORT_a" "http://127.0.0.1:$PORT_b"; do
        has_both "$(jwks_kids "$u")" && has_both "$(bundle_kids "$u" 2> /dev/null)" || return 1
    done
}
# Heartbeat 10 s, re-collected at most every 5 s: 20 s at the most.
WAIT_TRIES=100 WAIT_STEP=0.2 wait_for _merged ||
    fail "not both kids ($KA, $KB) in each replica's JWKS and bundle: A $(jwks_kids "http://127.0.0.1:$PORT_a"), B $(jwks_kids "http://127.0.0.1:$PORT_b")"
for i in 1 2 3 4; do
    has_both "$(jwks_kids "$ISS")" && has_both "$(bundle_kids "$ISS")" || fail "through nginx (try $i): not both kids"
done
ok "A's kid $KA and B's kid $KB in both replicas' JWKS and trust bundles, and through nginx"

# ---- the hosts: a pinned first sync, then a loop each --------------------
$C "http://127.0.0.1:$PORT_a/.well-known/jwks.json" > "$T/pin.json"
hosts_init "$U" 64995
for h in web1 web2; do
    install -d -m 0755 "$T/$h" "$T/$h/trust"
    "$JWTCTL" sync --issuer "$ISS" --cacert "$T/ca.crt" --trust-file "$T/pin.json" \
        --dir "$T/$h/trust" > "$T/$h/first-sync.log" 2>&1 ||
        fail "$h: first jwtctl sync through nginx: $(cat "$T/$h/first-sync.log")"
    hosts_sync_loop "$h" $SYNC
    hosts_start "$h" "key=@DIR@/trust/jwks.json revoked=@DIR@/trust/revoked"
    wait_for test -s "$T/$h/sync.pid" || fail "$h: no sync loop"
    has_both "$(jq -r '.keys[].kid' "$T/$h/trust/jwks.json" | tr '\n' ' ')" || fail "$h: not both kids in jwks.json"
done
hosts_client_config
stop_sync() { hosts_stop_sync web1 web2; }
on_exit stop_sync
ok "web1 and web2 synced through nginx (pinned with the merged JWKS), both kids installed; sync every ${SYNC} s"

# ---- case 2: a token of either replica logs in on both hosts ----------------
# Straight to each replica (not through nginx), one token per host.
kid_of() {
    printf '%s' "${1%%.*}" | "$PY" -c 'import base64, json, sys
h = sys.stdin.read().strip()
print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4))).get("kid", ""))' 2> /dev/null
}
for r in a b; do
    for h in web1 web2; do
        tok=$(curl -s --max-time 20 -u "$U:$PASSWORD" -d grant_type=password -d audience=ssh:$h \
            "http://127.0.0.1:$(eval echo \$PORT_$r)/token" | jq -r .access_token)
        k=$(kid_of "$tok")
        [ -n "$k" ] && [ -e "$T/keys-$r/$k.key" ] || fail "replica $r signed with '$k', not a key of its key_dir"
        out=$(SSHPASS=$tok timeout 60 sshpass -e ssh -F "$T/ssh_config" \
            -o PreferredAuthentications=keyboard-interactive,password "$U@$h" id -un 2> "$T/ssh.err" < /dev/null) ||
            fail "$h: a token of replica $r ($k) did not log in: $(cat "$T/ssh.err")"
        [ "$out" = "$U" ] || fail "$h: logged in as '$out'"
    done
done
ok "tokens signed by replica A and by replica B each log in on web1 and web2"

# ---- the client -----------------------------------------------------------
hosts_client "$ISS" "$U"
login() {
    printf '%s\n' "$PASSWORD" | setsid -w "$JWTCTL" login --password-stdin > "$T/login.out" 2>&1
}
login || fail "jwtctl login through nginx: $(cat "$T/login.out")"
# round: one login to each host; counts logins/failures, prints failures.
logins=0 failures=0
round() {
    for h in web1 web2; do
        if out=$(jssh "$U@$h" id -un) && [ "$out" = "$U" ]; then
            logins=$((logins + 1))
        else
            failures=$((failures + 1))
            echo "# login to $h failed at $(date +%T.%N | cut -c1-12): $(cat "$T/ssh.err")"
            return 1
        fi
    done
}

# ---- case 3: a rotation on A while logging in through nginx ---------------
k0=$(current a) rot=0 start=$(date +%s)
while [ $rot -lt 2 ] && [ $(( $(date +%s) - start )) -lt 90 ]; do
    round || true
    k=$(current a)
    [ "$k" = "$k0" ] || { rot=$((rot + 1)); echo "# +$(( $(date +%s) - start )) s: A's key $k is current ($logins logins)"; k0=$k; }
done
[ $rot = 2 ] || fail "$rot rotations on A in 90 s, not 2"
[ $failures = 0 ] || fail "$failures of $((logins + failures)) logins failed across A's rotations"
[ $logins -ge 10 ] || fail "only $logins logins"
for h in web1 web2; do
    grep -q "\"$k0\"" "$T/$h/trust/jwks.json" || fail "$h: A's new key $k0 not synced"
done
ok "two rotations on replica A, $logins logins through nginx to web1 and web2 (refreshes on either replica), 0 failed"

# ---- case 4: replica B killed under load ----------------------------------
# Two password-grant clients through nginx, and the ssh logins; each
# request logged as "START_NS END_NS CODE".  B dies by SIGKILL mid-run.
worker() {
    i=0
    while [ $i -lt 3000 ] && [ ! -e "$T/stop-load" ]; do
        s=$(date +%s%N)
        c=$($C -o /dev/null -w '%{http_code}' -u "$U:$PASSWORD" -d grant_type=password "$ISS/token")
        echo "$s $(date +%s%N) $c"
        i=$((i + 1))
    done > "$T/load.$1"
}
rm -f "$T/stop-load"
for w in 1 2; do worker $w & xpids="$xpids $!"; done
failures=0 logins=0 relogins=0
kill_at=$(( $(date +%s) + 3 )) killed="" t=$(date +%s)
while [ $(( $(date +%s) - t )) -lt 12 ]; do
    if [ -z "$killed" ] && [ "$(date +%s)" -ge $kill_at ]; then
        kill -KILL "$PID_b"; wait "$PID_b" 2> /dev/null || true
        killed=$(date +%s%N); echo "# replica B (PID $PID_b) killed"
    fi
    if ! round; then
        # A refresh that B rotated and never answered is a reuse next time:
        # the session ends, as it should; log in again.
        if ! "$JWTCTL" status > /dev/null 2>&1; then login || fail "login after B died"; relogins=$((relogins + 1)); fi
    fi
done
touch "$T/stop-load"
for p in $xpids; do wait "$p" 2> /dev/null || true; done; xpids=""
[ -n "$killed" ] || fail "B was never killed"
total=$(cat "$T"/load.* | wc -l)
bad_before=$(awk -v k="$killed" '$3 != 200 && $1 < k' "$T"/load.* | wc -l)
bad_after=$(awk -v k="$killed" '$3 != 200 && $1 >= k' "$T"/load.* | wc -l)
after=$(awk -v k="$killed" '$1 >= k' "$T"/load.* | wc -l)
echo "# load: $total password grants, $bad_before failed (started before the kill), $bad_after failed after it ($after started after); ssh: $logins ok, $failures failed, $relogins new logins"
awk -v k="$killed" '$3 != 200' "$T"/load.* | head -5 | sed "s/^/# failed: /"
[ "$bad_after" = 0 ] || fail "$bad_after requests started after B died failed"
[ $((bad_before + failures)) -le 3 ] || fail "$bad_before grants and $failures ssh logins failed: more than the 3 clients had in flight"
[ "$after" -ge 20 ] && [ "$logins" -ge 4 ] || fail "too little load after the kill ($after grants, $logins ssh logins)"
ok "replica B killed under load: $((bad_before + failures)) requests in flight failed (at most one per client), all $after started after it went to A"

# ---- case 5: Redis stopped: 503, no token, degraded; then back ------------
stop_pid "$RPID"; wait "$RPID" 2> /dev/null || true
sleep 0.5
n503=0 ntok=0
for i in 1 2 3 4 5; do
    code=$($C -D "$T/h.out" -o "$T/b.out" -w '%{http_code}' -u "$U:$PASSWORD" -d grant_type=password "$ISS/token")
    [ "$code" = 503 ] && n503=$((n503 + 1))
    grep -q access_token "$T/b.out" && ntok=$((ntok + 1))
done
[ $n503 = 5 ] && [ $ntok = 0 ] || fail "with Redis down: $n503 of 5 answered 503, $ntok tokens issued: $(cat "$T/b.out")"
grep -qi '^Retry-After: *[0-9]' "$T/h.out" || fail "503 without Retry-After: $(cat "$T/h.out")"
jq -e '.error == "temporarily_unavailable"' "$T/b.out" > /dev/null || fail "503 body: $(cat "$T/b.out")"
if out=$(jssh "$U@web1" id -un); then fail "a refresh went through with Redis down: $out"; fi
# (straight to A: through nginx a GET answered 503 moves on to B, which is dead)
code=$(curl -s --max-time 20 -o "$T/hz.out" -w '%{http_code}' "http://127.0.0.1:$PORT_a/healthz")
[ "$code" = 503 ] && grep -qi degraded "$T/hz.out" || fail "/healthz of A with Redis down: $code $(cat "$T/hz.out")"
k=$(current a)
case " $(jwks_kids "$ISS") " in *" $k "*) ;; *) fail "JWKS with Redis down lacks A's current key $k" ;; esac
$C -o /dev/null -f "$ISS/.well-known/pamjwt-trust.jws" || fail "trust bundle not served with Redis down"
ok "Redis down: /token 503 temporarily_unavailable with Retry-After (5 of 5, no token), no refresh, /healthz 503 degraded, JWKS and bundle still served"

start_redis
t0=$(date +%s)
_issues() { [ "$($C -o /dev/null -w '%{http_code}' -u "$U:$PASSWORD" -d grant_type=password "$ISS/token")" = 200 ]; }
WAIT_TRIES=60 WAIT_STEP=0.5 wait_for _issues || fail "no token 30 s after Redis came back"
echo "# tokens again $(( $(date +%s) - t0 )) s after Redis restarted"
kill -0 "$PID_a" || fail "replica A is gone"
# A fresh Redis has no sessions: the old one is unknown, a new login works.
login || fail "jwtctl login after Redis came back: $(cat "$T/login.out")"
logins=0 failures=0
round && round || fail "logins after Redis came back"
# And the schedule goes on: A's next key, published and synced through the
# new Redis, logs in too (hosts refuse a bundle older than theirs: the
# empty Redis's trust version must start above it, jwt-issuerd(8) REPLICAS).
k1=$(current a)
_rotated() { [ "$(current a)" != "$k1" ]; }
WAIT_TRIES=80 WAIT_STEP=0.5 wait_for _rotated || fail "no rotation on A in 40 s after Redis came back"
round && round || fail "logins with A's key made after Redis came back ($(current a)): $(tail -n 3 "$T/web1/sync.log")"
ok "Redis restarted on the same socket: tokens and logins resume, and A's next key reaches the hosts (replica A never restarted)"

stop_sync
for h in web1 web2; do stop_pid "$(eval echo \$SSHD_$h)"; done
hosts_unchanged "$U"
done_cases
