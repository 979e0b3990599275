/*
 * modopts.c: pam_jwt.so's options for the module and `jwtctl verify`
 * (modopts.h): the table of names, the module-only options, the
 * "an argument replaces the file's lines" rule, config= and the audience's
 * host names.  Unknown names and bad values are errors (the module turns
 * them into PAM_SERVICE_ERR: fail closed, gauth style).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "conf.h"
#include "fileio.h"
#include "modopts.h"

#define CONFIG_MAX_SIZE (1024 * 1024)
#define MAX_TRUST_AGE (10L * 365 * 86400)   /* 0: off; beyond is a typo */

#define MOD PJWT_MO_MODULE
static const struct pjwt_modopt table[] = {
    /* token checks: pjwt_verifier_set */
    { "issuer", PJWT_MO_STRING, 0, "the iss every token must carry" },
    { "audience", PJWT_MO_STRING, 0, "this host's aud; %h %H %s %% expand" },
    { "key", PJWT_MO_PATH, PJWT_MO_REPEAT, "a public key, PEM or JWK(S) file" },
    { "hmac_secret", PJWT_MO_PATH, 0, "the HS* secret's file" },
    { "algorithms", PJWT_MO_LIST, 0, "the algorithms allowed" },
    { "leeway", PJWT_MO_NUMBER, 0, "seconds of clock skew allowed" },
    { "max_lifetime", PJWT_MO_NUMBER, 0, "longest exp - iat accepted" },
    { "max_token_length", PJWT_MO_NUMBER, 0, "longest token accepted" },
    { "user_claim", PJWT_MO_STRING, 0, "the claim naming the PAM user" },
    { "require_claim", PJWT_MO_PAIR, PJWT_MO_REPEAT, "NAME=VALUE a token must have" },
    { "revoked", PJWT_MO_PATH, 0, "the revocation list's file" },
    /* the module's own */
    { "config", PJWT_MO_PATH, MOD | PJWT_MO_ARG_ONLY, "the options file" },
    { "one_time", PJWT_MO_BOOL, MOD, "every jti is accepted once" },
    { "use_first_pass", PJWT_MO_FLAG, MOD, "never prompt" },
    { "try_first_pass", PJWT_MO_FLAG, MOD, "accepted, changes nothing" },
    { "token_only", PJWT_MO_BOOL, MOD, "refuse what is not a token" },
    { "debug", PJWT_MO_BOOL, MOD, "log every check" },
    { "replay_dir", PJWT_MO_PATH, MOD, "where one_time records live" },
    { "prompt", PJWT_MO_STRING, MOD, "the token prompt" },
    { "export_claims", PJWT_MO_LIST, MOD, "claims put in the PAM environment" },
    { "max_trust_age", PJWT_MO_NUMBER, MOD, "seconds past the trust bundle's exp" },
};
#undef MOD

const struct pjwt_modopt *
pjwt_modopts_table(size_t *n)
{
    *n = sizeof(table) / sizeof(table[0]);
    return table;
}

const struct pjwt_modopt *
pjwt_modopt_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

static int
argv_has(const pjwt_modopts *o, const char *key)
{
    for (size_t i = 0; i < o->n_argv_names; i++)
        if (strcmp(o->argv_names[i], key) == 0)
            return 1;
    return 0;
}

/*
 * Every file the module trusts is named by an absolute path: sudo and su
 * keep the calling user's working directory, so a relative name would be
 * resolved in a directory that user chose.
 */
static int
check_absolute(const char *key, const char *value, pjwt_err *err)
{
    if (value && *value && value[0] != '/')
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                            "%s must be an absolute path", key);
    return 0;
}

/*
 * use_first_pass is read by libpam itself too: pam_get_authtok looks for it
 * among the module's arguments by name and takes "use_first_pass=no" as
 * use_first_pass.  A value could only ever mean something else to us than
 * to libpam, so none is allowed, here or for its pam_unix sibling
 * try_first_pass (in the file too: one meaning wherever it is written).
 */
static int
set_flag(const char *key, const char *value, int *out, pjwt_err *err)
{
    if (value)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                            "%s takes no value", key);
    *out = 1;
    return 0;
}

/* export_claims: claim names, [A-Za-z0-9_]+, comma-separated. */
static int
set_export(pjwt_modopts *o, const char *list, pjwt_err *err)
{
    const char *p = list, *e;
    size_t n;

    if (!list || !*list)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                            "export_claims needs a list of claim names");
    o->n_export = 0;
    while (*p) {
        e = strchr(p, ',');
        n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || n >= PJWT_MODOPTS_NAME_MAX)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                                "export_claims: empty or too long name");
        for (size_t i = 0; i < n; i++)
            if (!(isalnum((unsigned char)p[i]) || p[i] == '_'))
                return PJWT_FAIL(err, PJWT_ERR_CONF,
                                    "export_claims: names are [A-Za-z0-9_]+");
        if (o->n_export >= PJWT_MODOPTS_MAX_EXPORT)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                                "export_claims: at most %d names",
                                PJWT_MODOPTS_MAX_EXPORT);
        memcpy(o->export[o->n_export], p, n);
        o->export[o->n_export][n] = '\0';
        o->n_export++;
        p += n;
        if (*p == ',') {
            p++;
            if (!*p)
                return PJWT_FAIL(err, PJWT_ERR_CONF,
                                    "export_claims: trailing comma");
        }
    }
    return 0;
}

/* First pass over argv: remember the names, find config=. */
static int
scan_set(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    pjwt_modopts *o = ctx;
    int r;

    if (strlen(key) >= PJWT_MODOPTS_NAME_MAX)
        return PJWT_ERR_UNKNOWN_OPT;    /* no option has such a long name */
    if (strcmp(key, "config") == 0) {
        if (!value || !*value)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                                "config needs a file name");
        r = check_absolute(key, value, err);
        if (r != 0)
            return r;
        /* value points into the parser's buffer: keep a copy */
        r = pjwt_conf_str(&o->config, key, value, err);
        if (r != 0)
            return r;
    }
    if (argv_has(o, key))
        return 0;
    if (o->n_argv_names >= PJWT_MODOPTS_MAX_ARG_NAMES)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                            "too many different options");
    memcpy(o->argv_names[o->n_argv_names], key, strlen(key) + 1);
    o->n_argv_names++;
    return 0;
}

/* The module's own options (PJWT_MO_MODULE in the table). */
static int
set_module(pjwt_modopts *o, const char *key, const char *value,
           pjwt_err *err)
{
    if (strcmp(key, "config") == 0)
        return o->in_file
            ? PJWT_FAIL(err, PJWT_ERR_CONF,
                           "config= is only allowed as a module argument")
            : 0;        /* taken by scan_set */
    if (strcmp(key, "one_time") == 0)
        return pjwt_conf_bool(key, value, &o->one_time, err);
    if (strcmp(key, "use_first_pass") == 0)
        return set_flag(key, value, &o->use_first_pass, err);
    if (strcmp(key, "try_first_pass") == 0)
        return set_flag(key, value, &o->try_first_pass, err);
    if (strcmp(key, "token_only") == 0)
        return pjwt_conf_bool(key, value, &o->token_only, err);
    if (strcmp(key, "debug") == 0)
        return pjwt_conf_bool(key, value, &o->debug, err);
    if (strcmp(key, "replay_dir") == 0)
        return pjwt_conf_str(&o->replay_dir, key, value, err);
    if (strcmp(key, "prompt") == 0)
        return pjwt_conf_str(&o->prompt, key, value, err);
    if (strcmp(key, "export_claims") == 0)
        return set_export(o, value, err);
    if (strcmp(key, "max_trust_age") == 0)
        return pjwt_conf_long(key, value, 0, MAX_TRUST_AGE, &o->max_trust_age,
                              err);
    return PJWT_FAIL(err, PJWT_ERR_INTERNAL,
                        "%s: in the table, not handled", key);
}

/* The one set function for both sources. */
static int
mod_set(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    const struct pjwt_modopt *opt = pjwt_modopt_find(key);
    pjwt_modopts *o = ctx;
    long l;
    int r;

    if (!opt)
        return PJWT_ERR_UNKNOWN_OPT;
    if (opt->kind == PJWT_MO_PATH &&
        (r = check_absolute(key, value, err)) != 0)
        return r;
    if (o->in_file && !(opt->flags & PJWT_MO_ARG_ONLY) && argv_has(o, key))
        return 0;           /* the argument wins, see modopts.h */
    if (opt->flags & PJWT_MO_MODULE)
        return set_module(o, key, value, err);
    if (strcmp(key, "leeway") == 0 && value &&
        pjwt_conf_long(key, value, 0, LONG_MAX / 2, &l, NULL) == 0)
        o->leeway = l;      /* one_time keeps records this much past exp;
                               the verifier still validates the value */
    return pjwt_verifier_set(o->v, key, value, err);
}

/*
 * The config file: an explicit config= must be readable; the default is
 * used only when it exists.  Like the key files, the file must pass the
 * trust rule: whoever writes it chooses the issuer.
 */
static int
parse_config(pjwt_modopts *o, const char *default_config, pjwt_err *err)
{
    const char *path = o->config ? o->config : default_config;
    uint8_t *buf = NULL;
    size_t len = 0;
    int r;

    if (!path)
        return 0;
    if (!o->config && access(path, F_OK) != 0 && errno == ENOENT)
        return 0;
    r = pjwt_file_read(path, CONFIG_MAX_SIZE, PJWT_FILE_CHECK_WRITE, &buf,
                       &len, err);
    if (r != 0)
        return r;
    o->in_file = 1;
    r = pjwt_conf_parse_buf(path, (const char *)buf, len, mod_set, o, err);
    o->in_file = 0;
    pjwt_file_free(buf, len);
    return r;
}

int
pjwt_modopts_load(pjwt_modopts *o, int argc, const char **argv,
                  const char *default_config, pjwt_err *err)
{
    int r;

    memset(o, 0, sizeof(*o));
    o->leeway = PJWT_LEEWAY_DEFAULT;
    o->v = pjwt_verifier_new();
    if (!o->v)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    r = pjwt_conf_parse_args(argc, argv, scan_set, o, err);
    if (r == 0)
        r = parse_config(o, default_config, err);
    if (r == 0)
        r = pjwt_conf_parse_args(argc, argv, mod_set, o, err);
    return r;
}

void
pjwt_modopts_clear(pjwt_modopts *o)
{
    if (!o)
        return;
    pjwt_verifier_free(o->v);
    free(o->replay_dir);
    free(o->prompt);
    free(o->config);
    OPENSSL_cleanse(o, sizeof(*o));
}

/* 1 when audience uses %c (a "%%" is a literal percent). */
static int
uses_spec(const char *aud, char c)
{
    for (size_t i = 0; aud && aud[i]; i++) {
        if (aud[i] != '%')
            continue;
        if (aud[i + 1] == c)
            return 1;
        if (aud[i + 1])
            i++;
    }
    return 0;
}

int
pjwt_modopts_expand_audience(pjwt_modopts *o, const char *service,
                             pjwt_err *err)
{
    const char *aud = pjwt_verifier_audience(o->v);
    char host[256], shorth[256];
    struct addrinfo hints, *ai = NULL;
    const char *fqdn = NULL;
    char *dot;
    int r;

    if (!aud || !strchr(aud, '%'))
        return 0;
    memset(host, 0, sizeof(host));
    if ((uses_spec(aud, 'h') || uses_spec(aud, 'H')) &&
        gethostname(host, sizeof(host) - 1) != 0)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "gethostname: %s",
                            strerror(errno));
    memcpy(shorth, host, sizeof(host));
    dot = strchr(shorth, '.');
    if (dot)
        *dot = '\0';
    if (uses_spec(aud, 'H')) {
        if (strchr(host, '.')) {
            fqdn = host;
        } else {
            memset(&hints, 0, sizeof(hints));
            hints.ai_family = AF_UNSPEC;
            hints.ai_flags = AI_CANONNAME;
            if (getaddrinfo(host, NULL, &hints, &ai) == 0 && ai &&
                ai->ai_canonname)
                fqdn = ai->ai_canonname;
            else
                fqdn = host;
        }
    }
    r = pjwt_verifier_expand_audience(o->v, shorth, fqdn, service, err);
    if (ai)
        freeaddrinfo(ai);
    return r;
}
