/* test_json.c: strict JSON reading: each rule has a case that must fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

static json_t *
parse(const char *s, pjwt_err *e)
{
    pjwt_err_clear(e);
    return pjwt_json_parse_object(s, strlen(s), 0, e);
}

static void
expect_json_err(const char *s)
{
    pjwt_err e;
    json_t *j = parse(s, &e);

    if (j)
        fail_msg("accepted: %s", s);
    assert_int_equal(e.code, PJWT_ERR_JSON);
}

static void
test_parse_ok(void **state)
{
    pjwt_err e;
    json_t *j = parse("{\"alg\":\"ES256\",\"a\":[1,{\"b\":null}],\"c\":1.5}", &e);

    (void)state;
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "alg")), "ES256");
    json_decref(j);
}

static void
test_reject_duplicates(void **state)
{
    (void)state;
    expect_json_err("{\"alg\":\"ES256\",\"alg\":\"none\"}");
    expect_json_err("{\"a\":{\"x\":1,\"x\":2}}");
}

/* Error messages name the problem, never the input's content. */
static void
test_messages_quote_nothing(void **state)
{
    pjwt_err e;

    (void)state;
    assert_null(parse("{\"sub\":\"hunter2secret\" \"x\"}", &e));
    assert_null(strstr(e.msg, "hunter2"));
    assert_null(parse("{\"hunter2secret\":1,\"hunter2secret\":2}", &e));
    assert_null(strstr(e.msg, "hunter2"));
    assert_non_null(strstr(e.msg, "duplicate member name"));
    assert_null(parse("{\"a\":\"x\\u0000\"}", &e));
    assert_non_null(strstr(e.msg, "u0000"));
}

static void
test_reject_not_object(void **state)
{
    (void)state;
    expect_json_err("[1,2]");
    expect_json_err("\"str\"");
    expect_json_err("42");
    expect_json_err("null");
    expect_json_err("");
}

/* The array form (the trust bundle): the same rules, an array on top. */
static void
test_parse_array(void **state)
{
    static const char *const bad[] = {
        "{}", "\"a\"", "[1] x", "[{\"a\":1,\"a\":2}]", "[\"\\u0000\"]", "",
    };
    pjwt_err e;
    json_t *j;
    size_t i;

    (void)state;
    j = pjwt_json_parse_array("[\"a\",{\"b\":1}]", 13, 0, &e);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 2);
    json_decref(j);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pjwt_err_clear(&e);
        assert_null(pjwt_json_parse_array(bad[i], strlen(bad[i]), 0, &e));
        assert_int_equal(e.code, PJWT_ERR_JSON);
    }
    assert_null(pjwt_json_parse_array("[1]", 3, 2, &e));
    assert_int_equal(e.code, PJWT_ERR_TOO_LONG);
}

static void
test_reject_trailing_garbage(void **state)
{
    (void)state;
    expect_json_err("{\"a\":1}x");
    expect_json_err("{\"a\":1}{\"b\":2}");
    expect_json_err("{\"a\":1,}");
}

/* jansson refuses "\u0000" unless JSON_ALLOW_NUL: check it really does. */
static void
test_reject_nul(void **state)
{
    pjwt_err e;
    static const char raw[] = "{\"sub\":\"root\0x\"}";

    (void)state;
    expect_json_err("{\"sub\":\"root\\u0000admin\"}");
    expect_json_err("{\"a\\u0000\":1}");
    pjwt_err_clear(&e);
    assert_null(pjwt_json_parse_object(raw, sizeof(raw) - 1, 0, &e));
    assert_int_equal(e.code, PJWT_ERR_JSON);
}

static void
test_reject_bad_utf8(void **state)
{
    (void)state;
    expect_json_err("{\"a\":\"\xc3\x28\"}");
    expect_json_err("{\"a\":\"\xed\xa0\x80\"}"); /* surrogate */
}

static void
test_depth_bound(void **state)
{
    char buf[256];
    pjwt_err e;
    json_t *j;
    size_t n = 0;

    (void)state;
    /* depth exactly PJWT_JSON_MAX_DEPTH: ok */
    for (int i = 0; i < PJWT_JSON_MAX_DEPTH; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"a\":");
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1");
    for (int i = 0; i < PJWT_JSON_MAX_DEPTH; i++)
        buf[n++] = '}';
    buf[n] = '\0';
    j = parse(buf, &e);
    assert_non_null(j);
    json_decref(j);

    /* one deeper (arrays count too): refused */
    n = (size_t)snprintf(buf, sizeof(buf), "{\"a\":");
    for (int i = 0; i < PJWT_JSON_MAX_DEPTH; i++)
        buf[n++] = '[';
    for (int i = 0; i < PJWT_JSON_MAX_DEPTH; i++)
        buf[n++] = ']';
    buf[n++] = '}';
    buf[n] = '\0';
    expect_json_err(buf);
}

static void
test_depth_huge(void **state)
{
    size_t n = 100000;
    char *buf = malloc(2 * n + 16);
    pjwt_err e;
    size_t o = 0;

    (void)state;
    assert_non_null(buf);
    o += (size_t)sprintf(buf, "{\"a\":");
    memset(buf + o, '[', n);
    o += n;
    memset(buf + o, ']', n);
    o += n;
    buf[o++] = '}';
    pjwt_err_clear(&e);
    assert_null(pjwt_json_parse_object(buf, o, 4 * n, &e));
    assert_int_equal(e.code, PJWT_ERR_JSON);
    free(buf);
}

static void
test_size_bound(void **state)
{
    const char *s = "{\"a\":\"0123456789\"}";
    pjwt_err e;
    json_t *j;

    (void)state;
    pjwt_err_clear(&e);
    assert_null(pjwt_json_parse_object(s, strlen(s), strlen(s) - 1, &e));
    assert_int_equal(e.code, PJWT_ERR_TOO_LONG);
    j = pjwt_json_parse_object(s, strlen(s), strlen(s), &e);
    assert_non_null(j);
    json_decref(j);

    /* default bound */
    {
        size_t n = PJWT_JSON_MAX_SIZE + 1;
        char *big = malloc(n);

        assert_non_null(big);
        memset(big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        pjwt_err_clear(&e);
        assert_null(pjwt_json_parse_object(big, n, 0, &e));
        assert_int_equal(e.code, PJWT_ERR_TOO_LONG);
        free(big);
    }
}

static void
test_get_date(void **state)
{
    pjwt_err e;
    json_t *j = parse("{\"i\":1700000000,\"f\":1700000000.5,\"s\":\"1700000000\","
                      "\"neg\":-1,\"big\":9007199254740992,"
                      "\"big2\":1e300,\"b\":true,\"n\":null,\"o\":{}}", &e);
    double d = 0;

    (void)state;
    assert_non_null(j);
    assert_int_equal(pjwt_json_get_date(j, "i", &d, &e), 0);
    assert_true(d == 1700000000.0);
    assert_int_equal(pjwt_json_get_date(j, "f", &d, &e), 0);
    assert_true(d == 1700000000.5);
    assert_int_equal(pjwt_json_get_date(j, "s", &d, &e), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(pjwt_json_get_date(j, "neg", &d, &e), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(pjwt_json_get_date(j, "big", &d, &e), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(pjwt_json_get_date(j, "big2", &d, &e), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(pjwt_json_get_date(j, "b", &d, &e), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(pjwt_json_get_date(j, "n", &d, &e), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(pjwt_json_get_date(j, "o", &d, &e), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(pjwt_json_get_date(j, "absent", &d, &e), PJWT_ERR_MISSING);
    json_decref(j);
}

/* Numbers beyond a double's range are refused by the parser itself. */
static void
test_reject_non_finite(void **state)
{
    (void)state;
    expect_json_err("{\"exp\":1e400}");
    expect_json_err("{\"exp\":NaN}");
    expect_json_err("{\"exp\":Infinity}");
    expect_json_err("{\"exp\":-Infinity}");
    expect_json_err("{\"exp\":99999999999999999999999}");
}

static void
test_get_string(void **state)
{
    pjwt_err e;
    json_t *j = parse("{\"s\":\"root\",\"n\":5}", &e);
    const char *s = NULL;
    size_t len = 0;

    (void)state;
    assert_non_null(j);
    assert_int_equal(pjwt_json_get_string(j, "s", &s, &len, &e), 0);
    assert_string_equal(s, "root");
    assert_int_equal(len, 4);
    assert_int_equal(pjwt_json_get_string(j, "n", &s, &len, &e),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(pjwt_json_get_string(j, "x", &s, &len, &e),
                     PJWT_ERR_MISSING);
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_array),
        cmocka_unit_test(test_reject_duplicates),
        cmocka_unit_test(test_messages_quote_nothing),
        cmocka_unit_test(test_reject_not_object),
        cmocka_unit_test(test_reject_trailing_garbage),
        cmocka_unit_test(test_reject_nul),
        cmocka_unit_test(test_reject_bad_utf8),
        cmocka_unit_test(test_depth_bound),
        cmocka_unit_test(test_depth_huge),
        cmocka_unit_test(test_size_bound),
        cmocka_unit_test(test_get_date),
        cmocka_unit_test(test_reject_non_finite),
        cmocka_unit_test(test_get_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
