/*
 * bundle.c: `jwtctl bundle [--issuer URL] -o FILE`: the issuer's trust
 * bundle (common/bundle.h) into a file, for a site without a network path
 * from its hosts to the issuer (`jwtctl sync --file FILE` there).
 *
 * What is written has passed pjwt_bundle_verify against the bundle's own
 * current keys, with iss equal to the issuer asked: that proves no trust
 * (whoever answered could have signed with keys of their own), only that
 * the file is whole, unexpired and self-consistent, so a broken copy is
 * caught here rather than on the far side of the air gap.  The hosts'
 * `jwtctl sync --file` then checks it against the keys they already trust.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "client.h"
#include "ctl.h"
#include "timefmt.h"

#define BUNDLE_PATH "/.well-known/pamjwt-trust.jws"

static const char bundle_usage[] =
    "usage: jwtctl bundle [--issuer URL] -o FILE\n"
    "\n"
    "Fetch the issuer's trust bundle (URL" BUNDLE_PATH "; URL defaults to\n"
    "client.conf's issuer), check it is whole, unexpired and signed by one of\n"
    "its own current keys, with iss URL, and write it to FILE (mode 0644,\n"
    "replaced atomically), to carry to hosts that run `jwtctl sync --file`.\n"
    "\n"
    "exit status: 0 written, 1 failed (nothing written), 2 usage.\n";

/* The bundle's own current keys, the ones it must be signed by. */
static pjwt_keyset *
current_keys(const char *buf, size_t len, pjwt_err *err)
{
    json_t *jwks = pjwt_bundle_peek_jwks(buf, len, err), *k;
    pjwt_keyset *ks = NULL;
    size_t i;

    if (jwks == NULL)
        return NULL;
    if ((ks = pjwt_keyset_new()) == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    json_array_foreach(json_object_get(jwks, "keys"), i, k) {
        const char *s = json_string_value(json_object_get(k, "pamjwt_state"));

        if (s == NULL || pjwt_key_state_parse(s) != PJWT_KEY_CURRENT)
            continue;
        if (pjwt_keyset_add(ks, pjwt_key_from_jwk(k, 0, err), err) != 0) {
            pjwt_keyset_free(ks);
            ks = NULL;
            goto out;
        }
    }
out:
    json_decref(jwks);
    return ks;
}

int
ctl_bundle(int argc, char **argv)
{
    static const struct option opts[] = {
        { "issuer", required_argument, NULL, 'i' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct ctl_client_conf conf;
    const char *opt_iss = NULL, *out = NULL;
    char iss[CTL_URL_MAX], url[CTL_URL_MAX + sizeof(BUNDLE_PATH)];
    char exp[PJWT_TIME_BUF];
    pjwt_keyset *ks = NULL;
    pjwt_bundle b;
    char *buf = NULL;
    size_t len = 0;
    struct ctl_http_get g;
    pjwt_err e;
    int c, r = CTL_FAIL;

    memset(&b, 0, sizeof(b));
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': opt_iss = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(bundle_usage, stdout); return CTL_OK;
        default: fputs(bundle_usage, stderr); return CTL_USAGE;
        }
    }
    if (optind != argc || out == NULL || *out == '\0') {
        fputs(bundle_usage, stderr);
        return CTL_USAGE;
    }
    /* client.conf gives the CA bundle too, also with --issuer. */
    if (ctl_client_issuer(opt_iss, iss, sizeof(iss)) != 0
        || ctl_client_conf_load(&conf) != 0)
        return CTL_USAGE;
    (void)snprintf(url, sizeof(url), "%s" BUNDLE_PATH, iss);
    memset(&g, 0, sizeof(g));
    g.cacert = conf.cacert;
    g.max = PJWT_BUNDLE_MAX;
    pjwt_err_clear(&e);
    if (ctl_http_get(url, &g, &e) != 0) {
        ctl_err("%s", e.msg);
        goto done;
    }
    buf = g.body;
    len = g.len;
    if (g.status != 200 || buf == NULL) {
        ctl_err("%s: HTTP %ld", url, g.status);
        goto done;
    }
    pjwt_err_clear(&e);
    if ((ks = current_keys(buf, len, &e)) == NULL
        || pjwt_bundle_verify(buf, len, ks, iss, time(NULL), &b, &e) != 0) {
        ctl_err("%s: not a good trust bundle: %s", url, e.msg);
        goto done;
    }
    if (ctl_write_atomic(out, buf, len, 0644, 1) != 0)
        goto done;
    printf("wrote %s: trust bundle version %lld of %s, signed by %s, "
           "expires %s\n", out, b.version, b.iss, b.signer,
           pjwt_time_fmt((double)b.exp, time(NULL), PJWT_TIME_ISO, exp,
                         sizeof(exp)));
    r = ctl_flush();
done:
    pjwt_bundle_clear(&b);
    pjwt_keyset_free(ks);
    free(buf);
    return r;
}
