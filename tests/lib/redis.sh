# redis.sh: a private redis-server for the replica tests and the bench,
# one copy of its set-up (sourced; POSIX sh).
#
#   redis_setup DIR   DIR/redis.conf (mode 0600) and DIR/password (0600):
#                     a unix socket DIR/redis.sock only (port 0), a random
#                     password, nothing on disk (no RDB, no AOF)
#   redis_cli DIR ARGS...   redis-cli on that socket, authenticated
#
# The password is in those two files only: redis-server reads its config
# file and redis-cli --askpass reads it from stdin, so it is never on a
# command line (ps shows argv to every user) nor in the environment.
# Starting and stopping the server stay with the caller, which tracks
# its PID (redis-server DIR/redis.conf, in the foreground).

redis_setup() {
    install -d -m 0700 "$1"
    openssl rand -hex 16 > "$1/password"
    chmod 600 "$1/password"
    (umask 077; cat > "$1/redis.conf" <<REDIS_CONF
port 0
unixsocket $1/redis.sock
unixsocketperm 700
requirepass $(cat "$1/password")
dir $1
appendonly no
save ""
daemonize no
REDIS_CONF
    )
}

redis_cli() {
    _rd=$1; shift
    redis-cli -s "$_rd/redis.sock" --askpass "$@" < "$_rd/password" 2> /dev/null
}
