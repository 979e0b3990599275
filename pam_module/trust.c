/*
 * trust.c: max_trust_age (pam_jwt.conf(5)).  Key files that jwtctl sync
 * installs from the issuer's trust bundle carry "pamjwt_trust" with the
 * bundle's exp (bundle.h).  A host that has not synced for too long may
 * still trust a key the issuer has dropped, or miss a revocation, so past
 * exp + max_trust_age it stops taking tokens (PAM_AUTHINFO_UNAVAIL: the
 * host's state is at fault, not the user) and says how to mend it.  Only
 * tokens are affected; a password still goes on to the next module.
 */
#include <stdio.h>
#include <security/pam_modules.h>
#include "bundle.h"
#include "fileio.h"
#include "mod.h"
#include "timefmt.h"

int
pjm_trust_check(const pjwt_modopts *c, time_t now, char *reason, size_t cap)
{
    char when[PJWT_TIME_BUF];
    pjwt_trust_info ti;
    const char *path;
    long long exp = 0;
    int r, found = 0;
    pjwt_err e;
    size_t i;

    /* The newest bundle among the key files counts: a host may keep a
       PEM key of its own beside the synced jwks.json. */
    for (i = 0; (path = pjwt_verifier_key_file(c->v, i)); i++) {
        pjwt_err_clear(&e);
        r = pjwt_trust_info_load(path, PJWT_FILE_CHECK_WRITE, &ti, &e);
        if (r == PJWT_ERR_MISSING)
            continue;
        if (r == PJWT_ERR_NOMEM)
            return PAM_BUF_ERR;
        if (r != 0) {           /* fail closed: unreadable is not fresh */
            snprintf(reason, cap, "max_trust_age: %s", e.msg);
            return PAM_AUTHINFO_UNAVAIL;
        }
        if (!found || ti.exp > exp)
            exp = ti.exp;
        found = 1;
    }
    if (!found) {
        snprintf(reason, cap, "max_trust_age %ld: no key file holds "
                 "pamjwt_trust; run jwtctl sync", c->max_trust_age);
        return PAM_AUTHINFO_UNAVAIL;
    }
    if ((long long)now > exp + c->max_trust_age) {
        snprintf(reason, cap, "trust bundle expired at %s (max_trust_age "
                 "%ld s); run jwtctl sync",
                 pjwt_time_fmt((double)exp, now, 0, when, sizeof(when)),
                 c->max_trust_age);
        return PAM_AUTHINFO_UNAVAIL;
    }
    return PAM_SUCCESS;
}
