/*
 * log.c: the module's single way to say anything.
 *
 * Everything goes through pam_vsyslog: libpam prefixes the service and
 * module and uses the authpriv facility, and we never call openlog (that
 * would change the host program's ident, gauth's mistake).  Tests capture
 * these lines by interposing syslog in the harness.
 *
 * Text the module did not choose (the PAM user and rhost, which a remote
 * client names; a token's iss, kid, jti, sub, which its author names, and
 * verified or not) goes out only through field() (common/excerpt.c): in
 * double quotes, with '"' and '\' escaped and anything outside printable
 * ASCII as \xNN, and bounded.  So a kid of `x" rhost="192.0.2.1` stays inside its own quotes
 * and no value can end a field early or start a line of its own.  The
 * token text and its signature never reach this file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>
#include "excerpt.h"
#include "mod.h"

#define FIELD_MAX 64            /* bytes of a value shown */
#define FIELD_BUF PJWT_EXCERPT_BUF(FIELD_MAX)
#define REASON_BUF PJWT_EXCERPT_BUF(PJWT_ERR_MSG_MAX)

void
pjm_log(pam_handle_t *pamh, int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pam_vsyslog(pamh, prio, fmt, ap);
    va_end(ap);
}

/* s (at most max bytes of it) quoted and escaped into out[cap]; "-"
   unquoted for NULL or empty (excerpt.h). */
static const char *
field(const char *s, size_t max, char *out, size_t cap)
{
    return pjwt_excerpt(s, PJWT_EXCERPT_CSTR, max, PJWT_EXCERPT_QUOTE, out,
                        cap);
}

/* obj's string member name, NULL when obj is NULL or it is no string. */
static const char *
str_member(const json_t *obj, const char *name)
{
    json_t *j = obj ? json_object_get(obj, name) : NULL;

    return json_is_string(j) ? json_string_value(j) : NULL;
}

void
pjm_log_decision(pam_handle_t *pamh, int prio, const char *decision,
                 const char *user, const char *reason, const pjwt_token *tok)
{
    char u[FIELD_BUF], is[FIELD_BUF], k[FIELD_BUF], j[FIELD_BUF];
    char sb[FIELD_BUF], h[FIELD_BUF], r[REASON_BUF];
    const json_t *cl = tok ? tok->claims : NULL, *hd = tok ? tok->header : NULL;
    const void *rhost = NULL;
    /* alg from our own table: the header's text is never echoed. */
    const char *alg = tok ? pjwt_alg_name(tok->alg) : NULL;

    if (pam_get_item(pamh, PAM_RHOST, &rhost) != PAM_SUCCESS)
        rhost = NULL;
    pjm_log(pamh, prio,
            "auth %s: user=%s reason=%s iss=%s kid=%s jti=%s sub=%s alg=%s "
            "rhost=%s",
            decision, field(user, FIELD_MAX, u, sizeof(u)),
            field(reason, PJWT_ERR_MSG_MAX, r, sizeof(r)),
            field(str_member(cl, "iss"), FIELD_MAX, is, sizeof(is)),
            field(str_member(hd, "kid"), FIELD_MAX, k, sizeof(k)),
            field(str_member(cl, "jti"), FIELD_MAX, j, sizeof(j)),
            field(str_member(cl, "sub"), FIELD_MAX, sb, sizeof(sb)),
            alg ? alg : "-", field(rhost, FIELD_MAX, h, sizeof(h)));
}

void
pjm_log_check(pam_handle_t *pamh, const char *check, const char *result,
              const char *detail)
{
    char d[REASON_BUF];

    pjm_log(pamh, LOG_DEBUG, "check %s: %s detail=%s", check, result,
            field(detail, PJWT_ERR_MSG_MAX, d, sizeof(d)));
}
