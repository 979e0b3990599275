/*
 * jwks.c: `jwtctl jwks KEY...`: the JWKS that hosts (key=) and the
 * issuer's /.well-known/jwks.json publish.  Private key files are accepted
 * and only their public halves printed; HMAC secrets are never published.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"

static const char jwks_usage[] =
    "usage: jwtctl jwks KEY...\n"
    "\n"
    "Print a JWKS ({\"keys\":[...]}) with the public half of every key in the\n"
    "given files (private or public PEM, JWK, JWKS), each with its kid (the\n"
    "RFC 7638 thumbprint unless the JWK has its own).  HMAC secrets are not\n"
    "published.\n"
    "\n"
    "exit status: 0 printed, 1 a key could not be read, 2 usage.\n";

int
ctl_jwks(int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    pjwt_keyset *ks = NULL;
    json_t *jwks = NULL;
    char *text = NULL;
    pjwt_err e;
    int c, i, r = CTL_FAIL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(jwks_usage, stdout); return CTL_OK;
        default: fputs(jwks_usage, stderr); return CTL_USAGE;
        }
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
    if ((text = json_dumps(jwks, JSON_INDENT(2))) == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    printf("%s\n", text);
    r = ctl_flush();
out:
    free(text);
    json_decref(jwks);
    pjwt_keyset_free(ks);
    return r;
}
