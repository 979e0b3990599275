#!/bin/sh
# The module as a shared object: loads with RTLD_NOW, exports only pam_sm_*,
# links no surprising libraries, and survives 8 threads with one PAM handle
# each plus many logins in one process.
set -u
. "$(dirname "$0")/testlib"

out=$(${VALGRIND:-} "$PAMJWT_B/tests/pam/dlopen" "$MOD")
[ "$out" = ok ] && ok "dlopen RTLD_NOW, entry points present, helpers hidden" || bad "dlopen: $out"

syms=$(nm -D --defined-only "$MOD" | awk '{print $3}' | sort)
others=$(echo "$syms" | grep -v '^pam_sm_' | grep -v '^$' || true)
[ -z "$others" ] && ok "nm -D: only pam_sm_* defined" || bad "nm -D exports: $others"
n=$(echo "$syms" | grep -c '^pam_sm_')
[ "$n" = 6 ] && ok "six pam_sm_* symbols" || bad "pam_sm_* count $n"
# No mutable globals: every object in .data/.bss is the toolchain's own;
# the module's and libpjwt's tables live in .rodata / .data.rel.ro.
mut=$(objdump -t "$MOD" | grep -E ' \.(data|bss)[ 	]' |
      grep -v -E '__dso_handle|__TMC_END__|completed\.[0-9]|_GLOBAL_OFFSET_TABLE_|^[0-9a-f]+ l +d +\.' || true)
[ -z "$mut" ] && ok "no mutable globals in the module" || bad "writable objects: $mut"
# No executable stack, full RELRO.
readelf -lW "$MOD" | grep -q 'GNU_STACK.*RWE' && bad "executable stack" || ok "no executable stack"
readelf -dW "$MOD" | grep -q 'BIND_NOW' && ok "BIND_NOW (relro,now)" || bad "no BIND_NOW"

# Threads: 8 threads, one handle each, 25 logins each, good and bad tokens.
# The user is root from the real passwd file: nss_wrapper's file cache is not
# thread-safe (it reports users unknown under load), glibc's files NSS is.
service t "auth required $MOD issuer=$ISS audience=host-a key=$K/jwks.json key=$K/rsa.pub.pem"
for c in "root_kid PAM_SUCCESS" "root_rsa PAM_SUCCESS" "root_expired PAM_AUTH_ERR" "root_tampered PAM_AUTH_ERR"; do
    set -- $c
    env -u LD_PRELOAD ${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u root -p "@$TOK/$1" -t 8 -n 25 \
        -x "$2" -o "$T/thr.out" -l "$T/syslog"
    rc=$?
    u=$(sed -n 's/.*unexpected=\([0-9]*\).*/\1/p' "$T/thr.out")
    [ "$rc" = 0 ] && [ "$u" = 0 ] && ok "8 threads x 25: $1 -> $2" || bad "threads $1: rc=$rc unexpected=$u"
done
grep -q FORBIDDEN "$T/syslog" && bad "process-global call under threads" || ok "no process-global calls under threads"

# Many logins in one process (fd and memory growth are checked by
# module_valgrind.sh with --track-fds and the leak checker).
if [ -z "${VALGRIND:-}" ]; then
    "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/good_kid" -n 300 -x PAM_SUCCESS \
        -o "$T/many.out" -l "$T/syslog" && ok "300 logins in one process" || bad "300 logins"
fi

finish
