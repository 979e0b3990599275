/*
 * keys.h: verification and signing keys.
 *
 * A pjwt_key is one key bound to one algorithm family and curve:
 *   RSA (>= 2048 bits)  -> RS256/384/512, PS256/384/512
 *   EC P-256            -> ES256 only;  P-384 -> ES384;  P-521 -> ES512
 *   OKP Ed25519         -> EdDSA, Ed25519
 *   oct (HMAC secret)   -> HS256/384/512 (>= 32 bytes)
 * A JWK's "alg", when present, narrows that to exactly one algorithm.
 * Anything else (Ed448, secp256k1, DSA, DH, RSA < 2048) is PJWT_ERR_KEY.
 *
 * Keys are parsed once into an EVP_PKEY (or a secret buffer) and reused
 * for every token.  A keyset may hold keys "lazily": a JWK from a JWKS file
 * is kept as JSON and only turned into an EVP_PKEY when a token's kid
 * selects it (the PAM module loads only what the token needs).  Use
 * PJWT_KEYS_EAGER (the issuer, shared across threads) to materialise every
 * key at load time so that a loaded keyset is never modified afterwards.
 *
 * Key identifiers: a key's kid is the JWK "kid" when it has one, otherwise
 * its RFC 7638 SHA-256 thumbprint (base64url).  A kid from a token is only
 * ever compared with these strings; it is never used as a path or URL.
 * Selection (jws.c): a token's kid picks the key with that kid; when no
 * key has it, the keys loaded without a kid of their own (PEM, JWK
 * without "kid") are tried, as other JOSE libraries do with a single key
 * that has no name; keys with their own kid are never tried for another
 * kid.  A token without kid tries every key bound to its alg.
 *
 * The files behind this header, lowest last; each calls only files below
 * it, never one above or beside it (tests/e2e/layering.sh checks this over
 * the objects' symbols, and that common/ as a whole has no cycle):
 *
 *   keyset.c      key sets, key files, kid lookup and candidates
 *   keys_gen.c    new keys                                 (-> build)
 *   keys_jwk.c    JWK in and out                           (-> build)
 *   keys_pem.c    PEM in and out                   (-> spki, build)
 *   keys_spki.c   DER public keys                          (-> build)
 *   keys_build.c  members <-> EVP_PKEY, thumbprint, kid
 *   keys.c        the struct, accessors, the curve table
 *   below them:   alg.c (the algorithm table), b64url.c, json.c,
 *                 fileio.c, err.c
 *
 * jws_ctx.c, above all of them, keeps its per-key contexts in the key's
 * cache slot (pjwt_key_cache), with its own destructor, so that freeing a
 * key never calls up into the JWS code by name.
 */
#ifndef PJWT_KEYS_H
#define PJWT_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "alg.h"
#include "err.h"

typedef struct pjwt_key pjwt_key;
typedef struct pjwt_keyset pjwt_keyset;

typedef enum pjwt_kty {
    PJWT_KTY_RSA = 1, PJWT_KTY_EC, PJWT_KTY_OKP, PJWT_KTY_OCT
} pjwt_kty;

/* Flags for the load functions. */
#define PJWT_KEYS_EAGER        0x01u /* materialise every key now */
#define PJWT_KEYS_PRIVATE      0x02u /* private keys expected/allowed (issuer) */
#define PJWT_KEYS_CHECK_WRITE  0x04u /* the trust rule of fileio.h: owner, modes,
                                        every directory up to /, no symlink
                                        at the end (PJWT_ERR_PERM) */
#define PJWT_KEYS_CHECK_READ   0x08u /* refuse files readable by group/others (private keys, secrets) */

#define PJWT_KEYS_MAX_FILE (1024 * 1024)  /* larger key files are refused */
#define PJWT_HMAC_MIN_LEN 32
#define PJWT_THUMBPRINT_LEN 43            /* base64url of SHA-256, no NUL */

/* ---- single keys ------------------------------------------------------ */

/*
 * Parse one PEM block: SPKI public ("PUBLIC KEY"), PKCS#1 RSA public
 * ("RSA PUBLIC KEY"), X.509 certificate ("CERTIFICATE", its public key),
 * and with PJWT_KEYS_PRIVATE also PKCS#8 ("PRIVATE KEY") and traditional
 * ("EC PRIVATE KEY", "RSA PRIVATE KEY").  Returns a new key (free with
 * pjwt_key_free) or NULL with *err set.
 */
pjwt_key *pjwt_key_from_pem(const char *buf, size_t len, unsigned flags,
                            pjwt_err *err);

/*
 * Check that buf is PEM and nothing else: one or more BEGIN/END blocks
 * (at most max_blocks, 0 for no limit), each BEGIN and END line on a line
 * of its own, strict base64 bodies without RFC 1421 headers, and only
 * whitespace before, between and after them.  A PEM block inside other
 * text (a log file quoting a key) is refused.  0 or PJWT_ERR_KEY; the
 * message gives a line number, never the text.  Every PEM reader of
 * libpjwt applies the same rule.
 */
int pjwt_pem_check(const char *buf, size_t len, size_t max_blocks,
                   pjwt_err *err);

/*
 * Parse one JWK object (RFC 7517/7518/8037).  Private members ("d" etc.)
 * are refused unless flags has PJWT_KEYS_PRIVATE.  "use", when present,
 * must be "sig"; "key_ops", when present, must allow verify (or sign).
 * Returns a new key or NULL with *err set.  jwk is borrowed.
 */
pjwt_key *pjwt_key_from_jwk(const json_t *jwk, unsigned flags, pjwt_err *err);

/* An HMAC key of exactly these bytes (>= PJWT_HMAC_MIN_LEN). */
pjwt_key *pjwt_key_from_secret(const void *buf, size_t len, pjwt_err *err);

/*
 * Generate a new private key for alg's family (ES256 -> P-256, EdDSA ->
 * Ed25519, RS256 -> RSA 3072, HS256 -> 32 random bytes...).
 */
pjwt_key *pjwt_key_generate(pjwt_alg alg, pjwt_err *err);

/* Free a key; secrets are cleansed.  NULL is a no-op. */
void pjwt_key_free(pjwt_key *key);

/* Make sure the key's EVP_PKEY exists (lazy keys); 0 or error. */
int pjwt_key_materialize(pjwt_key *key, pjwt_err *err);

pjwt_kty pjwt_key_kty(const pjwt_key *key);

/* Algorithms this key may be used with (after any JWK "alg" pin). */
pjwt_algset pjwt_key_algs(const pjwt_key *key);

/* Default algorithm to sign with: ES256/ES384/ES512, EdDSA, RS256, HS256,
   or the JWK "alg" pin. */
pjwt_alg pjwt_key_default_alg(const pjwt_key *key);

/* 1 when the key holds private material (can sign). */
int pjwt_key_is_private(const pjwt_key *key);

/* The key's kid (JWK kid, else RFC 7638 thumbprint); borrowed, never NULL
   for a valid key. */
const char *pjwt_key_kid(const pjwt_key *key);

/*
 * RFC 7638 SHA-256 thumbprint, base64url, into out (>= PJWT_THUMBPRINT_LEN+1).
 * For oct keys the thumbprint covers k, as RFC 7638 says.
 */
int pjwt_key_thumbprint(const pjwt_key *key, char *out, size_t outcap,
                        pjwt_err *err);

/* Borrowed EVP_PKEY (materialises a lazy key); NULL for oct keys or error. */
EVP_PKEY *pjwt_key_pkey(pjwt_key *key, pjwt_err *err);

/* Borrowed HMAC secret bytes for oct keys, else NULL. */
const uint8_t *pjwt_key_secret(const pjwt_key *key, size_t *len);

/*
 * The key's cache slot, for a layer above that keeps something per key
 * (jws_ctx.c: pre-keyed signature contexts, set up once and copied per
 * token, since the set-up costs as much as an RSA verification in
 * OpenSSL 3).  The slot is a `void *`, NULL at creation; free_fn is
 * recorded as its destructor, which pjwt_key_free calls on a non-NULL
 * slot.  Only that layer reads or writes the slot, atomically.  NULL key:
 * NULL.
 */
void **pjwt_key_cache(pjwt_key *key, void (*free_fn)(void *));

/*
 * Public JWK of the key (new reference): kty, crv/n/e/x/y, "kid"
 * (the thumbprint unless the key has its own kid), "use":"sig", "alg" when
 * pinned.  Never includes private members; oct keys give NULL/PJWT_ERR_ARG
 * (secrets are not published).
 */
json_t *pjwt_key_to_public_jwk(pjwt_key *key, pjwt_err *err);

/* Public key as SPKI PEM, malloc'd NUL-terminated string (caller frees). */
char *pjwt_key_to_public_pem(pjwt_key *key, pjwt_err *err);

/* Private key as PKCS#8 PEM (caller cleanses and frees); oct keys: NULL. */
char *pjwt_key_to_private_pem(pjwt_key *key, pjwt_err *err);

/* ---- key sets ---------------------------------------------------------- */

pjwt_keyset *pjwt_keyset_new(void);
void pjwt_keyset_free(pjwt_keyset *ks);    /* frees its keys; NULL ok */

/* Add key to the set, which takes ownership (also on failure). */
int pjwt_keyset_add(pjwt_keyset *ks, pjwt_key *key, pjwt_err *err);

/*
 * Load a key file, detecting the format from its content: PEM (one or
 * more blocks and nothing but whitespace around them, see pjwt_pem_check),
 * a JWK object, or a JWKS ({"keys":[...]}).  Keys in a JWKS that libpjwt
 * does not support (other kty, "use":"enc") are skipped, but a file that
 * yields no key at all is PJWT_ERR_KEY.  With PJWT_KEYS_CHECK_WRITE the
 * file must pass the trust rule (fileio.h: pjwt_path_open); without it
 * the file is read as the parser's input (symlinks followed).  Unreadable
 * or missing files are PJWT_ERR_IO; unsafe owners, modes and paths
 * PJWT_ERR_PERM.  Errors read "PATH: message".
 */
int pjwt_keyset_load_file(pjwt_keyset *ks, const char *path, unsigned flags,
                          pjwt_err *err);

/*
 * pjwt_keyset_load_file's parser on len bytes of buf (a key set read from
 * standard input, before it is installed as a key file): the same formats,
 * the same skipping, the same errors, read "NAME: message".  The file
 * checks of flags do not apply.  buf is borrowed.
 */
int pjwt_keyset_load_mem(pjwt_keyset *ks, const char *buf, size_t len,
                         const char *name, unsigned flags, pjwt_err *err);

/* Load an HMAC secret file: the key is exactly the file's bytes. */
int pjwt_keyset_load_secret_file(pjwt_keyset *ks, const char *path,
                                 unsigned flags, pjwt_err *err);

size_t pjwt_keyset_count(const pjwt_keyset *ks);
pjwt_key *pjwt_keyset_get(const pjwt_keyset *ks, size_t i);   /* borrowed */

/* Union of pjwt_key_algs over all keys. */
pjwt_algset pjwt_keyset_algs(const pjwt_keyset *ks);

/*
 * The key a token's kid names: the first key whose kid equals kid byte for
 * byte (kid_len bytes) and whose algs include alg, materialised.  NULL
 * with PJWT_ERR_NO_KEY when there is none, or with the error that kept it
 * from being built (PJWT_ERR_KEY...).
 */
pjwt_key *pjwt_keyset_by_kid(pjwt_keyset *ks, const char *kid, size_t kid_len,
                             pjwt_alg alg, pjwt_err *err);

/*
 * The candidates for a token without kid, one per call: the next key from
 * position *index (start at 0) whose algs include alg, materialised.
 * *index always moves past the key it looked at, so a loop ends.  NULL
 * with PJWT_ERR_NO_KEY after the last one; NULL with another error for a
 * candidate that cannot be built (call again for the next).
 */
pjwt_key *pjwt_keyset_next(pjwt_keyset *ks, pjwt_alg alg, size_t *index,
                           pjwt_err *err);

/*
 * The candidates for a token whose kid no key has: as pjwt_keyset_next,
 * but only keys loaded without a kid of their own (a PEM key or
 * certificate, a JWK without "kid"), which carry no name a token could
 * use and so match a token with any kid.  A key with its own kid is only
 * ever selected by that kid (pjwt_keyset_by_kid).
 */
pjwt_key *pjwt_keyset_next_kidless(pjwt_keyset *ks, pjwt_alg alg,
                                   size_t *index, pjwt_err *err);

/* JWKS of every non-oct key's public JWK: {"keys":[...]} (new reference). */
json_t *pjwt_keyset_to_jwks(pjwt_keyset *ks, pjwt_err *err);

#endif
