/*
 * fuzz_jws_hs: compact token verification and claims with an HMAC key
 * (HS256/384/512), the shape of a pam_jwt.so configured with hmac_secret.
 * See fuzz_jws.h for what each input goes through.
 */
#include "fuzz_jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pjwt_keyset *ks;
static pjwt_key *signer;     /* borrowed from ks */

static void
setup(void)
{
    pjwt_key *k;

    ks = pjwt_keyset_new();
    k = pjwt_key_from_secret(fuzz_hmac_secret, strlen(fuzz_hmac_secret), NULL);
    if (!ks || !k || pjwt_keyset_add(ks, k, NULL) != 0)
        abort();
    signer = k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ks)
        setup();
    fuzz_token(ks, PJWT_ALGSET(PJWT_ALG_HS512), (const char *)data, size);
    if (size > 0 && data[0] == '{')
        fuzz_signed_claims(ks, signer, PJWT_ALG_HS256, (const char *)data, size);
    return 0;
}
