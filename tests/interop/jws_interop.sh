#!/bin/sh
# pjwt's JWS against PyJWT and jwcrypto (Debian python3-jwt, python3-jwcrypto):
# every algorithm, signed here and verified there, and the other way round.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$TOP/tests/lib/harness.sh"
: "${PAMJWT_B:=$TOP/build}"
tool=$PAMJWT_B/tests/interop/jws_tool
if [ ! -x "$tool" ]; then
    echo "jws_interop: $tool not built (make tests)" >&2
    exit 1
fi
# Debian's python has the packages; a pyenv python3 on PATH may not.
if ! /usr/bin/python3 -c 'import jwt, jwcrypto' 2>/dev/null; then
    skip "skip: /usr/bin/python3 lacks python3-jwt or python3-jwcrypto"
fi
harness_init pamjwt-interop
tmp=$T
/usr/bin/python3 "$TOP/tests/interop/jws_interop.py" "$tool" "$TOP/tests/data" "$tmp"
