/*
 * keys_impl.h: internals shared by the key files (keys.h lists them and
 * their layering).  Not installed, not for other units: they use keys.h.
 * Each section is one file, lowest first; a file uses only the sections
 * above its own.
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
#define PJWT_CRV_MAX_LEN 66     /* the longest coordinate of the curve table */

/* JWK members, base64url-decoded (indexes: the enum below). */
#define PJWT_JWK_NMEMB 11
struct pjwt_jwk_parts {
    uint8_t *v[PJWT_JWK_NMEMB];
    size_t l[PJWT_JWK_NMEMB];
};
enum { PJWT_M_N, PJWT_M_E, PJWT_M_D, PJWT_M_P, PJWT_M_Q, PJWT_M_DP,
       PJWT_M_DQ, PJWT_M_QI, PJWT_M_X, PJWT_M_Y, PJWT_M_K };

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
    void *cache;            /* pjwt_key_cache slot, owned by its filler */
    void (*cache_free)(void *); /* and how to free it */
};

/* ---- keys.c: the struct, its accessors, the curve table ---------------- */

/*
 * Everything libpjwt knows about one curve: one row, OpenSSH's keyimpls[]
 * for curves.  Every other file asks here.
 */
struct pjwt_crv_info {
    enum pjwt_crv crv;
    pjwt_kty kty;           /* EC or OKP */
    const char *jwk;        /* JWK "crv" (RFC 7518 6.2.1.1, RFC 8037), also
                               OpenSSL's group / key type name */
    const char *sn;         /* OpenSSL's short name ("secp384r1") */
    int nid;                /* OpenSSL NID (of the curve, or of Ed25519) */
    size_t len;             /* bytes of one coordinate / of the key */
    pjwt_alg alg;           /* the ES algorithm it signs; for Ed25519 the
                               default of its family (EdDSA) */
    pjwt_algset algs;       /* every algorithm a key of the curve may use */
};

/* The row of crv; NULL for PJWT_CRV_NONE. */
const struct pjwt_crv_info *pjwt_crv_info(enum pjwt_crv crv);
/* The row of a kty's JWK crv name[0..len), exactly; NULL when unknown. */
const struct pjwt_crv_info *pjwt_crv_by_jwk(pjwt_kty kty, const char *name,
                                            size_t len);
/* The row of an OpenSSL group name (SN or NIST name) or NID; NULL. */
const struct pjwt_crv_info *pjwt_crv_by_group(const char *name);
const struct pjwt_crv_info *pjwt_crv_by_nid(int nid);
/* The curve an ES algorithm needs; NULL for any other algorithm. */
const struct pjwt_crv_info *pjwt_crv_by_alg(pjwt_alg alg);

/* A new zeroed key (NULL on ENOMEM). */
pjwt_key *pjwt_key_alloc(void);

/* Algorithms of a kty/curve/secret length before any pin. */
pjwt_algset pjwt_key_family_algs(pjwt_kty kty, enum pjwt_crv crv,
                                 size_t secret_len);

/* Apply a JWK "alg" pin: PJWT_ERR_KEY if alg is not in key->algs. */
int pjwt_key_set_pin(pjwt_key *key, pjwt_alg alg, pjwt_err *err);

/* Skip leading zero octets of an unsigned big-endian integer (keeps one). */
const uint8_t *pjwt_be_minimal(const uint8_t *v, size_t *len);

/* RSA n and e (big-endian, leading zeros allowed): size in range, e odd
   and > 1; else PJWT_ERR_KEY. */
int pjwt_rsa_check(const uint8_t *n, size_t nl, const uint8_t *e, size_t el,
                   pjwt_err *err);

/* Cleanse and free parts (NULL ok). */
void pjwt_jwk_parts_free(struct pjwt_jwk_parts *parts);

/* ---- keys_build.c: members <-> EVP_PKEY, thumbprint, kid --------------- */

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

/*
 * A public EVP_PKEY from raw members: RSA (a = n, b = e, big-endian),
 * EC (a = encoded point, crv), OKP Ed25519 (a = x).  NULL when OpenSSL
 * refuses (e.g. a point not on the curve).
 */
EVP_PKEY *pjwt_pkey_public(pjwt_kty kty, enum pjwt_crv crv, const uint8_t *a,
                           size_t al, const uint8_t *b, size_t bl);

/*
 * The RFC 7638 members of a key (kty and its required members, in any
 * order; oct includes k), as a new object.  For a lazy key these come
 * from the decoded members, else from the EVP_PKEY.
 */
json_t *pjwt_jwk_members(const pjwt_key *key, pjwt_err *err);

/* Wipe the private members' strings in a JWK we own (after parsing). */
void pjwt_jwk_wipe(json_t *jwk);

/* Set key->kid to a copy of kid[0..len), or to the thumbprint when kid is
   NULL. */
int pjwt_key_set_kid(pjwt_key *key, const char *kid, size_t len,
                     pjwt_err *err);

/* ---- keys_spki.c: DER public keys -------------------------------------- */

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

/* ---- keys_pem.c: PEM armour in and out --------------------------------- */

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

/* ---- keys_jwk.c: JWK members in and out -------------------------------- */

/*
 * Parse and check a JWK without building an EVP_PKEY: fills kty, crv,
 * algs, pin, priv, the oct secret, the kid (JWK kid, or the thumbprint
 * computed from the members) and key->lazy for pjwt_key_materialize.
 * *unsupported is set (when not NULL) for keys of a kind libpjwt does not
 * use (other kty/curve, "use" not "sig", non-JWS alg), which a JWKS skips.
 */
int pjwt_jwk_load(pjwt_key *key, const json_t *jwk, unsigned flags,
                  int *unsupported, pjwt_err *err);

#endif
