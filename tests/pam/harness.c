/*
 * harness.c: drive a PAM service from a private confdir and report what
 * every entry point returned (linux-pam tst-pam_faillock-retval style).
 *
 *   harness -d CONFDIR -s SERVICE -u USER [-p ANSWER]... [-a AUTHTOK]
 *           [-r RHOST] [-l LOGFILE] [-o OUTFILE] [-x EXPECTED] [-n REPEAT]
 *           [-t THREADS] [-A] [-E]
 *   harness -d CONFDIR -b BATCHFILE [-l LOGFILE]
 *
 * -p answers prompts in order (an answer "@FILE" is read from FILE); -a sets
 * PAM_AUTHTOK before pam_authenticate (a module "above" us); -A also runs
 * pam_setcred and pam_acct_mgmt; -E prints the PAM environment; -x makes
 * the exit status say whether pam_authenticate returned EXPECTED (a name
 * like PAM_SUCCESS) every time; -t runs THREADS threads, one PAM handle
 * each, each REPEAT times.  -b runs many logins in one process (so that a
 * whole suite costs one valgrind start): each line of BATCHFILE is
 * "SERVICE USER [ANSWER...]" and gives one output line
 * "SERVICE authenticate=CODE prompts=N".
 *
 * The harness interposes syslog: every line libpam's pam_syslog sends goes
 * to LOGFILE instead, so tests can read the module's decisions.  It also
 * -F N makes the Nth memory allocation inside pam_authenticate fail (and
 * prints "injected=1" when it happened), to show that the module fails
 * closed and reports PAM_BUF_ERR; not for valgrind or sanitizer builds,
 * which bring their own malloc.  The harness also
 * interposes the process-global calls a module must never make (openlog,
 * setenv, putenv, unsetenv, signal, sigaction) and logs "FORBIDDEN name".
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <security/pam_appl.h>

#define MAX_ANSWERS 8

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_fp;

static void
log_line(const char *fmt, va_list ap)
{
    pthread_mutex_lock(&log_lock);
    if (log_fp) {
        vfprintf(log_fp, fmt, ap);
        fputc('\n', log_fp);
        fflush(log_fp);
    }
    pthread_mutex_unlock(&log_lock);
}

static void
log_forbidden(const char *what, ...)
{
    va_list ap;

    va_start(ap, what);
    log_line("FORBIDDEN %s", ap);
    va_end(ap);
}

/* ---- interposed libc ---------------------------------------------------- */

/* Built -fvisibility=hidden like everything here: these must be exported
   so that libpam and the modules bind to them. */
#define EXPORT __attribute__((visibility("default")))

EXPORT void __syslog_chk(int pri, int flag, const char *fmt, ...);
EXPORT void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);

EXPORT void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
    va_list ap;

    (void)pri, (void)flag;
    va_start(ap, fmt);
    log_line(fmt, ap);
    va_end(ap);
}

EXPORT void
__vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
    (void)pri, (void)flag;
    log_line(fmt, ap);
}

EXPORT void
syslog(int pri, const char *fmt, ...)
{
    va_list ap;

    (void)pri;
    va_start(ap, fmt);
    log_line(fmt, ap);
    va_end(ap);
}

EXPORT void
vsyslog(int pri, const char *fmt, va_list ap)
{
    (void)pri;
    log_line(fmt, ap);
}

EXPORT void
openlog(const char *ident, int option, int facility)
{
    (void)ident, (void)option, (void)facility;
    log_forbidden("%s", "openlog");
}

EXPORT int
setenv(const char *name, const char *value, int overwrite)
{
    (void)name, (void)value, (void)overwrite;
    log_forbidden("%s", "setenv");
    return 0;
}

EXPORT int
putenv(char *s)
{
    (void)s;
    log_forbidden("%s", "putenv");
    return 0;
}

EXPORT int
unsetenv(const char *name)
{
    (void)name;
    log_forbidden("%s", "unsetenv");
    return 0;
}

EXPORT sighandler_t
signal(int sig, sighandler_t h)
{
    (void)sig, (void)h;
    log_forbidden("%s", "signal");
    return SIG_ERR;
}

EXPORT int
sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    (void)sig, (void)old;
    if (act)
        log_forbidden("%s", "sigaction");
    return 0;
}

/* Allocation failure injection (-F): glibc's own allocator underneath.
   Not in sanitizer builds, whose runtime owns malloc (-F is then a no-op
   and module_oom.sh skips). */
#if defined(__SANITIZE_ADDRESS__)
static long fail_countdown;
static int fail_injected;
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static long fail_countdown;       /* 0: off */
static int fail_injected;

static int
should_fail(void)
{
    if (fail_countdown > 0 && --fail_countdown == 0) {
        fail_injected = 1;
        return 1;
    }
    return 0;
}

EXPORT void *malloc(size_t n);
EXPORT void *calloc(size_t n, size_t m);
EXPORT void *realloc(void *p, size_t n);

EXPORT void *
malloc(size_t n)
{
    return should_fail() ? NULL : __libc_malloc(n);
}

EXPORT void *
calloc(size_t n, size_t m)
{
    return should_fail() ? NULL : __libc_calloc(n, m);
}

EXPORT void *
realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __libc_realloc(p, n);
}
#endif

/* ---- the test ---------------------------------------------------------- */

struct opts {
    const char *confdir, *service, *user, *authtok, *rhost;
    const char *answers[MAX_ANSWERS];
    int n_answers;
    const char *expected;
    int repeat, threads, acct, env, batch;
    long fail_at;
    FILE *out;
};

struct conv_state {
    const struct opts *o;
    int next;
    int prompts;
};

static const struct {
    int code;
    const char *name;
} names[] = {
#define N(x) { x, #x }
    N(PAM_SUCCESS), N(PAM_OPEN_ERR), N(PAM_SYMBOL_ERR), N(PAM_SERVICE_ERR),
    N(PAM_SYSTEM_ERR), N(PAM_BUF_ERR), N(PAM_PERM_DENIED), N(PAM_AUTH_ERR),
    N(PAM_CRED_INSUFFICIENT), N(PAM_AUTHINFO_UNAVAIL), N(PAM_USER_UNKNOWN),
    N(PAM_MAXTRIES), N(PAM_NEW_AUTHTOK_REQD), N(PAM_ACCT_EXPIRED),
    N(PAM_SESSION_ERR), N(PAM_CRED_UNAVAIL), N(PAM_CRED_EXPIRED),
    N(PAM_CRED_ERR), N(PAM_NO_MODULE_DATA), N(PAM_CONV_ERR),
    N(PAM_AUTHTOK_ERR), N(PAM_AUTHTOK_RECOVERY_ERR), N(PAM_AUTHTOK_LOCK_BUSY),
    N(PAM_AUTHTOK_DISABLE_AGING), N(PAM_TRY_AGAIN), N(PAM_IGNORE),
    N(PAM_ABORT), N(PAM_AUTHTOK_EXPIRED), N(PAM_MODULE_UNKNOWN),
    N(PAM_BAD_ITEM), N(PAM_CONV_AGAIN), N(PAM_INCOMPLETE),
#undef N
};

static const char *
code_name(int code)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == code)
            return names[i].name;
    return "PAM_?";
}

/* A secret on the command line may be "@FILE": read the file's first line. */
static char *
load_answer(const char *a)
{
    char buf[16384];
    FILE *f;
    size_t n;

    if (a[0] != '@')
        return strdup(a);
    f = fopen(a + 1, "re");
    if (!f)
        return NULL;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return strdup(buf);
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
     void *data)
{
    struct conv_state *st = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        int style = msg[i]->msg_style;

        if (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON) {
            if (st->next >= st->o->n_answers)
                goto fail;
            r[i].resp = load_answer(st->o->answers[st->next++]);
            if (!r[i].resp)
                goto fail;
            st->prompts++;
            if (st->o->out && st->o->threads <= 1 && !st->o->batch)
                fprintf(st->o->out, "prompt=%s\n", msg[i]->msg);
        } else if (st->o->out && st->o->threads <= 1 && !st->o->batch) {
            fprintf(st->o->out, "message=%s\n", msg[i]->msg);
        }
    }
    *resp = r;
    return PAM_SUCCESS;
fail:
    for (int i = 0; i < n; i++)
        free(r[i].resp);
    free(r);
    return PAM_CONV_ERR;
}

/* One login; returns 1 when pam_authenticate gave the expected code. */
static int
one_login(const struct opts *o)
{
    struct conv_state st = { o, 0, 0 };
    struct pam_conv c = { conv, &st };
    pam_handle_t *pamh = NULL;
    int rc, ok;
    char *tok = NULL;

    rc = pam_start_confdir(o->service, o->user, &c, o->confdir, &pamh);
    if (rc != PAM_SUCCESS) {
        if (o->out)
            fprintf(o->out, "pam_start=%s\n", code_name(rc));
        return 0;
    }
    if (o->rhost)
        pam_set_item(pamh, PAM_RHOST, o->rhost);
    if (o->authtok) {
        tok = load_answer(o->authtok);
        pam_set_item(pamh, PAM_AUTHTOK, tok);
        free(tok);
    }
    fail_countdown = o->fail_at;
    rc = pam_authenticate(pamh, 0);
    fail_countdown = 0;
    if (o->fail_at && o->out)
        fprintf(o->out, "injected=%d\n", fail_injected);
    ok = !o->expected || strcmp(code_name(rc), o->expected) == 0;
    if (o->out && o->batch)
        fprintf(o->out, "%s authenticate=%s prompts=%d\n", o->service,
                code_name(rc), st.prompts);
    else if (o->out && o->threads <= 1)
        fprintf(o->out, "authenticate=%s\n", code_name(rc));
    if (o->acct && o->out && o->threads <= 1) {
        fprintf(o->out, "setcred=%s\n",
                code_name(pam_setcred(pamh, PAM_ESTABLISH_CRED)));
        fprintf(o->out, "acct_mgmt=%s\n", code_name(pam_acct_mgmt(pamh, 0)));
        fprintf(o->out, "open_session=%s\n",
                code_name(pam_open_session(pamh, 0)));
        fprintf(o->out, "close_session=%s\n",
                code_name(pam_close_session(pamh, 0)));
        fprintf(o->out, "chauthtok=%s\n",
                code_name(pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK)));
    }
    if (o->env && o->out && o->threads <= 1) {
        char **env = pam_getenvlist(pamh);

        for (size_t i = 0; env && env[i]; i++) {
            fprintf(o->out, "env %s\n", env[i]);
            free(env[i]);
        }
        free(env);
    }
    pam_end(pamh, rc);
    return ok;
}

/* -b: one login per line, "SERVICE USER [ANSWER...]". */
static int
run_batch(struct opts *o, const char *path)
{
    char line[4096], *save = NULL, *w;
    FILE *f = fopen(path, "re");
    int n = 0;

    if (!f)
        return 2;
    o->batch = 1;
    while (n < 10000 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        o->service = strtok_r(line, " ", &save);
        o->user = strtok_r(NULL, " ", &save);
        if (!o->service || !o->user)
            continue;
        o->n_answers = 0;
        while ((w = strtok_r(NULL, " ", &save)) && o->n_answers < MAX_ANSWERS)
            o->answers[o->n_answers++] = w;
        one_login(o);
        n++;
    }
    fclose(f);
    return 0;
}

/* -F: one quiet login first, so that libcrypto's and libpam's one-time
   global set-up is done (as in sshd, which has used OpenSSL before PAM
   runs); OpenSSL 3.0 itself does not survive allocation failures inside
   that set-up.  Then the login with the failure armed. */
static int
oom_login(const struct opts *o)
{
    struct opts warm = *o;

    warm.fail_at = 0;
    warm.out = NULL;
    warm.expected = NULL;
    one_login(&warm);
    return one_login(o);
}

static void *
thread_main(void *arg)
{
    const struct opts *o = arg;
    long bad = 0;

    for (int i = 0; i < o->repeat; i++)
        bad += !(o->fail_at ? oom_login(o) : one_login(o));
    return (void *)bad;
}

int
main(int argc, char **argv)
{
    struct opts o = { .repeat = 1, .threads = 1 };
    const char *logfile = NULL, *outfile = NULL, *batch = NULL;
    pthread_t th[64];
    long bad = 0;
    int c;

    while ((c = getopt(argc, argv, "d:s:u:p:a:r:l:o:x:n:t:b:F:AE")) != -1) {
        switch (c) {
        case 'd': o.confdir = optarg; break;
        case 's': o.service = optarg; break;
        case 'u': o.user = optarg; break;
        case 'p':
            if (o.n_answers < MAX_ANSWERS)
                o.answers[o.n_answers++] = optarg;
            break;
        case 'a': o.authtok = optarg; break;
        case 'r': o.rhost = optarg; break;
        case 'l': logfile = optarg; break;
        case 'o': outfile = optarg; break;
        case 'x': o.expected = optarg; break;
        case 'n': o.repeat = atoi(optarg); break;
        case 't': o.threads = atoi(optarg); break;
        case 'b': batch = optarg; break;
        case 'F': o.fail_at = atol(optarg); break;
        case 'A': o.acct = 1; break;
        case 'E': o.env = 1; break;
        default: return 2;
        }
    }
    if (!o.confdir || (!batch && (!o.service || !o.user)) || o.repeat < 1 ||
        o.threads < 1 || o.threads > 64)
        return 2;
    if (logfile) {
        log_fp = fopen(logfile, "ae");
        if (!log_fp)
            return 2;
    }
    o.out = outfile ? fopen(outfile, "we") : stdout;
    if (!o.out)
        return 2;

    if (batch) {
        bad = run_batch(&o, batch);
    } else if (o.threads == 1) {
        bad = (long)thread_main(&o);
    } else {
        for (int i = 0; i < o.threads; i++)
            if (pthread_create(&th[i], NULL, thread_main, &o) != 0)
                return 2;
        for (int i = 0; i < o.threads; i++) {
            void *r;

            pthread_join(th[i], &r);
            bad += (long)r;
        }
        fprintf(o.out, "threads=%d repeat=%d unexpected=%ld\n", o.threads,
                o.repeat, bad);
    }
    if (o.out != stdout)
        fclose(o.out);
    if (log_fp)
        fclose(log_fp);
    return o.expected && bad ? 1 : 0;
}
