/*
 * helper_guard.h: what the PAM helpers enforce whatever the unprivileged side
 * asks, kept in one small table of memory shared by the supervisor and its
 * helpers only (MAP_SHARED | MAP_ANONYMOUS, mapped by the supervisor before
 * it forks the helpers, so the HTTP process never has it), under one
 * process-shared robust mutex:
 *
 *  - the PAM service and confdir, from the supervisor's own reading of the
 *    configuration (at startup and on SIGHUP);
 *  - per user: no new attempt while a failure is less than half its delay
 *    ago (the answer itself is held for the whole delay from arrival, so an
 *    honest client's retry always comes later; the half leaves room for the
 *    time a request waited in the queue), and at most pam_attempts_per_user
 *    failed attempts per minute;
 *  - at most pam_attempts_total failed attempts per minute over all users.
 *
 * An attempt over a limit is refused in the helper without calling PAM, so
 * a compromised HTTP side is not an unthrottled password oracle.  The limits
 * are rates (GCRA: a burst of the whole budget, then one attempt every
 * minute/budget); each attempt is charged when PAM starts and given back
 * when it succeeds, so concurrent guesses are counted too.  Users are keyed
 * by a secret-keyed hash of the lower-cased name; when the table is full of
 * users that are still limited, a new user is refused (fail closed).
 *
 * The table also has one record per helper slot: since when the helper has
 * been busy (the supervisor kills it after pam_timeout), and whether it ever
 * took a request (helpers that keep dying before their first one mean the
 * supervisor cannot keep helpers).
 */
#ifndef ISSUER_HELPER_GUARD_H
#define ISSUER_HELPER_GUARD_H

#include <stdint.h>

#include "helper_proto.h"
#include "issuer_conf.h"

#define GUARD_MAX_SLOTS 256

struct guard_conf {
    char service[PROTO_NAME_MAX];
    char confdir[4096];          /* "" for /etc/pam.d */
    long fail_delay_ms;
    long per_user;               /* failed attempts per minute, 0: no limit */
    long total;
    long timeout_s;              /* pam_timeout */
};

enum guard_verdict {
    GUARD_OK = 0,
    GUARD_WAIT,                  /* the user's last failure is too recent */
    GUARD_USER_BUDGET,
    GUARD_TOTAL_BUDGET,
    GUARD_FULL,                  /* no room to track another user */
};

/* Supervisor, before forking helpers: map the table.  0 or -1. */
int guard_init(void);

/* Supervisor: install the values of c (startup, SIGHUP).  0 or -1 when a
   value does not fit. */
int guard_conf_set(const struct issuer_conf *c);

/* A consistent copy of the current values. */
void guard_conf_get(struct guard_conf *out);

/* Helper, before PAM: GUARD_OK charges one attempt to user and to the
   total; anything else is a refusal and charges nothing. */
enum guard_verdict guard_admit(const char *user, const struct guard_conf *gc);

/* Helper, after PAM: a success gives the attempt back; a failure held for
   delay_usec starts the user's wait. */
void guard_done(const char *user, int failed, unsigned delay_usec);

const char *guard_verdict_str(enum guard_verdict v);

/* The delay PAM asked for most recently (for refusals that never reach
   PAM, so that they are held alike). */
void guard_asked_set(unsigned usec);
unsigned guard_asked(void);

/* Helper slots. */
void guard_slot_reset(int slot);             /* supervisor, before a spawn */
void guard_slot_busy(int slot, int busy);    /* helper */
uint64_t guard_slot_busy_since(int slot);    /* CLOCK_MONOTONIC ns, 0: idle */
int guard_slot_used(int slot);               /* took a request */

uint64_t guard_now_ns(void);

#endif
