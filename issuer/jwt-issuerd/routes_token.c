/*
 * routes_token.c: POST /token, the OAuth 2.0 resource-owner password grant
 * (RFC 6749 4.3, errors 5.2), and what it shares with the refresh_token
 * grant (token_refresh.c): the checks of the form, the client and the
 * audience, and the held answers.  The answers and log lines of both
 * grants are in token_answer.c.
 *
 * Phases: the form is decoded as it arrives (token_form.c); at the end the
 * request is checked (grant, credentials, scope, audience), throttled
 * before PAM, and handed to the helper pool on a suspended connection.  The
 * event thread records the answer and resumes at once on success, or on
 * failure once the fail delay (faildelay.h) has passed since the request
 * was complete (a timer: no thread waits).  The resumed
 * call signs the token on the HTTP thread.  Every attempt ends in exactly
 * one "login:" log line.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "cleanup.h"
#include "clients.h"
#include "excerpt.h"
#include "faildelay.h"
#include "helper_pool.h"
#include "log.h"
#include "ratelimit.h"
#include "routes.h"
#include "scope.h"
#include "session_store.h"
#include "signer.h"
#include "state.h"
#include "token_req.h"
#include "util.h"

/*
 * The failure delay PAM asked for most recently.  Throttled attempts and
 * refused names are held for fail_delay_ms or this, whichever is longer, as
 * the helpers hold what they refuse, so the answer time never tells whether
 * PAM was asked or what it said.
 */
static unsigned last_asked_usec;

/*
 * Every refusal of the credentials or of the account reads the same
 * (RFC 6749 5.2 invalid_grant): which check failed goes to the log only,
 * or the answer would tell that a password was right.
 */
#define REFUSED_DESC "invalid username or password"

static void
log_login(struct token_req *t, const char *outcome, const char *reason)
{
    token_log(t, outcome, reason, "");
}

static void
resume_timer(struct pool_timer *tm)
{
    struct token_req *t = container_of(tm, struct token_req, timer);

    http_resume(t->r);
}

void
token_delay_then_resume(struct token_req *t, unsigned delay_usec)
{
    t->delay_ms = delay_usec / 1000u;
    t->timer.due_ns = t->arrival_ns + (uint64_t)delay_usec * 1000u;
    t->timer.fn = resume_timer;
    helper_pool_timer_add(&t->timer);
}

unsigned
token_fail_delay_usec(const struct issuer_conf *c)
{
    return faildelay_usec(c->fail_delay_ms,
                          __atomic_load_n(&last_asked_usec, __ATOMIC_RELAXED));
}

/* Event thread: PAM has answered. */
void
token_helper_done(struct helper_job *job)
{
    struct token_req *t = container_of(job, struct token_req, job);
    const struct issuer_conf *c = t->r->st->conf;

    t->outcome = (enum helper_outcome)job->reply.outcome;
    t->state = T_DONE;
    if (t->outcome == HELPER_OUT_OK
        && !signer_name_ok(job->reply.user, ISSUER_MAX_USER_LEN)) {
        /* A module mapped the name to one no token can carry: a refusal
           after a right password, so answered and delayed like any. */
        t->outcome = HELPER_OUT_DENIED;
        snprintf(job->reply.reason, sizeof(job->reply.reason),
                 "PAM user name not usable in a token");
    }
    /* The attempt was counted when it was let through; only failures keep
       that count (a timeout or a server error is not the user's). */
    if (t->outcome == HELPER_OUT_OK || t->outcome == HELPER_OUT_ERROR
        || t->outcome == HELPER_OUT_TIMEOUT)
        ratelimit_release(c, t->r->bucket, t->rl_user);
    /* An account check guessed nothing: its answer is not held. */
    if (t->outcome == HELPER_OUT_OK || t->outcome == HELPER_OUT_TIMEOUT
        || t->is_refresh) {
        http_resume(t->r);
        return;
    }
    if (job->reply.asked_usec > 0)
        __atomic_store_n(&last_asked_usec, job->reply.asked_usec, __ATOMIC_RELAXED);
    /* The helper's delay; our own when it gave none (it died, or the
       refusal came after PAM said yes). */
    token_delay_then_resume(t, job->reply.delay_usec > 0 ? job->reply.delay_usec
                                                   : token_fail_delay_usec(c));
}

/*
 * A refused password grant; with the text of a second prompt PAM asked and
 * the request did not answer (an OTP module), so a client can ask its user
 * and retry with otp.  The prompt is part of the PAM stack, not of the
 * answer to the password: a stack that asks it whatever the password was
 * (pam_unix `required`, as in etc/pam.d/jwt-issuer-otp) tells nothing.
 */
static enum MHD_Result
reply_refused(struct token_req *t)
{
    json_auto_t *j = NULL;

    if (t->job.reply.prompt[0] == '\0')
        return token_reply_error(t->r, MHD_HTTP_BAD_REQUEST, TOKEN_INVALID_GRANT,
                                 REFUSED_DESC, NULL);
    j = json_pack("{s:s, s:s, s:s}", "error", "invalid_grant",
                  "error_description", "a second prompt needs an answer (otp)",
                  "pamjwt_prompt", t->job.reply.prompt);
    return j ? http_reply_json(t->r, MHD_HTTP_BAD_REQUEST, j, http_nostore) : MHD_NO;
}

static enum MHD_Result
answer_failure(struct token_req *t)
{
    struct req *r = t->r;
    const char *reason = t->job.reply.reason;

    switch (t->outcome) {
    case HELPER_OUT_OK:
        break;
    case HELPER_OUT_DENIED:
    case HELPER_OUT_ACCT_EXPIRED:
    case HELPER_OUT_AUTHTOK_EXPIRED:
    case HELPER_OUT_ACCT_DENIED:
        /* One metric too: /metrics may be as public as /token. */
        metrics_login(LOGIN_DENIED);
        log_login(t, "fail", reason);
        return reply_refused(t);
    case HELPER_OUT_ERROR:
        metrics_login(LOGIN_ERROR);
        log_login(t, "error", reason);
        return token_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 TOKEN_SERVER_ERROR, NULL, NULL);
    case HELPER_OUT_TIMEOUT:
        metrics_login(LOGIN_ERROR);
        log_login(t, "error", reason);
        return token_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                                 TOKEN_TEMPORARILY_UNAVAILABLE, NULL, NULL);
    }
    return MHD_NO;
}

static enum MHD_Result
answer(struct token_req *t)
{
    struct req *r = t->r;
    const struct proto_reply *p = &t->job.reply;
    const char *groups[PROTO_MAX_GROUPS];
    char scope[ISSUER_MAX_SCOPE_LEN + 1], jti[SIGNER_JTI_LEN + 1];
    char rt[REFRESH_TOKEN_LEN + 1], extra[400];
    struct store_session sess;
    enum MHD_Result res;
    size_t ng;
    pjwt_err err;
    char *tok;
    int with_session;

    if (t->throttled) {
        char ra[16];
        const char *h[] = { "Retry-After", ra, NULL };

        snprintf(ra, sizeof(ra), "%u", t->retry_after);
        metrics_login(LOGIN_THROTTLED);
        log_login(t, "throttled", "too many failed attempts");
        /* RFC 6749 5.2 has no code for throttling; the request is
           refused as it stands, the status and Retry-After say why. */
        return token_reply_error(r, MHD_HTTP_TOO_MANY_REQUESTS,
                                 TOKEN_INVALID_REQUEST,
                                 "too many failed attempts", h);
    }
    if (t->client_failed) {
        /* RFC 6749 5.2: 401, and a challenge for the scheme the client
           used. */
        static const char *const basic[] = {
            "WWW-Authenticate", "Basic realm=\"jwt-issuerd\"", NULL
        };

        metrics_login(LOGIN_INVALID_CLIENT);
        log_login(t, "fail", t->job.reply.reason);
        return token_reply_error(r, MHD_HTTP_UNAUTHORIZED, TOKEN_INVALID_CLIENT,
                                 "client authentication failed",
                                 t->basic_client ? basic : NULL);
    }
    if (t->is_refresh)
        return token_refresh_answer(t);
    if (t->outcome != HELPER_OUT_OK)
        return answer_failure(t);
    if (token_grant_claims(t, groups, &ng, scope) != 0) {
        metrics_login(LOGIN_INVALID);
        log_login(t, "invalid", "scope not permitted to this user");
        return token_reply_error(r, MHD_HTTP_BAD_REQUEST, TOKEN_INVALID_SCOPE,
                                 "scope not allowed", NULL);
    }
    /* The session first: a store that fails gives no token at all. */
    memset(&sess, 0, sizeof(sess));
    rt[0] = '\0';
    with_session = r->st->conf->session_lifetime > 0 && session_store() != NULL;
    if (with_session && token_session_create(t, p->user, &sess, rt, &err) != 0) {
        shared_store_note(STORE_ERROR, &err);
        metrics_login(LOGIN_ERROR);
        log_login(t, "error", err.msg);
        return token_reply_unavailable(r, "session store unavailable");
    }
    pjwt_err_clear(&err);
    tok = token_sign(t, p->user, scope, groups, ng, jti, &err);
    if (tok == NULL) {
        OPENSSL_cleanse(rt, sizeof(rt));
        metrics_login(LOGIN_ERROR);
        log_login(t, "error", err.msg);
        return token_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 TOKEN_SERVER_ERROR, NULL, NULL);
    }
    metrics_login(LOGIN_OK);
    token_log_issued(extra, sizeof(extra), t, sess.id, jti);
    /* Log the PAM user when a module mapped the name (log_login escapes
       it as it does every reason). */
    token_log(t, "success", strcmp(p->user, t->job.req.user) == 0
                                ? "authenticated" : p->user, extra);
    res = token_reply_ok(t, tok, scope, with_session ? &sess : NULL, rt);
    OPENSSL_cleanse(rt, sizeof(rt));
    return res;
}

enum MHD_Result
token_refuse(struct token_req *t, enum token_error e, const char *desc)
{
    metrics_login(LOGIN_INVALID);
    log_login(t, "invalid", desc);
    OPENSSL_cleanse(&t->job.req, sizeof(t->job.req));
    OPENSSL_cleanse(t->refresh, sizeof(t->refresh));
    return token_reply_error(t->r, MHD_HTTP_BAD_REQUEST, e, desc, NULL);
}

int
token_client_ok(struct token_req *t, const struct issuer_client **client,
                const char **why)
{
    const struct issuer_state *st = t->r->st;
    int ok = clients_authenticate(st->conf, st->client_secrets,
                                  (t->seen & (1u << F_CLIENT_ID))
                                      ? t->client_id : NULL,
                                  (t->seen & (1u << F_CLIENT_SECRET))
                                      ? t->client_secret : NULL,
                                  client, why) == 0;

    OPENSSL_cleanse(t->client_secret, sizeof(t->client_secret));
    return ok;
}

/* What each grant needs in the form: NULL, or why the request is refused. */
static const char *
grant_fields(const struct token_req *t)
{
    unsigned user_fields = (1u << F_USER) | (1u << F_PASS) | (1u << F_OTP);

    if (t->is_refresh) {
        if (!(t->seen & (1u << F_REFRESH)) || t->refresh[0] == '\0')
            return "refresh_token required";
        /* RFC 6749 6 has none of these; a client that sends them has
           mixed two grants up. */
        if (t->seen & user_fields)
            return "username, password and otp are not part of a refresh";
        return NULL;
    }
    if (t->job.req.user[0] == '\0' || !(t->seen & (1u << F_PASS)))
        return "username and password required";
    if (t->seen & (1u << F_REFRESH))
        return "refresh_token is not part of the password grant";
    return NULL;
}

static enum MHD_Result
token_start(struct token_req *t)
{
    struct req *r = t->r;
    const struct issuer_conf *c = r->st->conf;
    const struct issuer_client *client = NULL;
    const char *bad, *why = NULL;
    int name_ok, client_ok, rl;

    t->arrival_ns = helper_pool_now_ns();
    t->rl_user = t->job.req.user;
    token_form_end(t);
    if (t->bad == NULL && r->body_len == 0)
        t->bad = "form body with grant_type required";
    if (t->bad != NULL)
        return token_refuse(t, TOKEN_INVALID_REQUEST, t->bad);
    if ((bad = token_form_basic(t)) != NULL)
        return token_refuse(t, TOKEN_INVALID_REQUEST, bad);
    if (!(t->seen & (1u << F_GRANT)))
        return token_refuse(t, TOKEN_INVALID_REQUEST, "grant_type missing");
    t->is_refresh = strcmp(t->grant, "refresh_token") == 0;
    if (!t->is_refresh && strcmp(t->grant, "password") != 0)
        return token_refuse(t, TOKEN_UNSUPPORTED_GRANT_TYPE,
                            "only the password and refresh_token grants are "
                            "supported");
    if (t->is_refresh && (c->session_lifetime == 0 || session_store() == NULL))
        return token_refuse(t, TOKEN_UNSUPPORTED_GRANT_TYPE,
                            "refresh tokens are not enabled here");
    if ((bad = grant_fields(t)) != NULL)
        return token_refuse(t, TOKEN_INVALID_REQUEST, bad);
    /* Before PAM, so asking for an unlisted scope tells nothing about the
       password; group-restricted scopes are decided after it (answer). */
    if ((t->seen & (1u << F_SCOPE)) && !scope_listed(c, t->scope))
        return token_refuse(t, TOKEN_INVALID_SCOPE, "scope not allowed");
    if ((t->seen & (1u << F_AUD)) && !issuer_conf_audience_ok(c, t->audience))
        return token_refuse(t, TOKEN_INVALID_REQUEST, "audience not allowed");
    client_ok = token_client_ok(t, &client, &why);
    /* The token's audience, asked for or the default, must be one the
       client is registered for. */
    if (client_ok && client != NULL && client->n_audiences > 0
        && !issuer_conf_audience_in(client->audiences, client->n_audiences,
                                    t->audience[0] ? t->audience : c->audience))
        return token_refuse(t, TOKEN_INVALID_REQUEST,
                            "audience not allowed for this client");
    /* The client a session is bound to: the authenticated one's id. */
    snprintf(t->session_client, sizeof(t->session_client), "%s",
             client_ok && client != NULL ? client->id : "");
    if (t->is_refresh)
        return token_refresh_start(t, client_ok, why);

    /* Throttled, a name no token can carry or a client that failed to
       authenticate: answered like a PAM failure, after the same delay,
       without calling PAM.  The check also counts the attempt (one step:
       concurrent attempts cannot all pass it before any is counted); a
       refused name or client counts against the address only (the user
       did nothing wrong), so guessing a client secret costs what guessing
       a password does. */
    name_ok = signer_name_ok(t->job.req.user, ISSUER_MAX_USER_LEN);
    rl = ratelimit_acquire(c, r->bucket,
                           name_ok && client_ok ? t->job.req.user : NULL,
                           &t->retry_after);
    if (rl < 0) {
        /* The shared store cannot count it: refused, never let through
           uncounted (fails closed).  Not held: it guessed nothing. */
        OPENSSL_cleanse(&t->job.req.password, sizeof(t->job.req.password));
        metrics_login(LOGIN_ERROR);
        log_login(t, "error", "rate limit store unavailable");
        return token_reply_unavailable(r, "store unavailable");
    }
    if (rl != 0 || !name_ok || !client_ok) {
        if (t->retry_after > 0)
            t->throttled = 1;
        else if (!client_ok) {
            t->client_failed = 1;
            snprintf(t->job.reply.reason, sizeof(t->job.reply.reason),
                     "client authentication failed: %s", why);
        } else {
            t->outcome = HELPER_OUT_DENIED;
            snprintf(t->job.reply.reason, sizeof(t->job.reply.reason),
                     "user name not acceptable");
        }
        OPENSSL_cleanse(&t->job.req.password, sizeof(t->job.req.password));
        t->state = T_DONE;
        http_suspend(r);
        token_delay_then_resume(t, token_fail_delay_usec(c));
        return MHD_YES;
    }
    if (helper_pool_reserve() != 0) {
        static const char *const h[] = { "Retry-After", "1", NULL };

        ratelimit_release(c, r->bucket, t->job.req.user);
        OPENSSL_cleanse(&t->job.req, sizeof(t->job.req));
        metrics_login(LOGIN_BUSY);
        log_login(t, "busy", "PAM queue full");
        return token_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                                 TOKEN_TEMPORARILY_UNAVAILABLE, "server busy", h);
    }
    snprintf(t->job.req.rhost, sizeof(t->job.req.rhost), "%s", r->client);
    t->job.req.flags = c->claims_groups || scope_needs_groups(c, t->scope)
                           ? PROTO_WANT_GROUPS : 0;
    t->job.done = token_helper_done;
    t->state = T_PENDING;
    http_suspend(r);
    helper_pool_submit(&t->job);
    return MHD_YES;
}

static enum MHD_Result
token_end(struct req *r)
{
    struct token_req *t = r->ctx;

    switch (t->state) {
    case T_NEW:
        return token_start(t);
    case T_PENDING:
        return MHD_YES;   /* spurious call while suspended */
    case T_DONE:
        return answer(t);
    }
    return MHD_NO;
}

const struct route route_token = {
    "/token", EP_TOKEN, "POST", token_form_begin, token_form_body, token_end
};
