/*
 * verify.c: pam_jwt's verification options and checks as one unit
 * (verify.h), so the module, `jwtctl verify` and the issuer's /userinfo
 * refuse exactly the same tokens.
 *
 * Life cycle: new -> set (any number, from files and arguments; the last
 * value of a scalar option wins, which is how arguments override the file)
 * -> prepare (validate, read keys and the revocation list) -> optionally
 * expand_audience -> check (many times).  check() does not modify the
 * verifier except for the keyset's lazy key cache, so a verifier prepared
 * with PJWT_KEYS_EAGER may be shared by threads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "revoke.h"
#include "verify.h"

#define MAX_LIST 64                 /* key= and require_claim= entries */
#define MAX_LEEWAY 3600L
#define MAX_LIFETIME (366L * 86400)
#define MIN_TOKEN_LENGTH 64L
#define MAX_TOKEN_LENGTH (1024L * 1024)
#define MAX_LIFETIME_DEFAULT 3600L

struct pjwt_verifier {
    char *issuer;
    char *aud_tmpl;                 /* as configured, may hold %h %H %s %% */
    char *aud;                      /* expanded; NULL until known */
    char *keys[MAX_LIST];
    size_t n_keys;
    char *hmac_secret;
    char *alg_list;                 /* as configured; NULL: from the keys */
    pjwt_algset algs;               /* effective, after prepare */
    long leeway, max_lifetime, max_token_length;
    char *user_claim;
    pjwt_claim_req req[MAX_LIST];   /* name and value malloc'd */
    size_t n_req;
    char *revoked_path;
    pjwt_keyset *ks;
    pjwt_revoked *rev;
    int prepared;
};

pjwt_verifier *
pjwt_verifier_new(void)
{
    pjwt_verifier *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    v->leeway = PJWT_LEEWAY_DEFAULT;
    v->max_lifetime = MAX_LIFETIME_DEFAULT;
    v->max_token_length = PJWT_MAX_TOKEN_LEN_DEFAULT;
    return v;
}

void
pjwt_verifier_free(pjwt_verifier *v)
{
    size_t i;

    if (!v)
        return;
    free(v->issuer);
    free(v->aud_tmpl);
    free(v->aud);
    for (i = 0; i < v->n_keys; i++)
        free(v->keys[i]);
    free(v->hmac_secret);
    free(v->alg_list);
    free(v->user_claim);
    for (i = 0; i < v->n_req; i++) {
        free((char *)(uintptr_t)v->req[i].name);
        free((char *)(uintptr_t)v->req[i].value);
    }
    free(v->revoked_path);
    pjwt_keyset_free(v->ks);
    pjwt_revoked_free(v->rev);
    free(v);
}

/* Replace *slot with a copy of value (the last setting wins). */
static int
set_str(char **slot, const char *key, const char *value, pjwt_err *err)
{
    char *s;

    if (!value || !*value)
        return pjwt_err_set(err, PJWT_ERR_CONF, "pjwt_verifier_set",
                            "%s needs a value", key);
    if (!(s = strdup(value)))
        return pjwt_err_set(err, PJWT_ERR_NOMEM, "pjwt_verifier_set",
                            "out of memory");
    free(*slot);
    *slot = s;
    return 0;
}

static int
add_key(pjwt_verifier *v, const char *value, pjwt_err *err)
{
    if (!value || !*value)
        return pjwt_err_set(err, PJWT_ERR_CONF, "pjwt_verifier_set",
                            "key needs a file name");
    if (v->n_keys >= MAX_LIST)
        return pjwt_err_set(err, PJWT_ERR_CONF, "pjwt_verifier_set",
                            "more than %d key files", MAX_LIST);
    if (!(v->keys[v->n_keys] = strdup(value)))
        return pjwt_err_set(err, PJWT_ERR_NOMEM, "pjwt_verifier_set",
                            "out of memory");
    v->n_keys++;
    return 0;
}

static int
add_req(pjwt_verifier *v, const char *value, pjwt_err *err)
{
    const char *eq = value ? strchr(value, '=') : NULL;
    char *name = NULL, *val = NULL;

    if (!eq || eq == value)
        return pjwt_err_set(err, PJWT_ERR_CONF, "pjwt_verifier_set",
                            "require_claim needs NAME=VALUE");
    if (v->n_req >= MAX_LIST)
        return pjwt_err_set(err, PJWT_ERR_CONF, "pjwt_verifier_set",
                            "more than %d require_claim entries", MAX_LIST);
    name = strndup(value, (size_t)(eq - value));
    val = strdup(eq + 1);
    if (!name || !val) {
        free(name);
        free(val);
        return pjwt_err_set(err, PJWT_ERR_NOMEM, "pjwt_verifier_set",
                            "out of memory");
    }
    v->req[v->n_req].name = name;
    v->req[v->n_req].value = val;
    v->n_req++;
    return 0;
}

/* Check a %-template: only %h %H %s %% are known.  Sets *needs when a
   host or service is needed. */
static int
aud_template_ok(const char *t, int *needs, pjwt_err *err)
{
    *needs = 0;
    for (; *t; t++) {
        if (*t != '%')
            continue;
        t++;
        if (*t == 'h' || *t == 'H' || *t == 's')
            *needs = 1;
        else if (*t != '%')
            return pjwt_err_set(err, PJWT_ERR_CONF, "pjwt_verifier",
                                "audience: unknown %%-sequence (use %%h %%H %%s %%%%)");
    }
    return 0;
}

int
pjwt_verifier_set(void *ctx, const char *key, const char *value,
                  pjwt_err *err)
{
    pjwt_verifier *v = ctx;
    pjwt_algset algs;
    pjwt_err e;
    int needs;

    if (!v || !key)
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "bad argument");
    if (v->prepared)
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__,
                            "verifier already prepared");
    if (strcmp(key, "issuer") == 0)
        return set_str(&v->issuer, key, value, err);
    if (strcmp(key, "audience") == 0) {
        if (value && aud_template_ok(value, &needs, err) != 0)
            return PJWT_ERR_CONF;
        free(v->aud);
        v->aud = NULL;
        return set_str(&v->aud_tmpl, key, value, err);
    }
    if (strcmp(key, "key") == 0)
        return add_key(v, value, err);
    if (strcmp(key, "hmac_secret") == 0)
        return set_str(&v->hmac_secret, key, value, err);
    if (strcmp(key, "algorithms") == 0) {
        /* Parsed now so a typo is reported with its file:line. */
        if (!value || !*value)
            return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                                "algorithms needs a list");
        pjwt_err_clear(&e);
        if (pjwt_algset_parse(value, &algs, &e) != 0 || algs == 0)
            return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                                "algorithms: %s", e.msg[0] ? e.msg : "bad list");
        return set_str(&v->alg_list, key, value, err);
    }
    if (strcmp(key, "leeway") == 0)
        return pjwt_conf_long(key, value, 0, MAX_LEEWAY, &v->leeway, err);
    if (strcmp(key, "max_lifetime") == 0)
        return pjwt_conf_long(key, value, 0, MAX_LIFETIME, &v->max_lifetime,
                              err);
    if (strcmp(key, "max_token_length") == 0)
        return pjwt_conf_long(key, value, MIN_TOKEN_LENGTH, MAX_TOKEN_LENGTH,
                              &v->max_token_length, err);
    if (strcmp(key, "user_claim") == 0)
        return set_str(&v->user_claim, key, value, err);
    if (strcmp(key, "require_claim") == 0)
        return add_req(v, value, err);
    if (strcmp(key, "revoked") == 0)
        return set_str(&v->revoked_path, key, value, err);
    return PJWT_ERR_UNKNOWN_OPT;
}

int
pjwt_verifier_expand_audience(pjwt_verifier *v, const char *host,
                              const char *fqdn, const char *service,
                              pjwt_err *err)
{
    char out[1024];
    const char *t, *ins;
    size_t n = 0, k;
    int needs;

    if (!v)
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "bad argument");
    if (!v->aud_tmpl)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                            "audience is required");
    if (aud_template_ok(v->aud_tmpl, &needs, err) != 0)
        return PJWT_ERR_CONF;
    for (t = v->aud_tmpl; *t; t++) {
        char one[2] = { *t, '\0' };

        ins = one;
        if (*t == '%') {
            t++;
            if (*t == 'h')
                ins = host;
            else if (*t == 'H')
                ins = fqdn;
            else if (*t == 's')
                ins = service;
            else
                ins = "%";
            if (!ins || !*ins)
                return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                                    "audience: %%%c is not known here", *t);
        }
        k = strlen(ins);
        if (n + k >= sizeof(out))
            return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                                "audience too long after expansion");
        memcpy(out + n, ins, k);
        n += k;
    }
    out[n] = '\0';
    free(v->aud);
    if (!(v->aud = strdup(out)))
        return pjwt_err_set(err, PJWT_ERR_NOMEM, __func__, "out of memory");
    return 0;
}

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
pjwt_verifier_prepare(pjwt_verifier *v, unsigned flags, pjwt_err *err)
{
    unsigned kflags = (flags & (PJWT_KEYS_EAGER | PJWT_KEYS_PRIVATE)) |
                      PJWT_KEYS_CHECK_WRITE;
    pjwt_algset keyalgs, extra;
    pjwt_err e;
    char names[128];
    size_t i;
    int needs, r = PJWT_ERR_INTERNAL;

    if (!v)
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "bad argument");
    if (v->prepared)
        return 0;
    if (!v->issuer)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__, "issuer is required");
    if (!v->aud_tmpl)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                            "audience is required");
    if (v->n_keys == 0 && !v->hmac_secret)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                            "no key or hmac_secret configured");
    pjwt_err_clear(&e);
    if (v->alg_list && pjwt_algset_parse(v->alg_list, &v->algs, &e) != 0)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__, "algorithms: %s",
                            e.msg);
    if (v->alg_list && (v->algs & PJWT_ALGSET_HS) && !v->hmac_secret)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                            "HS* algorithms allowed without an hmac_secret");

    if (!(v->ks = pjwt_keyset_new()))
        return pjwt_err_set(err, PJWT_ERR_NOMEM, __func__, "out of memory");
    for (i = 0; i < v->n_keys; i++) {
        if ((r = pjwt_keyset_load_file(v->ks, v->keys[i], kflags, err)) != 0)
            goto out;
    }
    /* An HMAC key can only come from hmac_secret, whose file is checked
       for being unreadable by others; a JWK "oct" key in a key= file
       (public, world-readable) would make every token forgeable. */
    if (pjwt_keyset_algs(v->ks) & PJWT_ALGSET_HS) {
        r = pjwt_err_set(err, PJWT_ERR_CONF, __func__,
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
        r = pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                         "algorithms allowed that no key supports: %s",
                         alg_names(extra, names, sizeof(names)));
        goto out;
    }
    if (v->algs == 0) {
        r = pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                         "the keys allow no algorithm");
        goto out;
    }

    if (v->revoked_path) {
        if (!(v->rev = pjwt_revoked_new())) {
            r = pjwt_err_set(err, PJWT_ERR_NOMEM, __func__, "out of memory");
            goto out;
        }
        if ((r = pjwt_revoked_load_file(v->rev, v->revoked_path, err)) != 0)
            goto out;
    }

    /* An audience without host/service sequences is final now. */
    if (aud_template_ok(v->aud_tmpl, &needs, err) != 0) {
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
               (printable excerpt only, it comes from the token). */
            char kid[48];
            size_t i;
            for (i = 0; pt.kid[i] && i < sizeof(kid) - 1; i++)
                kid[i] = (pt.kid[i] > 0x20 && pt.kid[i] < 0x7f &&
                          pt.kid[i] != '"') ? pt.kid[i] : '?';
            kid[i] = '\0';
            snprintf(d, sizeof(d), "no loaded key has kid \"%s\" for %s", kid,
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
            snprintf(d, sizeof(d), "kid %.64s",
                     tok && tok->key ? pjwt_key_kid(tok->key) :
                     (pt.kid ? "(given)" : "(none)"));
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
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__, "bad argument");
    if (!v->prepared)
        return pjwt_err_set(err, PJWT_ERR_ARG, __func__,
                            "verifier not prepared");
    if (!v->aud)
        return pjwt_err_set(err, PJWT_ERR_CONF, __func__,
                            "audience has %%h/%%H/%%s but was not expanded");

    /* Signature first: nothing in the claims is looked at before. */
    pjwt_err_clear(&e);
    r = pjwt_jws_verify(token, len, (size_t)v->max_token_length, v->ks,
                        v->algs, &tok, &e);
    if (report)
        report_jws(v, token, len, r, &e, &tok, report, report_arg);
    if (r != 0) {
        pjwt_err_set(err, r, __func__, "%s", e.msg);
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
        pjwt_err_set(err, r, __func__, "%s", e.msg);
        if (!report)
            goto out;
    }

    if (v->rev) {
        pjwt_err_clear(&e2);
        rc = pjwt_revoked_check(v->rev, tok.claims, &e2);
        if (report)
            report(report_arg, "revoked", rc,
                   rc ? e2.msg : "not on the revocation list");
        if (rc != 0 && r == 0) {
            r = pjwt_err_set(err, rc, __func__, "%s", e2.msg);
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

const char *
pjwt_verifier_issuer(const pjwt_verifier *v)
{
    return v ? v->issuer : NULL;
}

const char *
pjwt_verifier_audience(const pjwt_verifier *v)
{
    return v ? (v->aud ? v->aud : v->aud_tmpl) : NULL;
}

size_t
pjwt_verifier_max_token_length(const pjwt_verifier *v)
{
    return v ? (size_t)v->max_token_length : PJWT_MAX_TOKEN_LEN_DEFAULT;
}

pjwt_algset
pjwt_verifier_algorithms(const pjwt_verifier *v)
{
    return v ? v->algs : 0;
}
