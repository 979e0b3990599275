/*
 * store_redis.h: what the files of the Redis store share, and nothing
 * outside issuer/sessions/ sees: the handle, the one call path to the
 * server (store_redis_conn.c), the scripts (store_redis_lua.c) and the
 * reading of a session's hash.  store_redis.c has the design notes.
 */
#ifndef ISSUER_SESSIONS_STORE_REDIS_H
#define ISSUER_SESSIONS_STORE_REDIS_H

#include <pthread.h>
#include <hiredis/hiredis.h>

#include "store_impl.h"

#define RD_PREFIX "pamjwt:"
#define RD_KEY_MAX (sizeof(RD_PREFIX) + 8 + STORE_NAME_MAX + STORE_KEY_MAX)

struct rd {
    struct store base;          /* first: store.c sees only this */
    pthread_mutex_t lock;       /* one call at a time on the connection */
    int locked_init;
    redisContext *c;            /* NULL: dropped, reconnect at next call */
    char *host, *path;          /* TCP host, or the unix socket */
    int port, db;
    char *password;             /* AUTH; cleansed at close */
    unsigned timeout_ms;
    int64_t retry_at;           /* ms (monotonic): no connect before */
    int reached;                /* the last connect got a socket */
    unsigned backoff_ms;        /* 100 .. 5000 */
    char name[96];              /* "redis HOST:PORT" for messages */
    /* The reply being read: its element budget (store_redis_conn.c). */
    const redisReplyObjectFunctions *dflt;
    size_t elems_left;
    int too_big;
};

/* A Lua script, called by its SHA-1 (EVAL when the server lacks it). */
struct rd_script {
    const char *body;
    char sha[41];
};

enum rd_sc {
    RD_CREATE, RD_FIND, RD_ROTATE, RD_REVOKE_HASH, RD_REVOKE_ID,
    RD_REVOKE_USER, RD_GET, RD_EXPIRE_USER, RD_REV_ADD, RD_REV_REMOVE,
    RD_REV_LIST, RD_VERSION, RD_TRUST_KEYS, RD_RATE, RD_KEYS_COLLECT,
    RD_NSCRIPTS
};

/* The scripts, their SHA-1 filled once (store_redis_lua.c). */
const struct rd_script *rd_scripts(void);

/* Connect (store_redis_conn.c): spec parsed, password read, first
   connection made; drop and close. */
enum store_rc rd_open(const char *spec, const struct store_opts *opts,
                      struct rd **out, pjwt_err *err);
void rd_close(struct store *base);

/* One command, lock held: argv (lens may be NULL for C strings); a
   reply of any type but an error in *out (free with freeReplyObject).
   STORE_ERROR with a message for an error reply, an unreachable or
   misbehaving server (the connection is dropped then). */
enum store_rc rd_cmd(struct rd *h, int argc, const char **argv,
                     const size_t *lens, redisReply **out, pjwt_err *err);
/* EVALSHA of script sc with nkeys keys then args (argc of them). */
enum store_rc rd_eval(struct rd *h, enum rd_sc sc, int nkeys, int argc,
                      const char **argv, const size_t *lens,
                      redisReply **out, pjwt_err *err);
/* A reply of the wrong shape: drop the connection (it may be out of step)
   and evaluate to STORE_ERROR. */
enum store_rc rd_bad_reply(struct rd *h, const char *what, pjwt_err *err);

/* An integer field of a reply (integer, or a string of digits). */
int rd_int(const redisReply *r, long long *v);

/* The operations of the other files. */
extern const struct store_ops rd_ops;
enum store_rc rd_revoke_add(struct store *base, const struct store_revocation *r,
                            int *changed, int64_t *version, pjwt_err *err);
enum store_rc rd_revoke_remove(struct store *base, enum store_revoke_kind kind,
                               const char *value, int64_t *version,
                               pjwt_err *err);
enum store_rc rd_revoke_list(struct store *base, int64_t *version,
                             int (*fn)(const struct store_revocation *r,
                                       void *ctx),
                             void *ctx, pjwt_err *err);
enum store_rc rd_trust_version(struct store *base, int64_t *version,
                               pjwt_err *err);
enum store_rc rd_trust_keys(struct store *base,
                            const uint8_t hash[STORE_HASH_LEN],
                            int64_t *version, pjwt_err *err);
enum store_rc rd_rate_acquire(struct store *base, const struct store_bucket *b,
                              size_t n, unsigned *retry_after, pjwt_err *err);
enum store_rc rd_rate_release(struct store *base, const struct store_bucket *b,
                              size_t n, pjwt_err *err);
enum store_rc rd_keys_publish(struct store *base, const struct store_pubkey *k,
                              size_t n, pjwt_err *err);
enum store_rc rd_keys_collect(struct store *base, int64_t now,
                              int (*fn)(const struct store_pubkey *k, void *ctx),
                              void *ctx, pjwt_err *err);

#endif
