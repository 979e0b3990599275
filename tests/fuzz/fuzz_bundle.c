/*
 * fuzz_bundle: the trust bundle (bundle.h).  Each input is
 *   - peeked at (pjwt_bundle_peek_jwks: the shape checks alone);
 *   - verified against the fixed P-256 public key of fuzz_keys.h (which the
 *     seeds are signed with), issuer "https://issuer.example", at FUZZ_NOW.
 * Oracles (abort()): a bundle that verifies also peeks; its revocations
 * turn into revoke.h text that pjwt_revoked_load_buf reads back with no
 * more entries than the bundle has; its host jwks.json loads as a key set
 * and carries pamjwt_trust; a failure leaves *out cleared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "fuzz_keys.h"
#include "revoke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pjwt_keyset *trusted;

static void
check_host_files(const pjwt_bundle *b)
{
    pjwt_revoked *rv = pjwt_revoked_new();
    pjwt_keyset *ks = pjwt_keyset_new();
    char *text = pjwt_bundle_revoked_text(b, NULL), *dumped;
    json_t *host = pjwt_bundle_host_jwks(b, NULL);

    if (!rv || !ks || !text || !host)
        abort();
    if (pjwt_revoked_load_buf(rv, "revoked", text, strlen(text), NULL) != 0
        || pjwt_revoked_count(rv) > json_array_size(b->revoked))
        abort();    /* the revoked file must read back */
    if (!json_is_object(json_object_get(host, "pamjwt_trust")))
        abort();
    dumped = json_dumps(host, JSON_COMPACT);
    if (!dumped
        || pjwt_keyset_load_mem(ks, dumped, strlen(dumped), "jwks.json", 0,
                                NULL) != 0
        || pjwt_keyset_count(ks) != json_array_size(json_object_get(
               b->jwks, "keys")))
        abort();    /* every key of a checked bundle loads */
    pjwt_revoked_free(rv);
    pjwt_keyset_free(ks);
    json_decref(host);
    free(dumped);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *peeked;
    pjwt_bundle b;
    pjwt_err e;
    int r;

    if (!trusted) {
        trusted = pjwt_keyset_new();
        if (!trusted
            || pjwt_keyset_load_mem(trusted, fuzz_pub_p256,
                                    strlen(fuzz_pub_p256), "p256", 0,
                                    NULL) != 0)
            abort();
    }
    peeked = pjwt_bundle_peek_jwks((const char *)data, size, NULL);
    r = pjwt_bundle_verify((const char *)data, size, trusted,
                           "https://issuer.example", FUZZ_NOW, &b, &e);
    if (getenv("FUZZ_DEBUG"))   /* replay_* FILE: why did it (not) verify */
        fprintf(stderr, "verify: %d %s\n", r, r ? e.msg : "ok");
    if (r == 0) {
        if (!peeked || !b.payload || b.n_current < 1 || !b.signer[0])
            abort();
        check_host_files(&b);
        pjwt_bundle_clear(&b);
    } else if (b.payload || b.jwks || b.iss) {
        abort();    /* a failure must leave *out cleared */
    }
    json_decref(peeked);
    return 0;
}
