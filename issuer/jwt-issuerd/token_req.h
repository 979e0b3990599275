/*
 * token_req.h: the state of one POST /token request, shared by
 * routes_token.c (checks, PAM, answer) and token_form.c (the body).
 */
#ifndef ISSUER_TOKEN_REQ_H
#define ISSUER_TOKEN_REQ_H

#include <microhttpd.h>

#include "clients.h"
#include "helper_pool.h"
#include "http.h"
#include "issuer_conf.h"

enum tstate { T_NEW = 0, T_PENDING, T_DONE };

/* Form fields we read; each may appear once (RFC 6749 3.2). */
enum { F_GRANT, F_USER, F_PASS, F_SCOPE, F_AUD, F_OTP, F_CLIENT_ID,
       F_CLIENT_SECRET, F_COUNT };

struct token_req {
    struct req *r;
    struct MHD_PostProcessor *pp;
    enum tstate state;
    const char *bad;               /* static reason the form is malformed */
    unsigned seen;
    char grant[32];
    char scope[ISSUER_MAX_SCOPE_LEN + 1];
    char audience[256];
    char client_id[CONF_MAX_CLIENT_ID];
    char client_secret[CLIENT_SECRET_MAX + 1];   /* cleansed on free */
    int basic_client;              /* HTTP Basic authenticated the client */
    int client_failed;             /* answered 401 invalid_client */
    struct helper_job job;         /* user, password and otp live in job.req */
    struct pool_timer timer;
    uint64_t arrival_ns;           /* the request was complete (fail delays
                                      are measured from here) */
    /* result */
    enum helper_outcome outcome;
    unsigned delay_ms;             /* how long the answer was held */
    int throttled;
    unsigned retry_after;
};

/*
 * The error codes a /token answer may carry: RFC 6749 5.2's, and
 * server_error and temporarily_unavailable (RFC 6749 4.1.2.1) for what is
 * not the request's fault (a PAM failure, a full queue, throttling).
 */
enum token_error {
    TOKEN_INVALID_REQUEST = 0, TOKEN_INVALID_CLIENT, TOKEN_INVALID_GRANT,
    TOKEN_UNAUTHORIZED_CLIENT, TOKEN_UNSUPPORTED_GRANT_TYPE,
    TOKEN_INVALID_SCOPE, TOKEN_SERVER_ERROR, TOKEN_TEMPORARILY_UNAVAILABLE,
    TOKEN_ERROR_COUNT
};

/*
 * The one way a /token error is answered: status, {"error", and
 * "error_description" when desc is not NULL}, no-store, and headers (NULL
 * or a NULL-terminated name, value list, e.g. Retry-After).
 */
enum MHD_Result token_reply_error(struct req *r, unsigned status,
                                  enum token_error e, const char *desc,
                                  const char *const *headers);

/* Route callbacks: the request context, then each chunk of the body. */
enum MHD_Result token_form_begin(struct req *r);
void token_form_body(struct req *r, const char *data, size_t len);
void token_form_free(void *ctx);

/*
 * Read HTTP Basic when present: when the form carries a username it is
 * client authentication (client_id:client_secret, each form-urlencoded,
 * RFC 6749 2.3.1); without one it is the user's credentials (the curl -u
 * convenience).  NULL, or a static reason to refuse the request (two
 * client authentication methods, credentials in both places, malformed).
 */
const char *token_form_basic(struct token_req *t);

#endif
