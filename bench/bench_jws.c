/*
 * bench_jws.c: full pjwt verify/sign of a compact token against bare
 * OpenSSL doing only the signature operation, measured in the same run.
 *
 *   verify ALG pjwt_ns=N openssl_ns=M ratio=R
 *   sign ALG pjwt_ns=N openssl_ns=M ratio=R
 *
 * pjwt verify = pjwt_jws_verify (length, split, base64url, header JSON,
 * key selection, signature, payload JSON) + pjwt_claims_check with a
 * realistic policy.  The OpenSSL baseline checks the same signature over
 * the same signing input with a key parsed once, in the plain way: a new
 * context per operation, set up with the key (HMAC: an EVP_MAC fetched
 * once, a new EVP_MAC_CTX keyed per operation, as HMAC() would do).  That
 * pjwt copies contexts it set up once per key is its own optimisation, not
 * the baseline's.  pjwt sign = pjwt_jws_sign
 * (header and claims serialised, encoded, signed, encoded); its baseline
 * signs the same signing input.
 *
 * Each number is the median of ROUNDS rounds; each round runs the two
 * contenders alternately for about ROUND_NS of thread CPU time each, so
 * drift hits both.
 * Bounded: at most ROUNDS * 2 * ROUND_NS per row plus one slow operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "b64url.h"
#include "claims.h"
#include "jws.h"
#include "keys.h"
#include "../tests/lib/slurp.h"

#define ROUNDS 7
#define ROUND_NS 40000000.0   /* 40 ms per contender per round */
#define MAX_ITERS 2000000L

typedef struct ctx {
    pjwt_alg alg;
    pjwt_key *priv;
    pjwt_keyset *ks;
    pjwt_policy pol;
    time_t now;
    json_t *hdr, *claims;
    char *token;
    size_t toklen, inlen;
    /* baseline material */
    EVP_PKEY *pkey;
    EVP_MD *md;
    EVP_MAC *mac;
    uint8_t secret[256];
    size_t secret_len;
    uint8_t sig[PJWT_SIG_MAX];
    size_t siglen;
    int fail;
} ctx;

static double
now_ns(void)
{
    struct timespec ts;

    /* CPU time of this thread: the machine may be busy with other work
       (parallel builds, CI), and time spent descheduled is not ours. */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A fixture under tests/data; a missing one ends the run. */
#define slurp(name, len) test_or_exit(test_slurp_data((len), "%s", (name)))

/* ---- the contenders ----------------------------------------------------- */

static void
pjwt_verify_op(ctx *c)
{
    pjwt_token t;
    pjwt_err e;

    if (pjwt_jws_verify(c->token, c->toklen, 0, c->ks, PJWT_ALGSET(c->alg),
                        &t, NULL) != 0
        || pjwt_claims_check(t.claims, &c->pol, c->now, &e) != 0)
        c->fail = 1;
    pjwt_token_clear(&t);
}

static void
pjwt_sign_op(ctx *c)
{
    char *t = pjwt_jws_sign(c->priv, c->alg, c->hdr, c->claims, NULL);

    if (!t)
        c->fail = 1;
    free(t);
}

static void
set_pss(ctx *c, EVP_PKEY_CTX *pctx)
{
    if (c->alg == PJWT_ALG_PS256
        && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        c->fail = 1;
}

/* A new HMAC-SHA256 context keyed with the secret. */
static EVP_MAC_CTX *
mac_new(ctx *c)
{
    OSSL_PARAM p[2];
    EVP_MAC_CTX *m = EVP_MAC_CTX_new(c->mac);

    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                            (char *)(uintptr_t)"SHA256", 0);
    p[1] = OSSL_PARAM_construct_end();
    if (m && !EVP_MAC_init(m, c->secret, c->secret_len, p)) {
        EVP_MAC_CTX_free(m);
        m = NULL;
    }
    return m;
}

static void
ossl_verify_op(ctx *c)
{
    if (c->mac) {
        EVP_MAC_CTX *m = mac_new(c);
        uint8_t tag[64];
        size_t tl = 0;

        if (!m || !EVP_MAC_update(m, (const uint8_t *)c->token, c->inlen)
            || !EVP_MAC_final(m, tag, &tl, sizeof(tag)) || tl != c->siglen
            || CRYPTO_memcmp(tag, c->sig, tl) != 0)
            c->fail = 1;
        EVP_MAC_CTX_free(m);
    } else {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;

        if (!m || EVP_DigestVerifyInit_ex(m, &pctx, c->md ? EVP_MD_get0_name(c->md) : NULL,
                                          NULL, NULL, c->pkey, NULL) != 1)
            c->fail = 1;
        else {
            set_pss(c, pctx);
            if (EVP_DigestVerify(m, c->sig, c->siglen,
                                 (const uint8_t *)c->token, c->inlen) != 1)
                c->fail = 1;
        }
        EVP_MD_CTX_free(m);
    }
}

static void
ossl_sign_op(ctx *c)
{
    uint8_t sig[PJWT_SIG_MAX];
    size_t sl = sizeof(sig);

    if (c->mac) {
        EVP_MAC_CTX *m = mac_new(c);

        if (!m || !EVP_MAC_update(m, (const uint8_t *)c->token, c->inlen)
            || !EVP_MAC_final(m, sig, &sl, sizeof(sig)))
            c->fail = 1;
        EVP_MAC_CTX_free(m);
    } else {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;

        if (!m || EVP_DigestSignInit_ex(m, &pctx, c->md ? EVP_MD_get0_name(c->md) : NULL,
                                        NULL, NULL, c->pkey, NULL) != 1)
            c->fail = 1;
        else {
            set_pss(c, pctx);
            if (EVP_DigestSign(m, sig, &sl, (const uint8_t *)c->token,
                               c->inlen) != 1)
                c->fail = 1;
        }
        EVP_MD_CTX_free(m);
    }
}

/* ---- timing ------------------------------------------------------------- */

typedef void (*op_fn)(ctx *);

/* ns per op over about ROUND_NS, iterations bounded by MAX_ITERS. */
static double
time_op(op_fn f, ctx *c)
{
    double t0 = now_ns(), t;
    long n = 0;

    do {
        for (int i = 0; i < 8; i++)
            f(c);
        n += 8;
        t = now_ns() - t0;
    } while (t < ROUND_NS && n < MAX_ITERS);
    return t / (double)n;
}

static int
cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void
row(const char *what, ctx *c, op_fn pj, op_fn os)
{
    double a[ROUNDS], b[ROUNDS];

    pj(c); /* warm up both paths once */
    os(c);
    for (int r = 0; r < ROUNDS; r++) {
        a[r] = time_op(pj, c);
        b[r] = time_op(os, c);
    }
    qsort(a, ROUNDS, sizeof(double), cmp_d);
    qsort(b, ROUNDS, sizeof(double), cmp_d);
    printf("%s %s pjwt_ns=%.0f openssl_ns=%.0f ratio=%.2f\n", what,
           pjwt_alg_name(c->alg), a[ROUNDS / 2], b[ROUNDS / 2],
           a[ROUNDS / 2] / b[ROUNDS / 2]);
    fflush(stdout);
}

/* ---- setup ---------------------------------------------------------------- */

static int
setup(ctx *c, pjwt_alg alg, const char *priv_file, const char *pub_file)
{
    pjwt_err e;
    size_t len;
    char *buf;
    const char *dot;

    memset(c, 0, sizeof(*c));
    c->alg = alg;
    c->now = time(NULL);
    buf = slurp(priv_file, &len);
    if (alg == PJWT_ALG_HS256) {
        while (len && buf[len - 1] == '\n')
            len--;
        c->priv = pjwt_key_from_secret(buf, len, &e);
        c->ks = pjwt_keyset_new();
        if (!c->priv || !c->ks
            || pjwt_keyset_add(c->ks, pjwt_key_from_secret(buf, len, &e), &e))
            goto fail;
        if (len > sizeof(c->secret)
            || !(c->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
            goto fail;
        memcpy(c->secret, buf, len);
        c->secret_len = len;
    } else {
        BIO *bio;

        c->priv = pjwt_key_from_pem(buf, len, PJWT_KEYS_PRIVATE, &e);
        free(buf);
        buf = slurp(pub_file, &len);
        c->ks = pjwt_keyset_new();
        if (!c->priv || !c->ks
            || pjwt_keyset_add(c->ks, pjwt_key_from_pem(buf, len, 0, &e), &e))
            goto fail;
        /* the baseline parses its own keys once, with plain OpenSSL */
        free(buf);
        buf = slurp(priv_file, &len);
        bio = BIO_new_mem_buf(buf, (int)len);
        c->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!c->pkey)
            goto fail;
        if (alg != PJWT_ALG_EDDSA && !(c->md = EVP_MD_fetch(NULL, "SHA256", NULL)))
            goto fail;
    }
    free(buf);
    buf = NULL;

    /* A realistic token: what jwt-issuerd issues. */
    c->hdr = json_pack("{s:s}", "typ", "JWT");
    c->claims = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s}",
                          "iss", "https://login.example.com",
                          "sub", "alice", "aud", "ssh.example.com",
                          "iat", (json_int_t)c->now,
                          "nbf", (json_int_t)c->now,
                          "exp", (json_int_t)c->now + 300,
                          "jti", "6f1c2b7e-4c1d-4a7b-9d7e-0c6b1f2a3e4d");
    c->token = pjwt_jws_sign(c->priv, alg, c->hdr, c->claims, &e);
    if (!c->token)
        goto fail;
    c->toklen = strlen(c->token);
    dot = strrchr(c->token, '.');
    c->inlen = (size_t)(dot - c->token);
    if (pjwt_b64url_decode(dot + 1, strlen(dot + 1), c->sig, sizeof(c->sig),
                           &c->siglen) != 0)
        goto fail;
    if (alg == PJWT_ALG_ES256) {
        /* OpenSSL checks DER; convert the JOSE R||S once, outside timing */
        ECDSA_SIG *es = ECDSA_SIG_new();
        uint8_t *p = c->sig + 0;
        uint8_t raw[64];
        int n;

        memcpy(raw, c->sig, 64);
        ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
        n = i2d_ECDSA_SIG(es, &p);
        ECDSA_SIG_free(es);
        if (n <= 0)
            goto fail;
        c->siglen = (size_t)n;
    }
    pjwt_policy_init(&c->pol);
    c->pol.issuer = "https://login.example.com";
    c->pol.audience = "ssh.example.com";
    c->pol.expected_user = "alice";
    c->pol.max_lifetime = 600;
    return 0;
fail:
    fprintf(stderr, "bench_jws: setup of %s failed: %s\n", pjwt_alg_name(alg),
            e.msg);
    free(buf);
    return -1;
}

static void
teardown(ctx *c)
{
    pjwt_key_free(c->priv);
    pjwt_keyset_free(c->ks);
    json_decref(c->hdr);
    json_decref(c->claims);
    free(c->token);
    EVP_PKEY_free(c->pkey);
    EVP_MD_free(c->md);
    EVP_MAC_free(c->mac);
}

int
main(int argc, char **argv)
{
    static const struct { pjwt_alg alg; const char *priv, *pub; } v[] = {
        { PJWT_ALG_HS256, "jws_hmac.secret", NULL },
        { PJWT_ALG_RS256, "jws_rsa2048.key", "jws_rsa2048.pub" },
        { PJWT_ALG_PS256, "jws_rsa2048.key", "jws_rsa2048.pub" },
        { PJWT_ALG_ES256, "jws_p256.key", "jws_p256.pub" },
        { PJWT_ALG_EDDSA, "jws_ed25519.key", "jws_ed25519.pub" },
    };
    int rc = 0;

    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        ctx c;
        int want = argc < 2;

        /* optional arguments name the algorithms to run (for profiling) */
        for (int a = 1; a < argc; a++)
            want |= strcmp(argv[a], pjwt_alg_name(v[i].alg)) == 0;
        if (!want)
            continue;
        if (setup(&c, v[i].alg, v[i].priv, v[i].pub) != 0) {
            rc = 1;
            teardown(&c);
            continue;
        }
        row("verify", &c, pjwt_verify_op, ossl_verify_op);
        row("sign", &c, pjwt_sign_op, ossl_sign_op);
        if (c.fail) {
            fprintf(stderr, "bench_jws: %s: an operation failed\n",
                    pjwt_alg_name(v[i].alg));
            rc = 1;
        }
        teardown(&c);
    }
    return rc;
}
