/*
 * test_timefmt.c: times in messages: epoch, ISO 8601 UTC and the age, in
 * every unit and direction; values no calendar holds; bounded output.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "timefmt.h"

#define NOW ((time_t)1700000000)    /* 2023-11-14T22:13:20Z */

static const char *
fmt(double t, unsigned flags)
{
    static char out[PJWT_TIME_BUF];

    return pjwt_time_fmt(t, NOW, flags, out, sizeof(out));
}

static void
test_ages(void **state)
{
    (void)state;
    assert_string_equal(fmt(NOW, 0), "1700000000 (2023-11-14T22:13:20Z, now)");
    assert_string_equal(fmt(NOW - 100, 0),
                        "1699999900 (2023-11-14T22:11:40Z, 100 s ago)");
    assert_string_equal(fmt(NOW - 360, 0),
                        "1699999640 (2023-11-14T22:07:20Z, 6 min ago)");
    assert_string_equal(fmt(NOW + 7200, 0),
                        "1700007200 (2023-11-15T00:13:20Z, in 2 h)");
    assert_string_equal(fmt(NOW - 3 * 86400, 0),
                        "1699740800 (2023-11-11T22:13:20Z, 3 d ago)");
    assert_string_equal(fmt(NOW + 100.5, 0),
                        "1700000100.5 (2023-11-14T22:15:00Z, in 100 s)");
    assert_string_equal(fmt(NOW, PJWT_TIME_NO_AGE),
                        "1700000000 (2023-11-14T22:13:20Z)");
    assert_string_equal(fmt(NOW - 100, PJWT_TIME_ISO), "2023-11-14T22:11:40Z");
    /* no calendar date: the number, ISO or not */
    assert_string_equal(fmt(1e300, PJWT_TIME_ISO), "1e+300");
}

static void
test_out_of_range(void **state)
{
    char small[12];

    (void)state;
    /* No calendar date, only the number. */
    assert_string_equal(fmt(1e300, 0), "1e+300");
    assert_string_equal(fmt(-1e20, 0), "-1e+20");
    assert_string_equal(fmt(NAN, 0), "nan");
    /* The widest value written in full still fits the buffer. */
    assert_true(strlen(fmt(253402300799.0 - 0.123456789, 0)) <
                PJWT_TIME_BUF);
    assert_string_equal(fmt(253402300799.0, PJWT_TIME_NO_AGE),
                        "253402300799 (9999-12-31T23:59:59Z)");
    /* A small buffer is cut, never overrun. */
    assert_string_equal(pjwt_time_fmt(NOW, NOW, 0, small, sizeof(small)),
                        "1700000000 ");
}

/* What an administrator types for jwtctl revoke --before. */
static void
test_parse(void **state)
{
    static const char *const bad[] = {
        "", "-1", "12a", "1234567890123", "2026-11-28T12:36:13",
        "2026-11-28T12:36:13z", "2026-02-30", "2026-13-01", "1969-12-31",
        "2026-11-28T24:00Z", "2026-11-28T12:60Z", "2026-11-28T12:36:61Z",
        "2026-11-28T12:36:13Zx", "2026-11-28T12:36:13+0100", "26-11-28",
        "2026-11-28x", "2026-11-28T", "2026-11-28T1:00Z", " 1795893373",
        "1970-01-01T00:00+00:01", NULL,
    };
    static const struct { const char *s; int64_t t; } good[] = {
        { "1795893373", 1795893373 }, { "0", 0 },
        { "2026-11-28T12:36:13Z", 1795869373 },
        { "2026-11-28 12:36:13Z", 1795869373 },
        { "2026-11-28T13:36:13+01:00", 1795869373 },
        { "2026-11-28T07:06:13-05:30", 1795869373 },
        { "2026-11-28T12:36Z", 1795869360 }, { "2026-11-28", 1795824000 },
        { "2024-02-29", 1709164800 }, { "1970-01-01", 0 },
    };
    int64_t t = 42;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        t = 42;
        if (pjwt_time_parse(good[i].s, &t) != 0 || t != good[i].t)
            fail_msg("'%s': %lld, want %lld", good[i].s, (long long)t,
                     (long long)good[i].t);
    }
    for (i = 0; bad[i] != NULL; i++) {
        t = 42;
        if (pjwt_time_parse(bad[i], &t) != -1 || t != 42)
            fail_msg("'%s' accepted", bad[i]);
    }
    assert_int_equal(pjwt_time_parse(NULL, &t), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ages),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
