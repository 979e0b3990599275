/*
 * store_sqlite.c: the refresh-session store (store.h) in one SQLite file,
 * the default: "sqlite:/var/lib/jwt-issuerd/sessions.db".
 *
 * The file.  It decides who may refresh, so it is held to the rule of
 * every such file (common/fileio.h): the directory above it passes the
 * trust rule for the owner (never created here), and the file itself is a
 * regular file, not a symbolic link, owned by exactly the owner, with no
 * group or other permission at all (sessions name users and where they
 * log in from).  A missing file is created 0600 by the owner.  The content
 * is marked ours with PRAGMA application_id and user_version, so a file of
 * another program, a newer schema, or a damaged one is refused rather than
 * written into.
 *
 * Sharing.  jwt-issuerd and `jwtctl sessions` open the same file: WAL lets
 * a reader list while the daemon rotates, and a 5 s busy timeout makes a
 * writer wait for the other's transaction rather than fail.
 *
 * Durability, by what a power cut would cost.  Whatever ends a session
 * (a revocation, a reuse, an expiry marked) commits with synchronous =
 * FULL, fsynced before we report it: a lost one would bring a revoked
 * session back.  Creations and rotations commit with NORMAL (WAL: synced
 * at the next checkpoint or FULL commit, never torn): a power cut may
 * forget the last ones, and their clients then log in again, which is the
 * whole cost.  An fsync per refresh was the refresh's largest cost
 * (bench_refresh.sh), larger than the PAM account stack.
 *
 * Threads.  One connection per handle, opened NOMUTEX, and one pthread
 * mutex around every call: a transaction spans several statements, which
 * SQLite's own per-call mutex would let threads interleave.
 *
 * Rotation is a compare-and-set, so that a Redis backend can do the same
 * with one script: inside BEGIN IMMEDIATE (the write lock taken before the
 * read, so two processes cannot both read the old hash as live), the
 * session whose live_hash is old gets live_hash = next only "WHERE
 * live_hash = old AND ended = 0"; old moves to used_hashes.  A hash found
 * there instead is reuse, and ends its session.
 *
 * idle <= 0 means the session has no idle limit, only its absolute end.
 * Errors carry sqlite3_errmsg, which names tables and columns, never the
 * bound values: no hash reaches a message.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_sqlite.h"

/* The columns read_row reads, in its order. */
#define COLS "id, user, client_id, rhost, created, last_used, expires, " \
             "idle, refreshes, ended"

/* Live at ?now (bound as parameter 1 where this is used). */
#define LIVE_SQL "ended = 0 AND ?1 < expires AND (idle <= 0 OR ?1 - last_used < idle)"

static int
alive(const struct store_session *s, int64_t ended, int64_t now)
{
    return ended == 0 && now < s->expires
           && (s->idle <= 0 || now - s->last_used < s->idle);
}

static void
copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    (void)snprintf(dst, cap, "%s", t != NULL ? (const char *)t : "");
}

/* One row of COLS into *s (and its ended column into *ended). */
static void
read_row(sqlite3_stmt *st, struct store_session *s, int64_t *ended)
{
    sqlite3_int64 n;

    memset(s, 0, sizeof(*s));
    copy_text(s->id, sizeof(s->id), st, 0);
    copy_text(s->user, sizeof(s->user), st, 1);
    copy_text(s->client_id, sizeof(s->client_id), st, 2);
    copy_text(s->rhost, sizeof(s->rhost), st, 3);
    s->created = sqlite3_column_int64(st, 4);
    s->last_used = sqlite3_column_int64(st, 5);
    s->expires = sqlite3_column_int64(st, 6);
    s->idle = sqlite3_column_int64(st, 7);
    n = sqlite3_column_int64(st, 8);
    s->refreshes = n < 0 ? 0 : n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    if (ended != NULL)
        *ended = sqlite3_column_int64(st, 9);
}

/* The statement for sql, from the cache or prepared (and kept when there
   is room); the caller hands it back with sq_release(). */
enum store_rc
sq_prep(struct sq *q, const char *sql, sqlite3_stmt **st, pjwt_err *err)
{
    int i;

    for (i = 0; i < q->ncache; i++)
        if (q->cache[i].sql == sql || strcmp(q->cache[i].sql, sql) == 0) {
            *st = q->cache[i].st;
            return STORE_OK;
        }
    if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL)
        != SQLITE_OK)
        return DB_FAIL(q, err, "prepare");
    if (q->ncache < SQ_CACHE) {
        q->cache[q->ncache].sql = sql;
        q->cache[q->ncache++].st = *st;
    }
    return STORE_OK;
}

/* Done with a statement of sq_prep(): reset (which ends its read of the
   database) and unbound for the next use, or finalized if not kept. */
void
sq_release(struct sq *q, sqlite3_stmt *st)
{
    int i;

    if (st == NULL)
        return;
    for (i = 0; i < q->ncache; i++)
        if (q->cache[i].st == st) {
            (void)sqlite3_reset(st);
            (void)sqlite3_clear_bindings(st);
            return;
        }
    sqlite3_finalize(st);
}

/* A statement without parameters or rows (BEGIN, COMMIT), cached. */
enum store_rc
sq_run(struct sq *q, const char *sql, const char *what, pjwt_err *err)
{
    sqlite3_stmt *st = NULL;
    enum store_rc r;

    if ((r = sq_prep(q, sql, &st, err)) != STORE_OK)
        return r;
    r = sqlite3_step(st) == SQLITE_DONE ? STORE_OK : DB_FAIL(q, err, what);
    sq_release(q, st);
    return r;
}

enum store_rc
sq_exec(struct sq *q, const char *sql, const char *what, pjwt_err *err)
{
    if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return DB_FAIL(q, err, what);
    return STORE_OK;
}

/* Undo an open transaction after a failure; the first error is the one
   reported, so this one's is dropped. */
void
sq_rollback(struct sq *q)
{
    if (!sqlite3_get_autocommit(q->db))
        (void)sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The synchronous level of the next commits: FULL (durable) for what ends
   sessions, NORMAL otherwise (see "Durability").  Outside a transaction
   only: SQLite refuses to change it inside one. */
enum store_rc
sq_durable(struct sq *q, int on, pjwt_err *err)
{
    return sq_run(q, on ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
               "synchronous", err);
}

/* Back to NORMAL after a durable step whose result is r: a failure to
   switch back becomes the result, unless r is already an error (whose
   message is the one kept). */
enum store_rc
sq_durable_off(struct sq *q, enum store_rc r, pjwt_err *err)
{
    if (sq_durable(q, 0, r == STORE_ERROR ? NULL : err) != STORE_OK)
        return STORE_ERROR;
    return r;
}

/* Step a statement that returns no row. */
enum store_rc
sq_step_done(struct sq *q, sqlite3_stmt *st, const char *what, pjwt_err *err)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        return DB_FAIL(q, err, what);
    return STORE_OK;
}

/*
 * The session whose live hash (used == 0) or one of whose rotated-away
 * hashes (used == 1) is hash: STORE_OK with *s and *ended, STORE_NOT_FOUND,
 * or STORE_ERROR.
 */
static enum store_rc
find(struct sq *q, int used, const uint8_t hash[STORE_HASH_LEN],
     struct store_session *s, int64_t *ended, pjwt_err *err)
{
    static const char by_live[] =
        "SELECT " COLS " FROM sessions WHERE live_hash = ?1";
    static const char by_used[] =
        "SELECT " COLS " FROM used_hashes JOIN sessions"
        " ON sessions.id = used_hashes.session_id WHERE hash = ?1";
    sqlite3_stmt *st = NULL;
    enum store_rc r;
    int rc;

    if ((r = sq_prep(q, used ? by_used : by_live, &st, err)) != STORE_OK)
        return r;
    r = STORE_ERROR;
    if (sqlite3_bind_blob(st, 1, hash, STORE_HASH_LEN, SQLITE_STATIC)
        != SQLITE_OK) {
        r = DB_FAIL(q, err, "bind");
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_row(st, s, ended);
        r = STORE_OK;
    } else if (rc == SQLITE_DONE) {
        r = STORE_NOT_FOUND;
    } else {
        r = DB_FAIL(q, err, "look up hash");
    }
out:
    sq_release(q, st);
    return r;
}

/* The session hash is, or was, the live hash of: find() on the live hashes,
   then on the used ones (*used 1 then). */
static enum store_rc
find_any(struct sq *q, const uint8_t hash[STORE_HASH_LEN],
         struct store_session *s, int64_t *ended, int *used, pjwt_err *err)
{
    enum store_rc r = find(q, 0, hash, s, ended, err);

    *used = 0;
    if (r == STORE_NOT_FOUND
        && (r = find(q, 1, hash, s, ended, err)) == STORE_OK)
        *used = 1;
    return r;
}

/* Mark session id ended at when, unless it already ended (the first end
   is the one kept). */
static enum store_rc
end_session(struct sq *q, const char *id, int64_t when, pjwt_err *err)
{
    sqlite3_stmt *st = NULL;
    enum store_rc r;

    if ((r = sq_prep(q, "UPDATE sessions SET ended = ?2 WHERE id = ?1"
                     " AND ended = 0", &st, err)) != STORE_OK)
        return r;
    if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(st, 2, when) != SQLITE_OK)
        r = DB_FAIL(q, err, "bind");
    else
        r = sq_step_done(q, st, "end session", err);
    sq_release(q, st);
    return r;
}

static enum store_rc
sq_create(struct store *base, const struct store_session *s,
          const uint8_t hash[STORE_HASH_LEN], pjwt_err *err)
{
    static const char sql[] =
        "INSERT INTO sessions (id, user, client_id, rhost, created,"
        " last_used, expires, idle, refreshes, live_hash)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    struct sq *q = (struct sq *)base;
    sqlite3_stmt *st = NULL;
    enum store_rc r;

    pthread_mutex_lock(&q->lock);
    if ((r = sq_prep(q, sql, &st, err)) != STORE_OK)
        goto out;
    if (sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(st, 2, s->user, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(st, 3, s->client_id, -1, SQLITE_STATIC)
               != SQLITE_OK
        || sqlite3_bind_text(st, 4, s->rhost, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(st, 5, s->created) != SQLITE_OK
        || sqlite3_bind_int64(st, 6, s->last_used) != SQLITE_OK
        || sqlite3_bind_int64(st, 7, s->expires) != SQLITE_OK
        || sqlite3_bind_int64(st, 8, s->idle) != SQLITE_OK
        || sqlite3_bind_int64(st, 9, s->refreshes) != SQLITE_OK
        || sqlite3_bind_blob(st, 10, hash, STORE_HASH_LEN, SQLITE_STATIC)
               != SQLITE_OK) {
        r = DB_FAIL(q, err, "bind");
        goto out;
    }
    r = sq_step_done(q, st, "create session", err);
out:
    sq_release(q, st);
    pthread_mutex_unlock(&q->lock);
    return r;
}

/* The successful refresh: the compare-and-set, then old becomes used. */
static enum store_rc
advance(struct sq *q, const char *id, const uint8_t old[STORE_HASH_LEN],
        const uint8_t next[STORE_HASH_LEN], int64_t now, pjwt_err *err)
{
    sqlite3_stmt *cas = NULL, *ins = NULL;
    enum store_rc r;

    if ((r = sq_prep(q, "UPDATE sessions SET live_hash = ?3, last_used = ?4,"
                     " refreshes = refreshes + 1"
                     " WHERE id = ?1 AND live_hash = ?2 AND ended = 0",
                  &cas, err)) != STORE_OK
        || (r = sq_prep(q, "INSERT INTO used_hashes (hash, session_id)"
                        " VALUES (?1, ?2)", &ins, err)) != STORE_OK)
        goto out;
    if (sqlite3_bind_text(cas, 1, id, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_blob(cas, 2, old, STORE_HASH_LEN, SQLITE_STATIC)
               != SQLITE_OK
        || sqlite3_bind_blob(cas, 3, next, STORE_HASH_LEN, SQLITE_STATIC)
               != SQLITE_OK
        || sqlite3_bind_int64(cas, 4, now) != SQLITE_OK
        || sqlite3_bind_blob(ins, 1, old, STORE_HASH_LEN, SQLITE_STATIC)
               != SQLITE_OK
        || sqlite3_bind_text(ins, 2, id, -1, SQLITE_STATIC) != SQLITE_OK) {
        r = DB_FAIL(q, err, "bind");
        goto out;
    }
    if ((r = sq_step_done(q, cas, "rotate", err)) != STORE_OK)
        goto out;
    /* Under BEGIN IMMEDIATE nobody can have moved the hash since find():
       a miss here is a broken invariant, not a lost race. */
    if (sqlite3_changes(q->db) != 1) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "%s: rotate: the live hash "
                  "changed inside its transaction", q->path);
        r = STORE_ERROR;
        goto out;
    }
    r = sq_step_done(q, ins, "remember used hash", err);
out:
    sq_release(q, cas);
    sq_release(q, ins);
    return r;
}

static enum store_rc
sq_rotate(struct store *base, const uint8_t old[STORE_HASH_LEN],
          const uint8_t next[STORE_HASH_LEN], int64_t now,
          struct store_session *out, pjwt_err *err)
{
    struct sq *q = (struct sq *)base;
    struct store_session s;
    int64_t ended = 0;
    enum store_rc r, f;

    int full = 0;

    pthread_mutex_lock(&q->lock);
again:
    if ((r = sq_run(q, "BEGIN IMMEDIATE", "begin", err)) != STORE_OK)
        goto out;
    f = find(q, 0, old, &s, &ended, err);
    /* Anything but a plain rotation ends a session: redo it durably (the
       level cannot change inside the transaction; the retry re-reads). */
    if (!full && f != STORE_ERROR && !(f == STORE_OK && alive(&s, ended, now))) {
        sq_rollback(q);
        if ((r = sq_durable(q, 1, err)) != STORE_OK)
            goto out;
        full = 1;
        goto again;
    }
    if (f == STORE_OK && alive(&s, ended, now)) {
        if ((r = advance(q, s.id, old, next, now, err)) != STORE_OK)
            goto out;
        s.last_used = now;
        if (s.refreshes < UINT32_MAX)
            s.refreshes++;
        r = STORE_OK;
    } else if (f == STORE_OK) {
        /* Expired but not yet marked: mark it, so list and revoke agree. */
        if ((r = end_session(q, s.id, now, err)) != STORE_OK)
            goto out;
        r = STORE_ENDED;
    } else if (f == STORE_NOT_FOUND) {
        f = find(q, 1, old, &s, &ended, err);
        if (f == STORE_OK) {
            /* RFC 9700 4.14.2: a rotated-away token came back, so one of
               its two holders is not the client: end the session. */
            if ((r = end_session(q, s.id, now, err)) != STORE_OK)
                goto out;
            r = STORE_REUSED;
        } else {
            r = f;
        }
    } else {
        r = f;
    }
    if (r == STORE_ERROR)
        goto out;
    if (sq_run(q, "COMMIT", "commit", err) != STORE_OK) {
        r = STORE_ERROR;
        goto out;
    }
    if (out != NULL && r != STORE_NOT_FOUND)
        *out = s;
out:
    if (r == STORE_ERROR)
        sq_rollback(q);
    if (full)
        r = sq_durable_off(q, r, err);
    pthread_mutex_unlock(&q->lock);
    return r;
}

/* store_find: a read, one statement at a time under the lock (the two
   lookups see one state: nothing else writes while it is held). */
static enum store_rc
sq_find(struct store *base, const uint8_t hash[STORE_HASH_LEN], int64_t now,
        struct store_session *out, pjwt_err *err)
{
    struct sq *q = (struct sq *)base;
    struct store_session s;
    int64_t ended = 0;
    enum store_rc r;
    int used;

    pthread_mutex_lock(&q->lock);
    r = find_any(q, hash, &s, &ended, &used, err);
    if (r == STORE_OK && used)
        r = STORE_REUSED;
    else if (r == STORE_OK && !alive(&s, ended, now))
        r = STORE_ENDED;
    pthread_mutex_unlock(&q->lock);
    if (out != NULL && r != STORE_NOT_FOUND && r != STORE_ERROR)
        *out = s;
    return r;
}

/* The clock for revocations, whose calls take no now: only the ended
   stamp uses it, which decides when store_expire forgets the session. */
int64_t
sq_wall_now(void)
{
    time_t t = time(NULL);

    return t < 0 ? 0 : (int64_t)t;
}

enum store_rc
sq_durable_tx(struct sq *q, enum store_rc (*body)(struct sq *, void *,
                                                 pjwt_err *),
              void *ctx, pjwt_err *err)
{
    enum store_rc r, b;

    pthread_mutex_lock(&q->lock);
    if ((r = sq_durable(q, 1, err)) != STORE_OK)
        goto out;
    if ((r = sq_run(q, "BEGIN IMMEDIATE", "begin", err)) != STORE_OK)
        goto out;
    if ((r = b = body(q, ctx, err)) == STORE_ERROR
        || (r = sq_run(q, "COMMIT", "commit", err)) != STORE_OK)
        goto out;
    r = b;
out:
    if (r == STORE_ERROR)
        sq_rollback(q);
    r = sq_durable_off(q, r, err);
    pthread_mutex_unlock(&q->lock);
    return r;
}

struct hash_ctx {
    const uint8_t *hash;
    struct store_session s;
};

static enum store_rc
revoke_hash_body(struct sq *q, void *ctx, pjwt_err *err)
{
    struct hash_ctx *h = ctx;
    int64_t ended = 0;
    int used;
    enum store_rc r = find_any(q, h->hash, &h->s, &ended, &used, err);

    if (r == STORE_OK)
        r = end_session(q, h->s.id, sq_wall_now(), err);
    return r;
}

static enum store_rc
sq_revoke_hash(struct store *base, const uint8_t hash[STORE_HASH_LEN],
               struct store_session *out, pjwt_err *err)
{
    struct hash_ctx h;
    enum store_rc r;

    memset(&h, 0, sizeof(h));
    h.hash = hash;
    r = sq_durable_tx((struct sq *)base, revoke_hash_body, &h, err);
    if (out != NULL && r == STORE_OK)
        *out = h.s;
    return r;
}

/* End the sessions matching "WHERE <where> AND live at now", where ?2 is
   text; *n how many.  One statement, so it needs no transaction; durable. */
static enum store_rc
end_where(struct sq *q, const char *sql, const char *text, size_t *n,
          pjwt_err *err)
{
    sqlite3_stmt *st = NULL;
    enum store_rc r;

    if ((r = sq_durable(q, 1, err)) != STORE_OK)
        return r;
    if ((r = sq_prep(q, sql, &st, err)) != STORE_OK)
        goto out;
    if (sqlite3_bind_int64(st, 1, sq_wall_now()) != SQLITE_OK
        || sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC) != SQLITE_OK)
        r = DB_FAIL(q, err, "bind");
    else
        r = sq_step_done(q, st, "revoke", err);
    if (r == STORE_OK && n != NULL)
        *n = (size_t)sqlite3_changes(q->db);
    sq_release(q, st);
out:
    r = sq_durable_off(q, r, err);
    return r;
}

static enum store_rc
sq_revoke_id(struct store *base, const char *id, pjwt_err *err)
{
    struct sq *q = (struct sq *)base;
    enum store_rc r;
    size_t n = 0;

    pthread_mutex_lock(&q->lock);
    r = end_where(q, "UPDATE sessions SET ended = ?1 WHERE id = ?2 AND "
                  LIVE_SQL, id, &n, err);
    pthread_mutex_unlock(&q->lock);
    if (r == STORE_OK && n == 0)
        r = STORE_NOT_FOUND;
    return r;
}

static enum store_rc
sq_revoke_user(struct store *base, const char *user, size_t *n,
               pjwt_err *err)
{
    struct sq *q = (struct sq *)base;
    enum store_rc r;

    pthread_mutex_lock(&q->lock);
    r = end_where(q, "UPDATE sessions SET ended = ?1 WHERE user = ?2 AND "
                  LIVE_SQL, user, n, err);
    pthread_mutex_unlock(&q->lock);
    return r;
}

/* fn runs with the handle's lock held: it must not call the store. */
static enum store_rc
sq_list(struct store *base, const char *user, int64_t now,
        int (*fn)(const struct store_session *s, void *ctx), void *ctx,
        pjwt_err *err)
{
    static const char sql[] =
        "SELECT " COLS " FROM sessions WHERE " LIVE_SQL
        " AND (?2 IS NULL OR user = ?2) ORDER BY created, rowid";
    struct sq *q = (struct sq *)base;
    struct store_session s;
    sqlite3_stmt *st = NULL;
    enum store_rc r;
    int rc;

    pthread_mutex_lock(&q->lock);
    if ((r = sq_prep(q, sql, &st, err)) != STORE_OK)
        goto out;
    if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK
        || (user != NULL
                ? sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC)
                : sqlite3_bind_null(st, 2)) != SQLITE_OK) {
        r = DB_FAIL(q, err, "bind");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_row(st, &s, NULL);
        if (fn(&s, ctx) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = DB_FAIL(q, err, "list");
out:
    sq_release(q, st);
    pthread_mutex_unlock(&q->lock);
    return r;
}

static enum store_rc
sq_expire(struct store *base, int64_t now, size_t *n, pjwt_err *err)
{
    /* Ended before now, or past a limit before now; the used hashes go
       with their session (ON DELETE CASCADE). */
    static const char sql[] =
        "DELETE FROM sessions WHERE (ended != 0 AND ended < ?1)"
        " OR expires < ?1 OR (idle > 0 AND ?1 - last_used > idle)";
    struct sq *q = (struct sq *)base;
    sqlite3_stmt *st = NULL;
    enum store_rc r;

    pthread_mutex_lock(&q->lock);
    if ((r = sq_prep(q, sql, &st, err)) != STORE_OK)
        goto out;
    if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
        r = DB_FAIL(q, err, "bind");
        goto out;
    }
    if ((r = sq_step_done(q, st, "expire", err)) == STORE_OK && n != NULL)
        *n = (size_t)sqlite3_changes(q->db);
out:
    sq_release(q, st);
    pthread_mutex_unlock(&q->lock);
    return r;
}

void
sq_close(struct store *base)
{
    struct sq *q = (struct sq *)base;
    int i;

    /* The kept statements go first; every other one was finalized where
       it was prepared, so close_v2 has nothing to wait for. */
    for (i = 0; i < q->ncache; i++)
        sqlite3_finalize(q->cache[i].st);
    (void)sqlite3_close_v2(q->db);
    if (q->locked_init)
        pthread_mutex_destroy(&q->lock);
    free(q->path);
    free(q);
}

const struct store_ops sq_ops = {
    .close = sq_close,
    .create = sq_create,
    .rotate = sq_rotate,
    .find = sq_find,
    .revoke_hash = sq_revoke_hash,
    .revoke_id = sq_revoke_id,
    .revoke_user = sq_revoke_user,
    .list = sq_list,
    .expire = sq_expire,
    .revoke_add = sq_revoke_add,
    .revoke_remove = sq_revoke_remove,
    .revoke_list = sq_revoke_list,
    .trust_version = sq_trust_version,
    .trust_keys = sq_trust_keys,
};

