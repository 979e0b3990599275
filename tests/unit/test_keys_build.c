/*
 * test_keys_build.c: keys built from members: HMAC secrets (length rules
 * of RFC 7518 3.2, no public forms).
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
test_secret(void **state)
{
    uint8_t s[64];
    size_t len = 0;
    pjwt_err e;
    pjwt_key *k;

    (void)state;
    memset(s, 0x5a, sizeof(s));
    assert_null(pjwt_key_from_secret(s, 31, &e));
    assert_int_equal(e.code, PJWT_ERR_KEY);
    assert_null(pjwt_key_from_secret(NULL, 40, &e));
    k = pjwt_key_from_secret(s, 32, &e);
    assert_non_null(k);
    assert_int_equal(pjwt_key_kty(k), PJWT_KTY_OCT);
    /* RFC 7518 3.2: a 32-byte key is too short for HS384/HS512 */
    assert_int_equal(pjwt_key_algs(k), PJWT_ALGSET(PJWT_ALG_HS256));
    assert_int_equal(pjwt_key_default_alg(k), PJWT_ALG_HS256);
    assert_memory_equal(pjwt_key_secret(k, &len), s, 32);
    assert_int_equal(len, 32);
    assert_int_equal(pjwt_key_is_private(k), 1);
    assert_null(pjwt_key_pkey(k, &e));
    assert_null(pjwt_key_to_public_jwk(k, &e));
    assert_int_equal(e.code, PJWT_ERR_ARG);
    assert_null(pjwt_key_to_public_pem(k, &e));
    assert_null(pjwt_key_to_private_pem(k, &e));
    assert_int_equal(strlen(pjwt_key_kid(k)), PJWT_THUMBPRINT_LEN);
    pjwt_key_free(k);
    k = pjwt_key_from_secret(s, 64, &e);
    assert_int_equal(pjwt_key_algs(k), PJWT_ALGSET_HS);
    pjwt_key_free(k);
    pjwt_key_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
