# Sourced by tests/run.sh, bench/run.sh, tests/fuzz/run.sh and the demo
# (etc/demo/run.sh): a temp dir that passes the file trust rule of
# common/fileio.h, which pam_jwt.so and jwt-issuerd apply to every file they
# trust (OpenSSH's safe_path): the directory and every directory above it up
# to / owned by root or us and not writable by group or others.  /tmp
# (mode 1777) fails it, so test files under a plain mktemp -d would be
# refused, as OpenSSH would refuse them.

# pamjwt_dir_trusted DIR: 0 when DIR and every directory above it pass.
pamjwt_dir_trusted() {
    _d=$(cd "$1" 2>/dev/null && pwd -P) || return 1
    _me=$(id -u)
    while :; do
        _o=$(stat -c %u "$_d") && _m=$(stat -c %a "$_d") || return 1
        [ "$_o" = 0 ] || [ "$_o" = "$_me" ] || return 1
        [ $(( 0$_m & 022 )) = 0 ] || return 1
        [ "$_d" = / ] && return 0
        _d=$(dirname "$_d")
    done
}

# pamjwt_tmpdir_base: print the first candidate base that passes: /run (as
# root), $XDG_RUNTIME_DIR, $HOME, the build directory; nothing if none.
pamjwt_tmpdir_base() {
    for _b in ${TMPDIR:-} $( [ "$(id -u)" = 0 ] && echo /run ) \
              ${XDG_RUNTIME_DIR:-} ${HOME:-} "${PAMJWT_B:-${TOP:-.}/build}"; do
        [ -d "$_b" ] && [ -w "$_b" ] && pamjwt_dir_trusted "$_b" &&
            { echo "$_b"; return 0; }
    done
    return 1
}

# pamjwt_export_tmpdir: export TMPDIR as a fresh pamjwt-tests.XXXXXX
# under the first base that passes, mode 0755 (throwaway test users must
# be able to reach their own temp dirs below it), and set PAMJWT_TMPDIR so
# the caller removes it (pamjwt_rm_tmpdir) at exit.  When no base passes,
# TMPDIR stays as it is and a warning says why tests of trusted files will
# fail.
pamjwt_export_tmpdir() {
    PAMJWT_TMPDIR=""
    if _base=$(pamjwt_tmpdir_base) &&
        PAMJWT_TMPDIR=$(mktemp -d "$_base/pamjwt-tests.XXXXXX"); then
        chmod 0755 "$PAMJWT_TMPDIR"
        TMPDIR=$PAMJWT_TMPDIR
        export TMPDIR
    else
        PAMJWT_TMPDIR=""
        echo "warning: no temp dir passes the file trust rule (owned by root or" \
             "you, not group/other writable up to /): set TMPDIR to one" >&2
    fi
}

pamjwt_rm_tmpdir() {
    [ -n "${PAMJWT_TMPDIR:-}" ] && rm -rf "$PAMJWT_TMPDIR"
    PAMJWT_TMPDIR=""
}

# pamjwt_fresh_run: inside a private mount namespace (unshare -m), put a
# fresh tmpfs on /run that holds sshd's privilege separation directory
# /run/sshd (sshd insists on it; the machine may lack it) and still shows
# $TMPDIR at its own path when it lives under /run.
pamjwt_fresh_run() {
    _new=$(mktemp -d "${TMPDIR:-/tmp}/run.XXXXXX") &&
        mount -t tmpfs -o mode=755 pjwt "$_new" &&
        mkdir -m 755 "$_new/sshd" || return 1
    case ${TMPDIR:-} in
        /run/?*)
            mkdir -p "$_new/${TMPDIR#/run/}" &&
                mount --bind "$TMPDIR" "$_new/${TMPDIR#/run/}" || return 1 ;;
    esac
    mount -n --move "$_new" /run
}
