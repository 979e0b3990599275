/*
 * store_redis_trust.c: the trust bundle's part of the Redis store
 * (store.h): revocations in the hash pamjwt:rev ("jti:VALUE" or
 * "sub:VALUE" -> {"before","added","seq"}; seq keeps the order of
 * changes within a second, as SQLite's rowid does) and pamjwt:trust
 * (version, keys_hash, seq).  Each change and its version bump is one
 * script (store_redis_lua.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "store_redis.h"

#define REV RD_PREFIX "rev"
#define TRUST RD_PREFIX "trust"

static void
field(enum store_revoke_kind kind, const char *value, char *out, size_t cap)
{
    (void)snprintf(out, cap, "%s:%s", kind == STORE_REVOKE_JTI ? "jti" : "sub",
                   value);
}

/* A {code, version} reply. */
static enum store_rc
code_version(struct rd *h, redisReply *rep, long long *code, int64_t *version,
             pjwt_err *err)
{
    long long v;

    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2
        || !rd_int(rep->element[0], code) || !rd_int(rep->element[1], &v))
        return rd_bad_reply(h, "revocations", err);
    if (version != NULL)
        *version = v;
    return STORE_OK;
}

enum store_rc
rd_revoke_add(struct store *base, const struct store_revocation *r,
              int *changed, int64_t *version, pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char f[PJWT_BUNDLE_MAX_NAME + 8], before[24], max[24];
    const char *av[5] = { REV, TRUST, f, before, max };
    redisReply *rep = NULL;
    long long code = 0;
    enum store_rc rc;

    field(r->kind, r->value, f, sizeof(f));
    (void)snprintf(before, sizeof(before), "%lld", (long long)r->before);
    (void)snprintf(max, sizeof(max), "%d", PJWT_BUNDLE_MAX_REVOKED);
    pthread_mutex_lock(&h->lock);
    rc = rd_eval(h, RD_REV_ADD, 2, 5, av, NULL, &rep, err);
    if (rc == STORE_OK)
        rc = code_version(h, rep, &code, version, err);
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    if (rc == STORE_OK && code < 0) {
        PJWT_FAIL(err, PJWT_ERR_TOO_LONG, "%s: already %d revocations, the "
                  "most a trust bundle carries", h->name,
                  PJWT_BUNDLE_MAX_REVOKED);
        return STORE_ERROR;
    }
    if (rc == STORE_OK && changed != NULL)
        *changed = code == 1;
    return rc;
}

enum store_rc
rd_revoke_remove(struct store *base, enum store_revoke_kind kind,
                 const char *value, int64_t *version, pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char f[PJWT_BUNDLE_MAX_NAME + 8];
    const char *av[3] = { REV, TRUST, f };
    redisReply *rep = NULL;
    long long code = 0;
    enum store_rc rc;

    field(kind, value, f, sizeof(f));
    pthread_mutex_lock(&h->lock);
    rc = rd_eval(h, RD_REV_REMOVE, 2, 3, av, NULL, &rep, err);
    if (rc == STORE_OK)
        rc = code_version(h, rep, &code, version, err);
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    return rc == STORE_OK && code == 0 ? STORE_NOT_FOUND : rc;
}

struct rev_entry {
    struct store_revocation r;
    long long seq;
};

static int
by_added(const void *a, const void *b)
{
    const struct rev_entry *x = a, *y = b;

    if (x->r.added != y->r.added)
        return x->r.added < y->r.added ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One pamjwt:rev entry into *e: 0 when malformed. */
static int
parse_rev(const redisReply *k, const redisReply *v, struct rev_entry *e)
{
    json_t *j, *b, *a, *s;
    size_t vl;
    int ok;

    memset(e, 0, sizeof(*e));
    if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING
        || k->len < 5 || k->len > 4 + PJWT_BUNDLE_MAX_NAME)
        return 0;
    if (strncmp(k->str, "jti:", 4) == 0)
        e->r.kind = STORE_REVOKE_JTI;
    else if (strncmp(k->str, "sub:", 4) == 0)
        e->r.kind = STORE_REVOKE_SUB;
    else
        return 0;
    vl = k->len - 4;
    memcpy(e->r.value, k->str + 4, vl);
    if (!pjwt_bundle_name_ok(e->r.value, vl, PJWT_BUNDLE_MAX_NAME))
        return 0;
    if ((j = json_loadb(v->str, v->len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
        return 0;
    b = json_object_get(j, "before");
    a = json_object_get(j, "added");
    s = json_object_get(j, "seq");
    ok = json_is_integer(b) && json_is_integer(a) && json_is_integer(s)
         && json_integer_value(b) >= 0;
    if (ok) {
        e->r.before = json_integer_value(b);
        e->r.added = json_integer_value(a);
        e->seq = json_integer_value(s);
    }
    json_decref(j);
    return ok;
}

enum store_rc
rd_revoke_list(struct store *base, int64_t *version,
               int (*fn)(const struct store_revocation *r, void *ctx),
               void *ctx, pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    const char *av[2] = { TRUST, REV };
    struct rev_entry *e = NULL;
    redisReply *rep = NULL, *all;
    long long v = 0;
    enum store_rc rc;
    size_t i, n = 0;

    av[0] = REV;
    av[1] = TRUST;
    pthread_mutex_lock(&h->lock);
    rc = rd_eval(h, RD_REV_LIST, 2, 2, av, NULL, &rep, err);
    if (rc != STORE_OK)
        goto out;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2
        || !rd_int(rep->element[0], &v)
        || (all = rep->element[1])->type != REDIS_REPLY_ARRAY
        || all->elements % 2 != 0) {
        rc = rd_bad_reply(h, "revocations", err);
        goto out;
    }
    if (all->elements > 0
        && (e = calloc(all->elements / 2, sizeof(*e))) == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        rc = STORE_ERROR;
        goto out;
    }
    for (i = 0; i < all->elements; i += 2, n++)
        if (!parse_rev(all->element[i], all->element[i + 1], &e[n])) {
            rc = rd_bad_reply(h, "revocations", err);
            goto out;
        }
    if (n > 0)              /* e is NULL then: qsort(NULL) is undefined */
        qsort(e, n, sizeof(*e), by_added);
    for (i = 0; i < n; i++)
        if (fn(&e[i].r, ctx) != 0)
            break;
    if (version != NULL)
        *version = v;
out:
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    free(e);
    return rc;
}

/* A script on pamjwt:trust answering the version. */
static enum store_rc
version_call(struct rd *h, enum rd_sc sc, const char *arg, int64_t *version,
             pjwt_err *err)
{
    const char *av[2] = { TRUST, arg };
    redisReply *rep = NULL;
    long long v = 0;
    enum store_rc rc;

    pthread_mutex_lock(&h->lock);
    rc = rd_eval(h, sc, 1, arg != NULL ? 2 : 1, av, NULL, &rep, err);
    if (rc == STORE_OK && !rd_int(rep, &v))
        rc = rd_bad_reply(h, "trust version", err);
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    if (rc == STORE_OK && version != NULL)
        *version = v;
    return rc;
}

enum store_rc
rd_trust_version(struct store *base, int64_t *version, pjwt_err *err)
{
    return version_call((struct rd *)base, RD_VERSION, NULL, version, err);
}

enum store_rc
rd_trust_keys(struct store *base, const uint8_t hash[STORE_HASH_LEN],
              int64_t *version, pjwt_err *err)
{
    char hx[2 * STORE_HASH_LEN + 1];
    int i;

    for (i = 0; i < STORE_HASH_LEN; i++)
        (void)snprintf(hx + 2 * i, 3, "%02x", hash[i]);
    return version_call((struct rd *)base, RD_TRUST_KEYS, hx, version, err);
}
