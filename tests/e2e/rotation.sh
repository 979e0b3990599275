#!/bin/sh
# Key rotation without a person, end to end: an issuer in key_dir mode on
# a short schedule, two real sshd hosts that trust it only through
# `jwtctl sync`, and a user logging in to both, continuously, for three
# full rotations.  The issue's promise is measured here: zero failed
# logins, the old private keys deleted afterwards, and a revocation added
# at the issuer refused on both hosts within one sync interval.
#
#   jwt-issuerd  TLS (tests/lib/hosts.sh's test CA), key_dir with
#                rotation_period 20 s, publish_ahead 6 s, sync_interval 2 s,
#                token_lifetime 10 s; sessions on; PAM = pam_matrix in a
#                private confdir (alice:secret), on 127.0.0.1
#   web1, web2   sshd in their own UTS and mount namespaces, pam_jwt.so
#                with key= and revoked= in the host's own trust directory;
#                each namespace also runs `jwtctl sync` every 2 s (bounded)
#                after a first install pinned with --trust-kid
#   the client   one `jwtctl login`, then `jwtctl ssh web1` and
#                `jwtctl ssh web2`, one after the other, until the issuer's
#                JWKS has shown three new current keys
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib/harness.sh"
. "$TOP/tests/lib/tmpdir.sh"
. "$TOP/tests/lib/hosts.sh"
SYNC=2
hosts_need
command -v ssh > /dev/null || skip "openssh-client not installed"
[ -f /etc/pam.d/sshd ] || skip "/etc/pam.d/sshd missing (bind-mount target)"
unshare --uts --mount true 2> /dev/null || skip "unshare --uts --mount not permitted"

harness_init pamjwt-rotation
chmod 755 "$T"
FAIL_LOGS="$T/issuer.log $T/web1.log $T/web2.log $T/web1/sync.log $T/web2/sync.log $T/ssh.err" FAIL_TAIL=20
U=alice
PASSWORD=secret

# ---- the issuer ---------------------------------------------------------
hosts_tls
P=$(free_port)
ISS=https://127.0.0.1:$P
install -d -m 0700 "$T/keys" "$T/state"
printf '%s:%s:jwt-issuer\n' "$U" "$PASSWORD" > "$T/passdb"
pam_stack jwt-issuer "auth required $PAM_MATRIX passdb=$T/passdb" \
    "account required $PAM_MATRIX passdb=$T/passdb"
cat > "$T/issuer.conf" <<EOF
listen = 127.0.0.1:$P
issuer = $ISS
audience = ssh:any
allowed_audiences = ssh:web1, ssh:web2
key_dir = $T/keys
key_alg = ES256
rotation_period = 20
publish_ahead = 6
sync_interval = $SYNC
token_lifetime = 10
pam_confdir = $T/pam.d
tls_cert = $T/tls.crt
tls_key = $T/tls.key
claims_groups = no
state_dir = $T/state
session_lifetime = 3600
session_idle = 600
rate_limit_per_session = 100000
EOF
"$ISSUERD" -t -c "$T/issuer.conf" > "$T/issuer-t.log" 2>&1 || { cat "$T/issuer-t.log"; fail "jwt-issuerd -t"; }
start_issuerd "$T/issuer.conf" "$T/issuer.log"
[ "$ISS_PORT" = "$P" ] || fail "issuer on port $ISS_PORT, not $P"

# current_kid: the kid the issuer's JWKS shows as current.
current_kid() {
    curl -sf --cacert "$T/ca.crt" "$ISS/.well-known/jwks.json" |
        "$PY" -c 'import json, sys
print(" ".join(k["kid"] for k in json.load(sys.stdin)["keys"] if k.get("pamjwt_state") == "current"))'
}
KID0=$(current_kid)
[ -n "$KID0" ] && [ "${KID0#* }" = "$KID0" ] || fail "not one current key: '$KID0'"
ok "issuer in key_dir mode on TLS, first key $KID0"

# ---- the two hosts: first install pinned, then a sync loop each ---------
hosts_init "$U" 64996
for h in web1 web2; do
    install -d -m 0755 "$T/$h" "$T/$h/trust"
    "$JWTCTL" sync --issuer "$ISS" --cacert "$T/ca.crt" --trust-kid "$KID0" \
        --dir "$T/$h/trust" > "$T/$h/first-sync.log" 2>&1 ||
        fail "$h: first jwtctl sync: $(cat "$T/$h/first-sync.log")"
    [ -f "$T/$h/trust/jwks.json" ] && [ -f "$T/$h/trust/revoked" ] || fail "$h: sync installed no files"
    hosts_sync_loop "$h" $SYNC
    hosts_start "$h" "key=@DIR@/trust/jwks.json revoked=@DIR@/trust/revoked"
    wait_for test -s "$T/$h/sync.pid" || fail "$h: no sync loop"
done
hosts_client_config
stop_sync() { hosts_stop_sync web1 web2; }
on_exit stop_sync
ok "web1 and web2 installed the bundle pinned to $KID0, and sync every ${SYNC} s"

# ---- the client: logins through three rotations ------------------------
hosts_client "$ISS" "$U"
printf '%s\n' "$PASSWORD" | setsid -w "$JWTCTL" login --password-stdin > "$T/login.out" 2>&1 ||
    fail "jwtctl login: $(cat "$T/login.out")"
logins=0 failures=0 rotations=0 kids=$KID0 last=$KID0
start=$(date +%s)
while [ "$rotations" -lt 3 ] && [ $(( $(date +%s) - start )) -lt 150 ]; do
    for h in web1 web2; do
        if out=$(jssh "$U@$h" id -un) && [ "$out" = "$U" ]; then
            logins=$((logins + 1))
        else
            failures=$((failures + 1))
            echo "login $((logins + failures)) to $h failed at +$(( $(date +%s) - start )) s (current $last): $(cat "$T/ssh.err")"
        fi
    done
    k=$(current_kid)
    if [ -n "$k" ] && [ "$k" != "$last" ]; then
        rotations=$((rotations + 1)); last=$k; kids="$kids $k"
        echo "# +$(( $(date +%s) - start )) s: key $k is current (rotation $rotations, $logins logins so far)"
    fi
done
secs=$(( $(date +%s) - start ))
echo "# rotation test: $logins logins, $failures failed, $rotations rotations in $secs s"
[ "$rotations" = 3 ] || fail "$rotations rotations in $secs s, not 3"
[ "$failures" = 0 ] || fail "$failures of $((logins + failures)) logins failed across the rotations"
[ "$logins" -ge 20 ] || fail "only $logins logins in $secs s"
ok "three rotations ($kids), $logins logins to web1 and web2, 0 failed"

# Both hosts took tokens from every key: each host's log of accepted
# logins grew after the last switch too (the last round above ran on it).
for h in web1 web2; do
    n=$(grep -c "Accepted [a-z-]*\(/pam\)\? for $U from 127.0.0.1" "$T/$h.log")
    [ "$n" -ge $((logins / 2)) ] || fail "sshd $h accepted $n logins, fewer than $((logins / 2))"
    for k in $kids; do
        grep -q "\"$k\"" "$T/$h/trust/jwks.json" || [ "$k" = "$KID0" ] ||
            fail "$h: key $k never reached the host's jwks.json"
    done
done
ok "each sshd accepted its share; every new key reached both hosts' jwks.json"

# ---- a revocation reaches both hosts within one sync interval ----------
t0=$(date +%s%N)
"$JWTCTL" revoke --sub "$U" --state-dir "$T/state" > "$T/revoke.out" 2>&1 ||
    fail "jwtctl revoke: $(cat "$T/revoke.out")"
both() { grep -qx "sub $U" "$T/web1/trust/revoked" && grep -qx "sub $U" "$T/web2/trust/revoked"; }
WAIT_TRIES=200 WAIT_STEP=0.05 wait_for both || fail "the revocation did not reach both hosts in 10 s"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# revocation on both hosts after $ms ms (sync interval ${SYNC} s)"
[ "$ms" -le $(( (SYNC + 1) * 1000 )) ] || fail "revocation took $ms ms, more than one sync interval (+1 s)"
for h in web1 web2; do
    if out=$(jssh "$U@$h" id -un); then fail "$h: revoked $U logged in: $out"; fi
done
# Why: pam_jwt.so logs to syslog, so ask jwtctl verify, which runs the
# module's checks on web1's own files.
tok=$("$JWTCTL" token --audience ssh:web1) || fail "jwtctl token"
if printf '%s\n' "$tok" | "$JWTCTL" verify issuer="$ISS" audience=ssh:web1 \
        key="$T/web1/trust/jwks.json" revoked="$T/web1/trust/revoked" --user "$U" - > "$T/verify.out" 2>&1; then
    fail "web1's files accept a token of the revoked $U"
fi
grep -qi 'revoked' "$T/verify.out" || fail "not refused as revoked: $(cat "$T/verify.out")"
ok "jwtctl revoke --sub $U: on both hosts in $ms ms, and $U's next tokens are refused there"

# ---- the old private keys are gone --------------------------------------
old=$(echo "$kids" | cut -d' ' -f1-2)
gone() { for k in $old; do [ ! -e "$T/keys/$k.key" ] || return 1; done; }
WAIT_TRIES=120 WAIT_STEP=1 wait_for gone || fail "old private keys still in key_dir: $(ls "$T/keys")"
for k in $old; do
    ! grep -q "\"$k\"" "$T/keys/schedule.json" || fail "$k still in the schedule"
    ! curl -sf --cacert "$T/ca.crt" "$ISS/.well-known/jwks.json" | grep -q "\"$k\"" ||
        fail "$k still published"
done
ok "the first two keys' private files are deleted and unpublished ($(ls "$T/keys" | tr '\n' ' '))"

stop_sync
for h in web1 web2; do stop_pid "$(eval echo \$SSHD_$h)"; done
hosts_unchanged "$U"
done_cases
