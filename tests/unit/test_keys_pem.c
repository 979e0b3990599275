/*
 * test_keys_pem.c: single keys from PEM (every form, strictness, family
 * binding, thumbprints) and their JWK export.  Fixtures: tests/data/keys.
 * HMAC secrets are test_keys_build.c, generation and PEM export
 * test_keys_gen.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "keys.h"
#include "slurp.h"

/* Thumbprints of the fixtures, as computed by python3-jwcrypto. */
#define TP_RSA "9_-ITodtpc0m8N3W22r_k4LBpDv8f0Q7teyRufaWNcU"
#define TP_EC256 "0oTY-qkZxnXUbtQ92gRSEER-7SRmTQVfBIyEECP4H-M"
#define TP_EC384 "KLCX8EBdx3XGM-CcfG6Qm_ZEDtGAJyhnsbEU_hcJStk"
#define TP_EC521 "dXPPV7hTSyy9hLqvr2OIxp-J48RwAZ4JKluQWhKV-fo"
#define TP_ED "yy59kJC1LN_BlDVcH3l8UFAA1uV4FYBDc3iPU4NyCuw"

static char *
slurp(const char *name, size_t *len)
{
    char *buf = test_slurp_data(len, "keys/%s", name);

    if (!buf)
        fail_msg("cannot read fixture keys/%s", name);
    return buf;
}

static pjwt_key *
pem(const char *name, unsigned flags, pjwt_err *e)
{
    size_t len;
    char *buf = slurp(name, &len);
    pjwt_key *k;

    pjwt_err_clear(e);
    k = pjwt_key_from_pem(buf, len, flags, e);
    free(buf);
    return k;
}

static void
check_pub(const char *name, pjwt_kty kty, pjwt_algset algs, pjwt_alg def,
          const char *tp)
{
    pjwt_err e;
    pjwt_key *k = pem(name, 0, &e);
    char t[PJWT_THUMBPRINT_LEN + 1];

    if (!k)
        fail_msg("%s: %s", name, e.msg);
    assert_int_equal(pjwt_key_kty(k), kty);
    assert_int_equal(pjwt_key_algs(k), algs);
    assert_int_equal(pjwt_key_default_alg(k), def);
    assert_int_equal(pjwt_key_is_private(k), 0);
    assert_string_equal(pjwt_key_kid(k), tp);
    assert_int_equal(pjwt_key_thumbprint(k, t, sizeof(t), &e), 0);
    assert_string_equal(t, tp);
    assert_non_null(pjwt_key_pkey(k, &e));
    assert_null(pjwt_key_secret(k, NULL));
    pjwt_key_free(k);
}

static void
test_pem_public(void **state)
{
    const pjwt_algset rsa = PJWT_ALGSET_RS | PJWT_ALGSET_PS;

    (void)state;
    check_pub("rsa2048.pub.pem", PJWT_KTY_RSA, rsa, PJWT_ALG_RS256, TP_RSA);
    check_pub("rsa2048.pkcs1.pub.pem", PJWT_KTY_RSA, rsa, PJWT_ALG_RS256,
              TP_RSA);
    check_pub("rsa2048.crt.pem", PJWT_KTY_RSA, rsa, PJWT_ALG_RS256, TP_RSA);
    check_pub("ec256.pub.pem", PJWT_KTY_EC, PJWT_ALGSET(PJWT_ALG_ES256),
              PJWT_ALG_ES256, TP_EC256);
    check_pub("ec256.crt.pem", PJWT_KTY_EC, PJWT_ALGSET(PJWT_ALG_ES256),
              PJWT_ALG_ES256, TP_EC256);
    /* a compressed point: same key, same thumbprint */
    check_pub("ec256-compressed.pub.pem", PJWT_KTY_EC,
              PJWT_ALGSET(PJWT_ALG_ES256), PJWT_ALG_ES256, TP_EC256);
    check_pub("ec384.pub.pem", PJWT_KTY_EC, PJWT_ALGSET(PJWT_ALG_ES384),
              PJWT_ALG_ES384, TP_EC384);
    check_pub("ec521.pub.pem", PJWT_KTY_EC, PJWT_ALGSET(PJWT_ALG_ES512),
              PJWT_ALG_ES512, TP_EC521);
    check_pub("ed25519.pub.pem", PJWT_KTY_OKP, PJWT_ALGSET_ED,
              PJWT_ALG_EDDSA, TP_ED);
}

/* The same key read from every form is the same EVP_PKEY. */
static void
test_pem_forms_equal(void **state)
{
    static const char *const forms[] = {
        "rsa2048.pkcs1.pub.pem", "rsa2048.crt.pem", "rsa2048.pem",
        "rsa2048.trad.pem"
    };
    pjwt_err e;
    pjwt_key *ref = pem("rsa2048.pub.pem", 0, &e), *k;
    size_t i;

    (void)state;
    assert_non_null(ref);
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        k = pem(forms[i], PJWT_KEYS_PRIVATE, &e);
        assert_non_null(k);
        assert_int_equal(EVP_PKEY_eq(pjwt_key_pkey(ref, NULL),
                                     pjwt_key_pkey(k, NULL)), 1);
        pjwt_key_free(k);
    }
    pjwt_key_free(ref);
}

static void
test_pem_private(void **state)
{
    static const char *const priv[] = {
        "rsa2048.pem", "rsa2048.trad.pem", "ec256.pem", "ec384.pem",
        "ec521.pem", "ed25519.pem"
    };
    static const char params[] = "-----BEGIN EC PARAMETERS-----\n"
        "BggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
    pjwt_err e;
    pjwt_key *k;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
        /* without PJWT_KEYS_PRIVATE a private key is refused */
        assert_null(pem(priv[i], 0, &e));
        assert_int_equal(e.code, PJWT_ERR_KEY);
        k = pem(priv[i], PJWT_KEYS_PRIVATE, &e);
        if (!k)
            fail_msg("%s: %s", priv[i], e.msg);
        assert_int_equal(pjwt_key_is_private(k), 1);
        pjwt_key_free(k);
    }
    /* "EC PARAMETERS" before the key is skipped */
    k = pem("ec256.trad.pem", PJWT_KEYS_PRIVATE, &e);
    assert_non_null(k);
    assert_int_equal(pjwt_key_algs(k), PJWT_ALGSET(PJWT_ALG_ES256));
    pjwt_key_free(k);
    /* ...but a file of keyless blocks has no key */
    k = pjwt_key_from_pem(params, strlen(params), 0, &e);
    assert_null(k);
    assert_int_equal(e.code, PJWT_ERR_KEY);
    assert_string_equal(e.msg, "no PEM key block");
}

static void
test_pem_refused(void **state)
{
    static const char *const bad[] = {
        "bad-base64.pub.pem", "bad-dsa.pub.pem", "bad-ec-explicit.pub.pem",
        "bad-ed448.pub.pem", "bad-encrypted.pem", "bad-rsa1024.pub.pem",
        "bad-rsapss.pub.pem", "bad-secp256k1.pub.pem",
        "bad-truncated.pub.pem", "bad-truncated2.pub.pem",
        "bad-x25519.pub.pem", "bad-ec256-offcurve.pub.pem",
        "bad-garbage.txt", "bad-empty.txt"
    };
    pjwt_err e;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pjwt_key *k = pem(bad[i], PJWT_KEYS_PRIVATE, &e);
        if (k)
            fail_msg("%s accepted", bad[i]);
        assert_int_equal(e.code, PJWT_ERR_KEY);
        assert_true(e.msg[0] != '\0');
    }
    assert_null(pjwt_key_from_pem(NULL, 0, 0, &e));
}

static void
test_pem_inline_damage(void **state)
{
    size_t len;
    char *buf = slurp("rsa2048.pub.pem", &len), *b2;
    pjwt_err e;

    (void)state;
    /* END label differs from BEGIN label */
    b2 = strdup(buf);
    memcpy(strstr(b2, "-----END PUBLIC KEY"), "-----END PUBLIC KEX", 19);
    assert_null(pjwt_key_from_pem(b2, len, 0, &e));
    assert_int_equal(e.code, PJWT_ERR_KEY);
    free(b2);
    /* encrypted traditional PEM headers */
    b2 = malloc(len + 64);
    snprintf(b2, len + 64, "-----BEGIN RSA PRIVATE KEY-----\n"
             "Proc-Type: 4,ENCRYPTED\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    assert_null(pjwt_key_from_pem(b2, strlen(b2), PJWT_KEYS_PRIVATE, &e));
    assert_int_equal(e.code, PJWT_ERR_KEY);
    /* body of the wrong type for its label */
    snprintf(b2, len + 64, "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n"
             "-----END CERTIFICATE-----\n");
    assert_null(pjwt_key_from_pem(b2, strlen(b2), 0, &e));
    assert_int_equal(e.code, PJWT_ERR_KEY);
    free(b2);
    free(buf);
}

/*
 * A PEM file is PEM and nothing else (review item 11): a key quoted inside
 * other text, such as a root-owned log file that an attacker wrote one
 * line of, is not a key file.  Only whitespace may surround the blocks.
 */
static void
test_pem_strict(void **state)
{
    static const char *const wrap[][2] = {
        { "Dec  4 10:00:01 host app[42]: ", "" },       /* a log line */
        { "", "trailing junk\n" },
        { "x\n", "" },
        { "", "-----BEGIN PUBLIC KEY-----\n" },       /* an unfinished block */
        { "# comment\n", "" },
    };
    size_t len, i, n;
    char *buf = slurp("ec256.pub.pem", &len), *b2, *body;
    pjwt_err e;
    pjwt_key *k;

    (void)state;
    for (i = 0; i < sizeof(wrap) / sizeof(wrap[0]); i++) {
        n = strlen(wrap[i][0]) + len + strlen(wrap[i][1]) + 1;
        b2 = malloc(n);
        assert_non_null(b2);
        snprintf(b2, n, "%s%s%s", wrap[i][0], buf, wrap[i][1]);
        pjwt_err_clear(&e);
        k = pjwt_key_from_pem(b2, strlen(b2), 0, &e);
        if (k)
            fail_msg("case %zu accepted", i);
        assert_int_equal(e.code, PJWT_ERR_KEY);
        assert_int_equal(pjwt_pem_check(b2, strlen(b2), 0, &e), PJWT_ERR_KEY);
        /* messages give a line, never the text */
        assert_null(strstr(e.msg, "junk"));
        assert_null(strstr(e.msg, "host app"));
        free(b2);
    }
    /* the whole key on the log line, BEGIN and END included */
    b2 = malloc(len + 64);
    body = strdup(buf);
    for (i = 0; body[i]; i++)
        if (body[i] == '\n')
            body[i] = ' ';
    snprintf(b2, len + 64, "sshd[1]: %s\n", body);
    assert_null(pjwt_key_from_pem(b2, strlen(b2), 0, &e));
    snprintf(b2, len + 64, "%s\n", body);   /* one line, nothing else */
    assert_null(pjwt_key_from_pem(b2, strlen(b2), 0, &e));
    assert_int_equal(e.code, PJWT_ERR_KEY);
    free(body);
    /* BEGIN with text after it on its line, END not on a line of its own */
    snprintf(b2, len + 64, "%s", buf);
    memcpy(strstr(b2, "KEY-----\n"), "KEY-----X", 9);
    assert_null(pjwt_key_from_pem(b2, strlen(b2), 0, &e));
    snprintf(b2, len + 64, "%s", buf);
    *(strstr(b2, "\n-----END")) = '=';
    assert_null(pjwt_key_from_pem(b2, strlen(b2), 0, &e));
    free(b2);
    /* whitespace around the block, CRLF and blanks at line ends are fine */
    b2 = malloc(2 * len + 64);
    snprintf(b2, 2 * len + 64, "\n \t\r\n%s  \r\n\n", buf);
    k = pjwt_key_from_pem(b2, strlen(b2), 0, &e);
    if (!k)
        fail_msg("whitespace around the block: %s", e.msg);
    pjwt_key_free(k);
    /* several blocks, whitespace between: counted */
    snprintf(b2, 2 * len + 64, "%s\n%s", buf, buf);
    assert_int_equal(pjwt_pem_check(b2, strlen(b2), 0, &e), 0);
    assert_int_equal(pjwt_pem_check(b2, strlen(b2), 2, &e), 0);
    assert_int_equal(pjwt_pem_check(b2, strlen(b2), 1, &e), PJWT_ERR_KEY);
    assert_string_equal(e.msg, "more than 1 PEM block");
    snprintf(b2, 2 * len + 64, "%s--\n%s", buf, buf);
    assert_int_equal(pjwt_pem_check(b2, strlen(b2), 0, &e), PJWT_ERR_KEY);
    assert_int_equal(pjwt_pem_check(" \n", 2, 0, &e), PJWT_ERR_KEY);
    assert_string_equal(e.msg, "no PEM block");
    free(b2);
    free(buf);
}

static void
test_public_jwk_export(void **state)
{
    pjwt_err e;
    pjwt_key *k = pem("ec256.pem", PJWT_KEYS_PRIVATE, &e), *k2;
    json_t *j;

    (void)state;
    assert_non_null(k);
    j = pjwt_key_to_public_jwk(k, &e);
    assert_non_null(j);
    assert_null(json_object_get(j, "d"));
    assert_string_equal(json_string_value(json_object_get(j, "kty")), "EC");
    assert_string_equal(json_string_value(json_object_get(j, "crv")), "P-256");
    assert_string_equal(json_string_value(json_object_get(j, "use")), "sig");
    assert_string_equal(json_string_value(json_object_get(j, "kid")),
                        TP_EC256);
    assert_null(json_object_get(j, "alg"));
    k2 = pjwt_key_from_jwk(j, 0, &e);
    assert_non_null(k2);
    assert_int_equal(EVP_PKEY_eq(pjwt_key_pkey(k, NULL),
                                 pjwt_key_pkey(k2, NULL)), 1);
    json_decref(j);
    pjwt_key_free(k2);
    pjwt_key_free(k);

    k = pem("rsa2048.pem", PJWT_KEYS_PRIVATE, &e);
    j = pjwt_key_to_public_jwk(k, &e);
    assert_non_null(j);
    assert_null(json_object_get(j, "d"));
    assert_null(json_object_get(j, "p"));
    assert_string_equal(json_string_value(json_object_get(j, "e")), "AQAB");
    json_decref(j);
    pjwt_key_free(k);
}

static void
test_thumbprint_args(void **state)
{
    pjwt_err e;
    pjwt_key *k = pem("ed25519.pub.pem", 0, &e);
    char small[PJWT_THUMBPRINT_LEN];

    (void)state;
    assert_int_equal(pjwt_key_thumbprint(k, small, sizeof(small), &e),
                     PJWT_ERR_ARG);
    assert_int_equal(pjwt_key_thumbprint(NULL, small, 99, &e), PJWT_ERR_ARG);
    assert_null(pjwt_key_kid(NULL));
    assert_int_equal(pjwt_key_algs(NULL), 0);
    pjwt_key_free(k);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pem_public),
        cmocka_unit_test(test_pem_forms_equal),
        cmocka_unit_test(test_pem_private),
        cmocka_unit_test(test_pem_refused),
        cmocka_unit_test(test_pem_inline_damage),
        cmocka_unit_test(test_pem_strict),
        cmocka_unit_test(test_public_jwk_export),
        cmocka_unit_test(test_thumbprint_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
