/*
 * listen_spec.c: see listen_spec.h.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>

#include "listen_spec.h"

static int
parse_group(const char *name, size_t len, struct listen_spec *out, pjwt_err *err)
{
    char buf[256], sbuf[4096];
    struct group gr, *res = NULL;
    char *end;
    unsigned long id;
    int rc;

    if (len == 0 || len >= sizeof(buf))
        return PJWT_FAIL(err, PJWT_ERR_CONF, "listen: bad group=");
    memcpy(buf, name, len);
    buf[len] = '\0';
    rc = getgrnam_r(buf, &gr, sbuf, sizeof(sbuf), &res);
    if (rc == 0 && res != NULL) {
        out->gid = res->gr_gid;
        out->has_group = 1;
        return 0;
    }
    errno = 0;
    id = strtoul(buf, &end, 10);
    if (buf[0] >= '0' && buf[0] <= '9' && *end == '\0' && errno == 0
        && id < (unsigned long)(gid_t)-1) {
        out->gid = (gid_t)id;
        out->has_group = 1;
        return 0;
    }
    return PJWT_FAIL(err, PJWT_ERR_CONF, "listen: no group %s", buf);
}

static int
parse_mode(const char *s, size_t len, struct listen_spec *out, pjwt_err *err)
{
    char buf[8], *end;
    unsigned long m;

    if (len == 0 || len >= sizeof(buf))
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "listen: mode= wants octal permission bits (0660)");
    memcpy(buf, s, len);
    buf[len] = '\0';
    m = strtoul(buf, &end, 8);
    if (*end != '\0' || m > 0777 || buf[0] < '0' || buf[0] > '7')
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "listen: mode= wants octal permission bits (0660)");
    out->mode = (mode_t)m;
    return 0;
}

static int
parse_unix(const char *spec, struct listen_spec *out, pjwt_err *err)
{
    size_t len = strcspn(spec, " \t");
    const char *p = spec + len;

    if (spec[0] != '/')
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "listen unix:%.*s: the path must be absolute", (int)len, spec);
    if (len >= sizeof(out->path))
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "listen unix:...: path longer than %zu bytes",
                         sizeof(out->path) - 1);
    memcpy(out->path, spec, len);
    out->path[len] = '\0';
    out->is_unix = 1;
    out->mode = LISTEN_DEFAULT_MODE;
    for (;;) {
        size_t n;

        p += strspn(p, " \t");
        if (*p == '\0')
            return 0;
        n = strcspn(p, " \t");
        if (n > 5 && strncmp(p, "mode=", 5) == 0) {
            if (parse_mode(p + 5, n - 5, out, err) != 0)
                return PJWT_ERR_CONF;
        } else if (n > 6 && strncmp(p, "group=", 6) == 0) {
            if (parse_group(p + 6, n - 6, out, err) != 0)
                return PJWT_ERR_CONF;
        } else {
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "listen unix:%s: unknown attribute '%.*s' "
                             "(mode=OCTAL, group=NAME)", out->path, (int)n, p);
        }
        p += n;
    }
}

int
listen_spec_parse(const char *spec, struct listen_spec *out, pjwt_err *err)
{
    const char *colon;
    size_t hlen;

    memset(out, 0, sizeof(*out));
    if (strncmp(spec, "unix:", 5) == 0)
        return parse_unix(spec + 5, out, err);
    if (spec[0] == '[') {
        const char *rb = strchr(spec, ']');

        if (rb == NULL || rb[1] != ':')
            goto bad;
        hlen = (size_t)(rb - spec - 1);
        if (hlen >= sizeof(out->host))
            goto bad;
        memcpy(out->host, spec + 1, hlen);
        colon = rb + 1;
    } else {
        colon = strrchr(spec, ':');
        if (colon == NULL)
            goto bad;
        hlen = (size_t)(colon - spec);
        if (hlen >= sizeof(out->host))
            goto bad;
        memcpy(out->host, spec, hlen);
    }
    out->host[hlen] = '\0';
    if (colon[1] == '\0' || strlen(colon + 1) >= sizeof(out->port)
        || strspn(colon + 1, "0123456789") != strlen(colon + 1))
        goto bad;
    memcpy(out->port, colon + 1, strlen(colon + 1) + 1);   /* length checked above */
    return 0;
bad:
    return PJWT_FAIL(err, PJWT_ERR_CONF,
                     "listen %s: expected HOST:PORT, [V6]:PORT or "
                     "unix:/PATH [mode=OCTAL] [group=NAME]", spec);
}
