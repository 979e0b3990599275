/*
 * helper_supervisor.h: the privileged side. A supervisor process, forked before
 * the daemon starts threads or drops privileges, keeps pam_workers helper
 * processes alive; each helper runs one PAM transaction at a time for the
 * daemon over its own socketpair (cockpit-session, OpenSSH's monitor).  A
 * crashing PAM module takes down one helper, which the supervisor replaces
 * and hands to the daemon over the control socket (SCM_RIGHTS); a helper
 * busy for longer than pam_timeout is killed with whatever it started.
 *
 * The supervisor and helpers keep the privileges PAM needs (root under the
 * shipped unit) and never see a signing key: the daemon reads its keys only
 * after the fork, and after dropping to `user`.  They take the PAM service
 * and confdir, the failure delay and the attempt budgets from their own
 * reading of the configuration (helper_guard.h), re-read on SIGHUP; nothing
 * the daemon sends can change them.
 */
#ifndef ISSUER_HELPER_SUPERVISOR_H
#define ISSUER_HELPER_SUPERVISOR_H

#include <sys/types.h>

#include "issuer_conf.h"

/*
 * Fork the supervisor with c->pam_workers helpers; it keeps c (its
 * copy-on-write image of the caller's) and re-reads c->path on SIGHUP.
 * Returns its pid and sets *ctl to the daemon's end of the control socket,
 * or -1.  Call while the process is single threaded and before it reads
 * any key.  The supervisor exits 0 when *ctl is closed (ending every
 * helper), and 1 when it cannot keep helpers running.
 */
pid_t helper_supervisor_start(const struct issuer_conf *c, int *ctl);

/*
 * Receive one helper announcement from the control socket: slot number
 * and the daemon's end of that helper's socket.  0, or -1 on EOF/error.
 */
int helper_supervisor_recv(int ctl, int *slot, int *fd);

/* Ask the supervisor to re-read the configuration (SIGHUP).  0 or -1. */
int helper_supervisor_reload(int ctl);

#endif
