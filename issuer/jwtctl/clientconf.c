/*
 * clientconf.c: the client configuration (jwtctl(1) "CLIENT
 * CONFIGURATION"): which issuer to log in to, how to verify it, and the
 * audience templates askpass and ssh expand.  The same `key = value`
 * parser and file trust rule as every other pamjwt config (common/conf.h),
 * because the file decides where the user's password is sent.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "client.h"
#include "conf.h"
#include "ctl.h"
#include "session_file.h"
#include "verify.h"

#define SYSTEM_CONF "/etc/pamjwt/client.conf"

/* Copy a value into one of the fixed fields; too long is an error rather
   than a silently cut URL or name. */
static int
set_field(char *dst, size_t cap, const char *key, const char *value,
          pjwt_err *err)
{
    size_t n;

    if (!value || !*value)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s needs a value", key);
    n = strlen(value);
    if (n >= cap)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: value too long", key);
    memcpy(dst, value, n + 1);
    return 0;
}

static int
check_template(const char *key, const char *value, pjwt_err *err)
{
    char out[CTL_NAME_MAX];
    pjwt_err e;

    pjwt_err_clear(&e);
    /* Expanded with a stand-in host: only the %-sequences are judged. */
    if (value && pjwt_audience_expand(value, "h", NULL, NULL, out,
                                      sizeof(out), &e) != 0)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: only %%h and %%%% expand here", key);
    return 0;
}

static int
client_set(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    struct ctl_client_conf *c = ctx;

    if (strcmp(key, "issuer") == 0)
        return set_field(c->issuer, sizeof(c->issuer), key, value, err);
    if (strcmp(key, "audience") == 0) {
        if (check_template(key, value, err) != 0)
            return PJWT_ERR_CONF;
        return set_field(c->audience, sizeof(c->audience), key, value, err);
    }
    if (strcmp(key, "sudo_audience") == 0) {
        if (check_template(key, value, err) != 0)
            return PJWT_ERR_CONF;
        return set_field(c->sudo_audience, sizeof(c->sudo_audience), key,
                         value, err);
    }
    if (strcmp(key, "cacert") == 0)
        return set_field(c->cacert, sizeof(c->cacert), key, value, err);
    if (strcmp(key, "user") == 0)
        return set_field(c->user, sizeof(c->user), key, value, err);
    if (strcmp(key, "client_id") == 0)
        return set_field(c->client_id, sizeof(c->client_id), key, value,
                         err);
    return PJWT_ERR_UNKNOWN_OPT;
}

/* The per-user file: $XDG_CONFIG_HOME/pamjwt/client.conf, or
   ~/.config/pamjwt/client.conf.  0, or -1 when there is no home to look
   in (then only the system file counts). */
static int
user_conf_path(char *out, size_t cap)
{
    const char *base = getenv("XDG_CONFIG_HOME"), *sub = "pamjwt/client.conf";
    struct passwd *pw;
    int n;

    /* The XDG spec: a relative value is invalid and must be ignored. */
    if (base && base[0] == '/') {
        n = snprintf(out, cap, "%s/%s", base, sub);
    } else {
        base = getenv("HOME");
        if (!base || base[0] != '/') {
            pw = getpwuid(geteuid());
            base = pw ? pw->pw_dir : NULL;
        }
        if (!base || base[0] != '/')
            return -1;
        n = snprintf(out, cap, "%s/.config/%s", base, sub);
    }
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int
load_file(struct ctl_client_conf *c, const char *path)
{
    pjwt_err e;

    pjwt_err_clear(&e);
    if (pjwt_conf_parse_file(path, client_set, c, &e) != 0) {
        ctl_err("%s", e.msg[0] ? e.msg : path);
        return -1;
    }
    snprintf(c->path, sizeof(c->path), "%s", path);
    return 0;
}

int
ctl_client_conf_load(struct ctl_client_conf *c)
{
    const char *env = getenv("PAMJWT_CLIENT_CONF");
    char user_path[PATH_MAX];
    struct passwd *pw;
    struct stat st;

    memset(c, 0, sizeof(*c));
    snprintf(c->audience, sizeof(c->audience), "ssh:%%h");
    snprintf(c->sudo_audience, sizeof(c->sudo_audience), "sudo:%%h");
    if ((pw = getpwuid(geteuid())) && strlen(pw->pw_name) < sizeof(c->user))
        snprintf(c->user, sizeof(c->user), "%s", pw->pw_name);

    /* A file named on purpose must exist: a typo in the variable must not
       quietly fall back to another issuer. */
    if (env && *env)
        return load_file(c, env);
    if (user_conf_path(user_path, sizeof(user_path)) == 0) {
        if (lstat(user_path, &st) == 0)
            return load_file(c, user_path);
        if (errno != ENOENT) {
            ctl_err("%s: %s", user_path, strerror(errno));
            return -1;
        }
    }
    if (lstat(SYSTEM_CONF, &st) == 0)
        return load_file(c, SYSTEM_CONF);
    if (errno != ENOENT) {
        ctl_err("%s: %s", SYSTEM_CONF, strerror(errno));
        return -1;
    }
    return 0;   /* no file: --issuer then names the issuer */
}

int
ctl_audience_expand(const char *tmpl, const char *host, char *out, size_t cap)
{
    pjwt_err e;

    /* Quiet, as client.h promises: the caller knows what it expanded. */
    pjwt_err_clear(&e);
    return pjwt_audience_expand(tmpl, host, NULL, NULL, out, cap, &e) == 0
        ? 0 : -1;
}

int
ctl_client_issuer(const char *opt, char *out, size_t cap)
{
    struct ctl_client_conf c;

    if (opt && *opt)
        return ctl_issuer_norm(opt, out, cap);
    if (ctl_client_conf_load(&c) != 0)
        return -1;
    if (!c.issuer[0]) {
        ctl_err("no issuer: give --issuer URL or set issuer in client.conf");
        return -1;
    }
    return ctl_issuer_norm(c.issuer, out, cap);
}

int
ctl_issuer_args(int argc, char **argv, const char *usage, char *out,
                size_t cap)
{
    static const struct option opts[] = {
        { "issuer", required_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *opt_iss = NULL;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (ch) {
        case 'i': opt_iss = optarg; break;
        case 'h': fputs(usage, stdout); return CTL_OK;
        default: fputs(usage, stderr); return CTL_USAGE;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return CTL_USAGE;
    }
    return ctl_client_issuer(opt_iss, out, cap) != 0 ? CTL_USAGE : -1;
}
