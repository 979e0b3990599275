/*
 * pam_jwt.c: the PAM entry points of pam_jwt.so.
 *
 * The module is a guest in someone else's process (sshd, sudo, su, login,
 * long-lived daemons): everything it needs lives in one call's locals
 * (no globals, so one PAM handle per thread is safe), it speaks only
 * through pam_syslog, and it fails closed: PAM_SUCCESS is returned at one
 * place, after every check.
 *
 * Decisions, in order:
 *   options (file, then arguments)      PAM_SERVICE_ERR / PAM_BUF_ERR
 *   keys (pjwt_verifier_prepare)        PAM_AUTHINFO_UNAVAIL unreadable,
 *                                       PAM_SERVICE_ERR unsafe/bad
 *   the token (pam_get_authtok)
 *   not shaped like a JWS               PAM_IGNORE (token_only: PAM_AUTH_ERR)
 *     (pjwt_jws_shaped: "eyJ" and two dots; nothing else is looked at, and
 *     nothing about such input is logged, not even its length)
 *   max_trust_age: key files' trust     PAM_AUTHINFO_UNAVAIL (trust.c)
 *     bundle missing or too old
 *   user unknown to NSS                 PAM_USER_UNKNOWN
 *   any failed check                    PAM_AUTH_ERR
 *   PAM user not NSS's own spelling     PAM_AUTH_ERR
 *   one_time record                     PAM_AUTH_ERR when seen
 * Options and keys are checked before the input is even looked at, so a
 * broken configuration is loud for passwords too instead of hiding behind
 * PAM_IGNORE until the first token arrives.  The clock is read once: the
 * verifier and the one_time record decide at the same second.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include "json.h"
#include "mod.h"
#include "version.h"

#define PW_BUF_MAX (1024 * 1024)

/* libpjwt is built -fvisibility=hidden; the entry points must be seen
   (pam_jwt.map then keeps them, and only them). */
#define PJM_EXPORT __attribute__((visibility("default")))

static int
pam_code(int r)
{
    switch (r) {
    case PJWT_ERR_NOMEM:
        return PAM_BUF_ERR;
    case PJWT_ERR_IO:
        return PAM_AUTHINFO_UNAVAIL;
    default:
        return PAM_SERVICE_ERR;
    }
}

/* %h, %H and %s (modopts.h); the service is PAM's. */
static int
expand_audience(pam_handle_t *pamh, pjwt_modopts *c, pjwt_err *err)
{
    const void *service = NULL;

    if (pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS)
        service = NULL;
    return pjwt_modopts_expand_audience(c, service, err);
}

/*
 * PAM_SUCCESS when NSS knows user, PAM_USER_UNKNOWN when it does not.
 * *canonical says whether NSS calls the account exactly user: a backend
 * that folds case (LDAP, AD, SSSD) answers getpwnam("Alice") with the
 * account alice, and a name that only resolves that way must not match a
 * token (or dodge a revocation) meant for another spelling.
 */
static int
user_check(const char *user, int *canonical)
{
    struct passwd pw, *res = NULL;
    long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t len = sz > 0 ? (size_t)sz : 16384;
    char *buf = NULL, *nbuf;
    int e, rv = PAM_AUTHINFO_UNAVAIL;

    *canonical = 0;
    for (;;) {
        nbuf = realloc(buf, len);
        if (!nbuf) {
            rv = PAM_BUF_ERR;
            goto out;
        }
        buf = nbuf;
        e = getpwnam_r(user, &pw, buf, len, &res);
        if (e != ERANGE)
            break;
        if (len >= PW_BUF_MAX)
            goto out;
        len *= 2;
    }
    if (e == 0 && res) {
        *canonical = res->pw_name && strcmp(res->pw_name, user) == 0;
        rv = PAM_SUCCESS;
    } else if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
        rv = PAM_USER_UNKNOWN;
    else if (e == ENOMEM)
        rv = PAM_BUF_ERR;
out:
    free(buf);
    return rv;
}

/* one_time: refuse tokens without jti, record the rest (replay.c). */
static int
one_time(const pjwt_modopts *c, const pjwt_token *tok, time_t now,
         const char **reason, pjwt_err *err)
{
    const char *jti = NULL, *iss = NULL;
    size_t jti_len = 0, iss_len = 0;
    double exp = 0;
    time_t texp;
    int r;

    if (pjwt_json_get_string(tok->claims, "jti", &jti, &jti_len, NULL) != 0 ||
        jti_len == 0) {
        *reason = "one_time: token has no jti";
        return PAM_AUTH_ERR;
    }
    if (pjwt_json_get_string(tok->claims, "iss", &iss, &iss_len, NULL) != 0)
        iss = "", iss_len = 0;
    if (pjwt_json_get_date(tok->claims, "exp", &exp, NULL) != 0) {
        *reason = "one_time: token has no exp";
        return PAM_AUTH_ERR;
    }
    texp = (time_t)exp;
    if ((double)texp < exp)
        texp++;                 /* round a fractional exp up */
    pjwt_err_clear(err);
    r = pjm_replay_record(c->replay_dir ? c->replay_dir : PJM_DEFAULT_REPLAY_DIR,
                          iss, iss_len, jti, jti_len, texp, c->leeway, now,
                          err);
    *reason = err->msg[0] ? err->msg : pjwt_strerror(r);
    switch (r) {
    case 0:
        return PAM_SUCCESS;
    case PJWT_ERR_REPLAY:
        return PAM_AUTH_ERR;
    case PJWT_ERR_PERM:
        return PAM_SERVICE_ERR;
    case PJWT_ERR_IO:
        return PAM_AUTHINFO_UNAVAIL;
    case PJWT_ERR_NOMEM:
        return PAM_BUF_ERR;
    default:
        return PAM_AUTH_ERR;
    }
}

/* debug: each verification step at LOG_DEBUG.  Only ever called for
   input shaped like a token (never for a password); the details are claim
   names, short reasons and excerpts, escaped by pjm_log_check.  The length
   step's detail is the input's length: not logged, whatever was typed. */
static void
debug_report(void *arg, const char *check, int rc, const char *detail)
{
    if (strcmp(check, "length") == 0)
        detail = NULL;
    pjm_log_check(arg, check, rc == 0 ? "ok" : pjwt_strerror(rc), detail);
}

static int
get_token(pam_handle_t *pamh, const pjwt_modopts *c, const char **token)
{
    const void *item = NULL;
    int rv;

    if (c->use_first_pass) {
        /* Never prompt: the token must come from a module above us. */
        rv = pam_get_item(pamh, PAM_AUTHTOK, &item);
        if (rv != PAM_SUCCESS || !item)
            return PAM_AUTH_ERR;
        *token = item;
        return PAM_SUCCESS;
    }
    /* pam_get_authtok uses a PAM_AUTHTOK already set (a module above, the
       password sshd hands over) and prompts only when there is none: what
       pam_unix does with try_first_pass, so that flag changes nothing. */
    rv = pam_get_authtok(pamh, PAM_AUTHTOK, token,
                         c->prompt    ? c->prompt
                         : c->token_only ? PJM_TOKEN_ONLY_PROMPT
                                         : PJM_DEFAULT_PROMPT);
    if (rv != PAM_SUCCESS || !*token)
        return rv == PAM_BUF_ERR ? PAM_BUF_ERR : PAM_AUTH_ERR;
    return PAM_SUCCESS;
}

PJM_EXPORT int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    pjwt_token tok = { 0 }, shape = { 0 };
    const char *user = NULL, *token = NULL, *reason = NULL;
    pjwt_err err;
    pjwt_modopts c;
    time_t now;
    size_t len;
    int r, canonical = 0, rv = PAM_AUTH_ERR;

    (void)flags;
    pjwt_err_clear(&err);

    /* Phase 1: configuration, before looking at any input. */
    r = pjwt_modopts_load(&c, argc, argv, PJM_DEFAULT_CONFIG, &err);
    if (r != 0) {
        rv = r == PJWT_ERR_NOMEM ? PAM_BUF_ERR : PAM_SERVICE_ERR;
        pjm_log(pamh, LOG_ERR, "configuration: %s",
                err.msg[0] ? err.msg : pjwt_strerror(r));
        goto err;
    }
    r = pjwt_verifier_prepare(c.v, 0, &err);
    if (r == 0)
        r = expand_audience(pamh, &c, &err);
    if (r != 0) {
        rv = pam_code(r);
        pjm_log(pamh, LOG_ERR, "configuration: %s",
                err.msg[0] ? err.msg : pjwt_strerror(r));
        goto err;
    }

    /* Phase 2: who, and what they typed. */
    rv = pam_get_user(pamh, &user, NULL);
    if (rv != PAM_SUCCESS || !user || !*user) {
        if (rv == PAM_SUCCESS)
            rv = PAM_USER_UNKNOWN;
        pjm_log_decision(pamh, LOG_NOTICE, "fail", user, "no user", NULL);
        goto err;
    }
    rv = get_token(pamh, &c, &token);
    if (rv != PAM_SUCCESS) {
        pjm_log_decision(pamh, LOG_NOTICE, "fail", user, "no token", NULL);
        goto err;
    }
    len = strlen(token);

    /* Phase 3: a token or not.  Anything else is someone's password:
       nothing about it is looked at or logged. */
    if (!pjwt_jws_shaped(token, len)) {
        rv = c.token_only ? PAM_AUTH_ERR : PAM_IGNORE;
        pjm_log_decision(pamh, c.token_only ? LOG_NOTICE : LOG_INFO,
                         c.token_only ? "fail" : "ignore", user,
                         c.token_only ? "not a token (token_only)"
                                      : "not a token", NULL);
        goto err;
    }

    /* Phase 4: verify, at the one time this whole login decides at. */
    now = time(NULL);
    if (c.max_trust_age > 0) {
        char why[PJWT_ERR_MSG_MAX + 64];

        rv = pjm_trust_check(&c, now, why, sizeof(why));
        if (rv != PAM_SUCCESS) {
            pjm_log_decision(pamh, LOG_ERR, "fail", user, why, NULL);
            goto err;
        }
    }
    pjwt_err_clear(&err);
    if (c.debug)
        pjm_log(pamh, LOG_DEBUG, "pam_jwt %s: issuer=%s audience=%s",
                PJWT_VERSION, pjwt_verifier_issuer(c.v),
                pjwt_verifier_audience(c.v));
    r = pjwt_verifier_check(c.v, token, len, user, now,
                            c.debug ? debug_report : NULL, pamh, &tok, &err);
    if (r != 0) {
        /* The unverified header and claims, for the log line only. */
        if (r == PJWT_ERR_NOMEM ||
            pjwt_jws_parse(token, len, pjwt_verifier_max_token_length(c.v),
                           &shape, NULL) == PJWT_ERR_NOMEM) {
            rv = PAM_BUF_ERR;
            goto err;
        }
        rv = user_check(user, &canonical);
        if (rv == PAM_SUCCESS)
            rv = PAM_AUTH_ERR;
        pjm_log_decision(pamh, LOG_NOTICE, "fail", user,
                         rv == PAM_USER_UNKNOWN ? "user unknown"
                         : err.msg[0] ? err.msg : pjwt_strerror(r), &shape);
        if (c.debug && err.where)
            pjm_log(pamh, LOG_DEBUG, "refused by %s", err.where);
        goto err;
    }

    /* Phase 5: a good token; the account must exist under exactly this
       name, then single use. */
    rv = user_check(user, &canonical);
    if (rv != PAM_SUCCESS) {
        pjm_log_decision(pamh, LOG_NOTICE, "fail", user,
                         rv == PAM_USER_UNKNOWN ? "user unknown"
                                                : "user lookup failed", &tok);
        goto err;
    }
    if (!canonical) {
        rv = PAM_AUTH_ERR;
        pjm_log_decision(pamh, LOG_NOTICE, "fail", user,
                         "user is not the account's own name (NSS returns "
                         "another spelling)", &tok);
        goto err;
    }
    if (c.one_time) {
        rv = one_time(&c, &tok, now, &reason, &err);
        if (rv != PAM_SUCCESS) {
            pjm_log_decision(pamh, rv == PAM_AUTH_ERR ? LOG_NOTICE : LOG_ERR,
                             "fail", user, reason, &tok);
            goto err;
        }
    }
    if (c.n_export > 0) {
        rv = pjm_export_claims(pamh, &c, tok.claims);
        if (rv != PAM_SUCCESS) {
            pjm_log_decision(pamh, LOG_ERR, "fail", user, "export_claims",
                             &tok);
            goto err;
        }
    }
    pjm_log_decision(pamh, LOG_INFO, "accept", user, "token verified", &tok);
    rv = PAM_SUCCESS;
err:
    if (c.debug)
        pjm_log(pamh, LOG_DEBUG, "pam_sm_authenticate returns %d (%s)", rv,
                pam_strerror(pamh, rv));
    pjwt_token_clear(&tok);
    pjwt_token_clear(&shape);
    pjwt_modopts_clear(&c);
    return rv;
}

PJM_EXPORT int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_SUCCESS;
}

/* Account policy (expiry, access lists) belongs to pam_unix, pam_access... */
PJM_EXPORT int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_IGNORE;
}

PJM_EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_IGNORE;
}

PJM_EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_IGNORE;
}

/* A token cannot be changed through PAM; leave the stack to the others. */
PJM_EXPORT int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_IGNORE;
}
