#!/bin/sh
# bench/run.sh: run every benchmark program of `make bench`.  Each program
# prints its own rows ("verify ES256 pjwt_ns=N openssl_ns=M ratio=R"...)
# with its baseline measured in the same run.
#
# To add a benchmark, append it to PROGRAMS, one per line: a program
# relative to the build dir (bench/bench_x, built from bench/bench_x.c),
# or a script relative to the source tree ending in .sh (run with sh, with
# TOP and PAMJWT_B set).
set -u
cd "$(dirname "$0")/.."
TOP=$(pwd)
export TOP
: "${PAMJWT_B:=$TOP/build}"
# Temp files under a TMPDIR that passes the file trust rule (tests/lib/tmpdir.sh).
. "$TOP/tests/lib/tmpdir.sh"
pamjwt_export_tmpdir
trap pamjwt_rm_tmpdir EXIT
trap 'exit 130' INT TERM

PROGRAMS="
bench/bench_jws
bench/bench_keys
bench/bench_issue.sh
bench/bench_refresh.sh
bench/bench_replicas.sh
bench/bench_login
"

rc=0
for p in $PROGRAMS; do
    case $p in
        *.sh)
            echo "# $p"
            sh "$TOP/$p" || rc=1
            continue ;;
    esac
    if [ ! -x "$PAMJWT_B/$p" ]; then
        echo "bench/run.sh: $PAMJWT_B/$p not built (make tests)" >&2
        rc=1
        continue
    fi
    echo "# $p"
    "$PAMJWT_B/$p" || rc=1
done
exit $rc
