/*
 * main.c: jwt-issuerd.  Options, startup order, signals.
 *
 * Startup: block the signals every thread would otherwise take; read the
 * configuration; with `-t` check it and the keys (as `user`, the way the
 * daemon reads them) and stop.  Otherwise fork the PAM supervisor while
 * still single threaded and privileged, and before any key is read; bind;
 * drop to `user` (no supplementary groups); make the process non-dumpable;
 * only then read the keys and open the session store, start the PAM event thread and the HTTP
 * daemons.  The main thread then only waits for signals: SIGHUP reloads
 * config and keys as `user` (a failed load keeps the old state) and has the
 * supervisor re-read its PAM settings, and so does key_dir's next schedule
 * event (keyring.h), which bounds the wait (and on a shared store the key
 * registry's heartbeat, key_registry.h); SIGTERM/SIGINT stop accepting, drain
 * requests in flight and exit 0; losing the supervisor (it cannot keep
 * helpers) stops the same way with exit status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "key_registry.h"
#include "log.h"
#include "metrics.h"
#include "helper_supervisor.h"
#include "helper_pool.h"
#include "session_store.h"
#include "sockets.h"
#include "startup_warn.h"
#include "state.h"
#include "trust_bundle.h"
#include "version.h"

#define DRAIN_SECONDS 30

static void
usage(FILE *f)
{
    fprintf(f, "usage: jwt-issuerd [-h] [-t] [-d] [-c FILE]\n"
               "  -c FILE    configuration (default " ISSUER_DEFAULT_CONFIG ")\n"
               "  -t         check the configuration and keys, then exit\n"
               "  -d         debug logging\n"
               "  -h, --help this help\n"
               "  --version  print the version and exit\n");
}

/*
 * The HTTP side's identity: the user's uid and primary group, and no
 * supplementary group at all (as OpenSSH's privilege-separated child), so
 * that a membership such as shadow, which PAM needs and this process must
 * not have, never comes along.
 */
static int
drop_privileges(const char *user)
{
    struct passwd *pw;
    struct group *sh;
    gid_t gid;

    errno = 0;
    pw = getpwnam(user);
    if (pw == NULL) {
        log_err("user %s: %s", user, errno ? strerror(errno) : "no such user");
        return -1;
    }
    gid = pw->pw_gid;
    sh = getgrnam("shadow");
    if (sh != NULL && sh->gr_gid == gid) {
        log_err("user %s: its primary group is shadow; the HTTP side must not "
                "be able to read /etc/shadow", user);
        return -1;
    }
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0) {
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

/* Keys are read only by the process that signs, and only after it has
   dropped to `user`: say so when they cannot be. */
static const char *
as_user_hint(const struct issuer_conf *c, char *buf, size_t cap)
{
    if (c->user == NULL)
        return "";
    snprintf(buf, cap, " (read as user %s, after dropping privileges: %s "
             "must be able to read the configuration, and own the signing "
             "key and tls_key, mode 0600)", c->user, c->user);
    return buf;
}

/* -t: the configuration, then the keys the way the daemon reads them. */
static int
check_config(const char *path, const struct issuer_conf *c)
{
    struct issuer_state *st;
    char hint[256];
    pjwt_err err;

    if (c->user != NULL) {
        struct passwd *pw = getpwnam(c->user);

        if (pw == NULL) {
            log_err("%s: user %s does not exist", path, c->user);
            return 1;
        }
        if (geteuid() == 0) {
            if (drop_privileges(c->user) != 0)
                return 1;
        } else if (geteuid() != pw->pw_uid) {
            log_warn("-t not run as root: keys checked as uid %ld, not as %s",
                     (long)geteuid(), c->user);
        }
    }
    pjwt_err_clear(&err);
    /* key_dir's step only planned: -t writes and removes nothing. */
    st = issuer_state_check(path, &err);
    if (st == NULL) {
        log_err("%s%s", err.msg[0] ? err.msg : pjwt_strerror(err.code),
                as_user_hint(c, hint, sizeof(hint)));
        return 1;
    }
    if (session_store_open(st->conf, 1) != 0) {
        issuer_state_put(st);
        return 1;
    }
    fprintf(stdout, "%s: configuration OK; signing %s kid %s; largest token %zu bytes\n",
            path, pjwt_alg_name(st->alg), pjwt_key_kid(st->sign_key),
            st->max_token_len);
    if (st->key_changes > 0)
        fprintf(stdout, "%s: key_dir %s: %zu file change(s) due, which the "
                "daemon makes when it starts (a new key's kid is only known "
                "then)\n", path, st->conf->key_dir, st->key_changes);
    issuer_state_put(st);
    return 0;
}

/* The state kid has in st (0: none). */
static pjwt_key_state
state_of(const struct issuer_state *st, const char *kid)
{
    size_t i;

    for (i = 0; i < pjwt_keyset_count(st->keys); i++)
        if (strcmp(pjwt_key_kid(pjwt_keyset_get(st->keys, i)), kid) == 0)
            return st->key_state[i];
    return 0;
}

/* One line for each key whose place in the rotation changed (kids only). */
static void
log_key_changes(const struct issuer_state *old, const struct issuer_state *st)
{
    static const char *const what[] = {
        [PJWT_KEY_NEXT] = "published as next", [PJWT_KEY_CURRENT] = "now current",
        [PJWT_KEY_RETIRING] = "retiring", [PJWT_KEY_PUBLISHED] = "published",
    };
    size_t i;

    for (i = 0; i < pjwt_keyset_count(st->keys); i++) {
        const char *kid = pjwt_key_kid(pjwt_keyset_get(st->keys, i));

        if (st->key_state[i] != state_of(old, kid))
            log_info("key %s %s", kid, what[st->key_state[i]]);
    }
    for (i = 0; i < pjwt_keyset_count(old->keys); i++) {
        const char *kid = pjwt_key_kid(pjwt_keyset_get(old->keys, i));

        if (state_of(st, kid) == 0)
            log_info("key %s %s", kid, old->conf->key_dir != NULL
                     && old->key_state[i] != PJWT_KEY_PUBLISHED
                     ? "deleted" : "no longer published");
    }
}

/* Two optional strings are the same (NULL: unset). */
static int
opt_eq(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* SIGHUP, and key_dir's schedule events: 0, or -1 when the old state
   stays. */
static int
reload(const char *path)
{
    struct issuer_state *old = issuer_state_get(), *st;
    char hint[256];
    pjwt_err err;

    pjwt_err_clear(&err);
    st = issuer_state_load(path, &err);
    if (st == NULL) {
        log_err("reload failed, keeping the running configuration: %s%s", err.msg,
                as_user_hint(old->conf, hint, sizeof(hint)));
        metrics_reload(0);
        issuer_state_put(old);
        return -1;
    }
    /* Sockets, TLS, threads and helpers are fixed at startup. */
    if (old->conf->pam_workers != st->conf->pam_workers
        || old->conf->threads != st->conf->threads
        || (old->conf->tls_cert == NULL) != (st->conf->tls_cert == NULL))
        log_warn("reload: listen, threads, pam_workers and TLS changes need a restart");
    if ((old->conf->session_lifetime == 0) != (st->conf->session_lifetime == 0)
        || strcmp(old->conf->state_dir, st->conf->state_dir) != 0
        || !opt_eq(old->conf->store, st->conf->store)
        || !opt_eq(old->conf->store_password_file, st->conf->store_password_file)
        || old->conf->store_timeout != st->conf->store_timeout)
        log_warn("reload: turning sessions on or off and state_dir and "
                 "store changes need a restart");
    log_info("reloaded %s: signing kid %s (%s), %zu key(s) published", path,
             pjwt_key_kid(st->sign_key), pjwt_alg_name(st->alg),
             pjwt_keyset_count(st->keys));
    /* The supervisor re-reads its PAM settings itself, from the file. */
    helper_pool_reload(st->conf->pam_queue, st->conf->pam_timeout);
    /* key_dir only: the fixed mode's reload line says all there is. */
    if (old->conf->key_dir != NULL || st->conf->key_dir != NULL)
        log_key_changes(old, st);
    issuer_state_put(old);
    issuer_state_set(st);
    trust_bundle_keys();
    metrics_reload(1);
    return 0;
}

/* How long the main loop may sleep: a minute (the session store's
   expiry), or until key_dir's next event, or the key registry's next
   heartbeat (beat, 0: none), at least a second. */
static time_t
next_wake(time_t now, time_t retry_at, time_t beat)
{
    struct issuer_state *st = issuer_state_get();
    time_t t = now + 60;

    if (st != NULL && st->next_key_event > 0 && st->next_key_event < t)
        t = st->next_key_event;
    if (t < retry_at)
        t = retry_at;
    if (beat > 0 && beat < t)
        t = beat;
    issuer_state_put(st);
    return t > now ? t : now + 1;
}

/* 1 when key_dir's next event has come. */
static int
key_event_due(time_t now)
{
    struct issuer_state *st = issuer_state_get();
    int due = st != NULL && st->next_key_event > 0 && now >= st->next_key_event;

    issuer_state_put(st);
    return due;
}

/* Stop accepting, wait (bounded) for suspended requests, stop. */
static void
drain(struct MHD_Daemon **d, int n, int rc)
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
        _exit(rc);
    }
    for (i = 0; i < n; i++)
        MHD_stop_daemon(d[i]);
    helper_pool_stop();
}

int
main(int argc, char **argv)
{
    const char *path = ISSUER_DEFAULT_CONFIG;
    struct listener ls[CONF_MAX_LISTEN];
    struct MHD_Daemon *d[CONF_MAX_LISTEN];
    struct issuer_conf *conf;
    struct issuer_state *st;
    sigset_t sigs;
    time_t last_expire, retry_at = 0;
    pjwt_err err;
    int check = 0, opt, n, i, ctl = -1, rc;

    /* The GNU long options every daemon is tried with; no other long
       option exists, so getopt_long's table stays this small. */
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };

    while ((opt = getopt_long(argc, argv, "c:tdh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 't': check = 1; break;
        case 'd': log_set_level(LOG_LVL_DEBUG); break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("jwt-issuerd (pamjwt) %s\n", PJWT_VERSION); return 0;
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
    conf = issuer_conf_load(path, &err);
    /* The PAM stack is the privileged side's: checked here, as the user
       the supervisor keeps, before anything drops (and by the supervisor
       on each re-read). */
    if (conf == NULL || issuer_conf_check_pam(conf, &err) != 0) {
        log_err("%s", err.msg[0] ? err.msg : pjwt_strerror(err.code));
        issuer_conf_free(conf);
        return 1;
    }
    startup_warn_pam(conf);
    if (check) {
        rc = check_config(path, conf);
        issuer_conf_free(conf);
        return rc;
    }
    /* The supervisor gets this configuration, and no key: none is read
       yet. */
    if (helper_supervisor_start(conf, &ctl) < 0) {
        log_err("cannot start the PAM helpers: %s", strerror(errno));
        return 1;
    }
    n = sockets_open(conf, ls);
    if (n < 0)
        return 1;
    startup_warn_listeners(conf, ls, n);
    if (conf->user != NULL && drop_privileges(conf->user) != 0)
        return 1;
    if (conf->user == NULL && geteuid() == 0)
        log_warn("running as root without `user`: the PAM helpers and what "
                 "PAM modules run could read the signing key");
    /* This process will hold the signing key: no core dump, no ptrace by
       other processes of the same user, no /proc/PID/mem. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        log_err("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
        return 1;
    }
    st = issuer_state_load(path, &err);
    if (st == NULL) {
        char hint[256];

        log_err("%s%s", err.msg[0] ? err.msg : pjwt_strerror(err.code),
                as_user_hint(conf, hint, sizeof(hint)));
        return 1;
    }
    /* The store belongs to this user, like the key, and is opened, or
       created, only now. */
    if (session_store_open(st->conf, 0) != 0)
        return 1;
    issuer_state_set(st);
    trust_bundle_keys();
    /* st stays referenced until exit: MHD keeps pointers to its TLS
       certificate and key, which a SIGHUP must not free. */
    __atomic_add_fetch(&st->refs, 1, __ATOMIC_RELAXED);
    if (helper_pool_start(ctl, (int)conf->pam_workers, st->conf->pam_queue,
                       st->conf->pam_timeout) != 0) {
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
    log_info("ready: jwt-issuerd %s, issuer %s, signing %s kid %s, "
             "%ld PAM helper(s)", PJWT_VERSION, st->conf->issuer,
             pjwt_alg_name(st->alg), pjwt_key_kid(st->sign_key),
             st->conf->pam_workers);
    last_expire = time(NULL);
    for (;;) {
        time_t now = time(NULL);
        /* Replicas: this one's keys into the shared registry at once
           after a load, then every 10 s; the bundle's version follows
           the others' keys too. */
        time_t beat = key_registry_heartbeat(now);
        struct timespec wait = { next_wake(now, retry_at, beat) - now, 0 };
        int sig;

        if (beat > 0)
            trust_bundle_keys();
        sig = sigtimedwait(&sigs, NULL, &wait);

        if (sig < 0) {
            if (errno != EAGAIN)
                continue;
            now = time(NULL);
            /* Once a minute: forget ended sessions. */
            if (now - last_expire >= 60) {
                session_store_expire();
                last_expire = now;
            }
            /* The key schedule changes now: the same reload as SIGHUP's.
               One that fails is tried again a minute later, not at once. */
            if (key_event_due(now) && now >= retry_at) {
                log_info("key schedule: reloading %s", path);
                retry_at = reload(path) == 0 ? 0 : now + 60;
            }
            continue;
        }
        if (sig == SIGHUP) {
            log_info("SIGHUP: reloading %s", path);
            retry_at = 0;
            reload(path);
            continue;
        }
        log_info("signal %d: draining %ld request(s) and stopping", sig,
                 http_in_flight());
        break;
    }
    rc = helper_pool_lost() ? 1 : 0;
    drain(d, n, rc);
    issuer_state_set(NULL);
    issuer_state_put(st);
    trust_bundle_close();
    key_registry_close();
    session_store_close();
    issuer_conf_free(conf);
    log_info(rc ? "stopped: no PAM helpers" : "stopped");
    return rc;
}
