/*
 * jwks.c: `jwtctl jwks KEY...`: the JWKS that hosts (key=) and the
 * issuer's /.well-known/jwks.json publish.  Private key files are accepted
 * and only their public halves printed; HMAC secrets are never published.
 *
 * `jwtctl jwks --install DEST`: the host's side, a JWKS from standard
 * input (a download) checked with pam_jwt.so's own key-set loader and put
 * in place atomically, so a failed download can never empty the host's
 * key file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl.h"
#include "excerpt.h"

static const char jwks_usage[] =
    "usage: jwtctl jwks KEY...\n"
    "       jwtctl jwks --install DEST < JWKS\n"
    "\n"
    "Print a JWKS ({\"keys\":[...]}) with the public half of every key in the\n"
    "given files (private or public PEM, JWK, JWKS), each with its kid (the\n"
    "RFC 7638 thumbprint unless the JWK has its own).  HMAC secrets are not\n"
    "published.\n"
    "\n"
    "--install DEST reads a JWKS from standard input (at most 1 MiB), checks\n"
    "it with pam_jwt.so's key-set loader (at least one public key the module\n"
    "can use; no private or HMAC keys), then replaces DEST atomically (mode\n"
    "0644).  On any failure DEST is left as it was:\n"
    "  curl -sf URL | jwtctl jwks --install /etc/security/pam_jwt/jwks.json\n"
    "\n"
    "exit status: 0 printed or installed, 1 a key could not be read or the\n"
    "input was refused (DEST unchanged), 2 usage.\n";

/* Flags of the module's own load (common/verify.c), minus the file
   checks, which apply to DEST and not to standard input; EAGER so that a
   key the module could not build is refused now, not at the first login. */
#define INSTALL_FLAGS PJWT_KEYS_EAGER

/* Tell the administrator which JWKS entries the loader skipped and why
   (it skips keys of other types, curves, algorithms and uses). */
static size_t
report_skipped(const char *buf, size_t len)
{
    json_t *doc, *keys, *jwk;
    char kid[PJWT_EXCERPT_BUF(64)];
    size_t i, n = 0;
    pjwt_key *k;
    pjwt_err e;

    doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
    keys = json_object_get(doc, "keys");
    json_array_foreach(keys, i, jwk) {
        pjwt_err_clear(&e);
        k = pjwt_key_from_jwk(jwk, INSTALL_FLAGS & ~PJWT_KEYS_EAGER, &e);
        if (k) {
            pjwt_key_free(k);
            continue;
        }
        n++;
        ctl_err("skipped key %zu (kid %s): %s", i + 1,
                pjwt_excerpt(json_string_value(json_object_get(jwk, "kid")),
                             PJWT_EXCERPT_CSTR, 64, PJWT_EXCERPT_QUOTE, kid,
                             sizeof(kid)),
                e.msg);
    }
    json_decref(doc);
    return n;
}

int
ctl_jwks_check(const char *buf, size_t len, const char *name,
               pjwt_keyset **out, pjwt_err *e)
{
    pjwt_keyset *ks = NULL;
    size_t i;
    int r = -1;

    *out = NULL;
    pjwt_err_clear(e);
    for (i = 0; i < len && strchr(" \t\r\n", buf[i]); i++)
        ;
    if (i == len) {
        PJWT_FAIL(e, PJWT_ERR_FORMAT, "nothing in %s: did the download fail?",
                  name);
        goto out;
    }
    if (buf[i] != '{') {
        PJWT_FAIL(e, PJWT_ERR_FORMAT, "%s is not a JWKS ({\"keys\":[...]})",
                  name);
        goto out;
    }
    if (!(ks = pjwt_keyset_new())) {
        PJWT_FAIL(e, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (pjwt_keyset_load_mem(ks, buf, len, name, INSTALL_FLAGS, e) != 0) {
        (void)report_skipped(buf, len);
        goto out;
    }
    /* The module refuses a key file holding an HMAC key (it would be a
       world-readable secret): installing one would lock every token out. */
    for (i = 0; i < pjwt_keyset_count(ks); i++) {
        if (pjwt_key_kty(pjwt_keyset_get(ks, i)) == PJWT_KTY_OCT) {
            PJWT_FAIL(e, PJWT_ERR_KEY, "%s: key %zu is an HMAC (oct) key, "
                      "which pam_jwt.so refuses in a key file (use "
                      "hmac_secret)", name, i + 1);
            goto out;
        }
    }
    (void)report_skipped(buf, len);
    *out = ks;
    ks = NULL;
    r = 0;
out:
    pjwt_keyset_free(ks);
    return r;
}

void
ctl_jwks_print_installed(const char *dest, pjwt_keyset *ks)
{
    char kid[PJWT_EXCERPT_BUF(64)];
    size_t i, n = pjwt_keyset_count(ks);

    printf("%s: installed %zu usable key%s:", dest, n, n == 1 ? "" : "s");
    for (i = 0; i < n; i++) {
        pjwt_key *k = pjwt_keyset_get(ks, i);
        printf(" %s kid \"%s\"%s", pjwt_alg_name(pjwt_key_default_alg(k)),
               pjwt_excerpt(pjwt_key_kid(k), PJWT_EXCERPT_CSTR, 64, 0, kid,
                            sizeof(kid)),
               i + 1 < n ? "," : "");
    }
    fputc('\n', stdout);
}

static int
install(const char *dest)
{
    pjwt_keyset *ks = NULL;
    char *buf = NULL;
    size_t len = 0;
    pjwt_err e;
    int r = CTL_FAIL;

    if (isatty(STDIN_FILENO)) {
        ctl_err("jwks --install reads the JWKS from standard input: "
                "pipe it in (curl -sf URL | jwtctl jwks --install %s)", dest);
        return CTL_USAGE;
    }
    if (ctl_read("-", &buf, &len) != 0) {
        ctl_err("%s not changed", dest);
        goto out;
    }
    if (ctl_jwks_check(buf, len, "standard input", &ks, &e) != 0) {
        ctl_err("%s: %s not changed", e.msg, dest);
        goto out;
    }
    if (ctl_write_atomic(dest, buf, len, 0644, 1) != 0) {
        ctl_err("%s not changed", dest);
        goto out;
    }
    ctl_jwks_print_installed(dest, ks);
    pjwt_err_clear(&e);
    /* Installed; but the module also checks who can change the file. */
    if (pjwt_path_trusted(dest, geteuid(), PJWT_PATH_FILE, &e) != 0)
        ctl_err("warning: pam_jwt.so will refuse %s: %s", dest, e.msg);
    r = ctl_flush();
out:
    pjwt_keyset_free(ks);
    pjwt_file_free(buf, len);
    return r;
}

int
ctl_jwks(int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "install", required_argument, NULL, 'i' },
        { NULL, 0, NULL, 0 },
    };
    pjwt_keyset *ks = NULL;
    json_t *jwks = NULL;
    const char *dest = NULL;
    pjwt_err e;
    int c, i, r = CTL_FAIL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(jwks_usage, stdout); return CTL_OK;
        case 'i': dest = optarg; break;
        default: fputs(jwks_usage, stderr); return CTL_USAGE;
        }
    }
    if (dest) {
        if (optind < argc || !*dest) {
            fputs(jwks_usage, stderr);
            return CTL_USAGE;
        }
        return install(dest);
    }
    if (optind >= argc) {
        fputs(jwks_usage, stderr);
        return CTL_USAGE;
    }
    if ((ks = pjwt_keyset_new()) == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    for (i = optind; i < argc; i++) {
        pjwt_err_clear(&e);
        if (pjwt_keyset_load_file(ks, argv[i], PJWT_KEYS_PRIVATE | PJWT_KEYS_EAGER,
                                  &e) != 0) {
            ctl_err("%s", e.msg);
            goto out;
        }
    }
    pjwt_err_clear(&e);
    if ((jwks = pjwt_keyset_to_jwks(ks, &e)) == NULL) {
        ctl_err("jwks: %s", e.msg);
        goto out;
    }
    if (json_array_size(json_object_get(jwks, "keys")) == 0) {
        ctl_err("jwks: no public key to publish");
        goto out;
    }
    r = ctl_print_json(jwks);
out:
    json_decref(jwks);
    pjwt_keyset_free(ks);
    return r;
}
