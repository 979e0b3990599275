/*
 * jwtctl: the administrator's tool for pamjwt: keygen, jwks, sign, decode
 * and verify (jwtctl(1)).  Each subcommand lives in the file
 * named for it (decode.c, jwks.c, keygen.c, sign.c, verify.c).
 */
#include <stdio.h>
#include <string.h>
#include "client.h"
#include "ctl.h"
#include "version.h"

static void
usage(FILE *f)
{
    fputs("usage: jwtctl COMMAND [OPTIONS] ...\n"
          "\n"
          "commands:\n"
          "  keygen [--alg ES256|EdDSA|RS256|HS256] [--force] OUT\n"
          "                      new private key OUT (mode 0600) and OUT.pub\n"
          "  jwks KEY...         JWKS of the keys' public halves on stdout\n"
          "  jwks --install DEST < JWKS\n"
          "                      check a downloaded JWKS, replace DEST atomically\n"
          "  sign --key KEY --claims JSON|@FILE [--alg A] [--kid K] [--lifetime S]\n"
          "                      a signed token on stdout\n"
          "  decode TOKEN|-      header and claims, NOT verified\n"
          "  verify [--config FILE] [OPTION=VALUE...] --user NAME [--service S]\n"
          "         [--now EPOCH] TOKEN|-\n"
          "                      pam_jwt.so's checks, each printed PASS/FAIL\n"
          "  verify [--config FILE] [OPTION=VALUE...] --check\n"
          "                      the configuration and its keys, no token\n"
          "  sessions [--store sqlite:PATH] list [--user U] [--json]\n"
          "  sessions [--store sqlite:PATH] revoke (--user U | ID)\n"
          "                      the issuer's refresh sessions: list, end\n"
          "  keys list [-c CONF | --key-dir DIR] [--current]\n"
          "                      key_dir's keys: state and dates (--current: its kid)\n"
          "  sync [--issuer URL | --file PATH] [--dir DIR] [--trust-kid KID]\n"
          "  sync --jwks URL [--dir DIR]   sync --status [--dir DIR]\n"
          "                      install the issuer's signed keys and revocations\n"
          "  revoke [--store sqlite:PATH] (--jti ID | --sub U [--before T])\n"
          "  revoke [--store sqlite:PATH] --list | --remove (--jti ID | --sub U)\n"
          "                      the revocations of the issuer's trust bundle\n"
          "  bundle [--issuer URL] -o FILE\n"
          "                      the issuer's trust bundle, checked, into FILE\n"
          "\n"
          "the user's client (client.conf: jwtctl(1) CLIENT CONFIGURATION):\n"
          "  login [--issuer URL] [-u USER] [--password-stdin] [--cacert FILE]\n"
          "                      log in with your password, keep the session\n"
          "  token [--audience A] [--issuer URL] [--json]\n"
          "                      a fresh access token from the session\n"
          "  logout [--issuer URL]  end the session, here and at the issuer\n"
          "  status [--issuer URL]  the stored session (no network)\n"
          "  ssh [SSH ARGS...]   ssh answering token prompts from the session\n"
          "  askpass PROMPT      SSH_ASKPASS/SUDO_ASKPASS (also as jwtctl-askpass)\n"
          "\n"
          "`jwtctl COMMAND --help` describes each command; `jwtctl --version`\n"
          "prints the version.\n"
          "\n"
          "exit status: 0 success (verify: token accepted), 1 failure (verify:\n"
          "token refused), 2 bad command line or configuration.\n", f);
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        { "keygen", ctl_keygen }, { "jwks", ctl_jwks }, { "sign", ctl_sign },
        { "decode", ctl_decode }, { "verify", ctl_verify },
        { "sessions", ctl_sessions }, { "sync", ctl_sync }, { "keys", ctl_keys },
        { "revoke", ctl_revoke },
        { "bundle", ctl_bundle },
        { "login", ctl_login }, { "token", ctl_token },
        { "logout", ctl_logout }, { "status", ctl_status },
        { "askpass", ctl_askpass }, { "ssh", ctl_ssh },
    };
    const char *base;
    size_t i;

    /* ssh and sudo run their askpass program with the prompt as its only
       argument: the name jwtctl-askpass (a symlink) selects the verb. */
    base = argc > 0 ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : argc > 0 ? argv[0] : "";
    if (strcmp(base, "jwtctl-askpass") == 0)
        return ctl_askpass(argc, argv);

    if (argc < 2) {
        usage(stderr);
        return CTL_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CTL_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("jwtctl (pamjwt) %s\n", PJWT_VERSION);
        return CTL_OK;
    }
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    }
    ctl_err("unknown command '%s'", argv[1]);
    usage(stderr);
    return CTL_USAGE;
}
