#!/bin/sh
# The rate limits on a shared store: keys, limits, failing closed
# (tests/issuer/ratelimit_shared.c).
set -eu
BIN=${PAMJWT_B:?}/tests/issuer/ratelimit_shared
[ -x "$BIN" ] || { echo "no $BIN (make tests)" >&2; exit 77; }
${VALGRIND:-} "$BIN"
