/*
 * bundle.c: the signed trust bundle's wire form (bundle.h): check it
 * completely, and sign one.
 *
 * Every signature goes through the compact verifier of jws.c (with the
 * payload bound raised to PJWT_BUNDLE_MAX: a revocation list outgrows a
 * token's claims).  What is checked here is what jws.c cannot know: the
 * bundle's shape (1..PJWT_BUNDLE_MAX_SIGS compact strings over one
 * payload, each typ PJWT_BUNDLE_TYP), then the payload's rules
 * (bundle_check.c), the signatures, the issuer and the times.  Its
 * messages are for the admin that runs jwtctl sync, so each names the
 * rule and the value that broke it; every value quoted from the bundle
 * goes through pjwt_excerpt.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_impl.h"
#include "json.h"
#include "jws.h"
#include "timefmt.h"

void
pjwt_bundle_clear(pjwt_bundle *b)
{
    if (!b)
        return;
    json_decref(b->payload);
    memset(b, 0, sizeof(*b));
}

/* The payload segment of a compact JWS (between its first two dots). */
static const char *
payload_seg(const char *s, size_t len, size_t *plen)
{
    const char *d1 = memchr(s, '.', len), *d2;

    d2 = d1 ? memchr(d1 + 1, '.', (size_t)(s + len - d1 - 1)) : NULL;
    *plen = d2 ? (size_t)(d2 - d1 - 1) : 0;
    return d2 ? d1 + 1 : NULL;
}

/* Entry i's shape and header; its payload (new reference) into *payload
   when payload is not NULL. */
static int
check_entry(const json_t *v, size_t i, json_t **payload, char *kids,
            size_t cap, pjwt_err *err)
{
    static const char *const members[] = { "alg", "kid", "typ", NULL };
    char what[32];
    pjwt_token t = { 0 };
    const char *typ, *kid;
    pjwt_err e;
    int r;

    snprintf(what, sizeof(what), "bundle[%zu]", i);
    if (!json_is_string(v))
        return PJWT_FAIL(err, PJWT_ERR_FORMAT, "%s is not a string", what);
    pjwt_err_clear(&e);
    r = pjwt_jws_parse_sized(json_string_value(v), json_string_length(v),
                             PJWT_BUNDLE_MAX, PJWT_BUNDLE_MAX, &t, &e);
    if (r != 0)
        return PJWT_FAIL(err, r, "%s: %s", what, e.msg);
    if ((r = pjwt_bundle_only_members(t.header, members, what, err)) != 0)
        goto out;
    if (t.alg == PJWT_ALG_INVALID) {
        r = PJWT_FAIL(err, PJWT_ERR_ALG, "%s: alg not supported", what);
        goto out;
    }
    if (pjwt_json_get_string(t.header, "kid", &kid, NULL, NULL) != 0
        || !pjwt_bundle_name_ok(kid, strlen(kid), PJWT_BUNDLE_MAX_NAME)) {
        r = PJWT_FAIL(err, PJWT_ERR_HEADER,
                      "%s: kid missing or not 1..%d printable ASCII bytes",
                      what, PJWT_BUNDLE_MAX_NAME);
        goto out;
    }
    if (kids && strlen(kids) < cap - 1) {
        char q[PJWT_EXCERPT_BUF(PJWT_BUNDLE_QUOTE_MAX)];
        size_t used = strlen(kids);

        snprintf(kids + used, cap - used, "%s%s", i ? ", " : "",
                 pjwt_excerpt(kid, PJWT_EXCERPT_CSTR, PJWT_BUNDLE_QUOTE_MAX, 0,
                              q, sizeof(q)));
    }
    if (pjwt_json_get_string(t.header, "typ", &typ, NULL, NULL) != 0
        || strcmp(typ, PJWT_BUNDLE_TYP) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_HEADER, "%s: typ is not %s", what,
                      PJWT_BUNDLE_TYP);
        goto out;
    }
    if (payload) {
        *payload = t.claims;
        t.claims = NULL;
    }
out:
    pjwt_token_clear(&t);
    return r;
}

/*
 * The checks that need no key: size, an array of 1..MAX_SIGS compact JWS
 * over the same payload bytes, their headers, the payload.  The array (new
 * reference) or NULL; b->payload owned on success.  kids (may be NULL)
 * gets the entries' kids, for a message.
 */
static json_t *
parse_bundle(const char *buf, size_t len, pjwt_bundle *b, char *kids,
             size_t cap, pjwt_err *err)
{
    json_t *arr = NULL, *ret = NULL;
    const char *p0 = NULL, *p;
    size_t i, n, p0len = 0, plen;
    pjwt_err e;

    memset(b, 0, sizeof(*b));
    if (!buf) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "no bundle");
        goto out;
    }
    if (len > PJWT_BUNDLE_MAX) {
        PJWT_FAIL(err, PJWT_ERR_TOO_LONG,
                  "bundle of %zu bytes over the limit of %d", len,
                  PJWT_BUNDLE_MAX);
        goto out;
    }
    pjwt_err_clear(&e);
    if (!(arr = pjwt_json_parse_array(buf, len, PJWT_BUNDLE_MAX, &e))) {
        PJWT_FAIL(err, pjwt_err_code(&e), "bundle: %s", e.msg);
        goto out;
    }
    n = json_array_size(arr);
    if (n < 1 || n > PJWT_BUNDLE_MAX_SIGS) {
        PJWT_FAIL(err, PJWT_ERR_FORMAT,
                  "bundle holds %zu signatures, not 1..%d", n,
                  PJWT_BUNDLE_MAX_SIGS);
        goto out;
    }
    for (i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);

        if (check_entry(v, i, i == 0 ? &b->payload : NULL, kids, cap,
                        err) != 0)
            goto out;
        /* Segments are strict base64url, so equal text is equal bytes. */
        p = payload_seg(json_string_value(v), json_string_length(v), &plen);
        if (i == 0) {
            p0 = p;
            p0len = plen;
        } else if (plen != p0len || memcmp(p, p0, plen) != 0) {
            PJWT_FAIL(err, PJWT_ERR_FORMAT,
                      "bundle[%zu] signs another payload than bundle[0]", i);
            goto out;
        }
    }
    if (pjwt_bundle_check_payload(b->payload, b, err) != 0)
        goto out;
    ret = arr;
    arr = NULL;
out:
    if (!ret)
        pjwt_bundle_clear(b);
    json_decref(arr);
    return ret;
}

json_t *
pjwt_bundle_peek_jwks(const char *buf, size_t len, pjwt_err *err)
{
    pjwt_bundle b;
    json_t *arr, *ret = NULL;

    if ((arr = parse_bundle(buf, len, &b, NULL, 0, err)))
        ret = json_incref(b.jwks);
    json_decref(arr);
    pjwt_bundle_clear(&b);
    return ret;
}

/* The first signature that a trusted key verifies: its kid into
   b->signer; else kids (the entries' kids) in the message. */
static int
check_signatures(const json_t *arr, pjwt_keyset *trusted, const char *kids,
                 pjwt_bundle *b, pjwt_err *err)
{
    pjwt_token t;
    pjwt_err e;
    size_t i;
    int r, code = PJWT_ERR_NO_KEY;

    for (i = 0; i < json_array_size(arr); i++) {
        const json_t *v = json_array_get(arr, i);

        pjwt_err_clear(&e);
        r = pjwt_jws_verify_sized(json_string_value(v), json_string_length(v),
                                  PJWT_BUNDLE_MAX, PJWT_BUNDLE_MAX, trusted, 0,
                                  &t, &e);
        if (r == 0) {
            snprintf(b->signer, sizeof(b->signer), "%s", t.kid);
            pjwt_token_clear(&t);
            return 0;
        }
        if (r == PJWT_ERR_NOMEM || r == PJWT_ERR_INTERNAL)
            return PJWT_FAIL(err, r, "%s", e.msg);
        /* A trusted key whose signature does not hold says more than
           kids that no trusted key has. */
        if (r == PJWT_ERR_SIG)
            code = r;
    }
    return PJWT_FAIL(err, code, "bundle not signed by a trusted key "
                     "(kids: %s)", kids);
}

int
pjwt_bundle_verify(const char *buf, size_t len, pjwt_keyset *trusted,
                   const char *expected_iss, time_t now, pjwt_bundle *out,
                   pjwt_err *err)
{
    char t1[PJWT_TIME_BUF], q1[PJWT_EXCERPT_BUF(PJWT_BUNDLE_QUOTE_MAX)],
        q2[PJWT_EXCERPT_BUF(PJWT_BUNDLE_QUOTE_MAX)],
        kids[PJWT_ERR_MSG_MAX] = "";
    pjwt_bundle b;
    json_t *arr = NULL;
    pjwt_err local;
    int r = PJWT_ERR_INTERNAL;

    PJWT_ERR_OR_LOCAL(err, local);
    memset(&b, 0, sizeof(b));
    if (!out || !trusted) {
        r = PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
        goto out;
    }
    memset(out, 0, sizeof(*out));
    if (!(arr = parse_bundle(buf, len, &b, kids, sizeof(kids), err))) {
        r = pjwt_err_code(err);
        goto out;
    }
    if ((r = check_signatures(arr, trusted, kids, &b, err)) != 0)
        goto out;
    if (expected_iss && strcmp(b.iss, expected_iss) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_ISS, "bundle issuer %s, expected %s",
                      PJWT_BUNDLE_QUOTE(b.iss, q1),
                      PJWT_BUNDLE_QUOTE(expected_iss, q2));
        goto out;
    }
    if (b.iat > (long long)now + PJWT_BUNDLE_IAT_SKEW) {
        r = PJWT_FAIL(err, PJWT_ERR_IAT, "bundle issued in the future, at %s",
                      pjwt_time_fmt((double)b.iat, now, 0, t1, sizeof(t1)));
        goto out;
    }
    if ((long long)now >= b.exp) {
        r = PJWT_FAIL(err, PJWT_ERR_EXP, "bundle expired at %s",
                      pjwt_time_fmt((double)b.exp, now, PJWT_TIME_ISO, t1,
                                    sizeof(t1)));
        goto out;
    }
    *out = b;
    memset(&b, 0, sizeof(b));
    r = 0;
out:
    pjwt_bundle_clear(&b);
    json_decref(arr);
    return r;
}

char *
pjwt_bundle_sign(const json_t *payload, pjwt_key *const *signers, size_t n,
                 pjwt_err *err)
{
    json_t *hdr = NULL, *arr = NULL;
    pjwt_bundle b;
    char *tok, *text = NULL, *ret = NULL;
    size_t i;

    memset(&b, 0, sizeof(b));
    if (!signers || n < 1 || n > PJWT_BUNDLE_MAX_SIGS) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "1..%d signers needed",
                  PJWT_BUNDLE_MAX_SIGS);
        goto out;
    }
    if (pjwt_bundle_check_payload(payload, &b, err) != 0)
        goto out;
    if (!(hdr = json_pack("{s:s}", "typ", PJWT_BUNDLE_TYP))
        || !(arr = json_array())) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        const char *kid = signers[i] ? pjwt_key_kid(signers[i]) : NULL;

        /* Never sign what pjwt_bundle_verify refuses. */
        if (!kid || !pjwt_bundle_name_ok(kid, strlen(kid), PJWT_BUNDLE_MAX_NAME)
            || !pjwt_key_is_private(signers[i])) {
            PJWT_FAIL(err, PJWT_ERR_ARG, "signer %zu: no private key with "
                      "a kid of printable ASCII", i);
            goto out;
        }
        /* One object dumped each time: the same payload bytes. */
        tok = pjwt_jws_sign(signers[i], pjwt_key_default_alg(signers[i]),
                            hdr, payload, err);
        if (!tok)
            goto out;
        if (json_array_append_new(arr, json_string(tok)) != 0) {
            free(tok);
            PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
            goto out;
        }
        free(tok);
    }
    if (!(text = json_dumps(arr, JSON_COMPACT))) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (strlen(text) > PJWT_BUNDLE_MAX) {
        PJWT_FAIL(err, PJWT_ERR_TOO_LONG,
                  "bundle of %zu bytes over the limit of %d", strlen(text),
                  PJWT_BUNDLE_MAX);
        goto out;
    }
    ret = text;
    text = NULL;
out:
    free(text);
    json_decref(hdr);
    json_decref(arr);
    return ret;
}

