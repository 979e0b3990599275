/*
 * routes_token.c: POST /token, the OAuth 2.0 resource-owner password grant
 * (RFC 6749 4.3, errors 5.2).
 *
 * Phases: the form is decoded as it arrives (token_form.c); at the end the
 * request is checked (grant, credentials, scope, audience), throttled
 * before PAM, and handed to the PAM pool on a suspended connection.  The
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

#include "faildelay.h"
#include "log.h"
#include "pam_pool.h"
#include "ratelimit.h"
#include "routes.h"
#include "signer.h"
#include "state.h"
#include "token_req.h"


/*
 * The failure delay PAM asked for most recently.  Throttled attempts and
 * refused names are held for fail_delay_ms or this, whichever is longer, as
 * the helpers hold what they refuse, so the answer time never tells whether
 * PAM was asked or what it said.
 */
static unsigned last_asked_usec;

static void
log_login(struct token_req *t, const char *outcome, const char *reason)
{
    char user[80], why[160];
    size_t i;

    log_sanitize(t->job.req.user, user, sizeof(user));
    snprintf(why, sizeof(why), "%s", reason ? reason : "");
    for (i = 0; why[i]; i++)
        if ((unsigned char)why[i] < 0x20 || why[i] == '"' || why[i] == 0x7f)
            why[i] = '?';
    log_info("login: addr=%s user=%s outcome=%s reason=\"%s\" delay_ms=%u",
             t->r->client, user, outcome, why, t->delay_ms);
}

static void
resume_timer(struct pool_timer *tm)
{
    struct token_req *t = (struct token_req *)((char *)tm
                                               - offsetof(struct token_req, timer));

    http_resume(t->r);
}

/* Resume the suspended connection delay_usec after the request was
   complete (at once when that has passed). */
static void
delay_then_resume(struct token_req *t, unsigned delay_usec)
{
    t->delay_ms = delay_usec / 1000u;
    t->timer.due_ns = t->arrival_ns + (uint64_t)delay_usec * 1000u;
    t->timer.fn = resume_timer;
    pam_pool_timer_add(&t->timer);
}

static unsigned
own_delay_usec(const struct issuer_conf *c)
{
    return faildelay_usec(c->fail_delay_ms,
                          __atomic_load_n(&last_asked_usec, __ATOMIC_RELAXED));
}

/* Event thread: PAM has answered. */
static void
pam_done(struct pam_job *job)
{
    struct token_req *t = (struct token_req *)((char *)job
                                               - offsetof(struct token_req, job));
    const struct issuer_conf *c = t->r->st->conf;

    t->outcome = (enum pam_outcome)job->reply.outcome;
    t->state = T_DONE;
    if (t->outcome == PAM_OUT_OK || t->outcome == PAM_OUT_TIMEOUT) {
        http_resume(t->r);
        return;
    }
    if (job->reply.asked_usec > 0)
        __atomic_store_n(&last_asked_usec, job->reply.asked_usec, __ATOMIC_RELAXED);
    if (t->outcome != PAM_OUT_ERROR)
        ratelimit_fail(t->r->client, t->job.req.user, c->rate_per_ip,
                       c->rate_per_user);
    /* The helper's delay; its own when the helper died. */
    delay_then_resume(t, job->reply.delay_usec > 0 ? job->reply.delay_usec
                                                   : own_delay_usec(c));
}

static enum MHD_Result
answer_failure(struct token_req *t)
{
    struct req *r = t->r;
    const char *reason = t->job.reply.reason;

    switch (t->outcome) {
    case PAM_OUT_OK:
        break;
    case PAM_OUT_DENIED:
        metrics_login(LOGIN_DENIED);
        log_login(t, "fail", reason);
        return http_reply_oauth_error(r, MHD_HTTP_BAD_REQUEST, "invalid_grant",
                                      "invalid username or password", NULL);
    case PAM_OUT_ACCT_EXPIRED:
    case PAM_OUT_AUTHTOK_EXPIRED:
    case PAM_OUT_ACCT_DENIED:
        metrics_login(LOGIN_EXPIRED);
        log_login(t, "fail", reason);
        return http_reply_oauth_error(r, MHD_HTTP_BAD_REQUEST, "invalid_grant",
                                      t->outcome == PAM_OUT_ACCT_EXPIRED
                                          ? "account expired"
                                      : t->outcome == PAM_OUT_AUTHTOK_EXPIRED
                                          ? "password expired, change required"
                                          : "account not permitted to log in",
                                      NULL);
    case PAM_OUT_ERROR:
        metrics_login(LOGIN_ERROR);
        log_login(t, "error", reason);
        return http_reply_oauth_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                      "server_error", NULL, NULL);
    case PAM_OUT_TIMEOUT:
        metrics_login(LOGIN_ERROR);
        log_login(t, "error", reason);
        return http_reply_oauth_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                                      "temporarily_unavailable", NULL, NULL);
    }
    return MHD_NO;
}

static enum MHD_Result
answer(struct token_req *t)
{
    static const char *const nostore[] = {
        "Cache-Control", "no-store", "Pragma", "no-cache", NULL
    };
    struct req *r = t->r;
    const struct issuer_state *st = r->st;
    const struct proto_reply *p = &t->job.reply;
    const char *groups[PROTO_MAX_GROUPS];
    json_auto_t *body = NULL;
    pjwt_err err;
    char *tok;
    uint32_t i;

    if (t->throttled) {
        char ra[16];
        const char *h[] = { "Retry-After", ra, NULL };

        snprintf(ra, sizeof(ra), "%u", t->retry_after);
        metrics_login(LOGIN_THROTTLED);
        log_login(t, "throttled", "too many failed attempts");
        return http_reply_oauth_error(r, MHD_HTTP_TOO_MANY_REQUESTS,
                                      "slow_down", "too many failed attempts", h);
    }
    if (t->outcome != PAM_OUT_OK)
        return answer_failure(t);
    if (!signer_name_ok(p->user, ISSUER_MAX_USER_LEN)) {
        metrics_login(LOGIN_ERROR);
        log_login(t, "error", "PAM user name not usable in a token");
        return http_reply_oauth_error(r, MHD_HTTP_BAD_REQUEST, "invalid_grant",
                                      "user name not supported", NULL);
    }
    for (i = 0; i < p->ngroups; i++)
        groups[i] = p->groups[i];
    pjwt_err_clear(&err);
    tok = signer_issue(st, p->user, t->audience[0] ? t->audience : st->conf->audience,
                       t->scope[0] ? t->scope : NULL, groups, p->ngroups,
                       time(NULL), &err);
    if (tok == NULL) {
        metrics_login(LOGIN_ERROR);
        log_login(t, "error", err.msg);
        return http_reply_oauth_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                      "server_error", NULL, NULL);
    }
    body = json_pack("{s:s, s:s, s:I}", "access_token", tok, "token_type", "Bearer",
                     "expires_in", (json_int_t)st->conf->token_lifetime);
    OPENSSL_cleanse(tok, strlen(tok));
    free(tok);
    if (body == NULL)
        return MHD_NO;
    if (t->scope[0])
        json_object_set_new(body, "scope", json_string(t->scope));
    metrics_login(LOGIN_OK);
    {
        /* Log the PAM user when a module mapped the name. */
        char sub[80];

        log_login(t, "success", strcmp(p->user, t->job.req.user) == 0
                                    ? "authenticated"
                                    : log_sanitize(p->user, sub, sizeof(sub)));
    }
    return http_reply_json(r, MHD_HTTP_OK, body, nostore);
}

static int
audience_ok(const struct issuer_conf *c, const char *aud)
{
    size_t i;

    if (strcmp(aud, c->audience) == 0)
        return 1;
    for (i = 0; i < c->n_audiences; i++)
        if (strcmp(aud, c->audiences[i]) == 0)
            return 1;
    return 0;
}

static enum MHD_Result
refuse(struct token_req *t, const char *error, const char *desc)
{
    metrics_login(LOGIN_INVALID);
    log_login(t, "invalid", desc);
    OPENSSL_cleanse(&t->job.req, sizeof(t->job.req));
    return http_reply_oauth_error(t->r, MHD_HTTP_BAD_REQUEST, error, desc, NULL);
}

static enum MHD_Result
token_start(struct token_req *t)
{
    struct req *r = t->r;
    const struct issuer_conf *c = r->st->conf;
    const char *bad;

    t->arrival_ns = pam_pool_now_ns();
    if (t->pp != NULL && MHD_destroy_post_processor(t->pp) != MHD_YES && !t->bad)
        t->bad = "malformed form body";
    t->pp = NULL;
    if (t->bad == NULL && r->body_len == 0)
        t->bad = "form body with grant_type required";
    if (t->bad != NULL)
        return refuse(t, "invalid_request", t->bad);
    if ((bad = token_form_basic(t)) != NULL)
        return refuse(t, "invalid_request", bad);
    if (!(t->seen & (1u << F_GRANT)))
        return refuse(t, "invalid_request", "grant_type missing");
    if (strcmp(t->grant, "password") != 0)
        return refuse(t, "unsupported_grant_type", "only the password grant is supported");
    if (t->job.req.user[0] == '\0' || !(t->seen & (1u << F_PASS)))
        return refuse(t, "invalid_request", "username and password required");
    if ((t->seen & (1u << F_SCOPE)) && !signer_scope_ok(t->scope))
        return refuse(t, "invalid_scope", "scope not acceptable");
    if ((t->seen & (1u << F_AUD)) && !audience_ok(c, t->audience))
        return refuse(t, "invalid_request", "audience not allowed");

    /* Throttled, or a name no token can carry: answered like a PAM failure,
       after the same delay, without calling PAM. */
    if (ratelimit_check(r->client, t->job.req.user, c->rate_per_ip,
                        c->rate_per_user, &t->retry_after)
        || !signer_name_ok(t->job.req.user, ISSUER_MAX_USER_LEN)) {
        if (t->retry_after > 0)
            t->throttled = 1;
        else {
            t->outcome = PAM_OUT_DENIED;
            snprintf(t->job.reply.reason, sizeof(t->job.reply.reason),
                     "user name not acceptable");
            ratelimit_fail(r->client, NULL, c->rate_per_ip, 0);
        }
        OPENSSL_cleanse(&t->job.req.password, sizeof(t->job.req.password));
        t->state = T_DONE;
        http_suspend(r);
        delay_then_resume(t, own_delay_usec(c));
        return MHD_YES;
    }
    if (pam_pool_reserve() != 0) {
        static const char *const h[] = { "Retry-After", "1", NULL };

        OPENSSL_cleanse(&t->job.req, sizeof(t->job.req));
        metrics_login(LOGIN_BUSY);
        log_login(t, "busy", "PAM queue full");
        return http_reply_oauth_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                                      "temporarily_unavailable", "server busy", h);
    }
    snprintf(t->job.req.rhost, sizeof(t->job.req.rhost), "%s", r->client);
    t->job.req.flags = c->claims_groups ? PROTO_WANT_GROUPS : 0;
    t->job.done = pam_done;
    t->state = T_PENDING;
    http_suspend(r);
    pam_pool_submit(&t->job);
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
