/*
 * store_redis.c: the store replicas share (store.h) in Redis:
 * "redis://HOST:PORT/DB" or "redis+unix:///PATH?db=N".
 *
 * Keys, all under "pamjwt:": a session is the hash s:<id>; each hash a
 * session had as its live one is h:<hex> -> id (its session's live field
 * tells live from used); u:<user> is the set of a user's ids.  All three
 * expire with the session's absolute end (EXPIREAT expires), so Redis
 * never keeps more than the live sessions; store_expire forgets what ended
 * earlier (revoked, reused, idle), with the rule of store_sqlite.c, and
 * the index entries the TTL left behind.  A used hash outlives its
 * session's forgetting until that TTL, harmlessly: it names no session,
 * so presenting it is merely unknown, as in SQLite.
 *
 * Rotation is one script: the compare-and-set of store_sqlite.c, atomic
 * across replicas, so a refresh token used on one replica is reuse on
 * every other.  Durability is the server's (appendonly, appendfsync): a
 * Redis that may lose writes may bring an ended session back.
 *
 * Threads: one connection per handle, one mutex around every call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_redis.h"

#define SKEY RD_PREFIX "s:"
#define HKEY RD_PREFIX "h:"
#define UKEY RD_PREFIX "u:"

static void
hex(const uint8_t h[STORE_HASH_LEN], char out[2 * STORE_HASH_LEN + 1])
{
    static const char d[] = "0123456789abcdef";
    int i;

    for (i = 0; i < STORE_HASH_LEN; i++) {
        out[2 * i] = d[h[i] >> 4];
        out[2 * i + 1] = d[h[i] & 15];
    }
    out[2 * STORE_HASH_LEN] = '\0';
}

static void
copy(char *dst, size_t cap, const redisReply *v)
{
    size_t n = v->len < cap - 1 ? v->len : cap - 1;

    memcpy(dst, v->str, n);
    dst[n] = '\0';
}

/* A session's HGETALL (flat field, value pairs) and its id into *s;
   *ended and live (hex, may be NULL) too.  0 when malformed. */
static int
parse_session(const redisReply *id, const redisReply *a,
              struct store_session *s, int64_t *ended, char *live)
{
    unsigned seen = 0;
    long long v;
    size_t i;

    memset(s, 0, sizeof(*s));
    if (id->type != REDIS_REPLY_STRING || id->len > STORE_ID_LEN
        || a->type != REDIS_REPLY_ARRAY || a->elements % 2 != 0)
        return 0;
    copy(s->id, sizeof(s->id), id);
    for (i = 0; i < a->elements; i += 2) {
        const redisReply *k = a->element[i], *x = a->element[i + 1];
        const char *f = k->str;

        if (k->type != REDIS_REPLY_STRING || x->type != REDIS_REPLY_STRING)
            return 0;
        if (strcmp(f, "user") == 0)
            copy(s->user, sizeof(s->user), x), seen |= 1;
        else if (strcmp(f, "client_id") == 0)
            copy(s->client_id, sizeof(s->client_id), x), seen |= 2;
        else if (strcmp(f, "rhost") == 0)
            copy(s->rhost, sizeof(s->rhost), x), seen |= 4;
        else if (strcmp(f, "live") == 0) {
            if (x->len != 2 * STORE_HASH_LEN)
                return 0;
            if (live != NULL)
                copy(live, 2 * STORE_HASH_LEN + 1, x);
            seen |= 8;
        } else if (rd_int(x, &v) && v >= 0) {
            if (strcmp(f, "created") == 0)
                s->created = v, seen |= 16;
            else if (strcmp(f, "last_used") == 0)
                s->last_used = v, seen |= 32;
            else if (strcmp(f, "expires") == 0)
                s->expires = v, seen |= 64;
            else if (strcmp(f, "idle") == 0)
                s->idle = v, seen |= 128;
            else if (strcmp(f, "refreshes") == 0)
                s->refreshes = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v,
                seen |= 256;
            else if (strcmp(f, "ended") == 0 && ended != NULL)
                *ended = v, seen |= 512;
            else if (strcmp(f, "ended") == 0)
                seen |= 512;
        } else {
            return 0;
        }
    }
    return seen == 1023;
}

static int
alive(const struct store_session *s, int64_t ended, int64_t now)
{
    return ended == 0 && now < s->expires
           && (s->idle <= 0 || now - s->last_used < s->idle);
}

static enum store_rc
rd_create(struct store *base, const struct store_session *s,
          const uint8_t hash[STORE_HASH_LEN], pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char sk[RD_KEY_MAX], hk[RD_KEY_MAX], uk[RD_KEY_MAX], hx[65];
    char n[5][24];
    const char *av[13];
    redisReply *rep = NULL;
    enum store_rc r;

    hex(hash, hx);
    (void)snprintf(sk, sizeof(sk), SKEY "%s", s->id);
    (void)snprintf(hk, sizeof(hk), HKEY "%s", hx);
    (void)snprintf(uk, sizeof(uk), UKEY "%s", s->user);
    (void)snprintf(n[0], sizeof(n[0]), "%lld", (long long)s->created);
    (void)snprintf(n[1], sizeof(n[1]), "%lld", (long long)s->last_used);
    (void)snprintf(n[2], sizeof(n[2]), "%lld", (long long)s->expires);
    (void)snprintf(n[3], sizeof(n[3]), "%lld", (long long)s->idle);
    (void)snprintf(n[4], sizeof(n[4]), "%lu", (unsigned long)s->refreshes);
    av[0] = sk; av[1] = hk; av[2] = uk;
    av[3] = s->id; av[4] = s->user; av[5] = s->client_id; av[6] = s->rhost;
    av[7] = n[0]; av[8] = n[1]; av[9] = n[2]; av[10] = n[3]; av[11] = n[4];
    av[12] = hx;
    pthread_mutex_lock(&h->lock);
    r = rd_eval(h, RD_CREATE, 3, 13, av, NULL, &rep, err);
    if (r == STORE_OK && rep->type != REDIS_REPLY_INTEGER)
        r = rd_bad_reply(h, "create", err);
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    return r;
}

/* A {code, id, session} reply: code in *code, the session in *s. */
static enum store_rc
session_reply(struct rd *h, redisReply *rep, const char *what, long long *code,
              struct store_session *s, int64_t *ended, char *live,
              pjwt_err *err)
{
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1
        || !rd_int(rep->element[0], code))
        return rd_bad_reply(h, what, err);
    if (*code == 0)
        return STORE_OK;
    if (rep->elements != 3
        || !parse_session(rep->element[1], rep->element[2], s, ended, live))
        return rd_bad_reply(h, what, err);
    return STORE_OK;
}

static enum store_rc
rd_find(struct store *base, const uint8_t hash[STORE_HASH_LEN], int64_t now,
        struct store_session *out, pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char hk[RD_KEY_MAX], hx[65], live[65] = "";
    const char *av[2] = { hk, SKEY };
    struct store_session s;
    redisReply *rep = NULL;
    int64_t ended = 0;
    long long code = 0;
    enum store_rc r;

    hex(hash, hx);
    (void)snprintf(hk, sizeof(hk), HKEY "%s", hx);
    pthread_mutex_lock(&h->lock);
    r = rd_eval(h, RD_FIND, 1, 2, av, NULL, &rep, err);
    if (r == STORE_OK)
        r = session_reply(h, rep, "find", &code, &s, &ended, live, err);
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    if (r != STORE_OK)
        return r;
    if (code == 0)
        return STORE_NOT_FOUND;
    r = strcmp(live, hx) != 0 ? STORE_REUSED
        : !alive(&s, ended, now) ? STORE_ENDED : STORE_OK;
    if (out != NULL)
        *out = s;
    return r;
}

static enum store_rc
rd_rotate(struct store *base, const uint8_t old[STORE_HASH_LEN],
          const uint8_t next[STORE_HASH_LEN], int64_t now,
          struct store_session *out, pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char ok[RD_KEY_MAX], nk[RD_KEY_MAX], ox[65], nx[65], t[24];
    const char *av[6] = { ok, nk, SKEY, ox, nx, t };
    struct store_session s;
    redisReply *rep = NULL;
    long long code = 0;
    enum store_rc r;

    hex(old, ox);
    hex(next, nx);
    (void)snprintf(ok, sizeof(ok), HKEY "%s", ox);
    (void)snprintf(nk, sizeof(nk), HKEY "%s", nx);
    (void)snprintf(t, sizeof(t), "%lld", (long long)now);
    pthread_mutex_lock(&h->lock);
    r = rd_eval(h, RD_ROTATE, 2, 6, av, NULL, &rep, err);
    if (r == STORE_OK)
        r = session_reply(h, rep, "rotate", &code, &s, NULL, NULL, err);
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    if (r != STORE_OK)
        return r;
    if (code < 0 || code > 3) {
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: rotate: unexpected reply", h->name);
        return STORE_ERROR;
    }
    if (code == 0)
        return STORE_NOT_FOUND;
    if (out != NULL)
        *out = s;
    return code == 1 ? STORE_OK : code == 2 ? STORE_REUSED : STORE_ENDED;
}

static enum store_rc
rd_revoke_hash(struct store *base, const uint8_t hash[STORE_HASH_LEN],
               struct store_session *out, pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char hk[RD_KEY_MAX], hx[65];
    const char *av[2] = { hk, SKEY };
    struct store_session s;
    redisReply *rep = NULL;
    long long code = 0;
    enum store_rc r;

    hex(hash, hx);
    (void)snprintf(hk, sizeof(hk), HKEY "%s", hx);
    pthread_mutex_lock(&h->lock);
    r = rd_eval(h, RD_REVOKE_HASH, 1, 2, av, NULL, &rep, err);
    if (r == STORE_OK)
        r = session_reply(h, rep, "revoke", &code, &s, NULL, NULL, err);
    pthread_mutex_unlock(&h->lock);
    freeReplyObject(rep);
    if (r != STORE_OK)
        return r;
    if (code == 0)
        return STORE_NOT_FOUND;
    if (out != NULL)
        *out = s;
    return STORE_OK;
}

/* A script over one key and the session prefix that answers a count. */
static enum store_rc
count_call(struct rd *h, enum rd_sc sc, const char *key, int argc,
           const char **more, size_t *n, pjwt_err *err)
{
    const char *av[4] = { key, SKEY, NULL, NULL };
    redisReply *rep = NULL;
    long long v = 0;
    enum store_rc r;
    int i;

    for (i = 0; i < argc; i++)
        av[2 + i] = more[i];
    r = rd_eval(h, sc, 1, 2 + argc, av, NULL, &rep, err);
    if (r == STORE_OK && (!rd_int(rep, &v) || v < 0))
        r = rd_bad_reply(h, "count", err);
    freeReplyObject(rep);
    if (r == STORE_OK && n != NULL)
        *n = (size_t)v;
    return r;
}

static enum store_rc
rd_revoke_id(struct store *base, const char *id, pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char sk[RD_KEY_MAX];
    size_t n = 0;
    enum store_rc r;

    (void)snprintf(sk, sizeof(sk), SKEY "%.*s", STORE_ID_LEN + 1, id);
    pthread_mutex_lock(&h->lock);
    r = count_call(h, RD_REVOKE_ID, sk, 0, NULL, &n, err);
    pthread_mutex_unlock(&h->lock);
    return r == STORE_OK && n == 0 ? STORE_NOT_FOUND : r;
}

static enum store_rc
rd_revoke_user(struct store *base, const char *user, size_t *n, pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char uk[RD_KEY_MAX];
    enum store_rc r;

    (void)snprintf(uk, sizeof(uk), UKEY "%.*s", STORE_NAME_MAX, user);
    pthread_mutex_lock(&h->lock);
    r = count_call(h, RD_REVOKE_USER, uk, 0, NULL, n, err);
    pthread_mutex_unlock(&h->lock);
    return r;
}

/* ---- listing and forgetting -------------------------------------------- */

struct found {
    struct store_session *s;
    size_t n, cap;
};

/* Keep the live ones of a RD_GET reply ({id, session, ...}). */
static enum store_rc
keep_live(struct rd *h, const redisReply *rep, int64_t now, struct found *f,
          pjwt_err *err)
{
    struct store_session s, *p;
    int64_t ended;
    size_t i;

    if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2 != 0)
        return rd_bad_reply(h, "list", err);
    for (i = 0; i < rep->elements; i += 2) {
        ended = 0;
        if (!parse_session(rep->element[i], rep->element[i + 1], &s, &ended,
                           NULL))
            return rd_bad_reply(h, "list", err);
        if (!alive(&s, ended, now))
            continue;
        if (f->n == f->cap) {
            f->cap = f->cap ? 2 * f->cap : 64;
            if ((p = realloc(f->s, f->cap * sizeof(*p))) == NULL) {
                PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
                return STORE_ERROR;
            }
            f->s = p;
        }
        f->s[f->n++] = s;
    }
    return STORE_OK;
}

static int
oldest_first(const void *a, const void *b)
{
    const struct store_session *x = a, *y = b;

    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* At most this many SCAN rounds in one walk: with COUNT 200 that covers
   a table of 200M buckets, far beyond any store, and ends the walk of a
   server whose cursors cycle (each round alone is within the timeout, so
   without a bound list and expire could loop for ever). */
#define RD_SCAN_ROUNDS (1u << 20)

/* SCAN MATCH pattern from *cursor: the keys in *rep's element[1]. */
static enum store_rc
scan(struct rd *h, char *cursor, const char *pattern, redisReply **rep,
     pjwt_err *err)
{
    const char *av[6] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "200" };
    size_t i, plen = strlen(pattern) - 1;      /* the prefix before '*' */
    const redisReply *c;

    if (rd_cmd(h, 6, av, NULL, rep, err) != STORE_OK)
        return STORE_ERROR;
    if ((*rep)->type != REDIS_REPLY_ARRAY || (*rep)->elements != 2
        || (c = (*rep)->element[0])->type != REDIS_REPLY_STRING
        || c->len == 0 || c->len > 20
        || (*rep)->element[1]->type != REDIS_REPLY_ARRAY)
        goto bad;
    /* Redis never answers a non-zero cursor with itself (the reversed
       cursor only grows until it wraps to 0): a server that does would
       keep the walk going for ever. */
    if (strcmp(cursor, "0") != 0 && c->len == strlen(cursor)
        && memcmp(c->str, cursor, c->len) == 0)
        goto bad;
    /* Every key must carry the pattern's prefix, as MATCH promises: the
       callers skip the prefix (gather_all: str + strlen(SKEY)), which
       read past a shorter key a broken server sent. */
    for (i = 0; i < (*rep)->element[1]->elements; i++)
        if ((*rep)->element[1]->element[i]->type != REDIS_REPLY_STRING
            || (*rep)->element[1]->element[i]->len < plen
            || memcmp((*rep)->element[1]->element[i]->str, pattern, plen) != 0)
            goto bad;
    copy(cursor, 24, c);
    return STORE_OK;
bad:
    freeReplyObject(*rep);
    *rep = NULL;
    return rd_bad_reply(h, "SCAN", err);
}

/* Every session (SCAN s:*), in RD_GET batches. */
static enum store_rc
gather_all(struct rd *h, int64_t now, struct found *f, pjwt_err *err)
{
    char cursor[24] = "0";
    const char *av[16];
    redisReply *keys = NULL, *rep = NULL;
    enum store_rc r;
    size_t i, j, k;
    unsigned rounds = 0;

    do {
        if (++rounds > RD_SCAN_ROUNDS)
            return rd_bad_reply(h, "SCAN", err);
        if ((r = scan(h, cursor, SKEY "*", &keys, err)) != STORE_OK)
            return r;
        for (i = 0; i < keys->element[1]->elements && r == STORE_OK; i = j) {
            av[0] = SKEY;
            for (j = i, k = 1; j < keys->element[1]->elements && k < 16; j++)
                av[k++] = keys->element[1]->element[j]->str + strlen(SKEY);
            r = rd_eval(h, RD_GET, 0, (int)k, av, NULL, &rep, err);
            if (r == STORE_OK)
                r = keep_live(h, rep, now, f, err);
            freeReplyObject(rep);
            rep = NULL;
        }
        freeReplyObject(keys);
        keys = NULL;
    } while (r == STORE_OK && strcmp(cursor, "0") != 0);
    return r;
}

static enum store_rc
rd_list(struct store *base, const char *user, int64_t now,
        int (*fn)(const struct store_session *s, void *ctx), void *ctx,
        pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    struct found f = { NULL, 0, 0 };
    char uk[RD_KEY_MAX];
    const char *av[2] = { uk, SKEY };
    redisReply *rep = NULL;
    enum store_rc r;
    size_t i;

    pthread_mutex_lock(&h->lock);
    if (user != NULL) {
        (void)snprintf(uk, sizeof(uk), UKEY "%.*s", STORE_NAME_MAX, user);
        r = rd_eval(h, RD_GET, 1, 2, av, NULL, &rep, err);
        if (r == STORE_OK)
            r = keep_live(h, rep, now, &f, err);
        freeReplyObject(rep);
    } else {
        r = gather_all(h, now, &f, err);
    }
    if (r == STORE_OK) {
        if (f.n > 1)    /* qsort of NULL (no session) is undefined */
            qsort(f.s, f.n, sizeof(*f.s), oldest_first);
        for (i = 0; i < f.n; i++)
            if (fn(&f.s[i], ctx) != 0)
                break;
    }
    pthread_mutex_unlock(&h->lock);
    free(f.s);
    return r;
}

static enum store_rc
rd_expire(struct store *base, int64_t now, size_t *n, pjwt_err *err)
{
    struct rd *h = (struct rd *)base;
    char cursor[24] = "0", t[24];
    const char *more[2] = { t, HKEY };
    redisReply *keys = NULL;
    enum store_rc r;
    size_t i, one, total = 0;
    unsigned rounds = 0;

    (void)snprintf(t, sizeof(t), "%lld", (long long)now);
    pthread_mutex_lock(&h->lock);
    do {
        if (++rounds > RD_SCAN_ROUNDS) {
            r = rd_bad_reply(h, "SCAN", err);
            break;
        }
        if ((r = scan(h, cursor, UKEY "*", &keys, err)) != STORE_OK)
            break;
        for (i = 0; i < keys->element[1]->elements && r == STORE_OK; i++) {
            r = count_call(h, RD_EXPIRE_USER, keys->element[1]->element[i]->str,
                           2, more, &one, err);
            total += one;
        }
        freeReplyObject(keys);
        keys = NULL;
    } while (r == STORE_OK && strcmp(cursor, "0") != 0);
    pthread_mutex_unlock(&h->lock);
    if (r == STORE_OK && n != NULL)
        *n = total;
    return r;
}

const struct store_ops rd_ops = {
    .close = rd_close,
    .create = rd_create,
    .rotate = rd_rotate,
    .find = rd_find,
    .revoke_hash = rd_revoke_hash,
    .revoke_id = rd_revoke_id,
    .revoke_user = rd_revoke_user,
    .list = rd_list,
    .expire = rd_expire,
    .revoke_add = rd_revoke_add,
    .revoke_remove = rd_revoke_remove,
    .revoke_list = rd_revoke_list,
    .trust_version = rd_trust_version,
    .trust_keys = rd_trust_keys,
    .rate_acquire = rd_rate_acquire,
    .rate_release = rd_rate_release,
    .keys_publish = rd_keys_publish,
    .keys_collect = rd_keys_collect,
};

enum store_rc
store_redis_open(const char *spec, const struct store_opts *opts,
                 struct store **out, pjwt_err *err)
{
    struct rd *h = NULL;

    if (rd_open(spec, opts, &h, err) != STORE_OK)
        return STORE_ERROR;
    *out = &h->base;
    return STORE_OK;
}
