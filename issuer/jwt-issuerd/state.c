/*
 * state.c: build a complete, immutable issuer state from a config file, and
 * the reference-counted "current state" pointer that SIGHUP swaps.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "cleanup.h"
#include "fileio.h"
#include "keyring.h"
#include "log.h"
#include "signer.h"
#include "state.h"
#include "tls.h"

static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static struct issuer_state *cur;

static void
state_free(struct issuer_state *st)
{
    size_t i;

    if (st == NULL)
        return;
    for (i = 0; i < st->n_verifiers; i++)
        pjwt_verifier_free(st->verifiers[i]);
    pjwt_keyset_free(st->keys);
    free(st->key_state);
    free(st->key_deletes);
    free(st->jwks);
    free(st->as_metadata);
    OPENSSL_cleanse(st->client_secrets, sizeof(st->client_secrets));
    free(st->tls_cert_pem);
    if (st->tls_key_pem != NULL) {
        OPENSSL_cleanse(st->tls_key_pem, strlen(st->tls_key_pem));
        free(st->tls_key_pem);
    }
    issuer_conf_free(st->conf);
    free(st);
}

/* Read a TLS PEM file (the trust rule; the key also unreadable by others)
   that is PEM and nothing else: one block for the key, any number for a
   certificate chain.  NUL-terminated, as MHD wants its PEM strings. */
static char *
read_file(const char *path, int secret, pjwt_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pjwt_err e;

    if (pjwt_file_read(path, 1024 * 1024,
                       PJWT_FILE_CHECK_WRITE
                       | (secret ? PJWT_FILE_CHECK_READ : 0),
                       &buf, &len, err) != 0)
        return NULL;
    pjwt_err_clear(&e);
    if (pjwt_pem_check((const char *)buf, len, secret ? 1 : 0, &e) != 0) {
        PJWT_FAIL(err, e.code, "%s: %s", path, e.msg);
        pjwt_file_free(buf, len);
        return NULL;
    }
    return (char *)buf;
}

/*
 * 1 when path holds only public keys.  Checked before the private-key
 * load, whose first complaint about a public key file would otherwise be
 * its (correct, for a public key) mode 0644.  Reading a file anyone may
 * read discloses nothing; the trust rule on writers still applies.
 */
static int
public_only(const char *path, unsigned flags)
{
    pjwt_keyset *ks = pjwt_keyset_new();
    size_t i, n = 0;
    pjwt_err e;

    pjwt_err_clear(&e);
    if (ks != NULL && pjwt_keyset_load_file(ks, path, flags, &e) == 0)
        n = pjwt_keyset_count(ks);
    for (i = 0; i < n; i++)
        if (pjwt_key_is_private(pjwt_keyset_get(ks, i)))
            n = 0;
    pjwt_keyset_free(ks);
    return n > 0;
}

/* signing_key or hmac_secret: the one key that signs. */
static int
load_fixed(struct issuer_state *st, pjwt_err *err)
{
    const struct issuer_conf *c = st->conf;
    unsigned pub = PJWT_KEYS_EAGER | PJWT_KEYS_CHECK_WRITE;
    unsigned priv = pub | PJWT_KEYS_PRIVATE | PJWT_KEYS_CHECK_READ;
    int r;

    if (c->signing_key != NULL && public_only(c->signing_key, pub))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "%s: not a private key (a public key; signing_key is "
                         "the private key, mode 0600, its .pub goes in "
                         "publish_key or to the hosts)", c->signing_key);
    if (c->signing_key != NULL)
        r = pjwt_keyset_load_file(st->keys, c->signing_key, priv, err);
    else
        r = pjwt_keyset_load_secret_file(st->keys, c->hmac_secret, priv, err);
    if (r != 0)
        return r;
    if (pjwt_keyset_count(st->keys) != 1)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                            "%s: expected exactly one key", c->signing_key);
    st->sign_key = pjwt_keyset_get(st->keys, 0);
    if (!pjwt_key_is_private(st->sign_key))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                            "%s: not a private key", c->signing_key);
    st->key_state[0] = PJWT_KEY_CURRENT;
    if (pjwt_key_kty(st->sign_key) != PJWT_KTY_OCT)
        st->bundle_signers[st->n_bundle_signers++] = st->sign_key;
    return 0;
}

/* key_dir: the schedule's keys (keyring.h), after its step. */
static int
load_key_dir(struct issuer_state *st, int dry, pjwt_err *err)
{
    const struct issuer_conf *c = st->conf;
    struct keyring_params p = { c->key_dir, c->key_alg, c->rotation_period,
                                c->publish_ahead, c->retire_window };
    struct keyring kr;
    size_t i, ci;
    int r;

    r = keyring_open(&p, time(NULL), dry ? KEYRING_DRY_RUN : 0, &kr, err);
    if (r != 0)
        return r;
    pjwt_keyset_free(st->keys);
    st->keys = kr.keys;
    kr.keys = NULL;
    ci = kr.view.current;
    st->sign_key = pjwt_keyset_get(st->keys, ci);
    st->next_key_event = kr.view.next_event;
    st->key_changes = kr.changes;
    if (ci + 1 < kr.sched.n) {
        st->succ_key = pjwt_keyset_get(st->keys, ci + 1);
        st->succ_at = kr.sched.keys[ci + 1].activate;
    }
    /* The current key signs the bundle first, then the retiring ones. */
    st->bundle_signers[st->n_bundle_signers++] = st->sign_key;
    for (i = 0; i < kr.sched.n; i++) {
        st->key_state[i] = kr.view.state[i];
        st->key_deletes[i] = kr.view.deletes[i];
        if (kr.view.state[i] == PJWT_KEY_RETIRING
            && st->n_bundle_signers < sizeof(st->bundle_signers) / sizeof(st->bundle_signers[0]))
            st->bundle_signers[st->n_bundle_signers++] = pjwt_keyset_get(st->keys, i);
    }
    keyring_clear(&kr);
    return 0;
}

static int
load_keys(struct issuer_state *st, int dry, pjwt_err *err)
{
    const struct issuer_conf *c = st->conf;
    unsigned pub = PJWT_KEYS_EAGER | PJWT_KEYS_CHECK_WRITE;
    size_t i, n;
    int r;

    st->keys = pjwt_keyset_new();
    /* Room for every key either mode can hold; publish_key's follow. */
    st->key_state = calloc(KEYRING_MAX_KEYS + CONF_MAX_PUBLISH,
                           sizeof(*st->key_state));
    st->key_deletes = calloc(KEYRING_MAX_KEYS + CONF_MAX_PUBLISH,
                             sizeof(*st->key_deletes));
    if (st->keys == NULL || st->key_state == NULL || st->key_deletes == NULL)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    r = c->key_dir != NULL ? load_key_dir(st, dry, err) : load_fixed(st, err);
    if (r != 0)
        return r;
    st->alg = pjwt_key_default_alg(st->sign_key);
    if (st->alg == PJWT_ALG_INVALID)
        return PJWT_FAIL(err, PJWT_ERR_KEY, "signing key has no algorithm");
    for (i = 0; i < c->n_publish; i++) {
        n = pjwt_keyset_count(st->keys);
        r = pjwt_keyset_load_file(st->keys, c->publish[i], pub, err);
        if (r != 0)
            return r;
        if (pjwt_keyset_count(st->keys) > KEYRING_MAX_KEYS + CONF_MAX_PUBLISH)
            return PJWT_FAIL(err, PJWT_ERR_KEY, "%s: too many keys",
                             c->publish[i]);
        while (n < pjwt_keyset_count(st->keys))
            st->key_state[n++] = PJWT_KEY_PUBLISHED;
    }
    return 0;
}

/* The JWKS text, without a second entry for a kid already listed, each
   entry with the alg this issuer signs with (RFC 7517 4.4): a JWK's own,
   else the key's default (RS256, the curve's), as signing_key is used;
   clients that select keys by alg need it. */
static int
build_jwks(struct issuer_state *st, pjwt_err *err)
{
    json_auto_t *jwks = pjwt_keyset_to_jwks(st->keys, err);
    json_auto_t *out = json_array();
    json_t *keys, *k, *kid;
    size_t i, j, n = 0;

    if (jwks == NULL || out == NULL)
        return pjwt_err_code(err);
    keys = json_object_get(jwks, "keys");
    json_array_foreach(keys, i, k) {
        pjwt_alg alg;
        int dup = 0;

        /* The entries follow the keyset's order, secret keys left out. */
        while (n < pjwt_keyset_count(st->keys)
               && pjwt_key_kty(pjwt_keyset_get(st->keys, n)) == PJWT_KTY_OCT)
            n++;
        alg = pjwt_key_default_alg(pjwt_keyset_get(st->keys, n));
        if (json_object_get(k, "alg") == NULL && alg != PJWT_ALG_INVALID
            && json_object_set_new(k, "alg", json_string(pjwt_alg_name(alg))) != 0)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        /* For people and third parties: the hosts take the states from
           the signed bundle.  An unknown JWK member is ignored (RFC 7517). */
        if (json_object_set_new(k, "pamjwt_state",
                json_string(pjwt_key_state_name(st->key_state[n++]))) != 0)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");

        kid = json_object_get(k, "kid");
        for (j = 0; j < json_array_size(out) && json_is_string(kid); j++)
            if (json_equal(json_object_get(json_array_get(out, j), "kid"), kid))
                dup = 1;
        if (!dup && json_array_append(out, k) != 0)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    }
    {
        json_auto_t *doc = json_pack("{s:O}", "keys", out);

        st->jwks = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    }
    if (st->jwks == NULL)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    return 0;
}

/*
 * RFC 8414 metadata, only what is true: the password grant at the token
 * endpoint, the client authentication methods /token takes (clients.h;
 * none of them signs anything, so no auth-signing-alg list).  RFC 8414
 * requires a non-empty response_types_supported although there is no
 * authorization endpoint: "none" (OAuth 2.0 Multiple Response Type
 * Encoding Practices) is the registered value for a response that issues
 * nothing.  No openid-configuration: OIDC Discovery requires ID tokens
 * and an authorization endpoint this issuer does not have.
 */
static int
build_metadata(struct issuer_state *st, pjwt_err *err)
{
    const struct issuer_conf *c = st->conf;
    const char *iss = c->issuer;
    size_t n = strlen(iss), i;
    char base[1024], tok[1100], jwks[1100], rev[1100];
    json_auto_t *as = NULL;
    json_t *scopes;

    while (n > 0 && iss[n - 1] == '/')
        n--;
    if (n >= sizeof(base))
        return PJWT_FAIL(err, PJWT_ERR_CONF, "issuer URL too long");
    memcpy(base, iss, n);
    base[n] = '\0';
    snprintf(tok, sizeof(tok), "%s/token", base);
    snprintf(jwks, sizeof(jwks), "%s/.well-known/jwks.json", base);
    snprintf(rev, sizeof(rev), "%s/revoke", base);
    as = json_pack("{s:s, s:s, s:s, s:[s], s:[s], s:[sss]}",
                   "issuer", iss, "token_endpoint", tok, "jwks_uri", jwks,
                   "grant_types_supported", "password",
                   "response_types_supported", "none",
                   "token_endpoint_auth_methods_supported",
                   "client_secret_basic", "client_secret_post", "none");
    if (as == NULL)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    /* Sessions: the refresh_token grant and RFC 7009 revocation, whose
       client authentication is the token endpoint's. */
    if (c->session_lifetime > 0
        && (json_array_append_new(json_object_get(as, "grant_types_supported"),
                                  json_string("refresh_token")) != 0
            || json_object_set_new(as, "revocation_endpoint", json_string(rev)) != 0
            || json_object_set(as, "revocation_endpoint_auth_methods_supported",
                               json_object_get(as, "token_endpoint_auth_methods_supported")) != 0))
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    if (c->n_scopes > 0) {
        if ((scopes = json_array()) == NULL
            || json_object_set_new(as, "scopes_supported", scopes) != 0)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        for (i = 0; i < c->n_scopes; i++)
            if (json_array_append_new(scopes, json_string(c->scopes[i])) != 0)
                return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    }
    st->as_metadata = json_dumps(as, JSON_COMPACT);
    if (st->as_metadata == NULL)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    return 0;
}

static int
vset(pjwt_verifier *v, const char *k, const char *val, pjwt_err *err)
{
    return pjwt_verifier_set(v, k, val, err);
}

/* The verifier's copy of every public key this issuer signs or publishes
   with: parsed back from its public JWK, so no private part is shared. */
static int
add_public_keys(const struct issuer_state *st, pjwt_verifier *v, pjwt_err *err)
{
    size_t i;
    int r;

    for (i = 0; i < pjwt_keyset_count(st->keys); i++) {
        pjwt_key *k = pjwt_keyset_get(st->keys, i);
        json_auto_t *jwk = NULL;

        if (pjwt_key_kty(k) == PJWT_KTY_OCT)
            continue;               /* from hmac_secret, see below */
        if (!(jwk = pjwt_key_to_public_jwk(k, err)))
            return pjwt_err_code(err);
        if ((r = pjwt_verifier_add_key(v, pjwt_key_from_jwk(jwk, 0, err), err)))
            return r;
    }
    return 0;
}

/* The others' public JWKs (key_registry.h) as keys, into v; their
   algorithms into *set. */
static int
add_other_keys(json_t *others, pjwt_verifier *v, pjwt_algset *set,
               pjwt_err *err)
{
    json_t *jwk;
    size_t i;
    int r;

    json_array_foreach(others, i, jwk) {
        pjwt_key *k = pjwt_key_from_jwk(jwk, 0, err);

        if (k == NULL)
            return pjwt_err_code(err);
        if (set != NULL)
            *set |= PJWT_ALGSET(pjwt_key_default_alg(k));
        if (v != NULL && (r = pjwt_verifier_add_key(v, k, err)) != 0)
            return r;
        if (v == NULL)
            pjwt_key_free(k);
    }
    return 0;
}

int
issuer_state_verifiers(const struct issuer_state *st, json_t *others,
                       pjwt_verifier **out, size_t *n, pjwt_err *err)
{
    const struct issuer_conf *c = st->conf;
    char algs[256] = "", lifetime[32];
    size_t i, used = 0;
    pjwt_algset set = 0;
    int r;

    for (i = 0; i < pjwt_keyset_count(st->keys); i++)
        set |= PJWT_ALGSET(pjwt_key_default_alg(pjwt_keyset_get(st->keys, i)));
    if ((r = add_other_keys(others, NULL, &set, err)) != 0)
        return r;
    for (i = 1; i < PJWT_ALG_COUNT; i++)
        if (set & PJWT_ALGSET(i))
            used += (size_t)snprintf(algs + used, sizeof(algs) - used, "%s%s",
                                     used ? "," : "", pjwt_alg_name((pjwt_alg)i));
    snprintf(lifetime, sizeof(lifetime), "%ld", c->token_lifetime);
    for (i = 0; i < c->n_auth_audiences; i++) {
        const char *aud = c->auth_audiences[i];
        pjwt_verifier *v = pjwt_verifier_new();

        if (v == NULL)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        out[(*n)++] = v;
        if ((r = vset(v, "issuer", c->issuer, err)) != 0
            || (r = vset(v, "audience", aud, err)) != 0
            || (r = vset(v, "algorithms", algs, err)) != 0
            || (r = vset(v, "max_lifetime", lifetime, err)) != 0
            || (r = add_public_keys(st, v, err)) != 0
            || (r = add_other_keys(others, v, NULL, err)) != 0
            || (c->hmac_secret && (r = vset(v, "hmac_secret", c->hmac_secret, err)) != 0)
            || (c->revoked && (r = vset(v, "revoked", c->revoked, err)) != 0)
            || (r = pjwt_verifier_prepare(v, PJWT_KEYS_EAGER, err)) != 0)
            return r;
    }
    return 0;
}

static struct issuer_state *
state_load(const char *path, int dry, pjwt_err *err)
{
    struct issuer_state *st = calloc(1, sizeof(*st));
    struct issuer_state *r = NULL;
    char desc[200];

    if (st == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    st->refs = 1;
    st->conf = issuer_conf_load(path, err);
    /* The PAM stack is checked by the privileged side (main.c at startup,
       the supervisor on each re-read): this may run as the HTTP user. */
    if (st->conf == NULL)
        goto out;
    if (load_keys(st, dry, err) != 0
        || clients_load(st->conf, st->client_secrets, err) != 0
        || build_jwks(st, err) != 0
        || build_metadata(st, err) != 0
        || issuer_state_verifiers(st, NULL, st->verifiers, &st->n_verifiers,
                                  err) != 0)
        goto out;
    if (st->conf->tls_cert != NULL) {
        st->tls_cert_pem = read_file(st->conf->tls_cert, 0, err);
        if (st->tls_cert_pem == NULL)
            goto out;
        st->tls_key_pem = read_file(st->conf->tls_key, 1, err);
        if (st->tls_key_pem == NULL)
            goto out;
        /* Checked here, not by MHD at startup: each handshake takes the
           current state's certificate (tls.c), so a bad one must fail the
           load (SIGHUP keeps the old state) rather than every handshake. */
        if (tls_cert_check(st->tls_cert_pem, st->tls_key_pem, st->conf->tls_cert,
                           desc, sizeof(desc), err) != 0)
            goto out;
        log_info("TLS certificate %s: %s", st->conf->tls_cert, desc);
    }
    if (signer_check_size(st, &st->max_token_len, err) != 0)
        goto out;
    r = st;
    st = NULL;
out:
    state_free(st);
    return r;
}

struct issuer_state *
issuer_state_load(const char *path, pjwt_err *err)
{
    return state_load(path, 0, err);
}

struct issuer_state *
issuer_state_check(const char *path, pjwt_err *err)
{
    return state_load(path, 1, err);
}

void
issuer_state_set(struct issuer_state *st)
{
    struct issuer_state *old;

    pthread_mutex_lock(&cur_lock);
    old = cur;
    cur = st;
    pthread_mutex_unlock(&cur_lock);
    issuer_state_put(old);
}

struct issuer_state *
issuer_state_get(void)
{
    struct issuer_state *st;

    pthread_mutex_lock(&cur_lock);
    st = cur;
    if (st != NULL)
        __atomic_add_fetch(&st->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&cur_lock);
    return st;
}

void
issuer_state_put(struct issuer_state *st)
{
    if (st != NULL && __atomic_sub_fetch(&st->refs, 1, __ATOMIC_ACQ_REL) == 0)
        state_free(st);
}
