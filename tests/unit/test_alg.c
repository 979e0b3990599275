/* test_alg.c: exact, case-sensitive algorithm names; "none" never maps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "alg.h"
#include "err.h"

static void
test_every_name_roundtrips(void **state)
{
    (void)state;
    for (int a = PJWT_ALG_INVALID + 1; a < PJWT_ALG_COUNT; a++) {
        const char *n = pjwt_alg_name((pjwt_alg)a);

        assert_non_null(n);
        assert_int_equal(pjwt_alg_from_name(n, strlen(n)), a);
    }
    assert_string_equal(pjwt_alg_name(PJWT_ALG_EDDSA), "EdDSA");
    assert_string_equal(pjwt_alg_name(PJWT_ALG_ED25519), "Ed25519");
    assert_null(pjwt_alg_name(PJWT_ALG_INVALID));
    assert_null(pjwt_alg_name(PJWT_ALG_COUNT));
    assert_null(pjwt_alg_name((pjwt_alg)-1));
}

/* The table's rows agree with the family sets the headers name, and each
   row is its own algorithm's. */
static void
test_alg_table(void **state)
{
    (void)state;
    assert_int_equal(pjwt_algset_family(PJWT_FAM_HS), PJWT_ALGSET_HS);
    assert_int_equal(pjwt_algset_family(PJWT_FAM_RS), PJWT_ALGSET_RS);
    assert_int_equal(pjwt_algset_family(PJWT_FAM_PS), PJWT_ALGSET_PS);
    assert_int_equal(pjwt_algset_family(PJWT_FAM_ED), PJWT_ALGSET_ED);
    assert_int_equal(pjwt_algset_family(PJWT_FAM_NONE), 0);
    for (int a = PJWT_ALG_INVALID + 1; a < PJWT_ALG_COUNT; a++)
        assert_int_equal(pjwt_alg_info_of((pjwt_alg)a)->alg, a);
    assert_null(pjwt_alg_info_of(PJWT_ALG_INVALID));
    assert_null(pjwt_alg_info_of(PJWT_ALG_COUNT));
    assert_int_equal(pjwt_alg_info_of(PJWT_ALG_ES384)->sig_len, 96);
    assert_int_equal(pjwt_alg_info_of(PJWT_ALG_ES512)->sig_len, 132);
    assert_int_equal(pjwt_alg_info_of(PJWT_ALG_HS384)->md_len, 48);
    assert_null(pjwt_alg_info_of(PJWT_ALG_EDDSA)->md);
}

/* PJWT_FAIL names the function it is called in. */
static int
fail_here(pjwt_err *e)
{
    return PJWT_FAIL(e, PJWT_ERR_KEY, "bad %s", "key");
}

static void
test_fail_macro(void **state)
{
    pjwt_err e;

    (void)state;
    pjwt_err_clear(&e);
    assert_int_equal(fail_here(&e), PJWT_ERR_KEY);
    assert_int_equal(e.code, PJWT_ERR_KEY);
    assert_string_equal(e.msg, "bad key");
    assert_string_equal(e.where, "fail_here");
    assert_int_equal(fail_here(NULL), PJWT_ERR_KEY);
    /* a callee that recorded nothing still fails */
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_err_code(&e), PJWT_ERR_INTERNAL);
    assert_int_equal(pjwt_err_code(NULL), PJWT_ERR_INTERNAL);
}

static void
test_none_any_case_invalid(void **state)
{
    static const char *nones[] = { "none", "None", "NONE", "nOnE", "NoNe" };

    (void)state;
    for (size_t i = 0; i < sizeof(nones) / sizeof(nones[0]); i++)
        assert_int_equal(pjwt_alg_from_name(nones[i], strlen(nones[i])),
                         PJWT_ALG_INVALID);
}

static void
test_case_and_length_exact(void **state)
{
    (void)state;
    assert_int_equal(pjwt_alg_from_name("hs256", 5), PJWT_ALG_INVALID);
    assert_int_equal(pjwt_alg_from_name("EDDSA", 5), PJWT_ALG_INVALID);
    assert_int_equal(pjwt_alg_from_name("eddsa", 5), PJWT_ALG_INVALID);
    assert_int_equal(pjwt_alg_from_name("ed25519", 7), PJWT_ALG_INVALID);
    assert_int_equal(pjwt_alg_from_name("HS256 ", 6), PJWT_ALG_INVALID);
    assert_int_equal(pjwt_alg_from_name("HS25", 4), PJWT_ALG_INVALID);
    assert_int_equal(pjwt_alg_from_name("HS256\0", 6), PJWT_ALG_INVALID);
    assert_int_equal(pjwt_alg_from_name("", 0), PJWT_ALG_INVALID);
    assert_int_equal(pjwt_alg_from_name(NULL, 5), PJWT_ALG_INVALID);
    /* Only the given length counts. */
    assert_int_equal(pjwt_alg_from_name("HS256xyz", 5), PJWT_ALG_HS256);
}

static void
test_algset_parse(void **state)
{
    pjwt_algset s = 0;
    pjwt_err e;

    (void)state;
    assert_int_equal(pjwt_algset_parse("ES256,EdDSA", &s, &e), 0);
    assert_int_equal(s, PJWT_ALGSET(PJWT_ALG_ES256)
                        | PJWT_ALGSET(PJWT_ALG_EDDSA));
    assert_int_equal(pjwt_algset_parse(" RS256 , PS256\t,HS512 ", &s, &e), 0);
    assert_int_equal(s, PJWT_ALGSET(PJWT_ALG_RS256)
                        | PJWT_ALGSET(PJWT_ALG_PS256)
                        | PJWT_ALGSET(PJWT_ALG_HS512));
    assert_int_equal(pjwt_algset_parse("Ed25519", &s, &e), 0);
    assert_int_equal(s, PJWT_ALGSET(PJWT_ALG_ED25519));
}

static void
test_algset_parse_rejects(void **state)
{
    static const char *bad[] = {
        "none", "ES256,none", "NONE", "ES256,", ",ES256", "ES256,,RS256",
        "", "es256", "ES256;RS256", "ES 256",
    };
    pjwt_algset s = 77;
    pjwt_err e;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pjwt_err_clear(&e);
        assert_int_equal(pjwt_algset_parse(bad[i], &s, &e), PJWT_ERR_ALG);
        assert_int_equal(e.code, PJWT_ERR_ALG);
        assert_int_equal(s, 77); /* untouched on failure */
    }
    assert_int_equal(pjwt_algset_parse(NULL, &s, &e), PJWT_ERR_ARG);
}

static void
test_err_struct(void **state)
{
    pjwt_err e;
    char big[400];

    (void)state;
    pjwt_err_clear(&e);
    assert_int_equal(e.code, 0);
    assert_int_equal(pjwt_err_set(&e, PJWT_ERR_SIG, "here", "x=%d", 5),
                     PJWT_ERR_SIG);
    assert_int_equal(e.code, PJWT_ERR_SIG);
    assert_string_equal(e.msg, "x=5");
    assert_string_equal(e.where, "here");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    pjwt_err_set(&e, PJWT_ERR_KEY, "w", "%s", big);
    assert_int_equal(strlen(e.msg), PJWT_ERR_MSG_MAX - 1);
    /* NULL struct is allowed and still returns the code */
    assert_int_equal(pjwt_err_set(NULL, PJWT_ERR_NOMEM, "w", "m"),
                     PJWT_ERR_NOMEM);
    pjwt_err_clear(NULL);
    for (int c = PJWT_ERR_MISSING - 2; c <= 1; c++)
        assert_non_null(pjwt_strerror(c));
    assert_string_equal(pjwt_strerror(PJWT_ERR_SIG), "signature invalid");
    assert_string_equal(pjwt_strerror(12345), "unknown error");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_name_roundtrips),
        cmocka_unit_test(test_alg_table),
        cmocka_unit_test(test_fail_macro),
        cmocka_unit_test(test_none_any_case_invalid),
        cmocka_unit_test(test_case_and_length_exact),
        cmocka_unit_test(test_algset_parse),
        cmocka_unit_test(test_algset_parse_rejects),
        cmocka_unit_test(test_err_struct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
