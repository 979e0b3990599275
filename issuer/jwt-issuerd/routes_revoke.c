/*
 * routes_revoke.c: POST /revoke, RFC 7009 token revocation for refresh
 * tokens: the session the token belongs to ends (jwtctl logout).  The form
 * is /token's (token_form.c): token, token_type_hint, and the client's
 * credentials, checked as at /token.  The answer is 200 whether or not the
 * token was known (RFC 7009 2.2): it tells nothing about other people's
 * tokens.  Access tokens are not revoked here (they live token_lifetime,
 * and hosts verify them offline; `revoked` lists those).  One "revoke:"
 * line per request, never with the token.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "excerpt.h"
#include "log.h"
#include "routes.h"
#include "session_store.h"
#include "state.h"
#include "token_req.h"

/* RFC 7009 2.2: 200 with nothing to say. */
static enum MHD_Result
revoked_ok(struct req *r)
{
    return http_reply(r, MHD_HTTP_OK, "application/json", "{}", 2,
                      http_nostore);
}

static void
log_revoke(const struct token_req *t, const char *outcome, const char *session,
           const char *user)
{
    char u[PJWT_EXCERPT_BUF(79)];

    log_info("revoke: addr=%s session=%s user=%s outcome=%s", t->r->client,
             session[0] ? session : "-",
             pjwt_excerpt(user, PJWT_EXCERPT_CSTR, 79, PJWT_EXCERPT_WORD, u,
                          sizeof(u)),
             outcome);
}

static enum MHD_Result
store_down(struct token_req *t, const pjwt_err *err)
{
    shared_store_note(STORE_ERROR, err);
    log_warn("revoke: session store: %s", err->msg);
    return token_reply_unavailable(t->r, "session store unavailable");
}

static enum MHD_Result
revoke_end(struct req *r)
{
    struct token_req *t = r->ctx;
    const struct issuer_client *client = NULL;
    const char *bad, *why = NULL;
    struct store_session s;
    uint8_t hash[STORE_HASH_LEN];
    enum store_rc rc;
    pjwt_err err;
    int client_ok;

    token_form_end(t);
    if (t->bad == NULL && (bad = token_form_basic(t)) != NULL)
        t->bad = bad;
    if (t->bad == NULL && (!(t->seen & (1u << F_TOKEN)) || t->token[0] == '\0'))
        t->bad = "token required";
    if (t->bad != NULL) {
        log_revoke(t, "invalid", "", "");
        return http_reply_oauth_error(r, MHD_HTTP_BAD_REQUEST, "invalid_request",
                                      t->bad, NULL);
    }
    client_ok = token_client_ok(t, &client, &why);
    if (!client_ok) {
        log_revoke(t, "invalid_client", "", "");
        return http_reply_oauth_error(r, MHD_HTTP_UNAUTHORIZED, "invalid_client",
                                      "client authentication failed", NULL);
    }
    if (session_store() == NULL) {
        /* No sessions here: no refresh token of ours exists (RFC 7009 2.2:
           an invalid token is answered 200 as well). */
        OPENSSL_cleanse(t->token, sizeof(t->token));
        log_revoke(t, "unknown", "", "");
        return revoked_ok(r);
    }
    session_token_hash(t->token, hash);
    OPENSSL_cleanse(t->token, sizeof(t->token));
    pjwt_err_clear(&err);
    rc = store_find(session_store(), hash, (int64_t)time(NULL), &s, &err);
    if (rc == STORE_ERROR) {
        return store_down(t, &err);
    }
    if (rc == STORE_NOT_FOUND) {
        log_revoke(t, "unknown", "", "");
        return revoked_ok(r);
    }
    /* RFC 7009 2.1: only the client the token was issued to may revoke
       it; for another, the token is as good as unknown. */
    if (strcmp(s.client_id, client != NULL ? client->id : "") != 0) {
        log_revoke(t, "other_client", s.id, s.user);
        return revoked_ok(r);
    }
    pjwt_err_clear(&err);
    rc = store_revoke_hash(session_store(), hash, &s, &err);
    if (rc == STORE_ERROR) {
        return store_down(t, &err);
    }
    log_revoke(t, rc == STORE_OK ? "revoked" : "unknown", s.id, s.user);
    return revoked_ok(r);
}

const struct route route_revoke = {
    "/revoke", EP_REVOKE, "POST", token_form_begin, token_form_body, revoke_end
};
