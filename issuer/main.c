/*
 * main.c: jwt-issuerd.  Options, startup order, signals.
 *
 * Startup: block the signals every thread would otherwise take; load the
 * configuration (keys included) and stop with `-t`; fork the PAM supervisor
 * while still single threaded and privileged; bind; drop to `user`; start
 * the PAM event thread and the HTTP daemons.  The main thread then only
 * waits for signals: SIGHUP reloads (a failed load keeps the old state),
 * SIGTERM/SIGINT stop accepting, drain requests in flight and exit 0.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "pam_helper.h"
#include "pam_pool.h"
#include "sockets.h"
#include "state.h"

#define DEFAULT_CONFIG "/etc/pamjwt/jwt-issuerd.conf"
#define DRAIN_SECONDS 30

static void
usage(FILE *f)
{
    fprintf(f, "usage: jwt-issuerd [-t] [-d] [-c FILE]\n"
               "  -c FILE  configuration (default " DEFAULT_CONFIG ")\n"
               "  -t       check the configuration and keys, then exit\n"
               "  -d       debug logging\n");
}

/* In the PAM supervisor: PAM modules never see the keys. */
static void
forget_state(void)
{
    issuer_state_set(NULL);
}

static int
drop_privileges(const char *user)
{
    struct passwd *pw;

    errno = 0;
    pw = getpwnam(user);
    if (pw == NULL) {
        log_err("user %s: %s", user, errno ? strerror(errno) : "no such user");
        return -1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0
        || setuid(pw->pw_uid) != 0) {
        log_err("dropping privileges to %s: %s", user, strerror(errno));
        return -1;
    }
    if (pw->pw_uid != 0 && setuid(0) == 0) {
        log_err("dropping privileges to %s: could regain root", user);
        return -1;
    }
    log_info("running as %s", user);
    return 0;
}

static void
reload(const char *path)
{
    struct issuer_state *old = issuer_state_get(), *st;
    pjwt_err err;

    pjwt_err_clear(&err);
    st = issuer_state_load(path, &err);
    if (st == NULL) {
        log_err("reload failed, keeping the running configuration: %s", err.msg);
        metrics_reload(0);
        issuer_state_put(old);
        return;
    }
    /* Sockets, TLS, threads and helpers are fixed at startup. */
    if (old->conf->pam_workers != st->conf->pam_workers
        || old->conf->threads != st->conf->threads
        || (old->conf->tls_cert == NULL) != (st->conf->tls_cert == NULL))
        log_warn("reload: listen, threads, pam_workers and TLS changes need a restart");
    log_info("reloaded %s: signing kid %s (%s), %zu key(s) published", path,
             pjwt_key_kid(st->sign_key), pjwt_alg_name(st->alg),
             pjwt_keyset_count(st->keys));
    pam_pool_set_cap(st->conf->pam_queue);
    issuer_state_put(old);
    issuer_state_set(st);
    metrics_reload(1);
}

/* Stop accepting, wait (bounded) for suspended requests, stop. */
static void
drain(struct MHD_Daemon **d, int n)
{
    struct timespec tick = { 0, 50 * 1000 * 1000 };
    int i, waited;

    for (i = 0; i < n; i++) {
        MHD_socket s = MHD_quiesce_daemon(d[i]);

        if (s != MHD_INVALID_SOCKET)
            close(s);
    }
    for (waited = 0; http_in_flight() > 0 && waited < DRAIN_SECONDS * 20; waited++)
        nanosleep(&tick, NULL);
    if (http_in_flight() > 0) {
        /* A PAM call that never returns: stopping MHD now would free
           connections the PAM event thread still points to. */
        log_warn("shutdown: %ld request(s) still in flight after %d s; exiting",
                 http_in_flight(), DRAIN_SECONDS);
        _exit(0);
    }
    for (i = 0; i < n; i++)
        MHD_stop_daemon(d[i]);
    pam_pool_stop();
}

int
main(int argc, char **argv)
{
    const char *path = DEFAULT_CONFIG;
    struct listener ls[CONF_MAX_LISTEN];
    struct MHD_Daemon *d[CONF_MAX_LISTEN];
    struct issuer_state *st;
    sigset_t sigs;
    pjwt_err err;
    int check = 0, opt, n, i, ctl = -1;

    while ((opt = getopt(argc, argv, "c:tdh")) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 't': check = 1; break;
        case 'd': log_set_level(LOG_LVL_DEBUG); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* A shell starts background jobs with SIGINT (and under nohup SIGHUP)
       ignored; an ignored signal is dropped even while blocked, so sigwait
       would never see Ctrl-C or a reload. */
    signal(SIGHUP, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    pjwt_err_clear(&err);
    st = issuer_state_load(path, &err);
    if (st == NULL) {
        log_err("%s", err.msg[0] ? err.msg : pjwt_strerror(err.code));
        return 1;
    }
    if (check) {
        if (st->conf->user != NULL && getpwnam(st->conf->user) == NULL) {
            log_err("%s: user %s does not exist", path, st->conf->user);
            issuer_state_put(st);
            return 1;
        }
        fprintf(stdout, "%s: configuration OK; signing %s kid %s; largest token %zu bytes\n",
                path, pjwt_alg_name(st->alg), pjwt_key_kid(st->sign_key),
                st->max_token_len);
        issuer_state_put(st);
        return 0;
    }
    issuer_state_set(st);
    if (pam_supervisor_start((int)st->conf->pam_workers, &ctl, forget_state) < 0) {
        log_err("cannot start the PAM helpers: %s", strerror(errno));
        return 1;
    }
    /* st stays referenced until exit (taken after the fork, so that the
       supervisor's forget_state frees everything): MHD keeps pointers to
       its TLS certificate and key, which a SIGHUP must not free. */
    __atomic_add_fetch(&st->refs, 1, __ATOMIC_RELAXED);
    n = sockets_open(st->conf, ls);
    if (n < 0)
        return 1;
    if (st->conf->user != NULL && drop_privileges(st->conf->user) != 0)
        return 1;
    if (pam_pool_start(ctl, (int)st->conf->pam_workers, st->conf->pam_queue) != 0) {
        log_err("cannot start the PAM event thread");
        return 1;
    }
    for (i = 0; i < n; i++) {
        d[i] = http_start(ls[i].fd, ls[i].is_unix, st);
        if (d[i] == NULL) {
            log_err("cannot start the HTTP server on %s", ls[i].name);
            return 1;
        }
        log_info("listening on %s%s", ls[i].name, st->tls_cert_pem ? " (TLS)" : "");
    }
    log_info("ready: issuer %s, signing %s kid %s, %ld PAM helper(s)",
             st->conf->issuer, pjwt_alg_name(st->alg), pjwt_key_kid(st->sign_key),
             st->conf->pam_workers);
    for (;;) {
        int sig = 0;

        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_info("SIGHUP: reloading %s", path);
            reload(path);
            continue;
        }
        log_info("signal %d: draining %ld request(s) and stopping", sig,
                 http_in_flight());
        break;
    }
    drain(d, n);
    issuer_state_set(NULL);
    issuer_state_put(st);
    log_info("stopped");
    return 0;
}
