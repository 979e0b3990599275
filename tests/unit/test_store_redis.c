/*
 * test_store_redis.c: the Redis session store (issuer/sessions/store.h,
 * store_redis*.c) against a redis-server of its own (private directory,
 * unix socket, no TCP port, no persistence, a password from a 0600 file):
 * rotation and reuse, reuse seen through a second handle (two replicas),
 * expiry, revocation by hash, id and user, listing and forgetting, the
 * trust bundle's revocations and version, the shared rate buckets and key
 * registry; then the failures: a wrong or untrusted password file, bad
 * specs, no server, the server killed and restarted under an open handle,
 * and a hostile server answering garbage, where every call must fail
 * cleanly, within the timeout and without allocating what it declares.
 *
 * Exit 77 (skip) when redis-server is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "fileio.h"
#include "store.h"
#include "testdir.h"

#define REDIS_SERVER "/usr/bin/redis-server"
#define PASSWORD "t3st-pw-not-secret"
#define TIMEOUT_MS 1000         /* the store's per-command timeout here */

static char *dir;       /* this run's private directory */
static int64_t T0;      /* "now" of every test: the wall clock at start, as
                           the server's clock stamps revocations */
static pid_t redis_pid = -1;

/* ---- helpers ------------------------------------------------------------ */

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A distinct hash per n. */
static const uint8_t *
H(unsigned n)
{
    static uint8_t h[8][STORE_HASH_LEN];
    static unsigned next;
    uint8_t *p = h[next++ % 8];
    size_t i;

    for (i = 0; i < STORE_HASH_LEN; i++)
        p[i] = (uint8_t)(n * 7u + i * 13u + (n >> 8));
    p[0] = (uint8_t)n;
    p[1] = (uint8_t)(n >> 8);
    return p;
}

/* "DIR/NAME" (two buffers in turn, so a call can take two). */
static const char *
in_dir(const char *name)
{
    static char buf[2][4096];
    static int k;
    char *b = buf[k++ % 2];

    snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
    return b;
}

static void
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0 || write(fd, buf, len) != (ssize_t)len
        || fchmod(fd, mode) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        abort();
    }
    close(fd);
}

static const char *
spec_db(int db)
{
    static char buf[4200];

    snprintf(buf, sizeof(buf), "redis+unix://%s?db=%d", in_dir("redis.sock"),
             db);
    return buf;
}

static enum store_rc
open_with(const char *specstr, const char *pwfile, unsigned timeout,
          struct store **st, pjwt_err *e)
{
    struct store_opts o = { .password_file = pwfile, .timeout_ms = timeout };

    *st = NULL;
    pjwt_err_clear(e);
    return store_open(specstr, geteuid(), &o, st, e);
}

/* Every case works in DB 1 (flushed by the case: flush()), so a stray key
   of one case never reaches the next. */
static struct store *
open_ok(void)
{
    struct store *st = NULL;
    pjwt_err e;

    if (open_with(spec_db(1), in_dir("pw"), TIMEOUT_MS, &st, &e) != STORE_OK)
        fail_msg("open: %s", e.msg);
    assert_non_null(st);
    return st;
}

/* A hiredis connection of the test's own, authenticated, on DB 1. */
static redisContext *
admin(void)
{
    struct timeval tv = { 1, 0 };
    redisContext *c = redisConnectUnixWithTimeout(in_dir("redis.sock"), tv);
    redisReply *r;

    if (c == NULL || c->err) {
        if (c != NULL)
            redisFree(c);
        return NULL;
    }
    (void)redisSetTimeout(c, tv);
    r = redisCommand(c, "AUTH %s", PASSWORD);
    if (r == NULL || r->type != REDIS_REPLY_STATUS) {
        freeReplyObject(r);
        redisFree(c);
        return NULL;
    }
    freeReplyObject(r);
    freeReplyObject(redisCommand(c, "SELECT 1"));
    return c;
}

/* An integer answer of the admin connection (-1 on anything else). */
static long long
admin_int(const char *fmt, const char *a, const char *b)
{
    redisContext *c = admin();
    redisReply *r;
    long long v = -1;

    assert_non_null(c);
    r = redisCommand(c, fmt, a, b);
    if (r != NULL && r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static void
flush(void)
{
    redisContext *c = admin();
    redisReply *r;

    assert_non_null(c);
    r = redisCommand(c, "FLUSHDB");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
}

/* ---- the server --------------------------------------------------------- */

/* Start redis-server on DIR/redis.sock and wait (5 s at most) until it
   answers.  Its password is in its config file, never on argv. */
static int
start_redis(void)
{
    char conf[8192];
    redisContext *c = NULL;
    int i;

    snprintf(conf, sizeof(conf),
             "port 0\nunixsocket %s\nunixsocketperm 700\nsave \"\"\n"
             "appendonly no\ndaemonize no\nrequirepass %s\ndir %s\n"
             "logfile %s\ndatabases 4\n",
             in_dir("redis.sock"), PASSWORD, dir, in_dir("redis.log"));
    write_file(in_dir("redis.conf"), conf, strlen(conf), 0600);
    redis_pid = fork();
    if (redis_pid < 0)
        return -1;
    if (redis_pid == 0) {
        int nul = open("/dev/null", O_RDWR);

        /* the server dies with the test, even one killed by a signal, and
           holds none of its output pipes open */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (nul >= 0) {
            (void)dup2(nul, 0);
            (void)dup2(nul, 1);
            (void)dup2(nul, 2);
        }
        execl(REDIS_SERVER, "redis-server", in_dir("redis.conf"),
              (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 100; i++) {         /* 100 x 50 ms */
        if ((c = admin()) != NULL) {
            redisFree(c);
            return 0;
        }
        if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid) {
            redis_pid = -1;
            return -1;
        }
        usleep(50 * 1000);
    }
    return -1;
}

/* End our redis-server by its PID: TERM, then KILL after 5 s. */
static void
stop_redis(void)
{
    int i;

    if (redis_pid <= 0)
        return;
    (void)kill(redis_pid, SIGTERM);
    for (i = 0; i < 100; i++) {
        if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid) {
            redis_pid = -1;
            return;
        }
        usleep(50 * 1000);
    }
    (void)kill(redis_pid, SIGKILL);
    (void)waitpid(redis_pid, NULL, 0);
    redis_pid = -1;
}

/* ---- sessions ----------------------------------------------------------- */

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

static enum store_rc
find(struct store *st, unsigned hash, int64_t now, struct store_session *out)
{
    pjwt_err e;
    enum store_rc r;

    pjwt_err_clear(&e);
    r = store_find(st, H(hash), now, out, &e);
    if (r == STORE_ERROR)
        fail_msg("find: %s", e.msg);
    return r;
}

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

static void
test_rotate(void **state)
{
    struct store *st;
    struct store_session o;

    (void)state;
    flush();
    st = open_ok();
    assert_true(store_shared(st));
    mk(st, "s1", "alice", T0, 3600, 600, 1);
    memset(&o, 0, sizeof(o));
    assert_int_equal(find(st, 1, T0 + 1, &o), STORE_OK);
    assert_string_equal(o.id, "s1");
    assert_int_equal(find(st, 99, T0 + 1, NULL), STORE_NOT_FOUND);
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
    assert_int_equal(o.idle, 600);
    assert_int_equal(rot(st, 2, 3, T0 + 20, &o), STORE_OK);
    assert_int_equal(o.refreshes, 2);
    assert_int_equal(rot(st, 3, 4, T0 + 30, NULL), STORE_OK);
    /* find changes nothing: the old hash reads as reuse, the live one
       as live, and the session is still there */
    assert_int_equal(find(st, 1, T0 + 31, NULL), STORE_REUSED);
    assert_int_equal(find(st, 4, T0 + 31, NULL), STORE_OK);
    memset(&o, 0, sizeof(o));
    assert_int_equal(rot(st, 99, 100, T0 + 30, &o), STORE_NOT_FOUND);
    assert_string_equal(o.id, "");
    store_close(st);
}

static void
test_reuse(void **state)
{
    struct store *st;
    struct store_session o;

    (void)state;
    flush();
    st = open_ok();
    mk(st, "s1", "alice", T0, 3600, 600, 1);
    mk(st, "s2", "alice", T0, 3600, 600, 50);
    assert_int_equal(rot(st, 1, 2, T0 + 1, NULL), STORE_OK);
    assert_int_equal(rot(st, 2, 3, T0 + 2, NULL), STORE_OK);
    memset(&o, 0, sizeof(o));
    assert_int_equal(rot(st, 1, 9, T0 + 3, &o), STORE_REUSED);
    assert_string_equal(o.id, "s1");
    assert_string_equal(o.user, "alice");
    memset(&o, 0, sizeof(o));
    assert_int_equal(rot(st, 3, 4, T0 + 4, &o), STORE_ENDED);
    assert_string_equal(o.id, "s1");
    assert_int_equal(rot(st, 2, 5, T0 + 4, NULL), STORE_REUSED);
    assert_int_equal(find(st, 3, T0 + 4, NULL), STORE_ENDED);
    assert_string_equal(listed(st, NULL, T0 + 5), "s2");
    assert_int_equal(rot(st, 50, 51, T0 + 5, NULL), STORE_OK);
    store_close(st);
}

/* Two replicas: a hash rotated on one is reuse on the other, and that
   ends the session for both. */
static void
test_reuse_replicas(void **state)
{
    struct store *a, *b;

    (void)state;
    flush();
    a = open_ok();
    b = open_ok();
    mk(a, "r1", "alice", T0, 3600, 0, 1);
    assert_int_equal(find(b, 1, T0 + 1, NULL), STORE_OK);
    assert_int_equal(rot(a, 1, 2, T0 + 1, NULL), STORE_OK);
    /* the stale hash on the other replica: the compare-and-set fails */
    assert_int_equal(rot(b, 1, 3, T0 + 2, NULL), STORE_REUSED);
    assert_int_equal(rot(a, 2, 4, T0 + 3, NULL), STORE_ENDED);
    assert_int_equal(find(b, 2, T0 + 3, NULL), STORE_ENDED);
    assert_string_equal(listed(a, NULL, T0 + 3), "");
    store_close(a);
    store_close(b);
}

static void
test_expiry(void **state)
{
    struct store *st;
    struct store_session o;

    (void)state;
    flush();
    st = open_ok();
    mk(st, "abs1", "alice", T0, 100, 0, 1);
    mk(st, "abs2", "alice", T0, 100, 0, 11);
    assert_int_equal(rot(st, 1, 2, T0 + 99, NULL), STORE_OK);
    memset(&o, 0, sizeof(o));
    assert_int_equal(rot(st, 11, 12, T0 + 100, &o), STORE_ENDED);
    assert_string_equal(o.id, "abs2");
    assert_int_equal(rot(st, 11, 12, T0 + 50, NULL), STORE_ENDED);
    assert_int_equal(find(st, 2, T0 + 100, NULL), STORE_ENDED);
    mk(st, "idle1", "bob", T0, 1000, 50, 21);
    assert_int_equal(rot(st, 21, 22, T0 + 49, NULL), STORE_OK);
    assert_int_equal(rot(st, 22, 23, T0 + 98, NULL), STORE_OK);
    assert_int_equal(find(st, 23, T0 + 148, NULL), STORE_ENDED);
    assert_int_equal(rot(st, 23, 24, T0 + 148, &o), STORE_ENDED);
    assert_string_equal(o.id, "idle1");
    mk(st, "noidle", "bob", T0, 1000, 0, 31);
    assert_int_equal(rot(st, 31, 32, T0 + 999, NULL), STORE_OK);
    /* Redis forgets a session at its absolute end by itself */
    assert_int_equal(admin_int("TTL pamjwt:s:%s", "noidle", NULL) > 900, 1);
    store_close(st);
}

static void
test_revoke(void **state)
{
    struct store *st;
    struct store_session o;
    pjwt_err e;
    size_t n = 99;

    (void)state;
    flush();
    st = open_ok();
    pjwt_err_clear(&e);
    mk(st, "h1", "alice", T0, 3600, 0, 1);
    mk(st, "h2", "alice", T0, 3600, 0, 11);
    assert_int_equal(rot(st, 11, 12, T0 + 1, NULL), STORE_OK);
    memset(&o, 0, sizeof(o));
    assert_int_equal(store_revoke_hash(st, H(1), &o, &e), STORE_OK);
    assert_string_equal(o.id, "h1");
    assert_int_equal(rot(st, 1, 2, T0 + 2, NULL), STORE_ENDED);
    memset(&o, 0, sizeof(o));
    assert_int_equal(store_revoke_hash(st, H(11), &o, &e), STORE_OK);
    assert_string_equal(o.id, "h2");
    assert_int_equal(rot(st, 12, 13, T0 + 2, NULL), STORE_ENDED);
    assert_int_equal(store_revoke_hash(st, H(77), &o, &e), STORE_NOT_FOUND);

    mk(st, "i1", "carol", T0, 3600, 0, 21);
    assert_int_equal(store_revoke_id(st, "i1", &e), STORE_OK);
    assert_int_equal(store_revoke_id(st, "i1", &e), STORE_NOT_FOUND);
    assert_int_equal(store_revoke_id(st, "nosuch", &e), STORE_NOT_FOUND);
    assert_int_equal(rot(st, 21, 22, T0 + 3, NULL), STORE_ENDED);

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

static void
test_list(void **state)
{
    struct store *st;
    struct seen w;
    pjwt_err e;

    (void)state;
    flush();
    st = open_ok();
    pjwt_err_clear(&e);
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
    assert_string_equal(listed(st, "bob", T0 - 50), "idle,a");
    assert_int_equal(rot(st, 2, 7, T0, NULL), STORE_OK);
    assert_string_equal(listed(st, NULL, T0), "a,b,c");
    memset(&w, 0, sizeof(w));
    w.stop_after = 2;
    assert_int_equal(store_list(st, NULL, T0, collect, &w, &e), STORE_OK);
    assert_string_equal(w.ids, "a,b");
    store_close(st);
}

static void
test_expire(void **state)
{
    struct store *st;
    pjwt_err e;
    size_t n = 99;

    (void)state;
    flush();
    st = open_ok();
    pjwt_err_clear(&e);
    mk(st, "live", "alice", T0, 3600, 600, 1);
    mk(st, "abs", "alice", T0 - 200, 100, 0, 2);        /* ended T0-100 */
    mk(st, "idle", "alice", T0 - 200, 3600, 50, 3);     /* ended T0-150 */
    mk(st, "reused", "bob", T0, 3600, 0, 4);
    assert_int_equal(rot(st, 4, 5, T0, NULL), STORE_OK);
    assert_int_equal(rot(st, 4, 6, T0, NULL), STORE_REUSED);
    assert_int_equal(rot(st, 1, 7, T0, NULL), STORE_OK);
    /* "reused" ended at T0 (its end is the rotate's now): kept at T0 */
    assert_int_equal(store_expire(st, T0, &n, &e), STORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(admin_int("EXISTS pamjwt:s:%s", "idle", NULL), 0);
    assert_int_equal(admin_int("EXISTS pamjwt:s:%s", "reused", NULL), 1);
    assert_int_equal(store_expire(st, T0 + 1, &n, &e), STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(admin_int("EXISTS pamjwt:s:%s", "reused", NULL), 0);
    assert_int_equal(admin_int("SCARD pamjwt:u:%s", "bob", NULL), 0);
    assert_int_equal(store_expire(st, T0 + 1, &n, &e), STORE_OK);
    assert_int_equal(n, 0);
    assert_string_equal(listed(st, NULL, T0 + 1), "live");
    assert_int_equal(rot(st, 7, 8, T0 + 1, NULL), STORE_OK);
    store_close(st);
}

/* ---- the trust bundle's part -------------------------------------------- */

static int64_t
version_of(struct store *st)
{
    int64_t v = -1;
    pjwt_err e;

    pjwt_err_clear(&e);
    if (store_trust_version(st, &v, &e) != STORE_OK)
        fail_msg("version: %s", e.msg);
    return v;
}

static enum store_rc
radd(struct store *st, enum store_revoke_kind kind, const char *value,
     int64_t before, int *changed, int64_t *v, pjwt_err *e)
{
    struct store_revocation r;
    size_t n = strlen(value) + 1;

    memset(&r, 0, sizeof(r));
    r.kind = kind;
    memcpy(r.value, value, n < sizeof(r.value) ? n : sizeof(r.value));
    r.before = before;
    pjwt_err_clear(e);
    return store_revoke_add(st, &r, changed, v, e);
}

static int
rcollect(const struct store_revocation *r, void *ctx)
{
    char *s = ctx;
    size_t l = strlen(s);

    snprintf(s + l, 2048 - l, "%s%s:%s%s", l ? "," : "",
             r->kind == STORE_REVOKE_JTI ? "jti" : "sub", r->value,
             r->before ? "<" : "");
    if (r->added < T0 - 5)
        snprintf(s + strlen(s), 2048 - strlen(s), "(bad added)");
    return 0;
}

static const char *
rlisted(struct store *st, int64_t *v)
{
    static char s[2048];
    pjwt_err e;

    s[0] = '\0';
    pjwt_err_clear(&e);
    if (store_revoke_list(st, v, rcollect, s, &e) != STORE_OK)
        fail_msg("revoke list: %s", e.msg);
    return s;
}

static void
test_revocations(void **state)
{
    struct store *st, *b;
    int64_t v0, v, lv;
    int changed;
    pjwt_err e;

    (void)state;
    flush();
    st = open_ok();
    /* The first change of a store made afresh (no version yet) is one:
       the fixed bug answered *changed = 0 for a new entry. */
    changed = -1;
    assert_int_equal(radd(st, STORE_REVOKE_JTI, "first", 0, &changed, &v, &e),
                     STORE_OK);
    assert_int_equal(changed, 1);
    assert_true(v >= T0);
    assert_int_equal(store_revoke_remove(st, STORE_REVOKE_JTI, "first", &v,
                                         &e), STORE_OK);
    flush();
    v0 = version_of(st);
    assert_true(v0 >= T0 && v0 <= T0 + 30);
    assert_string_equal(rlisted(st, &lv), "");
    assert_int_equal(lv, v0);

    /* A new entry is a change (the fixed bug: Redis answered 0). */
    changed = -1;
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "alice", 0, &changed, &v, &e),
                     STORE_OK);
    assert_int_equal(changed, 1);
    assert_true(v > v0);
    assert_int_equal(version_of(st), v);
    changed = -1;
    assert_int_equal(radd(st, STORE_REVOKE_JTI, "t-1", 0, &changed, &v0, &e),
                     STORE_OK);
    assert_int_equal(changed, 1);
    assert_true(v0 > v);
    v = v0;
    assert_string_equal(rlisted(st, &lv), "sub:alice,jti:t-1");
    assert_int_equal(lv, v);

    /* The same entry again: no change, the version stays. */
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "alice", 0, &changed, &v0, &e),
                     STORE_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(v0, v);
    /* A new cut-off replaces it. */
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "alice", T0, &changed, &v0,
                          &e), STORE_OK);
    assert_int_equal(changed, 1);
    assert_true(v0 > v);
    v = v0;
    assert_string_equal(rlisted(st, NULL), "jti:t-1,sub:alice<");
    assert_int_equal(radd(st, STORE_REVOKE_JTI, "alice", 0, &changed, &v, &e),
                     STORE_OK);
    assert_int_equal(changed, 1);

    /* Refusals change nothing. */
    v0 = version_of(st);
    assert_int_equal(radd(st, STORE_REVOKE_SUB, "a b", 0, &changed, NULL, &e),
                     STORE_ERROR);
    assert_int_equal(radd(st, STORE_REVOKE_JTI, "t-2", 5, &changed, NULL, &e),
                     STORE_ERROR);
    assert_int_equal(version_of(st), v0);

    /* The other replica sees the same list and version. */
    b = open_ok();
    assert_string_equal(rlisted(b, &lv), "jti:t-1,sub:alice<,jti:alice");
    assert_int_equal(lv, v0);

    pjwt_err_clear(&e);
    assert_int_equal(store_revoke_remove(b, STORE_REVOKE_SUB, "t-1", &v, &e),
                     STORE_NOT_FOUND);
    assert_int_equal(v, v0);
    assert_int_equal(store_revoke_remove(b, STORE_REVOKE_JTI, "t-1", &v, &e),
                     STORE_OK);
    assert_true(v > v0);
    assert_int_equal(version_of(st), v);
    assert_string_equal(rlisted(st, NULL), "sub:alice<,jti:alice");
    store_close(b);
    store_close(st);
}

static void
test_trust_keys(void **state)
{
    struct store *st;
    int64_t v0, v;
    pjwt_err e;

    (void)state;
    flush();
    st = open_ok();
    v0 = version_of(st);
    pjwt_err_clear(&e);
    assert_int_equal(store_trust_keys(st, H(1), &v, &e), STORE_OK);
    assert_int_equal(v, v0);
    assert_int_equal(store_trust_keys(st, H(1), &v, &e), STORE_OK);
    assert_int_equal(v, v0);
    assert_int_equal(store_trust_keys(st, H(2), &v, &e), STORE_OK);
    assert_true(v > v0);
    v0 = v;
    assert_int_equal(store_trust_keys(st, H(2), &v, &e), STORE_OK);
    assert_int_equal(v, v0);
    assert_int_equal(store_trust_keys(st, H(1), &v, &e), STORE_OK);
    assert_true(v > v0);
    assert_int_equal(store_trust_keys(st, NULL, &v, &e), STORE_ERROR);
    store_close(st);
}

/* ---- shared by replicas: rate buckets, key registry ----------------------- */

static enum store_rc
acq(struct store *st, const struct store_bucket *b, size_t n, unsigned *ra)
{
    pjwt_err e;
    enum store_rc r;

    *ra = 999;
    pjwt_err_clear(&e);
    r = store_rate_acquire(st, b, n, ra, &e);
    if (r != STORE_OK)
        fail_msg("acquire: %s", e.msg);
    return r;
}

static void
test_rate(void **state)
{
    struct store *a, *b;
    struct store_bucket one = { "ip:192.0.2.1", 1 };
    struct store_bucket two = { "user:alice", 2 };
    struct store_bucket both[2], four[4] = {
        { "k1", 10 }, { "k2", 10 }, { "k3", 10 }, { "k4", 1 },
    };
    unsigned ra;
    pjwt_err e;

    (void)state;
    flush();
    a = open_ok();
    b = open_ok();
    both[0] = one;
    both[1] = two;
    /* both have room: charged to both */
    assert_int_equal(acq(a, both, 2, &ra), STORE_OK);
    assert_int_equal(ra, 0);
    /* "one" is full: refused, with a wait, and "two" is not charged */
    assert_int_equal(acq(a, both, 2, &ra), STORE_OK);
    assert_true(ra > 0 && ra <= 60);
    assert_int_equal(acq(a, &two, 1, &ra), STORE_OK);
    assert_int_equal(ra, 0);
    /* now "two" is full too, seen from the other replica */
    assert_int_equal(acq(b, &two, 1, &ra), STORE_OK);
    assert_true(ra > 0);
    assert_int_equal(acq(b, &one, 1, &ra), STORE_OK);
    assert_true(ra > 0);
    /* a release on one replica makes room on the other */
    pjwt_err_clear(&e);
    assert_int_equal(store_rate_release(b, &one, 1, &e), STORE_OK);
    assert_int_equal(acq(a, &one, 1, &ra), STORE_OK);
    assert_int_equal(ra, 0);
    /* release never goes below 0: two releases, then one hit fills "one" */
    assert_int_equal(store_rate_release(a, &one, 1, &e), STORE_OK);
    assert_int_equal(store_rate_release(a, &one, 1, &e), STORE_OK);
    assert_int_equal(acq(b, &one, 1, &ra), STORE_OK);
    assert_int_equal(ra, 0);
    assert_int_equal(acq(b, &one, 1, &ra), STORE_OK);
    assert_true(ra > 0);

    /* four buckets, the last full: none of the others is charged */
    assert_int_equal(acq(a, &four[3], 1, &ra), STORE_OK);
    assert_int_equal(ra, 0);
    assert_int_equal(acq(a, four, 4, &ra), STORE_OK);
    assert_true(ra > 0);
    assert_int_equal(admin_int("EXISTS pamjwt:rl:%s", "k1", NULL), 0);
    assert_int_equal(admin_int("EXISTS pamjwt:rl:%s", "k3", NULL), 0);
    assert_int_equal(acq(a, four, 3, &ra), STORE_OK);
    assert_int_equal(ra, 0);
    assert_int_equal(admin_int("EXISTS pamjwt:rl:%s", "k1", NULL), 1);
    store_close(b);
    store_close(a);
}

struct kseen {
    char kids[512];
    int bad;
};

static int
kcollect(const struct store_pubkey *k, void *ctx)
{
    struct kseen *w = ctx;
    size_t l = strlen(w->kids);

    snprintf(w->kids + l, sizeof(w->kids) - l, "%s%s", l ? "," : "", k->kid);
    if (strstr(k->jwk, k->kid) == NULL || k->until <= T0)
        w->bad = 1;
    return 0;
}

static void
pubkey(struct store_pubkey *k, const char *kid, int64_t until)
{
    memset(k, 0, sizeof(*k));
    snprintf(k->kid, sizeof(k->kid), "%s", kid);
    snprintf(k->jwk, sizeof(k->jwk), "{\"kty\":\"OKP\",\"kid\":\"%s\","
             "\"pamjwt_state\":\"current\"}", kid);
    k->until = until;
}

static void
test_keys(void **state)
{
    struct store *a, *b;
    struct store_pubkey ka[2], kb[1];
    struct kseen w;
    pjwt_err e;

    (void)state;
    flush();
    a = open_ok();
    b = open_ok();
    pubkey(&ka[0], "kid-a1", T0 + 100);
    pubkey(&ka[1], "kid-a0", T0 - 1);          /* past: not collected */
    pubkey(&kb[0], "kid-b1", T0 + 50);
    pjwt_err_clear(&e);
    assert_int_equal(store_keys_publish(a, ka, 2, &e), STORE_OK);
    assert_int_equal(store_keys_publish(b, kb, 1, &e), STORE_OK);
    memset(&w, 0, sizeof(w));
    assert_int_equal(store_keys_collect(b, T0, kcollect, &w, &e), STORE_OK);
    assert_string_equal(w.kids, "kid-a1,kid-b1");
    assert_int_equal(w.bad, 0);
    /* the past one was removed */
    assert_int_equal(admin_int("HEXISTS pamjwt:keys %s", "kid-a0", NULL), 0);
    /* at T0 + 60 only a's key is still published */
    memset(&w, 0, sizeof(w));
    assert_int_equal(store_keys_collect(a, T0 + 60, kcollect, &w, &e),
                     STORE_OK);
    assert_string_equal(w.kids, "kid-a1");
    /* a heartbeat renews */
    pubkey(&kb[0], "kid-b1", T0 + 200);
    assert_int_equal(store_keys_publish(b, kb, 1, &e), STORE_OK);
    memset(&w, 0, sizeof(w));
    assert_int_equal(store_keys_collect(a, T0 + 150, kcollect, &w, &e),
                     STORE_OK);
    assert_string_equal(w.kids, "kid-b1");
    store_close(b);
    store_close(a);
}

/* ---- failures ----------------------------------------------------------- */

static void
open_refused(const char *specstr, const char *pwfile, const char *want)
{
    struct store *st = (struct store *)&st;
    pjwt_err e;

    assert_int_equal(open_with(specstr, pwfile, TIMEOUT_MS, &st, &e),
                     STORE_ERROR);
    assert_null(st);
    if (strstr(e.msg, want) == NULL)
        fail_msg("message '%s' lacks '%s'", e.msg, want);
}

static void
test_refusals(void **state)
{
    static const char *bad[] = {
        "redis://", "redis://:6379", "redis://host:0", "redis://host:65536",
        "redis://host:12x", "redis://host/x", "redis://host/1/2",
        "redis://[::1", "redis://u:pw@host", "redis+unix://rel/path",
        "redis+unix://", "redis+unix:///x?db=", "redis+unix:///x?db=a",
        "redis+unix:///x?foo=1", "redis:/x",
    };
    const char *pwbad = in_dir("pw-wrong");
    char sock[4200];
    struct store *st;
    pjwt_err e;
    size_t i;

    (void)state;
    write_file(pwbad, "wrong\n", 6, 0600);
    open_refused(spec_db(1), pwbad, "AUTH");
    /* trust rule: a password file others may read is refused */
    write_file(in_dir("pw-open"), PASSWORD "\n", strlen(PASSWORD) + 1, 0644);
    open_refused(spec_db(1), in_dir("pw-open"), "pw-open");
    open_refused(spec_db(1), in_dir("pw-none"), "pw-none");
    write_file(in_dir("pw-empty"), "\n", 1, 0600);
    open_refused(spec_db(1), in_dir("pw-empty"), "one line");
    write_file(in_dir("pw-2"), "a\nb\n", 4, 0600);
    open_refused(spec_db(1), in_dir("pw-2"), "one line");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        st = (struct store *)&st;
        if (open_with(bad[i], in_dir("pw"), TIMEOUT_MS, &st, &e)
            != STORE_ERROR)
            fail_msg("spec '%s' accepted", bad[i]);
        assert_null(st);
        if (e.code != PJWT_ERR_CONF)
            fail_msg("spec '%s': code %d (%s)", bad[i], e.code, e.msg);
    }
    /* nothing listens there */
    snprintf(sock, sizeof(sock), "redis+unix://%s", in_dir("nosuch.sock"));
    open_refused(sock, in_dir("pw"), "cannot connect");
    /* no password: SELECT of DB 1 meets NOAUTH at open */
    open_refused(spec_db(1), NULL, "NOAUTH");
    /* a DB beyond the server's: SELECT fails at open */
    open_refused(spec_db(9), in_dir("pw"), "SELECT");
}

/* The server killed under an open handle: errors within the timeout,
   fast ones while backing off, and the same handle works once it is
   back. */
static void
test_restart(void **state)
{
    struct store *st;
    struct store_session o;
    pjwt_err e;
    int64_t t, v;
    int i, ok = 0;

    (void)state;
    flush();
    st = open_ok();
    mk(st, "k1", "alice", T0, 3600, 0, 1);
    stop_redis();
    t = mono_ms();
    pjwt_err_clear(&e);
    assert_int_equal(store_find(st, H(1), T0, &o, &e), STORE_ERROR);
    assert_true(e.msg[0] != '\0');
    assert_int_equal(store_trust_version(st, &v, &e), STORE_ERROR);
    assert_int_equal(store_rate_acquire(st, &(struct store_bucket){ "x", 5 },
                                        1, &(unsigned){ 0 }, &e), STORE_ERROR);
    assert_true(mono_ms() - t < 3 * TIMEOUT_MS);
    assert_int_equal(start_redis(), 0);
    /* backoff 100 ms doubling to 5 s: bounded wait for it to come back */
    for (i = 0; i < 100 && !ok; i++) {
        pjwt_err_clear(&e);
        ok = store_trust_version(st, &v, &e) == STORE_OK;
        if (!ok)
            usleep(100 * 1000);
    }
    if (!ok)
        fail_msg("no reconnect: %s", e.msg);
    /* the server kept nothing (save ""), but the handle works */
    mk(st, "k2", "alice", T0, 3600, 0, 2);
    assert_int_equal(find(st, 2, T0 + 1, NULL), STORE_OK);
    store_close(st);
}

/* ---- a hostile server --------------------------------------------------- */

/* A fake Redis on its own socket: every request it reads is answered
   with the current script's bytes, then (close) the connection ends. */
struct script {
    const char *name;
    const char *bytes;
    size_t len;         /* 0: strlen(bytes) */
    size_t pad;         /* then this many 'x' bytes */
    int close;
    int only;           /* 0: every call must fail; else only call only-1
                           (the bytes are a well-formed answer to others) */
};

static struct {
    int lfd;
    volatile int stop;
    const struct script *volatile cur;
} fake;

static void
send_all(int fd, const char *b, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = send(fd, b, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;     /* the client gave up: fine */
        b += w;
        n -= (size_t)w;
    }
}

static void *
fake_main(void *arg)
{
    static char pad[256 * 1024];
    int cfd = -1, loops;
    char buf[65536];

    (void)arg;
    memset(pad, 'x', sizeof(pad));
    for (loops = 0; !fake.stop && loops < 100000; loops++) {
        struct pollfd p[2] = { { fake.lfd, POLLIN, 0 }, { cfd, POLLIN, 0 } };
        const struct script *s;
        ssize_t n;

        if (poll(p, cfd >= 0 ? 2 : 1, 100) <= 0)
            continue;
        if (p[0].revents & POLLIN) {
            if (cfd >= 0)
                close(cfd);
            cfd = accept(fake.lfd, NULL, NULL);
            continue;
        }
        if (cfd < 0 || !(p[1].revents & (POLLIN | POLLHUP)))
            continue;
        n = read(cfd, buf, sizeof(buf));
        if (n <= 0 || (s = fake.cur) == NULL) {
            close(cfd);
            cfd = -1;
            continue;
        }
        send_all(cfd, s->bytes, s->len ? s->len : strlen(s->bytes));
        if (s->pad > 0)
            send_all(cfd, pad, s->pad < sizeof(pad) ? s->pad : sizeof(pad));
        if (s->close) {
            close(cfd);
            cfd = -1;
        }
    }
    if (cfd >= 0)
        close(cfd);
    return NULL;
}

static int
nopk(const struct store_pubkey *k, void *ctx)
{
    (void)k;
    (void)ctx;
    return 0;
}

static int
norev(const struct store_revocation *r, void *ctx)
{
    (void)r;
    (void)ctx;
    return 0;
}

static int
nosess(const struct store_session *s, void *ctx)
{
    (void)s;
    (void)ctx;
    return 0;
}

static void
test_hostile(void **state)
{
    static char nested[200];
    static const struct script scripts[] = {
        { "status for an array", "+OK\r\n", 0, 0, 0, 0 },
        { "negative bulk", "$-5\r\n", 0, 0, 0, 0 },
        { "bulk of 2^40", "$1099511627776\r\n", 0, 200 * 1024, 0, 0 },
        { "array of 10^9", "*1000000000\r\n", 0, 0, 0, 0 },
        { "nested arrays", nested, 0, 0, 0, 0 },
        { "not RESP", "HTTP/1.1 400 Bad Request\r\n\r\n", 0, 0, 0, 0 },
        { "binary", "\0\xff\x01\r\n", 5, 0, 0, 0 },
        { "closed mid-reply", "*3\r\n:1\r\n$5\r\nab", 0, 0, 1, 0 },
        { "stalls mid-reply", "*3\r\n:1\r\n$5\r\nab", 0, 0, 0, 0 },
        { "silent", "", 0, 0, 0, 0 },
        { "closes at once", "", 0, 0, 1, 0 },
        { "error", "-ERR no\r\n", 0, 0, 0, 0 },
        { "bad session", "*3\r\n:1\r\n:7\r\n*2\r\n:1\r\n:2\r\n", 0, 0, 0, 0 },
        { "odd session", "*3\r\n:1\r\n$2\r\nid\r\n*1\r\n$4\r\nuser\r\n",
          0, 0, 0, 0 },
        { "scan of short keys", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nx\r\n",
          0, 0, 0, 7 },
        { "endless scan", "*2\r\n$1\r\n1\r\n*0\r\n", 0, 0, 0, 7 },
        { "huge integer", ":99999999999999999999999999\r\n", 0, 0, 0, 0 },
    };
    struct sockaddr_un sa;
    struct store_bucket bk = { "b", 5 };
    struct store_pubkey pk;
    pthread_t th;
    struct store *st;
    char specstr[4200];
    pjwt_err e;
    size_t i, j;
    int64_t t, v;
    unsigned ra;
    int ch;

    (void)state;
    for (i = 0; i < 40; i++)
        memcpy(nested + 4 * i, "*1\r\n", 4);
    memcpy(nested + 160, ":1\r\n", 5);
    pubkey(&pk, "k", T0 + 10);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", in_dir("fake.sock"));
    fake.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fake.lfd >= 0);
    assert_int_equal(bind(fake.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fake.lfd, 8), 0);
    fake.stop = 0;
    fake.cur = &scripts[0];
    assert_int_equal(pthread_create(&th, NULL, fake_main, NULL), 0);
    /* no password, DB 0: open sends nothing, so every byte the fake
       answers lands on a store call */
    snprintf(specstr, sizeof(specstr), "redis+unix://%s", sa.sun_path);
    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        fake.cur = &scripts[i];
        if (open_with(specstr, NULL, 300, &st, &e) != STORE_OK)
            fail_msg("%s: open: %s", scripts[i].name, e.msg);
        for (j = 0; j < 12; j++) {
            enum store_rc r = STORE_OK;

            if (scripts[i].only && j + 1 != (size_t)scripts[i].only)
                continue;
            t = mono_ms();
            pjwt_err_clear(&e);
            switch (j) {
            case 0: r = store_trust_version(st, &v, &e); break;
            case 1: r = store_find(st, H(1), T0, NULL, &e); break;
            case 2: r = store_rotate(st, H(1), H(2), T0, NULL, &e); break;
            case 3: r = store_revoke_list(st, NULL, norev, NULL, &e); break;
            case 4: r = store_keys_collect(st, T0, nopk, NULL, &e); break;
            case 5: r = store_rate_acquire(st, &bk, 1, &ra, &e); break;
            case 6: r = store_list(st, NULL, T0, nosess, NULL, &e); break;
            case 7: r = store_expire(st, T0, NULL, &e); break;
            case 8: r = store_revoke_user(st, "alice", NULL, &e); break;
            case 9: r = store_keys_publish(st, &pk, 1, &e); break;
            case 10: r = radd(st, STORE_REVOKE_SUB, "bob", 0, &ch, NULL, &e);
                break;
            case 11: r = store_list(st, "alice", T0, nosess, NULL, &e);
                break;
            }
            if (r != STORE_ERROR)
                fail_msg("%s: call %zu: %d, not STORE_ERROR", scripts[i].name,
                         j, r);
            if (e.msg[0] == '\0')
                fail_msg("%s: call %zu: no message", scripts[i].name, j);
            /* a reconnect may take a second timeout (NOSCRIPT, EVAL) */
            if (mono_ms() - t > 3 * 300 + 500)
                fail_msg("%s: call %zu took %lld ms", scripts[i].name, j,
                         (long long)(mono_ms() - t));
        }
        store_close(st);
    }
    fake.stop = 1;
    pthread_join(th, NULL);
    close(fake.lfd);
}

/* ---- setup -------------------------------------------------------------- */

static void
cleanup(void)
{
    char cmd[4200];

    stop_redis();
    if (dir != NULL) {
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
        free(dir);
        dir = NULL;
    }
}

/* The alarm (a hung case) or a TERM: end the server before dying. */
static void
on_signal(int sig)
{
    if (redis_pid > 0)
        (void)kill(redis_pid, SIGKILL);
    _exit(128 + sig);
}

static int
setup(void **state)
{
    pjwt_err e;

    (void)state;
    T0 = (int64_t)time(NULL);
    dir = test_mkdtemp("pjwt-redis");
    if (dir == NULL)
        return -1;
    pjwt_err_clear(&e);
    if (pjwt_path_trusted(dir, geteuid(), PJWT_PATH_DIR, &e) != 0) {
        fprintf(stderr, "TMPDIR does not pass the trust rule (%s): run the "
                "tests through tests/run.sh\n", e.msg);
        return -1;
    }
    write_file(in_dir("pw"), PASSWORD "\n", strlen(PASSWORD) + 1, 0600);
    if (start_redis() != 0) {
        fprintf(stderr, "redis-server did not start (see %s)\n",
                in_dir("redis.log"));
        return -1;
    }
    /* A hang is a failure, not a stuck test run. */
    alarm(120);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    cleanup();
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_reuse_replicas),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_revoke),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_expire),
        cmocka_unit_test(test_revocations),
        cmocka_unit_test(test_trust_keys),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_hostile),
    };

    if (access(REDIS_SERVER, X_OK) != 0) {
        printf("skip: %s is not installed\n", REDIS_SERVER);
        return 77;
    }
    (void)signal(SIGPIPE, SIG_IGN);
    (void)signal(SIGALRM, on_signal);
    (void)signal(SIGTERM, on_signal);
    /* a failing case must not leave the server running */
    (void)atexit(cleanup);
    return cmocka_run_group_tests(tests, setup, teardown);
}
