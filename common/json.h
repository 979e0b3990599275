/*
 * json.h: strict JSON reading on top of jansson, for JOSE headers, claims
 * and JWK files.
 *
 * Strict means: duplicate member names rejected (JSON_REJECT_DUPLICATES),
 * nesting depth bounded by PJWT_JSON_MAX_DEPTH, size bounded by the caller,
 * "\u0000" and raw NUL refused, the top level must be an object (or, by
 * name, an array), trailing garbage refused.
 */
#ifndef PJWT_JSON_H
#define PJWT_JSON_H

#include <stddef.h>
#include <jansson.h>
#include "err.h"

#define PJWT_JSON_MAX_DEPTH 16
#define PJWT_JSON_MAX_SIZE (64 * 1024)   /* JWK/JWKS files: 1 MiB, see keys.c */

/*
 * Parse buf[0..len) as one strict JSON object.  max_size 0 means
 * PJWT_JSON_MAX_SIZE.  Returns a new reference (caller json_decref's it),
 * or NULL with PJWT_ERR_JSON / PJWT_ERR_TOO_LONG / PJWT_ERR_NOMEM in *err.
 */
json_t *pjwt_json_parse_object(const char *buf, size_t len, size_t max_size,
                               pjwt_err *err);

/* The same rules with an array at the top (the trust bundle, bundle.h). */
json_t *pjwt_json_parse_array(const char *buf, size_t len, size_t max_size,
                              pjwt_err *err);

/*
 * Read a NumericDate member (RFC 7519 section 2): a JSON number (integer or
 * real, fractional allowed), finite, within [0, 2^53).  Strings, even
 * numeric ones, are not numbers.  Returns 0 and sets *out; PJWT_ERR_MISSING
 * when absent; PJWT_ERR_CLAIM_TYPE when present but not a valid number.
 */
int pjwt_json_get_date(const json_t *obj, const char *name, double *out,
                       pjwt_err *err);

/*
 * Borrow a string member.  Returns 0 and sets *out (borrowed, valid while
 * obj lives) and *len; PJWT_ERR_MISSING when absent; PJWT_ERR_CLAIM_TYPE when
 * not a string.  Strings with embedded NUL never reach here (refused at
 * parse), but *len is still the true length.
 */
int pjwt_json_get_string(const json_t *obj, const char *name,
                         const char **out, size_t *len, pjwt_err *err);

#endif
