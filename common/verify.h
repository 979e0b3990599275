/*
 * verify.h: the token checks of pam_jwt.so, as one reusable unit, so that
 * the module, `jwtctl verify` and the issuer's /userinfo and /auth apply
 * exactly the same rules.
 *
 * A pjwt_verifier holds the verification options (the option names are the
 * module's, see pam_jwt(8)):
 *   issuer, audience, key (repeatable), hmac_secret, algorithms, leeway,
 *   max_lifetime, max_token_length, user_claim, require_claim (repeatable),
 *   revoked
 * Options are fed through pjwt_verifier_set (a pjwt_conf_set_fn); keys
 * it does not know return PJWT_ERR_UNKNOWN_OPT so callers can handle their
 * own options first and pass the rest on.  Key files are not read by
 * set: pjwt_verifier_prepare reads them, after every option is known.
 */
#ifndef PJWT_VERIFY_H
#define PJWT_VERIFY_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "alg.h"
#include "claims.h"
#include "err.h"
#include "jws.h"
#include "keys.h"

/* The largest leeway= a verifier takes: whoever keeps state about tokens
   (one_time records) keeps it at least this long past exp. */
#define PJWT_VERIFIER_LEEWAY_MAX 3600L

typedef struct pjwt_verifier pjwt_verifier;

pjwt_verifier *pjwt_verifier_new(void);
void pjwt_verifier_free(pjwt_verifier *v);   /* NULL ok */

/* pjwt_conf_set_fn: ctx is the verifier. */
int pjwt_verifier_set(void *ctx, const char *key, const char *value,
                      pjwt_err *err);

/*
 * Add a public key held in memory (the issuer's own keys for /userinfo),
 * before pjwt_verifier_prepare.  Takes ownership of key, also on failure.
 * HMAC (oct) keys are refused with PJWT_ERR_CONF: they come only from
 * hmac_secret, whose file permissions are checked.
 */
int pjwt_verifier_add_key(pjwt_verifier *v, pjwt_key *key, pjwt_err *err);

/*
 * Validate the options and load the keys.  flags: PJWT_KEYS_EAGER for
 * long-lived multi-threaded users.  Key, hmac_secret and revocation files
 * that break the trust rule of fileio.h are refused (PJWT_ERR_PERM),
 * hmac_secret files readable by group/others too.
 * Errors: PJWT_ERR_CONF (issuer/audience missing, HS* allowed without an
 * hmac_secret, an algorithm allowed that no key supports...), PJWT_ERR_IO
 * (unreadable key file), PJWT_ERR_PERM, PJWT_ERR_KEY.
 * audience may still contain %h/%H/%s: expand first with
 * pjwt_verifier_expand_audience.
 */
int pjwt_verifier_prepare(pjwt_verifier *v, unsigned flags, pjwt_err *err);

/*
 * The one %-expander of audience templates, shared by the verifier (below)
 * and jwtctl's client (which knows only the host it logs in to): %h, %H,
 * %s and %% in tmpl into out[cap].  A NULL or empty value that the
 * template needs, another %-sequence, or a result that does not fit is
 * PJWT_ERR_CONF; else 0.
 */
int pjwt_audience_expand(const char *tmpl, const char *host, const char *fqdn,
                         const char *service, char *out, size_t cap,
                         pjwt_err *err);

/*
 * Replace %h (short host name), %H (FQDN), %s (service), %% in audience.
 * host/fqdn/service may be NULL when the caller knows them not to be
 * needed; a needed NULL is PJWT_ERR_CONF.
 */
int pjwt_verifier_expand_audience(pjwt_verifier *v, const char *host,
                                  const char *fqdn, const char *service,
                                  pjwt_err *err);

/*
 * Verify token for user (NULL: user not checked) at time now: signature
 * (pjwt_jws_verify), claims (pjwt_claims_check), revocation list.  On
 * success fills *out (caller clears).  report, when non-NULL, is called
 * for every step ("length", "format", "alg", "key", "signature", "iss",
 * ..., "revoked") as in claims.h.
 */
int pjwt_verifier_check(pjwt_verifier *v, const char *token, size_t len,
                        const char *user, time_t now, pjwt_report_fn report,
                        void *report_arg, pjwt_token *out, pjwt_err *err);

/* Accessors for callers (module logging, jwtctl). */
const char *pjwt_verifier_issuer(const pjwt_verifier *v);
const char *pjwt_verifier_audience(const pjwt_verifier *v);
size_t pjwt_verifier_max_token_length(const pjwt_verifier *v);
pjwt_algset pjwt_verifier_algorithms(const pjwt_verifier *v);
/* The i-th key= file (borrowed), NULL past the last. */
const char *pjwt_verifier_key_file(const pjwt_verifier *v, size_t i);

#endif
