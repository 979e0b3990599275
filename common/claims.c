/*
 * claims.c: the claims policy of claims.h (RFC 7519 section 4.1).
 *
 * Time is a parameter: nothing here reads the clock, so every boundary is
 * testable to the second.  NumericDates may be fractional (RFC 7519 section
 * 2), so comparisons are done in double; every value involved is below 2^53
 * (pjwt_json_get_date bounds it), where doubles are exact integers.
 *
 * Messages go to logs: they carry claim names, our configured values and at
 * most a short, escaped excerpt of a token's string claim, never the token.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "claims.h"
#include "excerpt.h"
#include "timefmt.h"
#include "json.h"

/* Longest excerpt of a token-supplied string quoted in a message. */
#define EXCERPT_MAX 48

struct run {
    const pjwt_policy *p;
    pjwt_err *err;
    int first;          /* first failure, 0 while none */
};

void
pjwt_policy_init(pjwt_policy *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof(*p));
    p->leeway = PJWT_LEEWAY_DEFAULT;
}

/* A token-supplied string for a message that quotes it: escaped and
   bounded (excerpt.h), so a log line carries no control characters and no
   unbounded text from the token, and a quote in it cannot end the quote. */
static void
excerpt(const char *s, size_t len, char *out, size_t cap)
{
    (void)pjwt_excerpt(s, len, EXCERPT_MAX, 0, out, cap);
}

/*
 * Record one check's outcome: report it when a report callback is set, and
 * keep the first failure in *err.  Returns rc so callers can stop early when
 * nobody asked for a full report.
 */
static int
outcome(struct run *r, const char *check, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
outcome(struct run *r, const char *check, int rc, const char *fmt, ...)
{
    char detail[PJWT_ERR_MSG_MAX];
    va_list ap;

    /* A passing check needs no words unless someone reads the report:
       formatting them costs more than the check (HS256 verify budget). */
    if (rc == 0 && !r->p->report)
        return 0;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (r->p->report)
        r->p->report(r->p->report_arg, check, rc, detail);
    if (rc != 0 && r->first == 0) {
        r->first = rc;
        PJWT_FAIL(r->err, rc, "%s", detail);
    }
    return rc;
}

/* Stop at the first failure unless every check is to be reported. */
#define STOP(r, rc) ((rc) != 0 && !(r)->p->report)

static int
check_iss(struct run *r, const json_t *claims)
{
    const char *s;
    size_t len;
    char ex[PJWT_EXCERPT_BUF(EXCERPT_MAX)];
    int rc;

    rc = pjwt_json_get_string(claims, "iss", &s, &len, NULL);
    if (rc == PJWT_ERR_MISSING)
        return outcome(r, "iss", PJWT_ERR_ISS, "iss missing");
    if (rc != 0)
        return outcome(r, "iss", PJWT_ERR_CLAIM_TYPE, "iss is not a string");
    excerpt(s, len, ex, sizeof(ex));
    if (len != strlen(r->p->issuer) || memcmp(s, r->p->issuer, len) != 0)
        return outcome(r, "iss", PJWT_ERR_ISS, "iss \"%s\" is not \"%s\"", ex,
                       r->p->issuer);
    return outcome(r, "iss", 0, "iss \"%s\"", ex);
}

static int
aud_equal(const json_t *v, const char *aud)
{
    return json_string_length(v) == strlen(aud) &&
           memcmp(json_string_value(v), aud, strlen(aud)) == 0;
}

static int
check_aud(struct run *r, const json_t *claims)
{
    const json_t *aud = json_object_get(claims, "aud");
    const json_t *v;
    size_t i, n;
    int found = 0;

    if (!aud)
        return outcome(r, "aud", PJWT_ERR_AUD, "aud missing");
    if (json_is_string(aud)) {
        if (aud_equal(aud, r->p->audience))
            return outcome(r, "aud", 0, "aud is \"%s\"", r->p->audience);
        return outcome(r, "aud", PJWT_ERR_AUD, "aud is not \"%s\"",
                       r->p->audience);
    }
    if (!json_is_array(aud))
        return outcome(r, "aud", PJWT_ERR_CLAIM_TYPE,
                       "aud is neither a string nor an array");
    n = json_array_size(aud);
    /* RFC 7519: an array of strings.  Anything else in it is malformed,
       even next to our audience. */
    for (i = 0; i < n; i++) {
        v = json_array_get(aud, i);
        if (!json_is_string(v))
            return outcome(r, "aud", PJWT_ERR_CLAIM_TYPE,
                           "aud array holds a non-string");
        if (aud_equal(v, r->p->audience))
            found = 1;
    }
    if (!found)
        return outcome(r, "aud", PJWT_ERR_AUD,
                       "aud array (%zu) does not contain \"%s\"", n,
                       r->p->audience);
    return outcome(r, "aud", 0, "aud array contains \"%s\"", r->p->audience);
}

/* Read a NumericDate: 1 present, 0 absent, or a (negative) type error. */
static int
get_date(const json_t *claims, const char *name, double *out)
{
    int rc = pjwt_json_get_date(claims, name, out, NULL);

    if (rc == 0)
        return 1;
    if (rc == PJWT_ERR_MISSING)
        return 0;
    return PJWT_ERR_CLAIM_TYPE;
}

static int
check_user(struct run *r, const json_t *claims)
{
    const char *name = r->p->user_claim ? r->p->user_claim : "sub";
    const char *want = r->p->expected_user;
    const char *s;
    size_t len;
    char ex[PJWT_EXCERPT_BUF(EXCERPT_MAX)];
    int rc;

    rc = pjwt_json_get_string(claims, name, &s, &len, NULL);
    if (rc == PJWT_ERR_MISSING)
        return outcome(r, "user", PJWT_ERR_USER, "%s missing", name);
    if (rc != 0)
        return outcome(r, "user", PJWT_ERR_USER, "%s is not a string", name);
    excerpt(s, len, ex, sizeof(ex));
    /* Length first: "root" must not match "root\0x" nor "roo". */
    if (len != strlen(want) || memcmp(s, want, len) != 0)
        return outcome(r, "user", PJWT_ERR_USER, "%s \"%s\" is not user \"%s\"",
                       name, ex, want);
    return outcome(r, "user", 0, "%s is \"%s\"", name, ex);
}

static int
claim_has(const json_t *c, const char *value)
{
    size_t i, vlen = strlen(value);

    if (json_is_string(c))
        return json_string_length(c) == vlen &&
               memcmp(json_string_value(c), value, vlen) == 0;
    if (json_is_array(c)) {
        for (i = 0; i < json_array_size(c); i++) {
            const json_t *v = json_array_get(c, i);
            if (json_is_string(v) && json_string_length(v) == vlen &&
                memcmp(json_string_value(v), value, vlen) == 0)
                return 1;
        }
    }
    return 0;
}

static int
check_required(struct run *r, const json_t *claims, const pjwt_claim_req *q)
{
    const json_t *c;

    if (!q->name || !q->value)
        return outcome(r, "claim", PJWT_ERR_ARG, "bad required claim");
    c = json_object_get(claims, q->name);
    if (!c)
        return outcome(r, "claim", PJWT_ERR_CLAIM, "%s missing", q->name);
    if (!claim_has(c, q->value))
        return outcome(r, "claim", PJWT_ERR_CLAIM, "%s does not hold \"%s\"",
                       q->name, q->value);
    return outcome(r, "claim", 0, "%s holds \"%s\"", q->name, q->value);
}

/*
 * nbf and iat: a NumericDate, when present, no later than now + leeway
 * (RFC 7519 4.1.5; an iat from the future is a forged or skewed token).
 * *has is get_date's answer, *val the date.  0 or the failure.
 */
static int
not_later(struct run *r, const json_t *claims, const char *name, int code,
          const char *why, time_t now, int *has, double *val)
{
    double limit = (double)now + (double)r->p->leeway;
    char when[PJWT_TIME_BUF], at[PJWT_TIME_BUF];
    int rc;

    *has = get_date(claims, name, val);
    if (*has < 0)
        return outcome(r, name, *has, "%s is not a NumericDate", name);
    if (!*has)
        return 0;
    rc = *val <= limit ? 0 : code;
    return outcome(r, name, rc, "%s%s %s, now %s, leeway %ld",
                   rc ? why : "", name,
                   pjwt_time_fmt(*val, now, 0, when, sizeof(when)),
                   pjwt_time_fmt((double)now, now, PJWT_TIME_NO_AGE, at,
                                 sizeof(at)), r->p->leeway);
}

/* The time checks: exp, nbf, iat, lifetime.  0 or the first failure. */
static int
check_times(struct run *r, const json_t *claims, time_t now)
{
    const pjwt_policy *p = r->p;
    double t = (double)now, lw = (double)p->leeway;
    double exp = 0, nbf = 0, iat = 0;
    char when[PJWT_TIME_BUF], at[PJWT_TIME_BUF];
    int has_exp, has_nbf, has_iat, rc, first = 0;

#define KEEP(x) do { int k_ = (x); if (k_ && !first) first = k_; \
                     if (STOP(r, k_)) return k_; } while (0)

    has_exp = get_date(claims, "exp", &exp);
    if (has_exp < 0)
        KEEP(outcome(r, "exp", has_exp, "exp is not a NumericDate"));
    else if (!has_exp && !p->exp_optional)
        KEEP(outcome(r, "exp", PJWT_ERR_EXP, "exp missing"));
    else if (has_exp) {
        /* Expired once now - leeway reaches exp (RFC 7519 4.1.4). */
        rc = t - lw < exp ? 0 : PJWT_ERR_EXP;
        KEEP(outcome(r, "exp", rc, "%sexp %s, now %s, leeway %ld",
                     rc ? "expired: " : "",
                     pjwt_time_fmt(exp, now, 0, when, sizeof(when)),
                     pjwt_time_fmt(t, now, PJWT_TIME_NO_AGE, at, sizeof(at)),
                     p->leeway));
    }

    KEEP(not_later(r, claims, "nbf", PJWT_ERR_NBF, "not yet valid: ", now,
                   &has_nbf, &nbf));
    KEEP(not_later(r, claims, "iat", PJWT_ERR_IAT, "issued in the future: ",
                   now, &has_iat, &iat));

    if (p->max_lifetime > 0 && has_exp >= 0 && has_iat >= 0) {
        /* Without exp the lifetime is unbounded: fail closed. */
        if (!has_exp)
            KEEP(outcome(r, "lifetime", PJWT_ERR_LIFETIME,
                         "no exp: lifetime unbounded (max %ld)",
                         p->max_lifetime));
        else {
            double life = exp - (has_iat ? iat : t);
            rc = life <= (double)p->max_lifetime ? 0 : PJWT_ERR_LIFETIME;
            KEEP(outcome(r, "lifetime", rc, "%sexp - %s = %.15g s, max %ld",
                         rc ? "lifetime too long: " : "",
                         has_iat ? "iat" : "now", life, p->max_lifetime));
        }
    }
#undef KEEP
    return first;
}

int
pjwt_claims_check(const json_t *claims, const pjwt_policy *p, time_t now,
                  pjwt_err *err)
{
    struct run r = { .p = p, .err = err, .first = 0 };
    size_t i;
    int rc;

    if (!p || !json_is_object(claims))
        return PJWT_FAIL(err, PJWT_ERR_ARG,
                         "claims must be an object");
    if (p->leeway < 0 || p->max_lifetime < 0)
        return PJWT_FAIL(err, PJWT_ERR_ARG,
                         "negative leeway or lifetime");

    if (p->issuer) {
        rc = check_iss(&r, claims);
        if (STOP(&r, rc))
            return rc;
    }
    if (p->audience) {
        rc = check_aud(&r, claims);
        if (STOP(&r, rc))
            return rc;
    }
    rc = check_times(&r, claims, now);
    if (STOP(&r, rc))
        return rc;
    if (p->expected_user) {
        rc = check_user(&r, claims);
        if (STOP(&r, rc))
            return rc;
    }
    for (i = 0; i < p->n_required && p->required; i++) {
        rc = check_required(&r, claims, &p->required[i]);
        if (STOP(&r, rc))
            return rc;
    }
    return r.first;
}
