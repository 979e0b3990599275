#!/bin/sh
# Review finding 26: the daemon's own HTTPS.  Only TLS 1.2 and 1.3 and the
# AEAD suites of Mozilla's "intermediate" profile are accepted (TLS 1.0/1.1
# and every CBC or SHA-1 suite refused, probed with openssl s_client); a
# SIGHUP after the certificate was renewed serves the new one (its serial
# is read back from a fresh handshake), and a renewal whose key does not
# match is refused at reload, the old certificate staying in service.
. "$(dirname "$0")/helpers.inc"

command -v openssl >/dev/null || { echo "openssl missing" >&2; exit 77; }

tls_cert "$T/one" -set_serial 0x1001
tls_cert "$T/two" -set_serial 0x2002
tls_cert "$T/three" -set_serial 0x3003
cp "$T/one.crt" "$T/tls.crt"
cp "$T/one.key" "$T/tls.key"
chmod 600 "$T/tls.key"
keygen ES256 "$T/sign.pem"
matrix_stack
cat > "$T/iss.conf" <<EOC
listen = 127.0.0.1:0
issuer = https://127.0.0.1
signing_key = $T/sign.pem
session_lifetime = 0
pam_confdir = $T/pam.d
tls_cert = $T/tls.crt
tls_key = $T/tls.key
EOC
start_issuerd "$T/iss.conf" "$T/log"

# hello ARGS...: one handshake with openssl s_client; output in $T/sc.
hello() {
    timeout 10 openssl s_client -connect "127.0.0.1:$ISS_PORT" "$@" \
        </dev/null >"$T/sc" 2>&1
}
served_serial() {
    hello || return 1
    openssl x509 -noout -serial <"$T/sc" | sed 's/^serial=//'
}
# refused_by_server WHAT ARGS...: the handshake fails, and the client did
# offer what was asked (the failure is the server's alert, not the local
# OpenSSL refusing to send it).
refused_by_server() {
    what=$1; shift
    if hello "$@"; then
        fail "$what accepted: $(grep -E 'Protocol|Cipher' "$T/sc" | head -n 2)"
    fi
    grep -qiE 'alert|handshake failure|wrong version|unexpected eof' "$T/sc" \
        || fail "$what: not refused by the server: $(tail -n 3 "$T/sc")"
    if grep -qiE 'no protocols available|no ciphers available|no cipher match' "$T/sc"; then
        fail "$what: the local client would not offer it: $(tail -n 2 "$T/sc")"
    fi
}

hello -tls1_3 || fail "TLS 1.3 handshake: $(tail -n 3 "$T/sc")"
grep -q 'TLSv1.3' "$T/sc" || fail "not TLS 1.3: $(grep -i protocol "$T/sc")"
hello -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 || fail "TLS 1.2 AES-GCM: $(tail -n 3 "$T/sc")"
hello -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 || fail "TLS 1.2 ChaCha20: $(tail -n 3 "$T/sc")"
ok "TLS 1.3 and TLS 1.2 with ECDHE + AES-GCM / ChaCha20-Poly1305 accepted"

# SECLEVEL=0 lets this OpenSSL offer the old protocols and suites at all.
refused_by_server "TLS 1.1" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
refused_by_server "TLS 1.0" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
ok "TLS 1.0 and 1.1 refused by the server"
refused_by_server "ECDHE-ECDSA-AES128-SHA (CBC, SHA-1)" -tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0'
refused_by_server "ECDHE-ECDSA-AES256-SHA (CBC, SHA-1)" -tls1_2 -cipher 'ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0'
ok "CBC-SHA1 suites refused"

# Every TLS 1.2 suite this OpenSSL knows for an ECDSA certificate, one at
# a time: exactly Mozilla intermediate's are accepted.
allowed=" ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 "
n=0
for c in $(openssl ciphers -s -tls1_2 'aECDSA:@SECLEVEL=0' | tr ':' ' '); do
    case $c in TLS_*) continue ;; esac
    n=$((n + 1))
    [ $n -le 64 ] || break
    if hello -tls1_2 -cipher "$c:@SECLEVEL=0"; then
        case $allowed in *" $c "*) ;; *) fail "TLS 1.2 suite $c accepted" ;; esac
    else
        case $allowed in *" $c "*) fail "TLS 1.2 suite $c refused" ;; esac
    fi
done
[ $n -ge 3 ] || fail "only $n TLS 1.2 suites probed"
ok "of $n ECDSA TLS 1.2 suites only the three AEAD ones are accepted"

s=$(served_serial) || fail "no certificate served: $(tail -n 3 "$T/sc")"
[ "$s" = 1001 ] || fail "served serial $s, want 1001"
grep -q "TLS certificate $T/tls.crt: serial 1001" "$T/log" || fail "startup does not log the certificate"
ok "the first certificate is served (serial $s)"

# Renewal: the new certificate replaces the files, as certbot would.
reloads() { grep -c 'reloaded' "$T/log" || true; }
cp "$T/two.crt" "$T/tls.crt.new" && mv "$T/tls.crt.new" "$T/tls.crt"
cp "$T/two.key" "$T/tls.key.new" && chmod 600 "$T/tls.key.new" && mv "$T/tls.key.new" "$T/tls.key"
kill -HUP "$ISS_PID"
one_reload() { [ "$(reloads)" -ge 1 ]; }
wait_for one_reload || fail "no reload"
s=$(served_serial) || fail "no certificate after reload: $(tail -n 3 "$T/sc")"
[ "$s" = 2002 ] || fail "after SIGHUP the served serial is $s, want 2002"
grep -q "TLS certificate $T/tls.crt: serial 2002" "$T/log" || fail "reload does not log the new certificate"
code=$(ISS_URL=https://127.0.0.1:$ISS_PORT login alice secret --cacert "$T/two.crt")
[ "$code" = 200 ] || fail "login against the renewed certificate: $code"
ok "SIGHUP serves the renewed certificate (serial $s) and logins verify against it"

# A certificate that does not match the key: the reload fails, loudly, and
# the running certificate stays.
cp "$T/three.crt" "$T/tls.crt"
kill -HUP "$ISS_PID"
failed() { grep -q 'reload failed' "$T/log"; }
wait_for failed || fail "a mismatched certificate and key were loaded"
grep 'reload failed' "$T/log" | grep -q 'tls.crt' || fail "reload failure does not name the certificate: $(grep 'reload failed' "$T/log")"
s=$(served_serial) || fail "no certificate after a failed reload"
[ "$s" = 2002 ] || fail "after a failed reload the served serial is $s, want 2002"
ok "a renewal whose key does not match is refused at reload; serial $s stays"

stop_issuerd
[ "$ISS_RC" = 0 ] || fail "exit $ISS_RC"
if "$PAMJWT_ISSUERD" -t -c "$T/iss.conf" 2>"$T/err"; then fail "-t accepted a certificate that does not match its key"; fi
grep -q 'tls.crt' "$T/err" || fail "-t message: $(cat "$T/err")"
ok "-t refuses a certificate that does not match its key"
done_cases
