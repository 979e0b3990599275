/*
 * test_conf.c: the `key = value` parser for files and PAM arguments, and
 * the number/boolean helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "conf.h"
#include "testdir.h"

/* What the test handler saw, as "key=value;" or "flag;" entries. */
struct seen {
    char log[8192];
    int calls;
};

static int
set_fn(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    struct seen *s = ctx;
    size_t n = strlen(s->log);

    s->calls++;
    if (strcmp(key, "bad") == 0)
        return pjwt_err_set(err, PJWT_ERR_CONF, "set", "bad value '%s'",
                            value ? value : "");
    if (strcmp(key, "io") == 0)
        return pjwt_err_set(err, PJWT_ERR_IO, "set", "cannot read it");
    if (strncmp(key, "k", 1) != 0 && strcmp(key, "debug") != 0 &&
        strcmp(key, "leeway") != 0)
        return PJWT_ERR_UNKNOWN_OPT;
    snprintf(s->log + n, sizeof(s->log) - n, value ? "%s=%s;" : "%s;", key,
             value ? value : "");
    return 0;
}

static int
parse(const char *text, struct seen *s, pjwt_err *e)
{
    memset(s, 0, sizeof(*s));
    pjwt_err_clear(e);
    return pjwt_conf_parse_buf("t.conf", text, strlen(text), set_fn, s, e);
}

static void
test_basic(void **state)
{
    struct seen s;
    pjwt_err e;

    (void)state;
    assert_int_equal(parse("# comment\n"
                           "\n"
                           "   \t\n"
                           "key = value\n"
                           "k2=v2\n"
                           "  k3\t=\t spaced value  \n"
                           "   # indented comment\n"
                           "debug\n"
                           "k4 =\n"
                           "k5 = a = b # not a comment\n"
                           "k6 = last line without newline", &s, &e), 0);
    assert_string_equal(s.log, "key=value;k2=v2;k3=spaced value;debug;k4=;"
                               "k5=a = b # not a comment;k6=last line without newline;");
    assert_int_equal(s.calls, 7);
}

static void
test_crlf_and_empty(void **state)
{
    struct seen s;
    pjwt_err e;

    (void)state;
    assert_int_equal(parse("key = v\r\ndebug\r\n", &s, &e), 0);
    assert_string_equal(s.log, "key=v;debug;");
    assert_int_equal(parse("", &s, &e), 0);
    assert_int_equal(s.calls, 0);
    assert_int_equal(pjwt_conf_parse_buf("x", NULL, 0, set_fn, &s, &e), 0);
}

static void
test_unknown_key(void **state)
{
    struct seen s;
    pjwt_err e;

    (void)state;
    assert_int_equal(parse("key = 1\n# c\nnope = 2\nk = 3\n", &s, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "t.conf:3: unknown option");
    assert_int_equal(e.code, PJWT_ERR_CONF);
    /* stops at the error */
    assert_string_equal(s.log, "key=1;");
    assert_int_equal(parse("nope\n", &s, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "t.conf:1: unknown option");
}

static void
test_long_name(void **state)
{
    struct seen s;
    pjwt_err e;
    char name[300];
    const char *text = "key = 1\nnope = 2\n";

    (void)state;
    memset(name, 'd', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    memcpy(name + sizeof(name) - 8, "/x.conf", 7);
    memset(&s, 0, sizeof(s));
    assert_int_equal(pjwt_conf_parse_buf(name, text, strlen(text), set_fn, &s, &e),
                     PJWT_ERR_CONF);
    /* the line number survives a long path */
    assert_non_null(strstr(e.msg, "d/x.conf:2: unknown option"));
    assert_true(strncmp(e.msg, "...", 3) == 0);
}

static void
test_handler_errors(void **state)
{
    struct seen s;
    pjwt_err e;

    (void)state;
    assert_int_equal(parse("\n\nbad = x\n", &s, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "t.conf:3: bad value 'x'");
    /* the handler's own code is kept */
    assert_int_equal(parse("io = /x\n", &s, &e), PJWT_ERR_IO);
    assert_string_equal(e.msg, "t.conf:1: cannot read it");
}

static void
test_bad_syntax(void **state)
{
    struct seen s;
    pjwt_err e;

    (void)state;
    assert_int_equal(parse("Key = v\n", &s, &e), PJWT_ERR_CONF);
    assert_non_null(strstr(e.msg, "t.conf:1: bad option name"));
    assert_int_equal(parse("k-x = v\n", &s, &e), PJWT_ERR_CONF);
    assert_int_equal(parse("= v\n", &s, &e), PJWT_ERR_CONF);
    assert_int_equal(parse("key value\n", &s, &e), PJWT_ERR_CONF);
    assert_non_null(strstr(e.msg, "t.conf:1: expected 'key = value'"));
    assert_int_equal(parse("debug now\n", &s, &e), PJWT_ERR_CONF);
    assert_int_equal(parse("k\xc3\xa9y = v\n", &s, &e), PJWT_ERR_CONF);
    assert_int_equal(s.calls, 0);
}

/* Whatever a file holds, a message names the place, never the content:
   not an unknown name, not a line that is no option at all. */
static void
test_never_quotes(void **state)
{
    static const char *const bad[] = {
        "root:$y$j9T$SeCrEt:19000:0:99999:7:::\n",
        "SeCrEt\n",
        "SeCrEt value\n",
        "secret_name = 1\n",
        "k1 = 1\nwhat SeCrEt\n",
    };
    struct seen s;
    pjwt_err e;
    char args0[] = "SeCrEt!";
    const char *argv[] = { args0 };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], &s, &e), PJWT_ERR_CONF);
        assert_null(strstr(e.msg, "SeCrEt"));
        assert_null(strstr(e.msg, "secret"));
        assert_null(strstr(e.msg, "root"));
        assert_non_null(strstr(e.msg, "t.conf:"));
    }
    memset(&s, 0, sizeof(s));
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_conf_parse_args(1, argv, set_fn, &s, &e),
                     PJWT_ERR_CONF);
    assert_null(strstr(e.msg, "SeCrEt"));
}

static void
test_nul_and_long(void **state)
{
    struct seen s;
    pjwt_err e;
    static char big[5000];
    const char withnul[] = "key = a\nk2 = b\0c\n";

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(pjwt_conf_parse_buf("n.conf", withnul, sizeof(withnul) - 1,
                                         set_fn, &s, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "n.conf:2: NUL byte");
    assert_string_equal(s.log, "key=a;");

    /* exactly 4096 bytes is allowed, 4097 is not */
    memset(big, 'x', sizeof(big));
    memcpy(big, "key = ", 6);
    big[4096] = '\0';
    assert_int_equal(parse(big, &s, &e), 0);
    assert_int_equal(strlen(s.log), 4096 + 1 - 2);   /* "key=xxx;" */
    memset(big, 'x', sizeof(big));
    memcpy(big, "# a comment, long\nkey = ", 24);
    big[18 + 4097] = '\0';
    assert_int_equal(parse(big, &s, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "t.conf:2: line longer than 4096 bytes");
    assert_int_equal(s.calls, 0);
}

static void
test_file(void **state)
{
    char *d = test_mkdtemp("pjwt-test-conf"), path[4200];
    struct seen s;
    pjwt_err e;
    int fd;
    const char text[] = "# x\nkey = from file\nwhat = 1\n";
    char *big;

    (void)state;
    assert_non_null(d);
    snprintf(path, sizeof(path), "%s/conf", d);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
    close(fd);
    memset(&s, 0, sizeof(s));
    assert_int_equal(pjwt_conf_parse_file(path, set_fn, &s, &e), PJWT_ERR_CONF);
    assert_string_equal(s.log, "key=from file;");
    {
        char want[4300];
        snprintf(want, sizeof(want), "%s:3: unknown option", path);
        assert_string_equal(e.msg, want);
    }
    /* over 1 MiB */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    big = malloc(1024 * 1024 + 1);
    assert_non_null(big);
    memset(big, '#', 1024 * 1024 + 1);
    assert_int_equal(write(fd, big, 1024 * 1024 + 1), 1024 * 1024 + 1);
    close(fd);
    free(big);
    assert_int_equal(pjwt_conf_parse_file(path, set_fn, &s, &e), PJWT_ERR_CONF);
    unlink(path);
    /* missing file and a directory */
    assert_int_equal(pjwt_conf_parse_file(path, set_fn, &s, &e), PJWT_ERR_IO);
    assert_non_null(strstr(e.msg, path));
    assert_int_equal(pjwt_conf_parse_file("/tmp", set_fn, &s, &e), PJWT_ERR_IO);
    /* A configuration is trusted input: the trust rule of fileio.h
       (review item 25 for the daemon's file). */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "key = v\n", 8), 8);
    close(fd);
    assert_int_equal(pjwt_conf_parse_file(path, set_fn, &s, &e), 0);
    assert_int_equal(chmod(path, 0664), 0);
    assert_int_equal(pjwt_conf_parse_file(path, set_fn, &s, &e), PJWT_ERR_PERM);
    assert_non_null(strstr(e.msg, "writable by group"));
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(chmod(d, 0757), 0);
    assert_int_equal(pjwt_conf_parse_file(path, set_fn, &s, &e), PJWT_ERR_PERM);
    assert_non_null(strstr(e.msg, "directory"));
    assert_int_equal(chmod(d, 0700), 0);
    unlink(path);
    rmdir(d);
    free(d);
}

static void
test_args(void **state)
{
    struct seen s;
    pjwt_err e;
    const char *ok[] = { "key=v", "debug", "k2=a=b", "k3=", "k4=with space" };
    const char *unk[] = { "key=v", "nope=1" };
    const char *bad[] = { "=v" };
    const char *bad2[] = { "Key=v" };
    const char *bad3[] = { "" };
    const char *err1[] = { "debug", "bad=zz" };
    static char longarg[5000];
    const char *lng[] = { longarg };

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(pjwt_conf_parse_args(5, ok, set_fn, &s, &e), 0);
    assert_string_equal(s.log, "key=v;debug;k2=a=b;k3=;k4=with space;");
    memset(&s, 0, sizeof(s));
    assert_int_equal(pjwt_conf_parse_args(2, unk, set_fn, &s, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "argument 2: unknown option");
    assert_int_equal(pjwt_conf_parse_args(1, bad, set_fn, &s, &e), PJWT_ERR_CONF);
    assert_non_null(strstr(e.msg, "argument 1: bad option name"));
    assert_int_equal(pjwt_conf_parse_args(1, bad2, set_fn, &s, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_parse_args(1, bad3, set_fn, &s, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_parse_args(2, err1, set_fn, &s, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "argument 2: bad value 'zz'");
    memset(longarg, 'x', sizeof(longarg) - 1);
    memcpy(longarg, "key=", 4);
    assert_int_equal(pjwt_conf_parse_args(1, lng, set_fn, &s, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_parse_args(0, NULL, set_fn, &s, &e), 0);
    assert_int_equal(pjwt_conf_parse_args(-1, NULL, set_fn, &s, &e), PJWT_ERR_ARG);
}

/* A set function that parses another file, like `config=FILE`. */
struct nest {
    const char *inner;
    struct seen s;
};

static int
nest_set(void *ctx, const char *key, const char *value, pjwt_err *err)
{
    struct nest *n = ctx;

    if (strcmp(key, "config") == 0)
        return pjwt_conf_parse_buf(value, n->inner, strlen(n->inner), set_fn,
                                   &n->s, err);
    return set_fn(&n->s, key, value, err);
}

static void
test_nested_unknown(void **state)
{
    struct nest n;
    pjwt_err e;
    const char *argv[] = { "config=inner.conf" };

    (void)state;
    memset(&n, 0, sizeof(n));
    n.inner = "key = 1\nzzz = 2\n";
    assert_int_equal(pjwt_conf_parse_args(1, argv, nest_set, &n, &e), PJWT_ERR_CONF);
    /* the unknown key is the inner one, not "config" */
    assert_string_equal(e.msg, "argument 1: inner.conf:2: unknown option");
}

static void
test_long_helper(void **state)
{
    pjwt_err e;
    long v = 7;

    (void)state;
    assert_int_equal(pjwt_conf_long("leeway", "60", 0, 3600, &v, &e), 0);
    assert_int_equal(v, 60);
    assert_int_equal(pjwt_conf_long("leeway", "0", 0, 3600, &v, &e), 0);
    assert_int_equal(v, 0);
    assert_int_equal(pjwt_conf_long("leeway", "3600", 0, 3600, &v, &e), 0);
    assert_int_equal(pjwt_conf_long("n", "-5", -10, 10, &v, &e), 0);
    assert_int_equal(v, -5);
    v = 7;
    assert_int_equal(pjwt_conf_long("leeway", "3601", 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "leeway: out of range [0, 3600]");
    assert_int_equal(pjwt_conf_long("leeway", "-1", 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_long("leeway", "12x", 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "leeway: not a number");
    assert_int_equal(pjwt_conf_long("leeway", "", 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_long("leeway", NULL, 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_long("leeway", " 5", 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_long("leeway", "+5", 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_long("leeway", "0x10", 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_long("leeway", "5 ", 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_long("leeway", "1.5", 0, 3600, &v, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_long("x", "99999999999999999999999", 0, 3600, &v, &e),
                     PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_long("x", "-99999999999999999999999", LONG_MIN,
                                    LONG_MAX, &v, &e), PJWT_ERR_CONF);
    assert_int_equal(v, 7);     /* untouched on error */
}

static void
test_bool_helper(void **state)
{
    pjwt_err e;
    int b = -1;

    (void)state;
    assert_int_equal(pjwt_conf_bool("x", NULL, &b, &e), 0);
    assert_int_equal(b, 1);
    assert_int_equal(pjwt_conf_bool("x", "no", &b, &e), 0);
    assert_int_equal(b, 0);
    assert_int_equal(pjwt_conf_bool("x", "true", &b, &e), 0);
    assert_int_equal(b, 1);
    assert_int_equal(pjwt_conf_bool("x", "0", &b, &e), 0);
    assert_int_equal(b, 0);
    assert_int_equal(pjwt_conf_bool("x", "YES", &b, &e), 0);
    assert_int_equal(b, 1);
    assert_int_equal(pjwt_conf_bool("x", "", &b, &e), PJWT_ERR_CONF);
    assert_int_equal(pjwt_conf_bool("x", "maybe", &b, &e), PJWT_ERR_CONF);
    assert_string_equal(e.msg, "x: expected yes or no");
    assert_int_equal(pjwt_conf_bool("x", "2", &b, &e), PJWT_ERR_CONF);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_crlf_and_empty),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_handler_errors),
        cmocka_unit_test(test_long_name),
        cmocka_unit_test(test_bad_syntax),
        cmocka_unit_test(test_never_quotes),
        cmocka_unit_test(test_nul_and_long),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_nested_unknown),
        cmocka_unit_test(test_long_helper),
        cmocka_unit_test(test_bool_helper),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
