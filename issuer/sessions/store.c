/*
 * store.c: the dispatcher of store.h: the spec's scheme picks a backend
 * (store_impl.h), every other call is forwarded.  Arguments every backend
 * would check alike (NULL handles, hashes, ids) are checked here once.
 */
#include <string.h>

#include "store_impl.h"

enum store_rc
store_open(const char *spec, uid_t owner, const struct store_opts *opts,
           struct store **out, pjwt_err *err)
{
    static const char sqlite[] = "sqlite:";

    if (out == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_open: no handle to fill");
        return STORE_ERROR;
    }
    *out = NULL;
    if (spec == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "no session store named");
        return STORE_ERROR;
    }
    if (strncmp(spec, sqlite, sizeof(sqlite) - 1) == 0)
        return store_sqlite_open(spec + sizeof(sqlite) - 1, owner, out, err);
    if (strncmp(spec, "redis://", 8) == 0
        || strncmp(spec, "redis+unix://", 13) == 0)
        return store_redis_open(spec, opts, out, err);
    /* The spec is configuration, not a secret: name it so a typo shows. */
    PJWT_FAIL(err, PJWT_ERR_CONF, "unknown store '%.64s' (want sqlite:PATH, "
              "redis://HOST:PORT/DB or redis+unix:///PATH)", spec);
    return STORE_ERROR;
}

void
store_close(struct store *st)
{
    if (st != NULL)
        st->ops->close(st);
}

/* Times are epoch seconds: a negative now is a caller's bug, and refusing
   it keeps every backend's "now - last_used" free of overflow. */
static int
bad_now(int64_t now, pjwt_err *err)
{
    if (now >= 0)
        return 0;
    PJWT_FAIL(err, PJWT_ERR_ARG, "store: negative time %lld", (long long)now);
    return 1;
}

/* The common guard of every call below. */
static int
bad_handle(const struct store *st, pjwt_err *err)
{
    if (st != NULL)
        return 0;
    PJWT_FAIL(err, PJWT_ERR_ARG, "no session store open");
    return 1;
}

/* An id as store.h makes them: base64url, at most STORE_ID_LEN. */
static int
id_ok(const char *id)
{
    size_t n = strnlen(id, STORE_ID_LEN + 1);

    return n > 0 && n <= STORE_ID_LEN
           && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789-_") == n;
}

enum store_rc
store_create(struct store *st, const struct store_session *s,
             const uint8_t hash[STORE_HASH_LEN], pjwt_err *err)
{
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (s == NULL || hash == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_create: no session or hash");
        return STORE_ERROR;
    }
    if (!id_ok(s->id)) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_create: session id is not "
                  "1-%d base64url characters", STORE_ID_LEN);
        return STORE_ERROR;
    }
    if (s->user[0] == '\0' || strnlen(s->user, STORE_NAME_MAX) == STORE_NAME_MAX
        || strnlen(s->client_id, STORE_NAME_MAX) == STORE_NAME_MAX
        || strnlen(s->rhost, STORE_NAME_MAX) == STORE_NAME_MAX) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_create: empty user, or a name "
                  "not terminated within %d bytes", STORE_NAME_MAX);
        return STORE_ERROR;
    }
    if (s->created < 0 || s->last_used < 0 || s->expires < 0 || s->idle < 0) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_create: negative time");
        return STORE_ERROR;
    }
    return st->ops->create(st, s, hash, err);
}

enum store_rc
store_rotate(struct store *st, const uint8_t old[STORE_HASH_LEN],
             const uint8_t next[STORE_HASH_LEN], int64_t now,
             struct store_session *out, pjwt_err *err)
{
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (old == NULL || next == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_rotate: no hash");
        return STORE_ERROR;
    }
    /* Rotating to the same hash would leave it live and used at once:
       the next refresh would look like reuse. */
    if (memcmp(old, next, STORE_HASH_LEN) == 0) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_rotate: next hash is the old one");
        return STORE_ERROR;
    }
    if (bad_now(now, err))
        return STORE_ERROR;
    return st->ops->rotate(st, old, next, now, out, err);
}

enum store_rc
store_find(struct store *st, const uint8_t hash[STORE_HASH_LEN], int64_t now,
           struct store_session *out, pjwt_err *err)
{
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (hash == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_find: no hash");
        return STORE_ERROR;
    }
    if (bad_now(now, err))
        return STORE_ERROR;
    return st->ops->find(st, hash, now, out, err);
}

enum store_rc
store_revoke_hash(struct store *st, const uint8_t hash[STORE_HASH_LEN],
                  struct store_session *out, pjwt_err *err)
{
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (hash == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_revoke_hash: no hash");
        return STORE_ERROR;
    }
    return st->ops->revoke_hash(st, hash, out, err);
}

enum store_rc
store_revoke_id(struct store *st, const char *id, pjwt_err *err)
{
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (id == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_revoke_id: no id");
        return STORE_ERROR;
    }
    return st->ops->revoke_id(st, id, err);
}

enum store_rc
store_revoke_user(struct store *st, const char *user, size_t *n,
                  pjwt_err *err)
{
    if (n != NULL)
        *n = 0;
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (user == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_revoke_user: no user");
        return STORE_ERROR;
    }
    return st->ops->revoke_user(st, user, n, err);
}

enum store_rc
store_list(struct store *st, const char *user, int64_t now,
           int (*fn)(const struct store_session *s, void *ctx), void *ctx,
           pjwt_err *err)
{
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (fn == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_list: no callback");
        return STORE_ERROR;
    }
    if (bad_now(now, err))
        return STORE_ERROR;
    return st->ops->list(st, user, now, fn, ctx, err);
}

enum store_rc
store_expire(struct store *st, int64_t now, size_t *n, pjwt_err *err)
{
    if (n != NULL)
        *n = 0;
    if (bad_handle(st, err) || bad_now(now, err))
        return STORE_ERROR;
    return st->ops->expire(st, now, n, err);
}

/* The kinds store.h names. */
static int
bad_kind(enum store_revoke_kind kind, pjwt_err *err)
{
    if (kind == STORE_REVOKE_JTI || kind == STORE_REVOKE_SUB)
        return 0;
    PJWT_FAIL(err, PJWT_ERR_ARG, "store: revocation kind %d is neither jti "
              "nor sub", (int)kind);
    return 1;
}

/* A value every host could read back (bundle.h): checked once, here,
   for every backend. */
static int
bad_value(const char *value, pjwt_err *err)
{
    if (value != NULL
        && pjwt_bundle_name_ok(value, strnlen(value, PJWT_BUNDLE_MAX_NAME + 1),
                               PJWT_BUNDLE_MAX_NAME))
        return 0;
    PJWT_FAIL(err, PJWT_ERR_ARG, "revocation value must be 1-%d printable "
              "ASCII characters without blanks, not starting with '#'",
              PJWT_BUNDLE_MAX_NAME);
    return 1;
}

enum store_rc
store_revoke_add(struct store *st, const struct store_revocation *r,
                 int *changed, int64_t *version, pjwt_err *err)
{
    if (changed != NULL)
        *changed = 0;
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (r == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_revoke_add: no entry");
        return STORE_ERROR;
    }
    if (bad_kind(r->kind, err)
        || bad_value(memchr(r->value, '\0', sizeof(r->value)) != NULL
                         ? r->value : NULL, err))
        return STORE_ERROR;
    if (r->before < 0 || (r->kind == STORE_REVOKE_JTI && r->before != 0)) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "revocation: 'before' must be a "
                  "non-negative time, and only for a sub");
        return STORE_ERROR;
    }
    return st->ops->revoke_add(st, r, changed, version, err);
}

enum store_rc
store_revoke_remove(struct store *st, enum store_revoke_kind kind,
                    const char *value, int64_t *version, pjwt_err *err)
{
    if (bad_handle(st, err) || bad_kind(kind, err) || bad_value(value, err))
        return STORE_ERROR;
    return st->ops->revoke_remove(st, kind, value, version, err);
}

enum store_rc
store_revoke_list(struct store *st, int64_t *version,
                  int (*fn)(const struct store_revocation *r, void *ctx),
                  void *ctx, pjwt_err *err)
{
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (fn == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_revoke_list: no callback");
        return STORE_ERROR;
    }
    return st->ops->revoke_list(st, version, fn, ctx, err);
}

enum store_rc
store_trust_version(struct store *st, int64_t *version, pjwt_err *err)
{
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (version == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_trust_version: nowhere to put it");
        return STORE_ERROR;
    }
    return st->ops->trust_version(st, version, err);
}

enum store_rc
store_trust_keys(struct store *st, const uint8_t hash[STORE_HASH_LEN],
                 int64_t *version, pjwt_err *err)
{
    if (bad_handle(st, err))
        return STORE_ERROR;
    if (hash == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_trust_keys: no hash");
        return STORE_ERROR;
    }
    return st->ops->trust_keys(st, hash, version, err);
}

/* ---- shared by replicas ---------------------------------------------- */

int
store_shared(const struct store *st)
{
    return st != NULL && st->ops->rate_acquire != NULL;
}

/* Buckets every backend would refuse alike: checked once, here. */
static int
bad_buckets(const struct store_bucket *b, size_t n, pjwt_err *err)
{
    size_t i, len;

    if (n == 0 || n > 4 || b == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store rate limit: %zu buckets "
                  "(want 1-4)", b == NULL ? 0 : n);
        return 1;
    }
    for (i = 0; i < n; i++) {
        len = b[i].key != NULL ? strnlen(b[i].key, STORE_KEY_MAX + 1) : 0;
        if (len == 0 || len > STORE_KEY_MAX
            || !pjwt_bundle_name_ok(b[i].key, len, STORE_KEY_MAX)
            || !(b[i].limit > 0)) {
            PJWT_FAIL(err, PJWT_ERR_ARG, "store rate limit: a bucket key "
                      "must be 1-%d printable ASCII characters without "
                      "blanks, its limit above 0", STORE_KEY_MAX);
            return 1;
        }
    }
    return 0;
}

enum store_rc
store_rate_acquire(struct store *st, const struct store_bucket *b, size_t n,
                   unsigned *retry_after, pjwt_err *err)
{
    if (retry_after != NULL)
        *retry_after = 0;
    if (bad_handle(st, err) || bad_buckets(b, n, err))
        return STORE_ERROR;
    if (retry_after == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_rate_acquire: no retry_after");
        return STORE_ERROR;
    }
    /* Callers keep an unshared store's limits in memory: reaching here
       is their bug, and failing closed is the safe answer to it. */
    if (st->ops->rate_acquire == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_rate_acquire: store not shared");
        return STORE_ERROR;
    }
    return st->ops->rate_acquire(st, b, n, retry_after, err);
}

enum store_rc
store_rate_release(struct store *st, const struct store_bucket *b, size_t n,
                   pjwt_err *err)
{
    if (bad_handle(st, err) || bad_buckets(b, n, err))
        return STORE_ERROR;
    if (st->ops->rate_release == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_rate_release: store not shared");
        return STORE_ERROR;
    }
    return st->ops->rate_release(st, b, n, err);
}

enum store_rc
store_keys_publish(struct store *st, const struct store_pubkey *k, size_t n,
                   pjwt_err *err)
{
    size_t i, len;

    if (bad_handle(st, err))
        return STORE_ERROR;
    if (n > 0 && k == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_keys_publish: no keys");
        return STORE_ERROR;
    }
    for (i = 0; i < n; i++) {
        len = strnlen(k[i].kid, sizeof(k[i].kid));
        if (len == sizeof(k[i].kid)
            || !pjwt_bundle_name_ok(k[i].kid, len, PJWT_BUNDLE_MAX_NAME)
            || strnlen(k[i].jwk, sizeof(k[i].jwk)) == sizeof(k[i].jwk)
            || k[i].jwk[0] == '\0' || k[i].until < 0) {
            PJWT_FAIL(err, PJWT_ERR_ARG, "store_keys_publish: key %zu: a "
                      "kid of 1-%d printable characters, a JWK of at most "
                      "%d bytes and a time >= 0 are needed", i,
                      PJWT_BUNDLE_MAX_NAME, STORE_JWK_MAX);
            return STORE_ERROR;
        }
    }
    if (st->ops->keys_publish == NULL || n == 0)
        return STORE_OK;        /* unshared: nobody else to tell */
    return st->ops->keys_publish(st, k, n, err);
}

enum store_rc
store_keys_collect(struct store *st, int64_t now,
                   int (*fn)(const struct store_pubkey *k, void *ctx),
                   void *ctx, pjwt_err *err)
{
    if (bad_handle(st, err) || bad_now(now, err))
        return STORE_ERROR;
    if (fn == NULL) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "store_keys_collect: no callback");
        return STORE_ERROR;
    }
    if (st->ops->keys_collect == NULL)
        return STORE_OK;        /* unshared: only this process's keys */
    return st->ops->keys_collect(st, now, fn, ctx, err);
}
