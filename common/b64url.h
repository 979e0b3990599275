/*
 * b64url.h: strict base64url (RFC 4648 section 5, RFC 7515 section 2).
 * No '=' padding, no whitespace or line breaks, no '+' or '/', and the
 * unused trailing bits of the last character must be zero; a length of
 * 1 mod 4 is invalid.  Anything else is PJWT_ERR_B64.
 */
#ifndef PJWT_B64URL_H
#define PJWT_B64URL_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* Characters needed to encode n bytes (without the NUL). */
size_t pjwt_b64url_enc_len(size_t n);

/* Upper bound of bytes decoded from n characters. */
size_t pjwt_b64url_dec_len(size_t n);

/*
 * Encode in[0..inlen) into out, which must hold enc_len(inlen)+1 bytes;
 * out is NUL terminated.  Returns the number of characters written.
 */
size_t pjwt_b64url_encode(const void *in, size_t inlen, char *out);

/* As above into a new malloc'd string (caller frees); NULL on ENOMEM. */
char *pjwt_b64url_encode_alloc(const void *in, size_t inlen);

/*
 * Decode in[0..inlen) into out (capacity outcap >= dec_len(inlen)).
 * On success sets *outlen and returns 0; PJWT_ERR_B64 on any non-strict
 * input; PJWT_ERR_ARG when outcap is too small.
 */
int pjwt_b64url_decode(const char *in, size_t inlen, uint8_t *out,
                       size_t outcap, size_t *outlen);

/* 1 when in[0..inlen) is non-empty strict base64url, else 0.  Cheap. */
int pjwt_b64url_valid(const char *in, size_t inlen);

#endif
