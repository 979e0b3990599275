/*
 * store_redis_shared.c: what only a shared store keeps (store.h, "shared
 * by replicas"): the leaky buckets pamjwt:rl:<key> (one script over all
 * of an attempt's buckets, on the server's clock: all or nothing across
 * every replica) and the key registry pamjwt:keys (kid -> {"jwk": the
 * JWK's text, "until": epoch seconds}).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "store_redis.h"

#define KEYS_KEY RD_PREFIX "keys"

static enum store_rc
rate(struct rd *h, const char *mode, const struct store_bucket *b, size_t n,
     long long *wait, pjwt_err *err)
{
    char keys[4][sizeof(RD_PREFIX) + 3 + STORE_KEY_MAX], lims[4][32];
    const char *av[9];
    redisReply *rep = NULL;
    enum store_rc rc;
    size_t i;

    for (i = 0; i < n; i++) {
        (void)snprintf(keys[i], sizeof(keys[i]), RD_PREFIX "rl:%s", b[i].key);
        (void)snprintf(lims[i], sizeof(lims[i]), "%.17g", b[i].limit);
        av[i] = keys[i];
        av[n + 1 + i] = lims[i];
    }
    av[n] = mode;
    pthread_mutex_lock(&h->lock);
    rc = rd_eval(h, RD_RATE, (int)n, (int)(2 * n + 1), av, NULL, &rep, err);
    if (rc == STORE_OK && (!rd_int(rep, wait) || *wait < 0))
        rc = rd_bad_reply(h, "rate limit", err);
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    return rc;
}

enum store_rc
rd_rate_acquire(struct store *base, const struct store_bucket *b, size_t n,
                unsigned *retry_after, pjwt_err *err)
{
    long long wait = 0;
    enum store_rc rc = rate((struct rd *)base, "a", b, n, &wait, err);

    if (rc == STORE_OK)
        *retry_after = wait > 3600 ? 3600 : (unsigned)wait;
    return rc;
}

enum store_rc
rd_rate_release(struct store *base, const struct store_bucket *b, size_t n,
                pjwt_err *err)
{
    long long wait = 0;

    return rate((struct rd *)base, "r", b, n, &wait, err);
}

enum store_rc
rd_keys_publish(struct store *base, const struct store_pubkey *k, size_t n,
                pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    const char **av = calloc(2 + 2 * n, sizeof(*av));
    char **json = calloc(n, sizeof(*json));
    redisReply *rep = NULL;
    enum store_rc rc = STORE_ERROR;
    size_t i;

    if (av == NULL || json == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        goto out;
    }
    av[0] = "HSET";
    av[1] = KEYS_KEY;
    for (i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s,s:I}", "jwk", k[i].jwk, "until",
                              (json_int_t)k[i].until);

        json[i] = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (json[i] == NULL) {
            PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
            goto out;
        }
        av[2 + 2 * i] = k[i].kid;
        av[3 + 2 * i] = json[i];
    }
    pthread_mutex_lock(&h->lock);
    rc = rd_cmd(h, (int)(2 + 2 * n), av, NULL, &rep, err);
    if (rc == STORE_OK && rep->type != REDIS_REPLY_INTEGER)
        rc = rd_bad_reply(h, "publish keys", err);
    pthread_mutex_unlock(&h->lock);
out:
    freeReplyObject(rep);
    for (i = 0; json != NULL && i < n; i++)
        free(json[i]);
    free(json);
    free(av);
    return rc;
}

/* One registry entry into *k: 0 when malformed. */
static int
parse_key(const redisReply *kid, const redisReply *v, struct store_pubkey *k)
{
    json_t *j, *jwk, *until;
    int ok;

    memset(k, 0, sizeof(*k));
    if (kid->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING
        || kid->len == 0 || kid->len > PJWT_BUNDLE_MAX_NAME
        || !pjwt_bundle_name_ok(kid->str, kid->len, PJWT_BUNDLE_MAX_NAME))
        return 0;
    memcpy(k->kid, kid->str, kid->len);
    if ((j = json_loadb(v->str, v->len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
        return 0;
    jwk = json_object_get(j, "jwk");
    until = json_object_get(j, "until");
    ok = json_is_string(jwk) && json_string_length(jwk) <= STORE_JWK_MAX
         && json_string_length(jwk) == strlen(json_string_value(jwk))
         && json_is_number(until);
    if (ok) {
        memcpy(k->jwk, json_string_value(jwk), json_string_length(jwk));
        k->until = (int64_t)json_number_value(until);
    }
    json_decref(j);
    return ok;
}

static int
by_kid(const void *a, const void *b)
{
    return strcmp(((const struct store_pubkey *)a)->kid,
                  ((const struct store_pubkey *)b)->kid);
}

enum store_rc
rd_keys_collect(struct store *base, int64_t now,
                int (*fn)(const struct store_pubkey *k, void *ctx), void *ctx,
                pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char t[24];
    const char *av[2] = { KEYS_KEY, t };
    struct store_pubkey *keys = NULL;
    redisReply *rep = NULL;
    enum store_rc rc;
    size_t i, n = 0;

    (void)snprintf(t, sizeof(t), "%lld", (long long)now);
    pthread_mutex_lock(&h->lock);
    rc = rd_eval(h, RD_KEYS_COLLECT, 1, 2, av, NULL, &rep, err);
    if (rc != STORE_OK)
        goto out;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2 != 0) {
        rc = rd_bad_reply(h, "key registry", err);
        goto out;
    }
    if (rep->elements > 0
        && (keys = calloc(rep->elements / 2, sizeof(*keys))) == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        rc = STORE_ERROR;
        goto out;
    }
    for (i = 0; i < rep->elements; i += 2, n++)
        if (!parse_key(rep->element[i], rep->element[i + 1], &keys[n])) {
            rc = rd_bad_reply(h, "key registry", err);
            goto out;
        }
    if (n > 0)              /* keys is NULL then: qsort(NULL) is undefined */
        qsort(keys, n, sizeof(*keys), by_kid);
    for (i = 0; i < n; i++)
        if (fn(&keys[i], ctx) != 0)
            break;
out:
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    free(keys);
    return rc;
}
