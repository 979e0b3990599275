/*
 * helper_guard.c: the helpers' shared table (see helper_guard.h).
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "helper_guard.h"

#define GUARD_USERS 4096
#define GUARD_PROBES 64
#define WINDOW_NS (60ull * 1000000000ull)

struct guard_user {
    uint64_t key;                /* 0: never used */
    uint64_t tat;                /* GCRA theoretical arrival time */
    uint64_t not_before;
};

struct guard_slot {
    uint64_t busy_since;         /* atomic */
    uint32_t used;               /* atomic */
};

struct guard {
    pthread_mutex_t mu;
    unsigned char hkey[32];
    struct guard_conf conf;
    uint64_t total_tat;
    uint32_t asked;              /* atomic */
    struct guard_slot slots[GUARD_MAX_SLOTS];
    struct guard_user users[GUARD_USERS];
};

static struct guard *G;

uint64_t
guard_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int
guard_init(void)
{
    pthread_mutexattr_t a;
    void *p;

    p = mmap(NULL, sizeof(*G), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    G = p;
    if (RAND_bytes(G->hkey, sizeof(G->hkey)) != 1)
        return -1;
    /* Robust: a helper killed while it holds the lock (pam_timeout, a
       crash) must not stop every other helper. */
    if (pthread_mutexattr_init(&a) != 0
        || pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0
        || pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0
        || pthread_mutex_init(&G->mu, &a) != 0)
        return -1;
    pthread_mutexattr_destroy(&a);
    return 0;
}

static void
lock(void)
{
    if (pthread_mutex_lock(&G->mu) == EOWNERDEAD)
        pthread_mutex_consistent(&G->mu);
}

static void
unlock(void)
{
    pthread_mutex_unlock(&G->mu);
}

int
guard_conf_set(const struct issuer_conf *c)
{
    struct guard_conf n;
    int a, b;

    memset(&n, 0, sizeof(n));
    a = snprintf(n.service, sizeof(n.service), "%s", c->pam_service);
    b = snprintf(n.confdir, sizeof(n.confdir), "%s",
                 c->pam_confdir ? c->pam_confdir : "");
    if (a < 0 || (size_t)a >= sizeof(n.service) || b < 0
        || (size_t)b >= sizeof(n.confdir))
        return -1;
    n.fail_delay_ms = c->fail_delay_ms;
    n.per_user = c->pam_attempts_per_user;
    n.total = c->pam_attempts_total;
    n.timeout_s = c->pam_timeout;
    lock();
    G->conf = n;
    unlock();
    return 0;
}

void
guard_conf_get(struct guard_conf *out)
{
    lock();
    *out = G->conf;
    unlock();
}

/* Secret-keyed, so nobody can choose names that share one record. */
static uint64_t
user_key(const char *user)
{
    unsigned char md[EVP_MAX_MD_SIZE], name[PROTO_NAME_MAX];
    unsigned mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint64_t k = 0;
    size_t i;

    for (i = 0; user[i] != '\0' && i < sizeof(name); i++)
        name[i] = (unsigned char)tolower((unsigned char)user[i]);
    if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
        && EVP_DigestUpdate(ctx, G->hkey, sizeof(G->hkey)) == 1
        && EVP_DigestUpdate(ctx, name, i) == 1
        && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1)
        memcpy(&k, md, sizeof(k));
    EVP_MD_CTX_free(ctx);
    return k == 0 ? 1 : k;   /* 0 marks a free record; a failed digest
                                puts every user in one record: stricter */
}

/* The user's record, or a reusable one for it; NULL when the probe range
   holds only other users that are still limited.  Under the lock. */
static struct guard_user *
user_find(uint64_t key, uint64_t now)
{
    struct guard_user *spare = NULL;
    size_t i, h = (size_t)(key % GUARD_USERS);

    for (i = 0; i < GUARD_PROBES; i++) {
        struct guard_user *u = &G->users[(h + i) % GUARD_USERS];

        if (u->key == key)
            return u;
        if (spare == NULL && (u->key == 0 || (u->tat <= now && u->not_before <= now)))
            spare = u;
    }
    if (spare != NULL) {
        spare->key = key;
        spare->tat = 0;
        spare->not_before = 0;
    }
    return spare;
}

/* GCRA: may one more attempt pass a budget of limit per minute? */
static int
gcra_ok(uint64_t tat, uint64_t now, long limit)
{
    uint64_t t = tat > now ? tat : now;

    return limit <= 0 || t + WINDOW_NS / (uint64_t)limit - now <= WINDOW_NS;
}

static void
gcra_charge(uint64_t *tat, uint64_t now, long limit)
{
    if (limit > 0)
        *tat = (*tat > now ? *tat : now) + WINDOW_NS / (uint64_t)limit;
}

static void
gcra_refund(uint64_t *tat, long limit)
{
    uint64_t t = limit > 0 ? WINDOW_NS / (uint64_t)limit : 0;

    *tat = *tat > t ? *tat - t : 0;
}

enum guard_verdict
guard_admit(const char *user, const struct guard_conf *gc)
{
    uint64_t key = user_key(user), now = guard_now_ns();
    enum guard_verdict v = GUARD_OK;
    struct guard_user *u;

    lock();
    u = user_find(key, now);
    if (u == NULL)
        v = GUARD_FULL;
    else if (u->not_before > now)
        v = GUARD_WAIT;
    else if (!gcra_ok(u->tat, now, gc->per_user))
        v = GUARD_USER_BUDGET;
    else if (!gcra_ok(G->total_tat, now, gc->total))
        v = GUARD_TOTAL_BUDGET;
    else {
        gcra_charge(&u->tat, now, gc->per_user);
        gcra_charge(&G->total_tat, now, gc->total);
    }
    unlock();
    return v;
}

void
guard_done(const char *user, int failed, unsigned delay_usec)
{
    uint64_t key = user_key(user), now = guard_now_ns();
    struct guard_user *u;

    lock();
    u = user_find(key, now);
    if (u != NULL && failed) {
        uint64_t nb = now + (uint64_t)delay_usec * 1000u / 2;

        if (nb > u->not_before)
            u->not_before = nb;
    } else if (u != NULL) {
        gcra_refund(&u->tat, G->conf.per_user);
        gcra_refund(&G->total_tat, G->conf.total);
    }
    unlock();
}

const char *
guard_verdict_str(enum guard_verdict v)
{
    switch (v) {
    case GUARD_OK: return "admitted";
    case GUARD_WAIT: return "the user's last failure is less than half its delay ago";
    case GUARD_USER_BUDGET: return "pam_attempts_per_user exhausted";
    case GUARD_TOTAL_BUDGET: return "pam_attempts_total exhausted";
    case GUARD_FULL: return "too many users being throttled";
    }
    return "refused";
}

void
guard_asked_set(unsigned usec)
{
    __atomic_store_n(&G->asked, usec, __ATOMIC_RELAXED);
}

unsigned
guard_asked(void)
{
    return __atomic_load_n(&G->asked, __ATOMIC_RELAXED);
}

void
guard_slot_reset(int slot)
{
    __atomic_store_n(&G->slots[slot].busy_since, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&G->slots[slot].used, 0, __ATOMIC_RELAXED);
}

void
guard_slot_busy(int slot, int busy)
{
    __atomic_store_n(&G->slots[slot].busy_since, busy ? guard_now_ns() : 0,
                     __ATOMIC_RELAXED);
    if (busy)
        __atomic_store_n(&G->slots[slot].used, 1, __ATOMIC_RELAXED);
}

uint64_t
guard_slot_busy_since(int slot)
{
    return __atomic_load_n(&G->slots[slot].busy_since, __ATOMIC_RELAXED);
}

int
guard_slot_used(int slot)
{
    return (int)__atomic_load_n(&G->slots[slot].used, __ATOMIC_RELAXED);
}
