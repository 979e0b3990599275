/*
 * scope.h: which scopes a user may be given (allowed_scopes, scope_groups).
 * A scope is a list of case-sensitive tokens separated by single spaces
 * (RFC 6749 3.3).  The client asks; the issuer signs only tokens its
 * configuration allows to this user, so a host's require_claim=scope=X
 * means what the issuer's administrator decided, never what a client typed.
 */
#ifndef ISSUER_SCOPE_H
#define ISSUER_SCOPE_H

#include <stddef.h>
#include "err.h"
#include "issuer_conf.h"

/*
 * Cross-check the scope options once the file is read: every allowed scope
 * is one token, every scope_groups scope is allowed and its group is a name
 * the PAM helper can report.  0 or PJWT_ERR_CONF naming file.
 */
int scope_conf_check(const struct issuer_conf *c, pjwt_err *err);

/*
 * Before PAM: 1 when req is well formed and every token is in
 * allowed_scopes (the user may still lack a group), else 0.
 */
int scope_listed(const struct issuer_conf *c, const char *req);

/* 1 when a token of req is restricted by scope_groups: the user's groups
   are needed to decide. */
int scope_needs_groups(const struct issuer_conf *c, const char *req);

/*
 * After authentication, with the groups the PAM helper found for the user:
 * 1 and the scope to sign in out (each token once, in the order asked) when
 * every token is allowed to this user, else 0.  req must have passed
 * scope_listed; cap must exceed strlen(req).
 */
int scope_grant(const struct issuer_conf *c, const char *req,
                const char *const *groups, size_t ngroups, char *out,
                size_t cap);

#endif
