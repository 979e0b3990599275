/*
 * jws_ctx.c: OpenSSL contexts for the JWS algorithms, set up once per key
 * and algorithm and copied for each token.
 *
 * Setting up a signature context in OpenSSL 3 (provider fetches, key-type
 * lookups, HMAC key schedule) costs about as much as a whole RSA-2048
 * verification, while copying a context set up once costs little; so
 * each key keeps, per algorithm, one context
 * for verifying, one for signing (HMAC: one pre-keyed MAC), built on first
 * use.  The cache lives in a slot of the key (pjwt_key_cache, freed by
 * pjwt_key_free through the jws_cache_free recorded there) and is filled
 * with atomic compare-and-swap, so keys shared by threads (the issuer) stay safe: a
 * thread that loses a race frees its copy and uses the winner's.  Cached
 * contexts are only ever read (copied from) after being published.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "jws.h"
#include "jws_impl.h"

typedef struct pjwt_jws_cache {
    EVP_MD_CTX *ver[PJWT_ALG_COUNT];
    EVP_MD_CTX *sig[PJWT_ALG_COUNT];
    EVP_MAC_CTX *mac[PJWT_ALG_COUNT];
} jws_cache;

/* The slot's destructor (pjwt_key_cache): pjwt_key_free calls it. */
static void
jws_cache_free(void *cache)
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

    if (!(slot = pjwt_key_cache(key, jws_cache_free)))
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
    const char *md;
    size_t slen = 0;

    secret = pjwt_key_secret(key, &slen);
    if (!secret)
        return NULL;
    /* alg was checked against the key (jws_sig.c): it has a row */
    md = pjwt_alg_info_of(alg)->md;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)(uintptr_t)md, 0);
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

/* Set up ctx for RS/PS/ES/Ed with the key's EVP_PKEY. */
static int
digest_init(EVP_MD_CTX *ctx, pjwt_key *key, pjwt_alg alg, int sign,
            pjwt_err *err)
{
    EVP_PKEY_CTX *pctx = NULL;
    const char *md = pjwt_alg_info_of(alg)->md;
    EVP_PKEY *pkey;
    int ok;

    pkey = pjwt_key_pkey(key, err);
    if (!pkey)
        return pjwt_err_code(err);
    if (sign)
        ok = EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, pkey, NULL);
    else
        ok = EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pkey, NULL);
    if (ok == 1 && pjwt_alg_family_of(alg) == PJWT_FAM_PS) {
        /* RFC 7518 3.5: MGF1 with the same hash, salt as long as the
           hash.  On verify, RSA_PSS_SALTLEN_DIGEST demands exactly that
           length rather than recovering any salt length. */
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    } else if (ok == 1 && pjwt_alg_family_of(alg) == PJWT_FAM_RS) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    }
    if (ok != 1)
        return PJWT_FAIL(err, PJWT_ERR_INTERNAL,
                         "cannot set up %s", pjwt_alg_name(alg));
    return 0;
}

/* A copy of the key's cached context when possible, else one set up now
   (see jws_impl.h). */
EVP_MD_CTX *
pjwt_jws_md_ctx(pjwt_key *key, pjwt_alg alg, int sign, pjwt_err *err)
{
    jws_cache *c = cache_of(key);
    EVP_MD_CTX **entry = c ? (sign ? &c->sig[alg] : &c->ver[alg]) : NULL;
    EVP_MD_CTX *base = NULL, *ctx;
    pjwt_err local;

    PJWT_ERR_OR_LOCAL(err, local);
    if (entry && !(base = __atomic_load_n(entry, __ATOMIC_ACQUIRE))) {
        EVP_MD_CTX *fresh = EVP_MD_CTX_new();

        if (fresh && digest_init(fresh, key, alg, sign, &local) == 0)
            base = publish((void **)entry, fresh, md_ctx_free);
        else
            EVP_MD_CTX_free(fresh);
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
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

EVP_MAC_CTX *
pjwt_jws_mac_ctx(pjwt_key *key, pjwt_alg alg, pjwt_err *err)
{
    jws_cache *c = cache_of(key);
    EVP_MAC_CTX *base = NULL, *ctx;

    if (c && !(base = __atomic_load_n(&c->mac[alg], __ATOMIC_ACQUIRE))
        && (base = hmac_ctx_new(key, alg)))
        base = publish((void **)&c->mac[alg], base, mac_ctx_free);
    /* Copying the pre-keyed context skips the fetch and key schedule. */
    ctx = base ? EVP_MAC_CTX_dup(base) : hmac_ctx_new(key, alg);
    if (!ctx)
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "HMAC set-up failed");
    return ctx;
}

