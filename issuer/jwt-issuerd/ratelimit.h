/*
 * ratelimit.h: failed-login throttling per client address and per user,
 * checked before PAM is called.  A limit of N means N failures per minute:
 * each key's failure count leaks away at N/60 per second, and an attempt
 * is refused while the count is above N - 1 (N failures in quick
 * succession, then a refusal until enough has leaked).
 *
 * An attempt is counted when it is let through, in the same step as the
 * check, and given back when it turns out not to be a failure: so N
 * attempts in flight at once use up the limit exactly as N failures would,
 * and a burst of concurrent guesses cannot all pass an empty bucket.
 *
 * Keys: the client's bucket (netaddr_bucket: the address, or its IPv6
 * /ipv6_prefix network), and the user name lower-cased (ASCII), alone or,
 * with rate_limit_user_key = user+ip, together with the client's bucket.
 * Lower-casing because many NSS back ends (LDAP, sssd, winbind) fold case,
 * so "Alice" and "alice" are one account there and must be one bucket; the
 * HTTP side cannot ask NSS for the canonical name (it runs without the
 * rights and sandbox holes a directory lookup needs, and a lookup per
 * guess would put the directory in front of the throttle).  On a backend
 * that keeps case, names differing only in case share a bucket: stricter,
 * never looser.
 * Memory is bounded (RATELIMIT_MAX_KEYS); state is local to this process,
 * unless the store is shared by replicas (session_store.h shared_store):
 * then every bucket lives there (store_rate_acquire, keys "ip:BUCKET",
 * "user:USER", "user+ip:BUCKET|USER", "sess:ID"), counted atomically
 * across the replicas, so N replicas never give N times the guesses.  A
 * shared store that cannot answer fails closed: -1, the caller answers
 * 503 and lets nothing through uncounted.
 */
#ifndef ISSUER_RATELIMIT_H
#define ISSUER_RATELIMIT_H

#include "issuer_conf.h"

#ifndef RATELIMIT_MAX_KEYS      /* a test builds ratelimit.c with a small table */
#define RATELIMIT_MAX_KEYS 65536
#endif

/* Check bucket and user (NULL: the address only) against c's limits (0
   disables one) and count the attempt against both: 0, or 1 when either
   is over its limit (nothing counted), with *retry_after set to whole
   seconds until an attempt may pass; -1 when the shared store failed
   (nothing counted, *retry_after 0: answer 503). */
int ratelimit_acquire(const struct issuer_conf *c, const char *bucket,
                      const char *user, unsigned *retry_after);

/* The attempt counted by ratelimit_acquire with the same arguments did not
   fail (success, server error, refused for load): take it back (a shared
   store that fails keeps it: stricter, never looser). */
void ratelimit_release(const struct issuer_conf *c, const char *bucket,
                       const char *user);

/*
 * Refreshes of one session (rate_limit_per_session a minute, 0: no
 * limit): every refresh counts, none is given back, so a client stuck in a
 * loop, or a stolen refresh token racing its owner, is slowed down.  0,
 * 1 with *retry_after set, or -1 when the shared store failed.
 */
int ratelimit_session(const struct issuer_conf *c, const char *session,
                      unsigned *retry_after);

#endif
