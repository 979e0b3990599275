/*
 * keygen.c: new keys for the issuer (pjwt_key_generate) and PEM export.
 */
#include <string.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "fileio.h"
#include "keys_impl.h"

#define RSA_GEN_BITS 3072

pjwt_key *
pjwt_key_generate(pjwt_alg alg, pjwt_err *err)
{
    pjwt_key *key = NULL;
    EVP_PKEY *pk = NULL;
    uint8_t secret[64];
    size_t slen = 0;

    switch (alg) {
    case PJWT_ALG_HS256: slen = 32; break;
    case PJWT_ALG_HS384: slen = 48; break;
    case PJWT_ALG_HS512: slen = 64; break;
    case PJWT_ALG_ES256:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case PJWT_ALG_ES384:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case PJWT_ALG_ES512:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
        break;
    case PJWT_ALG_EDDSA:
    case PJWT_ALG_ED25519:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case PJWT_ALG_RS256: case PJWT_ALG_RS384: case PJWT_ALG_RS512:
    case PJWT_ALG_PS256: case PJWT_ALG_PS384: case PJWT_ALG_PS512:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_GEN_BITS);
        break;
    default:
        PJWT_FAIL(err, PJWT_ERR_ALG, "cannot generate a key "
                  "for this alg");
        return NULL;
    }
    if (slen) {
        if (RAND_priv_bytes(secret, (int)slen) != 1) {
            PJWT_FAIL(err, PJWT_ERR_INTERNAL,
                      "no random bytes");
            return NULL;
        }
        key = pjwt_key_from_secret(secret, slen, err);
        OPENSSL_cleanse(secret, sizeof(secret));
        return key;
    }
    if (!pk) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "key generation failed");
        return NULL;
    }
    key = pjwt_key_alloc();
    if (!key) {
        EVP_PKEY_free(pk);
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (pjwt_key_adopt_pkey(key, pk, 1, err) != 0) {
        EVP_PKEY_free(pk);
        pjwt_key_free(key);
        return NULL;
    }
    if (pjwt_key_set_kid(key, NULL, 0, err) != 0) {
        pjwt_key_free(key);
        return NULL;
    }
    return key;
}

/* The contents of a memory BIO as a new NUL-terminated string. */
static char *
bio_string(BIO *bio, pjwt_err *err)
{
    char *data = NULL, *s;
    long n = BIO_get_mem_data(bio, &data);

    if (n <= 0 || !data) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "PEM export failed");
        return NULL;
    }
    s = malloc((size_t)n + 1);
    if (!s) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    OPENSSL_cleanse(data, (size_t)n);
    return s;
}

static char *
to_pem(pjwt_key *key, int priv, pjwt_err *err)
{
    EVP_PKEY *pk;
    BIO *bio = NULL;
    char *s = NULL;
    int ok;

    if (!key || key->kty == PJWT_KTY_OCT) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "no PEM form for secrets");
        return NULL;
    }
    if (priv && !key->priv) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "not a private key");
        return NULL;
    }
    pk = pjwt_key_pkey(key, err);
    if (!pk)
        return NULL;
    /* secmem: its buffer is cleansed when it grows and when freed */
    bio = BIO_new(priv ? BIO_s_secmem() : BIO_s_mem());
    if (!bio) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    ok = priv ? PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL)
              : PEM_write_bio_PUBKEY(bio, pk);
    if (ok == 1)
        s = bio_string(bio, err);
    else
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "PEM export failed");
    BIO_free(bio);
    return s;
}

char *
pjwt_key_to_public_pem(pjwt_key *key, pjwt_err *err)
{
    return to_pem(key, 0, err);
}

char *
pjwt_key_to_private_pem(pjwt_key *key, pjwt_err *err)
{
    return to_pem(key, 1, err);
}
