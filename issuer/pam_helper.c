/*
 * pam_helper.c: the supervisor and helper processes (see pam_helper.h).
 *
 * A helper runs pam_start[_confdir] -> PAM_RHOST -> pam_authenticate
 * (PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK) -> pam_acct_mgmt -> pam_end for
 * each request.  It installs a PAM_FAIL_DELAY callback so libpam never
 * sleeps: the delay PAM asks for is sent back and the daemon serves it as a
 * timer on the suspended connection.  The password is cleansed as soon as
 * PAM has returned.
 */
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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <security/pam_appl.h>

#include "issuer_conf.h"
#include "log.h"
#include "pam_helper.h"
#include "pam_proto.h"
#include "signer.h"

struct conv_data {
    const char *password;
    const char *otp;
    int prompts;
    unsigned delay_usec;
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
    cd->delay_usec = usec;
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
run_pam(struct proto_req *q, struct proto_reply *p)
{
    struct conv_data cd = { q->password, q->otp, 0, 0 };
    struct pam_conv pc = { conv, &cd };
    pam_handle_t *ph = NULL;
    const void *item = NULL;
    int rc;

    p->outcome = PAM_OUT_ERROR;
    if (q->confdir[0] != '\0')
        rc = pam_start_confdir(q->service, q->user, &pc, q->confdir, &ph);
    else
        rc = pam_start(q->service, q->user, &pc, &ph);
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
    /* NSS group lookups cost more than the rest of a pam_permit login:
       only when the token carries groups. */
    if (q->flags & PROTO_WANT_GROUPS)
        add_groups(p->user, p);
    p->outcome = PAM_OUT_OK;
    snprintf(p->reason, sizeof(p->reason), "authenticated");
out:
    OPENSSL_cleanse(q->password, sizeof(q->password));
    OPENSSL_cleanse(q->otp, sizeof(q->otp));
    p->delay_usec = cd.delay_usec;
    if (ph != NULL) {
        pin_modules();
        pam_end(ph, p->pam_rc);
    }
}

static void __attribute__((noreturn))
helper_main(int fd)
{
    static uint8_t buf[PROTO_MAX_MSG];
    static struct proto_req q;
    static struct proto_reply p;
    ssize_t n;
    size_t len;

    for (;;) {
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);  /* the daemon is gone (no fd outlives us, for
                           valgrind --track-fds) */
            _exit(0);
        }
        memset(&p, 0, sizeof(p));
        if (proto_req_decode(buf, (size_t)n, &q) != 0) {
            OPENSSL_cleanse(buf, sizeof(buf));
            OPENSSL_cleanse(&q, sizeof(q));
            _exit(2);
        }
        OPENSSL_cleanse(buf, (size_t)n);
        p.seq = q.seq;
        run_pam(&q, &p);
        OPENSSL_cleanse(&q, sizeof(q));
        len = proto_reply_encode(&p, buf);
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

static pid_t
spawn(int ctl, int sfd, int slot)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        sigset_t none;

        close(ctl);
        close(sfd);
        close(sv[0]);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        helper_main(sv[1]);
    }
    close(sv[1]);
    if (pid > 0 && send_fd(ctl, slot, sv[0]) != 0) {
        close(sv[0]);
        return -2;
    }
    close(sv[0]);
    return pid;
}

static void __attribute__((noreturn))
supervisor_main(int ctl, int nworkers)
{
    pid_t pids[256];
    struct timespec last[256];
    sigset_t chld;
    int sfd, i;

    /* Drop every inherited descriptor (sockets from systemd, logs) but
       stdio and the control socket. */
    if (ctl != 3) {
        dup2(ctl, 3);
        close(ctl);
        ctl = 3;
    }
    close_range(4, ~0U, 0);
    /* The daemon decides when to stop: helpers end on EOF, not on the
       SIGTERM systemd sends to the whole group, so in-flight logins drain. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_SETMASK, &chld, NULL);
    sfd = signalfd(-1, &chld, SFD_CLOEXEC);
    if (sfd < 0)
        _exit(1);
    for (i = 0; i < nworkers; i++) {
        pids[i] = spawn(ctl, sfd, i);
        clock_gettime(CLOCK_MONOTONIC, &last[i]);
        if (pids[i] == -2)
            _exit(0);
    }
    for (;;) {
        struct pollfd pf[2] = { { ctl, POLLIN, 0 }, { sfd, POLLIN, 0 } };
        struct signalfd_siginfo si;
        int status;
        pid_t pid;

        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            _exit(1);
        if (pf[0].revents != 0) {
            close(sfd); /* EOF: the daemon exited */
            close(ctl);
            _exit(0);
        }
        if (pf[1].revents == 0)
            continue;
        if (read(sfd, &si, sizeof(si)) < 0)
            continue;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (i = 0; i < nworkers && pids[i] != pid; i++)
                ;
            if (i == nworkers)
                continue;
            if (WIFSIGNALED(status))
                log_err("PAM helper %ld killed by signal %d; respawning",
                        (long)pid, WTERMSIG(status));
            else
                log_warn("PAM helper %ld exited with %d; respawning", (long)pid,
                         WEXITSTATUS(status));
            {
                struct timespec now;

                /* A module that crashes at once must not make us spin. */
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - last[i].tv_sec < 1) {
                    struct timespec pause = { 0, 200 * 1000 * 1000 };

                    nanosleep(&pause, NULL);
                }
                clock_gettime(CLOCK_MONOTONIC, &last[i]);
            }
            pids[i] = spawn(ctl, sfd, i);
            if (pids[i] == -2)
                _exit(0);
        }
    }
}

pid_t
pam_supervisor_start(int nworkers, int *ctl, void (*child_init)(void))
{
    int sv[2];
    pid_t pid;

    if (nworkers < 1 || nworkers > 256)
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
        if (child_init != NULL)
            child_init();
        supervisor_main(sv[1], nworkers);
    }
    close(sv[1]);
    *ctl = sv[0];
    return pid;
}
