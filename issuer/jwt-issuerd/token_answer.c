/*
 * token_answer.c: what both grants of POST /token (routes_token.c,
 * token_refresh.c) answer with: an error in RFC 6749 5.2's words, the one
 * "login:" line per attempt, and a success: the claims PAM allowed,
 * signed, in a 200 with the session's refresh token.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "excerpt.h"
#include "log.h"
#include "scope.h"
#include "signer.h"
#include "state.h"
#include "token_req.h"

/* Bytes of a client-chosen user name and of a reason in a login line. */
#define LOG_USER_MAX 79
#define LOG_REASON_MAX 159

static const char *const token_error_name[TOKEN_ERROR_COUNT] = {
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
    "unsupported_grant_type", "invalid_scope", "server_error",
    "temporarily_unavailable"
};

enum MHD_Result
token_reply_error(struct req *r, unsigned status, enum token_error e,
                  const char *desc, const char *const *headers)
{
    if ((unsigned)e >= TOKEN_ERROR_COUNT)
        e = TOKEN_SERVER_ERROR;
    return http_reply_oauth_error(r, status, token_error_name[e], desc, headers);
}

enum MHD_Result
token_reply_unavailable(struct req *r, const char *desc)
{
    /* Long enough for a replica behind the same balancer to take over,
       short enough that a user does not give up. */
    static const char *const h[] = { "Retry-After", "2", NULL };

    return token_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                             TOKEN_TEMPORARILY_UNAVAILABLE, desc, h);
}

void
token_log(struct token_req *t, const char *outcome, const char *reason,
          const char *extra)
{
    char user[PJWT_EXCERPT_BUF(LOG_USER_MAX)], why[PJWT_EXCERPT_BUF(LOG_REASON_MAX)];
    char client[PJWT_EXCERPT_BUF(LOG_USER_MAX)];

    /* The client id is not a secret (RFC 6749 2.2); its secret is never
       logged.  "-" when the request named none. */
    log_info("login: addr=%s user=%s outcome=%s reason=\"%s\" client=%s "
             "delay_ms=%u%s%s",
             t->r->client,
             pjwt_excerpt(t->job.req.user, PJWT_EXCERPT_CSTR, LOG_USER_MAX,
                          PJWT_EXCERPT_WORD, user, sizeof(user)),
             outcome,
             pjwt_excerpt(reason, PJWT_EXCERPT_CSTR, LOG_REASON_MAX, 0, why,
                          sizeof(why)),
             pjwt_excerpt(t->client_id, PJWT_EXCERPT_CSTR, LOG_USER_MAX,
                          PJWT_EXCERPT_WORD, client, sizeof(client)),
             t->delay_ms, t->is_refresh ? " grant=refresh" : "", extra);
}

int
token_grant_claims(struct token_req *t, const char **groups, size_t *ngroups,
                   char *scope)
{
    const struct proto_reply *p = &t->job.reply;
    uint32_t i;

    for (i = 0; i < p->ngroups && i < PROTO_MAX_GROUPS; i++)
        groups[i] = p->groups[i];
    *ngroups = i;
    scope[0] = '\0';
    /* The password was right (or the session's was) and the account is
       good: telling that the user may not have this scope reveals no more
       than a token would. */
    if (t->scope[0]
        && !scope_grant(t->r->st->conf, t->scope, groups, i, scope,
                        ISSUER_MAX_SCOPE_LEN + 1))
        return -1;
    return 0;
}

char *
token_sign(struct token_req *t, const char *user, const char *scope,
           const char *const *groups, size_t ngroups, char *jti, pjwt_err *err)
{
    const struct issuer_state *st = t->r->st;

    return signer_issue(st, user, t->audience[0] ? t->audience : st->conf->audience,
                        scope[0] ? scope : NULL, groups, ngroups, time(NULL),
                        jti, err);
}

enum MHD_Result
token_reply_ok(struct token_req *t, char *tok, const char *scope,
               const struct store_session *s, const char *rt)
{
    const struct issuer_state *st = t->r->st;
    json_auto_t *body = json_pack("{s:s, s:s, s:I}", "access_token", tok,
                                  "token_type", "Bearer", "expires_in",
                                  (json_int_t)st->conf->token_lifetime);

    pjwt_secret_free(tok, strlen(tok));
    if (body == NULL)
        return MHD_NO;
    if (scope[0])
        json_object_set_new(body, "scope", json_string(scope));
    /* RFC 6749 5.1 refresh_token; the session's limits, so a client can
       say when its user must log in again. */
    if (s != NULL
        && (json_object_set_new(body, "refresh_token", json_string(rt)) != 0
            || json_object_set_new(body, "pamjwt_session", json_string(s->id)) != 0
            || json_object_set_new(body, "pamjwt_session_expires",
                                   json_integer(s->expires)) != 0
            || json_object_set_new(body, "pamjwt_session_idle",
                                   json_integer(s->idle)) != 0))
        return MHD_NO;
    return http_reply_json(t->r, MHD_HTTP_OK, body, http_nostore);
}

/* " session=ID jti=J aud=A" for the success line (no secret in it). */
void
token_log_issued(char *buf, size_t cap, const struct token_req *t,
                 const char *session, const char *jti)
{
    char aud[PJWT_EXCERPT_BUF(LOG_REASON_MAX)];

    snprintf(buf, cap, " session=%s jti=%s aud=%s", session[0] ? session : "-",
             jti, pjwt_excerpt(t->audience[0] ? t->audience
                                              : t->r->st->conf->audience,
                               PJWT_EXCERPT_CSTR, LOG_REASON_MAX,
                               PJWT_EXCERPT_WORD, aud, sizeof(aud)));
}

