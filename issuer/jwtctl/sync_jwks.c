/*
 * sync_jwks.c: `jwtctl sync --jwks URL`, for an issuer that publishes only
 * a plain JWKS (Keycloak, Dex...): nothing signs it, so TLS is the whole
 * of its protection; what sync adds over `curl | jwtctl jwks --install` is
 * the same key checks (ctl_jwks_check), a conditional request
 * (If-None-Match / If-Modified-Since, the validators kept in
 * sync-status.json; 304 is "up to date") and the status and log line.
 * A jwks.json that a trust bundle installed is never replaced this way: it
 * would drop the bundle's rollback protection without a word.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "ctl.h"
#include "filewrite.h"
#include "sync.h"

/* A validator to send back: the stored one when it belongs to this URL
   and the file it describes is still there. */
static const char *
validator(struct sync_ctx *c, const char *url, const char *name, int there)
{
    const char *mode = sync_status_str(c, "mode"),
               *src = sync_status_str(c, "source");

    if (!there || !mode || strcmp(mode, "jwks") != 0 || !src ||
        strcmp(src, url) != 0)
        return NULL;
    return sync_status_str(c, name);
}

static void
set_or_drop(json_t *o, const char *name, const char *v)
{
    if (v[0])
        json_object_set_new(o, name, json_string(v));
    else
        json_object_del(o, name);
}

int
sync_jwks(struct sync_ctx *c, const char *url_in)
{
    struct ctl_http_get g;
    pjwt_trust_info ti;
    pjwt_keyset *ks = NULL;
    char url[CTL_URL_MAX], inm[CTL_NAME_MAX], ims[64];
    const char *v;
    struct stat st;
    pjwt_err e;
    int there, rc, r = CTL_FAIL;

    memset(&g, 0, sizeof(g));
    /* A copy: url_in may be the status file's, which changes below. */
    if ((size_t)snprintf(url, sizeof(url), "%s", url_in) >= sizeof(url))
        return sync_fail(c, "--jwks: URL too long");
    there = !(lstat(c->jwks_path, &st) != 0 && errno == ENOENT);
    pjwt_err_clear(&e);
    if (there) {
        rc = pjwt_trust_info_load(c->jwks_path, PJWT_FILE_CHECK_WRITE, &ti,
                                  &e);
        if (rc == 0)
            return sync_fail(c, "%s holds the trust bundle of %s (version "
                             "%lld): a plain JWKS does not replace it "
                             "(remove it first to switch)", c->jwks_path,
                             ti.iss, ti.version);
        if (rc != PJWT_ERR_MISSING)
            return sync_fail(c, "%s: %s", c->jwks_path, e.msg);
    }
    inm[0] = ims[0] = '\0';
    if ((v = validator(c, url, "etag", there)))
        snprintf(inm, sizeof(inm), "%s", v);
    if ((v = validator(c, url, "last_modified", there)))
        snprintf(ims, sizeof(ims), "%s", v);
    g.cacert = c->cacert;
    g.if_none_match = inm;
    g.if_modified_since = ims;
    g.max = PJWT_BUNDLE_MAX;
    if (ctl_http_get(url, &g, &e) != 0) {
        r = sync_fail(c, "%s (%s not changed)", e.msg, c->jwks_path);
        goto out;
    }
    if (g.status == 304 && (inm[0] || ims[0])) {
        sync_status_source(c, "jwks", url);
        r = sync_done(c, "up to date: %s not modified (HTTP 304)", url);
        goto out;
    }
    if (g.status != 200) {
        r = sync_fail(c, "%s: HTTP %ld (%s not changed)", url, g.status,
                      c->jwks_path);
        goto out;
    }
    if (ctl_jwks_check(g.body ? g.body : "", g.len, url, &ks, &e) != 0) {
        r = sync_fail(c, "%s (%s not changed)", e.msg, c->jwks_path);
        goto out;
    }
    if (pjwt_file_replace(c->jwks_path, g.body, g.len, 0644, 0, &e) != 0) {
        r = sync_fail(c, "%s", e.msg);
        goto out;
    }
    sync_status_source(c, "jwks", url);
    set_or_drop(c->status, "etag", g.etag);
    set_or_drop(c->status, "last_modified", g.last_modified);
    ctl_jwks_print_installed(c->jwks_path, ks);
    r = sync_done(c, "installed %s from %s: %zu usable key%s", c->jwks_path,
                  url, pjwt_keyset_count(ks),
                  pjwt_keyset_count(ks) == 1 ? "" : "s");
out:
    pjwt_keyset_free(ks);
    free(g.body);
    return r;
}
