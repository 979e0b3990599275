/*
 * keys.c: one key bound to one algorithm family and curve (see keys.h).
 * PEM armour lives in pem.c, DER public keys in spki.c, JWK members in
 * jwk.c, EVP_PKEY building in jwkpkey.c, thumbprint members and public
 * JWKs in jwkexport.c, generation and PEM export in keygen.c, key sets
 * and key files in keyset.c, file reading in fileio.c.
 *
 * Public keys are "lazy": they keep their decoded members (struct
 * pjwt_jwk_parts) and get their EVP_PKEY on first use, so a PAM module
 * with several keys configured builds only the one a token selects.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "b64url.h"
#include "fileio.h"
#include "keys_impl.h"

pjwt_key *
pjwt_key_alloc(void)
{
    return calloc(1, sizeof(pjwt_key));
}

/* jws_ctx.c frees what it cached.  Weak: a program that never signs or
   verifies does not pull the JWS code in for this, and then nothing was
   cached. */
#pragma weak pjwt_jws_cache_free

void **
pjwt_key_jws_cache(pjwt_key *key)
{
    return key ? &key->jws_cache : NULL;
}

void
pjwt_key_free(pjwt_key *key)
{
    if (!key)
        return;
    if (key->jws_cache && pjwt_jws_cache_free)
        pjwt_jws_cache_free(key->jws_cache);
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
    pjwt_algset s = 0;

    switch (kty) {
    case PJWT_KTY_RSA:
        return PJWT_ALGSET_RS | PJWT_ALGSET_PS;
    case PJWT_KTY_EC:
        if (crv == PJWT_CRV_P256)
            return PJWT_ALGSET(PJWT_ALG_ES256);
        if (crv == PJWT_CRV_P384)
            return PJWT_ALGSET(PJWT_ALG_ES384);
        if (crv == PJWT_CRV_P521)
            return PJWT_ALGSET(PJWT_ALG_ES512);
        return 0;
    case PJWT_KTY_OKP:
        return crv == PJWT_CRV_ED25519 ? PJWT_ALGSET_ED : 0;
    case PJWT_KTY_OCT:
        /* RFC 7518 section 3.2: the key must be at least as long as the
           hash output, so a 32-byte secret is HS256 only. */
        if (secret_len >= 32)
            s |= PJWT_ALGSET(PJWT_ALG_HS256);
        if (secret_len >= 48)
            s |= PJWT_ALGSET(PJWT_ALG_HS384);
        if (secret_len >= 64)
            s |= PJWT_ALGSET(PJWT_ALG_HS512);
        return s;
    }
    return 0;
}

int
pjwt_key_set_pin(pjwt_key *key, pjwt_alg alg, pjwt_err *err)
{
    if (alg <= PJWT_ALG_INVALID || alg >= PJWT_ALG_COUNT
        || !(key->algs & PJWT_ALGSET(alg)))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "alg %s does not fit the key",
                         pjwt_alg_name(alg) ? pjwt_alg_name(alg) : "?");
    key->pin = alg;
    key->algs = PJWT_ALGSET(alg);
    return 0;
}

static enum pjwt_crv
curve_from_name(const char *name)
{
    /* OpenSSL reports either the SN or the NIST name. */
    if (!strcmp(name, "prime256v1") || !strcmp(name, "P-256"))
        return PJWT_CRV_P256;
    if (!strcmp(name, "secp384r1") || !strcmp(name, "P-384"))
        return PJWT_CRV_P384;
    if (!strcmp(name, "secp521r1") || !strcmp(name, "P-521"))
        return PJWT_CRV_P521;
    return PJWT_CRV_NONE;
}

int
pjwt_pkey_classify(EVP_PKEY *pkey, pjwt_kty *kty, enum pjwt_crv *crv,
                   pjwt_err *err)
{
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
        *crv = curve_from_name(name);
        /* RFC 5480: named curves only.  OpenSSL maps explicit parameters
           that equal a named curve to its name, so ask how it was given. */
        if (EVP_PKEY_get_int_param(pkey,
                OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS, &expl) == 1
            && expl)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "EC key with explicit curve parameters");
        if (*crv == PJWT_CRV_NONE)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "unsupported EC curve %s", name);
        *kty = PJWT_KTY_EC;
        return 0;
    case EVP_PKEY_ED25519:
        *kty = PJWT_KTY_OKP;
        *crv = PJWT_CRV_ED25519;
        return 0;
    default:
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "unsupported key type %s",
                         EVP_PKEY_get0_type_name(pkey)
                             ? EVP_PKEY_get0_type_name(pkey) : "?");
    }
}

int
pjwt_key_adopt_pkey(pjwt_key *key, EVP_PKEY *pkey, int priv, pjwt_err *err)
{
    pjwt_kty kty;
    enum pjwt_crv crv;
    int r;

    r = pjwt_pkey_classify(pkey, &kty, &crv, err);
    if (r != 0)
        return r;
    if (priv) {
        /* The issuer signs with this key: a private half that does not
           match its public half would issue unverifiable tokens. */
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        int ok;
        if (!c)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM,
                             "out of memory");
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
    r = pjwt_thumbprint_members(m, out, err);
    pjwt_jwk_wipe(m);
    json_decref(m);
    return r;
}

int
pjwt_thumbprint_members(const json_t *m, char *out, pjwt_err *err)
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

pjwt_key *
pjwt_key_from_pem(const char *buf, size_t len, unsigned flags, pjwt_err *err)
{
    pjwt_key *key = NULL;
    const char *label = NULL;
    size_t ll = 0, pos = 0, dl = 0;
    uint8_t *der = NULL;
    int r, skip = 0;

    if (!buf) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "no input");
        return NULL;
    }
    /* PEM and nothing else, also after the block we use. */
    if (pjwt_pem_check(buf, len, 0, err) != 0)
        return NULL;
    /* The first block that holds a key: "EC PARAMETERS" (openssl ecparam
       -genkey) and other keyless blocks before it are skipped. */
    for (;;) {
        r = pjwt_pem_next(buf, len, &pos, &label, &ll, &der, &dl, err);
        if (r == 0)
            PJWT_FAIL(err, PJWT_ERR_KEY, "no PEM key block");
        if (r <= 0)
            return NULL;
        key = pjwt_pem_decode(label, ll, der, dl, flags, &skip, err);
        pjwt_secret_free(der, dl);
        if (key || !skip)
            break;
    }
    /* A single key is wanted now: build it (a keyset stays lazy). */
    if (key && (pjwt_key_set_kid(key, NULL, 0, err) != 0
                || pjwt_key_materialize(key, err) != 0)) {
        pjwt_key_free(key);
        key = NULL;
    }
    return key;
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
        || pjwt_jwk_materialize(key, err) != 0) {
        pjwt_key_free(key);
        return NULL;
    }
    return key;
}

pjwt_key *
pjwt_key_from_secret(const void *buf, size_t len, pjwt_err *err)
{
    pjwt_key *key;

    if (!buf || len < PJWT_HMAC_MIN_LEN) {
        PJWT_FAIL(err, PJWT_ERR_KEY,
                  "HMAC secret of %zu bytes (minimum %d)", buf ? len : 0,
                  PJWT_HMAC_MIN_LEN);
        return NULL;
    }
    if (len > PJWT_KEYS_MAX_FILE) {
        PJWT_FAIL(err, PJWT_ERR_KEY, "HMAC secret too long");
        return NULL;
    }
    key = pjwt_key_alloc();
    if (!key || !(key->secret = malloc(len))) {
        pjwt_key_free(key);
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(key->secret, buf, len);
    key->secret_len = len;
    key->kty = PJWT_KTY_OCT;
    key->priv = 1;
    key->algs = pjwt_key_family_algs(PJWT_KTY_OCT, PJWT_CRV_NONE, len);
    if (pjwt_key_set_kid(key, NULL, 0, err) != 0) {
        pjwt_key_free(key);
        return NULL;
    }
    return key;
}

int
pjwt_key_materialize(pjwt_key *key, pjwt_err *err)
{
    if (!key)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no key");
    if (key->pkey || key->kty == PJWT_KTY_OCT)
        return 0;
    if (!key->lazy)
        return PJWT_FAIL(err, PJWT_ERR_KEY, "empty key");
    return pjwt_jwk_materialize(key, err);
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
    if (!key)
        return PJWT_ALG_INVALID;
    if (key->pin != PJWT_ALG_INVALID)
        return key->pin;
    switch (key->kty) {
    case PJWT_KTY_RSA: return PJWT_ALG_RS256;
    case PJWT_KTY_OKP: return PJWT_ALG_EDDSA;
    case PJWT_KTY_OCT: return PJWT_ALG_HS256;
    case PJWT_KTY_EC:
        if (key->crv == PJWT_CRV_P384)
            return PJWT_ALG_ES384;
        if (key->crv == PJWT_CRV_P521)
            return PJWT_ALG_ES512;
        return PJWT_ALG_ES256;
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
