/*
 * tty.c: a line from the user's terminal, echo off for secrets, in the
 * manner of OpenSSH's readpassphrase: /dev/tty, not stdin (stdin may be a
 * pipe to ssh or rsync), and the terminal always left as it was found,
 * also when SIGINT or SIGTERM arrive while we wait (restore, then
 * re-raise, so the shell sees the signal's usual exit).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "client.h"
#include "ctl.h"

static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                                   SIGTSTP, SIGTTIN, SIGTTOU };
#define NSIG_TTY (sizeof(tty_signals) / sizeof(tty_signals[0]))

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
    got_signal = sig;
}

int
ctl_fd_line(int fd, const char *what, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t k;
    char ch;

    for (;;) {
        k = read(fd, &ch, 1);
        if (k < 0 && errno == EINTR && !got_signal)
            continue;
        if (k < 0) {
            OPENSSL_cleanse(buf, cap);
            if (!got_signal)
                ctl_err("%s: %s", what, strerror(errno));
            return -1;
        }
        if (k == 0 || ch == '\n')
            break;
        if (n + 1 >= cap) {
            /* Refused, not cut: a shortened password would fail later
               with a less helpful message. */
            OPENSSL_cleanse(buf, cap);
            ctl_err("%s: line too long (at most %zu bytes)", what, cap - 1);
            return -1;
        }
        buf[n++] = ch;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    return (k == 0 && n == 0) ? 1 : 0;
}

int
ctl_tty_read(const char *prompt, int echo, char *buf, size_t cap)
{
    struct sigaction sa, old[NSIG_TTY];
    struct termios saved, quiet;
    int fd, r = -1, restore = 0, rc, sig;
    size_t i;

    if (cap == 0)
        return -1;
    buf[0] = '\0';
    if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        ctl_err("no terminal to ask on (/dev/tty: %s)", strerror(errno));
        return -1;
    }
    /* Handlers first, then echo off: a signal between the two would
       otherwise leave the terminal silent. */
    got_signal = 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;    /* no SA_RESTART: the read must return EINTR */
    for (i = 0; i < NSIG_TTY; i++)
        sigaction(tty_signals[i], &sa, &old[i]);
    if (!echo && tcgetattr(fd, &saved) == 0) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
            restore = 1;
    }
    if (!echo && !restore) {
        ctl_err("/dev/tty: cannot turn echo off");
        goto out;
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        ctl_err("/dev/tty: %s", strerror(errno));
        goto out;
    }
    rc = ctl_fd_line(fd, "/dev/tty", buf, cap);
    if (rc == 0)
        r = 0;
    else if (rc == 1)
        ctl_err("/dev/tty: end of input");
out:
    if (restore) {
        while (tcsetattr(fd, TCSAFLUSH, &saved) < 0 && errno == EINTR)
            ;
        /* The user's Enter was not echoed: end the prompt's line (best
           effort: the answer is already read). */
        (void)!write(fd, "\n", 1);
    }
    close(fd);
    for (i = 0; i < NSIG_TTY; i++)
        sigaction(tty_signals[i], &old[i], NULL);
    if ((sig = got_signal) != 0) {
        OPENSSL_cleanse(buf, cap);
        /* The terminal is back; now die (or stop) as the signal meant. */
        raise(sig);
        r = -1;
    }
    return r;
}
