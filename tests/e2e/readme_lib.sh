# shellcheck shell=sh
# tests/e2e/readme_lib.sh: what the README tests (readme_deploy.sh,
# readme_replicas.sh) share (sourced, POSIX sh; on top of harness.sh).
#   rd_bin R          $R/bin/editor: sudoedit's SUDO_EDITOR, adds the next
#                     fenced block (R/edit.N, readme_deploy.py extract) to
#                     the file it is given; $R/bin/systemctl: the stand-in
#                     tests/e2e/readme_systemctl.sh with R compiled in
#                     (sudo clears the environment)
#   rd_tls R DIR      a throwaway CA R/ca.pem and DIR/login.example.com.crt
#                     and .key signed by it
#   rd_ns HOSTNAME R SECDIR  inside `unshare --mount --uts --net --pid --fork`:
#                     lo up, the hostname, a private copy of /etc bound over
#                     /etc with 127.0.0.1 login.example.com HOSTNAME in its
#                     hosts, tmpfs on /usr/local, /var/tmp, /run (fresh),
#                     /var/log and /var/lib (each with the first level of
#                     the host's directories, owners and modes kept, as the
#                     packages made them; /var/lib/dpkg bound read-only),
#                     a private copy of libpam's module directory SECDIR
#                     (make install writes pam_jwt.so there), the stand-in
#                     over /usr/bin/systemctl
# Needs TOP, PY, HELPER.

rd_bin() {
    mkdir -p "$1/bin"
    { echo '#!/bin/sh'; echo "PAMJWT_RD=$1"; } > "$1/bin/editor"
    cat >> "$1/bin/editor" <<'RD_EOF'
n=$(( $(cat "$PAMJWT_RD/next" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$PAMJWT_RD/next"
[ -f "$PAMJWT_RD/edit.$n" ] || { echo "editor: no block $n" >&2; exit 1; }
cat "$PAMJWT_RD/edit.$n" >> "$1"
RD_EOF
    cat > "$1/bin/systemctl" <<RD_EOF
#!/bin/sh
PAMJWT_RD=$1 PY=$PY HELPER=$HELPER
export PAMJWT_RD PY HELPER
exec sh $TOP/tests/e2e/readme_systemctl.sh "\$@"
RD_EOF
    chmod 0755 "$1/bin/editor" "$1/bin/systemctl"
}

rd_tls() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=pamjwt-test-ca -keyout "$1/ca.key" -out "$1/ca.pem" 2>/dev/null &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=login.example.com \
        -keyout "$2/login.example.com.key" -out "$1/tls.csr" 2>/dev/null &&
    printf 'subjectAltName=DNS:login.example.com\n' > "$1/san.ext" &&
    openssl x509 -req -in "$1/tls.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial \
        -days 2 -extfile "$1/san.ext" -out "$2/login.example.com.crt" 2>/dev/null
}

# rd_skel DIR LIST: LIST's "name mode uid gid" lines as directories in DIR.
rd_skel() {
    while read -r _n _m _u _g; do
        mkdir -p "$1/$_n" && chown "$_u:$_g" "$1/$_n" && chmod "$_m" "$1/$_n" || return 1
    done < "$2"
}

rd_ns() {
    _r=$2
    for _d in lib log; do
        (cd "/var/$_d" && find . -mindepth 1 -maxdepth 1 -type d -printf '%P %m %U %G\n') > "$_r/skel.$_d" || return 1
    done
    mkdir -p "$_r/dpkg" && mount --bind -o ro /var/lib/dpkg "$_r/dpkg" &&
    ip link set lo up && hostname "$1" &&
    cp -a /etc "$_r/etc" && mount --bind "$_r/etc" /etc &&
    { echo "127.0.0.1 login.example.com $1"; cat "$_r/etc/hosts"; } > "$_r/hosts.new" &&
    cat "$_r/hosts.new" > /etc/hosts &&
    mount -t tmpfs -o mode=0755 pjwt-local /usr/local &&
    cp -a "$3" "$_r/security" && mount --bind "$_r/security" "$3" &&
    mount -t tmpfs -o mode=0755 pjwt-log /var/log && rd_skel /var/log "$_r/skel.log" &&
    mount -t tmpfs -o mode=1777 pjwt-vartmp /var/tmp &&
    mount -t tmpfs -o mode=0755 pjwt-varlib /var/lib && rd_skel /var/lib "$_r/skel.lib" &&
    mount --move "$_r/dpkg" /var/lib/dpkg &&
    mount --bind "$_r/bin/systemctl" /usr/bin/systemctl &&
    . "$TOP/tests/lib/tmpdir.sh" && pamjwt_fresh_run
}
