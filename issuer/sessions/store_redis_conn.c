/*
 * store_redis_conn.c: the Redis store's connection (store_redis.h): the
 * spec, the password file, connecting (AUTH, SELECT), the one path every
 * command takes, and reconnecting with backoff.
 *
 * Every command is formatted by hiredis and then written and read here,
 * against one deadline (timeout_ms for the whole command, however the
 * server trickles), with every reply bounded: a single item may not
 * exceed RD_BULK_MAX (hiredis 0.14 buffers a bulk string whole before
 * handing it over, so the unconsumed buffer is what is checked), a reply
 * not RD_REPLY_MAX bytes on the wire nor RD_ELEMS_MAX array elements (a
 * reader hook counts them before hiredis allocates).  A server that breaks
 * any of these, or the protocol, is an error and the connection dropped.
 *
 * Backoff: a dropped connection is tried again at the next call; one that
 * cannot be made waits 100 ms, doubling to 5 s, and calls meanwhile fail
 * at once, so no call waits longer than the timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "store_redis.h"

#define RD_BULK_MAX (64 * 1024)
#define RD_REPLY_MAX (48u * 1024 * 1024)
#define RD_ELEMS_MAX (2u * PJWT_BUNDLE_MAX_REVOKED + 1024)
#define RD_PASSWORD_MAX 1024

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the reply budget: hiredis reader hooks ---------------------------- */

static void *
hook_string(const redisReadTask *t, char *s, size_t len)
{
    struct rd *h = t->privdata;

    return h->dflt->createString(t, s, len);
}

static void *
hook_array(const redisReadTask *t, int n)
{
    struct rd *h = t->privdata;

    if (n < 0 || (size_t)n > h->elems_left) {
        h->too_big = 1;
        return NULL;            /* hiredis: an error, nothing allocated */
    }
    h->elems_left -= (size_t)n;
    return h->dflt->createArray(t, n);
}

static void *
hook_integer(const redisReadTask *t, long long v)
{
    struct rd *h = t->privdata;

    return h->dflt->createInteger(t, v);
}

static void *
hook_nil(const redisReadTask *t)
{
    struct rd *h = t->privdata;

    return h->dflt->createNil(t);
}

static redisReplyObjectFunctions hooks = {
    hook_string, hook_array, hook_integer, hook_nil, freeReplyObject,
};

/* ---- connecting -------------------------------------------------------- */

static void
drop(struct rd *h)
{
    if (h->c != NULL)
        redisFree(h->c);
    h->c = NULL;
}

enum store_rc
rd_bad_reply(struct rd *h, const char *what, pjwt_err *err)
{
    drop(h);
    PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s: unexpected reply", h->name, what);
    return STORE_ERROR;
}

/* Write len bytes of buf before the deadline. */
static enum store_rc
send_all(struct rd *h, const char *buf, size_t len, int64_t deadline,
         pjwt_err *err)
{
    struct pollfd p = { h->c->fd, POLLOUT, 0 };
    ssize_t w;
    int64_t left;

    while (len > 0) {
        if ((left = deadline - mono_ms()) <= 0 || poll(&p, 1, (int)left) == 0) {
            PJWT_FAIL(err, PJWT_ERR_IO, "%s: timed out", h->name);
            return STORE_ERROR;
        }
        w = write(h->c->fd, buf, len);
        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (w <= 0) {
            PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", h->name, strerror(errno));
            return STORE_ERROR;
        }
        buf += w;
        len -= (size_t)w;
    }
    return STORE_OK;
}

/* Read one reply, within the deadline and the budget. */
static enum store_rc
recv_reply(struct rd *h, int64_t deadline, redisReply **out, pjwt_err *err)
{
    redisReader *rd = h->c->reader;
    struct pollfd p = { h->c->fd, POLLIN, 0 };
    char buf[16384];
    size_t total = 0;
    void *reply = NULL;
    ssize_t n;
    int64_t left;

    h->elems_left = RD_ELEMS_MAX;
    h->too_big = 0;
    for (;;) {
        if (redisReaderGetReply(rd, &reply) != REDIS_OK) {
            PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", h->name, h->too_big
                      ? "reply too large" : "protocol error");
            return STORE_ERROR;
        }
        if (reply != NULL) {
            *out = reply;
            return STORE_OK;
        }
        if (rd->len - rd->pos > RD_BULK_MAX + sizeof(buf)
            || total > RD_REPLY_MAX) {
            PJWT_FAIL(err, PJWT_ERR_IO, "%s: reply too large", h->name);
            return STORE_ERROR;
        }
        if ((left = deadline - mono_ms()) <= 0 || poll(&p, 1, (int)left) == 0) {
            PJWT_FAIL(err, PJWT_ERR_IO, "%s: timed out", h->name);
            return STORE_ERROR;
        }
        n = read(h->c->fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s", h->name,
                      n == 0 ? "connection closed" : strerror(errno));
            return STORE_ERROR;
        }
        total += (size_t)n;
        if (redisReaderFeed(rd, buf, (size_t)n) != REDIS_OK) {
            PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
            return STORE_ERROR;
        }
    }
}

/* Send argv, read its reply (any type) in *out; cleanse the formatted
   command when it carries a secret.  Errors drop the connection. */
static enum store_rc
roundtrip(struct rd *h, int argc, const char **argv, const size_t *lens,
          int secret, redisReply **out, pjwt_err *err)
{
    int64_t deadline = mono_ms() + h->timeout_ms;
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    enum store_rc r;

    *out = NULL;
    if (len < 0) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        return STORE_ERROR;
    }
    r = send_all(h, cmd, (size_t)len, deadline, err);
    if (secret)
        explicit_bzero(cmd, (size_t)len);
    redisFreeCommand(cmd);
    if (r == STORE_OK)
        r = recv_reply(h, deadline, out, err);
    if (r != STORE_OK)
        drop(h);
    return r;
}

/* The server's error text, printable, for a message (it names commands
   and scripts, never our arguments). */
static enum store_rc
error_reply(struct rd *h, redisReply *rep, const char *what, pjwt_err *err)
{
    char msg[100];
    size_t i;

    (void)snprintf(msg, sizeof(msg), "%.*s", (int)(rep->len < 99 ? rep->len : 99),
                   rep->str != NULL ? rep->str : "");
    for (i = 0; msg[i] != '\0'; i++)
        if (msg[i] < 0x20 || msg[i] > 0x7e)
            msg[i] = '?';
    PJWT_FAIL(err, PJWT_ERR_IO, "%s: %s: %s", h->name, what, msg);
    freeReplyObject(rep);
    return STORE_ERROR;
}

/* A command whose answer must be +OK (AUTH, SELECT). */
static enum store_rc
expect_ok(struct rd *h, int argc, const char **argv, int secret,
          const char *what, pjwt_err *err)
{
    redisReply *rep = NULL;

    if (roundtrip(h, argc, argv, NULL, secret, &rep, err) != STORE_OK)
        return STORE_ERROR;
    if (rep->type == REDIS_REPLY_ERROR) {
        (void)error_reply(h, rep, what, err);
        drop(h);
        return STORE_ERROR;
    }
    if (rep->type != REDIS_REPLY_STATUS || strcmp(rep->str, "OK") != 0) {
        freeReplyObject(rep);
        return rd_bad_reply(h, what, err);
    }
    freeReplyObject(rep);
    return STORE_OK;
}

static enum store_rc
connect_now(struct rd *h, pjwt_err *err)
{
    struct timeval tv = { h->timeout_ms / 1000, (h->timeout_ms % 1000) * 1000 };
    char db[16];
    const char *auth[] = { "AUTH", h->password };
    const char *sel[] = { "SELECT", db };

    h->reached = 0;
    h->c = h->path != NULL ? redisConnectUnixWithTimeout(h->path, tv)
                           : redisConnectWithTimeout(h->host, h->port, tv);
    if (h->c == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        return STORE_ERROR;
    }
    if (h->c->err) {
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: cannot connect: %s", h->name,
                  h->c->errstr);
        drop(h);
        return STORE_ERROR;
    }
    h->reached = 1;
    (void)redisSetTimeout(h->c, tv);
    h->dflt = h->c->reader->fn;
    h->c->reader->fn = &hooks;
    h->c->reader->privdata = h;
    if (h->password != NULL
        && expect_ok(h, 2, auth, 1, "AUTH", err) != STORE_OK)
        return STORE_ERROR;
    (void)snprintf(db, sizeof(db), "%d", h->db);
    if (h->db != 0 && expect_ok(h, 2, sel, 0, "SELECT", err) != STORE_OK)
        return STORE_ERROR;
    return STORE_OK;
}

/* A connection, or STORE_ERROR at once while backing off. */
static enum store_rc
ensure(struct rd *h, pjwt_err *err)
{
    int64_t now = mono_ms();

    if (h->c != NULL)
        return STORE_OK;
    if (now < h->retry_at) {
        PJWT_FAIL(err, PJWT_ERR_IO, "%s: unreachable (next try in %lld ms)",
                  h->name, (long long)(h->retry_at - now));
        return STORE_ERROR;
    }
    if (connect_now(h, err) != STORE_OK) {
        h->retry_at = mono_ms() + h->backoff_ms;
        h->backoff_ms = h->backoff_ms >= 2500 ? 5000 : h->backoff_ms * 2;
        return STORE_ERROR;
    }
    h->backoff_ms = 100;
    return STORE_OK;
}

enum store_rc
rd_cmd(struct rd *h, int argc, const char **argv, const size_t *lens,
       redisReply **out, pjwt_err *err)
{
    if (ensure(h, err) != STORE_OK
        || roundtrip(h, argc, argv, lens, 0, out, err) != STORE_OK)
        return STORE_ERROR;
    if ((*out)->type == REDIS_REPLY_ERROR) {
        (void)error_reply(h, *out, argv[0], err);
        *out = NULL;
        return STORE_ERROR;
    }
    return STORE_OK;
}

#define RD_ARGS_MAX 16

enum store_rc
rd_eval(struct rd *h, enum rd_sc sc, int nkeys, int argc, const char **argv,
        const size_t *lens, redisReply **out, pjwt_err *err)
{
    const struct rd_script *s = &rd_scripts()[sc];
    const char *av[RD_ARGS_MAX + 3];
    size_t lv[RD_ARGS_MAX + 3];
    char nk[16];
    redisReply *rep = NULL;
    int i;

    if (argc > RD_ARGS_MAX) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "redis: too many arguments");
        return STORE_ERROR;
    }
    (void)snprintf(nk, sizeof(nk), "%d", nkeys);
    av[0] = "EVALSHA";
    av[1] = s->sha;
    av[2] = nk;
    for (i = 0; i < 3; i++)
        lv[i] = strlen(av[i]);
    for (i = 0; i < argc; i++) {
        av[i + 3] = argv[i];
        lv[i + 3] = lens != NULL ? lens[i] : strlen(argv[i]);
    }
    if (ensure(h, err) != STORE_OK
        || roundtrip(h, argc + 3, av, lv, 0, &rep, err) != STORE_OK)
        return STORE_ERROR;
    /* A server restarted (or flushed its scripts) since: send the text,
       which also loads it for the next EVALSHA. */
    if (rep->type == REDIS_REPLY_ERROR && rep->str != NULL
        && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(rep);
        av[0] = "EVAL";
        av[1] = s->body;
        lv[0] = 4;
        lv[1] = strlen(s->body);
        if (roundtrip(h, argc + 3, av, lv, 0, &rep, err) != STORE_OK)
            return STORE_ERROR;
    }
    if (rep->type == REDIS_REPLY_ERROR)
        return error_reply(h, rep, "script", err);
    *out = rep;
    return STORE_OK;
}

int
rd_int(const redisReply *r, long long *v)
{
    char *end;

    if (r->type == REDIS_REPLY_INTEGER) {
        *v = r->integer;
        return 1;
    }
    if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 20)
        return 0;
    errno = 0;
    *v = strtoll(r->str, &end, 10);
    return errno == 0 && end == r->str + r->len;
}

/* ---- the spec and the password ------------------------------------------ */

/* Digits of [s, e) as a number in [lo, hi], else -1. */
static long
number(const char *s, const char *e, long lo, long hi)
{
    long v = 0;

    if (s == e || e - s > 9)
        return -1;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

static enum store_rc
parse_spec(struct rd *h, const char *spec, pjwt_err *err)
{
    const char *p, *e, *q;
    long v = 0;

    if (strchr(spec, '@') != NULL) {
        PJWT_FAIL(err, PJWT_ERR_CONF, "store: no credentials in the store "
                  "spec (put the password in store_password_file)");
        return STORE_ERROR;
    }
    if (strncmp(spec, "redis+unix://", 13) == 0) {
        p = spec + 13;
        q = strchr(p, '?');
        e = q != NULL ? q : p + strlen(p);
        if (*p != '/' || e - p < 2 || e - p > 107
            || (q != NULL && (strncmp(q, "?db=", 4) != 0
                || (v = number(q + 4, q + strlen(q), 0, 1000000)) < 0))) {
            PJWT_FAIL(err, PJWT_ERR_CONF, "store '%.64s': want "
                      "redis+unix:///PATH or redis+unix:///PATH?db=N", spec);
            return STORE_ERROR;
        }
        h->path = strndup(p, (size_t)(e - p));
        h->db = (int)v;
        (void)snprintf(h->name, sizeof(h->name), "redis %.80s", h->path);
        return h->path != NULL ? STORE_OK
               : (PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL), STORE_ERROR);
    }
    p = spec + 8;
    h->port = 6379;
    if (*p == '[') {
        e = strchr(p, ']');
        q = e != NULL ? e + 1 : NULL;
        p++;
    } else {
        e = p + strcspn(p, ":/");
        q = e;
    }
    if (e == NULL || e == p || e - p > 64)
        goto bad;
    if (*q == ':') {
        const char *pe = q + 1 + strcspn(q + 1, "/");

        if ((v = number(q + 1, pe, 1, 65535)) < 0)
            goto bad;
        h->port = (int)v;
        q = pe;
    }
    if (*q == '/' && q[1] != '\0') {
        if ((v = number(q + 1, q + strlen(q), 0, 1000000)) < 0)
            goto bad;
        h->db = (int)v;
    } else if (*q != '\0' && strcmp(q, "/") != 0) {
        goto bad;
    }
    if ((h->host = strndup(p, (size_t)(e - p))) == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        return STORE_ERROR;
    }
    (void)snprintf(h->name, sizeof(h->name), "redis %s:%d", h->host, h->port);
    return STORE_OK;
bad:
    PJWT_FAIL(err, PJWT_ERR_CONF, "store '%.64s': want redis://HOST:PORT/DB",
              spec);
    return STORE_ERROR;
}

/* The password file's content, one trailing newline stripped. */
static enum store_rc
read_password(struct rd *h, const char *file, pjwt_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;

    if (pjwt_file_read(file, RD_PASSWORD_MAX, PJWT_FILE_CHECK_WRITE
                       | PJWT_FILE_CHECK_READ, &buf, &len, err) != 0)
        return STORE_ERROR;
    if (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    if (len == 0 || memchr(buf, '\0', len) != NULL
        || memchr(buf, '\n', len) != NULL) {
        PJWT_FAIL(err, PJWT_ERR_CONF, "%s: want the password on one line",
                  file);
        pjwt_file_free(buf, len);
        return STORE_ERROR;
    }
    h->password = strndup((const char *)buf, len);
    pjwt_file_free(buf, len);
    if (h->password == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        return STORE_ERROR;
    }
    return STORE_OK;
}

void
rd_close(struct store *base)
{
    struct rd *h = (struct rd *)base;

    drop(h);
    if (h->password != NULL) {
        explicit_bzero(h->password, strlen(h->password));
        free(h->password);
    }
    if (h->locked_init)
        pthread_mutex_destroy(&h->lock);
    free(h->host);
    free(h->path);
    free(h);
}

enum store_rc
rd_open(const char *spec, const struct store_opts *opts, struct rd **out,
        pjwt_err *err)
{
    struct rd *h = calloc(1, sizeof(*h));

    if (h == NULL) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, NULL);
        return STORE_ERROR;
    }
    h->base.ops = &rd_ops;
    h->timeout_ms = opts != NULL && opts->timeout_ms > 0 ? opts->timeout_ms
                                                        : 2000;
    h->backoff_ms = 100;
    if (parse_spec(h, spec, err) != STORE_OK
        || (opts != NULL && opts->password_file != NULL
            && read_password(h, opts->password_file, err) != STORE_OK))
        goto fail;
    /* A daemon started before its Redis (boot order, Redis restarting)
       comes up degraded and recovers by itself, as it does when Redis goes
       away later; a server that answers and refuses us is a setting to
       fix, said at once. */
    if (connect_now(h, err) != STORE_OK
        && (h->reached || opts == NULL || !opts->defer_connect))
        goto fail;
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "%s: mutex", h->name);
        goto fail;
    }
    h->locked_init = 1;
    *out = h;
    return STORE_OK;
fail:
    rd_close(&h->base);
    return STORE_ERROR;
}
