/*
 * keys_jwk.c: JWKs in and out (RFC 7517, RFC 7518 section 6, RFC 8037):
 * parse and check the members into decoded parts, and a key's public JWK.
 * Building the EVP_PKEY from the parts and the thumbprint members are
 * keys_build.c.
 *
 * A JWK is checked completely when it is loaded (strict base64url, exact
 * EC/OKP lengths, RSA size, private members only when allowed), so that a
 * lazy key that is materialised later only fails for reasons OpenSSL alone
 * can see.
 */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "b64url.h"
#include "fileio.h"
#include "keys_impl.h"

static const char *const mname[PJWT_JWK_NMEMB] = {
    "n", "e", "d", "p", "q", "dp", "dq", "qi", "x", "y", "k"
};

/* Private members of each kty ("oth": multi-prime RSA, never supported). */
static const char *const rsa_priv[] = { "d", "p", "q", "dp", "dq", "qi" };

/* Decode member m; PJWT_ERR_MISSING when absent. */
static int
get_member(const json_t *jwk, int m, struct pjwt_jwk_parts *parts,
           pjwt_err *err)
{
    const json_t *v = json_object_get(jwk, mname[m]);
    const char *s;
    size_t sl, cap;
    uint8_t *b;

    if (!v)
        return PJWT_ERR_MISSING;
    if (!json_is_string(v))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "JWK member %s is not a string", mname[m]);
    s = json_string_value(v);
    sl = json_string_length(v);
    cap = pjwt_b64url_dec_len(sl);
    b = malloc(cap ? cap : 1);
    if (!b)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    if (sl == 0
        || pjwt_b64url_decode(s, sl, b, cap, &parts->l[m]) != 0
        || parts->l[m] == 0) {
        pjwt_secret_free(b, cap);
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "JWK member %s is not strict base64url",
                         mname[m]);
    }
    parts->v[m] = b;
    return 0;
}

static int
need(const json_t *jwk, int m, struct pjwt_jwk_parts *parts, pjwt_err *err)
{
    int r = get_member(jwk, m, parts, err);

    if (r == PJWT_ERR_MISSING)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "JWK member %s missing", mname[m]);
    return r;
}

static int
check_rsa(const json_t *jwk, unsigned flags, struct pjwt_jwk_parts *parts,
          int *priv, pjwt_err *err)
{
    size_t i, have = 0;
    int r;

    if ((r = need(jwk, PJWT_M_N, parts, err)) != 0
        || (r = need(jwk, PJWT_M_E, parts, err)) != 0)
        return r;
    if ((r = pjwt_rsa_check(parts->v[PJWT_M_N], parts->l[PJWT_M_N],
                            parts->v[PJWT_M_E], parts->l[PJWT_M_E], err)) != 0)
        return r;
    if (json_object_get(jwk, "oth"))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "multi-prime RSA keys are not supported");
    for (i = 0; i < sizeof(rsa_priv) / sizeof(rsa_priv[0]); i++)
        if (json_object_get(jwk, rsa_priv[i]))
            have++;
    if (have == 0)
        return 0;
    if (!(flags & PJWT_KEYS_PRIVATE))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "private key material where a public key is "
                         "expected");
    for (i = PJWT_M_D; i <= PJWT_M_QI; i++)
        if ((r = need(jwk, (int)i, parts, err)) != 0)
            return r;
    *priv = 1;
    return 0;
}

static int
check_curve(const json_t *jwk, unsigned flags, const struct pjwt_crv_info *ci,
            struct pjwt_jwk_parts *parts, int *priv, pjwt_err *err)
{
    size_t cl = ci->len;
    int r;

    if ((r = need(jwk, PJWT_M_X, parts, err)) != 0)
        return r;
    if (parts->l[PJWT_M_X] != cl)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "JWK x is not %zu bytes", cl);
    if (ci->kty == PJWT_KTY_EC) {
        if ((r = need(jwk, PJWT_M_Y, parts, err)) != 0)
            return r;
        if (parts->l[PJWT_M_Y] != cl)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "JWK y is not %zu bytes", cl);
    } else if (json_object_get(jwk, "y")) {
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "OKP JWK with a y member");
    }
    if (!json_object_get(jwk, "d"))
        return 0;
    if (!(flags & PJWT_KEYS_PRIVATE))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "private key material where a public key is "
                         "expected");
    if ((r = need(jwk, PJWT_M_D, parts, err)) != 0)
        return r;
    if (parts->l[PJWT_M_D] != cl)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "JWK d is not %zu bytes", cl);
    *priv = 1;
    return 0;
}

/* Optional string member: 0 (absent: *s NULL), or PJWT_ERR_KEY. */
static int
opt_string(const json_t *jwk, const char *name, const char **s, size_t *len,
           pjwt_err *err)
{
    const json_t *v = json_object_get(jwk, name);

    *s = NULL;
    *len = 0;
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "JWK %s is not a non-empty string", name);
    *s = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

static int
str_is(const char *s, size_t len, const char *lit)
{
    return s && len == strlen(lit) && memcmp(s, lit, len) == 0;
}

static int
unsupported_key(int *unsupported, pjwt_err *err, const char *what,
                const char *s, size_t len)
{
    if (unsupported)
        *unsupported = 1;
    return PJWT_FAIL(err, PJWT_ERR_KEY,
                     "unsupported JWK %s %.*s", what,
                     (int)(len > 32 ? 32 : len), s ? s : "");
}

/* "use" and "key_ops": the key must be meant for signatures. */
static int
check_purpose(const json_t *jwk, int *unsupported, pjwt_err *err)
{
    const json_t *ops = json_object_get(jwk, "key_ops"), *op;
    const char *s;
    size_t len, i;
    int r;

    r = opt_string(jwk, "use", &s, &len, err);
    if (r != 0)
        return r;
    if (s && !str_is(s, len, "sig"))
        return unsupported_key(unsupported, err, "use", s, len);
    if (!ops)
        return 0;
    if (!json_is_array(ops))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "JWK key_ops is not an array");
    json_array_foreach(ops, i, op) {
        if (!json_is_string(op))
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "JWK key_ops holds a non-string");
        s = json_string_value(op);
        len = json_string_length(op);
        if (str_is(s, len, "verify") || str_is(s, len, "sign"))
            return 0;
    }
    return unsupported_key(unsupported, err, "key_ops", "", 0);
}

/* The JWK's string members that are not key material. */
struct jwk_names {
    const char *kty, *crv, *kid;
    size_t ktyl, crvl, kidl;
    pjwt_alg pin;               /* PJWT_ALG_INVALID without "alg" */
};

/* Read and check them: object, kty, use/key_ops, alg, crv, kid. */
static int
read_names(const json_t *jwk, struct jwk_names *nm, int *unsupported,
           pjwt_err *err)
{
    const char *alg;
    size_t algl;
    int r;

    if (!json_is_object(jwk))
        return PJWT_FAIL(err, PJWT_ERR_KEY, "JWK is not an object");
    if ((r = opt_string(jwk, "kty", &nm->kty, &nm->ktyl, err)) != 0)
        return r;
    if (!nm->kty)
        return PJWT_FAIL(err, PJWT_ERR_KEY, "JWK without kty");
    if ((r = check_purpose(jwk, unsupported, err)) != 0)
        return r;
    if ((r = opt_string(jwk, "alg", &alg, &algl, err)) != 0
        || (r = opt_string(jwk, "crv", &nm->crv, &nm->crvl, err)) != 0
        || (r = opt_string(jwk, "kid", &nm->kid, &nm->kidl, err)) != 0)
        return r;
    nm->pin = PJWT_ALG_INVALID;
    if (alg) {
        nm->pin = pjwt_alg_from_name(alg, algl);
        if (nm->pin == PJWT_ALG_INVALID)  /* RSA-OAEP, ECDH-ES, none...: */
            return unsupported_key(unsupported, err, "alg", alg, algl);
    }
    return 0;
}

int
pjwt_jwk_load(pjwt_key *key, const json_t *jwk, unsigned flags,
              int *unsupported, pjwt_err *err)
{
    int r = PJWT_ERR_KEY, priv = 0;
    struct pjwt_jwk_parts *parts = NULL;
    struct jwk_names nm;
    const struct pjwt_crv_info *ci = NULL;

    if (unsupported)
        *unsupported = 0;
    if ((r = read_names(jwk, &nm, unsupported, err)) != 0)
        goto out;
    parts = calloc(1, sizeof(*parts));
    if (!parts) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }

    if (str_is(nm.kty, nm.ktyl, "RSA")) {
        key->kty = PJWT_KTY_RSA;
        r = check_rsa(jwk, flags, parts, &priv, err);
    } else if (str_is(nm.kty, nm.ktyl, "EC")
               || str_is(nm.kty, nm.ktyl, "OKP")) {
        key->kty = nm.kty[0] == 'E' ? PJWT_KTY_EC : PJWT_KTY_OKP;
        if (!nm.crv) {
            r = PJWT_FAIL(err, PJWT_ERR_KEY, "JWK without crv");
            goto out;
        }
        ci = pjwt_crv_by_jwk(key->kty, nm.crv, nm.crvl);
        if (!ci) {
            r = unsupported_key(unsupported, err, "crv", nm.crv, nm.crvl);
            goto out;
        }
        r = check_curve(jwk, flags, ci, parts, &priv, err);
    } else if (str_is(nm.kty, nm.ktyl, "oct")) {
        key->kty = PJWT_KTY_OCT;
        r = need(jwk, PJWT_M_K, parts, err);
        if (r == 0 && parts->l[PJWT_M_K] < PJWT_HMAC_MIN_LEN)
            r = PJWT_FAIL(err, PJWT_ERR_KEY,
                          "oct key of %zu bytes (minimum %d)",
                          parts->l[PJWT_M_K], PJWT_HMAC_MIN_LEN);
        priv = 1;
    } else {
        r = unsupported_key(unsupported, err, "kty", nm.kty, nm.ktyl);
    }
    if (r != 0)
        goto out;

    key->crv = ci ? ci->crv : PJWT_CRV_NONE;
    key->priv = priv;
    key->algs = pjwt_key_family_algs(key->kty, key->crv, parts->l[PJWT_M_K]);
    if (nm.pin != PJWT_ALG_INVALID
        && (r = pjwt_key_set_pin(key, nm.pin, err)) != 0)
        goto out;
    if (key->kty == PJWT_KTY_OCT) {
        key->secret = parts->v[PJWT_M_K];
        key->secret_len = parts->l[PJWT_M_K];
        parts->v[PJWT_M_K] = NULL;
        parts->l[PJWT_M_K] = 0;
    } else {
        key->lazy = parts;
        parts = NULL;
    }
    /* The thumbprint is computed from the members (pjwt_jwk_members reads
       key->lazy), no EVP_PKEY needed. */
    r = pjwt_key_set_kid(key, nm.kid, nm.kidl, err);
out:
    pjwt_jwk_parts_free(parts);
    return r;
}


pjwt_key *
pjwt_key_from_jwk(const json_t *jwk, unsigned flags, pjwt_err *err)
{
    pjwt_key *key;

    key = pjwt_key_alloc();
    if (!key) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (pjwt_jwk_load(key, jwk, flags, NULL, err) != 0
        || pjwt_key_materialize(key, err) != 0) {
        pjwt_key_free(key);
        return NULL;
    }
    return key;
}

json_t *
pjwt_key_to_public_jwk(pjwt_key *key, pjwt_err *err)
{
    json_t *m;

    if (!key || key->kty == PJWT_KTY_OCT) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "secret keys have no public JWK");
        return NULL;
    }
    m = pjwt_jwk_members(key, err);
    if (!m)
        return NULL;
    if (json_object_set_new(m, "kid", json_string(key->kid))
        || json_object_set_new(m, "use", json_string("sig"))
        || (key->pin != PJWT_ALG_INVALID
            && json_object_set_new(m, "alg",
                                   json_string(pjwt_alg_name(key->pin))))) {
        json_decref(m);
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return m;
}
