#!/bin/sh
# Line coverage reached by fuzz corpora, per target (for the fuzzing note).
#   tests/fuzz/coverage.sh CORPUS_ROOT [TARGET...]
# Builds the replay binaries with gcov instrumentation into build-fuzz-cov/,
# replays CORPUS_ROOT/<target>/ (e.g. build-fuzz/fuzz/corpus after a long
# make fuzz) and prints, per target, the lines of common/ (and issuer/ for
# fuzz_issuer) executed, overall and per file.
set -eu
cd "$(dirname "$0")/../.."
root=$1; shift
B=build-fuzz-cov
make -s B=$B SAN= CFLAGS="-O0 -g --coverage" LDFLAGS="--coverage" fuzz-replay >/dev/null
targets=${*:-$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')}
# Last, "all": every corpus replayed into one set of counters.
for t in $targets all; do
    if [ "$t" = all ]; then
        find $B -name '*.gcda' -delete
        for u in $targets; do
            [ -d "$root/$u" ] && "$B/tests/fuzz/replay_$u" "$root/$u" >/dev/null 2>&1
        done
    else
        [ -d "$root/$t" ] || { echo "$t: no corpus in $root/$t"; continue; }
        find $B -name '*.gcda' -delete
        "$B/tests/fuzz/replay_$t" "$root/$t" >/dev/null 2>&1 || echo "$t: replay failed"
    fi
    dirs="common"
    case $t in fuzz_issuer|all) dirs="common issuer" ;; esac
    for d in $dirs; do
        gcov -n -o "$B/$d" $d/*.c 2>/dev/null | awk -v t="$t" -v d="$d" '
            /^File / { f = $2; gsub(/\x27/, "", f) }
            /^Lines executed:/ { split($2, a, ":"); p = a[2]; sub(/%/, "", p); n = $NF
                if (f ~ "^" d "/" && f ~ /\.c$/) { tot += n; hit += p * n / 100
                    per = per sprintf(" %s=%.0f%%", substr(f, length(d) + 2), p) } }
            END { if (tot) printf "coverage %s %s/: %.1f%% of %d lines;%s\n", t, d, 100 * hit / tot, tot, per }'
    done
done
