/*
 * verify.c: pam_jwt's checks as one unit (verify.h), so the module,
 * `jwtctl verify` and the issuer's /userinfo refuse exactly the same
 * tokens: prepare() validates the options and reads keys and the
 * revocation list once; check() verifies the signature, then the claims,
 * then revocation.  check() does not modify the verifier except for the
 * keyset's lazy key cache, so a verifier prepared with PJWT_KEYS_EAGER may
 * be shared by threads.  The options themselves live in verify_opts.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "excerpt.h"
#include "verify_impl.h"

/* Bytes of a token's kid named in a message (a thumbprint kid is 43). */
#define KID_EXCERPT_MAX 47

/* Names of the algorithms in set, comma separated, into buf. */
static const char *
alg_names(pjwt_algset set, char *buf, size_t cap)
{
    size_t n = 0;
    int a;

    buf[0] = '\0';
    for (a = 1; a < PJWT_ALG_COUNT; a++) {
        if (!(set & PJWT_ALGSET(a)))
            continue;
        n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s",
                              n ? "," : "", pjwt_alg_name((pjwt_alg)a));
        if (n >= cap)
            break;
    }
    return buf;
}

int
pjwt_verifier_add_key(pjwt_verifier *v, pjwt_key *key, pjwt_err *err)
{
    int r = PJWT_ERR_INTERNAL;

    if (!v || !key || v->prepared) {
        r = PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
        goto out;
    }
    if (pjwt_key_kty(key) == PJWT_KTY_OCT) {
        r = PJWT_FAIL(err, PJWT_ERR_CONF,
                      "HMAC keys come only from hmac_secret");
        goto out;
    }
    if (!v->ks && !(v->ks = pjwt_keyset_new())) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* The keyset owns key from here, also when adding fails. */
    r = pjwt_keyset_add(v->ks, key, err);
    key = NULL;
out:
    pjwt_key_free(key);
    return r;
}

/*
 * The options prepare() cannot work with, refused before anything is
 * loaded (a verifier that fails here keeps the keys added to it).
 */
static int
check_options(pjwt_verifier *v, pjwt_err *err)
{
    pjwt_err e;

    if (!v->issuer)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "issuer is required");
    if (!v->aud_tmpl)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "audience is required");
    if (v->n_keys == 0 && !v->hmac_secret && !v->ks)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "no key or hmac_secret configured");
    pjwt_err_clear(&e);
    if (v->alg_list && pjwt_algset_parse(v->alg_list, &v->algs, &e) != 0)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "algorithms: not a comma-separated list of "
                         "known algorithm names");
    if (v->alg_list && (v->algs & PJWT_ALGSET_HS) && !v->hmac_secret)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "HS* algorithms allowed without an hmac_secret");
    return 0;
}

int
pjwt_verifier_prepare(pjwt_verifier *v, unsigned flags, pjwt_err *err)
{
    unsigned kflags = (flags & (PJWT_KEYS_EAGER | PJWT_KEYS_PRIVATE)) |
                      PJWT_KEYS_CHECK_WRITE;
    pjwt_algset keyalgs, extra;
    char names[128];
    size_t i;
    int needs, r = PJWT_ERR_INTERNAL;

    if (!v)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    if (v->prepared)
        return 0;
    if ((r = check_options(v, err)) != 0)
        return r;

    if (!v->ks && !(v->ks = pjwt_keyset_new())) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < v->n_keys; i++) {
        if ((r = pjwt_keyset_load_file(v->ks, v->keys[i], kflags, err)) != 0)
            goto out;
    }
    /* An HMAC key can only come from hmac_secret, whose file is checked
       for being unreadable by others; a JWK "oct" key in a key= file
       (public, world-readable) would make every token forgeable. */
    if (pjwt_keyset_algs(v->ks) & PJWT_ALGSET_HS) {
        r = PJWT_FAIL(err, PJWT_ERR_CONF,
                      "a key file holds an HMAC (oct) key: use hmac_secret");
        goto out;
    }
    if (v->hmac_secret &&
        (r = pjwt_keyset_load_secret_file(v->ks, v->hmac_secret,
                                          (flags & PJWT_KEYS_EAGER) |
                                          PJWT_KEYS_CHECK_WRITE |
                                          PJWT_KEYS_CHECK_READ, err)) != 0)
        goto out;

    keyalgs = pjwt_keyset_algs(v->ks);
    if (!v->alg_list)
        v->algs = keyalgs;
    extra = v->algs & ~keyalgs;
    if (extra) {
        r = PJWT_FAIL(err, PJWT_ERR_CONF,
                      "algorithms allowed that no key supports: %s",
                      alg_names(extra, names, sizeof(names)));
        goto out;
    }
    if (v->algs == 0) {
        r = PJWT_FAIL(err, PJWT_ERR_CONF,
                      "the keys allow no algorithm");
        goto out;
    }

    if (v->revoked_path) {
        if (!(v->rev = pjwt_revoked_new())) {
            r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
            goto out;
        }
        if ((r = pjwt_revoked_load_file(v->rev, v->revoked_path, err)) != 0)
            goto out;
    }

    /* An audience without host/service sequences is final now. */
    if (pjwt_verifier_aud_template(v->aud_tmpl, &needs, err) != 0) {
        r = PJWT_ERR_CONF;
        goto out;
    }
    if (!needs && !v->aud &&
        (r = pjwt_verifier_expand_audience(v, NULL, NULL, NULL, err)) != 0)
        goto out;

    v->prepared = 1;
    r = 0;
out:
    if (r != 0) {
        pjwt_keyset_free(v->ks);
        v->ks = NULL;
        pjwt_revoked_free(v->rev);
        v->rev = NULL;
    }
    return r;
}

/* Where a failure of pjwt_jws_verify belongs, in report order. */
enum step { S_LENGTH, S_FORMAT, S_ALG, S_HEADER, S_KEY, S_SIG, S_NONE };

static const char *const step_name[] = {
    "length", "format", "alg", "header", "key", "signature",
};

static enum step
step_of(int rc)
{
    switch (rc) {
    case 0:                 return S_NONE;
    case PJWT_ERR_TOO_LONG: return S_LENGTH;
    case PJWT_ERR_FORMAT:
    case PJWT_ERR_B64:
    case PJWT_ERR_JSON:     return S_FORMAT;
    case PJWT_ERR_ALG:      return S_ALG;
    case PJWT_ERR_HEADER:   return S_HEADER;
    case PJWT_ERR_NO_KEY:   return S_KEY;
    default:                return S_SIG;
    }
}

/* The key step's PASS line: the kid the token asked for and the key that
   answered (a key without a kid of its own answers any kid, keys.h). */
static void
key_detail(char *d, size_t cap, const char *want, const pjwt_key *key)
{
    char kid[128];      /* 47 plain bytes, fewer when escaped */
    const char *have = key ? pjwt_key_kid(key) : "?";

    if (!want)
        snprintf(d, cap, "token has no kid: key %.64s", have);
    else if (key && strcmp(want, have) == 0)
        snprintf(d, cap, "kid %.64s", have);
    else
        snprintf(d, cap, "token kid \"%.60s\": key %.50s (no kid of its own, "
                 "matches any)", pjwt_excerpt(want, PJWT_EXCERPT_CSTR,
                                              KID_EXCERPT_MAX, 0, kid,
                                              sizeof(kid)), have);
}

/*
 * Report the signature half: every step up to the failing one.  Details
 * come from an unverified parse of the token, used for nothing else.
 */
static void
report_jws(const pjwt_verifier *v, const char *token, size_t len, int rc,
           const pjwt_err *verr, const pjwt_token *tok, pjwt_report_fn report,
           void *arg)
{
    pjwt_token pt = { 0 };
    enum step fail = step_of(rc), s;
    char d[PJWT_ERR_MSG_MAX], names[128];
    const char *an;
    int prc = 0;

    if (fail > S_LENGTH)
        prc = pjwt_jws_parse(token, len, (size_t)v->max_token_length, &pt, NULL);
    for (s = S_LENGTH; s <= fail && s < S_NONE; s++) {
        int src = s == fail ? rc : 0;

        d[0] = '\0';
        if (src != 0 && s == S_KEY && prc == 0 && pt.kid) {
            /* Rotation trouble shows here: name the kid the token asks for
               (an escaped excerpt only, it comes from the token). */
            char kid[128];      /* 47 plain bytes, fewer when escaped */

            pjwt_excerpt(pt.kid, PJWT_EXCERPT_CSTR, KID_EXCERPT_MAX, 0, kid,
                         sizeof(kid));
            snprintf(d, sizeof(d), "no loaded key has kid \"%.100s\" for %s,"
                     " nor a kid-less one", kid,
                     pjwt_alg_name(pt.alg) ? pjwt_alg_name(pt.alg) : "?");
        } else if (src != 0)
            snprintf(d, sizeof(d), "%s", verr->msg);
        else if (s == S_LENGTH)
            snprintf(d, sizeof(d), "%zu bytes, max %ld", len, v->max_token_length);
        else if (s == S_FORMAT)
            snprintf(d, sizeof(d), "three base64url segments, JSON header");
        else if (s == S_ALG) {
            an = prc == 0 ? pjwt_alg_name(pt.alg) : NULL;
            alg_names(v->algs, names, sizeof(names));
            if (an && (v->algs & PJWT_ALGSET(pt.alg)))
                snprintf(d, sizeof(d), "%s, allowed: %s", an, names);
            else {
                src = PJWT_ERR_ALG;
                snprintf(d, sizeof(d), "alg not allowed, allowed: %s", names);
            }
        } else if (s == S_HEADER)
            snprintf(d, sizeof(d), "no crit, no b64");
        else if (s == S_KEY)
            key_detail(d, sizeof(d), prc == 0 ? pt.kid : NULL,
                       tok ? tok->key : NULL);
        else
            snprintf(d, sizeof(d), "valid");
        report(arg, step_name[s], src, d);
    }
    pjwt_token_clear(&pt);
}

int
pjwt_verifier_check(pjwt_verifier *v, const char *token, size_t len,
                    const char *user, time_t now, pjwt_report_fn report,
                    void *report_arg, pjwt_token *out, pjwt_err *err)
{
    pjwt_token tok = { 0 };
    pjwt_policy p;
    pjwt_err e, e2;
    int r = PJWT_ERR_INTERNAL, rc;

    if (out)
        memset(out, 0, sizeof(*out));
    if (!v || !token)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    if (!v->prepared)
        return PJWT_FAIL(err, PJWT_ERR_ARG,
                         "verifier not prepared");
    if (!v->aud)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "audience has %%h/%%H/%%s but was not expanded");

    /* Signature first: nothing in the claims is looked at before. */
    pjwt_err_clear(&e);
    r = pjwt_jws_verify(token, len, (size_t)v->max_token_length, v->ks,
                        v->algs, &tok, &e);
    if (report)
        report_jws(v, token, len, r, &e, &tok, report, report_arg);
    if (r != 0) {
        PJWT_FAIL(err, r, "%s", e.msg);
        goto out;
    }

    pjwt_policy_init(&p);
    p.issuer = v->issuer;
    p.audience = v->aud;
    p.user_claim = v->user_claim;
    p.expected_user = user;
    p.leeway = v->leeway;
    p.max_lifetime = v->max_lifetime;
    p.required = v->req;
    p.n_required = v->n_req;
    p.report = report;
    p.report_arg = report_arg;
    pjwt_err_clear(&e);
    r = pjwt_claims_check(tok.claims, &p, now, &e);
    if (r != 0) {
        PJWT_FAIL(err, r, "%s", e.msg);
        if (!report)
            goto out;
    }

    if (v->rev) {
        pjwt_err_clear(&e2);
        rc = pjwt_revoked_check(v->rev, tok.claims, v->user_claim, &e2);
        if (report)
            report(report_arg, "revoked", rc,
                   rc ? e2.msg : "not on the revocation list");
        if (rc != 0 && r == 0) {
            r = PJWT_FAIL(err, rc, "%s", e2.msg);
            goto out;
        }
    }
    if (r != 0)
        goto out;

    if (out) {
        *out = tok;
        memset(&tok, 0, sizeof(tok));
    }
    pjwt_err_clear(err);
    r = 0;
out:
    pjwt_token_clear(&tok);
    return r;
}
