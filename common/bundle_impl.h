/*
 * bundle_impl.h: what the bundle's files share (not installed, not for
 * callers of bundle.h).
 *
 *   bundle_host.c   the host's files: revoked text, jwks.json, pamjwt_trust
 *   bundle.c        the wire form: parse, verify, sign   (-> check)
 *   bundle_check.c  the payload's rules and the name rule
 */
#ifndef PJWT_BUNDLE_IMPL_H
#define PJWT_BUNDLE_IMPL_H

#include <jansson.h>
#include "bundle.h"
#include "excerpt.h"

#define PJWT_BUNDLE_ISS_MAX (sizeof(((pjwt_trust_info *)0)->iss) - 1)
#define PJWT_BUNDLE_QUOTE_MAX 48  /* bytes of a quoted value in a message */

/* A log-safe copy of the NUL-terminated s for a message, into buf (an
   array of PJWT_EXCERPT_BUF(PJWT_BUNDLE_QUOTE_MAX) bytes). */
#define PJWT_BUNDLE_QUOTE(s, buf) \
    pjwt_excerpt((s), PJWT_EXCERPT_CSTR, PJWT_BUNDLE_QUOTE_MAX, \
                 PJWT_EXCERPT_QUOTE, (buf), sizeof(buf))

/* pjwt_bundle_name_ok (the name rule) is in bundle.h: the issuer's
   store applies it too. */

/* obj holds no member outside names (NULL-terminated); else
   PJWT_ERR_CLAIM "WHAT: unknown member ...". */
int pjwt_bundle_only_members(const json_t *obj, const char *const *names,
                             const char *what, pjwt_err *err);

/* Integer member name of obj in [min, 2^53) (PJWT_ERR_CLAIM when absent,
   _CLAIM_TYPE otherwise). */
int pjwt_bundle_get_int(const json_t *obj, const char *name,
                        const char *what, long long min, long long *out,
                        pjwt_err *err);

/* String member name of obj that is a pjwt_bundle_name_ok of at most max
   bytes; *out borrowed. */
int pjwt_bundle_get_name(const json_t *obj, const char *name,
                         const char *what, size_t max, const char **out,
                         pjwt_err *err);

/*
 * Everything about a payload that holds whenever it is looked at (not its
 * time, issuer or signatures): the members of bundle.h and nothing else,
 * the keys, the revocations.  Fills b's iss, version, iat, exp, jwks,
 * revoked, n_current (borrowed from p).
 */
int pjwt_bundle_check_payload(const json_t *p, pjwt_bundle *b,
                              pjwt_err *err);

#endif
