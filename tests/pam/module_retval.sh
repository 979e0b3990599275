#!/bin/sh
# Every return code of pam_jwt.so, for every option, through pam_start_confdir
# on service files in a private confdir (faillock tst-pam_faillock-retval).
set -u
. "$(dirname "$0")/testlib"

E=$K/ec.pub.pem

# ---- the default leeway first: its token expired 20 s before gen.py ran ----
check leeway-default    PAM_SUCCESS alice expired_in_leeway "$BASE"
flush_checks

# ---- good tokens, each key format and algorithm ------------------------
check good-pem          PAM_SUCCESS alice good        "$BASE"
check good-jwks-kid     PAM_SUCCESS alice good_kid    "issuer=$ISS audience=host-a key=$K/jwks.json"
check rs256             PAM_SUCCESS alice rsa         "issuer=$ISS audience=host-a key=$K/rsa.pub.pem"
check ps256             PAM_SUCCESS alice ps          "issuer=$ISS audience=host-a key=$K/rsa.pub.pem"
check eddsa             PAM_SUCCESS alice ed          "issuer=$ISS audience=host-a key=$K/ed.pub.pem"
check hs256             PAM_SUCCESS alice hs          "issuer=$ISS audience=host-a hmac_secret=$K/hmac.secret"
check two-keys          PAM_SUCCESS alice rsa         "$BASE key=$K/rsa.pub.pem"
check aud-array         PAM_SUCCESS alice aud_array   "$BASE"
check leeway-600        PAM_SUCCESS alice expired_in_leeway "$BASE leeway=600"

# ---- not a token: PAM_IGNORE, or PAM_AUTH_ERR with token_only ------------
check password          PAM_IGNORE   alice password   "$BASE"
check dots              PAM_IGNORE   alice dots       "$BASE"
check token_only-pw     PAM_AUTH_ERR alice password   "$BASE token_only"
check token_only-good   PAM_SUCCESS  alice good       "$BASE token_only"

# ---- shaped like a token but bad: PAM_AUTH_ERR, never PAM_IGNORE ----------
check expired           PAM_AUTH_ERR alice expired     "$BASE"
check leeway-0          PAM_AUTH_ERR alice expired_in_leeway "$BASE leeway=0"
check no-exp            PAM_AUTH_ERR alice no_exp      "$BASE"
check nbf-future        PAM_AUTH_ERR alice nbf_future  "$BASE"
check iat-future        PAM_AUTH_ERR alice iat_future  "$BASE"
check max_lifetime      PAM_AUTH_ERR alice long_life   "$BASE"
check max_lifetime-2h   PAM_SUCCESS  alice long_life   "$BASE max_lifetime=7200"
check wrong-iss         PAM_AUTH_ERR alice wrong_iss   "$BASE"
check wrong-aud         PAM_AUTH_ERR alice wrong_aud   "$BASE"
check other-user        PAM_AUTH_ERR alice bob         "$BASE"
check no-sub            PAM_AUTH_ERR alice no_sub      "$BASE"
check other-key         PAM_AUTH_ERR alice other_key   "$BASE"
check unknown-kid       PAM_AUTH_ERR alice unknown_kid "issuer=$ISS audience=host-a key=$K/jwks.json"
# A PEM key has no kid of its own: it answers a token with any kid (its
# signature still has to hold); beside a JWKS, the JWKS keys are still
# selected by kid only.
check kidless-any-kid   PAM_SUCCESS  alice unknown_kid "$BASE"
check kidless-other-key PAM_AUTH_ERR alice other_key_kid "$BASE"
check kidless-mixed     PAM_SUCCESS  alice unknown_kid "$BASE key=$K/jwks.json"
check kidless-mixed-bad PAM_AUTH_ERR alice other_key_kid "$BASE key=$K/jwks.json"
check tampered-payload  PAM_AUTH_ERR alice tampered_payload "$BASE"
check tampered-sig      PAM_AUTH_ERR alice tampered_sig "$BASE"
check payload-not-json  PAM_AUTH_ERR alice payload_not_json "$BASE"
check payload-not-b64   PAM_AUTH_ERR alice payload_not_b64 "$BASE"
check header-no-alg     PAM_AUTH_ERR alice noalg       "$BASE"
check alg-none          PAM_AUTH_ERR alice alg_none    "$BASE"
check alg-none-sig      PAM_AUTH_ERR alice alg_none_sig "$BASE"
check key-confusion     PAM_AUTH_ERR alice confusion   "$BASE"
check too-long          PAM_AUTH_ERR alice too_long    "$BASE"
check alg-not-allowed   PAM_AUTH_ERR alice good        "$BASE key=$K/rsa.pub.pem algorithms=RS256"
check algorithms-ok     PAM_SUCCESS  alice good        "$BASE algorithms=ES256"
check max_token_length  PAM_AUTH_ERR alice good        "$BASE max_token_length=100"
check pw-over-max-len   PAM_IGNORE   alice password    "$BASE max_token_length=100"

# ---- user ----------------------------------------------------------------
check user-unknown      PAM_USER_UNKNOWN nosuchuser nosuchuser "$BASE"
check user-unknown-bad  PAM_USER_UNKNOWN nosuchuser expired    "$BASE"
check user-unknown-pw   PAM_IGNORE   nosuchuser password "$BASE"
check user_claim        PAM_SUCCESS  alice uid_claim   "$BASE user_claim=uid"
check user_claim-sub    PAM_AUTH_ERR alice uid_claim   "$BASE"

# ---- require_claim ---------------------------------------------------------
check require-array     PAM_SUCCESS  alice groups    "$BASE require_claim=groups=admins"
check require-string    PAM_SUCCESS  alice groups    "$BASE require_claim=dept=ops require_claim=groups=admins"
check require-missing   PAM_AUTH_ERR alice groups_no "$BASE require_claim=groups=admins"
check require-absent    PAM_AUTH_ERR alice good      "$BASE require_claim=groups=admins"

# ---- audience expansion ------------------------------------------------------
check aud-%h            PAM_SUCCESS  alice aud_host  "issuer=$ISS audience=jwt:%h key=$E"
service jwtsvc "auth required $MOD issuer=$ISS audience=svc:%s key=$E"
got=$(run jwtsvc alice aud_service | sed -n 's/^authenticate=//p')
[ "$got" = PAM_SUCCESS ] && ok "aud-%s" || bad "aud-%s: $got"
check aud-%s-other      PAM_AUTH_ERR alice aud_service "issuer=$ISS audience=svc:%s key=$E"
check aud-%h-wrong      PAM_AUTH_ERR alice good      "issuer=$ISS audience=jwt:%h key=$E"

# ---- revoked -----------------------------------------------------------------
printf 'jti bad-jti\n' > "$T/revoked"
printf 'sub alice\n' > "$T/revoked-sub"
check revoked-jti       PAM_AUTH_ERR alice revoked_jti "$BASE revoked=$T/revoked"
check revoked-other     PAM_SUCCESS  alice good        "$BASE revoked=$T/revoked"
check revoked-sub       PAM_AUTH_ERR alice good        "$BASE revoked=$T/revoked-sub"

# ---- configuration errors: PAM_SERVICE_ERR / PAM_AUTHINFO_UNAVAIL -------------
check unknown-option    PAM_SERVICE_ERR alice good "$BASE frobnicate=1"
check unknown-flag      PAM_SERVICE_ERR alice good "$BASE frobnicate"
check no-issuer         PAM_SERVICE_ERR alice good "audience=host-a key=$E"
check no-audience       PAM_SERVICE_ERR alice good "issuer=$ISS key=$E"
check no-key            PAM_SERVICE_ERR alice good "issuer=$ISS audience=host-a"
check bad-leeway        PAM_SERVICE_ERR alice good "$BASE leeway=abc"
check bad-lifetime      PAM_SERVICE_ERR alice good "$BASE max_lifetime=-1"
check bad-maxlen        PAM_SERVICE_ERR alice good "$BASE max_token_length=x"
check bad-algorithms    PAM_SERVICE_ERR alice good "$BASE algorithms=none"
check bad-aud-seq       PAM_SERVICE_ERR alice good "issuer=$ISS audience=%q key=$E"
check hs-no-secret      PAM_SERVICE_ERR alice good "$BASE algorithms=ES256,HS256"
check bad-one_time      PAM_SERVICE_ERR alice good "$BASE one_time=maybe"
check bad-replay_dir    PAM_SERVICE_ERR alice good "$BASE replay_dir=relative"
check bad-export        PAM_SERVICE_ERR alice good "$BASE export_claims=a-b"
check empty-prompt      PAM_SERVICE_ERR alice good "$BASE prompt="
check missing-config    PAM_SERVICE_ERR alice good "$BASE config=$T/nonexistent.conf"
check key-missing       PAM_AUTHINFO_UNAVAIL alice good "issuer=$ISS audience=host-a key=$T/nonexistent.pem"
cp "$E" "$T/unreadable.pem"; chmod 000 "$T/unreadable.pem"
if [ "$(id -u)" != 0 ]; then
    check key-unreadable PAM_AUTHINFO_UNAVAIL alice good "issuer=$ISS audience=host-a key=$T/unreadable.pem"
fi
cp "$E" "$T/gw.pem"; chmod 664 "$T/gw.pem"
cp "$E" "$T/ow.pem"; chmod 646 "$T/ow.pem"
check key-group-writable PAM_SERVICE_ERR alice good "issuer=$ISS audience=host-a key=$T/gw.pem"
check key-other-writable PAM_SERVICE_ERR alice good "issuer=$ISS audience=host-a key=$T/ow.pem"
printf 'not a key\n' > "$T/garbage.pem"
check key-garbage       PAM_SERVICE_ERR alice good "issuer=$ISS audience=host-a key=$T/garbage.pem"
cp "$K/hmac.secret" "$T/hmac-readable"; chmod 644 "$T/hmac-readable"
check hmac-readable     PAM_SERVICE_ERR alice hs "issuer=$ISS audience=host-a hmac_secret=$T/hmac-readable"
# Config errors win even for a password (fail closed, loudly).
check bad-option-pw     PAM_SERVICE_ERR alice password "$BASE frobnicate=1"

# ---- config file, and arguments overriding it --------------------------------
cat > "$T/jwt.conf" <<EOF
# a comment
issuer = $ISS
audience = host-b
key = $K/rsa.pub.pem
leeway = 0
EOF
chmod 644 "$T/jwt.conf"
check config-file-aud   PAM_AUTH_ERR alice good "config=$T/jwt.conf key=$E"
check config-override   PAM_SUCCESS  alice good "config=$T/jwt.conf audience=host-a key=$E"
# key= as an argument replaces the file's key list: the RSA key is gone.
check config-key-replaced PAM_AUTH_ERR alice rsa "config=$T/jwt.conf audience=host-a key=$E"
check config-key-file   PAM_SUCCESS  alice rsa "config=$T/jwt.conf audience=host-a"
check config-leeway     PAM_AUTH_ERR alice expired_in_leeway "config=$T/jwt.conf audience=host-a key=$E"
check config-leeway-arg PAM_SUCCESS  alice expired_in_leeway "config=$T/jwt.conf audience=host-a key=$E leeway=600"
printf 'issuer = %s\nbogus = 1\n' "$ISS" > "$T/bad.conf"
check config-unknown    PAM_SERVICE_ERR alice good "config=$T/bad.conf $BASE"
printf 'config = /etc/passwd\n' > "$T/nested.conf"
check config-nested     PAM_SERVICE_ERR alice good "config=$T/nested.conf $BASE"
cp "$T/jwt.conf" "$T/gw.conf"; chmod 666 "$T/gw.conf"
check config-writable   PAM_SERVICE_ERR alice good "config=$T/gw.conf audience=host-a key=$E"
check debug-flag        PAM_SUCCESS  alice good "$BASE debug"
check debug-flag-bad    PAM_AUTH_ERR alice tampered_sig "$BASE debug"

# ---- the other entry points -------------------------------------------------
service t "auth required $MOD $BASE" "account required $MOD $BASE" \
    "session required $MOD $BASE" "password required $MOD $BASE"
out=$(run t alice good -A)
for want in authenticate=PAM_SUCCESS setcred=PAM_SUCCESS; do
    case $out in *"$want"*) ok "entry $want" ;; *) bad "entry: want $want in: $out" ;; esac
done
# acct_mgmt returns PAM_IGNORE, which libpam turns into PAM_PERM_DENIED for
# a stack where every module ignored; stacked after pam_permit it is neutral.
service t "auth required $MOD $BASE" "account required $MOD $BASE" \
    "account required pam_permit.so"
out=$(run t alice good -A)
case $out in *acct_mgmt=PAM_SUCCESS*) ok "acct_mgmt ignored in a stack" ;; *) bad "acct_mgmt: $out" ;; esac
service t "auth required $MOD $BASE" "account required $MOD $BASE"
out=$(run t alice good -A)
case $out in *acct_mgmt=PAM_PERM_DENIED*) ok "acct_mgmt alone is PAM_IGNORE" ;; *) bad "acct_mgmt alone: $out" ;; esac
# A missing module is PAM_MODULE_UNKNOWN... as libpam reports it.
service t "auth required $T/nonexistent/pam_jwt.so $BASE"
got=$(run t alice good | sed -n 's/^authenticate=//p')
case $got in PAM_MODULE_UNKNOWN|PAM_AUTH_ERR|PAM_SYSTEM_ERR) ok "missing module: $got (not success)" ;; *) bad "missing module: $got" ;; esac

# ---- prompt, and the token arriving from above --------------------------------
service t "auth required $MOD $BASE [prompt=JWT please: ]"
out=$(run t alice good)
case $out in *"prompt=JWT please: "*authenticate=PAM_SUCCESS*) ok "prompt text" ;; *) bad "prompt: $out" ;; esac
service t "auth required $MOD $BASE"
out=$(run t alice good)
case $out in *"prompt=Password: "*) ok "default prompt is pam_unix's" ;; *) bad "default prompt: $out" ;; esac
service t "auth required $MOD $BASE token_only"
out=$(run t alice good)
case $out in *"prompt=Token: "*) ok "token_only prompt" ;; *) bad "token_only prompt: $out" ;; esac
# use_first_pass: never prompts; without an item it fails.
service t "auth required $MOD $BASE use_first_pass"
# pam_wrapper's pam_set_items plays the module above: it sets PAM_AUTHTOK
# from the environment.
SETI=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so
service t "auth required $SETI" "auth required $MOD $BASE use_first_pass"
got=$(PAM_AUTHTOK=$(cat "$TOK/good") ${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice | sed -n 's/^authenticate=//p')
[ "$got" = PAM_SUCCESS ] && ok "use_first_pass with item" || bad "use_first_pass with item: $got"
service t "auth required $MOD $BASE use_first_pass"
out=$(${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/good")
case $out in *prompt=*) bad "use_first_pass prompted: $out" ;; *authenticate=PAM_AUTH_ERR*) ok "use_first_pass without item" ;; *) bad "use_first_pass without item: $out" ;; esac
service t "auth required $SETI" "auth required $MOD $BASE try_first_pass"
out=$(PAM_AUTHTOK=$(cat "$TOK/good") ${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice)
case $out in *prompt=*) bad "try_first_pass prompted: $out" ;; *authenticate=PAM_SUCCESS*) ok "try_first_pass with item" ;; *) bad "try_first_pass: $out" ;; esac
service t "auth required $MOD $BASE try_first_pass"
out=$(${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/good")
case $out in *prompt=*authenticate=PAM_SUCCESS*) ok "try_first_pass prompts when empty" ;; *) bad "try_first_pass empty: $out" ;; esac
# No answer at all (conversation fails): never success.
got=$(${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice | sed -n 's/^authenticate=//p')
[ "$got" = PAM_AUTH_ERR ] && ok "conversation failure" || bad "conversation failure: $got"

# ---- export_claims -----------------------------------------------------------
service t "auth required $MOD $BASE export_claims=email,roles,evil,absent,sub"
out=$(run t alice export -E)
case $out in *"env JWT_EMAIL=alice@example.test"*) ok "export string" ;; *) bad "export string: $out" ;; esac
case $out in *'env JWT_ROLES=["a","b"]'*) ok "export array as JSON" ;; *) bad "export array: $out" ;; esac
case $out in *JWT_EVIL*) bad "control characters exported" ;; *) ok "control characters not exported" ;; esac
case $out in *JWT_ABSENT*) bad "absent claim exported" ;; *) ok "absent claim skipped" ;; esac
case $out in *"env JWT_SUB=alice"*) ok "export sub" ;; *) bad "export sub: $out" ;; esac
out=$(run t alice expired -E)
case $out in *JWT_*) bad "export on failure: $out" ;; *) ok "nothing exported on failure" ;; esac

# ---- the log: one line per decision, never the token --------------------------
: > "$T/syslog"
service t "auth required $MOD $BASE"
run t alice good -r 192.0.2.7 >/dev/null
run t alice tampered_sig -r 192.0.2.7 >/dev/null
run t alice password >/dev/null
lines=$(grep -c '^pam_jwt(t:auth): auth ' "$T/syslog")
[ "$lines" -eq 3 ] && ok "one log line per decision" || bad "log lines: $lines"
grep -q 'auth accept: user="alice" .*iss="https://issuer.test" .*sub="alice" alg=ES256 rhost="192.0.2.7"' "$T/syslog" &&
    ok "accept line fields" || bad "accept line: $(cat "$T/syslog")"
grep -q 'auth fail: user="alice" reason=".*alg=ES256 rhost="192.0.2.7"' "$T/syslog" &&
    ok "fail line fields" || bad "fail line: $(cat "$T/syslog")"
grep -q 'auth ignore: user="alice" reason="not a token"' "$T/syslog" &&
    ok "ignore line" || bad "ignore line: $(cat "$T/syslog")"
leak=0
for f in good tampered_sig password; do
    t=$(cat "$TOK/$f")
    sig=${t##*.}
    for s in "$t" "$sig"; do
        [ -n "$s" ] && grep -qF -- "$s" "$T/syslog" && leak=1
    done
done
grep -qF "correct horse" "$T/syslog" && leak=1
[ "$leak" = 0 ] && ok "no token, signature or password in the log" || bad "secret in log"
service t "auth required $MOD $BASE debug"
: > "$T/syslog.debug"
${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/tampered_sig" -l "$T/syslog.debug" >/dev/null
grep -q 'check signature: ' "$T/syslog.debug" && ok "debug logs each check" || bad "debug: $(cat "$T/syslog.debug")"
sig=$(sed 's/.*\.//' "$TOK/tampered_sig")
grep -qF "$sig" "$T/syslog.debug" && bad "signature in debug log" || ok "no signature in debug log"
grep -q FORBIDDEN "$T/syslog" && bad "process-global call: $(grep FORBIDDEN "$T/syslog")" || ok "no openlog/setenv/signal"

# ---- silence: nothing on stdout or stderr ------------------------------------
${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/good" -o "$T/out1" >"$T/so" 2>"$T/se"
${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/expired" -o "$T/out2" >>"$T/so" 2>>"$T/se"
service t "auth required $MOD frobnicate"
${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/good" -o "$T/out3" >>"$T/so" 2>>"$T/se"
if [ -n "${VALGRIND:-}" ]; then
    ok "silence (not checked under valgrind)"
elif [ ! -s "$T/so" ] && [ ! -s "$T/se" ]; then
    ok "module writes nothing to stdout/stderr"
else
    bad "output: $(cat "$T/so" "$T/se")"
fi

finish
