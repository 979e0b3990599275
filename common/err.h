/*
 * err.h: error codes and the caller-owned error struct of libpjwt.
 *
 * Every fallible function returns 0 (PJWT_OK) or a negative PJWT_ERR_* code,
 * or a pointer that is NULL on failure.  Details go into a caller-owned
 * struct pjwt_err, which may be NULL when the caller does not want them.
 * The library never prints, logs, exits or aborts: callers log.
 * Messages are short, fit a log line, and never contain token text, key
 * material or passwords.
 *
 * Two function shapes, no mixtures:
 *  - a validator that owns nothing returns early:
 *        if (bad) return PJWT_FAIL(err, PJWT_ERR_KEY, "...");
 *  - anything that owns a resource (memory, a reference, an OpenSSL
 *    object) presets its result, records each failure and jumps to its one
 *    `out:` label, which frees everything; success is set last:
 *        int r = PJWT_ERR_INTERNAL;  ...
 *        if (!(p = malloc(n))) { r = PJWT_FAIL(err, ...); goto out; }
 *        ...  r = 0;
 *    out: free(p); return r;
 */
#ifndef PJWT_ERR_H
#define PJWT_ERR_H

#include <stddef.h>

enum pjwt_code {
    PJWT_OK = 0,
    PJWT_ERR_NOMEM = -1,        /* allocation failed */
    PJWT_ERR_INTERNAL = -2,     /* OpenSSL/jansson failure that is not the input's fault */
    PJWT_ERR_ARG = -3,          /* caller passed something invalid */
    PJWT_ERR_IO = -4,           /* file missing or unreadable */
    PJWT_ERR_PERM = -5,         /* file owner/mode unsafe */
    PJWT_ERR_CONF = -6,         /* bad config line or value */
    PJWT_ERR_UNKNOWN_OPT = -7,  /* option name not known to this handler */
    PJWT_ERR_KEY = -8,          /* key material malformed, too weak or unsupported */
    PJWT_ERR_TOO_LONG = -9,     /* token/input over the configured size */
    PJWT_ERR_FORMAT = -10,      /* not three segments / empty segment */
    PJWT_ERR_B64 = -11,         /* segment is not strict base64url */
    PJWT_ERR_JSON = -12,        /* header/claims not strict JSON object */
    PJWT_ERR_ALG = -13,         /* alg missing, none, not allowed, or not the key's */
    PJWT_ERR_HEADER = -14,      /* crit / b64 / other forbidden header */
    PJWT_ERR_NO_KEY = -15,      /* no loaded key matches kid/alg */
    PJWT_ERR_SIG = -16,         /* signature invalid */
    PJWT_ERR_ISS = -17,
    PJWT_ERR_AUD = -18,
    PJWT_ERR_EXP = -19,         /* expired, or exp missing when required */
    PJWT_ERR_NBF = -20,         /* not yet valid */
    PJWT_ERR_IAT = -21,         /* issued in the future */
    PJWT_ERR_LIFETIME = -22,    /* exp - iat over max lifetime */
    PJWT_ERR_USER = -23,        /* user claim missing or not the expected user */
    PJWT_ERR_CLAIM = -24,       /* a required claim value is missing */
    PJWT_ERR_CLAIM_TYPE = -25,  /* a registered claim has the wrong type */
    PJWT_ERR_REVOKED = -26,     /* jti or sub listed in the revocation file */
    PJWT_ERR_REPLAY = -27,      /* one-time token already used */
    PJWT_ERR_MISSING = -28,     /* an optional member is absent (not always an error) */
};

#define PJWT_ERR_MSG_MAX 192

/*
 * where names the function that recorded the error (always __func__, set
 * by PJWT_FAIL, never typed by hand).  It is for people debugging a
 * refusal, not for users: pam_jwt.so logs it only with "debug", jwtctl
 * only with -v; normal log lines and messages show msg alone.
 */
typedef struct pjwt_err {
    int code;                   /* last PJWT_ERR_* set, 0 when none */
    char msg[PJWT_ERR_MSG_MAX]; /* short human text, NUL terminated */
    const char *where;          /* static string: function that failed */
} pjwt_err;

/* Reset *e to "no error".  NULL is allowed. */
void pjwt_err_clear(pjwt_err *e);

/*
 * Record an error in *e (which may be NULL) and return code.  The message
 * is truncated to fit.  Never pass secrets in fmt arguments.  Code records
 * its own errors with PJWT_FAIL; pjwt_err_set itself is for passing on an
 * error recorded elsewhere (keeping its where).
 */
int pjwt_err_set(pjwt_err *e, int code, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * The one way to fail:  `return PJWT_FAIL(err, PJWT_ERR_KEY, "bad curve %s",
 * n);` records code, the message and the calling function, and evaluates
 * to code.  fmt may be NULL for the code's pjwt_strerror text.
 */
#define PJWT_FAIL(err, code, ...) \
    pjwt_err_set((err), (code), __func__, __VA_ARGS__)

/*
 * Public entry points that take an optional error struct start with
 * PJWT_ERR_OR_LOCAL(err, local): a caller's NULL is replaced by a local
 * struct, so the code below always has somewhere to record, and reads a
 * callee's failure with pjwt_err_code(err).
 */
#define PJWT_ERR_OR_LOCAL(err, local) \
    do { if (!(err)) { pjwt_err_clear(&(local)); (err) = &(local); } } while (0)

/*
 * The code a failed callee recorded in *e.  A callee that returned failure
 * without recording one still fails: PJWT_ERR_INTERNAL, never 0.
 */
static inline int
pjwt_err_code(const pjwt_err *e)
{
    return e && e->code ? e->code : PJWT_ERR_INTERNAL;
}

/* Static short name of a code, e.g. "signature invalid".  Never NULL. */
const char *pjwt_strerror(int code);

#endif
