# tests/lib/hosts.sh: throwaway ssh hosts for end-to-end tests (sourced
# after harness.sh, with T set): a test CA and a TLS certificate for
# 127.0.0.1, a throwaway user, and real sshd processes each in its own UTS
# and mount namespace (unshare --uts --mount): its own host name and bind
# mounts of private /etc/passwd, group, shadow and /etc/pam.d/sshd (OpenSSH
# 9.2's PAM service is its program name), on a loopback port.  Nothing on
# the machine changes: each sshd is tracked for the harness to end by PID,
# and its namespace goes with it.  Used by two_hosts.sh, rotation.sh and
# replicas.sh.

# hosts_need: the programs every hosts test runs (ISSUERD, JWTCTL, MODULE,
# PAM_MATRIX, PY set from the build) and the skips they share: root (the
# namespaces and sshd), no sanitizer build (sshd loads the plain module),
# each file there.  Sourced scripts call it before harness_init.
hosts_need() {
    ISSUERD=${PAMJWT_ISSUERD:-$TOP/issuer/jwt-issuerd/jwt-issuerd}
    PAMJWT_ISSUERD=$ISSUERD
    JWTCTL=${PAMJWT_JWTCTL:-$TOP/issuer/jwtctl/jwtctl}
    MODULE=${PAMJWT_MODULE:-$TOP/pam_module/pam_jwt.so}
    PAM_MATRIX=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so
    PY=/usr/bin/python3
    [ "$(id -u)" = 0 ] || skip "needs root (namespaces, sshd)"
    [ -z "${PAMJWT_SAN:-}" ] || skip "sanitizer build: sshd needs the plain module"
    for _f in "$ISSUERD" "$JWTCTL" "$MODULE" "$PAM_MATRIX" /usr/sbin/sshd; do
        [ -e "$_f" ] || skip "missing: $_f"
    done
}

# hosts_tls: $T/ca.crt (a throwaway CA) and $T/tls.crt/$T/tls.key, a
# server certificate for IP 127.0.0.1 that it signed.
hosts_tls() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$T/ca.key" -out "$T/ca.crt" -days 2 -subj "/CN=pamjwt test CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
        2> /dev/null || fail "test CA"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$T/tls.key" -out "$T/tls.csr" -subj /CN=127.0.0.1 2> /dev/null &&
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$T/tls.ext" &&
    openssl x509 -req -in "$T/tls.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
        -CAcreateserial -days 2 -extfile "$T/tls.ext" -out "$T/tls.crt" 2> /dev/null ||
        fail "TLS certificate"
    chmod 600 "$T/tls.key" "$T/ca.key"
}

# hosts_init USER UID: the hosts' passwd, group and shadow, with USER
# (uid and gid UID) who has no password: only a token logs USER in.  Also
# the client's ssh_config and known_hosts (filled by hosts_start).
hosts_init() {
    grep -v "^$1:" /etc/passwd > "$T/passwd"; grep -v "^$1:" /etc/group > "$T/group"
    echo "$1:x:$2:$2:pamjwt test host user:/:/bin/sh" >> "$T/passwd"
    echo "$1:x:$2:" >> "$T/group"
    printf '%s:*:19000:0:99999:7:::\n' "$1" > "$T/shadow"
    chmod 644 "$T/passwd" "$T/group"; chmod 600 "$T/shadow"
    HOSTS_UID=$2
    # host.sh NAME: runs inside `unshare --uts --mount`; starts
    # $T/NAME/pre.sh when there is one (a host's own background job, such
    # as a sync loop, which records its PID for the test), then becomes sshd.
    cat > "$T/host.sh" <<'EOF'
set -u
T=$1 NAME=$2
hostname "$NAME" &&
mount --bind "$T/passwd" /etc/passwd &&
mount --bind "$T/group" /etc/group &&
mount --bind "$T/shadow" /etc/shadow &&
mount --bind "$T/$NAME/pam.sshd" /etc/pam.d/sshd &&
. "$TOP/tests/lib/tmpdir.sh" && pamjwt_fresh_run || { echo "$NAME: mount setup failed" >&2; exit 1; }
[ ! -f "$T/$NAME/pre.sh" ] || . "$T/$NAME/pre.sh"
exec /usr/sbin/sshd -D -e -f "$T/$NAME/sshd_config"
EOF
    : > "$T/ssh_config.hosts"; : > "$T/known_hosts.good"
}

# hosts_start NAME ARGS: sshd for host NAME on a free port, whose PAM stack
# is pam_jwt.so (audience=ssh:%h one_time, a replay_dir of its own) with
# ARGS (@DIR@ stands for the host's directory $T/NAME), then pam_deny.
# Sets PORT_<NAME> and SSHD_<NAME>.
hosts_start() {
    _d=$T/$1; mkdir -p "$_d"
    install -d -m 0700 "$_d/replay"
    _p=$(free_port)
    ssh-keygen -q -t ed25519 -N '' -f "$_d/hostkey" || fail "ssh-keygen"
    _args=$(printf '%s' "$2" | sed "s|@DIR@|$_d|g")
    cat > "$_d/pam.sshd" <<EOP
auth [success=done ignore=ignore default=die] $MODULE issuer=$ISS audience=ssh:%h $_args one_time replay_dir=$_d/replay
auth required pam_deny.so
account required pam_permit.so
session required pam_permit.so
password required pam_deny.so
EOP
    cat > "$_d/sshd_config" <<EOP
Port $_p
ListenAddress 127.0.0.1
HostKey $_d/hostkey
PidFile none
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
StrictModes no
MaxAuthTries 3
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
EOP
    TOP=$TOP unshare --uts --mount --propagation private \
        sh "$T/host.sh" "$T" "$1" 2> "$T/$1.log" &
    track $!
    eval "SSHD_$1=\$!"
    _up() { ss -ltnH "sport = :$_p" | grep -q .; }
    wait_for _up || fail "sshd $1 did not start"
    eval "PORT_$1=$_p"
    printf 'Host %s\n    HostName 127.0.0.1\n    Port %s\n' "$1" "$_p" >> "$T/ssh_config.hosts"
    printf '[127.0.0.1]:%s %s\n' "$_p" "$(cut -d' ' -f1,2 "$_d/hostkey.pub")" >> "$T/known_hosts.good"
}

# hosts_sync_loop NAME SECONDS: before hosts_start NAME, a `jwtctl sync`
# of the host's $T/NAME/trust every SECONDS inside its namespace (after a
# first, pinned sync the test ran), logged to $T/NAME/sync.log; it ends at
# hosts_stop_sync, or after 200 rounds at the latest.  Its PID goes to
# $T/NAME/sync.pid.
hosts_sync_loop() {
    cat > "$T/$1/pre.sh" <<EOF
( i=0
  while [ \$i -lt 200 ] && [ ! -e "$T/stop-sync" ]; do
      "$JWTCTL" sync --cacert "$T/ca.crt" --dir "$T/$1/trust" >> "$T/$1/sync.log" 2>&1
      i=\$((i + 1)); sleep $2
  done ) &
echo \$! > "$T/$1/sync.pid"
EOF
}

# hosts_stop_sync NAME...: end those hosts' sync loops (bounded wait).
hosts_stop_sync() {
    touch "$T/stop-sync"
    for _h in "$@"; do
        _p=$(cat "$T/$_h/sync.pid" 2> /dev/null) || continue
        WAIT_TRIES=100 WAIT_STEP=0.1 wait_for sh -c "! kill -0 $_p 2> /dev/null" || kill "$_p" 2> /dev/null
    done
}

# hosts_client_config: $T/ssh_config (the hosts' Host blocks first: the
# first match wins) and $T/known_hosts with every started host's key.
hosts_client_config() {
    cat "$T/ssh_config.hosts" - > "$T/ssh_config" <<EOF
Host *
    UserKnownHostsFile $T/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    PubkeyAuthentication no
    GSSAPIAuthentication no
    ConnectTimeout 20
    LogLevel ERROR
EOF
    cp "$T/known_hosts.good" "$T/known_hosts"
}

# hosts_unchanged USER: the machine is as it was (no USER, host name kept).
hosts_unchanged() {
    if grep -q "^$1:x:$HOSTS_UID:" /etc/passwd; then fail "throwaway user visible on the host"; fi
    case $(hostname) in web1|web2) fail "host name changed" ;; esac
    ok "host unchanged: no $1, host name $(hostname)"
}

# hosts_client ISS USER [LINE]: the client side of a hosts test, in $T
# only: a client.conf naming ISS (trusting the test CA) and USER with
# audience ssh:%h (and LINE, another setting), its own HOME and XDG_RUNTIME_DIR, no agent or askpass of the
# caller's; jssh ARGS runs `jwtctl ssh` on the hosts' ssh_config.
hosts_client() {
    mkdir -m 0700 "$T/xdg" "$T/home"
    printf 'issuer = %s\ncacert = %s\nuser = %s\naudience = ssh:%%h\n' \
        "$1" "$T/ca.crt" "$2" > "$T/client.conf"
    [ -z "${3:-}" ] || printf '%s\n' "$3" >> "$T/client.conf"
    chmod 600 "$T/client.conf"
    export PAMJWT_CLIENT_CONF="$T/client.conf" XDG_RUNTIME_DIR="$T/xdg" HOME="$T/home"
    unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY SSH_AUTH_SOCK 2> /dev/null || true
}
jssh() { setsid -w "$JWTCTL" ssh -F "$T/ssh_config" "$@" < /dev/null 2> "$T/ssh.err"; }
