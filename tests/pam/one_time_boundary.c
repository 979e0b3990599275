/*
 * one_time_boundary.c: one_time tokens at their expiry boundary (review
 * finding: a token could be used twice there).
 *
 *   one_time_boundary                  the replay store, clock chosen
 *   one_time_boundary CONFDIR SERVICE TOKENFILE EXP
 *                                      the module, clock interposed
 *
 * The first form builds pam_module/replay.c into this program and drives
 * pjm_replay_record with the times it chooses (now is a parameter there;
 * no test hook exists in the module): at and around exp + leeway, with a
 * second service of a larger leeway sharing the directory, with sweeps up
 * to the documented keep horizon (exp + 3600 s, the largest leeway, + 300
 * s), and with concurrent processes recording one token and sweeping at
 * once.
 *
 * The second form (run by one_time_boundary.sh) logs in through libpam
 * with this program's own time(), which pam_jwt.so binds to: the clock
 * moves on by a second after its first reading, as a real clock does when
 * a login straddles exp + leeway.  The verifier and the one_time record
 * must decide at the same second.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <security/pam_appl.h>
#include "../../pam_module/replay.c"
#include "testdir.h"

#define EXPORT __attribute__((visibility("default")))
#define HORIZON (3600 + 300)         /* records kept at least exp + this */
#define ISS "https://issuer.test"

static int npass, nfail;

static void
check(int cond, const char *what)
{
    if (cond) {
        npass++;
        printf("ok - %s\n", what);
    } else {
        nfail++;
        printf("FAIL - %s\n", what);
    }
    fflush(stdout);
}

static int
rec(const char *dir, const char *jti, time_t exp, long leeway, time_t now)
{
    pjwt_err e;
    int r;

    pjwt_err_clear(&e);
    r = pjm_replay_record(dir, ISS, strlen(ISS), jti, strlen(jti), exp,
                          leeway, now, &e);
    if (r != 0 && r != PJWT_ERR_REPLAY)
        fprintf(stderr, "record %s: %s\n", jti, e.msg);
    return r;
}

/* Number of records of (ISS, jti) anywhere under dir (buckets, or flat). */
static int
present(const char *dir, const char *jti)
{
    char name[HASH_HEX + 1], cmd[4096];
    FILE *p;
    int n = -1;

    if (record_name(ISS, strlen(ISS), jti, strlen(jti), name, NULL) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "find '%s' -name '%s' | wc -l", dir, name);
    p = popen(cmd, "r");
    if (!p)
        return -1;
    if (fscanf(p, "%d", &n) != 1)
        n = -1;
    pclose(p);
    return n;
}

/* ---- the store, sequentially ------------------------------------------ */

static void
boundary(const char *dir)
{
    const time_t E = 2000000000 - 2000000000 % 600 + 123;   /* an exp */
    const long L = 60;                                       /* leeway */
    char other[32];

    check(rec(dir, "a", E, L, E + L - 1) == 0,
          "first use one second before exp + leeway");
    check(rec(dir, "a", E, L, E + L - 1) == PJWT_ERR_REPLAY,
          "second use at the same second");
    check(rec(dir, "a", E, L, E + L) != 0,
          "second use at exp + leeway (the record is not 'expired' then)");
    /* A service with a larger leeway shares the directory: the token is
       still good for it, and its record must still count. */
    check(rec(dir, "a", E, 600, E + L + 10) == PJWT_ERR_REPLAY,
          "second use by a service with leeway 600, past the first's exp + leeway");
    check(rec(dir, "a", E, PJWT_VERIFIER_LEEWAY_MAX, E + 3000) == PJWT_ERR_REPLAY,
          "second use by a service with the largest leeway");

    /* Sweeps run after every successful record; drive them from logins
       of other tokens at times up to just before the horizon. */
    for (int i = 0; i < 5; i++) {
        time_t now = E + L + (time_t)i * (HORIZON - L - 1) / 4;

        snprintf(other, sizeof(other), "other-%d", i);
        check(rec(dir, other, now + 30, L, now) == 0, "another token's login (sweeps)");
        check(present(dir, "a") == 1, "record kept while a service may accept the token");
    }
    check(rec(dir, "a", E, PJWT_VERIFIER_LEEWAY_MAX,
              E + PJWT_VERIFIER_LEEWAY_MAX - 1) == PJWT_ERR_REPLAY,
          "second use at the last second any leeway allows");

    /* Past the horizon (and the bucket's end) the record goes. */
    check(rec(dir, "late", E + 2 * HORIZON + 1200, L, E + 2 * HORIZON) == 0,
          "a login well past the horizon (sweeps)");
    check(present(dir, "a") == 0, "record swept once no service can need it");
    check(present(dir, "late") == 1, "the new record kept");
    check(rec(dir, "bad-args", E, L, E + L) == PJWT_ERR_ARG,
          "a token not valid at now is not recorded");
}

/* ---- the store, concurrently ------------------------------------------ */

#define NPROC 12
#define ROUNDS 40

/*
 * NPROC processes, released together: each presents the shared token (at
 * valid times, spread over its last minute) ROUNDS times, and between two
 * presentations logs in with a token of its own at a time up to the
 * shared token's horizon, so sweeps run all the while.  Exactly one
 * presentation of the shared token may succeed.
 */
static void
concurrent(const char *dir)
{
    const time_t E = 2100000000 - 2100000000 % 600;   /* bucket start */
    const long L = 60;
    int gate[2], status, successes = 0, others_bad = 0;
    pid_t pids[NPROC];
    char c;

    if (pipe(gate) != 0) {
        check(0, "pipe");
        return;
    }
    for (int p = 0; p < NPROC; p++) {
        pids[p] = fork();
        if (pids[p] < 0) {
            check(0, "fork");
            return;
        }
        if (pids[p] == 0) {
            int mine = 0, bad = 0;
            char jti[32];

            close(gate[1]);
            if (read(gate[0], &c, 1) < 0)
                _exit(255);
            for (int r = 0; r < ROUNDS; r++) {
                time_t now = E + L - 1 - (p * ROUNDS + r) % 60;
                time_t late = E + (time_t)(p * ROUNDS + r) * (HORIZON - 1) /
                                  (NPROC * ROUNDS);

                mine += rec(dir, "shared", E, L, now) == 0;
                snprintf(jti, sizeof(jti), "p%d-r%d", p, r);
                bad += rec(dir, jti, late + 60, L, late) != 0;
            }
            _exit((mine & 15) | (bad ? 16 : 0));
        }
    }
    close(gate[0]);
    close(gate[1]);                  /* EOF releases everyone at once */
    for (int p = 0; p < NPROC; p++) {
        if (waitpid(pids[p], &status, 0) != pids[p] || !WIFEXITED(status)) {
            check(0, "child exited");
            continue;
        }
        successes += WEXITSTATUS(status) & 15;
        others_bad += (WEXITSTATUS(status) & 16) != 0;
    }
    printf("# shared token: %d successes in %d presentations\n", successes,
           NPROC * ROUNDS);
    check(successes == 1, "concurrent presentations and sweeps: exactly one success");
    check(others_bad == 0, "every distinct token recorded once");
    check(present(dir, "shared") == 1, "the shared record survives the sweeps");
}

/* ---- the module, with this program's clock ------------------------------ */

static time_t clock_first, clock_later;
static int clock_fake, clock_reads;

/* Whether the code that called time() is pam_jwt.so's own (libpam and
   libcrypto read the clock too, for their own purposes). */
static int
from_module(const void *ret)
{
    Dl_info info;

    return dladdr(ret, &info) != 0 && info.dli_fname &&
           strstr(info.dli_fname, "pam_jwt") != NULL;
}

/* pam_jwt.so's time() binds here.  The module's first reading in a login
   gets clock_first, every later one clock_later: the second ticks over
   during the login. */
EXPORT time_t time(time_t *t);

EXPORT time_t
time(time_t *t)
{
    struct timespec ts;
    time_t v;

    if (clock_fake) {
        if (from_module(__builtin_return_address(0)))
            v = clock_reads++ == 0 ? clock_first : clock_later;
        else
            v = clock_reads == 0 ? clock_first : clock_later;
    } else {
        clock_gettime(CLOCK_REALTIME, &ts);
        v = ts.tv_sec;
    }
    if (t)
        *t = v;
    return v;
}

static char token_text[16384];

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
     void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    (void)data;
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF &&
            !(r[i].resp = strdup(token_text)))
            return PAM_BUF_ERR;
    *resp = r;
    return PAM_SUCCESS;
}

static int
login(const char *confdir, const char *service, time_t first, time_t later)
{
    struct pam_conv c = { conv, NULL };
    pam_handle_t *pamh = NULL;
    int rc;

    if (pam_start_confdir(service, "alice", &c, confdir, &pamh) != PAM_SUCCESS)
        return -1;
    clock_first = first;
    clock_later = later;
    clock_reads = 0;
    clock_fake = 1;
    rc = pam_authenticate(pamh, 0);
    clock_fake = 0;
    pam_end(pamh, rc);
    return rc;
}

static int
module(const char *confdir, const char *service, const char *tokfile,
       const char *exp_s)
{
    time_t exp = (time_t)strtoll(exp_s, NULL, 10);
    FILE *f = fopen(tokfile, "re");
    size_t n;
    int rc;

    if (!f)
        return 2;
    n = fread(token_text, 1, sizeof(token_text) - 1, f);
    fclose(f);
    token_text[n] = '\0';
    token_text[strcspn(token_text, "\n")] = '\0';

    /* The service uses leeway=60: the token is good while now < exp + 60. */
    rc = login(confdir, service, exp - 100, exp - 100);
    check(rc == PAM_SUCCESS, "module: first use");
    printf("# the module's clock readings in a login: %d\n", clock_reads);
    check(clock_reads == 1, "module: the clock is read once per login");
    rc = login(confdir, service, exp + 59, exp + 60);
    printf("# second use straddling exp + leeway: %s\n",
           rc == PAM_SUCCESS ? "PAM_SUCCESS" : rc == PAM_AUTH_ERR ? "PAM_AUTH_ERR" : "other");
    check(rc == PAM_AUTH_ERR,
          "module: second use while the clock passes exp + leeway is refused");
    rc = login(confdir, service, exp + 59, exp + 59);
    check(rc == PAM_AUTH_ERR, "module: second use just before exp + leeway refused");
    return 0;
}

int
main(int argc, char **argv)
{
    char dir[4096];

    if (argc == 5) {
        module(argv[1], argv[2], argv[3], argv[4]);
    } else {
        if (test_tmpl(dir, sizeof(dir), "one_time_boundary") != 0 ||
            !mkdtemp(dir)) {
            perror("mkdtemp");
            return 2;
        }
        char d1[4200], d2[4200], cmd[8500];

        snprintf(d1, sizeof(d1), "%s/seq", dir);
        snprintf(d2, sizeof(d2), "%s/conc", dir);
        boundary(d1);
        concurrent(d2);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    printf("# cases passed: %d\n", npass);
    if (nfail)
        printf("%d case(s) failed\n", nfail);
    return nfail ? 1 : 0;
}
