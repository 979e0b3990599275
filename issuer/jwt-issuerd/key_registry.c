/*
 * key_registry.c: see key_registry.h.  The merged document is cached under
 * one mutex; a request that finds the collected set KEY_REGISTRY_COLLECT
 * old collects again while holding it (one store call at a time, every
 * other request waits at most store_timeout, and only then).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cleanup.h"
#include "key_registry.h"
#include "log.h"
#include "session_store.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    struct issuer_state *st;    /* referenced: the state text is for */
    json_t *others;             /* the last good collection: JWKs, kid order */
    time_t collected;           /* when it was tried last (0: never) */
    char *text;                 /* own keys + others, by kid */
    uint64_t gen;               /* changes with text */
    struct key_registry_verifiers *vs;  /* for st, at vs_gen */
    uint64_t vs_gen;
} cache;

/* The main thread's: the state last published, and when. */
static struct issuer_state *published;
static time_t published_at;

/* The keyset index of st's public key kid, or -1. */
static long
key_index(const struct issuer_state *st, const char *kid)
{
    size_t i;

    for (i = 0; i < pjwt_keyset_count(st->keys); i++) {
        pjwt_key *k = pjwt_keyset_get(st->keys, i);

        if (pjwt_key_kty(k) != PJWT_KTY_OCT && strcmp(pjwt_key_kid(k), kid) == 0)
            return (long)i;
    }
    return -1;
}

/* How long this replica's key i stays in the registry (key_registry.h). */
static int64_t
until_of(const struct issuer_state *st, long i, time_t now)
{
    int64_t tail = (int64_t)now + KEY_REGISTRY_LINGER;

    if (st->key_state[i] == PJWT_KEY_NEXT)
        return tail;
    if (st->key_state[i] == PJWT_KEY_RETIRING && st->key_deletes[i] > 0)
        return (int64_t)st->key_deletes[i];
    return tail + st->conf->retire_window;
}

/* st's keys, from its published JWKS (public, with pamjwt_state). */
static void
publish(struct store *store, const struct issuer_state *st, time_t now)
{
    json_auto_t *doc = json_loads(st->jwks, 0, NULL);
    json_t *keys = json_object_get(doc, "keys"), *e;
    struct store_pubkey *k = calloc(json_array_size(keys) + 1, sizeof(*k));
    size_t i, n = 0;
    pjwt_err err;

    if (k == NULL || !json_is_array(keys)) {
        log_err("key registry: out of memory");
        free(k);
        return;
    }
    json_array_foreach(keys, i, e) {
        const char *kid = json_string_value(json_object_get(e, "kid"));
        char *text = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
        long at = kid != NULL ? key_index(st, kid) : -1;
        size_t kl = kid != NULL ? strlen(kid) : 0;
        size_t tl = text != NULL ? strlen(text) : 0;

        /* Bounded copies, the lengths measured once: both fit with
           their NUL or the key is not published. */
        if (at >= 0 && text != NULL && kl < sizeof(k[n].kid)
            && tl < sizeof(k[n].jwk)) {
            memcpy(k[n].kid, kid, kl + 1);
            memcpy(k[n].jwk, text, tl + 1);
            k[n++].until = until_of(st, at, now);
        } else {
            log_warn("key registry: key %s not published (too large)",
                     kid != NULL ? kid : "?");
        }
        free(text);
    }
    pjwt_err_clear(&err);
    if (shared_store_note(store_keys_publish(store, k, n, &err), &err)
        != STORE_OK)
        log_debug("key registry: publishing: %s", err.msg);
    free(k);
}

time_t
key_registry_heartbeat(time_t now)
{
    struct store *store = shared_store();
    struct issuer_state *st;

    if (store == NULL)
        return 0;
    st = issuer_state_get();
    if (st != NULL && (st != published || now - published_at
                       >= KEY_REGISTRY_HEARTBEAT || now < published_at)) {
        publish(store, st, now);
        issuer_state_put(published);
        published = st;
        published_at = now;
        st = NULL;
    }
    issuer_state_put(st);
    return published_at + KEY_REGISTRY_HEARTBEAT;
}

/* One collected key into the array ctx: only a public JWK whose kid is
   the registry's and whose state is one of bundle.h's; anything else a
   store returns is skipped (logged), never served. */
static int
take_key(const struct store_pubkey *k, void *ctx)
{
    json_auto_t *jwk = json_loads(k->jwk, 0, NULL);
    const char *kid = json_string_value(json_object_get(jwk, "kid"));
    pjwt_key *key;
    pjwt_err err;

    pjwt_err_clear(&err);
    key = json_is_object(jwk) ? pjwt_key_from_jwk(jwk, 0, &err) : NULL;
    if (key == NULL || kid == NULL || strcmp(kid, k->kid) != 0
        || pjwt_key_kty(key) == PJWT_KTY_OCT
        || pjwt_key_state_parse(json_string_value(
               json_object_get(jwk, "pamjwt_state"))) == 0) {
        log_warn("key registry: entry %.64s skipped: not a public JWK "
                 "with its kid and pamjwt_state", k->kid);
        pjwt_key_free(key);
        return 0;
    }
    pjwt_key_free(key);
    return json_array_append(ctx, jwk) != 0;
}

/* Collect the others' keys into the cache; the last set stays on an
   error.  Under lock. */
static void
collect(struct store *store, time_t now)
{
    json_t *got = json_array();
    pjwt_err err;

    cache.collected = now;
    pjwt_err_clear(&err);
    if (got == NULL
        || shared_store_note(store_keys_collect(store, (int64_t)now, take_key,
                                                got, &err), &err) != STORE_OK) {
        if (got != NULL)
            log_debug("key registry: collecting: %s; keeping the last set",
                      err.msg);
        json_decref(got);
        return;
    }
    if (cache.others != NULL && json_equal(cache.others, got)) {
        json_decref(got);
        return;
    }
    json_decref(cache.others);
    cache.others = got;
    free(cache.text);
    cache.text = NULL;          /* rebuilt by the caller */
}

static int
by_kid(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "kid"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "kid"));

    return strcmp(x ? x : "", y ? y : "");
}

/* 1 when keys has an entry for kid. */
static int
has_kid(json_t *keys, json_t *kid)
{
    json_t *e;
    size_t i;

    json_array_foreach(keys, i, e)
        if (json_equal(json_object_get(e, "kid"), kid))
            return 1;
    return 0;
}

/* st's keys and the others' with a kid st has not, sorted by kid. */
static char *
merge(const struct issuer_state *st)
{
    json_auto_t *doc = json_loads(st->jwks, 0, NULL);
    json_t *keys = json_object_get(doc, "keys"), *e;
    json_t **v;
    size_t i, n;
    char *text = NULL;

    if (!json_is_array(keys))
        return NULL;
    json_array_foreach(cache.others, i, e)
        if (!has_kid(keys, json_object_get(e, "kid"))
            && json_array_append(keys, e) != 0)
            return NULL;
    n = json_array_size(keys);
    if ((v = calloc(n + 1, sizeof(*v))) == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(keys, i));
    qsort(v, n, sizeof(*v), by_kid);
    json_array_clear(keys);
    for (i = 0; i < n; i++)
        if (json_array_append_new(keys, v[i]) != 0)
            v[i] = NULL;
    free(v);
    if (json_array_size(keys) == n)
        text = json_dumps(doc, JSON_COMPACT);
    return text;
}

/* Collect when due, and merge for st when it or the collection changed.
   Under lock. */
static void
refresh(struct store *store, struct issuer_state *st, time_t now)
{
    if (cache.collected == 0 || now - cache.collected >= KEY_REGISTRY_COLLECT
        || now < cache.collected)
        collect(store, now);
    if (cache.st != st || cache.text == NULL) {
        free(cache.text);
        cache.text = merge(st);
        cache.gen++;
        issuer_state_put(cache.st);
        cache.st = st;
        __atomic_add_fetch(&st->refs, 1, __ATOMIC_RELAXED);
    }
}

char *
key_registry_jwks(struct issuer_state *st, uint64_t *gen)
{
    struct store *store = shared_store();
    char *text;

    if (gen != NULL)
        *gen = 0;
    if (store == NULL)
        return strdup(st->jwks);
    pthread_mutex_lock(&lock);
    refresh(store, st, time(NULL));
    /* Out of memory merging: this replica's own keys at least. */
    text = strdup(cache.text != NULL ? cache.text : st->jwks);
    if (gen != NULL)
        *gen = cache.gen;
    pthread_mutex_unlock(&lock);
    return text;
}

void
key_registry_verifiers_put(struct key_registry_verifiers *vs)
{
    size_t i;

    if (vs == NULL || __atomic_sub_fetch(&vs->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (i = 0; i < vs->n; i++)
        pjwt_verifier_free(vs->v[i]);
    free(vs);
}

/* Verifiers for st with the collected keys st does not hold; NULL on
   failure (logged). */
static struct key_registry_verifiers *
build_verifiers(const struct issuer_state *st)
{
    struct key_registry_verifiers *vs = calloc(1, sizeof(*vs));
    json_auto_t *foreign = json_array();
    json_t *e;
    size_t i;
    pjwt_err err;

    if (vs == NULL || foreign == NULL) {
        free(vs);
        return NULL;
    }
    vs->refs = 1;
    json_array_foreach(cache.others, i, e) {
        const char *kid = json_string_value(json_object_get(e, "kid"));

        if (kid != NULL && key_index(st, kid) < 0)
            json_array_append(foreign, e);
    }
    pjwt_err_clear(&err);
    if (issuer_state_verifiers(st, foreign, vs->v, &vs->n, &err) != 0) {
        log_err("key registry: verifiers with the other replicas' keys: %s",
                err.msg);
        key_registry_verifiers_put(vs);
        return NULL;
    }
    return vs;
}

struct key_registry_verifiers *
key_registry_verifiers(struct issuer_state *st)
{
    struct store *store = shared_store();
    struct key_registry_verifiers *vs = NULL;

    if (store == NULL)
        return NULL;
    pthread_mutex_lock(&lock);
    refresh(store, st, time(NULL));
    if (cache.vs == NULL || cache.vs_gen != cache.gen) {
        struct key_registry_verifiers *n = build_verifiers(st);

        if (n != NULL) {
            key_registry_verifiers_put(cache.vs);
            cache.vs = n;
            cache.vs_gen = cache.gen;
        }
    }
    /* The set built for another state is never used for st. */
    if (cache.vs != NULL && cache.vs_gen == cache.gen) {
        vs = cache.vs;
        __atomic_add_fetch(&vs->refs, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&lock);
    return vs;
}

void
key_registry_close(void)
{
    pthread_mutex_lock(&lock);
    free(cache.text);
    json_decref(cache.others);
    issuer_state_put(cache.st);
    key_registry_verifiers_put(cache.vs);
    memset(&cache, 0, sizeof(cache));
    pthread_mutex_unlock(&lock);
    issuer_state_put(published);
    published = NULL;
}
