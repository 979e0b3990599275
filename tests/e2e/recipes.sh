#!/bin/sh
# The README's PAM and sshd recipes, loaded from the example files as
# shipped (etc/pam.d/sshd.example, etc/pam.d/sudo.example,
# etc/sshd_config.d/pam_jwt.conf), not retyped here.
#
# sshd.example is also compared with openssh-server's own /etc/pam.d/sshd
# (only its @include common-auth line may differ) and run whole, Debian's
# common-account included, for auth + account.
#
# The pam.d examples run through pamtester with pam_wrapper (service files
# from a temp dir; /etc/pam.d untouched).  Only two things are changed in
# them: pam_jwt.so becomes the built module's absolute path plus
# config=<temp pam_jwt.conf>, and the @include lines (Debian's common-*
# files) are dropped.  The password module stays the real pam_unix with
# try_first_pass, checking a throwaway local user (root only; removed
# afterwards), because that line is the recipe's point: one prompt, a token
# or the password.  Tokens are made by PyJWT, an independent signer.
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
: "${PAMJWT_B:=$TOP/build}"
MODULE=${PAMJWT_MODULE:-$TOP/pam_module/pam_jwt.so}
PY=/usr/bin/python3
PAMWRAP=libpam_wrapper.so

[ -f "$MODULE" ] || { echo "pam_jwt.so not built ($MODULE)"; exit 77; }
command -v pamtester >/dev/null || { echo "pamtester missing (make deps)"; exit 77; }
$PY -c 'import jwt' 2>/dev/null || { echo "python3-jwt missing (make deps)"; exit 77; }
# pamtester is not built with the sanitizer runtime that a SAN module needs.
[ -z "${PAMJWT_SAN:-}" ] || { echo "not run on a sanitizer build (pamtester + LD_PRELOADed pam_wrapper)"; exit 77; }

. "$TOP/tests/lib/harness.sh"
harness_init pamjwt-recipes
FAIL_LOGS=" "     # nothing to show beyond the message
# The throwaway user, once made, is removed at exit.
user=""
on_exit '[ -z "$user" ] || userdel -r "$user" >/dev/null 2>&1'
umask 077

host=$(hostname -s 2>/dev/null || hostname)
host=${host%%.*}

# ---- sshd_config.d snippet: sshd accepts it and it sets what we need ----
if command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; then
    SSHD=$(command -v sshd || echo /usr/sbin/sshd)
    ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
    cat > "$T/sshd_config" <<EOF
Include $TOP/etc/sshd_config.d/pam_jwt.conf
HostKey $T/hostkey
PidFile $T/sshd.pid
KbdInteractiveAuthentication no
UsePAM no
EOF
    # sshd insists on /run/sshd; where it is missing, give it one in a
    # private mount namespace rather than creating it on the machine.
    sshd_run() {
        if [ -d /run/sshd ]; then "$SSHD" "$@"
        else unshare -m sh -c '. "$TOP/tests/lib/tmpdir.sh" && pamjwt_fresh_run && exec "$0" "$@"' "$SSHD" "$@"
        fi
    }
    sshd_run -t -f "$T/sshd_config" || fail "sshd -t rejects etc/sshd_config.d/pam_jwt.conf"
    # First value wins: the snippet, included at the top, must override the
    # "no" lines after it, as in Debian's sshd_config.
    sshd_run -T -f "$T/sshd_config" -C user=root,host=localhost,addr=127.0.0.1 > "$T/sshd-T" ||
        fail "sshd -T"
    grep -qx 'usepam yes' "$T/sshd-T" || fail "snippet does not set UsePAM yes"
    grep -qx 'kbdinteractiveauthentication yes' "$T/sshd-T" ||
        fail "snippet does not set KbdInteractiveAuthentication yes"
    ok "sshd_config.d/pam_jwt.conf: sshd -t passes, UsePAM and KbdInteractiveAuthentication yes"
else
    echo "sshd not installed: sshd_config snippet not checked"
fi

# ---- keys, config, tokens ----
PYTHONPATH="$TOP/tests/lib" $PY - "$T" <<'EOF'
import sys
import testkeys as tk
d = sys.argv[1]
k = tk.gen_key("P-256")
open(d + "/signing.key", "wb").write(tk.pem_priv(k))
open(d + "/pub.pem", "wb").write(tk.pem_pub(k))
EOF
cat > "$T/pam_jwt.conf" <<EOF
issuer = https://login.example.com
key = $T/pub.pem
EOF
chmod 0644 "$T/pam_jwt.conf" "$T/pub.pem"

# token SUB AUD [EXP-OFFSET]
token() {
    PYTHONPATH="$TOP/tests/lib" $PY - "$T/signing.key" "$1" "$2" "${3:-300}" <<'EOF'
import sys, time, uuid
import testkeys as tk
key, sub, aud, off = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
now = int(time.time())
print(tk.sign({"iss": "https://login.example.com", "sub": sub, "aud": aud,
               "iat": now - 10, "nbf": now - 10, "exp": now + off,
               "jti": uuid.uuid4().hex}, tk.load_priv(key), alg="ES256"))
EOF
}

# A throwaway local user with a real password, for pam_unix.
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v chpasswd >/dev/null; then
    user=pjwtr$$
    useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$user" ||
        { user=""; fail "useradd"; }
    pw=Recipe-$$-pass
    echo "$user:$pw" | chpasswd || fail "chpasswd"
    have_user=1
else
    echo "not root: the password half of the recipes is not checked"
    user=""
    have_user=0
fi
name=${user:-nobody}

# service FILE NAME: the example as a pam_wrapper service file.
service() {
    mkdir -p "$T/svc"
    sed -e "s|pam_jwt\.so|$MODULE config=$T/pam_jwt.conf|" -e '/^@include/d' \
        "$TOP/etc/pam.d/$1" > "$T/svc/$2"
    grep -q "$MODULE" "$T/svc/$2" || fail "$1 has no pam_jwt.so line"
    printf 'auth required pam_deny.so\naccount required pam_deny.so\n' > "$T/svc/other"
}

# login SERVICE USER INPUT: 0 if PAM authenticated
login() {
    printf '%s\n' "$3" | LD_PRELOAD=$PAMWRAP PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
        pamtester "$1" "$2" authenticate > "$T/out" 2>&1
}

check_recipe() {
    file=$1 svc=$2 aud=$3
    service "$file" "$svc"
    good=$(token "$name" "$aud")
    login "$svc" "$name" "$good" || { cat "$T/out"; fail "$file: a good token is refused"; }
    ok "$file: token for $name accepted"
    # A different audience (the other service's token) is not accepted.
    login "$svc" "$name" "$(token "$name" "other:$host")" &&
        fail "$file: token with another audience accepted"
    ok "$file: token with another audience refused"
    login "$svc" "$name" "$(token "$name" "$aud" -120)" && fail "$file: expired token accepted"
    ok "$file: expired token refused"
    login "$svc" "$name" "$(token someoneelse "$aud")" && fail "$file: token for another user accepted"
    ok "$file: token for another user refused"
    # Tampered: flip a claims character; still token-shaped, so default=die
    # ends the stack (never retried as a password).
    bad=$(printf '%s' "$good" | $PY -c '
import sys; t = sys.stdin.read().split("."); c = t[1]
t[1] = c[:5] + ("A" if c[5] != "A" else "B") + c[6:]; print(".".join(t))')
    login "$svc" "$name" "$bad" && fail "$file: tampered token accepted"
    ok "$file: tampered token refused"
    if [ "$have_user" = 1 ]; then
        # One line of input: had pam_unix prompted again (no
        # try_first_pass), it would read EOF and fail.
        login "$svc" "$user" "$pw" || { cat "$T/out"; fail "$file: the password is refused at the same prompt"; }
        ok "$file: password accepted at the same single prompt"
        login "$svc" "$user" "wrong-$pw" && fail "$file: wrong password accepted"
        ok "$file: wrong password refused"
    fi
}

check_recipe sshd.example sshd "ssh:$host"
check_recipe sudo.example sudo "sudo:$host"

# A host that stopped syncing: the README's host lines (max_trust_age)
# with a jwks.json whose bundle expired longer ago than that.  The
# shipped recipe refuses the token (PAM_AUTHINFO_UNAVAIL ends the stack at
# default=die) and still takes the password at the same prompt.
if [ "$have_user" = 1 ]; then
    JWTCTL=${PAMJWT_JWTCTL:-$TOP/issuer/jwtctl/jwtctl}
    age=$(sed -n 's/^max_trust_age = \([0-9]*\)$/\1/p' "$TOP/README.md" | head -n 1)
    [ -n "$age" ] || fail "README's host config has no max_trust_age line"
    # synced EXP: pub.pem as jwtctl sync would install it, bundle exp EXP.
    synced() {
        "$JWTCTL" jwks "$T/pub.pem" |
            jq --argjson exp "$1" '. + {pamjwt_trust: {iss: "https://login.example.com", version: 7, iat: ($exp - 604800), exp: $exp}}' \
            > "$T/jwks.json" && chmod 0644 "$T/jwks.json"
    }
    cp "$T/pam_jwt.conf" "$T/pam_jwt.conf.plain"
    printf 'issuer = https://login.example.com\nkey = %s\nmax_trust_age = %s\n' "$T/jwks.json" "$age" > "$T/pam_jwt.conf"
    service sshd.example sshd
    now=$(date +%s)
    synced $((now + 86400)) || fail "jwks.json"
    login sshd "$name" "$(token "$name" "ssh:$host")" || { cat "$T/out"; fail "fresh bundle: token refused"; }
    synced $((now - age - 3600)) || fail "jwks.json"
    login sshd "$name" "$(token "$name" "ssh:$host")" && fail "bundle expired $age s + 1 h ago: token accepted"
    login sshd "$user" "$pw" || { cat "$T/out"; fail "bundle expired: the password is refused"; }
    ok "max_trust_age = $age (README): a stale bundle refuses tokens, the password still works at the same prompt"
    cp "$T/pam_jwt.conf.plain" "$T/pam_jwt.conf"
fi

# A broken host config (key file gone): the shipped recipe fails closed,
# passwords included; README's variant with authinfo_unavail=ignore
# service_err=ignore keeps the password working and still refuses tokens.
if [ "$have_user" = 1 ]; then
    service sshd.example sshd
    good=$(token "$name" "ssh:$host")
    mv "$T/pub.pem" "$T/pub.pem.away"
    login sshd "$user" "$pw" && fail "sshd.example: password accepted with pam_jwt's key missing (expected fail closed)"
    ok "sshd.example fails closed when pam_jwt's key file is missing (as README says)"
    variant=$(grep -m 1 'authinfo_unavail=ignore service_err=ignore' "$TOP/README.md" | sed 's/^ *//')
    [ -n "$variant" ] || fail "README's broken-module variant line not found"
    { printf '%s\n' "$variant" | sed "s|pam_jwt\.so|$MODULE config=$T/pam_jwt.conf audience=ssh:%h|"
      echo "auth required pam_unix.so try_first_pass"; } > "$T/svc/sshd"
    login sshd "$user" "$pw" || { cat "$T/out"; fail "README variant: password refused with the key missing"; }
    login sshd "$user" "$good" && fail "README variant: a token accepted with the key missing"
    ok "README variant keeps passwords working when pam_jwt is broken, tokens still refused"
    mv "$T/pub.pem.away" "$T/pub.pem"
    echo "garbage =" > "$T/pam_jwt.conf.bad"; chmod 0644 "$T/pam_jwt.conf.bad"
    sed -i "s|config=$T/pam_jwt.conf |config=$T/pam_jwt.conf.bad |" "$T/svc/sshd"
    grep -q "pam_jwt.conf.bad" "$T/svc/sshd" || fail "could not point the variant at the bad config"
    login sshd "$user" "$pw" || { cat "$T/out"; fail "README variant: password refused with a bad config"; }
    ok "README variant keeps passwords working with a broken pam_jwt.conf (service_err)"
fi

# A missing pam_jwt.so (make install put it where libpam does not look):
# README's variant with module_unknown=ignore keeps the password working
# through pam_unix; the plain recipe is not success.
if [ "$have_user" = 1 ]; then
    gone=/nonexistent/pamjwt/pam_jwt.so
    variant=$(grep -m 1 'authinfo_unavail=ignore service_err=ignore' "$TOP/README.md" | sed 's/^ *//')
    case $variant in *module_unknown=ignore*) ;; *) fail "README's variant lacks module_unknown=ignore: $variant" ;; esac
    { printf '%s\n' "$variant" | sed "s|pam_jwt\.so|$gone|"
      echo "auth required pam_unix.so try_first_pass"; } > "$T/svc/sshd"
    login sshd "$user" "$pw" || { cat "$T/out"; fail "README variant: password refused with pam_jwt.so missing"; }
    login sshd "$user" "wrong-$pw" && fail "README variant: wrong password accepted with pam_jwt.so missing"
    ok "README variant (module_unknown=ignore): pam_jwt.so missing, the password still works, a wrong one does not"
    sed -e "s|pam_jwt\.so|$gone|" -e '/^@include/d' "$TOP/etc/pam.d/sshd.example" > "$T/svc/sshd"
    grep -q "$gone" "$T/svc/sshd" || fail "could not point sshd.example at a missing module"
    login sshd "$user" "$pw" && fail "sshd.example with pam_jwt.so missing: the password was accepted"
    ok "sshd.example as shipped with pam_jwt.so missing: not success (fails closed)"
fi

# ---- sshd.example is Debian's whole /etc/pam.d/sshd, one line changed ----
# The package's own copy: /etc/pam.d/sshd when its md5 is the conffile's
# (pristine), else the .deb in apt's cache, unpacked in $T.
deb_sshd=""
if command -v dpkg-query >/dev/null && dpkg-query -W openssh-server >/dev/null 2>&1; then
    want=$(dpkg-query -W -f='${Conffiles}\n' openssh-server | awk '$1 == "/etc/pam.d/sshd" { print $2 }')
    if [ -n "$want" ] && [ "$(md5sum < /etc/pam.d/sshd | cut -d' ' -f1)" = "$want" ]; then
        deb_sshd=/etc/pam.d/sshd
    else
        v=$(dpkg-query -W -f='${Version}' openssh-server | sed 's/:/%3a/')
        d=/var/cache/apt/archives/openssh-server_${v}_$(dpkg --print-architecture).deb
        if [ -f "$d" ]; then
            dpkg-deb -x "$d" "$T/deb" && deb_sshd=$T/deb/etc/pam.d/sshd
        fi
    fi
fi
if [ -n "$deb_sshd" ] && [ -f "$deb_sshd" ]; then
    ex=$TOP/etc/pam.d/sshd.example
    marker=$(grep -n '^# ---- Debian 12.s /etc/pam.d/sshd from here on' "$ex" | cut -d: -f1)
    [ -n "$marker" ] || fail "sshd.example: no marker line before Debian's file"
    head -n "$marker" "$ex" | grep -v '^#' | grep -q . && fail "sshd.example: a non-comment line in the header"
    tail -n "+$((marker + 1))" "$ex" > "$T/body"
    diff "$deb_sshd" "$T/body" > "$T/diff" && fail "sshd.example: identical to Debian's (no pam_jwt line)"
    grep '^<' "$T/diff" > "$T/removed" || true
    grep '^>' "$T/diff" > "$T/added" || true
    [ "$(cat "$T/removed")" = "< @include common-auth" ] ||
        { cat "$T/diff"; fail "sshd.example: Debian's file changed beyond its @include common-auth line"; }
    printf '> auth       [success=done ignore=ignore default=die]  pam_jwt.so audience=ssh:%%h\n> auth       required   pam_unix.so try_first_pass\n' > "$T/want-added"
    cmp -s "$T/added" "$T/want-added" || { cat "$T/diff"; fail "sshd.example: not the two recipe lines in its place"; }
    [ "$(grep -c '^[0-9]' "$T/diff")" = 1 ] || { cat "$T/diff"; fail "sshd.example: more than one change"; }
    ok "sshd.example = header + Debian's /etc/pam.d/sshd ($deb_sshd) with @include common-auth replaced by the two lines"

    if [ "$have_user" = 1 ]; then
        # The whole file, @includes and all: Debian's common-* files beside
        # it in the service dir (copies of this machine's).
        mkdir -p "$T/full"
        for f in common-account common-session common-password; do cp "/etc/pam.d/$f" "$T/full/$f"; done
        sed "s|pam_jwt\.so|$MODULE config=$T/pam_jwt.conf|" "$ex" > "$T/full/sshd"
        printf 'auth required pam_deny.so\naccount required pam_deny.so\n' > "$T/full/other"
        full() {   # full USER INPUT: auth + account through the whole file
            printf '%s\n' "$2" | LD_PRELOAD=$PAMWRAP PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/full" \
                pamtester sshd "$1" authenticate acct_mgmt > "$T/out" 2>&1
        }
        full "$user" "$(token "$user" "ssh:$host")" || { cat "$T/out"; fail "whole sshd.example: token refused (auth + account)"; }
        ok "whole sshd.example (with Debian's common-account): token -> authenticate + acct_mgmt succeed"
        full "$user" "$pw" || { cat "$T/out"; fail "whole sshd.example: password refused (auth + account)"; }
        ok "whole sshd.example: password -> authenticate + acct_mgmt succeed"
        full "$user" "wrong-$pw" && fail "whole sshd.example: wrong password accepted"
        full "$user" "$(token "$user" "other:$host")" && fail "whole sshd.example: token for another audience accepted"
        ok "whole sshd.example: wrong password, wrong-audience token refused"
        # Sessions are not opened: pam_motd would run update-motd and
        # rewrite /run/motd.dynamic, pam_systemd register a logind session,
        # pam_loginuid set this process's loginuid: each changes the machine.
        echo "session stack not opened: pam_motd, pam_systemd and pam_loginuid change the machine"
    fi
else
    echo "Debian's /etc/pam.d/sshd not available pristine (no cached .deb): sshd.example not compared"
fi

# The sudo recipe's prompt says what it accepts (bracketed argument).
printf '\n' | LD_PRELOAD=$PAMWRAP PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
    pamtester sudo "$name" authenticate > "$T/out" 2>&1 || true
grep -q 'Password or token: ' "$T/out" || { cat "$T/out"; fail "sudo.example: prompt not shown"; }
ok "sudo.example: prompt 'Password or token: '"

done_cases
