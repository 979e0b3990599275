/*
 * keygen.c: `jwtctl keygen`: a new signing key written atomically,
 * mode 0600, never over an existing file unless --force.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "ctl.h"

static const char keygen_usage[] =
    "usage: jwtctl keygen [--alg ES256|EdDSA|RS256|HS256] [--force] OUT\n"
    "\n"
    "Write a new private key to OUT (PKCS#8 PEM, mode 0600) and its public\n"
    "key to OUT.pub (SPKI PEM, mode 0644).  With --alg HS256, OUT receives 32\n"
    "random bytes (the HMAC secret) and there is no OUT.pub.  Files are\n"
    "written to a temporary name in the same directory and renamed into\n"
    "place; existing files are refused unless --force.  Default alg: ES256.\n"
    "--alg is case-insensitive.\n"
    "\n"
    "Token size: ssh cuts a password at 1,023 bytes, and jwt-issuerd refuses\n"
    "at startup a key whose largest possible token (8 groups, longest user\n"
    "and scope) reaches 1,000 bytes.  With issuer https://login.example.com:\n"
    "  ES256, EdDSA  fit: largest 950 bytes (a token with 4 groups: 454)\n"
    "  HS256         fits: largest 907\n"
    "  RS256 (3072)  does NOT fit: largest 1,376 (4 groups: 880); jwt-issuerd\n"
    "                accepts it only with claims_groups = no (988)\n"
    "\n"
    "exit status: 0 written, 1 failed (file exists, I/O error), 2 usage.\n";

/* The algorithms keygen makes keys for, by their case-insensitive name. */
static pjwt_alg
keygen_alg(const char *name)
{
    static const pjwt_alg algs[] = {
        PJWT_ALG_ES256, PJWT_ALG_EDDSA, PJWT_ALG_RS256, PJWT_ALG_HS256,
    };
    size_t i;

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (strcasecmp(name, pjwt_alg_name(algs[i])) == 0)
            return algs[i];
    return PJWT_ALG_INVALID;
}

int
ctl_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        { "alg", required_argument, NULL, 'a' },
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *algname = "ES256", *out;
    char *pub = NULL, *priv_pem = NULL, *pub_pem = NULL;
    pjwt_key *key = NULL;
    pjwt_alg alg;
    pjwt_err e;
    const uint8_t *secret;
    size_t slen = 0;
    int c, force = 0, r = CTL_FAIL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "a:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'a': algname = optarg; break;
        case 'f': force = 1; break;
        case 'h': fputs(keygen_usage, stdout); return CTL_OK;
        default: fputs(keygen_usage, stderr); return CTL_USAGE;
        }
    }
    if (argc - optind != 1) {
        fputs(keygen_usage, stderr);
        return CTL_USAGE;
    }
    out = argv[optind];
    alg = keygen_alg(algname);
    if (alg == PJWT_ALG_INVALID) {
        ctl_err("keygen: --alg must be ES256, EdDSA, RS256 or HS256");
        return CTL_USAGE;
    }
    if (asprintf(&pub, "%s.pub", out) < 0) {
        pub = NULL;
        ctl_err("out of memory");
        goto out;
    }
    /* Refuse early, before the (slow, for RSA) generation; the writes
       below refuse again atomically. */
    if (!force && access(out, F_OK) == 0) {
        ctl_err("%s exists (use --force to replace it)", out);
        goto out;
    }
    if (!force && alg != PJWT_ALG_HS256 && access(pub, F_OK) == 0) {
        ctl_err("%s exists (use --force to replace it)", pub);
        goto out;
    }

    pjwt_err_clear(&e);
    if ((key = pjwt_key_generate(alg, &e)) == NULL) {
        ctl_err("keygen: %s", e.msg);
        goto out;
    }
    if (alg == PJWT_ALG_HS256) {
        if ((secret = pjwt_key_secret(key, &slen)) == NULL) {
            ctl_err("keygen: no secret");
            goto out;
        }
        if (ctl_write_atomic(out, secret, slen, 0600, force) != 0)
            goto out;
    } else {
        if ((priv_pem = pjwt_key_to_private_pem(key, &e)) == NULL ||
            (pub_pem = pjwt_key_to_public_pem(key, &e)) == NULL) {
            ctl_err("keygen: %s", e.msg);
            goto out;
        }
        if (ctl_write_atomic(out, priv_pem, strlen(priv_pem), 0600,
                             force) != 0)
            goto out;
        if (ctl_write_atomic(pub, pub_pem, strlen(pub_pem), 0644, force) != 0)
            goto out;
        fprintf(stderr, "jwtctl: wrote %s (private, %s, kid %s) and %s\n", out,
                pjwt_alg_name(alg), pjwt_key_kid(key), pub);
        if (alg == PJWT_ALG_RS256)
            ctl_err("warning: RS256 tokens can exceed the 1,023 bytes ssh "
                    "reads as a password: jwt-issuerd refuses this key unless "
                    "claims_groups = no (ES256 and EdDSA fit)");
    }
    r = CTL_OK;
out:
    if (priv_pem != NULL)
        pjwt_secret_free(priv_pem, strlen(priv_pem));
    free(pub_pem);
    free(pub);
    pjwt_key_free(key);
    return r;
}
