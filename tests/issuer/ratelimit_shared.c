/*
 * ratelimit_shared.c: the rate limits on a store replicas share
 * (ratelimit.h): the keys and limits each check hands to
 * store_rate_acquire (the store's buckets, all of an attempt's in one
 * call), that a store error fails closed (-1, nothing let through), and
 * that a release gives back exactly what was counted.  A fake shared
 * backend stands in for Redis; ratelimit.c is built in.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include "../../issuer/jwt-issuerd/ratelimit.c"
#include "../../issuer/jwt-issuerd/keytable.c"
#include "store_impl.h"

/* What the fake store saw last, and what it answers. */
static struct {
    int acquires, releases;
    char keys[4][STORE_KEY_MAX + 1];
    double limits[4];
    size_t n;
    int fail;                   /* answer STORE_ERROR */
    unsigned full;              /* answer this retry_after */
} seen;

static void
record(const struct store_bucket *b, size_t n)
{
    size_t i;

    seen.n = n;
    for (i = 0; i < n; i++) {
        snprintf(seen.keys[i], sizeof(seen.keys[i]), "%s", b[i].key);
        seen.limits[i] = b[i].limit;
    }
}

static enum store_rc
fake_acquire(struct store *st, const struct store_bucket *b, size_t n,
             unsigned *retry_after, pjwt_err *err)
{
    (void)st;
    seen.acquires++;
    record(b, n);
    if (seen.fail) {
        PJWT_FAIL(err, PJWT_ERR_IO, "fake store down");
        return STORE_ERROR;
    }
    *retry_after = seen.full;
    return STORE_OK;
}

static enum store_rc
fake_release(struct store *st, const struct store_bucket *b, size_t n,
             pjwt_err *err)
{
    (void)st;
    (void)err;
    seen.releases++;
    record(b, n);
    return STORE_OK;
}

static const struct store_ops fake_ops = {
    .rate_acquire = fake_acquire, .rate_release = fake_release,
};
static struct store fake = { &fake_ops };
static int notes_failed;

struct store *
shared_store(void)
{
    return &fake;
}

enum store_rc
shared_store_note(enum store_rc rc, const pjwt_err *err)
{
    (void)err;
    notes_failed += rc == STORE_ERROR;
    return rc;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
    (void)lvl;
    (void)fmt;
}

int
main(void)
{
    struct issuer_conf c;
    unsigned retry = 99;
    int cases = 0;

    memset(&c, 0, sizeof(c));
    c.rate_per_ip = 30;
    c.rate_per_user = 5;
    c.rate_per_session = 120;
    /* Address and user in one call, the user lower-cased. */
    assert(ratelimit_acquire(&c, "192.0.2.7", "Alice", &retry) == 0);
    assert(retry == 0 && seen.acquires == 1 && seen.n == 2);
    assert(strcmp(seen.keys[0], "ip:192.0.2.7") == 0 && seen.limits[0] == 30);
    assert(strcmp(seen.keys[1], "user:alice") == 0 && seen.limits[1] == 5);
    cases++;
    /* The release hands back the same two buckets. */
    ratelimit_release(&c, "192.0.2.7", "Alice");
    assert(seen.releases == 1 && seen.n == 2);
    assert(strcmp(seen.keys[1], "user:alice") == 0);
    cases++;
    /* A full bucket: throttled with the store's retry time. */
    seen.full = 7;
    assert(ratelimit_acquire(&c, "192.0.2.7", "alice", &retry) == 1);
    assert(retry == 7);
    seen.full = 0;
    cases++;
    /* user+ip, and the address alone. */
    c.rate_user_ip = 1;
    assert(ratelimit_acquire(&c, "2001:db8::/64", "Bob", &retry) == 0);
    assert(strcmp(seen.keys[1], "user+ip:2001:db8::/64|bob") == 0);
    assert(ratelimit_acquire(&c, "192.0.2.8", NULL, &retry) == 0);
    assert(seen.n == 1 && strcmp(seen.keys[0], "ip:192.0.2.8") == 0);
    cases++;
    /* Sessions: their own bucket and limit. */
    assert(ratelimit_session(&c, "abcDEF_-", &retry) == 0);
    assert(seen.n == 1 && strcmp(seen.keys[0], "sess:abcDEF_-") == 0
           && seen.limits[0] == 120);
    cases++;
    /* The store fails: -1 everywhere, nothing let through, noted. */
    seen.fail = 1;
    retry = 5;
    assert(ratelimit_acquire(&c, "192.0.2.7", "alice", &retry) == -1);
    assert(retry == 0);
    assert(ratelimit_session(&c, "abcDEF_-", &retry) == -1);
    assert(notes_failed == 2);
    seen.fail = 0;
    cases++;
    /* Limits switched off: no call at all, and a pass. */
    c.rate_per_ip = c.rate_per_user = c.rate_per_session = 0;
    seen.acquires = 0;
    assert(ratelimit_acquire(&c, "192.0.2.7", "alice", &retry) == 0);
    assert(ratelimit_session(&c, "x", &retry) == 0);
    assert(seen.acquires == 0);
    /* Nothing went to the local table. */
    assert(table.n == 0);
    cases++;
    printf("# cases passed: %d\n", cases);
    return 0;
}
