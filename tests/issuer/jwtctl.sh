#!/bin/sh
# jwtctl: every subcommand, its refusals and exit codes, keygen's atomic
# no-clobber writes, verify explaining why a token is refused, and a
# cross-check: tokens from `jwtctl sign` verify with PyJWT against the JWKS
# from `jwtctl jwks` (and a PyJWT token passes `jwtctl verify`).
set -eu
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

J=${PAMJWT_JWTCTL:-}
PY=/usr/bin/python3
if [ -z "$J" ] || [ ! -x "$J" ]; then
    echo "jwtctl not built (PAMJWT_JWTCTL=$J)" >&2
    exit 77
fi
J="${VALGRIND:-} $J"
harness_init pamjwt-jwtctl
tmp=$T
FAIL_LOGS=" "     # run prints out and err itself
cd "$tmp"

# run CODE CMD...: run CMD (output in out/err), check its exit status.
run() {
    want=$1; shift
    set +e
    "$@" >out 2>err
    got=$?
    set -e
    if [ "$got" -ne "$want" ]; then
        echo "--- stdout"; cat out; echo "--- stderr"; cat err
        fail "exit $got, want $want: $*"
    fi
}
has() { grep -q -- "$1" "${2:-out}" || { cat "${2:-out}"; fail "no '$1' in ${2:-out}"; }; }
hasnt() { ! grep -q -- "$1" "${2:-out}" || { cat "${2:-out}"; fail "'$1' in ${2:-out}"; }; }
mode() { stat -c %a "$1"; }
no_temp() { ! ls -A "${1:-.}" | grep -q '\.tmp-' || fail "temp file left in ${1:-.}"; }

# ---- help and usage -------------------------------------------------------
run 0 $J --help; has "exit status"; has keygen; has verify
run 2 $J; has usage err
run 2 $J frobnicate; has "unknown command" err
for c in keygen jwks sign decode verify; do
    run 0 $J $c --help; has "usage: jwtctl $c"; has "exit status"
    run 2 $J $c --no-such-option
done
ok "help and usage for every command"

# ---- keygen -----------------------------------------------------------------
run 0 $J keygen es.pem
[ "$(mode es.pem)" = 600 ] || fail "es.pem mode $(mode es.pem)"
[ "$(mode es.pem.pub)" = 644 ] || fail "es.pem.pub mode"
has "BEGIN PRIVATE KEY" es.pem; has "BEGIN PUBLIC KEY" es.pem.pub
hasnt "PRIVATE" es.pem.pub
openssl pkey -in es.pem -noout -text 2>/dev/null | grep -q "prime256v1\|P-256" \
    || fail "es.pem is not a P-256 key"
no_temp
ok "keygen ES256 (default): 0600 private, 0644 public"

sum=$(cksum < es.pem)
run 1 $J keygen es.pem; has "exists" err
[ "$(cksum < es.pem)" = "$sum" ] || fail "keygen overwrote es.pem"
no_temp
rm es.pem.pub
run 1 $J keygen es.pem; has "exists" err
[ ! -e es.pem.pub ] || fail "keygen wrote a .pub beside a refused OUT"
no_temp
ok "keygen refuses to overwrite, leaves no temp file"

cp es.pem old.pem
run 0 $J keygen --force es.pem
! cmp -s es.pem old.pem || fail "--force did not replace es.pem"
[ "$(mode es.pem)" = 600 ] || fail "forced es.pem mode"
[ -e es.pem.pub ] || fail "forced keygen wrote no .pub"
no_temp
ok "keygen --force replaces atomically"

(umask 000 && $J keygen --alg EdDSA ed.pem 2>/dev/null) || fail "keygen EdDSA"
[ "$(mode ed.pem)" = 600 ] || fail "umask 000 loosened ed.pem: $(mode ed.pem)"
[ "$(mode ed.pem.pub)" = 644 ] || fail "ed.pem.pub mode"
openssl pkey -in ed.pem -noout -text 2>/dev/null | grep -qi ed25519 || fail "not Ed25519"
(umask 077 && $J keygen --alg RS256 rs.pem 2>/dev/null) || fail "keygen RS256"
[ "$(mode rs.pem.pub)" = 644 ] || fail "umask 077 tightened rs.pem.pub"
openssl pkey -in rs.pem -noout -text 2>/dev/null | grep -q "3072 bit" || fail "RSA not 3072"
run 0 $J keygen --alg HS256 hs.key
[ "$(mode hs.key)" = 600 ] || fail "hs.key mode"
[ "$(wc -c < hs.key)" -eq 32 ] || fail "hs.key is not 32 bytes"
[ ! -e hs.key.pub ] || fail "HS256 wrote a .pub"
ok "keygen EdDSA, RS256 (3072), HS256 (32 raw bytes, no .pub); modes despite umask"

run 2 $J keygen --alg none x.pem; run 2 $J keygen --alg HS384 x.pem
run 2 $J keygen; run 2 $J keygen a b
[ ! -e x.pem ] || fail "x.pem written"
# A missing directory is named, not keygen's temp file in it.
run 1 $J keygen "$tmp/no/such/dir/k.pem"; has "$tmp/no/such/dir: no such directory" err
hasnt ".tmp-" err
mkdir ro && chmod 555 ro
if [ "$(id -u)" -ne 0 ]; then
    run 1 $J keygen ro/k.pem
fi
no_temp ro
ok "keygen: bad --alg and arguments are usage errors; unwritable dir fails"

# --alg is case-insensitive.
run 0 $J keygen --alg es256 lc.pem
openssl pkey -in lc.pem -noout -text 2>/dev/null | grep -q "prime256v1\|P-256" || fail "es256 is not P-256"
run 0 $J keygen --alg eDdSa lc2.pem
run 0 $J keygen --alg hs256 lc.key
[ "$(wc -c < lc.key)" -eq 32 ] || fail "hs256 is not a 32-byte secret"
rm -f lc.pem lc.pem.pub lc2.pem lc2.pem.pub lc.key
ok "keygen --alg is case-insensitive (es256, eDdSa, hs256)"

# ---- jwks -------------------------------------------------------------------
run 0 $J jwks es.pem ed.pem.pub rs.pem
cp out jwks.json
$PY - jwks.json <<'EOF' || fail "jwks output"
import json, sys
j = json.load(open(sys.argv[1]))
ks = j["keys"]
assert len(ks) == 3, ks
assert sorted(k["kty"] for k in ks) == ["EC", "OKP", "RSA"], ks
for k in ks:
    assert "kid" in k and len(k["kid"]) == 43, k
    for priv in ("d", "p", "q", "dp", "dq", "qi", "k"):
        assert priv not in k, ("private member", priv)
EOF
run 1 $J jwks hs.key
run 1 $J jwks nonexistent.pem; has nonexistent err
printf 'not a key\n' > junk.pem
run 1 $J jwks junk.pem
run 2 $J jwks
run 0 $J jwks jwks.json
cmp -s out jwks.json || fail "jwks of a JWKS is not the same JWKS"
ok "jwks: public halves only, kids, refuses secrets, missing and junk files"

# ---- sign -------------------------------------------------------------------
NOW=$(date +%s)
CL='{"iss":"https://issuer.test","aud":"host1","sub":"alice"}'
run 0 $J sign --key es.pem --claims "$CL" --lifetime 1800
es_tok=$(cat out)
[ "$(printf %s "$es_tok" | tr -cd . | wc -c)" -eq 2 ] || fail "not a compact JWS"
run 0 $J sign --key ed.pem --claims "$CL" --lifetime 1800; ed_tok=$(cat out)
run 0 $J sign --key rs.pem --claims "$CL" --lifetime 1800; rs_tok=$(cat out)
run 0 $J sign --key rs.pem --alg PS256 --claims "$CL" --lifetime 1800; ps_tok=$(cat out)
run 0 $J sign --key hs.key --claims "$CL" --lifetime 1800; hs_tok=$(cat out)
printf '%s' "$CL" > claims.json
run 0 $J sign --key es.pem --claims @claims.json --kid my-kid
file_tok=$(cat out)
run 0 $J decode "$file_tok"
has '"kid": "my-kid"'; has '"typ": "JWT"'; hasnt '"exp"'
run 0 $J decode "$es_tok"
has '"alg": "ES256"'
$PY - "$es_tok" "$NOW" <<'EOF' || fail "--lifetime claims"
import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
assert c["exp"] - c["iat"] == 1800, c
assert abs(c["iat"] - int(sys.argv[2])) < 120, c
assert c["sub"] == "alice"
EOF
ok "sign with ES256, EdDSA, RS256, PS256, HS256; @file; --kid; --lifetime"

run 1 $J sign --key ed.pem --alg ES256 --claims "$CL"; has "not usable" err
run 1 $J sign --key es.pem.pub --claims "$CL"; has "private" err
run 1 $J sign --key es.pem --claims '{"a":1,"a":2}'
run 1 $J sign --key es.pem --claims '[1,2]'
run 1 $J sign --key es.pem --claims '{"a":'
run 1 $J sign --key es.pem --claims @missing.json
run 1 $J sign --key missing.pem --claims "$CL"
run 2 $J sign --key es.pem --claims "$CL" --alg none
run 2 $J sign --key es.pem --claims "$CL" --lifetime -5
run 2 $J sign --key es.pem --claims "$CL" --lifetime 5x
run 2 $J sign --claims "$CL"
run 2 $J sign --key es.pem
run 2 $J sign --key es.pem --claims "$CL" extra
ok "sign refuses wrong alg, public keys, bad JSON, bad arguments"

# ---- decode -----------------------------------------------------------------
run 0 $J decode "$hs_tok"
has UNVERIFIED; has '"alg": "HS256"'; has '"sub": "alice"'; has "# exp "
printf '%s\n' "$es_tok" | $J decode - > out 2>err || fail "decode -"
has UNVERIFIED; has '"alg": "ES256"'
run 1 $J decode not-a-token
run 1 $J decode a.b.c
run 2 $J decode
run 2 $J decode a b
ok "decode: labelled UNVERIFIED, stdin, refuses non-JWS input"

# ---- verify -----------------------------------------------------------------
OPTS="issuer=https://issuer.test audience=host1 key=$tmp/es.pem.pub key=$tmp/ed.pem.pub"
run 0 $J verify $OPTS --user alice "$es_tok"
has "signature  PASS"; has "user       PASS"; has "result     PASS"
run 0 $J verify $OPTS --user alice "$ed_tok"
printf '%s\n' "$es_tok" | $J verify $OPTS --user alice - > out 2>err \
    || fail "verify from stdin"
has "result     PASS"
ok "verify accepts good tokens (argument and stdin)"

run 1 $J verify $OPTS --user alice --now $((NOW + 10000)) "$es_tok"
has "exp        FAIL"; has "result     FAIL"
run 1 $J verify $OPTS --user alice --now $((NOW - 10000)) "$es_tok"
has "iat        FAIL"
run 1 $J verify issuer=https://issuer.test audience=host2 key=$tmp/es.pem.pub \
    --user alice "$es_tok"
has "aud        FAIL"; has 'host2'
run 1 $J verify $OPTS --user bob "$es_tok"
has "user       FAIL"; has 'bob'
run 1 $J verify issuer=https://other.test audience=host1 key=$tmp/es.pem.pub \
    --user alice "$es_tok"
has "iss        FAIL"
# several failures are all shown
run 1 $J verify $OPTS --user bob --now $((NOW + 10000)) "$es_tok"
has "exp        FAIL"; has "user       FAIL"
ok "verify explains: expired, iat in the future, wrong aud, wrong user, wrong iss"
# -v names the function that refused, and only with -v
hasnt "^where "
run 1 $J verify -v $OPTS --user alice --now $((NOW + 10000)) "$es_tok"
has "result     FAIL"; has "^where      [a-z_]"
ok "verify -v names the refusing function"

# tampered signature: flip one character of it
sig=${es_tok##*.}
first=$(printf %s "$sig" | cut -c1)
if [ "$first" = A ]; then new=B; else new=A; fi
bad="${es_tok%.*}.${new}$(printf %s "$sig" | cut -c2-)"
run 1 $J verify $OPTS --user alice "$bad"
has "signature  FAIL"; hasnt "iss        "
# tampered payload: another sub, same signature
evil=$(printf '{"iss":"https://issuer.test","aud":"host1","sub":"root","exp":%s}' \
       $((NOW + 300)) | base64 -w0 | tr '+/' '-_' | tr -d '=')
bad2="${es_tok%%.*}.${evil}.${sig}"
run 1 $J verify $OPTS --user root "$bad2"
has "signature  FAIL"
# a token signed by a key we do not trust
run 1 $J verify issuer=https://issuer.test audience=host1 key=$tmp/ed.pem.pub \
    --user alice "$es_tok"
has "alg        FAIL"
# a kid no loaded key has (a missed rotation step): named in the report.
# JWKS keys have kids of their own and are selected by kid only; a PEM key
# has none and answers any kid (pam_jwt(8) KEY SELECTION).
run 0 $J sign --key es.pem --kid next-key-2 --claims "$CL" --lifetime 60
cp out next.tok
$J jwks es.pem > es.jwks 2>/dev/null
run 1 $J verify issuer=https://issuer.test audience=host1 key=$tmp/es.jwks \
    --user alice "$(cat next.tok)"
has "key        FAIL"; has '"next-key-2"'
run 0 $J verify $OPTS --user alice "$(cat next.tok)"
has 'token kid "next-key-2": key .* (no kid of its own, matches any)'
ok "verify refuses tampered signature and payload, untrusted key, unknown kid"

# alg none, in several spellings, with and without a signature
b64() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
pl=$(printf '{"iss":"https://issuer.test","aud":"host1","sub":"alice","exp":%s}' \
     $((NOW + 300)) | b64)
for a in none None NONE; do
    h=$(printf '{"alg":"%s"}' "$a" | b64)
    run 1 $J verify $OPTS --user alice "$h.$pl."
    has "result     FAIL"
    run 1 $J verify $OPTS --user alice "$h.$pl.AAAA"
    has "alg        FAIL"
done
# HS256 keyed with the public PEM (key confusion): jwtctl sign will not
# make one (a PEM is never taken as a secret), so forge it
conf_tok=$($PY - es.pem.pub "$NOW" <<'EOF'
import hmac, hashlib, base64, json, sys
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
h = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
p = b(json.dumps({"iss": "https://issuer.test", "aud": "host1", "sub": "alice",
                  "exp": int(sys.argv[2]) + 300}).encode())
k = open(sys.argv[1], "rb").read()
s = b(hmac.new(k, (h + "." + p).encode(), hashlib.sha256).digest())
print(h + "." + p + "." + s)
EOF
)
run 1 $J verify $OPTS --user alice "$conf_tok"; has "alg        FAIL"
ok "verify refuses alg none (any case) and RS/HS key confusion"

# ---- verify: configuration --------------------------------------------------
cat > pam_jwt.conf <<EOF
# test config
issuer = https://issuer.test
audience = wrong-host
key = $tmp/es.pem.pub
leeway = 30
one_time
prompt = Token:
debug
EOF
chmod 644 pam_jwt.conf
run 1 $J verify --config $tmp/pam_jwt.conf --user alice "$es_tok"; has "aud        FAIL"
# an argument replaces the file's line of the same name, as in the module
run 0 $J verify --config $tmp/pam_jwt.conf audience=host1 --user alice "$es_tok"
has "one_time   SKIP"; has "result     PASS"
run 0 $J verify config=$tmp/pam_jwt.conf audience=host1 --user alice "$es_tok"
chmod 664 pam_jwt.conf
run 2 $J verify --config $tmp/pam_jwt.conf audience=host1 --user alice "$es_tok"
chmod 644 pam_jwt.conf
printf 'issuer = x\nfrobnicate = 1\n' > bad.conf
run 2 $J verify --config $tmp/bad.conf --user alice "$es_tok"; has "bad.conf:2: unknown option" err
run 2 $J verify --config $tmp/missing.conf --user alice "$es_tok"
run 2 $J verify audience=host1 key=$tmp/es.pem.pub --user alice "$es_tok"; has issuer err
run 2 $J verify issuer=x key=$tmp/es.pem.pub --user alice "$es_tok"; has audience err
run 2 $J verify issuer=x audience=y --user alice "$es_tok"
run 2 $J verify issuer=x audience=y key=$tmp/missing.pem --user alice "$es_tok"
run 2 $J verify issuer=x audience=y key=$tmp/es.pem.pub algorithms=HS256 --user alice "$es_tok"
has hmac_secret err
run 2 $J verify issuer=x audience=y key=$tmp/es.pem.pub leeway=abc --user alice "$es_tok"
cp es.pem.pub gw.pub && chmod 666 gw.pub
run 2 $J verify issuer=x audience=y key=$tmp/gw.pub --user alice "$es_tok"
run 2 $J verify $OPTS "$es_tok"; has "--user" err
run 2 $J verify $OPTS --user alice
run 2 $J verify $OPTS --user alice "$es_tok" "$es_tok"
run 2 $J verify $OPTS --user alice --now soon "$es_tok"
ok "verify: config file, argument override, config errors exit 2"

# The module's option rules, through the module's own loader: every trusted
# file named by an absolute path (config=, --config, key=, hmac_secret=,
# revoked=, replay_dir=), use_first_pass / try_first_pass without a value.
run 2 $J verify issuer=x audience=y key=es.pem.pub --user alice "$es_tok"; has "absolute path" err
run 2 $J verify --config pam_jwt.conf audience=host1 --user alice "$es_tok"; has "absolute path" err
run 2 $J verify config=pam_jwt.conf audience=host1 --user alice "$es_tok"; has "absolute path" err
run 2 $J verify $OPTS revoked=revoked --user alice "$es_tok"; has "absolute path" err
run 2 $J verify $OPTS replay_dir=state --user alice "$es_tok"; has "absolute path" err
run 2 $J verify $OPTS use_first_pass=no --user alice "$es_tok"; has "takes no value" err
run 2 $J verify $OPTS try_first_pass=yes --user alice "$es_tok"; has "takes no value" err
run 0 $J verify $OPTS use_first_pass try_first_pass --user alice "$es_tok"
ok "verify: module option rules (absolute paths, first-pass flags take no value)"

# HS256 through hmac_secret; %s audience through --service
run 0 $J verify issuer=https://issuer.test audience=host1 hmac_secret=$tmp/hs.key \
    --user alice "$hs_tok"
chmod 644 hs.key
run 2 $J verify issuer=https://issuer.test audience=host1 hmac_secret=$tmp/hs.key \
    --user alice "$hs_tok"
chmod 600 hs.key
run 0 $J sign --key es.pem --claims \
    '{"iss":"https://issuer.test","aud":"svc:sudo","sub":"alice"}' --lifetime 60
svc_tok=$(cat out)
run 0 $J verify issuer=https://issuer.test 'audience=svc:%s' key=$tmp/es.pem.pub \
    --service sudo --user alice "$svc_tok"
run 1 $J verify issuer=https://issuer.test 'audience=svc:%s' key=$tmp/es.pem.pub \
    --user alice "$svc_tok"
has "svc:sshd"
printf 'jti nope\nsub alice\n' > revoked && chmod 644 revoked
run 1 $J verify $OPTS revoked=$tmp/revoked --user alice "$es_tok"; has "revoked    FAIL"
ok "verify: hmac_secret and its mode, %s audience, revocation list"

# ---- cross-check with PyJWT -------------------------------------------------
run 0 $J jwks es.pem ed.pem rs.pem
cp out all.jwks
for pair in "ES256:$es_tok" "EdDSA:$ed_tok" "RS256:$rs_tok" "PS256:$ps_tok"; do
    alg=${pair%%:*}; tok=${pair#*:}
    $PY - all.jwks "$tok" "$alg" <<'EOF' || fail "PyJWT refused the $alg token"
import json, sys, jwt
jwks = jwt.PyJWKSet.from_dict(json.load(open(sys.argv[1])))
tok, alg = sys.argv[2], sys.argv[3]
kid = jwt.get_unverified_header(tok)["kid"]
key = [k for k in jwks.keys if k.key_id == kid][0]
c = jwt.decode(tok, key.key, algorithms=[alg], audience="host1",
               issuer="https://issuer.test")
assert c["sub"] == "alice"
# and a tampered copy is refused
h, p, s = tok.split(".")
s = ("B" if s[0] == "A" else "A") + s[1:]
try:
    jwt.decode(".".join((h, p, s)), key.key, algorithms=[alg], audience="host1")
except jwt.InvalidSignatureError:
    pass
else:
    raise SystemExit("tampered token accepted")
EOF
done
$PY - hs.key "$hs_tok" <<'EOF' || fail "PyJWT refused the HS256 token"
import sys, jwt
c = jwt.decode(sys.argv[2], open(sys.argv[1], "rb").read(), algorithms=["HS256"],
               audience="host1", issuer="https://issuer.test")
assert c["sub"] == "alice"
EOF
ok "PyJWT verifies jwtctl's ES256, EdDSA, RS256, PS256 tokens from the JWKS, and HS256"

# and the other way: PyJWT signs, jwtctl verify accepts
py_tok=$($PY - es.pem <<'EOF'
import sys, time, jwt
now = int(time.time())
print(jwt.encode({"iss": "https://issuer.test", "aud": ["x", "host1"],
                  "sub": "alice", "iat": now, "exp": now + 120},
                 open(sys.argv[1], "rb").read(), algorithm="ES256"))
EOF
)
run 0 $J verify $OPTS --user alice "$py_tok"
ok "jwtctl verify accepts a PyJWT ES256 token (aud array)"

# ---- verify --check, the default config, ISO times -----------------------------
printf 'issuer = https://issuer.test\naudience = host1\nkey = %s\n' "$tmp/es.pem.pub" > pj.conf
chmod 0644 pj.conf
run 0 $J verify --config "$tmp/pj.conf" --check
has "configuration OK: $tmp/pj.conf; issuer https://issuer.test, audience host1, algorithms ES256"
printf 'issuer = https://issuer.test\naudience = host1\nkey = %s\n' "$tmp/missing.pub" > bad.conf
chmod 0644 bad.conf
run 2 $J verify --config "$tmp/bad.conf" --check; has "missing.pub" err
chmod 0666 pj.conf
run 2 $J verify --config "$tmp/pj.conf" --check; has "writable" err
chmod 0644 pj.conf
run 2 $J verify --config "$tmp/pj.conf" --check "$es_tok"; has "takes no token" err
run 0 $J verify issuer=https://issuer.test audience=host1 key=$tmp/es.pem.pub --check
has "(arguments only)"
ok "verify --check: a good config and its keys load (0), a missing key or an unsafe file is 2"
if [ ! -e /etc/security/pam_jwt.conf ]; then
    run 2 $J verify --user alice "$es_tok"
    has "no configuration: /etc/security/pam_jwt.conf" err
    run 2 $J verify --check; has "/etc/security/pam_jwt.conf" err
    ok "verify without --config reads /etc/security/pam_jwt.conf (absent here: says so)"
fi
run 1 $J verify --config "$tmp/pj.conf" --user alice --now $((NOW + 10000)) "$es_tok"
grep -Eq 'exp +FAIL +expired: exp [0-9]+ \([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z, [0-9]+ (min|h) ago\), now [0-9]+ \([0-9-]+T[0-9:]+Z\)' out \
    || { cat out; fail "expired: no ISO time with an age"; }
ok "verify prints times as epoch, ISO 8601 UTC and age"

no_temp
done_cases
