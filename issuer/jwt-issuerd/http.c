/*
 * http.c: libmicrohttpd in epoll mode with an internal thread pool and
 * suspend/resume (mhd doc/examples/simplepost.c with 0.9.75 APIs).  This
 * file owns the request life cycle: route lookup, method and body-size
 * checks, the client address and the per-client connection limit, and
 * freeing everything when MHD says the request is complete.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "connlimit.h"
#include "http.h"
#include "issuer_conf.h"
#include "log.h"
#include "netaddr.h"
#include "routes.h"
#include "state.h"
#include "tls.h"

static long in_flight;

static const struct route *const routes[] = {
    &route_token, &route_jwks, &route_as_metadata,
    &route_userinfo, &route_auth, &route_healthz, &route_metrics,
    &route_revoke, &route_trust_bundle, NULL
};

enum MHD_Result
http_reply(struct req *r, unsigned code, const char *ctype, const char *body,
           size_t len, const char *const *headers)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    size_t i;

    resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
                                           MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    if (ctype != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    for (i = 0; headers != NULL && headers[i] != NULL; i += 2)
        MHD_add_response_header(resp, headers[i], headers[i + 1]);
    ret = MHD_queue_response(r->conn, code, resp);
    MHD_destroy_response(resp);
    r->replied = 1;
    metrics_request(r->route ? r->route->ep : EP_OTHER, code);
    return ret;
}

enum MHD_Result
http_reply_json(struct req *r, unsigned code, const json_t *j,
                const char *const *headers)
{
    char *s = json_dumps(j, JSON_COMPACT);
    enum MHD_Result ret;

    if (s == NULL)
        return MHD_NO;
    ret = http_reply(r, code, "application/json", s, strlen(s), headers);
    free(s);
    return ret;
}

const char *const http_nostore[] = {
    "Cache-Control", "no-store", "Pragma", "no-cache", NULL
};

enum MHD_Result
http_reply_oauth_error(struct req *r, unsigned code, const char *error,
                       const char *desc, const char *const *headers)
{
    const char *h[12];
    json_auto_t *j = json_pack("{s:s}", "error", error);
    size_t n = 0, i;

    if (j == NULL)
        return MHD_NO;
    if (desc != NULL)
        json_object_set_new(j, "error_description", json_string(desc));
    for (i = 0; http_nostore[i]; i++)
        h[n++] = http_nostore[i];
    for (i = 0; headers && headers[i] && n < 10; i++)
        h[n++] = headers[i];
    h[n] = NULL;
    return http_reply_json(r, code, j, h);
}

void
http_suspend(struct req *r)
{
    /* Counted until MHD reports the request complete, i.e. until the
       answer has been sent: a drain that waits for zero loses nothing. */
    if (!r->suspended) {
        r->suspended = 1;
        __atomic_add_fetch(&in_flight, 1, __ATOMIC_RELAXED);
    }
    MHD_suspend_connection(r->conn);
}

void
http_resume(struct req *r)
{
    MHD_resume_connection(r->conn);
}

long
http_in_flight(void)
{
    return __atomic_load_n(&in_flight, __ATOMIC_RELAXED);
}

/*
 * The client behind a trusted proxy.  Every X-Forwarded-For header, joined
 * in order (RFC 9110 5.3: repeated fields are one comma-separated list), is
 * one list, and each proxy appends the address it saw: so the list is read
 * from the right, past every trusted proxy, and the first address that is
 * not one is the client.  Whatever is left of it came from the client and
 * is never looked at.  A value that is not an address (a proxy that writes
 * "unknown") stops the walk at the last hop that vouched for it.
 */
#define XFF_MAX_HEADERS 32

struct xff_headers {
    const char *v[XFF_MAX_HEADERS];
    size_t n;                     /* seen; the last XFF_MAX_HEADERS are kept */
};

static enum MHD_Result
xff_collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct xff_headers *x = cls;

    (void)kind;
    if (key != NULL && value != NULL && strcasecmp(key, "X-Forwarded-For") == 0)
        x->v[x->n++ % XFF_MAX_HEADERS] = value;
    return MHD_YES;
}

/* 1 with *out set to the client's address, 0 when the headers name none. */
static int
forwarded_client(struct req *r, const struct issuer_conf *c, struct netaddr *out)
{
    struct xff_headers x = { .n = 0 };
    size_t h, kept;
    int found = 0;

    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, xff_collect, &x);
    kept = x.n < XFF_MAX_HEADERS ? x.n : XFF_MAX_HEADERS;
    for (h = 0; h < kept; h++) {
        const char *v = x.v[(x.n - 1 - h) % XFF_MAX_HEADERS];
        const char *end = v + strlen(v);

        while (end > v) {
            const char *s = end, *e = end;
            struct netaddr a;

            while (s > v && s[-1] != ',')
                s--;
            end = s > v ? s - 1 : v;      /* the next element ends at the comma */
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (s == e)
                continue;                 /* empty element: "a, , b" */
            if (netaddr_parse(s, (size_t)(e - s), &a) != 0)
                return found;
            *out = a;
            found = 1;
            if (!issuer_conf_is_proxy(c, &a))
                return 1;
        }
    }
    return found;
}

/*
 * r->peer, r->client and r->bucket.  A dual-stack socket shows IPv4 peers
 * as ::ffff:a.b.c.d: netaddr takes the IPv4 form, so limits,
 * trusted_proxies and logs see one address.
 */
static int
client_address(struct req *r)
{
    const struct issuer_conf *c = r->st->conf;
    const union MHD_ConnectionInfo *ci;
    struct netaddr peer, client;
    int have = 0, trusted = 0;

    snprintf(r->peer, sizeof(r->peer), "unknown");
    ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL) {
        if (ci->client_addr->sa_family == AF_UNIX) {
            snprintf(r->peer, sizeof(r->peer), "unix");
            trusted = c->proxy_unix;
        } else if (netaddr_from_sockaddr(ci->client_addr, &peer) == 0) {
            netaddr_format(&peer, r->peer, sizeof(r->peer));
            trusted = issuer_conf_is_proxy(c, &peer);
            client = peer;
            have = 1;
        }
    }
    if (trusted && forwarded_client(r, c, &client))
        have = 1;
    if (have) {
        netaddr_format(&client, r->client, sizeof(r->client));
        netaddr_bucket(&client, (unsigned)c->ipv6_prefix, r->bucket, sizeof(r->bucket));
    } else {
        snprintf(r->client, sizeof(r->client), "%s", r->peer);
        snprintf(r->bucket, sizeof(r->bucket), "%s", r->peer);
    }
    return trusted;
}

/*
 * max_connections_per_ip behind a proxy: the proxy's connections are not
 * counted (only max_connections bounds them), each forwarded client's
 * requests in progress are.  0, or -1 when the client holds its limit.
 */
static int
take_request_place(struct req *r, int via_proxy)
{
    long limit = r->st->conf->max_per_ip;

    if (!via_proxy || limit <= 0)
        return 0;
    if (connlimit_acquire(r->bucket, limit) != 0) {
        log_debug("client %s: %ld requests in progress, refused", r->client, limit);
        return -1;
    }
    r->holds_place = 1;
    return 0;
}

struct framing {
    unsigned n_cl, n_te;
    int cl_differ;
    const char *cl, *te;
};

static enum MHD_Result
count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
              const char *value)
{
    struct framing *f = cls;

    (void)kind;
    if (value == NULL)
        value = "";
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->n_cl++ == 0)
            f->cl = value;
        else if (strcmp(value, f->cl) != 0)
            f->cl_differ = 1;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->n_te++;
        f->te = value;
    }
    return MHD_YES;
}

/*
 * A body whose length two HTTP parsers could read differently is how
 * requests are smuggled past a proxy (RFC 9112 6.1, 6.3).  libmicrohttpd
 * 0.9.75 lets Transfer-Encoding win over Content-Length and reads the
 * first of several Content-Lengths; a proxy in front may do otherwise.
 * NULL, or why the request is refused.
 */
static const char *
framing_bad(struct MHD_Connection *c)
{
    struct framing f = { 0, 0, 0, NULL, NULL };

    MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
    if (f.n_te > 0 && f.n_cl > 0)
        return "both Content-Length and Transfer-Encoding";
    if (f.cl_differ)
        return "conflicting Content-Length headers";
    if (f.n_te > 1 || (f.n_te == 1 && strcasecmp(f.te, "chunked") != 0))
        return "Transfer-Encoding other than chunked";
    return NULL;
}

static enum MHD_Result
first_call(struct req *r, const char *url, const char *method)
{
    const char *cl, *bad;
    size_t i;
    int via_proxy = client_address(r);

    if ((bad = framing_bad(r->conn)) != NULL) {
        /* The rest of the stream cannot be trusted to start a request. */
        static const char *const h[] = { "Connection", "close", NULL };

        return http_reply_oauth_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request",
                                      bad, h);
    }
    for (i = 0; routes[i] != NULL; i++)
        if (strcmp(routes[i]->path, url) == 0)
            break;
    r->route = routes[i];
    if (r->route == NULL) {
        static const struct route none = { "", EP_OTHER, "", NULL, NULL, NULL };

        r->route = &none;
        return http_reply_oauth_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL, NULL);
    }
    if (take_request_place(r, via_proxy) != 0) {
        static const char *const h[] = { "Retry-After", "1", NULL };

        return http_reply_oauth_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                                      "temporarily_unavailable",
                                      "too many requests in progress from this client", h);
    }
    if (strstr(r->route->methods, method) == NULL
        || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0
            && strcmp(method, "POST") != 0)) {
        const char *h[] = { "Allow", r->route->methods, NULL };

        return http_reply_oauth_error(r, MHD_HTTP_METHOD_NOT_ALLOWED,
                                      "invalid_request", "method not allowed", h);
    }
    /* Refuse a declared oversized body before reading any of it. */
    cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);

        if (end == cl || *end != '\0' || n > HTTP_MAX_BODY)
            return http_reply_oauth_error(r, MHD_HTTP_CONTENT_TOO_LARGE,
                                          "invalid_request", "request body too large",
                                          NULL);
    }
    return r->route->begin ? r->route->begin(r) : MHD_YES;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
          const char *method, const char *version, const char *upload,
          size_t *upload_size, void **con_cls)
{
    struct req *r = *con_cls;

    (void)cls;
    (void)version;
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL)
            return MHD_NO;
        r->conn = c;
        r->st = issuer_state_get();
        *con_cls = r;
        return first_call(r, url, method);
    }
    if (r->replied) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        /* Chunked bodies have no Content-Length: count as they come. */
        r->body_len += *upload_size;
        if (r->body_len > HTTP_MAX_BODY)
            r->too_big = 1;
        else if (r->route->body)
            r->route->body(r, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_big)
        return http_reply_oauth_error(r, MHD_HTTP_CONTENT_TOO_LARGE,
                                      "invalid_request", "request body too large",
                                      NULL);
    return r->route->end(r);
}

static void
completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct req *r = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (r == NULL)
        return;
    if (r->suspended)
        __atomic_sub_fetch(&in_flight, 1, __ATOMIC_RELAXED);
    if (r->holds_place)
        connlimit_release(r->bucket);
    if (r->ctx_free != NULL)
        r->ctx_free(r->ctx);
    issuer_state_put(r->st);
    free(r);
    *con_cls = NULL;
}

/*
 * MHD decodes the path in place into a C string, so "/token%00x" would be
 * routed as "/token".  A path (or argument) holding an encoded NUL is left
 * encoded instead: it matches no route.
 */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
    const char *p;

    (void)cls;
    (void)c;
    for (p = strchr(s, '%'); p != NULL; p = strchr(p + 1, '%'))
        if (p[1] == '0' && p[2] == '0')
            return strlen(s);
    return MHD_http_unescape(s);
}

/*
 * max_connections_per_ip for direct peers, counted here rather than by
 * MHD_OPTION_PER_IP_CONNECTION_LIMIT: MHD counts every peer, so behind a
 * proxy its one address would hit the limit for all its clients at once.
 * A trusted proxy's connections are left to max_connections (its clients
 * are counted per request, take_request_place).  MHD offers no way to
 * refuse a connection here, so one over the limit is shut down: MHD then
 * reads end-of-file and closes it at once, and CLOSED is still reported.
 */
static void
connection_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    const union MHD_ConnectionInfo *ci;
    struct issuer_state *st;
    struct netaddr a;
    char bucket[NETADDR_STRLEN], *held = NULL;

    (void)cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        held = *socket_context;
        if (held != NULL) {
            connlimit_release(held);
            free(held);
            *socket_context = NULL;
        }
        return;
    }
    st = issuer_state_get();
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (st->conf->max_per_ip > 0 && ci != NULL
        && netaddr_from_sockaddr(ci->client_addr, &a) == 0
        && !issuer_conf_is_proxy(st->conf, &a)) {
        netaddr_bucket(&a, (unsigned)st->conf->ipv6_prefix, bucket, sizeof(bucket));
        held = strdup(bucket);
        if (held != NULL && connlimit_acquire(held, st->conf->max_per_ip) == 0) {
            *socket_context = held;
        } else {
            free(held);
            ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (ci != NULL)
                shutdown(ci->connect_fd, SHUT_RDWR);
            log_debug("peer %s: %ld connections open, refused", bucket,
                      st->conf->max_per_ip);
        }
    }
    issuer_state_put(st);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    size_t n;

    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    log_warn("microhttpd: %s", buf);
}

struct MHD_Daemon *
http_start(int fd, int is_unix, const struct issuer_state *st)
{
    const struct issuer_conf *c = st->conf;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME
                     | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    struct MHD_OptionItem tls[3] = {
        { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
        { MHD_OPTION_END, 0, NULL }
    };

    if (st->tls_cert_pem != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            log_err("this libmicrohttpd has no TLS support");
            return NULL;
        }
        flags |= MHD_USE_TLS;
        /* The certificate is fetched per handshake, so SIGHUP renews it. */
        tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK2, 0,
                                          (void *)(uintptr_t)tls_cert_retrieve };
        tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
                                          (void *)(uintptr_t)TLS_PRIORITIES };
    }
    return MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u,
        /* Unix peers have no address to count. */
        MHD_OPTION_NOTIFY_CONNECTION, is_unix ? NULL : connection_cb, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->connection_timeout,
        MHD_OPTION_NOTIFY_COMPLETED, completed_cb, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_ARRAY, tls,
        MHD_OPTION_END);
}
