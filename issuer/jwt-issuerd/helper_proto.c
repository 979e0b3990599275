/*
 * helper_proto.c: encoding of helper_proto.h messages.  Decoding is strict (no
 * trailing bytes, no NUL inside strings, no unknown flag): the helper reads
 * requests from the unprivileged side, which it must assume compromised,
 * and the daemon reads replies from processes that run PAM modules.
 */
#include <string.h>

#include "helper_proto.h"

struct wbuf {
    uint8_t *b;
    size_t n;
    int bad;
};

struct rbuf {
    const uint8_t *b;
    size_t n, off;
    int bad;
};

static void
put(struct wbuf *w, const void *p, size_t len)
{
    if (w->bad || w->n + len > PROTO_MAX_MSG) {
        w->bad = 1;
        return;
    }
    memcpy(w->b + w->n, p, len);
    w->n += len;
}

static void
put_u32(struct wbuf *w, uint32_t v)
{
    put(w, &v, sizeof(v));
}

static void
put_str(struct wbuf *w, const char *s)
{
    size_t len = strlen(s);
    uint16_t l16 = (uint16_t)len;

    if (len > UINT16_MAX) {
        w->bad = 1;
        return;
    }
    put(w, &l16, sizeof(l16));
    put(w, s, len);
}

static void
get(struct rbuf *r, void *p, size_t len)
{
    if (r->bad || r->off + len > r->n) {
        r->bad = 1;
        memset(p, 0, len);
        return;
    }
    memcpy(p, r->b + r->off, len);
    r->off += len;
}

static uint32_t
get_u32(struct rbuf *r)
{
    uint32_t v;

    get(r, &v, sizeof(v));
    return v;
}

static void
get_str(struct rbuf *r, char *out, size_t cap)
{
    uint16_t len;

    get(r, &len, sizeof(len));
    if (r->bad || len >= cap || r->off + len > r->n
        || memchr(r->b + r->off, '\0', len) != NULL) {
        r->bad = 1;
        out[0] = '\0';
        return;
    }
    memcpy(out, r->b + r->off, len);
    out[len] = '\0';
    r->off += len;
}

size_t
proto_req_encode(const struct proto_req *q, uint8_t *buf)
{
    struct wbuf w = { buf, 0, 0 };

    put_u32(&w, q->seq);
    put_u32(&w, q->flags);
    put_str(&w, q->rhost);
    put_str(&w, q->user);
    put_str(&w, q->password);
    put_str(&w, q->otp);
    return w.bad ? 0 : w.n;
}

int
proto_req_decode(const uint8_t *buf, size_t len, struct proto_req *q)
{
    struct rbuf r = { buf, len, 0, 0 };

    q->seq = get_u32(&r);
    q->flags = get_u32(&r);
    get_str(&r, q->rhost, sizeof(q->rhost));
    get_str(&r, q->user, sizeof(q->user));
    get_str(&r, q->password, sizeof(q->password));
    get_str(&r, q->otp, sizeof(q->otp));
    return (r.bad || r.off != r.n || (q->flags & ~PROTO_FLAGS_KNOWN) != 0) ? -1 : 0;
}

size_t
proto_reply_encode(const struct proto_reply *p, uint8_t *buf)
{
    struct wbuf w = { buf, 0, 0 };
    uint32_t i;

    put_u32(&w, p->seq);
    put_u32(&w, (uint32_t)p->outcome);
    put_u32(&w, (uint32_t)p->pam_rc);
    put_u32(&w, p->delay_usec);
    put_u32(&w, p->asked_usec);
    put_str(&w, p->user);
    put_str(&w, p->reason);
    put_str(&w, p->prompt);
    put_u32(&w, p->ngroups);
    for (i = 0; i < p->ngroups && i < PROTO_MAX_GROUPS; i++)
        put_str(&w, p->groups[i]);
    return w.bad ? 0 : w.n;
}

int
proto_reply_decode(const uint8_t *buf, size_t len, struct proto_reply *p)
{
    struct rbuf r = { buf, len, 0, 0 };
    uint32_t i;

    p->seq = get_u32(&r);
    p->outcome = (int32_t)get_u32(&r);
    p->pam_rc = (int32_t)get_u32(&r);
    p->delay_usec = get_u32(&r);
    p->asked_usec = get_u32(&r);
    get_str(&r, p->user, sizeof(p->user));
    get_str(&r, p->reason, sizeof(p->reason));
    get_str(&r, p->prompt, sizeof(p->prompt));
    p->ngroups = get_u32(&r);
    if (p->ngroups > PROTO_MAX_GROUPS)
        return -1;
    for (i = 0; i < p->ngroups; i++)
        get_str(&r, p->groups[i], sizeof(p->groups[i]));
    return (r.bad || r.off != r.n || p->outcome < HELPER_OUT_OK
            || p->outcome > HELPER_OUT_ERROR) ? -1 : 0;
}
