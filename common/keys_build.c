/*
 * jwkpkey.c: turn checked JWK members into an EVP_PKEY.
 *
 * EVP_PKEY_fromdata with the members as OSSL_PARAMs goes straight to the
 * key manager, without the DER round trip or decoder search; EC points are
 * checked to be on the curve by the import (EC_POINT_oct2point).
 */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "fileio.h"
#include "keys_impl.h"

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
        ok = ok && OSSL_PARAM_BLD_push_utf8_string(bld,
                OSSL_PKEY_PARAM_GROUP_NAME,
                crv == PJWT_CRV_P256 ? "P-256" : crv == PJWT_CRV_P384
                ? "P-384" : "P-521", 0)
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
    uint8_t pt[1 + 2 * 66];
    const char *group;
    EVP_PKEY *pk = NULL;
    int ok = bld != NULL;

    if (ok && key->kty == PJWT_KTY_RSA) {
        for (i = PJWT_M_N; ok && i <= (key->priv ? PJWT_M_QI : PJWT_M_E); i++)
            ok = push_bn(bld, rsa_names[i], p->v[i], p->l[i], bns, &nbn);
    } else if (ok) {
        group = key->crv == PJWT_CRV_P256 ? "P-256"
              : key->crv == PJWT_CRV_P384 ? "P-384" : "P-521";
        cl = p->l[PJWT_M_X];
        pt[0] = 0x04;   /* uncompressed point: 04 || x || y */
        memcpy(pt + 1, p->v[PJWT_M_X], cl);
        memcpy(pt + 1 + cl, p->v[PJWT_M_Y], cl);
        ok = OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                             group, 0)
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

static EVP_PKEY *
build_ed25519(const pjwt_key *key, const struct pjwt_jwk_parts *p,
              pjwt_err *err)
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
        PJWT_FAIL(err, PJWT_ERR_KEY,
                  "JWK x does not match d");
        return NULL;
    }
    return pk;
}

int
pjwt_jwk_materialize(pjwt_key *key, pjwt_err *err)
{
    EVP_PKEY *pk = NULL;
    pjwt_err e2;
    pjwt_kty kty;
    enum pjwt_crv crv;
    int r;

    if (key->pkey || key->kty == PJWT_KTY_OCT)
        return 0;
    if (!key->lazy)
        return PJWT_FAIL(err, PJWT_ERR_KEY, "empty key");
    pjwt_err_clear(&e2);
    if (key->kty == PJWT_KTY_OKP)
        pk = build_ed25519(key, key->lazy, &e2);
    else
        pk = build_rsa_ec(key, key->lazy);
    if (!pk) {
        if (e2.code)
            return pjwt_err_set(err, e2.code, e2.where, "%s", e2.msg);
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "key %s: OpenSSL refuses its members (point "
                         "not on the curve?)", key->kid ? key->kid : "");
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
    if (r != 0) {
        EVP_PKEY_free(pk);
        return r;
    }
    key->pkey = pk;
    pjwt_jwk_parts_free(key->lazy);
    key->lazy = NULL;
    return 0;
}
