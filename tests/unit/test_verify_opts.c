/*
 * test_verify_opts.c: the verifier's options (verify_opts.c) and
 * pjwt_verifier_prepare's refusals: missing issuer/audience/keys, HS*
 * without hmac_secret, unsafe or unreadable files, bad values, audience
 * %-expansion.
 */
#include "verify_fixture.h"

static void
test_prepare_errors(void **state)
{
    pjwt_err e;
    int rc;
    char k[160], h[160], ho[160], gw[160], r[160], rb[160], oct[160], pk[160];

    (void)state;
    snprintf(k, sizeof(k), "key=%s", p_es);
    snprintf(h, sizeof(h), "hmac_secret=%s", p_hs);
    snprintf(ho, sizeof(ho), "hmac_secret=%s", p_hs_open);
    snprintf(gw, sizeof(gw), "key=%s", p_gw);
    snprintf(r, sizeof(r), "revoked=%s", p_rev);
    snprintf(rb, sizeof(rb), "revoked=%s", p_rev_bad);
    snprintf(oct, sizeof(oct), "key=%s", p_oct);
    snprintf(pk, sizeof(pk), "key=%s", p_es_priv);

#define EXPECT(code, ...) do {                                              \
        pjwt_verifier *v_ = mkv(&rc, &e, __VA_ARGS__, NULL);                \
        if (rc != (code))                                                   \
            fail_msg("rc %d (%s), want %d", rc, e.msg, code);               \
        pjwt_verifier_free(v_);                                             \
    } while (0)

    EXPECT(0, "issuer=" ISS, "audience=host1", k);
    EXPECT(PJWT_ERR_CONF, "audience=host1", k);
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, k);
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1");
    EXPECT(PJWT_ERR_CONF, "issuer=", "audience=host1", k);
    EXPECT(PJWT_ERR_CONF, "issuer", "audience=host1", k);
    /* HS* allowed without hmac_secret */
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "algorithms=HS256");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k,
           "algorithms=ES256,HS512");
    EXPECT(0, "issuer=" ISS, "audience=host1", h, "algorithms=HS256");
    EXPECT(0, "issuer=" ISS, "audience=host1", h);
    /* an algorithm no key supports, none, bad names */
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "algorithms=RS256");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "algorithms=ES384");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "algorithms=none");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "algorithms=es256");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "algorithms=");
    /* files */
    EXPECT(PJWT_ERR_IO, "issuer=" ISS, "audience=host1", "key=/nonexistent/k.pem");
    EXPECT(PJWT_ERR_PERM, "issuer=" ISS, "audience=host1", gw);
    EXPECT(PJWT_ERR_PERM, "issuer=" ISS, "audience=host1", ho);
    EXPECT(PJWT_ERR_IO, "issuer=" ISS, "audience=host1", "hmac_secret=/nonexistent");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", oct);
    rc = 0;
    {
        pjwt_verifier *v_ = mkv(&rc, &e, "issuer=" ISS, "audience=host1", pk, NULL);
        assert_int_not_equal(rc, 0);     /* private keys are not public keys */
        pjwt_verifier_free(v_);
    }
    /* numbers and lists */
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "leeway=abc");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "leeway=-1");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "max_lifetime=x");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "max_token_length=10");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "require_claim=x");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "require_claim==x");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "audience=a%xb");
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, "frobnicate=1");
    /* revocation list */
    EXPECT(0, "issuer=" ISS, "audience=host1", k, r);
    EXPECT(PJWT_ERR_CONF, "issuer=" ISS, "audience=host1", k, rb);
    EXPECT(PJWT_ERR_IO, "issuer=" ISS, "audience=host1", k, "revoked=/nonexistent");
#undef EXPECT
    /* messages name the option and where it came from */
    {
        pjwt_verifier *v_ = mkv(&rc, &e, "issuer=" ISS, "algorithms=ES256,none", NULL);
        assert_int_equal(rc, PJWT_ERR_CONF);
        assert_non_null(strstr(e.msg, "argument 2: algorithms: "));
        pjwt_verifier_free(v_);
        v_ = mkv(&rc, &e, "issuer=" ISS, "audience=host1", k, "algorithms=ES256,HS256",
                 NULL);
        assert_int_equal(rc, PJWT_ERR_CONF);
        assert_non_null(strstr(e.msg, "hmac_secret"));
        pjwt_verifier_free(v_);
        v_ = mkv(&rc, &e, "issuer=" ISS, "audience=host1", k, "algorithms=EdDSA", NULL);
        assert_int_equal(rc, PJWT_ERR_CONF);
        assert_non_null(strstr(e.msg, "no key supports: EdDSA"));
        pjwt_verifier_free(v_);
    }
    /* set() itself says unknown for foreign options, for chaining */
    {
        pjwt_verifier *v = pjwt_verifier_new();
        assert_int_equal(pjwt_verifier_set(v, "debug", NULL, &e), PJWT_ERR_UNKNOWN_OPT);
        assert_int_equal(pjwt_verifier_set(v, "one_time", NULL, &e),
                         PJWT_ERR_UNKNOWN_OPT);
        pjwt_verifier_free(v);
    }
}

static void
test_accessors_defaults(void **state)
{
    pjwt_err e;
    int rc;
    char k[160], k2[160];
    pjwt_verifier *v;

    (void)state;
    snprintf(k, sizeof(k), "key=%s", p_es);
    snprintf(k2, sizeof(k2), "key=%s", p_ed);
    v = mkv(&rc, &e, "issuer=" ISS, "audience=host1", k, NULL);
    assert_int_equal(rc, 0);
    assert_string_equal(pjwt_verifier_issuer(v), ISS);
    assert_string_equal(pjwt_verifier_audience(v), "host1");
    assert_int_equal(pjwt_verifier_max_token_length(v), 8192);
    assert_int_equal(pjwt_verifier_algorithms(v), PJWT_ALGSET(PJWT_ALG_ES256));
    pjwt_verifier_free(v);
    v = mkv(&rc, &e, "issuer=" ISS, "audience=host1", k, k2, "max_token_length=1000",
            NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(pjwt_verifier_max_token_length(v), 1000);
    assert_true(pjwt_verifier_algorithms(v) & PJWT_ALGSET(PJWT_ALG_ES256));
    assert_true(pjwt_verifier_algorithms(v) & PJWT_ALGSET(PJWT_ALG_EDDSA));
    assert_false(pjwt_verifier_algorithms(v) & PJWT_ALGSET_HS);
    pjwt_verifier_free(v);
    pjwt_verifier_free(NULL);
}

static void
test_audience_expansion(void **state)
{
    pjwt_err e;
    int rc;
    char k[160], *t;
    pjwt_verifier *v;

    (void)state;
    snprintf(k, sizeof(k), "key=%s", p_es);
    v = mkv(&rc, &e, "issuer=" ISS, "audience=host:%h/%H/%s%%", k, NULL);
    assert_int_equal(rc, 0);
    t = sign(es_key, PJWT_ALG_ES256, "{\"iss\":\"" ISS "\",\"aud\":"
             "\"host:web1/web1.example.org/sshd%%\",\"sub\":\"alice\",\"exp\":%ld}",
             NOW + 60);
    /* not expanded yet: refuse, do not compare the template */
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_CONF);
    assert_int_equal(pjwt_verifier_expand_audience(v, "web1", NULL, "sshd", &e),
                     PJWT_ERR_CONF);
    assert_int_equal(pjwt_verifier_expand_audience(v, "web1", "web1.example.org",
                                                   "sshd", &e), 0);
    assert_string_equal(pjwt_verifier_audience(v), "host:web1/web1.example.org/sshd%");
    assert_int_equal(chk(v, t, "alice"), 0);
    assert_int_equal(pjwt_verifier_expand_audience(v, "web2", "web2.example.org",
                                                   "sshd", &e), 0);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_AUD);
    free(t);
    pjwt_verifier_free(v);

    /* %% alone needs no expansion call */
    v = mkv(&rc, &e, "issuer=" ISS, "audience=100%%", k, NULL);
    assert_int_equal(rc, 0);
    assert_string_equal(pjwt_verifier_audience(v), "100%");
    pjwt_verifier_free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_errors),
        cmocka_unit_test(test_accessors_defaults),
        cmocka_unit_test(test_audience_expansion),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
