/*
 * keys_gen.c: new keys for the issuer (pjwt_key_generate).  What to make
 * for an algorithm comes from the tables: an HMAC key as long as the
 * digest (alg.c), the ES algorithm's curve (keys.c), Ed25519 for EdDSA,
 * RSA 3072 for RS and PS.
 */
#include <string.h>
#include <openssl/rand.h>

#include "keys_impl.h"

#define RSA_GEN_BITS 3072

static EVP_PKEY *
generate_pkey(const pjwt_alg_info *ai)
{
    const struct pjwt_crv_info *ci;

    switch (ai->family) {
    case PJWT_FAM_ES:
        ci = pjwt_crv_by_alg(ai->alg);
        return ci ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", ci->jwk) : NULL;
    case PJWT_FAM_ED:
        return EVP_PKEY_Q_keygen(NULL, NULL,
                                 pjwt_crv_info(PJWT_CRV_ED25519)->sn);
    case PJWT_FAM_RS:
    case PJWT_FAM_PS:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_GEN_BITS);
    default:
        return NULL;
    }
}

/* The smallest secret HMAC with ai's digest accepts (RFC 7518 3.2). */
static pjwt_key *
generate_secret(const pjwt_alg_info *ai, pjwt_err *err)
{
    uint8_t secret[64];
    pjwt_key *key;

    if (ai->md_len > sizeof(secret)
        || RAND_priv_bytes(secret, (int)ai->md_len) != 1) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "no random bytes");
        return NULL;
    }
    key = pjwt_key_from_secret(secret, ai->md_len, err);
    OPENSSL_cleanse(secret, sizeof(secret));
    return key;
}

pjwt_key *
pjwt_key_generate(pjwt_alg alg, pjwt_err *err)
{
    const pjwt_alg_info *ai = pjwt_alg_info_of(alg);
    pjwt_key *key = NULL, *ret = NULL;
    EVP_PKEY *pk = NULL;

    if (!ai) {
        PJWT_FAIL(err, PJWT_ERR_ALG, "cannot generate a key for this alg");
        goto out;
    }
    if (ai->family == PJWT_FAM_HS) {
        ret = generate_secret(ai, err);
        goto out;
    }
    if (!(pk = generate_pkey(ai))) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "key generation failed");
        goto out;
    }
    if (!(key = pjwt_key_alloc())) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (pjwt_key_adopt_pkey(key, pk, 1, err) != 0)
        goto out;
    pk = NULL;      /* the key's now */
    if (pjwt_key_set_kid(key, NULL, 0, err) != 0)
        goto out;
    ret = key;
    key = NULL;
out:
    EVP_PKEY_free(pk);
    pjwt_key_free(key);
    return ret;
}
