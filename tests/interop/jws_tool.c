/*
 * jws_tool.c: sign and verify JWS compact tokens with libpjwt from the
 * shell, for the interoperability tests (tests/interop/jws_interop.sh).
 *
 *   jws_tool sign ALG KEYFILE   < claims.json  > token
 *   jws_tool verify ALG KEYFILE < token        > claims.json
 *
 * KEYFILE is a PEM/JWK/JWKS file, or for HS* a secret file (its bytes are
 * the key).  verify allows exactly ALG and exits 0 when the token verifies,
 * 1 when it does not (reason on stderr), 2 on usage or setup errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jws.h"
#include "keys.h"

#define MAX_IN (64 * 1024)

static char *
read_stdin(size_t *len)
{
    char *buf = malloc(MAX_IN + 1);
    size_t n = 0, r;

    if (!buf)
        return NULL;
    while (n < MAX_IN && (r = fread(buf + n, 1, MAX_IN - n, stdin)) > 0)
        n += r;
    /* a token or JSON document followed by a newline */
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    *len = n;
    return buf;
}

int
main(int argc, char **argv)
{
    pjwt_keyset *ks = NULL;
    pjwt_alg alg;
    pjwt_err e;
    char *in = NULL, *out = NULL;
    json_t *claims = NULL;
    size_t len;
    int rc = 2, sign;

    if (argc != 4 || (strcmp(argv[1], "sign") && strcmp(argv[1], "verify"))) {
        fprintf(stderr, "usage: jws_tool sign|verify ALG KEYFILE\n");
        return 2;
    }
    sign = strcmp(argv[1], "sign") == 0;
    alg = pjwt_alg_from_name(argv[2], strlen(argv[2]));
    if (alg == PJWT_ALG_INVALID) {
        fprintf(stderr, "jws_tool: unknown algorithm %s\n", argv[2]);
        return 2;
    }
    pjwt_err_clear(&e);
    ks = pjwt_keyset_new();
    if (!ks)
        goto out;
    if ((PJWT_ALGSET(alg) & PJWT_ALGSET_HS)
            ? pjwt_keyset_load_secret_file(ks, argv[3], 0, &e)
            : pjwt_keyset_load_file(ks, argv[3],
                                    (sign ? PJWT_KEYS_PRIVATE : 0)
                                    | PJWT_KEYS_EAGER, &e)) {
        fprintf(stderr, "jws_tool: %s\n", e.msg);
        goto out;
    }
    if (!(in = read_stdin(&len)))
        goto out;
    if (sign) {
        json_error_t je;

        claims = json_loadb(in, len, 0, &je);
        if (!claims) {
            fprintf(stderr, "jws_tool: claims: %s\n", je.text);
            goto out;
        }
        out = pjwt_jws_sign(pjwt_keyset_get(ks, 0), alg, NULL, claims, &e);
        if (!out) {
            fprintf(stderr, "jws_tool: sign: %s\n", e.msg);
            goto out;
        }
        printf("%s\n", out);
        rc = 0;
    } else {
        pjwt_token t;

        if (pjwt_jws_verify(in, len, 0, ks, PJWT_ALGSET(alg), &t, &e) != 0) {
            fprintf(stderr, "jws_tool: verify: %s (%s)\n", e.msg,
                    pjwt_strerror(e.code));
            rc = 1;
            goto out;
        }
        out = json_dumps(t.claims, JSON_COMPACT | JSON_SORT_KEYS);
        pjwt_token_clear(&t);
        if (!out)
            goto out;
        printf("%s\n", out);
        rc = 0;
    }
out:
    free(in);
    free(out);
    json_decref(claims);
    pjwt_keyset_free(ks);
    return rc;
}
