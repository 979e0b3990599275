#!/bin/sh
# make install / make uninstall into a DESTDIR: the expected files land in
# the expected places with the expected modes (module, programs, man pages,
# systemd units pointing at the installed daemon, sysusers file, examples
# in docdir, configs under sysconfdir), an existing config is never
# overwritten, uninstall removes exactly what install placed (nothing left
# but the DESTDIR's top folders), and keeps a config the admin changed.
set -eu
LC_ALL=C
export LC_ALL
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
. tests/lib/harness.sh
: "${PAMJWT_B:=$TOP/build}"

# The products of the build under test: make install must not rebuild.
B=$PAMJWT_B
[ "$B" = "$TOP/build" ] && B=build
for f in "${PAMJWT_MODULE:-}" "${PAMJWT_ISSUERD:-}" "${PAMJWT_JWTCTL:-}"; do
    [ -n "$f" ] && [ ! -f "$f" ] && { echo "not built yet: $f"; exit 77; }
done

harness_init pamjwt-install
FAIL_LOGS=" "     # nothing to show beyond the message

D=$T/root
VARS="PREFIX=/usr sysconfdir=/etc PAMDIR=/lib/x86_64-linux-gnu/security"
inst() { make -s --no-print-directory B="$B" SAN="${PAMJWT_SAN:-}" $VARS DESTDIR="$D" "$@"; }

inst install > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
(cd "$D" && find . ! -type d | sort) > "$T/files"
cat > "$T/expected" <<'EOF'
./etc/pamjwt/jwt-issuerd.conf
./etc/pam.d/jwt-issuer
./etc/security/pam_jwt.conf
./lib/x86_64-linux-gnu/security/pam_jwt.so
./usr/bin/jwtctl
./usr/bin/jwtctl-askpass
./usr/lib/systemd/system/jwt-issuerd.service
./usr/lib/systemd/system/jwt-issuerd.socket
./usr/lib/systemd/system/pamjwt-sync.service
./usr/lib/systemd/system/pamjwt-sync.timer
./usr/lib/sysusers.d/jwt-issuerd.conf
./usr/lib/tmpfiles.d/jwt-issuerd.conf
./usr/sbin/jwt-issuerd
./usr/share/doc/pamjwt/README.md
./usr/share/doc/pamjwt/examples/client.conf
./usr/share/doc/pamjwt/examples/fail2ban/filter.d/jwt-issuerd.conf
./usr/share/doc/pamjwt/examples/fail2ban/jail.d/jwt-issuerd.local
./usr/share/doc/pamjwt/examples/jwt-issuerd.conf
./usr/share/doc/pamjwt/examples/nginx/jwt-issuer.conf
./usr/share/doc/pamjwt/examples/pam.d/jwt-issuer
./usr/share/doc/pamjwt/examples/pam.d/jwt-issuer-otp
./usr/share/doc/pamjwt/examples/pam.d/sshd.example
./usr/share/doc/pamjwt/examples/pam.d/sudo.example
./usr/share/doc/pamjwt/examples/pam_jwt.conf
./usr/share/doc/pamjwt/examples/replicas/jwt-issuerd-a.conf
./usr/share/doc/pamjwt/examples/replicas/jwt-issuerd-b.conf
./usr/share/doc/pamjwt/examples/replicas/nginx-upstream.conf
./usr/share/doc/pamjwt/examples/replicas/redis.conf
./usr/share/doc/pamjwt/examples/sshd_config.d/pam_jwt.conf
./usr/share/doc/pamjwt/examples/sysusers.d/jwt-issuerd.conf
./usr/share/doc/pamjwt/examples/systemd/jwt-issuerd.service
./usr/share/doc/pamjwt/examples/systemd/jwt-issuerd.socket
./usr/share/doc/pamjwt/examples/systemd/pamjwt-sync.service
./usr/share/doc/pamjwt/examples/systemd/pamjwt-sync.timer
./usr/share/doc/pamjwt/examples/tmpfiles.d/jwt-issuerd.conf
./usr/share/man/man1/jwtctl.1
./usr/share/man/man5/pam_jwt.conf.5
./usr/share/man/man8/jwt-issuerd.8
./usr/share/man/man8/pam_jwt.8
EOF
sort -o "$T/expected" "$T/expected"
diff -u "$T/expected" "$T/files" || fail "make install placed a different set of files"
ok "make install places the $(wc -l < "$T/files") expected files"

# Every file under etc/ that is an example is installed as one.
for f in $(cd etc && find . -type f ! -path './demo/*' | sed 's|^\./||'); do
    cmp -s "etc/$f" "$D/usr/share/doc/pamjwt/examples/$f" || fail "etc/$f is not installed as an example"
done
ok "every etc/ example (outside the demo) is in docdir/examples"

mode() { stat -c %a "$D/$1"; }
[ "$(mode lib/x86_64-linux-gnu/security/pam_jwt.so)" = 644 ] || fail "pam_jwt.so mode"
[ "$(mode usr/sbin/jwt-issuerd)" = 755 ] || fail "jwt-issuerd mode"
[ "$(mode usr/bin/jwtctl)" = 755 ] || fail "jwtctl mode"
[ "$(readlink "$D/usr/bin/jwtctl-askpass")" = jwtctl ] || fail "jwtctl-askpass is not a relative link to jwtctl"
[ "$(mode usr/share/man/man8/pam_jwt.8)" = 644 ] || fail "man page mode"
cmp -s "${PAMJWT_MODULE:-pam_module/pam_jwt.so}" "$D/lib/x86_64-linux-gnu/security/pam_jwt.so" ||
    fail "installed pam_jwt.so is not the built one"
ok "modes 0644/0755 and the built products"

# Units point at the installed daemon and config.
grep -q '^ExecStart=/usr/sbin/jwt-issuerd -c /etc/pamjwt/jwt-issuerd.conf$' \
    "$D/usr/lib/systemd/system/jwt-issuerd.service" || fail "unit ExecStart not rewritten to sbindir"
if command -v systemd-analyze >/dev/null 2>&1; then
    sed "s|ExecStart\(Pre\)\{0,1\}=/usr/sbin/|ExecStart\1=$D/usr/sbin/|" \
        "$D/usr/lib/systemd/system/jwt-issuerd.service" > "$T/jwt-issuerd.service"
    systemd-analyze verify --man=no "$T/jwt-issuerd.service" > "$T/sa.out" 2>&1 || { cat "$T/sa.out"; fail "installed unit"; }
    [ ! -s "$T/sa.out" ] || { cat "$T/sa.out"; fail "installed unit: warnings"; }
fi
ok "installed unit runs \$(sbindir)/jwt-issuerd with \$(sysconfdir)/pamjwt/jwt-issuerd.conf"

# The host's sync units: the installed jwtctl, the timer beside them.
grep -q '^ExecStart=/usr/bin/jwtctl sync$' "$D/usr/lib/systemd/system/pamjwt-sync.service" ||
    fail "pamjwt-sync.service ExecStart not rewritten to bindir"
cmp -s etc/systemd/pamjwt-sync.timer "$D/usr/lib/systemd/system/pamjwt-sync.timer" ||
    fail "pamjwt-sync.timer not installed as is"
[ "$(mode usr/lib/systemd/system/pamjwt-sync.service)" = 644 ] &&
    [ "$(mode usr/lib/systemd/system/pamjwt-sync.timer)" = 644 ] || fail "sync unit modes"
if command -v systemd-analyze >/dev/null 2>&1; then
    sed "s|ExecStart=/usr/bin/|ExecStart=$D/usr/bin/|" \
        "$D/usr/lib/systemd/system/pamjwt-sync.service" > "$T/pamjwt-sync.service"
    cp "$D/usr/lib/systemd/system/pamjwt-sync.timer" "$T/"
    systemd-analyze verify --man=no "$T/pamjwt-sync.service" "$T/pamjwt-sync.timer" > "$T/sa.out" 2>&1 ||
        { cat "$T/sa.out"; fail "installed sync units"; }
    [ ! -s "$T/sa.out" ] || { cat "$T/sa.out"; fail "installed sync units: warnings"; }
fi
ok "installed pamjwt-sync.service runs \$(bindir)/jwtctl sync; pamjwt-sync.timer beside it, 0644"

# Installed man pages render.
for m in "$D"/usr/share/man/man*/*; do
    man -l "$m" > /dev/null 2>&1 || groff -man -Tutf8 -z "$m" || fail "man page $m"
done

# A second install keeps an admin's config.
echo "# mine" >> "$D/etc/security/pam_jwt.conf"
inst install > "$T/install2.log" 2>&1 || { cat "$T/install2.log"; fail "second make install"; }
tail -n 1 "$D/etc/security/pam_jwt.conf" | grep -q '^# mine$' || fail "make install overwrote an existing config"
grep -q 'keeping existing' "$T/install2.log" || fail "make install did not say it kept the config"
ok "make install never overwrites an existing config file"

# uninstall: everything goes but the admin's changed config.
inst uninstall > "$T/uninstall.log" 2>&1 || { cat "$T/uninstall.log"; fail "make uninstall"; }
(cd "$D" && find . ! -type d | sort) > "$T/left"
[ "$(cat "$T/left")" = "./etc/security/pam_jwt.conf" ] ||
    { cat "$T/left"; fail "uninstall left other files than the modified config"; }
grep -q 'keeping modified' "$T/uninstall.log" || fail "uninstall did not say it kept the modified config"
[ ! -e "$D/usr/share/doc/pamjwt" ] || fail "docdir left behind"
[ ! -e "$D/etc/pamjwt" ] || fail "sysconfdir/pamjwt left behind"
ok "make uninstall removes exactly the installed files; keeps the modified config"

# Clean round trip: nothing at all left.
rm -rf "$D"
inst install > /dev/null 2>&1 || fail "third make install"
inst uninstall > /dev/null 2>&1 || fail "second make uninstall"
left=$(cd "$D" && find . ! -type d | sort)
[ -z "$left" ] || { echo "$left"; fail "files left after install + uninstall"; }
ok "install then uninstall leaves no file"

# Default layout (PREFIX=/usr/local): the module in libpam's own directory,
# where a bare "pam_jwt.so" in /etc/pam.d is found ("Module is unknown"
# otherwise), everything else under the prefix.
rm -rf "$D"
make -s --no-print-directory B="$B" SAN="${PAMJWT_SAN:-}" DESTDIR="$D" install > /dev/null 2>&1 ||
    fail "make install with defaults"
triplet=$(${CC:-cc} -print-multiarch)
if [ -d "/lib/$triplet/security" ]; then pamdir=/lib/$triplet/security; else pamdir=/usr/local/lib/security; fi
[ -f "$D$pamdir/pam_jwt.so" ] || fail "default PAMDIR: pam_jwt.so not in $pamdir"
ok "default PAMDIR is libpam's directory $pamdir"
[ -f "$D/usr/local/sbin/jwt-issuerd" ] && [ -f "$D/usr/local/sbin/jwt-issuerd" ] &&
    [ -f "$D/usr/local/share/man/man8/pam_jwt.8" ] && [ -f "$D/usr/local/lib/systemd/system/jwt-issuerd.service" ] ||
    fail "default PREFIX layout"
grep -q '^ExecStart=/usr/local/sbin/jwt-issuerd' "$D/usr/local/lib/systemd/system/jwt-issuerd.service" ||
    fail "default unit ExecStart"
make -s --no-print-directory B="$B" SAN="${PAMJWT_SAN:-}" DESTDIR="$D" uninstall > /dev/null 2>&1
left=$(cd "$D" && find . ! -type d | sort)
[ -z "$left" ] || { echo "$left"; fail "files left after default install + uninstall"; }
ok "default PREFIX=/usr/local layout installs and uninstalls cleanly"

done_cases
