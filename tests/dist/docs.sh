#!/bin/sh
# Documentation and examples against the code:
#  1. every option in the code's option tables is documented (man pages and
#     the commented example configs) and every documented option exists:
#     module options (the table in common/modopts.c) vs
#     pam_jwt(8), pam_jwt.conf(5), etc/pam_jwt.conf; daemon options
#     (issuer/ conf table) vs jwt-issuerd(8), etc/jwt-issuerd.conf; jwtctl's
#     getopt tables vs jwtctl(1); module arguments in README's pam lines;
#  2. the example configs load: etc/jwt-issuerd.conf with every default
#     uncommented under `jwt-issuerd -t`, etc/pam_jwt.conf likewise under
#     `jwtctl verify --config` with a real token (accepted) and a tampered
#     one (refused); the README's config snippets too; the documented exit
#     codes are the real ones;
#  3. the systemd units pass `systemd-analyze verify` (that part is skipped
#     where systemd-analyze is absent), the nginx site `nginx -t`;
#  4. the replicas example (etc/replicas/): redis.conf starts for real on a
#     private socket, both issuer configs pass `jwt-issuerd -t` against it,
#     the upstream file passes `nginx -t` in the site.
# A missing product (daemon or jwtctl not built yet) skips only the parts
# that need it (skip_part, not the harness's skip, which ends the script);
# the script then exits 77 naming them, after everything else has passed.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$TOP"
. tests/lib/harness.sh
ISSUERD=${PAMJWT_ISSUERD:-$TOP/issuer/jwt-issuerd/jwt-issuerd}
JWTCTL=${PAMJWT_JWTCTL:-$TOP/issuer/jwtctl/jwtctl}

harness_init pamjwt-docs
umask 077
skipped=""
skip_part() { skipped="$skipped; $*"; echo "skip: $*"; }

# ---- 1. option sets ------------------------------------------------------

# Names handled by `strcmp(key, "NAME")` in the given files.
code_strcmp() { grep -ho 'strcmp(key, "[a-z0-9_]*")' "$@" | sed 's/.*"\(.*\)".*/\1/'; }
# The daemon's table form: { "NAME", offsetof(...) }.
code_table() { grep -hoE '\{ "[a-z0-9_]+", offsetof' "$@" | sed 's/{ "\([^"]*\)".*/\1/'; }
# Option entries of a man page section: the first word after .TP/.TQ.
man_opts() {
    awk -v sec="$2" '
        /^\.SH / { insec = ($0 ~ "^\\.SH \"?" sec) ; next }
        insec && /^\.T[PQ]/ { want = 1; next }
        insec && want { want = 0; w = $2; gsub(/"/, "", w); sub(/=.*/, "", w);
                        if (w ~ /^[a-z][a-z0-9_]*$/) print w }' "$1"
}
# Commented example config: "#name = ..." or a bare "#name".
conf_opts() { sed -n 's/^#\([a-z][a-z0-9_]*\)\( =.*\)\{0,1\}$/\1/p' "$1"; }

# same_set WHAT CODE-FILE DOC-FILE
same_set() {
    sort -u "$2" > "$2.s"; sort -u "$3" > "$3.s"
    missing=$(comm -23 "$2.s" "$3.s" | tr '\n' ' ')
    extra=$(comm -13 "$2.s" "$3.s" | tr '\n' ' ')
    if [ ! -s "$2.s" ]; then bad "$1: no options found in the code"
    elif [ -n "$missing" ]; then bad "$1: in the code but not documented: $missing"
    elif [ -n "$extra" ]; then bad "$1: documented but not in the code: $extra"
    else ok "$1: $(wc -l < "$2.s") options, code and docs agree"
    fi
}

# The module: the one option table of common/modopts.c, rows
# `{ "NAME", PJWT_MO_KIND, FLAGS, "doc" },` (the loader knows no other name).
mo_table() { sed -n 's/^ *{ "\([a-z0-9_]*\)", PJWT_MO_[A-Z]*, \([^"]*\)".*/\1 \2/p' common/modopts.c; }
if [ -f common/modopts.c ]; then
    mo_table | cut -d' ' -f1 > "$T/mod.code"
    # The verifier's own names (verify_opts.c) are all reachable: in the table.
    code_strcmp common/verify_opts.c | sort -u > "$T/ver.code"
    untabled=$(sort -u "$T/mod.code" | comm -13 - "$T/ver.code" | tr '\n' ' ')
    [ -z "$untabled" ] || bad "verifier options missing from the modopts table: $untabled"
    man_opts pam_module/pam_jwt.8 OPTIONS > "$T/mod.man8"
    same_set "pam_jwt(8)" "$T/mod.code" "$T/mod.man8"
    # PJWT_MO_ARG_ONLY (config=) is an argument only: not a file option.
    mo_table | grep -v PJWT_MO_ARG_ONLY | cut -d' ' -f1 > "$T/mod.file" || true
    man_opts pam_module/pam_jwt.conf.5 OPTIONS > "$T/mod.man5"
    same_set "pam_jwt.conf(5)" "$T/mod.file" "$T/mod.man5"
    conf_opts etc/pam_jwt.conf > "$T/mod.etc"
    same_set "etc/pam_jwt.conf" "$T/mod.file" "$T/mod.etc"
    # Module arguments in README's pam lines are real options.
    grep -h 'pam_jwt\.so' README.md etc/pam.d/*.example | grep -E '^#?auth' |
        sed 's/.*pam_jwt\.so//; s/\[\([a-z_]*\)=[^]]*\]/\1=x/g' |
        tr ' \t' '\n\n' | sed -n 's/^\([a-z_][a-z0-9_]*\).*/\1/p' | sort -u > "$T/readme.args"
    unknown=$(comm -23 "$T/readme.args" "$(sort -u "$T/mod.code" > "$T/mod.code.s"; echo "$T/mod.code.s")" | tr '\n' ' ')
    if [ -n "$unknown" ]; then bad "README/pam.d examples use unknown module options: $unknown"
    else ok "README and pam.d examples: module arguments all known ($(wc -l < "$T/readme.args"))"; fi
    # %H is the module's only name lookup (possibly DNS at every login):
    # documented as such, and no recipe or example config relies on it.
    h_lines=$(grep -hE '^#?(auth[[:space:]]|audience[[:space:]]*=)' README.md etc/pam.d/*.example etc/pam_jwt.conf \
              pam_module/pam_jwt.8 pam_module/pam_jwt.conf.5 | grep '%H' || true)
    if [ -n "$h_lines" ]; then bad "recipes use %H (a name lookup per login): $h_lines"
    elif ! grep -q 'only name lookup' README.md || ! grep -q 'only name lookup' pam_module/pam_jwt.8; then
        bad "README/pam_jwt(8) do not say that %H is the module's only name lookup"
    else ok "recipes use %h only; %H documented as the only name lookup"; fi
else
    skip_part "module option table (common/modopts.c) not there yet"
fi

# The daemon.
if [ -f issuer/jwt-issuerd/issuer_conf.c ]; then
    daemon_src=""
    for f in issuer/jwt-issuerd/*.c; do
        grep -q 'pjwt_conf_parse' "$f" && daemon_src="$daemon_src $f"
    done
    # shellcheck disable=SC2086
    { code_table $daemon_src; code_strcmp $daemon_src; } > "$T/d.code"
    man_opts issuer/jwt-issuerd/jwt-issuerd.8 CONFIGURATION > "$T/d.man"
    same_set "jwt-issuerd(8)" "$T/d.code" "$T/d.man"
    conf_opts etc/jwt-issuerd.conf > "$T/d.etc"
    same_set "etc/jwt-issuerd.conf" "$T/d.code" "$T/d.etc"
else
    skip_part "jwt-issuerd option table (issuer/jwt-issuerd/issuer_conf.c) not there yet"
fi

# jwtctl: getopt_long tables vs the man page's --options, and commands.
ctl_src=$(ls issuer/jwtctl/*.c 2>/dev/null || true)
if [ -n "$ctl_src" ]; then
    # shellcheck disable=SC2086
    grep -hoE '\{ "[a-z-]+", (required|no|optional)_argument' $ctl_src |
        sed 's/{ "\([^"]*\)".*/\1/' | grep -vx help > "$T/ctl.code"
    # Options of jwtctl itself, before any command (jwtctl --version).
    # shellcheck disable=SC2086
    grep -hoE 'strcmp\(argv\[1\], "--[a-z-]+"\)' $ctl_src |
        sed 's/.*"--\([^"]*\)".*/\1/' | grep -vx help >> "$T/ctl.code" || true
    sed -n 's/^\.B[IR]\{0,1\} \\-\\-\([a-z-]*\).*/\1/p' issuer/jwtctl/jwtctl.1 | grep -vx help > "$T/ctl.man"
    same_set "jwtctl(1) options" "$T/ctl.code" "$T/ctl.man"
    # shellcheck disable=SC2086
    grep -hoE '\{ "[a-z]+", ctl_[a-z]+ \}' $ctl_src | sed 's/{ "\([^"]*\)".*/\1/' > "$T/cmd.code"
    man_opts issuer/jwtctl/jwtctl.1 COMMANDS > "$T/cmd.man"
    same_set "jwtctl(1) commands" "$T/cmd.code" "$T/cmd.man"
else
    skip_part "jwtctl sources not there yet"
fi

# Every man page names its exit status / return values, and renders cleanly.
for m in pam_module/pam_jwt.8 pam_module/pam_jwt.conf.5 issuer/jwt-issuerd/jwt-issuerd.8 issuer/jwtctl/jwtctl.1; do
    w=$(groff -man -Tutf8 -ww -z "$m" 2>&1 || true)
    [ -z "$w" ] || bad "$m: groff warnings: $w"
done
grep -q '^\.SH EXIT STATUS' issuer/jwt-issuerd/jwt-issuerd.8 && grep -q '^\.SH EXIT STATUS' issuer/jwtctl/jwtctl.1 &&
    grep -q '^\.SH RETURN VALUES' pam_module/pam_jwt.8 ||
    bad "a man page lacks EXIT STATUS / RETURN VALUES"
for rc in PAM_SUCCESS PAM_AUTH_ERR PAM_IGNORE PAM_USER_UNKNOWN PAM_AUTHINFO_UNAVAIL PAM_SERVICE_ERR PAM_BUF_ERR; do
    grep -q "^\.B $rc\$" pam_module/pam_jwt.8 || bad "pam_jwt(8) does not list $rc"
done
ok "man pages render without warnings and list exit codes / PAM return values"

# ---- 2. examples load ------------------------------------------------------

# Keys in a temp dir, standing in for /etc paths of the examples.
mkdir -p "$T/etc"
/usr/bin/python3 - "$T/etc" <<'EOF'
import sys
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization as s
d = sys.argv[1]
for name in ("signing", "next"):
    k = ec.generate_private_key(ec.SECP256R1())
    open(d + "/%s.key" % name, "wb").write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))
    open(d + "/%s.pub" % name, "wb").write(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))
open(d + "/hmac.secret", "wb").write(b"0123456789abcdef0123456789abcdef-docs-test")
open(d + "/revoked", "w").write("# nothing revoked\n")
EOF
chmod 0644 "$T/etc/signing.pub" "$T/etc/next.pub" "$T/etc/revoked"

# Uncomment every "#key = value" with a value, point /etc paths at $T/etc.
uncomment() {
    sed -n 's/^#\([a-z][a-z0-9_]* = ..*\)$/\1/p' "$1" |
        sed -e "s|/etc/pamjwt/next.pub|$T/etc/next.pub|" \
            -e "s|/etc/pamjwt/|$T/etc/|" -e "s|/etc/security/pam_jwt/jwks.json|$T/etc/signing.pub|" \
            -e "s|/etc/security/pam_jwt/|$T/etc/|"
}

if [ -x "$ISSUERD" ]; then
    # jwt-issuerd -t insists on the PAM service file (make install puts
    # etc/pam.d/jwt-issuer in /etc/pam.d): the example's, in a private confdir.
    mkdir -p "$T/etc/pam.d" && cp etc/pam.d/jwt-issuer "$T/etc/pam.d/" &&
        chmod 0644 "$T/etc/pam.d/jwt-issuer"
    PAMDIR_LINE="pam_confdir = $T/etc/pam.d"
    # The default state_dir (/var/lib/jwt-issuerd) is made at install
    # time; this machine's is not ours to make: a private one instead.
    mkdir -m 0700 "$T/state"
    uncomment etc/jwt-issuerd.conf | sed "s|^state_dir = .*|state_dir = $T/state|" > "$T/issuerd.conf"
    echo "$PAMDIR_LINE" >> "$T/issuerd.conf"
    grep -q '^signing_key' "$T/issuerd.conf" || bad "etc/jwt-issuerd.conf: no signing_key line"
    "$ISSUERD" -t -c "$T/issuerd.conf" > "$T/out" 2>&1 ||
        { cat "$T/out"; bad "etc/jwt-issuerd.conf with its defaults uncommented fails jwt-issuerd -t"; }
    ok "etc/jwt-issuerd.conf: $(wc -l < "$T/issuerd.conf") options uncommented pass jwt-issuerd -t"
    # The demo's template, and README's issuer snippet added to a minimal config.
    sed -e "s|@STATE@|$T/etc|g" -e "s|@PORT@|18080|g" etc/demo/jwt-issuerd.conf.in |
        grep -v '^pam_confdir' > "$T/demo.conf"
    echo "$PAMDIR_LINE" >> "$T/demo.conf"
    "$ISSUERD" -t -c "$T/demo.conf" > "$T/out" 2>&1 || { cat "$T/out"; bad "etc/demo/jwt-issuerd.conf.in fails -t"; }
    printf 'issuer = https://login.example.com\nsigning_key = %s\n%s\nstate_dir = %s\n' \
        "$T/etc/signing.key" "$PAMDIR_LINE" "$T/state" > "$T/readme-issuer.conf"
    # (the full config of "The issuer", with key_dir and user, runs
    # for real in tests/e2e/readme_deploy.sh)
    awk '/^```/{ if (inb) { inb = 0; if (blk ~ /allowed_audiences/ && blk !~ /(^|\n)(signing_key|key_dir)/) printf "%s", blk } else { inb = 1; blk = "" } next }
         inb { blk = blk $0 "\n" }' README.md |
        sed -e "s|/etc/pamjwt/|$T/etc/|" -e "s|/etc/security/pam_jwt/|$T/etc/|" >> "$T/readme-issuer.conf"
    grep -q allowed_audiences "$T/readme-issuer.conf" || bad "README issuer snippet not found"
    "$ISSUERD" -t -c "$T/readme-issuer.conf" > "$T/out" 2>&1 || { cat "$T/out"; bad "README's allowed_audiences snippet fails -t"; }
    ok "demo template and README issuer snippet pass jwt-issuerd -t"
    # Documented exit codes: 1 for a bad config, 2 for a bad command line.
    printf 'no_such_option = 1\n' > "$T/bad.conf"
    rc=0; "$ISSUERD" -t -c "$T/bad.conf" > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || bad "jwt-issuerd -t on a bad config exits $rc, jwt-issuerd(8) says 1"
    grep -q "$T/bad.conf:1:" "$T/out" || { cat "$T/out"; bad "jwt-issuerd: error not in FILE:LINE: form"; }
    rc=0; "$ISSUERD" --no-such-flag > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 2 ] || bad "jwt-issuerd with a bad flag exits $rc, jwt-issuerd(8) says 2"
    ok "jwt-issuerd exit codes 1 (bad config, FILE:LINE message) and 2 (usage) as documented"
else
    skip_part "jwt-issuerd not built ($ISSUERD): example configs not loaded by it"
fi

if [ -x "$JWTCTL" ] && "$JWTCTL" verify --help >/dev/null 2>&1; then
    host=$(hostname -s 2>/dev/null || hostname); host=${host%%.*}
    uncomment etc/pam_jwt.conf > "$T/pam_jwt.conf"
    grep -q '^issuer' "$T/pam_jwt.conf" || bad "etc/pam_jwt.conf: no issuer line"
    chmod 0644 "$T/pam_jwt.conf"
    iss=$(sed -n 's/^issuer = //p' "$T/pam_jwt.conf")
    now=$(date +%s)
    # Claims the uncommented example demands: its issuer, ssh:%h, and the
    # require_claim line's group.
    claims="{\"iss\":\"$iss\",\"sub\":\"alice\",\"aud\":\"ssh:$host\",\"iat\":$now,\"exp\":$((now + 300)),\"jti\":\"docs-$$\",\"groups\":[\"ssh-users\"]}"
    tok=$("$JWTCTL" sign --key "$T/etc/signing.key" --claims "$claims")
    "$JWTCTL" verify --config "$T/pam_jwt.conf" --user alice "$tok" > "$T/out" 2>&1 ||
        { cat "$T/out"; bad "etc/pam_jwt.conf (defaults uncommented): jwtctl verify refuses a good token"; }
    ok "etc/pam_jwt.conf: $(wc -l < "$T/pam_jwt.conf") options uncommented load in jwtctl verify; good token passes (exit 0)"
    rc=0; "$JWTCTL" verify --config "$T/pam_jwt.conf" --user bob "$tok" > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || { cat "$T/out"; bad "jwtctl verify of another user's token exits $rc, jwtctl(1) says 1"; }
    rc=0; "$JWTCTL" verify > "$T/out" 2>&1 || rc=$?
    [ "$rc" = 2 ] || bad "jwtctl verify without arguments exits $rc, jwtctl(1) says 2"
    ok "jwtctl verify exit codes 1 (refused) and 2 (usage) as documented"
    # etc/client.conf, every key uncommented: a client configuration that
    # loads (status then says there is no session: exit 1, not 2), and
    # every key the client reads is in it.
    uncomment etc/client.conf > "$T/client.conf"; chmod 0644 "$T/client.conf"
    mkdir -m 0700 "$T/xdg"
    rc=0; HOME=$T XDG_RUNTIME_DIR=$T/xdg PAMJWT_CLIENT_CONF=$T/client.conf \
        "$JWTCTL" status > "$T/out" 2>&1 || rc=$?
    { [ "$rc" = 1 ] && grep -q 'no session for https://login.example.com' "$T/out"; } ||
        { cat "$T/out"; bad "etc/client.conf uncommented: jwtctl status exits $rc"; }
    sed -n 's/^[[:space:]]*if (strcmp(key, "\([a-z_]*\)") == 0).*/\1/p' issuer/jwtctl/clientconf.c | sort -u > "$T/cc.code"
    sed -n 's/^\([a-z_]*\) = .*/\1/p' "$T/client.conf" | sort -u > "$T/cc.example"
    same_set "etc/client.conf" "$T/cc.code" "$T/cc.example"
    ok "etc/client.conf: $(wc -l < "$T/client.conf") keys uncommented load in jwtctl"
    # README's host config (the block with key = .../jwks.json).
    awk '/^```/{ if (inb) { inb = 0; if (blk ~ /jwks.json/ && blk ~ /^issuer/) printf "%s", blk } else { inb = 1; blk = "" } next }
         inb { blk = blk $0 "\n" }' README.md |
        sed -e "s|/etc/security/pam_jwt/jwks.json|$T/jwks.json|" \
            -e "s|/etc/security/pam_jwt/revoked|$T/revoked|" > "$T/readme-host.conf"
    chmod 0644 "$T/readme-host.conf"
    # As jwtctl sync installs them: the key set with its bundle's
    # pamjwt_trust (max_trust_age reads it), and an empty revocation list.
    "$JWTCTL" jwks "$T/etc/signing.key" |
        jq --argjson now "$now" '. + {pamjwt_trust: {iss: "https://login.example.com", version: 1, iat: $now, exp: ($now + 604800)}}' \
        > "$T/jwks.json"
    : > "$T/revoked"; chmod 0644 "$T/jwks.json" "$T/revoked"
    grep -q '^max_trust_age' "$T/readme-host.conf" || bad "README host config has no max_trust_age"
    grep -q '^audience = ssh:%h' "$T/readme-host.conf" || bad "README host config block not found"
    claims="{\"iss\":\"https://login.example.com\",\"sub\":\"alice\",\"aud\":\"ssh:$host\",\"iat\":$now,\"exp\":$((now + 300))}"
    tok=$("$JWTCTL" sign --key "$T/etc/signing.key" --claims "$claims")
    "$JWTCTL" verify --config "$T/readme-host.conf" --user alice "$tok" > "$T/out" 2>&1 ||
        { cat "$T/out"; bad "README's host pam_jwt.conf refuses a good token"; }
    ok "README host config + served-style JWKS accept a good token in jwtctl verify"
else
    skip_part "jwtctl verify not built ($JWTCTL): etc/pam_jwt.conf not loaded"
fi

# ---- 3. systemd units, nginx -----------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$T/units"
    exe=$ISSUERD; [ -x "$exe" ] || exe=/bin/true
    for u in jwt-issuerd.service jwt-issuerd.socket; do
        sed "s|/usr/local/sbin/jwt-issuerd|$exe|g" "etc/systemd/$u" > "$T/units/$u"
    done
    systemd-analyze verify --man=no "$T/units/jwt-issuerd.service" "$T/units/jwt-issuerd.socket" \
        > "$T/out" 2>&1 || { cat "$T/out"; bad "systemd-analyze verify failed"; }
    # Unknown or misspelt settings are only warnings to systemd: none allowed.
    if [ -s "$T/out" ]; then cat "$T/out"; bad "systemd-analyze verify printed warnings"; fi
    for want in 'ProtectSystem=strict' 'PrivateTmp=yes' 'NoNewPrivileges=yes' \
                'CapabilityBoundingSet=CAP_SETUID CAP_SETGID$' 'LimitCORE=0$' 'KillMode=mixed$' \
                'ConfigurationDirectory='; do
        grep -q "^$want" etc/systemd/jwt-issuerd.service || bad "jwt-issuerd.service lacks $want"
    done
    # Started as root: the HTTP process drops itself (`user =`), the PAM
    # helpers stay root, nobody gets group shadow (tests/e2e/unit_privs.sh).
    for unwanted in 'User=' 'Group=' 'SupplementaryGroups='; do
        ! grep -q "^$unwanted" etc/systemd/jwt-issuerd.service || bad "jwt-issuerd.service sets $unwanted"
    done
    exposure=$(systemd-analyze security --offline=yes "$T/units/jwt-issuerd.service" 2>/dev/null |
        sed -n 's/.*Overall exposure level for jwt-issuerd.service: \([0-9.]*\).*/\1/p')
    if [ -n "$exposure" ]; then
        awk -v e="$exposure" 'BEGIN { exit !(e <= 2.5) }' ||
            bad "jwt-issuerd.service exposure $exposure > 2.5"
        ok "systemd units verify cleanly; hardening present (systemd-analyze security: $exposure)"
    else
        ok "systemd units verify cleanly; hardening present"
    fi
else
    skip_part "systemd-analyze absent: units not verified"
fi

# The host's sync units (jwtctl sync): hardening keys whether or not
# systemd-analyze is there to verify them.
for want in 'Type=oneshot$' 'ExecStart=/usr/local/bin/jwtctl sync$' 'ProtectSystem=strict$' \
            'ReadWritePaths=/etc/security/pam_jwt$' 'PrivateTmp=yes$' 'NoNewPrivileges=yes$' \
            'CapabilityBoundingSet=$' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$' \
            'SystemCallFilter=@system-service$'; do
    grep -q "^$want" etc/systemd/pamjwt-sync.service || bad "pamjwt-sync.service lacks $want"
done
! grep -q '^User=' etc/systemd/pamjwt-sync.service || bad "pamjwt-sync.service sets User= (its files are root's)"
for want in 'OnBootSec=1min$' 'OnUnitActiveSec=5min$' 'RandomizedDelaySec=60$' 'Persistent=true$' \
            'WantedBy=timers.target$'; do
    grep -q "^$want" etc/systemd/pamjwt-sync.timer || bad "pamjwt-sync.timer lacks $want"
done
if command -v systemd-analyze >/dev/null 2>&1; then
    exe=$JWTCTL; [ -x "$exe" ] || exe=/bin/true
    sed "s|/usr/local/bin/jwtctl|$exe|" etc/systemd/pamjwt-sync.service > "$T/units/pamjwt-sync.service"
    cp etc/systemd/pamjwt-sync.timer "$T/units/"
    systemd-analyze verify --man=no "$T/units/pamjwt-sync.service" "$T/units/pamjwt-sync.timer" \
        > "$T/out" 2>&1 || { cat "$T/out"; bad "systemd-analyze verify of the sync units failed"; }
    if [ -s "$T/out" ]; then cat "$T/out"; bad "systemd-analyze verify printed warnings (sync units)"; fi
    exposure=$(systemd-analyze security --offline=yes "$T/units/pamjwt-sync.service" 2>/dev/null |
        sed -n 's/.*Overall exposure level for pamjwt-sync.service: \([0-9.]*\).*/\1/p')
    [ -z "$exposure" ] || awk -v e="$exposure" 'BEGIN { exit !(e <= 2.5) }' ||
        bad "pamjwt-sync.service exposure $exposure > 2.5"
    ok "pamjwt-sync.service and .timer verify cleanly; hardening and schedule present${exposure:+ (exposure $exposure)}"
else
    ok "pamjwt-sync.service and .timer: hardening and schedule keys present (systemd-analyze absent)"
fi

if command -v nginx >/dev/null 2>&1; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=localhost -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null
    sed -e "s|/etc/ssl/certs/login.example.com.pem|$T/tls.crt|" \
        -e "s|/etc/ssl/private/login.example.com.key|$T/tls.key|" etc/nginx/jwt-issuer.conf > "$T/site.conf"
    cat > "$T/nginx.conf" <<EOF
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events {}
http { access_log off; client_body_temp_path $T/ncb; proxy_temp_path $T/ncp;
       fastcgi_temp_path $T/ncf; uwsgi_temp_path $T/ncu; scgi_temp_path $T/ncs;
       include $T/site.conf; }
EOF
    nginx -t -q -p "$T" -c "$T/nginx.conf" > "$T/out" 2>&1 ||
        { cat "$T/out"; bad "nginx -t rejects etc/nginx/jwt-issuer.conf"; }
    ok "etc/nginx/jwt-issuer.conf passes nginx -t"
else
    skip_part "nginx absent: etc/nginx/jwt-issuer.conf not checked"
fi

# ---- 4. the replicas example (etc/replicas/) --------------------------------
# redis.conf cannot be dry-run: it starts for real on a private socket and
# directory with a throwaway password (include rewritten), answers PING
# only after AUTH, and is ended by PID.  Both issuer configs then pass
# `jwt-issuerd -t` against it, and the upstream file in place of the
# site's upstream passes `nginx -t`.
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    install -d -m 0700 "$T/redis"
    pw=$(openssl rand -hex 16)
    printf 'requirepass %s\n' "$pw" > "$T/redis/password.conf"
    printf '%s\n' "$pw" > "$T/etc/redis.password"; chmod 0600 "$T/etc/redis.password"
    sed -e "s|/run/redis/redis.sock|$T/redis/redis.sock|" \
        -e "s|/etc/redis/pamjwt-password.conf|$T/redis/password.conf|" \
        -e "s|^dir /var/lib/redis\$|dir $T/redis|" -e 's/^supervised systemd$/supervised no/' \
        etc/replicas/redis.conf > "$T/redis/redis.conf"
    for want in "unixsocket $T/redis/redis.sock" "include $T/redis/password.conf" "dir $T/redis" \
                'port 0' 'unixsocketperm 770' 'appendonly yes' 'maxmemory-policy noeviction'; do
        grep -qx "$want" "$T/redis/redis.conf" || bad "etc/replicas/redis.conf: no line '$want' (after the rewrite)"
    done
    redis-server "$T/redis/redis.conf" > "$T/redis/log" 2>&1 &
    rpid=$!; track "$rpid"
    # The password from stdin (--askpass), never on redis-cli's argv.
    rping() { redis-cli -s "$T/redis/redis.sock" --askpass ping < "$T/etc/redis.password" 2>/dev/null | grep -qx PONG; }
    if WAIT_TRIES=100 WAIT_STEP=0.05 wait_for rping; then
        out=$(redis-cli -s "$T/redis/redis.sock" ping 2>&1 || true)
        case $out in *NOAUTH*) ;; *) bad "etc/replicas/redis.conf: PING without the password answered '$out'" ;; esac
        mode=$(stat -c %a "$T/redis/redis.sock")
        [ "$mode" = 770 ] || bad "etc/replicas/redis.conf: socket mode $mode, not 770"
        ok "etc/replicas/redis.conf starts (unix socket 0770 only, port 0), PING needs the password"
    else
        cat "$T/redis/log"; bad "etc/replicas/redis.conf: redis-server did not answer PING"
    fi
    if [ ! -x "$ISSUERD" ]; then
        skip_part "jwt-issuerd not built: etc/replicas/jwt-issuerd-*.conf not loaded"
    elif ! grep -q '"store_password_file"' issuer/jwt-issuerd/*.c; then
        skip_part "jwt-issuerd has no store/store_password_file options yet: etc/replicas/jwt-issuerd-*.conf not loaded"
    else
        for r in a b; do
            install -d -m 0700 "$T/keys-$r"
            sed -e "s|/var/lib/jwt-issuerd/keys-$r\$|$T/keys-$r|" -e '/^user = /d' \
                -e "s|redis+unix:///run/redis/redis.sock|redis+unix://$T/redis/redis.sock|" \
                -e "s|/etc/pamjwt/redis.password|$T/etc/redis.password|" \
                "etc/replicas/jwt-issuerd-$r.conf" > "$T/replica-$r.conf"
            echo "$PAMDIR_LINE" >> "$T/replica-$r.conf"
            grep -q "^key_dir = $T/keys-$r\$" "$T/replica-$r.conf" && grep -q "^store = redis+unix://$T/" "$T/replica-$r.conf" ||
                bad "etc/replicas/jwt-issuerd-$r.conf: key_dir or store line not found"
            "$ISSUERD" -t -c "$T/replica-$r.conf" > "$T/out" 2>&1 ||
                { cat "$T/out"; bad "etc/replicas/jwt-issuerd-$r.conf fails jwt-issuerd -t"; }
        done
        a=$(grep -v -e '^#' -e '^listen' -e '^key_dir' "$T/replica-a.conf" | sed "s|keys-a|keys-X|")
        b=$(grep -v -e '^#' -e '^listen' -e '^key_dir' "$T/replica-b.conf" | sed "s|keys-b|keys-X|")
        [ "$a" = "$b" ] || bad "etc/replicas: the two issuer configs differ in more than listen and key_dir"
        ok "etc/replicas/jwt-issuerd-a.conf and -b.conf pass jwt-issuerd -t on the Redis above; they differ in listen and key_dir only"
    fi
    stop_pid "$rpid"
else
    skip_part "redis-server absent: etc/replicas/redis.conf and the replica configs not checked"
fi
if command -v nginx >/dev/null 2>&1; then
    # The site with its upstream block replaced by the include, as
    # etc/replicas/nginx-upstream.conf says to do.
    awk -v inc="$TOP/etc/replicas/nginx-upstream.conf" '
        /^upstream jwt_issuer \{/ { print "include " inc ";"; skip = 1; next }
        skip { if ($0 ~ /^\}/) skip = 0; next }
        { print }' "$T/site.conf" > "$T/site-replicas.conf"
    grep -q '^include ' "$T/site-replicas.conf" || bad "etc/nginx/jwt-issuer.conf: no upstream block to replace"
    sed "s|$T/site.conf|$T/site-replicas.conf|" "$T/nginx.conf" > "$T/nginx-replicas.conf"
    nginx -t -q -p "$T" -c "$T/nginx-replicas.conf" > "$T/out" 2>&1 ||
        { cat "$T/out"; bad "nginx -t rejects etc/replicas/nginx-upstream.conf in the site"; }
    grep -q '^proxy_next_upstream error timeout http_503;$' etc/replicas/nginx-upstream.conf ||
        bad "etc/replicas/nginx-upstream.conf: proxy_next_upstream is not 'error timeout http_503'"
    ! grep -q '^[^#]*non_idempotent' etc/replicas/nginx-upstream.conf ||
        bad "etc/replicas/nginx-upstream.conf retries non-idempotent requests (POST /token)"
    [ "$(grep -c '^ *server 127.0.0.1:808[12] max_fails=[0-9]* fail_timeout=' etc/replicas/nginx-upstream.conf)" = 2 ] ||
        bad "etc/replicas/nginx-upstream.conf: not two servers with max_fails and fail_timeout"
    ok "etc/replicas/nginx-upstream.conf in place of the site's upstream passes nginx -t; POST never retried once sent"
fi

done_cases
[ "$HARNESS_BAD" = 0 ] || { echo "$HARNESS_BAD failure(s)"; exit 1; }
if [ -n "$skipped" ]; then echo "skipped parts${skipped}"; exit 77; fi
exit 0
