#!/bin/sh
# Replay every fuzz seed and every saved crash input (tests/fuzz/regressions)
# through the fuzz targets built with a plain main() (replay_<target>, built
# by make tests with the normal compiler, so this runs under the sanitizer
# build and under $VALGRIND too).  A crash, sanitizer report or abort()ed
# invariant fails the test.
set -eu
: "${PAMJWT_B:?}" "${TOP:?}"
cd "$TOP"
. tests/lib/harness.sh
ran=0
for src in tests/fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    # FUZZ_REPLAY_SKIP: targets to leave out (valgrind.sh skips fuzz_issuer,
    # whose in-process daemon is never stopped, so its sockets are open at exit).
    case " ${FUZZ_REPLAY_SKIP:-} " in *" $t "*) continue ;; esac
    bin=$PAMJWT_B/tests/fuzz/replay_$t
    if [ ! -x "$bin" ]; then
        # make fuzz-replay builds the issuer one (not part of make tests).
        [ "$t" = fuzz_issuer ] && continue
        fail "missing $bin (make tests builds it)"
    fi
    for d in tests/fuzz/corpus/$t tests/fuzz/regressions/$t; do
        [ -d "$d" ] || continue
        # Under valgrind the deep-JSON seeds are slow but bounded (< 200 files).
        ${VALGRIND:-} "$bin" "$d"
        cases=$((cases + $(ls "$d" | wc -l)))
    done
    ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || fail "no fuzz targets found"
done_cases
