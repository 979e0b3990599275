/*
 * netaddr.c: see netaddr.h.  inet_pton is the parser: it accepts only
 * dotted-quad IPv4 and RFC 4291 IPv6 text (no octal, no short forms, no
 * zone ids), which is what a proxy writes and what a person types.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* ::ffff:a.b.c.d is a.b.c.d: dual-stack sockets and some proxies write it
   that way, and one client must not have two buckets. */
static void
unmap(struct netaddr *a)
{
    if (a->family == AF_INET6 && memcmp(a->a, v4mapped, sizeof(v4mapped)) == 0) {
        memmove(a->a, a->a + 12, 4);
        memset(a->a + 4, 0, 12);
        a->family = AF_INET;
    }
}

int
netaddr_parse(const char *s, size_t len, struct netaddr *out)
{
    char buf[INET6_ADDRSTRLEN];

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, buf, out->a) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, buf, out->a) == 1)
        out->family = AF_INET6;
    else
        return -1;
    unmap(out);
    return 0;
}

int
netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out)
{
    memset(out, 0, sizeof(*out));
    if (sa == NULL)
        return -1;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

        out->family = AF_INET;
        memcpy(out->a, &sin->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

        out->family = AF_INET6;
        memcpy(out->a, &sin6->sin6_addr, 16);
        unmap(out);
        return 0;
    }
    return -1;
}

static unsigned
max_bits(const struct netaddr *a)
{
    return a->family == AF_INET ? 32u : 128u;
}

/* Zero every bit of a after the first bits. */
static void
mask(struct netaddr *a, unsigned bits)
{
    size_t i;

    for (i = 0; i < 16; i++) {
        if (bits >= 8) {
            bits -= 8;
            continue;
        }
        a->a[i] &= (unsigned char)(0xff00u >> bits);
        bits = 0;
    }
}

int
netaddr_prefix_parse(const char *s, struct netaddr_prefix *out, pjwt_err *err)
{
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    struct netaddr masked;
    unsigned limit;
    int mapped;

    if (netaddr_parse(s, alen, &out->net) != 0)
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "'%s' is not an IP address or ADDRESS/BITS", s);
    /* ::ffff:10.0.0.0/104 names 10.0.0.0/8: the length counts IPv6 bits. */
    mapped = out->net.family == AF_INET && memchr(s, ':', alen) != NULL;
    limit = mapped ? 128u : max_bits(&out->net);
    out->bits = max_bits(&out->net);
    if (slash != NULL) {
        char *end;
        unsigned long b;

        if (slash[1] < '0' || slash[1] > '9')
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "'%s': prefix length missing", s);
        b = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || b > limit)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "'%s': prefix length must be 0-%u", s, limit);
        if (mapped && b < 96)
            return PJWT_FAIL(err, PJWT_ERR_CONF,
                             "'%s': an IPv4-mapped prefix needs 96 bits or more", s);
        out->bits = (unsigned)(mapped ? b - 96 : b);
    }
    masked = out->net;
    mask(&masked, out->bits);
    if (memcmp(masked.a, out->net.a, sizeof(masked.a)) != 0) {
        char net[NETADDR_STRLEN];

        netaddr_format(&masked, net, sizeof(net));
        return PJWT_FAIL(err, PJWT_ERR_CONF,
                         "'%s' has host bits set (the network is %s/%u)", s, net,
                         out->bits);
    }
    return 0;
}

int
netaddr_in_prefix(const struct netaddr *a, const struct netaddr_prefix *p)
{
    struct netaddr m;

    if (a->family != p->net.family)
        return 0;
    m = *a;
    mask(&m, p->bits);
    return memcmp(m.a, p->net.a, sizeof(m.a)) == 0;
}

void
netaddr_format(const struct netaddr *a, char *out, size_t cap)
{
    if (inet_ntop(a->family, a->a, out, (socklen_t)cap) == NULL)
        snprintf(out, cap, "unknown");
}

void
netaddr_bucket(const struct netaddr *a, unsigned v6_bits, char *out, size_t cap)
{
    struct netaddr m = *a;
    size_t n;

    if (a->family != AF_INET6 || v6_bits >= 128) {
        netaddr_format(a, out, cap);
        return;
    }
    mask(&m, v6_bits);
    netaddr_format(&m, out, cap);
    n = strlen(out);
    snprintf(out + n, cap - n, "/%u", v6_bits);
}
