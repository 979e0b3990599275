/*
 * revoke.c: the revocation list (revoke.h).
 *
 * Entries live in two jansson objects used as hash tables: jti -> null and
 * sub -> cutoff, where the cutoff is an integer EPOCH ("before EPOCH") or
 * -1 for "every token of this sub".  Several lines for one sub combine to
 * the strongest: -1 wins, else the latest cutoff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "fileio.h"
#include "json.h"
#include "revoke.h"

#define REVOKE_FILE_MAX (1024 * 1024)
#define ALL_TOKENS (-1)

struct pjwt_revoked {
    json_t *jti;
    json_t *sub;
};

pjwt_revoked *
pjwt_revoked_new(void)
{
    pjwt_revoked *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->jti = json_object();
    r->sub = json_object();
    if (!r->jti || !r->sub) {
        pjwt_revoked_free(r);
        return NULL;
    }
    return r;
}

void
pjwt_revoked_free(pjwt_revoked *r)
{
    if (!r)
        return;
    json_decref(r->jti);
    json_decref(r->sub);
    free(r);
}

size_t
pjwt_revoked_count(const pjwt_revoked *r)
{
    return r ? json_object_size(r->jti) + json_object_size(r->sub) : 0;
}

static int
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Split line into at most 5 blank-separated fields (NUL-terminated in
   place); returns the count, 5 meaning "too many". */
static int
split(char *line, char *f[5])
{
    int n = 0;
    char *p = line;

    while (*p && n < 5) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        f[n++] = p;
        while (*p && !is_blank(*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static int
add_sub(pjwt_revoked *r, const char *sub, json_int_t cutoff)
{
    json_t *old = json_object_get(r->sub, sub);

    if (old) {
        json_int_t o = json_integer_value(old);
        if (o == ALL_TOKENS || (cutoff != ALL_TOKENS && o >= cutoff))
            return 0;
    }
    return json_object_set_new_nocheck(r->sub, sub, json_integer(cutoff));
}

static int
parse_line(pjwt_revoked *r, const char *where, char *line, pjwt_err *err)
{
    char *f[5];
    int n;
    long epoch;
    pjwt_err e;

    n = split(line, f);
    if (n == 0 || f[0][0] == '#')
        return 0;
    if (n == 2 && strcmp(f[0], "jti") == 0) {
        if (json_object_set_new_nocheck(r->jti, f[1], json_null()) != 0)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return 0;
    }
    if (n == 2 && strcmp(f[0], "sub") == 0) {
        if (add_sub(r, f[1], ALL_TOKENS) != 0)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return 0;
    }
    if (n == 4 && strcmp(f[0], "sub") == 0 && strcmp(f[2], "before") == 0) {
        pjwt_err_clear(&e);
        if (pjwt_conf_long("before", f[3], 0, PJWT_REVOKED_EPOCH_MAX, &epoch,
                           &e) != 0)
            return PJWT_FAIL(err, PJWT_ERR_CONF, "%s: %s",
                             where, e.msg);
        if (add_sub(r, f[1], (json_int_t)epoch) != 0)
            return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return 0;
    }
    return PJWT_FAIL(err, PJWT_ERR_CONF,
                     "%s: expected 'jti X', 'sub X' or 'sub X before EPOCH'",
                     where);
}

static int
revoke_line(void *arg, const char *where, char *line, size_t len,
            pjwt_err *err)
{
    (void)len;
    return parse_line(arg, where, line, err);
}

int
pjwt_revoked_load_buf(pjwt_revoked *r, const char *name, const char *buf,
                      size_t len, pjwt_err *err)
{
    if (!r)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    return pjwt_conf_each_line(name, buf, len, revoke_line, r, err);
}

int
pjwt_revoked_load_file(pjwt_revoked *r, const char *path, pjwt_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;

    if (!r || !path)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    rc = pjwt_file_read(path, REVOKE_FILE_MAX, PJWT_FILE_CHECK_WRITE, &buf,
                        &len, err);
    if (rc == PJWT_ERR_TOO_LONG)
        rc = PJWT_FAIL(err, PJWT_ERR_CONF,
                       "%s: larger than %d bytes", path, REVOKE_FILE_MAX);
    if (rc == 0)
        rc = pjwt_revoked_load_buf(r, path, (const char *)buf, len, err);
    pjwt_file_free(buf, len);
    return rc;
}

/*
 * The `sub` entries against the string claim `claim`: 0, PJWT_ERR_REVOKED,
 * or PJWT_ERR_CLAIM_TYPE when the claim is there but not a string.
 */
static int
check_name(const pjwt_revoked *r, const json_t *claims, const char *claim,
           pjwt_err *err)
{
    const char *s;
    const json_t *cut;
    double iat;
    size_t len;
    int rc;

    rc = pjwt_json_get_string(claims, claim, &s, &len, NULL);
    if (rc == PJWT_ERR_CLAIM_TYPE)
        return PJWT_FAIL(err, rc,
                         "%s is not a string", claim);
    /* Keys of the tables are C strings; a value with a NUL (refused at
       parse anyway) is compared by its full length so it cannot alias. */
    if (rc != 0 || strlen(s) != len || !(cut = json_object_get(r->sub, s)))
        return 0;
    if (json_integer_value(cut) == ALL_TOKENS)
        return PJWT_FAIL(err, PJWT_ERR_REVOKED,
                         "every token of this user revoked (%s)", claim);
    rc = pjwt_json_get_date(claims, "iat", &iat, NULL);
    if (rc == PJWT_ERR_MISSING)
        return PJWT_FAIL(err, PJWT_ERR_REVOKED,
                         "user revoked before %lld (%s) and token has no iat",
                         (long long)json_integer_value(cut), claim);
    if (rc != 0)
        return PJWT_FAIL(err, PJWT_ERR_CLAIM_TYPE,
                         "iat is not a NumericDate");
    if (iat < (double)json_integer_value(cut))
        return PJWT_FAIL(err, PJWT_ERR_REVOKED,
                         "user revoked for tokens issued before %lld (%s)",
                         (long long)json_integer_value(cut), claim);
    return 0;
}

int
pjwt_revoked_check(const pjwt_revoked *r, const json_t *claims,
                   const char *user_claim, pjwt_err *err)
{
    const char *s;
    size_t len;
    int rc;

    if (!r || !json_is_object(claims))
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");

    rc = pjwt_json_get_string(claims, "jti", &s, &len, NULL);
    if (rc == PJWT_ERR_CLAIM_TYPE)
        return PJWT_FAIL(err, rc, "jti is not a string");
    if (rc == 0 && strlen(s) == len && json_object_get(r->jti, s))
        return PJWT_FAIL(err, PJWT_ERR_REVOKED, "jti revoked");

    /* "sub NAME" names a user: it stops the tokens that log in as NAME,
       whichever claim names the user, and (literally) those whose sub is
       NAME, so switching user_claim never revives a revoked subject. */
    if (user_claim && strcmp(user_claim, "sub") != 0 &&
        (rc = check_name(r, claims, user_claim, err)) != 0)
        return rc;
    return check_name(r, claims, "sub", err);
}
