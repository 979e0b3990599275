/*
 * faildelay.c: the failure delay (see faildelay.h).
 */
#include <stdint.h>
#include <openssl/rand.h>

#include "faildelay.h"

unsigned
faildelay_usec(long floor_ms, unsigned asked_usec)
{
    uint64_t base = floor_ms > 0 ? (uint64_t)floor_ms * 1000u : 0;
    uint64_t span;
    uint32_t rnd;

    if (asked_usec > base)
        base = asked_usec;
    if (base > (uint64_t)FAILDELAY_MAX_MS * 1000u)
        base = (uint64_t)FAILDELAY_MAX_MS * 1000u;
    span = base / 4;
    if (span == 0)
        return (unsigned)base;
    /* Without randomness, the longest delay: never a shorter or a
       predictable one. */
    if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
        return (unsigned)(base + span);
    /* span < 2^24 here, so the modulo bias is below 2^-8 of one step. */
    return (unsigned)(base + (uint64_t)rnd % (span + 1));
}
