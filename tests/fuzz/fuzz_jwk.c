/*
 * fuzz_jwk: JWK and JWKS parsing.  Each input is
 *   - parsed with pjwt_json_parse_object (1 MiB, as key files are) and fed
 *     to pjwt_key_from_jwk, itself or each member of "keys", public-only and
 *     with private members allowed; every key made is exercised (kid,
 *     thumbprint, public JWK/PEM export, find, and for private keys a
 *     sign + verify round trip, which must succeed);
 *   - loaded as a key file with pjwt_keyset_load_file, lazily and eagerly,
 *     through a memfd (format detection PEM/JWK/JWKS, lazy keys selected
 *     by kid then materialised).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "jws.h"
#include "json.h"
#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
use_key(pjwt_key *k)
{
    char tp[PJWT_THUMBPRINT_LEN + 1];
    json_t *pub, *claims;
    char *pem, *tok;
    pjwt_keyset *ks;
    pjwt_token t = { 0 };
    pjwt_alg alg;
    size_t n;

    if (pjwt_key_materialize(k, NULL) != 0)
        return;
    if (!pjwt_key_kid(k))
        abort();    /* never NULL for a valid key */
    if (pjwt_key_thumbprint(k, tp, sizeof(tp), NULL) == 0 &&
        strlen(tp) != PJWT_THUMBPRINT_LEN)
        abort();
    pub = pjwt_key_to_public_jwk(k, NULL);
    if (pub && (json_object_get(pub, "d") || json_object_get(pub, "k")))
        abort();    /* private members never exported */
    json_decref(pub);
    pem = pjwt_key_to_public_pem(k, NULL);
    free(pem);
    (void)pjwt_key_secret(k, &n);
    (void)pjwt_key_kty(k);

    alg = pjwt_key_default_alg(k);
    if (!pjwt_key_is_private(k) || alg == PJWT_ALG_INVALID)
        return;
    if (!(pjwt_key_algs(k) & PJWT_ALGSET(alg)))
        abort();
    claims = json_pack("{s:s,s:i}", "sub", "alice", "exp", 2000000000);
    tok = pjwt_jws_sign(k, alg, NULL, claims, NULL);
    json_decref(claims);
    if (!tok)
        return;     /* a private key that cannot sign is refused, fine */
    ks = pjwt_keyset_new();
    /* The set takes ownership: give it a copy via the public JWK. */
    pub = pjwt_key_to_public_jwk(k, NULL);
    if (ks && pub) {
        pjwt_key *pk = pjwt_key_from_jwk(pub, 0, NULL);

        if (pk && pjwt_keyset_add(ks, pk, NULL) == 0 &&
            pjwt_jws_verify(tok, strlen(tok), 1u << 16, ks, 0, &t, NULL) != 0)
            abort();    /* our own signature with our own key */
        pjwt_token_clear(&t);
    }
    json_decref(pub);
    pjwt_keyset_free(ks);
    free(tok);
}

static void
from_jwk(const json_t *j, unsigned flags)
{
    pjwt_key *k = pjwt_key_from_jwk(j, flags, NULL);

    if (!k)
        return;
    if (!(flags & PJWT_KEYS_PRIVATE) && pjwt_key_kty(k) != PJWT_KTY_OCT &&
        pjwt_key_is_private(k))
        abort();    /* private members were supposed to be refused */
    use_key(k);
    pjwt_key_free(k);
}

static void
load_file(const uint8_t *data, size_t size, unsigned flags)
{
    static const char *kids[] = { "k1", "hs-key", "" };
    pjwt_keyset *ks = pjwt_keyset_new();
    char path[64];
    size_t i, idx;

    if (!ks || fuzz_file(data, size, path, sizeof(path)) != 0) {
        pjwt_keyset_free(ks);
        return;
    }
    if (pjwt_keyset_load_file(ks, path, flags, NULL) == 0) {
        if (pjwt_keyset_count(ks) == 0)
            abort();    /* a file yielding no key is an error */
        for (i = 0; i < pjwt_keyset_count(ks) && i < 16; i++) {
            pjwt_key *k = pjwt_keyset_get(ks, i);
            const char *kid = pjwt_key_kid(k);

            if (kid)
                (void)pjwt_keyset_by_kid(ks, kid, strlen(kid),
                                         pjwt_key_default_alg(k), NULL);
        }
        for (i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
            (void)pjwt_keyset_by_kid(ks, kids[i], strlen(kids[i]),
                                     PJWT_ALG_ES256, NULL);
        /* every candidate in turn: idx moves past each, built or not */
        for (idx = 0; idx < pjwt_keyset_count(ks);)
            (void)pjwt_keyset_next(ks, PJWT_ALG_RS256, &idx, NULL);
        json_decref(pjwt_keyset_to_jwks(ks, NULL));
        (void)pjwt_keyset_algs(ks);
    }
    pjwt_keyset_free(ks);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j, *keys, *v;
    size_t i;

    j = pjwt_json_parse_object((const char *)data, size, PJWT_KEYS_MAX_FILE, NULL);
    if (j) {
        keys = json_object_get(j, "keys");
        if (json_is_array(keys)) {
            json_array_foreach(keys, i, v) {
                if (i >= 16)
                    break;
                from_jwk(v, 0);
                from_jwk(v, PJWT_KEYS_PRIVATE);
            }
        } else {
            from_jwk(j, 0);
            from_jwk(j, PJWT_KEYS_PRIVATE);
        }
        json_decref(j);
    }
    load_file(data, size, 0);
    load_file(data, size, PJWT_KEYS_EAGER | PJWT_KEYS_PRIVATE);
    return 0;
}
