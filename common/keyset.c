/*
 * keyset.c: a list of keys, key files (PEM, JWK, JWKS, HMAC secrets) and
 * selecting the key for a token.
 */
#include <string.h>

#include "fileio.h"
#include "json.h"
#include "keys_impl.h"

struct pjwt_keyset {
    pjwt_key **keys;
    size_t n, cap;
};

pjwt_keyset *
pjwt_keyset_new(void)
{
    return calloc(1, sizeof(pjwt_keyset));
}

void
pjwt_keyset_free(pjwt_keyset *ks)
{
    size_t i;

    if (!ks)
        return;
    for (i = 0; i < ks->n; i++)
        pjwt_key_free(ks->keys[i]);
    free(ks->keys);
    free(ks);
}

int
pjwt_keyset_add(pjwt_keyset *ks, pjwt_key *key, pjwt_err *err)
{
    pjwt_key **k;
    size_t cap;

    if (!ks || !key || !key->kid) {
        pjwt_key_free(key);
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no keyset or key");
    }
    if (ks->n == ks->cap) {
        cap = ks->cap ? ks->cap * 2 : 4;
        k = reallocarray(ks->keys, cap, sizeof(*k));
        if (!k) {
            pjwt_key_free(key);
            return PJWT_FAIL(err, PJWT_ERR_NOMEM,
                             "out of memory");
        }
        ks->keys = k;
        ks->cap = cap;
    }
    ks->keys[ks->n++] = key;
    return 0;
}

size_t
pjwt_keyset_count(const pjwt_keyset *ks)
{
    return ks ? ks->n : 0;
}

pjwt_key *
pjwt_keyset_get(const pjwt_keyset *ks, size_t i)
{
    return ks && i < ks->n ? ks->keys[i] : NULL;
}

pjwt_algset
pjwt_keyset_algs(const pjwt_keyset *ks)
{
    pjwt_algset s = 0;
    size_t i;

    for (i = 0; ks && i < ks->n; i++)
        s |= ks->keys[i]->algs;
    return s;
}

/* Move every key of src to the end of dst (src is left empty). */
static int
splice(pjwt_keyset *dst, pjwt_keyset *src, pjwt_err *err)
{
    size_t i;
    int r = 0;

    for (i = 0; i < src->n; i++) {
        if (r == 0)
            r = pjwt_keyset_add(dst, src->keys[i], err);
        else
            pjwt_key_free(src->keys[i]);
        src->keys[i] = NULL;
    }
    src->n = 0;
    return r;
}

/* Prefix the error message with "PATH: " (messages from below do not
   know the path). */
static int
with_path(pjwt_err *err, int code, const char *path)
{
    char msg[PJWT_ERR_MSG_MAX];

    if (err->code == 0)
        return PJWT_FAIL(err, code, "%s: %s",
                         path, pjwt_strerror(code));
    memcpy(msg, err->msg, sizeof(msg));
    msg[sizeof(msg) - 1] = '\0';
    return pjwt_err_set(err, code, err->where, "%s: %s", path, msg);
}

static int
load_jwk(pjwt_keyset *ks, const json_t *jwk, unsigned flags, int in_set,
         pjwt_err *err)
{
    pjwt_key *key = pjwt_key_alloc();
    int r, unsupported = 0;

    if (!key)
        return PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
    r = pjwt_jwk_load(key, jwk, flags, &unsupported, err);
    /* Private keys are built and pairwise-checked now, so a bad signing
       key fails at startup and no private members stay decoded. */
    if (r == 0 && ((flags & PJWT_KEYS_EAGER) || key->priv))
        r = pjwt_key_materialize(key, err);
    if (r != 0) {
        pjwt_key_free(key);
        if (in_set && unsupported) {
            pjwt_err_clear(err);
            return 0;
        }
        return r;
    }
    return pjwt_keyset_add(ks, key, err);
}

static int
load_json(pjwt_keyset *ks, const char *buf, size_t len, unsigned flags,
          pjwt_err *err)
{
    json_t *doc, *keys, *jwk;
    size_t i;
    int r = 0;

    doc = pjwt_json_parse_object(buf, len, PJWT_KEYS_MAX_FILE, err);
    if (!doc)
        return pjwt_err_code(err);
    keys = json_object_get(doc, "keys");
    if (!keys) {
        r = load_jwk(ks, doc, flags, 0, err);
    } else if (!json_is_array(keys)) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY,
                      "JWKS keys is not an array");
    } else {
        json_array_foreach(keys, i, jwk) {
            r = load_jwk(ks, jwk, flags, 1, err);
            if (r != 0)
                break;
        }
    }
    /* The parsed document is ours: wipe private members and oct secrets
       before jansson frees their strings (it does not cleanse). */
    if (keys && json_is_array(keys))
        json_array_foreach(keys, i, jwk)
            pjwt_jwk_wipe(jwk);
    else
        pjwt_jwk_wipe(doc);
    json_decref(doc);
    return r;
}

static int
load_pem(pjwt_keyset *ks, const char *buf, size_t len, unsigned flags,
         pjwt_err *err)
{
    const char *label;
    size_t ll, pos = 0, dl = 0;
    uint8_t *der = NULL;
    pjwt_key *key;
    int r, skip;

    for (;;) {
        r = pjwt_pem_next(buf, len, &pos, &label, &ll, &der, &dl, err);
        if (r <= 0)
            return r;
        key = pjwt_pem_decode(label, ll, der, dl, flags, &skip, err);
        pjwt_secret_free(der, dl);
        der = NULL;
        if (!key && skip) {
            pjwt_err_clear(err);
            continue;
        }
        if (!key)
            return pjwt_err_code(err);
        /* Public keys stay lazy (members only) unless EAGER: the module
           builds only the key a token selects. */
        r = pjwt_key_set_kid(key, NULL, 0, err);
        if (r == 0 && (flags & PJWT_KEYS_EAGER))
            r = pjwt_key_materialize(key, err);
        if (r != 0) {
            pjwt_key_free(key);
            return r;
        }
        if ((r = pjwt_keyset_add(ks, key, err)) != 0)
            return r;
    }
}

static unsigned
file_checks(unsigned flags)
{
    unsigned c = 0;

    if (flags & PJWT_KEYS_CHECK_WRITE)
        c |= PJWT_FILE_CHECK_WRITE;
    if (flags & PJWT_KEYS_CHECK_READ)
        c |= PJWT_FILE_CHECK_READ;
    return c;
}

/* The bytes of a key file, under the trust rule flags ask for; fileio's
   messages carry the path already. */
static int
read_key_file(const pjwt_keyset *ks, const char *path, unsigned flags,
              uint8_t **buf, size_t *len, pjwt_err *err)
{
    int r;

    if (!ks || !path)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no keyset or path");
    r = pjwt_file_read(path, PJWT_KEYS_MAX_FILE, file_checks(flags), buf,
                       len, err);
    if (r == 0)
        pjwt_err_clear(err);
    return r;
}

/* Parse buf (PEM or JSON, by its first non-blank byte) into ks; errors
   read "NAME: message". */
static int
load_buf(pjwt_keyset *ks, const char *s, size_t len, const char *name,
         unsigned flags, pjwt_err *err)
{
    pjwt_keyset tmp = { NULL, 0, 0 };
    size_t i = 0;
    int r;

    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'
                       || s[i] == '\r'))
        i++;
    if (i < len && s[i] == '{')
        r = load_json(&tmp, s, len, flags, err);
    else if (memmem(s, len, "-----BEGIN ", 11))
        r = load_pem(&tmp, s, len, flags, err);
    else
        r = PJWT_FAIL(err, PJWT_ERR_KEY,
                      "neither PEM nor JSON");
    if (r == 0 && tmp.n == 0)
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "no usable key");
    if (r == 0)
        r = splice(ks, &tmp, err);
    if (r != 0)
        r = with_path(err, r, name);
    for (i = 0; i < tmp.n; i++)
        pjwt_key_free(tmp.keys[i]);
    free(tmp.keys);
    return r;
}

int
pjwt_keyset_load_file(pjwt_keyset *ks, const char *path, unsigned flags,
                      pjwt_err *err)
{
    int r = PJWT_ERR_INTERNAL;
    uint8_t *buf = NULL;
    size_t len = 0;
    pjwt_err local;

    PJWT_ERR_OR_LOCAL(err, local);
    if ((r = read_key_file(ks, path, flags, &buf, &len, err)) != 0)
        goto out;
    r = load_buf(ks, (const char *)buf, len, path, flags, err);
out:
    pjwt_file_free(buf, len);
    return r;
}

int
pjwt_keyset_load_mem(pjwt_keyset *ks, const char *buf, size_t len,
                     const char *name, unsigned flags, pjwt_err *err)
{
    pjwt_err local;

    PJWT_ERR_OR_LOCAL(err, local);
    if (!ks || !buf || !name || len > PJWT_KEYS_MAX_FILE)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "bad argument");
    return load_buf(ks, buf, len, name, flags & ~(PJWT_KEYS_CHECK_WRITE |
                                                   PJWT_KEYS_CHECK_READ),
                    err);
}

int
pjwt_keyset_load_secret_file(pjwt_keyset *ks, const char *path,
                             unsigned flags, pjwt_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    pjwt_err local;
    pjwt_key *key;
    int r;

    PJWT_ERR_OR_LOCAL(err, local);
    if ((r = read_key_file(ks, path, flags, &buf, &len, err)) != 0)
        return r;
    /* Exactly the file's bytes: a trailing newline is part of the key,
       as with every other JOSE library reading raw secret files. */
    key = pjwt_key_from_secret(buf, len, err);
    pjwt_file_free(buf, len);
    if (!key)
        return with_path(err, pjwt_err_code(err), path);
    r = pjwt_keyset_add(ks, key, err);
    return r ? with_path(err, r, path) : 0;
}

static int
fits(const pjwt_key *k, pjwt_alg alg)
{
    return alg > PJWT_ALG_INVALID && alg < PJWT_ALG_COUNT
        && (k->algs & PJWT_ALGSET(alg));
}

pjwt_key *
pjwt_keyset_by_kid(pjwt_keyset *ks, const char *kid, size_t kid_len,
                   pjwt_alg alg, pjwt_err *err)
{
    pjwt_key *k;
    size_t i;

    for (i = 0; ks && kid && i < ks->n; i++) {
        k = ks->keys[i];
        if (!fits(k, alg) || strlen(k->kid) != kid_len
            || memcmp(k->kid, kid, kid_len) != 0)
            continue;
        return pjwt_key_materialize(k, err) == 0 ? k : NULL;
    }
    PJWT_FAIL(err, PJWT_ERR_NO_KEY, "no matching kid and key for %s",
              pjwt_alg_name(alg) ? pjwt_alg_name(alg) : "this alg");
    return NULL;
}

/* The next candidate from *index that fits alg (and, with kidless, was
   loaded without a kid of its own), materialised. */
static pjwt_key *
next_key(pjwt_keyset *ks, pjwt_alg alg, size_t *index, int kidless,
         pjwt_err *err)
{
    pjwt_key *k;

    while (ks && index && *index < ks->n) {
        k = ks->keys[(*index)++];
        if (fits(k, alg) && !(kidless && k->own_kid))
            return pjwt_key_materialize(k, err) == 0 ? k : NULL;
    }
    PJWT_FAIL(err, PJWT_ERR_NO_KEY, "no key for %s",
              pjwt_alg_name(alg) ? pjwt_alg_name(alg) : "this alg");
    return NULL;
}

pjwt_key *
pjwt_keyset_next(pjwt_keyset *ks, pjwt_alg alg, size_t *index, pjwt_err *err)
{
    return next_key(ks, alg, index, 0, err);
}

pjwt_key *
pjwt_keyset_next_kidless(pjwt_keyset *ks, pjwt_alg alg, size_t *index,
                         pjwt_err *err)
{
    return next_key(ks, alg, index, 1, err);
}

json_t *
pjwt_keyset_to_jwks(pjwt_keyset *ks, pjwt_err *err)
{
    json_t *doc = json_object(), *arr = json_array(), *jwk, *ret = NULL;
    size_t i;

    if (!doc || !arr || json_object_set(doc, "keys", arr) != 0) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; ks && i < ks->n; i++) {
        if (ks->keys[i]->kty == PJWT_KTY_OCT)
            continue;
        if (!(jwk = pjwt_key_to_public_jwk(ks->keys[i], err)))
            goto out;
        if (json_array_append_new(arr, jwk) != 0) {
            PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    ret = doc;
    doc = NULL;
out:
    json_decref(arr);
    json_decref(doc);
    return ret;
}
