/*
 * test_keyring.c: key_dir's schedule (issuer/jwt-issuerd/keyring.h).  The
 * pure keyring_plan over many schedules and moments: the first key, the
 * next one published, the switch, the retiring window, deletion, a clock
 * far ahead after a long downtime, a clock set back, a restart mid-phase;
 * then the step on a real directory: what it writes, what a crash leaves
 * and how the next step continues, the refusals, and a dry run that
 * touches nothing.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "keyring.h"
#include "testdir.h"

#define RP 1000L        /* rotation_period */
#define PA 100L         /* publish_ahead */
#define RW 360L         /* retire_window */
#define T0 ((time_t)1700000000)

static const struct keyring_params P = { NULL, PJWT_ALG_ES256, RP, PA, RW };

/* A schedule of n keys activating at the given times. */
static struct keyring_schedule
sched(size_t n, ...)
{
    struct keyring_schedule s;
    va_list ap;
    size_t i;

    memset(&s, 0, sizeof(s));
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        s.keys[i].activate = va_arg(ap, time_t);
        s.keys[i].created = s.keys[i].activate - PA;
        s.keys[i].alg = PJWT_ALG_ES256;
        snprintf(s.keys[i].kid, sizeof(s.keys[i].kid), "k%zu", i);
    }
    va_end(ap);
    s.n = n;
    return s;
}

static struct keyring_view
plan(const struct keyring_schedule *s, time_t now)
{
    struct keyring_view v;

    keyring_plan(s, now, &P, &v);
    return v;
}

static void
test_first_key(void **state)
{
    struct keyring_schedule s = sched(0);
    struct keyring_view v = plan(&s, T0);

    (void)state;
    assert_true(v.generate);
    assert_int_equal(v.generate_activate, T0);     /* signs at once */
    /* Just made: current, nothing due until the next key is. */
    s = sched(1, T0);
    v = plan(&s, T0);
    assert_false(v.generate);
    assert_int_equal(v.current, 0);
    assert_int_equal(v.state[0], PJWT_KEY_CURRENT);
    assert_int_equal(v.next_event, T0 + RP - PA);
    assert_int_equal(v.retires[0], T0 + RP);
    assert_int_equal(v.deletes[0], T0 + RP + RW);
    v = plan(&s, T0 + RP - PA - 1);
    assert_false(v.generate);
    assert_int_equal(v.next_event, T0 + RP - PA);
}

static void
test_next_published(void **state)
{
    struct keyring_schedule s = sched(1, T0);
    struct keyring_view v = plan(&s, T0 + RP - PA);

    (void)state;
    /* Due exactly rotation_period - publish_ahead after the start. */
    assert_true(v.generate);
    assert_int_equal(v.generate_activate, T0 + RP);
    /* Made a little late (the step ran 30 s after): still a whole
       publish_ahead ahead, so the switch moves, not the wait. */
    v = plan(&s, T0 + RP - PA + 30);
    assert_int_equal(v.generate_activate, T0 + RP + 30);
    s = sched(2, T0, T0 + RP);
    v = plan(&s, T0 + RP - PA);
    assert_false(v.generate);
    assert_int_equal(v.current, 0);
    assert_int_equal(v.state[0], PJWT_KEY_CURRENT);
    assert_int_equal(v.state[1], PJWT_KEY_NEXT);
    assert_int_equal(v.next_event, T0 + RP);        /* the switch */
    assert_int_equal(v.retires[0], T0 + RP);
    assert_int_equal(v.retires[1], T0 + 2 * RP);    /* the plan */
}

static void
test_switch(void **state)
{
    struct keyring_schedule s = sched(2, T0, T0 + RP);
    struct keyring_view v = plan(&s, T0 + RP - 1);

    (void)state;
    assert_int_equal(v.current, 0);
    v = plan(&s, T0 + RP);
    assert_int_equal(v.current, 1);
    assert_int_equal(v.state[0], PJWT_KEY_RETIRING);
    assert_int_equal(v.state[1], PJWT_KEY_CURRENT);
    assert_false(v.generate);
    /* Next: the old key's end (RW < RP - PA here). */
    assert_int_equal(v.next_event, T0 + RP + RW);
    assert_int_equal(v.deletes[0], T0 + RP + RW);
}

static void
test_retiring_and_deletion(void **state)
{
    struct keyring_schedule s = sched(2, T0, T0 + RP);
    struct keyring_view v = plan(&s, T0 + RP + RW - 1);

    (void)state;
    assert_int_equal(v.state[0], PJWT_KEY_RETIRING);
    assert_int_equal(v.next_event, T0 + RP + RW);
    v = plan(&s, T0 + RP + RW);
    assert_int_equal(v.state[0], 0);                /* delete it */
    assert_int_equal(v.state[1], PJWT_KEY_CURRENT);
    assert_int_equal(v.next_event, T0 + 2 * RP - PA);
    /* The current key is never expired, however old. */
    s = sched(1, T0);
    v = plan(&s, T0 + 100 * RP);
    assert_int_equal(v.state[0], PJWT_KEY_CURRENT);
}

/* Short rotations (the shell test): several keys retire at once. */
static void
test_many_retiring(void **state)
{
    struct keyring_params p = { NULL, PJWT_ALG_ES256, 12, 4, 61 };
    struct keyring_schedule s = sched(6, T0, T0 + 12, T0 + 24, T0 + 36,
                                      T0 + 48, T0 + 60);
    struct keyring_view v;
    size_t i, retiring = 0;

    (void)state;
    keyring_plan(&s, T0 + 62, &p, &v);
    assert_int_equal(v.current, 5);
    for (i = 0; i < 5; i++)
        retiring += v.state[i] == PJWT_KEY_RETIRING;
    assert_int_equal(retiring, 5);
    assert_false(v.generate);
    assert_int_equal(v.next_event, T0 + 60 + 12 - 4);   /* the next key */
    keyring_plan(&s, T0 + 68, &p, &v);
    assert_true(v.generate);
    assert_int_equal(v.generate_activate, T0 + 72);
    assert_int_equal(v.next_event, T0 + 12 + 61);  /* the first one's end */
    keyring_plan(&s, T0 + 73, &p, &v);
    assert_int_equal(v.state[0], 0);
    assert_int_equal(v.state[1], PJWT_KEY_RETIRING);
}

/*
 * The issuer was down for months: the next key made now activates only
 * publish_ahead from now (never a key that no host could have fetched),
 * and the old key signs until then.
 */
static void
test_long_downtime(void **state)
{
    time_t now = T0 + 200 * RP;
    struct keyring_schedule s = sched(1, T0);
    struct keyring_view v = plan(&s, now);

    (void)state;
    assert_int_equal(v.state[0], PJWT_KEY_CURRENT);
    assert_true(v.generate);
    assert_int_equal(v.generate_activate, now + PA);
    s = sched(2, T0, now + PA);
    v = plan(&s, now);
    assert_int_equal(v.current, 0);
    assert_int_equal(v.next_event, now + PA);
    /* Down across a switch and the old key's window: the old key goes,
       the next one (published before the downtime) signs, and its own
       successor is made at once, a publish_ahead ahead. */
    s = sched(2, T0, T0 + RP);
    v = plan(&s, now);
    assert_int_equal(v.state[0], 0);
    assert_int_equal(v.current, 1);
    assert_true(v.generate);
    assert_int_equal(v.generate_activate, now + PA);
}

/* A clock set back before every activate: the first key keeps signing,
   nothing is made or deleted. */
static void
test_clock_back(void **state)
{
    struct keyring_schedule s = sched(2, T0, T0 + RP);
    struct keyring_view v = plan(&s, T0 - 5000);

    (void)state;
    assert_int_equal(v.current, 0);
    assert_int_equal(v.state[0], PJWT_KEY_CURRENT);
    assert_int_equal(v.state[1], PJWT_KEY_NEXT);
    assert_false(v.generate);
    assert_int_equal(v.next_event, T0 + RP);
}

/* A restart is a plan of the same schedule at a later moment: the same
   answer as the running daemon's at every second of every phase. */
static void
test_restart_mid_phase(void **state)
{
    struct keyring_schedule s = sched(2, T0, T0 + RP);
    time_t t;

    (void)state;
    for (t = T0 + RP - PA; t < T0 + 2 * RP; t += 7) {
        struct keyring_view a = plan(&s, t), b = plan(&s, t);

        assert_memory_equal(&a, &b, sizeof(a));
        assert_int_equal(a.current, t < T0 + RP ? 0 : 1);
        assert_int_equal(a.state[0], t < T0 + RP ? PJWT_KEY_CURRENT
                         : t < T0 + RP + RW ? PJWT_KEY_RETIRING : 0);
        /* Either something is due now (the step makes the next key and
           plans again) or the next change lies ahead. */
        assert_true(a.generate || a.next_event > t);
        if (!a.generate)
            assert_true(a.next_event <= T0 + 2 * RP - PA
                        || a.next_event == T0 + RP + RW);
    }
}

/* A simulated life: steps at every event; at every moment exactly one
   current key, which was published for publish_ahead before it signed. */
static void
test_simulated_life(void **state)
{
    struct keyring_schedule s = sched(0);
    time_t now = T0, published[256] = { 0 };
    size_t made = 0, steps;

    (void)state;
    for (steps = 0; steps < 200; steps++) {
        struct keyring_schedule n = s;
        struct keyring_view v = plan(&s, now);
        size_t i;

        n.n = 0;
        for (i = 0; i < s.n; i++)
            if (v.state[i] != 0)
                n.keys[n.n++] = s.keys[i];
        if (v.generate) {
            assert_true(made < sizeof(published) / sizeof(published[0]));
            n.keys[n.n].activate = v.generate_activate;
            n.keys[n.n].created = now;
            snprintf(n.keys[n.n].kid, sizeof(n.keys[n.n].kid), "%zu", made);
            published[made++] = now;
            n.n++;
        }
        s = n;
        assert_true(s.n <= 3);                      /* RW < RP - PA */
        v = plan(&s, now);
        assert_false(v.generate);
        assert_int_equal(v.state[v.current], PJWT_KEY_CURRENT);
        i = (size_t)atoi(s.keys[v.current].kid);
        assert_true(i == 0 || now >= published[i] + PA);
        assert_true(v.next_event > now);
        /* Now and then the issuer is down for a while. */
        now = steps % 17 == 16 ? v.next_event + 5 * RP : v.next_event;
    }
    assert_true(made > 20);
}

/* ---- the step on a real directory ------------------------------------ */

static char *dir;

static int
setup_dir(void **state)
{
    (void)state;
    dir = test_mkdtemp("test_keyring");
    return dir == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
    char cmd[4200];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    free(dir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t
count_files(const char *suffix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0, l = strlen(suffix);

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strlen(de->d_name) > l
            && strcmp(de->d_name + strlen(de->d_name) - l, suffix) == 0)
            n++;
    closedir(d);
    return n;
}

static struct keyring_params
params(void)
{
    struct keyring_params p = P;

    p.dir = dir;
    return p;
}

static void
test_step_files(void **state)
{
    struct keyring_params p = params();
    struct keyring kr;
    char path[4200], kid0[PJWT_THUMBPRINT_LEN + 1];
    struct stat sb;
    pjwt_err e;

    (void)state;
    pjwt_err_clear(&e);
    /* A dry run on an empty directory: a key in memory, no file. */
    assert_int_equal(keyring_open(&p, T0, KEYRING_DRY_RUN, &kr, &e), 0);
    assert_int_equal(kr.sched.n, 1);
    assert_int_equal(pjwt_keyset_count(kr.keys), 1);
    assert_true(kr.changes > 0);
    keyring_clear(&kr);
    assert_int_equal(count_files(""), 0 + 2);       /* . and .. */
    /* The first key, for real: its file 0600, the schedule 0600. */
    assert_int_equal(keyring_open(&p, T0, 0, &kr, &e), 0);
    assert_int_equal(kr.sched.n, 1);
    assert_string_equal(kr.added, kr.sched.keys[0].kid);
    assert_string_equal(pjwt_key_kid(pjwt_keyset_get(kr.keys, 0)), kr.added);
    memcpy(kid0, kr.added, sizeof(kid0));
    snprintf(path, sizeof(path), "%s/%s.key", dir, kid0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/" KEYRING_SCHEDULE, dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    keyring_clear(&kr);
    /* Again at the same moment: nothing to do, the same key. */
    assert_int_equal(keyring_open(&p, T0 + 1, 0, &kr, &e), 0);
    assert_int_equal(kr.changes, 0);
    assert_string_equal(kr.sched.keys[0].kid, kid0);
    keyring_clear(&kr);
    /* The next key, then the switch, then the old key's end. */
    assert_int_equal(keyring_open(&p, T0 + RP - PA, 0, &kr, &e), 0);
    assert_int_equal(kr.sched.n, 2);
    assert_int_equal(kr.view.state[1], PJWT_KEY_NEXT);
    assert_int_equal(count_files(".key"), 2);
    keyring_clear(&kr);
    assert_int_equal(keyring_open(&p, T0 + RP + RW, 0, &kr, &e), 0);
    assert_int_equal(kr.sched.n, 1);
    assert_int_equal(kr.view.state[0], PJWT_KEY_CURRENT);
    assert_string_not_equal(kr.sched.keys[0].kid, kid0);
    assert_int_equal(count_files(".key"), 1);
    snprintf(path, sizeof(path), "%s/%s.key", dir, kid0);
    assert_int_equal(access(path, F_OK), -1);       /* private key gone */
    keyring_clear(&kr);
}

/* What a crash between the two writes leaves, and the step after it. */
static void
test_step_crash_states(void **state)
{
    struct keyring_params p = params();
    struct keyring kr;
    char path[4200];
    FILE *f;
    pjwt_err e;

    (void)state;
    pjwt_err_clear(&e);
    assert_int_equal(keyring_open(&p, T0, 0, &kr, &e), 0);
    keyring_clear(&kr);
    /* A key file the schedule never got to name, and a temp file. */
    snprintf(path, sizeof(path), "%s/%s.key", dir,
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_non_null(f = fopen(path, "w"));
    fclose(f);
    snprintf(path, sizeof(path), "%s/.x.key.tmp-123456", dir);
    assert_non_null(f = fopen(path, "w"));
    fclose(f);
    /* A dry run reports them and leaves them. */
    assert_int_equal(keyring_open(&p, T0 + 1, KEYRING_DRY_RUN, &kr, &e), 0);
    assert_int_equal(kr.changes, 2);
    keyring_clear(&kr);
    assert_int_equal(count_files(".key"), 2);
    assert_int_equal(keyring_open(&p, T0 + 1, 0, &kr, &e), 0);
    assert_int_equal(kr.changes, 2);
    assert_int_equal(kr.sched.n, 1);
    keyring_clear(&kr);
    assert_int_equal(count_files(".key"), 1);
    assert_int_equal(access(path, F_OK), -1);
    /* An entry whose file is gone: an error, nothing changed. */
    assert_int_equal(keyring_open(&p, T0 + 2, 0, &kr, &e), 0);
    snprintf(path, sizeof(path), "%s/%s.key", dir, kr.sched.keys[0].kid);
    keyring_clear(&kr);
    assert_int_equal(unlink(path), 0);
    assert_int_not_equal(keyring_open(&p, T0 + 3, 0, &kr, &e), 0);
    assert_non_null(strstr(e.msg, ".key"));
    assert_null(kr.keys);
}

static void
write_schedule_text(const char *text)
{
    char path[4200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/" KEYRING_SCHEDULE, dir);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, 0600), 0);
}

static void
test_refusals(void **state)
{
    static const char *const bad[] = {
        "[]",
        "{\"keys\":{}}",
        "{\"keys\":[],\"x\":1}",
        "{\"keys\":[{\"kid\":\"a\",\"alg\":\"ES256\",\"created\":1,\"activate\":1}]}",
        "{\"keys\":[{\"kid\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"alg\":\"HS256\",\"created\":1,\"activate\":1}]}",
        "{\"keys\":[{\"kid\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"alg\":\"ES256\",\"created\":1,\"activate\":\"1\"}]}",
        "{\"keys\":[{\"kid\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"alg\":\"ES256\",\"created\":1,\"activate\":1,\"d\":1}]}",
        "{\"keys\":[{\"kid\":\"../../etc/passwd.AAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"alg\":\"ES256\",\"created\":1,\"activate\":1}]}",
        /* activate must increase, kids be unique */
        "{\"keys\":[{\"kid\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"alg\":\"ES256\",\"created\":1,\"activate\":5},"
        "{\"kid\":\"BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"alg\":\"ES256\",\"created\":1,\"activate\":5}]}",
        "{\"keys\":[{\"kid\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"alg\":\"ES256\",\"created\":1,\"activate\":5},"
        "{\"kid\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"alg\":\"ES256\",\"created\":1,\"activate\":6}]}",
        "{\"keys\":[],\"keys\":[]}",
    };
    struct keyring_schedule s;
    char path[4200];
    size_t i;
    pjwt_err e;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pjwt_err_clear(&e);
        write_schedule_text(bad[i]);
        assert_int_not_equal(keyring_read_schedule(dir, geteuid(), &s, &e), 0);
        assert_int_equal(s.n, 0);
        assert_non_null(strstr(e.msg, KEYRING_SCHEDULE));
    }
    /* A readable schedule, a group-accessible directory, another owner. */
    write_schedule_text("{\"keys\":[]}");
    assert_int_equal(keyring_read_schedule(dir, geteuid(), &s, &e), 0);
    snprintf(path, sizeof(path), "%s/" KEYRING_SCHEDULE, dir);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(keyring_read_schedule(dir, geteuid(), &s, &e), PJWT_ERR_PERM);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(chmod(dir, 0750), 0);
    assert_int_equal(keyring_read_schedule(dir, geteuid(), &s, &e), PJWT_ERR_PERM);
    assert_non_null(strstr(e.msg, "0750"));
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_not_equal(keyring_read_schedule(dir, geteuid() + 1, &s, &e), 0);
    assert_int_not_equal(keyring_read_schedule("/nonexistent/k", geteuid(), &s, &e), 0);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_key),
        cmocka_unit_test(test_next_published),
        cmocka_unit_test(test_switch),
        cmocka_unit_test(test_retiring_and_deletion),
        cmocka_unit_test(test_many_retiring),
        cmocka_unit_test(test_long_downtime),
        cmocka_unit_test(test_clock_back),
        cmocka_unit_test(test_restart_mid_phase),
        cmocka_unit_test(test_simulated_life),
        cmocka_unit_test_setup_teardown(test_step_files, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_step_crash_states, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_refusals, setup_dir, teardown_dir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
