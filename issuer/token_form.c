/*
 * token_form.c: the body of POST /token.  The form is decoded by MHD's post
 * processor (application/x-www-form-urlencoded only) straight into the
 * request's fixed buffers, each parameter at most once (RFC 6749 3.2);
 * HTTP Basic credentials come from MHD_basic_auth_get_username_password.
 * The password buffer is cleansed when the request ends, whatever happened.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "token_req.h"

void
token_form_free(void *p)
{
    struct token_req *t = p;

    if (t == NULL)
        return;
    if (t->pp != NULL)
        MHD_destroy_post_processor(t->pp);
    OPENSSL_cleanse(&t->job.req, sizeof(t->job.req));
    free(t);
}

static enum MHD_Result
field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
      const char *ctype, const char *enc, const char *data, uint64_t off,
      size_t size)
{
    struct token_req *t = cls;
    static const char *const names[F_COUNT] = {
        "grant_type", "username", "password", "scope", "audience", "otp"
    };
    char *dst[F_COUNT] = {
        t->grant, t->job.req.user, t->job.req.password, t->scope, t->audience,
        t->job.req.otp
    };
    size_t cap[F_COUNT] = {
        sizeof(t->grant), sizeof(t->job.req.user), sizeof(t->job.req.password),
        sizeof(t->scope), sizeof(t->audience), sizeof(t->job.req.otp)
    };
    int i;

    (void)kind;
    (void)filename;
    (void)ctype;
    (void)enc;
    for (i = 0; i < F_COUNT && strcmp(key, names[i]) != 0; i++)
        ;
    if (i == F_COUNT)
        return MHD_YES;           /* unknown parameters are ignored (3.2) */
    if (off == 0) {
        if (t->seen & (1u << i))
            t->bad = "repeated parameter";
        t->seen |= 1u << i;
    }
    if (off + size >= cap[i] || memchr(data, '\0', size) != NULL) {
        t->bad = "parameter too long or malformed";
        return MHD_YES;
    }
    memcpy(dst[i] + off, data, size);
    dst[i][off + size] = '\0';
    return MHD_YES;
}

enum MHD_Result
token_form_begin(struct req *r)
{
    struct token_req *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return MHD_NO;
    t->r = r;
    r->ctx = t;
    r->ctx_free = token_form_free;
    /* NULL when the body is not application/x-www-form-urlencoded. */
    t->pp = MHD_create_post_processor(r->conn, 1024, field, t);
    return MHD_YES;
}

void
token_form_body(struct req *r, const char *data, size_t len)
{
    struct token_req *t = r->ctx;

    if (t->pp == NULL)
        t->bad = "body must be application/x-www-form-urlencoded";
    else if (memchr(data, '\0', len) != NULL)
        /* MHD's form decoder ends a value at a raw NUL: "al\0ice" would
           reach PAM as "al".  No valid form body contains one. */
        t->bad = "NUL byte in the body";
    else if (MHD_post_process(t->pp, data, len) != MHD_YES)
        t->bad = "malformed form body";
}

/* Fill user/password from HTTP Basic when the form has none. */
const char *
token_form_basic(struct token_req *t)
{
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(t->r->conn, &pass);
    const char *bad = NULL;

    if (user == NULL) {
        if (pass)
            MHD_free(pass);
        return NULL;
    }
    if (t->seen & ((1u << F_USER) | (1u << F_PASS)))
        bad = "credentials in both the form and HTTP Basic";
    else if (pass == NULL || strlen(user) >= sizeof(t->job.req.user)
             || strlen(pass) >= sizeof(t->job.req.password))
        bad = "malformed HTTP Basic credentials";
    else {
        snprintf(t->job.req.user, sizeof(t->job.req.user), "%s", user);
        snprintf(t->job.req.password, sizeof(t->job.req.password), "%s", pass);
        t->seen |= (1u << F_USER) | (1u << F_PASS);
    }
    if (pass != NULL) {
        OPENSSL_cleanse(pass, strlen(pass));
        MHD_free(pass);
    }
    MHD_free(user);
    return bad;
}
