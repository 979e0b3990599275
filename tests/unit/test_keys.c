/*
 * test_keys.c: the curve table of keys.c: every lookup finds the same row,
 * names are exact, and each row agrees with the algorithm table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "keys_impl.h"

static void
test_curve_table(void **state)
{
    static const enum pjwt_crv all[] = {
        PJWT_CRV_P256, PJWT_CRV_P384, PJWT_CRV_P521, PJWT_CRV_ED25519
    };
    const struct pjwt_crv_info *ci;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        ci = pjwt_crv_info(all[i]);
        assert_non_null(ci);
        assert_int_equal(ci->crv, all[i]);
        assert_ptr_equal(pjwt_crv_by_jwk(ci->kty, ci->jwk, strlen(ci->jwk)),
                         ci);
        assert_ptr_equal(pjwt_crv_by_nid(ci->nid), ci);
        assert_true(ci->len <= PJWT_CRV_MAX_LEN);
        assert_true(ci->algs & PJWT_ALGSET(ci->alg));
        if (ci->kty == PJWT_KTY_EC) {
            assert_ptr_equal(pjwt_crv_by_group(ci->sn), ci);
            assert_ptr_equal(pjwt_crv_by_group(ci->jwk), ci);
            assert_ptr_equal(pjwt_crv_by_alg(ci->alg), ci);
            /* ECDSA R||S is two coordinates */
            assert_int_equal(pjwt_alg_info_of(ci->alg)->sig_len, 2 * ci->len);
        }
    }
    ci = pjwt_crv_info(PJWT_CRV_P384);
    assert_string_equal(ci->jwk, "P-384");
    assert_string_equal(ci->sn, "secp384r1");
    assert_int_equal(ci->len, 48);
    assert_int_equal(ci->alg, PJWT_ALG_ES384);
    assert_null(pjwt_crv_info(PJWT_CRV_NONE));
    /* exact, case-sensitive, per kty */
    assert_null(pjwt_crv_by_jwk(PJWT_KTY_EC, "p-384", 5));
    assert_null(pjwt_crv_by_jwk(PJWT_KTY_EC, "P-38", 4));
    assert_null(pjwt_crv_by_jwk(PJWT_KTY_EC, "P-3844", 5 + 1));
    assert_null(pjwt_crv_by_jwk(PJWT_KTY_OKP, "P-256", 5));
    assert_null(pjwt_crv_by_jwk(PJWT_KTY_EC, "Ed25519", 7));
    assert_null(pjwt_crv_by_group("secp256k1"));
    assert_null(pjwt_crv_by_alg(PJWT_ALG_EDDSA));
    assert_null(pjwt_crv_by_alg(PJWT_ALG_RS256));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curve_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
