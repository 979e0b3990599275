#!/bin/sh
# bench_issue.sh: tokens/s of jwt-issuerd's POST /token with a pam_permit
# stack under a keep-alive load (wrk), against bench_issue_baseline (bare
# libmicrohttpd signing the same token without PAM) measured in the same
# run, one row per algorithm:
#
#   issue ALG tokens_per_s=N baseline_per_s=M ratio=R
#
# The two servers run side by side and are measured alternately, ROUNDS
# times each, and each number is the median: a machine busy with other work
# then slows both alike.  Bounded: per algorithm 2 x ROUNDS wrk runs of
# DURATION plus two 1 s warm-ups.
set -eu
cd "$(dirname "$0")/.."
: "${PAMJWT_B:=$(pwd)/build}"
: "${PAMJWT_ISSUERD:=$PAMJWT_B/jwt-issuerd}"
DURATION=${BENCH_ISSUE_DURATION:-3s}
ROUNDS=${BENCH_ISSUE_ROUNDS:-3}
CONNS=32
BASE=$PAMJWT_B/bench/bench_issue_baseline
command -v wrk >/dev/null || { echo "bench_issue: wrk missing" >&2; exit 1; }
[ -x "$PAMJWT_ISSUERD" ] && [ -x "$BASE" ] || { echo "bench_issue: build first" >&2; exit 1; }
NCPU=$(nproc)

. bench/issue.inc     # after the cd: the checkout's top

rc=0
for ALG in ES256 EdDSA; do
    case $ALG in
        ES256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k.pem" 2>/dev/null ;;
        EdDSA) openssl genpkey -algorithm ED25519 -out "$T/k.pem" 2>/dev/null ;;
    esac
    chmod 600 "$T/k.pem"
    cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/k.pem
session_lifetime = 0
pam_confdir = $T/pam.d
threads = $NCPU
pam_workers = $NCPU
claims_groups = no
# Throughput, not throttling: 32 concurrent logins of one user would
# otherwise meet the per-user limits (attempts in flight count).
rate_limit_per_ip = 0
rate_limit_per_user = 0
max_connections_per_ip = 0
pam_attempts_per_user = 0
pam_attempts_total = 0
EOC
    "$PAMJWT_ISSUERD" -c "$T/iss.conf" 2> "$T/iss.log" &
    ip=$!; PIDS="$PIDS $ip"
    "$BASE" "$T/k.pem" "$NCPU" 2> "$T/base.log" &
    bp=$!; PIDS="$PIDS $bp"
    iurl=http://127.0.0.1:$(port_of "$T/iss.log" $ip)/token
    burl=http://127.0.0.1:$(port_of "$T/base.log" $bp)/token
    wrk -t2 -c4 -d1s -s "$T/password.lua" "$iurl" > /dev/null
    wrk -t2 -c4 -d1s -s "$T/password.lua" "$burl" > /dev/null
    : > "$T/i.rates"; : > "$T/b.rates"
    r=0
    while [ $r -lt "$ROUNDS" ]; do
        rate "$iurl" "$T/password.lua" >> "$T/i.rates" || rc=1; echo >> "$T/i.rates"
        rate "$burl" "$T/password.lua" >> "$T/b.rates" || rc=1; echo >> "$T/b.rates"
        r=$((r + 1))
    done
    issued=$(median "$T/i.rates")
    base=$(median "$T/b.rates")
    kill $ip $bp; wait $ip || true; wait $bp || true

    echo "issue $ALG tokens_per_s=$issued baseline_per_s=$base ratio=$(awk -v a="$issued" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
exit $rc
