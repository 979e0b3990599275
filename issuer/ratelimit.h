/*
 * ratelimit.h: failed-login throttling per client address and per user,
 * checked before PAM is called.  A limit of N means N failures per minute:
 * each key's failure count leaks away at N/60 per second, and an attempt
 * is refused while the count is above N - 1 (N failures in quick
 * succession, then a refusal until enough has leaked).
 * Memory is bounded (RATELIMIT_MAX_KEYS); state is local to this process.
 */
#ifndef ISSUER_RATELIMIT_H
#define ISSUER_RATELIMIT_H

#define RATELIMIT_MAX_KEYS 65536

/* 1 when addr or user is over its limit (0 disables a limit); then
   *retry_after gets whole seconds until the next attempt may pass. */
int ratelimit_check(const char *addr, const char *user, long per_ip,
                    long per_user, unsigned *retry_after);

/* Count one failed attempt against addr and user. */
void ratelimit_fail(const char *addr, const char *user, long per_ip,
                    long per_user);

#endif
