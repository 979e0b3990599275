#!/bin/sh
# one_time sweeping (review finding: the sweep stopped after 64 records, so
# stale records behind enough fresh ones were never removed and the replay
# directory grew until one-time logins failed).  A replay_dir holds 3000
# stale and 100 fresh records in the flat layout of earlier versions, and
# 3000 stale records in old buckets beside 100 fresh ones in the current
# bucket; after three logins every stale record is gone and every fresh one
# is still there.
set -u
. "$(dirname "$0")/testlib"

R=$T/replay
mkdir -m 700 "$R"
"$PY" - "$R" <<'PY'
import os, sys, time, hashlib
r = sys.argv[1]
now = int(time.time())
def touch(path, t):
    with open(path, "w") as f:
        f.write("%d\n" % t)
    os.chmod(path, 0o600)
    os.utime(path, (t, t))
def name(i, kind):
    return hashlib.sha256(("%s-%d" % (kind, i)).encode()).hexdigest()
# flat layout: fresh ones (a token still valid somewhere) and stale ones
for i in range(100):
    touch(os.path.join(r, name(i, "flat-fresh")), now + 1000)
for i in range(3000):
    touch(os.path.join(r, name(i, "flat-stale")), 1000 + i)
# buckets: five from long ago, and the one that holds tokens expiring now
for b in range(5):
    d = os.path.join(r, str(600 * (1000 + b)))
    os.mkdir(d, 0o700)
    for i in range(600):
        touch(os.path.join(d, name(b * 600 + i, "bucket-stale")), 600 * (1000 + b) + 60)
d = os.path.join(r, str(now - now % 600))
os.mkdir(d, 0o700)
for i in range(100):
    touch(os.path.join(d, name(i, "bucket-fresh")), now + 60)
PY
count() { find "$R" -type f | wc -l; }
[ "$(count)" = 6200 ] && ok "6200 records to start with" || bad "set-up: $(count) records"

service t "auth required $MOD $BASE one_time replay_dir=$R"
for j in jti1 jti2 jti3; do
    got=$(run t alice $j | sed -n 's/^authenticate=//p')
    [ "$got" = PAM_SUCCESS ] && ok "login $j" || bad "login $j: $got"
    echo "# after $j: $(count) records"
done
left=$(find "$R" -type f | wc -l)
[ "$left" = 203 ] && ok "every stale record removed, the 200 fresh and 3 new kept" ||
    bad "$left records left (want 203)"
n=$(find "$R" -maxdepth 1 -type f | wc -l)
[ "$n" = 100 ] && ok "fresh flat records kept" || bad "$n flat records left (want 100)"
n=$(find "$R" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$n" -le 3 ] && ok "old buckets removed ($n buckets left)" || bad "$n buckets left: $(ls "$R" | grep -v '^[0-9a-f]\{64\}$')"
got=$(run t alice jti1 | sed -n 's/^authenticate=//p')
[ "$got" = PAM_AUTH_ERR ] && ok "a recorded token stays used" || bad "reuse after sweeps: $got"
finish
