/*
 * test_claims.c: the claims policy, boundary by boundary.  Time is fixed
 * (NOW), so every "off by one second" case is exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "claims.h"

#define NOW 1700000000L
#define ISS "https://issuer.example"
#define AUD "host1"

/* Parse a JSON text built with printf-style arguments. */
static json_t *
J(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
J(const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    json_error_t je;
    json_t *j;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    j = json_loads(buf, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        fail_msg("bad test JSON %s: %s", buf, je.text);
    return j;
}

static void
base_policy(pjwt_policy *p)
{
    pjwt_policy_init(p);
    p->issuer = ISS;
    p->audience = AUD;
    p->expected_user = "alice";
    p->max_lifetime = 3600;
}

/* Check claims (JSON text) with policy p; return the code, check msg. */
static int
run(const pjwt_policy *p, json_t *c)
{
    pjwt_err e;
    int rc;

    pjwt_err_clear(&e);
    rc = pjwt_claims_check(c, p, NOW, &e);
    assert_int_equal(e.code, rc);
    if (rc != 0)
        assert_true(e.msg[0] != '\0');
    json_decref(c);
    return rc;
}

#define GOOD "\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"alice\""

static void
test_defaults(void **state)
{
    pjwt_policy p;

    (void)state;
    memset(&p, 0x5a, sizeof(p));
    pjwt_policy_init(&p);
    assert_int_equal(p.leeway, 60);
    assert_int_equal(p.max_lifetime, 0);
    assert_int_equal(p.exp_optional, 0);
    assert_null(p.issuer);
    assert_null(p.audience);
    assert_null(p.user_claim);
    assert_null(p.expected_user);
    assert_null(p.report);
    assert_int_equal(p.n_required, 0);
}

static void
test_good(void **state)
{
    pjwt_policy p;

    (void)state;
    base_policy(&p);
    assert_int_equal(run(&p, J("{" GOOD ",\"iat\":%ld,\"nbf\":%ld,\"exp\":%ld}",
                               NOW, NOW, NOW + 300)), 0);
}

static void
test_exp(void **state)
{
    pjwt_policy p;

    (void)state;
    base_policy(&p);
    /* valid while now - leeway < exp */
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld}", NOW - 59)), 0);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld}", NOW - 60)), PJWT_ERR_EXP);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld}", NOW - 61)), PJWT_ERR_EXP);
    /* fractional NumericDates count */
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld.5}", NOW - 60)), 0);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld.5}", NOW - 61)), PJWT_ERR_EXP);
    p.leeway = 0;
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld}", NOW)), PJWT_ERR_EXP);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld}", NOW + 1)), 0);
}

static void
test_messages(void **state)
{
    pjwt_policy p;
    pjwt_err e;
    json_t *c;

    (void)state;
    base_policy(&p);
    c = J("{" GOOD ",\"exp\":%ld}", NOW - 100);
    assert_int_equal(pjwt_claims_check(c, &p, NOW, &e), PJWT_ERR_EXP);
    assert_string_equal(e.msg, "expired: exp 1699999900 (2023-11-14T22:11:40Z, "
                        "100 s ago), now 1700000000 (2023-11-14T22:13:20Z), "
                        "leeway 60");
    json_decref(c);
    c = J("{" GOOD ",\"exp\":%ld,\"nbf\":%ld.5}", NOW + 100, NOW + 100);
    assert_int_equal(pjwt_claims_check(c, &p, NOW, &e), PJWT_ERR_NBF);
    assert_string_equal(e.msg, "not yet valid: nbf 1700000100.5 "
                        "(2023-11-14T22:15:00Z, in 100 s), now 1700000000 "
                        "(2023-11-14T22:13:20Z), leeway 60");
    json_decref(c);
    c = J("{" GOOD ",\"exp\":%ld,\"iat\":%ld}", NOW + 5000, NOW);
    assert_int_equal(pjwt_claims_check(c, &p, NOW, &e), PJWT_ERR_LIFETIME);
    assert_string_equal(e.msg, "lifetime too long: exp - iat = 5000 s, max 3600");
    json_decref(c);
    c = J("{\"iss\":\"" ISS "\",\"aud\":[\"a\",\"b\"],\"exp\":%ld}", NOW + 60);
    assert_int_equal(pjwt_claims_check(c, &p, NOW, &e), PJWT_ERR_AUD);
    assert_string_equal(e.msg, "aud array (2) does not contain \"host1\"");
    json_decref(c);
}

static void
test_exp_missing_and_types(void **state)
{
    pjwt_policy p;

    (void)state;
    base_policy(&p);
    p.max_lifetime = 0;
    assert_int_equal(run(&p, J("{" GOOD "}")), PJWT_ERR_EXP);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":null}")), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":\"%ld\"}", NOW + 100)),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":true}")), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":[%ld]}", NOW + 100)),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":-1}")), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":1e300}")), PJWT_ERR_CLAIM_TYPE);
    p.exp_optional = 1;
    assert_int_equal(run(&p, J("{" GOOD "}")), 0);
    /* optional exp still has to be well-formed and unexpired */
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":\"x\"}")), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld}", NOW - 100)), PJWT_ERR_EXP);
    /* a max lifetime needs an exp to bound */
    p.max_lifetime = 3600;
    assert_int_equal(run(&p, J("{" GOOD "}")), PJWT_ERR_LIFETIME);
}

static void
test_nbf(void **state)
{
    pjwt_policy p;

    (void)state;
    base_policy(&p);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"nbf\":%ld}", NOW + 300,
                               NOW + 60)), 0);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"nbf\":%ld}", NOW + 300,
                               NOW + 61)), PJWT_ERR_NBF);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"nbf\":%ld.25}", NOW + 300,
                               NOW + 60)), PJWT_ERR_NBF);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"nbf\":\"%ld\"}", NOW + 300,
                               NOW)), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"nbf\":{}}", NOW + 300)),
                     PJWT_ERR_CLAIM_TYPE);
}

static void
test_iat(void **state)
{
    pjwt_policy p;

    (void)state;
    base_policy(&p);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"iat\":%ld}", NOW + 300,
                               NOW + 60)), 0);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"iat\":%ld}", NOW + 300,
                               NOW + 61)), PJWT_ERR_IAT);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"iat\":%ld.001}", NOW + 300,
                               NOW + 60)), PJWT_ERR_IAT);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"iat\":\"now\"}", NOW + 300)),
                     PJWT_ERR_CLAIM_TYPE);
}

static void
test_lifetime(void **state)
{
    pjwt_policy p;

    (void)state;
    base_policy(&p);
    assert_int_equal(run(&p, J("{" GOOD ",\"iat\":%ld,\"exp\":%ld}", NOW - 10,
                               NOW - 10 + 3600)), 0);
    assert_int_equal(run(&p, J("{" GOOD ",\"iat\":%ld,\"exp\":%ld}", NOW - 10,
                               NOW - 10 + 3601)), PJWT_ERR_LIFETIME);
    assert_int_equal(run(&p, J("{" GOOD ",\"iat\":%ld,\"exp\":%ld.5}", NOW,
                               NOW + 3600)), PJWT_ERR_LIFETIME);
    /* without iat: exp - now */
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld}", NOW + 3600)), 0);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld}", NOW + 3601)),
                     PJWT_ERR_LIFETIME);
    /* unlimited */
    p.max_lifetime = 0;
    assert_int_equal(run(&p, J("{" GOOD ",\"iat\":%ld,\"exp\":%ld}", NOW,
                               NOW + 10 * 365 * 86400L)), 0);
}

static void
test_iss(void **state)
{
    pjwt_policy p;

    (void)state;
    base_policy(&p);
#define REST "\"aud\":\"" AUD "\",\"sub\":\"alice\",\"exp\":%ld"
    assert_int_equal(run(&p, J("{\"iss\":\"" ISS "\"," REST "}", NOW + 60)), 0);
    assert_int_equal(run(&p, J("{" REST "}", NOW + 60)), PJWT_ERR_ISS);
    assert_int_equal(run(&p, J("{\"iss\":\"" ISS ".evil\"," REST "}", NOW + 60)),
                     PJWT_ERR_ISS);
    assert_int_equal(run(&p, J("{\"iss\":\"https://issuer\"," REST "}", NOW + 60)),
                     PJWT_ERR_ISS);
    assert_int_equal(run(&p, J("{\"iss\":\"HTTPS://ISSUER.EXAMPLE\"," REST "}",
                               NOW + 60)), PJWT_ERR_ISS);
    assert_int_equal(run(&p, J("{\"iss\":\"\"," REST "}", NOW + 60)), PJWT_ERR_ISS);
    assert_int_equal(run(&p, J("{\"iss\":[\"" ISS "\"]," REST "}", NOW + 60)),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{\"iss\":1," REST "}", NOW + 60)),
                     PJWT_ERR_CLAIM_TYPE);
    p.issuer = NULL;      /* not checked */
    assert_int_equal(run(&p, J("{\"iss\":\"other\"," REST "}", NOW + 60)), 0);
#undef REST
}

static void
test_aud(void **state)
{
    pjwt_policy p;

    (void)state;
    base_policy(&p);
#define REST "\"iss\":\"" ISS "\",\"sub\":\"alice\",\"exp\":%ld"
    assert_int_equal(run(&p, J("{\"aud\":\"host1\"," REST "}", NOW + 60)), 0);
    assert_int_equal(run(&p, J("{\"aud\":[\"a\",\"host1\"]," REST "}", NOW + 60)), 0);
    assert_int_equal(run(&p, J("{" REST "}", NOW + 60)), PJWT_ERR_AUD);
    /* substring, prefix, superstring */
    assert_int_equal(run(&p, J("{\"aud\":\"host\"," REST "}", NOW + 60)), PJWT_ERR_AUD);
    assert_int_equal(run(&p, J("{\"aud\":\"host10\"," REST "}", NOW + 60)), PJWT_ERR_AUD);
    assert_int_equal(run(&p, J("{\"aud\":\"myhost1\"," REST "}", NOW + 60)), PJWT_ERR_AUD);
    assert_int_equal(run(&p, J("{\"aud\":\"host1 host2\"," REST "}", NOW + 60)),
                     PJWT_ERR_AUD);
    assert_int_equal(run(&p, J("{\"aud\":\"HOST1\"," REST "}", NOW + 60)), PJWT_ERR_AUD);
    /* arrays not containing it exactly */
    assert_int_equal(run(&p, J("{\"aud\":[\"host\",\"host10\"]," REST "}", NOW + 60)),
                     PJWT_ERR_AUD);
    assert_int_equal(run(&p, J("{\"aud\":[]," REST "}", NOW + 60)), PJWT_ERR_AUD);
    assert_int_equal(run(&p, J("{\"aud\":[[\"host1\"]]," REST "}", NOW + 60)),
                     PJWT_ERR_CLAIM_TYPE);
    /* non-strings in the array: malformed even beside our audience */
    assert_int_equal(run(&p, J("{\"aud\":[\"host1\",1]," REST "}", NOW + 60)),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{\"aud\":[null,\"host1\"]," REST "}", NOW + 60)),
                     PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{\"aud\":1," REST "}", NOW + 60)), PJWT_ERR_CLAIM_TYPE);
    assert_int_equal(run(&p, J("{\"aud\":{\"host1\":1}," REST "}", NOW + 60)),
                     PJWT_ERR_CLAIM_TYPE);
#undef REST
}

static void
test_user(void **state)
{
    pjwt_policy p;
    json_t *c;

    (void)state;
    base_policy(&p);
#define REST "\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%ld"
    assert_int_equal(run(&p, J("{\"sub\":\"alice\"," REST "}", NOW + 60)), 0);
    assert_int_equal(run(&p, J("{" REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":\"alic\"," REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":\"alicex\"," REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":\"Alice\"," REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":\"\"," REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":\"alice \"," REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":[\"alice\"]," REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":1," REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":null," REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":{}," REST "}", NOW + 60)), PJWT_ERR_USER);
    /* an embedded NUL (refused at parse, but not trusted here either) */
    c = J("{" REST "}", NOW + 60);
    json_object_set_new(c, "sub", json_stringn("alice\0root", 10));
    assert_int_equal(run(&p, c), PJWT_ERR_USER);
    p.expected_user = "ali";
    c = J("{" REST "}", NOW + 60);
    json_object_set_new(c, "sub", json_stringn("ali\0", 4));
    assert_int_equal(run(&p, c), PJWT_ERR_USER);
    /* another user claim */
    p.expected_user = "alice";
    p.user_claim = "preferred_username";
    assert_int_equal(run(&p, J("{\"sub\":\"alice\"," REST "}", NOW + 60)), PJWT_ERR_USER);
    assert_int_equal(run(&p, J("{\"sub\":\"x\",\"preferred_username\":\"alice\","
                               REST "}", NOW + 60)), 0);
    /* no expected user: not checked */
    p.expected_user = NULL;
    assert_int_equal(run(&p, J("{" REST "}", NOW + 60)), 0);
#undef REST
}

static void
test_required(void **state)
{
    pjwt_policy p;
    pjwt_claim_req req[] = { { "groups", "admins" }, { "scope", "login" } };

    (void)state;
    base_policy(&p);
    p.required = req;
    p.n_required = 2;
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"groups\":[\"users\","
                               "\"admins\"],\"scope\":\"login\"}", NOW + 60)), 0);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"groups\":\"admins\","
                               "\"scope\":\"login\"}", NOW + 60)), 0);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"groups\":[\"admin\"],"
                               "\"scope\":\"login\"}", NOW + 60)), PJWT_ERR_CLAIM);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"groups\":[\"admins\"]}",
                               NOW + 60)), PJWT_ERR_CLAIM);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"groups\":[\"admins\"],"
                               "\"scope\":\"login admin\"}", NOW + 60)),
                     PJWT_ERR_CLAIM);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"groups\":[[\"admins\"]],"
                               "\"scope\":\"login\"}", NOW + 60)), PJWT_ERR_CLAIM);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"groups\":{\"admins\":1},"
                               "\"scope\":\"login\"}", NOW + 60)), PJWT_ERR_CLAIM);
    assert_int_equal(run(&p, J("{" GOOD ",\"exp\":%ld,\"groups\":[\"admins\"],"
                               "\"scope\":true}", NOW + 60)), PJWT_ERR_CLAIM);
}

struct seen {
    int n, fails;
    char names[16][16];
    int rcs[16];
};

static void
record(void *arg, const char *check, int rc, const char *detail)
{
    struct seen *s = arg;

    assert_non_null(detail);
    if (s->n < 16) {
        snprintf(s->names[s->n], sizeof(s->names[0]), "%s", check);
        s->rcs[s->n] = rc;
    }
    s->n++;
    if (rc)
        s->fails++;
}

static void
test_report(void **state)
{
    pjwt_policy p;
    pjwt_claim_req req[] = { { "groups", "admins" } };
    struct seen s;
    pjwt_err e;
    json_t *c;

    (void)state;
    base_policy(&p);
    p.required = req;
    p.n_required = 1;
    memset(&s, 0, sizeof(s));
    p.report = record;
    p.report_arg = &s;
    /* wrong iss, expired, wrong user: all reported, the first returned */
    c = J("{\"iss\":\"x\",\"aud\":\"" AUD "\",\"sub\":\"bob\",\"iat\":%ld,"
          "\"exp\":%ld,\"groups\":[\"admins\"]}", NOW - 1000, NOW - 900);
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_claims_check(c, &p, NOW, &e), PJWT_ERR_ISS);
    assert_int_equal(e.code, PJWT_ERR_ISS);
    json_decref(c);
    assert_int_equal(s.n, 7);   /* iss aud exp iat lifetime user claim */
    assert_int_equal(s.fails, 3);
    assert_string_equal(s.names[0], "iss");
    assert_int_equal(s.rcs[0], PJWT_ERR_ISS);
    assert_string_equal(s.names[1], "aud");
    assert_int_equal(s.rcs[1], 0);
    assert_string_equal(s.names[2], "exp");
    assert_int_equal(s.rcs[2], PJWT_ERR_EXP);
    assert_string_equal(s.names[5], "user");
    assert_int_equal(s.rcs[5], PJWT_ERR_USER);
    assert_string_equal(s.names[6], "claim");
    assert_int_equal(s.rcs[6], 0);

    /* without a report, the first failure stops the checks */
    p.report = NULL;
    c = J("{\"iss\":\"" ISS "\",\"aud\":\"x\",\"sub\":\"bob\",\"exp\":%ld}", NOW - 900);
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_claims_check(c, &p, NOW, &e), PJWT_ERR_AUD);
    assert_int_equal(e.code, PJWT_ERR_AUD);
    json_decref(c);
}

static void
test_messages_log_safe(void **state)
{
    pjwt_policy p;
    pjwt_err e;
    char big[1200];
    json_t *c;
    size_t i;

    (void)state;
    base_policy(&p);
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big + 3, "\n\r\x1b[31m", 7);
    c = J("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%ld}", NOW + 60);
    json_object_set_new(c, "sub", json_string(big));
    pjwt_err_clear(&e);
    assert_int_equal(pjwt_claims_check(c, &p, NOW, &e), PJWT_ERR_USER);
    json_decref(c);
    assert_true(strlen(e.msg) < 160);
    for (i = 0; e.msg[i]; i++)
        assert_true(e.msg[i] >= 0x20 && e.msg[i] < 0x7f);

    assert_non_null(strstr(e.msg, "..."));
    assert_null(strstr(e.msg, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}

static void
test_bad_args(void **state)
{
    pjwt_policy p;
    pjwt_err e;
    json_t *c;

    (void)state;
    base_policy(&p);
    c = json_array();
    assert_int_equal(pjwt_claims_check(c, &p, NOW, &e), PJWT_ERR_ARG);
    json_decref(c);
    assert_int_equal(pjwt_claims_check(NULL, &p, NOW, &e), PJWT_ERR_ARG);
    c = J("{" GOOD ",\"exp\":%ld}", NOW + 60);
    assert_int_equal(pjwt_claims_check(c, NULL, NOW, &e), PJWT_ERR_ARG);
    p.leeway = -1;
    assert_int_equal(pjwt_claims_check(c, &p, NOW, &e), PJWT_ERR_ARG);
    p.leeway = 0;
    assert_int_equal(pjwt_claims_check(c, &p, NOW, NULL), 0);
    json_decref(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_exp),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_exp_missing_and_types),
        cmocka_unit_test(test_nbf),
        cmocka_unit_test(test_iat),
        cmocka_unit_test(test_lifetime),
        cmocka_unit_test(test_iss),
        cmocka_unit_test(test_aud),
        cmocka_unit_test(test_user),
        cmocka_unit_test(test_required),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_messages_log_safe),
        cmocka_unit_test(test_bad_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
