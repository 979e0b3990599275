/* test_b64url.c: strict base64url, RFC 4648 section 10 vectors plus every
   non-strict form that must be refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "b64url.h"

static const struct { const char *raw, *enc; } rfc4648[] = {
    { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
    { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
};

static void
test_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        char enc[32];
        uint8_t dec[32];
        size_t n = 99, rl = strlen(rfc4648[i].raw);

        assert_int_equal(pjwt_b64url_enc_len(rl), strlen(rfc4648[i].enc));
        assert_int_equal(pjwt_b64url_encode(rfc4648[i].raw, rl, enc),
                         strlen(rfc4648[i].enc));
        assert_string_equal(enc, rfc4648[i].enc);
        assert_int_equal(pjwt_b64url_decode(rfc4648[i].enc,
                                            strlen(rfc4648[i].enc), dec,
                                            sizeof(dec), &n), 0);
        assert_int_equal(n, rl);
        assert_memory_equal(dec, rfc4648[i].raw, rl);
        assert_true(pjwt_b64url_dec_len(strlen(rfc4648[i].enc)) >= rl);
    }
}

/* The url alphabet: bytes that encode to '-' and '_'. */
static void
test_url_alphabet(void **state)
{
    const uint8_t raw[] = { 0xfb, 0xff, 0xbf };
    char enc[8];
    uint8_t dec[8];
    size_t n;

    (void)state;
    pjwt_b64url_encode(raw, sizeof(raw), enc);
    assert_string_equal(enc, "-_-_");
    assert_int_equal(pjwt_b64url_decode("-_-_", 4, dec, sizeof(dec), &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(dec, raw, 3);
}

static void
test_alloc_roundtrip(void **state)
{
    uint8_t buf[257], dec[400];
    char *s;
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof(buf); len++) {
        s = pjwt_b64url_encode_alloc(buf, len);
        assert_non_null(s);
        assert_int_equal(strlen(s), pjwt_b64url_enc_len(len));
        assert_int_equal(pjwt_b64url_decode(s, strlen(s), dec, sizeof(dec),
                                            &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(dec, buf, len);
        free(s);
    }
}

static void
expect_bad(const char *s)
{
    uint8_t dec[64];
    size_t n;

    assert_int_equal(pjwt_b64url_decode(s, strlen(s), dec, sizeof(dec), &n),
                     PJWT_ERR_B64);
    assert_int_equal(pjwt_b64url_valid(s, strlen(s)), 0);
}

static void
test_reject_padding(void **state)
{
    (void)state;
    expect_bad("Zg==");
    expect_bad("Zm8=");
    expect_bad("Zg=");
    expect_bad("====");
}

static void
test_reject_whitespace(void **state)
{
    (void)state;
    expect_bad("Zm9v YmFy");
    expect_bad("Zm9v\nYmFy");
    expect_bad("Zm9v\r\nYmFy");
    expect_bad(" Zm9v");
    expect_bad("Zm9v\t");
}

static void
test_reject_std_alphabet(void **state)
{
    (void)state;
    expect_bad("+/+/");
    expect_bad("ab+c");
    expect_bad("ab/c");
    expect_bad("a.bc");
}

/* "Zh" decodes to 'f' as well, but sets bits the encoder never sets. */
static void
test_reject_trailing_bits(void **state)
{
    (void)state;
    expect_bad("Zh");
    expect_bad("Zm9");
    expect_bad("Zm-");
    expect_bad("Zm_");
    expect_bad("Zm9vYh");
}

static void
test_reject_len_mod4_is_1(void **state)
{
    (void)state;
    expect_bad("Z");
    expect_bad("Zm9vY");
}

static void
test_reject_nul_and_high_bytes(void **state)
{
    uint8_t dec[8];
    size_t n;

    (void)state;
    assert_int_equal(pjwt_b64url_decode("Zm\0v", 4, dec, sizeof(dec), &n),
                     PJWT_ERR_B64);
    assert_int_equal(pjwt_b64url_decode("Zm\xc3\xa9", 4, dec, sizeof(dec),
                                        &n), PJWT_ERR_B64);
}

static void
test_small_output_buffer(void **state)
{
    uint8_t dec[2];
    size_t n;

    (void)state;
    assert_int_equal(pjwt_b64url_decode("Zm9v", 4, dec, sizeof(dec), &n),
                     PJWT_ERR_ARG);
}

static void
test_valid_empty_is_false(void **state)
{
    (void)state;
    assert_int_equal(pjwt_b64url_valid("", 0), 0);
    assert_int_equal(pjwt_b64url_valid("Zg", 2), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_url_alphabet),
        cmocka_unit_test(test_alloc_roundtrip),
        cmocka_unit_test(test_reject_padding),
        cmocka_unit_test(test_reject_whitespace),
        cmocka_unit_test(test_reject_std_alphabet),
        cmocka_unit_test(test_reject_trailing_bits),
        cmocka_unit_test(test_reject_len_mod4_is_1),
        cmocka_unit_test(test_reject_nul_and_high_bytes),
        cmocka_unit_test(test_small_output_buffer),
        cmocka_unit_test(test_valid_empty_is_false),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
