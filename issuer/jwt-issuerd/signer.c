/*
 * signer.c: what goes into an issued token, and the proof at startup that
 * no token this configuration can issue reaches ISSUER_MAX_TOKEN_LEN bytes
 * (OpenSSH's client reads a password into 1024 bytes).  The proof signs the
 * largest possible claim set with the real key, so the signature length is
 * measured rather than guessed.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/rand.h>

#include "b64url.h"
#include "jws.h"
#include "signer.h"
#include "state.h"

int
signer_name_ok(const char *s, size_t max)
{
    size_t i;

    if (s == NULL || s[0] == '\0' || s[0] == '-')
        return 0;
    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];

        if (i >= max)
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
              || c == '@' || c == '+'))
            return 0;
    }
    return 1;
}

int
signer_scope_ok(const char *s)
{
    size_t i;

    if (s == NULL || s[0] == '\0')
        return 0;
    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];

        if (i >= ISSUER_MAX_SCOPE_LEN)
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == ' ' || c == '.' || c == '_'
              || c == ':' || c == '/' || c == '-'))
            return 0;
    }
    return 1;
}

/* Claims in a fixed order; times are parameters so the size proof can use
   the widest values. */
static json_t *
make_claims(const struct issuer_state *st, const char *sub, const char *aud,
            const char *scope, const char *const *groups, size_t ngroups,
            json_int_t now, const char *jti)
{
    const struct issuer_conf *c = st->conf;
    json_auto_t *cl = json_object();
    json_t *r = NULL;
    size_t i, n = 0;

    if (cl == NULL
        || json_object_set_new(cl, "iss", json_string(c->issuer)) != 0
        || json_object_set_new(cl, "sub", json_string(sub)) != 0
        || json_object_set_new(cl, "aud", json_string(aud)) != 0
        || json_object_set_new(cl, "iat", json_integer(now)) != 0
        || json_object_set_new(cl, "nbf", json_integer(now)) != 0
        || json_object_set_new(cl, "exp", json_integer(now + c->token_lifetime)) != 0
        || json_object_set_new(cl, "jti", json_string(jti)) != 0)
        goto out;
    if (scope != NULL && json_object_set_new(cl, "scope", json_string(scope)) != 0)
        goto out;
    if (c->claims_groups) {
        json_t *g = json_array();

        if (json_object_set_new(cl, "groups", g) != 0)
            goto out;
        for (i = 0; i < ngroups && n < ISSUER_MAX_GROUPS; i++) {
            if (!signer_name_ok(groups[i], ISSUER_MAX_GROUP_LEN))
                continue;
            if (json_array_append_new(g, json_string(groups[i])) != 0)
                goto out;
            n++;
        }
    }
    for (i = 0; i < c->n_claims; i++)
        if (json_object_set_new(cl, c->claims[i].name,
                                json_string(c->claims[i].value)) != 0)
            goto out;
    r = cl;
    cl = NULL;
out:
    return r;
}

/* The key current at now: key_dir's successor once its time has come
   (a request that took its state before the switch). */
static char *
sign_claims(const struct issuer_state *st, json_t *claims, time_t now,
            pjwt_err *err)
{
    json_auto_t *hdr = json_pack("{s:s}", "typ", "JWT");
    pjwt_key *key = st->sign_key;
    pjwt_alg alg = st->alg;

    if (hdr == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (st->succ_key != NULL && now >= st->succ_at) {
        key = st->succ_key;
        alg = pjwt_key_default_alg(key);
    }
    return pjwt_jws_sign(key, alg, hdr, claims, err);
}

char *
signer_issue(const struct issuer_state *st, const char *sub, const char *aud,
             const char *scope, const char *const *groups, size_t ngroups,
             time_t now, char *jti_out, pjwt_err *err)
{
    unsigned char rnd[16];
    char jti[SIGNER_JTI_LEN + 1];
    json_auto_t *claims = NULL;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "RAND_bytes failed");
        return NULL;
    }
    pjwt_b64url_encode(rnd, sizeof(rnd), jti);
    if (jti_out != NULL)
        memcpy(jti_out, jti, sizeof(jti));
    claims = make_claims(st, sub, aud, scope, groups, ngroups, (json_int_t)now, jti);
    if (claims == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return sign_claims(st, claims, now, err);
}

int
signer_check_size(const struct issuer_state *st, size_t *len, pjwt_err *err)
{
    const struct issuer_conf *c = st->conf;
    char sub[ISSUER_MAX_USER_LEN + 1], scope[ISSUER_MAX_SCOPE_LEN + 1];
    char names[ISSUER_MAX_GROUPS][ISSUER_MAX_GROUP_LEN + 1];
    const char *groups[ISSUER_MAX_GROUPS];
    const char *aud = c->audience;
    json_auto_t *claims = NULL;
    char *tok;
    size_t i, n;

    memset(sub, 'x', ISSUER_MAX_USER_LEN);
    sub[ISSUER_MAX_USER_LEN] = '\0';
    memset(scope, 's', ISSUER_MAX_SCOPE_LEN);
    scope[ISSUER_MAX_SCOPE_LEN] = '\0';
    for (i = 0; i < ISSUER_MAX_GROUPS; i++) {
        memset(names[i], 'g', ISSUER_MAX_GROUP_LEN);
        names[i][ISSUER_MAX_GROUP_LEN] = '\0';
        groups[i] = names[i];
    }
    for (i = 0; i < c->n_audiences; i++)
        if (strlen(c->audiences[i]) > strlen(aud))
            aud = c->audiences[i];
    /* 2^40 s is past year 36000: wider than any real NumericDate. */
    claims = make_claims(st, sub, aud, scope, groups, ISSUER_MAX_GROUPS,
                         (json_int_t)1 << 40, "AAAAAAAAAAAAAAAAAAAAAA");
    if (claims == NULL)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    /* Both keys a state may sign with (key_dir's successor may be of
       another key_alg). */
    tok = sign_claims(st, claims, 0, err);
    if (tok == NULL)
        return pjwt_err_code(err);
    n = strlen(tok);
    free(tok);
    if (st->succ_key != NULL) {
        if ((tok = sign_claims(st, claims, st->succ_at, err)) == NULL)
            return pjwt_err_code(err);
        if (strlen(tok) > n)
            n = strlen(tok);
        free(tok);
    }
    *len = n;
    if (n >= ISSUER_MAX_TOKEN_LEN)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: tokens could reach %zu bytes (limit %d): use a "
                         "smaller key, shorter issuer/audience/claims or "
                         "claims_groups = no", c->path, n, ISSUER_MAX_TOKEN_LEN - 1);
    return 0;
}
