/*
 * alg.h: the JWS algorithms libpjwt implements (RFC 7518, RFC 8037,
 * RFC 9864), named exactly and case-sensitively.  "none" has no value here:
 * it can never be allowed.
 */
#ifndef PJWT_ALG_H
#define PJWT_ALG_H

#include <stddef.h>
#include <stdint.h>

typedef enum pjwt_alg {
    PJWT_ALG_INVALID = 0,   /* unknown, "none", "None", "HS256 ", ... */
    PJWT_ALG_HS256, PJWT_ALG_HS384, PJWT_ALG_HS512,
    PJWT_ALG_RS256, PJWT_ALG_RS384, PJWT_ALG_RS512,
    PJWT_ALG_PS256, PJWT_ALG_PS384, PJWT_ALG_PS512,
    PJWT_ALG_ES256, PJWT_ALG_ES384, PJWT_ALG_ES512,
    PJWT_ALG_EDDSA,         /* "EdDSA" (RFC 8037) */
    PJWT_ALG_ED25519,       /* "Ed25519" (RFC 9864 fully specified name) */
    PJWT_ALG_COUNT
} pjwt_alg;

/* A set of algorithms: bit (1u << alg). */
typedef uint32_t pjwt_algset;
#define PJWT_ALGSET(a) ((pjwt_algset)1u << (a))
#define PJWT_ALGSET_HS (PJWT_ALGSET(PJWT_ALG_HS256) | PJWT_ALGSET(PJWT_ALG_HS384) | PJWT_ALGSET(PJWT_ALG_HS512))
#define PJWT_ALGSET_RS (PJWT_ALGSET(PJWT_ALG_RS256) | PJWT_ALGSET(PJWT_ALG_RS384) | PJWT_ALGSET(PJWT_ALG_RS512))
#define PJWT_ALGSET_PS (PJWT_ALGSET(PJWT_ALG_PS256) | PJWT_ALGSET(PJWT_ALG_PS384) | PJWT_ALGSET(PJWT_ALG_PS512))
#define PJWT_ALGSET_ED (PJWT_ALGSET(PJWT_ALG_EDDSA) | PJWT_ALGSET(PJWT_ALG_ED25519))

/* The families, each one signature scheme (RFC 7518 section 3). */
typedef enum pjwt_alg_family {
    PJWT_FAM_NONE = 0,
    PJWT_FAM_HS,            /* HMAC */
    PJWT_FAM_RS,            /* RSASSA-PKCS1-v1_5 */
    PJWT_FAM_PS,            /* RSASSA-PSS, MGF1 with the same hash */
    PJWT_FAM_ES,            /* ECDSA, raw R||S */
    PJWT_FAM_ED             /* EdDSA (Ed25519) */
} pjwt_alg_family;

/*
 * Everything libpjwt knows about one algorithm, in one row of one table
 * (alg.c): the rest of the library asks here instead of switching on the
 * algorithm.  The curve an ES algorithm needs is the curve table's
 * (keys_impl.h), which names its algorithm.
 */
typedef struct pjwt_alg_info {
    pjwt_alg alg;
    const char *name;       /* the JOSE name, "ES384" */
    pjwt_alg_family family;
    const char *md;         /* OpenSSL digest name; NULL for EdDSA, which
                               hashes internally */
    size_t md_len;          /* digest bytes: an HMAC tag, and the shortest
                               HMAC key (RFC 7518 3.2); 0 for EdDSA */
    size_t sig_len;         /* every signature's exact length (HS tag, ES
                               R||S, Ed25519); 0 for RSA: the modulus' */
} pjwt_alg_info;

/* The row of alg, or NULL for PJWT_ALG_INVALID / out of range. */
const pjwt_alg_info *pjwt_alg_info_of(pjwt_alg alg);

/* The family of alg (PJWT_FAM_NONE when invalid). */
pjwt_alg_family pjwt_alg_family_of(pjwt_alg alg);

/* Every algorithm of a family, as a set. */
pjwt_algset pjwt_algset_family(pjwt_alg_family family);

/* Exact, case-sensitive lookup of name[0..len); PJWT_ALG_INVALID if unknown. */
pjwt_alg pjwt_alg_from_name(const char *name, size_t len);

/* Static name ("ES256"), or NULL for PJWT_ALG_INVALID / out of range. */
const char *pjwt_alg_name(pjwt_alg alg);

/*
 * Parse a comma-separated list ("ES256,EdDSA"; spaces around items
 * allowed) into *out.  Returns 0, or PJWT_ERR_ALG naming the bad item in
 * *err (never accepts "none").
 */
struct pjwt_err;
int pjwt_algset_parse(const char *list, pjwt_algset *out, struct pjwt_err *err);

#endif
