/*
 * keys_spki.c: public keys from DER without OpenSSL's generic decoder.
 *
 * In OpenSSL 3.0, d2i_PUBKEY and d2i_X509 hand the key to OSSL_DECODER,
 * which searches every decoder of every provider: ~110 us per key warm,
 * and a decoder store to build in a fresh process.  The structures are
 * small and fixed (RFC 5280 SubjectPublicKeyInfo, RFC 8017 RSAPublicKey,
 * RFC 5480 EC points, RFC 8410 Ed25519), so we let OpenSSL's own DER
 * parser split them (d2i_ASN1_SEQUENCE_ANY, d2i_X509_ALGOR) and keep the
 * members, exactly as for a JWK: the key is lazy, its thumbprint comes
 * from the members, and EVP_PKEY_fromdata builds it only when a token
 * selects it (keys_build.c; the EC import checks the point is on the curve).
 */
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "keys_impl.h"

static void
free_seq(STACK_OF(ASN1_TYPE) *seq)
{
    sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
}

/* Parse der as one SEQUENCE with nothing after it. */
static STACK_OF(ASN1_TYPE) *
parse_seq(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    STACK_OF(ASN1_TYPE) *seq;

    if (len == 0 || len > PJWT_KEYS_MAX_FILE)
        return NULL;
    seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
    if (seq && p != der + len) {
        free_seq(seq);
        return NULL;
    }
    return seq;
}

static const ASN1_STRING *
member(STACK_OF(ASN1_TYPE) *seq, int i, int type)
{
    const ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);

    if (!t || ASN1_TYPE_get(t) != type)
        return NULL;
    return t->value.asn1_string;
}

static int
keep(struct pjwt_jwk_parts *p, int m, const uint8_t *v, size_t len)
{
    p->v[m] = malloc(len ? len : 1);
    if (!p->v[m])
        return -1;
    memcpy(p->v[m], v, len);
    p->l[m] = len;
    return 0;
}

/*
 * Bind the raw public members to key: RSA (a = n, b = e), EC (a = the
 * encoded point), OKP Ed25519 (a = x).
 */
static int
set_public(pjwt_key *key, pjwt_kty kty, enum pjwt_crv crv, const uint8_t *a,
           size_t al, const uint8_t *b, size_t bl, pjwt_err *err)
{
    const struct pjwt_crv_info *ci = pjwt_crv_info(crv);
    struct pjwt_jwk_parts *p;
    size_t cl = ci ? ci->len : 0;
    EVP_PKEY *pk;
    int r, bad;

    if (kty == PJWT_KTY_RSA && (r = pjwt_rsa_check(a, al, b, bl, err)) != 0)
        return r;
    if (kty == PJWT_KTY_EC && al == 1 + cl && (a[0] == 2 || a[0] == 3)) {
        /* A compressed point has no y to keep: import it now. */
        pk = pjwt_pkey_public(kty, crv, a, al, NULL, 0);
        if (!pk)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "EC point not on the curve");
        r = pjwt_key_adopt_pkey(key, pk, 0, err);
        if (r != 0)
            EVP_PKEY_free(pk);
        return r;
    }
    if ((kty == PJWT_KTY_EC && (al != 1 + 2 * cl || a[0] != 4))
        || (kty == PJWT_KTY_OKP && al != cl))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "malformed public key");
    p = calloc(1, sizeof(*p));
    if (!p)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    if (kty == PJWT_KTY_RSA)
        bad = keep(p, PJWT_M_N, a, al) || keep(p, PJWT_M_E, b, bl);
    else if (kty == PJWT_KTY_EC)
        bad = keep(p, PJWT_M_X, a + 1, cl) || keep(p, PJWT_M_Y, a + 1 + cl, cl);
    else
        bad = keep(p, PJWT_M_X, a, al);
    if (bad) {
        pjwt_jwk_parts_free(p);
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    }
    key->kty = kty;
    key->crv = crv;
    key->algs = pjwt_key_family_algs(kty, crv, 0);
    key->lazy = p;
    return 0;
}

static int
rsa_from_pkcs1(pjwt_key *key, const uint8_t *der, size_t len, pjwt_err *err)
{
    STACK_OF(ASN1_TYPE) *seq = parse_seq(der, len);
    const ASN1_STRING *n, *e;
    int r;

    /* INTEGER type V_ASN1_INTEGER only: V_ASN1_NEG_INTEGER is refused. */
    if (seq && sk_ASN1_TYPE_num(seq) == 2
        && (n = member(seq, 0, V_ASN1_INTEGER))
        && (e = member(seq, 1, V_ASN1_INTEGER))
        && ASN1_STRING_length(n) > 0 && ASN1_STRING_length(e) > 0)
        r = set_public(key, PJWT_KTY_RSA, PJWT_CRV_NONE,
                       ASN1_STRING_get0_data(n), (size_t)ASN1_STRING_length(n),
                       ASN1_STRING_get0_data(e), (size_t)ASN1_STRING_length(e),
                       err);
    else
        r = PJWT_FAIL(err, PJWT_ERR_KEY,
                      "malformed RSA public key");
    free_seq(seq);
    return r;
}

int
pjwt_pkcs1_load(pjwt_key *key, const uint8_t *der, size_t len, pjwt_err *err)
{
    return rsa_from_pkcs1(key, der, len, err);
}

int
pjwt_spki_load(pjwt_key *key, const uint8_t *der, size_t len, pjwt_err *err)
{
    STACK_OF(ASN1_TYPE) *seq = parse_seq(der, len);
    const ASN1_STRING *alg, *bits;
    X509_ALGOR *algor = NULL;
    const ASN1_OBJECT *oid = NULL;
    const void *pval = NULL;
    const unsigned char *p;
    const uint8_t *kd;
    size_t kl;
    int ptype = 0, nid, cnid, r = PJWT_ERR_KEY;
    const struct pjwt_crv_info *ci;

    if (!seq || sk_ASN1_TYPE_num(seq) != 2
        || !(alg = member(seq, 0, V_ASN1_SEQUENCE))
        || !(bits = member(seq, 1, V_ASN1_BIT_STRING))
        /* a key is whole octets: no unused bits */
        || ((bits->flags & ASN1_STRING_FLAG_BITS_LEFT) && (bits->flags & 7))) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "malformed PUBLIC KEY");
        goto out;
    }
    p = ASN1_STRING_get0_data(alg);
    algor = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(alg));
    if (!algor || p != ASN1_STRING_get0_data(alg) + ASN1_STRING_length(alg)) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "malformed PUBLIC KEY");
        goto out;
    }
    X509_ALGOR_get0(&oid, &ptype, &pval, algor);
    nid = OBJ_obj2nid(oid);
    kd = ASN1_STRING_get0_data(bits);
    kl = (size_t)ASN1_STRING_length(bits);
    switch (nid) {
    case NID_rsaEncryption:
        /* RFC 3279: parameters NULL (absent tolerated, as OpenSSL does). */
        if (ptype == V_ASN1_NULL || ptype == V_ASN1_UNDEF)
            r = rsa_from_pkcs1(key, kd, kl, err);
        else
            r = PJWT_FAIL(err, PJWT_ERR_KEY,
                          "RSA key with parameters");
        break;
    case NID_X9_62_id_ecPublicKey:
        if (ptype != V_ASN1_OBJECT) {
            r = PJWT_FAIL(err, PJWT_ERR_KEY,
                          "EC key with explicit curve parameters");
            goto out;
        }
        cnid = OBJ_obj2nid(pval);
        ci = pjwt_crv_by_nid(cnid);
        if (!ci || ci->kty != PJWT_KTY_EC)
            r = PJWT_FAIL(err, PJWT_ERR_KEY, "unsupported EC curve %s",
                          cnid != NID_undef ? OBJ_nid2sn(cnid) : "?");
        else
            r = set_public(key, PJWT_KTY_EC, ci->crv, kd, kl, NULL, 0, err);
        break;
    case NID_ED25519:
        /* RFC 8410: parameters absent. */
        if (ptype == V_ASN1_UNDEF)
            r = set_public(key, PJWT_KTY_OKP, PJWT_CRV_ED25519, kd, kl, NULL,
                           0, err);
        else
            r = PJWT_FAIL(err, PJWT_ERR_KEY,
                          "Ed25519 key with parameters");
        break;
    default:
        r = PJWT_FAIL(err, PJWT_ERR_KEY,
                      "unsupported key type %s",
                      nid != NID_undef ? OBJ_nid2sn(nid) : "?");
    }
out:
    X509_ALGOR_free(algor);
    free_seq(seq);
    return r;
}

int
pjwt_cert_load(pjwt_key *key, const uint8_t *der, size_t len, pjwt_err *err)
{
    STACK_OF(ASN1_TYPE) *cert = parse_seq(der, len), *tbs = NULL;
    const ASN1_STRING *t, *spki;
    const ASN1_TYPE *first;
    int off, r;

    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
       signature }; TBSCertificate ::= SEQUENCE { [0] version OPTIONAL,
       serialNumber, signature, issuer, validity, subject,
       subjectPublicKeyInfo, ... }.  The certificate is only a container
       for its key: no chain, no validity (the JWT's exp governs). */
    if (!cert || sk_ASN1_TYPE_num(cert) != 3
        || !(t = member(cert, 0, V_ASN1_SEQUENCE))
        || !(tbs = parse_seq(ASN1_STRING_get0_data(t),
                             (size_t)ASN1_STRING_length(t)))) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "malformed CERTIFICATE");
        goto out;
    }
    first = sk_ASN1_TYPE_value(tbs, 0);
    off = first && ASN1_TYPE_get(first) == V_ASN1_OTHER ? 1 : 0;
    if (sk_ASN1_TYPE_num(tbs) < off + 7
        || !(spki = member(tbs, off + 5, V_ASN1_SEQUENCE))) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "malformed CERTIFICATE");
        goto out;
    }
    r = pjwt_spki_load(key, ASN1_STRING_get0_data(spki),
                       (size_t)ASN1_STRING_length(spki), err);
out:
    free_seq(tbs);
    free_seq(cert);
    return r;
}
