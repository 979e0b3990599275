#!/bin/sh
# make run installs the demo's packages only, make check the test set:
#  - `make -n run` calls `tests/deps.sh run`, `make -n check`, every
#    check-*, `asan` and `fuzz-ci` reach `tests/deps.sh test`;
#  - the two sets, read from what tests/deps.sh asks apt-get for (run with
#    a dpkg-query that knows no package and an id that is not root, so it
#    only prints its apt-get line and changes nothing): the run set is in
#    the test set, has no package that ships a service (openssh-server,
#    nginx*, fail2ban) and none of the test tools (valgrind, clang, wrk);
#  - the README's "Two commands" names exactly these two sets;
#  - the policy-rc.d guard (no service started during an install) is kept.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
. tests/lib/harness.sh
harness_init pamjwt-deps
FAIL_LOGS=" "

# ---- which targets install which set ----
make -s -n run 2>/dev/null | grep -q 'tests/deps.sh run' || fail "make run does not use tests/deps.sh run"
! make -s -n run 2>/dev/null | grep -q 'tests/deps.sh test' || fail "make run installs the test set"
for t in check check-unit check-pam check-issuer check-e2e check-interop check-dist check-fuzz asan fuzz-ci; do
    make -s -n "$t" 2>/dev/null | grep -q 'tests/deps.sh test' || fail "make $t does not install the test set"
done
make -s -n deps | grep -q 'tests/deps.sh test' || fail "make deps is not the test set"
ok "make run -> deps.sh run; make deps, check, check-*, asan, fuzz-ci -> deps.sh test"

# ---- the sets, as tests/deps.sh would install them ----
mkdir -p "$T/bin"
printf '#!/bin/sh\nexit 1\n' > "$T/bin/dpkg-query"
printf '#!/bin/sh\necho 1000\n' > "$T/bin/id"
chmod 0755 "$T/bin/dpkg-query" "$T/bin/id"
set_of() {
    PATH="$T/bin:$PATH" sh tests/deps.sh "$1" 2>&1 >/dev/null | sed -n 's/^ *apt-get install -y --no-install-recommends//p' |
        tr ' ' '\n' | sed '/^$/d' | sort -u
}
set_of run > "$T/run"
set_of test > "$T/test"
[ -s "$T/run" ] && [ -s "$T/test" ] || fail "tests/deps.sh printed no apt-get line"
extra=$(comm -23 "$T/run" "$T/test" | tr '\n' ' ')
[ -z "$extra" ] || fail "in the run set but not the test set: $extra"
for p in openssh-server nginx-light nginx fail2ban valgrind clang wrk libcmocka-dev; do
    ! grep -qx "$p" "$T/run" || fail "make run would install $p"
done
for p in libpam-wrapper pamtester curl jq libmicrohttpd-dev; do
    grep -qx "$p" "$T/run" || fail "the run set lacks $p (the demo needs it)"
done
ok "run set ($(wc -l < "$T/run") packages) within the test set ($(wc -l < "$T/test")), no services, no test tools"

# ---- the README names both ----
sed -n '/^## Two commands/,/^## /p' README.md > "$T/readme"
tr -s ' \n`(),.:;' '\n' < "$T/readme" | sed '/^$/d' | sort -u > "$T/words"
missing=$(comm -23 "$T/test" "$T/words" | tr '\n' ' ')
[ -z "$missing" ] || fail "README's Two commands does not name: $missing"
# The run set as listed: the words between "(`make deps-run`):" and the
# sentence's end.
sed -n '/make deps-run/,/service/p' "$T/readme" | tr '\n' ' ' |
    sed -e 's/.*`make deps-run`)://' -e 's/, none of.*//' | tr -s ' ' '\n' | sed '/^$/d' | sort -u > "$T/readme-run"
cmp -s "$T/readme-run" "$T/run" || { diff "$T/run" "$T/readme-run" || true; fail "README's run set differs from tests/deps.sh run"; }
ok "README's Two commands lists the run set exactly and every test package"

grep -q 'policy-rc.d' tests/deps.sh && grep -q 'exit 101' tests/deps.sh || fail "the policy-rc.d guard is gone"
ok "tests/deps.sh keeps the policy-rc.d guard (no service started on install)"
done_cases
