#!/bin/sh
# common/ has no file-level cycles: from the built objects' symbols (nm),
# file A depends on file B when A uses a symbol B defines; the graph must
# be acyclic, and the key files must stand in the order keys.h gives
# (each calling only files below it).  Also: no #pragma weak anywhere.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PAMJWT_B:=$TOP/build}"
cd "$TOP"
. tests/lib/harness.sh
harness_init pamjwt-layering

if grep -n 'pragma weak' common/*.c common/*.h; then
    fail "#pragma weak in common/"
fi
ok "no #pragma weak in common/"
for c in common/*.c; do
    f=$(basename "$c" .c)
    o=$PAMJWT_B/common/$f.o
    [ -f "$o" ] || skip "no $o: build first"
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
    fail "file-level cycle in common/:
$(cat "$T/cycle")"
fi
echo "# common/, highest first:"; tr '\n' ' ' < "$T/order"; echo
# The key files' layering of keys.h: no file calls one listed above it.
set -- keyset keys_gen keys_jwk keys_pem keys_spki keys_build keys
up=0
i=0
for a in "$@"; do
    i=$((i + 1)); j=0
    for b in "$@"; do
        j=$((j + 1))
        if [ "$j" -lt "$i" ] && grep -qx "$a $b" "$T/edges"; then
            echo "FAIL: $a.c calls up into $b.c"; up=1
        fi
    done
done
[ "$up" = 0 ] || fail "key files call up the order of keys.h"
grep -E '^(keys|keyset|jws_ctx)' "$T/edges" | sed 's/^/# /'
ok "common/ has no file-level cycle; the key files keep the order of keys.h"
done_cases
