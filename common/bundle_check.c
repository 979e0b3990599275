/*
 * bundle_check.c: the trust bundle's payload rules (bundle.h): exactly the
 * members it names, integers that are integers, keys that are public JWKs
 * with a kid and a state, revocations that the revoke.h file can carry.
 * Shared by pjwt_bundle_verify (what comes in) and pjwt_bundle_sign (never
 * sign what a host refuses).  Messages name the rule and the value.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bundle_impl.h"
#include "json.h"
#include "revoke.h"

/* Integers beyond 2^53 are not exact for a JSON reader using doubles. */
#define INT_MAX_JSON 9007199254740991LL

static const char *const state_names[] = {
    NULL, "next", "current", "retiring", "published"
};

const char *
pjwt_key_state_name(pjwt_key_state s)
{
    if (s < PJWT_KEY_NEXT || s > PJWT_KEY_PUBLISHED)
        return NULL;
    return state_names[s];
}

pjwt_key_state
pjwt_key_state_parse(const char *s)
{
    int i;

    for (i = PJWT_KEY_NEXT; s && i <= PJWT_KEY_PUBLISHED; i++)
        if (strcmp(s, state_names[i]) == 0)
            return (pjwt_key_state)i;
    return 0;
}

int
pjwt_bundle_name_ok(const char *s, size_t len, size_t max)
{
    size_t i;

    if (len < 1 || len > max || s[0] == '#')
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

int
pjwt_bundle_only_members(const json_t *obj, const char *const *names,
                         const char *what, pjwt_err *err)
{
    char q[PJWT_EXCERPT_BUF(PJWT_BUNDLE_QUOTE_MAX)];
    const char *k;
    json_t *v;
    size_t i;

    json_object_foreach((json_t *)(uintptr_t)obj, k, v) {
        (void)v;
        for (i = 0; names[i] && strcmp(k, names[i]) != 0; i++)
            ;
        if (!names[i])
            return PJWT_FAIL(err, PJWT_ERR_CLAIM, "%s: unknown member %s",
                             what, PJWT_BUNDLE_QUOTE(k, q));
    }
    return 0;
}

int
pjwt_bundle_get_int(const json_t *obj, const char *name, const char *what,
                    long long min, long long *out, pjwt_err *err)
{
    const json_t *v = json_object_get(obj, name);
    long long n;

    if (!v)
        return PJWT_FAIL(err, PJWT_ERR_CLAIM, "%s: \"%s\" missing", what,
                         name);
    if (!json_is_integer(v))
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "%s: \"%s\" is not an integer", what, name);
    n = (long long)json_integer_value(v);
    if (n < min || n > INT_MAX_JSON)
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "%s: %s %lld out of range", what, name, n);
    *out = n;
    return 0;
}

int
pjwt_bundle_get_name(const json_t *obj, const char *name, const char *what,
                     size_t max, const char **out, pjwt_err *err)
{
    const json_t *v = json_object_get(obj, name);

    if (!v)
        return PJWT_FAIL(err, PJWT_ERR_CLAIM, "%s: \"%s\" missing", what,
                         name);
    if (!json_is_string(v))
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "%s: \"%s\" is not a string", what, name);
    if (!pjwt_bundle_name_ok(json_string_value(v), json_string_length(v), max))
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "%s: \"%s\" is not 1..%zu printable ASCII bytes "
                         "without blanks and a leading '#'", what, name, max);
    *out = json_string_value(v);
    return 0;
}

/* One published key: a public JWK with a kid and a state that loads. */
static int
check_key(const json_t *jwk, const char *what, json_t *kids, size_t *current,
          pjwt_err *err)
{
    char q[PJWT_EXCERPT_BUF(PJWT_BUNDLE_QUOTE_MAX)];
    const char *kid, *st, *kty;
    pjwt_key_state s;
    pjwt_key *key;
    pjwt_err e;
    int r;

    if (!json_is_object(jwk))
        return PJWT_FAIL(err, PJWT_ERR_KEY, "%s is not an object", what);
    if ((r = pjwt_bundle_get_name(jwk, "kid", what, PJWT_BUNDLE_MAX_NAME,
                                  &kid, err)))
        return r;
    if (json_object_get(kids, kid))
        return PJWT_FAIL(err, PJWT_ERR_KEY, "%s: kid %s listed twice", what,
                         PJWT_BUNDLE_QUOTE(kid, q));
    if (json_object_set_new(kids, kid, json_null()) != 0)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    if (pjwt_json_get_string(jwk, "pamjwt_state", &st, NULL, NULL) != 0
        || !(s = pjwt_key_state_parse(st)))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "%s (kid %s): pamjwt_state is not next, current, "
                         "retiring or published", what,
                         PJWT_BUNDLE_QUOTE(kid, q));
    /* A secret has no place in a published document, whatever else the
       JWK says. */
    if (pjwt_json_get_string(jwk, "kty", &kty, NULL, NULL) == 0
        && strcmp(kty, "oct") == 0)
        return PJWT_FAIL(err, PJWT_ERR_KEY, "%s (kid %s): a secret key",
                         what, PJWT_BUNDLE_QUOTE(kid, q));
    pjwt_err_clear(&e);
    key = pjwt_key_from_jwk(jwk, 0, &e);
    if (!key)
        return PJWT_FAIL(err, pjwt_err_code(&e), "%s (kid %s): %s", what,
                         PJWT_BUNDLE_QUOTE(kid, q), e.msg);
    r = pjwt_key_is_private(key);
    pjwt_key_free(key);
    if (r)
        return PJWT_FAIL(err, PJWT_ERR_KEY, "%s (kid %s): a private key",
                         what, PJWT_BUNDLE_QUOTE(kid, q));
    if (s == PJWT_KEY_CURRENT)
        (*current)++;
    return 0;
}

static int
check_jwks(const json_t *jwks, size_t *current, pjwt_err *err)
{
    static const char *const members[] = { "keys", NULL };
    const json_t *keys = json_object_get(jwks, "keys");
    char what[32];
    json_t *kids;
    size_t i, n;
    int r = 0;

    if (!json_is_object(jwks))
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "bundle: \"jwks\" missing or not an object");
    if ((r = pjwt_bundle_only_members(jwks, members, "bundle jwks", err)) != 0)
        return r;
    n = json_array_size(keys);
    if (!json_is_array(keys) || n < 1 || n > PJWT_BUNDLE_MAX_KEYS)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "bundle: jwks.keys is not an array of 1..%d keys",
                         PJWT_BUNDLE_MAX_KEYS);
    if (!(kids = json_object()))
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    *current = 0;
    for (i = 0; i < n && r == 0; i++) {
        snprintf(what, sizeof(what), "bundle key %zu", i);
        r = check_key(json_array_get(keys, i), what, kids, current, err);
    }
    json_decref(kids);
    if (r == 0 && *current == 0)
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "bundle has no current key");
    return r;
}

/* One entry of "revoked": {"jti":S} | {"sub":S} | {"sub":S,"before":N}. */
static int
check_revocation(const json_t *e, const char *what, pjwt_err *err)
{
    static const char *const jti[] = { "jti", NULL };
    static const char *const sub[] = { "sub", "before", NULL };
    const char *s;
    long long before;
    int r, is_jti = json_object_get(e, "jti") != NULL;

    if (!json_is_object(e))
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE, "%s is not an object",
                         what);
    if ((r = pjwt_bundle_only_members(e, is_jti ? jti : sub, what, err)) != 0
        || (r = pjwt_bundle_get_name(e, is_jti ? "jti" : "sub", what,
                         PJWT_BUNDLE_MAX_NAME, &s, err)) != 0)
        return r;
    if (is_jti || !json_object_get(e, "before"))
        return 0;
    if ((r = pjwt_bundle_get_int(e, "before", what, 0, &before, err)) != 0)
        return r;
    if (before > PJWT_REVOKED_EPOCH_MAX)
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "%s: before %lld out of range", what, before);
    return 0;
}

static int
check_revoked(const json_t *rev, pjwt_err *err)
{
    char what[40];
    size_t i;
    int r;

    if (!json_is_array(rev))
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "bundle: \"revoked\" missing or not an array");
    if (json_array_size(rev) > PJWT_BUNDLE_MAX_REVOKED)
        return PJWT_FAIL(err, PJWT_ERR_TOO_LONG,
                         "bundle: %zu revocations, over the limit of %d",
                         json_array_size(rev), PJWT_BUNDLE_MAX_REVOKED);
    for (i = 0; i < json_array_size(rev); i++) {
        snprintf(what, sizeof(what), "bundle revoked[%zu]", i);
        if ((r = check_revocation(json_array_get(rev, i), what, err)) != 0)
            return r;
    }
    return 0;
}

/* Everything about the payload that holds whenever it is looked at (not
   its time or issuer); fills b's borrowed fields. */
int
pjwt_bundle_check_payload(const json_t *p, pjwt_bundle *b, pjwt_err *err)
{
    static const char *const members[] = {
        "iss", "version", "iat", "exp", "jwks", "revoked", NULL
    };
    int r;

    if (!json_is_object(p))
        return PJWT_FAIL(err, PJWT_ERR_ARG, "payload is not an object");
    if ((r = pjwt_bundle_only_members(p, members, "bundle", err)) != 0
        || (r = pjwt_bundle_get_name(p, "iss", "bundle", PJWT_BUNDLE_ISS_MAX,
                                     &b->iss, err)) != 0
        || (r = pjwt_bundle_get_int(p, "version", "bundle", 0, &b->version,
                                    err)) != 0
        || (r = pjwt_bundle_get_int(p, "iat", "bundle", 0, &b->iat, err)) != 0
        || (r = pjwt_bundle_get_int(p, "exp", "bundle", 0, &b->exp, err)) != 0)
        return r;
    if (b->version < 1)
        return PJWT_FAIL(err, PJWT_ERR_CLAIM,
                         "bundle version %lld: must be at least 1",
                         b->version);
    if (b->exp <= b->iat)
        return PJWT_FAIL(err, PJWT_ERR_EXP,
                         "bundle exp %lld not after its iat %lld", b->exp,
                         b->iat);
    b->jwks = json_object_get(p, "jwks");
    b->revoked = json_object_get(p, "revoked");
    if ((r = check_jwks(b->jwks, &b->n_current, err)) != 0)
        return r;
    return check_revoked(b->revoked, err);
}

