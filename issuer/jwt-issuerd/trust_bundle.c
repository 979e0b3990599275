/*
 * trust_bundle.c: GET /.well-known/pamjwt-trust.jws, the signed trust
 * bundle (common/bundle.h) every host's `jwtctl sync` fetches: the current
 * state's public keys with their rotation state (and on a shared store
 * every replica's: key_registry.h), the store's revocations and version,
 * signed by st->bundle_signers.
 *
 * The version lives in the store (store.h): it grows with each revocation
 * change (jwtctl revoke) and with each change of the published keys, which
 * this file reports with store_trust_keys (the SHA-256 of the bundle's
 * JWKS text, states included) whenever a new state is installed.
 *
 * One rendered text is cached.  A request reads the version (one indexed
 * read) and re-renders only when it changed, the state changed, or the
 * text is bundle_lifetime / 7 old (bundle.h: hosts then always hold a
 * bundle with at least 6/7 of its lifetime left; re-signing more often
 * would only make every host rewrite its files at every sync).  So a
 * revocation is served at the first request after it is committed.  When
 * the store fails, the last text is served while it is unexpired; else
 * 503.  Nothing is served without a store: a bundle with a version nobody
 * keeps could roll hosts back.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "cleanup.h"
#include "key_registry.h"
#include "log.h"
#include "routes.h"
#include "session_store.h"
#include "state.h"
#include "trust_bundle.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    struct issuer_state *st;    /* referenced: the state jwks is of */
    uint64_t gen;               /* ... and key_registry_jwks's generation */
    json_t *jwks;               /* {"keys":[JWK + "pamjwt_state"]} */
    uint8_t hash[STORE_HASH_LEN];
    int noted;                  /* store_trust_keys took hash */
    int stale;                  /* text is of an older state */
    char *text;                 /* the last bundle rendered */
    int64_t version;            /* its version, iat, exp */
    time_t iat, exp;
    int failing;                /* the last attempt failed (logged once) */
} c;

/* The bundle's key set: the JWKS this replica serves (key_registry.h:
   its own keys, state.c's one entry per kid with alg and pamjwt_state, no
   secret keys, and on a shared store the other replicas'), each entry
   with the state of its key. */
static json_t *
bundle_jwks(const char *text, pjwt_err *err)
{
    json_auto_t *doc = text != NULL ? json_loads(text, 0, NULL) : NULL;
    json_t *k;
    size_t i;

    if (doc == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    json_array_foreach(json_object_get(doc, "keys"), i, k) {
        const char *kid = json_string_value(json_object_get(k, "kid"));

        if (pjwt_key_state_parse(json_string_value(
                json_object_get(k, "pamjwt_state"))) == 0) {
            PJWT_FAIL(err, PJWT_ERR_INTERNAL, "trust bundle: key %s has no "
                      "rotation state", kid != NULL ? kid : "?");
            return NULL;
        }
    }
    k = doc;
    doc = NULL;
    return k;
}

/* Take st (the current state, a reference the cache keeps or drops) into
   the cache, and tell the store its keys.  Under lock. */
static void
take_state(struct issuer_state *st)
{
    struct store *store = trust_store();
    json_t *jwks;
    char *text = NULL, *keys;
    unsigned int n = STORE_HASH_LEN;
    uint64_t gen;
    int64_t before = c.version, v = 0;
    pjwt_err err;

    pjwt_err_clear(&err);
    keys = key_registry_jwks(st, &gen);
    if (st != c.st || gen != c.gen) {
        if ((jwks = bundle_jwks(keys, &err)) == NULL
            || (text = json_dumps(jwks, JSON_COMPACT | JSON_SORT_KEYS)) == NULL
            || EVP_Digest(text, strlen(text), c.hash, &n, EVP_sha256(), NULL)
                   != 1) {
            log_err("trust bundle: %s", err.msg[0] ? err.msg : "out of memory");
            json_decref(jwks);
            free(text);
            free(keys);
            issuer_state_put(st);
            return;
        }
        free(text);
        c.gen = gen;
        json_decref(c.jwks);
        issuer_state_put(c.st);
        c.jwks = jwks;
        c.st = st;
        c.noted = 0;
        c.stale = 1;
    } else {
        issuer_state_put(st);       /* the cache holds one already */
    }
    free(keys);
    if (c.noted || store == NULL)
        return;
    if (shared_store_note(store_trust_keys(store, c.hash, &v, &err), &err)
        != STORE_OK) {
        log_err("trust bundle: recording the published keys: %s", err.msg);
        return;
    }
    c.noted = 1;
    if (c.text != NULL && v != before)
        log_info("trust bundle: published keys changed, version %lld",
                 (long long)v);
}

void
trust_bundle_keys(void)
{
    struct issuer_state *st = issuer_state_get();

    if (st == NULL)
        return;
    pthread_mutex_lock(&lock);
    take_state(st);
    pthread_mutex_unlock(&lock);
}

/* Each revocation as bundle.h has it, appended to the array ctx. */
static int
add_entry(const struct store_revocation *r, void *ctx)
{
    json_t *o = r->kind == STORE_REVOKE_JTI
                ? json_pack("{s:s}", "jti", r->value)
                : r->before != 0
                ? json_pack("{s:s, s:I}", "sub", r->value, "before",
                            (json_int_t)r->before)
                : json_pack("{s:s}", "sub", r->value);

    return o == NULL || json_array_append_new(ctx, o) != 0;
}

/* Sign a new text into the cache.  Under lock; 0 or -1 (err set). */
static int
render(struct store *store, time_t now, pjwt_err *err)
{
    const struct issuer_state *st = c.st;
    json_auto_t *revoked = json_array(), *payload = NULL;
    int64_t version = 0;
    char *text;

    if (st->n_bundle_signers == 0)
        return PJWT_FAIL(err, PJWT_ERR_KEY, "no key to sign it (an HMAC "
                         "secret cannot sign a public document)");
    if (revoked == NULL)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    if (store_revoke_list(store, &version, add_entry, revoked, err)
        != STORE_OK)
        return err->msg[0] ? pjwt_err_code(err)
                           : PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    payload = json_pack("{s:s, s:I, s:I, s:I, s:O, s:O}",
                        "iss", st->conf->issuer, "version",
                        (json_int_t)version, "iat", (json_int_t)now, "exp",
                        (json_int_t)(now + st->conf->bundle_lifetime),
                        "jwks", c.jwks, "revoked", revoked);
    if (payload == NULL)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    text = pjwt_bundle_sign(payload, st->bundle_signers, st->n_bundle_signers,
                            err);
    if (text == NULL)
        return pjwt_err_code(err);
    free(c.text);
    c.text = text;
    c.version = version;
    c.iat = now;
    c.exp = now + st->conf->bundle_lifetime;
    c.stale = 0;
    return 0;
}

/* The text to serve now (malloc'd copy), or NULL: 503.  Under lock. */
static char *
current_text(void)
{
    struct store *store = trust_store();
    time_t now = time(NULL);
    int64_t v = 0;
    pjwt_err err;
    struct issuer_state *st = issuer_state_get();

    pjwt_err_clear(&err);
    if (st != NULL)
        take_state(st);
    if (store == NULL) {
        PJWT_FAIL(&err, PJWT_ERR_IO, "no store (state_dir)");
    } else if (c.st == NULL || !c.noted) {
        PJWT_FAIL(&err, PJWT_ERR_INTERNAL, "the published keys are not "
                  "recorded (see above)");
    } else if (shared_store_note(store_trust_version(store, &v, &err), &err)
                   == STORE_OK
               && (c.text == NULL || c.stale || v != c.version
                   || now - c.iat >= c.st->conf->bundle_lifetime / 7
                   || now < c.iat)
               && render(store, now, &err) == 0) {
        c.failing = 0;
    } else if (!err.msg[0]) {
        c.failing = 0;              /* the cached text is current */
    }
    if (err.msg[0] && !c.failing) {
        log_err("trust bundle: %s%s", err.msg,
                c.text != NULL && now < c.exp ? "; serving the last one" : "");
        c.failing = 1;
    }
    if (c.text == NULL || (err.msg[0] && now >= c.exp))
        return NULL;
    return strdup(c.text);
}

static enum MHD_Result
trust_end(struct req *r)
{
    static const char *const nocache[] = { "Cache-Control", "no-cache", NULL };
    static const char *const nostore[] = { "Cache-Control", "no-store", NULL };
    enum MHD_Result ret;
    char *text;

    pthread_mutex_lock(&lock);
    text = current_text();
    pthread_mutex_unlock(&lock);
    if (text == NULL)
        return http_reply(r, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                          "no trust bundle\n", 16, nostore);
    ret = http_reply(r, MHD_HTTP_OK, "application/json", text, strlen(text),
                     nocache);
    free(text);
    return ret;
}

void
trust_bundle_close(void)
{
    pthread_mutex_lock(&lock);
    free(c.text);
    json_decref(c.jwks);
    issuer_state_put(c.st);
    memset(&c, 0, sizeof(c));
    pthread_mutex_unlock(&lock);
}

const struct route route_trust_bundle = {
    "/.well-known/pamjwt-trust.jws", EP_TRUST, "GET, HEAD", NULL, NULL,
    trust_end
};
