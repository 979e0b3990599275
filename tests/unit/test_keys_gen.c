/*
 * test_keys_gen.c: pjwt_key_generate for every algorithm, and the PEM
 * round trip of what it makes.
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

static void
test_generate(void **state)
{
    static const struct {
        pjwt_alg alg;
        pjwt_kty kty;
        pjwt_algset algs;
    } g[] = {
        { PJWT_ALG_ES256, PJWT_KTY_EC, PJWT_ALGSET(PJWT_ALG_ES256) },
        { PJWT_ALG_ES384, PJWT_KTY_EC, PJWT_ALGSET(PJWT_ALG_ES384) },
        { PJWT_ALG_ES512, PJWT_KTY_EC, PJWT_ALGSET(PJWT_ALG_ES512) },
        { PJWT_ALG_EDDSA, PJWT_KTY_OKP, PJWT_ALGSET_ED },
        { PJWT_ALG_ED25519, PJWT_KTY_OKP, PJWT_ALGSET_ED },
        { PJWT_ALG_PS256, PJWT_KTY_RSA, PJWT_ALGSET_RS | PJWT_ALGSET_PS },
        { PJWT_ALG_HS256, PJWT_KTY_OCT, PJWT_ALGSET(PJWT_ALG_HS256) },
        { PJWT_ALG_HS384, PJWT_KTY_OCT, PJWT_ALGSET(PJWT_ALG_HS256)
                                        | PJWT_ALGSET(PJWT_ALG_HS384) },
        { PJWT_ALG_HS512, PJWT_KTY_OCT, PJWT_ALGSET_HS },
    };
    pjwt_err e;
    size_t i, len;
    char *priv, *pub;
    pjwt_key *k, *k2, *k3;

    (void)state;
    for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
        k = pjwt_key_generate(g[i].alg, &e);
        assert_non_null(k);
        assert_int_equal(pjwt_key_kty(k), g[i].kty);
        assert_int_equal(pjwt_key_algs(k), g[i].algs);
        assert_int_equal(pjwt_key_is_private(k), 1);
        if (g[i].kty == PJWT_KTY_OCT) {
            assert_non_null(pjwt_key_secret(k, &len));
            assert_int_equal(len, g[i].alg == PJWT_ALG_HS256 ? 32
                             : g[i].alg == PJWT_ALG_HS384 ? 48 : 64);
            pjwt_key_free(k);
            continue;
        }
        if (g[i].kty == PJWT_KTY_RSA)
            assert_int_equal(EVP_PKEY_get_bits(pjwt_key_pkey(k, NULL)), 3072);
        /* PEM round trips keep the key (same thumbprint) */
        priv = pjwt_key_to_private_pem(k, &e);
        pub = pjwt_key_to_public_pem(k, &e);
        assert_non_null(priv);
        assert_non_null(pub);
        assert_non_null(strstr(priv, "-----BEGIN PRIVATE KEY-----"));
        assert_non_null(strstr(pub, "-----BEGIN PUBLIC KEY-----"));
        k2 = pjwt_key_from_pem(priv, strlen(priv), PJWT_KEYS_PRIVATE, &e);
        k3 = pjwt_key_from_pem(pub, strlen(pub), 0, &e);
        assert_non_null(k2);
        assert_non_null(k3);
        assert_string_equal(pjwt_key_kid(k2), pjwt_key_kid(k));
        assert_string_equal(pjwt_key_kid(k3), pjwt_key_kid(k));
        assert_int_equal(pjwt_key_is_private(k3), 0);
        /* a public key has no private PEM */
        assert_null(pjwt_key_to_private_pem(k3, &e));
        free(pub);
        free(priv);
        pjwt_key_free(k3);
        pjwt_key_free(k2);
        pjwt_key_free(k);
    }
    assert_null(pjwt_key_generate(PJWT_ALG_INVALID, &e));
    assert_int_equal(e.code, PJWT_ERR_ALG);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
