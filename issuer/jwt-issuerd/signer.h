/*
 * signer.h: the claims of an issued token and its signature.
 */
#ifndef ISSUER_SIGNER_H
#define ISSUER_SIGNER_H

#include <stddef.h>
#include <time.h>
#include "err.h"

struct issuer_state;

/*
 * 1 when s is a name the issuer puts in a token: 1..max bytes of
 * [A-Za-z0-9._@+-] not starting with '-'.  Such names need no JSON escaping,
 * which is what makes the worst-case token size computable.
 */
int signer_name_ok(const char *s, size_t max);

/* Same for a scope: 1..ISSUER_MAX_SCOPE_LEN of [A-Za-z0-9 ._:/-]. */
int signer_scope_ok(const char *s);

/*
 * Sign a token for sub (already checked with signer_name_ok) with audience
 * aud, optional scope and groups (names failing signer_name_ok or beyond
 * ISSUER_MAX_GROUPS are left out).  Returns a malloc'd token (caller
 * frees) or NULL with *err set; jti (NULL: not wanted) gets the token's
 * jti, for the log line that ties it to the login.
 */
#define SIGNER_JTI_LEN 22
char *signer_issue(const struct issuer_state *st, const char *sub,
                   const char *aud, const char *scope,
                   const char *const *groups, size_t ngroups, time_t now,
                   char *jti, pjwt_err *err);

/*
 * Sign the largest token this configuration can produce and refuse
 * (PJWT_ERR_CONF) when it is ISSUER_MAX_TOKEN_LEN bytes or more.  *len gets
 * its length.
 */
int signer_check_size(const struct issuer_state *st, size_t *len, pjwt_err *err);

#endif
