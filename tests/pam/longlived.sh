#!/bin/sh
# pam_jwt.so in a long-lived host: 100,000 authentications (good and bad
# tokens mixed), one PAM handle per call, in one process; resident memory
# flat and descriptor count unchanged.  See tests/pam/longlived.c.
# LONGLIVED_N overrides the count (150 under $VALGRIND: libpam dlopens the module per handle and valgrind reads its debug info each time).  Cost: about
# 2 ms of CPU per authentication (libpam dlopens the module per handle),
# so ~200 s of one core for the full run.
set -eu
: "${PAMJWT_B:?}" "${PAMJWT_MODULE:?}"
bin=$PAMJWT_B/tests/pam/longlived
[ -f "$PAMJWT_MODULE" ] || { echo "no module at $PAMJWT_MODULE"; exit 77; }
[ -x "$bin" ] || { echo "missing $bin"; exit 1; }
n=${LONGLIVED_N:-100000}
if [ -n "${VALGRIND:-}" ]; then
    # valgrind's RSS grows with the debug info it reads per dlopen: memcheck's
    # own leak check is the measure there.
    n=${LONGLIVED_N:-150}
    LONGLIVED_RSS_KB=${LONGLIVED_RSS_KB:-1048576}
    export LONGLIVED_RSS_KB
elif [ -n "${PAMJWT_SAN:-}" ]; then
    # Sanitizer build: ASan's quarantine makes RSS meaningless, and
    # LeakSanitizer checks for leaks at exit instead; fewer rounds.
    n=${LONGLIVED_N:-20000}
    LONGLIVED_RSS_KB=${LONGLIVED_RSS_KB:-1048576}
    export LONGLIVED_RSS_KB
fi
exec ${VALGRIND:-} "$bin" "$PAMJWT_MODULE" "$n"
