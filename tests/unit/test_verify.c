/*
 * test_verify.c: pjwt_verifier_check on real signed tokens, as the module
 * uses it, including the refusals an attacker would try (alg none, key
 * confusion, tampering, wrong user), revocation and report mode.  Options
 * and prepare() are in test_verify_opts.c.
 */
#include "verify_fixture.h"

static void
test_check(void **state)
{
    pjwt_err e;
    int rc;
    char k[160], k2[160], *t, *bad;
    pjwt_verifier *v;

    (void)state;
    snprintf(k, sizeof(k), "key=%s", p_es);
    snprintf(k2, sizeof(k2), "key=%s", p_ed);
    v = mkv(&rc, &e, "issuer=" ISS, "audience=host1", k, k2, NULL);
    assert_int_equal(rc, 0);

    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"sub\":\"alice\"}", NOW, NOW + 300);
    assert_int_equal(chk(v, t, "alice"), 0);
    assert_int_equal(chk(v, t, NULL), 0);
    assert_int_equal(chk(v, t, "bob"), PJWT_ERR_USER);
    assert_int_equal(chk(v, t, "alic"), PJWT_ERR_USER);
    assert_int_equal(chk(v, t, "alice2"), PJWT_ERR_USER);
    /* tampered: last signature character, a payload byte */
    bad = strdup(t);
    bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
    assert_int_not_equal(chk(v, bad, "alice"), 0);
    free(bad);
    bad = strdup(t);
    {
        char *p = strchr(bad, '.') + 5;
        *p = *p == 'A' ? 'B' : 'A';
    }
    assert_int_not_equal(chk(v, bad, "alice"), 0);
    free(bad);
    /* truncated, empty, garbage */
    assert_int_equal(chk(v, "abc", "alice"), PJWT_ERR_FORMAT);
    assert_int_not_equal(chk(v, "", "alice"), 0);
    assert_int_not_equal(chk(v, "a.b.c", "alice"), 0);
    free(t);

    t = sign(ed_key, PJWT_ALG_EDDSA, "{" STD ",\"sub\":\"alice\"}", NOW, NOW + 300);
    assert_int_equal(chk(v, t, "alice"), 0);
    free(t);

    /* exp and leeway (default 60) */
    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"sub\":\"alice\"}", NOW - 1000, NOW - 59);
    assert_int_equal(chk(v, t, "alice"), 0);
    free(t);
    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"sub\":\"alice\"}", NOW - 1000, NOW - 60);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_EXP);
    free(t);
    /* max_lifetime default 3600 */
    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"sub\":\"alice\"}", NOW, NOW + 3601);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_LIFETIME);
    free(t);
    /* wrong iss / aud */
    t = sign(es_key, PJWT_ALG_ES256, "{\"iss\":\"x\",\"aud\":\"host1\",\"sub\":\"alice\","
             "\"exp\":%ld}", NOW + 60);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_ISS);
    free(t);
    t = sign(es_key, PJWT_ALG_ES256, "{\"iss\":\"" ISS "\",\"aud\":\"host\","
             "\"sub\":\"alice\",\"exp\":%ld}", NOW + 60);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_AUD);
    free(t);
    pjwt_verifier_free(v);
}

static char *
forge(const char *hdr, const char *payload, const char *sig)
{
    char *h = pjwt_b64url_encode_alloc(hdr, strlen(hdr));
    char *p = pjwt_b64url_encode_alloc(payload, strlen(payload));
    size_t n = strlen(h) + strlen(p) + strlen(sig) + 3;
    char *t = malloc(n);

    snprintf(t, n, "%s.%s.%s", h, p, sig);
    free(h);
    free(p);
    return t;
}

static void
test_attacks(void **state)
{
    pjwt_err e;
    int rc;
    char k[160], h[160], payload[256], *t, *pem;
    pjwt_verifier *v;
    pjwt_key *confused;
    static const char *const nones[] = { "none", "None", "NONE", "nOnE" };
    size_t i;

    (void)state;
    snprintf(k, sizeof(k), "key=%s", p_es);
    snprintf(h, sizeof(h), "hmac_secret=%s", p_hs);
    v = mkv(&rc, &e, "issuer=" ISS, "audience=host1", k, NULL);
    assert_int_equal(rc, 0);
    snprintf(payload, sizeof(payload), "{" STD ",\"sub\":\"alice\"}", NOW, NOW + 60);

    /* alg none in every capitalisation, with and without a signature */
    for (i = 0; i < 4; i++) {
        char hdr[64];
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\"}", nones[i]);
        t = forge(hdr, payload, "AAAA");
        assert_int_equal(chk(v, t, "alice"), PJWT_ERR_ALG);
        free(t);
        t = forge(hdr, payload, "");
        assert_int_not_equal(chk(v, t, "alice"), 0);
        free(t);
    }
    /* RS/HS confusion: HMAC keyed with the public PEM */
    pem = pjwt_key_to_public_pem(es_key, &e);
    confused = pjwt_key_from_secret(pem, strlen(pem), &e);
    assert_non_null(confused);
    t = sign(confused, PJWT_ALG_HS256, "%s", payload);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_ALG);
    free(t);
    pjwt_key_free(confused);
    free(pem);
    /* a key we do not have */
    t = sign(ed_key, PJWT_ALG_EDDSA, "%s", payload);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_ALG);
    free(t);
    /* crit */
    t = forge("{\"alg\":\"ES256\",\"crit\":[\"x\"],\"x\":1}", payload, "AAAA");
    assert_int_not_equal(chk(v, t, "alice"), 0);
    free(t);
    /* oversized, checked before decoding */
    {
        char *big = malloc(9000);
        memset(big, 'A', 8999);
        big[8999] = '\0';
        big[10] = '.';
        big[20] = '.';
        assert_int_equal(chk(v, big, "alice"), PJWT_ERR_TOO_LONG);
        free(big);
    }
    pjwt_verifier_free(v);

    /* HS256 only with the secret; then ES tokens are refused */
    v = mkv(&rc, &e, "issuer=" ISS, "audience=host1", h, k, "algorithms=HS256", NULL);
    assert_int_equal(rc, 0);
    t = sign(hs_key, PJWT_ALG_HS256, "%s", payload);
    assert_int_equal(chk(v, t, "alice"), 0);
    free(t);
    t = sign(es_key, PJWT_ALG_ES256, "%s", payload);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_ALG);
    free(t);
    pjwt_verifier_free(v);
}

static void
test_claims_and_revocation(void **state)
{
    pjwt_err e;
    int rc;
    char k[160], r[160], *t;
    pjwt_verifier *v;

    (void)state;
    snprintf(k, sizeof(k), "key=%s", p_es);
    snprintf(r, sizeof(r), "revoked=%s", p_rev);
    v = mkv(&rc, &e, "issuer=" ISS, "audience=host1", k, r,
            "require_claim=groups=admins", "require_claim=scope=login",
            "user_claim=preferred_username", NULL);
    assert_int_equal(rc, 0);
#define ADM ",\"groups\":[\"admins\"],\"scope\":\"login\""
    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"preferred_username\":\"alice\","
             "\"sub\":\"u1\",\"jti\":\"j1\"" ADM "}", NOW, NOW + 60);
    assert_int_equal(chk(v, t, "alice"), 0);
    assert_int_equal(chk(v, t, "u1"), PJWT_ERR_USER);
    free(t);
    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"preferred_username\":\"alice\","
             "\"groups\":[\"users\"],\"scope\":\"login\"}", NOW, NOW + 60);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_CLAIM);
    free(t);
    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"preferred_username\":\"alice\","
             "\"jti\":\"bad-jti\"" ADM "}", NOW, NOW + 60);
    assert_int_equal(chk(v, t, "alice"), PJWT_ERR_REVOKED);
    free(t);
    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"preferred_username\":\"carol\","
             "\"sub\":\"carol\"" ADM "}", NOW, NOW + 60);
    assert_int_equal(chk(v, t, "carol"), PJWT_ERR_REVOKED);
    free(t);
    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"preferred_username\":\"dave\","
             "\"sub\":\"dave\"" ADM "}", NOW - 1001, NOW + 60);
    assert_int_equal(chk(v, t, "dave"), PJWT_ERR_REVOKED);
    free(t);
    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"preferred_username\":\"dave\","
             "\"sub\":\"dave\"" ADM "}", NOW - 1000, NOW + 60);
    assert_int_equal(chk(v, t, "dave"), 0);
    free(t);
#undef ADM
    pjwt_verifier_free(v);
}

struct seen {
    int n, fails;
    char log[2048];
};

static void
record(void *arg, const char *check, int rc, const char *detail)
{
    struct seen *s = arg;
    size_t n = strlen(s->log);

    assert_non_null(detail);
    snprintf(s->log + n, sizeof(s->log) - n, "%s%s ", check, rc ? "!" : "");
    s->n++;
    if (rc)
        s->fails++;
}

static void
test_report(void **state)
{
    pjwt_err e;
    int rc;
    char k[160], r[160], *t;
    pjwt_verifier *v;
    struct seen s;
    pjwt_token tok;

    (void)state;
    snprintf(k, sizeof(k), "key=%s", p_es);
    snprintf(r, sizeof(r), "revoked=%s", p_rev);
    v = mkv(&rc, &e, "issuer=" ISS, "audience=host1", k, r, NULL);
    assert_int_equal(rc, 0);

    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"sub\":\"alice\"}", NOW, NOW + 60);
    memset(&s, 0, sizeof(s));
    rc = pjwt_verifier_check(v, t, strlen(t), "alice", NOW, record, &s, &tok, &e);
    assert_int_equal(rc, 0);
    assert_string_equal(s.log, "length format alg header key signature iss aud exp "
                               "iat lifetime user revoked ");
    assert_non_null(tok.claims);
    pjwt_token_clear(&tok);

    /* wrong user and expired: every check still reported, first returned */
    memset(&s, 0, sizeof(s));
    rc = pjwt_verifier_check(v, t, strlen(t), "bob", NOW + 1000, record, &s, NULL, &e);
    assert_int_equal(rc, PJWT_ERR_EXP);
    assert_int_equal(e.code, PJWT_ERR_EXP);
    assert_string_equal(s.log, "length format alg header key signature iss aud exp! "
                               "iat lifetime user! revoked ");
    /* a bad signature stops before any claim is looked at */
    t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A';
    memset(&s, 0, sizeof(s));
    rc = pjwt_verifier_check(v, t, strlen(t), "alice", NOW, record, &s, NULL, &e);
    assert_int_not_equal(rc, 0);
    assert_int_equal(s.fails, 1);
    assert_null(strstr(s.log, "iss"));
    free(t);
    pjwt_verifier_free(v);
}

/* Keys handed over in memory (the issuer's own keys), not from files. */
static void
test_add_key(void **state)
{
    pjwt_err e;
    pjwt_verifier *v;
    json_t *jwk;
    char *t;
    uint8_t secret[32];

    (void)state;
    v = pjwt_verifier_new();
    assert_non_null(v);
    assert_int_equal(pjwt_verifier_set(v, "issuer", ISS, &e), 0);
    assert_int_equal(pjwt_verifier_set(v, "audience", "host1", &e), 0);
    jwk = pjwt_key_to_public_jwk(es_key, &e);
    assert_non_null(jwk);
    assert_int_equal(pjwt_verifier_add_key(v, pjwt_key_from_jwk(jwk, 0, &e), &e), 0);
    json_decref(jwk);
    /* an HMAC key never arrives this way: only hmac_secret, with its mode check */
    memset(secret, 7, sizeof(secret));
    assert_int_equal(pjwt_verifier_add_key(v, pjwt_key_from_secret(secret, sizeof(secret), &e), &e),
                     PJWT_ERR_CONF);
    assert_int_equal(pjwt_verifier_prepare(v, PJWT_KEYS_EAGER, &e), 0);
    /* keys cannot change after prepare */
    jwk = pjwt_key_to_public_jwk(ed_key, &e);
    assert_int_equal(pjwt_verifier_add_key(v, pjwt_key_from_jwk(jwk, 0, &e), &e), PJWT_ERR_ARG);
    json_decref(jwk);

    t = sign(es_key, PJWT_ALG_ES256, "{" STD ",\"sub\":\"alice\"}", NOW, NOW + 300);
    assert_int_equal(chk(v, t, "alice"), 0);
    free(t);
    t = sign(ed_key, PJWT_ALG_EDDSA, "{" STD ",\"sub\":\"alice\"}", NOW, NOW + 300);
    assert_int_not_equal(chk(v, t, "alice"), 0);
    free(t);
    pjwt_verifier_free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_attacks),
        cmocka_unit_test(test_claims_and_revocation),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_add_key),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
