/*
 * ratelimit.c: a leaky bucket per key in a keytable under one mutex (a
 * check is a hash and a few compares: far below the cost of the PAM call
 * it guards); on a store shared by replicas the same keys and limits go
 * to store_rate_acquire instead, all of an attempt's buckets in one
 * atomic step.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "helper_proto.h"
#include "keytable.h"
#include "log.h"
#include "ratelimit.h"
#include "session_store.h"

/* The longest key, "user+ip:" bucket "|" user (a bucket never contains
   '|').  A longer one than the shared store takes (STORE_KEY_MAX) is
   refused there: fails closed, and the password grant's names are short
   (signer_name_ok). */
#define KEY_MAX (8 + 64 + 1 + PROTO_NAME_MAX + 1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct keytable table = { .max = RATELIMIT_MAX_KEYS };

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
decay(struct kt_entry *e, long limit, double now)
{
    if (e->stamp == 0)          /* new: keytable entries start zeroed */
        e->stamp = now;
    e->count -= (now - e->stamp) * (double)limit / 60.0;
    if (e->count < 0)
        e->count = 0;
    e->stamp = now;
}

struct limits {
    long per_ip, per_user, per_session;
    double now;
};

/* Keys are "ip:BUCKET" (address), "user:USER" or "user+ip:BUCKET|USER"
   (user, or user+ip: another prefix, so a reload between the two never
   mixes them), "sess:SESSION" (refreshes), here and in a shared store;
   the limit of that kind. */
static long
limit_of(const struct kt_entry *e, const struct limits *l)
{
    return e->key[0] == 'i' ? l->per_ip
           : e->key[0] == 's' ? l->per_session : l->per_user;
}

static int
leaked_away(struct kt_entry *e, void *ctx)
{
    const struct limits *l = ctx;

    decay(e, limit_of(e, l), l->now);
    return e->count <= 0;
}

/* The two keys of an attempt; user_key is "" when user is not limited. */
static void
make_keys(const struct issuer_conf *c, const char *bucket, const char *user,
          char *ip_key, char *user_key)
{
    size_t n, i;

    snprintf(ip_key, KEY_MAX, "ip:%s", bucket ? bucket : "");
    user_key[0] = '\0';
    if (user == NULL || *user == '\0')
        return;
    if (c->rate_user_ip)
        n = (size_t)snprintf(user_key, KEY_MAX, "user+ip:%s|",
                             bucket ? bucket : "");
    else
        n = (size_t)snprintf(user_key, KEY_MAX, "user:");
    /* ASCII only: a locale's case rules are not NSS's. */
    for (i = 0; user[i] != '\0' && n + 1 < KEY_MAX; i++)
        user_key[n++] = user[i] >= 'A' && user[i] <= 'Z' ? (char)(user[i] - 'A' + 'a')
                                                       : user[i];
    user_key[n] = '\0';
}

/* Seconds until key passes a limit of N, 0 when it passes now; lock held. */
static unsigned
over(const char *key, long limit, double now)
{
    struct kt_entry *e;
    double secs;
    unsigned u;

    if (limit <= 0 || key[0] == '\0')
        return 0;
    e = keytable_get(&table, key, 0);
    if (e == NULL)
        return 0;
    decay(e, limit, now);
    /* N failures are allowed in a minute: the next attempt passes while
       fewer than N - 1 (plus what has leaked) are on record. */
    if (e->count <= (double)(limit - 1))
        return 0;
    secs = (e->count - (double)(limit - 1)) * 60.0 / (double)limit;
    u = (unsigned)secs;
    return (double)u < secs ? u + 1 : (u ? u : 1);
}

/* Add delta (+1 or -1) to key; lock held. */
static void
add(const char *key, long limit, double now, double delta)
{
    struct kt_entry *e;

    if (limit <= 0 || key[0] == '\0')
        return;
    e = keytable_get(&table, key, delta > 0);
    if (e == NULL)
        return;     /* release of a key already leaked away; room was
                       checked before any add (room_for) */
    decay(e, limit, now);
    e->count += delta;
    if (e->count < 0)
        e->count = 0;
}

/* 1 when key is counted already, not limited, or fits in the table with
   the other key of the attempt (hence the 2); lock held. */
static int
room_for(const char *key, long limit)
{
    if (limit <= 0 || key[0] == '\0' || keytable_get(&table, key, 0) != NULL)
        return 1;
    return table.n + 2 <= RATELIMIT_MAX_KEYS;
}

/* The limited ones of an attempt's keys (limit > 0, key not "") as the
   shared store's buckets into b; how many. */
static size_t
limited(struct store_bucket b[2], const char *k1, long l1, const char *k2,
        long l2)
{
    size_t n = 0;

    if (l1 > 0 && k1[0] != '\0')
        b[n++] = (struct store_bucket){ k1, (double)l1 };
    if (l2 > 0 && k2[0] != '\0')
        b[n++] = (struct store_bucket){ k2, (double)l2 };
    return n;
}

/* ratelimit_acquire's answer from the shared store st. */
static int
shared_acquire(struct store *st, const struct store_bucket *b, size_t n,
               unsigned *retry_after)
{
    pjwt_err err;

    *retry_after = 0;
    if (n == 0)
        return 0;
    pjwt_err_clear(&err);
    if (shared_store_note(store_rate_acquire(st, b, n, retry_after, &err),
                          &err) != STORE_OK) {
        *retry_after = 0;
        return -1;
    }
    return *retry_after > 0;
}

int
ratelimit_acquire(const struct issuer_conf *c, const char *bucket, const char *user,
                  unsigned *retry_after)
{
    char ip_key[KEY_MAX], user_key[KEY_MAX];
    struct limits l = { c->rate_per_ip, c->rate_per_user, c->rate_per_session,
                        now_s() };
    struct store_bucket sb[2];
    struct store *st = shared_store();
    unsigned a, b;

    make_keys(c, bucket, user, ip_key, user_key);
    if (st != NULL)
        return shared_acquire(st, sb, limited(sb, ip_key, l.per_ip, user_key,
                                              l.per_user), retry_after);
    pthread_mutex_lock(&lock);
    a = over(ip_key, l.per_ip, l.now);
    b = over(user_key, l.per_user, l.now);
    if (a == 0 && b == 0) {
        if (table.n >= RATELIMIT_MAX_KEYS - 2)
            keytable_sweep(&table, leaked_away, &l);
        if (!room_for(ip_key, l.per_ip) || !room_for(user_key, l.per_user)) {
            /* Full of live keys even after the sweep: that takes tens of
               thousands of attempts a second.  An attempt that cannot be
               counted is refused (fails closed), never let through
               uncounted. */
            pthread_mutex_unlock(&lock);
            log_warn("rate limit table full (%d keys): attempt refused",
                     RATELIMIT_MAX_KEYS);
            *retry_after = 1;
            return 1;
        }
        add(ip_key, l.per_ip, l.now, 1);
        add(user_key, l.per_user, l.now, 1);
    }
    pthread_mutex_unlock(&lock);
    *retry_after = a > b ? a : b;
    return *retry_after > 0;
}

void
ratelimit_release(const struct issuer_conf *c, const char *bucket, const char *user)
{
    char ip_key[KEY_MAX], user_key[KEY_MAX];
    double now = now_s();
    struct store_bucket sb[2];
    struct store *st = shared_store();
    size_t n;
    pjwt_err err;

    make_keys(c, bucket, user, ip_key, user_key);
    if (st != NULL) {
        n = limited(sb, ip_key, c->rate_per_ip, user_key, c->rate_per_user);
        pjwt_err_clear(&err);
        if (n > 0)
            shared_store_note(store_rate_release(st, sb, n, &err), &err);
        return;
    }
    pthread_mutex_lock(&lock);
    add(ip_key, c->rate_per_ip, now, -1);
    add(user_key, c->rate_per_user, now, -1);
    pthread_mutex_unlock(&lock);
}

int
ratelimit_session(const struct issuer_conf *c, const char *session,
                  unsigned *retry_after)
{
    char key[KEY_MAX];
    struct limits l = { c->rate_per_ip, c->rate_per_user, c->rate_per_session,
                        now_s() };
    struct store_bucket sb[2];
    struct store *st = shared_store();

    *retry_after = 0;
    if (l.per_session <= 0)
        return 0;
    snprintf(key, sizeof(key), "sess:%s", session);
    if (st != NULL)
        return shared_acquire(st, sb, limited(sb, key, l.per_session, "", 0),
                              retry_after);
    pthread_mutex_lock(&lock);
    *retry_after = over(key, l.per_session, l.now);
    if (*retry_after == 0) {
        if (table.n >= RATELIMIT_MAX_KEYS - 2)
            keytable_sweep(&table, leaked_away, &l);
        if (!room_for(key, l.per_session))
            *retry_after = 1;   /* cannot be counted: refused, as above */
        else
            add(key, l.per_session, l.now, 1);
    }
    pthread_mutex_unlock(&lock);
    return *retry_after > 0;
}
