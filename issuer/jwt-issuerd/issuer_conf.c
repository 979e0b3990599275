/*
 * issuer_conf.c: option handling for jwt-issuerd.  Every option goes through
 * set_opt() whichever way it arrives (ssh servconf.c's model); defaults are
 * filled first and the derived ones after the file (ssh
 * fill_default_server_options).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claims.h"
#include "conf.h"
#include "fileio.h"
#include "issuer_conf.h"
#include "store.h"
#include "scope.h"
#include "listen_spec.h"

#define DEFAULT_SERVICE "jwt-issuer"

static int
add_str(char **arr, size_t *n, size_t max, const char *key, const char *value,
        pjwt_err *err)
{
    if (*n >= max)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "too many %s (at most %zu)", key, max);
    arr[*n] = NULL;
    if (pjwt_conf_str(&arr[*n], key, value, err) != 0)
        return pjwt_err_code(err);
    (*n)++;
    return 0;
}

/* Split a comma/blank separated list, calling fn for every item. */
static int
each_item(const char *key, const char *value,
          int (*fn)(void *ctx, const char *key, const char *item, pjwt_err *err),
          void *ctx, pjwt_err *err)
{
    char item[256];
    const char *p = value;
    int r;

    if (value == NULL)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s needs a value", key);
    while (*p != '\0') {
        size_t len = strcspn(p, ", \t");

        if (len == 0) {
            p++;
            continue;
        }
        if (len >= sizeof(item))
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "%s: item too long", key);
        memcpy(item, p, len);
        item[len] = '\0';
        p += len;
        r = fn(ctx, key, item, err);
        if (r != 0)
            return r;
    }
    return 0;
}

struct str_list {
    char **arr;
    size_t *n;
    size_t max;
};

static int
add_list_item(void *ctx, const char *key, const char *item, pjwt_err *err)
{
    struct str_list *l = ctx;

    return add_str(l->arr, l->n, l->max, key, item, err);
}

/* A comma/blank separated list of strings. */
static int
add_list(const char *key, const char *value, char **arr, size_t *n, size_t max,
         pjwt_err *err)
{
    struct str_list l = { arr, n, max };

    return each_item(key, value, add_list_item, &l, err);
}

/* allowed_audiences: names, or PREFIX* for a whole fleet (ssh:*).  A bare
   "*" would let a request name any audience at all, including ones other
   services trust, so a pattern needs a prefix that ends in ':'. */
static int
audience_entry_check(const char *key, const char *item, pjwt_err *err)
{
    size_t len = strlen(item);
    const char *star = strchr(item, '*');

    if (star != NULL && (star != item + len - 1 || len < 3 || item[len - 2] != ':'))
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: %s: a pattern is PREFIX:* (a '*' only at the "
                         "end, after a ':')", key, item);
    return 0;
}

static int
add_audience(void *ctx, const char *key, const char *item, pjwt_err *err)
{
    struct issuer_conf *c = ctx;
    int r = audience_entry_check(key, item, err);

    if (r != 0)
        return r;
    return add_str(c->audiences, &c->n_audiences, CONF_MAX_AUDIENCES, key,
                   item, err);
}

static int
add_client_audience(void *ctx, const char *key, const char *item, pjwt_err *err)
{
    struct issuer_client *cl = ctx;
    int r = audience_entry_check(key, item, err);

    if (r != 0)
        return r;
    return add_str(cl->audiences, &cl->n_audiences, CONF_MAX_AUDIENCES, key,
                   item, err);
}

/* A client_id as RFC 6749 A.1 has it (visible ASCII), without blanks,
   which end it on the line, or '=', which would make it look like an
   option. */
static int
client_id_ok(const char *id, size_t len)
{
    size_t i;

    if (len == 0 || len >= CONF_MAX_CLIENT_ID)
        return 0;
    for (i = 0; i < len; i++)
        if (id[i] <= 0x20 || id[i] >= 0x7f || id[i] == '=')
            return 0;
    return 1;
}

/* client = ID [secret_file=PATH] [audiences=A,B,...]: one line per client. */
static int
set_client(struct issuer_conf *c, const char *key, const char *value,
           pjwt_err *err)
{
    static const char blanks[] = " \t";
    struct issuer_client *cl;
    const char *p = value;
    char word[1024];
    size_t len, i;
    int r;

    if (value == NULL || *value == '\0')
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s needs a value", key);
    if (c->n_clients >= CONF_MAX_CLIENTS)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "too many %s lines (at most %d)",
                         key, CONF_MAX_CLIENTS);
    len = strcspn(p, blanks);
    if (!client_id_ok(p, len))
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: the client id must be 1 to %d visible characters "
                         "without '='", key, CONF_MAX_CLIENT_ID - 1);
    for (i = 0; i < c->n_clients; i++)
        if (strlen(c->clients[i].id) == len
            && strncmp(c->clients[i].id, p, len) == 0)
            return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: %.*s registered twice",
                             key, (int)len, p);
    cl = &c->clients[c->n_clients];
    memset(cl, 0, sizeof(*cl));
    if ((cl->id = strndup(p, len)) == NULL)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    c->n_clients++;            /* freed with the conf from here on */
    for (p += len; *(p += strspn(p, blanks)) != '\0'; p += len) {
        len = strcspn(p, blanks);
        if (len >= sizeof(word))
            return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: option too long", key);
        memcpy(word, p, len);
        word[len] = '\0';
        if (strncmp(word, "secret_file=", 12) == 0)
            r = pjwt_conf_str(&cl->secret_file, "client secret_file", word + 12,
                              err);
        else if (strncmp(word, "audiences=", 10) == 0)
            /* An empty list would mean "no restriction": refused. */
            r = word[10] == '\0' || strspn(word + 10, ",") == len - 10
                    ? PJWT_FAIL(err, PJWT_ERR_CONF,
                                "%s %s: audiences= needs a value", key, cl->id)
                    : each_item("client audiences", word + 10,
                                add_client_audience, cl, err);
        else
            r = PJWT_FAIL(err, PJWT_ERR_CONF,
                          "%s %s: unknown option %s (secret_file=, audiences=)",
                          key, cl->id, word);
        if (r != 0)
            return r;
    }
    return 0;
}

/* trusted_proxies: ADDRESS, ADDRESS/BITS, or "unix" for every peer on a
   unix-socket listener (whoever the socket's mode and group let in). */
static int
add_proxy(void *ctx, const char *key, const char *item, pjwt_err *err)
{
    struct issuer_conf *c = ctx;
    pjwt_err e;

    if (strcmp(item, "unix") == 0) {
        c->proxy_unix = 1;
        return 0;
    }
    if (c->n_proxies >= CONF_MAX_PROXIES)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "too many %s (at most %d)", key, CONF_MAX_PROXIES);
    pjwt_err_clear(&e);
    if (netaddr_prefix_parse(item, &c->proxies[c->n_proxies], &e) != 0)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: %s", key, e.msg);
    c->n_proxies++;
    return 0;
}

static int
set_user_key(struct issuer_conf *c, const char *key, const char *value, pjwt_err *err)
{
    if (value != NULL && strcmp(value, "user") == 0)
        c->rate_user_ip = 0;
    else if (value != NULL && strcmp(value, "user+ip") == 0)
        c->rate_user_ip = 1;
    else
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: expected user or user+ip", key);
    return 0;
}

/* Checked here, at load, so that -t and a SIGHUP catch a bad one. */
static int
add_listen(struct issuer_conf *c, const char *key, const char *value, pjwt_err *err)
{
    struct listen_spec ls;

    if (value != NULL && listen_spec_parse(value, &ls, err) != 0)
        return PJWT_ERR_CONF;
    return add_str(c->listen, &c->n_listen, CONF_MAX_LISTEN, key, value, err);
}

static int
set_claim(struct issuer_conf *c, const char *value, pjwt_err *err)
{
    static const char *const reserved[] = {
        "iss", "sub", "aud", "iat", "nbf", "exp", "jti", "groups", "scope", NULL
    };
    struct issuer_claim *cl;
    char *name, *val;
    size_t i;
    int r;

    if (c->n_claims >= CONF_MAX_CLAIMS)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "too many claim lines");
    r = pjwt_conf_pair("claim", value, &name, &val, err);
    if (r != 0)
        return r;
    for (i = 0; reserved[i]; i++) {
        if (strcmp(reserved[i], name) == 0) {
            r = PJWT_FAIL(err, PJWT_ERR_CONF,
                             "claim: %s is set by the issuer", reserved[i]);
            free(name);
            free(val);
            return r;
        }
    }
    cl = &c->claims[c->n_claims];
    cl->name = name;
    cl->value = val;
    c->n_claims++;
    return 0;
}

/* scope_groups = SCOPE:GROUP[,GROUP...]: one pair per group. */
static int
set_scope_groups(struct issuer_conf *c, const char *value, pjwt_err *err)
{
    const char *colon = value ? strchr(value, ':') : NULL;
    char *groups[CONF_MAX_SCOPE_GROUPS];
    size_t n = 0, i;
    int r = 0;

    if (colon == NULL || colon == value || colon[1] == '\0')
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "scope_groups: expected SCOPE:GROUP[,GROUP...]");
    if ((r = add_list("scope_groups", colon + 1, groups, &n,
                      CONF_MAX_SCOPE_GROUPS, err)) != 0)
        goto out;
    for (i = 0; i < n; i++) {
        struct issuer_scope_group *g = &c->scope_groups[c->n_scope_groups];

        if (c->n_scope_groups >= CONF_MAX_SCOPE_GROUPS) {
            r = PJWT_FAIL(err, PJWT_ERR_CONF,
                          "too many scope_groups (at most %d pairs)",
                          CONF_MAX_SCOPE_GROUPS);
            goto out;
        }
        g->scope = strndup(value, (size_t)(colon - value));
        if (g->scope == NULL) {
            r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
            goto out;
        }
        g->group = groups[i];
        groups[i] = NULL;
        c->n_scope_groups++;
    }
out:
    for (i = 0; i < n; i++)
        free(groups[i]);
    return r;
}

/* key_alg: what key_dir generates, each the default algorithm of its
   key type (keys.h), which is how the issuer signs with a key.  HMAC is
   refused: a shared secret cannot be published for the hosts. */
static int
set_key_alg(struct issuer_conf *c, const char *key, const char *value,
            pjwt_err *err)
{
    static const pjwt_alg ok[] = {
        PJWT_ALG_ES256, PJWT_ALG_ES384, PJWT_ALG_ES512, PJWT_ALG_EDDSA,
        PJWT_ALG_RS256,
    };
    pjwt_alg a = value ? pjwt_alg_from_name(value, strlen(value))
                       : PJWT_ALG_INVALID;
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (a == ok[i]) {
            c->key_alg = a;
            return 0;
        }
    return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: %s: expected ES256, ES384, "
                     "ES512, EdDSA or RS256", key, value ? value : "");
}

static int
set_opt(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    static const struct {
        const char *name;
        size_t off;
        long min, max;
    } nums[] = {
        { "token_lifetime", offsetof(struct issuer_conf, token_lifetime), 1, 86400 },
        { "rate_limit_per_ip", offsetof(struct issuer_conf, rate_per_ip), 0, 1000000 },
        { "rate_limit_per_user", offsetof(struct issuer_conf, rate_per_user), 0, 1000000 },
        { "threads", offsetof(struct issuer_conf, threads), 1, 256 },
        { "pam_workers", offsetof(struct issuer_conf, pam_workers), 1, 256 },
        { "pam_queue", offsetof(struct issuer_conf, pam_queue), 1, 65536 },
        { "max_connections", offsetof(struct issuer_conf, max_connections), 1, 65536 },
        { "max_connections_per_ip", offsetof(struct issuer_conf, max_per_ip), 0, 65536 },
        { "connection_timeout", offsetof(struct issuer_conf, connection_timeout), 1, 3600 },
        { "ipv6_prefix", offsetof(struct issuer_conf, ipv6_prefix), 1, 128 },
        { "pam_timeout", offsetof(struct issuer_conf, pam_timeout), 1, 3600 },
        { "fail_delay_ms", offsetof(struct issuer_conf, fail_delay_ms), 0, 60000 },
        { "pam_attempts_per_user", offsetof(struct issuer_conf, pam_attempts_per_user), 0, 1000000 },
        { "pam_attempts_total", offsetof(struct issuer_conf, pam_attempts_total), 0, 1000000 },
        /* A work day is the point; a month is the most anyone needs. */
        { "session_lifetime", offsetof(struct issuer_conf, session_lifetime), 0, 31 * 86400 },
        { "session_idle", offsetof(struct issuer_conf, session_idle), 1, 31 * 86400 },
        { "rate_limit_per_session", offsetof(struct issuer_conf, rate_per_session), 0, 1000000 },
        /* key_dir mode; how they must relate is checked in key_dir_check. */
        { "rotation_period", offsetof(struct issuer_conf, rotation_period), 2, 10 * 366 * 86400L },
        { "publish_ahead", offsetof(struct issuer_conf, publish_ahead), 1, 366 * 86400L },
        { "sync_interval", offsetof(struct issuer_conf, sync_interval), 1, 86400 },
        /* A year at most: a host's copy must not outlive a key by more. */
        { "bundle_lifetime", offsetof(struct issuer_conf, bundle_lifetime), 60, 366 * 86400 },
        /* Below a second a busy Redis times out; a minute holds every
           request that long when it hangs. */
        { "store_timeout", offsetof(struct issuer_conf, store_timeout), 1, 60 },
    };
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        { "issuer", offsetof(struct issuer_conf, issuer) },
        { "audience", offsetof(struct issuer_conf, audience) },
        { "signing_key", offsetof(struct issuer_conf, signing_key) },
        { "hmac_secret", offsetof(struct issuer_conf, hmac_secret) },
        { "pam_service", offsetof(struct issuer_conf, pam_service) },
        { "pam_confdir", offsetof(struct issuer_conf, pam_confdir) },
        { "tls_cert", offsetof(struct issuer_conf, tls_cert) },
        { "tls_key", offsetof(struct issuer_conf, tls_key) },
        { "user", offsetof(struct issuer_conf, user) },
        { "revoked", offsetof(struct issuer_conf, revoked) },
        { "state_dir", offsetof(struct issuer_conf, state_dir) },
        { "key_dir", offsetof(struct issuer_conf, key_dir) },
        { "store", offsetof(struct issuer_conf, store) },
        { "store_password_file", offsetof(struct issuer_conf, store_password_file) },
    };
    struct issuer_conf *c = ctx;
    size_t i;

    for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        if (strcmp(key, nums[i].name) == 0)
            return pjwt_conf_long(key, value, nums[i].min, nums[i].max,
                                  (long *)(void *)((char *)c + nums[i].off), err);
    for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strcmp(key, strs[i].name) == 0)
            return pjwt_conf_str((char **)(void *)((char *)c + strs[i].off), key,
                                 value, err);
    if (strcmp(key, "listen") == 0)
        return add_listen(c, key, value, err);
    if (strcmp(key, "publish_key") == 0)
        return add_str(c->publish, &c->n_publish, CONF_MAX_PUBLISH, key, value, err);
    if (strcmp(key, "allowed_audiences") == 0)
        return each_item(key, value, add_audience, c, err);
    if (strcmp(key, "trusted_proxies") == 0)
        return each_item(key, value, add_proxy, c, err);
    if (strcmp(key, "rate_limit_user_key") == 0)
        return set_user_key(c, key, value, err);
    if (strcmp(key, "claims_groups") == 0)
        return pjwt_conf_bool(key, value, &c->claims_groups, err);
    if (strcmp(key, "session_account_check") == 0)
        return pjwt_conf_bool(key, value, &c->session_acct_check, err);
    if (strcmp(key, "claim") == 0)
        return set_claim(c, value, err);
    if (strcmp(key, "auth_audience") == 0)
        return add_list(key, value, c->auth_audiences, &c->n_auth_audiences,
                        CONF_MAX_AUDIENCES, err);
    if (strcmp(key, "allowed_scopes") == 0)
        return add_list(key, value, c->scopes, &c->n_scopes, CONF_MAX_SCOPES,
                        err);
    if (strcmp(key, "scope_groups") == 0)
        return set_scope_groups(c, value, err);
    if (strcmp(key, "client") == 0)
        return set_client(c, key, value, err);
    if (strcmp(key, "key_alg") == 0)
        return set_key_alg(c, key, value, err);
    return PJWT_ERR_UNKNOWN_OPT;
}

/*
 * key_dir's schedule (keyring.h) only keeps its promises when its periods
 * fit together; each refusal says which promise would break.
 *  - A next key is published publish_ahead before it signs; hosts fetch it
 *    every sync_interval: two chances at least, one may fail.
 *  - rotation_period >= 2 * publish_ahead: the next key is made only after
 *    the current one has signed for publish_ahead, so there is never more
 *    than one next key and each key signs at least as long as it waited.
 *  - A retiring key stays published retire_window (the longest token
 *    lifetime, plus the verifiers' default leeway) after its successor took
 *    over.  A rotation_period shorter than that is allowed (several keys
 *    retire at once: tests, or very short tokens), up to the bundle's signer
 *    slots: the current key and at most 7 retiring ones.
 */
static int
key_dir_check(struct issuer_conf *c, pjwt_err *err)
{
    const char *file = c->path;
    long retiring;

    if (c->signing_key != NULL || c->hmac_secret != NULL)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: key_dir manages the keys "
                         "itself: remove signing_key and hmac_secret", file);
    if (c->key_dir[0] != '/')
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: key_dir must be an "
                         "absolute path", file);
    if (c->publish_ahead < 2 * c->sync_interval)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: publish_ahead %ld is less "
                         "than 2 x sync_interval %ld: a host whose sync fails "
                         "once would see a new key only after it signs",
                         file, c->publish_ahead, c->sync_interval);
    if (c->rotation_period < 2 * c->publish_ahead)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: rotation_period %ld is less "
                         "than 2 x publish_ahead %ld: a key would be replaced "
                         "before it had signed as long as it was published "
                         "ahead", file, c->rotation_period, c->publish_ahead);
    retiring = (c->retire_window + c->rotation_period - 1) / c->rotation_period;
    if (retiring > 7)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: rotation_period %ld: up to "
                         "%ld keys would be retiring at once (tokens live "
                         "%ld s after a switch), at most 7 can sign the trust "
                         "bundle", file, c->rotation_period, retiring,
                         c->retire_window);
    return 0;
}

static int
fill_defaults(struct issuer_conf *c, pjwt_err *err)
{
    const char *file = c->path;
    size_t i;

    if (c->issuer == NULL)
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: issuer is required",
                         file);
    /* Also a replica's: how long its current key stays in the key
       registry after its last heartbeat (key_registry.h). */
    c->retire_window = c->token_lifetime + PJWT_LEEWAY_DEFAULT;
    if (c->key_dir != NULL) {
        if (key_dir_check(c, err) != 0)
            return pjwt_err_code(err);
    } else if ((c->signing_key == NULL) == (c->hmac_secret == NULL)) {
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: exactly one of signing_key, hmac_secret and "
                         "key_dir is required", file);
    }
    if ((c->tls_cert == NULL) != (c->tls_key == NULL))
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                            "%s: tls_cert and tls_key go together", file);
    /* A token nobody asked to aim elsewhere is for this issuer itself
       (its /userinfo and /auth), as RFC 9068 has it: never a literal that
       some host might also use. */
    if (c->audience == NULL && pjwt_conf_str(&c->audience, "audience",
                                       c->issuer, err) != 0)
        return pjwt_err_code(err);
    if (c->pam_service == NULL && pjwt_conf_str(&c->pam_service, "pam_service",
                                          DEFAULT_SERVICE, err) != 0)
        return pjwt_err_code(err);
    if (c->n_listen == 0 && add_str(c->listen, &c->n_listen, CONF_MAX_LISTEN,
                                    "listen", "127.0.0.1:8080", err) != 0)
        return pjwt_err_code(err);
    if (c->pam_queue == 0)
        c->pam_queue = c->pam_workers * 16;
    if (c->state_dir == NULL && pjwt_conf_str(&c->state_dir, "state_dir",
                                        DEFAULT_STATE_DIR, err) != 0)
        return pjwt_err_code(err);
    if (c->state_dir[0] != '/')
        return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: state_dir must be an "
                         "absolute path", file);
    if (c->n_auth_audiences == 0
        && add_str(c->auth_audiences, &c->n_auth_audiences, CONF_MAX_AUDIENCES,
                   "auth_audience", c->audience, err) != 0)
        return pjwt_err_code(err);
    for (i = 0; i < c->n_auth_audiences; i++)
        if (!issuer_conf_audience_ok(c, c->auth_audiences[i]))
            /* This issuer's keys are the only ones /auth trusts: a token
               for any other audience could never pass. */
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "%s: auth_audience %s is neither audience nor "
                             "in allowed_audiences", file,
                             c->auth_audiences[i]);
    for (i = 0; i < c->n_clients; i++) {
        const struct issuer_client *cl = &c->clients[i];
        size_t j;

        /* A client's list narrows what the issuer allows, never widens
           it: a name must be allowed, a pattern listed as it is. */
        for (j = 0; j < cl->n_audiences; j++) {
            const char *a = cl->audiences[j];
            int ok = strchr(a, '*') == NULL ? issuer_conf_audience_ok(c, a) : 0;
            size_t k;

            for (k = 0; k < c->n_audiences && !ok; k++)
                ok = strcmp(c->audiences[k], a) == 0;
            if (!ok)
                return PJWT_FAIL(err, PJWT_ERR_CONF,
                                 "%s: client %s: audience %s is neither "
                                 "audience nor in allowed_audiences", file,
                                 cl->id, a);
        }
    }
    return scope_conf_check(c, err);
}

struct issuer_conf *
issuer_conf_load(const char *path, pjwt_err *err)
{
    struct issuer_conf *c = calloc(1, sizeof(*c));
    struct issuer_conf *r = NULL;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    if (c == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    c->path = strdup(path);
    if (c->path == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    c->token_lifetime = ISSUER_DEFAULT_TOKEN_LIFETIME;
    c->claims_groups = 1;
    c->rate_per_ip = 30;
    c->rate_per_user = 10;
    c->ipv6_prefix = 64;
    c->threads = ncpu > 0 && ncpu < 64 ? ncpu : 4;
    c->pam_workers = 4;
    c->pam_queue = 0;          /* derived from pam_workers */
    c->max_connections = 1024;
    c->max_per_ip = 64;
    c->connection_timeout = 30;
    c->pam_timeout = 30;
    c->fail_delay_ms = 2000;
    c->pam_attempts_per_user = 20;
    c->pam_attempts_total = 600;
    c->session_lifetime = 8 * 3600;
    c->session_idle = 3600;
    c->rate_per_session = 120;
    c->session_acct_check = 1;
    c->key_alg = PJWT_ALG_ES256;
    c->rotation_period = ISSUER_DEFAULT_ROTATION_PERIOD;
    c->publish_ahead = ISSUER_DEFAULT_PUBLISH_AHEAD;
    c->sync_interval = 300;
    c->bundle_lifetime = 7 * 86400;
    c->store_timeout = 2;
    if (pjwt_conf_parse_file(path, set_opt, c, err) != 0)
        goto out;
    if (fill_defaults(c, err) != 0)
        goto out;
    r = c;
    c = NULL;
out:
    issuer_conf_free(c);
    return r;
}

void
issuer_conf_free(struct issuer_conf *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->n_listen; i++)
        free(c->listen[i]);
    for (i = 0; i < c->n_audiences; i++)
        free(c->audiences[i]);
    for (i = 0; i < c->n_publish; i++)
        free(c->publish[i]);
    for (i = 0; i < c->n_claims; i++) {
        free(c->claims[i].name);
        free(c->claims[i].value);
    }
    for (i = 0; i < c->n_auth_audiences; i++)
        free(c->auth_audiences[i]);
    for (i = 0; i < c->n_scopes; i++)
        free(c->scopes[i]);
    for (i = 0; i < c->n_scope_groups; i++) {
        free(c->scope_groups[i].scope);
        free(c->scope_groups[i].group);
    }
    for (i = 0; i < c->n_clients; i++) {
        size_t j;

        free(c->clients[i].id);
        free(c->clients[i].secret_file);
        for (j = 0; j < c->clients[i].n_audiences; j++)
            free(c->clients[i].audiences[j]);
    }
    free(c->revoked);
    free(c->state_dir);
    free(c->key_dir);
    free(c->store);
    free(c->store_password_file);
    free(c->path);
    free(c->issuer);
    free(c->audience);
    free(c->signing_key);
    free(c->hmac_secret);
    free(c->pam_service);
    free(c->pam_confdir);
    free(c->tls_cert);
    free(c->tls_key);
    free(c->user);
    free(c);
}

int
issuer_conf_is_proxy(const struct issuer_conf *c, const struct netaddr *addr)
{
    size_t i;

    for (i = 0; i < c->n_proxies; i++)
        if (netaddr_in_prefix(addr, &c->proxies[i]))
            return 1;
    return 0;
}

/* What a PREFIX:* pattern lets a request fill in: one host name (what
   pam_jwt's %h and %H expand to), nothing that could reach into another
   audience's syntax. */
static int
audience_suffix_ok(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789.-_");

    return n > 0 && n <= 253 && s[n] == '\0' && s[0] != '.' && s[0] != '-';
}

static int
audience_matches(const char *entry, const char *aud)
{
    size_t len = strlen(entry);

    if (len > 0 && entry[len - 1] == '*')
        return strncmp(aud, entry, len - 1) == 0
               && audience_suffix_ok(aud + len - 1);
    return strcmp(aud, entry) == 0;
}

int
issuer_conf_audience_in(char *const *list, size_t n, const char *aud)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (audience_matches(list[i], aud))
            return 1;
    return 0;
}

int
issuer_conf_audience_ok(const struct issuer_conf *c, const char *aud)
{
    return strcmp(aud, c->audience) == 0
           || issuer_conf_audience_in(c->audiences, c->n_audiences, aud);
}

/*
 * The PAM stack the helpers run decides who gets a token, so its files
 * are held to the trust rule (fileio.h).  With `user =` the daemon starts
 * as root and the HTTP side runs as that user: only root may own anything
 * on the way, so nothing the HTTP side can write (a directory it owns, or
 * one open to a group it is in) ever lies on the path; without `user =`
 * the daemon's own user may own them too.  A missing service file or
 * confdir is an error: libpam would silently use the "other" stack.
 */
void
issuer_conf_pam_file(const struct issuer_conf *c, char *path, size_t cap)
{
    static const char *const dirs[] = { "/etc/pam.d", "/usr/lib/pam.d" };
    size_t i;

    if (c->pam_confdir != NULL) {
        snprintf(path, cap, "%s/%s", c->pam_confdir, c->pam_service);
        return;
    }
    /* libpam: /etc/pam.d/SERVICE, else the vendor directory's. */
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(path, cap, "%s/%s", dirs[i], c->pam_service);
        if (access(path, F_OK) == 0 || errno != ENOENT)
            return;
    }
    snprintf(path, cap, "%s/%s", dirs[0], c->pam_service);
}

int
issuer_conf_check_pam(const struct issuer_conf *c, pjwt_err *err)
{
    const char *s = c->pam_service;
    uid_t owner = c->user != NULL ? 0 : geteuid();
    char path[PATH_MAX];
    pjwt_err e;

    if (s == NULL || *s == '\0' || strchr(s, '/') != NULL
        || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "%s: pam_service: a service name, not a path",
                         c->path);
    pjwt_err_clear(&e);
    if (c->pam_confdir != NULL) {
        /* pam_start_confdir reads confdir/service, else confdir/other. */
        if (pjwt_path_trusted(c->pam_confdir, owner, PJWT_PATH_DIR, &e) != 0)
            return PJWT_FAIL(err, e.code, "pam_confdir %s",
                             e.msg);
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->pam_confdir, s)
            >= sizeof(path))
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "pam_confdir: path too long");
    } else {
        issuer_conf_pam_file(c, path, sizeof(path));
    }
    if (pjwt_path_trusted(path, owner, PJWT_PATH_FILE, &e) != 0)
        return PJWT_FAIL(err, e.code, "pam_service %s%s", e.msg,
                         e.code == PJWT_ERR_IO
                         ? " (libpam would use \"other\")" : "");
    return 0;
}

int
issuer_conf_store_spec(const struct issuer_conf *c, char *spec, size_t cap)
{
    int n = c->store != NULL
                ? snprintf(spec, cap, "%s", c->store)
                : snprintf(spec, cap, "sqlite:%s/" STORE_SQLITE_FILE,
                           c->state_dir);

    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
