#!/bin/sh
# common/ has no file-level cycles: from the built objects' symbols (nm),
# file A depends on file B when A uses a symbol B defines; the graph must
# be acyclic, and the key files must stand in the order keys.h gives
# (each calling only files below it).  Also: no #pragma weak anywhere.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PAMJWT_B:=$TOP/build}"
cd "$TOP"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

if grep -n 'pragma weak' common/*.c common/*.h; then
    echo "FAIL: #pragma weak in common/"; exit 1
fi
for c in common/*.c; do
    f=$(basename "$c" .c)
    o=$PAMJWT_B/common/$f.o
    [ -f "$o" ] || { echo "no $o: build first" >&2; exit 77; }
    nm "$o" | awk -v f="$f" '$1 ~ /^[0-9a-f]+$/ && $2 ~ /^[TDRB]$/ { print "D", f, $3 }
                             $1 == "U" { print "U", f, $2 }'
done > "$T/syms"
# edges "A B": A uses what B defines (A != B)
awk '$1 == "D" { def[$3] = $2 } $1 == "U" { use[NR] = $2 " " $3 }
     END { for (i in use) { split(use[i], u, " ");
                            if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]] } }' \
    "$T/syms" | sort -u > "$T/edges"
# tsort reports a cycle on stderr; its order, reversed, is lowest first.
if ! tsort "$T/edges" > "$T/order" 2> "$T/cycle" || [ -s "$T/cycle" ]; then
    echo "FAIL: file-level cycle in common/:"; cat "$T/cycle"; exit 1
fi
echo "# common/, highest first:"; tr '\n' ' ' < "$T/order"; echo
# The key files' layering of keys.h: no file calls one listed above it.
set -- keyset keys_gen keys_jwk keys_pem keys_spki keys_build keys
fail=0
i=0
for a in "$@"; do
    i=$((i + 1)); j=0
    for b in "$@"; do
        j=$((j + 1))
        if [ "$j" -lt "$i" ] && grep -qx "$a $b" "$T/edges"; then
            echo "FAIL: $a.c calls up into $b.c"; fail=1
        fi
    done
done
[ "$fail" = 0 ] || exit 1
grep -E '^(keys|keyset|jws_ctx)' "$T/edges" | sed 's/^/# /'
echo "# cases passed: 2"
