/*
 * test_store_sqlite.c: the SQLite session store (issuer/sessions/store.h):
 * rotation and reuse, absolute and idle expiry, revocation by hash, id and
 * user, listing, forgetting, persistence, the refusals of a file that is
 * not safely ours, and concurrent rotation of one hash, where exactly one
 * caller may win.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fileio.h"
#include "store.h"
#include "testdir.h"

static char *dir;       /* this run's private directory */
static int64_t T0;      /* "now" of every test: the wall clock at start, as
                           revocations stamp the wall clock */

/* ---- helpers ------------------------------------------------------------ */

/* A distinct hash per n (n = 0 included); per thread, eight in turn. */
static const uint8_t *
H(unsigned n)
{
    static _Thread_local uint8_t h[8][STORE_HASH_LEN];
    static _Thread_local unsigned next;
    uint8_t *p = h[next++ % 8];
    size_t i;

    for (i = 0; i < STORE_HASH_LEN; i++)
        p[i] = (uint8_t)(n * 7u + i * 13u + (n >> 8));
    p[0] = (uint8_t)n;
    p[1] = (uint8_t)(n >> 8);
    return p;
}

/* "DIR/NAME" in a per-thread buffer (two in turn, so a call can take
   two). */
static const char *
in_dir(const char *name)
{
    static _Thread_local char buf[2][4096];
    static _Thread_local int k;
    char *b = buf[k++ % 2];

    snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
    return b;
}

static const char *
spec(const char *name)
{
    static _Thread_local char buf[4200];

    snprintf(buf, sizeof(buf), "sqlite:%s", in_dir(name));
    return buf;
}

static struct store *
open_ok(const char *name)
{
    struct store *st = NULL;
    pjwt_err e;

    pjwt_err_clear(&e);
    if (store_open(spec(name), geteuid(), NULL, &st, &e) != STORE_OK)
        fail_msg("open %s: %s", name, e.msg);
    assert_non_null(st);
    return st;
}

/* Open must fail with a message containing want. */
static void
open_refused(const char *specstr, uid_t owner, const char *want)
{
    struct store *st = (struct store *)&st;     /* must be reset to NULL */
    pjwt_err e;

    pjwt_err_clear(&e);
    assert_int_equal(store_open(specstr, owner, NULL, &st, &e), STORE_ERROR);
    assert_null(st);
    if (strstr(e.msg, want) == NULL)
        fail_msg("message '%s' lacks '%s'", e.msg, want);
}

static void
mk(struct store *st, const char *id, const char *user, int64_t created,
   int64_t lifetime, int64_t idle, unsigned hash)
{
    struct store_session s;
    pjwt_err e;

    memset(&s, 0, sizeof(s));
    snprintf(s.id, sizeof(s.id), "%s", id);
    snprintf(s.user, sizeof(s.user), "%s", user);
    snprintf(s.client_id, sizeof(s.client_id), "cli-%s", user);
    snprintf(s.rhost, sizeof(s.rhost), "192.0.2.1");
    s.created = created;
    s.last_used = created;
    s.expires = created + lifetime;
    s.idle = idle;
    pjwt_err_clear(&e);
    if (store_create(st, &s, H(hash), &e) != STORE_OK)
        fail_msg("create %s: %s", id, e.msg);
}

static enum store_rc
rot(struct store *st, unsigned old, unsigned next, int64_t now,
    struct store_session *out)
{
    pjwt_err e;
    enum store_rc r;

    pjwt_err_clear(&e);
    r = store_rotate(st, H(old), H(next), now, out, &e);
    if (r == STORE_ERROR)
        fail_msg("rotate: %s", e.msg);
    return r;
}

/* What store_list saw: ids joined by ',' (and how many). */
struct seen {
    char ids[1024];
    int n, stop_after;
};

static int
collect(const struct store_session *s, void *ctx)
{
    struct seen *w = ctx;
    size_t l = strlen(w->ids);

    snprintf(w->ids + l, sizeof(w->ids) - l, "%s%s", l ? "," : "", s->id);
    w->n++;
    return w->stop_after && w->n >= w->stop_after;
}

static const char *
listed(struct store *st, const char *user, int64_t now)
{
    static struct seen w;
    pjwt_err e;

    memset(&w, 0, sizeof(w));
    pjwt_err_clear(&e);
    if (store_list(st, user, now, collect, &w, &e) != STORE_OK)
        fail_msg("list: %s", e.msg);
    return w.ids;
}

/* Rows of a table, read past the store with plain SQLite. */
static int
rows(const char *name, const char *table)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char sql[128];
    int n = -1;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    assert_int_equal(sqlite3_open_v2(in_dir(name), &db, SQLITE_OPEN_READONLY,
                                     NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* ---- rotation ----------------------------------------------------------- */

static void
test_rotate(void **state)
{
    struct store *st = open_ok("rotate.db");
    struct store_session o;

    (void)state;
    mk(st, "s1", "alice", T0, 3600, 600, 1);
    memset(&o, 0, sizeof(o));
    assert_int_equal(rot(st, 1, 2, T0 + 10, &o), STORE_OK);
    assert_string_equal(o.id, "s1");
    assert_string_equal(o.user, "alice");
    assert_string_equal(o.client_id, "cli-alice");
    assert_string_equal(o.rhost, "192.0.2.1");
    assert_int_equal(o.refreshes, 1);
    assert_int_equal(o.last_used, T0 + 10);
    assert_int_equal(o.created, T0);
    assert_int_equal(o.expires, T0 + 3600);
    assert_int_equal(rot(st, 2, 3, T0 + 20, &o), STORE_OK);
    assert_int_equal(o.refreshes, 2);
    /* out may be NULL */
    assert_int_equal(rot(st, 3, 4, T0 + 30, NULL), STORE_OK);
    /* a hash nobody knows */
    memset(&o, 0, sizeof(o));
    assert_int_equal(rot(st, 99, 100, T0 + 30, &o), STORE_NOT_FOUND);
    assert_string_equal(o.id, "");
    store_close(st);
}

static void
test_reuse(void **state)
{
    struct store *st = open_ok("reuse.db");
    struct store_session o;

    (void)state;
    mk(st, "s1", "alice", T0, 3600, 600, 1);
    mk(st, "s2", "alice", T0, 3600, 600, 50);
    assert_int_equal(rot(st, 1, 2, T0 + 1, NULL), STORE_OK);
    assert_int_equal(rot(st, 2, 3, T0 + 2, NULL), STORE_OK);
    /* the first hash again: reuse, the whole session ends */
    memset(&o, 0, sizeof(o));
    assert_int_equal(rot(st, 1, 9, T0 + 3, &o), STORE_REUSED);
    assert_string_equal(o.id, "s1");
    assert_string_equal(o.user, "alice");
    /* so its live hash no longer works either */
    memset(&o, 0, sizeof(o));
    assert_int_equal(rot(st, 3, 4, T0 + 4, &o), STORE_ENDED);
    assert_string_equal(o.id, "s1");
    assert_int_equal(rot(st, 2, 5, T0 + 4, NULL), STORE_REUSED);
    /* the other session is untouched */
    assert_string_equal(listed(st, NULL, T0 + 5), "s2");
    assert_int_equal(rot(st, 50, 51, T0 + 5, NULL), STORE_OK);
    store_close(st);
}

static void
test_expiry(void **state)
{
    struct store *st = open_ok("expiry.db");
    struct store_session o;

    (void)state;
    /* absolute: live until the second before expires */
    mk(st, "abs1", "alice", T0, 100, 0, 1);
    mk(st, "abs2", "alice", T0, 100, 0, 11);
    assert_int_equal(rot(st, 1, 2, T0 + 99, NULL), STORE_OK);
    memset(&o, 0, sizeof(o));
    assert_int_equal(rot(st, 11, 12, T0 + 100, &o), STORE_ENDED);
    assert_string_equal(o.id, "abs2");
    /* marked ended: even an earlier now cannot bring it back */
    assert_int_equal(rot(st, 11, 12, T0 + 50, NULL), STORE_ENDED);
    /* idle: each refresh restarts the idle clock */
    mk(st, "idle1", "bob", T0, 1000, 50, 21);
    assert_int_equal(rot(st, 21, 22, T0 + 49, NULL), STORE_OK);
    assert_int_equal(rot(st, 22, 23, T0 + 98, NULL), STORE_OK);
    assert_int_equal(rot(st, 23, 24, T0 + 148, &o), STORE_ENDED);
    assert_string_equal(o.id, "idle1");
    /* idle 0: no idle limit, only the absolute one */
    mk(st, "noidle", "bob", T0, 1000, 0, 31);
    assert_int_equal(rot(st, 31, 32, T0 + 999, NULL), STORE_OK);
    store_close(st);
}

/* ---- revocation --------------------------------------------------------- */

static void
test_revoke(void **state)
{
    struct store *st = open_ok("revoke.db");
    struct store_session o;
    pjwt_err e;
    size_t n = 99;

    (void)state;
    mk(st, "h1", "alice", T0, 3600, 0, 1);
    mk(st, "h2", "alice", T0, 3600, 0, 11);
    assert_int_equal(rot(st, 11, 12, T0 + 1, NULL), STORE_OK);
    /* by live hash */
    memset(&o, 0, sizeof(o));
    assert_int_equal(store_revoke_hash(st, H(1), &o, &e), STORE_OK);
    assert_string_equal(o.id, "h1");
    assert_int_equal(rot(st, 1, 2, T0 + 2, NULL), STORE_ENDED);
    /* by a rotated-away hash */
    memset(&o, 0, sizeof(o));
    assert_int_equal(store_revoke_hash(st, H(11), &o, &e), STORE_OK);
    assert_string_equal(o.id, "h2");
    assert_int_equal(rot(st, 12, 13, T0 + 2, NULL), STORE_ENDED);
    assert_int_equal(store_revoke_hash(st, H(77), &o, &e), STORE_NOT_FOUND);

    /* by id: once, then it is no longer live */
    mk(st, "i1", "carol", T0, 3600, 0, 21);
    assert_int_equal(store_revoke_id(st, "i1", &e), STORE_OK);
    assert_int_equal(store_revoke_id(st, "i1", &e), STORE_NOT_FOUND);
    assert_int_equal(store_revoke_id(st, "nosuch", &e), STORE_NOT_FOUND);
    assert_int_equal(rot(st, 21, 22, T0 + 3, NULL), STORE_ENDED);

    /* by user: only that user's live sessions count */
    mk(st, "u1", "dave", T0, 3600, 0, 31);
    mk(st, "u2", "dave", T0, 3600, 0, 32);
    mk(st, "u3", "dave", T0 - 7200, 3600, 0, 33);    /* already expired */
    mk(st, "u4", "erin", T0, 3600, 0, 34);
    assert_int_equal(store_revoke_user(st, "dave", &n, &e), STORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(store_revoke_user(st, "dave", &n, &e), STORE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_revoke_user(st, "nobody", NULL, &e), STORE_OK);
    assert_string_equal(listed(st, NULL, T0 + 5), "u4");
    assert_int_equal(rot(st, 31, 35, T0 + 5, NULL), STORE_ENDED);
    assert_int_equal(rot(st, 34, 36, T0 + 5, NULL), STORE_OK);
    store_close(st);
}

/* ---- listing and forgetting --------------------------------------------- */

static void
test_list(void **state)
{
    struct store *st = open_ok("list.db");
    struct seen w;
    pjwt_err e;

    (void)state;
    /* created out of order: listed oldest first */
    mk(st, "c", "alice", T0 - 10, 3600, 0, 1);
    mk(st, "a", "bob", T0 - 30, 3600, 0, 2);
    mk(st, "b", "alice", T0 - 20, 3600, 0, 3);
    mk(st, "old", "alice", T0 - 5000, 3600, 0, 4);      /* expired */
    mk(st, "idle", "bob", T0 - 100, 3600, 60, 5);       /* idle-expired */
    mk(st, "gone", "bob", T0 - 1, 3600, 0, 6);
    assert_int_equal(store_revoke_id(st, "gone", &e), STORE_OK);
    assert_string_equal(listed(st, NULL, T0), "a,b,c");
    assert_string_equal(listed(st, "alice", T0), "b,c");
    assert_string_equal(listed(st, "bob", T0), "a");
    assert_string_equal(listed(st, "nobody", T0), "");
    /* the same store seen earlier: "idle" was live then */
    assert_string_equal(listed(st, "bob", T0 - 50), "idle,a");
    /* a rotation refreshes last_used, not the order */
    assert_int_equal(rot(st, 2, 7, T0, NULL), STORE_OK);
    assert_string_equal(listed(st, NULL, T0), "a,b,c");
    /* fn returning non-zero stops the walk */
    memset(&w, 0, sizeof(w));
    w.stop_after = 2;
    assert_int_equal(store_list(st, NULL, T0, collect, &w, &e), STORE_OK);
    assert_string_equal(w.ids, "a,b");
    store_close(st);
}

static void
test_expire(void **state)
{
    struct store *st = open_ok("expire.db");
    pjwt_err e;
    size_t n = 99;

    (void)state;
    mk(st, "live", "alice", T0, 3600, 600, 1);
    mk(st, "abs", "alice", T0 - 200, 100, 0, 2);        /* ended T0-100 */
    mk(st, "idle", "alice", T0 - 200, 3600, 50, 3);     /* ended T0-150 */
    mk(st, "reused", "bob", T0, 3600, 0, 4);
    assert_int_equal(rot(st, 4, 5, T0, NULL), STORE_OK);
    assert_int_equal(rot(st, 4, 6, T0, NULL), STORE_REUSED);
    assert_int_equal(rot(st, 1, 7, T0, NULL), STORE_OK);
    assert_int_equal(rows("expire.db", "used_hashes"), 2);
    /* "reused" ended at T0: not before T0, so kept */
    assert_int_equal(store_expire(st, T0, &n, &e), STORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rows("expire.db", "sessions"), 2);
    assert_int_equal(store_expire(st, T0 + 1, &n, &e), STORE_OK);
    assert_int_equal(n, 1);
    /* its used hash went with it: presenting it now is merely unknown */
    assert_int_equal(rows("expire.db", "used_hashes"), 1);
    assert_int_equal(rot(st, 4, 8, T0 + 1, NULL), STORE_NOT_FOUND);
    assert_int_equal(store_expire(st, T0 + 1, &n, &e), STORE_OK);
    assert_int_equal(n, 0);
    assert_string_equal(listed(st, NULL, T0 + 1), "live");
    store_close(st);
}

static void
test_persist(void **state)
{
    struct store *st = open_ok("persist.db");
    struct stat sb;

    (void)state;
    mk(st, "p1", "alice", T0, 3600, 0, 1);
    assert_int_equal(rot(st, 1, 2, T0 + 1, NULL), STORE_OK);
    store_close(st);
    assert_int_equal(stat(in_dir("persist.db"), &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    st = open_ok("persist.db");
    assert_string_equal(listed(st, NULL, T0 + 2), "p1");
    assert_int_equal(rot(st, 1, 3, T0 + 2, NULL), STORE_REUSED);
    store_close(st);
    st = open_ok("persist.db");
    assert_string_equal(listed(st, NULL, T0 + 2), "");
    assert_int_equal(rot(st, 2, 3, T0 + 2, NULL), STORE_ENDED);
    store_close(st);
}

/* ---- refusals ----------------------------------------------------------- */

static void
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* A SQLite file not made by the store: sql run on a fresh database. */
static void
foreign_db(const char *name, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(in_dir(name), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(chmod(in_dir(name), 0600), 0);
}

static void
test_refusals(void **state)
{
    char junk[4096];
    struct stat sb;
    struct store *st;
    mode_t old;

    (void)state;
    open_refused("memcache://127.0.0.1", geteuid(), "unknown store");
    open_refused("sqlite:", geteuid(), "no path");

    /* mode: any group or other bit */
    st = open_ok("mode.db");
    store_close(st);
    assert_int_equal(chmod(in_dir("mode.db"), 0644), 0);
    open_refused(spec("mode.db"), geteuid(), "mode 0644");
    assert_int_equal(chmod(in_dir("mode.db"), 0640), 0);
    open_refused(spec("mode.db"), geteuid(), "mode 0640");
    assert_int_equal(chmod(in_dir("mode.db"), 0600), 0);
    store_close(open_ok("mode.db"));

    /* owner: the file's, and the one asked for (as root, whose directory
       passes the trust rule for any owner) */
    if (geteuid() == 0) {
        open_refused(spec("mode.db"), 1, "owned by uid 0, expected 1");
        assert_int_equal(chown(in_dir("mode.db"), 65534, 65534), 0);
        open_refused(spec("mode.db"), 0, "owned by uid 65534, expected 0");
        st = NULL;
        assert_int_equal(store_open(spec("mode.db"), 65534, NULL, &st, NULL),
                         STORE_OK);
        store_close(st);
    }

    /* a symbolic link, even to a good store */
    store_close(open_ok("target.db"));
    assert_int_equal(symlink(in_dir("target.db"), in_dir("link.db")), 0);
    open_refused(spec("link.db"), geteuid(), "symbolic link");

    /* not a regular file */
    assert_int_equal(mkdir(in_dir("adir.db"), 0700), 0);
    open_refused(spec("adir.db"), geteuid(), "not a regular file");

    /* garbage, and a store whose pages were damaged */
    memset(junk, 'x', sizeof(junk));
    write_file(in_dir("junk.db"), junk, sizeof(junk), 0600);
    open_refused(spec("junk.db"), geteuid(),
                 "not a pamjwt session store / corrupt");

    /* another program's database, or ours at an unknown version */
    foreign_db("other.db", "CREATE TABLE t(x)");
    open_refused(spec("other.db"), geteuid(), "application_id 0x00000000");
    foreign_db("otherapp.db", "PRAGMA application_id = 42");
    open_refused(spec("otherapp.db"), geteuid(), "application_id 0x0000002a");
    foreign_db("newer.db", "PRAGMA application_id = 1886025587;"
               " PRAGMA user_version = 7; CREATE TABLE t(x)");
    open_refused(spec("newer.db"), geteuid(), "schema version 7");

    /* the directory is never created, nor a file for another owner */
    open_refused(spec("nodir/s.db"), geteuid(), "nodir");
    assert_int_equal(stat(in_dir("nodir"), &sb), -1);
    open_refused(spec("notmine.db"), geteuid() + 1,
                 geteuid() == 0 ? "may not create" : "");
    assert_int_equal(stat(in_dir("notmine.db"), &sb), -1);

    /* a created file is 0600 whatever the umask */
    old = umask(0);
    store_close(open_ok("umask.db"));
    umask(old);
    assert_int_equal(stat(in_dir("umask.db"), &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_int_equal(sb.st_uid, geteuid());
}

/* A good store whose table pages are overwritten: quick_check's turn. */
static void
test_corrupt(void **state)
{
    struct store *st = open_ok("corrupt.db");
    char junk[1024];
    char id[16];
    int fd, i;

    (void)state;
    for (i = 0; i < 200; i++) {
        snprintf(id, sizeof(id), "c%d", i);
        mk(st, id, "alice", T0, 3600, 0, 1000u + (unsigned)i);
    }
    store_close(st);
    memset(junk, 0xa5, sizeof(junk));
    fd = open(in_dir("corrupt.db"), O_WRONLY);
    assert_true(fd >= 0);
    /* page 1 is the header and schema, page 2 the sessions table's root:
       break its page header (junk in its free space would go unnoticed) */
    assert_int_equal(pwrite(fd, junk, 16, 4096), 16);
    close(fd);
    open_refused(spec("corrupt.db"), geteuid(),
                 "not a pamjwt session store / corrupt");
}

/* ---- revocations and the trust version ---------------------------------- */

static int64_t
version_of(struct store *st)
{
    int64_t v = -1;
    pjwt_err e;

    pjwt_err_clear(&e);
    if (store_trust_version(st, &v, &e) != STORE_OK)
        fail_msg("trust version: %s", e.msg);
    return v;
}

/* Add kind value before: the store's answer; *changed and *v filled. */
static enum store_rc
radd(struct store *st, enum store_revoke_kind kind, const char *value,
     int64_t before, int *changed, int64_t *v, pjwt_err *e)
{
    struct store_revocation r;
    size_t n = strlen(value);

    /* Too long a value fills the array without its NUL, as a caller's
       unterminated one would. */
    memset(&r, 0, sizeof(r));
    r.kind = kind;
    memcpy(r.value, value, n < sizeof(r.value) ? n : sizeof(r.value));
    r.before = before;
    pjwt_err_clear(e);
    return store_revoke_add(st, &r, changed, v, e);
}

/* What store_revoke_list saw: "jti:x,sub:y<before>", and the version. */
struct rseen {
    char s[2048];
    int64_t last_added;
    int ordered;
};

static int
rcollect(const struct store_revocation *r, void *ctx)
{
    struct rseen *w = ctx;
    size_t l = strlen(w->s);

    snprintf(w->s + l, sizeof(w->s) - l, "%s%s:%s%s", l ? "," : "",
             r->kind == STORE_REVOKE_JTI ? "jti" : "sub", r->value,
             r->before ? "<" : "");
    if (r->added < w->last_added || r->added < T0 - 5)
        w->ordered = 0;
    w->last_added = r->added;
    return 0;
}

static const char *
rlisted(struct store *st, int64_t *v)
{
    static struct rseen w;
    pjwt_err e;

    memset(&w, 0, sizeof(w));
    w.ordered = 1;
    pjwt_err_clear(&e);
    if (store_revoke_list(st, v, rcollect, &w, &e) != STORE_OK)
        fail_msg("revoke list: %s", e.msg);
    assert_true(w.ordered);
    return w.s;
}

static void
test_revocations(void **state)
{
    struct store *st = open_ok("rev.db");
    int64_t v0, v, lv;
    int changed;
    pjwt_err e;
    char big[PJWT_BUNDLE_MAX_NAME + 2];

    (void)state;
    /* A new store's version is its creation time: above any version an
       older store of the same issuer can have reached. */
    v0 = version_of(st);
    assert_true(v0 >= T0 && v0 <= T0 + 5);
    assert_string_equal(rlisted(st, &lv), "");
    assert_int_equal(lv, v0);

    assert_int_equal(radd(st, STORE_REVOKE_SUB, "alice", 0, &changed, &v, &e),
                     STORE_OK);
    assert_int_equal(changed, 1);
    assert_true(v > v0);
    assert_int_equal(version_of(st), v);
    assert_int_equal(radd(st, STORE_REVOKE_JTI, "t-1", 0, &changed, &v0, &e),
                     STORE_OK);
    assert_true(v0 > v);
    v = v0;
    assert_string_equal(rlisted(st, &lv), "sub:alice,jti:t-1");
    assert_int_equal(lv, v);

    /* The same entry again: no change, the version stays. */
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "alice", 0, &changed, &v0, &e),
                     STORE_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(v0, v);
    /* A new cut-off for the same user replaces the entry. */
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "alice", T0, &changed, &v0,
                          &e), STORE_OK);
    assert_int_equal(changed, 1);
    assert_true(v0 > v);
    v = v0;
    assert_string_equal(rlisted(st, NULL), "jti:t-1,sub:alice<");
    /* A jti and a sub of the same value are two entries. */
    assert_int_equal(radd(st, STORE_REVOKE_JTI, "alice", 0, &changed, &v, &e),
                     STORE_OK);
    assert_string_equal(rlisted(st, NULL), "jti:t-1,sub:alice<,jti:alice");

    /* Refusals change nothing. */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    v0 = version_of(st);
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "", 0, &changed, NULL, &e),
                     STORE_ERROR);
    assert_non_null(strstr(e.msg, "printable ASCII"));
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "a b", 0, &changed, NULL, &e),
                     STORE_ERROR);
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "#x", 0, &changed, NULL, &e),
                     STORE_ERROR);
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "caf\xc3\xa9", 0, &changed,
                          NULL, &e), STORE_ERROR);
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "a\tb", 0, &changed, NULL,
                          &e), STORE_ERROR);
    assert_int_equal(radd(st, STORE_REVOKE_SUB, big, 0, &changed, NULL, &e),
                     STORE_ERROR);
    big[PJWT_BUNDLE_MAX_NAME] = '\0';        /* exactly the longest */
    assert_int_equal(radd(st, STORE_REVOKE_JTI, "t-2", 5, &changed, NULL, &e),
                     STORE_ERROR);
    assert_non_null(strstr(e.msg, "only for a sub"));
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "bob", -1, &changed, NULL,
                          &e), STORE_ERROR);
    assert_int_equal(radd(st, (enum store_revoke_kind)7, "bob", 0, &changed,
                          NULL, &e), STORE_ERROR);
    assert_int_equal(version_of(st), v0);
    assert_string_equal(rlisted(st, NULL), "jti:t-1,sub:alice<,jti:alice");
    assert_int_equal(radd(st, STORE_REVOKE_JTI, big, 0, &changed, &v, &e),
                     STORE_OK);
    assert_int_equal(changed, 1);

    /* Remove: by kind and value; a missing one changes nothing. */
    v0 = version_of(st);
    pjwt_err_clear(&e);
    assert_int_equal(store_revoke_remove(st, STORE_REVOKE_SUB, "t-1", &v, &e),
                     STORE_NOT_FOUND);
    assert_int_equal(v, v0);
    assert_int_equal(store_revoke_remove(st, STORE_REVOKE_JTI, "t-1", &v, &e),
                     STORE_OK);
    assert_true(v > v0);
    assert_int_equal(store_revoke_remove(st, STORE_REVOKE_JTI, "a b", &v, &e),
                     STORE_ERROR);
    assert_int_equal(rows("rev.db", "revocations"), 3);
    store_close(st);

    /* Durable and persistent: all of it is there after a reopen. */
    st = open_ok("rev.db");
    assert_int_equal(version_of(st), v);
    assert_int_equal(strncmp(rlisted(st, NULL), "sub:alice<,jti:alice,jti:x",
                             26), 0);
    store_close(st);
}

static void
test_trust_keys(void **state)
{
    struct store *st = open_ok("keys.db");
    int64_t v0, v;
    pjwt_err e;

    (void)state;
    v0 = version_of(st);
    pjwt_err_clear(&e);
    /* The first key set is where the version starts... */
    assert_int_equal(store_trust_keys(st, H(1), &v, &e), STORE_OK);
    assert_int_equal(v, v0);
    /* ...the same one again changes nothing... */
    assert_int_equal(store_trust_keys(st, H(1), &v, &e), STORE_OK);
    assert_int_equal(v, v0);
    /* ...and another one bumps it, once. */
    assert_int_equal(store_trust_keys(st, H(2), &v, &e), STORE_OK);
    assert_true(v > v0);
    v0 = v;
    assert_int_equal(store_trust_keys(st, H(2), &v, &e), STORE_OK);
    assert_int_equal(v, v0);
    store_close(st);
    st = open_ok("keys.db");
    assert_int_equal(store_trust_keys(st, H(2), &v, &e), STORE_OK);
    assert_int_equal(v, v0);
    assert_int_equal(store_trust_keys(st, H(1), &v, &e), STORE_OK);
    assert_true(v > v0);
    assert_int_equal(store_trust_keys(st, NULL, &v, &e), STORE_ERROR);
    store_close(st);
}

/* The previous release's store (schema 1, made here as it made it) is
   upgraded in place: its sessions stay, revocations work. */
static void
test_upgrade(void **state)
{
    struct store *st;
    struct store_session s;
    int changed;
    int64_t v;
    pjwt_err e;
    char sql[2048];

    (void)state;
    snprintf(sql, sizeof(sql),
             "CREATE TABLE sessions ( id TEXT PRIMARY KEY NOT NULL,"
             " user TEXT NOT NULL, client_id TEXT NOT NULL,"
             " rhost TEXT NOT NULL, created INTEGER NOT NULL,"
             " last_used INTEGER NOT NULL, expires INTEGER NOT NULL,"
             " idle INTEGER NOT NULL, refreshes INTEGER NOT NULL DEFAULT 0,"
             " live_hash BLOB UNIQUE CHECK (length(live_hash) = 32),"
             " ended INTEGER NOT NULL DEFAULT 0);"
             "CREATE INDEX sessions_user ON sessions(user);"
             "CREATE TABLE used_hashes ( hash BLOB PRIMARY KEY NOT NULL,"
             " session_id TEXT NOT NULL REFERENCES sessions(id)"
             " ON DELETE CASCADE);"
             "CREATE INDEX used_hashes_session ON used_hashes(session_id);"
             "PRAGMA application_id = 1886025587; PRAGMA user_version = 1;");
    foreign_db("v1.db", sql);
    st = open_ok("v1.db");
    mk(st, "old1", "alice", T0, 3600, 0, 77);
    store_close(st);
    /* ...a session made by the old schema's rules survives a reopen */
    st = open_ok("v1.db");
    assert_string_equal(listed(st, NULL, T0), "old1");
    assert_int_equal(rot(st, 77, 78, T0 + 1, &s), STORE_OK);
    assert_true(version_of(st) >= T0);
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "alice", 0, &changed, &v, &e),
                     STORE_OK);
    assert_int_equal(rows("v1.db", "revocations"), 1);
    store_close(st);
}

/* ---- concurrency -------------------------------------------------------- */

#define THREADS 8
#define ROUNDS 40

struct race {
    struct store *shared;       /* one handle for all, or NULL: one each */
    pthread_barrier_t go;
    int ok[ROUNDS], reused[ROUNDS], other[ROUNDS];
    pthread_mutex_t count;
};

struct racer {
    struct race *r;
    unsigned t;
};

/*
 * Every thread presents the same live hash of round k at once, each with
 * its own next hash: the compare-and-set lets exactly one through, and the
 * rest are reuse (the session then ends).  Each round has a session of its
 * own, made before the barrier.
 */
static void *
racer_main(void *arg)
{
    struct racer *me = arg;
    struct race *r = me->r;
    struct store *st = r->shared;
    pjwt_err e;
    int k;

    if (st == NULL && store_open(spec("race.db"), geteuid(), NULL, &st, &e)
                          != STORE_OK)
        return (void *)1;
    for (k = 0; k < ROUNDS; k++) {
        enum store_rc rc;

        pthread_barrier_wait(&r->go);   /* round k's session exists */
        rc = store_rotate(st, H(10000u + (unsigned)k),
                          H(20000u + (unsigned)k * THREADS + me->t), T0, NULL,
                          &e);
        pthread_mutex_lock(&r->count);
        if (rc == STORE_OK)
            r->ok[k]++;
        else if (rc == STORE_REUSED)
            r->reused[k]++;
        else
            r->other[k]++;
        pthread_mutex_unlock(&r->count);
        pthread_barrier_wait(&r->go);   /* round k is over */
    }
    if (r->shared == NULL)
        store_close(st);
    return NULL;
}

static void
race(int shared)
{
    static struct race r;
    struct racer who[THREADS];
    pthread_t th[THREADS];
    struct store *st;
    char id[16];
    unsigned t;
    int k;
    void *rv;

    memset(&r, 0, sizeof(r));
    unlink(in_dir("race.db"));
    st = open_ok("race.db");
    r.shared = shared ? st : NULL;
    assert_int_equal(pthread_barrier_init(&r.go, NULL, THREADS + 1), 0);
    assert_int_equal(pthread_mutex_init(&r.count, NULL), 0);
    for (t = 0; t < THREADS; t++) {
        who[t].r = &r;
        who[t].t = t;
        assert_int_equal(pthread_create(&th[t], NULL, racer_main, &who[t]), 0);
    }
    for (k = 0; k < ROUNDS; k++) {
        snprintf(id, sizeof(id), "r%d", k);
        mk(st, id, "alice", T0, 3600, 0, 10000u + (unsigned)k);
        pthread_barrier_wait(&r.go);
        pthread_barrier_wait(&r.go);
    }
    for (t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(th[t], &rv), 0);
        assert_null(rv);
    }
    for (k = 0; k < ROUNDS; k++) {
        if (r.ok[k] != 1 || r.reused[k] != THREADS - 1 || r.other[k] != 0)
            fail_msg("round %d: %d won, %d reuse, %d other", k, r.ok[k],
                     r.reused[k], r.other[k]);
    }
    /* every session ended by the losers' reuse */
    assert_string_equal(listed(st, NULL, T0), "");
    pthread_barrier_destroy(&r.go);
    pthread_mutex_destroy(&r.count);
    store_close(st);
}

static void
test_race_shared(void **state)
{
    (void)state;
    race(1);
}

/* One handle per thread: separate connections, as the daemon and jwtctl
   are separate processes; BEGIN IMMEDIATE and the busy timeout decide. */
static void
test_race_handles(void **state)
{
    (void)state;
    race(0);
}

/* ---- set-up ------------------------------------------------------------- */

static int
setup(void **state)
{
    pjwt_err e;

    (void)state;
    T0 = (int64_t)time(NULL);
    dir = test_mkdtemp("pjwt-store");
    if (dir == NULL)
        return -1;
    pjwt_err_clear(&e);
    if (pjwt_path_trusted(dir, geteuid(), PJWT_PATH_DIR, &e) != 0) {
        fprintf(stderr, "TMPDIR does not pass the trust rule (%s): run the "
                "tests through tests/run.sh\n", e.msg);
        return -1;
    }
    /* A hung lock would be a failure, not a stuck test run. */
    alarm(120);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[4200];
    int r;

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
    r = system(cmd);
    free(dir);
    return r == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_revoke),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_expire),
        cmocka_unit_test(test_persist),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_revocations),
        cmocka_unit_test(test_trust_keys),
        cmocka_unit_test(test_upgrade),
        cmocka_unit_test(test_race_shared),
        cmocka_unit_test(test_race_handles),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
