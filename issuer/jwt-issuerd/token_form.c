/*
 * token_form.c: the body of POST /token.  The form is decoded by MHD's post
 * processor (application/x-www-form-urlencoded only) straight into the
 * request's fixed buffers, each parameter at most once (RFC 6749 3.2);
 * HTTP Basic credentials (RFC 7617) are decoded here too.  The password
 * and client secret buffers are cleansed when the request ends, whatever
 * happened.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

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
    OPENSSL_cleanse(t->client_secret, sizeof(t->client_secret));
    OPENSSL_cleanse(t->refresh, sizeof(t->refresh));
    OPENSSL_cleanse(t->token, sizeof(t->token));
    free(t);
}

static enum MHD_Result
field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
      const char *ctype, const char *enc, const char *data, uint64_t off,
      size_t size)
{
    struct token_req *t = cls;
    static const char *const names[F_COUNT] = {
        "grant_type", "username", "password", "scope", "audience", "otp",
        "client_id", "client_secret", "refresh_token", "token",
        "token_type_hint"
    };
    char *dst[F_COUNT] = {
        t->grant, t->job.req.user, t->job.req.password, t->scope, t->audience,
        t->job.req.otp, t->client_id, t->client_secret, t->refresh, t->token,
        t->hint
    };
    size_t cap[F_COUNT] = {
        sizeof(t->grant), sizeof(t->job.req.user), sizeof(t->job.req.password),
        sizeof(t->scope), sizeof(t->audience), sizeof(t->job.req.otp),
        sizeof(t->client_id), sizeof(t->client_secret), sizeof(t->refresh),
        sizeof(t->token), sizeof(t->hint)
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

/*
 * 1 when the body is declared application/x-www-form-urlencoded (with
 * parameters such as charset, or none).  MHD's post processor would also
 * decode multipart/form-data, which RFC 6749 3.2 does not allow here.
 */
static int
form_urlencoded(struct MHD_Connection *c)
{
    static const char want[] = "application/x-www-form-urlencoded";
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_TYPE);

    if (ct == NULL || strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return 0;
    ct += sizeof(want) - 1;
    ct += strspn(ct, " \t");
    return *ct == '\0' || *ct == ';';
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
    t->pp = form_urlencoded(r->conn)
                ? MHD_create_post_processor(r->conn, 1024, field, t) : NULL;
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

void
token_form_end(struct token_req *t)
{
    /* The decoder says here whether the body ended inside a parameter. */
    if (t->pp != NULL && MHD_destroy_post_processor(t->pp) != MHD_YES && !t->bad)
        t->bad = "malformed form body";
    t->pp = NULL;
}

#define B64_ALPHABET \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

static int
hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (unsigned char)tolower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/*
 * Decode one form-urlencoded part of HTTP Basic client credentials
 * (RFC 6749 2.3.1, Appendix B) into out.  0, or -1 when malformed, too long
 * or when it decodes to a control character.
 */
static int
form_decode(const unsigned char *s, size_t len, char *out, size_t cap)
{
    size_t i, o = 0;

    for (i = 0; i < len; i++, o++) {
        int ch = s[i], hi, lo;

        if (o + 1 >= cap)
            return -1;
        if (ch == '+')
            ch = ' ';
        else if (ch == '%') {
            if (i + 2 >= len || (hi = hexval(s[i + 1])) < 0
                || (lo = hexval(s[i + 2])) < 0)
                return -1;
            ch = hi << 4 | lo;
            i += 2;
        }
        if (ch < 0x20 || ch == 0x7f)
            return -1;
        out[o] = (char)ch;
    }
    out[o] = '\0';
    return 0;
}

/* HTTP Basic as the client's credentials (the form has the user's). */
static const char *
basic_client(struct token_req *t, const unsigned char *dec, size_t len,
             const unsigned char *colon)
{
    char id[sizeof(t->client_id)];
    size_t ilen = (size_t)(colon - dec);

    /* RFC 6749 2.3: one authentication method per request. */
    if (t->seen & (1u << F_CLIENT_SECRET))
        return "client authentication in both HTTP Basic and the form";
    if (form_decode(dec, ilen, id, sizeof(id)) != 0
        || form_decode(colon + 1, len - ilen - 1, t->client_secret,
                       sizeof(t->client_secret)) != 0) {
        OPENSSL_cleanse(t->client_secret, sizeof(t->client_secret));
        return "malformed HTTP Basic client credentials";
    }
    /* A client_id in the form too only identifies, and must agree. */
    if ((t->seen & (1u << F_CLIENT_ID)) && strcmp(id, t->client_id) != 0)
        return "client_id in the form differs from HTTP Basic";
    memcpy(t->client_id, id, sizeof(id));
    t->seen |= (1u << F_CLIENT_ID) | (1u << F_CLIENT_SECRET);
    t->basic_client = 1;
    return NULL;
}

/*
 * HTTP Basic: the client's credentials when the form has a username, else
 * the user's.  Parsed here rather than by libmicrohttpd 0.9.75, which
 * matches the scheme case-sensitively (RFC 7617 2: case-insensitive) and
 * silently cuts the password at a NUL byte.  Other schemes are not
 * credentials for this grant and are ignored.
 */
const char *
token_form_basic(struct token_req *t)
{
    static const char malformed[] = "malformed HTTP Basic credentials";
    const char *h = MHD_lookup_connection_value(t->r->conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    unsigned char dec[(sizeof(t->job.req.user) + sizeof(t->job.req.password)
                       + sizeof(t->client_id) * 3 + sizeof(t->client_secret) * 3
                       + 2) / 3 * 3];
    const char *b64, *bad = NULL;
    const unsigned char *colon;
    size_t n, k, pad, len, i, ulen;
    int dl, user_grant;

    if (h == NULL || strncasecmp(h, "Basic", 5) != 0
        || (h[5] != ' ' && h[5] != '\t' && h[5] != '\0'))
        return NULL;
    /* Only the password grant has user credentials; for the others (a
       refresh, /revoke) HTTP Basic is the client's. */
    user_grant = strcmp(t->grant, "password") == 0;
    if (user_grant && !(t->seen & (1u << F_USER)) && (t->seen & (1u << F_PASS)))
        return "credentials in both the form and HTTP Basic";
    b64 = h + 5 + strspn(h + 5, " \t");
    n = strlen(b64);
    k = strspn(b64, B64_ALPHABET);
    pad = n - k;
    /* Strict RFC 4648 base64: padded to a multiple of 4, '=' only at the
       end; EVP_DecodeBlock alone would skip blanks and count padding. */
    if (n == 0 || n % 4 != 0 || pad > 2 || strspn(b64 + k, "=") != pad
        || n / 4 * 3 > sizeof(dec))
        return malformed;
    dl = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)n);
    if (dl < 0 || (size_t)dl < pad) {
        bad = malformed;
        goto out;
    }
    len = (size_t)dl - pad;
    colon = memchr(dec, ':', len);
    for (i = 0; i < len && bad == NULL; i++)
        /* RFC 7617 2: no control characters; a NUL would end the password
           early on its way to PAM. */
        if (dec[i] < 0x20 || dec[i] == 0x7f)
            bad = "control character in HTTP Basic credentials";
    if (bad != NULL)
        goto out;
    if (colon == NULL) {
        bad = malformed;
        goto out;
    }
    if ((t->seen & (1u << F_USER)) || !user_grant) {
        bad = basic_client(t, dec, len, colon);
        goto out;
    }
    ulen = (size_t)(colon - dec);
    if (ulen >= sizeof(t->job.req.user)
        || len - ulen - 1 >= sizeof(t->job.req.password)) {
        bad = malformed;
        goto out;
    }
    memcpy(t->job.req.user, dec, ulen);
    t->job.req.user[ulen] = '\0';
    memcpy(t->job.req.password, colon + 1, len - ulen - 1);
    t->job.req.password[len - ulen - 1] = '\0';
    t->seen |= (1u << F_USER) | (1u << F_PASS);
out:
    OPENSSL_cleanse(dec, sizeof(dec));
    return bad;
}
