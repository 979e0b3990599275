/*
 * revoke.h: the revocation list of pam_jwt's `revoked=FILE` option.
 *
 * File syntax, one entry per line, fields separated by blanks:
 *   jti X                 the token whose jti is X is revoked
 *   sub X                 every token for the user X is revoked: whose
 *                         user claim (user_claim, default sub) is X, and
 *                         also whose literal sub is X
 *   sub X before EPOCH    tokens for X (as above) issued before EPOCH
 *                         (iat < EPOCH) are revoked; a token without iat
 *                         then counts as revoked, since it cannot show it
 *                         is newer
 * Blank lines and lines starting with '#' are ignored.  Any other line is a
 * configuration error (PJWT_ERR_CONF, "FILE:LINE: message"): a list that
 * cannot be read completely must not silently let revoked tokens in.
 */
#ifndef PJWT_REVOKE_H
#define PJWT_REVOKE_H

#include <stddef.h>
#include <jansson.h>
#include "err.h"

/* The largest EPOCH of "sub X before EPOCH" (9999-12-31T23:59:59Z). */
#define PJWT_REVOKED_EPOCH_MAX 253402300799LL

typedef struct pjwt_revoked pjwt_revoked;

/* A new empty list, or NULL on ENOMEM.  Free with pjwt_revoked_free. */
pjwt_revoked *pjwt_revoked_new(void);
void pjwt_revoked_free(pjwt_revoked *r);          /* NULL ok */

/*
 * Add the entries of a file (opened O_RDONLY|O_CLOEXEC, at most 1 MiB).
 * A file writable by group or others is PJWT_ERR_PERM (anyone could
 * un-revoke a token); unreadable PJWT_ERR_IO; bad lines PJWT_ERR_CONF.
 */
int pjwt_revoked_load_file(pjwt_revoked *r, const char *path, pjwt_err *err);

/* Add the entries of buf[0..len); name is used in messages. */
int pjwt_revoked_load_buf(pjwt_revoked *r, const char *name, const char *buf,
                          size_t len, pjwt_err *err);

/* Number of entries (jti and sub lines) loaded. */
size_t pjwt_revoked_count(const pjwt_revoked *r);

/*
 * Check verified claims: 0 when not revoked, PJWT_ERR_REVOKED with the
 * reason, or PJWT_ERR_CLAIM_TYPE when jti, sub, the user_claim or iat has
 * the wrong type (fail closed: such a token cannot be compared with the
 * list).  user_claim is the claim that names the user (NULL: "sub"); `sub`
 * entries are matched against it and against sub.
 */
int pjwt_revoked_check(const pjwt_revoked *r, const json_t *claims,
                       const char *user_claim, pjwt_err *err);

#endif
