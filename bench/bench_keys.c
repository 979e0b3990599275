/*
 * bench_keys.c: key loading cost, pjwt against OpenSSL's generic PEM
 * decoder (PEM_read_bio_PUBKEY) on the same key in the same run.
 *
 *   keyload FORMAT pjwt_us=N pem_read_bio_us=M ratio=R        (warm)
 *   keyload-first FORMAT pjwt_us=N pem_read_bio_us=M ratio=R  (fresh process)
 *
 * "first" rows fork a child per measurement before this process touches
 * OpenSSL, so they include provider loading and algorithm fetches, which
 * is what the PAM module pays in a fresh sshd child.  Each pjwt number is
 * load + the first signature check's key preparation (EVP_DigestVerifyInit)
 * because a decoder that defers work to first use must not look cheap.
 * Times are process CPU time, so a busy machine inflates them less.
 * Fixtures come from $TOP/tests/data/keys (TOP defaults to ".").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "keys.h"
#include "../tests/lib/slurp.h"

struct fmt {
    const char *name, *file, *pemfile;
    int jwks;   /* 1: load the file as a keyset and select the kid */
    const char *kid;
    pjwt_alg alg;
};

static const struct fmt fmts[] = {
    { "rsa-spki", "rsa2048.pub.pem", "rsa2048.pub.pem", 0, NULL,
      PJWT_ALG_INVALID },
    { "rsa-pkcs1", "rsa2048.pkcs1.pub.pem", "rsa2048.pub.pem", 0, NULL,
      PJWT_ALG_INVALID },
    { "rsa-cert", "rsa2048.crt.pem", "rsa2048.pub.pem", 0, NULL,
      PJWT_ALG_INVALID },
    { "rsa-jwk", "rsa2048.pub.jwk", "rsa2048.pub.pem", 0, NULL,
      PJWT_ALG_INVALID },
    { "ec256-spki", "ec256.pub.pem", "ec256.pub.pem", 0, NULL,
      PJWT_ALG_INVALID },
    { "ec256-jwk", "ec256.pub.jwk", "ec256.pub.pem", 0, NULL,
      PJWT_ALG_INVALID },
    { "ed25519-spki", "ed25519.pub.pem", "ed25519.pub.pem", 0, NULL,
      PJWT_ALG_INVALID },
    { "ed25519-jwk", "ed25519.pub.jwk", "ed25519.pub.pem", 0, NULL,
      PJWT_ALG_INVALID },
    { "jwks-kid", "jwks.json", "rsa2048.pub.pem", 1, "rsa-1",
      PJWT_ALG_RS256 },
    /* three PEM keys, the token's kid selects the Ed25519 one */
    { "multi-pem-kid", "multi.pub.pem", "ed25519.pub.pem", 1,
      "yy59kJC1LN_BlDVcH3l8UFAA1uV4FYBDc3iPU4NyCuw", PJWT_ALG_EDDSA },
};

static char top[4096];

static double
now_us(void)
{
    struct timespec ts;

    /* CPU time of this process: other load on the machine (parallel
       builds, CI neighbours) must not show up as our cost. */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A fixture under tests/data/keys; a missing one ends the run. */
#define slurp(name, len) test_or_exit(test_slurp_data((len), "keys/%s", (name)))

static int
prepare(EVP_PKEY *pk)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestVerifyInit(c, NULL, EVP_PKEY_get_base_id(pk)
                                       == EVP_PKEY_ED25519 ? NULL
                                       : EVP_sha256(), NULL, pk) == 1;

    EVP_MD_CTX_free(c);
    return ok;
}

/* One pjwt load + verify preparation; returns microseconds. */
static double
one_pjwt(const struct fmt *f)
{
    char path[8192];
    size_t len;
    char *buf = NULL;
    json_t *j = NULL;
    pjwt_key *k = NULL, *sel;
    pjwt_keyset *ks = NULL;
    double t0, t;

    if (f->jwks) {
        snprintf(path, sizeof(path), "%s/tests/data/keys/%s", top, f->file);
        t0 = now_us();
        ks = pjwt_keyset_new();
        if (pjwt_keyset_load_file(ks, path, 0, NULL) != 0
            || !(sel = pjwt_keyset_by_kid(ks, f->kid, strlen(f->kid),
                                          f->alg, NULL))
            || !prepare(pjwt_key_pkey(sel, NULL)))
            exit(2);
        t = now_us() - t0;
        pjwt_keyset_free(ks);
        return t;
    }
    buf = slurp(f->file, &len);
    t0 = now_us();
    if (strstr(f->file, ".jwk")) {
        j = json_loadb(buf, len, 0, NULL);
        k = pjwt_key_from_jwk(j, 0, NULL);
    } else {
        k = pjwt_key_from_pem(buf, len, 0, NULL);
    }
    if (!k || !prepare(pjwt_key_pkey(k, NULL)))
        exit(2);
    t = now_us() - t0;
    pjwt_key_free(k);
    json_decref(j);
    free(buf);
    return t;
}

static double
one_openssl(const struct fmt *f)
{
    size_t len;
    char *buf = slurp(f->pemfile, &len);
    BIO *b;
    EVP_PKEY *pk;
    double t0, t;

    t0 = now_us();
    b = BIO_new_mem_buf(buf, (int)len);
    pk = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    if (!pk || !prepare(pk))
        exit(2);
    t = now_us() - t0;
    EVP_PKEY_free(pk);
    BIO_free(b);
    free(buf);
    return t;
}

/* Run fn in a forked child that has not touched OpenSSL yet. */
static double
fresh(double (*fn)(const struct fmt *), const struct fmt *f)
{
    int p[2], st;
    double t = -1;
    pid_t pid;

    if (pipe(p) != 0 || (pid = fork()) < 0)
        exit(1);
    if (pid == 0) {
        close(p[0]);
        t = fn(f);
        if (write(p[1], &t, sizeof(t)) != sizeof(t))
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &t, sizeof(t)) != sizeof(t))
        t = -1;
    close(p[0]);
    waitpid(pid, &st, 0);
    return t;
}

int
main(void)
{
    const size_t nf = sizeof(fmts) / sizeof(fmts[0]);
    double a, b, best_a, best_b;
    size_t i, it, rep;
    int iters = 300;

    snprintf(top, sizeof(top), "%s", getenv("TOP") ? getenv("TOP") : ".");
    /* Fresh-process rows first: this process must not load OpenSSL
       providers before the forks.  Best of 15 children each. */
    for (i = 0; i < nf; i++) {
        best_a = best_b = 1e18;
        for (rep = 0; rep < 15; rep++) {
            a = fresh(one_pjwt, &fmts[i]);
            b = fresh(one_openssl, &fmts[i]);
            if (a < 0 || b < 0)
                return 1;
            best_a = a < best_a ? a : best_a;
            best_b = b < best_b ? b : best_b;
        }
        printf("keyload-first %s pjwt_us=%.0f pem_read_bio_us=%.0f "
               "ratio=%.2f\n", fmts[i].name, best_a, best_b, best_a / best_b);
    }
    for (i = 0; i < nf; i++) {
        (void)one_pjwt(&fmts[i]);
        (void)one_openssl(&fmts[i]);
        a = b = 0;
        for (it = 0; it < (size_t)iters; it++) {
            a += one_pjwt(&fmts[i]);
            b += one_openssl(&fmts[i]);
        }
        printf("keyload %s pjwt_us=%.1f pem_read_bio_us=%.1f ratio=%.2f\n",
               fmts[i].name, a / iters, b / iters, a / b);
    }
    fflush(stdout);
    return 0;
}
