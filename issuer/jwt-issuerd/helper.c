/*
 * helper.c: one PAM helper process (see helper.h).
 *
 * A helper checks each request (helper_proto.c's strict decoding, a name a
 * token can carry), asks the guard (helper_guard.h) whether the user may try
 * now, and runs pam_start[_confdir] -> PAM_RHOST -> pam_authenticate
 * (PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK) -> pam_acct_mgmt -> pam_end with
 * the service and confdir the supervisor read.  It installs a
 * PAM_FAIL_DELAY callback so libpam never sleeps: the helper decides the
 * failure delay (faildelay.h) and the daemon holds the answer for it as a
 * timer on the suspended connection, while the guard keeps the user from
 * trying again meanwhile.  The password is cleansed as soon as PAM has
 * returned.
 */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <link.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <security/pam_appl.h>

#include "excerpt.h"
#include "faildelay.h"
#include "issuer_conf.h"
#include "log.h"
#include "helper_guard.h"
#include "helper.h"
#include "helper_proto.h"
#include "signer.h"

struct conv_data {
    const char *password;      /* NULL: answer no prompt (account only) */
    const char *otp;
    int prompts;
    unsigned asked_usec;
    char *prompt;              /* the unanswered second prompt, for the reply */
};

/* The text of a second prompt we had no answer for, printable ASCII only
   (it goes into a JSON answer and the client shows it on a terminal). */
static void
keep_prompt(struct conv_data *cd, const char *msg)
{
    size_t i, o = 0;

    for (i = 0; msg != NULL && msg[i] != '\0' && o + 1 < PROTO_NAME_MAX; i++)
        if ((unsigned char)msg[i] >= 0x20 && (unsigned char)msg[i] < 0x7f)
            cd->prompt[o++] = msg[i];
    cd->prompt[o] = '\0';
}

/*
 * First prompt: the password.  Second prompt (an OTP module): the otp form
 * field, or fail, keeping the prompt's text so the client can ask it.
 * Informational messages are ignored (PAM_SILENT).
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
            ans = cd->password == NULL ? NULL
                  : cd->prompts == 0 ? cd->password
                  : (cd->prompts == 1 && cd->otp[0] != '\0') ? cd->otp : NULL;
            if (ans == NULL && cd->password != NULL && cd->prompts == 1)
                keep_prompt(cd, msg[i]->msg);
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

/*
 * pam_start -> PAM_RHOST -> [pam_authenticate ->] pam_acct_mgmt -> pam_end;
 * with PROTO_ACCT_ONLY (a refresh) the account stack only, and any prompt
 * fails.
 */
static void
run_pam(struct proto_req *q, const struct guard_conf *gc, struct proto_reply *p)
{
    int acct_only = (q->flags & PROTO_ACCT_ONLY) != 0;
    struct conv_data cd = { acct_only ? NULL : q->password, q->otp, 0, 0,
                            p->prompt };
    struct pam_conv pc = { conv, &cd };
    pam_handle_t *ph = NULL;
    const void *item = NULL;
    int rc;

    p->outcome = HELPER_OUT_ERROR;
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
    rc = acct_only ? PAM_SUCCESS
                   : pam_authenticate(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    /* The password is not needed any more, whatever happened. */
    OPENSSL_cleanse(q->password, sizeof(q->password));
    OPENSSL_cleanse(q->otp, sizeof(q->otp));
    p->pam_rc = rc;
    if (rc != PAM_SUCCESS) {
        switch (rc) {
        case PAM_ABORT: case PAM_BUF_ERR: case PAM_SYSTEM_ERR:
        case PAM_SERVICE_ERR: case PAM_AUTHINFO_UNAVAIL:
            p->outcome = HELPER_OUT_ERROR;
            break;
        default:
            p->outcome = HELPER_OUT_DENIED;
        }
        snprintf(p->reason, sizeof(p->reason), "%s%s", pam_strerror(ph, rc),
                 p->prompt[0] ? " (a second prompt, no otp given)" : "");
        goto out;
    }
    rc = pam_acct_mgmt(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    p->pam_rc = rc;
    if (rc == PAM_NEW_AUTHTOK_REQD) {
        p->outcome = HELPER_OUT_AUTHTOK_EXPIRED;
        snprintf(p->reason, sizeof(p->reason), "password expired, change required");
        goto out;
    }
    if (rc == PAM_ACCT_EXPIRED) {
        p->outcome = HELPER_OUT_ACCT_EXPIRED;
        snprintf(p->reason, sizeof(p->reason), "account expired");
        goto out;
    }
    if (rc != PAM_SUCCESS) {
        p->outcome = HELPER_OUT_ACCT_DENIED;
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
    p->outcome = HELPER_OUT_OK;
    snprintf(p->reason, sizeof(p->reason), acct_only ? "account ok" : "authenticated");
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
    /* An account check carries no credential: one that does is not
       something the daemon sends. */
    if ((q->flags & PROTO_ACCT_ONLY) && (q->password[0] || q->otp[0]))
        return "account check with a password";
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
    char user[PJWT_EXCERPT_BUF(79)];

    guard_conf_get(&gc);
    if ((why = request_refusal(q)) != NULL) {
        p->outcome = HELPER_OUT_ERROR;
        snprintf(p->reason, sizeof(p->reason), "request refused: %s", why);
        log_warn("PAM helper: refused a request from the HTTP side: %s", why);
        return;
    }
    /* The guard limits password guesses; an account check guesses
       nothing, and its refusal is no failed login. */
    if (q->flags & PROTO_ACCT_ONLY) {
        run_pam(q, &gc, p);
        return;
    }
    v = guard_admit(q->user, &gc);
    if (v != GUARD_OK) {
        p->outcome = HELPER_OUT_DENIED;
        snprintf(p->reason, sizeof(p->reason), "refused before PAM: %s",
                 guard_verdict_str(v));
        p->delay_usec = faildelay_usec(gc.fail_delay_ms, guard_asked());
        log_info("PAM helper: user=%s refused before PAM: %s",
                 pjwt_excerpt(q->user, PJWT_EXCERPT_CSTR, 79, PJWT_EXCERPT_WORD,
                              user, sizeof(user)), guard_verdict_str(v));
        return;
    }
    run_pam(q, &gc, p);
    if (p->asked_usec > 0)
        guard_asked_set(p->asked_usec);
    if (p->outcome != HELPER_OUT_OK)
        p->delay_usec = faildelay_usec(gc.fail_delay_ms, p->asked_usec > 0
                                                             ? p->asked_usec
                                                             : guard_asked());
    guard_done(q->user, p->outcome != HELPER_OUT_OK, p->delay_usec);
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
            sigaction(s, &sa, NULL);    /* EINVAL for libc's own: below */
    /* libc refuses its reserved signals (32 and 33: thread cancellation
       and set*id broadcast), which GNU make, for one, leaves ignored for
       everything it runs.  The kernel call resets them as well, so a
       helper starts as from a clean shell; libc installs its own handlers
       there again when a thread needs them. */
    for (s = 32; s < SIGRTMIN; s++) {
        struct {
            void (*handler)(int);
            unsigned long flags;
            void (*restorer)(void);
            unsigned long mask;
        } k = { SIG_DFL, 0, NULL, 0 };

        syscall(SYS_rt_sigaction, s, &k, NULL, sizeof(k.mask));
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

void
helper_main(int fd, int slot)
{
    static uint8_t buf[PROTO_MAX_MSG];
    static struct proto_req q;
    static struct proto_reply p;
    size_t len;

    reset_signals();
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
            p.outcome = HELPER_OUT_ERROR;
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

