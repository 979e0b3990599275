/*
 * conf.c: one `key = value` parser for config files and PAM arguments
 * (faillock's faillock_config.c / args_parse model), so an option means the
 * same thing whichever source it comes from.
 *
 * Both sources end in the caller's set function.  Its PJWT_ERR_UNKNOWN_OPT
 * becomes PJWT_ERR_CONF here: a set function may itself parse another file
 * (`config=FILE`), and an unknown key inside that file must not look like
 * "config is unknown" to the outer parser.
 *
 * Messages never quote the input: "FILE:LINE: message", naming at most an
 * option the set function knows.  A root-run parser pointed at the wrong
 * file (/etc/shadow) must not copy its lines into a log others can read.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include "conf.h"
#include "fileio.h"

#define LINE_MAX_LEN 4096
#define FILE_MAX_LEN (1024 * 1024)

static int
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int
key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * Call set and turn its result into the parser's: where is "FILE:LINE" or
 * "argument N", prefixed to the handler's message.
 */
static int
apply(const char *where, const char *key, const char *value,
      pjwt_conf_set_fn set, void *ctx, pjwt_err *err)
{
    pjwt_err e;
    int rc;

    pjwt_err_clear(&e);
    rc = set(ctx, key, value, &e);
    if (rc == 0)
        return 0;
    /* An unknown name is the file's content, not one of ours: it is not
       quoted (the file may not be a config file at all). */
    if (rc == PJWT_ERR_UNKNOWN_OPT)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: unknown option", where);
    return PJWT_FAIL(err, rc, "%s: %s", where,
                     e.msg[0] ? e.msg : pjwt_strerror(rc));
}

/*
 * Parse one line (no newline, no NUL) in buf, which the function may modify.
 */
static int
parse_line(const char *where, char *line, size_t len, pjwt_conf_set_fn set,
           void *ctx, pjwt_err *err)
{
    char *p = line, *end = line + len, *key, *value = NULL;

    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    *end = '\0';
    if (p == end || *p == '#')
        return 0;

    key = p;
    while (p < end && key_char(*p))
        p++;
    if (p == key || (p < end && !is_blank(*p) && *p != '='))
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: bad option name (expected [a-z0-9_]+)",
                         where);
    if (p < end) {
        char *k_end = p;
        while (p < end && is_blank(*p))
            p++;
        if (p < end && *p != '=')
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "%s: expected 'key = value'", where);
        *k_end = '\0';
        if (p < end) {
            p++;
            while (p < end && is_blank(*p))
                p++;
            value = p;
        }
    }
    return apply(where, key, value, set, ctx, err);
}

int
pjwt_conf_each_line(const char *name, const char *buf, size_t len,
                    pjwt_line_fn fn, void *ctx, pjwt_err *err)
{
    char line[LINE_MAX_LEN + 1];
    char where[PJWT_ERR_MSG_MAX / 2];
    size_t pos = 0, lineno = 0, n;
    const char *nl;
    int r = PJWT_ERR_INTERNAL;

    if (!name || (!buf && len) || !fn)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    while (pos < len) {
        lineno++;
        nl = memchr(buf + pos, '\n', len - pos);
        n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        /* Keep the line number visible: a long path loses its head. */
        snprintf(where, sizeof(where), "%s%s:%zu", strlen(name) > 64 ? "..." : "",
                 strlen(name) > 64 ? name + strlen(name) - 61 : name, lineno);
        if (n > 0 && buf[pos + n - 1] == '\r')    /* tolerate CRLF files */
            n--;
        if (n > LINE_MAX_LEN) {
            r = PJWT_FAIL(err, PJWT_ERR_CONF,
                          "%s: line longer than %d bytes", where,
                          LINE_MAX_LEN);
            goto out;
        }
        if (memchr(buf + pos, '\0', n)) {
            r = PJWT_FAIL(err, PJWT_ERR_CONF, "%s: NUL byte",
                          where);
            goto out;
        }
        memcpy(line, buf + pos, n);
        line[n] = '\0';
        r = fn(ctx, where, line, n, err);
        if (r != 0)
            goto out;
        pos += nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;
    }
    r = 0;
out:
    /* Values may name secrets' paths or carry claim values; wipe anyway. */
    OPENSSL_cleanse(line, sizeof(line));
    return r;
}

struct conf_line_ctx {
    pjwt_conf_set_fn set;
    void *ctx;
};

static int
conf_line(void *arg, const char *where, char *line, size_t len, pjwt_err *err)
{
    const struct conf_line_ctx *c = arg;

    return parse_line(where, line, len, c->set, c->ctx, err);
}

int
pjwt_conf_parse_buf(const char *name, const char *buf, size_t len,
                    pjwt_conf_set_fn set, void *ctx, pjwt_err *err)
{
    struct conf_line_ctx c = { set, ctx };

    if (!set)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    return pjwt_conf_each_line(name, buf, len, conf_line, &c, err);
}

int
pjwt_conf_parse_file(const char *path, pjwt_conf_set_fn set, void *ctx,
                     pjwt_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = PJWT_ERR_INTERNAL;

    if (!path || !set)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    /* Whoever can change a configuration file chooses what it trusts:
       the file must pass the trust rule (fileio.h). */
    r = pjwt_file_read(path, FILE_MAX_LEN, PJWT_FILE_CHECK_WRITE, &buf, &len,
                       err);
    if (r == PJWT_ERR_TOO_LONG) {
        r = PJWT_FAIL(err, PJWT_ERR_CONF,
                      "%s: larger than %d bytes", path, FILE_MAX_LEN);
        goto out;
    }
    if (r != 0)
        goto out;
    r = pjwt_conf_parse_buf(path, (const char *)buf, len, set, ctx, err);
out:
    pjwt_file_free(buf, len);
    return r;
}

int
pjwt_conf_parse_args(int argc, const char **argv, pjwt_conf_set_fn set,
                     void *ctx, pjwt_err *err)
{
    char arg[LINE_MAX_LEN + 1];
    char where[32];
    const char *eq;
    size_t n, klen;
    int i, r = PJWT_ERR_INTERNAL;

    if (argc < 0 || (argc > 0 && !argv) || !set)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    for (i = 0; i < argc; i++) {
        snprintf(where, sizeof(where), "argument %d", i + 1);
        if (!argv[i]) {
            r = PJWT_FAIL(err, PJWT_ERR_ARG, "%s: NULL", where);
            goto out;
        }
        n = strlen(argv[i]);
        if (n > LINE_MAX_LEN) {
            r = PJWT_FAIL(err, PJWT_ERR_CONF,
                          "%s: longer than %d bytes", where, LINE_MAX_LEN);
            goto out;
        }
        memcpy(arg, argv[i], n + 1);
        eq = strchr(arg, '=');
        klen = eq ? (size_t)(eq - arg) : n;
        for (size_t j = 0; j < klen; j++) {
            if (!key_char(arg[j])) {
                klen = 0;
                break;
            }
        }
        if (klen == 0) {
            r = PJWT_FAIL(err, PJWT_ERR_CONF,
                          "%s: bad option name (expected [a-z0-9_]+)",
                          where);
            goto out;
        }
        arg[klen] = '\0';
        r = apply(where, arg, eq ? arg + klen + 1 : NULL, set, ctx, err);
        if (r != 0)
            goto out;
    }
    r = 0;
out:
    OPENSSL_cleanse(arg, sizeof(arg));
    return r;
}

int
pjwt_conf_long(const char *key, const char *value, long min, long max,
               long *out, pjwt_err *err)
{
    char *end = NULL;
    long v;

    if (!value || !*value)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s needs a number", key);
    /* strtol skips blanks and takes '+': neither is part of our syntax. */
    if (!(value[0] == '-' || (value[0] >= '0' && value[0] <= '9')))
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: not a number", key);
    errno = 0;
    v = strtol(value, &end, 10);
    if (end == value || *end != '\0')
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: not a number", key);
    if (errno == ERANGE || v < min || v > max)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: out of range [%ld, %ld]", key, min, max);
    *out = v;
    return 0;
}

int
pjwt_conf_bool(const char *key, const char *value, int *out, pjwt_err *err)
{
    static const char *const yes[] = { "yes", "true", "1", "on" };
    static const char *const no[] = { "no", "false", "0", "off" };
    size_t i;

    if (!value) {           /* a bare flag turns the option on */
        *out = 1;
        return 0;
    }
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return PJWT_FAIL(err, PJWT_ERR_CONF,
                     "%s: expected yes or no", key);
}

int
pjwt_conf_str(char **slot, const char *key, const char *value, pjwt_err *err)
{
    char *s;

    if (!value || !*value)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s needs a value",
                            key);
    if (!(s = strdup(value)))
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    free(*slot);
    *slot = s;
    return 0;
}

int
pjwt_conf_pair(const char *key, const char *value, char **name, char **val,
               pjwt_err *err)
{
    const char *eq = value ? strchr(value, '=') : NULL;
    char *n = NULL, *v = NULL;
    int r = PJWT_ERR_INTERNAL;

    *name = NULL;
    *val = NULL;
    if (!eq || eq == value) {
        r = PJWT_FAIL(err, PJWT_ERR_CONF, "%s needs NAME=VALUE", key);
        goto out;
    }
    n = strndup(value, (size_t)(eq - value));
    v = strdup(eq + 1);
    if (!n || !v) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    *name = n;
    *val = v;
    n = v = NULL;
    r = 0;
out:
    free(n);
    free(v);
    return r;
}
