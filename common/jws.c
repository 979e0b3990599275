/*
 * jws.c: JWS compact serialization (RFC 7515 section 7.1): split, decode,
 * check the header, select the key, verify; and sign.
 *
 * The algorithm is taken from configuration and the key: the header's
 * "alg" is only an assertion that must agree with both.  Everything that
 * can be refused cheaply (length, shape, base64url, header) is refused
 * before any signature arithmetic, and the payload is only parsed after
 * the signature holds.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64url.h"
#include "json.h"
#include "jws.h"

/* Decoded segments of a default-sized token fit here; longer tokens (a
   caller may raise max_len) use the heap. */
#define STACK_BUF 6144

typedef struct parts {
    const char *h, *p, *s;  /* segment starts */
    size_t hl, pl, sl;      /* segment lengths */
    uint8_t stack[STACK_BUF]; /* room to decode header and payload, */
    uint8_t *buf;           /* or a malloc'd buffer when they do not fit */
    size_t cap;
} parts;

static void
parts_free(parts *pt)
{
    if (pt->buf != pt->stack)
        free(pt->buf);
}

void
pjwt_token_clear(pjwt_token *t)
{
    if (!t)
        return;
    json_decref(t->header);
    json_decref(t->claims);
    memset(t, 0, sizeof(*t));
}

int
pjwt_jws_shaped(const char *s, size_t len)
{
    const char *d1;

    if (!s || len < 3 || memcmp(s, "eyJ", 3) != 0)
        return 0;
    d1 = memchr(s, '.', len);
    return d1 && memchr(d1 + 1, '.', (size_t)(s + len - d1 - 1)) != NULL;
}

static int
split(const char *c, size_t len, size_t max_len, parts *pt, pjwt_err *err)
{
    const char *d1, *d2, *end = c + len;

    if (max_len == 0)
        max_len = PJWT_MAX_TOKEN_LEN_DEFAULT;
    /* Before anything else: the cost of everything below is bounded by
       this length. */
    if (len > max_len)
        return PJWT_FAIL(err, PJWT_ERR_TOO_LONG,
                         "token of %zu bytes over limit %zu", len, max_len);
    if (!c || len == 0)
        return PJWT_FAIL(err, PJWT_ERR_FORMAT, "empty token");
    d1 = memchr(c, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1)))
        return PJWT_FAIL(err, PJWT_ERR_FORMAT,
                         "token is not three segments");
    pt->h = c;
    pt->hl = (size_t)(d1 - c);
    pt->p = d1 + 1;
    pt->pl = (size_t)(d2 - d1 - 1);
    pt->s = d2 + 1;
    pt->sl = (size_t)(end - d2 - 1);
    if (pt->hl == 0 || pt->pl == 0 || pt->sl == 0)
        return PJWT_FAIL(err, PJWT_ERR_FORMAT,
                         "token has an empty segment");
    /* Strict base64url is checked as each segment is decoded (decoding
       validates in the same pass): the header and signature before any
       key is touched, the payload before it is parsed. */
    return 0;
}

/*
 * The start of parse and verify: clear *out, split the token, and find
 * room to decode its header and payload (pt->buf; free with parts_free,
 * also after a failure).
 */
static int
start(const char *c, size_t len, size_t max_len, pjwt_token *out, parts *pt,
      pjwt_err *err)
{
    int r;

    pt->buf = pt->stack;
    if (!out)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no output");
    memset(out, 0, sizeof(*out));
    if ((r = split(c, len, max_len, pt, err)) != 0)
        return r;
    pt->cap = pjwt_b64url_dec_len(pt->hl > pt->pl ? pt->hl : pt->pl);
    if (pt->cap > sizeof(pt->stack) && !(pt->buf = malloc(pt->cap))) {
        pt->buf = pt->stack;
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* Decode a segment (strictly) and parse it as a JSON object of at most
   max bytes (0: PJWT_JSON_MAX_SIZE) into *out. */
static int
decode_json(parts *pt, const char *seg, size_t seglen, const char *what,
            size_t max, json_t **out, pjwt_err *err)
{
    pjwt_err local;
    size_t n = 0;

    if (pjwt_b64url_decode(seg, seglen, pt->buf, pt->cap, &n) != 0)
        return PJWT_FAIL(err, PJWT_ERR_B64,
                         "%s: bad base64url", what);
    pjwt_err_clear(&local);
    /* Even when a caller raises the token limit, header and claims stay
       within the JSON bound (PJWT_JSON_MAX_SIZE) unless it asks for a
       larger payload by name (the _sized calls). */
    *out = pjwt_json_parse_object((const char *)pt->buf, n, max, &local);
    if (!*out)
        return PJWT_FAIL(err, pjwt_err_code(&local), "%s: %s", what,
                         local.msg);
    return 0;
}

/* The header rules that do not depend on keys. */
static int
check_header(json_t *hdr, pjwt_alg *alg, const char **kid, size_t *kid_len,
             pjwt_err *err)
{
    const json_t *a, *k;

    a = json_object_get(hdr, "alg");
    if (!json_is_string(a))
        return PJWT_FAIL(err, PJWT_ERR_ALG,
                         "header alg missing or not a string");
    /* Exact and case-sensitive; "none" has no value, so it ends here. */
    *alg = pjwt_alg_from_name(json_string_value(a), json_string_length(a));
    if (*alg == PJWT_ALG_INVALID)
        return PJWT_FAIL(err, PJWT_ERR_ALG,
                         "header alg not supported");
    /* No extension is implemented, so any crit is one we do not
       understand (RFC 7515 4.1.11); b64 changes what is signed (RFC 7797)
       and is refused whatever its value. */
    if (json_object_get(hdr, "crit"))
        return PJWT_FAIL(err, PJWT_ERR_HEADER,
                         "header crit not supported");
    if (json_object_get(hdr, "b64"))
        return PJWT_FAIL(err, PJWT_ERR_HEADER,
                         "header b64 not supported");
    /* jwk, jku, x5u, x5c are deliberately never read: a key the token
       brings along proves nothing. */
    k = json_object_get(hdr, "kid");
    *kid = NULL;
    *kid_len = 0;
    if (k) {
        if (!json_is_string(k))
            return PJWT_FAIL(err, PJWT_ERR_HEADER,
                             "header kid not a string");
        *kid = json_string_value(k);
        *kid_len = json_string_length(k);
    }
    return 0;
}

int
pjwt_jws_parse(const char *compact, size_t len, size_t max_len,
               pjwt_token *out, pjwt_err *err)
{
    return pjwt_jws_parse_sized(compact, len, max_len, 0, out, err);
}

int
pjwt_jws_parse_sized(const char *compact, size_t len, size_t max_len,
                     size_t max_payload, pjwt_token *out, pjwt_err *err)
{
    pjwt_token t = { 0 };
    const json_t *a;
    pjwt_err local;
    parts pt;
    int r = PJWT_ERR_INTERNAL;

    PJWT_ERR_OR_LOCAL(err, local);
    if ((r = start(compact, len, max_len, out, &pt, err)) != 0)
        goto out;
    /* parse never decodes the signature; its shape is still checked */
    if (!pjwt_b64url_valid(pt.s, pt.sl)) {
        r = PJWT_FAIL(err, PJWT_ERR_B64, "signature: bad base64url");
        goto out;
    }
    if ((r = decode_json(&pt, pt.h, pt.hl, "header", 0, &t.header, err))
        || (r = decode_json(&pt, pt.p, pt.pl, "payload", max_payload,
                            &t.claims, err)))
        goto out;
    a = json_object_get(t.header, "alg");
    if (!json_is_string(a)) {
        r = PJWT_FAIL(err, PJWT_ERR_ALG,
                      "header alg missing or not a string");
        goto out;
    }
    t.alg = pjwt_alg_from_name(json_string_value(a), json_string_length(a));
    a = json_object_get(t.header, "kid");
    t.kid = json_is_string(a) ? json_string_value(a) : NULL;
    *out = t;
    memset(&t, 0, sizeof(t));
    r = 0;
out:
    if (r && err->code == 0)
        PJWT_FAIL(err, r, NULL);
    pjwt_token_clear(&t);
    parts_free(&pt);
    return r;
}

/*
 * Find the key that verifies sig over input[0..inlen) with alg.  With a
 * kid, the one key it names (among loaded keys only); when no key has that
 * kid, the keys loaded without a kid of their own (keys.h), in turn.
 * Without a kid, every key bound to alg in turn.  The error kept is the
 * most telling: a signature that does not hold says more than a key that
 * cannot be built, and that more than "no key".
 */
static int
try_keys(pjwt_keyset *ks, pjwt_alg alg, const char *kid, size_t kid_len,
         const char *input, size_t inlen, const uint8_t *sig, size_t siglen,
         pjwt_key **found, pjwt_err *err)
{
    pjwt_err kerr;
    pjwt_key *key;
    size_t idx = 0;
    int r = PJWT_ERR_NO_KEY;

    if (kid) {
        if ((key = pjwt_keyset_by_kid(ks, kid, kid_len, alg, err))) {
            if ((r = pjwt_jws_sig_verify(key, alg, input, inlen, sig, siglen,
                                         err)) == 0)
                *found = key;
            return r;
        }
        if (pjwt_err_code(err) != PJWT_ERR_NO_KEY)
            return pjwt_err_code(err);
        /* err keeps "no matching kid" unless a kid-less key says more. */
    }
    for (;;) {
        pjwt_err_clear(&kerr);
        key = kid ? pjwt_keyset_next_kidless(ks, alg, &idx, &kerr)
                  : pjwt_keyset_next(ks, alg, &idx, &kerr);
        if (!key) {
            if (kerr.code == PJWT_ERR_NO_KEY)
                return r;               /* no candidate left */
            if (r == PJWT_ERR_NO_KEY) { /* one that cannot be built */
                r = kerr.code;
                *err = kerr;
            }
            continue;
        }
        r = pjwt_jws_sig_verify(key, alg, input, inlen, sig, siglen, err);
        if (r == 0) {
            *found = key;
            return 0;
        }
    }
}

int
pjwt_jws_verify(const char *compact, size_t len, size_t max_len,
                pjwt_keyset *ks, pjwt_algset allowed, pjwt_token *out,
                pjwt_err *err)
{
    return pjwt_jws_verify_sized(compact, len, max_len, 0, ks, allowed, out,
                                 err);
}

int
pjwt_jws_verify_sized(const char *compact, size_t len, size_t max_len,
                      size_t max_payload, pjwt_keyset *ks,
                      pjwt_algset allowed, pjwt_token *out, pjwt_err *err)
{
    uint8_t sig[PJWT_SIG_MAX];
    size_t siglen = 0, kid_len = 0;
    pjwt_token t = { 0 };
    pjwt_key *key = NULL;
    const char *kid = NULL;
    pjwt_alg alg = PJWT_ALG_INVALID;
    pjwt_err local;
    parts pt;
    int r = PJWT_ERR_INTERNAL;

    PJWT_ERR_OR_LOCAL(err, local);
    pt.buf = pt.stack;          /* parts_free is safe from here */
    if (!ks) {                  /* *out untouched, as for a NULL out */
        r = PJWT_FAIL(err, PJWT_ERR_ARG, "no keyset");
        goto out;
    }
    if ((r = start(compact, len, max_len, out, &pt, err)) != 0)
        goto out;

    /* Header: alg, crit, b64, kid. */
    if ((r = decode_json(&pt, pt.h, pt.hl, "header", 0, &t.header, err)))
        goto out;
    if ((r = check_header(t.header, &alg, &kid, &kid_len, err)) != 0)
        goto out;
    if (allowed == 0)
        allowed = pjwt_keyset_algs(ks);
    if (!(allowed & PJWT_ALGSET(alg))) {
        r = PJWT_FAIL(err, PJWT_ERR_ALG, "alg %s not allowed",
                      pjwt_alg_name(alg));
        goto out;
    }

    /* Signature: decoded before key selection so a malformed one costs no
       key materialisation. */
    if (pjwt_b64url_dec_len(pt.sl) > sizeof(sig)) {
        r = PJWT_FAIL(err, PJWT_ERR_SIG, "signature too long");
        goto out;
    }
    if (pjwt_b64url_decode(pt.s, pt.sl, sig, sizeof(sig), &siglen) != 0) {
        r = PJWT_FAIL(err, PJWT_ERR_B64, "signature: bad base64url");
        goto out;
    }

    /* Key: kid selects among loaded keys only; without kid every key
       bound to alg is tried. */
    r = try_keys(ks, alg, kid, kid_len, compact, (size_t)(pt.s - 1 - compact),
                 sig, siglen, &key, err);
    if (r == PJWT_ERR_NO_KEY)
        PJWT_FAIL(err, r, "no key for %s%s", pjwt_alg_name(alg),
                  kid ? " and kid" : "");
    if (r != 0)
        goto out;

    /* Payload, only now that it is authentic. */
    if ((r = decode_json(&pt, pt.p, pt.pl, "payload", max_payload,
                         &t.claims, err)))
        goto out;

    t.alg = alg;
    t.kid = kid;
    t.key = key;
    *out = t;
    memset(&t, 0, sizeof(t));
    pjwt_err_clear(err);
    r = 0;
out:
    pjwt_token_clear(&t);
    OPENSSL_cleanse(sig, siglen);
    parts_free(&pt);
    return r;
}

char *
pjwt_jws_sign(pjwt_key *key, pjwt_alg alg, const json_t *header_extra,
              const json_t *claims, pjwt_err *err)
{
    json_t *hdr = NULL;
    char *hjson = NULL, *cjson = NULL, *tok = NULL, *ret = NULL;
    uint8_t sig[PJWT_SIG_MAX];
    size_t siglen = sizeof(sig), hl, cl, n, total;
    const char *name = pjwt_alg_name(alg);

    if (!key || !name || !json_is_object(claims)
        || (header_extra && !json_is_object(header_extra))) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
        goto out;
    }
    if (!(pjwt_key_algs(key) & PJWT_ALGSET(alg))) {
        PJWT_FAIL(err, PJWT_ERR_ALG, "key not usable with %s",
                  name);
        goto out;
    }
    /* Never sign what every verifier here refuses. */
    if (header_extra && (json_object_get(header_extra, "crit")
                         || json_object_get(header_extra, "b64"))) {
        PJWT_FAIL(err, PJWT_ERR_HEADER,
                  "crit/b64 headers are not supported");
        goto out;
    }
    /* alg first, then kid, then the caller's members (which may replace
       kid but never alg). */
    hdr = json_object();
    if (!hdr || json_object_set_new(hdr, "alg", json_string(name)))
        goto nomem;
    if (!(header_extra && json_object_get(header_extra, "kid"))
        && pjwt_key_kid(key)
        && json_object_set_new(hdr, "kid", json_string(pjwt_key_kid(key))))
        goto nomem;
    if (header_extra) {
        const char *k;
        json_t *v;

        json_object_foreach((json_t *)(uintptr_t)header_extra, k, v) {
            if (strcmp(k, "alg") != 0 && json_object_set(hdr, k, v))
                goto nomem;
        }
    }
    hjson = json_dumps(hdr, JSON_COMPACT);
    cjson = json_dumps(claims, JSON_COMPACT);
    if (!hjson || !cjson)
        goto nomem;
    hl = strlen(hjson);
    cl = strlen(cjson);
    total = pjwt_b64url_enc_len(hl) + 1 + pjwt_b64url_enc_len(cl) + 1
            + pjwt_b64url_enc_len(sizeof(sig)) + 1;
    if (!(tok = malloc(total)))
        goto nomem;
    n = pjwt_b64url_encode(hjson, hl, tok);
    tok[n++] = '.';
    n += pjwt_b64url_encode(cjson, cl, tok + n);
    if (pjwt_jws_sig_create(key, alg, tok, n, sig, &siglen, err) != 0)
        goto out;
    tok[n++] = '.';
    pjwt_b64url_encode(sig, siglen, tok + n);
    ret = tok;
    tok = NULL;
    goto out;
nomem:
    PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
out:
    free(tok);
    free(hjson);
    free(cjson);
    json_decref(hdr);
    OPENSSL_cleanse(sig, sizeof(sig));
    return ret;
}
