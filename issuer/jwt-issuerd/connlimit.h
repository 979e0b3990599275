/*
 * connlimit.h: what each client bucket (netaddr_bucket) holds at once, for
 * max_connections_per_ip.  A direct peer is counted per TCP connection;
 * behind a trusted proxy every client shares the proxy's connections, so
 * there the count is of requests in progress per forwarded client address
 * (a held /token answer occupies a proxy connection just as long).  One
 * table for both, so a client is never counted twice and never escapes by
 * switching between the two ways in.
 * Memory is bounded (CONNLIMIT_MAX_KEYS); a key lives only while its count
 * is above zero.
 */
#ifndef ISSUER_CONNLIMIT_H
#define ISSUER_CONNLIMIT_H

/* More keys than connections MHD can hold (max_connections times the
   listeners), so the table fills only if something leaks. */
#define CONNLIMIT_MAX_KEYS (65536 * 2)

/* Take one place for bucket under limit (> 0).  0 when taken (give it
   back with connlimit_release), -1 when bucket already holds limit, or
   when the table is full (refused: no client is tracked less than the
   others). */
int connlimit_acquire(const char *bucket, long limit);

/* Give back one place taken by connlimit_acquire. */
void connlimit_release(const char *bucket);

#endif
