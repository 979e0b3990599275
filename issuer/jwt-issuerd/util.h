/*
 * util.h: small language helpers for the daemon.
 */
#ifndef ISSUER_UTIL_H
#define ISSUER_UTIL_H

#include <stddef.h>

/*
 * The struct of type `type` whose member `member` is at ptr: the callbacks
 * of the helper pool (struct helper_job, struct pool_timer) get a pointer
 * to the member embedded in the caller's request (the Linux kernel's
 * container_of, without its type check).
 */
#define container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
