/*
 * bundle.h: the signed trust bundle, the one document that carries an
 * issuer's public keys and its revocation list to every host
 * (jwt-issuerd serves it at /.well-known/pamjwt-trust.jws; jwtctl sync
 * checks it and installs jwks.json and revoked from it).
 *
 * Wire form: a JSON array of 1..PJWT_BUNDLE_MAX_SIGS JWS compact strings,
 * one per signing key, every one over the same payload bytes, each with
 * the protected header {"alg", "kid", "typ": PJWT_BUNDLE_TYP}.  One
 * compact JWS per key (rather than the JSON general serialization) keeps
 * each signature checkable by the strict compact verifier (jws.h) that
 * every token already goes through.  The typ keeps a bundle from ever
 * being taken for a token and a token for a bundle.
 *
 * Payload (a strict JSON object, unknown members refused):
 *   "iss"      the issuer (string)
 *   "version"  integer >= 1, grows with every change of keys or
 *              revocations (a host never installs a lower one)
 *   "iat","exp" integers: when it was signed, when it stops being valid
 *   "jwks"     {"keys":[JWK...]}: every published public key, each with
 *              a string "kid" and "pamjwt_state" (pjwt_key_state_name)
 *   "revoked"  [{"jti":S} | {"sub":S} | {"sub":S,"before":EPOCH}...]:
 *              the revoke.h file's entries; S is 1..PJWT_BUNDLE_MAX_NAME
 *              printable ASCII bytes without blanks, not starting with '#'
 *
 * On a host the keys go to jwks.json with one more top-level member,
 * "pamjwt_trust": {"iss","version","iat","exp"} (pjwt_trust_info), which
 * the module reads for max_trust_age and jwtctl sync for rollback checks.
 * A JWKS reader ignores members it does not know (RFC 7517), so the file
 * stays an ordinary JWKS for everything else.
 */
#ifndef PJWT_BUNDLE_H
#define PJWT_BUNDLE_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "err.h"
#include "keys.h"

#define PJWT_BUNDLE_TYP "pamjwt-trust+jwt"
#define PJWT_BUNDLE_MAX (1024 * 1024)     /* larger answers are refused */
#define PJWT_BUNDLE_MAX_SIGS 16
#define PJWT_BUNDLE_MAX_KEYS 64
#define PJWT_BUNDLE_MAX_REVOKED 100000
#define PJWT_BUNDLE_MAX_NAME 256
#define PJWT_BUNDLE_IAT_SKEW 300          /* iat at most this far ahead */

/* A published key's place in the rotation schedule. */
typedef enum pjwt_key_state {
    PJWT_KEY_NEXT = 1,       /* published ahead; not signing yet */
    PJWT_KEY_CURRENT,        /* signs tokens (and the bundle) */
    PJWT_KEY_RETIRING,       /* signed until recently; tokens still live */
    PJWT_KEY_PUBLISHED       /* fixed mode's publish_key: role unknown */
} pjwt_key_state;

/* "next", "current", "retiring", "published"; NULL for anything else. */
const char *pjwt_key_state_name(pjwt_key_state s);
/* The state named s, or 0. */
pjwt_key_state pjwt_key_state_parse(const char *s);

/*
 * A name that one line of the revoke.h file can carry (a revoked jti or
 * sub; and a kid or iss that a message can quote): s[0..len) is 1..max
 * printable ASCII bytes, no blank, and no leading '#', which would make
 * the line a comment.  1 or 0.  Public because the issuer's store refuses,
 * by this very rule, what a bundle could not carry.
 */
int pjwt_bundle_name_ok(const char *s, size_t len, size_t max);

/* A checked bundle.  Clear with pjwt_bundle_clear. */
typedef struct pjwt_bundle {
    json_t *payload;          /* owned */
    const char *iss;          /* borrowed from payload */
    long long version, iat, exp;
    json_t *jwks;             /* borrowed: {"keys":[...]} */
    json_t *revoked;          /* borrowed: array */
    size_t n_current;         /* current keys that load */
    char signer[PJWT_BUNDLE_MAX_NAME + 1];  /* kid whose signature held */
} pjwt_bundle;

void pjwt_bundle_clear(pjwt_bundle *b);           /* NULL ok */

/*
 * The key set a bundle claims, before anything is verified: only for a
 * first install that pins one of them (jwtctl sync --trust-kid), whose
 * caller keeps those keys whose RFC 7638 thumbprint is the pinned one and
 * then calls pjwt_bundle_verify with them.  New reference or NULL with
 * *err set (the shape checks of pjwt_bundle_verify).
 */
json_t *pjwt_bundle_peek_jwks(const char *buf, size_t len, pjwt_err *err);

/*
 * Check buf[0..len) completely: size, shape, typ, identical payloads, at
 * least one signature by a key of trusted (with its own algorithm), iss
 * equal to expected_iss (NULL: any, for a caller that compares itself),
 * 1 <= version, iat <= now + PJWT_BUNDLE_IAT_SKEW, now < exp, every key
 * a public JWK with kid and state, at least one current key that loads,
 * every revocation entry well formed.  0 and *out filled, or an error
 * (PJWT_ERR_TOO_LONG, _FORMAT, _JSON, _HEADER, _SIG / _NO_KEY for no
 * trusted signature, _ISS, _EXP, _IAT, _KEY, _CLAIM...) with *out cleared.
 */
int pjwt_bundle_verify(const char *buf, size_t len, pjwt_keyset *trusted,
                       const char *expected_iss, time_t now, pjwt_bundle *out,
                       pjwt_err *err);

/*
 * Sign payload (checked by the same rules as pjwt_bundle_verify, apart
 * from signatures) with each of the n private keys, each with its default
 * algorithm.  Returns the malloc'd NUL-terminated bundle text or NULL with
 * *err set.
 */
char *pjwt_bundle_sign(const json_t *payload, pjwt_key *const *signers,
                       size_t n, pjwt_err *err);

/* The revoke.h file for b's revocations (malloc'd, NUL-terminated; a
   comment line names the bundle's version).  NULL on ENOMEM. */
char *pjwt_bundle_revoked_text(const pjwt_bundle *b, pjwt_err *err);

/* The host's jwks.json for b: its JWKS plus "pamjwt_trust" (new
   reference). */
json_t *pjwt_bundle_host_jwks(const pjwt_bundle *b, pjwt_err *err);

/* What "pamjwt_trust" in an installed jwks.json says. */
typedef struct pjwt_trust_info {
    char iss[1024];
    long long version, iat, exp;
} pjwt_trust_info;

/*
 * Read path (fileio.h flags, e.g. PJWT_FILE_CHECK_WRITE) and fill *out
 * from its "pamjwt_trust".  PJWT_ERR_MISSING when the file is a key set
 * without that member (installed by hand, or by jwtctl sync --jwks; a
 * PEM file included);
 * PJWT_ERR_IO/_PERM/_JSON/_CLAIM_TYPE otherwise.
 */
int pjwt_trust_info_load(const char *path, unsigned flags,
                         pjwt_trust_info *out, pjwt_err *err);

#endif
