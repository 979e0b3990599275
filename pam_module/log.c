/*
 * log.c: the module's single way to say anything.
 *
 * Everything goes through pam_vsyslog: libpam prefixes the service and
 * module and uses the authpriv facility, and we never call openlog (that
 * would change the host program's ident, gauth's mistake).  Tests capture
 * these lines by interposing syslog in the harness.
 *
 * Token-derived fields (iss, kid, jti, alg) are attacker-controlled until
 * verified, so each is bounded and reduced to printable ASCII; the token
 * text and its signature never reach this file.
 */
#include <stdarg.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>
#include "mod.h"

#define FIELD_MAX 64

void
pjm_log(pam_handle_t *pamh, int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pam_vsyslog(pamh, prio, fmt, ap);
    va_end(ap);
}

/* Copy s into out (FIELD_MAX + 4 bytes): printable, no blanks, bounded. */
static const char *
clean(const char *s, char *out)
{
    size_t i, n = 0;

    if (!s || !*s)
        return "-";
    for (i = 0; s[i] && n < FIELD_MAX; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[n++] = (ch > 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    if (s[i]) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}

/* Reasons are ours or libpjwt's short messages; still keep them on one
   line and inside the quotes. */
static const char *
clean_reason(const char *s, char *out, size_t cap)
{
    size_t n = 0;

    if (!s || !*s)
        return "-";
    for (; *s && n + 1 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        out[n++] = (ch >= 0x20 && ch < 0x7f && ch != '"') ? (char)ch : '?';
    }
    out[n] = '\0';
    return out;
}

static const char *
claim_str(const pjwt_token *tok, const char *name)
{
    json_t *j;

    if (!tok || !tok->claims)
        return NULL;
    j = json_object_get(tok->claims, name);
    return json_is_string(j) ? json_string_value(j) : NULL;
}

static const char *
header_str(const pjwt_token *tok, const char *name)
{
    json_t *j;

    if (!tok || !tok->header)
        return NULL;
    j = json_object_get(tok->header, name);
    return json_is_string(j) ? json_string_value(j) : NULL;
}

void
pjm_log_decision(pam_handle_t *pamh, int prio, const char *decision,
                 const char *user, const char *reason, const pjwt_token *tok)
{
    char u[FIELD_MAX + 4], is[FIELD_MAX + 4], k[FIELD_MAX + 4];
    char j[FIELD_MAX + 4], a[FIELD_MAX + 4], h[FIELD_MAX + 4];
    char r[PJWT_ERR_MSG_MAX + 64];
    const void *rhost = NULL;

    if (pam_get_item(pamh, PAM_RHOST, &rhost) != PAM_SUCCESS)
        rhost = NULL;
    pjm_log(pamh, prio,
            "auth %s: user=%s reason=\"%s\" iss=%s kid=%s jti=%s alg=%s rhost=%s",
            decision, clean(user, u), clean_reason(reason, r, sizeof(r)),
            clean(claim_str(tok, "iss"), is), clean(header_str(tok, "kid"), k),
            clean(claim_str(tok, "jti"), j), clean(header_str(tok, "alg"), a),
            clean(rhost, h));
}
