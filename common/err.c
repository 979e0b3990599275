/*
 * err.c: the caller-owned error struct and short names of error codes.
 * Nothing here allocates, so recording an out-of-memory error cannot fail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
pjwt_err_clear(pjwt_err *e)
{
    if (!e)
        return;
    e->code = 0;
    e->msg[0] = '\0';
    e->where = NULL;
}

int
pjwt_err_set(pjwt_err *e, int code, const char *where, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return code;
    e->code = code;
    e->where = where;
    e->msg[0] = '\0';
    if (fmt) {
        va_start(ap, fmt);
        /* vsnprintf truncates and always terminates; the result is unused
           because a cut message is still a useful message. */
        (void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
    }
    if (e->msg[0] == '\0')
        (void)snprintf(e->msg, sizeof(e->msg), "%s", pjwt_strerror(code));
    return code;
}

const char *
pjwt_strerror(int code)
{
    switch (code) {
    case PJWT_OK:               return "success";
    case PJWT_ERR_NOMEM:        return "out of memory";
    case PJWT_ERR_INTERNAL:     return "internal error";
    case PJWT_ERR_ARG:          return "invalid argument";
    case PJWT_ERR_IO:           return "file missing or unreadable";
    case PJWT_ERR_PERM:         return "unsafe file owner or mode";
    case PJWT_ERR_CONF:         return "bad configuration";
    case PJWT_ERR_UNKNOWN_OPT:  return "unknown option";
    case PJWT_ERR_KEY:          return "bad or unsupported key";
    case PJWT_ERR_TOO_LONG:     return "input too long";
    case PJWT_ERR_FORMAT:       return "malformed token";
    case PJWT_ERR_B64:          return "bad base64url";
    case PJWT_ERR_JSON:         return "bad JSON";
    case PJWT_ERR_ALG:          return "algorithm not allowed";
    case PJWT_ERR_HEADER:       return "forbidden header parameter";
    case PJWT_ERR_NO_KEY:       return "no matching key";
    case PJWT_ERR_SIG:          return "signature invalid";
    case PJWT_ERR_ISS:          return "issuer mismatch";
    case PJWT_ERR_AUD:          return "audience mismatch";
    case PJWT_ERR_EXP:          return "token expired or exp missing";
    case PJWT_ERR_NBF:          return "token not yet valid";
    case PJWT_ERR_IAT:          return "token issued in the future";
    case PJWT_ERR_LIFETIME:     return "token lifetime too long";
    case PJWT_ERR_USER:         return "user mismatch";
    case PJWT_ERR_CLAIM:        return "required claim missing";
    case PJWT_ERR_CLAIM_TYPE:   return "claim has wrong type";
    case PJWT_ERR_REVOKED:      return "token revoked";
    case PJWT_ERR_REPLAY:       return "token already used";
    case PJWT_ERR_MISSING:      return "member absent";
    default:                    return "unknown error";
    }
}
