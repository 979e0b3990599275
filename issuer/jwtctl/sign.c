/*
 * sign.c: `jwtctl sign`: a token for automation and tests, signed with
 * a private key or an HMAC secret file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "conf.h"
#include "ctl.h"
#include "json.h"
#include "jws.h"

static const char sign_usage[] =
    "usage: jwtctl sign --key KEY --claims JSON|@FILE [--alg ALG] [--kid KID]\n"
    "                   [--lifetime SECONDS]\n"
    "\n"
    "Print a compact JWS over the claims (a JSON object, given inline, or read\n"
    "from FILE with @FILE, or from stdin with @-).  KEY is a private PEM, JWK\n"
    "or JWKS, or an HMAC secret file (its exact bytes).  The header gets alg\n"
    "(default: the key's own), typ JWT and kid (default: the key's kid or\n"
    "RFC 7638 thumbprint).  --lifetime sets iat to now and exp to now+SECONDS.\n"
    "\n"
    "exit status: 0 printed, 1 signing failed (bad key, bad JSON), 2 usage.\n";

int
ctl_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "claims", required_argument, NULL, 'c' },
        { "alg", required_argument, NULL, 'a' },
        { "kid", required_argument, NULL, 'i' },
        { "lifetime", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *keypath = NULL, *claims_arg = NULL, *algname = NULL,
               *kid = NULL, *life_arg = NULL;
    char *text = NULL, *tok = NULL;
    size_t tlen = 0;
    pjwt_keyset *ks = NULL;
    pjwt_key *key = NULL;
    json_t *claims = NULL, *hdr = NULL;
    pjwt_alg alg;
    pjwt_err e;
    long life = 0;
    time_t now;
    int c, r = CTL_FAIL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "k:c:a:i:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': keypath = optarg; break;
        case 'c': claims_arg = optarg; break;
        case 'a': algname = optarg; break;
        case 'i': kid = optarg; break;
        case 'l': life_arg = optarg; break;
        case 'h': fputs(sign_usage, stdout); return CTL_OK;
        default: fputs(sign_usage, stderr); return CTL_USAGE;
        }
    }
    if (!keypath || !claims_arg || optind != argc) {
        fputs(sign_usage, stderr);
        return CTL_USAGE;
    }
    pjwt_err_clear(&e);
    if (life_arg &&
        pjwt_conf_long("--lifetime", life_arg, 1, 10L * 366 * 86400, &life,
                       &e) != 0) {
        ctl_err("%s", e.msg);
        r = CTL_USAGE;
        goto out;
    }

    /* Claims: strict JSON (no duplicate members, an object). */
    if (claims_arg[0] == '@') {
        if (ctl_read(claims_arg + 1, &text, &tlen) != 0)
            goto out;
        claims = pjwt_json_parse_object(text, tlen, CTL_INPUT_MAX, &e);
    } else {
        claims = pjwt_json_parse_object(claims_arg, strlen(claims_arg),
                                        CTL_INPUT_MAX, &e);
    }
    if (claims == NULL) {
        ctl_err("--claims: %s", e.msg);
        goto out;
    }
    if (life) {
        now = time(NULL);
        if (json_object_set_new(claims, "iat", json_integer(now)) != 0 ||
            json_object_set_new(claims, "exp", json_integer(now + life)) != 0) {
            ctl_err("out of memory");
            goto out;
        }
    }

    if ((ks = ctl_load_signing_key(keypath, &key)) == NULL)
        goto out;
    alg = pjwt_key_default_alg(key);
    if (algname != NULL) {
        alg = pjwt_alg_from_name(algname, strlen(algname));
        if (alg == PJWT_ALG_INVALID) {
            ctl_err("--alg %s: unknown algorithm", algname);
            r = CTL_USAGE;
            goto out;
        }
    }
    if (!(pjwt_key_algs(key) & PJWT_ALGSET(alg))) {
        ctl_err("--alg %s: not usable with this key", pjwt_alg_name(alg));
        goto out;
    }
    hdr = json_pack("{s:s}", "typ", "JWT");
    if (hdr == NULL
        || (kid != NULL
            && json_object_set_new(hdr, "kid", json_string(kid)) != 0)) {
        ctl_err("--kid: not a valid UTF-8 string");
        goto out;
    }
    if ((tok = pjwt_jws_sign(key, alg, hdr, claims, &e)) == NULL) {
        ctl_err("sign: %s", e.msg);
        goto out;
    }
    printf("%s\n", tok);
    r = ctl_flush();
out:
    if (tok != NULL)
        pjwt_secret_free(tok, strlen(tok));
    pjwt_file_free(text, tlen);
    json_decref(claims);
    json_decref(hdr);
    pjwt_keyset_free(ks);
    return r;
}
