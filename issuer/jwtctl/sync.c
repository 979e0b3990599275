/*
 * sync.c: `jwtctl sync`, the host's side of the trust bundle (bundle.h):
 * fetch the issuer's signed bundle (or read a copy), check it with keys
 * the host already trusts, refuse a rollback, then install DIR/revoked and
 * DIR/jwks.json, each atomically.  On any failure both keep their bytes.
 *
 * Trust is never taken on first use: the keys that may sign a bundle are
 * the installed jwks.json's (read under the trust rule), plus, pinned by
 * the administrator, --trust-file's keys or the bundle's key whose RFC 7638
 * thumbprint is --trust-kid (the kid jwt-issuerd gives every key).  With
 * nothing installed and no pin, sync refuses before fetching anything.
 *
 * The rollback rule (installed = jwks.json's pamjwt_trust):
 *   version <  installed            refused (a replayed older bundle)
 *   version == installed, iat <=    up to date: nothing written, exit 0
 *   otherwise                       installed
 * so an attacker who replays yesterday's bundle can neither bring back a
 * revoked token nor a removed key, and the same bundle fetched twice is a
 * quiet no-op.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "ctl.h"
#include "filewrite.h"
#include "revoke.h"
#include "session_file.h"
#include "sync.h"
#include "timefmt.h"

static const char sync_usage[] =
    "usage: jwtctl sync [--issuer URL | --file PATH] [--dir DIR]\n"
    "                   [--trust-kid KID | --trust-file JWKS] [--cacert FILE]\n"
    "       jwtctl sync --jwks URL [--dir DIR] [--cacert FILE]\n"
    "       jwtctl sync --status [--dir DIR]\n"
    "\n"
    "Fetch the issuer's signed trust bundle (URL" SYNC_WELL_KNOWN ", or\n"
    "a copy with --file), check it with the keys DIR/jwks.json already holds\n"
    "(default DIR " SYNC_DEFAULT_DIR "), refuse an older version, and install\n"
    "DIR/revoked and DIR/jwks.json atomically.  Without --issuer the issuer is\n"
    "the installed bundle's.  The first sync pins a key: --trust-kid KID (the\n"
    "issuer key's RFC 7638 thumbprint) or --trust-file JWKS; nothing is\n"
    "trusted on first use.\n"
    "--jwks URL installs a third party's plain JWKS as DIR/jwks.json (TLS,\n"
    "the key checks of jwks --install, ETag/If-Modified-Since).\n"
    "--status prints the last success, attempt and error, the source, and the\n"
    "installed version and expiry.\n"
    "On any failure the installed files keep their bytes; the reason goes to\n"
    "stderr and syslog.\n"
    "\n"
    "exit status: 0 installed or up to date (--status: the last attempt\n"
    "succeeded), 1 refused or failed, 2 usage.\n";

struct sync_args {
    const char *issuer, *file, *trust_kid, *trust_file, *jwks;
};

/* What jwks.json says now: 0 nothing there, 1 a plain key set, 2 a
   bundle's (*ti filled); -1 unreadable or unsafe (reported). */
static int
installed(struct sync_ctx *c, pjwt_trust_info *ti)
{
    struct stat st;
    pjwt_err e;
    int rc;

    if (lstat(c->jwks_path, &st) != 0 && errno == ENOENT)
        return 0;
    pjwt_err_clear(&e);
    rc = pjwt_trust_info_load(c->jwks_path, PJWT_FILE_CHECK_WRITE, ti, &e);
    if (rc == 0)
        return 2;
    if (rc == PJWT_ERR_MISSING)
        return 1;
    sync_fail(c, "%s: %s", c->jwks_path, e.msg);
    return -1;
}

/* Add to ks the keys of the bundle whose thumbprint is kid: the pin of a
   first install.  0, or -1 with *e set. */
static int
pin_kid(pjwt_keyset *ks, const char *buf, size_t len, const char *kid,
        pjwt_err *e)
{
    char tp[PJWT_THUMBPRINT_LEN + 1];
    json_t *jwks, *jwk;
    size_t i, n = 0;
    pjwt_key *k;
    int r = -1;

    if (!(jwks = pjwt_bundle_peek_jwks(buf, len, e)))
        return -1;
    json_array_foreach(json_object_get(jwks, "keys"), i, jwk) {
        if (!(k = pjwt_key_from_jwk(jwk, 0, NULL)))
            continue;
        /* The thumbprint of the key material, not the kid it claims. */
        if (pjwt_key_thumbprint(k, tp, sizeof(tp), NULL) != 0 ||
            strcmp(tp, kid) != 0) {
            pjwt_key_free(k);
            continue;
        }
        if (pjwt_keyset_add(ks, k, e) != 0)
            goto out;
        n++;
    }
    if (n == 0) {
        PJWT_FAIL(e, PJWT_ERR_NO_KEY, "no key in the bundle has the "
                  "thumbprint %s (--trust-kid)", kid);
        goto out;
    }
    r = 0;
out:
    json_decref(jwks);
    return r;
}

/* The bundle's bytes from the URL or the file into *buf (free()). */
static int
fetch(struct sync_ctx *c, const char *src, int is_file, char **buf,
      size_t *len)
{
    struct ctl_http_get g;
    uint8_t *fb = NULL;
    pjwt_err e;

    *buf = NULL;
    *len = 0;
    pjwt_err_clear(&e);
    if (is_file) {
        if (pjwt_file_read(src, PJWT_BUNDLE_MAX, 0, &fb, len, &e) != 0) {
            sync_fail(c, "%s (%s not changed)", e.msg, c->dir);
            return -1;
        }
        *buf = (char *)fb;
        return 0;
    }
    memset(&g, 0, sizeof(g));
    g.cacert = c->cacert;
    g.max = PJWT_BUNDLE_MAX;
    if (ctl_http_get(src, &g, &e) != 0) {
        sync_fail(c, "%s (%s not changed)", e.msg, c->dir);
        return -1;
    }
    if (g.status != 200) {
        free(g.body);
        sync_fail(c, "%s: HTTP %ld (%s not changed)", src, g.status, c->dir);
        return -1;
    }
    *buf = g.body;
    *len = g.len;
    return 0;
}

/* Write revoked, then jwks.json: a crash between the two leaves the newer
   revocations with the older keys, never the other way round. */
static int
install(struct sync_ctx *c, const char *src, const pjwt_bundle *b)
{
    pjwt_revoked *rv = NULL;
    pjwt_keyset *ks = NULL;
    json_t *hj = NULL;
    char *rtext = NULL, *jtext = NULL, t[PJWT_TIME_BUF];
    pjwt_err e;
    int r = CTL_FAIL;

    pjwt_err_clear(&e);
    if (!(rtext = pjwt_bundle_revoked_text(b, &e)) ||
        !(hj = pjwt_bundle_host_jwks(b, &e)) ||
        !(jtext = json_dumps(hj, JSON_INDENT(2)))) {
        r = sync_fail(c, "%s", e.msg[0] ? e.msg : "out of memory");
        goto out;
    }
    /* Both files as the module will read them, before either is written:
       a file it refused would lock every token out. */
    if (!(rv = pjwt_revoked_new()) ||
        pjwt_revoked_load_buf(rv, "the bundle's revocations", rtext,
                              strlen(rtext), &e) != 0 ||
        ctl_jwks_check(jtext, strlen(jtext), "the bundle's key set", &ks,
                       &e) != 0) {
        r = sync_fail(c, "%s: %s (%s not changed)", src,
                      e.msg[0] ? e.msg : "out of memory", c->dir);
        goto out;
    }
    if (pjwt_file_replace(c->revoked_path, rtext, strlen(rtext), 0644, 0,
                          &e) != 0 ||
        pjwt_file_replace(c->jwks_path, jtext, strlen(jtext), 0644, 0,
                          &e) != 0) {
        r = sync_fail(c, "%s", e.msg);
        goto out;
    }
    sync_status_source(c, "bundle", src);
    json_object_set_new(c->status, "version",
                        json_integer((json_int_t)b->version));
    json_object_set_new(c->status, "exp", json_integer((json_int_t)b->exp));
    r = sync_done(c, "installed version %lld of %s from %s: %zu key%s, %zu "
                  "revocation%s, signed by %s, expires %s", b->version,
                  b->iss, src, pjwt_keyset_count(ks),
                  pjwt_keyset_count(ks) == 1 ? "" : "s",
                  json_array_size(b->revoked),
                  json_array_size(b->revoked) == 1 ? "" : "s", b->signer,
                  pjwt_time_fmt((double)b->exp, c->now, 0, t, sizeof(t)));
out:
    pjwt_revoked_free(rv);
    pjwt_keyset_free(ks);
    json_decref(hj);
    free(jtext);
    free(rtext);
    return r;
}

static int
sync_bundle(struct sync_ctx *c, const struct sync_args *a)
{
    pjwt_trust_info ti;
    pjwt_keyset *ks = NULL;
    pjwt_bundle b;
    char iss[sizeof(ti.iss)], url[sizeof(ti.iss) + sizeof(SYNC_WELL_KNOWN)];
    char *buf = NULL, t[PJWT_TIME_BUF];
    const char *src;
    size_t len = 0;
    pjwt_err e;
    int have, r = CTL_FAIL;

    memset(&b, 0, sizeof(b));
    pjwt_err_clear(&e);
    if ((have = installed(c, &ti)) < 0)
        return CTL_FAIL;
    if (a->issuer) {
        if (ctl_issuer_norm(a->issuer, iss, sizeof(iss)) != 0)
            return CTL_USAGE;
    } else if (have == 2) {
        memcpy(iss, ti.iss, sizeof(iss));
    } else {
        return sync_fail(c, "no issuer known: the first sync names it, "
                         "jwtctl sync --issuer URL --trust-kid KID (or "
                         "--trust-file JWKS)");
    }
    if (have == 0 && !a->trust_kid && !a->trust_file)
        return sync_fail(c, "nothing in %s to check a bundle with, and no "
                         "pin: pass --trust-kid KID (the issuer key's "
                         "thumbprint, `jwtctl jwks KEY` prints it) or "
                         "--trust-file JWKS; a first key is never trusted "
                         "on first use", c->dir);
    snprintf(url, sizeof(url), "%s" SYNC_WELL_KNOWN, iss);
    src = a->file ? a->file : url;
    if (fetch(c, src, a->file != NULL, &buf, &len) != 0)
        goto out;

    /* The keys that may sign it. */
    if (!(ks = pjwt_keyset_new())) {
        r = sync_fail(c, "out of memory");
        goto out;
    }
    if ((have &&
         pjwt_keyset_load_file(ks, c->jwks_path, PJWT_KEYS_CHECK_WRITE,
                               &e) != 0) ||
        (a->trust_file &&
         pjwt_keyset_load_file(ks, a->trust_file, 0, &e) != 0) ||
        (a->trust_kid && pin_kid(ks, buf, len, a->trust_kid, &e) != 0)) {
        r = sync_fail(c, "%s (%s not changed)", e.msg, c->dir);
        goto out;
    }
    if (pjwt_bundle_verify(buf, len, ks, iss, c->now, &b, &e) != 0) {
        r = sync_fail(c, "%s: %s (%s not changed)", src, e.msg, c->dir);
        goto out;
    }
    if (have == 2 && b.version < ti.version) {
        r = sync_fail(c, "%s: version %lld is older than the installed %lld: "
                      "rollback refused (%s not changed)", src, b.version,
                      ti.version, c->dir);
        goto out;
    }
    if (have == 2 && b.version == ti.version && b.iat <= ti.iat) {
        sync_status_source(c, "bundle", src);
        r = sync_done(c, "up to date: version %lld of %s, expires %s",
                      ti.version, ti.iss,
                      pjwt_time_fmt((double)ti.exp, c->now, 0, t, sizeof(t)));
        goto out;
    }
    r = install(c, src, &b);
out:
    pjwt_bundle_clear(&b);
    pjwt_keyset_free(ks);
    free(buf);
    return r;
}

/* The timer's bare `jwtctl sync` on a host that follows a plain JWKS: the
   status file's source, since such a jwks.json names no issuer. */
static const char *
jwks_again(struct sync_ctx *c, const struct sync_args *a)
{
    pjwt_trust_info ti;
    const char *mode = sync_status_str(c, "mode");
    struct stat st;

    if (a->issuer || a->file || a->trust_kid || a->trust_file || !mode ||
        strcmp(mode, "jwks") != 0 || lstat(c->jwks_path, &st) != 0 ||
        pjwt_trust_info_load(c->jwks_path, PJWT_FILE_CHECK_WRITE, &ti,
                             NULL) != PJWT_ERR_MISSING)
        return NULL;
    return sync_status_str(c, "source");
}

int
ctl_sync(int argc, char **argv)
{
    static const struct option opts[] = {
        { "issuer", required_argument, NULL, 'i' },
        { "file", required_argument, NULL, 'f' },
        { "dir", required_argument, NULL, 'd' },
        { "trust-kid", required_argument, NULL, 'k' },
        { "trust-file", required_argument, NULL, 't' },
        { "jwks", required_argument, NULL, 'j' },
        { "cacert", required_argument, NULL, 'c' },
        { "status", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct sync_args a = { NULL, NULL, NULL, NULL, NULL };
    struct sync_ctx c;
    const char *dir = SYNC_DEFAULT_DIR, *cacert = NULL, *again;
    pjwt_err e;
    int ch, status = 0, r;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'i': a.issuer = optarg; break;
        case 'f': a.file = optarg; break;
        case 'd': dir = optarg; break;
        case 'k': a.trust_kid = optarg; break;
        case 't': a.trust_file = optarg; break;
        case 'j': a.jwks = optarg; break;
        case 'c': cacert = optarg; break;
        case 's': status = 1; break;
        case 'h': fputs(sync_usage, stdout); return CTL_OK;
        default: fputs(sync_usage, stderr); return CTL_USAGE;
        }
    }
    if (optind != argc || !*dir ||
        (status && (a.issuer || a.file || a.trust_kid || a.trust_file ||
                    a.jwks || cacert)) ||
        (a.jwks && (a.issuer || a.file || a.trust_kid || a.trust_file))) {
        fputs(sync_usage, stderr);
        return CTL_USAGE;
    }
    if (sync_ctx_init(&c, dir) != 0)
        return CTL_USAGE;
    if (status) {
        r = sync_status_print(&c);
        json_decref(c.status);
        return r;
    }
    /* The module refuses files in a directory others can change; so does
       sync, before it writes anything there (the status file included). */
    pjwt_err_clear(&e);
    if (pjwt_path_trusted(c.dir, geteuid(), PJWT_PATH_DIR, &e) != 0)
        return sync_fail(&c, "%s (pam_jwt.so would refuse its files)", e.msg);
    c.dir_ok = 1;
    sync_status_load(&c);
    /* A CA file someone else can change could vouch for any server. */
    if (cacert && pjwt_path_trusted(cacert, geteuid(), PJWT_PATH_FILE,
                                    &e) != 0) {
        r = sync_fail(&c, "--cacert %s", e.msg);
        goto out;
    }
    c.cacert = cacert;
    if (a.jwks)
        r = sync_jwks(&c, a.jwks);
    else if ((again = jwks_again(&c, &a)))
        r = sync_jwks(&c, again);
    else
        r = sync_bundle(&c, &a);
out:
    json_decref(c.status);
    return r;
}
