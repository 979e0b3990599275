/*
 * test_bundle.c: the trust bundle (bundle.h): sign and verify with each
 * key family, which signer counts, every refusal of the wire form and the
 * payload, and the host's files made from a checked bundle (the revoked
 * text read back by revoke.h, jwks.json read back by keys.h and as
 * pamjwt_trust).
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
#include "bundle.h"
#include "fileio.h"
#include "jws.h"
#include "revoke.h"
#include "testdir.h"

#define NOW 1800000000LL

static pjwt_key *es, *ed, *rs, *es2;

static int
setup(void **state)
{
    (void)state;
    es = pjwt_key_generate(PJWT_ALG_ES256, NULL);
    ed = pjwt_key_generate(PJWT_ALG_EDDSA, NULL);
    rs = pjwt_key_generate(PJWT_ALG_RS256, NULL);
    es2 = pjwt_key_generate(PJWT_ALG_ES256, NULL);
    return es && ed && rs && es2 ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    pjwt_key_free(es);
    pjwt_key_free(ed);
    pjwt_key_free(rs);
    pjwt_key_free(es2);
    return 0;
}

/* key's public JWK with a pamjwt_state (new reference). */
static json_t *
pub_jwk(pjwt_key *key, const char *state)
{
    json_t *j = pjwt_key_to_public_jwk(key, NULL);

    assert_non_null(j);
    json_object_set_new(j, "pamjwt_state", json_string(state));
    return j;
}

/* A valid payload publishing key as current, plus others (NULL-ended)
   as retiring. */
static json_t *
payload_of(pjwt_key *key, ...)
{
    json_t *keys = json_array(), *p;
    va_list ap;
    pjwt_key *k;

    json_array_append_new(keys, pub_jwk(key, "current"));
    va_start(ap, key);
    while ((k = va_arg(ap, pjwt_key *)))
        json_array_append_new(keys, pub_jwk(k, "retiring"));
    va_end(ap);
    p = json_pack("{s:s, s:I, s:I, s:I, s:{s:o}, s:[{s:s}, {s:s}, "
                  "{s:s, s:I}]}",
                  "iss", "https://issuer.example", "version", (json_int_t)7,
                  "iat", (json_int_t)NOW - 10, "exp", (json_int_t)NOW + 3600,
                  "jwks", "keys", keys,
                  "revoked", "jti", "tok-1", "sub", "mallory",
                  "sub", "alice", "before", (json_int_t)NOW - 100);
    assert_non_null(p);
    return p;
}

/* A keyset of the public parts of the keys given (NULL-ended). */
static pjwt_keyset *
trust(pjwt_key *key, ...)
{
    pjwt_keyset *ks = pjwt_keyset_new();
    va_list ap;
    pjwt_key *k = key;

    va_start(ap, key);
    for (; k; k = va_arg(ap, pjwt_key *)) {
        json_t *j = pjwt_key_to_public_jwk(k, NULL);

        assert_int_equal(pjwt_keyset_add(ks, pjwt_key_from_jwk(j, 0, NULL),
                                         NULL), 0);
        json_decref(j);
    }
    va_end(ap);
    return ks;
}

/* One JWS over payload by key with header typ: sign what
   pjwt_bundle_sign would refuse to. */
static char *
sign_raw(const json_t *payload, pjwt_key *key, const char *typ)
{
    json_t *hdr = json_pack("{s:s}", "typ", typ);
    char *tok = pjwt_jws_sign(key, pjwt_key_default_alg(key), hdr, payload,
                              NULL);

    assert_non_null(tok);
    json_decref(hdr);
    return tok;
}

/* The bundle text of one entry per token (NULL-ended). */
static char *
wire_of(const char *tok, ...)
{
    json_t *arr = json_array();
    va_list ap;
    char *s;

    va_start(ap, tok);
    for (; tok; tok = va_arg(ap, const char *))
        json_array_append_new(arr, json_string(tok));
    va_end(ap);
    s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

/* Verify text against ks at NOW; the code, with the message in *e. */
static int
verify(const char *text, pjwt_keyset *ks, const char *iss, long long now,
       pjwt_err *e)
{
    pjwt_bundle b;
    int r;

    pjwt_err_clear(e);
    r = pjwt_bundle_verify(text, strlen(text), ks, iss, (time_t)now, &b, e);
    assert_int_equal(r, e->code);
    if (r == 0) {
        assert_non_null(b.payload);
        pjwt_bundle_clear(&b);
    } else {
        assert_null(b.payload);
    }
    return r;
}

/* A payload signed raw by es, checked against es: the code. */
static int
verify_payload(json_t *p, pjwt_err *e)
{
    pjwt_keyset *ks = trust(es, NULL);
    char *tok = sign_raw(p, es, PJWT_BUNDLE_TYP), *text = wire_of(tok, NULL);
    int r = verify(text, ks, NULL, NOW, e);

    free(tok);
    free(text);
    pjwt_keyset_free(ks);
    json_decref(p);
    return r;
}

static void
test_round_trip(void **state)
{
    pjwt_key *keys[] = { es, ed, rs };
    pjwt_bundle b;
    pjwt_err e;
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        json_t *p = payload_of(keys[i], NULL);
        pjwt_keyset *ks = trust(keys[i], NULL);
        char *text = pjwt_bundle_sign(p, &keys[i], 1, &e);

        assert_non_null(text);
        assert_int_equal(pjwt_bundle_verify(text, strlen(text), ks,
                                            "https://issuer.example",
                                            (time_t)NOW, &b, &e), 0);
        assert_string_equal(b.signer, pjwt_key_kid(keys[i]));
        assert_string_equal(b.iss, "https://issuer.example");
        assert_int_equal(b.version, 7);
        assert_int_equal(b.iat, NOW - 10);
        assert_int_equal(b.exp, NOW + 3600);
        assert_int_equal(b.n_current, 1);
        assert_int_equal(json_array_size(b.revoked), 3);
        assert_true(json_equal(b.jwks, json_object_get(p, "jwks")));
        pjwt_bundle_clear(&b);
        pjwt_bundle_clear(&b);
        pjwt_bundle_clear(NULL);
        free(text);
        json_decref(p);
        pjwt_keyset_free(ks);
    }
    assert_string_equal(pjwt_key_state_name(PJWT_KEY_RETIRING), "retiring");
    assert_null(pjwt_key_state_name(0));
    assert_int_equal(pjwt_key_state_parse("next"), PJWT_KEY_NEXT);
    assert_int_equal(pjwt_key_state_parse("Current"), 0);
}

static void
test_signers(void **state)
{
    pjwt_key *two[] = { es, ed }, *many[PJWT_BUNDLE_MAX_SIGS + 1];
    json_t *p = payload_of(es, ed, NULL);
    pjwt_keyset *ks2 = trust(ed, NULL), *ks3 = trust(es2, NULL);
    char *text = pjwt_bundle_sign(p, two, 2, NULL);
    pjwt_bundle b;
    pjwt_err e;
    size_t i;

    (void)state;
    assert_non_null(text);
    assert_int_equal(pjwt_bundle_verify(text, strlen(text), ks2, NULL,
                                        (time_t)NOW, &b, &e), 0);
    assert_string_equal(b.signer, pjwt_key_kid(ed));
    assert_int_equal(b.n_current, 1);
    pjwt_bundle_clear(&b);
    /* no trusted signer: the kids are named */
    assert_int_equal(verify(text, ks3, NULL, NOW, &e), PJWT_ERR_NO_KEY);
    assert_non_null(strstr(e.msg, "bundle not signed by a trusted key "
                           "(kids: "));
    assert_non_null(strstr(e.msg, pjwt_key_kid(es)));
    /* a signer that is no private key, too many signers */
    for (i = 0; i <= PJWT_BUNDLE_MAX_SIGS; i++)
        many[i] = es;
    assert_null(pjwt_bundle_sign(p, many, PJWT_BUNDLE_MAX_SIGS + 1, &e));
    assert_int_equal(e.code, PJWT_ERR_ARG);
    assert_null(pjwt_bundle_sign(p, many, 0, &e));
    free(text);
    json_decref(p);
    pjwt_keyset_free(ks2);
    pjwt_keyset_free(ks3);
}

static void
test_wire(void **state)
{
    json_t *p = payload_of(es, NULL), *p2 = payload_of(es, NULL);
    pjwt_keyset *ks = trust(es, ed, NULL);
    char *t1 = sign_raw(p, es, PJWT_BUNDLE_TYP), *t2, *text, *big, *b64;
    char *dumped, *forged;
    const char *dot;
    pjwt_err e;
    size_t n;

    (void)state;
    /* tampered payload: the signature no longer holds */
    json_object_set_new(p2, "version", json_integer(8));
    dumped = json_dumps(p2, JSON_COMPACT);
    b64 = pjwt_b64url_encode_alloc(dumped, strlen(dumped));
    dot = strchr(t1, '.');
    n = (size_t)(dot - t1);
    forged = malloc(strlen(t1) + strlen(b64) + 4);
    snprintf(forged, strlen(t1) + strlen(b64) + 4, "%.*s.%s%s", (int)n, t1,
             b64, strrchr(t1, '.'));
    text = wire_of(forged, NULL);
    assert_int_equal(verify(text, ks, NULL, NOW, &e), PJWT_ERR_SIG);
    free(text);
    /* two entries over different payloads, each signed well */
    t2 = sign_raw(p2, ed, PJWT_BUNDLE_TYP);
    text = wire_of(t1, t2, NULL);
    assert_int_equal(verify(text, ks, NULL, NOW, &e), PJWT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "another payload"));
    free(text);
    free(t2);
    /* wrong typ; an extra header member */
    t2 = sign_raw(p, es, "JWT");
    text = wire_of(t2, NULL);
    assert_int_equal(verify(text, ks, NULL, NOW, &e), PJWT_ERR_HEADER);
    free(text);
    free(t2);
    {
        json_t *hdr = json_pack("{s:s, s:s}", "typ", PJWT_BUNDLE_TYP,
                                "cty", "x");

        t2 = pjwt_jws_sign(es, PJWT_ALG_ES256, hdr, p, NULL);
        json_decref(hdr);
        text = wire_of(t2, NULL);
        assert_int_not_equal(verify(text, ks, NULL, NOW, &e), 0);
        free(text);
        free(t2);
    }
    /* 17 entries; none; not an array; not strings; not JSON */
    text = wire_of(t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1,
                   t1, t1, t1, NULL);
    assert_int_equal(verify(text, ks, NULL, NOW, &e), PJWT_ERR_FORMAT);
    free(text);
    text = wire_of(t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1,
                   t1, t1, NULL);
    assert_int_equal(verify(text, ks, NULL, NOW, &e), 0);
    free(text);
    assert_int_equal(verify("[]", ks, NULL, NOW, &e), PJWT_ERR_FORMAT);
    assert_int_equal(verify("{}", ks, NULL, NOW, &e), PJWT_ERR_JSON);
    assert_int_equal(verify("[1]", ks, NULL, NOW, &e), PJWT_ERR_FORMAT);
    assert_int_equal(verify("[\"a.b.c\"]", ks, NULL, NOW, &e),
                     PJWT_ERR_B64);
    assert_int_equal(verify("eyJ", ks, NULL, NOW, &e), PJWT_ERR_JSON);
    /* oversize: refused before parsing */
    big = malloc(PJWT_BUNDLE_MAX + 2);
    memset(big, ' ', PJWT_BUNDLE_MAX + 1);
    big[0] = '[';
    big[PJWT_BUNDLE_MAX + 1] = '\0';
    assert_int_equal(verify(big, ks, NULL, NOW, &e), PJWT_ERR_TOO_LONG);
    free(big);
    {
        pjwt_bundle b;

        assert_int_equal(pjwt_bundle_verify(NULL, 0, ks, NULL, 0, &b, &e),
                         PJWT_ERR_ARG);
        assert_int_equal(pjwt_bundle_verify("[]", 2, NULL, NULL, 0, &b, &e),
                         PJWT_ERR_ARG);
    }
    free(dumped);
    free(b64);
    free(forged);
    free(t1);
    json_decref(p);
    json_decref(p2);
    pjwt_keyset_free(ks);
}

static void
test_claims(void **state)
{
    json_t *p = payload_of(es, NULL);
    pjwt_keyset *ks = trust(es, NULL);
    char *text = pjwt_bundle_sign(p, &es, 1, NULL);
    pjwt_err e;

    (void)state;
    assert_non_null(text);
    assert_int_equal(verify(text, ks, NULL, NOW + 3600, &e), PJWT_ERR_EXP);
    assert_non_null(strstr(e.msg, "bundle expired at 2027-01-15T09:"));
    assert_int_equal(verify(text, ks, NULL, NOW + 3599, &e), 0);
    assert_int_equal(verify(text, ks, NULL,
                            NOW - 10 - PJWT_BUNDLE_IAT_SKEW - 1, &e),
                     PJWT_ERR_IAT);
    assert_int_equal(verify(text, ks, NULL, NOW - 10 - PJWT_BUNDLE_IAT_SKEW,
                            &e), 0);
    assert_int_equal(verify(text, ks, "https://other.example", NOW, &e),
                     PJWT_ERR_ISS);
    assert_non_null(strstr(e.msg, "\"https://other.example\""));
    free(text);
    /* version 0: sign refuses it, verify too */
    json_object_set_new(p, "version", json_integer(0));
    assert_null(pjwt_bundle_sign(p, &es, 1, &e));
    assert_non_null(strstr(e.msg, "version 0"));
    assert_int_equal(verify_payload(p, &e), PJWT_ERR_CLAIM);
    assert_non_null(strstr(e.msg, "version 0"));
}

/* A valid payload with member name set to v. */
static json_t *
with(const char *name, json_t *v)
{
    json_t *p = payload_of(es, NULL);

    json_object_set_new(p, name, v);
    return p;
}

static json_t *
with_key_member(const char *name, json_t *v)
{
    json_t *p = payload_of(es, NULL);
    json_t *k = json_array_get(json_object_get(json_object_get(p, "jwks"),
                                               "keys"), 0);

    if (v)
        json_object_set_new(k, name, v);
    else
        json_object_del(k, name);
    return p;
}

static void
test_payload_rules(void **state)
{
    json_t *p;
    pjwt_err e;

    (void)state;
    assert_int_equal(verify_payload(with("extra", json_true()), &e),
                     PJWT_ERR_CLAIM);
    assert_non_null(strstr(e.msg, "unknown member \"extra\""));
    assert_int_equal(verify_payload(with("version", json_real(7.0)), &e),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(verify_payload(with("iat", json_string("1")), &e),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(verify_payload(with("exp", json_integer(NOW - 20)), &e),
                     PJWT_ERR_EXP);
    assert_int_equal(verify_payload(with("iss", json_string("")), &e),
                     PJWT_ERR_CLAIM_TYPE);
    p = payload_of(es, NULL);
    json_object_del(p, "revoked");
    assert_int_equal(verify_payload(p, &e), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(verify_payload(with("jwks", json_pack("{s:[]}", "keys")),
                                    &e), PJWT_ERR_KEY);
    assert_int_equal(verify_payload(with("jwks",
                                         json_pack("{s:[], s:i}", "keys",
                                                   "x", 1)), &e),
                     PJWT_ERR_CLAIM);
    /* no current key */
    assert_int_equal(verify_payload(with_key_member("pamjwt_state",
                                                    json_string("next")),
                                    &e), PJWT_ERR_KEY);
    assert_non_null(strstr(e.msg, "no current key"));
    assert_int_equal(verify_payload(with_key_member("pamjwt_state",
                                                    json_string("old")),
                                    &e), PJWT_ERR_KEY);
    assert_int_equal(verify_payload(with_key_member("pamjwt_state", NULL),
                                    &e), PJWT_ERR_KEY);
    assert_int_equal(verify_payload(with_key_member("kid", NULL), &e),
                     PJWT_ERR_CLAIM);
    /* a private member: refused, whether or not the key would load */
    assert_int_equal(verify_payload(with_key_member("d",
                                                    json_string("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI")),
                                    &e), PJWT_ERR_KEY);
    assert_non_null(strstr(e.msg, "private"));
    {
        json_t *keys, *k;

        /* RFC 7515 A.3's private key, as published */
        p = payload_of(es, NULL);
        keys = json_object_get(json_object_get(p, "jwks"), "keys");
        k = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC",
                      "crv", "P-256",
                      "x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                      "y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
                      "d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
                      "kid", "a3", "pamjwt_state", "retiring");
        json_array_append_new(keys, k);
        assert_int_equal(verify_payload(p, &e), PJWT_ERR_KEY);
        /* a secret */
        p = payload_of(es, NULL);
        keys = json_object_get(json_object_get(p, "jwks"), "keys");
        json_array_append_new(keys,
                              json_pack("{s:s, s:s, s:s, s:s}", "kty", "oct",
                                        "k", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY",
                                        "kid", "s", "pamjwt_state",
                                        "published"));
        assert_int_equal(verify_payload(p, &e), PJWT_ERR_KEY);
        /* the same kid twice */
        p = payload_of(es, NULL);
        keys = json_object_get(json_object_get(p, "jwks"), "keys");
        json_array_append(keys, json_array_get(keys, 0));
        assert_int_equal(verify_payload(p, &e), PJWT_ERR_KEY);
    }
}

static void
test_revocations(void **state)
{
    static const char *const bad[] = {
        "{\"jti\":\"\"}", "{\"jti\":\"#x\"}", "{\"jti\":\"a b\"}",
        "{\"jti\":\"a\\tb\"}", "{\"jti\":\"\\u00e9\"}",
        "{\"jti\":\"x\",\"sub\":\"y\"}", "{\"sub\":\"x\",\"before\":1.5}",
        "{\"sub\":\"x\",\"before\":-1}", "{\"sub\":\"x\",\"before\":\"1\"}",
        "{\"sub\":\"x\",\"before\":253402300800}", "{\"sub\":\"x\",\"after\":1}",
        "{}", "\"jti x\"", "{\"jti\":1}", "{\"jti\":\"x\",\"before\":1}",
    };
    char name[PJWT_BUNDLE_MAX_NAME + 2];
    json_error_t je;
    json_t *p, *rev;
    pjwt_err e;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = payload_of(es, NULL);
        json_array_append_new(json_object_get(p, "revoked"),
                              json_loads(bad[i], JSON_DECODE_ANY, &je));
        assert_int_not_equal(verify_payload(p, &e), 0);
        assert_non_null(strstr(e.msg, "revoked[3]"));
    }
    memset(name, 'n', sizeof(name));
    name[PJWT_BUNDLE_MAX_NAME] = '\0';
    p = payload_of(es, NULL);
    json_array_append_new(json_object_get(p, "revoked"),
                          json_pack("{s:s}", "sub", name));
    assert_int_equal(verify_payload(p, &e), 0);
    name[PJWT_BUNDLE_MAX_NAME] = 'n';
    name[PJWT_BUNDLE_MAX_NAME + 1] = '\0';
    p = payload_of(es, NULL);
    json_array_append_new(json_object_get(p, "revoked"),
                          json_pack("{s:s}", "sub", name));
    assert_int_not_equal(verify_payload(p, &e), 0);
    /* more than the limit */
    p = payload_of(es, NULL);
    rev = json_object_get(p, "revoked");
    for (i = 0; i < PJWT_BUNDLE_MAX_REVOKED - 3; i++)
        json_array_append_new(rev, json_pack("{s:s}", "jti", "j"));
    /* as many as allowed: then too many bytes */
    assert_null(pjwt_bundle_sign(p, &es, 1, &e));
    assert_int_equal(e.code, PJWT_ERR_TOO_LONG);
    assert_non_null(strstr(e.msg, "bytes over the limit"));
    json_array_append_new(rev, json_pack("{s:s}", "jti", "j"));
    assert_null(pjwt_bundle_sign(p, &es, 1, &e));
    assert_int_equal(e.code, PJWT_ERR_TOO_LONG);
    assert_non_null(strstr(e.msg, "revocations, over the limit"));
    json_decref(p);
}

/* A signed and checked bundle of payload_of(es) into *b. */
static char *
checked(pjwt_bundle *b)
{
    json_t *p = payload_of(es, ed, NULL);
    pjwt_keyset *ks = trust(es, NULL);
    char *text = pjwt_bundle_sign(p, &es, 1, NULL);

    assert_non_null(text);
    assert_int_equal(pjwt_bundle_verify(text, strlen(text), ks, NULL,
                                        (time_t)NOW, b, NULL), 0);
    pjwt_keyset_free(ks);
    json_decref(p);
    return text;
}

static void
test_host_files(void **state)
{
    pjwt_bundle b;
    char *text = checked(&b), *rt, *dumped;
    pjwt_revoked *r = pjwt_revoked_new();
    pjwt_keyset *ks = pjwt_keyset_new();
    json_t *jwks, *c;
    pjwt_err e;

    (void)state;
    /* peek: the keys without any trust */
    jwks = pjwt_bundle_peek_jwks(text, strlen(text), &e);
    assert_non_null(jwks);
    assert_true(json_equal(jwks, b.jwks));
    json_decref(jwks);
    assert_null(pjwt_bundle_peek_jwks("[1]", 3, &e));
    /* revoked: what revoke.h reads, the same entries */
    rt = pjwt_bundle_revoked_text(&b, &e);
    assert_non_null(rt);
    assert_int_equal(rt[0], '#');
    assert_int_equal(pjwt_revoked_load_buf(r, "revoked", rt, strlen(rt), &e),
                     0);
    assert_int_equal(pjwt_revoked_count(r), 3);
    c = json_pack("{s:s, s:s}", "jti", "tok-1", "sub", "bob");
    assert_int_equal(pjwt_revoked_check(r, c, NULL, &e), PJWT_ERR_REVOKED);
    json_decref(c);
    c = json_pack("{s:s, s:s, s:I}", "jti", "t2", "sub", "alice", "iat",
                  (json_int_t)NOW - 101);
    assert_int_equal(pjwt_revoked_check(r, c, NULL, &e), PJWT_ERR_REVOKED);
    json_decref(c);
    c = json_pack("{s:s, s:s, s:I}", "jti", "t2", "sub", "alice", "iat",
                  (json_int_t)NOW - 100);
    assert_int_equal(pjwt_revoked_check(r, c, NULL, &e), 0);
    json_decref(c);
    free(rt);
    /* jwks.json: keys.h loads it; it carries pamjwt_trust */
    jwks = pjwt_bundle_host_jwks(&b, &e);
    assert_non_null(jwks);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(jwks, "pamjwt_trust"), "version")), 7);
    dumped = json_dumps(jwks, JSON_COMPACT);
    assert_int_equal(pjwt_keyset_load_mem(ks, dumped, strlen(dumped),
                                          "jwks.json", 0, &e), 0);
    assert_int_equal(pjwt_keyset_count(ks), 2);
    {
        char *d = test_mkdtemp("test_bundle"), path[4096], path2[4096];
        pjwt_trust_info ti;
        FILE *f;

        assert_non_null(d);
        snprintf(path, sizeof(path), "%s/jwks.json", d);
        f = fopen(path, "w");
        fputs(dumped, f);
        fclose(f);
        chmod(path, 0644);
        assert_int_equal(pjwt_trust_info_load(path, PJWT_FILE_CHECK_WRITE,
                                              &ti, &e), 0);
        assert_string_equal(ti.iss, "https://issuer.example");
        assert_int_equal(ti.version, 7);
        assert_int_equal(ti.iat, NOW - 10);
        assert_int_equal(ti.exp, NOW + 3600);
        chmod(path, 0664);
        assert_int_equal(pjwt_trust_info_load(path, PJWT_FILE_CHECK_WRITE,
                                              &ti, &e), PJWT_ERR_PERM);
        assert_int_equal(pjwt_trust_info_load(path, 0, &ti, &e), 0);
        snprintf(path2, sizeof(path2), "%s/plain.json", d);
        f = fopen(path2, "w");
        fputs("{\"keys\":[]}", f);
        fclose(f);
        assert_int_equal(pjwt_trust_info_load(path2, PJWT_FILE_CHECK_WRITE,
                                              &ti, &e), PJWT_ERR_MISSING);
        f = fopen(path2, "w");
        fputs("{\"keys\":[],\"pamjwt_trust\":{\"iss\":\"i\",\"version\":1,"
              "\"iat\":1.5,\"exp\":2}}", f);
        fclose(f);
        assert_int_equal(pjwt_trust_info_load(path2, 0, &ti, &e),
                         PJWT_ERR_CLAIM_TYPE);
        f = fopen(path2, "w");
        fputs("{\"keys\":[],\"pamjwt_trust\":[]}", f);
        fclose(f);
        assert_int_equal(pjwt_trust_info_load(path2, 0, &ti, &e),
                         PJWT_ERR_CLAIM_TYPE);
        f = fopen(path2, "w");
        fputs("{\"keys\":[],\"keys\":[]}", f);
        fclose(f);
        assert_int_equal(pjwt_trust_info_load(path2, 0, &ti, &e),
                         PJWT_ERR_JSON);
        unlink(path2);
        assert_int_equal(pjwt_trust_info_load(path2, 0, &ti, &e),
                         PJWT_ERR_IO);
        unlink(path);
        rmdir(d);
        free(d);
    }
    free(dumped);
    json_decref(jwks);
    pjwt_keyset_free(ks);
    pjwt_revoked_free(r);
    pjwt_bundle_clear(&b);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_signers),
        cmocka_unit_test(test_wire),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_payload_rules),
        cmocka_unit_test(test_revocations),
        cmocka_unit_test(test_host_files),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
