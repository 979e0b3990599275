/*
 * jws_sig.c: the signature primitives of JWS (RFC 7518 section 3,
 * RFC 8037 section 3.1): HMAC, RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA in raw
 * R||S form, and Ed25519.  The algorithm is always the caller's, checked
 * against the key's binding here too, so no path can use an RSA key for
 * HMAC or an oct key for anything but HMAC.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "cleanup.h"
#include "jws.h"
#include "jws_impl.h"

/* Larger than the DER form of any ECDSA signature of the table's curves
   (P-521: two 66-byte INTEGERs with their headers). */
#define ES_DER_MAX 160

/* The key/alg binding, checked again at the lowest level; *ai is the
   algorithm's row. */
static int
check_binding(pjwt_key *key, pjwt_alg alg, const pjwt_alg_info **ai,
              pjwt_err *err)
{
    *ai = pjwt_alg_info_of(alg);
    if (!key || !*ai)
        return PJWT_FAIL(err, PJWT_ERR_ALG, "no such algorithm");
    if (!(pjwt_key_algs(key) & PJWT_ALGSET(alg)))
        return PJWT_FAIL(err, PJWT_ERR_ALG,
                         "key not usable with %s", (*ai)->name);
    return 0;
}

/* HMAC of input with the key's secret into tag (>= 64 bytes). */
static int
hmac(pjwt_key *key, const pjwt_alg_info *ai, const void *input, size_t inlen,
     uint8_t *tag, size_t *taglen, pjwt_err *err)
{
    EVP_MAC_CTX *ctx = NULL;
    size_t outl = 0;
    int r = PJWT_ERR_INTERNAL;

    if (!pjwt_key_secret(key, &outl) || pjwt_key_kty(key) != PJWT_KTY_OCT) {
        r = PJWT_FAIL(err, PJWT_ERR_ALG, "not an HMAC key");
        goto out;
    }
    if (!(ctx = pjwt_jws_mac_ctx(key, ai->alg, err))) {
        r = pjwt_err_code(err);
        goto out;
    }
    outl = 0;
    if (!EVP_MAC_update(ctx, input, inlen)
        || !EVP_MAC_final(ctx, tag, &outl, 64) || outl != ai->sig_len) {
        r = PJWT_FAIL(err, PJWT_ERR_INTERNAL, "HMAC failed");
        goto out;
    }
    *taglen = outl;
    r = 0;
out:
    EVP_MAC_CTX_free(ctx);
    return r;
}

/* Raw R||S (each coordinate exactly clen bytes) to DER.  Returns the DER
   length or 0 when the input cannot be a signature. */
static size_t
es_raw_to_der(const uint8_t *sig, size_t clen, uint8_t *der, size_t dercap)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)clen, NULL);
    BIGNUM *s = BN_bin2bn(sig + clen, (int)clen, NULL);
    unsigned char *p = der;
    size_t n = 0;
    int len;

    if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s))
        goto out;
    r = s = NULL; /* owned by es now */
    len = i2d_ECDSA_SIG(es, NULL);
    if (len <= 0 || (size_t)len > dercap)
        goto out;
    len = i2d_ECDSA_SIG(es, &p);
    if (len > 0)
        n = (size_t)len;
out:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return n;
}

int
pjwt_jws_sig_verify(pjwt_key *key, pjwt_alg alg, const void *input,
                    size_t inlen, const uint8_t *sig, size_t siglen,
                    pjwt_err *err)
{
    mdctx_auto EVP_MD_CTX *ctx = NULL;
    const pjwt_alg_info *ai;
    uint8_t der[ES_DER_MAX];
    const uint8_t *s = sig;
    size_t slen = siglen;
    pjwt_err local;
    int r;

    PJWT_ERR_OR_LOCAL(err, local);
    if ((r = check_binding(key, alg, &ai, err)) != 0)
        return r;
    if (!sig && siglen)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no signature");

    if (ai->family == PJWT_FAM_HS) {
        uint8_t tag[64];
        size_t taglen = 0;

        /* Length first: CRYPTO_memcmp needs equal lengths, and a
           truncated tag must never compare as a prefix. */
        if (siglen != ai->sig_len)
            return PJWT_FAIL(err, PJWT_ERR_SIG,
                             "HMAC tag has wrong length");
        if ((r = hmac(key, ai, input, inlen, tag, &taglen, err)) != 0)
            return r;
        r = CRYPTO_memcmp(tag, sig, taglen) == 0 ? 0
          : PJWT_FAIL(err, PJWT_ERR_SIG, "HMAC mismatch");
        OPENSSL_cleanse(tag, sizeof(tag));
        return r;
    }

    if (ai->family == PJWT_FAM_ES) {
        /* JWS carries exactly R||S (RFC 7518 3.4): DER, padded or short
           forms are all refused before OpenSSL sees them. */
        size_t clen = ai->sig_len / 2;

        if (siglen != ai->sig_len)
            return PJWT_FAIL(err, PJWT_ERR_SIG,
                             "ECDSA signature is not %zu bytes", ai->sig_len);
        slen = es_raw_to_der(sig, clen, der, sizeof(der));
        if (slen == 0)
            return PJWT_FAIL(err, PJWT_ERR_SIG,
                             "bad ECDSA signature");
        s = der;
    } else if (ai->family == PJWT_FAM_ED) {
        if (siglen != ai->sig_len)
            return PJWT_FAIL(err, PJWT_ERR_SIG,
                             "Ed25519 signature is not %zu bytes",
                             ai->sig_len);
    }

    if (ai->family == PJWT_FAM_RS || ai->family == PJWT_FAM_PS) {
        /* A signature is exactly the modulus length (RFC 8017 8.2.2). */
        EVP_PKEY *pk = pjwt_key_pkey(key, err);

        if (!pk)
            return pjwt_err_code(err);
        if ((int)siglen != EVP_PKEY_get_size(pk))
            return PJWT_FAIL(err, PJWT_ERR_SIG,
                             "RSA signature has wrong length");
    }
    if (!(ctx = pjwt_jws_md_ctx(key, alg, 0, err)))
        return pjwt_err_code(err);
    if (EVP_DigestVerify(ctx, s, slen, input, inlen) != 1)
        return PJWT_FAIL(err, PJWT_ERR_SIG,
                         "%s signature invalid", ai->name);
    return 0;
}

int
pjwt_jws_sig_create(pjwt_key *key, pjwt_alg alg, const void *input,
                    size_t inlen, uint8_t *sig, size_t *siglen,
                    pjwt_err *err)
{
    mdctx_auto EVP_MD_CTX *ctx = NULL;
    const pjwt_alg_info *ai;
    uint8_t der[ES_DER_MAX];
    size_t need = 0;
    pjwt_err local;
    int r;

    PJWT_ERR_OR_LOCAL(err, local);
    if ((r = check_binding(key, alg, &ai, err)) != 0)
        return r;
    if (!sig || !siglen)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no output buffer");

    if (ai->family == PJWT_FAM_HS) {
        uint8_t tag[64];
        size_t taglen = 0;

        if ((r = hmac(key, ai, input, inlen, tag, &taglen, err)) != 0)
            return r;
        if (*siglen < taglen) {
            OPENSSL_cleanse(tag, sizeof(tag));
            return PJWT_FAIL(err, PJWT_ERR_ARG, "buffer small");
        }
        memcpy(sig, tag, taglen);
        *siglen = taglen;
        OPENSSL_cleanse(tag, sizeof(tag));
        return 0;
    }

    if (!pjwt_key_is_private(key))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "signing needs a private key");
    if (!(ctx = pjwt_jws_md_ctx(key, alg, 1, err)))
        return pjwt_err_code(err);

    if (ai->family == PJWT_FAM_ES) {
        size_t clen = ai->sig_len / 2, dlen = sizeof(der);
        const unsigned char *p = der;
        ECDSA_SIG *es;
        const BIGNUM *br, *bs;
        int ok;

        if (*siglen < 2 * clen)
            return PJWT_FAIL(err, PJWT_ERR_ARG, "buffer small");
        if (EVP_DigestSign(ctx, der, &dlen, input, inlen) != 1)
            return PJWT_FAIL(err, PJWT_ERR_INTERNAL,
                             "ECDSA signing failed");
        es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
        if (!es)
            return PJWT_FAIL(err, PJWT_ERR_INTERNAL,
                             "ECDSA signature unreadable");
        ECDSA_SIG_get0(es, &br, &bs);
        ok = BN_bn2binpad(br, sig, (int)clen) == (int)clen
             && BN_bn2binpad(bs, sig + clen, (int)clen) == (int)clen;
        ECDSA_SIG_free(es);
        if (!ok)
            return PJWT_FAIL(err, PJWT_ERR_INTERNAL,
                             "ECDSA signature too long");
        *siglen = 2 * clen;
        return 0;
    }

    /* RSA: the modulus length; Ed25519: 64.  Asking EVP_DigestSign for
       the size would feed the input twice on some paths. */
    {
        int sz = EVP_PKEY_get_size(pjwt_key_pkey(key, NULL));

        if (sz <= 0 || (size_t)sz > *siglen)
            return PJWT_FAIL(err, PJWT_ERR_ARG,
                             "signature buffer too small");
        need = (size_t)sz;
    }
    *siglen = need;
    if (EVP_DigestSign(ctx, sig, siglen, input, inlen) != 1)
        return PJWT_FAIL(err, PJWT_ERR_INTERNAL,
                         "%s signing failed", ai->name);
    return 0;
}
