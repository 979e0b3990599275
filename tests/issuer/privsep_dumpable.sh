#!/bin/sh
# Review finding 3: the process that holds the signing key is not dumpable
# (no core file, no ptrace or /proc/PID/mem for other processes of its
# user), the unit sets LimitCORE=0, and PAM helpers and the programs PAM
# runs start with default signal dispositions and an empty signal mask,
# not the supervisor's SIG_IGN (which would survive their exec).
#
# The kernel shows the files of a non-dumpable process's /proc/PID as root's
# (proc(5)), so the daemon is started as nobody directly (as a unit with
# User= would run it): no credential change inside the daemon could reset
# the flag for it.  Then again as root with `user = nobody`.
. "$(dirname "$0")/helpers.inc"
[ "$(id -u)" = 0 ] || { echo "needs root (setpriv to nobody)" >&2; exit 77; }
command -v setpriv >/dev/null || { echo "setpriv missing" >&2; exit 77; }
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"

grep -q '^LimitCORE=0$' "$TOP/etc/systemd/jwt-issuerd.service" || fail "the unit does not set LimitCORE=0"
ok "jwt-issuerd.service: LimitCORE=0"

keygen ES256 "$T/sign.pem"
passdb
: > "$T/sig.log"
pam_stack jwt-issuer "auth optional pam_exec.so log=$T/sig.log /bin/grep -E ^Sig(Ign|Blk): /proc/self/status" \
    "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://issuer.test
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
pam_workers = 1
EOC
chmod 0644 "$T/iss.conf" "$T/passdb" "$T/pam.d/jwt-issuer"
for_user nobody "$T/sign.pem" "$T/sig.log"
nobody_gid=$(id -g nobody)
cat > "$T/as-nobody" <<EOS
#!/bin/sh
exec setpriv --reuid=nobody --regid=$nobody_gid --clear-groups "$PAMJWT_ISSUERD" "\$@"
EOS
chmod 0755 "$T/as-nobody"

# field PID NAME: a /proc/PID/status field.
field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# sigs PID WHAT: the helper's (or a program's) signal state must be empty.
check_sigs() {
    ign=$(field "$1" SigIgn); blk=$(field "$1" SigBlk)
    [ "$ign" = 0000000000000000 ] || fail "$2: SigIgn $ign (ignored signals inherited)"
    [ "$blk" = 0000000000000000 ] || fail "$2: SigBlk $blk (blocked signals inherited)"
}

for mode in nobody user; do
    if [ $mode = nobody ]; then
        PAMJWT_ISSUERD=$T/as-nobody start_issuerd "$T/iss.conf" "$T/log1"
        what="started as nobody"
    else
        echo "user = nobody" >> "$T/iss.conf"
        start_issuerd "$T/iss.conf" "$T/log2"
        what="root, user = nobody"
    fi
    [ "$(field "$ISS_PID" Uid)" = "$(id -u nobody)" ] || fail "$what: daemon uid $(field "$ISS_PID" Uid)"
    owner=$(stat -c %u "/proc/$ISS_PID/status")
    [ "$owner" = 0 ] || fail "$what: the key-holding process is dumpable (/proc/$ISS_PID/status owned by uid $owner)"
    ok "$what: the HTTP (signing) process is not dumpable"

    sup=$(pgrep -P "$ISS_PID" | head -n 1)
    helper() { pgrep -P "$sup" | head -n 1; }
    have_helper() { [ -n "$(helper)" ]; }
    wait_for have_helper || fail "$what: no helper"
    check_sigs "$(helper)" "$what: PAM helper"
    ok "$what: PAM helper: no ignored, no blocked signal"

    : > "$T/sig.log"
    [ "$(login alice secret)" = 200 ] || fail "$what: login: $(cat "$T/out")"
    grep -q '^SigIgn:' "$T/sig.log" || fail "$what: pam_exec's program did not report: $(cat "$T/sig.log")"
    ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "$T/sig.log")
    blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "$T/sig.log")
    [ "$ign" = 0000000000000000 ] && [ "$blk" = 0000000000000000 ] \
        || fail "$what: the program pam_exec ran: SigIgn $ign SigBlk $blk"
    ok "$what: a program pam_exec runs: no ignored, no blocked signal"
    stop_issuerd
    [ "$ISS_RC" = 0 ] || fail "$what: exit $ISS_RC"
done
done_cases
