/*
 * issuer_conf.h: jwt-issuerd's options, read with common/conf.h so the file
 * syntax and error messages are the module's.
 */
#ifndef ISSUER_CONF_H
#define ISSUER_CONF_H

#include <stddef.h>
#include "alg.h"
#include "err.h"
#include "netaddr.h"

#define CONF_MAX_LISTEN 8
#define CONF_MAX_PUBLISH 8
#define CONF_MAX_CLAIMS 16
#define CONF_MAX_AUDIENCES 16
#define CONF_MAX_PROXIES 16
#define CONF_MAX_SCOPES 32
#define CONF_MAX_SCOPE_GROUPS 32
#define CONF_MAX_CLIENTS 32
#define CONF_MAX_CLIENT_ID 128

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

/* scope_groups: scope may be granted only to members of group. */
struct issuer_scope_group {
    char *scope;
    char *group;
};

/* client = ID [secret_file=PATH] [audiences=A,B,...] (clients.h). */
struct issuer_client {
    char *id;
    char *secret_file;                 /* NULL: a public client */
    char *audiences[CONF_MAX_AUDIENCES];   /* none: any the issuer allows */
    size_t n_audiences;
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
    int rate_user_ip;                  /* rate_limit_user_key = user+ip */
    long ipv6_prefix;                  /* bits of an IPv6 client's bucket */
    struct netaddr_prefix proxies[CONF_MAX_PROXIES];   /* trusted_proxies */
    size_t n_proxies;
    int proxy_unix;                    /* trusted_proxies has "unix" */
    long threads;
    long pam_workers;
    long pam_queue;
    long max_connections;
    long max_per_ip;
    long connection_timeout;
    char *tls_cert;
    char *tls_key;
    char *user;
    /* Audiences /auth and /userinfo accept (auth_audience; default: audience). */
    char *auth_audiences[CONF_MAX_AUDIENCES];
    size_t n_auth_audiences;
    char *revoked;                     /* the module's revocation list format */
    char *scopes[CONF_MAX_SCOPES];     /* allowed_scopes */
    size_t n_scopes;
    struct issuer_scope_group scope_groups[CONF_MAX_SCOPE_GROUPS];
    size_t n_scope_groups;
    long pam_timeout;                  /* seconds a PAM call may take */
    long fail_delay_ms;                /* least failure delay (faildelay.h) */
    long pam_attempts_per_user;     /* enforced by the helpers (helper_guard.h) */
    long pam_attempts_total;
    struct issuer_client clients[CONF_MAX_CLIENTS];
    size_t n_clients;
    /* Refresh sessions (issuer/sessions/store.h): a password grant starts
       one unless session_lifetime is 0. */
    long session_lifetime;             /* seconds, absolute */
    long session_idle;                 /* seconds without a refresh */
    long rate_per_session;             /* refreshes a minute per session */
    int session_acct_check;            /* PAM account stack on every refresh */
    char *state_dir;                   /* sessions.db lives here */
    /* The store (issuer/sessions/store.h): NULL for the default,
       sqlite:STATE_DIR/sessions.db; a shared one (redis://...) for
       replicas, with its AUTH password file and timeout. */
    char *store;
    char *store_password_file;
    long store_timeout;                /* seconds, connect and command */
    /* key_dir mode (keyring.h): the issuer's own rotating keys. */
    char *key_dir;
    pjwt_alg key_alg;
    long rotation_period;
    long publish_ahead;
    long sync_interval;                /* the hosts' sync timer, documented */
    long retire_window;                /* derived: longest token life + leeway */
    long bundle_lifetime;              /* trust bundle: exp - iat, seconds */
};

#define DEFAULT_STATE_DIR "/var/lib/jwt-issuerd"
#define ISSUER_DEFAULT_CONFIG "/etc/pamjwt/jwt-issuerd.conf"
/* Defaults jwtctl keys list --key-dir assumes too, without a config. */
#define ISSUER_DEFAULT_TOKEN_LIFETIME 300
#define ISSUER_DEFAULT_ROTATION_PERIOD (30 * 86400L)
#define ISSUER_DEFAULT_PUBLISH_AHEAD 3600L


/*
 * Read FILE into a new conf: defaults first, then the file, then derived
 * defaults and cross-checks.  NULL with *err set on failure.
 */
struct issuer_conf *issuer_conf_load(const char *path, pjwt_err *err);
void issuer_conf_free(struct issuer_conf *c);

/* The store c names, as store_open takes it: store, else
   sqlite:STATE_DIR/sessions.db.  0, or -1 when it does not fit in cap.
   The daemon and jwtctl -c both read it here. */
int issuer_conf_store_spec(const struct issuer_conf *c, char *spec,
                           size_t cap);

/*
 * The PAM service file and pam_confdir must exist and pass the trust rule
 * of fileio.h (owned by root, or by the daemon's user when it runs without
 * `user =`; nothing writable by group/others up to /).  0, or PJWT_ERR_IO
 * (missing), PJWT_ERR_PERM, PJWT_ERR_CONF with a message naming the file.
 */
int issuer_conf_check_pam(const struct issuer_conf *c, pjwt_err *err);

/* The PAM service file libpam reads for c (pam_confdir/SERVICE, else
   /etc/pam.d/SERVICE or the vendor directory's), into path. */
void issuer_conf_pam_file(const struct issuer_conf *c, char *path, size_t cap);

/* 1 when addr is inside one of the trusted_proxies prefixes. */
int issuer_conf_is_proxy(const struct issuer_conf *c, const struct netaddr *addr);

/* 1 when tokens may be issued for aud: audience or allowed_audiences. */
int issuer_conf_audience_ok(const struct issuer_conf *c, const char *aud);

/* 1 when aud matches one of list's entries (names or PREFIX:* patterns,
   the one matching rule of allowed_audiences and a client's audiences). */
int issuer_conf_audience_in(char *const *list, size_t n, const char *aud);

#endif
