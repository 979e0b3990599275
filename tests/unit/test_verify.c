/*
 * test_verify.c: the verifier as the module uses it: options, prepare()
 * errors, and check() on real signed tokens, including the refusals an
 * attacker would try (alg none, key confusion, tampering, wrong user).
 */
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

#define NOW 1700000000L
#define ISS "https://issuer.test"

static char dir[64];
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

static int
setup(void **state)
{
    pjwt_err e;
    char *pem;
    uint8_t secret[32];
    json_t *jwks;
    const char *s;
    char *dump;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/pjwt-test-verify-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
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
    char cmd[128];

    (void)state;
    pjwt_key_free(es_key);
    pjwt_key_free(ed_key);
    pjwt_key_free(hs_key);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_errors),
        cmocka_unit_test(test_accessors_defaults),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_attacks),
        cmocka_unit_test(test_audience_expansion),
        cmocka_unit_test(test_claims_and_revocation),
        cmocka_unit_test(test_report),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
