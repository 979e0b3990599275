/*
 * spki.c: public keys from DER without OpenSSL's generic decoder.
 *
 * In OpenSSL 3.0, d2i_PUBKEY and d2i_X509 hand the key to OSSL_DECODER,
 * which searches every decoder of every provider: ~110 us per key warm,
 * and a decoder store to build in a fresh process.  The structures are
 * small and fixed (RFC 5280 SubjectPublicKeyInfo, RFC 8017 RSAPublicKey,
 * RFC 5480 EC points, RFC 8410 Ed25519), so we let OpenSSL's own DER
 * parser split them (d2i_ASN1_SEQUENCE_ANY, d2i_X509_ALGOR) and build the
 * key from its members with EVP_PKEY_fromdata, which is what the decoder
 * ends up doing anyway.  EC imports check that the point is on the curve.
 */
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

static EVP_PKEY *
rsa_from_pkcs1(const uint8_t *der, size_t len)
{
    STACK_OF(ASN1_TYPE) *seq = parse_seq(der, len);
    const ASN1_STRING *n, *e;
    EVP_PKEY *pk = NULL;

    /* INTEGER type V_ASN1_INTEGER only: V_ASN1_NEG_INTEGER is refused. */
    if (seq && sk_ASN1_TYPE_num(seq) == 2
        && (n = member(seq, 0, V_ASN1_INTEGER))
        && (e = member(seq, 1, V_ASN1_INTEGER))
        && ASN1_STRING_length(n) > 0 && ASN1_STRING_length(e) > 0)
        pk = pjwt_pkey_public(PJWT_KTY_RSA, PJWT_CRV_NONE,
                              ASN1_STRING_get0_data(n),
                              (size_t)ASN1_STRING_length(n),
                              ASN1_STRING_get0_data(e),
                              (size_t)ASN1_STRING_length(e));
    free_seq(seq);
    return pk;
}

EVP_PKEY *
pjwt_pkcs1_decode(const uint8_t *der, size_t len, pjwt_err *err)
{
    EVP_PKEY *pk = rsa_from_pkcs1(der, len);

    if (!pk)
        pjwt_err_set(err, PJWT_ERR_KEY, __func__, "malformed RSA PUBLIC KEY");
    return pk;
}

EVP_PKEY *
pjwt_spki_decode(const uint8_t *der, size_t len, pjwt_err *err)
{
    STACK_OF(ASN1_TYPE) *seq = parse_seq(der, len);
    const ASN1_STRING *alg, *bits;
    X509_ALGOR *algor = NULL;
    const ASN1_OBJECT *oid = NULL;
    const void *pval = NULL;
    const unsigned char *p;
    const uint8_t *key;
    size_t kl;
    int ptype = 0, nid, cnid;
    enum pjwt_crv crv = PJWT_CRV_NONE;
    EVP_PKEY *pk = NULL;

    if (!seq || sk_ASN1_TYPE_num(seq) != 2
        || !(alg = member(seq, 0, V_ASN1_SEQUENCE))
        || !(bits = member(seq, 1, V_ASN1_BIT_STRING))
        /* a key is whole octets: no unused bits */
        || ((bits->flags & ASN1_STRING_FLAG_BITS_LEFT) && (bits->flags & 7))) {
        pjwt_err_set(err, PJWT_ERR_KEY, __func__, "malformed PUBLIC KEY");
        goto out;
    }
    p = ASN1_STRING_get0_data(alg);
    algor = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(alg));
    if (!algor || p != ASN1_STRING_get0_data(alg) + ASN1_STRING_length(alg)) {
        pjwt_err_set(err, PJWT_ERR_KEY, __func__, "malformed PUBLIC KEY");
        goto out;
    }
    X509_ALGOR_get0(&oid, &ptype, &pval, algor);
    nid = OBJ_obj2nid(oid);
    key = ASN1_STRING_get0_data(bits);
    kl = (size_t)ASN1_STRING_length(bits);
    switch (nid) {
    case NID_rsaEncryption:
        /* RFC 3279: parameters NULL (absent tolerated, as OpenSSL does). */
        if (ptype == V_ASN1_NULL || ptype == V_ASN1_UNDEF)
            pk = rsa_from_pkcs1(key, kl);
        break;
    case NID_X9_62_id_ecPublicKey:
        if (ptype != V_ASN1_OBJECT) {
            pjwt_err_set(err, PJWT_ERR_KEY, __func__,
                         "EC key with explicit curve parameters");
            goto out;
        }
        cnid = OBJ_obj2nid(pval);
        crv = cnid == NID_X9_62_prime256v1 ? PJWT_CRV_P256
            : cnid == NID_secp384r1 ? PJWT_CRV_P384
            : cnid == NID_secp521r1 ? PJWT_CRV_P521 : PJWT_CRV_NONE;
        if (crv == PJWT_CRV_NONE) {
            pjwt_err_set(err, PJWT_ERR_KEY, __func__,
                         "unsupported EC curve %s",
                         cnid != NID_undef ? OBJ_nid2sn(cnid) : "?");
            goto out;
        }
        pk = pjwt_pkey_public(PJWT_KTY_EC, crv, key, kl, NULL, 0);
        break;
    case NID_ED25519:
        /* RFC 8410: parameters absent, 32-byte key. */
        if (ptype == V_ASN1_UNDEF && kl == 32)
            pk = pjwt_pkey_public(PJWT_KTY_OKP, PJWT_CRV_ED25519, key, kl,
                                  NULL, 0);
        break;
    default:
        pjwt_err_set(err, PJWT_ERR_KEY, __func__, "unsupported key type %s",
                     nid != NID_undef ? OBJ_nid2sn(nid) : "?");
        goto out;
    }
    if (!pk)
        pjwt_err_set(err, PJWT_ERR_KEY, __func__, "malformed %s public key%s",
                     OBJ_nid2sn(nid),
                     nid == NID_X9_62_id_ecPublicKey
                         ? " (point not on the curve?)" : "");
out:
    X509_ALGOR_free(algor);
    free_seq(seq);
    return pk;
}

EVP_PKEY *
pjwt_cert_decode(const uint8_t *der, size_t len, pjwt_err *err)
{
    STACK_OF(ASN1_TYPE) *cert = parse_seq(der, len), *tbs = NULL;
    const ASN1_STRING *t, *spki;
    const ASN1_TYPE *first;
    EVP_PKEY *pk = NULL;
    int off;

    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
       signature }; TBSCertificate ::= SEQUENCE { [0] version OPTIONAL,
       serialNumber, signature, issuer, validity, subject,
       subjectPublicKeyInfo, ... }.  The certificate is only a container
       for its key: no chain, no validity (the JWT's exp governs). */
    if (!cert || sk_ASN1_TYPE_num(cert) != 3
        || !(t = member(cert, 0, V_ASN1_SEQUENCE))
        || !(tbs = parse_seq(ASN1_STRING_get0_data(t),
                             (size_t)ASN1_STRING_length(t)))) {
        pjwt_err_set(err, PJWT_ERR_KEY, __func__, "malformed CERTIFICATE");
        goto out;
    }
    first = sk_ASN1_TYPE_value(tbs, 0);
    off = first && ASN1_TYPE_get(first) == V_ASN1_OTHER ? 1 : 0;
    if (sk_ASN1_TYPE_num(tbs) < off + 7
        || !(spki = member(tbs, off + 5, V_ASN1_SEQUENCE))) {
        pjwt_err_set(err, PJWT_ERR_KEY, __func__, "malformed CERTIFICATE");
        goto out;
    }
    pk = pjwt_spki_decode(ASN1_STRING_get0_data(spki),
                          (size_t)ASN1_STRING_length(spki), err);
out:
    free_seq(tbs);
    free_seq(cert);
    return pk;
}
