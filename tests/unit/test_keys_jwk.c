/*
 * test_keys_jwk.c: JWK parsing (RFC 7517/7518/8037), family binding and alg
 * pins, private members, RFC 7638 / RFC 8037 thumbprints.
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

static json_t *
load_json(const char *name)
{
    char path[4096], rel[512];
    json_error_t je;
    json_t *j;

    snprintf(rel, sizeof(rel), "keys/%s", name);
    if (test_data_path(path, sizeof(path), rel) != 0)
        fail_msg("path too long: %s", rel);
    j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        fail_msg("%s: %s", path, je.text);
    return j;
}

static pjwt_key *
jwk_file(const char *name, unsigned flags, pjwt_err *e)
{
    json_t *j = load_json(name);
    pjwt_key *k;

    pjwt_err_clear(e);
    k = pjwt_key_from_jwk(j, flags, e);
    json_decref(j);
    return k;
}

static pjwt_key *
jwk_str(const char *s, unsigned flags, pjwt_err *e)
{
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    pjwt_key *k;

    if (!j)
        fail_msg("bad test JSON %s: %s", s, je.text);
    pjwt_err_clear(e);
    k = pjwt_key_from_jwk(j, flags, e);
    json_decref(j);
    return k;
}

static void
expect_refused(const char *s, unsigned flags)
{
    pjwt_err e;
    pjwt_key *k = jwk_str(s, flags, &e);

    if (k)
        fail_msg("accepted: %s", s);
    assert_int_equal(e.code, PJWT_ERR_KEY);
}

static void
test_rfc7638_vector(void **state)
{
    pjwt_err e;
    pjwt_key *k = jwk_file("rfc7638.jwk", 0, &e);
    char t[PJWT_THUMBPRINT_LEN + 1];

    (void)state;
    assert_non_null(k);
    assert_int_equal(pjwt_key_thumbprint(k, t, sizeof(t), &e), 0);
    assert_string_equal(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    /* the JWK's own kid wins over the thumbprint */
    assert_string_equal(pjwt_key_kid(k), "2011-04-29");
    /* "alg":"RS256" pins the RSA key to exactly RS256 */
    assert_int_equal(pjwt_key_algs(k), PJWT_ALGSET(PJWT_ALG_RS256));
    assert_int_equal(pjwt_key_default_alg(k), PJWT_ALG_RS256);
    pjwt_key_free(k);
}

static void
test_rfc8037_vector(void **state)
{
    pjwt_err e;
    pjwt_key *k = jwk_file("rfc8037.jwk", 0, &e);
    pjwt_key *p = jwk_file("rfc8037.priv.jwk", PJWT_KEYS_PRIVATE, &e);

    (void)state;
    assert_non_null(k);
    assert_non_null(p);
    assert_string_equal(pjwt_key_kid(k),
                        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    assert_string_equal(pjwt_key_kid(p), pjwt_key_kid(k));
    assert_int_equal(pjwt_key_algs(k), PJWT_ALGSET_ED);
    assert_int_equal(pjwt_key_is_private(k), 0);
    assert_int_equal(pjwt_key_is_private(p), 1);
    assert_int_equal(EVP_PKEY_eq(pjwt_key_pkey(k, NULL),
                                 pjwt_key_pkey(p, NULL)), 1);
    pjwt_key_free(p);
    pjwt_key_free(k);
    /* private members refused without PJWT_KEYS_PRIVATE */
    assert_null(jwk_file("rfc8037.priv.jwk", 0, &e));
    assert_int_equal(e.code, PJWT_ERR_KEY);
}

/* Thumbprints from the members equal python3-jwcrypto's (its kid). */
static void
test_fixture_thumbprints(void **state)
{
    static const char *const names[] = {
        "rsa2048", "ec256", "ec384", "ec521", "ed25519"
    };
    char fn[64], t[PJWT_THUMBPRINT_LEN + 1];
    pjwt_err e;
    pjwt_key *k, *p;
    json_t *j;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(fn, sizeof(fn), "%s.pub.jwk", names[i]);
        j = load_json(fn);
        k = pjwt_key_from_jwk(j, 0, &e);
        if (!k)
            fail_msg("%s: %s", fn, e.msg);
        assert_int_equal(pjwt_key_thumbprint(k, t, sizeof(t), &e), 0);
        assert_string_equal(t, json_string_value(json_object_get(j, "kid")));
        snprintf(fn, sizeof(fn), "%s.priv.jwk", names[i]);
        assert_null(jwk_file(fn, 0, &e));
        assert_int_equal(e.code, PJWT_ERR_KEY);
        p = jwk_file(fn, PJWT_KEYS_PRIVATE, &e);
        if (!p)
            fail_msg("%s: %s", fn, e.msg);
        assert_int_equal(pjwt_key_is_private(p), 1);
        assert_int_equal(EVP_PKEY_eq(pjwt_key_pkey(k, NULL),
                                     pjwt_key_pkey(p, NULL)), 1);
        pjwt_key_free(p);
        pjwt_key_free(k);
        json_decref(j);
    }
}

static void
test_rsa_leading_zero(void **state)
{
    pjwt_err e;
    pjwt_key *a = jwk_file("rsa2048-leading-zero.pub.jwk", 0, &e);
    pjwt_key *b = jwk_file("rsa2048.pub.jwk", 0, &e);
    char ta[PJWT_THUMBPRINT_LEN + 1], tb[PJWT_THUMBPRINT_LEN + 1];

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    /* RFC 7638 3.2: the thumbprint is over the minimal form of n */
    assert_int_equal(pjwt_key_thumbprint(a, ta, sizeof(ta), &e), 0);
    assert_int_equal(pjwt_key_thumbprint(b, tb, sizeof(tb), &e), 0);
    assert_string_equal(ta, tb);
    assert_int_equal(EVP_PKEY_eq(pjwt_key_pkey(a, NULL),
                                 pjwt_key_pkey(b, NULL)), 1);
    pjwt_key_free(a);
    pjwt_key_free(b);
}

static void
test_pins(void **state)
{
    pjwt_err e;
    pjwt_key *k;

    (void)state;
    k = jwk_file("rsa2048-kid.pub.jwk", 0, &e);
    assert_non_null(k);
    assert_int_equal(pjwt_key_algs(k), PJWT_ALGSET(PJWT_ALG_PS256));
    assert_int_equal(pjwt_key_default_alg(k), PJWT_ALG_PS256);
    assert_string_equal(pjwt_key_kid(k), "rsa-1");
    pjwt_key_free(k);
    k = jwk_file("oct48-hs384.jwk", 0, &e);
    assert_non_null(k);
    assert_int_equal(pjwt_key_kty(k), PJWT_KTY_OCT);
    assert_int_equal(pjwt_key_algs(k), PJWT_ALGSET(PJWT_ALG_HS384));
    assert_int_equal(pjwt_key_default_alg(k), PJWT_ALG_HS384);
    pjwt_key_free(k);
    k = jwk_file("oct32.jwk", 0, &e);
    assert_non_null(k);
    assert_int_equal(pjwt_key_algs(k), PJWT_ALGSET(PJWT_ALG_HS256));
    pjwt_key_free(k);
}

static void
test_bad_fixtures(void **state)
{
    static const struct { const char *name; unsigned flags; } bad[] = {
        { "bad-ec-wrong-crv.jwk", 0 }, { "bad-ec-secp256k1.jwk", 0 },
        { "bad-ec256-alg-es384.jwk", 0 }, { "bad-ec256-use-enc.jwk", 0 },
        { "bad-ec256-padded.jwk", 0 }, { "bad-oct31.jwk", 0 },
        { "bad-oct32-hs512.jwk", 0 }, { "bad-rsa1024.jwk", 0 },
        { "bad-ed448.jwk", 0 }, { "bad-ec256-offcurve.jwk", 0 },
        { "bad-ed25519-mismatch.priv.jwk", PJWT_KEYS_PRIVATE },
    };
    pjwt_err e;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pjwt_key *k = jwk_file(bad[i].name, bad[i].flags, &e);
        if (k)
            fail_msg("%s accepted", bad[i].name);
        assert_int_equal(e.code, PJWT_ERR_KEY);
    }
}

#define EC_X "\"x\":\"UuZcHdbca77_Ob-iMWqiQI5wvCgSHY2ugmNCWFys4zI\""
#define EC_Y "\"y\":\"nv99Egaeb_YcgVn2kogLteWgpmpEGCHQpVOcmEDWiRw\""
#define EC_PUB "\"kty\":\"EC\",\"crv\":\"P-256\"," EC_X "," EC_Y
#define ED_X "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\""

static void
test_members(void **state)
{
    pjwt_err e;
    pjwt_key *k;

    (void)state;
    k = jwk_str("{" EC_PUB "}", 0, &e);
    assert_non_null(k);
    pjwt_key_free(k);
    k = jwk_str("{" EC_PUB ",\"use\":\"sig\",\"key_ops\":[\"verify\"]}", 0, &e);
    assert_non_null(k);
    pjwt_key_free(k);

    expect_refused("[]", 0);
    expect_refused("{" EC_X "," EC_Y ",\"crv\":\"P-256\"}", 0);   /* no kty */
    expect_refused("{\"kty\":\"EC\"," EC_X "," EC_Y "}", 0);      /* no crv */
    expect_refused("{\"kty\":\"EC\",\"crv\":\"P-256\"," EC_X "}", 0);
    expect_refused("{\"kty\":\"ec\",\"crv\":\"P-256\"," EC_X "," EC_Y "}", 0);
    expect_refused("{\"kty\":\"EC\",\"crv\":\"p-256\"," EC_X "," EC_Y "}", 0);
    expect_refused("{\"kty\":\"EC\",\"crv\":\"Ed25519\"," EC_X "," EC_Y "}", 0);
    expect_refused("{\"kty\":\"OKP\",\"crv\":\"P-256\"," EC_X "," EC_Y "}", 0);
    expect_refused("{\"kty\":\"OKP\",\"crv\":\"X25519\"," ED_X "}", 0);
    expect_refused("{\"kty\":\"OKP\",\"crv\":\"Ed25519\"," ED_X ","
                   EC_Y "}", 0);
    expect_refused("{" EC_PUB ",\"use\":\"enc\"}", 0);
    expect_refused("{" EC_PUB ",\"use\":1}", 0);
    expect_refused("{" EC_PUB ",\"key_ops\":[\"encrypt\"]}", 0);
    expect_refused("{" EC_PUB ",\"key_ops\":\"verify\"}", 0);
    expect_refused("{" EC_PUB ",\"kid\":7}", 0);
    expect_refused("{" EC_PUB ",\"kid\":\"\"}", 0);
    expect_refused("{" EC_PUB ",\"alg\":\"none\"}", 0);
    expect_refused("{" EC_PUB ",\"alg\":\"es256\"}", 0);
    expect_refused("{" EC_PUB ",\"alg\":\"HS256\"}", 0);
    expect_refused("{" EC_PUB ",\"alg\":\"ECDH-ES\"}", 0);
    expect_refused("{" EC_PUB ",\"d\":\"AAAA\"}", 0);
    expect_refused("{" EC_PUB ",\"d\":\"AAAA\"}", PJWT_KEYS_PRIVATE);
    /* a d that is not x/y's private key: the pairwise check refuses it */
    expect_refused("{" EC_PUB ",\"d\":\"UuZcHdbca77_Ob-iMWqiQI5wvCgSHY2ugm"
                   "NCWFys4zI\"}", PJWT_KEYS_PRIVATE);
    /* base64url: no padding, no standard alphabet, no whitespace */
    expect_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"UuZcHdbca77/Ob"
                   "-iMWqiQI5wvCgSHY2ugmNCWFys4zI\"," EC_Y "}", 0);
    expect_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"UuZcHdbca77_Ob"
                   "-iMWqiQI5wvCgSHY2ugmNCWFys4z\"," EC_Y "}", 0);
    expect_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"UuZcHdbca77_Ob"
                   "-iMWqiQI5wvCgSHY2ugmNCWFys4zI \"," EC_Y "}", 0);
    expect_refused("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":42," EC_Y "}", 0);
    /* oct: short, wrong pin */
    expect_refused("{\"kty\":\"oct\",\"k\":\"AAAA\"}", 0);
    expect_refused("{\"kty\":\"oct\"}", 0);
    expect_refused("{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAA\",\"alg\":\"RS256\"}", 0);
    expect_refused("{\"kty\":\"foo\"}", 0);
}

static void
test_rsa_members(void **state)
{
    json_t *j = load_json("rsa2048.priv.jwk"), *c;
    pjwt_err e;
    pjwt_key *k;

    (void)state;
    /* a private RSA JWK needs all CRT members */
    c = json_deep_copy(j);
    json_object_del(c, "qi");
    assert_null(pjwt_key_from_jwk(c, PJWT_KEYS_PRIVATE, &e));
    assert_int_equal(e.code, PJWT_ERR_KEY);
    json_decref(c);
    /* multi-prime is not supported */
    c = json_deep_copy(j);
    json_object_set_new(c, "oth", json_array());
    assert_null(pjwt_key_from_jwk(c, PJWT_KEYS_PRIVATE, &e));
    json_decref(c);
    /* d from another key: the pairwise check refuses it */
    c = json_deep_copy(j);
    json_object_set_new(c, "d", json_string(json_string_value(
                                    json_object_get(j, "p"))));
    assert_null(pjwt_key_from_jwk(c, PJWT_KEYS_PRIVATE, &e));
    json_decref(c);
    /* even exponent, exponent 1 */
    c = json_deep_copy(j);
    json_object_del(c, "d");
    json_object_set_new(c, "e", json_string("AQAA"));
    assert_null(pjwt_key_from_jwk(c, 0, &e));
    json_object_set_new(c, "e", json_string("AQ"));
    assert_null(pjwt_key_from_jwk(c, 0, &e));
    json_decref(c);
    k = pjwt_key_from_jwk(j, PJWT_KEYS_PRIVATE, &e);
    assert_non_null(k);
    assert_int_equal(pjwt_key_algs(k), PJWT_ALGSET_RS | PJWT_ALGSET_PS);
    pjwt_key_free(k);
    json_decref(j);
}

/* Public JWK export round trip, never with private members. */
static void
test_export(void **state)
{
    static const char *const names[] = {
        "rsa2048.priv.jwk", "ec521.priv.jwk", "ed25519.priv.jwk",
        "rsa2048-kid.pub.jwk"
    };
    static const char *const secret[] = { "d", "p", "q", "dp", "dq", "qi" };
    pjwt_err e;
    pjwt_key *k, *k2;
    json_t *pub;
    size_t i, m;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        k = jwk_file(names[i], PJWT_KEYS_PRIVATE, &e);
        assert_non_null(k);
        pub = pjwt_key_to_public_jwk(k, &e);
        assert_non_null(pub);
        for (m = 0; m < sizeof(secret) / sizeof(secret[0]); m++)
            assert_null(json_object_get(pub, secret[m]));
        assert_string_equal(json_string_value(json_object_get(pub, "kid")),
                            pjwt_key_kid(k));
        k2 = pjwt_key_from_jwk(pub, 0, &e);
        assert_non_null(k2);
        assert_int_equal(pjwt_key_algs(k2), pjwt_key_algs(k));
        assert_int_equal(EVP_PKEY_eq(pjwt_key_pkey(k, NULL),
                                     pjwt_key_pkey(k2, NULL)), 1);
        pjwt_key_free(k2);
        json_decref(pub);
        pjwt_key_free(k);
    }
    /* the pinned key exports its alg */
    k = jwk_file("rsa2048-kid.pub.jwk", 0, &e);
    pub = pjwt_key_to_public_jwk(k, &e);
    assert_string_equal(json_string_value(json_object_get(pub, "alg")),
                        "PS256");
    json_decref(pub);
    pjwt_key_free(k);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7638_vector),
        cmocka_unit_test(test_rfc8037_vector),
        cmocka_unit_test(test_fixture_thumbprints),
        cmocka_unit_test(test_rsa_leading_zero),
        cmocka_unit_test(test_pins),
        cmocka_unit_test(test_bad_fixtures),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_rsa_members),
        cmocka_unit_test(test_export),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
