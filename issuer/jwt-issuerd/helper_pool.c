/*
 * helper_pool.c: queue, dispatch and timers on one event thread (epoll over an
 * eventfd, a timerfd, the supervisor's control socket and every helper
 * socket).  Only this thread touches helper sockets and timers' order; HTTP
 * threads add work under one mutex and wake it through the eventfd.
 *
 * A helper that has not answered after pam_timeout is given up: its login
 * answers 503 and its socket is closed, so no further login goes to it.
 * This process cannot kill it (the helpers are root, it is not): the
 * supervisor does, a moment later, and sends a fresh helper for the slot.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "log.h"
#include "metrics.h"
#include "helper_supervisor.h"
#include "helper_pool.h"

#define MAX_WORKERS 256
#define TAG_EVENT  (-1)
#define TAG_TIMER  (-2)
#define TAG_CTL    (-3)

struct worker {
    int fd;                   /* -1: dead, waiting for the supervisor */
    struct helper_job *job;      /* in flight, or NULL when idle */
    uint64_t started;         /* ns, when job was sent */
};

static struct {
    pthread_mutex_t lock;
    struct helper_job *head, *tail;   /* queued jobs */
    long queued, reserved, cap;
    long timeout_s;                /* pam_timeout */
    struct pool_timer *timers;     /* new timers, unsorted */
    int stop;

    /* event thread only */
    struct pool_timer *sorted;
    uint64_t armed_ns;             /* deadline the timerfd holds, 0: none */
    struct worker w[MAX_WORKERS];
    int nworkers;
    uint32_t seq;
    int ep, evfd, tfd, ctl;
    int sup_gone;                  /* no helper will ever be replaced */
    pthread_t thr;
    int running;

    int alive;                     /* atomic: workers with a socket */
    int lost;                      /* atomic: sup_gone, for other threads */
} P = { .lock = PTHREAD_MUTEX_INITIALIZER, .ep = -1, .evfd = -1, .tfd = -1,
        .ctl = -1 };

uint64_t
helper_pool_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
wake(void)
{
    uint64_t one = 1;

    if (write(P.evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_err("eventfd write: %s", strerror(errno));
}

int
helper_pool_reserve(void)
{
    int r = -1;

    pthread_mutex_lock(&P.lock);
    if (!P.stop && P.queued + P.reserved < P.cap) {
        P.reserved++;
        r = 0;
    }
    pthread_mutex_unlock(&P.lock);
    return r;
}

void
helper_pool_submit(struct helper_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&P.lock);
    P.reserved--;
    P.queued++;
    if (P.tail)
        P.tail->next = job;
    else
        P.head = job;
    P.tail = job;
    pthread_mutex_unlock(&P.lock);
    wake();
}

void
helper_pool_timer_add(struct pool_timer *t)
{
    pthread_mutex_lock(&P.lock);
    t->next = P.timers;
    P.timers = t;
    pthread_mutex_unlock(&P.lock);
    wake();
}

void
helper_pool_reload(long queue_cap, long timeout_s)
{
    pthread_mutex_lock(&P.lock);
    P.cap = queue_cap;
    P.timeout_s = timeout_s;
    pthread_mutex_unlock(&P.lock);
    /* The supervisor reads the file itself: nothing but the request to do
       so crosses over. */
    if (P.ctl >= 0 && helper_supervisor_reload(P.ctl) != 0)
        log_err("cannot ask the PAM supervisor to reload: %s", strerror(errno));
    wake();
}

int
helper_pool_alive(void)
{
    return __atomic_load_n(&P.alive, __ATOMIC_RELAXED);
}

int
helper_pool_lost(void)
{
    return __atomic_load_n(&P.lost, __ATOMIC_RELAXED);
}

/* A field the HTTP threads and the event thread share, read under the
   lock. */
static long
read_locked(const long *field)
{
    long v;

    pthread_mutex_lock(&P.lock);
    v = *field;
    pthread_mutex_unlock(&P.lock);
    return v;
}

static long
timeout_s(void)
{
    return read_locked(&P.timeout_s);
}

long
helper_pool_queue_depth(void)
{
    return read_locked(&P.queued);
}

static void
finish(struct helper_job *job)
{
    OPENSSL_cleanse(job->req.password, sizeof(job->req.password));
    OPENSSL_cleanse(job->req.otp, sizeof(job->req.otp));
    job->done(job);
}

static void
fail_job(struct helper_job *job, enum helper_outcome outcome, const char *why)
{
    memset(&job->reply, 0, sizeof(job->reply));
    job->reply.outcome = outcome;
    snprintf(job->reply.reason, sizeof(job->reply.reason), "%s", why);
    finish(job);
}

static void
worker_close(int i, enum helper_outcome outcome, const char *why)
{
    struct worker *w = &P.w[i];

    if (w->fd >= 0) {
        epoll_ctl(P.ep, EPOLL_CTL_DEL, w->fd, NULL);
        close(w->fd);
        w->fd = -1;
        __atomic_sub_fetch(&P.alive, 1, __ATOMIC_RELAXED);
    }
    if (w->job != NULL) {
        struct helper_job *job = w->job;

        w->job = NULL;
        fail_job(job, outcome, why);
    }
}

/* A helper busy since `started` has had its pam_timeout. */
static int
overdue(uint64_t started, uint64_t now, long limit)
{
    return now - started >= (uint64_t)limit * 1000000000u;
}

/* Give up on helpers past pam_timeout; returns the epoll timeout until the
   next one could be (ms, -1: no helper busy). */
static int
watch_timeouts(void)
{
    uint64_t now = helper_pool_now_ns(), next = UINT64_MAX;
    long limit = timeout_s();
    int i;

    for (i = 0; i < P.nworkers; i++) {
        struct worker *w = &P.w[i];
        uint64_t due;

        if (w->fd < 0 || w->job == NULL)
            continue;
        if (overdue(w->started, now, limit)) {
            log_err("PAM helper %d: no answer after pam_timeout (%ld s); "
                    "giving up on it", i, limit);
            worker_close(i, HELPER_OUT_TIMEOUT, "PAM call timed out (pam_timeout)");
            continue;
        }
        due = w->started + (uint64_t)limit * 1000000000u;
        if (due < next)
            next = due;
    }
    return next == UINT64_MAX ? -1 : (int)((next - now) / 1000000u) + 1;
}

/* Without a supervisor and without a live helper, queued logins would
   wait forever: fail them. */
/* Take the oldest queued login, or NULL when none waits. */
static struct helper_job *
queue_pop(void)
{
    struct helper_job *job;

    pthread_mutex_lock(&P.lock);
    job = P.head;
    if (job != NULL) {
        P.head = job->next;
        if (P.head == NULL)
            P.tail = NULL;
        P.queued--;
    }
    pthread_mutex_unlock(&P.lock);
    return job;
}

static void
fail_stranded(void)
{
    struct helper_job *job;
    int i;

    for (i = 0; i < P.nworkers; i++)
        if (P.w[i].fd >= 0)
            return;
    while ((job = queue_pop()) != NULL)
        fail_job(job, HELPER_OUT_ERROR, "no PAM helper left");
}

static void
dispatch(void)
{
    static uint8_t buf[PROTO_MAX_MSG];
    int i;

    if (P.sup_gone)
        fail_stranded();

    for (i = 0; i < P.nworkers; i++) {
        struct worker *w = &P.w[i];
        struct helper_job *job;
        size_t len;

        if (w->fd < 0 || w->job != NULL)
            continue;
        job = queue_pop();
        if (job == NULL)
            return;
        job->req.seq = ++P.seq;
        len = proto_req_encode(&job->req, buf);
        /* One datagram; the helper's socket buffer always has room for it
           because a helper holds at most one request. */
        if (len == 0 || send(w->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT)
                            != (ssize_t)len) {
            OPENSSL_cleanse(buf, sizeof(buf));
            fail_job(job, HELPER_OUT_ERROR,
                     len == 0 ? "request too large" : "helper unreachable");
            if (len != 0)
                worker_close(i, HELPER_OUT_ERROR, "helper unreachable");
            continue;
        }
        OPENSSL_cleanse(buf, len);
        OPENSSL_cleanse(job->req.password, sizeof(job->req.password));
        OPENSSL_cleanse(job->req.otp, sizeof(job->req.otp));
        w->job = job;
        w->started = helper_pool_now_ns();
    }
}

static void
worker_read(int i)
{
    static uint8_t buf[PROTO_MAX_MSG];
    struct worker *w = &P.w[i];
    struct helper_job *job = w->job;
    uint64_t now;
    ssize_t n;

    n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        /* Killed by the supervisor for its pam_timeout a moment before we
           noticed it ourselves: still a timeout. */
        if (job != NULL && overdue(w->started, helper_pool_now_ns(), timeout_s()))
            worker_close(i, HELPER_OUT_TIMEOUT, "PAM call timed out (pam_timeout)");
        else
            worker_close(i, HELPER_OUT_ERROR, "PAM helper died");
        return;
    }
    if (job == NULL || proto_reply_decode(buf, (size_t)n, &job->reply) != 0
        || job->reply.seq != job->req.seq) {
        log_err("PAM helper %d: unexpected message; closing it", i);
        worker_close(i, HELPER_OUT_ERROR, "PAM helper protocol error");
        return;
    }
    w->job = NULL;
    now = helper_pool_now_ns();
    job->seconds = (double)(now - w->started) / 1e9;
    metrics_pam_latency(job->seconds);
    finish(job);
}

static void
ctl_read(void)
{
    struct epoll_event ev = { .events = EPOLLIN };
    int slot, fd;

    if (helper_supervisor_recv(P.ctl, &slot, &fd) != 0) {
        struct timespec tick = { 0, 10 * 1000 * 1000 };
        int status, n;

        /* The supervisor is our only child: reap it.  Its socket closes a
           moment before it can be reaped, hence the short bounded wait. */
        for (n = 0; n < 50; n++) {
            pid_t pid = waitpid(-1, &status, WNOHANG);

            if (pid > 0 && WIFSIGNALED(status))
                log_err("PAM supervisor killed by signal %d", WTERMSIG(status));
            else if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0)
                log_err("PAM supervisor exited with status %d", WEXITSTATUS(status));
            if (pid != 0)
                break;
            nanosleep(&tick, NULL);
        }
        epoll_ctl(P.ep, EPOLL_CTL_DEL, P.ctl, NULL);
        P.sup_gone = 1;
        __atomic_store_n(&P.lost, 1, __ATOMIC_RELAXED);
        pthread_mutex_lock(&P.lock);
        n = P.stop;
        pthread_mutex_unlock(&P.lock);
        if (!n) {
            /* Without helpers this daemon can only refuse logins: stop, and
               let the service manager start a whole new one. */
            log_err("PAM supervisor is gone; stopping");
            kill(getpid(), SIGTERM);
        }
        return;
    }
    if (slot < 0 || slot >= P.nworkers) {
        close(fd);
        return;
    }
    worker_close(slot, HELPER_OUT_ERROR, "PAM helper replaced");
    metrics_helper_started();
    P.w[slot].fd = fd;
    ev.data.u32 = (uint32_t)slot;
    if (epoll_ctl(P.ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        log_err("epoll_ctl: %s", strerror(errno));
        close(fd);
        P.w[slot].fd = -1;
        return;
    }
    __atomic_add_fetch(&P.alive, 1, __ATOMIC_RELAXED);
}

/* Merge new timers into the sorted list, run the due ones, re-arm. */
static void
timers_run(void)
{
    struct pool_timer *t, *nt, **pp;
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };
    uint64_t now;

    pthread_mutex_lock(&P.lock);
    t = P.timers;
    P.timers = NULL;
    pthread_mutex_unlock(&P.lock);
    if (t == NULL && P.sorted == NULL && P.armed_ns == 0)
        return;   /* the common case under load: no timer at all */
    for (; t != NULL; t = nt) {
        nt = t->next;
        for (pp = &P.sorted; *pp && (*pp)->due_ns <= t->due_ns; pp = &(*pp)->next)
            ;
        t->next = *pp;
        *pp = t;
    }
    now = helper_pool_now_ns();
    while (P.sorted != NULL && P.sorted->due_ns <= now) {
        t = P.sorted;
        P.sorted = t->next;
        t->fn(t);
    }
    if (P.sorted != NULL) {
        uint64_t due = P.sorted->due_ns;

        if (P.armed_ns == due)
            return;
        /* Absolute, in the clock the deadlines are in: the kernel never
           fires it early, so no answer leaves before its delay. */
        P.armed_ns = due;
        its.it_value.tv_sec = (time_t)(due / 1000000000u);
        its.it_value.tv_nsec = (long)(due % 1000000000u);
    } else {
        P.armed_ns = 0;
    }
    timerfd_settime(P.tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void *
event_thread(void *arg)
{
    struct epoll_event evs[64];
    int n, i;

    (void)arg;
    for (;;) {
        n = epoll_wait(P.ep, evs, 64, watch_timeouts());
        if (n < 0 && errno != EINTR) {
            log_err("epoll_wait: %s", strerror(errno));
            break;
        }
        for (i = 0; i < n; i++) {
            int tag = (int)evs[i].data.u32;
            uint64_t v;

            if (evs[i].data.u32 == (uint32_t)TAG_EVENT) {
                if (read(P.evfd, &v, sizeof(v)) < 0)
                    continue;
            } else if (evs[i].data.u32 == (uint32_t)TAG_TIMER) {
                if (read(P.tfd, &v, sizeof(v)) < 0)
                    continue;
            } else if (evs[i].data.u32 == (uint32_t)TAG_CTL) {
                ctl_read();
            } else if (tag >= 0 && tag < P.nworkers && P.w[tag].fd >= 0) {
                worker_read(tag);
            }
        }
        pthread_mutex_lock(&P.lock);
        i = P.stop;
        pthread_mutex_unlock(&P.lock);
        if (i)
            break;
        dispatch();
        timers_run();
    }
    return NULL;
}

static int
watch(int fd, int tag)
{
    struct epoll_event ev = { .events = EPOLLIN };

    ev.data.u32 = (uint32_t)tag;
    return epoll_ctl(P.ep, EPOLL_CTL_ADD, fd, &ev);
}

int
helper_pool_start(int ctl, int nworkers, long queue_cap, long timeout)
{
    int i;

    if (nworkers < 1 || nworkers > MAX_WORKERS)
        return -1;
    P.nworkers = nworkers;
    P.cap = queue_cap;
    P.timeout_s = timeout;
    P.ctl = ctl;
    for (i = 0; i < MAX_WORKERS; i++)
        P.w[i].fd = -1;
    P.ep = epoll_create1(EPOLL_CLOEXEC);
    P.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    P.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (P.ep < 0 || P.evfd < 0 || P.tfd < 0 || watch(P.evfd, TAG_EVENT) != 0
        || watch(P.tfd, TAG_TIMER) != 0 || watch(ctl, TAG_CTL) != 0)
        return -1;
    if (pthread_create(&P.thr, NULL, event_thread, NULL) != 0)
        return -1;
    P.running = 1;
    return 0;
}

void
helper_pool_stop(void)
{
    int i;

    if (!P.running)
        return;
    pthread_mutex_lock(&P.lock);
    P.stop = 1;
    pthread_mutex_unlock(&P.lock);
    wake();
    pthread_join(P.thr, NULL);
    P.running = 0;
    /* The control socket first: by the time a helper sees its socket close
       and exits, the supervisor can already tell the daemon is stopping,
       and does not report the exit as a helper lost. */
    close(P.ctl);
    for (i = 0; i < P.nworkers; i++)
        if (P.w[i].fd >= 0) {
            close(P.w[i].fd);
            P.w[i].fd = -1;
        }
    close(P.ep);
    close(P.evfd);
    close(P.tfd);
    /* The supervisor now ends its helpers (a busy one at once) and exits:
       wait for it, bounded, so that none outlives the daemon unnoticed. */
    for (i = 0; i < 100; i++) {
        struct timespec tick = { 0, 30 * 1000 * 1000 };
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);

        if (pid < 0)
            break;          /* ECHILD: reaped, or reaped by ctl_read */
        if (pid == 0)
            nanosleep(&tick, NULL);
    }
}
