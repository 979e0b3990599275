/*
 * store_sqlite.h: what the two halves of the SQLite store share, and
 * nothing outside issuer/sessions/ sees: the handle, its statements, the
 * error idiom.  store_sqlite.c holds the session operations (and the
 * design notes), store_sqlite_open.c opening a file: its trust checks,
 * its schema, its settings.
 */
#ifndef ISSUER_SESSIONS_STORE_SQLITE_H
#define ISSUER_SESSIONS_STORE_SQLITE_H

#include <pthread.h>
#include <sqlite3.h>

#include "store_impl.h"

#define APP_ID 0x706a7773       /* "pjws": PRAGMA application_id */
#define SCHEMA_VERSION 2        /* PRAGMA user_version: 2 added the trust
                                   bundle's revocations and version */
#define BUSY_MS 5000

/* Prepared statements are kept for the handle's life: parsing the SQL of
   a refresh's half-dozen statements cost more than running them. */
#define SQ_CACHE 32

struct sq {
    struct store base;          /* first: store.c sees only this */
    sqlite3 *db;
    pthread_mutex_t lock;
    int locked_init;            /* lock was initialised (for close) */
    char *path;                 /* for messages */
    struct {
        const char *sql;        /* a literal of this file */
        sqlite3_stmt *st;
    } cache[SQ_CACHE];
    int ncache;
};

/* Record the connection's last error and evaluate to STORE_ERROR. */
#define DB_FAIL(q, err, what)                                              \
    (PJWT_FAIL((err), PJWT_ERR_IO, "%s: %s: %s", (q)->path, (what),        \
               sqlite3_errmsg((q)->db)),                                   \
     STORE_ERROR)

/* A statement for sql (a literal), kept for the handle's life when there
   is room; hand it back with sq_release (reset, unbound, or finalized). */
enum store_rc sq_prep(struct sq *q, const char *sql, sqlite3_stmt **st,
                      pjwt_err *err);
void sq_release(struct sq *q, sqlite3_stmt *st);

/* sqlite3_exec of sql (several statements, no rows); what names it in an
   error. */
enum store_rc sq_exec(struct sq *q, const char *sql, const char *what,
                      pjwt_err *err);

/* Undo an open transaction after a failure (the first error is the one
   reported). */
void sq_rollback(struct sq *q);

/* A cached statement without parameters or rows (BEGIN, COMMIT). */
enum store_rc sq_run(struct sq *q, const char *sql, const char *what,
                     pjwt_err *err);
/* Step a statement that returns no row. */
enum store_rc sq_step_done(struct sq *q, sqlite3_stmt *st, const char *what,
                           pjwt_err *err);
/* The synchronous level of the next commits (on: FULL, durable; off:
   NORMAL), outside a transaction only; sq_durable_off switches back after
   a durable step whose result is r, keeping r's message. */
enum store_rc sq_durable(struct sq *q, int on, pjwt_err *err);
enum store_rc sq_durable_off(struct sq *q, enum store_rc r, pjwt_err *err);
/* Run body(q, ctx) in one write transaction (BEGIN IMMEDIATE) committed
   durably, under the handle's lock; a body's STORE_NOT_FOUND commits
   (nothing changed) and is returned, its STORE_ERROR rolls back. */
enum store_rc sq_durable_tx(struct sq *q,
                            enum store_rc (*body)(struct sq *, void *,
                                                  pjwt_err *),
                            void *ctx, pjwt_err *err);
/* The wall clock, in epoch seconds (never negative). */
int64_t sq_wall_now(void);

/* The operations (store_sqlite.c), and closing a handle, also one that
   store_sqlite_open.c gives up on. */
extern const struct store_ops sq_ops;
void sq_close(struct store *base);

/* The trust bundle's revocations and version (store_sqlite_trust.c). */
enum store_rc sq_revoke_add(struct store *base,
                            const struct store_revocation *r, int *changed,
                            int64_t *version, pjwt_err *err);
enum store_rc sq_revoke_remove(struct store *base, enum store_revoke_kind kind,
                               const char *value, int64_t *version,
                               pjwt_err *err);
enum store_rc sq_revoke_list(struct store *base, int64_t *version,
                             int (*fn)(const struct store_revocation *r,
                                       void *ctx),
                             void *ctx, pjwt_err *err);
enum store_rc sq_trust_version(struct store *base, int64_t *version,
                               pjwt_err *err);
enum store_rc sq_trust_keys(struct store *base,
                            const uint8_t hash[STORE_HASH_LEN],
                            int64_t *version, pjwt_err *err);

#endif
