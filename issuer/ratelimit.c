/*
 * ratelimit.c: a leaky bucket per key in a chained hash table under one
 * mutex (a check is a hash and a few compares: far below the cost of the
 * PAM call it guards).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "ratelimit.h"

#define NBUCKETS 4096

struct entry {
    struct entry *next;
    double count;
    double stamp;            /* monotonic seconds of the last update */
    char key[];              /* "i:ADDR" or "u:USER" */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *table[NBUCKETS];
static size_t nkeys;

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t
hash(const char *s)
{
    uint32_t h = 2166136261u;   /* FNV-1a */

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % NBUCKETS;
}

static void
decay(struct entry *e, long limit, double now)
{
    e->count -= (now - e->stamp) * (double)limit / 60.0;
    if (e->count < 0)
        e->count = 0;
    e->stamp = now;
}

/* Drop every key whose count has leaked away; lock held. */
static void
prune(long limit_ip, long limit_user, double now)
{
    size_t i;

    for (i = 0; i < NBUCKETS; i++) {
        struct entry **pp = &table[i];

        while (*pp) {
            struct entry *e = *pp;

            decay(e, e->key[0] == 'i' ? limit_ip : limit_user, now);
            if (e->count <= 0) {
                *pp = e->next;
                free(e);
                nkeys--;
            } else {
                pp = &e->next;
            }
        }
    }
}

static struct entry *
lookup(char kind, const char *name, int create)
{
    char key[300];
    struct entry *e;
    uint32_t h;
    size_t len;

    len = (size_t)snprintf(key, sizeof(key), "%c:%s", kind, name ? name : "");
    if (len >= sizeof(key))
        len = sizeof(key) - 1;
    h = hash(key);
    for (e = table[h]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    if (!create || nkeys >= RATELIMIT_MAX_KEYS)
        return NULL;
    e = calloc(1, sizeof(*e) + len + 1);
    if (e == NULL)
        return NULL;
    memcpy(e->key, key, len + 1);
    e->stamp = now_s();
    e->next = table[h];
    table[h] = e;
    nkeys++;
    return e;
}

static unsigned
over(char kind, const char *name, long limit, double now)
{
    struct entry *e;

    if (limit <= 0 || name == NULL)
        return 0;
    e = lookup(kind, name, 0);
    if (e == NULL)
        return 0;
    decay(e, limit, now);
    /* N failures are allowed in a minute: the next attempt passes while
       fewer than N - 1 (plus what has leaked) are on record. */
    if (e->count <= (double)(limit - 1))
        return 0;
    /* Seconds until it would pass. */
    {
        double secs = (e->count - (double)(limit - 1)) * 60.0 / (double)limit;
        unsigned u = (unsigned)secs;

        return (double)u < secs ? u + 1 : (u ? u : 1);
    }
}

int
ratelimit_check(const char *addr, const char *user, long per_ip, long per_user,
                unsigned *retry_after)
{
    double now = now_s();
    unsigned a, b;

    pthread_mutex_lock(&lock);
    a = over('i', addr, per_ip, now);
    b = over('u', user, per_user, now);
    pthread_mutex_unlock(&lock);
    *retry_after = a > b ? a : b;
    return *retry_after > 0;
}

static void
add(char kind, const char *name, long limit, double now)
{
    struct entry *e;

    if (limit <= 0 || name == NULL || *name == '\0')
        return;
    e = lookup(kind, name, 1);
    if (e == NULL) {
        /* Table full of live keys: an attack from many addresses.  Not
           tracking one more key fails open for it, which beats refusing
           every user. */
        log_warn("rate limit table full (%d keys)", RATELIMIT_MAX_KEYS);
        return;
    }
    decay(e, limit, now);
    e->count += 1.0;
}

void
ratelimit_fail(const char *addr, const char *user, long per_ip, long per_user)
{
    double now = now_s();

    pthread_mutex_lock(&lock);
    if (nkeys >= RATELIMIT_MAX_KEYS - 2)
        prune(per_ip, per_user, now);
    add('i', addr, per_ip, now);
    add('u', user, per_user, now);
    pthread_mutex_unlock(&lock);
}
