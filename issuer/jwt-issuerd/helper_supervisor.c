/*
 * helper_supervisor.c: the PAM supervisor process (see helper_supervisor.h): it
 * keeps pam_workers helpers alive and hands each to the daemon, kills one
 * that is busy past pam_timeout, re-reads its PAM settings on SIGHUP, and
 * ends every helper (and whatever they started) when the daemon goes.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "issuer_conf.h"
#include "log.h"
#include "helper_guard.h"
#include "helper.h"
#include "helper_supervisor.h"

/* After pam_timeout the daemon gives up on a helper; the supervisor kills
   it this much later, so that the daemon has answered 503 by then. */
#define KILL_GRACE_NS (1000ull * 1000000ull)
/* Helpers that die before their first request, in a row: the supervisor
   cannot keep helpers and exits, and the daemon with it. */
#define MAX_EARLY_DEATHS 10
#define RESPAWN_PAUSE_NS (200ull * 1000000ull)

static int
send_fd(int ctl, int slot, int fd)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    int32_t s = slot;
    struct iovec iov = { &s, sizeof(s) };
    struct msghdr mh = { 0 };
    struct cmsghdr *cm;

    memset(cbuf, 0, sizeof(cbuf));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    return sendmsg(ctl, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(s) ? 0 : -1;
}

int
helper_supervisor_recv(int ctl, int *slot, int *fd)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    int32_t s;
    struct iovec iov = { &s, sizeof(s) };
    struct msghdr mh = { 0 };
    struct cmsghdr *cm;
    ssize_t n;

    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
    if (n != (ssize_t)sizeof(s))
        return -1;
    cm = CMSG_FIRSTHDR(&mh);
    if (cm == NULL || cm->cmsg_type != SCM_RIGHTS
        || cm->cmsg_len != CMSG_LEN(sizeof(int)))
        return -1;
    memcpy(fd, CMSG_DATA(cm), sizeof(int));
    *slot = s;
    return 0;
}

int
helper_supervisor_reload(int ctl)
{
    return send(ctl, "H", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 ? 0 : -1;
}

/* The supervisor's view of its helpers. */
static struct {
    int ctl, sfd, n;
    const char *path;
    pid_t pid[GUARD_MAX_SLOTS];      /* 0: none (waiting for respawn_at) */
    uint64_t started[GUARD_MAX_SLOTS];
    uint64_t respawn_at[GUARD_MAX_SLOTS];
    int early_deaths;
} S;

static void
kill_helper(int i)
{
    if (S.pid[i] > 0) {
        kill(-S.pid[i], SIGKILL);   /* its group: programs PAM started too */
        kill(S.pid[i], SIGKILL);
    }
}

static int
is_helper(pid_t pid)
{
    int i;

    for (i = 0; i < S.n; i++)
        if (S.pid[i] == pid)
            return 1;
    return 0;
}

/*
 * A program PAM started can outlive its helper: pam_exec makes it a session
 * leader, out of reach of the kill of the helper's process group.  The
 * supervisor is the subreaper of its helpers' descendants, so such an
 * orphan is now its child: end every child that is not a helper.  Called
 * when a helper has died; reaped like any child.
 */
static void
kill_orphans(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t self = getpid();

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[300], buf[512], *p;
        long pid, ppid;
        FILE *f;
        size_t n;

        pid = strtol(e->d_name, &p, 10);
        if (*p != '\0' || pid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        if ((f = fopen(path, "re")) == NULL)
            continue;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* pid (comm) state ppid ...; comm may hold anything but ends at
           the last ')'. */
        if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %ld", &ppid) != 1)
            continue;
        if (ppid == (long)self && !is_helper((pid_t)pid)) {
            log_warn("killing %ld, left behind by a PAM helper", pid);
            kill((pid_t)pid, SIGKILL);
        }
    }
    closedir(d);
}

static void __attribute__((noreturn))
supervisor_exit(int code)
{
    uint64_t until = guard_now_ns() + 2000ull * 1000000ull;
    int i, left, status;

    /* Idle helpers exit on their own when the daemon's ends close; a busy
       one works for nobody now. */
    for (i = 0; i < S.n; i++)
        if (S.pid[i] > 0 && (code != 0 || guard_slot_busy_since(i) != 0))
            kill_helper(i);
    kill_orphans();
    for (;;) {
        pid_t pid = waitpid(-1, &status, WNOHANG);

        for (i = 0; pid > 0 && i < S.n; i++)
            if (S.pid[i] == pid)
                S.pid[i] = 0;
        for (i = 0, left = 0; i < S.n; i++)
            left += S.pid[i] > 0;
        if (left == 0 || pid < 0)
            break;
        if (pid == 0) {
            struct timespec tick = { 0, 20 * 1000 * 1000 };

            if (guard_now_ns() > until) {
                for (i = 0; i < S.n; i++)
                    kill_helper(i);
                kill_orphans();
            }
            nanosleep(&tick, NULL);
        }
    }
    close(S.sfd);
    close(S.ctl);
    _exit(code);
}

static void
spawn(int slot)
{
    int sv[2];
    pid_t pid;

    S.pid[slot] = 0;
    S.started[slot] = guard_now_ns();
    guard_slot_reset(slot);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        pid = -1;
    } else {
        pid = fork();
        if (pid == 0) {
            close(S.ctl);
            close(S.sfd);
            close(sv[0]);
            /* Its own process group, so that a kill reaches whatever PAM
               started too. */
            setpgid(0, 0);
            helper_main(sv[1], slot);
        }
        close(sv[1]);
        if (pid > 0) {
            S.pid[slot] = pid;
            setpgid(pid, pid);
            if (send_fd(S.ctl, slot, sv[0]) != 0) {
                close(sv[0]);
                supervisor_exit(0);     /* the daemon is gone */
            }
        }
        close(sv[0]);
    }
    if (pid < 0) {
        log_err("cannot start a PAM helper: %s", strerror(errno));
        S.respawn_at[slot] = guard_now_ns() + RESPAWN_PAUSE_NS;
        if (++S.early_deaths >= MAX_EARLY_DEATHS) {
            log_err("cannot keep PAM helpers running; exiting");
            supervisor_exit(1);
        }
        return;
    }
    S.pid[slot] = pid;
}

/* The daemon closes the control socket before the helpers' sockets when
   it stops (helper_pool_stop): a hang-up here means helpers exiting now
   are the shutdown, not a failure. */
static int
daemon_stopping(void)
{
    struct pollfd pf = { S.ctl, POLLIN, 0 };

    return poll(&pf, 1, 0) == 1 && (pf.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

static void
reap(void)
{
    siginfo_t si;
    int status, i;

    for (;;) {
        uint64_t now = guard_now_ns();
        pid_t pid;

        /* Look before reaping: while the helper is a zombie its pid cannot
           be reused, so killing its process group (whatever PAM started
           and left behind) cannot hit anybody else. */
        memset(&si, 0, sizeof(si));
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0
            || si.si_pid == 0)
            return;
        pid = si.si_pid;
        kill(-pid, SIGKILL);
        if (waitpid(pid, &status, 0) != pid)
            return;
        for (i = 0; i < S.n && S.pid[i] != pid; i++)
            ;
        if (i == S.n)
            continue;       /* an orphan kill_orphans ended */
        S.pid[i] = 0;
        kill_orphans();
        if (daemon_stopping()) {
            log_debug("PAM helper %ld ended with the daemon", (long)pid);
            supervisor_exit(0);
        }
        if (WIFSIGNALED(status))
            log_err("PAM helper %ld killed by signal %d; respawning",
                    (long)pid, WTERMSIG(status));
        else
            log_warn("PAM helper %ld exited with %d; respawning", (long)pid,
                     WEXITSTATUS(status));
        if (guard_slot_used(i)) {
            S.early_deaths = 0;
        } else if (++S.early_deaths >= MAX_EARLY_DEATHS) {
            log_err("cannot keep PAM helpers running: %d in a row died before "
                    "their first request; exiting", S.early_deaths);
            supervisor_exit(1);
        }
        /* A module that crashes at once must not make us spin. */
        S.respawn_at[i] = now - S.started[i] < 1000000000ull ? now + RESPAWN_PAUSE_NS
                                                            : now;
    }
}

/* The supervisor's own reading of the configuration, as root: what PAM
   runs is never the HTTP side's choice. */
static void
reload(void)
{
    struct issuer_conf *c;
    pjwt_err err;

    pjwt_err_clear(&err);
    c = issuer_conf_load(S.path, &err);
    if (c != NULL && issuer_conf_check_pam(c, &err) != 0) {
        issuer_conf_free(c);
        c = NULL;
    }
    if (c == NULL) {
        log_err("PAM supervisor: reload failed, keeping the running PAM "
                "settings: %s", err.msg);
        return;
    }
    if (guard_conf_set(c) != 0)
        log_err("PAM supervisor: pam_service or pam_confdir too long; keeping "
                "the running PAM settings");
    else
        log_info("PAM supervisor: service %s%s%s", c->pam_service,
                 c->pam_confdir ? " in " : "", c->pam_confdir ? c->pam_confdir : "");
    issuer_conf_free(c);
}

static void
ctl_read(void)
{
    char msg[16];
    ssize_t n = recv(S.ctl, msg, sizeof(msg), MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0)
        supervisor_exit(0);     /* EOF: the daemon exited */
    if (n == 1 && msg[0] == 'H')
        reload();
    else
        log_warn("PAM supervisor: ignored an unexpected control message");
}

/* Kill helpers past pam_timeout; respawn empty slots that are due.
   Returns the poll timeout until the next such event (ms, -1: none). */
static int
tick(void)
{
    struct guard_conf gc;
    uint64_t now = guard_now_ns(), next = UINT64_MAX;
    int i;

    guard_conf_get(&gc);
    for (i = 0; i < S.n; i++) {
        uint64_t since, due;

        if (S.pid[i] == 0 && S.respawn_at[i] <= now) {
            spawn(i);
            now = guard_now_ns();
        }
        since = guard_slot_busy_since(i);
        if (S.pid[i] == 0) {
            due = S.respawn_at[i];
        } else if (since != 0) {
            due = since + (uint64_t)gc.timeout_s * 1000000000ull + KILL_GRACE_NS;
            if (due <= now) {
                log_err("PAM helper %ld: no answer after pam_timeout (%ld s); "
                        "killing it", (long)S.pid[i], gc.timeout_s);
                kill_helper(i);
                continue;
            }
        } else {
            continue;
        }
        if (due < next)
            next = due;
    }
    if (next == UINT64_MAX)
        return -1;
    return next <= now ? 0 : (int)((next - now) / 1000000u) + 1;
}

static void __attribute__((noreturn))
supervisor_main(int ctl, const struct issuer_conf *c)
{
    sigset_t set;
    int i;

    /* Drop every inherited descriptor (sockets from systemd, logs) but
       stdio and the control socket. */
    if (ctl != 3) {
        dup2(ctl, 3);
        close(ctl);
        ctl = 3;
    }
    close_range(4, ~0U, 0);
    S.ctl = ctl;
    S.n = (int)c->pam_workers;
    S.path = c->path;
    /* Whatever PAM starts and leaves behind becomes ours to end. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* The daemon decides when to stop: the supervisor ends its helpers when
       the daemon's end of the control socket closes, so that logins in
       flight drain.  SIGHUP re-reads the configuration (systemd sends it to
       the main process, which forwards it over the control socket; a
       SIGHUP sent here directly does the same). */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_SETMASK, &set, NULL);
    S.sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (S.sfd < 0 || guard_init() != 0 || guard_conf_set(c) != 0) {
        log_err("PAM supervisor: cannot set up: %s", strerror(errno));
        _exit(1);
    }
    for (i = 0; i < S.n; i++)
        spawn(i);
    for (;;) {
        struct pollfd pf[2] = { { S.ctl, POLLIN, 0 }, { S.sfd, POLLIN, 0 } };
        int timeout = tick();

        /* Helpers go busy without telling the supervisor: while any is
           alive, look at least once a second (pam_timeout is in seconds). */
        for (i = 0; i < S.n; i++)
            if (S.pid[i] > 0 && (timeout < 0 || timeout > 1000))
                timeout = 1000;
        if (poll(pf, 2, timeout) < 0 && errno != EINTR)
            _exit(1);
        if (pf[0].revents != 0)
            ctl_read();
        if (pf[1].revents != 0) {
            struct signalfd_siginfo si;

            /* One record per pending signal; reap() collects every child
               that has exited, however many SIGCHLDs were merged. */
            if (read(S.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGHUP)
                    reload();
                else
                    reap();
            }
        }
    }
}

pid_t
helper_supervisor_start(const struct issuer_conf *c, int *ctl)
{
    int sv[2];
    pid_t pid;

    if (c->pam_workers < 1 || c->pam_workers > GUARD_MAX_SLOTS)
        return -1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        supervisor_main(sv[1], c);
    }
    close(sv[1]);
    *ctl = sv[0];
    return pid;
}
