/*
 * claims.h: the claims policy (RFC 7519 section 4.1) with time injected.
 *
 * Checks, in this order, each with its own error code:
 *   iss        exact string equality                     PJWT_ERR_ISS
 *   aud        string equal to ours, or array containing  PJWT_ERR_AUD
 *              ours (exact; no substring, no prefix)
 *   exp        required unless exp_optional; now - leeway < exp    PJWT_ERR_EXP
 *   nbf        optional; nbf <= now + leeway             PJWT_ERR_NBF
 *   iat        optional; iat <= now + leeway             PJWT_ERR_IAT
 *   lifetime   with max_lifetime > 0: exp - iat <= max_lifetime; when iat
 *              is absent, exp - now <= max_lifetime      PJWT_ERR_LIFETIME
 *   user       with expected_user: the user_claim (default "sub") is a
 *              string equal to it byte for byte (length included, so an
 *              embedded NUL or a prefix never matches)  PJWT_ERR_USER
 *   required   each name=value: the claim is a string equal to value, or an
 *              array containing that string              PJWT_ERR_CLAIM
 * Registered claims of the wrong JSON type are PJWT_ERR_CLAIM_TYPE (or the
 * check's own code).  Dates are NumericDates via pjwt_json_get_date.
 */
#ifndef PJWT_CLAIMS_H
#define PJWT_CLAIMS_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "err.h"

#define PJWT_LEEWAY_DEFAULT 60

typedef struct pjwt_claim_req {
    const char *name;
    const char *value;
} pjwt_claim_req;

/*
 * Optional per-check report, for `jwtctl verify`: called once per check
 * that applies, with its name ("iss", "aud", "exp", ...), the result (0 or
 * the error code) and a short detail.  When set, checking continues after a
 * failure so every check is reported; the first failure is still returned.
 */
typedef void (*pjwt_report_fn)(void *arg, const char *check, int rc,
                               const char *detail);

typedef struct pjwt_policy {
    const char *issuer;          /* NULL: not checked */
    const char *audience;        /* NULL: not checked */
    const char *user_claim;      /* NULL: "sub" */
    const char *expected_user;   /* NULL: not checked */
    long leeway;                 /* seconds, >= 0 */
    long max_lifetime;           /* seconds; 0: unlimited */
    int exp_optional;            /* 0: exp required */
    const pjwt_claim_req *required;
    size_t n_required;
    pjwt_report_fn report;       /* may be NULL */
    void *report_arg;
} pjwt_policy;

/* Defaults: leeway 60, max_lifetime 0, exp required, everything else NULL. */
void pjwt_policy_init(pjwt_policy *p);

/* Apply the policy to a claims object at time now.  0 or first error. */
int pjwt_claims_check(const json_t *claims, const pjwt_policy *p, time_t now,
                      pjwt_err *err);

#endif
