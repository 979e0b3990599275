/*
 * keys_pem.c: PEM in and out: the armour, DER key bodies, a key from PEM,
 * and a key's PEM forms.
 *
 * OpenSSL 3's generic decoder (PEM_read_bio_PUBKEY, OSSL_DECODER) tries
 * every format and provider in turn and costs ~270 us per RSA key, more
 * than ten RSA verifications.  The PEM label already says what the body
 * is, so we strip the armour here, base64-decode with EVP_DecodeBlock and
 * hand the DER to the one function that fits: keys_spki.c for public keys and
 * certificates (kept lazy, as JWKs are), a d2i_* for private keys
 * (bench/bench_keys.c measures).
 */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fileio.h"
#include "keys_impl.h"

#define BEGIN "-----BEGIN "
#define END "-----END "
#define DASHES "-----"
#define MAX_LABEL 64

static const char *
find(const char *hay, size_t haylen, const char *needle)
{
    return memmem(hay, haylen, needle, strlen(needle));
}

/* Copy the base64 body without line breaks/blanks and decode it. */
static int
decode_body(const char *body, size_t blen, uint8_t **der, size_t *der_len,
            pjwt_err *err)
{
    int r = PJWT_ERR_KEY;
    char *txt = NULL;
    uint8_t *out = NULL;
    size_t n = 0, pad = 0, i;
    int dl;

    txt = malloc(blen + 1);
    out = malloc(blen / 4 * 3 + 3);
    if (!txt || !out) {
        r = PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < blen; i++) {
        char c = body[i];
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
            continue;
        if (c == ':') {
            /* RFC 1421 headers (Proc-Type: 4,ENCRYPTED ...) */
            r = PJWT_FAIL(err, PJWT_ERR_KEY,
                          "encrypted or annotated PEM is not supported");
            goto out;
        }
        txt[n++] = c;
    }
    txt[n] = '\0';
    if (n == 0 || n % 4 != 0 || n > 0x7fffffff) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "bad PEM base64 body");
        goto out;
    }
    if (txt[n - 1] == '=')
        pad++;
    if (txt[n - 2] == '=')
        pad++;
    /* EVP_DecodeBlock returns -1 on any non-base64 character; it counts
       the padding as zero bytes, which we drop. */
    dl = EVP_DecodeBlock(out, (const unsigned char *)txt, (int)n);
    if (dl < 0 || (size_t)dl < pad) {
        r = PJWT_FAIL(err, PJWT_ERR_KEY, "bad PEM base64 body");
        goto out;
    }
    *der = out;
    *der_len = (size_t)dl - pad;
    out = NULL;
    r = 1;
out:
    pjwt_secret_free(txt, blen + 1);
    pjwt_secret_free(out, blen / 4 * 3 + 3);
    return r;
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Line number of buf[off], for messages that must not quote the text. */
static size_t
line_of(const char *buf, size_t off)
{
    size_t n = 1, i;

    for (i = 0; i < off; i++)
        n += buf[i] == '\n';
    return n;
}

/* Past blanks and one line end at p; NULL when something else follows. */
static const char *
line_end(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p < end && *p == '\r')
        p++;
    if (p == end)
        return p;
    return *p == '\n' ? p + 1 : NULL;
}

/*
 * A PEM file is PEM and nothing else (RFC 7468's strict grammar): between,
 * before and after the blocks only whitespace, BEGIN and END each on a line
 * of its own.  A block found inside other text (a log line that quotes a
 * key) is refused, so a file that merely contains someone's key somewhere
 * is never a key file.
 */
int
pjwt_pem_next(const char *buf, size_t len, size_t *pos, const char **label,
              size_t *label_len, uint8_t **der, size_t *der_len,
              pjwt_err *err)
{
    const char *p, *end = buf + len, *lab, *labend, *body, *tail, *e, *after;
    char endline[sizeof(END) + MAX_LABEL + sizeof(DASHES)];
    size_t ll, i;

    *der = NULL;
    *der_len = 0;
    if (*pos >= len)
        return 0;
    p = buf + *pos;
    while (p < end && is_space(*p))
        p++;
    if (p == end) {
        *pos = len;
        return 0;
    }
    if ((size_t)(end - p) < strlen(BEGIN) || memcmp(p, BEGIN, strlen(BEGIN)))
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "not a PEM file: text outside the BEGIN/END "
                         "blocks at line %zu", line_of(buf, (size_t)(p - buf)));
    lab = p + strlen(BEGIN);
    labend = find(lab, (size_t)(end - lab), DASHES);
    if (!labend || labend == lab || (size_t)(labend - lab) > MAX_LABEL)
        return PJWT_FAIL(err, PJWT_ERR_KEY, "bad PEM header");
    ll = (size_t)(labend - lab);
    for (i = 0; i < ll; i++)
        if (lab[i] < ' ' || lab[i] > '~')
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "bad PEM header");
    body = line_end(labend + strlen(DASHES), end);
    if (!body || body == end)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "bad PEM header: text after the BEGIN line");
    (void)snprintf(endline, sizeof(endline), "%s%.*s%s", END, (int)ll, lab,
                   DASHES);
    tail = find(body, (size_t)(end - body), endline);
    if (!tail)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "PEM block %.*s has no END line", (int)ll, lab);
    /* A BEGIN inside the body means a truncated block followed by another. */
    e = find(body, (size_t)(tail - body), BEGIN);
    if (e)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "PEM block %.*s is truncated", (int)ll, lab);
    if (tail != body && tail[-1] != '\n')
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "PEM block %.*s: END is not on a line of its own",
                         (int)ll, lab);
    after = line_end(tail + strlen(endline), end);
    if (!after)
        return PJWT_FAIL(err, PJWT_ERR_KEY,
                         "not a PEM file: text after the END line at line "
                         "%zu", line_of(buf, (size_t)(tail - buf)));
    *label = lab;
    *label_len = ll;
    *pos = (size_t)(after - buf);
    return decode_body(body, (size_t)(tail - body), der, der_len, err);
}

int
pjwt_pem_check(const char *buf, size_t len, size_t max_blocks, pjwt_err *err)
{
    const char *label;
    size_t ll, pos = 0, dl = 0, n = 0;
    uint8_t *der = NULL;
    int r;

    if (!buf)
        return PJWT_FAIL(err, PJWT_ERR_ARG, "no input");
    while ((r = pjwt_pem_next(buf, len, &pos, &label, &ll, &der, &dl,
                              err)) > 0) {
        pjwt_secret_free(der, dl);
        der = NULL;
        if (++n > max_blocks && max_blocks)
            return PJWT_FAIL(err, PJWT_ERR_KEY,
                             "more than %zu PEM block%s", max_blocks,
                             max_blocks == 1 ? "" : "s");
    }
    if (r < 0)
        return r;
    if (n == 0)
        return PJWT_FAIL(err, PJWT_ERR_KEY, "no PEM block");
    return 0;
}

static int
label_is(const char *label, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(label, want, len) == 0;
}

/* A private key by its label; NULL with *err set. */
static EVP_PKEY *
private_key(const char *label, size_t ll, const uint8_t *der, size_t der_len,
            pjwt_err *err)
{
    EVP_PKEY *pk = NULL;
    const unsigned char *p = der;
    long dl = (long)der_len;
    PKCS8_PRIV_KEY_INFO *p8;

    /* The issuer loads its signing key once; the generic decoders behind
       these are fine there. */
    if (label_is(label, ll, "PRIVATE KEY")) {
        p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, dl);
        if (p8)
            pk = EVP_PKCS82PKEY(p8);
        PKCS8_PRIV_KEY_INFO_free(p8);
    } else if (label_is(label, ll, "EC PRIVATE KEY")) {
        pk = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, dl);
    } else {
        pk = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, dl);
    }
    if (!pk) {
        PJWT_FAIL(err, PJWT_ERR_KEY, "malformed %.*s",
                  (int)ll, label);
        return NULL;
    }
    if (p != der + der_len) {
        EVP_PKEY_free(pk);
        PJWT_FAIL(err, PJWT_ERR_KEY,
                  "trailing data after %.*s", (int)ll, label);
        return NULL;
    }
    return pk;
}

pjwt_key *
pjwt_pem_decode(const char *label, size_t ll, const uint8_t *der,
                size_t der_len, unsigned flags, int *skip, pjwt_err *err)
{
    pjwt_key *key = NULL;
    EVP_PKEY *pk = NULL;
    int r = PJWT_ERR_KEY, pub;

    if (skip)
        *skip = 0;
    pub = label_is(label, ll, "PUBLIC KEY")
        || label_is(label, ll, "RSA PUBLIC KEY")
        || label_is(label, ll, "CERTIFICATE");
    if (label_is(label, ll, "ENCRYPTED PRIVATE KEY")) {
        PJWT_FAIL(err, PJWT_ERR_KEY,
                  "encrypted private keys are not supported");
        return NULL;
    }
    if (!pub && !label_is(label, ll, "PRIVATE KEY")
        && !label_is(label, ll, "EC PRIVATE KEY")
        && !label_is(label, ll, "RSA PRIVATE KEY")) {
        if (skip)
            *skip = 1;
        PJWT_FAIL(err, PJWT_ERR_KEY,
                  "unsupported PEM block %.*s", (int)ll, label);
        return NULL;
    }
    if (!pub && !(flags & PJWT_KEYS_PRIVATE)) {
        PJWT_FAIL(err, PJWT_ERR_KEY,
                  "private key where a public key is expected");
        return NULL;
    }
    if (der_len > PJWT_KEYS_MAX_FILE) {
        PJWT_FAIL(err, PJWT_ERR_KEY, "PEM body too large");
        return NULL;
    }
    key = pjwt_key_alloc();
    if (!key) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (label_is(label, ll, "PUBLIC KEY")) {
        r = pjwt_spki_load(key, der, der_len, err);
    } else if (label_is(label, ll, "RSA PUBLIC KEY")) {
        r = pjwt_pkcs1_load(key, der, der_len, err);
    } else if (label_is(label, ll, "CERTIFICATE")) {
        r = pjwt_cert_load(key, der, der_len, err);
    } else if ((pk = private_key(label, ll, der, der_len, err)) != NULL) {
        r = pjwt_key_adopt_pkey(key, pk, 1, err);
        if (r != 0)
            EVP_PKEY_free(pk);
    }
    if (r != 0) {
        pjwt_key_free(key);
        return NULL;
    }
    return key;
}

pjwt_key *
pjwt_key_from_pem(const char *buf, size_t len, unsigned flags, pjwt_err *err)
{
    pjwt_key *key = NULL;
    const char *label = NULL;
    size_t ll = 0, pos = 0, dl = 0;
    uint8_t *der = NULL;
    int r, skip = 0;

    if (!buf) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "no input");
        return NULL;
    }
    /* PEM and nothing else, also after the block we use. */
    if (pjwt_pem_check(buf, len, 0, err) != 0)
        return NULL;
    /* The first block that holds a key: "EC PARAMETERS" (openssl ecparam
       -genkey) and other keyless blocks before it are skipped. */
    for (;;) {
        r = pjwt_pem_next(buf, len, &pos, &label, &ll, &der, &dl, err);
        if (r == 0)
            PJWT_FAIL(err, PJWT_ERR_KEY, "no PEM key block");
        if (r <= 0)
            return NULL;
        key = pjwt_pem_decode(label, ll, der, dl, flags, &skip, err);
        pjwt_secret_free(der, dl);
        if (key || !skip)
            break;
    }
    /* A single key is wanted now: build it (a keyset stays lazy). */
    if (key && (pjwt_key_set_kid(key, NULL, 0, err) != 0
                || pjwt_key_materialize(key, err) != 0)) {
        pjwt_key_free(key);
        key = NULL;
    }
    return key;
}

/* ---- out --------------------------------------------------------------- */

/* The contents of a memory BIO as a new NUL-terminated string. */
static char *
bio_string(BIO *bio, pjwt_err *err)
{
    char *data = NULL, *s;
    long n = BIO_get_mem_data(bio, &data);

    if (n <= 0 || !data) {
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "PEM export failed");
        return NULL;
    }
    s = malloc((size_t)n + 1);
    if (!s) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    OPENSSL_cleanse(data, (size_t)n);
    return s;
}

static char *
to_pem(pjwt_key *key, int priv, pjwt_err *err)
{
    EVP_PKEY *pk;
    BIO *bio = NULL;
    char *s = NULL;
    int ok;

    if (!key || key->kty == PJWT_KTY_OCT) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "no PEM form for secrets");
        return NULL;
    }
    if (priv && !key->priv) {
        PJWT_FAIL(err, PJWT_ERR_ARG, "not a private key");
        return NULL;
    }
    pk = pjwt_key_pkey(key, err);
    if (!pk)
        return NULL;
    /* secmem: its buffer is cleansed when it grows and when freed */
    bio = BIO_new(priv ? BIO_s_secmem() : BIO_s_mem());
    if (!bio) {
        PJWT_FAIL(err, PJWT_ERR_NOMEM, "out of memory");
        return NULL;
    }
    ok = priv ? PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL)
              : PEM_write_bio_PUBKEY(bio, pk);
    if (ok == 1)
        s = bio_string(bio, err);
    else
        PJWT_FAIL(err, PJWT_ERR_INTERNAL, "PEM export failed");
    BIO_free(bio);
    return s;
}

char *
pjwt_key_to_public_pem(pjwt_key *key, pjwt_err *err)
{
    return to_pem(key, 0, err);
}

char *
pjwt_key_to_private_pem(pjwt_key *key, pjwt_err *err)
{
    return to_pem(key, 1, err);
}
