/*
 * verify_impl.h: the inside of a pjwt_verifier, shared by verify_opts.c
 * (options) and verify.c (prepare and check).  Not a public header.
 */
#ifndef PJWT_VERIFY_IMPL_H
#define PJWT_VERIFY_IMPL_H

#include "revoke.h"
#include "verify.h"

#define MAX_LIST 64                 /* key= and require_claim= entries */
#define MAX_LEEWAY PJWT_VERIFIER_LEEWAY_MAX
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

/* Check an audience %-template: only %h %H %s %% are known.  Sets *needs
   when a host name or service is needed.  0 or PJWT_ERR_CONF. */
int pjwt_verifier_aud_template(const char *t, int *needs, pjwt_err *err);

#endif
