/*
 * store_impl.h: what a store backend provides to store.c, the dispatcher
 * behind store.h.  Each backend (store_sqlite.c, store_redis.c) embeds
 * struct store as its first member and fills ops; store.c only reads the
 * spec's scheme and forwards every call, so nothing backend-specific
 * leaks into the callers or into another backend.
 */
#ifndef ISSUER_SESSIONS_STORE_IMPL_H
#define ISSUER_SESSIONS_STORE_IMPL_H

#include "store.h"

struct store_ops {
    void (*close)(struct store *st);
    enum store_rc (*create)(struct store *st, const struct store_session *s,
                            const uint8_t hash[STORE_HASH_LEN], pjwt_err *err);
    enum store_rc (*rotate)(struct store *st, const uint8_t old[STORE_HASH_LEN],
                            const uint8_t next[STORE_HASH_LEN], int64_t now,
                            struct store_session *out, pjwt_err *err);
    enum store_rc (*find)(struct store *st, const uint8_t hash[STORE_HASH_LEN],
                          int64_t now, struct store_session *out,
                          pjwt_err *err);
    enum store_rc (*revoke_hash)(struct store *st,
                                 const uint8_t hash[STORE_HASH_LEN],
                                 struct store_session *out, pjwt_err *err);
    enum store_rc (*revoke_id)(struct store *st, const char *id,
                               pjwt_err *err);
    enum store_rc (*revoke_user)(struct store *st, const char *user,
                                 size_t *n, pjwt_err *err);
    enum store_rc (*list)(struct store *st, const char *user, int64_t now,
                          int (*fn)(const struct store_session *s, void *ctx),
                          void *ctx, pjwt_err *err);
    enum store_rc (*expire)(struct store *st, int64_t now, size_t *n,
                            pjwt_err *err);
    /* The trust bundle's revocations and version (store.h); arguments
       checked by store.c. */
    enum store_rc (*revoke_add)(struct store *st,
                                const struct store_revocation *r,
                                int *changed, int64_t *version,
                                pjwt_err *err);
    enum store_rc (*revoke_remove)(struct store *st,
                                   enum store_revoke_kind kind,
                                   const char *value, int64_t *version,
                                   pjwt_err *err);
    enum store_rc (*revoke_list)(struct store *st, int64_t *version,
                                 int (*fn)(const struct store_revocation *r,
                                           void *ctx),
                                 void *ctx, pjwt_err *err);
    enum store_rc (*trust_version)(struct store *st, int64_t *version,
                                   pjwt_err *err);
    enum store_rc (*trust_keys)(struct store *st,
                                const uint8_t hash[STORE_HASH_LEN],
                                int64_t *version, pjwt_err *err);
    /* Shared backends only (store.h, "shared by replicas"); NULL in a
       backend of one process, for which store.c answers itself. */
    enum store_rc (*rate_acquire)(struct store *st,
                                  const struct store_bucket *b, size_t n,
                                  unsigned *retry_after, pjwt_err *err);
    enum store_rc (*rate_release)(struct store *st,
                                  const struct store_bucket *b, size_t n,
                                  pjwt_err *err);
    enum store_rc (*keys_publish)(struct store *st,
                                  const struct store_pubkey *k, size_t n,
                                  pjwt_err *err);
    enum store_rc (*keys_collect)(struct store *st, int64_t now,
                                  int (*fn)(const struct store_pubkey *k,
                                            void *ctx),
                                  void *ctx, pjwt_err *err);
};

struct store {
    const struct store_ops *ops;
};

/* The Redis backend: spec is the whole "redis://..." or
   "redis+unix://..." spec; opts (store.h, may be NULL) its password file
   and timeouts. */
enum store_rc store_redis_open(const char *spec,
                               const struct store_opts *opts,
                               struct store **out, pjwt_err *err);

/* The SQLite backend: path is what followed "sqlite:" in the spec. */
enum store_rc store_sqlite_open(const char *path, uid_t owner,
                                struct store **out, pjwt_err *err);

#endif
