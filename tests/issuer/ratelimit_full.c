/*
 * ratelimit_full.c: the rate-limit table, when it is full of live keys,
 * refuses an attempt it cannot count (it used to let it through uncounted:
 * a flood from many addresses switched the limits off for newcomers).
 * Builds issuer/jwt-issuerd/ratelimit.c with a table of 64 keys and drives it
 * directly; nothing else of the daemon is needed.
 */
#define RATELIMIT_MAX_KEYS 64
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include "../../issuer/jwt-issuerd/ratelimit.c"
#include "../../issuer/jwt-issuerd/keytable.c"

static int warned;

/* The local table is what is tested: no shared store. */
struct store *
shared_store(void)
{
    return NULL;
}

enum store_rc
shared_store_note(enum store_rc rc, const pjwt_err *err)
{
    (void)err;
    return rc;
}

/* The daemon's log, reduced to what the test checks. */
void
log_msg(enum log_level lvl, const char *fmt, ...)
{
    (void)fmt;
    if (lvl == LOG_LVL_WARN)
        warned++;
}

int
main(void)
{
    struct issuer_conf c;
    char bucket[32], user[32];
    unsigned retry = 0;
    int i, admitted = 0;

    memset(&c, 0, sizeof(c));
    c.rate_per_ip = 5;
    c.rate_per_user = 5;
    /* 32 attempts, each from a new address for a new user: 64 live keys. */
    for (i = 0; i < 32; i++) {
        snprintf(bucket, sizeof(bucket), "192.0.2.%d", i);
        snprintf(user, sizeof(user), "u%d", i);
        admitted += ratelimit_acquire(&c, bucket, user, &retry) == 0;
    }
    assert(admitted == 32);
    assert(table.n == RATELIMIT_MAX_KEYS);
    /* One more newcomer: no room, so refused with a retry time and a
       warning, and nothing counted. */
    assert(ratelimit_acquire(&c, "198.51.100.1", "newcomer", &retry) == 1);
    assert(retry >= 1);
    assert(warned == 1);
    assert(table.n == RATELIMIT_MAX_KEYS);
    /* A known address and user still pass (their keys exist). */
    assert(ratelimit_acquire(&c, "192.0.2.0", "u0", &retry) == 0);
    /* A known address with a new user needs one key: still no room. */
    assert(ratelimit_acquire(&c, "192.0.2.1", "other", &retry) == 1);
    puts("# cases passed: 5");
    return 0;
}
