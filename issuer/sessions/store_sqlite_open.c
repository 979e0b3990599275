/*
 * store_sqlite_open.c: opening the SQLite store's file (store_sqlite.h):
 * the trust checks of the file and its directory, creating it 0600 when
 * missing, recognising its content as ours (application_id, user_version,
 * quick_check) or creating the schema, and the connection's settings (WAL,
 * busy timeout, synchronous).  The design notes are in store_sqlite.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "store_sqlite.h"

static const char schema[] =
    "CREATE TABLE sessions ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " user TEXT NOT NULL,"
    " client_id TEXT NOT NULL,"
    " rhost TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " last_used INTEGER NOT NULL,"
    " expires INTEGER NOT NULL,"
    " idle INTEGER NOT NULL,"
    " refreshes INTEGER NOT NULL DEFAULT 0,"
    " live_hash BLOB UNIQUE CHECK (length(live_hash) = 32),"
    " ended INTEGER NOT NULL DEFAULT 0);"     /* 0 live, else when it ended */
    "CREATE INDEX sessions_user ON sessions(user);"
    "CREATE TABLE used_hashes ("
    " hash BLOB PRIMARY KEY NOT NULL,"
    " session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE);"
    /* ON DELETE CASCADE looks used hashes up by session. */
    "CREATE INDEX used_hashes_session ON used_hashes(session_id);";

/*
 * Version 2: the trust bundle's revocations (store.h; at most one entry
 * per kind and value) and its version, one row, which starts at the
 * store's creation time (store.h says why).  A store of version 1 is
 * upgraded with exactly this when first opened; a new one gets schema,
 * then this.
 */
static const char schema_2[] =
    "CREATE TABLE revocations ("
    " kind TEXT NOT NULL CHECK (kind IN ('jti', 'sub')),"
    " value TEXT NOT NULL,"
    " before INTEGER NOT NULL DEFAULT 0 CHECK (before >= 0),"
    " added INTEGER NOT NULL,"
    " PRIMARY KEY (kind, value));"
    "CREATE TABLE trust ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version INTEGER NOT NULL CHECK (version >= 1),"
    " keys_hash BLOB CHECK (keys_hash IS NULL OR length(keys_hash) = 32));"
    "INSERT INTO trust (id, version)"
    " VALUES (1, max(1, CAST(strftime('%s', 'now') AS INTEGER)));";

/* A read failed on the content itself: say so in the words of store.h. */
static enum store_rc
content_fail(struct sq *q, const char *what, pjwt_err *err)
{
    int rc = sqlite3_errcode(q->db) & 0xff;

    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a pamjwt session store / "
                  "corrupt: %s", q->path, sqlite3_errmsg(q->db));
    else
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s: %s", q->path, what,
                  sqlite3_errmsg(q->db));
    return STORE_ERROR;
}

/* The single integer a query returns, in *v. */
static enum store_rc
query_int(struct sq *q, const char *sql, sqlite3_int64 *v, pjwt_err *err)
{
    sqlite3_stmt *st = NULL;
    enum store_rc r = STORE_ERROR;

    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
        return content_fail(q, sql, err);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        r = STORE_OK;
    } else {
        r = content_fail(q, sql, err);
    }
    sqlite3_finalize(st);
    return r;
}

/*
 * Recognise the content, and give an empty file the schema.  The check
 * and the creation are one write transaction, so a daemon and a jwtctl
 * opening a new file at once cannot both create it.
 */
static enum store_rc
adopt(struct sq *q, pjwt_err *err)
{
    sqlite3_int64 app = 0, ver = 0, objs = 0;
    char set[96];
    enum store_rc r;

    if (sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return content_fail(q, "begin", err);
    if ((r = query_int(q, "PRAGMA application_id", &app, err)) != STORE_OK
        || (r = query_int(q, "PRAGMA user_version", &ver, err)) != STORE_OK
        || (r = query_int(q, "SELECT count(*) FROM sqlite_master", &objs,
                          err)) != STORE_OK)
        goto out;
    r = STORE_ERROR;
    (void)snprintf(set, sizeof(set), "PRAGMA application_id = %d;"
                   "PRAGMA user_version = %d;", APP_ID, SCHEMA_VERSION);
    if (app == 0 && ver == 0 && objs == 0) {
        if (sq_exec(q, schema, "create schema", err) != STORE_OK
            || sq_exec(q, schema_2, "create schema", err) != STORE_OK
            || sq_exec(q, set, "mark store", err) != STORE_OK)
            goto out;
    } else if (app == APP_ID && ver == 1) {
        /* The previous release's store: its sessions stay. */
        if (sq_exec(q, schema_2, "upgrade schema to version 2", err)
                != STORE_OK
            || sq_exec(q, set, "mark store", err) != STORE_OK)
            goto out;
    } else if (app != APP_ID) {
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a pamjwt session store / "
                  "corrupt: application_id 0x%08llx, want 0x%08x", q->path,
                  (unsigned long long)(uint32_t)app, APP_ID);
        goto out;
    } else if (ver != SCHEMA_VERSION) {
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a pamjwt session store / "
                  "corrupt: schema version %lld, this build reads %d",
                  q->path, (long long)ver, SCHEMA_VERSION);
        goto out;
    }
    if (sq_exec(q, "COMMIT", "commit", err) != STORE_OK)
        goto out;
    r = STORE_OK;
out:
    if (r != STORE_OK)
        sq_rollback(q);
    return r;
}

/* PRAGMA quick_check: "ok", or the first problem it names. */
static enum store_rc
quick_check(struct sq *q, pjwt_err *err)
{
    sqlite3_stmt *st = NULL;
    const unsigned char *t;
    char why[80], *p;
    enum store_rc r = STORE_ERROR;

    if (sqlite3_prepare_v2(q->db, "PRAGMA quick_check(1)", -1, &st, NULL)
        != SQLITE_OK)
        return content_fail(q, "quick_check", err);
    if (sqlite3_step(st) != SQLITE_ROW) {
        r = content_fail(q, "quick_check", err);
    } else if ((t = sqlite3_column_text(st, 0)) == NULL
               || strcmp((const char *)t, "ok") != 0) {
        /* Its report spans lines; a message is one log line. */
        (void)snprintf(why, sizeof(why), "%s",
                       t != NULL ? (const char *)t : "no answer");
        for (p = why; (p = strchr(p, '\n')) != NULL;)
            *p = ' ';
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a pamjwt session store / "
                  "corrupt: %s", q->path, why);
    } else {
        r = STORE_OK;
    }
    sqlite3_finalize(st);
    return r;
}

/* The file's own rule (see the top): st from fstat of what we opened. */
static enum store_rc
check_file(const char *path, const struct stat *st, uid_t owner,
           pjwt_err *err)
{
    if (!S_ISREG(st->st_mode))
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: not a regular file", path);
    else if (st->st_uid != owner)
        PJWT_FAIL(err, PJWT_ERR_PERM, "%s: owned by uid %lu, expected %lu",
                  path, (unsigned long)st->st_uid, (unsigned long)owner);
    else if (st->st_mode & 077)
        PJWT_FAIL(err, PJWT_ERR_PERM, "%s: mode %04o gives group/other "
                  "access, want 0600", path,
                  (unsigned)(st->st_mode & 07777));
    else
        return STORE_OK;
    return STORE_ERROR;
}

/*
 * Check (or create) the file through a descriptor of its checked
 * directory, and return its device and inode in *id.  The descriptor is
 * closed before SQLite opens the file: closing any descriptor of a file
 * drops every POSIX lock this process holds on it, SQLite's included.
 */
static enum store_rc
check_path(const char *path, uid_t owner, struct stat *id, pjwt_err *err)
{
    const char *slash = strrchr(path, '/'), *name;
    char *dir = NULL;
    struct stat st;
    int dfd = -1, fd = -1;
    enum store_rc r = STORE_ERROR;

    name = slash != NULL ? slash + 1 : path;
    if (*name == '\0') {
        PJWT_FAIL(err, PJWT_ERR_ARG, "%s: names a directory, not a file",
                  path);
        goto out;
    }
    dir = slash == NULL ? strdup(".")
          : slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
    if (dir == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        goto out;
    }
    /* The trust rule for the directory: only the owner (or root) can
       add, replace or remove the store and its -wal and -shm files. */
    if ((dfd = pjwt_path_open(dir, owner, PJWT_PATH_DIR, NULL, err)) < 0)
        goto out;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) {
            PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", path, strerror(errno));
            goto out;
        }
        /* Created by anyone but the owner, it would fail its own check
           and stay behind: refuse before creating. */
        if (geteuid() != owner) {
            PJWT_FAIL(err, PJWT_ERR_PERM, "%s: missing, and uid %lu may "
                      "not create it for uid %lu", path,
                      (unsigned long)geteuid(), (unsigned long)owner);
            goto out;
        }
        fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW
                    | O_CLOEXEC | O_NOCTTY, 0600);
        /* The umask may only have taken bits away; fchmod says 0600 in
           full, whatever it was. */
        if (fd < 0 || fchmod(fd, 0600) != 0) {
            PJWT_FAIL(err, PJWT_ERR_IO, "%s: cannot create: %s", path,
                      strerror(errno));
            goto out;
        }
    } else if (S_ISLNK(st.st_mode)) {
        PJWT_FAIL(err, PJWT_ERR_PERM, "%s: is a symbolic link", path);
        goto out;
    } else if ((r = check_file(path, &st, owner, err)) != STORE_OK) {
        goto out;
    } else {
        r = STORE_ERROR;
        /* O_NONBLOCK: a FIFO swapped in since fstatat cannot hang us. */
        fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY
                    | O_NONBLOCK);
        if (fd < 0) {
            PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", path, strerror(errno));
            goto out;
        }
    }
    if (fstat(fd, id) != 0) {
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    r = check_file(path, id, owner, err);
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    free(dir);
    return r;
}

enum store_rc
store_sqlite_open(const char *path, uid_t owner, struct store **out,
                  pjwt_err *err)
{
    struct sq *q = NULL;
    struct stat id, now;
    enum store_rc r = STORE_ERROR;
    const unsigned char *mode;
    sqlite3_stmt *st = NULL;
    int e;

    if (*path == '\0') {
        PJWT_FAIL(err, PJWT_ERR_CONF, "store sqlite: no path");
        return STORE_ERROR;
    }
    /* NOMUTEX needs SQLite built thread-safe (Debian's is). */
    if (!sqlite3_threadsafe()) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "%s: libsqlite3 built without "
                  "thread support", path);
        return STORE_ERROR;
    }
    if ((r = check_path(path, owner, &id, err)) != STORE_OK)
        return r;
    r = STORE_ERROR;
    if ((q = calloc(1, sizeof(*q))) == NULL
        || (q->path = strdup(path)) == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        goto out;
    }
    q->base.ops = &sq_ops;
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE
                        | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL)
        != SQLITE_OK) {
        if (q->db == NULL)
            PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        else
            (void)DB_FAIL(q, err, "open");
        goto out;
    }
    /* The object SQLite opened is the one checked (only root or the
       owner could have swapped it, but then we say so). */
    if (stat(path, &now) != 0 || now.st_dev != id.st_dev
        || now.st_ino != id.st_ino) {
        PJWT_FAIL(err, PJWT_ERR_PERM, "%s: replaced while being opened",
                  path);
        goto out;
    }
    if (sqlite3_extended_result_codes(q->db, 1) != SQLITE_OK
        || sqlite3_busy_timeout(q->db, BUSY_MS) != SQLITE_OK) {
        (void)DB_FAIL(q, err, "configure");
        goto out;
    }
    if (adopt(q, err) != STORE_OK || quick_check(q, err) != STORE_OK)
        goto out;
    if (sq_exec(q, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL",
             "configure", err) != STORE_OK)
        goto out;
    /* journal_mode answers with the mode it ended in: a store that cannot
       go WAL (a filesystem without shared memory) would block jwtctl's
       readers behind every write, so it is refused. */
    if (sq_prep(q, "PRAGMA journal_mode = WAL", &st, err) != STORE_OK)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        (void)DB_FAIL(q, err, "journal_mode");
        goto out;
    }
    mode = sqlite3_column_text(st, 0);
    if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: cannot use WAL (journal mode "
                  "%.16s)", path, mode != NULL ? (const char *)mode : "?");
        goto out;
    }
    if ((e = pthread_mutex_init(&q->lock, NULL)) != 0) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "%s: mutex: %s", path,
                  strerror(e));
        goto out;
    }
    q->locked_init = 1;
    sq_release(q, st);
    *out = &q->base;
    return STORE_OK;
out:
    if (q != NULL) {
        sq_release(q, st);
        sq_close(&q->base);     /* the kept statements, the connection */
    }
    return r;
}
