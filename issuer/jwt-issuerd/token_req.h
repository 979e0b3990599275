/*
 * token_req.h: the state of one POST /token request, shared by
 * routes_token.c (checks, PAM), token_refresh.c (the refresh grant), token_answer.c
 * (answers, log lines), routes_revoke.c (RFC 7009) and token_form.c (the body).
 */
#ifndef ISSUER_TOKEN_REQ_H
#define ISSUER_TOKEN_REQ_H

#include <microhttpd.h>

#include "clients.h"
#include "helper_pool.h"
#include "http.h"
#include "issuer_conf.h"
#include "session_store.h"

enum tstate { T_NEW = 0, T_PENDING, T_DONE };

/* Form fields we read; each may appear once (RFC 6749 3.2).  /revoke
   (RFC 7009) reads the same form: token, token_type_hint, the client's. */
enum { F_GRANT, F_USER, F_PASS, F_SCOPE, F_AUD, F_OTP, F_CLIENT_ID,
       F_CLIENT_SECRET, F_REFRESH, F_TOKEN, F_HINT, F_COUNT };

/* Longer than any refresh token; an access token given to /revoke may be
   this long and is not ours to revoke. */
#define TOKEN_FIELD_MAX 2048

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
    char refresh[REFRESH_TOKEN_LEN + 2];   /* refresh_token; cleansed */
    char token[TOKEN_FIELD_MAX];   /* /revoke's token; cleansed */
    char hint[32];                 /* /revoke's token_type_hint */
    int basic_client;              /* HTTP Basic authenticated the client */
    int client_failed;             /* answered 401 invalid_client */
    struct helper_job job;         /* user, password and otp live in job.req */
    struct pool_timer timer;
    uint64_t arrival_ns;           /* the request was complete (fail delays
                                      are measured from here) */
    /* refresh_token grant: the session found, and what it is checked as */
    int is_refresh;
    struct store_session sess;
    uint8_t rt_hash[STORE_HASH_LEN];
    const char *rl_user;           /* the user key ratelimit_acquire counted */
    char session_client[CONF_MAX_CLIENT_ID];   /* authenticated client, "" */
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

/*
 * The store (sessions, or a shared store's rate limits) cannot answer:
 * 503 temporarily_unavailable with Retry-After: 2, and nothing issued or
 * let through uncounted.  /token and /revoke.
 */
enum MHD_Result token_reply_unavailable(struct req *r, const char *desc);

/* The one "login:" line per /token attempt (token_answer.c); extra is ""
   or more " key=value" pairs for the end of the line. */
void token_log(struct token_req *t, const char *outcome, const char *reason,
               const char *extra);

/* " session=ID jti=J aud=A" into buf, for a success line. */
void token_log_issued(char *buf, size_t cap, const struct token_req *t,
                      const char *session, const char *jti);

/* Authenticate the request's client (clients.h) from the form or HTTP
   Basic, and cleanse its secret: 1 and *client (NULL with no clients
   registered), or 0 with *why a static reason.  /token and /revoke. */
int token_client_ok(struct token_req *t, const struct issuer_client **client,
                    const char **why);

/* A request refused as it stands (400, logged "invalid"), before PAM. */
enum MHD_Result token_refuse(struct token_req *t, enum token_error e,
                             const char *desc);

/* Held answers: resume the suspended connection once delay_usec has passed
   since the request was complete; the least failure delay. */
void token_delay_then_resume(struct token_req *t, unsigned delay_usec);
unsigned token_fail_delay_usec(const struct issuer_conf *c);

/* The event thread's completion for a PAM job of either grant. */
void token_helper_done(struct helper_job *job);

/* After PAM said yes: the groups of the reply into groups (PROTO_MAX_GROUPS
   entries), the scope granted into scope (ISSUER_MAX_SCOPE_LEN + 1, "" for
   none); -1 when the asked scope is not this user's. */
int token_grant_claims(struct token_req *t, const char **groups,
                       size_t *ngroups, char *scope);

/* Sign the access token for user at the request's audience (or the
   default); jti gets its jti.  NULL with *err set. */
char *token_sign(struct token_req *t, const char *user, const char *scope,
                 const char *const *groups, size_t ngroups, char *jti,
                 pjwt_err *err);

/* 200 with tok (cleansed and freed here), the scope when not "", and when
   s is not NULL the session: refresh_token rt and its limits. */
enum MHD_Result token_reply_ok(struct token_req *t, char *tok, const char *scope,
                               const struct store_session *s, const char *rt);

/*
 * The refresh side (token_refresh.c).  token_session_create starts the
 * session of a password grant for user: *s and its first refresh token rt;
 * 0, or -1 (store error, in *err).  token_refresh_start takes a
 * refresh_token request once the form, the audience and the client
 * (client_ok, why) are checked; token_refresh_answer answers it once the
 * account check is back.
 */
int token_session_create(struct token_req *t, const char *user,
                         struct store_session *s, char *rt, pjwt_err *err);
enum MHD_Result token_refresh_start(struct token_req *t, int client_ok,
                                    const char *why);
enum MHD_Result token_refresh_answer(struct token_req *t);

/* Route callbacks: the request context, then each chunk of the body. */
enum MHD_Result token_form_begin(struct req *r);
void token_form_body(struct req *r, const char *data, size_t len);
void token_form_free(void *ctx);
/* The body is complete: finish decoding it (t->bad set when it ended
   malformed). */
void token_form_end(struct token_req *t);

/*
 * Read HTTP Basic when present: when the form carries a username it is
 * client authentication (client_id:client_secret, each form-urlencoded,
 * RFC 6749 2.3.1); without one it is the user's credentials (the curl -u
 * convenience).  NULL, or a static reason to refuse the request (two
 * client authentication methods, credentials in both places, malformed).
 */
const char *token_form_basic(struct token_req *t);

#endif
