/*
 * b64url.c: strict base64url (RFC 4648 section 5) as JOSE requires it
 * (RFC 7515 section 2): no padding, no whitespace, no '+' or '/', and the
 * unused low bits of the last character zero, so every byte string has
 * exactly one encoding and a token cannot be altered without changing
 * its signing input.
 */
#include <stdlib.h>
#include <string.h>

#include "b64url.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for alphabet characters, 0xff for everything else (including
   '=', '+', '/', whitespace and NUL). */
static const uint8_t rev[256] = {
#define X 0xff
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

size_t
pjwt_b64url_enc_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t
pjwt_b64url_dec_len(size_t n)
{
    return n / 4 * 3 + (n % 4 > 1 ? n % 4 - 1 : 0);
}

size_t
pjwt_b64url_encode(const void *in, size_t inlen, char *out)
{
    const uint8_t *p = in;
    size_t o = 0, i = 0;

    for (; i + 3 <= inlen; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (inlen - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (inlen - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

char *
pjwt_b64url_encode_alloc(const void *in, size_t inlen)
{
    size_t n = pjwt_b64url_enc_len(inlen);
    char *out;

    if (n + 1 < n)
        return NULL;
    out = malloc(n + 1);
    if (!out)
        return NULL;
    pjwt_b64url_encode(in, inlen, out);
    return out;
}

/*
 * Shape and trailing-bit check.  Every character is looked up and the
 * results OR-ed together, so one test at the end catches any byte outside
 * the alphabet (0xff in rev) without a branch per character.
 */
static int
strict_ok(const char *in, size_t inlen)
{
    const uint8_t *s = (const uint8_t *)in;
    uint8_t bad = 0, last;

    if (inlen % 4 == 1)
        return 0;
    for (size_t i = 0; i < inlen; i++)
        bad |= rev[s[i]];
    if (bad & 0x80)
        return 0;
    if (inlen == 0)
        return 1;
    last = rev[s[inlen - 1]];
    /* Two characters carry 12 bits for 8: the low 4 must be 0.  Three
       carry 18 bits for 16: the low 2 must be 0. */
    if (inlen % 4 == 2 && (last & 0x0f))
        return 0;
    if (inlen % 4 == 3 && (last & 0x03))
        return 0;
    return 1;
}

int
pjwt_b64url_decode(const char *in, size_t inlen, uint8_t *out,
                   size_t outcap, size_t *outlen)
{
    const uint8_t *s = (const uint8_t *)in;
    size_t o = 0, i = 0, rest;
    uint32_t bad = 0;
    uint8_t last;

    if (!in && inlen)
        return PJWT_ERR_ARG;
    if (inlen % 4 == 1)
        return PJWT_ERR_B64;
    if (outcap < pjwt_b64url_dec_len(inlen) || (!out && inlen))
        return PJWT_ERR_ARG;
    /* Decode and validate in one pass: an invalid character sets bit 7 of
       its lookup, collected in bad; nothing written is trusted unless bad
       stays clear.  (out may hold garbage on failure, as documented for
       any error return.) */
    for (; i + 4 <= inlen; i += 4) {
        uint8_t a = rev[s[i]], b = rev[s[i + 1]], c = rev[s[i + 2]],
                d = rev[s[i + 3]];
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6
                   | d;

        bad |= (uint32_t)(a | b | c | d);
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    rest = inlen - i;
    if (rest >= 2) {
        uint8_t a = rev[s[i]], b = rev[s[i + 1]];
        uint8_t c = rest == 3 ? rev[s[i + 2]] : 0;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;

        bad |= (uint32_t)(a | b | c);
        out[o++] = (uint8_t)(v >> 16);
        if (rest == 3)
            out[o++] = (uint8_t)(v >> 8);
        /* the unused low bits of the last character must be zero */
        last = rest == 3 ? c : b;
        if (last & (rest == 3 ? 0x03 : 0x0f))
            bad |= 0x80;
    }
    if (bad & 0x80)
        return PJWT_ERR_B64;
    if (outlen)
        *outlen = o;
    return 0;
}

int
pjwt_b64url_valid(const char *in, size_t inlen)
{
    if (!in || inlen == 0)
        return 0;
    return strict_ok(in, inlen);
}
