/*
 * fuzz_jws_ec: compact token verification and claims with public keys:
 * EC P-256/P-384/P-521 (ES256/384/512), plus Ed25519 and RSA 2048 in the
 * same keyset so alg confusion across families is in reach.  Claims-mode
 * inputs are signed ES256 with the P-256 private key.  See fuzz_jws.h.
 */
#include "fuzz_jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pjwt_keyset *ks;
static pjwt_key *signer;     /* borrowed from ks */

static void
add_pem(const char *pem, unsigned flags, pjwt_key **out)
{
    pjwt_key *k = pjwt_key_from_pem(pem, strlen(pem), flags, NULL);

    if (!k || pjwt_keyset_add(ks, k, NULL) != 0)
        abort();
    if (out)
        *out = k;
}

static void
setup(void)
{
    ks = pjwt_keyset_new();
    if (!ks)
        abort();
    /* The P-256 key goes in as the private key: it signs claims-mode
       inputs and verifies ES256 seeds alike. */
    add_pem(fuzz_priv_p256, PJWT_KEYS_PRIVATE, &signer);
    add_pem(fuzz_pub_p384, 0, NULL);
    add_pem(fuzz_pub_p521, 0, NULL);
    add_pem(fuzz_pub_ed25519, 0, NULL);
    add_pem(fuzz_pub_rsa, 0, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ks)
        setup();
    fuzz_token(ks, PJWT_ALGSET(PJWT_ALG_ES256) | PJWT_ALGSET(PJWT_ALG_PS256),
               (const char *)data, size);
    if (size > 0 && data[0] == '{')
        fuzz_signed_claims(ks, signer, PJWT_ALG_ES256, (const char *)data, size);
    return 0;
}
