/*
 * http.h: the libmicrohttpd glue shared by the routes: one struct req per
 * HTTP request, reply helpers, suspend/resume accounting.
 */
#ifndef ISSUER_HTTP_H
#define ISSUER_HTTP_H

#include <stddef.h>
#include <microhttpd.h>
#include <jansson.h>

#include "metrics.h"

#define HTTP_MAX_BODY 4096

struct issuer_state;
struct req;

/* A route: begin() once the headers are in, body() per chunk of the body,
   end() when the request is complete (and again after each resume).
   Each returns MHD_YES / MHD_NO as MHD access handlers do. */
struct route {
    const char *path;
    enum metrics_endpoint ep;
    const char *methods;          /* "GET, HEAD" or "POST": the Allow value */
    enum MHD_Result (*begin)(struct req *r);
    void (*body)(struct req *r, const char *data, size_t len);
    enum MHD_Result (*end)(struct req *r);
};

struct req {
    struct MHD_Connection *conn;
    const struct route *route;
    struct issuer_state *st;      /* reference held for the whole request */
    char peer[64];                /* numeric address of the TCP peer */
    char client[64];              /* the client: peer or trusted X-Forwarded-For */
    char bucket[64];              /* the client's per-address limit key */
    int holds_place;              /* counted in connlimit under bucket */
    size_t body_len;
    int too_big;
    int replied;
    int suspended;                /* was suspended: counted in flight */
    void *ctx;                    /* the route's own state */
    void (*ctx_free)(void *ctx);
};

/* Queue a response; headers is NULL or a NULL-terminated name, value list. */
enum MHD_Result http_reply(struct req *r, unsigned code, const char *ctype,
                           const char *body, size_t len,
                           const char *const *headers);
enum MHD_Result http_reply_json(struct req *r, unsigned code, const json_t *j,
                                const char *const *headers);
/* Cache-Control: no-store and Pragma: no-cache, as a headers list: every
   answer that carries a token or says why none was given (RFC 6749 5.1). */
extern const char *const http_nostore[];
/* RFC 6749 5.2 error body; description may be NULL. */
enum MHD_Result http_reply_oauth_error(struct req *r, unsigned code,
                                       const char *error, const char *desc,
                                       const char *const *headers);

/* Suspend the connection (a worker or timer resumes it later). */
void http_suspend(struct req *r);
/* Resume it; any thread. */
void http_resume(struct req *r);
/* Requests suspended at some point and not yet completed. */
long http_in_flight(void);

/* Start one MHD daemon on an already listening socket; NULL on failure. */
struct MHD_Daemon *http_start(int fd, int is_unix, const struct issuer_state *st);

#endif
