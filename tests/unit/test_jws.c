/*
 * test_jws.c: JWS compact sign/verify.  Known answers from RFC 7515
 * appendix A, RFC 7520 section 4 and RFC 8037 appendix A, a round trip
 * for every algorithm, and one negative case (at least) for every rule
 * in jws.h.  Tokens for negative cases carry a valid signature whenever
 * the rule under test is not the signature itself, so the rejection can
 * only come from that rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <pthread.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "b64url.h"
#include "json.h"
#include "jws.h"
#include "keys.h"
#include "testdir.h"
#include "slurp.h"

/* ---- helpers ------------------------------------------------------------ */

static char *
slurp(const char *name, size_t *len)
{
    char *buf = test_slurp_data(len, "%s", name);

    if (!buf)
        fail_msg("cannot read fixture %s", name);
    return buf;
}

/* A token file: one line, newline stripped. */
static char *
token_file(const char *name)
{
    size_t n;
    char *t = slurp(name, &n);

    while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
        t[--n] = '\0';
    return t;
}

static pjwt_key *
jwk_file(const char *name)
{
    char *s = slurp(name, NULL);
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    pjwt_err e;
    pjwt_key *k;

    assert_non_null(j);
    pjwt_err_clear(&e);
    k = pjwt_key_from_jwk(j, PJWT_KEYS_PRIVATE, &e);
    if (!k)
        fail_msg("%s: %s", name, e.msg);
    json_decref(j);
    free(s);
    return k;
}

static pjwt_key *
pem_file(const char *name)
{
    size_t n;
    char *s = slurp(name, &n);
    pjwt_err e;
    pjwt_key *k;

    pjwt_err_clear(&e);
    k = pjwt_key_from_pem(s, n, PJWT_KEYS_PRIVATE, &e);
    if (!k)
        fail_msg("%s: %s", name, e.msg);
    free(s);
    return k;
}

static pjwt_key *
secret_key(const char *s)
{
    pjwt_err e;
    pjwt_key *k = pjwt_key_from_secret(s, strlen(s), &e);

    if (!k)
        fail_msg("secret: %s", e.msg);
    return k;
}

/* A public copy of k, loaded as a JWK: with kid (its own) or without. */
static pjwt_key *
jwk_copy(pjwt_key *k, const char *kid)
{
    json_t *j = pjwt_key_to_public_jwk(k, NULL);
    pjwt_key *c;
    pjwt_err e;

    assert_non_null(j);
    if (kid)
        assert_int_equal(json_object_set_new(j, "kid", json_string(kid)), 0);
    else
        assert_int_equal(json_object_del(j, "kid"), 0);
    pjwt_err_clear(&e);
    c = pjwt_key_from_jwk(j, 0, &e);
    if (!c)
        fail_msg("jwk_copy: %s", e.msg);
    json_decref(j);
    return c;
}

static pjwt_key *
named(pjwt_key *k, const char *kid)
{
    return jwk_copy(k, kid);
}

static pjwt_key *
public_of(pjwt_key *k)
{
    return jwk_copy(k, NULL);
}

static pjwt_keyset *
set_of(pjwt_key *k1, pjwt_key *k2)
{
    pjwt_keyset *ks = pjwt_keyset_new();
    pjwt_err e;

    assert_non_null(ks);
    if (k1)
        assert_int_equal(pjwt_keyset_add(ks, k1, &e), 0);
    if (k2)
        assert_int_equal(pjwt_keyset_add(ks, k2, &e), 0);
    return ks;
}

/* Build a compact token from raw header and payload text, signed with
   key/alg (or with sig/siglen when sig is not NULL). */
static char *
craft(const char *hdr, const char *payload, pjwt_key *key, pjwt_alg alg,
      const uint8_t *sig, size_t siglen)
{
    uint8_t s[PJWT_SIG_MAX];
    size_t sl = sizeof(s), n;
    char *h = pjwt_b64url_encode_alloc(hdr, strlen(hdr));
    char *p = pjwt_b64url_encode_alloc(payload, strlen(payload));
    char *t = malloc(strlen(h) + strlen(p) + 2 * sizeof(s) + 4);
    pjwt_err e;

    assert_non_null(t);
    n = (size_t)sprintf(t, "%s.%s", h, p);
    if (!sig) {
        pjwt_err_clear(&e);
        if (pjwt_jws_sig_create(key, alg, t, n, s, &sl, &e) != 0)
            fail_msg("craft: %s", e.msg);
        sig = s;
        siglen = sl;
    }
    t[n++] = '.';
    pjwt_b64url_encode(sig, siglen, t + n);
    free(h);
    free(p);
    return t;
}

static int
verify(const char *tok, pjwt_keyset *ks, pjwt_algset allowed)
{
    pjwt_token t;
    pjwt_err e;
    int r;

    pjwt_err_clear(&e);
    r = pjwt_jws_verify(tok, strlen(tok), 0, ks, allowed, &t, &e);
    if (r == 0) {
        assert_non_null(t.header);
        assert_non_null(t.claims);
        assert_non_null(t.key);
    } else {
        /* failure leaves the token cleared and says why */
        assert_null(t.header);
        assert_null(t.claims);
        assert_int_equal(e.code, r);
        assert_true(e.msg[0] != '\0');
    }
    pjwt_token_clear(&t);
    return r;
}

/* sig_verify over the signing input of a compact token. */
static int
sig_check(const char *tok, pjwt_key *key, pjwt_alg alg)
{
    const char *last = strrchr(tok, '.');
    uint8_t sig[PJWT_SIG_MAX];
    size_t sl = 0;
    pjwt_err e;

    assert_non_null(last);
    assert_int_equal(pjwt_b64url_decode(last + 1, strlen(last + 1), sig,
                                        sizeof(sig), &sl), 0);
    return pjwt_jws_sig_verify(key, alg, tok, (size_t)(last - tok), sig, sl,
                               &e);
}

/* sig_create over a token's signing input, compared with its signature. */
static void
sig_equal(const char *tok, pjwt_key *key, pjwt_alg alg)
{
    const char *last = strrchr(tok, '.');
    uint8_t sig[PJWT_SIG_MAX];
    size_t sl = sizeof(sig);
    char enc[2 * PJWT_SIG_MAX];
    pjwt_err e;

    pjwt_err_clear(&e);
    if (pjwt_jws_sig_create(key, alg, tok, (size_t)(last - tok), sig, &sl,
                            &e) != 0)
        fail_msg("sig_create: %s", e.msg);
    pjwt_b64url_encode(sig, sl, enc);
    assert_string_equal(enc, last + 1);
}

static const char *claims_json = "{\"sub\":\"alice\",\"exp\":4000000000}";

/* ---- known answers -------------------------------------------------- */

static void
test_rfc7515_a1_hs256(void **state)
{
    char *tok = token_file("rfc7515_A.1.jws");
    pjwt_key *k = jwk_file("rfc7515_A.1.jwk");
    pjwt_keyset *ks = set_of(k, NULL);
    pjwt_token t;
    pjwt_err e;

    (void)state;
    assert_int_equal(pjwt_jws_verify(tok, strlen(tok), 0, ks, 0, &t, &e), 0);
    assert_int_equal(t.alg, PJWT_ALG_HS256);
    assert_string_equal(json_string_value(json_object_get(t.claims, "iss")),
                        "joe");
    assert_ptr_equal(t.key, k);
    pjwt_token_clear(&t);
    sig_equal(tok, k, PJWT_ALG_HS256);
    /* allowlist without HS256 */
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_HS512)),
                     PJWT_ERR_ALG);
    pjwt_keyset_free(ks);
    free(tok);
}

static void
test_rfc7515_a2_rs256(void **state)
{
    char *tok = token_file("rfc7515_A.2.jws");
    pjwt_key *k = jwk_file("rfc7515_A.2.jwk");
    pjwt_keyset *ks = set_of(k, NULL);

    (void)state;
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_RS256)), 0);
    /* PKCS#1 v1.5 is deterministic: same signature bytes */
    sig_equal(tok, k, PJWT_ALG_RS256);
    pjwt_keyset_free(ks);
    free(tok);
}

static void
roundtrip(pjwt_key *k, pjwt_alg alg)
{
    json_t *claims = json_loads(claims_json, 0, NULL);
    pjwt_keyset *ks;
    pjwt_token t;
    pjwt_err e;
    char *tok;

    pjwt_err_clear(&e);
    tok = pjwt_jws_sign(k, alg, NULL, claims, &e);
    if (!tok)
        fail_msg("sign %s: %s", pjwt_alg_name(alg), e.msg);
    ks = set_of(k, NULL);
    assert_int_equal(pjwt_jws_verify(tok, strlen(tok), 0, ks,
                                     PJWT_ALGSET(alg), &t, &e), 0);
    assert_int_equal(t.alg, alg);
    assert_true(json_equal(t.claims, claims));
    assert_string_equal(json_string_value(json_object_get(t.header, "alg")),
                        pjwt_alg_name(alg));
    pjwt_token_clear(&t);
    /* the keyset owns k now; callers must not free it */
    (void)ks;
    json_decref(claims);
    free(tok);
    /* detach: free the set but keep the caller's ownership semantics
       simple by never sharing keys between sets */
    pjwt_keyset_free(ks);
}

static void
test_rfc7515_a3_es256(void **state)
{
    char *tok = token_file("rfc7515_A.3.jws");
    pjwt_key *k = jwk_file("rfc7515_A.3.jwk");
    pjwt_keyset *ks = set_of(k, NULL);

    (void)state;
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_ES256)), 0);
    pjwt_keyset_free(ks);
    roundtrip(jwk_file("rfc7515_A.3.jwk"), PJWT_ALG_ES256);
    free(tok);
}

static void
test_rfc7515_a4_es512(void **state)
{
    char *tok = token_file("rfc7515_A.4.jws");
    pjwt_key *k = jwk_file("rfc7515_A.4.jwk");
    pjwt_keyset *ks = set_of(k, NULL);

    (void)state;
    /* The payload is the text "Payload", not a claims object: the
       signature holds, the token as a JWT does not. */
    assert_int_equal(sig_check(tok, k, PJWT_ALG_ES512), 0);
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_ES512)),
                     PJWT_ERR_JSON);
    pjwt_keyset_free(ks);
    roundtrip(jwk_file("rfc7515_A.4.jwk"), PJWT_ALG_ES512);
    free(tok);
}

static void
test_rfc8037_a_ed25519(void **state)
{
    char *tok = token_file("rfc8037_A.jws");
    pjwt_key *k = jwk_file("rfc8037_A.jwk");

    (void)state;
    /* Ed25519 is deterministic: the exact signature of A.5 */
    sig_equal(tok, k, PJWT_ALG_EDDSA);
    sig_equal(tok, k, PJWT_ALG_ED25519);
    assert_int_equal(sig_check(tok, k, PJWT_ALG_EDDSA), 0);
    assert_int_equal(sig_check(tok, k, PJWT_ALG_ED25519), 0);
    pjwt_key_free(k);
    roundtrip(jwk_file("rfc8037_A.jwk"), PJWT_ALG_EDDSA);
    roundtrip(jwk_file("rfc8037_A.jwk"), PJWT_ALG_ED25519);
    free(tok);
}

static void
test_rfc7520_4(void **state)
{
    pjwt_key *rsa = jwk_file("rfc7520_3.4.jwk");
    pjwt_key *ec = jwk_file("rfc7520_3.2.jwk");
    pjwt_key *mac = jwk_file("rfc7520_3.5.jwk");
    char *t41 = token_file("rfc7520_4.1.jws");
    char *t42 = token_file("rfc7520_4.2.jws");
    char *t43 = token_file("rfc7520_4.3.jws");
    char *t44 = token_file("rfc7520_4.4.jws");
    pjwt_token t;
    pjwt_err e;

    (void)state;
    assert_int_equal(sig_check(t41, rsa, PJWT_ALG_RS256), 0);
    sig_equal(t41, rsa, PJWT_ALG_RS256);
    assert_int_equal(sig_check(t42, rsa, PJWT_ALG_PS384), 0);
    assert_int_equal(sig_check(t43, ec, PJWT_ALG_ES512), 0);
    assert_int_equal(sig_check(t44, mac, PJWT_ALG_HS256), 0);
    sig_equal(t44, mac, PJWT_ALG_HS256);
    /* cross-checks: right key, wrong algorithm or token */
    assert_int_equal(sig_check(t41, rsa, PJWT_ALG_PS256), PJWT_ERR_SIG);
    assert_int_equal(sig_check(t42, rsa, PJWT_ALG_PS256), PJWT_ERR_SIG);
    /* the RFC 7520 3.5 key is pinned to HS256 by its "alg" */
    assert_int_equal(sig_check(t44, mac, PJWT_ALG_HS384), PJWT_ERR_ALG);
    /* parse sees the header, refuses the non-JSON payload */
    assert_int_equal(pjwt_jws_parse(t41, strlen(t41), 0, &t, &e),
                     PJWT_ERR_JSON);
    pjwt_key_free(rsa);
    pjwt_key_free(ec);
    pjwt_key_free(mac);
    free(t41);
    free(t42);
    free(t43);
    free(t44);
}

/* ---- every algorithm ------------------------------------------------ */

static void
test_roundtrip_all_algs(void **state)
{
    static const char secret[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static const struct { const char *file; pjwt_alg alg; } v[] = {
        { "jws_rsa2048.key", PJWT_ALG_RS256 }, { "jws_rsa2048.key", PJWT_ALG_RS384 },
        { "jws_rsa2048.key", PJWT_ALG_RS512 }, { "jws_rsa2048.key", PJWT_ALG_PS256 },
        { "jws_rsa2048.key", PJWT_ALG_PS384 }, { "jws_rsa2048.key", PJWT_ALG_PS512 },
        { "jws_p256.key", PJWT_ALG_ES256 }, { "jws_p384.key", PJWT_ALG_ES384 },
        { "jws_p521.key", PJWT_ALG_ES512 }, { "jws_ed25519.key", PJWT_ALG_EDDSA },
        { "jws_ed25519.key", PJWT_ALG_ED25519 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        roundtrip(pem_file(v[i].file), v[i].alg);
    roundtrip(secret_key(secret), PJWT_ALG_HS256);
    roundtrip(secret_key(secret), PJWT_ALG_HS384);
    roundtrip(secret_key(secret), PJWT_ALG_HS512);
}

/* Signed with the private key, verified with only the public one. */
static void
test_public_key_verifies(void **state)
{
    static const struct { const char *priv, *pub; pjwt_alg alg; } v[] = {
        { "jws_rsa2048.key", "jws_rsa2048.pub", PJWT_ALG_PS512 },
        { "jws_p384.key", "jws_p384.pub", PJWT_ALG_ES384 },
        { "jws_ed25519.key", "jws_ed25519.pub", PJWT_ALG_EDDSA },
    };
    json_t *claims = json_loads(claims_json, 0, NULL);

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        pjwt_key *priv = pem_file(v[i].priv);
        pjwt_keyset *ks = set_of(pem_file(v[i].pub), NULL);
        pjwt_err e;
        char *tok = pjwt_jws_sign(priv, v[i].alg, NULL, claims, &e);

        assert_non_null(tok);
        assert_int_equal(verify(tok, ks, 0), 0);
        /* a public key cannot sign */
        assert_null(pjwt_jws_sign(pjwt_keyset_get(ks, 0), v[i].alg, NULL,
                                  claims, &e));
        free(tok);
        pjwt_key_free(priv);
        pjwt_keyset_free(ks);
    }
    json_decref(claims);
}

static void
test_sign_header(void **state)
{
    pjwt_key *k = pem_file("jws_p256.key");
    json_t *claims = json_loads(claims_json, 0, NULL);
    json_t *extra = json_pack("{s:s,s:s}", "typ", "JWT", "alg", "none");
    pjwt_token t;
    pjwt_err e;
    char *tok;

    (void)state;
    tok = pjwt_jws_sign(k, PJWT_ALG_ES256, extra, claims, &e);
    assert_non_null(tok);
    assert_int_equal(pjwt_jws_parse(tok, strlen(tok), 0, &t, &e), 0);
    /* alg always the signer's; kid defaults to the key's */
    assert_int_equal(t.alg, PJWT_ALG_ES256);
    assert_string_equal(json_string_value(json_object_get(t.header, "alg")),
                        "ES256");
    assert_string_equal(json_string_value(json_object_get(t.header, "typ")),
                        "JWT");
    assert_string_equal(t.kid, pjwt_key_kid(k));
    pjwt_token_clear(&t);
    free(tok);
    /* alg not bound to the key */
    assert_null(pjwt_jws_sign(k, PJWT_ALG_ES384, NULL, claims, &e));
    assert_int_equal(e.code, PJWT_ERR_ALG);
    assert_null(pjwt_jws_sign(k, PJWT_ALG_HS256, NULL, claims, &e));
    assert_null(pjwt_jws_sign(k, PJWT_ALG_INVALID, NULL, claims, &e));
    /* headers a verifier would refuse are refused at signing too */
    json_decref(extra);
    extra = json_pack("{s:[s]}", "crit", "exp");
    assert_null(pjwt_jws_sign(k, PJWT_ALG_ES256, extra, claims, &e));
    assert_int_equal(e.code, PJWT_ERR_HEADER);
    json_decref(extra);
    extra = json_pack("{s:b}", "b64", 0);
    assert_null(pjwt_jws_sign(k, PJWT_ALG_ES256, extra, claims, &e));
    assert_int_equal(e.code, PJWT_ERR_HEADER);
    json_decref(extra);
    json_decref(claims);
    pjwt_key_free(k);
}

/* ---- negative: shape ------------------------------------------------- */

static void
test_max_length_before_decoding(void **state)
{
    pjwt_key *k = pem_file("jws_p256.key");
    json_t *claims = json_object();
    pjwt_keyset *ks;
    pjwt_token t;
    pjwt_err e;
    char *tok, *junk;
    size_t n;

    (void)state;
    /* a valid token just over a small limit */
    json_object_set_new(claims, "pad", json_string("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    tok = pjwt_jws_sign(k, PJWT_ALG_ES256, NULL, claims, &e);
    assert_non_null(tok);
    ks = set_of(k, NULL);
    n = strlen(tok);
    assert_int_equal(pjwt_jws_verify(tok, n, n, ks, 0, &t, &e), 0);
    pjwt_token_clear(&t);
    assert_int_equal(pjwt_jws_verify(tok, n, n - 1, ks, 0, &t, &e),
                     PJWT_ERR_TOO_LONG);
    assert_int_equal(pjwt_jws_parse(tok, n, n - 1, &t, &e), PJWT_ERR_TOO_LONG);
    /* the default limit: garbage of 8193 bytes is TOO_LONG, not B64 */
    junk = malloc(PJWT_MAX_TOKEN_LEN_DEFAULT + 1);
    memset(junk, '!', PJWT_MAX_TOKEN_LEN_DEFAULT + 1);
    assert_int_equal(pjwt_jws_verify(junk, PJWT_MAX_TOKEN_LEN_DEFAULT + 1, 0,
                                     ks, 0, &t, &e), PJWT_ERR_TOO_LONG);
    assert_int_equal(pjwt_jws_verify(junk, PJWT_MAX_TOKEN_LEN_DEFAULT, 0,
                                     ks, 0, &t, &e), PJWT_ERR_FORMAT);
    free(junk);
    free(tok);
    /* a raised token limit does not lift the JSON bound on the claims */
    {
        size_t big = PJWT_JSON_MAX_SIZE + 16;
        char *pad = malloc(big + 1);

        memset(pad, 'x', big);
        pad[big] = '\0';
        json_object_set_new(claims, "pad", json_string(pad));
        tok = pjwt_jws_sign(k, PJWT_ALG_ES256, NULL, claims, &e);
        assert_non_null(tok);
        n = strlen(tok);
        assert_int_equal(pjwt_jws_verify(tok, n, n, ks, 0, &t, &e),
                         PJWT_ERR_TOO_LONG);
        assert_int_equal(pjwt_jws_verify(tok, n, n - 1, ks, 0, &t, &e),
                         PJWT_ERR_TOO_LONG);
        free(pad);
        free(tok);
    }
    json_decref(claims);
    pjwt_keyset_free(ks);
}

static void
test_segments(void **state)
{
    static const char *bad[] = {
        "", "abc", "abc.def", "abc.def.ghi.jkl", "a.b.c.d.e", "..", ".def.ghi",
        "abc..ghi", "abc.def.", "abc.def..", "....",
    };
    pjwt_keyset *ks = set_of(secret_key("0123456789abcdef0123456789abcdef"), NULL);

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(verify(bad[i], ks, 0), PJWT_ERR_FORMAT);
    pjwt_keyset_free(ks);
}

static void
test_bad_base64url(void **state)
{
    pjwt_key *k = secret_key("0123456789abcdef0123456789abcdef");
    pjwt_keyset *ks = set_of(k, NULL);
    char *tok = craft("{\"alg\":\"HS256\"}", claims_json, k, PJWT_ALG_HS256,
                      NULL, 0);
    char buf[1024];
    char *d1 = strchr(tok, '.');

    (void)state;
    assert_int_equal(verify(tok, ks, 0), 0);
    /* padding on the header ("eyJhbGciOiJIUzI1NiJ9" is 20 chars; add =) */
    snprintf(buf, sizeof(buf), "%.*s=%s", (int)(d1 - tok), tok, d1);
    assert_int_equal(verify(buf, ks, 0), PJWT_ERR_B64);
    /* whitespace inside */
    snprintf(buf, sizeof(buf), "%.*s %s", (int)(d1 - tok), tok, d1);
    assert_int_equal(verify(buf, ks, 0), PJWT_ERR_B64);
    /* standard alphabet in the signature */
    snprintf(buf, sizeof(buf), "%s", tok);
    buf[strlen(buf) - 2] = '+';
    assert_int_equal(verify(buf, ks, 0), PJWT_ERR_B64);
    /* trailing bits set: HS256 tag is 43 chars, last carries 2 spare bits */
    snprintf(buf, sizeof(buf), "%s", tok);
    {
        char *last = &buf[strlen(buf) - 1];
        static const char a[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t v = (size_t)(strchr(a, *last) - a);

        *last = a[v | 1];
    }
    assert_int_equal(verify(buf, ks, 0), PJWT_ERR_B64);
    free(tok);
    pjwt_keyset_free(ks);
}

/* ---- negative: header ------------------------------------------------ */

static void
test_alg_none_any_case(void **state)
{
    static const char *hdrs[] = {
        "{\"alg\":\"none\"}", "{\"alg\":\"None\"}", "{\"alg\":\"NONE\"}",
        "{\"alg\":\"nOnE\"}", "{\"alg\":\"\"}", "{\"alg\":\"hs256\"}",
        "{\"alg\":\"HS256 \"}", "{\"alg\":\"eddsa\"}", "{\"alg\":null}",
        "{\"alg\":[\"HS256\"]}", "{\"typ\":\"JWT\"}",
    };
    pjwt_key *k = secret_key("0123456789abcdef0123456789abcdef");
    pjwt_keyset *ks = set_of(k, NULL);
    pjwt_token t;
    pjwt_err e;

    (void)state;
    for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
        /* signed as HS256 with the right key: only alg is wrong */
        char *tok = craft(hdrs[i], claims_json, k, PJWT_ALG_HS256, NULL, 0);

        assert_int_equal(verify(tok, ks, 0), PJWT_ERR_ALG);
        assert_int_equal(verify(tok, ks, PJWT_ALGSET_HS), PJWT_ERR_ALG);
        free(tok);
    }
    /* unsigned "none" token with a dummy signature segment */
    {
        char *tok = craft("{\"alg\":\"none\"}", claims_json, NULL,
                          PJWT_ALG_INVALID, (const uint8_t *)"x", 1);

        assert_int_equal(verify(tok, ks, 0), PJWT_ERR_ALG);
        /* parse reports it as an unknown algorithm */
        assert_int_equal(pjwt_jws_parse(tok, strlen(tok), 0, &t, &e), 0);
        assert_int_equal(t.alg, PJWT_ALG_INVALID);
        pjwt_token_clear(&t);
        free(tok);
    }
    pjwt_keyset_free(ks);
}

static void
test_alg_allowlist_and_key(void **state)
{
    pjwt_key *ec = pem_file("jws_p256.key");
    pjwt_key *ed = pem_file("jws_ed25519.key");
    pjwt_keyset *ks = set_of(ec, ed);
    char *tok = craft("{\"alg\":\"ES256\"}", claims_json, ec, PJWT_ALG_ES256,
                      NULL, 0);
    char *tok2 = craft("{\"alg\":\"EdDSA\"}", claims_json, ed, PJWT_ALG_EDDSA,
                       NULL, 0);

    (void)state;
    assert_int_equal(verify(tok, ks, 0), 0);
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_ES256)), 0);
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_EDDSA)), PJWT_ERR_ALG);
    assert_int_equal(verify(tok2, ks, PJWT_ALGSET(PJWT_ALG_ES256)), PJWT_ERR_ALG);
    assert_int_equal(verify(tok2, ks, PJWT_ALGSET_ED), 0);
    /* on the allowlist but no key bound to it */
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_ES256)
                                     | PJWT_ALGSET(PJWT_ALG_ES384)), 0);
    free(tok);
    tok = craft("{\"alg\":\"ES384\"}", claims_json, ec, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_ES384)),
                     PJWT_ERR_NO_KEY);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_ALG);
    free(tok);
    free(tok2);
    pjwt_keyset_free(ks);
}

/* The classic confusion: an RS256 verifier handed an HS256 token whose
   HMAC key is the verifier's public key file. */
static void
test_rs_hs_key_confusion(void **state)
{
    size_t pemlen;
    char *pem = slurp("jws_rsa2048.pub", &pemlen);
    pjwt_err e;
    pjwt_key *attacker = pjwt_key_from_secret(pem, pemlen, &e);
    pjwt_key *rsa = pem_file("jws_rsa2048.pub");
    pjwt_keyset *ks = set_of(rsa, NULL);
    char *tok;
    uint8_t sig[32] = { 0 };

    (void)state;
    assert_non_null(attacker);
    tok = craft("{\"alg\":\"HS256\"}", claims_json, attacker, PJWT_ALG_HS256,
                NULL, 0);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_ALG);
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_HS256)
                                     | PJWT_ALGSET(PJWT_ALG_RS256)),
                     PJWT_ERR_NO_KEY);
    /* even with an oct key present, the RSA key is never an HMAC key */
    pjwt_keyset_add(ks, secret_key("another secret, 32 bytes or more!!"), &e);
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_HS256)),
                     PJWT_ERR_SIG);
    /* and the lowest layer refuses the combination outright */
    assert_int_equal(pjwt_jws_sig_verify(rsa, PJWT_ALG_HS256, "a", 1, sig,
                                         sizeof(sig), &e), PJWT_ERR_ALG);
    assert_int_equal(pjwt_jws_sig_verify(attacker, PJWT_ALG_RS256, "a", 1,
                                         sig, sizeof(sig), &e), PJWT_ERR_ALG);
    free(tok);
    free(pem);
    pjwt_key_free(attacker);
    pjwt_keyset_free(ks);
}

static void
test_crit_and_b64(void **state)
{
    static const char *hdrs[] = {
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}",
        "{\"alg\":\"HS256\",\"crit\":[]}",
        "{\"alg\":\"HS256\",\"crit\":\"x\"}",
        "{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}",
        "{\"alg\":\"HS256\",\"b64\":false}",
        "{\"alg\":\"HS256\",\"b64\":true}",
    };
    pjwt_key *k = secret_key("0123456789abcdef0123456789abcdef");
    pjwt_keyset *ks = set_of(k, NULL);

    (void)state;
    for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
        char *tok = craft(hdrs[i], claims_json, k, PJWT_ALG_HS256, NULL, 0);

        assert_int_equal(verify(tok, ks, 0), PJWT_ERR_HEADER);
        free(tok);
    }
    pjwt_keyset_free(ks);
}

/* A key carried in the token (jwk/jku/x5u/x5c) is never used. */
static void
test_embedded_keys_ignored(void **state)
{
    pjwt_key *good = pem_file("jws_p256.key");
    pjwt_key *evil = pem_file("jws_ed25519.key");
    pjwt_keyset *ks = set_of(good, NULL);
    pjwt_err e;
    json_t *evil_jwk = pjwt_key_to_public_jwk(evil, &e);
    json_t *good_jwk = pjwt_key_to_public_jwk(good, &e);
    char *ej = json_dumps(evil_jwk, JSON_COMPACT);
    char *gj = json_dumps(good_jwk, JSON_COMPACT);
    char hdr[2048];
    char *tok;

    (void)state;
    assert_non_null(ej);
    assert_non_null(gj);
    /* signed by the attacker's key, which the header brings along */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"jwk\":%s,"
             "\"jku\":\"https://evil.example/jwks\",\"x5u\":\"https://evil\","
             "\"x5c\":[\"MIIB\"]}", ej);
    tok = craft(hdr, claims_json, evil, PJWT_ALG_EDDSA, NULL, 0);
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_EDDSA)),
                     PJWT_ERR_NO_KEY);
    free(tok);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"jwk\":%s}", ej);
    tok = craft(hdr, claims_json, good, PJWT_ALG_ES256, NULL, 0);
    /* signed by our key: the header's jwk is irrelevant, it verifies */
    assert_int_equal(verify(tok, ks, 0), 0);
    free(tok);
    /* attacker signs ES256 with another P-256 key and embeds it */
    {
        pjwt_key *evil2 = pjwt_key_generate(PJWT_ALG_ES256, &e);
        json_t *j2 = pjwt_key_to_public_jwk(evil2, &e);
        char *e2 = json_dumps(j2, JSON_COMPACT);

        snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"jwk\":%s}", e2);
        tok = craft(hdr, claims_json, evil2, PJWT_ALG_ES256, NULL, 0);
        assert_int_equal(verify(tok, ks, 0), PJWT_ERR_SIG);
        free(tok);
        free(e2);
        json_decref(j2);
        pjwt_key_free(evil2);
    }
    free(ej);
    free(gj);
    json_decref(evil_jwk);
    json_decref(good_jwk);
    pjwt_key_free(evil);
    pjwt_keyset_free(ks);
}

static void
test_kid_selection(void **state)
{
    pjwt_key *a = pem_file("jws_p256.key");
    pjwt_key *b = pjwt_key_generate(PJWT_ALG_ES256, NULL);
    pjwt_keyset *ks;
    char hdr[256];
    char *tok;

    (void)state;
    assert_non_null(b);
    ks = set_of(public_of(a), public_of(b));
    /* right kid */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
             pjwt_key_kid(b));
    tok = craft(hdr, claims_json, b, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), 0);
    free(tok);
    /* kid names key a, signature by b: no fallback to other keys */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
             pjwt_key_kid(a));
    tok = craft(hdr, claims_json, b, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_SIG);
    free(tok);
    /* no kid: every candidate is tried, b is the second */
    tok = craft("{\"alg\":\"ES256\"}", claims_json, b, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), 0);
    free(tok);
    tok = craft("{\"alg\":\"ES256\",\"kid\":5}", claims_json, b,
                PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_HEADER);
    free(tok);
    pjwt_keyset_free(ks);

    /* Keys with kids of their own: unknown kids, path-like kids find none
       (a kid-less key would answer them: test_kidless_key_any_kid). */
    ks = set_of(named(a, "ka"), named(b, "kb"));
    tok = craft("{\"alg\":\"ES256\",\"kid\":\"nope\"}", claims_json, b,
                PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_NO_KEY);
    free(tok);
    tok = craft("{\"alg\":\"ES256\",\"kid\":\"../../../../etc/passwd\"}",
                claims_json, b, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_NO_KEY);
    free(tok);
    /* the thumbprint is no second name for a key with its own kid */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
             pjwt_key_kid(b));
    tok = craft(hdr, claims_json, b, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_NO_KEY);
    free(tok);
    pjwt_keyset_free(ks);
    pjwt_key_free(a);
    pjwt_key_free(b);
}

/*
 * A key loaded without a kid of its own (PEM, certificate, JWK without
 * "kid") answers a token with any kid, as PyJWT, jose, jjwt... do with a
 * single key; keys with kids are still selected by kid only, also in a set
 * that mixes both.
 */
static void
test_kidless_key_any_kid(void **state)
{
    pjwt_key *a = pem_file("jws_p256.key");
    pjwt_key *b = pjwt_key_generate(PJWT_ALG_ES256, NULL);
    const char *any = "{\"alg\":\"ES256\",\"kid\":\"whatever\"}";
    pjwt_keyset *ks;
    char hdr[256];
    char *tok;

    (void)state;
    assert_non_null(b);
    /* The host's only key is a PEM: an IdP's own kid is accepted. */
    ks = set_of(public_of(a), NULL);
    tok = craft(any, claims_json, a, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), 0);
    free(tok);
    /* ... but the signature still has to be that key's */
    tok = craft(any, claims_json, b, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_SIG);
    free(tok);
    pjwt_keyset_free(ks);

    /* Mixed: a has the kid "ka", b has none. */
    ks = set_of(named(a, "ka"), public_of(b));
    tok = craft(any, claims_json, b, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), 0);          /* b answers any kid */
    free(tok);
    tok = craft(any, claims_json, a, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_SIG); /* a is not tried */
    free(tok);
    tok = craft("{\"alg\":\"ES256\",\"kid\":\"ka\"}", claims_json, a,
                PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), 0);
    free(tok);
    /* a kid that names a key selects that key alone: no fallback to b */
    tok = craft("{\"alg\":\"ES256\",\"kid\":\"ka\"}", claims_json, b,
                PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), PJWT_ERR_SIG);
    free(tok);
    /* b's thumbprint still names b */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
             pjwt_key_kid(b));
    tok = craft(hdr, claims_json, b, PJWT_ALG_ES256, NULL, 0);
    assert_int_equal(verify(tok, ks, 0), 0);
    free(tok);
    /* no kid in the token: every key bound to the alg, as before */
    tok = craft("{\"alg\":\"ES256\"}", claims_json, a, PJWT_ALG_ES256,
                NULL, 0);
    assert_int_equal(verify(tok, ks, 0), 0);
    free(tok);
    /* the kid-less key must still fit the alg */
    tok = craft("{\"alg\":\"ES384\",\"kid\":\"whatever\"}", claims_json,
                b, PJWT_ALG_ES256, NULL, 0);
    assert_int_not_equal(verify(tok, ks, 0), 0);
    free(tok);
    pjwt_keyset_free(ks);
    pjwt_key_free(a);
    pjwt_key_free(b);
}

static void
test_strict_json_header_payload(void **state)
{
    pjwt_key *k = secret_key("0123456789abcdef0123456789abcdef");
    pjwt_keyset *ks = set_of(k, NULL);
    static const struct { const char *h, *p; int r; } v[] = {
        { "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", "{}", PJWT_ERR_JSON },
        { "[\"HS256\"]", "{}", PJWT_ERR_JSON },
        { "{\"alg\":\"HS256\"} x", "{}", PJWT_ERR_JSON },
        { "{\"alg\":\"HS256\"}", "{\"sub\":\"a\",\"sub\":\"root\"}", PJWT_ERR_JSON },
        { "{\"alg\":\"HS256\"}", "[1]", PJWT_ERR_JSON },
        { "{\"alg\":\"HS256\"}", "\"x\"", PJWT_ERR_JSON },
        { "{\"alg\":\"HS256\"}", "{\"sub\":\"root\\u0000x\"}", PJWT_ERR_JSON },
        { "{\"alg\":\"HS256\"}", "{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}", PJWT_ERR_JSON },
        { "{\"alg\":\"HS256\"}", "{\"exp\":1e999}", PJWT_ERR_JSON },
        { "{\"alg\":\"HS256\"}", "{}", 0 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char *tok = craft(v[i].h, v[i].p, k, PJWT_ALG_HS256, NULL, 0);

        assert_int_equal(verify(tok, ks, 0), v[i].r);
        free(tok);
    }
    pjwt_keyset_free(ks);
}

/* A key that cannot be loaded (a point off the curve, found only when a
   lazy JWK is materialised) is skipped for the next candidate, and
   reported as a key error when it was the only one. */
static void
test_broken_lazy_key(void **state)
{
    pjwt_key *good = pem_file("jws_p256.key");
    pjwt_err e;
    json_t *gj = pjwt_key_to_public_jwk(good, &e), *bad, *jwks;
    char *d = test_mkdtemp("pjwt-test-jwks"), path[4200];
    char *tok, *txt;
    pjwt_keyset *ks;
    FILE *f;
    int fd;

    (void)state;
    assert_non_null(gj);
    bad = json_deep_copy(gj);
    /* y of the good key with its last character changed: off the curve */
    {
        const char *y = json_string_value(json_object_get(gj, "y"));
        char *y2 = strdup(y);

        y2[10] = y2[10] == 'A' ? 'B' : 'A';
        json_object_set_new(bad, "y", json_string(y2));
        json_object_set_new(bad, "kid", json_string("broken"));
        free(y2);
    }
    tok = craft("{\"alg\":\"ES256\"}", claims_json, good, PJWT_ALG_ES256,
                NULL, 0);

    /* broken first, good second: verifies */
    jwks = json_pack("{s:[O,O]}", "keys", bad, gj);
    txt = json_dumps(jwks, 0);
    assert_non_null(d);
    snprintf(path, sizeof(path), "%s/jwks", d);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs(txt, f);
    fclose(f);
    ks = pjwt_keyset_new();
    assert_int_equal(pjwt_keyset_load_file(ks, path, 0, &e), 0);
    assert_int_equal(verify(tok, ks, 0), 0);
    pjwt_keyset_free(ks);
    free(txt);
    json_decref(jwks);

    /* broken only: a key error, not "no key" and not a signature error */
    jwks = json_pack("{s:[O]}", "keys", bad);
    txt = json_dumps(jwks, 0);
    f = fopen(path, "we");
    fputs(txt, f);
    fclose(f);
    ks = pjwt_keyset_new();
    /* lazy (no PJWT_KEYS_EAGER): the point is only checked when used */
    assert_int_equal(pjwt_keyset_load_file(ks, path, 0, &e), 0);
    assert_int_equal(verify(tok, ks, PJWT_ALGSET(PJWT_ALG_ES256)),
                     PJWT_ERR_KEY);
    pjwt_keyset_free(ks);
    unlink(path);
    rmdir(d);
    free(d);
    free(txt);
    json_decref(jwks);
    json_decref(bad);
    json_decref(gj);
    free(tok);
    pjwt_key_free(good);
}

/* ---- negative: signatures --------------------------------------------- */

static void
test_hmac_tags(void **state)
{
    pjwt_key *k = secret_key("0123456789abcdef0123456789abcdef");
    pjwt_keyset *ks = set_of(k, NULL);
    const char *in = "eyJhbGciOiJIUzI1NiJ9.e30";
    uint8_t tag[PJWT_SIG_MAX], bad[PJWT_SIG_MAX];
    size_t tl = sizeof(tag);
    pjwt_err e;
    char *tok;

    (void)state;
    assert_int_equal(pjwt_jws_sig_create(k, PJWT_ALG_HS256, in, strlen(in),
                                         tag, &tl, &e), 0);
    assert_int_equal(tl, 32);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_HS256, in, strlen(in),
                                         tag, tl, &e), 0);
    /* truncated, extended, flipped, empty */
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_HS256, in, strlen(in),
                                         tag, 31, &e), PJWT_ERR_SIG);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_HS256, in, strlen(in),
                                         tag, 16, &e), PJWT_ERR_SIG);
    memcpy(bad, tag, tl);
    bad[32] = 0;
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_HS256, in, strlen(in),
                                         bad, 33, &e), PJWT_ERR_SIG);
    bad[31] ^= 1;
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_HS256, in, strlen(in),
                                         bad, 32, &e), PJWT_ERR_SIG);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_HS256, in, strlen(in),
                                         tag, 0, &e), PJWT_ERR_SIG);
    /* HS512 tag under HS256's name (a 64-byte key allows both) */
    {
        pjwt_key *k64 = secret_key("0123456789abcdef0123456789abcdef"
                                   "0123456789abcdef0123456789abcdef");

        tl = sizeof(tag);
        assert_int_equal(pjwt_jws_sig_create(k64, PJWT_ALG_HS512, in,
                                             strlen(in), tag, &tl, &e), 0);
        assert_int_equal(tl, 64);
        assert_int_equal(pjwt_jws_sig_verify(k64, PJWT_ALG_HS256, in,
                                             strlen(in), tag, tl, &e),
                         PJWT_ERR_SIG);
        assert_int_equal(pjwt_jws_sig_verify(k64, PJWT_ALG_HS256, in,
                                             strlen(in), tag, 32, &e),
                         PJWT_ERR_SIG);
        pjwt_key_free(k64);
    }
    /* a tampered payload through the full path */
    tok = craft("{\"alg\":\"HS256\"}", claims_json, k, PJWT_ALG_HS256, NULL, 0);
    {
        char *p = strchr(tok, '.') + 1;

        *p = (*p == 'e') ? 'f' : 'e';
    }
    assert_true(verify(tok, ks, 0) != 0);
    free(tok);
    pjwt_keyset_free(ks);
}

static void
test_ecdsa_signature_forms(void **state)
{
    pjwt_key *k = pem_file("jws_p256.key");
    const char *in = "eyJhbGciOiJFUzI1NiJ9.e30";
    uint8_t sig[PJWT_SIG_MAX], buf[PJWT_SIG_MAX], der[128];
    size_t sl = sizeof(sig), dl;
    unsigned char *p = der;
    ECDSA_SIG *es;
    BIGNUM *r, *s;
    pjwt_err e;
    int n;

    (void)state;
    assert_int_equal(pjwt_jws_sig_create(k, PJWT_ALG_ES256, in, strlen(in),
                                         sig, &sl, &e), 0);
    assert_int_equal(sl, 64);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ES256, in, strlen(in),
                                         sig, sl, &e), 0);
    /* the same signature in DER form */
    es = ECDSA_SIG_new();
    r = BN_bin2bn(sig, 32, NULL);
    s = BN_bin2bn(sig + 32, 32, NULL);
    assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
    n = i2d_ECDSA_SIG(es, &p);
    assert_true(n > 0);
    dl = (size_t)n;
    ECDSA_SIG_free(es);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ES256, in, strlen(in),
                                         der, dl, &e), PJWT_ERR_SIG);
    /* padded: a leading zero on each half (66 bytes), trailing zero (65) */
    buf[0] = 0;
    memcpy(buf + 1, sig, 32);
    buf[33] = 0;
    memcpy(buf + 34, sig + 32, 32);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ES256, in, strlen(in),
                                         buf, 66, &e), PJWT_ERR_SIG);
    memcpy(buf, sig, 64);
    buf[64] = 0;
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ES256, in, strlen(in),
                                         buf, 65, &e), PJWT_ERR_SIG);
    /* short */
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ES256, in, strlen(in),
                                         sig, 63, &e), PJWT_ERR_SIG);
    /* r = s = 0, and r = 0 with the real s */
    memset(buf, 0, 64);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ES256, in, strlen(in),
                                         buf, 64, &e), PJWT_ERR_SIG);
    memcpy(buf + 32, sig + 32, 32);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ES256, in, strlen(in),
                                         buf, 64, &e), PJWT_ERR_SIG);
    /* an ES256 signature under ES512 (wrong length for that alg) */
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ES512, in, strlen(in),
                                         sig, 64, &e), PJWT_ERR_ALG);
    pjwt_key_free(k);
}

/* PS*: salt length is the digest length (RFC 7518 3.5), on both sides. */
static void
test_pss_salt_length(void **state)
{
    pjwt_key *k = pem_file("jws_rsa2048.key");
    EVP_PKEY *pk = pjwt_key_pkey(k, NULL);
    const char *in = "eyJhbGciOiJQUzI1NiJ9.e30";
    static const int salts[] = { 32, 0, 20, 64, RSA_PSS_SALTLEN_MAX };
    pjwt_err e;

    (void)state;
    assert_non_null(pk);
    for (size_t i = 0; i < sizeof(salts) / sizeof(salts[0]); i++) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;
        uint8_t sig[512];
        size_t sl = sizeof(sig);

        assert_int_equal(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, pk), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salts[i]), 1);
        assert_int_equal(EVP_DigestSign(ctx, sig, &sl, (const uint8_t *)in,
                                        strlen(in)), 1);
        EVP_MD_CTX_free(ctx);
        assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_PS256, in, strlen(in),
                                             sig, sl, &e),
                         salts[i] == 32 ? 0 : PJWT_ERR_SIG);
        /* a PSS signature is never a PKCS#1 v1.5 one */
        assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_RS256, in, strlen(in),
                                             sig, sl, &e), PJWT_ERR_SIG);
    }
    pjwt_key_free(k);
}

static void
test_rsa_signature_length(void **state)
{
    pjwt_key *k = pem_file("jws_rsa2048.key");
    const char *in = "eyJhbGciOiJSUzI1NiJ9.e30";
    uint8_t sig[PJWT_SIG_MAX], buf[PJWT_SIG_MAX];
    size_t sl = sizeof(sig);
    pjwt_err e;

    (void)state;
    assert_int_equal(pjwt_jws_sig_create(k, PJWT_ALG_RS256, in, strlen(in),
                                         sig, &sl, &e), 0);
    assert_int_equal(sl, 256);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_RS256, in, strlen(in),
                                         sig, sl, &e), 0);
    buf[0] = 0;
    memcpy(buf + 1, sig, sl);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_RS256, in, strlen(in),
                                         buf, sl + 1, &e), PJWT_ERR_SIG);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_RS256, in, strlen(in),
                                         sig, sl - 1, &e), PJWT_ERR_SIG);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_RS256, "x", 1, sig, sl,
                                         &e), PJWT_ERR_SIG);
    pjwt_key_free(k);
}

static void
test_eddsa_signature(void **state)
{
    pjwt_key *k = pem_file("jws_ed25519.key");
    const char *in = "eyJhbGciOiJFZERTQSJ9.e30";
    uint8_t sig[PJWT_SIG_MAX];
    size_t sl = sizeof(sig);
    pjwt_err e;

    (void)state;
    assert_int_equal(pjwt_jws_sig_create(k, PJWT_ALG_EDDSA, in, strlen(in),
                                         sig, &sl, &e), 0);
    assert_int_equal(sl, 64);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ED25519, in, strlen(in),
                                         sig, sl, &e), 0);
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_EDDSA, in, strlen(in),
                                         sig, 63, &e), PJWT_ERR_SIG);
    sig[10] ^= 0x40;
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_EDDSA, in, strlen(in),
                                         sig, sl, &e), PJWT_ERR_SIG);
    /* Ed25519 keys are never ES256 keys */
    assert_int_equal(pjwt_jws_sig_verify(k, PJWT_ALG_ES256, in, strlen(in),
                                         sig, 64, &e), PJWT_ERR_ALG);
    pjwt_key_free(k);
}

static void
test_parse(void **state)
{
    pjwt_key *k = secret_key("0123456789abcdef0123456789abcdef");
    char *tok = craft("{\"alg\":\"HS999\",\"kid\":\"k1\"}", claims_json, k,
                      PJWT_ALG_HS256, NULL, 0);
    char *tok2 = craft("{\"kid\":\"k1\"}", claims_json, k, PJWT_ALG_HS256,
                       NULL, 0);
    pjwt_token t;
    pjwt_err e;

    (void)state;
    assert_int_equal(pjwt_jws_parse(tok, strlen(tok), 0, &t, &e), 0);
    assert_int_equal(t.alg, PJWT_ALG_INVALID);
    assert_string_equal(t.kid, "k1");
    assert_null(t.key);
    assert_string_equal(json_string_value(json_object_get(t.claims, "sub")),
                        "alice");
    pjwt_token_clear(&t);
    assert_int_equal(pjwt_jws_parse(tok2, strlen(tok2), 0, &t, &e),
                     PJWT_ERR_ALG);
    assert_null(t.header);
    assert_int_equal(pjwt_jws_parse("abc", 3, 0, &t, &e), PJWT_ERR_FORMAT);
    pjwt_token_clear(NULL);
    free(tok);
    free(tok2);
    pjwt_key_free(k);
}

/* ---- the per-key context cache under threads ------------------------ */

#define THREADS 8
#define PER_THREAD 40

struct race {
    pjwt_keyset *ks;
    pjwt_key *priv;
    const char *good, *bad;
    pjwt_alg alg;
    int failures;
};

static void *
racer(void *arg)
{
    struct race *r = arg;
    json_t *claims = json_pack("{s:s}", "sub", "bob");

    for (int i = 0; i < PER_THREAD; i++) {
        pjwt_token t;
        char *tok;

        if (pjwt_jws_verify(r->good, strlen(r->good), 0, r->ks, 0, &t,
                            NULL) != 0)
            __atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
        pjwt_token_clear(&t);
        if (pjwt_jws_verify(r->bad, strlen(r->bad), 0, r->ks, 0, &t,
                            NULL) != PJWT_ERR_SIG)
            __atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
        if (i % 8 == 0) {
            tok = pjwt_jws_sign(r->priv, r->alg, NULL, claims, NULL);
            if (!tok)
                __atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
            free(tok);
        }
    }
    json_decref(claims);
    return NULL;
}

/* Fresh keys, so every thread races to build the same cache entries; a
   loser must free its copy (ASan's leak check) and use the winner's. */
static void
race_alg(pjwt_key *priv, pjwt_key *pub, pjwt_alg alg)
{
    json_t *claims = json_loads(claims_json, 0, NULL);
    struct race r = { 0 };
    pthread_t th[THREADS];
    char *good, *bad;
    pjwt_err e;

    assert_int_equal(pjwt_key_materialize(priv, &e), 0);
    assert_int_equal(pjwt_key_materialize(pub, &e), 0);
    good = pjwt_jws_sign(priv, alg, NULL, claims, &e);
    assert_non_null(good);
    bad = strdup(good);
    bad[strlen(bad) - 5] = bad[strlen(bad) - 5] == 'A' ? 'B' : 'A';
    r.ks = set_of(pub, NULL);
    r.priv = priv;
    r.good = good;
    r.bad = bad;
    r.alg = alg;
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, racer, &r), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(r.failures, 0);
    free(good);
    free(bad);
    json_decref(claims);
    pjwt_keyset_free(r.ks);
    pjwt_key_free(priv);
}

static void
test_cache_threads(void **state)
{
    static const char s[] = "0123456789abcdef0123456789abcdef";

    (void)state;
    race_alg(secret_key(s), secret_key(s), PJWT_ALG_HS256);
    race_alg(pem_file("jws_rsa2048.key"), pem_file("jws_rsa2048.pub"),
             PJWT_ALG_PS256);
    race_alg(pem_file("jws_p256.key"), pem_file("jws_p256.pub"),
             PJWT_ALG_ES256);
    race_alg(pem_file("jws_ed25519.key"), pem_file("jws_ed25519.pub"),
             PJWT_ALG_EDDSA);
}

/* The one definition of "meant as a JWS" (pam_jwt.so: token or password). */
static void
test_shaped(void **state)
{
    static const char *const yes[] = {
        "eyJ.a.b", "eyJhbGciOiJFUzI1NiJ9.e30.", "eyJ..", "eyJa.b.c.d",
        "eyJhbGciOiJFUzI1NiJ9.e30.c2ln==", "eyJ\n.x\n.y",
    };
    static const char *const no[] = {
        "", "e", "ey", "eyJ", "eyJ.", "eyJ.a", "a.b.c", "eyj.a.b", "EYJ.a.b",
        " eyJ.a.b", "correct horse battery staple", "xeyJ.a.b",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_true(pjwt_jws_shaped(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(pjwt_jws_shaped(no[i], strlen(no[i])));
    /* only len bytes are read: the dots after it do not count */
    assert_false(pjwt_jws_shaped("eyJ.a.b", 5));
    assert_false(pjwt_jws_shaped(NULL, 0));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shaped),
        cmocka_unit_test(test_rfc7515_a1_hs256),
        cmocka_unit_test(test_rfc7515_a2_rs256),
        cmocka_unit_test(test_rfc7515_a3_es256),
        cmocka_unit_test(test_rfc7515_a4_es512),
        cmocka_unit_test(test_rfc8037_a_ed25519),
        cmocka_unit_test(test_rfc7520_4),
        cmocka_unit_test(test_roundtrip_all_algs),
        cmocka_unit_test(test_public_key_verifies),
        cmocka_unit_test(test_sign_header),
        cmocka_unit_test(test_max_length_before_decoding),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_bad_base64url),
        cmocka_unit_test(test_alg_none_any_case),
        cmocka_unit_test(test_alg_allowlist_and_key),
        cmocka_unit_test(test_rs_hs_key_confusion),
        cmocka_unit_test(test_crit_and_b64),
        cmocka_unit_test(test_embedded_keys_ignored),
        cmocka_unit_test(test_kid_selection),
        cmocka_unit_test(test_kidless_key_any_kid),
        cmocka_unit_test(test_strict_json_header_payload),
        cmocka_unit_test(test_broken_lazy_key),
        cmocka_unit_test(test_hmac_tags),
        cmocka_unit_test(test_ecdsa_signature_forms),
        cmocka_unit_test(test_pss_salt_length),
        cmocka_unit_test(test_rsa_signature_length),
        cmocka_unit_test(test_eddsa_signature),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_cache_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
