/*
 * helper_pool.h: the daemon's side of the PAM helpers.  HTTP threads queue
 * jobs (bounded: a full queue is refused at once, never waited for); one
 * event thread hands them to idle helpers, collects answers, gives up on a
 * helper that has not answered within pam_timeout, and runs the timers
 * that hold failed logins for their fail delay without holding any thread.
 */
#ifndef ISSUER_HELPER_POOL_H
#define ISSUER_HELPER_POOL_H

#include <stdint.h>
#include "helper_proto.h"

struct pool_timer {
    uint64_t due_ns;                   /* CLOCK_MONOTONIC nanoseconds; never
                                          runs earlier */
    void (*fn)(struct pool_timer *t);  /* runs on the event thread */
    struct pool_timer *next;
};

struct helper_job {
    struct proto_req req;              /* password cleansed once sent */
    struct proto_reply reply;
    double seconds;                    /* time the helper took */
    /* Called on the event thread with reply filled (outcome HELPER_OUT_ERROR
       when the helper died, HELPER_OUT_TIMEOUT after pam_timeout); must not
       block. */
    void (*done)(struct helper_job *job);
    struct helper_job *next;
};

/* Start the event thread on the supervisor's control socket. 0 or -1. */
int helper_pool_start(int ctl, int nworkers, long queue_cap, long timeout_s);

/* Stop the thread, close every helper socket and the control socket, and
   wait (at most 3 s) for the supervisor, which ends every helper. */
void helper_pool_stop(void);

/*
 * Reserve a queue place: 0, or -1 when the queue is full (answer 503).
 * A reservation must be followed by exactly one helper_pool_submit.
 */
int helper_pool_reserve(void);
void helper_pool_submit(struct helper_job *job);

/* Run t->fn on the event thread once t->due_ns has passed. */
void helper_pool_timer_add(struct pool_timer *t);

uint64_t helper_pool_now_ns(void);

/* Change the queue bound and pam_timeout (SIGHUP), and have the supervisor
   re-read its own settings from the configuration file. */
void helper_pool_reload(long queue_cap, long timeout_s);

/* Helpers the daemon can send a login to now (for /healthz). */
int helper_pool_alive(void);

/* 1 once the supervisor is gone: no helper will ever come back.  The pool
   then raises SIGTERM in the process, and the daemon exits non-zero. */
int helper_pool_lost(void);

/* Jobs waiting for a helper (for /metrics). */
long helper_pool_queue_depth(void);

#endif
