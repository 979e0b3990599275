/*
 * test_modopts.c: pam_jwt.so's option loader, shared with jwtctl verify:
 * every name of the table is handled, an argument replaces the file's
 * lines of its name, the absolute-path and first-pass rules, and the
 * audience's %s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "modopts.h"
#include "testdir.h"

static int
load(pjwt_modopts *o, pjwt_err *e, int argc, const char **argv)
{
    pjwt_err_clear(e);
    return pjwt_modopts_load(o, argc, argv, NULL, e);
}

/* A value of the right shape for each kind of option. */
static const char *
sample(const struct pjwt_modopt *opt)
{
    switch (opt->kind) {
    case PJWT_MO_FLAG:
    case PJWT_MO_BOOL:
        return NULL;
    case PJWT_MO_PATH:
        return "/nonexistent/x";
    case PJWT_MO_NUMBER:
        return "600";
    case PJWT_MO_LIST:
        return strcmp(opt->name, "algorithms") == 0 ? "ES256" : "sub";
    case PJWT_MO_PAIR:
        return "scope=admin";
    default:
        return "x";
    }
}

/* A table entry the loader does not handle would be documented (docs.sh
   reads the table) yet refused. */
static void
test_every_table_name_is_handled(void **state)
{
    const struct pjwt_modopt *t;
    char arg[256];
    const char *argv[1] = { arg };
    pjwt_modopts o;
    pjwt_err e;
    size_t n, i;

    (void)state;
    t = pjwt_modopts_table(&n);
    assert_true(n >= 20);
    for (i = 0; i < n; i++) {
        const char *v = sample(&t[i]);

        if (strcmp(t[i].name, "config") == 0)
            continue;       /* reads the file: below */
        snprintf(arg, sizeof(arg), v ? "%s=%s" : "%s", t[i].name, v);
        if (load(&o, &e, 1, argv) != 0)
            fail_msg("%s: %s", arg, e.msg);
        assert_ptr_equal(pjwt_modopt_find(t[i].name), &t[i]);
        pjwt_modopts_clear(&o);
    }
    assert_null(pjwt_modopt_find("frobnicate"));
    argv[0] = "frobnicate=1";
    assert_int_equal(load(&o, &e, 1, argv), PJWT_ERR_CONF);
    pjwt_modopts_clear(&o);
}

/* max_trust_age: seconds, 0 (off) by default, bounded. */
static void
test_max_trust_age(void **state)
{
    static const char *const bad[] = {
        "max_trust_age=-1", "max_trust_age=1h", "max_trust_age=",
        "max_trust_age=315360001", "max_trust_age",
    };
    const char *argv[1] = { "max_trust_age=3600" };
    pjwt_modopts o;
    pjwt_err e;

    (void)state;
    assert_int_equal(load(&o, &e, 0, argv), 0);
    assert_int_equal(o.max_trust_age, 0);
    pjwt_modopts_clear(&o);
    assert_int_equal(load(&o, &e, 1, argv), 0);
    assert_int_equal(o.max_trust_age, 3600);
    pjwt_modopts_clear(&o);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        argv[0] = bad[i];
        if (load(&o, &e, 1, argv) == 0)
            fail_msg("%s accepted", bad[i]);
        pjwt_modopts_clear(&o);
    }
}

static void
test_paths_absolute_first_pass_bare(void **state)
{
    static const char *const bad[] = {
        "config=x.conf", "key=k.pem", "hmac_secret=s", "revoked=r",
        "replay_dir=d", "use_first_pass=no", "try_first_pass=yes",
        "use_first_pass=", "export_claims=a,", "config",
    };
    pjwt_modopts o;
    pjwt_err e;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *argv[1] = { bad[i] };

        if (load(&o, &e, 1, argv) == 0)
            fail_msg("%s accepted", bad[i]);
        pjwt_modopts_clear(&o);
    }
}

static void
test_argument_replaces_file_lines(void **state)
{
    char *dir = test_mkdtemp("modopts");
    char path[4200], cfg[4300];
    const char *argv[3];
    pjwt_modopts o;
    pjwt_err e;
    FILE *f;

    (void)state;
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/pam_jwt.conf", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("issuer = https://file\naudience = svc:%s\nprompt = File:\n"
          "export_claims = a,b\none_time\n", f);
    fclose(f);
    chmod(path, 0644);
    snprintf(cfg, sizeof(cfg), "config=%s", path);

    argv[0] = cfg;
    argv[1] = "prompt=Arg:";
    argv[2] = "export_claims=c";
    if (load(&o, &e, 3, argv) != 0)
        fail_msg("%s", e.msg);
    assert_string_equal(pjwt_verifier_issuer(o.v), "https://file");
    assert_string_equal(o.prompt, "Arg:");
    assert_int_equal(o.n_export, 1);
    assert_string_equal(o.export[0], "c");
    assert_int_equal(o.one_time, 1);
    assert_int_equal(pjwt_modopts_expand_audience(&o, "sshd", &e), 0);
    assert_string_equal(pjwt_verifier_audience(o.v), "svc:sshd");
    pjwt_modopts_clear(&o);

    /* config= is an argument only. */
    f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f, "config = %s\n", path);
    fclose(f);
    assert_int_equal(load(&o, &e, 1, argv), PJWT_ERR_CONF);
    assert_non_null(strstr(e.msg, "only allowed as a module argument"));
    pjwt_modopts_clear(&o);

    unlink(path);
    rmdir(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_table_name_is_handled),
        cmocka_unit_test(test_paths_absolute_first_pass_bare),
        cmocka_unit_test(test_max_trust_age),
        cmocka_unit_test(test_argument_replaces_file_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
