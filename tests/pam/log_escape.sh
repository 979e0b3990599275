#!/bin/sh
# The module's log cannot be forged from a token or a password (review
# finding: kid, iss, jti went out bare, so a kid could carry
# ` rhost=1.2.3.4`; debug logged the password's length).  Every value the
# module did not choose is quoted, with \" \\ and \xNN escapes; parsing
# each line back gives exactly the fields the module wrote, with the
# token's text inside its own field.  debug says nothing about a password.
# debug also names the module's version.
set -u
. "$(dirname "$0")/testlib"

service t "auth required $MOD $BASE"
: > "$T/syslog"
for c in kid_inject jti_inject iss_inject good; do
    run t alice "$c" -r 192.0.2.7 > /dev/null
done
run t 'al"ice rhost=x' good -r 192.0.2.7 > /dev/null
cat "$T/syslog"

# Parse "auth DECISION: key=value ..." lines, value either bare or a quoted
# string with \" \\ \xNN escapes, and compare with what the module was given.
"$PY" - "$T/syslog" <<'PY'
import re, sys
ok = bad = 0
def res(cond, what):
    global ok, bad
    print(("ok - " if cond else "FAIL - ") + what)
    if cond: ok += 1
    else: bad += 1
def fields(line):
    rest = line.split(": ", 2)[-1]
    out, i = [], 0
    tok = re.compile(r'([a-z]+)=("(?:[^"\\]|\\\\|\\"|\\x[0-9a-f]{2})*"|[^ "]+)(?: |$)')
    while i < len(rest):
        m = tok.match(rest, i)
        if not m:
            return None
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r'\\x([0-9a-f]{2})|\\(.)',
                       lambda x: chr(int(x.group(1), 16)) if x.group(1) else x.group(2), v[1:-1])
        out.append((m.group(1), v))
        i = m.end()
    return out
lines = [l.rstrip("\n") for l in open(sys.argv[1]) if " auth " in l]
res(len(lines) == 5, "five decision lines (%d)" % len(lines))
want_keys = ["user", "reason", "iss", "kid", "jti", "sub", "alg", "rhost"]
parsed = []
for l in lines:
    f = fields(l)
    res(f is not None and [k for k, _ in f] == want_keys,
        "line parses into exactly the module's fields: " + l)
    parsed.append(dict(f or []))
kid, jti, iss, usr = parsed[0], parsed[1], parsed[2], parsed[4]
res(kid.get("kid") == 'k" rhost="192.0.2.66" x=\\y\x01', "kid kept whole inside its field")
res(jti.get("jti") == 'j" rhost="192.0.2.66\\ \x7f', "jti kept whole inside its field")
res(iss.get("iss") == 'https://evil.test" rhost="192.0.2.66', "iss kept whole inside its field")
res(usr.get("user") == 'al"ice rhost=x', "user kept whole inside its field")
res(all(p.get("rhost") == "192.0.2.7" for p in parsed), "rhost is always the real one")
raw = open(sys.argv[1]).read()
res(not re.search(r'[\x00-\x08\x0b-\x1f\x7f]', raw), "no control character in the log")
res('rhost="192.0.2.66"' not in raw, "no forged rhost field")
print("# python cases: %d ok, %d failed" % (ok, bad))
sys.exit(1 if bad else 0)
PY
[ $? = 0 ] && ok "log lines parse back to the module's own fields" || bad "log lines can be forged"

# debug: nothing derived from a password, not even its length; a token's
# checks are logged (escaped, without the length).
service t "auth required $MOD $BASE debug"
: > "$T/syslog.debug"
${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "correct-horse-battery-staple" -l "$T/syslog.debug" >/dev/null
cat "$T/syslog.debug"
grep -q 'not a token' "$T/syslog.debug" && ok "password ignored" || bad "no decision line"
if grep -qiE 'length|\b28\b|correct|horse|check ' "$T/syslog.debug"; then
    bad "debug logs something about the password: $(cat "$T/syslog.debug")"
else
    ok "debug: nothing about the password (length, shape, text)"
fi
# Keys with kids of their own (a JWKS), so the injected kid is refused: a
# PEM key, having no kid, would answer it.
service t "auth required $MOD issuer=$ISS audience=host-a key=$K/jwks.json debug"
: > "$T/syslog.debug"
${VALGRIND:-} "$HARNESS" -d "$CONF" -s t -u alice -p "@$TOK/kid_inject" -l "$T/syslog.debug" >/dev/null
grep -q '^pam_jwt(t:auth): check signature: ' "$T/syslog.debug" || grep -q 'check key: ' "$T/syslog.debug" &&
    ok "debug logs the token's checks" || bad "debug: $(cat "$T/syslog.debug")"
grep -q '^pam_jwt(t:auth): refused by [a-z_]*$' "$T/syslog.debug" &&
    ok "debug names the refusing function" || bad "debug: no 'refused by': $(cat "$T/syslog.debug")"
# The version, from its one home, so a debug log says which build wrote it.
ver=$(sed -n 's/^#define PJWT_VERSION "\(.*\)"$/\1/p' "$TOP/common/version.h")
[ -n "$ver" ] || bad "no PJWT_VERSION in common/version.h"
grep -qF "pam_jwt(t:auth): pam_jwt $ver: issuer=" "$T/syslog.debug" &&
    ok "debug names the module's version ($ver)" || bad "debug: no version line: $(cat "$T/syslog.debug")"
n=$(wc -c < "$TOK/kid_inject")
if grep -qE "length.*[0-9]|\\b$n\\b|\\b$((n - 1))\\b" "$T/syslog.debug"; then
    bad "debug logs the token's length: $(grep -E 'length' "$T/syslog.debug")"
else
    ok "debug: no input length"
fi
grep -q 'rhost="192.0.2.66"' "$T/syslog.debug" && bad "debug line forged: $(cat "$T/syslog.debug")" ||
    ok "debug details escaped"
finish
