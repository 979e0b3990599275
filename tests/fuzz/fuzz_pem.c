/*
 * fuzz_pem: PEM and HMAC secret loading.  Each input goes to
 * pjwt_key_from_pem (public only, then private allowed),
 * pjwt_key_from_secret, and as a file (memfd) to pjwt_keyset_load_file and
 * pjwt_keyset_load_secret_file.  Keys made are exported and, when private,
 * must sign something their own public half verifies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "jws.h"
#include "json.h"
#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
use_key(pjwt_key *k)
{
    char tp[PJWT_THUMBPRINT_LEN + 1];
    json_t *claims, *pub;
    pjwt_keyset *ks;
    pjwt_token t = { 0 };
    pjwt_alg alg;
    char *s, *tok;

    if (!pjwt_key_kid(k))
        abort();
    (void)pjwt_key_thumbprint(k, tp, sizeof(tp), NULL);
    pub = pjwt_key_to_public_jwk(k, NULL);
    s = pjwt_key_to_public_pem(k, NULL);
    free(s);
    if (!pjwt_key_is_private(k)) {
        json_decref(pub);
        return;
    }
    s = pjwt_key_to_private_pem(k, NULL);
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
    alg = pjwt_key_default_alg(k);
    claims = json_pack("{s:s}", "sub", "alice");
    tok = pjwt_jws_sign(k, alg, NULL, claims, NULL);
    json_decref(claims);
    ks = pjwt_keyset_new();
    if (tok && pub && ks) {
        pjwt_key *pk = pjwt_key_from_jwk(pub, 0, NULL);

        if (pk && pjwt_keyset_add(ks, pk, NULL) == 0 &&
            pjwt_jws_verify(tok, strlen(tok), 1u << 16, ks, 0, &t, NULL) != 0)
            abort();
        pjwt_token_clear(&t);
    }
    pjwt_keyset_free(ks);
    free(tok);
    json_decref(pub);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    pjwt_keyset *ks;
    pjwt_key *k;
    char path[64];

    k = pjwt_key_from_pem(buf, size, 0, NULL);
    if (k && pjwt_key_is_private(k))
        abort();
    if (k)
        use_key(k);
    pjwt_key_free(k);

    k = pjwt_key_from_pem(buf, size, PJWT_KEYS_PRIVATE, NULL);
    if (k)
        use_key(k);
    pjwt_key_free(k);

    k = pjwt_key_from_secret(data, size, NULL);
    if (k) {
        size_t n = 0;
        const uint8_t *sec = pjwt_key_secret(k, &n);

        if (size < PJWT_HMAC_MIN_LEN || !sec || n != size || memcmp(sec, data, n))
            abort();    /* exactly the bytes, and never a short secret */
        (void)pjwt_key_kid(k);
    }
    pjwt_key_free(k);

    if (fuzz_file(data, size, path, sizeof(path)) != 0)
        return 0;
    ks = pjwt_keyset_new();
    if (ks && pjwt_keyset_load_file(ks, path, PJWT_KEYS_PRIVATE, NULL) == 0) {
        if (pjwt_keyset_count(ks) == 0)
            abort();
        json_decref(pjwt_keyset_to_jwks(ks, NULL));
    }
    pjwt_keyset_free(ks);
    ks = pjwt_keyset_new();
    if (ks)
        (void)pjwt_keyset_load_secret_file(ks, path, 0, NULL);
    pjwt_keyset_free(ks);
    return 0;
}
