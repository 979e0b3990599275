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
#define SCHEMA_VERSION 1        /* PRAGMA user_version */
#define BUSY_MS 5000

/* Prepared statements are kept for the handle's life: parsing the SQL of
   a refresh's half-dozen statements cost more than running them. */
#define SQ_CACHE 24

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

/* The operations (store_sqlite.c), and closing a handle, also one that
   store_sqlite_open.c gives up on. */
extern const struct store_ops sq_ops;
void sq_close(struct store *base);

#endif
