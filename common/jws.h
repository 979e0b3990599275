/*
 * jws.h: JWS compact serialization (RFC 7515), sign and verify.
 *
 * Verification rules, none of them optional:
 *  - the token length is checked against max_len before anything is decoded;
 *  - exactly three non-empty strict base64url segments;
 *  - the header is a strict JSON object with a string "alg" that is on the
 *    caller's allowlist AND among the selected key's algorithms, compared
 *    exactly; "none" never verifies;
 *  - "crit" present -> rejected (libpjwt implements no extensions), "b64"
 *    present -> rejected; "jwk", "jku", "x5u", "x5c" are ignored for key
 *    selection; "kid" (a string when present) only selects among loaded keys;
 *  - ES* signatures are exactly the raw R||S length (64/96/132 bytes);
 *    HMAC tags are length-checked then compared with CRYPTO_memcmp;
 *  - the payload is a strict JSON object (the claims).
 */
#ifndef PJWT_JWS_H
#define PJWT_JWS_H

#include <stddef.h>
#include <jansson.h>
#include "alg.h"
#include "err.h"
#include "keys.h"

#define PJWT_MAX_TOKEN_LEN_DEFAULT 8192

/* Result of a successful parse/verify.  Clear with pjwt_token_clear. */
typedef struct pjwt_token {
    json_t *header;       /* owned reference */
    json_t *claims;       /* owned reference */
    pjwt_alg alg;         /* the header's alg */
    const char *kid;      /* borrowed from header, NULL when absent */
    pjwt_key *key;        /* verify only: the key that verified (borrowed
                             from the keyset) */
} pjwt_token;

void pjwt_token_clear(pjwt_token *t);    /* json_decref both, zero; NULL ok */

/*
 * Whether input is meant as a JWS: it begins "eyJ" (base64url of '{"', how
 * every JSON header starts) and holds at least two '.'.  This is the one
 * definition of "a token" as opposed to "a password" (pam_jwt.so returns
 * PAM_IGNORE for anything else): whatever is shaped like this and fails any
 * check is a bad token, never a password, so padding, a fourth segment,
 * non-canonical base64url or a duplicate header member cannot turn a bad
 * token into something handed to the next module.  Reads only s[0..len).
 */
int pjwt_jws_shaped(const char *s, size_t len);

/*
 * Split and decode a compact token without verifying anything but its
 * shape: length <= max_len (0: default), three strict base64url segments,
 * header and payload strict JSON objects, header "alg" a string.  Used by
 * jwtctl decode and by the PAM module for the log fields of a refused
 * token.  alg is PJWT_ALG_INVALID when the name is unknown.
 * Returns 0 and fills *out, or an error (PJWT_ERR_TOO_LONG, _FORMAT, _B64,
 * _JSON, _ALG when alg is missing or not a string).
 */
int pjwt_jws_parse(const char *compact, size_t len, size_t max_len,
                   pjwt_token *out, pjwt_err *err);

/*
 * Verify a compact token against the keyset.  allowed is the caller's
 * allowlist (from configuration); 0 means "what the keys allow".  On
 * success returns 0 and fills *out (header, claims, alg, kid, key);
 * claims are NOT checked here (see claims.h).  On failure *out is left
 * cleared and the error code says which rule failed.
 */
int pjwt_jws_verify(const char *compact, size_t len, size_t max_len,
                    pjwt_keyset *ks, pjwt_algset allowed, pjwt_token *out,
                    pjwt_err *err);

/*
 * pjwt_jws_parse and pjwt_jws_verify with a payload of up to max_payload
 * bytes of JSON (0: PJWT_JSON_MAX_SIZE) where they keep to that bound:
 * for the trust bundle (bundle.h), whose revocation list outgrows what a
 * token's claims may be.  The header keeps PJWT_JSON_MAX_SIZE.
 */
int pjwt_jws_parse_sized(const char *compact, size_t len, size_t max_len,
                         size_t max_payload, pjwt_token *out, pjwt_err *err);
int pjwt_jws_verify_sized(const char *compact, size_t len, size_t max_len,
                          size_t max_payload, pjwt_keyset *ks,
                          pjwt_algset allowed, pjwt_token *out,
                          pjwt_err *err);

/*
 * Sign claims with key using alg (which must be in pjwt_key_algs(key) and
 * the key must be private / oct).  header_extra (may be NULL) is copied and
 * gets "alg" set; "kid" is set to pjwt_key_kid(key) unless header_extra has
 * one; "typ" is left to the caller.  Returns a malloc'd NUL-terminated
 * compact token (caller frees) or NULL with *err set.  ES* signatures are
 * produced as raw R||S.
 */
char *pjwt_jws_sign(pjwt_key *key, pjwt_alg alg, const json_t *header_extra,
                    const json_t *claims, pjwt_err *err);

/*
 * Low-level: sign / verify a signing input directly (used by sign/verify
 * above, by benchmarks and by the Wycheproof tests).  sig is raw JOSE form
 * (R||S for ES*).  pjwt_jws_sig_verify returns 0 or PJWT_ERR_SIG for a
 * signature that does not hold (wrong length or form included);
 * PJWT_ERR_ALG when alg is not one of the key's algorithms (an RSA key
 * is never an HMAC key); PJWT_ERR_KEY/_INTERNAL/_NOMEM for failures that
 * are not the signature's.  pjwt_jws_sig_create writes into sig
 * (capacity *siglen, updated).
 */
int pjwt_jws_sig_verify(pjwt_key *key, pjwt_alg alg, const void *input,
                        size_t inlen, const uint8_t *sig, size_t siglen,
                        pjwt_err *err);
int pjwt_jws_sig_create(pjwt_key *key, pjwt_alg alg, const void *input,
                        size_t inlen, uint8_t *sig, size_t *siglen,
                        pjwt_err *err);
#define PJWT_SIG_MAX 1024  /* RSA 8192 bits */

#endif
