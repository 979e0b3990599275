#!/bin/sh
# Audiences a token may carry.  Without `audience` a token is for the issuer
# itself (its `issuer` URL, what /userinfo accepts), never a literal some
# host might expect.  `allowed_audiences = ssh:*` lets a request name
# "ssh:" plus one host name, and nothing else: no second audience, no other
# prefix, no characters outside a host name.  A pattern without a "PREFIX:"
# before its '*' is a configuration error.
. "$(dirname "$0")/helpers.inc"

keygen ES256 "$T/sign.pem"
matrix_stack
conf() {   # conf [EXTRA LINE...]
    printf '%s\n' "listen = 127.0.0.1:0" "issuer = https://issuer.test" \
        "signing_key = $T/sign.pem" "pam_confdir = $T/pam.d" "session_lifetime = 0" \
        "rate_limit_per_ip = 0" "rate_limit_per_user = 0" "$@"
}
aud_of() {
    $PY -c 'import jwt,sys; print(jwt.decode(sys.argv[1], options={"verify_signature": False})["aud"])' "$1"
}

# ---- the default audience ---------------------------------------------------
conf > "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log"
code=$(login alice secret)
[ "$code" = 200 ] || fail "token: $code $(cat "$T/out")"
tok=$(json_get "$T/out" access_token)
[ "$(aud_of "$tok")" = https://issuer.test ] || fail "default aud: $(aud_of "$tok")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
    "http://127.0.0.1:$ISS_PORT/userinfo")
[ "$code" = 200 ] || fail "default-audience token on /userinfo: $code"
ok "no audience configured: aud is the issuer URL, accepted by /userinfo"
# A host with the README's audience = ssh:%h refuses it.
openssl pkey -in "$T/sign.pem" -pubout -out "$T/sign.pub" 2>/dev/null
printf 'issuer = https://issuer.test\naudience = ssh:web1\nkey = %s\n' "$T/sign.pub" > "$T/host.conf"
"$PAMJWT_JWTCTL" verify --config "$T/host.conf" --user alice "$tok" > "$T/v.out" 2>&1 &&
    fail "a host accepted a token nobody aimed at it"
grep -q '^aud  *FAIL' "$T/v.out" || { cat "$T/v.out"; fail "refused for another reason than aud"; }
ok "a host refuses the default-audience token (aud)"
stop_issuerd

# ---- PREFIX:* patterns ------------------------------------------------------
conf "allowed_audiences = ssh:*, sudo:web1" > "$T/iss.conf"
start_issuerd "$T/iss.conf" "$T/log"
for a in ssh:web1 ssh:web2.example.com ssh:db-1 ssh:a_b sudo:web1; do
    code=$(login alice secret --data-urlencode "audience=$a")
    [ "$code" = 200 ] || fail "audience=$a: $code $(cat "$T/out")"
    [ "$(aud_of "$(json_get "$T/out" access_token)")" = "$a" ] || fail "aud for $a"
done
ok "ssh:* grants ssh:HOST for host names; sudo:web1 as listed"
"$PAMJWT_JWTCTL" verify --config "$T/host.conf" --user alice \
    "$(login alice secret --data-urlencode audience=ssh:web1 >/dev/null; json_get "$T/out" access_token)" \
    > "$T/v.out" 2>&1 || { cat "$T/v.out"; fail "host web1 refused its ssh:web1 token"; }
ok "the host with audience = ssh:web1 accepts the ssh:web1 token"
for a in 'ssh:' 'ssh:*' 'ssh:a b' 'ssh:web1,sudo:web2' 'ssh:../x' 'ssh:-x' 'ssh:.x' \
         'sshx:web1' 'sudo:web2' 'ssh:web1:extra' 'SSH:web1' \
         "ssh:$(printf 'a%.0s' $(seq 254))"; do
    code=$(login alice secret --data-urlencode "audience=$a")
    [ "$code" = 400 ] || fail "audience=$a: $code (want 400)"
    grep -q 'invalid_request' "$T/out" || fail "audience=$a: $(cat "$T/out")"
done
ok "no other prefix, empty, over-long or non-host-name suffix is granted"
stop_issuerd

# ---- bad patterns -------------------------------------------------------------
for p in '*' 'ssh*' ':*' 'ssh:*x' 's*h:web1' 'ssh:**'; do
    conf "allowed_audiences = $p" > "$T/bad.conf"
    "$PAMJWT_ISSUERD" -t -c "$T/bad.conf" > "$T/t.out" 2>&1 && fail "pattern $p accepted"
    grep -q 'PREFIX:\*' "$T/t.out" || { cat "$T/t.out"; fail "pattern $p: unclear error"; }
done
ok "a '*' that is not PREFIX:* is a configuration error"
done_cases
