/*
 * jwkexport.c: a key's RFC 7638 members (thumbprints) and its public JWK,
 * from the decoded JWK members of a lazy key or from the EVP_PKEY.
 */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "b64url.h"
#include "fileio.h"
#include "keys_impl.h"

size_t
pjwt_crv_len(enum pjwt_crv crv)
{
    switch (crv) {
    case PJWT_CRV_P256: return 32;
    case PJWT_CRV_P384: return 48;
    case PJWT_CRV_P521: return 66;
    case PJWT_CRV_ED25519: return 32;
    default: return 0;
    }
}

const char *
pjwt_crv_name(enum pjwt_crv crv)
{
    switch (crv) {
    case PJWT_CRV_P256: return "P-256";
    case PJWT_CRV_P384: return "P-384";
    case PJWT_CRV_P521: return "P-521";
    case PJWT_CRV_ED25519: return "Ed25519";
    default: return NULL;
    }
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
    const uint8_t *v;
    uint8_t raw[32];
    size_t len = sizeof(raw), cl = pjwt_crv_len(key->crv);
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
        bad |= json_object_set_new(m, "kty", json_string("EC"))
            || json_object_set_new(m, "crv",
                                   json_string(pjwt_crv_name(key->crv)));
        if (p)
            bad |= set_b64(m, "x", p->v[PJWT_M_X], cl)
                || set_b64(m, "y", p->v[PJWT_M_Y], cl);
        else
            bad |= !key->pkey
                || set_bn(m, "x", key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, cl)
                || set_bn(m, "y", key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, cl);
        break;
    case PJWT_KTY_OKP:
        bad |= json_object_set_new(m, "kty", json_string("OKP"))
            || json_object_set_new(m, "crv", json_string("Ed25519"));
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
        PJWT_FAIL(err, PJWT_ERR_INTERNAL,
                  "cannot export the key's members");
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

json_t *
pjwt_key_to_public_jwk(pjwt_key *key, pjwt_err *err)
{
    json_t *m;

    if (!key || key->kty == PJWT_KTY_OCT) {
        PJWT_FAIL(err, PJWT_ERR_ARG,
                  "secret keys have no public JWK");
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
