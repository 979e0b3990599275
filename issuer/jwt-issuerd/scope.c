/*
 * scope.c: the scope policy (scope.h).  A token listed in allowed_scopes
 * with no scope_groups line is for every user; one with scope_groups lines
 * is for members of any of their groups only.  Group membership is what
 * the PAM helper read from NSS for the authenticated user, never anything
 * the request says.
 */
#include <string.h>

#include "scope.h"
#include "signer.h"

/* The next token of a scope list: *p advances past it and one separating
   space.  Returns its length; 0 at the end or for an empty token (leading,
   trailing or doubled space), which callers treat as malformed. */
static size_t
next_token(const char **p, const char **tok)
{
    size_t n = strcspn(*p, " ");

    *tok = *p;
    *p += n;
    if (**p == ' ')
        (*p)++;
    return n;
}

static int
token_is(const char *s, const char *tok, size_t n)
{
    return strlen(s) == n && memcmp(s, tok, n) == 0;
}

static int
allowed(const struct issuer_conf *c, const char *tok, size_t n)
{
    size_t i;

    for (i = 0; i < c->n_scopes; i++)
        if (token_is(c->scopes[i], tok, n))
            return 1;
    return 0;
}

static int
restricted(const struct issuer_conf *c, const char *tok, size_t n)
{
    size_t i;

    for (i = 0; i < c->n_scope_groups; i++)
        if (token_is(c->scope_groups[i].scope, tok, n))
            return 1;
    return 0;
}

/* 1 when a member of groups may have tok. */
static int
member_may(const struct issuer_conf *c, const char *tok, size_t n,
           const char *const *groups, size_t ngroups)
{
    size_t i, j;

    if (!restricted(c, tok, n))
        return 1;
    for (i = 0; i < c->n_scope_groups; i++) {
        if (!token_is(c->scope_groups[i].scope, tok, n))
            continue;
        for (j = 0; j < ngroups; j++)
            if (strcmp(groups[j], c->scope_groups[i].group) == 0)
                return 1;
    }
    return 0;
}

int
scope_conf_check(const struct issuer_conf *c, pjwt_err *err)
{
    size_t i;

    for (i = 0; i < c->n_scopes; i++)
        if (!signer_scope_ok(c->scopes[i]) || strchr(c->scopes[i], ' '))
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "%s: allowed_scopes: '%s' is not a scope token "
                             "(1..%d of A-Z a-z 0-9 . _ : / -)", c->path,
                             c->scopes[i], ISSUER_MAX_SCOPE_LEN);
    for (i = 0; i < c->n_scope_groups; i++) {
        const struct issuer_scope_group *g = &c->scope_groups[i];

        if (!allowed(c, g->scope, strlen(g->scope)))
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "%s: scope_groups: scope %s is not in "
                             "allowed_scopes", c->path, g->scope);
        /* The helper reports only such names: any other would never
           match, and the scope would silently be nobody's. */
        if (!signer_name_ok(g->group, ISSUER_MAX_GROUP_LEN))
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "%s: scope_groups: group '%s' cannot be "
                             "matched (1..%d of A-Z a-z 0-9 . _ @ + -)",
                             c->path, g->group, ISSUER_MAX_GROUP_LEN);
    }
    return 0;
}

int
scope_listed(const struct issuer_conf *c, const char *req)
{
    const char *p = req, *tok;
    size_t n;

    if (!signer_scope_ok(req))
        return 0;
    while (*p != '\0') {
        if ((n = next_token(&p, &tok)) == 0 || !allowed(c, tok, n))
            return 0;
        if (*p == '\0' && tok[n] == ' ')
            return 0;                 /* trailing space */
    }
    return 1;
}

int
scope_needs_groups(const struct issuer_conf *c, const char *req)
{
    const char *p = req, *tok;
    size_t n;

    while (*p != '\0')
        if ((n = next_token(&p, &tok)) > 0 && restricted(c, tok, n))
            return 1;
    return 0;
}

int
scope_grant(const struct issuer_conf *c, const char *req,
            const char *const *groups, size_t ngroups, char *out, size_t cap)
{
    const char *p = req, *tok;
    size_t n, used = 0;

    if (cap <= strlen(req))
        return 0;
    out[0] = '\0';
    while (*p != '\0') {
        const char *q = out, *seen;
        size_t m;
        int dup = 0;

        if ((n = next_token(&p, &tok)) == 0 || !allowed(c, tok, n)
            || !member_may(c, tok, n, groups, ngroups))
            return 0;
        while (*q != '\0' && !dup)
            if ((m = next_token(&q, &seen)) == n && memcmp(seen, tok, n) == 0)
                dup = 1;
        if (dup)
            continue;
        if (used > 0)
            out[used++] = ' ';
        memcpy(out + used, tok, n);
        used += n;
        out[used] = '\0';
    }
    return used > 0;
}
