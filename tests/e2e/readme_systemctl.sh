#!/bin/sh
# The systemctl stand-in of the README tests (tests/e2e/readme_*.sh; no
# systemd in their namespaces), bound over /usr/bin/systemctl through a
# wrapper that sets PAMJWT_RD (the test's directory), PY and HELPER (sudo
# clears the environment).  Each unit is read from the files systemd would
# read (/etc/systemd/system, /usr/local/lib/systemd/system,
# /lib/systemd/system, with their drop-ins):
#   edit UNIT                  the next fenced block (edit.N) is UNIT's drop-in
#   enable --now jwt-issuerd.socket|.service|jwt-issuerd-X[.service]...
#                              ExecStartPre and ExecStart under the unit's
#                              privileges (setpriv, as tests/e2e/unit_privs.sh),
#                              the socket unit's ListenStream= as fd 3; waits
#                              for "info: ready" (log $PAMJWT_RD/issuerd[-X].log)
#   enable --now pamjwt-sync.timer   the service's ExecStart, once
#   disable --now UNIT...      nothing runs under systemd here: succeeds
#   restart redis-server       RuntimeDirectory= with RuntimeDirectoryMode=,
#                              ExecStartPre= (+: as root), ExecStart as
#                              User=/Group= with UMask=; waits for Redis
#   reload ssh                 /usr/sbin/sshd -D
#   reload nginx               nginx -s reload, or start it (daemon off)
# Every PID started goes to $PAMJWT_RD/pids; every wait is bounded.
set -u
log() { echo "systemctl (test stand-in): $*" >&2; }
unitfile() {
    for d in /etc/systemd/system /usr/local/lib/systemd/system /lib/systemd/system; do
        [ -f "$d/$1" ] && { echo "$d/$1"; return 0; }
    done
    return 1
}
# KEY of unit $1 with its drop-ins, every value after the last reset (one
# a line); unitval: the last one.
unitvals() {
    f=$(unitfile "$1") || return 1
    cat "$f" /etc/systemd/system/"$1".d/*.conf 2>/dev/null |
        awk -v k="$2" 'index($0, k "=") == 1 { v = substr($0, length(k) + 2); if (v == "") n = 0; else a[++n] = v }
                       END { for (i = 1; i <= n; i++) print a[i] }'
}
unitval() { unitvals "$@" | tail -n 1; }
# wait_log FILE REGEX PID WHAT: until REGEX is in FILE, PID alive, 20 s.
wait_log() {
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        kill -0 "$3" 2>/dev/null || { log "$4 exited"; cat "$1" >&2; exit 1; }
        [ $i -lt 200 ] || { log "$4 not ready"; exit 1; }
        sleep 0.1; i=$((i + 1))
    done
}
UNIT="setpriv --no-new-privs --inh-caps=-all --bounding-set=-all,+setuid,+setgid sh -c"
UNIT_SH='ulimit -c 0; umask 077; exec "$@"'
# start_issuerd UNIT.service [SOCKET-UNIT]
start_issuerd() {
    svc=$1
    pre=$(unitval "$svc" ExecStartPre) && start=$(unitval "$svc" ExecStart) &&
        [ -n "$start" ] || { log "no $svc"; exit 1; }
    # shellcheck disable=SC2086
    $UNIT "$UNIT_SH" unit $pre || { log "$svc: ExecStartPre failed"; exit 1; }
    sock=""
    [ -z "${2:-}" ] || sock=$(unitval "$2" ListenStream) || exit 1
    name=${svc%.service}; lf=$PAMJWT_RD/${name#jwt-}.log
    : > "$lf"
    if [ -n "$sock" ]; then
        # shellcheck disable=SC2086
        setsid "$PY" "$HELPER" socket "$sock" -- $UNIT "$UNIT_SH" unit $start \
            < /dev/null > /dev/null 2>> "$lf" &
    else
        # shellcheck disable=SC2086
        setsid $UNIT "$UNIT_SH" unit $start < /dev/null > /dev/null 2>> "$lf" &
    fi
    echo $! >> "$PAMJWT_RD/pids"
    wait_log "$lf" 'info: ready' $! "$name"
    log "$name started${sock:+ on socket $sock} (pid $!)"
}
case "$*" in
    "edit "*)
        u=$2; n=$(( $(cat "$PAMJWT_RD/next" 2>/dev/null || echo 0) + 1 ))
        case $u in *.*) ;; *) u=$u.service ;; esac
        echo "$n" > "$PAMJWT_RD/next"
        mkdir -p "/etc/systemd/system/$u.d"
        cat "$PAMJWT_RD/edit.$n" > "/etc/systemd/system/$u.d/override.conf"
        log "wrote /etc/systemd/system/$u.d/override.conf" ;;
    "enable --now jwt-issuerd.socket")
        start_issuerd jwt-issuerd.service jwt-issuerd.socket ;;
    "enable --now jwt-issuerd.service")
        start_issuerd jwt-issuerd.service ;;
    "enable --now jwt-issuerd-"*)
        shift 2
        for u in "$@"; do start_issuerd "${u%.service}.service"; done ;;
    "disable --now "*)
        log "nothing runs under systemd here: $*" ;;
    "enable --now pamjwt-sync.timer")
        # A timer that fires: its service's ExecStart, run once now, as
        # the timer's first round would.
        on=$(unitval pamjwt-sync.timer OnUnitActiveSec) || { log "no pamjwt-sync.timer"; exit 1; }
        start=$(unitval pamjwt-sync.service ExecStart) || { log "no pamjwt-sync.service"; exit 1; }
        # shellcheck disable=SC2086
        $start || { log "pamjwt-sync.service: $start failed"; exit 1; }
        log "pamjwt-sync.timer (every $on): ran $start" ;;
    "restart redis-server")
        u=redis-server.service
        start=$(unitval $u ExecStart) && [ -n "$start" ] || { log "no $u"; exit 1; }
        [ -f "$PAMJWT_RD/redis.pid" ] && { kill "$(cat "$PAMJWT_RD/redis.pid")" 2>/dev/null; sleep 0.5; }
        user=$(unitval $u User) group=$(unitval $u Group) um=$(unitval $u UMask)
        rd=$(unitval $u RuntimeDirectory) mode=$(unitval $u RuntimeDirectoryMode)
        if [ -n "$rd" ]; then
            rm -rf "/run/$rd"; mkdir "/run/$rd" &&
                chown "$user:$group" "/run/$rd" && chmod "${mode:-0755}" "/run/$rd" || exit 1
        fi
        unitvals $u ExecStartPre | while IFS= read -r pre; do
            case $pre in
                +*) ${pre#+} ;;    # full privileges: root
                *) setpriv --reuid "$user" --regid "$group" --init-groups ${pre} ;;
            esac || { log "$u: ExecStartPre $pre failed"; exit 1; }
        done || exit 1
        lf=$PAMJWT_RD/redis.log
        # shellcheck disable=SC2086
        setsid setpriv --reuid "$user" --regid "$group" --init-groups --no-new-privs \
            sh -c "umask ${um:-0022}; exec \"\$@\"" redis $start < /dev/null >> "$lf" 2>&1 &
        echo $! >> "$PAMJWT_RD/pids"; echo $! > "$PAMJWT_RD/redis.pid"
        wait_log "$lf" 'eady to accept connections' $! redis-server
        log "redis-server started as $user (pid $!)" ;;
    "reload ssh")
        setsid /usr/sbin/sshd -D -e < /dev/null > /dev/null 2>> "$PAMJWT_RD/sshd.log" &
        echo $! >> "$PAMJWT_RD/pids"
        i=0
        until ss -ltnH 'sport = :22' | grep -q .; do
            kill -0 $! 2>/dev/null || { log "sshd exited"; cat "$PAMJWT_RD/sshd.log" >&2; exit 1; }
            [ $i -lt 200 ] || { log "sshd not listening"; exit 1; }
            sleep 0.1; i=$((i + 1))
        done
        log "sshd started (pid $!)" ;;
    "reload nginx")
        if [ -f "$PAMJWT_RD/nginx.pid" ] && kill -0 "$(cat "$PAMJWT_RD/nginx.pid")" 2>/dev/null; then
            /usr/sbin/nginx -s reload || exit 1
            sleep 1; log "nginx reloaded"
        else
            setsid /usr/sbin/nginx -c /etc/nginx/nginx.conf -g 'daemon off;' \
                < /dev/null > /dev/null 2>> "$PAMJWT_RD/nginx.log" &
            echo $! >> "$PAMJWT_RD/pids"; echo $! > "$PAMJWT_RD/nginx.pid"
            i=0
            until ss -ltnH 'sport = :443' | grep -q .; do
                kill -0 $! 2>/dev/null || { log "nginx exited"; cat "$PAMJWT_RD/nginx.log" >&2; exit 1; }
                [ $i -lt 200 ] || { log "nginx not listening"; exit 1; }
                sleep 0.1; i=$((i + 1))
            done
            log "nginx started (pid $!)"
        fi ;;
    *) log "not emulated: $*"; exit 1 ;;
esac
