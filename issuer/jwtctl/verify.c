/*
 * verify.c: `jwtctl verify`: pam_jwt.so's checks, run through the very
 * same pjwt_verifier_check, with every check printed.  The tool an
 * administrator uses to find out why a login was refused.
 *
 * Options are loaded by the module's own loader (common/modopts.c): a
 * pam_jwt.conf file (--config FILE, the module's config=FILE; without it
 * the module's default file, when it exists) and OPTION=VALUE arguments,
 * with the module's rules (trust rule for the file, absolute paths, an
 * argument replacing every file line of the same name).  --check loads and
 * checks the configuration and its key files without a token.
 * Module options that are not token checks (prompt, debug...) are checked
 * the same way so a real config loads; one_time is not simulated, because
 * doing so would have to use the token up.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "conf.h"
#include "ctl.h"
#include "modopts.h"

#define MAX_ARGS 128

static const char verify_usage[] =
    "usage: jwtctl verify [--config FILE] [OPTION=VALUE...] --user NAME\n"
    "                     [--service NAME] [--now EPOCH] [-v] TOKEN|-\n"
    "       jwtctl verify [--config FILE] [OPTION=VALUE...] [--service NAME]\n"
    "                     --check\n"
    "\n"
    "Run exactly pam_jwt.so's checks on TOKEN (- reads it from stdin, keeping\n"
    "it out of the process list) for the PAM user NAME, and print each check\n"
    "with PASS or FAIL and the reason.  Options are pam_jwt.so's: from a\n"
    "pam_jwt.conf(5) FILE (default " PJWT_MODOPTS_DEFAULT_CONFIG ",\n"
    "as for the module, when it exists) and/or as OPTION=VALUE arguments\n"
    "(issuer=, audience=, key=, hmac_secret=, algorithms=, leeway=,\n"
    "max_lifetime=, max_token_length=, user_claim=, require_claim=, revoked=,\n"
    "config=); an argument replaces the file's lines of the same name, and\n"
    "every file is named by an absolute path, as in the module.\n"
    "%s in audience becomes --service (default sshd); %h and %H this host's\n"
    "names.  --now checks at another time (seconds since the epoch).\n"
    "--check loads the configuration and its key files as the module would,\n"
    "without a token, and says what it would accept.\n"
    "-v also names the libpjwt function that refused (for bug reports).\n"
    "one_time is not simulated: checking it would use the token up.\n"
    "\n"
    "exit status: 0 every check passed (--check: the configuration loads),\n"
    "1 the token is refused, 2 usage or configuration error.\n";

/* The algorithms of set, comma-separated, into buf[cap]. */
static const char *
alg_list(pjwt_algset set, char *buf, size_t cap)
{
    size_t n = 0;
    int a;

    buf[0] = '\0';
    for (a = 1; a < PJWT_ALG_COUNT && n < cap; a++)
        if (set & PJWT_ALGSET(a))
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "",
                                  pjwt_alg_name((pjwt_alg)a));
    return buf;
}

/* An argument that is an option (OPTION=VALUE or a bare option name), not
   the token. */
static int
is_option(const char *arg)
{
    return strchr(arg, '=') || pjwt_modopt_find(arg);
}

static void
print_check(void *arg, const char *check, int rc, const char *detail)
{
    int *fails = arg;

    if (rc)
        (*fails)++;
    printf("%-10s %s  %s\n", check, rc ? "FAIL" : "PASS", detail ? detail : "");
}

int
ctl_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "user", required_argument, NULL, 'u' },
        { "service", required_argument, NULL, 's' },
        { "now", required_argument, NULL, 'n' },
        { "verbose", no_argument, NULL, 'v' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *user = NULL, *service = "sshd",
               *now_arg = NULL, *token_arg = NULL;
    const char *optv[MAX_ARGS + 1];
    char *config_arg = NULL;
    int nopt = 0, i, c, fails = 0, r = CTL_USAGE, rc, verbose = 0, check = 0;
    const char *default_config = PJWT_MODOPTS_DEFAULT_CONFIG;
    char algs[128];
    pjwt_modopts mo;
    size_t tlen = 0;
    char *in = NULL;
    size_t inlen = 0;
    const char *tok;
    long nowl = 0;
    time_t now;
    pjwt_err e;

    memset(&mo, 0, sizeof(mo));
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:u:s:n:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'u': user = optarg; break;
        case 's': service = optarg; break;
        case 'n': now_arg = optarg; break;
        case 'v': verbose = 1; break;
        case 'C': check = 1; break;
        case 'h': fputs(verify_usage, stdout); return CTL_OK;
        default: fputs(verify_usage, stderr); return CTL_USAGE;
        }
    }
    /* --config FILE is the module's config=FILE, first so that a config=
       argument, as in a PAM line, has the last word. */
    if (config) {
        if (!(config_arg = malloc(strlen(config) + sizeof("config=")))) {
            ctl_err("out of memory");
            r = CTL_FAIL;
            goto out;
        }
        memcpy(config_arg, "config=", 7);
        memcpy(config_arg + 7, config, strlen(config) + 1);
        optv[nopt++] = config_arg;
    }
    for (i = optind; i < argc; i++) {
        if (is_option(argv[i])) {
            if (nopt >= MAX_ARGS) {
                ctl_err("verify: too many options");
                goto out;
            }
            optv[nopt++] = argv[i];
        } else if (!token_arg) {
            token_arg = argv[i];
        } else {
            ctl_err("verify: more than one token");
            fputs(verify_usage, stderr);
            goto out;
        }
    }
    if (check && (token_arg || now_arg)) {
        ctl_err("verify: --check takes no token and no --now");
        fputs(verify_usage, stderr);
        goto out;
    }
    if (!check && (!user || !token_arg)) {
        ctl_err("verify: %s", !user ? "--user NAME is required" : "no token given");
        fputs(verify_usage, stderr);
        goto out;
    }
    /* Without --config, the module's default file, as the module reads it
       (only when it exists); with nothing at all to go on, say so. */
    if (config)
        default_config = NULL;
    if (!config && nopt == 0 && access(default_config, F_OK) != 0) {
        ctl_err("verify: no configuration: %s: %s (give --config FILE or "
                "OPTION=VALUE...)", default_config, strerror(errno));
        goto out;
    }
    pjwt_err_clear(&e);
    if (now_arg) {
        if (pjwt_conf_long("--now", now_arg, 0, 253402300799L, &nowl, &e) != 0) {
            ctl_err("%s", e.msg);
            goto out;
        }
        now = (time_t)nowl;
    } else {
        now = time(NULL);
    }

    /* Exactly the module's loader, with the module's default file. */
    rc = pjwt_modopts_load(&mo, nopt, optv, default_config, &e);
    if (rc != 0) {
        if (rc == PJWT_ERR_NOMEM)
            r = CTL_FAIL;
        ctl_err("%s", e.msg[0] ? e.msg : pjwt_strerror(rc));
        goto out;
    }
    if (pjwt_verifier_prepare(mo.v, 0, &e) != 0 ||
        pjwt_modopts_expand_audience(&mo, service, &e) != 0) {
        ctl_err("configuration: %s", e.msg);
        if (verbose && e.where)
            ctl_err("configuration: refused by %s", e.where);
        goto out;
    }

    if (check) {
        printf("configuration OK: %s; issuer %s, audience %s, algorithms %s\n",
               mo.config ? mo.config :
               (default_config && access(default_config, F_OK) == 0 ?
                default_config : "(arguments only)"),
               pjwt_verifier_issuer(mo.v), pjwt_verifier_audience(mo.v),
               alg_list(pjwt_verifier_algorithms(mo.v), algs, sizeof(algs)));
        r = ctl_flush();
        goto out;
    }

    if (strcmp(token_arg, "-") == 0) {
        if (ctl_read("-", &in, &inlen) != 0) {
            r = CTL_FAIL;
            goto out;
        }
        tlen = inlen;
        ctl_rtrim(in, &tlen);
        tok = in;
    } else {
        tok = token_arg;
        tlen = strlen(tok);
    }

    printf("# issuer %s, audience %s, user %s, now %lld\n",
           pjwt_verifier_issuer(mo.v), pjwt_verifier_audience(mo.v), user,
           (long long)now);
    pjwt_err_clear(&e);
    rc = pjwt_verifier_check(mo.v, tok, tlen, user, now, print_check, &fails,
                             NULL, &e);
    if (mo.one_time)
        printf("%-10s %s  %s\n", "one_time", "SKIP",
               "not simulated: the module would record the jti");
    if (rc == 0 && fails == 0) {
        printf("result     PASS  token accepted for %s\n", user);
        r = CTL_OK;
    } else {
        printf("result     FAIL  %s\n", e.msg[0] ? e.msg : pjwt_strerror(rc));
        if (verbose && e.where)
            printf("where      %s\n", e.where);
        r = CTL_FAIL;
    }
    fflush(stdout);
out:
    free(config_arg);
    pjwt_file_free(in, inlen);
    pjwt_modopts_clear(&mo);
    return r;
}
