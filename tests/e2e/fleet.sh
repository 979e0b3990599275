#!/bin/sh
# The README's fleet recipes with the real daemon and the real module:
#  - per-host audience: the issuer's allowed_audiences, a request for
#    audience=ssh:<this host>, a host whose pam_jwt.conf says ssh:%h;
#  - one-time tokens: the README's pam line with one_time, replay_dir made
#    as the README says; the second use is refused;
#  - rotating fixed keys by hand, step by step as the README's appendix lists it (keygen, publish_key,
#    SIGHUP, copy the JWKS, switch, keep the old key, drop it), checking at
#    each step which tokens a host accepts.
# The issuer's PAM is pam_matrix in a private confdir; the host's PAM runs
# through pamtester + pam_wrapper, with nss_wrapper for the account.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
. tests/lib/harness.sh
ISSUERD=${PAMJWT_ISSUERD:-$TOP/issuer/jwt-issuerd/jwt-issuerd}
PAMJWT_ISSUERD=$ISSUERD
JWTCTL=${PAMJWT_JWTCTL:-$TOP/issuer/jwtctl/jwtctl}
MODULE=${PAMJWT_MODULE:-$TOP/pam_module/pam_jwt.so}
PAM_MATRIX=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so
for f in "$ISSUERD" "$JWTCTL" "$MODULE"; do
    [ -f "$f" ] || { echo "not built yet: $f"; exit 77; }
done
for c in curl jq pamtester; do
    command -v "$c" >/dev/null || { echo "$c missing (make deps)"; exit 77; }
done
[ -z "${PAMJWT_SAN:-}" ] || { echo "not run on a sanitizer build (LD_PRELOAD wrappers)"; exit 77; }

harness_init pamjwt-fleet
FAIL_LOGS=$T/issuer.log FAIL_TAIL=20
umask 077

host=$(hostname -s 2>/dev/null || hostname); host=${host%%.*}
E=$T/etc          # stands in for /etc/pamjwt on the issuer
H=$T/host         # stands in for /etc/security on a host
mkdir -p "$E" "$H" "$T/pam.d" "$T/svc"

# ---- the issuer, as in "Deploying" + "Per-host audience" ----------------
"$JWTCTL" keygen --alg ES256 "$E/signing.key" > /dev/null
printf 'alice:secret:jwt-issuer\n' > "$T/passdb"
printf 'auth required %s passdb=%s\naccount required %s passdb=%s\n' \
    "$PAM_MATRIX" "$T/passdb" "$PAM_MATRIX" "$T/passdb" > "$T/pam.d/jwt-issuer"
# conf [EXTRA-LINES]: the issuer's config file.
conf() {
    cat > "$E/jwt-issuerd.conf" <<EOF
listen = 127.0.0.1:0
issuer = https://login.example.com
audience = ssh:any
allowed_audiences = ssh:web1, ssh:web2, ssh:$host, sudo:$host
pam_confdir = $T/pam.d
claims_groups = no
session_lifetime = 0
EOF
    printf '%s\n' "$@" >> "$E/jwt-issuerd.conf"
}
conf "signing_key = $E/signing.key"
"$ISSUERD" -t -c "$E/jwt-issuerd.conf" > /dev/null || fail "jwt-issuerd -t"
start_issuerd "$E/jwt-issuerd.conf" "$T/issuer.log"
pid=$ISS_PID port=$ISS_PORT
URL=http://127.0.0.1:$port

# token [AUDIENCE]: a token for alice.
token() {
    if [ -n "${1:-}" ]; then
        curl -s -u alice:secret -d grant_type=password -d "audience=$1" "$URL/token"
    else
        curl -s -u alice:secret -d grant_type=password "$URL/token"
    fi | jq -r .access_token
}
kid_of() { "$JWTCTL" decode "$1" | sed -n 's/.*"kid": *"\([^"]*\)".*/\1/p' | head -n 1; }
fetch_jwks() { curl -sf "$URL/.well-known/jwks.json" > "$H/jwks.json.tmp" && mv "$H/jwks.json.tmp" "$H/jwks.json"; chmod 0644 "$H/jwks.json"; }

# ---- a host, as in "Each host" ------------------------------------------
fetch_jwks
cat > "$H/pam_jwt.conf" <<EOF
issuer = https://login.example.com
audience = ssh:%h
key = $H/jwks.json
EOF
chmod 0644 "$H/pam_jwt.conf"
printf 'alice:x:4300:4300::/nonexistent:/bin/false\n' > "$T/passwd"
printf 'alice:x:4300:\n' > "$T/group"
printf 'auth required pam_deny.so\n' > "$T/svc/other"
# hostlogin SERVICE-ARGS TOKEN: the README pam line on this host.
hostlogin() {
    printf 'auth [success=done ignore=ignore default=die] %s config=%s %s\naccount required pam_permit.so\n' \
        "$MODULE" "$H/pam_jwt.conf" "$1" > "$T/svc/sshd"
    printf '%s\n' "$2" | LD_PRELOAD=libpam_wrapper.so:libnss_wrapper.so PAM_WRAPPER=1 \
        PAM_WRAPPER_SERVICE_DIR="$T/svc" NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
        pamtester sshd alice authenticate > "$T/pam.out" 2>&1
}
verify() { "$JWTCTL" verify --config "$H/pam_jwt.conf" --user alice "$1" > "$T/verify.out" 2>&1; }

# ---- per-host audience ----------------------------------------------------
t_here=$(token "ssh:$host")
t_web2=$(token ssh:web2)
t_default=$(token)
[ "$t_here" != null ] && [ -n "$t_here" ] || fail "no token for audience ssh:$host"
hostlogin "" "$t_here" || { cat "$T/pam.out"; fail "token for ssh:$host refused on $host"; }
hostlogin "" "$t_web2" && fail "token for ssh:web2 accepted on $host"
verify "$t_web2" && fail "jwtctl verify accepted ssh:web2 on $host"
grep -q '^aud  *FAIL' "$T/verify.out" || { cat "$T/verify.out"; fail "jwtctl verify does not point at aud"; }
hostlogin "" "$t_default" && fail "default-audience token accepted by a per-host audience"
out=$(curl -s -u alice:secret -d grant_type=password -d audience=ssh:elsewhere "$URL/token")
case $out in *'"error"'*) ;; *) fail "an audience outside allowed_audiences was issued: $out" ;; esac
ok "per-host audience: ssh:$host accepted via %h, ssh:web2 and the default refused (aud), unlisted audience not issued"

# ---- one-time tokens ------------------------------------------------------
install -d -m 0700 "$T/replay"
t1=$(token "ssh:$host")
hostlogin "one_time replay_dir=$T/replay" "$t1" || { cat "$T/pam.out"; fail "one_time: first use refused"; }
hostlogin "one_time replay_dir=$T/replay" "$t1" && fail "one_time: second use accepted"
t2=$(token "ssh:$host")
hostlogin "one_time replay_dir=$T/replay" "$t2" || fail "one_time: a fresh token refused"
ok "one_time: first use accepted, second refused, next token accepted"

# ---- rotating fixed keys by hand, the README appendix's steps ---------------
nkeys() { curl -sf "$URL/.well-known/jwks.json" | jq '.keys | length'; }
reload_until() {   # reload_until N: SIGHUP, then wait for N keys in the JWKS
    kill -HUP "$pid"
    i=0
    until [ "$(nkeys)" = "$1" ]; do
        [ $i -lt 100 ] || fail "JWKS did not reach $1 key(s) after SIGHUP"
        sleep 0.1; i=$((i + 1))
    done
}
old=$(token "ssh:$host"); old_kid=$(kid_of "$old")
[ "$(nkeys)" = 1 ] || fail "JWKS should start with one key"
# 1. the next key, published beside the current one
"$JWTCTL" keygen --alg ES256 "$E/next.key" > /dev/null
[ -f "$E/next.key.pub" ] || fail "keygen wrote no next.key.pub"
conf "signing_key = $E/signing.key" "publish_key = $E/next.key.pub"
"$ISSUERD" -t -c "$E/jwt-issuerd.conf" > /dev/null || fail "step 1: -t"
reload_until 2
[ "$(kid_of "$(token "ssh:$host")")" = "$old_kid" ] || fail "step 1: signing key changed too early"
ok "rotation step 1: next key published (2 keys), still signing with the old one"
# 2-3. copy the JWKS to the host; both keys are trusted there
fetch_jwks
hostlogin "" "$old" || fail "step 2: old token refused after the JWKS update"
# 4. switch the signing key; the old public key stays published
conf "signing_key = $E/next.key" "publish_key = $E/signing.key.pub"
"$ISSUERD" -t -c "$E/jwt-issuerd.conf" > /dev/null || fail "step 4: -t"
kill -HUP "$pid"
i=0
until new=$(token "ssh:$host") && [ "$(kid_of "$new")" != "$old_kid" ]; do
    [ $i -lt 100 ] || fail "step 4: still signing with the old key after SIGHUP"
    sleep 0.1; i=$((i + 1))
done
[ "$(nkeys)" = 2 ] || fail "step 4: the old key is no longer published"
hostlogin "" "$new" || fail "step 4: a host with the step-2 JWKS refuses the new key's token"
hostlogin "" "$old" || fail "step 5: a token of the old key refused while it is still valid"
ok "rotation steps 2-5: hosts updated first accept new-key tokens; old-key tokens keep working"
# 6. drop the old key: issuer and hosts
conf "signing_key = $E/next.key"
reload_until 1
fetch_jwks
hostlogin "" "$new" || fail "step 6: the new key's token refused"
hostlogin "" "$old" && fail "step 6: the old key's token still accepted after its key was dropped"
verify "$old" && fail "step 6: jwtctl verify accepts the old key's token"
grep -Eq '^(key|signature)  *FAIL' "$T/verify.out" || { cat "$T/verify.out"; fail "step 6: jwtctl verify does not point at the key"; }
ok "rotation step 6: old key dropped, its tokens refused (jwtctl verify names the key)"

# A broken key on SIGHUP leaves the running key in service (README step 1 note).
echo "garbage" > "$E/broken.pub"; chmod 0644 "$E/broken.pub"
conf "signing_key = $E/next.key" "publish_key = $E/broken.pub"
kill -HUP "$pid"
sleep 0.5
kill -0 "$pid" || fail "a broken key on SIGHUP killed the daemon"
hostlogin "" "$(token "ssh:$host")" || fail "after a broken reload the old config is not in service"
ok "a broken key on SIGHUP is refused and the running config stays in service"

done_cases
