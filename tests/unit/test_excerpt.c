/*
 * test_excerpt.c: the one log-safe excerpt: the module's quoted field
 * format, the escaped text for messages, the fail2ban word, the bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "excerpt.h"

#define X(s, max, flags) pjwt_excerpt((s), PJWT_EXCERPT_CSTR, (max), (flags), \
                                      buf, sizeof(buf))

static void
test_quoted_field(void **state)
{
    char buf[PJWT_EXCERPT_BUF(64)];

    (void)state;
    assert_string_equal(X("alice", 64, PJWT_EXCERPT_QUOTE), "\"alice\"");
    assert_string_equal(X("k\" rhost=\"1\\\x01\x7f", 64, PJWT_EXCERPT_QUOTE),
                        "\"k\\\" rhost=\\\"1\\\\\\x01\\x7f\"");
    assert_string_equal(X(NULL, 64, PJWT_EXCERPT_QUOTE), "-");
    assert_string_equal(X("", 64, PJWT_EXCERPT_QUOTE), "-");
    assert_string_equal(X("abcdef", 3, PJWT_EXCERPT_QUOTE), "\"abc...\"");
}

static void
test_escaped_text(void **state)
{
    char buf[PJWT_EXCERPT_BUF(48)];

    (void)state;
    assert_string_equal(X("a\"b", 48, 0), "a\\\"b");
    assert_string_equal(X("", 48, 0), "");
    /* a length, so a NUL inside a claim shows */
    assert_string_equal(pjwt_excerpt("ro\0ot", 5, 48, 0, buf, sizeof(buf)),
                        "ro\\x00ot");
}

static void
test_word(void **state)
{
    char buf[PJWT_EXCERPT_BUF(79)];

    (void)state;
    assert_string_equal(X("al\"ice x=1\\", 79, PJWT_EXCERPT_WORD), "al?ice?x?1?");
    assert_string_equal(X(NULL, 79, PJWT_EXCERPT_WORD), "-");
}

/* Whatever the input, the result fits the buffer it was given. */
static void
test_bounded(void **state)
{
    char in[600], buf[PJWT_EXCERPT_BUF(16)], small[12];

    (void)state;
    memset(in, 0x01, sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    assert_int_equal(strlen(X(in, 16, PJWT_EXCERPT_QUOTE)), 2 + 16 * 4 + 3);
    pjwt_excerpt(in, PJWT_EXCERPT_CSTR, 500, PJWT_EXCERPT_QUOTE, small,
                 sizeof(small));
    assert_true(strlen(small) < sizeof(small));
    assert_non_null(strstr(small, "..."));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoted_field),
        cmocka_unit_test(test_escaped_text),
        cmocka_unit_test(test_word),
        cmocka_unit_test(test_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
