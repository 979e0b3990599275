/*
 * store_sqlite_trust.c: the trust bundle's part of the SQLite store
 * (store.h): the revocations table and the one-row trust table (version,
 * hash of the published keys), schema version 2 (store_sqlite_open.c).
 *
 * Every change is one BEGIN IMMEDIATE transaction that also bumps the
 * version, committed with synchronous = FULL: a version a host has seen
 * must never come back lower after a power cut (the host would refuse
 * every later bundle as a rollback), nor a revocation be lost.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"

static const char *
kind_name(enum store_revoke_kind k)
{
    return k == STORE_REVOKE_JTI ? "jti" : "sub";
}

/* The current version, inside the caller's lock (and transaction). */
static enum store_rc
read_version(struct sq *q, int64_t *version, pjwt_err *err)
{
    sqlite3_stmt *st = NULL;
    enum store_rc r;

    if ((r = sq_prep(q, "SELECT version FROM trust WHERE id = 1", &st, err))
        != STORE_OK)
        return r;
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *version = sqlite3_column_int64(st, 0);
        break;
    case SQLITE_DONE:
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a pamjwt session store / "
                  "corrupt: no trust version", q->path);
        r = STORE_ERROR;
        break;
    default:
        r = DB_FAIL(q, err, "read trust version");
    }
    sq_release(q, st);
    return r;
}

/* The change of store.h: max(version + 1, now). */
static enum store_rc
bump(struct sq *q, pjwt_err *err)
{
    sqlite3_stmt *st = NULL;
    enum store_rc r;

    if ((r = sq_prep(q, "UPDATE trust SET version = max(version + 1, ?1)"
                     " WHERE id = 1", &st, err)) != STORE_OK)
        return r;
    if (sqlite3_bind_int64(st, 1, sq_wall_now()) != SQLITE_OK)
        r = DB_FAIL(q, err, "bind");
    else
        r = sq_step_done(q, st, "bump trust version", err);
    sq_release(q, st);
    return r;
}

/* A change, then the version it leaves, in one sq_durable_tx. */
struct versioned {
    enum store_rc (*body)(struct sq *, void *, pjwt_err *);
    void *ctx;
    int64_t version;
};

static enum store_rc
versioned_body(struct sq *q, void *ctx, pjwt_err *err)
{
    struct versioned *t = ctx;
    enum store_rc r = t->body(q, t->ctx, err);

    if (r != STORE_ERROR && read_version(q, &t->version, err) != STORE_OK)
        return STORE_ERROR;
    return r;
}

/* body in one durable transaction, and *version (may be NULL) after it. */
static enum store_rc
durable_tx(struct sq *q, enum store_rc (*body)(struct sq *, void *, pjwt_err *),
           void *ctx, int64_t *version, pjwt_err *err)
{
    struct versioned t = { body, ctx, 0 };
    enum store_rc r = sq_durable_tx(q, versioned_body, &t, err);

    if (r != STORE_ERROR && version != NULL)
        *version = t.version;
    return r;
}

struct add_ctx {
    const struct store_revocation *r;
    int changed;
};

/* 1 when the entry exists, with its before in *before; 0; -1 error. */
static int
existing(struct sq *q, enum store_revoke_kind kind, const char *value,
         int64_t *before, pjwt_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc, found = -1;

    if (sq_prep(q, "SELECT before FROM revocations WHERE kind = ?1"
                " AND value = ?2", &st, err) != STORE_OK)
        return -1;
    if (sqlite3_bind_text(st, 1, kind_name(kind), -1, SQLITE_STATIC)
            != SQLITE_OK
        || sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC) != SQLITE_OK) {
        (void)DB_FAIL(q, err, "bind");
        goto out;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *before = sqlite3_column_int64(st, 0);
        found = 1;
    } else if (rc == SQLITE_DONE) {
        found = 0;
    } else {
        (void)DB_FAIL(q, err, "look up revocation");
    }
out:
    sq_release(q, st);
    return found;
}

static enum store_rc
add_body(struct sq *q, void *ctx, pjwt_err *err)
{
    struct add_ctx *a = ctx;
    const struct store_revocation *r = a->r;
    sqlite3_stmt *st = NULL;
    int64_t before = 0, n = 0;
    enum store_rc rc;
    int found = existing(q, r->kind, r->value, &before, err);

    if (found < 0)
        return STORE_ERROR;
    if (found && before == r->before)
        return STORE_OK;            /* already so: no change, no bump */
    if (!found) {
        if ((rc = sq_prep(q, "SELECT count(*) FROM revocations", &st, err))
            != STORE_OK)
            return rc;
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        else
            rc = DB_FAIL(q, err, "count revocations");
        sq_release(q, st);
        st = NULL;
        if (rc != STORE_OK)
            return rc;
        if (n >= PJWT_BUNDLE_MAX_REVOKED) {
            PJWT_FAIL(err, PJWT_ERR_TOO_LONG, "%s: already %d revocations, "
                      "the most a trust bundle carries", q->path,
                      PJWT_BUNDLE_MAX_REVOKED);
            return STORE_ERROR;
        }
    }
    /* REPLACE: a new before for the same user takes the old one's place
       (and, with a new rowid, its place in the order by time). */
    if ((rc = sq_prep(q, "INSERT OR REPLACE INTO revocations (kind, value,"
                      " before, added) VALUES (?1, ?2, ?3, ?4)", &st, err))
        != STORE_OK)
        return rc;
    if (sqlite3_bind_text(st, 1, kind_name(r->kind), -1, SQLITE_STATIC)
            != SQLITE_OK
        || sqlite3_bind_text(st, 2, r->value, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(st, 3, r->before) != SQLITE_OK
        || sqlite3_bind_int64(st, 4, sq_wall_now()) != SQLITE_OK)
        rc = DB_FAIL(q, err, "bind");
    else
        rc = sq_step_done(q, st, "add revocation", err);
    sq_release(q, st);
    if (rc == STORE_OK && (rc = bump(q, err)) == STORE_OK)
        a->changed = 1;
    return rc;
}

enum store_rc
sq_revoke_add(struct store *base, const struct store_revocation *r,
              int *changed, int64_t *version, pjwt_err *err)
{
    struct add_ctx a = { r, 0 };
    enum store_rc rc = durable_tx((struct sq *)base, add_body, &a, version,
                                  err);

    if (rc == STORE_OK && changed != NULL)
        *changed = a.changed;
    return rc;
}

struct remove_ctx {
    enum store_revoke_kind kind;
    const char *value;
};

static enum store_rc
remove_body(struct sq *q, void *ctx, pjwt_err *err)
{
    struct remove_ctx *m = ctx;
    sqlite3_stmt *st = NULL;
    enum store_rc r;

    if ((r = sq_prep(q, "DELETE FROM revocations WHERE kind = ?1"
                     " AND value = ?2", &st, err)) != STORE_OK)
        return r;
    if (sqlite3_bind_text(st, 1, kind_name(m->kind), -1, SQLITE_STATIC)
            != SQLITE_OK
        || sqlite3_bind_text(st, 2, m->value, -1, SQLITE_STATIC) != SQLITE_OK)
        r = DB_FAIL(q, err, "bind");
    else
        r = sq_step_done(q, st, "remove revocation", err);
    sq_release(q, st);
    if (r != STORE_OK)
        return r;
    if (sqlite3_changes(q->db) == 0)
        return STORE_NOT_FOUND;
    return bump(q, err);
}

enum store_rc
sq_revoke_remove(struct store *base, enum store_revoke_kind kind,
                 const char *value, int64_t *version, pjwt_err *err)
{
    struct remove_ctx m = { kind, value };

    return durable_tx((struct sq *)base, remove_body, &m, version, err);
}

enum store_rc
sq_revoke_list(struct store *base, int64_t *version,
               int (*fn)(const struct store_revocation *r, void *ctx),
               void *ctx, pjwt_err *err)
{
    struct sq *q = (struct sq *)base;
    struct store_revocation e;
    sqlite3_stmt *st = NULL;
    const unsigned char *k, *v;
    enum store_rc r;
    int64_t ver = 0;
    int rc;

    pthread_mutex_lock(&q->lock);
    /* One read transaction: the version and the list are one state. */
    if ((r = sq_run(q, "BEGIN", "begin", err)) != STORE_OK
        || (r = read_version(q, &ver, err)) != STORE_OK
        || (r = sq_prep(q, "SELECT kind, value, before, added FROM"
                        " revocations ORDER BY added, rowid", &st, err))
               != STORE_OK)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&e, 0, sizeof(e));
        k = sqlite3_column_text(st, 0);
        v = sqlite3_column_text(st, 1);
        e.kind = k != NULL && strcmp((const char *)k, "jti") == 0
                 ? STORE_REVOKE_JTI : STORE_REVOKE_SUB;
        (void)snprintf(e.value, sizeof(e.value), "%s",
                       v != NULL ? (const char *)v : "");
        e.before = sqlite3_column_int64(st, 2);
        e.added = sqlite3_column_int64(st, 3);
        if (fn(&e, ctx) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        r = DB_FAIL(q, err, "list revocations");
        goto out;
    }
    sq_release(q, st);
    st = NULL;
    if ((r = sq_run(q, "COMMIT", "commit", err)) == STORE_OK
        && version != NULL)
        *version = ver;
out:
    sq_release(q, st);
    if (r == STORE_ERROR)
        sq_rollback(q);
    pthread_mutex_unlock(&q->lock);
    return r;
}

enum store_rc
sq_trust_version(struct store *base, int64_t *version, pjwt_err *err)
{
    struct sq *q = (struct sq *)base;
    enum store_rc r;

    pthread_mutex_lock(&q->lock);
    r = read_version(q, version, err);
    pthread_mutex_unlock(&q->lock);
    return r;
}

/* The stored keys hash equals hash: 1; differs or none: 0 (*none 1 when
   none is stored); -1 error. */
static int
same_keys(struct sq *q, const uint8_t hash[STORE_HASH_LEN], int *none,
          pjwt_err *err)
{
    sqlite3_stmt *st = NULL;
    int same = -1;

    if (sq_prep(q, "SELECT keys_hash FROM trust WHERE id = 1", &st, err)
        != STORE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const void *h = sqlite3_column_blob(st, 0);

        *none = h == NULL;
        same = h != NULL && sqlite3_column_bytes(st, 0) == STORE_HASH_LEN
               && memcmp(h, hash, STORE_HASH_LEN) == 0;
    } else {
        (void)DB_FAIL(q, err, "read keys hash");
    }
    sq_release(q, st);
    return same;
}

struct keys_ctx {
    const uint8_t *hash;
};

static enum store_rc
keys_body(struct sq *q, void *ctx, pjwt_err *err)
{
    const uint8_t *hash = ((struct keys_ctx *)ctx)->hash;
    sqlite3_stmt *st = NULL;
    enum store_rc r;
    int none = 0, same = same_keys(q, hash, &none, err);

    if (same != 0)
        return same < 0 ? STORE_ERROR : STORE_OK;
    if ((r = sq_prep(q, "UPDATE trust SET keys_hash = ?1 WHERE id = 1", &st,
                     err)) != STORE_OK)
        return r;
    if (sqlite3_bind_blob(st, 1, hash, STORE_HASH_LEN, SQLITE_STATIC)
        != SQLITE_OK)
        r = DB_FAIL(q, err, "bind");
    else
        r = sq_step_done(q, st, "store keys hash", err);
    sq_release(q, st);
    /* The first key set a store sees is where its version starts. */
    if (r == STORE_OK && !none)
        r = bump(q, err);
    return r;
}

enum store_rc
sq_trust_keys(struct store *base, const uint8_t hash[STORE_HASH_LEN],
              int64_t *version, pjwt_err *err)
{
    struct sq *q = (struct sq *)base;
    struct keys_ctx k = { hash };
    enum store_rc r;
    int64_t v = 0;
    int none = 0, same;

    /* The usual case, every state load with the same keys: one read, and
       no durable commit. */
    pthread_mutex_lock(&q->lock);
    same = same_keys(q, hash, &none, err);
    r = same == 1 ? read_version(q, &v, err) : STORE_OK;
    pthread_mutex_unlock(&q->lock);
    if (same < 0)
        return STORE_ERROR;
    if (same == 1) {
        if (r == STORE_OK && version != NULL)
            *version = v;
        return r;
    }
    return durable_tx(q, keys_body, &k, version, err);
}
