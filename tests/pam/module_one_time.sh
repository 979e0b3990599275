#!/bin/sh
# one_time: single-use tokens in the replay directory, under concurrency
# (sshd forks one process per connection).
set -u
. "$(dirname "$0")/testlib"

R=$T/replay                      # created 0700 by the module
OT="$BASE one_time replay_dir=$R"

# name of the record for jti (sha256 of iss NUL jti), as replay.c computes it
rec() {
    "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()+b"\0"+sys.argv[2].encode()).hexdigest())' "$ISS" "$1"
}
# exp of a token case
texp() {
    "$PY" -c 'import base64,json,sys; p=open(sys.argv[1]).read().split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"=="))["exp"])' "$TOK/$1"
}
# where the record of token case $1 with jti $2 lives: its exp's bucket
recpath() {
    e=$(texp "$1")
    echo "$R/$((e - e % 600))/$(rec "$2")"
}

service t "auth required $MOD $OT"
first=$(run t alice jti1 | sed -n 's/^authenticate=//p')
[ "$first" = PAM_SUCCESS ] && ok "first use" || bad "first use: $first"
again=$(run t alice jti1 | sed -n 's/^authenticate=//p')
[ "$again" = PAM_AUTH_ERR ] && ok "second use refused" || bad "second use: $again"
grep -q 'reason="jti already used"' "$T/syslog" && ok "replay logged" || bad "replay not logged"
other=$(run t alice jti2 | sed -n 's/^authenticate=//p')
[ "$other" = PAM_SUCCESS ] && ok "another jti" || bad "another jti: $other"
nojti=$(run t alice good | sed -n 's/^authenticate=//p')
[ "$nojti" = PAM_AUTH_ERR ] && ok "no jti refused" || bad "no jti: $nojti"
mode=$(stat -c %a "$R")
[ "$mode" = 700 ] && ok "replay_dir created 0700" || bad "replay_dir mode $mode"
[ "$(stat -c %u "$R")" = "$(id -u)" ] && ok "replay_dir owned by the module's user" ||
    bad "replay_dir owner $(stat -c %u "$R")"
# What the man pages say it does (created when missing, not its parent).
grep -q 'is missing the module creates it, mode 0700' "$TOP/pam_module/pam_jwt.8" &&
    grep -q 'Created by the module when missing' "$TOP/pam_module/pam_jwt.conf.5" &&
    ok "pam_jwt(8), pam_jwt.conf(5): replay_dir created when missing" ||
    bad "the man pages do not say that replay_dir is created"
[ -f "$(recpath jti1 one-1)" ] && ok "record named by hash, in its exp's bucket" ||
    bad "record missing: $(find "$R")"
# A jti that looks like a path is only ever hashed.
trav=$(run t alice jti3 | sed -n 's/^authenticate=//p')
[ "$trav" = PAM_SUCCESS ] && ok "path-like jti" || bad "path-like jti: $trav"
bad_names=$(cd "$R" && find . -mindepth 1 | grep -cv '^\./[1-9][0-9]*\(/[0-9a-f]\{64\}\)\{0,1\}$')
[ "$bad_names" = 0 ] && ok "only buckets and hash names in replay_dir" || bad "other names: $(find "$R")"
[ "$(stat -c %a "$(dirname "$(recpath jti1 one-1)")")" = 700 ] && ok "bucket 0700" ||
    bad "bucket mode $(stat -c %a "$(dirname "$(recpath jti1 one-1)")")"
# The record's time is exp + leeway (60), for an administrator's ls.
rtime=$(stat -c %Y "$(recpath jti1 one-1)")
[ "$rtime" = "$(($(texp jti1) + 60))" ] && ok "record time exp+leeway" || bad "record time $rtime, exp $(texp jti1)"

# A failed token is never recorded (its jti stays usable).
n0=$(ls "$R" | wc -l)
run t bob jti_conc >/dev/null
n1=$(ls "$R" | wc -l)
[ "$n0" = "$n1" ] && ok "failure records nothing" || bad "failure recorded"

# Records of the flat layout (before buckets) still count, and are swept
# once no service can need them; an existing record is never replaced.
touch -d @1000 "$R/$(printf '%064d' 0)"
stale=$R/$(rec bad-jti)
echo 1000 > "$stale"; chmod 600 "$stale"; touch -d @1000 "$stale"
fresh=$R/$(printf '%064d' 1)
: > "$fresh"; touch -d @$(($(date +%s) + 600)) "$fresh"
got=$(run t alice revoked_jti | sed -n 's/^authenticate=//p')
[ "$got" = PAM_AUTH_ERR ] && ok "flat record still counts" || bad "flat record: $got"
got=$(run t alice jti4 | sed -n 's/^authenticate=//p')
[ "$got" = PAM_SUCCESS ] && ok "another login" || bad "another login: $got"
[ ! -e "$R/$(printf '%064d' 0)" ] && [ ! -e "$stale" ] && ok "old flat records swept" || bad "not swept"
[ -e "$fresh" ] && ok "recent flat record kept" || bad "recent flat record swept"
got=$(run t alice revoked_jti | sed -n 's/^authenticate=//p')
[ "$got" = PAM_SUCCESS ] && ok "jti usable once its old record is gone" || bad "after sweep: $got"
got=$(run t alice revoked_jti | sed -n 's/^authenticate=//p')
[ "$got" = PAM_AUTH_ERR ] && ok "and only once" || bad "after record: $got"

# Safety of the directory.
mkdir -p "$T/open"; chmod 755 "$T/open"
check replay-dir-0755   PAM_SERVICE_ERR alice jti2 "$BASE one_time replay_dir=$T/open"
ln -s "$R" "$T/link"
# a symbolic link in its place breaks the file trust rule: unsafe, not unreadable
check replay-dir-link   PAM_SERVICE_ERR alice jti2 "$BASE one_time replay_dir=$T/link"
check replay-dir-noparent PAM_AUTHINFO_UNAVAIL alice jti2 "$BASE one_time replay_dir=$T/no/such/dir"
[ ! -e "$T/no" ] && ok "a missing parent of replay_dir is not created" || bad "the module created $T/no"
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$T/foreign"; chmod 700 "$T/foreign"; chown 65534 "$T/foreign"
    check replay-dir-owner PAM_SERVICE_ERR alice jti2 "$BASE one_time replay_dir=$T/foreign"
fi
flush_checks

# Concurrency: 20 processes present the same token at once; they are held
# at a gate (a shared flock they wait for) and released together.  Under
# valgrind 6 (20 valgrinds on two cores take minutes; the race is the same).
NPROC=20
[ -n "${VALGRIND:-}" ] && NPROC=6
C=$T/conc
mkdir -p "$C"
exec 9>"$T/gate"
flock -x 9
i=0
while [ $i -lt $NPROC ]; do
    flock -s "$T/gate" ${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice \
        -p "@$TOK/jti_conc" -o "$C/out.$i" -l "$T/syslog" 9>&- &
    i=$((i + 1))
done
sleep 1
flock -u 9
exec 9>&-
wait
succ=$(cat "$C"/out.* | grep -c '^authenticate=PAM_SUCCESS$')
fail=$(cat "$C"/out.* | grep -c '^authenticate=PAM_AUTH_ERR$')
[ "$succ" = 1 ] && [ "$fail" = $((NPROC - 1)) ] && ok "$NPROC at once: exactly one success" ||
    bad "$NPROC at once: $succ successes, $fail failures"
leftover=$(ls -A "$R" | grep -c '^tmp\.')
[ "$leftover" = 0 ] && ok "no temporary files left" || bad "tmp files left: $leftover"

# The same under threads: 8 threads, one PAM handle each, in one process.
service t "auth required $MOD $BASE one_time replay_dir=$T/replay2"
unexpected=$( ${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/jti1" -t 8 -n 1 \
    -x PAM_SUCCESS -o "$T/thr.out" -l "$T/syslog"; sed -n 's/.*unexpected=\([0-9]*\).*/\1/p' "$T/thr.out")
[ "$unexpected" = 7 ] && ok "8 threads at once: exactly one success" ||
    bad "8 threads: $unexpected of 8 not successful (want 7)"

finish
