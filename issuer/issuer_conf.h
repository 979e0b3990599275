/*
 * issuer_conf.h: jwt-issuerd's options, read with common/conf.h so the file
 * syntax and error messages are the module's.
 */
#ifndef ISSUER_CONF_H
#define ISSUER_CONF_H

#include <stddef.h>
#include "err.h"

#define CONF_MAX_LISTEN 8
#define CONF_MAX_PUBLISH 8
#define CONF_MAX_CLAIMS 16
#define CONF_MAX_AUDIENCES 16
#define CONF_MAX_PROXIES 16

/* Limits that bound the size of an issued token (see signer.c). */
#define ISSUER_MAX_USER_LEN 32     /* sub */
#define ISSUER_MAX_GROUPS 8        /* groups claim entries */
#define ISSUER_MAX_GROUP_LEN 32    /* longer group names are left out */
#define ISSUER_MAX_SCOPE_LEN 64
#define ISSUER_MAX_TOKEN_LEN 1000  /* OpenSSH's client cuts at 1023 */

struct issuer_claim {
    char *name;
    char *value;
};

struct issuer_conf {
    char *path;                        /* the file it came from */
    char *listen[CONF_MAX_LISTEN];
    size_t n_listen;
    char *issuer;
    char *audience;
    char *audiences[CONF_MAX_AUDIENCES];  /* allowed_audiences */
    size_t n_audiences;
    char *signing_key;
    char *hmac_secret;
    char *publish[CONF_MAX_PUBLISH];
    size_t n_publish;
    long token_lifetime;
    int claims_groups;
    struct issuer_claim claims[CONF_MAX_CLAIMS];
    size_t n_claims;
    char *pam_service;
    char *pam_confdir;
    long rate_per_ip;
    long rate_per_user;
    char *proxies[CONF_MAX_PROXIES];   /* trusted_proxies, normalised */
    size_t n_proxies;
    long threads;
    long pam_workers;
    long pam_queue;
    long max_connections;
    long max_per_ip;
    long connection_timeout;
    char *tls_cert;
    char *tls_key;
    char *user;
    long pam_timeout;                  /* seconds a PAM call may take */
    long fail_delay_ms;                /* least failure delay (faildelay.h) */
    long pam_attempts_per_user;        /* enforced by the helpers (pam_guard.h) */
    long pam_attempts_total;
};

/*
 * Read FILE into a new conf: defaults first, then the file, then derived
 * defaults and cross-checks.  NULL with *err set on failure.
 */
struct issuer_conf *issuer_conf_load(const char *path, pjwt_err *err);
void issuer_conf_free(struct issuer_conf *c);

/* 1 when addr (numeric) is one of the trusted proxies. */
int issuer_conf_is_proxy(const struct issuer_conf *c, const char *addr);

/* Canonical numeric form of an IPv4/IPv6 address into out; 0 or -1. */
int issuer_addr_normalize(const char *in, char *out, size_t cap);

#endif
