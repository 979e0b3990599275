/*
 * clients.h: the OAuth clients registered with `client =` lines and their
 * authentication at /token (RFC 6749 2.3).  A client with a secret_file is
 * confidential and must present that secret (HTTP Basic or client_secret
 * in the form); one without is public, identified by its client_id alone.
 */
#ifndef ISSUER_CLIENTS_H
#define ISSUER_CLIENTS_H

#include "err.h"
#include "issuer_conf.h"

#define CLIENT_SECRET_MAX 1024

/* What is kept of a confidential client's secret. */
struct client_secret {
    unsigned char sha256[32];
};

/*
 * Read each confidential client's secret file (the trust rule of fileio.h,
 * and not readable by group or others) into secrets[i] (by conf->clients
 * index), the SHA-256 of its secret: the secret itself is not kept.  One trailing newline is not part of it.  Runs
 * where the signing key is read, at start and on every reload.  0, or a
 * PJWT_ERR_* code with *err naming the client and file.
 */
int clients_load(const struct issuer_conf *c, struct client_secret *secrets,
                 pjwt_err *err);

/*
 * Authenticate the client of one /token request: id and secret as
 * presented (NULL when absent).  With no client registered every request
 * passes (*out NULL).  0 and *out the client, or -1 with *why a static
 * reason for the log (unknown client, wrong secret...).
 */
int clients_authenticate(const struct issuer_conf *c,
                         const struct client_secret *secrets,
                         const char *id, const char *secret,
                         const struct issuer_client **out, const char **why);

#endif
