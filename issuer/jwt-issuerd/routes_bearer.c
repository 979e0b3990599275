/*
 * routes_bearer.c: the API for the tokens /token issues.  GET or POST
 * /userinfo (OIDC Core 5.3.1) answers a valid token's claims, the token in
 * the Authorization header only (a POST body is ignored: RFC 6750 2.2's
 * form parameter is optional and would put tokens in request bodies that
 * proxies log); GET /auth answers an empty 200 with
 * X-Auth-User (nginx auth_request).  Tokens are checked by common/verify.h,
 * the same rules as pam_jwt.so, for the audiences named by auth_audience
 * only (a token for ssh:web1 opens no web application), and against the
 * revocation list when `revoked` is set; on a store replicas share, with
 * every replica's keys (key_registry.h), as a load balancer may bring a
 * token any of them signed.
 * Failures are 401 with an RFC 6750 WWW-Authenticate challenge carrying
 * error="invalid_token", a missing token included: RFC 6750 3.1 lets a
 * server leave the code out there, but our contract (jwt-issuerd(8)) gives
 * proxies and scripts one challenge to match for every refusal.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jws.h"
#include "key_registry.h"
#include "log.h"
#include "routes.h"
#include "state.h"
#include "verify.h"

#define REALM "jwt-issuerd"

static enum MHD_Result
unauthorized(struct req *r, const char *error, const char *desc)
{
    char chal[256];
    const char *h[] = { "WWW-Authenticate", chal, "Cache-Control", "no-store", NULL };
    json_auto_t *j = NULL;

    snprintf(chal, sizeof(chal),
             "Bearer realm=\"%s\", error=\"%s\", error_description=\"%s\"",
             REALM, error, desc);
    j = json_pack("{s:s, s:s}", "error", error, "error_description", desc);
    if (j == NULL)
        return MHD_NO;
    return http_reply_json(r, MHD_HTTP_UNAUTHORIZED, j, h);
}

/* Verify the bearer token; 0 and *out filled, or a PJWT_ERR_* code
   (PJWT_ERR_MISSING when there is no bearer token at all). */
static int
check(struct req *r, pjwt_token *out)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    struct issuer_state *st = r->st;
    struct key_registry_verifiers *vs;
    pjwt_verifier *const *v;
    time_t now = time(NULL);
    int rc = PJWT_ERR_MISSING;
    size_t i, n, len;
    pjwt_err err;

    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return PJWT_ERR_MISSING;
    h += 7;
    h += strspn(h, " ");
    len = strcspn(h, " \t");
    if (len == 0)
        return PJWT_ERR_MISSING;
    /* One verifier per auth_audience: the token must name one of them.
       Replicas: with every replica's keys (key_registry.h). */
    vs = key_registry_verifiers(st);
    v = vs != NULL ? vs->v : st->verifiers;
    n = vs != NULL ? vs->n : st->n_verifiers;
    for (i = 0; i < n; i++) {
        pjwt_err_clear(&err);
        rc = pjwt_verifier_check(v[i], h, len, NULL, now, NULL, NULL, out,
                                 &err);
        if (rc != PJWT_ERR_AUD)
            break;
    }
    key_registry_verifiers_put(vs);
    return rc;
}

static enum MHD_Result
bearer_end(struct req *r, int userinfo)
{
    pjwt_token tok = { 0 };
    const char *sub = NULL;
    enum MHD_Result ret;
    int rc;

    rc = check(r, &tok);
    if (rc == PJWT_ERR_MISSING)
        return unauthorized(r, "invalid_token", "no bearer token");
    if (rc != 0) {
        log_info("bearer: addr=%s path=%s outcome=invalid reason=\"%s\"",
                 r->client, r->route->path, pjwt_strerror(rc));
        return unauthorized(r, "invalid_token", pjwt_strerror(rc));
    }
    sub = json_string_value(json_object_get(tok.claims, "sub"));
    if (userinfo) {
        static const char *const h[] = { "Cache-Control", "no-store", NULL };

        ret = http_reply_json(r, MHD_HTTP_OK, tok.claims, h);
    } else {
        const char *h[] = { "X-Auth-User", sub ? sub : "", "Cache-Control",
                            "no-store", NULL };

        ret = http_reply(r, MHD_HTTP_OK, NULL, "", 0, h);
    }
    pjwt_token_clear(&tok);
    return ret;
}

static enum MHD_Result
userinfo_end(struct req *r)
{
    return bearer_end(r, 1);
}

static enum MHD_Result
auth_end(struct req *r)
{
    return bearer_end(r, 0);
}

const struct route route_userinfo = {
    "/userinfo", EP_USERINFO, "GET, HEAD, POST", NULL, NULL, userinfo_end
};
const struct route route_auth = {
    "/auth", EP_AUTH, "GET, HEAD", NULL, NULL, auth_end
};
