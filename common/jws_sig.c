/*
 * jws_sig.c: the signature primitives of JWS (RFC 7518 section 3,
 * RFC 8037 section 3.1): HMAC, RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA in raw
 * R||S form, and Ed25519.  The algorithm is always the caller's, checked
 * against the key's binding here too, so no path can use an RSA key for
 * HMAC or an oct key for anything but HMAC.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "cleanup.h"
#include "jws.h"

/* Digest name of an algorithm; NULL for EdDSA, which hashes internally. */
static const char *
alg_md(pjwt_alg alg)
{
    switch (alg) {
    case PJWT_ALG_HS256: case PJWT_ALG_RS256: case PJWT_ALG_PS256:
    case PJWT_ALG_ES256:
        return "SHA256";
    case PJWT_ALG_HS384: case PJWT_ALG_RS384: case PJWT_ALG_PS384:
    case PJWT_ALG_ES384:
        return "SHA384";
    case PJWT_ALG_HS512: case PJWT_ALG_RS512: case PJWT_ALG_PS512:
    case PJWT_ALG_ES512:
        return "SHA512";
    default:
        return NULL;
    }
}

static size_t
hs_len(pjwt_alg alg)
{
    return alg == PJWT_ALG_HS256 ? 32 : alg == PJWT_ALG_HS384 ? 48 : 64;
}

/* Bytes of one ECDSA coordinate for ES*: R||S is twice this. */
static size_t
es_coord_len(pjwt_alg alg)
{
    return alg == PJWT_ALG_ES256 ? 32 : alg == PJWT_ALG_ES384 ? 48 : 66;
}

static int
is_hs(pjwt_alg a)
{
    return PJWT_ALGSET(a) & PJWT_ALGSET_HS;
}

static int
is_es(pjwt_alg a)
{
    return a == PJWT_ALG_ES256 || a == PJWT_ALG_ES384 || a == PJWT_ALG_ES512;
}

static int
is_ps(pjwt_alg a)
{
    return PJWT_ALGSET(a) & PJWT_ALGSET_PS;
}

/* The key/alg binding, checked again at the lowest level. */
static int
check_binding(pjwt_key *key, pjwt_alg alg, pjwt_err *err)
{
    const char *name = pjwt_alg_name(alg);

    if (!key || !name)
        return pjwt_err_set(err, PJWT_ERR_ALG, __func__, "no such algorithm");
    if (!(pjwt_key_algs(key) & PJWT_ALGSET(alg)))
        return pjwt_err_set(err, PJWT_ERR_ALG, __func__,
                            "key not usable with %s", name);
    return 0;
}

/*
 * Per-key cache of pre-keyed contexts.  Setting up a signature context in
 * OpenSSL 3 (provider fetches, key-type lookups, HMAC key schedule) costs
 * about as much as a whole RSA-2048 verification, while copying a context
 * set up once costs little; so each key keeps, per algorithm, one context
 * for verifying, one for signing (HMAC: one pre-keyed MAC), built on first
 * use.  The cache lives in a slot of the key (pjwt_key_jws_cache, freed by
 * pjwt_key_free through pjwt_jws_cache_free) and is filled with atomic
 * compare-and-swap, so keys shared by threads (the issuer) stay safe: a
 * thread that loses a race frees its copy and uses the winner's.  Cached
 * contexts are only ever read (copied from) after being published.
 *
 * The accessor is referenced weakly: without it (an older keys.c) every
 * operation simply sets its context up from scratch.
 */
#pragma weak pjwt_key_jws_cache

typedef struct pjwt_jws_cache {
    EVP_MD_CTX *ver[PJWT_ALG_COUNT];
    EVP_MD_CTX *sig[PJWT_ALG_COUNT];
    EVP_MAC_CTX *mac[PJWT_ALG_COUNT];
} jws_cache;

void
pjwt_jws_cache_free(void *cache)
{
    jws_cache *c = cache;

    if (!c)
        return;
    for (int a = 0; a < PJWT_ALG_COUNT; a++) {
        EVP_MD_CTX_free(c->ver[a]);
        EVP_MD_CTX_free(c->sig[a]);
        EVP_MAC_CTX_free(c->mac[a]); /* cleanses the HMAC key schedule */
    }
    free(c);
}

/* The key's cache, created on first use; NULL when there is no slot or
   no memory (callers then work uncached). */
static jws_cache *
cache_of(pjwt_key *key)
{
    void **slot;
    void *cur, *fresh;

    if (!pjwt_key_jws_cache || !(slot = pjwt_key_jws_cache(key)))
        return NULL;
    cur = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (cur)
        return cur;
    fresh = calloc(1, sizeof(jws_cache));
    if (!fresh)
        return NULL;
    if (__atomic_compare_exchange_n(slot, &cur, fresh, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return fresh;
    free(fresh);    /* another thread won; cur is its cache */
    return cur;
}

/* Publish *mine into *entry unless someone did first; returns the
   published one and frees the loser with freefn. */
static void *
publish(void **entry, void *mine, void (*freefn)(void *))
{
    void *cur = NULL;

    if (__atomic_compare_exchange_n(entry, &cur, mine, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return mine;
    freefn(mine);
    return cur;
}

static void
md_ctx_free(void *p)
{
    EVP_MD_CTX_free(p);
}

static void
mac_ctx_free(void *p)
{
    EVP_MAC_CTX_free(p);
}

/* A new pre-keyed HMAC context for the key's secret. */
static EVP_MAC_CTX *
hmac_ctx_new(pjwt_key *key, pjwt_alg alg)
{
    EVP_MAC *mac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    const uint8_t *secret;
    size_t slen = 0;

    secret = pjwt_key_secret(key, &slen);
    if (!secret)
        return NULL;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)(uintptr_t)alg_md(alg),
                                                 0);
    params[1] = OSSL_PARAM_construct_end();
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac && (ctx = EVP_MAC_CTX_new(mac))
        && !EVP_MAC_init(ctx, secret, slen, params)) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    EVP_MAC_free(mac);
    return ctx;
}

/* HMAC of input with the key's secret into tag (>= 64 bytes). */
static int
hmac(pjwt_key *key, pjwt_alg alg, const void *input, size_t inlen,
     uint8_t *tag, size_t *taglen, pjwt_err *err)
{
    jws_cache *c;
    EVP_MAC_CTX *base = NULL, *ctx = NULL;
    size_t outl = 0;
    int r = PJWT_ERR_INTERNAL;

    if (!pjwt_key_secret(key, &outl) || pjwt_key_kty(key) != PJWT_KTY_OCT)
        return pjwt_err_set(err, PJWT_ERR_ALG, __func__, "not an HMAC key");
    c = cache_of(key);
    if (c && !(base = __atomic_load_n(&c->mac[alg], __ATOMIC_ACQUIRE))
        && (base = hmac_ctx_new(key, alg)))
        base = publish((void **)&c->mac[alg], base, mac_ctx_free);
    /* Copying the pre-keyed context skips the fetch and key schedule. */
    ctx = base ? EVP_MAC_CTX_dup(base) : hmac_ctx_new(key, alg);
    outl = 0;
    if (!ctx || !EVP_MAC_update(ctx, input, inlen)
        || !EVP_MAC_final(ctx, tag, &outl, 64) || outl != hs_len(alg)) {
        pjwt_err_set(err, r, __func__, "HMAC failed");
        goto out;
    }
    *taglen = outl;
    r = 0;
out:
    EVP_MAC_CTX_free(ctx);
    return r;
}

/* Set up ctx for RS/PS/ES/Ed with the key's EVP_PKEY. */
static int
digest_init(EVP_MD_CTX *ctx, pjwt_key *key, pjwt_alg alg, int sign,
            pjwt_err *err);

/*
 * A ready context for alg: a copy of the key's cached one when possible,
 * else one set up now.  Returns a new EVP_MD_CTX or NULL with *err set.
 */
static EVP_MD_CTX *
ready_ctx(pjwt_key *key, pjwt_alg alg, int sign, pjwt_err *err)
{
    jws_cache *c = cache_of(key);
    EVP_MD_CTX **entry = c ? (sign ? &c->sig[alg] : &c->ver[alg]) : NULL;
    EVP_MD_CTX *base = NULL, *ctx;

    if (entry && !(base = __atomic_load_n(entry, __ATOMIC_ACQUIRE))) {
        EVP_MD_CTX *fresh = EVP_MD_CTX_new();

        if (fresh && digest_init(fresh, key, alg, sign, NULL) == 0)
            base = publish((void **)entry, fresh, md_ctx_free);
        else
            EVP_MD_CTX_free(fresh);
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx) {
        pjwt_err_set(err, PJWT_ERR_NOMEM, __func__, "out of memory");
        return NULL;
    }
    if (base && EVP_MD_CTX_copy_ex(ctx, base) == 1)
        return ctx;
    /* no cache, or the copy failed: set up from scratch */
    EVP_MD_CTX_reset(ctx);
    if (digest_init(ctx, key, alg, sign, err) != 0) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int
digest_init(EVP_MD_CTX *ctx, pjwt_key *key, pjwt_alg alg, int sign,
            pjwt_err *err)
{
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pkey;
    int ok;

    pkey = pjwt_key_pkey(key, err);
    if (!pkey)
        return err && err->code ? err->code
             : pjwt_err_set(err, PJWT_ERR_KEY, __func__, "key not loaded");
    if (sign)
        ok = EVP_DigestSignInit_ex(ctx, &pctx, alg_md(alg), NULL, NULL, pkey,
                                   NULL);
    else
        ok = EVP_DigestVerifyInit_ex(ctx, &pctx, alg_md(alg), NULL, NULL,
                                     pkey, NULL);
    if (ok == 1 && is_ps(alg)) {
        /* RFC 7518 3.5: MGF1 with the same hash, salt as long as the
           hash.  On verify, RSA_PSS_SALTLEN_DIGEST demands exactly that
           length rather than recovering any salt length. */
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    } else if (ok == 1 && (PJWT_ALGSET(alg) & PJWT_ALGSET_RS)) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    }
    if (ok != 1)
        return pjwt_err_set(err, PJWT_ERR_INTERNAL, __func__,
                            "cannot set up %s", pjwt_alg_name(alg));
    return 0;
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
    uint8_t der[160];
    const uint8_t *s = sig;
    size_t slen = siglen;
    int r;

    if ((r = check_binding(key, alg, err)) != 0)
        return r;
    if (!sig && siglen)
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "no signature");

    if (is_hs(alg)) {
        uint8_t tag[64];
        size_t taglen = 0;

        /* Length first: CRYPTO_memcmp needs equal lengths, and a
           truncated tag must never compare as a prefix. */
        if (siglen != hs_len(alg))
            return pjwt_err_set(err, PJWT_ERR_SIG, __func__,
                                "HMAC tag has wrong length");
        if ((r = hmac(key, alg, input, inlen, tag, &taglen, err)) != 0)
            return r;
        r = CRYPTO_memcmp(tag, sig, taglen) == 0 ? 0
          : pjwt_err_set(err, PJWT_ERR_SIG, __func__, "HMAC mismatch");
        OPENSSL_cleanse(tag, sizeof(tag));
        return r;
    }

    if (is_es(alg)) {
        /* JWS carries exactly R||S (RFC 7518 3.4): DER, padded or short
           forms are all refused before OpenSSL sees them. */
        size_t clen = es_coord_len(alg);

        if (siglen != 2 * clen)
            return pjwt_err_set(err, PJWT_ERR_SIG, __func__,
                                "ECDSA signature is not %zu bytes", 2 * clen);
        slen = es_raw_to_der(sig, clen, der, sizeof(der));
        if (slen == 0)
            return pjwt_err_set(err, PJWT_ERR_SIG, __func__,
                                "bad ECDSA signature");
        s = der;
    } else if (PJWT_ALGSET(alg) & PJWT_ALGSET_ED) {
        if (siglen != 64)
            return pjwt_err_set(err, PJWT_ERR_SIG, __func__,
                                "Ed25519 signature is not 64 bytes");
    }

    if (PJWT_ALGSET(alg) & (PJWT_ALGSET_RS | PJWT_ALGSET_PS)) {
        /* A signature is exactly the modulus length (RFC 8017 8.2.2). */
        EVP_PKEY *pk = pjwt_key_pkey(key, err);

        if (!pk)
            return err && err->code ? err->code : PJWT_ERR_KEY;
        if ((int)siglen != EVP_PKEY_get_size(pk))
            return pjwt_err_set(err, PJWT_ERR_SIG, __func__,
                                "RSA signature has wrong length");
    }
    if (!(ctx = ready_ctx(key, alg, 0, err)))
        return err && err->code ? err->code : PJWT_ERR_INTERNAL;
    if (EVP_DigestVerify(ctx, s, slen, input, inlen) != 1)
        return pjwt_err_set(err, PJWT_ERR_SIG, __func__,
                            "%s signature invalid", pjwt_alg_name(alg));
    return 0;
}

int
pjwt_jws_sig_create(pjwt_key *key, pjwt_alg alg, const void *input,
                    size_t inlen, uint8_t *sig, size_t *siglen,
                    pjwt_err *err)
{
    mdctx_auto EVP_MD_CTX *ctx = NULL;
    uint8_t der[160];
    size_t need = 0;
    int r;

    if ((r = check_binding(key, alg, err)) != 0)
        return r;
    if (!sig || !siglen)
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "no output buffer");

    if (is_hs(alg)) {
        uint8_t tag[64];
        size_t taglen = 0;

        if ((r = hmac(key, alg, input, inlen, tag, &taglen, err)) != 0)
            return r;
        if (*siglen < taglen) {
            OPENSSL_cleanse(tag, sizeof(tag));
            return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "buffer small");
        }
        memcpy(sig, tag, taglen);
        *siglen = taglen;
        OPENSSL_cleanse(tag, sizeof(tag));
        return 0;
    }

    if (!pjwt_key_is_private(key))
        return pjwt_err_set(err, PJWT_ERR_KEY, __func__,
                            "signing needs a private key");
    if (!(ctx = ready_ctx(key, alg, 1, err)))
        return err && err->code ? err->code : PJWT_ERR_INTERNAL;

    if (is_es(alg)) {
        size_t clen = es_coord_len(alg), dlen = sizeof(der);
        const unsigned char *p = der;
        ECDSA_SIG *es;
        const BIGNUM *br, *bs;
        int ok;

        if (*siglen < 2 * clen)
            return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "buffer small");
        if (EVP_DigestSign(ctx, der, &dlen, input, inlen) != 1)
            return pjwt_err_set(err, PJWT_ERR_INTERNAL, __func__,
                                "ECDSA signing failed");
        es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
        if (!es)
            return pjwt_err_set(err, PJWT_ERR_INTERNAL, __func__,
                                "ECDSA signature unreadable");
        ECDSA_SIG_get0(es, &br, &bs);
        ok = BN_bn2binpad(br, sig, (int)clen) == (int)clen
             && BN_bn2binpad(bs, sig + clen, (int)clen) == (int)clen;
        ECDSA_SIG_free(es);
        if (!ok)
            return pjwt_err_set(err, PJWT_ERR_INTERNAL, __func__,
                                "ECDSA signature too long");
        *siglen = 2 * clen;
        return 0;
    }

    /* RSA: the modulus length; Ed25519: 64.  Asking EVP_DigestSign for
       the size would feed the input twice on some paths. */
    {
        int sz = EVP_PKEY_get_size(pjwt_key_pkey(key, NULL));

        if (sz <= 0 || (size_t)sz > *siglen)
            return pjwt_err_set(err, PJWT_ERR_ARG, __func__,
                                "signature buffer too small");
        need = (size_t)sz;
    }
    *siglen = need;
    if (EVP_DigestSign(ctx, sig, siglen, input, inlen) != 1)
        return pjwt_err_set(err, PJWT_ERR_INTERNAL, __func__,
                            "%s signing failed", pjwt_alg_name(alg));
    return 0;
}
