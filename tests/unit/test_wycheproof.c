/*
 * test_wycheproof.c: Project Wycheproof vectors (tests/data/wycheproof,
 * Apache-2.0) through pjwt_jws_sig_verify.  Every "valid" case must
 * verify, every "invalid" case must be rejected, "acceptable" may go
 * either way but must not crash.
 *
 * JWS narrows two things, which the HMAC file exercises: a tag is the full
 * digest length (Wycheproof's truncated-tag groups are therefore all
 * rejected, valid or not), and an HMAC key has at least 32 bytes (groups
 * with shorter keys cannot even be loaded).  Both are counted and checked
 * rather than skipped silently.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jws.h"
#include "keys.h"

typedef struct counts {
    int valid, invalid, acceptable, jws_rejected, groups_skipped;
} counts;

static json_t *
load(const char *name)
{
    const char *top = getenv("TOP");
    char path[1024];
    json_error_t je;
    json_t *j;

    snprintf(path, sizeof(path), "%s/tests/data/wycheproof/%s",
             top ? top : ".", name);
    j = json_load_file(path, 0, &je);
    if (!j)
        fail_msg("%s: %s", path, je.text);
    return j;
}

/* Hex to a new buffer (never NULL, even for ""). */
static uint8_t *
unhex(const char *s, size_t *len)
{
    size_t n = strlen(s) / 2;
    uint8_t *b = malloc(n + 1);

    assert_non_null(b);
    assert_int_equal(strlen(s) % 2, 0);
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        b[i] = (uint8_t)v;
    }
    *len = n;
    return b;
}

static void
check_case(pjwt_key *key, pjwt_alg alg, const json_t *tc, const char *signame,
           const char *file, counts *c)
{
    const char *result = json_string_value(json_object_get(tc, "result"));
    size_t ml, sl;
    uint8_t *msg = unhex(json_string_value(json_object_get(tc, "msg")), &ml);
    uint8_t *sig = unhex(json_string_value(json_object_get(tc, signame)), &sl);
    pjwt_err e;
    int r;

    pjwt_err_clear(&e);
    r = pjwt_jws_sig_verify(key, alg, msg, ml, sig, sl, &e);
    if (strcmp(result, "valid") == 0) {
        if (r != 0)
            fail_msg("%s tcId %d: valid case rejected: %s", file,
                     (int)json_integer_value(json_object_get(tc, "tcId")),
                     e.msg);
        c->valid++;
    } else if (strcmp(result, "invalid") == 0) {
        if (r == 0)
            fail_msg("%s tcId %d: invalid case accepted (%s)", file,
                     (int)json_integer_value(json_object_get(tc, "tcId")),
                     json_string_value(json_object_get(tc, "comment")));
        assert_int_equal(r, PJWT_ERR_SIG);
        c->invalid++;
    } else {
        assert_string_equal(result, "acceptable");
        c->acceptable++;
    }
    free(msg);
    free(sig);
}

/* Signature files: one public key per group, as PEM. */
static void
run_sig_file(const char *file, pjwt_alg alg, const char *sha)
{
    json_t *doc = load(file);
    json_t *groups = json_object_get(doc, "testGroups"), *g;
    counts c = { 0 };
    size_t gi;

    json_array_foreach(groups, gi, g) {
        const char *pem = json_string_value(json_object_get(g, "publicKeyPem"));
        const json_t *gsha = json_object_get(g, "sha");
        json_t *tests = json_object_get(g, "tests"), *tc;
        pjwt_key *key;
        pjwt_err e;
        size_t ti;

        assert_non_null(pem);
        if (sha)
            assert_string_equal(json_string_value(gsha), sha);
        key = pjwt_key_from_pem(pem, strlen(pem), 0, &e);
        if (!key)
            fail_msg("%s group %zu: key refused: %s", file, gi, e.msg);
        json_array_foreach(tests, ti, tc)
            check_case(key, alg, tc, "sig", file, &c);
        pjwt_key_free(key);
    }
    print_message("%s: %d valid verified, %d invalid rejected, "
                  "%d acceptable\n", file, c.valid, c.invalid, c.acceptable);
    assert_true(c.valid > 0 && c.invalid > 0);
    json_decref(doc);
}

static void
test_ecdsa_p256(void **state)
{
    (void)state;
    run_sig_file("ecdsa_secp256r1_sha256_p1363_test.json", PJWT_ALG_ES256,
                 "SHA-256");
}

static void
test_ecdsa_p384(void **state)
{
    (void)state;
    run_sig_file("ecdsa_secp384r1_sha384_p1363_test.json", PJWT_ALG_ES384,
                 "SHA-384");
}

static void
test_ed25519(void **state)
{
    (void)state;
    run_sig_file("ed25519_test.json", PJWT_ALG_EDDSA, NULL);
    run_sig_file("ed25519_test.json", PJWT_ALG_ED25519, NULL);
}

static void
test_rsa_pkcs1(void **state)
{
    (void)state;
    run_sig_file("rsa_signature_2048_sha256_test.json", PJWT_ALG_RS256,
                 "SHA-256");
}

static void
test_rsa_pss(void **state)
{
    json_t *doc = load("rsa_pss_2048_sha256_mgf1_32_test.json");
    json_t *g;
    size_t gi;

    (void)state;
    /* PS256 is exactly SHA-256, MGF1-SHA-256, 32-byte salt */
    json_array_foreach(json_object_get(doc, "testGroups"), gi, g) {
        assert_string_equal(json_string_value(json_object_get(g, "mgfSha")),
                            "SHA-256");
        assert_int_equal(json_integer_value(json_object_get(g, "sLen")), 32);
    }
    json_decref(doc);
    run_sig_file("rsa_pss_2048_sha256_mgf1_32_test.json", PJWT_ALG_PS256,
                 "SHA-256");
}

static void
test_hmac_sha256(void **state)
{
    json_t *doc = load("hmac_sha256_test.json");
    json_t *g;
    counts c = { 0 };
    size_t gi;

    (void)state;
    json_array_foreach(json_object_get(doc, "testGroups"), gi, g) {
        json_int_t ksz = json_integer_value(json_object_get(g, "keySize"));
        json_int_t tsz = json_integer_value(json_object_get(g, "tagSize"));
        json_t *tc;
        size_t ti;

        json_array_foreach(json_object_get(g, "tests"), ti, tc) {
            size_t kl;
            uint8_t *kb = unhex(json_string_value(json_object_get(tc, "key")),
                                &kl);
            pjwt_err e;
            pjwt_key *key = pjwt_key_from_secret(kb, kl, &e);

            free(kb);
            if (ksz < 256) {
                /* under PJWT_HMAC_MIN_LEN: refused as a key */
                assert_null(key);
                c.groups_skipped += (ti == 0);
                continue;
            }
            assert_non_null(key);
            if (tsz != 256) {
                /* a truncated tag is never a JWS HS256 signature */
                size_t ml, tl;
                uint8_t *m = unhex(json_string_value(json_object_get(tc, "msg")), &ml);
                uint8_t *t = unhex(json_string_value(json_object_get(tc, "tag")), &tl);

                assert_int_equal(pjwt_jws_sig_verify(key, PJWT_ALG_HS256, m, ml,
                                                     t, tl, &e), PJWT_ERR_SIG);
                c.jws_rejected++;
                free(m);
                free(t);
            } else {
                check_case(key, PJWT_ALG_HS256, tc, "tag",
                           "hmac_sha256_test.json", &c);
            }
            pjwt_key_free(key);
        }
    }
    print_message("hmac_sha256_test.json: %d valid verified, %d invalid "
                  "rejected, %d truncated-tag cases rejected by JWS, %d "
                  "short-key groups refused\n", c.valid, c.invalid,
                  c.jws_rejected, c.groups_skipped);
    assert_true(c.valid > 0 && c.invalid > 0 && c.jws_rejected > 0);
    json_decref(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdsa_p256),
        cmocka_unit_test(test_ecdsa_p384),
        cmocka_unit_test(test_ed25519),
        cmocka_unit_test(test_rsa_pkcs1),
        cmocka_unit_test(test_rsa_pss),
        cmocka_unit_test(test_hmac_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
