/*
 * test_revoke.c: the revocation list: syntax, fail-closed errors, and the
 * jti / sub / "sub X before EPOCH" rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "revoke.h"
#include "testdir.h"

static pjwt_revoked *
load(const char *text, int *rc, pjwt_err *e)
{
    pjwt_revoked *r = pjwt_revoked_new();

    assert_non_null(r);
    pjwt_err_clear(e);
    *rc = pjwt_revoked_load_buf(r, "rev", text, strlen(text), e);
    return r;
}

static int
check_as(const pjwt_revoked *r, const char *claims, const char *user_claim)
{
    json_error_t je;
    json_t *c = json_loads(claims, 0, &je);
    pjwt_err e;
    int rc;

    assert_non_null(c);
    pjwt_err_clear(&e);
    rc = pjwt_revoked_check(r, c, user_claim, &e);
    assert_int_equal(rc, e.code);
    json_decref(c);
    return rc;
}

static int
check(const pjwt_revoked *r, const char *claims)
{
    return check_as(r, claims, NULL);
}

static void
test_rules(void **state)
{
    pjwt_err e;
    int rc;
    pjwt_revoked *r;

    (void)state;
    r = load("# revoked tokens\n"
             "\n"
             "jti abc123\n"
             "  jti\tdef456  \n"
             "sub mallory\n"
             "sub bob before 1700000000\n"
             "sub carol before 100\n"
             "sub carol before 50\n"      /* the later cutoff stays */
             "sub dave before 100\n"
             "sub dave\n"                  /* full revocation wins */
             "sub dave before 200\n", &rc, &e);
    assert_int_equal(rc, 0);
    assert_int_equal(pjwt_revoked_count(r), 6);

    assert_int_equal(check(r, "{\"sub\":\"alice\",\"jti\":\"zzz\"}"), 0);
    assert_int_equal(check(r, "{\"sub\":\"alice\"}"), 0);
    assert_int_equal(check(r, "{}"), 0);
    assert_int_equal(check(r, "{\"sub\":\"alice\",\"jti\":\"abc123\"}"), PJWT_ERR_REVOKED);
    assert_int_equal(check(r, "{\"jti\":\"def456\"}"), PJWT_ERR_REVOKED);
    /* exact matches only */
    assert_int_equal(check(r, "{\"jti\":\"abc12\"}"), 0);
    assert_int_equal(check(r, "{\"jti\":\"abc1234\"}"), 0);
    assert_int_equal(check(r, "{\"sub\":\"mallor\"}"), 0);
    assert_int_equal(check(r, "{\"sub\":\"Mallory\"}"), 0);
    assert_int_equal(check(r, "{\"sub\":\"mallory\",\"iat\":9999999999}"),
                     PJWT_ERR_REVOKED);
    /* before EPOCH: iat < EPOCH revoked, iat >= EPOCH fine */
    assert_int_equal(check(r, "{\"sub\":\"bob\",\"iat\":1699999999}"), PJWT_ERR_REVOKED);
    assert_int_equal(check(r, "{\"sub\":\"bob\",\"iat\":1699999999.5}"), PJWT_ERR_REVOKED);
    assert_int_equal(check(r, "{\"sub\":\"bob\",\"iat\":1700000000}"), 0);
    assert_int_equal(check(r, "{\"sub\":\"bob\",\"iat\":1700000001}"), 0);
    assert_int_equal(check(r, "{\"sub\":\"bob\"}"), PJWT_ERR_REVOKED);
    assert_int_equal(check(r, "{\"sub\":\"bob\",\"iat\":\"1800000000\"}"),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(check(r, "{\"sub\":\"carol\",\"iat\":99}"), PJWT_ERR_REVOKED);
    assert_int_equal(check(r, "{\"sub\":\"carol\",\"iat\":100}"), 0);
    assert_int_equal(check(r, "{\"sub\":\"dave\",\"iat\":500}"), PJWT_ERR_REVOKED);
    /* wrong types fail closed */
    assert_int_equal(check(r, "{\"jti\":123}"), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(check(r, "{\"sub\":[\"mallory\"]}"), PJWT_ERR_CLAIM_TYPE);
    pjwt_revoked_free(r);
}

/* "sub NAME" follows user_claim: it names the user whatever claim maps the
   token to that user, and the literal sub still counts. */
static void
test_user_claim(void **state)
{
    pjwt_err e;
    int rc;
    pjwt_revoked *r;

    (void)state;
    r = load("sub alice\nsub u-7\nsub bob before 1700000000\n", &rc, &e);
    assert_int_equal(rc, 0);
    /* the mapped user name */
    assert_int_equal(check_as(r, "{\"sub\":\"u-1\",\"preferred_username\":\"alice\"}",
                              "preferred_username"), PJWT_ERR_REVOKED);
    assert_int_equal(check_as(r, "{\"sub\":\"u-2\",\"preferred_username\":\"bob\","
                              "\"iat\":1699999999}", "preferred_username"),
                     PJWT_ERR_REVOKED);
    assert_int_equal(check_as(r, "{\"sub\":\"u-2\",\"preferred_username\":\"bob\","
                              "\"iat\":1700000000}", "preferred_username"), 0);
    /* the literal sub, under any user_claim */
    assert_int_equal(check_as(r, "{\"sub\":\"u-7\",\"preferred_username\":\"carol\"}",
                              "preferred_username"), PJWT_ERR_REVOKED);
    assert_int_equal(check_as(r, "{\"sub\":\"u-8\",\"preferred_username\":\"carol\"}",
                              "preferred_username"), 0);
    /* without user_claim a non-sub claim means nothing */
    assert_int_equal(check(r, "{\"sub\":\"u-1\",\"preferred_username\":\"alice\"}"), 0);
    /* a user claim of the wrong type cannot be compared: fail closed */
    assert_int_equal(check_as(r, "{\"sub\":\"u-1\",\"uid\":[\"alice\"]}", "uid"),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(check_as(r, "{\"sub\":\"alice\"}", "sub"), PJWT_ERR_REVOKED);
    pjwt_revoked_free(r);
}

static void
test_embedded_nul(void **state)
{
    pjwt_err e;
    int rc;
    pjwt_revoked *r;
    json_t *c;

    (void)state;
    r = load("sub root\n", &rc, &e);
    assert_int_equal(rc, 0);
    /* "root\0x" is not "root": not revoked by the root line, and claims
       with a NUL never pass parsing anyway */
    c = json_object();
    json_object_set_new(c, "sub", json_stringn("root\0x", 6));
    assert_int_equal(pjwt_revoked_check(r, c, NULL, &e), 0);
    json_decref(c);
    pjwt_revoked_free(r);
}

static void
test_malformed(void **state)
{
    static const char *const bad[] = {
        "jti\n", "sub\n", "jti a b\n", "sub a before\n", "sub a before x\n",
        "sub a before -1\n", "sub a before 12x\n", "sub a after 5\n",
        "sub a before 5 6\n", "JTI a\n", "revoke a\n", "jti a # comment\n",
        "sub a before 99999999999999999999\n",
    };
    pjwt_err e;
    size_t i;
    int rc;
    pjwt_revoked *r;
    const char nul[] = "jti a\njti b\0c\n";

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = load(bad[i], &rc, &e);
        assert_int_equal(rc, PJWT_ERR_CONF);
        assert_non_null(strstr(e.msg, "rev:1:"));
        pjwt_revoked_free(r);
    }
    r = load("jti ok\n# fine\n\nbogus line\n", &rc, &e);
    assert_int_equal(rc, PJWT_ERR_CONF);
    assert_non_null(strstr(e.msg, "rev:4: "));
    pjwt_revoked_free(r);

    r = pjwt_revoked_new();
    assert_int_equal(pjwt_revoked_load_buf(r, "rev", nul, sizeof(nul) - 1, &e),
                     PJWT_ERR_CONF);
    assert_string_equal(e.msg, "rev:2: NUL byte");
    pjwt_revoked_free(r);

    r = load("jti a\r\nsub b\r\n", &rc, &e);
    assert_int_equal(rc, 0);
    assert_int_equal(check(r, "{\"jti\":\"a\"}"), PJWT_ERR_REVOKED);
    assert_int_equal(check(r, "{\"sub\":\"b\"}"), PJWT_ERR_REVOKED);
    pjwt_revoked_free(r);
}

static void
test_file(void **state)
{
    char *d = test_mkdtemp("pjwt-test-rev"), path[4200];
    const char text[] = "jti one\nsub two\n";
    pjwt_err e;
    pjwt_revoked *r;
    int fd;

    (void)state;
    assert_non_null(d);
    snprintf(path, sizeof(path), "%s/revoked", d);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
    close(fd);
    assert_int_equal(chmod(path, 0644), 0);
    r = pjwt_revoked_new();
    assert_int_equal(pjwt_revoked_load_file(r, path, &e), 0);
    assert_int_equal(pjwt_revoked_count(r), 2);
    assert_int_equal(check(r, "{\"sub\":\"two\"}"), PJWT_ERR_REVOKED);
    pjwt_revoked_free(r);

    /* writable by others: anyone could un-revoke */
    assert_int_equal(chmod(path, 0646), 0);
    r = pjwt_revoked_new();
    assert_int_equal(pjwt_revoked_load_file(r, path, &e), PJWT_ERR_PERM);
    pjwt_revoked_free(r);
    assert_int_equal(chmod(path, 0664), 0);
    r = pjwt_revoked_new();
    assert_int_equal(pjwt_revoked_load_file(r, path, &e), PJWT_ERR_PERM);
    pjwt_revoked_free(r);

    /* the trust rule: a directory above that others may write, or a
       symbolic link in its place, and anyone could un-revoke */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(chmod(d, 0777), 0);
    r = pjwt_revoked_new();
    assert_int_equal(pjwt_revoked_load_file(r, path, &e), PJWT_ERR_PERM);
    assert_non_null(strstr(e.msg, "directory"));
    pjwt_revoked_free(r);
    assert_int_equal(chmod(d, 0700), 0);
    {
        char ln[4300];

        snprintf(ln, sizeof(ln), "%s.link", path);
        assert_int_equal(symlink(path, ln), 0);
        r = pjwt_revoked_new();
        assert_int_equal(pjwt_revoked_load_file(r, ln, &e), PJWT_ERR_PERM);
        assert_non_null(strstr(e.msg, "symbolic link"));
        pjwt_revoked_free(r);
        unlink(ln);
    }

    unlink(path);
    r = pjwt_revoked_new();
    assert_int_equal(pjwt_revoked_load_file(r, path, &e), PJWT_ERR_IO);
    pjwt_revoked_free(r);
    pjwt_revoked_free(NULL);
    rmdir(d);
    free(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_user_claim),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
