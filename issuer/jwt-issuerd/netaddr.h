/*
 * netaddr.h: numeric IPv4/IPv6 addresses as the daemon's limits see them:
 * parsing (strict: numeric only, never a name lookup), CIDR prefixes for
 * trusted_proxies, and the bucket a per-address limit counts a client in
 * (the whole address for IPv4, its first ipv6_prefix bits for IPv6: one
 * host usually owns a whole /64 and can rotate through it at will).
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address.
 */
#ifndef ISSUER_NETADDR_H
#define ISSUER_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "err.h"

/* Room for any formatted address or bucket ("ffff:...:ffff/128"). */
#define NETADDR_STRLEN 56

struct netaddr {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char a[16];        /* network order; 4 bytes used for AF_INET */
};

struct netaddr_prefix {
    struct netaddr net;         /* host bits zero */
    unsigned bits;              /* 0..32 or 0..128 */
};

/* Parse the len bytes at s (no blanks around) as one numeric address.
   0, or -1 when they are not exactly an address. */
int netaddr_parse(const char *s, size_t len, struct netaddr *out);

/* The address of an AF_INET/AF_INET6 socket address; -1 for any other. */
int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out);

/* ADDR or ADDR/BITS.  A prefix with host bits set (10.1.2.3/8) is refused:
   it is a typo far more often than a wish. */
int netaddr_prefix_parse(const char *s, struct netaddr_prefix *out, pjwt_err *err);

/* 1 when a lies inside p. */
int netaddr_in_prefix(const struct netaddr *a, const struct netaddr_prefix *p);

/* Canonical text (inet_ntop) into out (NETADDR_STRLEN). */
void netaddr_format(const struct netaddr *a, char *out, size_t cap);

/* The per-address bucket of a: "192.0.2.7", or for IPv6 the network of its
   first v6_bits bits, "2001:db8:1:2::/64" (no suffix at 128). */
void netaddr_bucket(const struct netaddr *a, unsigned v6_bits, char *out, size_t cap);

#endif
