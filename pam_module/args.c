/*
 * args.c: the module's options, from the config file and the PAM
 * arguments, through common/conf.c's one parser.
 *
 * Module-only options are handled here; every other name goes on to
 * pjwt_verifier_set, so the verification options mean exactly what they
 * mean to jwtctl and the issuer.  Unknown names and bad values are errors
 * (the caller turns them into PAM_SERVICE_ERR: fail closed, gauth style).
 *
 * "Arguments override the file": an option NAME given as a PAM argument
 * replaces every line of that name in the file.  For single-valued options
 * that is the usual last-one-wins; for the repeatable ones (key=,
 * require_claim=) the argument list replaces the file's list instead of
 * adding to it, so a service can narrow the keys the file trusts without the
 * file's keys still applying behind its back.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "conf.h"
#include "fileio.h"
#include "mod.h"

#define CONFIG_MAX_SIZE (1024 * 1024)

static int
argv_has(const pjm_conf *c, const char *key)
{
    for (size_t i = 0; i < c->n_argv_names; i++)
        if (strcmp(c->argv_names[i], key) == 0)
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

/* Options whose value names a file or directory the module trusts. */
static int
is_path_option(const char *key)
{
    static const char *const names[] = {
        "config", "key", "hmac_secret", "revoked", "replay_dir",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(key, names[i]) == 0)
            return 1;
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
set_pass_flag(const char *key, const char *value, int *out, pjwt_err *err)
{
    if (value)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s takes no value", key);
    *out = 1;
    return 0;
}

static int
set_string(char **dst, const char *key, const char *value, pjwt_err *err)
{
    char *s;

    if (!value || !*value)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s needs a value",
                         key);
    s = strdup(value);
    if (!s)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    free(*dst);
    *dst = s;
    return 0;
}

/* First pass over argv: remember the names, find config=. */
static int
scan_set(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    pjm_conf *c = ctx;
    int r;

    if (strlen(key) >= PJM_NAME_MAX)
        return PJWT_ERR_UNKNOWN_OPT;    /* no option has such a long name */
    if (strcmp(key, "config") == 0) {
        if (!value || !*value)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "config needs a file name");
        r = check_absolute(key, value, err);
        if (r != 0)
            return r;
        /* value points into the parser's buffer: keep a copy */
        r = set_string(&c->config, key, value, err);
        if (r != 0)
            return r;
    }
    if (argv_has(c, key))
        return 0;
    if (c->n_argv_names >= PJM_MAX_ARG_NAMES)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "too many different options");
    if ((size_t)snprintf(c->argv_names[c->n_argv_names], sizeof(c->argv_names[0]),
                         "%s", key) >= sizeof(c->argv_names[0]))
        return PJWT_FAIL(err, PJWT_ERR_CONF, "option name too long");
    c->n_argv_names++;
    return 0;
}

/* The one set function for both sources. */
static int
mod_set(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    pjm_conf *c = ctx;
    long l;
    int r;

    if (is_path_option(key) && (r = check_absolute(key, value, err)) != 0)
        return r;
    if (strcmp(key, "config") == 0) {
        if (c->in_file)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "config= is only allowed as a module argument");
        return 0;           /* taken by scan_set */
    }
    if (c->in_file && argv_has(c, key))
        return 0;           /* the argument wins, see the top comment */
    if (strcmp(key, "one_time") == 0)
        return pjwt_conf_bool(key, value, &c->one_time, err);
    if (strcmp(key, "use_first_pass") == 0)
        return set_pass_flag(key, value, &c->use_first_pass, err);
    if (strcmp(key, "try_first_pass") == 0)
        return set_pass_flag(key, value, &c->try_first_pass, err);
    if (strcmp(key, "token_only") == 0)
        return pjwt_conf_bool(key, value, &c->token_only, err);
    if (strcmp(key, "debug") == 0)
        return pjwt_conf_bool(key, value, &c->debug, err);
    if (strcmp(key, "replay_dir") == 0)
        return set_string(&c->replay_dir, key, value, err);
    if (strcmp(key, "prompt") == 0)
        return set_string(&c->prompt, key, value, err);
    if (strcmp(key, "export_claims") == 0)
        return pjm_export_parse(c, value, err);
    if (strcmp(key, "leeway") == 0 && value &&
        pjwt_conf_long(key, value, 0, LONG_MAX / 2, &l, NULL) == 0)
        c->leeway = l;      /* one_time keeps records this much past exp;
                               the verifier still validates the value */
    return pjwt_verifier_set(c->v, key, value, err);
}

/*
 * The config file: an explicit config= must be readable; the default is
 * used only when it exists.  Like the key files, a file that group or
 * others may write is refused: whoever writes it chooses the issuer.
 */
static int
parse_config(pjm_conf *c, pjwt_err *err)
{
    const char *path = c->config ? c->config : PJM_DEFAULT_CONFIG;
    uint8_t *buf = NULL;
    size_t len = 0;
    int r;

    if (!c->config && access(PJM_DEFAULT_CONFIG, F_OK) != 0 && errno == ENOENT)
        return 0;
    r = pjwt_file_read(path, CONFIG_MAX_SIZE, PJWT_FILE_CHECK_WRITE, &buf,
                       &len, err);
    if (r != 0)
        return r;
    c->in_file = 1;
    r = pjwt_conf_parse_buf(path, (const char *)buf, len, mod_set, c, err);
    c->in_file = 0;
    pjwt_file_free(buf, len);
    return r;
}

int
pjm_conf_load(pjm_conf *c, int argc, const char **argv, pjwt_err *err)
{
    int r = PJWT_ERR_INTERNAL;

    memset(c, 0, sizeof(*c));
    c->leeway = PJWT_LEEWAY_DEFAULT;
    c->v = pjwt_verifier_new();
    if (!c->v)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");

    r = pjwt_conf_parse_args(argc, argv, scan_set, c, err);
    if (r != 0)
        goto out;
    r = parse_config(c, err);
    if (r != 0)
        goto out;
    r = pjwt_conf_parse_args(argc, argv, mod_set, c, err);
out:
    return r;
}

void
pjm_conf_clear(pjm_conf *c)
{
    if (!c)
        return;
    pjwt_verifier_free(c->v);
    free(c->replay_dir);
    free(c->prompt);
    free(c->config);
    OPENSSL_cleanse(c, sizeof(*c));
}
