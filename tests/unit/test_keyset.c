/*
 * test_keyset.c: key files (format detection, JWKS skipping, lazy and
 * eager keys, file modes and sizes, secret files), key selection by kid
 * and alg, JWKS export.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "keys.h"
#include "testdir.h"
#include "slurp.h"

#define TP_EC256 "0oTY-qkZxnXUbtQ92gRSEER-7SRmTQVfBIyEECP4H-M"

static char *tmpdir;

static const char *
fixture(const char *name)
{
    static char path[4096];
    char rel[512];

    snprintf(rel, sizeof(rel), "keys/%s", name);
    if (test_data_path(path, sizeof(path), rel) != 0)
        fail_msg("path too long: %s", rel);
    return path;
}

/* Write a temp file with the given mode; returns its path (static). */
static const char *
tmpfile_with(const char *name, const void *data, size_t len, mode_t mode)
{
    static char path[4096];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static int
setup(void **state)
{
    (void)state;
    tmpdir = test_mkdtemp("pjwt-keyset");
    return tmpdir ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[4200];
    int r;

    (void)state;
    /* the directory name is ours (mkdtemp), nothing else is removed */
    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmpdir);
    r = system(cmd);
    free(tmpdir);
    return r == 0 ? 0 : -1;
}

static pjwt_keyset *
load(const char *path, unsigned flags, int want, pjwt_err *e)
{
    pjwt_keyset *ks = pjwt_keyset_new();
    int r;

    assert_non_null(ks);
    pjwt_err_clear(e);
    r = pjwt_keyset_load_file(ks, path, flags, e);
    if (r != want)
        fail_msg("%s: got %d want %d (%s)", path, r, want, e->msg);
    return ks;
}

static void
test_jwks(void **state)
{
    pjwt_err e;
    pjwt_keyset *ks = load(fixture("jwks.json"), 0, 0, &e);
    pjwt_key *k;
    size_t idx = 0;

    (void)state;
    /* enc, RSA-OAEP, unknown kty and X25519 keys are skipped */
    assert_int_equal(pjwt_keyset_count(ks), 4);
    assert_int_equal(pjwt_keyset_algs(ks),
                     PJWT_ALGSET_RS | PJWT_ALGSET_PS | PJWT_ALGSET_ED
                     | PJWT_ALGSET(PJWT_ALG_ES256)
                     | PJWT_ALGSET(PJWT_ALG_ES384));
    k = pjwt_keyset_by_kid(ks, "rsa-1", 5, PJWT_ALG_RS256, &e);
    assert_non_null(k);
    assert_string_equal(pjwt_key_kid(k), "rsa-1");
    assert_non_null(pjwt_key_pkey(k, NULL));
    /* kid compared byte for byte, with its length */
    assert_null(pjwt_keyset_by_kid(ks, "rsa-1x", 5, PJWT_ALG_ES256, &e));
    assert_null(pjwt_keyset_by_kid(ks, "rsa-", 4, PJWT_ALG_RS256, &e));
    assert_int_equal(e.code, PJWT_ERR_NO_KEY);
    assert_null(pjwt_keyset_by_kid(ks, "RSA-1", 5, PJWT_ALG_RS256, &e));
    assert_null(pjwt_keyset_by_kid(ks, "rsa-1\0", 6, PJWT_ALG_RS256, &e));
    /* the kid's key must also fit the alg */
    assert_null(pjwt_keyset_by_kid(ks, "rsa-1", 5, PJWT_ALG_ES256, &e));
    assert_int_equal(e.code, PJWT_ERR_NO_KEY);
    assert_null(pjwt_keyset_by_kid(ks, "rsa-1", 5, PJWT_ALG_INVALID, &e));
    assert_null(pjwt_keyset_by_kid(ks, "enc-1", 5, PJWT_ALG_RS256, &e));
    /* a key without kid is found by its thumbprint */
    k = pjwt_keyset_by_kid(ks, TP_EC256, strlen(TP_EC256), PJWT_ALG_ES256,
                           &e);
    assert_non_null(k);
    assert_int_equal(pjwt_key_kty(k), PJWT_KTY_EC);
    /* no kid: candidates in turn */
    k = pjwt_keyset_next(ks, PJWT_ALG_ES256, &idx, &e);
    assert_non_null(k);
    assert_string_equal(pjwt_key_kid(k), TP_EC256);
    assert_null(pjwt_keyset_next(ks, PJWT_ALG_ES256, &idx, &e));
    assert_int_equal(e.code, PJWT_ERR_NO_KEY);
    idx = 0;
    k = pjwt_keyset_next(ks, PJWT_ALG_EDDSA, &idx, &e);
    assert_string_equal(pjwt_key_kid(k), "ed-1");
    assert_non_null(pjwt_keyset_next(ks, PJWT_ALG_ED25519, &(size_t){ 0 }, &e));
    assert_null(pjwt_keyset_next(ks, PJWT_ALG_HS256, &(size_t){ 0 }, &e));
    /* A token kid no key has: only keys without a kid of their own are
       candidates; every JWK here has one (the EC key's is its
       thumbprint, but written in the JWK). */
    assert_null(pjwt_keyset_next_kidless(ks, PJWT_ALG_ES256, &(size_t){ 0 },
                                         &e));
    assert_int_equal(e.code, PJWT_ERR_NO_KEY);
    assert_null(pjwt_keyset_next_kidless(ks, PJWT_ALG_RS256, &(size_t){ 0 },
                                         &e));
    /* PEM keys (no kid of their own), added after them, are */
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_keyset_load_file(ks, fixture("rsa2048.pub.pem"), 0,
                                           &e), 0);
    assert_int_equal(pjwt_keyset_load_file(ks, fixture("ec384.pub.pem"), 0,
                                           &e), 0);
    idx = 0;
    k = pjwt_keyset_next_kidless(ks, PJWT_ALG_RS256, &idx, &e);
    assert_non_null(k);
    assert_int_equal(idx, 5);
    assert_null(pjwt_keyset_next_kidless(ks, PJWT_ALG_RS256, &idx, &e));
    k = pjwt_keyset_next_kidless(ks, PJWT_ALG_ES384, &(size_t){ 0 }, &e);
    assert_non_null(k);
    assert_int_equal(pjwt_key_kty(k), PJWT_KTY_EC);
    pjwt_keyset_free(ks);
}

static void
test_lazy_and_eager(void **state)
{
    static const char jwks[] =
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"good\","
        "\"x\":\"UuZcHdbca77_Ob-iMWqiQI5wvCgSHY2ugmNCWFys4zI\","
        "\"y\":\"nv99Egaeb_YcgVn2kogLteWgpmpEGCHQpVOcmEDWiRw\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"offcurve\","
        "\"x\":\"UuZcHdbca77_Ob-iMWqiQI5wvCgSHY2ugmNCWFys4zI\","
        "\"y\":\"nv99Egaeb_YcgVn2kogLteWgpmpEGCHQpVOcmEDWiRs\"}]}";
    const char *path = tmpfile_with("lazy.json", jwks, strlen(jwks), 0644);
    pjwt_err e;
    pjwt_keyset *ks;
    json_t *jwk;

    (void)state;
    /* lazy: the broken key is only seen when a token selects it */
    ks = load(path, 0, 0, &e);
    assert_int_equal(pjwt_keyset_count(ks), 2);
    assert_non_null(pjwt_keyset_by_kid(ks, "good", 4, PJWT_ALG_ES256, &e));
    assert_null(pjwt_keyset_by_kid(ks, "offcurve", 8, PJWT_ALG_ES256, &e));
    assert_int_equal(e.code, PJWT_ERR_KEY);
    pjwt_keyset_free(ks);
    /* eager: the whole file is refused at load, nothing added */
    ks = load(path, PJWT_KEYS_EAGER, PJWT_ERR_KEY, &e);
    assert_int_equal(pjwt_keyset_count(ks), 0);
    assert_non_null(strstr(e.msg, path));
    pjwt_keyset_free(ks);
    /* PEM public keys are lazy too */
    ks = load(fixture("bad-ec256-offcurve.pub.pem"), 0, 0, &e);
    assert_int_equal(pjwt_keyset_count(ks), 1);
    assert_null(pjwt_keyset_next(ks, PJWT_ALG_ES256, &(size_t){ 0 }, &e));
    assert_int_equal(e.code, PJWT_ERR_KEY);
    assert_null(pjwt_key_pkey(pjwt_keyset_get(ks, 0), &e));
    pjwt_keyset_free(ks);
    ks = load(fixture("bad-ec256-offcurve.pub.pem"), PJWT_KEYS_EAGER,
              PJWT_ERR_KEY, &e);
    pjwt_keyset_free(ks);
    /* and a lazy key exports its public JWK without being built */
    ks = load(fixture("ec256.pub.pem"), 0, 0, &e);
    jwk = pjwt_key_to_public_jwk(pjwt_keyset_get(ks, 0), &e);
    assert_non_null(jwk);
    assert_string_equal(json_string_value(json_object_get(jwk, "kid")),
                        TP_EC256);
    json_decref(jwk);
    assert_non_null(pjwt_key_pkey(pjwt_keyset_get(ks, 0), &e));
    pjwt_keyset_free(ks);
}

static void
test_formats(void **state)
{
    pjwt_err e;
    pjwt_keyset *ks;

    (void)state;
    ks = load(fixture("multi.pub.pem"), 0, 0, &e);
    assert_int_equal(pjwt_keyset_count(ks), 3);
    assert_int_equal(pjwt_key_kty(pjwt_keyset_get(ks, 0)), PJWT_KTY_RSA);
    assert_int_equal(pjwt_key_kty(pjwt_keyset_get(ks, 1)), PJWT_KTY_EC);
    assert_int_equal(pjwt_key_kty(pjwt_keyset_get(ks, 2)), PJWT_KTY_OKP);
    assert_null(pjwt_keyset_get(ks, 3));
    /* a second file appends */
    assert_int_equal(pjwt_keyset_load_file(ks, fixture("oct32.jwk"), 0, &e), 0);
    assert_int_equal(pjwt_keyset_count(ks), 4);
    /* a failing file leaves the set as it was */
    assert_int_equal(pjwt_keyset_load_file(ks,
                         fixture("bad-jwks-broken-member.json"), 0, &e),
                     PJWT_ERR_KEY);
    assert_int_equal(pjwt_keyset_count(ks), 4);
    pjwt_keyset_free(ks);
    /* "EC PARAMETERS" block before the key is skipped */
    ks = load(fixture("ec256.trad.pem"), PJWT_KEYS_PRIVATE, 0, &e);
    assert_int_equal(pjwt_keyset_count(ks), 1);
    assert_int_equal(pjwt_key_is_private(pjwt_keyset_get(ks, 0)), 1);
    pjwt_keyset_free(ks);
    /* a single JWK file */
    ks = load(fixture("ed25519.pub.jwk"), 0, 0, &e);
    assert_int_equal(pjwt_keyset_count(ks), 1);
    pjwt_keyset_free(ks);
    /* private JWKS for the issuer: built at load */
    ks = load(fixture("jwks-private.json"), PJWT_KEYS_PRIVATE, 0, &e);
    assert_int_equal(pjwt_keyset_count(ks), 2);
    assert_int_equal(pjwt_key_is_private(pjwt_keyset_get(ks, 1)), 1);
    pjwt_keyset_free(ks);
    pjwt_keyset_free(load(fixture("jwks-private.json"), 0, PJWT_ERR_KEY, &e));
    pjwt_keyset_free(load(fixture("ec256.pem"), 0, PJWT_ERR_KEY, &e));
}

static void
test_bad_files(void **state)
{
    static const struct { const char *name; int code; } bad[] = {
        { "bad-jwks-empty.json", PJWT_ERR_KEY },
        { "bad-jwks-enc-only.json", PJWT_ERR_KEY },
        { "bad-jwks-broken-member.json", PJWT_ERR_KEY },
        { "bad-jwks-duplicate.json", PJWT_ERR_JSON },
        { "bad-garbage.txt", PJWT_ERR_KEY },
        { "bad-empty.txt", PJWT_ERR_KEY },
        { "bad-truncated.pub.pem", PJWT_ERR_KEY },
        { "bad-rsa1024.pub.pem", PJWT_ERR_KEY },
        { "bad-ec256-use-enc.jwk", PJWT_ERR_KEY },
        { "bad-oct31.jwk", PJWT_ERR_KEY },
        { "no-such-file", PJWT_ERR_IO },
    };
    pjwt_err e;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *p = fixture(bad[i].name);
        pjwt_keyset *ks = load(p, 0, bad[i].code, &e);
        /* "PATH: message" */
        assert_memory_equal(e.msg, p, strlen(p) < 100 ? strlen(p) : 100);
        pjwt_keyset_free(ks);
    }
    pjwt_keyset_free(load(tmpdir, 0, PJWT_ERR_IO, &e));
    assert_int_equal(pjwt_keyset_load_file(NULL, "x", 0, &e), PJWT_ERR_ARG);
}

static void
test_modes(void **state)
{
    size_t len;
    char buf[4096];
    FILE *f = fopen(fixture("ec256.pub.pem"), "r");
    const char *p;
    char fifo[4096];
    pjwt_err e;

    (void)state;
    assert_non_null(f);
    len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    p = tmpfile_with("k.pem", buf, len, 0666);
    pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_WRITE, PJWT_ERR_PERM, &e));
    assert_non_null(strstr(e.msg, p));
    pjwt_keyset_free(load(p, 0, 0, &e));
    p = tmpfile_with("k.pem", buf, len, 0620);
    pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_WRITE, PJWT_ERR_PERM, &e));
    p = tmpfile_with("k.pem", buf, len, 0644);
    pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_WRITE, 0, &e));
    pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_READ, PJWT_ERR_PERM, &e));
    p = tmpfile_with("k.pem", buf, len, 0604);
    pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_READ, PJWT_ERR_PERM, &e));
    p = tmpfile_with("k.pem", buf, len, 0600);
    pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_READ | PJWT_KEYS_CHECK_WRITE,
                          0, &e));
    /* a file owned by another user (who could rewrite it) is refused with
       CHECK_WRITE; only root can hand our temp file to someone else */
    if (geteuid() == 0) {
        assert_int_equal(chown(p, 65534, 65534), 0);
        pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_WRITE, PJWT_ERR_PERM, &e));
        assert_non_null(strstr(e.msg, "owned by uid 65534"));
        pjwt_keyset_free(load(p, 0, 0, &e));
    }
    /* not a regular file: a FIFO must not block the open */
    snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pjwt_keyset_free(load(fifo, 0, PJWT_ERR_IO, &e));
    assert_non_null(strstr(e.msg, "not a regular file"));
    pjwt_keyset_free(load(fifo, PJWT_KEYS_CHECK_WRITE, PJWT_ERR_IO, &e));
    unlink(fifo);
    /* the trust rule (review item 11): a symbolic link in the key's place
       is refused, whatever it points to */
    p = tmpfile_with("k.pem", buf, len, 0644);
    snprintf(fifo, sizeof(fifo), "%s/link.pem", tmpdir);
    assert_int_equal(symlink("k.pem", fifo), 0);
    pjwt_keyset_free(load(fifo, PJWT_KEYS_CHECK_WRITE, PJWT_ERR_PERM, &e));
    assert_non_null(strstr(e.msg, "is a symbolic link"));
    pjwt_keyset_free(load(fifo, 0, 0, &e));
    unlink(fifo);
}

/* A key file is PEM and nothing else (review item 11): the key line
   quoted in a log file, or a key followed by anything, is no key file. */
static void
test_pem_strict(void **state)
{
    size_t len;
    char buf[4096], doc[8300];
    FILE *f = fopen(fixture("ec256.pub.pem"), "r");
    const char *p;
    pjwt_err e;

    (void)state;
    assert_non_null(f);
    len = fread(buf, 1, sizeof(buf) - 1, f);
    buf[len] = '\0';
    fclose(f);
    snprintf(doc, sizeof(doc), "Dec  4 10:00:01 web1 app[7]: login ok\n%s", buf);
    p = tmpfile_with("log.pem", doc, strlen(doc), 0644);
    pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_WRITE, PJWT_ERR_KEY, &e));
    assert_non_null(strstr(e.msg, "text outside the BEGIN/END blocks at line 1"));
    assert_null(strstr(e.msg, "web1"));
    snprintf(doc, sizeof(doc), "%sjunk\n", buf);
    p = tmpfile_with("junk.pem", doc, strlen(doc), 0644);
    pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_WRITE, PJWT_ERR_KEY, &e));
    snprintf(doc, sizeof(doc), "\n%s\n\n%s \n", buf, buf);
    p = tmpfile_with("two.pem", doc, strlen(doc), 0644);
    pjwt_keyset_free(load(p, PJWT_KEYS_CHECK_WRITE, 0, &e));
}

static void
test_size_cap(void **state)
{
    size_t n = PJWT_KEYS_MAX_FILE + 1;
    char *big = malloc(n);
    const char *p;
    pjwt_err e;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', n);
    big[n - 2] = '{';
    big[n - 1] = '}';
    p = tmpfile_with("big.json", big, n, 0644);
    pjwt_keyset_free(load(p, 0, PJWT_ERR_TOO_LONG, &e));
    p = tmpfile_with("big.json", big + 1, n - 1, 0644);
    /* exactly the cap: read, then refused for holding no key */
    pjwt_keyset_free(load(p, 0, PJWT_ERR_KEY, &e));
    free(big);
}

static void
test_secret_file(void **state)
{
    static const char s32[] = "0123456789abcdef0123456789abcde\n";
    const char *p;
    const uint8_t *sec;
    size_t len;
    pjwt_err e;
    pjwt_keyset *ks = pjwt_keyset_new();

    (void)state;
    /* the key is exactly the bytes, trailing newline included */
    p = tmpfile_with("hmac.key", s32, 32, 0600);
    assert_int_equal(pjwt_keyset_load_secret_file(ks, p, PJWT_KEYS_CHECK_READ,
                                                  &e), 0);
    sec = pjwt_key_secret(pjwt_keyset_get(ks, 0), &len);
    assert_int_equal(len, 32);
    assert_memory_equal(sec, s32, 32);
    p = tmpfile_with("hmac.key", s32, 31, 0600);
    assert_int_equal(pjwt_keyset_load_secret_file(ks, p, 0, &e), PJWT_ERR_KEY);
    assert_non_null(strstr(e.msg, p));
    /* the secret never appears in messages */
    assert_null(strstr(e.msg, "0123456789"));
    p = tmpfile_with("hmac.key", s32, 32, 0640);
    assert_int_equal(pjwt_keyset_load_secret_file(ks, p, PJWT_KEYS_CHECK_READ,
                                                  &e), PJWT_ERR_PERM);
    assert_int_equal(pjwt_keyset_load_secret_file(ks, fixture("nope"), 0, &e),
                     PJWT_ERR_IO);
    assert_int_equal(pjwt_keyset_count(ks), 1);
    assert_non_null(pjwt_keyset_next(ks, PJWT_ALG_HS256, &(size_t){ 0 }, &e));
    assert_null(pjwt_keyset_next(ks, PJWT_ALG_HS512, &(size_t){ 0 }, &e));
    pjwt_keyset_free(ks);
}

static void
test_to_jwks(void **state)
{
    pjwt_err e;
    pjwt_keyset *ks = load(fixture("jwks-private.json"), PJWT_KEYS_PRIVATE,
                           0, &e);
    json_t *jwks, *keys, *k;
    size_t i;

    (void)state;
    assert_int_equal(pjwt_keyset_load_file(ks, fixture("oct32.jwk"), 0, &e), 0);
    assert_int_equal(pjwt_keyset_load_file(ks, fixture("rsa2048.pem"),
                                           PJWT_KEYS_PRIVATE, &e), 0);
    jwks = pjwt_keyset_to_jwks(ks, &e);
    assert_non_null(jwks);
    keys = json_object_get(jwks, "keys");
    /* oct keys are never published */
    assert_int_equal(json_array_size(keys), 3);
    json_array_foreach(keys, i, k) {
        assert_null(json_object_get(k, "d"));
        assert_null(json_object_get(k, "k"));
        assert_string_equal(json_string_value(json_object_get(k, "kid")),
                            pjwt_key_kid(pjwt_keyset_get(ks, i < 2 ? i : 3)));
    }
    json_decref(jwks);
    pjwt_keyset_free(ks);
    assert_int_equal(pjwt_keyset_add(NULL, NULL, &e), PJWT_ERR_ARG);
    assert_int_equal(pjwt_keyset_count(NULL), 0);
    pjwt_keyset_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwks),
        cmocka_unit_test(test_lazy_and_eager),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_pem_strict),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_to_jwks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
