/*
 * verify_fixture.h: shared set-up of test_verify.c and test_verify_opts.c:
 * generated keys and key files in a temporary directory (removed in
 * teardown), verifiers from module-style arguments, signing and checking.
 * Included by exactly one .c per test program, hence static functions.
 */
#ifndef PJWT_TEST_VERIFY_FIXTURE_H
#define PJWT_TEST_VERIFY_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "b64url.h"
#include "conf.h"
#include "verify.h"
#include "testdir.h"

#define NOW 1700000000L
#define ISS "https://issuer.test"

static char *dir;
static pjwt_key *es_key, *ed_key, *hs_key;
static char p_es[128], p_ed[128], p_hs[128], p_hs_open[128], p_gw[128],
            p_rev[128], p_rev_bad[128], p_oct[128], p_es_priv[128];

static void
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static int __attribute__((unused))
setup(void **state)
{
    pjwt_err e;
    char *pem;
    uint8_t secret[32];
    json_t *jwks;
    const char *s;
    char *dump;

    (void)state;
    /* Key files the verifier must trust: in $TMPDIR (testdir.h). */
    if (!(dir = test_mkdtemp("pjwt-test-verify")) || strlen(dir) > 100)
        return -1;          /* the paths below are kept in 128 bytes */
    es_key = pjwt_key_generate(PJWT_ALG_ES256, &e);
    ed_key = pjwt_key_generate(PJWT_ALG_EDDSA, &e);
    if (!es_key || !ed_key)
        return -1;
    snprintf(p_es, sizeof(p_es), "%s/es.pub", dir);
    pem = pjwt_key_to_public_pem(es_key, &e);
    write_file(p_es, pem, strlen(pem), 0644);
    snprintf(p_gw, sizeof(p_gw), "%s/gw.pub", dir);
    write_file(p_gw, pem, strlen(pem), 0664);
    free(pem);
    snprintf(p_ed, sizeof(p_ed), "%s/ed.pub", dir);
    pem = pjwt_key_to_public_pem(ed_key, &e);
    write_file(p_ed, pem, strlen(pem), 0644);
    free(pem);
    snprintf(p_es_priv, sizeof(p_es_priv), "%s/es.key", dir);
    pem = pjwt_key_to_private_pem(es_key, &e);
    write_file(p_es_priv, pem, strlen(pem), 0600);
    free(pem);

    memset(secret, 0x42, sizeof(secret));
    hs_key = pjwt_key_from_secret(secret, sizeof(secret), &e);
    if (!hs_key)
        return -1;
    snprintf(p_hs, sizeof(p_hs), "%s/hmac", dir);
    write_file(p_hs, secret, sizeof(secret), 0600);
    snprintf(p_hs_open, sizeof(p_hs_open), "%s/hmac-open", dir);
    write_file(p_hs_open, secret, sizeof(secret), 0644);

    snprintf(p_rev, sizeof(p_rev), "%s/revoked", dir);
    s = "# test\njti bad-jti\nsub carol\nsub dave before 1699999000\n";
    write_file(p_rev, s, strlen(s), 0644);
    snprintf(p_rev_bad, sizeof(p_rev_bad), "%s/revoked-bad", dir);
    s = "jti a\nthis is not an entry\n";
    write_file(p_rev_bad, s, strlen(s), 0644);

    /* a JWKS with an oct key: an HMAC secret must not come from key= */
    snprintf(p_oct, sizeof(p_oct), "%s/oct.jwks", dir);
    jwks = json_pack("{s:[{s:s,s:s}]}", "keys", "kty", "oct", "k",
                     "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI");
    dump = json_dumps(jwks, 0);
    write_file(p_oct, dump, strlen(dump), 0644);
    free(dump);
    json_decref(jwks);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[160];

    (void)state;
    pjwt_key_free(es_key);
    pjwt_key_free(ed_key);
    pjwt_key_free(hs_key);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    free(dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A verifier from module-style arguments; *rc gets parse/prepare's code. */
static pjwt_verifier *
mkv(int *rc, pjwt_err *e, const char *first, ...)
{
    const char *argv[32];
    int argc = 0;
    va_list ap;
    const char *a;
    pjwt_verifier *v = pjwt_verifier_new();

    assert_non_null(v);
    va_start(ap, first);
    for (a = first; a && argc < 32; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    pjwt_err_clear(e);
    *rc = pjwt_conf_parse_args(argc, argv, pjwt_verifier_set, v, e);
    if (*rc == 0)
        *rc = pjwt_verifier_prepare(v, 0, e);
    return v;
}

static char *
sign(pjwt_key *key, pjwt_alg alg, const char *claims_fmt, ...)
    __attribute__((format(printf, 3, 4)));

static char *
sign(pjwt_key *key, pjwt_alg alg, const char *claims_fmt, ...)
{
    char buf[2048];
    va_list ap;
    json_t *c;
    char *tok;
    pjwt_err e;

    va_start(ap, claims_fmt);
    vsnprintf(buf, sizeof(buf), claims_fmt, ap);
    va_end(ap);
    c = json_loads(buf, 0, NULL);
    assert_non_null(c);
    tok = pjwt_jws_sign(key, alg, NULL, c, &e);
    json_decref(c);
    if (!tok)
        fail_msg("sign: %s", e.msg);
    return tok;
}

#define STD "\"iss\":\"" ISS "\",\"aud\":\"host1\",\"iat\":%ld,\"exp\":%ld"

static int
chk(pjwt_verifier *v, const char *tok, const char *user)
{
    pjwt_err e;
    pjwt_token t;
    int rc;

    pjwt_err_clear(&e);
    rc = pjwt_verifier_check(v, tok, strlen(tok), user, NOW, NULL, NULL, &t, &e);
    if (rc == 0) {
        assert_non_null(t.claims);
        pjwt_token_clear(&t);
    } else {
        assert_int_equal(e.code, rc);
        assert_null(t.claims);
        /* never the token in a message */
        const char *sig = strrchr(tok, '.');
        if (*tok)
            assert_null(strstr(e.msg, tok));
        if (sig && strlen(sig) > 8)
            assert_null(strstr(e.msg, sig + 1));
    }
    return rc;
}

#endif
