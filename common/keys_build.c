/*
 * keys_build.c: a key's members and its EVP_PKEY, both ways, and what is
 * computed from the members (RFC 7638 thumbprint, the kid).
 *
 * Members -> EVP_PKEY: EVP_PKEY_fromdata with the members as OSSL_PARAMs
 * goes straight to the key manager, without the DER round trip or decoder
 * search; EC points are checked to be on the curve by the import
 * (EC_POINT_oct2point).  EVP_PKEY -> members: for thumbprints and public
 * JWKs of keys that were never lazy (PEM private keys, generated keys).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "b64url.h"
#include "fileio.h"
#include "keys_impl.h"

int
pjwt_pkey_classify(EVP_PKEY *pkey, pjwt_kty *kty, enum pjwt_crv *crv,
                   pjwt_err *err)
{
    const struct pjwt_crv_info *ci;
    char name[64];
    size_t nl = 0;
    int bits, expl = 0;

    *crv = PJWT_CRV_NONE;
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
        bits = EVP_PKEY_get_bits(pkey);
        if (bits < PJWT_RSA_MIN_BITS)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "RSA key of %d bits (minimum %d)", bits,
                             PJWT_RSA_MIN_BITS);
        if (bits > PJWT_RSA_MAX_BITS)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "RSA key of %d bits (maximum %d)", bits,
                             PJWT_RSA_MAX_BITS);
        *kty = PJWT_KTY_RSA;
        return 0;
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &nl) != 1)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "EC key without a named curve");
        ci = pjwt_crv_by_group(name);
        /* RFC 5480: named curves only.  OpenSSL maps explicit parameters
           that equal a named curve to its name, so ask how it was given. */
        if (EVP_PKEY_get_int_param(pkey,
                OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS, &expl) == 1
            && expl)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "EC key with explicit curve parameters");
        if (!ci)
            return PJWT_FAIL(err, PJWT_ERR_KEY, "unsupported EC curve %s",
                             name);
        *kty = PJWT_KTY_EC;
        *crv = ci->crv;
        return 0;
    case EVP_PKEY_ED25519:
        *kty = PJWT_KTY_OKP;
        *crv = PJWT_CRV_ED25519;
        return 0;
    default:
        return PJWT_FAIL(err, PJWT_ERR_KEY, "unsupported key type %s",
                         EVP_PKEY_get0_type_name(pkey)
                             ? EVP_PKEY_get0_type_name(pkey) : "?");
    }
}

int
pjwt_key_adopt_pkey(pjwt_key *key, EVP_PKEY *pkey, int priv, pjwt_err *err)
{
    EVP_PKEY_CTX *c;
    pjwt_kty kty;
    enum pjwt_crv crv;
    int r, ok;

    r = pjwt_pkey_classify(pkey, &kty, &crv, err);
    if (r != 0)
        return r;
    if (priv) {
        /* The issuer signs with this key: a private half that does not
           match its public half would issue unverifiable tokens. */
        c = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (!c)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        ok = EVP_PKEY_pairwise_check(c);
        EVP_PKEY_CTX_free(c);
        if (ok != 1 && ok != -2)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "private key fails its consistency check");
    }
    key->kty = kty;
    key->crv = crv;
    key->algs = pjwt_key_family_algs(kty, crv, 0);
    key->priv = priv;
    key->pkey = pkey;
    return 0;
}

static int
push_bn(OSSL_PARAM_BLD *bld, const char *name, const uint8_t *v, size_t len,
        BIGNUM **bns, size_t *nbn)
{
    BIGNUM *bn = BN_bin2bn(v, (int)len, NULL);

    if (!bn)
        return 0;
    bns[(*nbn)++] = bn;
    return OSSL_PARAM_BLD_push_BN(bld, name, bn);
}

static EVP_PKEY *
from_params(const char *type, int selection, OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pk = NULL;

    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        (void)EVP_PKEY_fromdata(ctx, &pk, selection, params);
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

EVP_PKEY *
pjwt_pkey_public(pjwt_kty kty, enum pjwt_crv crv, const uint8_t *a,
                 size_t al, const uint8_t *b, size_t bl)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    BIGNUM *bns[2];
    size_t nbn = 0, i;
    EVP_PKEY *pk = NULL;
    int ok = bld != NULL;

    if (kty == PJWT_KTY_OKP)
        pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a, al);
    else if (kty == PJWT_KTY_RSA)
        ok = ok && push_bn(bld, OSSL_PKEY_PARAM_RSA_N, a, al, bns, &nbn)
            && push_bn(bld, OSSL_PKEY_PARAM_RSA_E, b, bl, bns, &nbn);
    else
        ok = ok && pjwt_crv_info(crv)
            && OSSL_PARAM_BLD_push_utf8_string(bld,
                OSSL_PKEY_PARAM_GROUP_NAME, pjwt_crv_info(crv)->jwk, 0)
            && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                                a, al);
    if (kty != PJWT_KTY_OKP && ok)
        params = OSSL_PARAM_BLD_to_param(bld);
    if (params)
        pk = from_params(kty == PJWT_KTY_RSA ? "RSA" : "EC",
                         EVP_PKEY_PUBLIC_KEY, params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    for (i = 0; i < nbn; i++)
        BN_free(bns[i]);
    return pk;
}

static EVP_PKEY *
build_rsa_ec(const pjwt_key *key, const struct pjwt_jwk_parts *p)
{
    static const char *const rsa_names[] = {
        OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
        OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
        OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
        OSSL_PKEY_PARAM_RSA_COEFFICIENT1
    };
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    BIGNUM *bns[8];
    size_t nbn = 0, i, cl;
    uint8_t pt[1 + 2 * PJWT_CRV_MAX_LEN];
    const struct pjwt_crv_info *ci = pjwt_crv_info(key->crv);
    EVP_PKEY *pk = NULL;
    int ok = bld != NULL;

    if (ok && key->kty == PJWT_KTY_RSA) {
        for (i = PJWT_M_N; ok && i <= (key->priv ? PJWT_M_QI : PJWT_M_E); i++)
            ok = push_bn(bld, rsa_names[i], p->v[i], p->l[i], bns, &nbn);
    } else if (ok) {
        cl = ci ? ci->len : 0;
        ok = cl && p->l[PJWT_M_X] == cl && p->l[PJWT_M_Y] == cl;
        if (ok) {
            pt[0] = 0x04;   /* uncompressed point: 04 || x || y */
            memcpy(pt + 1, p->v[PJWT_M_X], cl);
            memcpy(pt + 1 + cl, p->v[PJWT_M_Y], cl);
        }
        ok = ok
            && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                               ci->jwk, 0)
            && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                                pt, 1 + 2 * cl);
        if (ok && key->priv)
            ok = push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, p->v[PJWT_M_D],
                         p->l[PJWT_M_D], bns, &nbn);
    }
    if (ok)
        params = OSSL_PARAM_BLD_to_param(bld);
    if (params)
        pk = from_params(key->kty == PJWT_KTY_RSA ? "RSA" : "EC",
                         key->priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                         params);
    OSSL_PARAM_free(params);   /* OSSL_PARAM_clear_free is 3.x-only */
    OSSL_PARAM_BLD_free(bld);
    for (i = 0; i < nbn; i++)
        BN_clear_free(bns[i]);
    return pk;
}

/* An Ed25519 EVP_PKEY from x (and d); *mismatch when d's public half is
   not x. */
static EVP_PKEY *
build_ed25519(const pjwt_key *key, const struct pjwt_jwk_parts *p,
              int *mismatch)
{
    EVP_PKEY *pk;
    uint8_t pub[32];
    size_t len = sizeof(pub);

    if (!key->priv)
        return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
                                           p->v[PJWT_M_X], p->l[PJWT_M_X]);
    pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, p->v[PJWT_M_D],
                                      p->l[PJWT_M_D]);
    /* The public half is derived from d: it must be the x we were given. */
    if (pk && (EVP_PKEY_get_raw_public_key(pk, pub, &len) != 1
               || len != p->l[PJWT_M_X]
               || CRYPTO_memcmp(pub, p->v[PJWT_M_X], len) != 0)) {
        EVP_PKEY_free(pk);
        *mismatch = 1;
        return NULL;
    }
    return pk;
}

int
pjwt_key_materialize(pjwt_key *key, pjwt_err *err)
{
    EVP_PKEY *pk = NULL;
    pjwt_kty kty;
    enum pjwt_crv crv;
    int r = PJWT_ERR_KEY, mismatch = 0;

    if (!key) {
        r = PJWT_FAIL(err, PJWT_ERR_ARG, "no key");
        goto out;
    }
    if (key->pkey || key->kty == PJWT_KTY_OCT) {
        r = 0;                  /* built already, or nothing to build */
        goto out;
    }
    if (!key->lazy) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "empty key");
        goto out;
    }
    if (key->kty == PJWT_KTY_OKP)
        pk = build_ed25519(key, key->lazy, &mismatch);
    else
        pk = build_rsa_ec(key, key->lazy);
    if (mismatch) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "JWK x does not match d");
        goto out;
    }
    if (!pk) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY,
                      "key %s: OpenSSL refuses its members (point "
                      "not on the curve?)", key->kid ? key->kid : "");
        goto out;
    }
    /* Same family checks as a PEM key, and for private keys the same
       pairwise check. */
    r = pjwt_pkey_classify(pk, &kty, &crv, err);
    if (r == 0 && (kty != key->kty || crv != key->crv))
        r = PJWT_FAIL(err, PJWT_ERR_INTERNAL, "key type changed");
    if (r == 0 && key->priv && key->kty != PJWT_KTY_OKP) {
        pjwt_key tmp = *key;
        tmp.pkey = NULL;
        r = pjwt_key_adopt_pkey(&tmp, pk, 1, err);
    }
    if (r != 0)
        goto out;
    key->pkey = pk;
    pk = NULL;
    pjwt_jwk_parts_free(key->lazy);
    key->lazy = NULL;
out:
    EVP_PKEY_free(pk);
    return r;
}

EVP_PKEY *
pjwt_key_pkey(pjwt_key *key, pjwt_err *err)
{
    if (!key || key->kty == PJWT_KTY_OCT) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "not an asymmetric key");
        return NULL;
    }
    if (pjwt_key_materialize(key, err) != 0)
        return NULL;
    return key->pkey;
}

/* ---- members (RFC 7638) ------------------------------------------------ */

static int
set_b64(json_t *o, const char *name, const uint8_t *v, size_t len)
{
    char *s = pjwt_b64url_encode_alloc(v, len);
    int r;

    if (!s)
        return -1;
    r = json_object_set_new(o, name, json_string(s));
    OPENSSL_cleanse(s, strlen(s));
    free(s);
    return r;
}

static int
set_bn(json_t *o, const char *name, EVP_PKEY *pk, const char *param,
       size_t pad)
{
    BIGNUM *bn = NULL;
    uint8_t buf[PJWT_RSA_MAX_BITS / 8];
    int n, r = -1;

    if (EVP_PKEY_get_bn_param(pk, param, &bn) != 1)
        return -1;
    n = pad ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
    if (n > 0 && BN_num_bytes(bn) <= (int)sizeof(buf))
        r = set_b64(o, name, buf, (size_t)n);
    BN_free(bn);
    return r;
}

json_t *
pjwt_jwk_members(const pjwt_key *key, pjwt_err *err)
{
    json_t *m = json_object();
    const struct pjwt_jwk_parts *p = key->lazy;
    const struct pjwt_crv_info *ci = pjwt_crv_info(key->crv);
    const uint8_t *v;
    uint8_t raw[32];
    size_t len = sizeof(raw), cl = ci ? ci->len : 0;
    int bad = !m;

    if (bad)
        goto out;
    switch (key->kty) {
    case PJWT_KTY_RSA:
        bad |= json_object_set_new(m, "kty", json_string("RSA"));
        if (p) {
            /* RFC 7638 section 3.2: n and e in minimal form. */
            len = p->l[PJWT_M_N];
            v = pjwt_be_minimal(p->v[PJWT_M_N], &len);
            bad |= set_b64(m, "n", v, len);
            len = p->l[PJWT_M_E];
            v = pjwt_be_minimal(p->v[PJWT_M_E], &len);
            bad |= set_b64(m, "e", v, len);
        } else {
            bad |= !key->pkey
                || set_bn(m, "n", key->pkey, OSSL_PKEY_PARAM_RSA_N, 0)
                || set_bn(m, "e", key->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        }
        break;
    case PJWT_KTY_EC:
        bad |= !ci || json_object_set_new(m, "kty", json_string("EC"))
            || json_object_set_new(m, "crv", json_string(ci->jwk));
        if (p)
            bad |= set_b64(m, "x", p->v[PJWT_M_X], cl)
                || set_b64(m, "y", p->v[PJWT_M_Y], cl);
        else
            bad |= !key->pkey
                || set_bn(m, "x", key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, cl)
                || set_bn(m, "y", key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, cl);
        break;
    case PJWT_KTY_OKP:
        bad |= !ci || json_object_set_new(m, "kty", json_string("OKP"))
            || json_object_set_new(m, "crv", json_string(ci->jwk));
        if (p)
            bad |= set_b64(m, "x", p->v[PJWT_M_X], cl);
        else
            bad |= !key->pkey
                || EVP_PKEY_get_raw_public_key(key->pkey, raw, &len) != 1
                || len != cl || set_b64(m, "x", raw, len);
        break;
    case PJWT_KTY_OCT:
        bad |= json_object_set_new(m, "kty", json_string("oct"))
            || set_b64(m, "k", key->secret, key->secret_len);
        break;
    default:
        bad = 1;
    }
out:
    if (bad) {
        pjwt_jwk_wipe(m);
        json_decref(m);
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "cannot export the key's members");
        return NULL;
    }
    return m;
}

void
pjwt_jwk_wipe(json_t *jwk)
{
    static const char *const secret[] = {
        "d", "p", "q", "dp", "dq", "qi", "k"
    };
    json_t *v;
    size_t i;

    if (!json_is_object(jwk))
        return;
    for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
        v = json_object_get(jwk, secret[i]);
        /* jansson frees strings without cleansing; overwrite in place
           (the buffer is the string's own, owned by this value). */
        if (json_is_string(v))
            OPENSSL_cleanse((void *)(uintptr_t)json_string_value(v),
                            json_string_length(v));
    }
}

/* ---- thumbprint and kid ------------------------------------------------ */

/* RFC 7638 thumbprint of a members object (see pjwt_jwk_members). */
static int
thumbprint_members(const json_t *m, char *out, pjwt_err *err)
{
    int r = PJWT_ERR_INTERNAL;
    char *txt = NULL;
    size_t tl = 0;
    unsigned char md[32];
    unsigned int mdl = 0;

    /* RFC 7638 section 3.3: members in lexicographic order, no
       whitespace; the values are base64url and curve names, which need
       no escaping, so jansson's compact sorted output is exactly that. */
    txt = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    if (!txt) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    tl = strlen(txt);
    if (EVP_Digest(txt, tl, md, &mdl, EVP_sha256(), NULL) != 1
        || mdl != sizeof(md)) {
        r = PJWT_FAIL(err, PJWT_ERR_INTERNAL, "SHA-256 failed");
        goto out;
    }
    pjwt_b64url_encode(md, sizeof(md), out);
    r = 0;
out:
    pjwt_secret_free(txt, tl);
    return r;
}

int
pjwt_key_thumbprint(const pjwt_key *key, char *out, size_t outcap,
                    pjwt_err *err)
{
    pjwt_err local;
    json_t *m;
    int r;

    PJWT_ERR_OR_LOCAL(err, local);
    if (!key || !out || outcap < PJWT_THUMBPRINT_LEN + 1)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad arguments");
    m = pjwt_jwk_members(key, err);
    if (!m)
        return pjwt_err_code(err);
    r = thumbprint_members(m, out, err);
    pjwt_jwk_wipe(m);
    json_decref(m);
    return r;
}

int
pjwt_key_set_kid(pjwt_key *key, const char *kid, size_t len, pjwt_err *err)
{
    char tp[PJWT_THUMBPRINT_LEN + 1];
    int r;

    if (!kid) {
        r = pjwt_key_thumbprint(key, tp, sizeof(tp), err);
        if (r != 0)
            return r;
        kid = tp;
        len = strlen(tp);
    } else {
        key->own_kid = 1;
    }
    free(key->kid);
    key->kid = strndup(kid, len);
    if (!key->kid)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    return 0;
}

/* An oct key is only its bytes, so it is built here, where its kid is. */
pjwt_key *
pjwt_key_from_secret(const void *buf, size_t len, pjwt_err *err)
{
    pjwt_key *key = NULL, *ret = NULL;

    if (!buf || len < PJWT_HMAC_MIN_LEN) {
        PJWT_FAIL(err, PJWT_ERR_KEY, "HMAC secret of %zu bytes (minimum %d)",
                  buf ? len : 0, PJWT_HMAC_MIN_LEN);
        goto out;
    }
    if (len > PJWT_KEYS_MAX_FILE) {
        PJWT_FAIL(err, PJWT_ERR_KEY, "HMAC secret too long");
        goto out;
    }
    key = pjwt_key_alloc();
    if (!key || !(key->secret = malloc(len))) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(key->secret, buf, len);
    key->secret_len = len;
    key->kty = PJWT_KTY_OCT;
    key->priv = 1;
    key->algs = pjwt_key_family_algs(PJWT_KTY_OCT, PJWT_CRV_NONE, len);
    if (pjwt_key_set_kid(key, NULL, 0, err) != 0)
        goto out;
    ret = key;
    key = NULL;
out:
    pjwt_key_free(key);
    return ret;
}
