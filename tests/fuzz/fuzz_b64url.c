/*
 * fuzz_b64url: strict base64url.  Decoding must agree with
 * pjwt_b64url_valid, never write past dec_len, and re-encoding what decoded
 * must give back the input exactly (strictness means one encoding per byte
 * string); encoding any bytes must decode back to them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t cap = pjwt_b64url_dec_len(size), n = 0, m = 0;
    uint8_t *out = malloc(cap ? cap : 1), *back = NULL;
    char *enc = NULL;
    int r;

    if (!out)
        return 0;
    r = pjwt_b64url_decode(in, size, out, cap, &n);
    if (size > 0 && (r == 0) != (pjwt_b64url_valid(in, size) != 0))
        abort();
    if (r == 0) {
        if (n > cap)
            abort();
        enc = pjwt_b64url_encode_alloc(out, n);
        if (!enc || strlen(enc) != size || memcmp(enc, in, size) != 0)
            abort();
        free(enc);
    }
    free(out);

    /* The other direction: arbitrary bytes round-trip. */
    enc = pjwt_b64url_encode_alloc(data, size);
    if (!enc)
        return 0;
    if (strlen(enc) != pjwt_b64url_enc_len(size))
        abort();
    back = malloc(pjwt_b64url_dec_len(strlen(enc)) + 1);
    if (back && (pjwt_b64url_decode(enc, strlen(enc), back,
                                    pjwt_b64url_dec_len(strlen(enc)) + 1, &m) != 0 ||
                 m != size || memcmp(back, data, size) != 0))
        abort();
    free(back);
    free(enc);
    return 0;
}
