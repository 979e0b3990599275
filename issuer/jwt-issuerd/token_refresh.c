/*
 * token_refresh.c: refresh sessions on POST /token.  A password grant
 * starts a session (token_session_create) and answers with its first
 * refresh token; grant_type=refresh_token (RFC 6749 6) trades one for a
 * fresh access token, for any audience the password grant could have had,
 * and a new refresh token (rotation, RFC 9700 4.14.2).
 *
 * A refresh, in order: the token is looked up (store_find: nothing
 * changes yet); a token that was already rotated away ends its whole
 * session (reuse: the token was copied, or a client lost an answer); the
 * client must be the one the session started with; the session is under
 * rate_limit_per_session; then the PAM account stack runs in a helper
 * (PROTO_ACCT_ONLY, PAM_RHOST the client's address), so an account locked,
 * expired or deleted since the login ends the session at its next
 * refresh (session_account_check = no skips it when no groups are needed).  Only then is the token signed and the refresh token rotated
 * (store_rotate, a compare-and-set: of two requests with one token one
 * wins, the other is reuse).  A PAM error or timeout leaves the refresh
 * token as it was, so the client may try again.  A store error, of the
 * sessions or of a shared store's rate limits, answers 503 with
 * Retry-After and never a token.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "cleanup.h"
#include "excerpt.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "scope.h"
#include "signer.h"
#include "state.h"
#include "token_req.h"

/* One description for every dead refresh token: the client's answer is
   the same (log in again); which it was goes to the log. */
#define DEAD_DESC "refresh token not valid or session ended"

int
token_session_create(struct token_req *t, const char *user,
                     struct store_session *s, char *rt, pjwt_err *err)
{
    const struct issuer_conf *c = t->r->st->conf;
    uint8_t hash[STORE_HASH_LEN];
    int64_t now = (int64_t)time(NULL);

    memset(s, 0, sizeof(*s));
    if (session_id_new(s->id) != 0 || session_token_new(rt, hash) != 0)
        return PJWT_FAIL(err, PJWT_ERR_INTERNAL, "RAND_bytes failed");
    snprintf(s->user, sizeof(s->user), "%s", user);
    snprintf(s->client_id, sizeof(s->client_id), "%s", t->session_client);
    snprintf(s->rhost, sizeof(s->rhost), "%s", t->r->client);
    s->created = s->last_used = now;
    s->expires = now + c->session_lifetime;
    s->idle = c->session_idle;
    pjwt_err_clear(err);
    if (store_create(session_store(), s, hash, err) != STORE_OK) {
        OPENSSL_cleanse(rt, REFRESH_TOKEN_LEN + 1);
        return -1;
    }
    return 0;
}

static void
log_refresh(struct token_req *t, const char *outcome, const char *reason)
{
    char extra[64];

    snprintf(extra, sizeof(extra), " session=%s", t->sess.id[0] ? t->sess.id : "-");
    token_log(t, outcome, reason, extra);
}

/* A dead refresh token: 400 invalid_grant (the client logs in again). */
static enum MHD_Result
dead(struct token_req *t, const char *reason)
{
    metrics_login(LOGIN_DENIED);
    log_refresh(t, "fail", reason);
    return token_reply_error(t->r, MHD_HTTP_BAD_REQUEST, TOKEN_INVALID_GRANT,
                             DEAD_DESC, NULL);
}

static enum MHD_Result
store_failed(struct token_req *t, const pjwt_err *err)
{
    shared_store_note(STORE_ERROR, err);
    metrics_login(LOGIN_ERROR);
    log_refresh(t, "error", err->msg[0] ? err->msg : "session store error");
    return token_reply_unavailable(t->r, "session store unavailable");
}

/* A shared store could not count the attempt (ratelimit.h: -1). */
static enum MHD_Result
limit_failed(struct token_req *t)
{
    metrics_login(LOGIN_ERROR);
    log_refresh(t, "error", "rate limit store unavailable");
    return token_reply_unavailable(t->r, "store unavailable");
}

/* End the session a rotated-away token belongs to, and say so loudly: a
   copy of the token has been used, by its owner or by someone else. */
static enum MHD_Result
reused(struct token_req *t)
{
    char user[PJWT_EXCERPT_BUF(79)];
    struct store_session s;
    pjwt_err err;

    pjwt_err_clear(&err);
    if (store_revoke_hash(session_store(), t->rt_hash, &s, &err) == STORE_ERROR)
        return store_failed(t, &err);
    log_warn("refresh token reuse: session=%s user=%s ended (the refresh "
             "token was presented after it had been rotated: it may have "
             "been copied)", t->sess.id,
             pjwt_excerpt(t->sess.user, PJWT_EXCERPT_CSTR, 79,
                          PJWT_EXCERPT_WORD, user, sizeof(user)));
    return dead(t, "refresh token reused: session ended");
}

/* Nothing counted against the address after all. */
static void
release(struct token_req *t)
{
    ratelimit_release(t->r->st->conf, t->r->bucket, NULL);
}

enum MHD_Result
token_refresh_start(struct token_req *t, int client_ok, const char *why)
{
    struct req *r = t->r;
    const struct issuer_conf *c = r->st->conf;
    pjwt_err err;
    int want_groups, rl;

    /* A refresh token cannot be guessed, but presenting dead ones (or a
       wrong client secret) counts against the address like a wrong
       password, and a failed client is answered after the same delay. */
    t->rl_user = NULL;
    rl = ratelimit_acquire(c, r->bucket, NULL, &t->retry_after);
    if (rl < 0) {
        OPENSSL_cleanse(t->refresh, sizeof(t->refresh));
        return limit_failed(t);
    }
    if (rl != 0 || !client_ok) {
        if (t->retry_after > 0)
            t->throttled = 1;
        else {
            t->client_failed = 1;
            snprintf(t->job.reply.reason, sizeof(t->job.reply.reason),
                     "client authentication failed: %s", why);
        }
        OPENSSL_cleanse(t->refresh, sizeof(t->refresh));
        t->state = T_DONE;
        http_suspend(r);
        token_delay_then_resume(t, token_fail_delay_usec(c));
        return MHD_YES;
    }
    session_token_hash(t->refresh, t->rt_hash);
    OPENSSL_cleanse(t->refresh, sizeof(t->refresh));
    pjwt_err_clear(&err);
    switch (store_find(session_store(), t->rt_hash, (int64_t)time(NULL),
                       &t->sess, &err)) {
    case STORE_OK:
        break;
    case STORE_REUSED:
        snprintf(t->job.req.user, sizeof(t->job.req.user), "%s", t->sess.user);
        return reused(t);
    case STORE_ENDED:
        snprintf(t->job.req.user, sizeof(t->job.req.user), "%s", t->sess.user);
        return dead(t, "session ended (expired, idle or revoked)");
    case STORE_NOT_FOUND:
        return dead(t, "unknown refresh token");
    default:
        release(t);
        return store_failed(t, &err);
    }
    snprintf(t->job.req.user, sizeof(t->job.req.user), "%s", t->sess.user);
    /* Bound to its client (RFC 6749 6): a token another client presents
       has left the one it was given to. */
    if (strcmp(t->sess.client_id, t->session_client) != 0) {
        struct store_session s;

        pjwt_err_clear(&err);
        if (store_revoke_hash(session_store(), t->rt_hash, &s, &err) == STORE_ERROR)
            return store_failed(t, &err);
        log_warn("refresh token of session=%s presented by another client: "
                 "session ended", t->sess.id);
        return dead(t, "refresh token of another client: session ended");
    }
    release(t);
    rl = ratelimit_session(c, t->sess.id, &t->retry_after);
    if (rl < 0)
        return limit_failed(t);
    if (rl != 0) {
        char ra[16];
        const char *h[] = { "Retry-After", ra, NULL };

        snprintf(ra, sizeof(ra), "%u", t->retry_after);
        metrics_login(LOGIN_THROTTLED);
        log_refresh(t, "throttled", "too many refreshes of this session");
        return token_reply_error(r, MHD_HTTP_TOO_MANY_REQUESTS,
                                 TOKEN_INVALID_REQUEST,
                                 "too many refreshes", h);
    }
    /* session_account_check = no: the login's account check stands for
       the whole session, unless a helper must look up groups anyway. */
    want_groups = c->claims_groups || scope_needs_groups(c, t->scope);
    if (!c->session_acct_check && !want_groups) {
        t->outcome = HELPER_OUT_OK;
        snprintf(t->job.reply.user, sizeof(t->job.reply.user), "%s", t->sess.user);
        snprintf(t->job.reply.reason, sizeof(t->job.reply.reason), "no account check");
        return token_refresh_answer(t);
    }
    if (helper_pool_reserve() != 0) {
        static const char *const h[] = { "Retry-After", "1", NULL };

        metrics_login(LOGIN_BUSY);
        log_refresh(t, "busy", "PAM queue full");
        return token_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                                 TOKEN_TEMPORARILY_UNAVAILABLE, "server busy", h);
    }
    snprintf(t->job.req.rhost, sizeof(t->job.req.rhost), "%s", r->client);
    t->job.req.flags = PROTO_ACCT_ONLY | (want_groups ? PROTO_WANT_GROUPS : 0);
    t->job.done = token_helper_done;
    t->state = T_PENDING;
    http_suspend(r);
    helper_pool_submit(&t->job);
    return MHD_YES;
}

enum MHD_Result
token_refresh_answer(struct token_req *t)
{
    struct req *r = t->r;
    const char *groups[PROTO_MAX_GROUPS];
    char scope[ISSUER_MAX_SCOPE_LEN + 1], jti[SIGNER_JTI_LEN + 1];
    char next[REFRESH_TOKEN_LEN + 1], extra[400];
    uint8_t next_hash[STORE_HASH_LEN];
    enum MHD_Result res;
    enum store_rc rc;
    size_t ng;
    pjwt_err err;
    char *tok;

    switch (t->outcome) {
    case HELPER_OUT_OK:
        break;
    case HELPER_OUT_ERROR:
    case HELPER_OUT_TIMEOUT:
        /* Not the account's fault: the session and its token stay. */
        metrics_login(LOGIN_ERROR);
        log_refresh(t, "error", t->job.reply.reason);
        return t->outcome == HELPER_OUT_TIMEOUT
                   ? token_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                                       TOKEN_TEMPORARILY_UNAVAILABLE, NULL, NULL)
                   : token_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                       TOKEN_SERVER_ERROR, NULL, NULL);
    default: {
        /* The account may not log in any more: the session is over. */
        char why[PROTO_NAME_MAX + 32];

        pjwt_err_clear(&err);
        if (store_revoke_id(session_store(), t->sess.id, &err) == STORE_ERROR)
            log_warn("session=%s: ending it after an account refusal: %s",
                     t->sess.id, err.msg);
        snprintf(why, sizeof(why), "%s: session ended", t->job.reply.reason);
        return dead(t, why);
    }
    }
    if (token_grant_claims(t, groups, &ng, scope) != 0) {
        metrics_login(LOGIN_INVALID);
        log_refresh(t, "invalid", "scope not permitted to this user");
        return token_reply_error(r, MHD_HTTP_BAD_REQUEST, TOKEN_INVALID_SCOPE,
                                 "scope not allowed", NULL);
    }
    /* Signed before the rotation, so that a token exists when the client's
       refresh token has been spent; freed unsent if the rotation loses. */
    pjwt_err_clear(&err);
    tok = token_sign(t, t->sess.user, scope, groups, ng, jti, &err);
    if (tok == NULL) {
        metrics_login(LOGIN_ERROR);
        log_refresh(t, "error", err.msg);
        return token_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 TOKEN_SERVER_ERROR, NULL, NULL);
    }
    if (session_token_new(next, next_hash) != 0) {
        pjwt_secret_free(tok, strlen(tok));
        metrics_login(LOGIN_ERROR);
        log_refresh(t, "error", "RAND_bytes failed");
        return token_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 TOKEN_SERVER_ERROR, NULL, NULL);
    }
    pjwt_err_clear(&err);
    rc = store_rotate(session_store(), t->rt_hash, next_hash, (int64_t)time(NULL),
                      &t->sess, &err);
    if (rc != STORE_OK) {
        pjwt_secret_free(tok, strlen(tok));
        OPENSSL_cleanse(next, sizeof(next));
        if (rc == STORE_REUSED) {
            /* Another request with the same token won the race. */
            log_warn("refresh token reuse: session=%s ended (two refreshes "
                     "with one refresh token)", t->sess.id);
            return dead(t, "refresh token reused: session ended");
        }
        if (rc == STORE_ERROR)
            return store_failed(t, &err);
        return dead(t, "session ended (expired, idle or revoked)");
    }
    metrics_login(LOGIN_OK);
    token_log_issued(extra, sizeof(extra), t, t->sess.id, jti);
    token_log(t, "success", "refreshed", extra);
    res = token_reply_ok(t, tok, scope, &t->sess, next);
    OPENSSL_cleanse(next, sizeof(next));
    return res;
}
