/*
 * mod.h: internals of pam_jwt.so shared by its files.  Nothing here is
 * exported (pam_jwt.map keeps only pam_sm_*); the pjm_ prefix keeps the
 * module's own helpers apart from libpjwt's pjwt_ symbols.
 */
#ifndef PJM_MOD_H
#define PJM_MOD_H

#include <stddef.h>
#include <time.h>
#include <security/pam_modules.h>
#include "err.h"
#include "jws.h"
#include "modopts.h"
#include "verify.h"

#define PJM_DEFAULT_CONFIG PJWT_MODOPTS_DEFAULT_CONFIG
#define PJM_DEFAULT_REPLAY_DIR "/var/lib/pam_jwt"
/* What pam_unix shows, so password tools (sshpass, expect, Ansible) that
   wait for "assword" keep working on a password-or-token stack; a
   token-only stack says what it wants. */
#define PJM_DEFAULT_PROMPT "Password: "
#define PJM_TOKEN_ONLY_PROMPT "Token: "

/* ---- log.c ----------------------------------------------------------- */

/* The module's only way out: pam_vsyslog, facility from libpam (authpriv). */
void pjm_log(pam_handle_t *pamh, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * One line per decision: "auth DECISION: user="..." reason="..." iss="..."
 * kid="..." jti="..." sub="..." alg=ES256 rhost="..."".  tok may be NULL
 * (not a token), or hold fields from an unverified parse.  Every value not
 * chosen by the module is quoted and escaped (log.c), "-" when absent.  The
 * token itself never reaches this function.
 */
void pjm_log_decision(pam_handle_t *pamh, int prio, const char *decision,
                      const char *user, const char *reason,
                      const pjwt_token *tok);

/* debug: one verification step, "check NAME: RESULT detail="..."". */
void pjm_log_check(pam_handle_t *pamh, const char *check, const char *result,
                   const char *detail);

/* ---- replay.c -------------------------------------------------------- */

/*
 * Record (iss, jti) in dir for a token with that exp (rounded up to a whole
 * second), verified at now by a service with that leeway.  Returns 0 when
 * the pair was not seen before (and is now recorded), PJWT_ERR_REPLAY when
 * it was, PJWT_ERR_ARG when the token is not valid at now (exp + leeway <=
 * now), PJWT_ERR_PERM when dir is not owned by the euid or is accessible by
 * group/others, PJWT_ERR_IO when dir is unusable, PJWT_ERR_NOMEM.  A
 * successful record also sweeps what no service can need any more.  now
 * is a parameter so that the whole login decides at one time (and tests
 * can choose it).
 */
int pjm_replay_record(const char *dir, const char *iss, size_t iss_len,
                      const char *jti, size_t jti_len, time_t exp,
                      long leeway, time_t now, pjwt_err *err);

/* ---- trust.c --------------------------------------------------------- */

/*
 * max_trust_age (c->max_trust_age > 0): PAM_SUCCESS while the newest
 * pamjwt_trust among the key files has exp + max_trust_age >= now;
 * PAM_AUTHINFO_UNAVAIL when none has one, one cannot be read, or it is too
 * old; PAM_BUF_ERR.  reason[cap] says which, for the decision's log line.
 */
int pjm_trust_check(const pjwt_modopts *c, time_t now, char *reason,
                    size_t cap);

/* ---- env.c ----------------------------------------------------------- */

/*
 * Put the claims named in c (export_claims, checked by modopts.c) into the PAM environment as JWT_<NAME>.
 * Absent claims are skipped; values with control characters are skipped
 * with a log line.  Returns PAM_SUCCESS, PAM_BUF_ERR or pam_putenv's error.
 */
int pjm_export_claims(pam_handle_t *pamh, const pjwt_modopts *c,
                      const json_t *claims);

#endif
