/*
 * store.h: where refresh sessions live.  One small interface, so that the
 * embedded SQLite store (store_sqlite.c, the default) and a shared store for
 * replicas (Redis, store_redis.c) sit behind the same calls; jwt-issuerd and
 * `jwtctl sessions` both use it.
 *
 * A session is what one password grant started: the user, the client, the
 * limits, and the SHA-256 of its one live refresh token.  The store never
 * sees a refresh token, only hashes, so a copy of the store lets nobody
 * refresh.  Every refresh rotates: the presented hash must be the live
 * one, and is replaced by the next one in the same atomic step (a
 * compare-and-set); a hash that was live once and has been rotated away is
 * remembered until its session ends, so presenting it again is recognised
 * as reuse (RFC 9700 4.14.2) and ends the whole session.
 *
 * Every call returns one of enum store_rc; STORE_ERROR comes with a message
 * in err (never a token or a hash), and callers answer 503, never a token.
 * A store handle may be used by several threads at once.
 */
#ifndef ISSUER_SESSIONS_STORE_H
#define ISSUER_SESSIONS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bundle.h"
#include "err.h"

#define STORE_HASH_LEN 32      /* SHA-256 of a refresh token */
#define STORE_ID_LEN 22        /* public session id: 128 random bits, base64url */
#define STORE_NAME_MAX 256     /* user, client id, rhost, reason */

enum store_rc {
    STORE_OK = 0,
    STORE_NOT_FOUND,     /* no session has this hash, live or past */
    STORE_REUSED,        /* a rotated-away hash: the session is now ended */
    STORE_ENDED,         /* the session expired (absolute or idle) or was revoked */
    STORE_ERROR,         /* the store failed: see err */
};

struct store_session {
    char id[STORE_ID_LEN + 1];
    char user[STORE_NAME_MAX];
    char client_id[STORE_NAME_MAX];   /* "" when the grant named none */
    char rhost[STORE_NAME_MAX];       /* where the login came from */
    int64_t created;                  /* epoch seconds */
    int64_t last_used;                /* last login or refresh */
    int64_t expires;                  /* absolute end: created + session_lifetime */
    int64_t idle;                     /* seconds without a refresh that end it;
                                         0 or less: no idle limit */
    uint32_t refreshes;               /* how many rotations so far */
};

/*
 * A revocation the trust bundle carries to every host (bundle.h, the
 * revoke.h file): the token whose jti is value, or every token for the
 * user value (issued before `before`, when not 0).  (kind, value) names an
 * entry: there is at most one of each.
 */
enum store_revoke_kind { STORE_REVOKE_JTI = 1, STORE_REVOKE_SUB };

struct store_revocation {
    enum store_revoke_kind kind;
    char value[PJWT_BUNDLE_MAX_NAME + 1];
    int64_t before;                   /* epoch seconds; 0: none (jti: 0) */
    int64_t added;                    /* when it was added or last changed */
};

struct store;

/* How to reach a store over the network (Redis): NULL, or a zero field,
   takes the default. */
/* The SQLite file in a state directory (the daemon's state_dir, jwtctl's
   --state-dir): sqlite:DIR/STORE_SQLITE_FILE. */
#define STORE_SQLITE_FILE "sessions.db"

struct store_opts {
    const char *password_file;  /* Redis AUTH: the file's content, read once
                                   at open (trust rule, mode 0600); NULL:
                                   no AUTH */
    unsigned timeout_ms;        /* connect and each command; 0: 2000 */
    int defer_connect;          /* a server that cannot be reached at open
                                   is not an error: the handle is made,
                                   err says why (err->msg set, STORE_OK),
                                   and every call tries again (with the
                                   backoff).  One that answers and refuses
                                   (AUTH, SELECT) still fails the open. */
};

/*
 * Open (and on first use create) the store named by spec: "sqlite:PATH",
 * "redis://HOST[:PORT][/DB]" or "redis+unix:///PATH[?db=N]".
 * SQLite: owner is the uid that must own the file (the daemon's user after
 * the privilege drop; jwtctl passes the file's expected owner): a file with
 * another owner, group/other permission bits, a symbolic link, or content
 * that is not this store's is STORE_ERROR with a message naming the file.
 * Creates a missing file 0600; never creates a missing directory.
 * Redis: connects (and authenticates) once, so a wrong address or password
 * fails here; a spec that cannot be parsed is STORE_ERROR with
 * PJWT_ERR_CONF.  opts (may be NULL) is ignored by SQLite.
 */
enum store_rc store_open(const char *spec, uid_t owner,
                         const struct store_opts *opts, struct store **out,
                         pjwt_err *err);
void store_close(struct store *s);

/* A new session with the hash of its first refresh token; s->id is filled
   by the caller (random). */
enum store_rc store_create(struct store *st, const struct store_session *s,
                           const uint8_t hash[STORE_HASH_LEN], pjwt_err *err);

/*
 * Look hash up without changing anything: STORE_OK when it is the live hash
 * of a session that has not ended at now, STORE_REUSED when it was live
 * once (the caller ends the session: store_revoke_hash), STORE_ENDED when
 * its session ended, else STORE_NOT_FOUND; *out filled when found.  The
 * daemon checks the account between this and store_rotate, so a PAM
 * failure or timeout never burns a refresh token the client still holds.
 */
enum store_rc store_find(struct store *st, const uint8_t hash[STORE_HASH_LEN],
                         int64_t now, struct store_session *out, pjwt_err *err);

/*
 * The refresh step, atomically: when old is the live hash of a session
 * that has not ended at now, make next its live hash, remember old as
 * used, set last_used = now, count the refresh, fill *out: STORE_OK.  When
 * old was live once: end the session, STORE_REUSED (*out filled, for the
 * log).  When the session ended (expires or last_used + idle passed, or
 * revoked): STORE_ENDED (*out filled).  Otherwise STORE_NOT_FOUND.
 */
enum store_rc store_rotate(struct store *st, const uint8_t old[STORE_HASH_LEN],
                           const uint8_t next[STORE_HASH_LEN], int64_t now,
                           struct store_session *out, pjwt_err *err);

/* End sessions: the one whose live or past hash is hash (RFC 7009 /revoke;
   STORE_NOT_FOUND when none; an ended one keeps its first end), the live
   one with this id, or all of a user's live ones.  *n (may be NULL) is
   how many ended.  Durable once they return: a power cut never brings an
   ended session back.  Their end is stamped with the wall clock. */
enum store_rc store_revoke_hash(struct store *st, const uint8_t hash[STORE_HASH_LEN],
                                struct store_session *out, pjwt_err *err);
enum store_rc store_revoke_id(struct store *st, const char *id, pjwt_err *err);
enum store_rc store_revoke_user(struct store *st, const char *user, size_t *n,
                                pjwt_err *err);

/* Call fn for each live session at now (of user, or all when user is NULL),
   oldest first; fn returning non-zero stops the walk.  fn runs with the
   handle locked: it must not call the store. */
enum store_rc store_list(struct store *st, const char *user, int64_t now,
                         int (*fn)(const struct store_session *s, void *ctx),
                         void *ctx, pjwt_err *err);

/* Forget sessions that ended before now, with their used hashes. */
enum store_rc store_expire(struct store *st, int64_t now, size_t *n,
                           pjwt_err *err);

/*
 * The trust version: the "version" of the trust bundle (bundle.h), which
 * grows with every change of the revocations or of the published keys.
 * A new store starts at its creation time (epoch seconds), and every
 * change sets it to max(version + 1, now): a store lost and made afresh
 * still starts above every version hosts may have installed (they refuse
 * a lower one), as long as it saw fewer changes than seconds went by.
 * Changes are durable (synchronous = FULL) once the call returns.
 */

/*
 * Add a revocation (r->added is ignored: stamped with the wall clock).
 * value must pass pjwt_bundle_name_ok, before must be >= 0, and 0 for a
 * jti.  When an entry of this kind and value exists with the same before,
 * nothing changes (*changed = 0, the version stays); with another before
 * it is replaced (a new cut-off for that user).  Otherwise added.  *version
 * (may be NULL) is the version after the call.  STORE_ERROR with a message
 * for a bad entry (PJWT_ERR_ARG), or once PJWT_BUNDLE_MAX_REVOKED entries
 * exist.
 */
enum store_rc store_revoke_add(struct store *st,
                               const struct store_revocation *r,
                               int *changed, int64_t *version, pjwt_err *err);

/* Remove the entry of kind and value: STORE_NOT_FOUND (nothing changes)
   when there is none.  *version as for store_revoke_add. */
enum store_rc store_revoke_remove(struct store *st,
                                  enum store_revoke_kind kind,
                                  const char *value, int64_t *version,
                                  pjwt_err *err);

/* Call fn for each revocation, oldest first, and set *version (may be
   NULL) to the version they make up: both read in one transaction, so a
   bundle never names a version with another list.  fn returning non-zero
   stops the walk; fn runs with the handle locked: it must not call the
   store. */
enum store_rc store_revoke_list(struct store *st, int64_t *version,
                                int (*fn)(const struct store_revocation *r,
                                          void *ctx),
                                void *ctx, pjwt_err *err);

/* The current trust version. */
enum store_rc store_trust_version(struct store *st, int64_t *version,
                                  pjwt_err *err);

/*
 * hash is the SHA-256 of the key set the issuer publishes: when it differs
 * from the one stored, store it and bump the version, in one transaction
 * (the first hash a store sees is stored without a bump).  *version (may
 * be NULL) is the version after the call.
 */
enum store_rc store_trust_keys(struct store *st,
                               const uint8_t hash[STORE_HASH_LEN],
                               int64_t *version, pjwt_err *err);

/* ---- shared by replicas (issue 14) -------------------------------------
 * A backend that several jwt-issuerd share (Redis) also keeps the rate
 * limits and the registry of every replica's public keys; one that only
 * this process uses (SQLite) does not: store_shared says which, and for an
 * unshared store the daemon keeps both in its own memory, as before.
 */

/* 1 when replicas share this store (its rate limits and key registry are
   the ones below), 0 for a store of this process alone. */
int store_shared(const struct store *st);

/* One leaky bucket: key (printable ASCII, no blanks, at most
   STORE_KEY_MAX bytes), limit N a minute (N > 0): the count leaks at
   N/60 per second and a hit is refused while it is above N - 1, exactly
   as ratelimit.h's local buckets. */
#define STORE_KEY_MAX 300
struct store_bucket {
    const char *key;
    double limit;
};

/*
 * Count one hit in each of the n buckets (n <= 4) when every one of them
 * is below its limit, all or nothing, atomically across every replica:
 * STORE_OK with *retry_after = 0; STORE_OK with *retry_after = whole
 * seconds until a hit may pass when one is full (nothing counted);
 * STORE_ERROR when the store cannot answer (the caller fails closed: 503,
 * never an unthrottled attempt).  The store's own clock counts, not the
 * replica's.  store_rate_release takes one hit back from each (an attempt
 * that did not fail); a bucket never goes below 0.
 */
enum store_rc store_rate_acquire(struct store *st, const struct store_bucket *b,
                                 size_t n, unsigned *retry_after,
                                 pjwt_err *err);
enum store_rc store_rate_release(struct store *st, const struct store_bucket *b,
                                 size_t n, pjwt_err *err);

/* A public key a replica publishes: its kid, the public JWK as JSON text
   (with "kid" and "pamjwt_state"; at most STORE_JWK_MAX bytes), and the
   time after which it is no longer published unless published again. */
#define STORE_JWK_MAX 4096
struct store_pubkey {
    char kid[PJWT_BUNDLE_MAX_NAME + 1];
    char jwk[STORE_JWK_MAX + 1];
    int64_t until;
};

/*
 * The key registry.  store_keys_publish records (or renews) each of the n
 * keys; a replica calls it at every state load and then as a heartbeat,
 * with until = now + the key's remaining publication window (a retiring
 * key: until it is deleted; next and current keys: a few heartbeats, so a
 * replica that stopped drops out once its keys' retiring window has
 * passed).  store_keys_collect calls fn for each key whose until is after
 * now (removing the others), kid order; fn returning non-zero stops.  On
 * an unshared store both are STORE_OK and collect finds nothing.
 */
enum store_rc store_keys_publish(struct store *st, const struct store_pubkey *k,
                                 size_t n, pjwt_err *err);
enum store_rc store_keys_collect(struct store *st, int64_t now,
                                 int (*fn)(const struct store_pubkey *k,
                                           void *ctx),
                                 void *ctx, pjwt_err *err);

#endif
