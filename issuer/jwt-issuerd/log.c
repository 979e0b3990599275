/*
 * log.c: one line per event on stderr.  A line is built in a local buffer
 * and written with one write(2) so lines from several threads never
 * interleave.  When stderr is the journal the line is "<N>message"
 * (sd-daemon(3)): journald adds time, tag and pid itself and files the line
 * under priority N, so `journalctl -p err` finds errors.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level min_level = LOG_LVL_INFO;
/* getpid() is a system call on current glibc and every login logs a line:
   cache it, and forget it in a forked child (the PAM supervisor, helpers). */
static pid_t cached_pid;

static void
forget_pid(void)
{
    __atomic_store_n(&cached_pid, 0, __ATOMIC_RELAXED);
}

/* Set once, before any thread, and inherited by the forked supervisor and
   helpers, which share the same stderr. */
static int to_journal;

/*
 * systemd sets JOURNAL_STREAM=DEV:INO when it connects stdout or stderr to
 * the journal; the variable is inherited by whatever the service starts,
 * so it only counts when stderr is still that very stream (systemd.exec(5)).
 */
static int
stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char tail;

    if (js == NULL || sscanf(js, "%llu:%llu%c", &dev, &ino, &tail) != 2)
        return 0;
    if (fstat(STDERR_FILENO, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

__attribute__((constructor)) static void
log_init(void)
{
    pthread_atfork(NULL, NULL, forget_pid);
    to_journal = stderr_is_journal();
}

static pid_t
log_pid(void)
{
    pid_t p = __atomic_load_n(&cached_pid, __ATOMIC_RELAXED);

    if (p == 0) {
        p = getpid();
        __atomic_store_n(&cached_pid, p, __ATOMIC_RELAXED);
    }
    return p;
}

static const char *const level_name[] = { "debug", "info", "warning", "error" };
/* sd-daemon(3) SD_DEBUG, SD_INFO, SD_WARNING, SD_ERR. */
static const char *const level_prefix[] = { "<7>", "<6>", "<4>", "<3>" };

void
log_set_level(enum log_level lvl)
{
    min_level = lvl;
}

void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int k;

    if (lvl < min_level)
        return;
    if (to_journal) {
        n = strlen(level_prefix[lvl]);
        memcpy(line, level_prefix[lvl], n);
    } else {
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
        k = snprintf(line + n, sizeof(line) - n, " jwt-issuerd[%ld]: %s: ",
                     (long)log_pid(), level_name[lvl]);
        if (k > 0)
            n += (size_t)k;
    }
    k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    if (k > 0)
        n += (size_t)k < sizeof(line) - n - 1 ? (size_t)k : sizeof(line) - n - 2;
    line[n++] = '\n';
    /* Nothing useful can be done when stderr is gone. */
    if (write(STDERR_FILENO, line, n) < 0)
        return;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(lvl, fmt, ap);
    va_end(ap);
}
