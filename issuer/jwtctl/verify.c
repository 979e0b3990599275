/*
 * verify.c: `jwtctl verify`: pam_jwt.so's checks, run through the very
 * same pjwt_verifier_check, with every check printed.  The tool an
 * administrator uses to find out why a login was refused.
 *
 * Options come as the module takes them: a pam_jwt.conf file (--config,
 * refused when group/other-writable, as the module does) and KEY=VALUE
 * arguments, where an argument replaces every file line of the same name.
 * Module options that are not token checks (prompt, debug...) are accepted
 * so a real config loads; one_time is not simulated, because doing so
 * would have to use the token up.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "conf.h"
#include "ctl.h"
#include "fileio.h"
#include "verify.h"

#define MAX_ARGS 128
#define CONFIG_MAX (1024 * 1024)

static const char verify_usage[] =
    "usage: jwtctl verify [--config FILE] [OPTION=VALUE...] --user NAME\n"
    "                     [--service NAME] [--now EPOCH] TOKEN|-\n"
    "\n"
    "Run exactly pam_jwt.so's checks on TOKEN (- reads it from stdin, keeping\n"
    "it out of the process list) for the PAM user NAME, and print each check\n"
    "with PASS or FAIL and the reason.  Options are pam_jwt.so's: from a\n"
    "pam_jwt.conf(5) FILE and/or as OPTION=VALUE arguments (issuer=, audience=,\n"
    "key=, hmac_secret=, algorithms=, leeway=, max_lifetime=,\n"
    "max_token_length=, user_claim=, require_claim=, revoked=, config=);\n"
    "an argument replaces the file's lines of the same name, as in the module.\n"
    "%s in audience becomes --service (default sshd); %h and %H this host's\n"
    "names.  --now checks at another time (seconds since the epoch).\n"
    "one_time is not simulated: checking it would use the token up.\n"
    "\n"
    "exit status: 0 every check passed, 1 the token is refused,\n"
    "2 usage or configuration error.\n";

struct vctx {
    pjwt_verifier *v;
    const char *argnames[MAX_ARGS];
    size_t n_argnames;
    int in_file;
    int one_time;
};

static int
arg_named(const struct vctx *c, const char *key)
{
    size_t i;

    for (i = 0; i < c->n_argnames; i++)
        if (strcmp(c->argnames[i], key) == 0)
            return 1;
    return 0;
}

static int
vset(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    struct vctx *c = ctx;
    int b;

    if (c->in_file && arg_named(c, key))
        return 0;               /* the argument wins */
    /* The module's own options: valid in its config, no token check. */
    if (strcmp(key, "one_time") == 0)
        return pjwt_conf_bool(key, value, &c->one_time, err);
    if (strcmp(key, "use_first_pass") == 0 || strcmp(key, "try_first_pass") == 0 ||
        strcmp(key, "token_only") == 0 || strcmp(key, "debug") == 0)
        return pjwt_conf_bool(key, value, &b, err);
    if (strcmp(key, "replay_dir") == 0 || strcmp(key, "prompt") == 0 ||
        strcmp(key, "export_claims") == 0)
        return 0;
    if (strcmp(key, "config") == 0)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                            "config= is only allowed as an argument");
    return pjwt_verifier_set(c->v, key, value, err);
}

/* Names of the KEY=VALUE arguments, so file lines of those names yield. */
static int
scan(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    struct vctx *c = ctx;

    (void)value;
    if (arg_named(c, key))
        return 0;
    if (c->n_argnames >= MAX_ARGS)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__, "too many options");
    c->argnames[c->n_argnames++] = key;   /* see below: keys are copied */
    return 0;
}

/* The module's %h/%H/%s: short host name, FQDN as hostname -f, service. */
static int
expand(pjwt_verifier *v, const char *service, pjwt_err *err)
{
    const char *aud = pjwt_verifier_audience(v);
    char host[256], shorth[256], *dot;
    const char *fqdn;
    struct addrinfo hints, *ai = NULL;
    int r;

    if (!aud || !strchr(aud, '%'))
        return 0;
    memset(host, 0, sizeof(host));
    if (gethostname(host, sizeof(host) - 1) != 0)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__, "gethostname: %s",
                            strerror(errno));
    memcpy(shorth, host, sizeof(host));
    if ((dot = strchr(shorth, '.')))
        *dot = '\0';
    fqdn = host;
    if (!strchr(host, '.')) {
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_flags = AI_CANONNAME;
        if (getaddrinfo(host, NULL, &hints, &ai) == 0 && ai && ai->ai_canonname)
            fqdn = ai->ai_canonname;
    }
    r = pjwt_verifier_expand_audience(v, shorth, fqdn, service, err);
    if (ai)
        freeaddrinfo(ai);
    return r;
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
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *user = NULL, *service = "sshd",
               *now_arg = NULL, *token_arg = NULL;
    const char *optv[MAX_ARGS];
    char *keys[MAX_ARGS];
    int nopt = 0, i, c, fails = 0, r = CTL_USAGE, rc;
    struct vctx ctx;
    uint8_t *cbuf = NULL;
    size_t clen = 0, tlen = 0;
    char *in = NULL;
    size_t inlen = 0;
    const char *tok;
    long nowl = 0;
    time_t now;
    pjwt_err e;

    memset(&ctx, 0, sizeof(ctx));
    memset(keys, 0, sizeof(keys));
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:u:s:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'u': user = optarg; break;
        case 's': service = optarg; break;
        case 'n': now_arg = optarg; break;
        case 'h': fputs(verify_usage, stdout); return CTL_OK;
        default: fputs(verify_usage, stderr); return CTL_USAGE;
        }
    }
    for (i = optind; i < argc; i++) {
        if (strchr(argv[i], '=') || strcmp(argv[i], "one_time") == 0 ||
            strcmp(argv[i], "debug") == 0 || strcmp(argv[i], "token_only") == 0 ||
            strcmp(argv[i], "use_first_pass") == 0 ||
            strcmp(argv[i], "try_first_pass") == 0) {
            if (nopt >= MAX_ARGS) {
                ctl_err("verify: too many options");
                return CTL_USAGE;
            }
            /* config=FILE as an argument, the module's spelling */
            if (strncmp(argv[i], "config=", 7) == 0)
                config = argv[i] + 7;
            else
                optv[nopt++] = argv[i];
        } else if (!token_arg) {
            token_arg = argv[i];
        } else {
            ctl_err("verify: more than one token");
            fputs(verify_usage, stderr);
            return CTL_USAGE;
        }
    }
    if (!user || !token_arg) {
        ctl_err("verify: %s", !user ? "--user NAME is required" : "no token given");
        fputs(verify_usage, stderr);
        return CTL_USAGE;
    }
    pjwt_err_clear(&e);
    if (now_arg) {
        if (pjwt_conf_long("--now", now_arg, 0, 253402300799L, &nowl, &e) != 0) {
            ctl_err("%s", e.msg);
            return CTL_USAGE;
        }
        now = (time_t)nowl;
    } else {
        now = time(NULL);
    }

    if (!(ctx.v = pjwt_verifier_new())) {
        ctl_err("out of memory");
        r = CTL_FAIL;
        goto out;
    }
    /* Remember argument names (copies: the parser's buffer is reused). */
    for (i = 0; i < nopt; i++) {
        size_t n = strcspn(optv[i], "=");
        if (!(keys[i] = strndup(optv[i], n))) {
            ctl_err("out of memory");
            r = CTL_FAIL;
            goto out;
        }
        if (scan(&ctx, keys[i], NULL, &e) != 0) {
            ctl_err("%s", e.msg);
            goto out;
        }
    }
    if (config) {
        if (pjwt_file_read(config, CONFIG_MAX, PJWT_FILE_CHECK_WRITE, &cbuf,
                           &clen, &e) != 0) {
            ctl_err("config: %s", e.msg);
            goto out;
        }
        ctx.in_file = 1;
        rc = pjwt_conf_parse_buf(config, (const char *)cbuf, clen, vset, &ctx, &e);
        ctx.in_file = 0;
        if (rc != 0) {
            ctl_err("%s", e.msg);
            goto out;
        }
    }
    if (pjwt_conf_parse_args(nopt, optv, vset, &ctx, &e) != 0) {
        ctl_err("%s", e.msg);
        goto out;
    }
    if (pjwt_verifier_prepare(ctx.v, 0, &e) != 0 || expand(ctx.v, service, &e) != 0) {
        ctl_err("configuration: %s", e.msg);
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
           pjwt_verifier_issuer(ctx.v), pjwt_verifier_audience(ctx.v), user,
           (long long)now);
    pjwt_err_clear(&e);
    rc = pjwt_verifier_check(ctx.v, tok, tlen, user, now, print_check, &fails,
                             NULL, &e);
    if (ctx.one_time)
        printf("%-10s %s  %s\n", "one_time", "SKIP",
               "not simulated: the module would record the jti");
    if (rc == 0 && fails == 0) {
        printf("result     PASS  token accepted for %s\n", user);
        r = CTL_OK;
    } else {
        printf("result     FAIL  %s\n", e.msg[0] ? e.msg : pjwt_strerror(rc));
        r = CTL_FAIL;
    }
    fflush(stdout);
out:
    for (i = 0; i < nopt; i++)
        free(keys[i]);
    pjwt_file_free(cbuf, clen);
    ctl_free(in, inlen);
    pjwt_verifier_free(ctx.v);
    return r;
}
