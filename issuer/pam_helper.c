/*
 * pam_helper.c: the supervisor and helper processes (see pam_helper.h).
 *
 * A helper checks each request (pam_proto.c's strict decoding, a name a
 * token can carry), asks the guard (pam_guard.h) whether the user may try
 * now, and runs pam_start[_confdir] -> PAM_RHOST -> pam_authenticate
 * (PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK) -> pam_acct_mgmt -> pam_end with
 * the service and confdir the supervisor read.  It installs a
 * PAM_FAIL_DELAY callback so libpam never sleeps: the helper decides the
 * failure delay (faildelay.h) and the daemon holds the answer for it as a
 * timer on the suspended connection, while the guard keeps the user from
 * trying again meanwhile.  The password is cleansed as soon as PAM has
 * returned.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <link.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <security/pam_appl.h>

#include "faildelay.h"
#include "issuer_conf.h"
#include "log.h"
#include "pam_guard.h"
#include "pam_helper.h"
#include "pam_proto.h"
#include "signer.h"

/* After pam_timeout the daemon gives up on a helper; the supervisor kills
   it this much later, so that the daemon has answered 503 by then. */
#define KILL_GRACE_NS (1000ull * 1000000ull)
/* Helpers that die before their first request, in a row: the supervisor
   cannot keep helpers and exits, and the daemon with it. */
#define MAX_EARLY_DEATHS 10
#define RESPAWN_PAUSE_NS (200ull * 1000000ull)

struct conv_data {
    const char *password;
    const char *otp;
    int prompts;
    unsigned asked_usec;
};

/*
 * First prompt: the password.  Second prompt (an OTP module): the otp form
 * field, or fail.  Informational messages are ignored (PAM_SILENT).
 */
static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
     void *appdata)
{
    struct conv_data *cd = appdata;
    struct pam_response *r;
    int i;

    if (n <= 0 || n > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (i = 0; i < n; i++) {
        const char *ans;

        switch (msg[i]->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON:
            ans = cd->prompts == 0 ? cd->password
                  : (cd->prompts == 1 && cd->otp[0] != '\0') ? cd->otp : NULL;
            cd->prompts++;
            if (ans == NULL || (r[i].resp = strdup(ans)) == NULL)
                goto fail;
            break;
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
            break;
        default:
            goto fail;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
fail:
    for (i = 0; i < n; i++)
        if (r[i].resp != NULL) {
            OPENSSL_cleanse(r[i].resp, strlen(r[i].resp));
            free(r[i].resp);
        }
    free(r);
    return PAM_CONV_ERR;
}

/* libpam calls this instead of sleeping after a failure. */
static void
fail_delay(int retval, unsigned usec, void *appdata)
{
    struct conv_data *cd = appdata;

    (void)retval;
    cd->asked_usec = usec;
}

static void
add_groups(const char *user, struct proto_reply *p)
{
    struct passwd pw, *pwp = NULL;
    struct group gr, *grp = NULL;
    char buf[16384];
    gid_t gids[256];
    int ng = 256, i;

    if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
        return;
    if (getgrouplist(user, pw.pw_gid, gids, &ng) < 0)
        ng = 256;   /* truncated list: keep what fits */
    for (i = 0; i < ng && p->ngroups < PROTO_MAX_GROUPS; i++) {
        if (getgrgid_r(gids[i], &gr, buf, sizeof(buf), &grp) != 0 || grp == NULL)
            continue;
        if (!signer_name_ok(grp->gr_name, ISSUER_MAX_GROUP_LEN))
            continue;
        snprintf(p->groups[p->ngroups++], PROTO_NAME_MAX, "%s", grp->gr_name);
    }
}

static int
pin_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    if (info->dlpi_name != NULL && info->dlpi_name[0] != '\0')
        dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
    return 0;
}

static int
count_adds(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(unsigned long long *)arg = info->dlpi_adds;
    return 1;
}

/*
 * pam_end() dlcloses every module and the next pam_start() maps it again:
 * that unmap/map (TLB flushes, relocations) was more than half the cost of
 * a pam_permit login.  Marking the modules RTLD_NODELETE once they are
 * loaded keeps them mapped for the helper's life, as in any long-running
 * PAM application that keeps a handle open; each transaction still gets its
 * own pam_start/pam_end.  Only rescans when the loader has added objects.
 */
static void
pin_modules(void)
{
    static unsigned long long seen;
    unsigned long long adds = 0;

    dl_iterate_phdr(count_adds, &adds);
    if (adds == seen)
        return;
    seen = adds;
    dl_iterate_phdr(pin_one, NULL);
}

static void
run_pam(struct proto_req *q, const struct guard_conf *gc, struct proto_reply *p)
{
    struct conv_data cd = { q->password, q->otp, 0, 0 };
    struct pam_conv pc = { conv, &cd };
    pam_handle_t *ph = NULL;
    const void *item = NULL;
    int rc;

    p->outcome = PAM_OUT_ERROR;
    if (gc->confdir[0] != '\0')
        rc = pam_start_confdir(gc->service, q->user, &pc, gc->confdir, &ph);
    else
        rc = pam_start(gc->service, q->user, &pc, &ph);
    if (rc != PAM_SUCCESS) {
        p->pam_rc = rc;
        snprintf(p->reason, sizeof(p->reason), "pam_start: %s",
                 pam_strerror(NULL, rc));
        ph = NULL;
        goto out;
    }
    if ((rc = pam_set_item(ph, PAM_RHOST, q->rhost)) != PAM_SUCCESS
        || (rc = pam_set_item(ph, PAM_FAIL_DELAY, (const void *)fail_delay))
               != PAM_SUCCESS) {
        snprintf(p->reason, sizeof(p->reason), "pam_set_item: %s",
                 pam_strerror(ph, rc));
        goto out;
    }
    rc = pam_authenticate(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    /* The password is not needed any more, whatever happened. */
    OPENSSL_cleanse(q->password, sizeof(q->password));
    OPENSSL_cleanse(q->otp, sizeof(q->otp));
    p->pam_rc = rc;
    if (rc != PAM_SUCCESS) {
        switch (rc) {
        case PAM_ABORT: case PAM_BUF_ERR: case PAM_SYSTEM_ERR:
        case PAM_SERVICE_ERR: case PAM_AUTHINFO_UNAVAIL:
            p->outcome = PAM_OUT_ERROR;
            break;
        default:
            p->outcome = PAM_OUT_DENIED;
        }
        snprintf(p->reason, sizeof(p->reason), "%s", pam_strerror(ph, rc));
        goto out;
    }
    rc = pam_acct_mgmt(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    p->pam_rc = rc;
    if (rc == PAM_NEW_AUTHTOK_REQD) {
        p->outcome = PAM_OUT_AUTHTOK_EXPIRED;
        snprintf(p->reason, sizeof(p->reason), "password expired, change required");
        goto out;
    }
    if (rc == PAM_ACCT_EXPIRED) {
        p->outcome = PAM_OUT_ACCT_EXPIRED;
        snprintf(p->reason, sizeof(p->reason), "account expired");
        goto out;
    }
    if (rc != PAM_SUCCESS) {
        p->outcome = PAM_OUT_ACCT_DENIED;
        snprintf(p->reason, sizeof(p->reason), "account: %s", pam_strerror(ph, rc));
        goto out;
    }
    /* A module may map the login name: the token is for PAM_USER. */
    if (pam_get_item(ph, PAM_USER, &item) != PAM_SUCCESS || item == NULL) {
        snprintf(p->reason, sizeof(p->reason), "no PAM_USER");
        goto out;
    }
    snprintf(p->user, sizeof(p->user), "%s", (const char *)item);
    /* Only now, and only for the user PAM authenticated: nothing in the
       request names whose groups are read.  NSS group lookups cost more
       than the rest of a pam_permit login: only when the token carries
       groups. */
    if (q->flags & PROTO_WANT_GROUPS)
        add_groups(p->user, p);
    p->outcome = PAM_OUT_OK;
    snprintf(p->reason, sizeof(p->reason), "authenticated");
out:
    OPENSSL_cleanse(q->password, sizeof(q->password));
    OPENSSL_cleanse(q->otp, sizeof(q->otp));
    p->asked_usec = cd.asked_usec;
    if (ph != NULL) {
        pin_modules();
        pam_end(ph, p->pam_rc);
    }
}

/* NULL when the decoded request is one the daemon could have sent, else
   why not: the daemon refuses such names before it asks a helper. */
static const char *
request_refusal(const struct proto_req *q)
{
    size_t i;

    if (!signer_name_ok(q->user, ISSUER_MAX_USER_LEN))
        return "user name not acceptable";
    for (i = 0; q->rhost[i] != '\0'; i++)
        if ((unsigned char)q->rhost[i] <= 0x20 || (unsigned char)q->rhost[i] >= 0x7f
            || i >= 64)
            return "malformed rhost";
    return NULL;
}

/* One well-formed request: guard, PAM, guard. */
static void
serve(struct proto_req *q, struct proto_reply *p)
{
    struct guard_conf gc;
    enum guard_verdict v;
    const char *why;
    char user[80];

    guard_conf_get(&gc);
    if ((why = request_refusal(q)) != NULL) {
        p->outcome = PAM_OUT_ERROR;
        snprintf(p->reason, sizeof(p->reason), "request refused: %s", why);
        log_warn("PAM helper: refused a request from the HTTP side: %s", why);
        return;
    }
    v = guard_admit(q->user, &gc);
    if (v != GUARD_OK) {
        p->outcome = PAM_OUT_DENIED;
        snprintf(p->reason, sizeof(p->reason), "refused before PAM: %s",
                 guard_verdict_str(v));
        p->delay_usec = faildelay_usec(gc.fail_delay_ms, guard_asked());
        log_info("PAM helper: user=%s refused before PAM: %s",
                 log_sanitize(q->user, user, sizeof(user)), guard_verdict_str(v));
        return;
    }
    run_pam(q, &gc, p);
    if (p->asked_usec > 0)
        guard_asked_set(p->asked_usec);
    if (p->outcome != PAM_OUT_OK)
        p->delay_usec = faildelay_usec(gc.fail_delay_ms, p->asked_usec > 0
                                                             ? p->asked_usec
                                                             : guard_asked());
    guard_done(q->user, p->outcome != PAM_OUT_OK, p->delay_usec);
}

/*
 * Everything the supervisor set up for itself goes: a PAM module, and any
 * program it runs (pam_exec), starts with default signal dispositions and
 * an empty mask, not with the supervisor's SIG_IGN (which survives exec).
 */
static void
reset_signals(void)
{
    struct sigaction sa;
    sigset_t none;
    int s;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL);    /* EINVAL for libc's own: fine */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void __attribute__((noreturn))
helper_main(int fd, int slot)
{
    static uint8_t buf[PROTO_MAX_MSG];
    static struct proto_req q;
    static struct proto_reply p;
    size_t len;

    for (;;) {
        struct iovec iov = { buf, sizeof(buf) };
        struct msghdr mh = { 0 };
        ssize_t n;

        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        /* MSG_TRUNC: the real length of a datagram too large for buf. */
        n = recvmsg(fd, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);  /* the daemon is gone (no fd outlives us, for
                           valgrind --track-fds) */
            _exit(0);
        }
        guard_slot_busy(slot, 1);
        memset(&p, 0, sizeof(p));
        if ((size_t)n > sizeof(buf) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
            || proto_req_decode(buf, (size_t)n, &q) != 0) {
            /* Not something the daemon sends: refused whole, PAM unseen. */
            if ((size_t)n >= sizeof(p.seq))
                memcpy(&p.seq, buf, sizeof(p.seq));
            p.outcome = PAM_OUT_ERROR;
            snprintf(p.reason, sizeof(p.reason), "malformed request refused");
            log_warn("PAM helper: refused a malformed request (%zd bytes%s) "
                     "from the HTTP side", n,
                     (mh.msg_flags & MSG_CTRUNC) ? ", with ancillary data" : "");
        } else {
            p.seq = q.seq;
            serve(&q, &p);
        }
        OPENSSL_cleanse(buf, sizeof(buf));
        OPENSSL_cleanse(&q, sizeof(q));
        len = proto_reply_encode(&p, buf);
        guard_slot_busy(slot, 0);
        if (len == 0 || send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
            _exit(3);
    }
}

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
pam_supervisor_recv(int ctl, int *slot, int *fd)
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
pam_supervisor_reload(int ctl)
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
            reset_signals();
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
pam_supervisor_start(const struct issuer_conf *c, int *ctl)
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
