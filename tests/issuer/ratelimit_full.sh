#!/bin/sh
# The rate-limit table refuses what it cannot count (tests/issuer/ratelimit_full.c).
set -eu
BIN=${PAMJWT_B:?}/tests/issuer/ratelimit_full
[ -x "$BIN" ] || { echo "no $BIN (make tests)" >&2; exit 77; }
${VALGRIND:-} "$BIN"
