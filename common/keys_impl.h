/*
 * keys_impl.h: internals shared by keys.c, jwk.c, pem.c and keyset.c.
 * Not installed, not for other units: they use keys.h.
 */
#ifndef PJWT_KEYS_IMPL_H
#define PJWT_KEYS_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "keys.h"

/* Curves a key may be bound to (0 for RSA and oct). */
enum pjwt_crv {
    PJWT_CRV_NONE = 0, PJWT_CRV_P256, PJWT_CRV_P384, PJWT_CRV_P521,
    PJWT_CRV_ED25519
};

#define PJWT_RSA_MIN_BITS 2048
#define PJWT_RSA_MAX_BITS 16384

struct pjwt_key {
    pjwt_kty kty;
    enum pjwt_crv crv;
    pjwt_algset algs;       /* after the JWK "alg" pin */
    pjwt_alg pin;           /* PJWT_ALG_INVALID when not pinned */
    int priv;               /* holds private material */
    int own_kid;            /* kid came from the JWK, not the thumbprint */
    EVP_PKEY *pkey;         /* NULL for oct, and for lazy keys until used */
    struct pjwt_jwk_parts *lazy; /* lazy JWK: decoded members, until
                                    materialised */
    uint8_t *secret;        /* oct only; cleansed on free */
    size_t secret_len;
    char *kid;              /* never NULL once loaded */
    void *jws_cache;        /* pjwt_key_jws_cache slot, owned by jws */
};

/* The jws cache slot (declared in keys.h/jws.h too, see there). */
void **pjwt_key_jws_cache(pjwt_key *key);
void pjwt_jws_cache_free(void *cache);

/* A new zeroed key (NULL on ENOMEM). */
pjwt_key *pjwt_key_alloc(void);

/* Algorithms of a kty/curve/secret length before any pin. */
pjwt_algset pjwt_key_family_algs(pjwt_kty kty, enum pjwt_crv crv,
                                 size_t secret_len);

/* Apply a JWK "alg" pin: PJWT_ERR_KEY if alg is not in key->algs. */
int pjwt_key_set_pin(pjwt_key *key, pjwt_alg alg, pjwt_err *err);

/*
 * Check an EVP_PKEY's type, curve and size (PJWT_ERR_KEY for anything not
 * supported) and set *kty and *crv.
 */
int pjwt_pkey_classify(EVP_PKEY *pkey, pjwt_kty *kty, enum pjwt_crv *crv,
                       pjwt_err *err);

/*
 * Bind an EVP_PKEY to key (classify, set kty/crv/algs, priv as given);
 * takes ownership of pkey on success only.
 */
int pjwt_key_adopt_pkey(pjwt_key *key, EVP_PKEY *pkey, int priv,
                        pjwt_err *err);

/* Set key->kid to a copy of kid[0..len), or to the thumbprint when kid is
   NULL. */
int pjwt_key_set_kid(pjwt_key *key, const char *kid, size_t len,
                     pjwt_err *err);

/* RFC 7638 thumbprint of a members object (see pjwt_jwk_members). */
int pjwt_thumbprint_members(const json_t *m, char *out, pjwt_err *err);

/* ---- jwk.c ---- */

/* JWK members, base64url-decoded (indexes: enum in jwk.c). */
#define PJWT_JWK_NMEMB 11
struct pjwt_jwk_parts {
    uint8_t *v[PJWT_JWK_NMEMB];
    size_t l[PJWT_JWK_NMEMB];
};
enum { PJWT_M_N, PJWT_M_E, PJWT_M_D, PJWT_M_P, PJWT_M_Q, PJWT_M_DP,
       PJWT_M_DQ, PJWT_M_QI, PJWT_M_X, PJWT_M_Y, PJWT_M_K };

/* Coordinate/key length of a curve (0 for none) and its JWK crv name. */
size_t pjwt_crv_len(enum pjwt_crv crv);
const char *pjwt_crv_name(enum pjwt_crv crv);

/* Skip leading zero octets of an unsigned big-endian integer (keeps one). */
const uint8_t *pjwt_be_minimal(const uint8_t *v, size_t *len);

/* RSA n and e (big-endian, leading zeros allowed): size in range, e odd
   and > 1; else PJWT_ERR_KEY. */
int pjwt_rsa_check(const uint8_t *n, size_t nl, const uint8_t *e, size_t el,
                   pjwt_err *err);

/* Cleanse and free parts (NULL ok). */
void pjwt_jwk_parts_free(struct pjwt_jwk_parts *parts);

/*
 * Parse and check a JWK without building an EVP_PKEY: fills kty, crv,
 * algs, pin, priv, the oct secret, the kid (JWK kid, or the thumbprint
 * computed from the members) and key->lazy for pjwt_jwk_materialize.
 * *unsupported is set (when not NULL) for keys of a kind libpjwt does not
 * use (other kty/curve, "use" not "sig", non-JWS alg), which a JWKS skips.
 */
int pjwt_jwk_load(pjwt_key *key, const json_t *jwk, unsigned flags,
                  int *unsupported, pjwt_err *err);

/* ---- jwkpkey.c ---- */

/* Build key->pkey from key->lazy (EVP_PKEY_fromdata) and drop the parts. */
int pjwt_jwk_materialize(pjwt_key *key, pjwt_err *err);

/*
 * A public EVP_PKEY from raw members: RSA (a = n, b = e, big-endian),
 * EC (a = encoded point, crv), OKP Ed25519 (a = x).  NULL when OpenSSL
 * refuses (e.g. a point not on the curve).
 */
EVP_PKEY *pjwt_pkey_public(pjwt_kty kty, enum pjwt_crv crv, const uint8_t *a,
                           size_t al, const uint8_t *b, size_t bl);

/* ---- spki.c ---- */

/*
 * DER public keys without OpenSSL's decoder search: SubjectPublicKeyInfo,
 * PKCS#1 RSAPublicKey, and the SPKI inside an X.509 certificate.  Fills a
 * new key's kty/crv/algs and its members as lazy parts (no EVP_PKEY yet,
 * like a JWK; compressed EC points are imported at once), 0 or
 * PJWT_ERR_KEY.
 */
int pjwt_spki_load(pjwt_key *key, const uint8_t *der, size_t len,
                   pjwt_err *err);
int pjwt_pkcs1_load(pjwt_key *key, const uint8_t *der, size_t len,
                    pjwt_err *err);
int pjwt_cert_load(pjwt_key *key, const uint8_t *der, size_t len,
                   pjwt_err *err);

/* ---- jwkexport.c ---- */

/*
 * The RFC 7638 members of a key (kty and its required members, in any
 * order; oct includes k), as a new object.  For a lazy key these come
 * from the JWK, else from the EVP_PKEY.
 */
json_t *pjwt_jwk_members(const pjwt_key *key, pjwt_err *err);

/* Wipe the private members' strings in a JWK we own (after parsing). */
void pjwt_jwk_wipe(json_t *jwk);

/* ---- pem.c ---- */

/*
 * Find the next PEM block in buf[*pos..len): sets the label (borrowed from
 * buf) and a malloc'd DER body (cleanse and free with pjwt_secret_free),
 * advances *pos.  Returns 1 for a block, 0 when only whitespace is left,
 * or an error (PJWT_ERR_KEY for broken armour or base64, and for anything
 * but whitespace outside the blocks: see pjwt_pem_check).
 */
int pjwt_pem_next(const char *buf, size_t len, size_t *pos,
                  const char **label, size_t *label_len,
                  uint8_t **der, size_t *der_len, pjwt_err *err);

/*
 * Decode one DER body by its PEM label into a new key without kid (the
 * caller sets it).  Public keys come back lazy (members only), private
 * keys (which need PJWT_KEYS_PRIVATE) built and pairwise-checked.  NULL
 * with *err set; *skip is set (when not NULL) for labels that hold no key
 * ("EC PARAMETERS", unknown labels), which a multi-block file skips.
 */
pjwt_key *pjwt_pem_decode(const char *label, size_t label_len,
                          const uint8_t *der, size_t der_len, unsigned flags,
                          int *skip, pjwt_err *err);

#endif
