/*
 * keys.c: one key bound to one algorithm family and curve (see keys.h):
 * the struct, its accessors, and the curve table.  It calls nothing above
 * it (keys.h gives the layering of the key files).
 *
 * Public keys are "lazy": they keep their decoded members (struct
 * pjwt_jwk_parts) and get their EVP_PKEY on first use (keys_build.c), so
 * a PAM module with several keys configured builds only the one a token
 * selects.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>

#include "fileio.h"
#include "keys_impl.h"

static const struct pjwt_crv_info curves[] = {
    { PJWT_CRV_P256, PJWT_KTY_EC, "P-256", "prime256v1", NID_X9_62_prime256v1,
      32, PJWT_ALG_ES256, PJWT_ALGSET(PJWT_ALG_ES256) },
    { PJWT_CRV_P384, PJWT_KTY_EC, "P-384", "secp384r1", NID_secp384r1,
      48, PJWT_ALG_ES384, PJWT_ALGSET(PJWT_ALG_ES384) },
    { PJWT_CRV_P521, PJWT_KTY_EC, "P-521", "secp521r1", NID_secp521r1,
      66, PJWT_ALG_ES512, PJWT_ALGSET(PJWT_ALG_ES512) },
    { PJWT_CRV_ED25519, PJWT_KTY_OKP, "Ed25519", "ED25519", NID_ED25519,
      32, PJWT_ALG_EDDSA, PJWT_ALGSET_ED },
};
#define NCURVES (sizeof(curves) / sizeof(curves[0]))

const struct pjwt_crv_info *
pjwt_crv_info(enum pjwt_crv crv)
{
    size_t i;

    for (i = 0; i < NCURVES; i++)
        if (curves[i].crv == crv)
            return &curves[i];
    return NULL;
}

const struct pjwt_crv_info *
pjwt_crv_by_jwk(pjwt_kty kty, const char *name, size_t len)
{
    size_t i;

    for (i = 0; name && i < NCURVES; i++)
        if (curves[i].kty == kty && strlen(curves[i].jwk) == len
            && memcmp(curves[i].jwk, name, len) == 0)
            return &curves[i];
    return NULL;
}

const struct pjwt_crv_info *
pjwt_crv_by_group(const char *name)
{
    size_t i;

    /* OpenSSL reports either the SN or the NIST name. */
    for (i = 0; name && i < NCURVES; i++)
        if (curves[i].kty == PJWT_KTY_EC && (!strcmp(name, curves[i].sn)
                                             || !strcmp(name, curves[i].jwk)))
            return &curves[i];
    return NULL;
}

const struct pjwt_crv_info *
pjwt_crv_by_nid(int nid)
{
    size_t i;

    for (i = 0; i < NCURVES; i++)
        if (curves[i].nid == nid)
            return &curves[i];
    return NULL;
}

const struct pjwt_crv_info *
pjwt_crv_by_alg(pjwt_alg alg)
{
    size_t i;

    for (i = 0; i < NCURVES; i++)
        if (curves[i].kty == PJWT_KTY_EC && curves[i].alg == alg)
            return &curves[i];
    return NULL;
}

pjwt_key *
pjwt_key_alloc(void)
{
    return calloc(1, sizeof(pjwt_key));
}

void **
pjwt_key_cache(pjwt_key *key, void (*free_fn)(void *))
{
    if (!key)
        return NULL;
    /* Every filler of the slot passes the same function; the store is
       atomic only so that racing fillers need no lock. */
    __atomic_store_n(&key->cache_free, free_fn, __ATOMIC_RELEASE);
    return &key->cache;
}

void
pjwt_jwk_parts_free(struct pjwt_jwk_parts *parts)
{
    size_t i;

    if (!parts)
        return;
    for (i = 0; i < PJWT_JWK_NMEMB; i++)
        pjwt_secret_free(parts->v[i], parts->l[i]);
    free(parts);
}

void
pjwt_key_free(pjwt_key *key)
{
    if (!key)
        return;
    if (key->cache && key->cache_free)
        key->cache_free(key->cache);
    EVP_PKEY_free(key->pkey);
    pjwt_jwk_parts_free(key->lazy);
    pjwt_secret_free(key->secret, key->secret_len);
    free(key->kid);
    OPENSSL_cleanse(key, sizeof(*key));
    free(key);
}

pjwt_algset
pjwt_key_family_algs(pjwt_kty kty, enum pjwt_crv crv, size_t secret_len)
{
    const struct pjwt_crv_info *ci = pjwt_crv_info(crv);
    const pjwt_alg_info *ai;
    pjwt_algset s = 0;
    int a;

    switch (kty) {
    case PJWT_KTY_RSA:
        return pjwt_algset_family(PJWT_FAM_RS) | pjwt_algset_family(PJWT_FAM_PS);
    case PJWT_KTY_EC:
    case PJWT_KTY_OKP:
        return ci && ci->kty == kty ? ci->algs : 0;
    case PJWT_KTY_OCT:
        /* RFC 7518 section 3.2: the key must be at least as long as the
           hash output, so a 32-byte secret is HS256 only. */
        for (a = PJWT_ALG_INVALID + 1; a < PJWT_ALG_COUNT; a++) {
            ai = pjwt_alg_info_of((pjwt_alg)a);
            if (ai->family == PJWT_FAM_HS && secret_len >= ai->md_len)
                s |= PJWT_ALGSET(a);
        }
        return s;
    }
    return 0;
}

int
pjwt_key_set_pin(pjwt_key *key, pjwt_alg alg, pjwt_err *err)
{
    if (alg <= PJWT_ALG_INVALID || alg >= PJWT_ALG_COUNT
        || !(key->algs & PJWT_ALGSET(alg)))
        return PJWT_FAIL(err, PJWT_ERR_KEY, "alg %s does not fit the key",
                         pjwt_alg_name(alg) ? pjwt_alg_name(alg) : "?");
    key->pin = alg;
    key->algs = PJWT_ALGSET(alg);
    return 0;
}

/* Skip leading zero octets of an unsigned big-endian integer. */
const uint8_t *
pjwt_be_minimal(const uint8_t *v, size_t *len)
{
    while (*len > 1 && *v == 0) {
        v++;
        (*len)--;
    }
    return v;
}

int
pjwt_rsa_check(const uint8_t *n, size_t nl, const uint8_t *e, size_t el,
               pjwt_err *err)
{
    int bits;
    unsigned m;

    n = pjwt_be_minimal(n, &nl);
    bits = (int)(nl * 8);
    for (m = 0x80; m && !(n[0] & m); m >>= 1)
        bits--;
    if (bits < PJWT_RSA_MIN_BITS || bits > PJWT_RSA_MAX_BITS)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "RSA key of %d bits (allowed %d..%d)", bits,
                         PJWT_RSA_MIN_BITS, PJWT_RSA_MAX_BITS);
    e = pjwt_be_minimal(e, &el);
    if (el > 8 || !(e[el - 1] & 1) || (el == 1 && e[0] < 3))
        return PJWT_FAIL(err, PJWT_ERR_KEY, "bad RSA public exponent");
    return 0;
}

pjwt_kty
pjwt_key_kty(const pjwt_key *key)
{
    return key ? key->kty : 0;
}

pjwt_algset
pjwt_key_algs(const pjwt_key *key)
{
    return key ? key->algs : 0;
}

pjwt_alg
pjwt_key_default_alg(const pjwt_key *key)
{
    const struct pjwt_crv_info *ci;

    if (!key)
        return PJWT_ALG_INVALID;
    if (key->pin != PJWT_ALG_INVALID)
        return key->pin;
    switch (key->kty) {
    case PJWT_KTY_RSA: return PJWT_ALG_RS256;
    case PJWT_KTY_OCT: return PJWT_ALG_HS256;
    case PJWT_KTY_EC:
    case PJWT_KTY_OKP:
        ci = pjwt_crv_info(key->crv);
        return ci ? ci->alg : PJWT_ALG_INVALID;
    }
    return PJWT_ALG_INVALID;
}

int
pjwt_key_is_private(const pjwt_key *key)
{
    return key ? key->priv : 0;
}

const char *
pjwt_key_kid(const pjwt_key *key)
{
    return key ? key->kid : NULL;
}

const uint8_t *
pjwt_key_secret(const pjwt_key *key, size_t *len)
{
    if (!key || key->kty != PJWT_KTY_OCT) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = key->secret_len;
    return key->secret;
}
