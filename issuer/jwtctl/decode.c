/*
 * decode.c: `jwtctl decode`: show a token's header and claims without
 * verifying anything, and say so loudly.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl.h"
#include "jws.h"

static const char decode_usage[] =
    "usage: jwtctl decode TOKEN|-\n"
    "\n"
    "Print the header and the claims of TOKEN (or of the token on stdin with\n"
    "-) as indented JSON, with exp/nbf/iat as UTC dates.  NOTHING IS VERIFIED:\n"
    "use `jwtctl verify` to check a token.\n"
    "\n"
    "exit status: 0 decoded, 1 not a decodable JWS, 2 usage.\n";

static void
show_date(const json_t *claims, const char *name)
{
    const json_t *v = json_object_get(claims, name);
    time_t t;
    struct tm tm;
    char buf[64];

    if (!json_is_number(v) || json_number_value(v) < 0 ||
        json_number_value(v) > 253402300799.0)
        return;
    t = (time_t)json_number_value(v);
    if (gmtime_r(&t, &tm) == NULL
        || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return;
    printf("# %-3s %s\n", name, buf);
}

int
ctl_decode(int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    pjwt_token t = { 0 };
    pjwt_err e;
    char *in = NULL, *h = NULL, *p = NULL;
    const char *tok;
    size_t len = 0, inlen = 0;
    int c, r = CTL_FAIL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(decode_usage, stdout); return CTL_OK;
        default: fputs(decode_usage, stderr); return CTL_USAGE;
        }
    }
    if (argc - optind != 1) {
        fputs(decode_usage, stderr);
        return CTL_USAGE;
    }
    if (strcmp(argv[optind], "-") == 0) {
        if (ctl_read("-", &in, &inlen) != 0)
            goto out;
        ctl_rtrim(in, &inlen);
        tok = in;
        len = inlen;
    } else {
        tok = argv[optind];
        len = strlen(tok);
    }
    pjwt_err_clear(&e);
    if (pjwt_jws_parse(tok, len, CTL_INPUT_MAX, &t, &e) != 0) {
        ctl_err("decode: not a JWS: %s", e.msg);
        goto out;
    }
    h = json_dumps(t.header, JSON_INDENT(2));
    p = json_dumps(t.claims, JSON_INDENT(2));
    if (h == NULL || p == NULL) {
        ctl_err("out of memory");
        goto out;
    }
    printf("# UNVERIFIED: decoded only, the signature and claims were NOT checked\n"
           "# header\n%s\n# claims\n%s\n", h, p);
    show_date(t.claims, "iat");
    show_date(t.claims, "nbf");
    show_date(t.claims, "exp");
    r = ctl_flush();
out:
    free(h);
    free(p);
    pjwt_token_clear(&t);
    pjwt_file_free(in, inlen);
    return r;
}
