#!/bin/sh
# bench_refresh.sh: per-host tokens/s of jwt-issuerd's refresh_token grant
# (audience=ssh:web1, a new refresh token each time, SQLite store) under a
# keep-alive load (wrk), with the PAM account re-check on every refresh and
# without it (session_account_check = no), beside the password grant on
# pam_permit (with sessions on, as deployed: each one stores a session)
# and bench_issue_baseline (bare libmicrohttpd signing the same
# token without PAM or store), all measured in the same run:
#
#   refresh ES256 acct_check=yes refresh_per_s=N baseline_per_s=M ratio=R password_per_s=P vs_password=V
#   refresh ES256 acct_check=no  ...
#
# vs_password is the refresh rate over the password grant's: the target is
# that a refresh with the account re-check costs no more than a password
# grant on pam_permit (vs_password >= 1).  Each number is the median of
# ROUNDS runs, the servers measured alternately (a machine busy with other
# work slows them alike).  Every wrk run gets fresh sessions: a refresh
# token answers once, so a run's last tokens are spent.  Bounded: per row
# 3 x ROUNDS wrk runs of DURATION, a warm-up, and 2 x CONNS logins a run.
set -eu
cd "$(dirname "$0")/.."
: "${PAMJWT_B:=$(pwd)/build}"
: "${PAMJWT_ISSUERD:=$PAMJWT_B/jwt-issuerd}"
DURATION=${BENCH_ISSUE_DURATION:-3s}
ROUNDS=${BENCH_ISSUE_ROUNDS:-3}
CONNS=32
BASE=$PAMJWT_B/bench/bench_issue_baseline
command -v wrk >/dev/null || { echo "bench_refresh: wrk missing" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench_refresh: curl missing" >&2; exit 1; }
[ -x "$PAMJWT_ISSUERD" ] && [ -x "$BASE" ] || { echo "bench_refresh: build first" >&2; exit 1; }
NCPU=$(nproc)

. bench/issue.inc     # after the cd: the checkout's top

# Each wrk thread takes its own refresh tokens (rt.N, one session per
# connection) and puts back the one each answer brings: a token is never
# presented twice, which the issuer would take for theft.
cat > "$T/refresh.lua" <<'EOL'
local n = 0
function setup(thread)
    n = n + 1
    thread:set("tid", n)
end
local pool = {}
function init(args)
    for l in io.lines(args[1] .. "/rt." .. tid) do pool[#pool + 1] = l end
end
function request()
    local rt = table.remove(pool) or "none-left"
    return wrk.format("POST", "/token",
        { ["Content-Type"] = "application/x-www-form-urlencoded" },
        "grant_type=refresh_token&audience=ssh:web1&refresh_token=" .. rt)
end
function response(status, headers, body)
    local rt = body:match('"refresh_token":"([^"]+)"')
    if rt then pool[#pool + 1] = rt end
end
EOL
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k.pem" 2>/dev/null
chmod 600 "$T/k.pem"

# start NAME [extra config lines]: a daemon; sets PORT.
start() {
    name=$1; shift
    mkdir -m 0700 "$T/state.$name"
    {
        printf 'listen = 127.0.0.1:0\nissuer = https://issuer.test\n'
        printf 'signing_key = %s\npam_confdir = %s\nstate_dir = %s\n' "$T/k.pem" "$T/pam.d" "$T/state.$name"
        printf 'threads = %s\npam_workers = %s\nclaims_groups = no\n' "$NCPU" "$NCPU"
        printf 'allowed_audiences = ssh:*\n'
        # Throughput, not throttling.
        printf 'rate_limit_per_ip = 0\nrate_limit_per_user = 0\nrate_limit_per_session = 0\n'
        printf 'max_connections_per_ip = 0\npam_attempts_per_user = 0\npam_attempts_total = 0\n'
        for l in "$@"; do printf '%s\n' "$l"; done
    } > "$T/$name.conf"
    "$PAMJWT_ISSUERD" -c "$T/$name.conf" 2> "$T/$name.log" &
    PIDS="$PIDS $!"
    PORT=$(port_of "$T/$name.log" $!)
}

# sessions PORT: fresh sessions, CONNS / THREADS + 1 per wrk thread (wrk
# builds one request per thread that it never sends: its token is spare).
NSESS=$((CONNS + THREADS))
sessions() {
    i=0
    rm -f "$T"/rt.*
    while [ $i -lt $NSESS ]; do
        curl -s --max-time 10 -d grant_type=password -d username=alice -d password=benchpass \
            "http://127.0.0.1:$1/token" |
            awk 'match($0, /"refresh_token":"[^"]*"/) { print substr($0, RSTART + 17, RLENGTH - 18) }' \
            >> "$T/rt.$((i % THREADS + 1))"
        i=$((i + 1))
    done
    [ "$(cat "$T"/rt.* | wc -l)" = $NSESS ] || { echo "bench_refresh: no sessions" >&2; return 1; }
}


start password
pport=$PORT
"$BASE" "$T/k.pem" "$NCPU" 2> "$T/base.log" &
bp=$!; PIDS="$PIDS $bp"
burl=http://127.0.0.1:$(port_of "$T/base.log" $bp)/token
start yes "session_account_check = yes"
yport=$PORT
start no "session_account_check = no"
nport=$PORT
purl=http://127.0.0.1:$pport/token
wrk -t2 -c4 -d1s -s "$T/password.lua" "$purl" > /dev/null
wrk -t2 -c4 -d1s -s "$T/password.lua" "$burl" > /dev/null

rc=0
for f in p b yes no; do : > "$T/$f.rates"; done
r=0
while [ $r -lt "$ROUNDS" ]; do
    rate "$purl" "$T/password.lua" >> "$T/p.rates" || rc=1; echo >> "$T/p.rates"
    rate "$burl" "$T/password.lua" >> "$T/b.rates" || rc=1; echo >> "$T/b.rates"
    for v in yes no; do
        [ "$v" = yes ] && port=$yport || port=$nport
        sessions "$port" || rc=1
        rate "http://127.0.0.1:$port/token" "$T/refresh.lua" "$T" >> "$T/$v.rates" || rc=1
        echo >> "$T/$v.rates"
    done
    r=$((r + 1))
done
password=$(median "$T/p.rates")
base=$(median "$T/b.rates")
for v in yes no; do
    n=$(median "$T/$v.rates")
    echo "refresh ES256 acct_check=$v refresh_per_s=$n baseline_per_s=$base" \
         "ratio=$(awk -v a="$n" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
         "password_per_s=$password" \
         "vs_password=$(awk -v a="$n" -v b="$password" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
exit $rc
