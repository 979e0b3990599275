/*
 * connlimit.c: see connlimit.h.  One mutex: an acquire is a hash and a
 * compare, once per connection or proxied request.
 */
#include <pthread.h>

#include "connlimit.h"
#include "keytable.h"
#include "log.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct keytable table = { .max = CONNLIMIT_MAX_KEYS };

int
connlimit_acquire(const char *bucket, long limit)
{
    struct kt_entry *e;
    int r = -1;

    pthread_mutex_lock(&lock);
    e = keytable_get(&table, bucket, 1);
    if (e == NULL) {
        log_warn("connection limit table full (%d clients)", CONNLIMIT_MAX_KEYS);
        goto out;
    }
    if (e->count >= (double)limit) {
        if (e->count <= 0)
            keytable_del(&table, e);     /* just made, limit <= 0 */
        goto out;
    }
    e->count += 1;
    r = 0;
out:
    pthread_mutex_unlock(&lock);
    return r;
}

void
connlimit_release(const char *bucket)
{
    struct kt_entry *e;

    pthread_mutex_lock(&lock);
    e = keytable_get(&table, bucket, 0);
    if (e != NULL && --e->count <= 0)
        keytable_del(&table, e);
    pthread_mutex_unlock(&lock);
}
