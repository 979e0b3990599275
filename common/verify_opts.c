/*
 * verify_opts.c: a verifier's options (verify.h): new/free, the set
 * function shared by config files and module arguments, audience
 * expansion and the accessors.  The last value of a scalar option wins,
 * which is how arguments override the file; key= and require_claim= add.
 * Nothing here reads a file: pjwt_verifier_prepare (verify.c) does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "verify_impl.h"

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

static int
add_key(pjwt_verifier *v, const char *value, pjwt_err *err)
{
    if (!value || !*value)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "key needs a file name");
    if (v->n_keys >= MAX_LIST)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "more than %d key files", MAX_LIST);
    if (!(v->keys[v->n_keys] = strdup(value)))
        return PJWT_FAIL(err, PJWT_ERR_NOMEM,
                         "out of memory");
    v->n_keys++;
    return 0;
}

static int
add_req(pjwt_verifier *v, const char *value, pjwt_err *err)
{
    char *name, *val;
    int r;

    if (v->n_req >= MAX_LIST)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                            "more than %d require_claim entries", MAX_LIST);
    r = pjwt_conf_pair("require_claim", value, &name, &val, err);
    if (r != 0)
        return r;
    v->req[v->n_req].name = name;
    v->req[v->n_req].value = val;
    v->n_req++;
    return 0;
}

int
pjwt_verifier_aud_template(const char *t, int *needs, pjwt_err *err)
{
    *needs = 0;
    for (; *t; t++) {
        if (*t != '%')
            continue;
        t++;
        if (*t == 'h' || *t == 'H' || *t == 's')
            *needs = 1;
        else if (*t != '%')
            return PJWT_FAIL(err, PJWT_ERR_CONF,
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
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    if (v->prepared)
        return PJWT_FAIL(err, PJWT_ERR_ARG,
                         "verifier already prepared");
    if (strcmp(key, "issuer") == 0)
        return pjwt_conf_str(&v->issuer, key, value, err);
    if (strcmp(key, "audience") == 0) {
        if (value && pjwt_verifier_aud_template(value, &needs, err) != 0)
            return PJWT_ERR_CONF;
        free(v->aud);
        v->aud = NULL;
        return pjwt_conf_str(&v->aud_tmpl, key, value, err);
    }
    if (strcmp(key, "key") == 0)
        return add_key(v, value, err);
    if (strcmp(key, "hmac_secret") == 0)
        return pjwt_conf_str(&v->hmac_secret, key, value, err);
    if (strcmp(key, "algorithms") == 0) {
        /* Parsed now so a typo is reported with its file:line; the value
           itself is not repeated (messages never quote a file). */
        if (!value || !*value)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "algorithms needs a list");
        pjwt_err_clear(&e);
        if (pjwt_algset_parse(value, &algs, &e) != 0 || algs == 0)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                                "algorithms: not a comma-separated list of "
                                "known algorithm names");
        return pjwt_conf_str(&v->alg_list, key, value, err);
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
        return pjwt_conf_str(&v->user_claim, key, value, err);
    if (strcmp(key, "require_claim") == 0)
        return add_req(v, value, err);
    if (strcmp(key, "revoked") == 0)
        return pjwt_conf_str(&v->revoked_path, key, value, err);
    return PJWT_ERR_UNKNOWN_OPT;
}

int
pjwt_audience_expand(const char *tmpl, const char *host, const char *fqdn,
                     const char *service, char *out, size_t cap,
                     pjwt_err *err)
{
    const char *t, *ins;
    size_t n = 0, k;
    int needs;

    if (!tmpl || !out || cap == 0)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    if (pjwt_verifier_aud_template(tmpl, &needs, err) != 0)
        return PJWT_ERR_CONF;
    for (t = tmpl; *t; t++) {
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
                return PJWT_FAIL(err, PJWT_ERR_CONF,
                                 "audience: %%%c is not known here", *t);
        }
        k = strlen(ins);
        if (n + k >= cap)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "audience too long after expansion");
        memcpy(out + n, ins, k);
        n += k;
    }
    out[n] = '\0';
    return 0;
}

int
pjwt_verifier_expand_audience(pjwt_verifier *v, const char *host,
                              const char *fqdn, const char *service,
                              pjwt_err *err)
{
    char out[1024];

    if (!v)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    if (!v->aud_tmpl)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "audience is required");
    if (pjwt_audience_expand(v->aud_tmpl, host, fqdn, service, out,
                             sizeof(out), err) != 0)
        return PJWT_ERR_CONF;
    free(v->aud);
    if (!(v->aud = strdup(out)))
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    return 0;
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

const char *
pjwt_verifier_key_file(const pjwt_verifier *v, size_t i)
{
    return v && i < v->n_keys ? v->keys[i] : NULL;
}
